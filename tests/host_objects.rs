//! Plugin sessions and Bastion host objects: a policy, an applet, the expected outcome.

#![allow(clippy::disallowed_methods, reason = "tests set up host files as the operator does")]

mod common;

use common::{padcell, supervisor};
use padcell::{AuditEvent, CellError, HostObject, ObjectError, Policy, Supervisor, Value};
use std::sync::{Arc, Mutex};

fn exception<T: std::fmt::Debug>(result: Result<T, CellError>) -> padcell::PythonException {
    match result {
        Err(CellError::Exception(e)) => e,
        other => panic!("expected an exception, got {other:?}"),
    }
}

/// A counter with a private method the filter must hide, and one that panics.
fn counter() -> HostObject {
    let count = Arc::new(Mutex::new(0i64));
    let (add, get) = (count.clone(), count);
    HostObject::new("counter")
        .method("add", move |args| match args {
            [Value::Int(n)] => {
                *add.lock().unwrap() += n;
                Ok(Value::None)
            }
            _ => Err(ObjectError::Type("add(n: int)".into())),
        })
        .method("get", move |_| Ok(Value::Int(*get.lock().unwrap())))
        .method("_reset", |_| Ok(Value::None))
        .method("boom", |_| panic!("a bug in the embedder's method"))
        .method("huge", |_| Ok(Value::Bytes(vec![0; 2 << 20])))
}

#[test]
fn a_session_keeps_its_state_across_calls_with_plain_data() {
    let mut cell = supervisor().cell().build().unwrap();
    cell.exec("seen = []\ndef on_event(kind, payload):\n    seen.append(kind)\n    return {'n': len(seen), 'echo': payload}")
        .unwrap();
    for n in 1..=3 {
        let reply = cell.call("on_event", &[Value::Str("tick".into()), Value::List(vec![Value::Int(n), Value::None])]).unwrap();
        assert_eq!(
            reply,
            Value::Dict(vec![
                (Value::Str("n".into()), Value::Int(n)),
                (Value::Str("echo".into()), Value::List(vec![Value::Int(n), Value::None])),
            ])
        );
    }
    assert_eq!(exception(cell.call("missing", &[])).type_name, "NameError");
    assert_eq!(exception(cell.call("on_event", &[])).type_name, "TypeError");
    cell.exec("def handle(): return object()").unwrap();
    assert_eq!(exception(cell.call("handle", &[])).type_name, "TypeError", "only plain data leaves the cell");
    assert_eq!(cell.eval("len(seen)").unwrap(), Value::Int(3));
}

