"""A hostile applet against each grant rule, through the Python API; audit and the open hook."""

import os

import pytest

import padcell


@pytest.fixture
def tree(tmp_path):
    data, out, secret = tmp_path / "data", tmp_path / "out", tmp_path / "secret"
    for d in (data, out, secret):
        d.mkdir()
    (data / "a.txt").write_text("alpha")
    (data / "sub").mkdir()
    (secret / "key").write_text("s3cret")
    os.symlink(secret, data / "evil")            # planted on the host, leading out of /data
    (tmp_path / "one.txt").write_text("one")
    return tmp_path


def policy(tree, **more):
    return padcell.Policy(dirs={tree / "data": "/data"}, rw_dirs={tree / "out": "/out"},
                          files={tree / "one.txt": "/etc/one.txt"},
                          allow_modules=["*"], allow_os=["*"], **more)


def refused(cell, code):
    """The applet's exception for `code`, which must fail."""
    with pytest.raises(padcell.AppletError) as e:
        cell.exec(code)
    return e.value


def test_read_only_grant_refuses_every_change(sup, tree, audit):
    with sup.cell(policy(tree, on_audit=audit)) as cell:
        assert cell.eval("open('/data/a.txt').read()") == "alpha"
        for code in ("open('/data/a.txt', 'w')", "open('/data/a.txt', 'a')", "open('/data/new', 'x')",
                     "open('/data/a.txt', 'r+')", "import os; os.remove('/data/a.txt')",
                     "import os; os.rename('/data/a.txt', '/data/b.txt')", "import os; os.mkdir('/data/d')",
                     "import os; os.rmdir('/data/sub')", "import os; os.truncate('/data/a.txt', 0)",
                     "import os; os.rename('/data/a.txt', '/out/stolen')"):
            err = refused(cell, code)
            assert err.type_name == "PermissionError", code
            assert "read-only grant /data" in err.detail, (code, err.detail)
            assert str(tree) not in err.traceback          # never a host path
    assert (tree / "data" / "a.txt").read_text() == "alpha"
    assert sorted(os.listdir(tree / "data")) == ["a.txt", "evil", "sub"]
    assert ("open", "/data/a.txt") in audit.ops()
    event = audit.events[0]
    assert set(event) == {"cell", "time", "operation", "path", "access", "rule", "chain"}
    assert event["access"] == "write"


def test_paths_never_leave_a_grant(sup, tree):
    with sup.cell(policy(tree)) as cell:
        err = refused(cell, "open('/etc/passwd')")
        assert err.type_name == "FileNotFoundError" and "outside every grant" in err.detail
        err = refused(cell, "open('/data/../secret/key')")
        assert err.type_name == "FileNotFoundError"
        err = refused(cell, "open('/data/evil/key')")
        assert err.type_name == "PermissionError" and "leads outside grant /data" in err.detail
        err = refused(cell, "import os; os.symlink('../../secret', '/out/l')")
        assert err.type_name == "PermissionError"
        assert not os.path.lexists(tree / "out" / "l")
        assert cell.eval("sorted(__import__('os').listdir('/'))") == ["data", "etc", "out"]


def test_read_write_grant_and_file_grant(sup, tree):
    with sup.cell(policy(tree)) as cell:
        cell.exec("with open('/out/r.txt', 'w') as f: f.write('written')\nimport os; os.mkdir('/out/d')")
        assert (tree / "out" / "r.txt").read_text() == "written"
        assert cell.eval("open('/etc/one.txt').read()") == "one"
        err = refused(cell, "import os; os.remove('/etc/one.txt')")
        assert err.type_name == "PermissionError"
        refused(cell, "open('/etc/one.txt', 'w')")
    assert (tree / "one.txt").read_text() == "one"


def test_on_open_hook_refuses_by_raising(sup, tree, audit):
    asked = []

    def hook(cell_id, path, access):
        asked.append((cell_id, path, access))
        if access == "write" and not path.endswith(".log"):
            raise PermissionError(f"{path!r}: only *.log files may be written")

    with sup.cell(policy(tree, on_open=hook, on_audit=audit)) as cell:
        cell.exec("open('/out/x.log', 'w').write('ok')")
        err = refused(cell, "open('/out/x.txt', 'w')")
        assert err.type_name == "PermissionError"
        assert "'/out/x.txt': only *.log files may be written" in err.detail
        assert (cell.id, "/out/x.txt", "write") in asked
        assert cell.eval("open('/data/a.txt').read()") == "alpha"
    assert not (tree / "out" / "x.txt").exists()
    assert any(e["rule"].endswith("only *.log files may be written") for e in audit.events)


def test_on_open_hook_gets_the_mode_the_host_derived(sup, tree):
    modes = []
    hook = lambda cell_id, path, access, mode: modes.append((path, mode))
    with sup.cell(policy(tree, on_open=hook)) as cell:
        for mode in ("r", "w", "a", "x", "r+", "w+", "a+"):
            path = "/data/a.txt" if mode == "r" else f"/out/{mode.replace('+', 'p')}"
            if mode == "r+":
                cell.exec("open('/out/rp', 'w').close()")
            cell.exec(f"open({path!r}, {mode!r}).close()")
        # Binary or text, the flags decide: 'rb' opens as 'r', 'ab' as 'a'.
        cell.exec("open('/out/a', 'ab').close()")
    seen = dict(modes)
    assert seen["/data/a.txt"] == "r"
    assert [seen[f"/out/{m}"] for m in ("w", "x", "wp", "ap")] == ["w", "x", "w+", "a+"]
    assert ("/out/rp", "r+") in modes and ("/out/a", "a") in modes


def test_an_open_hook_that_raises_anything_refuses_and_the_cell_goes_on(sup, tree):
    def hook(cell_id, path, access):
        raise ZeroDivisionError()

    with sup.cell(policy(tree, on_open=hook)) as cell:
        err = refused(cell, "open('/data/a.txt')")
        assert err.type_name == "PermissionError" and "ZeroDivisionError" in err.detail
        assert cell.eval("1") == 1


def test_the_supervisors_on_audit_sees_every_cell(tmp_path):
    seen = []
    sup = padcell.Supervisor(on_audit=seen.append)
    for _ in range(2):
        with sup.cell() as cell:
            refused(cell, "import socket")
    assert [(e["operation"], e["path"]) for e in seen] == [("import", "socket")] * 2
    assert seen[0]["cell"] != seen[1]["cell"]


def test_module_code_is_compiled_once_for_all_cells(sup, tmp_path):
    (tmp_path / "shared_mod.py").write_text("ANSWER = 42\n")
    before = sup.modules_compiled
    for _ in range(3):
        with sup.cell(padcell.Policy(module_roots=[tmp_path])) as cell:
            assert cell.eval("__import__('shared_mod').ANSWER") == 42
    assert sup.modules_compiled - before == 1
