// Block combinations of DGEMM_ALPHA (src/ops/alpha/eval.rs, src/ops/alpha/device.rs).
//
// FIXED (-D, the number of blocks of a 4x4 grid: 16) is the number of
// inputs of combine_in (the blocks of A or of B, combined into the S or T
// operands of a batch of products) and the number of outputs of
// combine_out (the blocks of C, updated from a batch of products M).
// Every block is rows x cols, column-major; block q of the inputs starts at
// in + in_off[q] with leading dimension in_ld, output o at out + out_off[o]
// with out_ld. coef (constant memory: every work-item reads the same
// coefficient at the same time) is row-major: combine_in coef[o * FIXED + q],
// combine_out coef[o * nin + q]. Outputs: out_o = beta out_o + sum_q
// coef * in_q, and with beta = 0 out_o is not read (NaN in it does not
// leak). Zero coefficients are skipped (the branch is uniform across a
// work-group), so Inf or NaN in a block a combination does not use stays
// out of it.
//
// Work-item: elements (i + e*WG, j) of every block, e < PER, for its
// work-group's PER*WG rows starting at i: it reads each input element once
// (into registers) and writes each output once, so a pass moves
// (inputs + outputs) * rows * cols doubles, the minimum. Consecutive
// work-items touch consecutive addresses; each coefficient is loaded once
// for PER elements (the coefficient loads and branches, not the FMAs,
// dominate the instructions: measured 1.3 TB/s on the H100 with PER = 1).

#pragma OPENCL EXTENSION cl_khr_fp64 : enable

#ifndef FIXED
#define FIXED 16
#endif
#ifndef PER
#define PER 4
#endif
#define WG 64

__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void combine_in(int rows, int cols, int nout,
                __global const double* in, __global const ulong* in_off, int in_ld,
                __global double* out, __global const ulong* out_off, int out_ld,
                __constant double* coef, double beta)
{
    const int i0 = get_group_id(0) * (WG * PER) + get_local_id(0);
    const int j = get_global_id(1);
    if (j >= cols) return;
    const ulong pin = (ulong)i0 + (ulong)j * (ulong)in_ld;
    const ulong pout = (ulong)i0 + (ulong)j * (ulong)out_ld;
    double x[PER][FIXED];
#pragma unroll
    for (int q = 0; q < FIXED; q++) {
        const ulong base = in_off[q] + pin;
#pragma unroll
        for (int e = 0; e < PER; e++) x[e][q] = (i0 + e * WG < rows) ? in[base + e * WG] : 0.0;
    }
    for (int o = 0; o < nout; o++) {
        double acc[PER];
#pragma unroll
        for (int e = 0; e < PER; e++) acc[e] = 0.0;
#pragma unroll
        for (int q = 0; q < FIXED; q++) {
            const double c = coef[o * FIXED + q];
            if (c != 0.0) {
#pragma unroll
                for (int e = 0; e < PER; e++) acc[e] = fma(c, x[e][q], acc[e]);
            }
        }
        __global double* y = out + out_off[o] + pout;
#pragma unroll
        for (int e = 0; e < PER; e++) {
            if (i0 + e * WG < rows) y[e * WG] = beta == 0.0 ? acc[e] : fma(beta, y[e * WG], acc[e]);
        }
    }
}

__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void combine_out(int rows, int cols, int nin,
                 __global const double* in, __global const ulong* in_off, int in_ld,
                 __global double* out, __global const ulong* out_off, int out_ld,
                 __constant double* coef, double beta)
{
    const int i0 = get_group_id(0) * (WG * PER) + get_local_id(0);
    const int j = get_global_id(1);
    if (j >= cols) return;
    const ulong pin = (ulong)i0 + (ulong)j * (ulong)in_ld;
    const ulong pout = (ulong)i0 + (ulong)j * (ulong)out_ld;
    double acc[PER][FIXED];
#pragma unroll
    for (int o = 0; o < FIXED; o++) {
#pragma unroll
        for (int e = 0; e < PER; e++) acc[e][o] = 0.0;
    }
    for (int q = 0; q < nin; q++) {
        const ulong base = in_off[q] + pin;
        double x[PER];
#pragma unroll
        for (int e = 0; e < PER; e++) x[e] = (i0 + e * WG < rows) ? in[base + e * WG] : 0.0;
#pragma unroll
        for (int o = 0; o < FIXED; o++) {
            const double c = coef[o * nin + q];
            if (c != 0.0) {
#pragma unroll
                for (int e = 0; e < PER; e++) acc[e][o] = fma(c, x[e], acc[e][o]);
            }
        }
    }
#pragma unroll
    for (int o = 0; o < FIXED; o++) {
        __global double* y = out + out_off[o] + pout;
#pragma unroll
        for (int e = 0; e < PER; e++) {
            if (i0 + e * WG < rows) y[e * WG] = beta == 0.0 ? acc[e][o] : fma(beta, y[e * WG], acc[e][o]);
        }
    }
}
