//! Reporting illegal arguments the way the process expects: through its own
//! `xerbla_` (Fortran) or `cblas_xerbla` (CBLAS), which test suites and
//! applications override to capture errors (the netlib test programs do:
//! tests/netlib/run_suites.sh). Both are looked up
//! once, at the first error. A process that has neither gets reference
//! LAPACK's message on stderr, and the routine returns (reference XERBLA
//! would then STOP the program; a library must not).

use super::resolve::next_in_process;
use once_cell::sync::Lazy;
use std::ffi::CString;
use std::io::Write;
use std::os::raw::{c_char, c_int, c_void};

type XerblaFn = unsafe extern "C" fn(srname: *const c_char, info: *const c_int, srname_len: usize);
type CblasXerblaFn = unsafe extern "C" fn(p: c_int, rout: *const c_char, form: *const c_char, ...);

fn find(name: &str) -> Option<*mut c_void> {
    let c_name = CString::new(name).expect("no NUL in symbol names");
    // SAFETY: RTLD_DEFAULT is a valid pseudo-handle; c_name is valid.
    let addr = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c_name.as_ptr()) };
    if !addr.is_null() {
        return Some(addr);
    }
    next_in_process(name).map(|f| f.addr)
}

extern "C" {
    // csrc/netlib_xerbla.c: the load-time bindings of the weak references.
    fn lapack_ai_weak_xerbla() -> *mut c_void;
    fn lapack_ai_weak_cblas_xerbla() -> *mut c_void;
}

/// An illegal CBLAS argument, as reference CBLAS reports it:
/// `cblas_xerbla(position, "cblas_dgemm", form, value)` with the global
/// `RowMajorStrg` set for a row-major call.
///
/// For errors that the Fortran DGEMM it calls detects, reference passes the
/// Fortran position plus one; in row-major order that is the position in
/// the swapped call, and `cblas_xerbla` itself maps it back (M<->N,
/// LDA<->LDB) when `RowMajorStrg` is set. Test suites rely on exactly this
/// protocol, so it is kept; [`CblasError::user_position`] is the position
/// in the caller's own argument list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CblasError {
    pub position: i32,
    pub form: &'static str,
    pub value: i32,
    pub row_major: bool,
}

impl CblasError {
    /// The position in the caller's argument list of `cblas_dgemm` (what
    /// reference `cblas_xerbla` prints).
    pub fn user_position(&self) -> i32 {
        self.user_position_in("cblas_dgemm")
    }

    /// The position in the caller's argument list of the CBLAS routine
    /// `rout`: reference `cblas_xerbla`'s row-major mapping for the Level-3
    /// routines (GEMM: M<->N, LDA<->LDB; SYMM, HEMM: M<->N; TRMM, TRSM:
    /// M<->N at 6, 7; the rank-k updates keep their positions).
    pub fn user_position_in(&self, rout: &str) -> i32 {
        if !self.row_major {
            return self.position;
        }
        let swaps: &[(i32, i32)] = if rout.contains("gemm") {
            &[(4, 5), (9, 11)]
        } else if rout.contains("symm") || rout.contains("hemm") {
            &[(4, 5)]
        } else if rout.contains("trmm") || rout.contains("trsm") {
            &[(6, 7)]
        } else {
            &[]
        };
        let p = self.position;
        swaps.iter().find_map(|&(x, y)| if p == x { Some(y) } else if p == y { Some(x) } else { None }).unwrap_or(p)
    }
}

static XERBLA: Lazy<Option<XerblaFn>> = Lazy::new(|| {
    // SAFETY: returns a resolved address or NULL.
    let weak = unsafe { lapack_ai_weak_xerbla() };
    let f = if weak.is_null() { find("xerbla_")? } else { weak };
    // SAFETY: a symbol named xerbla_ is LAPACK's XERBLA(SRNAME, INFO).
    Some(unsafe { std::mem::transmute::<*mut c_void, XerblaFn>(f) })
});

