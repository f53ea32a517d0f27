//! DBDSDC for an upper bidiagonal matrix with singular vectors
//! (UPLO = 'U', COMPQ = 'I'), divide and conquer, on all cores.
//!
//! A port of reference LAPACK 3.12's DBDSDC -> DLASD0 -> DLASD1 -> DLASD3
//! (Gu and Eisenstat's divide and conquer, LAWN 88), statement by
//! statement, with the independent work run in parallel:
//! - the leaves of the tree (DLASDQ) and the merges of one tree level
//!   (DLASD1) touch disjoint blocks of D, U and Vᵀ: one thread each;
//! - inside a merge (DLASD3), the K secular equations (DLASD4, O(K) each),
//!   the K updated z components and the K singular vector pairs are
//!   independent: split over threads;
//! - DLASD2 (deflation) is ported too (`lasd2`): its O(n²) copies of
//!   the columns of U and the rows of Vᵀ run in parallel, the rows of Vᵀ
//!   gathered column by column instead of copied row by row.
//! - The reference's final selection sort is decided on the values, then
//!   the vectors are permuted once, in parallel.
//! - The merges of a level run side by side only if there are at least as
//!   many as threads and none has more than `PARALLEL_MERGE_MAX` rows;
//!   otherwise one at a time, parallel inside, with the process's threaded
//!   DGEMM; the GPU SVD hands its device's DGEMM for their largest
//!   products ([`Offload`]).
//!
//! Measured on the H100 machine's 16 cores, for the bidiagonal of a random
//! 4096 x 4096 matrix: OpenBLAS's DBDSDC 2.9 s, this port 2.3 s before the
//! three steps above, 1.2 s with them; at 8192, 6.8 s before the merge
//! rule, 3.1 s with it (bench/RESULTS.md, phases of the GPU SVD).
//!
//! Every element is computed by the same operations in the same order as
//! in the reference, so with the same DGEMM the results are bitwise equal
//! to reference DBDSDC's (tests/bdsdc.rs checks it against the bundled
//! copy). The other kernels of the method (DLASD4 secular equation,
//! DLASDQ, DLASDT, DLAMRG, DLAPY2, DROT) are the bundled reference's; the
//! matrix products go to the process's DGEMM (or to the GPU, as above).

use crate::engine::cpu::bundled::routines as netlib;
use crate::engine::opencl::gemm::{Failure, Gemm};
use crate::engine::opencl::host;
use crate::matrix::{MatMut, MatRef};
use std::os::raw::c_int;

/// DBDSDC's SMLSIZ (ILAENV(9, 'DBDSDC', ...) = 25 in reference LAPACK).
const SMLSIZ: usize = 25;

/// INFO of [`bdsdc_upper`] when a host buffer could not be allocated (never
/// an INFO of the reference): the GPU SVD then falls back to the CPU.
pub(crate) const NO_MEMORY: c_int = c_int::MIN;

/// Wall time of the steps of the top merges (those not run in parallel
/// with others) and of the whole, for `LAPACK_AI_SVD_PHASES=1`.
mod prof {
    use std::sync::atomic::{AtomicU64, Ordering};
    pub const NAMES: [&str; 10] =
        ["leaves", "lower levels", "top: DLASD2", "top: DLASD4", "top: z", "top: U vectors", "top: U products", "top: V vectors", "top: V products", "sort"];
    pub static NS: [AtomicU64; 10] = [const { AtomicU64::new(0) }; 10];
    pub fn on() -> bool {
        crate::runtime::config::CONFIG.svd_phases
    }
    /// Adds the time since `t` to step `i`; returns now (only when on).
    pub fn add(i: usize, t: std::time::Instant) -> std::time::Instant {
        if !on() {
            return t;
        }
        let now = std::time::Instant::now();
        NS[i].fetch_add((now - t).as_nanos() as u64, Ordering::Relaxed);
        now
    }
    pub fn report() {
        if !on() {
            return;
        }
        let parts: Vec<String> = NAMES
            .iter()
            .zip(NS.iter())
            .map(|(n, v)| format!("{n} {:.3}", v.swap(0, Ordering::Relaxed) as f64 * 1e-9))
            .collect();
        eprintln!("lapack-ai: svd phase: DBDSDC steps (s): {}", parts.join(", "));
    }
}

/// The largest merges (rows) that run side by side, one thread each.
const PARALLEL_MERGE_MAX: usize = 128;

/// Threads for the parallel loops.
fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(64)
}

/// A pointer that may cross threads: every user writes a disjoint part.
#[derive(Clone, Copy)]
struct P<T>(*mut T);
// SAFETY: used only for disjoint writes inside std::thread::scope.
unsafe impl<T> Send for P<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for P<T> {}

impl<T> P<T> {
    /// The pointer (a method, so that closures capture the whole wrapper).
    fn get(&self) -> *mut T {
        self.0
    }
}

/// Runs `f(i)` for i in 1..=count, split over `t` threads (serially when
/// t == 1 or count is small). Returns the first non-zero result by index.
fn par_for(count: usize, t: usize, f: &(dyn Fn(usize) -> c_int + Sync)) -> c_int {
    if t <= 1 || count < 64 {
        for i in 1..=count {
            let r = f(i);
            if r != 0 {
                return r;
            }
        }
        return 0;
    }
    let parts = t.min(count);
    let results: Vec<c_int> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..parts)
            .map(|p| {
                let (lo, hi) = (1 + p * count / parts, (p + 1) * count / parts);
                let part = move || (lo..=hi).map(f).find(|&r| r != 0).unwrap_or(0);
                // A thread that cannot start leaves its part to this one
                // (`spawn` would panic).
                std::thread::Builder::new().spawn_scoped(s, part).map_err(|_| part())
            })
            .collect();
        handles.into_iter().map(|h| h.map_or_else(|r| r, |h| h.join().unwrap_or(1))).collect()
    });
    results.into_iter().find(|&r| r != 0).unwrap_or(0)
}

