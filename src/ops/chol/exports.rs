//! `dpotrf_`, `dpotrs_`, `dposv_` (Fortran ABI, LP64 integers, gfortran's
//! hidden CHARACTER lengths): their arguments read and checked as
//! reference LAPACK checks them, and each call routed: to the CPU LAPACK's
//! routine, or for the factorization to the GPU Cholesky ([`super::gpu`]),
//! which writes the caller's A only once it has succeeded.
//!
//! DPOTRS on the GPU: the caller's factor up, the inverses of its 64 x 64
//! diagonal leaves from the host, two block substitutions as GEMMs. DPOSV
//! on the GPU: the factorization, then the same solve with the factor still
//! on the device; A and B are written only once both succeeded.
//!
//! A matrix that is not positive definite is found by the GPU path (a
//! diagonal block's factorization on the host), which then has the CPU
//! LAPACK compute the call: it is logged and counted as a GPU call, whose
//! time (both) is what the cost model learns for the class.

use super::{check, cost, gpu as chol};
use crate::abi::{guarded, int, read_char, set_info};
use crate::dispatch::{self, Call, Routine};
use crate::engine::opencl::error::GpuError;
use crate::engine::cpu::{on_views, xerbla};
use crate::matrix::{MatMut, MatRef};
use crate::ops::lsame;
use std::os::raw::{c_char, c_int};

/// The arrays of a DPOTRF or DPOSV call (no B for DPOTRF), as views.
struct Factor<'a> {
    uplo: u8,
    a: MatMut<'a>,
    b: Option<MatMut<'a>>,
}

impl Factor<'_> {
    /// The whole call on the CPU LAPACK; INFO.
    fn on_cpu(&mut self) -> c_int {
        match &mut self.b {
            Some(b) => on_views::dposv(self.uplo, self.a.rb_mut(), b.rb_mut()),
            None => on_views::dpotrf(self.uplo, self.a.rb_mut()),
        }
    }

    /// The GPU path: the factorization on the GPU, and for DPOSV the solve
    /// there too (src/ops/chol/gpu.rs). A matrix that
    /// is not positive definite is a result, not a failure: the GPU stops
    /// at the first diagonal block that is not, with A untouched, and the
    /// CPU LAPACK computes the call from it, so that INFO and what A and B
    /// hold are exactly reference's.
    /// Routes the call (CPU LAPACK or [`Factor::on_gpu`], a GPU error
    /// finished by the CPU from the untouched arrays); INFO.
    fn route<D: FnOnce() -> String>(mut self, call: Call<D>) -> c_int {
        dispatch::run(call, &mut self, Factor::on_cpu, Some(|f: &mut _| Factor::on_gpu(f).map_err(|e| dispatch::failure(e, Factor::on_cpu))))
    }

    /// (A GPU error leaves A and B as passed, for the CPU.)
    fn on_gpu(&mut self) -> Result<c_int, GpuError> {
        let upper = lsame(self.uplo, b'U');
        match chol::factor_host(upper, self.a.rb_mut(), self.b.as_mut().map(|b| b.rb_mut())) {
            Ok(()) => Ok(0),
            Err(chol::Stop::NotPositive) => Ok(self.on_cpu()),
            Err(chol::Stop::Gpu(e)) => Err(e),
        }
    }
}

/// DPOSV's and DPOTRS's arguments (the same checks in the same order)
/// read through the caller's pointers, INFO set: (UPLO, N, NRHS, LDA,
/// LDB), or None after an illegal one was reported through
/// XERBLA(`srname`).
///
/// # Safety
/// The caller's scalar pointers (valid or null) and INFO.
unsafe fn read_solve_args(
    srname: &str, uplo: *const c_char, n: *const c_int, nrhs: *const c_int, lda: *const c_int, ldb: *const c_int,
    info: *mut c_int,
) -> Option<(u8, c_int, c_int, c_int, c_int)> {
    // SAFETY: the caller's CHARACTER argument (or null).
    let ul = unsafe { read_char(uplo) };
    let (n, nrhs, lda, ldb) = (int(n, -1), int(nrhs, -1), int(lda, 0), int(ldb, 0));
    let err = check::dpotrs(ul, n, nrhs, lda, ldb);
    // SAFETY: INFO is the caller's.
    unsafe { set_info(info, err) };
    if err != 0 {
        xerbla::report(srname, -err);
        return None;
    }
    Some((ul, n, nrhs, lda, ldb))
}

