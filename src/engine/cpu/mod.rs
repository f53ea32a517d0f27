//! The CPU LAPACK that calls run on when they do not go to the GPU.
//!
//! Resolved once per process, at first use, per routine, first that exists
//! (README.md, "Which CPU LAPACK runs a call"):
//! 1. `LAPACK_AI_CPU_LIB=/path/libX.so`, opened with `RTLD_LOCAL` (or
//!    `LAPACK_AI_CPU_LIB=bundled`, which skips to 3);
//! 2. the next definition in the process: `dlsym(RTLD_NEXT)`, else an object
//!    already loaded that defines the symbol and is not this library (the
//!    case of a LAPACK loaded under a module opened with `RTLD_LOCAL`, as
//!    Python, R and MATLAB extensions are);
//! 3. a LAPACK already loaded under other names: NumPy's wheels carry
//!    OpenBLAS as `scipy_dgesdd_64_`, with 64-bit integers, called through
//!    [`ilp64`]'s shims (the integer width is measured, not guessed from
//!    the name);
//! 4. the machine's LAPACK, opened privately: OpenBLAS, FlexiBLAS, MKL,
//!    libFLAME, `liblapack.so.3`, the first that has the routine (a program
//!    linked against this library alone, or pip's NumPy without its
//!    wheel's OpenBLAS in reach, is never left on the reference);
//! 5. the bundled netlib reference ([`bundled`]).
//!
//! Every function is called with gfortran's hidden CHARACTER lengths, so a
//! Fortran LAPACK built with any gfortran >= 8 receives what it expects.

pub mod bundled;
mod ilp64;
mod resolve;
pub mod xerbla;

use crate::runtime::config::CONFIG;
use once_cell::sync::Lazy;
use std::ffi::c_void;
use std::os::raw::{c_char, c_int};

/// A resolved routine and where it came from ("libblas.so.3", "bundled").
pub struct Resolved<F> {
    pub f: F,
    pub provider: String,
}

