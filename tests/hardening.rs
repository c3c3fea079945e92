//! The host's own costs, bounded by the cell's limits: each test is a hostile applet or module
//! under a policy, and asserts what the HOST observed (its peak memory, its wall time against the
//! limit, bytes of log and stderr, links on the host tree, the exit code), not what the cell saw.
//! Each reproduces a finding of the adversarial review (issue 13).

#![allow(clippy::disallowed_methods, reason = "tests set up host files as the operator does")]

mod common;

use common::{audited, cache_dir, supervisor};
use padcell::{Access, Grant, Limits, Policy, PolicyError, Value};
use padcell_conformance::program;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One `padcell` process, measured by the host: its exit code, output, wall time and peak RSS.
struct Measured {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
    wall: Duration,
    peak_rss_mib: u64,
}

/// Runs `padcell ARGS` with the shared cache and reaps it with `wait4`, which reports that
/// child's own peak resident memory.
fn measure(args: &[&str]) -> Measured {
    measure_with(args, |_| {})
}

fn measure_with(args: &[&str], setup: impl FnOnce(&mut Command)) -> Measured {
    warm_cache();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_padcell"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("PADCELL_CACHE_DIR", cache_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    setup(&mut cmd);
    let start = Instant::now();
    #[allow(clippy::zombie_processes, reason = "reaped by `wait4` below, which also reports its peak RSS")]
    let mut child = cmd.spawn().expect("starting padcell");
    let mut out = child.stdout.take();
    let mut err = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(out) = out.as_mut() {
            let _ = out.read_to_end(&mut bytes);
        }
        bytes
    });
    let err_reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = err.read_to_end(&mut bytes);
        bytes
    });
    let (status, rss_kib) = wait4(child.id());
    let wall = start.elapsed();
    let stdout = out_reader.join().unwrap();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned();
    Measured { code: status, stdout, stderr, wall, peak_rss_mib: rss_kib / 1024 }
}

/// Runs one cell through the CLI before anything is measured, so that no measured run waits for
/// the module cache to compile the interpreter (on a fresh machine, the first run does).
fn warm_cache() {
    static WARM: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    WARM.get_or_init(|| {
        let status = Command::new(env!("CARGO_BIN_EXE_padcell"))
            .args(["run", "-c", "pass"])
            .env_clear()
            .env("PADCELL_CACHE_DIR", cache_dir())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("starting padcell");
        assert!(status.success(), "padcell run -c pass failed: {status}");
    });
}

/// Waits for process `pid`; its exit code (or 128 + signal) and peak RSS in KiB.
#[allow(unsafe_code, reason = "libc's wait4, to read a child's peak memory")]
fn wait4(pid: u32) -> (i32, u64) {
    let mut status = 0;
    // SAFETY: rusage is plain data, zeroed is a valid value; pid is our own unreaped child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid as libc::pid_t, "wait4");
    let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { 128 + libc::WTERMSIG(status) };
    (code, usage.ru_maxrss as u64)
}

