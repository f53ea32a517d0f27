//! The evaluator's [`Machine`] in host memory: block products by the CPU
//! LAPACK's DGEMM (the process's own, or the configured or bundled one,
//! src/cpu), block combinations by threads over columns.

use super::eval::Machine;
use crate::matrix::{MatMut, MatRef};
use crate::engine::cpu::CPU;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::os::raw::{c_char, c_int};

/// A column-major matrix in host memory: first element and leading dimension.
#[derive(Clone, Copy, Debug)]
pub struct HostView {
    pub ptr: *mut f64,
    pub ld: usize,
}

impl HostView {
    /// The evaluator's view of an input: its blocks are read only (the
    /// evaluator writes outputs and its own temporaries alone).
    pub fn of(m: MatRef<'_>) -> HostView {
        HostView { ptr: m.as_ptr() as *mut f64, ld: m.ld() }
    }

    /// The evaluator's view of the output C, borrowed while it evaluates.
    pub fn of_mut(m: &mut MatMut<'_>) -> HostView {
        HostView { ptr: m.as_mut_ptr(), ld: m.ld() }
    }
}

/// Host memory, with a budget for temporaries.
///
/// Temporaries are allocated fallibly and kept for reuse when dropped. The
/// evaluator (src/ops/alpha/eval.rs) allocates the same shapes for every block
/// product of a level, and writes C only after the first batch of an
/// outer level's products, whose evaluation has allocated every shape once:
/// so every allocation that can fail ([`NoMemory`]) comes before C is
/// first written, and the caller can then compute the product with one
/// plain DGEMM instead (issue 15: `vec!` would abort the process).
pub struct Host {
    budget: usize,
    shared: Rc<Shared>,
}

/// What a [`Host`] and its temporaries share: the bytes in use, and the
/// storage of dropped temporaries.
#[derive(Default)]
struct Shared {
    used: Cell<usize>,
    pool: RefCell<Vec<Vec<f64>>>,
}

/// A temporary could not be allocated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoMemory;

impl Host {
    /// Temporaries may take up to `budget` bytes.
    pub fn new(budget: usize) -> Host {
        Host { budget, shared: Rc::new(Shared::default()) }
    }

    /// Half of the memory the kernel reports available (/proc/meminfo), or
    /// 1 GiB when it cannot be read.
    pub fn default_budget() -> usize {
        std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|t| {
                let line = t.lines().find(|l| l.starts_with("MemAvailable:"))?;
                line.split_whitespace().nth(1)?.parse::<usize>().ok()
            })
            .map_or(1 << 30, |kib| kib * 1024 / 2)
    }
}

/// A temporary of [`Host`]: its storage, and its size for the budget.
pub struct HostBuf {
    data: Vec<f64>,
    rows: usize,
    bytes: usize,
    shared: Rc<Shared>,
}

impl Machine for Host {
    type Buf = HostBuf;
    type View = HostView;
    type Error = NoMemory;

    fn bytes_free(&self) -> usize {
        self.budget.saturating_sub(self.shared.used.get())
    }

    /// Uninitialised in the sense of the evaluator: it writes a temporary
    /// (combinations and products with beta = 0) before reading it.
    fn alloc(&mut self, rows: usize, cols: usize) -> Result<HostBuf, NoMemory> {
        let len = (rows * cols).max(1);
        let reused = {
            let mut pool = self.shared.pool.borrow_mut();
            // The same length only: a larger buffer lent to a smaller
            // shape would make its own shape allocate again later.
            pool.iter().position(|b| b.len() == len).map(|i| pool.swap_remove(i))
        };
        let data = match reused {
            Some(d) => d,
            None => crate::engine::opencl::host::zeroed::<f64>(len, "alpha-host").map_err(|_| NoMemory)?,
        };
        self.shared.used.set(self.shared.used.get() + rows * cols * 8);
        Ok(HostBuf { data, rows, bytes: rows * cols * 8, shared: self.shared.clone() })
    }

    fn view(&self, buf: &HostBuf) -> HostView {
        // The view writes through a pointer into the Vec's heap storage,
        // which does not move while the buffer lives.
        HostView { ptr: buf.data.as_ptr() as *mut f64, ld: buf.rows.max(1) }
    }

    fn at(v: HostView, i: usize, j: usize) -> HostView {
        HostView { ptr: v.ptr.wrapping_add(i + j * v.ld), ld: v.ld }
    }

    fn gemm(
        &mut self, ta: bool, tb: bool, m: usize, n: usize, k: usize, alpha: f64, a: HostView, b: HostView,
        beta: f64, c: HostView,
    ) -> Result<(), NoMemory> {
        if m == 0 || n == 0 {
            return Ok(());
        }
        let t = |x: bool| if x { b'T' } else { b'N' } as c_char;
        let (ta, tb) = (t(ta), t(tb));
        let (mi, ni, ki) = (m as c_int, n as c_int, k as c_int);
        let (lda, ldb, ldc) = (a.ld.max(1) as c_int, b.ld.max(1) as c_int, c.ld.max(1) as c_int);
        // SAFETY: the views address matrices of these shapes inside the
        // caller's arrays or this machine's temporaries (the evaluator
        // derives every view from them with in-range offsets).
        unsafe { (CPU.dgemm.f)(&ta, &tb, &mi, &ni, &ki, &alpha, a.ptr, &lda, b.ptr, &ldb, &beta, c.ptr, &ldc, 1, 1) };
        Ok(())
    }

