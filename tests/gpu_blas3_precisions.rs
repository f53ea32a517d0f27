//! The GPU paths of the Level-3 BLAS routines besides GEMM in single,
//! complex and double complex precision (SSYMM CSYMM ZSYMM CHEMM ZHEMM,
//! SSYRK CSYRK ZSYRK CHERK ZHERK, SSYR2K CSYR2K ZSYR2K CHER2K ZHER2K,
//! STRMM CTRMM ZTRMM, STRSM CTRSM ZTRSM; DSYMM and the other double ones:
//! tests/gpu_blas3.rs) with LAPACK_AI_MODE=gpu, against the bundled
//! reference routine of the same name on the same inputs, on the OpenCL
//! device named by LAPACK_AI_TEST_OPENCL (PoCL in CI).
//!
//! Every SIDE, UPLO, TRANS (the complex rank-k updates: 'N' and 'T' for
//! ?SYRK and ?SYR2K, 'N' and 'C' for ?HERK and ?HER2K; 'C' for the real
//! ones and ?TRMM, ?TRSM) and DIAG, lowercase now and then; sizes from 1
//! to 130 mixed; leading dimensions larger than the rows, the padding NaN
//! in the inputs (never to be read) and untouched in the outputs; NaN in
//! the triangle of A that SYMM, HEMM, TRMM, TRSM must not read (and on
//! the diagonal with DIAG = 'U'); NaN in C when beta = 0; NaN in the
//! triangle of C that the rank-k updates must not touch (it must come back
//! bit for bit); the special scalars (beta 0, beta 1, alpha 0, alpha 0
//! with beta 1 (the quick return: C untouched), K = 0, complex alpha and
//! beta where the routine's scalar is complex, real where it is real:
//! ?HERK's ALPHA and BETA, ?HER2K's BETA). A Hermitian A (?HEMM) and C
//! (?HERK, ?HER2K) have diagonals with non-zero imaginary parts: reference
//! ignores A's and sets C's to exactly 0, which ours must too. ?TRSM's
//! triangle is well conditioned (a dominant diagonal), and its recursion
//! is forced down to blocks of 16 (LAPACK_AI_TEST_TRSM_BLOCK).
//!
//! Each element is checked against the exact result (computed here in
//! double) and against reference: within a few units of the precision per
//! term of its sums, relative to |alpha| sum |a||b| + |beta||c| (?TRSM:
//! |alpha||b| + sum |op(A)||x|). The single-precision routines on the GPU
//! compute in double: SYMM, HEMM, SYRK, HERK, SYR2K, HER2K and TRMM must
//! be the exact result rounded once (within an ulp); HER2K with a complex
//! alpha (two products, the first rounded into C) twice.
//!
//! Small staging buffers (LAPACK_AI_TEST_STAGING) make the products use
//! many C tiles, a small device budget (LAPACK_AI_TEST_DEVICE_DOUBLES)
//! runs a call of each routine out of core; LAPACK_AI_FAULT_INJECT
//! (dgemm@1, panic-dgemm@1) makes four calls of each routine fail after
//! the first tile of a product, or panic there: they must still be right
//! (the CPU computes them from the caller's arrays, untouched), and be
//! counted and logged as fallbacks. The counters and the log must show
//! every other call with something to compute on the GPU, for each of the
//! 21 routines.
//!
//! One #[test]: the configuration is read once per process, and the
//! counters are the process's.

// `!(x <= bound)` on purpose: a NaN must fail the check.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

mod common;
use common::{Cx, Rng};
use lapack_ai::engine::cpu::bundled;
use lapack_ai::ops::blas3::exports::{
    cher2k_, cherk_, chemm_, csymm_, csyr2k_, csyrk_, ctrmm_, ctrsm_, ssymm_, ssyr2k_, ssyrk_, strmm_, strsm_,
    zher2k_, zherk_, zhemm_, zsymm_, zsyr2k_, zsyrk_, ztrmm_, ztrsm_,
};
use lapack_ai::runtime::config;
use std::collections::BTreeMap;
use std::ffi::c_void;
use std::os::raw::c_char;



/// The routine kinds (the letters after the precision's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Symm,
    Hemm,
    Syrk,
    Herk,
    Syr2k,
    Her2k,
    Trmm,
    Trsm,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Symm => "symm",
            Kind::Hemm => "hemm",
            Kind::Syrk => "syrk",
            Kind::Herk => "herk",
            Kind::Syr2k => "syr2k",
            Kind::Her2k => "her2k",
            Kind::Trmm => "trmm",
            Kind::Trsm => "trsm",
        }
    }
    fn herm(self) -> bool {
        matches!(self, Kind::Hemm | Kind::Herk | Kind::Her2k)
    }
    fn rank(self) -> bool {
        matches!(self, Kind::Syrk | Kind::Herk | Kind::Syr2k | Kind::Her2k)
    }
    fn two(self) -> bool {
        matches!(self, Kind::Syr2k | Kind::Her2k)
    }
    fn tri(self) -> bool {
        matches!(self, Kind::Trmm | Kind::Trsm)
    }
    /// The letter combinations legal for the kind (complex or not): SIDE,
    /// UPLO (SYMM, HEMM); UPLO, TRANS (rank-k); SIDE, UPLO, TRANSA, DIAG.
    fn letters(self, complex: bool) -> Vec<[u8; 4]> {
        let mut all = Vec::new();
        match self {
            Kind::Symm | Kind::Hemm => {
                for s in *b"LR" {
                    for u in *b"UL" {
                        all.push([s, u, 0, 0]);
                    }
                }
            }
            Kind::Trmm | Kind::Trsm => {
                for s in *b"LR" {
                    for u in *b"UL" {
                        for t in *b"NTC" {
                            for d in *b"NU" {
                                all.push([s, u, t, d]);
                            }
                        }
                    }
                }
            }
            _ => {
                let trans: &[u8] = match (complex, self.herm()) {
                    (false, _) => b"NTC",
                    (true, false) => b"NT",
                    (true, true) => b"NC",
                };
                for u in *b"UL" {
                    for &t in trans {
                        all.push([u, t, 0, 0]);
                    }
                }
            }
        }
        all
    }
}

