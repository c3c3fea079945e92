//! The host is in layers, each importing only the layers before it (ARCHITECTURE.md):
//! `abi` < `policy` < `config` < `wasi` < `loader` < `cell` < `supervisor` < `page`.
//! Imports go one way along that order, so no two modules can import each other in a cycle.
//! These tests read `host/src` as text: they need no guest and run in milliseconds.

#![allow(clippy::disallowed_methods, reason = "tests set up host files as the operator does")]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The layers, lowest first.
const LAYERS: &[&str] = &["abi", "policy", "config", "wasi", "loader", "cell", "supervisor", "page"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file below `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("host/src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// The layer a file of `host/src` belongs to: its top folder, or its own name at the top.
/// `None` for the crate root and the binary, which stand above every layer.
fn layer_of(file: &Path) -> Option<&'static str> {
    let rel = file.strip_prefix(src()).expect("a file below host/src");
    let first = rel.components().next()?.as_os_str().to_str()?.trim_end_matches(".rs");
    match first {
        "lib" | "bin" => None,
        other => Some(
            LAYERS
                .iter()
                .find(|l| **l == other)
                .copied()
                .unwrap_or_else(|| panic!("{} is in no layer: put it in one of {LAYERS:?}", rel.display())),
        ),
    }
}

fn rank(layer: &str) -> usize {
    LAYERS.iter().position(|l| *l == layer).unwrap_or_else(|| panic!("`crate::{layer}` names no layer of {LAYERS:?}"))
}

/// The top-level modules a file names as `crate::X`, in paths and in `use crate::{X, Y::..}`.
fn crate_modules(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let code: String = text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a, b::c, d::{..}}`: the first name of each top-level item.
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.insert(first_name(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            names.insert(first_name(&item));
        } else {
            names.insert(first_name(rest));
        }
    }
    names.retain(|n| !n.is_empty());
    names
}

fn first_name(path: &str) -> String {
    path.trim_start().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

#[test]
fn every_layer_imports_only_the_layers_before_it() {
    let mut wrong = Vec::new();
    for file in rust_files(&src()) {
        let Some(layer) = layer_of(&file) else { continue };
        let text = std::fs::read_to_string(&file).expect("a readable source file");
        for name in crate_modules(&text) {
            if rank(&name) > rank(layer) {
                wrong.push(format!("{} ({layer}) imports crate::{name}", file.strip_prefix(src()).unwrap_or(&file).display()));
            }
        }
    }
    assert!(wrong.is_empty(), "imports against the layer order {LAYERS:?}:\n{}", wrong.join("\n"));
}

#[test]
fn every_module_of_the_crate_root_is_a_layer() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).expect("lib.rs");
    for line in lib.lines().map(str::trim) {
        let decl = line.strip_prefix("pub ").unwrap_or(line);
        if let Some(name) = decl.strip_prefix("mod ").and_then(|n| n.strip_suffix(';')) {
            assert!(LAYERS.contains(&name), "lib.rs declares `mod {name}`, which is in no layer of {LAYERS:?}");
        }
    }
}

#[test]
fn policy_knows_nothing_of_wasmtime() {
    for file in rust_files(&src().join("policy")) {
        let text = std::fs::read_to_string(&file).expect("a readable source file");
        let code = text.lines().filter(|l| !l.trim_start().starts_with("//"));
        for line in code {
            for word in ["wasmtime", "wasi_common", "wiggle"] {
                assert!(!line.contains(word), "{} uses {word}: policy is data, not machinery\n{line}", file.display());
            }
        }
    }
}

#[test]
fn the_checker_sees_grouped_and_nested_imports() {
    let text =
        "use crate::{abi::Value, cell::{Cell, Maker}, wasi};\nfn f() { crate::page::render(); }\n// crate::bin in a comment";
    let found: Vec<String> = crate_modules(text).into_iter().collect();
    assert_eq!(found, ["abi", "cell", "page", "wasi"]);
}
