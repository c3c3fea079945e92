"""Failures are exceptions with data; each limit stops a cell and names itself; cancellation."""

import threading
import time

import pytest

import padcell


def test_applet_exception(sup):
    with sup.cell() as cell:
        with pytest.raises(padcell.AppletError) as e:
            cell.exec("def f():\n    raise KeyError('k')\nf()")
        err = e.value
        assert isinstance(err, padcell.Error)
        assert err.type_name == "KeyError" and err.detail == "'k'"
        assert err.traceback.startswith("Traceback (most recent call last):")
        assert 'File "<string>", line 2, in f' in err.traceback
        assert err.traceback.rstrip().endswith("KeyError: 'k'")
        assert str(err) == err.traceback.rstrip()
        assert cell.eval("1 + 1") == 2      # the cell goes on


def test_exit_codes(sup):
    with sup.cell() as cell:
        with pytest.raises(padcell.ExitError) as e:
            cell.exec("import sys; sys.exit(3)")
        assert e.value.code == 3
        with pytest.raises(padcell.ExitError) as e:
            cell.exec("raise SystemExit")
        assert e.value.code == 0
        assert cell.eval("'still here'") == "still here"


@pytest.mark.parametrize("limit,policy,code", [
    ("time", dict(timeout=0.3), "while True: pass"),
    ("memory", dict(memory="48MiB"), "x = bytearray(200 << 20)"),
    ("output", dict(max_output=1000), "while True: print('x' * 100)"),
    ("fuel", dict(fuel=20_000_000), "while True: pass"),
])
def test_limits(sup, limit, policy, code):
    cell = sup.cell(padcell.Policy(**policy))
    with pytest.raises(padcell.LimitError) as e:
        cell.exec(code)
    assert e.value.limit == limit
    assert e.value.limit in str(e.value) or limit == "time"
    # A limit spends the cell; reset() starts it over.
    with pytest.raises(padcell.SpentError):
        cell.exec("pass")
    cell.reset()
    assert cell.eval("2 + 2") == 4
    cell.close()


def test_deep_recursion_ends_in_recursion_error_or_the_stack_limit(sup):
    policy = padcell.Policy(allow_sys=["setrecursionlimit"], timeout=20)
    with sup.cell(policy) as cell:
        with pytest.raises((padcell.LimitError, padcell.AppletError)) as e:
            cell.exec("import sys\nsys.setrecursionlimit(10**6)\ndef f(n):\n    return f(n + 1)\nf(0)")
        if isinstance(e.value, padcell.LimitError):
            assert e.value.limit in ("stack", "memory")
        else:
            assert e.value.type_name in ("RecursionError", "MemoryError")
            assert cell.eval("1 + 1") == 2     # an exception: the cell goes on


def test_cancel_from_another_thread(sup):
    cell = sup.cell(padcell.Policy(timeout=60))
    threading.Timer(0.3, cell.cancel).start()
    started = time.monotonic()
    with pytest.raises(padcell.LimitError) as e:
        cell.exec("while True: pass")
    assert e.value.limit == "cancelled"
    assert time.monotonic() - started < 10
    # A handle kept by another thread works too, also inside a blocking call.
    cell.reset()
    handle = cell.cancel_handle()
    threading.Timer(0.3, handle.cancel).start()
    with pytest.raises(padcell.LimitError) as e:
        cell.exec("import time\ntime.sleep(30)")
    assert e.value.limit == "cancelled"
    cell.close()


def test_policy_errors_name_the_keyword(tmp_path):
    with pytest.raises(padcell.PolicyError) as e:
        padcell.Policy(dirs={tmp_path / "missing": "/data"})
    assert e.value.kind == "dirs" and "cannot grant" in str(e.value)
    assert isinstance(e.value, ValueError)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with pytest.raises(padcell.PolicyError, match="two grants at guest path /x") as e:
        padcell.Policy(dirs={tmp_path / "a": "/x"}, rw_dirs={tmp_path / "b": "/x"})
    assert e.value.kind == "rw_dirs"
    with pytest.raises(padcell.PolicyError) as e:
        padcell.Policy(dirs={tmp_path / "a": "relative"})
    assert e.value.kind == "dirs"
    with pytest.raises(padcell.PolicyError) as e:
        padcell.Policy(env={"A=B": "c"})
    assert e.value.kind == "env"
    with pytest.raises(padcell.PolicyError) as e:
        padcell.Policy(memory="lots")
    assert e.value.kind == "memory"
    with pytest.raises(padcell.PolicyError) as e:
        padcell.Policy(timeout=-1)
    assert e.value.kind == "timeout"
    with pytest.raises(padcell.PolicyError) as e:
        padcell.Policy(allow_modules=["not a name"])
    assert e.value.kind == "allow_modules"


def test_a_guest_root_outside_every_grant_is_refused_when_the_cell_is_made(sup):
    with pytest.raises(padcell.PolicyError) as e:
        sup.cell(padcell.Policy(module_roots=["/nowhere"]))
    assert e.value.kind in ("module_roots", "cell")
