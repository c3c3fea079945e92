//! Nested cells: a parent makes children of lesser, never greater, privilege, and the host
//! enforces it. A policy, an applet, the expected outcome.

#![allow(clippy::disallowed_methods, reason = "tests set up host files as the operator does")]

mod common;

use common::{audited, padcell, supervisor, workspace};
use padcell::{Access, CellError, Grant, HostObject, LimitKind, Limits, Policy, Supervisor, Value};

/// A host tree: grant/public/a.txt, grant/private/secret.txt, and grant/public/out, a symlink
/// to outside/, which lies outside `grant/`.
fn tree() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let grant = dir.path().join("grant");
    std::fs::create_dir_all(grant.join("public")).unwrap();
    std::fs::create_dir_all(grant.join("private")).unwrap();
    std::fs::create_dir_all(dir.path().join("outside")).unwrap();
    std::fs::write(grant.join("public/a.txt"), "public").unwrap();
    std::fs::write(grant.join("private/secret.txt"), "secret").unwrap();
    std::fs::write(dir.path().join("outside/present.txt"), "outside").unwrap();
    std::os::unix::fs::symlink(dir.path().join("outside"), grant.join("public/out")).unwrap();
    (dir, grant)
}

fn text(s: &str) -> Value {
    Value::Str(s.into())
}

#[test]
fn a_child_gets_a_subset_and_every_escalation_is_refused_with_the_rule_and_audited() {
    let (_dir, grant) = tree();
    let (supervisor, events) = audited();
    let policy = Policy::new().grant(Grant::dir(&grant, "/data", Access::ReadWrite).unwrap()).unwrap();
    let mut parent = supervisor.cell().policy(policy).build().unwrap();
    parent.exec("import padcell\nchild = padcell.Cell(dirs={'/data/public': 'ro'}, modules=['json'], timeout=5)").unwrap();
    assert_eq!(parent.eval("child.eval('open(\"/data/public/a.txt\").read()')").unwrap(), text("public"));
    for (code, ending) in [
        ("child.exec('open(\"/data/private/secret.txt\")')", "'/data/private/secret.txt' is outside every grant"),
        ("child.exec('open(\"/data/public/new.txt\", \"w\")')", "'/data/public/new.txt' is in read-only grant /data/public"),
        (
            "child.exec('import re')",
            "import of 're' refused: it is not on the cell's module allow-list and no module root has it",
        ),
    ] {
        let e = match parent.exec(&format!(
            "try:\n    {code}\nexcept padcell.CellError as e:\n    err = (e.kind, str(e).strip().splitlines()[-1])"
        )) {
            Ok(()) => parent.eval("err").unwrap(),
            Err(e) => panic!("{code}: {e}"),
        };
        let Value::Tuple(parts) = e else { panic!("{code}: {e:?}") };
        assert_eq!(parts[0], text("exception"), "{code}");
        assert!(matches!(&parts[1], Value::Str(s) if s.ends_with(ending)), "{code}: {parts:?}");
    }
    let refusals = [
        ("files={'/data/public': 'ro'}", "'/data/public' is not a file inside the parent's grant /data"),
        ("dirs={'/elsewhere': 'ro'}", "'/elsewhere' is not inside any grant of the parent cell"),
        // A link out of the grant and a path that does not exist read the same: no host oracle.
        ("dirs={'/data/public/out': 'ro'}", "'/data/public/out' is not a directory inside the parent's grant /data"),
        ("dirs={'/data/public/nowhere': 'ro'}", "'/data/public/nowhere' is not a directory inside the parent's grant /data"),
        (
            "files={'/data/public/out/present.txt': 'ro'}",
            "'/data/public/out/present.txt' is not a file inside the parent's grant /data",
        ),
        (
            "files={'/data/public/out/absent.txt': 'ro'}",
            "'/data/public/out/absent.txt' is not a file inside the parent's grant /data",
        ),
        ("modules=['socket']", "module 'socket' is not allowed in the parent cell"),
        ("objects=['kv']", "host object \"kv\" is not granted to the parent cell"),
        ("timeout=10**6", "a timeout of 1000000s is more than the parent cell has left"),
        ("memory=1 << 40", "memory of 1099511627776 is more than the parent cell has ("),
    ];
    events.lock().unwrap().clear();
    for (request, rule) in refusals {
        let code =
            format!("try:\n    padcell.Cell({request})\n    refused = None\nexcept PermissionError as e:\n    refused = str(e)");
        parent.exec(&code).unwrap();
        let refused = parent.eval("refused").unwrap();
        assert!(matches!(&refused, Value::Str(s) if s.contains(rule)), "{request}: {refused:?}");
    }
    let seen = events.lock().unwrap().clone();
    assert_eq!(seen.len(), refusals.len(), "{seen:#?}");
    assert!(seen.iter().all(|e| e.operation == "cell" && e.chain == vec![parent.id()]), "{seen:#?}");
}

