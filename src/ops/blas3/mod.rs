//! The Level-3 BLAS routines besides DGEMM, in double precision: `dsymm_`,
//! `dsyrk_`, `dsyr2k_`, `dtrmm_`, `dtrsm_` ([`exports`]), their argument
//! checks ([`check`], exactly reference BLAS's) and their GPU paths
//! ([`gpu`]: products of the engine's DGEMM on host copies that make the
//! operands general; DTRSM recursive, its diagonal blocks on the CPU).

pub mod check;
pub mod exports;
pub mod gpu;
