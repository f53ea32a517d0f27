/*
 * The statistics from C, through include/lapack_ai.h (tests/stats_monitor.sh
 * runs it):
 *
 *   stats_consumer          a scripted sequence of calls, then
 *                           lapack_ai_stats_json checked against it
 *                           (snprintf's contract: NULL, 0, 1, short, whole),
 *                           "N passed, N failed", and exit() from inside a
 *                           function: the profile (LAPACK_AI_PROFILE) must
 *                           still be written, once.
 *   stats_consumer load S   small DGEMMs for S seconds (at most 120), for
 *                           the monitor test: the size changes every 2 s,
 *                           so that the charts move.
 */
#include <lapack_ai.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int passed, failed;

static void check(int ok, const char *what)
{
    if (ok)
        passed++;
    else {
        failed++;
        printf("FAIL %s\n", what);
    }
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void gemm(int m, int n, int k, double *a, double *b, double *c)
{
    const double alpha = 1.0, beta = 0.5;
    int lda = m > 1 ? m : 1, ldb = k > 1 ? k : 1, ldc = m > 1 ? m : 1;
    dgemm_("N", "N", &m, &n, &k, &alpha, a, &lda, b, &ldb, &beta, c, &ldc, 1, 1);
}

static int load(double seconds)
{
    static double a[64 * 64], b[64 * 64], c[64 * 64];
    for (int i = 0; i < 64 * 64; i++) {
        a[i] = (i % 13) * 0.1;
        b[i] = (i % 7) * 0.2;
    }
    if (seconds > 120)
        seconds = 120;
    double start = now();
    long calls = 0;
    while (now() - start < seconds) {
        /* A size that changes every 2 s: 16, 32, 48, 64, 16, ... */
        int n = 16 * (1 + (int)((now() - start) / 2) % 4);
        gemm(n, n, n, a, b, c);
        if (++calls % 64 == 0) {
            struct timespec pause = {0, 2000000}; /* 2 ms: leave the other core some room */
            nanosleep(&pause, NULL);
        }
    }
    printf("load: %ld calls\n", calls);
    return 0;
}

static void finish(void)
{
    printf("%d passed, %d failed\n", passed, failed);
    fflush(stdout);
    exit(failed ? 1 : 0); /* exit() from inside a function, not a return from main */
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "load") == 0)
        return load(atof(argv[2]));

    static double a[100], b[100], c[100];
    for (int i = 0; i < 100; i++)
        a[i] = b[i] = 1.0 / (i + 1);
    gemm(3, 4, 5, a, b, c);  /* 120 flops */
    gemm(2, 2, 2, a, b, c);  /* 16 flops */
    gemm(0, 2, 2, a, b, c);  /* quick return: not counted */
    cblas_dgemm(101, 111, 111, 2, 3, 4, 1.0, a, 4, b, 3, 0.0, c, 3); /* 48 flops */
    int n = 2, nrhs = 1, ipiv[2], info = -1;
    double sys[4] = {4, 1, 1, 3}, rhs[2] = {1, 2};
    dgesv_(&n, &nrhs, sys, &n, ipiv, rhs, &n, &info);
    check(info == 0, "dgesv_ info");

    size_t whole = lapack_ai_stats_json(NULL, 0);
    check(whole > 500, "lapack_ai_stats_json(NULL, 0) returns the length");
    char small[16];
    memset(small, 'x', sizeof small);
    check(lapack_ai_stats_json(small, 0) >= whole && small[0] == 'x', "len 0 writes nothing");
    check(lapack_ai_stats_json(small, 1) >= whole && small[0] == '\0' && small[1] == 'x', "len 1 writes the NUL");
    check(lapack_ai_stats_json(small, 10) >= whole && strcmp(small, "{\"library") == 0 && small[10] == 'x',
          "len 10: 9 bytes and a NUL");
    char *buf = malloc(whole + 1024);
    size_t got = lapack_ai_stats_json(buf, whole + 1024);
    check(got < whole + 1024 && strlen(buf) == got, "the whole text fits and is NUL-terminated");
    check(strstr(buf, "{\"routine\":\"dgemm_\",\"calls\":2,\"gpu_calls\":0,\"cpu_calls\":2,\"fallbacks\":0,") != NULL,
          "dgemm_: 2 calls on the CPU");
    check(strstr(buf, "\"flops\":136,\"gpu_flops\":0,\"cpu_flops\":136,") != NULL, "dgemm_: 136 flops");
    check(strstr(buf, "{\"routine\":\"cblas_dgemm\",\"calls\":1,") != NULL, "cblas_dgemm: 1 call");
    check(strstr(buf, "{\"routine\":\"dgesv_\",\"calls\":1,") != NULL, "dgesv_: 1 call");
    check(strstr(buf, "{\"routine\":\"dgesvd_\",\"calls\":0,") != NULL, "dgesvd_: no call");
    if (failed)
        printf("%s\n", buf);
    free(buf);
    finish();
    return 2; /* not reached */
}
