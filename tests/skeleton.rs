//! The walking skeleton: Python source runs in a cell, through the library and the CLI.

#![allow(clippy::disallowed_methods, reason = "tests set up host files as the operator does")]

mod common;

use common::{may_recurse, padcell, supervisor, workspace};
use padcell::{CacheEvent, CellError, Input, Policy, Supervisor, Value};
use std::sync::{Arc, Mutex};

// ---- the CLI -------------------------------------------------------------------------------

#[test]
fn print_goes_to_stdout_and_exit_status_is_zero() {
    let run = padcell(&["run", "-c", "print('hi')"], b"", &[]);
    assert_eq!((run.code, run.stdout.as_str(), run.stderr.as_str()), (0, "hi\n", ""));
}

#[test]
fn sys_exit_sets_the_exit_status() {
    let run = padcell(&["run", "-c", "import sys; print('bye'); sys.exit(7)"], b"", &[]);
    assert_eq!((run.code, run.stdout.as_str()), (7, "bye\n"));

    let run = padcell(&["run", "-c", "raise SystemExit"], b"", &[]);
    assert_eq!(run.code, 0);

    let run = padcell(&["run", "-c", "import sys; sys.exit('no luck')"], b"", &[]);
    assert_eq!((run.code, run.stderr.as_str()), (1, "no luck\n"));
}

#[test]
fn an_uncaught_exception_prints_the_traceback_and_exits_1() {
    let applet = "def f(x):\n    return 1 / x\n\nf(0)\n";
    let run = padcell(&["run", "-c", applet], b"", &[]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.starts_with("Traceback (most recent call last):\n"), "{}", run.stderr);
    assert!(run.stderr.contains("line 4, in <module>"), "{}", run.stderr);
    assert!(run.stderr.contains("line 2, in f"), "{}", run.stderr);
    assert!(run.stderr.trim_end().ends_with("ZeroDivisionError: division by zero"), "{}", run.stderr);
}

#[test]
fn a_syntax_error_is_an_exception_too() {
    let run = padcell(&["run", "-c", "def (:"], b"", &[]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("SyntaxError"), "{}", run.stderr);
}

#[test]
fn usage_and_host_errors_print_one_line_and_exit_2() {
    let run = padcell(&["run"], b"", &[]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);

    let run = padcell(&["run", "no/such/applet.py"], b"", &[]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.starts_with("padcell: cannot "), "{}", run.stderr);

    let run = padcell(&["frobnicate"], b"", &[]);
    assert_eq!(run.code, 2);
}

#[test]
fn help_documents_the_exit_codes_and_version_prints() {
    let run = padcell(&["run", "--help"], b"", &[]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("Exit status:"), "{}", run.stdout);
    assert!(run.stdout.contains("134"), "{}", run.stdout);

    let run = padcell(&["--version"], b"", &[]);
    assert_eq!((run.code, run.stdout.trim()), (0, concat!("padcell ", env!("CARGO_PKG_VERSION"))));
}

#[test]
fn a_file_applet_sees_its_argv_and_stdin() {
    let hello = workspace().join("applets/hello/hello.py");
    let hello = hello.to_str().expect("UTF-8 path");
    let run = padcell(&["run", hello, "Ada", "--shout"], b"", &[]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "HELLO, ADA!\n"), "{}", run.stderr);

    let applet = "import sys; print(sys.argv); print(sys.stdin.read()[::-1])";
    let run = padcell(&["run", "-c", applet, "a", "-b"], b"stressed", &[]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "['-c', 'a', '-b']\ndesserts\n"), "{}", run.stderr);
}

#[test]
fn a_cell_sees_no_host_environment_arguments_or_files() {
    let applet = "import os, sys\n\
                  print(dict(os.environ))\n\
                  print(sys.argv)\n\
                  try:\n    os.listdir('/')\nexcept OSError as e:\n    print(type(e).__name__)\n\
                  try:\n    open('/etc/passwd')\nexcept OSError as e:\n    print(type(e).__name__)\n";
    let run = padcell(&["run", "-c", applet], b"", &[("PADCELL_TEST_SECRET", "hunter2")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("hunter2"), "{}", run.stdout);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], "{}");
    assert_eq!(lines[1], "['-c']");
    assert!(lines[2].ends_with("Error") && lines[3].ends_with("Error"), "{}", run.stdout);
}

#[test]
fn unicode_and_megabytes_of_output_pass_through_the_cli() {
    let run = padcell(&["run", "-c", "print('héllo ✓ 日本 🐍')"], b"", &[]);
    assert_eq!(run.stdout, "héllo ✓ 日本 🐍\n");

    let run = padcell(&["run", "-c", "import sys\nfor i in range(40000): sys.stdout.write(f'{i:09d}' * 10 + '\\n')"], b"", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.len(), 40000 * 91);
    assert!(run.stdout.ends_with(&format!("{}\n", "000039999".repeat(10))));
}

