//! The Cholesky family's terms for the cost model (src/dispatch/cost.rs):
//! flops, bytes and round trips of each routine, and the CPU's own
//! Cholesky rate ([`adjust`]).

use crate::dispatch::cost::Rates;
use crate::engine::cpu::CPU;
use std::time::Instant;

/// Panel width of the GPU factorization on a GPU (src/ops/chol/gpu.rs):
/// one host round trip per panel.
pub const GPU_PANEL: usize = 512;

/// DPOTRF of order n: flops (n³/3), bytes (A up, its factor back), round
/// trips (one per panel: its diagonal block comes to the host and back).
pub fn dpotrf(n: i32) -> (f64, f64, f64) {
    let nf = n as f64;
    (nf.powi(3) / 3.0, 16.0 * nf * nf, (nf / GPU_PANEL as f64).ceil().max(1.0))
}

/// DPOTRS of order n with nrhs right-hand sides: flops, bytes (the factor
/// up; B up and X back), round trips.
pub fn dpotrs(n: i32, nrhs: i32) -> (f64, f64, f64) {
    let (nf, rf) = (n as f64, nrhs as f64);
    (2.0 * nf * nf * rf, 8.0 * nf * (nf + 2.0 * rf), 1.0)
}

/// DPOSV: DPOTRF then DPOTRS.
pub fn dposv(n: i32, nrhs: i32) -> (f64, f64, f64) {
    let (f1, b1, l1) = dpotrf(n);
    let (f2, _, _) = dpotrs(n, nrhs);
    (f1 + f2, b1 + 16.0 * n as f64 * nrhs as f64, l1)
}

/// The factorization's own CPU rate instead of the CPU's DGEMM rate: the
/// CPU LAPACK's DPOTRF runs at a fraction of its DGEMM's that grows with
/// the order (as its LU does: src/ops/lu/cost.rs). Measured once per
/// machine at order 512 and at the first of 1024, 2048, 4096 that takes
/// 20 ms, kept with the rates, and interpolated in log-log scale; what it
/// still mispredicts, the learned corrections take up.
pub fn adjust(rates: &mut Rates, flops: f64) {
    let order = (3.0 * flops).cbrt();
    if let Some(gflops) = crate::ops::cpu_factorization_rate("potrf", order, cpu_potrf_seconds, |n| n.powi(3) / 3.0) {
        rates.cpu_gflops = gflops;
    }
}

/// Seconds of the CPU LAPACK's DPOTRF of an n x n symmetric positive
/// definite matrix (diagonally dominant), best of two.
fn cpu_potrf_seconds(n: i32) -> Option<f64> {
    let nu = n as usize;
    let a: Vec<f64> = (0..nu * nu)
        .map(|i| if i % nu == i / nu { 2.0 * n as f64 } else { ((i % nu + i / nu) * 7919 % 1009) as f64 / 1009.0 })
        .collect();
    let mut best = f64::INFINITY;
    for _ in 0..2 {
        let mut work = a.clone();
        let mut info = 0;
        let t = Instant::now();
        // As a host step: a CPU LAPACK's own BLAS calls stay on the CPU.
        crate::dispatch::host_step(|| {
            // SAFETY: an n x n matrix with leading dimension n; 'L' is one
            // character (its hidden length 1).
            unsafe { (CPU.dpotrf.f)(&(b'L' as std::os::raw::c_char), &n, work.as_mut_ptr(), &n, &mut info, 1) }
        });
        best = best.min(t.elapsed().as_secs_f64());
    }
    (best > 0.0).then_some(best)
}

#[cfg(test)]
mod tests {
    #[test]
    fn terms() {
        let (f, b, l) = super::dpotrf(1024);
        assert_eq!((f, b, l), (1024f64.powi(3) / 3.0, 16.0 * 1024.0 * 1024.0, 2.0));
    }
}
