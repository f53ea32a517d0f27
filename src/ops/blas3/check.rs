//! Argument checks of the Level-3 BLAS routines besides GEMM, exactly as
//! reference BLAS 3.12 makes them (`dsymm.f`, `dsyrk.f`, `dsyr2k.f`,
//! `dtrmm.f`, `dtrsm.f` and their single, complex and double complex
//! counterparts: the same checks but for the TRANS that the complex rank-k
//! updates accept, [`Transposes`]): the same tests in the same order, each
//! returning 0 or the XERBLA position of the first illegal argument.
//! `tests/reference_checks.rs` compares each with the bundled reference.

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
    syrk(Transposes::Real, uplo, trans, n, k, lda, ldc)
}

/// ?SYRK and ?HERK: DSYRK's checks, TRANS as `kind` accepts it.
pub fn syrk(kind: Transposes, uplo: u8, trans: u8, n: i32, k: i32, lda: i32, ldc: i32) -> i32 {
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
    } else if ldc < n.max(1) {
        10
    } else {
        0
    }
}

/// DSYR2K: 1 UPLO, 2 TRANS, 3 N, 4 K, 7 LDA, 9 LDB (both >= max(1, N)
/// when TRANS = 'N', else K), 12 LDC (>= max(1, N)).
#[allow(clippy::too_many_arguments)]
pub fn dsyr2k(uplo: u8, trans: u8, n: i32, k: i32, lda: i32, ldb: i32, ldc: i32) -> i32 {
    syr2k(Transposes::Real, uplo, trans, n, k, lda, ldb, ldc)
}

/// ?SYR2K and ?HER2K: DSYR2K's checks, TRANS as `kind` accepts it.
#[allow(clippy::too_many_arguments)]
pub fn syr2k(kind: Transposes, uplo: u8, trans: u8, n: i32, k: i32, lda: i32, ldb: i32, ldc: i32) -> i32 {
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
    } else if ldb < nrowa.max(1) {
        9
    } else if ldc < n.max(1) {
        12
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
