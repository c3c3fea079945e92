"""padcell.rexec: the 2.x interface, its documentation's examples, and the class attributes."""

import io
import sys

import pytest

import padcell
from padcell import rexec
from padcell.rexec import RExec


# -- Python 2.7's Bastion._test(), with only the changes Python 3 forces: print is a function
#    (so a line that printed its label before the failing attribute prints it first, as 2.x's
#    print statement did), and func_defaults is __defaults__. ------------------------------------

def bastion_test():
    """Test the Bastion() function."""
    class Original:
        def __init__(self):
            self.sum = 0
        def add(self, n):
            self._add(n)
        def _add(self, n):
            self.sum = self.sum + n
        def total(self):
            return self.sum
    o = Original()
    b = padcell.Bastion(o)
    testcode = """if 1:
    b.add(81)
    b.add(18)
    print("b.total() =", b.total())
    try:
        print("b.sum =", end=" "); print(b.sum, end=" ")
    except:
        print("inaccessible")
    else:
        print("accessible")
    try:
        print("b._add =", end=" "); print(b._add, end=" ")
    except:
        print("inaccessible")
    else:
        print("accessible")
    try:
        print("b._get_.func_defaults =", end=" "); print(map(type, b._get_.__defaults__), end=" ")
    except:
        print("inaccessible")
    else:
        print("accessible")
    \n"""
    exec(testcode)
    print('='*20, "Using rexec:", '='*20)
    r = rexec.RExec()
    m = r.add_module('__main__')
    m.b = b
    r.r_exec(testcode)


def test_bastion_test_from_python_2_7(capsys):
    bastion_test()
    out = capsys.readouterr().out
    block = ("b.total() = {}\nb.sum = inaccessible\nb._add = inaccessible\n"
             "b._get_.func_defaults = inaccessible\n")
    assert out == block.format(99) + "=" * 20 + " Using rexec: " + "=" * 20 + "\n" + block.format(198)


# -- The 2.x documentation's TmpWriterRExec, with only the changes the model forces: string.find
#    is str.find in Python 3, and the override allows by returning the base r_open (the host
#    opens the file, through the grants) instead of opening it itself. -------------------------

class TmpWriterRExec(rexec.RExec):
    def r_open(self, file, mode='r', buf=-1):
        if mode in ('r', 'rb'):
            pass
        elif mode in ('w', 'wb', 'a', 'ab'):
            # check filename : must begin with /tmp/
            if file[:5]!='/tmp/':
                raise IOError("can't write outside /tmp")
            elif (file.find('/../') >= 0 or
                 file[:3] == '../' or file[-3:] == '/..'):
                raise IOError("'..' in filename forbidden")
        else: raise IOError("Illegal open() mode")
        return rexec.RExec.r_open(self, file, mode, buf)


@pytest.fixture
def tmpwriter(tmp_path):
    (tmp_path / "tmp").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.txt").write_text("old")
    policy = padcell.Policy(rw_dirs={tmp_path / "tmp": "/tmp", tmp_path / "out": "/out"})
    with TmpWriterRExec(policy=policy) as r:
        yield r, tmp_path


def test_tmpwriter_allows_writes_under_tmp(tmpwriter):
    r, root = tmpwriter
    r.r_exec("with open('/tmp/note.txt', 'w') as f: f.write('hi')\nopen('/tmp/note.txt', 'a').write('!')")
    assert (root / "tmp" / "note.txt").read_text() == "hi!"
    assert r.r_eval("open('/tmp/note.txt').read()") == "hi!"
    assert r.r_eval("open('/out/old.txt').read()") == "old"      # reading is allowed anywhere granted


def test_tmpwriter_refuses_writes_elsewhere_and_bad_modes(tmpwriter):
    r, root = tmpwriter
    for code, message in (("open('/out/x.txt', 'w')", "can't write outside /tmp"),
                          ("open('/out/old.txt', 'a')", "can't write outside /tmp"),
                          # '..' never reaches the hook: the host resolves the path first, and
                          # the result is outside /tmp.
                          ("open('/tmp/../out/x.txt', 'w')", "can't write outside /tmp"),
                          ("open('/tmp/x.txt', 'x')", "Illegal open() mode"),
                          ("open('/out/old.txt', 'r+')", "Illegal open() mode")):
        with pytest.raises(padcell.AppletError) as e:
            r.r_exec(code)
        assert e.value.type_name in ("PermissionError", "OSError"), code
        assert message in e.value.detail, (code, e.value.detail)
    assert sorted(p.name for p in (root / "out").iterdir()) == ["old.txt"]
    assert not (root / "tmp" / "x.txt").exists()


def test_r_open_sees_the_mode_from_the_flags_not_the_applet(tmp_path):
    seen = []

    class Recorder(RExec):
        def r_open(self, file, mode="r", buf=-1):
            seen.append((file, mode))
            return RExec.r_open(self, file, mode, buf)

    (tmp_path / "w").mkdir()
    with Recorder(policy=padcell.Policy(rw_dirs={tmp_path / "w": "/w"})) as r:
        r.r_exec("open('/w/a', 'wb').close()\nopen('/w/a', 'rb').close()\nopen('/w/a', 'ab+').close()\n"
                 "open('/w/b', 'x').close()")
    assert seen == [("/w/a", "w"), ("/w/a", "r"), ("/w/a", "a+"), ("/w/b", "x")]


