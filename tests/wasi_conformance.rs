//! padcell's own WASI conformance programs (tests/conformance/programs), each run by the CLI in a
//! cell: a policy, a program, the expected outcome. Each program exits 1, naming the wrong result,
//! when the runtime gets its area wrong; the negative tests show that they do.

#![allow(clippy::disallowed_methods, reason = "tests set up host files as the operator does")]

mod common;

use common::{Run, padcell};
use padcell_conformance::{PROGRAMS, program};
use std::path::Path;

/// A scratch tree: `rw/` (granted read-write at /rw), `outside/secret` (never granted), and
/// `ro/` with `a.txt` and an empty `keep/` at four depths (granted read-only at /ro).
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("rw")).unwrap();
    std::fs::create_dir_all(dir.path().join("outside")).unwrap();
    std::fs::write(dir.path().join("outside/secret"), "secret\n").unwrap();
    for depth in ["ro", "ro/d1", "ro/d1/d2", "ro/d1/d2/d3"] {
        std::fs::create_dir_all(dir.path().join(depth).join("keep")).unwrap();
        std::fs::write(dir.path().join(depth).join("a.txt"), "ro").unwrap();
    }
    dir
}

fn rw_grant(root: &Path) -> String {
    format!("{}::/rw::rw", root.join("rw").display())
}

/// Runs conformance program `name` with `flags` before it and `args` after it.
fn run(name: &str, flags: &[String], args: &[&str], stdin: &[u8]) -> Run {
    let wasm = program(name);
    let mut argv: Vec<&str> = vec!["run"];
    argv.extend(flags.iter().map(String::as_str));
    argv.push(wasm.to_str().unwrap());
    argv.extend(args);
    padcell(&argv, stdin, &[])
}

