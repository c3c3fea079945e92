"""Packs CPython's pure-Python standard library into one file of marshalled code objects, which
the guest embeds and hands CPython as its frozen modules (`PyImport_FrozenModules`). Run it with
the native Python of the same build, so the bytecode is the guest's own version.

The standard library is part of the interpreter, not of any cell: frozen into the module, it
does not depend on a cell's grants, and no `open()` or `os.listdir()` in a cell can reach it.

Format (little-endian): b"PCFROZEN", u32 count, then per module: u32 name length (with its NUL),
the name and a NUL, u8 is_package, u32 code length, the marshalled code.

usage: pack_stdlib.py LIB_DIR BUILD_LIB_DIR BUILD_ROOT OUT_FILE

BUILD_LIB_DIR holds the build's generated `_sysconfigdata_*.py` (what `sysconfig` reports); every
BUILD_ROOT in it becomes `/build`, so no path of the machine that built the guest reaches a cell.
"""
import marshal, os, struct, sys

# Not for a sandbox: test suites, GUIs, installers, and what needs processes or a terminal.
SKIP_DIRS = {"test", "tests", "idle_test", "idlelib", "tkinter", "turtledemo", "ensurepip",
             "venv", "site-packages", "lib2to3", "__pycache__", "__phello__", "pydoc_data"}
SKIP_FILES = {"turtle.py", "antigravity.py", "this.py", "pydoc.py", "__hello__.py"}


def modules(lib):
    for dirpath, dirnames, filenames in os.walk(lib):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and d.isidentifier())
        rel = os.path.relpath(dirpath, lib)
        package = [] if rel == "." else rel.split(os.sep)
        if package and "__init__.py" not in filenames:
            dirnames[:] = []
            continue
        for filename in sorted(filenames):
            if not filename.endswith(".py") or filename in SKIP_FILES:
                continue
            stem = filename[:-3]
            if filename == "__init__.py":
                yield ".".join(package), os.path.join(dirpath, filename), True
            elif stem.isidentifier():
                yield ".".join(package + [stem]), os.path.join(dirpath, filename), False


def sources(lib, build_lib, build_root):
    for name, path, is_package in modules(lib):
        with open(path, "rb") as f:
            yield name, f.read(), is_package
    for filename in sorted(os.listdir(build_lib)):
        if filename.startswith("_sysconfigdata_") and filename.endswith(".py"):
            with open(os.path.join(build_lib, filename), "rb") as f:
                source = f.read().replace(build_root.rstrip("/").encode(), b"/build")
            yield filename[:-3], source, False


def main(lib, build_lib, build_root, out):
    entries = []
    for name, source, is_package in sources(lib, build_lib, build_root):
        # The file name CPython's own frozen modules carry: tracebacks show no host path.
        code = compile(source, f"<frozen {name}>", "exec", dont_inherit=True, optimize=0)
        entries.append((name, is_package, marshal.dumps(code)))
    with open(out + ".tmp", "wb") as f:
        f.write(b"PCFROZEN" + struct.pack("<I", len(entries)))
        for name, is_package, code in entries:
            encoded = name.encode("ascii") + b"\0"
            f.write(struct.pack("<I", len(encoded)) + encoded)
            f.write(struct.pack("<BI", is_package, len(code)) + code)
    os.replace(out + ".tmp", out)
    print(f"{len(entries)} modules, {os.path.getsize(out) >> 10} KiB", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:])
