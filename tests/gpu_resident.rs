//! The device-resident layer (src/engine/opencl/resident.rs) on the OpenCL device
//! named by LAPACK_AI_TEST_OPENCL (PoCL in CI): sub-matrix writes and reads
//! at offsets with leading dimensions larger than the rows, through staging
//! buffers small enough to need several chunks, and DGEMM on views, against
//! the bundled reference DGEMM.

use lapack_ai::engine::cpu::bundled;
use lapack_ai::engine::opencl::context::gpu;
use lapack_ai::engine::opencl::resident::{self, DeviceMatrix};
use lapack_ai::matrix::{MatMut, MatRef};

fn values(len: usize, seed: u64) -> Vec<f64> {
    let mut s = seed | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let x = (s >> 11) as f64 / (1u64 << 53) as f64 * 1.8 - 0.9;
            x + 0.1f64.copysign(x)
        })
        .collect()
}

#[test]
fn resident_copies_and_products_match_the_reference() {
    let Ok(device) = std::env::var("LAPACK_AI_TEST_OPENCL") else {
        eprintln!("LAPACK_AI_TEST_OPENCL not set (tools/test.sh sets it to pocl): resident layer not tested");
        return;
    };
    std::env::set_var("LAPACK_AI_DEVICE", &device);
    std::env::set_var("LAPACK_AI_TEST_STAGING", "500");
    let mut g = gpu().expect("the test device");
    // Round trip of a sub-matrix at an offset: 37 x 29 at (5, 3) of a 50 x 40.
    let (rows, cols, ld) = (37usize, 29usize, 41usize);
    let host = values(ld * cols, 7);
    let dm = DeviceMatrix::new(&g, 50, 40).unwrap();
    let fill = values(50 * 40, 9);
    let mut back = vec![0.0; 50 * 40];
    unsafe {
        resident::write(&mut g, dm.view(), MatRef::from_slice(&fill, 50, 40, 50)).unwrap();
        resident::write(&mut g, dm.at(5, 3), MatRef::from_slice(&host, rows, cols, ld)).unwrap();
        resident::read(&mut g, dm.view(), MatMut::from_slice(&mut back, 50, 40, 50)).unwrap();
    }
    for j in 0..40 {
        for i in 0..50 {
            let want = if (5..5 + rows).contains(&i) && (3..3 + cols).contains(&j) { host[(i - 5) + (j - 3) * ld] } else { fill[i + j * 50] };
            assert_eq!(back[i + j * 50], want, "element ({i}, {j})");
        }
    }
    // Products on views, every transpose pair, odd sizes.
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
        for &(m, n, k) in &[(1usize, 1usize, 1usize), (33, 17, 65), (70, 129, 3)] {
            let (ar, ac) = if ta { (k, m) } else { (m, k) };
            let (br, bc) = if tb { (n, k) } else { (k, n) };
            let (a, b, c0) = (values(ar * ac, 11), values(br * bc, 13), values(m * n, 17));
            let (da, db, dc) = (
                DeviceMatrix::new(&g, ar + 3, ac + 2).unwrap(),
                DeviceMatrix::new(&g, br + 1, bc + 1).unwrap(),
                DeviceMatrix::new(&g, m + 2, n + 1).unwrap(),
            );
            let mut got = vec![0.0; m * n];
            unsafe {
                resident::write(&mut g, da.at(3, 2), MatRef::from_slice(&a, ar, ac, ar)).unwrap();
                resident::write(&mut g, db.at(1, 1), MatRef::from_slice(&b, br, bc, br)).unwrap();
                resident::write(&mut g, dc.at(2, 1), MatRef::from_slice(&c0, m, n, m)).unwrap();
                resident::gemm(&mut g, ta, tb, m, n, k, -0.7, da.at(3, 2), db.at(1, 1), 1.3, dc.at(2, 1)).unwrap();
                resident::read(&mut g, dc.at(2, 1), MatMut::from_slice(&mut got, m, n, m)).unwrap();
            }
            let mut want = c0.clone();
            let (t1, t2) = (if ta { b"T" } else { b"N" }, if tb { b"T" } else { b"N" });
            let (mi, ni, ki, lda, ldb, ldc) = (m as i32, n as i32, k as i32, ar as i32, br as i32, m as i32);
            unsafe {
                (bundled::dgemm)(t1.as_ptr().cast(), t2.as_ptr().cast(), &mi, &ni, &ki, &-0.7, a.as_ptr(), &lda, b.as_ptr(), &ldb, &1.3, want.as_mut_ptr(), &ldc, 1, 1)
            };
            let err = got.iter().zip(&want).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
            assert!(err < 1e-13 * k as f64 + 1e-14, "ta={ta} tb={tb} {m}x{n}x{k}: error {err}");
        }
    }
}

#[test]
fn resident_transpose_matches_the_host() {
    let Ok(device) = std::env::var("LAPACK_AI_TEST_OPENCL") else {
        eprintln!("LAPACK_AI_TEST_OPENCL not set (tools/test.sh sets it to pocl): transposition not tested");
        return;
    };
    std::env::set_var("LAPACK_AI_DEVICE", &device);
    let mut g = gpu().expect("the test device");
    // Sub-matrices at offsets, sizes that are and are not multiples of the
    // kernel's 16 x 16 tiles.
    for &(rows, cols) in &[(1usize, 1usize), (16, 16), (37, 20), (5, 70)] {
        let a = values((rows + 4) * (cols + 3), 23);
        let da = DeviceMatrix::new(&g, rows + 4, cols + 3).unwrap();
        let db = DeviceMatrix::new(&g, cols + 2, rows + 5).unwrap();
        let mut back = vec![f64::NAN; (cols + 2) * (rows + 5)];
        unsafe {
            resident::write(&mut g, da.view(), MatRef::from_slice(&a, rows + 4, cols + 3, rows + 4)).unwrap();
            resident::write(&mut g, db.view(), MatRef::from_slice(&back, cols + 2, rows + 5, cols + 2)).unwrap();
            resident::transpose(&mut g, rows, cols, da.at(2, 1), db.at(1, 3)).unwrap();
            resident::read(&mut g, db.view(), MatMut::from_slice(&mut back, cols + 2, rows + 5, cols + 2)).unwrap();
        }
        for j in 0..rows + 5 {
            for i in 0..cols + 2 {
                let got = back[i + j * (cols + 2)];
                let inside = (1..1 + cols).contains(&i) && (3..3 + rows).contains(&j);
                if inside {
                    let want = a[(j - 3 + 2) + (i - 1 + 1) * (rows + 4)];
                    assert_eq!(got, want, "{rows} x {cols}: B({i}, {j})");
                } else {
                    assert!(got.is_nan(), "{rows} x {cols}: B({i}, {j}) outside the transpose was written");
                }
            }
        }
    }
}
