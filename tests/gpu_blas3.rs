//! The GPU paths of DSYMM, DSYRK, DSYR2K, DTRMM and DTRSM (its recursion
//! forced down to blocks of 16)
//! with LAPACK_AI_MODE=gpu, against the bundled reference, on the OpenCL
//! device named by LAPACK_AI_TEST_OPENCL (PoCL in CI): every SIDE, UPLO,
//! TRANS and DIAG, odd sizes up to 130, leading dimensions larger than the
//! rows, special alpha and beta, NaN in C when beta = 0 (it must not be
//! read) and NaN in the triangle of C that DSYRK and DSYR2K must not touch.
//! Small staging buffers (LAPACK_AI_TEST_STAGING) make the products use
//! many C tiles; LAPACK_AI_FAULT_INJECT makes them fail after their first
//! tile, and then panic there: every call must still be right.
//!
//! One #[test]: the configuration is read once per process.

// `!(x <= bound)` on purpose: a NaN must fail the check.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

mod common;
use common::{Rng};
use lapack_ai::engine::cpu::bundled;
use lapack_ai::ops::blas3::exports::{dsymm_, dsyr2k_, dsyrk_, dtrmm_, dtrsm_};
use std::os::raw::c_char;


const DIMS: [usize; 10] = [1, 2, 3, 7, 13, 31, 64, 67, 97, 130];

/// One call: the routine, its letters, sizes (m, n; DSYRK and DSYR2K: n, k),
/// scalars and the padding of the leading dimensions.
#[derive(Clone, Copy, Debug)]
struct Case {
    routine: &'static str,
    letters: [u8; 4],
    d1: usize,
    d2: usize,
    alpha: f64,
    beta: f64,
    pad: usize,
}

fn c(x: u8) -> c_char {
    x as c_char
}

