//! `dgesv_`, `dgetrf_`, `dgetrs_`, `dgesvd_`, `dgesdd_` and the extension `dgesvdocl_`
//! (Fortran ABI, LP64 integers, gfortran's hidden CHARACTER lengths).

use super::{boundary, read, read_char, LAPACK_AI_INFO_INTERNAL_ERROR};
use crate::check;
use crate::engine::cpu::{xerbla, CPU};
use crate::dispatch::{self, Call, GpuPath, Routine};
use crate::engine::opencl::error::GpuError;
use crate::gpu::gesvd::{self, Part};
use crate::gpu::lu;
use crate::gpu::svd::{Flavor, Outcome};
use std::os::raw::{c_char, c_int};

/// Sets INFO if the pointer is usable.
///
/// # Safety
/// `info` is null or writable.
unsafe fn set_info(info: *mut c_int, value: c_int) {
    // SAFETY: the caller guarantees info is null or valid.
    if let Some(i) = unsafe { info.as_mut() } {
        *i = value;
    }
}

/// Sets WORK(1) if the pointer is usable.
///
/// # Safety
/// `work` is null or writable.
unsafe fn set_work(work: *mut f64, value: f64) {
    // SAFETY: the caller guarantees work is null or valid.
    if let Some(w) = unsafe { work.as_mut() } {
        *w = value;
    }
}

/// Reads an INTEGER argument; a null pointer reads as `illegal`, a value
/// the routine rejects at that argument's position.
fn int(p: *const c_int, illegal: c_int) -> c_int {
    // SAFETY: the Fortran caller passes valid (or null) scalar pointers.
    unsafe { read(p) }.unwrap_or(illegal)
}

/// Runs an exported routine's body; a caught panic sets INFO to
/// [`LAPACK_AI_INFO_INTERNAL_ERROR`].
fn guarded(routine: &str, info: *mut c_int, body: impl FnOnce()) {
    if boundary(routine, body).is_none() {
        // SAFETY: info is the caller's INFO argument (or null).
        unsafe { set_info(info, LAPACK_AI_INFO_INTERNAL_ERROR) };
    }
}

/// The GPU path of a routine whose CPU call `cpu` is also its fallback:
/// `run` computes on the GPU, `done` records its result in the caller's
/// outputs (INFO, WORK); a GPU error hands the whole call to `cpu`.
fn gpu_path<'a, T: 'a>(
    run: impl FnOnce() -> Result<T, GpuError> + 'a,
    done: impl FnOnce(T) + 'a,
    cpu: impl FnOnce() + 'a,
) -> GpuPath<'a, ()> {
    Box::new(move || match run() {
        Ok(result) => {
            done(result);
            Ok(())
        }
        Err(error) => Err((error, Box::new(cpu) as Box<dyn FnOnce()>)),
    })
}

/// The GPU path of an LU routine ([`lu::LuFailure`] says how far a
/// failure got): `run` computes on the GPU, `done` records INFO; a failure
/// before anything was written hands the whole call to `cpu`; one while
/// the factors were being written has the CPU finish the factorization
/// from the columns written (`finish_factors(first column, IPIV, INFO)`);
/// one after the factors (and part of X) were written solves for the rest
/// of X with the CPU's DGETRS (`solve_rest(INFO, first column)`).
fn lu_path<'a, T: 'a>(
    run: impl FnOnce() -> Result<T, lu::LuFailure> + 'a,
    done: impl FnOnce(T) + 'a,
    cpu: impl FnOnce() + 'a,
    finish_factors: impl FnOnce(usize, Vec<i32>, c_int) + 'a,
    solve_rest: impl FnOnce(c_int, usize) + 'a,
) -> GpuPath<'a, ()> {
    Box::new(move || match run() {
        Ok(result) => {
            done(result);
            Ok(())
        }
        Err(lu::LuFailure::Untouched(error)) => Err((error, Box::new(cpu) as Box<dyn FnOnce()>)),
        Err(lu::LuFailure::Factors { error, done, ipiv, info }) => {
            Err((error, Box::new(move || finish_factors(done, ipiv, info)) as Box<dyn FnOnce()>))
        }
        Err(lu::LuFailure::Solve { error, info, done }) => Err((error, Box::new(move || solve_rest(info, done)) as Box<dyn FnOnce()>)),
    })
}

