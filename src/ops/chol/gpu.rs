//! The Cholesky factorization (DPOTRF) on the GPU, on a device-resident
//! matrix.
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

/// DPOTRF on the GPU: the `upper` or lower triangle of the n x n `a`
/// replaced by its Cholesky factor, the other triangle untouched. On an
/// error `a` is as passed.
///
/// Test hook (`LAPACK_AI_FAULT_INJECT`): `dpotrf` fails at the start,
/// `dpotrf@N` after N panels, `panic-dpotrf[@N]` panics there.
pub fn dpotrf_host(upper: bool, mut a: MatMut<'_>) -> Result<(), Stop> {
    let fault = fault::at("dpotrf");
    fault::check(fault, 0)?;
    let n = a.rows();
    let mut g = gpu()?;
    let d = DeviceMatrix::new(&g, n, n)?;
    // SAFETY: the device matrix is n x n, as A.
    unsafe { resident::write(&mut g, d.view(), a.rb()) }?;
    let t = if upper { Some(DeviceMatrix::new(&g, n, n)?) } else { None };
    let work = match &t {
        Some(t) => {
            // SAFETY: two n x n device matrices.
            unsafe { resident::transpose(&mut g, n, n, d.view(), t.view()) }?;
            t
        }
        None => &d,
    };
    factor_lower(&mut g, work, n, fault)?;
    if let Some(t) = &t {
        // SAFETY: as above.
        unsafe { resident::transpose(&mut g, n, n, t.view(), d.view()) }?;
    }
    let mut out = host::zeroed::<f64>(n * n, "dpotrf")?;
    // SAFETY: the device matrix is n x n, as the buffer's view.
    unsafe { resident::read(&mut g, d.view(), MatMut::from_slice(&mut out, n, n, n)) }?;
    drop(g);
    // Only now the caller's A, only its triangle.
    for j in 0..n {
        let (rows, col) = (if upper { 0..j + 1 } else { j..n }, a.col_mut(j));
        col[rows.clone()].copy_from_slice(&out[j * n + rows.start..j * n + rows.end]);
    }
    Ok(())
}

/// The lower Cholesky factor of the n x n device matrix `m` (its lower
/// triangle), in place (the strict upper triangle of its diagonal blocks
/// is left with whatever the updates put there).
fn factor_lower(g: &mut Gpu, m: &DeviceMatrix, n: usize, fault: Option<fault::Fault>) -> Result<(), Stop> {
    let (nb, leaf) = widths(g);
    let nb = nb.min(n);
    let leaf = leaf.min(nb);
    // L21 of the panel (rows below its diagonal block), the inverses of its
    // diagonal block's leaves side by side, and an identity (W into place).
    let w = DeviceMatrix::new(g, n, nb)?;
    let inv = DeviceMatrix::new(g, leaf, nb)?;
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
        // the leaves' inverses leaf x kb; the trailing columns of m; the
        // products' outputs overlap none of their inputs.
        unsafe {
            resident::read(g, a11, MatMut::from_slice(&mut diag[..kb * kb], kb, kb, kb))?;
            if !factor_on_host(&mut diag[..kb * kb], kb) {
                return Err(Stop::NotPositive);
            }
            resident::write(g, a11, MatRef::from_slice(&diag[..kb * kb], kb, kb, kb))?;
            let m2 = n - k0 - kb;
            if m2 > 0 {
                invert_leaves(&diag[..kb * kb], kb, leaf, &mut leaves);
                resident::write(g, inv.view(), MatRef::from_slice(&leaves[..leaf * kb], leaf, kb, leaf))?;
                let a21 = m.at(k0 + kb, k0);
                let mut i0 = 0;
                while i0 < kb {
                    let ib = leaf.min(kb - i0);
                    if i0 > 0 {
                        // A21's leaf -= L21(:, ..i0) L11(i0.., ..i0)ᵀ.
                        resident::gemm(g, false, true, m2, ib, i0, -1.0, w.view(), a11.at(i0, 0), 1.0, a21.at(0, i0))?;
                    }
                    // L21's leaf = that times the leaf's inverse, transposed.
                    resident::gemm(g, false, true, m2, ib, ib, 1.0, a21.at(0, i0), inv.at(0, i0), 0.0, w.at(0, i0))?;
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
    Ok(())
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

/// The inverses of the `leaf` x `leaf` diagonal leaves of the factored
/// lower block (kb x kb, leading dimension kb), side by side in `out`
/// (leaf x kb, leading dimension leaf), their strict upper parts zero.
fn invert_leaves(block: &[f64], kb: usize, leaf: usize, out: &mut [f64]) {
    out.iter_mut().for_each(|x| *x = 0.0);
    let mut i0 = 0;
    while i0 < kb {
        let ib = leaf.min(kb - i0);
        for j in 0..ib {
            for i in j..ib {
                out[i + (i0 + j) * leaf] = block[(i0 + i) + (i0 + j) * kb];
            }
        }
        let (nn, ld) = (ib as c_int, leaf as c_int);
        let mut info: c_int = 0;
        // SAFETY: an ib x ib lower triangle at column i0 of `out`, leading
        // dimension leaf; one-character UPLO and DIAG. Its diagonal is
        // positive (a Cholesky factor's), so DTRTRI succeeds.
        unsafe {
            bundled::routines::dtrtri(
                &(b'L' as c_char),
                &(b'N' as c_char),
                &nn,
                out[i0 * leaf..].as_mut_ptr(),
                &ld,
                &mut info,
                1,
                1,
            )
        };
        i0 += ib;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn leaves_are_inverted() {
        // A 3 x 3 lower factor, leaves of 2: [[2,0],[1,4]] and [5].
        let block = [2.0, 1.0, 3.0, 0.0, 4.0, 6.0, 0.0, 0.0, 5.0];
        let mut out = vec![9.0; 2 * 3];
        super::invert_leaves(&block, 3, 2, &mut out);
        // [[0.5, 0], [-0.125, 0.25]] and [0.2], column-major, ld 2.
        assert_eq!(out, vec![0.5, -0.125, 0.0, 0.25, 0.2, 0.0]);
    }
}
