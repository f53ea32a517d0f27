//! The call log (`LAPACK_AI_LOG`) and the library's warnings.
//!
//! One line per call, written with a single `write` so that lines from
//! several threads never interleave:
//!
//! ```text
//! lapack-ai: dgemm_ transa=N transb=T m=500 n=500 k=500 -> cpu[libblas.so.3] (no GPU implementation yet) 3.112 ms 80.3 GFLOP/s
//! ```

use super::config::{LogTarget, CONFIG};
use once_cell::sync::Lazy;
use super::fork::ForkSafeMutex;
use std::fs::{File, OpenOptions};
use std::io::Write;

enum Sink {
    Off,
    Stderr,
    File(File),
}

static SINK: Lazy<ForkSafeMutex<Sink>> = Lazy::new(|| {
    ForkSafeMutex::new(match &CONFIG.log {
        LogTarget::Off => Sink::Off,
        LogTarget::Stderr => Sink::Stderr,
        LogTarget::File(path) => match OpenOptions::new().create(true).append(true).open(path) {
            Ok(f) => Sink::File(f),
            Err(e) => {
                warn(&format!("LAPACK_AI_LOG={}: cannot open for appending ({e}); logging is off", path.display()));
                Sink::Off
            }
        },
    })
});

/// Whether the log is on, decided once (the sink opened or not).
static ENABLED: Lazy<bool> = Lazy::new(|| !matches!(*SINK.lock(), Sink::Off));

/// Whether calls are being logged: callers skip formatting when not. No
/// lock: every routed call asks.
pub fn enabled() -> bool {
    *ENABLED
}

/// Writes one log line (a newline is added). Write errors are ignored: the
/// log must never disturb the computation.
pub fn line(text: &str) {
    let mut sink = SINK.lock();
    let mut buf = String::with_capacity(text.len() + 12);
    buf.push_str("lapack-ai: ");
    buf.push_str(text);
    buf.push('\n');
    match &mut *sink {
        Sink::Off => {}
        Sink::Stderr => {
            let _ = std::io::stderr().write_all(buf.as_bytes());
        }
        Sink::File(f) => {
            let _ = f.write_all(buf.as_bytes());
        }
    }
}

/// A warning for the user, always on stderr (bad configuration, a missing
/// library, a fallback). Callers make sure each is printed once.
pub fn warn(message: &str) {
    let _ = std::io::stderr().write_all(format!("lapack-ai: warning: {message}\n").as_bytes());
}

/// Takes the log's lock for a fork (src/runtime/fork.rs), setting the log
/// up first if no call has yet.
pub(crate) fn lock_for_fork() {
    std::mem::forget(SINK.lock());
}

/// Releases the lock [`lock_for_fork`] took.
///
/// # Safety
/// Only after [`lock_for_fork`], in the same thread (or in the child the
/// fork made of it).
pub(crate) unsafe fn unlock_after_fork() {
    // SAFETY: locked by lock_for_fork, whose guard was forgotten.
    unsafe { SINK.force_unlock() }
}
