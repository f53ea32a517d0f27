//! What the cost model remembers about the machine, and learns from the
//! calls it routes.
//!
//! One entry of the on-disk cache (src/runtime/cache.rs, kind `rates`)
//! per machine configuration: its key is what decides which OpenCL devices
//! a process would find (the ICD files, the variables that steer the
//! drivers, `LAPACK_AI_DEVICE`), the CPU LAPACK behind `dgemm_` and the
//! library's version, all of which a process reads without loading
//! OpenCL. The entry holds:
//! - whether there is a usable device, and which: a later process on a
//!   machine without one routes every call to the CPU without looking for
//!   OpenCL devices again (listing PoCL's took 80 ms on the dev machine);
//! - the seconds the first GPU call of a process spends setting the device
//!   up (listing devices, making the context, loading kernels): the model
//!   charges them to the call that would start the GPU ([`super::decide`]);
//! - the measured rates ([`Rates`]) and the families' measured constants
//!   ([`constant`]: the LU's CPU rate and the time of a panel step);
//! - the corrections learned from measured calls ([`Learned`]).
//!
//! Learning: every call routed by the cost model whose time was measured
//! corrects the prediction for its [`Class`] (routine, backend, shape,
//! size): the correction is the running mean, then a moving average (the
//! last eight or so), of log(measured / predicted), each observation bounded
//! to 8x either way of the correction so far, and the correction to 64x. A class never seen borrows
//! the correction of the nearest size of the same routine, backend and
//! shape (two sizes away at most). The calibration seeds the classes of the
//! skinny products it measures (src/dispatch/mod.rs, `calibrate`).
//!
//! Written back at exit and after every 64 new observations; two processes
//! that learn at once each write their own, and the later one stays
//! (atomic replacement: src/runtime/cache.rs). `LAPACK_AI_RATES` and
//! `LAPACK_AI_LEARN=0` turn learning off; `LAPACK_AI_RECALIBRATE=1` starts
//! from nothing.

use super::cost::Rates;
use super::{Backend, Routine};
use crate::engine::cpu;
use crate::runtime::config::CONFIG;
use crate::runtime::lock::{self, ForkSafeMutex};
use crate::runtime::{cache, panic};
use once_cell::sync::Lazy;
use parking_lot::lock_api;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::sync::Once;
use std::time::Instant;

/// Calls predicted, for both backends, within this factor of each other
/// can change backend through their corrections (at most 64x each way);
/// calls further apart are routed on the rates alone, without a lookup.
pub(crate) const LOOKUP_SPREAD: f64 = 4096.0;
/// Calls predicted to take less than this on the CPU, and less there than
/// on the GPU, are routed on the rates alone and teach nothing: the GPU's
/// fixed cost alone is larger, and their corrections would cost a lock on
/// the way of the smallest calls.
pub(crate) const SMALL_S: f64 = 50e-6;
/// Bounds of one observation's log-ratio (from the correction so far), and
/// of a correction's.
const MAX_STEP: f64 = 2.079_441_541_679_835_8; // ln 8
const MAX_CORRECTION: f64 = 4.158_883_083_359_671_5; // ln 64
/// Observations after which the running mean becomes a moving average.
const WINDOW: u32 = 8;
/// New observations between two writes of the entry (and at least
/// [`SAVE_INTERVAL_S`] seconds; the rest is written at exit).
const SAVE_EVERY: u32 = 64;
const SAVE_INTERVAL_S: f64 = 10.0;

/// A class of calls whose predictions are corrected together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Class {
    /// [`Routine::index`].
    routine: u16,
    /// 0 CPU, 1 GPU.
    backend: u8,
    /// The family's code for the operands' shape (`Call::shape`).
    shape: u8,
    /// log4 of the flop count, rounded.
    bucket: i8,
}

impl Class {
    pub fn new(routine: Routine, backend: Backend, shape: u8, flops: f64) -> Class {
        let bucket = if flops > 1.0 { (flops.log2() / 2.0).round().clamp(0.0, 63.0) as i8 } else { 0 };
        Class { routine: routine.index() as u16, backend: (backend == Backend::Gpu) as u8, shape, bucket }
    }

    /// The same class of calls on `backend`.
    pub fn on(self, backend: Backend) -> Class {
        Class { backend: (backend == Backend::Gpu) as u8, ..self }
    }

