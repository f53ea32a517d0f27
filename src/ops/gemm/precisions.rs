//! SGEMM, CGEMM and ZGEMM on the GPU: each is one product of the OpenCL
//! engine's DGEMM from host memory (src/engine/opencl/gemm.rs, on the FP64
//! tensor cores on NVIDIA), on operands made real and double:
//!
//! - SGEMM: A, B and C widened to double, the product computed in double
//!   and rounded to single once. Every element is at least as accurate as
//!   single-precision arithmetic makes it (no TF32 or other reduced
//!   precision anywhere). Why not a single-precision kernel: the FP64
//!   tensor cores that the DGEMM kernel uses run at the rate of the FP32
//!   units on the H100 (67 TFLOP/s each, NVIDIA's figures), so a kernel of
//!   our own in single precision would at best match it, and the widening
//!   costs host copies of O(n²) against the product's O(n³).
//! - CGEMM, ZGEMM: the classical complex product (four real products per
//!   complex one, no 3M/Gauss trick) as one real product. A complex m x n
//!   matrix stored as Fortran stores it, (real, imaginary) pairs down each
//!   column, is a real 2m x n matrix whose rows alternate real and
//!   imaginary parts. With X = alpha op(A) and each of its elements x
//!   expanded into the real 2 x 2 block [x.re -x.im; x.im x.re], the real
//!   2m x 2k matrix X₂ times op(B) as a real 2k x n matrix is alpha op(A)
//!   op(B) as a real 2m x n matrix: row 2i sums x.re b.re - x.im b.im, row
//!   2i+1 x.im b.re + x.re b.im, the classical formula, with 8mnk real
//!   flops, as many as a complex product has. So only A is expanded (on
//!   the host, by several threads, alpha folded in); ZGEMM's B ('N') and
//!   C (a real BETA) are the caller's own arrays seen as real matrices,
//!   with no copy at all.
//!
//! Where C is the caller's (ZGEMM with a real BETA), a failure of the
//! engine part way leaves the tiles of C it did not write, which the CPU's
//! DGEMM computes here from the same real operands (the same formula);
//! everywhere else the result goes into a buffer of ours and is copied
//! into C only once the device work is done, so a failure leaves C as the
//! caller passed it, and the CPU computes the whole call.

use crate::engine::opencl::error::GpuError;
use crate::engine::opencl::gemm::{self, copy_threads, in_parallel, Gemm};
use crate::matrix::{MatMut, MatRef};

/// A complex number as Fortran stores COMPLEX and COMPLEX*16: its real
/// part, then its imaginary part.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Complex<T> {
    pub re: T,
    pub im: T,
}

/// The element types of the four precisions, seen in double precision
/// (f64 only for the Level-3 routines' host copies: [`on_gpu`] is for the
/// three others).
pub trait Element: Copy + Send + Sync + 'static {
    /// Whether it is complex (two reals per element).
    const COMPLEX: bool;
    /// Whether its reals are doubles (DGEMM's and ZGEMM's).
    const DOUBLE: bool;
    /// Its real and imaginary parts (0 for a real number), in double.
    fn parts(self) -> (f64, f64);
    /// The element nearest to `re` + i `im` (`im` ignored for a real type).
    fn from_parts(re: f64, im: f64) -> Self;
}

impl Element for f32 {
    const COMPLEX: bool = false;
    const DOUBLE: bool = false;
    fn parts(self) -> (f64, f64) {
        (self as f64, 0.0)
    }
    fn from_parts(re: f64, _im: f64) -> f32 {
        re as f32
    }
}

impl Element for f64 {
    const COMPLEX: bool = false;
    const DOUBLE: bool = true;
    fn parts(self) -> (f64, f64) {
        (self, 0.0)
    }
    fn from_parts(re: f64, _im: f64) -> f64 {
        re
    }
}

impl Element for Complex<f32> {
    const COMPLEX: bool = true;
    const DOUBLE: bool = false;
    fn parts(self) -> (f64, f64) {
        (self.re as f64, self.im as f64)
    }
    fn from_parts(re: f64, im: f64) -> Complex<f32> {
        Complex { re: re as f32, im: im as f32 }
    }
}

