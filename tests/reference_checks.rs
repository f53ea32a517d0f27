//! Every function of `lapack_ai::check` reports exactly what reference
//! LAPACK reports. Differential test: random argument lists, legal and
//! illegal, go both to the check and to the bundled netlib routine, whose
//! XERBLA calls a capturing hook records. SGEMM, CGEMM and ZGEMM, and the
//! single, complex and double complex ?SYMM, ?HEMM, ?SYRK, ?HERK, ?SYR2K,
//! ?HER2K, ?TRMM, ?TRSM go through our exported routines themselves, whose
//! XERBLA calls (the process's `xerbla_`, defined here) must name the
//! routine as reference does ("SGEMM ", "CHERK ", with the blank that
//! pads the name to 6 characters; "ZSYR2K").
//!
//! The seed is printed; `LAPACK_AI_TEST_SEED=<n>` replays a run (decimal or
//! 0x-hex).

use lapack_ai::ops::{
    blas3::check as blas3_check, chol::check as chol_check, gemm::check as gemm_check, lu::check as lu_check,
    qr::check as qr_check, svd::check as svd_check,
};
use lapack_ai::engine::cpu::bundled;
use lapack_ai::ops::blas3::exports::{
    cher2k_, cherk_, chemm_, csymm_, csyr2k_, csyrk_, ctrmm_, ctrsm_, ssymm_, ssyr2k_, ssyrk_, strmm_, strsm_,
    zher2k_, zherk_, zhemm_, zsymm_, zsyr2k_, zsyrk_, ztrmm_, ztrsm_,
};
use lapack_ai::ops::gemm::exports::{cgemm_, sgemm_, zgemm_};
use std::ffi::c_void;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::os::raw::{c_char, c_int};
use std::sync::Mutex;

/// Cases per routine. Legal calls really compute, so this is what bounds
/// the run time (about half a second for all four in a debug build).
const CASES: usize = 30000;

/// Kept at most this many mismatches, to report many at once without
/// flooding the output.
const MAX_REPORTED: usize = 25;

/// The XERBLA calls of the bundled reference since the last `take_xerbla`:
/// (SRNAME without its trailing blanks, INFO).
static XERBLA_CALLS: Mutex<Vec<(String, i32)>> = Mutex::new(Vec::new());

unsafe extern "C" fn capture_xerbla(srname: *const c_char, len: usize, info: c_int) {
    // SAFETY: netlib_xerbla.c passes the SRNAME of a Fortran CALL XERBLA
    // with its hidden length: `len` readable bytes at `srname`, alive for
    // the duration of this call.
    let bytes = unsafe { std::slice::from_raw_parts(srname.cast::<u8>(), len) };
    let name = String::from_utf8_lossy(bytes).trim_end().to_string();
    // A panic must not unwind into Fortran, so a poisoned lock is used as is.
    XERBLA_CALLS.lock().unwrap_or_else(|e| e.into_inner()).push((name, info));
}

fn take_xerbla() -> Vec<(String, i32)> {
    std::mem::take(&mut *XERBLA_CALLS.lock().unwrap_or_else(|e| e.into_inner()))
}

/// The XERBLA calls of our own exports since the last `take_our_xerbla`:
/// (SRNAME exactly as passed, trailing blank included, INFO).
static OUR_XERBLA_CALLS: Mutex<Vec<(String, i32)>> = Mutex::new(Vec::new());

/// The process's XERBLA, which our exports call (src/engine/cpu/xerbla.rs:
/// csrc/netlib_xerbla.c's weak reference binds to this definition), as a
/// test program's replacement does.
///
/// # Safety
/// `srname` points to `len` readable bytes and `info` to an integer (the
/// Fortran CALL XERBLA(SRNAME, INFO) with its hidden length), alive for
/// the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn xerbla_(srname: *const c_char, info: *const c_int, len: usize) {
    // SAFETY: the caller's guarantee.
    let (bytes, info) = unsafe { (std::slice::from_raw_parts(srname.cast::<u8>(), len), *info) };
    let name = String::from_utf8_lossy(bytes).to_string();
    OUR_XERBLA_CALLS.lock().unwrap_or_else(|e| e.into_inner()).push((name, info));
}

fn take_our_xerbla() -> Vec<(String, i32)> {
    std::mem::take(&mut *OUR_XERBLA_CALLS.lock().unwrap_or_else(|e| e.into_inner()))
}

/// xorshift64*: reproducible from the printed seed, no dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        // splitmix64 of the seed: any seed (0 too) gives a nonzero state,
        // and nearby seeds give unrelated streams.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Uniform in lo..=hi.
    fn range(&mut self, lo: i32, hi: i32) -> i32 {
        lo + self.below((hi - lo + 1) as u64) as i32
    }

    fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }

    /// Never zero (an exactly singular DGESV would report INFO > 0) and
    /// never NaN (DGESDD returns INFO = -4 on NaN without calling XERBLA).
    fn value(&mut self) -> f64 {
        let magnitude = 0.25 + (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        if self.one_in(2) {
            -magnitude
        } else {
            magnitude
        }
    }

    fn values(&mut self, len: usize) -> Vec<f64> {
        (0..len).map(|_| self.value()).collect()
    }

    /// A dimension in -2..=13, mostly legal and mostly small, where the
    /// edge cases (0, 1, M = N, M vs 1.6 N) are.
    fn dim(&mut self) -> i32 {
        match self.below(20) {
            0 => self.range(-2, -1),
            1..=10 => self.range(0, 3),
            _ => self.range(0, 13),
        }
    }

    /// (M, N) for the SVD drivers: sometimes far from square, so that both
    /// sides of their QR/LQ-first crossovers (1.6 min(M,N) for DGESVD,
    /// 11/6 min(M,N) for DGESDD) are reached with nontrivial sizes.
    fn svd_shape(&mut self) -> (i32, i32) {
        let (long, short) = match self.below(12) {
            0 => (40, 7),
            1 => (self.range(14, 48), self.range(1, 13)),
            _ => return (self.dim(), self.dim()),
        };
        if self.one_in(2) {
            (long, short)
        } else {
            (short, long)
        }
    }

    /// A CHARACTER argument: one of `valid` in either case, or now and then
    /// an illegal one.
    fn letter(&mut self, valid: &[u8]) -> u8 {
        if self.one_in(12) {
            return self.pick(b"X?");
        }
        let c = self.pick(valid);
        if self.one_in(2) {
            c.to_ascii_lowercase()
        } else {
            c
        }
    }

    /// A leading dimension below, at or above max(1, t) for one of
    /// `targets` (the dimensions that some job letter makes its minimum),
    /// or now and then anything.
    fn lead(&mut self, targets: &[i32]) -> i32 {
        if self.one_in(10) {
            return self.range(-1, 15);
        }
        let t = self.pick(targets).max(1);
        match self.below(6) {
            0 => t - 1,
            1..=3 => t,
            _ => t + self.range(1, 3),
        }
    }

    /// LWORK around `min`, the minimum our check computes: a mismatch of
    /// that minimum with reference's shows at `min - 1` or at `min`.
    fn lwork(&mut self, min: i32) -> i32 {
        match self.below(8) {
            0 => -1,
            1 => 0,
            2 | 3 => min - 1,
            4 | 5 => min,
            6 => min + self.range(1, 8),
            _ => self.range(-2, 2 * min + 8),
        }
    }
}

