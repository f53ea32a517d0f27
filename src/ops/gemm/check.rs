//! Argument validation, exactly as reference LAPACK 3.12 / CBLAS does it:
//! the same tests in the same order, so that the first illegal argument
//! reported (through `xerbla_`) is the one reference reports. Each function
//! returns 0 when every argument is legal, else the value reference puts in
//! INFO (negative for LAPACK drivers, the positive XERBLA position for
//! BLAS). `tests/reference_checks.rs` compares every function here with the
//! bundled reference on many random argument lists.

use crate::abi::{read, read_char};
use crate::engine::cpu::xerbla::{self, CblasError};
use crate::ops::lsame;
use std::os::raw::{c_char, c_int};

/// DGEMM (reference BLAS `dgemm.f`): 0, or the position of the first
/// illegal argument (1 TRANSA, 2 TRANSB, 3 M, 4 N, 5 K, 8 LDA, 10 LDB,
/// 13 LDC).
#[allow(clippy::too_many_arguments)]
pub fn dgemm(transa: u8, transb: u8, m: i32, n: i32, k: i32, lda: i32, ldb: i32, ldc: i32) -> i32 {
    let nota = lsame(transa, b'N');
    let notb = lsame(transb, b'N');
    let nrowa = if nota { m } else { k };
    let nrowb = if notb { k } else { n };
    if !nota && !lsame(transa, b'C') && !lsame(transa, b'T') {
        1
    } else if !notb && !lsame(transb, b'C') && !lsame(transb, b'T') {
        2
    } else if m < 0 {
        3
    } else if n < 0 {
        4
    } else if k < 0 {
        5
    } else if lda < nrowa.max(1) {
        8
    } else if ldb < nrowb.max(1) {
        10
    } else if ldc < m.max(1) {
        13
    } else {
        0
    }
}

/// DGEMM's quick return: nothing to compute and C unchanged.
pub fn dgemm_quick_return(m: i32, n: i32, k: i32, alpha: f64, beta: f64) -> bool {
    m == 0 || n == 0 || ((alpha == 0.0 || k == 0) && beta == 1.0)
}

/// CBLAS enumerations (cblas.h).
pub const CBLAS_ROW_MAJOR: i32 = 101;
pub const CBLAS_COL_MAJOR: i32 = 102;
pub const CBLAS_NO_TRANS: i32 = 111;
pub const CBLAS_TRANS: i32 = 112;
pub const CBLAS_CONJ_TRANS: i32 = 113;

/// A DGEMM call in Fortran (column-major) terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FortranGemm {
    pub transa: u8,
    pub transb: u8,
    pub m: i32,
    pub n: i32,
    pub lda: i32,
    pub ldb: i32,
    /// Row-major: A and B trade places (C^T = B^T A^T).
    pub swap_ab: bool,
}

/// `cblas_dgemm` (reference CBLAS `cblas_dgemm.c`): the layout and
/// transpose checks, then the Fortran DGEMM checks on the column-major call
/// it makes (row major: C^T = op(B)^T op(A)^T).
#[allow(clippy::too_many_arguments)]
pub fn cblas_dgemm(
    layout: i32, transa: i32, transb: i32, m: i32, n: i32, k: i32, lda: i32, ldb: i32, ldc: i32,
) -> Result<FortranGemm, CblasError> {
    let row_major = cblas_layout(layout)?;
    let ta = cblas_trans(transa, row_major, 2, "Illegal TransA setting, %d\n")?;
    let tb = cblas_trans(transb, row_major, 3, "Illegal TransB setting, %d\n")?;
    let call = if row_major {
        FortranGemm { transa: tb, transb: ta, m: n, n: m, lda: ldb, ldb: lda, swap_ab: true }
    } else {
        FortranGemm { transa: ta, transb: tb, m, n, lda, ldb, swap_ab: false }
    };
    fortran_error(dgemm(call.transa, call.transb, call.m, call.n, k, call.lda, call.ldb, ldc), row_major)?;
    Ok(call)
}

/// The layout argument (position 1 of every CBLAS routine): whether it is
/// row major.
pub(crate) fn cblas_layout(layout: i32) -> Result<bool, CblasError> {
    match layout {
        CBLAS_COL_MAJOR => Ok(false),
        CBLAS_ROW_MAJOR => Ok(true),
        _ => Err(CblasError { position: 1, form: "Illegal layout setting, %d\n", value: layout, row_major: false }),
    }
}

/// A transpose argument taken as it is: 'N', 'T' or 'C', whatever the
/// Fortran routine accepts; an illegal one is reported at `position` with
/// reference's message `form`.
pub(crate) fn cblas_trans(trans: i32, row_major: bool, position: i32, form: &'static str) -> Result<u8, CblasError> {
    match trans {
        CBLAS_NO_TRANS => Ok(b'N'),
        CBLAS_TRANS => Ok(b'T'),
        CBLAS_CONJ_TRANS => Ok(b'C'),
        _ => Err(CblasError { position, form, value: trans, row_major }),
    }
}

/// A Fortran-level check's failure (`info` != 0) as reference CBLAS
/// reports it: its XERBLA adds one for the layout argument, and its
/// `cblas_xerbla` maps row-major positions back itself.
pub(crate) fn fortran_error(info: i32, row_major: bool) -> Result<(), CblasError> {
    match info {
        0 => Ok(()),
        info => Err(CblasError { position: info + 1, form: "", value: 0, row_major }),
    }
}

