//! The library's own locks, safe across `fork()`.
//!
//! The fork handlers (src/runtime/fork.rs) hold every lock registered here
//! across a fork, so that the child does not inherit one locked by a
//! thread that does not exist there, and the child releases them by
//! clearing a flag.

use parking_lot::lock_api;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::{Acquire, Relaxed, Release}};

/// The lock of [`ForkSafeMutex`]: a flag, taken by compare-and-swap, with a
/// yield between tries. The child of a fork releases it by clearing the
/// flag: parking_lot's mutex would also hand it to threads parked on it,
/// through a table that a thread which does not exist in the child may
/// have held at the fork. For the library's short, rarely contended locks
/// (the log's, the counters' registry).
pub struct RawForkSafe(AtomicBool);

// SAFETY: `lock` returns only after this thread set the flag from false to
// true (Acquire), `unlock` clears it (Release): one holder at a time, and
// what the holder wrote is seen by the next.
unsafe impl lock_api::RawMutex for RawForkSafe {
    #[allow(clippy::declare_interior_mutable_const)]
    const INIT: RawForkSafe = RawForkSafe(AtomicBool::new(false));
    type GuardMarker = lock_api::GuardNoSend;

    fn lock(&self) {
        let mut spins = 0u32;
        while !self.try_lock() {
            if spins < 64 {
                std::hint::spin_loop();
                spins += 1;
            } else {
                std::thread::yield_now();
            }
        }
    }

    fn try_lock(&self) -> bool {
        self.0.compare_exchange(false, true, Acquire, Relaxed).is_ok()
    }

    unsafe fn unlock(&self) {
        self.0.store(false, Release);
    }
}

/// A mutex that the fork handlers can hold across a fork and release in
/// the child ([`RawForkSafe`]).
pub type ForkSafeMutex<T> = lock_api::Mutex<RawForkSafe, T>;


/// The locks held across a fork: a fixed table, filled once per lock.
const MAX_LOCKS: usize = 8;
static LOCKS: [AtomicUsize; MAX_LOCKS] = [const { AtomicUsize::new(0) }; MAX_LOCKS];

/// Has the fork handlers hold `mutex` across a fork. For locks that live as
/// long as the process (statics); at most 8.
pub fn hold_across_fork<T>(mutex: &'static ForkSafeMutex<T>) {
    let raw = unsafe_raw(mutex) as *const RawForkSafe as usize;
    for slot in &LOCKS {
        match slot.compare_exchange(0, raw, Release, Relaxed) {
            Ok(_) => return,
            Err(other) if other == raw => return,
            Err(_) => {}
        }
    }
    debug_assert!(false, "more than {MAX_LOCKS} locks held across fork");
}

/// The raw lock of a mutex.
fn unsafe_raw<T>(mutex: &'static ForkSafeMutex<T>) -> &'static RawForkSafe {
    // SAFETY: only the reference to the raw lock is taken; it is used to
    // lock and unlock, as the mutex itself would.
    unsafe { mutex.raw() }
}

fn registered() -> impl Iterator<Item = &'static RawForkSafe> {
    LOCKS.iter().filter_map(|slot| {
        let raw = slot.load(Acquire);
        // SAFETY: a non-zero slot holds the address of a RawForkSafe of a
        // static mutex (hold_across_fork).
        (raw != 0).then(|| unsafe { &*(raw as *const RawForkSafe) })
    })
}

/// Takes every registered lock, in the table's order (fork's prepare
/// handler).
pub(crate) fn lock_all_for_fork() {
    for raw in registered() {
        lock_api::RawMutex::lock(raw);
    }
}

/// Releases what [`lock_all_for_fork`] took.
///
/// # Safety
/// Only after [`lock_all_for_fork`], in the same thread (or in the child
/// the fork made of it).
pub(crate) unsafe fn unlock_all_after_fork() {
    for raw in registered() {
        // SAFETY: locked by lock_all_for_fork in this thread.
        unsafe { lock_api::RawMutex::unlock(raw) };
    }
}
