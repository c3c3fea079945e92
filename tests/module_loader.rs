//! The module loader (rexec's `ok_path`, `ok_builtin_modules`, `r_import`, `r_unload`, and the
//! restricted names): a policy, an applet, the expected outcome.

#![allow(clippy::disallowed_methods, reason = "tests set up host files as the operator does")]

mod common;

use common::{audited, padcell, supervisor, workspace};
use padcell::{CellError, Grant, ModulePolicy, ModuleRoot, Policy, RestrictedNames, Supervisor, Value};
use std::path::Path;

/// A codebase on the host: `tool.py`, the package `pkg` with submodules and relative imports.
fn codebase() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("tool.py", "def double(x):\n    return 2 * x\n");
    write("pkg/__init__.py", "from .core import VERSION\nfrom . import util\n");
    write("pkg/core.py", "VERSION = '1.0'\n");
    write("pkg/util.py", "from .core import VERSION\n\ndef shout(s):\n    return s.upper() + '!'\n");
    write("pkg/deep/__init__.py", "");
    write("pkg/deep/leaf.py", "from ..util import shout\nLEAF = shout('leaf')\n");
    write("broken.py", "def f(:\n    pass\n");
    write("json.py", "HIJACKED = True\n");
    dir
}

fn with_modules(policy: Policy, modules: ModulePolicy) -> Policy {
    policy.with_modules(modules)
}

fn loader_root(dir: &Path) -> ModulePolicy {
    ModulePolicy::default().root(ModuleRoot::loader(dir, "codebase").unwrap()).unwrap()
}

fn exception(result: Result<(), CellError>) -> padcell::PythonException {
    match result {
        Err(CellError::Exception(e)) => e,
        other => panic!("expected an exception, got {other:?}"),
    }
}

#[test]
fn a_module_a_package_a_submodule_and_relative_imports_load_from_a_root() {
    let code = codebase();
    let mut cell = supervisor().cell().policy(with_modules(Policy::new(), loader_root(code.path()))).build().unwrap();
    cell.exec("import tool\nimport pkg\nimport pkg.deep.leaf\nfrom pkg.util import shout").unwrap();
    assert_eq!(cell.eval("tool.double(21)").unwrap(), Value::Int(42));
    assert_eq!(cell.eval("pkg.VERSION, pkg.util.VERSION").unwrap(), Value::Tuple(vec![Value::Str("1.0".into()); 2]));
    assert_eq!(
        cell.eval("pkg.deep.leaf.LEAF, shout('hi')").unwrap(),
        Value::Tuple(vec![Value::Str("LEAF!".into()), Value::Str("HI!".into())])
    );
    // Tracebacks name the module as the cell knows it, never the host path.
    assert_eq!(
        cell.eval("tool.__file__, pkg.__file__").unwrap(),
        Value::Tuple(vec![Value::Str("<codebase>/tool.py".into()), Value::Str("<codebase>/pkg/__init__.py".into()),])
    );
    let e = exception(cell.exec("tool.double(None, 1)"));
    assert!(!e.traceback.contains(&code.path().display().to_string()), "{}", e.traceback);
}

#[test]
fn a_guest_directory_inside_a_read_grant_is_a_root_too() {
    let code = codebase();
    let policy = Policy::new().grant(Grant::dir(code.path(), "/app", padcell::Access::ReadOnly).unwrap()).unwrap();
    let modules = ModulePolicy::default().root(ModuleRoot::guest("/app/pkg").unwrap()).unwrap();
    let mut cell = supervisor().cell().policy(with_modules(policy.clone(), modules)).build().unwrap();
    cell.exec("import core").unwrap();
    assert_eq!(
        cell.eval("core.VERSION, core.__file__").unwrap(),
        Value::Tuple(vec![Value::Str("1.0".into()), Value::Str("/app/pkg/core.py".into())])
    );
    // Its modules can be read with open() as well, since the grant allows it.
    assert_eq!(cell.eval("open('/app/pkg/core.py').read()").unwrap(), Value::Str("VERSION = '1.0'\n".into()));
    // A root outside every directory grant is refused when the cell is made.
    let outside = ModulePolicy::default().root(ModuleRoot::guest("/elsewhere").unwrap()).unwrap();
    let err = supervisor().cell().policy(with_modules(policy, outside)).build().err().expect("a root outside the grants");
    assert!(format!("{err:#}").contains("module root /elsewhere does not lie inside a directory grant"), "{err:#}");
}

