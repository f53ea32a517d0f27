//! Finding the CPU routines in the process (see the module docs of `cpu`).

use super::CpuLapack;
use crate::runtime::config::CpuLibChoice;
use crate::runtime::warn::warn;
use std::ffi::{CStr, CString};
use std::os::raw::{c_int, c_void};
use std::path::Path;

/// A symbol found in some loaded object.
pub(crate) struct Found {
    pub addr: *mut c_void,
    pub provider: String,
}

pub fn resolve(choice: &CpuLibChoice) -> CpuLapack {
    let mut lapack = CpuLapack::bundled();
    if *choice == CpuLibChoice::Bundled {
        return lapack;
    }
    let configured = match choice {
        CpuLibChoice::Path(path) => open_private(path),
        _ => None,
    };
    for &symbol in CpuLapack::SYMBOLS {
        let found = configured
            .as_ref()
            .and_then(|(handle, name)| {
                let f = lookup(*handle, symbol, name);
                if f.is_none() {
                    warn(&format!("LAPACK_AI_CPU_LIB={name} does not define {symbol}; looking elsewhere"));
                }
                f
            })
            .or_else(|| next_in_process(symbol));
        if let Some(found) = found {
            // SAFETY: each symbol is the Fortran routine of that name, whose
            // ABI (LP64 integers, gfortran hidden lengths) the table gives;
            // a LAPACK built otherwise cannot be told apart here, as with
            // any program linked against it.
            unsafe { lapack.set(symbol, found) };
        }
    }
    lapack
}

/// `dlopen(path, RTLD_NOW | RTLD_LOCAL)`; the handle is kept for the life
/// of the process.
fn open_private(path: &Path) -> Option<(*mut c_void, String)> {
    let name = path.display().to_string();
    let Ok(c_path) = CString::new(name.clone()) else {
        warn(&format!("LAPACK_AI_CPU_LIB={name:?} is not a valid path; ignoring it"));
        return None;
    };
    // SAFETY: c_path is a valid C string; dlopen has no other precondition.
    let handle = unsafe { libc::dlopen(c_path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if handle.is_null() {
        warn(&format!("LAPACK_AI_CPU_LIB={name}: cannot load it ({}); ignoring it", dlerror()));
        return None;
    }
    Some((handle, name))
}

/// `dlsym(handle, name)`, unless it finds this library's own definition.
fn lookup(handle: *mut c_void, name: &str, provider: &str) -> Option<Found> {
    let c_name = CString::new(name).expect("symbol names have no NUL");
    // SAFETY: handle is a dlopen handle or a pseudo-handle; c_name is valid.
    let addr = unsafe { libc::dlsym(handle, c_name.as_ptr()) };
    if addr.is_null() || is_ours(addr) {
        return None;
    }
    let provider = object_name(addr).unwrap_or_else(|| provider.to_string());
    Some(Found { addr, provider })
}

/// The next definition after this library: `RTLD_NEXT`, then the other
/// loaded objects in load order.
pub(crate) fn next_in_process(name: &str) -> Option<Found> {
    if let Some(found) = lookup(libc::RTLD_NEXT, name, "next in process") {
        return Some(found);
    }
    for object in loaded_objects() {
        let Ok(c_obj) = CString::new(object.clone()) else { continue };
        // SAFETY: RTLD_NOLOAD only returns a handle to an object already
        // loaded; it loads nothing and runs no constructors.
        let handle = unsafe { libc::dlopen(c_obj.as_ptr(), libc::RTLD_LAZY | libc::RTLD_NOLOAD) };
        if handle.is_null() {
            continue;
        }
        let found = lookup(handle, name, &object);
        // SAFETY: balances the reference taken by the dlopen above; the
        // object stays loaded, as it was before.
        unsafe { libc::dlclose(handle) };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// Paths of the objects loaded in the process, in load order, without the
/// main program and the vDSO.
fn loaded_objects() -> Vec<String> {
    unsafe extern "C" fn collect(info: *mut libc::dl_phdr_info, _size: usize, data: *mut c_void) -> c_int {
        // SAFETY: dl_iterate_phdr passes a valid info for the duration of
        // the call, and data is the Vec passed below.
        let (info, names) = unsafe { (&*info, &mut *(data as *mut Vec<String>)) };
        if !info.dlpi_name.is_null() {
            // SAFETY: dlpi_name is a NUL-terminated string owned by ld.so.
            let name = unsafe { CStr::from_ptr(info.dlpi_name) }.to_string_lossy().into_owned();
            if !name.is_empty() && !name.contains("linux-vdso") {
                names.push(name);
            }
        }
        0
    }
    let mut names: Vec<String> = Vec::new();
    // SAFETY: collect matches the callback type and only touches `names`.
    unsafe { libc::dl_iterate_phdr(Some(collect), &mut names as *mut Vec<String> as *mut c_void) };
    names
}

/// The base address of the object that holds `addr`, and its file name.
fn object_of(addr: *const c_void) -> Option<(*mut c_void, String)> {
    let mut info: libc::Dl_info = unsafe {
        // SAFETY: Dl_info is plain data; all-zero is a valid value.
        std::mem::zeroed()
    };
    // SAFETY: dladdr only reads the process's link map.
    if unsafe { libc::dladdr(addr, &mut info) } == 0 {
        return None;
    }
    let name = if info.dli_fname.is_null() {
        String::new()
    } else {
        // SAFETY: dli_fname is a NUL-terminated string owned by ld.so.
        unsafe { CStr::from_ptr(info.dli_fname) }.to_string_lossy().into_owned()
    };
    Some((info.dli_fbase, name))
}

fn is_ours(addr: *const c_void) -> bool {
    let ours = object_of(resolve as *const c_void).map(|(base, _)| base);
    ours.is_some() && object_of(addr).map(|(base, _)| base) == ours
}

/// The path of the object defining `addr`, links resolved (Debian's
/// alternatives make `libblas.so.3` reference BLAS or OpenBLAS).
fn object_name(addr: *const c_void) -> Option<String> {
    let path = object_of(addr).map(|(_, path)| path).filter(|p| !p.is_empty())?;
    Some(std::fs::canonicalize(&path).map_or(path, |p| p.display().to_string()))
}

fn dlerror() -> String {
    // SAFETY: dlerror returns NULL or a NUL-terminated message.
    let msg = unsafe { libc::dlerror() };
    if msg.is_null() {
        "unknown error".into()
    } else {
        // SAFETY: non-null, NUL-terminated, valid until the next dl* call.
        unsafe { CStr::from_ptr(msg) }.to_string_lossy().into_owned()
    }
}

