//! The GPU paths of SGEMM, CGEMM and ZGEMM (sgemm_, cgemm_, zgemm_ and
//! their cblas_ forms with LAPACK_AI_MODE=gpu: real products of the
//! engine's DGEMM, src/ops/gemm/precisions.rs) against the bundled
//! reference routine of the same name, on the OpenCL device named by
//! LAPACK_AI_TEST_OPENCL (PoCL in CI): every TRANSA x TRANSB in N, T, C
//! (lowercase too), sizes 1, 7, 33, 130 mixed, leading dimensions larger
//! than the rows (their padding NaN in A and B, which must not be read,
//! and untouched in C), special alpha and beta (beta = 0 with NaN in C,
//! beta = 1, alpha = 0, k = 0, complex alpha and beta; a real beta, with
//! which C is written in place, and a non-real one, through a buffer). SGEMM and CGEMM on the GPU must be the product in
//! double rounded once: within an ulp of the exact result, closer than
//! the reference's single-precision arithmetic. The cblas_ forms in both
//! orders: row major is the Fortran call on the transposed problem (C^T =
//! op(B)^T op(A)^T). Small staging buffers (LAPACK_AI_TEST_STAGING) make
//! the products use many C tiles, a small device budget
//! (LAPACK_AI_TEST_DEVICE_DOUBLES) runs some out of core, a few larger
//! operands make the host copies take several threads, and
//! LAPACK_AI_FAULT_INJECT makes the engine fail before its first tile or
//! after it (in core and out of core), or panic there: every call must
//! still be right, and be counted as a fallback (with a real beta, C is
//! written in place and the CPU's routine finishes the tiles the device
//! did not write; with a complex one the CPU computes the call from C as
//! the caller passed it). The counters
//! must show every other call with something to compute on the GPU.
//!
//! One #[test]: the configuration is read once per process, and the
//! counters are the process's.

// `!(x <= bound)` on purpose: a NaN must fail the check.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

mod common;
use common::{Cx, Rng};
use lapack_ai::engine::cpu::bundled;
use lapack_ai::ops::gemm::exports::{cblas_cgemm, cblas_sgemm, cblas_zgemm, cgemm_, sgemm_, zgemm_};
use lapack_ai::routines::Routine;
use lapack_ai::runtime::config;
use std::collections::BTreeMap;
use std::ffi::c_void;
use std::os::raw::c_char;



/// SGEMM's, CGEMM's or ZGEMM's element type, and the routines: ours
/// (Fortran and CBLAS) and the bundled reference.
trait Elem: Copy {
    const COMPLEX: bool;
    /// Single precision (SGEMM, CGEMM), which the GPU computes in double.
    const SINGLE: bool;
    /// The precision's unit roundoff (f32::EPSILON for single).
    const EPS: f64;
    /// The smallest normal number of the precision.
    const TINY: f64;
    const FORTRAN: Routine;
    const CBLAS: Routine;
    /// The element nearest to re + i im (im dropped for a real type).
    fn make(re: f64, im: f64) -> Self;
    /// Its real and imaginary parts, in double.
    fn parts(self) -> (f64, f64);
    /// Its bits, to tell an element that was written from one that was not.
    fn bits(self) -> (u64, u64);

    /// Our Fortran routine (hidden lengths 1).
    ///
    /// # Safety
    /// Arrays valid for the arguments.
    #[allow(clippy::too_many_arguments)]
    unsafe fn ours(
        ta: u8, tb: u8, m: i32, n: i32, k: i32, alpha: &Self, a: *const Self, lda: i32, b: *const Self, ldb: i32,
        beta: &Self, c: *mut Self, ldc: i32,
    );
    /// The bundled reference routine (hidden lengths 1).
    ///
    /// # Safety
    /// As for [`Elem::ours`].
    #[allow(clippy::too_many_arguments)]
    unsafe fn reference(
        ta: u8, tb: u8, m: i32, n: i32, k: i32, alpha: &Self, a: *const Self, lda: i32, b: *const Self, ldb: i32,
        beta: &Self, c: *mut Self, ldc: i32,
    );
    /// Our cblas_ routine.
    ///
    /// # Safety
    /// As for [`Elem::ours`].
    #[allow(clippy::too_many_arguments)]
    unsafe fn cblas(
        layout: i32, ta: i32, tb: i32, m: i32, n: i32, k: i32, alpha: &Self, a: *const Self, lda: i32, b: *const Self,
        ldb: i32, beta: &Self, c: *mut Self, ldc: i32,
    );
}

