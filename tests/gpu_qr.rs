//! DGEQRF (dgeqrf_) with LAPACK_AI_MODE=gpu on the OpenCL device named by
//! LAPACK_AI_TEST_OPENCL (PoCL in CI), against the bundled reference
//! LAPACK, which is also the CPU LAPACK here (LAPACK_AI_CPU_LIB=bundled),
//! so that whatever runs on the CPU must be reference's result bit for bit:
//! - sizes around the PoCL panels (16 columns): 1x1, 1x5, 5x1, 16x16,
//!   17x15, 31x33, 33x31, 48x20, 20x48, 64x64, 100x37, 37x100, 130x130,
//!   200x150, 150x200 and a few random ones, LDA = M and LDA > M, LWORK
//!   the optimal size (reference's query) and the minimum max(1, N) (and
//!   for the random sizes one in between), on random matrices, graded
//!   ones (columns scaled over 1e-8..1e8 in random order), tiny and huge
//!   ones (entries about 1e-200 and 1e200: the reflectors' norms need
//!   DNRM2's scaling), upper triangular ones (every TAU exactly 0, R = A),
//!   a zero column, two equal columns (rank deficient): LAPACK's DQRT01
//!   ratios ||A - Q R||_1 / (m ||A||_1 eps) and ||I - QᵀQ||_1 / (m eps)
//!   below 30 (Q formed here from the reflectors; eps = DLAMCH('E') =
//!   2^-53), and but for the rank-deficient matrices R (relative
//!   difference per column), the reflectors and TAU close to
//!   bundled::dgeqrf's (same Householder convention: same signs);
//! - the padding rows beyond M and the entries of TAU beyond min(M, N)
//!   (NaNs with a payload) come back bit for bit;
//! - WORK(1) on exit is what bundled::dgeqrf leaves there with the same
//!   LWORK (reference's IWS: N NB where its blocked code would run, else N);
//! - a matrix with a NaN (first panel, panel boundary, last panel, with
//!   reference's blocked code): the GPU path finds NaNs in its result and
//!   leaves the call to the CPU LAPACK (logged as a fallback), so A, TAU,
//!   WORK(1) are bit for bit reference's and INFO is 0;
//! - LWORK = -1: WORK(1) is bundled::dgeqrf's answer, A and TAU untouched;
//! - min(M, N) = 0: INFO 0, WORK(1) = 1, A and TAU untouched;
//! - the CPU fallback: LAPACK_AI_FAULT_INJECT dgeqrf (the GPU path fails
//!   before it starts), dgeqrf@1 (after the first panel), panic-dgeqrf (a
//!   panic at the start), panic-dgeqrf@1 (a panic after the first panel,
//!   the device held): A, TAU and WORK(1) bit for bit bundled::dgeqrf's
//!   (the GPU path writes A and TAU only at its end, so that the CPU starts
//!   from the caller's A), each call logged "fell back to cpu[" and
//!   counted as a fallback; and then the GPU runs again;
//! - the log: every call with min(M, N) > 0 (no fault) is one line
//!   "-> gpu[" without a fallback.
//!
//! One #[test]: the configuration is read once per process, and the
//! counters are the process's.

// `!(x <= tolerance)` on purpose: a NaN must fail the check, which
// `x > tolerance` would let pass.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

mod common;
use common::{LogTail, Placed, Rng};
use lapack_ai::engine::cpu::bundled;
use lapack_ai::ops::qr::exports::dgeqrf_;
use lapack_ai::runtime::config;
use std::os::raw::c_int;

/// LAPACK's DLAMCH('E'): the unit roundoff, as its test ratios use it.
const EPS: f64 = f64::EPSILON / 2.0;

/// LAPACK's threshold for its test ratios.
const THRESHOLD: f64 = 30.0;

/// The largest differences allowed between our R (relative, per column),
/// reflectors (absolute: their entries are at most 1) and TAU (absolute:
/// 0 or in [1, 2]) and reference's, for the matrices whose QR is well
/// conditioned.
const TOLERANCE: f64 = 1e-10;

/// The padding rows beyond M, and TAU beyond min(M, N): a quiet NaN with
/// a payload.
const PAD: u64 = 0x7ff8_0bad_c0de_0003;
/// WORK before the call: another one (WORK(1) must be written).
const WORK_FILL: u64 = 0x7ff8_0bad_c0de_0004;
/// Entries of TAU allocated beyond min(M, N), to catch writes past its end.
const TAU_EXTRA: usize = 2;

