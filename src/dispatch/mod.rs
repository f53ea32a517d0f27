//! Routing: every interposed routine passes through [`run`], which decides
//! CPU or GPU for the call, runs it (falling back to the CPU if the GPU
//! fails), and logs the decision and its time.
//!
//! The rule ([`decide`]): `LAPACK_AI_MODE=cpu` -> CPU; a routine without a
//! GPU implementation -> CPU; no usable OpenCL device -> CPU;
//! `LAPACK_AI_MODE=gpu` -> GPU; otherwise the cost model ([`cost`]).

pub mod cost;

use crate::runtime::{config, fork, log, panic, stats, warn};

use crate::engine::cpu;
use crate::engine::opencl::error::GpuError;
use config::{Mode, CONFIG};
pub use crate::routines::Routine;
use cost::Rates;
use once_cell::sync::Lazy;
use std::fmt;
use std::time::Instant;

pub use crate::runtime::stats::Backend;

/// Why a call went where it went (the log's words).
#[derive(Clone, Debug, PartialEq)]
pub enum Reason {
    ModeCpu,
    NoDevice,
    /// A child made by fork() after its parent loaded OpenCL (fork.rs).
    ForkedChild,
    ModeGpu,
    /// The cost model's two estimates, in seconds.
    CostModel { t_cpu: f64, t_gpu: f64 },
    /// `auto` mode without rates (calibration failed).
    NoRates,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::ModeCpu => write!(f, "LAPACK_AI_MODE=cpu"),
            Reason::NoDevice => write!(f, "no OpenCL device"),
            Reason::ForkedChild => write!(f, "forked child: the parent's OpenCL state cannot be used"),
            Reason::ModeGpu => write!(f, "LAPACK_AI_MODE=gpu"),
            Reason::CostModel { t_cpu, t_gpu } => {
                write!(f, "cost model: cpu {:.3} ms, gpu {:.3} ms", t_cpu * 1e3, t_gpu * 1e3)
            }
            Reason::NoRates => write!(f, "no calibration"),
        }
    }
}

/// A routing decision and its reason.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub backend: Backend,
    pub reason: Reason,
}

/// The routing rule, separate from its inputs so that it can be tested.
/// `device` says whether an OpenCL device is usable (or why not: no
/// device, or a forked child); `rates` gives the cost model's rates. Both
/// are only asked for when the answer depends on them.
pub fn decide(
    mode: Mode,
    flops: f64,
    bytes: f64,
    launches: f64,
    device: impl FnOnce() -> Result<(), Reason>,
    rates: impl FnOnce() -> Option<Rates>,
) -> Decision {
    let cpu = |reason| Decision { backend: Backend::Cpu, reason };
    if mode == Mode::Cpu {
        return cpu(Reason::ModeCpu);
    }
    if let Err(why) = device() {
        return cpu(why);
    }
    if mode == Mode::Gpu {
        return Decision { backend: Backend::Gpu, reason: Reason::ModeGpu };
    }
    match rates() {
        None => cpu(Reason::NoRates),
        Some(r) => {
            let (t_cpu, t_gpu) = r.estimate(flops, bytes);
            // Each further round trip host <-> device costs a launch.
            let t_gpu = t_gpu + (launches - 1.0).max(0.0) * r.launch_s;
            let backend = if t_gpu < t_cpu { Backend::Gpu } else { Backend::Cpu };
            Decision { backend, reason: Reason::CostModel { t_cpu, t_gpu } }
        }
    }
}

/// A call about to be routed: its routine, a description of its arguments
/// for the log (only formatted when logging), its flop count, the bytes
/// the GPU path moves between host and device, and the number of
/// synchronous host <-> device round trips it makes (1 for DGEMM; the
/// SVD makes two per band panel).
pub struct Call<D: FnOnce() -> String> {
    pub routine: Routine,
    pub describe: D,
    pub flops: f64,
    pub bytes: f64,
    pub launches: f64,
    /// The family's own terms, when the machine's rates do not describe
    /// it (src/ops/lu/cost.rs): changes the rates for a call of `flops`.
    /// Asked only when the cost model decides.
    pub adjust: Option<fn(&mut Rates, f64)>,
}

/// What a failed GPU attempt leaves: why, and the closure that finishes
/// the call on the CPU (all of it, or the part the GPU did not do), on the
/// call's arguments.
pub type GpuFailure<'a, A, R> = (GpuError, Box<dyn FnOnce(&mut A) -> R + 'a>);