impl Element for Complex<f64> {
    const COMPLEX: bool = true;
    const DOUBLE: bool = true;
    fn parts(self) -> (f64, f64) {
        (self.re, self.im)
    }
    fn from_parts(re: f64, im: f64) -> Complex<f64> {
        Complex { re, im }
    }
}

/// Whether `x` is zero (both parts).
pub fn is_zero<T: Element>(x: T) -> bool {
    x.parts() == (0.0, 0.0)
}

/// Whether `x` is one.
pub fn is_one<T: Element>(x: T) -> bool {
    x.parts() == (1.0, 0.0)
}

/// The conjugate of `x` (`x` itself for a real type).
pub fn conj<T: Element>(x: T) -> T {
    let (re, im) = x.parts();
    T::from_parts(re, -im)
}

/// `x` with its imaginary part dropped (Hermitian matrices' diagonals).
pub fn real_part<T: Element>(x: T) -> T {
    T::from_parts(x.parts().0, 0.0)
}

/// `a x`, computed in double and rounded once.
pub fn times<T: Element>(a: T, x: T) -> T {
    let (re, im) = mul(a.parts(), x.parts());
    T::from_parts(re, im)
}

/// (a.re + i a.im)(b.re + i b.im).
fn mul(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
}

/// How op(X) is taken: as stored, transposed, or conjugate-transposed
/// (TRANS = 'N', 'T', 'C'; for a real type 'C' is 'T').
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    N,
    T,
    C,
}

impl Op {
    /// From a legal TRANSA or TRANSB.
    pub fn from_char(t: u8) -> Op {
        match t.to_ascii_uppercase() {
            b'N' => Op::N,
            b'T' => Op::T,
            _ => Op::C,
        }
    }
}

/// The doubles [`on_gpu`] copies on the host around a product of `T`
/// (m x n x k) at most: A expanded (complex) or widened, B and C widened,
/// C rounded back; none for double, which the engine takes as it is.
pub fn host_copies_at_most<T: Element>(m: usize, n: usize, k: usize) -> usize {
    match (T::COMPLEX, T::DOUBLE) {
        (false, true) => 0,
        (false, false) => m * k + k * n + 2 * m * n,
        (true, _) => 4 * m * k + 2 * k * n + 4 * m * n,
    }
}

/// The doubles [`on_gpu`] copies on the host for this product: ZGEMM uses
/// B as it is when op(B) = B, and C when BETA is real.
pub fn host_copies<T: Element>(m: usize, n: usize, k: usize, op_b: Op, beta: T) -> usize {
    let mut copies = host_copies_at_most::<T>(m, n, k);
    if T::COMPLEX && T::DOUBLE {
        copies -= if op_b == Op::N { 2 * k * n } else { 0 } + if beta.parts().1 == 0.0 { 4 * m * n } else { 0 };
    }
    copies
}

/// The cost model's adjustment for a product of another precision than
/// double: the CPU's rate in single precision (and single complex) is
/// about twice its DGEMM rate (twice the numbers per vector instruction);
/// the GPU computes in double, at its DGEMM rate.
pub fn single_on_cpu(rates: &mut crate::dispatch::cost::Rates, _flops: f64) {
    rates.cpu_gflops *= 2.0;
}

/// A legal SGEMM, CGEMM or ZGEMM with alpha != 0: C (m x n) := alpha op(A)
/// op(B) + beta C, A and B as stored (A is k x m when transposed).
pub struct Product<'a, T> {
    pub op_a: Op,
    pub op_b: Op,
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub alpha: T,
    pub a: MatRef<'a, T>,
    pub b: MatRef<'a, T>,
    pub beta: T,
}

/// What the GPU path did when it returns an error: whether the caller's C
/// is as it was (the CPU then computes the whole call) or finished (by the
/// CPU here, for the tiles the device did not write).
#[derive(Debug)]
pub struct Failed {
    pub error: GpuError,
    pub c_finished: bool,
}

impl From<GpuError> for Failed {
    fn from(error: GpuError) -> Failed {
        Failed { error, c_finished: false }
    }
}

/// A zeroed host buffer of `len` elements, or the error that says it could
/// not be had (instead of the abort of an infallible allocation).
pub(crate) fn buffer<T: Element>(len: usize) -> Result<Vec<T>, GpuError> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| GpuError::HostMemory(len * std::mem::size_of::<T>()))?;
    v.resize(len, T::from_parts(0.0, 0.0));
    Ok(v)
}

