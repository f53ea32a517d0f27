//! What the library did: per-routine counters of every routed call, read
//! by the profile at exit (`LAPACK_AI_PROFILE`), the monitor
//! (`LAPACK_AI_MONITOR`, [`super::monitor`]) and the C API
//! (`lapack_ai_stats_json`).
//!
//! For each routine of [`Routine::ALL`]: calls, time and flops on each
//! backend, GPU calls that fell back to the CPU, and bytes moved to and
//! from the device. A call is counted once it has passed its argument
//! checks and quick returns, that is when the dispatcher
//! (src/dispatch/mod.rs) routes it; a call that fell back counts as a CPU
//! call (where it finished) and as a fallback. A LAPACK driver that the CPU LAPACK runs calls `dgemm_`
//! itself: those calls are counted as `dgemm_` calls too, and their time is
//! also inside the driver's.
//!
//! Cost: the counters are always on (so that `lapack_ai_stats_json` has
//! something to read without configuration). Each thread adds to its own
//! block of counters: plain loads and stores of relaxed atomics that only
//! that thread writes, no locked instruction and no shared cache line on
//! the call path. Readers sum the blocks of live threads and of those that
//! have exited ([`RETIRED`]) under [`REGISTRY`]'s lock.
//!
//! Time: reading the clock twice costs about 110 ns on the project's
//! 2-core VM (clock_gettime 56 ns, bench/RESULTS.md), a third of a 16^3
//! DGEMM on OpenBLAS. So every call is counted, but not every call is
//! timed: calls routed to the GPU, calls of at least [`EXACT_FLOPS`], and
//! every call while the log is on are timed exactly, and so are the first
//! [`TIME_FIRST`] calls of each routine in each thread; the other (small,
//! CPU) calls are timed one in about [`SAMPLE_EVERY`], per thread and
//! routine, at random intervals (so that a periodic pattern of sizes is
//! not aliased). Their total time is estimated as their count times the
//! mean of the timed ones. Calls, flops, bytes and
//! fallbacks are exact. Measured overhead: bench/RESULTS.md, "Profiling
//! overhead".

use super::config::{ProfileTarget, CONFIG};
use super::warn::warn;
use crate::routines::Routine;
use once_cell::sync::OnceCell;
use once_cell::sync::Lazy;
use super::lock::ForkSafeMutex;
use std::cell::Cell;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Calls of at least this many flops are always timed (4 MFLOP: 8 us or
/// more at 500 GFLOP/s, against about 0.1 us for the two clock reads).
pub(crate) const EXACT_FLOPS: f64 = 4e6;
/// Smaller CPU calls are timed one in this many, on average, ...
pub(crate) const SAMPLE_EVERY: u32 = 256;
/// ... after the first this many of each routine in each thread, which are
/// all timed (so that a short run is timed exactly, and the first, cold
/// call is not taken as typical).
pub(crate) const TIME_FIRST: u32 = 256;

/// How a call is timed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timing {
    Exact,
    /// One of the sampled calls.
    Sampled,
    /// Counted with the sampled calls, not timed.
    Untimed,
}

const FIELDS: usize = 16;

/// The counters of one routine, in one thread's block (or the retired sum).
/// Arrays by backend: index 0 CPU, 1 GPU.
struct Cells {
    calls: [AtomicU64; 2],
    flops: [AtomicU64; 2],
    /// The exactly timed calls and their time.
    exact_calls: [AtomicU64; 2],
    nanos: [AtomicU64; 2],
    /// The calls of the sampled kind (calls - exact_calls) that were
    /// timed, and their time.
    small_timed: [AtomicU64; 2],
    small_nanos: [AtomicU64; 2],
    fallbacks: AtomicU64,
    h2d: AtomicU64,
    d2h: AtomicU64,
    /// Calls routed by the cost model whose measured time was more than
    /// twice, or less than half, the prediction (src/dispatch/model.rs).
    mispredicted: AtomicU64,
}

// Constants used only as initial values (each use is a fresh zero).
#[allow(clippy::declare_interior_mutable_const)]
const ZERO: AtomicU64 = AtomicU64::new(0);
#[allow(clippy::declare_interior_mutable_const)]
const ZEROS: Cells = Cells {
    calls: [ZERO; 2],
    flops: [ZERO; 2],
    exact_calls: [ZERO; 2],
    nanos: [ZERO; 2],
    small_timed: [ZERO; 2],
    small_nanos: [ZERO; 2],
    fallbacks: ZERO,
    h2d: ZERO,
    d2h: ZERO,
    mispredicted: ZERO,
};
#[allow(clippy::declare_interior_mutable_const)]
const NO_SKIP: Cell<u32> = Cell::new(0);
#[allow(clippy::declare_interior_mutable_const)]
const WARM: Cell<u32> = Cell::new(TIME_FIRST);

