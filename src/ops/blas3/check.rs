//! Argument checks of the Level-3 BLAS routines besides GEMM, exactly as
//! reference BLAS 3.12 makes them (`dsymm.f`, `dsyrk.f`, `dsyr2k.f`,
//! `dtrmm.f`, `dtrsm.f` and their single, complex and double complex
//! counterparts: the same checks but for the TRANS that the complex rank-k
//! updates accept, [`Transposes`]): the same tests in the same order, each
//! returning 0 or the XERBLA position of the first illegal argument.
//! `tests/reference_checks.rs` compares each with the bundled reference.

use crate::engine::cpu::xerbla::CblasError;
use crate::ops::gemm::check::{cblas_layout, cblas_trans, fortran_error, CBLAS_CONJ_TRANS, CBLAS_NO_TRANS, CBLAS_TRANS};

/// Reference CBLAS's message for an illegal Trans (TransA of the
/// triangular routines alike).
const TRANS_FORM: &str = "Illegal Trans setting, %d\n";
use crate::ops::gemm::precisions::{is_one, is_zero, Element};
use crate::ops::lsame;

fn trans_ok(t: u8) -> bool {
    lsame(t, b'N') || lsame(t, b'T') || lsame(t, b'C')
}

/// DSYMM: 1 SIDE, 2 UPLO, 3 M, 4 N, 7 LDA (>= max(1, M) when SIDE = 'L',
/// else N), 9 LDB, 12 LDC (>= max(1, M)).
#[allow(clippy::too_many_arguments)]
pub fn dsymm(side: u8, uplo: u8, m: i32, n: i32, lda: i32, ldb: i32, ldc: i32) -> i32 {
    let nrowa = if lsame(side, b'L') { m } else { n };
    if !lsame(side, b'L') && !lsame(side, b'R') {
        1
    } else if !lsame(uplo, b'U') && !lsame(uplo, b'L') {
        2
    } else if m < 0 {
        3
    } else if n < 0 {
        4
    } else if lda < nrowa.max(1) {
        7
    } else if ldb < m.max(1) {
        9
    } else if ldc < m.max(1) {
        12
    } else {
        0
    }
}

/// The TRANS a rank-k update (?SYRK, ?SYR2K, ?HERK, ?HER2K) accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transposes {
    /// SSYRK, DSYRK, SSYR2K, DSYR2K: 'N', 'T' or 'C'.
    Real,
    /// CSYRK, ZSYRK, CSYR2K, ZSYR2K: 'N' or 'T'.
    Symmetric,
    /// CHERK, ZHERK, CHER2K, ZHER2K: 'N' or 'C'.
    Hermitian,
}

impl Transposes {
    fn accept(self, t: u8) -> bool {
        match self {
            Transposes::Real => trans_ok(t),
            Transposes::Symmetric => lsame(t, b'N') || lsame(t, b'T'),
            Transposes::Hermitian => lsame(t, b'N') || lsame(t, b'C'),
        }
    }
}

/// DSYRK: 1 UPLO, 2 TRANS, 3 N, 4 K, 7 LDA (>= max(1, N) when TRANS = 'N',
/// else K), 10 LDC (>= max(1, N)).
pub fn dsyrk(uplo: u8, trans: u8, n: i32, k: i32, lda: i32, ldc: i32) -> i32 {
    rank_k(Transposes::Real, uplo, trans, n, k, lda, None, ldc)
}

/// DSYR2K: DSYRK's checks with 9 LDB (as LDA) between LDA and LDC, which
/// is then 12.
#[allow(clippy::too_many_arguments)]
pub fn dsyr2k(uplo: u8, trans: u8, n: i32, k: i32, lda: i32, ldb: i32, ldc: i32) -> i32 {
    rank_k(Transposes::Real, uplo, trans, n, k, lda, Some(ldb), ldc)
}