// ---- the library ---------------------------------------------------------------------------

#[test]
fn exec_and_eval_share_the_cells_namespace() {
    let mut cell = supervisor().cell().build().unwrap();
    cell.exec("x = 6 * 7\ndef double(n):\n    return 2 * n").unwrap();
    assert_eq!(cell.eval("double(x)").unwrap(), Value::Int(84));
    cell.exec("print('side effect')").unwrap();
    assert_eq!(cell.stdout(), b"side effect\n");
}

#[test]
fn eval_returns_plain_data_by_value() {
    let mut cell = supervisor().cell().build().unwrap();
    assert_eq!(cell.eval("None").unwrap(), Value::None);
    assert_eq!(cell.eval("1 < 2").unwrap(), Value::Bool(true));
    assert_eq!(cell.eval("2 ** 100").unwrap(), Value::BigInt("1267650600228229401496703205376".into()));
    assert_eq!(cell.eval("-7").unwrap(), Value::Int(-7));
    assert_eq!(cell.eval("0.5").unwrap(), Value::Float(0.5));
    assert_eq!(cell.eval("'é' * 2").unwrap(), Value::Str("éé".into()));
    assert_eq!(cell.eval("b'\\x00\\xff'").unwrap(), Value::Bytes(vec![0, 255]));
    assert_eq!(
        cell.eval("{'a': [1, (2, 'b')]}").unwrap(),
        Value::Dict(vec![(
            Value::Str("a".into()),
            Value::List(vec![Value::Int(1), Value::Tuple(vec![Value::Int(2), Value::Str("b".into())])])
        )])
    );
}

#[test]
fn eval_refuses_objects_that_are_not_plain_data() {
    let mut cell = supervisor().cell().build().unwrap();
    let Err(CellError::Exception(e)) = cell.eval("object()") else { panic!("an object crossed") };
    assert_eq!(e.type_name, "TypeError");
    assert!(e.message.contains("'object' object cannot leave the cell"), "{}", e.message);

    cell.exec("loop = []\nloop.append(loop)").unwrap();
    let Err(CellError::Exception(e)) = cell.eval("loop") else { panic!("a cycle crossed") };
    assert_eq!(e.type_name, "ValueError");
    assert_eq!(cell.eval("len(loop)").unwrap(), Value::Int(1), "the cell goes on");
}

#[test]
fn an_exception_comes_back_typed_with_its_traceback() {
    let mut cell = supervisor().cell().build().unwrap();
    let err = cell.exec("import json\njson.loads('{')").unwrap_err();
    let CellError::Exception(e) = err else { panic!("expected an exception, got {err:?}") };
    assert_eq!(e.type_name, "JSONDecodeError");
    assert!(e.traceback.starts_with("Traceback (most recent call last):"), "{}", e.traceback);
    assert!(e.traceback.contains("File \"<string>\", line 2, in <module>"), "{}", e.traceback);
    // The cell survives its applet's exception.
    assert_eq!(cell.eval("1 + 1").unwrap(), Value::Int(2));
}

#[test]
fn sys_exit_is_typed_and_the_cell_goes_on() {
    let mut cell = supervisor().cell().build().unwrap();
    assert!(matches!(cell.exec("import sys; sys.exit(4)"), Err(CellError::Exit(4))));
    assert_eq!(cell.eval("'still here'").unwrap(), Value::Str("still here".into()));
}

#[test]
fn os_exit_ends_the_cell_but_not_the_supervisor() {
    let mut cell = supervisor().cell().build().unwrap();
    assert!(matches!(cell.exec("import os; os._exit(5)"), Err(CellError::Exit(5))));
    assert!(matches!(cell.exec("pass"), Err(CellError::Spent(_))));
    let mut other = supervisor().cell().build().unwrap();
    assert_eq!(other.eval("3").unwrap(), Value::Int(3));
}

#[test]
fn two_cells_keep_separate_state() {
    let mut a = supervisor().cell().build().unwrap();
    let mut b = supervisor().cell().build().unwrap();
    a.exec("secret = 'only in a'\nimport json\njson.shared = 1").unwrap();
    assert_eq!(a.eval("secret").unwrap(), Value::Str("only in a".into()));
    let Err(CellError::Exception(e)) = b.eval("secret") else { panic!("b saw a's global") };
    assert_eq!(e.type_name, "NameError");
    assert_eq!(b.eval("hasattr(__import__('json'), 'shared')").unwrap(), Value::Bool(false));
}