type Geqrf = unsafe extern "C" fn(
    *const c_int,
    *const c_int,
    *mut f64,
    *const c_int,
    *mut f64,
    *mut f64,
    *const c_int,
    *mut c_int,
);

/// How a caller stores its matrix: M, N, LDA.
#[derive(Clone, Copy, Debug)]
struct Shape {
    m: usize,
    n: usize,
    ld: usize,
}

impl Shape {
    fn k(self) -> usize {
        self.m.min(self.n)
    }

    /// The caller's array for the dense m x n `s` (leading dimension m):
    /// NaN (PAD) in the rows beyond M.
    fn array(self, s: &[f64]) -> Vec<f64> {
        (0..self.ld * self.n.max(1))
            .map(|x| {
                let (i, j) = (x % self.ld, x / self.ld);
                if i < self.m && j < self.n {
                    s[i + j * self.m]
                } else {
                    f64::from_bits(PAD)
                }
            })
            .collect()
    }

    /// Whether `out` holds `inp`'s bits in the padding rows.
    fn padding_kept(self, out: &[f64], inp: &[f64]) -> bool {
        out.len() == inp.len()
            && out.iter().zip(inp).enumerate().all(|(x, (o, i))| x % self.ld < self.m || o.to_bits() == i.to_bits())
    }

    /// R(i, j) (i <= j, i < m) of the factored array `a`.
    fn r(self, a: &[f64], i: usize, j: usize) -> f64 {
        a[i + j * self.ld]
    }
}

/// Whether two arrays hold the same bits.
fn same_bits(x: &[f64], y: &[f64]) -> bool {
    x.len() == y.len() && x.iter().zip(y).all(|(a, b)| a.to_bits() == b.to_bits())
}

/// A NaN counts as infinite (it must fail).
fn finite(r: f64) -> f64 {
    if r.is_nan() {
        f64::INFINITY
    } else {
        r
    }
}

/// What a DGEQRF call left.
struct Outcome {
    info: i32,
    a: Vec<f64>,
    /// min(M, N) entries, then TAU_EXTRA of padding (at least one entry).
    tau: Vec<f64>,
    work1: f64,
}

fn tau_array(sh: Shape) -> Vec<f64> {
    vec![f64::from_bits(PAD); sh.k().max(1) + TAU_EXTRA]
}

/// DGEQRF by `f` on a copy of the caller's array `a0`, with LWORK
/// entries of workspace (one for a query).
fn geqrf(f: Geqrf, sh: Shape, a0: &[f64], lwork: i32) -> Outcome {
    assert!(a0.len() >= sh.ld * sh.n.max(1));
    let mut a = a0.to_vec();
    let mut tau = tau_array(sh);
    let mut work = vec![f64::from_bits(WORK_FILL); lwork.max(1) as usize];
    let mut info = -77;
    let (m, n, ld) = (sh.m as c_int, sh.n as c_int, sh.ld as c_int);
    // SAFETY: A holds LDA x max(N, 1) elements, TAU at least min(M, N),
    // WORK max(LWORK, 1); all live locals.
    unsafe { f(&m, &n, a.as_mut_ptr(), &ld, tau.as_mut_ptr(), work.as_mut_ptr(), &lwork, &mut info) };
    Outcome { info, a, tau, work1: work[0] }
}

/// Reference's optimal LWORK (its workspace query), at least 1.
fn optimal_lwork(sh: Shape) -> i32 {
    let o = geqrf(bundled::dgeqrf, sh, &sh.array(&vec![0.0; sh.m * sh.n]), -1);
    assert_eq!(o.info, 0, "reference's query of {sh:?}");
    (o.work1 as i32).max(1)
}