impl Cells {
    fn fields(&self) -> [&AtomicU64; FIELDS] {
        let [c0, c1] = &self.calls;
        let [f0, f1] = &self.flops;
        let [n0, n1] = &self.nanos;
        let [s0, s1] = &self.exact_calls;
        let [t0, t1] = &self.small_timed;
        let [m0, m1] = &self.small_nanos;
        [c0, c1, f0, f1, n0, n1, s0, s1, t0, t1, m0, m1, &self.fallbacks, &self.h2d, &self.d2h, &self.mispredicted]
    }
}

/// Adds to a counter that only the calling thread writes: a load and a
/// store, no read-modify-write, so nothing is locked. Readers on other
/// threads see the old or the new value, never a torn one.
fn bump(counter: &AtomicU64, v: u64) {
    counter.store(counter.load(Relaxed).wrapping_add(v), Relaxed);
}

/// A thread's block: its counters, the routine it is running (for
/// [`add_transfer`]), and the sampling state (calls to skip before the
/// next timed one, per routine; a xorshift state for the intervals).
///
/// A constant-initialised thread-local without destructor, so that the
/// call path reaches it with one TLS address lookup and no
/// initialisation check; [`Guard`], a second thread-local touched once per
/// thread, deregisters it when the thread exits.
struct Block {
    cells: [Cells; Routine::ALL.len()],
    current: Cell<Option<Routine>>,
    skip: [Cell<u32>; Routine::ALL.len()],
    /// Calls still to be timed exactly before sampling starts.
    warm: [Cell<u32>; Routine::ALL.len()],
    random: Cell<u32>,
    registered: Cell<bool>,
}

impl Block {
    /// Timing for a call that may be sampled: the first [`TIME_FIRST`]
    /// exactly, then one after every 128..383 (mean [`SAMPLE_EVERY`])
    /// skipped.
    #[inline]
    fn sample(&self, routine: Routine) -> Timing {
        let skip = &self.skip[routine.index()];
        match skip.get() {
            0 => {
                let warm = &self.warm[routine.index()];
                if warm.get() > 0 {
                    warm.set(warm.get() - 1);
                    return Timing::Exact;
                }
                let mut x = self.random.get();
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                self.random.set(x);
                skip.set(SAMPLE_EVERY / 2 + x % SAMPLE_EVERY);
                Timing::Sampled
            }
            n => {
                skip.set(n - 1);
                Timing::Untimed
            }
        }
    }

    /// Counts one finished call.
    #[inline]
    fn add(&self, routine: Routine, ran_on: Backend, timing: Timing, nanos: u64, flops: f64, fell_back: bool) {
        let b = match ran_on {
            Backend::Cpu => 0,
            Backend::Gpu => 1,
        };
        let cells = &self.cells[routine.index()];
        bump(&cells.calls[b], 1);
        // `as` saturates; 2^64 flops is five hours at 1 PFLOP/s.
        bump(&cells.flops[b], flops as u64);
        match timing {
            Timing::Exact => {
                bump(&cells.exact_calls[b], 1);
                bump(&cells.nanos[b], nanos);
            }
            Timing::Sampled => {
                bump(&cells.small_timed[b], 1);
                bump(&cells.small_nanos[b], nanos);
            }
            Timing::Untimed => {}
        }
        if fell_back {
            bump(&cells.fallbacks, 1);
        }
    }

    /// Puts this thread's block in [`REGISTRY`] (once per thread).
    #[cold]
    #[inline(never)]
    fn register(&'static self) {
        // Touching GUARD makes its destructor run at thread exit; if this
        // thread is already exiting, the block is not registered (its few
        // last counts are lost rather than read after it is gone).
        if GUARD.try_with(|_| ()).is_ok() {
            self.registered.set(true);
            REGISTRY.lock().push(BlockRef(self));
        }
    }
}

thread_local! {
    static BLOCK: Block = const {
        Block {
            cells: [ZEROS; Routine::ALL.len()],
            current: Cell::new(None),
            skip: [NO_SKIP; Routine::ALL.len()],
            warm: [WARM; Routine::ALL.len()],
            random: Cell::new(0x9e37_79b9),
            registered: Cell::new(false),
        }
    };
    static GUARD: Guard = const { Guard };
}

/// A registered block. Only read under [`REGISTRY`]'s lock; a thread
/// removes its own under that lock before its thread-locals are freed.
struct BlockRef(*const Block);
// SAFETY: the pointee is only read (atomics) by other threads, and only
// while it is registered, that is while its thread has not finished
// exiting (Guard::drop removes it first, under the same lock).
unsafe impl Send for BlockRef {}

