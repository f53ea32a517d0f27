//! What several test programs share (`mod common;` in each): the random
//! numbers and the complex element type. Each test program uses a part of
//! it, so unused items are allowed here.
#![allow(dead_code)]

/// A xorshift generator: the same sequence for a seed on every machine.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in 0..n.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in (-1, -0.1] U [0.1, 1): never zero.
    pub fn value(&mut self) -> f64 {
        let x = (self.next() >> 11) as f64 / (1u64 << 53) as f64 * 1.8 - 0.9;
        x + 0.1f64.copysign(x)
    }

    pub fn values(&mut self, len: usize) -> Vec<f64> {
        (0..len).map(|_| self.value()).collect()
    }
}

/// A COMPLEX or COMPLEX*16 as Fortran stores it.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Cx<R> {
    pub re: R,
    pub im: R,
}

/// How a GPU test starts: `None`, having said why, without
/// `LAPACK_AI_TEST_OPENCL` (tools/test.sh sets it to pocl); else the
/// library configured for it (that device, `LAPACK_AI_MODE=gpu`, staging
/// buffers of 3000 doubles: many C tiles, a log of this process named after
/// `name`), and the log's path and the seed (`LAPACK_AI_TEST_SEED`, else
/// `default_seed`), printed. Set before the library's first call: it reads
/// its configuration once.
pub fn gpu_test(name: &str, what: &str, default_seed: u64) -> Option<(std::path::PathBuf, u64)> {
    let Ok(device) = std::env::var("LAPACK_AI_TEST_OPENCL") else {
        eprintln!("LAPACK_AI_TEST_OPENCL not set (tools/test.sh sets it to pocl): {what} not tested");
        return None;
    };
    std::env::set_var("LAPACK_AI_DEVICE", &device);
    std::env::set_var("LAPACK_AI_MODE", "gpu");
    std::env::set_var("LAPACK_AI_TEST_STAGING", "3000");
    let log = std::env::temp_dir().join(format!("lapack-ai-{name}-{}.log", std::process::id()));
    std::env::set_var("LAPACK_AI_LOG", &log);
    let seed = std::env::var("LAPACK_AI_TEST_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(default_seed);
    println!("seed {seed}");
    Some((log, seed))
}
