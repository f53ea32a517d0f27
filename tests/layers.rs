//! The layering of ARCHITECTURE.md, checked on the sources: each layer
//! imports only those below it (src/ops and src/abi -> src/dispatch ->
//! src/engine -> src/runtime), the engines know no routine family, and
//! no code outside src/runtime/config.rs reads the environment (test
//! modules aside).

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a source file without its `#[cfg(test)]` module (the
/// modules sit at the end of their files) and without comments.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("source file");
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or_default();
    text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// Every `forbidden` path mentioned by the code under `src/<layer>`.
fn violations(layer: &str, forbidden: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(layer);
    let mut files = Vec::new();
    if root.is_dir() {
        sources(&root, &mut files);
    } else {
        files.push(root.with_extension("rs"));
    }
    let mut found = Vec::new();
    for f in files {
        let code = code(&f);
        for word in forbidden {
            if code.contains(word) {
                found.push(format!("{} uses {word}", f.display()));
            }
        }
    }
    found
}

#[test]
fn layers_import_only_downwards() {
    let mut bad = Vec::new();
    bad.extend(violations("runtime", &["crate::dispatch", "crate::ops", "crate::abi", "crate::engine", "crate::matrix"]));
    bad.extend(violations("engine", &["crate::dispatch", "crate::ops", "crate::abi"]));
    bad.extend(violations("dispatch", &["crate::ops", "crate::abi"]));
    bad.extend(violations("matrix", &["crate::"]));
    bad.extend(violations("routines", &["crate::dispatch", "crate::ops", "crate::abi", "crate::engine", "crate::runtime"]));
    assert!(bad.is_empty(), "imports against the layering (ARCHITECTURE.md):\n{}", bad.join("\n"));
}

#[test]
fn the_environment_is_read_in_one_place() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    let config = root.join("runtime").join("config.rs");
    let readers: Vec<String> = files
        .iter()
        .filter(|f| **f != config)
        // src/bin: the `lapack-ai` command, a program of its own that links
        // none of the library (it reads LAPACK_AI_LIBRARY and LD_PRELOAD to
        // find and preload the library).
        .filter(|f| !f.starts_with(root.join("bin")))
        .filter(|f| {
            let c = code(f);
            c.contains("env::var") || c.contains("env::vars")
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(readers.is_empty(), "environment read outside src/runtime/config.rs: {readers:?}");
}
