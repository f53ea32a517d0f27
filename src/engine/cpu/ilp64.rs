//! Calling a LAPACK built with 64-bit integers (ILP64) through the LP64
//! signatures of the table (src/routines.rs).
//!
//! NumPy's wheels carry an OpenBLAS built with 64-bit integers and renamed
//! symbols (`scipy_dgesdd_64_`; NumPy 1.x: `dgesdd_64_`); it is the only
//! fast LAPACK in a process that runs pip's NumPy on a machine without a
//! system one. Each routine here has a shim with the table's signature,
//! which widens the integers (scalars, and the integer arrays IPIV and
//! IWORK, copied both ways where the routine reads or writes them) and
//! calls the ILP64 routine whose address [`install`] stored. The CPU
//! backend uses the shim's address as it would the routine's own.
//!
//! Integer arrays cost one allocation per call (IPIV: n entries, IWORK of
//! DGESDD: 8 min(m, n)), negligible beside the factorization that fills
//! them; DGEMM and DGEQRF, the calls a blocked algorithm makes many of,
//! allocate nothing.

use std::ffi::c_void;
use std::os::raw::{c_char, c_int};
use std::sync::atomic::{AtomicPtr, Ordering};

/// An ILP64 routine's address, written once by [`install`] before its
/// shim's address is handed out, read by the shim.
struct Slot(AtomicPtr<c_void>);

impl Slot {
    const fn new() -> Slot {
        Slot(AtomicPtr::new(std::ptr::null_mut()))
    }
    fn get(&self) -> *mut c_void {
        self.0.load(Ordering::Acquire)
    }
}

type I = i64;

fn wide(x: *const c_int) -> I {
    // SAFETY (every call): the caller of a shim passes valid pointers to
    // its integer scalars, as to the LP64 routine it stands for.
    unsafe { *x as I }
}

/// LAPACK's INFO (and the integers it returns) fit in 32 bits whenever the
/// arguments did.
fn narrow(x: I) -> c_int {
    x as c_int
}

/// Copies an LP64 integer array (IPIV) of `n` entries into 64-bit ones.
///
/// # Safety
/// `p` points to `n` readable integers (n >= 0).
unsafe fn widen_array(p: *const c_int, n: I) -> Vec<I> {
    let n = n.max(0) as usize;
    // SAFETY: the caller's guarantee.
    unsafe { std::slice::from_raw_parts(p, n) }.iter().map(|&x| x as I).collect()
}

/// Writes 64-bit integers back to the caller's LP64 array.
///
/// # Safety
/// `p` points to `v.len()` writable integers.
unsafe fn narrow_array(v: &[I], p: *mut c_int) {
    // SAFETY: the caller's guarantee.
    let out = unsafe { std::slice::from_raw_parts_mut(p, v.len()) };
    for (o, &x) in out.iter_mut().zip(v) {
        *o = narrow(x);
    }
}

macro_rules! call {
    ($slot:expr, fn($($ty:ty),*), $($arg:expr),*) => {{
        // SAFETY: the slot holds the ILP64 routine of this name (install's
        // caller's guarantee), whose signature is the LP64 one with every
        // integer 64 bits wide.
        let f = unsafe { std::mem::transmute::<*mut c_void, unsafe extern "C" fn($($ty),*)>($slot.get()) };
        // SAFETY: the arguments are the caller's (as valid as for the LP64
        // routine) or this shim's own 64-bit copies of them.
        unsafe { f($($arg),*) }
    }};
}

static DGEMM: Slot = Slot::new();
static SGEMM: Slot = Slot::new();
static CGEMM: Slot = Slot::new();
static ZGEMM: Slot = Slot::new();
static DGESV: Slot = Slot::new();
static DGETRF: Slot = Slot::new();
static DGETRS: Slot = Slot::new();
static DPOTRF: Slot = Slot::new();
static DPOTRS: Slot = Slot::new();
static DPOSV: Slot = Slot::new();
static DGESVD: Slot = Slot::new();
static DGESDD: Slot = Slot::new();
static DGEQRF: Slot = Slot::new();

