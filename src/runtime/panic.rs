//! Panics inside the library: caught where they can be handled, described
//! once, never unwound into the caller.
//!
//! [`catch`] runs a closure and turns a panic into `Err(description)`:
//! the exported functions use it as their boundary (src/abi/mod.rs), and
//! the dispatcher around every GPU path, so that a panic there finishes the
//! call on the CPU like any GPU failure (issue 15: a damaged kernel binary
//! made opencl3 panic inside `dgemm_`, which returned with C unchanged).
//!
//! The library's own panic hook records where the panic happened for the
//! description and prints nothing while a thread is inside [`catch`]: the
//! dispatcher's warning says it once per cause. Outside (a test harness
//! linking the library as a Rust crate, a helper thread) the previous hook
//! runs as before. The hook is this library's alone: a cdylib carries its
//! own copy of Rust's standard library, whose hook only its own panics see.

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// How many [`catch`] frames this thread is inside.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// Where and why this thread last panicked inside [`catch`].
    static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn install_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if DEPTH.try_with(Cell::get).unwrap_or(0) == 0 {
                previous(info);
                return;
            }
            let what = payload_text(info.payload());
            let text = match info.location() {
                Some(l) => format!("at {}:{}: {what}", l.file(), l.line()),
                None => what,
            };
            let _ = LAST.try_with(|last| last.replace(Some(text)));
        }));
    });
}

fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

/// Runs `f`; a panic inside it becomes `Err` with where and why it
/// happened ("at src/engine/opencl/gemm.rs:120: message").
pub fn catch<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    install_hook();
    /// Leaves the frame, also when unwinding.
    struct Frame;
    impl Drop for Frame {
        fn drop(&mut self) {
            let _ = DEPTH.try_with(|d| d.set(d.get().saturating_sub(1)));
        }
    }
    let _ = DEPTH.try_with(|d| d.set(d.get() + 1));
    let frame = Frame;
    let result = catch_unwind(AssertUnwindSafe(f));
    drop(frame);
    result.map_err(|payload| {
        LAST.try_with(|last| last.take()).ok().flatten().unwrap_or_else(|| payload_text(&*payload))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_location_and_message() {
        assert_eq!(catch(|| 7), Ok(7));
        let e = catch(|| -> i32 { panic!("deliberate {}", 42) }).unwrap_err();
        assert!(e.starts_with("at src/runtime/panic.rs:") && e.ends_with(": deliberate 42"), "{e}");
        // Nested: the inner one is caught by the inner frame.
        let outer = catch(|| catch(|| -> () { panic!("inner") }).unwrap_err());
        assert!(outer.unwrap().ends_with(": inner"));
        assert_eq!(DEPTH.with(Cell::get), 0);
    }
}
