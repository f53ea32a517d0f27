/*
 * Every routine of the library, checked by LAPACK-style residuals, in the
 * situations that must not break it (issue 15); tests/robustness.sh runs
 * it on PoCL and on the CPU.
 *
 *   robust cases         each routine once (run under LAPACK_AI_FAULT_INJECT
 *                        by the script: errors, panics and failed
 *                        allocations inside the GPU paths must still give
 *                        the right answers)
 *   robust threads T R   every routine computed once on one thread, then by
 *                        T threads R rounds each, in different orders: the
 *                        same results as the single-threaded run
 *   robust fork-after    a routed call, then fork(): children (4 at once)
 *                        and the parent each run every routine; the
 *                        children exit with exit(), the parent waits (60 s
 *                        at most) and runs them again
 *   robust fork-before   fork() before the library's first call: the same
 *   robust svd N         one DGESVD 'A', 'A' of an N x N matrix
 *   robust svd-values M N
 *                        one DGESVD 'N', 'N' of a tall M x N matrix (the
 *                        memory-limit test: run under `ulimit -v`); both
 *                        print the process's peak virtual memory
 *
 * Build: cc -O2 -I include tests/c/robust.c -L target/release -llapack_ai
 *        -lpthread -lm
 * Prints one line per failed check and "N passed, N failed" at the end;
 * exits 0 only if nothing failed.
 */
#include <lapack_ai.h>

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const double EPS = 1.1102230246251565e-16; /* dlamch('E') */
/* LAPACK's test programs flag ratios above 30. */
static const double THRESH = 30.0;

static int passed, failed;
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;

static void check(int ok, const char *what, const char *detail, double value)
{
    pthread_mutex_lock(&count_lock);
    if (ok)
        passed++;
    else {
        failed++;
        printf("FAIL %s %s (%g)\n", what, detail, value);
        fflush(stdout);
    }
    pthread_mutex_unlock(&count_lock);
}

/* A small deterministic generator per case (thread-safe: no rand()). */
static double rnd(unsigned long long *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

static double *fill(int len, unsigned long long seed)
{
    double *x = malloc(sizeof(double) * (len > 0 ? len : 1));
    for (int i = 0; i < len; i++) x[i] = rnd(&seed);
    return x;
}

static double *copy(const double *x, int len)
{
    double *y = malloc(sizeof(double) * (len > 0 ? len : 1));
    memcpy(y, x, sizeof(double) * len);
    return y;
}

/* max |x_ij| of an m x n matrix with leading dimension ld */
static double maxabs(const double *x, int m, int n, int ld)
{
    double v = 0;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++) v = fmax(v, fabs(x[i + j * ld]));
    return v;
}

/* The 1-norm (max column sum). */
static double norm1(const double *x, int m, int n, int ld)
{
    double v = 0;
    for (int j = 0; j < n; j++) {
        double s = 0;
        for (int i = 0; i < m; i++) s += fabs(x[i + j * ld]);
        v = fmax(v, s);
    }
    return v;
}

/*
 * A case computes its outputs into `out` (out_len doubles, for the
 * threads test's comparison) and checks them itself (residuals).
 */
typedef struct {
    const char *name;
    int out_len;
    void (*run)(double *out, const char *tag);
} Case;

/* DGEMM, C := -0.7 A^T B + 0.3 C, 130 x 97, k = 31, padded leading
 * dimensions: several C tiles with LAPACK_AI_TEST_STAGING=3000. */
