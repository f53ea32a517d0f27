//! DGESVD's and DGESDD's driver semantics around the GPU SVD core
//! ([`super::svd`]): the jobs (which factors, how many columns, 'O' writing
//! into A), m < n through Aᵀ, the scaling of A into the safe range
//! (reference DGESVD/DGESDD: by sqrt(safmin)/eps when its largest element
//! is below that, by the inverse when above), and undoing it on S.
//!
//! The caller's A is read, never written, until the results are complete:
//! the core works on a copy (transposed when m < n), so that a GPU failure
//! leaves A as it was for the CPU fallback. Only the outputs are written,
//! at the end.

use crate::engine::opencl::error::GpuError;
use crate::engine::opencl::host;
use super::gpu::{svd, Flavor, Out, Outcome};
use crate::engine::cpu::bundled::routines as netlib;
use std::os::raw::c_int;

/// What a job letter asks of one factor (U's columns, Vᵀ's rows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    None,
    /// min(m, n) columns of U / rows of Vᵀ, into U / VT.
    Thin,
    /// All m columns of U / n rows of Vᵀ.
    Full,
    /// min(m, n) of them, written over A.
    Overwrite,
}

impl Part {
    /// DGESVD's JOBU / JOBVT letter (already checked).
    pub fn from_job(c: u8) -> Part {
        match c.to_ascii_uppercase() {
            b'A' => Part::Full,
            b'S' => Part::Thin,
            b'O' => Part::Overwrite,
            _ => Part::None,
        }
    }

    /// DGESDD's JOBZ letter as (U, Vᵀ) parts.
    pub fn from_jobz(c: u8, m: usize, n: usize) -> (Part, Part) {
        match c.to_ascii_uppercase() {
            b'A' => (Part::Full, Part::Full),
            b'S' => (Part::Thin, Part::Thin),
            b'O' if m >= n => (Part::Overwrite, Part::Thin),
            b'O' => (Part::Thin, Part::Overwrite),
            _ => (Part::None, Part::None),
        }
    }
}

