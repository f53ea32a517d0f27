//! `dgemm_`, `sgemm_`, `cgemm_`, `zgemm_` (Fortran ABI) and their `cblas_`
//! forms: their arguments read and checked as reference BLAS and CBLAS
//! check them, and each call routed: to the CPU BLAS's routine of the same
//! name, or to the OpenCL engine's DGEMM from host memory
//! (src/engine/opencl/gemm.rs), whose unfinished tiles of C the CPU
//! computes if it fails (SGEMM, CGEMM, ZGEMM through it as real products
//! in double: [`super::precisions`]).

use super::check::{self, read_gemm_args};
use super::precisions::{self, Complex, Element, Op, Product};
use crate::abi::{boundary, read};
use crate::dispatch::cost::gemm_terms;
use crate::engine::cpu::CPU;
use crate::routines::Precision;
use std::ffi::c_void;
use crate::ops::lsame;
use crate::engine::cpu::xerbla;
use crate::dispatch::{self, Call, Routine};
use crate::engine::opencl::gemm::{self, Gemm};
use crate::matrix::{MatMut, MatRef};
use std::os::raw::{c_char, c_int};

/// DGEMM: C := alpha*op(A)*op(B) + beta*C, op(X) = X or X**T.
///
/// Arguments as reference BLAS DGEMM: TRANSA, TRANSB ('N', 'T' or 'C'),
/// M, N, K (>= 0), ALPHA, A(LDA,*), LDA (>= max(1, rows of op(A) as
/// stored)), B(LDB,*), LDB, BETA, C(LDC,*) (when BETA = 0, C need not be
/// set on input), LDC (>= max(1, M)). Illegal arguments are reported
/// through XERBLA('DGEMM ', position). `transa_len`/`transb_len` are the
/// hidden CHARACTER lengths gfortran passes; only the first character is
/// read.
///
/// # Safety
/// Pointers as for reference DGEMM: scalars readable, A, B, C valid for the
/// dimensions and leading dimensions given.
#[no_mangle]
pub unsafe extern "C" fn dgemm_(
    transa: *const c_char,
    transb: *const c_char,
    m: *const c_int,
    n: *const c_int,
    k: *const c_int,
    alpha: *const f64,
    a: *const f64,
    lda: *const c_int,
    b: *const f64,
    ldb: *const c_int,
    beta: *const f64,
    c: *mut f64,
    ldc: *const c_int,
    transa_len: usize,
    transb_len: usize,
) {
    // The hidden CHARACTER lengths are not read: only the first character
    // matters, and C callers of the Fortran ABI often omit them.
    let _ = (transa_len, transb_len);
    boundary("DGEMM", || {
        // SAFETY: the caller's scalar pointers (valid or null).
        let Some(d) = (unsafe { read_gemm_args("DGEMM ", transa, transb, m, n, k, alpha, lda, ldb, beta, ldc) }) else {
            return;
        };
        // SAFETY: arguments checked as reference DGEMM checks them; the
        // arrays are the caller's, as reference DGEMM would use them.
        unsafe { gemm(Routine::Dgemm, d.ta, d.tb, d.m, d.n, d.k, d.alpha, a, d.lda, b, d.ldb, d.beta, c, d.ldc) }
    });
}

/// CBLAS DGEMM: C := alpha*op(A)*op(B) + beta*C in row- or column-major
/// order (`layout` CblasRowMajor = 101, CblasColMajor = 102; transposes
/// CblasNoTrans = 111, CblasTrans = 112, CblasConjTrans = 113). Illegal
/// arguments are reported through the process's `cblas_xerbla` with the
/// positions reference CBLAS reports.
///
/// # Safety
/// As for reference `cblas_dgemm`.
#[no_mangle]
pub unsafe extern "C" fn cblas_dgemm(
    layout: c_int,
    transa: c_int,
    transb: c_int,
    m: c_int,
    n: c_int,
    k: c_int,
    alpha: f64,
    a: *const f64,
    lda: c_int,
    b: *const f64,
    ldb: c_int,
    beta: f64,
    c: *mut f64,
    ldc: c_int,
) {
    boundary("cblas_dgemm", || match check::cblas_dgemm(layout, transa, transb, m, n, k, lda, ldb, ldc) {
        Err(e) => xerbla::report_cblas(&e, "cblas_dgemm"),
        Ok(f) => {
            let (fa, fb) = if f.swap_ab { (b, a) } else { (a, b) };
            // SAFETY: arguments checked as reference CBLAS checks them; row
            // major is computed as C^T = op(B)^T op(A)^T in column major.
            unsafe {
                gemm(Routine::CblasDgemm, f.transa, f.transb, f.m, f.n, k, alpha, fa, f.lda, fb, f.ldb, beta, c, ldc)
            }
        }
    });
}

