//! LU factorization with partial pivoting (DGETRF) and the solve with its
//! factors (DGETRS) on the GPU, on device-resident matrices; and the host
//! entry points behind `dgesv_`, `dgetrf_` and `dgetrs_`.
//!
//! # Algorithm
//!
//! `A = P L U` of an m x n matrix, `2n^3/3` flops for a square one
//! (`mn^2 - n^3/3` for m >= n), by the recursive formulation of LAPACK's
//! DGETRF2 (Toledo, "Locality of reference in LU decomposition with partial
//! pivoting", SIAM J. Matrix Anal. Appl. 18(4), 1997; Gustavson, IBM J. Res.
//! Dev. 41(6), 1997), applied to the whole matrix rather than to a panel:
//!
//! ```text
//! getrf(A = [A11 A12; A21 A22], n1 = about min(m,n)/2):
//!     getrf([A11; A21])                  left n1 columns, recursively
//!     A12 := P1 A12                      row interchanges (kernel laswp)
//!     A12 := L11^-1 A12                  recursive DTRSM, GEMM + leaf kernels
//!     A22 := A22 - A21 A12               DGEMM (the tensor-core kernel on NVIDIA)
//!     getrf(A22)                         recursively
//!     A21 := P2 A21                      row interchanges
//! ```
//!
//! down to panels of at most `leaf` (32) columns, factored by the unblocked
//! kernels of `src/ops/lu/lu.cl` (pivot search, interchange, scaling, rank-1
//! update), pivots and INFO kept on the device. A tall panel costs one
//! launch per column over the whole device (`getf2_step`: every work-group
//! updates its rows and proposes the next pivot, the last one to finish
//! chooses it and swaps); on CPU devices one work-group factors a whole
//! panel in one launch (`getf2_panel`). The host enqueues everything
//! without waiting, and streams the matrix's columns up (transfer queue)
//! just before the recursion first touches them.
//!
//! # Why this shape, and why the panel stays on the GPU
//!
//! - The trailing updates of a right-looking blocked LU with panel width nb
//!   are DGEMMs with K = nb; our DGEMM kernel reaches 18.8 TFLOP/s at K = 256
//!   and 45 at K >= 2048 on the H100 (bench/RESULTS.md). In the recursive
//!   form the largest updates have K = n/2, n/4, ...: all but a few percent
//!   of the flops of an n = 16384 factorization run in products with
//!   K >= 512.
//! - A CPU panel with look-ahead (MAGMA's hybrid DGETRF) would put about
//!   `n^2 nb / 2` flops (34 GFLOP at n = 16384, nb = 256) on the host's
//!   LAPACK, tall-skinny and memory-bound: at 100 to 200 GFLOP/s on the
//!   H100 machine's 16 cores that is 0.2 to 0.35 s, more than the GPU's
//!   whole update (2.9 TFLOP at 30 to 45 TFLOP/s), plus 4 GB of panel
//!   traffic over PCIe; and it would depend on which CPU LAPACK the
//!   process has (the bundled reference runs it at a few GFLOP/s). On the
//!   GPU, the panels cost launches, not bandwidth: the leaves are the only
//!   sequential part (one launch per column), and no host synchronisation
//!   happens until the factors are read back. Measured on the H100 at
//!   n = 16384 (bench/RESULTS.md): 0.42 s on device data (7.0 TFLOP/s,
//!   bounded by the 16384 panel launches, not by the 2.9 TFLOP of
//!   updates), 0.61 s for `dgesv_` from host memory, factors back included:
//!   10.9x OpenBLAS's dgesv_ on 16 cores, 1.33x cuSOLVER's from host memory.
//!
//! Pivoting is LAPACK's: the first row of largest magnitude (IDAMAX), rows
//! interchanged across the whole matrix, IPIV 1-based; a zero pivot leaves
//! its column unscaled and INFO is the first such column, the factorization
//! completed, as DGETRF2 does.
//!
//! The solve (`A X = B` or `A^T X = B`): the interchanges applied to B at
//! once by a gather (the permutation is composed on the host from IPIV),
//! then two recursive triangular solves (GEMMs, and `TB` x `TB` leaves
//! solved in registers; for a few right-hand sides, where launches dominate,
//! `WG` x `WG` leaves solved by one work-group per column).

use crate::engine::opencl::context::{gpu, Gpu};
use crate::engine::opencl::error::{cl, release_event, GpuError};
use crate::engine::opencl::fault;
use crate::engine::opencl::host;
use crate::engine::opencl::launch::{Arg, Launch};
use crate::engine::opencl::resident::{self, DeviceMatrix, View};
use crate::matrix::{MatMut, MatRef};
use opencl3::memory::{Buffer, ClMem, CL_MEM_READ_WRITE};
use opencl3::types::{cl_kernel, cl_mem, CL_BLOCKING};
use std::ffi::c_void;
use std::os::raw::c_int;
use std::ptr;

pub const LU_SOURCE: &str = include_str!("lu.cl");

/// Work-group size of the one-work-group kernels (`WG` of lu.cl).
const WG: usize = 256;
/// Largest triangle of the trsm leaf kernels (`TB` of lu.cl).
const TB: usize = 32;
/// Solves with at most this many right-hand sides use the one-work-group
/// leaves (`trsm_wg`, triangles up to WG) instead of the register leaves.
const FEW_RHS: usize = 16;

/// Tuning of the factorization, from the test hooks (for measurements;
/// the defaults are what the H100 runs chose, bench/RESULTS.md).
#[derive(Clone, Copy, Debug)]
pub struct LuParams {
    /// Widest panel factored by the unblocked kernels (`LAPACK_AI_LU_LEAF`).
    pub leaf: usize,
    /// Panels of at most this many rows are factored by one work-group in
    /// one launch (`LAPACK_AI_LU_PANEL_ROWS`); taller ones with one launch
    /// per column over the whole device (`getf2_step`).
    pub panel_rows: usize,
    /// `LAPACK_AI_LU_FUSED=0`: two launches per column of a tall panel
    /// (pivot, then update) instead of one (for measurements).
    pub fused: bool,
}

