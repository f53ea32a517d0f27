//! DGEMM_ALPHA's evaluator (src/ops/alpha/eval.rs): correctness on awkward
//! products against the bundled reference DGEMM, on the host machine (CPU)
//! and, with LAPACK_AI_TEST_OPENCL (PoCL in CI), on the device; and its
//! accuracy against a double-double reference, per scheme and level, on
//! random and badly scaled matrices (the table the README quotes).

use lapack_ai::ops::alpha::eval::{evaluate, Compiled, Counts, Machine, Product};
use lapack_ai::ops::alpha::host::{Host, HostView};
use lapack_ai::ops::alpha::SCHEMES;
use lapack_ai::engine::cpu::bundled;
use lapack_ai::matrix::{MatMut, MatRef};
use std::os::raw::c_char;

/// Every test first: the device named by LAPACK_AI_TEST_OPENCL becomes
/// LAPACK_AI_DEVICE before anything in the process reads the configuration.
fn setup() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Ok(device) = std::env::var("LAPACK_AI_TEST_OPENCL") {
            std::env::set_var("LAPACK_AI_DEVICE", device);
        }
    });
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Uniform in (-1, 1).
    fn value(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

#[derive(Clone, Copy, Debug)]
struct Case {
    ta: bool,
    tb: bool,
    m: usize,
    n: usize,
    k: usize,
    alpha: f64,
    beta: f64,
    pad: usize,
}

struct Operands {
    a: Vec<f64>,
    lda: usize,
    b: Vec<f64>,
    ldb: usize,
    c: Vec<f64>,
    ldc: usize,
}

fn operands(rng: &mut Rng, c: &Case) -> Operands {
    let (ar, ac) = if c.ta { (c.k, c.m) } else { (c.m, c.k) };
    let (br, bc) = if c.tb { (c.n, c.k) } else { (c.k, c.n) };
    let (lda, ldb, ldc) = (ar.max(1) + c.pad, br.max(1) + c.pad, c.m.max(1) + c.pad);
    let a = (0..lda * ac.max(1)).map(|_| rng.value()).collect();
    let b = (0..ldb * bc.max(1)).map(|_| rng.value()).collect();
    let mut cm: Vec<f64> = (0..ldc * c.n.max(1)).map(|_| rng.value()).collect();
    if c.beta == 0.0 {
        for j in 0..c.n {
            for i in 0..c.m {
                cm[i + j * ldc] = f64::NAN;
            }
        }
    }
    Operands { a, lda, b, ldb, c: cm, ldc }
}

fn reference(c: &Case, o: &Operands) -> Vec<f64> {
    let mut r = o.c.clone();
    let t = |x: bool| if x { b'T' } else { b'N' } as c_char;
    let (m, n, k) = (c.m as i32, c.n as i32, c.k as i32);
    let (la, lb, lc) = (o.lda as i32, o.ldb as i32, o.ldc as i32);
    // SAFETY: arrays sized for these arguments.
    unsafe {
        (bundled::dgemm)(&t(c.ta), &t(c.tb), &m, &n, &k, &c.alpha, o.a.as_ptr(), &la, o.b.as_ptr(), &lb, &c.beta,
            r.as_mut_ptr(), &lc, 1, 1)
    };
    r
}

/// max |ours - reference| / (eps (k |alpha| + |beta|)) over C (entries
/// of A, B and C are below 1), and whether the padding of C changed.
fn compare(c: &Case, o: &Operands, ours: &[f64], reference: &[f64]) -> (f64, bool) {
    let mut worst = 0.0f64;
    let mut pad_changed = false;
    for j in 0..c.n.max(1) {
        for i in 0..o.ldc {
            let (x, y) = (ours[i + j * o.ldc], reference[i + j * o.ldc]);
            if i < c.m && j < c.n {
                let err = if x.is_nan() || y.is_nan() { f64::INFINITY } else { (x - y).abs() };
                worst = worst.max(err / (f64::EPSILON * (c.k as f64 * c.alpha.abs() + c.beta.abs())));
            } else if x.to_bits() != o.c[i + j * o.ldc].to_bits() {
                pad_changed = true;
            }
        }
    }
    (worst, pad_changed)
}

fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    let shapes = [(4, 4, 4), (16, 16, 16), (37, 29, 41), (64, 67, 65), (131, 53, 97), (5, 130, 66), (66, 7, 133), (80, 80, 3)];
    let scalars = [(1.0, 0.0), (-0.75, 1.0), (2.0, -0.5), (0.0, 0.5)];
    let mut i = 0;
    for &(m, n, k) in &shapes {
        for ta in [false, true] {
            for tb in [false, true] {
                let (alpha, beta) = scalars[i % scalars.len()];
                v.push(Case { ta, tb, m, n, k, alpha, beta, pad: i % 3 });
                i += 1;
            }
        }
    }
    v
}

