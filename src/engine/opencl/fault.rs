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
//! Read from the test hooks of the configuration (src/runtime/config.rs,
//! which the Rust tests change between calls).

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
    use crate::runtime::config::{hooks, FaultKind};
    match hooks().fault_at(site)? {
        FaultKind::Fail(n) => Some(Fault::Fail(n)),
        FaultKind::Panic(n) => Some(Fault::Panic(n)),
        FaultKind::Alloc => None,
    }
}

/// Whether host allocations of `site` are to fail (`alloc-SITE`).
pub fn alloc_fails(site: &str) -> bool {
    crate::runtime::config::hooks().alloc_fails(site)
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
    fn a_fault_is_due_at_its_step() {
        assert!(check(Some(Fault::Fail(1)), 0).is_ok());
        assert!(check(Some(Fault::Fail(1)), 1).is_err());
        assert!(check(None, 0).is_ok());
        assert!(crate::runtime::panic::catch(|| check(Some(Fault::Panic(0)), 0)).is_err());
    }
}
