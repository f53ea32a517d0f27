//! `dsymm_`, `dsyrk_`, `dsyr2k_`, `dtrmm_`, `dtrsm_` (Fortran ABI, LP64
//! integers, gfortran's hidden CHARACTER lengths, of which only the first
//! character is read): their arguments read and checked as reference BLAS
//! checks them, the quick returns reference makes, and each call routed:
//! to the CPU BLAS's routine of the same name, or (DSYMM, DSYRK, DSYR2K,
//! DTRMM) to the GPU as products of the OpenCL engine's DGEMM, DTRSM as a
//! recursion of such products around diagonal blocks solved on the CPU
//! ([`super::gpu`]).

use super::check;
use super::gpu;
use crate::abi::{boundary, read, read_char};
use crate::dispatch::cost::gemm_terms;
use crate::dispatch::{self, Call, Routine};
use crate::engine::cpu::{xerbla, CPU};
use crate::ops::lsame;
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
unsafe fn scalar(srname: &str, p: *const f64, position: i32) -> Option<f64> {
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
/// (DSYRK's and DSYR2K's triangle of C, DTRMM's triangle of A): twice the
/// nominal flops, so the cost model halves the GPU's rate for it.
fn gpu_does_twice(rates: &mut crate::dispatch::cost::Rates, _flops: f64) {
    rates.gpu_gflops /= 2.0;
}

/// DSYMM: C := alpha A B + beta C (SIDE = 'L') or alpha B A + beta C
/// (SIDE = 'R'), A symmetric, only its UPLO triangle read.
///
/// # Safety
/// Pointers as for reference DSYMM.
#[no_mangle]
pub unsafe extern "C" fn dsymm_(
    side: *const c_char, uplo: *const c_char, m: *const c_int, n: *const c_int, alpha: *const f64, a: *const f64,
    lda: *const c_int, b: *const f64, ldb: *const c_int, beta: *const f64, c: *mut f64, ldc: *const c_int,
    side_len: usize, uplo_len: usize,
) {
    boundary("DSYMM", || {
        // SAFETY (reads): the caller's pointers, valid or null.
        let (sd, ul) = unsafe { (read_char(side), read_char(uplo)) };
        let (m, n, lda, ldb, ldc) = unsafe { (int(m), int(n), int(lda), int(ldb), int(ldc)) };
        let info = check::dsymm(sd, ul, m, n, lda, ldb, ldc);
        if info != 0 {
            return xerbla::report("DSYMM ", info);
        }
        let Some(al) = (unsafe { scalar("DSYMM ", alpha, 5) }) else { return };
        let Some(be) = (unsafe { scalar("DSYMM ", beta, 10) }) else { return };
        if check::dsymm_quick_return(m, n, al, be) {
            return;
        }
        let (mu, nu) = (m as usize, n as usize);
        let left = lsame(sd, b'L');
        let ka = if left { mu } else { nu };
        let (flops, bytes) = gemm_terms(mu, nu, ka, be);
        // A mirrored (ka x ka), C copied in and out.
        let bytes = bytes + copies(ka * ka + 2 * mu * nu);
        let call = Call {
            routine: Routine::Dsymm,
            describe: || format!("side={} uplo={} m={m} n={n} lda={lda} ldb={ldb} ldc={ldc}", sd as char, ul as char),
            flops,
            bytes,
            launches: 1.0,
            shape: crate::dispatch::cost::gemm_shape(false, false, mu, nu, ka),
            shape_name: crate::dispatch::cost::gemm_shape_name,
            adjust: None,
        };
        let cpu = |_: &mut ()| {
            // SAFETY: the caller's arguments, legal for DSYMM.
            unsafe { (CPU.dsymm.f)(side, uplo, &m, &n, &al, a, &lda, b, &ldb, &be, c, &ldc, side_len, uplo_len) }
        };
        let gpu_path = (al != 0.0).then_some(|_: &mut ()| {
            // SAFETY: the views of the caller's arrays, whose arguments
            // passed DSYMM's checks (A ka x ka, B and C m x n, each with
            // its leading dimension), C overlapping neither A nor B.
            unsafe { gpu::symm(left, lsame(ul, b'U'), mu, nu, al, a, lda, b, ldb, be, c, ldc) }
                .map_err(|e| dispatch::failure(e, cpu))
        });
        dispatch::run(call, &mut (), cpu, gpu_path);
    });
}

/// DSYRK: C := alpha A Aᵀ + beta C (TRANS = 'N') or alpha Aᵀ A + beta C,
/// only the UPLO triangle of C written.
///
/// # Safety
/// Pointers as for reference DSYRK.
#[no_mangle]
pub unsafe extern "C" fn dsyrk_(
    uplo: *const c_char, trans: *const c_char, n: *const c_int, k: *const c_int, alpha: *const f64, a: *const f64,
    lda: *const c_int, beta: *const f64, c: *mut f64, ldc: *const c_int, uplo_len: usize, trans_len: usize,
) {
    boundary("DSYRK", || {
        // SAFETY (reads): the caller's pointers, valid or null.
        let (ul, tr) = unsafe { (read_char(uplo), read_char(trans)) };
        let (n, k, lda, ldc) = unsafe { (int(n), int(k), int(lda), int(ldc)) };
        let info = check::dsyrk(ul, tr, n, k, lda, ldc);
        if info != 0 {
            return xerbla::report("DSYRK ", info);
        }
        let Some(al) = (unsafe { scalar("DSYRK ", alpha, 5) }) else { return };
        let Some(be) = (unsafe { scalar("DSYRK ", beta, 8) }) else { return };
        if check::dsyrk_quick_return(n, k, al, be) {
            return;
        }
        let (nu, ku) = (n as usize, k as usize);
        let notrans = lsame(tr, b'N');
        let (gemm_flops, bytes) = gemm_terms(nu, nu, ku, be);
        let call = Call {
            routine: Routine::Dsyrk,
            describe: || format!("uplo={} trans={} n={n} k={k} lda={lda} ldc={ldc}", ul as char, tr as char),
            flops: gemm_flops / 2.0,
            // C copied in and its triangle out.
            bytes: bytes + copies(2 * nu * nu),
            launches: 1.0,
            shape: crate::dispatch::cost::gemm_shape(!notrans, notrans, nu, nu, ku),
            shape_name: crate::dispatch::cost::gemm_shape_name,
            adjust: Some(gpu_does_twice),
        };
        let cpu = |_: &mut ()| {
            // SAFETY: the caller's arguments, legal for DSYRK.
            unsafe { (CPU.dsyrk.f)(uplo, trans, &n, &k, &al, a, &lda, &be, c, &ldc, uplo_len, trans_len) }
        };
        let gpu_path = (al != 0.0 && k > 0).then_some(|_: &mut ()| {
            // SAFETY: the views of the caller's arrays, legal for DSYRK
            // (A n x k, or k x n transposed; C n x n), C not overlapping A.
            unsafe { gpu::syr2k(lsame(ul, b'U'), notrans, nu, ku, al, a, lda, None, be, c, ldc) }
                .map_err(|e| dispatch::failure(e, cpu))
        });
        dispatch::run(call, &mut (), cpu, gpu_path);
    });
}

/// DSYR2K: C := alpha (A Bᵀ + B Aᵀ) + beta C (TRANS = 'N') or
/// alpha (Aᵀ B + Bᵀ A) + beta C, only the UPLO triangle of C written.
///
/// # Safety
/// Pointers as for reference DSYR2K.
#[no_mangle]
pub unsafe extern "C" fn dsyr2k_(
    uplo: *const c_char, trans: *const c_char, n: *const c_int, k: *const c_int, alpha: *const f64, a: *const f64,
    lda: *const c_int, b: *const f64, ldb: *const c_int, beta: *const f64, c: *mut f64, ldc: *const c_int,
    uplo_len: usize, trans_len: usize,
) {
    boundary("DSYR2K", || {
        // SAFETY (reads): the caller's pointers, valid or null.
        let (ul, tr) = unsafe { (read_char(uplo), read_char(trans)) };
        let (n, k, lda, ldb, ldc) = unsafe { (int(n), int(k), int(lda), int(ldb), int(ldc)) };
        let info = check::dsyr2k(ul, tr, n, k, lda, ldb, ldc);
        if info != 0 {
            return xerbla::report("DSYR2K", info);
        }
        let Some(al) = (unsafe { scalar("DSYR2K", alpha, 5) }) else { return };
        let Some(be) = (unsafe { scalar("DSYR2K", beta, 10) }) else { return };
        if check::dsyrk_quick_return(n, k, al, be) {
            return;
        }
        let (nu, ku) = (n as usize, k as usize);
        let notrans = lsame(tr, b'N');
        let (gemm_flops, bytes) = gemm_terms(nu, nu, ku, be);
        let call = Call {
            routine: Routine::Dsyr2k,
            describe: || {
                format!("uplo={} trans={} n={n} k={k} lda={lda} ldb={ldb} ldc={ldc}", ul as char, tr as char)
            },
            flops: gemm_flops,
            // B uploaded too; C copied in and its triangle out.
            bytes: bytes + (nu * ku * 8) as f64 + copies(2 * nu * nu),
            launches: 2.0,
            shape: crate::dispatch::cost::gemm_shape(!notrans, notrans, nu, nu, ku),
            shape_name: crate::dispatch::cost::gemm_shape_name,
            adjust: Some(gpu_does_twice),
        };
        let cpu = |_: &mut ()| {
            // SAFETY: the caller's arguments, legal for DSYR2K.
            unsafe { (CPU.dsyr2k.f)(uplo, trans, &n, &k, &al, a, &lda, b, &ldb, &be, c, &ldc, uplo_len, trans_len) }
        };
        let gpu_path = (al != 0.0 && k > 0).then_some(|_: &mut ()| {
            // SAFETY: as for DSYRK, with B of A's shape and LDB.
            unsafe { gpu::syr2k(lsame(ul, b'U'), notrans, nu, ku, al, a, lda, Some((b, ldb)), be, c, ldc) }
                .map_err(|e| dispatch::failure(e, cpu))
        });
        dispatch::run(call, &mut (), cpu, gpu_path);
    });
}

/// The scalars of DTRMM and DTRSM, read and checked (`srname`: the name
/// XERBLA reports); None after an illegal one was reported.
struct Triangular {
    sd: u8,
    ul: u8,
    ta: u8,
    dg: u8,
    m: c_int,
    n: c_int,
    alpha: f64,
    lda: c_int,
    ldb: c_int,
}

/// # Safety
/// Every pointer is null or valid for reading.
#[allow(clippy::too_many_arguments)]
unsafe fn read_triangular(
    srname: &str, side: *const c_char, uplo: *const c_char, transa: *const c_char, diag: *const c_char,
    m: *const c_int, n: *const c_int, alpha: *const f64, lda: *const c_int, ldb: *const c_int,
) -> Option<Triangular> {
    // SAFETY (reads): the caller's guarantee.
    let (sd, ul, ta, dg) = unsafe { (read_char(side), read_char(uplo), read_char(transa), read_char(diag)) };
    let (m, n, lda, ldb) = unsafe { (int(m), int(n), int(lda), int(ldb)) };
    let info = check::dtrmm(sd, ul, ta, dg, m, n, lda, ldb);
    if info != 0 {
        xerbla::report(srname, info);
        return None;
    }
    let alpha = unsafe { scalar(srname, alpha, 7) }?;
    Some(Triangular { sd, ul, ta, dg, m, n, alpha, lda, ldb })
}

/// DTRMM: B := alpha op(A) B (SIDE = 'L') or alpha B op(A), A triangular
/// (UPLO; DIAG = 'U': unit diagonal, not read).
///
/// # Safety
/// Pointers as for reference DTRMM.
#[no_mangle]
pub unsafe extern "C" fn dtrmm_(
    side: *const c_char, uplo: *const c_char, transa: *const c_char, diag: *const c_char, m: *const c_int,
    n: *const c_int, alpha: *const f64, a: *const f64, lda: *const c_int, b: *mut f64, ldb: *const c_int,
    side_len: usize, uplo_len: usize, transa_len: usize, diag_len: usize,
) {
    boundary("DTRMM", || {
        // SAFETY: the caller's pointers, valid or null.
        let Some(t) = (unsafe { read_triangular("DTRMM ", side, uplo, transa, diag, m, n, alpha, lda, ldb) }) else {
            return;
        };
        let Triangular { sd, ul, ta, dg, m, n, alpha: al, lda, ldb } = t;
        if m == 0 || n == 0 {
            return;
        }
        let (mu, nu) = (m as usize, n as usize);
        let left = lsame(sd, b'L');
        let ka = if left { mu } else { nu };
        let (gemm_flops, bytes) = gemm_terms(mu, nu, ka, 0.0);
        // A expanded (ka x ka); B copied in, the result out.
        let bytes = bytes + copies(ka * ka + 2 * mu * nu);
        let call = Call {
            routine: Routine::Dtrmm,
            describe: || {
                format!(
                    "side={} uplo={} transa={} diag={} m={m} n={n} lda={lda} ldb={ldb}",
                    sd as char, ul as char, ta as char, dg as char
                )
            },
            flops: gemm_flops / 2.0,
            bytes,
            launches: 1.0,
            shape: crate::dispatch::cost::gemm_shape(!lsame(ta, b'N'), false, mu, nu, ka),
            shape_name: crate::dispatch::cost::gemm_shape_name,
            adjust: Some(gpu_does_twice),
        };
        let cpu = |_: &mut ()| {
            // SAFETY: the caller's arguments, legal for DTRMM.
            unsafe {
                (CPU.dtrmm.f)(side, uplo, transa, diag, &m, &n, &al, a, &lda, b, &ldb, side_len, uplo_len, transa_len, diag_len)
            }
        };
        let gpu_path = (al != 0.0).then_some(|_: &mut ()| {
            let shape = gpu::Tri { left, upper: lsame(ul, b'U'), trans: !lsame(ta, b'N'), unit: lsame(dg, b'U') };
            // SAFETY: the views of the caller's arrays, legal for DTRMM
            // (A ka x ka, B m x n), B not overlapping A.
            unsafe { gpu::trmm(shape, mu, nu, al, a, lda, b, ldb) }.map_err(|e| dispatch::failure(e, cpu))
        });
        dispatch::run(call, &mut (), cpu, gpu_path);
    });
}

/// DTRSM: B := alpha op(A)⁻¹ B (SIDE = 'L') or alpha B op(A)⁻¹, A
/// triangular.
///
/// # Safety
/// Pointers as for reference DTRSM.
#[no_mangle]
pub unsafe extern "C" fn dtrsm_(
    side: *const c_char, uplo: *const c_char, transa: *const c_char, diag: *const c_char, m: *const c_int,
    n: *const c_int, alpha: *const f64, a: *const f64, lda: *const c_int, b: *mut f64, ldb: *const c_int,
    side_len: usize, uplo_len: usize, transa_len: usize, diag_len: usize,
) {
    boundary("DTRSM", || {
        // SAFETY: the caller's pointers, valid or null.
        let Some(t) = (unsafe { read_triangular("DTRSM ", side, uplo, transa, diag, m, n, alpha, lda, ldb) }) else {
            return;
        };
        let Triangular { sd, ul, ta, dg, m, n, alpha: al, lda, ldb } = t;
        if m == 0 || n == 0 {
            return;
        }
        let (mu, nu) = (m as f64, n as f64);
        let ka = if lsame(sd, b'L') { mu } else { nu };
        // The GPU path's traffic: at each level of its recursion, A's
        // off-diagonal blocks (half of A) up and B's rows (or columns) up
        // and down; and B copied in and out on the host.
        let levels = (ka / 256.0).log2().ceil().max(1.0);
        let call = Call {
            routine: Routine::Dtrsm,
            describe: || {
                format!(
                    "side={} uplo={} transa={} diag={} m={m} n={n} lda={lda} ldb={ldb}",
                    sd as char, ul as char, ta as char, dg as char
                )
            },
            flops: mu * nu * ka,
            bytes: 8.0 * (ka * ka / 2.0 + 3.0 * mu * nu) * levels + copies(m as usize * n as usize),
            launches: levels,
            shape: 0,
            shape_name: crate::dispatch::cost::plain_shape_name,
            adjust: None,
        };
        let cpu = |_: &mut ()| {
            // SAFETY: the caller's arguments, legal for DTRSM.
            unsafe {
                (CPU.dtrsm.f)(side, uplo, transa, diag, &m, &n, &al, a, &lda, b, &ldb, side_len, uplo_len, transa_len, diag_len)
            }
        };
        let gpu_path = (al != 0.0).then_some(|_: &mut ()| {
            let shape = gpu::Tri { left: lsame(sd, b'L'), upper: lsame(ul, b'U'), trans: !lsame(ta, b'N'), unit: lsame(dg, b'U') };
            // SAFETY: the views of the caller's arrays, legal for DTRSM
            // (A ka x ka, B m x n), B not overlapping A; the CPU's DTRSM.
            unsafe { gpu::trsm(shape, m as usize, n as usize, al, a, lda, b, ldb, CPU.dtrsm.f) }
                .map_err(|e| dispatch::failure(e, cpu))
        });
        dispatch::run(call, &mut (), cpu, gpu_path);
    });
}
