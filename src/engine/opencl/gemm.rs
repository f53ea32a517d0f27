//! Matrix products from host memory on the GPU: C := alpha*op(A)*op(B) +
//! beta*C with the caller's pageable, column-major arrays, computed by the
//! DGEMM kernel in double precision.
//!
//! The operands may come in the caller's own precision and layout
//! ([`Job`]): doubles go up as they are; single-precision A, B and C go up
//! as singles (half the bytes) and are widened on the device, exactly; a
//! complex A goes up as it is stored and the device expands it into the
//! real 2 x 2 blocks of a complex product (src/ops/gemm/precisions.rs),
//! alpha folded in; a single-precision C is rounded once on the device and
//! comes back as singles. The conversions run on the transfer queue
//! between each upload and the kernels that wait for it
//! (kernels/convert.cl). [`dgemm`] is the all-double case.
//!
//! Plan (all sizes in doubles, as the kernel sees the operands):
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

    /// The same product restricted to one tile of C.
    pub fn tile(&self, t: Tile) -> Gemm<'a> {
        let a = if self.trans_a { self.a.sub(0, t.row0, self.k, t.rows) } else { self.a.sub(t.row0, 0, t.rows, self.k) };
        let b = if self.trans_b { self.b.sub(t.col0, 0, t.cols, self.k) } else { self.b.sub(0, t.col0, self.k, t.cols) };
        Gemm { m: t.rows, n: t.cols, a, b, ..*self }
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

/// An operand in host memory as the caller stores it: doubles, or singles
/// that the device widens (exactly) once they are up.
#[derive(Clone, Copy, Debug)]
pub enum Host<'a> {
    F64(MatRef<'a, f64>),
    F32(MatRef<'a, f32>),
}

impl<'a> Host<'a> {
    pub fn rows(&self) -> usize {
        match self {
            Host::F64(x) => x.rows(),
            Host::F32(x) => x.rows(),
        }
    }

    pub fn cols(&self) -> usize {
        match self {
            Host::F64(x) => x.cols(),
            Host::F32(x) => x.cols(),
        }
    }

    /// Rows `i..i+rows`, columns `j..j+cols`.
    pub fn sub(&self, i: usize, j: usize, rows: usize, cols: usize) -> Host<'a> {
        match self {
            Host::F64(x) => Host::F64(x.sub(i, j, rows, cols)),
            Host::F32(x) => Host::F32(x.sub(i, j, rows, cols)),
        }
    }

    /// Bytes per element.
    fn width(&self) -> usize {
        match self {
            Host::F64(_) => 8,
            Host::F32(_) => 4,
        }
    }
}

/// The caller's C, in double or in single precision (computed in double on
/// the device and rounded there once).
#[derive(Debug)]
pub enum Target<'a> {
    F64(MatMut<'a, f64>),
    F32(MatMut<'a, f32>),
}

impl<'a> Target<'a> {
    fn rows(&self) -> usize {
        match self {
            Target::F64(c) => c.rows(),
            Target::F32(c) => c.rows(),
        }
    }

    fn cols(&self) -> usize {
        match self {
            Target::F64(c) => c.cols(),
            Target::F32(c) => c.cols(),
        }
    }

    /// Tile `t` of C as an operand (C's upload when beta != 0).
    fn read(&self, t: &Tile) -> Host<'_> {
        match self {
            Target::F64(c) => Host::F64(c.rb().sub(t.row0, t.col0, t.rows, t.cols)),
            Target::F32(c) => Host::F32(c.rb().sub(t.row0, t.col0, t.rows, t.cols)),
        }
    }

    /// Columns `..at` and `at..`.
    fn split_cols(self, at: usize) -> (Target<'a>, Target<'a>) {
        match self {
            Target::F64(c) => {
                let (l, r) = c.split_cols(at);
                (Target::F64(l), Target::F64(r))
            }
            Target::F32(c) => {
                let (l, r) = c.split_cols(at);
                (Target::F32(l), Target::F32(r))
            }
        }
    }
}

/// A complex A expanded on the device: its real view (rows alternating
/// real and imaginary parts, twice the rows of the complex matrix) goes up
/// as stored, and each element x becomes, with alpha folded in, the real
/// 2 x 2 block of alpha x (conjugated first when `conj`), which doubles
/// the columns: see src/ops/gemm/precisions.rs and kernels/convert.cl.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Expand {
    pub alpha: (f64, f64),
    pub conj: bool,
}

