//! The SVD's terms for the cost model (src/dispatch/cost.rs).

/// Approximate flops of an SVD (LAPACK Users' Guide, table 3.13 style):
/// values only 4mn^2 - 4n^3/3 (m >= n), with vectors about 4m^2n + 8mn^2 + 9n^3.
pub fn flops(m: i32, n: i32, vectors: bool) -> f64 {
    let (big, small) = (m.max(n) as f64, m.min(n) as f64);
    if vectors {
        4.0 * big * big * small + 8.0 * big * small * small + 9.0 * small.powi(3)
    } else {
        4.0 * big * small * small - 4.0 / 3.0 * small.powi(3)
    }
}

/// The call's class for the cost model's corrections (src/dispatch/model.rs):
/// bit 0 vectors wanted, bit 1 one side at least twice the other. The
/// values-only SVD and the one with vectors run different algorithms on
/// the CPU (at n = 4096 on the H100 machine, OpenBLAS's values-only
/// DGESDD took 12x what the square DGEMM rate predicted).
pub fn shape(m: i32, n: i32, vectors: bool) -> u8 {
    let (big, small) = (m.max(n), m.min(n));
    vectors as u8 | ((big >= 2 * small) as u8) << 1
}

/// [`shape`]'s name: `values`, `vectors.tall`.
pub fn shape_name(code: u8) -> String {
    format!("{}{}", if code & 1 != 0 { "vectors" } else { "values" }, if code & 2 != 0 { ".tall" } else { "" })
}

/// Bytes the GPU SVD moves: A up, U and Vᵀ down.
pub fn bytes(m: i32, n: i32, vectors: bool) -> f64 {
    let (big, small) = (m.max(n) as f64, m.min(n) as f64);
    8.0 * (big * small + if vectors { big * big + small * small } else { 0.0 })
}

/// Synchronous round trips of the GPU SVD: two per band panel of its
/// stage 1 (16 columns, src/ops/svd/gpu.rs). The host's work between them
/// (panel QRs, the chase, the bidiagonal SVD) is not counted: it makes
/// tall values-only problems slower on the GPU path than on a 16-core
/// CPU's LAPACK (0.86x at 16384 x 1024 on the H100 machine), which the
/// model does not see.
pub fn launches(m: i32, n: i32) -> f64 {
    2.0 * (m.min(n) as f64 / 16.0).ceil() + 1.0
}