#[test]
fn a_loader_only_root_cannot_be_read_with_open() {
    let code = codebase();
    let host_path = code.path().join("tool.py").display().to_string();
    let mut cell = supervisor().cell().policy(with_modules(Policy::new(), loader_root(code.path()))).build().unwrap();
    cell.exec("import tool").unwrap();
    for path in ["<codebase>/tool.py", "/<codebase>/tool.py", host_path.as_str()] {
        let e = exception(cell.exec(&format!("open({path:?})")));
        assert_eq!(e.type_name, "FileNotFoundError", "{path}: {e:?}");
        assert!(e.message.contains("is outside every grant"), "{path}: {}", e.message);
    }
    // Nor does it appear anywhere in the cell's filesystem.
    let e = exception(cell.exec("__import__('os').listdir('/')"));
    assert_eq!(e.message, "[Errno 44] '/' is outside every grant");
}

#[test]
fn modules_outside_the_roots_and_the_allow_list_are_refused_with_the_rule_and_audited() {
    let code = codebase();
    let (supervisor, events) = audited();
    let modules = loader_root(code.path()).deny("tool").unwrap();
    let mut cell = supervisor.cell().policy(with_modules(Policy::new(), modules)).build().unwrap();
    let cases = [
        ("import socket", "import of 'socket' refused: it is not on the cell's module allow-list and no module root has it"),
        ("import nowhere", "import of 'nowhere' refused: it is not on the cell's module allow-list and no module root has it"),
        (
            "import importlib; importlib.import_module('subprocess')",
            "import of 'subprocess' refused: it is not on the cell's module allow-list and no module root has it",
        ),
        ("import tool", "import of 'tool' refused: the cell's policy denies module 'tool'"),
    ];
    for (code, rule) in cases {
        let e = exception(cell.exec(code));
        assert_eq!((e.type_name.as_str(), e.message.as_str()), ("ImportError", rule), "{code}");
        assert!(e.traceback.ends_with(&format!("ImportError: {rule}\n")), "{}", e.traceback);
        assert!(!e.traceback.contains("<padcell"), "padcell's own frames are left out: {}", e.traceback);
    }
    let seen: Vec<(&str, String, String)> =
        events.lock().unwrap().iter().map(|e| (e.operation, e.path.clone(), e.rule.clone())).collect();
    let expected: Vec<(&str, String, String)> = cases
        .iter()
        .zip(["socket", "nowhere", "subprocess", "tool"])
        .map(|((_, rule), name)| ("import", name.to_owned(), rule.to_string()))
        .collect();
    assert_eq!(seen, expected);
    // A module the allow-list names is allowed; `*` allows every one.
    let modules = ModulePolicy::default().allow("shlex").unwrap().deny("json").unwrap();
    let mut cell = supervisor.cell().policy(with_modules(Policy::new(), modules)).build().unwrap();
    cell.exec("import shlex").unwrap();
    assert_eq!(exception(cell.exec("import json")).message, "import of 'json' refused: the cell's policy denies module 'json'");
    let everything = ModulePolicy::default().allow("*").unwrap();
    supervisor.cell().policy(with_modules(Policy::new(), everything)).build().unwrap().exec("import socket, shutil").unwrap();
}

#[test]
fn a_root_cannot_replace_a_module_of_the_interpreter() {
    let code = codebase();
    let mut cell = supervisor().cell().policy(with_modules(Policy::new(), loader_root(code.path()))).build().unwrap();
    assert_eq!(
        cell.eval("hasattr(__import__('json'), 'HIJACKED'), __import__('json').dumps([1])").unwrap(),
        Value::Tuple(vec![Value::Bool(false), Value::Str("[1]".into())])
    );
}

#[test]
fn a_syntax_error_in_a_module_names_its_file() {
    let code = codebase();
    let mut cell = supervisor().cell().policy(with_modules(Policy::new(), loader_root(code.path()))).build().unwrap();
    let e = exception(cell.exec("import broken"));
    assert_eq!(e.type_name, "SyntaxError");
    assert!(e.traceback.contains("File \"<codebase>/broken.py\", line 1"), "{}", e.traceback);
}