fn ch(x: u8) -> c_char {
    x as c_char
}

impl Elem for f32 {
    const COMPLEX: bool = false;
    const SINGLE: bool = true;
    const EPS: f64 = f32::EPSILON as f64;
    const TINY: f64 = f32::MIN_POSITIVE as f64;
    const FORTRAN: Routine = Routine::Sgemm;
    const CBLAS: Routine = Routine::CblasSgemm;
    fn make(re: f64, _im: f64) -> f32 {
        re as f32
    }
    fn parts(self) -> (f64, f64) {
        (self as f64, 0.0)
    }
    fn bits(self) -> (u64, u64) {
        (self.to_bits() as u64, 0)
    }
    unsafe fn ours(
        ta: u8, tb: u8, m: i32, n: i32, k: i32, alpha: &f32, a: *const f32, lda: i32, b: *const f32, ldb: i32,
        beta: &f32, c: *mut f32, ldc: i32,
    ) {
        // SAFETY: the caller's guarantee.
        unsafe { sgemm_(&ch(ta), &ch(tb), &m, &n, &k, alpha, a, &lda, b, &ldb, beta, c, &ldc, 1, 1) }
    }
    unsafe fn reference(
        ta: u8, tb: u8, m: i32, n: i32, k: i32, alpha: &f32, a: *const f32, lda: i32, b: *const f32, ldb: i32,
        beta: &f32, c: *mut f32, ldc: i32,
    ) {
        // SAFETY: the caller's guarantee.
        unsafe { bundled::sgemm(&ch(ta), &ch(tb), &m, &n, &k, alpha, a, &lda, b, &ldb, beta, c, &ldc, 1, 1) }
    }
    unsafe fn cblas(
        layout: i32, ta: i32, tb: i32, m: i32, n: i32, k: i32, alpha: &f32, a: *const f32, lda: i32, b: *const f32,
        ldb: i32, beta: &f32, c: *mut f32, ldc: i32,
    ) {
        // SAFETY: the caller's guarantee.
        unsafe { cblas_sgemm(layout, ta, tb, m, n, k, *alpha, a, lda, b, ldb, *beta, c, ldc) }
    }
}

/// CGEMM's and ZGEMM's elements: COMPLEX scalars and arrays by address.
macro_rules! complex_elem {
    ($r:ty, $fortran:ident, $reference:ident, $cblas:ident, $routine:ident, $cblas_routine:ident, $single:literal) => {
        impl Elem for Cx<$r> {
            const COMPLEX: bool = true;
            const SINGLE: bool = $single;
            const EPS: f64 = <$r>::EPSILON as f64;
            const TINY: f64 = <$r>::MIN_POSITIVE as f64;
            const FORTRAN: Routine = Routine::$routine;
            const CBLAS: Routine = Routine::$cblas_routine;
            fn make(re: f64, im: f64) -> Self {
                Cx { re: re as $r, im: im as $r }
            }
            fn parts(self) -> (f64, f64) {
                (self.re as f64, self.im as f64)
            }
            fn bits(self) -> (u64, u64) {
                (self.re.to_bits() as u64, self.im.to_bits() as u64)
            }
            unsafe fn ours(
                ta: u8, tb: u8, m: i32, n: i32, k: i32, alpha: &Self, a: *const Self, lda: i32, b: *const Self,
                ldb: i32, beta: &Self, c: *mut Self, ldc: i32,
            ) {
                let v = |p: *const Self| p as *const c_void;
                // SAFETY: the caller's guarantee; Cx is (re, im), repr(C).
                unsafe {
                    $fortran(&ch(ta), &ch(tb), &m, &n, &k, v(alpha), v(a), &lda, v(b), &ldb, v(beta), c as *mut c_void,
                        &ldc, 1, 1)
                }
            }
            unsafe fn reference(
                ta: u8, tb: u8, m: i32, n: i32, k: i32, alpha: &Self, a: *const Self, lda: i32, b: *const Self,
                ldb: i32, beta: &Self, c: *mut Self, ldc: i32,
            ) {
                let v = |p: *const Self| p as *const c_void;
                // SAFETY: as above.
                unsafe {
                    bundled::$reference(&ch(ta), &ch(tb), &m, &n, &k, v(alpha), v(a), &lda, v(b), &ldb, v(beta),
                        c as *mut c_void, &ldc, 1, 1)
                }
            }
            unsafe fn cblas(
                layout: i32, ta: i32, tb: i32, m: i32, n: i32, k: i32, alpha: &Self, a: *const Self, lda: i32,
                b: *const Self, ldb: i32, beta: &Self, c: *mut Self, ldc: i32,
            ) {
                let v = |p: *const Self| p as *const c_void;
                // SAFETY: as above.
                unsafe { $cblas(layout, ta, tb, m, n, k, v(alpha), v(a), lda, v(b), ldb, v(beta), c as *mut c_void, ldc) }
            }
        }
    };
}
complex_elem!(f32, cgemm_, cgemm, cblas_cgemm, Cgemm, CblasCgemm, true);
complex_elem!(f64, zgemm_, zgemm, cblas_zgemm, Zgemm, CblasZgemm, false);

