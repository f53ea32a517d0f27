/*
 * A C program that uses liblapack_ai.so as its only BLAS/LAPACK, through
 * include/lapack_ai.h: the bundled CPU path, the C prototypes, and the
 * library's behaviour when the process has no xerbla_ of its own.
 *
 * Build: cc -I include tests/c/consumer.c -L target/release -llapack_ai -lm
 * Prints one line per failed check and "N passed, N failed" at the end.
 *
 * Also the C API: lapack_ai_version() (compared with
 * -DLAPACK_AI_EXPECTED_VERSION="\"X.Y.Z\"" when given), lapack_ai_info(),
 * and lapack_ai_dgesvdocl in both layouts with LAPACK-style residuals.
 *
 * -DCONSUMER_OWN_XERBLA: the program defines xerbla_ and expects the
 * illegal-argument reports there. Needed when a system LAPACK is linked
 * after the library (the CMake package does that): the library then finds
 * that LAPACK's xerbla_, and reference XERBLA stops the program.
 */
#include <lapack_ai.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

static void check(int ok, const char *what, double value)
{
    if (ok)
        passed++;
    else {
        failed++;
        printf("FAIL %s (%g)\n", what, value);
    }
}

/* Uniform in (-1, -0.1] U [0.1, 1): never zero. */
static double rnd(void)
{
    double x = (double)rand() / RAND_MAX * 1.8 - 0.9;
    return x + (x < 0 ? -0.1 : 0.1);
}

static const double EPS = 2.220446049250313e-16;
/* LAPACK's dlamch('E'), the eps of its TESTING ratios. */
static const double EPS_E = 1.1102230246251565e-16;

#ifdef CONSUMER_OWN_XERBLA
static int xerbla_calls, xerbla_info;
static char xerbla_name[16];

/* Records instead of stopping, as LAPACK's test programs do. */
void xerbla_(const char *srname, const int *info, size_t srname_len)
{
    size_t n = srname_len < sizeof xerbla_name - 1 ? srname_len : sizeof xerbla_name - 1;
    memcpy(xerbla_name, srname, n);
    xerbla_name[n] = 0;
    xerbla_info = *info;
    xerbla_calls++;
}
#endif

/* Row-major and column-major cblas_dgemm against a naive product. */
static void test_cblas(int layout, int ta, int tb, int m, int n, int k)
{
    int row = layout == 101;
    int ar = ta == 111 ? m : k, ac = ta == 111 ? k : m; /* op(A) m x k */
    int br = tb == 111 ? k : n, bc = tb == 111 ? n : k;
    int lda = (row ? ac : ar) + 2, ldb = (row ? bc : br) + 1, ldc = (row ? n : m) + 3;
    double *a = malloc(sizeof(double) * lda * (row ? ar : ac));
    double *b = malloc(sizeof(double) * ldb * (row ? br : bc));
    double *c = malloc(sizeof(double) * ldc * (row ? m : n));
    double *c0 = malloc(sizeof(double) * ldc * (row ? m : n));
    for (int i = 0; i < lda * (row ? ar : ac); i++) a[i] = rnd();
    for (int i = 0; i < ldb * (row ? br : bc); i++) b[i] = rnd();
    for (int i = 0; i < ldc * (row ? m : n); i++) c[i] = c0[i] = rnd();
    const double alpha = -0.7, beta = 0.3;
#define AT(x, ld, i, j) (row ? x[(i) * (ld) + (j)] : x[(j) * (ld) + (i)])
    cblas_dgemm(layout, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    double err = 0, scale = 0;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0, sa = 0;
            for (int l = 0; l < k; l++) {
                double x = ta == 111 ? AT(a, lda, i, l) : AT(a, lda, l, i);
                double y = tb == 111 ? AT(b, ldb, l, j) : AT(b, ldb, j, l);
                s += x * y;
                sa += fabs(x * y);
            }
            double want = alpha * s + beta * AT(c0, ldc, i, j);
            err = fmax(err, fabs(AT(c, ldc, i, j) - want));
            scale = fmax(scale, fabs(alpha) * sa + fabs(beta * AT(c0, ldc, i, j)));
        }
#undef AT
    char what[96];
    snprintf(what, sizeof what, "cblas_dgemm layout=%d ta=%d tb=%d m=%d n=%d k=%d", layout, ta, tb, m, n, k);
    check(err <= 4.0 * (k + 1) * EPS * scale, what, err / (scale * EPS));
    free(a); free(b); free(c); free(c0);
}

