# Runs once in every new cell, before loader.py: the `padcell` module that applets import.
# `padcell.host(NAME)` is a proxy for a host object the supervisor granted (Bastion's "restrict
# access to objects"). Calls cross to the host by value; the host decides which methods exist,
# refuses and audits the rest, and never hands the cell a reference to the object itself.
import sys, types, _padcell

_ASK_OBJECT, _ASK_CALL_OBJECT = _padcell.ASK_OBJECT, _padcell.ASK_CALL_OBJECT
_ASK_NEW_CELL, _ASK_CELL_OP = _padcell.ASK_NEW_CELL, _padcell.ASK_CELL_OP
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


class CellError(Exception):
    """A child cell failed: `kind` is exception, exit, limit, trap, spent or host; for an
    exception, `type` is its class name and the message is the child's traceback."""

    def __init__(self, kind, type_name, message):
        super().__init__(message)
        self.kind, self.type = kind, type_name


class Cell:
    """A child cell with less privilege than this one, never more; the host checks the subset.

    dirs / files: {guest_path: "ro" | "rw"} inside this cell's grants; modules: names this cell
    may import; roots: this cell's module roots, as shown (e.g. "<codebase>"); objects: names of
    this cell's host objects, or {name: [methods]}; fuel, timeout (seconds), memory, output: at
    most what this cell has left. Anything more is a PermissionError naming the rule."""

    def __init__(self, *, dirs=None, files=None, modules=None, roots=None, objects=None,
                 fuel=None, timeout=None, memory=None, output=None):
        options = {"dirs": dirs, "files": files, "modules": modules, "roots": roots, "objects": objects,
                   "fuel": fuel, "timeout": timeout, "memory": memory, "output": output}
        ok, answer = _padcell.ask(_ASK_NEW_CELL, {k: v for k, v in options.items() if v is not None})
        if not ok:
            raise PermissionError(answer)
        self._handle = answer

    def _op(self, *request):
        if self._handle is None:
            raise ValueError("the cell is closed")
        ok, answer = _padcell.ask(_ASK_CELL_OP, [self._handle, *request])
        if not ok:
            raise ValueError(answer)
        if "error" in answer:
            raise CellError(answer["error"], answer["type"], answer["message"])
        return answer["result"]

    def exec(self, code):
        """Runs statements in the child's namespace."""
        self._op("exec", code)

    def eval(self, expr):
        """Evaluates an expression in the child; plain data comes back by value."""
        return self._op("eval", expr)

    def call(self, name, *args):
        """Calls the child's function `name` with plain-data arguments."""
        return self._op("call", name, list(args))

    @property
    def stdout(self):
        """What the child printed since the last read."""
        return self._op("stdout")

    @property
    def stderr(self):
        return self._op("stderr")

    def close(self):
        if self._handle is not None:
            _padcell.ask(_ASK_CELL_OP, [self._handle, "close"])
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


padcell = types.ModuleType("padcell", "The cell's side of padcell: host objects and child cells.")
padcell.host, padcell.Cell, padcell.CellError = host, Cell, CellError
sys.modules["padcell"] = padcell
