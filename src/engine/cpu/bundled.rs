//! The bundled netlib reference (double precision, and the Level-3 BLAS of
//! the other precisions), built by build.rs with
//! every symbol renamed `lapack_ai_netlib_<name>` and kept local to
//! liblapack_ai.so. It is the CPU LAPACK of last resort, and the reference
//! that the crate's tests compare against.

use std::ffi::c_void;
use std::os::raw::{c_char, c_int};

/// The XERBLA hook of csrc/netlib_xerbla.c.
pub type XerblaHook = unsafe extern "C" fn(srname: *const c_char, len: usize, info: c_int);

extern "C" {
    fn lapack_ai_netlib_set_xerbla_hook(hook: XerblaHook);
}

/// Declares the table's CPU routines (src/routines.rs) as the bundled copy
/// defines them: `dgemm` is `lapack_ai_netlib_dgemm_`.
macro_rules! bundled_routines {
    (
        interposed { $( $(#[$doc:meta])* $name:ident $sym:literal $prec:ident $family:ident $cpu:ident ( $($arg:ident : $ty:ty),* $(,)? ); )* }
        extensions { $( $(#[$xdoc:meta])* $xname:ident $xsym:literal $xprec:ident $xfamily:ident $xcpu:ident; )* }
        host { $( $(#[$hdoc:meta])* $hcpu:ident ( $($harg:ident : $hty:ty),* $(,)? ); )* }
        api { $( $api:literal ),* $(,)? }
    ) => {
        extern "C" {
            $( $(#[$doc])* #[link_name = concat!("lapack_ai_netlib_", stringify!($cpu), "_")] pub fn $cpu($($arg: $ty),*); )*
            $( $(#[$hdoc])* #[link_name = concat!("lapack_ai_netlib_", stringify!($hcpu), "_")] pub fn $hcpu($($harg: $hty),*); )*
        }
    };
}
crate::routines::for_each_routine!(bundled_routines);

/// Routes the bundled copy's XERBLA calls to `hook`.
pub fn set_xerbla_hook(hook: XerblaHook) {
    // SAFETY: the C function only stores the pointer atomically.
    unsafe { lapack_ai_netlib_set_xerbla_hook(hook) }
}

/// Routines of the bundled copy that the GPU drivers run on the host for
/// their small steps (panel factorizations, the bidiagonal SVD). Reference
/// LAPACK 3.12 arguments, gfortran hidden lengths last.
pub mod routines {
    use std::os::raw::{c_char, c_int};

    extern "C" {
        #[link_name = "lapack_ai_netlib_dtrsm_"]
        pub fn dtrsm(
            side: *const c_char, uplo: *const c_char, transa: *const c_char, diag: *const c_char, m: *const c_int,
            n: *const c_int, alpha: *const f64, a: *const f64, lda: *const c_int, b: *mut f64, ldb: *const c_int,
            side_len: usize, uplo_len: usize, transa_len: usize, diag_len: usize,
        );
        #[link_name = "lapack_ai_netlib_dtrtri_"]
        pub fn dtrtri(
            uplo: *const c_char, diag: *const c_char, n: *const c_int, a: *mut f64, lda: *const c_int, info: *mut c_int,
            uplo_len: usize, diag_len: usize,
        );
        #[link_name = "lapack_ai_netlib_dlaswp_"]
        pub fn dlaswp(
            n: *const c_int, a: *mut f64, lda: *const c_int, k1: *const c_int, k2: *const c_int, ipiv: *const c_int,
            incx: *const c_int,
        );
        #[link_name = "lapack_ai_netlib_dscal_"]
        pub fn dscal(n: *const c_int, da: *const f64, dx: *mut f64, incx: *const c_int);
        #[link_name = "lapack_ai_netlib_dlarfg_"]
        pub fn dlarfg(n: *const c_int, alpha: *mut f64, x: *mut f64, incx: *const c_int, tau: *mut f64);
        #[link_name = "lapack_ai_netlib_dgebrd_"]
        pub fn dgebrd(
            m: *const c_int, n: *const c_int, a: *mut f64, lda: *const c_int, d: *mut f64, e: *mut f64,
            tauq: *mut f64, taup: *mut f64, work: *mut f64, lwork: *const c_int, info: *mut c_int,
        );
        #[link_name = "lapack_ai_netlib_dbdsqr_"]
        pub fn dbdsqr(
            uplo: *const c_char, n: *const c_int, ncvt: *const c_int, nru: *const c_int, ncc: *const c_int,
            d: *mut f64, e: *mut f64, vt: *mut f64, ldvt: *const c_int, u: *mut f64, ldu: *const c_int,
            c: *mut f64, ldc: *const c_int, work: *mut f64, info: *mut c_int, uplo_len: usize,
        );
        #[link_name = "lapack_ai_netlib_dbdsdc_"]
        pub fn dbdsdc(
            uplo: *const c_char, compq: *const c_char, n: *const c_int, d: *mut f64, e: *mut f64, u: *mut f64,
            ldu: *const c_int, vt: *mut f64, ldvt: *const c_int, q: *mut f64, iq: *mut c_int, work: *mut f64,
            iwork: *mut c_int, info: *mut c_int, uplo_len: usize, compq_len: usize,
        );
        #[link_name = "lapack_ai_netlib_dlascl_"]
        pub fn dlascl(
            kind: *const c_char, kl: *const c_int, ku: *const c_int, cfrom: *const f64, cto: *const f64,
            m: *const c_int, n: *const c_int, a: *mut f64, lda: *const c_int, info: *mut c_int, kind_len: usize,
        );
        #[link_name = "lapack_ai_netlib_dlamch_"]
        pub fn dlamch(cmach: *const c_char, cmach_len: usize) -> f64;
        #[link_name = "lapack_ai_netlib_dlanst_"]
        pub fn dlanst(norm: *const c_char, n: *const c_int, d: *const f64, e: *const f64, norm_len: usize) -> f64;
        #[link_name = "lapack_ai_netlib_dlaset_"]
        pub fn dlaset(
            uplo: *const c_char, m: *const c_int, n: *const c_int, alpha: *const f64, beta: *const f64, a: *mut f64,
            lda: *const c_int, uplo_len: usize,
        );
        #[link_name = "lapack_ai_netlib_dlacpy_"]
        pub fn dlacpy(
            uplo: *const c_char, m: *const c_int, n: *const c_int, a: *const f64, lda: *const c_int, b: *mut f64,
            ldb: *const c_int, uplo_len: usize,
        );
        #[link_name = "lapack_ai_netlib_dcopy_"]
        pub fn dcopy(n: *const c_int, x: *const f64, incx: *const c_int, y: *mut f64, incy: *const c_int);
        #[link_name = "lapack_ai_netlib_dswap_"]
        pub fn dswap(n: *const c_int, x: *mut f64, incx: *const c_int, y: *mut f64, incy: *const c_int);
        #[link_name = "lapack_ai_netlib_dnrm2_"]
        pub fn dnrm2(n: *const c_int, x: *const f64, incx: *const c_int) -> f64;
        #[link_name = "lapack_ai_netlib_dlasdq_"]
        pub fn dlasdq(
            uplo: *const c_char, sqre: *const c_int, n: *const c_int, ncvt: *const c_int, nru: *const c_int,
            ncc: *const c_int, d: *mut f64, e: *mut f64, vt: *mut f64, ldvt: *const c_int, u: *mut f64,
            ldu: *const c_int, c: *mut f64, ldc: *const c_int, work: *mut f64, info: *mut c_int, uplo_len: usize,
        );
        #[link_name = "lapack_ai_netlib_dlasdt_"]
        pub fn dlasdt(
            n: *const c_int, lvl: *mut c_int, nd: *mut c_int, inode: *mut c_int, ndiml: *mut c_int,
            ndimr: *mut c_int, msub: *const c_int,
        );
        #[link_name = "lapack_ai_netlib_dlasd2_"]
        pub fn dlasd2(
            nl: *const c_int, nr: *const c_int, sqre: *const c_int, k: *mut c_int, d: *mut f64, z: *mut f64,
            alpha: *const f64, beta: *const f64, u: *mut f64, ldu: *const c_int, vt: *mut f64, ldvt: *const c_int,
            dsigma: *mut f64, u2: *mut f64, ldu2: *const c_int, vt2: *mut f64, ldvt2: *const c_int,
            idxp: *mut c_int, idx: *mut c_int, idxc: *mut c_int, idxq: *mut c_int, coltyp: *mut c_int,
            info: *mut c_int,
        );
        #[link_name = "lapack_ai_netlib_dlasd4_"]
        pub fn dlasd4(
            n: *const c_int, i: *const c_int, d: *const f64, z: *const f64, delta: *mut f64, rho: *const f64,
            sigma: *mut f64, work: *mut f64, info: *mut c_int,
        );
        #[link_name = "lapack_ai_netlib_dlapy2_"]
        pub fn dlapy2(x: *const f64, y: *const f64) -> f64;
        #[link_name = "lapack_ai_netlib_drot_"]
        pub fn drot(n: *const c_int, x: *mut f64, incx: *const c_int, y: *mut f64, incy: *const c_int, c: *const f64, s: *const f64);
        #[link_name = "lapack_ai_netlib_dlamrg_"]
        pub fn dlamrg(n1: *const c_int, n2: *const c_int, a: *const f64, dtrd1: *const c_int, dtrd2: *const c_int, index: *mut c_int);
    }
}