/// The SVD of the caller's m x n A (m, n >= 1) with LAPACK's output
/// conventions. Returns INFO >= 0 and, for DGESVD's INFO > 0, the
/// unconverged superdiagonal (already unscaled) for WORK(2:min(m,n)).
///
/// # Safety
/// Arguments legal for DGESVD/DGESDD with these parts; arrays valid.
#[allow(clippy::too_many_arguments)]
pub unsafe fn gesvd(
    flavor: Flavor,
    up: Part,
    vp: Part,
    m: usize,
    n: usize,
    a: *mut f64,
    lda: usize,
    s: *mut f64,
    u: *mut f64,
    ldu: usize,
    vt: *mut f64,
    ldvt: usize,
) -> Result<Outcome, GpuError> {
    let k = m.min(n);
    // Test hook (src/engine/opencl/fault.rs): `svd` or `panic-svd` fails the call
    // here, before anything is computed.
    crate::engine::opencl::fault::check(crate::engine::opencl::fault::at("svd"), 0)?;
    // The working copy, A (m >= n) or Aᵀ (m < n), tall and packed, and
    // its largest |a_ij|, in one pass.
    let (mt, nt) = (m.max(n), k);
    let mut w = host::zeroed(mt * nt, "svd")?;
    let mut anrm = 0.0f64;
    for j in 0..n {
        for i in 0..m {
            // SAFETY: inside the caller's A.
            let v = unsafe { *a.add(i + j * lda) };
            if m >= n {
                w[i + j * mt] = v;
            } else {
                w[j + i * mt] = v;
            }
            anrm = anrm.max(v.abs());
            // NaN or infinity go to the CPU LAPACK, whose handling
            // (DGESDD's INFO = -4, DGESVD's propagation) is the reference.
            if !v.is_finite() {
                return Err(GpuError::Declined("NaN or infinity in A"));
            }
        }
    }
    // SAFETY: DLAMCH with a one-letter argument.
    let (eps, safmin) = unsafe { (netlib::dlamch(c"P".as_ptr(), 1), netlib::dlamch(c"S".as_ptr(), 1)) };
    let smlnum = safmin.sqrt() / eps;
    let bignum = 1.0 / smlnum;
    let scale_to = if anrm > 0.0 && anrm < smlnum {
        Some(smlnum)
    } else if anrm > bignum {
        Some(bignum)
    } else {
        None
    };
    if let Some(to) = scale_to {
        scale(anrm, to, &mut w);
    }
    // SAFETY: s holds min(m, n) values.
    let s = unsafe { std::slice::from_raw_parts_mut(s, k) };
    let mut outcome = if m >= n {
        // The factor that overwrites A goes to a host copy first and into A
        // only once the SVD has succeeded: a failure after part of it was
        // written would leave the CPU fallback a changed A.
        let mut over = host::zeroed(if up == Part::Overwrite { m * n } else if vp == Part::Overwrite { n * n } else { 0 }, "svd")?;
        let uo = match up {
            Part::None => None,
            Part::Thin => Some((Out { ptr: u, ld: ldu }, n)),
            Part::Full => Some((Out { ptr: u, ld: ldu }, m)),
            Part::Overwrite => Some((Out { ptr: over.as_mut_ptr(), ld: m }, n)),
        };
        let vo = match vp {
            Part::None => None,
            Part::Thin | Part::Full => Some(Out { ptr: vt, ld: ldvt }),
            Part::Overwrite => Some(Out { ptr: over.as_mut_ptr(), ld: n }),
        };
        // SAFETY: w is mt x nt packed; the outputs are the caller's arrays
        // of the sizes the parts give, or `over` (DGESVD rejects 'O' for
        // both, so at most one output is `over`).
        let outcome = unsafe { svd(mt, nt, w.as_mut_ptr(), mt, s, uo, vo, flavor)? };
        if outcome.info == 0 && !over.is_empty() {
            let rows = if up == Part::Overwrite { m } else { n };
            for j in 0..n {
                // SAFETY: the first rows x n of the caller's A.
                unsafe { std::ptr::copy_nonoverlapping(over.as_ptr().add(j * rows), a.add(j * lda), rows) };
            }
        }
        outcome
    } else {
        // Aᵀ = V Σ Uᵀ: its left factor gives Vᵀ's rows, its right factor U.
        let vrows = match vp {
            Part::None => 0,
            Part::Full => n,
            _ => m,
        };
        let mut ut = host::zeroed(n * vrows, "svd")?;
        let mut vtt = host::zeroed(if up == Part::None { 0 } else { m * m }, "svd")?;
        let uo = (vrows > 0).then_some((Out { ptr: ut.as_mut_ptr(), ld: n }, vrows));
        let vo = (up != Part::None).then_some(Out { ptr: vtt.as_mut_ptr(), ld: m });
        // SAFETY: w is n x m packed; ut and vtt have the sizes given.
        let outcome = unsafe { svd(mt, nt, w.as_mut_ptr(), mt, s, uo, vo, flavor)? };
        if outcome.info == 0 {
            // Vᵀ (vrows x n) = utᵀ; U (m x m) = vttᵀ.
            let (vdst, vld) = if vp == Part::Overwrite { (a, lda) } else { (vt, ldvt) };
            let (udst, uld) = if up == Part::Overwrite { (a, lda) } else { (u, ldu) };
            for j in 0..n {
                for i in 0..vrows {
                    // SAFETY: the caller's vrows x n output.
                    unsafe { *vdst.add(i + j * vld) = ut[j + i * n] };
                }
            }
            if up != Part::None {
                for j in 0..m {
                    for i in 0..m {
                        // SAFETY: the caller's m x m output.
                        unsafe { *udst.add(i + j * uld) = vtt[j + i * m] };
                    }
                }
            }
        }
        outcome
    };
    if let Some(to) = scale_to {
        // Undo the scaling on S (and on the superdiagonal DGESVD returns).
        scale(to, anrm, s);
        if outcome.info > 0 {
            let len = k - 1;
            scale(to, anrm, &mut outcome.e[..len]);
        }
    }
    Ok(outcome)
}

/// DLASCL('G'): x := x * (to / from), without overflow or underflow.
fn scale(from: f64, to: f64, x: &mut [f64]) {
    let (len, one, zero) = (x.len() as c_int, 1 as c_int, 0 as c_int);
    let mut info = 0;
    if len == 0 {
        return;
    }
    // SAFETY: a len x 1 matrix with leading dimension len.
    unsafe { netlib::dlascl(c"G".as_ptr(), &zero, &zero, &from, &to, &len, &one, x.as_mut_ptr(), &len, &mut info, 1) };
}
