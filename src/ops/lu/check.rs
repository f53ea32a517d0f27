//! Argument validation, exactly as reference LAPACK 3.12 / CBLAS does it:
//! the same tests in the same order, so that the first illegal argument
//! reported (through `xerbla_`) is the one reference reports. Each function
//! returns 0 when every argument is legal, else the value reference puts in
//! INFO (negative for LAPACK drivers, the positive XERBLA position for
//! BLAS). `tests/reference_checks.rs` compares every function here with the
//! bundled reference on many random argument lists.

use crate::ops::lsame;

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