    fn routine(&self) -> Option<Routine> {
        Routine::ALL.get(self.routine as usize).copied()
    }

    /// `dgemm_/TN.n-thin/2^28`: routine, shape (named by the family's
    /// `name`) and size, as the log shows it.
    pub fn label(&self, name: fn(u8) -> String) -> String {
        format!("{}/{}/2^{}", self.routine().map_or("?", Routine::symbol), name(self.shape), 2 * self.bucket as i32)
    }
}

/// A learned correction: the mean of log(measured / predicted), and how
/// many observations made it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Learned {
    pub log_ratio: f64,
    pub count: u32,
}

/// What is known of the machine's OpenCL device.
#[derive(Clone, Debug, PartialEq)]
pub enum Device {
    /// Not looked for yet (no entry, or `LAPACK_AI_RECALIBRATE=1`).
    Unknown,
    /// Looked for, and none usable: why.
    Absent(String),
    /// Found: its description ([`crate::engine::opencl::device::DeviceInfo::describe`]).
    Present(String),
}

/// The cost model's memory of the machine (see the module's text).
#[derive(Clone, Debug, PartialEq)]
pub struct Store {
    pub device: Device,
    /// Seconds the first GPU call of a process spends setting the device up.
    pub first_use_s: Option<f64>,
    pub rates: Option<Rates>,
    constants: BTreeMap<String, f64>,
    learned: BTreeMap<Class, Learned>,
    /// Observations (and measurements) not yet written back.
    unsaved: u32,
}

impl Default for Store {
    fn default() -> Self {
        Store { device: Device::Unknown, first_use_s: None, rates: None, constants: BTreeMap::new(), learned: BTreeMap::new(), unsaved: 0 }
    }
}

const HEADER: &str = "lapack-ai cost model 1";

impl Store {
    /// The correction factor for `class`: its own, else that of the
    /// nearest size (at most two buckets away) of the same routine,
    /// backend and shape, else 1.
    pub fn correction(&self, class: Class) -> f64 {
        let lo = Class { bucket: class.bucket.saturating_sub(2), ..class };
        let hi = Class { bucket: class.bucket.saturating_add(2), ..class };
        self.learned
            .range(lo..=hi)
            .min_by_key(|(c, _)| (c.bucket - class.bucket).abs() * 2 + (c.bucket < class.bucket) as i8)
            .map_or(1.0, |(_, l)| l.log_ratio.exp())
    }

    /// Learns from one call of `class` predicted (before correction) at
    /// `predicted` seconds that took `measured`.
    pub fn observe(&mut self, class: Class, predicted: f64, measured: f64) {
        if !(predicted > 0.0 && measured > 0.0 && predicted.is_finite() && measured.is_finite()) {
            return;
        }
        // A class seen for the first time starts from the correction it
        // borrowed from its neighbours (which routed this call).
        let borrowed = self.correction(class).ln();
        let entry = self.learned.entry(class).or_insert(Learned { log_ratio: borrowed, count: 0 });
        let step = (measured / predicted).ln().clamp(entry.log_ratio - MAX_STEP, entry.log_ratio + MAX_STEP);
        entry.count = entry.count.saturating_add(1);
        entry.log_ratio += (step - entry.log_ratio) / entry.count.min(WINDOW) as f64;
        entry.log_ratio = entry.log_ratio.clamp(-MAX_CORRECTION, MAX_CORRECTION);
        self.unsaved += 1;
    }

    /// Sets the correction of `class` from a calibration probe.
    pub fn seed(&mut self, class: Class, ratio: f64) {
        if ratio > 0.0 && ratio.is_finite() {
            let log_ratio = ratio.ln().clamp(-MAX_CORRECTION, MAX_CORRECTION);
            self.learned.insert(class, Learned { log_ratio, count: 2 });
            self.unsaved += 1;
        }
    }

    /// The learned corrections, for reports.
    pub fn learned(&self) -> impl Iterator<Item = (&Class, &Learned)> {
        self.learned.iter()
    }

    /// Forgets what belonged to another device: its rates, its set-up
    /// time, the GPU's corrections and the constants measured on it.
    pub fn new_device(&mut self, device: Device) {
        self.device = device;
        self.rates = None;
        self.first_use_s = None;
        self.learned.retain(|c, _| c.backend == 0);
        self.constants.retain(|name, _| !name.starts_with("gpu."));
        self.unsaved += 1;
    }