/// A DGEMM whose arguments are legal, in Fortran terms.
///
/// # Safety
/// Arguments legal for DGEMM; arrays valid for them.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm(
    routine: Routine,
    ta: u8,
    tb: u8,
    m: i32,
    n: i32,
    k: i32,
    alpha: f64,
    a: *const f64,
    lda: i32,
    b: *const f64,
    ldb: i32,
    beta: f64,
    c: *mut f64,
    ldc: i32,
) {
    if check::dgemm_quick_return(m, n, k, alpha, beta) {
        return;
    }
    let (trans_a, trans_b) = (!lsame(ta, b'N'), !lsame(tb, b'N'));
    let (mu, nu, ku) = (m as usize, n as usize, k as usize);
    let (flops, bytes) = crate::dispatch::cost::gemm_terms(mu, nu, ku, beta);
    let call = Call {
        routine,
        describe: || {
            format!("transa={} transb={} m={m} n={n} k={k} lda={lda} ldb={ldb} ldc={ldc}", ta as char, tb as char)
        },
        flops,
        bytes,
        launches: 1.0,
        shape: crate::dispatch::cost::gemm_shape(trans_a, trans_b, mu, nu, ku),
        shape_name: crate::dispatch::cost::gemm_shape_name,
        adjust: None,
    };
    // SAFETY: the views of the caller's arrays, whose arguments passed
    // DGEMM's checks: op(A) is m x k (A k x m when transposed), op(B) k x n,
    // C m x n, each leading dimension at least its rows; and BLAS's rule
    // that C does not overlap A or B.
    let (av, bv, mut cv) = unsafe { views(trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc) };
    let g = Gemm::new(trans_a, trans_b, alpha, av, bv, beta);
    let gpu = move |c: &mut MatMut| {
        gemm::dgemm(&g, c.rb_mut()).map_err(|f| {
            // Each tile the GPU did not write is a sub-product of the same
            // call, its part of C as the caller passed it.
            dispatch::failure(f.error, move |c: &mut MatMut| f.remaining.iter().for_each(|t| g.tile(*t).on_cpu(t.of(c))))
        })
    };
    dispatch::run(call, &mut cv, |c| g.on_cpu(c.rb_mut()), Some(gpu));
}

/// The views of DGEMM's arrays: A, B (as stored) and C.
///
/// # Safety
/// The arguments passed DGEMM's checks; the arrays are the caller's, valid
/// for them, C overlapping neither A nor B.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn views<'a>(
    trans_a: bool, trans_b: bool, m: i32, n: i32, k: i32, a: *const f64, lda: i32, b: *const f64, ldb: i32, c: *mut f64,
    ldc: i32,
) -> (MatRef<'a>, MatRef<'a>, MatMut<'a>) {
    let (m, n, k) = (m as usize, n as usize, k as usize);
    let (ar, ac) = if trans_a { (k, m) } else { (m, k) };
    let (br, bc) = if trans_b { (n, k) } else { (k, n) };
    // SAFETY: the caller's guarantee.
    unsafe {
        (
            MatRef::from_raw(a, ar, ac, lda as usize),
            MatRef::from_raw(b, br, bc, ldb as usize),
            MatMut::from_raw(c, m, n, ldc as usize),
        )
    }
}

/// The CPU BLAS's SGEMM, CGEMM or ZGEMM, for the element type of each.
trait OnCpu: Element {
    /// The routine's Fortran call, on legal arguments.
    ///
    /// # Safety
    /// As for the reference routine: legal arguments, arrays valid for them.
    #[allow(clippy::too_many_arguments)]
    unsafe fn cpu(
        ta: u8, tb: u8, m: c_int, n: c_int, k: c_int, alpha: &Self, a: *const Self, lda: c_int, b: *const Self, ldb: c_int,
        beta: &Self, c: *mut Self, ldc: c_int,
    );
}

