//! `dgeqrf_` (Fortran ABI, LP64 integers): its arguments read and checked
//! as reference LAPACK checks them, and each call routed: to the CPU
//! LAPACK's routine, or to the GPU QR ([`super::gpu`]), which writes the
//! caller's A and TAU only once it has succeeded.

use super::{check, cost, gpu as qr};
use crate::abi::{guarded, int, set_info};
use crate::dispatch::{self, Call, Routine};
use crate::engine::cpu::{xerbla, CPU};
use crate::matrix::MatMut;
use std::os::raw::c_int;

/// Reference DGEQRF's crossover to unblocked code (ILAENV(3, 'DGEQRF')).
const REFERENCE_NX: usize = 128;

/// The arrays of a DGEQRF call.
struct Qr<'a> {
    a: MatMut<'a>,
    tau: &'a mut [f64],
    work: &'a mut [f64],
}

impl Qr<'_> {
    /// The whole call on the CPU LAPACK; INFO.
    fn on_cpu(&mut self) -> c_int {
        let (m, n, lda) = (self.a.rows() as c_int, self.a.cols() as c_int, self.a.ld() as c_int);
        let lwork = self.work.len() as c_int;
        let mut info = 0;
        // SAFETY: the caller's arrays, whose arguments passed DGEQRF's
        // checks: A m x n with its leading dimension, TAU min(m, n), WORK
        // LWORK entries.
        unsafe {
            (CPU.dgeqrf.f)(&m, &n, self.a.as_mut_ptr(), &lda, self.tau.as_mut_ptr(), self.work.as_mut_ptr(), &lwork, &mut info)
        };
        info
    }

    /// The GPU path; then WORK(1) as reference DGEQRF leaves it: N times
    /// the block size where it would use blocked code with a workspace of
    /// that size (a block size above 1 and below min(M, N), and min(M, N)
    /// above reference ILAENV's crossover, 128), else N; the block size
    /// from the CPU LAPACK's own workspace query. A CPU LAPACK whose ILAENV
    /// has another crossover would say otherwise for some orders: WORK(1)
    /// on exit is the one output of the GPU path that follows reference
    /// rather than the process's LAPACK.
    fn on_gpu(&mut self) -> Result<c_int, crate::engine::opencl::error::GpuError> {
        qr::dgeqrf_host(self.a.rb_mut(), self.tau)?;
        let (m, n) = (self.a.rows(), self.a.cols());
        let k = m.min(n);
        let (mi, ni, lda) = (m as c_int, n as c_int, self.a.ld() as c_int);
        let (mut query, mut info) = ([0.0f64], 0);
        // SAFETY: a workspace query (A and TAU not touched).
        unsafe { (CPU.dgeqrf.f)(&mi, &ni, self.a.as_mut_ptr(), &lda, self.tau.as_mut_ptr(), query.as_mut_ptr(), &-1, &mut info) };
        let nb = query[0] as usize / n.max(1);
        self.work[0] = if nb > 1 && nb < k && REFERENCE_NX < k { (n * nb) as f64 } else { n as f64 };
        Ok(0)
    }
}

/// DGEQRF computes a QR factorization of a real M-by-N matrix A: A = Q * R.
///
/// Arguments as reference DGEQRF: M, N (>= 0), A(LDA,N) (on exit R on and
/// above the diagonal, the Householder vectors below it), LDA
/// (>= max(1,M)), TAU(min(M,N)) (the reflectors' scalar factors),
/// WORK(max(1,LWORK)), LWORK (>= max(1,N) when M > 0, >= 1 otherwise; -1:
/// a workspace query, answered by the CPU LAPACK in WORK(1)), INFO: 0
/// success; < 0: argument -INFO illegal (XERBLA('DGEQRF', -INFO)).
///
/// # Safety
/// As for reference DGEQRF.
#[no_mangle]
pub unsafe extern "C" fn dgeqrf_(
    m: *const c_int,
    n: *const c_int,
    a: *mut f64,
    lda: *const c_int,
    tau: *mut f64,
    work: *mut f64,
    lwork: *const c_int,
    info: *mut c_int,
) {
    guarded("DGEQRF", info, || {
        let (m, n, lda, lw) = (int(m, -1), int(n, -1), int(lda, 0), int(lwork, 0));
        let err = check::dgeqrf(m, n, lda, lw);
        // SAFETY: INFO is the caller's.
        unsafe { set_info(info, err) };
        if err != 0 {
            xerbla::report("DGEQRF", -err);
            return;
        }
        if lw == -1 {
            // The query: the CPU LAPACK's own answer (its block size).
            // SAFETY: the caller's arguments, legal; a query reads only the
            // scalars and writes WORK(1).
            unsafe { (CPU.dgeqrf.f)(&m, &n, a, &lda, tau, work, &lw, info) };
            return;
        }
        let k = m.min(n);
        if k == 0 {
            // SAFETY: WORK holds LWORK >= 1 entries.
            unsafe { *work = 1.0 };
            return;
        }
        let (flops, bytes, launches) = cost::dgeqrf(m, n);
        let call = Call {
            routine: Routine::Dgeqrf,
            describe: || format!("m={m} n={n} lda={lda} lwork={lw}"),
            flops,
            bytes,
            launches,
            shape: crate::dispatch::cost::aspect_shape(m, n),
            shape_name: crate::dispatch::cost::factor_shape_name,
            adjust: Some(cost::adjust),
        };
        let (mu, nu) = (m as usize, n as usize);
        // SAFETY: the arguments passed DGEQRF's checks: A is m x n with its
        // leading dimension, TAU holds min(m, n) entries, WORK LWORK (> 0);
        // they do not overlap.
        let mut args = unsafe {
            Qr {
                a: MatMut::from_raw(a, mu, nu, lda as usize),
                tau: std::slice::from_raw_parts_mut(tau, k as usize),
                work: std::slice::from_raw_parts_mut(work, lw as usize),
            }
        };
        let gpu = |q: &mut _| Qr::on_gpu(q).map_err(|e| dispatch::failure(e, Qr::on_cpu));
        let result = dispatch::run(call, &mut args, Qr::on_cpu, Some(gpu));
        // SAFETY: INFO is the caller's.
        unsafe { set_info(info, result) };
    });
}