static void test_dgesv(int n)
{
    int nrhs = 2, lda = n + 1, ldb = n + 2, info = -7;
    double *a = malloc(sizeof(double) * lda * n), *a0 = malloc(sizeof(double) * lda * n);
    double *b = malloc(sizeof(double) * ldb * nrhs), *b0 = malloc(sizeof(double) * ldb * nrhs);
    int *ipiv = malloc(sizeof(int) * n);
    for (int i = 0; i < lda * n; i++) a[i] = a0[i] = rnd();
    for (int i = 0; i < ldb * nrhs; i++) b[i] = b0[i] = rnd();
    dgesv_(&n, &nrhs, a, &lda, ipiv, b, &ldb, &info);
    /* ||B - A X||_1 / (||A||_1 ||X||_1 n eps) */
    double anorm = 0, worst = 0;
    for (int j = 0; j < n; j++) {
        double s = 0;
        for (int i = 0; i < n; i++) s += fabs(a0[j * lda + i]);
        anorm = fmax(anorm, s);
    }
    for (int r = 0; r < nrhs; r++) {
        double rn = 0, xn = 0;
        for (int i = 0; i < n; i++) {
            double s = b0[r * ldb + i];
            for (int j = 0; j < n; j++) s -= a0[j * lda + i] * b[r * ldb + j];
            rn += fabs(s);
            xn += fabs(b[r * ldb + i]);
        }
        worst = fmax(worst, rn / (anorm * xn * n * EPS));
    }
    char what[64];
    snprintf(what, sizeof what, "dgesv_ n=%d info=%d residual", n, info);
    check(info == 0 && worst < 30, what, worst);
    free(a); free(a0); free(b); free(b0); free(ipiv);
}

/* DGESVDOCL: workspace query, then values only; compared with DGESDD. */
static void test_dgesvdocl(int m, int n)
{
    int lda = m + 1, minmn = m < n ? m : n, one = 1, info = -7, lwork = -1;
    double *a = malloc(sizeof(double) * lda * n), *a2 = malloc(sizeof(double) * lda * n);
    double *s = malloc(sizeof(double) * minmn), *s2 = malloc(sizeof(double) * minmn), q, dummy;
    for (int i = 0; i < lda * n; i++) a[i] = a2[i] = rnd();
    dgesvdocl_("N", "N", &m, &n, a, &lda, s, &dummy, &one, &dummy, &one, &q, &lwork, &info, 1, 1);
    check(info == 0 && q >= 1, "dgesvdocl_ workspace query", q);
    lwork = (int)q;
    double *work = malloc(sizeof(double) * lwork);
    dgesvdocl_("N", "N", &m, &n, a, &lda, s, &dummy, &one, &dummy, &one, work, &lwork, &info, 1, 1);
    int *iwork = malloc(sizeof(int) * 8 * minmn);
    lwork = -1;
    dgesdd_("N", &m, &n, a2, &lda, s2, &dummy, &one, &dummy, &one, &q, &lwork, iwork, &info, 1);
    lwork = (int)q;
    double *work2 = malloc(sizeof(double) * lwork);
    dgesdd_("N", &m, &n, a2, &lda, s2, &dummy, &one, &dummy, &one, work2, &lwork, iwork, &info, 1);
    double diff = 0;
    for (int i = 0; i < minmn; i++) diff = fmax(diff, fabs(s[i] - s2[i]));
    char what[64];
    snprintf(what, sizeof what, "dgesvdocl_ m=%d n=%d singular values vs dgesdd_", m, n);
    check(info == 0 && s[0] > 0 && diff <= 30 * (m > n ? m : n) * EPS * s[0], what, diff);
    free(a); free(a2); free(s); free(s2); free(work); free(work2); free(iwork);
}

/* ---------------------------------------------------------------- C API */

/* Columns of U / rows of V^T that a job letter asks for (0 for 'N'). */
static int vectors(char job, int dim, int mn)
{
    return job == 'A' ? dim : (job == 'S' || job == 'O') ? mn : 0;
}

/* Element (i, j), 0-based, of a matrix stored with leading dimension ld. */
static double *at(double *x, int ld, int i, int j, int row)
{
    return row ? &x[(size_t)i * ld + j] : &x[(size_t)j * ld + i];
}

