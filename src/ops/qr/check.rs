//! Argument validation, exactly as reference LAPACK 3.12 does it (see
//! src/ops/lu/check.rs). `tests/reference_checks.rs` compares it with the
//! bundled reference.

/// DGEQRF (`dgeqrf.f`): 0 or -i for the i-th argument. LWORK = -1 is a
/// workspace query; otherwise LWORK must be positive and at least N when
/// M > 0.
pub fn dgeqrf(m: i32, n: i32, lda: i32, lwork: i32) -> i32 {
    if m < 0 {
        -1
    } else if n < 0 {
        -2
    } else if lda < m.max(1) {
        -4
    } else if lwork != -1 && (lwork <= 0 || (m > 0 && lwork < n.max(1))) {
        -7
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn first_illegal_argument() {
        assert_eq!(super::dgeqrf(-1, -1, 0, 0), -1);
        assert_eq!(super::dgeqrf(3, 4, 2, 4), -4);
        assert_eq!(super::dgeqrf(3, 4, 3, 3), -7);
        assert_eq!(super::dgeqrf(0, 4, 1, 1), 0);
        assert_eq!(super::dgeqrf(0, 4, 1, 0), -7);
        assert_eq!(super::dgeqrf(3, 4, 3, -1), 0);
    }
}
