//! Kernel launches that report failures instead of panicking.
//!
//! opencl3's `ExecuteKernel` panics when an argument cannot be set (and
//! when the kernel's argument count cannot be read): with a damaged
//! program binary, `clSetKernelArg` returned `CL_INVALID_ARG_SIZE` and the
//! panic left `dgemm_` without its result (issue 15). [`Launch`] keeps the
//! first error and returns it from [`Launch::enqueue`], so that the call
//! falls back to the CPU like any other GPU failure.

use super::error::GpuError;
use opencl3::command_queue::CommandQueue;
use opencl3::event::Event;
use opencl3::kernel::Kernel;
use opencl3::types::cl_event;
use std::ptr;

/// A kernel with its arguments being set, in order.
pub struct Launch<'k> {
    kernel: &'k Kernel,
    /// The kernel's name, for the error's step.
    name: &'static str,
    next: u32,
    error: Option<GpuError>,
}

impl<'k> Launch<'k> {
    pub fn new(kernel: &'k Kernel, name: &'static str) -> Launch<'k> {
        Launch { kernel, name, next: 0, error: None }
    }

    /// Sets the next argument.
    ///
    /// # Safety
    /// `T` is the type of the kernel's next parameter as OpenCL passes it
    /// (a `cl_mem` for a buffer, the scalar itself otherwise).
    pub unsafe fn arg<T>(mut self, value: &T) -> Launch<'k> {
        if self.error.is_none() {
            // SAFETY: the caller matched T to the parameter; `value` lives
            // for the call (OpenCL copies argument values).
            if let Err(e) = unsafe { self.kernel.set_arg(self.next, value) } {
                self.error = Some(GpuError::Cl { step: "clSetKernelArg", code: e.0 });
            }
        }
        self.next += 1;
        self
    }

    /// Enqueues the kernel over `global` work-items in work-groups of
    /// `local` (same number of dimensions), after the events of `wait`;
    /// the first error of an argument, or of the launch, otherwise.
    ///
    /// # Safety
    /// Every argument has been set, and the buffers hold what the kernel
    /// touches with them.
    pub unsafe fn enqueue(self, queue: &CommandQueue, global: &[usize], local: &[usize], wait: &[cl_event]) -> Result<Event, GpuError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        debug_assert_eq!(global.len(), local.len());
        // SAFETY: the arguments are set (caller); the size arrays hold
        // `global.len()` entries each and outlive the call.
        unsafe {
            queue.enqueue_nd_range_kernel(
                self.kernel.get(),
                global.len() as u32,
                ptr::null(),
                global.as_ptr(),
                local.as_ptr(),
                wait,
            )
        }
        .map_err(|e| GpuError::Cl { step: self.name, code: e.0 })
    }
}