/// The peak RSS of a cell that does nothing, as the baseline the hostile ones are held to.
fn baseline_mib() -> u64 {
    static BASE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *BASE.get_or_init(|| {
        let run = measure(&["run", "--max-memory", "128MiB", "-c", "print('hi')"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.peak_rss_mib
    })
}

/// Allowed above the baseline: the cell's own memory limit, plus a margin for the host.
fn within_memory(run: &Measured, limit_mib: u64) {
    let bound = baseline_mib() + limit_mib + 64;
    assert!(run.peak_rss_mib <= bound, "host peak {} MiB > {bound} MiB (baseline {})", run.peak_rss_mib, baseline_mib());
}

fn within_time(run: &Measured, limit: Duration) {
    let bound = limit + Duration::from_secs(3);
    assert!(run.wall <= bound, "took {:?}, limit {limit:?}", run.wall);
}

// 1. Long paths: refused before the host splits, copies or logs them.
#[test]
fn a_path_of_megabytes_costs_the_host_nothing() {
    let run = measure(&[
        "run",
        "--max-memory",
        "128MiB",
        "--timeout",
        "2s",
        "-c",
        "import errno\ntry:\n    open('a/' * (5 << 20))\nexcept OSError as e:\n    print(e.errno == errno.ENAMETOOLONG, len(str(e)) < 1000, str(e)[-40:])",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(out.starts_with("True True ") && out.contains("path limit"), "ENAMETOOLONG expected: {out}");
    within_memory(&run, 128);
    within_time(&run, Duration::from_secs(2));
}

/// Runs one case of the hostile `host_costs` program under a 2 s, 256 MiB cell, and holds the
/// host to those bounds; the program says on stderr what its one call returned.
fn host_costs(case: &str, returned: &str) -> Measured {
    let wasm = program("host_costs");
    let run = measure(&["run", "--timeout", "2s", "--max-memory", "256MiB", wasm.to_str().unwrap(), case]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains(returned), "{case}: {}", run.stderr);
    within_memory(&run, 256);
    within_time(&run, Duration::from_secs(2));
    run
}

#[test]
fn a_raw_wasi_path_of_64_mib_is_refused_quickly_and_small() {
    host_costs("long-path", "name: \"NAMETOOLONG\"");
}

// 6. One fd_write with millions of iovecs: a short write, at once.
#[test]
fn millions_of_iovecs_make_a_short_write() {
    let run = host_costs("iovecs", "Ok(1024)");
    assert_eq!(run.stdout.len(), 1024);
}

#[test]
fn a_million_poll_subscriptions_are_refused() {
    host_costs("poll", "name: \"INVAL\"");
}

// 2. No symlink leading outside a grant can be planted on the host.
#[test]
fn no_link_a_cell_makes_leads_outside_its_grant_on_the_host() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rw")).unwrap();
    std::fs::write(dir.path().join("secret"), "secret").unwrap();
    let wasm = program("plant_links");
    let grant = format!("{}::/rw::rw", dir.path().join("rw").display());
    let run = measure(&["run", "--dir", &grant, wasm.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", String::from_utf8_lossy(&run.stdout), run.stderr);
    let root = dir.path().join("rw").canonicalize().unwrap();
    let mut links = 0;
    for_each_link(&root, &mut |link| {
        links += 1;
        if let Ok(target) = link.canonicalize() {
            assert!(target.starts_with(&root), "{} leads to {}", link.display(), target.display());
        }
    });
    assert!(links > 0, "the program made no link at all");
    // And the next cell's grants of that output follow no link out either.
    for name in ["l", "h", "d/through", "b/l"] {
        let path = root.join(name);
        assert!(Grant::file(&path, "/in.txt", Access::ReadOnly).map(|g| g.host().starts_with(&root)).unwrap_or(true));
    }
}

fn for_each_link(dir: &Path, f: &mut dyn FnMut(&Path)) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        if kind.is_symlink() {
            f(&entry.path());
        } else if kind.is_dir() {
            for_each_link(&entry.path(), f);
        }
    }
}

#[test]
fn a_grant_of_a_planted_link_is_refused_unless_its_target_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("scratch")).unwrap();
    std::fs::create_dir_all(dir.path().join("secret")).unwrap();
    std::fs::write(dir.path().join("secret/x"), "secret").unwrap();
    std::os::unix::fs::symlink("../secret/x", dir.path().join("scratch/l")).unwrap();
    std::os::unix::fs::symlink("../secret", dir.path().join("scratch/dl")).unwrap();
    std::os::unix::fs::symlink("inside.txt", dir.path().join("scratch/ok")).unwrap();
    std::fs::write(dir.path().join("scratch/inside.txt"), "inside").unwrap();
    let file = Grant::file(dir.path().join("scratch/l"), "/in.txt", Access::ReadOnly).unwrap_err();
    assert!(matches!(&file, PolicyError::Grant(m) if m.contains("symlink that leads outside")), "{file}");
    let dir_grant = Grant::dir(dir.path().join("scratch/dl"), "/x", Access::ReadOnly).unwrap_err();
    assert!(matches!(&dir_grant, PolicyError::Grant(m) if m.contains("symlink that leads outside")), "{dir_grant}");
    // A link that stays beside its target is the operator's own, and the target is granted.
    let ok = Grant::file(dir.path().join("scratch/ok"), "/in.txt", Access::ReadOnly).unwrap();
    assert!(ok.host().ends_with("inside.txt"), "{}", ok.host().display());
    Grant::dir(dir.path().join("secret"), "/x", Access::ReadOnly).unwrap();
}

// 16. A grant is a handle: a path swapped on the host after the grant leads nowhere new.
#[test]
fn a_grant_swapped_for_a_link_after_it_was_made_still_reads_the_granted_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::create_dir_all(dir.path().join("secret")).unwrap();
    std::fs::write(dir.path().join("data/a.txt"), "granted").unwrap();
    std::fs::write(dir.path().join("secret/a.txt"), "secret").unwrap();
    let policy = Policy::new().grant(Grant::dir(dir.path().join("data"), "/data", Access::ReadOnly).unwrap()).unwrap();
    std::fs::rename(dir.path().join("data"), dir.path().join("moved")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("secret"), dir.path().join("data")).unwrap();
    let mut cell = supervisor().cell().policy(policy).build().unwrap();
    assert_eq!(cell.eval("open('/data/a.txt').read()").unwrap(), Value::Str("granted".into()));
}