    pub fn set_first_use(&mut self, seconds: f64) {
        // Within a factor of 2 of what was known: nothing new (the time
        // varies that much from process to process, and the cache entry is
        // not rewritten by every one).
        let close = self.first_use_s.is_some_and(|old| seconds <= 2.0 * old && old <= 2.0 * seconds);
        if seconds.is_finite() && seconds >= 0.0 && !close {
            // A faster start replaces what was known (the first, on a
            // machine where nothing was cached, includes the driver's own
            // cold start: 2.0 s against 0.16 to 0.33 s later on the H200
            // machine); a slower one moves it half way, so that one slow
            // start does not double it for good.
            self.first_use_s = Some(self.first_use_s.map_or(seconds, |old| if seconds < old { seconds } else { 0.5 * (old + seconds) }));
            self.unsaved += 1;
        }
    }

    pub fn set_rates(&mut self, rates: Rates) {
        self.rates = Some(rates);
        self.unsaved += 1;
    }

    pub fn to_text(&self) -> String {
        let mut out = format!("{HEADER}\n");
        match &self.device {
            Device::Unknown => {}
            Device::Absent(why) => {
                // Only for this boot: a driver that was not ready, a
                // device node that came later, are looked for again.
                let _ = writeln!(out, "absent {} {}", boot_id(), why.replace('\n', " "));
            }
            Device::Present(d) => {
                let _ = writeln!(out, "device {}", d.replace('\n', " "));
            }
        }
        if let Some(s) = self.first_use_s {
            let _ = writeln!(out, "first_use {s:e}");
        }
        if let Some(r) = &self.rates {
            let _ = writeln!(out, "rates {}", r.format());
        }
        // Constants that could not be measured (NaN) are not kept.
        for (name, value) in self.constants.iter().filter(|(_, v)| v.is_finite()) {
            let _ = writeln!(out, "constant {name} {value:e}");
        }
        for (c, l) in &self.learned {
            if let Some(r) = c.routine() {
                let _ = writeln!(out, "learned {} {} {} {} {:e} {}", r.symbol(), c.backend, c.shape, c.bucket, l.log_ratio, l.count);
            }
        }
        out
    }

    /// What another process wrote since this one loaded its store, kept
    /// where this one knows less: the device, its rates and set-up time if
    /// this process did not look for them, constants it did not measure,
    /// corrections of classes it did not see.
    fn merge_from(&mut self, disk: Store) {
        if self.device == Device::Unknown {
            self.device = disk.device;
            self.rates = self.rates.or(disk.rates);
            self.first_use_s = self.first_use_s.or(disk.first_use_s);
        }
        for (name, v) in disk.constants {
            self.constants.entry(name).or_insert(v);
        }
        for (class, l) in disk.learned {
            self.learned.entry(class).or_insert(l);
        }
    }

    /// Reads [`Store::to_text`]'s output; `None` for another format. Lines
    /// it does not understand (a routine this version lacks) are skipped.
    pub fn from_text(text: &str) -> Option<Store> {
        let mut lines = text.lines();
        if lines.next()? != HEADER {
            return None;
        }
        let mut s = Store::default();
        for line in lines {
            let (tag, rest) = line.split_once(' ').unwrap_or((line, ""));
            match tag {
                "absent" => {
                    let (boot, why) = rest.split_once(' ').unwrap_or((rest, ""));
                    if boot == boot_id() {
                        s.device = Device::Absent(why.to_string());
                    }
                }
                "device" => s.device = Device::Present(rest.to_string()),
                "first_use" => s.first_use_s = rest.parse().ok().filter(|x: &f64| x.is_finite() && *x >= 0.0),
                "rates" => s.rates = Rates::parse(rest).ok(),
                "constant" => {
                    if let Some((name, v)) = rest.split_once(' ') {
                        if let Ok(v) = v.parse::<f64>() {
                            if v.is_finite() && v > 0.0 {
                                s.constants.insert(name.to_string(), v);
                            }
                        }
                    }
                }
                "learned" => {
                    let f: Vec<&str> = rest.split(' ').collect();
                    let parsed = (|| {
                        let symbol = *f.first()?;
                        let routine = Routine::ALL.iter().position(|r| r.symbol() == symbol)?;
                        let class = Class { routine: routine as u16, backend: f.get(1)?.parse().ok()?, shape: f.get(2)?.parse().ok()?, bucket: f.get(3)?.parse().ok()? };
                        let log_ratio: f64 = f.get(4)?.parse().ok()?;
                        let count: u32 = f.get(5)?.parse().ok()?;
                        (class.backend <= 1 && log_ratio.is_finite()).then_some((class, Learned { log_ratio: log_ratio.clamp(-MAX_CORRECTION, MAX_CORRECTION), count }))
                    })();
                    if let Some((c, l)) = parsed {
                        s.learned.insert(c, l);
                    }
                }
                _ => {}
            }
        }
        Some(s)
    }
}

