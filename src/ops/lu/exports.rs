//! `dgesv_`, `dgetrf_`, `dgetrs_` (Fortran ABI, LP64 integers, gfortran's
//! hidden CHARACTER lengths): their arguments read and checked as
//! reference LAPACK checks them, and each call routed: to the CPU LAPACK's
//! routine, or to the GPU LU ([`super::gpu`]), whose failures the CPU
//! finishes from where they left the caller's arrays.

use super::{check, cost, gpu as lu};
use crate::abi::{guarded, int, read_char, set_info};
use crate::dispatch::{self, Call, GpuPath, Routine};
use crate::engine::cpu::{xerbla, CPU};
use crate::ops::lsame;
use std::os::raw::{c_char, c_int};

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
) -> impl GpuPath<'a, ()> {
    move || match run() {
        Ok(result) => {
            done(result);
            Ok(())
        }
        Err(lu::LuFailure::Untouched(error)) => Err((error, Box::new(cpu) as Box<dyn FnOnce()>)),
        Err(lu::LuFailure::Factors { error, done, ipiv, info }) => {
            Err((error, Box::new(move || finish_factors(done, ipiv, info)) as Box<dyn FnOnce()>))
        }
        Err(lu::LuFailure::Solve { error, info, done }) => Err((error, Box::new(move || solve_rest(info, done)) as Box<dyn FnOnce()>)),
    }
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
        let (flops, bytes, launches) = cost::dgesv(n, nrhs);
        let call = Call {
            routine: Routine::Dgesv,
            describe: || format!("n={n} nrhs={nrhs} lda={lda} ldb={ldb}"),
            flops,
            bytes,
            launches,
            adjust: Some(cost::adjust),
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
        let (flops, bytes, launches) = cost::dgetrf(m, n);
        let call = Call {
            routine: Routine::Dgetrf,
            describe: || format!("m={m} n={n} lda={lda}"),
            flops,
            bytes,
            launches,
            adjust: Some(cost::adjust),
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
        let (flops, bytes, launches) = cost::dgetrs(n, nrhs);
        let call = Call {
            routine: Routine::Dgetrs,
            describe: || format!("trans={} n={n} nrhs={nrhs} lda={lda} ldb={ldb}", t as char),
            flops,
            bytes,
            launches,
            adjust: None,
        };
        let tc = t as c_char;
        // SAFETY: legal arguments; the caller's arrays; hidden length 1.
        let cpu = move || unsafe { (CPU.dgetrs.f)(&tc, &n, &nrhs, a, &lda, ipiv, b, &ldb, info, 1) };
        let transposed = !lsame(t, b'N');
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