enum { GM = 130, GN = 97, GK = 31, GLDA = GK + 2, GLDB = GK + 1, GLDC = GM + 3 };
static void case_dgemm(double *out, const char *tag, int alpha_scheme)
{
    double *a = fill(GLDA * GM, 11), *b = fill(GLDB * GN, 12), *c = fill(GLDC * GN, 13);
    double *c0 = copy(c, GLDC * GN);
    const double alpha = -0.7, beta = 0.3;
    int m = GM, n = GN, k = GK, lda = GLDA, ldb = GLDB, ldc = GLDC;
    if (alpha_scheme)
        dgemm_alpha_("T", "N", &m, &n, &k, &alpha, a, &lda, b, &ldb, &beta, c, &ldc, 1, 1);
    else
        dgemm_("T", "N", &m, &n, &k, &alpha, a, &lda, b, &ldb, &beta, c, &ldc, 1, 1);
    double worst = 0;
    int outside = 0;
    for (int j = 0; j < n; j++) {
        for (int i = 0; i < m; i++) {
            double s = 0, bound = 0;
            for (int l = 0; l < k; l++) {
                s += a[l + i * lda] * b[l + j * ldb];
                bound += fabs(a[l + i * lda] * b[l + j * ldb]);
            }
            double want = alpha * s + beta * c0[i + j * ldc];
            bound = (fabs(alpha) * bound + fabs(beta * c0[i + j * ldc])) * (k + 2) * EPS * 2;
            worst = fmax(worst, fabs(c[i + j * ldc] - want) / bound);
            out[i + j * m] = c[i + j * ldc];
        }
        for (int i = m; i < ldc; i++) outside |= c[i + j * ldc] != c0[i + j * ldc];
    }
    check(worst <= 1.0 && !outside, alpha_scheme ? "dgemm_alpha_" : "dgemm_", tag, worst);
    free(a), free(b), free(c), free(c0);
}
static void run_dgemm(double *out, const char *tag) { case_dgemm(out, tag, 0); }
static void run_dgemm_alpha(double *out, const char *tag) { case_dgemm(out, tag, 1); }

/* || B - op(A) X ||_1 / (||A||_1 ||X||_1 n eps) */
static double solve_ratio(int trans, int n, int nrhs, const double *a, int lda, const double *x, int ldx,
                          const double *b, int ldb)
{
    double rmax = 0, xn = norm1(x, n, nrhs, ldx);
    for (int j = 0; j < nrhs; j++) {
        double col = 0;
        for (int i = 0; i < n; i++) {
            double s = b[i + j * ldb];
            for (int l = 0; l < n; l++) s -= (trans ? a[l + i * lda] : a[i + l * lda]) * x[l + j * ldx];
            col += fabs(s);
        }
        rmax = fmax(rmax, col);
    }
    return rmax / (norm1(a, n, n, lda) * xn * n * EPS);
}

/* DGESV, n = 150, 3 right-hand sides. */
enum { SN = 150, SR = 3, SLDA = SN + 1, SLDB = SN + 2 };
static void run_dgesv(double *out, const char *tag)
{
    double *a = fill(SLDA * SN, 21), *b = fill(SLDB * SR, 22);
    double *a0 = copy(a, SLDA * SN), *b0 = copy(b, SLDB * SR);
    int n = SN, nrhs = SR, lda = SLDA, ldb = SLDB, info = -99, ipiv[SN];
    dgesv_(&n, &nrhs, a, &lda, ipiv, b, &ldb, &info);
    double r = solve_ratio(0, n, nrhs, a0, lda, b, ldb, b0, ldb);
    check(info == 0 && r < THRESH, "dgesv_", tag, info ? info : r);
    for (int j = 0; j < nrhs; j++)
        for (int i = 0; i < n; i++) out[i + j * n] = b[i + j * ldb];
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) out[n * nrhs + i + j * n] = a[i + j * lda];
    free(a), free(b), free(a0), free(b0);
}

/* DGETRF of a 160 x 120 and a 120 x 160 matrix:
 * || P L U - A ||_1 / (||A||_1 n eps). */
enum { FM = 160, FN = 120, FLDA = FM + 3 };
static void getrf_case(int m, int n, double *out, const char *tag)
{
    int lda = FLDA, info = -99, ipiv[FM], mn = m < n ? m : n;
    double *a = fill(lda * n, 31 + m), *a0 = copy(a, lda * n);
    dgetrf_(&m, &n, a, &lda, ipiv, &info);
    /* L U (L: m x mn unit lower, U: mn x n upper), then the interchanges
     * undone in reverse order. */
    double *lu = calloc((size_t)m * n, sizeof(double));
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++) {
            double s = 0;
            int top = i < j ? i : j;
            if (top > mn - 1) top = mn - 1;
            for (int l = 0; l <= top; l++) {
                double lil = l == i ? 1.0 : a[i + l * lda];
                s += lil * a[l + j * lda];
            }
            lu[i + j * m] = s;
        }
    for (int p = mn - 1; p >= 0; p--) {
        int q = ipiv[p] - 1;
        if (q != p)
            for (int j = 0; j < n; j++) {
                double t = lu[p + j * m];
                lu[p + j * m] = lu[q + j * m];
                lu[q + j * m] = t;
            }
    }
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++) lu[i + j * m] -= a0[i + j * lda];
    double r = norm1(lu, m, n, m) / (norm1(a0, m, n, lda) * n * EPS);
    check(info == 0 && r < THRESH, m > n ? "dgetrf_ 160x120" : "dgetrf_ 120x160", tag, info ? info : r);
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++) out[i + j * m] = a[i + j * lda];
    free(a), free(a0), free(lu);
}
static void run_dgetrf(double *out, const char *tag)
{
    getrf_case(FM, FN, out, tag);
    getrf_case(FN, FM, out + FM * FN, tag);
}

