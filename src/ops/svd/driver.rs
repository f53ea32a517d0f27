//! DGESVD's and DGESDD's driver semantics around the GPU SVD core
//! ([`super::gpu::svd`]): the jobs (which factors, how many columns, 'O' writing
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
use super::gpu::{svd, Flavor, Outcome};
use crate::matrix::MatMut;
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

impl Part {
    /// The columns of U (`rows` = m) or rows of Vᵀ (`rows` = n) that this
    /// part writes into its own array, of `k` = min(m, n): the shape the
    /// caller's U or VT has for it (none for None and Overwrite).
    pub fn count(self, rows: usize, k: usize) -> usize {
        match self {
            Part::Thin => k,
            Part::Full => rows,
            Part::None | Part::Overwrite => 0,
        }
    }
}

/// The SVD of the caller's m x n A (m, n >= 1) with LAPACK's output
/// conventions: S (min(m, n) values), U (m x up.count(m, k)) and VT
/// (vp.count(n, k) x n), a factor of `Part::Overwrite` into A. Returns
/// INFO >= 0 and, for DGESVD's INFO > 0, the unconverged superdiagonal
/// (already unscaled) for WORK(2:min(m,n)).
#[allow(clippy::too_many_arguments)]
pub fn gesvd(
    flavor: Flavor,
    up: Part,
    vp: Part,
    mut a: MatMut<'_>,
    s: &mut [f64],
    mut u: MatMut<'_>,
    mut vt: MatMut<'_>,
) -> Result<Outcome, GpuError> {
    let (m, n) = (a.rows(), a.cols());
    let k = m.min(n);
    assert!(k >= 1 && s.len() == k);
    assert!(u.cols() == up.count(m, k) && (u.cols() == 0 || u.rows() == m));
    assert!(vt.rows() == vp.count(n, k) && (vt.rows() == 0 || vt.cols() == n));
    // Test hook (src/engine/opencl/fault.rs): `svd` or `panic-svd` fails the call
    // here, before anything is computed.
    crate::engine::opencl::fault::check(crate::engine::opencl::fault::at("svd"), 0)?;
    // The working copy, A (m >= n) or Aᵀ (m < n), tall and packed, and
    // its largest |a_ij|, in one pass.
    let (mt, nt) = (m.max(n), k);
    let mut w = host::zeroed(mt * nt, "svd")?;
    let mut anrm = 0.0f64;
    for j in 0..n {
        for (i, &v) in a.col(j).iter().enumerate() {
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
    let work = MatMut::from_slice(&mut w, mt, nt, mt);
    let mut outcome = if m >= n {
        // The factor that overwrites A goes to a host copy first and into A
        // only once the SVD has succeeded: a failure after part of it was
        // written would leave the CPU fallback a changed A. (DGESVD rejects
        // 'O' for both factors, and DGESDD's 'O' names one.)
        let rows = if up == Part::Overwrite { m } else { n };
        let over_len = if up == Part::Overwrite || vp == Part::Overwrite { rows * n } else { 0 };
        let mut over = host::zeroed(over_len, "svd")?;
        let mut over_view = (over_len > 0).then(|| MatMut::from_slice(&mut over, rows, n, rows));
        let uo = match up {
            Part::None => None,
            Part::Thin | Part::Full => Some(u.rb_mut()),
            Part::Overwrite => over_view.take(),
        };
        let vo = match vp {
            Part::None => None,
            Part::Thin | Part::Full => Some(vt.rb_mut()),
            Part::Overwrite => over_view.take(),
        };
        let outcome = svd(work, s, uo, vo, flavor)?;
        if outcome.info == 0 && over_len > 0 {
            for j in 0..n {
                a.col_mut(j)[..rows].copy_from_slice(&over[j * rows..(j + 1) * rows]);
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
        let uo = (vrows > 0).then(|| MatMut::from_slice(&mut ut, n, vrows, n));
        let vo = (up != Part::None).then(|| MatMut::from_slice(&mut vtt, m, m, m));
        let outcome = svd(work, s, uo, vo, flavor)?;
        if outcome.info == 0 {
            // Vᵀ (vrows x n) = utᵀ; U (m x m) = vttᵀ.
            if vrows > 0 {
                let mut vdst = if vp == Part::Overwrite { a.rb_mut() } else { vt.rb_mut() };
                for j in 0..n {
                    for (i, x) in vdst.col_mut(j)[..vrows].iter_mut().enumerate() {
                        *x = ut[j + i * n];
                    }
                }
            }
            if up != Part::None {
                let mut udst = if up == Part::Overwrite { a.rb_mut() } else { u.rb_mut() };
                for j in 0..m {
                    for (i, x) in udst.col_mut(j)[..m].iter_mut().enumerate() {
                        *x = vtt[j + i * m];
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
