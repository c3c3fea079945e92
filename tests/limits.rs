//! Limits and fault containment: each limit stops a hostile cell with its own exit code and
//! message, on time, and the supervisor goes on to run fresh cells correctly.

#![allow(clippy::disallowed_methods, reason = "tests set up host files as the operator does")]

mod common;

use common::{may_recurse, padcell};
use padcell::{CellError, LimitKind, Limits, Policy, Supervisor, Value};
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A supervisor that meters fuel, so cells here may have fuel limits.
fn supervisor() -> &'static Supervisor {
    static METERED: std::sync::OnceLock<Supervisor> = std::sync::OnceLock::new();
    METERED.get_or_init(|| Supervisor::builder().cache_dir(common::cache_dir()).metered(true).build().unwrap())
}

/// The tests here measure time, and one of them loads both cores: they run one at a time.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn limited(limits: Limits) -> Policy {
    may_recurse(Policy::new()).with_limits(limits)
}

/// Runs `applet` in a cell under `limits`; returns the limit that stopped it and how long it took.
fn stopped_by(limits: Limits, applet: &str) -> (LimitKind, String, Duration) {
    let mut cell = supervisor().cell().policy(limited(limits)).build().unwrap();
    let start = Instant::now();
    let err = cell.exec(applet).unwrap_err();
    let took = start.elapsed();
    let CellError::Limit(limit) = &err else { panic!("{applet}: expected a limit, got {err:?}") };
    assert!(matches!(cell.exec("pass"), Err(CellError::Spent(_))), "a stopped cell is spent");
    // The supervisor goes on: a fresh cell gets the right answer.
    assert_eq!(supervisor().cell().build().unwrap().eval("sum(range(10))").unwrap(), Value::Int(45));
    (limit.kind, limit.to_string(), took)
}

#[test]
fn a_spinning_cell_stops_at_its_deadline_within_a_small_margin() {
    let _serial = one_at_a_time();
    let limits = Limits { timeout: Duration::from_millis(500), ..Limits::default() };
    let (kind, message, took) = stopped_by(limits, "while True:\n    pass");
    assert_eq!(kind, LimitKind::Time);
    assert_eq!(message, "cell exceeded its time limit (500ms)");
    assert!(took >= Duration::from_millis(500) && took < Duration::from_millis(800), "{took:?}");
}

#[test]
fn a_sleeping_cell_stops_at_its_deadline_too() {
    let _serial = one_at_a_time();
    let limits = Limits { timeout: Duration::from_millis(300), ..Limits::default() };
    let (kind, _, took) = stopped_by(limits, "import time\ntime.sleep(60)");
    assert_eq!(kind, LimitKind::Time);
    assert!(took < Duration::from_millis(600), "{took:?}");
}

#[test]
fn fuel_runs_out() {
    let _serial = one_at_a_time();
    let limits = Limits { fuel: Some(5_000_000), ..Limits::default() };
    let (kind, message, _) = stopped_by(limits, "n = 0\nwhile True:\n    n += 1");
    assert_eq!(kind, LimitKind::Fuel);
    assert_eq!(message, "cell exceeded its fuel limit (5000000 units)");
    // Enough fuel for a small job lets it finish, call after call.
    let mut cell = supervisor().cell().policy(limited(Limits { fuel: Some(50_000_000), ..Limits::default() })).build().unwrap();
    for _ in 0..3 {
        assert_eq!(cell.eval("sum(range(1000))").unwrap(), Value::Int(499500));
    }
}

#[test]
fn a_fuel_limit_needs_a_metered_supervisor() {
    let _serial = one_at_a_time();
    let policy = limited(Limits { fuel: Some(1000), ..Limits::default() });
    let err = common::supervisor().cell().policy(policy).build().err().expect("an unmetered cell with fuel");
    assert!(err.to_string().contains("needs a metered supervisor"), "{err}");
}

