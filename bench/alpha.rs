//! DGEMM_ALPHA benchmark: the fast 4x4 schemes against this project's own
//! DGEMM on the same device, one section per call:
//!
//!   alpha device N...  operands resident on the GPU: the DGEMM kernel on
//!                      the whole product (plain) against one and two
//!                      levels of each scheme (block products by the same
//!                      kernel, combinations by src/ops/alpha/alpha_combine.cl),
//!                      and the level count the cost model picks;
//!   alpha host N...    from host memory, as programs call them with
//!                      LAPACK_AI_MODE=gpu: `dgemm_` (tiled, pipelined
//!                      transfers) against `dgemm_alpha_` (copies A, B,
//!                      C in, evaluates on the device, copies C out);
//!   alpha cpu N...     the CPU backend (LAPACK_AI_CPU_LIB, e.g. OpenBLAS):
//!                      its DGEMM against levels 1 and 2 evaluated on host
//!                      blocks, and `dgemm_alpha_` with LAPACK_AI_MODE=cpu.
//!
//! Square products, alpha = 1, beta = 0.5, random data; each timing is one
//! warm-up run then the best of `BENCH_REPS` (default 2) runs. Printed: seconds,
//! TFLOP/s of the classical 2n^3 flops (so that rates compare), the speed-up
//! over plain, block products, product flops and the block additions'
//! flops and bytes, and the largest difference from plain DGEMM's C relative
//! to n max|A| max|B| (the accuracy measure of tests/alpha.rs).
//!
//! Run: cargo build --release --example alpha; then e.g.
//!   LAPACK_AI_DEVICE=nvidia target/release/examples/alpha device 4096 8192 16384 32768

use lapack_ai::ops::alpha::exports::dgemm_alpha_;
use lapack_ai::ops::gemm::exports::dgemm_;
use lapack_ai::ops::alpha::cost::AlphaRates;
use lapack_ai::ops::alpha::eval::{evaluate, Compiled, Counts, Product};
use lapack_ai::ops::alpha::host::{self, Host, HostView};
use lapack_ai::ops::alpha::SCHEMES;
use std::os::raw::c_int;
use std::time::Instant;
use lapack_ai::matrix::{MatMut, MatRef};

fn reps() -> usize {
    std::env::var("BENCH_REPS").ok().and_then(|v| v.parse().ok()).unwrap_or(2)
}

