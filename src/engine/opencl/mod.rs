//! The OpenCL engine: it knows devices, buffers and kernels, and no
//! routine. Device selection ([`device`]), the process's OpenCL state
//! (context, queues, pinned staging, kernel builds: [`context`]), kernel
//! launches ([`launch`]), matrices that live on the device and the copies
//! to and from the caller's memory ([`resident`]), the DGEMM kernel and
//! DGEMM from host memory ([`gemm`]), errors ([`error`]), fallible host
//! buffers ([`host`]) and the fault-injection hook ([`fault`]).

pub mod context;
pub mod device;
pub mod error;
pub mod fault;
pub mod gemm;
pub mod host;
pub mod launch;
pub mod resident;

use crate::matrix::{MatMut, MatRef};
use error::GpuError;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

/// Nanoseconds spent so far setting OpenCL up: listing the devices,
/// making contexts, loading or building kernels.
static SETUP_NANOS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Set-up steps in progress on this thread: a step inside another
    /// (a kernel built while a context is made) is counted once.
    static SETUP_DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    /// This thread's share of [`SETUP_NANOS`].
    static THREAD_SETUP_NANOS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Runs `f`, one set-up step, and counts its time in [`setup_seconds`].
pub(crate) fn timed_setup<R>(f: impl FnOnce() -> R) -> R {
    /// Leaves the step, also when `f` unwinds.
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            SETUP_DEPTH.set(SETUP_DEPTH.get() - 1);
        }
    }
    let outer = SETUP_DEPTH.get() == 0;
    SETUP_DEPTH.set(SETUP_DEPTH.get() + 1);
    let _leave = Leave;
    let t = Instant::now();
    let r = f();
    if outer {
        let nanos = t.elapsed().as_nanos() as u64;
        SETUP_NANOS.fetch_add(nanos, Relaxed);
        THREAD_SETUP_NANOS.set(THREAD_SETUP_NANOS.get() + nanos);
    }
    r
}

/// Seconds this process has spent setting OpenCL up (by every thread).
pub fn setup_seconds() -> f64 {
    SETUP_NANOS.load(Relaxed) as f64 * 1e-9
}

/// Seconds this thread has spent setting OpenCL up: the cost model takes
/// the set-up done during a call out of the call's measured time before it
/// learns from it (src/dispatch/model.rs).
pub fn thread_setup_seconds() -> f64 {
    THREAD_SETUP_NANOS.get() as f64 * 1e-9
}

/// Sets up the first selected device (lists the devices, makes its context
/// and staging), so that the next GPU call pays nothing for it.
pub fn warm_up() -> Result<(), GpuError> {
    context::gpu().map(drop)
}

pub use context::ready;

/// Measures, on the selected device, what the cost model needs: the fixed
/// cost of one call (s), the effective host<->device rate of the DGEMM
/// path (GB/s: bytes moved over the time not spent computing, so that the
/// overlap of transfers with kernels is counted as it happens), and the
/// kernel's rate on device-resident data (GFLOP/s). The host-path probe is
/// a 4096^3 product on a GPU: smaller probes see fixed costs and gave
/// 4 to 7 GB/s on the H100 machine where large products move 20 (bench/
/// RESULTS.md). Sizes are small on CPU devices (PoCL), where this runs only
/// when `auto` mode is asked for explicitly.
pub fn calibrate() -> Result<(f64, f64, f64), GpuError> {
    let is_gpu = device::DEVICE.as_ref().map_err(|e| GpuError::NoDevice(e.clone()))?.is_gpu;
    let time_host = |n: usize, reps: usize| -> Result<f64, GpuError> {
        let mut a = host::zeroed::<f64>(n * n, "dgemm")?;
        a.iter_mut().enumerate().for_each(|(i, x)| *x = ((i * 7919 % 1000) as f64 + 1.0) / 1000.0);
        let mut c = host::zeroed::<f64>(n * n, "dgemm")?;
        let av = MatRef::from_slice(&a, n, n, n.max(1));
        let g = gemm::Gemm::new(false, false, 1.0, av, av, 0.0);
        let mut best = f64::INFINITY;
        for _ in 0..reps {
            let t = Instant::now();
            gemm::dgemm(&g, MatMut::from_slice(&mut c, n, n, n.max(1))).map_err(|f| f.error)?;
            best = best.min(t.elapsed().as_secs_f64());
        }
        Ok(best)
    };
    // Two host-path probes, a mid-size and a large one, fit the fixed cost
    // and the transfer rate of t = launch + bytes/rate (after the kernel's
    // own time): with one probe, mid-size products (where one thread packs
    // and unpacks, and fixed costs are a millisecond) were sent to the GPU
    // at 1.5x the CPU's time on the H100 machine.
    let (n1, n2) = if is_gpu { (512usize, 4096usize) } else { (64, 192) };
    let flops = |n: usize| 2.0 * (n as f64).powi(3);
    let bytes = |n: usize| 8.0 * 3.0 * (n * n) as f64;
    let kernel2 = gemm::time_device_resident(false, false, n2, n2, n2, 3)?;
    let rate = flops(n2) / kernel2;
    let y1 = time_host(n1, 5)? - flops(n1) / rate;
    let y2 = time_host(n2, 3)? - kernel2;
    let per_byte = ((y2 - y1) / (bytes(n2) - bytes(n1))).max(1e-12);
    let launch = (y1 - bytes(n1) * per_byte).max(time_host(8, 5)?);
    Ok((launch, 1.0 / per_byte / 1e9, rate / 1e9))
}