/// Q = H(1) ... H(k), m x m, of the reflectors in the factored array `a`
/// and `tau` (H(i) = I - tau_i v_i v_iᵀ, v_i(i) = 1, v_i below the
/// diagonal of column i, zero above).
fn form_q(sh: Shape, a: &[f64], tau: &[f64]) -> Vec<f64> {
    let m = sh.m;
    let mut q = vec![0.0; m * m];
    for i in 0..m {
        q[i + i * m] = 1.0;
    }
    for i in (0..sh.k()).rev() {
        let t = tau[i];
        let v = |r: usize| if r == i { 1.0 } else { a[r + i * sh.ld] };
        for c in 0..m {
            let col = &mut q[c * m..(c + 1) * m];
            let w: f64 = (i..m).map(|r| v(r) * col[r]).sum();
            for (r, x) in col.iter_mut().enumerate().skip(i) {
                *x -= t * v(r) * w;
            }
        }
    }
    q
}

/// DQRT01's ratios for the factored array `a` and `tau` of the matrix in
/// the caller's array `a0`: ||A - Q R||_1 / (m ||A||_1 eps) and
/// ||I - QᵀQ||_1 / (m eps).
fn qrt01(sh: Shape, a0: &[f64], a: &[f64], tau: &[f64]) -> (f64, f64) {
    let (m, n) = (sh.m, sh.n);
    let q = form_q(sh, a, tau);
    let (mut resid, mut anorm) = (0.0f64, 0.0f64);
    for j in 0..n {
        let (mut col, mut acol) = (0.0, 0.0);
        for i in 0..m {
            let qr: f64 = (0..=j.min(m - 1)).map(|l| q[i + l * m] * sh.r(a, l, j)).sum();
            col += (a0[i + j * sh.ld] - qr).abs();
            acol += a0[i + j * sh.ld].abs();
        }
        resid = resid.max(finite(col));
        anorm = anorm.max(acol);
    }
    let mut orth = 0.0f64;
    for j in 0..m {
        let mut col = 0.0;
        for i in 0..m {
            let g: f64 = (0..m).map(|l| q[l + i * m] * q[l + j * m]).sum();
            col += ((if i == j { 1.0 } else { 0.0 }) - g).abs();
        }
        orth = orth.max(finite(col));
    }
    let mf = m.max(1) as f64;
    let r1 = if anorm > 0.0 { finite(resid / mf / anorm / EPS) } else { finite(resid) };
    (r1, finite(orth / (mf * EPS)))
}

/// The differences between our factorization and reference's: R's
/// largest relative difference per column (max |difference| / max
/// |reference| over the column's rows 0..=min(j, m - 1)), the reflectors'
/// and TAU's largest absolute ones.
fn differences(sh: Shape, ours: &Outcome, reference: &Outcome) -> (f64, f64, f64) {
    let nan_inf = |d: f64| if d.is_nan() { f64::INFINITY } else { d };
    let mut r_diff: f64 = 0.0;
    for j in 0..sh.n {
        let (mut diff, mut scale) = (0.0f64, f64::MIN_POSITIVE);
        for i in 0..=j.min(sh.m - 1) {
            let (o, r) = (sh.r(&ours.a, i, j), sh.r(&reference.a, i, j));
            diff = diff.max(nan_inf((o - r).abs()));
            scale = scale.max(r.abs());
        }
        r_diff = r_diff.max(diff / scale);
    }
    let mut v_diff: f64 = 0.0;
    let mut t_diff: f64 = 0.0;
    for j in 0..sh.k() {
        for i in j + 1..sh.m {
            v_diff = v_diff.max(nan_inf((ours.a[i + j * sh.ld] - reference.a[i + j * sh.ld]).abs()));
        }
        t_diff = t_diff.max(nan_inf((ours.tau[j] - reference.tau[j]).abs()));
    }
    (r_diff, v_diff, t_diff)
}

/// The matrix kinds (dense, m x n).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// Uniform in (-1, -0.1] U [0.1, 1).
    Random,
    /// Random, the columns scaled over 1e-8..1e8 in random order.
    Graded,
    /// Random times 1e-200: the squares of the entries underflow.
    Tiny,
    /// Random times 1e200: the squares of the entries overflow.
    Huge,
    /// Random upper triangular: nothing below the diagonal, every TAU 0
    /// and R = A.
    Upper,
    /// Random with one column (the middle one) exactly zero.
    ZeroColumn,
    /// Random with two equal columns (a third and two thirds along): R
    /// and the reflectors after the second are not determined, so only
    /// the ratios are checked.
    RankDeficient,
}

