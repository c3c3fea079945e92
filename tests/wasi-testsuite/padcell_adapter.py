"""padcell adapter for the WebAssembly/wasi-testsuite runner.

Implements the runner's module adapter protocol (test-runner/wasi_test_runner/runtime_adapter.py):
get_name, get_version, get_wasi_versions, get_wasi_worlds and compute_argv. Each test runs as

    padcell run [--env K=V]... [--dir ROOT::/::rw] TEST.wasm ARGS...

so the test's root directory is the cell's read-write grant at `/`, under padcell's default
limits. Set PADCELL to the padcell command (default: `padcell` on PATH), e.g.
PADCELL="target/release/padcell --cache-dir /tmp/padcell-cache".

Importing or running this file does nothing by itself: the runner checks that
`python3 padcell_adapter.py --version` prints nothing, to tell a module adapter from a legacy one.
"""

import os
import shlex
import subprocess
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

# shlex.split() splits according to shell quoting rules.
PADCELL = shlex.split(os.getenv("PADCELL", "padcell"))

Root = Optional[Union[str, Path]]
Dirs = List[Tuple[Path, str]]


def get_name() -> str:
    return "padcell"


def get_version() -> str:
    # `padcell --version` prints `padcell <version>`; options in PADCELL after the binary are
    # for `run`, so they are left out here.
    result = subprocess.run(PADCELL[0:1] + ["--version"], encoding="UTF-8",
                            capture_output=True, check=True)
    return result.stdout.split()[1]


def get_wasi_versions() -> List[str]:
    return ["wasm32-wasip1"]


def get_wasi_worlds() -> List[str]:
    return ["wasi:cli/command"]


def compute_argv(test_path: str,
                 args_env_root: Tuple[List[str], Dict[str, str], Union[Root, Dirs]],
                 proposals: List[str],
                 wasi_world: str,
                 wasi_version: str) -> List[str]:
    del proposals  # padcell enables no proposals per test
    if wasi_version not in get_wasi_versions():
        raise ValueError(f"padcell runs only wasm32-wasip1 tests, not {wasi_version}")
    if wasi_world not in get_wasi_worlds():
        raise ValueError(f"padcell runs only {get_wasi_worlds()} tests, not {wasi_world}")
    args, env, root = args_env_root

    # padcell's options may follow `run` (--cache-dir is global), so all of PADCELL's do.
    argv = PADCELL[0:1] + ["run"] + PADCELL[1:]

    for key, value in env.items():
        argv += ["--env", f"{key}={value}"]
    # The current runner gives one root directory, mounted at `/`; earlier runners gave a list
    # of (host, guest) pairs.
    if isinstance(root, list):
        for host, guest in root:
            argv += ["--dir", f"{host}::{guest}::rw"]
    elif root:
        argv += ["--dir", f"{root}::/::rw"]
    argv += [test_path]
    argv += args
    return argv
