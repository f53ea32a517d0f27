//! The SVD family: `dgesvd_`, `dgesdd_`, `dgesvdocl_` and
//! `lapack_ai_dgesvdocl` ([`exports`]), their argument checks ([`check`]),
//! their cost terms ([`cost`]), and the GPU SVD: the drivers' semantics
//! ([`driver`]: jobs, m < n, scaling), the two-stage SVD ([`gpu`]: dense to
//! band on the device, the bulge chase on the host ([`bulge`], its
//! back-transformation kernels in bulge.cl beside this file), the parallel
//! bidiagonal divide and conquer ([`bdsdc`]) and the back-transformations).
//! The CPU call is the CPU LAPACK's DGESVD or DGESDD.

pub mod bdsdc;
pub mod bulge;
pub mod check;
pub mod cost;
pub mod driver;
pub mod exports;
pub mod gpu;
pub mod lapacke;