/* DGETRF then DGETRS with A^T, n = 140, 2 right-hand sides. */
enum { TN = 140, TR = 2 };
static void run_dgetrs(double *out, const char *tag)
{
    double *a = fill(TN * TN, 41), *b = fill(TN * TR, 42);
    double *a0 = copy(a, TN * TN), *b0 = copy(b, TN * TR);
    int n = TN, nrhs = TR, info = -99, info2 = -99, ipiv[TN];
    dgetrf_(&n, &n, a, &n, ipiv, &info);
    dgetrs_("T", &n, &nrhs, a, &n, ipiv, b, &n, &info2, 1);
    double r = solve_ratio(1, n, nrhs, a0, n, b, n, b0, n);
    check(info == 0 && info2 == 0 && r < THRESH, "dgetrs_", tag, info ? info : info2 ? info2 : r);
    memcpy(out, b, sizeof(double) * TN * TR);
    free(a), free(b), free(a0), free(b0);
}

/*
 * An SVD's residuals: || A - U S V^T ||_1 / (||A||_1 max(m,n) eps) and
 * || I - U^T U || / (m eps), || I - V^T V || / (n eps) for the columns and
 * rows asked for; S non-negative and non-increasing.
 */
static double svd_ratio(int m, int n, const double *a0, int lda, const double *s, const double *u, int ldu, int ucols,
                        const double *vt, int ldvt, int vrows)
{
    int k = m < n ? m : n;
    double worst = 0;
    for (int i = 0; i + 1 < k; i++)
        if (s[i] < s[i + 1] || s[i + 1] < 0) worst = INFINITY;
    if (u && vt) {
        double *r = malloc(sizeof(double) * m * n);
        for (int j = 0; j < n; j++)
            for (int i = 0; i < m; i++) {
                double x = a0[i + j * lda];
                for (int l = 0; l < k; l++) x -= u[i + l * ldu] * s[l] * vt[l + j * ldvt];
                r[i + j * m] = x;
            }
        worst = fmax(worst, norm1(r, m, n, m) / (norm1(a0, m, n, lda) * (m > n ? m : n) * EPS));
        free(r);
    }
    if (u)
        for (int p = 0; p < ucols; p++)
            for (int q = 0; q < ucols; q++) {
                double x = p == q ? -1.0 : 0.0;
                for (int i = 0; i < m; i++) x += u[i + p * ldu] * u[i + q * ldu];
                worst = fmax(worst, fabs(x) / (m * EPS));
            }
    if (vt)
        for (int p = 0; p < vrows; p++)
            for (int q = 0; q < vrows; q++) {
                double x = p == q ? -1.0 : 0.0;
                for (int j = 0; j < n; j++) x += vt[p + j * ldvt] * vt[q + j * ldvt];
                worst = fmax(worst, fabs(x) / (n * EPS));
            }
    return worst;
}