unsafe extern "C" fn dgemm(
    transa: *const c_char, transb: *const c_char, m: *const c_int, n: *const c_int, k: *const c_int, alpha: *const f64,
    a: *const f64, lda: *const c_int, b: *const f64, ldb: *const c_int, beta: *const f64, c: *mut f64,
    ldc: *const c_int, transa_len: usize, transb_len: usize,
) {
    let (m, n, k, lda, ldb, ldc) = (wide(m), wide(n), wide(k), wide(lda), wide(ldb), wide(ldc));
    call!(DGEMM, fn(*const c_char, *const c_char, *const I, *const I, *const I, *const f64, *const f64, *const I,
                    *const f64, *const I, *const f64, *mut f64, *const I, usize, usize),
          transa, transb, &m, &n, &k, alpha, a, &lda, b, &ldb, beta, c, &ldc, transa_len, transb_len)
}

/// SGEMM, CGEMM and ZGEMM: DGEMM's argument list with another scalar type
/// (`$t`: f32, or a COMPLEX's address as `c_void`).
macro_rules! gemm_shim {
    ($name:ident, $slot:ident, $t:ty) => {
        unsafe extern "C" fn $name(
            transa: *const c_char, transb: *const c_char, m: *const c_int, n: *const c_int, k: *const c_int,
            alpha: *const $t, a: *const $t, lda: *const c_int, b: *const $t, ldb: *const c_int, beta: *const $t,
            c: *mut $t, ldc: *const c_int, transa_len: usize, transb_len: usize,
        ) {
            let (m, n, k, lda, ldb, ldc) = (wide(m), wide(n), wide(k), wide(lda), wide(ldb), wide(ldc));
            call!($slot, fn(*const c_char, *const c_char, *const I, *const I, *const I, *const $t, *const $t, *const I,
                            *const $t, *const I, *const $t, *mut $t, *const I, usize, usize),
                  transa, transb, &m, &n, &k, alpha, a, &lda, b, &ldb, beta, c, &ldc, transa_len, transb_len)
        }
    };
}
gemm_shim!(sgemm, SGEMM, f32);
gemm_shim!(cgemm, CGEMM, c_void);
gemm_shim!(zgemm, ZGEMM, c_void);

/// ?SYMM and ?HEMM (elements `$t`: f32, f64, or a COMPLEX's address as
/// `c_void`).
macro_rules! symm_shim {
    ($name:ident, $slot:ident, $t:ty) => {
        static $slot: Slot = Slot::new();
        unsafe extern "C" fn $name(
            side: *const c_char, uplo: *const c_char, m: *const c_int, n: *const c_int, alpha: *const $t, a: *const $t,
            lda: *const c_int, b: *const $t, ldb: *const c_int, beta: *const $t, c: *mut $t, ldc: *const c_int,
            side_len: usize, uplo_len: usize,
        ) {
            let (m, n, lda, ldb, ldc) = (wide(m), wide(n), wide(lda), wide(ldb), wide(ldc));
            call!($slot, fn(*const c_char, *const c_char, *const I, *const I, *const $t, *const $t, *const I, *const $t,
                            *const I, *const $t, *mut $t, *const I, usize, usize),
                  side, uplo, &m, &n, alpha, a, &lda, b, &ldb, beta, c, &ldc, side_len, uplo_len)
        }
    };
}

