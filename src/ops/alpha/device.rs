//! DGEMM_ALPHA on the GPU: the evaluator's [`Machine`] on device-resident
//! matrices (block products by the DGEMM kernel, block combinations by
//! src/ops/alpha/alpha_combine.cl, all enqueued in order on the compute queue),
//! and the product from host memory: A, B (and C when beta != 0) copied to
//! the device through the pinned staging, the scheme evaluated there, C
//! copied back.

use crate::engine::opencl::context::{gpu, Gpu};
use crate::engine::opencl::error::{cl, GpuError};
use crate::engine::opencl::gemm::{Failure, Gemm, Tile};
use crate::engine::opencl::resident::{self, DeviceMatrix, View};
use super::eval::{evaluate, Compiled, Counts, Machine, Product};
use crate::engine::opencl::launch::Launch;
use crate::matrix::{MatMut, MatRef};
use opencl3::kernel::Kernel;
use opencl3::memory::{Buffer, ClMem, CL_MEM_COPY_HOST_PTR, CL_MEM_READ_ONLY};
use opencl3::types::cl_ulong;
use std::cell::Cell;
use std::rc::Rc;
use std::time::Instant;

pub const COMBINE_SOURCE: &str = include_str!("alpha_combine.cl");
/// Blocks of a 4x4 grid: the fixed side of the combination kernels.
const FIXED: usize = 16;
/// Work-group size and elements per work-item (src/ops/alpha/alpha_combine.cl).
const WG: usize = 64;
const PER: usize = 4;

/// Device memory as the evaluator's machine, with a budget for temporaries.
pub struct Device<'g, 'c> {
    pub gpu: &'g mut Gpu,
    budget: usize,
    used: Rc<Cell<usize>>,
    /// An upload of C from host memory, started on the transfer queue at
    /// the first [`Machine::before_output`] (by then the first batch of
    /// block products is queued, so the host packs C while the GPU
    /// computes) and waited for before C is written.
    deferred_c: Option<(MatRef<'c>, View)>,
}

/// A temporary on the device.
pub struct DeviceTemp {
    matrix: DeviceMatrix,
    bytes: usize,
    used: Rc<Cell<usize>>,
}

impl Drop for DeviceTemp {
    fn drop(&mut self) {
        // The buffer is released with the matrix; OpenCL frees it only once
        // the commands enqueued on it have completed.
        self.used.set(self.used.get() - self.bytes);
    }
}

impl<'g, 'c> Device<'g, 'c> {
    /// Temporaries may take `budget` bytes of device memory.
    pub fn new(gpu: &'g mut Gpu, budget: usize) -> Device<'g, 'c> {
        Device { gpu, budget, used: Rc::new(Cell::new(0)), deferred_c: None }
    }

    /// Waits for everything enqueued.
    pub fn finish(&self) -> Result<(), GpuError> {
        resident::finish(self.gpu)
    }
}

/// A small read-only device buffer holding `data`.
fn constants<T: Copy>(gpu: &Gpu, data: &[T]) -> Result<Buffer<T>, GpuError> {
    // SAFETY: CL_MEM_COPY_HOST_PTR copies `data` (len elements) during the
    // call; the pointer is not kept.
    unsafe {
        Buffer::<T>::create(&gpu.context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, data.len().max(1), data.as_ptr() as *mut std::ffi::c_void)
    }
    .map_err(cl("clCreateBuffer (alpha constants)"))
}

impl Machine for Device<'_, '_> {
    type Buf = DeviceTemp;
    type View = View;
    type Error = GpuError;

    fn bytes_free(&self) -> usize {
        self.budget.saturating_sub(self.used.get())
    }

    fn before_output(&mut self) -> Result<(), GpuError> {
        if let Some((src, dst)) = self.deferred_c.take() {
            // SAFETY: `run` made `dst` for C's shape.
            unsafe { resident::write_on(self.gpu, true, dst, src)? };
            self.gpu.transfer.finish().map_err(cl("clFinish (upload C)"))?;
        }
        Ok(())
    }

    fn max_elements(&self) -> usize {
        // resident::DeviceMatrix's limits: the allocation limit, and 2^31
        // elements (the kernels index with 32-bit offsets).
        ((self.gpu.max_alloc / 8) as usize).min(i32::MAX as usize)
    }

    fn alloc(&mut self, rows: usize, cols: usize) -> Result<DeviceTemp, GpuError> {
        let matrix = DeviceMatrix::new(self.gpu, rows, cols)?;
        let bytes = rows * cols * 8;
        self.used.set(self.used.get() + bytes);
        Ok(DeviceTemp { matrix, bytes, used: self.used.clone() })
    }

    fn view(&self, buf: &DeviceTemp) -> View {
        buf.matrix.view()
    }

    fn at(v: View, i: usize, j: usize) -> View {
        v.at(i, j)
    }

