//! SGEMM, CGEMM and ZGEMM on the GPU: each is one product of the OpenCL
//! engine's DGEMM from host memory (src/engine/opencl/gemm.rs, on the FP64
//! tensor cores on NVIDIA), on the caller's arrays as they are stored, made
//! real and double on the device:
//!
//! - SGEMM: A, B and C go up as singles, are widened to double on the
//!   device (exactly), the product is computed in double and rounded to
//!   single once, on the device, and comes back as singles. Every element
//!   is at least as accurate as single-precision arithmetic makes it (no
//!   TF32 or other reduced precision anywhere). Why not a single-precision
//!   kernel: the FP64 tensor cores that the DGEMM kernel uses run at the
//!   rate of the FP32 units on the H100 (67 TFLOP/s each, NVIDIA's
//!   figures), so a kernel of our own in single precision would at best
//!   match it, and the widening costs O(n²) device work against the
//!   product's O(n³).
//! - CGEMM, ZGEMM: the classical complex product (four real products per
//!   complex one, no 3M/Gauss trick) as one real product. A complex m x n
//!   matrix stored as Fortran stores it, (real, imaginary) pairs down each
//!   column, is a real 2m x n matrix whose rows alternate real and
//!   imaginary parts. With X = alpha op(A) and each of its elements x
//!   expanded into the real 2 x 2 block [x.re -x.im; x.im x.re], the real
//!   2m x 2k matrix X₂ times op(B) as a real 2k x n matrix is alpha op(A)
//!   op(B) as a real 2m x n matrix: row 2i sums x.re b.re - x.im b.im, row
//!   2i+1 x.im b.re + x.re b.im, the classical formula, with 8mnk real
//!   flops, as many as a complex product has. So only A is expanded, on
//!   the device after its upload as stored (alpha folded in, in double);
//!   B ('N') and C (a real BETA) are the caller's own arrays seen as real
//!   matrices. Host copies remain only for a transposed complex B (its
//!   columns de-interleaved, in its own precision) and a complex BETA (C
//!   scaled here in double, rounded back here).
//!
//! Where C is the caller's (a real BETA), a failure of the engine part way
//! leaves the tiles of C it did not write, which the caller's CPU routine
//! then computes ([`Failed::left`]); with a complex BETA the result goes
//! into a buffer of ours and is copied into C only once the device work is
//! done, so a failure leaves C as the caller passed it, and the CPU
//! computes the whole call.

use crate::engine::opencl::error::GpuError;
use crate::engine::opencl::gemm::{self, copy_threads, in_parallel, Expand, Host, Job, Target, Tile};
use crate::matrix::{MatMut, MatRef};

/// A complex number as Fortran stores COMPLEX and COMPLEX*16: its real
/// part, then its imaginary part.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Complex<T> {
    pub re: T,
    pub im: T,
}

mod sealed {
    /// Only the four element types are [`super::Element`]s: the real views
    /// of their arrays ([`super::reals`]) rely on their layouts.
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
    impl Sealed for super::Complex<f32> {}
    impl Sealed for super::Complex<f64> {}
}

/// The element types of the four precisions, seen in double precision
/// (f64 only for the Level-3 routines' host copies: [`on_gpu`] is for the
/// three others).
pub trait Element: sealed::Sealed + Copy + Send + Sync + 'static {
    /// Whether it is complex (two reals per element).
    const COMPLEX: bool;
    /// Whether its reals are doubles (DGEMM's and ZGEMM's).
    const DOUBLE: bool;
    /// The type of its real and imaginary parts.
    type Real: Element;
    /// Its real and imaginary parts (0 for a real number), in double.
    fn parts(self) -> (f64, f64);
    /// The element nearest to `re` + i `im` (`im` ignored for a real type).
    fn from_parts(re: f64, im: f64) -> Self;
}

