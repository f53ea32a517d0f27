//! The GPU paths of DSYMM, DSYRK, DSYR2K and DTRMM: each is one or two
//! products of the OpenCL engine's DGEMM from host memory
//! (src/engine/opencl/gemm.rs, on the FP64 tensor cores on NVIDIA), on
//! host copies that make the operands general:
//! - DSYMM: A's stored triangle mirrored into a full symmetric matrix;
//! - DSYRK, DSYR2K: the whole of A Bᵀ (+ B Aᵀ) computed into a copy of C,
//!   of which only the UPLO triangle is copied back (twice the routine's
//!   flops: the cost model halves the GPU's rate for them);
//! - DTRMM: A's triangle (with a unit diagonal when DIAG = 'U') expanded
//!   into a full matrix with zeros, B copied as the product's input.
//!
//! Every result is computed into a buffer of ours and copied into the
//! caller's array only once the device work is done, so a failure leaves
//! the caller's arrays as they were and the CPU computes the whole call.
//! The copies cost O(n²) against the product's O(n³).

use crate::engine::opencl::error::GpuError;
use crate::engine::opencl::gemm::{self, Gemm};
use crate::matrix::{MatMut, MatRef};

/// A zeroed host buffer, or the error that says it could not be had
/// (instead of the abort of an infallible allocation).
fn buffer(len: usize) -> Result<Vec<f64>, GpuError> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| GpuError::HostMemory(len * 8))?;
    v.resize(len, 0.0);
    Ok(v)
}

/// A packed `rows x cols` result `t` copied into the caller's matrix at
/// `c` (leading dimension `ld`).
///
/// # Safety
/// `c` holds such a matrix, not overlapping `t`.
unsafe fn copy_into(t: &[f64], c: *mut f64, rows: usize, cols: usize, ld: usize) {
    // SAFETY: the caller's guarantee.
    let mut cv = unsafe { MatMut::from_raw(c, rows, cols, ld) };
    for j in 0..cols {
        cv.col_mut(j).copy_from_slice(&t[j * rows..(j + 1) * rows]);
    }
}

fn product(g: &Gemm<'_>, c: MatMut<'_>) -> Result<(), GpuError> {
    gemm::dgemm(g, c).map_err(|f| f.error)
}

/// C (`rows x cols`, leading dimension `ld`) copied into a packed buffer,
/// or a zeroed one when `beta` is 0 (C is then not read, as BLAS says).
///
/// # Safety
/// `c` holds such a matrix.
unsafe fn copy_of(c: *const f64, rows: usize, cols: usize, ld: usize, beta: f64) -> Result<Vec<f64>, GpuError> {
    let mut t = buffer(rows * cols)?;
    if beta != 0.0 {
        // SAFETY: the caller's guarantee.
        let src = unsafe { MatRef::from_raw(c, rows, cols, ld) };
        for j in 0..cols {
            t[j * rows..(j + 1) * rows].copy_from_slice(src.col(j));
        }
    }
    Ok(t)
}

/// DSYMM on the GPU: C := alpha A B + beta C (`left`) or alpha B A + beta C,
/// A symmetric (`ka x ka`, ka = m or n) from its `upper` or lower triangle.
///
/// # Safety
/// The arrays hold the matrices DSYMM's legal arguments describe, C
/// overlapping neither A nor B.
#[allow(clippy::too_many_arguments)]
pub unsafe fn symm(
    left: bool, upper: bool, m: usize, n: usize, alpha: f64, a: *const f64, lda: i32, b: *const f64, ldb: i32,
    beta: f64, c: *mut f64, ldc: i32,
) -> Result<(), GpuError> {
    let ka = if left { m } else { n };
    // SAFETY: the caller's guarantee (A ka x ka, B and C m x n).
    let (av, bv) = unsafe { (MatRef::from_raw(a, ka, ka, lda as usize), MatRef::from_raw(b, m, n, ldb as usize)) };
    let mut full = buffer(ka * ka)?;
    for j in 0..ka {
        for i in 0..ka {
            let stored = if upper == (i <= j) { av.at(i, j) } else { av.at(j, i) };
            full[i + j * ka] = stored;
        }
    }
    let fv = MatRef::from_slice(&full, ka, ka, ka);
    // SAFETY: as above.
    let mut t = unsafe { copy_of(c, m, n, ldc as usize, beta) }?;
    let g = if left { Gemm::new(false, false, alpha, fv, bv, beta) } else { Gemm::new(false, false, alpha, bv, fv, beta) };
    product(&g, MatMut::from_slice(&mut t, m, n, m))?;
    // SAFETY: C is m x n with leading dimension ldc (the caller's guarantee).
    unsafe { copy_into(&t, c, m, n, ldc as usize) };
    Ok(())
}

