//! The GPU LU path (dgesv_, dgetrf_, dgetrs_ with LAPACK_AI_MODE=gpu) on
//! the OpenCL device named by LAPACK_AI_TEST_OPENCL (PoCL in CI), against
//! the bundled reference LAPACK:
//! - residuals ||B - A X||_1 / (||A||_1 ||X||_1 n eps) (LAPACK's DGET02
//!   ratio; LAPACK's test threshold is 30) on random, ill-conditioned
//!   (condition about 1e12) and graded matrices, odd sizes (1, primes,
//!   around the 32-column leaves), NRHS 0, 1 and many, leading dimensions
//!   larger than the rows;
//! - the factors and IPIV against the reference DGETRF on the same
//!   matrices (rectangular too);
//! - singular matrices (a zero column, a zero trailing block): INFO, IPIV
//!   and A as reference leaves them, B untouched by DGESV;
//! - DGETRS with TRANS = 'N', 'T', 'C' on the reference's factors;
//! - the CPU fallback (LAPACK_AI_FAULT_INJECT=lu) and the log showing the
//!   GPU ran the rest.
//!
//! LAPACK_AI_TEST_LU_SIZES=n1,n2,... adds square sizes (used for a run on
//! the H100: large sizes through the two-launches-per-column panels).
//!
//! One #[test]: the configuration is read once per process, and the fault
//! hook is an environment variable.

// `!(x <= tolerance)` on purpose: a NaN residual must fail the check,
// which `x > tolerance` would let pass.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use lapack_ai::ops::lu::exports::{dgesv_, dgetrf_, dgetrs_};
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
    /// Uniform in (-1, 1).
    fn value(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
    fn matrix(&mut self, rows: usize, cols: usize, ld: usize) -> Vec<f64> {
        (0..ld * cols.max(1)).map(|i| if i % ld < rows { self.value() } else { f64::NAN }).collect()
    }
}

/// ||X||_1 of the rows x cols matrix at leading dimension ld.
fn norm1(x: &[f64], rows: usize, cols: usize, ld: usize) -> f64 {
    (0..cols).map(|j| (0..rows).map(|i| x[i + j * ld].abs()).sum::<f64>()).fold(0.0, f64::max)
}

/// DGET02's ratio ||B - op(A) X||_1 / (||op(A)||_1 ||X||_1 n eps), column by column.
#[allow(clippy::too_many_arguments)]
fn residual(trans: bool, n: usize, nrhs: usize, a: &[f64], lda: usize, x: &[f64], b: &[f64], ld: usize) -> f64 {
    let anorm = if trans {
        (0..n).map(|i| (0..n).map(|j| a[j + i * lda].abs()).sum::<f64>()).fold(0.0, f64::max)
    } else {
        norm1(a, n, n, lda)
    };
    let mut worst: f64 = 0.0;
    for c in 0..nrhs {
        let mut r = 0.0;
        for i in 0..n {
            let mut s = b[i + c * ld];
            for j in 0..n {
                let aij = if trans { a[j + i * lda] } else { a[i + j * lda] };
                s -= aij * x[j + c * ld];
            }
            r += s.abs();
        }
        let xnorm: f64 = (0..n).map(|i| x[i + c * ld].abs()).sum();
        let ratio = r / (anorm * xnorm * n as f64 * f64::EPSILON);
        worst = worst.max(if ratio.is_nan() { f64::INFINITY } else { ratio });
    }
    worst
}

/// Matrix kinds: random, ill-conditioned (a near-dependent last column),
/// graded (rows scaled over 12 orders of magnitude).
fn make(rng: &mut Rng, kind: usize, n: usize, lda: usize) -> Vec<f64> {
    let mut a = rng.matrix(n, n, lda);
    match kind {
        1 if n > 1 => {
            for i in 0..n {
                a[i + (n - 1) * lda] = a[i] + 1e-12 * a[i + (n - 1) * lda];
            }
        }
        2 => {
            for j in 0..n {
                for i in 0..n {
                    a[i + j * lda] *= 10f64.powf(-12.0 * i as f64 / n.max(1) as f64);
                }
            }
        }
        _ => {}
    }
    a
}

