//! The GPU SVD behind DGESVDOCL, `dgesvd_` and `dgesdd_`: A = U Σ Vᵀ of a
//! real m x n matrix, m >= n here (the drivers in src/ops/svd/driver.rs pass
//! Aᵀ when m < n).
//!
//! # Algorithm (two-stage reduction, hybrid, as MAGMA's and PLASMA's)
//! 1. **Stage 1, dense to band** A = Q1 B1 P1ᵀ, B1 upper triangular with
//!    bandwidth `NB` (16): the matrix lives on the GPU. Per panel of NB
//!    columns, the host factors the panel (DGEQRF of the process's LAPACK;
//!    T of its block reflector from VᵀV) and the GPU applies I - V Tᵀ Vᵀ to
//!    the trailing matrix (three DGEMMs); then the same for the panel's NB
//!    rows (an LQ, as the QR of their transpose) from the right. All of the
//!    4mn² - 4n³/3 flops but the panels' are DGEMM on the device (the
//!    one-stage DGEBRD spends half of them in matrix-vector products, one
//!    pair of host round trips per column). Look-ahead: each panel is read
//!    back as soon as its own part of the previous update is done, and the
//!    rest of that update runs while the host factors it.
//! 2. **Stage 2, band to bidiagonal** B1 = Q2 B P2ᵀ by Householder bulge
//!    chasing on the host's cores (src/ops/svd/bulge.rs: about 8 NB n² flops,
//!    sweeps pipelined over threads), keeping the reflectors for vectors.
//! 3. **Bidiagonal SVD** B = U_B Σ V_Bᵀ on the host, O(n²) for values
//!    (DBDSQR, as DGESVD), divide and conquer for vectors (DBDSDC, as
//!    DGESDD), in the parallel port of src/ops/svd/bdsdc.rs, whose largest
//!    products go to the GPU (idle meanwhile). For DGESVD's semantics, a
//!    DBDSDC failure (never seen in practice) repeats the step with
//!    DBDSQR, so that INFO > 0 means what DGESVD says: DBDSQR did not
//!    converge.
//! 4. **Back-transformations** U = Q1 Q2 U_B and V = P1 P2 V_B on the GPU:
//!    Q2 and P2 by src/ops/svd/bulge.cl (the chase's reflectors grouped into
//!    block reflectors of NB sweeps, applied in waves of disjoint groups),
//!    Q1 and P1 in blocks of `NB_APPLY` reflectors as compact WY transforms
//!    I - V T Vᵀ (Schreiber and Van Loan 1989), three DGEMMs each; V is
//!    built from the left as U is and transposed on the device. About
//!    2(m + n)n² flops for stage 2's and 4mn·(ucols) + 4n³ for stage 1's.
//!
//! All of it is Householder reflections, so the result is backward stable
//! like DGESVD's/DGESDD's: ‖A - UΣVᵀ‖ = O(ε‖A‖), U and V orthogonal to
//! O(ε). The reflectors differ from DGEBRD's, so the singular vectors of
//! close singular values, and WORK(2:) after a DBDSQR failure, are not
//! bitwise the reference's. Why not one-sided Jacobi (cuSOLVER gesvdj):
//! sweeps of ~4n³ flops each, 6 to 10 of them, with small eigenproblems in
//! between. Measured on the H100 machine: bench/RESULTS.md; what limits it
//! now is the host part (panel QRs, the chase, the bidiagonal SVD) on
//! cores about three times slower than a desktop's.
//!
//! Every GPU command goes to the in-order compute queue. The GPU lock is
//! held during stage 1 and the back-transformations, not during the chase
//! or the bidiagonal SVD (whose CPU LAPACK may call this library's
//! `dgemm_`, and whose largest products take the lock themselves); the
//! panel QRs run under the lock as [`crate::dispatch::host_step`]s.

use crate::engine::opencl::context::{gpu, Gpu};
use crate::engine::opencl::error::GpuError;
use crate::engine::opencl::{fault, host};
use crate::engine::opencl::resident::{self, DeviceMatrix, View};
use crate::matrix::{MatMut, MatRef};
use super::bdsdc::{bdsdc_upper, Offload};
use super::bulge::{self, Band, Reflectors, Side};
use crate::engine::cpu::bundled::routines as netlib;
use crate::engine::opencl::launch::Launch;
use opencl3::memory::{Buffer, ClMem, CL_MEM_COPY_HOST_PTR, CL_MEM_READ_ONLY};
use std::os::raw::c_int;

