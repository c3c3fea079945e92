//! Plain WASI modules in a cell, by the CLI (`padcell run MODULE.wasm`) and the library
//! (`WasiModule`): arguments, environment, stdio and exit codes; refusal of modules the host
//! cannot link; traps; limits; grants and audit; applet.toml; the module cache.

#![allow(clippy::disallowed_methods, reason = "tests set up host files as the operator does")]

mod common;

use common::padcell;
use padcell::{
    Access, CacheEvent, CellError, Grant, Input, LimitKind, Limits, MissingImports, ModuleKind, Policy, Supervisor, WasiModule,
};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `_start` spins forever.
const SPIN: &str = r#"(module (memory (export "memory") 1) (func (export "_start") (loop $l (br $l))))"#;

/// `_start` grows memory a MiB at a time; when refused, it aborts as an allocator would.
const HOG: &str = r#"(module (memory (export "memory") 1)
  (func (export "_start")
    (loop $l (if (i32.eq (memory.grow (i32.const 16)) (i32.const -1)) (then unreachable)) (br $l))))"#;

/// `_start` writes "xxxxxxxx" to stdout forever.
const FLOOD: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\10\00\00\00\08\00\00\00")
  (data (i32.const 16) "xxxxxxxx")
  (func (export "_start") (loop $l (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))) (br $l))))"#;

/// `_start` recurses without end.
const DIVE: &str = r#"(module (memory (export "memory") 1)
  (func $dive (param i32) (call $dive (i32.add (local.get 0) (i32.const 1))))
  (func (export "_start") (call $dive (i32.const 0))))"#;

/// `_start` calls `outer`, which calls `inner`, which divides by zero.
const TRAP: &str = r#"(module (memory (export "memory") 1)
  (func $inner (drop (i32.div_s (i32.const 1) (i32.const 0))))
  (func $outer (call $inner))
  (func (export "_start") (call $outer)))"#;

/// Imports two functions no host provides, and one it does.
const MISSILES: &str = r#"(module
  (import "env" "launch_missiles" (func (param i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_launch" (func))
  (memory (export "memory") 1) (func (export "_start")))"#;

/// Creates `/data/new.txt` (path_open on the root preopen, fd 3) and exits with the errno.
const CREATE_IN_DATA: &str = r#"(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "data/new.txt")
  (func (export "_start")
    (call $exit (call $open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 12)
      (i32.const 1) (i64.const 64) (i64.const 64) (i32.const 0) (i32.const 200)))))"#;

/// Opens `/data` (fd 3 is the root preopen) until that fails, and exits with the errno.
const HOARD: &str = r#"(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "data")
  (func (export "_start") (local $errno i32)
    (loop $again
      (local.set $errno (call $open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 4)
        (i32.const 2) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 200)))
      (br_if $again (i32.eqz (local.get $errno))))
    (call $exit (local.get $errno))))"#;

/// WASI's errno for "permission denied".
const ERRNO_ACCES: i32 = 2;
/// WASI's errno for "too many open files".
const ERRNO_MFILE: i32 = 33;

fn hello() -> PathBuf {
    padcell_conformance::program("hello")
}

/// Writes `wat` to `dir/name` and returns its path as a string.
fn module_file(dir: &Path, name: &str, wat: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, wat).unwrap();
    path.display().to_string()
}