/// The kinds in turn over the sizes: random ones every other call.
const KINDS: [Kind; 12] = [
    Kind::Random,
    Kind::Graded,
    Kind::Random,
    Kind::ZeroColumn,
    Kind::Random,
    Kind::Tiny,
    Kind::Random,
    Kind::Huge,
    Kind::Random,
    Kind::Upper,
    Kind::Random,
    Kind::RankDeficient,
];

fn matrix(rng: &mut Rng, kind: Kind, m: usize, n: usize) -> Vec<f64> {
    let mut s = rng.values(m * n);
    match kind {
        Kind::Random => {}
        Kind::Graded => {
            let mut d: Vec<f64> = (0..n).map(|j| 10f64.powf(-8.0 + 16.0 * j as f64 / (n.max(2) - 1) as f64)).collect();
            for j in (1..n).rev() {
                d.swap(j, rng.below(j + 1));
            }
            for j in 0..n {
                for x in &mut s[j * m..(j + 1) * m] {
                    *x *= d[j];
                }
            }
        }
        Kind::Tiny => s.iter_mut().for_each(|x| *x *= 1e-200),
        Kind::Huge => s.iter_mut().for_each(|x| *x *= 1e200),
        Kind::Upper => {
            for j in 0..n {
                for x in &mut s[j * m + (j + 1).min(m)..(j + 1) * m] {
                    *x = 0.0;
                }
            }
        }
        Kind::ZeroColumn => s[n / 2 * m..(n / 2 + 1) * m].iter_mut().for_each(|x| *x = 0.0),
        Kind::RankDeficient => {
            if n >= 2 {
                let (j1, j2) = (n / 3, (2 * n / 3).max(n / 3 + 1));
                let c = s[j1 * m..(j1 + 1) * m].to_vec();
                s[j2 * m..(j2 + 1) * m].copy_from_slice(&c);
            }
        }
    }
    s
}

/// The LWORK of a call.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Lwork {
    /// Reference's optimal size (its query).
    Optimal,
    /// max(1, N).
    Minimum,
    /// Between the two (N times 2..=31).
    Between(usize),
}

impl Lwork {
    fn value(self, sh: Shape) -> i32 {
        match self {
            Lwork::Optimal => optimal_lwork(sh),
            Lwork::Minimum => sh.n.max(1) as i32,
            Lwork::Between(f) => (sh.n * f).max(1) as i32,
        }
    }
}

/// How a call must run: where (the log), whether bit for bit reference's
/// (the CPU ran the whole call from the caller's arrays), and its label
/// in failures.
struct Expect<'a> {
    placed: Placed,
    exact: bool,
    label: &'a str,
}

/// An ordinary call: on the GPU, reference's up to rounding.
const ON_GPU: Expect<'static> = Expect { placed: Placed::Gpu, exact: false, label: "qr" };

/// The calls made and what went wrong.
struct Run {
    rng: Rng,
    failures: Vec<String>,
    cases: usize,
    log: LogTail,
    /// Calls that must have run on the GPU.
    gpu_expected: u64,
    /// How the first call of each kind whose placement is not checked was
    /// logged (printed).
    unchecked_lines: Vec<String>,
    /// The worst seen: the two DQRT01 ratios, and the R, reflector and TAU
    /// differences relative to TOLERANCE.
    worst: [f64; 5],
}

impl Run {
    fn fail(&mut self, what: &str, problems: Vec<String>) {
        if !problems.is_empty() {
            self.failures.push(format!("{what}: {}", problems.join("; ")));
        }
    }

    fn note(&mut self, which: usize, value: f64) {
        self.worst[which] = self.worst[which].max(value);
    }

    /// Checks the log lines of dgeqrf_ written since the last look; for
    /// Placed::Any, keeps the first line under `tag` to print.
    fn placed(&mut self, expect: Placed, what: &str, tag: &str) {
        let lines = self.log.lines_of("dgeqrf_");
        if expect == Placed::Any && !self.unchecked_lines.iter().any(|l| l.starts_with(tag)) {
            self.unchecked_lines.push(format!("{tag}: {lines:?}"));
        }
        if expect == Placed::Gpu {
            self.gpu_expected += 1;
        }
        if !expect.matches(&lines) {
            self.failures.push(format!("{what}: logged {lines:?}, expected one line {expect:?}"));
        }
    }