/// DBDSDC('U', 'I', N, D, E, U, LDU, VT, LDVT, ...): singular values in D
/// (non-increasing), U and Vᵀ of the upper bidiagonal matrix (D, E).
/// Returns INFO (> 0: a singular value did not converge; [`NO_MEMORY`]: a
/// host buffer could not be allocated).
///
/// # Safety
/// d holds n, e n-1 (or more) values; u and vt are n x n with their
/// leading dimensions (>= n).
// The reference's argument list (DBDSDC's, with the offload): grouping
// the arrays into a struct would only rename them.
#[allow(clippy::too_many_arguments)]
pub unsafe fn bdsdc_upper(
    n: usize, d: *mut f64, e: *mut f64, u: *mut f64, ldu: usize, vt: *mut f64, ldvt: usize, offload: Option<Offload<'_>>,
) -> c_int {
    // 1-based element access, as in the reference.
    let dd = |i: usize| d.wrapping_add(i - 1);
    let uu = |i: usize, j: usize| u.wrapping_add((i - 1) + (j - 1) * ldu);
    let vv = |i: usize, j: usize| vt.wrapping_add((i - 1) + (j - 1) * ldvt);
    let (ni, ldui, ldvti) = (n as c_int, ldu as c_int, ldvt as c_int);
    let mut info: c_int = 0;
    // SAFETY (whole body): indices inside the caller's arrays, as in the
    // reference; the netlib routines get the arguments the reference passes.
    unsafe {
        if n == 0 {
            return 0;
        }
        if n == 1 {
            *uu(1, 1) = 1f64.copysign(*dd(1));
            *vv(1, 1) = 1.0;
            *dd(1) = (*dd(1)).abs();
            return 0;
        }
        let nm1 = n - 1;
        if n <= SMLSIZ {
            netlib::dlaset(c"A".as_ptr(), &ni, &ni, &0.0, &1.0, u, &ldui, 1);
            netlib::dlaset(c"A".as_ptr(), &ni, &ni, &0.0, &1.0, vt, &ldvti, 1);
            let mut work = vec![0.0; 4 * n];
            netlib::dlasdq(
                c"U".as_ptr(), &0, &ni, &ni, &ni, &0, d, e, vt, &ldvti, u, &ldui, u, &ldui, work.as_mut_ptr(),
                &mut info, 1,
            );
        } else {
            netlib::dlaset(c"A".as_ptr(), &ni, &ni, &0.0, &1.0, u, &ldui, 1);
            netlib::dlaset(c"A".as_ptr(), &ni, &ni, &0.0, &1.0, vt, &ldvti, 1);
            let orgnrm = netlib::dlanst(c"M".as_ptr(), &ni, d, e, 1);
            if orgnrm == 0.0 {
                return 0;
            }
            let (one, zero, nm1i) = (1 as c_int, 0 as c_int, nm1 as c_int);
            let mut ierr = 0;
            netlib::dlascl(c"G".as_ptr(), &zero, &zero, &orgnrm, &1.0, &ni, &one, d, &ni, &mut ierr, 1);
            netlib::dlascl(c"G".as_ptr(), &zero, &zero, &orgnrm, &1.0, &nm1i, &one, e, &nm1i, &mut ierr, 1);
            let eps = 0.9 * netlib::dlamch(c"Epsilon".as_ptr(), 7);
            for i in 1..=n {
                if (*dd(i)).abs() < eps {
                    *dd(i) = eps.copysign(*dd(i));
                }
            }
            let ee = |i: usize| e.wrapping_add(i - 1);
            let mut start = 1;
            for i in 1..=nm1 {
                if (*ee(i)).abs() < eps || i == nm1 {
                    let nsize = if i < nm1 {
                        i - start + 1
                    } else if (*ee(i)).abs() >= eps {
                        n - start + 1
                    } else {
                        *uu(n, n) = 1f64.copysign(*dd(n));
                        *vv(n, n) = 1.0;
                        *dd(n) = (*dd(n)).abs();
                        i - start + 1
                    };
                    info = lasd0(nsize, 0, dd(start), ee(start), uu(start, start), ldu, vv(start, start), ldvt, offload);
                    if info != 0 {
                        return info;
                    }
                    start = i + 1;
                }
            }
            netlib::dlascl(c"G".as_ptr(), &zero, &zero, &1.0, &orgnrm, &ni, &one, d, &ni, &mut ierr, 1);
        }
        // Reference DBDSDC's selection sort, decided on the values alone;
        // the vectors are then permuted once, in parallel (the reference
        // swaps rows of Vᵀ one by one, a strided pass each).
        let t0 = std::time::Instant::now();
        let mut perm: Vec<usize> = (0..n).collect();
        for i in 0..n.saturating_sub(1) {
            let mut kk = i;
            let mut p = *dd(i + 1);
            for j in i + 1..n {
                if *dd(j + 1) > p {
                    kk = j;
                    p = *dd(j + 1);
                }
            }
            if kk != i {
                *dd(kk + 1) = *dd(i + 1);
                *dd(i + 1) = p;
                perm.swap(i, kk);
            }
        }
        permute_vectors(n, &perm, u, ldu, vt, ldvt);        prof::add(9, t0);
        prof::report();
    }
    info
}

