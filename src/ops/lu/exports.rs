//! `dgesv_`, `dgetrf_`, `dgetrs_` (Fortran ABI, LP64 integers, gfortran's
//! hidden CHARACTER lengths): their arguments read and checked as
//! reference LAPACK checks them, and each call routed: to the CPU LAPACK's
//! routine, or to the GPU LU ([`super::gpu`]), whose failures the CPU
//! finishes from where they left the caller's arrays.

use super::{check, cost, gpu as lu};
use crate::abi::{guarded, int, read_char, set_info};
use crate::dispatch::{self, Call, GpuPath, Routine};
use crate::engine::cpu::{on_views, xerbla};
use crate::matrix::{MatMut, MatRef};
use crate::ops::lsame;
use std::os::raw::{c_char, c_int};

/// The arrays of a DGESV or DGETRF call (no B for DGETRF), as views.
struct Factor<'a> {
    a: MatMut<'a>,
    ipiv: &'a mut [c_int],
    b: Option<MatMut<'a>>,
}

/// The arrays of a DGETRS call.
struct Solve<'a> {
    trans: u8,
    a: MatRef<'a>,
    ipiv: &'a [c_int],
    b: MatMut<'a>,
}

impl Factor<'_> {
    /// The whole call on the CPU LAPACK; INFO.
    fn on_cpu(&mut self) -> c_int {
        match &mut self.b {
            Some(b) => on_views::dgesv(self.a.rb_mut(), self.ipiv, b.rb_mut()),
            None => on_views::dgetrf(self.a.rb_mut(), self.ipiv),
        }
    }

    /// The factorization finished on the CPU from the first `done` columns
    /// the device wrote (`lu::finish_factors`), then X for DGESV; INFO.
    fn finish(&mut self, done: usize, dev_ipiv: &[i32], dev_info: c_int) -> c_int {
        let info = lu::finish_factors(self.a.rb_mut(), self.ipiv, done, dev_ipiv, dev_info);
        match &mut self.b {
            Some(b) if info == 0 => on_views::dgetrs(b'N', self.a.rb(), self.ipiv, b.rb_mut()),
            _ => info,
        }
    }

    /// X's columns from `first` on, by the CPU's DGETRS with the factors
    /// in A and IPIV (the device wrote the others); INFO.
    fn solve_rest(&mut self, first: usize) -> c_int {
        match &mut self.b {
            Some(b) => rest_of_solve(b'N', self.a.rb(), self.ipiv, b, first),
            None => 0,
        }
    }
}

impl Solve<'_> {
    /// The whole call on the CPU LAPACK; INFO.
    fn on_cpu(&mut self) -> c_int {
        on_views::dgetrs(self.trans, self.a, self.ipiv, self.b.rb_mut())
    }
}

/// The CPU LAPACK's DGETRS on columns `first..` of B (the rest of a solve
/// whose first columns the GPU wrote); INFO.
fn rest_of_solve(trans: u8, a: MatRef<'_>, ipiv: &[c_int], b: &mut MatMut<'_>, first: usize) -> c_int {
    let (n, nrhs) = (b.rows(), b.cols());
    if first >= nrhs {
        return 0;
    }
    on_views::dgetrs(trans, a, ipiv, b.sub_mut(0, first, n, nrhs - first))
}

