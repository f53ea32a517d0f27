//! `dgesvd_`, `dgesdd_` and the extension `dgesvdocl_` (Fortran ABI, LP64
//! integers, gfortran's hidden CHARACTER lengths): their arguments read
//! and checked as reference LAPACK checks them, and each call routed: to
//! the CPU LAPACK's DGESVD or DGESDD, or to the GPU SVD
//! ([`super::driver`]), which works on a copy of A, so that a failure
//! leaves the CPU the caller's arrays as they were.

use super::driver::{self as gesvd, Part};
use super::gpu::{Flavor, Outcome};
use super::{check, cost};
use crate::abi::{guarded, int, read_char, set_info, set_work};
use crate::dispatch::{self, Call, GpuPath, Routine};
use crate::engine::cpu::{on_views, xerbla, CPU};
use crate::engine::opencl::error::GpuError;
use crate::matrix::MatMut;
use crate::ops::lsame;
use std::os::raw::{c_char, c_int};

/// The arrays of a DGESVD or DGESDD call, as views: U and VT of the shapes
/// their jobs write (no columns or rows where the job writes none into
/// them), WORK of LWORK elements, IWORK empty for DGESVD.
struct Svd<'a> {
    /// JOBU and JOBVT, or JOBZ twice.
    jobs: (u8, u8),
    up: Part,
    vp: Part,
    a: MatMut<'a>,
    s: &'a mut [f64],
    u: MatMut<'a>,
    vt: MatMut<'a>,
    work: &'a mut [f64],
    iwork: &'a mut [c_int],
}

impl<'a> Svd<'a> {
    /// The views of the caller's arrays for the parts `up` and `vp`.
    ///
    /// # Safety
    /// The arguments passed the routine's checks, m, n >= 1, LWORK >= 1;
    /// the arrays are the caller's, valid for them and not overlapping;
    /// IWORK holds `iwork_len` entries.
    #[allow(clippy::too_many_arguments)]
    unsafe fn new(
        jobs: (u8, u8), up: Part, vp: Part, m: c_int, n: c_int, a: *mut f64, lda: c_int, s: *mut f64, u: *mut f64, ldu: c_int,
        vt: *mut f64, ldvt: c_int, work: *mut f64, lwork: c_int, iwork: *mut c_int, iwork_len: usize,
    ) -> Svd<'a> {
        let (m, n) = (m as usize, n as usize);
        let k = m.min(n);
        let (ucols, vrows) = (up.count(m, k), vp.count(n, k));
        // SAFETY: the caller's guarantee; an array a job does not write is
        // a view of nothing (its pointer and leading dimension kept for
        // the CPU LAPACK, which does not read it).
        unsafe {
            Svd {
                jobs,
                up,
                vp,
                a: MatMut::from_raw(a, m, n, lda as usize),
                s: std::slice::from_raw_parts_mut(s, k),
                u: MatMut::from_raw(u, if ucols > 0 { m } else { 0 }, ucols, ldu as usize),
                vt: MatMut::from_raw(vt, vrows, if vrows > 0 { n } else { 0 }, ldvt as usize),
                work: std::slice::from_raw_parts_mut(work, lwork as usize),
                iwork: if iwork_len == 0 { &mut [] } else { std::slice::from_raw_parts_mut(iwork, iwork_len) },
            }
        }
    }

    /// The whole DGESVD on the CPU LAPACK; INFO.
    fn gesvd_on_cpu(&mut self) -> c_int {
        on_views::dgesvd(self.jobs, self.a.rb_mut(), self.s, self.u.rb_mut(), self.vt.rb_mut(), self.work)
    }

    /// The whole DGESDD on the CPU LAPACK; INFO.
    fn gesdd_on_cpu(&mut self) -> c_int {
        on_views::dgesdd(self.jobs.0, self.a.rb_mut(), self.s, self.u.rb_mut(), self.vt.rb_mut(), self.work, self.iwork)
    }

    /// The GPU SVD ([`gesvd::gesvd`]), then INFO and WORK as the routine
    /// leaves them ([`finish_svd_work`]); INFO.
    fn on_gpu(&mut self, flavor: Flavor, maxwrk: impl FnOnce() -> f64) -> Result<c_int, GpuError> {
        let outcome = gesvd::gesvd(flavor, self.up, self.vp, self.a.rb_mut(), self.s, self.u.rb_mut(), self.vt.rb_mut())?;
        // DGESDD's INFO > 0 leaves nothing in WORK(2:): no superdiagonal
        // is written.
        let superdiagonal = if flavor == Flavor::Gesvd { self.s.len() } else { 0 };
        Ok(finish_svd_work(outcome, superdiagonal, self.work, maxwrk))
    }
}