#[test]
fn reload_rereads_a_changed_file_and_unload_then_import_loads_it_anew() {
    let code = codebase();
    let mut cell = supervisor().cell().policy(with_modules(Policy::new(), loader_root(code.path()))).build().unwrap();
    cell.exec("import importlib, tool").unwrap();
    std::fs::write(code.path().join("tool.py"), "def double(x):\n    return 'two ' + str(x)\n").unwrap();
    assert_eq!(cell.eval("tool.double(1)").unwrap(), Value::Int(2), "nothing changes until reload");
    cell.exec("importlib.reload(tool)").unwrap();
    assert_eq!(cell.eval("tool.double(1)").unwrap(), Value::Str("two 1".into()));

    cell.import("pkg.deep.leaf").unwrap();
    assert_eq!(cell.eval("pkg.deep.leaf.LEAF").unwrap(), Value::Str("LEAF!".into()));
    std::fs::write(code.path().join("pkg/deep/leaf.py"), "LEAF = 'new'\n").unwrap();
    cell.import("pkg.deep.leaf").unwrap();
    assert_eq!(cell.eval("pkg.deep.leaf.LEAF").unwrap(), Value::Str("LEAF!".into()), "import alone reuses the module");
    cell.unload("pkg").unwrap();
    cell.import("pkg.deep.leaf").unwrap();
    assert_eq!(cell.eval("pkg.deep.leaf.LEAF").unwrap(), Value::Str("new".into()));
    // r_import goes through the same rules as the import statement.
    assert_eq!(exception(cell.import("socket")).type_name, "ImportError");
    assert_eq!(exception(cell.import("not a name")).type_name, "ValueError");
}

#[test]
fn many_cells_importing_one_module_compile_it_once() {
    let code = codebase();
    let supervisor = Supervisor::builder().cache_dir(common::cache_dir()).build().unwrap();
    for _ in 0..3 {
        let mut cell = supervisor.cell().policy(with_modules(Policy::new(), loader_root(code.path()))).build().unwrap();
        cell.exec("import pkg.deep.leaf").unwrap();
        assert_eq!(cell.eval("pkg.deep.leaf.LEAF").unwrap(), Value::Str("LEAF!".into()));
    }
    // pkg, pkg.core, pkg.util, pkg.deep, pkg.deep.leaf: once each, whatever the number of cells.
    assert_eq!(supervisor.modules_compiled(), 5);
    // A changed source is a new entry.
    std::fs::write(code.path().join("pkg/core.py"), "VERSION = '2.0'\n").unwrap();
    let mut cell = supervisor.cell().policy(with_modules(Policy::new(), loader_root(code.path()))).build().unwrap();
    assert_eq!(cell.eval("__import__('pkg').VERSION").unwrap(), Value::Str("2.0".into()));
    assert_eq!(supervisor.modules_compiled(), 6);
}

#[test]
fn applet_code_sees_only_the_allowed_names_of_builtins_sys_and_os() {
    let mut cell = supervisor().cell().build().unwrap();
    assert_eq!(
        cell.eval("hasattr(__builtins__, 'breakpoint'), callable(print)").unwrap(),
        Value::Tuple(vec![Value::Bool(false), Value::Bool(true)])
    );
    for (code, hidden) in [
        ("import sys; sys.modules", "sys.modules"),
        ("import sys; sys._getframe()", "sys._getframe"),
        ("import os; os.system", "os.system"),
    ] {
        let e = exception(cell.exec(code));
        assert_eq!(
            e.message,
            format!(
                "module '{}' has no attribute '{}': the cell's policy hides {hidden}",
                &hidden[..hidden.find('.').unwrap()],
                &hidden[hidden.find('.').unwrap() + 1..]
            )
        );
    }
    assert_eq!(exception(cell.exec("from os import system")).type_name, "ImportError");
    // Allowed names read and write through to the real module: print follows sys.stdout.
    cell.exec("import io, sys\nbuffer = io.StringIO()\nsys.stdout = buffer\nprint('caught')\nsys.stdout = sys.__dict__.get('x', None) or sys.stderr").unwrap();
    assert_eq!(cell.eval("buffer.getvalue()").unwrap(), Value::Str("caught\n".into()));
    assert_eq!(
        cell.eval("sorted(set(dir(__import__('sys'))) - {'stdout', 'stderr', 'stdin'})[:3]").unwrap(),
        Value::List(["api_version", "argv", "byteorder"].map(|s| Value::Str(s.into())).to_vec())
    );

    let names = RestrictedNames::default()
        .hide_builtin("input")
        .unwrap()
        .show_builtin("breakpoint")
        .unwrap()
        .allow_sys("modules")
        .unwrap()
        .deny_sys("argv")
        .unwrap()
        .deny_os("environ")
        .unwrap();
    let policy = with_modules(Policy::new(), ModulePolicy::default().names(names));
    let mut cell = supervisor().cell().policy(policy).build().unwrap();
    assert_eq!(
        cell.eval("hasattr(__builtins__, 'input'), hasattr(__builtins__, 'breakpoint')").unwrap(),
        Value::Tuple(vec![Value::Bool(false), Value::Bool(true)])
    );
    assert_eq!(cell.eval("'builtins' in __import__('sys').modules").unwrap(), Value::Bool(true));
    assert_eq!(exception(cell.exec("import sys; sys.argv")).type_name, "AttributeError");
    assert_eq!(exception(cell.exec("import os; os.environ")).type_name, "AttributeError");
    // The interpreter's own modules keep the real ones.
    cell.exec("import json, textwrap\njson.dumps({'a': [1, 2]})\ntextwrap.dedent('  x')").unwrap();
}

