//! The OpenCL state of the process: one context on the selected device, its
//! queues, the DGEMM programs (built once per process, their binaries cached
//! on disk), device buffers that grow and are reused, and pinned staging
//! buffers for host transfers.
//!
//! Host memory from a caller is pageable; on the H100 machine pageable
//! host-to-device copies ran at 6 GB/s and pinned ones
//! (`CL_MEM_ALLOC_HOST_PTR` + map) at 54 GB/s (measured when this was
//! designed, 2026-11). Every transfer
//! therefore goes through two pinned staging buffers, alternately, so that
//! packing one chunk on the CPU overlaps the DMA of the other.

use super::device::{DeviceInfo, DEVICES};
use super::error::{cl, GpuError};
use once_cell::sync::OnceCell;
use opencl3::command_queue::CommandQueue;
use opencl3::context::Context;
use opencl3::device::Device;
use opencl3::event::Event;
use opencl3::kernel::Kernel;
use opencl3::memory::{Buffer, CL_MAP_READ, CL_MAP_WRITE, CL_MEM_ALLOC_HOST_PTR, CL_MEM_READ_WRITE};
use opencl3::program::Program;
use opencl3::types::{cl_mem, CL_BLOCKING};
use parking_lot::{Mutex, MutexGuard};
use std::ptr;

/// A DGEMM kernel source and the launch geometry its `#define`s declare
/// (kernels/dgemm_*.cl beside this file: `TILE_M`, `TILE_N`, `WG_X`, `WG_Y`).
pub struct KernelFamily {
    pub name: &'static str,
    pub source: &'static str,
    /// Extra build options (`-D` choices of the source).
    pub options: &'static str,
    pub tile_m: usize,
    pub tile_n: usize,
    pub wg_x: usize,
    pub wg_y: usize,
}

pub const PORTABLE_SOURCE: &str = include_str!("kernels/dgemm_portable.cl");
pub const NVIDIA_SOURCE: &str = include_str!("kernels/dgemm_nvidia_mma.cl");

/// The value of `#define NAME value` in a kernel source.
pub fn define(source: &str, name: &str) -> Option<usize> {
    source.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        (words.next() == Some("#define") && words.next() == Some(name)).then(|| words.next()?.parse().ok())?
    })
}

impl KernelFamily {
    fn from_source(name: &'static str, source: &'static str, options: &'static str) -> Result<KernelFamily, GpuError> {
        let get = |key| define(source, key).ok_or_else(|| GpuError::Build(format!("{name}: no #define {key}")));
        Ok(KernelFamily {
            name,
            source,
            options,
            tile_m: get("TILE_M")?,
            tile_n: get("TILE_N")?,
            wg_x: get("WG_X")?,
            wg_y: get("WG_Y")?,
        })
    }
}

/// The kernels to try on a device, best first. On NVIDIA: the tensor-core
/// kernel with Hopper's m16n8k16 DMMA (47 TFLOP/s on the H100 at 4096, see
/// bench/RESULTS.md), then with Ampere's m8n8k4 (sm_80), then the portable
/// kernel. Elsewhere, or with LAPACK_AI_KERNEL=portable: the portable one.
fn candidates(device: &DeviceInfo) -> Vec<(&'static str, &'static str, &'static str)> {
    let portable = ("portable", PORTABLE_SOURCE, "");
    let nvidia = device.platform.contains("NVIDIA") && !crate::runtime::config::CONFIG.portable_kernel;
    if nvidia {
        vec![("nvidia-mma", NVIDIA_SOURCE, ""), ("nvidia-mma-m8n8k4", NVIDIA_SOURCE, "-DMMA_SHAPE=884"), portable]
    } else {
        vec![portable]
    }
}

/// Number of pinned staging buffers, and the size of each in doubles
/// (64 MiB: large enough for full PCIe speed, small enough to pipeline).
const STAGING_BUFFERS: usize = 2;
const STAGING_DOUBLES: usize = 8 << 20;

/// The staging size: [`STAGING_DOUBLES`], or `LAPACK_AI_TEST_STAGING`
/// doubles (a test hook: small staging makes small products use many C
/// tiles, so that tiling and partial fallback are tested on PoCL).
fn staging_doubles() -> usize {
    crate::runtime::config::CONFIG.test_staging.unwrap_or(STAGING_DOUBLES)
}

