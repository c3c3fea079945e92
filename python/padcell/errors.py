"""The exceptions a supervisor catches, one base class: :class:`Error`.

Each carries what a caller matches on, never a host path: the applet's exception (its class
name, message and traceback text), the code ``sys.exit`` was given, which limit stopped a cell,
a trap, a policy that cannot be built. The native module raises these classes.
"""

from __future__ import annotations

__all__ = [
    "Error", "AppletError", "ExitError", "LimitError", "TrapError", "SpentError",
    "PolicyError", "HostError",
]


class Error(Exception):
    """Base class of every padcell error."""


class AppletError(Error):
    """The applet raised an exception it did not catch. The cell goes on.

    ``type_name`` is the exception's class name in the cell (``"ZeroDivisionError"``),
    ``detail`` its ``str()``, and ``traceback`` the traceback as CPython prints it (also the
    exception's own ``str()``).
    """

    def __init__(self, type_name: str, detail: str, traceback: str):
        super().__init__(traceback.rstrip() or f"{type_name}: {detail}")
        self.type_name = type_name
        self.detail = detail
        self.traceback = traceback


class ExitError(Error):
    """The applet called ``sys.exit(code)``. The cell goes on (after ``os._exit`` it is spent)."""

    def __init__(self, code: int):
        super().__init__(f"the cell exited with status {code}")
        self.code = code


class LimitError(Error):
    """A limit stopped the cell, which is then spent.

    ``limit`` is one of ``"fuel"``, ``"time"``, ``"memory"``, ``"output"``, ``"stack"`` and
    ``"cancelled"``; ``detail`` is the limit as it was given (``"2s"``, ``"64.0 MiB"``).
    """

    def __init__(self, limit: str, detail: str, message: str):
        super().__init__(message)
        self.limit = limit
        self.detail = detail


class TrapError(Error):
    """The guest crashed inside the sandbox (a wasm trap). The cell is spent; the supervisor
    and its other cells go on."""


class SpentError(Error):
    """An earlier trap, limit, cancellation or ``os._exit`` ended this cell; ``reset()`` it."""


class PolicyError(Error, ValueError):
    """A policy that cannot be built, or a request the policy refuses.

    ``kind`` names the part at fault: the keyword (``"dirs"``, ``"env"``, ``"memory"``,
    ``"objects"``, ``"applet"``, ...), or ``"cell"`` when the cell could not be made under it.
    """

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


class HostError(Error):
    """The host could not do what was asked: a file it could not read, a malformed request,
    a guest that broke the protocol."""
