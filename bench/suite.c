/*
 * One "real workload" per process, for issue 17 (preloading lapack-ai
 * never makes a program slower): an unmodified program that calls one
 * LAPACK driver the way NumPy/SciPy call it, so that the drivers' inner
 * dgemm_ calls (and the drivers the library interposes itself) are what a
 * preloaded liblapack_ai.so sees.
 *
 *   suite ROUTINE N
 *
 * ROUTINE: dgemm dsyevd dsyev dgeqrf dgeqp3 dpotrf dgetrf dgesdd dgesvd
 *          dgeev dgels dgelsd dsytrf dsyrk dsyr2k dsymm dtrmm dtrsm
 *          sgemm cgemm zgemm zherk ztrsm, and every other Level-3 BLAS
 *          routine of the four precisions by its name (ssymm, chemm,
 *          csyr2k, ...: see level3 below)
 * N:       the order of the (square) matrix, >= 1.
 *
 * The calls (column-major, LDA = N):
 *   dgemm   'N','N', N x N x N, alpha 1, beta 0.5 (C read and written)
 *   dsyevd  JOBZ='V' UPLO='L', symmetric A           (numpy.linalg.eigh)
 *   dsyev   JOBZ='V' UPLO='L', symmetric A
 *   dgeqrf  M = N                                     (numpy.linalg.qr)
 *   dgeqp3  M = N, JPVT zeroed (all columns free)     (scipy qr pivoting)
 *   dpotrf  UPLO='L', random symmetric + N on the diagonal (SPD)
 *   dgetrf  M = N                                     (numpy.linalg.det)
 *   dgesdd  JOBZ='A'                                  (numpy.linalg.svd)
 *   dgesvd  JOBU='S' JOBVT='S'          (scipy.linalg.svd, gesvd driver)
 *   dgeev   JOBVL='N' JOBVR='V'                       (numpy.linalg.eig)
 *   dgels   TRANS='N', M = N rows, N columns, NRHS = 1
 *   dgelsd  M = N, NRHS = 1, RCOND = -1               (numpy.linalg.lstsq)
 *   dsytrf  UPLO='L'                       (scipy.linalg.ldl, solve sym.)
 *   dsyrk   UPLO='L' TRANS='N', K = N, alpha 1, beta 0.5  (Level-3 BLAS,
 *   dsyr2k  the same, with B                               issue 19)
 *   dsymm   SIDE='L' UPLO='L', alpha 1, beta 0.5
 *   dtrmm   SIDE='L' UPLO='L' TRANSA='N' DIAG='N', A's diagonal N + |a|
 *   dtrsm   the same
 *   sgemm   as dgemm, single precision                (issue 19)
 *   cgemm   as dgemm, single complex, alpha 1, beta 0.5
 *   zgemm   as dgemm, double complex, alpha 1, beta 0.5
 *   zherk   UPLO='L' TRANS='N', K = N, alpha 1, beta 0.5 (both real)
 *   ztrsm   as dtrsm, double complex
 *
 * Inputs are pseudo-random values in (-1, 1) from a 64-bit LCG (never
 * zero), generated afresh in every process from a seed that depends on the
 * routine and N only, so every run of a workload sees the same matrix.
 * Workspace queries (LWORK = -1, and LIWORK where the driver has one) and
 * all allocations (touched once, so that first-touch page faults stay out
 * of the timing) come before the timed call; only the driver call itself
 * is timed, with CLOCK_MONOTONIC.
 *
 * Output: exactly one line on stdout,
 *   ROUTINE N SECONDS INFO
 * exit status 0 if INFO == 0, 1 otherwise, 2 for a usage error.
 *
 * The Fortran prototypes are declared here (gfortran ABI: every argument
 * by reference, the hidden CHARACTER lengths as trailing size_t values,
 * LP64 integers); no header of this project is used, so the binary is an
 * ordinary LAPACK program.
 *
 * Build (which LAPACK/BLAS it runs is chosen at run time through the
 * sonames liblapack.so.3 and libblas.so.3, e.g. with LD_LIBRARY_PATH):
 *
 *   cc -O2 bench/suite.c -o suite -llapack -lblas -lm -ldl
 *
 * Run, e.g.:
 *   ./suite dsyevd 1024
 *   LD_PRELOAD=target/release/liblapack_ai.so LAPACK_AI_LOG=/dev/stderr ./suite dsyevd 1024
 */
