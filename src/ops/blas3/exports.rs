//! The Level-3 BLAS routines besides GEMM, in the four precisions:
//! `?symm_`, `?syrk_`, `?syr2k_`, `?trmm_`, `?trsm_` and, for the complex
//! ones, `?hemm_`, `?herk_`, `?her2k_` (Fortran ABI, LP64 integers,
//! gfortran's hidden CHARACTER lengths, of which only the first character
//! is read; COMPLEX scalars and arrays by address). Their arguments are
//! read and checked as reference BLAS checks them, the quick returns are
//! reference's, and each call is routed: to the CPU BLAS's routine of the
//! same name, or to the GPU as products of the OpenCL engine's DGEMM, ?TRSM
//! as a recursion of such products around diagonal blocks solved on the
//! CPU ([`super::gpu`]).
//!
//! Each exported function is a few lines that name its CPU routine and hand
//! the rest to one generic function per kind ([`symm`], [`rank_k`],
//! [`triangular`]): cbindgen, which writes include/lapack_ai.h, reads no
//! macro expansions, so the exported functions are written out.
//!
//! Each of those reads and checks the arguments, then hands the values to
//! its second half ([`symm_checked`], [`rank_k_checked`],
//! [`triangular_checked`]: the quick return and the routing), which the
//! CBLAS forms call too, under their own names ([`super::cblas`]).

use super::check::{self, Transposes};
use super::gpu::{self, Scalar};
use crate::abi::{boundary, read, read_char};
use crate::dispatch::cost::{gemm_terms, Rates};
use crate::dispatch::{self, Call, Routine};
use crate::engine::cpu::{xerbla, CPU};
use crate::ops::gemm::precisions::{host_copies_at_most, is_zero, single_on_cpu, Complex, Element, Op};
use crate::ops::lsame;
use crate::routines::Precision;
use std::ffi::c_void;
use std::os::raw::{c_char, c_int};

/// Reads an integer argument; a null pointer reads as -1, illegal for
/// every dimension and leading dimension of these routines.
///
/// # Safety
/// `p` is null or valid for reading.
unsafe fn int(p: *const c_int) -> c_int {
    // SAFETY: the caller's guarantee.
    unsafe { read(p) }.unwrap_or(-1)
}

/// Reads ALPHA (and BETA) after the integer checks passed; a null one is
/// reported at its position, as an illegal argument.
///
/// # Safety
/// `p` is null or valid for reading.
unsafe fn scalar<T: Copy>(srname: &str, p: *const T, position: i32) -> Option<T> {
    // SAFETY: the caller's guarantee.
    let v = unsafe { read(p) };
    if v.is_none() {
        xerbla::report(srname, position);
    }
    v
}

/// The bytes of the host copies a GPU path makes around its product
/// (`doubles` elements read and written), counted with the transfers: they
/// cost about as much per byte as a copy into pinned staging.
fn copies(doubles: usize) -> f64 {
    16.0 * doubles as f64
}

/// The GPU computes the whole of a result of which the routine needs half
/// (the rank-k updates' triangle of C, ?TRMM's triangle of A): twice the
/// nominal flops, so the cost model halves the GPU's rate for it.
fn gpu_does_twice(rates: &mut Rates, _flops: f64) {
    rates.gpu_gflops /= 2.0;
}

fn twice_and_single(rates: &mut Rates, flops: f64) {
    gpu_does_twice(rates, flops);
    single_on_cpu(rates, flops);
}

/// The cost model's adjustment for `routine` (`twice`: the GPU computes
/// twice the routine's flops).
fn adjust(routine: Routine, twice: bool) -> Option<fn(&mut Rates, f64)> {
    let single = matches!(routine.precision(), Precision::S | Precision::C);
    match (twice, single) {
        (false, false) => None,
        (true, false) => Some(gpu_does_twice),
        (false, true) => Some(single_on_cpu),
        (true, true) => Some(twice_and_single),
    }
}

/// Reals per element: 2 for the complex types. The GPU's products are real
/// ones of `w` times the rows and inner dimension (src/ops/gemm/precisions.rs).
/// `bytes` counted in doubles, as they move for `T`: singles go up and
/// come back as singles (src/engine/opencl/gemm.rs), half the bytes.
fn in_reals_of<T: Element>(bytes: f64) -> f64 {
    if T::DOUBLE {
        bytes
    } else {
        bytes / 2.0
    }
}

fn width<T: Element>() -> usize {
    if T::COMPLEX {
        2
    } else {
        1
    }
}

/// 0 or 1 for [`gemm_terms`]: whether C is read.
fn reads_c<T: Element>(beta: T) -> f64 {
    if is_zero(beta) {
        0.0
    } else {
        1.0
    }
}

/// ?SYMM and ?HEMM (`herm`): read, checked, quick return, routed; `cpu`
/// runs the caller's call on the CPU BLAS.
///
/// # Safety
/// Pointers as for the reference routine.
#[allow(clippy::too_many_arguments)]
unsafe fn symm<T: Scalar>(
    routine: Routine, srname: &str, herm: bool, side: *const c_char, uplo: *const c_char, m: *const c_int,
    n: *const c_int, alpha: *const T, a: *const T, lda: *const c_int, b: *const T, ldb: *const c_int, beta: *const T,
    c: *mut T, ldc: *const c_int, cpu: impl Fn() + Copy,
) {
    boundary(srname.trim_end(), || {
        // SAFETY (reads): the caller's pointers, valid or null.
        let (sd, ul) = unsafe { (read_char(side), read_char(uplo)) };
        let (m, n, lda, ldb, ldc) = unsafe { (int(m), int(n), int(lda), int(ldb), int(ldc)) };
        let info = check::dsymm(sd, ul, m, n, lda, ldb, ldc);
        if info != 0 {
            return xerbla::report(srname, info);
        }
        let Some(al) = (unsafe { scalar(srname, alpha, 5) }) else { return };
        let Some(be) = (unsafe { scalar(srname, beta, 10) }) else { return };
        // SAFETY: arguments checked as reference checks them; the caller's
        // arrays, valid for them.
        unsafe { symm_checked(routine, herm, sd, ul, m, n, al, a, lda, b, ldb, be, c, ldc, cpu) }
    });
}

