//! Host buffers of the GPU paths, allocated fallibly.
//!
//! Rust's `vec!` aborts the process when an allocation fails: under a
//! memory limit (`ulimit -v` of 1 GB) the GPU SVD of a 2500 x 2500 matrix
//! died with "memory allocation of 50000000 bytes failed" where reference
//! DGESVD completes (issue 15). The GPU paths allocate their large host
//! buffers here instead; a failure is [`GpuError::HostMemory`], and the
//! call finishes on the CPU like any GPU failure.

use super::error::GpuError;
use std::alloc::{alloc_zeroed, Layout};

/// Element types whose all-zero bit pattern is a valid value (zero).
///
/// # Safety
/// Implemented only for such types.
pub unsafe trait Zeroable: Copy {}
// SAFETY: 0.0, 0 and false are all-zero bit patterns.
unsafe impl Zeroable for f64 {}
// SAFETY: as above.
unsafe impl Zeroable for f32 {}
// SAFETY: as above.
unsafe impl Zeroable for i32 {}
// SAFETY: as above.
unsafe impl Zeroable for i64 {}
// SAFETY: as above.
unsafe impl Zeroable for usize {}

/// `vec![0; len]`, or [`GpuError::HostMemory`] when the memory is not
/// there. Zeroed by the allocator (calloc: untouched pages cost nothing),
/// as `vec!` does. `site` names the GPU path for the test hook
/// `LAPACK_AI_FAULT_INJECT=alloc-SITE` (src/engine/opencl/fault.rs), which makes
/// every such allocation of that path fail.
pub fn zeroed<T: Zeroable>(len: usize, site: &str) -> Result<Vec<T>, GpuError> {
    if len == 0 {
        return Ok(Vec::new());
    }
    let bytes = len.saturating_mul(std::mem::size_of::<T>());
    if super::fault::alloc_fails(site) {
        return Err(GpuError::HostMemory(bytes));
    }
    let layout = Layout::array::<T>(len).map_err(|_| GpuError::HostMemory(bytes))?;
    // SAFETY: the layout has a non-zero size (len > 0 and T is not a ZST:
    // every Zeroable type has a size).
    let ptr = unsafe { alloc_zeroed(layout) } as *mut T;
    if ptr.is_null() {
        return Err(GpuError::HostMemory(bytes));
    }
    // SAFETY: `ptr` was allocated by the global allocator with T's layout
    // for `len` elements, all initialised (zero is a valid T); the Vec
    // takes ownership and frees it with the same layout.
    Ok(unsafe { Vec::from_raw_parts(ptr, len, len) })
}

/// A copy of `data`, fallibly.
pub fn copy_of<T: Zeroable>(data: &[T], site: &str) -> Result<Vec<T>, GpuError> {
    let mut v = zeroed(data.len(), site)?;
    v.copy_from_slice(data);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroed_buffers_and_failures() {
        let v: Vec<f64> = zeroed(1000, "test").unwrap();
        assert!(v.len() == 1000 && v.iter().all(|&x| x == 0.0));
        assert!(zeroed::<i32>(0, "test").unwrap().is_empty());
        assert_eq!(copy_of(&[1.5, 2.5], "test").unwrap(), vec![1.5, 2.5]);
        // Far more than any machine has: an error, not an abort.
        assert!(matches!(zeroed::<f64>(usize::MAX / 16, "test"), Err(GpuError::HostMemory(_))));
        assert!(matches!(zeroed::<f64>(1 << 60, "test"), Err(GpuError::HostMemory(_))));
        // A valid layout that no allocator can serve (8 TiB).
        assert!(matches!(zeroed::<f64>(1 << 40, "test"), Err(GpuError::HostMemory(_))));
    }
}
