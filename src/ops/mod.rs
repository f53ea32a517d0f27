//! The routine families, a folder each: its exported functions
//! (`exports.rs`: the arguments read and checked, the call routed), its
//! argument checks (`check.rs`, exactly reference LAPACK's), its cost
//! terms for the router, its GPU algorithm and its CPU call. They sit on
//! the dispatcher (src/dispatch/), the engines (src/engine/) and the
//! run-time layer (src/runtime/), and do not call each other (but that
//! DGEMM_ALPHA takes DGEMM's argument checks); what several share is here
//! (LSAME, a panel's QR with its reflectors' V and T, the CPU's measured
//! factorization rates, a finiteness scan).
//!
//! - [`gemm`]: `dgemm_`, `cblas_dgemm`;
//! - [`blas3`]: `dsymm_`, `dsyrk_`, `dsyr2k_`, `dtrmm_`, `dtrsm_` (which call
//!   the engine's DGEMM, not the gemm family);
//! - [`lu`]: `dgesv_`, `dgetrf_`, `dgetrs_`;
//! - [`chol`]: `dpotrf_`, `dpotrs_`, `dposv_`;
//! - [`qr`]: `dgeqrf_` (with its workspace query);
//! - [`svd`]: `dgesvd_`, `dgesdd_`, `dgesvdocl_`, `lapack_ai_dgesvdocl`;
//! - [`alpha`]: `dgemm_alpha_`, `lapack_ai_dgemm_alpha`.

pub mod alpha;
pub mod blas3;
pub mod chol;
pub mod qr;
pub mod gemm;
pub mod lu;
pub mod svd;

use crate::engine::opencl::error::GpuError;
use crate::matrix::{MatMut, MatRef};
use std::os::raw::c_int;

/// LAPACK's LSAME for a single character: `ca` equals `cb` ignoring case.
/// (Character arguments are the first byte the caller passed.)
pub fn lsame(ca: u8, cb: u8) -> bool {
    ca.eq_ignore_ascii_case(&cb)
}

/// DGEQRF of the `rows x cols` matrix `a` (k = min(rows, cols) >= 1
/// reflectors) with the process's CPU LAPACK, as a host step of a GPU
/// routine (the panels of the GPU SVD's stage 1 and of the GPU QR); then
/// the unit lower trapezoidal V
/// (`rows x k`, leading dimension rows) in `v` and the k x k T of the
/// forward block reflector I - V T Vᵀ in `t` (leading dimension k).
/// `tau` holds k values, `v` rows k, `t` k².
pub(crate) fn panel_qr(mut a: MatMut<'_>, tau: &mut [f64], v: &mut [f64], t: &mut [f64]) -> Result<(), GpuError> {
    let (rows, cols) = (a.rows(), a.cols());
    let k = rows.min(cols);
    assert!(tau.len() >= k && v.len() >= rows * k && t.len() >= k * k);
    let (mi, ni, ldi) = (rows as c_int, cols as c_int, a.ld() as c_int);
    let (mut info, mut query) = (0, [0.0f64]);
    let f = crate::engine::cpu::CPU.dgeqrf.f;
    let p = a.as_mut_ptr();
    // SAFETY: a workspace query, then the view's matrix with at least that
    // much workspace; TAU holds k. A host step: the GPU lock is held (see
    // dispatch::host_step).
    crate::dispatch::host_step(|| unsafe {
        f(&mi, &ni, p, &ldi, tau.as_mut_ptr(), query.as_mut_ptr(), &-1, &mut info);
        let mut work = vec![0.0; (query[0] as usize).max(cols * 64).max(1)];
        let lwork = work.len() as c_int;
        f(&mi, &ni, p, &ldi, tau.as_mut_ptr(), work.as_mut_ptr(), &lwork, &mut info);
    });
    if info != 0 {
        return Err(GpuError::Declined("the host QR of a panel failed"));
    }
    unit_lower(a.rb().sub(0, 0, rows, k), v);
    t[..k * k].copy_from_slice(&t_factor(rows, k, &v[..rows * k], &tau[..k]));
    Ok(())
}

/// The unit lower trapezoidal V (`a`'s shape, leading dimension its rows)
/// of reflectors stored below the diagonal of `a`.
pub(crate) fn unit_lower(a: MatRef<'_>, v: &mut [f64]) {
    let rows = a.rows();
    for c in 0..a.cols() {
        let col = a.col(c);
        for r in 0..rows {
            v[r + c * rows] = match r.cmp(&c) {
                std::cmp::Ordering::Less => 0.0,
                std::cmp::Ordering::Equal => 1.0,
                std::cmp::Ordering::Greater => col[r],
            };
        }
    }
}