/// Elements to allocate for a `ld` x `cols` array, whatever signs they have.
fn size(ld: i32, cols: i32) -> usize {
    ld.max(1) as usize * cols.max(1) as usize
}

/// Outcomes of one routine's cases, and what to report.
struct Tally {
    routine: &'static str,
    seed: u64,
    codes: BTreeMap<i32, usize>,
    mismatches: Vec<String>,
    mismatch_count: usize,
    /// Coverage the generator itself found missing (besides INFO codes).
    gaps: Vec<String>,
}

impl Tally {
    fn new(routine: &'static str, seed: u64) -> Tally {
        Tally { routine, seed, codes: BTreeMap::new(), mismatches: Vec::new(), mismatch_count: 0, gaps: Vec::new() }
    }

    /// Records one case: `ours` from the check, `info` what reference
    /// reports (INFO, or DGEMM's XERBLA position), `xerbla` what it passed
    /// to XERBLA, `expected_xerbla` the one call `info` implies, if any.
    fn record(
        &mut self, case: usize, args: &dyn Debug, ours: i32, info: i32, xerbla: &[(String, i32)],
        expected_xerbla: Option<(&str, i32)>,
    ) {
        *self.codes.entry(info).or_default() += 1;
        let expected: Vec<(String, i32)> = expected_xerbla.into_iter().map(|(s, i)| (s.to_string(), i)).collect();
        let mut problems = Vec::new();
        if ours != info {
            problems.push(format!("ours {ours}, reference {info}"));
        }
        if xerbla != expected.as_slice() {
            problems.push(format!("reference XERBLA calls {xerbla:?}, expected {expected:?} for INFO {info}"));
        }
        if ours == 0 && !xerbla.is_empty() {
            problems.push("legal for our check, yet reference called XERBLA".to_string());
        }
        if problems.is_empty() {
            return;
        }
        self.mismatch_count += 1;
        if self.mismatches.len() < MAX_REPORTED {
            self.mismatches.push(format!("{} case {case} {args:?}: {}", self.routine, problems.join("; ")));
        }
    }

    /// Every INFO in `must_see` came up at least once: a generator that
    /// stopped reaching some check would otherwise pass silently.
    fn coverage_gaps(&self, must_see: &[i32]) -> Vec<String> {
        must_see
            .iter()
            .filter(|c| !self.codes.contains_key(c))
            .map(|c| format!("{}: reference INFO {c} never came up (seed {})", self.routine, self.seed))
            .chain(self.gaps.iter().cloned())
            .collect()
    }
}