/// A [`GpuFailure`]: `error`, and `finish` to run on the call's arguments.
pub fn failure<'a, A, R>(error: GpuError, finish: impl FnOnce(&mut A) -> R + 'a) -> GpuFailure<'a, A, R> {
    (error, Box::new(finish))
}

/// A GPU implementation of a call (`run`'s `gpu`), a closure on the call's
/// arguments: on an error it says how to finish the call on the CPU
/// ([`GpuFailure`]; the only allocation of a routed call is that box, on a
/// failure). If it panics, [`run`] computes the whole call on the CPU, on
/// the same arguments: so a path that writes the caller's outputs in parts
/// must catch its own panics where it knows what it has written (the GPU
/// DGEMM does, per tile of C); the others write their outputs only at the
/// end, by copies that do not panic.
pub trait GpuPath<'a, A, R>: FnOnce(&mut A) -> Result<R, GpuFailure<'a, A, R>> {}
impl<'a, A, R, F: FnOnce(&mut A) -> Result<R, GpuFailure<'a, A, R>>> GpuPath<'a, A, R> for F {}

/// The cost model's rates for this process: `LAPACK_AI_RATES`, else the
/// calibration cache, else a calibration now (see [`calibrate`]).
/// Found under a catch: a panic in the calibration (a bug) means no rates,
/// not a poisoned Lazy that would fail every later call.
static RATES: Lazy<Option<Rates>> = Lazy::new(|| {
    panic::catch(rates_now).unwrap_or_else(|what| {
        warn::warn(&format!("internal error {what} while calibrating the cost model; GPU routines stay on the CPU in auto mode"));
        None
    })
});

/// The cost model's rates (from the environment, the cache or a
/// calibration now), or None without a device or a calibration, and in a
/// child forked after OpenCL was loaded (whose parent may have been
/// calibrating at the fork: the Lazy would never finish there).
pub fn rates() -> Option<Rates> {
    if fork::opencl_inherited() {
        return None;
    }
    *RATES
}

/// Whether the process has a usable OpenCL device (looked up once), or why
/// not.
fn device_usable() -> Result<(), Reason> {
    if fork::opencl_inherited() {
        return Err(Reason::ForkedChild);
    }
    crate::engine::opencl::device::DEVICE.as_ref().map(drop).map_err(|_| Reason::NoDevice)
}

thread_local! {
    static HOST_STEP: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, a host step of a GPU routine that calls the CPU LAPACK while
/// the routine holds the GPU (the SVD's panel factorizations). A CPU
/// LAPACK linked against this library's `dgemm_` calls back into it from
/// there; such calls go straight to the CPU backend, unrouted, unlogged
/// and uncounted (they are part of the routine's own call): routed to the
/// GPU they would wait for the lock their caller holds.
///
/// The switch is per thread: a CPU LAPACK that called `dgemm_` from its
/// own worker threads inside such a step would still wait for the GPU
/// (reference LAPACK and OpenBLAS make their calls from the caller's).
pub fn host_step<R>(f: impl FnOnce() -> R) -> R {
    /// Restores the switch, also when `f` unwinds.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            HOST_STEP.set(self.0);
        }
    }
    let _restore = Restore(HOST_STEP.replace(true));
    f()
}