    fn combine(
        &mut self, rows: usize, cols: usize, ins: &[HostView], outs: &[HostView], coef: &[f64], beta: f64,
    ) -> Result<(), NoMemory> {
        if rows == 0 || cols == 0 {
            return Ok(());
        }
        let nin = ins.len();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(cols).min(rows * cols / 65536 + 1);
        // Raw pointers as integers: each thread writes its own columns.
        let ins: Vec<(usize, usize)> = ins.iter().map(|v| (v.ptr as usize, v.ld)).collect();
        let outs: Vec<(usize, usize)> = outs.iter().map(|v| (v.ptr as usize, v.ld)).collect();
        let work = |c0: usize, c1: usize| {
            for j in c0..c1 {
                for (o, &(out, ldo)) in outs.iter().enumerate() {
                    // SAFETY: column j of output o, rows elements, inside
                    // its matrix; outputs do not overlap inputs or each other.
                    let y = unsafe { std::slice::from_raw_parts_mut((out as *mut f64).add(j * ldo), rows) };
                    if beta == 0.0 {
                        y.fill(0.0);
                    } else if beta != 1.0 {
                        y.iter_mut().for_each(|e| *e *= beta);
                    }
                    for (i, &(inp, ldi)) in ins.iter().enumerate() {
                        let cf = coef[o * nin + i];
                        if cf == 0.0 {
                            continue;
                        }
                        // SAFETY: column j of input i, inside its matrix.
                        let x = unsafe { std::slice::from_raw_parts((inp as *const f64).add(j * ldi), rows) };
                        y.iter_mut().zip(x).for_each(|(e, &xv)| *e += cf * xv);
                    }
                }
            }
        };
        if threads <= 1 {
            work(0, cols);
        } else {
            std::thread::scope(|s| {
                for t in 0..threads {
                    let (c0, c1) = (t * cols / threads, (t + 1) * cols / threads);
                    let work = &work;
                    // A thread that cannot start leaves its columns to
                    // this one (`spawn` would panic).
                    if std::thread::Builder::new().spawn_scoped(s, move || work(c0, c1)).is_err() {
                        work(c0, c1);
                    }
                }
            });
        }
        Ok(())
    }
}

impl Drop for HostBuf {
    fn drop(&mut self) {
        self.shared.used.set(self.shared.used.get() - self.bytes);
        self.shared.pool.borrow_mut().push(std::mem::take(&mut self.data));
    }
}

/// Measures the host's combination rate, GB/s: 16 blocks of 512 x 512
/// into 16, best of three (a few milliseconds); `None` without the memory.
pub fn measure_add_gbs() -> Option<f64> {
    let b = 512;
    let mut src = crate::engine::opencl::host::zeroed::<f64>(b * b * 16, "alpha-probe").ok()?;
    src.fill(1.0);
    let mut dst = crate::engine::opencl::host::zeroed::<f64>(b * b * 16, "alpha-probe").ok()?;
    let ins: Vec<HostView> = (0..16).map(|q| HostView { ptr: src.as_ptr().wrapping_add(q * b * b) as *mut f64, ld: b }).collect();
    let outs: Vec<HostView> = (0..16).map(|q| HostView { ptr: dst.as_mut_ptr().wrapping_add(q * b * b), ld: b }).collect();
    let coef: Vec<f64> = (0..256).map(|e| if e % 17 == 0 { 1.0 } else { 0.5 }).collect();
    let mut host = Host::new(0);
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let _ = host.combine(b, b, &ins, &outs, &coef, 0.0);
        best = best.min(t.elapsed().as_secs_f64());
    }
    Some(32.0 * (b * b * 8) as f64 / best / 1e9)
}

/// Measures the CPU LAPACK's DGEMM rate, GFLOP/s, as the cost model's
/// calibration does (src/dispatch/mod.rs): the size grows until one call
/// takes 20 ms (or n = 2048), best of three. For when the cost model has
/// no rates (no OpenCL device). `None` without the memory.
pub fn measure_gemm_gflops() -> Option<f64> {
    let mut host = Host::new(0);
    let time = |host: &mut Host, n: usize| -> Option<f64> {
        let mut a = crate::engine::opencl::host::zeroed::<f64>(n * n, "alpha-probe").ok()?;
        a.iter_mut().enumerate().for_each(|(i, x)| *x = ((i * 7919 % 1000) as f64 + 1.0) / 1000.0);
        let mut c = crate::engine::opencl::host::zeroed::<f64>(n * n, "alpha-probe").ok()?;
        let (va, vc) = (HostView { ptr: a.as_ptr() as *mut f64, ld: n }, HostView { ptr: c.as_mut_ptr(), ld: n });
        let mut best = f64::INFINITY;
        for _ in 0..3 {
            let t = std::time::Instant::now();
            let _ = host.gemm(false, false, n, n, n, 1.0, va, va, 0.0, vc);
            best = best.min(t.elapsed().as_secs_f64());
        }
        Some(best)
    };
    let mut n = 128;
    let mut best = time(&mut host, n)?;
    while best < 0.02 && n < 2048 {
        n *= 2;
        best = time(&mut host, n)?;
    }
    Some(2.0 * (n as f64).powi(3) / best / 1e9)
}
