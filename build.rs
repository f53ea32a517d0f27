//! Builds the bundled CPU fallback: the double-precision part of netlib
//! BLAS + LAPACK and the Level-3 BLAS of the three other precisions, from
//! the sources that the `netlib-src` crate carries.
//!
//! Why not `lapack-src` with its `netlib` feature: that builds all four
//! precisions plus CBLAS and LAPACKE as a shared library that the product
//! would then depend on at run time. We need one static, private copy of the
//! double-precision routines (about 45 s with `make -j2`) and of the 24
//! Level-3 BLAS files of the other precisions (a few seconds).
//!
//! Steps:
//! 1. find `netlib-src`'s `source/` tree (override: `LAPACK_AI_NETLIB_SOURCE`);
//! 2. CMake-build `libblas.a` + `liblapack.a`, double precision, PIC, and
//!    compile `BLAS/SRC/{s,c,z}{gemm,symm,...,trsm}.f` into a third archive;
//! 3. rename every symbol they define to `lapack_ai_netlib_<name>` with
//!    `objcopy --redefine-syms`, so the copy can never collide with (or be
//!    interposed by) the process's own LAPACK; remove their `xerbla_`
//!    objects: `csrc/netlib_xerbla.c` supplies the renamed `xerbla_`, which
//!    reports to the process's own `xerbla_` (src/engine/cpu/xerbla.rs);
//! 4. link the three archives and libgfortran; the cdylib's version script keeps
//!    every one of these symbols local.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const NETLIB_SRC_VERSION: &str = "0.9.0";
/// Prefix given to every symbol of the bundled copy. Mirrored in
/// `src/engine/cpu/bundled.rs`.
const PREFIX: &str = "lapack_ai_netlib_";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=csrc/netlib_xerbla.c");
    println!("cargo:rerun-if-env-changed=LAPACK_AI_NETLIB_SOURCE");

    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let source = find_netlib_source();

    let dst = cmake::Config::new(&source)
        // Optimised whatever cargo's profile: a debug build of the library
        // must not make the test suites crawl.
        .profile("Release")
        .define("BUILD_SINGLE", "OFF")
        .define("BUILD_DOUBLE", "ON")
        .define("BUILD_COMPLEX", "OFF")
        .define("BUILD_COMPLEX16", "OFF")
        .define("BUILD_TESTING", "OFF")
        .define("BUILD_SHARED_LIBS", "OFF")
        .define("BUILD_DEPRECATED", "OFF")
        .define("BUILD_INDEX64_EXT_API", "OFF")
        .define("CBLAS", "OFF")
        .define("LAPACKE", "OFF")
        .define("CMAKE_POSITION_INDEPENDENT_CODE", "ON")
        .define("CMAKE_INSTALL_LIBDIR", "lib")
        .build();
    let libdir = dst.join("lib");
    let blas = libdir.join("libblas.a");
    let lapack = libdir.join("liblapack.a");
    for lib in [&blas, &lapack] {
        assert!(lib.exists(), "netlib build produced no {}", lib.display());
    }
    let other = other_precisions_blas3(&source, &out);

    // Collect every global symbol the three archives define.
    let mut names = Vec::new();
    for lib in [&blas, &lapack, &other] {
        let nm = run(Command::new("nm").args(["--defined-only", "-g", "-P"]).arg(lib));
        for line in nm.lines() {
            // `-P`: "name type value size"; archive member headers end in ':'.
            let mut fields = line.split_whitespace();
            let (Some(name), Some(kind)) = (fields.next(), fields.next()) else { continue };
            if name.ends_with(':') || kind.len() != 1 {
                continue;
            }
            names.push(name.to_string());
        }
    }
    names.sort();
    names.dedup();
    assert!(names.iter().any(|n| n == "dgesvd_"), "dgesvd_ missing from netlib build");
    // xerbla_ is defined in both archives; it is removed below, but its
    // references must still be renamed.
    if !names.iter().any(|n| n == "xerbla_") {
        names.push("xerbla_".into());
    }
    let map: String = names.iter().map(|n| format!("{n} {PREFIX}{n}\n")).collect();
    let map_file = out.join("netlib-redefine.syms");
    fs::write(&map_file, map).expect("write symbol map");

    for (lib, name) in
        [(&blas, "lapack_ai_netlib_blas"), (&lapack, "lapack_ai_netlib_lapack"), (&other, "lapack_ai_netlib_blas3_scz")]
    {
        let renamed = out.join(format!("lib{name}.a"));
        run(Command::new("objcopy")
            .arg(format!("--redefine-syms={}", map_file.display()))
            .arg(lib)
            .arg(&renamed));
        // Drop the archive's own XERBLA (it would STOP the program); the
        // renamed symbol comes from csrc/netlib_xerbla.c.
        let members = run(Command::new("ar").arg("t").arg(&renamed));
        for member in members.lines().filter(|m| m.starts_with("xerbla.")) {
            run(Command::new("ar").arg("d").arg(&renamed).arg(member));
        }
    }

    cc::Build::new().file("csrc/netlib_xerbla.c").compile("lapack_ai_netlib_xerbla");

    println!("cargo:rustc-link-search=native={}", out.display());
    // LAPACK first: it references BLAS, which resolves after it.
    println!("cargo:rustc-link-lib=static=lapack_ai_netlib_lapack");
    println!("cargo:rustc-link-lib=static=lapack_ai_netlib_blas3_scz");
    println!("cargo:rustc-link-lib=static=lapack_ai_netlib_blas");
    println!("cargo:rustc-link-lib=static=lapack_ai_netlib_xerbla");
    if let Some(dir) = gfortran_libdir() {
        println!("cargo:rustc-link-search=native={}", dir.display());
    }
    println!("cargo:rustc-link-lib=dylib=gfortran");
    // Nothing of the bundled copy may be exported from the cdylib.
    println!("cargo:rustc-cdylib-link-arg=-Wl,--exclude-libs,ALL");
    // Run as a program, the library prints what it is and exits instead of
    // crashing: its ELF entry point (ignored when it is preloaded or
    // linked) is a few system calls (src/abi/capi.rs, at the end).
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    if os == "linux" && (arch == "x86_64" || arch == "aarch64") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-e,lapack_ai_exec_entry");
    }
}

