//! Routing: every interposed routine passes through [`run`], which decides
//! CPU or GPU for the call, runs it (falling back to the CPU if the GPU
//! fails), and logs the decision and its time.
//!
//! The rule ([`decide`]): `LAPACK_AI_MODE=cpu` -> CPU; a routine without a
//! GPU implementation -> CPU; no usable OpenCL device -> CPU;
//! `LAPACK_AI_MODE=gpu` -> GPU; otherwise the cost model ([`cost`]), its
//! predictions corrected by what it learned from earlier calls of the same
//! class ([`model`]), and the GPU's set-up charged to the call that would
//! start it.

pub mod cost;
pub mod model;

use crate::runtime::{config, fork, log, panic, stats, warn};

use crate::engine::cpu;
use crate::engine::opencl::error::GpuError;
use config::{Mode, CONFIG};
pub use crate::routines::Routine;
use cost::Rates;
use model::{Class, Device};
use once_cell::sync::Lazy;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

pub use crate::runtime::stats::Backend;

/// Why a call went where it went (the log's words).
#[derive(Clone, Debug, PartialEq)]
pub enum Reason {
    ModeCpu,
    NoDevice,
    /// An earlier process found no usable device (src/dispatch/model.rs).
    NoDeviceRemembered,
    /// A child made by fork() after its parent loaded OpenCL (fork.rs).
    ForkedChild,
    ModeGpu,
    /// The cost model's estimates.
    CostModel(Estimate),
    /// `auto` mode without rates (calibration failed).
    NoRates,
    /// The routine has no GPU path (yet).
    NoGpuPath,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::ModeCpu => write!(f, "LAPACK_AI_MODE=cpu"),
            // The cause: why the selection found no device, or why the
            // device found did not start.
            Reason::NoDevice => {
                let why = match Lazy::get(&crate::engine::opencl::device::DEVICE) {
                    Some(Err(why)) => why.clone(),
                    _ => model::with(|s| match &s.device {
                        Device::Absent(why) => why.clone(),
                        _ => String::new(),
                    }),
                };
                if why.is_empty() {
                    write!(f, "no usable OpenCL device")
                } else {
                    write!(f, "{why}")
                }
            }
            Reason::NoDeviceRemembered => {
                let why = model::with(|s| match &s.device {
                    Device::Absent(why) => why.clone(),
                    _ => String::new(),
                });
                write!(f, "no usable OpenCL device, as an earlier process found ({why}); LAPACK_AI_RECALIBRATE=1 looks again")
            }
            Reason::ForkedChild => write!(f, "forked child: the parent's OpenCL state cannot be used"),
            Reason::ModeGpu => write!(f, "LAPACK_AI_MODE=gpu"),
            Reason::CostModel(e) => {
                write!(f, "cost model {}: cpu {} ms, gpu {} ms", e.class.label(e.shape_name), ms(e.t_cpu), ms(e.t_gpu))?;
                if e.start_s > 0.0 {
                    write!(f, " + {} ms to set the GPU up", ms(e.start_s))?;
                }
                Ok(())
            }
            Reason::NoRates => write!(f, "no calibration"),
            Reason::NoGpuPath => write!(f, "no GPU path"),
        }
    }
}

/// Seconds in milliseconds for the log: three decimals, six below 0.1 ms.
fn ms(seconds: f64) -> String {
    let ms = seconds * 1e3;
    if ms < 0.1 {
        format!("{ms:.6}")
    } else {
        format!("{ms:.3}")
    }
}

/// A routing decision and its reason.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub backend: Backend,
    pub reason: Reason,
}

/// The cost model's view of one call: its predicted times on each backend
/// (corrected by what was learned: [`model`]), the same before the
/// correction, and the seconds the GPU's set-up would add (0 once it is
/// set up in this process).
#[derive(Clone, Copy, Debug)]
pub struct Estimate {
    pub t_cpu: f64,
    pub t_gpu: f64,
    pub base_cpu: f64,
    pub base_gpu: f64,
    pub start_s: f64,
    /// The call's class (its CPU one: [`Class::on`] the backend that ran
    /// gives the class to learn into), and the family's names of shapes.
    pub class: Class,
    pub shape_name: fn(u8) -> String,
    /// Whether the corrections were looked up (and so may be learned).
    pub corrected: bool,
}

