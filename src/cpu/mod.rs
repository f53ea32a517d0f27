//! The CPU LAPACK that calls run on when they do not go to the GPU.
//!
//! Resolved once per process, at first use, per routine, first that exists
//! (DESIGN.md, "CPU backend"):
//! 1. `LAPACK_AI_CPU_LIB=/path/libX.so`, opened with `RTLD_LOCAL` (or
//!    `LAPACK_AI_CPU_LIB=bundled`, which skips to 3);
//! 2. the next definition in the process: `dlsym(RTLD_NEXT)`, else an object
//!    already loaded that defines the symbol and is not this library (the
//!    case of a LAPACK loaded under a module opened with `RTLD_LOCAL`, as
//!    Python, R and MATLAB extensions are);
//! 3. the bundled netlib reference ([`bundled`]).
//!
//! Every function is called with gfortran's hidden CHARACTER lengths, so a
//! Fortran LAPACK built with any gfortran >= 8 receives what it expects.

pub mod bdsdc;
pub mod bulge;
pub mod bundled;
mod resolve;
pub mod xerbla;

use crate::dispatch::config::CONFIG;
use once_cell::sync::Lazy;
use std::os::raw::{c_char, c_int};

pub type DgemmFn = unsafe extern "C" fn(
    transa: *const c_char, transb: *const c_char, m: *const c_int, n: *const c_int, k: *const c_int,
    alpha: *const f64, a: *const f64, lda: *const c_int, b: *const f64, ldb: *const c_int,
    beta: *const f64, c: *mut f64, ldc: *const c_int, transa_len: usize, transb_len: usize,
);
pub type DgesvFn = unsafe extern "C" fn(
    n: *const c_int, nrhs: *const c_int, a: *mut f64, lda: *const c_int, ipiv: *mut c_int,
    b: *mut f64, ldb: *const c_int, info: *mut c_int,
);
pub type DgesvdFn = unsafe extern "C" fn(
    jobu: *const c_char, jobvt: *const c_char, m: *const c_int, n: *const c_int, a: *mut f64,
    lda: *const c_int, s: *mut f64, u: *mut f64, ldu: *const c_int, vt: *mut f64, ldvt: *const c_int,
    work: *mut f64, lwork: *const c_int, info: *mut c_int, jobu_len: usize, jobvt_len: usize,
);
pub type DgetrfFn = unsafe extern "C" fn(
    m: *const c_int, n: *const c_int, a: *mut f64, lda: *const c_int, ipiv: *mut c_int, info: *mut c_int,
);
pub type DgetrsFn = unsafe extern "C" fn(
    trans: *const c_char, n: *const c_int, nrhs: *const c_int, a: *const f64, lda: *const c_int,
    ipiv: *const c_int, b: *mut f64, ldb: *const c_int, info: *mut c_int, trans_len: usize,
);
pub type DgesddFn = unsafe extern "C" fn(
    jobz: *const c_char, m: *const c_int, n: *const c_int, a: *mut f64, lda: *const c_int, s: *mut f64,
    u: *mut f64, ldu: *const c_int, vt: *mut f64, ldvt: *const c_int, work: *mut f64,
    lwork: *const c_int, iwork: *mut c_int, info: *mut c_int, jobz_len: usize,
);

pub type DgeqrfFn = unsafe extern "C" fn(
    m: *const c_int, n: *const c_int, a: *mut f64, lda: *const c_int, tau: *mut f64, work: *mut f64,
    lwork: *const c_int, info: *mut c_int,
);

/// The CPU routines the library calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Symbol {
    Dgemm,
    Dgesv,
    Dgesvd,
    Dgesdd,
    Dgetrf,
    Dgetrs,
    /// The panel QR factorizations of the GPU SVD's band reduction, on
    /// the host.
    Dgeqrf,
}

impl Symbol {
    pub const ALL: [Symbol; 7] = [
        Symbol::Dgemm, Symbol::Dgesv, Symbol::Dgesvd, Symbol::Dgesdd, Symbol::Dgetrf, Symbol::Dgetrs, Symbol::Dgeqrf,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Symbol::Dgemm => "dgemm_",
            Symbol::Dgesv => "dgesv_",
            Symbol::Dgesvd => "dgesvd_",
            Symbol::Dgesdd => "dgesdd_",
            Symbol::Dgetrf => "dgetrf_",
            Symbol::Dgetrs => "dgetrs_",
            Symbol::Dgeqrf => "dgeqrf_",
        }
    }
}

/// A resolved routine and where it came from ("libblas.so.3", "bundled").
pub struct Resolved<F> {
    pub f: F,
    pub provider: String,
}

/// The CPU LAPACK of this process.
pub struct CpuLapack {
    pub dgemm: Resolved<DgemmFn>,
    pub dgesv: Resolved<DgesvFn>,
    pub dgesvd: Resolved<DgesvdFn>,
    pub dgesdd: Resolved<DgesddFn>,
    pub dgetrf: Resolved<DgetrfFn>,
    pub dgetrs: Resolved<DgetrsFn>,
    pub dgeqrf: Resolved<DgeqrfFn>,
}

impl CpuLapack {
    /// The bundled reference for every routine.
    pub fn bundled() -> CpuLapack {
        CpuLapack {
            dgemm: Resolved { f: bundled::DGEMM, provider: "bundled".into() },
            dgesv: Resolved { f: bundled::DGESV, provider: "bundled".into() },
            dgesvd: Resolved { f: bundled::DGESVD, provider: "bundled".into() },
            dgesdd: Resolved { f: bundled::DGESDD, provider: "bundled".into() },
            dgetrf: Resolved { f: bundled::DGETRF, provider: "bundled".into() },
            dgetrs: Resolved { f: bundled::DGETRS, provider: "bundled".into() },
            dgeqrf: Resolved { f: bundled::routines::dgeqrf, provider: "bundled".into() },
        }
    }

    /// Where `symbol` comes from, for the log.
    pub fn provider(&self, symbol: Symbol) -> &str {
        match symbol {
            Symbol::Dgemm => &self.dgemm.provider,
            Symbol::Dgesv => &self.dgesv.provider,
            Symbol::Dgesvd => &self.dgesvd.provider,
            Symbol::Dgesdd => &self.dgesdd.provider,
            Symbol::Dgetrf => &self.dgetrf.provider,
            Symbol::Dgetrs => &self.dgetrs.provider,
            Symbol::Dgeqrf => &self.dgeqrf.provider,
        }
    }
}

/// The process's CPU LAPACK, resolved at first use.
pub static CPU: Lazy<CpuLapack> = Lazy::new(|| {
    bundled::set_xerbla_hook(xerbla::from_bundled);
    resolve::resolve(&CONFIG.cpu_lib)
});
