"""``python -m padcell``: run a program in a cell, or an interactive console inside one.

2.x's ``rexec.test()`` was an interactive restricted console; this is padcell's. The console
keeps one cell, so state lasts between lines; expressions are echoed as ``python3`` echoes them;
tracebacks are the cell's own, as ``python3`` prints them; ``exit()``, ``quit()`` and Ctrl-D
end it; Ctrl-C stops a running line (the cell is then started over, as a cancelled cell is
spent). Line editing comes from the supervisor's ``readline``, where the terminal has it.
The flags are ``padcell run``'s.
"""

from __future__ import annotations

import argparse
import codeop
import concurrent.futures
import sys
from typing import Any, Callable, List, Optional, Sequence

from ._native import Cell, Policy, Supervisor
from .errors import AppletError, Error, ExitError, LimitError, PolicyError, SpentError, TrapError

#: ``padcell run``'s exit statuses.
EXIT_EXCEPTION, EXIT_USAGE, EXIT_TRAP = 1, 2, 134
LIMIT_EXIT = {"cancelled": 120, "fuel": 121, "memory": 122, "output": 123, "time": 124, "stack": 125}

# Each input runs as the interactive interpreter runs it: compiled in the cell in "single" mode,
# so an expression statement's value goes to sys.displayhook (printed, and bound to `_`). The
# wrapper's own frame is named "<padcell ...>", which the cell leaves out of tracebacks.
_WRAPPER_NAME = "<padcell console>"
_EXIT_WORDS = {"exit", "exit()", "quit", "quit()"}


def interactive(source: str) -> str:
    """The code that runs ``source`` in the cell as one interactive input."""
    return f"exec(compile({source!r}, '<stdin>', 'single'))"


class Console:
    """An interactive console whose every line runs in one cell.

    ``make_cell`` makes the cell (again after a cancellation or a limit); ``write_err`` prints
    tracebacks and notes.
    """

    def __init__(self, make_cell: Callable[[], Cell], write_err: Optional[Callable[[str], Any]] = None):
        self.make_cell = make_cell
        self.cell = make_cell()
        self.write_err = write_err or sys.stderr.write
        self.compile = codeop.CommandCompiler()
        self.exit_code: Optional[int] = None
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="padcell-console")

    def push_source(self, source: str) -> bool:
        """Runs ``source`` if it is complete; ``True`` when more lines are needed."""
        if source.strip() in _EXIT_WORDS:
            self.exit_code = 0
            return False
        try:
            if self.compile(source, "<stdin>", "single") is None:
                return True
        except (SyntaxError, ValueError, OverflowError):
            pass   # the cell raises the SyntaxError itself, as python3 shows it
        self.run(source)
        return False

    def run(self, source: str) -> None:
        """Runs one complete input in the cell, reporting failures as ``python3`` does."""
        future = self._pool.submit(self.cell.exec_source, _WRAPPER_NAME, interactive(source))
        try:
            while True:
                try:
                    future.result(timeout=0.2)
                    return
                except concurrent.futures.TimeoutError:
                    continue
        except KeyboardInterrupt:
            self.cell.cancel()
            concurrent.futures.wait([future])
            self.write_err("KeyboardInterrupt\n")
            self._restart("the cell was cancelled")
        except AppletError as e:
            self.write_err(e.traceback if e.traceback.endswith("\n") else e.traceback + "\n")
        except ExitError as e:
            self.exit_code = e.code
        except (LimitError, TrapError, SpentError) as e:
            self.write_err(f"padcell: {e}\n")
            self._restart("it is spent")

    def _restart(self, why: str) -> None:
        self.cell.close()
        self.cell = self.make_cell()
        self.write_err(f"padcell: {why}; a new cell starts (its state is gone)\n")

    def interact(self, banner: Optional[str] = None, read: Callable[[str], str] = input) -> int:
        """Reads lines with ``read(prompt)`` until ``exit()`` or end of input; returns the exit
        status."""
        try:
            import readline  # noqa: F401  (line editing for input(), where there is a terminal)
        except ImportError:
            pass
        if banner:
            self.write_err(banner + "\n")
        lines: List[str] = []
        while self.exit_code is None:
            try:
                line = read("... " if lines else ">>> ")
            except EOFError:
                self.write_err("\n")
                break
            except KeyboardInterrupt:
                self.write_err("\nKeyboardInterrupt\n")
                lines = []
                continue
            lines.append(line)
            if not self.push_source("\n".join(lines)):
                lines = []
        self.close()
        return self.exit_code or 0

    def close(self) -> None:
        self.cell.close()
        self._pool.shutdown(wait=False)


