//! The QR factorization (DGEQRF) on the GPU, on a device-resident matrix.
//!
//! # Algorithm
//!
//! LAPACK's blocked Householder QR, A = Q R with Q = H(1) ... H(k), by
//! panels of `nb` columns (256 on a GPU):
//!
//! ```text
//! for each panel (columns k0..k0+kb, rows k0..m):
//!     the panel comes to the host; the CPU LAPACK's DGEQRF factors it
//!     (its reflectors and TAU, as LAPACK stores them), and it goes back;
//!     T of its block reflector I - V T Vᵀ from VᵀV (the CPU's DGEMM) and
//!     TAU, on the host;
//!     the trailing columns C := (I - V T Vᵀ)ᵀ C on the device:
//!         W := Vᵀ C,  W := Tᵀ W,  C := C - V W     (three GEMMs)
//! ```
//!
//! The O(mn²) trailing updates run as GEMMs on the device (the FP64
//! tensor-core kernel on NVIDIA); the host does the panels (O(m nb²) each,
//! Level-2 bound), one (m - k0) x kb block down and up per panel. The
//! reflectors are computed as LAPACK computes them (DLARFG in the CPU
//! LAPACK's panel): R, V and TAU are reference's up to rounding, signs
//! included.
//!
//! # What the caller sees
//!
//! The caller's A and TAU are written only at the end, once every device
//! step succeeded: a failure leaves them as passed, and the CPU LAPACK
//! then computes the whole call. So does a result with a NaN or an
//! infinity in it (from one in A): the blocked update multiplies the zeros
//! above V's diagonal, which reference's triangular products skip, so a
//! NaN would spread to rows of R that reference keeps finite.

use super::cost::GPU_PANEL;
use crate::engine::opencl::context::gpu;
use crate::engine::opencl::error::GpuError;
use crate::engine::opencl::resident::{self, DeviceMatrix};
use crate::engine::opencl::{fault, host};
use crate::matrix::{MatMut, MatRef};

/// DGEQRF on the GPU: A (m x n) replaced by R and the reflectors, TAU
/// (min(m, n)) by their factors. On an error both are as passed.
///
/// Test hook (`LAPACK_AI_FAULT_INJECT`): `dgeqrf` fails at the start,
/// `dgeqrf@N` after N panels, `panic-dgeqrf[@N]` panics there.
pub fn dgeqrf_host(mut a: MatMut<'_>, tau: &mut [f64]) -> Result<(), GpuError> {
    let fault = fault::at("dgeqrf");
    fault::check(fault, 0)?;
    let (m, n) = (a.rows(), a.cols());
    let k = m.min(n);
    assert!(tau.len() >= k);
    let mut g = gpu()?;
    let nb = if g.device.is_gpu { GPU_PANEL } else { 16 }.min(k).max(1);
    let d = DeviceMatrix::new(&g, m, n)?;
    let vd = DeviceMatrix::new(&g, m, nb)?;
    let td = DeviceMatrix::new(&g, nb, nb)?;
    let w1 = DeviceMatrix::new(&g, nb, n)?;
    let w2 = DeviceMatrix::new(&g, nb, n)?;
    let mut panel = host::zeroed::<f64>(m * nb, "dgeqrf")?;
    let mut v = host::zeroed::<f64>(m * nb, "dgeqrf")?;
    let mut taus = host::zeroed::<f64>(k, "dgeqrf")?;
    let mut t = host::zeroed::<f64>(nb * nb, "dgeqrf")?;
    // SAFETY: the device matrix is m x n, as A.
    unsafe { resident::write(&mut g, d.view(), a.rb()) }?;
    let mut k0 = 0;
    let mut panels = 0;
    while k0 < k {
        let kb = nb.min(k - k0);
        let rows = m - k0;
        let nc = n - k0 - kb;
        // SAFETY (this block's device calls): the panel (rows x kb) and the
        // trailing columns (rows x nc) at (k0, k0) and (k0, k0 + kb) lie in
        // D; V (rows x kb) in VD, T (kb x kb) in TD, W (kb x nc) in W1 and
        // W2; no product's output overlaps its inputs.
        unsafe {
            resident::read(&mut g, d.at(k0, k0), MatMut::from_slice(&mut panel[..rows * kb], rows, kb, rows))?;
            crate::ops::panel_qr(
                MatMut::from_slice(&mut panel[..rows * kb], rows, kb, rows),
                &mut taus[k0..k0 + kb],
                &mut v[..rows * kb],
                &mut t[..kb * kb],
            )?;
            resident::write(&mut g, d.at(k0, k0), MatRef::from_slice(&panel[..rows * kb], rows, kb, rows))?;
            if nc > 0 {
                resident::write(&mut g, vd.view(), MatRef::from_slice(&v[..rows * kb], rows, kb, rows))?;
                resident::write(&mut g, td.view(), MatRef::from_slice(&t[..kb * kb], kb, kb, kb))?;
                let c = d.at(k0, k0 + kb);
                resident::gemm(&mut g, true, false, kb, nc, rows, 1.0, vd.view(), c, 0.0, w1.view())?;
                resident::gemm(&mut g, true, false, kb, nc, kb, 1.0, td.view(), w1.view(), 0.0, w2.view())?;
                resident::gemm(&mut g, false, false, rows, nc, kb, -1.0, vd.view(), w2.view(), 1.0, c)?;
            }
        }
        panels += 1;
        k0 += kb;
        if k0 < k {
            fault::check(fault, panels)?;
        }
    }
    let mut out = host::zeroed::<f64>(m * n, "dgeqrf")?;
    // SAFETY: the device matrix is m x n, as the buffer's view.
    unsafe { resident::read(&mut g, d.view(), MatMut::from_slice(&mut out, m, n, m)) }?;
    drop(g);
    // A NaN or an infinity in A (or an overflow) spreads differently
    // through the blocked updates than through reference's (whose
    // triangular products skip the zeros above V's diagonal, where ours
    // multiply them): such a result is left to the CPU LAPACK, from A as
    // passed, so that it is reference's.
    if !crate::ops::all_finite(&out) || !crate::ops::all_finite(&taus) {
        return Err(GpuError::Declined("NaN or infinity in the factors"));
    }
    // Only now the caller's arrays.
    for j in 0..n {
        a.col_mut(j).copy_from_slice(&out[j * m..(j + 1) * m]);
    }
    tau[..k].copy_from_slice(&taus);
    Ok(())
}