/// DSYRK (`b` None: B = A) and DSYR2K on the GPU: C := alpha (A Bᵀ + B
/// Aᵀ) plus beta C (`notrans`; DSYRK: alpha A Aᵀ plus beta C) or the same
/// with Aᵀ B, only C's `upper` or lower triangle written. A and B are
/// `n x k` (`k x n` when not `notrans`).
///
/// # Safety
/// The arrays hold the matrices the routine's legal arguments describe, C
/// overlapping neither A nor B.
#[allow(clippy::too_many_arguments)]
pub unsafe fn syr2k(
    upper: bool, notrans: bool, n: usize, k: usize, alpha: f64, a: *const f64, lda: i32, b: Option<(*const f64, i32)>,
    beta: f64, c: *mut f64, ldc: i32,
) -> Result<(), GpuError> {
    let (rows, cols) = if notrans { (n, k) } else { (k, n) };
    // SAFETY: the caller's guarantee.
    let av = unsafe { MatRef::from_raw(a, rows, cols, lda as usize) };
    // SAFETY: the caller's guarantee (C n x n).
    let mut t = unsafe { copy_of(c, n, n, ldc as usize, beta) }?;
    // op(X) op(Y)ᵀ: X Yᵀ when notrans, else Xᵀ Y.
    let cross = |x: MatRef<'_>, y: MatRef<'_>, beta: f64, t: &mut [f64]| {
        let g = if notrans { Gemm::new(false, true, alpha, x, y, beta) } else { Gemm::new(true, false, alpha, x, y, beta) };
        product(&g, MatMut::from_slice(t, n, n, n))
    };
    match b {
        None => cross(av, av, beta, &mut t)?,
        Some((b, ldb)) => {
            // SAFETY: the caller's guarantee (B has A's shape).
            let bv = unsafe { MatRef::from_raw(b, rows, cols, ldb as usize) };
            cross(av, bv, beta, &mut t)?;
            cross(bv, av, 1.0, &mut t)?;
        }
    }
    // SAFETY: C is n x n with leading dimension ldc (the caller's guarantee).
    let mut cv = unsafe { MatMut::from_raw(c, n, n, ldc as usize) };
    for j in 0..n {
        let rows = if upper { 0..j + 1 } else { j..n };
        cv.col_mut(j)[rows.clone()].copy_from_slice(&t[j * n + rows.start..j * n + rows.end]);
    }
    Ok(())
}

/// DTRMM's triangle: on which side A multiplies, which triangle it is,
/// whether it is transposed and whether its diagonal is one.
#[derive(Clone, Copy)]
pub struct Tri {
    pub left: bool,
    pub upper: bool,
    pub trans: bool,
    pub unit: bool,
}

/// DTRMM on the GPU: B := alpha op(A) B (`left`) or alpha B op(A), A
/// triangular (`ka x ka`, ka = m or n), B `m x n`.
///
/// # Safety
/// The arrays hold the matrices DTRMM's legal arguments describe, B not
/// overlapping A.
#[allow(clippy::too_many_arguments)]
pub unsafe fn trmm(s: Tri, m: usize, n: usize, alpha: f64, a: *const f64, lda: i32, b: *mut f64, ldb: i32) -> Result<(), GpuError> {
    let ka = if s.left { m } else { n };
    // SAFETY: the caller's guarantee (A ka x ka).
    let av = unsafe { MatRef::from_raw(a, ka, ka, lda as usize) };
    let mut full = buffer(ka * ka)?;
    for j in 0..ka {
        let rows = if s.upper { 0..j } else { j + 1..ka };
        for i in rows {
            full[i + j * ka] = av.at(i, j);
        }
        full[j + j * ka] = if s.unit { 1.0 } else { av.at(j, j) };
    }
    let fv = MatRef::from_slice(&full, ka, ka, ka);
    // SAFETY: B is m x n with leading dimension ldb (the caller's guarantee).
    let input = unsafe { copy_of(b, m, n, ldb as usize, 1.0) }?;
    let iv = MatRef::from_slice(&input, m, n, m);
    let mut out = buffer(m * n)?;
    let g = if s.left { Gemm::new(s.trans, false, alpha, fv, iv, 0.0) } else { Gemm::new(false, s.trans, alpha, iv, fv, 0.0) };
    product(&g, MatMut::from_slice(&mut out, m, n, m))?;
    // SAFETY: as above.
    unsafe { copy_into(&out, b, m, n, ldb as usize) };
    Ok(())
}