/// ?SYMM or ?HEMM (`herm`) whose arguments passed the checks, read: the
/// quick return, then the call routed as `routine` (a Fortran routine or
/// its CBLAS form); `cpu` runs the call on the CPU BLAS.
///
/// # Safety
/// Arguments legal for the routine; arrays valid for them, C overlapping
/// neither A nor B.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn symm_checked<T: Scalar>(
    routine: Routine, herm: bool, sd: u8, ul: u8, m: c_int, n: c_int, al: T, a: *const T, lda: c_int, b: *const T,
    ldb: c_int, be: T, c: *mut T, ldc: c_int, cpu: impl Fn() + Copy,
) {
    if check::dsymm_quick_return(m, n, al, be) {
        return;
    }
    let (mu, nu) = (m as usize, n as usize);
    let left = lsame(sd, b'L');
    let ka = if left { mu } else { nu };
    let w = width::<T>();
    let (flops, bytes) = gemm_terms(w * mu, nu, w * ka, reads_c(be));
    let call = Call {
        routine,
        describe: || format!("side={} uplo={} m={m} n={n} lda={lda} ldb={ldb} ldc={ldc}", sd as char, ul as char),
        flops,
        // A mirrored (ka x ka), C copied in and out.
        bytes: in_reals_of::<T>(bytes + copies(w * (ka * ka + 2 * mu * nu) + host_copies_at_most::<T>(mu, nu, ka))),
        launches: 1.0,
        shape: crate::dispatch::cost::gemm_shape(false, false, mu, nu, ka),
        shape_name: crate::dispatch::cost::gemm_shape_name,
        adjust: adjust(routine, false),
    };
    let cpu = |_: &mut ()| cpu();
    let gpu_path = (!is_zero(al)).then_some(|_: &mut ()| {
        // SAFETY: the views of the caller's arrays, whose arguments
        // passed the checks (A ka x ka, B and C m x n, each with its
        // leading dimension), C overlapping neither A nor B.
        unsafe { gpu::symm(left, lsame(ul, b'U'), herm, mu, nu, al, a, lda, b, ldb, be, c, ldc) }
            .map_err(|e| dispatch::failure(e, cpu))
    });
    dispatch::run(call, &mut (), cpu, gpu_path);
}

/// ?SYRK, ?HERK (`b` None) and ?SYR2K, ?HER2K: read, checked (TRANS as
/// `kind` accepts it), quick return, routed. ALPHA and BETA are of the
/// element type, or real where the Hermitian routines take them real.
///
/// # Safety
/// Pointers as for the reference routine.
#[allow(clippy::too_many_arguments)]
unsafe fn rank_k<T: Scalar, Al: Element, Be: Element>(
    routine: Routine, srname: &str, kind: Transposes, uplo: *const c_char, trans: *const c_char, n: *const c_int,
    k: *const c_int, alpha: *const Al, a: *const T, lda: *const c_int, b: Option<(*const T, *const c_int)>,
    beta: *const Be, c: *mut T, ldc: *const c_int, cpu: impl Fn() + Copy,
) {
    boundary(srname.trim_end(), || {
        // SAFETY (reads): the caller's pointers, valid or null.
        let (ul, tr) = unsafe { (read_char(uplo), read_char(trans)) };
        let (n, k, lda, ldc) = unsafe { (int(n), int(k), int(lda), int(ldc)) };
        let ldb = b.map(|(_, ldb)| unsafe { int(ldb) });
        let info = check::rank_k(kind, ul, tr, n, k, lda, ldb, ldc);
        if info != 0 {
            return xerbla::report(srname, info);
        }
        let Some(al) = (unsafe { scalar(srname, alpha, 5) }) else { return };
        let Some(be) = (unsafe { scalar(srname, beta, if b.is_some() { 10 } else { 8 }) }) else { return };
        let b = b.zip(ldb).map(|((b, _), ldb)| (b, ldb));
        // SAFETY: arguments checked as reference checks them; the caller's
        // arrays, valid for them.
        unsafe { rank_k_checked(routine, kind, ul, tr, n, k, al, a, lda, b, be, c, ldc, cpu) }
    });
}

/// A rank-k update (`kind`; ?SYR2K, ?HER2K with `b`: B and LDB) whose
/// arguments passed the checks, read: the quick return, then the call
/// routed as `routine` (a Fortran routine or its CBLAS form); `cpu` runs
/// the call on the CPU BLAS.
///
/// # Safety
/// Arguments legal for the routine; arrays valid for them, C overlapping
/// neither A nor B.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn rank_k_checked<T: Scalar, Al: Element, Be: Element>(
    routine: Routine, kind: Transposes, ul: u8, tr: u8, n: c_int, k: c_int, al: Al, a: *const T, lda: c_int,
    b: Option<(*const T, c_int)>, be: Be, c: *mut T, ldc: c_int, cpu: impl Fn() + Copy,
) {
    let ldb = b.map(|(_, ldb)| ldb);
    if check::dsyrk_quick_return(n, k, al, be) {
        return;
    }
    let (al, be): (T, T) = (T::from_parts(al.parts().0, al.parts().1), T::from_parts(be.parts().0, be.parts().1));
    let (nu, ku) = (n as usize, k as usize);
    let notrans = lsame(tr, b'N');
    let w = width::<T>();
    // ?SYR2K, ?HER2K: one product of inner dimension 2k ([A B] by [B A];
    // ?HER2K with a complex ALPHA two of k, as many flops and bytes).
    let inner = if b.is_some() { 2 * ku } else { ku };
    let (gemm_flops, bytes) = gemm_terms(w * nu, nu, w * inner, reads_c(be));
    let call = Call {
        routine,
        describe: || match ldb {
            None => format!("uplo={} trans={} n={n} k={k} lda={lda} ldc={ldc}", ul as char, tr as char),
            Some(ldb) => {
                format!("uplo={} trans={} n={n} k={k} lda={lda} ldb={ldb} ldc={ldc}", ul as char, tr as char)
            }
        },
        // The routine's flops: half of the product's.
        flops: gemm_flops / 2.0,
        // C copied in and its triangle out; ?SYR2K's two operands of
        // inner dimension 2k made on the host.
        bytes: in_reals_of::<T>(bytes + copies(2 * w * nu * nu + 2 * w * nu * (inner - ku) + host_copies_at_most::<T>(nu, nu, inner))),
        launches: 1.0,
        shape: crate::dispatch::cost::gemm_shape(!notrans, notrans, nu, nu, ku),
        shape_name: crate::dispatch::cost::gemm_shape_name,
        adjust: adjust(routine, true),
    };
    let cpu = |_: &mut ()| cpu();
    let gpu_path = (!is_zero(al) && k > 0).then_some(|_: &mut ()| {
        let r = gpu::Rank { upper: lsame(ul, b'U'), notrans, herm: kind == Transposes::Hermitian };
        // SAFETY: the views of the caller's arrays, whose arguments
        // passed the checks (A and B n x k, or k x n transposed; C
        // n x n), C overlapping neither A nor B.
        unsafe { gpu::syr2k(r, nu, ku, al, a, lda, b, be, c, ldc) }.map_err(|e| dispatch::failure(e, cpu))
    });
    dispatch::run(call, &mut (), cpu, gpu_path);
}

