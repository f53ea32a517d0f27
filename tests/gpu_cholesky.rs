//! The Cholesky family (dpotrf_, dpotrs_, dposv_) with LAPACK_AI_MODE=gpu
//! on the OpenCL device named by LAPACK_AI_TEST_OPENCL (PoCL in CI),
//! against the bundled reference LAPACK, which is also the CPU LAPACK here
//! (LAPACK_AI_CPU_LIB=bundled), so that whatever runs on the CPU must be
//! reference's result bit for bit:
//! - DPOTRF with UPLO 'U', 'L', 'u', 'l', sizes around the PoCL panels (48
//!   columns) and diagonal leaves (16): 1, 2, 15, 16, 17, 47, 48, 49, 97,
//!   150, 200 and a few random ones, LDA = N and LDA > N, on random SPD
//!   matrices (B Bᵀ + I), ill-conditioned ones (eigenvalues graded over
//!   1e-10..1, turned by Householder reflections) and graded ones (D M D,
//!   D over 1e-6..1e6 in random order): LAPACK's DPOT01 ratio
//!   ||A - L Lᵀ||_1 / (n ||A||_1 eps) below 30 (eps = DLAMCH('E') = 2^-53),
//!   and the factor close to reference's (relative difference per column
//!   of L, by kind of matrix; not bitwise);
//! - the triangle the routine must not reference (a NaN with a payload)
//!   and the padding rows beyond N (another) come back bit for bit;
//! - matrices that are not positive definite (a negative diagonal entry
//!   in the first panel, at a leaf or panel boundary, in a later panel, in
//!   the last row; an exactly zero pivot; an indefinite L D Lᵀ whose
//!   diagonal is positive; NaN on the diagonal or in the triangle; a
//!   random indefinite matrix): the GPU path gives up and the CPU LAPACK
//!   factors the caller's A, so INFO and the whole array are
//!   bundled::dpotrf's bit for bit (and INFO the pivot expected);
//! - DPOTRS on reference's factor with NRHS 0, 1, 3, 70: DPOT02's ratio
//!   ||B - A X||_1 / (||A||_1 ||X||_1 n eps) below 30 per column, X close
//!   to bundled::dpotrs's, A untouched, B's padding untouched (DPOTRS's
//!   GPU path: the factor up, its leaves' inverses, two substitutions);
//!   and a factor with a zero on its diagonal, which the GPU path declines:
//!   X bit for bit bundled::dpotrs's (its infinities and NaNs); and an
//!   infinity in B (a result that is not finite is left to the CPU): X bit
//!   for bit reference's;
//! - DPOSV (the factorization and the solve both on the device): the same
//!   residuals, factor and X against bundled::dposv's;
//!   NRHS = 0 (A still factored, B untouched); not positive definite: INFO
//!   > 0 and A and B bit for bit as reference leaves them (B untouched);
//! - N = 0: INFO 0, nothing touched;
//! - the CPU fallback: LAPACK_AI_FAULT_INJECT dpotrf (the GPU path fails
//!   before it starts), dpotrf@1 (after the first panel), panic-dpotrf (a
//!   panic at the start), panic-dpotrf@1 (a panic after the first panel,
//!   the device held), on DPOTRF and DPOSV: results right (bitwise
//!   reference's where the fault comes before the first panel), each call
//!   logged "fell back to cpu[" and counted as a fallback; and then the
//!   GPU runs again;
//! - the log: every call of dpotrf_ and dposv_ on a positive definite
//!   matrix (N > 0, no fault) is one line "-> gpu[" without a fallback.
//!
//! One #[test]: the configuration is read once per process, and the
//! counters are the process's.

// `!(x <= tolerance)` on purpose: a NaN must fail the check, which
// `x > tolerance` would let pass.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

mod common;
use common::{LogTail, Placed, Rng};
use lapack_ai::engine::cpu::bundled;
use lapack_ai::ops::chol::exports::{dposv_, dpotrf_, dpotrs_};
use lapack_ai::runtime::config;
use std::os::raw::{c_char, c_int};

/// LAPACK's DLAMCH('E'): the unit roundoff, as its test ratios use it.
const EPS: f64 = f64::EPSILON / 2.0;

/// LAPACK's threshold for its test ratios.
const THRESHOLD: f64 = 30.0;

/// The triangle the routine must not reference: a quiet NaN with a payload.
const OTHER: u64 = 0x7ff8_0bad_c0de_0001;
/// The padding rows beyond N (and columns beyond NRHS): another one.
const PAD: u64 = 0x7ff8_0bad_c0de_0002;

type Potrf = unsafe extern "C" fn(*const c_char, *const c_int, *mut f64, *const c_int, *mut c_int, usize);
type Potrs = unsafe extern "C" fn(
    *const c_char,
    *const c_int,
    *const c_int,
    *const f64,
    *const c_int,
    *mut f64,
    *const c_int,
    *mut c_int,
    usize,
);
type Posv = unsafe extern "C" fn(
    *const c_char,
    *const c_int,
    *const c_int,
    *mut f64,
    *const c_int,
    *mut f64,
    *const c_int,
    *mut c_int,
    usize,
);

/// How a caller stores its matrix: UPLO, N, LDA.
#[derive(Clone, Copy, Debug)]
struct Shape {
    uplo: u8,
    n: usize,
    ld: usize,
}

impl Shape {
    fn upper(self) -> bool {
        self.uplo.eq_ignore_ascii_case(&b'U')
    }

