/* dgesv_ and dgetrf_ on threads with small stacks (1 MiB, as Java's
 * threads; 2 MiB, as Rust's), linked against liblapack_ai.so alone: the
 * library's CPU path is then the machine's OpenBLAS, whose threaded LU
 * needs more stack than that (src/engine/cpu/mod.rs,
 * OPENBLAS_LU_STACK). Each solve's residual is checked; prints
 * "N passed, N failed". */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

extern void dgesv_(const int *n, const int *nrhs, double *a, const int *lda, int *ipiv, double *b, const int *ldb,
                   int *info);
extern void dgetrf_(const int *m, const int *n, double *a, const int *lda, int *ipiv, int *info);

static int passed, failed;

static void *solve(void *arg) {
    int n = *(int *)arg, one = 1, info = -1;
    double *a = malloc(sizeof(double) * n * n), *a0 = malloc(sizeof(double) * n * n);
    double *b = malloc(sizeof(double) * n), *x = malloc(sizeof(double) * n);
    int *ipiv = malloc(sizeof(int) * n);
    srand(n);
    for (long i = 0; i < (long)n * n; i++) a0[i] = a[i] = rand() / (double)RAND_MAX - 0.5;
    for (int i = 0; i < n; i++) x[i] = b[i] = 1.0;
    dgesv_(&n, &one, a, &n, ipiv, x, &n, &info);
    double r = 0, anorm = 0, xnorm = 0;
    for (int i = 0; i < n; i++) {
        double s = -b[i];
        for (int j = 0; j < n; j++) s += a0[i + (long)j * n] * x[j];
        r = fmax(r, fabs(s));
        xnorm = fmax(xnorm, fabs(x[i]));
    }
    for (long i = 0; i < (long)n * n; i++) anorm = fmax(anorm, fabs(a0[i]));
    int ok = info == 0 && r / (anorm * xnorm * n * 1.1e-16) < 30;
    for (long i = 0; i < (long)n * n; i++) a[i] = a0[i];
    dgetrf_(&n, &n, a, &n, ipiv, &info);
    ok = ok && info == 0;
    __atomic_add_fetch(ok ? &passed : &failed, 1, __ATOMIC_SEQ_CST);
    if (!ok) fprintf(stderr, "n=%d: info %d, residual ratio %g\n", n, info, r / (anorm * xnorm * n * 1.1e-16));
    free(a); free(a0); free(b); free(x); free(ipiv);
    return NULL;
}

int main(void) {
    int sizes[] = {200, 700, 1500};
    size_t stacks[] = {1 << 20, 2 << 20};
    for (int s = 0; s < 2; s++)
        for (int k = 0; k < 3; k++) {
            pthread_attr_t attr;
            pthread_t t;
            pthread_attr_init(&attr);
            pthread_attr_setstacksize(&attr, stacks[s]);
            if (pthread_create(&t, &attr, solve, &sizes[k]) != 0) { failed++; continue; }
            pthread_join(t, NULL);
            pthread_attr_destroy(&attr);
        }
    solve(&sizes[2]); /* and on the main thread, on the machine's library */
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