#include <dlfcn.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int lapack_int;

/* ---- Fortran prototypes (gfortran ABI) -------------------------------- */

extern void dgemm_(const char *transa, const char *transb, const lapack_int *m,
                   const lapack_int *n, const lapack_int *k, const double *alpha,
                   const double *a, const lapack_int *lda, const double *b,
                   const lapack_int *ldb, const double *beta, double *c,
                   const lapack_int *ldc, size_t transa_len, size_t transb_len);

extern void sgemm_(const char *transa, const char *transb, const lapack_int *m, const lapack_int *n,
                   const lapack_int *k, const float *alpha, const float *a, const lapack_int *lda,
                   const float *b, const lapack_int *ldb, const float *beta, float *c,
                   const lapack_int *ldc, size_t, size_t);
/* COMPLEX and COMPLEX*16 by address: (real, imaginary) pairs. */
extern void cgemm_(const char *transa, const char *transb, const lapack_int *m, const lapack_int *n,
                   const lapack_int *k, const float *alpha, const float *a, const lapack_int *lda,
                   const float *b, const lapack_int *ldb, const float *beta, float *c,
                   const lapack_int *ldc, size_t, size_t);
extern void zgemm_(const char *transa, const char *transb, const lapack_int *m, const lapack_int *n,
                   const lapack_int *k, const double *alpha, const double *a, const lapack_int *lda,
                   const double *b, const lapack_int *ldb, const double *beta, double *c,
                   const lapack_int *ldc, size_t, size_t);
extern void zherk_(const char *uplo, const char *trans, const lapack_int *n, const lapack_int *k,
                   const double *alpha, const double *a, const lapack_int *lda, const double *beta,
                   double *c, const lapack_int *ldc, size_t, size_t);
extern void ztrsm_(const char *side, const char *uplo, const char *transa, const char *diag,
                   const lapack_int *m, const lapack_int *n, const double *alpha, const double *a,
                   const lapack_int *lda, double *b, const lapack_int *ldb, size_t, size_t, size_t, size_t);
extern void dsyrk_(const char *uplo, const char *trans, const lapack_int *n, const lapack_int *k,
                   const double *alpha, const double *a, const lapack_int *lda, const double *beta,
                   double *c, const lapack_int *ldc, size_t, size_t);
extern void dsyr2k_(const char *uplo, const char *trans, const lapack_int *n, const lapack_int *k,
                    const double *alpha, const double *a, const lapack_int *lda, const double *b,
                    const lapack_int *ldb, const double *beta, double *c, const lapack_int *ldc, size_t,
                    size_t);
extern void dsymm_(const char *side, const char *uplo, const lapack_int *m, const lapack_int *n,
                   const double *alpha, const double *a, const lapack_int *lda, const double *b,
                   const lapack_int *ldb, const double *beta, double *c, const lapack_int *ldc, size_t,
                   size_t);
extern void dtrmm_(const char *side, const char *uplo, const char *transa, const char *diag,
                   const lapack_int *m, const lapack_int *n, const double *alpha, const double *a,
                   const lapack_int *lda, double *b, const lapack_int *ldb, size_t, size_t, size_t,
                   size_t);
extern void dtrsm_(const char *side, const char *uplo, const char *transa, const char *diag,
                   const lapack_int *m, const lapack_int *n, const double *alpha, const double *a,
                   const lapack_int *lda, double *b, const lapack_int *ldb, size_t, size_t, size_t,
                   size_t);
extern void dsyevd_(const char *jobz, const char *uplo, const lapack_int *n, double *a,
                    const lapack_int *lda, double *w, double *work, const lapack_int *lwork,
                    lapack_int *iwork, const lapack_int *liwork, lapack_int *info,
                    size_t jobz_len, size_t uplo_len);

extern void dsyev_(const char *jobz, const char *uplo, const lapack_int *n, double *a,
                   const lapack_int *lda, double *w, double *work, const lapack_int *lwork,
                   lapack_int *info, size_t jobz_len, size_t uplo_len);