# -- the rest of the interface ----------------------------------------------------------------

def test_add_module_binds_by_value_and_reads_back(capsys):
    r = RExec()
    m = r.add_module("__main__")
    m.data = {"xs": [1, 2, 3], "t": (1, "a"), "f": float("inf"), "b": b"\x00"}
    r.r_exec("total = sum(data['xs'])\ndata['xs'].append(4)")
    assert m.total == 6
    assert m.data["xs"] == [1, 2, 3, 4] and m.data["t"] == (1, "a") and m.data["f"] == float("inf")
    assert r.r_eval("data['b']") == b"\x00"
    with pytest.raises(AttributeError):
        m.missing
    with pytest.raises(TypeError, match="only plain data"):
        m.obj = object()
    del m.total
    with pytest.raises(AttributeError):
        m.total
    r.close()


def test_a_bastion_can_be_bound_before_the_cell_runs_only(capsys):
    r = RExec()
    m = r.add_module("__main__")
    m.b = padcell.Bastion([])          # a list's public methods: append, count, ...
    r.r_exec("b.append(1)\nb.append(2)\nn = b.count(2)")
    assert m.n == 1
    with pytest.raises(padcell.PolicyError) as e:
        m.late = padcell.Bastion({})
    assert e.value.kind == "objects"
    r.close()


def test_errors_are_padcell_errors():
    with RExec() as r:
        with pytest.raises(padcell.AppletError) as e:
            r.r_exec("1/0")
        assert e.value.type_name == "ZeroDivisionError"
        with pytest.raises(padcell.ExitError):
            r.r_exec("raise SystemExit(4)")
        with pytest.raises(padcell.Error):
            r.r_eval("object()")


def test_class_attributes_shape_the_cell(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "plugin.py").write_text("VALUE = 1\n")

    class Narrow(RExec):
        ok_path = (lib,)
        ok_builtin_modules = ("math", "sys", "os", "importlib")
        ok_sys_names = ("argv", "stdout", "stdin", "stderr", "version")
        ok_posix_names = ("getcwd",)
        nok_builtin_names = ("input", "breakpoint", "compile")

    with Narrow() as r:
        assert r.r_eval("__import__('math').sqrt(16)") == 4.0
        for code, type_name in (("import json", "ImportError"), ("import sys; sys.exit", "AttributeError"),
                                ("import os; os.listdir", "AttributeError"), ("compile", "NameError")):
            with pytest.raises(padcell.AppletError) as e:
                r.r_exec(code)
            assert e.value.type_name == type_name, code
        mod = r.r_import("plugin")
        assert mod.VALUE == 1
        mod.VALUE = 5
        assert r.r_eval("plugin.VALUE") == 5
        (lib / "plugin.py").write_text("VALUE = 2\n")
        assert r.r_reload("plugin").VALUE == 2
        (lib / "plugin.py").write_text("VALUE = 3\n")
        r.r_unload("plugin")
        r.r_exec("import plugin")
        assert r.r_eval("plugin.VALUE") == 3
    # The defaults are padcell's.
    assert "json" in RExec.ok_builtin_modules and "breakpoint" in RExec.nok_builtin_names


def test_r_execfile_reads_a_host_file(tmp_path):
    script = tmp_path / "s.py"
    script.write_text("answer = 6 * 7\n")
    with RExec() as r:
        r.r_execfile(str(script))
        assert r.r_eval("answer") == 42


def test_s_variants_use_the_supervisors_files():
    out, err = io.StringIO(), io.StringIO()
    with RExec() as r:
        r.set_files(io.StringIO("line one\nline two\n"), out, err)
        r.s_exec("import sys\nprint(input())\nprint(sys.stdin.read().upper(), end='')\nprint('oops', file=sys.stderr)")
        assert out.getvalue() == "line one\nLINE TWO\n"
        assert err.getvalue() == "oops\n"
        # r_* calls get no stdin.
        assert r.r_eval("__import__('sys').stdin.read()") == ""
        r.reset_files()
        saved = sys.stdout
        try:
            sys.stdout = mine = io.StringIO()
            r.s_eval("print('to the current stdout')")
        finally:
            sys.stdout = saved
        assert mine.getvalue() == "to the current stdout\n"


def test_save_and_restore_files():
    r = RExec()
    saved = sys.stdout
    r.save_files()
    sys.stdout = io.StringIO()
    r.restore_files()
    assert sys.stdout is saved


def test_policy_grants_and_limits_apply(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_text("x")
    with RExec(policy=padcell.Policy(dirs={tmp_path / "d": "/d"}, timeout=0.5)) as r:
        assert r.r_eval("open('/d/f').read()") == "x"
        with pytest.raises(padcell.LimitError) as e:
            r.r_exec("while True: pass")
        assert e.value.limit == "time"
    with RExec() as r:            # nothing granted by default, as in rexec
        with pytest.raises(padcell.AppletError) as e:
            r.r_exec(f"open({str(tmp_path / 'd' / 'f')!r})")
        assert e.value.type_name == "FileNotFoundError"
