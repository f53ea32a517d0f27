//! DGESV benchmark: lapack-ai's GPU LU solve beside its peers, in one run
//! on one machine.
//!
//! For each n (default 1024 ... 16384) and NRHS (default 1 and 1000), A and
//! B uniform in (-1, 1), columns (seconds, median of 3 runs, one run when
//! a run takes over 2 s):
//!   ours      `dgesv_` as a program calls it, from host memory,
//!             LAPACK_AI_MODE=gpu (unless set otherwise): A and B up,
//!             factorization, solve, the LU factors, IPIV and X back (all
//!             that DGESV returns)
//!   getrf_d   our factorization alone, A already on the device
//!   getrs_d   our solve alone (NRHS right-hand sides), on the device
//!   openblas  OpenBLAS's dgesv_ on all cores (BENCH_OPENBLAS; skipped
//!             above BENCH_CPU_MAX, default 16384)
//!   cusolver  torch.linalg.solve (cuSOLVER getrf + getrs) with A and B on
//!             the device (bench/lu_torch.py)
//!   cus_h     the same from host memory: A and B copied up, X back
//!   cus_h_lu  lu_factor + lu_solve from host memory, the LU factors and X
//!             copied back (what DGESV returns)
//! then openblas/ours, ours/cus_h, our rate (2n^3/3 + 2n^2 NRHS flops over
//! `ours`), and our residual ratio ||B - A X||_1 / (||A||_1 ||X||_1 n eps)
//! for the first right-hand side (LAPACK's test threshold is 30).
//!
//! Run: cargo build --release --example lu; then
//!   LAPACK_AI_DEVICE=nvidia BENCH_OPENBLAS=/path/libopenblas.so.0 \
//!   target/release/examples/lu [n1,n2,...] [nrhs1,nrhs2,...]
//! BENCH_ONLY=device: only the device-resident columns (for tuning with
//! LAPACK_AI_LU_LEAF / LAPACK_AI_LU_PANEL_ROWS).

use lapack_ai::ops::lu::exports::dgesv_;
use lapack_ai::engine::opencl::context::gpu;
use lapack_ai::ops::lu::gpu::{self as lu, DeviceLu};
use lapack_ai::engine::opencl::resident::{self, DeviceMatrix};
use opencl3::memory::{Buffer, CL_MEM_READ_WRITE};
use std::ffi::CString;
use std::os::raw::{c_int, c_void};
use std::time::Instant;
use lapack_ai::matrix::MatRef;

type DgesvFn = unsafe extern "C" fn(*const c_int, *const c_int, *mut f64, *const c_int, *mut c_int, *mut f64, *const c_int, *mut c_int);

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

/// Median seconds of `run` (which returns its own time): 3 runs, or 1 when
/// it takes over 2 s.
fn median(mut run: impl FnMut() -> f64) -> f64 {
    let first = run();
    if first > 2.0 {
        return first;
    }
    let mut t = [first, run(), run()];
    t.sort_by(|a, b| a.total_cmp(b));
    t[1]
}