/// ?SYRK and ?HERK (`ldb` None), ?SYR2K and ?HER2K: DSYRK's and DSYR2K's
/// checks, TRANS as `kind` accepts it.
#[allow(clippy::too_many_arguments)]
pub fn rank_k(kind: Transposes, uplo: u8, trans: u8, n: i32, k: i32, lda: i32, ldb: Option<i32>, ldc: i32) -> i32 {
    let nrowa = if lsame(trans, b'N') { n } else { k };
    if !lsame(uplo, b'U') && !lsame(uplo, b'L') {
        1
    } else if !kind.accept(trans) {
        2
    } else if n < 0 {
        3
    } else if k < 0 {
        4
    } else if lda < nrowa.max(1) {
        7
    } else if ldb.is_some_and(|ldb| ldb < nrowa.max(1)) {
        9
    } else if ldc < n.max(1) {
        if ldb.is_some() {
            12
        } else {
            10
        }
    } else {
        0
    }
}

/// DTRMM and DTRSM (the same checks): 1 SIDE, 2 UPLO, 3 TRANSA, 4 DIAG,
/// 5 M, 6 N, 9 LDA (>= max(1, M) when SIDE = 'L', else N), 11 LDB
/// (>= max(1, M)).
#[allow(clippy::too_many_arguments)]
pub fn dtrmm(side: u8, uplo: u8, transa: u8, diag: u8, m: i32, n: i32, lda: i32, ldb: i32) -> i32 {
    let nrowa = if lsame(side, b'L') { m } else { n };
    if !lsame(side, b'L') && !lsame(side, b'R') {
        1
    } else if !lsame(uplo, b'U') && !lsame(uplo, b'L') {
        2
    } else if !trans_ok(transa) {
        3
    } else if !lsame(diag, b'U') && !lsame(diag, b'N') {
        4
    } else if m < 0 {
        5
    } else if n < 0 {
        6
    } else if lda < nrowa.max(1) {
        9
    } else if ldb < m.max(1) {
        11
    } else {
        0
    }
}

/// DTRSM's checks are DTRMM's.
pub use dtrmm as dtrsm;

/// The quick returns (every precision; HERK's and HER2K's real scalars
/// too): ?SYMM and ?HEMM when M = 0, N = 0, or ALPHA = 0 and BETA = 1; the
/// rank-k updates when N = 0, or (ALPHA = 0 or K = 0) and BETA = 1.
pub fn dsymm_quick_return<A: Element, B: Element>(m: i32, n: i32, alpha: A, beta: B) -> bool {
    m == 0 || n == 0 || (is_zero(alpha) && is_one(beta))
}

pub fn dsyrk_quick_return<A: Element, B: Element>(n: i32, k: i32, alpha: A, beta: B) -> bool {
    n == 0 || ((is_zero(alpha) || k == 0) && is_one(beta))
}

/// CBLAS enumerations (cblas.h) of the Level-3 routines besides GEMM
/// (the layout and transposes: [`crate::ops::gemm::check`]).
pub const CBLAS_UPPER: i32 = 121;
pub const CBLAS_LOWER: i32 = 122;
pub const CBLAS_NON_UNIT: i32 = 131;
pub const CBLAS_UNIT: i32 = 132;
pub const CBLAS_LEFT: i32 = 141;
pub const CBLAS_RIGHT: i32 = 142;

/// SIDE as the Fortran routine gets it: row major computes the transposed
/// problem, so the side swaps.
fn cblas_side(side: i32, row_major: bool, position: i32) -> Result<u8, CblasError> {
    match (side, row_major) {
        (CBLAS_LEFT, false) | (CBLAS_RIGHT, true) => Ok(b'L'),
        (CBLAS_RIGHT, false) | (CBLAS_LEFT, true) => Ok(b'R'),
        _ => Err(CblasError { position, form: "Illegal Side setting, %d\n", value: side, row_major }),
    }
}

/// UPLO as the Fortran routine gets it: row major, the other triangle.
fn cblas_uplo(uplo: i32, row_major: bool, position: i32) -> Result<u8, CblasError> {
    match (uplo, row_major) {
        (CBLAS_UPPER, false) | (CBLAS_LOWER, true) => Ok(b'U'),
        (CBLAS_LOWER, false) | (CBLAS_UPPER, true) => Ok(b'L'),
        _ => Err(CblasError { position, form: "Illegal Uplo setting, %d\n", value: uplo, row_major }),
    }
}

