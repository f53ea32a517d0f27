//! `LAPACK_AI_FAULT_INJECT`: a test hook that makes GPU paths fail, so
//! that CI (on PoCL) exercises every fallback. A comma-separated list of
//!
//! | item | effect |
//! |---|---|
//! | `SITE` | the GPU path fails (an error) before it touches the caller's arrays |
//! | `SITE@N` | it fails after its N-th step (DGEMM: N tiles of C written) |
//! | `panic-SITE`, `panic-SITE@N` | it panics there instead (a bug inside the GPU path) |
//! | `alloc-SITE` | its host allocations fail, as under a memory limit |
//!
//! with SITE one of `dgemm` (the GPU DGEMM, also inside DGEMM_ALPHA, the
//! LU and the SVD), `lu` (dgesv_, dgetrf_, dgetrs_), `svd` (dgesvd_,
//! dgesdd_, DGESVDOCL), `alpha` (DGEMM_ALPHA's evaluator on the device);
//! and for `alloc-` also `alpha-host` (DGEMM_ALPHA's evaluator on the CPU)
//! and `alpha-probe` (its measurements of the CPU's rates);
//! and `commit-WHAT@N`: the copy of a result into the caller's arrays
//! writes N columns and fails, twice, with WHAT `factors` (the LU's A),
//! `solution` (its X) or `c` (DGEMM_ALPHA's C).
//! Read at each use (a few hundred nanoseconds, only on GPU paths), so
//! that tests can change it between calls.

/// What the hook asks of a site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Fail with [`super::error::GpuError::Injected`] after this many steps.
    Fail(usize),
    /// Panic after this many steps.
    Panic(usize),
}

/// The fault asked for `site`, if any (the first item naming it).
pub fn at(site: &str) -> Option<Fault> {
    parse(&std::env::var("LAPACK_AI_FAULT_INJECT").ok()?, site)
}

/// Whether host allocations of `site` are to fail (`alloc-SITE`).
pub fn alloc_fails(site: &str) -> bool {
    std::env::var("LAPACK_AI_FAULT_INJECT")
        .is_ok_and(|v| v.split(',').any(|item| item.trim().strip_prefix("alloc-") == Some(site)))
}

fn parse(list: &str, site: &str) -> Option<Fault> {
    list.split(',').find_map(|item| {
        let item = item.trim();
        let (panic, rest) = match item.strip_prefix("panic-") {
            Some(rest) => (true, rest),
            None => (false, item),
        };
        let (name, after) = match rest.split_once('@') {
            Some((name, n)) => (name, n.parse().ok()?),
            None => (rest, 0),
        };
        (name == site).then_some(if panic { Fault::Panic(after) } else { Fault::Fail(after) })
    })
}

/// Acts on `fault` at step `step`: `Err(Injected)` or a panic when the
/// fault is due there.
pub fn check(fault: Option<Fault>, step: usize) -> Result<(), super::error::GpuError> {
    match fault {
        Some(Fault::Fail(n)) if n == step => Err(super::error::GpuError::Injected),
        Some(Fault::Panic(n)) if n == step => panic!("panic injected by LAPACK_AI_FAULT_INJECT"),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_parse() {
        assert_eq!(parse("dgemm", "dgemm"), Some(Fault::Fail(0)));
        assert_eq!(parse("lu, dgemm@3", "dgemm"), Some(Fault::Fail(3)));
        assert_eq!(parse("panic-svd", "svd"), Some(Fault::Panic(0)));
        assert_eq!(parse("panic-dgemm@2", "dgemm"), Some(Fault::Panic(2)));
        assert_eq!(parse("alloc-svd,lu", "svd"), None);
        assert_eq!(parse("dgemm@x", "dgemm"), None);
        assert_eq!(parse("", "lu"), None);
        assert!(check(Some(Fault::Fail(1)), 0).is_ok());
        assert!(check(Some(Fault::Fail(1)), 1).is_err());
        assert!(crate::runtime::panic::catch(|| check(Some(Fault::Panic(0)), 0)).is_err());
    }
}
