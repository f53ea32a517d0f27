/*
 * The back-transformation of the band-to-bidiagonal chase (src/ops/svd/bulge.rs):
 * X := Q2 X for the n x cols matrix X, Q2 the product of the chase's
 * reflectors (either side's: the same shape).
 *
 * Reflector (s, k) (sweep s, task k) acts on rows s + k b + 1 .. + len,
 * len = min(b, n - start); its vector is V[t b ..], its factor tau[t], with
 * t = first[s] + k. The blocked order (bulge.rs proves it equals applying
 * them from the last generated to the first): groups of g sweeps from the
 * last group down; in a group, task k rising. The reflectors of group
 * (s0, k), sweeps s0 .. s0+g-1, form one block reflector
 * H(s0) H(s0+1) ... = I - Y T Yᵀ on a window of at most b + g - 1 rows
 * starting at s0 + k b + 1: Y is a parallelogram (column j = sweep s0+j
 * starts at row j of the window), T upper triangular (forward, columnwise,
 * as LAPACK's DLARFT).
 *
 * Group (s0, k) is number goff[s0 / g] + k; its T is at Tg[number * g * g].
 * Applying the groups in that order, one at a time, would leave most of
 * the GPU idle; bulge_apply runs them in waves of disjoint groups.
 *
 * Element (i, c) of X is X[offX + i rs + c cs]: rs = 1, cs = ld for X
 * itself (column-major), rs = ld, cs = 1 to apply Q2 to the transpose of
 * a stored matrix (Vᵀ := Vᵀ P2ᵀ).
 *
 * Requires b <= BMAX and g <= BMAX.
 */
#ifndef NC
#define NC 32
#endif
#ifndef BMAX
#define BMAX 32
#endif
#define WG 256

static int tasks_of(int n, int b, int s)
{
    return (s + 1 >= n) ? 0 : (n - 1 - s + b - 1) / b;
}

/* Column j of group (s0, k)'s Y into yl[j * BMAX + i] (zero-padded to b)
 * and its tau into tl[j]; zero columns for sweeps without task k. */
static void load_group(int n, int b, int g, int s0, int k, __global const double *V, __global const double *tau,
                       __global const int *first, __local double *yl, __local double *tl)
{
    const int lid = get_local_id(0);
    for (int idx = lid; idx < g * BMAX; idx += WG) {
        const int j = idx / BMAX, i = idx % BMAX;
        const int s = s0 + j;
        double v = 0.0;
        if (s < n - 1 && k < tasks_of(n, b, s)) {
            const int start = s + k * b + 1;
            const int len = min(b, n - start);
            if (i < len)
                v = V[(long)(first[s] + k) * b + i];
        }
        yl[idx] = v;
    }
    for (int j = lid; j < g; j += WG) {
        const int s = s0 + j;
        tl[j] = (s < n - 1 && k < tasks_of(n, b, s)) ? tau[first[s] + k] : 0.0;
    }
}

