//! The evaluator: C := alpha op(A) op(B) + beta C through a verified 4x4
//! scheme, at the block level, on any [`Machine`] (host memory with the
//! CPU LAPACK's DGEMM, or device memory with the GPU kernels).
//!
//! One level, for op(A) m x k, op(B) k x n, side s = 4 and blocks
//! mb = floor(m/s), nb = floor(n/s), kb = floor(k/s):
//! 1. the products are taken in batches of g (as many as the memory for
//!    temporaries allows, normally all R); for a batch, one pass over the
//!    s^2 blocks of A writes its g combinations `S_r = sum U[r][ij] A_ij`,
//!    one pass over B writes `T_r = sum V[r][kl] B_kl` (fused block additions:
//!    each block of A and B is read once per batch);
//! 2. M_r = S_r T_r for each r of the batch, by the machine's GEMM, or by
//!    this evaluator again one level down (recursion);
//! 3. one pass over the s^2 blocks of C: C_mn := beta' C_mn + alpha sum_r
//!    `W[r][mn] M_r` (beta' = beta for the first batch, 1 after; with
//!    beta = 0, C is not read, so NaN in C does not leak, as in DGEMM);
//! 4. the edges that the s x s grid leaves (m, n or k not multiples of s)
//!    are peeled: plain GEMMs on the last m - s*mb rows, the last
//!    n - s*nb columns, and the last k - s*kb terms of the core.
//!
//! Memory traffic of one level with one batch, in blocks: A side
//! s^2 + R, B side s^2 + R, C side R + 2 s^2 (the GEMMs read S, T and
//! write M besides). For Strassen-squared at n = 16384 that is about
//! 27 GB, some 10 ms at the H100's bandwidth, against the 15 block
//! products saved (about 45 ms of kernel time).
//!
//! Transposes are not materialised: a block of op(A) is the transposed
//! block of A, combined as stored and multiplied with TRANSA = 'T'.

use super::scheme::Scheme;

/// Block operations the evaluator needs.
pub trait Machine {
    type Buf;
    type View: Copy;
    type Error;
    /// Bytes that temporaries may still take.
    fn bytes_free(&self) -> usize;
    /// The most elements one temporary may hold.
    fn max_elements(&self) -> usize {
        usize::MAX
    }
    /// A column-major `rows x cols` temporary, leading dimension `rows`.
    fn alloc(&mut self, rows: usize, cols: usize) -> Result<Self::Buf, Self::Error>;
    fn view(&self, buf: &Self::Buf) -> Self::View;
    /// The sub-matrix at element (i, j) of `v`.
    fn at(v: Self::View, i: usize, j: usize) -> Self::View;
    /// C(m x n) := alpha op(A) op(B) + beta C.
    #[allow(clippy::too_many_arguments)]
    fn gemm(
        &mut self, ta: bool, tb: bool, m: usize, n: usize, k: usize, alpha: f64, a: Self::View, b: Self::View,
        beta: f64, c: Self::View,
    ) -> Result<(), Self::Error>;
    /// Called before each pass that writes C's blocks (the product's
    /// output): a machine may finish work it deferred until C is needed
    /// (the GPU uploads C while the block products run).
    fn before_output(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
    /// For each output o: `outs[o] := beta outs[o] + sum_i coef[o * ins.len() + i] ins[i]`,
    /// every operand `rows x cols`; with beta = 0 the outputs are not read.
    /// Inputs share one buffer and leading dimension; outputs too.
    fn combine(
        &mut self, rows: usize, cols: usize, ins: &[Self::View], outs: &[Self::View], coef: &[f64], beta: f64,
    ) -> Result<(), Self::Error>;
}

/// A product C := alpha op(A) op(B) + beta C on views of a machine.
#[derive(Clone, Copy, Debug)]
pub struct Product<V> {
    pub ta: bool,
    pub tb: bool,
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub alpha: f64,
    pub a: V,
    pub b: V,
    pub beta: f64,
    pub c: V,
}

/// What an evaluation did: leaf GEMMs (block products) and their flops,
/// block additions (one per non-zero coefficient beyond the first of each
/// combination, per element) and the elements the combination passes read
/// and wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Counts {
    pub products: u64,
    pub product_flops: f64,
    pub add_flops: f64,
    pub add_bytes: f64,
}

