//! The CBLAS forms of the Level-3 routines besides GEMM, in the four
//! precisions: `cblas_?symm`, `cblas_?syrk`, `cblas_?syr2k`, `cblas_?trmm`,
//! `cblas_?trsm` and, complex, `cblas_?hemm`, `cblas_?herk`, `cblas_?her2k`,
//! with reference CBLAS's semantics: its checks of the layout and of each
//! enumeration, in its order and with its positions and messages; its
//! row-major mapping onto the Fortran routine (the transposed problem:
//! [`check::cblas_symm`], [`check::cblas_rank_k`],
//! [`check::cblas_triangular`]); then the Fortran routine's checks on the
//! mapped call, a failure reported as reference's F77 XERBLA does when
//! called from C: `cblas_xerbla(INFO + 1, ...)`, `RowMajorStrg` set for a
//! row-major call. A legal call is routed under its own name as the
//! Fortran routine's (src/ops/blas3/exports.rs), its CPU path the CPU
//! BLAS's Fortran routine with the mapped arguments.
//!
//! A null ALPHA or BETA passed by address (which reference would
//! dereference) computes nothing, as `cblas_zgemm`.

use super::check::{self, FortranRankK, FortranSymm, FortranTriangular, RankK, Transposes};
use super::exports::{rank_k_checked, symm_checked, triangular_checked};
use super::gpu::{self, Scalar};
use crate::abi::{boundary, read};
use crate::dispatch::Routine;
use crate::engine::cpu::{xerbla, CPU};
use crate::ops::gemm::precisions::{conj, Complex, Element};
use std::ffi::c_void;
use std::os::raw::{c_char, c_int};

/// `cblas_?symm`, `cblas_?hemm` (`herm`): checked (reported as `name`),
/// then routed; `cpu` runs the mapped call on the CPU BLAS.
///
/// # Safety
/// As for the reference CBLAS routine.
#[allow(clippy::too_many_arguments)]
unsafe fn symm<T: Scalar>(
    routine: Routine, name: &str, herm: bool, layout: c_int, side: c_int, uplo: c_int, m: c_int, n: c_int,
    alpha: Option<T>, a: *const T, lda: c_int, b: *const T, ldb: c_int, beta: Option<T>, c: *mut T, ldc: c_int,
    cpu: impl Fn(&FortranSymm) + Copy,
) {
    boundary(name, || match check::cblas_symm(layout, side, uplo, m, n, lda, ldb, ldc) {
        Err(e) => xerbla::report_cblas(&e, name),
        Ok(f) => {
            let (Some(al), Some(be)) = (alpha, beta) else { return };
            let cpu = move || cpu(&f);
            // SAFETY: the mapped call passed the Fortran routine's checks;
            // the arrays are the caller's, as reference CBLAS passes them.
            unsafe { symm_checked(routine, herm, f.side, f.uplo, f.m, f.n, al, a, lda, b, ldb, be, c, ldc, cpu) }
        }
    });
}

/// `cblas_?syrk`, `cblas_?herk`, `cblas_?syr2k`, `cblas_?her2k` (`which`;
/// `b`: B and LDB of the last two): checked (reported as `name`), then
/// routed with ALPHA conjugated where reference conjugates it; `cpu` runs
/// the mapped call, with the scalars given, on the CPU BLAS.
///
/// # Safety
/// As for the reference CBLAS routine.
#[allow(clippy::too_many_arguments)]
unsafe fn rank_k<T: Scalar, Al: Element, Be: Element>(
    routine: Routine, name: &str, which: RankK, layout: c_int, uplo: c_int, trans: c_int, n: c_int, k: c_int,
    alpha: Option<Al>, a: *const T, lda: c_int, b: Option<(*const T, c_int)>, beta: Option<Be>, c: *mut T,
    ldc: c_int, cpu: impl Fn(&FortranRankK, &Al, &Be) + Copy,
) {
    let ldb = b.map(|(_, ldb)| ldb);
    boundary(name, || match check::cblas_rank_k(which, layout, uplo, trans, n, k, lda, ldb, ldc) {
        Err(e) => xerbla::report_cblas(&e, name),
        Ok(f) => {
            let (Some(al), Some(be)) = (alpha, beta) else { return };
            let al = if f.conj_alpha { conj(al) } else { al };
            let cpu = move || cpu(&f, &al, &be);
            // SAFETY: the mapped call passed the Fortran routine's checks;
            // the arrays are the caller's, as reference CBLAS passes them.
            unsafe { rank_k_checked(routine, which.transposes(), f.uplo, f.trans, n, k, al, a, lda, b, be, c, ldc, cpu) }
        }
    });
}

/// `cblas_?trmm` (`solve` None), `cblas_?trsm` (`solve`: the CPU's ?TRSM,
/// for the GPU path's diagonal blocks): checked (reported as `name`), then
/// routed; `cpu` runs the mapped call on the CPU BLAS.
///
/// # Safety
/// As for the reference CBLAS routine.
#[allow(clippy::too_many_arguments)]
unsafe fn triangular<T: Scalar>(
    routine: Routine, name: &str, solve: Option<gpu::TrsmFn<T>>, layout: c_int, side: c_int, uplo: c_int,
    transa: c_int, diag: c_int, m: c_int, n: c_int, alpha: Option<T>, a: *const T, lda: c_int, b: *mut T, ldb: c_int,
    cpu: impl Fn(&FortranTriangular) + Copy,
) {
    boundary(name, || match check::cblas_triangular(layout, side, uplo, transa, diag, m, n, lda, ldb) {
        Err(e) => xerbla::report_cblas(&e, name),
        Ok(f) => {
            let Some(al) = alpha else { return };
            let cpu = move || cpu(&f);
            // SAFETY: the mapped call passed the Fortran routine's checks;
            // the arrays are the caller's, as reference CBLAS passes them.
            unsafe {
                triangular_checked(routine, solve, f.side, f.uplo, f.transa, f.diag, f.m, f.n, al, a, lda, b, ldb, cpu)
            }
        }
    });
}

