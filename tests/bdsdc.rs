//! The parallel DBDSDC (src/ops/svd/bdsdc.rs) against the bundled reference
//! DBDSDC('U', 'I'): with the same DGEMM (the bundled one) every element of
//! D, U and Vᵀ must be bitwise equal, on random, graded, clustered and
//! split bidiagonals of sizes around the leaf size (25) and beyond, where
//! the tree's levels and the merges run on several threads.

use lapack_ai::ops::svd::bdsdc::bdsdc_upper;
use lapack_ai::engine::cpu::bundled::routines as netlib;

fn rng(seed: &mut u64) -> f64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    (*seed >> 11) as f64 / (1u64 << 53) as f64
}

#[test]
fn parallel_dbdsdc_is_bitwise_the_reference() {
    // The products inside must be the bundled DGEMM for bitwise equality.
    std::env::set_var("LAPACK_AI_CPU_LIB", "bundled");
    let mut seed = 0x5eed_1234_u64;
    let mut checked = 0;
    for &n in &[1usize, 2, 5, 25, 26, 51, 60, 133, 300, 517] {
        for class in 0..4 {
            let mut d: Vec<f64> = (0..n).map(|_| rng(&mut seed) + 0.1).collect();
            let mut e: Vec<f64> = (0..n).map(|_| rng(&mut seed) - 0.5).collect();
            match class {
                1 => d.iter_mut().enumerate().for_each(|(i, x)| *x *= 1e-8f64.powf(i as f64 / n as f64)),
                2 => d.iter_mut().for_each(|x| *x = 1.0 + (*x * 4.0).round() * 1e-14),
                3 => {
                    for i in (0..n.saturating_sub(1)).step_by(7) {
                        e[i] = 1e-300;
                    }
                }
                _ => {}
            }
            let (mut d1, mut e1, mut d2, mut e2) = (d.clone(), e.clone(), d.clone(), e.clone());
            let mut u1 = vec![f64::NAN; n * n];
            let mut vt1 = vec![f64::NAN; n * n];
            let mut u2 = vec![f64::NAN; (n + 1) * n];
            let mut vt2 = vec![f64::NAN; (n + 2) * n];
            let info1 = unsafe { bdsdc_upper(n, d1.as_mut_ptr(), e1.as_mut_ptr(), u1.as_mut_ptr(), n, vt1.as_mut_ptr(), n, None) };
            let ni = n as i32;
            let (ldu2, ldvt2) = ((n + 1) as i32, (n + 2) as i32);
            let mut work = vec![0.0; 3 * n * n + 4 * n + 1];
            let mut iwork = vec![0i32; 8 * n + 1];
            let (mut q, mut iq, mut info2) = ([0.0f64], [0i32], 0i32);
            unsafe {
                netlib::dbdsdc(
                    c"U".as_ptr(), c"I".as_ptr(), &ni, d2.as_mut_ptr(), e2.as_mut_ptr(), u2.as_mut_ptr(), &ldu2,
                    vt2.as_mut_ptr(), &ldvt2, q.as_mut_ptr(), iq.as_mut_ptr(), work.as_mut_ptr(), iwork.as_mut_ptr(),
                    &mut info2, 1, 1,
                )
            };
            assert_eq!(info1, info2, "n={n} class={class}: INFO");
            assert_eq!(info1, 0, "n={n} class={class}");
            for i in 0..n {
                assert_eq!(d1[i].to_bits(), d2[i].to_bits(), "n={n} class={class}: D({})", i + 1);
                for j in 0..n {
                    assert_eq!(u1[i + j * n].to_bits(), u2[i + j * (n + 1)].to_bits(), "n={n} class={class}: U({},{})", i + 1, j + 1);
                    assert_eq!(vt1[i + j * n].to_bits(), vt2[i + j * (n + 2)].to_bits(), "n={n} class={class}: VT({},{})", i + 1, j + 1);
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 40);
}