/// Fills `out` (packed columns of `height` doubles) by `units` units of
/// `per` columns each, unit `u` by `fill(u, its columns)`, with several
/// threads for large sizes.
fn fill_columns(out: &mut [f64], height: usize, per: usize, units: usize, fill: &(dyn Fn(usize, &mut [f64]) + Sync)) {
    let unit_len = height * per;
    if unit_len == 0 || units == 0 {
        return;
    }
    let threads = copy_threads(out.len()).min(units);
    let units_per = units.div_ceil(threads);
    let parts: Vec<(usize, &mut [f64])> =
        out[..unit_len * units].chunks_mut(unit_len * units_per).enumerate().map(|(p, o)| (p * units_per, o)).collect();
    in_parallel(parts, &|(first, o): (usize, &mut [f64])| {
        for (u, cols) in o.chunks_mut(unit_len).enumerate() {
            fill(first + u, cols);
        }
    });
}

/// SGEMM's A or B (`x`, as stored) widened to double, packed.
fn widen_real<T: Element>(x: MatRef<'_, T>) -> Result<Vec<f64>, GpuError> {
    let rows = x.rows();
    let mut out = buffer::<f64>(rows * x.cols())?;
    fill_columns(&mut out, rows, 1, x.cols(), &|j, col| {
        for (o, v) in col.iter_mut().zip(x.col(j)) {
            *o = v.parts().0;
        }
    });
    Ok(out)
}

/// The real expansion of `alpha op(A)` for a complex A (`a` as stored): for
/// op = N the real 2m x 2k matrix X₂ (see the module's comment), else its
/// transpose, 2k x 2m, which the engine then takes transposed. Either way
/// stored column j of A gives columns 2j and 2j+1 of the result.
fn expand_a<T: Element>(a: MatRef<'_, T>, op: Op, alpha: T) -> Result<Vec<f64>, GpuError> {
    let rows = a.rows();
    let height = 2 * rows;
    let mut out = buffer::<f64>(height * 2 * a.cols())?;
    let al = alpha.parts();
    fill_columns(&mut out, height, 2, a.cols(), &|j, cols| {
        let (c0, c1) = cols.split_at_mut(height);
        for (i, v) in a.col(j).iter().enumerate() {
            let (re, im) = v.parts();
            let x = mul(al, if op == Op::C { (re, -im) } else { (re, im) });
            let (r, s) = (2 * i, 2 * i + 1);
            if op == Op::N {
                // Rows 2i, 2i+1 of X₂'s columns 2j, 2j+1: [x.re -x.im; x.im x.re].
                (c0[r], c0[s], c1[r], c1[s]) = (x.0, x.1, -x.1, x.0);
            } else {
                // X₂ᵀ: x is op(A)(j, i), the block transposed.
                (c0[r], c0[s], c1[r], c1[s]) = (x.0, -x.1, x.1, x.0);
            }
        }
    });
    Ok(out)
}

/// op(B) of a complex B (`b` as stored) as a real matrix the engine can
/// take: for op = N the real 2k x n matrix (packed, B widened), else its
/// transpose stored n x 2k (B's columns de-interleaved, conjugated for
/// 'C'), which the engine then takes transposed.
fn real_b<T: Element>(b: MatRef<'_, T>, op: Op) -> Result<Vec<f64>, GpuError> {
    let rows = b.rows();
    if op == Op::N {
        let mut out = buffer::<f64>(2 * rows * b.cols())?;
        fill_columns(&mut out, 2 * rows, 1, b.cols(), &|j, col| {
            for (i, v) in b.col(j).iter().enumerate() {
                (col[2 * i], col[2 * i + 1]) = v.parts();
            }
        });
        return Ok(out);
    }
    let sign = if op == Op::C { -1.0 } else { 1.0 };
    let mut out = buffer::<f64>(rows * 2 * b.cols())?;
    fill_columns(&mut out, rows, 2, b.cols(), &|j, cols| {
        let (c0, c1) = cols.split_at_mut(rows);
        for (i, v) in b.col(j).iter().enumerate() {
            let (re, im) = v.parts();
            (c0[i], c1[i]) = (re, sign * im);
        }
    });
    Ok(out)
}