extern void dgeqrf_(const lapack_int *m, const lapack_int *n, double *a, const lapack_int *lda,
                    double *tau, double *work, const lapack_int *lwork, lapack_int *info);

extern void dgeqp3_(const lapack_int *m, const lapack_int *n, double *a, const lapack_int *lda,
                    lapack_int *jpvt, double *tau, double *work, const lapack_int *lwork,
                    lapack_int *info);

extern void dpotrf_(const char *uplo, const lapack_int *n, double *a, const lapack_int *lda,
                    lapack_int *info, size_t uplo_len);

extern void dgetrf_(const lapack_int *m, const lapack_int *n, double *a, const lapack_int *lda,
                    lapack_int *ipiv, lapack_int *info);

extern void dgesdd_(const char *jobz, const lapack_int *m, const lapack_int *n, double *a,
                    const lapack_int *lda, double *s, double *u, const lapack_int *ldu,
                    double *vt, const lapack_int *ldvt, double *work, const lapack_int *lwork,
                    lapack_int *iwork, lapack_int *info, size_t jobz_len);

extern void dgesvd_(const char *jobu, const char *jobvt, const lapack_int *m,
                    const lapack_int *n, double *a, const lapack_int *lda, double *s, double *u,
                    const lapack_int *ldu, double *vt, const lapack_int *ldvt, double *work,
                    const lapack_int *lwork, lapack_int *info, size_t jobu_len,
                    size_t jobvt_len);

extern void dgeev_(const char *jobvl, const char *jobvr, const lapack_int *n, double *a,
                   const lapack_int *lda, double *wr, double *wi, double *vl,
                   const lapack_int *ldvl, double *vr, const lapack_int *ldvr, double *work,
                   const lapack_int *lwork, lapack_int *info, size_t jobvl_len,
                   size_t jobvr_len);

extern void dgels_(const char *trans, const lapack_int *m, const lapack_int *n,
                   const lapack_int *nrhs, double *a, const lapack_int *lda, double *b,
                   const lapack_int *ldb, double *work, const lapack_int *lwork,
                   lapack_int *info, size_t trans_len);

extern void dgelsd_(const lapack_int *m, const lapack_int *n, const lapack_int *nrhs, double *a,
                    const lapack_int *lda, double *b, const lapack_int *ldb, double *s,
                    const double *rcond, lapack_int *rank, double *work,
                    const lapack_int *lwork, lapack_int *iwork, lapack_int *info);

extern void dsytrf_(const char *uplo, const lapack_int *n, double *a, const lapack_int *lda,
                    lapack_int *ipiv, double *work, const lapack_int *lwork, lapack_int *info,
                    size_t uplo_len);

/* ---- helpers ------------------------------------------------------------ */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static uint64_t lcg_state;

/* A value in (-1, 1), never zero: (2k + 1 - 2^53) / 2^53 for a 53-bit k is
 * an odd integer over 2^53, exact in a double. */
static double lcg_next(void)
{
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    int64_t k = (int64_t)(lcg_state >> 11);
    return (double)(2 * k + 1 - ((int64_t)1 << 53)) / 9007199254740992.0;
}

static void *xalloc(size_t count, size_t size)
{
    if (count == 0)
        count = 1;
    if (size != 0 && count > SIZE_MAX / size) {
        fprintf(stderr, "suite: allocation of %zu x %zu bytes overflows\n", count, size);
        exit(1);
    }
    /* Zero-filled and touched: no first-touch page faults in the timing. */
    void *p = malloc(count * size);
    if (p == NULL) {
        fprintf(stderr, "suite: out of memory (%zu bytes)\n", count * size);
        exit(1);
    }
    memset(p, 0, count * size);
    return p;
}

static double *dalloc(size_t count)
{
    return xalloc(count, sizeof(double));
}

static lapack_int *ialloc(size_t count)
{
    return xalloc(count, sizeof(lapack_int));
}

/* A fresh random rows x cols matrix (column-major, leading dimension rows). */
static double *random_matrix(size_t rows, size_t cols)
{
    double *a = dalloc(rows * cols);
    for (size_t i = 0; i < rows * cols; i++)
        a[i] = lcg_next();
    return a;
}

