# Runs once in every new cell, before any applet code. It only explains refusals: the host has
# already refused the operation, and an applet that undoes this gains nothing but terser errors.
import builtins, io, os, _padcell

def _explain(func):
    def explained(*args, **kwargs):
        _padcell.take_denial()
        try:
            return func(*args, **kwargs)
        except OSError as error:
            rule = _padcell.take_denial()
            if rule is None:
                raise
            raise type(error)(error.errno, rule) from None
    explained.__name__ = func.__name__
    explained.__qualname__ = getattr(func, "__qualname__", func.__name__)
    explained.__doc__ = func.__doc__
    return explained

for _name in ("open", "stat", "lstat", "listdir", "scandir", "mkdir", "rmdir", "remove", "unlink",
              "rename", "replace", "utime", "truncate", "symlink", "link", "readlink", "chmod",
              "access", "chdir", "ftruncate"):
    _original = getattr(os, _name, None)
    if _original is None:
        continue
    _wrapped = _explain(_original)
    setattr(os, _name, _wrapped)
    for _support in ("supports_fd", "supports_dir_fd", "supports_follow_symlinks", "supports_effective_ids"):
        _set = getattr(os, _support, None)
        if isinstance(_set, set) and _original in _set:
            _set.add(_wrapped)

builtins.open = io.open = _explain(io.open)

if not hasattr(os, "chmod"):
    # WASI has no file modes, so RustPython has no chmod, and shutil.copy needs one.
    def chmod(path, mode, *, dir_fd=None, follow_symlinks=True):
        """Files in a cell have no modes: checks that `path` exists and changes nothing."""
        os.stat(path) if dir_fd is None else os.stat(path, dir_fd=dir_fd)
    os.chmod = chmod
    del chmod
del _name, _original, _wrapped, _support, _set, _explain

import linecache as _linecache, traceback as _traceback

def _format_exception(exc, filename, source):
    """The traceback as CPython prints it, with source lines only from what the host sent (the
    request and modules from roots): rendering a traceback must not make the interpreter go
    looking for files. padcell's own frames are left out, as CPython leaves out importlib's.
    At most the outermost 1,000 frames of each traceback are shown: a recursion a raised limit
    let run a million deep would otherwise take the cell many seconds to describe."""
    known = {name: text.splitlines(keepends=True) for name, text in getattr(_padcell, "module_sources", {}).items()}
    known[filename] = source.splitlines(keepends=True)
    def getline(name, lineno, module_globals=None):
        lines = known.get(name, ())
        return lines[lineno - 1] if 1 <= lineno <= len(lines) else ""
    def prune(te, seen):
        if te is None or id(te) in seen:
            return
        seen.add(id(te))
        frames = [f for f in te.stack if not f.filename.startswith("<padcell ")]
        te.stack = _traceback.StackSummary.from_list(frames)
        for chained in (te.__cause__, te.__context__, *(getattr(te, "exceptions", None) or ())):
            prune(chained, seen)
    saved = _linecache.getline, _linecache.lazycache, _linecache.checkcache
    _linecache.getline = getline
    _linecache.lazycache = lambda *args, **kwargs: False
    _linecache.checkcache = lambda *args, **kwargs: None
    try:
        te = _traceback.TracebackException.from_exception(exc, limit=1000)
        prune(te, set())
        return "".join(te.format())
    finally:
        _linecache.getline, _linecache.lazycache, _linecache.checkcache = saved

_padcell.format_exception = _format_exception
del _format_exception
