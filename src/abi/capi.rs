//! The library's own C API: `lapack_ai_version`, `lapack_ai_info`,
//! `lapack_ai_calibrate`, `lapack_ai_stats_json`, and the constants of the
//! LAPACKE-style extensions (`lapack_ai_dgesvdocl` in
//! src/ops/svd/lapacke.rs, `lapack_ai_dgemm_alpha` in
//! src/ops/alpha/exports.rs). Also what running liblapack_ai.so as a
//! program does (the end of this file).

use super::boundary;
use crate::dispatch::cost::Rates;
use crate::dispatch::model::{self, Device};
use crate::engine::cpu::{CpuLapack, CPU};
use crate::engine::opencl::device::{self as opencl_device, DEVICE, DEVICES};
use crate::runtime::config::{DeviceSpec, Mode, CONFIG};
use once_cell::sync::Lazy;
use std::ffi::{CStr, CString};
use std::fmt::Write as _;
use std::os::raw::{c_char, c_int, c_void};

/// `matrix_layout` values, as LAPACKE's LAPACK_ROW_MAJOR / LAPACK_COL_MAJOR.
pub const LAPACK_AI_ROW_MAJOR: c_int = 101;
pub const LAPACK_AI_COL_MAJOR: c_int = 102;
/// Returned when the workspace could not be allocated (LAPACKE's
/// LAPACK_WORK_MEMORY_ERROR).
pub const LAPACK_AI_WORK_MEMORY_ERROR: c_int = -1010;

static VERSION: Lazy<CString> =
    Lazy::new(|| CString::new(env!("CARGO_PKG_VERSION")).expect("the version has no NUL"));

/// The library's version, "MAJOR.MINOR.PATCH". The string is static.
#[no_mangle]
pub extern "C" fn lapack_ai_version() -> *const c_char {
    VERSION.as_ptr()
}

/// The part of [`lapack_ai_info`]'s text that does not change while the
/// process runs: version, library, mode, devices, CPU libraries.
static FIXED_INFO: Lazy<String> = Lazy::new(|| {
    let mut text = format!("lapack-ai {}\n", env!("CARGO_PKG_VERSION"));
    if let Some(path) = library_path() {
        let _ = writeln!(text, "library: {path}");
    }
    let _ = writeln!(text, "mode: {}", CONFIG.mode.as_str());
    match &*DEVICE {
        Ok(d) => {
            let _ = writeln!(text, "device: {}", d.describe());
        }
        Err(why) => {
            let _ = writeln!(text, "device: none ({why})");
        }
    }
    let _ = writeln!(text, "device choice: {}", device_choice(&CONFIG.device));
    let used: Vec<usize> = DEVICES.as_ref().map(|v| v.iter().map(|d| d.index).collect()).unwrap_or_default();
    match opencl_device::list_with_capacity() {
        Ok(all) => {
            let _ = writeln!(text, "opencl devices: {}", all.len());
            for (d, c) in &all {
                let memory = c.global_mem_bytes.map_or("memory unknown".to_string(), |b| format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64));
                let units = c.compute_units.map_or(String::new(), |u| format!(", {u} compute units"));
                let _ = writeln!(
                    text,
                    "opencl device #{}: {} ({}, driver {}); {}, {}, {memory}{units}{}",
                    d.index,
                    d.name,
                    d.platform,
                    d.driver,
                    c.kind,
                    if d.fp64 { "fp64" } else { "no fp64" },
                    if used.contains(&d.index) { "; used" } else { "" },
                );
            }
        }
        Err(why) => {
            let _ = writeln!(text, "opencl devices: none ({why})");
        }
    }
    // The OpenCL loader that the opencl3 crate opens: libOpenCL.so.1, or
    // the first library of this list that opens (its own variable).
    if let Some(path) = &CONFIG.opencl_dylib_path {
        let _ = writeln!(text, "opencl library: OPENCL_DYLIB_PATH={path}");
    }
    for symbol in CpuLapack::SYMBOLS {
        let _ = writeln!(text, "cpu {symbol}: {}", CPU.provider(symbol));
    }
    text
});