/* A fresh random symmetric n x n matrix (both triangles set). */
static double *random_symmetric(size_t n)
{
    double *a = dalloc(n * n);
    for (size_t j = 0; j < n; j++)
        for (size_t i = j; i < n; i++) {
            double v = lcg_next();
            a[i + j * n] = v;
            a[j + i * n] = v;
        }
    return a;
}

/* LWORK from a workspace query's WORK(1), at least `least`. */
static lapack_int lwork_of(double w, lapack_int least)
{
    double v = w + 0.5;
    if (v > 2147483647.0) {
        fprintf(stderr, "suite: workspace of %.0f doubles does not fit LAPACK's integers\n", w);
        exit(1);
    }
    lapack_int l = (lapack_int)v;
    return l < least ? least : l;
}

static const char *const ROUTINES[] = {
    "dgemm", "dsyevd", "dsyev", "dgeqrf", "dgeqp3", "dpotrf", "dgetrf",
    "dgesdd", "dgesvd", "dgeev", "dgels", "dgelsd", "dsytrf",
    "dsyrk", "dsyr2k", "dsymm", "dtrmm", "dtrsm",
    "sgemm", "cgemm", "zgemm", "zherk", "ztrsm",
};

static int usage(const char *why)
{
    fprintf(stderr, "suite: %s\n", why);
    fprintf(stderr, "usage: suite ROUTINE N\n  ROUTINE: one of");
    for (size_t i = 0; i < sizeof ROUTINES / sizeof ROUTINES[0]; i++)
        fprintf(stderr, " %s", ROUTINES[i]);
    fprintf(stderr, "\n  N: matrix order, 1 to 46340\n");
    return 2;
}

/* ---- every Level-3 BLAS routine by its name --------------------------- */

/* The Level-3 routines of the four precisions not listed above, called by
 * name through the dynamic linker (dlsym(RTLD_DEFAULT) finds a preloaded
 * library's definition first, as the linker does for a direct call): as
 * the double-precision workloads above, square N, alpha 1, beta 0.5 (both
 * real for ?HERK, BETA real for ?HER2K), A lower, not transposed, SIDE
 * 'L', a triangle with diagonal N + |a|. Returns 0 with *seconds set, 1
 * for a routine it does not know. */
typedef void (*gemm_fn)(const char *, const char *, const lapack_int *, const lapack_int *, const lapack_int *,
                        const void *, const void *, const lapack_int *, const void *, const lapack_int *,
                        const void *, void *, const lapack_int *, size_t, size_t);
typedef void (*symm_fn)(const char *, const char *, const lapack_int *, const lapack_int *, const void *,
                        const void *, const lapack_int *, const void *, const lapack_int *, const void *, void *,
                        const lapack_int *, size_t, size_t);
typedef void (*syrk_fn)(const char *, const char *, const lapack_int *, const lapack_int *, const void *,
                        const void *, const lapack_int *, const void *, void *, const lapack_int *, size_t, size_t);
typedef void (*syr2k_fn)(const char *, const char *, const lapack_int *, const lapack_int *, const void *,
                         const void *, const lapack_int *, const void *, const lapack_int *, const void *, void *,
                         const lapack_int *, size_t, size_t);
typedef void (*trmm_fn)(const char *, const char *, const char *, const char *, const lapack_int *,
                        const lapack_int *, const void *, const void *, const lapack_int *, void *,
                        const lapack_int *, size_t, size_t, size_t, size_t);