#[test]
fn stdin_args_and_exec_file_through_the_library() {
    let hello = workspace().join("applets/hello/hello.py");
    let mut cell = supervisor().cell().args(["hello.py", "Grace"]).stdin(Input::Bytes(b"ignored".to_vec())).build().unwrap();
    cell.exec_file(&hello).unwrap();
    assert_eq!(cell.take_stdout(), b"Hello, Grace!\n");
    assert_eq!(cell.eval("__import__('sys').stdin.read()").unwrap(), Value::Str("ignored".into()));
}

#[test]
fn unicode_and_megabytes_of_output_are_captured() {
    let mut cell = supervisor().cell().build().unwrap();
    cell.exec("import sys\nprint('ünïcødé ✓')\nsys.stderr.write('ошибка\\n')").unwrap();
    assert_eq!(String::from_utf8(cell.take_stdout()).unwrap(), "ünïcødé ✓\n");
    assert_eq!(String::from_utf8(cell.take_stderr()).unwrap(), "ошибка\n");

    cell.exec("print('x' * (5 * 1024 * 1024))").unwrap();
    let out = cell.take_stdout();
    assert_eq!(out.len(), 5 * 1024 * 1024 + 1);
    assert!(out.iter().take(out.len() - 1).all(|&b| b == b'x'));
}

#[test]
fn the_common_stdlib_modules_import_and_work() {
    let mut cell = supervisor().cell().build().unwrap();
    let checks: &[(&str, Value)] = &[
        ("__import__('json').dumps({'a': [1, 2]})", Value::Str("{\"a\": [1, 2]}".into())),
        ("__import__('re').sub(r'(\\d+)', r'<\\1>', 'a1b22')", Value::Str("a<1>b<22>".into())),
        ("__import__('math').factorial(20)", Value::Int(2432902008176640000)),
        (
            "__import__('random').Random(42).randint(1, 10**6) == __import__('random').Random(42).randint(1, 10**6)",
            Value::Bool(true),
        ),
        (
            "__import__('datetime').date(2024, 2, 28) + __import__('datetime').timedelta(days=2) == __import__('datetime').date(2024, 3, 1)",
            Value::Bool(true),
        ),
        (
            "__import__('collections').Counter('abracadabra').most_common(1)",
            Value::List(vec![Value::Tuple(vec![Value::Str("a".into()), Value::Int(5)])]),
        ),
        ("list(__import__('itertools').accumulate([1, 2, 3]))", Value::List(vec![Value::Int(1), Value::Int(3), Value::Int(6)])),
        ("__import__('functools').reduce(lambda a, b: a * b, range(1, 6))", Value::Int(120)),
        ("__import__('string').Template('$who').substitute(who='cell')", Value::Str("cell".into())),
        (
            "__import__('textwrap').wrap('aaa bbb ccc', 7)",
            Value::List(vec![Value::Str("aaa bbb".into()), Value::Str("ccc".into())]),
        ),
        (
            "__import__('io').StringIO('l1\\nl2').readlines()",
            Value::List(vec![Value::Str("l1\n".into()), Value::Str("l2".into())]),
        ),
    ];
    for (expr, expected) in checks {
        assert_eq!(&cell.eval(expr).unwrap_or_else(|e| panic!("{expr}: {e}")), expected, "{expr}");
    }
    cell.exec(
        "import dataclasses, enum, typing\n\
         @dataclasses.dataclass\nclass P:\n    x: int\n    y: typing.List[int]\n\
         class Color(enum.Enum):\n    RED = 1\n\
         result = (dataclasses.asdict(P(1, [2])), Color(1).name)",
    )
    .unwrap();
    assert_eq!(
        cell.eval("result").unwrap(),
        Value::Tuple(vec![
            Value::Dict(vec![
                (Value::Str("x".into()), Value::Int(1)),
                (Value::Str("y".into()), Value::List(vec![Value::Int(2)]))
            ]),
            Value::Str("RED".into()),
        ])
    );
}

#[test]
fn the_guest_imports_only_wasi_and_padcell() {
    let imports = supervisor().guest_imports();
    assert!(!imports.is_empty());
    for (module, name) in &imports {
        assert!(module == "wasi_snapshot_preview1" || module == padcell::abi::IMPORT_MODULE, "unexpected import {module}.{name}");
    }
    assert!(imports.contains(&("padcell".into(), "reply".into())));
}

