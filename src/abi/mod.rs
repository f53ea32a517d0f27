//! The exported symbols, and nothing but unpacking their arguments.
//!
//! What liblapack_ai.so exports is the table of src/routines.rs
//! ([`crate::routines::exported_symbols`]); `tests/exports.rs` checks it
//! against `nm -D --defined-only` and `tests/header.rs` against the
//! declarations of `include/lapack_ai.h`.
//!
//! Every exported function runs its body through [`boundary`], so that no
//! panic unwinds into the caller's C or Fortran frames.

pub mod alpha;
pub mod blas;
pub mod capi;
pub mod lapack;

use std::os::raw::{c_char, c_int};

/// INFO returned when the library itself failed (a bug: a panic caught at
/// the boundary). Outside the range of any LAPACK argument position, so a
/// caller that checks INFO stops; the message says what happened.
pub const LAPACK_AI_INFO_INTERNAL_ERROR: c_int = -1000;

/// Runs `body`, catching a panic. On a panic, prints what happened and
/// returns `None`. A panic of a GPU path never reaches here: the
/// dispatcher finishes such a call on the CPU; this catches what is left
/// (a bug in an argument check or a CPU path).
pub(crate) fn boundary<R>(routine: &str, body: impl FnOnce() -> R) -> Option<R> {
    match crate::runtime::panic::catch(body) {
        Ok(r) => Some(r),
        Err(what) => {
            crate::runtime::warn::warn(&format!("internal error in {routine} {what}; the call did not complete"));
            None
        }
    }
}

/// Reads a scalar argument passed by reference; `None` for a null pointer.
///
/// # Safety
/// `p` is null or points to a readable value.
pub(crate) unsafe fn read<T: Copy>(p: *const T) -> Option<T> {
    // SAFETY: the caller guarantees p is null or valid.
    unsafe { p.as_ref().copied() }
}

/// Reads a CHARACTER argument: its first byte, or 0 (illegal everywhere) for
/// a null pointer.
///
/// # Safety
/// `p` is null or points to at least one readable byte.
pub(crate) unsafe fn read_char(p: *const c_char) -> u8 {
    // SAFETY: the caller guarantees p is null or valid.
    unsafe { p.as_ref().map_or(0, |c| *c as u8) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_stops_at_the_boundary() {
        assert_eq!(boundary("TEST", || 7), Some(7));
        assert_eq!(boundary("TEST", || -> i32 { panic!("deliberate") }), None);
    }

    #[test]
    fn null_arguments_are_illegal_not_fatal() {
        let mut info = 0;
        let (n, lda) = (2, 2);
        // SAFETY: every non-null pointer is valid; null ones must be caught.
        unsafe {
            lapack::dgesv_(&n, std::ptr::null(), std::ptr::null_mut(), &lda, std::ptr::null_mut(),
                std::ptr::null_mut(), &lda, &mut info);
        }
        assert_eq!(info, -2);
        assert_eq!(unsafe { read_char(std::ptr::null()) }, 0);
    }
}
