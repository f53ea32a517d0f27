/*
 * dgemm_nvidia_mma.cl -- DGEMM tile kernel for NVIDIA GPUs (sm_80 / sm_90) on the FP64 tensor
 * cores, reached from NVIDIA OpenCL C through inline PTX `mma.sync ... .f64`.
 *
 *   C(i,j) = alpha * sum_l opA(i,l) * opB(l,j) + beta * C(i,j),  0 <= i < M, 0 <= j < N
 *
 * Column-major storage, Fortran DGEMM semantics:
 *   opA(i,l) = A[offA + i + l*lda]  (TRANS_A == 0)   or  A[offA + l + i*lda]  (TRANS_A == 1)
 *   opB(l,j) = B[offB + l + j*ldb]  (TRANS_B == 0)   or  B[offB + j + l*ldb]  (TRANS_B == 1)
 *   C(i,j)   = C[offC + i + j*ldc]
 *
 * Launch (host side):
 *   global = (ceil(M/TILE_M) * WG_X, ceil(N/TILE_N) * WG_Y),  local = (WG_X, WG_Y) = (32, #warps)
 *   Work-group (gx, gy) owns the C tile rows [gx*TILE_M, +TILE_M) x cols [gy*TILE_N, +TILE_N).
 *
 * Defaults: TILE_M = 128, TILE_N = 128, TILE_K = 16, WARP_M = 64, WARP_N = 32,
 *           WG_X = 32, WG_Y = 8 (8 warps, 256 work-items), MMA_SHAPE = 16816, STAGES = 1.
 *   MMA_SHAPE 16816 needs sm_90 (H100/H200); on sm_80 (A100) build with -DMMA_SHAPE=884.
 *   Requirements (checked below with #error): WG_X == 32; WG_Y == (TILE_M/WARP_M)*(TILE_N/WARP_N);
 *   TILE_K % 8 == 0 (% 16 for MMA_SHAPE 16816); WARP_M % 8 == 0 (% 16 for the m16n8 shapes);
 *   WARP_N % 8 == 0; the work-group size divides TILE_M*TILE_K and TILE_N*TILE_K, and TILE_M,
 *   TILE_N, TILE_K (each of the three only where the transpose case needs it).
 *   Local memory: STAGES*TILE_K*(TILE_M+p + TILE_N+p)*8 bytes, p = 1 (TILE_K % 16 == 0) or 2;
 *   33 KB at the defaults: one buffer, the next K-slice being prefetched into registers while
 *   the current one is multiplied (STAGES = 2: two buffers, one barrier per slice; it pays only
 *   where 2*that fits the 48 KB that NVIDIA OpenCL gives a work-group).
 *   Measured on the H100 (driver 580, device-resident, NN): 47 TFLOP/s at 4096^3 and 8192^3
 *   with the defaults (NT/TN/TT 46/45/46 at 8192); m8n8k4 (884) 27.5; m16n8k4/m16n8k8 within
 *   3% of m16n8k16. Small products: with fewer 128x128 tiles than compute units, use
 *   -DTILE_M=64 -DTILE_N=64 -DWARP_M=32 -DWARP_N=32 -DWG_Y=4 (36 instead of 22 TFLOP/s at
 *   1024^3; 11 instead of 5 at 512^3); at 2048^3 and above the defaults are faster.
 *
 * Work decomposition:
 *   - Warp w = get_local_id(1) owns the WARP_M x WARP_N sub-tile at rows
 *     (w % (TILE_M/WARP_M))*WARP_M, cols (w / (TILE_M/WARP_M))*WARP_N of the work-group tile.
 *     Lane = get_local_id(0) (on NVIDIA, local ids x = 0..31 of one y form one warp);
 *     group g = lane >> 2, thread-in-group t = lane & 3.
 *   - Each lane accumulates, in registers, the two C elements (g, 2t) and (g, 2t+1) of every
 *     8x8 block of its warp's sub-tile (WARP_M/8 * WARP_N/8 blocks: 64 doubles at the defaults);
 *     this is the accumulator layout of mma .m8n8k4 / .m16n8k* (.f64), so the blocks are
 *     updated in place by the tensor cores.
 *   - Per K-slice of TILE_K, every work-item loads (TILE_M + TILE_N)*TILE_K/256 elements of opA
 *     and opB from global memory (consecutive work-items read consecutive addresses, in the
 *     contiguous direction of A or B, whatever TRANS_A/TRANS_B), keeps them in registers while
 *     the previous slice is multiplied, then stores them to local memory as As[k][m], Bs[k][n]
 *     (rows padded, see below). The transposes are resolved here: the multiply loop is the
 *     same for all four TRANS pairs.
 *   - Fragments: an MMA's internal k index can be mapped to any K index of the slice, as long
 *     as A and B use the same map. With chunks of KC = 16 (or 8) rows, lane t takes its k values
 *     from rows KC*c + (KC/4)*t + v (v < KC/4) of the slice, so that a warp's fragment loads
 *     from local memory are free of bank conflicts with the row padding (half-warp addresses
 *     (4t + v)*(TILE_M+1) + g + const are distinct modulo 16 doubles), and so are the stores
 *     of the global->local copy in all four transpose cases.
 *   - The next slice's global loads are issued after the first group of MMAs of the current
 *     slice (so the tensor cores restart right after the barrier); interior slices are loaded
 *     without per-element bounds tests.
 *   - Global memory touched: only elements of the M x K (op) A, K x N (op) B and M x N C
 *     submatrices. Out-of-range elements of edge tiles are not read (they are taken as 0) and
 *     C outside the M x N submatrix is not written. C is read only when beta != 0 (NaN/Inf in
 *     C do not leak when beta == 0). When alpha == 0 (or K == 0), A and B are not read.
 *
 * MMA_SHAPE selects the PTX instruction (all .row.col.f64.f64.f64.f64):
 *   884   = mma.sync.aligned.m8n8k4   (sm_80+; runs at about half the rate of the others on H100)
 *   1684  = mma.sync.aligned.m16n8k4  (sm_90, PTX ISA 7.8+)
 *   1688  = mma.sync.aligned.m16n8k8  (sm_90, PTX ISA 7.8+)
 *   16816 = mma.sync.aligned.m16n8k16 (sm_90, PTX ISA 7.8+; default; SASS DMMA.16x8x16)
 *   All four were checked on the H100 (NVIDIA OpenCL 3.0, driver 580) with the harness.
 *   Fragment layouts used (PTX ISA "Matrix fragments for mma.m8n8k4 / m16n8k4 / m16n8k8 /
 *   m16n8k16" with .f64; g = lane>>2, t = lane&3):
 *     A:   a_i = A[g + 8*(i&1)][t + 4*(i>>1)]   (m8n8k4: a_0 = A[g][t])
 *     B:   b_i = B[t + 4*i][g]
 *     C/D: c_i = C[g + 8*(i>>1)][2t + (i&1)]    (m8n8k4: c_0 = C[g][2t], c_1 = C[g][2t+1])
 *
 * -DLAPACK_AI_NO_PTX builds the same tiling without inline PTX: each mma is emulated by the
 * warp writing its fragments to local memory with the layouts above and every lane computing
 * its own accumulator elements from there (barriers around it). Slow, but it validates the
 * tiling and the fragment indexing on any OpenCL device (PoCL on a CPU).
 *
 * Indexing of A, B, C uses 64-bit offsets so large leading dimensions do not overflow.
 */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable

