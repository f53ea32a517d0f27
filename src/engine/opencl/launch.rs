//! Kernel launches, the one way every kernel of the library is enqueued:
//! [`Launch`] sets a kernel's arguments in order and enqueues it.
//!
//! Failures are reported, never panicked: opencl3's `ExecuteKernel`
//! panics when an argument cannot be set (and when the kernel's argument
//! count cannot be read): with a damaged program binary, `clSetKernelArg`
//! returned `CL_INVALID_ARG_SIZE` and the panic left `dgemm_` without its
//! result (issue 15). [`Launch`] keeps the first error and returns it from
//! [`Launch::enqueue`] or [`Launch::submit`], so that the call falls back
//! to the CPU like any other GPU failure.

use super::error::GpuError;
use opencl3::command_queue::CommandQueue;
use opencl3::event::Event;
use opencl3::kernel::Kernel;
use opencl3::types::{cl_event, cl_kernel, cl_mem};
use std::ffi::c_void;
use std::marker::PhantomData;
use std::ptr;

/// A kernel argument of a list ([`Launch::args`]), as OpenCL passes it.
#[derive(Clone, Copy, Debug)]
pub enum Arg {
    Mem(cl_mem),
    Int(i32),
    Long(i64),
    Double(f64),
}

/// A kernel with its arguments being set, in order.
pub struct Launch<'k> {
    kernel: cl_kernel,
    /// The kernel's name, for the error's step.
    name: &'static str,
    next: u32,
    error: Option<GpuError>,
    _kernel: PhantomData<&'k Kernel>,
}

impl<'k> Launch<'k> {
    pub fn new(kernel: &'k Kernel, name: &'static str) -> Launch<'k> {
        Launch { kernel: kernel.get(), name, next: 0, error: None, _kernel: PhantomData }
    }

    /// A launch of a kernel known by its handle (a kernel of the [`Gpu`]'s
    /// cache, looked up once per call rather than per launch).
    ///
    /// # Safety
    /// The kernel object stays alive until the launch is enqueued (the
    /// cache's kernels live as long as their `Gpu`).
    ///
    /// [`Gpu`]: super::context::Gpu
    pub unsafe fn from_raw(kernel: cl_kernel, name: &'static str) -> Launch<'static> {
        Launch { kernel, name, next: 0, error: None, _kernel: PhantomData }
    }

    /// Sets the next argument.
    ///
    /// # Safety
    /// `T` is the type of the kernel's next parameter as OpenCL passes it
    /// (a `cl_mem` for a buffer, the scalar itself otherwise).
    pub unsafe fn arg<T>(mut self, value: &T) -> Launch<'k> {
        if self.error.is_none() {
            // SAFETY: the caller matched T to the parameter; `value` points
            // to size_of::<T>() bytes that live for the call (OpenCL copies
            // argument values); the kernel is alive (new, from_raw).
            let set = unsafe {
                opencl3::kernel::set_kernel_arg(self.kernel, self.next, std::mem::size_of::<T>(), value as *const T as *const c_void)
            };
            if let Err(code) = set {
                self.error = Some(GpuError::Cl { step: "clSetKernelArg", code });
            }
        }
        self.next += 1;
        self
    }

    /// Sets the next arguments from a list.
    ///
    /// # Safety
    /// As for [`Launch::arg`], for each.
    pub unsafe fn args(self, args: &[Arg]) -> Launch<'k> {
        args.iter().fold(self, |l, a| {
            // SAFETY: the caller's guarantee, argument by argument.
            unsafe {
                match a {
                    Arg::Mem(m) => l.arg(m),
                    Arg::Int(v) => l.arg(v),
                    Arg::Long(v) => l.arg(v),
                    Arg::Double(v) => l.arg(v),
                }
            }
        })
    }

    /// Enqueues the kernel over `global` work-items in work-groups of
    /// `local` (same number of dimensions), after the events of `wait`;
    /// its event, or the first error of an argument or of the launch.
    ///
    /// # Safety
    /// Every argument has been set, and the buffers hold what the kernel
    /// touches with them.
    pub unsafe fn enqueue(self, queue: &CommandQueue, global: &[usize], local: &[usize], wait: &[cl_event]) -> Result<Event, GpuError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        assert_eq!(global.len(), local.len());
        // SAFETY: the arguments are set (caller); the size arrays hold
        // `global.len()` entries each and the wait list its events, all of
        // which outlive the call.
        let event = unsafe {
            opencl3::command_queue::enqueue_nd_range_kernel(
                queue.get(),
                self.kernel,
                global.len() as u32,
                ptr::null(),
                global.as_ptr(),
                local.as_ptr(),
                wait.len() as u32,
                if wait.is_empty() { ptr::null() } else { wait.as_ptr() },
            )
        }
        .map_err(|code| GpuError::Cl { step: self.name, code })?;
        Ok(Event::new(event))
    }

    /// [`Launch::enqueue`] without waiting on or keeping the event (later
    /// commands of the queue, or a finish, see the kernel's results):
    /// the event is released here, and a failed release is an error, not
    /// the panic of opencl3's `Event` drop.
    ///
    /// # Safety
    /// As for [`Launch::enqueue`].
    pub unsafe fn submit(self, queue: &CommandQueue, global: &[usize], local: &[usize]) -> Result<(), GpuError> {
        // SAFETY: passed on.
        let event = unsafe { self.enqueue(queue, global, local, &[]) }?;
        let raw = event.get();
        // The one reference moves out of `event`, released below.
        std::mem::forget(event);
        // SAFETY: our event, not used again.
        unsafe { super::error::release_event(raw) }
    }
}