/// `beta C` as a packed real matrix of doubles (complex: 2m x n, rows
/// alternating real and imaginary parts), or zeros when beta is 0 (C is
/// then not read, as BLAS says).
fn scaled_c<T: Element>(c: MatRef<'_, T>, beta: T) -> Result<Vec<f64>, GpuError> {
    let per = if T::COMPLEX { 2 } else { 1 };
    let height = per * c.rows();
    let mut out = buffer::<f64>(height * c.cols())?;
    if is_zero(beta) {
        return Ok(out);
    }
    let be = beta.parts();
    fill_columns(&mut out, height, 1, c.cols(), &|j, col| {
        for (i, v) in c.col(j).iter().enumerate() {
            if T::COMPLEX {
                (col[2 * i], col[2 * i + 1]) = mul(be, v.parts());
            } else {
                col[i] = be.0 * v.parts().0;
            }
        }
    });
    Ok(out)
}

/// The packed double result `t` (as [`scaled_c`] lays it out) rounded
/// into the caller's C, several threads for large sizes.
fn round_into<T: Element>(t: &[f64], c: MatMut<'_, T>) {
    let (rows, cols) = (c.rows(), c.cols());
    let height = if T::COMPLEX { 2 * rows } else { rows };
    let write = |first: usize, mut part: MatMut<'_, T>| {
        for j in 0..part.cols() {
            let src = &t[(first + j) * height..(first + j + 1) * height];
            for (i, o) in part.col_mut(j).iter_mut().enumerate() {
                *o = if T::COMPLEX { T::from_parts(src[2 * i], src[2 * i + 1]) } else { T::from_parts(src[i], 0.0) };
            }
        }
    };
    let threads = copy_threads(height * cols).min(cols.max(1));
    let mut parts = Vec::with_capacity(threads);
    let mut rest = c;
    let mut first = 0;
    for (_, width) in gemm::split(cols, threads) {
        let (mine, others) = rest.split_cols(width);
        rest = others;
        parts.push((first, mine));
        first += width;
    }
    in_parallel(parts, &|(first, mine)| write(first, mine));
}

