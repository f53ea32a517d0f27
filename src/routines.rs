//! The one table of routines: every routine the library exports, routes
//! and counts, each declared once, in [`for_each_routine!`].
//!
//! The table is an "X-macro" (libblastrampoline keeps its exported symbols
//! the same way, in one list that several expansions read): it hands the
//! whole list to a macro of the caller's, which picks what it needs. From
//! it come
//! - [`Routine`], the identifier of a routine in the counters, the profile,
//!   the monitor and the log, with its symbol and family (here);
//! - the CPU backend: a function type per CPU routine, the resolution of
//!   each (configured library, next in process, bundled reference) and the
//!   bundled reference's renamed declarations (src/engine/cpu/mod.rs);
//! - [`exported_symbols`], which `tests/exports.rs` compares with `nm -D` and
//!   `tests/header.rs` with the declarations of `include/lapack_ai.h`.
//!
//! Each routine's exported function, argument checks, cost terms and GPU
//! algorithm live in its family's folder (src/ops/FAMILY/); adding a
//! routine is a line here and its code there.
//!
//! An entry of `interposed`: the identifier, the exported symbol, the
//! precision (S, D, C, Z), the family, the CPU routine's name and its
//! Fortran signature; of `extensions`: the same, with the CPU routine of
//! another entry instead of a signature.
//!
//! The four groups:
//! - `interposed`: standard LAPACK/BLAS routines the library exports under
//!   their own names, and whose CPU path is the CPU LAPACK's routine of the
//!   same name; with that routine's Fortran ABI (LP64 integers, gfortran's
//!   hidden CHARACTER lengths last);
//! - `extensions`: routines the library exports that run, on the CPU path,
//!   another routine's CPU counterpart (CBLAS's `cblas_dgemm` runs DGEMM);
//! - `host`: CPU routines the GPU paths call for their host steps, not
//!   exported;
//! - `api`: the library's own C functions, exported.