/// CBLAS SSYMM: C := alpha A B + beta C (Side = CblasLeft) or alpha B A
/// + beta C, A symmetric (single precision), row- or column-major.
///
/// # Safety
/// As for reference `cblas_ssymm`.
#[no_mangle]
pub unsafe extern "C" fn cblas_ssymm(
    layout: c_int, side: c_int, uplo: c_int, m: c_int, n: c_int, alpha: f32, a: *const f32, lda: c_int,
    b: *const f32, ldb: c_int, beta: f32, c: *mut f32, ldc: c_int,
) {
    let cpu = move |f: &FortranSymm| {
        let (sd, ul) = (f.side as c_char, f.uplo as c_char);
        // SAFETY: the caller's arrays and scalars with the mapped call's
        // arguments, which passed the Fortran routine's checks.
        unsafe { (CPU.ssymm.f)(&sd, &ul, &f.m, &f.n, &alpha, a, &lda, b, &ldb, &beta, c, &ldc, 1, 1) }
    };
    // SAFETY: the caller's guarantee.
    unsafe {
        symm(Routine::CblasSsymm, "cblas_ssymm", false, layout, side, uplo, m, n, Some(alpha), a, lda,
            b, ldb, Some(beta), c, ldc, cpu)
    }
}

/// CBLAS SSYRK: C := alpha A Aᵀ + beta C (Trans = CblasNoTrans) or alpha Aᵀ A + beta C, one triangle of C (single precision), row- or
/// column-major.
///
/// # Safety
/// As for reference `cblas_ssyrk`.
#[no_mangle]
pub unsafe extern "C" fn cblas_ssyrk(
    layout: c_int, uplo: c_int, trans: c_int, n: c_int, k: c_int, alpha: f32, a: *const f32, lda: c_int,
    beta: f32, c: *mut f32, ldc: c_int,
) {
    let cpu = move |f: &FortranRankK, al: &f32, be: &f32| {
        let (ul, tr) = (f.uplo as c_char, f.trans as c_char);
        // SAFETY: the caller's arrays with the mapped call's arguments,
        // which passed the Fortran routine's checks; the scalars ours.
        unsafe { (CPU.ssyrk.f)(&ul, &tr, &n, &k, al, a, &lda, be, c, &ldc, 1, 1) }
    };
    // SAFETY: the caller's guarantee.
    unsafe {
        rank_k(Routine::CblasSsyrk, "cblas_ssyrk", RankK::Syrk(Transposes::Real), layout, uplo, trans, n, k, Some(alpha), a, lda,
            None, Some(beta), c, ldc, cpu)
    }
}

/// CBLAS SSYR2K: C := alpha (A Bᵀ + B Aᵀ) + beta C (Trans = CblasNoTrans) or the same
/// with the transposes first, one triangle of C (single precision), row- or
/// column-major.
///
/// # Safety
/// As for reference `cblas_ssyr2k`.
#[no_mangle]
pub unsafe extern "C" fn cblas_ssyr2k(
    layout: c_int, uplo: c_int, trans: c_int, n: c_int, k: c_int, alpha: f32, a: *const f32, lda: c_int,
    b: *const f32, ldb: c_int, beta: f32, c: *mut f32, ldc: c_int,
) {
    let cpu = move |f: &FortranRankK, al: &f32, be: &f32| {
        let (ul, tr) = (f.uplo as c_char, f.trans as c_char);
        // SAFETY: the caller's arrays with the mapped call's arguments,
        // which passed the Fortran routine's checks; the scalars ours.
        unsafe { (CPU.ssyr2k.f)(&ul, &tr, &n, &k, al, a, &lda, b, &ldb, be, c, &ldc, 1, 1) }
    };
    // SAFETY: the caller's guarantee.
    unsafe {
        rank_k(Routine::CblasSsyr2k, "cblas_ssyr2k", RankK::Syr2k(Transposes::Real), layout, uplo, trans, n, k, Some(alpha), a, lda,
            Some((b, ldb)), Some(beta), c, ldc, cpu)
    }
}

/// CBLAS STRMM: B := alpha op(A) B (Side = CblasLeft) or alpha B op(A), A triangular (single precision), row- or column-major.
///
/// # Safety
/// As for reference `cblas_strmm`.
#[no_mangle]
pub unsafe extern "C" fn cblas_strmm(
    layout: c_int, side: c_int, uplo: c_int, transa: c_int, diag: c_int, m: c_int, n: c_int, alpha: f32,
    a: *const f32, lda: c_int, b: *mut f32, ldb: c_int,
) {
    let cpu = move |f: &FortranTriangular| {
        let (sd, ul, ta, dg) = (f.side as c_char, f.uplo as c_char, f.transa as c_char, f.diag as c_char);
        // SAFETY: the caller's arrays and ALPHA with the mapped call's
        // arguments, which passed the Fortran routine's checks.
        unsafe { (CPU.strmm.f)(&sd, &ul, &ta, &dg, &f.m, &f.n, &alpha, a, &lda, b, &ldb, 1, 1, 1, 1) }
    };
    // SAFETY: the caller's guarantee.
    unsafe {
        triangular(Routine::CblasStrmm, "cblas_strmm", None, layout, side, uplo, transa, diag, m, n, Some(alpha), a,
            lda, b, ldb, cpu)
    }
}