/// Runs `eval` on every case and level 1 to 2 of each scheme; the error
/// must stay under 40 x 12^levels (the growth of a Strassen-like level,
/// W. Miller / N. Higham: a factor 12 per 2x2 level, two per 4x4 level,
/// with room for the rank-48 scheme's coefficients).
fn check_all(label: &str, eval: impl Fn(&Compiled, usize, &Case, &Operands) -> (Vec<f64>, Counts)) {
    let mut rng = Rng(0x5eed_a1fa);
    let mut failures = Vec::new();
    for scheme in SCHEMES.iter() {
        for levels in 1..=2 {
            for c in cases() {
                let o = operands(&mut rng, &c);
                let want = reference(&c, &o);
                let (ours, counts) = eval(scheme, levels, &c, &o);
                let (err, pad) = compare(&c, &o, &ours, &want);
                let bound = 40.0 * 12f64.powi(2 * levels as i32);
                if err.is_nan() || err > bound || pad {
                    failures.push(format!("{label} {} levels={levels} {c:?}: error {err:.1} (bound {bound}), padding changed {pad}", scheme.name));
                }
                // A level that ran replaced 64 block products by `rank`.
                if levels == 1 && c.m >= 4 && c.n >= 4 && c.k >= 4 && c.alpha != 0.0 {
                    let peels = (c.m % 4 != 0) as u64 + (c.n % 4 != 0) as u64 + (c.k % 4 != 0) as u64;
                    assert_eq!(counts.products, scheme.rank as u64 + peels, "{label} {c:?}");
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

fn host_eval(scheme: &Compiled, levels: usize, c: &Case, o: &Operands) -> (Vec<f64>, Counts) {
    let mut ours = o.c.clone();
    let mut host = Host::new(1 << 28);
    let v = |p: *const f64, ld: usize| HostView { ptr: p as *mut f64, ld };
    let p = Product {
        ta: c.ta, tb: c.tb, m: c.m, n: c.n, k: c.k, alpha: c.alpha, a: v(o.a.as_ptr(), o.lda), b: v(o.b.as_ptr(), o.ldb),
        beta: c.beta, c: v(ours.as_mut_ptr(), o.ldc),
    };
    let mut counts = Counts::default();
    evaluate(&mut host, scheme, levels, p, &mut counts).expect("host memory for the temporaries");
    (ours, counts)
}

#[test]
fn host_evaluator_matches_the_reference() {
    setup();
    check_all("host", host_eval);
}

#[test]
fn a_small_budget_runs_the_products_in_batches() {
    setup();
    let mut rng = Rng(11);
    let c = Case { ta: false, tb: true, m: 64, n: 48, k: 80, alpha: 1.5, beta: 0.25, pad: 1 };
    let o = operands(&mut rng, &c);
    let want = reference(&c, &o);
    for scheme in SCHEMES.iter() {
        let mut ours = o.c.clone();
        // Room for 5 products' temporaries: 10 batches.
        let mut host = Host::new(5 * Compiled::temp_bytes_per_product(64, 48, 80, 4));
        let v = |p: *const f64, ld: usize| HostView { ptr: p as *mut f64, ld };
        let p = Product { ta: c.ta, tb: c.tb, m: c.m, n: c.n, k: c.k, alpha: c.alpha, a: v(o.a.as_ptr(), o.lda),
            b: v(o.b.as_ptr(), o.ldb), beta: c.beta, c: v(ours.as_mut_ptr(), o.ldc) };
        let mut counts = Counts::default();
        evaluate(&mut host, scheme, 1, p, &mut counts).expect("host memory for the temporaries");
        assert_eq!(counts.products, scheme.rank as u64);
        let (err, pad) = compare(&c, &o, &ours, &want);
        assert!(err < 40.0 * 144.0 && !pad, "{}: {err}", scheme.name);
        assert_eq!(host.bytes_free(), 5 * Compiled::temp_bytes_per_product(64, 48, 80, 4), "temporaries released");
    }
}

#[test]
fn device_evaluator_matches_the_reference() {
    setup();
    let Ok(_) = std::env::var("LAPACK_AI_TEST_OPENCL") else {
        eprintln!("LAPACK_AI_TEST_OPENCL not set (tools/test.sh sets it to pocl): device evaluator not tested");
        return;
    };
    use lapack_ai::ops::alpha::device::Device;
    use lapack_ai::engine::opencl::context::gpu;
    use lapack_ai::engine::opencl::resident::{self, DeviceMatrix};
    check_all("device", |scheme, levels, c, o| {
        let mut g = gpu().expect("the test device");
        let (ar, ac) = (o.lda, o.a.len() / o.lda);
        let (br, bc) = (o.ldb, o.b.len() / o.ldb);
        let (cr, cc) = (o.ldc, o.c.len() / o.ldc);
        let (da, db, dc) = (DeviceMatrix::new(&g, ar, ac).unwrap(), DeviceMatrix::new(&g, br, bc).unwrap(), DeviceMatrix::new(&g, cr, cc).unwrap());
        let mut ours = o.c.clone();
        // SAFETY: host arrays of exactly these shapes.
        unsafe {
            resident::write(&mut g, da.view(), MatRef::from_slice(&o.a, ar, ac, ar)).unwrap();
            resident::write(&mut g, db.view(), MatRef::from_slice(&o.b, br, bc, br)).unwrap();
            resident::write(&mut g, dc.view(), MatRef::from_slice(&o.c, cr, cc, cr)).unwrap();
        }
        let mut counts = Counts::default();
        {
            let mut dev = Device::new(&mut g, 1 << 26);
            let p = Product { ta: c.ta, tb: c.tb, m: c.m, n: c.n, k: c.k, alpha: c.alpha, a: da.view(), b: db.view(),
                beta: c.beta, c: dc.view() };
            evaluate(&mut dev, scheme, levels, p, &mut counts).unwrap();
        }
        // SAFETY: as above.
        unsafe { resident::read(&mut g, dc.view(), MatMut::from_slice(&mut ours, cr, cc, cr)).unwrap() };
        (ours, counts)
    });
    // From host memory (gpu::alpha::dgemm_alpha: C uploaded on the transfer
    // queue behind the first block products, read back at the end).
    check_all("device from host", |scheme, levels, c, o| {
        let mut ours = o.c.clone();
        let (ar, ac) = if c.ta { (c.k, c.m) } else { (c.m, c.k) };
        let (br, bc) = if c.tb { (c.n, c.k) } else { (c.k, c.n) };
        let g = lapack_ai::engine::opencl::gemm::Gemm::new(
            c.ta, c.tb, c.alpha, MatRef::from_slice(&o.a, ar, ac, o.lda), MatRef::from_slice(&o.b, br, bc, o.ldb), c.beta,
        );
        let mut counts = Counts::default();
        let cv = MatMut::from_slice(&mut ours, c.m, c.n, o.ldc);
        lapack_ai::ops::alpha::device::dgemm_alpha(&g, cv, scheme, levels, &mut counts).unwrap();
        (ours, counts)
    });
}

// ---------------------------------------------------------------- accuracy

/// a * b exactly, as hi + lo (FMA).
fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    (p, a.mul_add(b, -p))
}

/// a + b exactly, as s + e (Knuth's TwoSum).
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// C = A B (n x n, column major) to about twice working precision:
/// compensated dot products (Ogita, Rump, Oishi 2005, Dot2).
fn reference_dd(n: usize, a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut c = vec![0.0; n * n];
    for j in 0..n {
        for i in 0..n {
            let (mut s, mut e) = (0.0, 0.0);
            for l in 0..n {
                let (p, pe) = two_prod(a[i + l * n], b[l + j * n]);
                let (t, te) = two_sum(s, p);
                s = t;
                e += pe + te;
            }
            c[i + j * n] = s + e;
        }
    }
    c
}

/// (normwise, componentwise) error in units of eps:
/// max |C - C_ref| / (eps max|A| max|B| n), max |C - C_ref|_ij / (eps (|A||B|)_ij).
fn errors(n: usize, a: &[f64], b: &[f64], c: &[f64], r: &[f64]) -> (f64, f64) {
    let amax = a.iter().fold(0.0f64, |x, y| x.max(y.abs()));
    let bmax = b.iter().fold(0.0f64, |x, y| x.max(y.abs()));
    let (mut nw, mut cw) = (0.0f64, 0.0f64);
    for j in 0..n {
        for i in 0..n {
            let abs: f64 = (0..n).map(|l| (a[i + l * n] * b[l + j * n]).abs()).sum();
            let d = (c[i + j * n] - r[i + j * n]).abs();
            nw = nw.max(d / (f64::EPSILON * amax * bmax * n as f64));
            cw = cw.max(d / (f64::EPSILON * abs));
        }
    }
    (nw, cw)
}

/// The accuracy table of the README: n = 256, levels 0 (plain DGEMM, the
/// bundled reference) to 2, three kinds of matrices. Bound held here and
/// stated in the README: normwise error below 12^(2L) eps max|A| max|B| n
/// (L levels; 12 per Strassen-like 2x2 level, Higham, "Accuracy and
/// Stability of Numerical Algorithms", 2nd ed., §23.2.2, with n in place of
/// the leaf size).
#[test]
fn accuracy_against_double_double() {
    setup();
    let n = 256;
    let mut rng = Rng(0xacc);
    let mut rows = Vec::new();
    for kind in ["random", "outer-scaled", "inner-scaled"] {
        // outer: rows of A and columns of B scaled by 10^(+-4);
        // inner: columns of A by 10^s_l and rows of B by 10^-s_l, s_l in
        // [-4, 4] (the case where fast methods lose componentwise accuracy).
        let scale: Vec<f64> = (0..n).map(|_| 10f64.powf(4.0 * rng.value())).collect();
        let scale2: Vec<f64> = (0..n).map(|_| 10f64.powf(4.0 * rng.value())).collect();
        let mut a: Vec<f64> = (0..n * n).map(|_| rng.value()).collect();
        let mut b: Vec<f64> = (0..n * n).map(|_| rng.value()).collect();
        for j in 0..n {
            for i in 0..n {
                match kind {
                    "outer-scaled" => {
                        a[i + j * n] *= scale[i];
                        b[i + j * n] *= scale2[j];
                    }
                    "inner-scaled" => {
                        a[i + j * n] *= scale[j];
                        b[i + j * n] /= scale[i];
                    }
                    _ => {}
                }
            }
        }
        let r = reference_dd(n, &a, &b);
        let case = Case { ta: false, tb: false, m: n, n, k: n, alpha: 1.0, beta: 0.0, pad: 0 };
        let o = Operands { a: a.clone(), lda: n, b: b.clone(), ldb: n, c: vec![0.0; n * n], ldc: n };
        let plain = reference(&case, &o);
        let (nw0, cw0) = errors(n, &a, &b, &plain, &r);
        rows.push(format!("| {kind} | DGEMM | 0 | {nw0:.3} | {cw0:.2} |"));
        assert!(nw0 <= 1.0, "{kind}: plain DGEMM normwise {nw0}");
        for scheme in SCHEMES.iter() {
            for levels in 1..=2 {
                let (c, _) = host_eval(scheme, levels, &case, &o);
                let (nw, cw) = errors(n, &a, &b, &c, &r);
                rows.push(format!("| {kind} | {} | {levels} | {nw:.3} | {cw:.3e} |", scheme.name));
                let bound = 2.0 * 4f64.powi(levels as i32);
                assert!(nw <= bound, "{kind} {} levels={levels}: normwise {nw} > {bound}", scheme.name);
            }
        }
    }
    eprintln!("| matrices | method | levels | normwise: / (eps maxA maxB n) | componentwise: / (eps (abs(A) abs(B))ij) |");
    eprintln!("|---|---|---|---|---|");
    for r in rows {
        eprintln!("{r}");
    }
}
