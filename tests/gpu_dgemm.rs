//! The GPU DGEMM path (dgemm_ and cblas_dgemm with LAPACK_AI_MODE=gpu)
//! against the bundled reference DGEMM, on the OpenCL device named by
//! LAPACK_AI_TEST_OPENCL (PoCL in CI). Random sizes with primes and 1, every
//! transpose pair, leading dimensions larger than the rows, sub-matrices at
//! offsets, special alpha and beta, NaN in C when beta = 0. Small staging
//! buffers (LAPACK_AI_TEST_STAGING) make these products use many C tiles,
//! a small device budget (LAPACK_AI_TEST_DEVICE_DOUBLES) makes them run out
//! of core in panels, and LAPACK_AI_FAULT_INJECT checks the CPU fallback,
//! also after part of C was written.
//!
//! One #[test]: the configuration is read once per process, and the fault
//! hook is an environment variable.

// `!(x <= tolerance)` on purpose: a NaN residual must fail the check,
// which `x > tolerance` would let pass.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use lapack_ai::ops::gemm::exports::{cblas_dgemm, dgemm_};
use lapack_ai::engine::cpu::bundled;
use std::os::raw::c_char;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> usize {
        (self.next() % n) as usize
    }
    /// Uniform in (-1, -0.1] U [0.1, 1): never zero.
    fn value(&mut self) -> f64 {
        let x = (self.next() >> 11) as f64 / (1u64 << 53) as f64 * 1.8 - 0.9;
        x + 0.1f64.copysign(x)
    }
}

#[derive(Clone, Copy, Debug)]
struct Case {
    ta: u8,
    tb: u8,
    m: usize,
    n: usize,
    k: usize,
    alpha: f64,
    beta: f64,
    pad: usize,
    offset: usize,
}

/// Runs one case through `run` (our dgemm) and the bundled reference;
/// returns the worst error relative to the bound, and whether anything
/// outside C's sub-matrix changed.
fn check(rng: &mut Rng, c: Case, run: impl Fn(&Case, &[f64], usize, &[f64], usize, &mut [f64], usize)) -> (f64, bool) {
    let (ar, ac) = if c.ta == b'N' { (c.m, c.k) } else { (c.k, c.m) };
    let (br, bc) = if c.tb == b'N' { (c.k, c.n) } else { (c.n, c.k) };
    let (lda, ldb, ldc) = (ar.max(1) + c.pad, br.max(1) + c.pad, c.m.max(1) + c.pad);
    let a: Vec<f64> = (0..c.offset + lda * ac.max(1)).map(|_| rng.value()).collect();
    let b: Vec<f64> = (0..c.offset + ldb * bc.max(1)).map(|_| rng.value()).collect();
    let mut c0: Vec<f64> = (0..c.offset + ldc * c.n.max(1)).map(|_| rng.value()).collect();
    if c.beta == 0.0 {
        // C must not be read when beta = 0.
        for j in 0..c.n {
            for i in 0..c.m {
                c0[c.offset + i + j * ldc] = f64::NAN;
            }
        }
    }
    let mut ours = c0.clone();
    run(&c, &a[c.offset..], lda, &b[c.offset..], ldb, &mut ours[c.offset..], ldc);
    let mut reference = c0.clone();
    let (m, n, k) = (c.m as i32, c.n as i32, c.k as i32);
    let (la, lb, lc) = (lda as i32, ldb as i32, ldc as i32);
    // SAFETY: arrays sized for the arguments above.
    unsafe {
        (bundled::dgemm)(
            &(c.ta as c_char), &(c.tb as c_char), &m, &n, &k, &c.alpha, a[c.offset..].as_ptr(), &la,
            b[c.offset..].as_ptr(), &lb, &c.beta, reference[c.offset..].as_mut_ptr(), &lc, 1, 1,
        )
    };
    let op = |x: &[f64], ld: usize, t: u8, r: usize, s: usize| if t == b'N' { x[r + s * ld] } else { x[s + r * ld] };
    let eps = f64::EPSILON;
    let mut worst: f64 = 0.0;
    let mut outside_changed = false;
    for j in 0..c.n.max(1) {
        for i in 0..ldc {
            let idx = c.offset + i + j * ldc;
            if i >= c.m || j >= c.n {
                outside_changed |= ours[idx].to_bits() != c0[idx].to_bits();
                continue;
            }
            let mut scale = 0.0;
            for l in 0..c.k {
                scale += (op(&a[c.offset..], lda, c.ta, i, l) * op(&b[c.offset..], ldb, c.tb, l, j)).abs();
            }
            let cterm = if c.beta == 0.0 { 0.0 } else { (c.beta * c0[idx]).abs() };
            let bound = 4.0 * (c.k as f64 + 2.0) * eps * (c.alpha.abs() * scale + cterm) + f64::MIN_POSITIVE;
            let err = (ours[idx] - reference[idx]).abs();
            worst = worst.max(if err.is_nan() { f64::INFINITY } else { err / bound });
        }
    }
    outside_changed |= ours[..c.offset].iter().zip(&c0[..c.offset]).any(|(x, y)| x.to_bits() != y.to_bits());
    (worst, outside_changed)
}

