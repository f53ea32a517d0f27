//! What several test programs share (`mod common;` in each): the random
//! numbers, the complex element type, the GPU tests' start, their reading
//! of the log and of the counters. Each test program uses a part of it, so
//! unused items are allowed here.
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

/// Where a call must have run, by its log line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Placed {
    /// One line "-> gpu[" without a fallback.
    Gpu,
    /// One line "fell back to cpu[".
    Fallback,
    /// Not checked.
    Any,
}

impl Placed {
    /// Whether a call's lines of the log say it ran so.
    pub fn matches(self, lines: &[String]) -> bool {
        match self {
            Placed::Any => true,
            Placed::Gpu => matches!(lines, [l] if l.contains("-> gpu[") && !l.contains("fell back")),
            Placed::Fallback => matches!(lines, [l] if l.contains("fell back to cpu[")),
        }
    }
}

/// The test process's log (LAPACK_AI_LOG), read as it grows.
pub struct LogTail {
    pub path: std::path::PathBuf,
    seen: usize,
}

impl LogTail {
    pub fn new(path: std::path::PathBuf) -> LogTail {
        LogTail { path, seen: 0 }
    }

    /// The lines of `routine` (a symbol: "dpotrf_") written since the last
    /// call.
    pub fn lines_of(&mut self, routine: &str) -> Vec<String> {
        let text = std::fs::read_to_string(&self.path).unwrap_or_default();
        let new = text.get(self.seen..).unwrap_or("");
        let prefix = format!("lapack-ai: {routine} ");
        let lines = new.lines().filter(|l| l.starts_with(&prefix)).map(str::to_string).collect();
        self.seen = text.len();
        lines
    }
}

/// A routine's counters in this process: (calls on the GPU, fallbacks).
pub fn counters(symbol: &str) -> (u64, u64) {
    let (all, _) = lapack_ai::runtime::stats::snapshot();
    let row = all
        .iter()
        .find(|s| s.routine.map(lapack_ai::routines::Routine::symbol) == Some(symbol))
        .unwrap_or_else(|| panic!("{symbol}'s counters"));
    (row.gpu_calls, row.fallbacks)
}
