# Runs once in every new cell, before loader.py: the `padcell` module that applets import.
# `padcell.host(NAME)` is a proxy for a host object the supervisor granted (Bastion's "restrict
# access to objects"). Calls cross to the host by value; the host decides which methods exist,
# refuses and audits the rest, and never hands the cell a reference to the object itself.
import sys, types, _padcell

_ASK_OBJECT, _ASK_CALL_OBJECT = 4, 5
_ERRORS = {"TypeError": TypeError, "KeyError": KeyError, "ValueError": ValueError, "RuntimeError": RuntimeError}


def _proxy(name, methods):
    methods = frozenset(methods)

    def call(method, args):
        ok, answer = _padcell.ask(_ASK_CALL_OBJECT, [name, method, list(args)])
        if not ok:
            raise AttributeError(answer)
        if "error" in answer:
            raise _ERRORS.get(answer["error"], RuntimeError)(answer["message"])
        return answer["result"]

    class HostObject:
        __slots__ = ()

        def __getattr__(self, attr):
            if attr not in methods:
                call(attr, ())   # the host refuses it, and audits the attempt
            def method(*args):
                return call(attr, args)
            method.__name__ = method.__qualname__ = attr
            return method

        def __setattr__(self, attr, value):
            raise AttributeError(f"host object '{name}' cannot be changed from the cell")

        def __dir__(self):
            return sorted(methods)

        def __repr__(self):
            return f"<host object {name!r}>"

    return HostObject()


def host(name):
    """The host object the supervisor granted under `name`, as a proxy whose methods take and
    return plain data (None, bool, int, float, str, bytes, list, tuple, dict)."""
    ok, answer = _padcell.ask(_ASK_OBJECT, name)
    if not ok:
        raise PermissionError(answer)
    return _proxy(name, answer)


padcell = types.ModuleType("padcell", "The cell's side of padcell: host objects the supervisor granted.")
padcell.host = host
sys.modules["padcell"] = padcell