#[test]
fn a_host_object_is_reached_by_value_through_its_filter() {
    let events = Arc::new(Mutex::new(Vec::<AuditEvent>::new()));
    let sink = events.clone();
    let supervisor = Supervisor::builder()
        .cache_dir(common::cache_dir())
        .on_audit(move |e| sink.lock().unwrap().push(e.clone()))
        .build()
        .unwrap();
    let policy = Policy::new().object(counter()).unwrap();
    let mut cell = supervisor.cell().policy(policy).build().unwrap();
    cell.exec("import padcell\nc = padcell.host('counter')\nc.add(2)\nc.add(40)").unwrap();
    assert_eq!(cell.eval("c.get()").unwrap(), Value::Int(42));
    assert_eq!(cell.eval("dir(c)").unwrap(), Value::List(["add", "boom", "get", "huge"].map(|s| Value::Str(s.into())).to_vec()));
    // Bastion's default filter: no name that starts with _, whatever methods exist.
    for (code, kind, message) in [
        ("c._reset()", "AttributeError", "host object 'counter' has no attribute '_reset'"),
        ("c.nope", "AttributeError", "host object 'counter' has no attribute 'nope'"),
        ("c.add('two')", "TypeError", "add(n: int)"),
        ("c.add(object())", "TypeError", ""),
        ("c.boom()", "RuntimeError", "host object 'counter' failed in boom"),
        ("c.huge()", "ValueError", "the result of counter.huge is larger than 1024 KiB"),
        ("c.add(b'x' * (2 << 20))", "ValueError", "the arguments are larger than the 1024 KiB that may cross to the host"),
        ("padcell.host('secrets')", "PermissionError", "no host object named \"secrets\" is granted to this cell"),
    ] {
        let e = exception(cell.exec(code));
        assert_eq!(e.type_name, kind, "{code}: {e:?}");
        assert!(e.message.contains(message), "{code}: {}", e.message);
    }
    // The host went on after the panicking method, and so did the cell.
    assert_eq!(cell.eval("c.get()").unwrap(), Value::Int(42));
    let refused: Vec<(String, String)> =
        events.lock().unwrap().iter().map(|e| (e.operation.to_string(), e.path.clone())).collect();
    assert_eq!(
        refused,
        [("object", "counter._reset"), ("object", "counter.nope"), ("object", "secrets")]
            .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    // A cell without the grant has no such object.
    assert_eq!(
        exception(supervisor.cell().build().unwrap().exec("import padcell; padcell.host('counter')")).type_name,
        "PermissionError"
    );
}

#[test]
fn a_custom_filter_narrows_what_a_cell_sees() {
    let policy = Policy::new().object(counter().filter(|name| name == "get")).unwrap();
    let mut cell = supervisor().cell().policy(policy).build().unwrap();
    cell.exec("import padcell\nc = padcell.host('counter')").unwrap();
    assert_eq!(
        cell.eval("c.get(), dir(c)").unwrap(),
        Value::Tuple(vec![Value::Int(0), Value::List(vec![Value::Str("get".into())])])
    );
    assert_eq!(exception(cell.exec("c.add(1)")).type_name, "AttributeError");
    assert!(Policy::new().object(counter()).unwrap().object(counter()).is_err(), "two objects of one name");
}

#[test]
fn the_cli_grants_a_key_value_store_kept_in_a_host_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.json");
    let spec = format!("kv={}", store.display());
    let applet = "import padcell\nkv = padcell.host('kv')\nkv.set('visits', kv.get('visits', 0) + 1)\nkv.set('list', [1, 'two', None])\nprint(kv.get('visits'), kv.keys())";
    for visits in 1..=2 {
        let run = padcell(&["run", "--object", &spec, "-c", applet], b"", &[]);
        assert_eq!((run.code, run.stdout.as_str()), (0, format!("{visits} ['list', 'visits']\n").as_str()), "{}", run.stderr);
    }
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&store).unwrap()).unwrap();
    assert_eq!(saved, serde_json::json!({"visits": 2, "list": [1, "two", null]}));
    let run = padcell(
        &["run", "--object", &spec, "-c", "import padcell\nkv = padcell.host('kv')\nkv.delete('visits')\nkv.delete('visits')"],
        b"",
        &[],
    );
    assert!(run.stderr.ends_with("KeyError: 'visits'\n"), "{}", run.stderr);
    assert!(!run.stderr.contains(&dir.path().display().to_string()), "no host path in the cell's errors");
    let run = padcell(&["run", "--object", "kv", "-c", "pass"], b"", &[]);
    assert_eq!((run.code, run.stderr.lines().count()), (2, 1), "{}", run.stderr);
}

// The cell's deadline and cancellation reach the supervisor's callbacks too: a host object's
// method or an open hook that hangs holds its cell no longer than the cell's time limit, and the
// supervisor goes on.
#[test]
fn a_hanging_callback_holds_its_cell_no_longer_than_its_deadline() {
    let hang = |_: &[Value]| -> Result<Value, ObjectError> {
        std::thread::sleep(std::time::Duration::from_secs(5));
        Ok(Value::None)
    };
    let limits = padcell::Limits { timeout: std::time::Duration::from_millis(300), ..padcell::Limits::default() };
    let policy = Policy::new().object(HostObject::new("slow").method("wait", hang)).unwrap().with_limits(limits);
    let mut cell = supervisor().cell().policy(policy).build().unwrap();
    let start = std::time::Instant::now();
    let stopped = cell.exec("import padcell\npadcell.host('slow').wait()");
    assert!(matches!(&stopped, Err(CellError::Limit(l)) if l.kind == padcell::LimitKind::Time), "{stopped:?}");
    assert!(start.elapsed() < std::time::Duration::from_secs(2), "held for {:?}", start.elapsed());

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.txt"), "x").unwrap();
    let policy = Policy::new()
        .grant(padcell::Grant::dir(dir.path(), "/d", padcell::Access::ReadOnly).unwrap())
        .unwrap()
        .on_open(|_| {
            std::thread::sleep(std::time::Duration::from_secs(5));
            Ok(())
        })
        .with_limits(limits);
    let mut cell = supervisor().cell().policy(policy).build().unwrap();
    let start = std::time::Instant::now();
    let stopped = cell.exec("open('/d/f.txt').read()");
    assert!(matches!(&stopped, Err(CellError::Limit(l)) if l.kind == padcell::LimitKind::Time), "{stopped:?}");
    assert!(start.elapsed() < std::time::Duration::from_secs(2), "held for {:?}", start.elapsed());
    // The supervisor goes on.
    assert_eq!(supervisor().cell().build().unwrap().eval("6 * 7").unwrap(), Value::Int(42));
}
