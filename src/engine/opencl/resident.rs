//! Matrices that stay on the device across many operations, for the
//! blocked LAPACK routines (the SVD, LU) and DGEMM_ALPHA: allocation,
//! host <-> device copies of sub-matrices through the pinned staging
//! buffers, and DGEMM on device-resident operands.
//!
//! Every command goes to the compute queue, which is in order: each
//! operation sees the results of the ones enqueued before it, and a read
//! back to the host waits for all of them. Callers hold the [`Gpu`] lock
//! for a sequence of operations and release it before calling anything
//! that may call back into the library (a CPU LAPACK whose `dgemm_` is
//! ours).

use super::context::Gpu;
use super::error::{cl, GpuError};
use super::gemm::{enqueue_kernel, pack, unpack, Operands};
use crate::matrix::{MatMut, MatRef};
use super::launch::Launch;
use opencl3::event::Event;
use opencl3::memory::{Buffer, ClMem, CL_MEM_READ_WRITE};
use opencl3::types::{cl_mem, CL_NON_BLOCKING};
use std::ptr;

/// A column-major matrix in its own device buffer (leading dimension
/// `ld = max(1, rows)`).
pub struct DeviceMatrix {
    buffer: Buffer<f64>,
    pub rows: usize,
    pub cols: usize,
    pub ld: usize,
}

/// A sub-matrix of a device buffer: its first element's offset and its
/// leading dimension, in doubles. Valid while the buffer lives.
#[derive(Clone, Copy, Debug)]
pub struct View {
    mem: cl_mem,
    pub off: usize,
    pub ld: usize,
}

impl View {
    /// The sub-matrix starting at element (i, j) of this one.
    pub fn at(self, i: usize, j: usize) -> View {
        View { off: self.off + i + j * self.ld, ..self }
    }

    pub fn mem(&self) -> cl_mem {
        self.mem
    }
}

impl DeviceMatrix {
    /// An uninitialised `rows x cols` matrix on the device.
    pub fn new(gpu: &Gpu, rows: usize, cols: usize) -> Result<DeviceMatrix, GpuError> {
        let ld = rows.max(1);
        let len = ld * cols.max(1);
        if (len as u64) * 8 > gpu.max_alloc || len > i32::MAX as usize {
            return Err(GpuError::TooLarge(format!("{rows} x {cols} matrix over the device's allocation limit")));
        }
        // SAFETY: no host pointer is passed; the driver allocates.
        let buffer = unsafe { Buffer::<f64>::create(&gpu.context, CL_MEM_READ_WRITE, len, ptr::null_mut()) }
            .map_err(cl("clCreateBuffer (resident matrix)"))?;
        Ok(DeviceMatrix { buffer, rows, cols, ld })
    }

    /// The whole matrix as a view.
    pub fn view(&self) -> View {
        View { mem: self.buffer.get(), off: 0, ld: self.ld }
    }

    /// The sub-matrix starting at element (i, j).
    pub fn at(&self, i: usize, j: usize) -> View {
        self.view().at(i, j)
    }
}

/// `C(m x n) := alpha op(A) op(B) + beta C` on device-resident operands,
/// enqueued on the compute queue (`op(A)` is m x k, `op(B)` k x n).
///
/// # Safety
/// The views' buffers are alive and hold every element the product
/// touches; C does not overlap A or B.
#[allow(clippy::too_many_arguments)]
pub unsafe fn gemm(
    gpu: &mut Gpu,
    trans_a: bool,
    trans_b: bool,
    m: usize,
    n: usize,
    k: usize,
    alpha: f64,
    a: View,
    b: View,
    beta: f64,
    c: View,
) -> Result<(), GpuError> {
    if m == 0 || n == 0 {
        return Ok(());
    }
    gpu.kernel(trans_a, trans_b)?;
    let op = Operands {
        a: a.mem, off_a: a.off, lda: a.ld, b: b.mem, off_b: b.off, ldb: b.ld, c: c.mem, off_c: c.off, ldc: c.ld,
    };
    // SAFETY: the caller's guarantee on the views.
    unsafe { enqueue_kernel(gpu, &gpu.queue, trans_a, trans_b, m, n, k, alpha, beta, &op, &[]) }.map(drop)
}