/// The blocks of the live threads that have counted something.
static REGISTRY: ForkSafeMutex<Vec<BlockRef>> = ForkSafeMutex::new(Vec::new());
/// Has the fork handlers hold [`REGISTRY`]'s lock across a fork.
pub(crate) fn hold_across_fork() {
    super::lock::hold_across_fork(&REGISTRY);
}

/// The sums of the blocks of threads that have exited.
static RETIRED: [Cells; Routine::ALL.len()] = [ZEROS; Routine::ALL.len()];

/// Its drop, at thread exit, moves the thread's counts to [`RETIRED`] and
/// deregisters its block, under the registry's lock, so that a reader
/// sees them exactly once.
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = BLOCK.try_with(|block| {
            let mut registry = REGISTRY.lock();
            for (mine, retired) in block.cells.iter().zip(RETIRED.iter()) {
                for (m, r) in mine.fields().into_iter().zip(retired.fields()) {
                    r.fetch_add(m.swap(0, Relaxed), Relaxed);
                }
            }
            registry.retain(|r| !std::ptr::eq(r.0, block));
            block.registered.set(false);
        });
    }
}

/// This thread's block, registered; `None` while the thread is exiting.
#[inline(always)]
fn block() -> Option<&'static Block> {
    // SAFETY: the block lives as long as the thread, and the reference
    // never leaves it: Scope, which keeps it, is neither Send nor Sync.
    let block: &'static Block = BLOCK.try_with(|b| unsafe { &*(b as *const Block) }).ok()?;
    if !block.registered.get() {
        block.register();
    }
    Some(block)
}

/// When counting started: the first routed call or the first read.
static EPOCH: Lazy<Instant> = Lazy::new(Instant::now);

/// A call being routed: its routine is this thread's current one (a
/// driver's CPU LAPACK calls `dgemm_` inside it: restored at the end), and
/// its clock, if it is timed.
pub(crate) struct Scope {
    block: Option<&'static Block>,
    routine: Routine,
    previous: Option<Routine>,
    timing: Timing,
    gpu: bool,
    start: Option<Instant>,
    finished: bool,
    /// Not Send: the block is this thread's.
    _thread: std::marker::PhantomData<*const ()>,
}

impl Scope {
    /// `time_exactly`: time this call whatever its size (the log needs its
    /// time, or it goes to the GPU, or it is at least [`EXACT_FLOPS`]).
    /// `gpu`: the call is routed to the GPU, whose transfers
    /// ([`add_transfer`]) are then this routine's (a CPU call moves none:
    /// the current routine is left as it is, which saves a few stores).
    pub(crate) fn enter(routine: Routine, time_exactly: bool, gpu: bool) -> Scope {
        let block = block();
        let (previous, timing) = match block {
            Some(b) => {
                let previous = if gpu { b.current.replace(Some(routine)) } else { b.current.get() };
                (previous, if time_exactly { Timing::Exact } else { b.sample(routine) })
            }
            None => (None, Timing::Untimed),
        };
        let start = (timing != Timing::Untimed || time_exactly).then(Instant::now);
        Scope { block, routine, previous, timing, gpu, start, finished: false, _thread: std::marker::PhantomData }
    }

    /// Counts the finished call: where it ran, whether it fell back from
    /// the GPU, and its flops. Returns its time in nanoseconds if it was
    /// timed.
    pub(crate) fn finish(mut self, ran_on: Backend, fell_back: bool, flops: f64) -> Option<u64> {
        let nanos = self.start.map(|s| s.elapsed().as_nanos() as u64);
        self.finished = true;
        if let Some(b) = self.block {
            if self.gpu {
                b.current.set(self.previous);
            }
            b.add(self.routine, ran_on, self.timing, nanos.unwrap_or(0), flops, fell_back);
        }
        nanos
    }
}

impl Drop for Scope {
    /// Restores the current routine when the call did not finish (a panic
    /// unwinding to the FFI boundary).
    fn drop(&mut self) {
        if let (false, true, Some(b)) = (self.finished, self.gpu, self.block) {
            b.current.set(self.previous);
        }
    }
}

/// Counts bytes moved between host and device for the routine running on
/// this thread (nothing outside a routed call: the calibration's uploads
/// are not a routine's). Called by the GPU backend where it enqueues a
/// transfer.
pub fn add_transfer(h2d_bytes: u64, d2h_bytes: u64) {
    if let Some(b) = block() {
        if let Some(r) = b.current.get() {
            let cells = &b.cells[r.index()];
            bump(&cells.h2d, h2d_bytes);
            bump(&cells.d2h, d2h_bytes);
        }
    }
}

