/*
 * DGEMM through the library, all four transpose pairs (each a program of
 * its own in the kernel cache), each checked against a plain triple loop
 * on the CPU. Used by tests/cache.sh with LAPACK_AI_MODE=gpu on PoCL, so
 * that every run either builds the kernels or loads them from the cache.
 *
 * Build: cc -I include tests/c/cache_consumer.c -L target/release -llapack_ai -lm
 * Prints one line per failed check and "N passed, N failed" at the end.
 */
#include <lapack_ai.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum { M = 70, N = 50, K = 60 };

static double rnd(void)
{
    return (double)rand() / RAND_MAX * 2.0 - 1.0;
}

int main(void)
{
    static double a[M * K], b[K * N], c[M * N], ref[M * N];
    const double alpha = 1.5, beta = 0.5;
    const char *trans = "NT";
    int passed = 0, failed = 0;
    srand(15);
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            /* op(A) is M x K, op(B) is K x N, column-major. */
            int lda = ta ? K : M, ldb = tb ? N : K, ldc = M, m = M, n = N, k = K;
            for (int i = 0; i < M * K; i++)
                a[i] = rnd();
            for (int i = 0; i < K * N; i++)
                b[i] = rnd();
            for (int i = 0; i < M * N; i++)
                c[i] = ref[i] = rnd();
            for (int j = 0; j < N; j++)
                for (int i = 0; i < M; i++) {
                    double s = 0.0;
                    for (int l = 0; l < K; l++)
                        s += (ta ? a[l + i * lda] : a[i + l * lda]) * (tb ? b[j + l * ldb] : b[l + j * ldb]);
                    ref[i + j * ldc] = alpha * s + beta * ref[i + j * ldc];
                }
            dgemm_(&trans[ta], &trans[tb], &m, &n, &k, &alpha, a, &lda, b, &ldb, &beta, c, &ldc, 1, 1);
            double err = 0.0;
            for (int i = 0; i < M * N; i++)
                err = fmax(err, fabs(c[i] - ref[i]));
            if (err <= 1e-12) {
                passed++;
            } else {
                failed++;
                printf("FAIL dgemm_ %c%c: max |C - C_ref| = %g\n", trans[ta], trans[tb], err);
            }
        }
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