/// The arguments of one call as Fortran passes them (?TRMM, ?TRSM: `c` is
/// B, `ldc` LDB).
struct Args<T> {
    l: [c_char; 4],
    d1: i32,
    d2: i32,
    alpha: T,
    a: *const T,
    lda: i32,
    b: *const T,
    ldb: i32,
    beta: T,
    c: *mut T,
    ldc: i32,
}

/// A precision's element type and its routines: ours and the bundled
/// reference.
trait Elem: Copy {
    const COMPLEX: bool;
    /// Single precision, which the GPU computes in double.
    const SINGLE: bool;
    /// The precision's unit roundoff (f32::EPSILON for single).
    const EPS: f64;
    /// The smallest normal number of the precision.
    const TINY: f64;
    /// The routines' first letter.
    const PREFIX: &'static str;
    /// The element nearest to re + i im (im dropped for a real type).
    fn make(re: f64, im: f64) -> Self;
    /// Its real and imaginary parts, in double.
    fn parts(self) -> (f64, f64);
    /// Its bits, to tell an element that was written from one that was not.
    fn bits(self) -> (u64, u64);
    /// Our routine of kind `kind` (hidden lengths 1).
    ///
    /// # Safety
    /// Arrays valid for the arguments.
    unsafe fn ours(kind: Kind, x: &Args<Self>);
    /// The bundled reference routine of kind `kind`.
    ///
    /// # Safety
    /// As for [`Elem::ours`].
    unsafe fn reference(kind: Kind, x: &Args<Self>);
}

/// The calls of one real precision's routines, `$symm` ... `$trsm` ours or
/// reference's.
macro_rules! real_call {
    ($kind:expr, $x:expr, $symm:path, $syrk:path, $syr2k:path, $trmm:path, $trsm:path) => {{
        let x = $x;
        let [l0, l1, l2, l3] = &x.l;
        // SAFETY: the caller's guarantee (Elem::ours).
        unsafe {
            match $kind {
                Kind::Symm => $symm(l0, l1, &x.d1, &x.d2, &x.alpha, x.a, &x.lda, x.b, &x.ldb, &x.beta, x.c, &x.ldc, 1, 1),
                Kind::Syrk => $syrk(l0, l1, &x.d1, &x.d2, &x.alpha, x.a, &x.lda, &x.beta, x.c, &x.ldc, 1, 1),
                Kind::Syr2k => {
                    $syr2k(l0, l1, &x.d1, &x.d2, &x.alpha, x.a, &x.lda, x.b, &x.ldb, &x.beta, x.c, &x.ldc, 1, 1)
                }
                Kind::Trmm => $trmm(l0, l1, l2, l3, &x.d1, &x.d2, &x.alpha, x.a, &x.lda, x.c, &x.ldc, 1, 1, 1, 1),
                Kind::Trsm => $trsm(l0, l1, l2, l3, &x.d1, &x.d2, &x.alpha, x.a, &x.lda, x.c, &x.ldc, 1, 1, 1, 1),
                k => unreachable!("no {k:?} in a real precision"),
            }
        }
    }};
}

impl Elem for f32 {
    const COMPLEX: bool = false;
    const SINGLE: bool = true;
    const EPS: f64 = f32::EPSILON as f64;
    const TINY: f64 = f32::MIN_POSITIVE as f64;
    const PREFIX: &'static str = "s";
    fn make(re: f64, _im: f64) -> f32 {
        re as f32
    }
    fn parts(self) -> (f64, f64) {
        (self as f64, 0.0)
    }
    fn bits(self) -> (u64, u64) {
        (self.to_bits() as u64, 0)
    }
    unsafe fn ours(kind: Kind, x: &Args<f32>) {
        real_call!(kind, x, ssymm_, ssyrk_, ssyr2k_, strmm_, strsm_)
    }
    unsafe fn reference(kind: Kind, x: &Args<f32>) {
        real_call!(kind, x, bundled::ssymm, bundled::ssyrk, bundled::ssyr2k, bundled::strmm, bundled::strsm)
    }
}