/// DGESV computes the solution to A * X = B for a general N-by-N matrix A
/// and N-by-NRHS B, by LU with partial pivoting (A = P * L * U).
///
/// Arguments as reference DGESV: N (>= 0), NRHS (>= 0), A(LDA,N) (on exit
/// L and U), LDA (>= max(1,N)), IPIV(N) (the pivots), B(LDB,NRHS) (on exit
/// X), LDB (>= max(1,N)), INFO: 0 success; < 0: argument -INFO illegal
/// (reported through XERBLA('DGESV ', -INFO)); > 0: U(INFO,INFO) is exactly
/// zero, the factorization is complete but U is singular and X is not
/// computed.
///
/// # Safety
/// As for reference DGESV.
#[no_mangle]
pub unsafe extern "C" fn dgesv_(
    n: *const c_int,
    nrhs: *const c_int,
    a: *mut f64,
    lda: *const c_int,
    ipiv: *mut c_int,
    b: *mut f64,
    ldb: *const c_int,
    info: *mut c_int,
) {
    guarded("DGESV", info, || {
        let (n, nrhs, lda, ldb) = (int(n, -1), int(nrhs, -1), int(lda, 0), int(ldb, 0));
        let err = check::dgesv(n, nrhs, lda, ldb);
        // SAFETY: INFO is the caller's.
        unsafe { set_info(info, err) };
        if err != 0 {
            xerbla::report("DGESV ", -err);
            return;
        }
        if n == 0 {
            return;
        }
        let call = Call {
            routine: Routine::Dgesv,
            describe: || format!("n={n} nrhs={nrhs} lda={lda} ldb={ldb}"),
            flops: 2.0 / 3.0 * (n as f64).powi(3) + 2.0 * (n as f64).powi(2) * nrhs as f64,
            // A up and its factors back; B up and X back.
            bytes: 16.0 * (n as f64) * (n as f64 + nrhs as f64),
            // The pivots come back before the solve, everything at the end.
            launches: 2.0,
        };
        // SAFETY: legal arguments; the caller's arrays.
        let cpu = move || unsafe { (CPU.dgesv.f)(&n, &nrhs, a, &lda, ipiv, b, &ldb, info) };
        let (nu, ru) = (n as usize, nrhs as usize);
        let gpu = lu_path(
            // SAFETY: legal arguments; arrays valid for them (caller).
            move || unsafe { lu::dgesv_host(nu, ru, a, lda as usize, ipiv, b, ldb as usize) },
            // SAFETY: INFO is the caller's.
            move |i| unsafe { set_info(info, i) },
            cpu,
            // SAFETY: the first `done` columns of A hold the device's
            // factors, the rest and B are the caller's.
            move |done, dev_ipiv, dev_info| unsafe {
                let i = lu::finish_factors(nu, nu, a, lda as usize, ipiv, done, &dev_ipiv, dev_info);
                set_info(info, i);
                if i == 0 {
                    cpu_getrs(b'N' as c_char, n, nrhs, a, lda, ipiv, b, ldb, 0, info);
                }
            },
            // SAFETY: A and IPIV hold the factors; the columns of B from
            // `first` on are as the caller passed them.
            move |i, first| unsafe {
                set_info(info, i);
                cpu_getrs(b'N' as c_char, n, nrhs, a, lda, ipiv, b, ldb, first, info);
            },
        );
        dispatch::run(call, cpu, Some(gpu));
    });
}

