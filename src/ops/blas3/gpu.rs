//! The GPU paths of the Level-3 BLAS routines besides GEMM, in the four
//! precisions: each is one or two products of the OpenCL engine's DGEMM
//! from host memory (src/engine/opencl/gemm.rs, on the FP64 tensor cores
//! on NVIDIA; single precision widened to double, complex as real products
//! of twice the size: src/ops/gemm/precisions.rs), on host copies that make
//! the operands general:
//! - ?SYMM, ?HEMM: A's stored triangle mirrored into a full symmetric
//!   (Hermitian: conjugated, with a real diagonal) matrix;
//! - ?SYRK, ?SYR2K, ?HERK, ?HER2K: the whole of A op(A), or of A op(B) +
//!   B op(A) as one product of inner dimension 2k ([A B] times [B A]; two
//!   products for ?HER2K with a complex ALPHA), computed into a copy of C, of which only the UPLO triangle
//!   is copied back (twice the routine's flops: the cost model halves the GPU's rate
//!   for them); HERK and HER2K leave the diagonal real, as reference does;
//! - ?TRMM: A's triangle (with a unit diagonal when DIAG = 'U') expanded
//!   into a full matrix with zeros, B copied as the product's input;
//! - ?TRSM: a recursion of such products around diagonal blocks solved by
//!   the CPU's ?TRSM.
//!
//! Every result is computed into a buffer of ours and copied into the
//! caller's array only once the device work is done, so a failure leaves
//! the caller's arrays as they were and the CPU computes the whole call.
//! The copies cost O(n²) against the product's O(n³).

use crate::engine::opencl::error::GpuError;
use crate::engine::opencl::gemm::{self, Gemm};
use crate::matrix::{MatMut, MatRef};
use crate::ops::gemm::precisions::{self, buffer, conj, is_one, is_zero, real_part, times, Complex, Element, Op, Product};