    /// DGEQRF on a matrix of the kind: ours against reference's.
    fn case(&mut self, sh: Shape, kind: Kind, lwork: Lwork, e: &Expect) {
        self.cases += 1;
        let s = matrix(&mut self.rng, kind, sh.m, sh.n);
        let a0 = sh.array(&s);
        let lw = lwork.value(sh);
        let ours = geqrf(dgeqrf_, sh, &a0, lw);
        let reference = geqrf(bundled::dgeqrf, sh, &a0, lw);
        let what = format!("{} dgeqrf m={} n={} lda={} lwork={lw} ({lwork:?}) {kind:?}", e.label, sh.m, sh.n, sh.ld);
        self.placed(e.placed, &what, "");
        let mut problems = Vec::new();
        if ours.info != 0 || reference.info != 0 {
            problems.push(format!("INFO {}, reference {}", ours.info, reference.info));
        }
        if !sh.padding_kept(&ours.a, &a0) {
            problems.push("wrote to the padding rows beyond M".into());
        }
        let k = sh.k();
        if !same_bits(&ours.tau[k..], &reference.tau[k..]) || !same_bits(&ours.tau[k..], &tau_array(sh)[k..]) {
            problems.push("wrote to TAU beyond min(M, N)".into());
        }
        if ours.work1.to_bits() != reference.work1.to_bits() {
            problems.push(format!("WORK(1) {}, reference {}", ours.work1, reference.work1));
        }
        if ours.info == 0 {
            let (r1, r2) = qrt01(sh, &a0, &ours.a, &ours.tau);
            self.note(0, r1);
            self.note(1, r2);
            if !(r1 < THRESHOLD && r2 < THRESHOLD) {
                let (q1, q2) = qrt01(sh, &a0, &reference.a, &reference.tau);
                problems.push(format!("DQRT01 ratios {r1:.2}, {r2:.2} (reference {q1:.2}, {q2:.2})"));
            }
            if kind != Kind::RankDeficient {
                let (dr, dv, dt) = differences(sh, &ours, &reference);
                self.note(2, dr / TOLERANCE);
                self.note(3, dv / TOLERANCE);
                self.note(4, dt / TOLERANCE);
                if !(dr < TOLERANCE && dv < TOLERANCE && dt < TOLERANCE) {
                    problems.push(format!(
                        "differs from reference's: R by {dr:.1e}, reflectors by {dv:.1e}, TAU by {dt:.1e} (tolerance {TOLERANCE:.0e})"
                    ));
                }
            }
            if kind == Kind::Upper {
                // Reference's DLARFG: nothing below the diagonal, TAU = 0
                // (whatever the diagonal's sign); A unchanged.
                let unchanged = ours.a.iter().zip(&a0).all(|(x, y)| x == y || (x.is_nan() && y.is_nan()));
                if !unchanged || ours.tau[..k].iter().any(|&t| t != 0.0) {
                    problems.push(format!(
                        "upper triangular: A unchanged {unchanged}, TAU {:?} (reference {:?})",
                        &ours.tau[..k.min(4)],
                        &reference.tau[..k.min(4)]
                    ));
                }
            }
        }
        if e.exact && !(same_bits(&ours.a, &reference.a) && same_bits(&ours.tau, &reference.tau)) {
            problems.push("A or TAU not bitwise reference's (the CPU ran it from the caller's A)".into());
        }
        self.fail(&what, problems);
    }

    /// A matrix with a NaN at (i, j): the GPU path sees NaNs in its
    /// result and leaves the call to the CPU LAPACK (one line "fell back
    /// to cpu["), from A as passed: A, TAU and WORK(1) bit for bit
    /// reference's, INFO 0.
    fn nan_case(&mut self, sh: Shape, at: (usize, usize), lwork: Lwork) {
        self.cases += 1;
        let mut s = matrix(&mut self.rng, Kind::Random, sh.m, sh.n);
        s[at.0 + at.1 * sh.m] = f64::NAN;
        let a0 = sh.array(&s);
        let lw = lwork.value(sh);
        let ours = geqrf(dgeqrf_, sh, &a0, lw);
        let reference = geqrf(bundled::dgeqrf, sh, &a0, lw);
        let what = format!("NaN at {at:?}: dgeqrf m={} n={} lda={} lwork={lw}", sh.m, sh.n, sh.ld);
        self.placed(Placed::Fallback, &what, "a NaN in A");
        let mut problems = Vec::new();
        if ours.info != 0 || reference.info != 0 {
            problems.push(format!("INFO {}, reference {}", ours.info, reference.info));
        }
        if !same_bits(&ours.a, &reference.a) || !same_bits(&ours.tau, &reference.tau) {
            problems.push("A or TAU not bit for bit reference's".into());
        }
        if ours.work1.to_bits() != reference.work1.to_bits() {
            problems.push(format!("WORK(1) {}, reference {}", ours.work1, reference.work1));
        }
        self.fail(&what, problems);
    }
}