/// DPOTRF computes the Cholesky factorization of a real symmetric positive
/// definite matrix A: A = U**T * U (UPLO = 'U') or A = L * L**T ('L').
///
/// Arguments as reference DPOTRF: UPLO ('U' or 'L': the triangle of A
/// stored, and replaced by the factor; the other is not referenced), N
/// (>= 0), A(LDA,N), LDA (>= max(1,N)), INFO: 0 success; < 0: argument
/// -INFO illegal (XERBLA('DPOTRF', -INFO)); > 0: the leading minor of
/// order INFO is not positive, and the factorization could not be
/// completed.
///
/// # Safety
/// As for reference DPOTRF.
#[no_mangle]
pub unsafe extern "C" fn dpotrf_(
    uplo: *const c_char,
    n: *const c_int,
    a: *mut f64,
    lda: *const c_int,
    info: *mut c_int,
    uplo_len: usize,
) {
    // The hidden CHARACTER length is not read: only the first character
    // matters, and C callers of the Fortran ABI often omit it.
    let _ = uplo_len;
    guarded("DPOTRF", info, || {
        // SAFETY: the caller's CHARACTER argument (or null).
        let ul = unsafe { read_char(uplo) };
        let (n, lda) = (int(n, -1), int(lda, 0));
        let err = check::dpotrf(ul, n, lda);
        // SAFETY: INFO is the caller's.
        unsafe { set_info(info, err) };
        if err != 0 {
            xerbla::report("DPOTRF", -err);
            return;
        }
        if n == 0 {
            return;
        }
        let (flops, bytes, launches) = cost::dpotrf(n);
        let call = Call {
            routine: Routine::Dpotrf,
            describe: || format!("uplo={} n={n} lda={lda}", ul as char),
            flops,
            bytes,
            launches,
            shape: 0,
            shape_name: crate::dispatch::cost::plain_shape_name,
            adjust: Some(cost::adjust),
        };
        let nu = n as usize;
        // SAFETY: the arguments passed DPOTRF's checks: A is n x n with its
        // leading dimension.
        let result = Factor { uplo: ul, a: unsafe { MatMut::from_raw(a, nu, nu, lda as usize) }, b: None }.route(call);
        // SAFETY: INFO is the caller's.
        unsafe { set_info(info, result) };
    });
}