    /// Whether element (i, j) of the LDA x N array is in the triangle the
    /// routine references.
    fn referenced(self, i: usize, j: usize) -> bool {
        i < self.n && j < self.n && if self.upper() { i <= j } else { i >= j }
    }

    /// The caller's array for the dense symmetric n x n `s` (leading
    /// dimension n): its UPLO triangle, NaN (OTHER) in the other one, NaN
    /// (PAD) in the rows beyond N.
    fn array(self, s: &[f64]) -> Vec<f64> {
        (0..self.ld * self.n.max(1))
            .map(|x| {
                let (i, j) = (x % self.ld, x / self.ld);
                if self.referenced(i, j) {
                    s[i + j * self.n]
                } else if i < self.n {
                    f64::from_bits(OTHER)
                } else {
                    f64::from_bits(PAD)
                }
            })
            .collect()
    }

    /// The dense symmetric matrix that the caller's array `a` holds.
    fn symmetric(self, a: &[f64]) -> Vec<f64> {
        let n = self.n;
        let mut s = vec![0.0; n * n];
        for j in 0..n {
            for i in 0..n {
                s[i + j * n] = if self.referenced(i, j) { a[i + j * self.ld] } else { a[j + i * self.ld] };
            }
        }
        s
    }

    /// The Cholesky factor L (A = L Lᵀ; UPLO = 'U': L = Uᵀ) in `f`, by
    /// rows: `rows[i * n + k]` = L(i, k), zero above the diagonal.
    fn factor_rows(self, f: &[f64]) -> Vec<f64> {
        let n = self.n;
        let mut rows = vec![0.0; n * n];
        for i in 0..n {
            for k in 0..=i {
                rows[i * n + k] = if self.upper() { f[k + i * self.ld] } else { f[i + k * self.ld] };
            }
        }
        rows
    }

    /// Whether `out` holds `inp`'s bits wherever the routine must not
    /// write (the other triangle, the padding).
    fn untouched(self, out: &[f64], inp: &[f64]) -> bool {
        out.iter().zip(inp).enumerate().all(|(x, (o, i))| self.referenced(x % self.ld, x / self.ld) || o.to_bits() == i.to_bits())
    }
}

/// Whether two arrays hold the same bits.
fn same_bits(x: &[f64], y: &[f64]) -> bool {
    x.len() == y.len() && x.iter().zip(y).all(|(a, b)| a.to_bits() == b.to_bits())
}

/// ||S||_1 of the dense n x n `s`.
fn norm1(s: &[f64], n: usize) -> f64 {
    (0..n).map(|j| s[j * n..(j + 1) * n].iter().map(|x| x.abs()).sum::<f64>()).fold(0.0, f64::max)
}

/// A NaN ratio counts as infinite (it must fail).
fn finite(r: f64) -> f64 {
    if r.is_nan() {
        f64::INFINITY
    } else {
        r
    }
}

/// DPOT01's ratio ||A - L Lᵀ||_1 / (n ||A||_1 eps) of the factor in `f`
/// for the matrix in the caller's array `a0`.
fn pot01(sh: Shape, a0: &[f64], f: &[f64]) -> f64 {
    let n = sh.n;
    let s = sh.symmetric(a0);
    let l = sh.factor_rows(f);
    let mut cols = vec![0.0f64; n];
    for j in 0..n {
        for i in j..n {
            let (li, lj) = (&l[i * n..i * n + j + 1], &l[j * n..j * n + j + 1]);
            let r = (li.iter().zip(lj).map(|(x, y)| x * y).sum::<f64>() - s[i + j * n]).abs();
            cols[j] += r;
            if i != j {
                cols[i] += r;
            }
        }
    }
    let rnorm = cols.iter().fold(0.0f64, |m, &x| if x.is_nan() { f64::INFINITY } else { m.max(x) });
    finite(rnorm / (n as f64 * norm1(&s, n) * EPS))
}

/// Largest relative difference between the columns of L in `ours` and
/// in `reference`: max |difference| / max |reference| per column.
fn factor_difference(sh: Shape, ours: &[f64], reference: &[f64]) -> f64 {
    let n = sh.n;
    let (lo, lr) = (sh.factor_rows(ours), sh.factor_rows(reference));
    let mut worst: f64 = 0.0;
    for k in 0..n {
        let (mut diff, mut scale) = (0.0f64, f64::MIN_POSITIVE);
        for i in k..n {
            let d = (lo[i * n + k] - lr[i * n + k]).abs();
            diff = diff.max(if d.is_nan() { f64::INFINITY } else { d });
            scale = scale.max(lr[i * n + k].abs());
        }
        worst = worst.max(diff / scale);
    }
    worst
}

/// Right-hand sides: n x nrhs at leading dimension ld, PAD elsewhere.
fn rhs(rng: &mut Rng, n: usize, nrhs: usize, ld: usize) -> Vec<f64> {
    (0..ld * nrhs.max(1)).map(|x| if x % ld < n && x / ld < nrhs { rng.value() } else { f64::from_bits(PAD) }).collect()
}

/// Whether B's padding (rows beyond n) kept its bits; with nrhs = 0 the
/// whole of B.
fn rhs_padding_kept(b: &[f64], b0: &[f64], n: usize, nrhs: usize, ld: usize) -> bool {
    b.iter().zip(b0).enumerate().all(|(x, (o, i))| (x % ld < n && x / ld < nrhs) || o.to_bits() == i.to_bits())
}

