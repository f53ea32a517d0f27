//! The QR family's terms for the cost model (src/dispatch/cost.rs): flops,
//! bytes and round trips of DGEQRF, and the CPU's own QR rate
//! ([`adjust`]).

use crate::dispatch::cost::Rates;
use crate::engine::cpu::CPU;
use std::os::raw::c_int;
use std::time::Instant;

/// Panel width of the GPU QR on a GPU (src/ops/qr/gpu.rs): one host round
/// trip per panel.
pub const GPU_PANEL: usize = 256;

/// DGEQRF of an m x n matrix: flops (2mn² - 2n³/3 for m >= n), bytes (A up
/// and back), round trips (one per panel).
pub fn dgeqrf(m: i32, n: i32) -> (f64, f64, f64) {
    let (mf, nf) = (m as f64, n as f64);
    let (big, small) = (mf.max(nf), mf.min(nf));
    // For m < n: 2nm² - 2m³/3 (LAPACK's count for DGEQRF).
    let flops = 2.0 * big * small * small - 2.0 * small.powi(3) / 3.0;
    (flops, 16.0 * mf * nf, (small / GPU_PANEL as f64).ceil().max(1.0))
}

/// The CPU LAPACK's own QR rate instead of its DGEMM's (its panels are
/// Level-2 and memory-bound, a fraction of DGEMM's rate that grows with
/// the order, as for its LU: src/ops/lu/cost.rs): measured once per
/// machine at order 512 and at the first of 1024, 2048, 4096 that takes
/// 20 ms, kept with the rates, and interpolated in log-log scale.
pub fn adjust(rates: &mut Rates, flops: f64) {
    let order = (0.75 * flops).cbrt();
    if let Some(gflops) = crate::ops::cpu_factorization_rate("geqrf", order, cpu_geqrf_seconds, |n| 4.0 / 3.0 * n.powi(3)) {
        rates.cpu_gflops = gflops;
    }
}

/// Seconds of the CPU LAPACK's DGEQRF of an n x n matrix, best of two.
fn cpu_geqrf_seconds(n: i32) -> Option<f64> {
    let nu = n as usize;
    let a: Vec<f64> = (0..nu * nu).map(|i| ((i * 7919 % 1009) as f64 - 504.0) / 504.0).collect();
    let mut tau = vec![0.0; nu];
    let mut query = [0.0f64];
    let mut info: c_int = 0;
    // SAFETY: a workspace query on an n x n matrix.
    unsafe { (CPU.dgeqrf.f)(&n, &n, a.as_ptr() as *mut f64, &n, tau.as_mut_ptr(), query.as_mut_ptr(), &-1, &mut info) };
    let mut work = vec![0.0; (query[0] as usize).max(nu).max(1)];
    let lwork = work.len() as c_int;
    let mut best = f64::INFINITY;
    for _ in 0..2 {
        let mut copy = a.clone();
        let t = Instant::now();
        // As a host step: a CPU LAPACK's own BLAS calls stay on the CPU.
        crate::dispatch::host_step(|| {
            // SAFETY: an n x n matrix with leading dimension n, n entries of
            // TAU, LWORK entries of workspace.
            unsafe { (CPU.dgeqrf.f)(&n, &n, copy.as_mut_ptr(), &n, tau.as_mut_ptr(), work.as_mut_ptr(), &lwork, &mut info) }
        });
        best = best.min(t.elapsed().as_secs_f64());
    }
    (best > 0.0 && info == 0).then_some(best)
}

#[cfg(test)]
mod tests {
    #[test]
    fn terms() {
        let (f, b, l) = super::dgeqrf(1000, 500);
        assert_eq!(f, 2.0 * 1000.0 * 500.0 * 500.0 - 2.0 * 500f64.powi(3) / 3.0);
        assert_eq!((b, l), (16.0 * 1000.0 * 500.0, 2.0));
        assert_eq!(super::dgeqrf(500, 1000).0, f);
    }
}