/// CBLAS STRSM: B := alpha op(A)⁻¹ B (Side = CblasLeft) or alpha B op(A)⁻¹, over B,
/// A triangular (single precision), row- or column-major.
///
/// # Safety
/// As for reference `cblas_strsm`.
#[no_mangle]
pub unsafe extern "C" fn cblas_strsm(
    layout: c_int, side: c_int, uplo: c_int, transa: c_int, diag: c_int, m: c_int, n: c_int, alpha: f32,
    a: *const f32, lda: c_int, b: *mut f32, ldb: c_int,
) {
    let cpu = move |f: &FortranTriangular| {
        let (sd, ul, ta, dg) = (f.side as c_char, f.uplo as c_char, f.transa as c_char, f.diag as c_char);
        // SAFETY: the caller's arrays and ALPHA with the mapped call's
        // arguments, which passed the Fortran routine's checks.
        unsafe { (CPU.strsm.f)(&sd, &ul, &ta, &dg, &f.m, &f.n, &alpha, a, &lda, b, &ldb, 1, 1, 1, 1) }
    };
    let solver = CPU.strsm.f;
    // SAFETY: the caller's guarantee.
    unsafe {
        triangular(Routine::CblasStrsm, "cblas_strsm", Some(solver), layout, side, uplo, transa, diag, m, n, Some(alpha), a,
            lda, b, ldb, cpu)
    }
}

/// CBLAS DSYMM: C := alpha A B + beta C (Side = CblasLeft) or alpha B A
/// + beta C, A symmetric (double precision), row- or column-major.
///
/// # Safety
/// As for reference `cblas_dsymm`.
#[no_mangle]
pub unsafe extern "C" fn cblas_dsymm(
    layout: c_int, side: c_int, uplo: c_int, m: c_int, n: c_int, alpha: f64, a: *const f64, lda: c_int,
    b: *const f64, ldb: c_int, beta: f64, c: *mut f64, ldc: c_int,
) {
    let cpu = move |f: &FortranSymm| {
        let (sd, ul) = (f.side as c_char, f.uplo as c_char);
        // SAFETY: the caller's arrays and scalars with the mapped call's
        // arguments, which passed the Fortran routine's checks.
        unsafe { (CPU.dsymm.f)(&sd, &ul, &f.m, &f.n, &alpha, a, &lda, b, &ldb, &beta, c, &ldc, 1, 1) }
    };
    // SAFETY: the caller's guarantee.
    unsafe {
        symm(Routine::CblasDsymm, "cblas_dsymm", false, layout, side, uplo, m, n, Some(alpha), a, lda,
            b, ldb, Some(beta), c, ldc, cpu)
    }
}

/// CBLAS DSYRK: C := alpha A Aᵀ + beta C (Trans = CblasNoTrans) or alpha Aᵀ A + beta C, one triangle of C (double precision), row- or
/// column-major.
///
/// # Safety
/// As for reference `cblas_dsyrk`.
#[no_mangle]
pub unsafe extern "C" fn cblas_dsyrk(
    layout: c_int, uplo: c_int, trans: c_int, n: c_int, k: c_int, alpha: f64, a: *const f64, lda: c_int,
    beta: f64, c: *mut f64, ldc: c_int,
) {
    let cpu = move |f: &FortranRankK, al: &f64, be: &f64| {
        let (ul, tr) = (f.uplo as c_char, f.trans as c_char);
        // SAFETY: the caller's arrays with the mapped call's arguments,
        // which passed the Fortran routine's checks; the scalars ours.
        unsafe { (CPU.dsyrk.f)(&ul, &tr, &n, &k, al, a, &lda, be, c, &ldc, 1, 1) }
    };
    // SAFETY: the caller's guarantee.
    unsafe {
        rank_k(Routine::CblasDsyrk, "cblas_dsyrk", RankK::Syrk(Transposes::Real), layout, uplo, trans, n, k, Some(alpha), a, lda,
            None, Some(beta), c, ldc, cpu)
    }
}

/// CBLAS DSYR2K: C := alpha (A Bᵀ + B Aᵀ) + beta C (Trans = CblasNoTrans) or the same
/// with the transposes first, one triangle of C (double precision), row- or
/// column-major.
///
/// # Safety
/// As for reference `cblas_dsyr2k`.
#[no_mangle]
pub unsafe extern "C" fn cblas_dsyr2k(
    layout: c_int, uplo: c_int, trans: c_int, n: c_int, k: c_int, alpha: f64, a: *const f64, lda: c_int,
    b: *const f64, ldb: c_int, beta: f64, c: *mut f64, ldc: c_int,
) {
    let cpu = move |f: &FortranRankK, al: &f64, be: &f64| {
        let (ul, tr) = (f.uplo as c_char, f.trans as c_char);
        // SAFETY: the caller's arrays with the mapped call's arguments,
        // which passed the Fortran routine's checks; the scalars ours.
        unsafe { (CPU.dsyr2k.f)(&ul, &tr, &n, &k, al, a, &lda, b, &ldb, be, c, &ldc, 1, 1) }
    };
    // SAFETY: the caller's guarantee.
    unsafe {
        rank_k(Routine::CblasDsyr2k, "cblas_dsyr2k", RankK::Syr2k(Transposes::Real), layout, uplo, trans, n, k, Some(alpha), a, lda,
            Some((b, ldb)), Some(beta), c, ldc, cpu)
    }
}