static int level3(const char *r, lapack_int n, double *seconds)
{
    const char p = r[0];
    const char *kind = r + 1;
    static const char *const KINDS[] = {"gemm", "symm", "hemm", "syrk", "herk", "syr2k", "her2k", "trmm", "trsm"};
    int k = -1;
    for (int i = 0; i < 9; i++)
        if (strcmp(kind, KINDS[i]) == 0)
            k = i;
    int complex = p == 'c' || p == 'z', single = p == 's' || p == 'c';
    if (k < 0 || strchr("sdcz", p) == NULL || p == 0 || (!complex && kind[0] == 'h'))
        return 1;
    char name[16];
    snprintf(name, sizeof name, "%s_", r);
    void *f = dlsym(RTLD_DEFAULT, name);
    if (f == NULL) {
        fprintf(stderr, "suite: no %s in the process\n", name);
        exit(1);
    }
    size_t nn = (size_t)n, w = complex ? 2 : 1, es = (single ? sizeof(float) : sizeof(double)) * w;
    /* Three operands in the routine's precision, from random doubles. */
    void *m[3];
    for (int i = 0; i < 3; i++) {
        double *d = random_matrix(w * nn, nn);
        if (i == 0 && k >= 7) /* the triangle's diagonal */
            for (size_t j = 0; j < nn; j++)
                d[w * (j + j * nn)] = (double)n + fabs(d[w * (j + j * nn)]);
        if (single) {
            float *s = xalloc(w * nn * nn, sizeof(float));
            for (size_t e = 0; e < w * nn * nn; e++)
                s[e] = (float)d[e];
            free(d);
            m[i] = s;
        } else {
            m[i] = d;
        }
    }
    (void)es;
    float one_f[2] = {1.0f, 0.0f}, half_f[2] = {0.5f, 0.0f};
    double one_d[2] = {1.0, 0.0}, half_d[2] = {0.5, 0.0};
    const void *alpha = single ? (const void *)one_f : (const void *)one_d;
    const void *beta = single ? (const void *)half_f : (const void *)half_d;
    double t0 = now();
    switch (k) {
    case 0:
        ((gemm_fn)f)("N", "N", &n, &n, &n, alpha, m[0], &n, m[1], &n, beta, m[2], &n, 1, 1);
        break;
    case 1:
    case 2:
        ((symm_fn)f)("L", "L", &n, &n, alpha, m[0], &n, m[1], &n, beta, m[2], &n, 1, 1);
        break;
    case 3:
    case 4: /* ?HERK's ALPHA and BETA are real: the first element of each */
        ((syrk_fn)f)("L", "N", &n, &n, alpha, m[0], &n, beta, m[2], &n, 1, 1);
        break;
    case 5:
    case 6:
        ((syr2k_fn)f)("L", "N", &n, &n, alpha, m[0], &n, m[1], &n, beta, m[2], &n, 1, 1);
        break;
    default:
        ((trmm_fn)f)("L", "L", "N", "N", &n, &n, alpha, m[0], &n, m[1], &n, 1, 1, 1, 1);
    }
    *seconds = now() - t0;
    for (int i = 0; i < 3; i++)
        free(m[i]);
    return 0;
}

/* ---- main ------------------------------------------------------------- */