/// Band width of stage 1 and panel width of its QRs (at most the chase
/// kernel's BMAX, 32). On the H100 machine 16 beat 32 (2.37 s against
/// 2.61 s at n = 4096 with vectors): the chase's cost grows with the band,
/// the panels' count shrinks with it.
const NB: usize = 16;
/// Columns up to which the whole reduction is DGEBRD on the host
/// (DGEBRD's own crossover to its unblocked code is 128 too).
const NX: usize = 128;
/// Reflectors per block in the back-transformations.
const NB_APPLY: usize = 128;

/// The block sizes: [`NB`], [`NX`], [`NB_APPLY`], or
/// `LAPACK_AI_TEST_SVD_BLOCKS=nb,nx,nbapply` (a test hook: tiny blocks make
/// small matrices run every GPU step on PoCL; while it is set, every
/// product of DBDSDC's top merges goes to the GPU too, src/ops/svd/bdsdc.rs).
fn blocks() -> (usize, usize, usize) {
    crate::runtime::config::hooks().svd_blocks.unwrap_or((NB, NX, NB_APPLY))
}

/// Which bidiagonal SVD, and so which INFO semantics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// DGESVD: INFO > 0 means DBDSQR did not converge; the unconverged
    /// superdiagonal is returned.
    Gesvd,
    /// DGESDD: INFO > 0 means DBDSDC did not converge.
    Gesdd,
}

/// What the SVD returns besides S, U, Vᵀ: INFO (>= 0) and, when INFO > 0
/// for [`Flavor::Gesvd`], the superdiagonal DBDSQR left (for WORK(2:)).
pub struct Outcome {
    pub info: c_int,
    pub e: Vec<f64>,
}

/// The SVD of the m x n (m >= n >= 1) matrix `a` (overwritten by the
/// reflectors of its bidiagonal form). Writes the n singular values to
/// `s`; `u` (m x ucols, ucols = n or m) receives the first ucols columns
/// of U, `vt` (n x n) Vᵀ, both last, Vᵀ first.
pub fn svd(
    mut a: MatMut<'_>,
    s: &mut [f64],
    u: Option<MatMut<'_>>,
    vt: Option<MatMut<'_>>,
    flavor: Flavor,
) -> Result<Outcome, GpuError> {
    let (m, n) = (a.rows(), a.cols());
    assert!(m >= n && n >= 1 && s.len() == n);
    assert!(u.as_ref().map_or(true, |u| u.rows() == m && (u.cols() == n || u.cols() == m)));
    assert!(vt.as_ref().map_or(true, |v| v.rows() == n && v.cols() == n));
    let (nb, nx, nba) = blocks();
    let phases = Phases::new();
    let bd = gebrd(a.rb_mut(), nb, nx, u.is_some() || vt.is_some(), &phases)?;
    let Bidiagonal { mut d, mut e, tauq, taup, shift, chase } = bd;
    let ni = n as c_int;
    let mut info: c_int = 0;
    if u.is_none() && vt.is_none() {
        let mut work = vec![0.0; 4 * n];
        // SAFETY: n x n bidiagonal, no vectors; work of 4n.
        unsafe {
            netlib::dbdsqr(
                c"U".as_ptr(), &ni, &0, &0, &0, d.as_mut_ptr(), e.as_mut_ptr(), std::ptr::null_mut(), &1,
                std::ptr::null_mut(), &1, std::ptr::null_mut(), &1, work.as_mut_ptr(), &mut info, 1,
            )
        };
        s.copy_from_slice(&d[..n]);
        phases.mark("bidiagonal values (DBDSQR)");
        return Ok(Outcome { info, e });
    }
    // Vectors: divide and conquer on the host.
    let (d0, e0) = (d.clone(), e.clone());
    let mut ub = host::zeroed(n * n, "svd")?;
    let mut vtb = host::zeroed(n * n, "svd")?;
    // DBDSDC's largest products on the device, idle meanwhile: products of
    // 1024³ (2 Gflop, a few ms on 16 cores) and more; from host memory the
    // GPU takes about a third of the 16-core CPU's time there. All of them
    // under the block-size test hook (small matrices on PoCL).
    let offload = Offload {
        gemm: &|g, c| crate::engine::opencl::gemm::dgemm(g, c),
        min_mnk: if crate::runtime::config::hooks().svd_blocks.is_some() { 0.0 } else { 1024.0 * 1024.0 * 1024.0 },
    };
    // SAFETY: d and e hold n values, ub and vtb are n x n.
    info = unsafe { bdsdc_upper(n, d.as_mut_ptr(), e.as_mut_ptr(), ub.as_mut_ptr(), n, vtb.as_mut_ptr(), n, Some(offload)) };
    if info == crate::ops::svd::bdsdc::NO_MEMORY {
        return Err(GpuError::HostMemory(8 * n * n));
    }
    if info != 0 && flavor == Flavor::Gesvd {
        // DGESVD's own step, for its INFO semantics.
        d.copy_from_slice(&d0);
        e.copy_from_slice(&e0);
        for (i, (x, y)) in ub.iter_mut().zip(vtb.iter_mut()).enumerate() {
            let one = if i % (n + 1) == 0 { 1.0 } else { 0.0 };
            (*x, *y) = (one, one);
        }
        let mut work = vec![0.0; 4 * n];
        info = 0;
        // SAFETY: NCVT = NRU = n with n x n VT and U; work of 4n.
        unsafe {
            netlib::dbdsqr(
                c"U".as_ptr(), &ni, &ni, &ni, &0, d.as_mut_ptr(), e.as_mut_ptr(), vtb.as_mut_ptr(), &ni,
                ub.as_mut_ptr(), &ni, std::ptr::null_mut(), &1, work.as_mut_ptr(), &mut info, 1,
            )
        };
    }
    s.copy_from_slice(&d[..n]);
    phases.mark("bidiagonal SVD (DBDSDC)");
    if info != 0 {
        return Ok(Outcome { info, e });
    }
    // Test hook (src/engine/opencl/fault.rs): `svd@1` or `panic-svd@1` here, between
    // the host steps and the back-transformations.
    fault::check(fault::at("svd"), 1)?;
    let mut g = gpu()?;
    let stage1 = Stage1 { a: a.rb(), tauq: &tauq, taup: &taup, shift };
    back_transform(&mut g, &stage1, chase.as_ref(), &ub, &vtb, u, vt, nba, &phases)?;
    Ok(Outcome { info: 0, e })
}

