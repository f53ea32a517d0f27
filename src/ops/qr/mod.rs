//! The QR family: `dgeqrf_` ([`exports`]), its argument checks
//! ([`check`]), its cost terms ([`cost`]), and the GPU QR factorization
//! ([`gpu`]: blocked Householder QR on a device-resident matrix, the
//! panels factored on the host). The CPU call is the CPU LAPACK's routine
//! of the same name.

pub mod check;
pub mod cost;
pub mod exports;
pub mod gpu;
