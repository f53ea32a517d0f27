//! DGEMM_ALPHA: `dgemm_alpha_` (Fortran ABI) and `lapack_ai_dgemm_alpha`
//! (C, LAPACKE's conventions). The scheme, its evaluation and the choice
//! of levels are in this folder's other files; the device's side in
//! device.rs.

use super::cost::AlphaRates;
use super::device as gpu_alpha;
use super::eval::{evaluate, Counts, Product};
use super::host::{self, Host, HostView};
use super::{self as fast};
use crate::abi::capi::{LAPACK_AI_COL_MAJOR, LAPACK_AI_ROW_MAJOR};
use crate::abi::{boundary, LAPACK_AI_INFO_INTERNAL_ERROR};
use crate::dispatch::{self, Call, Routine};
use crate::ops::gemm::check::{self, read_gemm_args};
use crate::ops::lsame;
use crate::engine::opencl::gemm::{self, Failure, Gemm, Tile};
use crate::matrix::MatMut;
use once_cell::sync::{Lazy, OnceCell};
use std::cell::RefCell;
use std::os::raw::{c_char, c_int};

/// DGEMM_ALPHA: C := alpha*op(A)*op(B) + beta*C, op(X) = X or X**T,
/// computed through a fast 4x4 block scheme (rank 48 or 49 instead of 64
/// block products) where the cost model predicts it faster, else as DGEMM.
///
/// Arguments exactly as reference BLAS DGEMM: TRANSA, TRANSB ('N', 'T' or
/// 'C'), M, N, K (>= 0), ALPHA, A(LDA,*), LDA (>= max(1, rows of A as
/// stored)), B(LDB,*), LDB, BETA, C(LDC,*) (when BETA = 0, C need not be
/// set on input), LDC (>= max(1, M)). Illegal arguments are reported
/// through XERBLA('DGEMM_ALPHA', position), with DGEMM's positions.
///
/// Accuracy: normwise, not componentwise: |C - C_exact| is bounded by a
/// multiple of eps * max|A| * max|B| that grows with the levels applied
/// (measured in tests/alpha.rs, documented in the README), not
/// by eps * (|A| |B|) element by element as for DGEMM. Inf and NaN in A or B
/// can reach more elements of C than in DGEMM.
///
/// # Safety
/// Pointers as for reference DGEMM.
#[no_mangle]
pub unsafe extern "C" fn dgemm_alpha_(
    transa: *const c_char,
    transb: *const c_char,
    m: *const c_int,
    n: *const c_int,
    k: *const c_int,
    alpha: *const f64,
    a: *const f64,
    lda: *const c_int,
    b: *const f64,
    ldb: *const c_int,
    beta: *const f64,
    c: *mut f64,
    ldc: *const c_int,
    transa_len: usize,
    transb_len: usize,
) {
    let _ = (transa_len, transb_len);
    boundary("DGEMM_ALPHA", || {
        // SAFETY: the caller's scalar pointers (valid or null); DGEMM's
        // checks, reported with the name DGEMM_ALPHA.
        let args = unsafe { read_gemm_args("DGEMM_ALPHA", transa, transb, m, n, k, alpha, lda, ldb, beta, ldc) };
        let Some(d) = args else { return };
        // SAFETY: arguments checked as reference DGEMM checks them.
        unsafe { product(d.ta, d.tb, d.m, d.n, d.k, d.alpha, a, d.lda, b, d.ldb, d.beta, c, d.ldc) }
    });
}