/// `U(:, j) := U(:, perm[j])` and `Vᵀ(j, :) := Vᵀ(perm[j], :)` for the n x n
/// U and Vᵀ, in parallel (row blocks of U, columns of Vᵀ).
///
/// # Safety
/// u and vt are n x n with their leading dimensions; perm is a
/// permutation of 0..n.
unsafe fn permute_vectors(n: usize, perm: &[usize], u: *mut f64, ldu: usize, vt: *mut f64, ldvt: usize) {
    if perm.iter().enumerate().all(|(i, &p)| i == p) {
        return;
    }
    const ROWS: usize = 64;
    let (pu, pv) = (P(u), P(vt));
    let blocks = n.div_ceil(ROWS);
    par_for(blocks.max(64), threads(), &|b| {
        if b <= blocks {
            let (r0, r1) = ((b - 1) * ROWS, (b * ROWS).min(n));
            let h = r1 - r0;
            let mut buf = vec![0.0; h * n];
            // SAFETY: rows r0..r1 of U, this block's alone.
            unsafe {
                for c in 0..n {
                    std::ptr::copy_nonoverlapping(pu.get().add(r0 + c * ldu), buf.as_mut_ptr().add(c * h), h);
                }
                for (c, &src) in perm.iter().enumerate() {
                    std::ptr::copy_nonoverlapping(buf.as_ptr().add(src * h), pu.get().add(r0 + c * ldu), h);
                }
            }
        }
        0
    });
    par_for(n.max(64), threads(), &|c| {
        if c <= n {
            // SAFETY: column c-1 of Vᵀ, this iteration's alone.
            unsafe {
                let col = pv.get().add((c - 1) * ldvt);
                let old: Vec<f64> = (0..n).map(|r| *col.add(r)).collect();
                for (r, &src) in perm.iter().enumerate() {
                    *col.add(r) = old[src];
                }
            }
        }
        0
    });
}

/// DLASD0 (U and Vᵀ of an upper bidiagonal N x (N+SQRE) matrix), the
/// tree's leaves and each level's merges in parallel.
///
/// # Safety
/// As for reference DLASD0 with these arguments.
#[allow(clippy::too_many_arguments)]
unsafe fn lasd0(
    n: usize, sqre: usize, d: *mut f64, e: *mut f64, u: *mut f64, ldu: usize, vt: *mut f64, ldvt: usize,
    offload: Option<Offload<'_>>,
) -> c_int {
    let m = n + sqre;
    let (ni, mi, sqi, ldui, ldvti) = (n as c_int, m as c_int, sqre as c_int, ldu as c_int, ldvt as c_int);
    let mut info: c_int = 0;
    // SAFETY (whole body): as the reference.
    unsafe {
        if n <= SMLSIZ {
            let mut work = vec![0.0; 4 * m.max(1)];
            netlib::dlasdq(
                c"U".as_ptr(), &sqi, &ni, &mi, &ni, &0, d, e, vt, &ldvti, u, &ldui, u, &ldui, work.as_mut_ptr(),
                &mut info, 1,
            );
            return info;
        }
        let (mut inode, mut ndiml, mut ndimr) = (vec![0 as c_int; n], vec![0 as c_int; n], vec![0 as c_int; n]);
        let mut idxq = vec![0 as c_int; n];
        let (mut nlvl, mut nd) = (0 as c_int, 0 as c_int);
        let msub = SMLSIZ as c_int;
        netlib::dlasdt(&ni, &mut nlvl, &mut nd, inode.as_mut_ptr(), ndiml.as_mut_ptr(), ndimr.as_mut_ptr(), &msub);
        let (nd, nlvl) = (nd as usize, nlvl as usize);
        let t = threads();
        let (pd, pe, pu, pv, pq) = (P(d), P(e), P(u), P(vt), P(idxq.as_mut_ptr()));
        let node = |i: usize| (inode[i - 1] as usize, ndiml[i - 1] as usize, ndimr[i - 1] as usize);
        // Leaves: two DLASDQ each, on disjoint blocks.
        let ndb1 = nd.div_ceil(2);
        let leaf = |i: usize| -> c_int {
            let (ic, nl, nr) = node(i);
            let (nlf, nrf) = (ic - nl, ic + 1);
            let at = |p: P<f64>, ld: usize, r: usize, c: usize| p.get().wrapping_add((r - 1) + (c - 1) * ld);
            let mut work = vec![0.0; 4 * (nl.max(nr) + 1)];
            let mut info: c_int = 0;
            let (nli, nlp1, nri) = (nl as c_int, (nl + 1) as c_int, nr as c_int);
            // SAFETY: the leaf's own rows and columns of D, E, U, Vᵀ.
            {
                netlib::dlasdq(
                    c"U".as_ptr(), &1, &nli, &nlp1, &nli, &0, pd.get().wrapping_add(nlf - 1), pe.get().wrapping_add(nlf - 1),
                    at(pv, ldvt, nlf, nlf), &ldvti, at(pu, ldu, nlf, nlf), &ldui, at(pu, ldu, nlf, nlf), &ldui,
                    work.as_mut_ptr(), &mut info, 1,
                );
                if info != 0 {
                    return info;
                }
                for j in 1..=nl {
                    *pq.get().add(nlf - 2 + j) = j as c_int;
                }
                let sqrei = if i == nd { sqre } else { 1 };
                let nrp1 = (nr + sqrei) as c_int;
                let sq = sqrei as c_int;
                netlib::dlasdq(
                    c"U".as_ptr(), &sq, &nri, &nrp1, &nri, &0, pd.get().wrapping_add(nrf - 1), pe.get().wrapping_add(nrf - 1),
                    at(pv, ldvt, nrf, nrf), &ldvti, at(pu, ldu, nrf, nrf), &ldui, at(pu, ldu, nrf, nrf), &ldui,
                    work.as_mut_ptr(), &mut info, 1,
                );
                if info != 0 {
                    return info;
                }
                for j in 1..=nr {
                    *pq.get().add(ic + j - 1) = j as c_int;
                }
            }
            0
        };
        let leaves = nd + 1 - ndb1;
        let t0 = std::time::Instant::now();
        let r = par_for(leaves, if leaves >= 2 { t } else { 1 }, &|k| leaf(ndb1 + k - 1));
        prof::add(0, t0);
        if r != 0 {
            return r;
        }
        // Merges, bottom level first; the nodes of a level in parallel when
        // there are enough of them and they are small, else each merge
        // parallel inside with the process's threaded DGEMM (the bundled
        // one that the parallel merges use runs at a fraction of its speed:
        // at n = 8192 on the H100 machine's 16 cores, levels of 16 merges
        // of 512 took 3.8 s that way).
        for lvl in (1..=nlvl).rev() {
            let (lf, ll) = if lvl == 1 { (1, 1) } else { (1 << (lvl - 1), (1 << lvl) - 1) };
            let count = ll - lf + 1;
            let (outer, inner) = if count >= t && n / count <= PARALLEL_MERGE_MAX { (t, 1) } else { (1, t) };
            let merge = |k: usize| -> c_int {
                let i = lf + k - 1;
                let (ic, nl, nr) = node(i);
                let nlf = ic - nl;
                let sqrei = if sqre == 0 && i == ll { sqre } else { 1 };
                // SAFETY: the node's block of D, U, Vᵀ and its part of IDXQ.
                {
                    let alpha = *pd.get().add(ic - 1);
                    let beta = *pe.get().add(ic - 1);
                    lasd1(
                        nl, nr, sqrei, pd.get().add(nlf - 1), alpha, beta, pu.get().wrapping_add((nlf - 1) + (nlf - 1) * ldu), ldu,
                        pv.get().wrapping_add((nlf - 1) + (nlf - 1) * ldvt), ldvt, pq.get().add(nlf - 1), inner,
                        outer > 1, offload,
                    )
                }
            };
            let t0 = std::time::Instant::now();
            let r = par_for(count, outer, &merge);
            if outer > 1 {
                prof::add(1, t0);
            }
            if r != 0 {
                return r;
            }
        }
    }
    0
}

