//! The library's warnings for the user: always on stderr, one `write` each
//! (bad configuration, a missing library, a fallback). Callers make sure
//! each is printed once.

use std::io::Write;

/// Prints `lapack-ai: warning: MESSAGE` on stderr. Write errors are
/// ignored: a warning must never disturb the computation.
pub fn warn(message: &str) {
    let _ = std::io::stderr().write_all(format!("lapack-ai: warning: {message}\n").as_bytes());
}
