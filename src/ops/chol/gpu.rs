//! The Cholesky factorization (DPOTRF) on the GPU, on a device-resident
//! matrix, and the solves with its factor (DPOTRS, DPOSV).
//!
//! # Algorithm
//!
//! A = L Lᵀ (UPLO = 'L'; for 'U', A's upper triangle is transposed on the
//! device into a lower one, factored, and transposed back: U = Lᵀ), n³/3
//! flops, right-looking by panels of `nb` columns (512 on a GPU):
//!
//! ```text
//! for each panel k (columns k0..k0+kb):
//!     L11 := chol(A11)                 on the host: the CPU LAPACK's DPOTRF
//!                                      of the kb x kb diagonal block
//!     L21 := A21 L11⁻ᵀ                 on the device, by leaves of 64
//!                                      columns: A21's leaf -= the leaves
//!                                      solved before times L11's, then
//!                                      times the leaf's inverse (DTRTRI on
//!                                      the host, 64 x 64), as GEMMs
//!     A22 := A22 - L21 L21ᵀ            on the device, the lower part only:
//!                                      one GEMM per block column
//! ```
//!
//! Everything of O(n³) runs as GEMMs on the device (the FP64 tensor-core
//! kernel on NVIDIA); the host factors the diagonal blocks (kb³/3 flops
//! each, n/nb of them) and inverts their 64 x 64 leaves, and one kb x kb
//! block goes down and up per panel. The leaves' explicit inverses are the
//! way GPU triangular solves are usually made (MAGMA's, for one): a 64 x 64
//! triangle's inverse is as accurate as its condition allows, which for a
//! Cholesky factor's diagonal block is at most the square root of A's.
//!
//! The solve L Lᵀ X = B (DPOTRS with the caller's factor, DPOSV with the
//! one still on the device): a forward then a backward substitution by
//! leaves, each leaf one GEMM for the update by the leaves solved before
//! and one GEMM by the leaf's inverse (from the factorization, or from the
//! host's DTRTRI of the caller's factor's leaves for DPOTRS).
//!
//! # What the caller sees
//!
//! The caller's A is written only at the end, after every device step
//! succeeded, and only its UPLO triangle: until then it is as passed. So a
//! failure, or a matrix that is not positive definite (a diagonal block's
//! DPOTRF says so), leaves it untouched, and the CPU LAPACK then computes
//! the whole call: INFO and A are exactly what reference leaves (reference
//! DPOTRF is left-looking; what it leaves in A after a failed block is its
//! own).

use super::cost::GPU_PANEL;
use crate::engine::cpu::{bundled, CPU};
use crate::engine::opencl::context::{gpu, Gpu};
use crate::engine::opencl::error::GpuError;
use crate::engine::opencl::resident::{self, DeviceMatrix};
use crate::engine::opencl::{fault, host};
use crate::matrix::{MatMut, MatRef};
use std::os::raw::{c_char, c_int};

/// Why the GPU factorization stopped (the caller's A untouched).
#[derive(Debug)]
pub enum Stop {
    /// A diagonal block is not positive definite: A is not (to rounding),
    /// and the CPU LAPACK's DPOTRF says where.
    NotPositive,
    Gpu(GpuError),
}

impl From<GpuError> for Stop {
    fn from(e: GpuError) -> Stop {
        Stop::Gpu(e)
    }
}

/// Panel width and leaf width for the device: a CPU device (PoCL) gets
/// small ones, so that the tests' small matrices take several panels.
fn widths(gpu: &Gpu) -> (usize, usize) {
    if gpu.device.is_gpu {
        (GPU_PANEL, 64)
    } else {
        (48, 16)
    }
}

/// A factorization on the device: the lower factor L (A = L Lᵀ; for
/// UPLO = 'U', L = Uᵀ) in `lower`, the inverses of its `leaf` x `leaf`
/// diagonal leaves side by side in `inv` (leaf x n), and A's own device
/// copy when `lower` is its transpose.
struct Factored {
    lower: DeviceMatrix,
    inv: DeviceMatrix,
    leaf: usize,
    stored: Option<DeviceMatrix>,
}

