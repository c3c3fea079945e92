"""The core API: cells, plain data, sessions, stdio, modules, names, applet.toml, WASI."""

import io
import os
import textwrap

import pytest

import padcell
from conftest import APPLETS


def test_the_issue_example(sup, tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "app.json").write_text('{"debug": true}')
    policy = padcell.Policy(dirs={tmp_path / "data": "/data"}, rw_dirs={tmp_path / "out": "/out"},
                            files={tmp_path / "app.json": "/etc/app.json"}, env={"MODE": "test"},
                            allow_modules=["csv"], timeout=2.0, memory="64MiB", max_output="1MiB")
    with sup.cell(policy=policy, args=["applet.py"], stdin=b"") as cell:
        cell.exec("import json\nx = json.loads('[1, 2]')")
        assert cell.eval("sum(x)") == 3
        cell.exec("def f(n, s):\n    print('called', n, s)\n    return [n, s * 2]")
        assert cell.call("f", 1, "a") == [1, "aa"]
        assert cell.stdout == b"called 1 a\n"
        assert cell.stdout == b""          # what it printed since the last read
        assert cell.eval("__import__('os').environ['MODE']") == "test"
        assert cell.eval("open('/etc/app.json').read()") == '{"debug": true}'
        assert cell.eval("__import__('sys').argv") == ["applet.py"]


def test_plain_data_crosses_by_value(sup):
    with sup.cell() as cell:
        value = {"a": [1, 2.5, None, True], "b": (b"\x00\xff", "é"), 7: {"big": 2**100, "neg": -2**70}}
        cell.exec("def echo(v):\n    return v")
        assert cell.call("echo", value) == value
        assert cell.eval("2 ** 80") == 2**80
        assert cell.eval("float('inf')") == float("inf")
        with pytest.raises(TypeError, match="cannot cross into a cell"):
            cell.call("echo", object())
        with pytest.raises(padcell.AppletError) as e:
            cell.eval("object()")
        assert e.value.type_name == "TypeError"
        # The cell's copy is its own: changing it changes nothing in the supervisor.
        data = [1, 2]
        cell.call("echo", data)
        cell.exec("held = echo([1, 2]); held.append(3)")
        assert data == [1, 2]


def test_sessions_keep_state_and_reset_forgets_it(sup):
    cell = sup.cell()
    cell.exec("counter = 0\ndef bump(n):\n    global counter\n    counter += n\n    return counter")
    assert [cell.call("bump", 2) for _ in range(3)] == [2, 4, 6]
    old = cell.id
    cell.reset()
    assert cell.id != old
    with pytest.raises(padcell.AppletError) as e:
        cell.eval("counter")
    assert e.value.type_name == "NameError"
    cell.close()
    assert cell.closed
    with pytest.raises(RuntimeError, match="closed"):
        cell.exec("pass")


def test_stdin_bytes_str_and_files(sup):
    for given in (b"stressed\n", "stressed\n", io.BytesIO(b"stressed\n"), io.StringIO("stressed\n")):
        with sup.cell(stdin=given) as cell:
            assert cell.eval("__import__('sys').stdin.read()[::-1]") == "\ndesserts"
    with sup.cell() as cell:
        assert cell.eval("__import__('sys').stdin.read()") == ""


def test_streamed_output(sup):
    chunks, text = [], io.StringIO()
    with sup.cell(stdout=chunks.append, stderr=text) as cell:
        cell.exec("import sys\nprint('to stdout')\nprint('héllo wörld', file=sys.stderr)")
        # Written by the time the call returns.
        assert b"".join(chunks) == b"to stdout\n"
        assert text.getvalue() == "héllo wörld\n"
        assert cell.stdout == b""          # streamed, so nothing was kept


def test_exec_file_and_exec_source(sup, tmp_path):
    script = tmp_path / "script.py"
    script.write_text("def g():\n    return 1 / 0\n")
    with sup.cell() as cell:
        cell.exec_file(script)
        with pytest.raises(padcell.AppletError) as e:
            cell.eval("g()")
        assert f'File "{script}", line 2, in g' in e.value.traceback
        cell.exec_source("named.py", "y = 5")
        assert cell.eval("y") == 5
        with pytest.raises(padcell.HostError):
            cell.exec_file(tmp_path / "missing.py")


def test_module_roots_allow_deny_import_unload(sup, tmp_path):
    lib = tmp_path / "lib"
    (lib / "pkg").mkdir(parents=True)
    (lib / "pkg" / "__init__.py").write_text("from .mod import VALUE\n")
    (lib / "pkg" / "mod.py").write_text("VALUE = 1\n")
    policy = padcell.Policy(module_roots=[lib], allow_modules=["csv"], deny_modules=["random"])
    with sup.cell(policy) as cell:
        cell.import_module("pkg.mod")
        assert cell.eval("pkg.mod.VALUE") == 1
        assert cell.eval("pkg.__file__") == "<codebase>/pkg/__init__.py"
        (lib / "pkg" / "mod.py").write_text("VALUE = 2\n")
        cell.unload("pkg")
        cell.import_module("pkg")
        assert cell.eval("pkg.VALUE") == 2
        cell.exec("import csv")
        for name, rule in (("random", "denies module 'random'"), ("socket", "allow-list")):
            with pytest.raises(padcell.AppletError) as e:
                cell.exec(f"import {name}")
            assert e.value.type_name == "ImportError" and rule in e.value.detail
    # The host directory is the loader's alone: open() cannot read it.
    with sup.cell(padcell.Policy(module_roots=[f"{lib}::loader"])) as cell:
        cell.import_module("pkg")
        with pytest.raises(padcell.AppletError):
            cell.exec("open('<codebase>/pkg/mod.py')")