/// DPOT02's ratio, column by column: ||b - S x||_1 / (||S||_1 ||x||_1 n eps)
/// for the dense symmetric n x n `s`.
fn pot02(s: &[f64], n: usize, nrhs: usize, x: &[f64], b: &[f64], ld: usize) -> f64 {
    let anorm = norm1(s, n);
    let mut worst: f64 = 0.0;
    for c in 0..nrhs {
        let (xc, bc) = (&x[c * ld..c * ld + n], &b[c * ld..c * ld + n]);
        let r: f64 = (0..n).map(|i| (bc[i] - (0..n).map(|j| s[i + j * n] * xc[j]).sum::<f64>()).abs()).sum();
        let xnorm: f64 = xc.iter().map(|v| v.abs()).sum();
        worst = worst.max(finite(r / (anorm * xnorm * n as f64 * EPS)));
    }
    worst
}

/// Largest relative difference between the columns of X (n x nrhs at
/// leading dimension ld) and reference's.
fn solution_difference(x: &[f64], reference: &[f64], n: usize, nrhs: usize, ld: usize) -> f64 {
    let mut worst: f64 = 0.0;
    for c in 0..nrhs {
        let (mut diff, mut scale) = (0.0f64, f64::MIN_POSITIVE);
        for i in 0..n {
            let (o, r) = (x[i + c * ld], reference[i + c * ld]);
            let d = (o - r).abs();
            diff = diff.max(if d.is_nan() { f64::INFINITY } else { d });
            scale = scale.max(r.abs());
        }
        worst = worst.max(diff / scale);
    }
    worst
}

/// The matrix kinds (dense, symmetric, n x n).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// B Bᵀ + I, B random.
    Random,
    /// Q diag(λ) Qᵀ, λ graded over 1e-10..1, Q three Householder
    /// reflections: condition 1e10.
    Ill,
    /// D (B Bᵀ + I) D, D over 1e-6..1e6 in random order.
    Graded,
}

const KINDS: [Kind; 3] = [Kind::Random, Kind::Ill, Kind::Graded];

impl Kind {
    /// The largest relative difference per column allowed between our
    /// factor and reference's (both backward stable: the difference grows
    /// with the condition number).
    fn factor_tolerance(self) -> f64 {
        match self {
            Kind::Random | Kind::Graded => 1e-9,
            Kind::Ill => 1e-3,
        }
    }

    /// The same for the solutions X.
    fn solution_tolerance(self) -> f64 {
        match self {
            Kind::Random => 1e-9,
            Kind::Graded => 1e-7,
            Kind::Ill => 1e-3,
        }
    }
}

/// B Bᵀ + I for a random n x n B.
fn random_spd(rng: &mut Rng, n: usize) -> Vec<f64> {
    let b = rng.values(n * n);
    let mut s = vec![0.0; n * n];
    for j in 0..n {
        for i in j..n {
            let x: f64 = (0..n).map(|k| b[i + k * n] * b[j + k * n]).sum::<f64>() + if i == j { 1.0 } else { 0.0 };
            s[i + j * n] = x;
            s[j + i * n] = x;
        }
    }
    s
}

/// A symmetric positive definite matrix of the kind.
fn spd(rng: &mut Rng, kind: Kind, n: usize) -> Vec<f64> {
    match kind {
        Kind::Random => random_spd(rng, n),
        Kind::Graded => {
            let mut s = random_spd(rng, n);
            let mut d: Vec<f64> = (0..n).map(|i| 10f64.powf(6.0 - 12.0 * i as f64 / (n.max(2) - 1) as f64)).collect();
            for i in (1..n).rev() {
                d.swap(i, rng.below(i + 1));
            }
            for j in 0..n {
                for i in 0..n {
                    s[i + j * n] *= d[i] * d[j];
                }
            }
            s
        }
        Kind::Ill => {
            let mut s = vec![0.0; n * n];
            for i in 0..n {
                s[i + i * n] = 10f64.powf(-10.0 * i as f64 / (n.max(2) - 1) as f64);
            }
            for _ in 0..3 {
                // S := H S H, H = I - 2 v vᵀ / vᵀv.
                let v = rng.values(n);
                let vv: f64 = v.iter().map(|x| x * x).sum();
                let sv: Vec<f64> = (0..n).map(|i| (0..n).map(|j| s[i + j * n] * v[j]).sum()).collect();
                let vsv: f64 = v.iter().zip(&sv).map(|(a, b)| a * b).sum();
                for j in 0..n {
                    for i in 0..n {
                        s[i + j * n] += -2.0 / vv * (sv[i] * v[j] + v[i] * sv[j]) + 4.0 * vsv / (vv * vv) * v[i] * v[j];
                    }
                }
            }
            for j in 0..n {
                for i in 0..j {
                    let x = 0.5 * (s[i + j * n] + s[j + i * n]);
                    s[i + j * n] = x;
                    s[j + i * n] = x;
                }
            }
            s
        }
    }
}

/// What makes a matrix not positive definite (0-based positions).
#[derive(Clone, Copy, Debug)]
enum Flaw {
    /// A(k, k) < 0.
    NegativeDiagonal(usize),
    /// Row and column k zero: the pivot is exactly 0.
    ZeroPivot(usize),
    /// L D Lᵀ with D(k) = -1 and A(k, k) about 1: only the Schur
    /// complement shows it.
    Indefinite(usize),
    /// A(k, k) NaN.
    NanDiagonal(usize),
    /// A(i, j) = A(j, i) NaN, i > j: the pivot i becomes NaN.
    NanOffDiagonal(usize, usize),
    /// A random symmetric matrix with unit diagonal (INFO reference's).
    Random,
}