#[test]
fn memory_runs_out() {
    let _serial = one_at_a_time();
    let limits = Limits { memory: 96 << 20, ..Limits::default() };
    let (kind, message, _) = stopped_by(limits, "hoard = []\nwhile True:\n    hoard.append(bytearray(1 << 20))");
    assert_eq!(kind, LimitKind::Memory);
    assert_eq!(message, "cell exceeded its memory limit (96.0 MiB)");
}

#[test]
fn output_is_cut_with_a_marker_and_the_cell_stopped() {
    let _serial = one_at_a_time();
    let limits = Limits { output: 4096, ..Limits::default() };
    let mut cell = supervisor().cell().policy(limited(limits)).build().unwrap();
    let err = cell.exec("while True:\n    print('flood ' * 20)").unwrap_err();
    let CellError::Limit(limit) = &err else { panic!("{err:?}") };
    assert_eq!(limit.kind, LimitKind::Output);
    let out = String::from_utf8(cell.take_stdout()).unwrap();
    assert!(out.ends_with("\n[padcell: output limit of 4.0 KiB reached]\n"), "{out}");
    assert_eq!(out.len(), 4096 + "\n[padcell: output limit of 4.0 KiB reached]\n".len());
}

#[test]
fn deep_recursion_is_a_recursion_error_or_a_clean_limit() {
    let _serial = one_at_a_time();
    let mut cell = supervisor().cell().build().unwrap();
    cell.exec("def dive(n):\n    return dive(n + 1)").unwrap();
    let Err(CellError::Exception(e)) = cell.exec("dive(0)") else { panic!("no RecursionError") };
    assert_eq!(e.type_name, "RecursionError");
    // Recursion in CPython's C code (nested data, repr, Python called from C) has the stack it
    // needs to reach its own limit: a RecursionError, and the cell goes on.
    for deep in [
        "import json\njson.loads('[' * 100_000 + ']' * 100_000)",
        "class A:\n    def __repr__(self): return repr(A())\nrepr(A())",
        "def f(n): return sorted([1, 2], key=lambda x: f(n + 1))\nf(0)",
    ] {
        let Err(CellError::Exception(e)) = cell.exec(deep) else { panic!("{deep}: no RecursionError") };
        assert_eq!(e.type_name, "RecursionError", "{deep}");
    }
    assert_eq!(cell.eval("1 + 1").unwrap(), Value::Int(2));
    // Python frames live in the cell's memory: past a raised recursion limit, the memory limit.
    let (kind, message, _) = stopped_by(
        Limits { memory: 64 << 20, ..Limits::default() },
        "import sys\nsys.setrecursionlimit(10**8)\ndef dive(n):\n    return dive(n + 1)\ndive(0)",
    );
    assert_eq!(kind, LimitKind::Memory);
    assert_eq!(message, "cell exceeded its memory limit (64.0 MiB)");
}

#[test]
fn open_files_are_capped_with_an_os_error_the_applet_can_handle() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.txt"), "x").unwrap();
    let policy = Policy::new()
        .grant(padcell::Grant::dir(dir.path(), "/d", padcell::Access::ReadOnly).unwrap())
        .unwrap()
        .with_limits(Limits { open_files: 8, ..Limits::default() });
    let mut cell = supervisor().cell().policy(policy).build().unwrap();
    cell.exec(
        "held = []\ntry:\n    while True:\n        held.append(open('/d/f.txt'))\nexcept OSError as e:\n    error = str(e)",
    )
    .unwrap();
    assert_eq!(cell.eval("len(held)").unwrap(), Value::Int(8));
    let Value::Str(error) = cell.eval("error").unwrap() else { panic!() };
    assert!(error.contains("too many open files (the cell's limit is 8)"), "{error}");
    cell.exec("for f in held: f.close()\nopen('/d/f.txt').close()").unwrap();
}

