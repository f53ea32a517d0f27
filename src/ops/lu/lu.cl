/*
 * lu.cl -- the small kernels of the GPU LU factorization and solve (src/ops/lu/gpu.rs): the
 * unblocked panel at the leaves of the recursion (pivot search, row interchange, scaling,
 * rank-1 update), row interchanges of whole column ranges (DLASWP), the row permutation of
 * right-hand sides, and the triangular solves at the leaves of the recursive DTRSM. Every
 * large product of the factorization goes to the DGEMM kernels instead.
 *
 * Column-major storage; offsets (`off`, in doubles, 64-bit) locate element (0, 0) of the
 * sub-matrix an argument describes, `ld` is its leading dimension. Row and column indices
 * are relative to that element. IPIV holds 1-based row indices, as LAPACK's; `ipiv_base`
 * is subtracted from them to get a row of the sub-matrix.
 *
 * WG: work-group size of the one-work-group kernels (power of two, <= 1024).
 * TB: the largest triangle trsm_leaf_* solves (its T is staged in local memory, TB*TB*8
 *     bytes, and every work-item keeps one column of B, TB doubles, in registers).
 */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable

#ifndef WG
#define WG 256
#endif
#ifndef TB
#define TB 32
#endif

/* DLAMCH('S'), the safe minimum: below it DGETRF2 divides by the pivot instead of
 * multiplying by its reciprocal. */
#define SFMIN 2.2250738585072014e-308

#define AT(p, off, ld, i, j) ((p)[(off) + (long)(i) + (long)(j) * (long)(ld)])

/* Makes this work-item's earlier global writes visible to the whole device before its later
 * ones (the release/acquire of getf2_step's last-work-group protocol). OpenCL 1.2's mem_fence
 * does not promise device scope; on NVIDIA (-DLAPACK_AI_NVIDIA) the PTX `membar.gl` does. */
#ifdef LAPACK_AI_NVIDIA
#define DEVICE_FENCE() asm volatile("membar.gl;" ::: "memory")
#else
#define DEVICE_FENCE() mem_fence(CLK_GLOBAL_MEM_FENCE)
#endif

/* Index of the largest |A(i, j)|, i in [from, m), first one on ties (IDAMAX), reduced by
 * the whole work-group; `bv`/`bi` are local scratch of WG entries. Every work-item gets
 * the result. Returns `from` when no entry exceeds -1 (impossible unless all are NaN). */