/// A pinned host buffer, mapped for the life of the process, and the event
/// of the last transfer that used it.
pub struct Staging {
    /// Never unmapped: the mapping lives as long as the process, and the
    /// driver frees pinned memory with the context.
    _buffer: Buffer<f64>,
    pub ptr: *mut f64,
    pub pending: Option<Event>,
}

/// A device buffer that grows to the largest size asked of it.
pub struct DeviceBuffer {
    pub buffer: Option<Buffer<f64>>,
    pub capacity: usize,
}

pub struct Gpu {
    pub device: DeviceInfo,
    pub context: Context,
    /// Kernels run here.
    pub queue: CommandQueue,
    /// Host transfers run here, so that they overlap the kernels.
    pub transfer: CommandQueue,
    pub family: KernelFamily,
    /// Kernels by (TRANS_A, TRANS_B), built on first use.
    kernels: [Option<Kernel>; 4],
    /// Other kernels (the families' .cl files, and level2.cl), by (source and options
    /// hash, kernel name), built on first use.
    others: Vec<(u64, String, Kernel)>,
    pub staging: Vec<Staging>,
    /// Device buffers for A, B and C panels, and the conversions' scratch
    /// (src/engine/opencl/gemm.rs: operands uploaded in single precision or
    /// complex, before the device makes them the doubles the kernel takes).
    pub buffers: [DeviceBuffer; 4],
    pub global_mem: u64,
    pub max_alloc: u64,
    staging_len: usize,
}

// SAFETY: OpenCL objects may be used from any thread (OpenCL 3.0 §A.2);
// the raw staging pointers point into mapped pinned memory owned by this
// struct. All use goes through the Mutex in GPU, one thread at a time.
unsafe impl Send for Gpu {}

/// A device's slot: its GPU once set up, or why it could not be.
type GpuSlot = OnceCell<Result<Mutex<Gpu>, GpuError>>;

/// One slot per selected device (`LAPACK_AI_DEVICE`), each set up at first
/// use.
static GPUS: once_cell::sync::Lazy<Vec<GpuSlot>> =
    once_cell::sync::Lazy::new(|| (0..DEVICES.as_ref().map_or(1, Vec::len)).map(|_| OnceCell::new()).collect());

/// The process's GPU (the first selected device), set up at first use
/// (device, context, staging); the error says why there is none, and is
/// the same for every later call.
pub fn gpu() -> Result<MutexGuard<'static, Gpu>, GpuError> {
    gpu_at(0)
}

/// The number of selected devices (0 when there is none).
pub fn device_count() -> usize {
    DEVICES.as_ref().map_or(0, Vec::len)
}

/// The `i`-th selected device's state, set up at first use.
pub fn gpu_at(i: usize) -> Result<MutexGuard<'static, Gpu>, GpuError> {
    if crate::runtime::fork::opencl_inherited() {
        return Err(GpuError::NoDevice(super::device::FORKED.into()));
    }
    let slot = GPUS.get(i).ok_or_else(|| GpuError::NoDevice(format!("no selected device #{i}")))?;
    match slot.get_or_init(|| super::timed_setup(|| Gpu::new(i).map(Mutex::new))) {
        Ok(m) => Ok(m.lock()),
        Err(e) => Err(e.clone()),
    }
}

/// Whether the first selected device is set up (its context made), so
/// that a GPU call now pays no set-up; never sets anything up.
pub fn ready() -> bool {
    once_cell::sync::Lazy::get(&GPUS).and_then(|slots| slots.first()).is_some_and(|slot| matches!(slot.get(), Some(Ok(_))))
}

/// After a GPU path panicked: waits for what it left on the queues, forgets
/// its staging events and frees the cached device buffers, on every device
/// set up so far, so that the next call starts clean. Errors are ignored:
/// a device that fails here fails the next call, which falls back.
pub fn recover_after_panic() {
    let Some(slots) = once_cell::sync::Lazy::get(&GPUS) else { return };
    for slot in slots {
        if let Some(Ok(m)) = slot.get() {
            let mut gpu = m.lock();
            let _ = gpu.queue.finish();
            let _ = gpu.transfer.finish();
            for s in &mut gpu.staging {
                s.pending = None;
            }
            gpu.release_buffers();
        }
    }
}