/// ?TRMM (`solve` None) and ?TRSM (`solve`: the CPU's ?TRSM, for the
/// diagonal blocks): read, checked, quick return, routed.
///
/// # Safety
/// Pointers as for the reference routine.
#[allow(clippy::too_many_arguments)]
unsafe fn triangular<T: Scalar>(
    routine: Routine, srname: &str, solve: Option<gpu::TrsmFn<T>>, side: *const c_char, uplo: *const c_char,
    transa: *const c_char, diag: *const c_char, m: *const c_int, n: *const c_int, alpha: *const T, a: *const T,
    lda: *const c_int, b: *mut T, ldb: *const c_int, cpu: impl Fn() + Copy,
) {
    boundary(srname.trim_end(), || {
        // SAFETY (reads): the caller's pointers, valid or null.
        let (sd, ul, ta, dg) = unsafe { (read_char(side), read_char(uplo), read_char(transa), read_char(diag)) };
        let (m, n, lda, ldb) = unsafe { (int(m), int(n), int(lda), int(ldb)) };
        let info = check::dtrmm(sd, ul, ta, dg, m, n, lda, ldb);
        if info != 0 {
            return xerbla::report(srname, info);
        }
        let Some(al) = (unsafe { scalar(srname, alpha, 7) }) else { return };
        // SAFETY: arguments checked as reference checks them; the caller's
        // arrays, valid for them.
        unsafe { triangular_checked(routine, solve, sd, ul, ta, dg, m, n, al, a, lda, b, ldb, cpu) }
    });
}

/// ?TRMM (`solve` None) or ?TRSM (`solve`: the CPU's ?TRSM, for the
/// diagonal blocks) whose arguments passed the checks, read: the quick
/// return, then the call routed as `routine` (a Fortran routine or its
/// CBLAS form); `cpu` runs the call on the CPU BLAS.
///
/// # Safety
/// Arguments legal for the routine; arrays valid for them, B not
/// overlapping A.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn triangular_checked<T: Scalar>(
    routine: Routine, solve: Option<gpu::TrsmFn<T>>, sd: u8, ul: u8, ta: u8, dg: u8, m: c_int, n: c_int, al: T,
    a: *const T, lda: c_int, b: *mut T, ldb: c_int, cpu: impl Fn() + Copy,
) {
    if m == 0 || n == 0 {
        return;
    }
    let (mu, nu) = (m as usize, n as usize);
    let left = lsame(sd, b'L');
    let ka = if left { mu } else { nu };
    let w = width::<T>();
    let (gemm_flops, gemm_bytes) = gemm_terms(w * mu, nu, w * ka, 0.0);
    let (flops, bytes, launches) = match solve {
        None => {
            // A expanded (ka x ka); B copied in, the result out.
            (gemm_flops / 2.0, gemm_bytes + copies(w * (ka * ka + 2 * mu * nu) + host_copies_at_most::<T>(mu, nu, ka)), 1.0)
        }
        Some(_) => {
            // At each level of the recursion, A's off-diagonal blocks
            // (half of A) up and B's rows (or columns) up and down; and
            // B copied in and out on the host.
            let levels = (ka as f64 / 256.0).log2().ceil().max(1.0);
            let per_level = 8.0 * (w * w * ka * ka / 2 + 3 * w * mu * nu) as f64 + copies(host_copies_at_most::<T>(mu / 2, nu, ka / 2));
            (gemm_flops / 2.0, per_level * levels + copies(w * mu * nu), levels)
        }
    };
    let call = Call {
        routine,
        describe: || {
            format!(
                "side={} uplo={} transa={} diag={} m={m} n={n} lda={lda} ldb={ldb}",
                sd as char, ul as char, ta as char, dg as char
            )
        },
        flops,
        bytes: in_reals_of::<T>(bytes),
        launches,
        shape: if solve.is_some() { 0 } else { crate::dispatch::cost::gemm_shape(!lsame(ta, b'N'), false, mu, nu, ka) },
        shape_name: if solve.is_some() {
            crate::dispatch::cost::plain_shape_name
        } else {
            crate::dispatch::cost::gemm_shape_name
        },
        adjust: adjust(routine, solve.is_none()),
    };
    let cpu = |_: &mut ()| cpu();
    let gpu_path = (!is_zero(al)).then_some(|_: &mut ()| {
        let shape = gpu::Tri { left, upper: lsame(ul, b'U'), op: Op::from_char(ta), unit: lsame(dg, b'U') };
        // SAFETY: the views of the caller's arrays, whose arguments
        // passed the checks (A ka x ka, B m x n), B not overlapping A.
        let done = unsafe {
            match solve {
                None => gpu::trmm(shape, mu, nu, al, a, lda, b, ldb),
                Some(f) => gpu::trsm(shape, mu, nu, al, a, lda, b, ldb, f),
            }
        };
        done.map_err(|e| dispatch::failure(e, cpu))
    });
    dispatch::run(call, &mut (), cpu, gpu_path);
}


/// SSYMM: C := alpha A B + beta C (SIDE = 'L') or alpha B A + beta C, A
/// symmetric (single precision), only its UPLO triangle read.
///
/// # Safety
/// Pointers as for reference SSYMM.
#[no_mangle]
pub unsafe extern "C" fn ssymm_(
    side: *const c_char, uplo: *const c_char, m: *const c_int, n: *const c_int, alpha: *const f32, a: *const f32,
    lda: *const c_int, b: *const f32, ldb: *const c_int, beta: *const f32, c: *mut f32, ldc: *const c_int,
    side_len: usize, uplo_len: usize,
) {
    // SAFETY: the caller's arguments; the CPU path gets them as they are.
    let cpu = move || unsafe { (CPU.ssymm.f)(side, uplo, m, n, alpha, a, lda, b, ldb, beta, c, ldc, side_len, uplo_len) };
    // SAFETY: the caller's guarantee.
    unsafe {
        symm(Routine::Ssymm, "SSYMM ", false, side, uplo, m, n, alpha, a, lda, b, ldb,
            beta, c, ldc, cpu)
    }
}

