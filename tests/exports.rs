//! liblapack_ai.so exports exactly `routines::exported_symbols()`: nothing of the
//! bundled reference LAPACK, of Rust's runtime or of the dependencies.

use std::path::PathBuf;
use std::process::Command;

/// The cdylib cargo built beside this test binary (target/<profile>/).
fn library() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps/test");
    let lib = profile_dir.join("liblapack_ai.so");
    assert!(lib.exists(), "{} not built", lib.display());
    lib
}

fn dynamic_symbols(args: &[&str]) -> Vec<String> {
    let out = Command::new("nm").args(args).arg(library()).output().expect("run nm (binutils)");
    assert!(out.status.success(), "nm failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().last().map(str::to_string))
        .collect()
}

#[test]
fn exports_are_exactly_the_declared_list() {
    let mut defined = dynamic_symbols(&["-D", "--defined-only"]);
    defined.sort();
    assert_eq!(defined, lapack_ai::routines::exported_symbols(), "nm -D --defined-only differs from routines::exported_symbols()");
}

#[test]
fn the_bundled_reference_is_not_visible_and_needs_no_system_lapack() {
    let undefined = dynamic_symbols(&["-D", "--undefined-only"]);
    let lapack_like: Vec<&String> = undefined
        .iter()
        // xerbla_ is referenced weakly on purpose (csrc/netlib_xerbla.c).
        .filter(|s| s.ends_with('_') && !s.starts_with("_gfortran") && !s.starts_with("__") && *s != "xerbla_")
        .collect();
    assert!(lapack_like.is_empty(), "undefined Fortran symbols {lapack_like:?}: the bundled copy is incomplete");
    let ldd = Command::new("readelf").args(["-d"]).arg(library()).output().expect("run readelf");
    let needed = String::from_utf8_lossy(&ldd.stdout);
    for lib in ["libblas", "liblapack", "libopenblas", "libOpenCL"] {
        assert!(!needed.contains(lib), "liblapack_ai.so must not depend on {lib}:\n{needed}");
    }
}