fn random(len: usize, seed: u64) -> Vec<f64> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(16);
    let mut v = vec![0.0; len];
    let chunk = len.div_ceil(threads).max(1);
    std::thread::scope(|s| {
        for (t, part) in v.chunks_mut(chunk).enumerate() {
            s.spawn(move || {
                let mut x = (seed ^ (t as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1;
                for e in part {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    *e = (x >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
                }
            });
        }
    });
    v
}

/// ||b - A x||_1 / (||A||_1 ||x||_1 n eps) for one right-hand side.
fn residual(n: usize, a: &[f64], x: &[f64], b: &[f64]) -> f64 {
    let mut r = b.to_vec();
    let mut anorm: f64 = 0.0;
    for j in 0..n {
        let col = &a[j * n..(j + 1) * n];
        anorm = anorm.max(col.iter().map(|v| v.abs()).sum());
        let xj = x[j];
        for (ri, aij) in r.iter_mut().zip(col) {
            *ri -= aij * xj;
        }
    }
    let rn: f64 = r.iter().map(|v| v.abs()).sum();
    let xn: f64 = x.iter().map(|v| v.abs()).sum();
    rn / (anorm * xn * n as f64 * f64::EPSILON)
}

/// Our factorization and solve on the device, A and B already there:
/// (getrf seconds, getrs seconds).
fn device_times(n: usize, nrhs: usize, a: &[f64], b: &[f64]) -> Result<(f64, f64), String> {
    let mut g = gpu().map_err(|e| e.to_string())?;
    let da = DeviceMatrix::new(&g, n, n).map_err(|e| e.to_string())?;
    let db = DeviceMatrix::new(&g, n, nrhs).map_err(|e| e.to_string())?;
    let scratch = DeviceMatrix::new(&g, n, nrhs).map_err(|e| e.to_string())?;
    // SAFETY: no host pointer; the driver allocates.
    let ipiv = unsafe { Buffer::<i32>::create(&g.context, CL_MEM_READ_WRITE, n, std::ptr::null_mut()) }.map_err(|e| e.to_string())?;
    let info = unsafe { Buffer::<i32>::create(&g.context, CL_MEM_READ_WRITE, 1, std::ptr::null_mut()) }.map_err(|e| e.to_string())?;
    let mut pivots = vec![0i32; n];
    let getrf = median(|| {
        // SAFETY: host arrays of the matrices' sizes.
        unsafe {
            resident::write(&mut g, da.view(), MatRef::from_slice(a, n, n, n)).unwrap();
            resident::finish(&g).unwrap();
            let t = Instant::now();
            let mut lu = DeviceLu::new(&mut g).unwrap();
            lu.getrf(n, n, da.view(), &ipiv, &info).unwrap();
            resident::finish(lu.gpu()).unwrap();
            t.elapsed().as_secs_f64()
        }
    });
    // SAFETY: the pivots buffer holds n ints.
    unsafe {
        let ev = opencl3::command_queue::enqueue_read_buffer(
            g.queue.get(), opencl3::memory::ClMem::get(&ipiv), 1, 0, n * 4, pivots.as_mut_ptr() as *mut c_void, 0, std::ptr::null(),
        )
        .map_err(|e| e.to_string())?;
        let _ = opencl3::event::release_event(ev);
    }
    let perm = lu::permutation(&pivots, n).ok_or("bad pivots")?;
    let getrs = median(|| {
        // SAFETY: as above.
        unsafe {
            resident::write(&mut g, db.view(), MatRef::from_slice(b, n, nrhs, n)).unwrap();
            resident::finish(&g).unwrap();
            let t = Instant::now();
            let mut lu = DeviceLu::new(&mut g).unwrap();
            lu.getrs(false, n, nrhs, da.view(), &perm, db.view(), scratch.view()).unwrap();
            resident::finish(lu.gpu()).unwrap();
            t.elapsed().as_secs_f64()
        }
    });
    Ok((getrf, getrs))
}

fn list(arg: Option<String>, default: &[usize]) -> Vec<usize> {
    arg.map(|s| s.split(',').filter_map(|v| v.trim().parse().ok()).collect()).unwrap_or_else(|| default.to_vec())
}

fn main() {
    let sizes = list(std::env::args().nth(1), &[1024, 2048, 4096, 8192, 16384]);
    let nrhss = list(std::env::args().nth(2), &[1, 1000]);
    let cpu_max: usize = std::env::var("BENCH_CPU_MAX").ok().and_then(|s| s.parse().ok()).unwrap_or(16384);
    let device_only = std::env::var("BENCH_ONLY").as_deref() == Ok("device");
    if std::env::var_os("LAPACK_AI_MODE").is_none() {
        std::env::set_var("LAPACK_AI_MODE", "gpu");
    }
    let openblas = std::env::var("BENCH_OPENBLAS").unwrap_or_else(|_| "libopenblas.so.0".into());
    let cpu: Option<DgesvFn> = symbol(&openblas, "dgesv_").map(|p| {
        // SAFETY: dgesv_ of a Fortran LAPACK.
        unsafe { std::mem::transmute::<*mut c_void, DgesvFn>(p) }
    });
    let info = unsafe { std::ffi::CStr::from_ptr(lapack_ai::abi::capi::lapack_ai_info()) };
    println!("{}", info.to_string_lossy().trim());
    println!("cpu peer: {openblas} ({})", if cpu.is_some() { "loaded" } else { "not found" });
    println!(
        "LAPACK_AI_LU_LEAF={} LAPACK_AI_LU_PANEL_ROWS={}",
        std::env::var("LAPACK_AI_LU_LEAF").unwrap_or_else(|_| "default".into()),
        std::env::var("LAPACK_AI_LU_PANEL_ROWS").unwrap_or_else(|_| "default".into())
    );

    // Warm-up: builds the kernels (NVIDIA's compiler, or the disk cache)
    // outside the timed runs.
    {
        let n = 300;
        let (mut a, mut b) = (random(n * n, 1), random(n, 2));
        let (mut ipiv, mut info) = (vec![0i32; n], 0);
        // SAFETY: arrays sized for the arguments.
        unsafe { dgesv_(&(n as c_int), &1, a.as_mut_ptr(), &(n as c_int), ipiv.as_mut_ptr(), b.as_mut_ptr(), &(n as c_int), &mut info) };
        let _ = device_times(2000, 1, &random(2000 * 2000, 3), &random(2000, 4));
    }
    let cases: Vec<(usize, usize)> = sizes.iter().flat_map(|&n| nrhss.iter().map(move |&r| (n, r))).collect();
    let torch = if device_only {
        String::new()
    } else {
        let script = std::env::var("BENCH_TORCH").unwrap_or_else(|_| {
            let here = "bench/lu_torch.py";
            if std::path::Path::new(here).exists() { here.into() } else { concat!(env!("CARGO_MANIFEST_DIR"), "/bench/lu_torch.py").into() }
        });
        let args: Vec<String> = cases.iter().map(|(n, r)| format!("{n}:{r}")).collect();
        std::process::Command::new("python3")
            .arg(&script)
            .args(&args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    };
    for l in torch.lines().filter(|l| l.starts_with('#')) {
        println!("{l}");
    }
    let cus = |n: usize, r: usize| -> Option<Vec<f64>> {
        torch.lines().find_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w.len() == 6 && w[0] == n.to_string() && w[1] == r.to_string()).then(|| w[2..].iter().filter_map(|v| v.parse().ok()).collect())
        })
    };
    let cell = |v: Option<f64>| v.map_or("-".to_string(), |t| format!("{t:.4}"));
    println!(
        "\n{:>6} {:>5} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} | {:>8} {:>8} {:>8} {:>7} {:>7}",
        "n", "nrhs", "ours", "getrf_d", "getrs_d", "openblas", "cusolver", "cus_h", "cus_h_lu", "blas/us", "us/cus_h", "GFLOP/s", "resid", "cus_res"
    );
    for &(n, nrhs) in &cases {
        let a = random(n * n, 17 + n as u64);
        let b = random(n * nrhs, 29 + n as u64);
        let (getrf_d, getrs_d) = match device_times(n, nrhs, &a, &b) {
            Ok((f, s)) => (Some(f), Some(s)),
            Err(e) => {
                println!("# n={n}: device-resident run failed: {e}");
                (None, None)
            }
        };
        let mut ours = None;
        let mut resid = None;
        let mut openblas_t = None;
        if !device_only {
            let (mut wa, mut wb) = (a.clone(), b.clone());
            let mut ipiv = vec![0i32; n];
            let (ni, ri) = (n as c_int, nrhs as c_int);
            let mut info = 0;
            ours = Some(median(|| {
                wa.copy_from_slice(&a);
                wb.copy_from_slice(&b);
                let t = Instant::now();
                // SAFETY: arrays sized for the arguments.
                unsafe { dgesv_(&ni, &ri, wa.as_mut_ptr(), &ni, ipiv.as_mut_ptr(), wb.as_mut_ptr(), &ni, &mut info) };
                t.elapsed().as_secs_f64()
            }));
            resid = Some(if info == 0 { residual(n, &a, &wb[..n], &b[..n]) } else { f64::INFINITY });
            if let (Some(f), true) = (cpu, n <= cpu_max) {
                openblas_t = Some(median(|| {
                    wa.copy_from_slice(&a);
                    wb.copy_from_slice(&b);
                    let t = Instant::now();
                    // SAFETY: as above.
                    unsafe { f(&ni, &ri, wa.as_mut_ptr(), &ni, ipiv.as_mut_ptr(), wb.as_mut_ptr(), &ni, &mut info) };
                    t.elapsed().as_secs_f64()
                }));
            }
        }
        let c = cus(n, nrhs);
        let flops = 2.0 / 3.0 * (n as f64).powi(3) + 2.0 * (n as f64).powi(2) * nrhs as f64;
        let ratio = |x: Option<f64>, y: Option<f64>| match (x, y) {
            (Some(x), Some(y)) => format!("{:.2}", x / y),
            _ => "-".into(),
        };
        let c_at = |i: usize| c.as_ref().and_then(|v| v.get(i).copied());
        println!(
            "{:>6} {:>5} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} | {:>8} {:>8} {:>8} {:>7} {:>7}",
            n,
            nrhs,
            cell(ours),
            cell(getrf_d),
            cell(getrs_d),
            cell(openblas_t),
            cell(c_at(0)),
            cell(c_at(1)),
            cell(c_at(2)),
            ratio(openblas_t, ours),
            ratio(ours, c_at(1)),
            ours.map_or("-".into(), |t| format!("{:.0}", flops / t / 1e9)),
            resid.map_or("-".into(), |r| format!("{r:.2}")),
            c_at(3).map_or("-".into(), |r| format!("{r:.2}")),
        );
    }
}