/// The GPU path of an SVD routine: the GPU leaves the caller's arrays as
/// they were when it fails (src/ops/svd/driver.rs), so `cpu` does the whole
/// call then.
fn gpu_path<'a, A: 'a>(
    run: impl FnOnce(&mut A) -> Result<c_int, GpuError>,
    cpu: fn(&mut A) -> c_int,
) -> impl GpuPath<'a, A, c_int> {
    move |args: &mut A| run(args).map_err(|error| dispatch::failure(error, cpu))
}

/// The shared body of DGESVD and DGESVDOCL: checks, then [`gesvd_checked`].
///
/// # Safety
/// As for reference DGESVD.
#[allow(clippy::too_many_arguments)]
unsafe fn gesvd(
    routine: Routine,
    srname: &'static str,
    jobu: *const c_char,
    jobvt: *const c_char,
    m: *const c_int,
    n: *const c_int,
    a: *mut f64,
    lda: *const c_int,
    s: *mut f64,
    u: *mut f64,
    ldu: *const c_int,
    vt: *mut f64,
    ldvt: *const c_int,
    work: *mut f64,
    lwork: *const c_int,
    info: *mut c_int,
) {
    guarded(srname, info, || {
        // SAFETY: the caller's CHARACTER arguments (or null).
        let (ju, jv) = unsafe { (read_char(jobu), read_char(jobvt)) };
        let (m, n, lda, ldu, ldvt) = (int(m, -1), int(n, -1), int(lda, 0), int(ldu, 0), int(ldvt, 0));
        let lwork = int(lwork, -2);
        let err = check::dgesvd(ju, jv, m, n, lda, ldu, ldvt, lwork);
        // SAFETY: INFO is the caller's.
        unsafe { set_info(info, err) };
        if err == -13 {
            // LWORK too small: reference DGESVD has set WORK(1) to the
            // optimal size before it reports the error.
            // SAFETY: WORK is the caller's (LWORK >= 1 or not, WORK(1) is
            // the array's first element; null is skipped).
            unsafe { set_work(work, gesvd_query(ju as c_char, jv as c_char, m, n, lda, ldu, ldvt)()) };
        }
        if err != 0 {
            xerbla::report(srname, -err);
            return;
        }
        // SAFETY: arguments checked; the caller's arrays.
        unsafe { gesvd_checked(routine, ju, jv, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, info) }
    });
}