/// DLASD1: merges two subproblems and a row into one (deflation by DLASD2,
/// secular equations and vectors by [`lasd3`], `t` threads inside).
///
/// # Safety
/// As for reference DLASD1 with these arguments.
#[allow(clippy::too_many_arguments)]
unsafe fn lasd1(
    nl: usize,
    nr: usize,
    sqre: usize,
    d: *mut f64,
    mut alpha: f64,
    mut beta: f64,
    u: *mut f64,
    ldu: usize,
    vt: *mut f64,
    ldvt: usize,
    idxq: *mut c_int,
    t: usize,
    serial: bool,
    offload: Option<Offload<'_>>,
) -> c_int {
    let n = nl + nr + 1;
    let m = n + sqre;
    let (ldu2, ldvt2) = (n, m);
    let mut z = vec![0.0; m];
    let mut dsigma = vec![0.0; n];
    // The merge's O(n²) buffers, fallibly (src/engine/opencl/host.rs).
    let (Ok(mut u2), Ok(mut vt2)) = (host::zeroed::<f64>(ldu2 * n, "svd"), host::zeroed::<f64>(ldvt2 * m, "svd")) else {
        return NO_MEMORY;
    };
    // COLTYP returns CTOT(1:4), so it holds at least 4.
    let (mut idx, mut idxc, mut coltyp, mut idxp) = (vec![0 as c_int; n], vec![0 as c_int; n], vec![0 as c_int; n.max(4)], vec![0 as c_int; n]);
    let mut info: c_int = 0;
    let (ni, one, zero) = (n as c_int, 1 as c_int, 0 as c_int);
    // SAFETY (whole body): as the reference.
    unsafe {
        let mut orgnrm = alpha.abs().max(beta.abs());
        *d.add(nl) = 0.0;
        for i in 0..n {
            if (*d.add(i)).abs() > orgnrm {
                orgnrm = (*d.add(i)).abs();
            }
        }
        netlib::dlascl(c"G".as_ptr(), &zero, &zero, &orgnrm, &1.0, &ni, &one, d, &ni, &mut info, 1);
        alpha /= orgnrm;
        beta /= orgnrm;
        let t0 = std::time::Instant::now();
        let k = lasd2(
            nl, nr, sqre, d, z.as_mut_ptr(), alpha, beta, u, ldu, vt, ldvt, dsigma.as_mut_ptr(), u2.as_mut_ptr(), ldu2,
            vt2.as_mut_ptr(), ldvt2, &mut idxp, &mut idx, &mut idxc, idxq, &mut coltyp, if serial { 1 } else { t },
        );
        if !serial {
            prof::add(2, t0);
        }
        let ldq = k;
        let Ok(mut q) = host::zeroed::<f64>((ldq * k).max(1), "svd") else {
            return NO_MEMORY;
        };
        info = lasd3(
            nl, nr, sqre, k, d, q.as_mut_ptr(), ldq, dsigma.as_mut_ptr(), u, ldu, u2.as_mut_ptr(), ldu2, vt, ldvt,
            vt2.as_mut_ptr(), ldvt2, &idxc, &coltyp, z.as_mut_ptr(), t, serial, offload,
        );
        if info != 0 {
            return info;
        }
        netlib::dlascl(c"G".as_ptr(), &zero, &zero, &1.0, &orgnrm, &ni, &one, d, &ni, &mut info, 1);
        let (n1, n2, m1) = (k as c_int, (n - k) as c_int, -1 as c_int);
        netlib::dlamrg(&n1, &n2, d, &one, &m1, idxq);
    }
    0
}

