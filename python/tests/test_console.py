"""`python -m padcell`: the interactive console inside a cell, and running programs."""

import os
import subprocess
import sys

import padcell
from padcell.console import Console, interactive


def padcell_cli(*args, stdin=""):
    return subprocess.run([sys.executable, "-m", "padcell", *args], input=stdin, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONIOENCODING": "utf-8"})


def test_console_keeps_state_echoes_and_prints_tracebacks():
    session = "x = 6 * 7\nx\n1/0\ndef f():\n    return x + 1\n\nf()\nNone\n'a' * 3\nexit()\nprint('never')\n"
    run = padcell_cli(stdin=session)
    assert run.returncode == 0, run.stderr
    assert "42\n" in run.stdout and "43\n" in run.stdout and "'aaa'\n" in run.stdout
    assert "never" not in run.stdout
    assert ('Traceback (most recent call last):\n  File "<stdin>", line 1, in <module>\n'
            "ZeroDivisionError: division by zero\n") in run.stderr
    assert "padcell console" in run.stderr


def test_console_ends_at_end_of_input_and_on_sys_exit():
    assert padcell_cli(stdin="y = 1\n").returncode == 0
    assert padcell_cli(stdin="import sys\nsys.exit(5)\n").returncode == 5


def test_console_syntax_errors_come_from_the_cell():
    run = padcell_cli(stdin="1 +* 2\nprint('after')\n")
    assert "SyntaxError" in run.stderr and "after" in run.stdout


def test_console_in_process(sup):
    out = []
    lines = iter(["n = 10", "for i in range(3):", "    n += i", "", "n", "quit()"])
    console = Console(lambda: sup.cell(stdout=out.append, stderr=out.append), write_err=out.append)
    assert console.interact(read=lambda prompt: next(lines)) == 0
    assert b"".join(o for o in out if isinstance(o, bytes)) == b"13\n"


def test_each_input_is_compiled_in_the_cell_as_one_interactive_statement(sup):
    with sup.cell() as cell:
        cell.exec(interactive("x = 6 * 7; x"))
        assert cell.stdout == b"42\n" and cell.eval("_") == 42
        cell.exec(interactive("None"))
        assert cell.stdout == b""


def test_running_programs_like_padcell_run(tmp_path):
    run = padcell_cli("-c", "import sys; print(sys.argv)", "a", "b")
    assert run.stdout == "['-c', 'a', 'b']\n"
    assert padcell_cli("-c", "import sys; sys.exit(3)").returncode == 3
    run = padcell_cli("-", stdin="print('from stdin')\n")
    assert run.stdout == "from stdin\n"
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f.txt").write_text("granted")
    script = tmp_path / "s.py"
    script.write_text("import sys\nprint(open('/d/f.txt').read(), sys.argv[1:])\n1/0\n")
    run = padcell_cli("--dir", f"{tmp_path / 'd'}::/d", str(script), "x")
    assert run.stdout == "granted ['x']\n" and run.returncode == 1
    assert "ZeroDivisionError" in run.stderr
    run = padcell_cli("--timeout", "300ms", "-c", "while True: pass")
    assert run.returncode == 124 and "time limit" in run.stderr
    run = padcell_cli("--dir", f"{tmp_path / 'nope'}::/d", "-c", "pass")
    assert run.returncode == 2 and "cannot grant" in run.stderr


def test_ctrl_c_cancels_a_running_line_and_the_console_goes_on():
    import signal
    import time
    proc = subprocess.Popen([sys.executable, "-m", "padcell"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    proc.stdin.write("x = 1\nwhile True: pass\n\n")   # a blank line ends the compound statement
    proc.stdin.flush()
    time.sleep(3)      # the supervisor starts, then the loop runs
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate("print('after', x if 'x' in dir() else 'fresh')\nexit()\n", timeout=60)
    assert proc.returncode == 0, err
    assert "KeyboardInterrupt" in err and "a new cell starts" in err
    assert "after fresh" in out
