//! lapack-ai: a drop-in, GPU-accelerated LAPACK/BLAS.
//!
//! Data flows one way (DESIGN.md, "Layers"):
//! [`abi`] (exported symbols) -> [`check`] (LAPACK-exact argument checks)
//! -> [`dispatch`] (CPU or GPU, logged) -> [`cpu`] / [`gpu`] (backends);
//! [`alpha`]: DGEMM_ALPHA's schemes and evaluator, run by either backend;
//! [`cache`]: the on-disk cache of compiled kernels and measured rates.

pub mod abi;
pub mod dispatch;
pub mod engine;
pub mod ops;
pub mod routines;
pub mod runtime;
