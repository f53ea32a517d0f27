//! The Level-3 BLAS routines besides GEMM, in the four precisions: `?symm_`,
//! `?hemm_`, `?syrk_`, `?herk_`, `?syr2k_`, `?her2k_`, `?trmm_`, `?trsm_`
//! ([`exports`]), their argument checks ([`check`], exactly reference
//! BLAS's and CBLAS's), their GPU paths ([`gpu`]: products of the engine's
//! DGEMM on host copies that make the operands general; ?TRSM recursive,
//! its diagonal blocks on the CPU), and their CBLAS forms ([`cblas`]).

pub mod cblas;
pub mod check;
pub mod exports;
pub mod gpu;
