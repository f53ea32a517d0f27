/*
 * cl_dgemm_harness.c -- standalone correctness / timing harness for the OpenCL DGEMM kernels
 * in src/engine/opencl/kernels/ (dgemm_portable.cl, dgemm_nvidia_mma.cl).  C99, links -lOpenCL -lm only.
 *
 *   cc -O2 -std=c99 bench/cl_dgemm_harness.c -lOpenCL -lm -o cl_dgemm_harness
 *   cl_dgemm_harness KERNEL.cl DEVICE_SUBSTRING [check|time] [sizes...]
 *
 * DEVICE_SUBSTRING is matched, case-insensitively, against the device name, the platform
 * name and the platform vendor; the first matching device is used.
 *
 * Kernel contract: kernel `dgemm_tile(M,N,K,alpha,A,offA,lda,B,offB,ldb,beta,C,offC,ldc)`,
 * column-major, TRANS_A/TRANS_B given with -D.  The NDRange is
 * global (ceil(M/TILE_M)*WG_X, ceil(N/TILE_N)*WG_Y), local (WG_X, WG_Y).
 *
 * Tunables: every `#ifndef NAME` / `#define NAME value` pair in the .cl file (except TRANS_A,
 * TRANS_B) is a tunable; its default is read from the file, the environment variable
 * LAPACK_AI_<NAME> overrides it, and the harness passes every tunable explicitly with -D so
 * that the NDRange and the compiled kernel always agree.
 *
 * Other environment variables:
 *   LAPACK_AI_CL_OPTS   extra build options (e.g. "-DLAPACK_AI_NO_PTX", "-cl-nv-verbose")
 *   LAPACK_AI_BUILD_LOG =1: print the build log even when the build succeeds
 *   LAPACK_AI_DUMP_BIN  file name: write the program binary of the first build (PTX on NVIDIA)
 *   LAPACK_AI_SEED      random seed (default: from the clock; always printed)
 *   LAPACK_AI_REPS      timed repetitions per size in time mode (default 7, at least 5)
 *   LAPACK_AI_TRANS     time mode: which transpose pairs at the largest size (default "NN,NT,TN,TT")
 *   LAPACK_AI_GUARD     check mode: 1 = guard-page buffers (default on CPU devices), 0 = off
 *
 * check: all 4 transpose pairs x sizes x alpha {1,-0.7} x beta {0,1,0.3} x {tight layout,
 *        offsets>0 with padded leading dimensions}.  A/B padding is NaN (a read of padding
 *        shows up as NaN in C), C is NaN-filled when beta == 0, C padding must be unchanged
 *        bit for bit.  Reference: naive long double triple loop; elementwise bound
 *        |err| <= 4*(K+2)*eps*(|alpha|*sum|a||b| + |beta*c|).
 *        Sizes may be given as MxNxK (or n for n x n x n) to replace the default list.
 * time:  square sizes (default 1024 2048 4096 8192), device-resident buffers, alpha=1 beta=0,
 *        warm-up then median of LAPACK_AI_REPS runs timed with profiling events; NN at every
 *        size, NT/TN/TT also at the largest size; a sample of C is checked after timing.
 */
#define _POSIX_C_SOURCE 200112L
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS with glibc */
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__unix__) || defined(__APPLE__)
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>
#define HAVE_GUARD_PAGES 1
#if !defined(MAP_ANONYMOUS) && defined(MAP_ANON)
#define MAP_ANONYMOUS MAP_ANON
#endif
#endif

#define CHECK_CL(call)                                                                   \
    do {                                                                                 \
        cl_int err_ = (call);                                                            \
        if (err_ != CL_SUCCESS) {                                                        \
            fprintf(stderr, "%s:%d: OpenCL error %d in %s\n", __FILE__, __LINE__,        \
                    (int)err_, #call);                                                   \
            exit(2);                                                                     \
        }                                                                                \
    } while (0)

static void die(const char *msg)
{
    fprintf(stderr, "error: %s\n", msg);
    exit(2);
}

/* ------------------------------------------------------------------------------------ */
/* random numbers: xorshift64*                                                            */

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rng_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

/* uniform in [-1,-1/16] U [1/16,1]: nonzero, mixed signs */
static double rng_val(void)
{
    double u = (double)(rng_next() >> 11) * (1.0 / 9007199254740992.0); /* [0,1) */
    double mag = 0.0625 + 0.9375 * u;
    return (rng_next() & 1) ? mag : -mag;
}

/* ------------------------------------------------------------------------------------ */
/* kernel source and tunables                                                             */

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (!s || fread(s, 1, (size_t)n, f) != (size_t)n)
        die("cannot read kernel file");
    s[n] = 0;
    fclose(f);
    return s;
}

#define MAX_TUNABLES 48
static char tun_name[MAX_TUNABLES][64];
static char tun_val[MAX_TUNABLES][64];
static int n_tun = 0;