static int wg_argmax(global const double *A, long off, int ld, int m, int j, int from,
                     local double *bv, local int *bi)
{
    int lid = get_local_id(0);
    double best = -1.0;
    int besti = 0x7fffffff;
    for (int i = from + lid; i < m; i += WG) {
        double v = fabs(AT(A, off, ld, i, j));
        if (v > best) {
            best = v;
            besti = i;
        }
    }
    bv[lid] = best;
    bi[lid] = besti;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WG / 2; s > 0; s >>= 1) {
        if (lid < s) {
            double ov = bv[lid + s];
            int oi = bi[lid + s];
            if (ov > bv[lid] || (ov == bv[lid] && oi < bi[lid])) {
                bv[lid] = ov;
                bi[lid] = oi;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    int p = bi[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return p == 0x7fffffff ? from : p;
}

/* Records the pivot of column j (row p) and swaps rows j and p over the n columns of the
 * panel. A zero pivot sets *info to col0 + j + 1 if it is still 0 (columns are factored
 * in order, so the first zero wins, as in DGETRF). */
static void wg_pivot(volatile global double *A, long off, int ld, int n, int j, int p,
                     global int *ipiv, int ipiv_off, int row0, int col0, global int *info)
{
    int lid = get_local_id(0);
    if (lid == 0) {
        ipiv[ipiv_off + j] = row0 + p + 1;
        if (AT(A, off, ld, p, j) == 0.0 && *info == 0)
            *info = col0 + j + 1;
    }
    /* The pivot is read above before any work-item moves it. */
    barrier(CLK_GLOBAL_MEM_FENCE);
    if (p != j) {
        for (int k = lid; k < n; k += WG) {
            double t = AT(A, off, ld, j, k);
            AT(A, off, ld, j, k) = AT(A, off, ld, p, k);
            AT(A, off, ld, p, k) = t;
        }
    }
}

/* Row i > j of the panel after the pivot of column j: the multiplier l = A(i,j)/A(j,j)
 * (as DGETRF2: times the reciprocal unless the pivot is below SFMIN), then
 * A(i, j+1:n) -= l * A(j, j+1:n). Nothing when the pivot is zero (the column is zero). */
static void row_update(global double *A, long off, int ld, int n, int j, int i)
{
    double piv = AT(A, off, ld, j, j);
    if (piv == 0.0)
        return;
    double l = AT(A, off, ld, i, j);
    l = fabs(piv) >= SFMIN ? l * (1.0 / piv) : l / piv;
    AT(A, off, ld, i, j) = l;
    for (int k = j + 1; k < n; k++)
        AT(A, off, ld, i, k) = fma(-l, AT(A, off, ld, j, k), AT(A, off, ld, i, k));
}

/* Step j of a tall m x n panel in one launch, after column j's pivot is in place: every
 * work-item scales and updates its row (row_update), the work-group proposes the largest
 * |A(i, j+1)| of its rows, and the last work-group to finish (an atomic counter; each one
 * fences its writes before counting) reduces the proposals and does column j+1's pivot
 * (record, swap) -- so a column costs one launch, not two. `pval`/`pidx` hold one proposal
 * per work-group; `counter` is 0 before the launch and left 0 after it. The last work-group
 * reads what the others wrote through volatile loads (not from a stale L1).
 * Launch: global = roundup(m - j - 1, WG), local = WG; only when j + 1 < m. */
kernel void getf2_step(global double *A, long off, int ld, int m, int n, int j,
                       global int *ipiv, int ipiv_off, int row0, int col0, global int *info,
                       global double *pval, global int *pidx, volatile global int *counter)
{
    local double bv[WG];
    local int bi[WG];
    local int last;
    int lid = get_local_id(0);
    int i = j + 1 + (int)get_global_id(0);
    int next = j + 1;
    double best = -1.0;
    int besti = 0x7fffffff;
    if (i < m) {
        row_update(A, off, ld, n, j, i);
        if (next < n) {
            best = fabs(AT(A, off, ld, i, next));
            besti = i;
        }
    }
    bv[lid] = best;
    bi[lid] = besti;
    barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);
    for (int s = WG / 2; s > 0; s >>= 1) {
        if (lid < s) {
            double ov = bv[lid + s];
            int oi = bi[lid + s];
            if (ov > bv[lid] || (ov == bv[lid] && oi < bi[lid])) {
                bv[lid] = ov;
                bi[lid] = oi;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) {
        int g = get_group_id(0);
        pval[g] = bv[0];
        pidx[g] = bi[0];
        DEVICE_FENCE();
        last = atomic_inc(counter) == (int)get_num_groups(0) - 1;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    if (!last)
        return;
    DEVICE_FENCE();
    if (next >= min(m, n)) {
        if (lid == 0)
            *counter = 0;
        return;
    }
    volatile global double *vval = pval;
    volatile global int *vidx = pidx;
    best = -1.0;
    besti = 0x7fffffff;
    for (int g = lid; g < (int)get_num_groups(0); g += WG) {
        double v = vval[g];
        int ix = vidx[g];
        if (v > best || (v == best && ix < besti)) {
            best = v;
            besti = ix;
        }
    }
    bv[lid] = best;
    bi[lid] = besti;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WG / 2; s > 0; s >>= 1) {
        if (lid < s) {
            double ov = bv[lid + s];
            int oi = bi[lid + s];
            if (ov > bv[lid] || (ov == bv[lid] && oi < bi[lid])) {
                bv[lid] = ov;
                bi[lid] = oi;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    int p = bi[0] == 0x7fffffff ? next : bi[0];
    wg_pivot(A, off, ld, n, next, p, ipiv, ipiv_off, row0, col0, info);
    if (lid == 0)
        *counter = 0;
}

/* One work-group: pivot of column j of the m x n panel (search over rows j..m-1, record,
 * swap rows over the panel's n columns). Launch: global = local = WG. */
kernel void getf2_pivot(global double *A, long off, int ld, int m, int n, int j,
                        global int *ipiv, int ipiv_off, int row0, int col0, global int *info)
{
    local double bv[WG];
    local int bi[WG];
    int p = wg_argmax(A, off, ld, m, j, j, bv, bi);
    wg_pivot(A, off, ld, n, j, p, ipiv, ipiv_off, row0, col0, info);
}

/* Scaling and rank-1 update of column j's step, one work-item per row j+1..m-1.
 * Launch: global >= m - j - 1 (any local size). */
kernel void getf2_update(global double *A, long off, int ld, int m, int n, int j)
{
    int i = j + 1 + (int)get_global_id(0);
    if (i < m)
        row_update(A, off, ld, n, j, i);
}

/* The whole m x n panel (n <= a few dozen) in one work-group: for each column, pivot,
 * swap, scale and update, with work-group barriers between the steps. For panels short
 * enough that one compute unit beats two launches per column. Launch: global = local = WG. */
kernel void getf2_panel(global double *A, long off, int ld, int m, int n,
                        global int *ipiv, int ipiv_off, int row0, int col0, global int *info)
{
    local double bv[WG];
    local int bi[WG];
    int lid = get_local_id(0);
    int steps = min(m, n);
    for (int j = 0; j < steps; j++) {
        int p = wg_argmax(A, off, ld, m, j, j, bv, bi);
        wg_pivot(A, off, ld, n, j, p, ipiv, ipiv_off, row0, col0, info);
        barrier(CLK_GLOBAL_MEM_FENCE | CLK_LOCAL_MEM_FENCE);
        for (int i = j + 1 + lid; i < m; i += WG)
            row_update(A, off, ld, n, j, i);
        barrier(CLK_GLOBAL_MEM_FENCE | CLK_LOCAL_MEM_FENCE);
    }
}

/* DLASWP: for k = k1, ..., k2-1 (inc = 1) or k2-1, ..., k1 (inc = -1), interchange rows k
 * and ipiv[k] - ipiv_base of each of the ncols columns. One work-item per column. The
 * interchanges are applied in groups of 8: when the 8 touch 16 distinct rows (almost
 * always, once pivoting has mixed the rows) all loads are issued before the stores, so
 * a column pays one memory latency per group instead of one per interchange. */
kernel void laswp(global double *A, long off, int ld, int ncols, global const int *ipiv,
                  int k1, int k2, int inc, int ipiv_base)
{
    int c = get_global_id(0);
    if (c >= ncols)
        return;
    global double *col = A + off + (long)c * (long)ld;
    int count = k2 - k1;
    for (int t = 0; t < count; t += 8) {
        int g = min(8, count - t);
        int ks[8], ps[8];
        for (int u = 0; u < 8; u++) {
            int k = inc > 0 ? k1 + t + u : k2 - 1 - t - u;
            ks[u] = k;
            ps[u] = u < g ? ipiv[k] - ipiv_base : k;
        }
        bool independent = true;
        for (int u = 0; u < 8; u++)
            for (int v = 0; v < u; v++)
                if (ks[u] == ps[v] || ps[u] == ks[v] || (ps[u] == ps[v] && ps[u] != ks[u]))
                    independent = false;
        if (independent) {
            double x[8], y[8];
            for (int u = 0; u < 8; u++) {
                if (u < g && ps[u] != ks[u]) {
                    x[u] = col[ks[u]];
                    y[u] = col[ps[u]];
                }
            }
            for (int u = 0; u < 8; u++) {
                if (u < g && ps[u] != ks[u]) {
                    col[ks[u]] = y[u];
                    col[ps[u]] = x[u];
                }
            }
        } else {
            for (int u = 0; u < g; u++) {
                if (ps[u] != ks[u]) {
                    double x = col[ks[u]];
                    col[ks[u]] = col[ps[u]];
                    col[ps[u]] = x;
                }
            }
        }
    }
}

/* Row permutation by gather: DST(i, c) = SRC(perm[i], c) for i < rows, c < cols (the
 * interchanges of DGETRS applied to B at once, perm computed on the host from IPIV).
 * Launch: global = (>= rows, >= cols). */
kernel void permute_rows(global const double *S, long soff, int sld, global double *D, long doff,
                         int dld, int rows, int cols, global const int *perm)
{
    int i = get_global_id(0), c = get_global_id(1);
    if (i < rows && c < cols)
        AT(D, doff, dld, i, c) = AT(S, soff, sld, perm[i], c);
}

/* op(T)(i, j) for the triangle staged in local memory: TRANS = 0 reads T(i, j), 1 T(j, i). */
static void stage_triangle(global const double *T, long toff, int ldt, int k, int trans, local double *Ts)
{
    for (int e = get_local_id(0); e < k * k; e += get_local_size(0)) {
        int i = e % k, j = e / k;
        Ts[i + j * TB] = trans ? AT(T, toff, ldt, j, i) : AT(T, toff, ldt, i, j);
    }
    barrier(CLK_LOCAL_MEM_FENCE);
}

/* B := op(T)^-1 B for a k x k (k <= TB) lower-triangular op(T) (T lower with trans = 0, or
 * T upper with trans = 1), unit diagonal if `unit`; B is k x ncols. One work-item per
 * column of B, its column in registers; op(T) in local memory. Launch: 1-D, any local size. */
kernel void trsm_leaf_lower(global const double *T, long toff, int ldt, int k, int trans, int unit,
                            global double *B, long boff, int ldb, int ncols)
{
    local double Ts[TB * TB];
    stage_triangle(T, toff, ldt, k, trans, Ts);
    int c = get_global_id(0);
    if (c >= ncols)
        return;
    double x[TB];
#pragma unroll
    for (int i = 0; i < TB; i++)
        x[i] = i < k ? AT(B, boff, ldb, i, c) : 0.0;
#pragma unroll
    for (int i = 0; i < TB; i++) {
        if (i < k) {
            double s = x[i];
#pragma unroll
            for (int j = 0; j < i; j++)
                s = fma(-Ts[i + j * TB], x[j], s);
            x[i] = unit ? s : s / Ts[i + i * TB];
        }
    }
#pragma unroll
    for (int i = 0; i < TB; i++)
        if (i < k)
            AT(B, boff, ldb, i, c) = x[i];
}

/* B := op(T)^-1 B for an upper-triangular op(T) (T upper with trans = 0, or T lower with
 * trans = 1); otherwise as trsm_leaf_lower. */
kernel void trsm_leaf_upper(global const double *T, long toff, int ldt, int k, int trans, int unit,
                            global double *B, long boff, int ldb, int ncols)
{
    local double Ts[TB * TB];
    stage_triangle(T, toff, ldt, k, trans, Ts);
    int c = get_global_id(0);
    if (c >= ncols)
        return;
    double x[TB];
#pragma unroll
    for (int i = 0; i < TB; i++)
        x[i] = i < k ? AT(B, boff, ldb, i, c) : 0.0;
#pragma unroll
    for (int i = TB - 1; i >= 0; i--) {
        if (i < k) {
            double s = x[i];
#pragma unroll
            for (int j = TB - 1; j > i; j--)
                if (j < k)
                    s = fma(-Ts[i + j * TB], x[j], s);
            x[i] = unit ? s : s / Ts[i + i * TB];
        }
    }
#pragma unroll
    for (int i = 0; i < TB; i++)
        if (i < k)
            AT(B, boff, ldb, i, c) = x[i];
}

/* B := op(T)^-1 B, op(T) k x k triangular (k <= WG), for a few columns of B: one work-group
 * per column, work-item j holding x_j; step i makes x_i final (dividing by the diagonal
 * unless `unit`) and every later row subtracts op(T)(j, i) x_i. 2k barriers per column,
 * but one launch per WG x WG triangle instead of the (WG/TB)^2 launches of the register
 * leaves and the products between them: for the solves with one or a few right-hand sides,
 * which are launch-bound. `lower`: op(T) lower (forward substitution), else upper.
 * Launch: global = (WG * ncols), local = WG. */
kernel void trsm_wg(global const double *T, long toff, int ldt, int k, int lower, int trans, int unit,
                    global double *B, long boff, int ldb)
{
    local double xi;
    int j = get_local_id(0);
    int c = get_group_id(0);
    double x = j < k ? AT(B, boff, ldb, j, c) : 0.0;
    for (int s = 0; s < k; s++) {
        int i = lower ? s : k - 1 - s;
        if (j == i) {
            if (!unit)
                x /= AT(T, toff, ldt, i, i);
            xi = x;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        double v = xi;
        if (j < k && (lower ? j > i : j < i)) {
            double t = trans ? AT(T, toff, ldt, i, j) : AT(T, toff, ldt, j, i);
            x = fma(-t, v, x);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (j < k)
        AT(B, boff, ldb, j, c) = x;
}