#[test]
fn a_cancel_handle_stops_a_running_cell_from_another_thread() {
    let _serial = one_at_a_time();
    let mut cell = supervisor().cell().build().unwrap();
    let handle = cell.cancel_handle();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        handle.cancel();
    });
    let start = Instant::now();
    let err = cell.exec("import time\nwhile True:\n    time.sleep(0.01)").unwrap_err();
    canceller.join().unwrap();
    let CellError::Limit(limit) = &err else { panic!("{err:?}") };
    assert_eq!(limit.kind, LimitKind::Cancelled);
    assert!(start.elapsed() < Duration::from_millis(600), "{:?}", start.elapsed());
}

#[test]
fn each_limit_has_its_exit_code_and_one_line_in_the_cli() {
    let _serial = one_at_a_time();
    // A WASI module that recurses without end: only the stack stops it.
    let dir = tempfile::tempdir().unwrap();
    let dive = dir.path().join("dive.wat");
    std::fs::write(&dive, r#"(module (func $dive (export "_start") call $dive) (memory (export "memory") 1))"#).unwrap();
    let cases: &[(&[&str], i32, &str)] = &[
        (&["--timeout", "300ms", "-c", "while True: pass"], 124, "padcell: cell exceeded its time limit (300ms)"),
        (&["--fuel", "1000000", "-c", "while True: pass"], 121, "padcell: cell exceeded its fuel limit (1000000 units)"),
        (
            &["--max-memory", "96MiB", "-c", "x = []\nwhile True: x.append(bytearray(1 << 20))"],
            122,
            "padcell: cell exceeded its memory limit (96.0 MiB)",
        ),
        (&["--max-output", "100B", "-c", "while True: print('x' * 50)"], 123, "padcell: cell exceeded its output limit (100 B)"),
        (
            &[
                "--allow-sys",
                "setrecursionlimit",
                "--max-memory",
                "64MiB",
                "-c",
                "import sys\nsys.setrecursionlimit(10**8)\ndef d(): d()\nd()",
            ],
            122,
            "padcell: cell exceeded its memory limit (64.0 MiB)",
        ),
        (&[dive.to_str().unwrap()], 125, "padcell: cell exhausted its stack (recursion too deep)"),
    ];
    for (args, code, line) in cases {
        let mut argv = vec!["run"];
        argv.extend_from_slice(args);
        let run = padcell(&argv, b"", &[]);
        assert_eq!(run.code, *code, "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr.lines().last(), Some(*line), "{args:?}: {}", run.stderr);
    }
    let run = padcell(&["run", "--timeout", "soon", "-c", "pass"], b"", &[]);
    assert_eq!((run.code, run.stderr.lines().count()), (2, 1), "{}", run.stderr);
}

#[test]
fn a_stdin_that_never_ends_cannot_outlive_the_deadline() {
    let _serial = one_at_a_time();
    let mut child = Command::new(env!("CARGO_BIN_EXE_padcell"))
        .args(["run", "--timeout", "500ms", "-c", "import sys\nsys.stdin.read()"])
        .env("PADCELL_CACHE_DIR", common::cache_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"a little, and then nothing more").unwrap();
    let start = Instant::now();
    let out = child.wait_with_output().unwrap();
    drop(stdin); // held open until the cell was stopped
    assert_eq!(out.status.code(), Some(124), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(start.elapsed() < Duration::from_secs(3), "{:?}", start.elapsed());
}

#[test]
fn the_manifest_sets_limits_and_flags_override_them() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("spin.py"), "while True:\n    pass\n").unwrap();
    std::fs::write(dir.path().join("applet.toml"), "main = \"spin.py\"\n[limits]\ntimeout = \"200ms\"\n").unwrap();
    let applet = dir.path().to_str().unwrap();
    let run = padcell(&["run", applet], b"", &[]);
    assert_eq!((run.code, run.stderr.trim_end()), (124, "padcell: cell exceeded its time limit (200ms)"));
    let run = padcell(&["run", "--fuel", "1000000", applet], b"", &[]);
    assert_eq!(run.code, 121, "{}", run.stderr);
    std::fs::write(dir.path().join("applet.toml"), "main = \"spin.py\"\n[limits]\ntimeout = \"2s\"\ncpu = 1\n").unwrap();
    let run = padcell(&["run", applet], b"", &[]);
    assert_eq!((run.code, run.stderr.lines().count()), (2, 1), "{}", run.stderr);
}

#[test]
fn a_hundred_cells_at_once_a_fifth_hostile_and_every_good_one_gets_its_answer() {
    let _serial = one_at_a_time();
    let limits = Limits {
        timeout: Duration::from_secs(3),
        memory: 128 << 20,
        output: 64 << 10,
        fuel: Some(2_000_000_000),
        ..Limits::default()
    };
    let hostile = [
        "while True:\n    pass",
        "hoard = []\nwhile True:\n    hoard.append(bytearray(1 << 20))",
        "while True:\n    print('flood' * 100)",
        "import time\ntime.sleep(600)",
    ];
    let threads: Vec<_> = (0..100)
        .map(|i| {
            let supervisor = supervisor().clone();
            std::thread::spawn(move || {
                let mut cell = supervisor.cell().policy(limited(limits)).build().expect("cell");
                if i % 5 == 0 {
                    let result = cell.exec(hostile[(i / 5) % hostile.len()]);
                    (i, None, matches!(result, Err(CellError::Limit(_))))
                } else {
                    let value = cell.eval(&format!("sum(x * x for x in range({i}))")).expect("good cell");
                    (i, Some(value), true)
                }
            })
        })
        .collect();
    for thread in threads {
        let (i, value, ok) = thread.join().expect("no cell may take its thread down");
        assert!(ok, "hostile cell {i} was not stopped by a limit");
        if let Some(value) = value {
            let expected: i64 = (0..i as i64).map(|x| x * x).sum();
            assert_eq!(value, Value::Int(expected), "cell {i}");
        }
    }
}

#[test]
fn hostile_raw_calls_to_every_host_function_never_take_the_host_down() {
    // The fuzz target's module, driven here by a fixed pseudo-random sequence so CI runs it too.
    let _serial = one_at_a_time();
    let wat = include_str!("../host/fuzz/hostile.wat");
    let exports: Vec<&str> =
        wat.split("(export \"").skip(1).filter_map(|s| s.split('"').next()).filter(|n| n.starts_with("call_")).collect();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("rw")).unwrap();
    std::fs::create_dir_all(dir.path().join("canary")).unwrap();
    std::fs::write(dir.path().join("canary/secret"), "untouched").unwrap();
    let policy = Policy::new()
        .grant(padcell::Grant::dir(dir.path().join("rw"), "/rw", padcell::Access::ReadWrite).unwrap())
        .unwrap()
        .with_limits(Limits { timeout: Duration::from_secs(2), fuel: Some(10_000_000), ..Limits::default() });
    let module = padcell::RawModule::new(supervisor(), wat.as_bytes()).unwrap();
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let (mut calls, mut traps) = (0, 0);
    for _ in 0..200 {
        let mut cell = module.instantiate(&policy, &["raw".into()]).unwrap();
        let image: Vec<u8> = (0..256).map(|i| if i % 7 == 0 { b'/' } else { b"rw./..x\xff"[next() as usize % 8] }).collect();
        cell.write_memory(0, &image).unwrap();
        for _ in 0..20 {
            let name = exports[next() as usize % exports.len()];
            // Small values reach real descriptors and paths; the rest are wild.
            let args: Vec<i32> = (0..9)
                .map(|_| {
                    let r = next();
                    if r % 3 == 0 { (r >> 8) as i32 } else { (r >> 8) as i32 & 0x1ff }
                })
                .collect();
            calls += 1;
            if cell.call(name, &args).is_err() {
                traps += 1;
                break;
            }
        }
    }
    assert!(calls > 400, "{calls} calls");
    assert!(traps < calls, "every call trapped: the harness is not reaching the host functions");
    assert_eq!(std::fs::read_to_string(dir.path().join("canary/secret")).unwrap(), "untouched");
    assert_eq!(std::fs::read_dir(dir.path().join("canary")).unwrap().count(), 1);
    assert_eq!(supervisor().cell().build().unwrap().eval("6 * 7").unwrap(), Value::Int(42));
}

