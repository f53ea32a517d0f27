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
    // A configured library that names its routines otherwise (NumPy's
    // wheels' OpenBLAS) is called under its own names.
    let configured_renamed = configured.as_ref().and_then(|(handle, name)| {
        lookup(*handle, "dgetrf_", name)
            .is_none()
            .then(|| RENAMED.iter().find_map(|&(prefix, suffix)| library(*handle, name, prefix, suffix)))
            .flatten()
    });
    let mut machine = Machine::default();
    for &symbol in CpuLapack::SYMBOLS {
        let found = configured
            .as_ref()
            .and_then(|(handle, name)| {
                let f = match &configured_renamed {
                    Some(library) => library.find(symbol),
                    None => lookup(*handle, symbol, name),
                };
                if f.is_none() {
                    warn(&format!("LAPACK_AI_CPU_LIB={name} does not define {symbol}; looking elsewhere"));
                }
                f
            })
            .or_else(|| next_in_process(symbol))
            .or_else(|| machine.find(symbol));
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

/// The names a LAPACK may give its routines besides the plain ones, as
/// (prefix, suffix) of the Fortran symbol: NumPy's wheels (2.x) carry
/// OpenBLAS as `scipy_dgesdd_64_`, NumPy 1.x as `dgesdd_64_`, SciPy's
/// wheels as `scipy_dgesdd_`. The integer width is not taken from the name
/// but measured ([`integer_width`]).
const RENAMED: &[(&str, &str)] = &[("scipy_", "64_"), ("", "64_"), ("scipy_", "")];

/// The machine's LAPACKs, best first, opened (by soname, through the
/// loader's search path) when the process itself has no routine of that
/// name: OpenBLAS (Fedora's threaded builds, then the one most
/// distributions install), FlexiBLAS (which routes to the backend its own
/// configuration names), MKL, libFLAME (BLIS's LAPACK), and last the
/// system's `liblapack.so.3`, which may be reference LAPACK over an
/// optimized BLAS (Debian's default) or an optimized LAPACK.
const SYSTEM: &[&str] = &[
    "libopenblasp.so.0",
    "libopenblaso.so.0",
    "libopenblas.so.0",
    "libflexiblas.so.3",
    "libmkl_rt.so.2",
    "libmkl_rt.so",
    "libflame.so.1",
    "libflame.so",
    "liblapack.so.3",
];

/// A LAPACK the process has under other names, or one this library
/// opened: where to find a routine, and how to call it.
struct Library {
    handle: *mut c_void,
    name: String,
    prefix: &'static str,
    suffix: &'static str,
    ilp64: bool,
}

impl Library {
    fn find(&self, symbol: &str) -> Option<Found> {
        let renamed = format!("{}{symbol}{}", self.prefix, self.suffix);
        let found = lookup(self.handle, &renamed, &self.name)?;
        if !self.ilp64 {
            return Some(Found { provider: with_name(found.provider, symbol, &renamed, ""), ..found });
        }
        // SAFETY: the routine of that name in a library whose integers
        // integer_width measured at 64 bits.
        let shim = unsafe { super::ilp64::install(symbol, found.addr) }?;
        Some(Found { addr: shim, provider: with_name(found.provider, symbol, &renamed, "64-bit integers") })
    }
}

/// The provider's name for the log: the library's path, and the routine's
/// own name and integer width where they differ from the caller's.
fn with_name(provider: String, symbol: &str, renamed: &str, width: &str) -> String {
    match (renamed == symbol, width.is_empty()) {
        (true, true) => provider,
        (true, false) => format!("{provider} ({width})"),
        (false, true) => format!("{provider} ({renamed})"),
        (false, false) => format!("{provider} ({renamed}, {width})"),
    }
}

/// The LAPACKs beyond the process's plain names, looked at only for a
/// routine the process does not define: first those already loaded under
/// other names (NumPy's own OpenBLAS: what the program already uses), then
/// the machine's ([`SYSTEM`]), each opened only when the ones before it
/// lack a routine.
#[derive(Default)]
struct Machine {
    renamed: Option<Vec<Library>>,
    system: Vec<Library>,
    /// How many entries of [`SYSTEM`] were tried.
    tried: usize,
}

impl Machine {
    fn find(&mut self, symbol: &str) -> Option<Found> {
        let renamed = self.renamed.get_or_insert_with(renamed_in_process);
        if let Some(found) = renamed.iter().chain(&self.system).find_map(|l| l.find(symbol)) {
            return Some(found);
        }
        if !unlimited_memory() {
            return None;
        }
        while self.tried < SYSTEM.len() {
            let soname = SYSTEM[self.tried];
            self.tried += 1;
            if let Some(library) = open_system(soname) {
                let found = library.find(symbol);
                self.system.push(library);
                if found.is_some() {
                    return found;
                }
            }
        }
        None
    }
}

/// Whether the process may map memory without limit (RLIMIT_DATA and
/// RLIMIT_AS unlimited, as by default). Under a limit the machine's LAPACK
/// is not opened: OpenBLAS maps a buffer of 128 MiB per thread at its first
/// call and, when the limit refuses it, retries for ever (a 150 MB
/// `ulimit -d` hung `tests/robustness.sh`'s program, which the bundled
/// reference runs). A program that loaded its own LAPACK keeps it.
fn unlimited_memory() -> bool {
    [libc::RLIMIT_DATA, libc::RLIMIT_AS].iter().all(|&resource| {
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit writes the struct it is given.
        let ok = unsafe { libc::getrlimit(resource, &mut limit) } == 0;
        ok && limit.rlim_cur == libc::RLIM_INFINITY
    })
}

/// The loaded objects that define LAPACK under one of the [`RENAMED`]
/// names, with their integer width.
fn renamed_in_process() -> Vec<Library> {
    let mut found = Vec::new();
    for object in loaded_objects() {
        let Ok(c_obj) = CString::new(object.clone()) else { continue };
        // SAFETY: RTLD_NOLOAD loads nothing (as in next_in_process); the
        // reference it takes is kept, so that the object stays loaded
        // while its routines are used.
        let handle = unsafe { libc::dlopen(c_obj.as_ptr(), libc::RTLD_LAZY | libc::RTLD_NOLOAD) };
        if handle.is_null() {
            continue;
        }
        let mut kept = false;
        for &(prefix, suffix) in RENAMED {
            if let Some(library) = library(handle, &object, prefix, suffix) {
                found.push(library);
                kept = true;
                break;
            }
        }
        if !kept {
            // SAFETY: balances the dlopen above; the object stays loaded.
            unsafe { libc::dlclose(handle) };
        }
    }
    found
}

/// The machine's library `soname`, opened privately, if it defines LAPACK
/// under its plain names; closed again if not.
fn open_system(soname: &str) -> Option<Library> {
    let c_name = CString::new(soname).expect("sonames have no NUL");
    // SAFETY: a valid C string; RTLD_LOCAL keeps its symbols out of the
    // process's global scope (the program's own names are unchanged).
    let handle = unsafe { libc::dlopen(c_name.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if handle.is_null() {
        return None;
    }
    let library = library(handle, soname, "", "");
    if library.is_none() {
        // SAFETY: balances the dlopen above; nothing of it is in use.
        unsafe { libc::dlclose(handle) };
    }
    library
}

/// The library behind `handle` as a LAPACK whose routines are named
/// `{prefix}{symbol}{suffix}`, if it defines IDAMAX and DGETRF (a BLAS
/// alone will not do) under such names and its integer width can be told.
fn library(handle: *mut c_void, name: &str, prefix: &'static str, suffix: &'static str) -> Option<Library> {
    let idamax = lookup(handle, &format!("{prefix}idamax_{suffix}"), name)?;
    lookup(handle, &format!("{prefix}dgetrf_{suffix}"), name)?;
    // SAFETY: the object's IDAMAX under its own naming.
    let ilp64 = unsafe { integer_width(idamax.addr) }?;
    Some(Library { handle, name: name.to_string(), prefix, suffix, ilp64 })
}

/// Whether the BLAS whose IDAMAX is at `idamax` takes 64-bit integers
/// (Some(true)) or 32-bit ones (Some(false)): N is passed as a 64-bit
/// integer whose low half is 3 and whose high half makes it negative. A
/// 32-bit BLAS reads 3 (on a little-endian machine) and returns 3, the
/// position of the largest of the three values; a 64-bit one reads a
/// negative N and returns 0. Nothing is read beyond the three values
/// either way.
///
/// # Safety
/// `idamax` is a BLAS IDAMAX (of either width).
#[cfg(target_endian = "little")]
unsafe fn integer_width(idamax: *mut c_void) -> Option<bool> {
    let x = [1.0f64, -2.0, 3.0];
    let n: i64 = ((0xffff_ffffu64 << 32) | 3) as i64;
    let incx: i64 = 1;
    // SAFETY: IDAMAX(N, X, INCX) reads N and INCX through their pointers
    // (4 or 8 bytes of these 8-byte integers) and at most 3 values of X.
    // Its INTEGER result comes back in the return register; its low 32
    // bits are the result in either width.
    let position = unsafe {
        let f = std::mem::transmute::<*mut c_void, unsafe extern "C" fn(*const i64, *const f64, *const i64) -> i64>(idamax);
        f(&n, x.as_ptr(), &incx)
    };
    match position as i32 {
        3 => Some(false),
        0 => Some(true),
        _ => None,
    }
}

#[cfg(not(target_endian = "little"))]
unsafe fn integer_width(_idamax: *mut c_void) -> Option<bool> {
    None
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
/// The provider is the path of the object that defines it.
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
/// main program and the vDSO (listed now: objects may have been loaded
/// since [`OBJECTS`]).
fn loaded_objects() -> Vec<String> {
    objects().into_iter().map(|o| o.name).filter(|name| !name.is_empty() && !name.contains("linux-vdso")).collect()
}

/// One loaded object's mapped segments: (start, end) addresses, its load
/// base, its file name.
struct Object {
    segments: Vec<(usize, usize)>,
    base: usize,
    name: String,
}

/// The loaded objects' segments, listed once per resolution
/// (`dl_iterate_phdr`): `dladdr` would give the same answer, but scans the
/// object's symbol table to do it, which took about 50 µs per call in
/// OpenBLAS, three calls per routine: most of a process's first call.
fn objects() -> Vec<Object> {
    unsafe extern "C" fn collect(info: *mut libc::dl_phdr_info, _size: usize, data: *mut c_void) -> c_int {
        // SAFETY: dl_iterate_phdr passes a valid info (with dlpi_phnum
        // program headers at dlpi_phdr) for the duration of the call, and
        // data is the Vec passed below.
        let (info, objects) = unsafe { (&*info, &mut *(data as *mut Vec<Object>)) };
        let headers: &[libc::Elf64_Phdr] = if info.dlpi_phdr.is_null() {
            &[]
        } else {
            // SAFETY: dlpi_phdr points to dlpi_phnum program headers (as above).
            unsafe { std::slice::from_raw_parts(info.dlpi_phdr, info.dlpi_phnum as usize) }
        };
        let base = info.dlpi_addr as usize;
        let segments = headers
            .iter()
            .filter(|h| h.p_type == libc::PT_LOAD)
            // Wrapping: a vDSO may be mapped where base + vaddr wraps; a
            // panic here would abort (an extern "C" callback).
            .map(|h| (base.wrapping_add(h.p_vaddr as usize), base.wrapping_add(h.p_vaddr.wrapping_add(h.p_memsz) as usize)))
            .collect();
        let name = if info.dlpi_name.is_null() {
            String::new()
        } else {
            // SAFETY: dlpi_name is a NUL-terminated string owned by ld.so.
            unsafe { CStr::from_ptr(info.dlpi_name) }.to_string_lossy().into_owned()
        };
        objects.push(Object { segments, base, name });
        0
    }
    let mut objects: Vec<Object> = Vec::new();
    // SAFETY: collect matches the callback type and only touches `objects`.
    unsafe { libc::dl_iterate_phdr(Some(collect), &mut objects as *mut Vec<Object> as *mut c_void) };
    objects
}

/// The loaded objects, listed at the first question (resolution runs once
/// per process, and the objects that define LAPACK are loaded by then).
static OBJECTS: once_cell::sync::Lazy<Vec<Object>> = once_cell::sync::Lazy::new(objects);

/// The base address of the object that holds `addr`, and its file name
/// (empty for the main program).
fn object_of(addr: *const c_void) -> Option<(*mut c_void, String)> {
    let a = addr as usize;
    let found = OBJECTS.iter().find(|o| o.segments.iter().any(|&(start, end)| (start..end).contains(&a)));
    match found {
        Some(o) if !o.name.is_empty() => Some((o.base as *mut c_void, o.name.clone())),
        // The main program (listed without a name), or an object loaded
        // after the list was made: ask the loader.
        _ => dladdr(addr),
    }
}

fn dladdr(addr: *const c_void) -> Option<(*mut c_void, String)> {
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
/// Each object's path is resolved once: the routines of one library share
/// it, and resolving takes a system call per path component (some 25 for
/// an alternatives link: a good part of a process's first call).
fn object_name(addr: *const c_void) -> Option<String> {
    static RESOLVED: parking_lot::Mutex<Vec<(String, String)>> = parking_lot::Mutex::new(Vec::new());
    let path = object_of(addr).map(|(_, path)| path).filter(|p| !p.is_empty())?;
    let mut known = RESOLVED.lock();
    if let Some((_, resolved)) = known.iter().find(|(p, _)| *p == path) {
        return Some(resolved.clone());
    }
    let resolved = std::fs::canonicalize(&path).map_or_else(|_| path.clone(), |p| p.display().to_string());
    known.push((path, resolved.clone()));
    Some(resolved)
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