/// `LAPACK_AI_SVD_PHASES=1`: the time of each step on stderr (for the
/// benchmark notes: what limits the GPU SVD).
struct Phases(Option<std::cell::Cell<std::time::Instant>>);

impl Phases {
    fn new() -> Phases {
        Phases(crate::runtime::config::CONFIG.svd_phases.then(|| std::time::Instant::now().into()))
    }

    /// As [`Phases::mark`], after the GPU has finished what was enqueued.
    fn mark_gpu(&self, g: &Gpu, what: &str) {
        if self.0.is_some() {
            let _ = resident::finish(g);
            self.mark(what);
        }
    }

    fn mark(&self, what: &str) {
        if let Some(t) = &self.0 {
            let now = std::time::Instant::now();
            eprintln!("lapack-ai: svd phase: {what}: {:.3} s", (now - t.get()).as_secs_f64());
            t.set(now);
        }
    }
}

/// The bidiagonal form: diagonal, superdiagonal, and the scalar factors of
/// the reflectors (DGEBRD's D, E, TAUQ, TAUP).
struct Bidiagonal {
    d: Vec<f64>,
    e: Vec<f64>,
    tauq: Vec<f64>,
    taup: Vec<f64>,
    /// P1's reflector j acts on columns j + shift .. n-1.
    shift: usize,
    /// Stage 2's reflectors (two-stage reduction with vectors).
    chase: Option<Reflectors>,
}

