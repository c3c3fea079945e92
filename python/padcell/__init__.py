"""padcell: run untrusted Python applets in WebAssembly cells, from a Python supervisor.

The model is Python's old ``rexec``: a trusted supervisor runs untrusted code in a padded cell
and decides what ``open()`` can reach, which modules can be imported, what stdio the code gets
and which objects it can touch. The wall is the wasm boundary, not the interpreter: the applet
runs in CPython compiled to wasm32-wasip1, in its own wasmtime instance, and reaches the host
only through functions the supervisor controls.

>>> import padcell
>>> sup = padcell.Supervisor()
>>> with sup.cell(padcell.Policy(timeout=2.0)) as cell:
...     cell.exec("import json\\nx = json.loads('[1, 2]')")
...     cell.eval("sum(x)")
3

``padcell.cell(...)`` and ``padcell.wasi(...)`` use a supervisor made on first use
(:func:`default_supervisor`); ``padcell.Policy(...)`` and ``padcell.rexec.RExec()`` need none.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any, Callable, Optional, Sequence, Union

from ._native import (
    DEFAULT_ALLOWED_MODULES,
    DEFAULT_HIDDEN_BUILTINS,
    DEFAULT_OS_NAMES,
    DEFAULT_SYS_NAMES,
    GUEST_HASH,
    Bastion,
    CancelHandle,
    Cell,
    Policy,
    Supervisor,
    WasiModule,
    WasiRun,
    read_manifest,
)
from .errors import (
    AppletError,
    Error,
    ExitError,
    HostError,
    LimitError,
    PolicyError,
    SpentError,
    TrapError,
)

__all__ = [
    "Supervisor", "Cell", "CancelHandle", "Policy", "Bastion", "WasiModule", "WasiRun", "Applet",
    "Error", "AppletError", "ExitError", "LimitError", "TrapError", "SpentError", "PolicyError",
    "HostError", "cell", "wasi", "default_supervisor", "DEFAULT_ALLOWED_MODULES",
    "DEFAULT_SYS_NAMES", "DEFAULT_OS_NAMES", "DEFAULT_HIDDEN_BUILTINS", "GUEST_HASH",
]

_default: Optional[Supervisor] = None
_default_lock = threading.Lock()


def default_supervisor() -> Supervisor:
    """The supervisor the module-level helpers use, made on first use and then shared."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Supervisor()
        return _default


def cell(policy: Optional[Policy] = None, **kwargs: Any) -> Cell:
    """``default_supervisor().cell(policy, **kwargs)``: a cell without a supervisor in hand."""
    return default_supervisor().cell(policy, **kwargs)


def wasi(module: Union[str, os.PathLike, bytes], **kwargs: Any) -> WasiModule:
    """``default_supervisor().wasi(module)``: a plain WASI command to run under a policy."""
    return default_supervisor().wasi(module, **kwargs)


class Applet:
    """An applet directory with an ``applet.toml``, as ``padcell run DIR`` reads it.

    ``policy`` is the manifest's grants, environment, modules, names, objects and limits
    (``Policy(applet=DIR)``; ``policy.replace(...)`` adds to it); ``main`` is the entry file's
    host path and ``args`` its arguments. An ``audit-log`` in the manifest gets every refusal as
    a JSON line, as the CLI writes it.
    """

    def __init__(self, directory: Union[str, os.PathLike]):
        self.directory = os.fspath(directory)
        main, args, audit_log = read_manifest(self.directory)
        self.main: str = os.fspath(main)
        self.args: list = list(args)
        self.audit_log: Optional[str] = (
            os.path.join(self.directory, audit_log) if audit_log is not None else None
        )
        on_audit = _append_json_lines(self.audit_log) if self.audit_log else None
        self.policy: Policy = Policy(applet=self.directory, on_audit=on_audit)

    def cell(self, *args: str, supervisor: Optional[Supervisor] = None, **kwargs: Any) -> Cell:
        """A cell for this applet, its ``sys.argv`` the entry file, the manifest's arguments,
        then ``args``; nothing has run yet."""
        sup = supervisor or default_supervisor()
        return sup.cell(self.policy, args=[self.main, *self.args, *args], **kwargs)

    def run(self, *args: str, supervisor: Optional[Supervisor] = None, **kwargs: Any) -> Cell:
        """Runs the entry file in a new cell and returns the cell (its output, its state)."""
        c = self.cell(*args, supervisor=supervisor, **kwargs)
        try:
            c.exec_file(self.main)
        except BaseException:
            c.close()
            raise
        return c

    def __repr__(self) -> str:
        return f"Applet({self.directory!r})"


def _append_json_lines(path: str) -> Callable[[dict], None]:
    lock = threading.Lock()

    def write(event: dict) -> None:
        record = {k: v for k, v in event.items() if not (k == "chain" and not v)}
        with lock, open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")

    return write