// A policy, an applet, the outcome: no write may take a file past `--max-file-size`. The applet
// gets EFBIG (and can go on), the file on the host stops at the limit, and the audit log names it.
#[test]
fn writes_and_resizes_past_the_file_size_limit_raise_efbig() {
    let dir = tempfile::tempdir().unwrap();
    let (supervisor, events) = common::audited();
    let policy = Policy::new()
        .grant(padcell::Grant::dir(dir.path(), "/out", padcell::Access::ReadWrite).unwrap())
        .unwrap()
        .with_limits(Limits { file_size: 100, ..Limits::default() });
    // All of `os`, for its positional writes.
    let mut cell = supervisor.cell().policy(common::unshaped(policy)).build().unwrap();
    let applet = r#"
import errno, os
refused = []
with open('/out/f', 'wb', buffering=0) as f:
    f.write(b'a' * 64)                 # within the limit
    try:
        f.write(b'b' * 64)             # 128 > 100
    except OSError as e:
        refused.append(('write', e.errno == errno.EFBIG))
    try:
        f.truncate(1000)               # a resize past it
    except OSError as e:
        refused.append(('truncate', e.errno == errno.EFBIG))
fd = os.open('/out/f', os.O_WRONLY)
try:
    os.pwrite(fd, b'c', 100)           # a positional write that ends at 101
except OSError as e:
    refused.append(('pwrite', e.errno == errno.EFBIG))
os.pwrite(fd, b'd', 99)                # ends at 100: allowed
os.close(fd)
with open('/out/f', 'ab', buffering=0) as f:
    try:
        f.write(b'e')                  # appends past the end
    except OSError as e:
        refused.append(('append', e.errno == errno.EFBIG))
"#;
    cell.exec(applet).unwrap();
    let expected =
        ["write", "truncate", "pwrite", "append"].map(|op| Value::Tuple(vec![Value::Str(op.into()), Value::Bool(true)]));
    assert_eq!(cell.eval("refused").unwrap(), Value::List(expected.to_vec()));
    assert_eq!(std::fs::metadata(dir.path().join("f")).unwrap().len(), 100);
    let events = events.lock().unwrap();
    let rules: Vec<&str> = events.iter().filter(|e| e.operation == "write").map(|e| e.rule.as_str()).collect();
    assert_eq!(rules.len(), 4, "{events:?}");
    assert!(rules.iter().all(|r| *r == "'/out/f': the cell's file size limit of 100 B is reached"), "{rules:?}");
}

#[test]
fn the_cli_and_the_manifest_take_the_file_size_limit() {
    let dir = tempfile::tempdir().unwrap();
    let grant = format!("{}::/out::rw", dir.path().display());
    let code = "open('/out/f', 'wb', buffering=0).write(b'x' * 2048)";
    let run = padcell(&["run", "--dir", &grant, "--max-file-size", "1KiB", "-c", code], b"", &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("OSError") && run.stderr.contains("File too large"), "{}", run.stderr);
    let help = padcell(&["run", "--help"], b"", &[]);
    assert!(help.stdout.contains("--max-file-size <SIZE>"), "{}", help.stdout);
    assert!(help.stdout.contains("[default: 1.0 GiB]"), "the default comes from Limits::DEFAULT: {}", help.stdout);
    let flags: padcell::LimitFlags = toml::from_str("file-size = \"10KiB\"").unwrap();
    assert_eq!(flags.apply(Limits::default()).unwrap().file_size, 10 << 10);
}