/* ||x||_1 of the dense column-major r x c matrix x; NaN if any entry is. */
static double norm1(const double *x, int r, int c)
{
    double best = 0;
    for (int j = 0; j < c; j++) {
        double sum = 0;
        for (int i = 0; i < r; i++) sum += fabs(x[(size_t)j * r + i]);
        if (isnan(sum)) return sum;
        best = fmax(best, sum);
    }
    return best;
}

/* ||I - Q^T Q||_1 for the r x c column-major q (its columns orthonormal). */
static double orth_resid(const double *q, int r, int c)
{
    double *g = malloc(sizeof(double) * c * c);
    for (int j = 0; j < c; j++)
        for (int i = 0; i < c; i++) {
            double d = i == j ? 1 : 0;
            for (int k = 0; k < r; k++) d -= q[(size_t)i * r + k] * q[(size_t)j * r + k];
            g[(size_t)j * c + i] = d;
        }
    double res = norm1(g, c, c);
    free(g);
    return res;
}

static const double SENTINEL = -1.2345678901234567e123;

/* One lapack_ai_dgesvdocl call on the m x n column-major a0, every leading
 * dimension padded, compared with sref (DGESVDOCL, JOBU = JOBVT = 'N'). */
static void test_capi_svd(int layout, char jobu, char jobvt, int m, int n, const double *a0, const double *sref)
{
    int row = layout == LAPACK_AI_ROW_MAJOR, mn = m < n ? m : n, mx = m > n ? m : n;
    int ucols = vectors(jobu, m, mn), vrows = vectors(jobvt, n, mn);
    int in_u = ucols > 0 && jobu != 'O', in_vt = vrows > 0 && jobvt != 'O';
    int lda = (row ? n : m) + 2;
    int ldu = in_u ? (row ? ucols : m) + 1 : 1;
    /* Row-major LDVT >= N even when VT is not referenced, as LAPACKE. */
    int ldvt = row ? n + 1 : in_vt ? vrows + 1 : 1;
    size_t na = (size_t)lda * (row ? m : n);
    size_t nu = in_u ? (size_t)ldu * (row ? m : ucols) : 1;
    size_t nvt = in_vt ? (size_t)ldvt * (row ? vrows : n) : 1;
    double *a = malloc(sizeof(double) * na), *u = malloc(sizeof(double) * nu), *vt = malloc(sizeof(double) * nvt);
    double *s = malloc(sizeof(double) * (mn + 1)), *superb = malloc(sizeof(double) * mn);
    double *uu = malloc(sizeof(double) * m * (ucols ? ucols : 1)), *vv = malloc(sizeof(double) * n * (vrows ? vrows : 1));
    char what[160];
    int failed0 = failed;

    /* NaN padding: reading it (the NaN check included) would show. */
    for (size_t i = 0; i < na; i++) a[i] = NAN;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++) *at(a, lda, i, j, row) = a0[(size_t)j * m + i];
    for (size_t i = 0; i < nu; i++) u[i] = SENTINEL;
    for (size_t i = 0; i < nvt; i++) vt[i] = SENTINEL;
    for (int i = 0; i <= mn; i++) s[i] = SENTINEL;
    snprintf(what, sizeof what, "lapack_ai_dgesvdocl %s jobu=%c jobvt=%c m=%d n=%d lda=%d ldu=%d ldvt=%d",
             row ? "row-major" : "col-major", jobu, jobvt, m, n, lda, ldu, ldvt);

    int info = lapack_ai_dgesvdocl(layout, jobu, jobvt, m, n, a, lda, s, u, ldu, vt, ldvt, superb);
    check(info == 0, what, info);
    if (info != 0) goto out;

    int untouched = s[mn] == SENTINEL;
    for (size_t i = 0; i < na; i++) {
        size_t outer = i / lda, inner = i % lda;
        if (inner >= (size_t)(row ? n : m) || outer >= (size_t)(row ? m : n)) untouched &= isnan(a[i]);
    }
    for (int j = 0; j < ucols; j++)
        for (int i = 0; i < m; i++) {
            double *p = jobu == 'O' ? at(a, lda, i, j, row) : at(u, ldu, i, j, row);
            uu[(size_t)j * m + i] = *p;
            if (jobu != 'O') *p = SENTINEL;
        }
    for (int j = 0; j < n; j++)
        for (int i = 0; i < vrows; i++) {
            double *p = jobvt == 'O' ? at(a, lda, i, j, row) : at(vt, ldvt, i, j, row);
            vv[(size_t)j * vrows + i] = *p;
            if (jobvt != 'O') *p = SENTINEL;
        }
    /* What is left of U and VT is padding or unreferenced. */
    for (size_t i = 0; i < nu; i++) untouched &= u[i] == SENTINEL;
    for (size_t i = 0; i < nvt; i++) untouched &= vt[i] == SENTINEL;
    check(untouched, "wrote outside A(1:M,1:N), S(1:min), U, VT", 0);

    int sorted = 1;
    double sdiff = 0;
    for (int i = 0; i < mn; i++) {
        sorted &= s[i] >= 0 && isfinite(s[i]) && (i == 0 || s[i] <= s[i - 1]);
        sdiff = fmax(sdiff, fabs(s[i] - sref[i]));
    }
    check(sorted, "singular values non-negative, non-increasing", 0);
    double r = sdiff / (EPS_E * sref[0] * mx);
    check(r < 30, "max |S - S(N,N)| / (s1 max(m,n) eps) < 30", r);
    if (ucols) {
        r = orth_resid(uu, m, ucols) / (m * EPS_E);
        check(r < 30, "||I - U^T U||_1 / (m eps) < 30", r);
    }
    if (vrows) {
        /* The rows of V^T are the columns of its transpose. */
        double *v = malloc(sizeof(double) * n * vrows);
        for (int j = 0; j < n; j++)
            for (int i = 0; i < vrows; i++) v[(size_t)i * n + j] = vv[(size_t)j * vrows + i];
        r = orth_resid(v, n, vrows) / (n * EPS_E);
        check(r < 30, "||I - V^T V||_1 / (n eps) < 30", r);
        free(v);
    }
    if (ucols && vrows) {
        double *res = malloc(sizeof(double) * m * n);
        for (int j = 0; j < n; j++)
            for (int i = 0; i < m; i++) {
                double t = a0[(size_t)j * m + i];
                for (int k = 0; k < mn; k++) t -= uu[(size_t)k * m + i] * s[k] * vv[(size_t)j * vrows + k];
                res[(size_t)j * m + i] = t;
            }
        r = norm1(res, m, n) / (norm1(a0, m, n) * mx * EPS_E);
        check(r < 30, "||A - U S V^T||_1 / (||A||_1 max(m,n) eps) < 30", r);
        free(res);
    }
    if (failed > failed0) printf("     (in %s)\n", what);