/// Counts one call of `routine` whose measured time was more than twice,
/// or less than half, what the cost model predicted for it.
pub fn add_misprediction(routine: Routine) {
    if let Some(b) = block() {
        bump(&b.cells[routine.index()].mispredicted, 1);
    }
}

/// The routine whose GPU work this thread is doing, to hand to a helper
/// thread that does part of it (see [`with_routine`]).
pub fn current_routine() -> Option<Routine> {
    block().and_then(|b| b.current.get())
}

/// Runs `f` with `routine` as this thread's current routine, so that the
/// transfers of a helper thread (one per device in a multi-device DGEMM)
/// count for the call it works for.
pub fn with_routine<R>(routine: Option<Routine>, f: impl FnOnce() -> R) -> R {
    let previous = block().map(|b| b.current.replace(routine));
    let result = f();
    if let (Some(b), Some(previous)) = (block(), previous) {
        b.current.set(previous);
    }
    result
}

/// One routine's totals at the time of a [`snapshot`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RoutineStats {
    pub routine: Option<Routine>,
    pub cpu_calls: u64,
    pub gpu_calls: u64,
    pub fallbacks: u64,
    pub cpu_nanos: u64,
    pub gpu_nanos: u64,
    pub cpu_flops: u64,
    pub gpu_flops: u64,
    pub h2d_bytes: u64,
    pub d2h_bytes: u64,
    /// Calls whose time the cost model mispredicted by more than 2x.
    pub mispredicted: u64,
}

impl RoutineStats {
    pub fn calls(&self) -> u64 {
        self.cpu_calls + self.gpu_calls
    }
    pub fn seconds(&self) -> f64 {
        (self.cpu_nanos + self.gpu_nanos) as f64 * 1e-9
    }
    pub fn flops(&self) -> u64 {
        self.cpu_flops.saturating_add(self.gpu_flops)
    }
    fn symbol(&self) -> &'static str {
        self.routine.map_or("?", Routine::symbol)
    }
}

/// GFLOP/s, or 0 when nothing was timed.
fn gflops(flops: u64, nanos: u64) -> f64 {
    if nanos == 0 {
        0.0
    } else {
        flops as f64 / nanos as f64
    }
}

/// The estimated time of `calls` sampled calls of which `timed` took
/// `nanos`: `calls` times their mean.
fn estimate(calls: u64, timed: u64, nanos: u64) -> u64 {
    if timed == 0 {
        0
    } else {
        (u128::from(nanos) * u128::from(calls) / u128::from(timed)).min(u128::from(u64::MAX)) as u64
    }
}

/// The counters summed over every thread, one entry per routine of
/// [`Routine::ALL`], and the seconds since counting started.
pub fn snapshot() -> (Vec<RoutineStats>, f64) {
    let uptime = EPOCH.elapsed().as_secs_f64();
    let mut sums = [[0u64; FIELDS]; Routine::ALL.len()];
    {
        let registry = REGISTRY.lock();
        // SAFETY: registered blocks are alive while the lock is held (BlockRef).
        let live = registry.iter().map(|r| unsafe { &(*r.0).cells });
        for block in live.chain(std::iter::once(&RETIRED)) {
            for (sum, cells) in sums.iter_mut().zip(block.iter()) {
                for (s, f) in sum.iter_mut().zip(cells.fields()) {
                    *s = s.wrapping_add(f.load(Relaxed));
                }
            }
        }
    }
    let stats = Routine::ALL
        .iter()
        .zip(sums)
        .map(|(&r, [c0, c1, f0, f1, n0, n1, s0, s1, t0, t1, m0, m1, fallbacks, h2d, d2h, mispredicted])| RoutineStats {
            routine: Some(r),
            cpu_calls: c0,
            gpu_calls: c1,
            cpu_nanos: n0 + estimate(c0 - s0.min(c0), t0, m0),
            gpu_nanos: n1 + estimate(c1 - s1.min(c1), t1, m1),
            cpu_flops: f0,
            gpu_flops: f1,
            fallbacks,
            h2d_bytes: h2d,
            d2h_bytes: d2h,
            mispredicted,
        })
        .collect();
    (stats, uptime)
}

/// Where a call ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Cpu,
    Gpu,
}

/// The OpenCL device's description, set by the device selection
/// (src/engine/opencl/device.rs) when it happens: reading the statistics
/// never starts OpenCL.
static DEVICE: OnceCell<String> = OnceCell::new();

/// Records the selected device ("none (why)" when there is none), for the
/// JSON and the profile.
pub fn set_device(description: String) {
    let _ = DEVICE.set(description);
}

