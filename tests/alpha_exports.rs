//! The exported DGEMM_ALPHA: `dgemm_alpha_` and `lapack_ai_dgemm_alpha`
//! (row and column major, every transpose) against the bundled reference
//! DGEMM, their argument checks, and the log line. On the CPU path with
//! one level forced (LAPACK_AI_ALPHA_LEVELS=1, LAPACK_AI_ALPHA_MIN_BLOCK=1),
//! so that the scheme runs on small products.
//!
//! One #[test]: the configuration is read once per process.

use lapack_ai::ops::alpha::exports::{dgemm_alpha_, lapack_ai_dgemm_alpha};
use lapack_ai::engine::cpu::bundled;
use std::os::raw::{c_char, c_int};

fn values(len: usize, seed: u64) -> Vec<f64> {
    let mut s = seed | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn reference(ta: u8, tb: u8, m: i32, n: i32, k: i32, alpha: f64, a: &[f64], lda: i32, b: &[f64], ldb: i32, beta: f64, c: &mut [f64], ldc: i32) {
    // SAFETY: arrays sized for the arguments by the caller.
    unsafe {
        (bundled::dgemm)(&(ta as c_char), &(tb as c_char), &m, &n, &k, &alpha, a.as_ptr(), &lda, b.as_ptr(), &ldb, &beta,
            c.as_mut_ptr(), &ldc, 1, 1)
    }
}

fn max_diff(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max)
}