int main(int argc, char **argv)
{
    if (argc != 3)
        return usage("expected two arguments");
    const char *r = argv[1];
    int known = 0;
    size_t which = 0;
    for (size_t i = 0; i < sizeof ROUTINES / sizeof ROUTINES[0]; i++)
        if (strcmp(r, ROUTINES[i]) == 0) {
            known = 1;
            which = i;
        }
    if (!known) {
        char *end = NULL;
        long nl = strtol(argv[2], &end, 10);
        double seconds = 0;
        if (end != argv[2] && *end == '\0' && nl >= 1 && nl <= 46340 && level3(r, (lapack_int)nl, &seconds) == 0) {
            printf("%s %ld %.6f 0\n", r, nl, seconds);
            return 0;
        }
        char msg[128];
        snprintf(msg, sizeof msg, "unknown routine '%.64s'", r);
        return usage(msg);
    }
    char *end = NULL;
    long nl = strtol(argv[2], &end, 10);
    /* n*n must fit a 32-bit LAPACK integer where workspaces are n^2. */
    if (end == argv[2] || *end != '\0' || nl < 1 || nl > 46340)
        return usage("N must be an integer from 1 to 46340");

    const lapack_int n = (lapack_int)nl;
    const size_t nn = (size_t)n;
    lapack_int info = 0;
    const lapack_int query = -1;
    double wq = 0.0;
    lapack_int iwq = 0;
    double t0 = 0.0, t1 = 0.0;

    /* Seed from the routine and N: the same matrix in every run. */
    lcg_state = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)(which + 1) << 40) ^ (uint64_t)n;
    for (int i = 0; i < 4; i++)
        (void)lcg_next();

    switch (which) {
    case 0: { /* dgemm */
        double *a = random_matrix(nn, nn), *b = random_matrix(nn, nn), *c = random_matrix(nn, nn);
        const double alpha = 1.0, beta = 0.5;
        t0 = now();
        dgemm_("N", "N", &n, &n, &n, &alpha, a, &n, b, &n, &beta, c, &n, 1, 1);
        t1 = now();
        free(a), free(b), free(c);
        break;
    }
    case 1: { /* dsyevd */
        double *a = random_symmetric(nn), *w = dalloc(nn);
        dsyevd_("V", "L", &n, a, &n, w, &wq, &query, &iwq, &query, &info, 1, 1);
        if (info != 0)
            break;
        lapack_int lwork = lwork_of(wq, 1), liwork = iwq < 1 ? 1 : iwq;
        double *work = dalloc((size_t)lwork);
        lapack_int *iwork = ialloc((size_t)liwork);
        t0 = now();
        dsyevd_("V", "L", &n, a, &n, w, work, &lwork, iwork, &liwork, &info, 1, 1);
        t1 = now();
        free(a), free(w), free(work), free(iwork);
        break;
    }
    case 2: { /* dsyev */
        double *a = random_symmetric(nn), *w = dalloc(nn);
        dsyev_("V", "L", &n, a, &n, w, &wq, &query, &info, 1, 1);
        if (info != 0)
            break;
        lapack_int lwork = lwork_of(wq, 1);
        double *work = dalloc((size_t)lwork);
        t0 = now();
        dsyev_("V", "L", &n, a, &n, w, work, &lwork, &info, 1, 1);
        t1 = now();
        free(a), free(w), free(work);
        break;
    }
    case 3: { /* dgeqrf */
        double *a = random_matrix(nn, nn), *tau = dalloc(nn);
        dgeqrf_(&n, &n, a, &n, tau, &wq, &query, &info);
        if (info != 0)
            break;
        lapack_int lwork = lwork_of(wq, 1);
        double *work = dalloc((size_t)lwork);
        t0 = now();
        dgeqrf_(&n, &n, a, &n, tau, work, &lwork, &info);
        t1 = now();
        free(a), free(tau), free(work);
        break;
    }
    case 4: { /* dgeqp3 */
        double *a = random_matrix(nn, nn), *tau = dalloc(nn);
        lapack_int *jpvt = ialloc(nn); /* zeroed: every column free */
        dgeqp3_(&n, &n, a, &n, jpvt, tau, &wq, &query, &info);
        if (info != 0)
            break;
        lapack_int lwork = lwork_of(wq, 1);
        double *work = dalloc((size_t)lwork);
        t0 = now();
        dgeqp3_(&n, &n, a, &n, jpvt, tau, work, &lwork, &info);
        t1 = now();
        free(a), free(tau), free(jpvt), free(work);
        break;
    }
    case 5: { /* dpotrf */
        double *a = random_symmetric(nn);
        for (size_t i = 0; i < nn; i++)
            a[i + i * nn] += (double)n;
        t0 = now();
        dpotrf_("L", &n, a, &n, &info, 1);
        t1 = now();
        free(a);
        break;
    }
    case 6: { /* dgetrf */
        double *a = random_matrix(nn, nn);
        lapack_int *ipiv = ialloc(nn);
        t0 = now();
        dgetrf_(&n, &n, a, &n, ipiv, &info);
        t1 = now();
        free(a), free(ipiv);
        break;
    }
    case 7: { /* dgesdd */
        double *a = random_matrix(nn, nn), *s = dalloc(nn);
        double *u = dalloc(nn * nn), *vt = dalloc(nn * nn);
        lapack_int *iwork = ialloc(8 * nn); /* 8 min(M,N), fixed by LAPACK */
        dgesdd_("A", &n, &n, a, &n, s, u, &n, vt, &n, &wq, &query, iwork, &info, 1);
        if (info != 0)
            break;
        lapack_int lwork = lwork_of(wq, 1);
        double *work = dalloc((size_t)lwork);
        t0 = now();
        dgesdd_("A", &n, &n, a, &n, s, u, &n, vt, &n, work, &lwork, iwork, &info, 1);
        t1 = now();
        free(a), free(s), free(u), free(vt), free(iwork), free(work);
        break;
    }
    case 8: { /* dgesvd */
        double *a = random_matrix(nn, nn), *s = dalloc(nn);
        double *u = dalloc(nn * nn), *vt = dalloc(nn * nn);
        dgesvd_("S", "S", &n, &n, a, &n, s, u, &n, vt, &n, &wq, &query, &info, 1, 1);
        if (info != 0)
            break;
        lapack_int lwork = lwork_of(wq, 1);
        double *work = dalloc((size_t)lwork);
        t0 = now();
        dgesvd_("S", "S", &n, &n, a, &n, s, u, &n, vt, &n, work, &lwork, &info, 1, 1);
        t1 = now();
        free(a), free(s), free(u), free(vt), free(work);
        break;
    }
    case 9: { /* dgeev */
        double *a = random_matrix(nn, nn), *wr = dalloc(nn), *wi = dalloc(nn);
        double *vl = dalloc(1), *vr = dalloc(nn * nn);
        const lapack_int ldvl = 1;
        dgeev_("N", "V", &n, a, &n, wr, wi, vl, &ldvl, vr, &n, &wq, &query, &info, 1, 1);
        if (info != 0)
            break;
        lapack_int lwork = lwork_of(wq, 1);
        double *work = dalloc((size_t)lwork);
        t0 = now();
        dgeev_("N", "V", &n, a, &n, wr, wi, vl, &ldvl, vr, &n, work, &lwork, &info, 1, 1);
        t1 = now();
        free(a), free(wr), free(wi), free(vl), free(vr), free(work);
        break;
    }
    case 10: { /* dgels */
        double *a = random_matrix(nn, nn), *b = random_matrix(nn, 1);
        const lapack_int nrhs = 1;
        dgels_("N", &n, &n, &nrhs, a, &n, b, &n, &wq, &query, &info, 1);
        if (info != 0)
            break;
        lapack_int lwork = lwork_of(wq, 1);
        double *work = dalloc((size_t)lwork);
        t0 = now();
        dgels_("N", &n, &n, &nrhs, a, &n, b, &n, work, &lwork, &info, 1);
        t1 = now();
        free(a), free(b), free(work);
        break;
    }
    case 11: { /* dgelsd */
        double *a = random_matrix(nn, nn), *b = random_matrix(nn, 1), *s = dalloc(nn);
        const lapack_int nrhs = 1;
        const double rcond = -1.0;
        lapack_int rank = 0;
        dgelsd_(&n, &n, &nrhs, a, &n, b, &n, s, &rcond, &rank, &wq, &query, &iwq, &info);
        if (info != 0)
            break;
        lapack_int lwork = lwork_of(wq, 1), liwork = iwq < 1 ? 1 : iwq;
        double *work = dalloc((size_t)lwork);
        lapack_int *iwork = ialloc((size_t)liwork);
        t0 = now();
        dgelsd_(&n, &n, &nrhs, a, &n, b, &n, s, &rcond, &rank, work, &lwork, iwork, &info);
        t1 = now();
        free(a), free(b), free(s), free(work), free(iwork);
        break;
    }
    case 12: { /* dsytrf */
        double *a = random_symmetric(nn);
        lapack_int *ipiv = ialloc(nn);
        dsytrf_("L", &n, a, &n, ipiv, &wq, &query, &info, 1);
        if (info != 0)
            break;
        lapack_int lwork = lwork_of(wq, 1);
        double *work = dalloc((size_t)lwork);
        t0 = now();
        dsytrf_("L", &n, a, &n, ipiv, work, &lwork, &info, 1);
        t1 = now();
        free(a), free(ipiv), free(work);
        break;
    }
    case 13: /* dsyrk */
    case 14: { /* dsyr2k */
        double *a = random_matrix(nn, nn), *b = random_matrix(nn, nn), *c = random_matrix(nn, nn);
        const double alpha = 1.0, beta = 0.5;
        t0 = now();
        if (which == 13)
            dsyrk_("L", "N", &n, &n, &alpha, a, &n, &beta, c, &n, 1, 1);
        else
            dsyr2k_("L", "N", &n, &n, &alpha, a, &n, b, &n, &beta, c, &n, 1, 1);
        t1 = now();
        free(a), free(b), free(c);
        break;
    }
    case 15: { /* dsymm */
        double *a = random_symmetric(nn), *b = random_matrix(nn, nn), *c = random_matrix(nn, nn);
        const double alpha = 1.0, beta = 0.5;
        t0 = now();
        dsymm_("L", "L", &n, &n, &alpha, a, &n, b, &n, &beta, c, &n, 1, 1);
        t1 = now();
        free(a), free(b), free(c);
        break;
    }
    case 16: /* dtrmm */
    case 17: { /* dtrsm */
        /* A lower triangular with a diagonal of N + |a|: well conditioned. */
        double *a = random_matrix(nn, nn), *b = random_matrix(nn, nn);
        for (size_t j = 0; j < nn; j++)
            a[j + j * nn] = (double)n + fabs(a[j + j * nn]);
        const double alpha = 1.0;
        t0 = now();
        if (which == 16)
            dtrmm_("L", "L", "N", "N", &n, &n, &alpha, a, &n, b, &n, 1, 1, 1, 1);
        else
            dtrsm_("L", "L", "N", "N", &n, &n, &alpha, a, &n, b, &n, 1, 1, 1, 1);
        t1 = now();
        free(a), free(b);
        break;
    }
    case 18: /* sgemm */
    case 19: { /* cgemm */
        size_t w = which == 19 ? 2 : 1; /* floats per element */
        double *a = random_matrix(w * nn, nn), *b = random_matrix(w * nn, nn), *c = random_matrix(w * nn, nn);
        float *af = xalloc(w * nn * nn, sizeof(float)), *bf = xalloc(w * nn * nn, sizeof(float)),
              *cf = xalloc(w * nn * nn, sizeof(float));
        for (size_t i = 0; i < w * nn * nn; i++)
            af[i] = (float)a[i], bf[i] = (float)b[i], cf[i] = (float)c[i];
        free(a), free(b), free(c);
        const float alpha[2] = {1.0f, 0.0f}, beta[2] = {0.5f, 0.0f};
        t0 = now();
        if (which == 18)
            sgemm_("N", "N", &n, &n, &n, alpha, af, &n, bf, &n, beta, cf, &n, 1, 1);
        else
            cgemm_("N", "N", &n, &n, &n, alpha, af, &n, bf, &n, beta, cf, &n, 1, 1);
        t1 = now();
        free(af), free(bf), free(cf);
        break;
    }
    case 20: { /* zgemm */
        double *a = random_matrix(2 * nn, nn), *b = random_matrix(2 * nn, nn), *c = random_matrix(2 * nn, nn);
        const double alpha[2] = {1.0, 0.0}, beta[2] = {0.5, 0.0};
        t0 = now();
        zgemm_("N", "N", &n, &n, &n, alpha, a, &n, b, &n, beta, c, &n, 1, 1);
        t1 = now();
        free(a), free(b), free(c);
        break;
    }
    case 21: { /* zherk */
        double *a = random_matrix(2 * nn, nn), *c = random_matrix(2 * nn, nn);
        const double alpha = 1.0, beta = 0.5;
        t0 = now();
        zherk_("L", "N", &n, &n, &alpha, a, &n, &beta, c, &n, 1, 1);
        t1 = now();
        free(a), free(c);
        break;
    }
    case 22: { /* ztrsm */
        /* A lower triangular with a diagonal of N + |a|: well conditioned. */
        double *a = random_matrix(2 * nn, nn), *b = random_matrix(2 * nn, nn);
        for (size_t j = 0; j < nn; j++)
            a[2 * (j + j * nn)] = (double)n + fabs(a[2 * (j + j * nn)]);
        const double alpha[2] = {1.0, 0.0};
        t0 = now();
        ztrsm_("L", "L", "N", "N", &n, &n, alpha, a, &n, b, &n, 1, 1, 1, 1);
        t1 = now();
        free(a), free(b);
        break;
    }
    }

    printf("%s %d %.6f %d\n", r, n, t1 - t0, (int)info);
    fflush(stdout);
    return info == 0 ? 0 : 1;
}