/*
 * T of every group: one work-group per group (global = groups * WG).
 * group -> (s0, k) through goff (ngroups_s0 + 1 prefix sums).
 * T(j, j) = tau_j; T(0:j, j) = -tau_j T(0:j, 0:j) G(0:j, j), G = YᵀY.
 */
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void bulge_t(const int n, const int b, const int g, const int nsg, __global const double *V,
             __global const double *tau, __global const int *first, __global const int *goff, __global double *Tg)
{
    __local double yl[BMAX * BMAX];
    __local double tl[BMAX];
    __local double gl[BMAX * BMAX];
    __local double tt[BMAX * BMAX];
    const int lid = get_local_id(0);
    const int grp = get_group_id(0);
    int lo = 0, hi = nsg - 1;
    while (lo < hi) { /* the last sg with goff[sg] <= grp */
        const int mid = (lo + hi + 1) / 2;
        if (goff[mid] <= grp) lo = mid; else hi = mid - 1;
    }
    const int s0 = lo * g, k = grp - goff[lo];
    load_group(n, b, g, s0, k, V, tau, first, yl, tl);
    barrier(CLK_LOCAL_MEM_FENCE);
    /* G(i, j) = sum_r Y(r, i) Y(r, j); Y(r, j) = yl[j][r - j]. */
    for (int idx = lid; idx < g * g; idx += WG) {
        const int i = idx % g, j = idx / g;
        double s = 0.0;
        if (i < j) {
            for (int r = j; r < i + BMAX; r++)
                s += yl[i * BMAX + (r - i)] * yl[j * BMAX + (r - j)];
        }
        gl[i + j * BMAX] = s;
        tt[i + j * BMAX] = (i == j) ? tl[j] : 0.0;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int j = 1; j < g; j++) {
        if (lid < j && tl[j] != 0.0) {
            double s = 0.0;
            for (int l = lid; l < j; l++)
                s += tt[lid + l * BMAX] * gl[l + j * BMAX];
            tt[lid + j * BMAX] = -tl[j] * s;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    __global double *T = Tg + (long)grp * g * g;
    for (int idx = lid; idx < g * g; idx += WG)
        T[idx] = tt[(idx % g) + (idx / g) * BMAX];
}

/*
 * X := Q2 X, one wave of groups. Group (s0, k) must follow (s0 + g, k-2 ..
 * k) and (s0, k-1), whose windows overlap its own; groups whose windows
 * are disjoint commute. So group (sg, k) (s0 = sg g) runs in wave
 * k + (nsg - 1 - sg): each wave's groups are disjoint, and everything a
 * group must follow ran in an earlier wave. One work-group per group of
 * the wave and NC columns: load the window, W := W - Y (T (Yᵀ W)), store.
 * Launch per wave: global = (ceil(cols / NC) * WG, nsg), local = (WG, 1).
 */
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void bulge_apply(const int n, const int b, const int g, const int cols, __global const double *V,
                 __global const double *tau, __global const int *first, __global const int *goff,
                 __global const double *Tg, __global double *X, const int offX, const int rs, const int cs,
                 const int wave)
{
    __local double win[2 * BMAX * NC];
    __local double yl[BMAX * BMAX];
    __local double tl[BMAX];
    __local double tt[BMAX * BMAX];
    __local double zy[BMAX * NC];
    const int lid = get_local_id(0);
    const int col0 = get_group_id(0) * NC;
    const int sg = get_group_id(1);
    const int nsg = get_num_groups(1);
    const int s0 = sg * g;
    const int k = wave - (nsg - 1 - sg);
    if (k < 0 || k >= tasks_of(n, b, s0))
        return; /* the whole work-group: no barrier reached */
    const int w0 = s0 + k * b + 1;
    const int w1 = min(s0 + g - 1 + (k + 1) * b, n - 1);
    const int wr = w1 - w0 + 1;
    for (int idx = lid; idx < wr * NC; idx += WG) {
        int i, cc;
        if (rs == 1) { i = idx % wr; cc = idx / wr; }
        else { cc = idx % NC; i = idx / NC; }
        const int col = col0 + cc;
        win[i * NC + cc] = (col < cols) ? X[offX + (long)(w0 + i) * rs + (long)col * cs] : 0.0;
    }
    load_group(n, b, g, s0, k, V, tau, first, yl, tl);
    __global const double *T = Tg + (long)(goff[sg] + k) * g * g;
    for (int idx = lid; idx < g * g; idx += WG)
        tt[(idx % g) + (idx / g) * BMAX] = T[idx];
    barrier(CLK_LOCAL_MEM_FENCE);
    /* zy(j, c) = sum_i Y(i, j) W(i, c), rows i = j .. j + b - 1. */
    for (int idx = lid; idx < g * NC; idx += WG) {
        const int c = idx % NC, j = idx / NC;
        double s = 0.0;
        const int top = min(b, wr - j);
        for (int i = 0; i < top; i++)
            s += yl[j * BMAX + i] * win[(j + i) * NC + c];
        zy[j * NC + c] = s;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    /* zy := T zy (T upper triangular): each thread keeps its results
     * until every thread has read the old zy. */
    double acc[(BMAX * NC + WG - 1) / WG];
    int q = 0;
    for (int idx = lid; idx < g * NC; idx += WG, q++) {
        const int c = idx % NC, j = idx / NC;
        double s = 0.0;
        for (int l = j; l < g; l++)
            s += tt[j + l * BMAX] * zy[l * NC + c];
        acc[q] = s;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    q = 0;
    for (int idx = lid; idx < g * NC; idx += WG, q++)
        zy[idx] = acc[q];
    barrier(CLK_LOCAL_MEM_FENCE);
    /* W(r, c) -= sum_j Y(r, j) zy(j, c), j with 0 <= r - j < b. */
    for (int idx = lid; idx < wr * NC; idx += WG) {
        const int c = idx % NC, r = idx / NC;
        double s = 0.0;
        const int jlo = max(0, r - b + 1), jhi = min(g - 1, r);
        for (int j = jlo; j <= jhi; j++)
            s += yl[j * BMAX + (r - j)] * zy[j * NC + c];
        win[r * NC + c] -= s;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int idx = lid; idx < wr * NC; idx += WG) {
        int i, cc;
        if (rs == 1) { i = idx % wr; cc = idx / wr; }
        else { cc = idx % NC; i = idx / NC; }
        const int col = col0 + cc;
        if (col < cols)
            X[offX + (long)(w0 + i) * rs + (long)col * cs] = win[i * NC + cc];
    }
}
