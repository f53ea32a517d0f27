//! Stage 2 of the two-stage bidiagonal reduction: an upper band matrix
//! (bandwidth `kd`) to upper bidiagonal form by Householder bulge chasing,
//! B1 = Q2 B P2ᵀ, on all cores (src/ops/svd/gpu.rs runs stage 1 on the GPU).
//!
//! # The chase (Lang 1996; the scheme of PLASMA's and MAGMA's SVD)
//! Sweep `s` (s = 0 .. n-2) clears row s beyond its superdiagonal and
//! chases the bulge it creates down the band. It is a sequence of tasks
//! k = 0, 1, ...; with b = kd, task (s, k) works on the index range
//! I(s, k) = [s + k b + 1, s + (k+1) b] (clipped to n):
//! - a right reflector over the columns I(s, k) that annihilates row g's
//!   entries there but the first (g = s for k = 0, else the first row of
//!   I(s, k-1)), applied to the rows g+1 .. end of I(s, k);
//! - a left reflector over the rows I(s, k) that annihilates column
//!   start(I(s, k))'s entries below the diagonal, applied to the columns
//!   from there to s + (k+2) b.
//!
//! While sweeps run, the fill stays within 2b-1 above and b-1 below the
//! diagonal; [`Band`] stores 2b+1 above and b+1 below. The flop count is
//! about 8 b n² (values) at level 2 on b x 2b blocks, in cache; storing the
//! reflectors for the vectors costs n² doubles in all.
//!
//! # Parallelism
//! Task (s+1, k) touches rows and columns that tasks (s, k..k+2) touch and
//! none that (s, k+3 ..) touch (the ranges advance by b per task and by 1
//! per sweep). So sweep s+1 may run task k once sweep s has finished task
//! k+2: the sweeps run as a pipeline, one thread per sweep in turn, each
//! waiting on its predecessor's progress counter. Every task does the same
//! operations in the same order as in the serial loop, so the result is
//! bitwise the serial one for any number of threads (tested below).
//!
//! # The reflectors, for the back-transformation
//! Task (s, k)'s reflectors both act on I(s, k) (length <= b), stored with
//! their unit first element at `first[s] + k` (vectors `b` apart). Q2 is
//! the product of the left reflectors in generation order (sweep by sweep,
//! k rising), P2 that of the right ones. Applying Q2 to a matrix from the
//! left in blocks: for groups of `g` sweeps from the last group down, for k
//! rising, the group's reflectors of step k (sweeps from the last down)
//! act on one window of b+g-1 rows. This order equals the generation
//! order's reverse: it swaps only pairs (s, k), (s', k') with s' >= s and
//! k' > k, whose ranges are disjoint (tested below, bitwise).
//! src/ops/svd/bulge.cl applies them that way on the GPU.

use crate::engine::opencl::error::GpuError;
use crate::engine::opencl::host;
use crate::engine::cpu::bundled::routines as netlib;
use std::os::raw::c_int;
use std::sync::atomic::{AtomicUsize, Ordering};

/// An n x n upper band matrix (bandwidth kd) with room for the fill of
/// the chase: element (i, j) for j - 2kd - 1 <= i <= j + kd + 1 at
/// `data[OFF + i - j + j ld]`; a block starting at (i, j) is a column-major
/// matrix with leading dimension `ld - 1`.
pub struct Band {
    pub n: usize,
    pub kd: usize,
    ld: usize,
    up: usize,
    data: Vec<f64>,
}

impl Band {
    /// A zero n x n band for bandwidth `kd` (>= 1); an error if the host
    /// has not the memory (src/engine/opencl/host.rs).
    pub fn new(n: usize, kd: usize) -> Result<Band, GpuError> {
        let up = 2 * kd + 1;
        let ld = up + kd + 2;
        Ok(Band { n, kd, ld, up, data: host::zeroed(ld * n.max(1), "svd")? })
    }

    fn idx(&self, i: usize, j: usize) -> usize {
        debug_assert!(i + self.up >= j && i <= j + self.ld - 1 - self.up, "({i}, {j}) outside the band storage");
        self.up + i + j * self.ld - j
    }

    /// Element (i, j), which must lie in the storage.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.data[self.idx(i, j)]
    }

    /// Sets element (i, j), which must lie in the storage.
    pub fn set(&mut self, i: usize, j: usize, v: f64) {
        let k = self.idx(i, j);
        self.data[k] = v;
    }
}