impl Gpu {
    fn new(which: usize) -> Result<Gpu, GpuError> {
        let devices = DEVICES.as_ref().map_err(|why| GpuError::NoDevice(why.clone()))?;
        let device = devices.get(which).ok_or_else(|| GpuError::NoDevice(format!("no selected device #{which}")))?.clone();
        let cl_device = Device::new(device.id);
        let context = Context::from_device(&cl_device).map_err(cl("clCreateContext"))?;
        #[allow(deprecated)]
        let queue = CommandQueue::create_default(&context, 0).map_err(cl("clCreateCommandQueue"))?;
        #[allow(deprecated)]
        let transfer = CommandQueue::create_default(&context, 0).map_err(cl("clCreateCommandQueue"))?;
        let candidates = candidates(&device);
        let (name, source, options) = candidates[0];
        let family = KernelFamily::from_source(name, source, options)?;
        let staging_len = staging_doubles();
        let mut staging = Vec::with_capacity(STAGING_BUFFERS);
        for _ in 0..STAGING_BUFFERS {
            // SAFETY: no host pointer is passed; the driver allocates.
            let buffer = unsafe {
                Buffer::<f64>::create(&context, CL_MEM_READ_WRITE | CL_MEM_ALLOC_HOST_PTR, staging_len, ptr::null_mut())
            }
            .map_err(cl("clCreateBuffer (pinned staging)"))?;
            let mut mapped: cl_mem = ptr::null_mut();
            // SAFETY: a blocking map of the whole buffer; the pointer stays
            // valid until unmapped, which happens only when the process ends.
            unsafe {
                queue.enqueue_map_buffer(
                    &buffer,
                    CL_BLOCKING,
                    CL_MAP_READ | CL_MAP_WRITE,
                    0,
                    staging_len * 8,
                    &mut mapped,
                    &[],
                )
            }
            .map_err(cl("clEnqueueMapBuffer (pinned staging)"))?;
            staging.push(Staging { _buffer: buffer, ptr: mapped as *mut f64, pending: None });
        }
        let global_mem = cl_device.global_mem_size().map_err(cl("clGetDeviceInfo"))?;
        let max_alloc = cl_device.max_mem_alloc_size().map_err(cl("clGetDeviceInfo"))?;
        let empty = || DeviceBuffer { buffer: None, capacity: 0 };
        let mut gpu = Gpu {
            device,
            context,
            queue,
            transfer,
            family,
            kernels: [None, None, None, None],
            others: Vec::new(),
            staging,
            buffers: [empty(), empty(), empty(), empty()],
            global_mem,
            max_alloc,
            staging_len,
        };
        // A kernel that does not build on this device (an older GPU
        // without the instruction, a driver without inline PTX) gives way
        // to the next candidate.
        for next in candidates.iter().skip(1) {
            match gpu.kernel(false, false) {
                Ok(_) => break,
                Err(e) => {
                    crate::runtime::warn::warn(&format!(
                        "{} DGEMM kernel unavailable on {} ({}); trying {}",
                        gpu.family.name,
                        gpu.device.describe(),
                        e.to_string().lines().next().unwrap_or(""),
                        next.0
                    ));
                    gpu.family = KernelFamily::from_source(next.0, next.1, next.2)?;
                }
            }
        }
        Ok(gpu)
    }

    /// The DGEMM kernel for a pair of transposes, built on first use.
    pub fn kernel(&mut self, trans_a: bool, trans_b: bool) -> Result<&Kernel, GpuError> {
        let slot = (trans_a as usize) * 2 + trans_b as usize;
        if self.kernels[slot].is_none() {
            let options = format!("-DTRANS_A={} -DTRANS_B={} {}", trans_a as u8, trans_b as u8, self.family.options);
            let program = build_program(&self.context, &self.device, self.family.source, &options)?;
            let kernel = Kernel::create(&program, "dgemm_tile").map_err(cl("clCreateKernel dgemm_tile"))?;
            self.kernels[slot] = Some(kernel);
        }
        Ok(self.kernels[slot].as_ref().expect("set above"))
    }

    /// Kernel `name` of `source` built with `options`, built on first use
    /// (the program binary is cached on disk as the DGEMM ones are).
    pub fn other_kernel(&mut self, source: &'static str, options: &str, name: &str) -> Result<&Kernel, GpuError> {
        let index = self.prepare_other(source, options, name)?;
        Ok(self.other(index))
    }

