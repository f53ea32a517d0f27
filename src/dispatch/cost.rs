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
    fn rates_parse_and_print() {
        let r = Rates::parse("cpu=500, gpu=30000,h2d=20,launch=5e-5").unwrap();
        assert_eq!(Rates::parse(&r.format()).unwrap(), r);
        assert!(Rates::parse("cpu=500").is_err());
        assert!(Rates::parse("cpu=-1,gpu=1,h2d=1,launch=1").is_err());
        assert!(Rates::parse("cpu=1,gpu=1,h2d=1,launch=1,x=2").is_err());
    }
}
