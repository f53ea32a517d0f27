//! How many levels of a scheme to apply: the cost model.
//!
//! For op(A) m x k times op(B) k x n on a machine whose GEMM runs at
//! `gemm_gflops` (the cost model's measured rate, src/dispatch/cost.rs
//! `Rates`: `gpu` for the device, `cpu` for the CPU LAPACK) and whose fused
//! block combinations stream memory at `add_gbs`:
//!
//!   t(0) = 2 m n k / R
//!   t(L) = rank * t(L-1, m/4, n/4, k/4) + bytes(L) / B_add + peel / R
//!
//! with bytes(L) the traffic of one level's combination passes
//! (src/ops/alpha/eval.rs) and `peel` the flops of the edges. The model ignores
//! that a GEMM runs slower on smaller operands and that the passes and
//! launches have gaps, so a level is allowed only where every block
//! dimension is at least `min_block`, and is taken only if predicted
//! [`MARGIN`] faster than one level less. On the H100 (bench/RESULTS.md)
//! the model predicted a 10% gain at n = 8192 (blocks of 2048) where the
//! level lost 10-15%, and 14% at 16384 (blocks of 4096) where it gained
//! 8-11%: the GPU's default `min_block` is 4096.

use super::eval::Compiled;

/// A level must be predicted this much faster than the level above it.
pub const MARGIN: f64 = 0.05;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AlphaRates {
    /// GEMM rate of the machine, GFLOP/s.
    pub gemm_gflops: f64,
    /// Rate of the combination passes, GB/s of memory read and written.
    pub add_gbs: f64,
    /// Smallest block dimension worth a level.
    pub min_block: usize,
}

/// Predicted seconds for `levels` levels (0: plain GEMM); infinite when a
/// level would make blocks below `min_block`.
pub fn predict(scheme: &Compiled, levels: usize, m: usize, n: usize, k: usize, r: &AlphaRates) -> f64 {
    let flops = |m: usize, n: usize, k: usize| 2.0 * m as f64 * n as f64 * k as f64;
    if levels == 0 {
        return flops(m, n, k) / (r.gemm_gflops * 1e9);
    }
    let s = scheme.side;
    let (mb, nb, kb) = (m / s, n / s, k / s);
    if mb.min(nb).min(kb) < r.min_block.max(1) {
        return f64::INFINITY;
    }
    let (ss, rank) = ((s * s) as f64, scheme.rank as f64);
    let (mb_, nb_, kb_) = (mb as f64, nb as f64, kb as f64);
    let bytes = 8.0 * ((ss + rank) * mb_ * kb_ + (ss + rank) * kb_ * nb_ + (rank + 2.0 * ss) * mb_ * nb_);
    let peel = flops(m, n, k) - flops(s * mb, s * nb, s * kb);
    rank * predict(scheme, levels - 1, mb, nb, kb, r) + bytes / (r.add_gbs * 1e9) + peel / (r.gemm_gflops * 1e9)
}

/// The number of levels (0 to `max_levels`) the model picks, and the
/// prediction for each level count.
pub fn choose(scheme: &Compiled, m: usize, n: usize, k: usize, r: &AlphaRates, max_levels: usize) -> (usize, Vec<f64>) {
    let t: Vec<f64> = (0..=max_levels).map(|l| predict(scheme, l, m, n, k, r)).collect();
    let mut best = 0;
    for l in 1..t.len() {
        if t[l] < t[best] * (1.0 - MARGIN) {
            best = l;
        } else {
            break;
        }
    }
    (best, t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::alpha::scheme::{Scheme, STRASSEN_SQUARED_49};

    #[test]
    fn large_products_take_a_level_small_ones_none() {
        let s = Compiled::new(&Scheme::parse("strassen49", 4, STRASSEN_SQUARED_49).unwrap()).unwrap();
        // H100-like: 45 TFLOP/s GEMM, 2000 GB/s combinations, 2048 minimum.
        let r = AlphaRates { gemm_gflops: 45_000.0, add_gbs: 2000.0, min_block: 2048 };
        assert_eq!(choose(&s, 16384, 16384, 16384, &r, 3).0, 1);
        assert_eq!(choose(&s, 4096, 4096, 4096, &r, 3).0, 0, "blocks of 1024 are below min_block");
        // Slow additions make no level pay.
        let slow = AlphaRates { add_gbs: 50.0, ..r };
        assert_eq!(choose(&s, 16384, 16384, 16384, &slow, 3).0, 0);
        // A thin product never pays: k/4 below the minimum block.
        assert_eq!(choose(&s, 32768, 32768, 4096, &r, 3).0, 0);
        let (_, t) = choose(&s, 16384, 16384, 16384, &r, 2);
        assert!(t[1] < t[0] && t[2].is_infinite());
    }

    #[test]
    fn with_the_h100_rates_the_model_picks_what_paid_there() {
        // Rates measured on the H100 (bench/RESULTS.md, 2026-11-25): kernel
        // 44180 GFLOP/s, combination passes 1849 GB/s, the GPU default
        // min_block. Measured there, one level: 0.85-0.90x at 8192,
        // 1.08-1.11x at 16384, 1.22-1.23x at 32768; two levels 0.47-0.53x
        // at 16384.
        let s = Compiled::new(&Scheme::parse("strassen49", 4, STRASSEN_SQUARED_49).unwrap()).unwrap();
        let r = AlphaRates { gemm_gflops: 44_180.0, add_gbs: 1849.0, min_block: 4096 };
        assert_eq!(choose(&s, 8192, 8192, 8192, &r, 3).0, 0);
        assert_eq!(choose(&s, 16384, 16384, 16384, &r, 3).0, 1);
        assert_eq!(choose(&s, 32768, 32768, 32768, &r, 3).0, 1);
    }
}