/// The OpenCL device's description, if it has been selected already.
fn device_if_selected() -> Option<String> {
    DEVICE.get().cloned()
}

/// A JSON string literal, ASCII only (non-ASCII as \u escapes), so that a
/// truncated copy never splits a character.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(ch),
            _ => {
                let mut units = [0u16; 2];
                for u in ch.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{u:04x}");
                }
            }
        }
    }
    out.push('"');
    out
}

/// The statistics as one JSON object (the text of `lapack_ai_stats_json`
/// and of the monitor's `/api/stats`):
///
/// ```text
/// {"library":"lapack-ai","version":"0.2.0","pid":4242,"uptime_s":1.25,
///  "unix_time_s":1790000000.5,"mode":"auto","device":null,
///  "routines":[{"routine":"dgemm_","calls":3,"gpu_calls":1,"cpu_calls":2,
///   "fallbacks":0,"seconds":0.01,"gpu_seconds":0.008,"cpu_seconds":0.002,
///   "flops":1500,"gpu_flops":1000,"cpu_flops":500,"h2d_bytes":96,
///   "d2h_bytes":32}, ...]}
/// ```
///
/// Every routine is listed, with zeros if it was not called. Counters are
/// cumulative since `uptime_s` began; rates are differences of two reads.
/// `device` is null until the OpenCL device has been selected.
pub fn json() -> String {
    let (stats, uptime) = snapshot();
    let unix = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
    let mut out = String::with_capacity(256 + 360 * stats.len());
    let _ = write!(
        out,
        "{{\"library\":\"lapack-ai\",\"version\":{},\"pid\":{},\"uptime_s\":{:.6},\"unix_time_s\":{:.3},\"mode\":{},\"device\":{},\"routines\":[",
        json_string(env!("CARGO_PKG_VERSION")),
        std::process::id(),
        uptime,
        unix,
        json_string(CONFIG.mode.as_str()),
        device_if_selected().map_or("null".into(), |d| json_string(&d)),
    );
    for (i, s) in stats.iter().enumerate() {
        let _ = write!(
            out,
            "{}{{\"routine\":\"{}\",\"calls\":{},\"gpu_calls\":{},\"cpu_calls\":{},\"fallbacks\":{},\
             \"seconds\":{:.9},\"gpu_seconds\":{:.9},\"cpu_seconds\":{:.9},\"flops\":{},\"gpu_flops\":{},\
             \"cpu_flops\":{},\"h2d_bytes\":{},\"d2h_bytes\":{},\"mispredicted\":{}}}",
            if i > 0 { "," } else { "" },
            s.symbol(),
            s.calls(),
            s.gpu_calls,
            s.cpu_calls,
            s.fallbacks,
            s.seconds(),
            s.gpu_nanos as f64 * 1e-9,
            s.cpu_nanos as f64 * 1e-9,
            s.flops(),
            s.gpu_flops,
            s.cpu_flops,
            s.h2d_bytes,
            s.d2h_bytes,
            s.mispredicted
        );
    }
    out.push_str("]}");
    out
}

