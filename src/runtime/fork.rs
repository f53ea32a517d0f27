//! `fork()`: a child process never uses its parent's OpenCL state.
//!
//! OpenCL implementations are not fork-safe. Probed on the dev machine
//! (issue 15): on PoCL, after the parent made one routed call (which loads
//! the OpenCL platforms and starts PoCL's worker threads), the child's first
//! GPU call waited forever in `clFinish`, because those threads do not
//! exist in the child; on the H100 the child's GPU calls ran, and then the
//! pair never finished. Python's `multiprocessing` with the fork start
//! method does exactly this.
//!
//! So a process forked after OpenCL was loaded runs every call on the CPU
//! (the log says why), and never calls OpenCL at all; a child forked before
//! the library touched OpenCL sets up its own state as any process does.
//! The handlers of `pthread_atfork` also hold the library's own locks
//! across the fork (the counters' registry and the log), so that the
//! child does not inherit one locked by a thread that does not exist there;
//! they are [`lock::ForkSafeMutex`]es, which the child can simply release.

use super::lock;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Once;

/// OpenCL has been loaded in this process (or in the parent it was forked
/// from).
static OPENCL_LOADED: AtomicBool = AtomicBool::new(false);
/// This process was forked after OpenCL had been loaded.
static INHERITED: AtomicBool = AtomicBool::new(false);

/// Registers the fork handlers, once per process. Called by the first
/// routed call and before OpenCL is first loaded.
pub fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // SAFETY: three functions with no arguments that touch only atomics
        // and this library's locks; the library is never unloaded while
        // the process runs (glibc drops the handlers of an object it
        // unloads).
        if unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) } != 0 {
            super::warn::warn("pthread_atfork failed: a child made by fork() could use the parent's OpenCL state");
        }
    });
}

/// To be called before the first OpenCL call of the process.
pub fn before_opencl() {
    install();
    OPENCL_LOADED.store(true, Relaxed);
}

/// Whether this process was forked from one that had loaded OpenCL: then
/// it must not make any OpenCL call.
pub fn opencl_inherited() -> bool {
    INHERITED.load(Relaxed)
}

/// Before fork, in the forking thread: take the library's locks, so that
/// no other thread holds one at the moment of the fork.
extern "C" fn prepare() {
    lock::lock_all_for_fork();
}

/// After fork, in the parent: release them.
extern "C" fn parent() {
    // SAFETY: `prepare` took them in this thread.
    unsafe { lock::unlock_all_after_fork() };
}

/// After fork, in the child (whose only thread is the one that forked):
/// release them, and remember whether OpenCL came from the parent.
extern "C" fn child() {
    // SAFETY: `prepare` took them in this thread, which is the child's.
    unsafe { lock::unlock_all_after_fork() };
    if OPENCL_LOADED.load(Relaxed) || UNFINISHED.load(std::sync::atomic::Ordering::SeqCst) > 0 {
        INHERITED.store(true, Relaxed);
    }
}

/// One-time set-up steps in progress in some thread ([`unfinished`]).
static UNFINISHED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Marks a one-time set-up step that a child forked in its middle could
/// never see finished (a `Lazy` being made by a thread the child does not
/// have: the cost model's store and calibration): such a child treats
/// itself as one forked after OpenCL was loaded, and never waits for it.
pub fn unfinished<R>(f: impl FnOnce() -> R) -> R {
    struct Done;
    impl Drop for Done {
        fn drop(&mut self) {
            UNFINISHED.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
    install();
    UNFINISHED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let _done = Done;
    f()
}