/// Columns per staging chunk for `rows`-row matrices, or 0 if one column
/// does not fit a staging buffer.
fn chunk_cols(gpu: &Gpu, rows: usize, cols: usize) -> usize {
    (gpu.staging_len() / rows.max(1)).min(cols)
}

/// Copies the host matrix `src` into the device sub-matrix `dst`, through
/// the pinned staging buffers (a chunk is packed while the previous one is
/// on its way). Returns when the data has been handed to the queue; later
/// commands see it.
///
/// # Safety
/// `dst`'s buffer holds a `src.rows() x src.cols()` matrix at the view.
pub unsafe fn write(gpu: &mut Gpu, dst: View, src: MatRef<'_>) -> Result<(), GpuError> {
    // SAFETY: passed on.
    unsafe { write_on(gpu, false, dst, src) }
}

/// [`write()`] on the compute queue, or (`transfer`) on the transfer queue,
/// where the copy overlaps the kernels of the compute queue: its events
/// stay in the staging slots, and a later command that needs the data
/// waits for them.
///
/// # Safety
/// As for [`write()`].
pub unsafe fn write_on(gpu: &mut Gpu, transfer: bool, dst: View, src: MatRef<'_>) -> Result<(), GpuError> {
    let (rows, cols) = (src.rows(), src.cols());
    if rows == 0 || cols == 0 {
        return Ok(());
    }
    let per = chunk_cols(gpu, rows, cols);
    if per == 0 {
        return Err(GpuError::TooLarge(format!("a column of {rows} rows is larger than a staging buffer")));
    }
    let Gpu { queue, transfer: transfer_queue, staging, .. } = gpu;
    let queue = if transfer { transfer_queue } else { queue };
    let mut col = 0;
    let mut slot = 0;
    while col < cols {
        let cc = per.min(cols - col);
        if let Some(ev) = staging[slot].pending.take() {
            ev.wait().map_err(cl("staging reuse"))?;
        }
        // SAFETY: the staging slot holds at least rows * cc doubles of
        // pinned memory, free (its last transfer was waited for above); the
        // slice ends before the copy below is enqueued, which reads the
        // memory until its event in `pending` completes.
        let packed = unsafe { std::slice::from_raw_parts_mut(staging[slot].ptr, rows * cc) };
        pack(src.sub(0, col, rows, cc), 0, packed);
        let origin = [(dst.off % dst.ld) * 8, dst.off / dst.ld + col, 0];
        let region = [rows * 8, cc, 1];
        // SAFETY: the region lies inside dst's buffer (caller's guarantee);
        // the staging slot stays untouched until the event in `pending`
        // completes.
        let ev = unsafe {
            opencl3::command_queue::enqueue_write_buffer_rect(
                queue.get(),
                dst.mem,
                CL_NON_BLOCKING,
                origin.as_ptr(),
                [0usize, 0, 0].as_ptr(),
                region.as_ptr(),
                dst.ld * 8,
                0,
                rows * 8,
                0,
                staging[slot].ptr as *const std::ffi::c_void,
                0,
                ptr::null(),
            )
        }
        .map_err(|code| GpuError::Cl { step: "clEnqueueWriteBufferRect", code })?;
        staging[slot].pending = Some(Event::new(ev));
        col += cc;
        slot = (slot + 1) % staging.len();
    }
    crate::runtime::stats::add_transfer((rows * cols) as u64 * 8, 0);
    Ok(())
}

/// Copies the device sub-matrix `src` into the host matrix `dst` (of the
/// same shape), after every command enqueued before.
///
/// # Safety
/// `src`'s buffer holds a `dst.rows() x dst.cols()` matrix at the view.
pub unsafe fn read(gpu: &mut Gpu, src: View, dst: MatMut<'_>) -> Result<(), GpuError> {
    // SAFETY: passed on.
    unsafe { read_columns(gpu, src, dst) }.map_err(|(e, _)| e)
}