/* DGESVD 'A', 'A' of 150 x 90, and 'S', 'O' of 70 x 110 (V^T over A). */
enum { VM = 150, VN = 90, WM = 70, WN = 110 };
static void run_dgesvd(double *out, const char *tag)
{
    {
        int m = VM, n = VN, lda = VM + 1, ldu = VM, ldvt = VN, info = -99, lwork = -1;
        double *a = fill(lda * n, 51), *a0 = copy(a, lda * n), s[VN], q;
        double *u = malloc(sizeof(double) * ldu * m), *vt = malloc(sizeof(double) * ldvt * n);
        dgesvd_("A", "A", &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, &q, &lwork, &info, 1, 1);
        lwork = (int)q;
        double *work = malloc(sizeof(double) * lwork);
        dgesvd_("A", "A", &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork, &info, 1, 1);
        double r = svd_ratio(m, n, a0, lda, s, u, ldu, m, vt, ldvt, n);
        check(info == 0 && r < THRESH, "dgesvd_ A,A 150x90", tag, info ? info : r);
        memcpy(out, s, sizeof s);
        out += VN;
        free(a), free(a0), free(u), free(vt), free(work);
    }
    {
        int m = WM, n = WN, lda = WM, ldu = WM, ldvt = 1, info = -99, lwork = -1;
        double *a = fill(lda * n, 52), *a0 = copy(a, lda * n), s[WM], q, dummy;
        double *u = malloc(sizeof(double) * ldu * m);
        dgesvd_("S", "O", &m, &n, a, &lda, s, u, &ldu, &dummy, &ldvt, &q, &lwork, &info, 1, 1);
        lwork = (int)q;
        double *work = malloc(sizeof(double) * lwork);
        dgesvd_("S", "O", &m, &n, a, &lda, s, u, &ldu, &dummy, &ldvt, work, &lwork, &info, 1, 1);
        /* V^T's first m rows are in A. */
        double r = svd_ratio(m, n, a0, lda, s, u, ldu, m, a, lda, m);
        check(info == 0 && r < THRESH, "dgesvd_ S,O 70x110", tag, info ? info : r);
        memcpy(out, s, sizeof s);
        free(a), free(a0), free(u), free(work);
    }
}

/* Argument errors are recorded, not printed (reference XERBLA would stop
 * the program). */
static __thread int xerbla_info; /* each thread its own */
void xerbla_(const char *srname, const int *info, size_t srname_len)
{
    (void)srname, (void)srname_len;
    xerbla_info = *info;
}

/* LWORK too small: INFO = -13 (DGESVD) or -12 (DGESDD), and WORK(1) the
 * optimal size, as reference sets it before reporting. */
static void run_small_lwork(double *out, const char *tag)
{
    int m = 60, n = 40, lda = 60, info = 0, query = -1, one = 1;
    double a[60 * 40], s[40], u[60 * 60], vt[40 * 40], best, work[2];
    int iwork[8 * 40];
    dgesvd_("A", "A", &m, &n, a, &lda, s, u, &m, vt, &n, &best, &query, &info, 1, 1);
    work[0] = -1;
    dgesvd_("A", "A", &m, &n, a, &lda, s, u, &m, vt, &n, work, &one, &info, 1, 1);
    check(info == -13 && xerbla_info == 13 && work[0] == best, "dgesvd_ LWORK = 1: INFO, WORK(1)", tag, work[0]);
    dgesdd_("S", &m, &n, a, &lda, s, u, &m, vt, &n, &best, &query, iwork, &info, 1);
    work[0] = -1;
    dgesdd_("S", &m, &n, a, &lda, s, u, &m, vt, &n, work, &one, iwork, &info, 1);
    check(info == -12 && xerbla_info == 12 && work[0] == best, "dgesdd_ LWORK = 1: INFO, WORK(1)", tag, work[0]);
    out[0] = best;
}

/* DGESDD 'S' of 80 x 130 and 'N' of 140 x 100. */
enum { DM = 80, DN = 130, EM = 140, EN = 100 };
static void run_dgesdd(double *out, const char *tag)
{
    {
        int m = DM, n = DN, lda = DM, ldu = DM, ldvt = DM, info = -99, lwork = -1, iwork[8 * DM];
        double *a = fill(lda * n, 61), *a0 = copy(a, lda * n), s[DM], q;
        double *u = malloc(sizeof(double) * ldu * m), *vt = malloc(sizeof(double) * ldvt * n);
        dgesdd_("S", &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, &q, &lwork, iwork, &info, 1);
        lwork = (int)q;
        double *work = malloc(sizeof(double) * lwork);
        dgesdd_("S", &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork, iwork, &info, 1);
        double r = svd_ratio(m, n, a0, lda, s, u, ldu, m, vt, ldvt, m);
        check(info == 0 && r < THRESH, "dgesdd_ S 80x130", tag, info ? info : r);
        memcpy(out, s, sizeof s);
        out += DM;
        free(a), free(a0), free(u), free(vt), free(work);
    }
    {
        int m = EM, n = EN, lda = EM, one = 1, info = -99, lwork = -1, iwork[8 * EN];
        double *a = fill(lda * n, 62), s[EN], q, dummy;
        dgesdd_("N", &m, &n, a, &lda, s, &dummy, &one, &dummy, &one, &q, &lwork, iwork, &info, 1);
        lwork = (int)q;
        double *work = malloc(sizeof(double) * lwork);
        dgesdd_("N", &m, &n, a, &lda, s, &dummy, &one, &dummy, &one, work, &lwork, iwork, &info, 1);
        double r = svd_ratio(m, n, NULL, lda, s, NULL, 0, 0, NULL, 0, 0);
        check(info == 0 && r < THRESH, "dgesdd_ N 140x100", tag, info ? info : r);
        memcpy(out, s, sizeof s);
        free(a), free(work);
    }
}

