//! DGEMM from host memory on the GPU: C := alpha*op(A)*op(B) + beta*C with
//! the caller's pageable, column-major arrays.
//!
//! Plan (all sizes in doubles):
//! 1. op(A) is split into row panels and op(B) into column panels that fit
//!    the device (normally one of each: both stay resident); each panel is
//!    packed (leading dimension = its rows) through the pinned staging
//!    buffers and uploaded once.
//! 2. C is processed in tiles no larger than one staging buffer. For each
//!    tile: upload C (only if beta != 0: with beta = 0 C is never read, so
//!    NaN in it cannot leak), run the kernel on the compute queue, read the
//!    tile back on the transfer queue into pinned memory, then unpack it into
//!    the caller's C. Tile t+1's kernel runs while tile t is read and
//!    unpacked.
//! 3. A tile is written to the caller's C only after all of its device work
//!    has completed, so on a failure every tile is either done or untouched:
//!    [`Failure::remaining`] lists the untouched ones for the CPU fallback.

use super::context::{gpu, Gpu};
use super::error::{cl, GpuError};
use super::fault::Fault;
use super::launch::Launch;
use crate::matrix::{MatMut, MatRef};
use opencl3::event::Event;
use opencl3::memory::ClMem;
use opencl3::types::{cl_event, cl_mem, CL_NON_BLOCKING};

/// A DGEMM whose arguments are legal: `C (m x n) := alpha op(A) op(B) +
/// beta C`, with A and B as stored (A is `k x m` when `trans_a`); C is
/// handed to [`dgemm`] beside it.
#[derive(Clone, Copy, Debug)]
pub struct Gemm<'a> {
    pub trans_a: bool,
    pub trans_b: bool,
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub alpha: f64,
    pub a: MatRef<'a>,
    pub b: MatRef<'a>,
    pub beta: f64,
}

/// Rows `row0..row0+rows` and columns `col0..col0+cols` of C.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tile {
    pub row0: usize,
    pub rows: usize,
    pub col0: usize,
    pub cols: usize,
}

/// A GPU DGEMM that stopped: why, and the tiles of C it did not write.
#[derive(Debug)]
pub struct Failure {
    pub error: GpuError,
    pub remaining: Vec<Tile>,
}

impl<'a> Gemm<'a> {
    /// The product of `op(a)` and `op(b)`, scaled: its shape from the views.
    pub fn new(trans_a: bool, trans_b: bool, alpha: f64, a: MatRef<'a>, b: MatRef<'a>, beta: f64) -> Gemm<'a> {
        let (m, k) = if trans_a { (a.cols(), a.rows()) } else { (a.rows(), a.cols()) };
        let n = if trans_b { b.rows() } else { b.cols() };
        debug_assert_eq!(if trans_b { b.cols() } else { b.rows() }, k);
        Gemm { trans_a, trans_b, m, n, k, alpha, a, b, beta }
    }

    /// Rows `r0..r0+rows` of op(A), as stored (columns of A when
    /// transposed).
    fn a_rows(&self, r0: usize, rows: usize) -> MatRef<'a> {
        if self.trans_a {
            self.a.sub(0, r0, self.k, rows)
        } else {
            self.a.sub(r0, 0, rows, self.k)
        }
    }

    /// Columns `c0..c0+cols` of op(B), as stored.
    fn b_cols(&self, c0: usize, cols: usize) -> MatRef<'a> {
        if self.trans_b {
            self.b.sub(c0, 0, cols, self.k)
        } else {
            self.b.sub(0, c0, self.k, cols)
        }
    }

    /// The same product restricted to one tile of C.
    pub fn tile(&self, t: Tile) -> Gemm<'a> {
        Gemm { m: t.rows, n: t.cols, a: self.a_rows(t.row0, t.rows), b: self.b_cols(t.col0, t.cols), ..*self }
    }

    /// The product on the CPU LAPACK's DGEMM.
    pub fn on_cpu(&self, c: MatMut<'_>) {
        crate::engine::cpu::on_views::dgemm(self.trans_a, self.trans_b, self.alpha, self.a, self.b, self.beta, c);
    }
}

