//! DGEMM spread over several OpenCL devices (LAPACK_AI_DEVICE=i,j): PoCL
//! made to expose two devices (POCL_DEVICES="pthread pthread"), every
//! transpose pair, odd sizes (n = 1 stays on one device), leading dimensions
//! larger than the rows, against the bundled reference DGEMM; both devices
//! must have taken part, and a failure injected after the first C tile of
//! each device must still give the right answer (the CPU finishes the tiles
//! of every device that were not written).

use lapack_ai::ops::gemm::exports::dgemm_;
use lapack_ai::engine::cpu::bundled;
use lapack_ai::engine::opencl::gemm::calls_per_device;

fn values(len: usize, seed: &mut u64) -> Vec<f64> {
    (0..len)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            let x = (*seed >> 11) as f64 / (1u64 << 53) as f64 * 1.8 - 0.9;
            x + 0.1f64.copysign(x)
        })
        .collect()
}

#[test]
fn dgemm_over_two_devices_matches_the_reference() {
    let Ok(want) = std::env::var("LAPACK_AI_TEST_OPENCL") else {
        eprintln!("LAPACK_AI_TEST_OPENCL not set (tools/test.sh sets it to pocl): multi-device DGEMM not tested");
        return;
    };
    if want.to_lowercase() == "pocl" {
        std::env::set_var("POCL_DEVICES", "pthread pthread");
    }
    // LAPACK_AI_TEST_MULTI_DEVICES=i,j names the pair (on the GPU machine:
    // the H100 and PoCL); else the first two devices matching the test
    // device's name.
    let list = std::env::var("LAPACK_AI_TEST_MULTI_DEVICES").unwrap_or_else(|_| {
        let devices = lapack_ai::engine::opencl::device::list().expect("OpenCL devices");
        let ids: Vec<String> = devices
            .iter()
            .filter(|d| d.fp64 && [&d.name, &d.platform, &d.vendor].iter().any(|s| s.to_lowercase().contains(&want.to_lowercase())))
            .map(|d| d.index.to_string())
            .take(2)
            .collect();
        assert_eq!(ids.len(), 2, "two devices matching {want:?}: {devices:?}");
        ids.join(",")
    });
    eprintln!("LAPACK_AI_DEVICE={list}");
    std::env::set_var("LAPACK_AI_DEVICE", &list);
    std::env::set_var("LAPACK_AI_MODE", "gpu");
    std::env::set_var("LAPACK_AI_TEST_STAGING", "2000");
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut run = |inject: Option<&str>| {
        match inject {
            Some(v) => lapack_ai::runtime::config::set_hooks(|h| h.faults = lapack_ai::runtime::config::parse_faults(v)),
            None => lapack_ai::runtime::config::set_hooks(|h| h.faults.clear()),
        }
        for (ta, tb) in [(b'N', b'N'), (b'T', b'N'), (b'N', b'T'), (b'T', b'T')] {
            for &(m, n, k) in &[(1usize, 1usize, 1usize), (37, 2, 11), (53, 97, 31), (129, 61, 70), (17, 201, 5)] {
                let (ar, ac) = if ta == b'N' { (m, k) } else { (k, m) };
                let (br, bc) = if tb == b'N' { (k, n) } else { (n, k) };
                let (lda, ldb, ldc) = (ar + 3, br + 1, m + 2);
                let a = values(lda * ac, &mut seed);
                let b = values(ldb * bc, &mut seed);
                let c0 = values(ldc * n, &mut seed);
                let (mut got, mut want) = (c0.clone(), c0.clone());
                let (mi, ni, ki, ldai, ldbi, ldci) = (m as i32, n as i32, k as i32, lda as i32, ldb as i32, ldc as i32);
                let (alpha, beta) = (0.75, -1.25);
                unsafe {
                    dgemm_(&ta.cast_signed(), &tb.cast_signed(), &mi, &ni, &ki, &alpha, a.as_ptr(), &ldai, b.as_ptr(), &ldbi, &beta, got.as_mut_ptr(), &ldci, 1, 1);
                    (bundled::dgemm)(&ta.cast_signed(), &tb.cast_signed(), &mi, &ni, &ki, &alpha, a.as_ptr(), &ldai, b.as_ptr(), &ldbi, &beta, want.as_mut_ptr(), &ldci, 1, 1);
                }
                for j in 0..n {
                    for i in 0..ldc {
                        let (x, y) = (got[i + j * ldc], want[i + j * ldc]);
                        if i >= m {
                            assert_eq!(x.to_bits(), c0[i + j * ldc].to_bits(), "padding changed");
                        } else {
                            assert!((x - y).abs() <= 1e-14 * k as f64 + 1e-15, "{} {} {m}x{n}x{k} inject {inject:?}: C({i},{j}) {x} vs {y}", ta as char, tb as char);
                        }
                    }
                }
            }
        }
    };
    run(None);
    let calls = calls_per_device();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(calls.iter().all(|&c| c > 0), "each device ran products: {calls:?}");
    // Every device fails after its first C tile: the CPU completes them.
    run(Some("dgemm@1"));
}