/// The calls of one complex precision's routines (COMPLEX by address;
/// ?HERK's ALPHA and BETA and ?HER2K's BETA real, of type `$r`).
macro_rules! complex_call {
    ($r:ty, $kind:expr, $x:expr, $symm:path, $hemm:path, $syrk:path, $herk:path, $syr2k:path, $her2k:path,
     $trmm:path, $trsm:path) => {{
        let x = $x;
        let v = |p: *const Cx<$r>| p as *const c_void;
        let c = x.c as *mut c_void;
        let [l0, l1, l2, l3] = &x.l;
        let (ar, br): ($r, $r) = (x.alpha.re, x.beta.re);
        // SAFETY: the caller's guarantee (Elem::ours); Cx is (re, im),
        // repr(C), as Fortran stores a COMPLEX.
        unsafe {
            match $kind {
                Kind::Symm => {
                    $symm(l0, l1, &x.d1, &x.d2, v(&x.alpha), v(x.a), &x.lda, v(x.b), &x.ldb, v(&x.beta), c, &x.ldc, 1, 1)
                }
                Kind::Hemm => {
                    $hemm(l0, l1, &x.d1, &x.d2, v(&x.alpha), v(x.a), &x.lda, v(x.b), &x.ldb, v(&x.beta), c, &x.ldc, 1, 1)
                }
                Kind::Syrk => $syrk(l0, l1, &x.d1, &x.d2, v(&x.alpha), v(x.a), &x.lda, v(&x.beta), c, &x.ldc, 1, 1),
                Kind::Herk => $herk(l0, l1, &x.d1, &x.d2, &ar, v(x.a), &x.lda, &br, c, &x.ldc, 1, 1),
                Kind::Syr2k => {
                    $syr2k(l0, l1, &x.d1, &x.d2, v(&x.alpha), v(x.a), &x.lda, v(x.b), &x.ldb, v(&x.beta), c, &x.ldc, 1, 1)
                }
                Kind::Her2k => {
                    $her2k(l0, l1, &x.d1, &x.d2, v(&x.alpha), v(x.a), &x.lda, v(x.b), &x.ldb, &br, c, &x.ldc, 1, 1)
                }
                Kind::Trmm => $trmm(l0, l1, l2, l3, &x.d1, &x.d2, v(&x.alpha), v(x.a), &x.lda, c, &x.ldc, 1, 1, 1, 1),
                Kind::Trsm => $trsm(l0, l1, l2, l3, &x.d1, &x.d2, v(&x.alpha), v(x.a), &x.lda, c, &x.ldc, 1, 1, 1, 1),
            }
        }
    }};
}

macro_rules! complex_elem {
    ($r:ty, $prefix:literal, $single:literal, [$($ours:path),*], [$($reference:path),*]) => {
        impl Elem for Cx<$r> {
            const COMPLEX: bool = true;
            const SINGLE: bool = $single;
            const EPS: f64 = <$r>::EPSILON as f64;
            const TINY: f64 = <$r>::MIN_POSITIVE as f64;
            const PREFIX: &'static str = $prefix;
            fn make(re: f64, im: f64) -> Self {
                Cx { re: re as $r, im: im as $r }
            }
            fn parts(self) -> (f64, f64) {
                (self.re as f64, self.im as f64)
            }
            fn bits(self) -> (u64, u64) {
                (self.re.to_bits() as u64, self.im.to_bits() as u64)
            }
            unsafe fn ours(kind: Kind, x: &Args<Self>) {
                complex_call!($r, kind, x, $($ours),*)
            }
            unsafe fn reference(kind: Kind, x: &Args<Self>) {
                complex_call!($r, kind, x, $($reference),*)
            }
        }
    };
}
complex_elem!(
    f32,
    "c",
    true,
    [csymm_, chemm_, csyrk_, cherk_, csyr2k_, cher2k_, ctrmm_, ctrsm_],
    [bundled::csymm, bundled::chemm, bundled::csyrk, bundled::cherk, bundled::csyr2k, bundled::cher2k, bundled::ctrmm,
        bundled::ctrsm]
);
complex_elem!(
    f64,
    "z",
    false,
    [zsymm_, zhemm_, zsyrk_, zherk_, zsyr2k_, zher2k_, ztrmm_, ztrsm_],
    [bundled::zsymm, bundled::zhemm, bundled::zsyrk, bundled::zherk, bundled::zsyr2k, bundled::zher2k, bundled::ztrmm,
        bundled::ztrsm]
);

type C64 = (f64, f64);

