//! The OpenCL backend. Device discovery and selection live here; no routine
//! runs on the GPU yet (the GPU DGEMM is the next step).

pub mod device;
