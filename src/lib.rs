//! lapack-ai: a drop-in, GPU-accelerated LAPACK/BLAS.
//!
//! ARCHITECTURE.md is the map. Calls go one way, down the layers:
//! [`ops`] (a folder per routine family: exported functions, argument
//! checks, cost terms, GPU algorithms) and [`abi`] (what every exported
//! function uses, the C API) -> [`dispatch`] (CPU or GPU for one call, the
//! fallback, the log) -> [`engine`] (the CPU LAPACK, the OpenCL device)
//! -> [`runtime`] (configuration, log, counters, monitor, cache).
//! [`routines`] is the table of routines; [`matrix`] the views of the
//! caller's matrices that everything below the exported functions takes.

pub mod abi;
pub mod dispatch;
pub mod engine;
pub mod matrix;
pub mod ops;
pub mod routines;
pub mod runtime;
