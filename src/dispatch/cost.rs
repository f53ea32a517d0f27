//! The cost model: for a call of `flops` operations that moves
//! `bytes` between host and device,
//!
//!   t_cpu = flops / R_cpu
//!   t_gpu = launch + bytes / B_h2d + flops / R_gpu
//!
//! and `auto` mode takes the smaller. The four rates are measured on the
//! machine (the CPU LAPACK the process uses, the selected OpenCL device),
//! once, and cached on disk beside the kernel binaries; or set with
//! `LAPACK_AI_RATES=cpu=GFLOPS,gpu=GFLOPS,h2d=GBPS,launch=SECONDS`.
//! `LAPACK_AI_RECALIBRATE=1` measures again.

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rates {
    /// DGEMM rate of the CPU LAPACK, GFLOP/s.
    pub cpu_gflops: f64,
    /// DGEMM rate of the GPU kernel on device-resident data, GFLOP/s.
    pub gpu_gflops: f64,
    /// Host-to-device (and back) rate through the pinned staging, GB/s.
    pub h2d_gbs: f64,
    /// Fixed cost of one GPU call (setup, launch, synchronisation), s.
    pub launch_s: f64,
}

impl Rates {
    /// (t_cpu, t_gpu) in seconds.
    pub fn estimate(&self, flops: f64, bytes: f64) -> (f64, f64) {
        let t_cpu = flops / (self.cpu_gflops * 1e9);
        let t_gpu = self.launch_s + bytes / (self.h2d_gbs * 1e9) + flops / (self.gpu_gflops * 1e9);
        (t_cpu, t_gpu)
    }

    /// Parses `cpu=..,gpu=..,h2d=..,launch=..` (all four, positive).
    pub fn parse(text: &str) -> Result<Rates, String> {
        let mut r = Rates { cpu_gflops: 0.0, gpu_gflops: 0.0, h2d_gbs: 0.0, launch_s: 0.0 };
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (key, value) = item.split_once('=').ok_or_else(|| format!("{item:?} is not key=value"))?;
            let value: f64 = value.trim().parse().map_err(|_| format!("{item:?}: not a number"))?;
            if !(value > 0.0 && value.is_finite()) {
                return Err(format!("{item:?}: must be positive"));
            }
            match key.trim() {
                "cpu" => r.cpu_gflops = value,
                "gpu" => r.gpu_gflops = value,
                "h2d" => r.h2d_gbs = value,
                "launch" => r.launch_s = value,
                other => return Err(format!("unknown rate {other:?} (cpu, gpu, h2d, launch)")),
            }
        }
        if r.cpu_gflops == 0.0 || r.gpu_gflops == 0.0 || r.h2d_gbs == 0.0 || r.launch_s == 0.0 {
            return Err("all of cpu, gpu, h2d and launch are needed".into());
        }
        Ok(r)
    }

    pub fn format(&self) -> String {
        format!("cpu={},gpu={},h2d={},launch={}", self.cpu_gflops, self.gpu_gflops, self.h2d_gbs, self.launch_s)
    }
}

/// A product's terms for the model: its flops (2mnk) and the bytes its GPU
/// path moves from host memory (A and B up, C up unless beta = 0, C
/// down).
pub fn gemm_terms(m: usize, n: usize, k: usize, beta: f64) -> (f64, f64) {
    let (mf, nf, kf) = (m as f64, n as f64, k as f64);
    (2.0 * mf * nf * kf, 8.0 * (mf * kf + kf * nf + mf * nf * if beta == 0.0 { 1.0 } else { 2.0 }))
}

/// Below this many rows, columns or inner dimension an operand of a
/// product is thin: a tile of the GPU kernels (64 or 128 wide) runs mostly
/// empty, and the transfers of the large operand dominate.
pub(crate) const THIN: usize = 256;

/// A product's shape class ([`super::Call::shape`]): bit 0 A transposed,
/// bit 1 B transposed, bits 2, 3, 4 m, n, k thin ([`THIN`]).
pub fn gemm_shape(trans_a: bool, trans_b: bool, m: usize, n: usize, k: usize) -> u8 {
    trans_a as u8 | (trans_b as u8) << 1 | ((m < THIN) as u8) << 2 | ((n < THIN) as u8) << 3 | ((k < THIN) as u8) << 4
}

/// [`gemm_shape`]'s name: `TN.n-thin`.
pub fn gemm_shape_name(code: u8) -> String {
    let mut name = format!("{}{}", if code & 1 != 0 { 'T' } else { 'N' }, if code & 2 != 0 { 'T' } else { 'N' });
    for (bit, dim) in [(4, "m"), (8, "n"), (16, "k")] {
        if code & bit != 0 {
            name.push('.');
            name.push_str(dim);
            name.push_str("-thin");
        }
    }
    name
}

/// The class of a solve by its right-hand sides (src/dispatch/model.rs;
/// the LU's and the Cholesky's): 0 one, 1 a few (fewer than 256), 2 many.
pub fn rhs_shape(nrhs: i32) -> u8 {
    match nrhs {
        ..=1 => 0,
        2..=255 => 1,
        _ => 2,
    }
}

/// The class of a factorization by its aspect (the LU's and the QR's): 3
/// square-ish, 4 tall (m at least twice n), 5 wide.
pub fn aspect_shape(m: i32, n: i32) -> u8 {
    if m >= 2 * n {
        4
    } else if n >= 2 * m {
        5
    } else {
        3
    }
}

/// [`rhs_shape`]'s and [`aspect_shape`]'s names.
pub fn factor_shape_name(code: u8) -> String {
    match code {
        0 => "nrhs1",
        1 => "nrhs-few",
        2 => "nrhs-many",
        3 => "square",
        4 => "tall",
        5 => "wide",
        _ => "?",
    }
    .into()
}

/// The name of a shape code that is only a number (a family with one
/// class per routine, or whose codes are not named).
pub fn plain_shape_name(code: u8) -> String {
    code.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_prefers_the_cpu_for_small_calls_and_the_gpu_for_large() {
        // Rates of the order measured on the H100 machine (bench/RESULTS.md).
        let r = Rates { cpu_gflops: 550.0, gpu_gflops: 30_000.0, h2d_gbs: 20.0, launch_s: 50e-6 };
        let gemm = |n: f64| (2.0 * n * n * n, 4.0 * 8.0 * n * n);
        let (c, g) = { let (f, b) = gemm(64.0); r.estimate(f, b) };
        assert!(c < g, "n=64: cpu {c} gpu {g}");
        let (c, g) = { let (f, b) = gemm(8192.0); r.estimate(f, b) };
        assert!(g < c, "n=8192: cpu {c} gpu {g}");
    }

    #[test]
    fn shapes_are_named() {
        assert_eq!(gemm_shape_name(gemm_shape(true, false, 4096, 32, 3424)), "TN.n-thin");
        assert_eq!(gemm_shape_name(gemm_shape(false, false, 4096, 4096, 4096)), "NN");
        assert_eq!(gemm_shape_name(gemm_shape(false, true, 8, 8, 8)), "NT.m-thin.n-thin.k-thin");
    }

    #[test]
    fn rates_parse_and_print() {
        let r = Rates::parse("cpu=500, gpu=30000,h2d=20,launch=5e-5").unwrap();
        assert_eq!(Rates::parse(&r.format()).unwrap(), r);
        assert!(Rates::parse("cpu=500").is_err());
        assert!(Rates::parse("cpu=-1,gpu=1,h2d=1,launch=1").is_err());
        assert!(Rates::parse("cpu=1,gpu=1,h2d=1,launch=1,x=2").is_err());
    }
}
