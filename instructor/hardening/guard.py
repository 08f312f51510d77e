"""The in-kernel guard: snapshot at kernel start, restore and check around every test cell.

This file is never imported by the grader. :class:`~instructor.hardening.execute.HardenedExecute`
reads it as text (``execute.GUARD_SOURCE``) and, before the first cell of a notebook runs,
executes it in the grading kernel in a private namespace that holds only ``get_ipython``,
followed by ``install(<modules to snapshot>)``. That installs the module
``_nbgrader_guard``: ``check(phase)`` restores what was patched since the snapshot and
prints a JSON report after a marker line (``@@NBGRADER-GUARD@@``); ``bind()`` remembers the
notebook's module names after a read-only cell. It cannot defend against code that
targets the guard itself (see guide/hardening.md): the static screen flags the constructs
such code needs.

It runs inside the student's kernel: the standard library only (and the kernel's own
``get_ipython``), every name private.
"""

import builtins as _b, gc as _gc, json as _json, linecache as _linecache, signal as _signal
import sys as _sys, threading as _threading, types as _types

_MISSING = object()
_FN = _types.FunctionType
_SIGNALS = [getattr(_signal, n) for n in ("SIGINT", "SIGALRM", "SIGTERM", "SIGVTALRM",
            "SIGPROF", "SIGUSR1", "SIGUSR2", "SIGXCPU", "SIGCHLD", "SIGHUP") if hasattr(_signal, n)]
_TRAITS = ("display_pub", "displayhook", "display_formatter", "display_trap", "builtin_trap",
           "compile", "payload_manager", "data_pub", "shell", "session")


def _from_notebook(thread):
    """A thread started by notebook code (not by pyzmq/ipykernel/IPython machinery)."""
    code = getattr(getattr(thread, "_target", None), "__code__", None)
    if code is None:
        code = getattr(getattr(type(thread), "run", None), "__code__", None)
    filename = getattr(code, "co_filename", "")
    return not filename or filename.startswith("<") or "ipykernel_" in filename or type(thread).__module__ == "__main__"


def _same(a, b):
    """Identity, except that bound methods re-created per request (the kernel makes a new
    `self.raw_input` for every execute request) count as the same."""
    if a is b:
        return True
    if isinstance(a, _types.MethodType) and isinstance(b, _types.MethodType):
        return a.__func__ is b.__func__ and a.__self__ is b.__self__
    return False


