//! The LU's terms for the cost model (src/dispatch/cost.rs): flops, bytes
//! and round trips of each routine, and what the machine's DGEMM rates do
//! not say about an LU ([`adjust`]).

use crate::dispatch::cost::Rates;
use crate::engine::cpu::CPU;
use crate::runtime::panic;
use once_cell::sync::Lazy;
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
///   one launch per column (about n of them for n^3 flops), measured once
///   per process on the device ([`super::gpu::step_seconds`]) and added to
///   the fixed cost;
/// - the CPU LAPACK's own LU rate instead of its DGEMM's: LU panels run at
///   a fraction of DGEMM's rate (OpenBLAS 0.3.26's dgesv_ on the H100
///   machine's 16 cores: 25 to 46 GFLOP/s for n = 1024 to 16384, where its
///   DGEMM runs at 470; bench/RESULTS.md). Measured once per process: the
///   CPU DGETRF of a 512 x 512 matrix, best of three.
pub fn adjust(rates: &mut Rates, flops: f64) {
    // Measured under a catch: a panic must not poison the Lazy (every
    // later call would panic on it).
    static STEP_S: Lazy<f64> = Lazy::new(|| panic::catch(super::gpu::step_seconds).ok().and_then(Result::ok).unwrap_or(0.0));
    static CPU_LU_GFLOPS: Lazy<Option<f64>> = Lazy::new(|| {
        let n: i32 = 512;
        let a: Vec<f64> = (0..n * n).map(|i| ((i * 7919 % 1009) as f64 - 504.0) / 504.0).collect();
        let mut best = f64::INFINITY;
        for _ in 0..3 {
            let mut work = a.clone();
            let mut ipiv = vec![0; n as usize];
            let mut info = 0;
            let t = Instant::now();
            // SAFETY: an n x n matrix with leading dimension n, n pivots.
            unsafe { (CPU.dgetrf.f)(&n, &n, work.as_mut_ptr(), &n, ipiv.as_mut_ptr(), &mut info) };
            best = best.min(t.elapsed().as_secs_f64());
        }
        let flops = 2.0 / 3.0 * (n as f64).powi(3);
        (best > 0.0).then(|| flops / best / 1e9)
    });
    rates.launch_s += (1.5 * flops).cbrt() * *STEP_S;
    if let Some(gflops) = *CPU_LU_GFLOPS {
        rates.cpu_gflops = gflops;
    }
}