fn reference_getrf(m: usize, n: usize, a: &mut [f64], lda: usize) -> (Vec<i32>, i32) {
    let mut ipiv = vec![0i32; m.min(n).max(1)];
    let mut info = 0;
    // SAFETY: a holds lda x n, ipiv min(m, n).
    unsafe { (bundled::dgetrf)(&(m as i32), &(n as i32), a.as_mut_ptr(), &(lda as i32), ipiv.as_mut_ptr(), &mut info) };
    (ipiv, info)
}

fn ours_getrf(m: usize, n: usize, a: &mut [f64], lda: usize) -> (Vec<i32>, i32) {
    let mut ipiv = vec![0i32; m.min(n).max(1)];
    let mut info = -77;
    // SAFETY: as above.
    unsafe { dgetrf_(&(m as i32), &(n as i32), a.as_mut_ptr(), &(lda as i32), ipiv.as_mut_ptr(), &mut info) };
    (ipiv, info)
}

/// Largest |ours - reference| over the m x n part, relative to the
/// largest |reference| (NaN counts as infinite).
fn factor_difference(m: usize, n: usize, ours: &[f64], reference: &[f64], lda: usize) -> f64 {
    let mut diff: f64 = 0.0;
    let mut scale: f64 = f64::MIN_POSITIVE;
    for j in 0..n {
        for i in 0..m {
            let (x, y) = (ours[i + j * lda], reference[i + j * lda]);
            let d = (x - y).abs();
            diff = diff.max(if d.is_nan() { f64::INFINITY } else { d });
            scale = scale.max(y.abs());
        }
    }
    diff / scale
}