#ifndef TRANS_A
#define TRANS_A 0
#endif
#ifndef TRANS_B
#define TRANS_B 0
#endif

#ifndef TILE_M
#define TILE_M 128
#endif
#ifndef TILE_N
#define TILE_N 128
#endif
#ifndef TILE_K
#define TILE_K 16
#endif
#ifndef WARP_M
#define WARP_M 64
#endif
#ifndef WARP_N
#define WARP_N 32
#endif
#ifndef WG_X
#define WG_X 32
#endif
#ifndef WG_Y
#define WG_Y 8
#endif
#ifndef MMA_SHAPE
#define MMA_SHAPE 16816
#endif
#ifndef STAGES
#define STAGES 1
#endif

/* ---------------------------------------------------------------------------------------- */
/* derived sizes and static checks                                                            */

#define NWARP_M (TILE_M / WARP_M)
#define NWARP_N (TILE_N / WARP_N)
#define NTHR (WG_X * WG_Y)
#define MI (WARP_M / 8)             /* 8-row blocks per warp */
#define NI (WARP_N / 8)             /* 8-col blocks per warp */
/* K is walked in chunks of KC = 16 (TILE_K % 16 == 0) or 8 rows; in a chunk, lane t supplies
   the KQ = KC/4 consecutive rows KC*c + KQ*t + u (u < KQ). The row pitch is padded so that a
   half-warp's fragment loads, at rows KQ*t + u and columns g + const, hit 16 distinct banks. */
