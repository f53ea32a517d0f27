//! The OpenCL backend. No routine runs here yet (issue 4 brings DGEMM).
