//! The LU's terms for the cost model (src/dispatch/cost.rs): flops, bytes
//! and round trips of each routine, and what the machine's DGEMM rates do
//! not say about an LU ([`adjust`]).

use crate::dispatch::cost::Rates;
use crate::dispatch::model;
use crate::engine::cpu::CPU;
use std::time::Instant;

/// DGESV of order n with nrhs right-hand sides: flops, bytes moved (A up
/// and its factors back; B up and X back), round trips (the pivots come
/// back before the solve, everything at the end).
pub fn dgesv(n: i32, nrhs: i32) -> (f64, f64, f64) {
    let (nf, rf) = (n as f64, nrhs as f64);
    (2.0 / 3.0 * nf.powi(3) + 2.0 * nf * nf * rf, 16.0 * nf * (nf + rf), 2.0)
}

/// DGETRF of an m x n matrix: flops, bytes (A up, its factors back), round
/// trips.
pub fn dgetrf(m: i32, n: i32) -> (f64, f64, f64) {
    let (mf, nf) = (m as f64, n as f64);
    let (big, small) = (mf.max(nf), mf.min(nf));
    (big * small * small - small.powi(3) / 3.0, 16.0 * mf * nf, 1.0)
}

/// DGETRS of order n with nrhs right-hand sides: flops, bytes (the factors
/// up; B up and X back), round trips.
pub fn dgetrs(n: i32, nrhs: i32) -> (f64, f64, f64) {
    let (nf, rf) = (n as f64, nrhs as f64);
    (2.0 * nf * nf * rf, 8.0 * nf * (nf + 2.0 * rf), 1.0)
}

/// The factorizations' own terms ([`crate::dispatch::Call::adjust`]):
/// - GPU time that does not shrink with the device's rate: the panels cost
///   one launch per column (about n of them for n^3 flops), measured on the
///   device ([`super::gpu::step_seconds`]) and added to the fixed cost;
/// - the CPU LAPACK's own LU rate instead of its DGEMM's: LU panels run at
///   a fraction of DGEMM's rate (OpenBLAS 0.3.26's dgesv_ on the H100
///   machine's 16 cores: 25 to 46 GFLOP/s for n = 1024 to 16384, where its
///   DGEMM runs at 470; bench/RESULTS.md), a fraction that grows with the
///   order. Measured on the CPU DGETRF at order 512 and at a large order
///   (below), and interpolated.
///
/// Both are measured once per machine, at the first call that needs them,
/// and kept with the rates (src/dispatch/model.rs: a process no longer
/// spends 20 to 80 ms measuring them before its first LU); what they
/// still mispredict, the learned corrections take up.
pub fn adjust(rates: &mut Rates, flops: f64) {
    /// The time of a panel step before it is measured: twice the H100
    /// machine's (about 10 µs a launch, bench/RESULTS.md).
    const UNMEASURED_STEP_S: f64 = 20e-6;
    // Measured on the device only once it is set up: measuring would start
    // it, which the call may not pay for (src/dispatch/mod.rs, `decide`).
    let step_s = if crate::engine::opencl::ready() {
        model::constant("gpu.lu_step_s", || super::gpu::step_seconds().ok())
    } else {
        model::stored("gpu.lu_step_s")
    }
    .unwrap_or(UNMEASURED_STEP_S);
    // The CPU LAPACK's LU rate at two orders: 512, and the first of 1024,
    // 2048, 4096 where one factorization takes 20 ms. A 16-core
    // OpenBLAS factors 512 at about 20 GFLOP/s and 4096 at 370 (the H200
    // machine, bench/RESULTS.md issue 17): one rate for every size sent
    // 4096 to the GPU at 3.4x the CPU's time.
    let order = (1.5 * flops).cbrt();
    let cpu_lu = crate::ops::cpu_factorization_rate("lu", order, cpu_lu_seconds, |n| 2.0 / 3.0 * n.powi(3));
    rates.launch_s += order * step_s;
    if let Some(gflops) = cpu_lu {
        rates.cpu_gflops = gflops;
    }
}

/// Seconds of the CPU LAPACK's DGETRF of an n x n matrix, best of two.
fn cpu_lu_seconds(n: i32) -> Option<f64> {
    let a: Vec<f64> = (0..n * n).map(|i| ((i * 7919 % 1009) as f64 - 504.0) / 504.0).collect();
    // A thread too small for the CPU library's LU runs the reference
    // instead (engine::cpu::lu_on_reference_here): not its rate.
    if crate::engine::cpu::lu_on_reference_here("dgetrf_") {
        return None;
    }
    let mut best = f64::INFINITY;
    for _ in 0..2 {
        let mut work = a.clone();
        let mut ipiv = vec![0; n as usize];
        let mut info = 0;
        let t = Instant::now();
        // SAFETY: an n x n matrix with leading dimension n, n pivots.
        unsafe { (CPU.dgetrf.f)(&n, &n, work.as_mut_ptr(), &n, ipiv.as_mut_ptr(), &mut info) };
        best = best.min(t.elapsed().as_secs_f64());
    }
    (best > 0.0).then_some(best)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_lu_rate_follows_the_order_between_its_two_measures() {
        let r = |n| crate::ops::interpolate(n, 512.0, 20.0, 4096.0, 370.0);
        assert!((r(512.0) - 20.0).abs() < 1e-9 && (r(4096.0) - 370.0).abs() < 1e-9);
        assert!((r(100.0) - 20.0).abs() < 1e-9 && (r(16384.0) - 370.0).abs() < 1e-9, "kept between the two");
        assert!(r(1024.0) > 20.0 && r(1024.0) < r(2048.0) && r(2048.0) < 370.0);
    }
}
