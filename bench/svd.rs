//! SVD benchmark: lapack-ai's DGESVDOCL beside its peers, in one run on one
//! machine.
//!
//! For each shape (square 1024, 2048, 4096, 8192; tall 16384x1024) and each
//! job, N (values only: JOBU = JOBVT = 'N', JOBZ = 'N', torch.linalg.svdvals)
//! and A (full vectors: JOBU = JOBVT = 'A', JOBZ = 'A', full_matrices=True),
//! columns (seconds; one run when it takes over a second, else the median of
//! a few; random non-zero data from a fixed seed):
//!   ocl       `dgesvdocl_` as a program calls it, from host memory, the
//!             caller's workspace (queried first); whatever it runs on
//!   dgesvd    OpenBLAS's own dgesvd_ on all cores (BENCH_OPENBLAS)
//!   dgesdd    OpenBLAS's own dgesdd_ on all cores
//!   gesvd     cuSOLVER gesvd through PyTorch, A already on the GPU
//!   gesvd_h   the same from host memory: copy of A to the GPU and of the
//!             results (S; U and V^T for A) back included
//!   gesvdj    cuSOLVER gesvdj (Jacobi) through PyTorch, A on the GPU
//!   gesvdj_h  the same from host memory
//! (the cuSOLVER columns come from bench/svd_torch.py, one subprocess for
//! all shapes, if python3 has torch with CUDA), then the ratios
//! dgesdd/ocl (our speed-up over OpenBLAS's dgesdd) and gesvd_h/ocl (over
//! cuSOLVER's gesvd, both from host memory), and maxerr: the largest
//! relative error of the row's singular values against OpenBLAS dgesdd's,
//! max |s_i - r_i| / r_1. A `!` follows a time whose values are off by
//! 1e-10 * n or more (n: the columns), or whose INFO was not 0.
//!
//! The CPU is slow here (OpenBLAS dgesvd with full vectors: 72 to 114 s at
//! n = 2048 on the H100 machine's 16 cores), so the CPU columns run only
//! for min(m, n) <= BENCH_SVD_CPU_MAX: `F` (both jobs) or `F,N` (full
//! vectors, values only); default 2048,8192; and OpenBLAS dgesvd with full
//! vectors only up to BENCH_SVD_GESVD_FULL_MAX (default: F). Skipped: `-`.
//! The ocl column always runs.
//!
//! Run: cargo build --release --example svd; then
//!   BENCH_OPENBLAS=/path/libopenblas.so.0 target/release/examples/svd [max_n]
//! max_n limits the sweep: squares up to max_n (below 1024: 256 and 512 up
//! to max_n), and the tall 16384x1024 from max_n = 8192, else
//! (2 max_n)x(max_n / 8).

use lapack_ai::ops::svd::exports::dgesvdocl_;
use std::collections::HashMap;
use std::ffi::CString;
use std::io::Write;
use std::os::raw::{c_char, c_int, c_void};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

type DgesvdFn = unsafe extern "C" fn(
    *const c_char, *const c_char, *const c_int, *const c_int, *mut f64, *const c_int, *mut f64, *mut f64,
    *const c_int, *mut f64, *const c_int, *mut f64, *const c_int, *mut c_int, usize, usize,
);
type DgesddFn = unsafe extern "C" fn(
    *const c_char, *const c_int, *const c_int, *mut f64, *const c_int, *mut f64, *mut f64, *const c_int,
    *mut f64, *const c_int, *mut f64, *const c_int, *mut c_int, *mut c_int, usize,
);

#[derive(Clone, Copy)]
enum Svd {
    Gesvd(DgesvdFn),
    Gesdd(DgesddFn),
}

/// One method's result on one matrix.
struct Timed {
    secs: f64,
    s: Vec<f64>,
    info: c_int,
}

/// cuSOLVER's results: (shape "MxN", job, driver) -> (device seconds, host
/// seconds, singular values).
type Cusolver = HashMap<(String, String, String), (f64, f64, Vec<f64>)>;

/// dlopen `lib` privately (the handle is kept open) and look up `names`.
fn symbols(lib: &str, names: &[&str]) -> Vec<Option<*mut c_void>> {
    let Ok(path) = CString::new(lib) else { return names.iter().map(|_| None).collect() };
    // SAFETY: dlopen/dlsym with valid C strings.
    let h = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    names
        .iter()
        .map(|name| {
            if h.is_null() {
                return None;
            }
            let name = CString::new(*name).ok()?;
            // SAFETY: a live handle and a valid C string.
            let s = unsafe { libc::dlsym(h, name.as_ptr()) };
            (!s.is_null()).then_some(s)
        })
        .collect()
}