impl Element for f32 {
    type Real = f32;
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
    type Real = f64;
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
    type Real = f32;
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
    type Real = f64;
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
/// (m x n x k) at most: a complex B transposed (de-interleaved), and C
/// with a complex BETA (scaled, then rounded back); the engine takes
/// everything else as the caller stores it.
pub fn host_copies_at_most<T: Element>(m: usize, n: usize, k: usize) -> usize {
    if T::COMPLEX {
        2 * k * n + 4 * m * n
    } else {
        0
    }
}

/// The doubles [`on_gpu`] copies on the host for this product.
pub fn host_copies<T: Element>(m: usize, n: usize, k: usize, op_b: Op, beta: T) -> usize {
    if T::COMPLEX {
        let b = if op_b == Op::N { 0 } else { 2 * k * n };
        b + if beta.parts().1 == 0.0 { 0 } else { 4 * m * n }
    } else {
        0
    }
}

/// The bytes a product of `T` (m x n x k) moves between host and device:
/// A, B and C up in their own precision (C only when BETA != 0), C down.
pub fn wire_bytes<T: Element>(m: usize, n: usize, k: usize, beta_zero: bool) -> f64 {
    let real = if T::DOUBLE { 8.0 } else { 4.0 } * if T::COMPLEX { 2.0 } else { 1.0 };
    let (m, n, k) = (m as f64, n as f64, k as f64);
    real * (m * k + k * n + m * n * if beta_zero { 1.0 } else { 2.0 })
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

/// What the GPU path did when it returns an error: `left` is None when
/// the caller's C is as it was (the CPU then computes the whole call), or
/// the tiles of C (in its own rows and columns) that the device did not
/// write, all others being final.
#[derive(Debug)]
pub struct Failed {
    pub error: GpuError,
    pub left: Option<Vec<Tile>>,
}

impl From<GpuError> for Failed {
    fn from(error: GpuError) -> Failed {
        Failed { error, left: None }
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
fn fill_columns<U: Send>(out: &mut [U], height: usize, per: usize, units: usize, fill: &(dyn Fn(usize, &mut [U]) + Sync)) {
    let unit_len = height * per;
    if unit_len == 0 || units == 0 {
        return;
    }
    let threads = copy_threads(out.len()).min(units);
    let units_per = units.div_ceil(threads);
    let parts: Vec<(usize, &mut [U])> =
        out[..unit_len * units].chunks_mut(unit_len * units_per).enumerate().map(|(p, o)| (p * units_per, o)).collect();
    in_parallel(parts, &|(first, o): (usize, &mut [U])| {
        for (u, cols) in o.chunks_mut(unit_len).enumerate() {
            fill(first + u, cols);
        }
    });
}

/// `x` (complex or real, as stored) seen as a real matrix of its reals:
/// a complex m x n matrix with leading dimension ld is the real 2m x n one
/// with 2 ld, its rows alternating real and imaginary parts.
fn reals<'a, T: Element>(x: MatRef<'a, T>) -> Host<'a> {
    let w = if T::COMPLEX { 2 } else { 1 };
    let (rows, cols, ld) = (w * x.rows(), x.cols(), w * x.ld().max(1));
    // SAFETY: T is one of the four element types (Element is sealed:
    // f32, f64, Complex<f32> and Complex<f64> only), which are, element
    // for element, w reals of f64 (T::DOUBLE) or of f32 (Complex is
    // repr(C)); the view covers the same memory for the same lifetime.
    unsafe {
        if T::DOUBLE {
            Host::F64(MatRef::from_raw(x.as_ptr() as *const f64, rows, cols, ld))
        } else {
            Host::F32(MatRef::from_raw(x.as_ptr() as *const f32, rows, cols, ld))
        }
    }
}

/// [`reals`] of the caller's C, to be written.
fn reals_mut<T: Element>(mut x: MatMut<'_, T>) -> Target<'_> {
    let w = if T::COMPLEX { 2 } else { 1 };
    let (rows, cols, ld) = (w * x.rows(), x.cols(), w * x.ld().max(1));
    // SAFETY: as for `reals`; the real view takes the place of `x`, which
    // it consumes (nothing else writes the memory while it lives).
    unsafe {
        if T::DOUBLE {
            Target::F64(MatMut::from_raw(x.as_mut_ptr() as *mut f64, rows, cols, ld))
        } else {
            Target::F32(MatMut::from_raw(x.as_mut_ptr() as *mut f32, rows, cols, ld))
        }
    }
}

/// op(B) of a complex B (`b` as stored) transposed or conjugate-transposed,
/// as the real n x 2k matrix (B's columns de-interleaved, conjugated for
/// 'C') that the engine takes transposed, in B's own precision (exact).
fn real_b<T: Element>(b: MatRef<'_, T>, op: Op) -> Result<Vec<T::Real>, GpuError> {
    let rows = b.rows();
    let sign = if op == Op::C { -1.0 } else { 1.0 };
    let mut out = buffer::<T::Real>(rows * 2 * b.cols())?;
    fill_columns(&mut out, rows, 2, b.cols(), &|j, cols| {
        let (c0, c1) = cols.split_at_mut(rows);
        for (i, v) in b.col(j).iter().enumerate() {
            let (re, im) = v.parts();
            (c0[i], c1[i]) = (T::Real::from_parts(re, 0.0), T::Real::from_parts(sign * im, 0.0));
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

/// The product on the GPU, as one real product of the engine
/// (src/engine/opencl/gemm.rs) on the caller's own arrays: A, B and C go
/// up in their own precision (singles widened on the device), a complex A
/// as stored and expanded there with alpha, and C comes back into the
/// caller's array (singles rounded once, on the device). Host copies only
/// where the layout asks for one: a complex B transposed (de-interleaved),
/// and C with a complex BETA (BETA C computed here, the product added on
/// the device, the result rounded here). `Err` says what is left of C.
pub fn on_gpu<T: Element>(p: &Product<'_, T>, c: MatMut<'_, T>) -> Result<(), Failed> {
    let w = if T::COMPLEX { 2 } else { 1 };
    let (a, expand, alpha) = if T::COMPLEX {
        (reals(p.a), Some(Expand { alpha: p.alpha.parts(), conj: p.op_a == Op::C }), 1.0)
    } else {
        (reals(p.a), None, p.alpha.parts().0)
    };
    let b_copy;
    let b = if T::COMPLEX && p.op_b != Op::N {
        b_copy = real_b(p.b, p.op_b)?;
        reals(MatRef::from_slice(&b_copy, p.n, 2 * p.k, p.n.max(1)))
    } else {
        reals(p.b)
    };
    let (be_re, be_im) = p.beta.parts();
    if be_im == 0.0 {
        // C is the caller's, in place: its tiles that the device did not
        // write are left for the CPU, in C's own rows.
        let j = Job::new(p.op_a != Op::N, p.op_b != Op::N, alpha, a, expand, b, be_re);
        return gemm::product(&j, reals_mut(c)).map_err(|f| Failed {
            error: f.error,
            left: Some(f.remaining.iter().map(|t| Tile { row0: t.row0 / w, rows: t.rows / w, ..*t }).collect()),
        });
    }
    // A complex BETA: C scaled here (in double) and the product added.
    let mut t = scaled_c(c.rb(), p.beta)?;
    let j = Job::new(p.op_a != Op::N, p.op_b != Op::N, alpha, a, expand, b, 1.0);
    gemm::product(&j, Target::F64(MatMut::from_slice(&mut t, 2 * p.m, p.n, 2 * p.m))).map_err(|f| f.error)?;
    round_into(&t, c);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complex_operands_as_real_matrices() {
        // A 2 x 3 complex B with ldb 3: its real view is 4 x 3 with ld 6,
        // and op(B) = B**H as the real 3 x 4 matrix [Re B**T, -Im B**T].
        let b: Vec<Complex<f32>> = (0..9).map(|i| Complex { re: i as f32, im: 0.5 - i as f32 }).collect();
        let bv = MatRef::from_slice(&b, 2, 3, 3);
        let Host::F32(r) = reals(bv) else { panic!("single precision") };
        assert_eq!((r.rows(), r.cols(), r.ld(), r.at(3, 2)), (4, 3, 6, b[1 + 2 * 3].im));
        let h = real_b(bv, Op::C).unwrap();
        // The 2 x 6 result's columns 2j, 2j+1 are B's column j, its real
        // parts and its imaginary parts negated.
        let (i, j) = (1, 2);
        assert_eq!((h[i + 2 * j * 2], h[i + (2 * j + 1) * 2]), (b[i + j * 3].re, -b[i + j * 3].im));
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