/// The CPU's DTRSM (the table's signature), for the diagonal blocks.
pub type TrsmFn = unsafe extern "C" fn(
    *const std::os::raw::c_char, *const std::os::raw::c_char, *const std::os::raw::c_char, *const std::os::raw::c_char,
    *const i32, *const i32, *const f64, *const f64, *const i32, *mut f64, *const i32, usize, usize, usize, usize,
);

/// The GPU DTRSM's diagonal blocks: at most this many rows (columns, for
/// SIDE = 'R') are solved on the CPU at once; everything else is a product
/// on the GPU. Not tuned on a GPU yet.
const TRSM_BLOCK: usize = 256;

/// DTRSM on the GPU: B := alpha op(A)⁻¹ B (`left`) or alpha B op(A)⁻¹, A
/// triangular (`ka x ka`), B `m x n`. Recursive: op(A) is halved, the half
/// solved first is solved again recursively, its solution multiplies the
/// off-diagonal block of op(A) in one product on the GPU (the engine's
/// DGEMM from host memory) that updates the rest of B, then the other half
/// is solved. Diagonal blocks of [`TRSM_BLOCK`] rows or fewer are solved by
/// `cpu` (the CPU's DTRSM) on the host. The work is done on a copy of B,
/// copied into the caller's B at the end.
///
/// # Safety
/// The arrays hold the matrices DTRSM's legal arguments describe, B not
/// overlapping A; `cpu` is a DTRSM.
#[allow(clippy::too_many_arguments)]
pub unsafe fn trsm(
    s: Tri, m: usize, n: usize, alpha: f64, a: *const f64, lda: i32, b: *mut f64, ldb: i32, cpu: TrsmFn,
) -> Result<(), GpuError> {
    let ka = if s.left { m } else { n };
    // SAFETY: B is m x n with leading dimension ldb (the caller's guarantee).
    let mut w = unsafe { copy_of(b, m, n, ldb as usize, 1.0) }?;
    if alpha != 1.0 {
        w.iter_mut().for_each(|x| *x *= alpha);
    }
    let nb = crate::runtime::config::hooks().trsm_block.unwrap_or(TRSM_BLOCK).max(1);
    let solver = Trsm { s, a, lda: lda as usize, w: w.as_mut_ptr(), m, n, nb, cpu };
    // SAFETY: A as the caller guarantees; W is ours, m x n with ld m.
    unsafe { solver.solve(0, ka) }?;
    // SAFETY: as above.
    unsafe { copy_into(&w, b, m, n, ldb as usize) };
    Ok(())
}

/// One GPU DTRSM: the caller's A, our working copy W of B (m x n, leading
/// dimension m), the diagonal block size and the CPU's DTRSM.
struct Trsm {
    s: Tri,
    a: *const f64,
    lda: usize,
    w: *mut f64,
    m: usize,
    n: usize,
    nb: usize,
    cpu: TrsmFn,
}

impl Trsm {
    /// Whether op(A) is lower triangular.
    fn lower(&self) -> bool {
        self.s.upper == self.s.trans
    }

    /// op(A)'s block of rows `r0..r0+rows` and columns `c0..c0+cols`, as a
    /// stored view and whether it is transposed.
    ///
    /// # Safety
    /// The block lies in A.
    unsafe fn op_a(&self, r0: usize, rows: usize, c0: usize, cols: usize) -> (MatRef<'_>, bool) {
        // SAFETY: the caller's guarantee; A's element (i, j) is at i + j lda.
        unsafe {
            if self.s.trans {
                (MatRef::from_raw(self.a.add(c0 + r0 * self.lda), cols, rows, self.lda), true)
            } else {
                (MatRef::from_raw(self.a.add(r0 + c0 * self.lda), rows, cols, self.lda), false)
            }
        }
    }