macro_rules! on_cpu {
    ($t:ty, $field:ident, $p:ty) => {
        impl OnCpu for $t {
            unsafe fn cpu(
                ta: u8, tb: u8, m: c_int, n: c_int, k: c_int, alpha: &Self, a: *const Self, lda: c_int, b: *const Self,
                ldb: c_int, beta: &Self, c: *mut Self, ldc: c_int,
            ) {
                let (ta, tb) = (ta as c_char, tb as c_char);
                let (alpha, beta) = (alpha as *const Self as *const $p, beta as *const Self as *const $p);
                // SAFETY: the caller's guarantee; `$t` is the routine's
                // element type (COMPLEX passed by address, as gfortran does).
                unsafe {
                    (CPU.$field.f)(
                        &ta, &tb, &m, &n, &k, alpha, a as *const $p, &lda, b as *const $p, &ldb, beta, c as *mut $p, &ldc,
                        1, 1,
                    )
                }
            }
        }
    };
}
on_cpu!(f32, sgemm, f32);
on_cpu!(Complex<f32>, cgemm, c_void);
on_cpu!(Complex<f64>, zgemm, c_void);

/// SGEMM, CGEMM or ZGEMM whose arguments are legal, in Fortran terms:
/// the quick return, then the call routed; the GPU path (with alpha != 0
/// and k > 0) is [`precisions::on_gpu`].
///
/// # Safety
/// Arguments legal for the routine; arrays valid for them, C overlapping
/// neither A nor B.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_other<T: OnCpu>(
    routine: Routine, ta: u8, tb: u8, m: c_int, n: c_int, k: c_int, alpha: T, a: *const T, lda: c_int, b: *const T,
    ldb: c_int, beta: T, c: *mut T, ldc: c_int,
) {
    if m == 0 || n == 0 || ((precisions::is_zero(alpha) || k == 0) && precisions::is_one(beta)) {
        return;
    }
    let (op_a, op_b) = (Op::from_char(ta), Op::from_char(tb));
    let (mu, nu, ku) = (m as usize, n as usize, k as usize);
    let beta_zero = precisions::is_zero(beta);
    // The engine's real product: 2m x n x 2k for a complex one.
    let w = if T::COMPLEX { 2 } else { 1 };
    let (flops, _) = gemm_terms(w * mu, nu, w * ku, if beta_zero { 0.0 } else { 1.0 });
    let bytes = precisions::wire_bytes::<T>(mu, nu, ku, beta_zero);
    let call = Call {
        routine,
        describe: || {
            format!("transa={} transb={} m={m} n={n} k={k} lda={lda} ldb={ldb} ldc={ldc}", ta as char, tb as char)
        },
        flops,
        bytes: bytes + 16.0 * precisions::host_copies::<T>(mu, nu, ku, op_b, beta) as f64,
        launches: 1.0,
        shape: crate::dispatch::cost::gemm_shape(op_a != Op::N, op_b != Op::N, mu, nu, ku),
        shape_name: crate::dispatch::cost::gemm_shape_name,
        adjust: matches!(routine.precision(), Precision::S | Precision::C).then_some(precisions::single_on_cpu as fn(&mut _, f64)),
    };
    let cpu = |_: &mut ()| {
        // SAFETY: the caller's arguments, legal for the routine.
        unsafe { T::cpu(ta, tb, m, n, k, &alpha, a, lda, b, ldb, &beta, c, ldc) }
    };
    let gpu = (!precisions::is_zero(alpha) && k > 0).then_some(|_: &mut ()| {
        let (ar, ac) = if op_a == Op::N { (mu, ku) } else { (ku, mu) };
        let (br, bc) = if op_b == Op::N { (ku, nu) } else { (nu, ku) };
        // SAFETY: the caller's arrays, whose arguments passed the
        // routine's checks: op(A) m x k, op(B) k x n, C m x n, each with
        // its leading dimension; C overlapping neither A nor B.
        let (av, bv, cv) = unsafe {
            (
                MatRef::from_raw(a, ar, ac, lda as usize),
                MatRef::from_raw(b, br, bc, ldb as usize),
                MatMut::from_raw(c, mu, nu, ldc as usize),
            )
        };
        let p = Product { op_a, op_b, m: mu, n: nu, k: ku, alpha, a: av, b: bv, beta };
        precisions::on_gpu(&p, cv).map_err(|f| match f.left {
            // The tiles of C the device left, each the same product on its
            // rows and columns, by the CPU's routine.
            Some(left) => dispatch::failure(f.error, move |_: &mut ()| {
                for t in &left {
                    let (r, cl) = (t.row0, t.col0);
                    let a_at = if op_a == Op::N { r } else { r * lda as usize };
                    let b_at = if op_b == Op::N { cl * ldb as usize } else { cl };
                    // SAFETY: the tile lies inside C (m x n), its rows of
                    // op(A) inside A and its columns of op(B) inside B, with
                    // the caller's leading dimensions: a legal call.
                    unsafe {
                        T::cpu(ta, tb, t.rows as c_int, t.cols as c_int, k, &alpha, a.add(a_at), lda, b.add(b_at), ldb, &beta,
                            c.add(r + cl * ldc as usize), ldc)
                    }
                }
            }),
            None => dispatch::failure(f.error, cpu),
        })
    });
    dispatch::run(call, &mut (), cpu, gpu);
}