#if (TILE_K % 16) == 0
#define KC 16
#define LDPAD 1
#else
#define KC 8
#define LDPAD 2
#endif
#define KQ (KC / 4)
#define LDM (TILE_M + LDPAD)        /* pitch of As[k][m] */
#define LDN (TILE_N + LDPAD)        /* pitch of Bs[k][n] */
#define A_STAGE (TILE_K * LDM)      /* doubles per local-memory stage of A */
#define B_STAGE (TILE_K * LDN)
#define A_LD (TILE_M * TILE_K / NTHR) /* opA elements loaded per work-item per slice */
#define B_LD (TILE_N * TILE_K / NTHR) /* opB elements loaded per work-item per slice */

#if WG_X != 32
#error "dgemm_nvidia_mma: WG_X must be 32 (one warp per local-id row)"
#endif
#if (TILE_M % WARP_M) != 0 || (TILE_N % WARP_N) != 0
#error "dgemm_nvidia_mma: TILE_M/TILE_N must be multiples of WARP_M/WARP_N"
#endif
#if WG_Y != NWARP_M * NWARP_N
#error "dgemm_nvidia_mma: WG_Y must equal (TILE_M/WARP_M)*(TILE_N/WARP_N)"
#endif
#if (TILE_K % 8) != 0
#error "dgemm_nvidia_mma: TILE_K must be a multiple of 8"
#endif
#if MMA_SHAPE == 16816 && KC != 16
#error "dgemm_nvidia_mma: MMA_SHAPE 16816 needs TILE_K % 16 == 0"
#endif
#if STAGES != 1 && STAGES != 2
#error "dgemm_nvidia_mma: STAGES must be 1 or 2"
#endif
#if (WARP_M % 8) != 0 || (WARP_N % 8) != 0
#error "dgemm_nvidia_mma: WARP_M and WARP_N must be multiples of 8"
#endif
#if MMA_SHAPE != 884 && MMA_SHAPE != 1684 && MMA_SHAPE != 1688 && MMA_SHAPE != 16816
#error "dgemm_nvidia_mma: MMA_SHAPE must be 884, 1684, 1688 or 16816"
#endif
#if MMA_SHAPE != 884 && (WARP_M % 16) != 0
#error "dgemm_nvidia_mma: the m16n8 shapes need WARP_M % 16 == 0"
#endif
#if ((TILE_M * TILE_K) % NTHR) != 0 || ((TILE_N * TILE_K) % NTHR) != 0
#error "dgemm_nvidia_mma: the work-group size must divide TILE_M*TILE_K and TILE_N*TILE_K"
#endif
#if TRANS_A == 0
#if (NTHR % TILE_M) != 0
#error "dgemm_nvidia_mma: TRANS_A=0 needs TILE_M to divide the work-group size"
#endif
#define A_STEP (NTHR / TILE_M)
#else
#if (NTHR % TILE_K) != 0
#error "dgemm_nvidia_mma: TRANS_A=1 needs TILE_K to divide the work-group size"
#endif
#define A_STEP (NTHR / TILE_K)
#endif
#if TRANS_B == 0
#if (NTHR % TILE_K) != 0
#error "dgemm_nvidia_mma: TRANS_B=0 needs TILE_K to divide the work-group size"
#endif
#define B_STEP (NTHR / TILE_K)
#else
#if (NTHR % TILE_N) != 0
#error "dgemm_nvidia_mma: TRANS_B=1 needs TILE_N to divide the work-group size"
#endif
#define B_STEP (NTHR / TILE_N)
#endif

