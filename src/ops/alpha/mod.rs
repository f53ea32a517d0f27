//! DGEMM_ALPHA: C := alpha op(A) op(B) + beta C through a fast bilinear
//! scheme for 4x4 block partitions (the AlphaTensor idea, A. Fawzi et al.,
//! Nature 610, 2022), evaluated at the block level with the fastest GEMM
//! available for the block products.
//!
//! - [`scheme`]: schemes as data (U, V, W factor matrices, `schemes/*.txt`,
//!   each with its provenance) and their verification against the Brent
//!   equations in exact arithmetic. Rank 49 (Strassen squared) and rank 48
//!   (Dumas, Pernet, Sedoglavic 2025, rational) hold over the reals;
//!   AlphaTensor's rank 47 holds only modulo 2 and is kept as a fixture the
//!   verifier must reject.
//! - [`eval`]: the evaluator, generic over a [`eval::Machine`]: host memory
//!   with the CPU LAPACK ([`host`]) or device memory with the GPU kernels
//!   (src/ops/alpha/device.rs).
//! - [`cost`]: how many levels pay, from the cost model's rates.
//!
//! One level of a rank-R scheme replaces 64 block products by R (48/64 =
//! 0.75, 49/64 = 0.77 of the product flops) and adds block combinations,
//! which cost memory traffic: it pays only for large products, where the
//! block GEMMs still run near peak.
//!
//! Configuration ([`settings`], read once with the rest): `LAPACK_AI_ALPHA_SCHEME`
//! (`dps48`, `strassen49`; default: the one the cost model predicts
//! fastest), `LAPACK_AI_ALPHA_LEVELS` (force a number of levels, 0 to 3),
//! `LAPACK_AI_ALPHA_MIN_BLOCK` (smallest block dimension worth a level;
//! default 4096 on a GPU, 512 on the CPU), `LAPACK_AI_ALPHA_ADD_GBS` (rate
//! of the combination passes instead of measuring it).

pub mod cost;
pub mod device;
pub mod eval;
pub mod exports;
pub mod host;
pub mod scheme;

use eval::Compiled;
use once_cell::sync::Lazy;
use scheme::Scheme;

/// The schemes DGEMM_ALPHA evaluates, verified over the rationals when
/// first used (a scheme that failed would be dropped with a warning).
pub static SCHEMES: Lazy<Vec<Compiled>> = Lazy::new(|| {
    scheme::real_schemes()
        .into_iter()
        .filter_map(|(name, text)| {
            let checked = Scheme::parse(name, 4, text).and_then(|s| Compiled::new(&s));
            checked.map_err(|e| crate::runtime::warn::warn(&format!("scheme {name} not used: {e}"))).ok()
        })
        .collect()
});

/// DGEMM_ALPHA's settings (`LAPACK_AI_ALPHA_*`), read with the rest of the
/// configuration (src/runtime/config.rs).
pub fn settings() -> &'static crate::runtime::config::AlphaSettings {
    &crate::runtime::config::CONFIG.alpha
}

/// Most levels ever applied (4^3 = 64 blocks per side).
pub const MAX_LEVELS: usize = crate::runtime::config::ALPHA_MAX_LEVELS;

/// The scheme and level count for a product on a machine with `rates`:
/// the configured ones, else the pair the cost model predicts fastest
/// (0 levels: plain GEMM). Returns the scheme, the levels and the
/// predicted seconds of plain GEMM and of the choice.
pub fn plan(m: usize, n: usize, k: usize, rates: &cost::AlphaRates) -> (&'static Compiled, usize, f64, f64) {
    let schemes: Vec<&'static Compiled> = match &settings().scheme {
        Some(name) => SCHEMES.iter().filter(|s| s.name == name).collect(),
        None => SCHEMES.iter().collect(),
    };
    let mut best: Option<(&'static Compiled, usize, f64, f64)> = None;
    for s in schemes {
        let (levels, t) = cost::choose(s, m, n, k, rates, MAX_LEVELS);
        let levels = settings().levels.unwrap_or(levels);
        let (t0, tl) = (t[0], t[levels]);
        if best.map_or(true, |b| tl < b.3) {
            best = Some((s, levels, t0, tl));
        }
    }
    best.expect("at least one verified scheme")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_real_schemes_verify_under_the_names_the_configuration_takes() {
        assert_eq!(SCHEMES.len(), 2);
        for s in SCHEMES.iter() {
            assert!(crate::runtime::config::ALPHA_SCHEMES.contains(&s.name), "{}", s.name);
        }
    }
}