/// A ?SYMM or ?HEMM call in Fortran (column-major) terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FortranSymm {
    pub side: u8,
    pub uplo: u8,
    pub m: i32,
    pub n: i32,
}

/// `cblas_?symm` and `cblas_?hemm` (reference CBLAS `cblas_dsymm.c`,
/// `cblas_zhemm.c`): layout (1), Side (2), Uplo (3); then DSYMM's checks
/// on the column-major call. Row major computes Cᵀ: the side and the
/// triangle swap, and so do M and N (a Fortran error at M or N then
/// names the other, which `cblas_xerbla` maps back: 4 <-> 5).
#[allow(clippy::too_many_arguments)]
pub fn cblas_symm(
    layout: i32, side: i32, uplo: i32, m: i32, n: i32, lda: i32, ldb: i32, ldc: i32,
) -> Result<FortranSymm, CblasError> {
    let row_major = cblas_layout(layout)?;
    let side = cblas_side(side, row_major, 2)?;
    let uplo = cblas_uplo(uplo, row_major, 3)?;
    let (m, n) = if row_major { (n, m) } else { (m, n) };
    fortran_error(dsymm(side, uplo, m, n, lda, ldb, ldc), row_major)?;
    Ok(FortranSymm { side, uplo, m, n })
}

/// Which rank-k update a CBLAS call is: its TRANS mapping and positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RankK {
    /// `cblas_?syrk` (`kind`: the TRANS the Fortran routine accepts).
    Syrk(Transposes),
    /// `cblas_?syr2k`.
    Syr2k(Transposes),
    /// `cblas_cherk`, `cblas_zherk`.
    Herk,
    /// `cblas_cher2k`, `cblas_zher2k`.
    Her2k,
}

impl RankK {
    /// The TRANS the Fortran routine accepts.
    pub fn transposes(self) -> Transposes {
        match self {
            RankK::Syrk(t) | RankK::Syr2k(t) => t,
            RankK::Herk | RankK::Her2k => Transposes::Hermitian,
        }
    }

    /// Whether it has a B (?SYR2K, ?HER2K).
    pub fn two(self) -> bool {
        matches!(self, RankK::Syr2k(_) | RankK::Her2k)
    }
}

/// A rank-k update in Fortran (column-major) terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FortranRankK {
    pub uplo: u8,
    pub trans: u8,
    /// Row-major ?HER2K: the Fortran routine gets conj(ALPHA).
    pub conj_alpha: bool,
}

/// `cblas_?syrk`, `cblas_?herk`, `cblas_?syr2k`, `cblas_?her2k` (reference
/// CBLAS `cblas_dsyrk.c` and the others): layout (1), Uplo (2), Trans (3);
/// then the Fortran routine's checks on the column-major call (`ldb`: that
/// of ?SYR2K, ?HER2K). Column major passes TRANS as it is, 'T' and 'C'
/// included, for the Fortran routine to reject ('C' for CSYRK, 'T' for
/// CHERK: position 3). Row major computes Cᵀ: the other triangle, and
/// TRANS 'N' for CblasTrans and CblasConjTrans alike, 'T' (?SYRK, ?SYR2K)
/// or 'C' (?HERK, ?HER2K) for CblasNoTrans; N, K and the leading
/// dimensions unchanged; ?HER2K's ALPHA conjugated. Reference reports a
/// row-major illegal Uplo at position 3, but at 2 for ?HER2K.
#[allow(clippy::too_many_arguments)]
pub fn cblas_rank_k(
    which: RankK, layout: i32, uplo: i32, trans: i32, n: i32, k: i32, lda: i32, ldb: Option<i32>, ldc: i32,
) -> Result<FortranRankK, CblasError> {
    let row_major = cblas_layout(layout)?;
    let uplo_position = if row_major && which != RankK::Her2k { 3 } else { 2 };
    let uplo = cblas_uplo(uplo, row_major, uplo_position)?;
    let trans = if !row_major {
        cblas_trans(trans, false, 3, TRANS_FORM)?
    } else {
        match trans {
            CBLAS_TRANS | CBLAS_CONJ_TRANS => b'N',
            CBLAS_NO_TRANS if which.transposes() == Transposes::Hermitian => b'C',
            CBLAS_NO_TRANS => b'T',
            _ => return Err(CblasError { position: 3, form: TRANS_FORM, value: trans, row_major }),
        }
    };
    fortran_error(rank_k(which.transposes(), uplo, trans, n, k, lda, ldb, ldc), row_major)?;
    Ok(FortranRankK { uplo, trans, conj_alpha: row_major && which == RankK::Her2k })
}