/// T of the forward block reflector I - V T Vᵀ of `v` (`rows x k`) from
/// VᵀV (the process's DGEMM) and the scalar factors.
pub(crate) fn t_factor(rows: usize, k: usize, v: &[f64], tau: &[f64]) -> Vec<f64> {
    let mut gram = vec![0.0; k * k];
    let (ri, ki) = (rows as c_int, k as c_int);
    // SAFETY: v holds rows x k (leading dimension rows), gram k x k.
    unsafe {
        (crate::engine::cpu::CPU.dgemm.f)(
            c"T".as_ptr(), c"N".as_ptr(), &ki, &ki, &ri, &1.0, v.as_ptr(), &ri, v.as_ptr(), &ri, &0.0, gram.as_mut_ptr(), &ki, 1, 1,
        )
    };
    larft_from_gram(k, &gram, tau)
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

/// Whether every element of `x` is finite (several threads for large
/// arrays): the GPU paths whose blocked products spread a NaN or an
/// infinity differently from reference leave such results to the CPU.
pub(crate) fn all_finite(x: &[f64]) -> bool {
    let threads = crate::engine::opencl::gemm::copy_threads(x.len());
    let chunk = x.len().div_ceil(threads).max(1);
    let bad = std::sync::atomic::AtomicBool::new(false);
    crate::engine::opencl::gemm::in_parallel(x.chunks(chunk).collect(), &|part: &[f64]| {
        if !part.iter().all(|v| v.is_finite()) {
            bad.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    });
    !bad.into_inner()
}

/// The CPU LAPACK's own rate for a factorization of order `order`, GFLOP/s:
/// its panels run at a fraction of its DGEMM's rate that grows with the
/// order (OpenBLAS's LU: 20 GFLOP/s at 512 and 370 at 4096 on the H200
/// machine's 16 cores, where its DGEMM runs at 470: bench/RESULTS.md), so
/// it is measured by `seconds` (one factorization of order n, or None) at
/// order 512 and at the first of 1024, 2048, 4096 that takes 20 ms, once
/// per machine (kept with the rates as `cpu.KEY_gflops`,
/// `cpu.KEY_large_order`, `cpu.KEY_large_gflops`), and interpolated in
/// log-log scale between the two; `flops` gives a factorization's flops
/// from its order. None before anything could be measured.
pub(crate) fn cpu_factorization_rate(key: &str, order: f64, seconds: fn(i32) -> Option<f64>, flops: fn(f64) -> f64) -> Option<f64> {
    use crate::dispatch::model::constant;
    let rate = |n: i32| seconds(n).map(|t| flops(n as f64) / t / 1e9);
    let small = constant(&format!("cpu.{key}_gflops"), || rate(512));
    let large = constant(&format!("cpu.{key}_large_order"), || {
        let mut n = 1024;
        while n < 4096 && seconds(n)? < 0.02 {
            n *= 2;
        }
        Some(n as f64)
    })
    .and_then(|n| constant(&format!("cpu.{key}_large_gflops"), || rate(n as i32)).map(|r| (n, r)));
    match (small, large) {
        (Some(r0), Some((n1, r1))) => Some(interpolate(order, 512.0, r0, n1, r1)),
        (Some(r0), None) => Some(r0),
        _ => None,
    }
}

/// The rate at order `n` on the line through (n0, r0) and (n1, r1) in
/// log-log scale, kept between the two rates (no extrapolation).
pub(crate) fn interpolate(n: f64, n0: f64, r0: f64, n1: f64, r1: f64) -> f64 {
    if n1 <= n0 {
        return r0;
    }
    let t = ((n.max(1.0).ln() - n0.ln()) / (n1.ln() - n0.ln())).clamp(0.0, 1.0);
    (r0.ln() + t * (r1.ln() - r0.ln())).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsame_ignores_case_only() {
        assert!(lsame(b'n', b'N') && lsame(b'T', b't') && !lsame(b'X', b'N'));
    }

    #[test]
    fn t_from_gram_matches_the_product_of_reflectors() {
        // Three reflectors of length 5 (unit lower trapezoidal V): the
        // product H1 H2 H3 must equal I - V T Vᵀ.
        let (n, k) = (5usize, 3usize);
        let vals = [0.3, -0.7, 0.2, 0.9, -0.4, 0.6, 0.1, -0.5, 0.8, 0.35];
        let mut v = vec![0.0; n * k];
        let mut it = vals.iter();
        for c in 0..k {
            v[c + c * n] = 1.0;
            for r in c + 1..n {
                v[r + c * n] = *it.next().unwrap();
            }
        }
        let tau = [1.2, 0.0, 0.7];
        let mut gram = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..k {
                gram[i + j * k] = (0..n).map(|r| v[r + i * n] * v[r + j * n]).sum();
            }
        }
        let t = larft_from_gram(k, &gram, &tau);
        let mut prod: Vec<f64> = (0..n * n).map(|i| if i % (n + 1) == 0 { 1.0 } else { 0.0 }).collect();
        for c in 0..k {
            // prod := prod (I - tau v vᵀ)
            let mut pv = vec![0.0; n];
            for r in 0..n {
                pv[r] = (0..n).map(|l| prod[r + l * n] * v[l + c * n]).sum();
            }
            for r in 0..n {
                for l in 0..n {
                    prod[r + l * n] -= tau[c] * pv[r] * v[l + c * n];
                }
            }
        }
        for r in 0..n {
            for l in 0..n {
                let mut vtv = 0.0;
                for i in 0..k {
                    for j in 0..k {
                        vtv += v[r + i * n] * t[i + j * k] * v[l + j * n];
                    }
                }
                let want = if r == l { 1.0 } else { 0.0 } - vtv;
                assert!((prod[r + l * n] - want).abs() < 1e-14, "({r}, {l})");
            }
        }
    }

}