/// CBLAS DTRMM: B := alpha op(A) B (Side = CblasLeft) or alpha B op(A), A triangular (double precision), row- or column-major.
///
/// # Safety
/// As for reference `cblas_dtrmm`.
#[no_mangle]
pub unsafe extern "C" fn cblas_dtrmm(
    layout: c_int, side: c_int, uplo: c_int, transa: c_int, diag: c_int, m: c_int, n: c_int, alpha: f64,
    a: *const f64, lda: c_int, b: *mut f64, ldb: c_int,
) {
    let cpu = move |f: &FortranTriangular| {
        let (sd, ul, ta, dg) = (f.side as c_char, f.uplo as c_char, f.transa as c_char, f.diag as c_char);
        // SAFETY: the caller's arrays and ALPHA with the mapped call's
        // arguments, which passed the Fortran routine's checks.
        unsafe { (CPU.dtrmm.f)(&sd, &ul, &ta, &dg, &f.m, &f.n, &alpha, a, &lda, b, &ldb, 1, 1, 1, 1) }
    };
    // SAFETY: the caller's guarantee.
    unsafe {
        triangular(Routine::CblasDtrmm, "cblas_dtrmm", None, layout, side, uplo, transa, diag, m, n, Some(alpha), a,
            lda, b, ldb, cpu)
    }
}

/// CBLAS DTRSM: B := alpha op(A)⁻¹ B (Side = CblasLeft) or alpha B op(A)⁻¹, over B,
/// A triangular (double precision), row- or column-major.
///
/// # Safety
/// As for reference `cblas_dtrsm`.
#[no_mangle]
pub unsafe extern "C" fn cblas_dtrsm(
    layout: c_int, side: c_int, uplo: c_int, transa: c_int, diag: c_int, m: c_int, n: c_int, alpha: f64,
    a: *const f64, lda: c_int, b: *mut f64, ldb: c_int,
) {
    let cpu = move |f: &FortranTriangular| {
        let (sd, ul, ta, dg) = (f.side as c_char, f.uplo as c_char, f.transa as c_char, f.diag as c_char);
        // SAFETY: the caller's arrays and ALPHA with the mapped call's
        // arguments, which passed the Fortran routine's checks.
        unsafe { (CPU.dtrsm.f)(&sd, &ul, &ta, &dg, &f.m, &f.n, &alpha, a, &lda, b, &ldb, 1, 1, 1, 1) }
    };
    let solver = CPU.dtrsm.f;
    // SAFETY: the caller's guarantee.
    unsafe {
        triangular(Routine::CblasDtrsm, "cblas_dtrsm", Some(solver), layout, side, uplo, transa, diag, m, n, Some(alpha), a,
            lda, b, ldb, cpu)
    }
}

/// CBLAS CSYMM: C := alpha A B + beta C (Side = CblasLeft) or alpha B A
/// + beta C, A symmetric (single complex; ALPHA and BETA by address), row- or column-major.
///
/// # Safety
/// As for reference `cblas_csymm`.
#[no_mangle]
pub unsafe extern "C" fn cblas_csymm(
    layout: c_int, side: c_int, uplo: c_int, m: c_int, n: c_int, alpha: *const c_void, a: *const c_void, lda: c_int,
    b: *const c_void, ldb: c_int, beta: *const c_void, c: *mut c_void, ldc: c_int,
) {
    type T = Complex<f32>;
    let cpu = move |f: &FortranSymm| {
        let (sd, ul) = (f.side as c_char, f.uplo as c_char);
        // SAFETY: the caller's arrays and scalars with the mapped call's
        // arguments, which passed the Fortran routine's checks.
        unsafe { (CPU.csymm.f)(&sd, &ul, &f.m, &f.n, alpha, a, &lda, b, &ldb, beta, c, &ldc, 1, 1) }
    };
    // SAFETY: the caller's guarantee; ALPHA and BETA address complex scalars (or are null).
    unsafe {
        symm(Routine::CblasCsymm, "cblas_csymm", false, layout, side, uplo, m, n, read(alpha as *const T), a as *const T, lda,
            b as *const T, ldb, read(beta as *const T), c as *mut T, ldc, cpu)
    }
}

/// CBLAS CHEMM: C := alpha A B + beta C (Side = CblasLeft) or alpha B A
/// + beta C, A Hermitian (single complex; ALPHA and BETA by address), row- or column-major.
///
/// # Safety
/// As for reference `cblas_chemm`.
#[no_mangle]
pub unsafe extern "C" fn cblas_chemm(
    layout: c_int, side: c_int, uplo: c_int, m: c_int, n: c_int, alpha: *const c_void, a: *const c_void, lda: c_int,
    b: *const c_void, ldb: c_int, beta: *const c_void, c: *mut c_void, ldc: c_int,
) {
    type T = Complex<f32>;
    let cpu = move |f: &FortranSymm| {
        let (sd, ul) = (f.side as c_char, f.uplo as c_char);
        // SAFETY: the caller's arrays and scalars with the mapped call's
        // arguments, which passed the Fortran routine's checks.
        unsafe { (CPU.chemm.f)(&sd, &ul, &f.m, &f.n, alpha, a, &lda, b, &ldb, beta, c, &ldc, 1, 1) }
    };
    // SAFETY: the caller's guarantee; ALPHA and BETA address complex scalars (or are null).
    unsafe {
        symm(Routine::CblasChemm, "cblas_chemm", true, layout, side, uplo, m, n, read(alpha as *const T), a as *const T, lda,
            b as *const T, ldb, read(beta as *const T), c as *mut T, ldc, cpu)
    }
}

