//! include/lapack_ai.h is what cbindgen generates from the code today, and
//! declares exactly the exported symbols (the table, src/routines.rs);
//! include/lapack_ai.f90 binds only exported symbols and declares every
//! Fortran-ABI extension of the table.

use std::path::Path;

fn generate() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml parses");
    let mut out = Vec::new();
    cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut out);
    String::from_utf8(out).expect("header is UTF-8")
}

#[test]
fn header_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/lapack_ai.h");
    let generated = generate();
    if std::env::var_os("LAPACK_AI_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write include/lapack_ai.h");
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "include/lapack_ai.h is out of date; regenerate it with \
         `LAPACK_AI_BLESS=1 cargo test --release --test header` and commit it"
    );
}

#[test]
fn header_declares_every_export_and_nothing_else() {
    let header = generate();
    // A declaration starts at column 0 with its return type and has the
    // function's name right before the '('.
    let mut declared: Vec<&str> = header
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_alphabetic()) && l.contains('('))
        .filter_map(|l| l.split('(').next())
        .filter_map(|l| l.rsplit([' ', '*']).next())
        .collect();
    declared.sort_unstable();
    assert_eq!(declared, lapack_ai::routines::exported_symbols());
}

#[test]
fn fortran_module_binds_only_exports_and_declares_every_fortran_extension() {
    let module = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/lapack_ai.f90"))
        .expect("include/lapack_ai.f90");
    let exported = lapack_ai::routines::exported_symbols();
    // Every C function the module binds is one of ours (or the C library's
    // strlen, for the version and info strings).
    let bound: Vec<&str> = module.split("bind(C, name='").skip(1).filter_map(|rest| rest.split('\'').next()).collect();
    assert!(!bound.is_empty());
    for name in &bound {
        assert!(*name == "strlen" || exported.contains(name), "lapack_ai.f90 binds {name}, which the library does not export");
    }
    // Every Fortran-ABI extension of the table has its interface, under
    // the name gfortran gives the symbol (without the trailing '_').
    for r in lapack_ai::routines::Routine::ALL.iter().filter(|r| r.is_extension() && r.symbol().ends_with('_')) {
        let name = r.symbol().trim_end_matches('_');
        assert!(module.contains(&format!("subroutine {name}(")), "lapack_ai.f90 has no interface for {}", r.symbol());
    }
}