/// DGEBRD's result in two-stage form (m >= n), the m x n `a` holding the
/// reflectors of stage 1 as DGEBRD holds its own, but with P1's reflector
/// j acting on columns j + `shift` .. n-1 (shift = kd; 1 for DGEBRD on the
/// host).
fn gebrd(mut a: MatMut<'_>, kd: usize, nx: usize, vectors: bool, phases: &Phases) -> Result<Bidiagonal, GpuError> {
    let (m, n) = (a.rows(), a.cols());
    let mut bd = Bidiagonal { d: vec![0.0; n], e: vec![0.0; n], tauq: vec![0.0; n], taup: vec![0.0; n], shift: 1, chase: None };
    if n <= nx {
        host_gebrd(a, &mut bd);
        phases.mark("bidiagonal reduction (host DGEBRD)");
        return Ok(bd);
    }
    let kd = kd.clamp(1, BMAX);
    {
        let mut g = gpu()?;
        let da = DeviceMatrix::new(&g, m, n)?;
        let dv = DeviceMatrix::new(&g, m, kd)?;
        let dt = DeviceMatrix::new(&g, kd, kd)?;
        let dw = DeviceMatrix::new(&g, kd, n)?;
        let dw2 = DeviceMatrix::new(&g, kd, n)?;
        let dx = DeviceMatrix::new(&g, m, kd)?;
        let dx2 = DeviceMatrix::new(&g, m, kd)?;
        let mut v = host::zeroed(m * kd, "svd")?;
        let mut t = vec![0.0; kd * kd];
        let mut xt = host::zeroed(n * kd, "svd")?;
        // Where stage 1's time goes (LAPACK_AI_SVD_PHASES): waiting for the
        // device's panels, the host's QR and LQ factorizations, the rest.
        let (mut t_read, mut t_qr) = (0.0, 0.0);
        let clock = std::time::Instant::now;
        // SAFETY (the loop): sub-matrices of the device copy of a, inside
        // it, and of the device workspace of their sizes.
        unsafe {
            resident::write(&mut g, da.view(), a.rb())?;
            // Each step's panels are read as soon as their own part of the
            // previous update is done; the rest of that update runs on the
            // GPU while the host factors them (look-ahead). The first panel
            // is A's own, already on the host.
            for k0 in (0..n).step_by(kd) {
                let kb = kd.min(n - k0);
                let rows = m - k0;
                let n2 = n - k0 - kb;
                // Panel QR on the host: R on the band, V below, and T.
                let t0 = clock();
                crate::ops::panel_qr(a.sub_mut(k0, k0, rows, kb), &mut bd.tauq[k0..k0 + kb], &mut v, &mut t)?;
                t_qr += t0.elapsed().as_secs_f64();
                if n2 == 0 {
                    break;
                }
                // A(k0:, k0+kb:) := Qᵀ A = A - V Tᵀ (Vᵀ A), the row panel's
                // rows first.
                resident::write(&mut g, dv.view(), MatRef::from_slice(&v, rows, kb, rows))?;
                resident::write(&mut g, dt.view(), MatRef::from_slice(&t, kb, kb, kb))?;
                let a2 = da.at(k0, k0 + kb);
                resident::gemm(&mut g, true, false, kb, n2, rows, 1.0, dv.view(), a2, 0.0, dw.view())?;
                resident::gemm(&mut g, true, false, kb, n2, kb, 1.0, dt.view(), dw.view(), 0.0, dw2.view())?;
                resident::gemm(&mut g, false, false, kb, n2, kb, -1.0, dv.view(), dw2.view(), 1.0, a2)?;
                let t0 = clock();
                resident::read(&mut g, a2, a.sub_mut(k0, k0 + kb, kb, n2))?;
                t_read += t0.elapsed().as_secs_f64();
                resident::gemm(&mut g, false, false, rows - kb, n2, kb, -1.0, dv.at(kb, 0), dw2.view(), 1.0, a2.at(kb, 0))?;
                // Row panel LQ as the QR of its transpose: the panel
                // becomes [L 0] with L lower triangular (the band), the
                // reflectors' vectors beyond it. (Transposed column by
                // column of A: contiguous reads, kb streams of writes.)
                for c in 0..n2 {
                    let col = &a.col(k0 + kb + c)[k0..k0 + kb];
                    for (r, x) in col.iter().enumerate() {
                        xt[c + r * n2] = *x;
                    }
                }
                let kb2 = kb.min(n2);
                let t0 = clock();
                crate::ops::panel_qr(MatMut::from_slice(&mut xt, n2, kb, n2), &mut bd.taup[k0..k0 + kb2], &mut v, &mut t)?;
                t_qr += t0.elapsed().as_secs_f64();
                for c in 0..n2 {
                    let col = &mut a.col_mut(k0 + kb + c)[k0..k0 + kb];
                    for (r, x) in col.iter_mut().enumerate() {
                        *x = xt[c + r * n2];
                    }
                }
                // A(k0+kb:, k0+kb:) := A P = A - (A V) T Vᵀ, the next
                // panel's columns first.
                resident::write(&mut g, dv.view(), MatRef::from_slice(&v, n2, kb2, n2))?;
                resident::write(&mut g, dt.view(), MatRef::from_slice(&t, kb2, kb2, kb2))?;
                let (m3, a3) = (m - k0 - kb, da.at(k0 + kb, k0 + kb));
                let kbn = kd.min(n2);
                resident::gemm(&mut g, false, false, m3, kb2, n2, 1.0, a3, dv.view(), 0.0, dx.view())?;
                resident::gemm(&mut g, false, false, m3, kb2, kb2, 1.0, dx.view(), dt.view(), 0.0, dx2.view())?;
                resident::gemm(&mut g, false, true, m3, kbn, kb2, -1.0, dx2.view(), dv.view(), 1.0, a3)?;
                let t0 = clock();
                resident::read(&mut g, a3, a.sub_mut(k0 + kb, k0 + kb, m3, kbn))?;
                t_read += t0.elapsed().as_secs_f64();
                resident::gemm(&mut g, false, true, m3, n2 - kbn, kb2, -1.0, dx2.view(), dv.at(kbn, 0), 1.0, a3.at(0, kbn))?;
            }
        }
        phases.mark(&format!("stage 1, dense to band {kd} (waiting for panels {t_read:.3} s, host QR {t_qr:.3} s)"));
    }
    // Stage 2 on the host: the band (upper, kd) to bidiagonal.
    let mut band = Band::new(n, kd)?;
    for j in 0..n {
        let first = j.saturating_sub(kd);
        for (i, x) in a.col(j)[first..=j].iter().enumerate() {
            band.set(first + i, j, *x);
        }
    }
    let (d, e, chase) = bulge::reduce(&mut band, vectors, 0)?;
    phases.mark("stage 2, band to bidiagonal (host chase)");
    (bd.d, bd.e, bd.shift, bd.chase) = (d, e, kd, chase);
    Ok(bd)
}