/// CBLAS CSYRK: C := alpha A Aᵀ + beta C (Trans = CblasNoTrans) or alpha Aᵀ A + beta C, one triangle of C (single complex; ALPHA and BETA by address), row- or
/// column-major.
///
/// # Safety
/// As for reference `cblas_csyrk`.
#[no_mangle]
pub unsafe extern "C" fn cblas_csyrk(
    layout: c_int, uplo: c_int, trans: c_int, n: c_int, k: c_int, alpha: *const c_void, a: *const c_void, lda: c_int,
    beta: *const c_void, c: *mut c_void, ldc: c_int,
) {
    type T = Complex<f32>;
    let cpu = move |f: &FortranRankK, al: &T, be: &T| {
        let (ul, tr) = (f.uplo as c_char, f.trans as c_char);
        // SAFETY: the caller's arrays with the mapped call's arguments,
        // which passed the Fortran routine's checks; the scalars ours.
        unsafe { (CPU.csyrk.f)(&ul, &tr, &n, &k, al as *const T as *const c_void, a, &lda, be as *const T as *const c_void, c, &ldc, 1, 1) }
    };
    // SAFETY: the caller's guarantee; complex scalars by address (or null).
    unsafe {
        rank_k(Routine::CblasCsyrk, "cblas_csyrk", RankK::Syrk(Transposes::Symmetric), layout, uplo, trans, n, k, read(alpha as *const T), a as *const T, lda,
            None, read(beta as *const T), c as *mut T, ldc, cpu)
    }
}

/// CBLAS CSYR2K: C := alpha (A Bᵀ + B Aᵀ) + beta C (Trans = CblasNoTrans) or the same
/// with the transposes first, one triangle of C (single complex; ALPHA and BETA by address), row- or
/// column-major.
///
/// # Safety
/// As for reference `cblas_csyr2k`.
#[no_mangle]
pub unsafe extern "C" fn cblas_csyr2k(
    layout: c_int, uplo: c_int, trans: c_int, n: c_int, k: c_int, alpha: *const c_void, a: *const c_void, lda: c_int,
    b: *const c_void, ldb: c_int, beta: *const c_void, c: *mut c_void, ldc: c_int,
) {
    type T = Complex<f32>;
    let cpu = move |f: &FortranRankK, al: &T, be: &T| {
        let (ul, tr) = (f.uplo as c_char, f.trans as c_char);
        // SAFETY: the caller's arrays with the mapped call's arguments,
        // which passed the Fortran routine's checks; the scalars ours.
        unsafe { (CPU.csyr2k.f)(&ul, &tr, &n, &k, al as *const T as *const c_void, a, &lda, b, &ldb, be as *const T as *const c_void, c, &ldc, 1, 1) }
    };
    // SAFETY: the caller's guarantee; complex scalars by address (or null).
    unsafe {
        rank_k(Routine::CblasCsyr2k, "cblas_csyr2k", RankK::Syr2k(Transposes::Symmetric), layout, uplo, trans, n, k, read(alpha as *const T), a as *const T, lda,
            Some((b as *const T, ldb)), read(beta as *const T), c as *mut T, ldc, cpu)
    }
}

/// CBLAS CHERK: C := alpha A Aᴴ + beta C (Trans = CblasNoTrans) or alpha Aᴴ A + beta C, one triangle of C (single complex; ALPHA and BETA real), row- or
/// column-major.
///
/// # Safety
/// As for reference `cblas_cherk`.
#[no_mangle]
pub unsafe extern "C" fn cblas_cherk(
    layout: c_int, uplo: c_int, trans: c_int, n: c_int, k: c_int, alpha: f32, a: *const c_void, lda: c_int,
    beta: f32, c: *mut c_void, ldc: c_int,
) {
    type T = Complex<f32>;
    let cpu = move |f: &FortranRankK, al: &f32, be: &f32| {
        let (ul, tr) = (f.uplo as c_char, f.trans as c_char);
        // SAFETY: the caller's arrays with the mapped call's arguments,
        // which passed the Fortran routine's checks; the scalars ours.
        unsafe { (CPU.cherk.f)(&ul, &tr, &n, &k, al, a, &lda, be, c, &ldc, 1, 1) }
    };
    // SAFETY: the caller's guarantee.
    unsafe {
        rank_k(Routine::CblasCherk, "cblas_cherk", RankK::Herk, layout, uplo, trans, n, k, Some(alpha), a as *const T, lda,
            None, Some(beta), c as *mut T, ldc, cpu)
    }
}

