//! Why a GPU call could not run. Every one of these ends in the CPU
//! fallback (dispatch), never in a crash or a wrong answer.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GpuError {
    /// No usable OpenCL device (none installed, none with fp64, or
    /// `LAPACK_AI_DEVICE` names none).
    NoDevice(String),
    /// An OpenCL call failed: which step, and the OpenCL error code.
    Cl { step: &'static str, code: i32 },
    /// A kernel did not build; the compiler's log.
    Build(String),
    /// The operation does not fit the device (buffer limits).
    TooLarge(String),
    /// `LAPACK_AI_FAULT_INJECT` asked this call to fail (tests of the
    /// fallback).
    Injected,
    /// Input the GPU routine leaves to the CPU LAPACK, whose exact
    /// behaviour on it is the reference (NaN or infinity in A for the SVD).
    Declined(&'static str),
    /// A host buffer of this many bytes could not be allocated (Rust's
    /// infallible allocation would abort the process instead).
    HostMemory(usize),
    /// The GPU path panicked (a bug of this library): where and what. The
    /// dispatcher catches the panic and computes the call on the CPU.
    Internal(String),
}

impl GpuError {
    /// What the error is, without the details that change from call to
    /// call (sizes, compiler logs): the fallback warning is printed once
    /// per routine and cause.
    pub fn cause(&self) -> String {
        match self {
            GpuError::NoDevice(_) => "no device".into(),
            GpuError::Cl { step, code } => format!("{step} {code}"),
            GpuError::Build(_) => "build".into(),
            GpuError::TooLarge(_) => "too large".into(),
            GpuError::Injected => "injected".into(),
            GpuError::Declined(why) => format!("declined {why}"),
            GpuError::HostMemory(_) => "host memory".into(),
            // The location, not the message (which may hold values).
            GpuError::Internal(what) => format!("internal {}", what.split(": ").next().unwrap_or("")),
        }
    }
}

impl fmt::Display for GpuError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GpuError::NoDevice(why) => write!(f, "no OpenCL device: {why}"),
            GpuError::Cl { step, code } => write!(f, "OpenCL error {code} ({}) in {step}", cl_error_name(*code)),
            GpuError::Build(log) => write!(f, "kernel build failed: {}", log.trim()),
            GpuError::TooLarge(why) => write!(f, "too large for the device: {why}"),
            GpuError::Injected => write!(f, "failure injected by LAPACK_AI_FAULT_INJECT"),
            GpuError::Declined(why) => write!(f, "left to the CPU: {why}"),
            GpuError::HostMemory(bytes) => write!(f, "could not allocate {} MiB of host memory", bytes.div_ceil(1 << 20)),
            GpuError::Internal(what) => write!(f, "internal error {what}"),
        }
    }
}

/// Releases an event the caller holds one reference to and will not
/// use again; a failed release is an error (opencl3's `Event` would panic
/// in its drop).
///
/// # Safety
/// `event` is a live event whose reference the caller gives up here.
pub unsafe fn release_event(event: opencl3::types::cl_event) -> Result<(), GpuError> {
    // SAFETY: the caller's reference, released once.
    unsafe { opencl3::event::release_event(event) }.map_err(|code| GpuError::Cl { step: "clReleaseEvent", code })
}

/// Wraps an OpenCL error code with the step that produced it.
pub fn cl(step: &'static str) -> impl Fn(opencl3::error_codes::ClError) -> GpuError {
    move |e| GpuError::Cl { step, code: e.0 }
}

fn cl_error_name(code: i32) -> &'static str {
    match code {
        -4 => "CL_MEM_OBJECT_ALLOCATION_FAILURE",
        -5 => "CL_OUT_OF_RESOURCES",
        -6 => "CL_OUT_OF_HOST_MEMORY",
        -11 => "CL_BUILD_PROGRAM_FAILURE",
        -30 => "CL_INVALID_VALUE",
        -36 => "CL_INVALID_COMMAND_QUEUE",
        -38 => "CL_INVALID_MEM_OBJECT",
        -48 => "CL_INVALID_KERNEL",
        -52 => "CL_INVALID_KERNEL_ARGS",
        -54 => "CL_INVALID_WORK_GROUP_SIZE",
        -61 => "CL_INVALID_BUFFER_SIZE",
        -1001 => "CL_PLATFORM_NOT_FOUND_KHR",
        _ => "see cl.h",
    }
}