impl Tile {
    /// This tile of `c`.
    pub fn of<'c>(&self, c: &'c mut MatMut<'_>) -> MatMut<'c> {
        c.sub_mut(self.row0, self.col0, self.rows, self.cols)
    }
}

/// Splits `extent` into `parts` nearly equal consecutive ranges.
pub(crate) fn split(extent: usize, parts: usize) -> Vec<(usize, usize)> {
    let parts = parts.clamp(1, extent.max(1));
    (0..parts).map(|p| (p * extent / parts, (p + 1) * extent / parts - p * extent / parts)).collect()
}

/// How the product is cut: row panels of op(A), column panels of op(B),
/// and the C tiles inside each (panel, panel) pair, in execution order.
#[derive(Debug, PartialEq, Eq)]
pub struct Plan {
    pub panels: Vec<Panel>,
}

/// (first row, rows) of op(A), (first column, columns) of op(B), and the C
/// tiles of that pair.
pub type Panel = ((usize, usize), (usize, usize), Vec<Tile>);

/// Plans a product for a device that holds `budget` doubles in all and
/// `max_buffer` in one buffer, with C tiles of at most `tile_max` doubles.
pub fn plan(m: usize, n: usize, k: usize, budget: usize, max_buffer: usize, tile_max: usize) -> Result<Plan, GpuError> {
    // Kernels index with 32-bit ints: keep every buffer under 2^31 elements.
    let max_buffer = max_buffer.min(i32::MAX as usize);
    let (mut row_parts, mut col_parts) = (1usize, 1usize);
    loop {
        let mb = m.div_ceil(row_parts);
        let nb = n.div_ceil(col_parts);
        let tile = mb.min(tile_max).max(1) * nb.min(tile_max / mb.min(tile_max).max(1)).max(1);
        let need = mb * k + k * nb + 2 * tile;
        if mb * k <= max_buffer && k * nb <= max_buffer && need <= budget {
            break;
        }
        if mb <= 1 && nb <= 1 {
            return Err(GpuError::TooLarge(format!("k = {k} leaves no room for one row of A and one column of B")));
        }
        if (mb * k >= k * nb && mb > 1) || nb <= 1 {
            row_parts *= 2;
        } else {
            col_parts *= 2;
        }
    }
    let mut panels = Vec::new();
    for &(r0, rows) in &split(m, row_parts) {
        for &(c0, cols) in &split(n, col_parts) {
            // C tiles of this panel pair: whole columns when they fit.
            let tile_cols = (tile_max / rows.max(1)).max(1).min(cols.max(1));
            let (tile_rows_parts, tile_col_parts) = if tile_max >= rows {
                (1, cols.div_ceil(tile_cols))
            } else {
                (rows.div_ceil(tile_max), cols)
            };
            let mut tiles = Vec::new();
            for &(tc0, tcols) in &split(cols, tile_col_parts) {
                for &(tr0, trows) in &split(rows, tile_rows_parts) {
                    tiles.push(Tile { row0: r0 + tr0, rows: trows, col0: c0 + tc0, cols: tcols });
                }
            }
            panels.push(((r0, rows), (c0, cols), tiles));
        }
    }
    Ok(Plan { panels })
}