/* ---------------------------------------------------------------------------------------- */
/* the MMA instructions                                                                        */

#if !defined(LAPACK_AI_NO_PTX) && !defined(__NV_CL_C_VERSION)
#error "dgemm_nvidia_mma: inline PTX needs NVIDIA OpenCL (build with -DLAPACK_AI_NO_PTX elsewhere: slow emulation, for testing)"
#endif

#ifndef LAPACK_AI_NO_PTX

#define UNROLL _Pragma("unroll")

/* D = A(8x4) * B(4x8) + C, per lane: a = A[g][t], b = B[t][g], (c0,c1) = C[g][2t..2t+1] */
#define MMA_884(C0, C1, A0, B0)                                                                 \
    asm volatile("mma.sync.aligned.m8n8k4.row.col.f64.f64.f64.f64 "                            \
                 "{%0,%1}, {%2}, {%3}, {%4,%5};"                                                \
                 : "=d"(C0), "=d"(C1)                                                           \
                 : "d"(A0), "d"(B0), "d"(C0), "d"(C1))

/* D = A(16x4) * B(4x8) + C */
#define MMA_1684(C0, C1, C2, C3, A0, A1, B0)                                                    \
    asm volatile("mma.sync.aligned.m16n8k4.row.col.f64.f64.f64.f64 "                           \
                 "{%0,%1,%2,%3}, {%4,%5}, {%6}, {%7,%8,%9,%10};"                                \
                 : "=d"(C0), "=d"(C1), "=d"(C2), "=d"(C3)                                       \
                 : "d"(A0), "d"(A1), "d"(B0), "d"(C0), "d"(C1), "d"(C2), "d"(C3))

/* D = A(16x8) * B(8x8) + C */
#define MMA_1688(C0, C1, C2, C3, A0, A1, A2, A3, B0, B1)                                        \
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f64.f64.f64.f64 "                           \
                 "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%10,%11,%12,%13};"                    \
                 : "=d"(C0), "=d"(C1), "=d"(C2), "=d"(C3)                                       \
                 : "d"(A0), "d"(A1), "d"(A2), "d"(A3), "d"(B0), "d"(B1), "d"(C0), "d"(C1),      \
                   "d"(C2), "d"(C3))

/* D = A(16x16) * B(16x8) + C */
#define MMA_16816(C0, C1, C2, C3, A0, A1, A2, A3, A4, A5, A6, A7, B0, B1, B2, B3)               \
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f64.f64.f64.f64 "                          \
                 "{%0,%1,%2,%3}, {%4,%5,%6,%7,%8,%9,%10,%11}, {%12,%13,%14,%15}, "              \
                 "{%16,%17,%18,%19};"                                                           \
                 : "=d"(C0), "=d"(C1), "=d"(C2), "=d"(C3)                                       \
                 : "d"(A0), "d"(A1), "d"(A2), "d"(A3), "d"(A4), "d"(A5), "d"(A6), "d"(A7),      \
                   "d"(B0), "d"(B1), "d"(B2), "d"(B3), "d"(C0), "d"(C1), "d"(C2), "d"(C3))

#else /* LAPACK_AI_NO_PTX: emulate each mma with the documented per-lane fragment layouts */

#define UNROLL

/* words of per-warp scratch: A (16x16) + B (16x8) for the largest shape */
#define EMU_WORDS (16 * 16 + 16 * 8)

/*
 * One warp-wide MMA of shape MMxNxKK (MM = 8 or 16, N = 8, KK = 4, 8 or 16) as the hardware
 * defines it per lane: lane (g, t) holds a_i = A[g + 8*(i&1)][t + 4*(i>>1)] (i < MM*KK/32),
 * b_i = B[t + 4*i][g] (i < KK/4), c_i = C[g + 8*(i>>1)][2t + (i&1)] (i < MM/4).
 * Every work-item of the work-group must call it (it contains barriers).
 */