/// Runs `case` through ours and the reference on the same inputs; returns
/// a description of what differs, if anything. `ka`: the inner dimension
/// of the product, for the error bound.
fn check(rng: &mut Rng, case: Case) -> Option<String> {
    let [l0, l1, l2, l3] = case.letters;
    let (d1, d2) = (case.d1 as i32, case.d2 as i32);
    let (al, be) = (case.alpha, case.beta);
    let pad = case.pad;
    // Shapes: A (ra x ca), B (rb x cb), and the output (ro x co).
    let (ra, ca, rb, cb, ro, co, ka) = match case.routine {
        "DSYMM" => {
            let ka = if l0 == b'L' { case.d1 } else { case.d2 };
            (ka, ka, case.d1, case.d2, case.d1, case.d2, ka)
        }
        "DSYRK" | "DSYR2K" => {
            let (r, cc) = if l1 == b'N' { (case.d1, case.d2) } else { (case.d2, case.d1) };
            (r, cc, r, cc, case.d1, case.d1, case.d2)
        }
        _ => {
            let ka = if l0 == b'L' { case.d1 } else { case.d2 };
            (ka, ka, case.d1, case.d2, case.d1, case.d2, ka)
        }
    };
    let (lda, ldb, ldo) = (ra.max(1) + pad, rb.max(1) + pad, ro.max(1) + pad);
    let mut a = rng.values(lda * ca.max(1));
    if case.routine == "DTRSM" {
        // A well-conditioned triangle whether its diagonal is read or is
        // one (DIAG = 'U'): off-diagonal entries below 1/ka, a dominant
        // diagonal.
        for x in a.iter_mut() {
            *x /= ka.max(1) as f64;
        }
        for j in 0..ca.min(ra) {
            a[j + j * lda] = 1.0 + a[j + j * lda].abs() * ka as f64;
        }
    }
    let b = rng.values(ldb * cb.max(1));
    let mut out0 = rng.values(ldo * co.max(1));
    let symmetric_out = matches!(case.routine, "DSYRK" | "DSYR2K");
    if symmetric_out {
        // The triangle the routine must not touch holds NaN.
        let upper = l0 == b'U';
        for j in 0..co {
            for i in 0..ro {
                if (upper && i > j) || (!upper && i < j) {
                    out0[i + j * ldo] = f64::NAN;
                }
            }
        }
    }
    if be == 0.0 && matches!(case.routine, "DSYMM" | "DSYRK" | "DSYR2K") {
        // C must not be read when beta = 0 (its triangle, for DSYRK).
        for j in 0..co {
            for i in 0..ro {
                let written = !symmetric_out || (l0 == b'U') == (i <= j);
                if written {
                    out0[i + j * ldo] = f64::NAN;
                }
            }
        }
    }
    let (la, lb, lo) = (lda as i32, ldb as i32, ldo as i32);
    let mut ours = out0.clone();
    let mut reference = out0.clone();
    let (c0, c1, c2, c3) = (c(l0), c(l1), c(l2), c(l3));
    // SAFETY: every array is sized for the arguments (leading dimension
    // times columns, at least one of each); hidden lengths 1.
    unsafe {
        match case.routine {
            "DSYMM" => {
                dsymm_(&c0, &c1, &d1, &d2, &al, a.as_ptr(), &la, b.as_ptr(), &lb, &be, ours.as_mut_ptr(), &lo, 1, 1);
                bundled::dsymm(&c0, &c1, &d1, &d2, &al, a.as_ptr(), &la, b.as_ptr(), &lb, &be, reference.as_mut_ptr(), &lo, 1, 1);
            }
            "DSYRK" => {
                dsyrk_(&c0, &c1, &d1, &d2, &al, a.as_ptr(), &la, &be, ours.as_mut_ptr(), &lo, 1, 1);
                bundled::dsyrk(&c0, &c1, &d1, &d2, &al, a.as_ptr(), &la, &be, reference.as_mut_ptr(), &lo, 1, 1);
            }
            "DSYR2K" => {
                dsyr2k_(&c0, &c1, &d1, &d2, &al, a.as_ptr(), &la, b.as_ptr(), &lb, &be, ours.as_mut_ptr(), &lo, 1, 1);
                bundled::dsyr2k(&c0, &c1, &d1, &d2, &al, a.as_ptr(), &la, b.as_ptr(), &lb, &be, reference.as_mut_ptr(), &lo, 1, 1);
            }
            "DTRMM" => {
                ours.copy_from_slice(&b);
                reference.copy_from_slice(&b);
                dtrmm_(&c0, &c1, &c2, &c3, &d1, &d2, &al, a.as_ptr(), &la, ours.as_mut_ptr(), &lb, 1, 1, 1, 1);
                bundled::dtrmm(&c0, &c1, &c2, &c3, &d1, &d2, &al, a.as_ptr(), &la, reference.as_mut_ptr(), &lb, 1, 1, 1, 1);
            }
            _ => {
                ours.copy_from_slice(&b);
                reference.copy_from_slice(&b);
                dtrsm_(&c0, &c1, &c2, &c3, &d1, &d2, &al, a.as_ptr(), &la, ours.as_mut_ptr(), &lb, 1, 1, 1, 1);
                bundled::dtrsm(&c0, &c1, &c2, &c3, &d1, &d2, &al, a.as_ptr(), &la, reference.as_mut_ptr(), &lb, 1, 1, 1, 1);
            }
        }
    }
    // Entries are below 1 in magnitude (DTRSM's solution too, A being
    // dominant): an error bound of 30 eps per term of the sums.
    let bound = 30.0 * f64::EPSILON * (ka as f64 + 2.0) * (2.0 * al.abs() * ka.max(1) as f64 + be.abs() + 1.0);
    let mut worst = 0.0f64;
    for (i, (&o, &r)) in ours.iter().zip(&reference).enumerate() {
        if r.is_nan() || o.is_nan() {
            if o.to_bits() != r.to_bits() {
                return Some(format!("{case:?}: element {i} ours {o}, reference {r}"));
            }
            continue;
        }
        worst = worst.max((o - r).abs() / bound);
    }
    (!(worst <= 1.0)).then(|| format!("{case:?}: error/bound {worst:.2}"))
}