impl LuParams {
    fn for_device(gpu: &Gpu) -> LuParams {
        let hooks = crate::runtime::config::hooks();
        // On the H100 (run 1, bench/RESULTS.md) one work-group per panel was
        // slower than launches over the device already at 1024 rows (n =
        // 16384: 0.490 s against 0.469 s with none); on a CPU device (PoCL)
        // a launch costs tens of microseconds and a work-group runs on one
        // core, so one launch per panel is faster there.
        let panel_rows = if gpu.device.is_gpu { 0 } else { usize::MAX };
        LuParams {
            leaf: hooks.lu_leaf.unwrap_or(32),
            panel_rows: hooks.lu_panel_rows.unwrap_or(panel_rows),
            fused: hooks.lu_fused,
        }
    }
}

/// The kernels of lu.cl, as raw handles: they live in the [`Gpu`]'s
/// kernel cache for the life of the process, and are looked up once per
/// call (not per launch: the cache key hashes the source).
struct Kernels {
    pivot: cl_kernel,
    step: cl_kernel,
    update: cl_kernel,
    panel: cl_kernel,
    laswp: cl_kernel,
    permute: cl_kernel,
    trsm_lower: cl_kernel,
    trsm_upper: cl_kernel,
    trsm_wg: cl_kernel,
}

impl Kernels {
    fn new(gpu: &mut Gpu) -> Result<Kernels, GpuError> {
        let nvidia = if gpu.device.platform.contains("NVIDIA") { " -DLAPACK_AI_NVIDIA" } else { "" };
        let options = format!("-DWG={WG} -DTB={TB}{nvidia}");
        let mut get = |name: &str| gpu.other_kernel(LU_SOURCE, &options, name).map(|k| k.get());
        Ok(Kernels {
            pivot: get("getf2_pivot")?,
            step: get("getf2_step")?,
            update: get("getf2_update")?,
            panel: get("getf2_panel")?,
            laswp: get("laswp")?,
            permute: get("permute_rows")?,
            trsm_lower: get("trsm_leaf_lower")?,
            trsm_upper: get("trsm_leaf_upper")?,
            trsm_wg: get("trsm_wg")?,
        })
    }
}

/// Enqueues `kernel` on the compute queue with `args`, over `global`
/// work-items (each dimension rounded up to a multiple of `local`).
///
/// # Safety
/// `args` match the kernel's parameters in order and type, and every
/// buffer holds what the kernel touches with these arguments.
unsafe fn launch(gpu: &Gpu, kernel: cl_kernel, args: &[Arg], global: &[usize], local: &[usize]) -> Result<(), GpuError> {
    let global: Vec<usize> = global.iter().zip(local).map(|(&g, &l)| g.max(1).div_ceil(l) * l).collect();
    // SAFETY: the kernel is one of the Gpu's cache (Kernels), alive while
    // the Gpu is; the caller's guarantee for the arguments.
    unsafe { Launch::from_raw(kernel, "clEnqueueNDRangeKernel (lu)").args(args).submit(&gpu.queue, &global, local) }
}

fn int(v: usize) -> Arg {
    Arg::Int(v as i32)
}

/// A device buffer of `len` ints.
fn int_buffer(gpu: &Gpu, len: usize) -> Result<Buffer<i32>, GpuError> {
    // SAFETY: no host pointer is passed; the driver allocates.
    unsafe { Buffer::<i32>::create(&gpu.context, CL_MEM_READ_WRITE, len.max(1), ptr::null_mut()) }
        .map_err(cl("clCreateBuffer (ints)"))
}

/// Blocking copy of `data` into `buffer` (after every command before).
fn write_ints(gpu: &Gpu, buffer: &Buffer<i32>, data: &[i32]) -> Result<(), GpuError> {
    if data.is_empty() {
        return Ok(());
    }
    // SAFETY: the buffer holds at least data.len() ints; blocking.
    let ev = unsafe {
        opencl3::command_queue::enqueue_write_buffer(
            gpu.queue.get(), buffer.get(), CL_BLOCKING, 0, data.len() * 4, data.as_ptr() as *const c_void, 0, ptr::null(),
        )
    }
    .map_err(|code| GpuError::Cl { step: "clEnqueueWriteBuffer (ints)", code })?;
    crate::runtime::stats::add_transfer(data.len() as u64 * 4, 0);
    // SAFETY: our event, not used again.
    unsafe { release_event(ev) }
}

/// Blocking copy of the first `out.len()` ints of `buffer` (after every
/// command before).
fn read_ints(gpu: &Gpu, buffer: &Buffer<i32>, out: &mut [i32]) -> Result<(), GpuError> {
    if out.is_empty() {
        return Ok(());
    }
    // SAFETY: the buffer holds at least out.len() ints; blocking.
    let ev = unsafe {
        opencl3::command_queue::enqueue_read_buffer(
            gpu.queue.get(), buffer.get(), CL_BLOCKING, 0, out.len() * 4, out.as_mut_ptr() as *mut c_void, 0, ptr::null(),
        )
    }
    .map_err(|code| GpuError::Cl { step: "clEnqueueReadBuffer (ints)", code })?;
    crate::runtime::stats::add_transfer(0, out.len() as u64 * 4);
    // SAFETY: our event, not used again.
    unsafe { release_event(ev) }
}

/// Sets the first int of `buffer` to 0, in queue order (no host wait).
fn zero_int(gpu: &Gpu, buffer: &Buffer<i32>) -> Result<(), GpuError> {
    let zero = 0i32;
    // SAFETY: one int at the start of the buffer; the pattern is copied
    // when the command is enqueued.
    let ev = unsafe {
        opencl3::command_queue::enqueue_fill_buffer(
            gpu.queue.get(), buffer.get(), &zero as *const i32 as *const c_void, 4, 0, 4, 0, ptr::null(),
        )
    }
    .map_err(|code| GpuError::Cl { step: "clEnqueueFillBuffer", code })?;
    // SAFETY: our event, not used again.
    unsafe { release_event(ev) }
}

