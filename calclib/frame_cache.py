"""A persistent cache of slider frames, keyed by everything a frame depends on.

A book build renders every frame of every slider (``calclib.sliders``); most of a
chapter's execution time goes there. When a chapter is re-executed because some *other*
cell changed, its sliders' frames are the same as last time. This module stores each frame
as a PNG file named by a SHA-256 key of

* the drawing code: the bytecode, constants and names of ``draw`` and, recursively, of
  every function of the chapter it reaches (through globals, closures and defaults);
* the data: the value of every global, closure cell and default those functions read
  (numbers, strings, arrays by their bytes, containers of these, dataclass-like objects
  of the chapter or of calclib by their fields);
* calclib's own source (every file of the package) and the versions of Python, NumPy,
  Matplotlib and Pillow, and Matplotlib's ``rcParams``;
* the frame: its parameter values, figure size, dpi and palette.

So a frame is never stale: changing any of these gives another key. When a draw function
reads something whose value cannot be fingerprinted (an open file, a generator, an object
of an unknown class), :func:`slider_fingerprint` returns ``None`` and that slider is not
cached at all (drawn every time, as without the cache).

The cache is used only when ``CALCLIB_FRAME_CACHE`` names a folder; the book's build sets
it to ``_build/.frame_cache`` (``_ext/course_book.py``). A student's kernel has no cache.
Files are written atomically (a temporary file, then ``os.replace``), so notebooks
executed in parallel can share the folder.
"""

from __future__ import annotations

import builtins
import dataclasses
import hashlib
import os
import platform
import sys
import types
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = ["FRAME_CACHE_ENV", "cache_dir", "slider_fingerprint", "frame_key", "load", "store"]

#: Environment variable naming the cache folder (unset or empty: no cache).
FRAME_CACHE_ENV = "CALCLIB_FRAME_CACHE"
#: Packages whose version stands for their code (their functions are not walked).
VERSIONED = ("numpy", "matplotlib", "PIL", "scipy", "sympy")
#: What a draw function could read from outside its arguments and globals (files, the
#: clock, unseeded randomness): a slider that uses any of these is never cached.
OUTSIDE_MODULES = {"os", "pathlib", "io", "sys", "time", "datetime", "random", "shutil",
                   "subprocess", "glob", "urllib", "socket", "tempfile", "pickle", "json"}
OUTSIDE_BUILTINS = {"open", "input", "eval", "exec", "compile", "__import__"}


class Uncacheable(Exception):
    """A value a draw function reads cannot be fingerprinted."""


def cache_dir() -> Path | None:
    folder = os.environ.get(FRAME_CACHE_ENV, "").strip()
    return Path(folder) if folder else None