/// CBLAS CHER2K: C := alpha A Bᴴ + conj(alpha) B Aᴴ + beta C (Trans = CblasNoTrans) or
/// the same with the conjugate transposes first, one triangle of C (single complex; ALPHA by address, BETA real; row major
/// passes conj(ALPHA) to the Fortran routine, as reference does), row- or
/// column-major.
///
/// # Safety
/// As for reference `cblas_cher2k`.
#[no_mangle]
pub unsafe extern "C" fn cblas_cher2k(
    layout: c_int, uplo: c_int, trans: c_int, n: c_int, k: c_int, alpha: *const c_void, a: *const c_void, lda: c_int,
    b: *const c_void, ldb: c_int, beta: f32, c: *mut c_void, ldc: c_int,
) {
    type T = Complex<f32>;
    let cpu = move |f: &FortranRankK, al: &T, be: &f32| {
        let (ul, tr) = (f.uplo as c_char, f.trans as c_char);
        // SAFETY: the caller's arrays with the mapped call's arguments,
        // which passed the Fortran routine's checks; the scalars ours.
        unsafe { (CPU.cher2k.f)(&ul, &tr, &n, &k, al as *const T as *const c_void, a, &lda, b, &ldb, be, c, &ldc, 1, 1) }
    };
    // SAFETY: the caller's guarantee; complex scalars by address (or null).
    unsafe {
        rank_k(Routine::CblasCher2k, "cblas_cher2k", RankK::Her2k, layout, uplo, trans, n, k, read(alpha as *const T), a as *const T, lda,
            Some((b as *const T, ldb)), Some(beta), c as *mut T, ldc, cpu)
    }
}

/// CBLAS CTRMM: B := alpha op(A) B (Side = CblasLeft) or alpha B op(A), A triangular (single complex; ALPHA by address), row- or column-major.
///
/// # Safety
/// As for reference `cblas_ctrmm`.
#[no_mangle]
pub unsafe extern "C" fn cblas_ctrmm(
    layout: c_int, side: c_int, uplo: c_int, transa: c_int, diag: c_int, m: c_int, n: c_int, alpha: *const c_void,
    a: *const c_void, lda: c_int, b: *mut c_void, ldb: c_int,
) {
    type T = Complex<f32>;
    let cpu = move |f: &FortranTriangular| {
        let (sd, ul, ta, dg) = (f.side as c_char, f.uplo as c_char, f.transa as c_char, f.diag as c_char);
        // SAFETY: the caller's arrays and ALPHA with the mapped call's
        // arguments, which passed the Fortran routine's checks.
        unsafe { (CPU.ctrmm.f)(&sd, &ul, &ta, &dg, &f.m, &f.n, alpha, a, &lda, b, &ldb, 1, 1, 1, 1) }
    };
    // SAFETY: the caller's guarantee; ALPHA addresses a complex scalar (or is null).
    unsafe {
        triangular(Routine::CblasCtrmm, "cblas_ctrmm", None, layout, side, uplo, transa, diag, m, n, read(alpha as *const T), a as *const T,
            lda, b as *mut T, ldb, cpu)
    }
}

/// CBLAS CTRSM: B := alpha op(A)⁻¹ B (Side = CblasLeft) or alpha B op(A)⁻¹, over B,
/// A triangular (single complex; ALPHA by address), row- or column-major.
///
/// # Safety
/// As for reference `cblas_ctrsm`.
#[no_mangle]
pub unsafe extern "C" fn cblas_ctrsm(
    layout: c_int, side: c_int, uplo: c_int, transa: c_int, diag: c_int, m: c_int, n: c_int, alpha: *const c_void,
    a: *const c_void, lda: c_int, b: *mut c_void, ldb: c_int,
) {
    type T = Complex<f32>;
    let cpu = move |f: &FortranTriangular| {
        let (sd, ul, ta, dg) = (f.side as c_char, f.uplo as c_char, f.transa as c_char, f.diag as c_char);
        // SAFETY: the caller's arrays and ALPHA with the mapped call's
        // arguments, which passed the Fortran routine's checks.
        unsafe { (CPU.ctrsm.f)(&sd, &ul, &ta, &dg, &f.m, &f.n, alpha, a, &lda, b, &ldb, 1, 1, 1, 1) }
    };
    // SAFETY: the table's ?TRSM with COMPLEX by address is the same function
    // with the element type named.
    let solver = unsafe { std::mem::transmute::<gpu::TrsmFn<c_void>, gpu::TrsmFn<T>>(CPU.ctrsm.f) };
    // SAFETY: the caller's guarantee; ALPHA addresses a complex scalar (or is null).
    unsafe {
        triangular(Routine::CblasCtrsm, "cblas_ctrsm", Some(solver), layout, side, uplo, transa, diag, m, n, read(alpha as *const T), a as *const T,
            lda, b as *mut T, ldb, cpu)
    }
}

/// CBLAS ZSYMM: C := alpha A B + beta C (Side = CblasLeft) or alpha B A
/// + beta C, A symmetric (double complex; ALPHA and BETA by address), row- or column-major.
///
/// # Safety
/// As for reference `cblas_zsymm`.
#[no_mangle]
pub unsafe extern "C" fn cblas_zsymm(
    layout: c_int, side: c_int, uplo: c_int, m: c_int, n: c_int, alpha: *const c_void, a: *const c_void, lda: c_int,
    b: *const c_void, ldb: c_int, beta: *const c_void, c: *mut c_void, ldc: c_int,
) {
    type T = Complex<f64>;
    let cpu = move |f: &FortranSymm| {
        let (sd, ul) = (f.side as c_char, f.uplo as c_char);
        // SAFETY: the caller's arrays and scalars with the mapped call's
        // arguments, which passed the Fortran routine's checks.
        unsafe { (CPU.zsymm.f)(&sd, &ul, &f.m, &f.n, alpha, a, &lda, b, &ldb, beta, c, &ldc, 1, 1) }
    };
    // SAFETY: the caller's guarantee; ALPHA and BETA address complex scalars (or are null).
    unsafe {
        symm(Routine::CblasZsymm, "cblas_zsymm", false, layout, side, uplo, m, n, read(alpha as *const T), a as *const T, lda,
            b as *const T, ldb, read(beta as *const T), c as *mut T, ldc, cpu)
    }
}