/// ?SYRK and ?HERK (`$s`: the scalars' type, real for ?HERK).
macro_rules! syrk_shim {
    ($name:ident, $slot:ident, $t:ty, $s:ty) => {
        static $slot: Slot = Slot::new();
        unsafe extern "C" fn $name(
            uplo: *const c_char, trans: *const c_char, n: *const c_int, k: *const c_int, alpha: *const $s, a: *const $t,
            lda: *const c_int, beta: *const $s, c: *mut $t, ldc: *const c_int, uplo_len: usize, trans_len: usize,
        ) {
            let (n, k, lda, ldc) = (wide(n), wide(k), wide(lda), wide(ldc));
            call!($slot, fn(*const c_char, *const c_char, *const I, *const I, *const $s, *const $t, *const I, *const $s,
                            *mut $t, *const I, usize, usize),
                  uplo, trans, &n, &k, alpha, a, &lda, beta, c, &ldc, uplo_len, trans_len)
        }
    };
}

/// ?SYR2K and ?HER2K (`$s`: BETA's type, real for ?HER2K).
macro_rules! syr2k_shim {
    ($name:ident, $slot:ident, $t:ty, $s:ty) => {
        static $slot: Slot = Slot::new();
        unsafe extern "C" fn $name(
            uplo: *const c_char, trans: *const c_char, n: *const c_int, k: *const c_int, alpha: *const $t, a: *const $t,
            lda: *const c_int, b: *const $t, ldb: *const c_int, beta: *const $s, c: *mut $t, ldc: *const c_int,
            uplo_len: usize, trans_len: usize,
        ) {
            let (n, k, lda, ldb, ldc) = (wide(n), wide(k), wide(lda), wide(ldb), wide(ldc));
            call!($slot, fn(*const c_char, *const c_char, *const I, *const I, *const $t, *const $t, *const I, *const $t,
                            *const I, *const $s, *mut $t, *const I, usize, usize),
                  uplo, trans, &n, &k, alpha, a, &lda, b, &ldb, beta, c, &ldc, uplo_len, trans_len)
        }
    };
}

/// ?TRMM and ?TRSM.
macro_rules! tri_shim {
    ($name:ident, $slot:ident, $t:ty) => {
        static $slot: Slot = Slot::new();
        unsafe extern "C" fn $name(
            side: *const c_char, uplo: *const c_char, transa: *const c_char, diag: *const c_char, m: *const c_int,
            n: *const c_int, alpha: *const $t, a: *const $t, lda: *const c_int, b: *mut $t, ldb: *const c_int,
            side_len: usize, uplo_len: usize, transa_len: usize, diag_len: usize,
        ) {
            let (m, n, lda, ldb) = (wide(m), wide(n), wide(lda), wide(ldb));
            call!($slot, fn(*const c_char, *const c_char, *const c_char, *const c_char, *const I, *const I, *const $t,
                            *const $t, *const I, *mut $t, *const I, usize, usize, usize, usize),
                  side, uplo, transa, diag, &m, &n, alpha, a, &lda, b, &ldb, side_len, uplo_len, transa_len, diag_len)
        }
    };
}

symm_shim!(ssymm, SSYMM, f32);
syrk_shim!(ssyrk, SSYRK, f32, f32);
syr2k_shim!(ssyr2k, SSYR2K, f32, f32);
tri_shim!(strmm, STRMM, f32);
tri_shim!(strsm, STRSM, f32);
symm_shim!(dsymm, DSYMM, f64);
syrk_shim!(dsyrk, DSYRK, f64, f64);
syr2k_shim!(dsyr2k, DSYR2K, f64, f64);
tri_shim!(dtrmm, DTRMM, f64);
tri_shim!(dtrsm, DTRSM, f64);
symm_shim!(csymm, CSYMM, c_void);
symm_shim!(chemm, CHEMM, c_void);
syrk_shim!(csyrk, CSYRK, c_void, c_void);
syrk_shim!(cherk, CHERK, c_void, f32);
syr2k_shim!(csyr2k, CSYR2K, c_void, c_void);
syr2k_shim!(cher2k, CHER2K, c_void, f32);
tri_shim!(ctrmm, CTRMM, c_void);
tri_shim!(ctrsm, CTRSM, c_void);
symm_shim!(zsymm, ZSYMM, c_void);
symm_shim!(zhemm, ZHEMM, c_void);
syrk_shim!(zsyrk, ZSYRK, c_void, c_void);
syrk_shim!(zherk, ZHERK, c_void, f64);
syr2k_shim!(zsyr2k, ZSYR2K, c_void, c_void);
syr2k_shim!(zher2k, ZHER2K, c_void, f64);
tri_shim!(ztrmm, ZTRMM, c_void);
tri_shim!(ztrsm, ZTRSM, c_void);