/// DGEMM_ALPHA in LAPACKE's style: `layout` LAPACK_AI_ROW_MAJOR (101) or
/// LAPACK_AI_COL_MAJOR (102) first, scalars by value, INFO returned.
///
/// C := alpha*op(A)*op(B) + beta*C with op(A) m x k, op(B) k x n, C m x n,
/// stored in `layout` order; `transa`/`transb` 'N', 'T' or 'C'. Leading
/// dimensions: column major as DGEMM; row major lda >= max(1, k) ('N') or
/// max(1, m) ('T'), ldb >= max(1, n) ('N') or max(1, k) ('T'),
/// ldc >= max(1, n).
///
/// Returns 0, or -i when argument i (1-based, in this function's list:
/// 1 layout, 2 transa, 3 transb, 4 m, 5 n, 6 k, 8 a, 9 lda, 10 b, 11 ldb,
/// 13 c, 14 ldc) is illegal (a null array that the product reads or writes
/// is illegal), or LAPACK_AI_INFO_INTERNAL_ERROR. XERBLA is not called.
///
/// # Safety
/// Arrays valid for the dimensions and leading dimensions given.
#[no_mangle]
pub unsafe extern "C" fn lapack_ai_dgemm_alpha(
    layout: c_int,
    transa: c_char,
    transb: c_char,
    m: c_int,
    n: c_int,
    k: c_int,
    alpha: f64,
    a: *const f64,
    lda: c_int,
    b: *const f64,
    ldb: c_int,
    beta: f64,
    c: *mut f64,
    ldc: c_int,
) -> c_int {
    boundary("lapack_ai_dgemm_alpha", || {
        let (ta, tb) = (transa as u8, transb as u8);
        let legal = |t: u8| lsame(t, b'N') || lsame(t, b'T') || lsame(t, b'C');
        let row_major = match layout {
            LAPACK_AI_COL_MAJOR => false,
            LAPACK_AI_ROW_MAJOR => true,
            _ => return -1,
        };
        if !legal(ta) {
            return -2;
        }
        if !legal(tb) {
            return -3;
        }
        if m < 0 {
            return -4;
        }
        if n < 0 {
            return -5;
        }
        if k < 0 {
            return -6;
        }
        let (nota, notb) = (lsame(ta, b'N'), lsame(tb, b'N'));
        // The extent of a row (row major) or column (column major) of A, B, C.
        let (a_need, b_need, c_need) = if row_major {
            (if nota { k } else { m }, if notb { n } else { k }, n)
        } else {
            (if nota { m } else { k }, if notb { k } else { n }, m)
        };
        if lda < a_need.max(1) {
            return -9;
        }
        if ldb < b_need.max(1) {
            return -11;
        }
        if ldc < c_need.max(1) {
            return -14;
        }
        let reads_ab = m > 0 && n > 0 && k > 0 && alpha != 0.0;
        if reads_ab && a.is_null() {
            return -8;
        }
        if reads_ab && b.is_null() {
            return -10;
        }
        if m > 0 && n > 0 && c.is_null() && (beta != 1.0 || reads_ab) {
            return -13;
        }
        // SAFETY: legal arguments, the caller's arrays. Row major is the
        // column-major product C^T = op(B)^T op(A)^T.
        unsafe {
            if row_major {
                product(tb, ta, n, m, k, alpha, b, ldb, a, lda, beta, c, ldc)
            } else {
                product(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            }
        }
        0
    })
    .unwrap_or(LAPACK_AI_INFO_INTERNAL_ERROR)
}

/// The CPU side's rates: the cost model's CPU rate when it has one, else
/// measured; the combination rate measured (or configured). Measured once
/// per machine and kept with the cost model's rates (src/dispatch/model.rs).
/// `None` when they could not be measured (no memory for the probes; a
/// panic, caught so as not to poison the Lazy): DGEMM_ALPHA then runs as
/// one plain DGEMM on the CPU.
static HOST_RATES: Lazy<Option<AlphaRates>> = Lazy::new(|| {
    crate::runtime::panic::catch(|| {
        Some(AlphaRates {
            // LAPACK_AI_MODE=cpu: the GPU is not touched, not even to calibrate.
            gemm_gflops: match (crate::runtime::config::CONFIG.mode != crate::runtime::config::Mode::Cpu).then(dispatch::rates).flatten() {
                Some(r) => r.cpu_gflops,
                None => dispatch::model::constant("cpu.alpha_gemm_gflops", host::measure_gemm_gflops)?,
            },
            add_gbs: match fast::settings().add_gbs {
                Some(x) => x,
                None => dispatch::model::constant("cpu.alpha_add_gbs", host::measure_add_gbs)?,
            },
            min_block: fast::settings().min_block.unwrap_or(CPU_MIN_BLOCK),
        })
    })
    .ok()
    .flatten()
});

/// The GPU side's rates: the device kernel's rate from the cost model, the
/// combination kernel's measured rate, the smallest block (default 4096:
/// on the H100 one level lost 10-15% at blocks of 2048 (n = 8192) and
/// gained 8-11% at 4096, 22-23% at 8192, bench/RESULTS.md); the cost
/// model's rates, and the measured rate of host <-> device copies through
/// the staging buffers. None without a calibration.
#[derive(Clone, Copy, Debug)]
struct DeviceRates {
    alpha: AlphaRates,
    plain: dispatch::cost::Rates,
    staging_gbs: f64,
}

static DEVICE_RATES: OnceCell<Option<DeviceRates>> = OnceCell::new();

fn device_rates() -> Option<DeviceRates> {
    *DEVICE_RATES.get_or_init(|| {
        let plain = dispatch::rates()?;
        let add_gbs = match fast::settings().add_gbs {
            Some(x) => x,
            None => dispatch::model::constant("gpu.alpha_add_gbs", || gpu_alpha::measure_add_gbs().ok())?,
        };
        let staging_gbs = dispatch::model::constant("gpu.alpha_staging_gbs", || gpu_alpha::measure_staging_gbs().ok())?;
        let alpha = AlphaRates { gemm_gflops: plain.gpu_gflops, add_gbs, min_block: fast::settings().min_block.unwrap_or(GPU_MIN_BLOCK) };
        Some(DeviceRates { alpha, plain, staging_gbs })
    })
}

/// Default smallest block dimension of a level (`LAPACK_AI_ALPHA_MIN_BLOCK`
/// overrides): on the GPU, see [`DeviceRates`]; on the CPU, OpenBLAS on the
/// H100 machine's 16 cores runs 512^3 products at 60% and 1024^3 at 80% of
/// its 8192^3 rate (bench/RESULTS.md, DGEMM entry).
const GPU_MIN_BLOCK: usize = 4096;
const CPU_MIN_BLOCK: usize = 512;

/// Whether no level can run (blocks below the smallest block), unless
/// levels are forced: then the cost model's rates are not needed.
fn too_small(g: &Gemm, default_min_block: usize) -> bool {
    fast::settings().levels.is_none() && g.m.min(g.n).min(g.k) / 4 < fast::settings().min_block.unwrap_or(default_min_block)
}

/// What a call did, for the log line.
fn describe_plan(scheme: &str, levels: usize, t0: f64, tl: f64, counts: &Counts) -> String {
    if levels == 0 {
        return format!(" alpha: plain GEMM (no level predicted to pay; plain {:.3} ms)", t0 * 1e3);
    }
    format!(
        " alpha: {scheme} levels={levels} products={} product_gflop={:.1} add_gflop={:.2} add_gb={:.2} predicted {:.3} ms vs plain {:.3} ms",
        counts.products,
        counts.product_flops * 1e-9,
        counts.add_flops * 1e-9,
        counts.add_bytes * 1e-9,
        tl * 1e3,
        t0 * 1e3
    )
}

/// A DGEMM_ALPHA whose arguments are legal, in Fortran terms.
///
/// # Safety
/// Arguments legal for DGEMM; arrays valid for them.
#[allow(clippy::too_many_arguments)]
unsafe fn product(
    ta: u8, tb: u8, m: i32, n: i32, k: i32, alpha: f64, a: *const f64, lda: i32, b: *const f64, ldb: i32, beta: f64,
    c: *mut f64, ldc: i32,
) {
    if check::dgemm_quick_return(m, n, k, alpha, beta) {
        return;
    }
    let (trans_a, trans_b) = (!lsame(ta, b'N'), !lsame(tb, b'N'));
    let (mu, nu, ku) = (m as usize, n as usize, k as usize);
    let (flops, bytes) = crate::dispatch::cost::gemm_terms(mu, nu, ku, beta);
    let plan_text = RefCell::new(String::new());
    let call = Call {
        routine: Routine::DgemmAlpha,
        describe: || {
            format!(
                "transa={} transb={} m={m} n={n} k={k} lda={lda} ldb={ldb} ldc={ldc}{}",
                ta as char,
                tb as char,
                plan_text.borrow()
            )
        },
        flops,
        bytes,
        launches: 1.0,
        shape: crate::dispatch::cost::gemm_shape(trans_a, trans_b, mu, nu, ku),
        shape_name: crate::dispatch::cost::gemm_shape_name,
        adjust: None,
    };
    // SAFETY: the arguments passed DGEMM's checks; the caller's arrays, C
    // overlapping neither A nor B (BLAS's rule).
    let (av, bv, mut cv) = unsafe { crate::ops::gemm::exports::views(trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc) };
    let g = Gemm::new(trans_a, trans_b, alpha, av, bv, beta);
    let plan_ref = &plan_text;
    let gpu = move |c: &mut MatMut| {
        on_gpu(&g, c.rb_mut(), plan_ref).map_err(|f| {
            dispatch::failure(f.error, move |c: &mut MatMut| {
                if f.remaining == [Tile { row0: 0, rows: g.m, col0: 0, cols: g.n }] {
                    // C is untouched by the failed attempt.
                    on_cpu(&g, c.rb_mut(), plan_ref)
                } else {
                    // Each remaining tile a sub-product of the same call,
                    // its part of C untouched; the tiles done are not redone.
                    f.remaining.iter().for_each(|t| g.tile(*t).on_cpu(t.of(c)));
                }
            })
        })
    };
    dispatch::run(call, &mut cv, |c| on_cpu(&g, c.rb_mut(), &plan_text), Some(gpu));
}

/// The product on the CPU: the scheme on host blocks, block products by
/// the CPU LAPACK's DGEMM, or plain DGEMM when no level pays.
fn on_cpu(g: &Gemm<'_>, mut c: MatMut<'_>, plan_text: &RefCell<String>) {
    if too_small(g, CPU_MIN_BLOCK) {
        g.on_cpu(c);
        *plan_text.borrow_mut() = " alpha: plain GEMM (blocks would be below the smallest block)".into();
        return;
    }
    let Some(rates) = HOST_RATES.as_ref() else {
        g.on_cpu(c);
        *plan_text.borrow_mut() = " alpha: plain GEMM (no measured CPU rates)".into();
        return;
    };
    let (scheme, levels, t0, tl) = fast::plan(g.m, g.n, g.k, rates);
    let mut host = Host::new(Host::default_budget());
    // The evaluator addresses blocks of A, B, C and of its temporaries
    // alike, by first element and leading dimension (alpha/host.rs).
    let p = Product {
        ta: g.trans_a, tb: g.trans_b, m: g.m, n: g.n, k: g.k, alpha: g.alpha, a: HostView::of(g.a), b: HostView::of(g.b),
        beta: g.beta, c: HostView::of_mut(&mut c),
    };
    let mut counts = Counts::default();
    match evaluate(&mut host, scheme, levels, p, &mut counts) {
        Ok(()) => *plan_text.borrow_mut() = describe_plan(scheme.name, levels, t0, tl, &counts),
        Err(host::NoMemory) => {
            // Before C was first written (alpha::host::Host): one DGEMM,
            // which needs no memory of ours.
            g.on_cpu(c);
            *plan_text.borrow_mut() = " alpha: plain GEMM (no host memory for the scheme's temporaries)".into();
        }
    }
}

/// The product on the GPU: the scheme on device-resident blocks when a
/// level pays and the operands fit, else the GPU DGEMM (tiled, out of core
/// if needed). On failure, C is as it was, except for DGEMM tiles already
/// finished, which the CPU then skips.
fn on_gpu(g: &Gemm<'_>, c: MatMut<'_>, plan_text: &RefCell<String>) -> Result<(), Failure> {
    // Small products skip the rates (whose first use measures them).
    let small = too_small(g, GPU_MIN_BLOCK);
    let rates = if small { None } else { device_rates() };
    let planned = rates.map(|r| fast::plan(g.m, g.n, g.k, &r.alpha));
    let everything = |error| Failure { error, remaining: vec![Tile { row0: 0, rows: g.m, col0: 0, cols: g.n }] };
    let fits = crate::engine::opencl::context::gpu().map(|gpu| gpu_alpha::fits(&gpu, g)).map_err(everything)?;
    // From host memory: the plain GPU DGEMM overlaps its copies with its
    // kernels (the cost model's estimate); DGEMM_ALPHA's host path copies
    // A and B in and C out around the evaluation (C's upload overlaps).
    // With LAPACK_AI_ALPHA_LEVELS the comparison is skipped.
    // Model: the plain path takes the longer of its copies and its
    // kernels (they overlap), DGEMM_ALPHA the sum of its copies (the same
    // bytes: C's upload overlaps the products but takes the host's time
    // to pack) and its evaluation. So DGEMM_ALPHA from host memory pays
    // only where the products take longer than all the copies, which on
    // the H100 machine (PCIe, pageable memory) no size does: measured
    // 0.79x to 0.94x the plain path at 16384 and 32768 (bench/RESULTS.md).
    let (mf, nf, kf) = (g.m as f64, g.n as f64, g.k as f64);
    let host_pays = |t0: f64, tl: f64| -> Option<(f64, f64)> {
        let r = rates?;
        let copies = 8.0 * (mf * kf + kf * nf + 2.0 * mf * nf) / (r.staging_gbs * 1e9);
        Some((r.plain.launch_s + copies.max(t0), r.plain.launch_s + copies + tl))
    };
    let host = planned.and_then(|(_, _, t0, tl)| host_pays(t0, tl));
    let worth = fast::settings().levels.is_some() || host.is_some_and(|(p, a)| a < p * (1.0 - super::cost::MARGIN));
    match planned {
        Some((scheme, levels, t0, tl)) if levels > 0 && fits && worth => {
            let mut counts = Counts::default();
            gpu_alpha::dgemm_alpha(g, c, scheme, levels, &mut counts)?;
            *plan_text.borrow_mut() = describe_plan(scheme.name, levels, t0, tl, &counts);
            Ok(())
        }
        _ => {
            *plan_text.borrow_mut() = match (planned, host) {
                (Some((s, levels, _, _)), Some((tp, ta))) if levels > 0 && fits => format!(
                    " alpha: plain GPU DGEMM ({} levels={levels} would save on the device, but from host memory \
                     predicted {:.3} ms with its copies vs plain {:.3} ms)",
                    s.name,
                    ta * 1e3,
                    tp * 1e3
                ),
                (Some((_, _, t0, _)), _) if fits => describe_plan("", 0, t0, t0, &Counts::default()),
                (Some(_), _) => " alpha: plain GEMM (operands and temporaries do not fit the device)".into(),
                (None, _) if small => " alpha: plain GEMM (blocks would be below the smallest block)".into(),
                (None, _) => " alpha: plain GEMM (no calibrated rates)".into(),
            };
            gemm::dgemm(g, c)
        }
    }
}