/// A host matrix whose columns go to a device matrix on the transfer
/// queue, in order, while the compute queue works on the columns already
/// there: [`ColumnUpload::upto`] packs the next columns into the pinned
/// staging buffers, enqueues their copies on the transfer queue, and makes
/// the compute queue wait for them (a barrier on its last copy) before any
/// command enqueued after.
pub struct ColumnUpload<'h> {
    src: MatRef<'h>,
    dst: View,
    /// Columns on their way or there.
    pub done: usize,
}

impl<'h> ColumnUpload<'h> {
    /// # Safety
    /// `dst`'s buffer holds a matrix of `src`'s shape at the view.
    pub unsafe fn new(src: MatRef<'h>, dst: View, done: usize) -> ColumnUpload<'h> {
        ColumnUpload { src, dst, done }
    }

    fn cols(&self) -> usize {
        self.src.cols()
    }

    /// Uploads columns done..end, or up to twice `done` if that is more:
    /// the recursion asks for 32, 64, 128, ... columns along its left
    /// edge, then for all the rest at once.
    ///
    /// # Safety
    /// As for [`ColumnUpload::new`].
    unsafe fn upto(&mut self, gpu: &mut Gpu, end: usize) -> Result<(), GpuError> {
        let rows = self.src.rows();
        let end = end.max(2 * self.done).min(self.cols());
        if end <= self.done || rows == 0 {
            self.done = self.done.max(end);
            return Ok(());
        }
        let per = (gpu.staging_len() / rows).max(1);
        if per * rows > gpu.staging_len() {
            return Err(GpuError::TooLarge(format!("a column of {rows} rows is larger than a staging buffer")));
        }
        let Gpu { queue, transfer, staging, .. } = gpu;
        let mut col = self.done;
        let mut slot = col / per % staging.len();
        let mut last = None;
        while col < end {
            let cc = per.min(end - col);
            if let Some(ev) = staging[slot].pending.take() {
                ev.wait().map_err(cl("staging reuse"))?;
            }
            // SAFETY: a free staging slot (its last transfer was waited
            // for) of at least rows * cc doubles of pinned memory; the slice
            // ends before the copy below, which reads the memory until its
            // event in `pending` completes.
            let packed = unsafe { std::slice::from_raw_parts_mut(staging[slot].ptr, rows * cc) };
            crate::engine::opencl::gemm::pack(self.src.sub(0, col, rows, cc), 0, packed);
            let origin = [(self.dst.off % self.dst.ld) * 8, self.dst.off / self.dst.ld + col, 0];
            let region = [rows * 8, cc, 1];
            // SAFETY: the region lies inside dst's buffer; the staging slot
            // is untouched until the event in `pending` completes.
            let ev = unsafe {
                opencl3::command_queue::enqueue_write_buffer_rect(
                    transfer.get(), self.dst.mem(), 0, origin.as_ptr(), [0usize, 0, 0].as_ptr(), region.as_ptr(),
                    self.dst.ld * 8, 0, rows * 8, 0, staging[slot].ptr as *const c_void, 0, ptr::null(),
                )
            }
            .map_err(|code| GpuError::Cl { step: "clEnqueueWriteBufferRect (columns)", code })?;
            crate::runtime::stats::add_transfer((rows * cc) as u64 * 8, 0);
            let ev = opencl3::event::Event::new(ev);
            last = Some(ev.get());
            staging[slot].pending = Some(ev);
            col += cc;
            slot = (slot + 1) % staging.len();
        }
        // Start the copies now, then hold the compute queue behind them.
        transfer.flush().map_err(cl("clFlush (transfer)"))?;
        if let Some(ev) = last {
            // SAFETY: the event is alive in its slot's `pending`.
            let barrier = unsafe { opencl3::command_queue::enqueue_barrier_with_wait_list(queue.get(), 1, &ev) }
                .map_err(|code| GpuError::Cl { step: "clEnqueueBarrierWithWaitList", code })?;
            // SAFETY: our event, not used again.
            unsafe { release_event(barrier) }?;
        }
        self.done = end;
        Ok(())
    }
}

/// The split of a recursion node of `mn` (rows or columns): about half,
/// a multiple of `unit` so that the products below have aligned shapes.
fn split(mn: usize, unit: usize) -> usize {
    ((mn / 2) / unit * unit).max(unit).min(mn - 1).max(1)
}

/// An LU factorization (or solve) in progress on the device: the kernels,
/// the matrix (element (0, 0) of `a` is A(1,1)), IPIV (global 1-based row
/// indices, indexed by global column) and INFO on the device.
pub struct DeviceLu<'g, 'h> {
    gpu: &'g mut Gpu,
    kernels: Kernels,
    params: LuParams,
    /// getf2_step's per-work-group proposals and its counter.
    proposals: Option<(Buffer<f64>, Buffer<i32>, Buffer<i32>)>,
    /// Columns that must reach the device before the factorization
    /// touches them (see [`ColumnUpload`]).
    upload: Option<ColumnUpload<'h>>,
}

impl<'g, 'h> DeviceLu<'g, 'h> {
    pub fn new(gpu: &'g mut Gpu) -> Result<DeviceLu<'g, 'h>, GpuError> {
        let kernels = Kernels::new(gpu)?;
        let params = LuParams::for_device(gpu);
        Ok(DeviceLu { gpu, kernels, params, proposals: None, upload: None })
    }

    pub fn gpu(&mut self) -> &mut Gpu {
        self.gpu
    }