@lru_cache(maxsize=1)
def _calclib_source() -> str:
    """SHA-256 of every file of the calclib package (names and contents)."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(path.relative_to(root).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def _versions() -> tuple:
    import matplotlib
    import PIL

    return (platform.python_version(), np.__version__, matplotlib.__version__,
            PIL.__version__)


def _environment() -> tuple:
    import matplotlib

    rc = tuple(sorted((k, repr(v)) for k, v in matplotlib.rcParams.items()))
    return (_versions(), _calclib_source(), rc)


class _Fingerprint:
    """Feeds a canonical description of values and code into one hash."""

    def __init__(self):
        self.h = hashlib.sha256()
        self.seen: dict[int, int] = {}   # id -> order of first visit (cycles, shared objects)
        self.keep: list = []             # keep visited objects alive: ids stay unique

    def put(self, *parts: str | bytes) -> None:
        for p in parts:
            b = p if isinstance(p, bytes) else p.encode("utf-8", "surrogatepass")
            self.h.update(len(b).to_bytes(8, "little"))
            self.h.update(b)

    def value(self, v) -> None:  # noqa: C901 - one branch per kind of value
        if v is None or isinstance(v, (bool, int, float, complex, str, bytes)):
            self.put(type(v).__name__, repr(v))
            return
        if isinstance(v, (np.generic,)):
            self.put("np", v.dtype.str, v.tobytes())
            return
        if id(v) in self.seen:
            self.put("ref", str(self.seen[id(v)]))
            return
        self.seen[id(v)] = len(self.seen)
        self.keep.append(v)
        if isinstance(v, np.ndarray):
            self.put("ndarray", v.dtype.str, repr(v.shape),
                     np.ascontiguousarray(v).tobytes() if v.dtype != object else b"")
            if v.dtype == object:
                for item in v.ravel():
                    self.value(item)
        elif isinstance(v, (list, tuple, frozenset, set)):
            items = sorted(v, key=repr) if isinstance(v, (set, frozenset)) else v
            self.put(type(v).__name__, str(len(items)))
            for item in items:
                self.value(item)
        elif isinstance(v, dict):
            self.put("dict", str(len(v)))
            for k, item in v.items():
                self.value(k)
                self.value(item)
        elif isinstance(v, (types.FunctionType, types.MethodType)):
            self.function(v)
        elif isinstance(v, types.ModuleType):
            if v.__name__.split(".")[0] in OUTSIDE_MODULES:
                raise Uncacheable(f"reads module {v.__name__}")
            self.put("module", v.__name__)          # its code: versions / calclib source
        elif isinstance(v, types.BuiltinFunctionType) or isinstance(v, np.ufunc):
            self.put("builtin", getattr(v, "__module__", "") or "", v.__name__)
        elif isinstance(v, type):
            self.cls(v)
        elif isinstance(v, range):
            self.put("range", repr(v))
        elif self.ours(type(v)) and (dataclasses.is_dataclass(v) or hasattr(v, "__dict__")):
            self.cls(type(v))
            fields = ({f.name: getattr(v, f.name) for f in dataclasses.fields(v)}
                      if dataclasses.is_dataclass(v) else vars(v))
            self.value(dict(sorted(fields.items())))
        else:
            top = (type(v).__module__ or "").split(".")[0]
            if top in VERSIONED and hasattr(v, "__reduce_ex__"):
                # e.g. a matplotlib colormap or a scipy distribution: by its pickle
                import pickle

                try:
                    self.put("pickle", type(v).__qualname__, pickle.dumps(v, protocol=4))
                    return
                except Exception as exc:  # noqa: BLE001
                    raise Uncacheable(f"{type(v).__qualname__}: {exc}") from None
            raise Uncacheable(f"cannot fingerprint a {type(v).__module__}.{type(v).__qualname__}")

    @staticmethod
    def ours(cls: type) -> bool:
        """A class of the chapter (its cells) or of calclib, whose fields are its data."""
        module = cls.__module__ or ""
        if module.split(".")[0] == "calclib" or module == "__main__":   # __main__: a kernel's cells
            return True
        return not hasattr(sys.modules.get(module), "__file__")

    def cls(self, c: type) -> None:
        module = c.__module__ or ""
        self.put("class", module, c.__qualname__)
        if module.split(".")[0] in ("calclib", "builtins", *VERSIONED):
            return
        if not self.ours(c):
            raise Uncacheable(f"class {module}.{c.__qualname__} of a package calclib does not know")
        for name, attr in sorted(vars(c).items()):
            if isinstance(attr, (types.FunctionType, staticmethod, classmethod, property)):
                self.put(name)
                self.value(getattr(attr, "__func__", None) or getattr(attr, "fget", None) or attr)

    def code(self, co: types.CodeType) -> None:
        self.put("code", co.co_name, co.co_code, repr(co.co_names), repr(co.co_varnames),
                 repr(co.co_freevars), repr(co.co_cellvars), str(co.co_argcount),
                 str(co.co_kwonlyargcount), str(co.co_flags))
        for c in co.co_consts:
            if isinstance(c, types.CodeType):
                self.code(c)
            else:
                self.value(c)

    def function(self, fn) -> None:
        if isinstance(fn, types.MethodType):
            self.put("method")
            self.value(fn.__self__)
            fn = fn.__func__
        module = fn.__module__ or ""
        top = module.split(".")[0]
        if top == "calclib" or top in VERSIONED:
            self.put("libfunction", module, fn.__qualname__)
            return
        self.put("function", fn.__qualname__)
        self.code(fn.__code__)
        self.value(fn.__defaults__)
        self.value(fn.__kwdefaults__)
        for cell in fn.__closure__ or ():
            try:
                self.value(cell.cell_contents)
            except ValueError:             # an empty cell (a name not assigned yet)
                self.put("empty cell")
        for name in sorted(_global_names(fn.__code__)):
            if name in fn.__globals__:
                self.put("global", name)
                self.value(fn.__globals__[name])
            elif hasattr(builtins, name):
                if name in OUTSIDE_BUILTINS:
                    raise Uncacheable(f"calls {name}()")
                self.put("builtin", name)

    def hexdigest(self) -> str:
        return self.h.hexdigest()


def _global_names(co: types.CodeType) -> set[str]:
    """Names a code object (and the code nested in it) may look up as globals: its
    ``co_names`` (which also hold attribute names; reading those as globals only makes
    the key more specific, never stale)."""
    names = set(co.co_names)
    for c in co.co_consts:
        if isinstance(c, types.CodeType):
            names |= _global_names(c)
    return names


def slider_fingerprint(draw, alt=None) -> str | None:
    """The part of every frame's key that does not depend on the frame's values, or
    ``None`` when ``draw`` reads something that cannot be fingerprinted."""
    fp = _Fingerprint()
    try:
        fp.value(_environment())
        fp.value(draw)
    except Uncacheable:
        return None
    except RecursionError:
        return None
    return fp.hexdigest()


def frame_key(fingerprint: str, values: dict, figsize, dpi: int, palette) -> str:
    fp = _Fingerprint()
    fp.put(fingerprint)
    fp.value(sorted(values.items()))
    fp.value((tuple(float(v) for v in figsize), int(dpi), palette))
    return fp.hexdigest()


def _path(folder: Path, key: str) -> Path:
    return folder / key[:2] / f"{key}.png"


def load(folder: Path, key: str) -> bytes | None:
    try:
        return _path(folder, key).read_bytes()
    except OSError:
        return None


def store(folder: Path, key: str, png: bytes) -> None:
    """Write atomically; a cache that cannot be written is only slower, never an error."""
    path = _path(folder, key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(png)
        os.replace(tmp, path)
    except OSError:
        pass