/// Hands the table to `$callback!` (see the module docs for the groups).
macro_rules! for_each_routine {
    ($callback:ident) => {
        $callback! {
            interposed {
                /// C := alpha op(A) op(B) + beta C.
                Dgemm "dgemm_" D Gemm dgemm(
                    transa: *const c_char, transb: *const c_char, m: *const c_int, n: *const c_int, k: *const c_int,
                    alpha: *const f64, a: *const f64, lda: *const c_int, b: *const f64, ldb: *const c_int,
                    beta: *const f64, c: *mut f64, ldc: *const c_int, transa_len: usize, transb_len: usize
                );
                /// C := alpha op(A) op(B) + beta C, single precision.
                Sgemm "sgemm_" S Gemm sgemm(
                    transa: *const c_char, transb: *const c_char, m: *const c_int, n: *const c_int, k: *const c_int,
                    alpha: *const f32, a: *const f32, lda: *const c_int, b: *const f32, ldb: *const c_int,
                    beta: *const f32, c: *mut f32, ldc: *const c_int, transa_len: usize, transb_len: usize
                );
                /// C := alpha op(A) op(B) + beta C, single complex (scalars
                /// and arrays as gfortran passes COMPLEX: addresses of
                /// (real, imaginary) pairs).
                Cgemm "cgemm_" C Gemm cgemm(
                    transa: *const c_char, transb: *const c_char, m: *const c_int, n: *const c_int, k: *const c_int,
                    alpha: *const c_void, a: *const c_void, lda: *const c_int, b: *const c_void, ldb: *const c_int,
                    beta: *const c_void, c: *mut c_void, ldc: *const c_int, transa_len: usize, transb_len: usize
                );
                /// C := alpha op(A) op(B) + beta C, double complex.
                Zgemm "zgemm_" Z Gemm zgemm(
                    transa: *const c_char, transb: *const c_char, m: *const c_int, n: *const c_int, k: *const c_int,
                    alpha: *const c_void, a: *const c_void, lda: *const c_int, b: *const c_void, ldb: *const c_int,
                    beta: *const c_void, c: *mut c_void, ldc: *const c_int, transa_len: usize, transb_len: usize
                );
                /// C := alpha A B + beta C or alpha B A + beta C, A symmetric.
                Ssymm "ssymm_" S Blas3 ssymm(
                    side: *const c_char, uplo: *const c_char, m: *const c_int, n: *const c_int, alpha: *const f32,
                    a: *const f32, lda: *const c_int, b: *const f32, ldb: *const c_int, beta: *const f32, c: *mut f32,
                    ldc: *const c_int, side_len: usize, uplo_len: usize
                );
                /// C := alpha A Aᵀ + beta C or alpha Aᵀ A + beta C, one triangle of C.
                Ssyrk "ssyrk_" S Blas3 ssyrk(
                    uplo: *const c_char, trans: *const c_char, n: *const c_int, k: *const c_int, alpha: *const f32,
                    a: *const f32, lda: *const c_int, beta: *const f32, c: *mut f32, ldc: *const c_int,
                    uplo_len: usize, trans_len: usize
                );
                /// C := alpha (A Bᵀ + B Aᵀ) + beta C or the same transposed first, one triangle of C.
                Ssyr2k "ssyr2k_" S Blas3 ssyr2k(
                    uplo: *const c_char, trans: *const c_char, n: *const c_int, k: *const c_int, alpha: *const f32,
                    a: *const f32, lda: *const c_int, b: *const f32, ldb: *const c_int, beta: *const f32, c: *mut f32,
                    ldc: *const c_int, uplo_len: usize, trans_len: usize
                );
                /// B := alpha op(A) B (SIDE = 'L') or alpha B op(A), A triangular.
                Strmm "strmm_" S Blas3 strmm(
                    side: *const c_char, uplo: *const c_char, transa: *const c_char, diag: *const c_char,
                    m: *const c_int, n: *const c_int, alpha: *const f32, a: *const f32, lda: *const c_int, b: *mut f32,
                    ldb: *const c_int, side_len: usize, uplo_len: usize, transa_len: usize, diag_len: usize
                );
                /// B := alpha op(A)⁻¹ B (SIDE = 'L') or alpha B op(A)⁻¹, over B, A triangular.
                Strsm "strsm_" S Blas3 strsm(
                    side: *const c_char, uplo: *const c_char, transa: *const c_char, diag: *const c_char,
                    m: *const c_int, n: *const c_int, alpha: *const f32, a: *const f32, lda: *const c_int, b: *mut f32,
                    ldb: *const c_int, side_len: usize, uplo_len: usize, transa_len: usize, diag_len: usize
                );
                /// C := alpha A B + beta C or alpha B A + beta C, A symmetric.
                Dsymm "dsymm_" D Blas3 dsymm(
                    side: *const c_char, uplo: *const c_char, m: *const c_int, n: *const c_int, alpha: *const f64,
                    a: *const f64, lda: *const c_int, b: *const f64, ldb: *const c_int, beta: *const f64, c: *mut f64,
                    ldc: *const c_int, side_len: usize, uplo_len: usize
                );
                /// C := alpha A Aᵀ + beta C or alpha Aᵀ A + beta C, one triangle of C.
                Dsyrk "dsyrk_" D Blas3 dsyrk(
                    uplo: *const c_char, trans: *const c_char, n: *const c_int, k: *const c_int, alpha: *const f64,
                    a: *const f64, lda: *const c_int, beta: *const f64, c: *mut f64, ldc: *const c_int,
                    uplo_len: usize, trans_len: usize
                );
                /// C := alpha (A Bᵀ + B Aᵀ) + beta C or the same transposed first, one triangle of C.
                Dsyr2k "dsyr2k_" D Blas3 dsyr2k(
                    uplo: *const c_char, trans: *const c_char, n: *const c_int, k: *const c_int, alpha: *const f64,
                    a: *const f64, lda: *const c_int, b: *const f64, ldb: *const c_int, beta: *const f64, c: *mut f64,
                    ldc: *const c_int, uplo_len: usize, trans_len: usize
                );
                /// B := alpha op(A) B (SIDE = 'L') or alpha B op(A), A triangular.
                Dtrmm "dtrmm_" D Blas3 dtrmm(
                    side: *const c_char, uplo: *const c_char, transa: *const c_char, diag: *const c_char,
                    m: *const c_int, n: *const c_int, alpha: *const f64, a: *const f64, lda: *const c_int, b: *mut f64,
                    ldb: *const c_int, side_len: usize, uplo_len: usize, transa_len: usize, diag_len: usize
                );
                /// B := alpha op(A)⁻¹ B (SIDE = 'L') or alpha B op(A)⁻¹, over B, A triangular.
                Dtrsm "dtrsm_" D Blas3 dtrsm(
                    side: *const c_char, uplo: *const c_char, transa: *const c_char, diag: *const c_char,
                    m: *const c_int, n: *const c_int, alpha: *const f64, a: *const f64, lda: *const c_int, b: *mut f64,
                    ldb: *const c_int, side_len: usize, uplo_len: usize, transa_len: usize, diag_len: usize
                );
                /// C := alpha A B + beta C or alpha B A + beta C, A symmetric.
                Csymm "csymm_" C Blas3 csymm(
                    side: *const c_char, uplo: *const c_char, m: *const c_int, n: *const c_int, alpha: *const c_void,
                    a: *const c_void, lda: *const c_int, b: *const c_void, ldb: *const c_int, beta: *const c_void, c: *mut c_void,
                    ldc: *const c_int, side_len: usize, uplo_len: usize
                );
                /// C := alpha A B + beta C or alpha B A + beta C, A Hermitian.
                Chemm "chemm_" C Blas3 chemm(
                    side: *const c_char, uplo: *const c_char, m: *const c_int, n: *const c_int, alpha: *const c_void,
                    a: *const c_void, lda: *const c_int, b: *const c_void, ldb: *const c_int, beta: *const c_void, c: *mut c_void,
                    ldc: *const c_int, side_len: usize, uplo_len: usize
                );
                /// C := alpha A Aᵀ + beta C or alpha Aᵀ A + beta C, one triangle of C.
                Csyrk "csyrk_" C Blas3 csyrk(
                    uplo: *const c_char, trans: *const c_char, n: *const c_int, k: *const c_int, alpha: *const c_void,
                    a: *const c_void, lda: *const c_int, beta: *const c_void, c: *mut c_void, ldc: *const c_int,
                    uplo_len: usize, trans_len: usize
                );
                /// C := alpha A Aᴴ + beta C or alpha Aᴴ A + beta C, one triangle of C.
                Cherk "cherk_" C Blas3 cherk(
                    uplo: *const c_char, trans: *const c_char, n: *const c_int, k: *const c_int, alpha: *const f32,
                    a: *const c_void, lda: *const c_int, beta: *const f32, c: *mut c_void, ldc: *const c_int,
                    uplo_len: usize, trans_len: usize
                );
                /// C := alpha (A Bᵀ + B Aᵀ) + beta C or the same transposed first, one triangle of C.
                Csyr2k "csyr2k_" C Blas3 csyr2k(
                    uplo: *const c_char, trans: *const c_char, n: *const c_int, k: *const c_int, alpha: *const c_void,
                    a: *const c_void, lda: *const c_int, b: *const c_void, ldb: *const c_int, beta: *const c_void, c: *mut c_void,
                    ldc: *const c_int, uplo_len: usize, trans_len: usize
                );
                /// C := alpha A Bᴴ + conj(alpha) B Aᴴ + beta C or the same transposed first, one triangle of C.
                Cher2k "cher2k_" C Blas3 cher2k(
                    uplo: *const c_char, trans: *const c_char, n: *const c_int, k: *const c_int, alpha: *const c_void,
                    a: *const c_void, lda: *const c_int, b: *const c_void, ldb: *const c_int, beta: *const f32, c: *mut c_void,
                    ldc: *const c_int, uplo_len: usize, trans_len: usize
                );
                /// B := alpha op(A) B (SIDE = 'L') or alpha B op(A), A triangular.
                Ctrmm "ctrmm_" C Blas3 ctrmm(
                    side: *const c_char, uplo: *const c_char, transa: *const c_char, diag: *const c_char,
                    m: *const c_int, n: *const c_int, alpha: *const c_void, a: *const c_void, lda: *const c_int, b: *mut c_void,
                    ldb: *const c_int, side_len: usize, uplo_len: usize, transa_len: usize, diag_len: usize
                );
                /// B := alpha op(A)⁻¹ B (SIDE = 'L') or alpha B op(A)⁻¹, over B, A triangular.
                Ctrsm "ctrsm_" C Blas3 ctrsm(
                    side: *const c_char, uplo: *const c_char, transa: *const c_char, diag: *const c_char,
                    m: *const c_int, n: *const c_int, alpha: *const c_void, a: *const c_void, lda: *const c_int, b: *mut c_void,
                    ldb: *const c_int, side_len: usize, uplo_len: usize, transa_len: usize, diag_len: usize
                );
                /// C := alpha A B + beta C or alpha B A + beta C, A symmetric.
                Zsymm "zsymm_" Z Blas3 zsymm(
                    side: *const c_char, uplo: *const c_char, m: *const c_int, n: *const c_int, alpha: *const c_void,
                    a: *const c_void, lda: *const c_int, b: *const c_void, ldb: *const c_int, beta: *const c_void, c: *mut c_void,
                    ldc: *const c_int, side_len: usize, uplo_len: usize
                );
                /// C := alpha A B + beta C or alpha B A + beta C, A Hermitian.
                Zhemm "zhemm_" Z Blas3 zhemm(
                    side: *const c_char, uplo: *const c_char, m: *const c_int, n: *const c_int, alpha: *const c_void,
                    a: *const c_void, lda: *const c_int, b: *const c_void, ldb: *const c_int, beta: *const c_void, c: *mut c_void,
                    ldc: *const c_int, side_len: usize, uplo_len: usize
                );
                /// C := alpha A Aᵀ + beta C or alpha Aᵀ A + beta C, one triangle of C.
                Zsyrk "zsyrk_" Z Blas3 zsyrk(
                    uplo: *const c_char, trans: *const c_char, n: *const c_int, k: *const c_int, alpha: *const c_void,
                    a: *const c_void, lda: *const c_int, beta: *const c_void, c: *mut c_void, ldc: *const c_int,
                    uplo_len: usize, trans_len: usize
                );
                /// C := alpha A Aᴴ + beta C or alpha Aᴴ A + beta C, one triangle of C.
                Zherk "zherk_" Z Blas3 zherk(
                    uplo: *const c_char, trans: *const c_char, n: *const c_int, k: *const c_int, alpha: *const f64,
                    a: *const c_void, lda: *const c_int, beta: *const f64, c: *mut c_void, ldc: *const c_int,
                    uplo_len: usize, trans_len: usize
                );
                /// C := alpha (A Bᵀ + B Aᵀ) + beta C or the same transposed first, one triangle of C.
                Zsyr2k "zsyr2k_" Z Blas3 zsyr2k(
                    uplo: *const c_char, trans: *const c_char, n: *const c_int, k: *const c_int, alpha: *const c_void,
                    a: *const c_void, lda: *const c_int, b: *const c_void, ldb: *const c_int, beta: *const c_void, c: *mut c_void,
                    ldc: *const c_int, uplo_len: usize, trans_len: usize
                );
                /// C := alpha A Bᴴ + conj(alpha) B Aᴴ + beta C or the same transposed first, one triangle of C.
                Zher2k "zher2k_" Z Blas3 zher2k(
                    uplo: *const c_char, trans: *const c_char, n: *const c_int, k: *const c_int, alpha: *const c_void,
                    a: *const c_void, lda: *const c_int, b: *const c_void, ldb: *const c_int, beta: *const f64, c: *mut c_void,
                    ldc: *const c_int, uplo_len: usize, trans_len: usize
                );
                /// B := alpha op(A) B (SIDE = 'L') or alpha B op(A), A triangular.
                Ztrmm "ztrmm_" Z Blas3 ztrmm(
                    side: *const c_char, uplo: *const c_char, transa: *const c_char, diag: *const c_char,
                    m: *const c_int, n: *const c_int, alpha: *const c_void, a: *const c_void, lda: *const c_int, b: *mut c_void,
                    ldb: *const c_int, side_len: usize, uplo_len: usize, transa_len: usize, diag_len: usize
                );
                /// B := alpha op(A)⁻¹ B (SIDE = 'L') or alpha B op(A)⁻¹, over B, A triangular.
                Ztrsm "ztrsm_" Z Blas3 ztrsm(
                    side: *const c_char, uplo: *const c_char, transa: *const c_char, diag: *const c_char,
                    m: *const c_int, n: *const c_int, alpha: *const c_void, a: *const c_void, lda: *const c_int, b: *mut c_void,
                    ldb: *const c_int, side_len: usize, uplo_len: usize, transa_len: usize, diag_len: usize
                );
                /// A X = B by LU with partial pivoting.
                Dgesv "dgesv_" D Lu dgesv(
                    n: *const c_int, nrhs: *const c_int, a: *mut f64, lda: *const c_int, ipiv: *mut c_int,
                    b: *mut f64, ldb: *const c_int, info: *mut c_int
                );
                /// A = P L U.
                Dgetrf "dgetrf_" D Lu dgetrf(
                    m: *const c_int, n: *const c_int, a: *mut f64, lda: *const c_int, ipiv: *mut c_int, info: *mut c_int
                );
                /// op(A) X = B with DGETRF's factors.
                Dgetrs "dgetrs_" D Lu dgetrs(
                    trans: *const c_char, n: *const c_int, nrhs: *const c_int, a: *const f64, lda: *const c_int,
                    ipiv: *const c_int, b: *mut f64, ldb: *const c_int, info: *mut c_int, trans_len: usize
                );
                /// A = L Lᵀ or Uᵀ U, A symmetric positive definite (Cholesky).
                Dpotrf "dpotrf_" D Chol dpotrf(
                    uplo: *const c_char, n: *const c_int, a: *mut f64, lda: *const c_int, info: *mut c_int, uplo_len: usize
                );
                /// A X = B with DPOTRF's factor.
                Dpotrs "dpotrs_" D Chol dpotrs(
                    uplo: *const c_char, n: *const c_int, nrhs: *const c_int, a: *const f64, lda: *const c_int,
                    b: *mut f64, ldb: *const c_int, info: *mut c_int, uplo_len: usize
                );
                /// A X = B by Cholesky, A symmetric positive definite.
                Dposv "dposv_" D Chol dposv(
                    uplo: *const c_char, n: *const c_int, nrhs: *const c_int, a: *mut f64, lda: *const c_int,
                    b: *mut f64, ldb: *const c_int, info: *mut c_int, uplo_len: usize
                );
                /// A = Q R by Householder reflectors (also the panel QR
                /// factorizations of the GPU SVD's band reduction).
                Dgeqrf "dgeqrf_" D Qr dgeqrf(
                    m: *const c_int, n: *const c_int, a: *mut f64, lda: *const c_int, tau: *mut f64, work: *mut f64,
                    lwork: *const c_int, info: *mut c_int
                );
                /// A = U Σ Vᵀ (QR iteration for the bidiagonal SVD).
                Dgesvd "dgesvd_" D Svd dgesvd(
                    jobu: *const c_char, jobvt: *const c_char, m: *const c_int, n: *const c_int, a: *mut f64,
                    lda: *const c_int, s: *mut f64, u: *mut f64, ldu: *const c_int, vt: *mut f64, ldvt: *const c_int,
                    work: *mut f64, lwork: *const c_int, info: *mut c_int, jobu_len: usize, jobvt_len: usize
                );
                /// A = U Σ Vᵀ (divide and conquer).
                Dgesdd "dgesdd_" D Svd dgesdd(
                    jobz: *const c_char, m: *const c_int, n: *const c_int, a: *mut f64, lda: *const c_int, s: *mut f64,
                    u: *mut f64, ldu: *const c_int, vt: *mut f64, ldvt: *const c_int, work: *mut f64,
                    lwork: *const c_int, iwork: *mut c_int, info: *mut c_int, jobz_len: usize
                );
            }
            extensions {
                /// CBLAS's DGEMM, row- or column-major.
                CblasDgemm "cblas_dgemm" D Gemm dgemm;
                /// CBLAS's SGEMM.
                CblasSgemm "cblas_sgemm" S Gemm sgemm;
                /// CBLAS's CGEMM.
                CblasCgemm "cblas_cgemm" C Gemm cgemm;
                /// CBLAS's ZGEMM.
                CblasZgemm "cblas_zgemm" Z Gemm zgemm;
                /// CBLAS's SSYMM.
                CblasSsymm "cblas_ssymm" S Blas3 ssymm;
                /// CBLAS's SSYRK.
                CblasSsyrk "cblas_ssyrk" S Blas3 ssyrk;
                /// CBLAS's SSYR2K.
                CblasSsyr2k "cblas_ssyr2k" S Blas3 ssyr2k;
                /// CBLAS's STRMM.
                CblasStrmm "cblas_strmm" S Blas3 strmm;
                /// CBLAS's STRSM.
                CblasStrsm "cblas_strsm" S Blas3 strsm;
                /// CBLAS's DSYMM.
                CblasDsymm "cblas_dsymm" D Blas3 dsymm;
                /// CBLAS's DSYRK.
                CblasDsyrk "cblas_dsyrk" D Blas3 dsyrk;
                /// CBLAS's DSYR2K.
                CblasDsyr2k "cblas_dsyr2k" D Blas3 dsyr2k;
                /// CBLAS's DTRMM.
                CblasDtrmm "cblas_dtrmm" D Blas3 dtrmm;
                /// CBLAS's DTRSM.
                CblasDtrsm "cblas_dtrsm" D Blas3 dtrsm;
                /// CBLAS's CSYMM.
                CblasCsymm "cblas_csymm" C Blas3 csymm;
                /// CBLAS's CHEMM.
                CblasChemm "cblas_chemm" C Blas3 chemm;
                /// CBLAS's CSYRK.
                CblasCsyrk "cblas_csyrk" C Blas3 csyrk;
                /// CBLAS's CHERK.
                CblasCherk "cblas_cherk" C Blas3 cherk;
                /// CBLAS's CSYR2K.
                CblasCsyr2k "cblas_csyr2k" C Blas3 csyr2k;
                /// CBLAS's CHER2K.
                CblasCher2k "cblas_cher2k" C Blas3 cher2k;
                /// CBLAS's CTRMM.
                CblasCtrmm "cblas_ctrmm" C Blas3 ctrmm;
                /// CBLAS's CTRSM.
                CblasCtrsm "cblas_ctrsm" C Blas3 ctrsm;
                /// CBLAS's ZSYMM.
                CblasZsymm "cblas_zsymm" Z Blas3 zsymm;
                /// CBLAS's ZHEMM.
                CblasZhemm "cblas_zhemm" Z Blas3 zhemm;
                /// CBLAS's ZSYRK.
                CblasZsyrk "cblas_zsyrk" Z Blas3 zsyrk;
                /// CBLAS's ZHERK.
                CblasZherk "cblas_zherk" Z Blas3 zherk;
                /// CBLAS's ZSYR2K.
                CblasZsyr2k "cblas_zsyr2k" Z Blas3 zsyr2k;
                /// CBLAS's ZHER2K.
                CblasZher2k "cblas_zher2k" Z Blas3 zher2k;
                /// CBLAS's ZTRMM.
                CblasZtrmm "cblas_ztrmm" Z Blas3 ztrmm;
                /// CBLAS's ZTRSM.
                CblasZtrsm "cblas_ztrsm" Z Blas3 ztrsm;
                /// The GPU SVD with DGESVD's semantics.
                Dgesvdocl "dgesvdocl_" D Svd dgesvd;
                /// DGEMM through fast 4x4-block schemes.
                DgemmAlpha "dgemm_alpha_" D Alpha dgemm;
            }
            host {}
            api {
                "lapack_ai_calibrate", "lapack_ai_dgemm_alpha", "lapack_ai_dgesvdocl", "lapack_ai_info",
                "lapack_ai_stats_json", "lapack_ai_version",
            }
        }
    };
}
pub(crate) use for_each_routine;