    /// Enqueues the factorization of the m x n matrix `a`; IPIV(1..min(m,n))
    /// and INFO (set to 0 first) land in `ipiv` and `info`.
    ///
    /// # Safety
    /// `a`'s buffer holds the m x n matrix; `ipiv` holds min(m, n) ints.
    pub unsafe fn getrf(&mut self, m: usize, n: usize, a: View, ipiv: &Buffer<i32>, info: &Buffer<i32>) -> Result<(), GpuError> {
        zero_int(self.gpu, info)?;
        let groups = m.div_ceil(WG).max(1);
        // SAFETY: no host pointer is passed; the driver allocates.
        let pval = unsafe { Buffer::<f64>::create(&self.gpu.context, CL_MEM_READ_WRITE, groups, ptr::null_mut()) }
            .map_err(cl("clCreateBuffer (proposals)"))?;
        let (pidx, counter) = (int_buffer(self.gpu, groups)?, int_buffer(self.gpu, 1)?);
        zero_int(self.gpu, &counter)?;
        self.proposals = Some((pval, pidx, counter));
        // SAFETY: passed on.
        unsafe { self.node(a, 0, m, n, ipiv.get(), info.get()) }?;
        // Whatever the recursion did not ask for (nothing, normally).
        self.ensure_columns(n)
    }

    /// Streams the columns of the factored matrix from the host while the
    /// factorization runs: columns up to `first` must already be on the
    /// device; each later one is uploaded (on the transfer queue) just
    /// before the recursion first touches it, so that the upload of the
    /// right part overlaps the factorization of the left part.
    /// `LAPACK_AI_LU_STREAM=0` uploads the whole matrix first instead (for
    /// measurements).
    pub fn stream_columns(&mut self, mut upload: ColumnUpload<'h>) {
        if !crate::runtime::config::hooks().lu_stream {
            upload.done = upload.cols();
            // SAFETY: as ColumnUpload::new's caller guaranteed.
            let whole = unsafe { resident::write(self.gpu, upload.dst, upload.src) };
            if let Err(e) = whole {
                upload.done = 0;
                crate::runtime::warn::warn(&format!("LAPACK_AI_LU_STREAM=0: {e}; streaming instead"));
            }
        }
        self.upload = Some(upload);
    }

    fn ensure_columns(&mut self, end: usize) -> Result<(), GpuError> {
        match self.upload.as_mut() {
            // SAFETY: the ColumnUpload's host matrix and device view, as
            // its creator guaranteed.
            Some(u) if u.done < end.min(u.cols()) => unsafe { u.upto(self.gpu, end) },
            _ => Ok(()),
        }
    }

    /// The recursion node whose top-left element is (d, d) of `a`, m x n.
    unsafe fn node(&mut self, a: View, d: usize, m: usize, n: usize, ipiv: cl_mem, info: cl_mem) -> Result<(), GpuError> {
        let mn = m.min(n);
        if mn == 0 {
            return Ok(());
        }
        let b = self.params.leaf;
        // SAFETY (all calls below): sub-matrices of the caller's matrix.
        unsafe {
            if n <= b {
                self.ensure_columns(d + n)?;
                return self.leaf(a, d, m, n, ipiv, info);
            }
            if m <= b {
                self.ensure_columns(d + n)?;
                // Wide and short: factor the m x m block, then U12 = L11^-1 P A12.
                self.leaf(a, d, m, m, ipiv, info)?;
                self.laswp(a, d + m, n - m, ipiv, d, d + m)?;
                return self.trsm(true, false, true, m, a.at(d, d), n - m, a.at(d, d + m));
            }
            let n1 = split(mn, b);
            let n2 = n - n1;
            self.node(a, d, m, n1, ipiv, info)?;
            self.ensure_columns(d + n)?;
            self.laswp(a, d + n1, n2, ipiv, d, d + n1)?;
            self.trsm(true, false, true, n1, a.at(d, d), n2, a.at(d, d + n1))?;
            resident::gemm(self.gpu, false, false, m - n1, n2, n1, -1.0, a.at(d + n1, d), a.at(d, d + n1), 1.0, a.at(d + n1, d + n1))?;
            self.node(a, d + n1, m - n1, n2, ipiv, info)?;
            self.laswp(a, d, n1, ipiv, d + n1, d + mn)
        }
    }

    /// The unblocked factorization of the m x n panel at (d, d), n <= leaf.
    unsafe fn leaf(&mut self, a: View, d: usize, m: usize, n: usize, ipiv: cl_mem, info: cl_mem) -> Result<(), GpuError> {
        let p = a.at(d, d);
        let (off, ld) = (Arg::Long(p.off as i64), int(p.ld));
        let k = &self.kernels;
        // SAFETY (launches): the panel lies in a's buffer; ipiv holds entry
        // d + min(m, n) - 1; the argument lists match lu.cl.
        unsafe {
            if m <= self.params.panel_rows {
                let args = [Arg::Mem(a.mem()), off, ld, int(m), int(n), Arg::Mem(ipiv), int(d), int(d), int(d), Arg::Mem(info)];
                return launch(self.gpu, k.panel, &args, &[WG], &[WG]);
            }
            let pivot = |gpu: &Gpu, j: usize| {
                let args = [Arg::Mem(a.mem()), off, ld, int(m), int(n), int(j), Arg::Mem(ipiv), int(d), int(d), int(d), Arg::Mem(info)];
                launch(gpu, k.pivot, &args, &[WG], &[WG])
            };
            if self.params.fused {
                let (pval, pidx, counter) = self.proposals.as_ref().ok_or(GpuError::Cl { step: "lu proposals", code: -38 })?;
                pivot(self.gpu, 0)?;
                for j in 0..m.min(n) {
                    if j + 1 < m {
                        let args = [
                            Arg::Mem(a.mem()), off, ld, int(m), int(n), int(j), Arg::Mem(ipiv), int(d), int(d), int(d),
                            Arg::Mem(info), Arg::Mem(pval.get()), Arg::Mem(pidx.get()), Arg::Mem(counter.get()),
                        ];
                        launch(self.gpu, k.step, &args, &[m - j - 1], &[WG])?;
                    }
                }
                return Ok(());
            }
            for j in 0..m.min(n) {
                pivot(self.gpu, j)?;
                if j + 1 < m {
                    let args = [Arg::Mem(a.mem()), off, ld, int(m), int(n), int(j)];
                    launch(self.gpu, k.update, &args, &[m - j - 1], &[64])?;
                }
            }
        }
        Ok(())
    }