/// CBLAS ZHEMM: C := alpha A B + beta C (Side = CblasLeft) or alpha B A
/// + beta C, A Hermitian (double complex; ALPHA and BETA by address), row- or column-major.
///
/// # Safety
/// As for reference `cblas_zhemm`.
#[no_mangle]
pub unsafe extern "C" fn cblas_zhemm(
    layout: c_int, side: c_int, uplo: c_int, m: c_int, n: c_int, alpha: *const c_void, a: *const c_void, lda: c_int,
    b: *const c_void, ldb: c_int, beta: *const c_void, c: *mut c_void, ldc: c_int,
) {
    type T = Complex<f64>;
    let cpu = move |f: &FortranSymm| {
        let (sd, ul) = (f.side as c_char, f.uplo as c_char);
        // SAFETY: the caller's arrays and scalars with the mapped call's
        // arguments, which passed the Fortran routine's checks.
        unsafe { (CPU.zhemm.f)(&sd, &ul, &f.m, &f.n, alpha, a, &lda, b, &ldb, beta, c, &ldc, 1, 1) }
    };
    // SAFETY: the caller's guarantee; ALPHA and BETA address complex scalars (or are null).
    unsafe {
        symm(Routine::CblasZhemm, "cblas_zhemm", true, layout, side, uplo, m, n, read(alpha as *const T), a as *const T, lda,
            b as *const T, ldb, read(beta as *const T), c as *mut T, ldc, cpu)
    }
}

/// CBLAS ZSYRK: C := alpha A Aᵀ + beta C (Trans = CblasNoTrans) or alpha Aᵀ A + beta C, one triangle of C (double complex; ALPHA and BETA by address), row- or
/// column-major.
///
/// # Safety
/// As for reference `cblas_zsyrk`.
#[no_mangle]
pub unsafe extern "C" fn cblas_zsyrk(
    layout: c_int, uplo: c_int, trans: c_int, n: c_int, k: c_int, alpha: *const c_void, a: *const c_void, lda: c_int,
    beta: *const c_void, c: *mut c_void, ldc: c_int,
) {
    type T = Complex<f64>;
    let cpu = move |f: &FortranRankK, al: &T, be: &T| {
        let (ul, tr) = (f.uplo as c_char, f.trans as c_char);
        // SAFETY: the caller's arrays with the mapped call's arguments,
        // which passed the Fortran routine's checks; the scalars ours.
        unsafe { (CPU.zsyrk.f)(&ul, &tr, &n, &k, al as *const T as *const c_void, a, &lda, be as *const T as *const c_void, c, &ldc, 1, 1) }
    };
    // SAFETY: the caller's guarantee; complex scalars by address (or null).
    unsafe {
        rank_k(Routine::CblasZsyrk, "cblas_zsyrk", RankK::Syrk(Transposes::Symmetric), layout, uplo, trans, n, k, read(alpha as *const T), a as *const T, lda,
            None, read(beta as *const T), c as *mut T, ldc, cpu)
    }
}

/// CBLAS ZSYR2K: C := alpha (A Bᵀ + B Aᵀ) + beta C (Trans = CblasNoTrans) or the same
/// with the transposes first, one triangle of C (double complex; ALPHA and BETA by address), row- or
/// column-major.
///
/// # Safety
/// As for reference `cblas_zsyr2k`.
#[no_mangle]
pub unsafe extern "C" fn cblas_zsyr2k(
    layout: c_int, uplo: c_int, trans: c_int, n: c_int, k: c_int, alpha: *const c_void, a: *const c_void, lda: c_int,
    b: *const c_void, ldb: c_int, beta: *const c_void, c: *mut c_void, ldc: c_int,
) {
    type T = Complex<f64>;
    let cpu = move |f: &FortranRankK, al: &T, be: &T| {
        let (ul, tr) = (f.uplo as c_char, f.trans as c_char);
        // SAFETY: the caller's arrays with the mapped call's arguments,
        // which passed the Fortran routine's checks; the scalars ours.
        unsafe { (CPU.zsyr2k.f)(&ul, &tr, &n, &k, al as *const T as *const c_void, a, &lda, b, &ldb, be as *const T as *const c_void, c, &ldc, 1, 1) }
    };
    // SAFETY: the caller's guarantee; complex scalars by address (or null).
    unsafe {
        rank_k(Routine::CblasZsyr2k, "cblas_zsyr2k", RankK::Syr2k(Transposes::Symmetric), layout, uplo, trans, n, k, read(alpha as *const T), a as *const T, lda,
            Some((b as *const T, ldb)), read(beta as *const T), c as *mut T, ldc, cpu)
    }
}

/// CBLAS ZHERK: C := alpha A Aᴴ + beta C (Trans = CblasNoTrans) or alpha Aᴴ A + beta C, one triangle of C (double complex; ALPHA and BETA real), row- or
/// column-major.
///
/// # Safety
/// As for reference `cblas_zherk`.
#[no_mangle]
pub unsafe extern "C" fn cblas_zherk(
    layout: c_int, uplo: c_int, trans: c_int, n: c_int, k: c_int, alpha: f64, a: *const c_void, lda: c_int,
    beta: f64, c: *mut c_void, ldc: c_int,
) {
    type T = Complex<f64>;
    let cpu = move |f: &FortranRankK, al: &f64, be: &f64| {
        let (ul, tr) = (f.uplo as c_char, f.trans as c_char);
        // SAFETY: the caller's arrays with the mapped call's arguments,
        // which passed the Fortran routine's checks; the scalars ours.
        unsafe { (CPU.zherk.f)(&ul, &tr, &n, &k, al, a, &lda, be, c, &ldc, 1, 1) }
    };
    // SAFETY: the caller's guarantee.
    unsafe {
        rank_k(Routine::CblasZherk, "cblas_zherk", RankK::Herk, layout, uplo, trans, n, k, Some(alpha), a as *const T, lda,
            None, Some(beta), c as *mut T, ldc, cpu)
    }
}