/// The Level-3 BLAS routines of the single, complex and double complex
/// precisions (reference `BLAS/SRC/?gemm.f` and the rest), compiled with
/// gfortran into an archive of their own: the CPU path of last resort for
/// `sgemm_`, `cgemm_`, `zgemm_` and the others of their precisions, and
/// the reference the tests compare them with. Only these 24 files: the
/// rest of BLAS and LAPACK in those precisions would triple the build for
/// routines the library does not call (they need only `lsame_` and
/// `xerbla_`, which the double-precision BLAS has).
fn other_precisions_blas3(source: &Path, out: &Path) -> PathBuf {
    let fc = env::var("FC").unwrap_or_else(|_| "gfortran".into());
    let dir = out.join("blas3_scz");
    fs::create_dir_all(&dir).expect("create the objects' directory");
    let mut objects = Vec::new();
    for p in ["s", "c", "z"] {
        let names: &[&str] = if p != "s" {
            &["gemm", "symm", "hemm", "syrk", "herk", "syr2k", "her2k", "trmm", "trsm"]
        } else {
            &["gemm", "symm", "syrk", "syr2k", "trmm", "trsm"]
        };
        for name in names {
            let src = source.join(format!("BLAS/SRC/{p}{name}.f"));
            println!("cargo:rerun-if-changed={}", src.display());
            let obj = dir.join(format!("{p}{name}.o"));
            run(Command::new(&fc).args(["-O2", "-fPIC", "-c"]).arg(&src).arg("-o").arg(&obj));
            objects.push(obj);
        }
    }
    let archive = dir.join("libblas3_scz.a");
    let _ = fs::remove_file(&archive);
    run(Command::new("ar").arg("rcs").arg(&archive).args(&objects));
    archive
}

/// The `source/` tree of the netlib-src crate: `LAPACK_AI_NETLIB_SOURCE`, a
/// `vendor/` directory (cargo vendor), or cargo's registry checkout, which
/// exists because netlib-src is a dependency of this crate.
fn find_netlib_source() -> PathBuf {
    if let Ok(dir) = env::var("LAPACK_AI_NETLIB_SOURCE") {
        let dir = PathBuf::from(dir);
        assert!(
            dir.join("SRC/dgesvd.f").exists(),
            "LAPACK_AI_NETLIB_SOURCE={} does not hold the netlib LAPACK sources",
            dir.display()
        );
        return dir;
    }
    let crate_dir = format!("netlib-src-{NETLIB_SRC_VERSION}");
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let mut candidates = vec![manifest.join("vendor/netlib-src/source")];
    let cargo_home = env::var("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|_| env::var("HOME").map(|h| Path::new(&h).join(".cargo")))
        .unwrap_or_else(|_| PathBuf::from("/root/.cargo"));
    if let Ok(indexes) = fs::read_dir(cargo_home.join("registry/src")) {
        for index in indexes.flatten() {
            candidates.push(index.path().join(&crate_dir).join("source"));
        }
    }
    for dir in &candidates {
        if dir.join("SRC/dgesvd.f").exists() {
            println!("cargo:rerun-if-changed={}", dir.join("CMakeLists.txt").display());
            return dir.clone();
        }
    }
    panic!(
        "cannot find the sources of {crate_dir} (looked in {candidates:?}); \
         run `cargo fetch` or set LAPACK_AI_NETLIB_SOURCE to its source/ directory"
    );
}

fn gfortran_libdir() -> Option<PathBuf> {
    let fc = env::var("FC").unwrap_or_else(|_| "gfortran".into());
    let out = Command::new(fc).arg("-print-file-name=libgfortran.so").output().ok()?;
    let path = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    if path.is_absolute() {
        path.parent().map(Path::to_path_buf)
    } else {
        None
    }
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}