/// SSYRK: C := alpha A Aᵀ + beta C (TRANS = 'N') or alpha Aᵀ A + beta C
/// (single precision), only the UPLO triangle of C written.
///
/// # Safety
/// Pointers as for reference SSYRK.
#[no_mangle]
pub unsafe extern "C" fn ssyrk_(
    uplo: *const c_char, trans: *const c_char, n: *const c_int, k: *const c_int, alpha: *const f32, a: *const f32,
    lda: *const c_int, beta: *const f32, c: *mut f32, ldc: *const c_int, uplo_len: usize, trans_len: usize,
) {
    // SAFETY: the caller's arguments; the CPU path gets them as they are.
    let cpu = move || unsafe { (CPU.ssyrk.f)(uplo, trans, n, k, alpha, a, lda, beta, c, ldc, uplo_len, trans_len) };
    // SAFETY: the caller's guarantee.
    unsafe {
        rank_k(Routine::Ssyrk, "SSYRK ", Transposes::Real, uplo, trans, n, k, alpha, a, lda, None,
            beta, c, ldc, cpu)
    }
}

/// SSYR2K: C := alpha (A Bᵀ + B Aᵀ) + beta C (TRANS = 'N'), or the same with the
/// transposes first (single precision), only the UPLO triangle of C written.
///
/// # Safety
/// Pointers as for reference SSYR2K.
#[no_mangle]
pub unsafe extern "C" fn ssyr2k_(
    uplo: *const c_char, trans: *const c_char, n: *const c_int, k: *const c_int, alpha: *const f32, a: *const f32,
    lda: *const c_int, b: *const f32, ldb: *const c_int, beta: *const f32, c: *mut f32, ldc: *const c_int,
    uplo_len: usize, trans_len: usize,
) {
    // SAFETY: the caller's arguments; the CPU path gets them as they are.
    let cpu = move || unsafe { (CPU.ssyr2k.f)(uplo, trans, n, k, alpha, a, lda, b, ldb, beta, c, ldc, uplo_len, trans_len) };
    // SAFETY: the caller's guarantee.
    unsafe {
        rank_k(Routine::Ssyr2k, "SSYR2K", Transposes::Real, uplo, trans, n, k, alpha, a, lda,
            Some((b, ldb)), beta, c, ldc, cpu)
    }
}

/// STRMM: B := alpha op(A) B (SIDE = 'L') or alpha B op(A), A triangular (single precision; op(A) = A, Aᵀ or Aᴴ; DIAG = 'U': unit diagonal, not read).
///
/// # Safety
/// Pointers as for reference STRMM.
#[no_mangle]
pub unsafe extern "C" fn strmm_(
    side: *const c_char, uplo: *const c_char, transa: *const c_char, diag: *const c_char, m: *const c_int,
    n: *const c_int, alpha: *const f32, a: *const f32, lda: *const c_int, b: *mut f32, ldb: *const c_int,
    side_len: usize, uplo_len: usize, transa_len: usize, diag_len: usize,
) {
    // SAFETY: the caller's arguments; the CPU path gets them as they are.
    let cpu = move || unsafe {
        (CPU.strmm.f)(side, uplo, transa, diag, m, n, alpha, a, lda, b, ldb, side_len, uplo_len, transa_len, diag_len)
    };
    // SAFETY: the caller's guarantee.
    unsafe {
        triangular(Routine::Strmm, "STRMM ", None, side, uplo, transa, diag, m, n, alpha, a, lda,
            b, ldb, cpu)
    }
}

/// STRSM: B := alpha op(A)⁻¹ B (SIDE = 'L') or alpha B op(A)⁻¹, over B, A triangular (single precision; op(A) = A, Aᵀ or Aᴴ; DIAG = 'U': unit diagonal, not read).
///
/// # Safety
/// Pointers as for reference STRSM.
#[no_mangle]
pub unsafe extern "C" fn strsm_(
    side: *const c_char, uplo: *const c_char, transa: *const c_char, diag: *const c_char, m: *const c_int,
    n: *const c_int, alpha: *const f32, a: *const f32, lda: *const c_int, b: *mut f32, ldb: *const c_int,
    side_len: usize, uplo_len: usize, transa_len: usize, diag_len: usize,
) {
    // SAFETY: the caller's arguments; the CPU path gets them as they are.
    let cpu = move || unsafe {
        (CPU.strsm.f)(side, uplo, transa, diag, m, n, alpha, a, lda, b, ldb, side_len, uplo_len, transa_len, diag_len)
    };
    let solver = CPU.strsm.f;
    // SAFETY: the caller's guarantee.
    unsafe {
        triangular(Routine::Strsm, "STRSM ", Some(solver), side, uplo, transa, diag, m, n, alpha, a, lda,
            b, ldb, cpu)
    }
}

/// DSYMM: C := alpha A B + beta C (SIDE = 'L') or alpha B A + beta C, A
/// symmetric (double precision), only its UPLO triangle read.
///
/// # Safety
/// Pointers as for reference DSYMM.
#[no_mangle]
pub unsafe extern "C" fn dsymm_(
    side: *const c_char, uplo: *const c_char, m: *const c_int, n: *const c_int, alpha: *const f64, a: *const f64,
    lda: *const c_int, b: *const f64, ldb: *const c_int, beta: *const f64, c: *mut f64, ldc: *const c_int,
    side_len: usize, uplo_len: usize,
) {
    // SAFETY: the caller's arguments; the CPU path gets them as they are.
    let cpu = move || unsafe { (CPU.dsymm.f)(side, uplo, m, n, alpha, a, lda, b, ldb, beta, c, ldc, side_len, uplo_len) };
    // SAFETY: the caller's guarantee.
    unsafe {
        symm(Routine::Dsymm, "DSYMM ", false, side, uplo, m, n, alpha, a, lda, b, ldb,
            beta, c, ldc, cpu)
    }
}