/// DGESVD whose arguments passed [`check::dgesvd`]: the workspace query,
/// the quick return, or the routed computation.
///
/// # Safety
/// Arguments legal for DGESVD; arrays valid for them; `info` writable.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn gesvd_checked(
    routine: Routine,
    ju: u8,
    jv: u8,
    m: c_int,
    n: c_int,
    a: *mut f64,
    lda: c_int,
    s: *mut f64,
    u: *mut f64,
    ldu: c_int,
    vt: *mut f64,
    ldvt: c_int,
    work: *mut f64,
    lwork: c_int,
    info: *mut c_int,
) {
    if lwork == -1 {
        // Workspace query: the CPU LAPACK answers it, as it would run it.
        // SAFETY: INFO and WORK(1) are the caller's.
        unsafe {
            set_info(info, 0);
            set_work(work, gesvd_query(ju as c_char, jv as c_char, m, n, lda, ldu, ldvt)());
        }
        return;
    }
    // SAFETY: INFO is the caller's.
    unsafe { set_info(info, 0) };
    if m == 0 || n == 0 {
        // Reference returns here with WORK(1) = MAXWRK = 1.
        // SAFETY: LWORK >= 1 was checked, so WORK(1) exists.
        unsafe { *work = 1.0 };
        return;
    }
    let vectors = !(lsame(ju, b'N') && lsame(jv, b'N'));
    let call = Call {
        routine,
        describe: || {
            format!("jobu={} jobvt={} m={m} n={n} lda={lda} ldu={ldu} ldvt={ldvt} lwork={lwork}", ju as char, jv as char)
        },
        flops: cost::flops(m, n, vectors),
        bytes: cost::bytes(m, n, vectors),
        launches: cost::launches(m, n),
        shape: cost::shape(m, n, vectors),
        shape_name: cost::shape_name,
        adjust: None,
    };
    let (up, vp) = (Part::from_job(ju), Part::from_job(jv));
    // SAFETY: the arguments passed DGESVD's checks, m, n >= 1, LWORK >= 1
    // (not a query); the caller's arrays; no IWORK.
    let mut args = unsafe { Svd::new((ju, jv), up, vp, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, std::ptr::null_mut(), 0) };
    let maxwrk = gesvd_query(ju as c_char, jv as c_char, m, n, lda, ldu, ldvt);
    let gpu = gpu_path(|svd: &mut Svd| svd.on_gpu(Flavor::Gesvd, maxwrk), Svd::gesvd_on_cpu);
    let result = dispatch::run(call, &mut args, Svd::gesvd_on_cpu, Some(gpu));
    // SAFETY: INFO is the caller's.
    unsafe { set_info(info, result) };
}

/// A DGESVD workspace query (LWORK = -1) to the CPU LAPACK, for the
/// WORK(1) that DGESVD returns on exit (MAXWRK).
fn gesvd_query(ju: c_char, jv: c_char, m: c_int, n: c_int, lda: c_int, ldu: c_int, ldvt: c_int) -> impl FnOnce() -> f64 {
    move || {
        let mut w = [0.0f64; 1];
        let mut info = 0;
        let mut dummy = [0.0f64; 1];
        let d = dummy.as_mut_ptr();
        // SAFETY: a workspace query reads only the scalars; the arrays are
        // not referenced (reference DGESVD returns before touching them).
        unsafe { (CPU.dgesvd.f)(&ju, &jv, &m, &n, d, &lda, d, d, &ldu, d, &ldvt, w.as_mut_ptr(), &-1, &mut info, 1, 1) };
        w[0]
    }
}

/// The same for DGESDD.
fn gesdd_query(jz: c_char, m: c_int, n: c_int, lda: c_int, ldu: c_int, ldvt: c_int) -> impl FnOnce() -> f64 {
    move || {
        let mut w = [0.0f64; 1];
        let mut info = 0;
        let mut dummy = [0.0f64; 1];
        let mut idummy = [0 as c_int; 1];
        let d = dummy.as_mut_ptr();
        // SAFETY: a workspace query reads only the scalars; the arrays are
        // not referenced.
        unsafe {
            (CPU.dgesdd.f)(&jz, &m, &n, d, &lda, d, d, &ldu, d, &ldvt, w.as_mut_ptr(), &-1, idummy.as_mut_ptr(), &mut info, 1)
        };
        w[0]
    }
}