#[test]
fn grandchildren_are_checked_against_their_parent_and_depth_is_capped() {
    let (_dir, grant) = tree();
    let (supervisor, events) = audited();
    // Every interpreter needs about 32 MiB, and children draw theirs from their parent's.
    let limits = Limits { memory: 1 << 30, ..Limits::default() };
    let policy = Policy::new().grant(Grant::dir(&grant, "/data", Access::ReadWrite).unwrap()).unwrap().with_limits(limits);
    let mut root = supervisor.cell().policy(policy).build().unwrap();
    root.exec("import padcell\nchild = padcell.Cell(dirs={'/data/public': 'ro'}, memory=128 << 20)\nchild.exec('''\nimport padcell\ntry:\n    padcell.Cell(dirs={\"/data/public\": \"rw\"})\nexcept PermissionError as e:\n    refused = str(e)\ngrandchild = padcell.Cell(dirs={\"/data/public\": \"ro\"})\n''')").unwrap();
    assert_eq!(
        root.eval("child.eval('refused')").unwrap(),
        text("'/data/public' cannot be read-write: the parent's grant /data/public is read-only")
    );
    assert_eq!(root.eval("child.eval('grandchild.eval(\"open(\\'/data/public/a.txt\\').read()\")')").unwrap(), text("public"));
    let chain = events.lock().unwrap().iter().find(|e| e.operation == "cell").map(|e| e.chain.clone()).unwrap();
    assert_eq!(chain.len(), 2, "the audit event names the parent and the child: {chain:?}");
    assert_eq!(chain[0], root.id());

    let nest = "import padcell\ntry:\n    c = padcell.Cell()\n    c.exec('NEST = ' + repr(NEST) + '\\nexec(NEST)')\n    depth = c.eval('depth') + 1\nexcept PermissionError as e:\n    depth = 1\n    why = str(e)";
    root.exec(&format!("NEST = {nest:?}\nexec(NEST)")).unwrap();
    assert_eq!(root.eval("depth").unwrap(), Value::Int(4));
    // A fresh parent: at most 8 children at once, and they draw their memory from it.
    let mut root = supervisor.cell().policy(Policy::new().with_limits(limits)).build().unwrap();
    root.exec("import padcell\nkids = []\ntry:\n    while True:\n        kids.append(padcell.Cell(memory=48 << 20))\nexcept PermissionError as e:\n    why = str(e)").unwrap();
    assert_eq!(
        root.eval("len(kids), why").unwrap(),
        Value::Tuple(vec![Value::Int(8), text("a cell holds at most 8 child cells at once")])
    );
    root.exec("kids.pop().close()\nkids.append(padcell.Cell(memory=48 << 20))").unwrap();
    root.exec("kids.pop().close()\ntry:\n    padcell.Cell(memory=1 << 30)\nexcept PermissionError as e:\n    why = str(e)")
        .unwrap();
    assert!(
        matches!(root.eval("why").unwrap(), Value::Str(s) if s.starts_with("memory of 1073741824 is more than the parent cell has"))
    );
}

