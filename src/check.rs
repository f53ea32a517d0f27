//! Argument validation, exactly as reference LAPACK 3.12 / CBLAS does it:
//! the same tests in the same order, so that the first illegal argument
//! reported (through `xerbla_`) is the one reference reports. Each function
//! returns 0 when every argument is legal, else the value reference puts in
//! INFO (negative for LAPACK drivers, the positive XERBLA position for
//! BLAS). `tests/reference_checks.rs` compares every function here with the
//! bundled reference on many random argument lists.
//!
//! Character arguments are the first byte the caller passed; LSAME compares
//! them without regard to case.

pub use crate::engine::cpu::xerbla::CblasError;

/// LAPACK's LSAME for a single character: `ca` equals `cb` ignoring case.
pub fn lsame(ca: u8, cb: u8) -> bool {
    ca.eq_ignore_ascii_case(&cb)
}

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
    let trans_char = |t: i32| match t {
        CBLAS_TRANS => Some(b'T'),
        CBLAS_CONJ_TRANS => Some(b'C'),
        CBLAS_NO_TRANS => Some(b'N'),
        _ => None,
    };
    let row_major = match layout {
        CBLAS_COL_MAJOR => false,
        CBLAS_ROW_MAJOR => true,
        _ => {
            return Err(CblasError { position: 1, form: "Illegal layout setting, %d\n", value: layout, row_major: false })
        }
    };
    let Some(ta) = trans_char(transa) else {
        return Err(CblasError { position: 2, form: "Illegal TransA setting, %d\n", value: transa, row_major });
    };
    let Some(tb) = trans_char(transb) else {
        return Err(CblasError { position: 3, form: "Illegal TransB setting, %d\n", value: transb, row_major });
    };
    let call = if row_major {
        FortranGemm { transa: tb, transb: ta, m: n, n: m, lda: ldb, ldb: lda, swap_ab: true }
    } else {
        FortranGemm { transa: ta, transb: tb, m, n, lda, ldb, swap_ab: false }
    };
    match dgemm(call.transa, call.transb, call.m, call.n, k, call.lda, call.ldb, ldc) {
        0 => Ok(call),
        info => Err(CblasError { position: info + 1, form: "", value: 0, row_major }),
    }
}

/// DGESV (`dgesv.f`): 0 or -i for the i-th argument.
pub fn dgesv(n: i32, nrhs: i32, lda: i32, ldb: i32) -> i32 {
    if n < 0 {
        -1
    } else if nrhs < 0 {
        -2
    } else if lda < n.max(1) {
        -4
    } else if ldb < n.max(1) {
        -7
    } else {
        0
    }
}

/// DGETRF (`dgetrf.f`): 0 or -i for the i-th argument.
pub fn dgetrf(m: i32, n: i32, lda: i32) -> i32 {
    if m < 0 {
        -1
    } else if n < 0 {
        -2
    } else if lda < m.max(1) {
        -4
    } else {
        0
    }
}

/// DGETRS (`dgetrs.f`): 0 or -i for the i-th argument (TRANS: 'N', 'T'
/// or 'C').
pub fn dgetrs(trans: u8, n: i32, nrhs: i32, lda: i32, ldb: i32) -> i32 {
    let notran = lsame(trans, b'N');
    if !notran && !lsame(trans, b'T') && !lsame(trans, b'C') {
        -1
    } else if n < 0 {
        -2
    } else if nrhs < 0 {
        -3
    } else if lda < n.max(1) {
        -5
    } else if ldb < n.max(1) {
        -8
    } else {
        0
    }
}

/// ILAENV(6, ...) of reference LAPACK: the crossover point for the
/// QR/LQ-first paths of the SVD drivers, `INT(REAL(MIN(M,N))*1.6E0)`, in
/// single precision as written there.
fn ilaenv6(m: i32, n: i32) -> i32 {
    (m.min(n) as f32 * 1.6f32) as i32
}

/// The minimal LWORK of DGESVD (`dgesvd.f`, MINWRK), for legal arguments.
pub fn dgesvd_minwork(jobu: u8, jobvt: u8, m: i32, n: i32) -> i32 {
    let minmn = m.min(n);
    if minmn <= 0 {
        return 1;
    }
    let mnthr = ilaenv6(m, n);
    if m >= n {
        let bdspac = 5 * n;
        if m >= mnthr && lsame(jobu, b'N') {
            (4 * n).max(bdspac)
        } else {
            (3 * n + m).max(bdspac)
        }
    } else {
        let bdspac = 5 * m;
        if n >= mnthr && lsame(jobvt, b'N') {
            (4 * m).max(bdspac)
        } else {
            (3 * m + n).max(bdspac)
        }
    }
}