/// A (its `upper` or lower triangle) up, transposed into lower form for
/// 'U', and factored on the device.
fn factor(g: &mut Gpu, upper: bool, a: MatRef<'_>, fault: Option<fault::Fault>) -> Result<Factored, Stop> {
    let n = a.rows();
    let d = DeviceMatrix::new(g, n, n)?;
    // SAFETY: the device matrix is n x n, as A.
    unsafe { resident::write(g, d.view(), a) }?;
    let (lower, stored) = if upper {
        let t = DeviceMatrix::new(g, n, n)?;
        // SAFETY: two n x n device matrices.
        unsafe { resident::transpose(g, n, n, d.view(), t.view()) }?;
        (t, Some(d))
    } else {
        (d, None)
    };
    let (inv, leaf) = factor_lower(g, &lower, n, fault)?;
    Ok(Factored { lower, inv, leaf, stored })
}

/// The factor as the caller's A stores it (U = Lᵀ for 'U'), read back
/// into a packed n x n host buffer.
fn factor_back(g: &mut Gpu, f: &Factored, n: usize) -> Result<Vec<f64>, GpuError> {
    let src = match &f.stored {
        Some(d) => {
            // SAFETY: two n x n device matrices.
            unsafe { resident::transpose(g, n, n, f.lower.view(), d.view()) }?;
            d
        }
        None => &f.lower,
    };
    let mut out = host::zeroed::<f64>(n * n, "dpotrf")?;
    // SAFETY: the device matrix is n x n, as the buffer's view.
    unsafe { resident::read(g, src.view(), MatMut::from_slice(&mut out, n, n, n)) }?;
    Ok(out)
}

/// The packed factor `out` into the caller's A, its `upper` or lower
/// triangle only.
fn write_triangle(upper: bool, out: &[f64], mut a: MatMut<'_>) {
    let n = a.rows();
    for j in 0..n {
        let (rows, col) = (if upper { 0..j + 1 } else { j..n }, a.col_mut(j));
        col[rows.clone()].copy_from_slice(&out[j * n + rows.start..j * n + rows.end]);
    }
}

/// DPOTRF on the GPU, and with `b` DPOSV: the `upper` or lower triangle of
/// the n x n `a` replaced by its Cholesky factor (the other triangle
/// untouched), and A X = B solved with the factor still on the device, X
/// over B. The caller's arrays are written only once everything
/// succeeded: on an error they are as passed.
///
/// Test hook (`LAPACK_AI_FAULT_INJECT`): `dpotrf` fails at the start,
/// `dpotrf@N` after N panels, `panic-dpotrf[@N]` panics there.
pub fn factor_host(upper: bool, a: MatMut<'_>, b: Option<MatMut<'_>>) -> Result<(), Stop> {
    let fault = fault::at("dpotrf");
    fault::check(fault, 0)?;
    let n = a.rows();
    let mut g = gpu()?;
    let f = factor(&mut g, upper, a.rb(), fault)?;
    let x = match &b {
        Some(b) => Some(solve(&mut g, &f.lower, &f.inv, f.leaf, b.rb())?),
        None => None,
    };
    let out = factor_back(&mut g, &f, n)?;
    drop(g);
    // Only now the caller's arrays (of A only its triangle).
    write_triangle(upper, &out, a);
    if let (Some(x), Some(b)) = (x, b) {
        copy_into(&x, b);
    }
    Ok(())
}