/// DGEBRD of the whole matrix on the host (small n).
fn host_gebrd(mut a: MatMut<'_>, bd: &mut Bidiagonal) {
    let (mi, ni, ldi) = (a.rows() as c_int, a.cols() as c_int, a.ld() as c_int);
    let a = a.as_mut_ptr();
    let mut info = 0;
    let mut query = [0.0f64];
    // SAFETY: a workspace query, then the view's m x n matrix with the
    // workspace it asked for; d, e, tauq, taup hold n each.
    unsafe {
        netlib::dgebrd(&mi, &ni, a, &ldi, bd.d.as_mut_ptr(), bd.e.as_mut_ptr(), bd.tauq.as_mut_ptr(), bd.taup.as_mut_ptr(), query.as_mut_ptr(), &-1, &mut info);
        let mut work = vec![0.0; (query[0] as usize).max(1)];
        let lwork = work.len() as c_int;
        netlib::dgebrd(&mi, &ni, a, &ldi, bd.d.as_mut_ptr(), bd.e.as_mut_ptr(), bd.tauq.as_mut_ptr(), bd.taup.as_mut_ptr(), work.as_mut_ptr(), &lwork, &mut info);
    }
}

/// src/ops/svd/bulge.cl.
const BULGE_SOURCE: &str = include_str!("bulge.cl");
/// The kernel's BMAX: the largest band (and sweep group) it takes.
const BMAX: usize = 32;
/// Columns per work-group (the kernel's NC) and its work-group size.
const BULGE_NC: usize = 32;
const BULGE_WG: usize = 256;

/// A read-only device copy of `data` (not empty).
fn upload<T: Copy>(g: &Gpu, data: &[T]) -> Result<Buffer<T>, GpuError> {
    assert!(!data.is_empty(), "upload of an empty array");
    // SAFETY: CL_MEM_COPY_HOST_PTR copies data.len() elements from the
    // pointer during the call; data holds them.
    unsafe { Buffer::<T>::create(&g.context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, data.len(), data.as_ptr() as *mut std::ffi::c_void) }
        .map_err(crate::engine::opencl::error::cl("clCreateBuffer (chase reflectors)"))
}

