"""rexec, as it was meant to be: the 2.x interface, with the wall at the wasm boundary.

An :class:`RExec` owns one cell. Its class attributes shape the cell as they shaped 2.x's
restricted environment (``ok_path`` the module roots, ``ok_builtin_modules`` the modules applet
code may import, ``ok_sys_names`` / ``ok_posix_names`` what it sees of ``sys`` and ``os``,
``nok_builtin_names`` the builtins it lacks); a subclass changes them. ``policy`` adds grants,
limits and objects (none by default, as rexec granted nothing). 2.x put these walls inside the
interpreter, and introspection walked through them; here they shape what applet code reaches,
and the host, outside the wasm instance, is the wall.

Differences from 2.x, point by point, are in ``docs/python.md``.
"""

from __future__ import annotations

import codecs
import io
import math
import sys
import threading
from typing import Any, Optional

from . import _native
from ._native import Bastion, Cell, Policy, Supervisor
from .errors import AppletError, PolicyError

__all__ = ["RExec", "ModuleNamespace", "to_literal"]


class RExec:
    """A restricted execution environment: one cell under a policy.

    ``hooks`` and ``verbose`` are accepted for 2.x compatibility; the host is the module
    loader, so there are no import hooks to replace. ``policy`` is a :class:`padcell.Policy`;
    ``supervisor`` defaults to :func:`padcell.default_supervisor`.
    """

    #: Module roots (2.x: the directories imports may come from). A path object or a
    #: ``"HOST::loader"`` string is a host directory only the loader reads; ``"/GUEST/DIR"`` a
    #: guest directory inside one of the policy's grants.
    ok_path: tuple = ()
    #: The interpreter's own modules applet code may import.
    ok_builtin_modules: tuple = tuple(_native.DEFAULT_ALLOWED_MODULES)
    #: The names of ``os`` applet code sees (2.x: of ``posix``).
    ok_posix_names: tuple = tuple(_native.DEFAULT_OS_NAMES)
    #: The names of ``sys`` applet code sees.
    ok_sys_names: tuple = tuple(_native.DEFAULT_SYS_NAMES)
    #: Builtins the cell does not have.
    nok_builtin_names: tuple = tuple(_native.DEFAULT_HIDDEN_BUILTINS)

    #: The host object that serves ``sys.stdin`` to ``s_*`` calls.
    _STDIN_OBJECT = "rexec_stdin"

    def __init__(self, hooks: Any = None, verbose: int = 0, *, policy: Optional[Policy] = None,
                 supervisor: Optional[Supervisor] = None):
        self.hooks = hooks
        self.verbose = verbose
        self.policy = policy if policy is not None else Policy()
        self._supervisor = supervisor
        self._cell: Optional[Cell] = None
        self._lock = threading.RLock()
        # Bastions bound in __main__ before the cell is made: granted with the cell.
        self._bastions: dict = {}
        self._pending: list = []           # plain-data assignments waiting for the cell
        self._stdin = _StdinSource()
        self._out = _Router("stdout")
        self._err = _Router("stderr")
        self._s_files: Optional[tuple] = None   # set_files(); None: the supervisor's current ones
        self.save_files()

    # -- the cell -------------------------------------------------------------------------------

    @property
    def cell(self) -> Cell:
        """The cell, made on first use (so Bastions bound before the first call are granted)."""
        with self._lock:
            if self._cell is None:
                self._cell = self._make_cell()
            return self._cell

    def _make_cell(self) -> Cell:
        options = self.policy.options
        objects = dict(options.get("objects") or {})
        objects.update(self._bastions)
        objects[self._STDIN_OBJECT] = Bastion(self._stdin)
        roots = list(options.get("module_roots") or []) + list(self.ok_path)
        policy = self.policy.replace(
            objects=objects,
            module_roots=roots or None,
            modules=list(self.ok_builtin_modules),
            os_names=list(self.ok_posix_names),
            sys_names=list(self.ok_sys_names),
            hidden_builtins=list(self.nok_builtin_names),
            on_open=self._on_open,
        )
        self._user_on_open = options.get("on_open")
        sup = self._supervisor
        if sup is None:
            from . import default_supervisor
            sup = default_supervisor()
        cell = sup.cell(policy, args=[""], stdout=self._out, stderr=self._err)
        cell.exec(_STDIN_SETUP.format(name=self._STDIN_OBJECT))
        for name in self._bastions:
            cell.exec(f"{name} = __import__('padcell').host({name!r})")
        for source in self._pending:
            cell.exec(source)
        self._pending.clear()
        return cell

    def _on_open(self, cell_id: int, path: str, access: str, mode: str = "r") -> None:
        if self._user_on_open is not None:
            self._user_on_open(cell_id, path, access)
        self.r_open(path, mode)

    def close(self) -> None:
        """Ends the cell. A later call makes a new one."""
        with self._lock:
            if self._cell is not None:
                self._cell.close()
                self._cell = None

    def __enter__(self) -> "RExec":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- r_*: no stdin; output to the supervisor's sys.stdout and sys.stderr, as in 2.x ------------

    def r_exec(self, code: str) -> None:
        """Runs statements in the cell's ``__main__``."""
        self.cell.exec(code)

    def r_eval(self, code: str) -> Any:
        """Evaluates an expression in the cell's ``__main__``; the value comes back as plain data."""
        return self.cell.eval(code)

    def r_execfile(self, file: str) -> None:
        """Runs a host file, read by the supervisor, in the cell's ``__main__``."""
        self.cell.exec_file(file)

    def r_import(self, mname: str, globals: Any = None, locals: Any = None,
                 fromlist: Any = None) -> "ModuleNamespace":
        """Imports a module as applet code would (under the cell's module policy) and binds its
        top-level name in ``__main__``; returns the module as a :class:`ModuleNamespace`."""
        self.cell.import_module(mname)
        return ModuleNamespace(self, mname)

    def r_reload(self, module: Any) -> "ModuleNamespace":
        """Reloads a module in the cell: the host reads its file anew."""
        name = module.__name__ if isinstance(module, ModuleNamespace) else str(module)
        _check_dotted(name)
        self.cell.import_module(name)
        self.cell.exec(f"__import__('importlib').reload({name})")
        return ModuleNamespace(self, name)

    def r_unload(self, module: Any) -> None:
        """Drops a module and its submodules from the cell; the next import reads it anew."""
        name = module.__name__ if isinstance(module, ModuleNamespace) else str(module)
        self.cell.unload(name)

    def r_open(self, file: str, mode: str = "r", buf: int = -1) -> None:
        """Asked, in the supervisor, about every open the cell makes inside its grants.

        ``file`` is the guest path; ``mode`` is what the host derived from the open's flags
        (``'r'``, ``'w'``, ``'a'``, ``'x'``, with ``'+'`` where the open also reads or writes),
        never what the applet claimed. Raise to refuse: the applet gets an ``OSError`` with the
        exception's message, and the refusal is audited. Returning allows; the grants then
        decide where the path leads. This base version allows every open.
        """
        return None

    def add_module(self, mname: str) -> "ModuleNamespace":
        """The cell's module ``mname`` (``'__main__'``, or one applet code may import) as a
        namespace: plain data assigned to an attribute is bound in the cell by value, a
        :class:`padcell.Bastion` as a proxy whose calls come back to the supervisor."""
        _check_dotted(mname)
        return ModuleNamespace(self, mname)

    # -- s_*: the supervisor's stdio ---------------------------------------------------------------

    def s_apply(self, func: Any, args: tuple = (), kw: Optional[dict] = None) -> Any:
        """Calls ``func(*args, **kw)`` with the cell's stdio connected to the supervisor's
        ``sys.stdin``/``sys.stdout``/``sys.stderr`` (or those given to :meth:`set_files`)."""
        files = self._s_files or (sys.stdin, sys.stdout, sys.stderr)
        with self._lock:
            self._stdin.source = files[0]
            self._out.target, self._err.target = files[1], files[2]
            try:
                return func(*args, **(kw or {}))
            finally:
                self._stdin.source = None
                self._out.flush_target()
                self._err.flush_target()
                self._out.target = self._err.target = None

    def s_exec(self, code: str) -> None:
        """:meth:`r_exec` with the supervisor's stdio."""
        return self.s_apply(self.r_exec, (code,))

    def s_eval(self, code: str) -> Any:
        """:meth:`r_eval` with the supervisor's stdio."""
        return self.s_apply(self.r_eval, (code,))

    def s_execfile(self, file: str) -> None:
        """:meth:`r_execfile` with the supervisor's stdio."""
        return self.s_apply(self.r_execfile, (file,))

    def s_import(self, *args: Any) -> "ModuleNamespace":
        """:meth:`r_import` with the supervisor's stdio."""
        return self.s_apply(self.r_import, args)

    def s_reload(self, *args: Any) -> "ModuleNamespace":
        """:meth:`r_reload` with the supervisor's stdio."""
        return self.s_apply(self.r_reload, args)

    def s_unload(self, *args: Any) -> None:
        """:meth:`r_unload` with the supervisor's stdio."""
        return self.s_apply(self.r_unload, args)

    def set_files(self, stdin: Any = None, stdout: Any = None, stderr: Any = None) -> None:
        """Makes ``s_*`` calls use these files (each one not given: the one :meth:`save_files`
        saved)."""
        self._s_files = (stdin or self.save_stdin, stdout or self.save_stdout,
                         stderr or self.save_stderr)

    def reset_files(self) -> None:
        """Makes ``s_*`` calls use the supervisor's current ``sys`` files again."""
        self._s_files = None

    def save_files(self) -> None:
        """Remembers the supervisor's ``sys.stdin``, ``sys.stdout`` and ``sys.stderr``."""
        self.save_stdin, self.save_stdout, self.save_stderr = sys.stdin, sys.stdout, sys.stderr

    def restore_files(self) -> None:
        """Puts the files :meth:`save_files` remembered back into the supervisor's ``sys``."""
        sys.stdin, sys.stdout, sys.stderr = self.save_stdin, self.save_stdout, self.save_stderr