/// The m-by-n test matrix, column-major: uniform in (-1, 1), never zero
/// (splitmix64 of a fixed seed; an odd multiple of 2^-53, minus 1).
fn matrix(m: usize, n: usize) -> Vec<f64> {
    let mut state: u64 = 0x5eed_5fd0_u64 ^ ((m as u64) << 32) ^ n as u64;
    (0..m * n)
        .map(|_| {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            ((2 * (z >> 11) + 1) as f64) / (1u64 << 53) as f64 - 1.0
        })
        .collect()
}

/// Times `f` on `a` (m-by-n, copied before each run, outside the timing)
/// with job `job` (b'N' or b'A'): one run if it takes over a second, else
/// the median of 3 to 10 more runs (about 2 s). The workspace is queried
/// first; all arrays are allocated and touched before the timing.
fn measure(f: Svd, job: u8, m: usize, n: usize, a: &[f64]) -> Timed {
    let k = m.min(n);
    let (mi, ni) = (m as c_int, n as c_int);
    let full = job == b'A';
    let (ldu, ldvt) = if full { (m, n) } else { (1, 1) };
    let (ldu_i, ldvt_i) = (ldu as c_int, ldvt as c_int);
    let mut s = vec![-1.0; k];
    let mut u = vec![-1.0; if full { m * m } else { 1 }];
    let mut vt = vec![-1.0; if full { n * n } else { 1 }];
    let mut iwork = vec![0 as c_int; 8 * k.max(1)];
    let mut aw = a.to_vec();
    let jc = job as c_char;
    let mut info: c_int = 0;
    let mut call = |aw: &mut [f64], s: &mut [f64], work: &mut [f64], lwork: c_int, info: &mut c_int| {
        // SAFETY: the arrays match the shape and job; LWORK is WORK's length
        // (or -1: query); hidden CHARACTER lengths 1.
        unsafe {
            match f {
                Svd::Gesvd(g) => g(
                    &jc, &jc, &mi, &ni, aw.as_mut_ptr(), &mi, s.as_mut_ptr(), u.as_mut_ptr(), &ldu_i,
                    vt.as_mut_ptr(), &ldvt_i, work.as_mut_ptr(), &lwork, info, 1, 1,
                ),
                Svd::Gesdd(g) => g(
                    &jc, &mi, &ni, aw.as_mut_ptr(), &mi, s.as_mut_ptr(), u.as_mut_ptr(), &ldu_i, vt.as_mut_ptr(),
                    &ldvt_i, work.as_mut_ptr(), &lwork, iwork.as_mut_ptr(), info, 1,
                ),
            }
        }
    };
    let mut query = [0.0];
    call(&mut aw, &mut s, &mut query, -1, &mut info);
    let lwork = (query[0] as usize).max(1);
    let mut work = vec![-1.0; lwork];
    let mut once = |aw: &mut Vec<f64>, s: &mut Vec<f64>, info: &mut c_int| {
        aw.copy_from_slice(a);
        let t = Instant::now();
        call(aw, s, &mut work, lwork as c_int, info);
        t.elapsed().as_secs_f64()
    };
    let first = once(&mut aw, &mut s, &mut info);
    if first > 1.0 || info != 0 {
        return Timed { secs: first, s, info };
    }
    let mut times = Vec::new();
    let mut spent = 0.0;
    while times.len() < 3 || (spent < 2.0 && times.len() < 10) {
        let t = once(&mut aw, &mut s, &mut info);
        times.push(t);
        spent += t;
    }
    times.sort_by(|a, b| a.total_cmp(b));
    Timed { secs: times[times.len() / 2], s, info }
}

/// Seconds, with 4 significant digits down to 0.1 ms.
fn secs(t: f64) -> String {
    if t < 0.1 { format!("{t:.4}") } else { format!("{t:.3}") }
}

/// max |s_i - r_i| / r_1; infinite if the lengths differ.
fn rel_err(s: &[f64], r: &[f64]) -> f64 {
    if s.len() != r.len() || r.is_empty() {
        return f64::INFINITY;
    }
    // NaN compares as infinitely far (f64::max would drop it).
    let e = s.iter().zip(r).map(|(x, y)| (x - y).abs()).fold(0.0, |e, d| if d.is_nan() { f64::INFINITY } else { e.max(d) });
    e / r[0]
}