/// The reflectors of the chase (see the module notes): for sweep s and
/// task k, index `t = first[s] + k`; `tau_*[t]` and the vector
/// `v_*[t b .. t b + len]` (unit first element stored), acting on
/// [s + k b + 1, s + k b + len].
pub struct Reflectors {
    pub n: usize,
    pub kd: usize,
    /// Per sweep, its first task's index; `first[n-1]` is the total.
    pub first: Vec<usize>,
    pub v_left: Vec<f64>,
    pub tau_left: Vec<f64>,
    pub v_right: Vec<f64>,
    pub tau_right: Vec<f64>,
}

/// Tasks of sweep s of an n x n band with bandwidth b.
pub fn tasks(n: usize, b: usize, s: usize) -> usize {
    if s + 1 >= n {
        0
    } else {
        (n - 1 - s).div_ceil(b)
    }
}

impl Reflectors {
    fn new(n: usize, kd: usize) -> Result<Reflectors, GpuError> {
        let sweeps = n.saturating_sub(1);
        let mut first = Vec::with_capacity(sweeps + 1);
        let mut total = 0;
        for s in 0..sweeps {
            first.push(total);
            total += tasks(n, kd, s);
        }
        first.push(total);
        Ok(Reflectors {
            n,
            kd,
            first,
            v_left: host::zeroed(total * kd, "svd")?,
            tau_left: host::zeroed(total, "svd")?,
            v_right: host::zeroed(total * kd, "svd")?,
            tau_right: host::zeroed(total, "svd")?,
        })
    }

    /// The range reflector (s, k) acts on: its start and length.
    #[cfg(test)]
    pub fn range(&self, s: usize, k: usize) -> (usize, usize) {
        let start = s + k * self.kd + 1;
        (start, self.kd.min(self.n - start))
    }
}

/// A pointer that may cross threads: the pipeline's dependencies keep the
/// tasks running at one time on disjoint parts (module notes).
#[derive(Clone, Copy)]
struct Shared(*mut f64);
// SAFETY: see the type's comment; used only inside std::thread::scope.
unsafe impl Send for Shared {}
// SAFETY: as above.
unsafe impl Sync for Shared {}

impl Shared {
    fn get(&self) -> *mut f64 {
        self.0
    }
}

/// An upper bidiagonal matrix: its diagonal, its superdiagonal (padded to
/// n values) and, when asked for, the reflectors that reduced the band to
/// it.
pub type Bidiagonal = (Vec<f64>, Vec<f64>, Option<Reflectors>);

/// Reduces `band` to upper bidiagonal form; returns the diagonal and the
/// superdiagonal (n and n-1 values, the latter padded to n) and, if
/// `vectors`, the reflectors. `threads` 0 means all cores. An error if the
/// host has not the memory for the reflectors.
pub fn reduce(band: &mut Band, vectors: bool, threads: usize) -> Result<Bidiagonal, GpuError> {
    let (n, b) = (band.n, band.kd);
    let mut refl = if vectors { Some(Reflectors::new(n, b)?) } else { None };
    let sweeps = n.saturating_sub(1);
    let threads = if threads == 0 { std::thread::available_parallelism().map_or(1, |t| t.get()).min(16) } else { threads };
    let threads = threads.clamp(1, sweeps.max(1));
    let progress: Vec<AtomicUsize> = (0..sweeps).map(|_| AtomicUsize::new(0)).collect();
    let bp = Shared(band.data.as_mut_ptr());
    let ptrs = refl.as_mut().map(|r| {
        (Shared(r.v_left.as_mut_ptr()), Shared(r.tau_left.as_mut_ptr()), Shared(r.v_right.as_mut_ptr()), Shared(r.tau_right.as_mut_ptr()))
    });
    let first = refl.as_ref().map(|r| r.first.clone());
    let geom = Geometry { n, b, ld: band.ld, up: band.up };
    let worker = |t: usize| {
        let mut work = vec![0.0; 3 * b + 2];
        let mut s = t;
        while s < sweeps {
            for k in 0..tasks(n, b, s) {
                if s > 0 {
                    let need = (k + 3).min(tasks(n, b, s - 1));
                    let mut spins = 0u32;
                    while progress[s - 1].load(Ordering::Acquire) < need {
                        spins += 1;
                        if spins < 200 {
                            std::hint::spin_loop();
                        } else {
                            std::thread::yield_now();
                        }
                    }
                }
                let slot = first.as_ref().zip(ptrs).map(|(f, p)| (f[s] + k, p));
                // SAFETY: the band holds n columns of `ld` doubles; the
                // task's elements are inside the storage (module notes)
                // and, by the wait above, touched by no running task; the
                // reflector slot is this task's alone.
                unsafe { task(&geom, bp.get(), s, k, slot, &mut work) };
                progress[s].store(k + 1, Ordering::Release);
            }
            s += threads;
        }
    };
    if threads == 1 {
        worker(0);
    } else {
        std::thread::scope(|sc| {
            for t in 0..threads {
                let w = &worker;
                sc.spawn(move || w(t));
            }
        });
    }
    let d = (0..n).map(|i| band.get(i, i)).collect();
    let e = (0..n).map(|i| if i + 1 < n { band.get(i, i + 1) } else { 0.0 }).collect();
    Ok((d, e, refl))
}

