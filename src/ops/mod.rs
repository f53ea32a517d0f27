//! The routine families, a folder each: its exported functions
//! (`exports.rs`: the arguments read and checked, the call routed), its
//! argument checks (`check.rs`, exactly reference LAPACK's), its cost
//! terms for the router, its GPU algorithm and its CPU call. They sit on
//! the dispatcher (src/dispatch/), the engines (src/engine/) and the
//! run-time layer (src/runtime/), and do not call each other (but that
//! DGEMM_ALPHA takes DGEMM's argument checks); what several share is here
//! (LSAME, the T factor of a block of reflectors).
//!
//! - [`gemm`]: `dgemm_`, `cblas_dgemm`;
//! - [`blas3`]: `dsymm_`, `dsyrk_`, `dsyr2k_`, `dtrmm_`, `dtrsm_` (which call
//!   the engine's DGEMM, not the gemm family);
//! - [`lu`]: `dgesv_`, `dgetrf_`, `dgetrs_`;
//! - [`chol`]: `dpotrf_`, `dpotrs_`, `dposv_`;
//! - [`qr`]: `dgeqrf_`;
//! - [`svd`]: `dgesvd_`, `dgesdd_`, `dgesvdocl_`, `lapack_ai_dgesvdocl`;
//! - [`alpha`]: `dgemm_alpha_`, `lapack_ai_dgemm_alpha`.

pub mod alpha;
pub mod blas3;
pub mod chol;
pub mod qr;
pub mod gemm;
pub mod lu;
pub mod svd;

/// LAPACK's LSAME for a single character: `ca` equals `cb` ignoring case.
/// (Character arguments are the first byte the caller passed.)
pub fn lsame(ca: u8, cb: u8) -> bool {
    ca.eq_ignore_ascii_case(&cb)
}

/// The triangular factor T of a block of `k` forward, columnwise
/// reflectors (DLARFT) from G = VᵀV and the scalar factors:
/// T(j, j) = tau_j, T(0:j, j) = -tau_j T(0:j, 0:j) G(0:j, j). Column-major k x k.
pub(crate) fn larft_from_gram(k: usize, gram: &[f64], tau: &[f64]) -> Vec<f64> {
    let mut t = vec![0.0; k * k];
    for j in 0..k {
        t[j + j * k] = tau[j];
        if tau[j] == 0.0 {
            continue;
        }
        for i in 0..j {
            let mut s = 0.0;
            for l in i..j {
                s += t[i + l * k] * gram[l + j * k];
            }
            t[i + j * k] = -tau[j] * s;
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsame_ignores_case_only() {
        assert!(lsame(b'n', b'N') && lsame(b'T', b't') && !lsame(b'X', b'N'));
    }

}