/// The cost model's part of [`lapack_ai_info`]'s text, as it stands now
/// (a calibration changes it): the rates and whence they come, the GPU's
/// set-up time, the cache file. Reads what is known; measures nothing.
fn cost_model_info() -> String {
    let mut text = String::new();
    let fixed = CONFIG.rates.as_deref().map(|t| (t, Rates::parse(t)));
    let (device, stored, first_use) = model::with(|s| (s.device.clone(), s.rates, s.first_use_s));
    let routed = match CONFIG.mode {
        Mode::Auto => String::new(),
        other => format!("; LAPACK_AI_MODE={} routes without them", other.as_str()),
    };
    match (fixed, stored) {
        (Some((_, Ok(r))), _) => {
            let _ = writeln!(text, "rates: {} ({RATE_UNITS}; set by LAPACK_AI_RATES{routed})", rates_text(&r));
        }
        (bad, Some(r)) => {
            let on = match &device {
                Device::Present(d) => format!(" on {d}"),
                _ => String::new(),
            };
            let bad = bad.map_or(String::new(), |(t, _)| format!("; LAPACK_AI_RATES={t:?} is not used: not four positive rates"));
            let _ = writeln!(text, "rates: {} ({RATE_UNITS}; measured{on}{bad}{routed})", rates_text(&r));
        }
        (_, None) => {
            let why = match (&device, DEVICE.as_ref()) {
                (_, Err(_)) => "no usable OpenCL device: every call runs on the CPU".to_string(),
                (Device::Absent(why), Ok(_)) => format!(
                    "an earlier process found no usable OpenCL device ({why}), so calls in auto mode stay on the CPU \
                     without looking again; `lapack-ai calibrate` looks again"
                ),
                _ => "not measured yet: measured by the first call that could go to the GPU, or now by `lapack-ai calibrate`".to_string(),
            };
            let _ = writeln!(text, "rates: none ({why}{routed})");
        }
    }
    if let Some(s) = first_use {
        let _ = writeln!(text, "gpu set-up: {s:.3} s (what the first GPU call of a process spends starting the device)");
    }
    match model::cache_file() {
        Some((path, source)) => {
            let state = if path.exists() { "written" } else { "not written yet" };
            let _ = writeln!(text, "rates cache: {} ({state}; the directory is {source})", path.display());
        }
        None => {
            let _ = writeln!(text, "rates cache: none (no cache directory: set LAPACK_AI_CACHE_DIR)");
        }
    }
    text
}

/// The units of [`rates_text`]'s four numbers.
const RATE_UNITS: &str = "GFLOP/s, GFLOP/s, GB/s, s";

/// `cpu=..,gpu=..,h2d=..,launch=..` (what `LAPACK_AI_RATES` takes), four
/// significant digits.
fn rates_text(r: &Rates) -> String {
    fn sig(x: f64) -> String {
        if !(x.is_finite() && x > 0.0) {
            return x.to_string();
        }
        if x < 0.01 {
            return format!("{x:.3e}");
        }
        let decimals = (3 - x.log10().floor() as i32).max(0) as usize;
        format!("{x:.decimals$}")
    }
    format!(
        "cpu={},gpu={},h2d={},launch={}",
        sig(r.cpu_gflops),
        sig(r.gpu_gflops),
        sig(r.h2d_gbs),
        sig(r.launch_s)
    )
}

/// How `LAPACK_AI_DEVICE` chose the device, in words.
fn device_choice(spec: &DeviceSpec) -> String {
    fn value(spec: &DeviceSpec) -> String {
        match spec {
            DeviceSpec::FirstFp64Gpu => String::new(),
            DeviceSpec::AllFp64Gpus => "all".into(),
            DeviceSpec::Index(i) => i.to_string(),
            DeviceSpec::Name(text) => text.clone(),
            DeviceSpec::List(items) => items.iter().map(value).collect::<Vec<_>>().join(","),
        }
    }
    match spec {
        DeviceSpec::FirstFp64Gpu => {
            "the first OpenCL GPU with fp64 (LAPACK_AI_DEVICE is not set; CPU OpenCL devices such as PoCL are used only when named)".into()
        }
        DeviceSpec::AllFp64Gpus => "LAPACK_AI_DEVICE=all: every OpenCL GPU with fp64".into(),
        other => format!("LAPACK_AI_DEVICE={}", value(other)),
    }
}

