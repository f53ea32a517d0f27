//! The library's own C API: `lapack_ai_version`, `lapack_ai_info`,
//! `lapack_ai_stats_json`, and the constants of the LAPACKE-style
//! extensions (`lapack_ai_dgesvdocl` in src/ops/svd/lapacke.rs,
//! `lapack_ai_dgemm_alpha` in src/ops/alpha/exports.rs).

use super::boundary;
use crate::engine::cpu::{CpuLapack, CPU};
use crate::engine::opencl::device::DEVICE;
use crate::runtime::config::CONFIG;
use once_cell::sync::Lazy;
use std::ffi::CString;
use std::os::raw::{c_char, c_int};

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

static INFO: Lazy<CString> = Lazy::new(|| {
    let mut text = format!("lapack-ai {}\nmode: {}\n", env!("CARGO_PKG_VERSION"), CONFIG.mode.as_str());
    match &*DEVICE {
        Ok(d) => text.push_str(&format!("device: {}\n", d.describe())),
        Err(why) => text.push_str(&format!("device: none ({why})\n")),
    }
    // The OpenCL loader that the opencl3 crate opens: libOpenCL.so.1, or
    // the first library of this list that opens (its own variable).
    if let Some(path) = &CONFIG.opencl_dylib_path {
        text.push_str(&format!("opencl library: OPENCL_DYLIB_PATH={path}\n"));
    }
    for symbol in CpuLapack::SYMBOLS {
        text.push_str(&format!("cpu {symbol}: {}\n", CPU.provider(symbol)));
    }
    CString::new(text.replace('\0', " ")).expect("NULs replaced")
});

/// What the library runs on, one `key: value` per line: version, mode
/// (`LAPACK_AI_MODE`), the OpenCL device selected (or `none (why)`), and the
/// CPU library each routine runs on when it runs on the CPU. The string is
/// static; asking for it selects the device and resolves the CPU LAPACK.
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
            FORKED.as_ptr()
        } else {
            INFO.as_ptr()
        }
    })
    .unwrap_or(c"lapack-ai: internal error".as_ptr())
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