/// A ?TRMM or ?TRSM call in Fortran (column-major) terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FortranTriangular {
    pub side: u8,
    pub uplo: u8,
    pub transa: u8,
    pub diag: u8,
    pub m: i32,
    pub n: i32,
}

/// `cblas_?trmm`, `cblas_?trsm` (reference CBLAS `cblas_dtrmm.c`,
/// `cblas_dtrsm.c`): layout (1), Side (2), Uplo (3), TransA (4), Diag (5);
/// then DTRMM's checks on the column-major call. Row major computes Bᵀ:
/// the side and the triangle swap, TRANSA stays, M and N swap (a Fortran
/// error at M or N then names the other, which `cblas_xerbla` maps back:
/// 6 <-> 7).
#[allow(clippy::too_many_arguments)]
pub fn cblas_triangular(
    layout: i32, side: i32, uplo: i32, transa: i32, diag: i32, m: i32, n: i32, lda: i32, ldb: i32,
) -> Result<FortranTriangular, CblasError> {
    let row_major = cblas_layout(layout)?;
    let side = cblas_side(side, row_major, 2)?;
    let uplo = cblas_uplo(uplo, row_major, 3)?;
    let transa = cblas_trans(transa, row_major, 4, TRANS_FORM)?;
    let diag = match diag {
        CBLAS_UNIT => b'U',
        CBLAS_NON_UNIT => b'N',
        _ => return Err(CblasError { position: 5, form: "Illegal Diag setting, %d\n", value: diag, row_major }),
    };
    let (m, n) = if row_major { (n, m) } else { (m, n) };
    fortran_error(dtrmm(side, uplo, transa, diag, m, n, lda, ldb), row_major)?;
    Ok(FortranTriangular { side, uplo, transa, diag, m, n })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::gemm::check::{CBLAS_COL_MAJOR, CBLAS_ROW_MAJOR};

    const ROW: i32 = CBLAS_ROW_MAJOR;
    const COL: i32 = CBLAS_COL_MAJOR;
    const N: i32 = CBLAS_NO_TRANS;
    const T: i32 = CBLAS_TRANS;
    const C: i32 = CBLAS_CONJ_TRANS;

    /// (position passed to cblas_xerbla, position in the caller's list).
    fn pos(e: CblasError, rout: &str) -> (i32, i32) {
        (e.position, e.user_position_in(rout))
    }

    #[test]
    fn cblas_symm_maps_row_major() {
        let ok = cblas_symm(ROW, CBLAS_LEFT, CBLAS_UPPER, 3, 4, 3, 4, 4).unwrap();
        assert_eq!(ok, FortranSymm { side: b'R', uplo: b'L', m: 4, n: 3 });
        let ok = cblas_symm(COL, CBLAS_LEFT, CBLAS_UPPER, 3, 4, 3, 3, 3).unwrap();
        assert_eq!(ok, FortranSymm { side: b'L', uplo: b'U', m: 3, n: 4 });
        let e = cblas_symm(5, 0, 0, -1, -1, 0, 0, 0).unwrap_err();
        assert_eq!((e.position, e.value, e.form), (1, 5, "Illegal layout setting, %d\n"));
        assert_eq!(cblas_symm(ROW, 0, 0, 3, 4, 3, 4, 4).unwrap_err().form, "Illegal Side setting, %d\n");
        let e = cblas_symm(ROW, CBLAS_RIGHT, 7, 3, 4, 3, 4, 4).unwrap_err();
        assert_eq!((e.position, e.value, e.row_major), (3, 7, true));
        // Row-major M < 0 is CBLAS argument 4: the Fortran N, reported 5.
        assert_eq!(pos(cblas_symm(ROW, CBLAS_LEFT, CBLAS_UPPER, -1, 4, 3, 4, 4).unwrap_err(), "cblas_dsymm"), (5, 4));
        assert_eq!(pos(cblas_symm(ROW, CBLAS_LEFT, CBLAS_UPPER, 3, -1, 3, 4, 4).unwrap_err(), "cblas_zhemm"), (4, 5));
        // Row major, SIDE = Left: A is M x M, LDA >= M = 3 (the Fortran N).
        assert_eq!(pos(cblas_symm(ROW, CBLAS_LEFT, CBLAS_UPPER, 3, 4, 2, 4, 4).unwrap_err(), "cblas_ssymm"), (8, 8));
        // LDB and LDC >= the Fortran M = N = 4.
        assert_eq!(pos(cblas_symm(ROW, CBLAS_LEFT, CBLAS_UPPER, 3, 4, 3, 3, 4).unwrap_err(), "cblas_dsymm"), (10, 10));
        assert_eq!(pos(cblas_symm(ROW, CBLAS_LEFT, CBLAS_UPPER, 3, 4, 3, 4, 3).unwrap_err(), "cblas_dsymm"), (13, 13));
        assert_eq!(cblas_symm(COL, CBLAS_LEFT, CBLAS_UPPER, 3, 4, 3, 2, 3).unwrap_err().position, 10);
    }

    #[test]
    fn cblas_rank_k_maps_trans_as_reference() {
        let syrk_c = RankK::Syrk(Transposes::Symmetric);
        let f = |which, layout, trans| cblas_rank_k(which, layout, CBLAS_UPPER, trans, 3, 2, 3, None, 3);
        // Column major: TRANS as given, the Fortran routine judges it.
        assert_eq!(f(RankK::Syrk(Transposes::Real), COL, C).unwrap().trans, b'C');
        assert_eq!(f(syrk_c, COL, C).unwrap_err().position, 3);
        assert_eq!(f(RankK::Herk, COL, T).unwrap_err().position, 3);
        // Row major: both transposes are 'N'; no transpose 'T' or 'C'.
        assert_eq!(f(syrk_c, ROW, C).unwrap(), FortranRankK { uplo: b'L', trans: b'N', conj_alpha: false });
        let g = |which, trans| cblas_rank_k(which, ROW, CBLAS_LOWER, trans, 3, 3, 3, Some(3), 3).unwrap();
        assert_eq!(g(RankK::Herk, T), FortranRankK { uplo: b'U', trans: b'N', conj_alpha: false });
        assert_eq!(g(RankK::Herk, N).trans, b'C');
        assert_eq!(g(RankK::Syr2k(Transposes::Real), N).trans, b'T');
        assert_eq!(g(RankK::Her2k, N), FortranRankK { uplo: b'U', trans: b'C', conj_alpha: true });
        assert!(!cblas_rank_k(RankK::Her2k, COL, CBLAS_LOWER, N, 3, 3, 3, Some(3), 3).unwrap().conj_alpha);
        // An illegal Uplo: position 2, but 3 in row major (not ?HER2K).
        let u = |which, layout| cblas_rank_k(which, layout, 0, N, 3, 3, 3, Some(3), 3).unwrap_err().position;
        assert_eq!(u(RankK::Syrk(Transposes::Real), COL), 2);
        assert_eq!(u(RankK::Syrk(Transposes::Real), ROW), 3);
        assert_eq!(u(RankK::Herk, ROW), 3);
        assert_eq!(u(RankK::Syr2k(Transposes::Symmetric), ROW), 3);
        assert_eq!(u(RankK::Her2k, ROW), 2);
        assert_eq!(u(RankK::Her2k, COL), 2);
        let e = cblas_rank_k(RankK::Herk, ROW, CBLAS_UPPER, 9, 3, 3, 3, None, 3).unwrap_err();
        assert_eq!((e.position, e.form, e.value), (3, "Illegal Trans setting, %d\n", 9));
        // Fortran errors: INFO + 1, no row-major mapping for these.
        // Row major, CblasNoTrans -> 'T': A is k x n as Fortran sees it, LDA >= K.
        let e = cblas_rank_k(RankK::Syrk(Transposes::Real), ROW, CBLAS_UPPER, N, 3, 5, 4, None, 3).unwrap_err();
        assert_eq!(pos(e, "cblas_dsyrk"), (8, 8));
        let e = cblas_rank_k(RankK::Her2k, ROW, CBLAS_UPPER, T, 3, 5, 3, Some(2), 3).unwrap_err();
        assert_eq!(pos(e, "cblas_zher2k"), (10, 10));
        let e = cblas_rank_k(RankK::Her2k, COL, CBLAS_UPPER, N, -1, 5, 3, Some(2), 3).unwrap_err();
        assert_eq!((e.position, e.row_major), (4, false));
        let e = cblas_rank_k(RankK::Syrk(Transposes::Real), ROW, CBLAS_UPPER, N, 3, -1, 4, None, 3).unwrap_err();
        assert_eq!(pos(e, "cblas_ssyrk"), (5, 5));
        let e = cblas_rank_k(RankK::Syrk(Transposes::Real), COL, CBLAS_UPPER, N, 3, 1, 3, None, 2).unwrap_err();
        assert_eq!(e.position, 11);
    }

    #[test]
    fn cblas_triangular_maps_row_major() {
        let t = |layout, side, uplo, transa, diag, m, n, lda, ldb| {
            cblas_triangular(layout, side, uplo, transa, diag, m, n, lda, ldb)
        };
        let ok = t(ROW, CBLAS_RIGHT, CBLAS_LOWER, C, CBLAS_UNIT, 3, 4, 4, 4).unwrap();
        assert_eq!(ok, FortranTriangular { side: b'L', uplo: b'U', transa: b'C', diag: b'U', m: 4, n: 3 });
        assert_eq!(t(COL, CBLAS_LEFT, CBLAS_UPPER, T, CBLAS_NON_UNIT, 3, 4, 3, 3).unwrap().transa, b'T');
        let e = |r: Result<FortranTriangular, CblasError>| r.unwrap_err();
        assert_eq!(e(t(0, 0, 0, 0, 0, 3, 4, 3, 3)).position, 1);
        assert_eq!(e(t(ROW, 0, 0, 0, 0, 3, 4, 3, 3)).form, "Illegal Side setting, %d\n");
        assert_eq!(e(t(ROW, CBLAS_LEFT, 0, 0, 0, 3, 4, 3, 3)).position, 3);
        let x = e(t(COL, CBLAS_LEFT, CBLAS_UPPER, 0, 0, 3, 4, 3, 3));
        assert_eq!((x.position, x.form), (4, "Illegal Trans setting, %d\n"));
        let x = e(t(ROW, CBLAS_LEFT, CBLAS_UPPER, N, 0, 3, 4, 3, 3));
        assert_eq!((x.position, x.form, x.row_major), (5, "Illegal Diag setting, %d\n", true));
        // Row-major M < 0 (argument 6) is the Fortran N: 7, mapped back.
        let rm = |m, n, lda, ldb| e(t(ROW, CBLAS_LEFT, CBLAS_UPPER, N, CBLAS_UNIT, m, n, lda, ldb));
        assert_eq!(pos(rm(-1, 4, 3, 4), "cblas_dtrsm"), (7, 6));
        assert_eq!(pos(rm(3, -1, 3, 4), "cblas_ztrmm"), (6, 7));
        // Row major, SIDE = Left: A is M x M; B's rows are N long, LDB >= N.
        assert_eq!(pos(rm(3, 4, 2, 4), "cblas_strmm"), (10, 10));
        assert_eq!(pos(rm(3, 4, 3, 3), "cblas_ctrsm"), (12, 12));
        assert_eq!(e(t(COL, CBLAS_RIGHT, CBLAS_UPPER, N, CBLAS_UNIT, 3, 4, 3, 3)).position, 10);
    }
}