/// A Prometheus label value, escaped as the text format requires.
fn label(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// The statistics in Prometheus' text exposition format (version 0.0.4),
/// for the monitor's `/metrics`.
pub fn prometheus() -> String {
    let (stats, uptime) = snapshot();
    let mut out = String::with_capacity(4096);
    let mut family = |name: &str, kind: &str, help: &str, rows: &mut dyn FnMut(&mut String, &RoutineStats)| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for s in &stats {
            rows(&mut out, s);
        }
    };
    let backends = |s: &RoutineStats| [("cpu", s.cpu_calls, s.cpu_nanos, s.cpu_flops), ("gpu", s.gpu_calls, s.gpu_nanos, s.gpu_flops)];
    family("lapack_ai_calls_total", "counter", "Calls routed, by routine and by the backend that finished them.", &mut |o, s| {
        for (b, calls, _, _) in backends(s) {
            let _ = writeln!(o, "lapack_ai_calls_total{{routine=\"{}\",backend=\"{b}\"}} {calls}", s.symbol());
        }
    });
    family("lapack_ai_fallbacks_total", "counter", "Calls routed to the GPU that finished on the CPU.", &mut |o, s| {
        let _ = writeln!(o, "lapack_ai_fallbacks_total{{routine=\"{}\"}} {}", s.symbol(), s.fallbacks);
    });
    family("lapack_ai_call_seconds_total", "counter", "Time spent in calls, by routine and backend.", &mut |o, s| {
        for (b, _, nanos, _) in backends(s) {
            let _ = writeln!(o, "lapack_ai_call_seconds_total{{routine=\"{}\",backend=\"{b}\"}} {:.9}", s.symbol(), nanos as f64 * 1e-9);
        }
    });
    family("lapack_ai_flops_total", "counter", "Floating-point operations of the calls (nominal counts).", &mut |o, s| {
        for (b, _, _, flops) in backends(s) {
            let _ = writeln!(o, "lapack_ai_flops_total{{routine=\"{}\",backend=\"{b}\"}} {flops}", s.symbol());
        }
    });
    family("lapack_ai_transfer_bytes_total", "counter", "Bytes moved between host and device.", &mut |o, s| {
        let _ = writeln!(o, "lapack_ai_transfer_bytes_total{{routine=\"{}\",direction=\"host_to_device\"}} {}", s.symbol(), s.h2d_bytes);
        let _ = writeln!(o, "lapack_ai_transfer_bytes_total{{routine=\"{}\",direction=\"device_to_host\"}} {}", s.symbol(), s.d2h_bytes);
    });
    family(
        "lapack_ai_mispredicted_calls_total",
        "counter",
        "Calls whose measured time was more than twice, or less than half, the cost model's prediction.",
        &mut |o, s| {
            let _ = writeln!(o, "lapack_ai_mispredicted_calls_total{{routine=\"{}\"}} {}", s.symbol(), s.mispredicted);
        },
    );
    let _ = writeln!(out, "# HELP lapack_ai_uptime_seconds Seconds since the counters started.");
    let _ = writeln!(out, "# TYPE lapack_ai_uptime_seconds gauge\nlapack_ai_uptime_seconds {uptime:.6}");
    let _ = writeln!(out, "# HELP lapack_ai_info The library's version, mode and OpenCL device.");
    let _ = writeln!(
        out,
        "# TYPE lapack_ai_info gauge\nlapack_ai_info{{version=\"{}\",mode=\"{}\",device=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION"),
        CONFIG.mode.as_str(),
        label(&device_if_selected().unwrap_or_else(|| "not selected".into()))
    );
    out
}

/// The profile table: one row per routine that was called.
pub fn profile_table(stats: &[RoutineStats], uptime: f64) -> String {
    let mut out = String::new();
    let device = device_if_selected().unwrap_or_else(|| "not used".into());
    let _ = writeln!(
        out,
        "lapack-ai profile: pid {}, {:.3} s since the first call, mode {}, device {}",
        std::process::id(),
        uptime,
        CONFIG.mode.as_str(),
        device
    );
    let _ = writeln!(
        out,
        "{:<12} {:>9} {:>9} {:>9} {:>9} {:>11} {:>11} {:>9} {:>9} {:>9} {:>11} {:>11} {:>9}",
        "routine", "calls", "gpu", "cpu", "fallback", "time s", "mean ms", "GFLOP/s", "gpu", "cpu", "to GPU MB", "from GPU MB", "mispred"
    );
    let called: Vec<&RoutineStats> = stats.iter().filter(|s| s.calls() > 0).collect();
    if called.is_empty() {
        let _ = writeln!(out, "(no calls routed)");
    }
    let rate = |flops: u64, nanos: u64| {
        if nanos == 0 {
            "-".to_string()
        } else {
            format!("{:.2}", gflops(flops, nanos))
        }
    };
    for s in called {
        let _ = writeln!(
            out,
            "{:<12} {:>9} {:>9} {:>9} {:>9} {:>11.4} {:>11.4} {:>9} {:>9} {:>9} {:>11.3} {:>11.3} {:>9}",
            s.symbol(),
            s.calls(),
            s.gpu_calls,
            s.cpu_calls,
            s.fallbacks,
            s.seconds(),
            s.seconds() * 1e3 / s.calls() as f64,
            rate(s.flops(), s.cpu_nanos + s.gpu_nanos),
            rate(s.gpu_flops, s.gpu_nanos),
            rate(s.cpu_flops, s.cpu_nanos),
            s.h2d_bytes as f64 * 1e-6,
            s.d2h_bytes as f64 * 1e-6,
            s.mispredicted
        );
    }
    out
}

/// The process that registered the profile: a child made by fork()
/// inherits the handler and the parent's counts, and prints nothing.
static PROFILE_PID: AtomicU64 = AtomicU64::new(0);

