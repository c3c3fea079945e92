# Runs once, after prelude.py, before any cell exists (the host may snapshot the result), and
# `apply_policy` runs once in every cell: the import system as the cell's policy shapes it
# (see host/src/modules/). Applet code asks the host before it imports a top-level name, and
# modules the interpreter does not have come from the host's module roots, read by the host.
# What applet code sees of builtins, sys and os is cut to the policy's names. None of this is the
# wall: the host is. An applet that gets past it reaches only what the host lets any cell reach.
import builtins, gc, marshal, sys, types, _padcell
import os as _os
from _frozen_importlib import ModuleSpec, _calc___package__, _resolve_name

_ASK_NAMES, _ASK_IMPORT, _ASK_FIND_MODULE = _padcell.ASK_NAMES, _padcell.ASK_IMPORT, _padcell.ASK_FIND_MODULE
# Kept here, so a policy that hides them from the cell does not break the loader.
_compile, _exec, _getattr, _setattr, _hasattr = compile, exec, getattr, setattr, hasattr
_real_import = builtins.__import__

# Sources of modules from roots, by file name, for tracebacks (see prelude.py).
_padcell.module_sources = _sources = {}


class _RootLoader:
    """Runs a module whose source the host read from a module root."""

    @staticmethod
    def create_module(spec):
        return None

    @staticmethod
    def exec_module(module):
        spec = module.__spec__
        found, spec.loader_state = spec.loader_state, None   # the source and code are not kept twice
        filename, source, code = found["filename"], found["source"], found["code"]
        _sources[filename] = source
        # The host's code comes from its own compiler cell; without it, compile here.
        code = marshal.loads(code) if code is not None else _compile(source, filename, "exec", dont_inherit=True)
        _exec(code, module.__dict__)


class _RootFinder:
    """The last finder on sys.meta_path: asks the host for modules the interpreter lacks."""

    @staticmethod
    def find_spec(fullname, path=None, target=None):
        ok, found = _padcell.ask(_ASK_FIND_MODULE, fullname)
        if not ok:
            raise ImportError(found, name=fullname)
        if found is None:
            return None
        spec = ModuleSpec(fullname, _RootLoader, origin=found["filename"], loader_state=found,
                          is_package=found["package"])
        spec.has_location = True
        if found["package"]:
            spec.submodule_search_locations = [found["filename"].rpartition("/")[0]]
        return spec

    @staticmethod
    def invalidate_caches():
        pass


# The interpreter's own modules first, so a root cannot replace one; then the host's roots.
# No path finders: the cell imports nothing from sys.path.
sys.meta_path[:] = [f for f in sys.meta_path if _getattr(f, "__name__", "") in ("BuiltinImporter", "FrozenImporter")]
sys.meta_path.append(_RootFinder)
sys.path_hooks.clear()
sys.path_importer_cache.clear()

_allowed = set()   # top-level names the host let applet code import
_views = {}        # real module -> what applet code sees of it


def _trusted(globals):
    """Whether an import comes from the interpreter's own modules, which import freely."""
    try:
        return globals["__spec__"].origin in ("frozen", "built-in")
    except Exception:
        return False


def _check(absolute):
    top = absolute.partition(".")[0]
    if top in _allowed:
        return
    ok, rule = _padcell.ask(_ASK_IMPORT, top)
    if not ok:
        raise ImportError(rule, name=top)
    _allowed.add(top)


def _absolute(name, package, level):
    return _resolve_name(name, package, level) if level else name


def __import__(name, globals=None, locals=None, fromlist=(), level=0):
    if _trusted(globals):
        return _real_import(name, globals, locals, fromlist, level)
    try:
        absolute = _absolute(name, _calc___package__(globals) if level else None, level)
    except Exception:
        # A bad relative import: the real import raises the right error.
        return _real_import(name, globals, locals, fromlist, level)
    _check(absolute)
    module = _real_import(name, globals, locals, fromlist, level)
    return _views.get(id(module), module)


import importlib
_real_import_module = importlib.import_module


def import_module(name, package=None):
    """importlib.import_module, asking the host as the import statement does."""
    if not _trusted(sys._getframe(1).f_globals):
        level = len(name) - len(name.lstrip("."))
        _check(_absolute(name[level:], package, level))
    module = _real_import_module(name, package)
    return _views.get(id(module), module)


import_module.__doc__ = _real_import_module.__doc__
builtins.__import__ = __import__
importlib.import_module = import_module


_view_of = {}   # id(view) -> (real module, the names it shows)


def _hidden(modname, name):
    return AttributeError(f"module '{modname}' has no attribute '{name}': the cell's policy hides {modname}.{name}")


class RestrictedModule(types.ModuleType):
    """What applet code sees of a module: only the allowed names, read and written through to
    the real module (so `sys.stdout = ...` still redirects print). One class for every view, made
    once before any cell, so a cell's start makes only the instances."""

    def __getattr__(self, name):
        real, allowed = _view_of[id(self)]
        if name in allowed:
            return _getattr(real, name)
        raise _hidden(real.__name__, name)

    def __setattr__(self, name, value):
        real, allowed = _view_of[id(self)]
        if name in allowed:
            _setattr(real, name, value)
        elif name.startswith("__") and name.endswith("__"):
            types.ModuleType.__setattr__(self, name, value)
        else:
            raise _hidden(real.__name__, name)

    def __dir__(self):
        real, allowed = _view_of[id(self)]
        return sorted(name for name in allowed if _hasattr(real, name))


def _view(real, allowed):
    view = types.ModuleType.__new__(RestrictedModule, real.__name__)
    _view_of[id(view)] = (real, allowed)
    types.ModuleType.__init__(view, real.__name__, real.__doc__)
    return view


def apply_policy():
    """Per cell, after the shared part above (which a snapshot may hold): what applet code sees
    of builtins, sys and os, as the cell's policy says."""
    names = _padcell.ask(_ASK_NAMES, None)[1]
    for module, allowed_names in ((sys, names["sys"]), (_os, names["os"])):
        if allowed_names is not None:
            _views[id(module)] = _view(module, frozenset(allowed_names))
    for name in names["hidden_builtins"]:
        builtins.__dict__.pop(name, None)


def r_import(name, main):
    """Cell.import: `import NAME` in `__main__`, as applet code."""
    if not all(part.isidentifier() for part in name.split(".")):
        raise ValueError(f"{name!r} is not a module name")
    main[name.partition(".")[0]] = __import__(name, main, None, (), 0)


def r_unload(name):
    """Cell.unload: forget module NAME and its submodules; the next import asks the host."""
    for key in [key for key in sys.modules if key == name or key.startswith(name + ".")]:
        del sys.modules[key]
    # A module's functions and globals refer to each other: free them now, not at the next
    # collection, so a plugin host that reloads often does not fill the cell's memory.
    gc.collect()