/// The path of the file that holds this library (the shared object, or
/// the program it is linked into), resolved.
fn library_path() -> Option<String> {
    // SAFETY: Dl_info is plain data (pointers and integers) for which all
    // zeros is a valid value.
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    // SAFETY: dladdr only looks the address up and writes into `info`,
    // which lives across the call.
    let found = unsafe { libc::dladdr(lapack_ai_info as *const c_void, &mut info) };
    if found == 0 || info.dli_fname.is_null() {
        return None;
    }
    // SAFETY: dladdr succeeded: dli_fname is a NUL-terminated string owned
    // by the dynamic loader, valid while the object is loaded.
    let name = unsafe { CStr::from_ptr(info.dli_fname) }.to_string_lossy().into_owned();
    let resolved = std::fs::canonicalize(&name).ok();
    let exe = std::fs::canonicalize("/proc/self/exe").ok();
    match resolved {
        Some(path) if Some(&path) == exe.as_ref() => Some(format!("{} (linked into this program)", path.display())),
        Some(path) => Some(path.display().to_string()),
        None if name.is_empty() => None,
        None => Some(name),
    }
}

/// Every text [`lapack_ai_info`] returned: each stays valid for the
/// process's life, and a new one is made only when the text changed.
static INFO_TEXTS: Lazy<parking_lot::Mutex<Vec<&'static CStr>>> = Lazy::new(Default::default);

/// What the library runs on and how it routes, one `key: value` per line:
/// version (the first line, `lapack-ai X.Y.Z`), `library` (the file that
/// holds it), `mode` (`LAPACK_AI_MODE`), `device` (the OpenCL device
/// selected, or `none (why)`), `device choice` (what chose it),
/// `opencl devices` and one `opencl device #N` line per device (type,
/// fp64, memory, compute units, whether used), `opencl library` (when
/// `OPENCL_DYLIB_PATH` is set), `cpu ROUTINE` (the CPU library each
/// routine runs on when it runs on the CPU), and the cost model's `rates`
/// (what `LAPACK_AI_RATES` takes, and where they come from), `gpu set-up`
/// (when known) and `rates cache` (the file that keeps them). The string
/// stays valid for the life of the process; asking for it selects the
/// device and resolves the CPU LAPACK, but measures nothing (see
/// `lapack_ai_calibrate`). Later calls return a new string where the
/// cost model's lines changed.
#[no_mangle]
pub extern "C" fn lapack_ai_info() -> *const c_char {
    boundary("lapack_ai_info", || {
        // A child forked after OpenCL was loaded uses no device (and must
        // not wait for a device lookup its parent may have been making).
        static FORKED: Lazy<CString> = Lazy::new(|| {
            let text = format!(
                "lapack-ai {}\nmode: {}\ndevice: none ({})\n",
                env!("CARGO_PKG_VERSION"),
                CONFIG.mode.as_str(),
                crate::engine::opencl::device::FORKED
            );
            CString::new(text.replace('\0', " ")).expect("NULs replaced")
        });
        if crate::runtime::fork::opencl_inherited() {
            return FORKED.as_ptr();
        }
        let text = format!("{}{}", *FIXED_INFO, cost_model_info()).replace('\0', " ");
        let mut texts = INFO_TEXTS.lock();
        if let Some(last) = texts.last().filter(|last| last.to_bytes() == text.as_bytes()) {
            return last.as_ptr();
        }
        let leaked: &'static CStr = Box::leak(CString::new(text).expect("NULs replaced").into_boxed_c_str());
        texts.push(leaked);
        leaked.as_ptr()
    })
    .unwrap_or(c"lapack-ai: internal error".as_ptr())
}