/// A scheme ready for evaluation: coefficients as doubles.
#[derive(Clone, Debug)]
pub struct Compiled {
    pub name: &'static str,
    pub side: usize,
    pub rank: usize,
    pub u: Vec<f64>,
    pub v: Vec<f64>,
    pub w: Vec<f64>,
}

impl Compiled {
    /// Verifies `scheme` over the rationals and converts it; a scheme that
    /// fails the Brent equations is refused.
    pub fn new(scheme: &Scheme) -> Result<Compiled, String> {
        let defects = scheme.brent_defects(None);
        if defects > 0 {
            return Err(format!("{}: {defects} Brent equations fail over the rationals", scheme.name));
        }
        Ok(Compiled {
            name: scheme.name,
            side: scheme.side,
            rank: scheme.rank,
            u: Scheme::f64_rows(&scheme.u),
            v: Scheme::f64_rows(&scheme.v),
            w: Scheme::f64_rows(&scheme.w),
        })
    }

    fn nnz(x: &[f64], rows: std::ops::Range<usize>, width: usize) -> usize {
        rows.map(|r| x[r * width..(r + 1) * width].iter().filter(|c| **c != 0.0).count()).sum()
    }

    /// Bytes of temporaries per product for one level at these block
    /// shapes (S, T and M blocks).
    pub fn temp_bytes_per_product(m: usize, n: usize, k: usize, side: usize) -> usize {
        let (mb, nb, kb) = (m / side, n / side, k / side);
        8 * (mb * kb + kb * nb + mb * nb)
    }
}