/// DPOSV computes the solution to A * X = B for a real symmetric positive
/// definite N-by-N A and N-by-NRHS B, by the Cholesky factorization.
///
/// Arguments as reference DPOSV: UPLO, N (>= 0), NRHS (>= 0), A(LDA,N)
/// (on exit the factor, as DPOTRF leaves it), LDA (>= max(1,N)),
/// B(LDB,NRHS) (on exit X), LDB (>= max(1,N)), INFO: 0 success; < 0:
/// argument -INFO illegal (XERBLA('DPOSV ', -INFO)); > 0: the leading
/// minor of order INFO is not positive, and X was not computed.
///
/// # Safety
/// As for reference DPOSV.
#[no_mangle]
pub unsafe extern "C" fn dposv_(
    uplo: *const c_char,
    n: *const c_int,
    nrhs: *const c_int,
    a: *mut f64,
    lda: *const c_int,
    b: *mut f64,
    ldb: *const c_int,
    info: *mut c_int,
    uplo_len: usize,
) {
    let _ = uplo_len;
    guarded("DPOSV", info, || {
        // SAFETY: the caller's pointers.
        let Some((ul, n, nrhs, lda, ldb)) = (unsafe { read_solve_args("DPOSV ", uplo, n, nrhs, lda, ldb, info) }) else {
            return;
        };
        if n == 0 {
            return;
        }
        let (flops, bytes, launches) = cost::dposv(n, nrhs);
        let call = Call {
            routine: Routine::Dposv,
            describe: || format!("uplo={} n={n} nrhs={nrhs} lda={lda} ldb={ldb}", ul as char),
            flops,
            bytes,
            launches,
            shape: crate::dispatch::cost::rhs_shape(nrhs),
            shape_name: crate::dispatch::cost::factor_shape_name,
            adjust: Some(cost::adjust),
        };
        let (nu, ru) = (n as usize, nrhs as usize);
        // SAFETY: the arguments passed DPOSV's checks: A is n x n and B
        // n x nrhs with their leading dimensions; they do not overlap.
        let args = unsafe {
            Factor { uplo: ul, a: MatMut::from_raw(a, nu, nu, lda as usize), b: Some(MatMut::from_raw(b, nu, ru, ldb as usize)) }
        };
        let result = args.route(call);
        // SAFETY: INFO is the caller's.
        unsafe { set_info(info, result) };
    });
}

/// DPOTRS solves A * X = B with the Cholesky factorization A = U**T * U or
/// A = L * L**T computed by DPOTRF.
///
/// Arguments as reference DPOTRS: UPLO, N (>= 0), NRHS (>= 0), A(LDA,N)
/// (the factor), LDA (>= max(1,N)), B(LDB,NRHS) (on exit X), LDB
/// (>= max(1,N)), INFO: 0 success; < 0: argument -INFO illegal
/// (XERBLA('DPOTRS', -INFO)).
///
/// # Safety
/// As for reference DPOTRS.
#[no_mangle]
pub unsafe extern "C" fn dpotrs_(
    uplo: *const c_char,
    n: *const c_int,
    nrhs: *const c_int,
    a: *const f64,
    lda: *const c_int,
    b: *mut f64,
    ldb: *const c_int,
    info: *mut c_int,
    uplo_len: usize,
) {
    let _ = uplo_len;
    guarded("DPOTRS", info, || {
        // SAFETY: the caller's pointers.
        let Some((ul, n, nrhs, lda, ldb)) = (unsafe { read_solve_args("DPOTRS", uplo, n, nrhs, lda, ldb, info) }) else {
            return;
        };
        if n == 0 || nrhs == 0 {
            return;
        }
        let (flops, bytes, launches) = cost::dpotrs(n, nrhs);
        let call = Call {
            routine: Routine::Dpotrs,
            describe: || format!("uplo={} n={n} nrhs={nrhs} lda={lda} ldb={ldb}", ul as char),
            flops,
            bytes,
            launches,
            shape: crate::dispatch::cost::rhs_shape(nrhs),
            shape_name: crate::dispatch::cost::factor_shape_name,
            adjust: None,
        };
        let (nu, ru) = (n as usize, nrhs as usize);
        // SAFETY: the arguments passed DPOTRS's checks: A is n x n and B
        // n x nrhs with their leading dimensions; B does not overlap A.
        let (av, bv) = unsafe { (MatRef::from_raw(a, nu, nu, lda as usize), MatMut::from_raw(b, nu, ru, ldb as usize)) };
        let mut args = (av, bv);
        type Args<'a> = (MatRef<'a>, MatMut<'a>);
        let cpu = move |s: &mut Args| on_views::dpotrs(ul, s.0, s.1.rb_mut());
        let gpu = move |s: &mut Args| {
            chol::dpotrs_host(lsame(ul, b'U'), s.0, s.1.rb_mut()).map(|()| 0).map_err(|e| dispatch::failure(e, cpu))
        };
        let result = dispatch::run(call, &mut args, cpu, Some(gpu));
        // SAFETY: INFO is the caller's.
        unsafe { set_info(info, result) };
    });
}