#[test]
fn a_corrupt_cache_entry_is_detected_and_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    // Seed the new cache with the shared, sound entry, then damage its code in the middle.
    let entry = supervisor().cache_entry().expect("a cached module").to_path_buf();
    let check = entry.with_extension("check");
    std::fs::copy(&check, dir.path().join(check.file_name().unwrap())).unwrap();
    // And with the pre-initialized guest the entry was compiled from, so only the compile reruns.
    for file in std::fs::read_dir(entry.parent().unwrap()).unwrap() {
        let name = file.unwrap().file_name();
        if name.to_string_lossy().starts_with(&format!("preinit-{}", padcell::GUEST_HASH)) {
            std::fs::copy(entry.parent().unwrap().join(&name), dir.path().join(&name)).unwrap();
        }
    }
    let mut bytes = std::fs::read(&entry).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle..middle + 64].fill(0xcc);
    std::fs::write(dir.path().join(entry.file_name().unwrap()), &bytes).unwrap();

    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    let sup = Supervisor::builder()
        .cache_dir(dir.path())
        .on_cache_event(move |e| seen.lock().unwrap().push(format!("{e:?}")))
        .build()
        .unwrap();
    let events = events.lock().unwrap().clone();
    assert!(events.first().is_some_and(|e| e.contains("corrupt")), "{events:?}");
    assert_eq!(sup.cell().build().unwrap().eval("6 * 7").unwrap(), Value::Int(42));

    // The rebuilt entry is sound: the next supervisor loads it without compiling.
    let compiled = Arc::new(Mutex::new(false));
    let flag = compiled.clone();
    Supervisor::builder()
        .cache_dir(dir.path())
        .on_cache_event(move |e| *flag.lock().unwrap() |= matches!(e, CacheEvent::Compiling { .. }))
        .build()
        .unwrap();
    assert!(!*compiled.lock().unwrap());
}

#[test]
fn a_cell_stopped_inside_the_sandbox_is_spent_but_the_supervisor_goes_on() {
    // Recursion under a raised limit piles up Python frames in the cell's memory until the
    // memory limit stops it (C recursion meets RecursionError first: see tests/limits.rs).
    let mut cell = supervisor().cell().policy(may_recurse(Policy::new())).build().unwrap();
    let err = cell.exec("import sys\nsys.setrecursionlimit(10**8)\ndef dive(n):\n    return dive(n + 1)\ndive(0)").unwrap_err();
    let CellError::Limit(limit) = &err else { panic!("expected the memory limit, got {err:?}") };
    assert_eq!(limit.kind, padcell::LimitKind::Memory);
    assert!(matches!(cell.eval("1"), Err(CellError::Spent(_))));
    assert_eq!(supervisor().cell().build().unwrap().eval("2 + 2").unwrap(), Value::Int(4));
}

#[test]
fn supervisors_are_shared_across_threads_and_cells_move_between_them() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Supervisor>();
    send::<padcell::Cell>();
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let sup = supervisor().clone();
            std::thread::spawn(move || sup.cell().build().unwrap().eval(&format!("{i} * 10")).unwrap())
        })
        .collect();
    let results: Vec<Value> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(results, (0..4).map(|i| Value::Int(i * 10)).collect::<Vec<_>>());
}

// `padcell run -` reads the program from stdin, as `python3 -` does: argv[0] is '-', and the
// program's own stdin is then used up.
#[test]
fn run_dash_reads_the_program_from_stdin() {
    let program = b"import sys\nprint(sys.argv)\nprint(repr(sys.stdin.read()))\n1/0\n";
    let run = padcell(&["run", "-", "a", "b"], program, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stdout, "['-', 'a', 'b']\n''\n");
    assert!(run.stderr.contains("File \"<stdin>\", line 4, in <module>"), "{}", run.stderr);
    assert!(run.stderr.trim_end().ends_with("ZeroDivisionError: division by zero"), "{}", run.stderr);
}

// rexec's `test()`, with the wall outside: a console in a cell keeps its state between lines,
// echoes expressions, finishes blocks on an empty line, prints tracebacks as python3 does (and
// goes on), and leaves with exit().
#[test]
fn the_console_keeps_state_echoes_and_leaves_with_exit() {
    let session = "x = 6\nx * 7\ndef inc(n):\n    return n + 1\n\ninc(x)\nundefined_name\nprint('after')\nopen('/etc/passwd')\nexit(3)\nprint('never')\n";
    let run = padcell(&["repl"], session.as_bytes(), &[]);
    assert_eq!(run.code, 3, "stdout: {}\nstderr: {}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "42\n7\nafter\n");
    assert!(
        run.stderr.contains("File \"<stdin>\", line 1, in <module>\nNameError: name 'undefined_name' is not defined"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("PermissionError") || run.stderr.contains("FileNotFoundError"), "{}", run.stderr);
    assert!(!run.stderr.contains("<padcell"), "the console's own frames never show: {}", run.stderr);
    // Ctrl-D (the end of stdin) leaves with status 0; the console runs under the run flags.
    let run = padcell(&["repl", "--env", "MODE=test"], b"import os\nos.environ['MODE']\n", &[]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "'test'\n"), "{}", run.stderr);
}