/// DSYRK: C := alpha A Aᵀ + beta C (TRANS = 'N') or alpha Aᵀ A + beta C
/// (double precision), only the UPLO triangle of C written.
///
/// # Safety
/// Pointers as for reference DSYRK.
#[no_mangle]
pub unsafe extern "C" fn dsyrk_(
    uplo: *const c_char, trans: *const c_char, n: *const c_int, k: *const c_int, alpha: *const f64, a: *const f64,
    lda: *const c_int, beta: *const f64, c: *mut f64, ldc: *const c_int, uplo_len: usize, trans_len: usize,
) {
    // SAFETY: the caller's arguments; the CPU path gets them as they are.
    let cpu = move || unsafe { (CPU.dsyrk.f)(uplo, trans, n, k, alpha, a, lda, beta, c, ldc, uplo_len, trans_len) };
    // SAFETY: the caller's guarantee.
    unsafe {
        rank_k(Routine::Dsyrk, "DSYRK ", Transposes::Real, uplo, trans, n, k, alpha, a, lda, None,
            beta, c, ldc, cpu)
    }
}

/// DSYR2K: C := alpha (A Bᵀ + B Aᵀ) + beta C (TRANS = 'N'), or the same with the
/// transposes first (double precision), only the UPLO triangle of C written.
///
/// # Safety
/// Pointers as for reference DSYR2K.
#[no_mangle]
pub unsafe extern "C" fn dsyr2k_(
    uplo: *const c_char, trans: *const c_char, n: *const c_int, k: *const c_int, alpha: *const f64, a: *const f64,
    lda: *const c_int, b: *const f64, ldb: *const c_int, beta: *const f64, c: *mut f64, ldc: *const c_int,
    uplo_len: usize, trans_len: usize,
) {
    // SAFETY: the caller's arguments; the CPU path gets them as they are.
    let cpu = move || unsafe { (CPU.dsyr2k.f)(uplo, trans, n, k, alpha, a, lda, b, ldb, beta, c, ldc, uplo_len, trans_len) };
    // SAFETY: the caller's guarantee.
    unsafe {
        rank_k(Routine::Dsyr2k, "DSYR2K", Transposes::Real, uplo, trans, n, k, alpha, a, lda,
            Some((b, ldb)), beta, c, ldc, cpu)
    }
}

/// DTRMM: B := alpha op(A) B (SIDE = 'L') or alpha B op(A), A triangular (double precision; op(A) = A, Aᵀ or Aᴴ; DIAG = 'U': unit diagonal, not read).
///
/// # Safety
/// Pointers as for reference DTRMM.
#[no_mangle]
pub unsafe extern "C" fn dtrmm_(
    side: *const c_char, uplo: *const c_char, transa: *const c_char, diag: *const c_char, m: *const c_int,
    n: *const c_int, alpha: *const f64, a: *const f64, lda: *const c_int, b: *mut f64, ldb: *const c_int,
    side_len: usize, uplo_len: usize, transa_len: usize, diag_len: usize,
) {
    // SAFETY: the caller's arguments; the CPU path gets them as they are.
    let cpu = move || unsafe {
        (CPU.dtrmm.f)(side, uplo, transa, diag, m, n, alpha, a, lda, b, ldb, side_len, uplo_len, transa_len, diag_len)
    };
    // SAFETY: the caller's guarantee.
    unsafe {
        triangular(Routine::Dtrmm, "DTRMM ", None, side, uplo, transa, diag, m, n, alpha, a, lda,
            b, ldb, cpu)
    }
}

/// DTRSM: B := alpha op(A)⁻¹ B (SIDE = 'L') or alpha B op(A)⁻¹, over B, A triangular (double precision; op(A) = A, Aᵀ or Aᴴ; DIAG = 'U': unit diagonal, not read).
///
/// # Safety
/// Pointers as for reference DTRSM.
#[no_mangle]
pub unsafe extern "C" fn dtrsm_(
    side: *const c_char, uplo: *const c_char, transa: *const c_char, diag: *const c_char, m: *const c_int,
    n: *const c_int, alpha: *const f64, a: *const f64, lda: *const c_int, b: *mut f64, ldb: *const c_int,
    side_len: usize, uplo_len: usize, transa_len: usize, diag_len: usize,
) {
    // SAFETY: the caller's arguments; the CPU path gets them as they are.
    let cpu = move || unsafe {
        (CPU.dtrsm.f)(side, uplo, transa, diag, m, n, alpha, a, lda, b, ldb, side_len, uplo_len, transa_len, diag_len)
    };
    let solver = CPU.dtrsm.f;
    // SAFETY: the caller's guarantee.
    unsafe {
        triangular(Routine::Dtrsm, "DTRSM ", Some(solver), side, uplo, transa, diag, m, n, alpha, a, lda,
            b, ldb, cpu)
    }
}

/// CSYMM: C := alpha A B + beta C (SIDE = 'L') or alpha B A + beta C, A
/// symmetric (single complex), only its UPLO triangle read.
///
/// # Safety
/// Pointers as for reference CSYMM.
#[no_mangle]
pub unsafe extern "C" fn csymm_(
    side: *const c_char, uplo: *const c_char, m: *const c_int, n: *const c_int, alpha: *const c_void, a: *const c_void,
    lda: *const c_int, b: *const c_void, ldb: *const c_int, beta: *const c_void, c: *mut c_void, ldc: *const c_int,
    side_len: usize, uplo_len: usize,
) {
    type T = Complex<f32>;
    // SAFETY: the caller's arguments; the CPU path gets them as they are.
    let cpu = move || unsafe { (CPU.csymm.f)(side, uplo, m, n, alpha, a, lda, b, ldb, beta, c, ldc, side_len, uplo_len) };
    // SAFETY: the caller's guarantee; the pointers address complex data.
    unsafe {
        symm(Routine::Csymm, "CSYMM ", false, side, uplo, m, n, alpha as *const T, a as *const T, lda, b as *const T, ldb,
            beta as *const T, c as *mut T, ldc, cpu)
    }
}