// 3. The audit log is bounded per record and per cell.
#[test]
fn a_flood_of_refusals_leaves_a_bounded_audit_log() {
    let (supervisor, events) = audited();
    let mut cell = supervisor.cell().build().unwrap();
    let code =
        "for i in range(3000):\n    try:\n        open('/secret/' + 'x' * 4000 + str(i))\n    except OSError:\n        pass";
    cell.exec(code).unwrap();
    drop(cell);
    let seen = events.lock().unwrap().clone();
    assert_eq!(seen.len() as u64, padcell::MAX_AUDIT_EVENTS + 1, "{}", seen.len());
    let bytes: usize = seen.iter().map(|e| e.to_json_line().len()).sum();
    assert!(bytes < 3 << 20, "{bytes} bytes of audit log");
    let last = seen.last().unwrap();
    assert_eq!(last.operation, "audit");
    assert!(last.rule.starts_with("2000 more refusals were not recorded"), "{}", last.rule);
    assert!(seen.iter().all(|e| e.path.len() <= 512), "a record holds a whole path");
}

// 5. A FIFO inside a grant is refused at once; it never blocks the host.
#[test]
#[allow(unsafe_code, reason = "libc's mkfifo, to plant a FIFO in a grant")]
fn a_fifo_inside_a_grant_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let made = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid C string and mode.
    assert_eq!(unsafe { libc::mkfifo(made.as_ptr(), 0o600) }, 0);
    let grant = format!("{}::/data", dir.path().display());
    let run = measure(&[
        "run",
        "--dir",
        &grant,
        "--timeout",
        "2s",
        "-c",
        "try:\n    open('/data/fifo').read()\nexcept PermissionError as e:\n    print(e)",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(String::from_utf8_lossy(&run.stdout).contains("'/data/fifo' is not a regular file or directory"), "{:?}", run);
    assert!(run.wall < Duration::from_secs(2), "took {:?}", run.wall);
}

impl std::fmt::Debug for Measured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {} in {:?}: {}{}", self.code, self.wall, String::from_utf8_lossy(&self.stdout), self.stderr)
    }
}

// 9. A reader that stops reading holds the queue, not the cell: it stops at its deadline.
#[test]
fn a_stalled_stdout_reader_cannot_keep_a_cell_past_its_deadline() {
    let (reader, writer) = std::io::pipe().unwrap();
    let run =
        measure_with(&["run", "--timeout", "1s", "-c", "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)"], |cmd| {
            cmd.stdout(writer);
        });
    drop(reader);
    // The pipe was never read: the cell filled it and then waited, until its deadline.
    assert_eq!(run.code, 124, "{run:?}");
    within_time(&run, Duration::from_secs(1));
}

