//! The engines below the routine families: the CPU LAPACK ([`cpu`]: which
//! library runs a call on the CPU, the bundled reference, XERBLA) and the
//! OpenCL device ([`opencl`]). They know no routine of the table's but the
//! CPU routines they resolve.

pub mod cpu;
pub mod opencl;