/* a value that can go on a command line as -DNAME=value unquoted */
static int simple_token(const char *v)
{
    if (!*v)
        return 0;
    for (; *v; ++v)
        if (!isalnum((unsigned char)*v) && *v != '_' && *v != '.' && *v != '-' && *v != '+')
            return 0;
    return 1;
}

/* Find `#ifndef NAME` followed (next non-blank line) by `#define NAME value`. */
static void parse_tunables(const char *src)
{
    const char *p = src;
    char pending[64] = "";
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char line[512];
        if (len >= sizeof line)
            len = sizeof line - 1;
        memcpy(line, p, len);
        line[len] = 0;
        char *s = line;
        while (*s == ' ' || *s == '\t')
            ++s;
        if (*s) {
            char name[64], val[64];
            if (sscanf(s, "#ifndef %63s", name) == 1) {
                strcpy(pending, name);
            } else {
                if (pending[0] && sscanf(s, "#define %63s %63s", name, val) == 2 &&
                    strcmp(name, pending) == 0 && strcmp(name, "TRANS_A") != 0 &&
                    strcmp(name, "TRANS_B") != 0 && simple_token(val)) {
                    int dup = 0;
                    for (int i = 0; i < n_tun; ++i)
                        if (strcmp(tun_name[i], name) == 0)
                            dup = 1;
                    if (!dup && n_tun < MAX_TUNABLES) {
                        strcpy(tun_name[n_tun], name);
                        strcpy(tun_val[n_tun], val);
                        ++n_tun;
                    }
                }
                pending[0] = 0;
            }
        }
        if (!eol)
            break;
        p = eol + 1;
    }
    for (int i = 0; i < n_tun; ++i) {
        char env[96];
        snprintf(env, sizeof env, "LAPACK_AI_%s", tun_name[i]);
        const char *v = getenv(env);
        if (v && *v) {
            strncpy(tun_val[i], v, sizeof tun_val[i] - 1);
            tun_val[i][sizeof tun_val[i] - 1] = 0;
        }
    }
}

static int tunable_int(const char *name)
{
    for (int i = 0; i < n_tun; ++i)
        if (strcmp(tun_name[i], name) == 0)
            return atoi(tun_val[i]);
    fprintf(stderr, "error: the kernel file has no `#ifndef %s / #define %s value` default\n",
            name, name);
    exit(2);
}

/* ------------------------------------------------------------------------------------ */
/* OpenCL set-up                                                                          */

static cl_platform_id g_plat;
static cl_device_id g_dev;
static cl_context g_ctx;
static cl_command_queue g_q;
static const char *g_src;
static cl_program g_prog[2][2];
static cl_kernel g_kern[2][2];
static int TM, TN, WGX, WGY;
static int g_dumped = 0;

static int contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle), h = strlen(hay);
    if (n == 0)
        return 1;
    for (size_t i = 0; i + n <= h; ++i) {
        size_t j = 0;
        while (j < n && tolower((unsigned char)hay[i + j]) == tolower((unsigned char)needle[j]))
            ++j;
        if (j == n)
            return 1;
    }
    return 0;
}

static void select_device(const char *want)
{
    cl_uint np = 0;
    CHECK_CL(clGetPlatformIDs(0, NULL, &np));
    if (np == 0)
        die("no OpenCL platform");
    cl_platform_id *plats = malloc(np * sizeof *plats);
    CHECK_CL(clGetPlatformIDs(np, plats, NULL));
    for (cl_uint i = 0; i < np; ++i) {
        char pname[256] = "", pvend[256] = "";
        clGetPlatformInfo(plats[i], CL_PLATFORM_NAME, sizeof pname, pname, NULL);
        clGetPlatformInfo(plats[i], CL_PLATFORM_VENDOR, sizeof pvend, pvend, NULL);
        cl_uint nd = 0;
        if (clGetDeviceIDs(plats[i], CL_DEVICE_TYPE_ALL, 0, NULL, &nd) != CL_SUCCESS || nd == 0)
            continue;
        cl_device_id *devs = malloc(nd * sizeof *devs);
        CHECK_CL(clGetDeviceIDs(plats[i], CL_DEVICE_TYPE_ALL, nd, devs, NULL));
        for (cl_uint d = 0; d < nd; ++d) {
            char dname[256] = "";
            clGetDeviceInfo(devs[d], CL_DEVICE_NAME, sizeof dname, dname, NULL);
            if (contains_ci(dname, want) || contains_ci(pname, want) || contains_ci(pvend, want)) {
                g_plat = plats[i];
                g_dev = devs[d];
                char ver[256] = "", drv[256] = "";
                cl_ulong lmem = 0, gmem = 0;
                cl_uint cus = 0;
                clGetDeviceInfo(g_dev, CL_DEVICE_VERSION, sizeof ver, ver, NULL);
                clGetDeviceInfo(g_dev, CL_DRIVER_VERSION, sizeof drv, drv, NULL);
                clGetDeviceInfo(g_dev, CL_DEVICE_LOCAL_MEM_SIZE, sizeof lmem, &lmem, NULL);
                clGetDeviceInfo(g_dev, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof gmem, &gmem, NULL);
                clGetDeviceInfo(g_dev, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cus, &cus, NULL);
                printf("device: %s | platform: %s (%s) | %s | driver %s\n", dname, pname, pvend,
                       ver, drv);
                printf("        %u compute units, %.1f GiB global, %lu KiB local memory\n", cus,
                       (double)gmem / (1 << 30), (unsigned long)(lmem / 1024));
                free(devs);
                free(plats);
                return;
            }
        }
        free(devs);
    }
    free(plats);
    fprintf(stderr, "error: no OpenCL device matches \"%s\"\n", want);
    exit(2);
}