/// The band's shape, for the tasks.
struct Geometry {
    n: usize,
    b: usize,
    ld: usize,
    up: usize,
}

/// Where the reflectors of one task go: its index and the four arrays.
type Slot = (usize, (Shared, Shared, Shared, Shared));

/// Task (s, k) of the chase (module notes).
///
/// # Safety
/// `data` is the band's storage; no other thread touches the task's
/// elements or its reflector slot meanwhile.
unsafe fn task(g: &Geometry, data: *mut f64, s: usize, k: usize, slot: Option<Slot>, work: &mut [f64]) {
    let (n, b) = (g.n, g.b);
    let at = |i: usize, j: usize| data.wrapping_add(g.up + i + j * g.ld - j);
    let cs = g.ld - 1;
    let c0 = s + k * b + 1;
    let c1 = (s + (k + 1) * b).min(n - 1);
    let len = c1 - c0 + 1;
    let row = if k == 0 { s } else { s + (k - 1) * b + 1 };
    let leni = len as c_int;
    // SAFETY (the whole body): every element addressed lies in the band
    // storage (module notes: rows row..c1 of columns c0..c1, rows c0..c1
    // of columns c0..min(s+(k+2)b, n-1)); the caller owns them.
    unsafe {
        // Right reflector from row `row` over columns c0..c1.
        let mut tau = 0.0;
        let inc = cs as c_int;
        netlib::dlarfg(&leni, at(row, c0), at(row, (c0 + 1).min(c1)), &inc, &mut tau);
        let v = &mut work[..len];
        v[0] = 1.0;
        for (j, vj) in v.iter_mut().enumerate().skip(1) {
            *vj = *at(row, c0 + j);
            *at(row, c0 + j) = 0.0;
        }
        if let Some((t, (_, _, vr, tr))) = slot {
            std::ptr::copy_nonoverlapping(v.as_ptr(), vr.get().add(t * b), len);
            *tr.get().add(t) = tau;
        }
        if tau != 0.0 && c1 > row {
            // Rows row+1..c1: w = B v, B -= tau w vᵀ.
            let rows = c1 - row;
            let (v, w) = work.split_at_mut(len);
            let w = &mut w[..rows];
            w.fill(0.0);
            for (j, &vj) in v.iter().enumerate() {
                let col = at(row + 1, c0 + j);
                for (i, wi) in w.iter_mut().enumerate() {
                    *wi += *col.add(i) * vj;
                }
            }
            for (j, &vj) in v.iter().enumerate() {
                let col = at(row + 1, c0 + j);
                let f = tau * vj;
                for (i, wi) in w.iter().enumerate() {
                    *col.add(i) -= wi * f;
                }
            }
        }
        // Left reflector from column c0 over rows c0..c1.
        let mut tau = 0.0;
        netlib::dlarfg(&leni, at(c0, c0), at((c0 + 1).min(c1), c0), &1, &mut tau);
        let v = &mut work[..len];
        v[0] = 1.0;
        for (i, vi) in v.iter_mut().enumerate().skip(1) {
            *vi = *at(c0 + i, c0);
            *at(c0 + i, c0) = 0.0;
        }
        if let Some((t, (vl, tl, _, _))) = slot {
            std::ptr::copy_nonoverlapping(v.as_ptr(), vl.get().add(t * b), len);
            *tl.get().add(t) = tau;
        }
        let last = (s + (k + 2) * b).min(n - 1);
        if tau != 0.0 {
            // Columns c0+1..last: w = vᵀ B, B -= tau v w.
            for j in c0 + 1..=last {
                let col = at(c0, j);
                let mut w = 0.0;
                for (i, &vi) in v.iter().enumerate() {
                    w += vi * *col.add(i);
                }
                let f = tau * w;
                for (i, &vi) in v.iter().enumerate() {
                    *col.add(i) -= vi * f;
                }
            }
        }
    }
}