/// DGETRF computes an LU factorization of a general M-by-N matrix A
/// using partial pivoting with row interchanges: A = P * L * U.
///
/// Arguments as reference DGETRF: M, N (>= 0), A(LDA,N) (on exit L and U),
/// LDA (>= max(1,M)), IPIV(min(M,N)) (row i was interchanged with row
/// IPIV(i)), INFO: 0 success; < 0: argument -INFO illegal
/// (XERBLA('DGETRF', -INFO)); > 0: U(INFO,INFO) is exactly zero, the
/// factorization has been completed, but U is singular.
///
/// # Safety
/// As for reference DGETRF.
#[no_mangle]
pub unsafe extern "C" fn dgetrf_(
    m: *const c_int,
    n: *const c_int,
    a: *mut f64,
    lda: *const c_int,
    ipiv: *mut c_int,
    info: *mut c_int,
) {
    guarded("DGETRF", info, || {
        let (m, n, lda) = (int(m, -1), int(n, -1), int(lda, 0));
        let err = check::dgetrf(m, n, lda);
        // SAFETY: INFO is the caller's.
        unsafe { set_info(info, err) };
        if err != 0 {
            xerbla::report("DGETRF", -err);
            return;
        }
        if m == 0 || n == 0 {
            return;
        }
        let (mf, nf) = (m as f64, n as f64);
        let (big, small) = (mf.max(nf), mf.min(nf));
        let call = Call {
            routine: Routine::Dgetrf,
            describe: || format!("m={m} n={n} lda={lda}"),
            flops: big * small * small - small.powi(3) / 3.0,
            bytes: 16.0 * mf * nf,
            launches: 1.0,
        };
        // SAFETY: legal arguments; the caller's arrays.
        let cpu = move || unsafe { (CPU.dgetrf.f)(&m, &n, a, &lda, ipiv, info) };
        let gpu = lu_path(
            // SAFETY: legal arguments; arrays valid for them (caller).
            move || unsafe { lu::dgetrf_host(m as usize, n as usize, a, lda as usize, ipiv) },
            // SAFETY: INFO is the caller's.
            move |i| unsafe { set_info(info, i) },
            cpu,
            // SAFETY: the first `done` columns of A hold the device's
            // factors, the rest are the caller's.
            move |done, dev_ipiv, dev_info| unsafe {
                let i = lu::finish_factors(m as usize, n as usize, a, lda as usize, ipiv, done, &dev_ipiv, dev_info);
                set_info(info, i);
            },
            |_, _| {},
        );
        dispatch::run(call, cpu, Some(gpu));
    });
}

/// DGETRS solves A * X = B or A**T * X = B with the LU factorization
/// computed by DGETRF.
///
/// Arguments as reference DGETRS: TRANS ('N': A*X = B; 'T' or 'C':
/// A**T*X = B), N, NRHS (>= 0), A(LDA,N) (the factors L and U), LDA
/// (>= max(1,N)), IPIV(N) (the pivot indices from DGETRF), B(LDB,NRHS) (on
/// exit X), LDB (>= max(1,N)), INFO: 0 success; < 0: argument -INFO
/// illegal (XERBLA('DGETRS', -INFO)).
///
/// # Safety
/// As for reference DGETRS.
#[no_mangle]
pub unsafe extern "C" fn dgetrs_(
    trans: *const c_char,
    n: *const c_int,
    nrhs: *const c_int,
    a: *const f64,
    lda: *const c_int,
    ipiv: *const c_int,
    b: *mut f64,
    ldb: *const c_int,
    info: *mut c_int,
    trans_len: usize,
) {
    // The hidden CHARACTER length is not read: only the first character
    // matters, and C callers of the Fortran ABI often omit it.
    let _ = trans_len;
    guarded("DGETRS", info, || {
        // SAFETY: the caller's CHARACTER argument (or null).
        let t = unsafe { read_char(trans) };
        let (n, nrhs, lda, ldb) = (int(n, -1), int(nrhs, -1), int(lda, 0), int(ldb, 0));
        let err = check::dgetrs(t, n, nrhs, lda, ldb);
        // SAFETY: INFO is the caller's.
        unsafe { set_info(info, err) };
        if err != 0 {
            xerbla::report("DGETRS", -err);
            return;
        }
        if n == 0 || nrhs == 0 {
            return;
        }
        let (nf, rf) = (n as f64, nrhs as f64);
        let call = Call {
            routine: Routine::Dgetrs,
            describe: || format!("trans={} n={n} nrhs={nrhs} lda={lda} ldb={ldb}", t as char),
            flops: 2.0 * nf * nf * rf,
            // The factors up; B up and X back.
            bytes: 8.0 * nf * (nf + 2.0 * rf),
            launches: 1.0,
        };
        let tc = t as c_char;
        // SAFETY: legal arguments; the caller's arrays; hidden length 1.
        let cpu = move || unsafe { (CPU.dgetrs.f)(&tc, &n, &nrhs, a, &lda, ipiv, b, &ldb, info, 1) };
        let transposed = !check::lsame(t, b'N');
        let (nu, ru) = (n as usize, nrhs as usize);
        let gpu = lu_path(
            // SAFETY: legal arguments; arrays valid for them (caller).
            move || unsafe { lu::dgetrs_host(transposed, nu, ru, a, lda as usize, ipiv, b, ldb as usize) },
            |()| {},
            cpu,
            // DGETRS writes no factors.
            |_, _, _| {},
            // SAFETY: the columns of B from `first` on are the caller's.
            move |_, first| unsafe { cpu_getrs(tc, n, nrhs, a, lda, ipiv, b, ldb, first, info) },
        );
        dispatch::run(call, cpu, Some(gpu));
    });
}

