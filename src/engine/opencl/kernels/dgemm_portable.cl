/*
 * dgemm_portable.cl -- portable double-precision GEMM tile kernel (OpenCL 1.2 + cl_khr_fp64).
 *
 *   C(i,j) = alpha * sum_l opA(i,l) * opB(l,j) + beta * C(i,j),  0 <= i < M, 0 <= j < N
 *
 * Column-major storage, Fortran DGEMM semantics:
 *   opA(i,l) = A[offA + i + l*lda]  (TRANS_A == 0)   or  A[offA + l + i*lda]  (TRANS_A == 1)
 *   opB(l,j) = B[offB + l + j*ldb]  (TRANS_B == 0)   or  B[offB + j + l*ldb]  (TRANS_B == 1)
 *   C(i,j)   = C[offC + i + j*ldc]
 *
 * Launch (host side):
 *   global = (ceil(M/TILE_M) * WG_X, ceil(N/TILE_N) * WG_Y),  local = (WG_X, WG_Y)
 *   Work-group (gx, gy) owns the C tile rows [gx*TILE_M, +TILE_M) x cols [gy*TILE_N, +TILE_N).
 *
 * What one work-item (tx, ty) does:
 *   - computes the WPT_M x WPT_N = (TILE_M/WG_X) x (TILE_N/WG_Y) elements of its tile with
 *     rows  gx*TILE_M + tx + r*WG_X  (r = 0..WPT_M-1)   and
 *     cols  gy*TILE_N + ty + c*WG_Y  (c = 0..WPT_N-1),
 *     accumulating in private registers with fma();
 *   - per K-step of TILE_K, helps load the TILE_M x TILE_K slice of opA and the
 *     TILE_K x TILE_N slice of opB from global memory into local memory
 *     (As[k][m], Bs[k][n], rows padded by one element); the transposes are resolved
 *     at this load, so the inner product loop is the same for all four TRANS pairs.
 *     Loads are arranged so that consecutive work-items read consecutive addresses.
 *   - Global memory touched: only elements of the M x K (op) A, K x N (op) B and
 *     M x N C submatrices; out-of-range elements of edge tiles are never read
 *     (they are taken as 0) and never written.
 *   - C is read only when beta != 0 (so NaN/Inf in C do not leak when beta == 0).
 *     When alpha == 0 (or K == 0), A and B are not read: C = beta*C (0 if beta == 0).
 *
 * Default tiling: TILE_M = 64, TILE_N = 64, TILE_K = 16, WG_X = 16, WG_Y = 16
 * (256 work-items, each a 4x4 block of C). Local memory: TILE_K*(TILE_M+1 + TILE_N+1)*8 bytes
 * (16.6 KB at the defaults). Any value can be overridden with -D; requirements: TILE_M % WG_X == 0,
 * TILE_N % WG_Y == 0.
 *
 * Indexing of A, B, C uses 64-bit products (long) so large leading dimensions do not overflow.
 *
 * Measured (NN, device-resident): PoCL 3.1 on 2 EPYC cores about 10 GFLOP/s at 1024^3;
 * NVIDIA H100 (OpenCL 3.0, driver 580) 11 TFLOP/s at 4096^3 (13 with TILE_M=TILE_N=128, i.e.
 * 8x8 per work-item; use dgemm_nvidia_mma.cl there).
 */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable

#ifndef TRANS_A
#define TRANS_A 0
#endif
#ifndef TRANS_B
#define TRANS_B 0
#endif

#ifndef TILE_M
#define TILE_M 64
#endif
#ifndef TILE_N
#define TILE_N 64
#endif
#ifndef TILE_K
#define TILE_K 16
#endif
#ifndef WG_X
#define WG_X 16
#endif
#ifndef WG_Y
#define WG_Y 16
#endif

#if (TILE_M % WG_X) != 0 || (TILE_N % WG_Y) != 0
#error "dgemm_portable: TILE_M must be a multiple of WG_X and TILE_N a multiple of WG_Y"
#endif

#define WPT_M (TILE_M / WG_X)
#define WPT_N (TILE_N / WG_Y)
#define NTHREADS (WG_X * WG_Y)
#define LDA_L (TILE_M + 1) /* local row pitch of As[k][m] */
#define LDB_L (TILE_N + 1) /* local row pitch of Bs[k][n] */
#define A_LOADS ((TILE_M * TILE_K + NTHREADS - 1) / NTHREADS)
#define B_LOADS ((TILE_N * TILE_K + NTHREADS - 1) / NTHREADS)

