#!/usr/bin/env bash
# Builds and installs the padcell Python package into target/venv, then runs its pytest suite.
#   python/test.sh [pytest args...]
# Called by the README's test command after `cargo test`; runs on its own as well.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/target/venv"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import maturin, pytest' 2>/dev/null; then
    "$venv/bin/pip" install --quiet maturin pytest
fi
# A release build of the extension; the guest interpreter is inside the host library. The
# build backend (maturin) comes from the venv, so the install needs no network.
export PATH="$venv/bin:$PATH"
"$venv/bin/pip" install --quiet --no-build-isolation "$root/python"
# The Rust tests' module cache, so the interpreter is compiled once for both.
export PADCELL_CACHE_DIR="${PADCELL_CACHE_DIR:-$root/target/tmp/module-cache}"
cd "$root"
exec "$venv/bin/python" -m pytest python/tests -q "$@"