class ModuleNamespace:
    """A module of an :class:`RExec`'s cell, seen from the supervisor.

    Reading an attribute returns its value by value (plain data only), or the Bastion bound to
    it; assigning plain data binds a copy in the cell; assigning a Bastion binds a proxy.
    """

    __slots__ = ("_rexec", "__name__")

    def __init__(self, rexec: RExec, name: str):
        object.__setattr__(self, "_rexec", rexec)
        object.__setattr__(self, "__name__", name)

    def _target(self, attr: str) -> str:
        if not attr.isidentifier():
            raise AttributeError(attr)
        if self.__name__ == "__main__":
            return attr
        return f"__import__('importlib').import_module({self.__name__!r}).{attr}"

    def __getattr__(self, attr: str) -> Any:
        r = self._rexec
        if self.__name__ == "__main__" and attr in r._bastions:
            return r._bastions[attr]
        try:
            return r.cell.eval(self._target(attr))
        except AppletError as e:
            if e.type_name in ("NameError", "AttributeError"):
                raise AttributeError(f"module {self.__name__!r} has no attribute {attr!r}") from None
            raise

    def __setattr__(self, attr: str, value: Any) -> None:
        r = self._rexec
        target = self._target(attr)
        if isinstance(value, Bastion):
            if self.__name__ != "__main__":
                raise PolicyError("objects", "a Bastion can be bound in __main__ only")
            with r._lock:
                if r._cell is not None and attr not in r._bastions:
                    raise PolicyError(
                        "objects",
                        f"cannot bind Bastion {attr!r}: the cell is already running, and host "
                        "objects are granted when it is made; bind Bastions before the first call")
                r._bastions[attr] = value
                if r._cell is not None:
                    r._cell.exec(f"{attr} = __import__('padcell').host({attr!r})")
            return
        source = f"{target} = {to_literal(value)}"
        with r._lock:
            if r._cell is None and self.__name__ == "__main__":
                r._pending.append(source)
            else:
                r.cell.exec(source)

    def __delattr__(self, attr: str) -> None:
        self._rexec.cell.exec(f"del {self._target(attr)}")

    def __repr__(self) -> str:
        return f"<module {self.__name__!r} of a padcell RExec>"