/// Runs `g` on the GPU, into `c`. `Err` lists the tiles of C left for the
/// CPU.
///
/// With several selected devices (`LAPACK_AI_DEVICE=0,1` or `all`), C is
/// cut into as many column ranges, each computed on its own device by its
/// own thread (own context, queues and staging); the ranges are disjoint
/// parts of the caller's C. One device runs exactly the one-device path.
pub fn dgemm(g: &Gemm<'_>, c: MatMut<'_>) -> Result<(), Failure> {
    let devices = super::context::device_count().max(1).min(g.n.max(1));
    if devices == 1 {
        return dgemm_on(0, g, c);
    }
    let ranges = split(g.n, devices);
    // Each device's columns of C, a view of their own.
    let mut parts = Vec::with_capacity(devices);
    let mut rest = c;
    for &(_, cols) in &ranges {
        let (mine, others) = rest.split_cols(cols);
        parts.push(mine);
        rest = others;
    }
    let routine = crate::runtime::stats::current_routine(); // its transfers, in each thread
    let results: Vec<(usize, Result<(), Failure>)> = std::thread::scope(|s| {
        let handles: Vec<_> = ranges
            .iter()
            .zip(parts)
            .enumerate()
            .map(|(i, (&(c0, cols), c_part))| {
                let part = g.tile(Tile { row0: 0, rows: g.m, col0: c0, cols });
                std::thread::Builder::new().spawn_scoped(s, move || {
                    (c0, crate::runtime::stats::with_routine(routine, || dgemm_on(i, &part, c_part)))
                })
            })
            .collect();
        // A part whose thread did not start, or panicked outside dgemm_on
        // (which catches its own), wrote nothing: all of it is left.
        handles
            .into_iter()
            .zip(&ranges)
            .map(|(h, &(c0, cols))| {
                let whole = |error| (c0, Err(Failure { error, remaining: vec![Tile { row0: 0, rows: g.m, col0: 0, cols }] }));
                match h {
                    Ok(h) => h.join().unwrap_or_else(|_| whole(GpuError::Internal("in a device thread".into()))),
                    Err(e) => whole(GpuError::Internal(format!("a device thread did not start: {e}"))),
                }
            })
            .collect()
    });
    let mut failure: Option<Failure> = None;
    for (c0, result) in results {
        if let Err(f) = result {
            let shifted = f.remaining.into_iter().map(|t| Tile { col0: t.col0 + c0, ..t });
            match &mut failure {
                Some(all) => all.remaining.extend(shifted),
                None => failure = Some(Failure { error: f.error, remaining: shifted.collect() }),
            }
        }
    }
    failure.map_or(Ok(()), Err)
}

/// Products run per selected device (tests read it to see that every
/// device took part).
pub fn calls_per_device() -> Vec<usize> {
    CALLS.iter().map(|c| c.load(std::sync::atomic::Ordering::Relaxed)).collect()
}

static CALLS: once_cell::sync::Lazy<Vec<std::sync::atomic::AtomicUsize>> = once_cell::sync::Lazy::new(|| {
    (0..super::context::device_count().max(1)).map(|_| std::sync::atomic::AtomicUsize::new(0)).collect()
});