__kernel __attribute__((reqd_work_group_size(WG_X, WG_Y, 1)))
void dgemm_tile(const int M, const int N, const int K, const double alpha,
                __global const double *A, const int offA, const int lda,
                __global const double *B, const int offB, const int ldb,
                const double beta, __global double *C, const int offC, const int ldc)
{
    __local double As[TILE_K * LDA_L];
    __local double Bs[TILE_K * LDB_L];

    const int tx = (int)get_local_id(0);
    const int ty = (int)get_local_id(1);
    const int lin = tx + ty * WG_X;
    const int bm = (int)get_group_id(0) * TILE_M;
    const int bn = (int)get_group_id(1) * TILE_N;

    A += offA;
    B += offB;
    C += offC;

    double acc[WPT_M][WPT_N];
    for (int r = 0; r < WPT_M; ++r)
        for (int c = 0; c < WPT_N; ++c)
            acc[r][c] = 0.0;

    /* alpha == 0: the product is not needed and A, B are not referenced. */
    const int ktiles = (alpha == 0.0) ? 0 : (K + TILE_K - 1) / TILE_K;

    for (int kt = 0; kt < ktiles; ++kt) {
        const int k0 = kt * TILE_K;

        /* ---- global -> local: opA slice (TILE_M x TILE_K) into As[k][m] ---- */
        for (int q = 0; q < A_LOADS; ++q) {
            const int e = lin + q * NTHREADS;
            if (e < TILE_M * TILE_K) {
#if TRANS_A == 0
                const int m = e % TILE_M, k = e / TILE_M; /* consecutive items: consecutive rows i */
#else
                const int k = e % TILE_K, m = e / TILE_K; /* consecutive items: consecutive l */
#endif
                const int gi = bm + m, gl = k0 + k;
                double v = 0.0;
                if (gi < M && gl < K) {
#if TRANS_A == 0
                    v = A[gi + (long)gl * lda];
#else
                    v = A[gl + (long)gi * lda];
#endif
                }
                As[k * LDA_L + m] = v;
            }
        }

        /* ---- global -> local: opB slice (TILE_K x TILE_N) into Bs[k][n] ---- */
        for (int q = 0; q < B_LOADS; ++q) {
            const int e = lin + q * NTHREADS;
            if (e < TILE_N * TILE_K) {
#if TRANS_B == 0
                const int k = e % TILE_K, n = e / TILE_K; /* consecutive items: consecutive l */
#else
                const int n = e % TILE_N, k = e / TILE_N; /* consecutive items: consecutive cols j */
#endif
                const int gl = k0 + k, gj = bn + n;
                double v = 0.0;
                if (gl < K && gj < N) {
#if TRANS_B == 0
                    v = B[gl + (long)gj * ldb];
#else
                    v = B[gj + (long)gl * ldb];
#endif
                }
                Bs[k * LDB_L + n] = v;
            }
        }

        barrier(CLK_LOCAL_MEM_FENCE);

        /* ---- register-blocked product of the two local slices ---- */
        for (int k = 0; k < TILE_K; ++k) {
            double a[WPT_M], b[WPT_N];
            for (int r = 0; r < WPT_M; ++r)
                a[r] = As[k * LDA_L + tx + r * WG_X];
            for (int c = 0; c < WPT_N; ++c)
                b[c] = Bs[k * LDB_L + ty + c * WG_Y];
            for (int r = 0; r < WPT_M; ++r)
                for (int c = 0; c < WPT_N; ++c)
                    acc[r][c] = fma(a[r], b[c], acc[r][c]);
        }

        barrier(CLK_LOCAL_MEM_FENCE);
    }

    /* ---- epilogue: C = alpha*acc + beta*C, bounds-checked; C not read when beta == 0 ---- */
    for (int c = 0; c < WPT_N; ++c) {
        const int gj = bn + ty + c * WG_Y;
        if (gj < N) {
            for (int r = 0; r < WPT_M; ++r) {
                const int gi = bm + tx + r * WG_X;
                if (gi < M) {
                    const long idx = gi + (long)gj * ldc;
                    if (beta == 0.0)
                        C[idx] = alpha * acc[r][c];
                    else
                        C[idx] = fma(alpha, acc[r][c], beta * C[idx]);
                }
            }
        }
    }
}
