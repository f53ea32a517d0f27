//! The counters behind the profile, the monitor and `lapack_ai_stats_json`
//! are exact for a scripted sequence of calls through the exported
//! symbols, and the monitor serves them over loopback.
//!
//! With LAPACK_AI_TEST_OPENCL (tools/test.sh sets it to pocl) DGEMM runs
//! on that OpenCL device (LAPACK_AI_MODE=gpu), so the bytes moved each way
//! and a fallback (LAPACK_AI_FAULT_INJECT) are counted too; without it
//! every call runs on the CPU.
//!
//! One #[test]: the configuration is read once per process and the
//! counters are the process's.

use lapack_ai::ops::gemm::exports::{cblas_dgemm, dgemm_};
use lapack_ai::abi::capi::lapack_ai_stats_json;
use lapack_ai::ops::lu::exports::dgesv_;
use lapack_ai::ops::svd::exports::dgesvd_;
use lapack_ai::routines::Routine;
use lapack_ai::runtime::{monitor, stats};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::raw::c_char;
use std::time::{Duration, Instant};

fn gemm(trans: &[u8; 2], m: i32, n: i32, k: i32, beta: f64) {
    let (ar, ac) = if trans[0] == b'N' { (m, k) } else { (k, m) };
    let (br, bc) = if trans[1] == b'N' { (k, n) } else { (n, k) };
    let a: Vec<f64> = (0..(ar.max(1) * ac.max(1))).map(|i| (i % 7) as f64 - 3.0).collect();
    let b: Vec<f64> = (0..(br.max(1) * bc.max(1))).map(|i| (i % 5) as f64 - 2.0).collect();
    let mut c = vec![1.0; (m.max(1) * n.max(1)) as usize];
    let (lda, ldb, ldc) = (ar.max(1), br.max(1), m.max(1));
    let (ta, tb) = (trans[0] as c_char, trans[1] as c_char);
    // SAFETY: arrays sized for the arguments.
    unsafe {
        dgemm_(&ta, &tb, &m, &n, &k, &1.5, a.as_ptr(), &lda, b.as_ptr(), &ldb, &beta, c.as_mut_ptr(), &ldc, 1, 1)
    };
}

fn http(addr: std::net::SocketAddr, request: &str) -> (u16, String) {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect to the monitor");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read the response");
    let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = out.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    http(addr, &format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n"))
}

fn json_of(buf_len: usize) -> (usize, Vec<u8>) {
    let mut buf = vec![0x55u8; buf_len + 4];
    // SAFETY: buf holds buf_len (+4 guard) bytes.
    let n = unsafe { lapack_ai_stats_json(buf.as_mut_ptr() as *mut c_char, buf_len) };
    (n, buf)
}

fn row(r: Routine) -> stats::RoutineStats {
    stats::snapshot().0.into_iter().find(|s| s.routine == Some(r)).unwrap()
}