// 12. An uncaught exception's traceback is output: it gets what is left of the limit.
#[test]
fn a_huge_traceback_is_cut_at_the_output_limit() {
    let run = measure(&["run", "--max-output", "1KiB", "-c", "raise ValueError('x' * 7_000_000)"]);
    assert_eq!(run.code, 1, "{}", &run.stderr[..run.stderr.len().min(400)]);
    assert!(run.stderr.len() < 8 << 10, "{} bytes of stderr", run.stderr.len());
    assert!(run.stderr.contains("ValueError"), "{}", run.stderr);
}

// 10. Children's captured output counts against their parent's output limit.
#[test]
fn childrens_output_is_charged_to_their_parent() {
    let limits = Limits { output: 1 << 20, ..Limits::default() };
    let mut parent = supervisor().cell().policy(Policy::new().with_limits(limits)).build().unwrap();
    parent.exec("import padcell\nkids = [padcell.Cell(memory=40 << 20) for _ in range(3)]").unwrap();
    let code = "outcomes = []\nfor k in kids:\n    try:\n        k.exec(\"print('x' * 400_000)\")\n        outcomes.append('ok')\n    except padcell.CellError as e:\n        outcomes.append(e.kind)";
    parent.exec(code).unwrap();
    // 1 MiB between them: two children fit, the third reaches the parent's limit.
    assert_eq!(
        parent.eval("outcomes").unwrap(),
        Value::List(vec!["ok", "ok", "limit"].into_iter().map(|s| Value::Str(s.into())).collect())
    );
}

// 8. The shared compiler works within the importing cell's time.
#[test]
fn compiling_a_huge_module_for_a_cell_stops_at_the_cells_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let mut source = String::from("table = {\n");
    for i in 0..20_000 {
        source.push_str(&format!("    'key{i}': [{i}, {i} * 2, 'v{i}'],\n"));
    }
    source.push_str("}\n");
    std::fs::write(dir.path().join("huge.py"), source).unwrap();
    let root = format!("{}::loader", dir.path().display());
    let run = measure(&["run", "--module-root", &root, "--timeout", "1s", "-c", "import huge\nprint(len(huge.table))"]);
    assert!(run.code == 124 || run.code == 0, "{run:?}");
    within_time(&run, Duration::from_secs(1));
}

// 15. A child's own support imports are not the applet's: nothing is audited for them.
#[test]
fn a_child_reading_a_text_file_audits_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "text").unwrap();
    let (supervisor, events) = audited();
    let policy = Policy::new().grant(Grant::dir(dir.path(), "/data", Access::ReadOnly).unwrap()).unwrap();
    let mut parent = supervisor.cell().policy(policy).build().unwrap();
    parent.exec("import padcell\nchild = padcell.Cell(dirs={'/data': 'ro'})").unwrap();
    assert_eq!(parent.eval("child.eval(\"open('/data/a.txt').read()\")").unwrap(), Value::Str("text".into()));
    assert!(events.lock().unwrap().is_empty(), "{:#?}", events.lock().unwrap());
}