    fn gemm(
        &mut self, ta: bool, tb: bool, m: usize, n: usize, k: usize, alpha: f64, a: View, b: View, beta: f64,
        c: View,
    ) -> Result<(), GpuError> {
        // SAFETY: the evaluator derives every view from the product's
        // device matrices or its temporaries, inside them.
        unsafe { resident::gemm(self.gpu, ta, tb, m, n, k, alpha, a, b, beta, c) }
    }

    fn combine(&mut self, rows: usize, cols: usize, ins: &[View], outs: &[View], coef: &[f64], beta: f64) -> Result<(), GpuError> {
        if rows == 0 || cols == 0 || outs.is_empty() {
            return Ok(());
        }
        let same = |v: &[View]| v.iter().all(|x| x.mem() == v[0].mem() && x.ld == v[0].ld);
        if ins.is_empty() || !same(ins) || !same(outs) {
            return Err(GpuError::TooLarge("block combination over several buffers".into()));
        }
        let (name, count) = if ins.len() == FIXED {
            ("combine_in", outs.len())
        } else if outs.len() == FIXED {
            ("combine_out", ins.len())
        } else {
            return Err(GpuError::TooLarge(format!("block combination of {} into {}", ins.len(), outs.len())));
        };
        let in_off: Vec<cl_ulong> = ins.iter().map(|v| v.off as cl_ulong).collect();
        let out_off: Vec<cl_ulong> = outs.iter().map(|v| v.off as cl_ulong).collect();
        let (b_in, b_out, b_coef) = (constants(self.gpu, &in_off)?, constants(self.gpu, &out_off)?, constants(self.gpu, coef)?);
        let kernel: *const Kernel = self.gpu.other_kernel(COMBINE_SOURCE, &format!("-DFIXED={FIXED} -DPER={PER}"), name)?;
        let (rows_i, cols_i, count_i) = (rows as i32, cols as i32, count as i32);
        let (in_ld, out_ld) = (ins[0].ld as i32, outs[0].ld as i32);
        let (in_mem, out_mem) = (ins[0].mem(), outs[0].mem());
        let (p_in, p_out, p_coef) = (b_in.get(), b_out.get(), b_coef.get());
        // SAFETY: `kernel` points into the Gpu's kernel list, which is not
        // changed while this call holds the Gpu. The arguments match
        // combine_in/combine_out in order and type; every block lies
        // inside its buffer (the evaluator's views); the constant buffers
        // are released after the enqueue, and OpenCL keeps them until the
        // kernel has run.
        unsafe {
            Launch::new(&*kernel, "clEnqueueNDRangeKernel alpha combine")
                .arg(&rows_i)
                .arg(&cols_i)
                .arg(&count_i)
                .arg(&in_mem)
                .arg(&p_in)
                .arg(&in_ld)
                .arg(&out_mem)
                .arg(&p_out)
                .arg(&out_ld)
                .arg(&p_coef)
                .arg(&beta)
                .submit(&self.gpu.queue, &[rows.div_ceil(WG * PER) * WG, cols], &[WG, 1])?;
        }
        Ok(())
    }
}

/// Measures the combination passes' rate on this device, GB/s: 16 blocks
/// of b x b into 16 (b = 2048 on a GPU, 256 elsewhere), best of three.
pub fn measure_add_gbs() -> Result<f64, GpuError> {
    let mut g = gpu()?;
    let b = if g.device.is_gpu { 2048 } else { 256 };
    let src = DeviceMatrix::new(&g, b, 16 * b)?;
    let dst = DeviceMatrix::new(&g, b, 16 * b)?;
    let mut dev = Device::new(&mut g, 0);
    let ins: Vec<View> = (0..16).map(|q| src.at(0, q * b)).collect();
    let outs: Vec<View> = (0..16).map(|q| dst.at(0, q * b)).collect();
    let coef: Vec<f64> = (0..256).map(|e| if e % 17 == 0 { 1.0 } else { 0.5 }).collect();
    let mut best = f64::INFINITY;
    for rep in 0..4 {
        let t = Instant::now();
        dev.combine(b, b, &ins, &outs, &coef, 0.0)?;
        dev.finish()?;
        if rep > 0 {
            best = best.min(t.elapsed().as_secs_f64());
        }
    }
    Ok(32.0 * (b * b * 8) as f64 / best / 1e9)
}

/// Measures the rate of [`resident::write`] plus [`resident::read`] of a
/// host matrix (the copies of DGEMM_ALPHA's host path, which are not
/// overlapped with the products, except C's upload), GB/s: a 4096 x 8192
/// matrix (256 MiB, several staging chunks) each way on a GPU, 256 x 256
/// elsewhere, best of three.
pub fn measure_staging_gbs() -> Result<f64, GpuError> {
    let mut g = gpu()?;
    let (rows, cols) = if g.device.is_gpu { (4096, 8192) } else { (256, 256) };
    let mut host = crate::engine::opencl::host::zeroed::<f64>(rows * cols, "alpha")?;
    host.iter_mut().enumerate().for_each(|(i, x)| *x = i as f64);
    let mut back = crate::engine::opencl::host::zeroed::<f64>(rows * cols, "alpha")?;
    let m = DeviceMatrix::new(&g, rows, cols)?;
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let t = Instant::now();
        // SAFETY: the device matrix was made for rows x cols.
        unsafe {
            resident::write(&mut g, m.view(), MatRef::from_slice(&host, rows, cols, rows))?;
            resident::read(&mut g, m.view(), MatMut::from_slice(&mut back, rows, cols, rows))?;
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    Ok(2.0 * (rows * cols * 8) as f64 / best / 1e9)
}

/// Device memory the library lets DGEMM_ALPHA use (80% of the device's,
/// as the GPU DGEMM plans with).
pub fn device_budget(gpu: &Gpu) -> usize {
    (gpu.global_mem as f64 * 0.8) as usize
}

/// Whether a product of these stored shapes fits the device with room for
/// one batch of temporaries.
pub fn fits(gpu: &Gpu, g: &Gemm<'_>) -> bool {
    let operands = 8 * (g.m * g.k + g.k * g.n + g.m * g.n);
    let one = Compiled::temp_bytes_per_product(g.m, g.n, g.k, 4);
    let largest = (g.m * g.k).max(g.k * g.n).max(g.m * g.n);
    operands + one <= device_budget(gpu) && largest * 8 <= gpu.max_alloc as usize && largest <= i32::MAX as usize
}

/// C := alpha op(A) op(B) + beta C from host memory, with `levels` levels
/// of `scheme` on the device. C is written only at the end (a failure
/// before the copy back leaves it as it was).
pub fn dgemm_alpha(g: &Gemm<'_>, c: MatMut<'_>, scheme: &Compiled, levels: usize, counts: &mut Counts) -> Result<(), Failure> {
    let everything = |error| Failure { error, remaining: vec![Tile { row0: 0, rows: g.m, col0: 0, cols: g.n }] };
    // Test hook (src/engine/opencl/fault.rs): `alpha` fails here, `alpha@1`
    // just before C is written.
    crate::engine::opencl::fault::check(crate::engine::opencl::fault::at("alpha"), 0).map_err(everything)?;
    let mut gpu = gpu().map_err(everything)?;
    // The host DGEMM's cached panels are not needed here and take memory.
    gpu.release_buffers();
    let result = run(&mut gpu, g, c, scheme, levels, counts);
    if result.is_err() {
        let _ = gpu.queue.finish();
    }
    result.map_err(|(error, done)| Failure { error, remaining: vec![Tile { row0: 0, rows: g.m, col0: done, cols: g.n - done }] })
}

/// The product on the device; an error comes with the number of leading
/// columns of C written (0 unless the copy of C back failed midway).
fn run(gpu: &mut Gpu, g: &Gemm<'_>, mut c: MatMut<'_>, scheme: &Compiled, levels: usize, counts: &mut Counts) -> Result<(), (GpuError, usize)> {
    let none = |e| (e, 0);
    let da = DeviceMatrix::new(gpu, g.a.rows(), g.a.cols()).map_err(none)?;
    let db = DeviceMatrix::new(gpu, g.b.rows(), g.b.cols()).map_err(none)?;
    let dc = DeviceMatrix::new(gpu, g.m, g.n).map_err(none)?;
    // SAFETY: the device matrices were made for these shapes.
    unsafe {
        resident::write(gpu, da.view(), g.a).map_err(none)?;
        resident::write(gpu, db.view(), g.b).map_err(none)?;
    }
    let budget = device_budget(gpu).saturating_sub(8 * (g.m * g.k + g.k * g.n + g.m * g.n));
    {
        let mut dev = Device::new(gpu, budget);
        if g.beta != 0.0 {
            dev.deferred_c = Some((c.rb(), dc.view()));
        }
        let p = Product {
            ta: g.trans_a, tb: g.trans_b, m: g.m, n: g.n, k: g.k, alpha: g.alpha, a: da.view(), b: db.view(), beta: g.beta,
            c: dc.view(),
        };
        evaluate(&mut dev, scheme, levels, p, counts).map_err(none)?;
    }
    // Kernel errors surface here, before C is written.
    resident::finish(gpu).map_err(none)?;
    crate::engine::opencl::fault::check(crate::engine::opencl::fault::at("alpha"), 1).map_err(none)?;
    // SAFETY: dc holds the m x n product, C's shape.
    let committed = unsafe { resident::commit(gpu, dc.view(), c.rb_mut(), "c") };
    // C is (partly) written: a panic of a release must not reach the
    // dispatcher, which would compute the product again on it.
    resident::drop_quietly((da, db, dc));
    committed
}