/// Evaluates `p` with `levels` levels of `scheme` (0: the machine's GEMM).
/// A level that cannot run (a dimension below the side, alpha = 0, no room
/// for one product's temporaries) is a plain GEMM instead.
pub fn evaluate<M: Machine>(
    mach: &mut M, scheme: &Compiled, levels: usize, p: Product<M::View>, counts: &mut Counts,
) -> Result<(), M::Error> {
    let s = scheme.side;
    let per = Compiled::temp_bytes_per_product(p.m, p.n, p.k, s);
    if levels == 0 || p.alpha == 0.0 || p.m < s || p.n < s || p.k < s || per > mach.bytes_free() {
        mach.before_output()?;
        counts.products += 1;
        counts.product_flops += 2.0 * (p.m * p.n * p.k) as f64;
        return mach.gemm(p.ta, p.tb, p.m, p.n, p.k, p.alpha, p.a, p.b, p.beta, p.c);
    }
    let (mb, nb, kb) = (p.m / s, p.n / s, p.k / s);
    let (ar, ac) = if p.ta { (kb, mb) } else { (mb, kb) };
    let (br, bc) = if p.tb { (nb, kb) } else { (kb, nb) };
    let a_blocks: Vec<M::View> = (0..s * s)
        .map(|e| {
            let (i, j) = (e / s, e % s);
            if p.ta { M::at(p.a, j * kb, i * mb) } else { M::at(p.a, i * mb, j * kb) }
        })
        .collect();
    let b_blocks: Vec<M::View> = (0..s * s)
        .map(|e| {
            let (k, l) = (e / s, e % s);
            if p.tb { M::at(p.b, l * nb, k * kb) } else { M::at(p.b, k * kb, l * nb) }
        })
        .collect();
    let c_blocks: Vec<M::View> = (0..s * s).map(|e| M::at(p.c, (e / s) * mb, (e % s) * nb)).collect();
    // Batch size: all products if their temporaries fit, else as many as do
    // (the inner levels allocate their own, smaller, temporaries).
    let largest = (ar * ac).max(br * bc).max(mb * nb).max(1);
    let batch = (mach.bytes_free() / per).min(mach.max_elements() / largest).clamp(1, scheme.rank);
    let sbuf = mach.alloc(ar, ac * batch)?;
    let tbuf = mach.alloc(br, bc * batch)?;
    let mbuf = mach.alloc(mb, nb * batch)?;
    let (sv, tv, mv) = (mach.view(&sbuf), mach.view(&tbuf), mach.view(&mbuf));
    let ss = s * s;
    let mut first = true;
    let mut r0 = 0;
    while r0 < scheme.rank {
        let g = batch.min(scheme.rank - r0);
        let rows = r0..r0 + g;
        let s_out: Vec<M::View> = (0..g).map(|q| M::at(sv, 0, q * ac)).collect();
        let t_out: Vec<M::View> = (0..g).map(|q| M::at(tv, 0, q * bc)).collect();
        let m_blk: Vec<M::View> = (0..g).map(|q| M::at(mv, 0, q * nb)).collect();
        mach.combine(ar, ac, &a_blocks, &s_out, &scheme.u[r0 * ss..(r0 + g) * ss], 0.0)?;
        mach.combine(br, bc, &b_blocks, &t_out, &scheme.v[r0 * ss..(r0 + g) * ss], 0.0)?;
        let (nu, nv) = (Compiled::nnz(&scheme.u, rows.clone(), ss), Compiled::nnz(&scheme.v, rows.clone(), ss));
        counts.add_flops += ((nu - g) * mb * kb + (nv - g) * kb * nb) as f64;
        counts.add_bytes += 8.0 * ((ss + g) * mb * kb + (ss + g) * kb * nb) as f64;
        for q in 0..g {
            let sub = Product { ta: p.ta, tb: p.tb, m: mb, n: nb, k: kb, alpha: 1.0, a: s_out[q], b: t_out[q], beta: 0.0, c: m_blk[q] };
            evaluate(mach, scheme, levels - 1, sub, counts)?;
        }
        // C side: 16 outputs, g inputs; coefficient (o, q) = alpha W[r0+q][o].
        let coef: Vec<f64> = (0..ss).flat_map(|o| (0..g).map(move |q| (o, q))).map(|(o, q)| p.alpha * scheme.w[(r0 + q) * ss + o]).collect();
        let beta = if first { p.beta } else { 1.0 };
        mach.before_output()?;
        mach.combine(mb, nb, &m_blk, &c_blocks, &coef, beta)?;
        let nw = coef.iter().filter(|c| **c != 0.0).count();
        counts.add_flops += (nw * mb * nb) as f64;
        counts.add_bytes += 8.0 * ((g + if beta == 0.0 { ss } else { 2 * ss }) * mb * nb) as f64;
        first = false;
        r0 += g;
    }
    drop((sbuf, tbuf, mbuf));
    // The edges.
    let (m4, n4, k4) = (s * mb, s * nb, s * kb);
    let mut plain = |mach: &mut M, m, n, k, a, b, beta, c| {
        mach.before_output()?;
        counts.products += 1;
        counts.product_flops += 2.0 * (m * n * k) as f64;
        mach.gemm(p.ta, p.tb, m, n, k, p.alpha, a, b, beta, c)
    };
    if p.k > k4 {
        let a = if p.ta { M::at(p.a, k4, 0) } else { M::at(p.a, 0, k4) };
        let b = if p.tb { M::at(p.b, 0, k4) } else { M::at(p.b, k4, 0) };
        plain(mach, m4, n4, p.k - k4, a, b, 1.0, p.c)?;
    }
    if p.m > m4 {
        let a = if p.ta { M::at(p.a, 0, m4) } else { M::at(p.a, m4, 0) };
        plain(mach, p.m - m4, p.n, p.k, a, p.b, p.beta, M::at(p.c, m4, 0))?;
    }
    if p.n > n4 {
        let b = if p.tb { M::at(p.b, n4, 0) } else { M::at(p.b, 0, n4) };
        plain(mach, m4, p.n - n4, p.k, p.a, b, p.beta, M::at(p.c, 0, n4))?;
    }
    Ok(())
}
