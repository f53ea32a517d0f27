//! The GPU SVD behind DGESVDOCL, `dgesvd_` and `dgesdd_`: A = U Σ Vᵀ of a
//! real m x n matrix, m >= n here (the drivers in src/abi/lapack.rs pass
//! Aᵀ when m < n).
//!
//! # Algorithm (one-stage, hybrid, as MAGMA's dgesvd/dgesdd)
//! 1. **Bidiagonal reduction** A = Q B Pᵀ (LAPACK's DGEBRD, blocked, Golub
//!    and Kahan / LAWN 2): the matrix lives on the GPU. Per panel of `NB`
//!    columns, the host downloads the panel's columns and rows, runs the
//!    panel factorization (DLABRD) and sends the two products with the
//!    whole trailing matrix that each column needs (y = Aᵀu, x = Av) to the
//!    GPU; the trailing update A -= V Yᵀ + X Uᵀ is two GPU DGEMMs. Half of
//!    DGEBRD's 4mn² - 4n³/3 flops are these matrix-vector products: they are
//!    memory bound on any machine, and on the GPU they read the trailing
//!    matrix at device bandwidth (3 TB/s on the H100) instead of the host's
//!    (about 0.1 TB/s on 16 cores). The other half is DGEMM on the tensor
//!    cores.
//! 2. **Bidiagonal SVD** B = U_B Σ V_Bᵀ on the host, O(n²) for values
//!    (DBDSQR, as DGESVD), divide and conquer for vectors (DBDSDC, as
//!    DGESDD), in the parallel port of src/cpu/bdsdc.rs: the reference
//!    spends its time in O(n²) loops on one core (2.9 s of a 4.8 s GPU SVD
//!    at n = 4096 on the H100 machine with OpenBLAS's DBDSDC).
//!    For DGESVD's semantics, a DBDSDC failure (never seen in practice)
//!    repeats the step with DBDSQR, so that INFO > 0 means what DGESVD
//!    says: DBDSQR did not converge.
//! 3. **Back-transformations** U = Q U_B, Vᵀ = V_Bᵀ Pᵀ (DORMBR) on the GPU in
//!    blocks of `NB_APPLY` reflectors, each block a compact WY transform
//!    I - V T Vᵀ (Schreiber and Van Loan 1989): three DGEMMs per block;
//!    T comes from VᵀV (a GPU DGEMM) and an O(nb³) recurrence on the host.
//!    About 4mn·(ucols) + 4n³ flops, all DGEMM.
//!
//! Why not Jacobi (cuSOLVER gesvdj) or two-stage reduction (MAGMA 2.x):
//! one-sided Jacobi repeats sweeps of ~4n³ flops each (6 to 10 sweeps) and
//! must complete U for rank-deficient matrices; two-stage reduction turns
//! the memory-bound half into DGEMM but needs band-to-bidiagonal bulge
//! chasing and a longer back-transformation. The one-stage scheme keeps
//! LAPACK's numerics exactly (the same reflectors, the same bidiagonal
//! SVD), so its accuracy is DGESVD's/DGESDD's: backward stable,
//! ‖A - UΣVᵀ‖ = O(ε‖A‖), U and V orthogonal to O(ε).
//!
//! Every GPU command goes to the in-order compute queue. The GPU lock is
//! held during the reduction and the back-transformations, not during the
//! bidiagonal SVD, whose CPU LAPACK may call this library's `dgemm_`.

use super::context::{gpu, Gpu};
use super::error::GpuError;
use super::resident::{self, DeviceMatrix};
use crate::cpu::bundled::routines as netlib;
use opencl3::memory::{Buffer, ClMem};
use std::os::raw::c_int;

/// Panel width of the bidiagonal reduction (DGEBRD's NB on GPUs in MAGMA is
/// 32 as well: wider panels make the host part longer).
const NB: usize = 32;
/// Trailing columns below which the reduction finishes on the host
/// (DGEBRD's crossover NX is 128).
const NX: usize = 128;
/// Reflectors per block in the back-transformations.
const NB_APPLY: usize = 128;