void emu_mma(const int MM, const int KK, const double *a, const double *b, double *c,
                    __local double *scr, const int lane)
{
    const int g = lane >> 2, t = lane & 3;
    __local double *sA = scr;           /* MM x KK, row-major */
    __local double *sB = scr + MM * KK; /* KK x 8, row-major */
    for (int i = 0; i < MM * KK / 32; ++i)
        sA[(g + 8 * (i & 1)) * KK + t + 4 * (i >> 1)] = a[i];
    for (int i = 0; i < KK / 4; ++i)
        sB[(t + 4 * i) * 8 + g] = b[i];
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int i = 0; i < MM / 4; ++i) {
        const int row = g + 8 * (i >> 1), col = 2 * t + (i & 1);
        double s = c[i];
        for (int k = 0; k < KK; ++k)
            s = fma(sA[row * KK + k], sB[k * 8 + col], s);
        c[i] = s;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
}

#define MMA_884(C0, C1, A0, B0)                                                                 \
    do {                                                                                        \
        double fa_[1] = {A0}, fb_[1] = {B0}, fc_[2] = {C0, C1};                                 \
        emu_mma(8, 4, fa_, fb_, fc_, emu_scr, lane);                                            \
        C0 = fc_[0];                                                                            \
        C1 = fc_[1];                                                                            \
    } while (0)

#define MMA_1684(C0, C1, C2, C3, A0, A1, B0)                                                    \
    do {                                                                                        \
        double fa_[2] = {A0, A1}, fb_[1] = {B0}, fc_[4] = {C0, C1, C2, C3};                     \
        emu_mma(16, 4, fa_, fb_, fc_, emu_scr, lane);                                           \
        C0 = fc_[0];                                                                            \
        C1 = fc_[1];                                                                            \
        C2 = fc_[2];                                                                            \
        C3 = fc_[3];                                                                            \
    } while (0)

#define MMA_1688(C0, C1, C2, C3, A0, A1, A2, A3, B0, B1)                                        \
    do {                                                                                        \
        double fa_[4] = {A0, A1, A2, A3}, fb_[2] = {B0, B1}, fc_[4] = {C0, C1, C2, C3};         \
        emu_mma(16, 8, fa_, fb_, fc_, emu_scr, lane);                                           \
        C0 = fc_[0];                                                                            \
        C1 = fc_[1];                                                                            \
        C2 = fc_[2];                                                                            \
        C3 = fc_[3];                                                                            \
    } while (0)

#define MMA_16816(C0, C1, C2, C3, A0, A1, A2, A3, A4, A5, A6, A7, B0, B1, B2, B3)               \
    do {                                                                                        \
        double fa_[8] = {A0, A1, A2, A3, A4, A5, A6, A7}, fb_[4] = {B0, B1, B2, B3};            \
        double fc_[4] = {C0, C1, C2, C3};                                                       \
        emu_mma(16, 16, fa_, fb_, fc_, emu_scr, lane);                                          \
        C0 = fc_[0];                                                                            \
        C1 = fc_[1];                                                                            \
        C2 = fc_[2];                                                                            \
        C3 = fc_[3];                                                                            \
    } while (0)

#endif /* LAPACK_AI_NO_PTX */

/* ---------------------------------------------------------------------------------------- */