/// The element types whose products the GPU computes: DGEMM's own, and the
/// three others through [`precisions::on_gpu`].
pub trait Scalar: Element {
    /// C := alpha op(A) op(B) + beta C on the GPU (C is ours: a failure
    /// part way leaves it to be discarded).
    #[allow(clippy::too_many_arguments)]
    fn product(op_a: Op, op_b: Op, alpha: Self, a: MatRef<'_, Self>, b: MatRef<'_, Self>, beta: Self, c: MatMut<'_, Self>)
        -> Result<(), GpuError>;
}

impl Scalar for f64 {
    fn product(op_a: Op, op_b: Op, alpha: f64, a: MatRef<'_>, b: MatRef<'_>, beta: f64, c: MatMut<'_>) -> Result<(), GpuError> {
        gemm::dgemm(&Gemm::new(op_a != Op::N, op_b != Op::N, alpha, a, b, beta), c).map_err(|f| f.error)
    }
}

macro_rules! through_dgemm {
    ($t:ty) => {
        impl Scalar for $t {
            fn product(
                op_a: Op, op_b: Op, alpha: Self, a: MatRef<'_, Self>, b: MatRef<'_, Self>, beta: Self, c: MatMut<'_, Self>,
            ) -> Result<(), GpuError> {
                let m = c.rows();
                let n = c.cols();
                let k = if op_a == Op::N { a.cols() } else { a.rows() };
                let p = Product { op_a, op_b, m, n, k, alpha, a, b, beta };
                precisions::on_gpu(&p, c).map_err(|f| f.error)
            }
        }
    };
}
through_dgemm!(f32);
through_dgemm!(Complex<f32>);
through_dgemm!(Complex<f64>);

fn zero<T: Element>() -> T {
    T::from_parts(0.0, 0.0)
}

fn one<T: Element>() -> T {
    T::from_parts(1.0, 0.0)
}

/// A packed `rows x cols` result `t` copied into the caller's matrix at
/// `c` (leading dimension `ld`).
///
/// # Safety
/// `c` holds such a matrix, not overlapping `t`.
unsafe fn copy_into<T: Element>(t: &[T], c: *mut T, rows: usize, cols: usize, ld: usize) {
    // SAFETY: the caller's guarantee.
    let mut cv = unsafe { MatMut::from_raw(c, rows, cols, ld) };
    for j in 0..cols {
        cv.col_mut(j).copy_from_slice(&t[j * rows..(j + 1) * rows]);
    }
}

/// C (`rows x cols`, leading dimension `ld`) copied into a packed buffer,
/// or a zeroed one when `beta` is 0 (C is then not read, as BLAS says).
///
/// # Safety
/// `c` holds such a matrix.
unsafe fn copy_of<T: Element>(c: *const T, rows: usize, cols: usize, ld: usize, beta: T) -> Result<Vec<T>, GpuError> {
    let mut t = buffer(rows * cols)?;
    if !is_zero(beta) {
        // SAFETY: the caller's guarantee.
        let src = unsafe { MatRef::from_raw(c, rows, cols, ld) };
        for j in 0..cols {
            t[j * rows..(j + 1) * rows].copy_from_slice(src.col(j));
        }
    }
    Ok(t)
}

/// ?SYMM (`herm` false) and ?HEMM on the GPU: C := alpha A B + beta C
/// (`left`) or alpha B A + beta C, A symmetric or Hermitian (`ka x ka`,
/// ka = m or n) from its `upper` or lower triangle (a Hermitian A's
/// diagonal taken as real, as reference takes it).
///
/// # Safety
/// The arrays hold the matrices the routine's legal arguments describe, C
/// overlapping neither A nor B.
#[allow(clippy::too_many_arguments)]
pub unsafe fn symm<T: Scalar>(
    left: bool, upper: bool, herm: bool, m: usize, n: usize, alpha: T, a: *const T, lda: i32, b: *const T, ldb: i32,
    beta: T, c: *mut T, ldc: i32,
) -> Result<(), GpuError> {
    let ka = if left { m } else { n };
    // SAFETY: the caller's guarantee (A ka x ka, B and C m x n).
    let (av, bv) = unsafe { (MatRef::from_raw(a, ka, ka, lda as usize), MatRef::from_raw(b, m, n, ldb as usize)) };
    let mut full = buffer(ka * ka)?;
    for j in 0..ka {
        for i in 0..ka {
            full[i + j * ka] = if i == j && herm {
                real_part(av.at(i, i))
            } else if upper == (i <= j) {
                av.at(i, j)
            } else if herm {
                conj(av.at(j, i))
            } else {
                av.at(j, i)
            };
        }
    }
    let fv = MatRef::from_slice(&full, ka, ka, ka);
    // SAFETY: as above.
    let mut t = unsafe { copy_of(c, m, n, ldc as usize, beta) }?;
    let tv = MatMut::from_slice(&mut t, m, n, m);
    if left {
        T::product(Op::N, Op::N, alpha, fv, bv, beta, tv)?;
    } else {
        T::product(Op::N, Op::N, alpha, bv, fv, beta, tv)?;
    }
    // SAFETY: C is m x n with leading dimension ldc (the caller's guarantee).
    unsafe { copy_into(&t, c, m, n, ldc as usize) };
    Ok(())
}

/// A rank-k update's options: C's `upper` or lower triangle; `notrans`:
/// C := alpha A op(B) (+ ...) with A, B n x k, else alpha op(A) B with A,
/// B k x n; `herm`: op is the conjugate transpose (?HERK, ?HER2K), else
/// the transpose.
#[derive(Clone, Copy)]
pub struct Rank {
    pub upper: bool,
    pub notrans: bool,
    pub herm: bool,
}

/// ?SYRK, ?HERK (`b` None: B = A) and ?SYR2K, ?HER2K on the GPU: C :=
/// alpha A op(B) + alpha' B op(A) + beta C (`notrans`; ?SYRK, ?HERK:
/// alpha A op(A) + beta C) or the same with op(A) B, alpha' = alpha
/// (conjugated for ?HER2K), only C's UPLO triangle written; ?HERK and
/// ?HER2K leave its diagonal real. A and B are `n x k` (`k x n` when not
/// `notrans`).
///
/// # Safety
/// The arrays hold the matrices the routine's legal arguments describe, C
/// overlapping neither A nor B.
#[allow(clippy::too_many_arguments)]
pub unsafe fn syr2k<T: Scalar>(
    r: Rank, n: usize, k: usize, alpha: T, a: *const T, lda: i32, b: Option<(*const T, i32)>, beta: T, c: *mut T,
    ldc: i32,
) -> Result<(), GpuError> {
    let (rows, cols) = if r.notrans { (n, k) } else { (k, n) };
    // SAFETY: the caller's guarantee.
    let av = unsafe { MatRef::from_raw(a, rows, cols, lda as usize) };
    // SAFETY: the caller's guarantee (C n x n).
    let mut t = unsafe { copy_of(c, n, n, ldc as usize, beta) }?;
    let op = if r.herm { Op::C } else { Op::T };
    // X op(Y) when notrans, else op(X) Y.
    let cross = |x: MatRef<'_, T>, y: MatRef<'_, T>, alpha: T, beta: T, t: &mut [T]| {
        let tv = MatMut::from_slice(t, n, n, n);
        if r.notrans {
            T::product(Op::N, op, alpha, x, y, beta, tv)
        } else {
            T::product(op, Op::N, alpha, x, y, beta, tv)
        }
    };
    match b {
        None => cross(av, av, alpha, beta, &mut t)?,
        Some((b, ldb)) => {
            // SAFETY: the caller's guarantee (B has A's shape).
            let bv = unsafe { MatRef::from_raw(b, rows, cols, ldb as usize) };
            let alpha2 = if r.herm { conj(alpha) } else { alpha };
            if alpha2.parts() == alpha.parts() {
                // One product of inner dimension 2k, X = [A B] and Y = [B
                // A] side by side (notrans; stacked, [A; B] and [B; A], for
                // op(X) Y): X op(Y) = A op(B) + B op(A), times alpha. C
                // goes up and down once, and single precision is rounded
                // once (the operands are copied, not scaled).
                let (x, y) = (side_by_side(r.notrans, av, bv)?, side_by_side(r.notrans, bv, av)?);
                let (xr, xc) = if r.notrans { (n, 2 * k) } else { (2 * k, n) };
                cross(MatRef::from_slice(&x, xr, xc, xr), MatRef::from_slice(&y, xr, xc, xr), alpha, beta, &mut t)?;
            } else {
                // ?HER2K with a complex ALPHA: alpha and conj(alpha) in two
                // products (scaling an operand instead would round it in
                // single precision).
                cross(av, bv, alpha, beta, &mut t)?;
                cross(bv, av, alpha2, one(), &mut t)?;
            }
        }
    }
    // SAFETY: C is n x n with leading dimension ldc (the caller's guarantee).
    let mut cv = unsafe { MatMut::from_raw(c, n, n, ldc as usize) };
    for j in 0..n {
        let rows = if r.upper { 0..j + 1 } else { j..n };
        cv.col_mut(j)[rows.clone()].copy_from_slice(&t[j * n + rows.start..j * n + rows.end]);
        if r.herm {
            cv.col_mut(j)[j] = real_part(t[j * n + j]);
        }
    }
    Ok(())
}

/// `[u v]` (`across`: side by side, rows x 2 cols) or `[u; v]` (stacked,
/// 2 rows x cols) as a packed buffer, for u and v of one shape.
fn side_by_side<T: Element>(across: bool, u: MatRef<'_, T>, v: MatRef<'_, T>) -> Result<Vec<T>, GpuError> {
    let (rows, cols) = (u.rows(), u.cols());
    let mut out = buffer(2 * rows * cols)?;
    for j in 0..cols {
        if across {
            out[j * rows..(j + 1) * rows].copy_from_slice(u.col(j));
            out[(cols + j) * rows..(cols + j + 1) * rows].copy_from_slice(v.col(j));
        } else {
            out[j * 2 * rows..j * 2 * rows + rows].copy_from_slice(u.col(j));
            out[j * 2 * rows + rows..(j + 1) * 2 * rows].copy_from_slice(v.col(j));
        }
    }
    Ok(out)
}

/// ?TRMM's and ?TRSM's triangle: on which side A multiplies, which
/// triangle it is, how op(A) is taken and whether its diagonal is one.
#[derive(Clone, Copy)]
pub struct Tri {
    pub left: bool,
    pub upper: bool,
    pub op: Op,
    pub unit: bool,
}

/// ?TRMM on the GPU: B := alpha op(A) B (`left`) or alpha B op(A), A
/// triangular (`ka x ka`, ka = m or n), B `m x n`.
///
/// # Safety
/// The arrays hold the matrices the routine's legal arguments describe, B
/// not overlapping A.
#[allow(clippy::too_many_arguments)]
pub unsafe fn trmm<T: Scalar>(s: Tri, m: usize, n: usize, alpha: T, a: *const T, lda: i32, b: *mut T, ldb: i32) -> Result<(), GpuError> {
    let ka = if s.left { m } else { n };
    // SAFETY: the caller's guarantee (A ka x ka).
    let av = unsafe { MatRef::from_raw(a, ka, ka, lda as usize) };
    let mut full = buffer(ka * ka)?;
    for j in 0..ka {
        let rows = if s.upper { 0..j } else { j + 1..ka };
        for i in rows {
            full[i + j * ka] = av.at(i, j);
        }
        full[j + j * ka] = if s.unit { one() } else { av.at(j, j) };
    }
    let fv = MatRef::from_slice(&full, ka, ka, ka);
    // SAFETY: B is m x n with leading dimension ldb (the caller's guarantee).
    let input = unsafe { copy_of(b, m, n, ldb as usize, one()) }?;
    let iv = MatRef::from_slice(&input, m, n, m);
    let mut out = buffer(m * n)?;
    let ov = MatMut::from_slice(&mut out, m, n, m);
    if s.left {
        T::product(s.op, Op::N, alpha, fv, iv, zero(), ov)?;
    } else {
        T::product(Op::N, s.op, alpha, iv, fv, zero(), ov)?;
    }
    // SAFETY: as above.
    unsafe { copy_into(&out, b, m, n, ldb as usize) };
    Ok(())
}

/// The CPU's ?TRSM for elements `T` (the table's signature, COMPLEX by
/// address), for the diagonal blocks.
pub type TrsmFn<T> = unsafe extern "C" fn(
    *const std::os::raw::c_char, *const std::os::raw::c_char, *const std::os::raw::c_char, *const std::os::raw::c_char,
    *const i32, *const i32, *const T, *const T, *const i32, *mut T, *const i32, usize, usize, usize, usize,
);

/// The GPU ?TRSM's diagonal blocks: at most this many rows (columns, for
/// SIDE = 'R') are solved on the CPU at once; everything else is a product
/// on the GPU. Not tuned on a GPU yet.
const TRSM_BLOCK: usize = 256;

/// ?TRSM on the GPU: B := alpha op(A)⁻¹ B (`left`) or alpha B op(A)⁻¹, A
/// triangular (`ka x ka`), B `m x n`. Recursive: op(A) is halved, the half
/// solved first is solved again recursively, its solution multiplies the
/// off-diagonal block of op(A) in one product on the GPU that updates the
/// rest of B, then the other half is solved. Diagonal blocks of
/// [`TRSM_BLOCK`] rows or fewer are solved by `cpu` (the CPU's ?TRSM) on
/// the host. The work is done on a copy of B, copied into the caller's B
/// at the end.
///
/// # Safety
/// The arrays hold the matrices the routine's legal arguments describe, B
/// not overlapping A; `cpu` is the ?TRSM of the same precision.
#[allow(clippy::too_many_arguments)]
pub unsafe fn trsm<T: Scalar>(
    s: Tri, m: usize, n: usize, alpha: T, a: *const T, lda: i32, b: *mut T, ldb: i32, cpu: TrsmFn<T>,
) -> Result<(), GpuError> {
    let ka = if s.left { m } else { n };
    // SAFETY: B is m x n with leading dimension ldb (the caller's guarantee).
    let mut w = unsafe { copy_of(b, m, n, ldb as usize, one()) }?;
    if !is_one(alpha) {
        w.iter_mut().for_each(|x| *x = times(alpha, *x));
    }
    let nb = crate::runtime::config::hooks().trsm_block.unwrap_or(TRSM_BLOCK).max(1);
    let solver = Trsm { s, a, lda: lda as usize, w: w.as_mut_ptr(), m, n, nb, cpu };
    // SAFETY: A as the caller guarantees; W is ours, m x n with ld m.
    unsafe { solver.solve(0, ka) }?;
    // SAFETY: as above.
    unsafe { copy_into(&w, b, m, n, ldb as usize) };
    Ok(())
}

/// One GPU ?TRSM: the caller's A, our working copy W of B (m x n, leading
/// dimension m), the diagonal block size and the CPU's ?TRSM.
struct Trsm<T: Scalar> {
    s: Tri,
    a: *const T,
    lda: usize,
    w: *mut T,
    m: usize,
    n: usize,
    nb: usize,
    cpu: TrsmFn<T>,
}

impl<T: Scalar> Trsm<T> {
    /// Whether op(A) is lower triangular.
    fn lower(&self) -> bool {
        self.s.upper == (self.s.op != Op::N)
    }