/// Writes the profile where `LAPACK_AI_PROFILE` says (on stderr when the
/// file cannot be written).
fn write_profile() {
    if u64::from(std::process::id()) != PROFILE_PID.load(Relaxed) {
        return;
    }
    let (stats, uptime) = snapshot();
    let table = profile_table(&stats, uptime);
    match &CONFIG.profile {
        ProfileTarget::Off => {}
        ProfileTarget::Stderr => {
            // One write, as the log does, so that it is not interleaved.
            let _ = std::io::Write::write_all(&mut std::io::stderr(), table.as_bytes());
        }
        ProfileTarget::File(path) => {
            let path = path.to_string_lossy().replace("%p", &std::process::id().to_string());
            let written = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .and_then(|mut f| std::io::Write::write_all(&mut f, table.as_bytes()));
            if let Err(e) = written {
                // The profile is not lost: stderr, after the warning.
                warn(&format!("LAPACK_AI_PROFILE={path}: cannot write the profile there ({e}); printing it on stderr"));
                let _ = std::io::Write::write_all(&mut std::io::stderr(), table.as_bytes());
            }
        }
    }
}

/// The `atexit` handler: runs once, at exit() (a Fortran STOP, a return
/// from main), and never lets a panic out.
extern "C" fn profile_at_exit() {
    let _ = std::panic::catch_unwind(write_profile);
}