/// A dense symmetric n x n matrix with the flaw, and the INFO it must give.
fn flawed(rng: &mut Rng, n: usize, flaw: Flaw) -> (Vec<f64>, Option<i32>) {
    let mut s = random_spd(rng, n);
    match flaw {
        Flaw::NegativeDiagonal(k) => {
            s[k + k * n] = -s[k + k * n];
            (s, Some(k as i32 + 1))
        }
        Flaw::ZeroPivot(k) => {
            for i in 0..n {
                s[i + k * n] = 0.0;
                s[k + i * n] = 0.0;
            }
            (s, Some(k as i32 + 1))
        }
        Flaw::Indefinite(k) => {
            // L: I plus small entries (well conditioned), but row k, whose
            // entries make A(k, k) = 2 - 1 > 0.
            let mut l = vec![0.0; n * n];
            for i in 0..n {
                l[i + i * n] = 1.0;
                for j in 0..i {
                    l[i + j * n] = if i == k { (2.0 / k as f64).sqrt().copysign(rng.value()) } else { 0.5 / n as f64 * rng.value() };
                }
            }
            let d: Vec<f64> = (0..n).map(|j| if j == k { -1.0 } else { 1.0 }).collect();
            for j in 0..n {
                for i in j..n {
                    let x: f64 = (0..=j).map(|m| l[i + m * n] * d[m] * l[j + m * n]).sum();
                    s[i + j * n] = x;
                    s[j + i * n] = x;
                }
            }
            (s, Some(k as i32 + 1))
        }
        Flaw::NanDiagonal(k) => {
            s[k + k * n] = f64::NAN;
            (s, Some(k as i32 + 1))
        }
        Flaw::NanOffDiagonal(i, j) => {
            s[i + j * n] = f64::NAN;
            s[j + i * n] = f64::NAN;
            (s, Some(i as i32 + 1))
        }
        Flaw::Random => {
            for j in 0..n {
                for i in j..n {
                    let x = if i == j { 1.0 } else { rng.value() };
                    s[i + j * n] = x;
                    s[j + i * n] = x;
                }
            }
            (s, None)
        }
    }
}

fn potrf(f: Potrf, sh: Shape, a: &mut [f64]) -> i32 {
    assert!(a.len() >= sh.ld * sh.n.max(1));
    let mut info = -77;
    let u = sh.uplo as c_char;
    // SAFETY: A holds LDA x max(N, 1) elements; UPLO is one character
    // (hidden length 1).
    unsafe { f(&u, &(sh.n as c_int), a.as_mut_ptr(), &(sh.ld as c_int), &mut info, 1) };
    info
}

fn potrs(f: Potrs, sh: Shape, a: &[f64], nrhs: usize, b: &mut [f64], ldb: usize) -> i32 {
    assert!(a.len() >= sh.ld * sh.n.max(1) && b.len() >= ldb * nrhs.max(1));
    let mut info = -77;
    let u = sh.uplo as c_char;
    let (n, r, lda, ldb) = (sh.n as c_int, nrhs as c_int, sh.ld as c_int, ldb as c_int);
    // SAFETY: A holds LDA x max(N, 1) elements, B LDB x max(NRHS, 1);
    // hidden length 1.
    unsafe { f(&u, &n, &r, a.as_ptr(), &lda, b.as_mut_ptr(), &ldb, &mut info, 1) };
    info
}

fn posv(f: Posv, sh: Shape, a: &mut [f64], nrhs: usize, b: &mut [f64], ldb: usize) -> i32 {
    assert!(a.len() >= sh.ld * sh.n.max(1) && b.len() >= ldb * nrhs.max(1));
    let mut info = -77;
    let u = sh.uplo as c_char;
    let (n, r, lda, ldb) = (sh.n as c_int, nrhs as c_int, sh.ld as c_int, ldb as c_int);
    // SAFETY: as in `potrs`.
    unsafe { f(&u, &n, &r, a.as_mut_ptr(), &lda, b.as_mut_ptr(), &ldb, &mut info, 1) };
    info
}

/// How a positive definite case must run: where (the log), whether bit
/// for bit reference's (the CPU ran the whole call from the caller's
/// arrays), and its label in failures.
struct Expect<'a> {
    placed: Placed,
    exact: bool,
    label: &'a str,
}

/// An ordinary call: on the GPU, reference's up to rounding.
const ON_GPU: Expect<'static> = Expect { placed: Placed::Gpu, exact: false, label: "spd" };

/// The calls made and what went wrong.
struct Run {
    rng: Rng,
    failures: Vec<String>,
    cases: usize,
    log: LogTail,
    /// Per routine: calls that must have run on the GPU.
    gpu_expected: [u64; 2],
    /// How the first call of each routine whose placement is not checked
    /// was logged (printed: the GPU path's give-up on a matrix that is not
    /// positive definite, where DPOTRS ran).
    unchecked_lines: Vec<String>,
    /// The worst ratios seen: DPOT01, DPOT02, factor and X differences
    /// relative to their kind's tolerance.
    worst: [f64; 4],
}

impl Run {
    fn fail(&mut self, what: &str, problems: Vec<String>) {
        if !problems.is_empty() {
            self.failures.push(format!("{what}: {}", problems.join("; ")));
        }
    }

