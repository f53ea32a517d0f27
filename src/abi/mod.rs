//! The boundary with the caller: what every exported function uses to read
//! its arguments and to keep panics out of the caller's frames
//! ([`boundary`], [`guarded`]), and the library's own C API ([`capi`]).
//! The exported routines themselves are in their families' folders
//! (src/ops/FAMILY/exports.rs); what liblapack_ai.so exports is the table
//! of src/routines.rs ([`crate::routines::exported_symbols`]), which
//! `tests/exports.rs` checks against `nm -D --defined-only` and
//! `tests/header.rs` against the declarations of `include/lapack_ai.h`.

pub mod capi;

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

/// Sets INFO if the pointer is usable.
///
/// # Safety
/// `info` is null or writable.
pub(crate) unsafe fn set_info(info: *mut c_int, value: c_int) {
    // SAFETY: the caller guarantees info is null or valid.
    if let Some(i) = unsafe { info.as_mut() } {
        *i = value;
    }
}

/// Sets WORK(1) if the pointer is usable.
///
/// # Safety
/// `work` is null or writable.
pub(crate) unsafe fn set_work(work: *mut f64, value: f64) {
    // SAFETY: the caller guarantees work is null or valid.
    if let Some(w) = unsafe { work.as_mut() } {
        *w = value;
    }
}

/// Reads an INTEGER argument; a null pointer reads as `illegal`, a value
/// the routine rejects at that argument's position.
pub(crate) fn int(p: *const c_int, illegal: c_int) -> c_int {
    // SAFETY: the Fortran caller passes valid (or null) scalar pointers.
    unsafe { read(p) }.unwrap_or(illegal)
}

/// Runs an exported routine's body; a caught panic sets INFO to
/// [`LAPACK_AI_INFO_INTERNAL_ERROR`].
pub(crate) fn guarded(routine: &str, info: *mut c_int, body: impl FnOnce()) {
    if boundary(routine, body).is_none() {
        // SAFETY: info is the caller's INFO argument (or null).
        unsafe { set_info(info, LAPACK_AI_INFO_INTERNAL_ERROR) };
    }
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
            crate::ops::lu::exports::dgesv_(&n, std::ptr::null(), std::ptr::null_mut(), &lda, std::ptr::null_mut(),
                std::ptr::null_mut(), &lda, &mut info);
        }
        assert_eq!(info, -2);
        assert_eq!(unsafe { read_char(std::ptr::null()) }, 0);
    }
}