/// Registers the profile at exit (`LAPACK_AI_PROFILE`), once: called by
/// the first routed call (src/runtime/mod.rs).
pub(crate) fn install_profile() {
    Lazy::force(&EPOCH);
    if CONFIG.profile != ProfileTarget::Off {
        PROFILE_PID.store(u64::from(std::process::id()), Relaxed);
        // SAFETY: registers a function with no arguments that catches
        // every panic; the library is never unloaded while the process
        // runs (preloaded or linked), and a dlclose runs the handler
        // first (glibc's atexit is per object).
        if unsafe { libc::atexit(profile_at_exit) } != 0 {
            warn("LAPACK_AI_PROFILE: atexit failed; no profile at exit");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mine(r: Routine) -> RoutineStats {
        snapshot().0.into_iter().find(|s| s.routine == Some(r)).unwrap()
    }

    /// Counts exactly, nested scopes attribute transfers to the innermost
    /// routine, sampled times are scaled up, and a thread's counts survive
    /// its exit. Runs on fresh threads, so that other tests in this
    /// process (which share the totals) do not disturb it: it compares
    /// differences of snapshots taken while only its own threads count
    /// Dgesdd.
    #[test]
    fn scripted_counts_are_exact_and_survive_thread_exit() {
        let before = mine(Routine::Dgesdd);
        let before_gemm = mine(Routine::Dgemm);
        std::thread::spawn(|| {
            let outer = Scope::enter(Routine::Dgesdd, true, true);
            add_transfer(100, 10);
            {
                let inner = Scope::enter(Routine::Dgemm, true, true);
                add_transfer(7, 3);
                assert!(inner.finish(Backend::Gpu, false, 64.0).is_some());
            }
            add_transfer(1, 2);
            // The counts of two calls with given times, added directly.
            let l = block().unwrap();
            l.add(Routine::Dgesdd, Backend::Cpu, Timing::Exact, 2_000, 1000.0, true);
            l.add(Routine::Dgesdd, Backend::Gpu, Timing::Exact, 1_000, 3000.0, false);
            // Ten small CPU calls, two of them timed: 10 x mean 300.
            l.add(Routine::Dgesdd, Backend::Cpu, Timing::Sampled, 200, 10.0, false);
            l.add(Routine::Dgesdd, Backend::Cpu, Timing::Sampled, 400, 10.0, false);
            for _ in 0..8 {
                l.add(Routine::Dgesdd, Backend::Cpu, Timing::Untimed, 999_999, 10.0, false);
            }
            drop(outer); // unfinished: restores, counts nothing
        })
        .join()
        .unwrap();
        add_transfer(1 << 40, 1 << 40); // outside any routine: not counted
        let after = mine(Routine::Dgesdd);
        let d = |a: u64, b: u64| a - b;
        assert_eq!(d(after.cpu_calls, before.cpu_calls), 11);
        assert_eq!(d(after.gpu_calls, before.gpu_calls), 1);
        assert_eq!(d(after.fallbacks, before.fallbacks), 1);
        assert_eq!(d(after.cpu_nanos, before.cpu_nanos), 2_000 + 3_000);
        assert_eq!(d(after.gpu_nanos, before.gpu_nanos), 1_000);
        assert_eq!(d(after.cpu_flops, before.cpu_flops), 1100);
        assert_eq!(d(after.gpu_flops, before.gpu_flops), 3000);
        assert_eq!(d(after.h2d_bytes, before.h2d_bytes), 101);
        assert_eq!(d(after.d2h_bytes, before.d2h_bytes), 12);
        let gemm = mine(Routine::Dgemm);
        assert!(gemm.h2d_bytes - before_gemm.h2d_bytes >= 7);
    }

    /// A helper thread's transfers count for the routine handed to it.
    #[test]
    fn helper_threads_carry_the_routine() {
        let before = mine(Routine::Dgetrs);
        std::thread::spawn(|| {
            let scope = Scope::enter(Routine::Dgetrs, true, true);
            let routine = current_routine();
            assert_eq!(routine, Some(Routine::Dgetrs));
            std::thread::scope(|s| {
                s.spawn(move || with_routine(routine, || add_transfer(5, 6)));
                s.spawn(|| add_transfer(1000, 1000)); // nothing handed: not counted
            });
            scope.finish(Backend::Gpu, false, 0.0);
        })
        .join()
        .unwrap();
        let after = mine(Routine::Dgetrs);
        assert_eq!((after.h2d_bytes - before.h2d_bytes, after.d2h_bytes - before.d2h_bytes), (5, 6));
    }

    #[test]
    fn many_threads_lose_nothing() {
        let before = mine(Routine::Dgesvdocl).calls();
        let threads: Vec<_> = (0..8)
            .map(|_| {
                std::thread::spawn(|| {
                    for _ in 0..1000 {
                        Scope::enter(Routine::Dgesvdocl, false, false).finish(Backend::Cpu, false, 1.0);
                    }
                })
            })
            .collect();
        // Snapshots while they run never go backwards.
        let mut last = before;
        for _ in 0..50 {
            let now = mine(Routine::Dgesvdocl).calls();
            assert!(now >= last);
            last = now;
        }
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(mine(Routine::Dgesvdocl).calls() - before, 8000);
    }

    #[test]
    fn small_calls_are_sampled_at_random_intervals() {
        std::thread::spawn(|| {
            let mut timed = Vec::new();
            let n = 256 * 1000;
            for i in 0..TIME_FIRST as usize + n {
                match block().unwrap().sample(Routine::Dgesv) {
                    Timing::Exact => assert!(i < TIME_FIRST as usize, "call {i} timed exactly"),
                    Timing::Sampled => timed.push(i),
                    Timing::Untimed => assert!(i >= TIME_FIRST as usize, "call {i} not timed"),
                }
            }
            assert_eq!(timed[0], TIME_FIRST as usize, "sampling starts with a timed call");
            let gaps: Vec<usize> = timed.windows(2).map(|w| w[1] - w[0]).collect();
            assert!(gaps.iter().all(|&g| (129..=384).contains(&g)), "{gaps:?}");
            let mean = n as f64 / timed.len() as f64;
            assert!((240.0..272.0).contains(&mean), "one in {mean}");
            assert!(gaps.iter().any(|&g| g != gaps[0]), "intervals vary");
        })
        .join()
        .unwrap();
        assert_eq!(estimate(10, 2, 600), 3000);
        assert_eq!(estimate(5, 0, 0), 0);
    }

    #[test]
    fn formats() {
        assert_eq!(json_string("a\"b\\c\u{e9}\n"), "\"a\\\"b\\\\c\\u00e9\\u000a\"");
        let text = json();
        assert!(text.starts_with("{\"library\":\"lapack-ai\",\"version\":\""), "{text}");
        assert!(text.is_ascii() && text.ends_with("]}"));
        for r in Routine::ALL {
            assert!(text.contains(&format!("{{\"routine\":\"{}\",\"calls\":", r.symbol())), "{text}");
        }
        let metrics = prometheus();
        for line in metrics.lines().filter(|l| !l.starts_with('#')) {
            let (name, value) = line.rsplit_once(' ').unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
            assert!(name.starts_with("lapack_ai_"), "{line}");
        }
        assert!(metrics.contains("lapack_ai_calls_total{routine=\"dgemm_\",backend=\"gpu\"} "));
        let s = RoutineStats {
            routine: Some(Routine::Dgemm),
            cpu_calls: 3,
            gpu_calls: 1,
            cpu_nanos: 3_000_000,
            gpu_nanos: 1_000_000,
            cpu_flops: 6_000_000,
            gpu_flops: 4_000_000,
            h2d_bytes: 2_500_000,
            d2h_bytes: 500_000,
            mispredicted: 2,
            ..Default::default()
        };
        let table = profile_table(&[s, RoutineStats { routine: Some(Routine::Dgesv), ..Default::default() }], 1.0);
        let row = table.lines().find(|l| l.starts_with("dgemm_")).unwrap();
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cols, ["dgemm_", "4", "1", "3", "0", "0.0040", "1.0000", "2.50", "4.00", "2.00", "2.500", "0.500", "2"]);
        assert!(!table.contains("dgesv_"), "uncalled routines are left out:\n{table}");
    }
}
