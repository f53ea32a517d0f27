/*
 * dgesv_ in a program linked against liblapack_ai.so alone (the README's
 * pkg-config line), for issue 18: which CPU LAPACK such a program gets.
 *
 *   cc -O2 bench/dgesv_alone.c $(pkg-config --cflags --libs lapack_ai) -o dgesv_alone
 *   ./dgesv_alone 1500                      # the machine's LAPACK, found by the library
 *   LAPACK_AI_CPU_LIB=bundled ./dgesv_alone 1500   # the bundled reference
 *
 * Prints "info INFO time SECONDS x0 X(1)"; with a second argument, also
 * lapack_ai_info().
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
extern void dgesv_(const int*, const int*, double*, const int*, int*, double*, const int*, int*);
extern const char *lapack_ai_info(void);
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1500, one = 1, info;
    double *a = malloc(sizeof(double)*n*n), *b = malloc(sizeof(double)*n); int *ipiv = malloc(sizeof(int)*n);
    srand(1); for (long i = 0; i < (long)n*n; i++) a[i] = rand()/(double)RAND_MAX; for (int i = 0; i < n; i++) b[i] = 1;
    struct timespec t0, t1; clock_gettime(CLOCK_MONOTONIC, &t0);
    dgesv_(&n, &one, a, &n, ipiv, b, &n, &info);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("info %d time %.3f x0 %.6g\n", info, (t1.tv_sec-t0.tv_sec)+1e-9*(t1.tv_nsec-t0.tv_nsec), b[0]);
    if (argc > 2) printf("%s", lapack_ai_info());
    return 0;
}