/// DGESVD (`dgesvd.f`): 0 or -i for the i-th argument. LWORK = -1 is a
/// workspace query and never illegal.
#[allow(clippy::too_many_arguments)]
pub fn dgesvd(jobu: u8, jobvt: u8, m: i32, n: i32, lda: i32, ldu: i32, ldvt: i32, lwork: i32) -> i32 {
    let minmn = m.min(n);
    let (wntua, wntus, wntuo, wntun) = (lsame(jobu, b'A'), lsame(jobu, b'S'), lsame(jobu, b'O'), lsame(jobu, b'N'));
    let (wntva, wntvs, wntvo, wntvn) =
        (lsame(jobvt, b'A'), lsame(jobvt, b'S'), lsame(jobvt, b'O'), lsame(jobvt, b'N'));
    let wntuas = wntua || wntus;
    let info = if !(wntua || wntus || wntuo || wntun) {
        -1
    } else if !(wntva || wntvs || wntvo || wntvn) || (wntvo && wntuo) {
        -2
    } else if m < 0 {
        -3
    } else if n < 0 {
        -4
    } else if lda < m.max(1) {
        -6
    } else if ldu < 1 || (wntuas && ldu < m) {
        -9
    } else if ldvt < 1 || (wntva && ldvt < n) || (wntvs && ldvt < minmn) {
        -11
    } else {
        0
    };
    if info == 0 && lwork != -1 && lwork < dgesvd_minwork(jobu, jobvt, m, n) {
        return -13;
    }
    info
}

/// The minimal LWORK of DGESDD (`dgesdd.f`, MINWRK), for legal arguments.
/// Fortran INTEGER arithmetic: wraps where reference would overflow.
pub fn dgesdd_minwork(jobz: u8, m: i32, n: i32) -> i32 {
    let minmn = m.min(n);
    if minmn <= 0 {
        return 1;
    }
    let mnthr = (minmn as f64 * 11.0 / 6.0) as i32;
    let (wntqa, wntqs, wntqo, wntqn) = (lsame(jobz, b'A'), lsame(jobz, b'S'), lsame(jobz, b'O'), lsame(jobz, b'N'));
    // (big, small): the larger and smaller dimension; the formulas are the
    // same for M >= N and M < N with the roles exchanged.
    let (big, small) = if m >= n { (m, n) } else { (n, m) };
    let sq = small.wrapping_mul(small);
    let bdspac = if wntqn { 7 * small } else { 3i32.wrapping_mul(sq).wrapping_add(4 * small) };
    if big >= mnthr {
        if wntqn {
            bdspac + small
        } else if wntqo {
            bdspac.wrapping_add(2i32.wrapping_mul(sq)).wrapping_add(3 * small)
        } else if wntqs {
            bdspac.wrapping_add(sq).wrapping_add(3 * small)
        } else if wntqa {
            sq.wrapping_add((3 * small).wrapping_add(bdspac).max(small + big))
        } else {
            1
        }
    } else if wntqo {
        (3 * small).wrapping_add(big.max(sq.wrapping_add(bdspac)))
    } else {
        (3 * small).wrapping_add(big.max(bdspac))
    }
}

/// DGESDD (`dgesdd.f`): 0 or -i for the i-th argument.
#[allow(clippy::too_many_arguments)]
pub fn dgesdd(jobz: u8, m: i32, n: i32, lda: i32, ldu: i32, ldvt: i32, lwork: i32) -> i32 {
    let minmn = m.min(n);
    let (wntqa, wntqs, wntqo, wntqn) = (lsame(jobz, b'A'), lsame(jobz, b'S'), lsame(jobz, b'O'), lsame(jobz, b'N'));
    let wntqas = wntqa || wntqs;
    let info = if !(wntqa || wntqs || wntqo || wntqn) {
        -1
    } else if m < 0 {
        -2
    } else if n < 0 {
        -3
    } else if lda < m.max(1) {
        -5
    } else if ldu < 1 || (wntqas && ldu < m) || (wntqo && m < n && ldu < m) {
        -8
    } else if ldvt < 1 || (wntqa && ldvt < n) || (wntqs && ldvt < minmn) || (wntqo && m >= n && ldvt < n) {
        -10
    } else {
        0
    };
    if info == 0 && lwork != -1 && lwork < dgesdd_minwork(jobz, m, n) {
        return -12;
    }
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsame_ignores_case_only() {
        assert!(lsame(b'n', b'N') && lsame(b'T', b't') && !lsame(b'X', b'N'));
    }

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

    #[test]
    fn svd_minimal_workspace_matches_the_reference_formulas() {
        // m >> n, JOBU='N': max(4n, 5n); otherwise max(3n + m, 5n).
        assert_eq!(dgesvd_minwork(b'N', b'N', 100, 10), 50);
        assert_eq!(dgesvd_minwork(b'A', b'N', 100, 10), 130);
        assert_eq!(dgesvd_minwork(b'N', b'N', 10, 100), 50);
        assert_eq!(dgesvd_minwork(b'N', b'A', 10, 100), 130);
        assert_eq!(dgesvd_minwork(b'N', b'N', 0, 5), 1);
        // DGESDD, m >= mnthr = 18 for n = 10: JOBZ='N' -> 7n + n.
        assert_eq!(dgesdd_minwork(b'N', 100, 10), 80);
        // m < mnthr, JOBZ='A' -> 3n + max(m, 3n^2 + 4n).
        assert_eq!(dgesdd_minwork(b'A', 12, 10), 30 + 340);
    }
}