/// Fortran SGEMM, CGEMM, ZGEMM: DGEMM's argument list and checks with
/// another element type `T`, read through the caller's pointers.
///
/// # Safety
/// As for the reference routine (`srname`, with its trailing blank).
#[allow(clippy::too_many_arguments)]
unsafe fn fortran_gemm<T: OnCpu>(
    routine: Routine, srname: &str, transa: *const c_char, transb: *const c_char, m: *const c_int, n: *const c_int,
    k: *const c_int, alpha: *const T, a: *const T, lda: *const c_int, b: *const T, ldb: *const c_int, beta: *const T,
    c: *mut T, ldc: *const c_int,
) {
    boundary(srname.trim_end(), || {
        // SAFETY: the caller's scalar pointers (valid or null).
        let Some(d) = (unsafe { read_gemm_args(srname, transa, transb, m, n, k, alpha, lda, ldb, beta, ldc) }) else {
            return;
        };
        // SAFETY: arguments checked as the reference routine checks them;
        // the arrays are the caller's.
        unsafe { gemm_other(routine, d.ta, d.tb, d.m, d.n, d.k, d.alpha, a, d.lda, b, d.ldb, d.beta, c, d.ldc) }
    });
}

/// SGEMM: C := alpha op(A) op(B) + beta C in single precision, op(X) = X or
/// Xᵀ; on the GPU computed in double and rounded once
/// ([`super::precisions`]). Arguments and checks as reference SGEMM; only
/// the first character of TRANSA, TRANSB is read.
///
/// # Safety
/// Pointers as for reference SGEMM: scalars readable, A, B, C valid for
/// the dimensions and leading dimensions given.
#[no_mangle]
pub unsafe extern "C" fn sgemm_(
    transa: *const c_char, transb: *const c_char, m: *const c_int, n: *const c_int, k: *const c_int,
    alpha: *const f32, a: *const f32, lda: *const c_int, b: *const f32, ldb: *const c_int, beta: *const f32,
    c: *mut f32, ldc: *const c_int, transa_len: usize, transb_len: usize,
) {
    let _ = (transa_len, transb_len);
    // SAFETY: the caller's guarantee.
    unsafe { fortran_gemm(Routine::Sgemm, "SGEMM ", transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) }
}

/// CGEMM: C := alpha op(A) op(B) + beta C in single complex, op(X) = X, Xᵀ
/// or Xᴴ (TRANS = 'C'). COMPLEX scalars and arrays by address, as
/// gfortran passes them: (real, imaginary) pairs.
///
/// # Safety
/// Pointers as for reference CGEMM.
#[no_mangle]
pub unsafe extern "C" fn cgemm_(
    transa: *const c_char, transb: *const c_char, m: *const c_int, n: *const c_int, k: *const c_int,
    alpha: *const c_void, a: *const c_void, lda: *const c_int, b: *const c_void, ldb: *const c_int,
    beta: *const c_void, c: *mut c_void, ldc: *const c_int, transa_len: usize, transb_len: usize,
) {
    let _ = (transa_len, transb_len);
    type T = Complex<f32>;
    // SAFETY: the caller's guarantee; the pointers address COMPLEX data.
    unsafe {
        fortran_gemm(Routine::Cgemm, "CGEMM ", transa, transb, m, n, k, alpha as *const T, a as *const T, lda,
            b as *const T, ldb, beta as *const T, c as *mut T, ldc)
    }
}

/// ZGEMM: C := alpha op(A) op(B) + beta C in double complex (as CGEMM).
///
/// # Safety
/// Pointers as for reference ZGEMM.
#[no_mangle]
pub unsafe extern "C" fn zgemm_(
    transa: *const c_char, transb: *const c_char, m: *const c_int, n: *const c_int, k: *const c_int,
    alpha: *const c_void, a: *const c_void, lda: *const c_int, b: *const c_void, ldb: *const c_int,
    beta: *const c_void, c: *mut c_void, ldc: *const c_int, transa_len: usize, transb_len: usize,
) {
    let _ = (transa_len, transb_len);
    type T = Complex<f64>;
    // SAFETY: the caller's guarantee; the pointers address COMPLEX*16 data.
    unsafe {
        fortran_gemm(Routine::Zgemm, "ZGEMM ", transa, transb, m, n, k, alpha as *const T, a as *const T, lda,
            b as *const T, ldb, beta as *const T, c as *mut T, ldc)
    }
}