#[test]
fn exported_dgemm_alpha() {
    let log = std::env::temp_dir().join(format!("lapack-ai-alpha-exports-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&log);
    for (k, v) in [
        ("LAPACK_AI_MODE", "cpu"),
        ("LAPACK_AI_ALPHA_LEVELS", "1"),
        ("LAPACK_AI_ALPHA_MIN_BLOCK", "1"),
        ("LAPACK_AI_ALPHA_ADD_GBS", "10"),
        ("LAPACK_AI_RATES", "cpu=10,gpu=100,h2d=10,launch=1e-4"),
        ("LAPACK_AI_LOG", log.to_str().unwrap()),
    ] {
        std::env::set_var(k, v);
    }
    let (m, n, k) = (37usize, 45usize, 29usize);
    let mut worst = 0.0f64;
    for ta in [b'N', b'T', b'c'] {
        for tb in [b'n', b'T', b'C'] {
            let nota = ta == b'N' || ta == b'n';
            let notb = tb == b'N' || tb == b'n';
            // Column major through dgemm_alpha_.
            let (ar, ac) = if nota { (m, k) } else { (k, m) };
            let (br, bc) = if notb { (k, n) } else { (n, k) };
            let (lda, ldb, ldc) = (ar + 2, br + 1, m + 3);
            let a = values(lda * ac, 1);
            let b = values(ldb * bc, 2);
            let c0 = values(ldc * n, 3);
            let (alpha, beta) = (-1.25, 0.5);
            let mut want = c0.clone();
            reference(ta, tb, m as i32, n as i32, k as i32, alpha, &a, lda as i32, &b, ldb as i32, beta, &mut want, ldc as i32);
            let mut got = c0.clone();
            let (mi, ni, ki, la, lb, lc) = (m as c_int, n as c_int, k as c_int, lda as c_int, ldb as c_int, ldc as c_int);
            // SAFETY: arrays sized above.
            unsafe {
                dgemm_alpha_(&(ta as c_char), &(tb as c_char), &mi, &ni, &ki, &alpha, a.as_ptr(), &la, b.as_ptr(), &lb,
                    &beta, got.as_mut_ptr(), &lc, 1, 1)
            };
            worst = worst.max(max_diff(&got, &want));
            // The same product through the C API, column major.
            let mut got2 = c0.clone();
            // SAFETY: as above.
            let info = unsafe {
                lapack_ai_dgemm_alpha(102, ta as c_char, tb as c_char, mi, ni, ki, alpha, a.as_ptr(), la, b.as_ptr(), lb,
                    beta, got2.as_mut_ptr(), lc)
            };
            assert_eq!(info, 0);
            worst = worst.max(max_diff(&got2, &want));
            // Row major: C, A and B copied into row-major arrays.
            let mut rm = vec![0.0; m * (n + 2)];
            for i in 0..m {
                for j in 0..n {
                    rm[i * (n + 2) + j] = c0[i + j * ldc];
                }
            }
            // Row-major copies of A and B as stored (same transposes).
            let (ra, rb) = (ac + 1, bc + 2);
            let mut a_rm = vec![0.0; ar * ra];
            for i in 0..ar {
                for j in 0..ac {
                    a_rm[i * ra + j] = a[i + j * lda];
                }
            }
            let mut b_rm = vec![0.0; br * rb];
            for i in 0..br {
                for j in 0..bc {
                    b_rm[i * rb + j] = b[i + j * ldb];
                }
            }
            // SAFETY: row-major arrays sized above.
            let info = unsafe {
                lapack_ai_dgemm_alpha(101, ta as c_char, tb as c_char, mi, ni, ki, alpha, a_rm.as_ptr(), ra as c_int,
                    b_rm.as_ptr(), rb as c_int, beta, rm.as_mut_ptr(), (n + 2) as c_int)
            };
            assert_eq!(info, 0);
            for i in 0..m {
                for j in 0..n {
                    worst = worst.max((rm[i * (n + 2) + j] - want[i + j * ldc]).abs());
                }
            }
        }
    }
    assert!(worst < 1e-12, "max difference {worst}");

    // Illegal arguments of the C API: -i, nothing computed.
    let a = values(100, 4);
    let mut c = vec![7.0; 100];
    let call = |layout, ta: u8, tb: u8, m, n, k, lda, ldb, ldc, c: &mut [f64]| unsafe {
        lapack_ai_dgemm_alpha(layout, ta as c_char, tb as c_char, m, n, k, 1.0, a.as_ptr(), lda, a.as_ptr(), ldb, 0.0, c.as_mut_ptr(), ldc)
    };
    assert_eq!(call(100, b'N', b'N', 2, 2, 2, 2, 2, 2, &mut c), -1);
    assert_eq!(call(102, b'X', b'N', 2, 2, 2, 2, 2, 2, &mut c), -2);
    assert_eq!(call(102, b'N', b'X', 2, 2, 2, 2, 2, 2, &mut c), -3);
    assert_eq!(call(102, b'N', b'N', -1, 2, 2, 2, 2, 2, &mut c), -4);
    assert_eq!(call(102, b'N', b'N', 2, -1, 2, 2, 2, 2, &mut c), -5);
    assert_eq!(call(102, b'N', b'N', 2, 2, -1, 2, 2, 2, &mut c), -6);
    assert_eq!(call(102, b'N', b'N', 3, 2, 2, 2, 2, 3, &mut c), -9);
    assert_eq!(call(101, b'N', b'N', 2, 3, 4, 4, 2, 3, &mut c), -11);
    assert_eq!(call(101, b'N', b'N', 2, 3, 4, 4, 3, 2, &mut c), -14);
    assert!(c.iter().all(|&x| x == 7.0), "C changed by an illegal call");
    let info = unsafe { lapack_ai_dgemm_alpha(102, b'N' as c_char, b'N' as c_char, 2, 2, 2, 1.0, std::ptr::null(), 2, a.as_ptr(), 2, 0.0, c.as_mut_ptr(), 2) };
    assert_eq!(info, -8);
    let info = unsafe { lapack_ai_dgemm_alpha(102, b'N' as c_char, b'N' as c_char, 2, 2, 2, 1.0, a.as_ptr(), 2, a.as_ptr(), 2, 0.0, std::ptr::null_mut(), 2) };
    assert_eq!(info, -13);
    // m = 0: a legal quick return.
    assert_eq!(call(102, b'N', b'N', 0, 2, 2, 1, 2, 1, &mut c), 0);

    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(text.lines().any(|l| l.contains("dgemm_alpha_ ") && l.contains("levels=1") && l.contains("-> cpu[")),
        "no dgemm_alpha_ line with levels=1 on the CPU in the log:\n{text}");
    let _ = std::fs::remove_file(&log);
}
