//! lapack-ai: a drop-in, GPU-accelerated LAPACK/BLAS.
//!
//! Data flows one way (DESIGN.md, "Layers"):
//! [`abi`] (exported symbols) -> [`check`] (LAPACK-exact argument checks)
//! -> [`dispatch`] (CPU or GPU, logged) -> [`cpu`] / [`gpu`] (backends).

pub mod abi;
pub mod check;
pub mod cpu;
pub mod dispatch;
pub mod gpu;