/// Expands the table (src/routines.rs) into [`CpuLapack`]: one field per
/// CPU routine (the interposed routines' and the host steps'), the bundled
/// reference's as defaults, and lookup by symbol.
macro_rules! cpu_lapack {
    (
        interposed { $( $(#[$doc:meta])* $name:ident $sym:literal $prec:ident $family:ident $cpu:ident ( $($arg:ident : $ty:ty),* $(,)? ); )* }
        extensions { $( $(#[$xdoc:meta])* $xname:ident $xsym:literal $xprec:ident $xfamily:ident $xcpu:ident; )* }
        host { $( $(#[$hdoc:meta])* $hcpu:ident ( $($harg:ident : $hty:ty),* $(,)? ); )* }
        api { $( $api:literal ),* $(,)? }
    ) => {
        /// The CPU LAPACK of this process: each routine the library calls on
        /// the CPU, resolved ([`CPU`]).
        pub struct CpuLapack {
            $( $(#[$doc])* pub $cpu: Resolved<unsafe extern "C" fn($($arg: $ty),*)>, )*
            $( $(#[$hdoc])* pub $hcpu: Resolved<unsafe extern "C" fn($($harg: $hty),*)>, )*
        }

        impl CpuLapack {
            /// The symbols of the CPU routines, in the table's order.
            pub const SYMBOLS: &'static [&'static str] =
                &[$(concat!(stringify!($cpu), "_"),)* $(concat!(stringify!($hcpu), "_"),)*];

            /// The bundled reference for every routine.
            pub fn bundled() -> CpuLapack {
                CpuLapack {
                    $( $cpu: Resolved { f: bundled::$cpu, provider: "bundled".into() }, )*
                    $( $hcpu: Resolved { f: bundled::$hcpu, provider: "bundled".into() }, )*
                }
            }

            /// Where the routine `symbol` ("dgemm_") comes from, for the log.
            pub fn provider(&self, symbol: &str) -> &str {
                $( if symbol == concat!(stringify!($cpu), "_") { return &self.$cpu.provider; } )*
                $( if symbol == concat!(stringify!($hcpu), "_") { return &self.$hcpu.provider; } )*
                "none"
            }

            /// Uses the routine found at `found` for `symbol`.
            ///
            /// # Safety
            /// `found.addr` is the Fortran routine named `symbol`, with the
            /// ABI the table gives it.
            unsafe fn set(&mut self, symbol: &str, found: resolve::Found) {
                // SAFETY (each transmute): the caller's guarantee; a pointer
                // to a function of the table's signature.
                $( if symbol == concat!(stringify!($cpu), "_") {
                    self.$cpu = Resolved {
                        f: unsafe { std::mem::transmute::<*mut c_void, unsafe extern "C" fn($($arg: $ty),*)>(found.addr) },
                        provider: found.provider,
                    };
                    return;
                } )*
                $( if symbol == concat!(stringify!($hcpu), "_") {
                    self.$hcpu = Resolved {
                        f: unsafe { std::mem::transmute::<*mut c_void, unsafe extern "C" fn($($harg: $hty),*)>(found.addr) },
                        provider: found.provider,
                    };
                } )*
            }
        }
    };
}
crate::routines::for_each_routine!(cpu_lapack);

/// The process's CPU LAPACK, resolved at first use.
pub static CPU: Lazy<CpuLapack> = Lazy::new(|| {
    bundled::set_xerbla_hook(xerbla::from_bundled);
    resolve::resolve(&CONFIG.cpu_lib)
});

/// The smallest thread stack on which an OpenBLAS LU runs: OpenBLAS's
/// threaded DGETRF (getrf_parallel) keeps a work array of about 0.5 MB on
/// the stack at each level of its recursion in builds for 64 threads
/// (Debian's, NumPy's wheels), so a thread with Rust's default 2 MiB
/// stack (Java's: 1 MiB) overflows at the fourth level (seen in
/// tests/gpu_lu.rs; OpenBLAS's issues 1082 and 3229). The main thread
/// and default POSIX threads have 8 MiB.
const OPENBLAS_LU_STACK: usize = 6 << 20;

/// Whether the CPU routine `symbol` (an LU: `dgesv_`, `dgetrf_`) must run
/// on the bundled reference on this thread, because its provider is an
/// OpenBLAS and the thread's stack is too small for it (see
/// [`OPENBLAS_LU_STACK`]): slower there, never a crash. The program's own
/// OpenBLAS gets the same protection as one this library opened.
pub fn lu_on_reference_here(symbol: &str) -> bool {
    matches!(symbol, "dgesv_" | "dgetrf_")
        && CPU.provider(symbol).contains("openblas")
        && thread_stack_bytes() < OPENBLAS_LU_STACK
}

/// Where the CPU routine `symbol` runs when called on this thread, for
/// the log: its provider, or the bundled reference for an LU that this
/// thread's stack is too small for.
pub fn provider_here(symbol: &str) -> std::borrow::Cow<'static, str> {
    let provider = CPU.provider(symbol);
    if lu_on_reference_here(symbol) {
        return format!("bundled: this thread's {} KiB stack is too small for {provider}", thread_stack_bytes() >> 10).into();
    }
    provider.into()
}

/// The size of this thread's stack, asked once per thread (usize::MAX if
/// it cannot be told).
fn thread_stack_bytes() -> usize {
    thread_local!(static STACK: std::cell::Cell<usize> = const { std::cell::Cell::new(0) });
    STACK.with(|known| {
        if known.get() == 0 {
            known.set(ask_stack_bytes());
        }
        known.get()
    })
}

fn ask_stack_bytes() -> usize {
    // SAFETY: pthread_attr_t is plain data, initialized by
    // pthread_getattr_np before it is read and destroyed after.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return usize::MAX;
        }
        let mut size = 0usize;
        let ok = libc::pthread_attr_getstacksize(&attr, &mut size) == 0;
        libc::pthread_attr_destroy(&mut attr);
        if ok && size > 0 {
            size
        } else {
            usize::MAX
        }
    }
}

/// The CPU LAPACK's routines on views (src/matrix.rs): the argument lists
/// follow from the views, so these are safe to call.
pub mod on_views {
    use super::CPU;
    use crate::matrix::{MatMut, MatRef};
    use std::os::raw::{c_char, c_int};

    fn int(x: usize) -> c_int {
        x as c_int
    }

    /// `C := alpha op(A) op(B) + beta C` (op transposes when `trans_*`),
    /// C `m x n`, op(A) `m x k`, op(B) `k x n` as the views give them.
    pub fn dgemm(trans_a: bool, trans_b: bool, alpha: f64, a: MatRef<'_>, b: MatRef<'_>, beta: f64, mut c: MatMut<'_>) {
        let (m, n) = (c.rows(), c.cols());
        let k = if trans_a { a.rows() } else { a.cols() };
        assert_eq!((if trans_a { a.cols() } else { a.rows() }, if trans_b { (b.cols(), b.rows()) } else { (b.rows(), b.cols()) }), (m, (k, n)));
        if m == 0 || n == 0 {
            return;
        }
        let t = |x: bool| if x { b'T' } else { b'N' } as c_char;
        let (ta, tb) = (t(trans_a), t(trans_b));
        let (mi, ni, ki) = (int(m), int(n), int(k));
        let (lda, ldb, ldc) = (int(a.ld()), int(b.ld()), int(c.ld()));
        // SAFETY: the views hold matrices of the shapes passed, with their
        // leading dimensions (src/matrix.rs); hidden lengths 1.
        unsafe { (CPU.dgemm.f)(&ta, &tb, &mi, &ni, &ki, &alpha, a.as_ptr(), &lda, b.as_ptr(), &ldb, &beta, c.as_mut_ptr(), &ldc, 1, 1) };
    }

    /// DPOTRF of the n x n A's `uplo` triangle; returns INFO.
    pub fn dpotrf(uplo: u8, mut a: MatMut<'_>) -> c_int {
        let (n, lda) = (int(a.rows()), int(a.ld()));
        let mut info = 0;
        // SAFETY: the view holds the matrix; UPLO is one character.
        unsafe { (CPU.dpotrf.f)(&(uplo as c_char), &n, a.as_mut_ptr(), &lda, &mut info, 1) };
        info
    }

    /// DPOTRS with DPOTRF's factor in the n x n A, X over B; returns INFO.
    pub fn dpotrs(uplo: u8, a: MatRef<'_>, mut b: MatMut<'_>) -> c_int {
        let (n, nrhs, lda, ldb) = (int(a.rows()), int(b.cols()), int(a.ld()), int(b.ld()));
        let mut info = 0;
        // SAFETY: the views hold A (n x n) and B (n x nrhs).
        unsafe { (CPU.dpotrs.f)(&(uplo as c_char), &n, &nrhs, a.as_ptr(), &lda, b.as_mut_ptr(), &ldb, &mut info, 1) };
        info
    }

    /// DPOSV of the n x n A and B (n x nrhs); returns INFO.
    pub fn dposv(uplo: u8, mut a: MatMut<'_>, mut b: MatMut<'_>) -> c_int {
        let (n, nrhs, lda, ldb) = (int(a.rows()), int(b.cols()), int(a.ld()), int(b.ld()));
        let mut info = 0;
        // SAFETY: the views hold A (n x n) and B (n x nrhs).
        unsafe { (CPU.dposv.f)(&(uplo as c_char), &n, &nrhs, a.as_mut_ptr(), &lda, b.as_mut_ptr(), &ldb, &mut info, 1) };
        info
    }

    /// DGETRF of A (`m x n`) with `min(m, n)` pivots; returns INFO.
    pub fn dgetrf(mut a: MatMut<'_>, ipiv: &mut [c_int]) -> c_int {
        let (m, n, lda) = (int(a.rows()), int(a.cols()), int(a.ld()));
        assert!(ipiv.len() >= a.rows().min(a.cols()));
        let mut info = 0;
        let f = if super::lu_on_reference_here("dgetrf_") { super::bundled::dgetrf } else { CPU.dgetrf.f };
        // SAFETY: the view holds the matrix; IPIV holds min(m, n) entries.
        unsafe { f(&m, &n, a.as_mut_ptr(), &lda, ipiv.as_mut_ptr(), &mut info) };
        info
    }

    /// DGETRS of `op(A) X = B` with DGETRF's factors of the `n x n` A and
    /// its pivots, X over B; returns INFO.
    pub fn dgetrs(trans: u8, a: MatRef<'_>, ipiv: &[c_int], mut b: MatMut<'_>) -> c_int {
        let (n, nrhs, lda, ldb) = (int(a.rows()), int(b.cols()), int(a.ld()), int(b.ld()));
        assert!(a.cols() == a.rows() && b.rows() == a.rows() && ipiv.len() >= a.rows());
        let tc = trans as c_char;
        let mut info = 0;
        // SAFETY: the views hold the matrices; IPIV holds n entries; hidden
        // length 1.
        unsafe { (CPU.dgetrs.f)(&tc, &n, &nrhs, a.as_ptr(), &lda, ipiv.as_ptr(), b.as_mut_ptr(), &ldb, &mut info, 1) };
        info
    }

    /// DGESV of `A X = B` (A `n x n`), the factors over A, X over B;
    /// returns INFO.
    pub fn dgesv(mut a: MatMut<'_>, ipiv: &mut [c_int], mut b: MatMut<'_>) -> c_int {
        let (n, nrhs, lda, ldb) = (int(a.rows()), int(b.cols()), int(a.ld()), int(b.ld()));
        assert!(a.cols() == a.rows() && b.rows() == a.rows() && ipiv.len() >= a.rows());
        let mut info = 0;
        // SAFETY: the views hold the matrices; IPIV holds n entries.
        let f = if super::lu_on_reference_here("dgesv_") { super::bundled::dgesv } else { CPU.dgesv.f };
        // SAFETY: as above.
        unsafe { f(&n, &nrhs, a.as_mut_ptr(), &lda, ipiv.as_mut_ptr(), b.as_mut_ptr(), &ldb, &mut info) };
        info
    }

    /// DGESVD of A (`m x n`) with JOBU and JOBVT `jobs`: S (min(m, n)
    /// values), U and VT of the shapes the jobs write (views of nothing,
    /// with the caller's leading dimension, where they write none), WORK
    /// of LWORK elements; returns INFO.
    pub fn dgesvd(jobs: (u8, u8), mut a: MatMut<'_>, s: &mut [f64], mut u: MatMut<'_>, mut vt: MatMut<'_>, work: &mut [f64]) -> c_int {
        let (m, n, lda, ldu, ldvt) = (int(a.rows()), int(a.cols()), int(a.ld()), int(u.ld()), int(vt.ld()));
        assert!(s.len() >= a.rows().min(a.cols()) && !work.is_empty());
        let (ju, jv, lwork) = (jobs.0 as c_char, jobs.1 as c_char, int(work.len()));
        let mut info = 0;
        // SAFETY: the views hold the matrices the jobs write, the slices S
        // and LWORK elements of WORK; hidden lengths 1.
        unsafe {
            (CPU.dgesvd.f)(
                &ju, &jv, &m, &n, a.as_mut_ptr(), &lda, s.as_mut_ptr(), u.as_mut_ptr(), &ldu, vt.as_mut_ptr(), &ldvt,
                work.as_mut_ptr(), &lwork, &mut info, 1, 1,
            )
        };
        info
    }

    /// DGESDD of A (`m x n`) with JOBZ `jobz`: as [`dgesvd`], and IWORK of
    /// 8 min(m, n) entries; returns INFO.
    pub fn dgesdd(
        jobz: u8, mut a: MatMut<'_>, s: &mut [f64], mut u: MatMut<'_>, mut vt: MatMut<'_>, work: &mut [f64], iwork: &mut [c_int],
    ) -> c_int {
        let (m, n, lda, ldu, ldvt) = (int(a.rows()), int(a.cols()), int(a.ld()), int(u.ld()), int(vt.ld()));
        let k = a.rows().min(a.cols());
        assert!(s.len() >= k && !work.is_empty() && iwork.len() >= 8 * k);
        let (jz, lwork) = (jobz as c_char, int(work.len()));
        let mut info = 0;
        // SAFETY: as in dgesvd; IWORK holds 8 min(m, n) entries; hidden
        // length 1.
        unsafe {
            (CPU.dgesdd.f)(
                &jz, &m, &n, a.as_mut_ptr(), &lda, s.as_mut_ptr(), u.as_mut_ptr(), &ldu, vt.as_mut_ptr(), &ldvt,
                work.as_mut_ptr(), &lwork, iwork.as_mut_ptr(), &mut info, 1,
            )
        };
        info
    }
}
