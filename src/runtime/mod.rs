//! The run-time layer, below everything else: the configuration (read
//! once, at the first call), the call log and the library's warnings, the
//! counters behind the profile, the monitor and `lapack_ai_stats_json`,
//! panics caught and described, fork handling, and the on-disk cache.
//! It imports nothing of the library but the table of routines
//! (src/routines.rs).

pub mod cache;
pub mod config;
pub mod fork;
pub mod log;
pub mod monitor;
pub mod panic;
pub mod stats;