/// The block sizes: [`NB`], [`NX`], [`NB_APPLY`], or
/// `LAPACK_AI_TEST_SVD_BLOCKS=nb,nx,nbapply` (a test hook: tiny blocks make
/// small matrices run every GPU step on PoCL).
fn blocks() -> (usize, usize, usize) {
    let parsed = std::env::var("LAPACK_AI_TEST_SVD_BLOCKS").ok().and_then(|v| {
        let p: Vec<usize> = v.split(',').filter_map(|x| x.trim().parse().ok()).collect();
        (p.len() == 3 && p[0] >= 1 && p[2] >= 1).then(|| (p[0], p[1], p[2]))
    });
    parsed.unwrap_or((NB, NX, NB_APPLY))
}

/// Where a factor goes on the host: column-major, leading dimension `ld`.
#[derive(Clone, Copy, Debug)]
pub struct Out {
    pub ptr: *mut f64,
    pub ld: usize,
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

/// The SVD of the m x n (m >= n >= 1) matrix `a` (leading dimension `lda`,
/// overwritten by the reflectors of its bidiagonal form). Writes the n
/// singular values to `s`; `u` receives the first `ucols` (n or m) columns
/// of U, `vt` the n x n Vᵀ. Both are written last, Vᵀ before U, so that
/// either may be `a` itself (DGESVD's 'O').
///
/// # Safety
/// `a` valid for m x n with `lda`; `s` for n values; the outputs valid for
/// m x ucols and n x n.
pub unsafe fn svd(
    m: usize,
    n: usize,
    a: *mut f64,
    lda: usize,
    s: &mut [f64],
    u: Option<(Out, usize)>,
    vt: Option<Out>,
    flavor: Flavor,
) -> Result<Outcome, GpuError> {
    let (nb, nx, nba) = blocks();
    let phases = Phases::new();
    // SAFETY: the caller's matrix.
    let bd = unsafe { gebrd(m, n, a, lda, nb, nx)? };
    phases.mark("bidiagonal reduction");
    let Bidiagonal { mut d, mut e, tauq, taup } = bd;
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
    let mut ub = vec![0.0; n * n];
    let mut vtb = vec![0.0; n * n];
    // SAFETY: d and e hold n values, ub and vtb are n x n.
    info = unsafe { crate::cpu::bdsdc::bdsdc_upper(n, d.as_mut_ptr(), e.as_mut_ptr(), ub.as_mut_ptr(), n, vtb.as_mut_ptr(), n) };
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
    let mut g = gpu()?;
    // SAFETY: the reflectors in a, the host factors, the caller's outputs.
    unsafe { back_transform(&mut g, m, n, a, lda, &tauq, &taup, &ub, &vtb, u, vt, nba)? };
    phases.mark("back-transformations and download");
    Ok(Outcome { info: 0, e })
}

/// `LAPACK_AI_SVD_PHASES=1`: the time of each step on stderr (for the
/// benchmark notes: what limits the GPU SVD).
struct Phases(Option<std::cell::Cell<std::time::Instant>>);

impl Phases {
    fn new() -> Phases {
        Phases((std::env::var("LAPACK_AI_SVD_PHASES").as_deref() == Ok("1")).then(|| std::time::Instant::now().into()))
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
}

/// Device state of the reduction: the matrix, the panel's X and Y, and
/// the vectors of the per-column products.
struct Reduction {
    a: DeviceMatrix,
    x: DeviceMatrix,
    y: DeviceMatrix,
    vin: Buffer<f64>,
    vout: Buffer<f64>,
    partial: Buffer<f64>,
    staged: Vec<f64>,
}

/// DGEBRD (m >= n) with the matrix on the GPU; `a` receives what DGEBRD
/// leaves in A (the reflectors; the bidiagonal is returned).
///
/// # Safety
/// `a` valid for m x n with `lda`.
unsafe fn gebrd(m: usize, n: usize, a: *mut f64, lda: usize, nb: usize, nx: usize) -> Result<Bidiagonal, GpuError> {
    let mut bd = Bidiagonal { d: vec![0.0; n], e: vec![0.0; n], tauq: vec![0.0; n], taup: vec![0.0; n] };
    let at = |i: usize, j: usize| a.wrapping_add(i + j * lda);
    let mut i0 = 0;
    if n > nx {
        let mut g = gpu()?;
        let mut r = Reduction {
            a: DeviceMatrix::new(&g, m, n)?,
            x: DeviceMatrix::new(&g, m, nb)?,
            y: DeviceMatrix::new(&g, n, nb)?,
            vin: resident::vector(&g, m.max(n))?,
            vout: resident::vector(&g, m.max(n))?,
            partial: resident::vector(&g, m * resident::GEMV_CHUNKS)?,
            staged: vec![0.0; m.max(n)],
        };
        // SAFETY: the caller's matrix into a device matrix of its size.
        unsafe { resident::write(&mut g, r.a.view(), a, m, n, lda)? };
        let (mut x, mut y) = (vec![0.0; m * nb], vec![0.0; n * nb]);
        while n - i0 > nx {
            let ib = nb.min(n - i0);
            let (mr, nr) = (m - i0, n - i0);
            // SAFETY (this block): sub-matrices of a and of the device copy,
            // inside both.
            unsafe {
                // The panel's columns and rows as the updates left them.
                resident::read(&mut g, r.a.at(i0, i0), at(i0, i0), mr, ib, lda)?;
                resident::read(&mut g, r.a.at(i0, i0 + ib), at(i0, i0 + ib), ib, nr - ib, lda)?;
                labrd(&mut g, &mut r, i0, mr, nr, ib, at(i0, i0), lda, &mut bd, x.as_mut_ptr(), m, y.as_mut_ptr(), n)?;
                // A22 -= V Y2ᵀ + X2 U: V and U are the panel's reflectors
                // (with DLABRD's unit elements in place), back on the device.
                resident::write(&mut g, r.a.at(i0, i0), at(i0, i0), mr, ib, lda)?;
                resident::write(&mut g, r.a.at(i0, i0 + ib), at(i0, i0 + ib), ib, nr - ib, lda)?;
                resident::write(&mut g, r.x.view(), x.as_ptr(), mr, ib, m)?;
                resident::write(&mut g, r.y.view(), y.as_ptr(), nr, ib, n)?;
                let (m2, n2) = (mr - ib, nr - ib);
                resident::gemm(&mut g, false, true, m2, n2, ib, -1.0, r.a.at(i0 + ib, i0), r.y.at(ib, 0), 1.0, r.a.at(i0 + ib, i0 + ib))?;
                resident::gemm(&mut g, false, false, m2, n2, ib, -1.0, r.x.at(ib, 0), r.a.at(i0, i0 + ib), 1.0, r.a.at(i0 + ib, i0 + ib))?;
            }
            for j in i0..i0 + ib {
                // SAFETY: diagonal and superdiagonal elements of a.
                unsafe {
                    *at(j, j) = bd.d[j];
                    if j + 1 < n {
                        *at(j, j + 1) = bd.e[j];
                    }
                }
            }
            i0 += ib;
        }
        if i0 < n {
            // SAFETY: the trailing sub-matrix, fully updated on the device.
            unsafe { resident::read(&mut g, r.a.at(i0, i0), at(i0, i0), m - i0, n - i0, lda)? };
        }
    }
    if i0 < n {
        // The rest on the host (DGEBRD, unblocked at this size).
        let (mr, nr, ldi) = ((m - i0) as c_int, (n - i0) as c_int, lda as c_int);
        let mut info = 0;
        let mut query = [0.0f64];
        let mut work;
        // SAFETY: a workspace query, then the trailing sub-matrix with the
        // workspace it asked for; d, e, tauq, taup from i0 hold n - i0.
        unsafe {
            netlib::dgebrd(&mr, &nr, at(i0, i0), &ldi, bd.d.as_mut_ptr(), bd.e.as_mut_ptr(), bd.tauq.as_mut_ptr(), bd.taup.as_mut_ptr(), query.as_mut_ptr(), &-1, &mut info);
            work = vec![0.0; (query[0] as usize).max(1)];
            let lwork = work.len() as c_int;
            netlib::dgebrd(
                &mr, &nr, at(i0, i0), &ldi, bd.d.as_mut_ptr().add(i0), bd.e.as_mut_ptr().add(i0),
                bd.tauq.as_mut_ptr().add(i0), bd.taup.as_mut_ptr().add(i0), work.as_mut_ptr(), &lwork, &mut info,
            );
        }
    }
    Ok(bd)
}

/// `y := alpha op(A) x + beta y` on the host (the process's DGEMV, else
/// the bundled one), for the panel's small products. Strides in elements.
///
/// # Safety
/// As for DGEMV.
#[allow(clippy::too_many_arguments)]
unsafe fn hgemv(trans: bool, m: usize, n: usize, alpha: f64, a: *const f64, lda: usize, x: *const f64, incx: usize, beta: f64, y: *mut f64, incy: usize) {
    let t = if trans { c"T" } else { c"N" };
    let (mi, ni, ldi, ix, iy) = (m as c_int, n as c_int, lda.max(1) as c_int, incx as c_int, incy as c_int);
    // SAFETY: the caller's guarantee.
    unsafe { (crate::cpu::CPU.dgemv.f)(t.as_ptr(), &mi, &ni, &alpha, a, &ldi, x, &ix, &beta, y, &iy, 1) };
}

/// One column's product with the trailing matrix on the GPU:
/// `out := op(A_dev(rows x cols at (r0, c0))) v`, `v` strided by `incv`
/// on the host, `out` contiguous on the host.
///
/// # Safety
/// `v` and `out` valid for their lengths; the sub-matrix inside the device
/// matrix.
#[allow(clippy::too_many_arguments)]
unsafe fn device_gemv(
    g: &mut Gpu,
    r: &mut Reduction,
    trans: bool,
    rows: usize,
    cols: usize,
    r0: usize,
    c0: usize,
    v: *const f64,
    incv: usize,
    out: *mut f64,
) -> Result<(), GpuError> {
    let (vlen, olen) = if trans { (rows, cols) } else { (cols, rows) };
    if olen == 0 {
        return Ok(());
    }
    for i in 0..vlen {
        // SAFETY: the caller's vector.
        r.staged[i] = unsafe { *v.add(i * incv) };
    }
    // SAFETY: the vectors hold max(m, n) doubles; the sub-matrix is inside.
    // `staged` is not touched until the blocking read has returned, which
    // on the in-order queue means the write completed.
    unsafe {
        let written = resident::write_vector_async(g, r.vin.get(), 0, r.staged.as_ptr(), vlen)?;
        resident::gemv(g, trans, rows, cols, r.a.at(r0, c0), r.vin.get(), r.vout.get(), r.partial.get())?;
        let read = resident::read_vector(g, r.vout.get(), 0, out, olen);
        if read.is_err() {
            // Do not let `staged` change under a copy that may still run.
            let _ = resident::finish(g);
        }
        drop(written);
        read
    }
}

/// DLABRD for m >= n on the panel at (i0, i0): reduces its first `nb` rows
/// and columns, leaving X and Y for the trailing update. The two products
/// with the trailing matrix per column run on the GPU (whose copy holds
/// the panel's starting values there, as DLABRD's algorithm needs); the
/// rest follows reference DLABRD statement by statement (1-based indices
/// below, as in the reference).
///
/// # Safety
/// `a` is the panel's top-left element of a host matrix with `lda` (its
/// first nb columns and rows current); x and y hold mm x nb and nn x nb.
#[allow(clippy::too_many_arguments)]
unsafe fn labrd(
    g: &mut Gpu,
    r: &mut Reduction,
    i0: usize,
    mm: usize,
    nn: usize,
    nb: usize,
    a: *mut f64,
    lda: usize,
    bd: &mut Bidiagonal,
    x: *mut f64,
    ldx: usize,
    y: *mut f64,
    ldy: usize,
) -> Result<(), GpuError> {
    let am = |i: usize, j: usize| a.wrapping_add((i - 1) + (j - 1) * lda);
    let xm = |i: usize, j: usize| x.wrapping_add((i - 1) + (j - 1) * ldx);
    let ym = |i: usize, j: usize| y.wrapping_add((i - 1) + (j - 1) * ldy);
    // SAFETY (the whole loop): every pointer below addresses the panel's
    // rows and columns, X or Y, inside the caller's arrays, exactly as
    // reference DLABRD does.
    unsafe {
        for i in 1..=nb {
            // Update A(i:m, i).
            hgemv(false, mm - i + 1, i - 1, -1.0, am(i, 1), lda, ym(i, 1), ldy, 1.0, am(i, i), 1);
            hgemv(false, mm - i + 1, i - 1, -1.0, xm(i, 1), ldx, am(1, i), 1, 1.0, am(i, i), 1);
            // Reflector Q(i) annihilating A(i+1:m, i).
            let len = (mm - i + 1) as c_int;
            netlib::dlarfg(&len, am(i, i), am((i + 1).min(mm), i), &1, &mut bd.tauq[i0 + i - 1]);
            bd.d[i0 + i - 1] = *am(i, i);
            if i < nn {
                *am(i, i) = 1.0;
                // Y(i+1:n, i) = A(i:m, i+1:n)ᵀ A(i:m, i): on the GPU.
                device_gemv(g, r, true, mm - i + 1, nn - i, i0 + i - 1, i0 + i, am(i, i), 1, ym(i + 1, i))?;
                hgemv(true, mm - i + 1, i - 1, 1.0, am(i, 1), lda, am(i, i), 1, 0.0, ym(1, i), 1);
                hgemv(false, nn - i, i - 1, -1.0, ym(i + 1, 1), ldy, ym(1, i), 1, 1.0, ym(i + 1, i), 1);
                hgemv(true, mm - i + 1, i - 1, 1.0, xm(i, 1), ldx, am(i, i), 1, 0.0, ym(1, i), 1);
                hgemv(true, i - 1, nn - i, -1.0, am(1, i + 1), lda, ym(1, i), 1, 1.0, ym(i + 1, i), 1);
                let (cnt, one) = ((nn - i) as c_int, 1 as c_int);
                netlib::dscal(&cnt, &bd.tauq[i0 + i - 1], ym(i + 1, i), &one);
                // Update A(i, i+1:n).
                hgemv(false, nn - i, i, -1.0, ym(i + 1, 1), ldy, am(i, 1), lda, 1.0, am(i, i + 1), lda);
                hgemv(true, i - 1, nn - i, -1.0, am(1, i + 1), lda, xm(i, 1), ldx, 1.0, am(i, i + 1), lda);
                // Reflector P(i) annihilating A(i, i+2:n).
                let ldi = lda as c_int;
                netlib::dlarfg(&cnt, am(i, i + 1), am(i, (i + 2).min(nn)), &ldi, &mut bd.taup[i0 + i - 1]);
                bd.e[i0 + i - 1] = *am(i, i + 1);
                *am(i, i + 1) = 1.0;
                // X(i+1:m, i) = A(i+1:m, i+1:n) A(i, i+1:n)ᵀ: on the GPU.
                device_gemv(g, r, false, mm - i, nn - i, i0 + i, i0 + i, am(i, i + 1), lda, xm(i + 1, i))?;
                hgemv(true, nn - i, i, 1.0, ym(i + 1, 1), ldy, am(i, i + 1), lda, 0.0, xm(1, i), 1);
                hgemv(false, mm - i, i, -1.0, am(i + 1, 1), lda, xm(1, i), 1, 1.0, xm(i + 1, i), 1);
                hgemv(false, i - 1, nn - i, 1.0, am(1, i + 1), lda, am(i, i + 1), lda, 0.0, xm(1, i), 1);
                hgemv(false, mm - i, i - 1, -1.0, xm(i + 1, 1), ldx, xm(1, i), 1, 1.0, xm(i + 1, i), 1);
                let cnt = (mm - i) as c_int;
                netlib::dscal(&cnt, &bd.taup[i0 + i - 1], xm(i + 1, i), &one);
            }
        }
    }
    Ok(())
}

/// The triangular factor T of a block of `k` forward, columnwise
/// reflectors (DLARFT) from G = VᵀV and the scalar factors:
/// T(j, j) = tau_j, T(0:j, j) = -tau_j T(0:j, 0:j) G(0:j, j). Column-major k x k.
fn larft_from_gram(k: usize, gram: &[f64], tau: &[f64]) -> Vec<f64> {
    let mut t = vec![0.0; k * k];
    for j in 0..k {
        t[j + j * k] = tau[j];
        if tau[j] == 0.0 {
            continue;
        }
        for i in 0..j {
            let mut s = 0.0;
            for l in i..j {
                s += t[i + l * k] * gram[l + j * k];
            }
            t[i + j * k] = -tau[j] * s;
        }
    }
    t
}

/// U := Q [U_B; 0] (or [U_B 0; 0 I] for all m columns) and Vᵀ := V_Bᵀ Pᵀ on
/// the GPU, then both read into the caller's outputs (Vᵀ first).
///
/// # Safety
/// `a` holds DGEBRD's reflectors (m x n, `lda`); ub and vtb are n x n;
/// the outputs are valid for their sizes.
#[allow(clippy::too_many_arguments)]
unsafe fn back_transform(
    g: &mut Gpu,
    m: usize,
    n: usize,
    a: *const f64,
    lda: usize,
    tauq: &[f64],
    taup: &[f64],
    ub: &[f64],
    vtb: &[f64],
    u: Option<(Out, usize)>,
    vt: Option<Out>,
    nba: usize,
) -> Result<(), GpuError> {
    let at = |i: usize, j: usize| -> f64 {
        // SAFETY: callers index inside the m x n matrix.
        unsafe { *a.add(i + j * lda) }
    };
    let ucols = u.map_or(0, |(_, c)| c);
    let dv = DeviceMatrix::new(g, m, nba)?;
    let dw = DeviceMatrix::new(g, nba, ucols.max(n))?;
    let dw2 = DeviceMatrix::new(g, nba, ucols.max(n))?;
    let dt = DeviceMatrix::new(g, nba, nba)?;
    let dgram = DeviceMatrix::new(g, nba, nba)?;
    let mut block = vec![0.0; m * nba];
    let mut gram = vec![0.0; nba * nba];
    // The block's T from its V on the device.
    let mut t_of = |g: &mut Gpu, rows: usize, jb: usize, tau: &[f64]| -> Result<(), GpuError> {
        // SAFETY: dv holds rows x jb, dgram and dt hold jb x jb (ld nba).
        unsafe {
            resident::gemm(g, true, false, jb, jb, rows, 1.0, dv.view(), dv.view(), 0.0, dgram.view())?;
            resident::read(g, dgram.view(), gram.as_mut_ptr(), jb, jb, jb)?;
        }
        let t = larft_from_gram(jb, &gram[..jb * jb], tau);
        // SAFETY: t is jb x jb.
        unsafe { resident::write(g, dt.view(), t.as_ptr(), jb, jb, jb) }
    };

    let mut du = None;
    if let Some((_, ucols)) = u {
        let dm = DeviceMatrix::new(g, m, ucols)?;
        // SAFETY (this block): sub-matrices inside dm, dv, dw, dw2, dt;
        // host buffers of the written sizes.
        unsafe {
            resident::laset(g, m, ucols, 0.0, 1.0, dm.view())?;
            resident::write(g, dm.view(), ub.as_ptr(), n, n, n)?;
            // Q = H(1) ... H(n): blocks from the last.
            let starts: Vec<usize> = (0..n).step_by(nba).collect();
            for &j0 in starts.iter().rev() {
                let jb = nba.min(n - j0);
                let rows = m - j0;
                for c in 0..jb {
                    for r in 0..rows {
                        block[r + c * rows] = match r.cmp(&c) {
                            std::cmp::Ordering::Less => 0.0,
                            std::cmp::Ordering::Equal => 1.0,
                            std::cmp::Ordering::Greater => at(j0 + r, j0 + c),
                        };
                    }
                }
                resident::write(g, dv.view(), block.as_ptr(), rows, jb, rows)?;
                t_of(g, rows, jb, &tauq[j0..j0 + jb])?;
                // W = Vᵀ U(j0:, :); W2 = T W; U(j0:, :) -= V W2.
                resident::gemm(g, true, false, jb, ucols, rows, 1.0, dv.view(), dm.at(j0, 0), 0.0, dw.view())?;
                resident::gemm(g, false, false, jb, ucols, jb, 1.0, dt.view(), dw.view(), 0.0, dw2.view())?;
                resident::gemm(g, false, false, rows, ucols, jb, -1.0, dv.view(), dw2.view(), 1.0, dm.at(j0, 0))?;
            }
        }
        du = Some(dm);
    }
    let mut dvt = None;
    if vt.is_some() && n > 1 {
        let dm = DeviceMatrix::new(g, n, n)?;
        let dwp = DeviceMatrix::new(g, n, nba)?;
        let dwp2 = DeviceMatrix::new(g, n, nba)?;
        // SAFETY: as above.
        unsafe {
            resident::write(g, dm.view(), vtb.as_ptr(), n, n, n)?;
            // P = G(1) ... G(n-1); G(j) acts on indices j+1..n-1 (0-based).
            let starts: Vec<usize> = (0..n - 1).step_by(nba).collect();
            for &j0 in starts.iter().rev() {
                let jb = nba.min(n - 1 - j0);
                let rows = n - 1 - j0;
                for c in 0..jb {
                    for r in 0..rows {
                        block[r + c * rows] = match r.cmp(&c) {
                            std::cmp::Ordering::Less => 0.0,
                            std::cmp::Ordering::Equal => 1.0,
                            std::cmp::Ordering::Greater => at(j0 + c, j0 + 1 + r),
                        };
                    }
                }
                resident::write(g, dv.view(), block.as_ptr(), rows, jb, rows)?;
                t_of(g, rows, jb, &taup[j0..j0 + jb])?;
                // Vᵀ(:, j0+1:) := Vᵀ(:, j0+1:) (I - V T Vᵀ)ᵀ.
                resident::gemm(g, false, false, n, jb, rows, 1.0, dm.at(0, j0 + 1), dv.view(), 0.0, dwp.view())?;
                resident::gemm(g, false, true, n, jb, jb, 1.0, dwp.view(), dt.view(), 0.0, dwp2.view())?;
                resident::gemm(g, false, true, n, rows, jb, -1.0, dwp2.view(), dv.view(), 1.0, dm.at(0, j0 + 1))?;
            }
        }
        dvt = Some(dm);
    }
    if let Some(o) = vt {
        match &dvt {
            // SAFETY: the caller's n x n output.
            Some(dm) => unsafe { resident::read(g, dm.view(), o.ptr, n, n, o.ld)? },
            None => {
                // n == 1: Vᵀ = V_Bᵀ (P is the identity).
                // SAFETY: the caller's 1 x 1 output.
                unsafe { *o.ptr = vtb[0] };
            }
        }
    }
    if let (Some((o, ucols)), Some(dm)) = (u, &du) {
        // SAFETY: the caller's m x ucols output.
        unsafe { resident::read(g, dm.view(), o.ptr, m, ucols, o.ld)? };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_from_gram_matches_the_product_of_reflectors() {
        // Three reflectors of length 5 (unit lower trapezoidal V): the
        // product H1 H2 H3 must equal I - V T Vᵀ.
        let (n, k) = (5usize, 3usize);
        let vals = [0.3, -0.7, 0.2, 0.9, -0.4, 0.6, 0.1, -0.5, 0.8, 0.35];
        let mut v = vec![0.0; n * k];
        let mut it = vals.iter();
        for c in 0..k {
            v[c + c * n] = 1.0;
            for r in c + 1..n {
                v[r + c * n] = *it.next().unwrap();
            }
        }
        let tau = [1.2, 0.0, 0.7];
        let mut gram = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..k {
                gram[i + j * k] = (0..n).map(|r| v[r + i * n] * v[r + j * n]).sum();
            }
        }
        let t = larft_from_gram(k, &gram, &tau);
        let mut prod: Vec<f64> = (0..n * n).map(|i| if i % (n + 1) == 0 { 1.0 } else { 0.0 }).collect();
        for c in 0..k {
            // prod := prod (I - tau v vᵀ)
            let mut pv = vec![0.0; n];
            for r in 0..n {
                pv[r] = (0..n).map(|l| prod[r + l * n] * v[l + c * n]).sum();
            }
            for r in 0..n {
                for l in 0..n {
                    prod[r + l * n] -= tau[c] * pv[r] * v[l + c * n];
                }
            }
        }
        for r in 0..n {
            for l in 0..n {
                let mut vtv = 0.0;
                for i in 0..k {
                    for j in 0..k {
                        vtv += v[r + i * n] * t[i + j * k] * v[l + j * n];
                    }
                }
                let want = if r == l { 1.0 } else { 0.0 } - vtv;
                assert!((prod[r + l * n] - want).abs() < 1e-14, "({r}, {l})");
            }
        }
    }
}