#[test]
fn a_hello_module_gets_its_args_env_stdin_and_exit_code_from_the_cli() {
    let hello = hello();
    let run = padcell(&["run", "--env", "GREETING=hi", hello.to_str().unwrap(), "Ada"], b"hello", &[("SECRET", "host")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // argv[0] is the module's file name, never the host path; the host's environment stays out.
    assert_eq!(run.stdout, "Hello, Ada!\nargv0=hello.wasm\nenv=GREETING=hi\nstdin=5\n");
    assert_eq!(run.stderr, "");
    let run = padcell(&["run", "--env", "HELLO_EXIT=7", hello.to_str().unwrap()], b"", &[]);
    assert_eq!(run.code, 7, "{}", run.stderr);
    assert!(run.stdout.starts_with("Hello, world!\n"), "{}", run.stdout);
}

#[test]
fn a_module_is_known_by_its_magic_whatever_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let renamed = dir.path().join("greeter.bin");
    std::fs::copy(hello(), &renamed).unwrap();
    let run = padcell(&["run", renamed.to_str().unwrap(), "Bo"], b"", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("Hello, Bo!\nargv0=greeter.bin\n"), "{}", run.stdout);
}

#[test]
fn a_module_that_imports_what_the_host_lacks_is_refused_naming_the_imports() {
    let dir = tempfile::tempdir().unwrap();
    let run = padcell(&["run", &module_file(dir.path(), "missiles.wat", MISSILES)], b"", &[]);
    assert_eq!(run.code, 2);
    let line = "padcell: missiles.wat imports what the host does not provide: env::launch_missiles, \
                wasi_snapshot_preview1::sock_launch\n";
    assert_eq!(run.stderr, line);
    // The same refusal from the library, typed, before anything runs.
    let err = WasiModule::new(supervisor(), "m.wat", MISSILES.as_bytes()).err().expect("refused");
    let missing = err.downcast_ref::<MissingImports>().expect("a typed refusal");
    assert_eq!(missing.imports, ["env::launch_missiles", "wasi_snapshot_preview1::sock_launch"]);
    // An import that exists with another type is refused too, named by wasmtime.
    let wrong = r#"(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i64)))
      (memory (export "memory") 1) (func (export "_start")))"#;
    let err = WasiModule::new(supervisor(), "wrong.wat", wrong.as_bytes()).err().expect("refused");
    let message = format!("{err:#}");
    assert!(message.starts_with("wrong.wat imports a host function with the wrong type"), "{message}");
    assert!(message.contains("wasi_snapshot_preview1::proc_exit"), "{message}");
}

#[test]
fn a_module_without_start_is_not_a_command() {
    let wat = r#"(module (memory (export "memory") 1) (func (export "main")))"#;
    let err = WasiModule::new(supervisor(), "lib.wat", wat.as_bytes()).err().expect("refused");
    assert_eq!(err.to_string(), "lib.wat is not a WASI command: it exports no `_start` function");
}

#[test]
fn a_trap_exits_134_with_the_wasm_backtrace() {
    let dir = tempfile::tempdir().unwrap();
    let run = padcell(&["run", &module_file(dir.path(), "trap.wat", TRAP)], b"", &[]);
    assert_eq!(run.code, 134);
    let stderr = &run.stderr;
    assert!(stderr.starts_with("padcell: the cell trapped: wasm trap: integer divide by zero\nwasm backtrace:\n"), "{stderr}");
    let inner = stderr.find("0: inner").expect("inner frame");
    let outer = stderr.find("1: outer").expect("outer frame");
    assert!(inner < outer, "{stderr}");
    // Typed from the library.
    let err = run_module(supervisor(), TRAP, Policy::new()).unwrap_err();
    let CellError::Trap(message) = &err else { panic!("expected a trap, got {err:?}") };
    assert!(message.contains("wasm backtrace:") && message.contains("inner"), "{message}");
}

#[test]
fn each_limit_stops_a_module_with_its_exit_code_and_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (SPIN, "--fuel", "1000000", 121, "padcell: cell exceeded its fuel limit (1000000 units)"),
        (SPIN, "--timeout", "300ms", 124, "padcell: cell exceeded its time limit (300ms)"),
        (HOG, "--max-memory", "4MiB", 122, "padcell: cell exceeded its memory limit (4.0 MiB)"),
        (FLOOD, "--max-output", "1KiB", 123, "padcell: cell exceeded its output limit (1.0 KiB)"),
        (DIVE, "--timeout", "10s", 125, "padcell: cell exhausted its stack (recursion too deep)"),
    ];
    for (wat, flag, value, code, line) in cases {
        let module = module_file(dir.path(), "limit.wat", wat);
        let start = Instant::now();
        let run = padcell(&["run", flag, value, &module], b"", &[]);
        assert_eq!(run.code, code, "{flag} {value}: {}", run.stderr);
        assert_eq!(run.stderr.trim_end(), line, "{flag} {value}");
        assert!(start.elapsed() < Duration::from_secs(5), "{flag} took {:?}", start.elapsed());
        if code == 123 {
            assert!(run.stdout.ends_with("[padcell: output limit of 1.0 KiB reached]\n"), "{}", run.stdout);
            assert!(run.stdout.starts_with(&"x".repeat(1024)));
        }
    }
}

