//! Argument validation, exactly as reference LAPACK 3.12 does it (the same
//! tests in the same order; see src/ops/lu/check.rs). Each function returns
//! 0 when every argument is legal, else the value reference puts in INFO.
//! `tests/reference_checks.rs` compares them with the bundled reference.

use crate::ops::lsame;

/// DPOTRF (`dpotrf.f`): 0 or -i for the i-th argument (UPLO: 'U' or 'L').
pub fn dpotrf(uplo: u8, n: i32, lda: i32) -> i32 {
    if !lsame(uplo, b'U') && !lsame(uplo, b'L') {
        -1
    } else if n < 0 {
        -2
    } else if lda < n.max(1) {
        -4
    } else {
        0
    }
}

/// DPOTRS (`dpotrs.f`) and DPOSV (`dposv.f`, the same tests): 0 or -i for
/// the i-th argument.
pub fn dpotrs(uplo: u8, n: i32, nrhs: i32, lda: i32, ldb: i32) -> i32 {
    if !lsame(uplo, b'U') && !lsame(uplo, b'L') {
        -1
    } else if n < 0 {
        -2
    } else if nrhs < 0 {
        -3
    } else if lda < n.max(1) {
        -5
    } else if ldb < n.max(1) {
        -7
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn first_illegal_argument() {
        assert_eq!(super::dpotrf(b'X', -1, 0), -1);
        assert_eq!(super::dpotrf(b'l', -1, 0), -2);
        assert_eq!(super::dpotrf(b'u', 3, 2), -4);
        assert_eq!(super::dpotrf(b'U', 0, 1), 0);
        assert_eq!(super::dpotrs(b'L', 3, -1, 1, 1), -3);
        assert_eq!(super::dpotrs(b'L', 3, 1, 3, 2), -7);
    }
}
