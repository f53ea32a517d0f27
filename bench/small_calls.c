/*
 * The cost of the library on a program's small Level-3 BLAS calls (issue
 * 19: preloading must never make a program slower): ROUTINE of order N,
 * CALLS times in a loop, on the same operands; prints the mean time per
 * call in microseconds. Run it alone and with liblapack_ai.so preloaded
 * (LAPACK_AI_MODE=auto, no log) over the same BLAS, and compare:
 *
 *   cc -O2 bench/small_calls.c -o small_calls -lblas
 *   ./small_calls zgemm 8 200000
 *   LD_PRELOAD=target/release/liblapack_ai.so ./small_calls zgemm 8 200000
 *
 * ROUTINE: dgemm sgemm zgemm cherk ztrsm dsyrk. The Fortran prototypes
 * are declared here (gfortran ABI, LP64), as in bench/suite.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern void dgemm_(const char *, const char *, const int *, const int *, const int *, const double *,
                   const double *, const int *, const double *, const int *, const double *, double *,
                   const int *, size_t, size_t);
extern void sgemm_(const char *, const char *, const int *, const int *, const int *, const float *,
                   const float *, const int *, const float *, const int *, const float *, float *,
                   const int *, size_t, size_t);
extern void zgemm_(const char *, const char *, const int *, const int *, const int *, const double *,
                   const double *, const int *, const double *, const int *, const double *, double *,
                   const int *, size_t, size_t);
extern void cherk_(const char *, const char *, const int *, const int *, const float *, const float *,
                   const int *, const float *, float *, const int *, size_t, size_t);
extern void ztrsm_(const char *, const char *, const char *, const char *, const int *, const int *,
                   const double *, const double *, const int *, double *, const int *, size_t, size_t,
                   size_t, size_t);
extern void dsyrk_(const char *, const char *, const int *, const int *, const double *, const double *,
                   const int *, const double *, double *, const int *, size_t, size_t);

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: small_calls ROUTINE N CALLS\n");
        return 2;
    }
    const char *r = argv[1];
    const int n = atoi(argv[2]);
    const long calls = atol(argv[3]);
    if (n < 1 || n > 512 || calls < 1) {
        fprintf(stderr, "small_calls: N from 1 to 512, CALLS >= 1\n");
        return 2;
    }
    size_t nn = (size_t)n * n;
    double *a = malloc(2 * nn * sizeof(double)), *b = malloc(2 * nn * sizeof(double)),
           *c = malloc(2 * nn * sizeof(double));
    float *af = malloc(2 * nn * sizeof(float)), *cf = malloc(2 * nn * sizeof(float));
    if (!a || !b || !c || !af || !cf)
        return 1;
    for (size_t i = 0; i < 2 * nn; i++) {
        a[i] = 0.5 + (double)(i % 7) / 8.0, b[i] = 0.25 + (double)(i % 5) / 8.0, c[i] = 0.0;
        af[i] = (float)a[i], cf[i] = 0.0f;
    }
    for (int j = 0; j < n; j++)
        a[2 * ((size_t)j + (size_t)j * n)] += n; /* a well-conditioned triangle */
    const double one[2] = {1.0, 0.0}, zero[2] = {0.0, 0.0};
    const float onef[2] = {1.0f, 0.0f}, zerof[2] = {0.0f, 0.0f};
    double t0 = 0;
    for (long i = -calls / 10; i < calls; i++) { /* the first tenth warms up */
        if (i == 0)
            t0 = now();
        if (!strcmp(r, "dgemm"))
            dgemm_("N", "N", &n, &n, &n, one, a, &n, b, &n, zero, c, &n, 1, 1);
        else if (!strcmp(r, "sgemm"))
            sgemm_("N", "N", &n, &n, &n, onef, af, &n, af, &n, zerof, cf, &n, 1, 1);
        else if (!strcmp(r, "zgemm"))
            zgemm_("N", "N", &n, &n, &n, one, a, &n, b, &n, zero, c, &n, 1, 1);
        else if (!strcmp(r, "cherk"))
            cherk_("L", "N", &n, &n, onef, af, &n, zerof, cf, &n, 1, 1);
        else if (!strcmp(r, "ztrsm")) {
            memcpy(c, b, 2 * nn * sizeof(double));
            ztrsm_("L", "L", "N", "N", &n, &n, one, a, &n, c, &n, 1, 1, 1, 1);
        } else if (!strcmp(r, "dsyrk"))
            dsyrk_("L", "N", &n, &n, one, a, &n, zero, c, &n, 1, 1);
        else {
            fprintf(stderr, "small_calls: unknown routine %s\n", r);
            return 2;
        }
    }
    printf("%s %d %.3f us/call\n", r, n, (now() - t0) / calls * 1e6);
    return 0;
}