/// One warm-up, then the best of `reps()` runs, seconds.
fn best(mut f: impl FnMut()) -> f64 {
    f();
    (0..reps())
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// Deterministic values in [-1, 1), filled by several threads.
fn fill(len: usize, salt: u64) -> Vec<f64> {
    let mut v = vec![0.0f64; len];
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = len.div_ceil(threads).max(1);
    std::thread::scope(|s| {
        for (t, part) in v.chunks_mut(chunk).enumerate() {
            s.spawn(move || {
                let mut x = (t as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt;
                for e in part.iter_mut() {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    *e = (x >> 11) as f64 / (1u64 << 52) as f64 - 1.0;
                }
            });
        }
    });
    v
}

fn max_rel_diff(x: &[f64], y: &[f64], n: usize) -> f64 {
    // Entries of A and B are below 1: n max|A| max|B| <= n.
    x.iter().zip(y).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max) / (n as f64 * f64::EPSILON)
}

fn row(label: &str, n: usize, t: f64, plain: f64, counts: Option<&Counts>, diff: Option<f64>) {
    let flops = 2.0 * (n as f64).powi(3);
    let c = counts.map_or("-".to_string(), |c| {
        format!("{:>5} {:>9.1} {:>8.2} {:>8.1}", c.products, c.product_flops * 1e-9, c.add_flops * 1e-9, c.add_bytes * 1e-9)
    });
    println!(
        "{:>6} {:<30} {:>9.4} {:>8.2} {:>7.3} {:>33} {:>10}",
        n,
        label,
        t,
        flops / t * 1e-12,
        plain / t,
        c,
        diff.map_or("-".into(), |d| format!("{d:.3}"))
    );
}

fn header(what: &str) {
    println!("\n== {what}");
    println!(
        "{:>6} {:<30} {:>9} {:>8} {:>7} {:>5} {:>9} {:>8} {:>8} {:>10}",
        "n", "method", "seconds", "TFLOP/s", "speedup", "prods", "prod_GF", "add_GF", "add_GB", "diff/n·eps"
    );
}

fn device(sizes: &[usize]) {
    use lapack_ai::ops::alpha::device::{device_budget, measure_add_gbs, Device};
    use lapack_ai::engine::opencl::context::gpu;
    use lapack_ai::engine::opencl::resident::{self, DeviceMatrix};
    let add_gbs = measure_add_gbs().expect("combination kernel");
    let kernel_rate = lapack_ai::dispatch::rates().map(|r| r.gpu_gflops);
    {
        let g = gpu().expect("GPU");
        println!("device: {} ({} MiB); kernel {}; combination pass {add_gbs:.0} GB/s; cost-model kernel rate {:?} GFLOP/s",
            g.device.describe(), g.global_mem >> 20, g.family.name, kernel_rate);
    }
    header("device-resident operands: DGEMM kernel (plain) vs DGEMM_ALPHA levels");
    for &n in sizes {
        let mut g = gpu().expect("GPU");
        g.release_buffers();
        let need = 3 * n * n * 8;
        if need > device_budget(&g) {
            println!("{n:>6} skipped: 3 matrices need {} MiB", need >> 20);
            continue;
        }
        let host_a = fill(n * n, 1);
        let host_b = fill(n * n, 2);
        let (a, b, c) = (DeviceMatrix::new(&g, n, n).unwrap(), DeviceMatrix::new(&g, n, n).unwrap(), DeviceMatrix::new(&g, n, n).unwrap());
        // SAFETY: n x n host arrays.
        unsafe {
            resident::write(&mut g, a.view(), MatRef::from_slice(&host_a, n, n, n)).unwrap();
            resident::write(&mut g, b.view(), MatRef::from_slice(&host_b, n, n, n)).unwrap();
        }
        drop(host_b);
        let budget = device_budget(&g) - need;
        let reset_c = |g: &mut lapack_ai::engine::opencl::context::Gpu| {
            // C := 0.25 through a beta = 0 product with alpha = 0 is not
            // DGEMM semantics; write C from host instead (outside timing).
            // SAFETY: n x n host array.
            unsafe { resident::write(g, c.view(), MatRef::from_slice(&host_a, n, n, n)).unwrap() };
            resident::finish(g).unwrap();
        };
        let p = Product { ta: false, tb: false, m: n, n, k: n, alpha: 1.0, a: a.view(), b: b.view(), beta: 0.5, c: c.view() };
        let run = |g: &mut lapack_ai::engine::opencl::context::Gpu, scheme: Option<&Compiled>, levels: usize| -> (f64, Counts, Vec<f64>) {
            let mut counts = Counts::default();
            let mut times = Vec::new();
            for rep in 0..=reps() {
                reset_c(g);
                let t = Instant::now();
                let mut dev = Device::new(g, budget);
                let mut cn = Counts::default();
                match scheme {
                    None => {
                        unsafe { resident::gemm(dev.gpu, false, false, n, n, n, 1.0, a.view(), b.view(), 0.5, c.view()) }.unwrap();
                        cn.products = 1;
                        cn.product_flops = 2.0 * (n as f64).powi(3);
                    }
                    Some(s) => evaluate(&mut dev, s, levels, p, &mut cn).unwrap(),
                }
                dev.finish().unwrap();
                if rep > 0 {
                    times.push(t.elapsed().as_secs_f64());
                }
                counts = cn;
            }
            // The first n x 64 columns of C, for the comparison.
            let cols = n.min(64);
            let mut out = vec![0.0; n * cols];
            // SAFETY: n x cols host array.
            unsafe { resident::read(g, c.view(), MatMut::from_slice(&mut out, n, cols, n)).unwrap() };
            (times.iter().cloned().fold(f64::INFINITY, f64::min), counts, out)
        };
        let (plain, _, c_plain) = run(&mut g, None, 0);
        row("plain DGEMM kernel", n, plain, plain, None, None);
        for s in SCHEMES.iter() {
            for levels in 1..=2 {
                // Level 2 at n <= 16384 only: at 32768 its 2304 to 2401
                // products take seconds per run (the lease is short).
                if n / 4usize.pow(levels as u32) < 256 || (levels == 2 && n > 16384) {
                    continue;
                }
                let (t, counts, out) = run(&mut g, Some(s), levels);
                row(&format!("{} L{levels}", s.name), n, t, plain, Some(&counts), Some(max_rel_diff(&out, &c_plain, n)));
            }
        }
        if let Some(rate) = kernel_rate {
            let r = AlphaRates { gemm_gflops: rate, add_gbs, min_block: lapack_ai::ops::alpha::settings().min_block.unwrap_or(4096) };
            let (s, levels, t0, tl) = lapack_ai::ops::alpha::plan(n, n, n, &r);
            let pick = if levels == 0 { "plain".to_string() } else { format!("{} levels={levels}", s.name) };
            println!("{n:>6} cost model picks: {pick} (predicted {tl:.4} s vs plain {t0:.4} s)");
        }
    }
}

fn exported(sizes: &[usize], label: &str) {
    for &n in sizes {
        let a = fill(n * n, 1);
        let b = fill(n * n, 2);
        let c0 = fill(n * n, 3);
        let ni = n as c_int;
        let mut c_plain = c0.clone();
        let mut c_alpha = c0.clone();
        let go = |f: unsafe extern "C" fn(*const i8, *const i8, *const c_int, *const c_int, *const c_int, *const f64, *const f64, *const c_int, *const f64, *const c_int, *const f64, *mut f64, *const c_int, usize, usize), c: &mut Vec<f64>| {
            best(|| {
                c.copy_from_slice(&c0);
                // SAFETY: n x n arrays; hidden lengths 1.
                unsafe { f(c"N".as_ptr(), c"N".as_ptr(), &ni, &ni, &ni, &1.0, a.as_ptr(), &ni, b.as_ptr(), &ni, &0.5, c.as_mut_ptr(), &ni, 1, 1) }
            })
        };
        // The copy of C0 is inside the timing for both; it is a memcpy of
        // n^2 doubles, under 1% of either.
        let plain = go(dgemm_, &mut c_plain);
        row(&format!("dgemm_ ({label})"), n, plain, plain, None, None);
        let t = go(dgemm_alpha_, &mut c_alpha);
        row(&format!("dgemm_alpha_ ({label})"), n, t, plain, None, Some(max_rel_diff(&c_alpha, &c_plain, n)));
        if label == "gpu" {
            // The host path with one level forced, whatever the cost model
            // says: what choosing it would cost.
            for s in SCHEMES.iter() {
                let mut counts = Counts::default();
                let t = best(|| {
                    c_alpha.copy_from_slice(&c0);
                    let g = lapack_ai::engine::opencl::gemm::Gemm::new(
                        false, false, 1.0, MatRef::from_slice(&a, n, n, n), MatRef::from_slice(&b, n, n, n), 0.5,
                    );
                    counts = Counts::default();
                    let cv = MatMut::from_slice(&mut c_alpha, n, n, n);
                    lapack_ai::ops::alpha::device::dgemm_alpha(&g, cv, s, 1, &mut counts).expect("host path");
                });
                row(&format!("{} L1 host path, forced", s.name), n, t, plain, Some(&counts), Some(max_rel_diff(&c_alpha, &c_plain, n)));
            }
        }
    }
}

fn cpu(sizes: &[usize]) {
    let rate = host::measure_gemm_gflops().expect("host memory for the probe");
    let add = host::measure_add_gbs().expect("host memory for the probe");
    println!("cpu: {}", lapack_ai::engine::cpu::CPU.provider("dgemm_"));
    println!("cpu dgemm {rate:.0} GFLOP/s, combination pass {add:.1} GB/s");
    header("CPU backend: its DGEMM (plain) vs DGEMM_ALPHA levels on host blocks");
    for &n in sizes {
        let a = fill(n * n, 1);
        let b = fill(n * n, 2);
        let c0 = fill(n * n, 3);
        let v = |p: *const f64| HostView { ptr: p as *mut f64, ld: n };
        let run = |scheme: Option<&Compiled>, levels: usize| -> (f64, Counts, Vec<f64>) {
            let mut c = c0.clone();
            let mut counts = Counts::default();
            let t = best(|| {
                c.copy_from_slice(&c0);
                let mut h = Host::new(Host::default_budget());
                let p = Product { ta: false, tb: false, m: n, n, k: n, alpha: 1.0, a: v(a.as_ptr()), b: v(b.as_ptr()), beta: 0.5, c: v(c.as_mut_ptr()) };
                counts = Counts::default();
                evaluate(&mut h, scheme.unwrap_or(&SCHEMES[0]), levels, p, &mut counts).expect("host memory for the temporaries");
            });
            (t, counts, c)
        };
        let (plain, _, c_plain) = run(None, 0);
        row("plain CPU dgemm", n, plain, plain, None, None);
        for s in SCHEMES.iter() {
            for levels in 1..=2 {
                // Level 2 on the CPU only below 8192 (thousands of small
                // OpenBLAS calls: seconds per run).
                if n / 4usize.pow(levels as u32) < 128 || (levels == 2 && n >= 8192) {
                    continue;
                }
                let (t, counts, c) = run(Some(s), levels);
                row(&format!("{} L{levels}", s.name), n, t, plain, Some(&counts), Some(max_rel_diff(&c, &c_plain, n)));
            }
        }
        let r = AlphaRates { gemm_gflops: rate, add_gbs: add, min_block: lapack_ai::ops::alpha::settings().min_block.unwrap_or(512) };
        let (s, levels, t0, tl) = lapack_ai::ops::alpha::plan(n, n, n, &r);
        let pick = if levels == 0 { "plain".to_string() } else { format!("{} levels={levels}", s.name) };
        println!("{n:>6} cost model picks: {pick} (predicted {tl:.4} s vs plain {t0:.4} s)");
    }
    header("CPU backend through the exported symbols (LAPACK_AI_MODE=cpu)");
    exported(sizes, "cpu");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let section = args.first().map(String::as_str).unwrap_or("device");
    let sizes: Vec<usize> = args.iter().skip(1).filter_map(|s| s.parse().ok()).collect();
    let info = unsafe { std::ffi::CStr::from_ptr(lapack_ai::abi::capi::lapack_ai_info()) };
    println!("{}", info.to_string_lossy().trim());
    println!("section {section}, sizes {sizes:?}, reps {}", reps());
    match section {
        "device" => device(&sizes),
        "host" => {
            header("from host memory, LAPACK_AI_MODE=gpu: dgemm_ vs dgemm_alpha_ (cost model's choice)");
            exported(&sizes, "gpu")
        }
        "cpu" => cpu(&sizes),
        other => eprintln!("unknown section {other}: device, host or cpu"),
    }
}