/// Routes one call that has passed its argument checks, runs it, logs it.
/// `args` are the call's arguments (views of the caller's arrays, made by
/// the exported function), handed to the path that runs: `cpu` runs the
/// whole call on the CPU backend; `gpu`, where the routine has one, runs it
/// on the GPU, and a failure there hands them to the CPU to finish. Inside
/// a [`host_step`], `cpu` at once.
pub fn run<'a, A, R, D: FnOnce() -> String>(
    call: Call<D>,
    args: &mut A,
    cpu: impl FnOnce(&mut A) -> R,
    gpu: Option<impl GpuPath<'a, A, R>>,
) -> R {
    if HOST_STEP.get() {
        return cpu(args);
    }
    crate::runtime::start_once();
    let rates = || {
        rates().map(|mut r| {
            if let Some(adjust) = call.adjust {
                adjust(&mut r, call.flops);
            }
            r
        })
    };
    let decision = decide(CONFIG.mode, call.flops, call.bytes, call.launches, device_usable, rates);
    let logging = log::enabled();
    // Small CPU calls are timed only now and then (stats.rs: a clock read
    // costs a good part of a small DGEMM).
    let exact = logging || decision.backend == Backend::Gpu || call.flops >= stats::EXACT_FLOPS;
    let scope = stats::Scope::enter(call.routine, exact, decision.backend == Backend::Gpu);
    let mut fell_back: Option<GpuError> = None;
    let mut ran_on = Backend::Cpu;
    let result = match (decision.backend, gpu) {
        (Backend::Gpu, Some(gpu)) => match panic::catch(|| gpu(args)) {
            Ok(Ok(r)) => {
                ran_on = Backend::Gpu;
                r
            }
            Ok(Err((error, finish_on_cpu))) => {
                warn_fallback(call.routine, &error);
                fell_back = Some(error);
                finish_on_cpu(args)
            }
            Err(what) => {
                // A GPU path leaves the caller's outputs untouched when it
                // panics (GpuPath), so the whole call runs on the CPU.
                let error = GpuError::Internal(what);
                warn_fallback(call.routine, &error);
                fell_back = Some(error);
                crate::engine::opencl::context::recover_after_panic();
                cpu(args)
            }
        },
        _ => cpu(args),
    };
    let nanos = scope.finish(ran_on, fell_back.is_some(), call.flops);
    if let (true, Some(nanos)) = (logging, nanos) {
        let elapsed = nanos as f64 * 1e-9;
        let rate = if call.flops > 0.0 && elapsed > 0.0 {
            format!(" {:.2} GFLOP/s", call.flops / elapsed * 1e-9)
        } else {
            String::new()
        };
        let cpu_where = || format!("cpu[{}]", cpu::CPU.provider(call.routine.cpu_symbol()));
        let placed = match (decision.backend, &fell_back) {
            (Backend::Cpu, _) => cpu_where(),
            (Backend::Gpu, None) => format!("gpu[{}]", gpu_name()),
            (Backend::Gpu, Some(e)) => format!("gpu[{}] failed ({e}), fell back to {}", gpu_name(), cpu_where()),
        };
        log::line(&format!(
            "{} {} -> {} ({}) {:.3} ms{}",
            call.routine.symbol(),
            (call.describe)(),
            placed,
            decision.reason,
            elapsed * 1e3,
            rate
        ));
    }
    result
}

