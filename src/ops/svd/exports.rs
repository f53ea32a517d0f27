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
use crate::engine::cpu::{xerbla, CPU};
use crate::engine::opencl::error::GpuError;
use crate::ops::lsame;
use std::os::raw::{c_char, c_int};

/// The GPU path of a routine whose CPU call `cpu` is also its fallback:
/// `run` computes on the GPU, `done` records its result in the caller's
/// outputs (INFO, WORK); a GPU error hands the whole call to `cpu`.
fn gpu_path<'a, T: 'a>(
    run: impl FnOnce() -> Result<T, GpuError> + 'a,
    done: impl FnOnce(T) + 'a,
    cpu: impl FnOnce() + 'a,
) -> impl GpuPath<'a, ()> {
    move || match run() {
        Ok(result) => {
            done(result);
            Ok(())
        }
        Err(error) => Err((error, Box::new(cpu) as Box<dyn FnOnce()>)),
    }
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
    let (ju, jv) = (ju as c_char, jv as c_char);
    // SAFETY (both calls below): legal arguments, the caller's arrays,
    // hidden lengths 1 for the two CHARACTER*1 arguments.
    let call_cpu = || unsafe {
        (CPU.dgesvd.f)(&ju, &jv, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork, info, 1, 1)
    };
    if lwork == -1 {
        // Workspace query: the CPU LAPACK answers it, as it would run it.
        call_cpu();
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
    let vectors = !(lsame(ju as u8, b'N') && lsame(jv as u8, b'N'));
    let call = Call {
        routine,
        describe: || {
            format!(
                "jobu={} jobvt={} m={m} n={n} lda={lda} ldu={ldu} ldvt={ldvt} lwork={lwork}",
                ju as u8 as char, jv as u8 as char
            )
        },
        flops: cost::flops(m, n, vectors),
        bytes: cost::bytes(m, n, vectors),
        launches: cost::launches(m, n),
        adjust: None,
    };
    let (up, vp) = (Part::from_job(ju as u8), Part::from_job(jv as u8));
    let gpu = gpu_path(
        // SAFETY: legal arguments; the caller's arrays.
        move || unsafe {
            gesvd::gesvd(Flavor::Gesvd, up, vp, m as usize, n as usize, a, lda as usize, s, u, ldu as usize, vt, ldvt as usize)
        },
        // SAFETY: INFO and WORK are the caller's; LWORK >= the minimum,
        // which exceeds min(m, n).
        move |outcome| unsafe {
            finish_svd_work(outcome, m.min(n), work, gesvd_query(ju, jv, m, n, lda, ldu, ldvt), info)
        },
        call_cpu,
    );
    dispatch::run(call, call_cpu, Some(gpu));
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

/// INFO, WORK(1) (the optimal LWORK, as the reference leaves it) and, for
/// INFO > 0, WORK(2:min(m,n)) = the unconverged superdiagonal.
///
/// # Safety
/// `work` holds at least `k` doubles; `info` is writable.
unsafe fn finish_svd_work(outcome: Outcome, k: c_int, work: *mut f64, maxwrk: impl FnOnce() -> f64, info: *mut c_int) {
    // SAFETY (all writes): the caller's guarantee.
    unsafe {
        set_info(info, outcome.info);
        if outcome.info > 0 {
            for (i, e) in outcome.e.iter().take((k - 1).max(0) as usize).enumerate() {
                *work.add(i + 1) = *e;
            }
        }
        *work = maxwrk();
    }
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
        let jz = jz as c_char;
        // SAFETY (both calls below): legal arguments, the caller's arrays,
        // hidden length 1 for the CHARACTER*1 argument.
        let call_cpu =
            || unsafe { (CPU.dgesdd.f)(&jz, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork, iwork, info, 1) };
        if lwork == -1 {
            call_cpu();
            return;
        }
        if m == 0 || n == 0 {
            // Reference returns here with WORK(1) = MAXWRK = 1.
            // SAFETY: LWORK >= 1 was checked, so WORK(1) exists.
            unsafe { *work = 1.0 };
            return;
        }
        let vectors = !lsame(jz as u8, b'N');
        let call = Call {
            routine: Routine::Dgesdd,
            describe: || format!("jobz={} m={m} n={n} lda={lda} ldu={ldu} ldvt={ldvt} lwork={lwork}", jz as u8 as char),
            flops: cost::flops(m, n, vectors),
            bytes: cost::bytes(m, n, vectors),
            launches: cost::launches(m, n),
        adjust: None,
        };
        let (up, vp) = Part::from_jobz(jz as u8, m as usize, n as usize);
        let gpu = gpu_path(
            // SAFETY: legal arguments; the caller's arrays.
            move || unsafe {
                gesvd::gesvd(Flavor::Gesdd, up, vp, m as usize, n as usize, a, lda as usize, s, u, ldu as usize, vt, ldvt as usize)
            },
            // SAFETY: INFO and WORK are the caller's. DGESDD's INFO > 0
            // leaves nothing in WORK(2:): no superdiagonal is written (k = 0).
            move |outcome| unsafe { finish_svd_work(outcome, 0, work, gesdd_query(jz, m, n, lda, ldu, ldvt), info) },
            call_cpu,
        );
        dispatch::run(call, call_cpu, Some(gpu));
    });
}