    /// Checks the log lines of `routine` written since the last look.
    fn placed(&mut self, routine: &str, expect: Placed, what: &str) {
        let lines = self.log.lines_of(routine);
        if expect == Placed::Any {
            let prefix = format!("lapack-ai: {routine} ");
            if let [line] = lines.as_slice() {
                if !self.unchecked_lines.iter().any(|l| l.starts_with(&prefix)) {
                    self.unchecked_lines.push(line.to_string());
                }
            }
        }
        if expect == Placed::Gpu {
            self.gpu_expected[usize::from(routine == "dposv_")] += 1;
        }
        if !expect.matches(&lines) {
            self.failures.push(format!("{what}: logged {lines:?}, expected one line {expect:?}"));
        }
    }

    fn note(&mut self, which: usize, value: f64) {
        self.worst[which] = self.worst[which].max(value);
    }

    /// DPOTRF on a positive definite matrix of the kind: ours against
    /// reference's.
    fn potrf_spd(&mut self, sh: Shape, kind: Kind, e: &Expect) {
        self.cases += 1;
        let s = spd(&mut self.rng, kind, sh.n);
        let a0 = sh.array(&s);
        let (mut a, mut reference) = (a0.clone(), a0.clone());
        let info = potrf(dpotrf_, sh, &mut a);
        let rinfo = potrf(bundled::dpotrf, sh, &mut reference);
        let what = format!("{} dpotrf {} n={} lda={} {kind:?}", e.label, sh.uplo as char, sh.n, sh.ld);
        self.placed("dpotrf_", e.placed, &what);
        let mut problems = Vec::new();
        if info != 0 || rinfo != 0 {
            problems.push(format!("INFO {info}, reference {rinfo}"));
        }
        if !sh.untouched(&a, &a0) {
            problems.push("wrote outside its triangle".into());
        }
        if info == 0 {
            let r = pot01(sh, &a0, &a);
            let d = factor_difference(sh, &a, &reference);
            self.note(0, r);
            self.note(2, d / kind.factor_tolerance());
            if !(r < THRESHOLD) {
                problems.push(format!("DPOT01 ratio {r:.2} (reference {:.2})", pot01(sh, &a0, &reference)));
            }
            if !(d < kind.factor_tolerance()) {
                problems.push(format!("factor differs from reference's by {d:.1e} (tolerance {:.0e})", kind.factor_tolerance()));
            }
        }
        if e.exact && !same_bits(&a, &reference) {
            problems.push("A not bitwise reference's (the CPU ran it from the caller's A)".into());
        }
        self.fail(&what, problems);
    }

    /// DPOTRF on a matrix that is not positive definite: INFO and A bit
    /// for bit reference's.
    fn potrf_flawed(&mut self, sh: Shape, flaw: Flaw) {
        self.cases += 1;
        let (s, expected) = flawed(&mut self.rng, sh.n, flaw);
        let a0 = sh.array(&s);
        let (mut a, mut reference) = (a0.clone(), a0.clone());
        let info = potrf(dpotrf_, sh, &mut a);
        let rinfo = potrf(bundled::dpotrf, sh, &mut reference);
        let what = format!("not positive definite: dpotrf {} n={} lda={} {flaw:?}", sh.uplo as char, sh.n, sh.ld);
        self.placed("dpotrf_", Placed::Any, &what);
        let mut problems = Vec::new();
        if info != rinfo || rinfo <= 0 || expected.is_some_and(|e| e != rinfo) {
            problems.push(format!("INFO {info}, reference {rinfo}, expected {expected:?}"));
        }
        if !same_bits(&a, &reference) {
            let first = a.iter().zip(&reference).position(|(x, y)| x.to_bits() != y.to_bits()).unwrap_or(0);
            problems.push(format!(
                "A not bitwise reference's (first at ({}, {}): {:e} vs {:e})",
                first % sh.ld,
                first / sh.ld,
                a[first],
                reference[first]
            ));
        }
        self.fail(&what, problems);
    }

    /// DPOTRS on reference's factor of a matrix of the kind.
    fn potrs_case(&mut self, sh: Shape, kind: Kind, nrhs: usize, ldb: usize) {
        self.cases += 1;
        let s = spd(&mut self.rng, kind, sh.n);
        let mut f = sh.array(&s);
        let finfo = potrf(bundled::dpotrf, sh, &mut f);
        let b0 = rhs(&mut self.rng, sh.n, nrhs, ldb);
        let (mut x, mut reference) = (b0.clone(), b0.clone());
        let f0 = f.clone();
        let info = potrs(dpotrs_, sh, &f, nrhs, &mut x, ldb);
        let rinfo = potrs(bundled::dpotrs, sh, &f, nrhs, &mut reference, ldb);
        let what = format!("dpotrs {} n={} nrhs={nrhs} lda={} ldb={ldb} {kind:?}", sh.uplo as char, sh.n, sh.ld);
        self.placed("dpotrs_", Placed::Any, &what);
        let mut problems = Vec::new();
        if info != 0 || rinfo != 0 || finfo != 0 {
            problems.push(format!("INFO {info}, reference {rinfo} (DPOTRF {finfo})"));
        }
        if !same_bits(&f, &f0) {
            problems.push("wrote to A".into());
        }
        if !rhs_padding_kept(&x, &b0, sh.n, nrhs, ldb) {
            problems.push("wrote outside B".into());
        }
        let r = pot02(&s, sh.n, nrhs, &x, &b0, ldb);
        let d = solution_difference(&x, &reference, sh.n, nrhs, ldb);
        self.note(1, r);
        self.note(3, d / kind.solution_tolerance());
        if !(r < THRESHOLD) {
            problems.push(format!("DPOT02 ratio {r:.2} (reference {:.2})", pot02(&s, sh.n, nrhs, &reference, &b0, ldb)));
        }
        if !(d < kind.solution_tolerance()) {
            problems.push(format!("X differs from reference's by {d:.1e} (tolerance {:.0e})", kind.solution_tolerance()));
        }
        self.fail(&what, problems);
    }