/// DLASD2 (deflation of a merge), statement by statement, with its O(n²)
/// copies (loop 160: the columns of U and the rows of Vᵀ in their new
/// order) split over `t` threads, and the rows of Vᵀ gathered column by
/// column instead of row by row. Returns K; COLTYP(1:4) receives CTOT as
/// in the reference. Arguments as the reference's (arrays 1-based there,
/// 0-based slices here); the argument checks are the caller's.
///
/// # Safety
/// As for reference DLASD2 with these arguments.
#[allow(clippy::too_many_arguments)]
unsafe fn lasd2(
    nl: usize,
    nr: usize,
    sqre: usize,
    d: *mut f64,
    z: *mut f64,
    alpha: f64,
    beta: f64,
    u: *mut f64,
    ldu: usize,
    vt: *mut f64,
    ldvt: usize,
    dsigma: *mut f64,
    u2: *mut f64,
    ldu2: usize,
    vt2: *mut f64,
    ldvt2: usize,
    idxp: &mut [c_int],
    idx: &mut [c_int],
    idxc: &mut [c_int],
    idxq: *mut c_int,
    coltyp: &mut [c_int],
    t: usize,
) -> usize {
    let n = nl + nr + 1;
    let m = n + sqre;
    let (nlp1, nlp2) = (nl + 1, nl + 2);
    // 1-based accessors, as in the reference.
    let dd = |i: usize| d.wrapping_add(i - 1);
    let zz = |i: usize| z.wrapping_add(i - 1);
    let ds = |i: usize| dsigma.wrapping_add(i - 1);
    let uu = |i: usize, j: usize| u.wrapping_add((i - 1) + (j - 1) * ldu);
    let vv = |i: usize, j: usize| vt.wrapping_add((i - 1) + (j - 1) * ldvt);
    let u2m = |i: usize, j: usize| u2.wrapping_add((i - 1) + (j - 1) * ldu2);
    let v2m = |i: usize, j: usize| vt2.wrapping_add((i - 1) + (j - 1) * ldvt2);
    let iq = |i: usize| idxq.wrapping_add(i - 1);
    let (ldvti, ldvt2i, one) = (ldvt as c_int, ldvt2 as c_int, 1 as c_int);
    let mut k: usize;
    // SAFETY (whole body): the indices of the reference, inside the
    // caller's arrays; the parallel copies write disjoint columns of U2 and
    // disjoint columns of Vᵀ2 and read U and Vᵀ only.
    unsafe {
        let z1 = alpha * *vv(nlp1, nlp1);
        *zz(1) = z1;
        for i in (1..=nl).rev() {
            *zz(i + 1) = alpha * *vv(i, nlp1);
            *dd(i + 1) = *dd(i);
            *iq(i + 1) = *iq(i) + 1;
        }
        for i in nlp2..=m {
            *zz(i) = beta * *vv(i, nlp2);
        }
        for i in 2..=nlp1 {
            coltyp[i - 1] = 1;
        }
        for i in nlp2..=n {
            coltyp[i - 1] = 2;
        }
        for i in nlp2..=n {
            *iq(i) += nlp1 as c_int;
        }
        for i in 2..=n {
            let q = *iq(i) as usize;
            *ds(i) = *dd(q);
            *u2m(i, 1) = *zz(q);
            idxc[i - 1] = coltyp[q - 1];
        }
        let (nli, nri) = (nl as c_int, nr as c_int);
        netlib::dlamrg(&nli, &nri, ds(2), &one, &one, idx.as_mut_ptr().add(1));
        for i in 2..=n {
            let idxi = 1 + idx[i - 1] as usize;
            *dd(i) = *ds(idxi);
            *zz(i) = *u2m(idxi, 1);
            coltyp[i - 1] = idxc[idxi - 1];
        }
        let eps = netlib::dlamch(c"Epsilon".as_ptr(), 7);
        let mut tol = alpha.abs().max(beta.abs());
        tol = 8.0 * eps * (*dd(n)).abs().max(tol);
        k = 1;
        let mut k2 = n + 1;
        let mut jprev = 0;
        let mut all_deflated = true;
        for j in 2..=n {
            if (*zz(j)).abs() <= tol {
                k2 -= 1;
                idxp[k2 - 1] = j as c_int;
                coltyp[j - 1] = 4;
            } else {
                jprev = j;
                all_deflated = false;
                break;
            }
        }
        if !all_deflated {
            let mut j = jprev;
            loop {
                j += 1;
                if j > n {
                    break;
                }
                if (*zz(j)).abs() <= tol {
                    k2 -= 1;
                    idxp[k2 - 1] = j as c_int;
                    coltyp[j - 1] = 4;
                } else if (*dd(j) - *dd(jprev)).abs() <= tol {
                    let mut s = *zz(jprev);
                    let mut c = *zz(j);
                    let tau = netlib::dlapy2(&c, &s);
                    c /= tau;
                    s = -s / tau;
                    *zz(j) = tau;
                    *zz(jprev) = 0.0;
                    let mut idxjp = *iq(idx[jprev - 1] as usize + 1) as usize;
                    let mut idxj = *iq(idx[j - 1] as usize + 1) as usize;
                    if idxjp <= nlp1 {
                        idxjp -= 1;
                    }
                    if idxj <= nlp1 {
                        idxj -= 1;
                    }
                    let (ni, mi) = (n as c_int, m as c_int);
                    netlib::drot(&ni, uu(1, idxjp), &one, uu(1, idxj), &one, &c, &s);
                    netlib::drot(&mi, vv(idxjp, 1), &ldvti, vv(idxj, 1), &ldvti, &c, &s);
                    if coltyp[j - 1] != coltyp[jprev - 1] {
                        coltyp[j - 1] = 3;
                    }
                    coltyp[jprev - 1] = 4;
                    k2 -= 1;
                    idxp[k2 - 1] = jprev as c_int;
                    jprev = j;
                } else {
                    k += 1;
                    *u2m(k, 1) = *zz(jprev);
                    *ds(k) = *dd(jprev);
                    idxp[k - 1] = jprev as c_int;
                    jprev = j;
                }
            }
            k += 1;
            *u2m(k, 1) = *zz(jprev);
            *ds(k) = *dd(jprev);
            idxp[k - 1] = jprev as c_int;
        }
        let mut ctot = [0usize; 4];
        for j in 2..=n {
            ctot[coltyp[j - 1] as usize - 1] += 1;
        }
        let mut psm = [2, 2 + ctot[0], 2 + ctot[0] + ctot[1], 2 + ctot[0] + ctot[1] + ctot[2]];
        for j in 2..=n {
            let jp = idxp[j - 1] as usize;
            let ct = coltyp[jp - 1] as usize;
            idxc[psm[ct - 1] - 1] = j as c_int;
            psm[ct - 1] += 1;
        }
        // Loop 160: DSIGMA, then the copies, in parallel.
        let mut src = vec![0usize; n + 1];
        for j in 2..=n {
            let jp = idxp[j - 1] as usize;
            *ds(j) = *dd(jp);
            let mut idxj = *iq(idx[idxp[idxc[j - 1] as usize - 1] as usize - 1] as usize + 1) as usize;
            if idxj <= nlp1 {
                idxj -= 1;
            }
            src[j] = idxj;
        }
        let (pu, pv, pu2, pv2) = (P(u), P(vt), P(u2), P(vt2));
        let src = &src;
        par_for(n - 1, t, &|jj| {
            let j = jj + 1;
            std::ptr::copy_nonoverlapping(pu.get().add((src[j] - 1) * ldu), pu2.get().add((j - 1) * ldu2), n);
            0
        });
        par_for(m, t, &|c| {
            let (from, to) = (pv.get().add((c - 1) * ldvt), pv2.get().add((c - 1) * ldvt2));
            for (j, &from_row) in src.iter().enumerate().skip(2) {
                *to.add(j - 1) = *from.add(from_row - 1);
            }
            0
        });
        *ds(1) = 0.0;
        let hlftol = tol / 2.0;
        if (*ds(2)).abs() <= hlftol {
            *ds(2) = hlftol;
        }
        let (mut c, mut s) = (0.0, 0.0);
        if m > n {
            *zz(1) = netlib::dlapy2(&z1, zz(m));
            if *zz(1) <= tol {
                c = 1.0;
                s = 0.0;
                *zz(1) = tol;
            } else {
                c = z1 / *zz(1);
                s = *zz(m) / *zz(1);
            }
        } else if z1.abs() <= tol {
            *zz(1) = tol;
        } else {
            *zz(1) = z1;
        }
        for i in 2..=k {
            *zz(i) = *u2m(i, 1);
        }
        for i in 1..=n {
            *u2m(i, 1) = 0.0;
        }
        *u2m(nlp1, 1) = 1.0;
        if m > n {
            for i in 1..=nlp1 {
                *vv(m, i) = -s * *vv(nlp1, i);
                *v2m(1, i) = c * *vv(nlp1, i);
            }
            for i in nlp2..=m {
                *v2m(1, i) = s * *vv(m, i);
                *vv(m, i) *= c;
            }
        } else {
            let mi = m as c_int;
            netlib::dcopy(&mi, vv(nlp1, 1), &ldvti, v2m(1, 1), &ldvt2i);
        }
        if m > n {
            let mi = m as c_int;
            netlib::dcopy(&mi, vv(m, 1), &ldvti, v2m(m, 1), &ldvt2i);
        }
        if n > k {
            for i in k + 1..=n {
                *dd(i) = *ds(i);
            }
            let nk = n - k;
            par_for(nk, t, &|jj| {
                let j = k + jj;
                std::ptr::copy_nonoverlapping(pu2.get().add((j - 1) * ldu2), pu.get().add((j - 1) * ldu), n);
                0
            });
            par_for(m, t, &|c| {
                std::ptr::copy_nonoverlapping(pv2.get().add(k + (c - 1) * ldvt2), pv.get().add(k + (c - 1) * ldvt), nk);
                0
            });
        }
        for j in 0..4 {
            coltyp[j] = ctot[j] as c_int;
        }
    }
    k
}

