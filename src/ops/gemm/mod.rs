//! GEMM in the four precisions: `dgemm_`, `sgemm_`, `cgemm_`, `zgemm_` and
//! their `cblas_` forms ([`exports`]), their argument checks ([`check`]);
//! SGEMM, CGEMM and ZGEMM as real products in double ([`precisions`]). The GPU algorithm is the OpenCL engine's DGEMM from host
//! memory (src/engine/opencl/gemm.rs: tiles of C through pinned staging,
//! the tensor-core kernel on NVIDIA), which the other families use too;
//! the cost terms are its flops and bytes, in [`exports`].

pub mod check;
pub mod exports;
pub mod precisions;