    /// DPOSV on a positive definite matrix of the kind.
    fn posv_spd(&mut self, sh: Shape, kind: Kind, nrhs: usize, ldb: usize, e: &Expect) {
        self.cases += 1;
        let s = spd(&mut self.rng, kind, sh.n);
        let a0 = sh.array(&s);
        let b0 = rhs(&mut self.rng, sh.n, nrhs, ldb);
        let (mut a, mut ra, mut b, mut rb) = (a0.clone(), a0.clone(), b0.clone(), b0.clone());
        let info = posv(dposv_, sh, &mut a, nrhs, &mut b, ldb);
        let rinfo = posv(bundled::dposv, sh, &mut ra, nrhs, &mut rb, ldb);
        let what = format!("{} dposv {} n={} nrhs={nrhs} lda={} ldb={ldb} {kind:?}", e.label, sh.uplo as char, sh.n, sh.ld);
        self.placed("dposv_", e.placed, &what);
        let mut problems = Vec::new();
        if info != 0 || rinfo != 0 {
            problems.push(format!("INFO {info}, reference {rinfo}"));
        }
        if !sh.untouched(&a, &a0) {
            problems.push("wrote outside A's triangle".into());
        }
        if !rhs_padding_kept(&b, &b0, sh.n, nrhs, ldb) {
            problems.push("wrote outside B".into());
        }
        if info == 0 {
            let r = pot01(sh, &a0, &a);
            let d = factor_difference(sh, &a, &ra);
            let rx = pot02(&s, sh.n, nrhs, &b, &b0, ldb);
            let dx = solution_difference(&b, &rb, sh.n, nrhs, ldb);
            self.note(0, r);
            self.note(1, rx);
            self.note(2, d / kind.factor_tolerance());
            self.note(3, dx / kind.solution_tolerance());
            if !(r < THRESHOLD) {
                problems.push(format!("DPOT01 ratio {r:.2}"));
            }
            if !(rx < THRESHOLD) {
                problems.push(format!("DPOT02 ratio {rx:.2} (reference {:.2})", pot02(&s, sh.n, nrhs, &rb, &b0, ldb)));
            }
            if !(d < kind.factor_tolerance()) {
                problems.push(format!("factor differs from reference's by {d:.1e}"));
            }
            if !(dx < kind.solution_tolerance()) {
                problems.push(format!("X differs from reference's by {dx:.1e}"));
            }
        }
        if e.exact && !(same_bits(&a, &ra) && same_bits(&b, &rb)) {
            problems.push("A or X not bitwise reference's (the CPU ran it from the caller's arrays)".into());
        }
        self.fail(&what, problems);
    }

    /// DPOSV on a matrix that is not positive definite: INFO, A as
    /// reference leaves them, B untouched.
    fn posv_flawed(&mut self, sh: Shape, flaw: Flaw, nrhs: usize, ldb: usize) {
        self.cases += 1;
        let (s, expected) = flawed(&mut self.rng, sh.n, flaw);
        let a0 = sh.array(&s);
        let b0 = rhs(&mut self.rng, sh.n, nrhs, ldb);
        let (mut a, mut ra, mut b, mut rb) = (a0.clone(), a0.clone(), b0.clone(), b0.clone());
        let info = posv(dposv_, sh, &mut a, nrhs, &mut b, ldb);
        let rinfo = posv(bundled::dposv, sh, &mut ra, nrhs, &mut rb, ldb);
        let what = format!("not positive definite: dposv {} n={} nrhs={nrhs} {flaw:?}", sh.uplo as char, sh.n);
        self.placed("dposv_", Placed::Any, &what);
        let mut problems = Vec::new();
        if info != rinfo || rinfo <= 0 || expected.is_some_and(|e| e != rinfo) {
            problems.push(format!("INFO {info}, reference {rinfo}, expected {expected:?}"));
        }
        if !same_bits(&a, &ra) {
            problems.push("A not bitwise reference's".into());
        }
        if !same_bits(&b, &b0) || !same_bits(&rb, &b0) {
            problems.push(format!("B touched (ours {}, reference {})", !same_bits(&b, &b0), !same_bits(&rb, &b0)));
        }
        self.fail(&what, problems);
    }
}

/// The counters of dpotrf_ and dposv_: (GPU calls, fallbacks) each.
fn counters() -> [(u64, u64); 2] {
    ["dpotrf_", "dposv_"].map(common::counters)
}