/// [`read`] into a caller's output, which a failure must leave in a known
/// state: each column is either the result or as it was. On an error the
/// rest is tried once more (after the queue has drained), and the error
/// comes with the number of leading columns written, so that the CPU can
/// finish the others. `what` names the result for the test hook.
///
/// # Safety
/// As for [`read`].
pub unsafe fn commit(gpu: &mut Gpu, src: View, mut dst: MatMut<'_>, what: &str) -> Result<(), (GpuError, usize)> {
    let (rows, cols) = (dst.rows(), dst.cols());
    // Test hook (src/engine/opencl/fault.rs): `commit-WHAT@N` writes N
    // columns, then fails both attempts.
    if let Some(super::fault::Fault::Fail(n)) = super::fault::at(&format!("commit-{what}")) {
        if n < cols {
            // SAFETY: the first n columns, as below.
            unsafe { read_columns(gpu, src, dst.sub_mut(0, 0, rows, n)) }?;
            return Err((GpuError::Injected, n));
        }
    }
    // SAFETY: passed on.
    match unsafe { read_columns(gpu, src, dst.rb_mut()) } {
        Ok(()) => Ok(()),
        Err((_, done)) => {
            // SAFETY: the columns not yet written, of the same matrices.
            unsafe { read_columns(gpu, src.at(0, done), dst.sub_mut(0, done, rows, cols - done)) }
                .map_err(|(e, more)| (e, done + more))
        }
    }
}

/// [`read`], whose error says how many leading columns of `dst` hold the
/// result (the others are as they were: a chunk is copied out of pinned
/// memory only once its transfer has succeeded, by a copy that does not
/// fail).
///
/// # Safety
/// As for [`read`].
unsafe fn read_columns(gpu: &mut Gpu, src: View, mut dst: MatMut<'_>) -> Result<(), (GpuError, usize)> {
    let (rows, cols) = (dst.rows(), dst.cols());
    if rows == 0 || cols == 0 {
        return Ok(());
    }
    let per = chunk_cols(gpu, rows, cols);
    if per == 0 {
        return Err((GpuError::TooLarge(format!("a column of {rows} rows is larger than a staging buffer")), 0));
    }
    let Gpu { queue, staging, .. } = gpu;
    for s in staging.iter_mut() {
        if let Some(ev) = s.pending.take() {
            let ev = QuietEvent::from(ev);
            ev.wait().map_err(|e| (cl("staging reuse")(e), 0))?;
        }
    }
    let enqueue = |col: usize, slot: usize| -> Result<QuietEvent, GpuError> {
        let cc = per.min(cols - col);
        let origin = [(src.off % src.ld) * 8, src.off / src.ld + col, 0];
        let region = [rows * 8, cc, 1];
        // SAFETY: the region lies inside src's buffer; the staging slot
        // is not touched by the host until this read is waited for.
        let ev = unsafe {
            opencl3::command_queue::enqueue_read_buffer_rect(
                queue.get(),
                src.mem,
                CL_NON_BLOCKING,
                origin.as_ptr(),
                [0usize, 0, 0].as_ptr(),
                region.as_ptr(),
                src.ld * 8,
                0,
                rows * 8,
                0,
                staging[slot].ptr as *mut std::ffi::c_void,
                0,
                ptr::null(),
            )
        }
        .map_err(|code| GpuError::Cl { step: "clEnqueueReadBufferRect", code })?;
        Ok(QuietEvent(ev))
    };
    // Chunk i+1 is read while chunk i is unpacked.
    let mut col = 0;
    let mut slot = 0;
    let mut copy = || -> Result<(), GpuError> {
        let mut current = enqueue(0, 0)?;
        while col < cols {
            let cc = per.min(cols - col);
            let next = if col + cc < cols { Some(enqueue(col + cc, 1 - slot)?) } else { None };
            current.wait().map_err(cl("read resident matrix"))?;
            // SAFETY: the slot holds the packed chunk, rows * cc doubles
            // (its read was waited for), untouched until the next transfer
            // through it.
            let chunk = unsafe { std::slice::from_raw_parts(staging[slot].ptr, rows * cc) };
            unpack(chunk, dst.sub_mut(0, col, rows, cc));
            col += cc;
            slot = 1 - slot;
            if let Some(n) = next {
                current = n;
            }
        }
        Ok(())
    };
    if let Err(e) = copy() {
        // A read still in flight must not land in a staging buffer that
        // the next transfer fills.
        let _ = queue.finish();
        return Err((e, col));
    }
    crate::runtime::stats::add_transfer(0, (rows * cols) as u64 * 8);
    Ok(())
}

/// An event whose release ignores errors, for the copies into a caller's
/// arrays: opencl3's `Event` panics when `clReleaseEvent` fails, and a
/// panic there would come after part of the result was written.
struct QuietEvent(opencl3::types::cl_event);