/// WORK(1) (the optimal LWORK, as the reference leaves it) and, for
/// INFO > 0, WORK(2:k) = the unconverged superdiagonal; INFO.
fn finish_svd_work(outcome: Outcome, k: usize, work: &mut [f64], maxwrk: impl FnOnce() -> f64) -> c_int {
    if outcome.info > 0 {
        for (w, e) in work[1..].iter_mut().zip(outcome.e.iter().take(k.saturating_sub(1))) {
            *w = *e;
        }
    }
    work[0] = maxwrk();
    outcome.info
}

/// DGESVD computes the singular value decomposition A = U * SIGMA * V**T
/// of a real M-by-N matrix A.
///
/// Arguments as reference DGESVD: JOBU, JOBVT ('A', 'S', 'O', 'N'; not both
/// 'O'), M, N (>= 0), A(LDA,N), LDA (>= max(1,M)), S(min(M,N)), U(LDU,*),
/// LDU, VT(LDVT,N), LDVT, WORK(max(1,LWORK)), LWORK (>= the reference
/// minimum; -1 for a workspace query, the optimal size returned in
/// WORK(1)), INFO: 0 success; < 0 argument -INFO illegal (XERBLA('DGESVD',
/// -INFO)); > 0 DBDSQR did not converge, INFO superdiagonals of the
/// intermediate bidiagonal form did not converge to zero, and WORK(2:MINMN)
/// holds them as reference leaves them.
///
/// # Safety
/// As for reference DGESVD.
#[no_mangle]
pub unsafe extern "C" fn dgesvd_(
    jobu: *const c_char,
    jobvt: *const c_char,
    m: *const c_int,
    n: *const c_int,
    a: *mut f64,
    lda: *const c_int,
    s: *mut f64,
    u: *mut f64,
    ldu: *const c_int,
    vt: *mut f64,
    ldvt: *const c_int,
    work: *mut f64,
    lwork: *const c_int,
    info: *mut c_int,
    jobu_len: usize,
    jobvt_len: usize,
) {
    // The hidden CHARACTER lengths are not read: only the first character
    // matters, and C callers of the Fortran ABI often omit them.
    let _ = (jobu_len, jobvt_len);
    // SAFETY: the caller's arguments, passed on unchanged.
    unsafe {
        gesvd(Routine::Dgesvd, "DGESVD", jobu, jobvt, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, info)
    }
}

/// DGESVDOCL: the GPU SVD, with exactly DGESVD's arguments, semantics,
/// workspace query and INFO codes (argument errors are reported as
/// XERBLA('DGESVDOCL', -INFO)). Routed as `dgesvd_` is (src/ops/svd/gpu.rs
/// describes the algorithm); the CPU DGESVD is its fallback when the GPU
/// cannot run it, and runs it for NaN or infinity in A.
///
/// # Safety
/// As for reference DGESVD.
#[no_mangle]
pub unsafe extern "C" fn dgesvdocl_(
    jobu: *const c_char,
    jobvt: *const c_char,
    m: *const c_int,
    n: *const c_int,
    a: *mut f64,
    lda: *const c_int,
    s: *mut f64,
    u: *mut f64,
    ldu: *const c_int,
    vt: *mut f64,
    ldvt: *const c_int,
    work: *mut f64,
    lwork: *const c_int,
    info: *mut c_int,
    jobu_len: usize,
    jobvt_len: usize,
) {
    // The hidden CHARACTER lengths are not read: only the first character
    // matters, and C callers of the Fortran ABI often omit them.
    let _ = (jobu_len, jobvt_len);
    // SAFETY: the caller's arguments, passed on unchanged.
    unsafe {
        gesvd(Routine::Dgesvdocl, "DGESVDOCL", jobu, jobvt, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, info)
    }
}

