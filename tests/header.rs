//! include/lapack_ai.h is what cbindgen generates from the code today, and
//! declares exactly the exported symbols.

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