/// Equal predictions of one class (the names of shapes are not compared:
/// the same function may have two addresses).
impl PartialEq for Estimate {
    fn eq(&self, o: &Estimate) -> bool {
        (self.t_cpu, self.t_gpu, self.base_cpu, self.base_gpu, self.start_s, self.class, self.corrected)
            == (o.t_cpu, o.t_gpu, o.base_cpu, o.base_gpu, o.start_s, o.class, o.corrected)
    }
}

/// What starting the GPU is charged, as a multiple of the set-up time
/// measured in the call that started it: a process that starts the GPU also
/// pays for releasing it at exit, outside any call. Measured on the H100
/// machine, 2026-12-07 (bench/RESULTS.md, "Issue 17", the GPU check): one
/// `dgemm_` of order 4096 per process, 256 ms of set-up inside the call,
/// and the whole process 0.11 s longer around the call than one that kept
/// to the CPU (0.355 s against 0.243 s): about 1.4x the set-up in all.
/// Charging 1x took the GPU for that call at a predicted gain of 1%, and
/// the process ran 1.39x longer than OpenBLAS alone.
pub(crate) const START_CHARGE: f64 = 1.5;

/// The routing rule, separate from its inputs so that it can be tested.
/// `device` says whether an OpenCL device is usable, with the seconds of
/// set-up a GPU call would pay first (or why not: no device, or a forked
/// child); `estimate` gives the cost model's view of the call ([`Estimate`]
/// without its `start_s`); `bank(saving, start)` adds `saving` to the time
/// the GPU would have saved so far, and says whether that reached `start`.
/// Each is only asked for when the answer depends on it.
///
/// In `auto` mode the GPU is taken when it is predicted faster, set-up
/// included (charged [`START_CHARGE`] times); or faster without its set-up,
/// once the calls that would have gained from it add up to that charge
/// (so that a program that
/// makes many calls pays for it once, and one with a few short calls
/// never).
pub fn decide(
    mode: Mode,
    device: impl FnOnce() -> Result<f64, Reason>,
    estimate: impl FnOnce() -> Option<Estimate>,
    bank: impl FnOnce(f64, f64) -> bool,
) -> Decision {
    let cpu = |reason| Decision { backend: Backend::Cpu, reason };
    if mode == Mode::Cpu {
        return cpu(Reason::ModeCpu);
    }
    let start_s = match device() {
        Err(why) => return cpu(why),
        Ok(s) => s,
    };
    if mode == Mode::Gpu {
        return Decision { backend: Backend::Gpu, reason: Reason::ModeGpu };
    }
    match estimate() {
        None => cpu(Reason::NoRates),
        Some(e) => {
            let start_s = start_s * START_CHARGE;
            let e = Estimate { start_s, ..e };
            let gpu = e.t_gpu < e.t_cpu && (start_s <= 0.0 || e.t_gpu + start_s < e.t_cpu || bank(e.t_cpu - e.t_gpu, start_s));
            Decision { backend: if gpu { Backend::Gpu } else { Backend::Cpu }, reason: Reason::CostModel(e) }
        }
    }
}