out:
    free(a); free(u); free(vt); free(s); free(superb); free(uu); free(vv);
}

static void test_capi_shape(int m, int n)
{
    static const char jobs[] = "ASON";
    int mn = m < n ? m : n, one = 1, info = -7, lwork = -1;
    double *a0 = malloc(sizeof(double) * m * n), *a = malloc(sizeof(double) * m * n);
    double *sref = malloc(sizeof(double) * mn), q, dummy;
    for (int i = 0; i < m * n; i++) a[i] = a0[i] = rnd();
    dgesvdocl_("N", "N", &m, &n, a, &m, sref, &dummy, &one, &dummy, &one, &q, &lwork, &info, 1, 1);
    lwork = (int)q;
    double *work = malloc(sizeof(double) * lwork);
    dgesvdocl_("N", "N", &m, &n, a, &m, sref, &dummy, &one, &dummy, &one, work, &lwork, &info, 1, 1);
    check(info == 0, "dgesvdocl_ N,N reference values", info);
    for (int layout = LAPACK_AI_ROW_MAJOR; layout <= LAPACK_AI_COL_MAJOR; layout++)
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                if (!(jobs[i] == 'O' && jobs[j] == 'O'))
                    test_capi_svd(layout, jobs[i], jobs[j], m, n, a0, sref);
    free(a0); free(a); free(sref); free(work);
}

