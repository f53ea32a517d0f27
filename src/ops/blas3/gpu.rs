//! The GPU paths of DSYMM, DSYRK, DSYR2K and DTRMM: each is one or two
//! products of the OpenCL engine's DGEMM from host memory
//! (src/engine/opencl/gemm.rs, on the FP64 tensor cores on NVIDIA), on
//! host copies that make the operands general:
//! - DSYMM: A's stored triangle mirrored into a full symmetric matrix;
//! - DSYRK, DSYR2K: the whole of A Bᵀ (+ B Aᵀ) computed into a copy of C,
//!   of which only the UPLO triangle is copied back (twice the routine's
//!   flops: the cost model halves the GPU's rate for them);
//! - DTRMM: A's triangle (with a unit diagonal when DIAG = 'U') expanded
//!   into a full matrix with zeros, B copied as the product's input.
//!
//! Every result is computed into a buffer of ours and copied into the
//! caller's array only once the device work is done, so a failure leaves
//! the caller's arrays as they were and the CPU computes the whole call.
//! The copies cost O(n²) against the product's O(n³).

use crate::engine::opencl::error::GpuError;
use crate::engine::opencl::gemm::{self, Gemm};
use crate::matrix::{MatMut, MatRef};

/// A zeroed host buffer, or the error that says it could not be had
/// (instead of the abort of an infallible allocation).
fn buffer(len: usize) -> Result<Vec<f64>, GpuError> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| GpuError::HostMemory(len * 8))?;
    v.resize(len, 0.0);
    Ok(v)
}

fn product(g: &Gemm<'_>, c: MatMut<'_>) -> Result<(), GpuError> {
    gemm::dgemm(g, c).map_err(|f| f.error)
}

/// C (`rows x cols`, leading dimension `ld`) copied into a packed buffer,
/// or a zeroed one when `beta` is 0 (C is then not read, as BLAS says).
///
/// # Safety
/// `c` holds such a matrix.
unsafe fn copy_of(c: *const f64, rows: usize, cols: usize, ld: usize, beta: f64) -> Result<Vec<f64>, GpuError> {
    let mut t = buffer(rows * cols)?;
    if beta != 0.0 {
        // SAFETY: the caller's guarantee.
        let src = unsafe { MatRef::from_raw(c, rows, cols, ld) };
        for j in 0..cols {
            t[j * rows..(j + 1) * rows].copy_from_slice(src.col(j));
        }
    }
    Ok(t)
}

/// DSYMM on the GPU: C := alpha A B + beta C (`left`) or alpha B A + beta C,
/// A symmetric (`ka x ka`, ka = m or n) from its `upper` or lower triangle.
///
/// # Safety
/// The arrays hold the matrices DSYMM's legal arguments describe, C
/// overlapping neither A nor B.
#[allow(clippy::too_many_arguments)]
pub unsafe fn symm(
    left: bool, upper: bool, m: usize, n: usize, alpha: f64, a: *const f64, lda: i32, b: *const f64, ldb: i32,
    beta: f64, c: *mut f64, ldc: i32,
) -> Result<(), GpuError> {
    let ka = if left { m } else { n };
    // SAFETY: the caller's guarantee (A ka x ka, B and C m x n).
    let (av, bv) = unsafe { (MatRef::from_raw(a, ka, ka, lda as usize), MatRef::from_raw(b, m, n, ldb as usize)) };
    let mut full = buffer(ka * ka)?;
    for j in 0..ka {
        for i in 0..ka {
            let stored = if upper == (i <= j) { av.at(i, j) } else { av.at(j, i) };
            full[i + j * ka] = stored;
        }
    }
    let fv = MatRef::from_slice(&full, ka, ka, ka);
    // SAFETY: as above.
    let mut t = unsafe { copy_of(c, m, n, ldc as usize, beta) }?;
    let g = if left { Gemm::new(false, false, alpha, fv, bv, beta) } else { Gemm::new(false, false, alpha, bv, fv, beta) };
    product(&g, MatMut::from_slice(&mut t, m, n, m))?;
    // SAFETY: C is m x n with leading dimension ldc (the caller's guarantee).
    let mut cv = unsafe { MatMut::from_raw(c, m, n, ldc as usize) };
    for j in 0..n {
        cv.col_mut(j).copy_from_slice(&t[j * m..(j + 1) * m]);
    }
    Ok(())
}

