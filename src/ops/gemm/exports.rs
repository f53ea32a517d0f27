//! `dgemm_` (Fortran ABI) and `cblas_dgemm`: their arguments read and
//! checked as reference BLAS and CBLAS check them, and each call routed: to
//! the CPU LAPACK's DGEMM, or to the OpenCL engine's DGEMM from host memory
//! (src/engine/opencl/gemm.rs), whose unfinished tiles of C the CPU
//! computes if it fails.

use super::check::{self, read_dgemm_args};
use crate::abi::boundary;
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
        let Some(d) = (unsafe { read_dgemm_args("DGEMM ", transa, transb, m, n, k, alpha, lda, ldb, beta, ldc) }) else {
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