def test_restricted_names(sup):
    policy = padcell.Policy(hide_builtins=["input"], allow_sys=["getrecursionlimit"], deny_os=["environ"])
    with sup.cell(policy) as cell:
        cell.exec("try:\n    input\n    seen = 'present'\nexcept NameError:\n    seen = 'hidden'")
        assert cell.eval("seen") == "hidden"
        assert cell.eval("__import__('sys').getrecursionlimit()") > 0
        with pytest.raises(padcell.AppletError) as e:
            cell.eval("__import__('sys').modules")
        assert "the cell's policy hides sys.modules" in e.value.detail
        with pytest.raises(padcell.AppletError):
            cell.eval("__import__('os').environ")


def test_policy_keywords_and_replace(tmp_path):
    p = padcell.Policy(timeout="1500ms", memory=64 << 20, env={"A": "1"})
    assert p.limits["timeout"] == 1.5 and p.limits["memory"] == 64 << 20
    q = p.replace(timeout=3, env=None)
    assert q.limits["timeout"] == 3.0 and q.options.get("env") is None
    assert p.options["env"] == {"A": "1"}
    with pytest.raises(TypeError, match="unexpected keyword argument 'dir'"):
        padcell.Policy(dir={})


def test_applet_toml(sup):
    applet = padcell.Applet(APPLETS / "wordcount")
    assert applet.main.endswith("wordcount.py") and applet.policy.grants == [("/text", "ro")]
    cell = applet.run(supervisor=sup)
    out = cell.stdout.decode()
    cell.close()
    assert "words" in out and "as expected:" in out and "read-only grant /text" in out
    # The manifest's policy, with more on top.
    report = padcell.Applet(APPLETS / "report")
    with sup.cell(report.policy.replace(env={"X": "y"}), args=[report.main]) as cell:
        cell.exec_file(report.main)
        assert cell.stdout
        assert cell.eval("__import__('os').environ['X']") == "y"
    with pytest.raises(padcell.PolicyError) as e:
        padcell.Applet(APPLETS / "hello")     # no applet.toml
    assert e.value.kind == "applet"


HELLO_WAT = r'''(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\10\00\00\00\06\00\00\00")
  (data (i32.const 16) "hello\0a")
  (func (export "_start") (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $exit (i32.const 3))))'''

SPIN_WAT = '(module (memory (export "memory") 1) (func (export "_start") (loop $l (br $l))))'


def test_plain_wasi_modules(sup, tmp_path):
    module = sup.wasi(HELLO_WAT.encode(), name="hello.wat")
    run = module.run()
    assert (run.code, run.stdout, run.stderr) == (3, b"hello\n", b"")
    chunks = []
    assert module.run(stdout=chunks.append).stdout == b"" and chunks == [b"hello\n"]
    path = tmp_path / "spin.wat"
    path.write_text(SPIN_WAT)
    with pytest.raises(padcell.LimitError) as e:
        sup.wasi(path).run(policy=padcell.Policy(timeout=0.3))
    assert e.value.limit == "time"
    with pytest.raises(padcell.HostError, match="imports what the host does not provide"):
        sup.wasi(b'(module (import "env" "launch" (func)) (memory (export "memory") 1) (func (export "_start")))')


def test_module_level_helpers_make_a_supervisor_lazily():
    with padcell.cell(padcell.Policy(timeout=5)) as cell:
        assert cell.eval("6 * 7") == 42
    assert padcell.default_supervisor() is padcell.default_supervisor()


def test_nested_cells_made_by_an_applet_answer_to_the_subset_rule(sup, tmp_path, audit):
    (tmp_path / "data").mkdir()
    policy = padcell.Policy(dirs={tmp_path / "data": "/data"}, on_audit=audit)
    with sup.cell(policy) as cell:
        cell.exec("import padcell\nwith padcell.Cell(modules=['json']) as child:\n    r = child.eval('1 + 1')")
        assert cell.eval("r") == 2
        with pytest.raises(padcell.AppletError) as e:
            cell.exec("import padcell\npadcell.Cell(dirs={'/data': 'rw'})")
        assert e.value.type_name == "PermissionError" and "read-only" in e.value.detail
    assert any(event["operation"] == "cell" for event in audit.events)


def test_objects_as_a_list_of_named_bastions(sup):
    policy = padcell.Policy(objects=[padcell.Bastion({"k": 1}, name="table")])
    with sup.cell(policy) as cell:
        assert cell.eval("__import__('padcell').host('table').get('k')") == 1
    with pytest.raises(padcell.PolicyError) as e:
        padcell.Policy(objects=[padcell.Bastion({})])
    assert e.value.kind == "objects"


def test_an_applets_audit_log_is_written_as_the_cli_writes_it(sup, tmp_path):
    import json
    (tmp_path / "main.py").write_text("try:\n    open('/etc/passwd')\nexcept OSError:\n    pass\n")
    (tmp_path / "applet.toml").write_text('main = "main.py"\naudit-log = "audit.jsonl"\n')
    padcell.Applet(tmp_path).run(supervisor=sup).close()
    record = json.loads((tmp_path / "audit.jsonl").read_text().splitlines()[0])
    assert record["operation"] == "open" and record["path"] == "/etc/passwd" and "chain" not in record