/// X := Q2 X (`side` Left) or P2 X (Right) for the n x `cols` device matrix
/// X whose element (i, c) is at `x.off + i rs + c cs` (src/ops/svd/bulge.cl).
/// Waits for the kernels, so that the reflector buffers go on return (on
/// an error return OpenCL keeps a released buffer until the commands that
/// use it have completed).
///
/// # Safety
/// The view's buffer holds every element of X.
unsafe fn chase_apply(g: &mut Gpu, r: &Reflectors, side: Side, x: View, rs: usize, cs: usize, cols: usize) -> Result<(), GpuError> {
    let n = r.n;
    if n < 2 || cols == 0 {
        return Ok(());
    }
    let (v, tau) = match side {
        Side::Left => (&r.v_left, &r.tau_left),
        Side::Right => (&r.v_right, &r.tau_right),
    };
    let first: Vec<i32> = r.first.iter().map(|&f| f as i32).collect();
    // Groups of g = b sweeps; group (s0, k) is goff[s0 / g] + k.
    let (b, gs) = (r.kd, r.kd);
    let nsg = (n - 1).div_ceil(gs);
    let mut goff = Vec::with_capacity(nsg + 1);
    let mut groups = 0usize;
    for sg in 0..nsg {
        goff.push(groups as i32);
        groups += bulge::tasks(n, b, sg * gs);
    }
    goff.push(groups as i32);
    let (bv, bt, bf, bg) = (upload(g, v)?, upload(g, tau)?, upload(g, &first)?, upload(g, &goff)?);
    let tg = resident::vector(g, groups * gs * gs)?;
    let options = format!("-DNC={BULGE_NC}");
    let kt = g.prepare_other(BULGE_SOURCE, &options, "bulge_t")?;
    let ka = g.prepare_other(BULGE_SOURCE, &options, "bulge_apply")?;
    let ints = |v: usize| v as i32;
    let (ni, bi, gi, ci, si, off, rsi, csi) = (ints(n), ints(b), ints(gs), ints(cols), ints(nsg), ints(x.off), ints(rs), ints(cs));
    let xm = x.mem();
    // SAFETY: the arguments match bulge_t's and bulge_apply's signatures
    // in order and type; the reflector buffers hold what `first` and
    // `goff` index, tg one g x g T per group; X is the caller's.
    unsafe {
        Launch::new(g.other(kt), "clEnqueueNDRangeKernel bulge_t")
            .arg(&ni).arg(&bi).arg(&gi).arg(&si)
            .arg(&bv.get()).arg(&bt.get()).arg(&bf.get()).arg(&bg.get()).arg(&tg.get())
            .submit(&g.queue, &[groups * BULGE_WG], &[BULGE_WG])?;
    }
    // Waves: group (sg, k) in wave k + nsg - 1 - sg (src/ops/svd/bulge.cl).
    let waves = (0..nsg).map(|sg| bulge::tasks(n, b, sg * gs) + nsg - 1 - sg).max().unwrap_or(0);
    for wave in 0..waves {
        let wi = ints(wave);
        // SAFETY: as above, for bulge_apply.
        unsafe {
            Launch::new(g.other(ka), "clEnqueueNDRangeKernel bulge_apply")
                .arg(&ni).arg(&bi).arg(&gi).arg(&ci)
                .arg(&bv.get()).arg(&bt.get()).arg(&bf.get()).arg(&bg.get()).arg(&tg.get())
                .arg(&xm).arg(&off).arg(&rsi).arg(&csi).arg(&wi)
                .submit(&g.queue, &[cols.div_ceil(BULGE_NC) * BULGE_WG, nsg], &[BULGE_WG, 1])?;
        }
    }
    resident::finish(g)
}