def to_literal(value: Any, depth: int = 0) -> str:
    """Python source for a plain-data value (None, bool, int, float, str, bytes, list, tuple,
    dict), so the cell can rebuild it; anything else is a ``TypeError``."""
    if depth > 64:
        raise ValueError("a value bound in a cell may nest at most 64 deep")
    if value is None or isinstance(value, (bool, str, bytes)):
        return repr(value)
    if isinstance(value, int):
        return repr(int(value))
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return f"float({repr(value)!r})"
        return repr(float(value))
    if isinstance(value, list):
        return "[" + ", ".join(to_literal(v, depth + 1) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + "".join(to_literal(v, depth + 1) + ", " for v in value) + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(
            f"{to_literal(k, depth + 1)}: {to_literal(v, depth + 1)}" for k, v in value.items()) + "}"
    raise TypeError(
        f"a {type(value).__name__} cannot be bound in a cell: only plain data "
        "(None, bool, int, float, str, bytes, list, tuple, dict) or a padcell.Bastion")


def _check_dotted(name: str) -> None:
    if not all(part.isidentifier() for part in name.split(".")):
        raise ValueError(f"{name!r} is not a module name")


class _StdinSource:
    """What the cell's ``sys.stdin`` reads: the supervisor's stdin during ``s_*`` calls, and
    end of file otherwise (2.x's restricted code had no stdin of its own either)."""

    _MAX = 1 << 16   # per call: a host object's answer is bounded

    def __init__(self) -> None:
        self.source: Any = None

    def read(self, size: int) -> str:
        if self.source is None:
            return ""
        size = self._MAX if size < 0 else min(size, self._MAX)
        data = self.source.read(size)
        return data.decode("utf-8", "replace") if isinstance(data, bytes) else data

    def readline(self, size: int) -> str:
        if self.source is None:
            return ""
        data = self.source.readline(self._MAX if size < 0 else min(size, self._MAX))
        return data.decode("utf-8", "replace") if isinstance(data, bytes) else data


class _Router:
    """One of the cell's output streams. During ``s_*`` calls it goes to the files
    :meth:`RExec.set_files` chose (or the supervisor's at the call); otherwise to the
    supervisor's ``sys.stdout``/``sys.stderr`` as they are when the cell writes, which is where
    2.x's restricted ``print`` went. The host writes from its own thread, and has written
    everything by the time a call returns."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.target: Any = None
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def __call__(self, data: bytes) -> None:
        target = self.target if self.target is not None else getattr(sys, self.name)
        if target is None:
            return
        if _is_text(target):
            target.write(self._decoder.decode(data))
        else:
            target.write(data)
        if hasattr(target, "flush"):
            target.flush()

    def flush_target(self) -> None:
        target = self.target
        if target is not None and hasattr(target, "flush"):
            try:
                target.flush()
            except Exception:
                pass


def _is_text(target: Any) -> bool:
    return isinstance(target, io.TextIOBase) or hasattr(target, "encoding")


# Runs once in a new RExec cell: its sys.stdin reads through the supervisor's host object, so
# s_* calls read the supervisor's stdin on demand and r_* calls read end of file.
_STDIN_SETUP = '''
def _padcell_rexec_stdin():
    import sys, padcell
    source = padcell.host({name!r})

    class Stdin:
        """The supervisor's stdin during s_* calls; end of file otherwise."""
        encoding = "utf-8"
        def readable(self):
            return True
        def isatty(self):
            return False
        def read(self, size=-1):
            if size is None or size < 0:
                parts = []
                while True:
                    chunk = source.read(-1)
                    if not chunk:
                        return "".join(parts)
                    parts.append(chunk)
            return source.read(size)
        def readline(self, size=-1):
            return source.readline(-1 if size is None else size)
        def readlines(self):
            return list(self)
        def __iter__(self):
            return self
        def __next__(self):
            line = self.readline()
            if not line:
                raise StopIteration
            return line

    try:
        sys.stdin = Stdin()
    except AttributeError:
        pass   # a subclass hid sys.stdin: its applets have no stdin at all
_padcell_rexec_stdin()
del _padcell_rexec_stdin
'''
