//! `lapack_ai_dgesvdocl`: the GPU SVD in LAPACKE's style (matrix layout
//! first, values not pointers, workspace allocated inside, INFO as the
//! return value).

use super::check;
use crate::ops::lsame;
use super::exports::gesvd_checked;
use crate::abi::capi::{LAPACK_AI_COL_MAJOR, LAPACK_AI_ROW_MAJOR, LAPACK_AI_WORK_MEMORY_ERROR};
use crate::abi::{boundary, LAPACK_AI_INFO_INTERNAL_ERROR};
use crate::dispatch::Routine;
use std::os::raw::{c_char, c_int};

/// Transposes `rows x cols` from `src` (leading dimension `lds`) into `dst`
/// (leading dimension `ldd`): element (i, j) of the column-major `src` goes
/// to (j, i) of the column-major `dst`. Used for row-major input and output,
/// as LAPACKE does.
fn transpose(rows: usize, cols: usize, src: &[f64], lds: usize, dst: &mut [f64], ldd: usize) {
    for j in 0..cols {
        for i in 0..rows {
            dst[i * ldd + j] = src[j * lds + i];
        }
    }
}

/// DGESVDOCL in LAPACKE's style: the singular value decomposition
/// A = U * SIGMA * V**T of an M-by-N matrix, on the GPU when it is routed
/// there, with the workspace allocated inside.
///
/// Arguments as LAPACKE_dgesvd: `matrix_layout` (LAPACK_AI_ROW_MAJOR or
/// LAPACK_AI_COL_MAJOR), `jobu`, `jobvt` ('A', 'S', 'O', 'N'; not both 'O'),
/// `m`, `n`, `a` with leading dimension `lda`, `s` (min(m,n)), `u`/`ldu`,
/// `vt`/`ldvt`, `superb` (min(m,n)-1: on INFO > 0, the unconverged
/// superdiagonal elements, as DGESVD leaves them in WORK(2:min(m,n))).
///
/// Returns INFO: 0 success; -i: argument i of this function is illegal (-6
/// also when A contains NaN; a required array that is null is illegal too);
/// positive: DBDSQR did not converge; LAPACK_AI_WORK_MEMORY_ERROR; or
/// LAPACK_AI_INFO_INTERNAL_ERROR. XERBLA is not called: errors come back as
/// INFO (an internal error also prints one line on stderr).
///
/// # Safety
/// As for LAPACKE_dgesvd: arrays valid for the dimensions and leading
/// dimensions given.
#[no_mangle]
pub unsafe extern "C" fn lapack_ai_dgesvdocl(
    matrix_layout: c_int,
    jobu: c_char,
    jobvt: c_char,
    m: c_int,
    n: c_int,
    a: *mut f64,
    lda: c_int,
    s: *mut f64,
    u: *mut f64,
    ldu: c_int,
    vt: *mut f64,
    ldvt: c_int,
    superb: *mut f64,
) -> c_int {
    boundary("lapack_ai_dgesvdocl", || {
        // SAFETY: the caller's arguments, as documented above.
        unsafe { dgesvdocl_lapacke(matrix_layout, jobu as u8, jobvt as u8, m, n, a, lda, s, u, ldu, vt, ldvt, superb) }
    })
    .unwrap_or(LAPACK_AI_INFO_INTERNAL_ERROR)
}

