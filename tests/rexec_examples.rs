//! The rexec documentation's way of showing a sandbox, as tests: a policy, an applet, and the
//! outcome, with the audit event the supervisor gets. Each example is one rule of the model.

#![allow(clippy::disallowed_methods, reason = "tests set up host files as the operator does")]

mod common;

use padcell::{Access, AuditEvent, CellError, Grant, HostObject, ModulePolicy, Policy, Value};

/// What running one applet under one policy came to.
struct Outcome {
    result: Result<(), CellError>,
    /// What the applet left in `result`, if it set it.
    value: Option<Value>,
    events: Vec<AuditEvent>,
}

/// Runs `applet` in a fresh cell under `policy`, on a supervisor that records audit events.
fn run(policy: Policy, applet: &str) -> Outcome {
    let (supervisor, events) = common::audited();
    let mut cell = supervisor.cell().policy(policy).build().expect("a cell");
    let result = cell.exec(applet);
    let value = cell.eval("result").ok();
    drop(cell);
    let events = events.lock().expect("the events").clone();
    Outcome { result, value, events }
}

fn text(s: &str) -> Value {
    Value::Str(s.to_owned())
}

/// The one audit event of `operation`, which must exist.
fn event<'a>(outcome: &'a Outcome, operation: &str) -> &'a AuditEvent {
    outcome
        .events
        .iter()
        .find(|e| e.operation == operation)
        .unwrap_or_else(|| panic!("no {operation} event in {:?}", outcome.events))
}

// "A cell with no grants reads nothing, writes nothing and sees no host environment."
#[test]
fn with_no_grants_a_cell_reads_nothing() {
    let outcome = run(
        Policy::new(),
        "import os\ntry:\n    open('/etc/passwd')\nexcept OSError as e:\n    result = [type(e).__name__, str(e), dict(os.environ)]",
    );
    outcome.result.as_ref().expect("the applet handles the refusal");
    let Some(Value::List(parts)) = &outcome.value else { panic!("{:?}", outcome.value) };
    // Outside every grant there is nothing: the virtual root holds only the grants.
    assert_eq!(parts[0], text("FileNotFoundError"));
    let Value::Str(message) = &parts[1] else { panic!() };
    assert!(message.contains("/etc/passwd"), "{message}");
    assert_eq!(parts[2], Value::Dict(vec![]), "no host environment");
    let refused = event(&outcome, "open");
    assert_eq!((refused.path.as_str(), refused.access), ("/etc/passwd", "read"));
}

// rexec's `ok_builtin_modules`: what is not on the list cannot be imported.
#[test]
fn a_module_off_the_allow_list_cannot_be_imported() {
    let outcome = run(Policy::new(), "import socket");
    let Err(CellError::Exception(e)) = &outcome.result else { panic!("{:?}", outcome.result) };
    assert_eq!(e.type_name, "ImportError");
    assert!(e.message.contains("import of 'socket' refused"), "{}", e.message);
    assert_eq!(event(&outcome, "import").path, "socket");
}

// The 2.x documentation's TmpWriterRExec: an `r_open` override that lets the applet write only
// under /tmp. Here the override is the policy's open hook, asked with the mode the host derived
// from the open's flags, before the grant's own rules.
#[test]
fn tmp_writer_lets_the_applet_write_only_under_tmp() {
    let host = tempfile::tempdir().expect("a host tree");
    std::fs::create_dir_all(host.path().join("tmp")).expect("tmp");
    std::fs::write(host.path().join("notes.txt"), "keep me").expect("notes");
    let policy = Policy::new()
        .grant(Grant::dir(host.path(), "/", Access::ReadWrite).expect("a grant"))
        .expect("a policy")
        .on_open(|open| {
            let path = open.path.to_string();
            if open.mode == "r" || path.starts_with("/tmp/") {
                Ok(())
            } else {
                Err(format!("can't open {path} with mode {}", open.mode))
            }
        });
    let applet = "open('/tmp/out.txt', 'w').write('fine')\nprint(open('/notes.txt').read())\nopen('/notes.txt', 'a')";
    let outcome = run(policy, applet);
    let Err(CellError::Exception(e)) = &outcome.result else { panic!("{:?}", outcome.result) };
    assert_eq!(e.type_name, "PermissionError");
    assert!(e.message.contains("can't open /notes.txt with mode a"), "{}", e.message);
    assert_eq!(std::fs::read_to_string(host.path().join("tmp/out.txt")).expect("written"), "fine");
    assert_eq!(std::fs::read_to_string(host.path().join("notes.txt")).expect("kept"), "keep me");
    let refused = event(&outcome, "open");
    assert_eq!((refused.path.as_str(), refused.access), ("/notes.txt", "write"));
}

// Bastion: a host object's `_` names and the names its filter refuses are unreachable, and the
// cell never holds the object, only a proxy whose calls cross by value.
#[test]
fn a_bastion_exposes_only_what_its_filter_allows() {
    let account = HostObject::new("acct")
        .method("balance", |_| Ok(Value::Int(100)))
        .method("_secret", |_| Ok(text("leaked")))
        .method("close", |_| Ok(Value::None))
        .filter(|name| name != "close");
    let policy = Policy::new().object(account).expect("a policy");
    let applet = "import padcell\nacct = padcell.host('acct')\nresult = [acct.balance()]\nfor name in ('_secret', 'close'):\n    try:\n        getattr(acct, name)()\n    except AttributeError:\n        result.append(name)";
    let outcome = run(policy, applet);
    outcome.result.as_ref().expect("the applet runs");
    assert_eq!(outcome.value, Some(Value::List(vec![Value::Int(100), text("_secret"), text("close")])));
    assert!(outcome.events.iter().all(|e| e.operation == "object"), "{:?}", outcome.events);
}

// "Restricted environments can be nested": a child cell gets less than its parent, never more.
#[test]
fn a_child_cell_cannot_have_more_than_its_parent() {
    let policy = Policy::new().with_modules(ModulePolicy::default());
    let applet = "import padcell\ntry:\n    padcell.Cell(modules=['socket'])\nexcept PermissionError as e:\n    result = str(e)";
    let outcome = run(policy, applet);
    outcome.result.as_ref().expect("the applet handles the refusal");
    assert_eq!(outcome.value, Some(text("module 'socket' is not allowed in the parent cell")));
    let refused = event(&outcome, "cell");
    assert_eq!(refused.rule, "module 'socket' is not allowed in the parent cell");
}
