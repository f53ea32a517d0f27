/*
 * A C program that uses liblapack_ai.so as its only BLAS/LAPACK, through
 * include/lapack_ai.h: the bundled CPU path, the C prototypes, and the
 * library's behaviour when the process has no xerbla_ of its own.
 *
 * Build: cc -I include tests/c/consumer.c -L target/release -llapack_ai -lm
 * Prints one line per failed check and "N passed, N failed" at the end.
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

    /* No xerbla_ in this process: an illegal argument gets reference's
     * message on stderr and the call returns, leaving C untouched. */
    int m = -1, n = 2, k = 2, ld = 2;
    double alpha = 1, beta = 0, c[4] = {5, 5, 5, 5}, ab[4] = {1, 2, 3, 4};
    dgemm_("N", "N", &m, &n, &k, &alpha, ab, &ld, ab, &ld, &beta, c, &ld, 1, 1);
    check(c[0] == 5 && c[3] == 5, "illegal dgemm_ left C untouched", c[0]);
    int info = 0, bad = 0, nn = 2, ipiv[2];
    dgesv_(&nn, &nn, ab, &bad, ipiv, c, &ld, &info);
    check(info == -4, "dgesv_ with LDA=0 returns INFO=-4", info);

    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