class _Guard:
    def __init__(self, preimport):
        for name in preimport:
            try:
                __import__(name)
            except Exception:
                pass
        self.shell = get_ipython()  # noqa: F821 (given by the namespace it runs in)
        self.kernel = getattr(self.shell, "kernel", None)
        self.modules, self.functions = {}, {}
        for name, mod in list(_sys.modules.items()):
            if mod is None or name in ("__main__", "_nbgrader_guard"):
                continue
            snap = self._callables(mod)
            if snap:
                self.modules[name] = (mod, snap)
        self.sys_modules = dict(_sys.modules)
        self.builtins = dict(vars(_b))
        objects = [self.shell, self.kernel, _sys.stdout, _sys.stderr, _sys.displayhook,
                   getattr(self.shell, "displayhook", None), getattr(self.shell, "display_pub", None),
                   getattr(self.shell, "events", None), getattr(self.shell, "compile", None),
                   getattr(self.shell, "InteractiveTB", None), getattr(self.shell, "SyntaxTB", None)]
        self.classes = {}
        for obj in objects:
            for cls in type(obj).__mro__ if obj is not None else ():
                if cls not in self.classes and cls.__module__ != "builtins":
                    self.classes[cls] = dict(vars(cls))
        # not sys.stdout/stderr: IPython re-wraps their `write` for every cell (its tee)
        self.instances = [(o, self._shadowing(o), self._traits(o)) for o in objects
                          if o is not None and o is not _sys.stdout and o is not _sys.stderr]
        self.sysattrs = {n: getattr(_sys, n, None) for n in (
            "stdout", "stderr", "stdin", "displayhook", "excepthook", "breakpointhook",
            "unraisablehook", "__stdout__", "__stderr__")}
        self.lists = [(_sys.meta_path, list(_sys.meta_path), "sys.meta_path"),
                      (_sys.path_hooks, list(_sys.path_hooks), "sys.path_hooks"),
                      (_gc.callbacks, list(_gc.callbacks), "gc.callbacks")]
        sh = self.shell
        for attr in ("ast_transformers", "input_transformers_cleanup", "input_transformers_post"):
            value = getattr(sh, attr, None)
            if isinstance(value, list):
                self.lists.append((value, list(value), "IPython " + attr))
        self.events = {k: list(v) for k, v in getattr(getattr(sh, "events", None), "callbacks", {}).items()}
        self.handlers = {}
        for attr in ("shell_handlers", "control_handlers"):
            table = getattr(self.kernel, attr, None)
            if isinstance(table, dict):
                self.handlers[attr] = (table, dict(table))
        self.custom_exceptions = getattr(sh, "custom_exceptions", ())
        self.signals = {}
        for s in _SIGNALS:
            try:
                self.signals[s] = _signal.getsignal(s)
            except (ValueError, OSError):
                pass
        self.trace, self.profile = _sys.gettrace(), _sys.getprofile()
        self.threads = set(_threading.enumerate())
        self.bindings = {}
        self.lines = set(_linecache.cache)

    def _callables(self, mod):
        try:
            items = list(vars(mod).items())
        except TypeError:
            return None
        snap = {}
        for key, value in items:
            if isinstance(value, (type, _types.ModuleType)) or callable(value):
                snap[key] = value
                if isinstance(value, _FN) and id(value) not in self.functions:
                    self.functions[id(value)] = (value, value.__code__, value.__defaults__, value.__kwdefaults__)
        return snap

    @staticmethod
    def _shadowing(obj):
        d = getattr(obj, "__dict__", None)
        if not isinstance(d, dict):
            return {}
        cls = type(obj)
        return {k: v for k, v in d.items() if callable(getattr(cls, k, None)) or callable(v)}

    @staticmethod
    def _traits(obj):
        values = getattr(obj, "_trait_values", None)
        if not isinstance(values, dict):
            return {}
        return {k: values[k] for k in _TRAITS if k in values}

    def bind(self):
        """Remember the notebook's module names (import cells) so tests can trust them."""
        ns = self.shell.user_ns
        for k, v in list(ns.items()):
            if isinstance(v, _types.ModuleType) and not k.startswith("_"):
                self.bindings[k] = v

    def check(self, phase, purge_lines=False):
        changed = []
        note = changed.append
        # sys streams and hooks first, so that the report itself can be printed
        for name, value in self.sysattrs.items():
            if not _same(getattr(_sys, name, None), value):
                setattr(_sys, name, value)
                note("sys.%s was replaced" % name)
        for mod_name, old in self.sys_modules.items():
            if _sys.modules.get(mod_name, _MISSING) is not old:
                _sys.modules[mod_name] = old
                note("sys.modules[%r] was replaced" % mod_name)
        for key, value in self.builtins.items():
            if not _same(vars(_b).get(key, _MISSING), value):
                setattr(_b, key, value)
                note("builtins.%s was replaced" % key)
        ns = self.shell.user_ns
        if ns.get("__builtins__") is not _b:
            ns["__builtins__"] = _b
            note("the notebook's __builtins__ was replaced")
        for mod_name, (mod, snap) in self.modules.items():
            d = vars(mod)
            for key, value in snap.items():
                if not _same(d.get(key, _MISSING), value):
                    try:
                        setattr(mod, key, value)
                    except Exception:
                        d[key] = value
                    note("%s.%s was replaced" % (mod_name, key))
        for fn, code, defaults, kwdefaults in self.functions.values():
            if fn.__code__ is not code or fn.__defaults__ is not defaults or fn.__kwdefaults__ is not kwdefaults:
                fn.__code__, fn.__defaults__, fn.__kwdefaults__ = code, defaults, kwdefaults
                note("the code of %s.%s was changed" % (fn.__module__, fn.__qualname__))
        for cls, snap in self.classes.items():
            d = vars(cls)
            for key, value in snap.items():
                if d.get(key, _MISSING) is not value:
                    try:
                        setattr(cls, key, value)
                    except Exception:
                        continue
                    note("%s.%s was replaced" % (cls.__qualname__, key))
            for key in [k for k in d if k not in snap and callable(d[k])]:
                try:
                    delattr(cls, key)
                except Exception:
                    continue
                note("%s.%s was added" % (cls.__qualname__, key))
        for obj, shadow, traits in self.instances:
            d = getattr(obj, "__dict__", {})
            cls = type(obj)
            for key in list(d):
                value = d[key]
                if key in shadow:
                    if not _same(value, shadow[key]):
                        d[key] = shadow[key]
                        note("%s.%s was overridden" % (cls.__name__, key))
                elif callable(getattr(cls, key, None)) or callable(value):
                    del d[key]
                    note("%s.%s was overridden" % (cls.__name__, key))
            for key, value in shadow.items():
                if key not in d:
                    d[key] = value
            values = getattr(obj, "_trait_values", {})
            for key, value in traits.items():
                if not _same(values.get(key, _MISSING), value):
                    values[key] = value
                    note("%s.%s was replaced" % (cls.__name__, key))
        for live, saved, label in self.lists:
            if len(live) != len(saved) or any(a is not b for a, b in zip(live, saved)):
                live[:] = saved
                note("%s was changed" % label)
        callbacks = getattr(getattr(self.shell, "events", None), "callbacks", {})
        for event, saved in self.events.items():
            live = callbacks.get(event)
            if live is not None and (len(live) != len(saved) or any(a is not b for a, b in zip(live, saved))):
                live[:] = saved
                note("IPython %s callbacks were changed" % event)
        for attr, (table, saved) in self.handlers.items():
            if table != saved:
                table.clear()
                table.update(saved)
                note("kernel.%s were changed" % attr)
        if getattr(self.shell, "custom_exceptions", ()) != self.custom_exceptions:
            self.shell.custom_exceptions = self.custom_exceptions
            note("IPython custom exception handlers were set")
        for s, handler in self.signals.items():
            try:
                if _signal.getsignal(s) != handler:
                    _signal.signal(s, handler)
                    note("the handler of signal %s was changed" % _signal.Signals(s).name)
            except (ValueError, OSError, TypeError):
                pass
        for timer in ("ITIMER_REAL", "ITIMER_VIRTUAL", "ITIMER_PROF"):
            which = getattr(_signal, timer, None)
            if which is not None and _signal.getitimer(which)[0] > 0:
                _signal.setitimer(which, 0)
                note("a timer (%s) was running" % timer)
        if _sys.gettrace() is not self.trace:
            _sys.settrace(self.trace)
            note("a trace function was set (sys.settrace)")
        if _sys.getprofile() is not self.profile:
            _sys.setprofile(self.profile)
            note("a profile function was set (sys.setprofile)")
        _threading.settrace(None)
        _threading.setprofile(None)
        for name, module in self.bindings.items():
            if ns.get(name, _MISSING) is not module:
                ns[name] = module
                note("the name %r in the notebook no longer referred to the module %s" % (name, module.__name__))
        new_threads = [t.name for t in _threading.enumerate()
                       if t not in self.threads and t.is_alive() and _from_notebook(t)]
        if new_threads:
            note("threads started by the notebook were running: %s" % ", ".join(new_threads[:5]))
        if purge_lines:
            for key in [k for k in _linecache.cache if k not in self.lines]:
                _linecache.cache.pop(key, None)
            getattr(_linecache, "_ipython_cache", {}).clear()
        print("\n@@NBGRADER-GUARD@@" + _json.dumps({"phase": phase, "changed": changed[:40]}))


def install(preimport):
    guard = _Guard(preimport)
    module = _types.ModuleType("_nbgrader_guard")
    module.check, module.bind = guard.check, guard.bind
    _sys.modules["_nbgrader_guard"] = module
    print("\n@@NBGRADER-GUARD@@" + _json.dumps({"phase": "install", "changed": []}))