/// A call about to be routed: its routine, a description of its arguments
/// for the log (only formatted when logging), its flop count, the bytes
/// the GPU path moves between host and device, the number of
/// synchronous host <-> device round trips it makes (1 for DGEMM; the
/// SVD makes two per band panel), and the class of its shape.
pub struct Call<D: FnOnce() -> String> {
    pub routine: Routine,
    pub describe: D,
    pub flops: f64,
    pub bytes: f64,
    pub launches: f64,
    /// The family's code for the shape of the call's operands (DGEMM's:
    /// [`cost::gemm_shape`]): calls of one routine, shape and size learn
    /// together ([`model`]).
    pub shape: u8,
    /// The code's name for the log.
    pub shape_name: fn(u8) -> String,
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

/// The cost model's rates (from the environment, the machine's entry in
/// the cache, or a calibration now), or None without a device or a
/// calibration, and in a child forked after OpenCL was loaded (whose
/// parent may have been calibrating at the fork).
pub fn rates() -> Option<Rates> {
    if fork::opencl_inherited() {
        return None;
    }
    known();
    Known::rates()
}

/// What routing reads on every call, kept in atomics so that it takes no
/// lock: the store's device, set-up time and rates, published by
/// [`Known::publish`] whenever they change.
struct Known;

/// 0: unknown, 1: absent, 2: present.
static DEVICE_STATE: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);
static FIRST_USE: AtomicU64 = AtomicU64::new(0);
static HAS_RATES: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static RATES_BITS: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];

impl Known {
    fn publish(s: &model::Store) {
        let rates = FIXED.or(s.rates);
        if let Some(r) = rates {
            for (slot, v) in RATES_BITS.iter().zip([r.cpu_gflops, r.gpu_gflops, r.h2d_gbs, r.launch_s]) {
                slot.store(v.to_bits(), Relaxed);
            }
        }
        HAS_RATES.store(rates.is_some(), Relaxed);
        FIRST_USE.store(s.first_use_s.unwrap_or(0.0).to_bits(), Relaxed);
        DEVICE_STATE.store(
            match s.device {
                Device::Unknown => 0,
                Device::Absent(_) => 1,
                Device::Present(_) => 2,
            },
            Relaxed,
        );
    }

    fn rates() -> Option<Rates> {
        HAS_RATES.load(Relaxed).then(|| {
            let [cpu_gflops, gpu_gflops, h2d_gbs, launch_s] = [0, 1, 2, 3].map(|i| f64::from_bits(RATES_BITS[i].load(Relaxed)));
            Rates { cpu_gflops, gpu_gflops, h2d_gbs, launch_s }
        })
    }
}

/// Makes sure the device and the rates are known: read from the machine's
/// entry (src/dispatch/model.rs), else looked for and measured now (once
/// per machine: the entry is written at once). `LAPACK_AI_RATES` replaces
/// the measured rates.
fn known() {
    static KNOWN: Lazy<()> = Lazy::new(|| {
        if let Err(what) = panic::catch(find_and_calibrate) {
            warn::warn(&format!("internal error {what} while calibrating the cost model; GPU routines stay on the CPU in auto mode"));
        }
    });
    if Lazy::get(&KNOWN).is_none() {
        fork::unfinished(|| Lazy::force(&KNOWN));
    }
}

/// `LAPACK_AI_RATES`, parsed (a bad value is reported once): these rates
/// replace the measured ones, and are not stored.
static FIXED: Lazy<Option<Rates>> = Lazy::new(|| {
    CONFIG.rates.as_deref().and_then(|text| {
        Rates::parse(text).map_err(|e| warn::warn(&format!("LAPACK_AI_RATES={text:?}: {e}; calibrating instead"))).ok()
    })
});

fn find_and_calibrate() {
    let fixed = *FIXED;
    let (device, stored) = model::with(|s| (s.device.clone(), s.rates));
    let known_enough = match device {
        Device::Absent(_) => true,
        Device::Present(_) => stored.is_some() || fixed.is_some(),
        Device::Unknown => false,
    };
    if known_enough {
        model::with(|s| Known::publish(s));
        return;
    }
    // Nothing known (or a device without rates): look for the device and
    // set it up (what a process pays before its first GPU call, which
    // start_gpu remembers; kernels are loaded, or built once per machine,
    // by the calls that use them, and their time is left out of what the
    // model learns from those calls), then measure.
    if start_gpu() && fixed.is_none() {
        let t0 = Instant::now();
        let rates = match calibrate() {
            Ok((r, seeds)) => {
                model::with(|s| seeds.into_iter().for_each(|(class, ratio)| s.seed(class, ratio)));
                Some(r)
            }
            Err(e) => {
                warn::warn(&format!("could not calibrate the cost model ({e}); GPU routines stay on the CPU in auto mode"));
                None
            }
        };
        if log::enabled() {
            log::line(&format!(
                "set-up: cost model calibrated in {:.3} s ({}); kept for this machine",
                t0.elapsed().as_secs_f64(),
                rates.map_or("failed".into(), |r| r.format())
            ));
        }
        if let Some(r) = rates {
            model::with(|s| s.set_rates(r));
        }
    }
    model::with(|s| Known::publish(s));
    model::save();
}

