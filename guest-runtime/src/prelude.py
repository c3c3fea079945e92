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
            cls = type(error) if isinstance(error, (PermissionError, FileNotFoundError)) else PermissionError
            explained_error = cls(error.errno, rule)
            explained_error.filename = error.filename
            raise explained_error from None
    explained.__name__ = func.__name__
    explained.__qualname__ = getattr(func, "__qualname__", func.__name__)
    explained.__doc__ = func.__doc__
    return explained

for _name in ("open", "stat", "lstat", "listdir", "scandir", "mkdir", "rmdir", "remove", "unlink",
              "rename", "replace", "utime", "truncate", "symlink", "link", "readlink", "chmod",
              "access", "chdir"):
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
del _name, _original, _wrapped, _support, _set, _explain