fn main() {
    let wall = Instant::now();
    let max_n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(8192);
    let caps: Vec<usize> = std::env::var("BENCH_SVD_CPU_MAX")
        .ok()
        .map(|v| v.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_default();
    let (cap_full, cap_values) = match caps[..] {
        [f] => (f, f),
        [f, v, ..] => (f, v),
        [] => (2048, 8192),
    };
    let cap_gesvd_full: usize =
        std::env::var("BENCH_SVD_GESVD_FULL_MAX").ok().and_then(|v| v.trim().parse().ok()).unwrap_or(cap_full);
    // OpenBLAS first: loaded before lapack-ai resolves its CPU LAPACK, it is
    // the "next definition in the process" that DGESVDOCL runs on the CPU.
    let openblas = std::env::var("BENCH_OPENBLAS").unwrap_or_else(|_| "libopenblas.so.0".into());
    let found = symbols(&openblas, &["dgesvd_", "dgesdd_"]);
    let gesvd = found[0].map(|p| {
        // SAFETY: dgesvd_ of a Fortran LAPACK (LP64).
        unsafe { std::mem::transmute::<*mut c_void, DgesvdFn>(p) }
    });
    let gesdd = found[1].map(|p| {
        // SAFETY: dgesdd_ of a Fortran LAPACK (LP64).
        unsafe { std::mem::transmute::<*mut c_void, DgesddFn>(p) }
    });
    // SAFETY: lapack_ai_info returns a static NUL-terminated string.
    let info = unsafe { std::ffi::CStr::from_ptr(lapack_ai::abi::capi::lapack_ai_info()) };
    println!("{}", info.to_string_lossy().trim());
    println!(
        "cpu peer: {} (dgesvd_ {}, dgesdd_ {})",
        openblas,
        if gesvd.is_some() { "loaded" } else { "not found" },
        if gesdd.is_some() { "loaded" } else { "not found" }
    );
    println!("cpu columns for min(m,n) <= {cap_full} (full vectors), {cap_values} (values only): BENCH_SVD_CPU_MAX");

    let mut shapes: Vec<(usize, usize)> = [256, 512, 1024, 2048, 4096, 8192]
        .iter()
        .filter(|&&n| n <= max_n && (n >= 1024 || max_n < 1024))
        .map(|&n| (n, n))
        .collect();
    shapes.push(if max_n >= 8192 { (16384, 1024) } else { (2 * max_n, (max_n / 8).max(1)) });
    let matrices: Arc<Vec<Vec<f64>>> = Arc::new(shapes.iter().map(|&(m, n)| matrix(m, n)).collect());

    // cuSOLVER through PyTorch, one subprocess for all shapes, before the
    // CPU runs (nothing else runs meanwhile); the matrices go through stdin.
    let script = std::env::var("BENCH_TORCH").unwrap_or_else(|_| {
        let here = "bench/svd_torch.py";
        if std::path::Path::new(here).exists() { here.into() } else { concat!(env!("CARGO_MANIFEST_DIR"), "/bench/svd_torch.py").into() }
    });
    let shape_args: Vec<String> = shapes.iter().map(|(m, n)| format!("{m}x{n}")).collect();
    println!("cusolver: {script} ...");
    let _ = std::io::stdout().flush();
    let torch = Command::new("python3")
        .arg(&script)
        .args(&shape_args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .ok()
        .and_then(|mut child| {
            let mut stdin = child.stdin.take()?;
            let mats = Arc::clone(&matrices);
            // A writer thread: the child writes results while it reads.
            let writer = std::thread::spawn(move || {
                for a in mats.iter() {
                    // SAFETY: plain f64 data viewed as its bytes.
                    let bytes = unsafe { std::slice::from_raw_parts(a.as_ptr() as *const u8, a.len() * 8) };
                    if stdin.write_all(bytes).is_err() {
                        break; // the script stopped reading: no torch or no CUDA
                    }
                }
            });
            let out = child.wait_with_output().ok()?;
            let _ = writer.join();
            Some(String::from_utf8_lossy(&out.stdout).into_owned())
        })
        .unwrap_or_default();
    let mut cusolver: Cusolver = HashMap::new();
    for line in torch.lines() {
        if let Some(note) = line.strip_prefix('#') {
            println!("cusolver:{note}");
            continue;
        }
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() < 5 {
            continue;
        }
        let (Ok(dev), Ok(host)) = (w[3].parse(), w[4].parse()) else { continue };
        let s: Vec<f64> = w[5..].iter().filter_map(|x| x.parse().ok()).collect();
        cusolver.insert((w[0].into(), w[1].into(), w[2].into()), (dev, host, s));
    }
    if cusolver.is_empty() {
        println!("cusolver: no results (needs python3 with torch and CUDA)");
    }

    let names = ["ocl", "dgesvd", "dgesdd", "gesvd", "gesvd_h", "gesvdj", "gesvdj_h"];
    let head: String = names.iter().map(|h| format!("{h:>9} ")).collect();
    println!("\n{:>12} {:>3} {head} | {:>9} {:>9} {:>8}", "m x n", "job", "sdd/ocl", "gesvd/ocl", "maxerr");
    let ocl: DgesvdFn = dgesvdocl_;
    // First calls start OpenBLAS's threads and lapack-ai's routing, and
    // build the GPU SVD's kernels (256 takes its GPU path).
    let warm = matrix(256, 256);
    for job in [b'N', b'A'] {
        measure(Svd::Gesvd(ocl), job, 256, 256, &warm);
        if let Some(f) = gesvd {
            measure(Svd::Gesvd(f), job, 256, 256, &warm);
        }
        if let Some(f) = gesdd {
            measure(Svd::Gesdd(f), job, 256, 256, &warm);
        }
    }
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "-".into(),
    };
    for (&(m, n), a) in shapes.iter().zip(matrices.iter()) {
        let shape = format!("{m}x{n}");
        let mut reference: Option<Vec<f64>> = None;
        for job in [b'N', b'A'] {
            let jobs = (job as char).to_string();
            let cap = if job == b'A' { cap_full } else { cap_values };
            let on_cpu = m.min(n) <= cap;
            let run = |f: Option<Svd>| f.filter(|_| on_cpu).map(|f| measure(f, job, m, n, a));
            let ours = Some(measure(Svd::Gesvd(ocl), job, m, n, a));
            // OpenBLAS dgesvd with vectors applies its rotations one at a
            // time (104 s at 2048 on the H100 machine): capped separately.
            let sv = gesvd.filter(|_| job == b'N' || m.min(n) <= cap_gesvd_full).and_then(|f| run(Some(Svd::Gesvd(f))));
            let sdd = run(gesdd.map(Svd::Gesdd));
            if reference.is_none() {
                reference = match &sdd {
                    Some(t) if t.info == 0 => Some(t.s.clone()),
                    // dgesdd skipped on this shape: its values, untimed.
                    _ => gesdd.filter(|_| job == b'N').map(|f| measure(Svd::Gesdd(f), b'N', m, n, a).s),
                };
            }
            let tol = 1e-10 * n as f64;
            let mut maxerr: Option<f64> = None;
            let mut check = |s: &[f64], info: c_int| -> &'static str {
                let Some(r) = &reference else { return " " };
                let e = rel_err(s, r);
                maxerr = Some(maxerr.map_or(e, |x: f64| x.max(e)));
                if info != 0 || e >= tol { "!" } else { " " }
            };
            let mut cell = |t: &Option<Timed>| match t {
                Some(t) => format!("{:>9}{}", secs(t.secs), check(&t.s, t.info)),
                None => format!("{:>9} ", "-"),
            };
            let (c_ours, c_sv, c_sdd) = (cell(&ours), cell(&sv), cell(&sdd));
            let gpu = |driver: &str| cusolver.get(&(shape.clone(), jobs.clone(), driver.to_string()));
            let mut gpu_cells = |driver: &str| match gpu(driver) {
                Some((dev, host, s)) => {
                    let mark = check(s, 0);
                    (format!("{:>9}{mark}", secs(*dev)), format!("{:>9}{mark}", secs(*host)))
                }
                None => (format!("{:>9} ", "-"), format!("{:>9} ", "-")),
            };
            let (g_dev, g_host) = gpu_cells("gesvd");
            let (j_dev, j_host) = gpu_cells("gesvdj");
            let t_ours = ours.as_ref().map(|t| t.secs);
            println!(
                "{:>12} {:>3} {}{}{}{}{}{}{} | {:>9} {:>9} {:>8}",
                shape,
                jobs,
                c_ours,
                c_sv,
                c_sdd,
                g_dev,
                g_host,
                j_dev,
                j_host,
                ratio(sdd.as_ref().map(|t| t.secs), t_ours),
                ratio(gpu("gesvd").map(|g| g.1), t_ours),
                maxerr.map_or("-".into(), |e| format!("{e:.1e}"))
            );
            let _ = std::io::stdout().flush();
        }
    }
    println!(
        "\n! : singular values off from OpenBLAS dgesdd's by >= 1e-10 n (relative to the largest), or INFO != 0"
    );
    println!("total {:.0} s", wall.elapsed().as_secs_f64());
}