/// Whether the process can use an OpenCL device, and the seconds of set-up
/// a GPU call would pay first; or why not. In `auto` mode a device an
/// earlier process found is taken on its word, without loading OpenCL,
/// until a call is routed to it; in `gpu` mode the device is looked for
/// now.
fn device_usable(mode: Mode) -> Result<f64, Reason> {
    if fork::opencl_inherited() {
        return Err(Reason::ForkedChild);
    }
    if crate::engine::opencl::ready() {
        return Ok(0.0);
    }
    if mode == Mode::Gpu {
        return crate::engine::opencl::device::DEVICE.as_ref().map(|_| 0.0).map_err(|_| Reason::NoDevice);
    }
    known();
    match DEVICE_STATE.load(Relaxed) {
        2 => Ok(f64::from_bits(FIRST_USE.load(Relaxed))),
        1 if Lazy::get(&crate::engine::opencl::device::DEVICE).is_none() => Err(Reason::NoDeviceRemembered),
        _ => Err(Reason::NoDevice),
    }
}

/// The cost model's view of `call` (without the set-up time), or None
/// without rates.
fn estimate<D: FnOnce() -> String>(call: &Call<D>) -> Option<Estimate> {
    let mut r = Known::rates()?;
    if let Some(adjust) = call.adjust {
        adjust(&mut r, call.flops);
    }
    let (base_cpu, t_gpu) = r.estimate(call.flops, call.bytes);
    // Each further round trip host <-> device costs a launch.
    let base_gpu = t_gpu + (call.launches - 1.0).max(0.0) * r.launch_s;
    let class = Class::new(call.routine, Backend::Cpu, call.shape, call.flops);
    // Far apart, no correction can change the answer; and a call predicted
    // shorter than the GPU's fixed cost on the CPU gains little anywhere:
    // routed on the rates alone, without a lookup (no lock on the way of
    // small calls).
    let corrected = base_gpu < base_cpu * model::LOOKUP_SPREAD
        && base_cpu < base_gpu * model::LOOKUP_SPREAD
        && !(base_cpu < model::SMALL_S && base_cpu < base_gpu);
    let (t_cpu, t_gpu) = if corrected {
        model::with(|s| (base_cpu * s.correction(class), base_gpu * s.correction(class.on(Backend::Gpu))))
    } else {
        (base_cpu, base_gpu)
    };
    Some(Estimate { t_cpu, t_gpu, base_cpu, base_gpu, start_s: 0.0, class, shape_name: call.shape_name, corrected })
}

/// The seconds the GPU would have saved so far in this process, had it
/// been set up ([`decide`]'s `bank`), as f64 bits.
static SAVED: AtomicU64 = AtomicU64::new(0);

