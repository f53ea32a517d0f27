//! The Cholesky family: `dpotrf_`, `dpotrs_`, `dposv_` ([`exports`]), their
//! argument checks ([`check`]), their cost terms ([`cost`]), and the GPU
//! Cholesky factorization ([`gpu`]: a blocked right-looking factorization
//! on the device, diagonal blocks on the host). The CPU call is the CPU
//! LAPACK's routine of the same name.

pub mod check;
pub mod cost;
pub mod exports;
pub mod gpu;