/// A product from host memory in any form the device takes: C (m x n) :=
/// alpha op(A) op(B) + beta C, with the shapes of the real, double
/// operands the kernel multiplies. A is `a` as stored, or with `expand`,
/// the expansion of the complex matrix whose real view `a` is (then A as
/// stored has twice `a`'s columns, and m is even).
#[derive(Clone, Copy, Debug)]
pub struct Job<'a> {
    pub trans_a: bool,
    pub trans_b: bool,
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub alpha: f64,
    pub a: Host<'a>,
    pub expand: Option<Expand>,
    pub b: Host<'a>,
    pub beta: f64,
}

impl<'a> From<&Gemm<'a>> for Job<'a> {
    fn from(g: &Gemm<'a>) -> Job<'a> {
        Job {
            trans_a: g.trans_a,
            trans_b: g.trans_b,
            m: g.m,
            n: g.n,
            k: g.k,
            alpha: g.alpha,
            a: Host::F64(g.a),
            expand: None,
            b: Host::F64(g.b),
            beta: g.beta,
        }
    }
}

impl<'a> Job<'a> {
    /// The product's shape from its operands: op(A) m x k (A expanded when
    /// `expand`), op(B) k x n.
    pub fn new(trans_a: bool, trans_b: bool, alpha: f64, a: Host<'a>, expand: Option<Expand>, b: Host<'a>, beta: f64) -> Job<'a> {
        let per = if expand.is_some() { 2 } else { 1 };
        let (m, k) = if trans_a { (per * a.cols(), a.rows()) } else { (a.rows(), per * a.cols()) };
        let n = if trans_b { b.rows() } else { b.cols() };
        Job { trans_a, trans_b, m, n, k, alpha, a, expand, b, beta }
    }

    /// Rows are split only at multiples of this (an expanded A's rows come
    /// in pairs, and so do those of a complex C).
    fn align(&self) -> usize {
        if self.expand.is_some() {
            2
        } else {
            1
        }
    }

    /// What goes up for rows `r0..r0+rows` of op(A): the part of `a` as
    /// stored (columns of A when transposed; for an expanded A, the complex
    /// columns r0/2.. of its real view).
    fn a_rows(&self, r0: usize, rows: usize) -> Host<'a> {
        let per = if self.expand.is_some() { 2 } else { 1 };
        if self.trans_a {
            self.a.sub(0, r0 / per, self.k, rows / per)
        } else {
            self.a.sub(r0, 0, rows, self.k / per)
        }
    }

    /// Columns `c0..c0+cols` of op(B), as stored.
    fn b_cols(&self, c0: usize, cols: usize) -> Host<'a> {
        if self.trans_b {
            self.b.sub(c0, 0, cols, self.k)
        } else {
            self.b.sub(0, c0, self.k, cols)
        }
    }

    /// The same product restricted to one tile of C (its rows aligned as
    /// [`Job::align`] says).
    fn tile(&self, t: Tile) -> Job<'a> {
        Job { m: t.rows, n: t.cols, a: self.a_rows(t.row0, t.rows), b: self.b_cols(t.col0, t.cols), ..*self }
    }

    /// Whether the operands have the shapes the job says (op(A) m x k,
    /// op(B) k x n, an expanded A's rows and columns in pairs): a job
    /// built otherwise than by [`Job::new`] from consistent operands is
    /// refused, not computed out of bounds.
    fn consistent(&self) -> bool {
        let per = if self.expand.is_some() { 2 } else { 1 };
        let (a_rows, a_cols) = if self.trans_a { (self.k, self.m) } else { (self.m, self.k) };
        let (b_rows, b_cols) = if self.trans_b { (self.n, self.k) } else { (self.k, self.n) };
        self.a.rows() == a_rows
            && per * self.a.cols() == a_cols
            && self.b.rows() == b_rows
            && self.b.cols() == b_cols
            && (per == 1 || (self.m % 2 == 0 && self.k % 2 == 0))
    }

    /// Whether any operand needs the device's conversions.
    fn converts(&self, c: &Target<'_>) -> bool {
        self.expand.is_some() || !matches!((self.a, self.b, c), (Host::F64(_), Host::F64(_), Target::F64(_)))
    }
}