fn fortran(c: &Case, a: &[f64], lda: usize, b: &[f64], ldb: usize, out: &mut [f64], ldc: usize) {
    let (m, n, k) = (c.m as i32, c.n as i32, c.k as i32);
    let (lda, ldb, ldc) = (lda as i32, ldb as i32, ldc as i32);
    // SAFETY: arrays sized by `check` for these arguments.
    unsafe {
        dgemm_(
            &(c.ta as c_char), &(c.tb as c_char), &m, &n, &k, &c.alpha, a.as_ptr(), &lda, b.as_ptr(), &ldb,
            &c.beta, out.as_mut_ptr(), &ldc, 1, 1,
        )
    }
}

/// The same product through cblas_dgemm in column-major order.
fn cblas(c: &Case, a: &[f64], lda: usize, b: &[f64], ldb: usize, out: &mut [f64], ldc: usize) {
    let t = |x: u8| if x == b'N' { 111 } else { 112 };
    // SAFETY: arrays sized by `check` for these arguments.
    unsafe {
        cblas_dgemm(
            102, t(c.ta), t(c.tb), c.m as i32, c.n as i32, c.k as i32, c.alpha, a.as_ptr(), lda as i32, b.as_ptr(),
            ldb as i32, c.beta, out.as_mut_ptr(), ldc as i32,
        )
    }
}

#[test]
fn gpu_dgemm_matches_the_reference() {
    let Ok(device) = std::env::var("LAPACK_AI_TEST_OPENCL") else {
        eprintln!("LAPACK_AI_TEST_OPENCL not set (tools/test.sh sets it to pocl): GPU DGEMM not tested");
        return;
    };
    std::env::set_var("LAPACK_AI_DEVICE", &device);
    std::env::set_var("LAPACK_AI_MODE", "gpu");
    std::env::set_var("LAPACK_AI_TEST_STAGING", "3000");
    let log = std::env::temp_dir().join(format!("lapack-ai-gpu-test-{}.log", std::process::id()));
    std::env::set_var("LAPACK_AI_LOG", &log);
    let seed = std::env::var("LAPACK_AI_TEST_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_2026_1124u64);
    println!("seed {seed}");
    let mut rng = Rng(seed);
    let dims = [1usize, 2, 3, 7, 13, 31, 64, 67, 97, 130];
    let mut failures = Vec::new();
    let mut cases = 0;
    for ta in [b'N', b'T'] {
        for tb in [b'N', b'T'] {
            for _ in 0..12 {
                let pick = |r: &mut Rng| dims[r.below(dims.len() as u64)];
                let c = Case {
                    ta,
                    tb,
                    m: pick(&mut rng),
                    n: pick(&mut rng),
                    k: if rng.below(10) == 0 { 0 } else { pick(&mut rng) },
                    alpha: [1.0, -0.7, 0.0][rng.below(3)],
                    beta: [0.0, 1.0, 0.3][rng.below(3)],
                    pad: rng.below(3) * 3,
                    offset: rng.below(2) * 5,
                };
                for (name, run) in [("dgemm_", fortran as fn(&Case, &[f64], usize, &[f64], usize, &mut [f64], usize)), ("cblas_dgemm", cblas)] {
                    cases += 1;
                    let (worst, outside) = check(&mut rng, c, run);
                    if !(worst <= 1.0) || outside {
                        failures.push(format!("{name} {c:?}: error/bound {worst:.2}, outside C changed: {outside}"));
                    }
                }
            }
        }
    }
    // The log proves the GPU ran these (not a silent CPU path).
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let on_gpu = text.lines().filter(|l| l.contains("-> gpu[")).count();
    assert!(on_gpu > 0, "no call ran on the GPU; log:\n{}", text.lines().take(5).collect::<Vec<_>>().join("\n"));

    // Out of core: a device that holds 12000 doubles splits A into row
    // panels and B into column panels (every transpose pair).
    lapack_ai::runtime::config::set_hooks(|h| h.device_doubles = Some(12000));
    for (ta, tb) in [(b'N', b'N'), (b'T', b'N'), (b'N', b'T'), (b'T', b'T')] {
        let c = Case { ta, tb, m: 131, n: 67, k: 53, alpha: 1.3, beta: 0.3, pad: 1, offset: 2 };
        let (worst, outside) = check(&mut rng, c, fortran);
        if !(worst <= 1.0) || outside {
            failures.push(format!("out of core {c:?}: error/bound {worst:.2}, outside C changed: {outside}"));
        }
        cases += 1;
    }
    lapack_ai::runtime::config::set_hooks(|h| h.device_doubles = None);

    // Fallback: the whole call, and after two of its C tiles were written
    // (m = n = 130 with 3000-double staging: several tiles).
    for inject in ["dgemm", "dgemm@2"] {
        lapack_ai::runtime::config::set_hooks(|h| h.faults = lapack_ai::runtime::config::parse_faults(inject));
        let c = Case { ta: b'T', tb: b'N', m: 130, n: 97, k: 31, alpha: -0.7, beta: 0.3, pad: 2, offset: 3 };
        let (worst, outside) = check(&mut rng, c, fortran);
        if !(worst <= 1.0) || outside {
            failures.push(format!("fallback {inject}: error/bound {worst:.2}, outside C changed: {outside}"));
        }
        cases += 1;
    }
    lapack_ai::runtime::config::set_hooks(|h| h.faults.clear());
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(text.lines().filter(|l| l.contains("fell back to cpu[")).count(), 2, "fallbacks not logged");
    let _ = std::fs::remove_file(&log);
    assert!(failures.is_empty(), "seed {seed}: {} of {cases} cases failed:\n{}", failures.len(), failures.join("\n"));
}