/// Which reflectors of a [`Reflectors`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Q2's, the left reflectors.
    Left,
    /// P2's, the right reflectors.
    Right,
}

/// Host applications of the reflectors, for the tests (the library applies
/// them on the GPU, src/ops/svd/bulge.cl).
#[cfg(test)]
impl Reflectors {
    fn of(&self, side: Side) -> (&[f64], &[f64]) {
        match side {
            Side::Left => (&self.v_left, &self.tau_left),
            Side::Right => (&self.v_right, &self.tau_right),
        }
    }

    /// Reflector (s, k) applied from the left to the n x `cols` matrix x
    /// (leading dimension `ldx`).
    fn apply_one(&self, side: Side, s: usize, k: usize, x: &mut [f64], ldx: usize, cols: usize) {
        let (vs, taus) = self.of(side);
        let t = self.first[s] + k;
        let tau = taus[t];
        if tau == 0.0 {
            return;
        }
        let (start, len) = self.range(s, k);
        let v = &vs[t * self.kd..t * self.kd + len];
        for c in 0..cols {
            let col = &mut x[start + c * ldx..start + c * ldx + len];
            let w: f64 = v.iter().zip(col.iter()).map(|(a, b)| a * b).sum();
            for (xi, vi) in col.iter_mut().zip(v) {
                *xi -= tau * w * vi;
            }
        }
    }

    /// x := Q2 x (or P2 x): the reflectors from the last generated to the
    /// first, one at a time (the reference for the blocked orders).
    pub fn apply(&self, side: Side, x: &mut [f64], ldx: usize, cols: usize) {
        for s in (0..self.n.saturating_sub(1)).rev() {
            for k in (0..tasks(self.n, self.kd, s)).rev() {
                self.apply_one(side, s, k, x, ldx, cols);
            }
        }
    }

    /// As [`Reflectors::apply`], in the blocked order of src/ops/svd/bulge.cl:
    /// groups of `g` sweeps from the last, k rising, sweeps of the group
    /// from the last.
    pub fn apply_grouped(&self, side: Side, x: &mut [f64], ldx: usize, cols: usize, g: usize) {
        let sweeps = self.n.saturating_sub(1);
        let mut s0 = sweeps.div_ceil(g) * g;
        while s0 > 0 {
            s0 -= g;
            let s1 = (s0 + g).min(sweeps);
            for k in 0..tasks(self.n, self.kd, s0) {
                for s in (s0..s1).rev() {
                    if k < tasks(self.n, self.kd, s) {
                        self.apply_one(side, s, k, x, ldx, cols);
                    }
                }
            }
        }
    }
}