#[test]
fn the_host_refuses_hostile_questions() {
    // With every module allowed, the applet can talk to the host's import module directly.
    let policy = with_modules(Policy::new(), ModulePolicy::default().allow("*").unwrap());
    let mut cell = supervisor().cell().policy(policy).build().unwrap();
    cell.exec("import _padcell").unwrap();
    for question in ["'../../etc/passwd'", "'/etc/passwd'", "'a..b'", "'x' * 300", "b'bytes'", "[1, 2]", "None"] {
        let answer = cell.eval(&format!("_padcell.ask(3, {question})")).unwrap();
        let Value::Tuple(parts) = answer else { panic!("{question}: {answer:?}") };
        assert_eq!(parts[0], Value::Bool(false), "{question}: {parts:?}");
    }
    assert_eq!(exception(cell.exec("_padcell.ask(99, 'x')")).type_name, "ValueError");
    assert_eq!(exception(cell.exec("_padcell.ask(3, object())")).type_name, "TypeError");
    assert_eq!(cell.eval("_padcell.ask(3, 'nosuchmodule')").unwrap(), Value::Tuple(vec![Value::Bool(true), Value::None]));
}

#[test]
fn the_cli_and_applet_toml_take_the_same_module_and_name_keys() {
    let code = codebase();
    let root = format!("{}::loader", code.path().display());
    let run = padcell(
        &[
            "run",
            "--module-root",
            &root,
            "--deny-module",
            "json",
            "--allow-module",
            "shlex",
            "--allow-sys",
            "modules",
            "--hide-builtin",
            "print",
            "-c",
            "import tool, shlex, sys\nsys.stdout.write(str(tool.double(2)) + str('tool' in sys.modules))\nimport json",
        ],
        b"",
        &[],
    );
    assert_eq!(run.stdout, "4True");
    assert!(
        run.stderr.ends_with("ImportError: import of 'json' refused: the cell's policy denies module 'json'\n"),
        "{}",
        run.stderr
    );
    assert_eq!(run.code, 1);

    let run = padcell(&["run", "--module-root", "relative", "-c", "pass"], b"", &[]);
    assert_eq!((run.code, run.stderr.lines().count()), (2, 1), "{}", run.stderr);
    assert!(
        run.stderr.contains("give a guest directory (/GUEST/DIR) or a host directory for the loader (HOST::loader)"),
        "{}",
        run.stderr
    );

    let applet = tempfile::tempdir().unwrap();
    std::fs::write(applet.path().join("main.py"), "import tool, sys\nprint(tool.double(5), len(sys.modules) > 0)\n").unwrap();
    std::fs::write(
        applet.path().join("applet.toml"),
        format!("main = \"main.py\"\n[modules]\nroots = [{root:?}]\n[names]\nallow-sys = [\"modules\"]\n"),
    )
    .unwrap();
    let run = padcell(&["run", applet.path().to_str().unwrap()], b"", &[]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "10 True\n"), "{}", run.stderr);
    std::fs::write(applet.path().join("applet.toml"), "main = \"main.py\"\n[modules]\nallowed = [\"x\"]\n").unwrap();
    let run = padcell(&["run", applet.path().to_str().unwrap()], b"", &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("unknown field `allowed`"), "{}", run.stderr);
}

#[test]
fn the_report_applet_is_made_of_several_modules() {
    let run = padcell(&["run", workspace().join("applets/report").to_str().unwrap()], b"", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "\
region    units    revenue
north         4     128.50
south        10      22.50
east          4      20.00
total        18     171.00
"
    );
}
