//! DGEMM benchmark: lapack-ai beside its peers, in one run on one machine.
//!
//! Columns (GFLOP/s; the median of several runs, random data):
//!   kernel   our OpenCL kernel, operands already on the device
//!   host     our GPU DGEMM from host memory (pack, pinned staging, kernel,
//!            read back), as `dgemm_` runs it with LAPACK_AI_MODE=gpu
//!   auto     `dgemm_` as a program calls it, LAPACK_AI_MODE=auto (cost model)
//!   cpu      the CPU backend alone: OpenBLAS's dgemm_ on all cores
//!   clblast  CLBlast's CLBlastDgemm, device-resident (if BENCH_CLBLAST names
//!            libclblast.so)
//!   cublas   cuBLAS through PyTorch, device-resident (if python3 has torch
//!            with CUDA; bench/dgemm_torch.py)
//! then ratios: host/cpu, kernel/cublas, kernel/clblast, and auto over the
//! faster of cpu and host.
//!
//! Run: cargo build --release --example dgemm; then
//!   LAPACK_AI_DEVICE=nvidia BENCH_OPENBLAS=/path/libopenblas.so.0 \
//!   BENCH_CLBLAST=/path/libclblast.so.1 target/release/examples/dgemm [max_n]

use lapack_ai::ops::gemm::exports::dgemm_;
use lapack_ai::engine::opencl::gemm::{self, Gemm};
use opencl3::memory::ClMem;
use std::ffi::CString;
use std::os::raw::{c_char, c_int, c_void};
use std::time::Instant;
use lapack_ai::matrix::{MatMut, MatRef};

type DgemmFn = unsafe extern "C" fn(
    *const c_char, *const c_char, *const c_int, *const c_int, *const c_int, *const f64, *const f64, *const c_int,
    *const f64, *const c_int, *const f64, *mut f64, *const c_int, usize, usize,
);
#[allow(clippy::type_complexity)]
type ClblastDgemm = unsafe extern "C" fn(
    c_int, c_int, c_int, usize, usize, usize, f64, *mut c_void, usize, usize, *mut c_void, usize, usize, f64,
    *mut c_void, usize, usize, *mut *mut c_void, *mut *mut c_void,
) -> c_int;

fn symbol(lib: &str, name: &str) -> Option<*mut c_void> {
    let path = CString::new(lib).ok()?;
    // SAFETY: dlopen/dlsym with valid C strings; the handle is kept open.
    unsafe {
        let h = libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL);
        if h.is_null() {
            return None;
        }
        let s = libc::dlsym(h, CString::new(name).ok()?.as_ptr());
        (!s.is_null()).then_some(s)
    }
}

/// Median seconds of `f` over runs that together take about `budget` s.
fn median(budget: f64, mut f: impl FnMut()) -> f64 {
    f();
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 3 || (start.elapsed().as_secs_f64() < budget && times.len() < 20) {
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64());
        if !times.is_empty() && t.elapsed().as_secs_f64() > budget {
            break;
        }
    }
    times.sort_by(|a, b| a.total_cmp(b));
    times[times.len() / 2]
}

