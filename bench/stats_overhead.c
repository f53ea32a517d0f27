/*
 * What counting costs (issue 9, bench/RESULTS.md "Profiling overhead"):
 * many small DGEMMs through liblapack_ai.so, the library of this tree
 * against a baseline build without the counters, both loaded into the SAME
 * process (dlopen, RTLD_LOCAL) and called in alternating blocks, so that
 * whatever else the machine is doing slows both alike. The CPU BLAS behind
 * both, and the reference column, is LAPACK_AI_CPU_LIB.
 *
 *   stats_overhead N CALLS ROUNDS BASELINE.so CANDIDATE.so
 *
 * Each round runs CALLS DGEMMs of N x N x N through each library (and the
 * BLAS directly), in an order that rotates with the round. Prints the
 * median ns per call of each, and the candidate's overhead over the
 * baseline: the median over rounds of (candidate / baseline - 1), with its
 * quartiles, and the ratio of the totals over all rounds (which counts
 * rare costs, such as serving a scrape, that a median skips), in
 * wall-clock time and in the CPU time of the whole process
 * (which counts the monitor's thread, and not the time this process waits
 * while other programs run: the lower-noise figure on a shared machine).
 * With SCRAPE_PORT set, a thread fetches /api/stats and /metrics from
 * 127.0.0.1:SCRAPE_PORT every 500 ms meanwhile, as the monitor's page and
 * a Prometheus server would (its own CPU time is a client's: left out).
 *
 * Build: cc -O2 bench/stats_overhead.c -ldl -lpthread -o stats_overhead
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef void dgemm_fn(const char *, const char *, const int *, const int *, const int *, const double *,
                      const double *, const int *, const double *, const int *, const double *, double *,
                      const int *, size_t, size_t);

static double clock_of(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static double scraper_cpu; /* CPU seconds of the scraper thread so far */

static int by_value(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static dgemm_fn *load(const char *path)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    dgemm_fn *f = h ? (dgemm_fn *)dlsym(h, "dgemm_") : NULL;
    if (!f) {
        fprintf(stderr, "cannot load dgemm_ from %s: %s\n", path, dlerror());
        exit(2);
    }
    return f;
}

static volatile int stop;
static int scrapes;

static void *scraper(void *arg)
{
    int port = *(int *)arg;
    const char *paths[] = {"/api/stats", "/metrics"};
    while (!stop) {
        for (int p = 0; p < 2; p++) {
            int s = socket(AF_INET, SOCK_STREAM, 0);
            struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            if (connect(s, (struct sockaddr *)&a, sizeof a) == 0) {
                char req[128], buf[65536];
                int len = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", paths[p]);
                if (write(s, req, len) == len) {
                    long got = 0, r;
                    while ((r = read(s, buf, sizeof buf)) > 0)
                        got += r;
                    if (got > 0 && strncmp(buf, "HTTP/1.1 200", 12) == 0)
                        scrapes++;
                }
            }
            close(s);
        }
        scraper_cpu = clock_of(CLOCK_THREAD_CPUTIME_ID);
        usleep(500000);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: %s N CALLS ROUNDS BASELINE.so CANDIDATE.so\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[1]), calls = atoi(argv[2]), rounds = atoi(argv[3]);
    const char *blas = getenv("LAPACK_AI_CPU_LIB");
    if (n < 1 || calls < 1 || rounds < 1 || !blas) {
        fprintf(stderr, "N, CALLS, ROUNDS >= 1 and LAPACK_AI_CPU_LIB set, please\n");
        return 2;
    }
    dgemm_fn *f[3] = {load(blas), load(argv[4]), load(argv[5])};
    double *a = malloc(sizeof(double) * n * n), *b = malloc(sizeof(double) * n * n), *c = malloc(sizeof(double) * n * n);
    double sum[2][3] = {{0}}; /* [wall, cpu][library] */
    double *t[3], *cpu[3], *ratio = malloc(sizeof(double) * rounds), *cratio = malloc(sizeof(double) * rounds);
    for (int i = 0; i < n * n; i++) {
        a[i] = (i % 17) * 0.25 - 2.0;
        b[i] = (i % 11) * 0.5 - 2.5;
        c[i] = 0.0;
    }
    const double alpha = 1.0, beta = 0.5;
    pthread_t thread;
    int port = getenv("SCRAPE_PORT") ? atoi(getenv("SCRAPE_PORT")) : 0;
    for (int l = 0; l < 3; l++) {
        t[l] = malloc(sizeof(double) * rounds);
        cpu[l] = malloc(sizeof(double) * rounds);
        /* Warm-up: resolves the CPU BLAS, starts counters and monitor. */
        for (int i = 0; i < 1000; i++)
            f[l]("N", "N", &n, &n, &n, &alpha, a, &n, b, &n, &beta, c, &n, 1, 1);
    }
    if (port)
        pthread_create(&thread, NULL, scraper, &port);
    for (int r = 0; r < rounds; r++) {
        for (int j = 0; j < 3; j++) {
            int l = (r + j) % 3;
            double start = clock_of(CLOCK_MONOTONIC);
            double cpu_start = clock_of(CLOCK_PROCESS_CPUTIME_ID) - scraper_cpu;
            for (int i = 0; i < calls; i++)
                f[l]("N", "N", &n, &n, &n, &alpha, a, &n, b, &n, &beta, c, &n, 1, 1);
            t[l][r] = (clock_of(CLOCK_MONOTONIC) - start) / calls * 1e9;
            cpu[l][r] = (clock_of(CLOCK_PROCESS_CPUTIME_ID) - scraper_cpu - cpu_start) / calls * 1e9;
            sum[0][l] += t[l][r];
            sum[1][l] += cpu[l][r];
        }
        ratio[r] = t[2][r] / t[1][r] - 1.0;
        cratio[r] = cpu[2][r] / cpu[1][r] - 1.0;
    }
    if (port) {
        stop = 1;
        pthread_join(thread, NULL);
    }
    for (int l = 0; l < 3; l++) {
        qsort(t[l], rounds, sizeof(double), by_value);
        qsort(cpu[l], rounds, sizeof(double), by_value);
    }
    qsort(ratio, rounds, sizeof(double), by_value);
    qsort(cratio, rounds, sizeof(double), by_value);
    int h = rounds / 2, q1 = rounds / 4, q3 = 3 * rounds / 4;
    printf("n=%-3d wall ns/call: blas %7.1f base %7.1f new %7.1f overhead %+5.2f%% [%+.2f, %+.2f] total %+5.2f%%"
           " | cpu ns/call: base %7.1f new %7.1f overhead %+5.2f%% [%+.2f, %+.2f] total %+5.2f%%",
           n, t[0][h], t[1][h], t[2][h], 100 * ratio[h], 100 * ratio[q1], 100 * ratio[q3],
           100 * (sum[0][2] / sum[0][1] - 1), cpu[1][h], cpu[2][h], 100 * cratio[h], 100 * cratio[q1],
           100 * cratio[q3], 100 * (sum[1][2] / sum[1][1] - 1));
    if (port)
        printf("  scrapes %d", scrapes);
    printf("\n");
    return 0;
}