static CBLAS_XERBLA: Lazy<Option<CblasXerblaFn>> = Lazy::new(|| {
    // SAFETY: returns a resolved address or NULL.
    let weak = unsafe { lapack_ai_weak_cblas_xerbla() };
    let f = if weak.is_null() { find("cblas_xerbla")? } else { weak };
    // SAFETY: a symbol named cblas_xerbla is CBLAS's
    // void cblas_xerbla(int p, const char *rout, const char *form, ...).
    Some(unsafe { std::mem::transmute::<*mut c_void, CblasXerblaFn>(f) })
});

/// Reports that argument `info` (1-based) of `srname` was illegal, as
/// `CALL XERBLA(SRNAME, INFO)` does. `srname` is passed exactly as
/// reference LAPACK passes it ("DGEMM ", "DGESVD").
pub fn report(srname: &str, info: i32) {
    match *XERBLA {
        Some(xerbla) => {
            // SAFETY: the pointer and length describe srname's bytes, which
            // outlive the call; info is a valid c_int.
            unsafe { xerbla(srname.as_ptr() as *const c_char, &info, srname.len()) }
        }
        None => {
            let _ = std::io::stderr().write_all(
                format!(" ** On entry to {} parameter number {info:2} had an illegal value\n", srname.trim_end())
                    .as_bytes(),
            );
        }
    }
}

/// The globals of reference CBLAS (`cblas_globals.c`) that its
/// `cblas_xerbla`, and the test suites' replacements for it, read.
static ROW_MAJOR_STRG: Lazy<Option<usize>> = Lazy::new(|| find("RowMajorStrg").map(|p| p as usize));

/// Reports an illegal argument of a CBLAS routine as reference CBLAS does:
/// `cblas_xerbla(position, rout, form, value)`, with the process's
/// `RowMajorStrg` set to 1 during the call for a row-major call and 0
/// after, as reference leaves it.
pub fn report_cblas(e: &CblasError, rout: &str) {
    let rout_c = CString::new(rout).expect("routine names have no NUL");
    let form_c = CString::new(e.form).expect("formats have no NUL");
    let Some(f) = *CBLAS_XERBLA else {
        let detail = e.form.replace("%d", &e.value.to_string());
        let _ = std::io::stderr().write_all(
            format!("Parameter {} to routine {rout} was incorrect\n{detail}", e.user_position_in(rout)).as_bytes(),
        );
        return;
    };
    let strg = ROW_MAJOR_STRG.map(|p| p as *mut c_int);
    if let Some(p) = strg {
        // SAFETY: RowMajorStrg is reference CBLAS's `int` global; the
        // process's CBLAS writes it unsynchronised the same way.
        unsafe { p.write_volatile(e.row_major as c_int) };
    }
    // Without RowMajorStrg, cblas_xerbla cannot map a row-major position
    // back: give it the caller's own.
    let position = if strg.is_some() { e.position } else { e.user_position_in(rout) };
    // SAFETY: both strings are NUL-terminated and outlive the call; the
    // format consumes at most the one int passed.
    unsafe { f(position, rout_c.as_ptr(), form_c.as_ptr(), e.value as c_int) };
    if let Some(p) = strg {
        // SAFETY: as above.
        unsafe { p.write_volatile(0) };
    }
}

/// XERBLA of the bundled copy (csrc/netlib_xerbla.c): reached only if an
/// illegal argument got past our checks; reported like any other.
///
/// # Safety
/// `srname` is null or points to `len` readable bytes (the Fortran caller's
/// CHARACTER argument).
pub unsafe extern "C" fn from_bundled(srname: *const c_char, len: usize, info: c_int) {
    let name = if srname.is_null() {
        String::from("?")
    } else {
        // SAFETY: the Fortran caller passes `len` readable bytes.
        let bytes = unsafe { std::slice::from_raw_parts(srname as *const u8, len) };
        String::from_utf8_lossy(bytes).into_owned()
    };
    let _ = std::panic::catch_unwind(|| report(&name, info));
}