    /// Interchanges rows k and IPIV(k)-1 for k = k1, ..., k2-1 (global
    /// indices, in that order) in columns c0..c0+ncols of `a`.
    unsafe fn laswp(&mut self, a: View, c0: usize, ncols: usize, ipiv: cl_mem, k1: usize, k2: usize) -> Result<(), GpuError> {
        if ncols == 0 || k2 <= k1 {
            return Ok(());
        }
        let v = a.at(0, c0);
        let args = [
            Arg::Mem(v.mem()), Arg::Long(v.off as i64), int(v.ld), int(ncols), Arg::Mem(ipiv), int(k1), int(k2),
            Arg::Int(1), Arg::Int(1),
        ];
        // SAFETY: the columns and the rows IPIV names lie in a's buffer.
        unsafe { launch(self.gpu, self.kernels.laswp, &args, &[ncols], &[64]) }
    }

    /// B := op(T)^-1 B, T k x k at view `t`, B k x ncols at view `b`;
    /// `lower`: op(T) is lower triangular; `trans`: op(T) = T^T; `unit`:
    /// unit diagonal. Recursive: two half-size solves and one DGEMM, down
    /// to TB x TB triangles solved by a leaf kernel.
    ///
    /// # Safety
    /// The views hold the triangle and B; they do not overlap.
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn trsm(&mut self, lower: bool, trans: bool, unit: bool, k: usize, t: View, ncols: usize, b: View) -> Result<(), GpuError> {
        if k == 0 || ncols == 0 {
            return Ok(());
        }
        if k <= WG && ncols <= FEW_RHS {
            let args = [
                Arg::Mem(t.mem()), Arg::Long(t.off as i64), int(t.ld), int(k), int(lower as usize), int(trans as usize),
                int(unit as usize), Arg::Mem(b.mem()), Arg::Long(b.off as i64), int(b.ld),
            ];
            // SAFETY: the caller's views; arguments as trsm_wg takes them.
            return unsafe { launch(self.gpu, self.kernels.trsm_wg, &args, &[WG * ncols], &[WG]) };
        }
        if k <= TB {
            let kernel = if lower { self.kernels.trsm_lower } else { self.kernels.trsm_upper };
            let args = [
                Arg::Mem(t.mem()), Arg::Long(t.off as i64), int(t.ld), int(k), int(trans as usize), int(unit as usize),
                Arg::Mem(b.mem()), Arg::Long(b.off as i64), int(b.ld), int(ncols),
            ];
            // SAFETY: the caller's views; arguments as trsm_leaf_* takes them.
            return unsafe { launch(self.gpu, kernel, &args, &[ncols], &[64]) };
        }
        let k1 = if ncols <= FEW_RHS { split(k, WG) } else { split(k, TB) };
        let k2 = k - k1;
        // The off-diagonal block of op(T) below (lower) or right of
        // (upper) the first diagonal block, as stored, and whether the
        // product must transpose it.
        let (below, right) = (t.at(k1, 0), t.at(0, k1));
        // SAFETY (all calls): blocks of the caller's views.
        unsafe {
            if lower {
                self.trsm(lower, trans, unit, k1, t, ncols, b)?;
                let t21 = if trans { right } else { below };
                resident::gemm(self.gpu, trans, false, k2, ncols, k1, -1.0, t21, b, 1.0, b.at(k1, 0))?;
                self.trsm(lower, trans, unit, k2, t.at(k1, k1), ncols, b.at(k1, 0))
            } else {
                self.trsm(lower, trans, unit, k2, t.at(k1, k1), ncols, b.at(k1, 0))?;
                let t12 = if trans { below } else { right };
                resident::gemm(self.gpu, trans, false, k1, ncols, k2, -1.0, t12, b.at(k1, 0), 1.0, b)?;
                self.trsm(lower, trans, unit, k1, t, ncols, b)
            }
        }
    }

