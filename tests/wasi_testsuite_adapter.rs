//! The wasi-testsuite adapter (tests/wasi-testsuite/padcell_adapter.py), driven as the upstream
//! runner drives it: loaded as a module, asked for its metadata and for the argv of a test, whose
//! command then runs a conformance program with the test's root directory at `/`.

#![allow(clippy::disallowed_methods, reason = "tests set up host files as the operator does")]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn adapter() -> PathBuf {
    common::workspace().join("tests/wasi-testsuite/padcell_adapter.py")
}

/// `PADCELL` as the runner's user would set it: this build's binary and the tests' cache.
fn padcell_command() -> String {
    format!("{} --cache-dir {}", env!("CARGO_BIN_EXE_padcell"), common::cache_dir().display())
}

/// Runs `code` in python3 with the adapter loaded as `adapter`; `None` without python3.
fn python(code: &str) -> Option<String> {
    let prelude = format!(
        "import importlib.util, json\n\
         spec = importlib.util.spec_from_file_location('padcell_adapter.py', {:?})\n\
         adapter = importlib.util.module_from_spec(spec)\n\
         spec.loader.exec_module(adapter)\n",
        adapter().display().to_string()
    );
    let out = match Command::new("python3").arg("-c").arg(prelude + code).env("PADCELL", padcell_command()).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("python3 is not installed: the adapter is not tested");
            return None;
        }
        Err(e) => panic!("running python3: {e}"),
    };
    assert!(out.status.success(), "python3 failed: {}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8(out.stdout).unwrap())
}

#[test]
fn the_adapter_reports_padcell_and_wasip1() {
    let Some(out) = python(
        "print(json.dumps([adapter.get_name(), adapter.get_version(), adapter.get_wasi_versions(), adapter.get_wasi_worlds()]))",
    ) else {
        return;
    };
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(out.trim(), format!(r#"["padcell", "{version}", ["wasm32-wasip1"], ["wasi:cli/command"]]"#));
    // The runner tells a module adapter from a legacy one by running it: it must print nothing.
    let run = Command::new("python3").arg(adapter()).arg("--version").output().unwrap();
    assert!(run.status.success() && run.stdout.is_empty() && run.stderr.is_empty(), "{run:?}");
}

#[test]
fn the_adapters_argv_runs_a_test_with_its_root_at_slash() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("rw")).unwrap();
    let program = padcell_conformance::program("paths");
    let code = format!(
        "print(json.dumps(adapter.compute_argv({:?}, ([], {{'K': 'V'}}, {:?}), [], 'wasi:cli/command', 'wasm32-wasip1')))",
        program.display().to_string(),
        root.path().display().to_string()
    );
    let Some(out) = python(&code) else { return };
    let argv: Vec<String> = serde_json::from_str(&out).unwrap();
    let bin = env!("CARGO_BIN_EXE_padcell");
    let cache = common::cache_dir().display().to_string();
    let dir = format!("{}::/::rw", root.path().display());
    let want = [bin, "run", "--cache-dir", &cache, "--env", "K=V", "--dir", &dir, program.to_str().unwrap()];
    assert_eq!(argv, want);
    let run = Command::new(&argv[0]).args(&argv[1..]).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(Path::new(&root.path().join("rw/p")).is_dir(), "the test ran in the root directory");
}