/// The scalar arguments of DGEMM (`T` = f64) or of SGEMM, CGEMM, ZGEMM
/// (f32, or a COMPLEX of either as (real, imaginary)), read and checked.
pub(crate) struct GemmArgs<T = f64> {
    pub ta: u8,
    pub tb: u8,
    pub m: c_int,
    pub n: c_int,
    pub k: c_int,
    pub alpha: T,
    pub lda: c_int,
    pub ldb: c_int,
    pub beta: T,
    pub ldc: c_int,
}

/// Reads the Fortran scalar arguments of DGEMM (or SGEMM, CGEMM, ZGEMM,
/// whose checks are the same) and checks them as reference DGEMM does; an illegal one is reported as XERBLA(`srname`, position)
/// and gives `None`. A null integer makes its argument illegal (-1 is
/// illegal for all of DGEMM's dimensions and leading dimensions), and so
/// does a null ALPHA (6) or BETA (11).
///
/// # Safety
/// Every pointer is null or valid for reading its scalar.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn read_gemm_args<T: Copy>(
    srname: &str,
    transa: *const c_char,
    transb: *const c_char,
    m: *const c_int,
    n: *const c_int,
    k: *const c_int,
    alpha: *const T,
    lda: *const c_int,
    ldb: *const c_int,
    beta: *const T,
    ldc: *const c_int,
) -> Option<GemmArgs<T>> {
    // SAFETY (all reads): the caller's guarantee.
    let (ta, tb) = unsafe { (read_char(transa), read_char(transb)) };
    let int = |p: *const c_int| unsafe { read(p) }.unwrap_or(-1);
    let (m, n, k, lda, ldb, ldc) = (int(m), int(n), int(k), int(lda), int(ldb), int(ldc));
    let info = dgemm(ta, tb, m, n, k, lda, ldb, ldc);
    if info != 0 {
        xerbla::report(srname, info);
        return None;
    }
    let (Some(alpha_v), Some(beta_v)) = (unsafe { read(alpha) }, unsafe { read(beta) }) else {
        xerbla::report(srname, if alpha.is_null() { 6 } else { 11 });
        return None;
    };
    Some(GemmArgs { ta, tb, m, n, k, alpha: alpha_v, lda, ldb, beta: beta_v, ldc })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dgemm_reports_the_first_illegal_argument() {
        assert_eq!(dgemm(b'N', b'N', 3, 4, 5, 3, 5, 3), 0);
        assert_eq!(dgemm(b'x', b'q', -1, 4, 5, 3, 5, 3), 1);
        assert_eq!(dgemm(b't', b'q', -1, 4, 5, 3, 5, 3), 2);
        assert_eq!(dgemm(b'T', b'C', -1, -1, 5, 0, 5, 3), 3);
        assert_eq!(dgemm(b'T', b'N', 3, 4, 5, 4, 5, 3), 8);
        assert_eq!(dgemm(b'N', b'T', 3, 4, 5, 3, 3, 3), 10);
        assert_eq!(dgemm(b'N', b'N', 3, 4, 5, 3, 5, 2), 13);
        // Zero dimensions still need leading dimensions of at least one.
        assert_eq!(dgemm(b'N', b'N', 0, 0, 0, 0, 1, 1), 8);
    }

    #[test]
    fn cblas_row_major_maps_positions_back() {
        let ok = cblas_dgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_TRANS, 3, 4, 5, 5, 5, 4).unwrap();
        assert_eq!(ok, FortranGemm { transa: b'T', transb: b'N', m: 4, n: 3, lda: 5, ldb: 5, swap_ab: true });
        // Row-major M < 0 is CBLAS argument 4, N < 0 argument 5: reference
        // passes the swapped Fortran position, cblas_xerbla maps it back.
        let pos = |e: CblasError| (e.position, e.user_position());
        let rm = |m, n, lda, ldb, ldc| cblas_dgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_NO_TRANS, m, n, 5, lda, ldb, ldc);
        assert_eq!(pos(rm(-1, 4, 5, 4, 4).unwrap_err()), (5, 4));
        assert_eq!(pos(rm(3, -1, 5, 4, 4).unwrap_err()), (4, 5));
        // Row-major: LDA of A (3x5, not transposed) must be >= K = 5.
        assert_eq!(pos(rm(3, 4, 4, 4, 4).unwrap_err()), (11, 9));
        assert_eq!(pos(rm(3, 4, 5, 3, 4).unwrap_err()), (9, 11));
        assert_eq!(pos(rm(3, 4, 5, 4, 3).unwrap_err()), (14, 14));
        assert_eq!(cblas_dgemm(CBLAS_COL_MAJOR, CBLAS_NO_TRANS, CBLAS_NO_TRANS, 3, 4, 5, 2, 5, 3).unwrap_err().position, 9);
        let e = cblas_dgemm(7, CBLAS_NO_TRANS, CBLAS_NO_TRANS, 3, 4, 5, 5, 5, 4).unwrap_err();
        assert_eq!((e.position, e.value), (1, 7));
        assert_eq!(cblas_dgemm(CBLAS_COL_MAJOR, CBLAS_NO_TRANS, 0, 3, 4, 5, 5, 5, 4).unwrap_err().position, 3);
    }
}