/// One call, in Fortran (column-major) terms: C (m x n) := alpha op(A)
/// op(B) + beta C, every leading dimension `pad` more than its minimum.
#[derive(Clone, Copy, Debug)]
struct Case {
    ta: char,
    tb: char,
    m: usize,
    n: usize,
    k: usize,
    alpha: (f64, f64),
    beta: (f64, f64),
    pad: usize,
}

impl Case {
    /// Whether the call goes to the GPU path (alpha != 0, k > 0, and
    /// something to compute).
    fn on_gpu<T: Elem>(&self) -> bool {
        let alpha = T::make(self.alpha.0, self.alpha.1).parts();
        self.m > 0 && self.n > 0 && self.k > 0 && alpha != (0.0, 0.0)
    }
}

/// How ours is called: the Fortran routine, or the cblas_ one in either
/// order (row major: the transposed problem, A and B trading places).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    Fortran,
    ColMajor,
    RowMajor,
}

fn cblas_trans(t: u8) -> i32 {
    match t.to_ascii_uppercase() {
        b'N' => 111,
        b'T' => 112,
        _ => 113,
    }
}

fn cmul(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
}

fn cabs(a: (f64, f64)) -> f64 {
    a.0.hypot(a.1)
}

/// Runs `case` through ours (called as `form` says) and the reference
/// Fortran routine on the same inputs; returns what is wrong, if anything.
/// `rounded_once`: ours must also be the exact product rounded once to
/// the precision (SGEMM and CGEMM on the GPU, computed in double).
fn check<T: Elem>(rng: &mut Rng, case: &Case, form: Form, rounded_once: bool) -> Option<String> {
    let Case { m, n, k, pad, .. } = *case;
    let (ta, tb) = (case.ta as u8, case.tb as u8);
    let (alpha, beta) = (T::make(case.alpha.0, case.alpha.1), T::make(case.beta.0, case.beta.1));
    let (al, be) = (alpha.parts(), beta.parts());
    let beta_zero = be == (0.0, 0.0);
    let transposed = |t: u8| !t.eq_ignore_ascii_case(&b'N');
    let (ar, ac) = if transposed(ta) { (k, m) } else { (m, k) };
    let (br, bc) = if transposed(tb) { (n, k) } else { (k, n) };
    let (lda, ldb, ldc) = (ar.max(1) + pad, br.max(1) + pad, m.max(1) + pad);
    // A and B: NaN in the rows that the leading dimension adds (never to
    // be read).
    let mut operand = |rows: usize, cols: usize, ld: usize| -> Vec<T> {
        (0..ld * cols.max(1))
            .map(|x| if x % ld < rows { T::make(rng.value(), rng.value()) } else { T::make(f64::NAN, f64::NAN) })
            .collect()
    };
    let a = operand(ar, ac, lda);
    let b = operand(br, bc, ldb);
    let mut c0: Vec<T> = (0..ldc * n.max(1)).map(|_| T::make(rng.value(), rng.value())).collect();
    if beta_zero {
        // C must not be read when beta = 0.
        for j in 0..n {
            for i in 0..m {
                c0[i + j * ldc] = T::make(f64::NAN, f64::NAN);
            }
        }
    }
    let mut ours = c0.clone();
    let mut reference = c0.clone();
    let (mi, ni, ki, la, lb, lc) = (m as i32, n as i32, k as i32, lda as i32, ldb as i32, ldc as i32);
    // SAFETY: every array is sized for these arguments (leading dimension
    // times columns, at least one column).
    unsafe {
        let (pa, pb, pc) = (a.as_ptr(), b.as_ptr(), ours.as_mut_ptr());
        match form {
            Form::Fortran => T::ours(ta, tb, mi, ni, ki, &alpha, pa, la, pb, lb, &beta, pc, lc),
            Form::ColMajor => {
                T::cblas(102, cblas_trans(ta), cblas_trans(tb), mi, ni, ki, &alpha, pa, la, pb, lb, &beta, pc, lc)
            }
            // The row-major C (n x m) is this C transposed: op(B) op(A) of
            // the row-major A (this B) and B (this A).
            Form::RowMajor => {
                T::cblas(101, cblas_trans(tb), cblas_trans(ta), ni, mi, ki, &alpha, pb, lb, pa, la, &beta, pc, lc)
            }
        }
        T::reference(ta, tb, mi, ni, ki, &alpha, a.as_ptr(), la, b.as_ptr(), lb, &beta, reference.as_mut_ptr(), lc);
    }
    let op = |x: &[T], ld: usize, t: u8, r: usize, s: usize| -> (f64, f64) {
        match t.to_ascii_uppercase() {
            b'N' => x[r + s * ld].parts(),
            b'T' => x[s + r * ld].parts(),
            _ => {
                let (re, im) = x[s + r * ld].parts();
                (re, -im)
            }
        }
    };
    // A few units of the precision per term of the sums, relative to the
    // magnitudes that go into each element.
    let units = if T::COMPLEX { 8.0 } else { 4.0 };
    let (mut worst, mut worst_rounding, mut outside) = (0.0f64, 0.0f64, 0usize);
    let mut first_bad = None;
    for j in 0..n.max(1) {
        for i in 0..ldc {
            let idx = i + j * ldc;
            if i >= m || j >= n {
                outside += (ours[idx].bits() != c0[idx].bits()) as usize;
                continue;
            }
            let (mut sum, mut scale) = ((0.0, 0.0), 0.0);
            for l in 0..k {
                let (x, y) = (op(&a, lda, ta, i, l), op(&b, ldb, tb, l, j));
                let p = cmul(x, y);
                (sum.0, sum.1) = (sum.0 + p.0, sum.1 + p.1);
                scale += cabs(x) * cabs(y);
            }
            let ab = cmul(al, sum);
            let (exact, cterm) = if beta_zero {
                (ab, 0.0)
            } else {
                let bc = cmul(be, c0[idx].parts());
                ((ab.0 + bc.0, ab.1 + bc.1), cabs(be) * cabs(c0[idx].parts()))
            };
            let scale = cabs(al) * scale + cterm;
            let (o, r) = (ours[idx].parts(), reference[idx].parts());
            let err = cabs((o.0 - r.0, o.1 - r.1));
            let bound = units * (k as f64 + 2.0) * T::EPS * scale + T::TINY;
            let ratio = if err.is_nan() || !o.0.is_finite() || !o.1.is_finite() { f64::INFINITY } else { err / bound };
            if ratio > 1.0 && first_bad.is_none() {
                first_bad = Some(format!("({i}, {j}): ours {o:?}, reference {r:?}"));
            }
            worst = worst.max(ratio);
            if rounded_once {
                // The product in double (its error a few units of double
                // per term), then one rounding to the precision: half an
                // ulp of each part (here a whole one).
                let slack = 8.0 * (k as f64 + 2.0) * f64::EPSILON * scale + T::TINY;
                for (x, e) in [(o.0, exact.0), (o.1, exact.1)] {
                    let d = (x - e).abs();
                    let r = d / (T::EPS * e.abs() + slack);
                    worst_rounding = worst_rounding.max(if r.is_nan() { f64::INFINITY } else { r });
                }
            }
        }
    }
    let mut problems = Vec::new();
    if !(worst <= 1.0) {
        problems.push(format!("error/bound {worst:.2} against the reference, first at {}", first_bad.unwrap_or_default()));
    }
    if !(worst_rounding <= 1.0) {
        problems.push(format!("not the product rounded once: error/(1 ulp) {worst_rounding:.2}"));
    }
    if outside > 0 {
        problems.push(format!("{outside} elements of C outside its m x n changed"));
    }
    (!problems.is_empty()).then(|| {
        // In Fortran terms (row major: the transposed problem).
        let what = format!("{}{} m={m} n={n} k={k} alpha={al:?} beta={be:?} pad={pad}", case.ta, case.tb);
        let routine = if form == Form::Fortran { T::FORTRAN } else { T::CBLAS };
        format!("{} {form:?} {what}: {}", routine.symbol(), problems.join("; "))
    })
}

