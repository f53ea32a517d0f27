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
 *           WG_X = 32, WG_Y = 8 (8 warps, 256 work-items), MMA_SHAPE = 884.
 *   Requirements (checked below with #error): WG_X == 32; WG_Y == (TILE_M/WARP_M)*(TILE_N/WARP_N);
 *   TILE_K % 16 == 0; WARP_M % 8 == 0 (% 16 for the m16n8 shapes); WARP_N % 8 == 0;
 *   the work-group size divides TILE_M*TILE_K and TILE_N*TILE_K, and TILE_M, TILE_N, TILE_K
 *   (each of the three only where the transpose case needs it).
 *   Local memory: TILE_K*(TILE_M+1 + TILE_N+1)*8 bytes = 33 KB at the defaults (one buffer;
 *   the next K-slice is prefetched into registers while the current one is multiplied).
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
 *     (row pitch TILE_M+1, TILE_N+1). The transposes are resolved here: the multiply loop is
 *     the same for all four TRANS pairs.
 *   - Fragments: an MMA's internal k index can be mapped to any K index of the slice, as long
 *     as A and B use the same map. Lane t takes its k values from rows 16c + 4t + v (v = 0..3)
 *     of the slice, so that a warp's fragment loads from local memory are free of bank
 *     conflicts with the +1 padding (half-warp addresses (4t + v)*(TILE_M+1) + g + const are
 *     distinct modulo 16 doubles).
 *   - Global memory touched: only elements of the M x K (op) A, K x N (op) B and M x N C
 *     submatrices. Out-of-range elements of edge tiles are not read (they are taken as 0) and
 *     C outside the M x N submatrix is not written. C is read only when beta != 0 (NaN/Inf in
 *     C do not leak when beta == 0). When alpha == 0 (or K == 0), A and B are not read.
 *
 * MMA_SHAPE selects the PTX instruction (all .row.col.f64.f64.f64.f64):
 *   884   = mma.sync.aligned.m8n8k4   (sm_80+, default; proven on the H100 with NVIDIA OpenCL)
 *   1684  = mma.sync.aligned.m16n8k4  (sm_90, PTX ISA 7.8+)
 *   1688  = mma.sync.aligned.m16n8k8  (sm_90, PTX ISA 7.8+)
 *   16816 = mma.sync.aligned.m16n8k16 (sm_90, PTX ISA 7.8+)
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
#define MMA_SHAPE 884
#endif

/* ---------------------------------------------------------------------------------------- */
/* derived sizes and static checks                                                            */

#define NWARP_M (TILE_M / WARP_M)
#define NWARP_N (TILE_N / WARP_N)
#define NTHR (WG_X * WG_Y)
#define MI (WARP_M / 8)             /* 8-row blocks per warp */
#define NI (WARP_N / 8)             /* 8-col blocks per warp */
#define LDM (TILE_M + 1)            /* pitch of As[k][m] */
#define LDN (TILE_N + 1)            /* pitch of Bs[k][n] */
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
#if (TILE_K % 16) != 0
#error "dgemm_nvidia_mma: TILE_K must be a multiple of 16"
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
    __local double As[TILE_K * LDM];
    __local double Bs[TILE_K * LDN];

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
    const int a_frag = 4 * t * LDM + wm + g;
    const int b_frag = 4 * t * LDN + wn + g;

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
#define STORE_A(r) As[(a_k + (r) * A_STEP) * LDM + a_m] = pa[r]
#else
#define LOAD_A(r) ((k0 + a_k) < K && (bm + a_m + (r) * A_STEP) < M) ? a_ptr[(r) * a_rstr] : 0.0
#define STORE_A(r) As[a_k * LDM + a_m + (r) * A_STEP] = pa[r]
#endif
#if TRANS_B == 0
#define LOAD_B(r) ((k0 + b_k) < K && (bn + b_n + (r) * B_STEP) < N) ? b_ptr[(r) * b_rstr] : 0.0
#define STORE_B(r) Bs[b_k * LDN + b_n + (r) * B_STEP] = pb[r]
#else
#define LOAD_B(r) (b_nok && (k0 + b_k + (r) * B_STEP) < K) ? b_ptr[(r) * b_rstr] : 0.0
#define STORE_B(r) Bs[(b_k + (r) * B_STEP) * LDN + b_n] = pb[r]
#endif

    if (nkt > 0) {
        UNROLL for (int r = 0; r < A_LD; ++r) pa[r] = LOAD_A(r);
        UNROLL for (int r = 0; r < B_LD; ++r) pb[r] = LOAD_B(r);
    }

    for (int kt = 0; kt < nkt; ++kt) {
        barrier(CLK_LOCAL_MEM_FENCE); /* everyone is done reading the previous slice */
        UNROLL for (int r = 0; r < A_LD; ++r) STORE_A(r);
        UNROLL for (int r = 0; r < B_LD; ++r) STORE_B(r);
        barrier(CLK_LOCAL_MEM_FENCE);

        /* prefetch the next slice into registers; it is in flight during the MMAs below */
        if (kt + 1 < nkt) {
            k0 += TILE_K;
            a_ptr += a_tstr;
            b_ptr += b_tstr;
            UNROLL for (int r = 0; r < A_LD; ++r) pa[r] = LOAD_A(r);
            UNROLL for (int r = 0; r < B_LD; ++r) pb[r] = LOAD_B(r);
        }

        UNROLL for (int c = 0; c < TILE_K / 16; ++c) {
#if MMA_SHAPE == 884 || MMA_SHAPE == 1684
            /* four k-steps of 4; in step v lane t supplies k = 16c + 4t + v */
            UNROLL for (int v = 0; v < 4; ++v) {
                double af[MI], bf[NI];
                UNROLL for (int mi = 0; mi < MI; ++mi)
                    af[mi] = As[a_frag + (16 * c + v) * LDM + 8 * mi];
                UNROLL for (int ni = 0; ni < NI; ++ni)
                    bf[ni] = Bs[b_frag + (16 * c + v) * LDN + 8 * ni];
#if MMA_SHAPE == 884
                UNROLL for (int mi = 0; mi < MI; ++mi)
                    UNROLL for (int ni = 0; ni < NI; ++ni)
                        MMA_884(cx[mi][ni], cy[mi][ni], af[mi], bf[ni]);
#else
                UNROLL for (int mh = 0; mh < MI / 2; ++mh)
                    UNROLL for (int ni = 0; ni < NI; ++ni)
                        MMA_1684(cx[2 * mh][ni], cy[2 * mh][ni], cx[2 * mh + 1][ni],
                                 cy[2 * mh + 1][ni], af[2 * mh], af[2 * mh + 1], bf[ni]);
#endif
            }
#elif MMA_SHAPE == 1688
            /* two k-steps of 8; internal k = t + 4u (u = 0,1) is slice row 16c + 4t + 2h + u */
            UNROLL for (int h = 0; h < 2; ++h) {
                double af[MI][2], bf[NI][2];
                UNROLL for (int u = 0; u < 2; ++u) {
                    UNROLL for (int mi = 0; mi < MI; ++mi)
                        af[mi][u] = As[a_frag + (16 * c + 2 * h + u) * LDM + 8 * mi];
                    UNROLL for (int ni = 0; ni < NI; ++ni)
                        bf[ni][u] = Bs[b_frag + (16 * c + 2 * h + u) * LDN + 8 * ni];
                }
                UNROLL for (int mh = 0; mh < MI / 2; ++mh)
                    UNROLL for (int ni = 0; ni < NI; ++ni)
                        MMA_1688(cx[2 * mh][ni], cy[2 * mh][ni], cx[2 * mh + 1][ni],
                                 cy[2 * mh + 1][ni], af[2 * mh][0], af[2 * mh + 1][0],
                                 af[2 * mh][1], af[2 * mh + 1][1], bf[ni][0], bf[ni][1]);
            }
#else /* 16816 */
            /* one k-step of 16; internal k = t + 4u (u = 0..3) is slice row 16c + 4t + u */
            {
                double bf[NI][4];
                UNROLL for (int u = 0; u < 4; ++u)
                    UNROLL for (int ni = 0; ni < NI; ++ni)
                        bf[ni][u] = Bs[b_frag + (16 * c + u) * LDN + 8 * ni];
                UNROLL for (int mh = 0; mh < MI / 2; ++mh) {
                    double a0[4], a1[4]; /* rows g and g+8 of the 16-row block */
                    UNROLL for (int u = 0; u < 4; ++u) {
                        a0[u] = As[a_frag + (16 * c + u) * LDM + 16 * mh];
                        a1[u] = As[a_frag + (16 * c + u) * LDM + 16 * mh + 8];
                    }
                    UNROLL for (int ni = 0; ni < NI; ++ni)
                        MMA_16816(cx[2 * mh][ni], cy[2 * mh][ni], cx[2 * mh + 1][ni],
                                  cy[2 * mh + 1][ni], a0[0], a1[0], a0[1], a1[1], a0[2], a1[2],
                                  a0[3], a1[3], bf[ni][0], bf[ni][1], bf[ni][2], bf[ni][3]);
                }
            }
#endif
        }
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