/// The entry's key: what decides the devices a process finds and the CPU
/// library it measures, read without loading OpenCL.
fn key() -> String {
    let mut icd = String::new();
    for dir in ["/etc/OpenCL/vendors", "/usr/local/etc/OpenCL/vendors"] {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        let mut files: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|e| {
                let meta = e.metadata().ok();
                let modified = meta.as_ref().and_then(|m| m.modified().ok()).and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
                format!("{} {} {}", e.file_name().to_string_lossy(), meta.map_or(0, |m| m.len()), modified.map_or(0, |d| d.as_secs()))
            })
            .collect();
        files.sort();
        let _ = writeln!(icd, "{dir}: {}", files.join(", "));
    }
    // The machine itself: a cache directory shared by several machines
    // (a home directory over NFS) holds an entry for each; and the device
    // nodes of GPU drivers, which a container may or may not be given.
    let mut host = [0u8; 256];
    // SAFETY: gethostname writes at most host.len() bytes into host.
    let host = if unsafe { libc::gethostname(host.as_mut_ptr().cast(), host.len()) } == 0 {
        let end = host.iter().position(|&b| b == 0).unwrap_or(host.len());
        String::from_utf8_lossy(&host[..end]).into_owned()
    } else {
        String::new()
    };
    // Named, not listed: /dev holds hundreds of entries on a GPU machine.
    let mut nodes: Vec<String> = ["nvidiactl", "kfd", "dxg"]
        .into_iter()
        .map(String::from)
        .chain((0..16).map(|i| format!("nvidia{i}")))
        .filter(|n| std::path::Path::new("/dev").join(n).exists())
        .collect();
    for dir in ["/dev/dri", "/dev/accel"] {
        if let Ok(entries) = std::fs::read_dir(dir) {
            nodes.extend(entries.filter_map(Result::ok).map(|e| format!("{dir}/{}", e.file_name().to_string_lossy())));
        }
    }
    nodes.sort();
    format!(
        "lapack-ai {}\nhost {host}\ncpu {}\ndevice {:?}\nnodes {}\n{}{icd}",
        env!("CARGO_PKG_VERSION"),
        cpu::CPU.provider("dgemm_"),
        CONFIG.device,
        nodes.join(" "),
        CONFIG.opencl_environment
    )
}

/// This boot of the machine (Linux's boot id), or "" where unknown.
fn boot_id() -> &'static str {
    static ID: Lazy<String> = Lazy::new(|| {
        std::fs::read_to_string("/proc/sys/kernel/random/boot_id").map(|s| s.trim().to_string()).unwrap_or_default()
    });
    &ID
}

/// The process's store, read from the cache at first use (not with
/// `LAPACK_AI_RECALIBRATE=1`), its key beside it.
/// Without a key (an internal error while making it) nothing is read or
/// written.
static STORE: Lazy<(Option<String>, ForkSafeMutex<Store>)> = Lazy::new(|| {
    let key = panic::catch(key).ok();
    let loaded = key
        .as_ref()
        .filter(|_| !CONFIG.recalibrate)
        .and_then(|key| cache::load(cache::Kind::Rates, key))
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| Store::from_text(&text));
    (key, ForkSafeMutex::new(loaded.unwrap_or_default()))
});