fn bank(saving: f64, start: f64) -> bool {
    let mut total = 0.0;
    let _ = SAVED.fetch_update(Relaxed, Relaxed, |bits| {
        total = f64::from_bits(bits) + saving.max(0.0);
        Some(total.to_bits())
    });
    total >= start
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
    let mut decision = if gpu.is_none() {
        Decision { backend: Backend::Cpu, reason: Reason::NoGpuPath }
    } else {
        decide(CONFIG.mode, || device_usable(CONFIG.mode), || estimate(&call), bank)
    };
    let logging = log::enabled();
    // Small CPU calls are timed only now and then (stats.rs: a clock read
    // costs a good part of a small DGEMM).
    let exact = logging || decision.backend == Backend::Gpu || call.flops >= stats::EXACT_FLOPS;
    let scope = stats::Scope::enter(call.routine, exact, decision.backend == Backend::Gpu);
    let setup0 = crate::engine::opencl::thread_setup_seconds();
    if decision.backend == Backend::Gpu && !crate::engine::opencl::ready() && !start_gpu() {
        decision = Decision { backend: Backend::Cpu, reason: Reason::NoDevice };
    }
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
    // What the cost model predicted for the backend that ran, and learns.
    let mut predicted = None;
    if let (Reason::CostModel(e), Some(nanos), None) = (&decision.reason, nanos, &fell_back) {
        let setup = crate::engine::opencl::thread_setup_seconds() - setup0;
        let measured = (nanos as f64 * 1e-9 - setup).max(1e-9);
        let (base, corrected) = match ran_on {
            Backend::Cpu => (e.base_cpu, e.t_cpu),
            Backend::Gpu => (e.base_gpu, e.t_gpu),
        };
        predicted = Some(corrected);
        if measured.max(corrected) >= model::SMALL_S && !(0.5..=2.0).contains(&(measured / corrected)) {
            stats::add_misprediction(call.routine);
        }
        if e.corrected && CONFIG.learn {
            model::with(|s| s.observe(e.class.on(ran_on), base, measured));
        }
    }
    if let (true, Some(nanos)) = (logging, nanos) {
        let elapsed = nanos as f64 * 1e-9;
        let rate = if call.flops > 0.0 && elapsed > 0.0 {
            format!(" {:.2} GFLOP/s", call.flops / elapsed * 1e-9)
        } else {
            String::new()
        };
        let cpu_where = || format!("cpu[{}]", cpu::provider_here(call.routine.cpu_symbol()));
        let placed = match (decision.backend, &fell_back) {
            (Backend::Cpu, _) => cpu_where(),
            (Backend::Gpu, None) => format!("gpu[{}]", gpu_name()),
            (Backend::Gpu, Some(e)) => format!("gpu[{}] failed ({e}), fell back to {}", gpu_name(), cpu_where()),
        };
        let predicted = predicted.map_or(String::new(), |p| format!(", predicted {} ms", ms(p)));
        log::line(&format!(
            "{} {} -> {} ({}) {:.3} ms{}{}",
            call.routine.symbol(),
            (call.describe)(),
            placed,
            decision.reason,
            elapsed * 1e3,
            rate,
            predicted
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

/// Sets the device up, for the call the cost model sent to it (its set-up
/// time was charged to that call) or for the calibration, and remembers
/// how long that took, or that there is no device after all (then false:
/// the call runs on the CPU).
fn start_gpu() -> bool {
    let setup0 = crate::engine::opencl::setup_seconds();
    let started = crate::engine::opencl::warm_up();
    let setup = crate::engine::opencl::setup_seconds() - setup0;
    let found = crate::engine::opencl::device::DEVICE.as_ref().map(|d| d.describe());
    if log::enabled() {
        match (&started, &found) {
            (Ok(()), Ok(describe)) => log::line(&format!("set-up: started {describe} in {} ms", ms(setup))),
            (_, Err(why)) => log::line(&format!(
                "set-up: no usable OpenCL device ({why}), found in {} ms; remembered for this machine: later processes do not look again",
                ms(setup)
            )),
            (Err(e), Ok(_)) => log::line(&format!("set-up: the OpenCL device did not start ({e})")),
        }
    }
    model::with(|s| {
        match (started, found) {
            (Ok(()), Ok(describe)) => {
                if s.device != Device::Present(describe.clone()) {
                    // Another device than the one remembered: its rates
                    // are measured by the next process.
                    s.new_device(Device::Present(describe));
                }
                s.set_first_use(setup);
            }
            (_, Err(why)) => s.new_device(Device::Absent(why.clone())),
            (Err(e), Ok(_)) => s.new_device(Device::Absent(format!("the device did not start: {e}"))),
        }
        Known::publish(s);
        matches!(s.device, Device::Present(_))
    })
}

/// Measures the four rates: the CPU LAPACK's DGEMM, and the GPU's launch
/// cost, transfer rate and kernel rate (crate::engine::opencl::calibrate).
fn calibrate() -> Result<(Rates, Vec<(Class, f64)>), GpuError> {
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
    let rates = Rates { cpu_gflops, gpu_gflops, h2d_gbs, launch_s };
    let is_gpu = crate::engine::opencl::device::DEVICE.as_ref().is_ok_and(|d| d.is_gpu);
    Ok((rates, shape_probes(&rates, is_gpu)))
}

/// The products LAPACK's drivers make most besides square ones, measured
/// on both backends from host memory: `op(A)ᵀ` times a block of 32
/// columns (`W := Cᵀ V` in applying block reflectors: the eigensolver's
/// and the QR's back-transformations), and rank-32 updates `C -= V Wᵀ` and
/// `C -= L U` (their other half, and the LU's trailing update). Each
/// gives the correction of its class on each backend: what the square
/// rates mispredict for such shapes (on the H100 machine, a 4096 x 32 x
/// 3424 product with A transposed took 2.7x its prediction on the GPU).
/// Order `n` 4096 on a GPU (192 on a CPU device, where this runs only in
/// tests), each timed best of two after one untimed run.
fn shape_probes(rates: &Rates, is_gpu: bool) -> Vec<(Class, f64)> {
    use crate::engine::opencl::gemm;
    use crate::matrix::{MatMut, MatRef};
    let (n, thin) = if is_gpu { (4096usize, 32usize) } else { (192, 16) };
    let big: Vec<f64> = (0..n * n).map(|i| ((i * 7919 % 1000) as f64 + 1.0) / 1000.0).collect();
    let mut c = vec![0.5; n * n];
    let mut seeds = Vec::new();
    // (transa, transb, m, n, k, beta)
    for (ta, tb, m, nn, k, beta) in [(true, false, n, thin, n, 0.0), (false, true, n, n, thin, 1.0), (false, false, n, n, thin, 1.0)] {
        let (ar, ac) = if ta { (k, m) } else { (m, k) };
        let (br, bc) = if tb { (nn, k) } else { (k, nn) };
        let a = MatRef::from_slice(&big[..ar * ac], ar, ac, ar.max(1));
        let b = MatRef::from_slice(&big[..br * bc], br, bc, br.max(1));
        let time = |f: &mut dyn FnMut(MatMut<'_>) -> bool, c: &mut Vec<f64>| -> Option<f64> {
            let mut best = f64::INFINITY;
            for rep in 0..3 {
                let t = Instant::now();
                if !f(MatMut::from_slice(&mut c[..m * nn], m, nn, m.max(1))) {
                    return None;
                }
                if rep > 0 {
                    best = best.min(t.elapsed().as_secs_f64());
                }
            }
            Some(best)
        };
        let on_cpu = time(&mut |c| {
            cpu::on_views::dgemm(ta, tb, -1.0, a, b, beta, c);
            true
        }, &mut c);
        let g = gemm::Gemm::new(ta, tb, -1.0, a, b, beta);
        let on_gpu = time(&mut |c| gemm::dgemm(&g, c).is_ok(), &mut c);
        let (flops, bytes) = cost::gemm_terms(m, nn, k, beta);
        let (p_cpu, p_gpu) = rates.estimate(flops, bytes);
        let shape = cost::gemm_shape(ta, tb, m, nn, k);
        for (backend, measured, predicted) in [(Backend::Cpu, on_cpu, p_cpu), (Backend::Gpu, on_gpu, p_gpu)] {
            if let Some(t) = measured {
                seeds.push((Class::new(Routine::Dgemm, backend, shape, flops), t / predicted));
            }
        }
    }
    seeds
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An estimate of cpu and gpu seconds, uncorrected.
    fn est(t_cpu: f64, t_gpu: f64) -> Estimate {
        Estimate {
            t_cpu,
            t_gpu,
            base_cpu: t_cpu,
            base_gpu: t_gpu,
            start_s: 0.0,
            class: Class::new(Routine::Dgemm, Backend::Cpu, 0, 1e9),
            shape_name: cost::plain_shape_name,
            corrected: true,
        }
    }

    #[test]
    fn a_routine_without_a_gpu_path_runs_its_cpu_path_on_borrowed_arguments() {
        let mut data = [1.0, 2.0, 3.0, 4.0];
        let mut a = crate::matrix::MatMut::from_slice(&mut data, 2, 2, 2);
        let call = Call { routine: Routine::Dgesv, describe: String::new, flops: 1.0, bytes: 1.0, launches: 1.0, shape: 0, shape_name: cost::plain_shape_name, adjust: None };
        // Inside a host step, so that the test needs no device or rates.
        let trace = host_step(|| run_on_cpu(call, &mut a, |a| a.col_mut(1).iter_mut().map(|x| std::mem::replace(x, 0.0)).sum::<f64>()));
        assert_eq!((trace, data), (7.0, [1.0, 2.0, 0.0, 0.0]));
    }

    #[test]
    fn the_rule_in_order() {
        let never = || -> Result<f64, Reason> { panic!("device looked up without need") };
        let no_estimate = || -> Option<Estimate> { panic!("estimate asked without need") };
        let no_bank = |_: f64, _: f64| -> bool { panic!("bank asked without need") };
        assert_eq!(decide(Mode::Cpu, never, no_estimate, no_bank).reason, Reason::ModeCpu);
        assert_eq!(decide(Mode::Gpu, || Err(Reason::NoDevice), no_estimate, no_bank).reason, Reason::NoDevice);
        assert_eq!(decide(Mode::Auto, || Err(Reason::ForkedChild), no_estimate, no_bank).reason, Reason::ForkedChild);
        assert_eq!(decide(Mode::Auto, || Err(Reason::NoDeviceRemembered), no_estimate, no_bank).backend, Backend::Cpu);
        assert_eq!(decide(Mode::Gpu, || Ok(0.2), no_estimate, no_bank).backend, Backend::Gpu);
        assert_eq!(decide(Mode::Auto, || Ok(0.0), || None, no_bank).reason, Reason::NoRates);
        // Set up: the faster backend.
        assert_eq!(decide(Mode::Auto, || Ok(0.0), || Some(est(2.0, 0.1)), no_bank).backend, Backend::Gpu);
        assert_eq!(decide(Mode::Auto, || Ok(0.0), || Some(est(0.1, 0.2)), no_bank).backend, Backend::Cpu);
        // Not set up yet: a call that pays for the set-up takes the GPU...
        let d = decide(Mode::Auto, || Ok(0.5), || Some(est(2.0, 0.1)), no_bank);
        assert_eq!((d.backend, d.reason), (Backend::Gpu, Reason::CostModel(Estimate { start_s: 0.5 * START_CHARGE, ..est(2.0, 0.1) })));
        // ... not one that pays for the set-up alone but not for its
        // release at exit (the H100's DGEMM of order 4096: START_CHARGE).
        assert_eq!(decide(Mode::Auto, || Ok(0.273), || Some(est(0.325, 0.048)), |_, _| false).backend, Backend::Cpu);
        // ... one that does not waits until the gains it missed add up to
        // the set-up's time.
        let saved = std::cell::Cell::new(0.0);
        let bank = |gain: f64, start: f64| {
            saved.set(saved.get() + gain);
            saved.get() >= start
        };
        // (a gain of 0.1 s a call, a set-up of 0.5 s charged 0.75 s)
        let backends: Vec<Backend> = (0..9).map(|_| decide(Mode::Auto, || Ok(0.5), || Some(est(0.2, 0.1)), bank).backend).collect();
        assert_eq!(backends, [[Backend::Cpu; 7].as_slice(), &[Backend::Gpu; 2]].concat());
        // A call the GPU would not speed up never counts.
        assert_eq!(decide(Mode::Auto, || Ok(0.5), || Some(est(0.1, 0.2)), no_bank).backend, Backend::Cpu);
    }
}
