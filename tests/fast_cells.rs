//! Cells start from a pre-initialized interpreter in pooled slots. What each cell must have of
//! its own is set after the snapshot: argv, environment, grants, random seeds. And a reset
//! slot keeps nothing of what ran in it before.

#![allow(clippy::disallowed_methods, reason = "tests set up host files as the operator does")]

mod common;

use common::{cache_dir, supervisor};
use padcell::{Access, CellError, Grant, Policy, Supervisor, Value};

fn eval(cell: &mut padcell::Cell, expr: &str) -> Value {
    cell.eval(expr).unwrap_or_else(|e| panic!("{expr}: {e}"))
}

#[test]
fn two_cells_draw_different_random_numbers() {
    let draw = || {
        let mut cell = supervisor().cell().build().unwrap();
        cell.exec("import random, os").unwrap();
        (eval(&mut cell, "random.random()"), eval(&mut cell, "os.urandom(16)"))
    };
    let (first, second) = (draw(), draw());
    assert_ne!(first.0, second.0, "random is seeded per cell");
    assert_ne!(first.1, second.1, "os.urandom is per cell");
}

#[test]
fn cells_from_one_snapshot_share_the_string_hash_secret() {
    // CPython draws its hash secret when the interpreter starts, and strings made then keep
    // their hashes, so every cell restored from one snapshot hashes str alike (the README
    // says so). Each snapshot draws its own secret.
    let hash = || supervisor().cell().build().unwrap().eval("hash('padcell')").unwrap();
    assert_eq!(hash(), hash());
}

#[test]
fn a_cell_gets_its_own_argv_environment_and_grants_not_the_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("note.txt"), "granted").unwrap();
    let policy = Policy::new()
        .grant(Grant::dir(dir.path(), "/data", Access::ReadOnly).unwrap())
        .unwrap()
        .env("GREETING", "hello")
        .unwrap();
    let mut cell = supervisor().cell().policy(policy).args(["applet.py", "--flag"]).build().unwrap();
    cell.exec("import sys, os").unwrap();
    assert_eq!(eval(&mut cell, "sys.argv"), Value::List(vec![Value::Str("applet.py".into()), Value::Str("--flag".into())]));
    assert_eq!(
        eval(&mut cell, "dict(os.environ)"),
        Value::Dict(vec![(Value::Str("GREETING".into()), Value::Str("hello".into()))])
    );
    assert_eq!(eval(&mut cell, "open('/data/note.txt').read()"), Value::Str("granted".into()));
    assert_eq!(eval(&mut cell, "os.listdir('/')"), Value::List(vec![Value::Str("data".into())]));

    // The next cell, with nothing granted, sees none of that.
    let mut bare = supervisor().cell().build().unwrap();
    bare.exec("import sys, os").unwrap();
    assert_eq!(eval(&mut bare, "sys.argv"), Value::List(vec![Value::Str(String::new())]));
    assert_eq!(eval(&mut bare, "dict(os.environ)"), Value::Dict(vec![]));
    assert!(matches!(bare.exec("open('/data/note.txt')"), Err(CellError::Exception(e)) if e.type_name == "FileNotFoundError"));
}

#[test]
fn the_snapshot_and_a_plain_start_behave_alike() {
    let plain = Supervisor::builder().cache_dir(cache_dir()).preinit(false).max_cells(None).build().unwrap();
    let program = "import json, re, sys, os\nresult = [json.dumps({'a': [1, 2]}), re.sub('b+', '-', 'abbbc'), sys.argv, sorted(os.environ), 2 ** 70]";
    let mut results = Vec::new();
    for supervisor in [supervisor(), &plain] {
        let mut cell = supervisor.cell().args(["x"]).build().unwrap();
        cell.exec(program).unwrap();
        results.push(eval(&mut cell, "result"));
    }
    assert_eq!(results[0], results[1]);
}

#[test]
fn a_reset_cell_keeps_nothing_of_what_ran_before() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.txt"), "x").unwrap();
    let policy = Policy::new().grant(Grant::dir(dir.path(), "/data", Access::ReadOnly).unwrap()).unwrap();
    let mut cell = supervisor().cell().policy(policy).args(["first"]).build().unwrap();
    cell.exec("import sys, json\nsecret = 'left behind'\nsys.argv.append('changed')\njson.dumps = None\nheld = open('/data/f.txt')\nbig = bytearray(32 << 20)\nprint('before')").unwrap();
    let mut cell = cell.reset().unwrap();
    assert!(matches!(cell.eval("secret"), Err(CellError::Exception(e)) if e.type_name == "NameError"));
    cell.exec("import sys, json").unwrap();
    assert_eq!(eval(&mut cell, "sys.argv"), Value::List(vec![Value::Str("first".into())]));
    assert_eq!(eval(&mut cell, "json.dumps([1])"), Value::Str("[1]".into()));
    assert_eq!(eval(&mut cell, "'held' in globals() or 'big' in globals()"), Value::Bool(false));
    assert_eq!(cell.take_stdout(), b"", "the old output went with the old cell");
    assert_eq!(eval(&mut cell, "open('/data/f.txt').read()"), Value::Str("x".into()), "the same policy");

    // A spent cell comes back too.
    assert!(matches!(cell.exec("import os\nos._exit(3)"), Err(CellError::Exit(3))));
    let mut cell = cell.reset().unwrap();
    assert_eq!(eval(&mut cell, "1 + 1"), Value::Int(2));
}

#[test]
fn the_pool_holds_as_many_cells_as_it_has_slots() {
    let small = Supervisor::builder().cache_dir(cache_dir()).max_cells(Some(2)).build().unwrap();
    let first = small.cell().build().unwrap();
    let _second = small.cell().build().unwrap();
    let third = small.cell().build();
    let message = format!("{:#}", third.err().expect("a third cell has no slot"));
    assert!(message.contains("instantiating the interpreter"), "{message}");
    drop(first);
    let mut again = small.cell().build().unwrap();
    assert_eq!(eval(&mut again, "6 * 7"), Value::Int(42));
}