/// CHEMM: C := alpha A B + beta C (SIDE = 'L') or alpha B A + beta C, A
/// Hermitian (single complex), only its UPLO triangle read.
///
/// # Safety
/// Pointers as for reference CHEMM.
#[no_mangle]
pub unsafe extern "C" fn chemm_(
    side: *const c_char, uplo: *const c_char, m: *const c_int, n: *const c_int, alpha: *const c_void, a: *const c_void,
    lda: *const c_int, b: *const c_void, ldb: *const c_int, beta: *const c_void, c: *mut c_void, ldc: *const c_int,
    side_len: usize, uplo_len: usize,
) {
    type T = Complex<f32>;
    // SAFETY: the caller's arguments; the CPU path gets them as they are.
    let cpu = move || unsafe { (CPU.chemm.f)(side, uplo, m, n, alpha, a, lda, b, ldb, beta, c, ldc, side_len, uplo_len) };
    // SAFETY: the caller's guarantee; the pointers address complex data.
    unsafe {
        symm(Routine::Chemm, "CHEMM ", true, side, uplo, m, n, alpha as *const T, a as *const T, lda, b as *const T, ldb,
            beta as *const T, c as *mut T, ldc, cpu)
    }
}

/// CSYRK: C := alpha A Aᵀ + beta C (TRANS = 'N') or alpha Aᵀ A + beta C
/// (single complex), only the UPLO triangle of C written.
///
/// # Safety
/// Pointers as for reference CSYRK.
#[no_mangle]
pub unsafe extern "C" fn csyrk_(
    uplo: *const c_char, trans: *const c_char, n: *const c_int, k: *const c_int, alpha: *const c_void, a: *const c_void,
    lda: *const c_int, beta: *const c_void, c: *mut c_void, ldc: *const c_int, uplo_len: usize, trans_len: usize,
) {
    type T = Complex<f32>;
    // SAFETY: the caller's arguments; the CPU path gets them as they are.
    let cpu = move || unsafe { (CPU.csyrk.f)(uplo, trans, n, k, alpha, a, lda, beta, c, ldc, uplo_len, trans_len) };
    // SAFETY: the caller's guarantee; the pointers address complex data.
    unsafe {
        rank_k(Routine::Csyrk, "CSYRK ", Transposes::Symmetric, uplo, trans, n, k, alpha as *const T, a as *const T, lda, None,
            beta as *const T, c as *mut T, ldc, cpu)
    }
}

/// CHERK: C := alpha A Aᴴ + beta C (TRANS = 'N') or alpha Aᴴ A + beta C
/// (single complex, ALPHA and BETA real), only the UPLO triangle of C written (its diagonal real).
///
/// # Safety
/// Pointers as for reference CHERK.
#[no_mangle]
pub unsafe extern "C" fn cherk_(
    uplo: *const c_char, trans: *const c_char, n: *const c_int, k: *const c_int, alpha: *const f32, a: *const c_void,
    lda: *const c_int, beta: *const f32, c: *mut c_void, ldc: *const c_int, uplo_len: usize, trans_len: usize,
) {
    type T = Complex<f32>;
    // SAFETY: the caller's arguments; the CPU path gets them as they are.
    let cpu = move || unsafe { (CPU.cherk.f)(uplo, trans, n, k, alpha, a, lda, beta, c, ldc, uplo_len, trans_len) };
    // SAFETY: the caller's guarantee; the pointers address complex data.
    unsafe {
        rank_k(Routine::Cherk, "CHERK ", Transposes::Hermitian, uplo, trans, n, k, alpha, a as *const T, lda, None,
            beta, c as *mut T, ldc, cpu)
    }
}

/// CSYR2K: C := alpha (A Bᵀ + B Aᵀ) + beta C (TRANS = 'N'), or the same with the
/// transposes first (single complex), only the UPLO triangle of C written.
///
/// # Safety
/// Pointers as for reference CSYR2K.
#[no_mangle]
pub unsafe extern "C" fn csyr2k_(
    uplo: *const c_char, trans: *const c_char, n: *const c_int, k: *const c_int, alpha: *const c_void, a: *const c_void,
    lda: *const c_int, b: *const c_void, ldb: *const c_int, beta: *const c_void, c: *mut c_void, ldc: *const c_int,
    uplo_len: usize, trans_len: usize,
) {
    type T = Complex<f32>;
    // SAFETY: the caller's arguments; the CPU path gets them as they are.
    let cpu = move || unsafe { (CPU.csyr2k.f)(uplo, trans, n, k, alpha, a, lda, b, ldb, beta, c, ldc, uplo_len, trans_len) };
    // SAFETY: the caller's guarantee; the pointers address complex data.
    unsafe {
        rank_k(Routine::Csyr2k, "CSYR2K", Transposes::Symmetric, uplo, trans, n, k, alpha as *const T, a as *const T, lda,
            Some((b as *const T, ldb)), beta as *const T, c as *mut T, ldc, cpu)
    }
}

/// CHER2K: C := alpha A Bᴴ + conj(alpha) B Aᴴ + beta C (TRANS = 'N'), or the same with the
/// transposes first (single complex, BETA real), only the UPLO triangle of C written (its diagonal real).
///
/// # Safety
/// Pointers as for reference CHER2K.
#[no_mangle]
pub unsafe extern "C" fn cher2k_(
    uplo: *const c_char, trans: *const c_char, n: *const c_int, k: *const c_int, alpha: *const c_void, a: *const c_void,
    lda: *const c_int, b: *const c_void, ldb: *const c_int, beta: *const f32, c: *mut c_void, ldc: *const c_int,
    uplo_len: usize, trans_len: usize,
) {
    type T = Complex<f32>;
    // SAFETY: the caller's arguments; the CPU path gets them as they are.
    let cpu = move || unsafe { (CPU.cher2k.f)(uplo, trans, n, k, alpha, a, lda, b, ldb, beta, c, ldc, uplo_len, trans_len) };
    // SAFETY: the caller's guarantee; the pointers address complex data.
    unsafe {
        rank_k(Routine::Cher2k, "CHER2K", Transposes::Hermitian, uplo, trans, n, k, alpha as *const T, a as *const T, lda,
            Some((b as *const T, ldb)), beta, c as *mut T, ldc, cpu)
    }
}