    /// op(A)'s block of rows `r0..r0+rows` and columns `c0..c0+cols`, as a
    /// stored view (transposed when op(A) is).
    ///
    /// # Safety
    /// The block lies in A.
    unsafe fn op_a(&self, r0: usize, rows: usize, c0: usize, cols: usize) -> MatRef<'_, T> {
        // SAFETY: the caller's guarantee; A's element (i, j) is at i + j lda.
        unsafe {
            if self.s.op != Op::N {
                MatRef::from_raw(self.a.add(c0 + r0 * self.lda), cols, rows, self.lda)
            } else {
                MatRef::from_raw(self.a.add(r0 + c0 * self.lda), rows, cols, self.lda)
            }
        }
    }

    /// W's block of rows `r0..r0+rows` and columns `c0..c0+cols`.
    ///
    /// # Safety
    /// The block lies in W, and no other live view of W overlaps it
    /// mutably.
    unsafe fn w_block<'b>(&self, r0: usize, rows: usize, c0: usize, cols: usize) -> MatMut<'b, T> {
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
        let minus_one = T::from_parts(-1.0, 0.0);
        // SAFETY: disjoint blocks of W (rows or columns `done` and `rest`),
        // and a block of A, all inside their matrices.
        unsafe {
            if self.s.left {
                let av = self.op_a(rest.0, rest.1, done.0, done.1);
                let x = self.w_block(done.0, done.1, 0, self.n);
                let c = self.w_block(rest.0, rest.1, 0, self.n);
                T::product(self.s.op, Op::N, minus_one, av, x.rb(), one(), c)
            } else {
                let av = self.op_a(done.0, done.1, rest.0, rest.1);
                let x = self.w_block(0, self.m, done.0, done.1);
                let c = self.w_block(0, self.m, rest.0, rest.1);
                T::product(Op::N, self.s.op, minus_one, x.rb(), av, one(), c)
            }
        }
    }