/// DPOTRS on the GPU: A X = B with the caller's factor (its `upper` or
/// lower triangle), X over B once the device work succeeded (B as passed
/// on an error). A factor with a zero on its diagonal is declined (the
/// CPU LAPACK's DPOTRS divides by it as reference does).
pub fn dpotrs_host(upper: bool, a: MatRef<'_>, b: MatMut<'_>) -> Result<(), GpuError> {
    let fault = fault::at("dpotrs");
    fault::check(fault, 0)?;
    let n = a.rows();
    let mut g = gpu()?;
    let (_, leaf) = widths(&g);
    let leaf = leaf.min(n);
    // L (lower) on the host's side for the leaves: the caller's lower
    // triangle, or its upper one transposed.
    let mut leaves = host::zeroed::<f64>(leaf * n, "dpotrs")?;
    if !invert_leaves(n, leaf, |i, j| if upper { a.at(j, i) } else { a.at(i, j) }, &mut leaves) {
        return Err(GpuError::Declined("a zero on the factor's diagonal"));
    }
    let d = DeviceMatrix::new(&g, n, n)?;
    let inv = DeviceMatrix::new(&g, leaf, n)?;
    // SAFETY: n x n and leaf x n device matrices, as the host ones.
    unsafe {
        resident::write(&mut g, d.view(), a)?;
        resident::write(&mut g, inv.view(), MatRef::from_slice(&leaves, leaf, n, leaf))?;
    }
    let lower = if upper {
        let t = DeviceMatrix::new(&g, n, n)?;
        // SAFETY: two n x n device matrices.
        unsafe { resident::transpose(&mut g, n, n, d.view(), t.view()) }?;
        t
    } else {
        d
    };
    let x = solve(&mut g, &lower, &inv, leaf, b.rb())?;
    drop(g);
    copy_into(&x, b);
    Ok(())
}

/// The packed n x nrhs `x` into the caller's B.
fn copy_into(x: &[f64], mut b: MatMut<'_>) {
    let n = b.rows();
    for j in 0..b.cols() {
        b.col_mut(j).copy_from_slice(&x[j * n..(j + 1) * n]);
    }
}

/// X with L Lᵀ X = B on the device, L the lower factor in `lower` and the
/// inverses of its leaves in `inv`: B up, two block substitutions by
/// leaves (each leaf: the update by the leaves solved before, one GEMM,
/// then the leaf's inverse, one GEMM), X back, packed (n x nrhs).
fn solve(g: &mut Gpu, lower: &DeviceMatrix, inv: &DeviceMatrix, leaf: usize, b: MatRef<'_>) -> Result<Vec<f64>, GpuError> {
    let (n, r) = (b.rows(), b.cols());
    let mut x = host::zeroed::<f64>(n * r, "dpotrs")?;
    if r == 0 {
        return Ok(x);
    }
    // Two n x r matrices: the forward substitution reads B and writes Y
    // into the other, the backward one reads Y and writes X into B's.
    let (p, q) = (DeviceMatrix::new(g, n, r)?, DeviceMatrix::new(g, n, r)?);
    let l = lower.view();
    // SAFETY (every device call below): the views stay inside their
    // matrices (L n x n, the inverses leaf x n, P and Q n x r), and each
    // product's output is a block of rows disjoint from its inputs.
    unsafe {
        resident::write(g, p.view(), b)?;
        // L Y = B: Y_i = inv_i (B_i - L(i, ..i0) Y(..i0)).
        let mut i0 = 0;
        while i0 < n {
            let ib = leaf.min(n - i0);
            if i0 > 0 {
                resident::gemm(g, false, false, ib, r, i0, -1.0, l.at(i0, 0), q.view(), 1.0, p.at(i0, 0))?;
            }
            resident::gemm(g, false, false, ib, r, ib, 1.0, inv.at(0, i0), p.at(i0, 0), 0.0, q.at(i0, 0))?;
            i0 += ib;
        }
        // Lᵀ X = Y: X_i = inv_iᵀ (Y_i - L(i1.., i)ᵀ X(i1..)), last leaf first.
        let starts: Vec<usize> = (0..n).step_by(leaf).collect();
        for &i0 in starts.iter().rev() {
            let ib = leaf.min(n - i0);
            let i1 = i0 + ib;
            if i1 < n {
                resident::gemm(g, true, false, ib, r, n - i1, -1.0, l.at(i1, i0), p.at(i1, 0), 1.0, q.at(i0, 0))?;
            }
            resident::gemm(g, true, false, ib, r, ib, 1.0, inv.at(0, i0), q.at(i0, 0), 0.0, p.at(i0, 0))?;
        }
        resident::read(g, p.view(), MatMut::from_slice(&mut x, n, r, n))?;
    }
    // Multiplying by a leaf's inverse multiplies its zeros too (0 times an
    // infinity is a NaN where reference's DTRSM skips the zero): a result
    // that is not finite is left to the CPU LAPACK, so that it is
    // reference's.
    if !crate::ops::all_finite(&x) {
        return Err(GpuError::Declined("NaN or infinity in the solution"));
    }
    Ok(x)
}