/// Looks for the OpenCL device and measures the cost model's rates now,
/// as the first call that could go to the GPU would otherwise do, and
/// keeps them in the on-disk cache. Nothing is measured where the
/// machine's cache entry already holds them (or `LAPACK_AI_RATES` sets
/// them), unless `LAPACK_AI_RECALIBRATE=1` was in the environment when the
/// library started: then the entry is ignored and everything measured
/// again. Returns 0 when the rates are known afterwards (`lapack_ai_info`
/// shows them), 1 when there is no usable device (every call runs on the
/// CPU: nothing to measure), -1 when the measurement failed (a message on
/// stderr says why), on an internal error, and in a child forked after
/// OpenCL was loaded.
#[no_mangle]
pub extern "C" fn lapack_ai_calibrate() -> c_int {
    boundary("lapack_ai_calibrate", || {
        if crate::runtime::fork::opencl_inherited() {
            return -1;
        }
        if crate::dispatch::rates().is_some() {
            return 0;
        }
        let remembered_absent = model::with(|s| matches!(s.device, Device::Absent(_)));
        if remembered_absent || DEVICE.is_err() {
            1
        } else {
            -1
        }
    })
    .unwrap_or(-1)
}

/// The library's counters as JSON text, snprintf-style: writes at most
/// `len - 1` bytes of the text and a NUL into `buf` (nothing when `buf` is
/// NULL or `len` is 0) and returns the length of the whole text, without
/// the NUL. A return value >= `len` means the copy was cut short: call
/// again with a buffer of at least the return value + 1 (a little more:
/// the counters may have grown in between).
///
/// The text is ASCII, one object: `version`, `pid`, `uptime_s` (seconds
/// since the first routed call), `unix_time_s`, `mode`, `device` (null
/// until the OpenCL device is selected) and `routines`, one entry per
/// interposed routine with `calls`, `gpu_calls`, `cpu_calls`, `fallbacks`
/// (GPU calls finished on the CPU; counted as CPU calls), `seconds`,
/// `gpu_seconds`, `cpu_seconds`, `flops`, `gpu_flops`, `cpu_flops`,
/// `h2d_bytes` and `d2h_bytes`, cumulative (README, "What it did").
/// Returns 0 on an internal error.
///
/// # Safety
/// `buf` is NULL or valid for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn lapack_ai_stats_json(buf: *mut c_char, len: usize) -> usize {
    boundary("lapack_ai_stats_json", || {
        let text = crate::runtime::stats::json();
        if !buf.is_null() && len > 0 {
            let n = text.len().min(len - 1);
            // SAFETY: buf is valid for len > n bytes (the caller's
            // guarantee); the text is ours and does not overlap it.
            unsafe {
                std::ptr::copy_nonoverlapping(text.as_ptr(), buf as *mut u8, n);
                *buf.add(n) = 0;
            }
        }
        text.len()
    })
    .unwrap_or(0)
}