/// [`dgemm`] on the `which`-th selected device.
fn dgemm_on(which: usize, g: &Gemm<'_>, mut c: MatMut<'_>) -> Result<(), Failure> {
    let everything = || vec![Tile { row0: 0, rows: g.m, col0: 0, cols: g.n }];
    // Test hook (src/engine/opencl/fault.rs): `dgemm` fails the call before it
    // starts, `dgemm@N` after N tiles of C are written (the partial
    // fallback), `panic-dgemm[@N]` panics there instead.
    let inject = super::fault::at("dgemm");
    if inject == Some(Fault::Fail(0)) {
        return Err(Failure { error: GpuError::Injected, remaining: everything() });
    }
    let mut gpu = super::context::gpu_at(which).map_err(|error| Failure { error, remaining: everything() })?;
    if let Some(c) = CALLS.get(which) {
        c.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    // Test hook: `LAPACK_AI_TEST_DEVICE_DOUBLES=N` plans as if the device
    // held N doubles, so that the out-of-core panels run on small products.
    let test_budget = crate::runtime::config::hooks().device_doubles;
    let budget = test_budget.unwrap_or((gpu.global_mem as f64 * 0.8 / 8.0) as usize);
    let max_buffer = test_budget.unwrap_or((gpu.max_alloc / 8) as usize);
    let plan = plan(g.m, g.n, g.k, budget, max_buffer, gpu.staging_len())
        .map_err(|error| Failure { error, remaining: everything() })?;
    let mut done: Vec<Tile> = Vec::new();
    // A panic inside becomes an error here, where the tiles written so far
    // are known (a tile is written to C only after its device work, by a
    // copy that does not panic): the CPU then computes the others.
    let result = crate::runtime::panic::catch(|| run_plan(&mut gpu, g, &mut c, &plan, &mut done, inject))
        .unwrap_or_else(|what| Err(GpuError::Internal(what)));
    result.map_err(|error| {
        // Leave the device clean for the next call: after a panic, forget
        // the staging events and drop the cached buffers (also after running
        // out of resources or memory), and let the queues drain. Under a
        // catch: the releases panic if OpenCL fails them, and tiles of C
        // are already written.
        let _ = crate::runtime::panic::catch(|| {
            if matches!(error, GpuError::Internal(_)) {
                for s in &mut gpu.staging {
                    s.pending = None;
                }
                gpu.release_buffers();
            }
            if matches!(error, GpuError::Cl { code: -6..=-4, .. }) {
                gpu.release_buffers();
            }
            let _ = gpu.queue.finish();
            let _ = gpu.transfer.finish();
        });
        let remaining = plan.panels.iter().flat_map(|p| p.2.iter().copied()).filter(|t| !done.contains(t)).collect();
        Failure { error, remaining }
    })
}

fn run_plan(
    gpu: &mut Gpu, g: &Gemm<'_>, c: &mut MatMut<'_>, plan: &Plan, done: &mut Vec<Tile>, inject: Option<Fault>,
) -> Result<(), GpuError> {
    if inject == Some(Fault::Panic(0)) {
        super::fault::check(inject, 0)?;
    }
    let (ta, tb) = (g.trans_a, g.trans_b);
    gpu.kernel(ta, tb)?;
    let tile_cap = gpu.staging_len();
    for ((r0, rows), (c0, cols), tiles) in &plan.panels {
        let k = g.k;
        // Packed panels: op(A)(r0.., :) as stored, op(B)(:, c0..) as stored.
        let (a_panel, b_panel) = (g.a_rows(*r0, *rows), g.b_cols(*c0, *cols));
        let (lda_p, ldb_p) = (a_panel.rows().max(1), b_panel.rows().max(1));
        let _ = k;
        gpu.buffer(0, a_panel.rows() * a_panel.cols())?;
        gpu.buffer(1, b_panel.rows() * b_panel.cols())?;
        gpu.buffer(2, 2 * tile_cap)?;
        // A whole; B whole if transposed (its columns are scattered in the
        // packed image), else column by column as the C tiles need them, so
        // that B's upload overlaps the kernels.
        let mut b_cols_done = 0;
        upload(gpu, 0, 0, a_panel, 0)?;
        if tb {
            upload(gpu, 1, 0, b_panel, 0)?;
            b_cols_done = *cols;
        }
        gpu.transfer.finish().map_err(cl("clFinish (upload A)"))?;

        // The uploads tile `i` needs before its kernel: the columns of op(B)
        // not yet on the device, and C when beta != 0. Returns the last
        // transfer's event (the transfer queue is in order).
        let mut inputs = |gpu: &mut Gpu, c: MatRef<'_>, i: usize| -> Result<Option<cl_event>, GpuError> {
            let t = &tiles[i];
            let mut last = None;
            let need = t.col0 - c0 + t.cols;
            if need > b_cols_done {
                let from = b_cols_done;
                // Columns from..need of the B panel, into their place in the
                // packed panel (sized above).
                last = upload(gpu, 1, from * ldb_p, b_panel.sub(0, from, b_panel.rows(), need - from), 0)?;
                b_cols_done = need;
            }
            if g.beta != 0.0 {
                let slot = i % 2;
                // The tile fits one staging slot; that slot's last read was
                // waited for and unpacked.
                last = upload(gpu, 2, slot * tile_cap, c.sub(t.row0, t.col0, t.rows, t.cols), slot)?;
            }
            Ok(last)
        };
        let launch_tile = |gpu: &Gpu, i: usize, wait: Option<cl_event>| -> Result<Event, GpuError> {
            let t = &tiles[i];
            // Offsets of this tile inside the packed panels.
            let off_a = if ta { (t.row0 - r0) * lda_p } else { t.row0 - r0 };
            let off_b = if tb { t.col0 - c0 } else { (t.col0 - c0) * ldb_p };
            let wait: Vec<cl_event> = wait.into_iter().collect();
            launch(gpu, g, t, off_a, lda_p, off_b, ldb_p, (i % 2) * tile_cap, &wait)
        };

        // Software pipeline: tile i+1's uploads and kernel are queued
        // before tile i is read back and unpacked.
        let first = inputs(gpu, c.rb(), 0)?;
        let mut kernel_event = launch_tile(gpu, 0, first)?;
        for (i, t) in tiles.iter().enumerate() {
            let next = if i + 1 < tiles.len() { Some(inputs(gpu, c.rb(), i + 1)?) } else { None };
            let read = read_tile(gpu, (i % 2) * tile_cap, t.rows * t.cols, i % 2, &kernel_event)?;
            if let Some(wait) = next {
                kernel_event = launch_tile(gpu, i + 1, wait)?;
            }
            read.wait().map_err(cl("read C tile"))?;
            // SAFETY: the staging slot holds the finished tile (the read
            // was waited for), rows x cols doubles, and nothing else uses
            // it until the next transfer through it.
            let finished = unsafe { std::slice::from_raw_parts(gpu.staging[i % 2].ptr, t.rows * t.cols) };
            unpack(finished, t.of(c));
            done.push(*t);
            if i + 1 < tiles.len() {
                super::fault::check(inject, done.len())?;
            }
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn launch(
    gpu: &Gpu,
    g: &Gemm<'_>,
    t: &Tile,
    off_a: usize,
    lda: usize,
    off_b: usize,
    ldb: usize,
    off_c: usize,
    wait: &[cl_event],
) -> Result<Event, GpuError> {
    let [a, b, c] = &gpu.buffers;
    let (a, b, c) = (a.buffer.as_ref(), b.buffer.as_ref(), c.buffer.as_ref());
    let (Some(a), Some(b), Some(c)) = (a, b, c) else {
        return Err(GpuError::Cl { step: "device buffers", code: -38 });
    };
    let op = Operands {
        a: a.get(), off_a, lda, b: b.get(), off_b, ldb, c: c.get(), off_c, ldc: t.rows.max(1),
    };
    // SAFETY: the buffers hold the packed panels and two C tiles, and the
    // tile's offsets and leading dimensions stay inside them.
    unsafe { enqueue_kernel(gpu, &gpu.queue, g.trans_a, g.trans_b, t.rows, t.cols, g.k, g.alpha, g.beta, &op, wait) }
}

/// Where the kernel finds op(A), op(B) and C: device buffers, offsets and
/// leading dimensions, in doubles.
#[derive(Clone, Copy, Debug)]
pub struct Operands {
    pub a: cl_mem,
    pub off_a: usize,
    pub lda: usize,
    pub b: cl_mem,
    pub off_b: usize,
    pub ldb: usize,
    pub c: cl_mem,
    pub off_c: usize,
    pub ldc: usize,
}

/// Enqueues C(m x n) := alpha op(A) op(B) + beta C on `queue` with the
/// kernel built for (trans_a, trans_b) (see [`Gpu::kernel`]).
///
/// # Safety
/// The three buffers are live device buffers of doubles of this context
/// and hold every element the product touches at these offsets and
/// leading dimensions; offsets, dimensions and leading dimensions are below
/// 2^31 (the kernels index with 32-bit ints plus 64-bit products).
#[allow(clippy::too_many_arguments)]
pub unsafe fn enqueue_kernel(
    gpu: &Gpu,
    queue: &opencl3::command_queue::CommandQueue,
    trans_a: bool,
    trans_b: bool,
    m: usize,
    n: usize,
    k: usize,
    alpha: f64,
    beta: f64,
    op: &Operands,
    wait: &[cl_event],
) -> Result<Event, GpuError> {
    let (tm, tn, wx, wy) = (gpu.family.tile_m, gpu.family.tile_n, gpu.family.wg_x, gpu.family.wg_y);
    let global = [m.div_ceil(tm) * wx, n.div_ceil(tn) * wy];
    let ints = |v: usize| v as i32;
    let (mi, ni, ki) = (ints(m), ints(n), ints(k));
    let (off_a, lda, off_b, ldb, off_c, ldc) =
        (ints(op.off_a), ints(op.lda), ints(op.off_b), ints(op.ldb), ints(op.off_c), ints(op.ldc));
    let kernel = gpu.built_kernel(trans_a, trans_b).ok_or(GpuError::Cl { step: "kernel", code: -48 })?;
    // SAFETY: the arguments match dgemm_tile's signature (kernels/dgemm_*.cl) in
    // order and type (a cl_mem is passed by value as the kernel's pointer
    // argument); the caller vouches for the buffers' extents.
    unsafe {
        Launch::new(kernel, "clEnqueueNDRangeKernel dgemm_tile")
            .arg(&mi)
            .arg(&ni)
            .arg(&ki)
            .arg(&alpha)
            .arg(&op.a)
            .arg(&off_a)
            .arg(&lda)
            .arg(&op.b)
            .arg(&off_b)
            .arg(&ldb)
            .arg(&beta)
            .arg(&op.c)
            .arg(&off_c)
            .arg(&ldc)
            .enqueue(queue, &global, &[wx, wy], wait)
    }
}

/// Reads `len` doubles at `offset` of the C buffer into staging `slot`
/// after `after`, on the transfer queue.
fn read_tile(gpu: &mut Gpu, offset: usize, len: usize, slot: usize, after: &Event) -> Result<Event, GpuError> {
    let Gpu { transfer, buffers, staging, .. } = gpu;
    let c = buffers[2].buffer.as_ref().ok_or(GpuError::Cl { step: "device buffers", code: -38 })?;
    // SAFETY: staging[slot] holds STAGING_DOUBLES >= len doubles of pinned
    // memory that nothing else uses until this read is waited for.
    let dst = unsafe { std::slice::from_raw_parts_mut(staging[slot].ptr, len) };
    // SAFETY: the read stays inside the C buffer (2 tiles of staging size).
    unsafe { transfer.enqueue_read_buffer(c, CL_NON_BLOCKING, offset * 8, dst, &[after.get()]) }
        .inspect(|_| crate::runtime::stats::add_transfer(0, len as u64 * 8))
        .map_err(cl("clEnqueueReadBuffer C tile"))
}

/// Uploads `src` into device buffer `which`, packed (leading dimension its
/// rows), at `offset`, through the staging buffers in turn from
/// `first_slot`. Returns the event of the last write: it stays alive in
/// its slot's `pending` until that slot is packed again, which is after
/// any kernel waiting on it was enqueued.
fn upload(gpu: &mut Gpu, which: usize, offset: usize, src: MatRef<'_>, first_slot: usize) -> Result<Option<cl_event>, GpuError> {
    let total = src.rows() * src.cols();
    gpu.buffer(which, offset + total)?;
    let cap = gpu.staging_len();
    let Gpu { transfer, buffers, staging, .. } = gpu;
    let mut start = 0;
    let mut slot = first_slot;
    let mut last = None;
    while start < total {
        let len = cap.min(total - start);
        if let Some(ev) = staging[slot].pending.take() {
            ev.wait().map_err(cl("staging reuse"))?;
        }
        // SAFETY: the staging slot holds `cap >= len` doubles of pinned
        // memory, free (its last transfer was waited for just above); the
        // slice lives until the write below is enqueued, and the memory
        // stays untouched until that write completes (its event is kept in
        // `pending`).
        let data = unsafe { std::slice::from_raw_parts_mut(staging[slot].ptr, len) };
        pack(src, start, data);
        let dst = buffers[which].buffer.as_mut().ok_or(GpuError::Cl { step: "device buffers", code: -38 })?;
        // SAFETY: as above; the write stays inside the buffer (sized above).
        let ev = unsafe { transfer.enqueue_write_buffer(dst, CL_NON_BLOCKING, (offset + start) * 8, data, &[]) }
            .map_err(cl("clEnqueueWriteBuffer"))?;
        last = Some(ev.get());
        staging[slot].pending = Some(ev);
        start += len;
        slot = (slot + 1) % staging.len();
    }
    crate::runtime::stats::add_transfer(total as u64 * 8, 0);
    Ok(last)
}

/// Below this many doubles per thread a copy stays on one thread (512 KiB:
/// a thread start costs about as much as copying that much).
const MIN_PER_THREAD: usize = 1 << 16;

/// How many threads (at most 8) a copy of `len` doubles takes: one thread's
/// memcpy cannot keep up with pinned DMA.
pub(crate) fn copy_threads(len: usize) -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(8).min(len / MIN_PER_THREAD).max(1)
}

/// Copies elements `start..start+dst.len()` of the packed (column-major,
/// leading dimension its rows) image of `src` into `dst`, with several
/// threads for large copies.
pub(crate) fn pack(src: MatRef<'_>, start: usize, dst: &mut [f64]) {
    let rows = src.rows();
    let copy = |from: usize, out: &mut [f64]| {
        let mut i = from;
        let mut done = 0;
        while done < out.len() {
            let (col, row) = (i / rows, i % rows);
            let run = (rows - row).min(out.len() - done);
            out[done..done + run].copy_from_slice(&src.col(col)[row..row + run]);
            i += run;
            done += run;
        }
    };
    let threads = copy_threads(dst.len());
    if threads == 1 {
        copy(start, dst);
        return;
    }
    let chunk = dst.len().div_ceil(threads);
    let parts: Vec<(usize, &mut [f64])> = dst.chunks_mut(chunk).enumerate().map(|(p, out)| (start + p * chunk, out)).collect();
    in_parallel(parts, &|(from, out)| copy(from, out));
}

/// Runs `work` on each part, a thread each; a part whose thread cannot be
/// started (a process limit, no memory for its stack: `spawn` would
/// panic) is done by this thread afterwards.
pub(crate) fn in_parallel<T: Send>(parts: Vec<T>, work: &(dyn Fn(T) + Sync)) {
    let slots: Vec<parking_lot::Mutex<Option<T>>> = parts.into_iter().map(|p| parking_lot::Mutex::new(Some(p))).collect();
    std::thread::scope(|s| {
        for slot in &slots {
            let _ = std::thread::Builder::new().spawn_scoped(s, move || {
                let part = slot.lock().take();
                if let Some(part) = part {
                    work(part);
                }
            });
        }
    });
    for slot in slots {
        if let Some(part) = slot.into_inner() {
            work(part);
        }
    }
}

/// The inverse of [`pack`] for a whole matrix: `src` (packed, leading
/// dimension `dst.rows()`) into `dst`, with several threads for large
/// copies (each a range of columns).
pub(crate) fn unpack(src: &[f64], dst: MatMut<'_>) {
    let (rows, cols) = (dst.rows(), dst.cols());
    assert!(src.len() >= rows * cols);
    let copy = |src: &[f64], mut out: MatMut<'_>| {
        for j in 0..out.cols() {
            out.col_mut(j).copy_from_slice(&src[j * rows..(j + 1) * rows]);
        }
    };
    let threads = copy_threads(rows * cols).min(cols.max(1));
    if threads == 1 {
        copy(src, dst);
        return;
    }
    // Each thread a range of columns of `dst` and the same of `src`.
    let mut parts = Vec::with_capacity(threads);
    let mut rest = dst;
    let mut first = 0;
    for (_, width) in split(cols, threads) {
        let (mine, others) = rest.split_cols(width);
        rest = others;
        parts.push((&src[first * rows..(first + width) * rows], mine));
        first += width;
    }
    in_parallel(parts, &|(part, mine)| copy(part, mine));
}

/// Times the kernel alone on device-resident operands (for the benchmark
/// and the calibration): uploads A, B and C once, runs the product `reps`
/// times and returns the median time of one run, in seconds. The operands
/// are left in device buffers 0, 1 and 2 (packed: lda = rows of A as
/// stored, ldb likewise, ldc = m).
pub fn time_device_resident(trans_a: bool, trans_b: bool, m: usize, n: usize, k: usize, reps: usize) -> Result<f64, GpuError> {
    let mut gpu = gpu()?;
    let (ar, ac) = if trans_a { (k, m) } else { (m, k) };
    let (br, bc) = if trans_b { (n, k) } else { (k, n) };
    let fill = |len: usize, salt: usize| -> Result<Vec<f64>, GpuError> {
        let mut v = super::host::zeroed::<f64>(len, "dgemm")?;
        v.iter_mut().enumerate().for_each(|(i, x)| *x = (((i * 7919 + salt) % 2003) as f64 - 1001.0) / 1001.0 + 1e-3);
        Ok(v)
    };
    let (a, b, c) = (fill(ar * ac, 1)?, fill(br * bc, 2)?, fill(m * n, 3)?);
    let (av, bv) = (MatRef::from_slice(&a, ar, ac, ar.max(1)), MatRef::from_slice(&b, br, bc, br.max(1)));
    upload(&mut gpu, 0, 0, av, 0)?;
    upload(&mut gpu, 1, 0, bv, 0)?;
    upload(&mut gpu, 2, 0, MatRef::from_slice(&c, m, n, m.max(1)), 0)?;
    gpu.transfer.finish().map_err(cl("clFinish"))?;
    gpu.kernel(trans_a, trans_b)?;
    let g = Gemm::new(trans_a, trans_b, 1.0, av, bv, 0.5);
    let tile = Tile { row0: 0, rows: m, col0: 0, cols: n };
    let mut times = Vec::with_capacity(reps + 1);
    for rep in 0..=reps {
        let t = std::time::Instant::now();
        let ev = launch(&gpu, &g, &tile, 0, ar.max(1), 0, br.max(1), 0, &[])?;
        ev.wait().map_err(cl("kernel"))?;
        if rep > 0 {
            times.push(t.elapsed().as_secs_f64());
        }
    }
    times.sort_by(|x, y| x.total_cmp(y));
    Ok(times[times.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covered(plan: &Plan, m: usize, n: usize) -> bool {
        let mut seen = vec![0u8; m * n];
        for (_, _, tiles) in &plan.panels {
            for t in tiles {
                for j in t.col0..t.col0 + t.cols {
                    for i in t.row0..t.row0 + t.rows {
                        seen[i + j * m] += 1;
                    }
                }
            }
        }
        seen.iter().all(|&s| s == 1)
    }

    #[test]
    fn plans_cover_c_exactly_once_and_respect_the_limits() {
        for &(m, n, k, budget, maxbuf, tile) in &[
            (1, 1, 1, 1000, 1000, 100),
            (37, 53, 11, 100_000, 100_000, 500),
            (300, 200, 50, 30_000, 12_000, 2_000),
            (97, 1, 1000, 250_000, 60_000, 90),
            (1, 97, 1000, 250_000, 60_000, 90),
        ] {
            let p = plan(m, n, k, budget, maxbuf, tile).unwrap();
            assert!(covered(&p, m, n), "{m}x{n}x{k}");
            for ((_, rows), (_, cols), tiles) in &p.panels {
                assert!(rows * k <= maxbuf && k * cols <= maxbuf);
                assert!(tiles.iter().all(|t| t.rows * t.cols <= tile));
            }
        }
        assert!(plan(10, 10, 1_000_000, 100, 100, 10).is_err());
    }

    #[test]
    fn tiles_address_the_right_sub_product() {
        // A is 3 x 10 (transposed: op(A) 10 x 3) with lda 5, B 3 x 8 with
        // ldb 4; element values encode their positions.
        let a: Vec<f64> = (0..5 * 10).map(|x| x as f64).collect();
        let b: Vec<f64> = (0..4 * 8).map(|x| 1000.0 + x as f64).collect();
        let g = Gemm::new(true, false, 1.0, MatRef::from_slice(&a, 3, 10, 5), MatRef::from_slice(&b, 3, 8, 4), 0.0);
        assert_eq!((g.m, g.n, g.k), (10, 8, 3));
        let t = g.tile(Tile { row0: 2, rows: 3, col0: 4, cols: 2 });
        assert_eq!(t.a.at(0, 0), (2 * 5) as f64);
        assert_eq!(t.b.at(0, 0), 1000.0 + (4 * 4) as f64);
        assert_eq!((t.m, t.n, t.k), (3, 2, 3));
    }

    #[test]
    fn pack_and_unpack_are_inverse_on_every_split() {
        // 300 x 500 with ld 307: large enough for several threads.
        let (rows, cols, ld) = (300, 500, 307);
        let data: Vec<f64> = (0..ld * cols).map(|x| x as f64).collect();
        let src = MatRef::from_slice(&data, rows, cols, ld);
        let mut packed = vec![0.0; rows * cols];
        pack(src, 0, &mut packed[..rows * cols / 2]);
        pack(src, rows * cols / 2, &mut packed[rows * cols / 2..]);
        assert!((0..cols).all(|j| (0..rows).all(|i| packed[i + j * rows] == src.at(i, j))));
        let mut out = vec![-1.0; ld * cols];
        unpack(&packed, MatMut::from_slice(&mut out, rows, cols, ld));
        assert!((0..cols).all(|j| (0..ld).all(|i| out[i + j * ld] == if i < rows { data[i + j * ld] } else { -1.0 })));
    }
}
