//! The bundled netlib reference (double precision), built by build.rs with
//! every symbol renamed `lapack_ai_netlib_<name>` and kept local to
//! liblapack_ai.so. It is the CPU LAPACK of last resort, and the reference
//! that the crate's tests compare against.

use super::{DgemmFn, DgesddFn, DgesvFn, DgesvdFn, DgetrfFn, DgetrsFn};
use std::os::raw::{c_char, c_int};

/// The XERBLA hook of csrc/netlib_xerbla.c.
pub type XerblaHook = unsafe extern "C" fn(srname: *const c_char, len: usize, info: c_int);

extern "C" {
    fn lapack_ai_netlib_dgemm_(
        transa: *const c_char, transb: *const c_char, m: *const c_int, n: *const c_int, k: *const c_int,
        alpha: *const f64, a: *const f64, lda: *const c_int, b: *const f64, ldb: *const c_int,
        beta: *const f64, c: *mut f64, ldc: *const c_int, transa_len: usize, transb_len: usize,
    );
    fn lapack_ai_netlib_dgesv_(
        n: *const c_int, nrhs: *const c_int, a: *mut f64, lda: *const c_int, ipiv: *mut c_int,
        b: *mut f64, ldb: *const c_int, info: *mut c_int,
    );
    fn lapack_ai_netlib_dgesvd_(
        jobu: *const c_char, jobvt: *const c_char, m: *const c_int, n: *const c_int, a: *mut f64,
        lda: *const c_int, s: *mut f64, u: *mut f64, ldu: *const c_int, vt: *mut f64, ldvt: *const c_int,
        work: *mut f64, lwork: *const c_int, info: *mut c_int, jobu_len: usize, jobvt_len: usize,
    );
    fn lapack_ai_netlib_dgesdd_(
        jobz: *const c_char, m: *const c_int, n: *const c_int, a: *mut f64, lda: *const c_int, s: *mut f64,
        u: *mut f64, ldu: *const c_int, vt: *mut f64, ldvt: *const c_int, work: *mut f64,
        lwork: *const c_int, iwork: *mut c_int, info: *mut c_int, jobz_len: usize,
    );
    fn lapack_ai_netlib_dgetrf_(
        m: *const c_int, n: *const c_int, a: *mut f64, lda: *const c_int, ipiv: *mut c_int, info: *mut c_int,
    );
    fn lapack_ai_netlib_dgetrs_(
        trans: *const c_char, n: *const c_int, nrhs: *const c_int, a: *const f64, lda: *const c_int,
        ipiv: *const c_int, b: *mut f64, ldb: *const c_int, info: *mut c_int, trans_len: usize,
    );
    fn lapack_ai_netlib_set_xerbla_hook(hook: XerblaHook);
}

pub const DGEMM: DgemmFn = lapack_ai_netlib_dgemm_;
pub const DGESV: DgesvFn = lapack_ai_netlib_dgesv_;
pub const DGESVD: DgesvdFn = lapack_ai_netlib_dgesvd_;
pub const DGESDD: DgesddFn = lapack_ai_netlib_dgesdd_;
pub const DGETRF: DgetrfFn = lapack_ai_netlib_dgetrf_;
pub const DGETRS: DgetrsFn = lapack_ai_netlib_dgetrs_;

/// Routes the bundled copy's XERBLA calls to `hook`.
pub fn set_xerbla_hook(hook: XerblaHook) {
    // SAFETY: the C function only stores the pointer atomically.
    unsafe { lapack_ai_netlib_set_xerbla_hook(hook) }
}