    /// Builds kernel `name` of `source` with `options` if not yet built;
    /// returns its index for [`Gpu::other`] (which borrows the context
    /// immutably, so that the queues can be used beside it).
    pub fn prepare_other(&mut self, source: &'static str, options: &str, name: &str) -> Result<usize, GpuError> {
        let key = fnv1a(&[source, options]);
        if let Some(i) = self.others.iter().position(|(k, n, _)| *k == key && n == name) {
            return Ok(i);
        }
        let program = build_program(&self.context, &self.device, source, options)?;
        let kernel = Kernel::create(&program, name).map_err(|e| GpuError::Build(format!("clCreateKernel {name}: {e}")))?;
        self.others.push((key, name.to_string(), kernel));
        Ok(self.others.len() - 1)
    }

    /// A kernel built by [`Gpu::prepare_other`].
    pub fn other(&self, index: usize) -> &Kernel {
        &self.others[index].2
    }

    /// The kernel for a pair of transposes if [`Gpu::kernel`] built it.
    pub fn built_kernel(&self, trans_a: bool, trans_b: bool) -> Option<&Kernel> {
        self.kernels[(trans_a as usize) * 2 + trans_b as usize].as_ref()
    }

    /// Device buffer `which` (0 A, 1 B, 2 C, 3 scratch) with room for `len` doubles.
    pub fn buffer(&mut self, which: usize, len: usize) -> Result<&Buffer<f64>, GpuError> {
        let len = len.max(1);
        if (len as u64) * 8 > self.max_alloc {
            return Err(GpuError::TooLarge(format!("{} MiB buffer over the device's {} MiB allocation limit", (len * 8) >> 20, self.max_alloc >> 20)));
        }
        let slot = &mut self.buffers[which];
        if slot.capacity < len {
            slot.buffer = None;
            // SAFETY: no host pointer is passed; the driver allocates.
            let buffer = unsafe { Buffer::<f64>::create(&self.context, CL_MEM_READ_WRITE, len, ptr::null_mut()) }
                .map_err(cl("clCreateBuffer"))?;
            slot.buffer = Some(buffer);
            slot.capacity = len;
        }
        Ok(slot.buffer.as_ref().expect("set above"))
    }

    /// Frees the device buffers (after an allocation failure, so that the
    /// next call starts from a clean state).
    pub fn release_buffers(&mut self) {
        for b in &mut self.buffers {
            b.buffer = None;
            b.capacity = 0;
        }
    }

    pub fn staging_len(&self) -> usize {
        self.staging_len
    }
}

/// FNV-1a, 64 bits: the key of a kernel built in this process (src/runtime/cache.rs
/// checks what is on disk with it too).
pub(crate) fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0u8)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// Builds `source` for the device, from the binary cache (src/runtime/cache.rs)
/// when it holds a build of the same source, options, device and driver.
fn build_program(context: &Context, device: &DeviceInfo, source: &str, options: &str) -> Result<Program, GpuError> {
    super::timed_setup(|| build_program_now(context, device, source, options))
}

fn build_program_now(context: &Context, device: &DeviceInfo, source: &str, options: &str) -> Result<Program, GpuError> {
    use crate::runtime::cache::{self, Kind};
    let key = format!(
        "lapack-ai {}\ndevice {}\nplatform {}\ndriver {}\noptions {options}\nsource\n{source}",
        env!("CARGO_PKG_VERSION"),
        device.name,
        device.platform,
        device.driver
    );
    if let Some(binary) = cache::load(Kind::Program, &key) {
        // The binary is whole and was produced by this driver for this
        // device (both are in the key); one the driver still refuses is
        // rebuilt from source below, and replaced.
        if let Ok(program) = Program::create_and_build_from_binary(context, &[&binary], options) {
            return Ok(program);
        }
    }
    let program = Program::create_and_build_from_source(context, source, options).map_err(GpuError::Build)?;
    if let Some(binary) = program.get_binaries().ok().and_then(|b| b.into_iter().next()).filter(|b| !b.is_empty()) {
        cache::store(Kind::Program, &key, &binary);
    }
    Ok(program)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_kernel_files_declare_their_geometry() {
        for (name, src) in [("portable", PORTABLE_SOURCE), ("nvidia-mma", NVIDIA_SOURCE)] {
            let f = KernelFamily::from_source(name, src, "").unwrap();
            assert!(f.tile_m > 0 && f.tile_n > 0 && f.wg_x > 0 && f.wg_y > 0, "{name}");
        }
        assert_eq!(define("#define TILE_M 64\n#define X 3", "TILE_M"), Some(64));
        assert_eq!(fnv1a(&["a", "b"]), fnv1a(&["a", "b"]));
        assert_ne!(fnv1a(&["ab", ""]), fnv1a(&["a", "b"]));
    }
}