static void build_options(int ta, int tb, char *opts, size_t cap)
{
    int n = snprintf(opts, cap, "-DTRANS_A=%d -DTRANS_B=%d", ta, tb);
    for (int i = 0; i < n_tun; ++i)
        n += snprintf(opts + n, cap - (size_t)n, " -D%s=%s", tun_name[i], tun_val[i]);
    const char *extra = getenv("LAPACK_AI_CL_OPTS");
    if (extra && *extra)
        snprintf(opts + n, cap - (size_t)n, " %s", extra);
}

static cl_kernel get_kernel(int ta, int tb)
{
    if (g_kern[ta][tb])
        return g_kern[ta][tb];
    char opts[4096];
    build_options(ta, tb, opts, sizeof opts);
    cl_int err;
    size_t len = strlen(g_src);
    cl_program prog = clCreateProgramWithSource(g_ctx, 1, &g_src, &len, &err);
    CHECK_CL(err);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cl_int berr = clBuildProgram(prog, 1, &g_dev, opts, NULL, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    size_t loglen = 0;
    clGetProgramBuildInfo(prog, g_dev, CL_PROGRAM_BUILD_LOG, 0, NULL, &loglen);
    char *log = malloc(loglen + 1);
    clGetProgramBuildInfo(prog, g_dev, CL_PROGRAM_BUILD_LOG, loglen, log, NULL);
    log[loglen] = 0;
    const char *show = getenv("LAPACK_AI_BUILD_LOG");
    if (berr != CL_SUCCESS || (show && *show && *show != '0')) {
        printf("---- build log (%c%c, options: %s) ----\n%s\n---- end of build log ----\n",
               ta ? 'T' : 'N', tb ? 'T' : 'N', opts, log);
    }
    free(log);
    if (berr != CL_SUCCESS) {
        fprintf(stderr, "error: build failed (%d)\n", (int)berr);
        exit(2);
    }
    printf("built %c%c in %.2f s: %s\n", ta ? 'T' : 'N', tb ? 'T' : 'N',
           (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec), opts);

    const char *dump = getenv("LAPACK_AI_DUMP_BIN");
    if (dump && *dump && !g_dumped) {
        size_t bsz = 0;
        if (clGetProgramInfo(prog, CL_PROGRAM_BINARY_SIZES, sizeof bsz, &bsz, NULL) ==
                CL_SUCCESS && bsz > 0) {
            unsigned char *bin = malloc(bsz);
            unsigned char *bins[1] = {bin};
            if (clGetProgramInfo(prog, CL_PROGRAM_BINARIES, sizeof bins, bins, NULL) ==
                CL_SUCCESS) {
                FILE *f = fopen(dump, "wb");
                if (f) {
                    fwrite(bin, 1, bsz, f);
                    fclose(f);
                    printf("program binary (%lu bytes) written to %s\n", (unsigned long)bsz, dump);
                }
            }
            free(bin);
        }
        g_dumped = 1;
    }

    cl_kernel k = clCreateKernel(prog, "dgemm_tile", &err);
    CHECK_CL(err);
    size_t wgs = 0;
    cl_ulong lmem = 0, pmem = 0;
    clGetKernelWorkGroupInfo(k, g_dev, CL_KERNEL_WORK_GROUP_SIZE, sizeof wgs, &wgs, NULL);
    clGetKernelWorkGroupInfo(k, g_dev, CL_KERNEL_LOCAL_MEM_SIZE, sizeof lmem, &lmem, NULL);
    clGetKernelWorkGroupInfo(k, g_dev, CL_KERNEL_PRIVATE_MEM_SIZE, sizeof pmem, &pmem, NULL);
    printf("        kernel: max work-group %lu (need %d), local mem %lu B, private mem %lu B\n",
           (unsigned long)wgs, WGX * WGY, (unsigned long)lmem, (unsigned long)pmem);
    if (wgs < (size_t)(WGX * WGY)) {
        fprintf(stderr, "error: the kernel cannot run with a %dx%d work-group (max %lu)\n", WGX,
                WGY, (unsigned long)wgs);
        exit(2);
    }
    g_prog[ta][tb] = prog;
    g_kern[ta][tb] = k;
    return k;
}

static void set_args(cl_kernel k, int M, int N, int K, double alpha, cl_mem A, int offA, int lda,
                     cl_mem B, int offB, int ldb, double beta, cl_mem C, int offC, int ldc)
{
    cl_int m = M, n = N, kk = K, oa = offA, la = lda, ob = offB, lb = ldb, oc = offC, lc = ldc;
    CHECK_CL(clSetKernelArg(k, 0, sizeof m, &m));
    CHECK_CL(clSetKernelArg(k, 1, sizeof n, &n));
    CHECK_CL(clSetKernelArg(k, 2, sizeof kk, &kk));
    CHECK_CL(clSetKernelArg(k, 3, sizeof alpha, &alpha));
    CHECK_CL(clSetKernelArg(k, 4, sizeof A, &A));
    CHECK_CL(clSetKernelArg(k, 5, sizeof oa, &oa));
    CHECK_CL(clSetKernelArg(k, 6, sizeof la, &la));
    CHECK_CL(clSetKernelArg(k, 7, sizeof B, &B));
    CHECK_CL(clSetKernelArg(k, 8, sizeof ob, &ob));
    CHECK_CL(clSetKernelArg(k, 9, sizeof lb, &lb));
    CHECK_CL(clSetKernelArg(k, 10, sizeof beta, &beta));
    CHECK_CL(clSetKernelArg(k, 11, sizeof C, &C));
    CHECK_CL(clSetKernelArg(k, 12, sizeof oc, &oc));
    CHECK_CL(clSetKernelArg(k, 13, sizeof lc, &lc));
}

static cl_event launch(cl_kernel k, int M, int N)
{
    size_t gws[2] = {(size_t)((M + TM - 1) / TM) * (size_t)WGX,
                     (size_t)((N + TN - 1) / TN) * (size_t)WGY};
    size_t lws[2] = {(size_t)WGX, (size_t)WGY};
    cl_event ev;
    CHECK_CL(clEnqueueNDRangeKernel(g_q, k, 2, NULL, gws, lws, 0, NULL, &ev));
    return ev;
}

static cl_mem make_buffer(size_t nelem, const double *host)
{
    cl_int err;
    if (nelem == 0)
        nelem = 1;
    cl_mem b = clCreateBuffer(g_ctx, CL_MEM_READ_WRITE, nelem * sizeof(double), NULL, &err);
    CHECK_CL(err);
    if (host)
        CHECK_CL(clEnqueueWriteBuffer(g_q, b, CL_TRUE, 0, nelem * sizeof(double), host, 0, NULL,
                                      NULL));
    return b;
}

/* ------------------------------------------------------------------------------------ */
/* check mode                                                                             */

/*
 * Guard mode (CPU devices, e.g. PoCL, or LAPACK_AI_GUARD=1): the check buffers are host
 * memory used in place (CL_MEM_USE_HOST_PTR) that ends right before a PROT_NONE page, with
 * another PROT_NONE page before it; a kernel that reads or writes past the end of a matrix
 * then crashes instead of silently reading garbage that value checks cannot see (e.g. rows
 * i >= M of an edge tile, which are computed but never stored).
 * Otherwise every buffer gets a tail of GUARD_TAIL elements (NaN for A/B, sentinels for C).
 */
#define GUARD_TAIL 64
static int g_guard = 0;
static char g_case[256] = "(none)"; /* the case being run, for the guard-page report */

#ifdef HAVE_GUARD_PAGES
static void on_guard_fault(int sig)
{
    static const char msg[] = "\nFAIL: memory access outside the matrices (guard page hit) in case ";
    ssize_t w = write(2, msg, sizeof msg - 1);
    w = write(2, g_case, strlen(g_case));
    w = write(2, "\n", 1);
    (void)w;
    (void)sig;
    _exit(3);
}
#endif

typedef struct {
    double *h;     /* host array (n elements) */
    size_t n;      /* usable elements, >= requested */
    void *map;     /* mmap base (guard mode) */
    size_t maplen;
    cl_mem d;
} gbuf;

static gbuf gbuf_alloc(size_t want)
{
    gbuf b;
    memset(&b, 0, sizeof b);
    if (want == 0)
        want = 1;
#ifdef HAVE_GUARD_PAGES
    if (g_guard) {
        const size_t pg = (size_t)sysconf(_SC_PAGESIZE);
        const size_t bytes = want * sizeof(double);
        const size_t data_pages = (bytes + pg - 1) / pg;
        b.maplen = (data_pages + 2) * pg;
        char *base = mmap(NULL, b.maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                          -1, 0);
        if (base == MAP_FAILED)
            die("mmap failed");
        if (mprotect(base, pg, PROT_NONE) != 0 ||
            mprotect(base + (data_pages + 1) * pg, pg, PROT_NONE) != 0)
            die("mprotect failed");
        char *end = base + (data_pages + 1) * pg;
        b.h = (double *)(void *)(end - bytes); /* the last element touches the guard page */
        b.n = want;
        b.map = base;
        return b;
    }
#endif
    b.n = want + GUARD_TAIL;
    b.h = malloc(b.n * sizeof(double));
    if (!b.h)
        die("out of host memory");
    return b;
}

static void gbuf_upload(gbuf *b)
{
    cl_int err;
    if (g_guard) {
        b->d = clCreateBuffer(g_ctx, CL_MEM_READ_WRITE | CL_MEM_USE_HOST_PTR, b->n * sizeof(double),
                              b->h, &err);
        CHECK_CL(err);
    } else {
        b->d = make_buffer(b->n, b->h);
    }
}

static void gbuf_free(gbuf *b)
{
    if (b->d)
        clReleaseMemObject(b->d);
#ifdef HAVE_GUARD_PAGES
    if (b->map) {
        munmap(b->map, b->maplen);
        return;
    }
#endif
    free(b->h);
}

static int g_fail_prints = 0;
static double g_worst = 0.0; /* largest |err|/bound among passing elements */

/* returns 1 on pass */
static int run_case(int ta, int tb, int M, int N, int K, double alpha, double beta, int padded)
{
    const int rowsA = ta ? K : M, colsA = ta ? M : K;
    const int rowsB = tb ? N : K, colsB = tb ? K : N;
    int lda = rowsA + (padded ? 5 : 0), ldb = rowsB + (padded ? 3 : 0), ldc = M + (padded ? 4 : 0);
    if (lda < 1)
        lda = 1;
    if (ldb < 1)
        ldb = 1;
    if (ldc < 1)
        ldc = 1;
    const int offA = padded ? 3 : 0, offB = padded ? 7 : 0, offC = padded ? 2 : 0;
    const size_t szA = (size_t)offA + (size_t)lda * (size_t)colsA;
    const size_t szB = (size_t)offB + (size_t)ldb * (size_t)colsB;
    const size_t szC = (size_t)offC + (size_t)ldc * (size_t)N;

    snprintf(g_case, sizeof g_case, "%c%c M=%d N=%d K=%d alpha=%g beta=%g %s", ta ? 'T' : 'N',
             tb ? 'T' : 'N', M, N, K, alpha, beta, padded ? "padded" : "tight");
    gbuf bA = gbuf_alloc(szA), bB = gbuf_alloc(szB), bC = gbuf_alloc(szC);
    double *hA = bA.h, *hB = bB.h, *hC = bC.h;
    const size_t nA = bA.n, nB = bB.n, nC = bC.n;
    double *hC0 = malloc(nC * sizeof(double));
    double *hR = malloc(nC * sizeof(double));
    /* A, B: NaN everywhere outside the matrices, so any use of padding poisons C */
    for (size_t i = 0; i < nA; ++i)
        hA[i] = NAN;
    for (int c = 0; c < colsA; ++c)
        for (int r = 0; r < rowsA; ++r)
            hA[offA + r + (size_t)c * lda] = rng_val();
    for (size_t i = 0; i < nB; ++i)
        hB[i] = NAN;
    for (int c = 0; c < colsB; ++c)
        for (int r = 0; r < rowsB; ++r)
            hB[offB + r + (size_t)c * ldb] = rng_val();
    for (size_t i = 0; i < nC; ++i)
        hC[i] = 1000.0 + rng_val(); /* padding sentinels */
    for (int j = 0; j < N; ++j)
        for (int i = 0; i < M; ++i)
            hC[offC + i + (size_t)j * ldc] = (beta == 0.0) ? NAN : rng_val();
    memcpy(hC0, hC, nC * sizeof(double));

    gbuf_upload(&bA);
    gbuf_upload(&bB);
    gbuf_upload(&bC);
    cl_kernel k = get_kernel(ta, tb);
    set_args(k, M, N, K, alpha, bA.d, offA, lda, bB.d, offB, ldb, beta, bC.d, offC, ldc);
    cl_event ev = launch(k, M, N);
    CHECK_CL(clWaitForEvents(1, &ev));
    cl_int st;
    CHECK_CL(clGetEventInfo(ev, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof st, &st, NULL));
    if (st < 0) {
        fprintf(stderr, "error: kernel execution failed (%d)\n", (int)st);
        exit(2);
    }
    clReleaseEvent(ev);
    CHECK_CL(clEnqueueReadBuffer(g_q, bC.d, CL_TRUE, 0, nC * sizeof(double), hR, 0, NULL, NULL));

    int bad = 0;
    for (int j = 0; j < N; ++j) {
        for (int i = 0; i < M; ++i) {
            long double s = 0.0L, sa = 0.0L;
            for (int l = 0; l < K; ++l) {
                double a = ta ? hA[offA + l + (size_t)i * lda] : hA[offA + i + (size_t)l * lda];
                double b = tb ? hB[offB + j + (size_t)l * ldb] : hB[offB + l + (size_t)j * ldb];
                s += (long double)a * b;
                sa += fabsl((long double)a * b);
            }
            const size_t ic = offC + i + (size_t)j * ldc;
            long double ref = (long double)alpha * s;
            long double scale = fabsl((long double)alpha) * sa;
            if (beta != 0.0) {
                ref += (long double)beta * hC0[ic];
                scale += fabsl((long double)beta * hC0[ic]);
            }
            const double bound = 4.0 * (K + 2) * DBL_EPSILON * (double)scale + DBL_MIN;
            const double got = hR[ic];
            const double err = isnan(got) ? INFINITY : fabs((double)((long double)got - ref));
            if (!(err <= bound)) {
                if (g_fail_prints < 12) {
                    printf("   FAIL %c%c M=%d N=%d K=%d alpha=%g beta=%g %s: C(%d,%d) = %.17g, "
                           "expected %.17Lg (bound %.3g)\n",
                           ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, alpha, beta,
                           padded ? "padded" : "tight", i, j, got, ref, bound);
                    ++g_fail_prints;
                }
                ++bad;
            } else if (err / bound > g_worst) {
                g_worst = err / bound;
            }
        }
    }
    /* everything outside the C submatrix must be unchanged, bit for bit */
    for (size_t ic = 0; ic < nC; ++ic) {
        size_t rel = ic >= (size_t)offC ? ic - offC : (size_t)-1;
        int inside = 0;
        if (ic >= (size_t)offC) {
            size_t j = rel / (size_t)ldc, i = rel % (size_t)ldc;
            inside = (j < (size_t)N && i < (size_t)M);
        }
        if (!inside && memcmp(&hR[ic], &hC0[ic], sizeof(double)) != 0) {
            if (g_fail_prints < 12) {
                printf("   FAIL %c%c M=%d N=%d K=%d alpha=%g beta=%g %s: C padding element %lu "
                       "changed (%.17g -> %.17g)\n",
                       ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, alpha, beta,
                       padded ? "padded" : "tight", (unsigned long)ic, hC0[ic], hR[ic]);
                ++g_fail_prints;
            }
            ++bad;
        }
    }
    gbuf_free(&bA);
    gbuf_free(&bB);
    gbuf_free(&bC);
    free(hC0);
    free(hR);
    return bad == 0;
}

static int do_check(int nsz, int (*sizes)[3])
{
    static int defaults[][3] = {{1, 1, 1},     {7, 5, 3},     {17, 31, 13},  {64, 64, 64},
                                {129, 67, 255}, {200, 1, 300}, {1, 200, 9},   {9, 7, 0},
                                {128, 128, 16}, {257, 129, 33}, {300, 260, 70}};
    if (nsz == 0) {
        sizes = defaults;
        nsz = (int)(sizeof defaults / sizeof defaults[0]);
    }
    const double alphas[] = {1.0, -0.7};
    const double betas[] = {0.0, 1.0, 0.3};
    int passed = 0, failed = 0;
    for (int t = 0; t < 4; ++t) {
        const int ta = t >> 1, tb = t & 1;
        int tp = 0, tf = 0;
        g_worst = 0.0;
        for (int s = 0; s < nsz; ++s)
            for (int pad = 0; pad < 2; ++pad)
                for (int ia = 0; ia < 2; ++ia)
                    for (int ib = 0; ib < 3; ++ib) {
                        if (run_case(ta, tb, sizes[s][0], sizes[s][1], sizes[s][2], alphas[ia],
                                     betas[ib], pad))
                            ++tp;
                        else
                            ++tf;
                    }
        printf("%c%c: %d passed, %d failed (largest error/bound %.3g)\n", ta ? 'T' : 'N',
               tb ? 'T' : 'N', tp, tf, g_worst);
        fflush(stdout);
        passed += tp;
        failed += tf;
    }
    /* alpha == 0 with NaN in A: reference DGEMM does not reference A and B then */
    {
        int ok = 1;
        const int M = 37, N = 29, K = 11;
        double *hA = malloc((size_t)M * K * sizeof(double)), *hB = malloc((size_t)K * N * sizeof(double));
        double *hC = malloc((size_t)M * N * sizeof(double)), *hR = malloc((size_t)M * N * sizeof(double));
        for (int i = 0; i < M * K; ++i)
            hA[i] = NAN;
        for (int i = 0; i < K * N; ++i)
            hB[i] = rng_val();
        for (int i = 0; i < M * N; ++i)
            hC[i] = rng_val();
        cl_mem dA = make_buffer((size_t)M * K, hA), dB = make_buffer((size_t)K * N, hB);
        cl_mem dC = make_buffer((size_t)M * N, hC);
        cl_kernel k = get_kernel(0, 0);
        set_args(k, M, N, K, 0.0, dA, 0, M, dB, 0, K, 0.5, dC, 0, M);
        cl_event ev = launch(k, M, N);
        CHECK_CL(clWaitForEvents(1, &ev));
        clReleaseEvent(ev);
        CHECK_CL(clEnqueueReadBuffer(g_q, dC, CL_TRUE, 0, (size_t)M * N * sizeof(double), hR, 0,
                                     NULL, NULL));
        for (int i = 0; i < M * N; ++i)
            if (!(fabs(hR[i] - 0.5 * hC[i]) <= 2 * DBL_EPSILON * fabs(hC[i])))
                ok = 0;
        printf("alpha=0 with NaN in A (C = 0.5*C): %s\n", ok ? "passed" : "FAILED");
        if (ok)
            ++passed;
        else
            ++failed;
        clReleaseMemObject(dA);
        clReleaseMemObject(dB);
        clReleaseMemObject(dC);
        free(hA);
        free(hB);
        free(hC);
        free(hR);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

/* ------------------------------------------------------------------------------------ */
/* time mode                                                                              */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int time_one(int ta, int tb, int n, cl_mem dA, cl_mem dB, cl_mem dC, const double *hA,
                    const double *hB, int reps)
{
    cl_kernel k = get_kernel(ta, tb);
    set_args(k, n, n, n, 1.0, dA, 0, n, dB, 0, n, 0.0, dC, 0, n);
    const double flops = 2.0 * (double)n * (double)n * (double)n;
    /* warm-up: at least 2 runs and 0.2 s */
    {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (int w = 0;; ++w) {
            cl_event ev = launch(k, n, n);
            CHECK_CL(clWaitForEvents(1, &ev));
            clReleaseEvent(ev);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            double el = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
            if (w >= 1 && el > 0.2)
                break;
            if (w >= 50)
                break;
        }
    }
    double *tk = malloc((size_t)reps * sizeof(double)), *tw = malloc((size_t)reps * sizeof(double));
    for (int r = 0; r < reps; ++r) {
        struct timespec t0, t1;
        CHECK_CL(clFinish(g_q));
        clock_gettime(CLOCK_MONOTONIC, &t0);
        cl_event ev = launch(k, n, n);
        CHECK_CL(clFinish(g_q));
        clock_gettime(CLOCK_MONOTONIC, &t1);
        cl_ulong s = 0, e = 0;
        CHECK_CL(clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof s, &s, NULL));
        CHECK_CL(clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof e, &e, NULL));
        clReleaseEvent(ev);
        tk[r] = 1e-9 * (double)(e - s);
        tw[r] = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    }
    qsort(tk, (size_t)reps, sizeof(double), cmp_double);
    qsort(tw, (size_t)reps, sizeof(double), cmp_double);
    const double mk = tk[reps / 2], mw = tw[reps / 2];

    /* verify a sample of C (alpha = 1, beta = 0) */
    const int ns = 48;
    int bad = 0;
    for (int q = 0; q < ns; ++q) {
        int i = (int)(rng_next() % (uint64_t)n), j = (int)(rng_next() % (uint64_t)n);
        if (q == 0) {
            i = n - 1;
            j = n - 1;
        }
        double got;
        CHECK_CL(clEnqueueReadBuffer(g_q, dC, CL_TRUE, ((size_t)i + (size_t)j * n) * sizeof(double),
                                     sizeof(double), &got, 0, NULL, NULL));
        long double s = 0.0L, sa = 0.0L;
        for (int l = 0; l < n; ++l) {
            double a = ta ? hA[l + (size_t)i * n] : hA[i + (size_t)l * n];
            double b = tb ? hB[j + (size_t)l * n] : hB[l + (size_t)j * n];
            s += (long double)a * b;
            sa += fabsl((long double)a * b);
        }
        double bound = 4.0 * (n + 2) * DBL_EPSILON * (double)sa + DBL_MIN;
        if (!(fabs((double)((long double)got - s)) <= bound))
            ++bad;
    }
    printf("%c%c  %6d  %10.1f   (kernel %.3f ms [min %.3f], wall %.3f ms = %.1f GFLOP/s)  %s\n",
           ta ? 'T' : 'N', tb ? 'T' : 'N', n, flops / mk * 1e-9, mk * 1e3, tk[0] * 1e3, mw * 1e3,
           flops / mw * 1e-9, bad ? "SAMPLE CHECK FAILED" : "sample ok");
    fflush(stdout);
    free(tk);
    free(tw);
    return bad == 0;
}

static int do_time(int nsz, int *sizes)
{
    static int defaults[] = {1024, 2048, 4096, 8192};
    if (nsz == 0) {
        sizes = defaults;
        nsz = 4;
    }
    int reps = 7;
    const char *r = getenv("LAPACK_AI_REPS");
    if (r && atoi(r) > 0)
        reps = atoi(r) < 5 ? 5 : atoi(r);
    const char *tl = getenv("LAPACK_AI_TRANS");
    if (!tl || !*tl)
        tl = "NN,NT,TN,TT";
    int nmax = 0;
    for (int s = 0; s < nsz; ++s)
        if (sizes[s] > nmax)
            nmax = sizes[s];
    printf("trans   n      GFLOP/s   (median of %d, profiling events)\n", reps);
    int ok = 1;
    for (int s = 0; s < nsz; ++s) {
        const int n = sizes[s];
        const size_t nn = (size_t)n * n;
        double *hA = malloc(nn * sizeof(double)), *hB = malloc(nn * sizeof(double));
        if (!hA || !hB)
            die("out of host memory");
        for (size_t i = 0; i < nn; ++i)
            hA[i] = rng_val();
        for (size_t i = 0; i < nn; ++i)
            hB[i] = rng_val();
        cl_mem dA = make_buffer(nn, hA), dB = make_buffer(nn, hB), dC = make_buffer(nn, NULL);
        if (n == nmax) {
            for (int t = 0; t < 4; ++t) {
                char nm[3] = {t >> 1 ? 'T' : 'N', t & 1 ? 'T' : 'N', 0};
                if (strstr(tl, nm))
                    ok &= time_one(t >> 1, t & 1, n, dA, dB, dC, hA, hB, reps);
            }
        } else {
            ok &= time_one(0, 0, n, dA, dB, dC, hA, hB, reps);
        }
        clReleaseMemObject(dA);
        clReleaseMemObject(dB);
        clReleaseMemObject(dC);
        free(hA);
        free(hB);
    }
    return ok ? 0 : 1;
}

/* ------------------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s KERNEL.cl DEVICE_SUBSTRING [check|time] [sizes...]\n"
                        "  check sizes: MxNxK or n;  time sizes: n (square)\n",
                argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0); /* keep stdout and stderr in order when piped */
    const char *mode = argc > 3 ? argv[3] : "check";
    if (strcmp(mode, "check") != 0 && strcmp(mode, "time") != 0)
        die("mode must be check or time");

    uint64_t seed = (uint64_t)time(NULL);
    const char *se = getenv("LAPACK_AI_SEED");
    if (se && *se)
        seed = strtoull(se, NULL, 10);
    printf("seed %llu (set LAPACK_AI_SEED to repeat)\n", (unsigned long long)seed);
    rng_state = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
    if (rng_state == 0)
        rng_state = 1;

    g_src = read_text(argv[1]);
    parse_tunables(g_src);
    TM = tunable_int("TILE_M");
    TN = tunable_int("TILE_N");
    WGX = tunable_int("WG_X");
    WGY = tunable_int("WG_Y");
    printf("kernel %s: tunables", argv[1]);
    for (int i = 0; i < n_tun; ++i)
        printf(" %s=%s", tun_name[i], tun_val[i]);
    printf("\n");
    if (TM <= 0 || TN <= 0 || WGX <= 0 || WGY <= 0)
        die("bad TILE_M/TILE_N/WG_X/WG_Y");

    select_device(argv[2]);
    cl_int err;
    g_ctx = clCreateContext(NULL, 1, &g_dev, NULL, NULL, &err);
    CHECK_CL(err);
    g_q = clCreateCommandQueue(g_ctx, g_dev, CL_QUEUE_PROFILING_ENABLE, &err);
    CHECK_CL(err);

    {
        cl_device_type dt = 0;
        clGetDeviceInfo(g_dev, CL_DEVICE_TYPE, sizeof dt, &dt, NULL);
        const char *ge = getenv("LAPACK_AI_GUARD");
#ifdef HAVE_GUARD_PAGES
        g_guard = (ge && *ge) ? (*ge != '0') : ((dt & CL_DEVICE_TYPE_CPU) != 0);
        if (g_guard) {
            signal(SIGSEGV, on_guard_fault);
            signal(SIGBUS, on_guard_fault);
        }
#else
        (void)ge;
#endif
    }

    int rc;
    if (strcmp(mode, "check") == 0) {
        printf("check buffers: %s\n",
               g_guard ? "host memory in place, ending at a PROT_NONE guard page"
                       : "device buffers with NaN/sentinel tails");
        int nsz = argc - 4;
        int(*sizes)[3] = nsz > 0 ? malloc((size_t)nsz * sizeof *sizes) : NULL;
        for (int s = 0; s < nsz; ++s) {
            int m, n, k;
            if (sscanf(argv[4 + s], "%dx%dx%d", &m, &n, &k) == 3) {
            } else if (sscanf(argv[4 + s], "%d", &m) == 1) {
                n = k = m;
            } else {
                die("check sizes are MxNxK or n");
            }
            if (m < 1 || n < 1 || k < 0)
                die("check sizes need M,N >= 1 and K >= 0");
            sizes[s][0] = m;
            sizes[s][1] = n;
            sizes[s][2] = k;
        }
        rc = do_check(nsz, sizes);
    } else {
        int nsz = argc - 4;
        int *sizes = nsz > 0 ? malloc((size_t)nsz * sizeof(int)) : NULL;
        for (int s = 0; s < nsz; ++s) {
            sizes[s] = atoi(argv[4 + s]);
            if (sizes[s] < 1)
                die("time sizes are positive integers");
        }
        rc = do_time(nsz, sizes);
    }
    clReleaseCommandQueue(g_q);
    clReleaseContext(g_ctx);
    return rc;
}