static const Case CASES[] = {
    {"dgemm_", GM * GN, run_dgemm},
    {"dgemm_alpha_", GM * GN, run_dgemm_alpha},
    {"dgesv_", SN * SR + SN * SN, run_dgesv},
    {"dgetrf_", 2 * FM * FN, run_dgetrf},
    {"dgetrs_", TN * TR, run_dgetrs},
    {"dgesvd_", VN + WM, run_dgesvd},
    {"dgesdd_", DM + EN, run_dgesdd},
    {"small lwork", 1, run_small_lwork},
};
enum { NCASES = sizeof CASES / sizeof CASES[0] };

static void run_all(const char *tag)
{
    for (int c = 0; c < NCASES; c++) {
        double *out = malloc(sizeof(double) * CASES[c].out_len);
        CASES[c].run(out, tag);
        free(out);
    }
}

/* The threads test: reference outputs first, then T threads. */
static double *reference[NCASES];
static int rounds;
static int mismatches;

static void *worker(void *arg)
{
    long t = (long)arg;
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < NCASES; i++) {
            int c = (int)((i + t + r) % NCASES); /* each thread its own order */
            double *out = malloc(sizeof(double) * CASES[c].out_len);
            CASES[c].run(out, "threads");
            double worst = 0, scale = 0;
            for (int e = 0; e < CASES[c].out_len; e++) {
                worst = fmax(worst, fabs(out[e] - reference[c][e]));
                scale = fmax(scale, fabs(reference[c][e]));
            }
            /* The same routing and arithmetic as the single-threaded run:
             * the same bits, up to a CPU BLAS that splits work by thread
             * count (a few ulps). */
            if (!(worst <= 64 * EPS * scale)) {
                pthread_mutex_lock(&count_lock);
                mismatches++;
                printf("FAIL threads: %s differs from the single-threaded result by %g (scale %g)\n", CASES[c].name,
                       worst, scale);
                pthread_mutex_unlock(&count_lock);
            }
            free(out);
        }
    return NULL;
}

static int threads_test(int nthreads, int nrounds)
{
    for (int c = 0; c < NCASES; c++) {
        reference[c] = malloc(sizeof(double) * CASES[c].out_len);
        CASES[c].run(reference[c], "single thread");
    }
    rounds = nrounds;
    pthread_t th[64];
    if (nthreads > 64) nthreads = 64;
    for (long t = 0; t < nthreads; t++) pthread_create(&th[t], NULL, worker, (void *)t);
    for (int t = 0; t < nthreads; t++) pthread_join(th[t], NULL);
    int calls = nthreads * nrounds * NCASES;
    check(mismatches == 0, "threads:", "results equal to the single-threaded ones", mismatches);
    printf("threads: %d threads, %d calls, %d mismatches\n", nthreads, calls, mismatches);
    return 0;
}

/* Waits for `pid` at most `seconds`; kills it after. Returns its exit
 * status, or -1 on a timeout. */