fn assert_passes(name: &str, run: &Run) {
    assert_eq!(run.code, 0, "{name} failed:\n{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains(&format!("{name}: all ")), "{}", run.stdout);
}

/// Runs a program that needs only the read-write scratch grant, and expects it to pass.
fn passes_with_scratch(name: &str) -> tempfile::TempDir {
    let dir = scratch();
    let result = run(name, &["--dir".into(), rw_grant(dir.path())], &[], b"");
    assert_passes(name, &result);
    dir
}

#[test]
fn path_open_with_every_flag_combination() {
    let dir = scratch();
    let result = run("open_flags", &["--dir".into(), rw_grant(dir.path())], &[], b"");
    assert_passes("open_flags", &result);
    // The two documented departures from POSIX (DIRECTORY with CREAT/EXCL/TRUNC, TRUNC with
    // APPEND) and nothing else.
    assert!(result.stdout.contains("open_flags: 21 combinations follow wasi-common"), "{}", result.stdout);
}

#[test]
fn readdir_with_cookies_through_small_buffers() {
    passes_with_scratch("readdir");
}

#[test]
fn seek_tell_pread_pwrite_and_set_size() {
    passes_with_scratch("file_io");
}

#[test]
fn stat_rename_unlink_mkdir_and_rmdir() {
    passes_with_scratch("paths");
}

#[test]
fn symlinks_are_made_and_read_inside_and_every_escape_is_refused() {
    let dir = scratch();
    std::os::unix::fs::symlink("../outside", dir.path().join("rw/planted")).unwrap();
    let result = run("symlinks", &["--dir".into(), rw_grant(dir.path())], &[], b"");
    assert_passes("symlinks", &result);
    assert_eq!(std::fs::read_dir(dir.path().join("outside")).unwrap().count(), 1, "nothing was written outside");
    assert!(!dir.path().join("outside/new").exists());
}

#[test]
fn args_and_environ_are_exactly_what_was_given() {
    let flags = ["--env", "GREETING=hello", "--env", "EMPTY="].map(String::from);
    let result = run("args_env", &flags, &["one", "two words", "", "ünï"], b"");
    assert_passes("args_env", &result);
}

#[test]
fn the_args_program_fails_on_wrong_arguments() {
    let flags = ["--env", "GREETING=hello"].map(String::from);
    let result = run("args_env", &flags, &["one", "two", "words"], b"");
    assert_eq!(result.code, 1, "{}", result.stderr);
    assert!(result.stderr.contains("args_env: FAILED: argv"), "{}", result.stderr);
    assert!(result.stderr.contains("args_env: FAILED: environ"), "{}", result.stderr);
}

#[test]
fn clocks_and_random() {
    let result = run("clocks_random", &[], &[], b"");
    assert_passes("clocks_random", &result);
}

#[test]
fn poll_oneoff_on_clocks_and_stdio() {
    let dir = scratch();
    let result = run("poll", &["--dir".into(), rw_grant(dir.path())], &[], b"ping\n");
    assert_passes("poll", &result);
}

#[test]
fn proc_exit_codes_reach_the_exit_status() {
    for (args, code) in [(vec![], 0), (vec!["0"], 0), (vec!["3"], 3), (vec!["125"], 125)] {
        let result = run("exit_code", &[], &args, b"");
        assert_eq!(result.code, code, "{args:?}: {}", result.stderr);
        // Output written before proc_exit arrives.
        assert!(result.stdout.starts_with("exiting with"), "{}", result.stdout);
    }
    // wasi-common, like wasmtime, treats a status of 126 or more as a trap.
    let result = run("exit_code", &[], &["126"], b"");
    assert_eq!(result.code, 134, "{}", result.stderr);
    assert!(result.stderr.contains("exit with invalid exit status"), "{}", result.stderr);
}

fn read_only_flags(root: &Path, access: &str, audit: &Path) -> Vec<String> {
    vec![
        "--dir".into(),
        rw_grant(root),
        "--dir".into(),
        format!("{}::/ro::{access}", root.join("ro").display()),
        "--audit-log".into(),
        audit.display().to_string(),
    ]
}

#[test]
fn the_read_only_rules_hold_at_every_depth_and_are_audited() {
    let dir = scratch();
    let audit = dir.path().join("audit.jsonl");
    let result = run("read_only", &read_only_flags(dir.path(), "ro", &audit), &[], b"");
    assert_passes("read_only", &result);
    for depth in ["ro", "ro/d1", "ro/d1/d2", "ro/d1/d2/d3"] {
        let names: Vec<_> = std::fs::read_dir(dir.path().join(depth)).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), if depth.ends_with("d3") { 2 } else { 3 }, "{depth} changed: {names:?}");
        assert_eq!(std::fs::read_to_string(dir.path().join(depth).join("a.txt")).unwrap(), "ro");
    }
    let log = std::fs::read_to_string(&audit).unwrap();
    for rule in ["'/ro/d1/d2/d3/a.txt' is in read-only grant /ro", "'/ro/d1/new.txt' is in read-only grant /ro"] {
        assert!(log.contains(rule), "no audit line for {rule}:\n{log}");
    }
    // Every line is an event the supervisor wrote, and none names a host path.
    let host = dir.path().display().to_string();
    assert!(log.lines().count() > 50 && !log.contains(&host), "{log}");
}

#[test]
fn the_read_only_program_fails_when_the_grant_is_writable() {
    let dir = scratch();
    let audit = dir.path().join("audit.jsonl");
    let result = run("read_only", &read_only_flags(dir.path(), "rw", &audit), &[], b"");
    assert_eq!(result.code, 1, "{}", result.stdout);
    assert!(result.stderr.contains("read_only: FAILED: open ro/a.txt for writing: got success"), "{}", result.stderr);
}

#[test]
fn every_program_is_run_by_a_test() {
    let tested = [
        "open_flags",
        "readdir",
        "file_io",
        "paths",
        "symlinks",
        "args_env",
        "clocks_random",
        "poll",
        "exit_code",
        "read_only",
        // Run by tests/wasi_modules.rs.
        "hello",
        // Hostile programs, run by tests/hardening.rs.
        "host_costs",
        "plant_links",
    ];
    let built: Vec<&str> = PROGRAMS.iter().map(|(name, _)| *name).collect();
    let mut sorted = tested.to_vec();
    sorted.sort();
    assert_eq!(built, sorted);
}