/// CTRMM: B := alpha op(A) B (SIDE = 'L') or alpha B op(A), A triangular (single complex; op(A) = A, Aᵀ or Aᴴ; DIAG = 'U': unit diagonal, not read).
///
/// # Safety
/// Pointers as for reference CTRMM.
#[no_mangle]
pub unsafe extern "C" fn ctrmm_(
    side: *const c_char, uplo: *const c_char, transa: *const c_char, diag: *const c_char, m: *const c_int,
    n: *const c_int, alpha: *const c_void, a: *const c_void, lda: *const c_int, b: *mut c_void, ldb: *const c_int,
    side_len: usize, uplo_len: usize, transa_len: usize, diag_len: usize,
) {
    type T = Complex<f32>;
    // SAFETY: the caller's arguments; the CPU path gets them as they are.
    let cpu = move || unsafe {
        (CPU.ctrmm.f)(side, uplo, transa, diag, m, n, alpha, a, lda, b, ldb, side_len, uplo_len, transa_len, diag_len)
    };
    // SAFETY: the caller's guarantee; the pointers address complex data.
    unsafe {
        triangular(Routine::Ctrmm, "CTRMM ", None, side, uplo, transa, diag, m, n, alpha as *const T, a as *const T, lda,
            b as *mut T, ldb, cpu)
    }
}

/// CTRSM: B := alpha op(A)⁻¹ B (SIDE = 'L') or alpha B op(A)⁻¹, over B, A triangular (single complex; op(A) = A, Aᵀ or Aᴴ; DIAG = 'U': unit diagonal, not read).
///
/// # Safety
/// Pointers as for reference CTRSM.
#[no_mangle]
pub unsafe extern "C" fn ctrsm_(
    side: *const c_char, uplo: *const c_char, transa: *const c_char, diag: *const c_char, m: *const c_int,
    n: *const c_int, alpha: *const c_void, a: *const c_void, lda: *const c_int, b: *mut c_void, ldb: *const c_int,
    side_len: usize, uplo_len: usize, transa_len: usize, diag_len: usize,
) {
    type T = Complex<f32>;
    // SAFETY: the caller's arguments; the CPU path gets them as they are.
    let cpu = move || unsafe {
        (CPU.ctrsm.f)(side, uplo, transa, diag, m, n, alpha, a, lda, b, ldb, side_len, uplo_len, transa_len, diag_len)
    };
    // SAFETY: the table's ?TRSM with COMPLEX by address is the same function
    // with the element type named.
    let solver = unsafe { std::mem::transmute::<gpu::TrsmFn<c_void>, gpu::TrsmFn<T>>(CPU.ctrsm.f) };
    // SAFETY: the caller's guarantee; the pointers address complex data.
    unsafe {
        triangular(Routine::Ctrsm, "CTRSM ", Some(solver), side, uplo, transa, diag, m, n, alpha as *const T, a as *const T, lda,
            b as *mut T, ldb, cpu)
    }
}

/// ZSYMM: C := alpha A B + beta C (SIDE = 'L') or alpha B A + beta C, A
/// symmetric (double complex), only its UPLO triangle read.
///
/// # Safety
/// Pointers as for reference ZSYMM.
#[no_mangle]
pub unsafe extern "C" fn zsymm_(
    side: *const c_char, uplo: *const c_char, m: *const c_int, n: *const c_int, alpha: *const c_void, a: *const c_void,
    lda: *const c_int, b: *const c_void, ldb: *const c_int, beta: *const c_void, c: *mut c_void, ldc: *const c_int,
    side_len: usize, uplo_len: usize,
) {
    type T = Complex<f64>;
    // SAFETY: the caller's arguments; the CPU path gets them as they are.
    let cpu = move || unsafe { (CPU.zsymm.f)(side, uplo, m, n, alpha, a, lda, b, ldb, beta, c, ldc, side_len, uplo_len) };
    // SAFETY: the caller's guarantee; the pointers address complex data.
    unsafe {
        symm(Routine::Zsymm, "ZSYMM ", false, side, uplo, m, n, alpha as *const T, a as *const T, lda, b as *const T, ldb,
            beta as *const T, c as *mut T, ldc, cpu)
    }
}

/// ZHEMM: C := alpha A B + beta C (SIDE = 'L') or alpha B A + beta C, A
/// Hermitian (double complex), only its UPLO triangle read.
///
/// # Safety
/// Pointers as for reference ZHEMM.
#[no_mangle]
pub unsafe extern "C" fn zhemm_(
    side: *const c_char, uplo: *const c_char, m: *const c_int, n: *const c_int, alpha: *const c_void, a: *const c_void,
    lda: *const c_int, b: *const c_void, ldb: *const c_int, beta: *const c_void, c: *mut c_void, ldc: *const c_int,
    side_len: usize, uplo_len: usize,
) {
    type T = Complex<f64>;
    // SAFETY: the caller's arguments; the CPU path gets them as they are.
    let cpu = move || unsafe { (CPU.zhemm.f)(side, uplo, m, n, alpha, a, lda, b, ldb, beta, c, ldc, side_len, uplo_len) };
    // SAFETY: the caller's guarantee; the pointers address complex data.
    unsafe {
        symm(Routine::Zhemm, "ZHEMM ", true, side, uplo, m, n, alpha as *const T, a as *const T, lda, b as *const T, ldb,
            beta as *const T, c as *mut T, ldc, cpu)
    }
}

/// ZSYRK: C := alpha A Aᵀ + beta C (TRANS = 'N') or alpha Aᵀ A + beta C
/// (double complex), only the UPLO triangle of C written.
///
/// # Safety
/// Pointers as for reference ZSYRK.
#[no_mangle]
pub unsafe extern "C" fn zsyrk_(
    uplo: *const c_char, trans: *const c_char, n: *const c_int, k: *const c_int, alpha: *const c_void, a: *const c_void,
    lda: *const c_int, beta: *const c_void, c: *mut c_void, ldc: *const c_int, uplo_len: usize, trans_len: usize,
) {
    type T = Complex<f64>;
    // SAFETY: the caller's arguments; the CPU path gets them as they are.
    let cpu = move || unsafe { (CPU.zsyrk.f)(uplo, trans, n, k, alpha, a, lda, beta, c, ldc, uplo_len, trans_len) };
    // SAFETY: the caller's guarantee; the pointers address complex data.
    unsafe {
        rank_k(Routine::Zsyrk, "ZSYRK ", Transposes::Symmetric, uplo, trans, n, k, alpha as *const T, a as *const T, lda, None,
            beta as *const T, c as *mut T, ldc, cpu)
    }
}