/// Where stage 1's reflector vectors lie in A: Q1's along columns, below
/// the diagonal; P1's along rows, right of the band.
#[derive(Clone, Copy)]
enum Along<'a> {
    Columns(MatRef<'a>),
    Rows(MatRef<'a>),
}

/// The device workspace of the blocked back-transformations: a block of
/// reflectors V, its T (from VᵀV), and the products' intermediates.
struct Blocked {
    dv: DeviceMatrix,
    dt: DeviceMatrix,
    dgram: DeviceMatrix,
    dw: DeviceMatrix,
    dw2: DeviceMatrix,
    block: Vec<f64>,
    gram: Vec<f64>,
    nba: usize,
}

impl Blocked {
    /// For blocks of `nba` reflectors of at most `rows` elements, applied
    /// to at most `cols` columns.
    fn new(g: &Gpu, rows: usize, cols: usize, nba: usize) -> Result<Blocked, GpuError> {
        Ok(Blocked {
            dv: DeviceMatrix::new(g, rows, nba)?,
            dt: DeviceMatrix::new(g, nba, nba)?,
            dgram: DeviceMatrix::new(g, nba, nba)?,
            dw: DeviceMatrix::new(g, nba, cols)?,
            dw2: DeviceMatrix::new(g, nba, cols)?,
            block: host::zeroed(rows * nba, "svd")?,
            gram: vec![0.0; nba * nba],
            nba,
        })
    }

    /// X := H(0) H(1) ... H(count-1) X for the `rows x cols` device matrix
    /// X, H(j) = I - tau_j v_j v_jᵀ acting on rows j + offset .. rows-1,
    /// v_j's unit element at row j + offset and the rest stored in A as
    /// `along` says: in blocks of `nba` from the last, each block's
    /// I - V T Vᵀ as three DGEMMs (T from VᵀV on the device and an O(nb³)
    /// recurrence on the host).
    ///
    /// `x` fits this workspace.
    #[allow(clippy::too_many_arguments)]
    fn apply(
        &mut self,
        g: &mut Gpu,
        x: &DeviceMatrix,
        rows: usize,
        cols: usize,
        count: usize,
        offset: usize,
        tau: &[f64],
        along: Along<'_>,
    ) -> Result<(), GpuError> {
        let starts: Vec<usize> = (0..count).step_by(self.nba).collect();
        for &j0 in starts.iter().rev() {
            let jb = self.nba.min(count - j0);
            let len = rows - offset - j0;
            let unit = |r: usize, c: usize| match r.cmp(&c) {
                std::cmp::Ordering::Less => Some(0.0),
                std::cmp::Ordering::Equal => Some(1.0),
                std::cmp::Ordering::Greater => None,
            };
            let block = &mut self.block;
            // Both orders read A along its columns.
            match along {
                Along::Columns(a) => {
                    for c in 0..jb {
                        // Below the diagonal of column j0 + c.
                        let col = a.col(j0 + c);
                        for r in 0..len {
                            block[r + c * len] = unit(r, c).unwrap_or_else(|| col[j0 + offset + r]);
                        }
                    }
                }
                Along::Rows(a) => {
                    for r in 0..len {
                        // Rows j0.. beyond their band, column by column.
                        let col = a.col(j0 + offset + r);
                        for c in 0..jb {
                            block[r + c * len] = unit(r, c).unwrap_or_else(|| col[j0 + c]);
                        }
                    }
                }
            }
            let (dv, dt, dgram, dw, dw2) = (self.dv.view(), self.dt.view(), self.dgram.view(), self.dw.view(), self.dw2.view());
            // SAFETY: every view holds what its product touches (sizes of
            // `new`); the host buffers hold len x jb and jb x jb.
            unsafe {
                resident::write(g, dv, MatRef::from_slice(&self.block, len, jb, len))?;
                resident::gemm(g, true, false, jb, jb, len, 1.0, dv, dv, 0.0, dgram)?;
                resident::read(g, dgram, MatMut::from_slice(&mut self.gram, jb, jb, jb))?;
                let t = crate::ops::larft_from_gram(jb, &self.gram[..jb * jb], &tau[j0..j0 + jb]);
                resident::write(g, dt, MatRef::from_slice(&t, jb, jb, jb))?;
                // W = Vᵀ X; W2 = T W; X -= V W2 for X's rows j0+offset..
                let xs = x.at(j0 + offset, 0);
                resident::gemm(g, true, false, jb, cols, len, 1.0, dv, xs, 0.0, dw)?;
                resident::gemm(g, false, false, jb, cols, jb, 1.0, dt, dw, 0.0, dw2)?;
                resident::gemm(g, false, false, len, cols, jb, -1.0, dv, dw2, 1.0, xs)?;
            }
        }
        Ok(())
    }
}

/// Stage 1's reflectors: in `a` (m x n) as DGEBRD stores them, with P1's
/// reflector j acting on columns j + `shift` ..
struct Stage1<'a> {
    a: MatRef<'a>,
    tauq: &'a [f64],
    taup: &'a [f64],
    shift: usize,
}