unsafe extern "C" fn dgesv(
    n: *const c_int, nrhs: *const c_int, a: *mut f64, lda: *const c_int, ipiv: *mut c_int, b: *mut f64,
    ldb: *const c_int, info: *mut c_int,
) {
    let (n, nrhs, lda, ldb) = (wide(n), wide(nrhs), wide(lda), wide(ldb));
    let mut piv = vec![0 as I; n.max(0) as usize];
    let mut inf: I = 0;
    call!(DGESV, fn(*const I, *const I, *mut f64, *const I, *mut I, *mut f64, *const I, *mut I),
          &n, &nrhs, a, &lda, piv.as_mut_ptr(), b, &ldb, &mut inf);
    // SAFETY: IPIV holds n entries (the routine's contract, checked by the
    // exported function before the CPU path runs).
    unsafe { narrow_array(&piv, ipiv) };
    // SAFETY: INFO is a valid pointer (as above).
    unsafe { *info = narrow(inf) };
}

unsafe extern "C" fn dgetrf(m: *const c_int, n: *const c_int, a: *mut f64, lda: *const c_int, ipiv: *mut c_int, info: *mut c_int) {
    let (m, n, lda) = (wide(m), wide(n), wide(lda));
    let mut piv = vec![0 as I; m.min(n).max(0) as usize];
    let mut inf: I = 0;
    call!(DGETRF, fn(*const I, *const I, *mut f64, *const I, *mut I, *mut I), &m, &n, a, &lda, piv.as_mut_ptr(), &mut inf);
    // SAFETY: IPIV holds min(m, n) entries; INFO is valid.
    unsafe {
        narrow_array(&piv, ipiv);
        *info = narrow(inf);
    }
}

unsafe extern "C" fn dpotrf(uplo: *const c_char, n: *const c_int, a: *mut f64, lda: *const c_int, info: *mut c_int, uplo_len: usize) {
    let (n, lda) = (wide(n), wide(lda));
    let mut inf: I = 0;
    call!(DPOTRF, fn(*const c_char, *const I, *mut f64, *const I, *mut I, usize), uplo, &n, a, &lda, &mut inf, uplo_len);
    // SAFETY: INFO is valid.
    unsafe { *info = narrow(inf) };
}

/// DPOTRS (`solve`) and DPOSV: the same argument list.
macro_rules! chol_solve_shim {
    ($name:ident, $slot:ident, $a:ty) => {
        unsafe extern "C" fn $name(
            uplo: *const c_char, n: *const c_int, nrhs: *const c_int, a: $a, lda: *const c_int, b: *mut f64,
            ldb: *const c_int, info: *mut c_int, uplo_len: usize,
        ) {
            let (n, nrhs, lda, ldb) = (wide(n), wide(nrhs), wide(lda), wide(ldb));
            let mut inf: I = 0;
            call!($slot, fn(*const c_char, *const I, *const I, $a, *const I, *mut f64, *const I, *mut I, usize),
                  uplo, &n, &nrhs, a, &lda, b, &ldb, &mut inf, uplo_len);
            // SAFETY: INFO is valid.
            unsafe { *info = narrow(inf) };
        }
    };
}
chol_solve_shim!(dpotrs, DPOTRS, *const f64);
chol_solve_shim!(dposv, DPOSV, *mut f64);