fn cmul(a: C64, b: C64) -> C64 {
    (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
}

fn cadd(a: C64, b: C64) -> C64 {
    (a.0 + b.0, a.1 + b.1)
}

fn csub(a: C64, b: C64) -> C64 {
    (a.0 - b.0, a.1 - b.1)
}

fn cdiv(a: C64, b: C64) -> C64 {
    let d = b.0 * b.0 + b.1 * b.1;
    ((a.0 * b.0 + a.1 * b.1) / d, (a.1 * b.0 - a.0 * b.1) / d)
}

fn conj(a: C64) -> C64 {
    (a.0, -a.1)
}

fn cabs(a: C64) -> f64 {
    a.0.hypot(a.1)
}

/// `count` vectors of `inner` elements (rows of a product's left factor,
/// or columns of its right one), with their magnitudes.
struct Factor {
    inner: usize,
    v: Vec<C64>,
    abs: Vec<f64>,
}

impl Factor {
    /// Vector r's element l is `f(r, l)`.
    fn new(count: usize, inner: usize, f: impl Fn(usize, usize) -> C64) -> Factor {
        let v: Vec<C64> = (0..count * inner).map(|x| f(x / inner.max(1), x % inner.max(1))).collect();
        let abs = v.iter().map(|&x| cabs(x)).collect();
        Factor { inner, v, abs }
    }

    fn at(&self, r: usize, l: usize) -> C64 {
        self.v[r * self.inner + l]
    }
}

/// The sum over l of p_i(l) q_j(l), and of their magnitudes' products.
fn dot(p: &Factor, i: usize, q: &Factor, j: usize) -> (C64, f64) {
    let k = p.inner;
    let (pv, qv) = (&p.v[i * k..(i + 1) * k], &q.v[j * k..(j + 1) * k]);
    let (pa, qa) = (&p.abs[i * k..(i + 1) * k], &q.abs[j * k..(j + 1) * k]);
    let (mut s, mut scale) = ((0.0, 0.0), 0.0);
    for l in 0..k {
        s = cadd(s, cmul(pv[l], qv[l]));
        scale += pa[l] * qa[l];
    }
    (s, scale)
}

/// One call: its kind, letters, sizes (M, N; the rank-k updates: N, K),
/// scalars (the imaginary part dropped where the routine's scalar is real)
/// and the padding of every leading dimension.
#[derive(Clone, Copy, Debug)]
struct Case {
    kind: Kind,
    letters: [u8; 4],
    d1: usize,
    d2: usize,
    alpha: (f64, f64),
    beta: (f64, f64),
    pad: usize,
}

impl Case {
    fn new(kind: Kind, letters: [u8; 4], d1: usize, d2: usize, alpha: C64, beta: C64, pad: usize) -> Case {
        let alpha = if kind == Kind::Herk { (alpha.0, 0.0) } else { alpha };
        let beta = if matches!(kind, Kind::Herk | Kind::Her2k) { (beta.0, 0.0) } else { beta };
        Case { kind, letters, d1, d2, alpha, beta, pad }
    }

    /// The scalars as the element type holds them.
    fn scalars<T: Elem>(&self) -> (C64, C64) {
        let beta = if self.kind.tri() { (0.0, 0.0) } else { T::make(self.beta.0, self.beta.1).parts() };
        (T::make(self.alpha.0, self.alpha.1).parts(), beta)
    }

    /// Reference's quick return: the output untouched.
    fn quick<T: Elem>(&self) -> bool {
        let (al, be) = self.scalars::<T>();
        let (a0, b1) = (al == (0.0, 0.0), be == (1.0, 0.0));
        match self.kind {
            k if k.rank() => self.d1 == 0 || ((a0 || self.d2 == 0) && b1),
            k if k.tri() => self.d1 == 0 || self.d2 == 0,
            _ => self.d1 == 0 || self.d2 == 0 || (a0 && b1),
        }
    }

    /// Whether the call goes to the GPU path (something to compute, alpha
    /// != 0, and K > 0 for the rank-k updates).
    fn on_gpu<T: Elem>(&self) -> bool {
        let (al, _) = self.scalars::<T>();
        self.d1 > 0 && self.d2 > 0 && al != (0.0, 0.0)
    }

    fn symbol<T: Elem>(&self) -> String {
        format!("{}{}_", T::PREFIX, self.kind.name())
    }
}

/// An `rows x cols` array with leading dimension `ld`: `value(i, j)` where
/// `keep(i, j)`, NaN elsewhere (the padding, what must not be read).
fn array<T: Elem>(
    rng: &mut Rng, rows: usize, cols: usize, ld: usize, keep: &dyn Fn(usize, usize) -> bool,
    value: &dyn Fn(&mut Rng, usize, usize) -> C64,
) -> Vec<T> {
    (0..ld * cols.max(1))
        .map(|x| {
            let (i, j) = (x % ld, x / ld);
            if i < rows && j < cols && keep(i, j) {
                let (re, im) = value(rng, i, j);
                T::make(re, im)
            } else {
                T::make(f64::NAN, f64::NAN)
            }
        })
        .collect()
}

fn same_bits<T: Elem>(x: &[T], y: &[T]) -> bool {
    x.iter().zip(y).all(|(a, b)| a.bits() == b.bits())
}

/// Runs `case` through ours and the reference on the same inputs and
/// checks ours against the exact result and reference's; returns what is
/// wrong, if anything. `rounded`: ours must also be the exact result
/// rounded once, as the single-precision GPU
/// paths compute it.
fn check<T: Elem>(rng: &mut Rng, case: &Case, rounded: bool) -> Option<String> {
    let Case { kind, letters, d1, d2, pad, .. } = *case;
    let up = |x: u8| x.to_ascii_uppercase();
    let [l0, l1, l2, l3] = letters.map(up);
    let (al, be) = case.scalars::<T>();
    let herm = kind.herm();
    let beta_zero = !kind.tri() && be == (0.0, 0.0);
    let val = |rng: &mut Rng, _: usize, _: usize| (rng.value(), rng.value());

    // Shapes. SYMM, HEMM, TRMM, TRSM: A ka x ka; the rank-k updates: A
    // (and B) ra x ca; the output ro x co (TRMM, TRSM: B).
    let (left, upper) = match kind {
        k if k.rank() => (false, l0 == b'U'),
        _ => (l0 == b'L', l1 == b'U'),
    };
    let notrans = l1 == b'N';
    let (op, unit) = (l2, l3 == b'U');
    let (ra, ca, ro, co, inner) = if kind.rank() {
        let (r, c) = if notrans { (d1, d2) } else { (d2, d1) };
        (r, c, d1, d1, d2)
    } else {
        let ka = if left { d1 } else { d2 };
        (ka, ka, d1, d2, ka)
    };
    let in_triangle = move |i: usize, j: usize| if upper { i <= j } else { i >= j };
    let lda = ra.max(1) + pad;
    let a: Vec<T> = match kind {
        Kind::Symm | Kind::Hemm => array(rng, ra, ca, lda, &in_triangle, &val),
        Kind::Trmm => array(rng, ra, ca, lda, &|i, j| in_triangle(i, j) && !(unit && i == j), &val),
        Kind::Trsm => {
            // Well conditioned whether its diagonal is read or is one:
            // off-diagonal entries below 1/ka, a dominant diagonal.
            let ka = ca as f64;
            array(rng, ra, ca, lda, &|i, j| in_triangle(i, j) && !(unit && i == j), &|rng, i, j| {
                let (re, im) = (rng.value(), rng.value());
                if i == j {
                    (1.0 + re.abs() * ka, im)
                } else {
                    (re / ka, im / ka)
                }
            })
        }
        _ => array(rng, ra, ca, lda, &|_, _| true, &val),
    };
    let (ldb, b): (usize, Vec<T>) = match kind {
        Kind::Symm | Kind::Hemm => (d1.max(1) + pad, array(rng, d1, d2, d1.max(1) + pad, &|_, _| true, &val)),
        Kind::Syr2k | Kind::Her2k => (ra.max(1) + pad, array(rng, ra, ca, ra.max(1) + pad, &|_, _| true, &val)),
        _ => (1, Vec::new()),
    };
    // The output: random, its padding too (it must come back untouched);
    // NaN where beta = 0 (not to be read) and in the rank-k updates'
    // other triangle (not to be touched).
    let ldo = ro.max(1) + pad;
    let written = move |i: usize, j: usize| i < ro && j < co && (!kind.rank() || in_triangle(i, j));
    let mut out0: Vec<T> = (0..ldo * co.max(1)).map(|_| T::make(rng.value(), rng.value())).collect();
    for j in 0..co {
        for i in 0..ro {
            if (kind.rank() && !in_triangle(i, j)) || beta_zero {
                out0[i + j * ldo] = T::make(f64::NAN, f64::NAN);
            }
        }
    }
    let (a0, b0) = (a.clone(), b.clone());
    let mut ours = out0.clone();
    let mut reference = out0.clone();
    let args = |c: *mut T| Args {
        l: letters.map(|x| x as c_char),
        d1: d1 as i32,
        d2: d2 as i32,
        alpha: T::make(case.alpha.0, case.alpha.1),
        a: a.as_ptr(),
        lda: lda as i32,
        b: b.as_ptr(),
        ldb: ldb as i32,
        beta: T::make(case.beta.0, case.beta.1),
        c,
        ldc: ldo as i32,
    };
    // SAFETY: every array is sized for these arguments (leading dimension
    // times columns, at least one column); B is only read by the kinds
    // that have one.
    unsafe {
        T::ours(kind, &args(ours.as_mut_ptr()));
        T::reference(kind, &args(reference.as_mut_ptr()));
    }
    let mut problems = Vec::new();
    if !same_bits(&a, &a0) || !same_bits(&b, &b0) {
        problems.push("A or B changed".to_string());
    }

    let at = |x: &[T], ld: usize, i: usize, j: usize| x[i + j * ld].parts();
    // SYMM's and HEMM's full A (a Hermitian diagonal real).
    let full = |i: usize, j: usize| -> C64 {
        if herm && i == j {
            (at(&a, lda, i, i).0, 0.0)
        } else if in_triangle(i, j) {
            at(&a, lda, i, j)
        } else if herm {
            conj(at(&a, lda, j, i))
        } else {
            at(&a, lda, j, i)
        }
    };
    // TRMM's and TRSM's op(A), zeros outside the triangle.
    let tri = |i: usize, j: usize| -> C64 {
        if unit && i == j {
            (1.0, 0.0)
        } else if in_triangle(i, j) {
            at(&a, lda, i, j)
        } else {
            (0.0, 0.0)
        }
    };
    let op_a = |i: usize, j: usize| match op {
        b'N' => tri(i, j),
        b'T' => tri(j, i),
        _ => conj(tri(j, i)),
    };
    // The rank-k updates' operands as n x k, conjugated where the kind
    // takes the conjugate (HERK, HER2K: the right factor of A Bᴴ, the left
    // one of Aᴴ B).
    let nk = |x: &[T], ld: usize, i: usize, l: usize, conjugate: bool| {
        let v = if notrans { at(x, ld, i, l) } else { at(x, ld, l, i) };
        if conjugate {
            conj(v)
        } else {
            v
        }
    };
    let (left_conj, right_conj) = (herm && !notrans, herm && notrans);
    let (m, n) = (d1, d2);
    // The products that make each element: its row of the left factor
    // times its column of the right one (the SYR2K kinds: two products).
    let (products, solution): (Vec<(Factor, Factor)>, Option<Vec<C64>>) = match kind {
        Kind::Symm | Kind::Hemm => {
            let pair = if left {
                (Factor::new(m, inner, full), Factor::new(n, inner, |j, l| at(&b, ldb, l, j)))
            } else {
                (Factor::new(m, inner, |i, l| at(&b, ldb, i, l)), Factor::new(n, inner, |j, l| full(l, j)))
            };
            (vec![pair], None)
        }
        Kind::Trmm => {
            let pair = if left {
                (Factor::new(m, inner, op_a), Factor::new(n, inner, |j, l| at(&out0, ldo, l, j)))
            } else {
                (Factor::new(m, inner, |i, l| at(&out0, ldo, i, l)), Factor::new(n, inner, |j, l| op_a(l, j)))
            };
            (vec![pair], None)
        }
        Kind::Syrk | Kind::Herk | Kind::Syr2k | Kind::Her2k => {
            let f = |x: &[T], ld: usize, conjugate: bool| Factor::new(d1, inner, |i, l| nk(x, ld, i, l, conjugate));
            let (al_, ar_) = (f(&a, lda, left_conj), f(&a, lda, right_conj));
            if kind.two() {
                let (bl, br) = (f(&b, ldb, left_conj), f(&b, ldb, right_conj));
                (vec![(al_, br), (bl, ar_)], None)
            } else {
                (vec![(al_, ar_)], None)
            }
        }
        Kind::Trsm => {
            // op(A) X = alpha B column by column, or X op(A) = alpha B
            // row by row, by substitution in double.
            let ka = inner;
            let rows = Factor::new(ka, ka, op_a);
            let cols = Factor::new(ka, ka, |j, l| op_a(l, j));
            let mut x = vec![(0.0, 0.0); m * n];
            let op_lower = upper == (op != b'N');
            if !case.quick::<T>() {
                for j in 0..n {
                    for i in 0..m {
                        x[i + j * m] = cmul(al, out0[i + j * ldo].parts());
                    }
                }
                if left {
                    for j in 0..n {
                        let order: Vec<usize> = if op_lower { (0..m).collect() } else { (0..m).rev().collect() };
                        for i in order {
                            let mut r = x[i + j * m];
                            let range = if op_lower { 0..i } else { i + 1..m };
                            for l in range {
                                r = csub(r, cmul(rows.at(i, l), x[l + j * m]));
                            }
                            x[i + j * m] = cdiv(r, rows.at(i, i));
                        }
                    }
                } else {
                    for i in 0..m {
                        let order: Vec<usize> = if op_lower { (0..n).rev().collect() } else { (0..n).collect() };
                        for j in order {
                            let mut r = x[i + j * m];
                            let range = if op_lower { j + 1..n } else { 0..j };
                            for l in range {
                                r = csub(r, cmul(x[i + l * m], cols.at(j, l)));
                            }
                            x[i + j * m] = cdiv(r, cols.at(j, j));
                        }
                    }
                }
            }
            // The magnitudes in the residual op(A) X (X op(A)).
            let pair = if left {
                (rows, Factor::new(n, ka, |j, l| x[l + j * m]))
            } else {
                (Factor::new(m, ka, |i, l| x[i + l * m]), cols)
            };
            (vec![pair], Some(x))
        }
    };

    // A few units of the precision per term of the sums, relative to the
    // magnitudes that go into each element.
    let units = if T::COMPLEX { 8.0 } else { 4.0 };
    let (mut worst, mut worst_rounding, mut outside, mut diagonal) = (0.0f64, 0.0f64, 0usize, 0usize);
    let mut first_bad = None;
    let quick = case.quick::<T>();
    for j in 0..co.max(1) {
        for i in 0..ldo {
            let idx = i + j * ldo;
            if quick || !written(i, j) {
                outside += (ours[idx].bits() != out0[idx].bits()) as usize;
                continue;
            }
            let c = out0[idx].parts();
            // The exact result, the magnitudes in it, and (SYR2K kinds)
            // the first product with beta C, which the GPU rounds into C.
            let cterm = if beta_zero || kind.tri() {
                (0.0, 0.0)
            } else if herm && kind.rank() && i == j {
                cmul(be, (c.0, 0.0))
            } else {
                cmul(be, c)
            };
            let cscale = if beta_zero || kind.tri() { 0.0 } else { cabs(be) * cabs(c) };
            let (s1, sc1) = dot(&products[0].0, i, &products[0].1, j);
            let (mut exact, mut first, scale) = match (&solution, products.get(1)) {
                (Some(x), _) => (x[i + j * m], x[i + j * m], sc1 + cabs(al) * cabs(c)),
                (None, Some((p, q))) => {
                    let (s2, sc2) = dot(p, i, q, j);
                    let al2 = if herm { conj(al) } else { al };
                    let first = cadd(cmul(al, s1), cterm);
                    (cadd(first, cmul(al2, s2)), first, cabs(al) * (sc1 + sc2) + cscale)
                }
                (None, None) => {
                    let e = cadd(cmul(al, s1), cterm);
                    (e, e, cabs(al) * sc1 + cscale)
                }
            };
            if herm && kind.rank() && i == j {
                // HERK and HER2K: a real diagonal, exactly.
                exact.1 = 0.0;
                first.1 = 0.0;
                if ours[idx].parts().1 != 0.0 || ours[idx].bits().1 != reference[idx].bits().1 {
                    diagonal += 1;
                }
            }
            let (o, r) = (ours[idx].parts(), reference[idx].parts());
            let bound = units * (inner as f64 + 2.0) * T::EPS * scale + T::TINY;
            let mut ratio = 0.0f64;
            for x in [o, r] {
                let err = cabs(csub(x, exact));
                let q = if err.is_nan() || !x.0.is_finite() || !x.1.is_finite() { f64::INFINITY } else { err / bound };
                ratio = ratio.max(q);
            }
            let err = cabs(csub(o, r));
            ratio = ratio.max(if err.is_nan() { f64::INFINITY } else { err / bound });
            if ratio > 1.0 && first_bad.is_none() {
                first_bad = Some(format!("({i}, {j}): ours {o:?}, reference {r:?}, exact {exact:?}"));
            }
            worst = worst.max(ratio);
            if rounded {
                // Computed in double (a few units of double per term),
                // then rounded to the precision once (half an ulp of each
                // part; here a whole one); SYR2K and HER2K too (one
                // product of inner dimension 2k), but HER2K with a complex
                // alpha: two products, the first rounded into C too.
                let twice = kind == Kind::Her2k && al.1 != 0.0;
                let inner = if kind.two() { 2 * inner } else { inner };
                let slack = 8.0 * (inner as f64 + 2.0) * f64::EPSILON * scale + T::TINY;
                for (x, e, f) in [(o.0, exact.0, first.0), (o.1, exact.1, first.1)] {
                    let allowed = T::EPS * (e.abs() + if twice { f.abs() } else { 0.0 }) + slack;
                    let q = (x - e).abs() / allowed;
                    worst_rounding = worst_rounding.max(if q.is_nan() { f64::INFINITY } else { q });
                }
            }
        }
    }
    if !(worst <= 1.0) {
        problems.push(format!(
            "error/bound {worst:.2} against the exact result and reference, first at {}",
            first_bad.unwrap_or_default()
        ));
    }
    if !(worst_rounding <= 1.0) {
        problems.push(format!("not the exact result rounded: error/(1 ulp) {worst_rounding:.2}"));
    }
    if outside > 0 {
        problems.push(format!("{outside} elements outside what the routine writes changed"));
    }
    if diagonal > 0 {
        problems.push(format!("{diagonal} diagonal elements of C with an imaginary part other than reference's +0"));
    }
    (!problems.is_empty()).then(|| {
        let l: String = letters.iter().filter(|&&x| x != 0).map(|&x| x as char).collect();
        format!(
            "{} {l} {d1} {d2} alpha={al:?} beta={be:?} pad={pad}: {}",
            case.symbol::<T>(),
            problems.join("; ")
        )
    })
}

/// The calls made, and what each routine's counters must show.
struct Run {
    rng: Rng,
    failures: Vec<String>,
    cases: usize,
    /// Per routine symbol: calls that must run on the GPU, calls that
    /// must fall back from it.
    expected: BTreeMap<String, (u64, u64)>,
}

impl Run {
    /// One case; `faulted`: a fault is injected, so a GPU call falls back.
    fn case<T: Elem>(&mut self, case: Case, faulted: bool, label: &str) {
        let gpu = case.on_gpu::<T>();
        let e = self.expected.entry(case.symbol::<T>()).or_default();
        match (gpu, faulted) {
            (true, false) => e.0 += 1,
            (true, true) => e.1 += 1,
            _ => {}
        }
        let rounded = gpu && !faulted && T::SINGLE && case.kind != Kind::Trsm;
        self.cases += 1;
        if let Some(f) = check::<T>(&mut self.rng, &case, rounded) {
            self.failures.push(format!("{label}: {f}"));
        }
    }
}

const DIMS: [usize; 9] = [1, 2, 7, 16, 17, 33, 64, 97, 130];

fn kinds<T: Elem>() -> Vec<Kind> {
    use Kind::*;
    if T::COMPLEX {
        vec![Symm, Hemm, Syrk, Herk, Syr2k, Her2k, Trmm, Trsm]
    } else {
        vec![Symm, Syrk, Syr2k, Trmm, Trsm]
    }
}

/// Now and then lowercase.
fn some_lowercase(rng: &mut Rng, letters: [u8; 4]) -> [u8; 4] {
    if rng.below(4) == 0 {
        letters.map(|x| x.to_ascii_lowercase())
    } else {
        letters
    }
}

/// The cases of one precision without faults: every letter combination
/// with random sizes and scalars, then the special scalars and sizes.
fn precision<T: Elem>(run: &mut Run) {
    let alphas: &[C64] = &[(1.0, 0.0), (-0.7, 0.0), (0.5, -1.25), (-0.3, 0.9)];
    let betas: &[C64] = &[(0.0, 0.0), (1.0, 0.0), (0.3, 0.0), (0.5, -1.25), (-1.5, 0.75)];
    let z = (0.5, -1.25);
    let w = (-1.5, 0.75);
    for kind in kinds::<T>() {
        let combos = kind.letters(T::COMPLEX);
        let reps = if kind.tri() { 2 } else { 3 };
        for &letters in &combos {
            for _ in 0..reps {
                let r = &mut run.rng;
                let letters = some_lowercase(r, letters);
                let (d1, d2) = (DIMS[r.below(DIMS.len())], DIMS[r.below(DIMS.len())]);
                let (alpha, beta) = (alphas[r.below(alphas.len())], betas[r.below(betas.len())]);
                let pad = [0, 1, 3, 5][r.below(4)];
                run.case::<T>(Case::new(kind, letters, d1, d2, alpha, beta, pad), false, "random");
            }
        }
        let specials: [(&str, usize, usize, C64, C64, usize); 12] = [
            // beta = 0, NaN in C: not read.
            ("beta 0", 130, 33, (1.3, 0.0), (0.0, 0.0), 2),
            ("beta 0, complex alpha", 33, 130, z, (0.0, 0.0), 1),
            ("beta 1", 97, 64, (-0.7, 0.0), (1.0, 0.0), 3),
            ("complex alpha and beta", 130, 97, z, w, 3),
            ("complex beta", 67, 130, (1.0, 0.0), z, 1),
            // alpha = 0: on the CPU, C := beta C, zeroed, or (beta = 1)
            // the quick return.
            ("alpha 0", 33, 7, (0.0, 0.0), z, 2),
            ("alpha 0, beta 0", 33, 7, (0.0, 0.0), (0.0, 0.0), 2),
            ("alpha 0, beta 1", 33, 7, (0.0, 0.0), (1.0, 0.0), 2),
            // The second size 0 (K for the rank-k updates: C := beta C on
            // the CPU; N for the others: nothing), or 1.
            ("second size 0", 7, 0, z, (0.3, 0.0), 1),
            ("second size 0, beta 0", 7, 0, z, (0.0, 0.0), 1),
            ("1 x 1", 1, 1, z, w, 4),
            ("130, 1", 130, 1, (-0.7, 0.0), w, 0),
        ];
        for (s, (label, d1, d2, alpha, beta, pad)) in specials.into_iter().enumerate() {
            let letters = combos[(s * 5 + run.rng.below(combos.len())) % combos.len()];
            run.case::<T>(Case::new(kind, letters, d1, d2, alpha, beta, pad), false, label);
        }
    }
}

/// Out of core: a device that holds 12000 doubles splits the real
/// products into panels.
fn out_of_core<T: Elem>(run: &mut Run) {
    config::set_hooks(|h| h.device_doubles = Some(12000));
    for kind in kinds::<T>() {
        let combos = kind.letters(T::COMPLEX);
        let letters = combos[run.rng.below(combos.len())];
        run.case::<T>(Case::new(kind, letters, 130, 67, (0.5, -1.25), (0.3, 0.0), 1), false, "out of core");
    }
    config::set_hooks(|h| h.device_doubles = None);
}

/// The cases of one precision under an injected fault after the first
/// tile of a product (an error or a panic): the GPU path fails, and the
/// CPU computes the whole call from the caller's arrays as they were.
fn faulted<T: Elem>(run: &mut Run, inject: &str) {
    let label = format!("with {inject}");
    for kind in kinds::<T>() {
        let combos = kind.letters(T::COMPLEX);
        for (n, beta) in [(0, (0.3, 0.0)), (1, (0.0, 0.0))] {
            let letters = combos[(n * combos.len() / 2 + run.rng.below(combos.len() / 2)) % combos.len()];
            run.case::<T>(Case::new(kind, letters, 130, 97, (0.5, -1.25), beta, 2), true, &label);
        }
    }
}

#[test]
fn gpu_blas3_other_precisions_match_the_reference() {
    let Some((log, seed)) = common::gpu_test("gpu-blas3-precisions", "GPU S/C/Z Level-3 BLAS", 0x5eed_2026_1216) else {
        return;
    };
    // ?TRSM's diagonal blocks of 16 rows at most: its recursion runs.
    std::env::set_var("LAPACK_AI_TEST_TRSM_BLOCK", "16");
    config::set_hooks(|h| h.faults.clear());
    let mut run = Run { rng: Rng(seed | 1), failures: Vec::new(), cases: 0, expected: BTreeMap::new() };
    precision::<f32>(&mut run);
    precision::<Cx<f32>>(&mut run);
    precision::<Cx<f64>>(&mut run);
    out_of_core::<f32>(&mut run);
    out_of_core::<Cx<f32>>(&mut run);
    out_of_core::<Cx<f64>>(&mut run);
    for inject in ["dgemm@1", "panic-dgemm@1"] {
        config::set_hooks(|h| h.faults = config::parse_faults(inject));
        faulted::<f32>(&mut run, inject);
        faulted::<Cx<f32>>(&mut run, inject);
        faulted::<Cx<f64>>(&mut run, inject);
    }
    config::set_hooks(|h| h.faults.clear());

    // The counters: every call with something to compute ran on the GPU,
    // every faulted one fell back (none other did), for all 21 routines.
    let mut fell = 0;
    if run.expected.len() != 21 {
        run.failures.push(format!("{} routines called, 21 expected", run.expected.len()));
    }
    for (symbol, (gpu, fallbacks)) in &run.expected {
        let (gpu_calls, fallback_calls) = common::counters(symbol);
        if gpu_calls != *gpu || fallback_calls != *fallbacks || *gpu == 0 || *fallbacks == 0 {
            run.failures.push(format!(
                "{symbol}: {} calls on the GPU and {} fallbacks counted, {gpu} and {fallbacks} expected (both > 0)",
                gpu_calls, fallback_calls
            ));
        }
        fell += fallbacks;
    }
    // The log says so too.
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    for symbol in run.expected.keys() {
        let prefix = format!("lapack-ai: {symbol} ");
        let lines = text.lines().filter(|l| l.starts_with(&prefix));
        let on_gpu = lines.filter(|l| l.contains("-> gpu[") && !l.contains("fell back")).count() as u64;
        if on_gpu != run.expected[symbol].0 {
            run.failures.push(format!("{symbol}: {on_gpu} calls logged on the GPU, {} expected", run.expected[symbol].0));
        }
    }
    let logged = text.lines().filter(|l| l.contains("fell back to cpu[")).count() as u64;
    if logged != fell {
        run.failures.push(format!("{logged} fallbacks logged, {fell} expected"));
    }
    let _ = std::fs::remove_file(&log);
    println!("{} cases, {fell} of them fell back", run.cases);
    assert!(
        run.failures.is_empty(),
        "seed {seed}: {} of {} cases failed:\n{}",
        run.failures.len(),
        run.cases,
        run.failures.join("\n")
    );
}