/// The lower Cholesky factor of the n x n device matrix `m` (its lower
/// triangle), in place (the strict upper triangle of its diagonal blocks
/// is left with whatever the updates put there); returns the inverses of
/// its diagonal leaves side by side (leaf x n), and the leaf width.
fn factor_lower(g: &mut Gpu, m: &DeviceMatrix, n: usize, fault: Option<fault::Fault>) -> Result<(DeviceMatrix, usize), Stop> {
    let (nb, leaf) = widths(g);
    let nb = nb.min(n);
    let leaf = leaf.min(nb);
    // L21 of the panel (rows below its diagonal block), the inverses of
    // every diagonal leaf, and an identity (W into place).
    let w = DeviceMatrix::new(g, n, nb)?;
    let inv = DeviceMatrix::new(g, leaf, n)?;
    let ident = DeviceMatrix::new(g, nb, nb)?;
    // SAFETY: the identity is nb x nb.
    unsafe { resident::laset(g, nb, nb, 0.0, 1.0, ident.view()) }?;
    let mut diag = host::zeroed::<f64>(nb * nb, "dpotrf")?;
    let mut leaves = host::zeroed::<f64>(leaf * nb, "dpotrf")?;
    let mut k0 = 0;
    let mut panel = 0;
    while k0 < n {
        let kb = nb.min(n - k0);
        let a11 = m.at(k0, k0);
        // SAFETY (this block's device calls): every view stays inside its
        // matrix: the diagonal block kb x kb at (k0, k0); A21 and W m2 x kb;
        // the leaves' inverses leaf x kb at column k0; the trailing
        // columns of m; the products' outputs overlap none of their inputs.
        unsafe {
            resident::read(g, a11, MatMut::from_slice(&mut diag[..kb * kb], kb, kb, kb))?;
            if !factor_on_host(&mut diag[..kb * kb], kb) {
                return Err(Stop::NotPositive);
            }
            resident::write(g, a11, MatRef::from_slice(&diag[..kb * kb], kb, kb, kb))?;
            // A Cholesky factor's diagonal is positive: its leaves invert.
            if !invert_leaves(kb, leaf, |i, j| diag[i + j * kb], &mut leaves) {
                return Err(Stop::Gpu(GpuError::Declined("a diagonal block's leaf did not invert")));
            }
            resident::write(g, inv.at(0, k0), MatRef::from_slice(&leaves[..leaf * kb], leaf, kb, leaf))?;
            let m2 = n - k0 - kb;
            if m2 > 0 {
                let a21 = m.at(k0 + kb, k0);
                let mut i0 = 0;
                while i0 < kb {
                    let ib = leaf.min(kb - i0);
                    if i0 > 0 {
                        // A21's leaf -= L21(:, ..i0) L11(i0.., ..i0)ᵀ.
                        resident::gemm(g, false, true, m2, ib, i0, -1.0, w.view(), a11.at(i0, 0), 1.0, a21.at(0, i0))?;
                    }
                    // L21's leaf = that times the leaf's inverse, transposed.
                    resident::gemm(g, false, true, m2, ib, ib, 1.0, a21.at(0, i0), inv.at(0, k0 + i0), 0.0, w.at(0, i0))?;
                    i0 += ib;
                }
                resident::gemm(g, false, false, m2, kb, kb, 1.0, w.view(), ident.view(), 0.0, a21)?;
                // A22 -= L21 L21ᵀ, block column by block column, from the
                // diagonal down.
                let mut j0 = k0 + kb;
                while j0 < n {
                    let jb = nb.min(n - j0);
                    let r = j0 - k0 - kb;
                    resident::gemm(g, false, true, n - j0, jb, kb, -1.0, w.at(r, 0), w.at(r, 0), 1.0, m.at(j0, j0))?;
                    j0 += jb;
                }
            }
        }
        panel += 1;
        k0 += kb;
        if k0 < n {
            fault::check(fault, panel)?;
        }
    }
    Ok((inv, leaf))
}