__kernel __attribute__((reqd_work_group_size(WG_X, WG_Y, 1)))
void dgemm_tile(const int M, const int N, const int K, const double alpha,
                __global const double *A, const int offA, const int lda,
                __global const double *B, const int offB, const int ldb,
                const double beta, __global double *C, const int offC, const int ldc)
{
    __local double As[STAGES * A_STAGE];
    __local double Bs[STAGES * B_STAGE];

    const int lane = (int)get_local_id(0);
    const int warp = (int)get_local_id(1);
    const int lin = lane + warp * WG_X;
    const int g = lane >> 2, t = lane & 3;
    const int wm = (warp % NWARP_M) * WARP_M;
    const int wn = (warp / NWARP_M) * WARP_N;
    const int bm = (int)get_group_id(0) * TILE_M;
    const int bn = (int)get_group_id(1) * TILE_N;

#ifdef LAPACK_AI_NO_PTX
    __local double emu_all[WG_Y * EMU_WORDS];
    __local double *emu_scr = emu_all + warp * EMU_WORDS;
#endif

    /* ---- global-load assignment of this work-item (fixed over the K loop) ---- */
#if TRANS_A == 0
    /* opA(i,l) = A[i + l*lda]: consecutive work-items take consecutive rows i */
    const int a_m = lin % TILE_M, a_k = lin / TILE_M; /* element r: (a_m, a_k + r*A_STEP) */
    const int a_mok = (bm + a_m) < M;
    __global const double *a_ptr = A + offA + (bm + a_m) + (long)a_k * lda;
    const long a_rstr = (long)A_STEP * lda, a_tstr = (long)TILE_K * lda;
#else
    /* opA(i,l) = A[l + i*lda]: consecutive work-items take consecutive l */
    const int a_k = lin % TILE_K, a_m = lin / TILE_K; /* element r: (a_m + r*A_STEP, a_k) */
    __global const double *a_ptr = A + offA + a_k + (long)(bm + a_m) * lda;
    const long a_rstr = (long)A_STEP * lda, a_tstr = (long)TILE_K;
#endif
#if TRANS_B == 0
    /* opB(l,j) = B[l + j*ldb]: consecutive work-items take consecutive l */
    const int b_k = lin % TILE_K, b_n = lin / TILE_K; /* element r: (b_k, b_n + r*B_STEP) */
    __global const double *b_ptr = B + offB + b_k + (long)(bn + b_n) * ldb;
    const long b_rstr = (long)B_STEP * ldb, b_tstr = (long)TILE_K;
#else
    /* opB(l,j) = B[j + l*ldb]: consecutive work-items take consecutive columns j */
    const int b_n = lin % TILE_N, b_k = lin / TILE_N; /* element r: (b_k + r*B_STEP, b_n) */
    const int b_nok = (bn + b_n) < N;
    __global const double *b_ptr = B + offB + (bn + b_n) + (long)b_k * ldb;
    const long b_rstr = (long)B_STEP * ldb, b_tstr = (long)TILE_K * ldb;
#endif

    /* ---- fragment bases in local memory for this lane ---- */
    const int a_frag = KQ * t * LDM + wm + g;
    const int b_frag = KQ * t * LDN + wn + g;

    double cx[MI][NI], cy[MI][NI]; /* C(g, 2t) and C(g, 2t+1) of each 8x8 block */
    UNROLL for (int mi = 0; mi < MI; ++mi)
        UNROLL for (int ni = 0; ni < NI; ++ni) {
            cx[mi][ni] = 0.0;
            cy[mi][ni] = 0.0;
        }

    double pa[A_LD], pb[B_LD]; /* prefetched next slice */
    const int nkt = (alpha == 0.0 || K <= 0) ? 0 : (K - 1) / TILE_K + 1;
    int k0 = 0;

#if TRANS_A == 0
#define LOAD_A(r) (a_mok && (k0 + a_k + (r) * A_STEP) < K) ? a_ptr[(r) * a_rstr] : 0.0
#define STORE_A(dst, r) (dst)[(a_k + (r) * A_STEP) * LDM + a_m] = pa[r]
#else
#define LOAD_A(r) ((k0 + a_k) < K && (bm + a_m + (r) * A_STEP) < M) ? a_ptr[(r) * a_rstr] : 0.0
#define STORE_A(dst, r) (dst)[a_k * LDM + a_m + (r) * A_STEP] = pa[r]
#endif
#if TRANS_B == 0
#define LOAD_B(r) ((k0 + b_k) < K && (bn + b_n + (r) * B_STEP) < N) ? b_ptr[(r) * b_rstr] : 0.0
#define STORE_B(dst, r) (dst)[b_k * LDN + b_n + (r) * B_STEP] = pb[r]
#else
#define LOAD_B(r) (b_nok && (k0 + b_k + (r) * B_STEP) < K) ? b_ptr[(r) * b_rstr] : 0.0
#define STORE_B(dst, r) (dst)[(b_k + (r) * B_STEP) * LDN + b_n] = pb[r]
#endif

    /* Interior slices (the whole TILE_M x TILE_K / TILE_K x TILE_N block inside the matrices)
       are loaded without per-element bounds tests. */
    const int mn_inside = (bm + TILE_M <= M) && (bn + TILE_N <= N);
#define LOAD_SLICE()                                                                            \
    do {                                                                                        \
        if (mn_inside && k0 + TILE_K <= K) {                                                    \
            UNROLL for (int r = 0; r < A_LD; ++r) pa[r] = a_ptr[r * a_rstr];                    \
            UNROLL for (int r = 0; r < B_LD; ++r) pb[r] = b_ptr[r * b_rstr];                    \
        } else {                                                                                \
            UNROLL for (int r = 0; r < A_LD; ++r) pa[r] = LOAD_A(r);                            \
            UNROLL for (int r = 0; r < B_LD; ++r) pb[r] = LOAD_B(r);                            \
        }                                                                                       \
    } while (0)
/* Prefetch the next slice into registers; issued after the first MMAs of the current slice so
   that the MMAs start right after the barrier, and in flight during the remaining MMAs. */
#define PREFETCH_NEXT()                                                                         \
    do {                                                                                        \
        if (kt + 1 < nkt) {                                                                     \
            k0 += TILE_K;                                                                       \
            a_ptr += a_tstr;                                                                    \
            b_ptr += b_tstr;                                                                    \
            LOAD_SLICE();                                                                       \
        }                                                                                       \
    } while (0)

    if (nkt > 0) {
        LOAD_SLICE();
#if STAGES == 2
        UNROLL for (int r = 0; r < A_LD; ++r) STORE_A(As, r);
        UNROLL for (int r = 0; r < B_LD; ++r) STORE_B(Bs, r);
#endif
    }
#if STAGES == 2
    barrier(CLK_LOCAL_MEM_FENCE);
#endif

    for (int kt = 0; kt < nkt; ++kt) {
#if STAGES == 1
        /* one local buffer: wait until everyone is done with the previous slice, fill it */
        barrier(CLK_LOCAL_MEM_FENCE);
        UNROLL for (int r = 0; r < A_LD; ++r) STORE_A(As, r);
        UNROLL for (int r = 0; r < B_LD; ++r) STORE_B(Bs, r);
        barrier(CLK_LOCAL_MEM_FENCE);
        __local const double *as = As, *bs = Bs;
#else
        /* two local buffers: slice kt is in buffer kt&1 (filled and fenced last iteration) */
        __local const double *as = As + (kt & 1) * A_STAGE, *bs = Bs + (kt & 1) * B_STAGE;
#endif

        UNROLL for (int c = 0; c < TILE_K / KC; ++c) {
#if MMA_SHAPE == 884 || MMA_SHAPE == 1684
            /* KQ k-steps of 4; in step v lane t supplies k = KC*c + KQ*t + v */
            UNROLL for (int v = 0; v < KQ; ++v) {
                double af[MI], bf[NI];
                UNROLL for (int mi = 0; mi < MI; ++mi)
                    af[mi] = as[a_frag + (KC * c + v) * LDM + 8 * mi];
                UNROLL for (int ni = 0; ni < NI; ++ni)
                    bf[ni] = bs[b_frag + (KC * c + v) * LDN + 8 * ni];
#if MMA_SHAPE == 884
                UNROLL for (int mi = 0; mi < MI; ++mi) {
                    UNROLL for (int ni = 0; ni < NI; ++ni)
                        MMA_884(cx[mi][ni], cy[mi][ni], af[mi], bf[ni]);
                    if (c == 0 && v == 0 && mi == 0)
                        PREFETCH_NEXT();
                }
#else
                UNROLL for (int mh = 0; mh < MI / 2; ++mh) {
                    UNROLL for (int ni = 0; ni < NI; ++ni)
                        MMA_1684(cx[2 * mh][ni], cy[2 * mh][ni], cx[2 * mh + 1][ni],
                                 cy[2 * mh + 1][ni], af[2 * mh], af[2 * mh + 1], bf[ni]);
                    if (c == 0 && v == 0 && mh == 0)
                        PREFETCH_NEXT();
                }
#endif
            }
#elif MMA_SHAPE == 1688
            /* KQ/2 k-steps of 8; internal k = t + 4u (u = 0,1) is slice row KC*c + KQ*t + 2h + u */
            UNROLL for (int h = 0; h < KQ / 2; ++h) {
                double af[MI][2], bf[NI][2];
                UNROLL for (int u = 0; u < 2; ++u) {
                    UNROLL for (int mi = 0; mi < MI; ++mi)
                        af[mi][u] = as[a_frag + (KC * c + 2 * h + u) * LDM + 8 * mi];
                    UNROLL for (int ni = 0; ni < NI; ++ni)
                        bf[ni][u] = bs[b_frag + (KC * c + 2 * h + u) * LDN + 8 * ni];
                }
                UNROLL for (int mh = 0; mh < MI / 2; ++mh) {
                    UNROLL for (int ni = 0; ni < NI; ++ni)
                        MMA_1688(cx[2 * mh][ni], cy[2 * mh][ni], cx[2 * mh + 1][ni],
                                 cy[2 * mh + 1][ni], af[2 * mh][0], af[2 * mh + 1][0],
                                 af[2 * mh][1], af[2 * mh + 1][1], bf[ni][0], bf[ni][1]);
                    if (c == 0 && h == 0 && mh == 0)
                        PREFETCH_NEXT();
                }
            }
#else /* 16816 */
            /* one k-step of 16; internal k = t + 4u (u = 0..3) is slice row 16c + 4t + u */
            {
                double bf[NI][4];
                UNROLL for (int u = 0; u < 4; ++u)
                    UNROLL for (int ni = 0; ni < NI; ++ni)
                        bf[ni][u] = bs[b_frag + (KC * c + u) * LDN + 8 * ni];
                UNROLL for (int mh = 0; mh < MI / 2; ++mh) {
                    double a0[4], a1[4]; /* rows g and g+8 of the 16-row block */
                    UNROLL for (int u = 0; u < 4; ++u) {
                        a0[u] = as[a_frag + (KC * c + u) * LDM + 16 * mh];
                        a1[u] = as[a_frag + (KC * c + u) * LDM + 16 * mh + 8];
                    }
                    UNROLL for (int ni = 0; ni < NI; ++ni)
                        MMA_16816(cx[2 * mh][ni], cy[2 * mh][ni], cx[2 * mh + 1][ni],
                                  cy[2 * mh + 1][ni], a0[0], a1[0], a0[1], a1[1], a0[2], a1[2],
                                  a0[3], a1[3], bf[ni][0], bf[ni][1], bf[ni][2], bf[ni][3]);
                    if (c == 0 && mh == 0)
                        PREFETCH_NEXT();
                }
            }
#endif
        }

#if STAGES == 2
        /* fill the other buffer with the prefetched slice; its last readers (iteration kt-1)
           are past the barrier that ended iteration kt-1 */
        if (kt + 1 < nkt) {
            __local double *an = As + ((kt + 1) & 1) * A_STAGE, *bn_ = Bs + ((kt + 1) & 1) * B_STAGE;
            UNROLL for (int r = 0; r < A_LD; ++r) STORE_A(an, r);
            UNROLL for (int r = 0; r < B_LD; ++r) STORE_B(bn_, r);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
#endif
    }

    /* ---- epilogue: C = alpha*acc + beta*C, bounds-checked; C not read when beta == 0 ---- */
    UNROLL for (int mi = 0; mi < MI; ++mi) {
        const int i = bm + wm + 8 * mi + g;
        if (i < M) {
            UNROLL for (int ni = 0; ni < NI; ++ni) {
                const int j = bn + wn + 8 * ni + 2 * t;
                __global double *p = C + offC + i + (long)j * ldc;
                if (beta == 0.0) {
                    if (j < N)
                        p[0] = alpha * cx[mi][ni];
                    if (j + 1 < N)
                        p[ldc] = alpha * cy[mi][ni];
                } else {
                    if (j < N)
                        p[0] = fma(alpha, cx[mi][ni], beta * p[0]);
                    if (j + 1 < N)
                        p[ldc] = fma(alpha, cy[mi][ni], beta * p[ldc]);
                }
            }
        }
    }
}