unsafe extern "C" fn dgetrs(
    trans: *const c_char, n: *const c_int, nrhs: *const c_int, a: *const f64, lda: *const c_int, ipiv: *const c_int,
    b: *mut f64, ldb: *const c_int, info: *mut c_int, trans_len: usize,
) {
    let (n, nrhs, lda, ldb) = (wide(n), wide(nrhs), wide(lda), wide(ldb));
    // SAFETY: IPIV holds n entries (DGETRS's contract).
    let piv = unsafe { widen_array(ipiv, n) };
    let mut inf: I = 0;
    call!(DGETRS, fn(*const c_char, *const I, *const I, *const f64, *const I, *const I, *mut f64, *const I, *mut I, usize),
          trans, &n, &nrhs, a, &lda, piv.as_ptr(), b, &ldb, &mut inf, trans_len);
    // SAFETY: INFO is valid.
    unsafe { *info = narrow(inf) };
}

unsafe extern "C" fn dgesvd(
    jobu: *const c_char, jobvt: *const c_char, m: *const c_int, n: *const c_int, a: *mut f64, lda: *const c_int,
    s: *mut f64, u: *mut f64, ldu: *const c_int, vt: *mut f64, ldvt: *const c_int, work: *mut f64, lwork: *const c_int,
    info: *mut c_int, jobu_len: usize, jobvt_len: usize,
) {
    let (m, n, lda, ldu, ldvt, lwork) = (wide(m), wide(n), wide(lda), wide(ldu), wide(ldvt), wide(lwork));
    let mut inf: I = 0;
    call!(DGESVD, fn(*const c_char, *const c_char, *const I, *const I, *mut f64, *const I, *mut f64, *mut f64, *const I,
                     *mut f64, *const I, *mut f64, *const I, *mut I, usize, usize),
          jobu, jobvt, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork, &mut inf, jobu_len, jobvt_len);
    // SAFETY: INFO is valid.
    unsafe { *info = narrow(inf) };
}

unsafe extern "C" fn dgesdd(
    jobz: *const c_char, m: *const c_int, n: *const c_int, a: *mut f64, lda: *const c_int, s: *mut f64, u: *mut f64,
    ldu: *const c_int, vt: *mut f64, ldvt: *const c_int, work: *mut f64, lwork: *const c_int, _iwork: *mut c_int,
    info: *mut c_int, jobz_len: usize,
) {
    let (m, n, lda, ldu, ldvt, lwork) = (wide(m), wide(n), wide(lda), wide(ldu), wide(ldvt), wide(lwork));
    // IWORK is workspace only (its contents on exit are not specified):
    // the ILP64 routine gets its own, of the 8 min(m, n) entries it needs.
    let mut iwork = vec![0 as I; (8 * m.min(n)).max(1) as usize];
    let mut inf: I = 0;
    call!(DGESDD, fn(*const c_char, *const I, *const I, *mut f64, *const I, *mut f64, *mut f64, *const I, *mut f64,
                     *const I, *mut f64, *const I, *mut I, *mut I, usize),
          jobz, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork, iwork.as_mut_ptr(), &mut inf, jobz_len);
    // SAFETY: INFO is valid.
    unsafe { *info = narrow(inf) };
}

unsafe extern "C" fn dgeqrf(
    m: *const c_int, n: *const c_int, a: *mut f64, lda: *const c_int, tau: *mut f64, work: *mut f64, lwork: *const c_int,
    info: *mut c_int,
) {
    let (m, n, lda, lwork) = (wide(m), wide(n), wide(lda), wide(lwork));
    let mut inf: I = 0;
    call!(DGEQRF, fn(*const I, *const I, *mut f64, *const I, *mut f64, *mut f64, *const I, *mut I),
          &m, &n, a, &lda, tau, work, &lwork, &mut inf);
    // SAFETY: INFO is valid.
    unsafe { *info = narrow(inf) };
}