/// DSYRK (`b` None: B = A) and DSYR2K on the GPU: C := alpha (A Bᵀ + B
/// Aᵀ) plus beta C (`notrans`; DSYRK: alpha A Aᵀ plus beta C) or the same
/// with Aᵀ B, only C's `upper` or lower triangle written. A and B are
/// `n x k` (`k x n` when not `notrans`).
///
/// # Safety
/// The arrays hold the matrices the routine's legal arguments describe, C
/// overlapping neither A nor B.
#[allow(clippy::too_many_arguments)]
pub unsafe fn syr2k(
    upper: bool, notrans: bool, n: usize, k: usize, alpha: f64, a: *const f64, lda: i32, b: Option<(*const f64, i32)>,
    beta: f64, c: *mut f64, ldc: i32,
) -> Result<(), GpuError> {
    let (rows, cols) = if notrans { (n, k) } else { (k, n) };
    // SAFETY: the caller's guarantee.
    let av = unsafe { MatRef::from_raw(a, rows, cols, lda as usize) };
    // SAFETY: the caller's guarantee (C n x n).
    let mut t = unsafe { copy_of(c, n, n, ldc as usize, beta) }?;
    // op(X) op(Y)ᵀ: X Yᵀ when notrans, else Xᵀ Y.
    let cross = |x: MatRef<'_>, y: MatRef<'_>, beta: f64, t: &mut [f64]| {
        let g = if notrans { Gemm::new(false, true, alpha, x, y, beta) } else { Gemm::new(true, false, alpha, x, y, beta) };
        product(&g, MatMut::from_slice(t, n, n, n))
    };
    match b {
        None => cross(av, av, beta, &mut t)?,
        Some((b, ldb)) => {
            // SAFETY: the caller's guarantee (B has A's shape).
            let bv = unsafe { MatRef::from_raw(b, rows, cols, ldb as usize) };
            cross(av, bv, beta, &mut t)?;
            cross(bv, av, 1.0, &mut t)?;
        }
    }
    // SAFETY: C is n x n with leading dimension ldc (the caller's guarantee).
    let mut cv = unsafe { MatMut::from_raw(c, n, n, ldc as usize) };
    for j in 0..n {
        let rows = if upper { 0..j + 1 } else { j..n };
        cv.col_mut(j)[rows.clone()].copy_from_slice(&t[j * n + rows.start..j * n + rows.end]);
    }
    Ok(())
}

/// DTRMM's triangle: on which side A multiplies, which triangle it is,
/// whether it is transposed and whether its diagonal is one.
#[derive(Clone, Copy)]
pub struct Tri {
    pub left: bool,
    pub upper: bool,
    pub trans: bool,
    pub unit: bool,
}

/// DTRMM on the GPU: B := alpha op(A) B (`left`) or alpha B op(A), A
/// triangular (`ka x ka`, ka = m or n), B `m x n`.
///
/// # Safety
/// The arrays hold the matrices DTRMM's legal arguments describe, B not
/// overlapping A.
#[allow(clippy::too_many_arguments)]
pub unsafe fn trmm(s: Tri, m: usize, n: usize, alpha: f64, a: *const f64, lda: i32, b: *mut f64, ldb: i32) -> Result<(), GpuError> {
    let ka = if s.left { m } else { n };
    // SAFETY: the caller's guarantee (A ka x ka).
    let av = unsafe { MatRef::from_raw(a, ka, ka, lda as usize) };
    let mut full = buffer(ka * ka)?;
    for j in 0..ka {
        let rows = if s.upper { 0..j } else { j + 1..ka };
        for i in rows {
            full[i + j * ka] = av.at(i, j);
        }
        full[j + j * ka] = if s.unit { 1.0 } else { av.at(j, j) };
    }
    let fv = MatRef::from_slice(&full, ka, ka, ka);
    // SAFETY: B is m x n with leading dimension ldb (the caller's guarantee).
    let input = unsafe { copy_of(b, m, n, ldb as usize, 1.0) }?;
    let iv = MatRef::from_slice(&input, m, n, m);
    let mut out = buffer(m * n)?;
    let g = if s.left { Gemm::new(s.trans, false, alpha, fv, iv, 0.0) } else { Gemm::new(false, s.trans, alpha, iv, fv, 0.0) };
    product(&g, MatMut::from_slice(&mut out, m, n, m))?;
    // SAFETY: as above.
    let mut bv = unsafe { MatMut::from_raw(b, m, n, ldb as usize) };
    for j in 0..n {
        bv.col_mut(j).copy_from_slice(&out[j * m..(j + 1) * m]);
    }
    Ok(())
}