def _grants(specs: Sequence[str], flag: str) -> tuple:
    """``HOST[::GUEST[::ro|rw]]`` specs as read-only and read-write dicts."""
    ro, rw = {}, {}
    for spec in specs:
        parts = spec.split("::")
        if len(parts) > 3 or not parts[0]:
            raise PolicyError(flag.strip("-") + "s", f"{flag} {spec!r}: expected HOST[::GUEST[::ro|rw]]")
        host = parts[0]
        guest = parts[1] if len(parts) > 1 else host
        access = parts[2] if len(parts) > 2 else "ro"
        if access not in ("ro", "rw"):
            raise PolicyError(flag.strip("-") + "s", f"unknown access {access!r}: use ro or rw")
        (rw if access == "rw" else ro)[host] = guest
    return ro, rw


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m padcell",
        description="Run a Python program in a padcell cell, or an interactive console inside one.")
    p.add_argument("-c", dest="command", help="program passed in as a string")
    p.add_argument("--dir", action="append", default=[], metavar="HOST[::GUEST[::ro|rw]]")
    p.add_argument("--file", action="append", default=[], metavar="HOST[::GUEST[::ro|rw]]")
    p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--allow-module", action="append", default=[], metavar="NAME")
    p.add_argument("--deny-module", action="append", default=[], metavar="NAME")
    p.add_argument("--module-root", action="append", default=[], metavar="/GUEST/DIR|HOST::loader")
    p.add_argument("--timeout", help="per call, e.g. 2s (default 30s)")
    p.add_argument("--max-memory", help="e.g. 64MiB")
    p.add_argument("--max-output", help="e.g. 1MiB")
    p.add_argument("--fuel", type=int)
    p.add_argument("program", nargs="?", help="a file, or - to read the program from stdin")
    p.add_argument("args", nargs=argparse.REMAINDER)
    return p


def policy_from(ns: argparse.Namespace) -> Policy:
    dirs, rw_dirs = _grants(ns.dir, "--dir")
    files, rw_files = _grants(ns.file, "--file")
    env = {}
    for pair in ns.env:
        key, sep, value = pair.partition("=")
        if not sep:
            raise PolicyError("env", f"--env {pair!r}: expected KEY=VALUE")
        env[key] = value
    return Policy(dirs=dirs, rw_dirs=rw_dirs, files=files, rw_files=rw_files, env=env,
                  allow_modules=ns.allow_module, deny_modules=ns.deny_module,
                  module_roots=ns.module_root, timeout=ns.timeout, memory=ns.max_memory,
                  max_output=ns.max_output, fuel=ns.fuel)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """The command line: run a program (a file, ``-c``, or ``-`` for stdin) or the console."""
    ns = parser().parse_args(argv)
    try:
        policy = policy_from(ns)
        sup = Supervisor()
    except Error as e:
        print(f"padcell: {e}", file=sys.stderr)
        return EXIT_USAGE
    if ns.command is None and ns.program is None:
        banner = (f"padcell console: Python {_cell_version(sup, policy)} in a wasm cell\n"
                  'Type exit() or Ctrl-D to leave.')
        return Console(lambda: sup.cell(policy, args=[""], stdout=sys.stdout, stderr=sys.stderr)).interact(banner)
    if ns.command is not None:
        name, source, args = "<string>", ns.command, ["-c", *([ns.program] if ns.program else []), *ns.args]
        stdin: Any = sys.stdin
    elif ns.program == "-":
        name, source, args, stdin = "<stdin>", sys.stdin.read(), ["-", *ns.args], None
    else:
        try:
            with open(ns.program, encoding="utf-8") as f:
                source = f.read()
        except OSError as e:
            print(f"padcell: cannot read {ns.program}: {e.strerror}", file=sys.stderr)
            return EXIT_USAGE
        name, args, stdin = ns.program, [ns.program, *ns.args], sys.stdin
    try:
        with sup.cell(policy, args=args, stdin=stdin, stdout=sys.stdout, stderr=sys.stderr) as cell:
            cell.exec_source(name, source)
    except AppletError as e:
        sys.stderr.write(e.traceback if e.traceback.endswith("\n") else e.traceback + "\n")
        return EXIT_EXCEPTION
    except ExitError as e:
        return e.code
    except LimitError as e:
        print(f"padcell: {e}", file=sys.stderr)
        return LIMIT_EXIT.get(e.limit, EXIT_TRAP)
    except (TrapError, SpentError) as e:
        print(f"padcell: {e}", file=sys.stderr)
        return EXIT_TRAP
    except Error as e:
        print(f"padcell: {e}", file=sys.stderr)
        return EXIT_USAGE
    return 0


def _cell_version(sup: Supervisor, policy: Policy) -> str:
    try:
        with sup.cell(policy) as c:
            return str(c.eval("'%d.%d.%d' % __import__('sys').version_info[:3]"))
    except Error:
        return "3"