/// Stores `routine`, the ILP64 routine for the LP64 `symbol` ("dgesv_"),
/// and returns the address of the shim that calls it with the table's
/// signature; None for a symbol without a shim (the CPU backend then looks
/// elsewhere for it).
///
/// # Safety
/// `routine` is the Fortran routine named `symbol` of a LAPACK built with
/// 64-bit integers (and gfortran's hidden lengths).
pub(super) unsafe fn install(symbol: &str, routine: *mut c_void) -> Option<*mut c_void> {
    let (slot, shim) = shim(symbol)?;
    // A second library would replace the first for every later call; the
    // backend resolves once per process, one provider per routine.
    slot.0.store(routine, Ordering::Release);
    Some(shim)
}

/// The slot and the shim of the LP64 `symbol`.
fn shim(symbol: &str) -> Option<(&'static Slot, *mut c_void)> {
    Some(match symbol {
        "dgemm_" => (&DGEMM, dgemm as *mut c_void),
        "sgemm_" => (&SGEMM, sgemm as *mut c_void),
        "cgemm_" => (&CGEMM, cgemm as *mut c_void),
        "zgemm_" => (&ZGEMM, zgemm as *mut c_void),
        "ssymm_" => (&SSYMM, ssymm as *mut c_void),
        "ssyrk_" => (&SSYRK, ssyrk as *mut c_void),
        "ssyr2k_" => (&SSYR2K, ssyr2k as *mut c_void),
        "strmm_" => (&STRMM, strmm as *mut c_void),
        "strsm_" => (&STRSM, strsm as *mut c_void),
        "dsymm_" => (&DSYMM, dsymm as *mut c_void),
        "dsyrk_" => (&DSYRK, dsyrk as *mut c_void),
        "dsyr2k_" => (&DSYR2K, dsyr2k as *mut c_void),
        "dtrmm_" => (&DTRMM, dtrmm as *mut c_void),
        "dtrsm_" => (&DTRSM, dtrsm as *mut c_void),
        "csymm_" => (&CSYMM, csymm as *mut c_void),
        "chemm_" => (&CHEMM, chemm as *mut c_void),
        "csyrk_" => (&CSYRK, csyrk as *mut c_void),
        "cherk_" => (&CHERK, cherk as *mut c_void),
        "csyr2k_" => (&CSYR2K, csyr2k as *mut c_void),
        "cher2k_" => (&CHER2K, cher2k as *mut c_void),
        "ctrmm_" => (&CTRMM, ctrmm as *mut c_void),
        "ctrsm_" => (&CTRSM, ctrsm as *mut c_void),
        "zsymm_" => (&ZSYMM, zsymm as *mut c_void),
        "zhemm_" => (&ZHEMM, zhemm as *mut c_void),
        "zsyrk_" => (&ZSYRK, zsyrk as *mut c_void),
        "zherk_" => (&ZHERK, zherk as *mut c_void),
        "zsyr2k_" => (&ZSYR2K, zsyr2k as *mut c_void),
        "zher2k_" => (&ZHER2K, zher2k as *mut c_void),
        "ztrmm_" => (&ZTRMM, ztrmm as *mut c_void),
        "ztrsm_" => (&ZTRSM, ztrsm as *mut c_void),
        "dgesv_" => (&DGESV, dgesv as *mut c_void),
        "dgetrf_" => (&DGETRF, dgetrf as *mut c_void),
        "dgetrs_" => (&DGETRS, dgetrs as *mut c_void),
        "dpotrf_" => (&DPOTRF, dpotrf as *mut c_void),
        "dpotrs_" => (&DPOTRS, dpotrs as *mut c_void),
        "dposv_" => (&DPOSV, dposv as *mut c_void),
        "dgesvd_" => (&DGESVD, dgesvd as *mut c_void),
        "dgesdd_" => (&DGESDD, dgesdd as *mut c_void),
        "dgeqrf_" => (&DGEQRF, dgeqrf as *mut c_void),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_cpu_routine_has_a_shim() {
        for &symbol in super::super::CpuLapack::SYMBOLS {
            assert!(super::shim(symbol).is_some(), "{symbol} has no ILP64 shim");
        }
    }
}
