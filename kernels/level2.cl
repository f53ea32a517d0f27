/*
 * level2.cl -- matrix-vector products and matrix initialisation on device-resident,
 * column-major matrices, for the panel steps of the blocked factorizations (the GPU
 * bidiagonal reduction of the SVD: two products with the trailing matrix per column).
 *
 * These are memory-bound: each reads the m x n matrix once. Reads are coalesced: in
 * dgemv_t consecutive work-items of a group read consecutive rows of one column; in
 * dgemv_n_partial consecutive work-items read consecutive rows of the same column.
 *
 * Indexing uses 64-bit offsets (long) so large leading dimensions do not overflow.
 */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable

#ifndef GEMV_T_WG
#define GEMV_T_WG 128
#endif

/*
 * y[j] = sum_{i<m} A[offA + i + j*lda] * x[offX + i]   for j < n   (y = A^T x)
 * Launch: global = n * GEMV_T_WG, local = GEMV_T_WG. Group j owns column j; each work-item
 * sums a strided part of the column, then the group reduces in local memory.
 */
__kernel __attribute__((reqd_work_group_size(GEMV_T_WG, 1, 1)))
void dgemv_t(const int m, const int n, __global const double *A, const int offA, const int lda,
             __global const double *x, const int offX, __global double *y, const int offY)
{
    __local double part[GEMV_T_WG];
    const int j = get_group_id(0);
    const int t = get_local_id(0);
    double s = 0.0;
    if (j < n) {
        __global const double *col = A + offA + (long)j * lda;
        for (int i = t; i < m; i += GEMV_T_WG)
            s += col[i] * x[offX + i];
    }
    part[t] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int w = GEMV_T_WG / 2; w > 0; w >>= 1) {
        if (t < w)
            part[t] += part[t + w];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (t == 0 && j < n)
        y[offY + j] = part[0];
}

/*
 * partial[i + c*m] = sum_{j in chunk c} A[offA + i + j*lda] * x[offX + j]   (first pass of y = A x)
 * Launch: global = (round_up(m, 64), chunks), local = (64, 1). Chunk c covers columns
 * [c*cs, min((c+1)*cs, n)). Work-item (i, c) reads row i of its chunk's columns.
 */
__kernel void dgemv_n_partial(const int m, const int n, const int cs, __global const double *A, const int offA,
                              const int lda, __global const double *x, const int offX, __global double *partial)
{
    const int i = get_global_id(0);
    const int c = get_global_id(1);
    if (i >= m)
        return;
    const int j0 = c * cs;
    const int j1 = min(n, j0 + cs);
    double s = 0.0;
    __global const double *a = A + offA + i + (long)j0 * lda;
    for (int j = j0; j < j1; ++j, a += lda)
        s += *a * x[offX + j];
    partial[i + (long)c * m] = s;
}

/*
 * y[offY + i] = sum_{c<chunks} partial[i + c*m]   (second pass of y = A x)
 * Launch: global = round_up(m, 64), local = 64.
 */
__kernel void dgemv_n_reduce(const int m, const int chunks, __global const double *partial, __global double *y,
                             const int offY)
{
    const int i = get_global_id(0);
    if (i >= m)
        return;
    double s = 0.0;
    for (int c = 0; c < chunks; ++c)
        s += partial[i + (long)c * m];
    y[offY + i] = s;
}

/*
 * A[offA + i + j*lda] = (i == j) ? diag : off   for i < m, j < n   (LAPACK's DLASET)
 * Launch: global = (round_up(m, 16), round_up(n, 16)), local = (16, 16).
 */
__kernel void dlaset(const int m, const int n, const double off, const double diag, __global double *A,
                     const int offA, const int lda)
{
    const int i = get_global_id(0);
    const int j = get_global_id(1);
    if (i < m && j < n)
        A[offA + i + (long)j * lda] = (i == j) ? diag : off;
}