#[test]
fn gpu_lu_matches_the_reference() {
    let Ok(device) = std::env::var("LAPACK_AI_TEST_OPENCL") else {
        eprintln!("LAPACK_AI_TEST_OPENCL not set (tools/test.sh sets it to pocl): GPU LU not tested");
        return;
    };
    std::env::set_var("LAPACK_AI_DEVICE", &device);
    std::env::set_var("LAPACK_AI_MODE", "gpu");
    let log = std::env::temp_dir().join(format!("lapack-ai-gpu-lu-test-{}.log", std::process::id()));
    std::env::set_var("LAPACK_AI_LOG", &log);
    let seed = std::env::var("LAPACK_AI_TEST_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x1_2026_1125u64);
    println!("seed {seed}");
    let mut rng = Rng(seed | 1);
    let mut failures: Vec<String> = Vec::new();
    let mut cases = 0;
    let threshold = 30.0;

    // DGESV: residuals, and the factors against the reference DGETRF.
    let mut sizes = vec![1usize, 2, 3, 5, 17, 31, 32, 33, 63, 64, 65, 97, 131, 200];
    if let Ok(extra) = std::env::var("LAPACK_AI_TEST_LU_SIZES") {
        sizes.extend(extra.split(',').filter_map(|s| s.trim().parse::<usize>().ok()));
    }
    // Twice: with the device's default panels (on PoCL: one work-group per
    // panel), then with 8-column leaves factored by one launch per column
    // over the device (the path large matrices take on a GPU).
    for tall_panels in [false, true] {
        if tall_panels {
            lapack_ai::runtime::config::set_hooks(|h| {
                h.lu_panel_rows = Some(0);
                h.lu_leaf = Some(8);
            });
            sizes.retain(|&n| n <= 300);
        }
        for &n in &sizes {
            for kind in 0..3 {
                for &nrhs in &[0usize, 1, 7] {
                    if n > 300 && (kind > 0 || nrhs == 7) {
                        continue;
                    }
                    cases += 1;
                    let (lda, ldb) = (n + kind, n + 2 * kind);
                    let a0 = make(&mut rng, kind, n, lda);
                    let b0 = rng.matrix(n, nrhs, ldb);
                    let (mut a, mut b) = (a0.clone(), b0.clone());
                    let mut ipiv = vec![0i32; n];
                    let mut info = -77;
                    let (ni, ri, lai, lbi) = (n as i32, nrhs as i32, lda as i32, ldb as i32);
                    // SAFETY: arrays sized for the arguments.
                    unsafe { dgesv_(&ni, &ri, a.as_mut_ptr(), &lai, ipiv.as_mut_ptr(), b.as_mut_ptr(), &lbi, &mut info) };
                    let what = format!("dgesv n={n} nrhs={nrhs} kind={kind} tall panels {tall_panels}");
                    if info != 0 {
                        failures.push(format!("{what}: INFO {info}"));
                        continue;
                    }
                    let r = residual(false, n, nrhs, &a0, lda, &b, &b0, ldb);
                    if !(r < threshold) {
                        failures.push(format!("{what}: residual ratio {r:.2}"));
                    }
                    if n <= 300 {
                        let mut reference = a0.clone();
                        let (rpiv, rinfo) = reference_getrf(n, n, &mut reference, lda);
                        let d = factor_difference(n, n, &a, &reference, lda);
                        if rinfo != 0 || rpiv[..n] != ipiv[..] || !(d < 1e-8) {
                            failures.push(format!("{what}: factors differ from reference DGETRF (INFO {rinfo}, IPIV equal {}, difference {d:.1e})", rpiv[..n] == ipiv[..]));
                        }
                    }
                    // Outside the matrices nothing changed (NaN padding).
                    let pad_kept = |x: &[f64], rows: usize, ld: usize| x.iter().enumerate().all(|(i, v)| i % ld < rows || v.is_nan());
                    if !pad_kept(&a, n, lda) || !pad_kept(&b, n, ldb) {
                        failures.push(format!("{what}: wrote outside A or B"));
                    }
                }
            }
        }
    }

    // DGETRF on rectangular matrices: IPIV, INFO, factors.
    for &(m, n) in &[(50usize, 20usize), (20, 50), (1, 40), (40, 1), (70, 33), (33, 70), (129, 64), (64, 129)] {
        cases += 1;
        let lda = m + 3;
        let a0 = rng.matrix(m, n, lda);
        let (mut ours, mut reference) = (a0.clone(), a0.clone());
        let (piv, info) = ours_getrf(m, n, &mut ours, lda);
        let (rpiv, rinfo) = reference_getrf(m, n, &mut reference, lda);
        let d = factor_difference(m, n, &ours, &reference, lda);
        if info != rinfo || piv != rpiv || !(d < 1e-10) {
            failures.push(format!("dgetrf {m}x{n}: INFO {info} vs {rinfo}, IPIV equal {}, difference {d:.1e}", piv == rpiv));
        }
    }

    // Singular matrices: a zero column (INFO = its index), a zero trailing
    // block (INFO = first zero row of U); what A, IPIV and B hold.
    for &(n, zero_col, zero_rows) in &[(5usize, Some(0usize), None), (40, Some(17), None), (70, Some(69), None), (97, None, Some(60usize)), (33, None, Some(32))] {
        cases += 1;
        let lda = n + 1;
        let mut a0 = rng.matrix(n, n, lda);
        if let Some(c) = zero_col {
            for i in 0..n {
                a0[i + c * lda] = 0.0;
            }
        }
        if let Some(r) = zero_rows {
            for j in 0..n {
                for i in r..n {
                    a0[i + j * lda] = 0.0;
                }
            }
        }
        let expected_info = zero_col.or(zero_rows).map(|k| k as i32 + 1).unwrap();
        let b0 = rng.matrix(n, 3, n);
        let (mut a, mut b) = (a0.clone(), b0.clone());
        let mut ipiv = vec![0i32; n];
        let mut info = -77;
        let ni = n as i32;
        // SAFETY: arrays sized for the arguments.
        unsafe { dgesv_(&ni, &3, a.as_mut_ptr(), &(lda as i32), ipiv.as_mut_ptr(), b.as_mut_ptr(), &ni, &mut info) };
        let mut reference = a0.clone();
        let (rpiv, rinfo) = reference_getrf(n, n, &mut reference, lda);
        let d = factor_difference(n, n, &a, &reference, lda);
        let b_kept = b.iter().zip(&b0).all(|(x, y)| x.to_bits() == y.to_bits());
        if info != expected_info || rinfo != expected_info || ipiv != rpiv[..n] || !(d < 1e-10) || !b_kept {
            failures.push(format!(
                "singular n={n} zero column {zero_col:?} zero rows {zero_rows:?}: INFO {info} (reference {rinfo}, expected {expected_info}), IPIV equal {}, difference {d:.1e}, B untouched {b_kept}",
                ipiv == rpiv[..n]
            ));
        }
    }

    lapack_ai::runtime::config::set_hooks(|h| {
        h.lu_panel_rows = None;
        h.lu_leaf = None;
    });

    // DGETRS on the reference's factors, every TRANS.
    for &(n, nrhs) in &[(1usize, 1usize), (37, 1), (70, 5), (131, 40)] {
        for &t in b"NTC" {
            cases += 1;
            let (lda, ldb) = (n + 1, n + 2);
            let a0 = rng.matrix(n, n, lda);
            let b0 = rng.matrix(n, nrhs, ldb);
            let mut lu = a0.clone();
            let (piv, _) = reference_getrf(n, n, &mut lu, lda);
            let (mut x, mut xref) = (b0.clone(), b0.clone());
            let (mut info, mut rinfo) = (-77, -77);
            let (ni, ri, lai, lbi, tc) = (n as i32, nrhs as i32, lda as i32, ldb as i32, t as c_char);
            // SAFETY: arrays sized for the arguments; hidden length 1.
            unsafe {
                dgetrs_(&tc, &ni, &ri, lu.as_ptr(), &lai, piv.as_ptr(), x.as_mut_ptr(), &lbi, &mut info, 1);
                (bundled::dgetrs)(&tc, &ni, &ri, lu.as_ptr(), &lai, piv.as_ptr(), xref.as_mut_ptr(), &lbi, &mut rinfo, 1);
            }
            let r = residual(t != b'N', n, nrhs, &a0, lda, &x, &b0, ldb);
            let d = factor_difference(n, nrhs, &x, &xref, ldb);
            if info != 0 || !(r < threshold) || !(d < 1e-8) {
                failures.push(format!("dgetrs {} n={n} nrhs={nrhs}: INFO {info}, residual ratio {r:.2}, difference from reference {d:.1e}", t as char));
            }
        }
    }

    let text = std::fs::read_to_string(&log).unwrap_or_default();
    for routine in ["dgesv_", "dgetrf_", "dgetrs_"] {
        let on_gpu = text.lines().filter(|l| l.starts_with(&format!("lapack-ai: {routine} ")) && l.contains("-> gpu[")).count();
        if on_gpu == 0 {
            failures.push(format!("the log shows no {routine} call on the GPU"));
        }
    }

    // Fallback: the GPU fails before it starts; the CPU gives reference's answer.
    lapack_ai::runtime::config::set_hooks(|h| h.faults = vec![("lu".into(), lapack_ai::runtime::config::FaultKind::Fail(0))]);
    {
        cases += 1;
        let n = 45;
        let a0 = rng.matrix(n, n, n);
        let b0 = rng.matrix(n, 2, n);
        let (mut a, mut b) = (a0.clone(), b0.clone());
        let (mut ra, mut rb) = (a0.clone(), b0.clone());
        let (mut ipiv, mut rpiv) = (vec![0i32; n], vec![0i32; n]);
        let (mut info, mut rinfo) = (-77, -77);
        let ni = n as i32;
        // SAFETY: arrays sized for the arguments.
        unsafe {
            dgesv_(&ni, &2, a.as_mut_ptr(), &ni, ipiv.as_mut_ptr(), b.as_mut_ptr(), &ni, &mut info);
            (bundled::dgesv)(&ni, &2, ra.as_mut_ptr(), &ni, rpiv.as_mut_ptr(), rb.as_mut_ptr(), &ni, &mut rinfo);
        }
        if info != rinfo || ipiv != rpiv || a != ra || b != rb {
            failures.push("fallback dgesv: differs from the reference".into());
        }
    }
    lapack_ai::runtime::config::set_hooks(|h| h.faults.clear());
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    if !text.lines().any(|l| l.starts_with("lapack-ai: dgesv_ ") && l.contains("fell back to cpu[")) {
        failures.push("the fallback is not in the log".into());
    }
    let _ = std::fs::remove_file(&log);
    assert!(failures.is_empty(), "seed {seed}: {} of {cases} cases failed:\n{}", failures.len(), failures.join("\n"));
}