#[test]
fn the_open_files_limit_holds_for_a_module_and_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    let module = module_file(dir.path(), "hoard.wat", HOARD);
    let audit = dir.path().join("audit.jsonl");
    let grant = format!("{}::/data", dir.path().join("data").display());
    let args = ["run", "--max-open-files", "5", "--dir", &grant, "--audit-log", audit.to_str().unwrap(), &module];
    let run = padcell(&args, b"", &[]);
    assert_eq!(run.code, ERRNO_MFILE, "{}", run.stderr);
    let log = std::fs::read_to_string(&audit).unwrap();
    assert!(log.contains("'/data': too many open files (the cell's limit is 5)"), "{log}");
}

#[test]
fn a_read_only_grant_refuses_a_module_write_and_audits_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let module = module_file(dir.path(), "create.wat", CREATE_IN_DATA);
    let audit = dir.path().join("audit.jsonl");
    let grant = format!("{}::/data", data.display());
    let run = padcell(&["run", "--dir", &grant, "--audit-log", audit.to_str().unwrap(), &module], b"", &[]);
    assert_eq!(run.code, ERRNO_ACCES, "{}", run.stderr);
    assert!(!data.join("new.txt").exists());
    let log = std::fs::read_to_string(&audit).unwrap();
    assert_eq!(log.lines().count(), 1, "{log}");
    assert!(
        log.contains(
            r#""operation":"open","path":"/data/new.txt","access":"write","rule":"'/data/new.txt' is in read-only grant /data""#
        ),
        "{log}"
    );
    // Granted read-write, the same module creates the file.
    let run = padcell(&["run", "--dir", &format!("{grant}::rw"), &module], b"", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(data.join("new.txt").is_file());
}

#[test]
fn an_applet_directory_whose_main_is_a_module_runs_it_under_its_manifest() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(hello(), dir.path().join("hello.wasm")).unwrap();
    let manifest = "main = \"hello.wasm\"\nargs = [\"Grace\"]\nenv = [\"GREETING=manifest\"]\n[limits]\ntimeout = \"5s\"\n";
    std::fs::write(dir.path().join("applet.toml"), manifest).unwrap();
    let run = padcell(&["run", "--env", "EXTRA=flag", dir.path().to_str().unwrap(), "--loud"], b"", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "Hello, Grace!\nargv0=hello.wasm\nenv=EXTRA=flag,GREETING=manifest\nstdin=0\n");
    // Its limits apply too.
    std::fs::write(dir.path().join("spin.wat"), SPIN).unwrap();
    std::fs::write(dir.path().join("applet.toml"), "main = \"spin.wat\"\n[limits]\ntimeout = \"200ms\"\n").unwrap();
    let run = padcell(&["run", dir.path().to_str().unwrap()], b"", &[]);
    assert_eq!(run.code, 124, "{}", run.stderr);
}

/// A supervisor without the interpreter, metered, with its own module cache and event log.
fn supervisor() -> &'static Supervisor {
    static SUPERVISOR: std::sync::OnceLock<Supervisor> = std::sync::OnceLock::new();
    SUPERVISOR
        .get_or_init(|| Supervisor::builder().cache_dir(common::cache_dir()).interpreter(false).metered(true).build().unwrap())
}

fn run_module(supervisor: &Supervisor, wat: &str, policy: Policy) -> Result<(), CellError> {
    let module = WasiModule::new(supervisor, "test.wat", wat.as_bytes()).map_err(CellError::Host)?;
    module.command().policy(policy).build().map_err(CellError::Host)?.run()
}