    /// W's block of rows `r0..r0+rows` and columns `c0..c0+cols`.
    ///
    /// # Safety
    /// The block lies in W, and no other live view of W overlaps it
    /// mutably.
    unsafe fn w_block<'b>(&self, r0: usize, rows: usize, c0: usize, cols: usize) -> MatMut<'b> {
        // SAFETY: the caller's guarantee.
        unsafe { MatMut::from_raw(self.w.add(r0 + c0 * self.m), rows, cols, self.m) }
    }

    /// Solves with op(A)'s diagonal block `k0..k0+ka` (the rows of W for
    /// SIDE = 'L', its columns for 'R').
    ///
    /// # Safety
    /// k0 + ka <= A's order.
    unsafe fn solve(&self, k0: usize, ka: usize) -> Result<(), GpuError> {
        if ka == 0 {
            return Ok(());
        }
        if ka <= self.nb {
            // SAFETY: the diagonal block of A and the block of W it solves.
            unsafe { self.on_cpu(k0, ka) };
            return Ok(());
        }
        let k1 = ka / 2;
        let (first, second) = ((k0, k1), (k0 + k1, ka - k1));
        // Which half is solved first: the one whose solution the other
        // needs (op(A) lower: the leading one when A multiplies from the
        // left, the trailing one from the right).
        let leading_first = self.lower() == self.s.left;
        let (done, rest) = if leading_first { (first, second) } else { (second, first) };
        // SAFETY (each call): blocks of A and W inside their matrices.
        unsafe { self.solve(done.0, done.1) }?;
        unsafe { self.update(done, rest) }?;
        unsafe { self.solve(rest.0, rest.1) }
    }

    /// W(rest) -= op(A)(rest, done) W(done) (SIDE = 'L') or
    /// W(rest) -= W(done) op(A)(done, rest) ('R'), on the GPU.
    ///
    /// # Safety
    /// Both ranges lie in A's order and are disjoint.
    unsafe fn update(&self, done: (usize, usize), rest: (usize, usize)) -> Result<(), GpuError> {
        // SAFETY: disjoint blocks of W (rows or columns `done` and `rest`),
        // and a block of A, all inside their matrices.
        unsafe {
            if self.s.left {
                let (av, ta) = self.op_a(rest.0, rest.1, done.0, done.1);
                let x = self.w_block(done.0, done.1, 0, self.n);
                let c = self.w_block(rest.0, rest.1, 0, self.n);
                product(&Gemm::new(ta, false, -1.0, av, x.rb(), 1.0), c)
            } else {
                let (av, ta) = self.op_a(done.0, done.1, rest.0, rest.1);
                let x = self.w_block(0, self.m, done.0, done.1);
                let c = self.w_block(0, self.m, rest.0, rest.1);
                product(&Gemm::new(false, ta, -1.0, x.rb(), av, 1.0), c)
            }
        }
    }

    /// The CPU's DTRSM on the diagonal block `k0..k0+kb` (ALPHA = 1: W was
    /// scaled at the start).
    ///
    /// # Safety
    /// The block lies in A.
    unsafe fn on_cpu(&self, k0: usize, kb: usize) {
        let ch = |x: bool, t: u8, f: u8| (if x { t } else { f }) as std::os::raw::c_char;
        let (sd, ul, ta, dg) = (ch(self.s.left, b'L', b'R'), ch(self.s.upper, b'U', b'L'), ch(self.s.trans, b'T', b'N'), ch(self.s.unit, b'U', b'N'));
        let (rows, cols, r0, c0) = if self.s.left { (kb, self.n, k0, 0) } else { (self.m, kb, 0, k0) };
        let (mi, ni, lda, ldw) = (rows as i32, cols as i32, self.lda as i32, self.m as i32);
        // SAFETY: A's diagonal block at (k0, k0) with A's leading
        // dimension, W's block (r0, c0) with W's; hidden lengths 1. The CPU
        // library's own BLAS calls, if any, stay on the CPU (host_step).
        crate::dispatch::host_step(|| unsafe {
            (self.cpu)(&sd, &ul, &ta, &dg, &mi, &ni, &1.0, self.a.add(k0 + k0 * self.lda), &lda, self.w.add(r0 + c0 * self.m), &ldw, 1, 1, 1, 1)
        });
    }
}