/// DGESDD computes the singular value decomposition of a real M-by-N
/// matrix A by divide and conquer.
///
/// Arguments as reference DGESDD: JOBZ ('A', 'S', 'O', 'N'), M, N (>= 0),
/// A(LDA,N) (contains NaN: INFO = -4, no XERBLA, as reference), LDA
/// (>= max(1,M)), S(min(M,N)), U(LDU,*), LDU, VT(LDVT,N), LDVT,
/// WORK(max(1,LWORK)), LWORK (-1: workspace query), IWORK(8*min(M,N)),
/// INFO: 0 success; < 0 argument -INFO illegal (XERBLA('DGESDD', -INFO));
/// > 0 DBDSDC did not converge.
///
/// # Safety
/// As for reference DGESDD.
#[no_mangle]
pub unsafe extern "C" fn dgesdd_(
    jobz: *const c_char,
    m: *const c_int,
    n: *const c_int,
    a: *mut f64,
    lda: *const c_int,
    s: *mut f64,
    u: *mut f64,
    ldu: *const c_int,
    vt: *mut f64,
    ldvt: *const c_int,
    work: *mut f64,
    lwork: *const c_int,
    iwork: *mut c_int,
    info: *mut c_int,
    jobz_len: usize,
) {
    // The hidden CHARACTER lengths are not read: only the first character
    // matters, and C callers of the Fortran ABI often omit them.
    let _ = jobz_len;
    guarded("DGESDD", info, || {
        // SAFETY: the caller's CHARACTER argument (or null).
        let jz = unsafe { read_char(jobz) };
        let (m, n, lda, ldu, ldvt) = (int(m, -1), int(n, -1), int(lda, 0), int(ldu, 0), int(ldvt, 0));
        let lwork = int(lwork, -2);
        let err = check::dgesdd(jz, m, n, lda, ldu, ldvt, lwork);
        // SAFETY: INFO is the caller's.
        unsafe { set_info(info, err) };
        if err == -12 {
            // LWORK too small: reference DGESDD has set WORK(1) to the
            // optimal size before it reports the error.
            // SAFETY: as in DGESVD above.
            unsafe { set_work(work, gesdd_query(jz as c_char, m, n, lda, ldu, ldvt)()) };
        }
        if err != 0 {
            xerbla::report("DGESDD", -err);
            return;
        }
        if lwork == -1 {
            // SAFETY: INFO and WORK(1) are the caller's.
            unsafe {
                set_info(info, 0);
                set_work(work, gesdd_query(jz as c_char, m, n, lda, ldu, ldvt)());
            }
            return;
        }
        if m == 0 || n == 0 {
            // Reference returns here with WORK(1) = MAXWRK = 1.
            // SAFETY: LWORK >= 1 was checked, so WORK(1) exists.
            unsafe { *work = 1.0 };
            return;
        }
        let vectors = !lsame(jz, b'N');
        let call = Call {
            routine: Routine::Dgesdd,
            describe: || format!("jobz={} m={m} n={n} lda={lda} ldu={ldu} ldvt={ldvt} lwork={lwork}", jz as char),
            flops: cost::flops(m, n, vectors),
            bytes: cost::bytes(m, n, vectors),
            launches: cost::launches(m, n),
            shape: cost::shape(m, n, vectors),
            shape_name: cost::shape_name,
            adjust: None,
        };
        let (up, vp) = Part::from_jobz(jz, m as usize, n as usize);
        let iwork_len = 8 * m.min(n) as usize;
        // SAFETY: the arguments passed DGESDD's checks, m, n >= 1, LWORK
        // >= 1 (not a query); the caller's arrays; IWORK(8 min(m, n)).
        let mut args = unsafe { Svd::new((jz, jz), up, vp, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, iwork, iwork_len) };
        let maxwrk = gesdd_query(jz as c_char, m, n, lda, ldu, ldvt);
        let gpu = gpu_path(|svd: &mut Svd| svd.on_gpu(Flavor::Gesdd, maxwrk), Svd::gesdd_on_cpu);
        let result = dispatch::run(call, &mut args, Svd::gesdd_on_cpu, Some(gpu));
        // SAFETY: INFO is the caller's.
        unsafe { set_info(info, result) };
    });
}
