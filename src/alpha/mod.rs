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
//!   (src/gpu/alpha.rs).
//! - [`cost`]: how many levels pay, from the cost model's rates.
//!
//! One level of a rank-R scheme replaces 64 block products by R (48/64 =
//! 0.75, 49/64 = 0.77 of the product flops) and adds block combinations,
//! which cost memory traffic: it pays only for large products, where the
//! block GEMMs still run near peak.
//!
//! Configuration ([`CONFIG`], read once): `LAPACK_AI_ALPHA_SCHEME`
//! (`dps48`, `strassen49`; default: the one the cost model predicts
//! fastest), `LAPACK_AI_ALPHA_LEVELS` (force a number of levels, 0 to 3),
//! `LAPACK_AI_ALPHA_MIN_BLOCK` (smallest block dimension worth a level;
//! default 4096 on a GPU, 512 on the CPU), `LAPACK_AI_ALPHA_ADD_GBS` (rate
//! of the combination passes instead of measuring it).

pub mod cost;
pub mod eval;
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
            checked.map_err(|e| crate::runtime::log::warn(&format!("scheme {name} not used: {e}"))).ok()
        })
        .collect()
});

/// DGEMM_ALPHA's configuration, from the environment.
#[derive(Clone, Debug, PartialEq)]
pub struct AlphaConfig {
    pub scheme: Option<String>,
    pub levels: Option<usize>,
    pub min_block: Option<usize>,
    pub add_gbs: Option<f64>,
}

pub static CONFIG: Lazy<AlphaConfig> = Lazy::new(|| AlphaConfig::from_env(|k| std::env::var(k).ok()));

/// Most levels ever applied (4^3 = 64 blocks per side).
pub const MAX_LEVELS: usize = 3;

impl AlphaConfig {
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> AlphaConfig {
        let warn = |k: &str, v: &str, why: &str| crate::runtime::log::warn(&format!("{k}={v:?}: {why}; using the default"));
        let scheme = get("LAPACK_AI_ALPHA_SCHEME").filter(|v| {
            let ok = scheme::real_schemes().iter().any(|(n, _)| n == v);
            if !ok {
                warn("LAPACK_AI_ALPHA_SCHEME", v, "not dps48 or strassen49");
            }
            ok
        });
        let levels = get("LAPACK_AI_ALPHA_LEVELS").and_then(|v| match v.parse::<usize>() {
            Ok(l) if l <= MAX_LEVELS => Some(l),
            _ => {
                warn("LAPACK_AI_ALPHA_LEVELS", &v, "not 0 to 3");
                None
            }
        });
        let min_block = get("LAPACK_AI_ALPHA_MIN_BLOCK").and_then(|v| match v.parse::<usize>() {
            Ok(b) if b >= 1 => Some(b),
            _ => {
                warn("LAPACK_AI_ALPHA_MIN_BLOCK", &v, "not a positive integer");
                None
            }
        });
        let add_gbs = get("LAPACK_AI_ALPHA_ADD_GBS").and_then(|v| match v.parse::<f64>() {
            Ok(x) if x > 0.0 && x.is_finite() => Some(x),
            _ => {
                warn("LAPACK_AI_ALPHA_ADD_GBS", &v, "not a positive number");
                None
            }
        });
        AlphaConfig { scheme, levels, min_block, add_gbs }
    }
}

/// The scheme and level count for a product on a machine with `rates`:
/// the configured ones, else the pair the cost model predicts fastest
/// (0 levels: plain GEMM). Returns the scheme, the levels and the
/// predicted seconds of plain GEMM and of the choice.
pub fn plan(m: usize, n: usize, k: usize, rates: &cost::AlphaRates) -> (&'static Compiled, usize, f64, f64) {
    let schemes: Vec<&'static Compiled> = match &CONFIG.scheme {
        Some(name) => SCHEMES.iter().filter(|s| s.name == name).collect(),
        None => SCHEMES.iter().collect(),
    };
    let mut best: Option<(&'static Compiled, usize, f64, f64)> = None;
    for s in schemes {
        let (levels, t) = cost::choose(s, m, n, k, rates, MAX_LEVELS);
        let levels = CONFIG.levels.unwrap_or(levels);
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
    fn both_real_schemes_verify_and_bad_settings_fall_back() {
        assert_eq!(SCHEMES.len(), 2);
        let c = AlphaConfig::from_env(|k| match k {
            "LAPACK_AI_ALPHA_SCHEME" => Some("alphatensor47".into()),
            "LAPACK_AI_ALPHA_LEVELS" => Some("9".into()),
            "LAPACK_AI_ALPHA_MIN_BLOCK" => Some("256".into()),
            _ => None,
        });
        assert_eq!(c, AlphaConfig { scheme: None, levels: None, min_block: Some(256), add_gbs: None });
    }
}