/// The CPU LAPACK's DGETRS on columns `first..nrhs` of B (the rest of a
/// solve whose first columns the GPU wrote).
///
/// # Safety
/// Legal DGETRS arguments; arrays valid for them.
#[allow(clippy::too_many_arguments)]
unsafe fn cpu_getrs(
    trans: c_char, n: c_int, nrhs: c_int, a: *const f64, lda: c_int, ipiv: *const c_int, b: *mut f64, ldb: c_int,
    first: usize, info: *mut c_int,
) {
    let rest = nrhs - first as c_int;
    if rest > 0 {
        let mut cpu_info = 0;
        // SAFETY: the caller's guarantee; columns first.. of B lie inside
        // it; hidden length 1.
        unsafe {
            (CPU.dgetrs.f)(&trans, &n, &rest, a, &lda, ipiv, b.add(first * ldb as usize), &ldb, &mut cpu_info, 1);
            set_info(info, cpu_info);
        }
    }
}

/// Approximate flops of an SVD (LAPACK Users' Guide, table 3.13 style):
/// values only 4mn^2 - 4n^3/3 (m >= n), with vectors about 4m^2n + 8mn^2 + 9n^3.
fn svd_flops(m: i32, n: i32, vectors: bool) -> f64 {
    let (big, small) = (m.max(n) as f64, m.min(n) as f64);
    if vectors {
        4.0 * big * big * small + 8.0 * big * small * small + 9.0 * small.powi(3)
    } else {
        4.0 * big * small * small - 4.0 / 3.0 * small.powi(3)
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
    let vectors = !(check::lsame(ju as u8, b'N') && check::lsame(jv as u8, b'N'));
    let call = Call {
        routine,
        describe: || {
            format!(
                "jobu={} jobvt={} m={m} n={n} lda={lda} ldu={ldu} ldvt={ldvt} lwork={lwork}",
                ju as u8 as char, jv as u8 as char
            )
        },
        flops: svd_flops(m, n, vectors),
        bytes: svd_bytes(m, n, vectors),
        launches: svd_launches(m, n),
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

/// Bytes the GPU SVD moves: A up, U and Vᵀ down.
fn svd_bytes(m: i32, n: i32, vectors: bool) -> f64 {
    let (big, small) = (m.max(n) as f64, m.min(n) as f64);
    8.0 * (big * small + if vectors { big * big + small * small } else { 0.0 })
}

/// Synchronous round trips of the GPU SVD: two per band panel of its
/// stage 1 (16 columns, src/gpu/svd.rs). The host's work between them
/// (panel QRs, the chase, the bidiagonal SVD) is not counted: it makes
/// tall values-only problems slower on the GPU path than on a 16-core
/// CPU's LAPACK (0.86x at 16384 x 1024 on the H100 machine), which the
/// model does not see.
fn svd_launches(m: i32, n: i32) -> f64 {
    2.0 * (m.min(n) as f64 / 16.0).ceil() + 1.0
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
/// XERBLA('DGESVDOCL', -INFO)). Routed as `dgesvd_` is (src/gpu/svd.rs
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
        let vectors = !check::lsame(jz as u8, b'N');
        let call = Call {
            routine: Routine::Dgesdd,
            describe: || format!("jobz={} m={m} n={n} lda={lda} ldu={ldu} ldvt={ldvt} lwork={lwork}", jz as u8 as char),
            flops: svd_flops(m, n, vectors),
            bytes: svd_bytes(m, n, vectors),
            launches: svd_launches(m, n),
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