    /// The CPU's ?TRSM on the diagonal block `k0..k0+kb` (ALPHA = 1: W was
    /// scaled at the start).
    ///
    /// # Safety
    /// The block lies in A.
    unsafe fn on_cpu(&self, k0: usize, kb: usize) {
        let ch = |x: bool, t: u8, f: u8| (if x { t } else { f }) as std::os::raw::c_char;
        let ta = match self.s.op {
            Op::N => b'N',
            Op::T => b'T',
            Op::C => b'C',
        } as std::os::raw::c_char;
        let (sd, ul, dg) = (ch(self.s.left, b'L', b'R'), ch(self.s.upper, b'U', b'L'), ch(self.s.unit, b'U', b'N'));
        let (rows, cols, r0, c0) = if self.s.left { (kb, self.n, k0, 0) } else { (self.m, kb, 0, k0) };
        let (mi, ni, lda, ldw) = (rows as i32, cols as i32, self.lda as i32, self.m as i32);
        let alpha: T = one();
        // SAFETY: A's diagonal block at (k0, k0) with A's leading
        // dimension, W's block (r0, c0) with W's; hidden lengths 1. The CPU
        // library's own BLAS calls, if any, stay on the CPU (host_step).
        crate::dispatch::host_step(|| unsafe {
            (self.cpu)(&sd, &ul, &ta, &dg, &mi, &ni, &alpha, self.a.add(k0 + k0 * self.lda), &lda, self.w.add(r0 + c0 * self.m), &ldw, 1, 1, 1, 1)
        });
    }
}