/// CBLAS ZHER2K: C := alpha A Bᴴ + conj(alpha) B Aᴴ + beta C (Trans = CblasNoTrans) or
/// the same with the conjugate transposes first, one triangle of C (double complex; ALPHA by address, BETA real; row major
/// passes conj(ALPHA) to the Fortran routine, as reference does), row- or
/// column-major.
///
/// # Safety
/// As for reference `cblas_zher2k`.
#[no_mangle]
pub unsafe extern "C" fn cblas_zher2k(
    layout: c_int, uplo: c_int, trans: c_int, n: c_int, k: c_int, alpha: *const c_void, a: *const c_void, lda: c_int,
    b: *const c_void, ldb: c_int, beta: f64, c: *mut c_void, ldc: c_int,
) {
    type T = Complex<f64>;
    let cpu = move |f: &FortranRankK, al: &T, be: &f64| {
        let (ul, tr) = (f.uplo as c_char, f.trans as c_char);
        // SAFETY: the caller's arrays with the mapped call's arguments,
        // which passed the Fortran routine's checks; the scalars ours.
        unsafe { (CPU.zher2k.f)(&ul, &tr, &n, &k, al as *const T as *const c_void, a, &lda, b, &ldb, be, c, &ldc, 1, 1) }
    };
    // SAFETY: the caller's guarantee; complex scalars by address (or null).
    unsafe {
        rank_k(Routine::CblasZher2k, "cblas_zher2k", RankK::Her2k, layout, uplo, trans, n, k, read(alpha as *const T), a as *const T, lda,
            Some((b as *const T, ldb)), Some(beta), c as *mut T, ldc, cpu)
    }
}

/// CBLAS ZTRMM: B := alpha op(A) B (Side = CblasLeft) or alpha B op(A), A triangular (double complex; ALPHA by address), row- or column-major.
///
/// # Safety
/// As for reference `cblas_ztrmm`.
#[no_mangle]
pub unsafe extern "C" fn cblas_ztrmm(
    layout: c_int, side: c_int, uplo: c_int, transa: c_int, diag: c_int, m: c_int, n: c_int, alpha: *const c_void,
    a: *const c_void, lda: c_int, b: *mut c_void, ldb: c_int,
) {
    type T = Complex<f64>;
    let cpu = move |f: &FortranTriangular| {
        let (sd, ul, ta, dg) = (f.side as c_char, f.uplo as c_char, f.transa as c_char, f.diag as c_char);
        // SAFETY: the caller's arrays and ALPHA with the mapped call's
        // arguments, which passed the Fortran routine's checks.
        unsafe { (CPU.ztrmm.f)(&sd, &ul, &ta, &dg, &f.m, &f.n, alpha, a, &lda, b, &ldb, 1, 1, 1, 1) }
    };
    // SAFETY: the caller's guarantee; ALPHA addresses a complex scalar (or is null).
    unsafe {
        triangular(Routine::CblasZtrmm, "cblas_ztrmm", None, layout, side, uplo, transa, diag, m, n, read(alpha as *const T), a as *const T,
            lda, b as *mut T, ldb, cpu)
    }
}

/// CBLAS ZTRSM: B := alpha op(A)⁻¹ B (Side = CblasLeft) or alpha B op(A)⁻¹, over B,
/// A triangular (double complex; ALPHA by address), row- or column-major.
///
/// # Safety
/// As for reference `cblas_ztrsm`.
#[no_mangle]
pub unsafe extern "C" fn cblas_ztrsm(
    layout: c_int, side: c_int, uplo: c_int, transa: c_int, diag: c_int, m: c_int, n: c_int, alpha: *const c_void,
    a: *const c_void, lda: c_int, b: *mut c_void, ldb: c_int,
) {
    type T = Complex<f64>;
    let cpu = move |f: &FortranTriangular| {
        let (sd, ul, ta, dg) = (f.side as c_char, f.uplo as c_char, f.transa as c_char, f.diag as c_char);
        // SAFETY: the caller's arrays and ALPHA with the mapped call's
        // arguments, which passed the Fortran routine's checks.
        unsafe { (CPU.ztrsm.f)(&sd, &ul, &ta, &dg, &f.m, &f.n, alpha, a, &lda, b, &ldb, 1, 1, 1, 1) }
    };
    // SAFETY: the table's ?TRSM with COMPLEX by address is the same function
    // with the element type named.
    let solver = unsafe { std::mem::transmute::<gpu::TrsmFn<c_void>, gpu::TrsmFn<T>>(CPU.ztrsm.f) };
    // SAFETY: the caller's guarantee; ALPHA addresses a complex scalar (or is null).
    unsafe {
        triangular(Routine::CblasZtrsm, "cblas_ztrsm", Some(solver), layout, side, uplo, transa, diag, m, n, read(alpha as *const T), a as *const T,
            lda, b as *mut T, ldb, cpu)
    }
}