/// The CPU LAPACK's DPOTRF of the kb x kb block (lower), as a host step of
/// this routine (its own BLAS calls stay on the CPU); whether it is
/// positive definite.
fn factor_on_host(block: &mut [f64], kb: usize) -> bool {
    let n = kb as c_int;
    let mut info: c_int = 0;
    crate::dispatch::host_step(|| {
        // SAFETY: a kb x kb matrix with leading dimension kb; 'L' is one
        // character.
        unsafe { (CPU.dpotrf.f)(&(b'L' as c_char), &n, block.as_mut_ptr(), &n, &mut info, 1) }
    });
    info == 0
}

/// The inverses of the `leaf` x `leaf` diagonal leaves of a lower
/// triangular n x n factor whose element (i, j) is `l(i, j)`, side by side
/// in `out` (leaf x n, leading dimension leaf), their strict upper parts
/// zero; false where a leaf has a zero on its diagonal (a Cholesky
/// factor's is positive).
fn invert_leaves(n: usize, leaf: usize, l: impl Fn(usize, usize) -> f64, out: &mut [f64]) -> bool {
    out.iter_mut().for_each(|x| *x = 0.0);
    let mut i0 = 0;
    while i0 < n {
        let ib = leaf.min(n - i0);
        for j in 0..ib {
            for i in j..ib {
                out[i + (i0 + j) * leaf] = l(i0 + i, i0 + j);
            }
        }
        if !invert_lower(&mut out[i0 * leaf..], ib, leaf) {
            return false;
        }
        i0 += ib;
    }
    true
}

/// The lower ib x ib triangle at the start of `x` (leading dimension ld)
/// replaced by its inverse (the bundled reference's DTRTRI); false where a
/// diagonal element is zero.
fn invert_lower(x: &mut [f64], ib: usize, ld: usize) -> bool {
    assert!(ib <= ld && x.len() >= (ib.max(1) - 1) * ld + ib);
    let (nn, ldi) = (ib as c_int, ld as c_int);
    let mut info: c_int = 0;
    // SAFETY: an ib x ib lower triangle at the start of `x` (checked above),
    // leading dimension ld; one-character UPLO and DIAG.
    unsafe { bundled::routines::dtrtri(&(b'L' as c_char), &(b'N' as c_char), &nn, x.as_mut_ptr(), &ldi, &mut info, 1, 1) };
    info == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn leaves_are_inverted() {
        // A 3 x 3 lower factor, leaves of 2: [[2,0],[1,4]] and [5].
        let block = [2.0, 1.0, 3.0, 0.0, 4.0, 6.0, 0.0, 0.0, 5.0];
        let mut out = vec![9.0; 2 * 3];
        assert!(super::invert_leaves(3, 2, |i, j| block[i + j * 3], &mut out));
        // [[0.5, 0], [-0.125, 0.25]] and [0.2], column-major, ld 2.
        assert_eq!(out, vec![0.5, -0.125, 0.0, 0.25, 0.2, 0.0]);
    }
}