/// Runs `f` on the process's store, locked. Never call OpenCL or measure
/// anything inside `f`: other threads' calls wait for the lock.
pub fn with<R>(f: impl FnOnce(&mut Store) -> R) -> R {
    static REGISTER: Once = Once::new();
    if Lazy::get(&STORE).is_none() {
        // A child forked while the store is read must not wait for it.
        crate::runtime::fork::unfinished(|| Lazy::force(&STORE));
    }
    let store = &STORE.1;
    REGISTER.call_once(|| {
        lock::hold_across_fork(store);
        SAVER.store(std::process::id(), Relaxed);
        // SAFETY: registers a function with no arguments that catches
        // every panic; the library is never unloaded while the process
        // runs (glibc's atexit is per object, run at dlclose).
        unsafe { libc::atexit(save_at_exit) };
    });
    let mut guard = store.lock();
    let r = f(&mut guard);
    let due = guard.unsaved >= SAVE_EVERY && LAST_SAVE.lock().elapsed().as_secs_f64() >= SAVE_INTERVAL_S;
    drop(guard);
    if due {
        save();
    }
    r
}

/// The process that registered [`save_at_exit`]: a child made by fork()
/// inherits the handler and its parent's store, and writes nothing at exit.
static SAVER: AtomicU32 = AtomicU32::new(0);
static LAST_SAVE: Lazy<parking_lot::Mutex<Instant>> = Lazy::new(|| parking_lot::Mutex::new(Instant::now()));

/// Writes the store back if it holds anything new, merged with what other
/// processes wrote meanwhile ([`Store::merge_from`]).
pub fn save() {
    save_with(|store| Some(store.lock()));
}

fn save_with<'a>(lock: impl FnOnce(&'a ForkSafeMutex<Store>) -> Option<lock_api::MutexGuard<'a, lock::RawForkSafe, Store>>) {
    let Some(key) = STORE.0.as_deref() else { return };
    let text = {
        let Some(mut s) = lock(&STORE.1) else { return };
        if s.unsaved == 0 {
            return;
        }
        let disk = cache::load(cache::Kind::Rates, key).and_then(|b| String::from_utf8(b).ok()).and_then(|t| Store::from_text(&t));
        if let Some(disk) = disk {
            s.merge_from(disk);
        }
        s.unsaved = 0;
        s.to_text()
    };
    *LAST_SAVE.lock() = Instant::now();
    cache::store(cache::Kind::Rates, key, text.as_bytes());
}

/// At exit, in the process that registered it: writes what is new, unless
/// the store is locked (exit() from a signal handler that interrupted a
/// thread holding it: better to lose the last observations than hang).
extern "C" fn save_at_exit() {
    if SAVER.load(Relaxed) == std::process::id() {
        let _ = std::panic::catch_unwind(|| save_with(|store| store.try_lock()));
    }
}

/// Where the machine's entry is kept (for reports: `lapack_ai_info`): the
/// file's path in the cache directory, and what chose the directory
/// ([`cache::location`]); `None` without a cache directory or a key.
/// The file exists once an entry was written.
pub fn cache_file() -> Option<(std::path::PathBuf, &'static str)> {
    with(|_| ());
    let key = STORE.0.as_deref()?;
    let (dir, source) = cache::location()?;
    Some((dir.join(cache::Dir::file_name(cache::Kind::Rates, key)), source))
}

/// A constant of the machine, if it was measured (by this process or an
/// earlier one): see [`constant`].
pub fn stored(name: &str) -> Option<f64> {
    with(|s| s.constants.get(name).copied()).filter(|v| v.is_finite())
}

