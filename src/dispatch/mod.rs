//! Routing: every interposed routine passes through [`run`], which decides
//! CPU or GPU for the call, runs it, and logs the decision and its time.
//!
//! The GPU backend has no routine yet (issue 4 brings DGEMM), so every call
//! is decided `Cpu`, with the reason saying why. When a routine gains a GPU
//! path, [`Routine::has_gpu_path`] says so and the cost model of DESIGN.md
//! (t_cpu = flops/R_cpu against t_gpu = launch + bytes/B_h2d + flops/R_gpu,
//! rates from a calibration) decides in `auto` mode.

pub mod config;
pub mod log;

use crate::cpu;
use config::{Mode, CONFIG};
use std::time::Instant;

/// The interposed routines, as the log and the dispatcher name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Routine {
    Dgemm,
    CblasDgemm,
    Dgesv,
    Dgesvd,
    Dgesdd,
    Dgesvdocl,
}

impl Routine {
    pub fn symbol(self) -> &'static str {
        match self {
            Routine::Dgemm => "dgemm_",
            Routine::CblasDgemm => "cblas_dgemm",
            Routine::Dgesv => "dgesv_",
            Routine::Dgesvd => "dgesvd_",
            Routine::Dgesdd => "dgesdd_",
            Routine::Dgesvdocl => "dgesvdocl_",
        }
    }

    /// Whether a GPU implementation exists for this routine.
    pub fn has_gpu_path(self) -> bool {
        false
    }

    /// The CPU routine that does the work on the CPU path.
    fn cpu_symbol(self) -> cpu::Symbol {
        match self {
            Routine::Dgemm | Routine::CblasDgemm => cpu::Symbol::Dgemm,
            Routine::Dgesv => cpu::Symbol::Dgesv,
            Routine::Dgesvd | Routine::Dgesvdocl => cpu::Symbol::Dgesvd,
            Routine::Dgesdd => cpu::Symbol::Dgesdd,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Cpu,
    Gpu,
}

/// A routing decision and the reason the log gives for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub backend: Backend,
    pub reason: &'static str,
}

/// The routing rule, separate from its inputs so that it can be tested.
pub fn decide(routine: Routine, mode: Mode) -> Decision {
    let cpu = |reason| Decision { backend: Backend::Cpu, reason };
    match mode {
        Mode::Cpu => cpu("LAPACK_AI_MODE=cpu"),
        _ if !routine.has_gpu_path() => cpu("no GPU implementation yet"),
        Mode::Gpu => Decision { backend: Backend::Gpu, reason: "LAPACK_AI_MODE=gpu" },
        // Unreachable until a routine has a GPU path; then the cost model
        // goes here.
        Mode::Auto => cpu("cost model"),
    }
}

/// A call about to be routed: its routine, a description of its arguments
/// for the log (only formatted when logging), and its flop count.
pub struct Call<D: FnOnce() -> String> {
    pub routine: Routine,
    pub describe: D,
    pub flops: f64,
}

/// Routes one call that has passed its argument checks, runs it, logs it.
/// `cpu` runs the call on the CPU backend.
pub fn run<R, D: FnOnce() -> String>(call: Call<D>, cpu: impl FnOnce() -> R) -> R {
    let decision = decide(call.routine, CONFIG.mode);
    if !log::enabled() {
        return cpu();
    }
    let start = Instant::now();
    let result = cpu();
    let elapsed = start.elapsed().as_secs_f64();
    let rate = if call.flops > 0.0 && elapsed > 0.0 {
        format!(" {:.2} GFLOP/s", call.flops / elapsed * 1e-9)
    } else {
        String::new()
    };
    log::line(&format!(
        "{} {} -> {}[{}] ({}) {:.3} ms{}",
        call.routine.symbol(),
        (call.describe)(),
        match decision.backend {
            Backend::Cpu => "cpu",
            Backend::Gpu => "gpu",
        },
        cpu::CPU.provider(call.routine.cpu_symbol()),
        decision.reason,
        elapsed * 1e3,
        rate
    ));
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_gpu_path_every_mode_runs_on_the_cpu() {
        for r in [Routine::Dgemm, Routine::CblasDgemm, Routine::Dgesv, Routine::Dgesvd, Routine::Dgesdd, Routine::Dgesvdocl]
        {
            assert!(!r.has_gpu_path());
            assert_eq!(decide(r, Mode::Cpu), Decision { backend: Backend::Cpu, reason: "LAPACK_AI_MODE=cpu" });
            for mode in [Mode::Auto, Mode::Gpu] {
                let d = decide(r, mode);
                assert_eq!(d.backend, Backend::Cpu, "{r:?} {mode:?}");
                assert_eq!(d.reason, "no GPU implementation yet");
            }
        }
    }
}
