//! The Cholesky family: `dpotrf_`, `dpotrs_`, `dposv_` ([`exports`]), their
//! argument checks ([`check`]), their cost terms ([`cost`]), and the GPU
//! Cholesky ([`gpu`]: a blocked right-looking factorization on the device,
//! diagonal blocks on the host; the solves as block substitutions). The
//! CPU call is the CPU LAPACK's routine of the same name.

pub mod check;
pub mod cost;
pub mod exports;
pub mod gpu;