#[test]
fn counters_are_exact_and_served_over_loopback() {
    let gpu = std::env::var("LAPACK_AI_TEST_OPENCL").ok();
    match &gpu {
        Some(device) => {
            std::env::set_var("LAPACK_AI_DEVICE", device);
            std::env::set_var("LAPACK_AI_MODE", "gpu");
        }
        None => {
            eprintln!("LAPACK_AI_TEST_OPENCL not set (tools/test.sh sets it to pocl): counting CPU calls only");
            std::env::set_var("LAPACK_AI_MODE", "cpu");
        }
    }
    std::env::set_var("LAPACK_AI_MONITOR", "127.0.0.1:0");
    lapack_ai::runtime::config::set_hooks(|h| h.faults.clear());

    // The script. DGEMM (m, n, k, beta): on the GPU, A and B go up once,
    // C goes up when beta != 0 and comes back once.
    let products: [(&[u8; 2], i32, i32, i32, f64); 4] =
        [(b"NN", 7, 5, 3, 0.0), (b"TN", 4, 9, 6, 2.0), (b"NT", 1, 1, 1, 1.0), (b"TT", 13, 2, 11, 0.0)];
    for &(t, m, n, k, beta) in &products {
        gemm(t, m, n, k, beta);
    }
    gemm(b"NN", 0, 5, 3, 1.0); // quick return: not routed, not counted
    gemm(b"XN", 3, 3, 3, 1.0); // illegal TRANSA: XERBLA, not counted
    lapack_ai::runtime::config::set_hooks(|h| h.faults = lapack_ai::runtime::config::parse_faults("dgemm"));
    gemm(b"NN", 6, 6, 6, 1.0); // on the GPU path: fails before starting, finishes on the CPU
    lapack_ai::runtime::config::set_hooks(|h| h.faults.clear());
    let (a, b) = (vec![1.0; 8], vec![2.0; 12]);
    let mut c = vec![0.0; 6];
    // SAFETY: row-major 2x4 A (lda 4), 4x3 B (ldb 3), 2x3 C (ldc 3).
    unsafe { cblas_dgemm(101, 111, 111, 2, 3, 4, 1.0, a.as_ptr(), 4, b.as_ptr(), 3, 0.0, c.as_mut_ptr(), 3) };
    let (n, nrhs) = (3, 1);
    let mut sys = vec![4.0, 1.0, 0.0, 1.0, 4.0, 1.0, 0.0, 1.0, 4.0];
    let mut rhs = vec![1.0; 3];
    let (mut ipiv, mut info) = (vec![0; 3], -7);
    // SAFETY: a 3x3 system, one right-hand side.
    unsafe { dgesv_(&n, &nrhs, sys.as_mut_ptr(), &n, ipiv.as_mut_ptr(), rhs.as_mut_ptr(), &n, &mut info) };
    assert_eq!(info, 0);
    // DGESVD of a 6x4, values only; on the GPU (tiny blocks, so that the
    // reduction runs its device steps) it moves at least A up and a panel
    // back, through the device-resident copies (gpu/resident.rs).
    lapack_ai::runtime::config::set_hooks(|h| h.svd_blocks = Some((2, 2, 2)));
    let (sm, sn) = (6, 4);
    let mut sv = vec![0.0; 4];
    let mut work = vec![0.0; 64];
    let mut a64: Vec<f64> = (0..24).map(|i| ((i * 7) % 11) as f64 - 5.0).collect();
    let (jn, lw, one) = (b'N' as c_char, 64, 1);
    // SAFETY: 6x4 (lda 6), values only, LWORK 64.
    unsafe {
        dgesvd_(&jn, &jn, &sm, &sn, a64.as_mut_ptr(), &sm, sv.as_mut_ptr(), work.as_mut_ptr(), &one,
            work.as_mut_ptr(), &one, work.as_mut_ptr(), &lw, &mut info, 1, 1)
    };
    lapack_ai::runtime::config::set_hooks(|h| h.svd_blocks = None);
    assert_eq!(info, 0);

    // What the script must have counted.
    let flops: u64 = products.iter().map(|&(_, m, n, k, _)| 2 * (m * n * k) as u64).sum();
    let h2d: u64 = products.iter().map(|&(_, m, n, k, beta)| 8 * (m * k + k * n + if beta != 0.0 { m * n } else { 0 }) as u64).sum();
    let d2h: u64 = products.iter().map(|&(_, m, n, _, _)| 8 * (m * n) as u64).sum();
    let d = row(Routine::Dgemm);
    assert_eq!(d.calls(), 5, "{d:?}");
    if gpu.is_some() {
        assert_eq!((d.gpu_calls, d.cpu_calls, d.fallbacks), (4, 1, 1), "{d:?}");
        assert_eq!((d.gpu_flops, d.cpu_flops), (flops, 2 * 216), "{d:?}");
        assert_eq!((d.h2d_bytes, d.d2h_bytes), (h2d, d2h), "{d:?}");
        assert!(d.gpu_nanos > 0 && d.cpu_nanos > 0, "{d:?}");
    } else {
        assert_eq!((d.gpu_calls, d.cpu_calls, d.fallbacks), (0, 5, 0), "{d:?}");
        assert_eq!((d.cpu_flops, d.h2d_bytes, d.d2h_bytes), (flops + 432, 0, 0), "{d:?}");
    }
    let cb = row(Routine::CblasDgemm);
    assert_eq!((cb.calls(), cb.flops()), (1, 2 * 2 * 3 * 4), "{cb:?}");
    assert_eq!((cb.gpu_calls, cb.h2d_bytes), if gpu.is_some() { (1, 8 * (2 * 4 + 4 * 3)) } else { (0, 0) });
    let sv_row = row(Routine::Dgesvd);
    assert_eq!(sv_row.calls(), 1, "{sv_row:?}");
    if gpu.is_some() {
        assert_eq!(sv_row.gpu_calls, 1, "{sv_row:?}");
        assert!(sv_row.h2d_bytes >= 8 * 24 && sv_row.d2h_bytes > 0, "{sv_row:?}");
    } else {
        assert_eq!((sv_row.cpu_calls, sv_row.h2d_bytes, sv_row.d2h_bytes), (1, 0, 0), "{sv_row:?}");
    }
    let lu = row(Routine::Dgesv);
    assert_eq!((lu.calls(), lu.gpu_calls), (1, if gpu.is_some() { 1 } else { 0 }), "{lu:?}");
    if gpu.is_some() {
        // A and B go up, the factors and X come back (gpu/lu.rs).
        assert!(lu.h2d_bytes >= 8 * 12 && lu.d2h_bytes >= 8 * 12, "{lu:?}");
    }
    assert_eq!(row(Routine::Dgesdd).calls() + row(Routine::Dgesvdocl).calls(), 0);

    // lapack_ai_stats_json: snprintf's contract.
    // SAFETY: a null buffer is allowed.
    let full = unsafe { lapack_ai_stats_json(std::ptr::null_mut(), 100) };
    assert!(full > 500);
    let (n0, untouched) = json_of(0);
    assert!(n0 >= full && untouched.iter().all(|&b| b == 0x55), "len 0 writes nothing");
    let (n1, one_byte) = json_of(1);
    assert!(n1 >= full && one_byte[0] == 0 && one_byte[1] == 0x55);
    let (n10, ten) = json_of(10);
    assert!(n10 >= full);
    assert_eq!(&ten[..11], b"{\"library\0\x55");
    let (n, whole) = json_of(full + 256);
    let text = std::str::from_utf8(&whole[..n]).unwrap();
    assert_eq!(whole[n], 0);
    let gpu_calls = if gpu.is_some() { 4 } else { 0 };
    let dgemm_json = format!(
        "{{\"routine\":\"dgemm_\",\"calls\":5,\"gpu_calls\":{gpu_calls},\"cpu_calls\":{},\"fallbacks\":{},",
        5 - gpu_calls,
        if gpu.is_some() { 1 } else { 0 }
    );
    assert!(text.contains(&dgemm_json), "{dgemm_json} not in {text}");
    assert!(text.contains(&format!("\"h2d_bytes\":{},\"d2h_bytes\":{},\"mispredicted\":", d.h2d_bytes, d.d2h_bytes)), "{text}");

    // The monitor: started by the first routed call, on the port the
    // system chose.
    let addr = monitor::address().expect("LAPACK_AI_MONITOR=127.0.0.1:0 serves");
    assert!(addr.ip().is_loopback() && addr.port() != 0);
    // A client that connects and says nothing holds up no one.
    let _silent = TcpStream::connect(addr).unwrap();
    let t = Instant::now();
    let (status, metrics) = get(addr, "/metrics");
    assert!(t.elapsed() < Duration::from_secs(3), "a silent connection delayed the next one");
    assert_eq!(status, 200);
    let sample = |name: &str| -> f64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(' ')).and_then(|v| v.parse().ok()))
            .unwrap_or_else(|| panic!("no {name} in\n{metrics}"))
    };
    assert_eq!(sample("lapack_ai_calls_total{routine=\"dgemm_\",backend=\"gpu\"}"), d.gpu_calls as f64);
    assert_eq!(sample("lapack_ai_calls_total{routine=\"dgemm_\",backend=\"cpu\"}"), d.cpu_calls as f64);
    assert_eq!(sample("lapack_ai_fallbacks_total{routine=\"dgemm_\"}"), d.fallbacks as f64);
    assert_eq!(sample("lapack_ai_flops_total{routine=\"cblas_dgemm\",backend=\"cpu\"}"), cb.cpu_flops as f64);
    assert_eq!(sample("lapack_ai_transfer_bytes_total{routine=\"dgemm_\",direction=\"host_to_device\"}"), d.h2d_bytes as f64);
    assert_eq!(sample("lapack_ai_transfer_bytes_total{routine=\"dgemm_\",direction=\"device_to_host\"}"), d.d2h_bytes as f64);
    let lu_backend = if gpu.is_some() { "gpu" } else { "cpu" };
    assert!(sample(&format!("lapack_ai_call_seconds_total{{routine=\"dgesv_\",backend=\"{lu_backend}\"}}")) > 0.0);
    let (status, api) = get(addr, "/api/stats?t=1");
    assert_eq!(status, 200);
    assert!(api.contains(&dgemm_json), "{api}");
    let (status, page) = get(addr, "/");
    assert!(status == 200 && page.contains("<canvas") && page.contains("api/stats"));
    assert_eq!(get(addr, "/nothing").0, 404);
    assert_eq!(http(addr, "DELETE /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n").0, 405);
    let (status, body) = http(addr, &format!("HEAD /metrics HTTP/1.1\r\nHost: {addr}\r\n\r\n"));
    assert!(status == 200 && body.is_empty());
    // Host must name the monitor (DNS rebinding); without one, 400.
    assert_eq!(http(addr, "GET /api/stats HTTP/1.1\r\n\r\n").0, 400);
    let (status, body) = http(addr, &format!("GET /api/stats HTTP/1.1\r\nHost: evil.example:{}\r\n\r\n", addr.port()));
    assert!(status == 421 && !body.contains("dgemm_"), "{status} {body}");
    // Counts move: one more call shows on the next scrape.
    gemm(b"NN", 2, 2, 2, 0.0);
    let (_, metrics) = get(addr, "/metrics");
    let calls: f64 = metrics
        .lines()
        .filter(|l| l.starts_with("lapack_ai_calls_total{routine=\"dgemm_\""))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(calls, 6.0);
}