/// Reference DGBBRD would give the same singular values; the tests here
/// check the factorization itself.
#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random stream in [-1, 1).
    fn rand_stream(seed: u64) -> impl FnMut() -> f64 {
        let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        }
    }

    fn random_band(n: usize, kd: usize, seed: u64) -> (Band, Vec<f64>) {
        let mut r = rand_stream(seed);
        let mut band = Band::new(n, kd).unwrap();
        let mut dense = vec![0.0; n * n];
        for j in 0..n {
            for i in j.saturating_sub(kd)..=j {
                let v = r();
                band.set(i, j, v);
                dense[i + j * n] = v;
            }
        }
        (band, dense)
    }

    /// ‖B1 - Q2 B P2ᵀ‖_max for the reduction of a random band.
    fn residual(n: usize, kd: usize, threads: usize) -> f64 {
        let (mut band, b1) = random_band(n, kd, (n * 31 + kd) as u64);
        let (d, e, refl) = reduce(&mut band, true, threads).unwrap();
        let refl = refl.unwrap();
        // X = B, X := Q2 X, Y = Xᵀ, Y := P2 Y, so Yᵀ = Q2 B P2ᵀ.
        let mut x = vec![0.0; n * n];
        for i in 0..n {
            x[i + i * n] = d[i];
            if i + 1 < n {
                x[i + (i + 1) * n] = e[i];
            }
        }
        refl.apply(Side::Left, &mut x, n, n);
        let mut y = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                y[j + i * n] = x[i + j * n];
            }
        }
        refl.apply(Side::Right, &mut y, n, n);
        let mut worst: f64 = 0.0;
        for i in 0..n {
            for j in 0..n {
                worst = worst.max((y[j + i * n] - b1[i + j * n]).abs());
            }
        }
        worst
    }

    #[test]
    fn band_to_bidiagonal_reproduces_the_band() {
        for &(n, kd) in &[(1, 1), (2, 1), (5, 1), (9, 2), (17, 3), (40, 4), (63, 8), (100, 7), (130, 32), (200, 16)] {
            for threads in [1, 3] {
                let r = residual(n, kd, threads);
                assert!(r < 1e-13 * (n as f64), "n={n} kd={kd} threads={threads}: residual {r:e}");
            }
        }
    }

    #[test]
    fn parallel_chase_is_bitwise_the_serial_one() {
        for &(n, kd) in &[(50, 3), (300, 16), (257, 32)] {
            let (mut a, _) = random_band(n, kd, 7);
            let (mut b, _) = random_band(n, kd, 7);
            let (d1, e1, r1) = reduce(&mut a, true, 1).unwrap();
            let (d2, e2, r2) = reduce(&mut b, true, 5).unwrap();
            assert_eq!(d1, d2);
            assert_eq!(e1, e2);
            let (r1, r2) = (r1.unwrap(), r2.unwrap());
            assert_eq!(r1.v_left, r2.v_left);
            assert_eq!(r1.tau_right, r2.tau_right);
            // Values only: the same bidiagonal.
            let (mut c, _) = random_band(n, kd, 7);
            let (d3, e3, _) = reduce(&mut c, false, 4).unwrap();
            assert_eq!((d1, e1), (d3, e3));
        }
    }

    #[test]
    fn grouped_order_is_bitwise_the_generation_order() {
        for &(n, kd, g) in &[(60, 4, 4), (61, 5, 3), (130, 8, 8), (33, 32, 32)] {
            let (mut band, _) = random_band(n, kd, 11);
            let (_, _, refl) = reduce(&mut band, true, 2).unwrap();
            let refl = refl.unwrap();
            let mut r = rand_stream(3);
            let cols = 7;
            let x0: Vec<f64> = (0..n * cols).map(|_| r()).collect();
            for side in [Side::Left, Side::Right] {
                let (mut x1, mut x2) = (x0.clone(), x0.clone());
                refl.apply(side, &mut x1, n, cols);
                refl.apply_grouped(side, &mut x2, n, cols, g);
                assert_eq!(x1, x2, "n={n} kd={kd} g={g} {side:?}");
                assert_ne!(x1, x0);
            }
        }
    }

    #[test]
    fn singular_values_are_the_bands() {
        // The bidiagonal's singular values (DBDSQR) against the dense
        // band's (DGESVD of the bundled reference).
        let (n, kd) = (90, 6);
        let (mut band, mut dense) = random_band(n, kd, 5);
        let (mut d, mut e, _) = reduce(&mut band, false, 2).unwrap();
        let (ni, mut info) = (n as c_int, 0);
        let mut work = vec![0.0; 4 * n];
        // SAFETY: n x n bidiagonal, no vectors.
        unsafe {
            netlib::dbdsqr(
                c"U".as_ptr(), &ni, &0, &0, &0, d.as_mut_ptr(), e.as_mut_ptr(), std::ptr::null_mut(), &1,
                std::ptr::null_mut(), &1, std::ptr::null_mut(), &1, work.as_mut_ptr(), &mut info, 1,
            )
        };
        assert_eq!(info, 0);
        let mut s = vec![0.0; n];
        let mut w = vec![0.0; 10 * n];
        let lw = w.len() as c_int;
        // SAFETY: values only, workspace of 10n >= 5n.
        unsafe {
            (crate::engine::cpu::bundled::dgesvd)(
                c"N".as_ptr(), c"N".as_ptr(), &ni, &ni, dense.as_mut_ptr(), &ni, s.as_mut_ptr(), std::ptr::null_mut(), &1,
                std::ptr::null_mut(), &1, w.as_mut_ptr(), &lw, &mut info, 1, 1,
            )
        };
        assert_eq!(info, 0);
        for i in 0..n {
            assert!((d[i] - s[i]).abs() <= 1e-13 * s[0], "{i}: {} vs {}", d[i], s[i]);
        }
    }
}