static void test_capi(void)
{
    const char *version = lapack_ai_version(), *info = lapack_ai_info();
    printf("lapack_ai_version(): %s\nlapack_ai_info():\n%s", version, info);
    int major, minor, patch, used = 0;
    check(sscanf(version, "%d.%d.%d%n", &major, &minor, &patch, &used) == 3 && version[used] == 0,
          "lapack_ai_version() is MAJOR.MINOR.PATCH", 0);
#ifdef LAPACK_AI_EXPECTED_VERSION
    check(strcmp(version, LAPACK_AI_EXPECTED_VERSION) == 0, "lapack_ai_version() is the package version "
          LAPACK_AI_EXPECTED_VERSION, 0);
#endif
    char first[64];
    snprintf(first, sizeof first, "lapack-ai %s\n", version);
    check(strncmp(info, first, strlen(first)) == 0, "lapack_ai_info() starts with \"lapack-ai <version>\"", 0);
    check(strstr(info, "\ncpu dgesvd_: ") != NULL, "lapack_ai_info() names the CPU library of dgesvd_", 0);

    test_capi_shape(9, 5);
    test_capi_shape(5, 9);
    test_capi_shape(6, 6);
    test_capi_shape(1, 4);

    /* Errors come back as INFO: -position of the C argument. */
    int m = 4, n = 3;
    double a[12], s[3], u[16], vt[9], superb[2];
    for (int i = 0; i < 12; i++) a[i] = rnd();
    check(lapack_ai_dgesvdocl(7, 'A', 'A', m, n, a, m, s, u, m, vt, n, superb) == -1, "layout 7 -> INFO -1", 0);
    check(lapack_ai_dgesvdocl(LAPACK_AI_COL_MAJOR, 'A', 'A', m, n, a, m, s, u, m, vt, n - 1, superb) == -12,
          "col-major ldvt < n -> INFO -12", 0);
    check(lapack_ai_dgesvdocl(LAPACK_AI_ROW_MAJOR, 'S', 'N', m, n, a, n, s, u, n - 1, vt, n, superb) == -10,
          "row-major ldu < min(m,n) -> INFO -10", 0);
    a[5] = NAN;
    check(lapack_ai_dgesvdocl(LAPACK_AI_COL_MAJOR, 'N', 'N', m, n, a, m, s, u, 1, vt, 1, superb) == -6,
          "col-major NaN in A -> INFO -6", 0);
    check(lapack_ai_dgesvdocl(LAPACK_AI_ROW_MAJOR, 'S', 'S', m, n, a, n, s, u, n, vt, n, superb) == -6,
          "row-major NaN in A -> INFO -6", 0);
}

int main(void)
{
    srand(20261124);
    printf("seed 20261124\n");
    int trans[] = {111, 112, 113};
    for (int l = 101; l <= 102; l++)
        for (int x = 0; x < 3; x++)
            for (int y = 0; y < 3; y++) {
                test_cblas(l, trans[x], trans[y], 7, 5, 3);
                test_cblas(l, trans[x], trans[y], 1, 13, 1);
                test_cblas(l, trans[x], trans[y], 31, 2, 17);
            }
    test_dgesv(1);
    test_dgesv(17);
    test_dgesv(64);
    test_dgesvdocl(9, 5);
    test_dgesvdocl(5, 9);
    test_dgesvdocl(40, 40);
    test_capi();

    /* No xerbla_ in this process: an illegal argument gets reference's
     * message on stderr and the call returns, leaving C untouched. With
     * CONSUMER_OWN_XERBLA, ours gets it. */
    int m = -1, n = 2, k = 2, ld = 2;
    double alpha = 1, beta = 0, c[4] = {5, 5, 5, 5}, ab[4] = {1, 2, 3, 4};
    dgemm_("N", "N", &m, &n, &k, &alpha, ab, &ld, ab, &ld, &beta, c, &ld, 1, 1);
    check(c[0] == 5 && c[3] == 5, "illegal dgemm_ left C untouched", c[0]);
#ifdef CONSUMER_OWN_XERBLA
    check(xerbla_calls == 1 && strcmp(xerbla_name, "DGEMM ") == 0 && xerbla_info == 3,
          "illegal dgemm_ reported as xerbla_(\"DGEMM \", 3)", xerbla_info);
#endif
    int info = 0, bad = 0, nn = 2, ipiv[2];
    dgesv_(&nn, &nn, ab, &bad, ipiv, c, &ld, &info);
    check(info == -4, "dgesv_ with LDA=0 returns INFO=-4", info);
#ifdef CONSUMER_OWN_XERBLA
    check(xerbla_calls == 2 && strcmp(xerbla_name, "DGESV ") == 0 && xerbla_info == 4,
          "dgesv_ with LDA=0 reported as xerbla_(\"DGESV \", 4)", xerbla_info);
#endif

    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
