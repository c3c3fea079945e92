//! Shared by the integration tests: one supervisor per test binary, one module cache for all of
//! them (under cargo's target tmpdir), and a way to run the `padcell` CLI.

#![allow(dead_code)]

use padcell::Supervisor;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The module cache every test shares, so the interpreter is compiled once per build.
pub(crate) fn cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("module-cache")
}

pub(crate) fn supervisor() -> &'static Supervisor {
    static SUPERVISOR: OnceLock<Supervisor> = OnceLock::new();
    SUPERVISOR.get_or_init(|| Supervisor::builder().cache_dir(cache_dir()).build().expect("building the supervisor"))
}

/// The outcome of one `padcell` process.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `padcell ARGS...` with `stdin`, the shared cache, and only PATH from the environment
/// (plus `env`).
pub(crate) fn padcell(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_padcell"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("PADCELL_CACHE_DIR", cache_dir())
        .envs(env.iter().copied())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("starting padcell");
    let mut input = child.stdin.take().expect("stdin");
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let Output { status, stdout, stderr } = child.wait_with_output().expect("waiting for padcell");
    writer.join().expect("stdin writer");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}

/// The workspace's root folder.
pub(crate) fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// A policy whose applet may raise the recursion limit (the defaults hide
/// `sys.setrecursionlimit`), to reach the wasm stack limit.
pub(crate) fn may_recurse(policy: padcell::Policy) -> padcell::Policy {
    let names = policy.modules().names.clone().allow_sys("setrecursionlimit").expect("a valid name");
    let modules = policy.modules().clone().names(names);
    policy.with_modules(modules)
}

/// Every module of the interpreter, and all of `sys` and `os`, visible to applet code: the
/// filesystem tests show the host's wall holding without the loader's shaping in front of it.
pub(crate) fn unshaped(policy: padcell::Policy) -> padcell::Policy {
    let names = policy.modules().names.clone().allow_sys("*").and_then(|n| n.allow_os("*")).expect("valid names");
    let modules = policy.modules().clone().allow("*").expect("valid name").names(names);
    policy.with_modules(modules)
}

/// A supervisor of its own, and the audit events it receives.
pub(crate) fn audited() -> (Supervisor, std::sync::Arc<std::sync::Mutex<Vec<padcell::AuditEvent>>>) {
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = events.clone();
    let supervisor = Supervisor::builder()
        .cache_dir(cache_dir())
        .on_audit(move |e| sink.lock().unwrap().push(e.clone()))
        .build()
        .expect("supervisor");
    (supervisor, events)
}
