"""Bastion: Python objects granted to cells, by value, behind a filter that only narrows."""

import threading
import time

import pytest

import padcell


class Account:
    def __init__(self):
        self.balance = 100
        self.secret = "pin 1234"

    def deposit(self, amount):
        if not isinstance(amount, int):
            raise TypeError("amount must be an int")
        if amount <= 0:
            raise ValueError("amount must be positive")
        self.balance += amount
        return self.balance

    def get(self, key):
        return {"owner": "ada"}[key]

    def history(self):
        return [("deposit", 1), {"n": None}]

    def explode(self):
        return 1 / 0

    def handle(self):
        return self          # not plain data

    def audit_log(self):
        return "internal"

    def _reset(self):
        self.balance = 0


def test_bastion_methods_cross_by_value(sup):
    account = Account()
    policy = padcell.Policy(objects={"acct": padcell.Bastion(account)})
    with sup.cell(policy) as cell:
        cell.exec("import padcell\nacct = padcell.host('acct')")
        assert cell.eval("acct.deposit(5)") == 105
        assert account.balance == 105                  # the real object, in the supervisor
        assert cell.eval("acct.history()") == [("deposit", 1), {"n": None}]
        assert cell.eval("sorted(dir(acct))") == ["audit_log", "deposit", "explode", "get", "handle", "history"]


def test_underscore_attributes_and_filtered_names_are_refused(sup, audit):
    account = Account()
    bastion = padcell.Bastion(account, filter=lambda name: name != "audit_log")
    with sup.cell(padcell.Policy(objects={"acct": bastion}, on_audit=audit)) as cell:
        cell.exec("import padcell\nacct = padcell.host('acct')")
        for attr in ("_reset", "_Account__x", "balance", "secret", "audit_log", "_get_"):
            cell.exec(f"try:\n    acct.{attr}()\n    r = 'accessible'\nexcept AttributeError as e:\n    r = str(e)")
            assert "has no attribute" in cell.eval("r"), attr
        assert account.balance == 100
        assert cell.eval("acct.deposit(1)") == 101
    assert ("object", "acct._reset") in audit.ops() or any(e["operation"] == "object" for e in audit.events)
    # In the supervisor, the Bastion keeps to the same rule.
    assert bastion.deposit(1) == 102
    for attr in ("_reset", "balance", "audit_log", "_Bastion__object"):
        with pytest.raises(AttributeError):
            getattr(bastion, attr)
    assert bastion.methods() == ["deposit", "explode", "get", "handle", "history"]


def test_method_exceptions_become_builtin_exceptions_without_host_tracebacks(sup):
    with sup.cell(padcell.Policy(objects={"acct": Account()})) as cell:    # wrapped in a Bastion
        cell.exec("import padcell\nacct = padcell.host('acct')")
        cases = {"acct.deposit('x')": ("TypeError", "amount must be an int"),
                 "acct.deposit(-1)": ("ValueError", "amount must be positive"),
                 "acct.get('nope')": ("KeyError", "nope"),
                 "acct.explode()": ("RuntimeError", "ZeroDivisionError: division by zero"),
                 "acct.handle()": ("RuntimeError", "cannot cross"),
                 "acct.deposit()": ("TypeError", "missing 1 required positional argument")}
        for code, (type_name, text) in cases.items():
            with pytest.raises(padcell.AppletError) as e:
                cell.eval(code)
            assert e.value.type_name == type_name, code
            assert text in e.value.detail, (code, e.value.detail)
            assert "test_objects.py" not in e.value.traceback
        assert cell.eval("acct.deposit(1)") == 101     # the cell and the object go on


def test_an_object_not_granted_is_a_permission_error(sup):
    with sup.cell() as cell:
        with pytest.raises(padcell.AppletError) as e:
            cell.exec("import padcell\npadcell.host('acct')")
        assert e.value.type_name == "PermissionError"


def test_raising_callbacks_are_reported_and_nothing_breaks(sup, tmp_path, unraisable):
    def bad_audit(event):
        raise RuntimeError("audit callback broke")

    def bad_writer(data):
        raise OSError("writer broke")

    with sup.cell(padcell.Policy(on_audit=bad_audit), stdout=bad_writer) as cell:
        cell.exec("print('lost')\ntry:\n    open('/nowhere')\nexcept OSError:\n    pass")
        assert cell.eval("'alive'") == "alive"
    messages = [str(u.exc_value) for u in unraisable]
    assert "audit callback broke" in messages and "writer broke" in messages


def test_a_hanging_method_holds_up_only_its_own_cell(sup):
    release = threading.Event()

    class Slow:
        def wait(self):
            release.wait(10)
            return "done"

    slow = sup.cell(padcell.Policy(objects={"slow": Slow()}))
    slow.exec("import padcell\nslow = padcell.host('slow')")
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("v", slow.eval("slow.wait()")))
    t.start()
    time.sleep(0.2)
    # Meanwhile other cells are made and run, and this thread holds the GIL freely.
    with sup.cell() as other:
        assert other.eval("sum(range(10))") == 45
    assert t.is_alive()
    release.set()
    t.join(10)
    assert result["v"] == "done"
    slow.close()


def test_a_method_that_calls_back_into_its_own_cell_fails_instead_of_waiting_for_itself(sup):
    box = {}

    class Loop:
        def again(self):
            return box["cell"].eval("1")

    with sup.cell(padcell.Policy(objects={"loop": Loop()})) as cell:
        box["cell"] = cell
        with pytest.raises(padcell.AppletError) as e:
            cell.eval("__import__('padcell').host('loop').again()")
        assert e.value.type_name == "RuntimeError" and "cannot use the cell" in e.value.detail
        assert cell.eval("2") == 2