static int wait_for(pid_t pid, int seconds)
{
    for (int tenths = 0; tenths < seconds * 10; tenths++) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

static int fork_test(int after)
{
    if (after) {
        double out[GM * GN];
        run_dgemm(out, "parent before fork");
    }
    enum { CHILDREN = 4 };
    pid_t pids[CHILDREN];
    fflush(stdout);
    for (int i = 0; i < CHILDREN; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            passed = failed = 0;
            run_all(after ? "child forked after a call" : "child forked before any call");
            printf("child %d: %d passed, %d failed\n", i, passed, failed);
            fflush(stdout);
            exit(failed ? 1 : 0); /* exit(): atexit handlers run */
        }
        check(pids[i] > 0, "fork", "", pids[i]);
    }
    for (int i = 0; i < CHILDREN; i++) {
        if (pids[i] <= 0) continue;
        int status = wait_for(pids[i], 60);
        check(status == 0, "fork: child", status == -1 ? "did not finish within 60 s" : "exit status", status);
    }
    run_all("parent after fork");
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *mode = argc > 1 ? argv[1] : "cases";
    if (!strcmp(mode, "cases"))
        run_all("cases");
    else if (!strcmp(mode, "threads"))
        threads_test(argc > 2 ? atoi(argv[2]) : 8, argc > 3 ? atoi(argv[3]) : 2);
    else if (!strcmp(mode, "fork-after"))
        fork_test(1);
    else if (!strcmp(mode, "fork-before"))
        fork_test(0);
    else if (!strcmp(mode, "svd")) {
        int n = argc > 2 ? atoi(argv[2]) : 1000, info = -99, lwork = -1;
        double *a = fill(n * n, 71), *s = malloc(sizeof(double) * n), q;
        double *u = malloc(sizeof(double) * n * n), *vt = malloc(sizeof(double) * n * n);
        if (!a || !s || !u || !vt) {
            printf("the test itself could not allocate its matrices\n");
            return 2;
        }
        dgesvd_("A", "A", &n, &n, a, &n, s, u, &n, vt, &n, &q, &lwork, &info, 1, 1);
        lwork = (int)q;
        double *work = malloc(sizeof(double) * lwork);
        double *a0 = copy(a, n * n);
        dgesvd_("A", "A", &n, &n, a, &n, s, u, &n, vt, &n, work, &lwork, &info, 1, 1);
        /* The residual in O(n^2): || A v_j - s_j u_j || for a few j. */
        double worst = 0;
        for (int j = 0; j < n; j += n / 7 + 1) {
            double r = 0;
            for (int i = 0; i < n; i++) {
                double x = -s[j] * u[i + j * n];
                for (int l = 0; l < n; l++) x += a0[i + l * n] * vt[j + l * n];
                r = fmax(r, fabs(x));
            }
            worst = fmax(worst, r / (maxabs(a0, n, n, n) * n * EPS));
        }
        check(info == 0 && worst < THRESH, "dgesvd_ under a memory limit", "", info ? info : worst);
        /* The peak of virtual memory, for the script's limits. */
        FILE *f = fopen("/proc/self/status", "r");
        char line[256];
        while (f && fgets(line, sizeof line, f))
            if (!strncmp(line, "VmPeak:", 7)) printf("%s", line);
        if (f) fclose(f);
    } else if (!strcmp(mode, "svd-values")) {
        /* DGESVD 'N', 'N' of a tall M x N matrix: the GPU path copies A
         * (8 M N bytes), the CPU path needs little beyond A. */
        int m = argc > 2 ? atoi(argv[2]) : 40000, n = argc > 3 ? atoi(argv[3]) : 100, info = -99, lwork = -1, one = 1;
        double *a = fill(m * n, 72), *s = malloc(sizeof(double) * n), q, dummy;
        double fro = 0;
        for (long i = 0; i < (long)m * n; i++) fro += a[i] * a[i];
        dgesvd_("N", "N", &m, &n, a, &m, s, &dummy, &one, &dummy, &one, &q, &lwork, &info, 1, 1);
        lwork = (int)q;
        double *work = malloc(sizeof(double) * lwork);
        dgesvd_("N", "N", &m, &n, a, &m, s, &dummy, &one, &dummy, &one, work, &lwork, &info, 1, 1);
        /* || A ||_F^2 = sum of s_i^2 */
        double ss = 0;
        for (int i = 0; i < n; i++) ss += s[i] * s[i];
        double r = fabs(ss - fro) / (fro * n * EPS);
        check(info == 0 && r < THRESH, "dgesvd_ N,N under a memory limit", "", info ? info : r);
        FILE *f = fopen("/proc/self/status", "r");
        char line[256];
        while (f && fgets(line, sizeof line, f))
            if (!strncmp(line, "VmPeak:", 7)) printf("%s", line);
        if (f) fclose(f);
    } else {
        fprintf(stderr, "usage: robust cases|threads T R|fork-after|fork-before|svd N|svd-values M N\n");
        return 2;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