fn cases(rng: &mut Rng) -> Vec<Case> {
    let mut all = Vec::new();
    let mut add = |routine: &'static str, letters: [u8; 4], rng: &mut Rng, count: usize| {
        for _ in 0..count {
            all.push(Case {
                routine,
                letters,
                d1: DIMS[rng.below(DIMS.len())],
                d2: DIMS[rng.below(DIMS.len())],
                alpha: [1.0, -0.7, 0.0, 1.3][rng.below(4)],
                beta: [0.0, 1.0, 0.3][rng.below(3)],
                pad: rng.below(3) * 3,
            });
        }
    };
    for side in [b'L', b'R'] {
        for uplo in [b'U', b'L'] {
            add("DSYMM", [side, uplo, 0, 0], rng, 3);
        }
    }
    for uplo in [b'U', b'L'] {
        for trans in [b'N', b'T', b'C'] {
            add("DSYRK", [uplo, trans, 0, 0], rng, 3);
            add("DSYR2K", [uplo, trans, 0, 0], rng, 3);
        }
    }
    for side in [b'L', b'R'] {
        for uplo in [b'U', b'L'] {
            for trans in [b'N', b'T', b'C'] {
                for diag in [b'N', b'U'] {
                    add("DTRMM", [side, uplo, trans, diag], rng, 2);
                    add("DTRSM", [side, uplo, trans, diag], rng, 2);
                }
            }
        }
    }
    all
}

#[test]
fn gpu_blas3_matches_the_reference() {
    let Some((log, seed)) = common::gpu_test("gpu-blas3", "GPU Level-3 BLAS", 0x5eed_2026_1207) else { return };
    // DTRSM's diagonal blocks of 16 rows at most: its recursion runs (up
    // to four levels at 130).
    std::env::set_var("LAPACK_AI_TEST_TRSM_BLOCK", "16");
    let mut rng = Rng(seed | 1);
    let all = cases(&mut rng);
    let mut failures: Vec<String> = all.iter().filter_map(|&c| check(&mut rng, c)).collect();

    // The log proves the GPU ran the routines that have a GPU path.
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    for r in ["dsymm_", "dsyrk_", "dsyr2k_", "dtrmm_", "dtrsm_"] {
        let on_gpu = text.lines().filter(|l| l.starts_with(&format!("lapack-ai: {r} ")) && l.contains("-> gpu[")).count();
        if on_gpu == 0 {
            failures.push(format!("no {r} call ran on the GPU"));
        }
    }

    // Fallback after the first tile of C, and a panic there: the caller's
    // arrays are untouched until the device work is done, so the CPU
    // computes the whole call.
    let mut fell = 0;
    for inject in ["dgemm@1", "panic-dgemm@1"] {
        lapack_ai::runtime::config::set_hooks(|h| h.faults = lapack_ai::runtime::config::parse_faults(inject));
        for (routine, letters) in
            [("DSYMM", [b'R', b'U', 0, 0]), ("DSYRK", [b'L', b'T', 0, 0]), ("DSYR2K", [b'U', b'N', 0, 0]), ("DTRMM", [b'L', b'L', b'T', b'N']),
             ("DTRSM", [b'R', b'U', b'N', b'U'])]
        {
            let case = Case { routine, letters, d1: 130, d2: 97, alpha: -0.7, beta: 0.3, pad: 2 };
            if let Some(f) = check(&mut rng, case) {
                failures.push(format!("with {inject}: {f}"));
            }
            fell += 1;
        }
    }
    lapack_ai::runtime::config::set_hooks(|h| h.faults.clear());
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let logged = text.lines().filter(|l| l.contains("fell back to cpu[")).count();
    if logged != fell {
        failures.push(format!("{logged} fallbacks logged, {fell} expected"));
    }
    let _ = std::fs::remove_file(&log);
    assert!(failures.is_empty(), "seed {seed}: {} of {} cases failed:\n{}", failures.len(), all.len() + fell, failures.join("\n"));
}