/// ZHERK: C := alpha A Aᴴ + beta C (TRANS = 'N') or alpha Aᴴ A + beta C
/// (double complex, ALPHA and BETA real), only the UPLO triangle of C written (its diagonal real).
///
/// # Safety
/// Pointers as for reference ZHERK.
#[no_mangle]
pub unsafe extern "C" fn zherk_(
    uplo: *const c_char, trans: *const c_char, n: *const c_int, k: *const c_int, alpha: *const f64, a: *const c_void,
    lda: *const c_int, beta: *const f64, c: *mut c_void, ldc: *const c_int, uplo_len: usize, trans_len: usize,
) {
    type T = Complex<f64>;
    // SAFETY: the caller's arguments; the CPU path gets them as they are.
    let cpu = move || unsafe { (CPU.zherk.f)(uplo, trans, n, k, alpha, a, lda, beta, c, ldc, uplo_len, trans_len) };
    // SAFETY: the caller's guarantee; the pointers address complex data.
    unsafe {
        rank_k(Routine::Zherk, "ZHERK ", Transposes::Hermitian, uplo, trans, n, k, alpha, a as *const T, lda, None,
            beta, c as *mut T, ldc, cpu)
    }
}

/// ZSYR2K: C := alpha (A Bᵀ + B Aᵀ) + beta C (TRANS = 'N'), or the same with the
/// transposes first (double complex), only the UPLO triangle of C written.
///
/// # Safety
/// Pointers as for reference ZSYR2K.
#[no_mangle]
pub unsafe extern "C" fn zsyr2k_(
    uplo: *const c_char, trans: *const c_char, n: *const c_int, k: *const c_int, alpha: *const c_void, a: *const c_void,
    lda: *const c_int, b: *const c_void, ldb: *const c_int, beta: *const c_void, c: *mut c_void, ldc: *const c_int,
    uplo_len: usize, trans_len: usize,
) {
    type T = Complex<f64>;
    // SAFETY: the caller's arguments; the CPU path gets them as they are.
    let cpu = move || unsafe { (CPU.zsyr2k.f)(uplo, trans, n, k, alpha, a, lda, b, ldb, beta, c, ldc, uplo_len, trans_len) };
    // SAFETY: the caller's guarantee; the pointers address complex data.
    unsafe {
        rank_k(Routine::Zsyr2k, "ZSYR2K", Transposes::Symmetric, uplo, trans, n, k, alpha as *const T, a as *const T, lda,
            Some((b as *const T, ldb)), beta as *const T, c as *mut T, ldc, cpu)
    }
}

/// ZHER2K: C := alpha A Bᴴ + conj(alpha) B Aᴴ + beta C (TRANS = 'N'), or the same with the
/// transposes first (double complex, BETA real), only the UPLO triangle of C written (its diagonal real).
///
/// # Safety
/// Pointers as for reference ZHER2K.
#[no_mangle]
pub unsafe extern "C" fn zher2k_(
    uplo: *const c_char, trans: *const c_char, n: *const c_int, k: *const c_int, alpha: *const c_void, a: *const c_void,
    lda: *const c_int, b: *const c_void, ldb: *const c_int, beta: *const f64, c: *mut c_void, ldc: *const c_int,
    uplo_len: usize, trans_len: usize,
) {
    type T = Complex<f64>;
    // SAFETY: the caller's arguments; the CPU path gets them as they are.
    let cpu = move || unsafe { (CPU.zher2k.f)(uplo, trans, n, k, alpha, a, lda, b, ldb, beta, c, ldc, uplo_len, trans_len) };
    // SAFETY: the caller's guarantee; the pointers address complex data.
    unsafe {
        rank_k(Routine::Zher2k, "ZHER2K", Transposes::Hermitian, uplo, trans, n, k, alpha as *const T, a as *const T, lda,
            Some((b as *const T, ldb)), beta, c as *mut T, ldc, cpu)
    }
}

/// ZTRMM: B := alpha op(A) B (SIDE = 'L') or alpha B op(A), A triangular (double complex; op(A) = A, Aᵀ or Aᴴ; DIAG = 'U': unit diagonal, not read).
///
/// # Safety
/// Pointers as for reference ZTRMM.
#[no_mangle]
pub unsafe extern "C" fn ztrmm_(
    side: *const c_char, uplo: *const c_char, transa: *const c_char, diag: *const c_char, m: *const c_int,
    n: *const c_int, alpha: *const c_void, a: *const c_void, lda: *const c_int, b: *mut c_void, ldb: *const c_int,
    side_len: usize, uplo_len: usize, transa_len: usize, diag_len: usize,
) {
    type T = Complex<f64>;
    // SAFETY: the caller's arguments; the CPU path gets them as they are.
    let cpu = move || unsafe {
        (CPU.ztrmm.f)(side, uplo, transa, diag, m, n, alpha, a, lda, b, ldb, side_len, uplo_len, transa_len, diag_len)
    };
    // SAFETY: the caller's guarantee; the pointers address complex data.
    unsafe {
        triangular(Routine::Ztrmm, "ZTRMM ", None, side, uplo, transa, diag, m, n, alpha as *const T, a as *const T, lda,
            b as *mut T, ldb, cpu)
    }
}

/// ZTRSM: B := alpha op(A)⁻¹ B (SIDE = 'L') or alpha B op(A)⁻¹, over B, A triangular (double complex; op(A) = A, Aᵀ or Aᴴ; DIAG = 'U': unit diagonal, not read).
///
/// # Safety
/// Pointers as for reference ZTRSM.
#[no_mangle]
pub unsafe extern "C" fn ztrsm_(
    side: *const c_char, uplo: *const c_char, transa: *const c_char, diag: *const c_char, m: *const c_int,
    n: *const c_int, alpha: *const c_void, a: *const c_void, lda: *const c_int, b: *mut c_void, ldb: *const c_int,
    side_len: usize, uplo_len: usize, transa_len: usize, diag_len: usize,
) {
    type T = Complex<f64>;
    // SAFETY: the caller's arguments; the CPU path gets them as they are.
    let cpu = move || unsafe {
        (CPU.ztrsm.f)(side, uplo, transa, diag, m, n, alpha, a, lda, b, ldb, side_len, uplo_len, transa_len, diag_len)
    };
    // SAFETY: the table's ?TRSM with COMPLEX by address is the same function
    // with the element type named.
    let solver = unsafe { std::mem::transmute::<gpu::TrsmFn<c_void>, gpu::TrsmFn<T>>(CPU.ztrsm.f) };
    // SAFETY: the caller's guarantee; the pointers address complex data.
    unsafe {
        triangular(Routine::Ztrsm, "ZTRSM ", Some(solver), side, uplo, transa, diag, m, n, alpha as *const T, a as *const T, lda,
            b as *mut T, ldb, cpu)
    }
}