/// U := Q1 Q2 [U_B; 0] (or [U_B 0; 0 I] for all m columns) and
/// Vᵀ := V_Bᵀ P2ᵀ P1ᵀ on the GPU, then both read into the caller's outputs
/// (Vᵀ first). Q2 and P2 (stage 2, `chase`) by src/ops/svd/bulge.cl, Q1 and P1
/// in blocks of `nba` reflectors.
///
/// `st.a` holds the reflectors (m x n); ub and vtb are n x n; `u` is
/// m x ucols, `vt` n x n.
#[allow(clippy::too_many_arguments)]
fn back_transform(
    g: &mut Gpu,
    st: &Stage1,
    chase: Option<&Reflectors>,
    ub: &[f64],
    vtb: &[f64],
    u: Option<MatMut<'_>>,
    vt: Option<MatMut<'_>>,
    nba: usize,
    phases: &Phases,
) -> Result<(), GpuError> {
    let (a, tauq, taup, shift) = (st.a, st.tauq, st.taup, st.shift);
    let (m, n) = (a.rows(), a.cols());
    let ucols = u.as_ref().map_or(0, |u| u.cols());
    let mut blocked = Blocked::new(g, m, ucols.max(n), nba)?;
    let mut du = None;
    if u.is_some() {
        let dm = DeviceMatrix::new(g, m, ucols)?;
        // SAFETY (this block): sub-matrices inside dm; host buffers of the
        // written sizes; Q1's vectors below the diagonal of the m x n a.
        unsafe {
            resident::laset(g, m, ucols, 0.0, 1.0, dm.view())?;
            resident::write(g, dm.view(), MatRef::from_slice(ub, n, n, n))?;
            phases.mark_gpu(g, "U: upload");
            if let Some(r) = chase {
                chase_apply(g, r, Side::Left, dm.view(), 1, dm.ld, n)?;
                phases.mark_gpu(g, "U: stage 2 reflectors (kernel)");
            }
            // Q1 = H(1) ... H(n); H(j) acts on rows j.., its vector along
            // column j of A.
            blocked.apply(g, &dm, m, ucols, n, 0, tauq, Along::Columns(a))?;
            phases.mark_gpu(g, "U: stage 1 reflectors (blocked)");
        }
        du = Some(dm);
    }
    let mut dvt = None;
    if vt.is_some() && (n > shift || chase.is_some()) {
        // V := P1 P2 V_B from the left, as U (the products of the other
        // orientation run slower), then transposed on the device.
        let dm = DeviceMatrix::new(g, n, n)?;
        let dmt = DeviceMatrix::new(g, n, n)?;
        // SAFETY: as above; P1's vectors along the rows of a.
        unsafe {
            resident::write(g, dmt.view(), MatRef::from_slice(vtb, n, n, n))?;
            resident::transpose(g, n, n, dmt.view(), dm.view())?;
            phases.mark_gpu(g, "V: upload");
            if let Some(r) = chase {
                chase_apply(g, r, Side::Right, dm.view(), 1, dm.ld, n)?;
                phases.mark_gpu(g, "V: stage 2 reflectors (kernel)");
            }
            // P1 = G(1) ... G(n-shift); G(j) acts on indices j+shift..,
            // its vector along row j of A.
            blocked.apply(g, &dm, n, n, n.saturating_sub(shift), shift, taup, Along::Rows(a))?;
            resident::transpose(g, n, n, dm.view(), dmt.view())?;
            phases.mark_gpu(g, "V: stage 1 reflectors (blocked), transposed");
        }
        dvt = Some(dmt);
    }
    if let Some(mut o) = vt {
        match &dvt {
            // SAFETY: the device matrix is n x n, as the output.
            Some(dm) => unsafe { resident::read(g, dm.view(), o)? },
            None => {
                // n <= shift without a chase (host DGEBRD, n == 1): Vᵀ = V_Bᵀ.
                for j in 0..n {
                    o.col_mut(j).copy_from_slice(&vtb[j * n..(j + 1) * n]);
                }
            }
        }
    }
    if let (Some(o), Some(dm)) = (u, &du) {
        // SAFETY: the device matrix is m x ucols, as the output.
        unsafe { resident::read(g, dm.view(), o)? };
    }
    phases.mark("download of U and Vt");
    Ok(())
}