/// The large products of the top merges, handed to the caller: the GPU
/// SVD hands its device's DGEMM from host memory (src/ops/svd/gpu.rs),
/// whose device is idle meanwhile. `gemm` computes the product or says
/// which tiles of C it left (computed here on the CPU, never handed back:
/// a failure that persists would recur); products of at least `min_mnk`
/// (m n k) go to it.
#[derive(Clone, Copy)]
pub struct Offload<'a> {
    pub gemm: &'a (dyn Fn(&Gemm, MatMut<'_>) -> Result<(), Failure> + Sync),
    pub min_mnk: f64,
}

/// `C(m x n) := alpha A(m x k) B(k x n) + beta C`: the process's DGEMM
/// (threaded) when the merges of a level run one after the other; the
/// bundled one when they run on one thread each (`serial`), so that a
/// threaded BLAS does not start its own threads in every one of them (the
/// products of those lower levels are small: 1/4^level of the top's); the
/// large ones of the former to `offload` when there is one.
///
/// # Safety
/// As for DGEMM('N', 'N', ...).
#[allow(clippy::too_many_arguments)]
unsafe fn gemm(
    serial: bool, offload: Option<Offload<'_>>, m: usize, n: usize, k: usize, a: *const f64, lda: usize, b: *const f64,
    ldb: usize, beta: f64, c: *mut f64, ldc: usize,
) {
    if let (false, Some(o)) = (serial, offload) {
        if (m as f64) * (n as f64) * (k as f64) >= o.min_mnk {
            // SAFETY: the caller's guarantee: A m x k, B k x n, C m x n
            // with their leading dimensions, C overlapping neither.
            let (av, bv, mut cv) = unsafe {
                (MatRef::from_raw(a, m, k, lda), MatRef::from_raw(b, k, n, ldb), MatMut::from_raw(c, m, n, ldc))
            };
            let g = Gemm::new(false, false, 1.0, av, bv, beta);
            if let Err(failure) = (o.gemm)(&g, cv.rb_mut()) {
                // Each tile the offload did not write, on the CPU.
                for t in failure.remaining {
                    g.tile(t).on_cpu(t.of(&mut cv));
                }
            }
            return;
        }
    }
    // SAFETY: the caller's guarantee.
    unsafe { cpu_gemm(serial, m, n, k, a, lda, b, ldb, beta, c, ldc) };
}