/// The calls made, and what each routine's counters must show.
struct Run {
    rng: Rng,
    failures: Vec<String>,
    cases: usize,
    /// Per routine symbol: calls that must run on the GPU, calls that
    /// must fall back from it.
    expected: BTreeMap<&'static str, (u64, u64)>,
}

impl Run {
    /// One case; `faulted`: a fault is injected, so a GPU call falls back.
    fn case<T: Elem>(&mut self, case: Case, form: Form, faulted: bool, label: &str) {
        let routine = if form == Form::Fortran { T::FORTRAN } else { T::CBLAS };
        let gpu = case.on_gpu::<T>();
        let e = self.expected.entry(routine.symbol()).or_default();
        match (gpu, faulted) {
            (true, false) => e.0 += 1,
            (true, true) => e.1 += 1,
            _ => {}
        }
        // SGEMM and CGEMM computed in double on the GPU.
        let rounded_once = gpu && !faulted && T::SINGLE;
        self.cases += 1;
        if let Some(f) = check::<T>(&mut self.rng, &case, form, rounded_once) {
            self.failures.push(format!("{label}: {f}"));
        }
    }
}

const DIMS: [usize; 4] = [1, 7, 33, 130];

/// The cases of one precision without faults: every transpose pair with
/// random sizes and scalars, the special scalars, the cblas_ forms, and
/// out of core.
fn precision<T: Elem>(run: &mut Run) {
    // Scalars: complex ones keep their imaginary part only for CGEMM and
    // ZGEMM.
    let alphas: &[(f64, f64)] = &[(1.0, 0.0), (-0.7, 0.0), (0.5, -1.25), (0.0, 1.0)];
    let betas: &[(f64, f64)] = &[(0.0, 0.0), (1.0, 0.0), (0.3, 0.0), (0.5, -1.25), (-1.5, 0.75)];
    for ta in ['N', 'T', 'C'] {
        for tb in ['N', 'T', 'C'] {
            for _ in 0..2 {
                let r = &mut run.rng;
                let case = Case {
                    ta,
                    tb,
                    m: DIMS[r.below(4)],
                    n: DIMS[r.below(4)],
                    k: DIMS[r.below(4)],
                    alpha: alphas[r.below(alphas.len())],
                    beta: betas[r.below(betas.len())],
                    pad: 1 + 2 * r.below(3),
                };
                run.case::<T>(case, Form::Fortran, false, "random");
            }
        }
    }
    let mk = |ta, tb, m, n, k, alpha, beta, pad| Case { ta, tb, m, n, k, alpha, beta, pad };
    let z = (0.5, -1.25);
    let specials = [
        // beta = 0, NaN in C: alpha op(A) op(B) only.
        ("beta 0", mk('N', 'T', 33, 130, 7, (1.3, 0.0), (0.0, 0.0), 2)),
        ("beta 0, alpha complex", mk('C', 'N', 130, 33, 130, z, (0.0, 0.0), 1)),
        ("beta 1", mk('C', 'N', 130, 33, 33, (-0.7, 0.0), (1.0, 0.0), 3)),
        ("beta 1, complex alpha", mk('T', 'C', 7, 130, 33, z, (1.0, 0.0), 0)),
        // alpha = 0: C := beta C on the CPU (complex beta), zeroed, or
        // untouched.
        ("alpha 0", mk('N', 'N', 33, 7, 130, (0.0, 0.0), z, 2)),
        ("alpha 0, beta 0", mk('T', 'N', 33, 7, 130, (0.0, 0.0), (0.0, 0.0), 2)),
        ("alpha 0, beta 1", mk('N', 'C', 33, 7, 130, (0.0, 0.0), (1.0, 0.0), 2)),
        ("k 0", mk('N', 'N', 7, 33, 0, z, (0.3, 0.0), 1)),
        ("k 0, beta 0", mk('T', 'T', 7, 33, 0, z, (0.0, 0.0), 1)),
        // Complex alpha and beta; ZGEMM's real beta (C in place) and its
        // non-real one (through a buffer), B as stored ('N': the
        // caller's own array for ZGEMM) and not.
        ("complex alpha and beta", mk('T', 'C', 130, 33, 130, z, z, 3)),
        ("real beta", mk('N', 'N', 130, 130, 33, z, (-1.5, 0.0), 3)),
        ("real beta, B transposed", mk('C', 'T', 130, 33, 130, z, (0.3, 0.0), 1)),
        ("non-real beta", mk('N', 'N', 130, 130, 33, z, (0.0, -1.0), 3)),
        ("non-real beta, B conjugated", mk('C', 'C', 33, 130, 130, (-0.7, 0.0), z, 1)),
        // Lowercase letters; thin shapes.
        ("lowercase c, t", mk('c', 't', 33, 7, 130, z, z, 2)),
        ("lowercase n, c", mk('n', 'c', 130, 1, 33, (1.0, 0.0), (0.3, 0.0), 2)),
        ("1 x 1, k 130", mk('T', 'N', 1, 1, 130, z, (1.0, 0.0), 4)),
        ("130 x 130, k 1", mk('N', 'T', 130, 130, 1, (-0.7, 0.0), (0.0, 0.0), 0)),
    ];
    for (label, case) in specials {
        run.case::<T>(case, Form::Fortran, false, label);
    }
    // The cblas_ forms: the reference Fortran routine on the same
    // (transposed, for row major) problem.
    for (ta, tb, m, n, k, alpha, beta) in [
        ('N', 'N', 130, 33, 7, z, (0.3, 0.0)),
        ('T', 'C', 33, 130, 33, (-0.7, 0.0), (0.0, 0.0)),
        ('C', 'N', 7, 130, 130, z, z),
        ('N', 'T', 130, 130, 33, (1.0, 0.0), (1.0, 0.0)),
        ('T', 'T', 33, 7, 130, (0.0, 0.0), (-1.5, 0.75)),
    ] {
        for form in [Form::ColMajor, Form::RowMajor] {
            run.case::<T>(mk(ta, tb, m, n, k, alpha, beta, 2), form, false, "cblas");
        }
    }
    // Large enough for the host copies (widening, A's expansion, B's
    // copy, beta C, the rounding into C) to take several threads
    // (src/engine/opencl/gemm.rs: copy_threads, 64 Ki doubles a thread).
    // Thin shapes keep it quick: each makes two of the three operands
    // large.
    let (big, thin) = if T::COMPLEX { (260, 7) } else { (370, 7) };
    for (ta, tb, m, n, k, beta) in
        [('N', 'T', big, thin, big, z), ('C', 'N', big, big, thin, (0.3, 0.0)), ('T', 'C', thin, big, big, (-1.5, 0.75))]
    {
        run.case::<T>(mk(ta, tb, m, n, k, z, beta, 1), Form::Fortran, false, "large");
    }
    // Out of core: a device that holds 12000 doubles splits the real
    // product into panels.
    config::set_hooks(|h| h.device_doubles = Some(12000));
    for (ta, tb, beta) in [('N', 'N', (0.3, 0.0)), ('C', 'T', z), ('T', 'C', (0.0, 0.0))] {
        run.case::<T>(mk(ta, tb, 130, 67, 53, z, beta, 1), Form::Fortran, false, "out of core");
    }
    config::set_hooks(|h| h.device_doubles = None);
}

