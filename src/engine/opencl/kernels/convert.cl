/*
 * convert.cl -- the host product's conversions on the device
 * (src/engine/opencl/gemm.rs): operands uploaded in the caller's precision
 * and layout, made the double matrices the DGEMM kernel takes, and a
 * single-precision C rounded once before it goes back.
 *
 * REAL is the uploaded element type (float or double), set at build time.
 * Offsets and counts are below 2^31 elements (the engine's plan keeps every
 * buffer so); products of them are taken in 64 bits.
 */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
/* The expansion's complex product rounds as the host's a*b - c*d does. */
#pragma OPENCL FP_CONTRACT OFF

/* dst[dst_off + i] = src[src_off + i] widened, for i < len (exact). */
__kernel void widen(const int len, __global const REAL *src, const int src_off, __global double *dst, const int dst_off)
{
    const int i = get_global_id(0);
    if (i < len)
        dst[dst_off + i] = (double)src[src_off + i];
}

/* dst[dst_off + i] = src[src_off + i] rounded to single (to nearest, ties to even). */
__kernel void narrow(const int len, __global const double *src, const int src_off, __global float *dst, const int dst_off)
{
    const int i = get_global_id(0);
    if (i < len)
        dst[dst_off + i] = convert_float_rte(src[src_off + i]);
}

/*
 * A complex matrix's 2 x 2 real expansion with alpha folded in. `src` holds,
 * from src_off, `count` complex elements (real, imaginary) of a packed
 * complex matrix of `height` rows, from element number `first`
 * (column-major order). Element
 * (i, j) with x = alpha * (re + i sgn*im) gives rows 2i, 2i+1 of columns
 * 2j, 2j+1 of dst (packed, leading dimension 2 height, from dst_off):
 *   [x.re -x.im; x.im x.re]   (layout 0: X2, the expansion of op(A) = A)
 *   [x.re x.im; -x.im x.re]   (layout 1: X2 transposed, for op(A) = A**T
 *                              or A**H, taken transposed by the kernel)
 */
__kernel void expand(const int count, const int first, const int height, __global const REAL *src,
                     const int src_off, __global double *dst, const int dst_off, const double ar, const double ai,
                     const double sgn, const int layout)
{
    const int g = get_global_id(0);
    if (g >= count)
        return;
    const int e = first + g;
    const int i = e % height, j = e / height;
    const double re = (double)src[src_off + 2 * g], im = sgn * (double)src[src_off + 2 * g + 1];
    const double xr = ar * re - ai * im;
    const double xi = ar * im + ai * re;
    const long ld = 2 * (long)height;
    const long c0 = dst_off + 2 * (long)j * ld + 2 * i, c1 = c0 + ld;
    dst[c0] = xr;
    dst[c1 + 1] = xr;
    dst[c0 + 1] = layout ? -xi : xi;
    dst[c1] = layout ? xi : -xi;
}
