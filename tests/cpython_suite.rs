//! CPython's own tests (its `Lib/test`), run inside cells through the CLI as an applet runs:
//! the source tree's `Lib` granted read-only at /lib and used as the module root for `test`, a
//! scratch directory read-write at /tmp, every module and name of `sys` and `os` allowed. The
//! standard library itself is the guest's frozen one; only the tests come from the tree.
//!
//! `cargo test --test cpython_suite` runs a quick set that must pass whole. The README's table of
//! the standard library against CPython's tests comes from the ignored test:
//! `cargo test --release --test cpython_suite -- --ignored --nocapture`.

#![allow(clippy::disallowed_methods, reason = "tests set up host files as the operator does")]

mod common;

use common::padcell;

/// Modules whose tests must all pass (or skip) in a cell.
const MUST_PASS: &[&str] = &["test_bisect", "test_heapq", "test_json", "test_string", "test_struct", "test_textwrap"];

/// The standard library the README promises, by CPython's test module for it.
const PROMISED: &[&str] = &[
    "test_base64",
    "test_bisect",
    "test_collections",
    "test_csv",
    "test_dataclasses",
    "test_datetime",
    "test_decimal",
    "test_difflib",
    "test_enum",
    "test_fractions",
    "test_functools",
    "test_heapq",
    "test_itertools",
    "test_json",
    "test_re",
    "test_statistics",
    "test_string",
    "test_struct",
    "test_textwrap",
    "test_typing",
];

/// What one module's tests did.
#[derive(Debug)]
struct Counts {
    module: String,
    run: u32,
    failures: u32,
    errors: u32,
    skipped: u32,
    seconds: f64,
    /// One line per failure or error: the test and the last line of its traceback.
    problems: Vec<String>,
}

/// Runs one test module in a fresh cell and reads the runner's line of counts.
fn run_module(module: &str) -> Counts {
    // Set by the host's build script when it builds CPython (not with a prebuilt guest).
    #[allow(clippy::option_env_unwrap, reason = "the suite must still compile with a prebuilt guest, which sets no source tree")]
    let source = option_env!("PADCELL_CPYTHON_SOURCE")
        .expect("no CPython source tree: this build embeds a prebuilt guest (PADCELL_GUEST_WASM)");
    let source = std::path::PathBuf::from(source);
    let lib = source.join("Lib");
    let scratch = tempfile::tempdir().unwrap();
    let runner = common::workspace().join("tests/cpython-suite/runner.py");
    let lib_grant = format!("{}::/lib", lib.display());
    let tmp_grant = format!("{}::/tmp::rw", scratch.path().display());
    let run = padcell(
        &[
            "run",
            "--timeout",
            "900s",
            "--max-memory",
            "1GiB",
            "--allow-module",
            "*",
            "--allow-sys",
            "*",
            "--allow-os",
            "*",
            "--dir",
            &lib_grant,
            "--module-root",
            "/lib",
            "--dir",
            &tmp_grant,
            "--env",
            "TMPDIR=/tmp",
            runner.to_str().unwrap(),
            module,
        ],
        b"",
        &[],
    );
    let mut lines = run.stdout.lines();
    let counts = lines.next().unwrap_or_default();
    let fields: Vec<&str> = counts.split('\t').collect();
    assert!(run.code == 0 && fields.len() >= 6 && fields[0] == module, "{module}: {}\n{}", run.stdout, run.stderr);
    let number = |i: usize| fields[i].parse::<u32>().unwrap();
    Counts {
        module: module.to_owned(),
        run: number(1),
        failures: number(2),
        errors: number(3),
        skipped: number(4),
        seconds: fields[5].parse().unwrap(),
        problems: lines.filter_map(|l| l.strip_prefix("#\t")).map(str::to_owned).collect(),
    }
}

#[test]
fn cpythons_own_tests_pass_in_a_cell() {
    for module in MUST_PASS {
        let counts = run_module(module);
        assert!(counts.run > 0, "{counts:?}");
        assert_eq!((counts.failures, counts.errors), (0, 0), "{counts:#?}");
    }
}

#[test]
#[ignore = "minutes long: run it for the README's table"]
fn the_promised_stdlib_against_cpythons_tests() {
    println!("| module | run | passed | failed | errors | skipped | seconds |\n| --- | --- | --- | --- | --- | --- | --- |");
    let mut all = Vec::new();
    for module in PROMISED {
        let c = run_module(module);
        let passed = c.run - c.failures - c.errors - c.skipped;
        println!("| {} | {} | {} | {} | {} | {} | {:.1} |", c.module, c.run, passed, c.failures, c.errors, c.skipped, c.seconds);
        all.push(c);
    }
    for c in &all {
        for problem in &c.problems {
            println!("- {problem}");
        }
    }
    assert!(all.iter().all(|c| c.run > 0), "every promised module's tests import and run");
}