    /// X := op(A)^-1 B with the factors of the n x n `a` (in place of B,
    /// n x nrhs at `b`), the interchanges given by `perm` (on the host: row
    /// i of P B is row `perm[i]` of B; see [`permutation`]). `scratch` is an
    /// n x nrhs device matrix the permutation is gathered into; the
    /// solution ends there (`b` is overwritten too).
    ///
    /// # Safety
    /// The views hold the matrices.
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn getrs(&mut self, trans: bool, n: usize, nrhs: usize, a: View, perm: &[i32], b: View, scratch: View) -> Result<(), GpuError> {
        if n == 0 || nrhs == 0 {
            return Ok(());
        }
        let index = int_buffer(self.gpu, n)?;
        let gather = |lu: &mut Self, map: &[i32], src: View, dst: View| -> Result<(), GpuError> {
            write_ints(lu.gpu, &index, map)?;
            let args = [
                Arg::Mem(src.mem()), Arg::Long(src.off as i64), int(src.ld), Arg::Mem(dst.mem()), Arg::Long(dst.off as i64),
                int(dst.ld), int(n), int(nrhs), Arg::Mem(index.get()),
            ];
            // SAFETY: both views hold n x nrhs; map entries are < n.
            unsafe { launch(lu.gpu, lu.kernels.permute, &args, &[n, nrhs], &[64, 1]) }
        };
        // SAFETY (trsm calls): the factors and B.
        unsafe {
            if !trans {
                // A X = B: X = U^-1 L^-1 P B.
                gather(self, perm, b, scratch)?;
                self.trsm(true, false, true, n, a, nrhs, scratch)?;
                self.trsm(false, false, false, n, a, nrhs, scratch)
            } else {
                // A^T X = B: X = P^T L^-T U^-T B.
                self.trsm(true, true, false, n, a, nrhs, b)?;
                self.trsm(false, true, true, n, a, nrhs, b)?;
                let mut inverse = vec![0i32; n];
                for (i, &p) in perm.iter().enumerate() {
                    inverse[p as usize] = i as i32;
                }
                gather(self, &inverse, b, scratch)
            }
        }
    }
}

/// The permutation that DLASWP(…, 1, n, IPIV, 1) applies: row i of P B is
/// row `perm[i]` of B. `None` if an entry of IPIV is outside 1..=n.
pub fn permutation(ipiv: &[i32], n: usize) -> Option<Vec<i32>> {
    let mut perm: Vec<i32> = (0..n as i32).collect();
    for (k, &p) in ipiv.iter().enumerate().take(n) {
        if p < 1 || p as usize > n {
            return None;
        }
        perm.swap(k, p as usize - 1);
    }
    Some(perm)
}

/// Where a GPU LU call failed, and so what is left for the CPU.
#[derive(Debug)]
pub enum LuFailure {
    /// Nothing of the caller's was written: the CPU does the whole call.
    Untouched(GpuError),
    /// The device failed while the factors were being copied into A (and
    /// again on a second attempt): the first `done` columns of A hold the
    /// factors, the others are as the caller passed them, IPIV holds the
    /// device's pivots (`ipiv`) and `info` is the device's INFO. The CPU
    /// finishes the factorization from there ([`finish_factors`]).
    Factors { error: GpuError, done: usize, ipiv: Vec<i32>, info: i32 },
    /// A holds the factors, IPIV the pivots, INFO is `info` (0), and the
    /// first `done` columns of B hold X: the CPU solves for the others
    /// with the factors (DGETRS).
    Solve { error: GpuError, info: i32, done: usize },
}

impl From<GpuError> for LuFailure {
    fn from(e: GpuError) -> LuFailure {
        LuFailure::Untouched(e)
    }
}

impl LuFailure {
    pub fn error(&self) -> &GpuError {
        match self {
            LuFailure::Untouched(e) | LuFailure::Factors { error: e, .. } | LuFailure::Solve { error: e, .. } => e,
        }
    }
}

/// The device work of an LU call, done: what the copies into the caller's
/// arrays need, and the device objects, released after them.
struct Factored {
    da: DeviceMatrix,
    /// X (DGESV, DGETRS).
    x: Option<DeviceMatrix>,
    /// Everything else, held to be released once the results are written.
    _buffers: Vec<Buffer<i32>>,
    _matrices: Vec<DeviceMatrix>,
    ipiv: Vec<i32>,
    info: i32,
}

impl Factored {
    /// Releases the device objects, ignoring a failed release: by now the
    /// caller's arrays hold results, which a panic would have the
    /// dispatcher compute again from (src/engine/opencl/resident.rs).
    fn release(self) {
        resident::drop_quietly(self);
    }
}

/// Copies the device's results into the caller's arrays, in this order,
/// each a commit (src/engine/opencl/resident.rs): IPIV (`ipiv`, when
/// given), the factors into A (`a`, when given: DGETRF and DGESV), X into
/// B (`b`, when given and INFO = 0). A failure says how far it got
/// ([`LuFailure`]).
fn commit(
    g: &mut Gpu, f: Factored, a: Option<MatMut<'_>>, ipiv: Option<&mut [i32]>, b: Option<MatMut<'_>>,
    fault: Option<fault::Fault>,
) -> Result<i32, LuFailure> {
    let info = f.info;
    let result = (|| {
        if let Some(p) = ipiv {
            p.copy_from_slice(&f.ipiv);
        }
        if let Some(a) = a {
            // SAFETY: the device matrix holds the factors, of A's shape.
            unsafe { resident::commit(g, f.da.view(), a, "factors") }.map_err(|(error, done)| {
                if done == 0 {
                    LuFailure::Untouched(error)
                } else {
                    LuFailure::Factors { error, done, ipiv: f.ipiv.clone(), info }
                }
            })?;
        }
        if let (Some(b), Some(x), 0) = (b, &f.x, info) {
            let solve = |error, done| LuFailure::Solve { error, info: 0, done };
            // Test hook: `lu@2` (or `panic-lu@2`) between A and X; a panic
            // here would otherwise make the dispatcher redo the call on A's
            // factors.
            crate::runtime::panic::catch(|| fault::check(fault, 2))
                .unwrap_or_else(|what| Err(GpuError::Internal(what)))
                .map_err(|e| solve(e, 0))?;
            // SAFETY: the device matrix holds X, of B's shape.
            unsafe { resident::commit(g, x.view(), b, "solution") }.map_err(|(e, done)| solve(e, done))?;
        }
        Ok(info)
    })();
    f.release();
    result
}

/// DGETRF from host memory: the m x n matrix `a` is replaced by its
/// factors, IPIV(1..min(m,n)) written, INFO returned. The caller's arrays
/// are written only after the device work completed; an error before that
/// leaves them untouched.
///
/// Test hook `LAPACK_AI_FAULT_INJECT` (src/engine/opencl/fault.rs): `lu`
/// fails the call at the start, `lu@1` once the device work is done.
pub fn dgetrf_host(mut a: MatMut<'_>, ipiv: &mut [i32]) -> Result<i32, LuFailure> {
    let fault = fault::at("lu");
    fault::check(fault, 0)?;
    let (m, n) = (a.rows(), a.cols());
    let mn = m.min(n);
    assert_eq!(ipiv.len(), mn);
    let mut g = gpu()?;
    let da = DeviceMatrix::new(&g, m, n)?;
    let (dipiv, dinfo) = (int_buffer(&g, mn)?, int_buffer(&g, 1)?);
    let mut host_ipiv = host::zeroed::<i32>(mn, "lu")?;
    let mut info = [0i32];
    {
        let mut lu = DeviceLu::new(&mut g)?;
        // SAFETY: the device matrix is m x n, as A; the factorization and
        // the copies back stay inside it, and the buffers hold min(m, n)
        // pivots and INFO.
        unsafe {
            lu.stream_columns(ColumnUpload::new(a.rb(), da.view(), 0));
            lu.getrf(m, n, da.view(), &dipiv, &dinfo)?;
        }
        read_ints(lu.gpu, &dipiv, &mut host_ipiv)?;
        read_ints(lu.gpu, &dinfo, &mut info)?;
    }
    fault::check(fault, 1)?;
    let f = Factored { da, x: None, _buffers: vec![dipiv, dinfo], _matrices: Vec::new(), ipiv: host_ipiv, info: info[0] };
    commit(&mut g, f, Some(a.rb_mut()), Some(ipiv), None, fault)
}

/// DGESV from host memory: factors the n x n A (returned in `a`, with
/// IPIV), and if INFO = 0 solves A X = B (X returned in `b`). Returns
/// INFO; the caller's arrays are written only after the device work
/// completed, IPIV first, then A, then B ([`LuFailure`] says how far a
/// failure got).
///
/// Test hook: `lu` fails at the start, `lu@1` once the device work is
/// done, `lu@2` after A and IPIV are written.
pub fn dgesv_host(mut a: MatMut<'_>, ipiv: &mut [i32], mut b: MatMut<'_>) -> Result<i32, LuFailure> {
    let fault = fault::at("lu");
    fault::check(fault, 0)?;
    let (n, nrhs) = (a.rows(), b.cols());
    assert!(a.cols() == n && b.rows() == n && ipiv.len() == n);
    let mut g = gpu()?;
    let da = DeviceMatrix::new(&g, n, n)?;
    let db = DeviceMatrix::new(&g, n, nrhs)?;
    let scratch = DeviceMatrix::new(&g, n, nrhs)?;
    let (dipiv, dinfo) = (int_buffer(&g, n)?, int_buffer(&g, 1)?);
    let mut host_ipiv = host::zeroed::<i32>(n, "lu")?;
    let mut info = [0i32];
    {
        let mut lu = DeviceLu::new(&mut g)?;
        // SAFETY: as in dgetrf_host; B into the n x nrhs device matrix.
        unsafe {
            lu.stream_columns(ColumnUpload::new(a.rb(), da.view(), 0));
            lu.getrf(n, n, da.view(), &dipiv, &dinfo)?;
            // B behind the factorization in the queue: packed while it runs.
            resident::write(lu.gpu, db.view(), b.rb())?;
        }
        // The one synchronisation before the end: the solve needs the
        // pivots on the host (to compose the permutation) and INFO.
        read_ints(lu.gpu, &dinfo, &mut info)?;
        read_ints(lu.gpu, &dipiv, &mut host_ipiv)?;
        if info[0] == 0 {
            let perm = permutation(&host_ipiv, n).ok_or(GpuError::Cl { step: "pivots out of range", code: -30 })?;
            // SAFETY: the device matrices hold the factors, B and the
            // scratch of B's size.
            unsafe { lu.getrs(false, n, nrhs, da.view(), &perm, db.view(), scratch.view())? };
            // Kernel errors surface here, before anything is written.
            resident::finish(lu.gpu)?;
        }
    }
    fault::check(fault, 1)?;
    let f = Factored { da, x: Some(scratch), _buffers: vec![dipiv, dinfo], _matrices: vec![db], ipiv: host_ipiv, info: info[0] };
    commit(&mut g, f, Some(a.rb_mut()), Some(ipiv), Some(b.rb_mut()), fault)
}

/// DGETRS from host memory: solves op(A) X = B with DGETRF's factors of
/// the n x n A and its pivots; X returned in `b`. An error leaves B
/// untouched (also when IPIV holds an entry outside 1..=n, which the CPU
/// LAPACK then sees), or X in its first columns ([`LuFailure::Solve`]).
pub fn dgetrs_host(trans: bool, a: MatRef<'_>, ipiv: &[i32], mut b: MatMut<'_>) -> Result<(), LuFailure> {
    let fault = fault::at("lu");
    fault::check(fault, 0)?;
    let (n, nrhs) = (a.rows(), b.cols());
    assert!(a.cols() == n && b.rows() == n && ipiv.len() == n);
    let perm = permutation(ipiv, n).ok_or_else(|| GpuError::TooLarge("IPIV entry outside 1..N".into()))?;
    let mut g = gpu()?;
    let da = DeviceMatrix::new(&g, n, n)?;
    let db = DeviceMatrix::new(&g, n, nrhs)?;
    let scratch = DeviceMatrix::new(&g, n, nrhs)?;
    // SAFETY: A and B into device matrices of their shapes; the solve
    // stays inside them.
    unsafe {
        resident::write(&mut g, da.view(), a)?;
        resident::write(&mut g, db.view(), b.rb())?;
        let mut lu = DeviceLu::new(&mut g)?;
        lu.getrs(trans, n, nrhs, da.view(), &perm, db.view(), scratch.view())?;
        resident::finish(lu.gpu)?;
    }
    fault::check(fault, 1)?;
    let f = Factored { da, x: Some(scratch), _buffers: Vec::new(), _matrices: vec![db], ipiv: Vec::new(), info: 0 };
    commit(&mut g, f, None, None, Some(b.rb_mut()), fault).map(drop)
}

/// Finishes on the CPU a factorization whose first `done` columns the
/// device wrote into A before it failed ([`LuFailure::Factors`]): A's
/// other columns are as the caller passed them, `dev_ipiv` and `dev_info`
/// are the device's. The first k = min(done, min(m, n)) pivots and columns
/// of L stand; the rest is DGETRF's blocked step: the device's later
/// interchanges undone on L's first k columns, the first k interchanges
/// applied to A's other columns, U12 := L11⁻¹ A12, A22 -= L21 U12, A22 =
/// P2 L22 U22 by the CPU LAPACK's DGETRF, P2 applied to L21. So A and IPIV
/// end as a partial-pivoting LU of the caller's A (the pivots after the
/// k-th are the CPU's choice), and INFO is the first zero pivot. Returns
/// INFO.
pub fn finish_factors(mut a: MatMut<'_>, ipiv: &mut [i32], done: usize, dev_ipiv: &[i32], dev_info: i32) -> i32 {
    use crate::engine::cpu::bundled::routines as netlib;
    use crate::engine::cpu::on_views;
    let (m, n) = (a.rows(), a.cols());
    let mn = m.min(n);
    assert!(ipiv.len() == mn && dev_ipiv.len() >= mn);
    let k = done.min(mn);
    let ldi = a.ld() as c_int;
    ipiv.copy_from_slice(&dev_ipiv[..mn]);
    // DLASWP on the `cols` columns of A from column `j`, interchanges
    // k1..=k2 (1-based) of IPIV, forwards or (`back`) last first.
    let laswp = |a: &mut MatMut<'_>, j: usize, k1: usize, k2: usize, ipiv: &[i32], back: bool| {
        let cols = a.cols() - j;
        let sub = a.sub_mut(0, j, m, cols).as_mut_ptr();
        let (cols, k1, k2, inc) = (cols as c_int, k1 as c_int, k2 as c_int, if back { -1 } else { 1 });
        // SAFETY: the columns j.. of A (its m rows, leading dimension ldi),
        // rows up to IPIV's largest entry in k1..=k2, at most m; IPIV holds
        // k2 entries.
        unsafe { netlib::dlaswp(&cols, sub, &ldi, &k1, &k2, ipiv.as_ptr(), &inc) };
    };
    // The device's interchanges k..mn are in L's first k columns:
    // undone, last first (DLASWP with INCX = -1).
    if k < mn && k > 0 {
        let mut l = a.sub_mut(0, 0, m, k);
        laswp(&mut l, 0, k + 1, mn, ipiv, true);
    }
    if done >= n {
        return dev_info;
    }
    // Columns done..n: the first k interchanges, then U12 := L11⁻¹ A12.
    let rest = (n - done) as c_int;
    if k > 0 {
        laswp(&mut a, done, 1, k, ipiv, false);
        let (kk, l11) = (k as c_int, a.rb().as_ptr());
        let a12 = a.sub_mut(0, done, k, n - done).as_mut_ptr();
        // SAFETY: L11 is A's leading k x k block, A12 its k x (n - done)
        // block from column done (done >= k: disjoint from L11), both with
        // A's leading dimension; hidden lengths 1.
        unsafe {
            netlib::dtrsm(
                c"L".as_ptr(), c"L".as_ptr(), c"N".as_ptr(), c"U".as_ptr(), &kk, &rest, &1.0, l11, &ldi, a12, &ldi, 1, 1, 1,
                1,
            )
        };
    }
    // The trailing matrix A(k.., k..). When done > k, k = min(m, n) = m
    // and there is none (the device's columns k..done are U's rows,
    // final); else k = done and its columns are the caller's, updated.
    if m == k {
        return dev_info;
    }
    debug_assert_eq!(k, done);
    let (left, right) = a.rb_mut().split_cols(k);
    let (u12, mut a22) = right.split_rows(k);
    if k > 0 {
        on_views::dgemm(false, false, -1.0, left.rb().sub(k, 0, m - k, k), u12.rb(), 1.0, a22.rb_mut());
    }
    let info2 = on_views::dgetrf(a22, &mut ipiv[k..]);
    let mn2 = (m - k).min(n - k);
    for p in &mut ipiv[k..k + mn2] {
        *p += k as i32;
    }
    if k > 0 {
        let mut l = a.sub_mut(0, 0, m, k);
        laswp(&mut l, 0, k + 1, k + mn2, ipiv, false);
    }
    if dev_info > 0 && dev_info as usize <= k {
        dev_info
    } else if info2 > 0 {
        info2 + k as c_int
    } else {
        0
    }
}