/// Reference LAPACK routines (DGESV, DGESVD, DPOTRF, ...) report argument
/// errors only as INFO < 0; INFO > 0 (a singular factor, a matrix not
/// positive definite, an SVD that did not converge) comes from a
/// computation with legal arguments, which the checks report as 0.
fn argument_info(info: c_int) -> i32 {
    info.min(0)
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug, in mismatch reports
struct GemmArgs {
    transa: char,
    transb: char,
    m: i32,
    n: i32,
    k: i32,
    lda: i32,
    ldb: i32,
    ldc: i32,
}

fn dgemm_cases(seed: u64) -> Tally {
    let mut rng = Rng::new(seed ^ 1);
    let mut tally = Tally::new("DGEMM", seed);
    for case in 0..CASES {
        let (transa, transb) = (rng.letter(b"NTC"), rng.letter(b"NTC"));
        let (m, n, k) = (rng.dim(), rng.dim(), rng.dim());
        let (lda, ldb, ldc) = (rng.lead(&[m, k]), rng.lead(&[k, n]), rng.lead(&[m]));
        let ours = gemm_check::dgemm(transa, transb, m, n, k, lda, ldb, ldc);

        let cols = m.max(n).max(k);
        let a = rng.values(size(lda, cols));
        let b = rng.values(size(ldb, cols));
        let mut c = rng.values(size(ldc, n));
        let (alpha, beta) = (rng.value(), rng.value());
        let (ta, tb) = (transa as c_char, transb as c_char);
        take_xerbla();
        // SAFETY: every pointer is to a live local; A, B and C hold at least
        // max(LD,1) * max(M,N,K,1) (C: max(LDC,1) * max(N,1)) elements, more
        // than DGEMM reads or writes for any legal argument list, and with
        // an illegal one it returns before touching them. The hidden
        // CHARACTER lengths are 1, the length of `ta` and `tb`.
        unsafe {
            bundled::dgemm(
                &ta, &tb, &m, &n, &k, &alpha, a.as_ptr(), &lda, b.as_ptr(), &ldb, &beta, c.as_mut_ptr(), &ldc, 1, 1,
            )
        };
        let calls = take_xerbla();
        // DGEMM has no INFO: its XERBLA position is what it reports.
        let info = calls.first().map_or(0, |(_, pos)| *pos);
        let args = GemmArgs { transa: transa as char, transb: transb as char, m, n, k, lda, ldb, ldc };
        tally.record(case, &args, ours, info, &calls, (info != 0).then_some(("DGEMM", info)));
    }
    tally
}

/// SGEMM's, CGEMM's or ZGEMM's Fortran interface, `P` its element as the
/// argument list declares it (f32, or `c_void` for a COMPLEX).
type GemmFn<P> = unsafe extern "C" fn(
    *const c_char, *const c_char, *const c_int, *const c_int, *const c_int, *const P, *const P, *const c_int,
    *const P, *const c_int, *const P, *mut P, *const c_int, usize, usize,
);

#[derive(Debug)]
#[allow(dead_code)] // read through Debug, in mismatch reports
struct OtherGemmArgs {
    args: GemmArgs,
    /// What our routine passed to XERBLA.
    ours_reported: Vec<(String, i32)>,
}

/// SGEMM, CGEMM, ZGEMM (`name`, as reference spells it in XERBLA): DGEMM's
/// argument lists, through our exported routine (`ours_fn`: what it reports
/// through the process's XERBLA, whose SRNAME must be `name` and a blank,
/// as reference passes it) and the bundled reference (`reference`), on
/// elements of type `T` made by `element`.
fn other_gemm_cases<T: Copy, P>(
    name: &'static str, seed: u64, xor: u64, element: fn(&mut Rng) -> T, ours_fn: GemmFn<P>, reference: GemmFn<P>,
) -> Tally {
    let mut rng = Rng::new(seed ^ xor);
    let mut tally = Tally::new(name, seed);
    let srname = format!("{name} ");
    for case in 0..CASES {
        let (transa, transb) = (rng.letter(b"NTC"), rng.letter(b"NTC"));
        let (m, n, k) = (rng.dim(), rng.dim(), rng.dim());
        let (lda, ldb, ldc) = (rng.lead(&[m, k]), rng.lead(&[k, n]), rng.lead(&[m]));

        let cols = m.max(n).max(k);
        let mut elements = |len: usize| -> Vec<T> { (0..len).map(|_| element(&mut rng)).collect() };
        let a = elements(size(lda, cols));
        let b = elements(size(ldb, cols));
        let c = elements(size(ldc, n));
        let (alpha, beta) = (element(&mut rng), element(&mut rng));
        let (mut c_ours, mut c_reference) = (c.clone(), c);
        let (ta, tb) = (transa as c_char, transb as c_char);
        let p = |x: &T| x as *const T as *const P;
        take_our_xerbla();
        // SAFETY: as for DGEMM (dgemm_cases): live locals, each array at
        // least as large as the routine reads or writes with legal
        // arguments; `T` is the routine's element (f32, or a COMPLEX as
        // two reals). Our routine computes on the CPU (LAPACK_AI_MODE=cpu).
        unsafe {
            ours_fn(
                &ta, &tb, &m, &n, &k, p(&alpha), a.as_ptr().cast(), &lda, b.as_ptr().cast(), &ldb, p(&beta),
                c_ours.as_mut_ptr().cast(), &ldc, 1, 1,
            )
        };
        let ours_reported = take_our_xerbla();
        take_xerbla();
        // SAFETY: as above.
        unsafe {
            reference(
                &ta, &tb, &m, &n, &k, p(&alpha), a.as_ptr().cast(), &lda, b.as_ptr().cast(), &ldb, p(&beta),
                c_reference.as_mut_ptr().cast(), &ldc, 1, 1,
            )
        };
        let calls = take_xerbla();
        let info = position(&calls);
        // Ours: the position it reported, if it reported one call under
        // the right name (else a position no check gives).
        let ours = match ours_reported.as_slice() {
            [] => 0,
            [(s, pos)] if *s == srname => *pos,
            _ => -1000,
        };
        let args = OtherGemmArgs {
            args: GemmArgs { transa: transa as char, transb: transb as char, m, n, k, lda, ldb, ldc },
            ours_reported,
        };
        tally.record(case, &args, ours, info, &calls, (info != 0).then_some((name, info)));
    }
    tally
}

fn real_element(rng: &mut Rng) -> f32 {
    rng.value() as f32
}

fn complex_element(rng: &mut Rng) -> [f32; 2] {
    [rng.value() as f32, rng.value() as f32]
}

fn double_complex_element(rng: &mut Rng) -> [f64; 2] {
    [rng.value(), rng.value()]
}

/// The XERBLA position a BLAS routine reported (it has no INFO).
fn position(calls: &[(String, i32)]) -> i32 {
    calls.first().map_or(0, |(_, pos)| *pos)
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug, in mismatch reports
struct Blas3Args {
    letters: String,
    dims: (i32, i32),
    leads: (i32, i32, i32),
}

/// DSYMM, DSYRK, DSYR2K: one routine per call of `cases`, chosen by name.
fn symmetric_cases(name: &'static str, seed: u64, xor: u64) -> Tally {
    let mut rng = Rng::new(seed ^ xor);
    let mut tally = Tally::new(name, seed);
    for case in 0..CASES {
        let (alpha, beta) = (rng.value(), rng.value());
        let (d1, d2) = (rng.dim(), rng.dim());
        take_xerbla();
        let (ours, letters, leads);
        if name == "DSYMM" {
            let (side, uplo) = (rng.letter(b"LR"), rng.letter(b"UL"));
            let (m, n) = (d1, d2);
            let (lda, ldb, ldc) = (rng.lead(&[m, n]), rng.lead(&[m]), rng.lead(&[m]));
            ours = blas3_check::dsymm(side, uplo, m, n, lda, ldb, ldc);
            let cols = m.max(n);
            let (a, b, mut c) = (rng.values(size(lda, cols)), rng.values(size(ldb, cols)), rng.values(size(ldc, cols)));
            let (sd, ul) = (side as c_char, uplo as c_char);
            // SAFETY: live locals; A, B, C hold max(LD,1) * max(M,N,1)
            // elements, more than DSYMM touches with legal arguments; with
            // illegal ones it returns first. Hidden lengths 1.
            unsafe {
                bundled::dsymm(&sd, &ul, &m, &n, &alpha, a.as_ptr(), &lda, b.as_ptr(), &ldb, &beta, c.as_mut_ptr(), &ldc, 1, 1)
            };
            letters = format!("{}{}", side as char, uplo as char);
            leads = (lda, ldb, ldc);
        } else {
            let (uplo, trans) = (rng.letter(b"UL"), rng.letter(b"NTC"));
            let (n, k) = (d1, d2);
            let (lda, ldb, ldc) = (rng.lead(&[n, k]), rng.lead(&[n, k]), rng.lead(&[n]));
            let cols = n.max(k);
            let (a, b, mut c) = (rng.values(size(lda, cols)), rng.values(size(ldb, cols)), rng.values(size(ldc, cols)));
            let (ul, tr) = (uplo as c_char, trans as c_char);
            if name == "DSYRK" {
                ours = blas3_check::dsyrk(uplo, trans, n, k, lda, ldc);
                // SAFETY: as for DSYMM.
                unsafe { bundled::dsyrk(&ul, &tr, &n, &k, &alpha, a.as_ptr(), &lda, &beta, c.as_mut_ptr(), &ldc, 1, 1) };
            } else {
                ours = blas3_check::dsyr2k(uplo, trans, n, k, lda, ldb, ldc);
                // SAFETY: as for DSYMM.
                unsafe {
                    bundled::dsyr2k(&ul, &tr, &n, &k, &alpha, a.as_ptr(), &lda, b.as_ptr(), &ldb, &beta, c.as_mut_ptr(), &ldc, 1, 1)
                };
            }
            letters = format!("{}{}", uplo as char, trans as char);
            leads = (lda, ldb, ldc);
        }
        let calls = take_xerbla();
        let info = position(&calls);
        let args = Blas3Args { letters, dims: (d1, d2), leads };
        tally.record(case, &args, ours, info, &calls, (info != 0).then_some((name, info)));
    }
    tally
}

/// A Level-3 BLAS routine besides GEMM of another precision than double,
/// as our exports and the bundled reference declare it: `P` the array
/// element (f32, or `c_void` for a COMPLEX), `Al` and `Be` the types of
/// ALPHA and BETA (`P`, or the real type: ?HERK's ALPHA and BETA, ?HER2K's
/// BETA).
enum Blas3Fn<Al, Be, P> {
    /// ?SYMM, ?HEMM.
    Symm(
        unsafe extern "C" fn(
            *const c_char, *const c_char, *const c_int, *const c_int, *const Al, *const P, *const c_int, *const P,
            *const c_int, *const Be, *mut P, *const c_int, usize, usize,
        ),
    ),
    /// ?SYRK, ?HERK.
    Syrk(
        unsafe extern "C" fn(
            *const c_char, *const c_char, *const c_int, *const c_int, *const Al, *const P, *const c_int, *const Be,
            *mut P, *const c_int, usize, usize,
        ),
    ),
    /// ?SYR2K, ?HER2K.
    Syr2k(
        unsafe extern "C" fn(
            *const c_char, *const c_char, *const c_int, *const c_int, *const Al, *const P, *const c_int, *const P,
            *const c_int, *const Be, *mut P, *const c_int, usize, usize,
        ),
    ),
    /// ?TRMM, ?TRSM.
    Tr(
        unsafe extern "C" fn(
            *const c_char, *const c_char, *const c_char, *const c_char, *const c_int, *const c_int, *const Al,
            *const P, *const c_int, *mut P, *const c_int, usize, usize, usize, usize,
        ),
    ),
}

/// One argument list of a [`Blas3Fn`]: the letters (SIDE, UPLO; UPLO,
/// TRANS; SIDE, UPLO, TRANSA, DIAG), the two dimensions, the leading
/// dimensions (?TRMM, ?TRSM: LDA, LDB) and the arrays (?TRMM, ?TRSM: B is
/// `c`), of elements `T`.
struct Blas3Call<'a, T> {
    letters: [c_char; 4],
    d1: c_int,
    d2: c_int,
    alpha: &'a T,
    a: &'a [T],
    lda: c_int,
    b: &'a [T],
    ldb: c_int,
    beta: &'a T,
    ldc: c_int,
}

impl<T> Blas3Call<'_, T> {
    /// Calls `f` with these arguments and `c` (hidden lengths 1).
    ///
    /// # Safety
    /// `f`'s element types are `T`'s (ALPHA and BETA may be read as their
    /// real parts: a COMPLEX stores its real part first), and the arrays
    /// hold what the routine reads and writes with legal arguments (with
    /// illegal ones it returns first).
    unsafe fn call<Al, Be, P>(&self, f: &Blas3Fn<Al, Be, P>, c: &mut [T]) {
        let [l0, l1, l2, l3] = &self.letters;
        let (al, be) = (self.alpha as *const T as *const Al, self.beta as *const T as *const Be);
        let (a, b, c) = (self.a.as_ptr().cast::<P>(), self.b.as_ptr().cast::<P>(), c.as_mut_ptr().cast::<P>());
        let (d1, d2, lda, ldb, ldc) = (&self.d1, &self.d2, &self.lda, &self.ldb, &self.ldc);
        // SAFETY: the caller's guarantee.
        unsafe {
            match f {
                Blas3Fn::Symm(f) => f(l0, l1, d1, d2, al, a, lda, b, ldb, be, c, ldc, 1, 1),
                Blas3Fn::Syrk(f) => f(l0, l1, d1, d2, al, a, lda, be, c, ldc, 1, 1),
                Blas3Fn::Syr2k(f) => f(l0, l1, d1, d2, al, a, lda, b, ldb, be, c, ldc, 1, 1),
                Blas3Fn::Tr(f) => f(l0, l1, l2, l3, d1, d2, al, a, lda, c, ldc, 1, 1, 1, 1),
            }
        }
    }
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug, in mismatch reports
struct OtherBlas3Args {
    args: Blas3Args,
    /// What our routine passed to XERBLA.
    ours_reported: Vec<(String, i32)>,
}

/// The single, complex and double complex ?SYMM, ?HEMM, ?SYRK, ?HERK,
/// ?SYR2K, ?HER2K, ?TRMM, ?TRSM (`name`, as reference spells it in
/// XERBLA): the double-precision routines' argument lists (TRANS any of
/// 'N', 'T', 'C', either case, or an illegal letter, so that the complex
/// rank-k updates' narrower TRANS is exercised: 'C' is illegal for CSYRK
/// and CSYR2K, 'T' for CHERK and CHER2K), through our exported routine
/// (`ours_fn`: what it reports through the process's XERBLA, whose SRNAME
/// must be `name` padded to 6 characters, as reference passes it) and the
/// bundled reference (`reference`), on elements of type `T` made by `make`
/// from a real and an imaginary part.
fn other_blas3_cases<T: Copy, Al, Be, P>(
    name: &'static str, seed: u64, xor: u64, make: fn(f64, f64) -> T, ours_fn: Blas3Fn<Al, Be, P>,
    reference: Blas3Fn<Al, Be, P>,
) -> Tally {
    let mut rng = Rng::new(seed ^ xor);
    let mut tally = Tally::new(name, seed);
    let srname = format!("{name:<6}");
    // The TRANS that the real routines accept and this one refuses.
    let refused = match name.get(1..) {
        Some("SYRK" | "SYR2K") if !name.starts_with('S') => Some(b'C'),
        Some("HERK" | "HER2K") => Some(b'T'),
        _ => None,
    };
    let mut refused_seen = 0;
    for case in 0..CASES {
        let (d1, d2) = (rng.dim(), rng.dim());
        let element = |rng: &mut Rng| make(rng.value(), rng.value());
        let (alpha, beta) = (element(&mut rng), element(&mut rng));
        let triangular = matches!(ours_fn, Blas3Fn::Tr(_));
        let letters = match ours_fn {
            Blas3Fn::Symm(_) => [rng.letter(b"LR"), rng.letter(b"UL"), b' ', b' '],
            Blas3Fn::Tr(_) => [rng.letter(b"LR"), rng.letter(b"UL"), rng.letter(b"NTC"), rng.letter(b"UN")],
            _ => [rng.letter(b"UL"), rng.letter(b"NTC"), b' ', b' '],
        };
        // Leading dimensions around the minimum each letter may make it.
        let (lda, ldb, ldc) = match ours_fn {
            Blas3Fn::Symm(_) => (rng.lead(&[d1, d2]), rng.lead(&[d1]), rng.lead(&[d1])),
            Blas3Fn::Tr(_) => (rng.lead(&[d1, d2]), 0, rng.lead(&[d1])),
            _ => (rng.lead(&[d1, d2]), rng.lead(&[d1, d2]), rng.lead(&[d1])),
        };
        let cols = d1.max(d2);
        let elements = |rng: &mut Rng, ld: c_int| -> Vec<T> { (0..size(ld, cols)).map(|_| element(rng)).collect() };
        let a: Vec<T> = if triangular {
            // A's diagonal away from zero: ?TRSM divides by it.
            (0..size(lda, cols))
                .map(|_| {
                    let x = rng.value();
                    make(x + 4.0f64.copysign(x), rng.value())
                })
                .collect()
        } else {
            elements(&mut rng, lda)
        };
        let b = elements(&mut rng, ldb);
        let c = elements(&mut rng, ldc);
        let call = Blas3Call {
            letters: letters.map(|x| x as c_char),
            d1,
            d2,
            alpha: &alpha,
            a: &a,
            lda,
            b: &b,
            ldb,
            beta: &beta,
            ldc,
        };
        let (mut c_ours, mut c_reference) = (c.clone(), c);
        take_our_xerbla();
        // SAFETY: live locals; A, B and C hold max(LD,1) * max(D1,D2,1)
        // elements of the routine's type (T), more than it touches with
        // legal arguments; with illegal ones it returns first. Our routine
        // computes on the CPU (LAPACK_AI_MODE=cpu).
        unsafe { call.call(&ours_fn, &mut c_ours) };
        let ours_reported = take_our_xerbla();
        take_xerbla();
        // SAFETY: as above.
        unsafe { call.call(&reference, &mut c_reference) };
        let calls = take_xerbla();
        let info = position(&calls);
        // Ours: the position it reported, if it reported one call under
        // the right name (else a position no check gives).
        let ours = match ours_reported.as_slice() {
            [] => 0,
            [(s, pos)] if *s == srname => *pos,
            _ => -1000,
        };
        if refused.is_some_and(|t| letters[1].eq_ignore_ascii_case(&t)) && info == 2 {
            refused_seen += 1;
        }
        let shown = if triangular { 4 } else { 2 };
        let args = OtherBlas3Args {
            args: Blas3Args {
                letters: letters[..shown].iter().map(|&x| x as char).collect(),
                dims: (d1, d2),
                leads: (lda, ldb, ldc),
            },
            ours_reported,
        };
        tally.record(case, &args, ours, info, &calls, (info != 0).then_some((name, info)));
    }
    if refused.is_some() && refused_seen == 0 {
        tally.gaps.push(format!("{name}: reference never refused the TRANS it alone refuses (seed {seed})"));
    }
    tally
}

fn real_make(re: f64, _im: f64) -> f32 {
    re as f32
}

fn complex_make(re: f64, im: f64) -> [f32; 2] {
    [re as f32, im as f32]
}

fn double_complex_make(re: f64, im: f64) -> [f64; 2] {
    [re, im]
}

/// DTRMM and DTRSM (the same arguments and checks).
fn triangular_cases(name: &'static str, seed: u64, xor: u64) -> Tally {
    let mut rng = Rng::new(seed ^ xor);
    let mut tally = Tally::new(name, seed);
    for case in 0..CASES {
        let (side, uplo, transa, diag) = (rng.letter(b"LR"), rng.letter(b"UL"), rng.letter(b"NTC"), rng.letter(b"UN"));
        let (m, n) = (rng.dim(), rng.dim());
        let (lda, ldb) = (rng.lead(&[m, n]), rng.lead(&[m]));
        let ours = if name == "DTRMM" {
            blas3_check::dtrmm(side, uplo, transa, diag, m, n, lda, ldb)
        } else {
            blas3_check::dtrsm(side, uplo, transa, diag, m, n, lda, ldb)
        };
        let cols = m.max(n);
        // A's diagonal away from zero: DTRSM divides by it.
        let a: Vec<f64> = rng.values(size(lda, cols)).iter().map(|x| x + 4.0f64.copysign(*x)).collect();
        let mut b = rng.values(size(ldb, cols));
        let alpha = rng.value();
        let (sd, ul, ta, dg) = (side as c_char, uplo as c_char, transa as c_char, diag as c_char);
        take_xerbla();
        // SAFETY: live locals; A and B hold max(LD,1) * max(M,N,1) elements,
        // more than the routine touches with legal arguments; with illegal
        // ones it returns first. Hidden lengths 1.
        unsafe {
            let f = if name == "DTRMM" { bundled::dtrmm } else { bundled::dtrsm };
            f(&sd, &ul, &ta, &dg, &m, &n, &alpha, a.as_ptr(), &lda, b.as_mut_ptr(), &ldb, 1, 1, 1, 1)
        };
        let calls = take_xerbla();
        let info = position(&calls);
        let letters = [side, uplo, transa, diag].iter().map(|&c| c as char).collect();
        let args = Blas3Args { letters, dims: (m, n), leads: (lda, ldb, 0) };
        tally.record(case, &args, ours, info, &calls, (info != 0).then_some((name, info)));
    }
    tally
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug, in mismatch reports
struct GesvArgs {
    n: i32,
    nrhs: i32,
    lda: i32,
    ldb: i32,
}

fn dgesv_cases(seed: u64) -> Tally {
    let mut rng = Rng::new(seed ^ 2);
    let mut tally = Tally::new("DGESV", seed);
    for case in 0..CASES {
        let (n, nrhs) = (rng.dim(), rng.dim());
        let (lda, ldb) = (rng.lead(&[n]), rng.lead(&[n, nrhs]));
        let ours = lu_check::dgesv(n, nrhs, lda, ldb);

        let mut a = rng.values(size(lda, n));
        let mut b = rng.values(size(ldb, nrhs));
        let mut ipiv: Vec<c_int> = vec![0; n.max(1) as usize];
        let mut info: c_int = 0;
        take_xerbla();
        // SAFETY: every pointer is to a live local; A holds max(LDA,1) *
        // max(N,1), B max(LDB,1) * max(NRHS,1) and IPIV max(N,1) elements,
        // what DGESV uses with legal arguments; with illegal ones it returns
        // before touching them.
        unsafe { bundled::dgesv(&n, &nrhs, a.as_mut_ptr(), &lda, ipiv.as_mut_ptr(), b.as_mut_ptr(), &ldb, &mut info) };
        let calls = take_xerbla();
        let info = argument_info(info);
        let args = GesvArgs { n, nrhs, lda, ldb };
        tally.record(case, &args, ours, info, &calls, (info < 0).then_some(("DGESV", -info)));
    }
    tally
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug, in mismatch reports
struct GetrfArgs {
    m: i32,
    n: i32,
    lda: i32,
}

fn dgetrf_cases(seed: u64) -> Tally {
    let mut rng = Rng::new(seed ^ 5);
    let mut tally = Tally::new("DGETRF", seed);
    for case in 0..CASES {
        let (m, n) = (rng.dim(), rng.dim());
        let lda = rng.lead(&[m, n]);
        let ours = lu_check::dgetrf(m, n, lda);

        let mut a = rng.values(size(lda, n));
        let mut ipiv: Vec<c_int> = vec![0; m.min(n).max(1) as usize];
        let mut info: c_int = 0;
        take_xerbla();
        // SAFETY: every pointer is to a live local; A holds max(LDA,1) *
        // max(N,1) and IPIV max(min(M,N),1) elements, what DGETRF uses with
        // legal arguments; with illegal ones it returns before touching them.
        unsafe { bundled::dgetrf(&m, &n, a.as_mut_ptr(), &lda, ipiv.as_mut_ptr(), &mut info) };
        let calls = take_xerbla();
        let info = argument_info(info);
        tally.record(case, &GetrfArgs { m, n, lda }, ours, info, &calls, (info < 0).then_some(("DGETRF", -info)));
    }
    tally
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug, in mismatch reports
struct GeqrfArgs {
    m: i32,
    n: i32,
    lda: i32,
    lwork: i32,
}

fn dgeqrf_cases(seed: u64) -> Tally {
    let mut rng = Rng::new(seed ^ 43);
    let mut tally = Tally::new("DGEQRF", seed);
    for case in 0..CASES {
        let (m, n) = (rng.dim(), rng.dim());
        let lda = rng.lead(&[m, n]);
        // The query, zero, small, around the minimum max(1, N), or large
        // (more than reference's optimal N NB).
        let lwork = match rng.below(8) {
            0 => -1,
            1 => 0,
            2 => rng.range(-2, 3),
            3 | 4 => n - 1,
            5 | 6 => n,
            _ => 32 * n.max(1) + rng.range(0, 8),
        };
        let ours = qr_check::dgeqrf(m, n, lda, lwork);

        let mut a = rng.values(size(lda, n));
        let mut tau = vec![0.0; m.min(n).max(1) as usize];
        let mut work = vec![0.0; lwork.max(1) as usize];
        let mut info: c_int = 0;
        take_xerbla();
        // SAFETY: every pointer is to a live local; A holds max(LDA,1) *
        // max(N,1), TAU max(min(M,N),1) and WORK max(LWORK,1) elements,
        // what DGEQRF uses with legal arguments (one element of WORK for
        // the LWORK = -1 query); with illegal ones it returns before
        // touching them.
        unsafe {
            bundled::dgeqrf(&m, &n, a.as_mut_ptr(), &lda, tau.as_mut_ptr(), work.as_mut_ptr(), &lwork, &mut info)
        };
        let calls = take_xerbla();
        let info = argument_info(info);
        let args = GeqrfArgs { m, n, lda, lwork };
        tally.record(case, &args, ours, info, &calls, (info < 0).then_some(("DGEQRF", -info)));
    }
    tally
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug, in mismatch reports
struct GetrsArgs {
    trans: char,
    n: i32,
    nrhs: i32,
    lda: i32,
    ldb: i32,
}

fn dgetrs_cases(seed: u64) -> Tally {
    let mut rng = Rng::new(seed ^ 6);
    let mut tally = Tally::new("DGETRS", seed);
    for case in 0..CASES {
        let trans = rng.letter(b"NTC");
        let (n, nrhs) = (rng.dim(), rng.dim());
        let (lda, ldb) = (rng.lead(&[n]), rng.lead(&[n, nrhs]));
        let ours = lu_check::dgetrs(trans, n, nrhs, lda, ldb);

        // Legal pivots (1..=N) and a nonsingular triangle: with legal
        // arguments DGETRS really solves.
        let a = rng.values(size(lda, n));
        let ipiv: Vec<c_int> = (0..n.max(1)).map(|i| i + 1 + rng.below((n - i).max(1) as u64) as c_int).collect();
        let mut b = rng.values(size(ldb, nrhs));
        let mut info: c_int = 0;
        let t = trans as c_char;
        take_xerbla();
        // SAFETY: every pointer is to a live local; A holds max(LDA,1) *
        // max(N,1), B max(LDB,1) * max(NRHS,1) and IPIV max(N,1) elements
        // (each in 1..=N); with illegal arguments DGETRS returns before
        // touching them. Hidden CHARACTER length 1.
        unsafe { bundled::dgetrs(&t, &n, &nrhs, a.as_ptr(), &lda, ipiv.as_ptr(), b.as_mut_ptr(), &ldb, &mut info, 1) };
        let calls = take_xerbla();
        let info = argument_info(info);
        let args = GetrsArgs { trans: trans as char, n, nrhs, lda, ldb };
        tally.record(case, &args, ours, info, &calls, (info < 0).then_some(("DGETRS", -info)));
    }
    tally
}

/// A symmetric positive definite matrix in the LDA x N array `a` (random
/// values, the diagonal made dominant), or a Cholesky factor with a
/// nonsingular diagonal: with legal arguments DPOTRF and DPOSV really
/// factor it, DPOTRS really solves with it.
fn dominant_diagonal(a: &mut [f64], n: i32, lda: i32) {
    if n > 0 && lda >= n {
        for i in 0..n as usize {
            a[i + i * lda as usize] = 2.0 * n as f64 + 2.0;
        }
    }
}

/// Legal calls must have factored their diagonally dominant matrices
/// (INFO > 0, which `argument_info` maps to 0, would mean they stopped
/// short of the computation they are there to run).
fn not_positive_gap(tally: &mut Tally, count: usize) {
    if count > 0 {
        tally.gaps.push(format!("{}: {count} legal calls found the matrix not positive definite", tally.routine));
    }
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug, in mismatch reports
struct PotrfArgs {
    uplo: char,
    n: i32,
    lda: i32,
}

fn dpotrf_cases(seed: u64) -> Tally {
    let mut rng = Rng::new(seed ^ 40);
    let mut tally = Tally::new("DPOTRF", seed);
    let mut not_positive = 0;
    for case in 0..CASES {
        let uplo = rng.letter(b"UL");
        let n = rng.dim();
        let lda = rng.lead(&[n]);
        let ours = chol_check::dpotrf(uplo, n, lda);

        let mut a = rng.values(size(lda, n));
        dominant_diagonal(&mut a, n, lda);
        let mut info: c_int = 0;
        let u = uplo as c_char;
        take_xerbla();
        // SAFETY: every pointer is to a live local; A holds max(LDA,1) *
        // max(N,1) elements, what DPOTRF uses with legal arguments; with
        // illegal ones it returns before touching it. Hidden CHARACTER
        // length 1.
        unsafe { bundled::dpotrf(&u, &n, a.as_mut_ptr(), &lda, &mut info, 1) };
        let calls = take_xerbla();
        not_positive += usize::from(info > 0);
        let info = argument_info(info);
        let args = PotrfArgs { uplo: uplo as char, n, lda };
        tally.record(case, &args, ours, info, &calls, (info < 0).then_some(("DPOTRF", -info)));
    }
    not_positive_gap(&mut tally, not_positive);
    tally
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug, in mismatch reports
struct PotrsArgs {
    uplo: char,
    n: i32,
    nrhs: i32,
    lda: i32,
    ldb: i32,
}

fn dpotrs_cases(seed: u64) -> Tally {
    solve_cases("DPOTRS", seed, 41)
}

fn dposv_cases(seed: u64) -> Tally {
    solve_cases("DPOSV", seed, 42)
}

/// DPOTRS and DPOSV (the same arguments and checks: DPOSV's are
/// DPOTRS's), chosen by name.
fn solve_cases(name: &'static str, seed: u64, xor: u64) -> Tally {
    let mut rng = Rng::new(seed ^ xor);
    let mut tally = Tally::new(name, seed);
    let mut not_positive = 0;
    for case in 0..CASES {
        let uplo = rng.letter(b"UL");
        let (n, nrhs) = (rng.dim(), rng.dim());
        let (lda, ldb) = (rng.lead(&[n]), rng.lead(&[n, nrhs]));
        let ours = chol_check::dpotrs(uplo, n, nrhs, lda, ldb);

        // A factor with a dominant diagonal for DPOTRS (a nonsingular
        // triangle), a diagonally dominant SPD matrix for DPOSV.
        let mut a = rng.values(size(lda, n));
        dominant_diagonal(&mut a, n, lda);
        let mut b = rng.values(size(ldb, nrhs));
        let mut info: c_int = 0;
        let u = uplo as c_char;
        take_xerbla();
        // SAFETY: every pointer is to a live local; A holds max(LDA,1) *
        // max(N,1) and B max(LDB,1) * max(NRHS,1) elements, what the
        // routine uses with legal arguments; with illegal ones it returns
        // before touching them. Hidden CHARACTER length 1.
        unsafe {
            if name == "DPOTRS" {
                bundled::dpotrs(&u, &n, &nrhs, a.as_ptr(), &lda, b.as_mut_ptr(), &ldb, &mut info, 1)
            } else {
                bundled::dposv(&u, &n, &nrhs, a.as_mut_ptr(), &lda, b.as_mut_ptr(), &ldb, &mut info, 1)
            }
        };
        let calls = take_xerbla();
        not_positive += usize::from(info > 0);
        let info = argument_info(info);
        let args = PotrsArgs { uplo: uplo as char, n, nrhs, lda, ldb };
        tally.record(case, &args, ours, info, &calls, (info < 0).then_some((name, -info)));
    }
    not_positive_gap(&mut tally, not_positive);
    tally
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug, in mismatch reports
struct GesvdArgs {
    jobu: char,
    jobvt: char,
    m: i32,
    n: i32,
    lda: i32,
    ldu: i32,
    ldvt: i32,
    lwork: i32,
    our_minwork: i32,
}

fn dgesvd_cases(seed: u64) -> Tally {
    let mut rng = Rng::new(seed ^ 3);
    let mut tally = Tally::new("DGESVD", seed);
    for case in 0..CASES {
        // JOBU = JOBVT = 'O' is illegal only as a pair (INFO = -2).
        let (jobu, jobvt) =
            if rng.one_in(20) { (b'O', b'o') } else { (rng.letter(b"ASON"), rng.letter(b"ASON")) };
        let (m, n) = rng.svd_shape();
        let minmn = m.min(n);
        let lda = rng.lead(&[m]);
        let ldu = rng.lead(&[1, m, minmn]);
        let ldvt = rng.lead(&[1, n, minmn]);
        let our_minwork = svd_check::dgesvd_minwork(jobu, jobvt, m, n);
        let lwork = rng.lwork(our_minwork);
        let ours = svd_check::dgesvd(jobu, jobvt, m, n, lda, ldu, ldvt, lwork);

        let mut a = rng.values(size(lda, n));
        let mut s = vec![0.0; minmn.max(1) as usize];
        // U is LDU x M for JOBU = 'A', LDU x min(M,N) for 'S'.
        let mut u = vec![0.0; size(ldu, m)];
        let mut vt = vec![0.0; size(ldvt, n)];
        let mut work = vec![0.0; lwork.max(1) as usize];
        let mut info: c_int = 0;
        let (ju, jv) = (jobu as c_char, jobvt as c_char);
        take_xerbla();
        // SAFETY: every pointer is to a live local. With legal arguments
        // DGESVD uses A (LDA x N), S (min(M,N)), U (at most LDU x M), VT
        // (LDVT x N) and WORK (at most LWORK, one element for the LWORK = -1
        // query), all allocated at least that large; with illegal ones it
        // returns before touching them. The hidden CHARACTER lengths are 1.
        unsafe {
            bundled::dgesvd(
                &ju, &jv, &m, &n, a.as_mut_ptr(), &lda, s.as_mut_ptr(), u.as_mut_ptr(), &ldu, vt.as_mut_ptr(), &ldvt,
                work.as_mut_ptr(), &lwork, &mut info, 1, 1,
            )
        };
        let calls = take_xerbla();
        let info = argument_info(info);
        let args =
            GesvdArgs { jobu: jobu as char, jobvt: jobvt as char, m, n, lda, ldu, ldvt, lwork, our_minwork };
        tally.record(case, &args, ours, info, &calls, (info < 0).then_some(("DGESVD", -info)));
    }
    tally
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug, in mismatch reports
struct GesddArgs {
    jobz: char,
    m: i32,
    n: i32,
    lda: i32,
    ldu: i32,
    ldvt: i32,
    lwork: i32,
    our_minwork: i32,
}

fn dgesdd_cases(seed: u64) -> Tally {
    let mut rng = Rng::new(seed ^ 4);
    let mut tally = Tally::new("DGESDD", seed);
    for case in 0..CASES {
        let jobz = rng.letter(b"ASON");
        let (m, n) = rng.svd_shape();
        let minmn = m.min(n);
        let lda = rng.lead(&[m]);
        let ldu = rng.lead(&[1, m, minmn]);
        let ldvt = rng.lead(&[1, n, minmn]);
        let our_minwork = svd_check::dgesdd_minwork(jobz, m, n);
        let lwork = rng.lwork(our_minwork);
        let ours = svd_check::dgesdd(jobz, m, n, lda, ldu, ldvt, lwork);

        let mut a = rng.values(size(lda, n));
        let mut s = vec![0.0; minmn.max(1) as usize];
        // U is LDU x M for JOBZ = 'A' (and 'O' with M < N).
        let mut u = vec![0.0; size(ldu, m)];
        let mut vt = vec![0.0; size(ldvt, n)];
        let mut work = vec![0.0; lwork.max(1) as usize];
        let mut iwork: Vec<c_int> = vec![0; 8 * minmn.max(0) as usize + 8];
        let mut info: c_int = 0;
        let jz = jobz as c_char;
        take_xerbla();
        // SAFETY: every pointer is to a live local. With legal arguments
        // DGESDD uses A (LDA x N), S (min(M,N)), U (at most LDU x M), VT
        // (LDVT x N), WORK (at most LWORK, one element for the LWORK = -1
        // query) and IWORK (8 min(M,N)), all allocated at least that large;
        // with illegal ones it returns before touching them. The hidden
        // CHARACTER length is 1.
        unsafe {
            bundled::dgesdd(
                &jz, &m, &n, a.as_mut_ptr(), &lda, s.as_mut_ptr(), u.as_mut_ptr(), &ldu, vt.as_mut_ptr(), &ldvt,
                work.as_mut_ptr(), &lwork, iwork.as_mut_ptr(), &mut info, 1,
            )
        };
        let calls = take_xerbla();
        let info = argument_info(info);
        let args = GesddArgs { jobz: jobz as char, m, n, lda, ldu, ldvt, lwork, our_minwork };
        tally.record(case, &args, ours, info, &calls, (info < 0).then_some(("DGESDD", -info)));
    }
    tally
}

fn seed() -> u64 {
    match std::env::var("LAPACK_AI_TEST_SEED") {
        Ok(s) => {
            let s = s.trim();
            let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => s.parse(),
            };
            parsed.unwrap_or_else(|e| panic!("LAPACK_AI_TEST_SEED={s:?}: {e}"))
        }
        // A fresh seed each run widens the search over time; the printed
        // seed makes any failure reproducible.
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64),
    }
}

/// One test for all the routines: the XERBLA hook is process-global, so
/// nothing else may call the bundled reference while cases run.
#[test]
fn checks_report_exactly_what_reference_lapack_reports() {
    let seed = seed();
    println!("reference_checks: seed {seed} (rerun with LAPACK_AI_TEST_SEED={seed})");
    // Our SGEMM, CGEMM, ZGEMM and the other precisions' Level-3 routines
    // compute legal calls on the CPU, without looking for a device. Their
    // CPU LAPACK, resolved at first use, routes the bundled copy's XERBLA
    // to the process's: resolved now, so that the capturing hook set next
    // stays.
    std::env::set_var("LAPACK_AI_MODE", "cpu");
    let _ = &*lapack_ai::engine::cpu::CPU;
    bundled::set_xerbla_hook(capture_xerbla);

    use Blas3Fn::{Symm, Syr2k, Syrk, Tr};
    type C = [f32; 2];
    type Z = [f64; 2];
    type V = c_void;
    // The XERBLA positions every routine of a kind must come up with.
    const SYMM: &[i32] = &[0, 1, 2, 3, 4, 7, 9, 12];
    const SYRK: &[i32] = &[0, 1, 2, 3, 4, 7, 10];
    const SYR2K: &[i32] = &[0, 1, 2, 3, 4, 7, 9, 12];
    const TR: &[i32] = &[0, 1, 2, 3, 4, 5, 6, 9, 11];
    let tallies = [
        (dgemm_cases(seed), &[0, 1, 2, 3, 4, 5, 8, 10, 13][..]),
        (
            other_gemm_cases::<f32, f32>("SGEMM", seed, 16, real_element, sgemm_, bundled::sgemm),
            &[0, 1, 2, 3, 4, 5, 8, 10, 13][..],
        ),
        (
            other_gemm_cases::<[f32; 2], c_void>("CGEMM", seed, 17, complex_element, cgemm_, bundled::cgemm),
            &[0, 1, 2, 3, 4, 5, 8, 10, 13][..],
        ),
        (
            other_gemm_cases::<[f64; 2], c_void>("ZGEMM", seed, 18, double_complex_element, zgemm_, bundled::zgemm),
            &[0, 1, 2, 3, 4, 5, 8, 10, 13][..],
        ),
        (dgesv_cases(seed), &[0, -1, -2, -4, -7][..]),
        (dgesvd_cases(seed), &[0, -1, -2, -3, -4, -6, -9, -11, -13][..]),
        (dgesdd_cases(seed), &[0, -1, -2, -3, -5, -8, -10, -12][..]),
        (dgetrf_cases(seed), &[0, -1, -2, -4][..]),
        (dgeqrf_cases(seed), &[0, -1, -2, -4, -7][..]),
        (dgetrs_cases(seed), &[0, -1, -2, -3, -5, -8][..]),
        (dpotrf_cases(seed), &[0, -1, -2, -4][..]),
        (dpotrs_cases(seed), &[0, -1, -2, -3, -5, -7][..]),
        (dposv_cases(seed), &[0, -1, -2, -3, -5, -7][..]),
        (symmetric_cases("DSYMM", seed, 11), &[0, 1, 2, 3, 4, 7, 9, 12][..]),
        (symmetric_cases("DSYRK", seed, 12), &[0, 1, 2, 3, 4, 7, 10][..]),
        (symmetric_cases("DSYR2K", seed, 13), &[0, 1, 2, 3, 4, 7, 9, 12][..]),
        (triangular_cases("DTRMM", seed, 14), &[0, 1, 2, 3, 4, 5, 6, 9, 11][..]),
        (triangular_cases("DTRSM", seed, 15), &[0, 1, 2, 3, 4, 5, 6, 9, 11][..]),
        // The single, complex and double complex routines, through ours.
        (other_blas3_cases::<f32, f32, f32, f32>("SSYMM", seed, 19, real_make, Symm(ssymm_), Symm(bundled::ssymm)), SYMM),
        (other_blas3_cases::<f32, f32, f32, f32>("SSYRK", seed, 20, real_make, Syrk(ssyrk_), Syrk(bundled::ssyrk)), SYRK),
        (
            other_blas3_cases::<f32, f32, f32, f32>("SSYR2K", seed, 21, real_make, Syr2k(ssyr2k_), Syr2k(bundled::ssyr2k)),
            SYR2K,
        ),
        (other_blas3_cases::<f32, f32, f32, f32>("STRMM", seed, 22, real_make, Tr(strmm_), Tr(bundled::strmm)), TR),
        (other_blas3_cases::<f32, f32, f32, f32>("STRSM", seed, 23, real_make, Tr(strsm_), Tr(bundled::strsm)), TR),
        (other_blas3_cases::<C, V, V, V>("CSYMM", seed, 24, complex_make, Symm(csymm_), Symm(bundled::csymm)), SYMM),
        (other_blas3_cases::<C, V, V, V>("CHEMM", seed, 25, complex_make, Symm(chemm_), Symm(bundled::chemm)), SYMM),
        (other_blas3_cases::<C, V, V, V>("CSYRK", seed, 26, complex_make, Syrk(csyrk_), Syrk(bundled::csyrk)), SYRK),
        (other_blas3_cases::<C, f32, f32, V>("CHERK", seed, 27, complex_make, Syrk(cherk_), Syrk(bundled::cherk)), SYRK),
        (other_blas3_cases::<C, V, V, V>("CSYR2K", seed, 28, complex_make, Syr2k(csyr2k_), Syr2k(bundled::csyr2k)), SYR2K),
        (
            other_blas3_cases::<C, V, f32, V>("CHER2K", seed, 29, complex_make, Syr2k(cher2k_), Syr2k(bundled::cher2k)),
            SYR2K,
        ),
        (other_blas3_cases::<C, V, V, V>("CTRMM", seed, 30, complex_make, Tr(ctrmm_), Tr(bundled::ctrmm)), TR),
        (other_blas3_cases::<C, V, V, V>("CTRSM", seed, 31, complex_make, Tr(ctrsm_), Tr(bundled::ctrsm)), TR),
        (other_blas3_cases::<Z, V, V, V>("ZSYMM", seed, 32, double_complex_make, Symm(zsymm_), Symm(bundled::zsymm)), SYMM),
        (other_blas3_cases::<Z, V, V, V>("ZHEMM", seed, 33, double_complex_make, Symm(zhemm_), Symm(bundled::zhemm)), SYMM),
        (other_blas3_cases::<Z, V, V, V>("ZSYRK", seed, 34, double_complex_make, Syrk(zsyrk_), Syrk(bundled::zsyrk)), SYRK),
        (other_blas3_cases::<Z, f64, f64, V>("ZHERK", seed, 35, double_complex_make, Syrk(zherk_), Syrk(bundled::zherk)), SYRK),
        (
            other_blas3_cases::<Z, V, V, V>("ZSYR2K", seed, 36, double_complex_make, Syr2k(zsyr2k_), Syr2k(bundled::zsyr2k)),
            SYR2K,
        ),
        (
            other_blas3_cases::<Z, V, f64, V>("ZHER2K", seed, 37, double_complex_make, Syr2k(zher2k_), Syr2k(bundled::zher2k)),
            SYR2K,
        ),
        (other_blas3_cases::<Z, V, V, V>("ZTRMM", seed, 38, double_complex_make, Tr(ztrmm_), Tr(bundled::ztrmm)), TR),
        (other_blas3_cases::<Z, V, V, V>("ZTRSM", seed, 39, double_complex_make, Tr(ztrsm_), Tr(bundled::ztrsm)), TR),
    ];

    let mut failures = Vec::new();
    for (tally, must_see) in &tallies {
        println!("{}: {CASES} cases, reference INFO -> count {:?}", tally.routine, tally.codes);
        if tally.mismatch_count > 0 {
            failures.push(format!(
                "{}: {} of {CASES} cases differ from reference (first {} below)",
                tally.routine,
                tally.mismatch_count,
                tally.mismatches.len()
            ));
            failures.extend(tally.mismatches.iter().cloned());
        }
        failures.extend(tally.coverage_gaps(must_see));
    }
    assert!(failures.is_empty(), "seed {seed} (LAPACK_AI_TEST_SEED={seed} reproduces):\n{}", failures.join("\n"));
}
