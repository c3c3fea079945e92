//! The restricted open(): grants, enforcement at every handle, audit, the manifest and the flags.
//!
//! Each escape test runs a hostile applet against a host tree, then checks four things: the
//! applet saw the refusal, the host tree is byte-for-byte what it was, nothing appeared outside
//! the writable grant, and the supervisor got an audit event naming the rule.

#![allow(clippy::disallowed_methods, reason = "tests set up host files as the operator does")]

mod common;

use common::{audited, padcell, unshaped};
use padcell::{Access, AuditEvent, CellError, Grant, Policy, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A host tree for one test:
/// ```text
/// data/a.txt  data/sub/b.txt  data/evil -> ../outside/secret.txt  data/abs -> /etc/passwd
/// out/                         (granted read-write by most tests)
/// outside/secret.txt           (never granted)
/// ```
struct HostTree {
    dir: tempfile::TempDir,
}

impl HostTree {
    fn new() -> HostTree {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for d in ["data/sub", "out", "outside"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        std::fs::write(root.join("data/a.txt"), "alpha\n").unwrap();
        std::fs::write(root.join("data/sub/b.txt"), "beta\n").unwrap();
        std::fs::write(root.join("outside/secret.txt"), "the secret\n").unwrap();
        std::os::unix::fs::symlink("../outside/secret.txt", root.join("data/evil")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", root.join("data/abs")).unwrap();
        HostTree { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Every entry below the root: files with their bytes, links with their targets, dirs.
    fn snapshot(&self) -> BTreeMap<String, String> {
        fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                let rel = path.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                let meta = std::fs::symlink_metadata(&path).unwrap();
                if meta.file_type().is_symlink() {
                    out.insert(rel, format!("-> {}", std::fs::read_link(&path).unwrap().display()));
                } else if meta.is_dir() {
                    out.insert(rel.clone(), "dir".into());
                    walk(base, &path, out);
                } else {
                    let bytes = std::fs::read(&path).unwrap();
                    out.insert(rel, format!("{} bytes {:?} mtime {:?}", bytes.len(), bytes, meta.modified().unwrap()));
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(self.dir.path(), self.dir.path(), &mut out);
        out
    }

    /// `data` read-only at /data, `out` read-write at /out.
    /// /data read-only and /out read-write, with nothing of the interpreter hidden: the host's
    /// rules must hold on their own.
    fn policy(&self) -> Policy {
        unshaped(Policy::new())
            .grant(Grant::dir(self.path("data"), "/data", Access::ReadOnly).unwrap())
            .unwrap()
            .grant(Grant::dir(self.path("out"), "/out", Access::ReadWrite).unwrap())
            .unwrap()
    }
}

/// Runs `applet` under `policy`; returns what it printed and the audit events.
fn run(policy: Policy, applet: &str) -> (String, Vec<AuditEvent>) {
    let (supervisor, events) = audited();
    let mut cell = supervisor.cell().policy(policy).build().unwrap();
    if let Err(e) = cell.exec(applet) {
        panic!("applet failed: {e}\nstdout: {}", String::from_utf8_lossy(&cell.stdout()));
    }
    let out = String::from_utf8(cell.take_stdout()).unwrap();
    let events = events.lock().unwrap().clone();
    (out, events)
}

/// Python that tries `attempt` and prints `refused <ExceptionType>: <message>` or `allowed`.
fn attempt(code: &str) -> String {
    format!("try:\n    {code}\n    print('allowed')\nexcept OSError as e:\n    print(f'refused {{type(e).__name__}}: {{e}}')\n")
}

/// The escape-test contract: refused with the rule, tree unchanged, audited.
fn assert_refused(tree: &HostTree, policy: Policy, code: &str, rule: &str, operation: &str) {
    let before = tree.snapshot();
    let (out, events) = run(policy, &attempt(code));
    assert!(out.starts_with("refused "), "{code}: {out}");
    assert!(out.contains(rule), "{code}: expected rule {rule:?} in {out:?}");
    assert!(!out.contains(&tree.dir.path().to_string_lossy().into_owned()), "{code} leaked a host path: {out}");
    assert_eq!(tree.snapshot(), before, "{code} changed the host tree");
    let event = events
        .iter()
        .find(|e| e.rule.contains(rule))
        .unwrap_or_else(|| panic!("{code}: no audit event for {rule:?} in {events:?}"));
    assert_eq!(event.operation, operation, "{code}: {event:?}");
    assert!(event.cell > 0 && !event.time.is_empty());
    assert!(!event.path.contains(&tree.dir.path().to_string_lossy().into_owned()));
}

// ---- positive controls -----------------------------------------------------------------------

const READ_CONTROL: &str = "\
import os, pathlib
print(open('/data/a.txt').read(), end='')
with open('/data/sub/b.txt', 'rb') as f:
    print(f.read())
print(sorted(os.listdir('/data')), sorted(e.name for e in os.scandir('/data/sub')))
print(os.stat('/data/a.txt').st_size, pathlib.Path('/data/a.txt').read_text().strip())
print(sorted(os.listdir('/')))
";

const WRITE_CONTROL: &str = "\
import os, pathlib, shutil
with open('/out/log.txt', 'w') as f:
    f.write('one\\n')
with open('/out/log.txt', 'a') as f:
    f.write('two\\n')
os.makedirs('/out/deep/er')
pathlib.Path('/out/deep/er/p.txt').write_text('pathlib')
shutil.copy('/data/a.txt', '/out/copy.txt')
os.rename('/out/copy.txt', '/out/moved.txt')
print(open('/out/log.txt').read().split(), sorted(os.listdir('/out')), open('/out/moved.txt').read().strip())
os.remove('/out/moved.txt')
shutil.rmtree('/out/deep')
os.mkdir('/out/d'); os.rmdir('/out/d')
print(sorted(os.listdir('/out')))
";

#[test]
fn a_read_only_grant_reads_lists_and_stats() {
    let tree = HostTree::new();
    let (out, events) = run(tree.policy(), READ_CONTROL);
    assert_eq!(out, "alpha\nb'beta\\n'\n['a.txt', 'abs', 'evil', 'sub'] ['b.txt']\n6 alpha\n['data', 'out']\n");
    assert!(events.is_empty(), "{events:?}");
}

#[test]
fn a_read_write_grant_runs_the_full_write_list_remove_cycle() {
    let tree = HostTree::new();
    let data_before = std::fs::read(tree.path("data/a.txt")).unwrap();
    let (out, _) = run(tree.policy(), WRITE_CONTROL);
    assert_eq!(out, "['one', 'two'] ['deep', 'log.txt', 'moved.txt'] alpha\n['log.txt']\n");
    assert_eq!(std::fs::read_to_string(tree.path("out/log.txt")).unwrap(), "one\ntwo\n");
    assert_eq!(std::fs::read(tree.path("data/a.txt")).unwrap(), data_before);
}

#[test]
fn a_policy_that_refuses_everything_fails_both_controls() {
    let (supervisor, events) = audited();
    for control in [READ_CONTROL, WRITE_CONTROL] {
        let mut cell = supervisor.cell().policy(unshaped(Policy::new())).build().unwrap();
        let Err(CellError::Exception(e)) = cell.exec(control) else { panic!("a control passed with no grants") };
        assert!(matches!(e.type_name.as_str(), "FileNotFoundError" | "PermissionError"), "{e:?}");
        assert!(e.message.contains("is outside every grant"), "{}", e.message);
    }
    assert!(events.lock().unwrap().iter().all(|e| e.rule.contains("outside every grant")));
}

// ---- a read-only grant refuses every change ----------------------------------------------------

#[test]
fn a_read_only_grant_refuses_every_kind_of_open_that_writes() {
    let tree = HostTree::new();
    let rule = "'/data/a.txt' is in read-only grant /data";
    for code in [
        "open('/data/a.txt', 'w')",
        "open('/data/a.txt', 'a')",
        "open('/data/a.txt', 'r+')",
        "os.open('/data/a.txt', os.O_RDONLY | os.O_TRUNC)",
        "os.open('/data/a.txt', os.O_WRONLY)",
    ] {
        assert_refused(&tree, tree.policy(), &format!("import os; {code}"), rule, "open");
    }
    assert_refused(&tree, tree.policy(), "open('/data/new.txt', 'x')", "'/data/new.txt' is in read-only grant /data", "open");
    assert_refused(
        &tree,
        tree.policy(),
        "import os; os.open('/data/n', os.O_CREAT | os.O_RDONLY)",
        "'/data/n' is in read-only grant /data",
        "open",
    );
}

#[test]
fn a_read_only_grant_refuses_unlink_rename_mkdir_rmdir_link_times_and_size() {
    let tree = HostTree::new();
    let ro = |p: &str| format!("'{p}' is in read-only grant /data");
    let cases = [
        ("os.remove('/data/a.txt')", ro("/data/a.txt"), "unlink"),
        ("os.rename('/data/a.txt', '/out/stolen.txt')", ro("/data/a.txt"), "rename"),
        ("os.rename('/out/x', '/data/x')", ro("/data/x"), "rename"),
        ("os.mkdir('/data/newdir')", ro("/data/newdir"), "mkdir"),
        ("os.rmdir('/data/sub')", ro("/data/sub"), "rmdir"),
        ("os.link('/data/a.txt', '/out/hard')", ro("/data/a.txt"), "link"),
        ("os.utime('/data/a.txt', (0, 0))", ro("/data/a.txt"), "set-times"),
        ("os.truncate('/data/a.txt', 0)", ro("/data/a.txt"), "open"),
    ];
    std::fs::write(tree.path("out/x"), "x").unwrap();
    for (code, rule, operation) in cases {
        assert_refused(&tree, tree.policy(), &format!("import os; {code}"), &rule, operation);
    }
}

#[test]
fn a_handle_opened_from_a_read_only_grant_keeps_its_rights_at_any_depth() {
    let tree = HostTree::new();
    // A directory handle inside the grant, used with dir_fd: the same rule.
    let code = "import os; fd = os.open('/data/sub', os.O_RDONLY); os.open('made.txt', os.O_CREAT | os.O_WRONLY, dir_fd=fd)";
    let before = tree.snapshot();
    let (out, _) = run(tree.policy(), &attempt(code));
    assert!(out.starts_with("refused"), "{out}");
    assert_eq!(tree.snapshot(), before);
    // A file opened read-only cannot be written, truncated or re-timed through its descriptor.
    let code = "import os; fd = os.open('/data/a.txt', os.O_RDONLY); os.ftruncate(fd, 0)";
    assert_refused(&tree, tree.policy(), code, "'/data/a.txt' is in read-only grant /data", "set-size");
}

// ---- paths never leave a grant ----------------------------------------------------------------

#[test]
fn dot_dot_and_absolute_paths_stay_inside() {
    let tree = HostTree::new();
    assert_refused(
        &tree,
        tree.policy(),
        "open('/data/../outside/secret.txt').read()",
        "'/outside/secret.txt' is outside every grant",
        "open",
    );
    assert_refused(
        &tree,
        tree.policy(),
        "open('/data/sub/../../../../etc/passwd').read()",
        "'/etc/passwd' is outside every grant",
        "open",
    );
    assert_refused(&tree, tree.policy(), "open('/etc/passwd').read()", "'/etc/passwd' is outside every grant", "open");
    assert_refused(&tree, tree.policy(), "open('/out/../escape.txt', 'w')", "'/escape.txt' is outside every grant", "open");
    assert_refused(&tree, tree.policy(), "import os; os.listdir('/outside')", "'/outside' is outside every grant", "open");
}

#[test]
fn symlinks_planted_on_the_host_lead_nowhere() {
    let tree = HostTree::new();
    assert_refused(&tree, tree.policy(), "open('/data/evil').read()", "'/data/evil' leads outside grant /data", "open");
    assert_refused(&tree, tree.policy(), "open('/data/abs').read()", "'/data/abs' leads outside grant /data", "open");
    // The link's own target names a host path; the cell never sees it.
    assert_refused(
        &tree,
        tree.policy(),
        "import os; print(os.readlink('/data/abs'))",
        "'/data/abs' leads outside grant /data",
        "readlink",
    );
    assert_refused(
        &tree,
        tree.policy(),
        "import os; print(os.readlink('/data/evil'))",
        "'/data/evil' is a symlink that leads outside grant /data",
        "readlink",
    );
}

#[test]
fn a_planted_symlink_cannot_carry_a_write_out_of_a_writable_grant() {
    let tree = HostTree::new();
    std::os::unix::fs::symlink("../outside", tree.path("out/door")).unwrap();
    assert_refused(
        &tree,
        tree.policy(),
        "open('/out/door/secret.txt', 'w').write('pwned')",
        "'/out/door/secret.txt' leads outside grant /out",
        "open",
    );
    assert_refused(
        &tree,
        tree.policy(),
        "import os; os.mkdir('/out/door/newdir')",
        "'/out/door/newdir' leads outside grant /out",
        "mkdir",
    );
    assert_refused(
        &tree,
        tree.policy(),
        "import os; os.remove('/out/door/secret.txt')",
        "'/out/door/secret.txt' leads outside grant /out",
        "unlink",
    );
}

#[test]
fn links_made_in_a_cell_only_lead_down_from_where_they_sit() {
    let tree = HostTree::new();
    let rule = "a link made in a cell must name a path below its own directory";
    for target in ["../outside/secret.txt", "/etc/passwd", "sub/../../outside"] {
        assert_refused(&tree, tree.policy(), &format!("import os; os.symlink({target:?}, '/out/l')"), rule, "symlink");
    }
    // A link that descends is made, and read through, as on any POSIX system.
    let (out, _) = run(
        tree.policy(),
        "import os\nos.mkdir('/out/d')\nopen('/out/d/x', 'w').write('x')\nos.symlink('d/x', '/out/l')\nprint(os.readlink('/out/l'), open('/out/l').read())",
    );
    assert_eq!(out, "d/x x\n");
    assert_eq!(std::fs::read_link(tree.path("out/l")).unwrap(), Path::new("d/x"));
}

#[test]
fn trailing_slashes_do_not_reopen_a_symlink_escape() {
    // RUSTSEC-2026-0269: a link whose target ends in '/' made the resolver follow the next hop.
    let tree = HostTree::new();
    std::fs::create_dir(tree.path("out/a")).unwrap();
    std::os::unix::fs::symlink("evil/", tree.path("out/a/link1")).unwrap();
    std::os::unix::fs::symlink(tree.path("outside"), tree.path("out/a/evil")).unwrap();
    for code in [
        "open('/out/a/link1/secret.txt').read()",
        "open('/out/a/link1/secret.txt', 'w').write('pwned')",
        "import os; os.listdir('/out/a/link1/')",
        "import os; os.mkdir('/out/a/link1/x')",
        "import os; os.remove('/out/a/link1/secret.txt')",
        "import os; os.rename('/out/a/link1/secret.txt', '/out/got.txt')",
    ] {
        let before = tree.snapshot();
        let (out, events) = run(tree.policy(), &attempt(code));
        assert!(out.starts_with("refused"), "{code}: {out}");
        assert_eq!(tree.snapshot(), before, "{code} changed the host tree");
        assert!(!events.is_empty(), "{code}: not audited");
    }
}

// ---- the per-open hook (rexec's r_open) -------------------------------------------------------

#[test]
fn a_hook_allows_writes_only_to_log_files_in_scratch() {
    let tree = HostTree::new();
    std::fs::create_dir(tree.path("scratch")).unwrap();
    let policy = Policy::new().grant(Grant::dir(tree.path("scratch"), "/scratch", Access::ReadWrite).unwrap()).unwrap().on_open(
        |request| {
            let path = request.path.to_string();
            if request.access == Access::ReadWrite && !(path.starts_with("/scratch/") && path.ends_with(".log")) {
                return Err(format!("'{path}': writes are allowed only to *.log files in /scratch"));
            }
            Ok(())
        },
    );
    let (out, _) = run(policy.clone(), "open('/scratch/run.log', 'w').write('ok')\nprint(open('/scratch/run.log').read())");
    assert_eq!(out, "ok\n");
    assert_refused(
        &tree,
        policy,
        "open('/scratch/run.txt', 'w')",
        "'/scratch/run.txt': writes are allowed only to *.log files in /scratch",
        "open",
    );
}

// ---- what the applet sees ---------------------------------------------------------------------

#[test]
fn refusals_are_permission_or_not_found_errors_that_name_the_path_and_rule() {
    let tree = HostTree::new();
    let (out, _) = run(tree.policy(), &[attempt("open('/data/a.txt', 'w')"), attempt("open('/nowhere.txt')")].concat());
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "refused PermissionError: [Errno 2] '/data/a.txt' is in read-only grant /data",
            "refused FileNotFoundError: [Errno 44] '/nowhere.txt' is outside every grant",
        ]
    );
}

#[test]
fn a_single_file_grant_shows_one_file_and_nothing_beside_it() {
    let tree = HostTree::new();
    let policy = Policy::new().grant(Grant::file(tree.path("data/a.txt"), "/etc/app.conf", Access::ReadOnly).unwrap()).unwrap();
    let (out, _) = run(policy.clone(), "import os\nprint(open('/etc/app.conf').read().strip(), os.listdir('/etc'))");
    assert_eq!(out, "alpha ['app.conf']\n");
    assert_refused(&tree, policy.clone(), "open('/etc/b.txt')", "'/etc/b.txt' is outside every grant", "open");
    assert_refused(&tree, policy, "open('/etc/app.conf', 'w')", "'/etc/app.conf' is in read-only grant /etc/app.conf", "open");
}

#[test]
fn the_environment_is_only_what_the_policy_sets() {
    let policy = Policy::new().env("GREETING", "hej").unwrap();
    let (out, _) = run(policy, "import os\nprint(dict(os.environ))");
    assert_eq!(out, "{'GREETING': 'hej'}\n");
}

// ---- bad policies -----------------------------------------------------------------------------

#[test]
fn bad_grants_are_refused_with_one_line() {
    let tree = HostTree::new();
    let base = tree.dir.path();
    let bad = |spec: &str, kind| Grant::parse(spec, kind, base).unwrap_err().to_string();
    use padcell::GrantKind::{Dir, File};
    assert!(bad("missing::/m", Dir).contains("no such file or directory"));
    assert!(bad("data/a.txt::/a", Dir).contains("not one (use --file)"));
    assert!(bad("data::relative", Dir).contains("is not absolute"));
    assert!(bad("data::/d::rwx", Dir).contains("unknown access \"rwx\""));
    assert!(bad("data::/d::ro::extra", Dir).contains("unexpected"));
    assert!(bad("data::/d", File).contains("not a regular file"));
    let twice = Policy::new().grant(Grant::parse("data::/d", Dir, base).unwrap()).unwrap();
    assert!(
        twice.grant(Grant::parse("out::/d", Dir, base).unwrap()).unwrap_err().to_string().contains("two grants at guest path /d")
    );
    let rw = Policy::new().grant(Grant::parse("data::/rw::rw", Dir, base).unwrap()).unwrap();
    assert!(
        rw.grant(Grant::parse("data/sub::/ro", Dir, base).unwrap()).unwrap_err().to_string().contains("would make it writable")
    );
}

#[test]
fn the_cli_takes_dir_file_env_and_audit_log_flags() {
    let tree = HostTree::new();
    let t = |p: &str| tree.path(p).to_string_lossy().into_owned();
    let audit = t("audit.jsonl");
    let run = padcell(
        &[
            "run",
            "--dir",
            &format!("{}::/data", t("data")),
            "--dir",
            &format!("{}::/out::rw", t("out")),
            "--file",
            &format!("{}::/etc/b.txt", t("data/sub/b.txt")),
            "--env",
            "MODE=test",
            "--audit-log",
            &audit,
            "-c",
            "import os\nopen('/out/w.txt', 'w').write(open('/etc/b.txt').read())\nprint(os.environ['MODE'])\nopen('/data/a.txt', 'w')",
        ],
        b"",
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stdout, "test\n");
    assert!(
        run.stderr.trim_end().ends_with("PermissionError: [Errno 2] '/data/a.txt' is in read-only grant /data"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_to_string(tree.path("out/w.txt")).unwrap(), "beta\n");
    let log = std::fs::read_to_string(&audit).unwrap();
    let events: Vec<serde_json::Value> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events.len(), 1, "{log}");
    assert_eq!(events[0]["operation"], "open");
    assert_eq!(events[0]["path"], "/data/a.txt");
    assert_eq!(events[0]["access"], "write");
    assert_eq!(events[0]["rule"], "'/data/a.txt' is in read-only grant /data");
}

#[test]
fn the_cli_refuses_bad_grants_with_one_line_and_exit_2() {
    let tree = HostTree::new();
    let data = tree.path("data").to_string_lossy().into_owned();
    let file = tree.path("data/a.txt").to_string_lossy().into_owned();
    for flags in [
        vec!["--dir".to_owned(), "/no/such/dir::/x".to_owned()],
        vec!["--dir".to_owned(), format!("{file}::/x")],
        vec!["--dir".to_owned(), format!("{data}::relative")],
        vec!["--dir".to_owned(), format!("{data}::/x"), "--dir".to_owned(), format!("{data}::/x")],
        vec!["--dir".to_owned(), format!("{data}::/x::maybe")],
        vec!["--env".to_owned(), "NOEQUALS".to_owned()],
    ] {
        let mut args: Vec<&str> = vec!["run"];
        args.extend(flags.iter().map(String::as_str));
        args.extend(["-c", "print('ran')"]);
        let run = padcell(&args, b"", &[]);
        assert_eq!(run.code, 2, "{flags:?}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{flags:?}: {}", run.stderr);
        assert!(run.stderr.starts_with("padcell: "), "{}", run.stderr);
        assert_eq!(run.stdout, "", "{flags:?}");
    }
}

#[test]
fn an_applet_directory_runs_from_its_manifest_and_flags_add_to_it() {
    let tree = HostTree::new();
    let applet = tree.path("applet");
    std::fs::create_dir(&applet).unwrap();
    std::fs::write(applet.join("main.py"), "import os, sys\nprint(sys.argv[1:], os.environ['WHO'], sorted(os.listdir('/')))\nopen('/out/r.txt', 'w').write(open('/data/a.txt').read())\n").unwrap();
    std::fs::write(
        applet.join("applet.toml"),
        "main = \"main.py\"\nargs = [\"--from-manifest\"]\ndir = [\"../data::/data\", \"../out::/out::rw\"]\nenv = [\"WHO=manifest\"]\naudit-log = \"audit.jsonl\"\n",
    )
    .unwrap();
    let extra = format!("{}::/extra", tree.path("data/sub").display());
    let run = padcell(&["run", "--dir", &extra, applet.to_str().unwrap(), "cli-arg"], b"", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "['--from-manifest', 'cli-arg'] manifest ['data', 'extra', 'out']\n");
    assert_eq!(std::fs::read_to_string(tree.path("out/r.txt")).unwrap(), "alpha\n");

    std::fs::write(applet.join("applet.toml"), "main = \"main.py\"\ndirs = [\"../data\"]\n").unwrap();
    let run = padcell(&["run", applet.to_str().unwrap()], b"", &[]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("unknown key `dirs`"), "{}", run.stderr);
}

#[test]
fn the_example_applet_runs_from_its_manifest() {
    let applet = common::workspace().join("applets/wordcount");
    let run = padcell(&["run", applet.to_str().unwrap()], b"", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("words"), "{}", run.stdout);
}

#[test]
fn eval_sees_values_read_from_grants() {
    let tree = HostTree::new();
    let (supervisor, _) = audited();
    let mut cell = supervisor.cell().policy(tree.policy()).build().unwrap();
    assert_eq!(cell.eval("open('/data/sub/b.txt').read()").unwrap(), Value::Str("beta\n".into()));
}