/// CBLAS SGEMM, CGEMM, ZGEMM in Fortran terms: `cblas_dgemm`'s checks
/// (reported as `name`), then the call, row major as C^T = op(B)^T op(A)^T.
/// A null complex scalar (which reference CBLAS would dereference):
/// nothing is computed.
///
/// # Safety
/// As for the reference CBLAS routine.
#[allow(clippy::too_many_arguments)]
unsafe fn cblas_gemm<T: OnCpu>(
    routine: Routine, name: &str, layout: c_int, transa: c_int, transb: c_int, m: c_int, n: c_int, k: c_int,
    alpha: Option<T>, a: *const T, lda: c_int, b: *const T, ldb: c_int, beta: Option<T>, c: *mut T, ldc: c_int,
) {
    boundary(name, || match check::cblas_dgemm(layout, transa, transb, m, n, k, lda, ldb, ldc) {
        Err(e) => xerbla::report_cblas(&e, name),
        Ok(f) => {
            let (Some(alpha), Some(beta)) = (alpha, beta) else { return };
            let (fa, fb) = if f.swap_ab { (b, a) } else { (a, b) };
            // SAFETY: arguments checked as reference CBLAS checks them.
            unsafe { gemm_other(routine, f.transa, f.transb, f.m, f.n, k, alpha, fa, f.lda, fb, f.ldb, beta, c, ldc) }
        }
    });
}

/// CBLAS SGEMM, row- or column-major (as `cblas_dgemm`).
///
/// # Safety
/// As for reference `cblas_sgemm`.
#[no_mangle]
pub unsafe extern "C" fn cblas_sgemm(
    layout: c_int, transa: c_int, transb: c_int, m: c_int, n: c_int, k: c_int, alpha: f32, a: *const f32, lda: c_int,
    b: *const f32, ldb: c_int, beta: f32, c: *mut f32, ldc: c_int,
) {
    // SAFETY: the caller's guarantee.
    unsafe {
        cblas_gemm(Routine::CblasSgemm, "cblas_sgemm", layout, transa, transb, m, n, k, Some(alpha), a, lda, b, ldb,
            Some(beta), c, ldc)
    }
}

/// CBLAS CGEMM, row- or column-major; ALPHA and BETA by address.
///
/// # Safety
/// As for reference `cblas_cgemm`.
#[no_mangle]
pub unsafe extern "C" fn cblas_cgemm(
    layout: c_int, transa: c_int, transb: c_int, m: c_int, n: c_int, k: c_int, alpha: *const c_void,
    a: *const c_void, lda: c_int, b: *const c_void, ldb: c_int, beta: *const c_void, c: *mut c_void, ldc: c_int,
) {
    type T = Complex<f32>;
    // SAFETY: the caller's guarantee: ALPHA and BETA address complex
    // scalars (or are null), the arrays complex data.
    unsafe {
        cblas_gemm(Routine::CblasCgemm, "cblas_cgemm", layout, transa, transb, m, n, k, read(alpha as *const T),
            a as *const T, lda, b as *const T, ldb, read(beta as *const T), c as *mut T, ldc)
    }
}

/// CBLAS ZGEMM, row- or column-major; ALPHA and BETA by address.
///
/// # Safety
/// As for reference `cblas_zgemm`.
#[no_mangle]
pub unsafe extern "C" fn cblas_zgemm(
    layout: c_int, transa: c_int, transb: c_int, m: c_int, n: c_int, k: c_int, alpha: *const c_void,
    a: *const c_void, lda: c_int, b: *const c_void, ldb: c_int, beta: *const c_void, c: *mut c_void, ldc: c_int,
) {
    type T = Complex<f64>;
    // SAFETY: as for cblas_cgemm.
    unsafe {
        cblas_gemm(Routine::CblasZgemm, "cblas_zgemm", layout, transa, transb, m, n, k, read(alpha as *const T),
            a as *const T, lda, b as *const T, ldb, read(beta as *const T), c as *mut T, ldc)
    }
}