/// The GPU path of an LU routine on its arrays `A` ([`lu::LuFailure`] says
/// how far a failure got): `run` computes on the GPU and returns INFO; a
/// failure before anything was written hands the whole call to `cpu`; one
/// while the factors were being written has the CPU finish the
/// factorization from the columns written (`finish(args, first column,
/// device's IPIV, device's INFO)`); one after the factors (and part of X)
/// were written solves for the rest of X with the CPU's DGETRS
/// (`solve_rest(args, first column)`). Each returns INFO.
fn lu_path<'a, A: 'a>(
    run: impl FnOnce(&mut A) -> Result<c_int, lu::LuFailure>,
    cpu: fn(&mut A) -> c_int,
    finish: fn(&mut A, usize, &[i32], c_int) -> c_int,
    solve_rest: fn(&mut A, usize) -> c_int,
) -> impl GpuPath<'a, A, c_int> {
    move |args: &mut A| match run(args) {
        Ok(info) => Ok(info),
        Err(lu::LuFailure::Untouched(error)) => Err(dispatch::failure(error, cpu)),
        Err(lu::LuFailure::Factors { error, done, ipiv, info }) => {
            Err(dispatch::failure(error, move |args: &mut A| finish(args, done, &ipiv, info)))
        }
        Err(lu::LuFailure::Solve { error, info, done }) => Err(dispatch::failure(error, move |args: &mut A| {
            let rest = solve_rest(args, done);
            if rest != 0 {
                rest
            } else {
                info
            }
        })),
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
            shape: crate::dispatch::cost::rhs_shape(nrhs),
            shape_name: crate::dispatch::cost::factor_shape_name,
            adjust: Some(cost::adjust),
        };
        let (nu, ru) = (n as usize, nrhs as usize);
        // SAFETY: the arguments passed DGESV's checks: A is n x n and B
        // n x nrhs with their leading dimensions, IPIV holds n entries
        // (n > 0 here), and LAPACK's rule that the arrays of one call do
        // not overlap.
        let mut args = unsafe {
            Factor {
                a: MatMut::from_raw(a, nu, nu, lda as usize),
                ipiv: std::slice::from_raw_parts_mut(ipiv, nu),
                b: Some(MatMut::from_raw(b, nu, ru, ldb as usize)),
            }
        };
        let gpu = lu_path(
            |f: &mut Factor| lu::dgesv_host(f.a.rb_mut(), f.ipiv, f.b.as_mut().expect("DGESV has B").rb_mut()),
            Factor::on_cpu,
            Factor::finish,
            Factor::solve_rest,
        );
        let result = dispatch::run(call, &mut args, Factor::on_cpu, Some(gpu));
        // SAFETY: INFO is the caller's.
        unsafe { set_info(info, result) };
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
            shape: crate::dispatch::cost::aspect_shape(m, n),
            shape_name: crate::dispatch::cost::factor_shape_name,
            adjust: Some(cost::adjust),
        };
        let (mu, nu) = (m as usize, n as usize);
        // SAFETY: the arguments passed DGETRF's checks: A is m x n with its
        // leading dimension, IPIV holds min(m, n) entries (> 0 here).
        let mut args = unsafe {
            Factor {
                a: MatMut::from_raw(a, mu, nu, lda as usize),
                ipiv: std::slice::from_raw_parts_mut(ipiv, mu.min(nu)),
                b: None,
            }
        };
        let gpu = lu_path(|f: &mut Factor| lu::dgetrf_host(f.a.rb_mut(), f.ipiv), Factor::on_cpu, Factor::finish, Factor::solve_rest);
        let result = dispatch::run(call, &mut args, Factor::on_cpu, Some(gpu));
        // SAFETY: INFO is the caller's.
        unsafe { set_info(info, result) };
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
            shape: crate::dispatch::cost::rhs_shape(nrhs),
            shape_name: crate::dispatch::cost::factor_shape_name,
            adjust: None,
        };
        let (nu, ru) = (n as usize, nrhs as usize);
        // SAFETY: the arguments passed DGETRS's checks: A is n x n and B
        // n x nrhs with their leading dimensions, IPIV holds n entries
        // (n > 0 here); B overlaps neither A nor IPIV.
        let mut args = unsafe {
            Solve {
                trans: t,
                a: MatRef::from_raw(a, nu, nu, lda as usize),
                ipiv: std::slice::from_raw_parts(ipiv, nu),
                b: MatMut::from_raw(b, nu, ru, ldb as usize),
            }
        };
        let gpu = lu_path(
            |s: &mut Solve| lu::dgetrs_host(!lsame(s.trans, b'N'), s.a, s.ipiv, s.b.rb_mut()).map(|()| 0),
            Solve::on_cpu,
            // DGETRS writes no factors: no such failure.
            |s, _, _, _| s.on_cpu(),
            |s, first| rest_of_solve(s.trans, s.a, s.ipiv, &mut s.b, first),
        );
        let result = dispatch::run(call, &mut args, Solve::on_cpu, Some(gpu));
        // SAFETY: INFO is the caller's.
        unsafe { set_info(info, result) };
    });
}