/// [`gemm`] on the CPU: the bundled DGEMM if `serial`, else the process's.
///
/// # Safety
/// As for DGEMM('N', 'N', ...).
#[allow(clippy::too_many_arguments)]
unsafe fn cpu_gemm(serial: bool, m: usize, n: usize, k: usize, a: *const f64, lda: usize, b: *const f64, ldb: usize, beta: f64, c: *mut f64, ldc: usize) {
    let (mi, ni, ki, ldai, ldbi, ldci) = (m as c_int, n as c_int, k as c_int, lda as c_int, ldb as c_int, ldc as c_int);
    let f = if serial { crate::engine::cpu::bundled::dgemm } else { crate::engine::cpu::CPU.dgemm.f };
    // SAFETY: the caller's guarantee.
    unsafe { f(c"N".as_ptr(), c"N".as_ptr(), &mi, &ni, &ki, &1.0, a, &ldai, b, &ldbi, &beta, c, &ldci, 1, 1) };
}

/// DLASD3: the secular equations of a merge and the updated singular
/// vectors; its three O(K²) loops split over `t` threads.
///
/// # Safety
/// As for reference DLASD3 with these arguments (ctot = DLASD2's COLTYP).
#[allow(clippy::too_many_arguments)]
unsafe fn lasd3(
    nl: usize,
    nr: usize,
    sqre: usize,
    k: usize,
    d: *mut f64,
    q: *mut f64,
    ldq: usize,
    dsigma: *mut f64,
    u: *mut f64,
    ldu: usize,
    u2: *mut f64,
    ldu2: usize,
    vt: *mut f64,
    ldvt: usize,
    vt2: *mut f64,
    ldvt2: usize,
    idxc: &[c_int],
    ctot: &[c_int],
    z: *mut f64,
    t: usize,
    serial: bool,
    offload: Option<Offload<'_>>,
) -> c_int {
    let n = nl + nr + 1;
    let m = n + sqre;
    let (nlp1, nlp2) = (nl + 1, nl + 2);
    let qq = |i: usize, j: usize| q.wrapping_add((i - 1) + (j - 1) * ldq);
    let uu = |i: usize, j: usize| u.wrapping_add((i - 1) + (j - 1) * ldu);
    let u2m = |i: usize, j: usize| u2.wrapping_add((i - 1) + (j - 1) * ldu2);
    let vv = |i: usize, j: usize| vt.wrapping_add((i - 1) + (j - 1) * ldvt);
    let v2m = |i: usize, j: usize| vt2.wrapping_add((i - 1) + (j - 1) * ldvt2);
    let zz = |i: usize| z.wrapping_add(i - 1);
    let ki = k as c_int;
    // SAFETY (whole body): indices as in the reference; the parallel
    // loops write disjoint columns (or rows) and read only what earlier
    // loops finished.
    unsafe {
        if k == 1 {
            *d = (*zz(1)).abs();
            let (mi, ldvt2i, ldvti) = (m as c_int, ldvt2 as c_int, ldvt as c_int);
            netlib::dcopy(&mi, v2m(1, 1), &ldvt2i, vv(1, 1), &ldvti);
            for i in 1..=n {
                *uu(i, 1) = if *zz(1) > 0.0 { *u2m(i, 1) } else { -*u2m(i, 1) };
            }
            return 0;
        }
        for i in 1..=k {
            *qq(i, 1) = *zz(i);
        }
        let mut rho = netlib::dnrm2(&ki, z, &1);
        let (one, zero) = (1 as c_int, 0 as c_int);
        let mut info: c_int = 0;
        netlib::dlascl(c"G".as_ptr(), &zero, &zero, &rho, &1.0, &ki, &one, z, &ki, &mut info, 1);
        rho *= rho;
        let (pu, pv, pd, pz, pq) = (P(u), P(vt), P(d), P(z), P(q));
        let ds_c = P(dsigma);
        let top = !serial;
        let mark = |i: usize, t0: std::time::Instant| if top { prof::add(i, t0) } else { t0 };
        let t0 = std::time::Instant::now();
        let r = par_for(k, t, &|j| {
            let mut info: c_int = 0;
            let jj = j as c_int;
            // SAFETY: column j of U and Vᵀ, D(j).
            netlib::dlasd4(
                &ki, &jj, ds_c.get(), pz.get(), pu.get().wrapping_add((j - 1) * ldu), &rho, pd.get().add(j - 1),
                pv.get().wrapping_add((j - 1) * ldvt), &mut info,
            );
            info
        });
        if r != 0 {
            return r;
        }
        let t0 = mark(3, t0);
        // The updated z (loop 60): z(i) from row i of U and Vᵀ.
        let mut znew = vec![0.0; k];
        let pzn = P(znew.as_mut_ptr());
        par_for(k, t, &|i| {
            // SAFETY: reads U, Vᵀ, DSIGMA, Q(:, 1); writes znew(i).
            {
                let uu = |r: usize, c: usize| *pu.get().add((r - 1) + (c - 1) * ldu);
                let vv = |r: usize, c: usize| *pv.get().add((r - 1) + (c - 1) * ldvt);
                let ds = |r: usize| *ds_c.get().add(r - 1);
                let mut zi = uu(i, k) * vv(i, k);
                for j in 1..i {
                    zi *= uu(i, j) * vv(i, j) / (ds(i) - ds(j)) / (ds(i) + ds(j));
                }
                for j in i..k {
                    zi *= uu(i, j) * vv(i, j) / (ds(i) - ds(j + 1)) / (ds(i) + ds(j + 1));
                }
                *pzn.get().add(i - 1) = zi.abs().sqrt().copysign(*pq.get().add(i - 1));
            }
            0
        });
        for i in 1..=k {
            *zz(i) = znew[i - 1];
        }
        let t0 = mark(4, t0);
        // Left singular vectors of the deflated problem (loop 90).
        par_for(k, t, &|i| {
            // SAFETY: column i of U, Vᵀ and Q.
            {
                let u_ = |r: usize| pu.get().add((r - 1) + (i - 1) * ldu);
                let v_ = |r: usize| pv.get().add((r - 1) + (i - 1) * ldvt);
                *v_(1) = *pz.get() / *u_(1) / *v_(1);
                *u_(1) = -1.0;
                for j in 2..=k {
                    *v_(j) = *pz.get().add(j - 1) / *u_(j) / *v_(j);
                    *u_(j) = *ds_c.get().add(j - 1) * *v_(j);
                }
                let temp = netlib::dnrm2(&ki, u_(1), &1);
                *pq.get().add((i - 1) * ldq) = *u_(1) / temp;
                for j in 2..=k {
                    let jc = idxc[j - 1] as usize;
                    *pq.get().add((j - 1) + (i - 1) * ldq) = *u_(jc) / temp;
                }
            }
            0
        });
        let t0 = mark(5, t0);
        // Update the left singular vector matrix.
        if k == 2 {
            gemm(serial, offload, n, k, k, u2, ldu2, q, ldq, 0.0, u, ldu);
        } else {
            let (c1, c2, c3) = (ctot[0] as usize, ctot[1] as usize, ctot[2] as usize);
            if c1 > 0 {
                gemm(serial, offload, nl, k, c1, u2m(1, 2), ldu2, qq(2, 1), ldq, 0.0, uu(1, 1), ldu);
                if c3 > 0 {
                    let ktemp = 2 + c1 + c2;
                    gemm(serial, offload, nl, k, c3, u2m(1, ktemp), ldu2, qq(ktemp, 1), ldq, 1.0, uu(1, 1), ldu);
                }
            } else if c3 > 0 {
                let ktemp = 2 + c1 + c2;
                gemm(serial, offload, nl, k, c3, u2m(1, ktemp), ldu2, qq(ktemp, 1), ldq, 0.0, uu(1, 1), ldu);
            } else {
                let (nli, ldu2i, ldui) = (nl as c_int, ldu2 as c_int, ldu as c_int);
                netlib::dlacpy(c"F".as_ptr(), &nli, &ki, u2, &ldu2i, u, &ldui, 1);
            }
            let (ldqi, ldui) = (ldq as c_int, ldu as c_int);
            netlib::dcopy(&ki, qq(1, 1), &ldqi, uu(nlp1, 1), &ldui);
            let ktemp = 2 + c1;
            let ctemp = c2 + c3;
            gemm(serial, offload, nr, k, ctemp, u2m(nlp2, ktemp), ldu2, qq(ktemp, 1), ldq, 0.0, uu(nlp2, 1), ldu);
        }
        let t0 = mark(6, t0);
        // Right singular vectors (loop 120): row i of Q from column i of Vᵀ.
        par_for(k, t, &|i| {
            // SAFETY: row i of Q, column i of Vᵀ.
            {
                let v_ = |r: usize| pv.get().add((r - 1) + (i - 1) * ldvt);
                let temp = netlib::dnrm2(&ki, v_(1), &1);
                *pq.get().add(i - 1) = *v_(1) / temp;
                for j in 2..=k {
                    let jc = idxc[j - 1] as usize;
                    *pq.get().add((i - 1) + (j - 1) * ldq) = *v_(jc) / temp;
                }
            }
            0
        });
        let t0 = mark(7, t0);
        if k == 2 {
            gemm(serial, offload, k, m, k, q, ldq, vt2, ldvt2, 0.0, vt, ldvt);
            return 0;
        }
        let (c1, c2, c3) = (ctot[0] as usize, ctot[1] as usize, ctot[2] as usize);
        let ktemp = 1 + c1;
        gemm(serial, offload, k, nlp1, ktemp, qq(1, 1), ldq, v2m(1, 1), ldvt2, 0.0, vv(1, 1), ldvt);
        let ktemp = 2 + c1 + c2;
        if ktemp <= ldvt2 {
            gemm(serial, offload, k, nlp1, c3, qq(1, ktemp), ldq, v2m(ktemp, 1), ldvt2, 1.0, vv(1, 1), ldvt);
        }
        let ktemp = c1 + 1;
        let nrp1 = nr + sqre;
        if ktemp > 1 {
            for i in 1..=k {
                *qq(i, ktemp) = *qq(i, 1);
            }
            for i in nlp2..=m {
                *v2m(ktemp, i) = *v2m(1, i);
            }
        }
        let ctemp = 1 + c2 + c3;
        gemm(serial, offload, k, nrp1, ctemp, qq(1, ktemp), ldq, v2m(ktemp, nlp2), ldvt2, 0.0, vv(1, nlp2), ldvt);
        mark(8, t0);
    }
    0
}