/// The counters of dgeqrf_: (GPU calls, fallbacks).
fn counters() -> (u64, u64) {
    common::counters("dgeqrf_")
}

#[test]
fn gpu_qr_matches_the_reference() {
    let Some((log, seed)) = common::gpu_test("gpu-qr", "GPU QR", 0x9e4f_2026_0001) else {
        return;
    };
    // The CPU LAPACK is the bundled reference: what runs on the CPU must be
    // bundled's result bit for bit.
    std::env::set_var("LAPACK_AI_CPU_LIB", "bundled");
    config::set_hooks(|h| h.faults.clear());
    let mut run = Run {
        rng: Rng(seed | 1),
        failures: Vec::new(),
        cases: 0,
        log: LogTail::new(log),
        gpu_expected: 0,
        unchecked_lines: Vec::new(),
        worst: [0.0; 5],
    };
    let start = counters();

    // Workspace queries (the CPU LAPACK's answer): WORK(1) reference's, A
    // and TAU untouched.
    let queries = [(0, 0), (0, 5), (5, 0), (1, 1), (17, 15), (64, 64), (200, 150), (150, 200), (3, 100)];
    for (c, &(m, n)) in queries.iter().enumerate() {
        run.cases += 1;
        let sh = Shape { m, n, ld: m.max(1) + c % 2 };
        let a0 = sh.array(&run.rng.values(m * n));
        let ours = geqrf(dgeqrf_, sh, &a0, -1);
        let reference = geqrf(bundled::dgeqrf, sh, &a0, -1);
        let what = format!("query m={m} n={n} lda={}", sh.ld);
        run.placed(Placed::Any, &what, "a workspace query");
        let untouched = (same_bits(&ours.a, &a0), same_bits(&ours.tau, &tau_array(sh)));
        if ours.info != 0 || ours.work1.to_bits() != reference.work1.to_bits() || untouched != (true, true) {
            run.failures.push(format!(
                "{what}: INFO {} (reference {}), WORK(1) {} (reference {}), A and TAU untouched {untouched:?}",
                ours.info, reference.info, ours.work1, reference.work1
            ));
        }
    }

    // min(M, N) = 0: the quick return.
    for &(m, n, ld, lwork) in &[(0, 0, 1, 1), (0, 7, 1, 1), (0, 7, 3, 10), (6, 0, 6, 1), (6, 0, 8, 4)] {
        run.cases += 1;
        let sh = Shape { m, n, ld };
        let a0 = sh.array(&run.rng.values(m * n));
        let ours = geqrf(dgeqrf_, sh, &a0, lwork);
        let reference = geqrf(bundled::dgeqrf, sh, &a0, lwork);
        let what = format!("min(M, N) = 0: m={m} n={n} lda={ld} lwork={lwork}");
        run.placed(Placed::Any, &what, "min(M, N) = 0");
        let untouched = (same_bits(&ours.a, &a0), same_bits(&ours.tau, &tau_array(sh)));
        if ours.info != 0 || ours.work1 != 1.0 || reference.work1 != 1.0 || untouched != (true, true) {
            run.failures.push(format!(
                "{what}: INFO {}, WORK(1) {} (reference {}), A and TAU untouched {untouched:?}",
                ours.info, ours.work1, reference.work1
            ));
        }
    }

    // The sizes: LDA = M and > M, LWORK optimal and minimal, the kinds in
    // turn.
    let mut sizes = vec![
        (1usize, 1usize),
        (1, 5),
        (5, 1),
        (16, 16),
        (17, 15),
        (31, 33),
        (33, 31),
        (48, 20),
        (20, 48),
        (64, 64),
        (100, 37),
        (37, 100),
        (130, 130),
        (200, 150),
        (150, 200),
    ];
    let fixed = sizes.len();
    for _ in 0..3 {
        let (m, n) = (2 + run.rng.below(199), 2 + run.rng.below(199));
        sizes.push((m, n));
    }
    println!("sizes {sizes:?}");
    let mut turn = 0;
    for (c, &(m, n)) in sizes.iter().enumerate() {
        for padded in [false, true] {
            let ld = if padded { m + 1 + run.rng.below(5) } else { m };
            let mut lworks = vec![Lwork::Optimal, Lwork::Minimum];
            if c >= fixed {
                lworks.push(Lwork::Between(2 + run.rng.below(30)));
            }
            for lwork in lworks {
                run.case(Shape { m, n, ld }, KINDS[turn % KINDS.len()], lwork, &ON_GPU);
                turn += 1;
            }
        }
    }
    // Every kind on a size of several panels with both LWORKs (where the
    // reference runs its blocked code with the optimal one: min(M, N) >
    // 128).
    for (c, &kind) in KINDS.iter().enumerate().filter(|&(_, k)| *k != Kind::Random) {
        let (m, n) = if c % 2 == 1 { (170, 140) } else { (140, 170) };
        for lwork in [Lwork::Optimal, Lwork::Minimum] {
            run.case(Shape { m, n, ld: m + c % 3 }, kind, lwork, &ON_GPU);
        }
    }

    // A NaN: in the first panel, at a panel boundary, in the last one,
    // with reference's blocked code (min(M, N) > 128).
    for &(m, n, at, lwork) in &[
        (50usize, 40usize, (3usize, 2usize), Lwork::Optimal),
        (100, 100, (70, 16), Lwork::Minimum),
        (37, 100, (36, 90), Lwork::Optimal),
        (150, 140, (20, 20), Lwork::Optimal),
    ] {
        run.nan_case(Shape { m, n, ld: m + 1 }, at, lwork);
    }

    // Faults: the CPU computes the call from the caller's A: bitwise
    // reference's.
    let before_faults = counters();
    let mut faulted = 0u64;
    for inject in ["dgeqrf", "dgeqrf@1", "panic-dgeqrf", "panic-dgeqrf@1"] {
        config::set_hooks(|h| h.faults = config::parse_faults(inject));
        let label = format!("with {inject}");
        let e = Expect { placed: Placed::Fallback, exact: true, label: &label };
        run.case(Shape { m: 150, n: 150, ld: 150 }, Kind::Random, Lwork::Optimal, &e);
        run.case(Shape { m: 200, n: 130, ld: 203 }, Kind::Graded, Lwork::Minimum, &e);
        run.case(Shape { m: 40, n: 100, ld: 41 }, Kind::Random, Lwork::Between(7), &e);
        faulted += 3;
    }
    config::set_hooks(|h| h.faults.clear());
    let after_faults = counters();
    let (gpu, fell) = (after_faults.0 - before_faults.0, after_faults.1 - before_faults.1);
    if gpu != 0 || fell != faulted {
        run.failures.push(format!("under faults: {gpu} GPU calls and {fell} fallbacks counted, 0 and {faulted} expected"));
    }
    // The GPU runs again after the panics.
    let again = Expect { label: "after the faults", ..ON_GPU };
    run.case(Shape { m: 97, n: 60, ld: 98 }, Kind::Random, Lwork::Optimal, &again);
    run.case(Shape { m: 60, n: 97, ld: 60 }, Kind::Random, Lwork::Minimum, &again);

    // The counters: at least the calls the log shows on the GPU.
    let end = counters();
    if end.0 - start.0 < run.gpu_expected {
        run.failures.push(format!("{} GPU calls counted, at least {} expected", end.0 - start.0, run.gpu_expected));
    }

    let _ = std::fs::remove_file(&run.log.path);
    println!("{} cases; how the calls whose placement is not checked were logged (first of each):", run.cases);
    for line in &run.unchecked_lines {
        println!("  {line}");
    }
    let [r1, r2, dr, dv, dt] = run.worst;
    println!(
        "worst: DQRT01 {r1:.3}, {r2:.3}; R, reflector, TAU differences / tolerance {dr:.1e}, {dv:.1e}, {dt:.1e}"
    );
    assert!(
        run.failures.is_empty(),
        "seed {seed}: {} of {} cases failed:\n{}",
        run.failures.len(),
        run.cases,
        run.failures.join("\n")
    );
}
