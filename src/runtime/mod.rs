//! The run-time layer, below everything else: the configuration (read
//! once, at the first call), the call log and the library's warnings, the
//! counters behind the profile, the monitor and `lapack_ai_stats_json`,
//! panics caught and described, fork handling, and the on-disk cache.
//! It imports nothing of the library but the table of routines
//! (src/routines.rs), and its modules import each other one way:
//! `warn`, `panic`, `lock` and `config` need none of the others; `log`,
//! `stats`, `cache` and `fork` need those; `monitor` needs `stats`.

pub mod cache;
pub mod config;
pub mod fork;
pub mod lock;
pub mod log;
pub mod monitor;
pub mod panic;
pub mod stats;
pub mod warn;

use std::sync::Once;

/// What the first routed call starts (src/dispatch/mod.rs calls this on
/// every routed call; after the first it is one atomic load): the fork
/// handlers and the locks they hold, the profile at exit and the monitor,
/// as configured. Not at load time: a preloaded library is loaded into
/// every program a job starts (shells, compilers), and only those that call
/// LAPACK should print a profile or take the monitor's port.
pub fn start_once() {
    static START: Once = Once::new();
    START.call_once(|| {
        fork::install();
        log::hold_across_fork();
        stats::hold_across_fork();
        stats::install_profile();
        if let Some(addr) = config::CONFIG.monitor {
            monitor::start(addr, config::CONFIG.monitor_allow_remote);
        }
    });
}