/// A constant of the machine that a family's cost terms need (`name`;
/// those measured on the GPU start with `gpu.`): from the store, else
/// measured now by `measure` and remembered. `None` if it cannot be
/// measured (then measured again by the next call that asks).
pub fn constant(name: &str, measure: impl FnOnce() -> Option<f64>) -> Option<f64> {
    if let Some(v) = with(|s| s.constants.get(name).copied()) {
        return v.is_finite().then_some(v);
    }
    let v = panic::catch(measure).ok().flatten().filter(|v| v.is_finite() && *v > 0.0);
    with(|s| {
        // A failed measurement is not repeated by this process (NaN, not
        // written: the next process tries again).
        s.constants.insert(name.to_string(), v.unwrap_or(f64::NAN));
        s.unsaved += v.is_some() as u32;
    });
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(bucket: i8) -> Class {
        Class { routine: Routine::Dgemm.index() as u16, backend: 1, shape: 3, bucket }
    }

    #[test]
    fn a_misprediction_is_corrected_after_one_call_and_bounded() {
        let mut s = Store::default();
        assert_eq!(s.correction(class(14)), 1.0);
        // Predicted 4.8 ms, took 13.2: the next prediction is 13.2.
        s.observe(class(14), 4.8e-3, 13.2e-3);
        assert!((s.correction(class(14)) * 4.8e-3 - 13.2e-3).abs() < 1e-9);
        // Neighbouring sizes borrow it, two buckets away at most.
        assert_eq!(s.correction(class(15)), s.correction(class(14)));
        assert_eq!(s.correction(class(12)), s.correction(class(14)));
        assert_eq!(s.correction(class(17)), 1.0);
        // A neighbour learns from the borrowed correction on: 2.75x, then
        // 8x measured, is 8x (not 2.75 x ... from 1).
        let mut n = s.clone();
        n.observe(class(15), 4.8e-3, 8.0 * 4.8e-3);
        assert!((n.correction(class(15)) - 8.0).abs() < 1e-9, "{}", n.correction(class(15)));
        // Another shape, backend or routine does not.
        assert_eq!(s.correction(Class { shape: 4, ..class(14) }), 1.0);
        assert_eq!(s.correction(Class { backend: 0, ..class(14) }), 1.0);
        // One wild observation moves it 8x at most; many, 64x at most.
        let mut t = Store::default();
        t.observe(class(3), 1.0, 1e6);
        assert!((t.correction(class(3)) - 8.0).abs() < 1e-9);
        for _ in 0..100 {
            t.observe(class(3), 1.0, 1e6);
        }
        assert!((t.correction(class(3)) - 64.0).abs() < 1e-9);
        // A moving average: it follows a change within a few tens of calls.
        for _ in 0..50 {
            t.observe(class(3), 1.0, 1.0);
        }
        assert!(t.correction(class(3)) < 1.1, "{}", t.correction(class(3)));
        // Nonsense is ignored.
        t.observe(class(5), 0.0, 1.0);
        t.observe(class(5), 1.0, f64::NAN);
        assert_eq!(t.correction(class(5)), t.correction(class(3)));
    }

    #[test]
    fn the_store_survives_its_text_and_forgets_another_device() {
        let mut s = Store { device: Device::Present("#0 GPU (Platform, driver 1)".into()), first_use_s: Some(0.166), ..Store::default() };
        s.set_rates(Rates { cpu_gflops: 500.0, gpu_gflops: 40000.0, h2d_gbs: 20.0, launch_s: 1e-4 });
        s.observe(class(14), 4.8e-3, 13.2e-3);
        s.observe(Class { backend: 0, ..class(14) }, 5.5e-3, 5.0e-3);
        s.constants.insert("gpu.lu_step_s".into(), 1e-5);
        s.constants.insert("cpu.lu_gflops".into(), 40.0);
        let mut back = Store::from_text(&s.to_text()).unwrap();
        back.unsaved = s.unsaved;
        assert_eq!(back, s);
        assert_eq!(Store::from_text("something else\n"), None);
        // Unknown lines and routines are skipped.
        let odd = format!("{HEADER}\nlearned nosuch_ 0 0 1 0.5 3\nfuture line\nabsent {} no platform\nconstant x -1\n", boot_id());
        assert_eq!(Store::from_text(&odd).unwrap(), Store { device: Device::Absent("no platform".into()), ..Store::default() });
        // No device, as seen in another boot: looked for again.
        let old = format!("{HEADER}\nabsent another-boot no platform\n");
        assert_eq!(Store::from_text(&old).unwrap().device, Device::Unknown);
        // What another process wrote fills what this one does not know.
        let mut fresh = Store::default();
        fresh.observe(class(14), 1.0, 2.0);
        fresh.merge_from(Store::from_text(&s.to_text()).unwrap());
        assert_eq!((&fresh.device, fresh.rates, fresh.constants.len()), (&s.device, s.rates, 2));
        assert!((fresh.correction(class(14)) - 2.0).abs() < 1e-9, "its own correction stays");
        s.new_device(Device::Present("#0 another".into()));
        assert_eq!((s.rates, s.first_use_s, s.learned.len(), s.constants.len()), (None, None, 1, 1));
    }
}