fn main() {
    let max_n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(16384);
    let cpu_max: usize = std::env::var("BENCH_CPU_MAX").ok().and_then(|s| s.parse().ok()).unwrap_or(8192);
    let openblas = std::env::var("BENCH_OPENBLAS").unwrap_or_else(|_| "libopenblas.so.0".into());
    let cpu: Option<DgemmFn> = symbol(&openblas, "dgemm_").map(|p| {
        // SAFETY: dgemm_ of a Fortran BLAS.
        unsafe { std::mem::transmute::<*mut c_void, DgemmFn>(p) }
    });
    let clblast: Option<ClblastDgemm> = std::env::var("BENCH_CLBLAST").ok().and_then(|l| symbol(&l, "CLBlastDgemm")).map(|p| {
        // SAFETY: CLBlast's C API CLBlastDgemm (clblast_c.h).
        unsafe { std::mem::transmute::<*mut c_void, ClblastDgemm>(p) }
    });
    let info = unsafe { std::ffi::CStr::from_ptr(lapack_ai::abi::capi::lapack_ai_info()) };
    println!("{}", info.to_string_lossy().trim());
    match lapack_ai::engine::opencl::context::gpu() {
        Ok(g) => println!("gpu kernel: {} ({}x{} tiles)", g.family.name, g.family.tile_m, g.family.tile_n),
        Err(e) => println!("gpu: {e}"),
    }
    println!("cpu peer: {} ({})", openblas, if cpu.is_some() { "loaded" } else { "not found" });
    println!("clblast: {}", if clblast.is_some() { "loaded" } else { "not found (BENCH_CLBLAST)" });

    let mut shapes: Vec<(usize, usize, usize)> = [64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384]
        .iter()
        .filter(|&&n| n <= max_n)
        .map(|&n| (n, n, n))
        .collect();
    for s in [(16384, 16384, 256), (32768, 256, 1024), (16384, 1024, 16384)] {
        if s.0.max(s.1).max(s.2) <= max_n.max(16384) && s.0 * s.2 <= max_n * max_n {
            shapes.push(s);
        }
    }
    // cuBLAS through PyTorch, in one subprocess for all shapes.
    let shape_args: Vec<String> = shapes.iter().map(|(m, n, k)| format!("{m}x{n}x{k}")).collect();
    let script = std::env::var("BENCH_TORCH").unwrap_or_else(|_| {
        let here = "bench/dgemm_torch.py";
        if std::path::Path::new(here).exists() { here.into() } else { concat!(env!("CARGO_MANIFEST_DIR"), "/bench/dgemm_torch.py").into() }
    });
    let torch = std::process::Command::new("python3")
        .arg(&script)
        .args(&shape_args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let cublas = |m: usize, n: usize, k: usize| -> Option<f64> {
        torch.lines().find_map(|l| {
            let mut w = l.split_whitespace();
            (w.next()? == format!("{m}x{n}x{k}")).then(|| w.next()?.parse().ok())?
        })
    };

    println!(
        "\n{:>20} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} | {:>8} {:>8} {:>8} {:>8}",
        "m x n x k", "kernel", "host", "auto", "cpu", "clblast", "cublas", "host/cpu", "ker/cubl", "ker/clb", "auto/best"
    );
    let fmt = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.0}"));
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "-".into(),
    };
    for &(m, n, k) in &shapes {
        let flops = 2.0 * (m * n * k) as f64;
        let gf = |t: f64| flops / t / 1e9;
        let budget = if m * n * k > 1 << 33 { 0.5 } else { 1.0 };
        let a: Vec<f64> = (0..m * k).map(|i| ((i * 7919 % 2003) as f64 - 1001.0) / 1001.0 + 1e-3).collect();
        let b: Vec<f64> = (0..k * n).map(|i| ((i * 104729 % 2003) as f64 - 1001.0) / 1001.0 + 1e-3).collect();
        let mut c = vec![0.25; m * n];
        let g = Gemm::new(false, false, 1.0, MatRef::from_slice(&a, m, k, m), MatRef::from_slice(&b, k, n, k), 0.5);
        let (mi, ni, ki) = (m as c_int, n as c_int, k as c_int);
        let call = |f: DgemmFn, c: &mut Vec<f64>| {
            // SAFETY: the vectors match the shapes; hidden lengths 1.
            unsafe {
                f(c"N".as_ptr(), c"N".as_ptr(), &mi, &ni, &ki, &1.0, a.as_ptr(), &mi, b.as_ptr(), &ki, &0.5, c.as_mut_ptr(), &mi, 1, 1)
            }
        };
        // The CPU first, then a pause: OpenBLAS's threads spin for a while
        // after a call and would take cores from the GPU path's packing.
        let cpu_rate = cpu.filter(|_| m.max(n).max(k) <= cpu_max).map(|f| gf(median(budget, || call(f, &mut c))));
        std::thread::sleep(std::time::Duration::from_millis(300));
        let kernel = gemm::time_device_resident(false, false, m, n, k, 5).ok().map(gf);
        let host = Some(gf(median(budget, || gemm::dgemm(&g, MatMut::from_slice(&mut c, m, n, m)).expect("GPU dgemm"))));
        let auto = Some(gf(median(budget, || call(dgemm_, &mut c))));
        let clb = clblast.and_then(|f| {
            // Operands left on the device by time_device_resident.
            let guard = lapack_ai::engine::opencl::context::gpu().ok()?;
            let bufs: Vec<*mut c_void> =
                guard.buffers.iter().map(|b| b.buffer.as_ref().map_or(std::ptr::null_mut(), |x| x.get() as *mut c_void)).collect();
            let mut queue = guard.queue.get() as *mut c_void;
            let t = median(budget, || {
                let mut ev: *mut c_void = std::ptr::null_mut();
                // SAFETY: device buffers of the right sizes (ld = rows), our
                // queue; the event is waited for and released.
                unsafe {
                    let st = f(102, 111, 111, m, n, k, 1.0, bufs[0], 0, m, bufs[1], 0, k, 0.5, bufs[2], 0, m, &mut queue, &mut ev);
                    assert_eq!(st, 0, "CLBlastDgemm status");
                    let _ = guard.queue.finish();
                    if !ev.is_null() {
                        opencl3::event::Event::new(ev as _);
                    }
                }
            });
            Some(gf(t))
        });
        let cub = cublas(m, n, k);
        let best = match (host, cpu_rate) {
            (Some(h), Some(c)) => Some(h.max(c)),
            (h, None) => h,
            (None, c) => c,
        };
        println!(
            "{:>20} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} | {:>8} {:>8} {:>8} {:>8}",
            format!("{m}x{n}x{k}"),
            fmt(kernel), fmt(host), fmt(auto), fmt(cpu_rate), fmt(clb), fmt(cub),
            ratio(host, cpu_rate), ratio(kernel, cub), ratio(kernel, clb), ratio(auto, best)
        );
    }
}