/// Splits `extent` into `parts` nearly equal consecutive ranges.
pub(crate) fn split(extent: usize, parts: usize) -> Vec<(usize, usize)> {
    let parts = parts.clamp(1, extent.max(1));
    (0..parts).map(|p| (p * extent / parts, (p + 1) * extent / parts - p * extent / parts)).collect()
}

/// [`split`] in units of `align` (`extent` a multiple of it).
fn split_aligned(extent: usize, parts: usize, align: usize) -> Vec<(usize, usize)> {
    split(extent / align, parts).into_iter().map(|(s, l)| (s * align, l * align)).collect()
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
/// `max_buffer` in one buffer, with C tiles of at most `tile_max` doubles;
/// rows are cut only at multiples of `align` (which divides m).
pub fn plan(m: usize, n: usize, k: usize, budget: usize, max_buffer: usize, tile_max: usize, align: usize) -> Result<Plan, GpuError> {
    // Kernels index with 32-bit ints: keep every buffer under 2^31 elements.
    let max_buffer = max_buffer.min(i32::MAX as usize);
    if tile_max < align {
        return Err(GpuError::TooLarge(format!("staging of {tile_max} elements")));
    }
    let (mut row_parts, mut col_parts) = (1usize, 1usize);
    loop {
        let mb = (m / align).div_ceil(row_parts) * align;
        let nb = n.div_ceil(col_parts);
        let tile = mb.min(tile_max).max(1) * nb.min(tile_max / mb.min(tile_max).max(1)).max(1);
        let need = mb * k + k * nb + 2 * tile;
        if mb * k <= max_buffer && k * nb <= max_buffer && need <= budget {
            break;
        }
        if mb <= align && nb <= 1 {
            return Err(GpuError::TooLarge(format!("k = {k} leaves no room for one row of A and one column of B")));
        }
        if (mb * k >= k * nb && mb > align) || nb <= 1 {
            row_parts *= 2;
        } else {
            col_parts *= 2;
        }
    }
    let mut panels = Vec::new();
    for &(r0, rows) in &split_aligned(m, row_parts, align) {
        for &(c0, cols) in &split(n, col_parts) {
            // C tiles of this panel pair: whole columns when they fit.
            let tile_cols = (tile_max / rows.max(1)).max(1).min(cols.max(1));
            let (tile_rows_parts, tile_col_parts) = if tile_max >= rows {
                (1, cols.div_ceil(tile_cols))
            } else {
                ((rows / align).div_ceil((tile_max / align).max(1)), cols)
            };
            let mut tiles = Vec::new();
            for &(tc0, tcols) in &split(cols, tile_col_parts) {
                for &(tr0, trows) in &split_aligned(rows, tile_rows_parts, align) {
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
pub fn dgemm(g: &Gemm<'_>, c: MatMut<'_>) -> Result<(), Failure> {
    product(&Job::from(g), Target::F64(c))
}

/// Runs `j` on the GPU, into `c` (m x n). `Err` lists the tiles of C left
/// for the CPU (their rows aligned as the job's rows are).
///
/// With several selected devices (`LAPACK_AI_DEVICE=0,1` or `all`), C is
/// cut into as many column ranges, each computed on its own device by its
/// own thread (own context, queues and staging); the ranges are disjoint
/// parts of the caller's C. One device runs exactly the one-device path.
pub fn product(j: &Job<'_>, c: Target<'_>) -> Result<(), Failure> {
    if !j.consistent() || (c.rows(), c.cols()) != (j.m, j.n) {
        let error = GpuError::Internal(format!("a product whose operands do not match its shape: {j:?}"));
        return Err(Failure { error, remaining: vec![Tile { row0: 0, rows: j.m, col0: 0, cols: j.n }] });
    }
    let devices = super::context::device_count().max(1).min(j.n.max(1));
    if devices == 1 {
        return job_on(0, j, c);
    }
    let ranges = split(j.n, devices);
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
                let part = j.tile(Tile { row0: 0, rows: j.m, col0: c0, cols });
                std::thread::Builder::new().spawn_scoped(s, move || {
                    (c0, crate::runtime::stats::with_routine(routine, || job_on(i, &part, c_part)))
                })
            })
            .collect();
        // A part whose thread did not start, or panicked outside job_on
        // (which catches its own), wrote nothing: all of it is left.
        handles
            .into_iter()
            .zip(&ranges)
            .map(|(h, &(c0, cols))| {
                let whole = |error| (c0, Err(Failure { error, remaining: vec![Tile { row0: 0, rows: j.m, col0: 0, cols }] }));
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

/// The conversions' scratch, in doubles: one staging buffer's worth per
/// staging buffer (the uploads) and two more (the single-precision C
/// tiles on their way back).
fn scratch_len(gpu: &Gpu) -> usize {
    (gpu.staging.len() + 2) * gpu.staging_len()
}

/// [`product`] on the `which`-th selected device.
fn job_on(which: usize, j: &Job<'_>, mut c: Target<'_>) -> Result<(), Failure> {
    let everything = || vec![Tile { row0: 0, rows: j.m, col0: 0, cols: j.n }];
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
    // (The hook's budget is the panels' alone: the conversions' scratch is
    // taken from the device's.)
    let mut budget = (gpu.global_mem as f64 * 0.8 / 8.0) as usize;
    if j.converts(&c) {
        budget = budget.saturating_sub(scratch_len(&gpu));
    }
    let budget = test_budget.unwrap_or(budget);
    let max_buffer = test_budget.unwrap_or((gpu.max_alloc / 8) as usize);
    let plan = plan(j.m, j.n, j.k, budget, max_buffer, gpu.staging_len(), j.align())
        .map_err(|error| Failure { error, remaining: everything() })?;
    let mut done: Vec<Tile> = Vec::new();
    // A panic inside becomes an error here, where the tiles written so far
    // are known (a tile is written to C only after its device work, by a
    // copy that does not panic): the CPU then computes the others.
    let result = crate::runtime::panic::catch(|| run_plan(&mut gpu, j, &mut c, &plan, &mut done, inject))
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
    gpu: &mut Gpu, j: &Job<'_>, c: &mut Target<'_>, plan: &Plan, done: &mut Vec<Tile>, inject: Option<Fault>,
) -> Result<(), GpuError> {
    if inject == Some(Fault::Panic(0)) {
        super::fault::check(inject, 0)?;
    }
    let (ta, tb) = (j.trans_a, j.trans_b);
    gpu.kernel(ta, tb)?;
    let tile_cap = gpu.staging_len();
    let expand = j.expand.map(|e| (e, ta));
    let per = if expand.is_some() { 2 } else { 1 };
    for ((r0, rows), (c0, cols), tiles) in &plan.panels {
        // Packed panels: op(A)(r0.., :) as stored, op(B)(:, c0..) as stored
        // (what goes up of A: its real view's columns, half as many when
        // the device expands them).
        let (a_panel, b_panel) = (j.a_rows(*r0, *rows), j.b_cols(*c0, *cols));
        let (lda_p, ldb_p) = (a_panel.rows().max(1), b_panel.rows().max(1));
        gpu.buffer(0, a_panel.rows() * a_panel.cols() * per)?;
        gpu.buffer(1, b_panel.rows() * b_panel.cols())?;
        gpu.buffer(2, 2 * tile_cap)?;
        // A whole; B whole if transposed (its columns are scattered in the
        // packed image), else column by column as the C tiles need them, so
        // that B's upload overlaps the kernels.
        let mut b_cols_done = 0;
        upload(gpu, 0, 0, a_panel, 0, expand)?;
        if tb {
            upload(gpu, 1, 0, b_panel, 0, None)?;
            b_cols_done = *cols;
        }
        gpu.transfer.finish().map_err(cl("clFinish (upload A)"))?;

        // The uploads tile `i` needs before its kernel: the columns of op(B)
        // not yet on the device, and C when beta != 0. Returns the last
        // transfer's event (the transfer queue is in order).
        let mut inputs = |gpu: &mut Gpu, c: &Target<'_>, i: usize| -> Result<Option<cl_event>, GpuError> {
            let t = &tiles[i];
            let mut last = None;
            let need = t.col0 - c0 + t.cols;
            if need > b_cols_done {
                let from = b_cols_done;
                // Columns from..need of the B panel, into their place in the
                // packed panel (sized above).
                last = upload(gpu, 1, from * ldb_p, b_panel.sub(0, from, b_panel.rows(), need - from), 0, None)?;
                b_cols_done = need;
            }
            if j.beta != 0.0 {
                let slot = i % 2;
                // The tile fits one staging slot; that slot's last read was
                // waited for and unpacked.
                last = upload(gpu, 2, slot * tile_cap, c.read(t), slot, None)?;
            }
            Ok(last)
        };
        let launch_tile = |gpu: &Gpu, i: usize, wait: Option<cl_event>| -> Result<Event, GpuError> {
            let t = &tiles[i];
            // Offsets of this tile inside the packed panels.
            let off_a = if ta { (t.row0 - r0) * lda_p } else { t.row0 - r0 };
            let off_b = if tb { t.col0 - c0 } else { (t.col0 - c0) * ldb_p };
            let wait: Vec<cl_event> = wait.into_iter().collect();
            launch(gpu, j, t, off_a, lda_p, off_b, ldb_p, (i % 2) * tile_cap, &wait)
        };

        // Software pipeline: tile i+1's uploads and kernel are queued
        // before tile i is read back and unpacked.
        let first = inputs(gpu, c, 0)?;
        let mut kernel_event = launch_tile(gpu, 0, first)?;
        for (i, t) in tiles.iter().enumerate() {
            let next = if i + 1 < tiles.len() { Some(inputs(gpu, c, i + 1)?) } else { None };
            let single = matches!(c, Target::F32(_));
            let read = read_tile(gpu, (i % 2) * tile_cap, t.rows * t.cols, i % 2, &kernel_event, single)?;
            if let Some(wait) = next {
                kernel_event = launch_tile(gpu, i + 1, wait)?;
            }
            read.0.wait().map_err(cl("read C tile"))?;
            let len = t.rows * t.cols;
            match c {
                Target::F64(c) => {
                    // SAFETY: the staging slot holds the finished tile (the
                    // read was waited for), rows x cols doubles, and nothing
                    // else uses it until the next transfer through it.
                    let finished = unsafe { std::slice::from_raw_parts(gpu.staging[i % 2].ptr, len) };
                    unpack(finished, t.of(c));
                }
                Target::F32(c) => {
                    // SAFETY: as above, rows x cols singles (the staging
                    // slot holds twice as many).
                    let finished = unsafe { std::slice::from_raw_parts(gpu.staging[i % 2].ptr as *const f32, len) };
                    unpack(finished, c.sub_mut(t.row0, t.col0, t.rows, t.cols));
                }
            }
            drop(read);
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
    j: &Job<'_>,
    t: &Tile,
    off_a: usize,
    lda: usize,
    off_b: usize,
    ldb: usize,
    off_c: usize,
    wait: &[cl_event],
) -> Result<Event, GpuError> {
    let [a, b, c, _] = &gpu.buffers;
    let (a, b, c) = (a.buffer.as_ref(), b.buffer.as_ref(), c.buffer.as_ref());
    let (Some(a), Some(b), Some(c)) = (a, b, c) else {
        return Err(GpuError::Cl { step: "device buffers", code: -38 });
    };
    let op = Operands {
        a: a.get(), off_a, lda, b: b.get(), off_b, ldb, c: c.get(), off_c, ldc: t.rows.max(1),
    };
    // SAFETY: the buffers hold the packed panels and two C tiles, and the
    // tile's offsets and leading dimensions stay inside them.
    unsafe { enqueue_kernel(gpu, &gpu.queue, j.trans_a, j.trans_b, t.rows, t.cols, j.k, j.alpha, j.beta, &op, wait) }
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

/// The conversion kernels (kernels/convert.cl, beside this file).
pub const CONVERT_SOURCE: &str = include_str!("kernels/convert.cl");

/// Work-items per work-group of the conversion kernels.
const CONVERT_GROUP: usize = 64;

/// Reads the `len` elements at `offset` of the C buffer into staging
/// `slot` after `after`, on the transfer queue: as doubles, or (`single`)
/// rounded to singles on the device first, through the scratch. Returns
/// the read's event and the rounding's (kept until the read is waited
/// for).
fn read_tile(gpu: &mut Gpu, offset: usize, len: usize, slot: usize, after: &Event, single: bool) -> Result<(Event, Option<Event>), GpuError> {
    if !single {
        let Gpu { transfer, buffers, staging, .. } = gpu;
        let c = buffers[2].buffer.as_ref().ok_or(GpuError::Cl { step: "device buffers", code: -38 })?;
        // SAFETY: staging[slot] holds STAGING_DOUBLES >= len doubles of pinned
        // memory that nothing else uses until this read is waited for.
        let dst = unsafe { std::slice::from_raw_parts_mut(staging[slot].ptr, len) };
        // SAFETY: the read stays inside the C buffer (2 tiles of staging size).
        let read = unsafe { transfer.enqueue_read_buffer(c, CL_NON_BLOCKING, offset * 8, dst, &[after.get()]) }
            .map_err(cl("clEnqueueReadBuffer C tile"))?;
        crate::runtime::stats::add_transfer(0, len as u64 * 8);
        return Ok((read, None));
    }
    let index = gpu.prepare_other(CONVERT_SOURCE, "-DREAL=float", "narrow")?;
    let kernel = gpu.other(index).get();
    let (slots, cap) = (gpu.staging.len(), gpu.staging_len());
    gpu.buffer(3, scratch_len(gpu))?;
    let Gpu { transfer, buffers, staging, .. } = gpu;
    let missing = || GpuError::Cl { step: "device buffers", code: -38 };
    let c = buffers[2].buffer.as_ref().ok_or_else(missing)?.get();
    let scratch = buffers[3].buffer.as_ref().ok_or_else(missing)?;
    // The scratch's regions after the uploads' own, one per read slot.
    let region = (slots + slot) * cap;
    let (n, off, dst_off) = (len as i32, offset as i32, 2 * region as i32);
    // SAFETY: narrow(int, double*, int, float*, int) (kernels/convert.cl);
    // it reads the finished tile inside the C buffer and writes len singles
    // inside the scratch's region (cap doubles hold 2 cap >= 2 len singles).
    let narrow = unsafe {
        Launch::from_raw(kernel, "clEnqueueNDRangeKernel narrow")
            .arg(&n)
            .arg(&c)
            .arg(&off)
            .arg(&scratch.get())
            .arg(&dst_off)
            .enqueue(transfer, &[len.div_ceil(CONVERT_GROUP) * CONVERT_GROUP], &[CONVERT_GROUP], &[after.get()])
    }?;
    // SAFETY: staging[slot] holds cap >= len / 2 doubles (len singles, the
    // last double possibly half of one) that nothing else uses until this
    // read is waited for.
    let dst = unsafe { std::slice::from_raw_parts_mut(staging[slot].ptr, len.div_ceil(2)) };
    // SAFETY: the read stays inside the scratch's region; the in-order
    // queue runs it after the rounding.
    let read = unsafe { transfer.enqueue_read_buffer(scratch, CL_NON_BLOCKING, region * 8, dst, &[]) }
        .map_err(cl("clEnqueueReadBuffer C tile"))?;
    crate::runtime::stats::add_transfer(0, len as u64 * 4);
    Ok((read, Some(narrow)))
}

/// Uploads `src` into device buffer `which`, packed (leading dimension its
/// rows), at `offset`, through the staging buffers in turn from
/// `first_slot`: doubles straight into place; singles, and a complex A
/// that `expand` says to expand (with whether the kernel takes it
/// transposed), into the scratch and from there by a conversion kernel on
/// the transfer queue (an expanded A takes twice `src`'s elements).
/// Returns the event of the last write or conversion: it stays alive in
/// its slot's `pending` until that slot is packed again, which is after
/// any kernel waiting on it was enqueued.
fn upload(
    gpu: &mut Gpu, which: usize, offset: usize, src: Host<'_>, first_slot: usize, expand: Option<(Expand, bool)>,
) -> Result<Option<cl_event>, GpuError> {
    let total = src.rows() * src.cols();
    let per = if expand.is_some() { 2 } else { 1 };
    gpu.buffer(which, offset + per * total)?;
    let cap = gpu.staging_len();
    let convert = match (src, expand) {
        (Host::F64(_), None) => None,
        _ => {
            gpu.buffer(3, scratch_len(gpu))?;
            let real = if src.width() == 4 { "-DREAL=float" } else { "-DREAL=double" };
            let index = gpu.prepare_other(CONVERT_SOURCE, real, if expand.is_some() { "expand" } else { "widen" })?;
            Some(gpu.other(index).get())
        }
    };
    // Elements per transfer: a staging buffer's bytes, whole complex
    // numbers when expanded.
    let chunk = (cap * 8 / src.width()) & !(per - 1);
    let Gpu { transfer, buffers, staging, .. } = gpu;
    let missing = || GpuError::Cl { step: "device buffers", code: -38 };
    let mut start = 0;
    let mut slot = first_slot;
    let mut last = None;
    while start < total {
        let len = chunk.min(total - start);
        if let Some(ev) = staging[slot].pending.take() {
            ev.wait().map_err(cl("staging reuse"))?;
        }
        // SAFETY (both arms): the staging slot holds `cap` doubles of
        // pinned memory, `len` elements of the source's type at most; it
        // is free (its last transfer was waited for just above).
        match src {
            Host::F64(x) => pack(x, start, unsafe { std::slice::from_raw_parts_mut(staging[slot].ptr, len) }),
            Host::F32(x) => pack(x, start, unsafe { std::slice::from_raw_parts_mut(staging[slot].ptr as *mut f32, len) }),
        }
        // SAFETY: the packed elements as whole doubles (a last half double
        // of singles goes up too, unread); the slice lives until the write
        // below is enqueued, and the memory stays untouched until that
        // write completes (`pending` keeps its event or a later one's).
        let data = unsafe { std::slice::from_raw_parts(staging[slot].ptr, (len * src.width()).div_ceil(8)) };
        let ev = match convert {
            None => {
                let dst = buffers[which].buffer.as_mut().ok_or_else(missing)?;
                // SAFETY: as above; the write stays inside the buffer (sized above).
                unsafe { transfer.enqueue_write_buffer(dst, CL_NON_BLOCKING, (offset + start) * 8, data, &[]) }
                    .map_err(cl("clEnqueueWriteBuffer"))?
            }
            Some(kernel) => {
                let dst = buffers[which].buffer.as_ref().ok_or_else(missing)?.get();
                let scratch = buffers[3].buffer.as_mut().ok_or_else(missing)?;
                // SAFETY: as above; the write stays inside the slot's
                // region of the scratch (cap doubles).
                let write = unsafe { transfer.enqueue_write_buffer(scratch, CL_NON_BLOCKING, slot * cap * 8, data, &[]) }
                    .map_err(cl("clEnqueueWriteBuffer"))?;
                // The in-order queue runs the conversion after the write,
                // and a later write to this region after the conversion.
                drop(write);
                let src_off = (slot * cap * 8 / src.width()) as i32;
                let scratch = scratch.get();
                // SAFETY (both launches): the arguments match the kernel's
                // parameters in order and type (kernels/convert.cl); it
                // reads `len` elements of the slot's region and writes
                // inside `which` (sized above for offset + per * total).
                unsafe {
                    match expand {
                        None => Launch::from_raw(kernel, "clEnqueueNDRangeKernel widen")
                            .arg(&(len as i32))
                            .arg(&scratch)
                            .arg(&src_off)
                            .arg(&dst)
                            .arg(&((offset + start) as i32))
                            .enqueue(transfer, &[len.div_ceil(CONVERT_GROUP) * CONVERT_GROUP], &[CONVERT_GROUP], &[]),
                        Some((e, transposed)) => Launch::from_raw(kernel, "clEnqueueNDRangeKernel expand")
                            .arg(&((len / 2) as i32))
                            .arg(&((start / 2) as i32))
                            .arg(&((src.rows() / 2) as i32))
                            .arg(&scratch)
                            .arg(&src_off)
                            .arg(&dst)
                            .arg(&(offset as i32))
                            .arg(&e.alpha.0)
                            .arg(&e.alpha.1)
                            .arg(&if e.conj { -1.0f64 } else { 1.0 })
                            .arg(&(transposed as i32))
                            .enqueue(transfer, &[(len / 2).div_ceil(CONVERT_GROUP) * CONVERT_GROUP], &[CONVERT_GROUP], &[]),
                    }
                }?
            }
        };
        last = Some(ev.get());
        staging[slot].pending = Some(ev);
        start += len;
        slot = (slot + 1) % staging.len();
    }
    crate::runtime::stats::add_transfer((total * src.width()) as u64, 0);
    Ok(last)
}

/// Below this many elements per thread a copy stays on one thread (512
/// KiB of doubles: a thread start costs about as much as copying that much).
const MIN_PER_THREAD: usize = 1 << 16;

/// How many threads (at most 8) a copy of `len` elements takes: one
/// thread's memcpy cannot keep up with pinned DMA.
pub(crate) fn copy_threads(len: usize) -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(8).min(len / MIN_PER_THREAD).max(1)
}

/// Copies elements `start..start+dst.len()` of the packed (column-major,
/// leading dimension its rows) image of `src` into `dst`, with several
/// threads for large copies.
pub(crate) fn pack<T: Copy + Send + Sync>(src: MatRef<'_, T>, start: usize, dst: &mut [T]) {
    let rows = src.rows();
    let copy = |from: usize, out: &mut [T]| {
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
    let parts: Vec<(usize, &mut [T])> = dst.chunks_mut(chunk).enumerate().map(|(p, out)| (start + p * chunk, out)).collect();
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
pub(crate) fn unpack<T: Copy + Send + Sync>(src: &[T], dst: MatMut<'_, T>) {
    let (rows, cols) = (dst.rows(), dst.cols());
    assert!(src.len() >= rows * cols);
    let copy = |src: &[T], mut out: MatMut<'_, T>| {
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
    upload(&mut gpu, 0, 0, Host::F64(av), 0, None)?;
    upload(&mut gpu, 1, 0, Host::F64(bv), 0, None)?;
    upload(&mut gpu, 2, 0, Host::F64(MatRef::from_slice(&c, m, n, m.max(1))), 0, None)?;
    gpu.transfer.finish().map_err(cl("clFinish"))?;
    gpu.kernel(trans_a, trans_b)?;
    let g = Gemm::new(trans_a, trans_b, 1.0, av, bv, 0.5);
    let tile = Tile { row0: 0, rows: m, col0: 0, cols: n };
    let mut times = Vec::with_capacity(reps + 1);
    for rep in 0..=reps {
        let t = std::time::Instant::now();
        let ev = launch(&gpu, &Job::from(&g), &tile, 0, ar.max(1), 0, br.max(1), 0, &[])?;
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
            for align in [1, 2] {
                let m = m * align;
                let p = plan(m, n, k, budget, maxbuf, tile, align).unwrap();
                assert!(covered(&p, m, n), "{m}x{n}x{k}");
                for ((r0, rows), (_, cols), tiles) in &p.panels {
                    assert!(rows * k <= maxbuf && k * cols <= maxbuf);
                    assert!(r0 % align == 0 && rows % align == 0);
                    assert!(tiles.iter().all(|t| t.rows * t.cols <= tile && t.row0 % align == 0 && t.rows % align == 0));
                }
            }
        }
        assert!(plan(10, 10, 1_000_000, 100, 100, 10, 1).is_err());
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
        // A complex A (3 x 4 as stored, its real view 6 x 4) expanded and
        // taken transposed: op(A) is 8 x 6 real; rows 2..6 of op(A) are
        // complex columns 1 and 2 of A.
        let j = Job::new(true, false, 1.0, Host::F64(MatRef::from_slice(&a, 6, 4, 6)), Some(Expand { alpha: (1.0, 0.0), conj: false }),
            Host::F64(MatRef::from_slice(&b, 6, 1, 6)), 0.0);
        assert_eq!((j.m, j.n, j.k), (8, 1, 6));
        assert!(j.consistent());
        // An expanded A with an odd number of rows of C, or operands of
        // other shapes than the job's: refused before the device is used.
        assert!(!Job { m: 7, ..j }.consistent() && !Job { k: 5, ..j }.consistent() && !Job { n: 2, ..j }.consistent());
        let t = j.tile(Tile { row0: 2, rows: 4, col0: 0, cols: 1 });
        let Host::F64(ta) = t.a else { unreachable!() };
        assert_eq!((ta.rows(), ta.cols(), ta.at(0, 0)), (6, 2, 6.0));
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