#[test]
fn a_childs_failure_comes_back_as_an_exception_and_the_parent_goes_on() {
    let mut parent = supervisor().cell().build().unwrap();
    parent.exec("import padcell\nchild = padcell.Cell(timeout=0.3)").unwrap();
    for (code, kind) in [("1/0", "exception"), ("while True: pass", "limit")] {
        parent.exec(&format!("try:\n    child.exec({code:?})\nexcept padcell.CellError as e:\n    kind = e.kind")).unwrap();
        assert_eq!(parent.eval("kind").unwrap(), text(kind), "{code}");
    }
    parent.exec("try:\n    child.eval('1')\nexcept padcell.CellError as e:\n    kind = e.kind").unwrap();
    assert_eq!(parent.eval("kind").unwrap(), text("spent"));
    assert_eq!(parent.eval("6 * 7").unwrap(), Value::Int(42));
}

#[test]
fn a_child_draws_its_fuel_from_its_parent() {
    let supervisor = Supervisor::builder().cache_dir(common::cache_dir()).metered(true).build().unwrap();
    let limits = Limits { fuel: Some(3_000_000_000), ..Limits::default() };
    let mut parent = supervisor.cell().policy(Policy::new().with_limits(limits)).build().unwrap();
    parent
        .exec("import padcell\ntry:\n    padcell.Cell(fuel=10**12)\nexcept PermissionError as e:\n    refused = str(e)")
        .unwrap();
    assert!(
        matches!(parent.eval("refused").unwrap(), Value::Str(s) if s.starts_with("fuel of 1000000000000 is more than the parent cell has"))
    );
    // The child spins until the parent's fuel is gone; then the parent itself is out of fuel.
    let err = parent.exec("child = padcell.Cell()\ntry:\n    child.exec('while True: pass')\nexcept padcell.CellError as e:\n    kind = e.kind\nwhile True:\n    pass").unwrap_err();
    let CellError::Limit(limit) = err else { panic!("{err:?}") };
    assert_eq!(limit.kind, LimitKind::Fuel);
}

#[test]
fn host_objects_and_their_methods_narrow_for_a_child() {
    let object = HostObject::new("clock").method("now", |_| Ok(Value::Int(1))).method("set", |_| Ok(Value::None));
    let mut parent = supervisor().cell().policy(Policy::new().object(object).unwrap()).build().unwrap();
    parent.exec("import padcell\nchild = padcell.Cell(objects={'clock': ['now']})").unwrap();
    assert_eq!(parent.eval("child.eval('__import__(\"padcell\").host(\"clock\").now()')").unwrap(), Value::Int(1));
    parent.exec("try:\n    child.exec('import padcell; padcell.host(\"clock\").set(2)')\nexcept padcell.CellError as e:\n    why = str(e).strip().splitlines()[-1]").unwrap();
    assert_eq!(parent.eval("why").unwrap(), text("AttributeError: host object 'clock' has no attribute 'set'"));
    parent
        .exec("try:\n    padcell.Cell(objects={'clock': ['_secret']})\nexcept PermissionError as e:\n    why = str(e)")
        .unwrap();
    assert_eq!(parent.eval("why").unwrap(), text("host object 'clock' has no method '_secret' in the parent cell"));
}

#[test]
fn the_grader_and_the_hostile_applet() {
    let grader = workspace().join("applets/grader");
    let grader = grader.to_str().unwrap();
    for (submission, report) in [
        ("/submissions/good.py", r#"{"submission": "/submissions/good.py", "passed": 4, "failed": 0}"#),
        ("/submissions/wrong.py", r#"{"submission": "/submissions/wrong.py", "passed": 1, "failed": 3}"#),
        (
            "/submissions/cheat.py",
            r#"{"submission": "/submissions/cheat.py", "passed": 0, "failed": 0, "error": "exception: FileNotFoundError: [Errno 44] '/tests/cases.json' is outside every grant"}"#,
        ),
    ] {
        let run = padcell(&["run", grader, submission], b"", &[]);
        assert_eq!((run.code, run.stdout.trim_end()), (0, report), "{}", run.stderr);
    }
    let app = workspace().join("applets/escalate");
    let run =
        padcell(&["run", "--dir", &format!("{}::/app", app.display()), app.join("escalate.py").to_str().unwrap()], b"", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("ESCALATED"), "{}", run.stdout);
    assert_eq!(run.stdout.lines().filter(|l| l.starts_with("refused: ")).count(), 13, "{}", run.stdout);
}