// 11. The kv store measures a value before it builds the file: a deeply nested value costs the
// host little, and the file stays within its cap.
#[test]
fn a_deeply_nested_kv_value_costs_the_host_little() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.json");
    let object = format!("kv={}", store.display());
    let deep = "import padcell\nkv = padcell.host('kv')\nv = [None] * 150_000\nfor _ in range(60):\n    v = [v]\nkv.set('deep', v)\nprint('stored')";
    let run = measure(&["run", "--object", &object, "--timeout", "20s", "-c", deep]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(String::from_utf8_lossy(&run.stdout).contains("stored"), "{run:?}");
    within_memory(&run, 256);
    let fill = "import padcell\nkv = padcell.host('kv')\ntry:\n    for i in range(40):\n        kv.set(f'big{i}', 'x' * (900 << 10))\nexcept ValueError as e:\n    print(i, e)";
    let run = measure(&["run", "--object", &object, "--timeout", "20s", "-c", fill]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(String::from_utf8_lossy(&run.stdout).contains("the store would exceed 16 MiB"), "{run:?}");
    assert!(std::fs::metadata(&store).unwrap().len() <= 16 << 20);
    within_memory(&run, 256);
}

// The rest of the class: writes to a read-write grant are bounded too.
#[test]
fn writes_past_the_disk_limit_raise_enospc_and_the_cell_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let grant = format!("{}::/out::rw", dir.path().display());
    let code = "import errno\nf = open('/out/big', 'wb')\ntry:\n    for _ in range(100):\n        f.write(b'x' * 65536)\n        f.flush()\nexcept OSError as e:\n    print(e.errno == errno.ENOSPC, e)\nprint('goes on')";
    let log = dir.path().join("audit.jsonl");
    let run = measure(&["run", "--dir", &grant, "--max-disk", "1MiB", "--audit-log", log.to_str().unwrap(), "-c", code]);
    let out = String::from_utf8_lossy(&run.stdout).into_owned();
    assert_eq!(run.code, 0, "{run:?}");
    assert!(out.starts_with("True ") && out.contains("goes on"), "{out}");
    let audit = std::fs::read_to_string(&log).unwrap();
    assert!(audit.contains("'/out/big': the cell's disk write limit of 1.0 MiB is reached"), "{audit}");
    assert!(std::fs::metadata(dir.path().join("big")).unwrap().len() <= 1 << 20);
}

// 14. What the interpreter's native code needs is there, whatever the policy hides: an applet
// gets an exception, never a trap.
#[test]
fn asyncio_and_socketpair_raise_instead_of_trapping() {
    for code in ["import asyncio\nasyncio.new_event_loop()", "import socket\nsocket.socketpair()"] {
        for deny in [&[][..], &["--deny-sys", "unraisablehook"][..]] {
            let mut args = vec!["run", "--allow-module", "*"];
            args.extend_from_slice(deny);
            args.extend(["-c", code]);
            let run = measure(&args);
            assert_eq!(run.code, 1, "{code}: {run:?}");
            assert!(run.stderr.contains("Error") && !run.stderr.contains("trapped"), "{code}: {run:?}");
        }
    }
}

// 9. Cancellation reaches every host call made for the cell: a child it runs stops with it.
#[test]
fn cancelling_a_parent_stops_the_child_it_is_running() {
    let mut parent = supervisor().cell().build().unwrap();
    parent.exec("import padcell\nchild = padcell.Cell()").unwrap();
    let cancel = parent.cancel_handle();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        cancel.cancel();
    });
    let start = Instant::now();
    let outcome = parent.exec("child.exec('while True: pass')");
    canceller.join().unwrap();
    assert!(start.elapsed() < Duration::from_secs(5), "took {:?}", start.elapsed());
    match outcome {
        Err(padcell::CellError::Limit(limit)) => assert_eq!(limit.kind, padcell::LimitKind::Cancelled),
        other => panic!("{other:?}"),
    }
}

// Each new file, directory or link costs the disk budget an entry (4 KiB), so a cell cannot fill
// the host's inode table with empty files either.
#[test]
fn new_entries_count_against_the_disk_limit() {
    let dir = tempfile::tempdir().unwrap();
    let grant = format!("{}::/out::rw", dir.path().display());
    let code = "import os\nmade = 0\ntry:\n    for i in range(1000):\n        open(f'/out/f{i}', 'w').close()\n        made += 1\nexcept OSError:\n    pass\nfor i in range(made):\n    open(f'/out/f{i}', 'w').close()\nprint(made)";
    let run = measure(&["run", "--dir", &grant, "--max-disk", "64KiB", "-c", code]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(String::from_utf8_lossy(&run.stdout).trim(), "16", "{run:?}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 16);
}