#[test]
fn the_library_runs_a_command_once_with_typed_outcomes() {
    let module = WasiModule::from_file(supervisor(), hello()).unwrap();
    assert!(module.imports().iter().all(|(m, _)| m == "wasi_snapshot_preview1"));
    let policy = Policy::new().env("HELLO_EXIT", "9").unwrap();
    let mut command = module.command().policy(policy).args(["Lin"]).stdin(Input::Bytes(b"abc".to_vec())).build().unwrap();
    assert!(matches!(command.run(), Err(CellError::Exit(9))));
    assert_eq!(String::from_utf8(command.stdout()).unwrap(), "Hello, Lin!\nargv0=hello.wasm\nenv=HELLO_EXIT=9\nstdin=3\n");
    assert!(matches!(command.run(), Err(CellError::Spent(_))), "a command runs once");
    // Exit 0 is success; the same module runs again in a fresh command.
    let mut again = module.command().build().unwrap();
    assert!(again.run().is_ok());
    // Limits come back typed, as for Python cells.
    let fuel = Policy::new().with_limits(Limits { fuel: Some(100_000), ..Limits::default() });
    let Err(CellError::Limit(limit)) = run_module(supervisor(), SPIN, fuel) else { panic!("expected the fuel limit") };
    assert_eq!((limit.kind, limit.kind.exit_code()), (LimitKind::Fuel, 121));
    // A supervisor built without the interpreter runs modules but makes no Python cells.
    let err = supervisor().cell().build().err().expect("no interpreter");
    assert!(err.to_string().contains("without the Python interpreter"), "{err}");
}

#[test]
fn a_running_module_is_cancelled_from_another_thread() {
    let module = WasiModule::new(supervisor(), "spin.wat", SPIN.as_bytes()).unwrap();
    let mut command = module.command().build().unwrap();
    let cancel = command.cancel_handle();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        cancel.cancel();
    });
    let Err(CellError::Limit(limit)) = command.run() else { panic!("expected a cancellation") };
    assert_eq!(limit.kind, LimitKind::Cancelled);
    canceller.join().unwrap();
}

#[test]
fn compiled_modules_are_cached_by_their_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = std::fs::read(hello()).unwrap();
    let compiles = Arc::new(Mutex::new(Vec::new()));
    let build = || {
        let seen = compiles.clone();
        Supervisor::builder()
            .cache_dir(dir.path())
            .interpreter(false)
            .on_cache_event(move |e| {
                if let CacheEvent::Compiling { kind, .. } = e {
                    seen.lock().unwrap().push(kind);
                }
            })
            .build()
            .unwrap()
    };
    let first = build();
    WasiModule::new(&first, "hello.wasm", &wasm).unwrap();
    assert_eq!(*compiles.lock().unwrap(), vec![ModuleKind::WasiModule]);
    let entry = first.module_cache_entry(&wasm).expect("a cache entry");
    assert!(entry.is_file() && entry.file_name().unwrap().to_str().unwrap().starts_with("module-"), "{entry:?}");
    // A new supervisor on the same cache loads it without compiling; other bytes compile anew.
    let second = build();
    let module = WasiModule::new(&second, "hello.wasm", &wasm).unwrap();
    assert_eq!(compiles.lock().unwrap().len(), 1);
    assert!(module.command().build().unwrap().run().is_ok());
    WasiModule::new(&second, "spin.wat", SPIN.as_bytes()).unwrap();
    assert_eq!(compiles.lock().unwrap().len(), 2);
}

#[test]
fn a_module_cannot_create_in_a_read_only_grant_or_outside_every_grant() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    let policy = Policy::new().grant(Grant::dir(dir.path().join("data"), "/data", Access::ReadOnly).unwrap()).unwrap();
    assert_eq!(run_module(supervisor(), CREATE_IN_DATA, policy).unwrap_err().exit_code(), ERRNO_ACCES);
    // With no grant at all, /data is outside every grant: the same refusal.
    assert_eq!(run_module(supervisor(), CREATE_IN_DATA, Policy::new()).unwrap_err().exit_code(), ERRNO_ACCES);
}
