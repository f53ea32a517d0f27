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
use opencl3::event::Event;
use opencl3::memory::ClMem;
use opencl3::types::{cl_event, cl_mem, CL_NON_BLOCKING};

/// A DGEMM in Fortran terms whose arguments are legal.
#[derive(Clone, Copy, Debug)]
pub struct Gemm {
    pub trans_a: bool,
    pub trans_b: bool,
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub alpha: f64,
    pub a: *const f64,
    pub lda: usize,
    pub b: *const f64,
    pub ldb: usize,
    pub beta: f64,
    pub c: *mut f64,
    pub ldc: usize,
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

impl Gemm {
    /// The same product restricted to one tile of C.
    pub fn tile(&self, t: Tile) -> Gemm {
        // SAFETY (pointer offsets): t lies inside C, so the offsets stay
        // inside the caller's arrays; they are only computed here.
        let a = if self.trans_a { self.a.wrapping_add(t.row0 * self.lda) } else { self.a.wrapping_add(t.row0) };
        let b = if self.trans_b { self.b.wrapping_add(t.col0) } else { self.b.wrapping_add(t.col0 * self.ldb) };
        let c = self.c.wrapping_add(t.row0 + t.col0 * self.ldc);
        Gemm { m: t.rows, n: t.cols, a, b, c, ..*self }
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

/// Runs `g` on the GPU. `Err` lists the tiles of C left for the CPU.
///
/// With several selected devices (`LAPACK_AI_DEVICE=0,1` or `all`), C is
/// cut into as many column ranges, each computed on its own device by its
/// own thread (own context, queues and staging); the ranges are disjoint
/// parts of the caller's C. One device runs exactly the one-device path.
///
/// # Safety
/// `g`'s arguments are legal for DGEMM and its arrays valid for them.
pub unsafe fn dgemm(g: &Gemm) -> Result<(), Failure> {
    let devices = super::context::device_count().max(1).min(g.n.max(1));
    if devices == 1 {
        // SAFETY: the caller's guarantee, passed on.
        return unsafe { dgemm_on(0, g) };
    }
    /// A sub-product for another thread: its columns of C belong to it alone.
    struct Part(Gemm);
    // SAFETY: the parts address disjoint column ranges of C and only read
    // A and B; the caller's arrays outlive the scope below.
    unsafe impl Send for Part {}
    let ranges = split(g.n, devices);
    let routine = crate::runtime::stats::current_routine(); // its transfers, in each thread
    let results: Vec<(usize, Result<(), Failure>)> = std::thread::scope(|s| {
        let handles: Vec<_> = ranges
            .iter()
            .enumerate()
            .map(|(i, &(c0, cols))| {
                let part = Part(g.tile(Tile { row0: 0, rows: g.m, col0: c0, cols }));
                std::thread::Builder::new().spawn_scoped(s, move || {
                    let part = part;
                    // SAFETY: a legal sub-product of the caller's (see Part).
                    (c0, crate::runtime::stats::with_routine(routine, || unsafe { dgemm_on(i, &part.0) }))
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
///
/// # Safety
/// As for [`dgemm`].
unsafe fn dgemm_on(which: usize, g: &Gemm) -> Result<(), Failure> {
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
    // SAFETY: the caller's guarantee, passed on.
    let result = crate::runtime::panic::catch(|| unsafe { run_plan(&mut gpu, g, &plan, &mut done, inject) })
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

/// # Safety
/// As for [`dgemm`].
unsafe fn run_plan(gpu: &mut Gpu, g: &Gemm, plan: &Plan, done: &mut Vec<Tile>, inject: Option<Fault>) -> Result<(), GpuError> {
    if inject == Some(Fault::Panic(0)) {
        super::fault::check(inject, 0)?;
    }
    let (ta, tb) = (g.trans_a, g.trans_b);
    gpu.kernel(ta, tb)?;
    let tile_cap = gpu.staging_len();
    for ((r0, rows), (c0, cols), tiles) in &plan.panels {
        let k = g.k;
        // Packed panels: op(A)(r0.., :) as stored, op(B)(:, c0..) as stored.
        let (a_rows, a_cols, a_ptr) =
            if ta { (k, *rows, g.a.wrapping_add(r0 * g.lda)) } else { (*rows, k, g.a.wrapping_add(*r0)) };
        let (b_rows, b_cols, b_ptr) =
            if tb { (*cols, k, g.b.wrapping_add(*c0)) } else { (k, *cols, g.b.wrapping_add(c0 * g.ldb)) };
        let (lda_p, ldb_p) = (a_rows.max(1), b_rows.max(1));
        gpu.buffer(0, a_rows * a_cols)?;
        gpu.buffer(1, b_rows * b_cols)?;
        gpu.buffer(2, 2 * tile_cap)?;
        // A whole; B whole if transposed (its columns are scattered in the
        // packed image), else column by column as the C tiles need them, so
        // that B's upload overlaps the kernels.
        let mut b_cols_done = 0;
        // SAFETY: the panels lie inside the caller's A and B.
        unsafe {
            upload(gpu, 0, 0, a_ptr, a_rows, a_cols, g.lda, 0)?;
            if tb {
                upload(gpu, 1, 0, b_ptr, b_rows, b_cols, g.ldb, 0)?;
                b_cols_done = *cols;
            }
        }
        gpu.transfer.finish().map_err(cl("clFinish (upload A)"))?;

        // The uploads tile `i` needs before its kernel: the columns of op(B)
        // not yet on the device, and C when beta != 0. Returns the last
        // transfer's event (the transfer queue is in order).
        let mut inputs = |gpu: &mut Gpu, i: usize| -> Result<Option<cl_event>, GpuError> {
            let t = &tiles[i];
            let mut last = None;
            let need = t.col0 - c0 + t.cols;
            if need > b_cols_done {
                let from = b_cols_done;
                // SAFETY: columns from..need of the B panel, into their
                // place in the packed panel (sized above).
                last = unsafe {
                    upload(gpu, 1, from * ldb_p, b_ptr.wrapping_add(from * g.ldb), b_rows, need - from, g.ldb, 0)?
                };
                b_cols_done = need;
            }
            if g.beta != 0.0 {
                let c_ptr = g.c.wrapping_add(t.row0 + t.col0 * g.ldc);
                let slot = i % 2;
                // SAFETY: the tile lies inside the caller's C and fits one
                // staging slot; that slot's last read was waited for and
                // unpacked.
                last = unsafe { upload(gpu, 2, slot * tile_cap, c_ptr, t.rows, t.cols, g.ldc, slot)? };
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
        let first = inputs(gpu, 0)?;
        let mut kernel_event = launch_tile(gpu, 0, first)?;
        for (i, t) in tiles.iter().enumerate() {
            let next = if i + 1 < tiles.len() { Some(inputs(gpu, i + 1)?) } else { None };
            let read = read_tile(gpu, (i % 2) * tile_cap, t.rows * t.cols, i % 2, &kernel_event)?;
            if let Some(wait) = next {
                kernel_event = launch_tile(gpu, i + 1, wait)?;
            }
            read.wait().map_err(cl("read C tile"))?;
            let c_ptr = g.c.wrapping_add(t.row0 + t.col0 * g.ldc);
            // SAFETY: the tile is inside the caller's C; its staging slot
            // holds the finished tile.
            unsafe { unpack(gpu.staging[i % 2].ptr, c_ptr, t.rows, t.cols, g.ldc) };
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
    g: &Gemm,
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

/// Uploads `rows x cols` (leading dimension `ld`) into device buffer
/// `which`, packed, at `offset`, through the staging buffers in turn from
/// `first_slot`. Returns the event of the last write: it stays alive in
/// its slot's `pending` until that slot is packed again, which is after
/// any kernel waiting on it was enqueued.
///
/// # Safety
/// `src` valid for the matrix.
#[allow(clippy::too_many_arguments)]
unsafe fn upload(
    gpu: &mut Gpu,
    which: usize,
    offset: usize,
    src: *const f64,
    rows: usize,
    cols: usize,
    ld: usize,
    first_slot: usize,
) -> Result<Option<cl_event>, GpuError> {
    let total = rows * cols;
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
        // SAFETY: the caller's matrix; the staging slot is free.
        unsafe { pack(src, rows, ld, start, len, staging[slot].ptr) };
        let dst = buffers[which].buffer.as_mut().ok_or(GpuError::Cl { step: "device buffers", code: -38 })?;
        // SAFETY: the staging slice holds `len` packed doubles and stays
        // untouched until the write completes (its event is in `pending`).
        let data = unsafe { std::slice::from_raw_parts(staging[slot].ptr, len) };
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

/// Copies elements `start..start+len` of the packed (column-major,
/// leading dimension `rows`) image of `src` into `dst`, with several
/// threads for large copies: one thread's memcpy cannot keep up with
/// pinned DMA.
///
/// # Safety
/// `src` valid for `rows x cols` with leading dimension `ld`; `dst` valid
/// for `len` doubles; the two do not overlap.
pub(crate) unsafe fn pack(src: *const f64, rows: usize, ld: usize, start: usize, len: usize, dst: *mut f64) {
    // Addresses as integers: the threads only touch disjoint ranges.
    let (src_addr, dst_addr) = (src as usize, dst as usize);
    let copy = move |from: usize, count: usize| {
        let (src, dst) = (src_addr as *const f64, dst_addr as *mut f64);
        let mut i = from;
        while i < from + count {
            let (col, row) = (i / rows, i % rows);
            let run = (rows - row).min(from + count - i);
            // SAFETY: (row.., col) is inside the source matrix and
            // i - start + run <= len inside dst.
            unsafe { std::ptr::copy_nonoverlapping(src.add(row + col * ld), dst.add(i - start), run) };
            i += run;
        }
    };
    parallel(start, len, &copy);
}

/// The inverse of [`pack`] for a whole tile: staging -> caller's C.
///
/// # Safety
/// `dst` valid for `rows x cols` with leading dimension `ld`; `src` holds
/// `rows * cols` doubles.
pub(crate) unsafe fn unpack(src: *const f64, dst: *mut f64, rows: usize, cols: usize, ld: usize) {
    let (src_addr, dst_addr) = (src as usize, dst as usize);
    let copy = move |from: usize, count: usize| {
        let (src, dst) = (src_addr as *const f64, dst_addr as *mut f64);
        let mut i = from;
        while i < from + count {
            let (col, row) = (i / rows, i % rows);
            let run = (rows - row).min(from + count - i);
            // SAFETY: mirror of pack.
            unsafe { std::ptr::copy_nonoverlapping(src.add(i), dst.add(row + col * ld), run) };
            i += run;
        }
    };
    parallel(0, rows * cols, &copy);
}

/// Runs `f(from, count)` over `start..start+len` on up to 8 threads, each
/// with at least 64 Ki doubles (512 KiB: a thread start costs about as much
/// as copying that much).
pub(crate) fn parallel(start: usize, len: usize, f: &(dyn Fn(usize, usize) + Sync)) {
    const MIN_PER_THREAD: usize = 1 << 16;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8).min(len / MIN_PER_THREAD).max(1);
    if threads == 1 {
        f(start, len);
        return;
    }
    // A thread that cannot be started (a process limit, no memory for its
    // stack) leaves its range to this thread: `spawn` would panic.
    std::thread::scope(|s| {
        for (from, count) in split(len, threads) {
            if std::thread::Builder::new().spawn_scoped(s, move || f(start + from, count)).is_err() {
                f(start + from, count);
            }
        }
    });
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
    // SAFETY: the vectors hold exactly rows x cols elements (ld = rows).
    unsafe {
        upload(&mut gpu, 0, 0, a.as_ptr(), ar, ac, ar.max(1), 0)?;
        upload(&mut gpu, 1, 0, b.as_ptr(), br, bc, br.max(1), 0)?;
        upload(&mut gpu, 2, 0, c.as_ptr(), m, n, m.max(1), 0)?;
    }
    gpu.transfer.finish().map_err(cl("clFinish"))?;
    gpu.kernel(trans_a, trans_b)?;
    let g = Gemm {
        trans_a, trans_b, m, n, k, alpha: 1.0, a: std::ptr::null(), lda: ar.max(1), b: std::ptr::null(),
        ldb: br.max(1), beta: 0.5, c: std::ptr::null_mut(), ldc: m.max(1),
    };
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
        let g = Gemm {
            trans_a: true, trans_b: false, m: 10, n: 8, k: 3, alpha: 1.0, a: std::ptr::null(), lda: 5,
            b: std::ptr::null(), ldb: 4, beta: 0.0, c: std::ptr::null_mut(), ldc: 12,
        };
        let t = g.tile(Tile { row0: 2, rows: 3, col0: 4, cols: 2 });
        assert_eq!((t.a as usize) / 8, 2 * 5);
        assert_eq!((t.b as usize) / 8, 4 * 4);
        assert_eq!((t.c as usize) / 8, 2 + 4 * 12);
        assert_eq!((t.m, t.n, t.k), (3, 2, 3));
    }
}
