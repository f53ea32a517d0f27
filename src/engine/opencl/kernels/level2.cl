/*
 * level2.cl -- initialisation and transposition of device-resident, column-major
 * matrices, for the blocked factorizations (the GPU SVD's back-transformations).
 *
 * Indexing uses 64-bit offsets (long) so large leading dimensions do not overflow.
 */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable

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

/*
 * B := Aᵀ for the m x n A (B is n x m), through 16 x 16 tiles in local
 * memory so that both the reads and the writes are along columns.
 * Launch: global = (round_up(m, 16), round_up(n, 16)), local = (16, 16).
 */
__kernel __attribute__((reqd_work_group_size(16, 16, 1)))
void dtranspose(const int m, const int n, __global const double *A, const int offA, const int lda,
                __global double *B, const int offB, const int ldb)
{
    __local double tile[16][17];
    const int lx = get_local_id(0), ly = get_local_id(1);
    const int i = get_group_id(0) * 16 + lx;
    const int j = get_group_id(1) * 16 + ly;
    if (i < m && j < n)
        tile[ly][lx] = A[offA + i + (long)j * lda];
    barrier(CLK_LOCAL_MEM_FENCE);
    const int bi = get_group_id(1) * 16 + lx;
    const int bj = get_group_id(0) * 16 + ly;
    if (bi < n && bj < m)
        B[offB + bi + (long)bj * ldb] = tile[lx][ly];
}
