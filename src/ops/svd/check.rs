//! Argument validation, exactly as reference LAPACK 3.12 / CBLAS does it:
//! the same tests in the same order, so that the first illegal argument
//! reported (through `xerbla_`) is the one reference reports. Each function
//! returns 0 when every argument is legal, else the value reference puts in
//! INFO (negative for LAPACK drivers, the positive XERBLA position for
//! BLAS). `tests/reference_checks.rs` compares every function here with the
//! bundled reference on many random argument lists.

use crate::ops::lsame;

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

