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

pub mod bundled;
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
        interposed { $( $(#[$doc:meta])* $name:ident $sym:literal $family:ident $cpu:ident ( $($arg:ident : $ty:ty),* $(,)? ); )* }
        extensions { $( $(#[$xdoc:meta])* $xname:ident $xsym:literal $xfamily:ident $xcpu:ident; )* }
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
                    self.$cpu = Resolved { f: unsafe { std::mem::transmute::<*mut c_void, _>(found.addr) }, provider: found.provider };
                    return;
                } )*
                $( if symbol == concat!(stringify!($hcpu), "_") {
                    self.$hcpu = Resolved { f: unsafe { std::mem::transmute::<*mut c_void, _>(found.addr) }, provider: found.provider };
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