/// The cases of one precision under an injected fault: the GPU path fails
/// (before its first tile, after it, or panics there) and the call must
/// still be right. ZGEMM with a real beta writes C in place, so the CPU
/// finishes the tiles the device did not write; the others compute the
/// whole call on the CPU from C as the caller passed it.
fn faulted<T: Elem>(run: &mut Run, inject: &str) {
    let z = (0.5, -1.25);
    let label = format!("with {inject}");
    // m = n = 130 with 3000-double staging: several tiles of C (of the
    // real 260 x 130 one for the complex types).
    for (ta, tb, beta) in [('N', 'T', (0.3, 0.0)), ('C', 'N', z), ('T', 'N', (0.0, 0.0))] {
        run.case::<T>(Case { ta, tb, m: 130, n: 130, k: 33, alpha: z, beta, pad: 2 }, Form::Fortran, true, &label);
    }
    run.case::<T>(
        Case { ta: 'N', tb: 'C', m: 130, n: 130, k: 7, alpha: (-0.7, 0.0), beta: (1.0, 0.0), pad: 1 },
        Form::RowMajor,
        true,
        &label,
    );
}

/// Out of core under an injected fault after the first tile: the tiles
/// left are spread over the panels. With a device of 20000 doubles and
/// 3000-double tiles, the real product is cut into row panels of several
/// tiles each (a fault is only due inside a panel).
fn faulted_out_of_core<T: Elem>(run: &mut Run, inject: &str) {
    let label = format!("out of core, with {inject}");
    let m = if T::COMPLEX { 130 } else { 260 };
    for (ta, tb, beta) in [('N', 'N', (0.3, 0.0)), ('T', 'C', (-1.5, 0.75))] {
        let case = Case { ta, tb, m, n: m, k: 33, alpha: (0.5, -1.25), beta, pad: 1 };
        run.case::<T>(case, Form::Fortran, true, &label);
    }
}

