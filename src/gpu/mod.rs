//! The OpenCL backend: device selection, the process's OpenCL state, and
//! one file per routine family (DGEMM so far).

pub mod context;
pub mod device;
pub mod error;
pub mod gemm;

use error::GpuError;
use std::time::Instant;

/// Measures, on the selected device, what the cost model needs: the fixed
/// cost of one call (s), the host<->device rate through the staging
/// buffers (GB/s), and the DGEMM rate (GFLOP/s) once transfers are taken
/// out. Sizes are kept small for CPU devices (PoCL), where this runs only
/// when `auto` mode is asked for explicitly.
pub fn calibrate() -> Result<(f64, f64, f64), GpuError> {
    let is_gpu = device::DEVICE.as_ref().map_err(|e| GpuError::NoDevice(e.clone()))?.is_gpu;
    let time_gemm = |n: usize| -> Result<f64, GpuError> {
        let a: Vec<f64> = (0..n * n).map(|i| ((i * 7919 % 1000) as f64 + 1.0) / 1000.0).collect();
        let mut c = vec![0.0; n * n];
        let g = gemm::Gemm {
            trans_a: false, trans_b: false, m: n, n, k: n, alpha: 1.0, a: a.as_ptr(), lda: n,
            b: a.as_ptr(), ldb: n, beta: 0.0, c: c.as_mut_ptr(), ldc: n,
        };
        let mut best = f64::INFINITY;
        for _ in 0..3 {
            let t = Instant::now();
            // SAFETY: n x n arrays with leading dimension n.
            unsafe { gemm::dgemm(&g) }.map_err(|f| f.error)?;
            best = best.min(t.elapsed().as_secs_f64());
        }
        Ok(best)
    };
    let launch = time_gemm(8)?;
    // Transfer-bound size (k small) and compute-bound size.
    let (big, small_k) = if is_gpu { (2048usize, 8usize) } else { (256, 4) };
    let bytes = |m: usize, n: usize, k: usize| 8.0 * (m * k + k * n + m * n) as f64;
    let h2d = {
        let (m, n, k) = (big, big, small_k);
        let a: Vec<f64> = vec![0.5; m * k];
        let mut c = vec![0.0; m * n];
        let g = gemm::Gemm {
            trans_a: false, trans_b: false, m, n, k, alpha: 1.0, a: a.as_ptr(), lda: m,
            b: a.as_ptr(), ldb: k, beta: 0.0, c: c.as_mut_ptr(), ldc: m,
        };
        let t = Instant::now();
        // SAFETY: A is m x k (lda m), B reuses it as k x n (ldb k) since
        // k * n <= m * k here; C is m x n.
        unsafe { gemm::dgemm(&g) }.map_err(|f| f.error)?;
        let t = (t.elapsed().as_secs_f64() - launch).max(1e-6);
        bytes(m, n, k) / t / 1e9
    };
    let n = if is_gpu { 2048 } else { 192 };
    let t = time_gemm(n)?;
    let compute = (t - launch - bytes(n, n, n) / (h2d * 1e9)).max(t * 0.05);
    let gflops = 2.0 * (n as f64).powi(3) / compute / 1e9;
    Ok((launch, h2d, gflops))
}
