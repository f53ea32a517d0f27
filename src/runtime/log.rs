//! The call log (`LAPACK_AI_LOG`).
//!
//! One line per call, written with a single `write` so that lines from
//! several threads never interleave:
//!
//! ```text
//! lapack-ai: dgemm_ transa=N transb=T m=500 n=500 k=500 -> gpu[NVIDIA H100 80GB HBM3] (cost model: cpu 0.455 ms, gpu 0.312 ms) 0.301 ms 830.6 GFLOP/s
//! ```

use super::config::{LogTarget, CONFIG};
use super::lock::{self, ForkSafeMutex};
use super::warn::warn;
use once_cell::sync::Lazy;
use std::fs::{File, OpenOptions};
use std::io::Write;

enum Sink {
    Off,
    Stderr,
    File(File),
}

impl Sink {
    fn open() -> Sink {
        match &CONFIG.log {
            LogTarget::Off => Sink::Off,
            LogTarget::Stderr => Sink::Stderr,
            LogTarget::File(path) => match OpenOptions::new().create(true).append(true).open(path) {
                Ok(f) => Sink::File(f),
                Err(e) => {
                    warn(&format!("LAPACK_AI_LOG={}: cannot open for appending ({e}); logging is off", path.display()));
                    Sink::Off
                }
            },
        }
    }
}

/// The sink, opened at first use; a lock held across fork()
/// (src/runtime/lock.rs).
static SINK: ForkSafeMutex<Option<Sink>> = ForkSafeMutex::new(None);

/// Runs `f` on the sink, opening it first if need be.
fn with_sink<R>(f: impl FnOnce(&mut Sink) -> R) -> R {
    let mut sink = SINK.lock();
    f(sink.get_or_insert_with(Sink::open))
}

/// Whether the log is on, decided once (the sink opened or not).
static ENABLED: Lazy<bool> = Lazy::new(|| with_sink(|s| !matches!(s, Sink::Off)));

/// Whether calls are being logged: callers skip formatting when not. No
/// lock: every routed call asks.
pub fn enabled() -> bool {
    *ENABLED
}

/// Writes one log line (a newline is added). Write errors are ignored: the
/// log must never disturb the computation.
pub fn line(text: &str) {
    let mut buf = String::with_capacity(text.len() + 12);
    buf.push_str("lapack-ai: ");
    buf.push_str(text);
    buf.push('\n');
    with_sink(|sink| match sink {
        Sink::Off => {}
        Sink::Stderr => {
            let _ = std::io::stderr().write_all(buf.as_bytes());
        }
        Sink::File(f) => {
            let _ = f.write_all(buf.as_bytes());
        }
    });
}

/// Has the fork handlers hold the log's lock across a fork.
pub(crate) fn hold_across_fork() {
    lock::hold_across_fork(&SINK);
}
