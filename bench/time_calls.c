/*
 * Times single LAPACK calls as a program makes them, for comparing two
 * builds of the library on one machine (bench/issue15_device.sh runs it
 * with LD_LIBRARY_PATH naming one build, then the other).
 *
 *   time_calls dgemm N      C := A B + 0.5 C, N x N, from host memory
 *   time_calls dgesv N      one right-hand side
 *   time_calls dgesdd N J   JOBZ = J ('N' or 'A')
 *
 * A warm-up call of the same routine at 256 first (kernels built, device
 * set up), then REPS (default 3) timed calls on fresh copies of the same
 * random data; prints the best and the median, in seconds.
 *
 * Build: cc -O2 -I include bench/time_calls.c -L target/release -llapack_ai
 */
#include <lapack_ai.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static double *fill(size_t len, unsigned long long s)
{
    double *x = malloc(sizeof(double) * len);
    for (size_t i = 0; i < len; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = (double)(s >> 11) / 9007199254740992.0 * 2.0 - 1.0;
    }
    return x;
}

/* One call of `routine` at size n; returns its seconds. */
static double once(const char *routine, int n, char job)
{
    size_t nn = (size_t)n * n;
    double *a = fill(nn, 1), t;
    if (!strcmp(routine, "dgemm")) {
        double *b = fill(nn, 2), *c = fill(nn, 3), one = 1.0, half = 0.5;
        t = now();
        dgemm_("N", "N", &n, &n, &n, &one, a, &n, b, &n, &half, c, &n, 1, 1);
        t = now() - t;
        free(b), free(c);
    } else if (!strcmp(routine, "dgesv")) {
        double *b = fill(n, 2);
        int *ipiv = malloc(sizeof(int) * n), one = 1, info;
        t = now();
        dgesv_(&n, &one, a, &n, ipiv, b, &n, &info);
        t = now() - t;
        if (info != 0) printf("dgesv_ INFO = %d\n", info);
        free(b), free(ipiv);
    } else {
        int vectors = job != 'N', ld = vectors ? n : 1, lwork = -1, info;
        double *s = malloc(sizeof(double) * n), q;
        double *u = malloc(sizeof(double) * (vectors ? nn : 1)), *vt = malloc(sizeof(double) * (vectors ? nn : 1));
        int *iwork = malloc(sizeof(int) * 8 * n);
        char jz[2] = {job, 0};
        dgesdd_(jz, &n, &n, a, &n, s, u, &ld, vt, &ld, &q, &lwork, iwork, &info, 1);
        lwork = (int)q;
        double *work = malloc(sizeof(double) * lwork);
        t = now();
        dgesdd_(jz, &n, &n, a, &n, s, u, &ld, vt, &ld, work, &lwork, iwork, &info, 1);
        t = now() - t;
        if (info != 0) printf("dgesdd_ INFO = %d\n", info);
        free(s), free(u), free(vt), free(iwork), free(work);
    }
    free(a);
    return t;
}

static int cmp(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: time_calls dgemm|dgesv|dgesdd N [N|A]\n");
        return 2;
    }
    const char *routine = argv[1];
    int n = atoi(argv[2]);
    char job = argc > 3 ? argv[3][0] : 'A';
    int reps = getenv("REPS") ? atoi(getenv("REPS")) : 3;
    once(routine, 256, job);
    double t[16];
    if (reps > 16) reps = 16;
    for (int r = 0; r < reps; r++) t[r] = once(routine, n, job);
    qsort(t, reps, sizeof t[0], cmp);
    printf("%s n=%d%s%c: best %.4f s, median %.4f s (%d runs)\n", routine, n, argc > 3 ? " job=" : "", argc > 3 ? job : ' ',
           t[0], t[reps / 2], reps);
    return 0;
}