impl QuietEvent {
    fn wait(&self) -> Result<(), opencl3::error_codes::ClError> {
        opencl3::event::wait_for_events(&[self.0]).map_err(opencl3::error_codes::ClError)
    }
}

impl From<Event> for QuietEvent {
    fn from(ev: Event) -> QuietEvent {
        let raw = ev.get();
        // The reference moves to QuietEvent, which releases it.
        std::mem::forget(ev);
        QuietEvent(raw)
    }
}

impl Drop for QuietEvent {
    fn drop(&mut self) {
        // SAFETY: this value holds one reference to the event, released
        // here once.
        let _ = unsafe { opencl3::event::release_event(self.0) };
    }
}

/// Drops `x` (device buffers, events) catching a panic of their release
/// (opencl3's `Drop`s panic when a `clRelease*` fails): for what is left
/// after a result was written into the caller's arrays, where a panic
/// would make the dispatcher compute the call again on the outputs.
pub fn drop_quietly<T>(x: T) {
    let _ = crate::runtime::panic::catch(move || drop(x));
}

/// A plain device buffer of `len` doubles (vectors, workspaces).
pub fn vector(gpu: &Gpu, len: usize) -> Result<Buffer<f64>, GpuError> {
    // SAFETY: no host pointer is passed; the driver allocates.
    unsafe { Buffer::<f64>::create(&gpu.context, CL_MEM_READ_WRITE, len.max(1), ptr::null_mut()) }
        .map_err(cl("clCreateBuffer (vector)"))
}

/// Waits for every command on the compute queue.
pub fn finish(gpu: &Gpu) -> Result<(), GpuError> {
    gpu.queue.finish().map_err(cl("clFinish"))
}

/// kernels/level2.cl (beside this file): DLASET and transposition.
pub const LEVEL2_SOURCE: &str = include_str!("kernels/level2.cl");

/// DLASET on a device sub-matrix: `off` everywhere, `diag` on the diagonal.
///
/// # Safety
/// The view's buffer is alive and holds the `rows x cols` sub-matrix.
pub unsafe fn laset(gpu: &mut Gpu, rows: usize, cols: usize, off: f64, diag: f64, a: View) -> Result<(), GpuError> {
    let k = gpu.prepare_other(LEVEL2_SOURCE, "", "dlaset")?;
    if rows == 0 || cols == 0 {
        return Ok(());
    }
    let (m, n, off_a, lda) = (rows as i32, cols as i32, a.off as i32, a.ld as i32);
    // SAFETY: the arguments match dlaset's signature; the caller vouches
    // for the extent.
    unsafe {
        Launch::new(gpu.other(k), "clEnqueueNDRangeKernel dlaset")
            .arg(&m).arg(&n).arg(&off).arg(&diag).arg(&a.mem).arg(&off_a).arg(&lda)
            .submit(&gpu.queue, &[rows.div_ceil(16) * 16, cols.div_ceil(16) * 16], &[16, 16])?;
    }
    Ok(())
}

/// `b := aᵀ` for the `rows x cols` device sub-matrix `a` (`b` is cols x
/// rows; the two do not overlap).
///
/// # Safety
/// The views' buffers are alive and hold the two matrices.
pub unsafe fn transpose(gpu: &mut Gpu, rows: usize, cols: usize, a: View, b: View) -> Result<(), GpuError> {
    let k = gpu.prepare_other(LEVEL2_SOURCE, "", "dtranspose")?;
    if rows == 0 || cols == 0 {
        return Ok(());
    }
    let (m, n, off_a, lda, off_b, ldb) = (rows as i32, cols as i32, a.off as i32, a.ld as i32, b.off as i32, b.ld as i32);
    // SAFETY: the arguments match dtranspose's signature; the caller
    // vouches for the extents.
    unsafe {
        Launch::new(gpu.other(k), "clEnqueueNDRangeKernel dtranspose")
            .arg(&m).arg(&n).arg(&a.mem).arg(&off_a).arg(&lda)
            .arg(&b.mem).arg(&off_b).arg(&ldb)
            .submit(&gpu.queue, &[rows.div_ceil(16) * 16, cols.div_ceil(16) * 16], &[16, 16])?;
    }
    Ok(())
}