#[test]
fn gpu_sgemm_cgemm_zgemm_match_the_reference() {
    let Some((log, seed)) = common::gpu_test("gpu-gemm-precisions", "GPU SGEMM, CGEMM, ZGEMM", 0x5eed_2026_1215) else {
        return;
    };
    config::set_hooks(|h| h.faults.clear());
    let mut run = Run { rng: Rng(seed | 1), failures: Vec::new(), cases: 0, expected: BTreeMap::new() };
    precision::<f32>(&mut run);
    precision::<Cx<f32>>(&mut run);
    precision::<Cx<f64>>(&mut run);
    // Faults: before the first tile, after it, a panic before it and
    // after it.
    for inject in ["dgemm", "dgemm@1", "panic-dgemm", "panic-dgemm@1"] {
        config::set_hooks(|h| h.faults = config::parse_faults(inject));
        faulted::<f32>(&mut run, inject);
        faulted::<Cx<f32>>(&mut run, inject);
        faulted::<Cx<f64>>(&mut run, inject);
    }
    config::set_hooks(|h| {
        h.faults = config::parse_faults("dgemm@1");
        h.device_doubles = Some(20000);
    });
    faulted_out_of_core::<f32>(&mut run, "dgemm@1");
    faulted_out_of_core::<Cx<f32>>(&mut run, "dgemm@1");
    faulted_out_of_core::<Cx<f64>>(&mut run, "dgemm@1");
    config::set_hooks(|h| {
        h.faults.clear();
        h.device_doubles = None;
    });

    // The counters: every call with something to compute ran on the GPU,
    // and every faulted one fell back (none other did).
    let mut fell = 0;
    for (symbol, (gpu, fallbacks)) in &run.expected {
        let (gpu_calls, fallback_calls) = common::counters(symbol);
        if gpu_calls != *gpu || fallback_calls != *fallbacks {
            run.failures.push(format!(
                "{symbol}: {} calls on the GPU and {} fallbacks counted, {gpu} and {fallbacks} expected",
                gpu_calls, fallback_calls
            ));
        }
        fell += fallbacks;
    }
    // The log says so too.
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    for r in [Routine::Sgemm, Routine::Cgemm, Routine::Zgemm, Routine::CblasSgemm, Routine::CblasCgemm, Routine::CblasZgemm] {
        let prefix = format!("lapack-ai: {} ", r.symbol());
        let on_gpu = text.lines().filter(|l| l.starts_with(&prefix) && l.contains("-> gpu[") && !l.contains("fell back")).count();
        if on_gpu == 0 {
            run.failures.push(format!("no {} call ran on the GPU (log)", r.symbol()));
        }
    }
    let logged = text.lines().filter(|l| l.contains("fell back to cpu[")).count() as u64;
    if logged != fell {
        run.failures.push(format!("{logged} fallbacks logged, {fell} expected"));
    }
    let _ = std::fs::remove_file(&log);
    assert!(
        run.failures.is_empty(),
        "seed {seed}: {} of {} cases failed:\n{}",
        run.failures.len(),
        run.cases,
        run.failures.join("\n")
    );
}