/// The families of routines: a folder each under src/ops/.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Gemm,
    /// The other Level-3 BLAS routines (src/ops/blas3/).
    Blas3,
    Lu,
    /// Cholesky (src/ops/chol/).
    Chol,
    /// QR (src/ops/qr/).
    Qr,
    Svd,
    Alpha,
}

/// The precision of a routine's data: LAPACK's first letter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// Single real.
    S,
    /// Double real.
    D,
    /// Single complex.
    C,
    /// Double complex.
    Z,
}

/// Expands the table into [`Routine`] and [`exported_symbols`].
macro_rules! routine_ids {
    (
        interposed { $( $(#[$doc:meta])* $name:ident $sym:literal $prec:ident $family:ident $cpu:ident ( $($arg:ident : $ty:ty),* $(,)? ); )* }
        extensions { $( $(#[$xdoc:meta])* $xname:ident $xsym:literal $xprec:ident $xfamily:ident $xcpu:ident; )* }
        host { $( $(#[$hdoc:meta])* $hcpu:ident ( $($harg:ident : $hty:ty),* $(,)? ); )* }
        api { $( $api:literal ),* $(,)? }
    ) => {
        /// An exported, routed routine (the table, src/routines.rs).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Routine {
            $( $(#[$doc])* $name, )*
            $( $(#[$xdoc])* $xname, )*
        }

        impl Routine {
            /// Every routine, in the table's order: `ALL[r.index()] == r`.
            pub const ALL: &'static [Routine] = &[$(Routine::$name,)* $(Routine::$xname,)*];

            /// Position in [`Routine::ALL`].
            pub const fn index(self) -> usize {
                self as usize
            }

            /// The exported symbol ("dgemm_", "cblas_dgemm").
            pub fn symbol(self) -> &'static str {
                match self {
                    $( Routine::$name => $sym, )*
                    $( Routine::$xname => $xsym, )*
                }
            }

            pub fn family(self) -> Family {
                match self {
                    $( Routine::$name => Family::$family, )*
                    $( Routine::$xname => Family::$xfamily, )*
                }
            }

            pub fn precision(self) -> Precision {
                match self {
                    $( Routine::$name => Precision::$prec, )*
                    $( Routine::$xname => Precision::$xprec, )*
                }
            }

            /// Whether it is one of the library's extensions (not a
            /// standard LAPACK/BLAS routine of that name).
            pub fn is_extension(self) -> bool {
                match self {
                    $( Routine::$name => false, )*
                    $( Routine::$xname => true, )*
                }
            }

            /// The CPU routine that runs it on the CPU path ("dgemm_").
            pub fn cpu_symbol(self) -> &'static str {
                match self {
                    $( Routine::$name => concat!(stringify!($cpu), "_"), )*
                    $( Routine::$xname => concat!(stringify!($xcpu), "_"), )*
                }
            }
        }

        /// Every symbol liblapack_ai.so exports, sorted.
        pub fn exported_symbols() -> Vec<&'static str> {
            let mut all = vec![$($sym,)* $($xsym,)* $($api,)*];
            all.sort_unstable();
            all
        }
    };
}
for_each_routine!(routine_ids);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_expands_consistently() {
        for (i, r) in Routine::ALL.iter().enumerate() {
            assert_eq!(r.index(), i);
            assert!(exported_symbols().contains(&r.symbol()), "{r:?}");
            assert!(r.cpu_symbol().ends_with('_'));
        }
        let all = exported_symbols();
        assert!(all.windows(2).all(|w| w[0] < w[1]), "exported symbols twice: {all:?}");
        assert_eq!(Routine::CblasDgemm.cpu_symbol(), "dgemm_");
        assert_eq!(Routine::Dgesvdocl.family(), Family::Svd);
        assert_eq!(Routine::Dgesv.precision(), Precision::D);
        assert!(Routine::DgemmAlpha.is_extension() && !Routine::Dgemm.is_extension());
    }
}
