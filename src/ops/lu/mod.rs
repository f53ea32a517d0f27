//! The LU family: `dgesv_`, `dgetrf_`, `dgetrs_` ([`exports`]), their
//! argument checks ([`check`]), their cost terms ([`cost`]), and the GPU
//! LU ([`gpu`]: a recursive LU with partial pivoting on the device, its
//! panel kernels in lu.cl beside this file, and the copies of its results
//! into the caller's arrays). The CPU call is the CPU LAPACK's routine of
//! the same name.

pub mod check;
pub mod cost;
pub mod exports;
pub mod gpu;