/// [`run`] for a routine without a GPU path (yet): the call goes to the
/// CPU LAPACK through `cpu`, logged and counted like the others.
pub fn run_on_cpu<A, R, D: FnOnce() -> String>(call: Call<D>, args: &mut A, cpu: impl FnOnce(&mut A) -> R) -> R {
    run(call, args, cpu, None::<fn(&mut A) -> Result<R, GpuFailure<'static, A, R>>>)
}

fn gpu_name() -> String {
    match crate::engine::opencl::device::DEVICES.as_ref() {
        Ok(all) if all.len() > 1 => format!("{} +{} more", all[0].name, all.len() - 1),
        Ok(all) => all[0].name.clone(),
        Err(_) => "none".into(),
    }
}

/// One warning per routine and cause of failure ([`GpuError::cause`]: the
/// failing step, not the sizes or logs that differ from call to call), so
/// that a long job that keeps falling back does not flood stderr.
fn warn_fallback(routine: Routine, error: &GpuError) {
    static SEEN: Lazy<parking_lot::Mutex<Vec<(Routine, String)>>> = Lazy::new(Default::default);
    let key = (routine, error.cause());
    let mut seen = SEEN.lock();
    if !seen.contains(&key) {
        seen.push(key);
        warn::warn(&format!("GPU {} failed ({error}); computed on the CPU instead", routine.symbol()));
    }
}

/// The rates for `auto` mode, from the environment, the cache, or a
/// calibration run now (and cached).
fn rates_now() -> Option<Rates> {
    if let Some(text) = &CONFIG.rates {
        match Rates::parse(text) {
            Ok(r) => return Some(r),
            Err(e) => warn::warn(&format!("LAPACK_AI_RATES={text:?}: {e}; calibrating instead")),
        }
    }
    let device = crate::engine::opencl::device::DEVICE.as_ref().ok()?;
    let key = format!("{}|{}|{}", device.describe(), cpu::CPU.provider("dgemm_"), env!("CARGO_PKG_VERSION"));
    let recalibrate = CONFIG.recalibrate;
    let cached = (!recalibrate).then(|| crate::runtime::cache::load(crate::runtime::cache::Kind::Rates, &key)).flatten();
    if let Some(r) = cached.and_then(|b| String::from_utf8(b).ok()).and_then(|t| Rates::parse(t.trim()).ok()) {
        return Some(r);
    }
    match calibrate() {
        Ok(r) => {
            crate::runtime::cache::store(crate::runtime::cache::Kind::Rates, &key, r.format().as_bytes());
            Some(r)
        }
        Err(e) => {
            warn::warn(&format!("could not calibrate the cost model ({e}); DGEMM stays on the CPU in auto mode"));
            None
        }
    }
}

/// Measures the four rates: the CPU LAPACK's DGEMM, and the GPU's launch
/// cost, transfer rate and kernel rate (crate::engine::opencl::calibrate).
fn calibrate() -> Result<Rates, GpuError> {
    let (launch_s, h2d_gbs, gpu_gflops) = crate::engine::opencl::calibrate()?;
    // A multithreaded CPU BLAS starts its threads on the first calls and
    // varies from call to call (OpenBLAS on the H100 machine's 16 cores:
    // 16 to 61 GFLOP/s measured cold at 384^3 and 512^3, 300 to 550 warm
    // at 512^3 to 8192^3). Grow the size until one call takes 20 ms (or
    // n = 2048), then take the best of three: large enough to be the rate
    // the calls that matter see, short for a slow reference BLAS.
    let time_cpu = |n: i32| {
        let len = (n * n) as usize;
        let a: Vec<f64> = (0..len).map(|i| ((i * 7919 % 1000) as f64 + 1.0) / 1000.0).collect();
        let mut c = vec![0.0; len];
        let mut best = f64::INFINITY;
        for _ in 0..3 {
            let t = Instant::now();
            // SAFETY: n x n arrays with leading dimension n; hidden lengths 1.
            unsafe {
                (cpu::CPU.dgemm.f)(
                    c"N".as_ptr(), c"N".as_ptr(), &n, &n, &n, &1.0, a.as_ptr(), &n, a.as_ptr(), &n, &0.0,
                    c.as_mut_ptr(), &n, 1, 1,
                )
            };
            best = best.min(t.elapsed().as_secs_f64());
        }
        best
    };
    let mut n: i32 = 128;
    let mut best = time_cpu(n);
    while best < 0.02 && n < 2048 {
        n *= 2;
        best = time_cpu(n);
    }
    let cpu_gflops = 2.0 * (n as f64).powi(3) / best / 1e9;
    Ok(Rates { cpu_gflops, gpu_gflops, h2d_gbs, launch_s })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rates() -> Option<Rates> {
        Some(Rates { cpu_gflops: 100.0, gpu_gflops: 10_000.0, h2d_gbs: 10.0, launch_s: 1e-4 })
    }

    #[test]
    fn a_routine_without_a_gpu_path_runs_its_cpu_path_on_borrowed_arguments() {
        let mut data = [1.0, 2.0, 3.0, 4.0];
        let mut a = crate::matrix::MatMut::from_slice(&mut data, 2, 2, 2);
        let call = Call { routine: Routine::Dgesv, describe: String::new, flops: 1.0, bytes: 1.0, launches: 1.0, adjust: None };
        // Inside a host step, so that the test needs no device or rates.
        let trace = host_step(|| run_on_cpu(call, &mut a, |a| a.col_mut(1).iter_mut().map(|x| std::mem::replace(x, 0.0)).sum::<f64>()));
        assert_eq!((trace, data), (7.0, [1.0, 2.0, 0.0, 0.0]));
    }

    #[test]
    fn the_rule_in_order() {
        let never = || -> Result<(), Reason> { panic!("device looked up without need") };
        let no_rates = || -> Option<Rates> { panic!("rates asked without need") };
        assert_eq!(decide(Mode::Cpu, 1e12, 1e6, 1.0, never, no_rates).reason, Reason::ModeCpu);
        assert_eq!(decide(Mode::Gpu, 1.0, 1.0, 1.0, || Err(Reason::NoDevice), no_rates).reason, Reason::NoDevice);
        assert_eq!(decide(Mode::Auto, 1.0, 1.0, 1.0, || Err(Reason::ForkedChild), no_rates).reason, Reason::ForkedChild);
        assert_eq!(decide(Mode::Gpu, 1.0, 1.0, 1.0, || Ok(()), no_rates).backend, Backend::Gpu);
        assert_eq!(decide(Mode::Auto, 1e12, 1e6, 1.0, || Ok(()), || None).reason, Reason::NoRates);
        // Large: the GPU; small: the CPU.
        assert_eq!(decide(Mode::Auto, 2e12, 8e8, 1.0, || Ok(()), rates).backend, Backend::Gpu);
        assert_eq!(decide(Mode::Auto, 2e3, 8e2, 1.0, || Ok(()), rates).backend, Backend::Cpu);
        // Round trips count: 10^4 of them (0.1 ms each) outweigh the
        // 2e12-flop product's gain (20 s on the CPU against 0.28 s).
        assert_eq!(decide(Mode::Auto, 2e12, 8e8, 1e6, || Ok(()), rates).backend, Backend::Cpu);
    }
}