#[test]
fn gpu_cholesky_matches_the_reference() {
    let Some((log, seed)) = common::gpu_test("gpu-cholesky", "GPU Cholesky", 0xc401_2026_0001) else {
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
        gpu_expected: [0; 2],
        unchecked_lines: Vec::new(),
        worst: [0.0; 4],
    };
    let start = counters();

    // DPOTRF on positive definite matrices: every UPLO, LDA = N and > N,
    // the kinds in turn.
    let mut sizes = vec![1usize, 2, 15, 16, 17, 47, 48, 49, 97, 150, 200];
    for _ in 0..3 {
        let n = 3 + run.rng.below(198);
        sizes.push(n);
    }
    println!("sizes {sizes:?}");
    let mut turn = 0;
    for &n in &sizes {
        for &uplo in b"ULul" {
            for padded in [false, true] {
                let ld = if padded { n + 1 + run.rng.below(5) } else { n };
                let kind = KINDS[turn % 3];
                turn += 1;
                run.potrf_spd(Shape { uplo, n, ld }, kind, &ON_GPU);
            }
        }
    }

    // Not positive definite: INFO and A as reference leaves them.
    let flaws: [(usize, Flaw); 18] = [
        (1, Flaw::NegativeDiagonal(0)),
        (2, Flaw::ZeroPivot(1)),
        (40, Flaw::NegativeDiagonal(0)),
        (100, Flaw::NegativeDiagonal(5)),
        (100, Flaw::NegativeDiagonal(16)),
        (100, Flaw::ZeroPivot(47)),
        (100, Flaw::NegativeDiagonal(48)),
        (150, Flaw::NegativeDiagonal(110)),
        (150, Flaw::NegativeDiagonal(149)),
        (200, Flaw::NegativeDiagonal(199)),
        (120, Flaw::Indefinite(70)),
        (49, Flaw::Indefinite(48)),
        (97, Flaw::Indefinite(20)),
        (80, Flaw::NanDiagonal(50)),
        (80, Flaw::NanOffDiagonal(70, 20)),
        (150, Flaw::NanOffDiagonal(149, 3)),
        (60, Flaw::Random),
        (200, Flaw::Random),
    ];
    for (c, &(n, flaw)) in flaws.iter().enumerate() {
        for uplo in [b'L', b'U'] {
            let uplo = if c % 2 == 1 { uplo.to_ascii_lowercase() } else { uplo };
            run.potrf_flawed(Shape { uplo, n, ld: n + c % 3 }, flaw);
        }
    }

    // DPOTRS on reference's factors.
    let solves: [(usize, usize, Kind); 11] = [
        (1, 1, Kind::Random),
        (1, 0, Kind::Random),
        (17, 3, Kind::Graded),
        (48, 1, Kind::Random),
        (49, 70, Kind::Ill),
        (97, 3, Kind::Random),
        (150, 70, Kind::Graded),
        (200, 1, Kind::Ill),
        (130, 3, Kind::Ill),
        (64, 0, Kind::Random),
        (33, 70, Kind::Graded),
    ];
    for (c, &(n, nrhs, kind)) in solves.iter().enumerate() {
        let uplo = b"ULul"[c % 4];
        run.potrs_case(Shape { uplo, n, ld: n + c % 3 }, kind, nrhs, n + (c + 1) % 3);
    }

    // DPOTRS with a factor that has a zero on its diagonal (a caller's
    // mistake): the GPU path declines it, and the CPU LAPACK divides by the
    // zero as reference does, bit for bit.
    for (c, &(n, at)) in [(5usize, 2usize), (70, 69), (100, 17)].iter().enumerate() {
        run.cases += 1;
        let uplo = b"LuU"[c];
        let sh = Shape { uplo, n, ld: n };
        let s = spd(&mut run.rng, Kind::Random, n);
        let mut f = sh.array(&s);
        let finfo = potrf(bundled::dpotrf, sh, &mut f);
        f[at + at * n] = 0.0;
        let b0 = rhs(&mut run.rng, n, 2, n);
        let (mut x, mut reference) = (b0.clone(), b0.clone());
        let info = potrs(dpotrs_, sh, &f, 2, &mut x, n);
        let rinfo = potrs(bundled::dpotrs, sh, &f, 2, &mut reference, n);
        let what = format!("dpotrs {} n={n} with a zero at {at} on the factor's diagonal", uplo as char);
        run.placed("dpotrs_", Placed::Any, &what);
        if finfo != 0 || info != rinfo || !same_bits(&x, &reference) {
            run.failures.push(format!("{what}: INFO {info} (reference {rinfo}), X bitwise reference's: {}", same_bits(&x, &reference)));
        }
    }

    // DPOTRS with an infinity in B: reference's DTRSM skips B's zeros, where
    // a multiplication by a leaf's inverse would make 0 x inf a NaN; the GPU
    // path leaves a result that is not finite to the CPU: bitwise reference's.
    for (c, &(n, at)) in [(2usize, 1usize), (40, 33)].iter().enumerate() {
        run.cases += 1;
        let uplo = b"LU"[c];
        let sh = Shape { uplo, n, ld: n };
        let s = spd(&mut run.rng, Kind::Random, n);
        let mut f = sh.array(&s);
        let finfo = potrf(bundled::dpotrf, sh, &mut f);
        let mut b0 = vec![0.0; n * 2];
        b0[at] = f64::INFINITY;
        b0[n + at / 2] = 1.0;
        let (mut x, mut reference) = (b0.clone(), b0.clone());
        let info = potrs(dpotrs_, sh, &f, 2, &mut x, n);
        let rinfo = potrs(bundled::dpotrs, sh, &f, 2, &mut reference, n);
        let what = format!("dpotrs {} n={n} with an infinity in B at row {at}", uplo as char);
        run.placed("dpotrs_", Placed::Any, &what);
        if finfo != 0 || info != rinfo || !same_bits(&x, &reference) {
            run.failures.push(format!("{what}: INFO {info} (reference {rinfo}), X bitwise reference's: {}", same_bits(&x, &reference)));
        }
    }

    // DPOSV: positive definite (NRHS = 0 too), then not.
    let systems: [(usize, usize, Kind); 10] = [
        (1, 1, Kind::Random),
        (16, 3, Kind::Ill),
        (49, 1, Kind::Graded),
        (97, 70, Kind::Random),
        (150, 3, Kind::Ill),
        (200, 5, Kind::Graded),
        (100, 0, Kind::Random),
        (48, 0, Kind::Graded),
        (33, 7, Kind::Random),
        (17, 1, Kind::Ill),
    ];
    for (c, &(n, nrhs, kind)) in systems.iter().enumerate() {
        let uplo = b"LUlu"[c % 4];
        run.posv_spd(Shape { uplo, n, ld: n + c % 3 }, kind, nrhs, n + (c + 2) % 3, &ON_GPU);
    }
    let bad_systems: [(usize, Flaw, usize); 5] = [
        (100, Flaw::NegativeDiagonal(60), 3),
        (50, Flaw::Indefinite(49), 1),
        (30, Flaw::NegativeDiagonal(0), 0),
        (150, Flaw::ZeroPivot(120), 2),
        (80, Flaw::NanOffDiagonal(70, 20), 4),
    ];
    for (c, &(n, flaw, nrhs)) in bad_systems.iter().enumerate() {
        for uplo in [b'U', b'l'] {
            run.posv_flawed(Shape { uplo, n, ld: n + c % 2 }, flaw, nrhs, n + 1);
        }
    }

    // N = 0: INFO 0, nothing touched.
    {
        run.cases += 1;
        let sh = Shape { uplo: b'L', n: 0, ld: 1 };
        let a0 = sh.array(&[]);
        let b0 = rhs(&mut run.rng, 0, 2, 1);
        let (mut a, mut b) = (a0.clone(), b0.clone());
        let infos = [
            potrf(dpotrf_, sh, &mut a),
            potrs(dpotrs_, Shape { uplo: b'u', ..sh }, &a0, 2, &mut b, 1),
            posv(dposv_, Shape { uplo: b'U', ..sh }, &mut a, 2, &mut b, 1),
        ];
        let untouched = same_bits(&a, &a0) && same_bits(&b, &b0);
        if infos != [0; 3] || !untouched {
            run.failures.push(format!("N = 0: INFO {infos:?} (DPOTRF, DPOTRS, DPOSV), arrays untouched {untouched}"));
        }
        run.placed("dpotrf_", Placed::Any, "N = 0");
    }

    // Faults: the CPU computes the call; bitwise reference's where the
    // fault comes before the GPU started (after a panel, the GPU path may
    // have written part of A: right, not necessarily bitwise).
    let before_faults = counters();
    let mut faulted = [0u64; 2];
    for inject in ["dpotrf", "dpotrf@1", "panic-dpotrf", "panic-dpotrf@1"] {
        config::set_hooks(|h| h.faults = config::parse_faults(inject));
        let label = format!("with {inject}");
        let e = Expect { placed: Placed::Fallback, exact: !inject.contains('@'), label: &label };
        run.potrf_spd(Shape { uplo: b'L', n: 150, ld: 150 }, Kind::Random, &e);
        run.potrf_spd(Shape { uplo: b'u', n: 200, ld: 203 }, Kind::Ill, &e);
        run.posv_spd(Shape { uplo: b'U', n: 150, ld: 151 }, Kind::Graded, 3, 152, &e);
        faulted[0] += 2;
        faulted[1] += 1;
    }
    config::set_hooks(|h| h.faults.clear());
    let after_faults = counters();
    for (r, name) in ["dpotrf_", "dposv_"].iter().enumerate() {
        let (gpu, fell) = (after_faults[r].0 - before_faults[r].0, after_faults[r].1 - before_faults[r].1);
        if gpu != 0 || fell != faulted[r] {
            run.failures.push(format!(
                "{name} under faults: {gpu} GPU calls and {fell} fallbacks counted, 0 and {} expected",
                faulted[r]
            ));
        }
    }
    // The GPU runs again after the panic.
    let again = Expect { label: "after the faults", ..ON_GPU };
    run.potrf_spd(Shape { uplo: b'L', n: 97, ld: 98 }, Kind::Random, &again);
    run.posv_spd(Shape { uplo: b'u', n: 60, ld: 60 }, Kind::Random, 2, 61, &again);

    // The counters: at least the calls the log shows on the GPU.
    let end = counters();
    for (r, name) in ["dpotrf_", "dposv_"].iter().enumerate() {
        let gpu = end[r].0 - start[r].0;
        if gpu < run.gpu_expected[r] {
            run.failures.push(format!("{name}: {gpu} GPU calls counted, at least {} expected", run.gpu_expected[r]));
        }
    }

    let _ = std::fs::remove_file(&run.log.path);
    println!("{} cases; how the calls whose placement is not checked were logged (first of each routine):", run.cases);
    for line in &run.unchecked_lines {
        println!("  {line}");
    }
    let [p01, p02, df, dx] = run.worst;
    println!("worst: DPOT01 {p01:.3}, DPOT02 {p02:.3}, factor difference / tolerance {df:.1e}, X difference / tolerance {dx:.1e}");
    assert!(
        run.failures.is_empty(),
        "seed {seed}: {} of {} cases failed:\n{}",
        run.failures.len(),
        run.cases,
        run.failures.join("\n")
    );
}
