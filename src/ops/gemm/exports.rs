//! `dgemm_` (Fortran ABI) and `cblas_dgemm`: their arguments read and
//! checked as reference BLAS and CBLAS check them, and each call routed: to
//! the CPU LAPACK's DGEMM, or to the OpenCL engine's DGEMM from host memory
//! (src/engine/opencl/gemm.rs), whose unfinished tiles of C the CPU
//! computes if it fails.

use super::check::{self, read_dgemm_args};
use crate::abi::boundary;
use crate::ops::lsame;
use crate::engine::cpu::{xerbla, CPU};
use crate::dispatch::{self, Call, Routine};
use crate::engine::opencl::gemm::{self, Gemm};
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
    let (mf, nf, kf) = (m as f64, n as f64, k as f64);
    let call = Call {
        routine,
        describe: || {
            format!("transa={} transb={} m={m} n={n} k={k} lda={lda} ldb={ldb} ldc={ldc}", ta as char, tb as char)
        },
        flops: 2.0 * mf * nf * kf,
        bytes: 8.0 * (mf * kf + kf * nf + mf * nf * if beta == 0.0 { 1.0 } else { 2.0 }),
        launches: 1.0,
        adjust: None,
    };
    let g = Gemm {
        trans_a: !lsame(ta, b'N'),
        trans_b: !lsame(tb, b'N'),
        m: m as usize,
        n: n as usize,
        k: k as usize,
        alpha,
        a,
        lda: lda as usize,
        b,
        ldb: ldb as usize,
        beta,
        c,
        ldc: ldc as usize,
    };
    let gpu = move || {
        // SAFETY: legal arguments and the caller's arrays.
        unsafe { gemm::dgemm(&g) }.map_err(|failure| {
            let finish: Box<dyn FnOnce()> = Box::new(move || {
                for t in failure.remaining {
                    // SAFETY: each tile is a sub-product of the same legal
                    // call, on the same arrays.
                    unsafe { cpu_gemm(&g.tile(t)) }
                }
            });
            (failure.error, finish)
        })
    };
    // SAFETY: legal arguments and the caller's arrays.
    dispatch::run(call, || unsafe { cpu_gemm(&g) }, Some(gpu));
}

/// The CPU LAPACK's DGEMM on a legal product.
///
/// # Safety
/// `g`'s arguments legal for DGEMM and its arrays valid for them.
unsafe fn cpu_gemm(g: &Gemm) {
    let ta = if g.trans_a { b'T' } else { b'N' } as c_char;
    let tb = if g.trans_b { b'T' } else { b'N' } as c_char;
    let (m, n, k) = (g.m as c_int, g.n as c_int, g.k as c_int);
    let (lda, ldb, ldc) = (g.lda as c_int, g.ldb as c_int, g.ldc as c_int);
    // SAFETY: the caller's guarantee; the hidden lengths of the two
    // CHARACTER*1 arguments are 1.
    unsafe { (CPU.dgemm.f)(&ta, &tb, &m, &n, &k, &g.alpha, g.a, &lda, g.b, &ldb, &g.beta, g.c, &ldc, 1, 1) };
}