/// The product on the GPU. `Err` says whether C is untouched (the CPU
/// computes the whole call) or already finished here.
pub fn on_gpu<T: Element>(p: &Product<'_, T>, c: MatMut<'_, T>) -> Result<(), Failed> {
    if !T::COMPLEX {
        let (a, b) = (widen_real(p.a)?, widen_real(p.b)?);
        let av = MatRef::from_slice(&a, p.a.rows(), p.a.cols(), p.a.rows());
        let bv = MatRef::from_slice(&b, p.b.rows(), p.b.cols(), p.b.rows());
        // C widened (not read when BETA = 0), BETA applied by the engine.
        let keep = T::from_parts(if is_zero(p.beta) { 0.0 } else { 1.0 }, 0.0);
        let mut t = scaled_c(c.rb(), keep)?;
        let g = Gemm::new(p.op_a != Op::N, p.op_b != Op::N, p.alpha.parts().0, av, bv, p.beta.parts().0);
        gemm::dgemm(&g, MatMut::from_slice(&mut t, p.m, p.n, p.m)).map_err(|f| f.error)?;
        round_into(&t, c);
        return Ok(());
    }
    let a2 = expand_a(p.a, p.op_a, p.alpha)?;
    let a2v = if p.op_a == Op::N {
        MatRef::from_slice(&a2, 2 * p.m, 2 * p.k, 2 * p.m)
    } else {
        MatRef::from_slice(&a2, 2 * p.k, 2 * p.m, 2 * p.k)
    };
    let double = T::DOUBLE;
    let b_copy;
    let bv = if double && p.op_b == Op::N {
        // SAFETY: a COMPLEX*16 k x n matrix with leading dimension ldb is,
        // element for element, the real 2k x n matrix with leading
        // dimension 2 ldb over the same memory (Complex<f64> is two f64,
        // repr(C)); the view lives no longer than the caller's B.
        unsafe { MatRef::from_raw(p.b.as_ptr() as *const f64, 2 * p.k, p.n, 2 * p.b.ld()) }
    } else {
        b_copy = real_b(p.b, p.op_b)?;
        if p.op_b == Op::N {
            MatRef::from_slice(&b_copy, 2 * p.k, p.n, 2 * p.k)
        } else {
            MatRef::from_slice(&b_copy, p.n, 2 * p.k, p.n)
        }
    };
    let (be_re, be_im) = p.beta.parts();
    if double && be_im == 0.0 {
        // C is the caller's, as a real 2m x n matrix (as B above).
        let mut c = c;
        // SAFETY: as for B; the real view replaces `c` for the rest of
        // the call (nothing else writes C meanwhile).
        let mut cv = unsafe { MatMut::from_raw(c.as_mut_ptr() as *mut f64, 2 * p.m, p.n, 2 * c.ld()) };
        let g = Gemm::new(p.op_a != Op::N, p.op_b != Op::N, 1.0, a2v, bv, be_re);
        return gemm::dgemm(&g, cv.rb_mut()).map_err(|f| {
            // The tiles the device did not write, as the same real
            // products on the CPU's DGEMM, from C as the caller passed it.
            f.remaining.iter().for_each(|t| g.tile(*t).on_cpu(t.of(&mut cv)));
            Failed { error: f.error, c_finished: true }
        });
    }
    let mut t = scaled_c(c.rb(), p.beta)?;
    let g = Gemm::new(p.op_a != Op::N, p.op_b != Op::N, 1.0, a2v, bv, if is_zero(p.beta) { 0.0 } else { 1.0 });
    gemm::dgemm(&g, MatMut::from_slice(&mut t, 2 * p.m, p.n, 2 * p.m)).map_err(|f| f.error)?;
    round_into(&t, c);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expansion_multiplies_as_complex_numbers() {
        // A 2 x 3 complex A and its expansions for op = N and op = C.
        let a: Vec<Complex<f64>> =
            (0..6).map(|i| Complex { re: 1.0 + i as f64, im: 0.5 - i as f64 * 0.25 }).collect();
        let alpha = Complex { re: 0.5, im: -2.0 };
        let av = MatRef::from_slice(&a, 2, 3, 2);
        let x2 = expand_a(av, Op::N, alpha).unwrap();
        // X₂ (4 x 6): its column 2l (l = 1) is alpha A(:, l) as (re, im)
        // rows, the image of the real unit; column 2l+1 that of i.
        for i in 0..2 {
            let want = mul(alpha.parts(), a[i + 2].parts());
            assert_eq!((x2[2 * i + 2 * 4], x2[2 * i + 1 + 2 * 4]), want);
            assert_eq!((x2[2 * i + 3 * 4], x2[2 * i + 1 + 3 * 4]), mul(want, (0.0, 1.0)));
        }
        // op = C: X₂ᵀ (4 x 6 here), stored column j of A giving its
        // columns 2j, 2j+1: x = alpha conj(A(i, j)) is op(A)(j, i), its
        // block [x.re -x.im; x.im x.re] transposed at rows 2i, 2i+1.
        let xc = expand_a(av, Op::C, alpha).unwrap();
        let (i, j, h) = (1, 2, 4);
        let x = mul(alpha.parts(), (a[i + 2 * j].re, -a[i + 2 * j].im));
        assert_eq!((xc[2 * i + (2 * j) * h], xc[2 * i + 1 + (2 * j) * h]), (x.0, -x.1));
        assert_eq!((xc[2 * i + (2 * j + 1) * h], xc[2 * i + 1 + (2 * j + 1) * h]), (x.1, x.0));
    }

    #[test]
    fn beta_zero_reads_nothing_of_c() {
        let c = vec![Complex { re: f32::NAN, im: f32::NAN }; 6];
        let t = scaled_c(MatRef::from_slice(&c, 2, 3, 2), Complex { re: 0.0f32, im: 0.0 }).unwrap();
        assert!(t.iter().all(|&x| x == 0.0));
        let mut back = vec![Complex::<f32>::default(); 6];
        let tt: Vec<f64> = (0..12).map(|i| i as f64 + 0.25).collect();
        round_into(&tt, MatMut::from_slice(&mut back, 2, 3, 2));
        assert_eq!(back[4], Complex { re: 8.25, im: 9.25 });
    }
}
