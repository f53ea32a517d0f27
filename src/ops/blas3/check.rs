//! Argument checks of the Level-3 BLAS routines besides DGEMM, exactly as
//! reference BLAS 3.12 makes them (`dsymm.f`, `dsyrk.f`, `dsyr2k.f`,
//! `dtrmm.f`, `dtrsm.f`): the same tests in the same order, each returning
//! 0 or the XERBLA position of the first illegal argument.
//! `tests/reference_checks.rs` compares each with the bundled reference.

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

/// DSYRK: 1 UPLO, 2 TRANS, 3 N, 4 K, 7 LDA (>= max(1, N) when TRANS = 'N',
/// else K), 10 LDC (>= max(1, N)).
pub fn dsyrk(uplo: u8, trans: u8, n: i32, k: i32, lda: i32, ldc: i32) -> i32 {
    let nrowa = if lsame(trans, b'N') { n } else { k };
    if !lsame(uplo, b'U') && !lsame(uplo, b'L') {
        1
    } else if !trans_ok(trans) {
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
    let nrowa = if lsame(trans, b'N') { n } else { k };
    if !lsame(uplo, b'U') && !lsame(uplo, b'L') {
        1
    } else if !trans_ok(trans) {
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

/// The quick returns: DSYMM when M = 0, N = 0, or ALPHA = 0 and BETA = 1;
/// DSYRK and DSYR2K when N = 0, or (ALPHA = 0 or K = 0) and BETA = 1.
pub fn dsymm_quick_return(m: i32, n: i32, alpha: f64, beta: f64) -> bool {
    m == 0 || n == 0 || (alpha == 0.0 && beta == 1.0)
}

pub fn dsyrk_quick_return(n: i32, k: i32, alpha: f64, beta: f64) -> bool {
    n == 0 || ((alpha == 0.0 || k == 0) && beta == 1.0)
}