/// The device's time per column of a factorization whose panels dominate
/// (n = 384, device-resident, best of three after a warm-up), in seconds:
/// the cost model's per-column term for the LU routines.
pub fn step_seconds() -> Result<f64, GpuError> {
    let n = 384;
    let a: Vec<f64> = (0..n * n).map(|i| ((i * 7919 % 1009) as f64 - 504.0) / 504.0).collect();
    let a = MatRef::from_slice(&a, n, n, n);
    let mut g = gpu()?;
    let da = DeviceMatrix::new(&g, n, n)?;
    let (ipiv, info) = (int_buffer(&g, n)?, int_buffer(&g, 1)?);
    let mut best = f64::INFINITY;
    for rep in 0..4 {
        // SAFETY: an n x n host matrix into an n x n device matrix.
        unsafe { resident::write(&mut g, da.view(), a)? };
        resident::finish(&g)?;
        let t = std::time::Instant::now();
        // SAFETY: the buffers hold the matrix, n pivots and INFO.
        unsafe { DeviceLu::new(&mut g)?.getrf(n, n, da.view(), &ipiv, &info)? };
        resident::finish(&g)?;
        if rep > 0 {
            best = best.min(t.elapsed().as_secs_f64());
        }
    }
    Ok(best / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_are_inside_and_aligned() {
        for mn in 2..300 {
            for unit in [1, 8, 32] {
                let s = split(mn, unit);
                assert!(s >= 1 && s < mn, "{mn} {unit}");
                if mn > 2 * unit {
                    assert_eq!(s % unit, 0);
                }
            }
        }
    }

    #[test]
    fn the_permutation_is_what_dlaswp_does() {
        // Rows (0 1 2 3): swap 0<->2, then 1<->3, then 2<->2, then 3<->3.
        assert_eq!(permutation(&[3, 4, 3, 4], 4), Some(vec![2, 3, 0, 1]));
        assert_eq!(permutation(&[2, 2], 2), Some(vec![1, 0]));
        assert_eq!(permutation(&[0], 1), None);
        assert_eq!(permutation(&[3, 2], 2), None);
    }
}