// Running liblapack_ai.so as a program. The kernel maps a shared object it
// is asked to execute like a static position-independent program and jumps
// to its ELF entry point, with no dynamic loader: nothing is relocated, no
// library is loaded. build.rs makes `lapack_ai_exec_entry` that entry
// point (`-e`), which the dynamic loader ignores when the library is
// preloaded or linked. It writes one line to stderr and exits with status
// 1, by system calls alone and PC-relative addressing. The symbol is
// global for the linker and hidden, so it is not exported.
/// The line printed when the library is run as a program, as an assembler
/// directive (one text for both architectures).
#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
macro_rules! exec_message {
    () => {
        concat!(
            ".ascii \"liblapack_ai.so ",
            env!("CARGO_PKG_VERSION"),
            " is a library, not a program: preload it (LD_PRELOAD) or link it (-llapack_ai); ",
            "`lapack-ai info` shows what it would do\\n\""
        )
    };
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
std::arch::global_asm!(
    ".pushsection .text.lapack_ai_exec_entry,\"ax\",@progbits",
    ".globl lapack_ai_exec_entry",
    ".hidden lapack_ai_exec_entry",
    ".type lapack_ai_exec_entry,@function",
    ".Llapack_ai_exec_message:",
    exec_message!(),
    ".Llapack_ai_exec_message_end:",
    "lapack_ai_exec_entry:",
    // write(2, message, length)
    "movl $1, %eax",
    "movl $2, %edi",
    "leaq .Llapack_ai_exec_message(%rip), %rsi",
    "movl $(.Llapack_ai_exec_message_end - .Llapack_ai_exec_message), %edx",
    "syscall",
    // exit_group(1)
    "movl $231, %eax",
    "movl $1, %edi",
    "syscall",
    "ud2",
    ".size lapack_ai_exec_entry, . - lapack_ai_exec_entry",
    ".popsection",
    options(att_syntax)
);

#[cfg(all(target_os = "linux", target_arch = "aarch64"))]
std::arch::global_asm!(
    ".pushsection .text.lapack_ai_exec_entry,\"ax\",%progbits",
    ".globl lapack_ai_exec_entry",
    ".hidden lapack_ai_exec_entry",
    ".type lapack_ai_exec_entry,%function",
    ".Llapack_ai_exec_message:",
    exec_message!(),
    ".Llapack_ai_exec_message_end:",
    ".balign 4",
    "lapack_ai_exec_entry:",
    // write(2, message, length)
    "mov x0, #2",
    "adr x1, .Llapack_ai_exec_message",
    "mov x2, #(.Llapack_ai_exec_message_end - .Llapack_ai_exec_message)",
    "mov x8, #64",
    "svc #0",
    // exit_group(1)
    "mov x0, #1",
    "mov x8, #94",
    "svc #0",
    "brk #0",
    ".size lapack_ai_exec_entry, . - lapack_ai_exec_entry",
    ".popsection",
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rates_line_is_what_lapack_ai_rates_takes() {
        let r = Rates { cpu_gflops: 51.0012, gpu_gflops: 35123.4, h2d_gbs: 2.4, launch_s: 2.749e-4 };
        let text = rates_text(&r);
        assert_eq!(text, "cpu=51.00,gpu=35123,h2d=2.400,launch=2.749e-4");
        let back = Rates::parse(&text).expect("LAPACK_AI_RATES's form");
        assert_eq!((back.cpu_gflops, back.gpu_gflops, back.h2d_gbs, back.launch_s), (51.0, 35123.0, 2.4, 2.749e-4));
    }

    #[test]
    fn the_device_choice_names_the_variable_and_its_value() {
        assert!(device_choice(&DeviceSpec::FirstFp64Gpu).contains("LAPACK_AI_DEVICE is not set"));
        assert_eq!(device_choice(&DeviceSpec::Name("pocl".into())), "LAPACK_AI_DEVICE=pocl");
        let list = DeviceSpec::List(vec![DeviceSpec::Index(1), DeviceSpec::Name("h100".into())]);
        assert_eq!(device_choice(&list), "LAPACK_AI_DEVICE=1,h100");
        assert!(device_choice(&DeviceSpec::AllFp64Gpus).starts_with("LAPACK_AI_DEVICE=all"));
    }

    #[test]
    fn the_info_text_has_the_lines_callers_read() {
        // SAFETY: lapack_ai_info returns a NUL-terminated static string.
        let text = unsafe { CStr::from_ptr(lapack_ai_info()) }.to_string_lossy().into_owned();
        assert!(text.starts_with(&format!("lapack-ai {}\n", env!("CARGO_PKG_VERSION"))), "{text}");
        for key in ["\nmode: ", "\ndevice: ", "\ndevice choice: ", "\nopencl devices: ", "\ncpu dgesvd_: ", "\nrates: ", "\nrates cache: "] {
            assert!(text.contains(key), "no {key:?} in {text}");
        }
    }
}