/// # Safety
/// As for [`lapack_ai_dgesvdocl`].
#[allow(clippy::too_many_arguments)]
unsafe fn dgesvdocl_lapacke(
    layout: c_int,
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
    superb: *mut f64,
) -> c_int {
    let row_major = match layout {
        LAPACK_AI_COL_MAJOR => false,
        LAPACK_AI_ROW_MAJOR => true,
        _ => return -1,
    };
    let wantu = lsame(ju, b'A') || lsame(ju, b'S');
    let wantvt = lsame(jv, b'A') || lsame(jv, b'S');
    let minmn = m.min(n).max(0);
    // Shapes of U and VT as stored (LAPACKE_dgesvd).
    let nrows_u = if wantu { m } else { 1 };
    let ncols_u = if lsame(ju, b'A') { m } else if lsame(ju, b'S') { minmn } else { 1 };
    let nrows_vt = if lsame(jv, b'A') { n } else if lsame(jv, b'S') { minmn } else { 1 };

    // The column-major call DGESVD receives, and its argument checks
    // (LWORK = -1: the workspace is ours to size). Fortran argument k is
    // argument k + 1 here.
    let (f_lda, f_ldu, f_ldvt) = if row_major {
        if lda < n {
            return -7;
        }
        if ldu < ncols_u {
            return -10;
        }
        if ldvt < n {
            return -12;
        }
        (m.max(1), nrows_u.max(1), nrows_vt.max(1))
    } else {
        (lda, ldu, ldvt)
    };
    let err = check::dgesvd(ju, jv, m, n, f_lda, f_ldu, f_ldvt, -1);
    if err != 0 {
        return err - 1;
    }
    let (mu, nu) = (m as usize, n as usize);
    if (mu * nu > 0 && a.is_null()) || (minmn > 0 && s.is_null()) {
        return if a.is_null() { -6 } else { -8 };
    }
    if minmn > 0 && ((wantu && u.is_null()) || (wantvt && vt.is_null()) || (minmn > 1 && superb.is_null())) {
        return if wantu && u.is_null() { -9 } else if wantvt && vt.is_null() { -11 } else { -13 };
    }
    let a_len = if row_major { mu.saturating_sub(1) * lda as usize + nu } else { nu.saturating_sub(1) * lda as usize + mu };
    // SAFETY: A holds m x n elements with leading dimension lda (checked
    // legal above), as the caller guarantees.
    let a_in: &mut [f64] = if mu * nu == 0 { &mut [] } else { unsafe { std::slice::from_raw_parts_mut(a, a_len) } };
    let has_nan = mu * nu > 0 && if row_major {
        (0..mu).any(|i| a_in[i * lda as usize..i * lda as usize + nu].iter().any(|x| x.is_nan()))
    } else {
        (0..nu).any(|j| a_in[j * lda as usize..j * lda as usize + mu].iter().any(|x| x.is_nan()))
    };
    if has_nan {
        return -6;
    }

    // Column-major copies for row-major data (as LAPACKE_dgesvd_work).
    let mut a_t = Vec::new();
    let mut u_t = Vec::new();
    let mut vt_t = Vec::new();
    let (fa, fu, fvt) = if row_major {
        a_t.resize(f_lda as usize * nu.max(1), 0.0);
        transpose(nu, mu, a_in, lda as usize, &mut a_t, f_lda as usize);
        if wantu {
            u_t.resize(f_ldu as usize * ncols_u.max(1) as usize, 0.0);
        }
        if wantvt {
            vt_t.resize(f_ldvt as usize * nu.max(1), 0.0);
        }
        let ptr = |v: &mut Vec<f64>, fallback: *mut f64| if v.is_empty() { fallback } else { v.as_mut_ptr() };
        (a_t.as_mut_ptr(), ptr(&mut u_t, u), ptr(&mut vt_t, vt))
    } else {
        (a, u, vt)
    };

    let mut info: c_int = 0;
    let mut query = 0.0f64;
    // SAFETY: arguments checked above; fa/fu/fvt are the caller's arrays or
    // our copies of the same shapes; WORK is one element for the query.
    unsafe {
        gesvd_checked(Routine::Dgesvdocl, ju, jv, m, n, fa, f_lda, s, fu, f_ldu, fvt, f_ldvt, &mut query, -1, &mut info)
    };
    if info != 0 {
        return if info < 0 { info - 1 } else { info };
    }
    let lwork = (query as usize).max(1);
    let mut work = Vec::new();
    if work.try_reserve_exact(lwork).is_err() {
        return LAPACK_AI_WORK_MEMORY_ERROR;
    }
    work.resize(lwork, 0.0);
    // SAFETY: as above, with WORK of the size the query asked for.
    unsafe {
        gesvd_checked(
            Routine::Dgesvdocl, ju, jv, m, n, fa, f_lda, s, fu, f_ldu, fvt, f_ldvt, work.as_mut_ptr(), lwork as c_int,
            &mut info,
        )
    };
    if info < 0 {
        return info - 1;
    }
    if row_major {
        // A back (it holds U or VT for job 'O', and is overwritten anyway).
        transpose(mu, nu, &a_t, f_lda as usize, a_in, lda as usize);
        if wantu && mu > 0 && ncols_u > 0 {
            let len = (mu - 1) * ldu as usize + ncols_u as usize;
            // SAFETY: U is m x ncols_u with leading dimension ldu >= ncols_u.
            let u_out = unsafe { std::slice::from_raw_parts_mut(u, len) };
            transpose(mu, ncols_u as usize, &u_t, f_ldu as usize, u_out, ldu as usize);
        }
        if wantvt && nrows_vt > 0 && nu > 0 {
            let len = (nrows_vt as usize - 1) * ldvt as usize + nu;
            // SAFETY: VT is nrows_vt x n with leading dimension ldvt >= n.
            let vt_out = unsafe { std::slice::from_raw_parts_mut(vt, len) };
            transpose(nrows_vt as usize, nu, &vt_t, f_ldvt as usize, vt_out, ldvt as usize);
        }
    }
    for i in 0..(minmn as usize).saturating_sub(1) {
        // SAFETY: superb holds min(m,n)-1 elements (checked non-null).
        unsafe { *superb.add(i) = work[i + 1] };
    }
    info
}
