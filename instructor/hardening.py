"""Hardened autograding: what nbgrader does not protect against, and how it is closed here.

nbgrader runs a student's notebook in a Jupyter kernel with the grader's privileges and
trusts what that kernel reports. This module is loaded by ``nbgrader_config.py``
(:func:`configure`) and adds, without changing how tests are written:

* :class:`SandboxKernelManager` -- every grading kernel starts through a small launcher
  that sets resource limits (address space, CPU seconds, file size, no core dumps), gives
  the kernel a scrubbed environment (no instructor secrets), and, where the Linux kernel
  has Landlock (5.13+), confines it: it may read the system and Python, write only its own
  scratch folder, bind only its five ZeroMQ ports, connect nowhere, and signal no process
  outside itself. So it cannot read ``solutions/`` (the hidden tests), touch
  ``gradebook.db`` or another student's files, or kill the grader.
* :class:`HardenedExecute` -- replaces nbgrader's ``Execute``: a cell that ignores the
  interrupt after a timeout, or that kills the kernel, is recorded as failed and the
  notebook is re-run in a fresh kernel *without that cell*, so the rest is still graded;
  output is capped in bytes while it is collected; before and after every test cell an
  in-kernel guard restores what student code may have patched (numpy functions, builtins,
  ``sys.stdout``/``stderr``, IPython's traceback display, the kernel's reply handler,
  signal handlers...) and a test during which something was patched scores 0; a result
  value smuggled into a test cell (``sys.displayhook(...)``, which nbgrader would count as
  a partial-credit score) is neutralised.
* :class:`AuditSubmission` (sanitizing step) -- puts back deleted cells (an answer as the
  empty stub, tests and read-only cells from the master copy), restores the nbgrader
  metadata, records edited read-only cells and changed cell types, and screens the
  student's code *outside* the kernel for constructs that tamper with grading.
* :class:`FlagGrades` (after the grades are saved) -- writes every finding into the
  gradebook: suspicious parts are marked *needs manual grade*, and the answer cell gets an
  automatic comment saying why; findings are also kept in the autograded notebook's
  metadata (``nbgrader_hardening``) and logged.
* :class:`FeedbackRedactor` and :class:`OfflineFeedbackExporter` -- the feedback HTML has
  a per-part score table, shows no hidden test source and no traceback that quotes it,
  and carries MathJax and its fonts inline, so the math renders offline.

What one kernel cannot do is written down in ``guide/hardening.md``: code running in
the same process as the tests can always reach them (frame introspection, audit hooks,
``ctypes``); those submissions are caught by the static screen and held for a person, and
full isolation needs a separate user or a container (commands in the guide).
"""

from __future__ import annotations

import ast
import base64
import ctypes
import json
import os
import re
import shutil
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any, Iterable

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbconvert.exporters import HTMLExporter, NotebookExporter
from nbformat.notebooknode import NotebookNode
from traitlets import Bool, Dict, Enum, Integer, List, Unicode

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import Execute, NbGraderPreprocessor

__all__ = [
    "SandboxKernelManager", "HardenedExecute", "AuditSubmission", "FlagGrades",
    "FeedbackRedactor", "OfflineFeedbackExporter", "configure", "landlock_abi",
    "TolerantNotebookExporter", "screen_source", "diagnose_submission", "collect_findings",
    "METADATA_KEY",
]

#: key of the notebook metadata where findings are kept (autograded notebook)
METADATA_KEY = "nbgrader_hardening"
HIDDEN_BEGIN = "BEGIN HIDDEN TESTS"
HIDDEN_END = "END HIDDEN TESTS"

# Severity of a finding. "review": the part's grade may be wrong (a cheat attempt, or the
# sandbox stopped something): the part is marked *needs manual grade*. "notice": the
# submission was repaired or a limit applied; the score stands, and it is reported.
REVIEW, NOTICE = "review", "notice"


# --------------------------------------------------------------------------------------
# findings kept in the notebook metadata (sanitizing -> autograding -> gradebook/feedback)
# --------------------------------------------------------------------------------------

def _findings(nb: NotebookNode) -> list[dict]:
    meta = nb.metadata.setdefault(METADATA_KEY, {})
    return meta.setdefault("findings", [])


def add_finding(nb: NotebookNode, kind: str, severity: str, message: str,
                cell: str | None = None, part: str | None = None) -> dict:
    """Record one finding; ``cell`` is the grade_id it concerns, ``part`` its answer cell."""
    finding = {"kind": kind, "severity": severity, "message": message}
    if cell:
        finding["cell"] = cell
    if part:
        finding["part"] = part
    found = _findings(nb)
    if finding not in found:
        found.append(finding)
    return finding


def findings(nb: NotebookNode) -> list[dict]:
    """The findings recorded for a notebook (empty if none)."""
    return list(nb.metadata.get(METADATA_KEY, {}).get("findings", []))


def _nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _is_answer(cell) -> bool:
    m = _nbg(cell)
    return bool(m.get("solution")) and not m.get("grade")


def _is_test(cell) -> bool:
    m = _nbg(cell)
    return cell.get("cell_type") == "code" and bool(m.get("grade")) and not m.get("solution")


def parts_of(cells: Iterable) -> dict[str, list[str]]:
    """``{answer grade_id: [test grade_ids after it]}``; a manually graded answer is its own part."""
    parts: dict[str, list[str]] = {}
    current = None
    for cell in cells:
        m = _nbg(cell)
        gid = m.get("grade_id")
        if not gid:
            continue
        if _is_answer(cell):
            current = gid
            parts[gid] = []
        elif m.get("grade") and m.get("solution"):
            parts[gid] = [gid]
        elif _is_test(cell) and current is not None:
            parts[current].append(gid)
    return parts


def part_of_cell(cells: list, index: int) -> str | None:
    """The answer cell (grade_id) that the cell at ``index`` belongs to, if any."""
    for cell in reversed(cells[:index + 1]):
        if _is_answer(cell):
            return _nbg(cell)["grade_id"]
    return None


def release_source(master_source: str) -> str:
    """A test cell's source as students see it: the hidden region removed (as nbgrader does)."""
    out, hidden = [], False
    for line in master_source.split("\n"):
        if HIDDEN_BEGIN in line:
            hidden = True
        elif HIDDEN_END in line:
            hidden = False
        elif not hidden:
            out.append(line)
    return "\n".join(out)


def hidden_lines(master_source: str, min_length: int = 16) -> set[str]:
    """The distinctive lines of a cell's hidden region (stripped), used to spot leaks."""
    lines, hidden = set(), False
    for line in master_source.split("\n"):
        if HIDDEN_BEGIN in line:
            hidden = True
        elif HIDDEN_END in line:
            hidden = False
        elif hidden:
            text = line.strip()
            if len(text) >= min_length:
                lines.add(text)
    return lines


# --------------------------------------------------------------------------------------
# Landlock probe (grader side) and the kernel launcher (runs before ipykernel, stdlib only)
# --------------------------------------------------------------------------------------

def landlock_abi() -> int:
    """The Landlock ABI version of the running Linux kernel, 0 if unavailable."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        abi = libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    except (OSError, AttributeError):
        return 0
    return max(int(abi), 0)


# The launcher is passed with `python -I -c`: it sets the limits, scrubs the environment,
# applies Landlock and execs the real kernel command, so the kernel (and everything it
# starts) runs confined from its first instruction. Syscall numbers 444-446 are the same
# on every Linux architecture.
LAUNCHER = r'''
import ctypes, json, os, resource, sys
spec = json.loads(sys.argv[1]); cmd = sys.argv[2:]
for name, value in spec["rlimits"].items():
    if value is not None:
        lim = getattr(resource, "RLIMIT_" + name)
        soft, hard = resource.getrlimit(lim)
        value = int(value) if hard == resource.RLIM_INFINITY else min(int(value), hard)
        resource.setrlimit(lim, (value, value))
env = {k: v for k, v in os.environ.items() if k in spec["env_keep"] or k.startswith("JPY_")}
env.update(spec["env_set"])
for d in spec["make_dirs"]:
    os.makedirs(d, exist_ok=True)
ll = spec.get("landlock")
def fail(what):
    msg = "nbgrader sandbox: %s failed: %s" % (what, os.strerror(ctypes.get_errno()))
    sys.stderr.write(msg + "\n"); sys.stderr.flush()
    os._exit(70)
ra = spec.get("run_as")
if ra:
    # a separate unprivileged user: it owns only the kernel's own folders, and gets its
    # own copy of the connection file (jupyter writes that one readable by us alone)
    uid, gid = ra["uid"], ra["gid"]
    with open(ra["connection_file"], "rb") as fh:
        data = fh.read()
    fd = os.open(ra["connection_copy"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, data); os.close(fd)
    cmd = [ra["connection_copy"] if a == ra["connection_file"] else a for a in cmd]
    for top in ra["chown"]:
        for d, dirs, files in os.walk(top):
            os.chown(d, uid, gid)
            for f in files:
                os.chown(os.path.join(d, f), uid, gid)
    os.setgroups([]); os.setgid(gid); os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:
        fail("dropping privileges")
if ll:
    libc = ctypes.CDLL(None, use_errno=True); libc.syscall.restype = ctypes.c_long
    abi = libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    if abi < 1:
        if ll["require"]:
            fail("Landlock (needs Linux >= 5.13 with landlock enabled)")
    else:
        fs_all = (1 << {1: 13, 2: 14, 3: 15, 4: 15}.get(abi, 16)) - 1
        ro = 1 | 4 | 8                              # EXECUTE | READ_FILE | READ_DIR
        file_only = 1 | 2 | 4 | (1 << 14) | (1 << 15)  # rights valid on a regular file
        class Attr(ctypes.Structure):
            _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]
        class Beneath(ctypes.Structure):
            _pack_ = 1
            _fields_ = [("allowed", ctypes.c_uint64), ("fd", ctypes.c_int32)]
        class Port(ctypes.Structure):
            _fields_ = [("allowed", ctypes.c_uint64), ("port", ctypes.c_uint64)]
        net = 3 if abi >= 4 else 0        # BIND_TCP | CONNECT_TCP
        scoped = 3 if abi >= 6 else 0     # ABSTRACT_UNIX_SOCKET | SIGNAL
        attr = Attr(fs_all, net, scoped)
        rfd = libc.syscall(444, ctypes.byref(attr), ctypes.c_size_t(24 if abi >= 6 else 16 if abi >= 4 else 8), ctypes.c_uint32(0))
        if rfd < 0:
            fail("landlock_create_ruleset")
        def allow(path, rights):
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                return
            if not os.path.isdir(path):
                rights &= file_only
            rule = Beneath(rights & fs_all, fd)
            if libc.syscall(445, rfd, 1, ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
                fail("landlock_add_rule(%s)" % path)
            os.close(fd)
        for p in ll["ro"] + ["/proc/%d" % os.getpid()]:  # exec keeps the pid
            allow(p, ro)
        for p in ll["rw"]:
            allow(p, fs_all)
        for p in ll["rw_files"]:
            allow(p, 2 | 4 | (1 << 14))
        for port in (ll["bind_ports"] if net else []):
            rule = Port(1, int(port))
            if libc.syscall(445, rfd, 2, ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
                fail("landlock_add_rule(port %s)" % port)
        if libc.prctl(38, 1, 0, 0, 0) != 0:   # PR_SET_NO_NEW_PRIVS
            fail("prctl(PR_SET_NO_NEW_PRIVS)")
        if libc.syscall(446, rfd, ctypes.c_uint32(0)) != 0:
            fail("landlock_restrict_self")
        os.close(rfd)
if os.geteuid() == 0:
    # still root (no run_as): give up every capability, for good, so that root's powers
    # (reading other processes, raw sockets, ...) do not outlive the sandbox rules
    libc = ctypes.CDLL(None, use_errno=True)
    cap = 0
    while libc.prctl(24, cap, 0, 0, 0) == 0:   # PR_CAPBSET_DROP, until EINVAL
        cap += 1
    libc.prctl(47, 4, 0, 0, 0)                 # PR_CAP_AMBIENT_CLEAR_ALL
    libc.prctl(28, 0x2F, 0, 0, 0)              # PR_SET_SECUREBITS: NOROOT, NO_SETUID_FIXUP, KEEP_CAPS_LOCKED (locked)
    class CapHeader(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]
    class CapData(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]
    header, data = CapHeader(0x20080522, 0), (CapData * 2)()
    if libc.capset(ctypes.byref(header), data) != 0:
        fail("capset (dropping root's capabilities)")
os.execve(cmd[0], cmd, env)
'''

_WARNED_NO_LANDLOCK = False
_GIB = 1024 ** 3
_MIB = 1024 ** 2

# read-only system locations a Python kernel needs (a missing one is skipped)
# /proc: only the kernel's own /proc/<pid> (added by the launcher) and these files; the
# rest of /proc would show other processes (the grader's environment, with its secrets)
_SYSTEM_RO = ["/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin", "/sys",
              "/proc/cpuinfo", "/proc/meminfo", "/proc/stat", "/proc/loadavg", "/proc/uptime",
              "/proc/version", "/proc/filesystems", "/proc/sys/kernel", "/proc/sys/vm",
              "/etc/ld.so.cache", "/etc/localtime", "/etc/passwd", "/etc/group",
              "/etc/nsswitch.conf", "/etc/hosts", "/etc/mime.types", "/etc/fonts",
              "/etc/ssl", "/etc/alternatives", "/etc/matplotlibrc",
              "/dev/urandom", "/dev/random"]
_SYSTEM_RW_FILES = ["/dev/null", "/dev/zero", "/dev/full"]
_ENV_KEEP = ["PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_NUMERIC", "TZ", "TERM",
             "PYTHONHASHSEED", "PYTHONIOENCODING", "PYDEVD_DISABLE_FILE_VALIDATION",
             "NBGRADER_EXECUTION", "NBGRADER_VALIDATING", "VIRTUAL_ENV", "SOURCE_DATE_EPOCH"]


def _editable_paths() -> list[str]:
    """Source folders of editable installs (setuptools' finder mappings), e.g. calclib/."""
    paths = []
    for name, mod in list(sys.modules.items()):
        if name.startswith("__editable__") and hasattr(mod, "MAPPING"):
            paths.extend(str(p) for p in getattr(mod, "MAPPING", {}).values())
    return paths


def _is_ancestor_or_same(path: str, other: str) -> bool:
    path, other = os.path.realpath(path), os.path.realpath(other)
    return other == path or other.startswith(path.rstrip(os.sep) + os.sep)


class SandboxKernelManager(AsyncKernelManager):
    """Starts the grading kernel through :data:`LAUNCHER` (limits, clean env, Landlock).

    Configure it as ``c.SandboxKernelManager.<trait>`` in ``nbgrader_config.py``.
    """

    memory_limit = Integer(4 * _GIB, allow_none=True, help=(
        "RLIMIT_AS of the kernel in bytes: an allocation beyond it raises MemoryError in "
        "the student's cell. A kernel with numpy uses about 1 GiB of address space. "
        "None: no limit.")).tag(config=True)
    cpu_seconds = Integer(1800, allow_none=True, help=(
        "RLIMIT_CPU in seconds, a backstop for processes that outlive a cell (the cell "
        "timeout is the real limit). None: no limit.")).tag(config=True)
    file_size_limit = Integer(256 * _MIB, allow_none=True, help=(
        "RLIMIT_FSIZE: the largest file the kernel may write.")).tag(config=True)
    single_thread_blas = Bool(True, help=(
        "Set OMP/OPENBLAS/MKL_NUM_THREADS=1 in the kernel: reproducible results and no "
        "oversubscription when many kernels grade in parallel.")).tag(config=True)
    filesystem_sandbox = Bool(True, help=(
        "Confine the kernel with Landlock when the Linux kernel supports it.")).tag(config=True)
    require_filesystem_sandbox = Bool(False, help=(
        "Refuse to grade when Landlock is unavailable (instead of a warning).")).tag(config=True)
    readable_paths = List(Unicode(), help=(
        "Extra paths the kernel may read (data sets, a course library outside the venv). "
        "A path that contains the course folder is refused.")).tag(config=True)
    protected_paths = List(Unicode(), help=(
        "Paths that must stay out of the kernel's reach even if an allowed path contains "
        "them; the course root (the grader's working directory) is always protected.")
    ).tag(config=True)
    env_keep = List(Unicode(), _ENV_KEEP, help=(
        "Environment variables passed to the kernel; every other one (tokens, passwords "
        "of the instructor's shell) is dropped.")).tag(config=True)
    run_as_user = Unicode("", help=(
        "Run kernels as this (unprivileged) user: without Landlock, the isolation that "
        "keeps a kernel away from the course files. The grader must run as root (e.g. "
        "sudo, or root in a container); the user needs read access to the Python "
        "environment only. Empty: the grader's own user.")).tag(config=True)
    max_message_bytes = Integer(64 * _MIB, help=(
        "Largest single message accepted from the kernel (ZeroMQ MAXMSGSIZE): a bigger "
        "one is dropped before it reaches the grader's memory. -1: no limit.")).tag(config=True)

    _private_dir = None
    sandbox_description = ""

    def client(self, **kwargs):
        kc = super().client(**kwargs)
        if self.max_message_bytes and self.max_message_bytes > 0:
            import zmq

            # default option for every socket the client creates on its context
            kc.context.setsockopt(zmq.MAXMSGSIZE, int(self.max_message_bytes))
        return kc

    def _read_roots(self) -> list[str]:
        roots = list(_SYSTEM_RO)
        for p in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}:
            roots.append(p)
        roots.extend(p for p in sys.path if p and os.path.isabs(p))
        roots.extend(_editable_paths())
        roots.extend(self.readable_paths)
        protected = [os.getcwd(), *self.protected_paths]
        kept = []
        for p in roots:
            if not os.path.exists(p):
                continue
            clash = [q for q in protected if q and _is_ancestor_or_same(p, q)]
            if clash:
                self.log.debug("sandbox: not letting the kernel read %s: it contains %s", p, clash[0])
                continue
            kept.append(p)
        return sorted(set(kept))

    def _run_as(self):
        """The password entry of ``run_as_user`` (None when unset), checked before launch."""
        if not self.run_as_user:
            return None
        import pwd

        try:
            user = pwd.getpwnam(self.run_as_user)
        except KeyError:
            raise RuntimeError(f"SandboxKernelManager.run_as_user: no user {self.run_as_user!r}") from None
        if os.geteuid() != 0:
            raise RuntimeError("SandboxKernelManager.run_as_user needs the grader to run as root "
                               "(it starts each kernel as that user)")
        return user

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments=extra_arguments)
        launch = self._launch_args or {}
        cwd = launch.get("cwd") or os.getcwd()
        user = self._run_as()
        abi = landlock_abi() if self.filesystem_sandbox else 0
        if self.filesystem_sandbox and abi < 1 and self.require_filesystem_sandbox:
            raise RuntimeError(
                "the grading sandbox needs Landlock (Linux >= 5.13 with landlock in the LSM "
                "list) and this system has none; grade in a container or as a separate "
                "user (docs: hardening), or set SandboxKernelManager.require_filesystem_sandbox = False")
        if self._private_dir is None or not os.path.isdir(self._private_dir):
            self._private_dir = tempfile.mkdtemp(prefix="nbgrader-kernel-home-")
        home = self._private_dir
        env_set = {
            "HOME": home, "TMPDIR": os.path.join(home, "tmp"),
            "IPYTHONDIR": os.path.join(home, "ipython"),
            "MPLCONFIGDIR": os.path.join(home, "matplotlib"),
            "JUPYTER_CONFIG_DIR": os.path.join(home, "jupyter"),
            "JUPYTER_DATA_DIR": os.path.join(home, "jupyter-data"),
            "XDG_CACHE_HOME": os.path.join(home, "cache"),
            "XDG_CONFIG_HOME": os.path.join(home, "config"),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        if self.single_thread_blas:
            env_set.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        spec: dict[str, Any] = {
            "rlimits": {"AS": self.memory_limit, "CPU": self.cpu_seconds,
                        "FSIZE": self.file_size_limit, "CORE": 0},
            "env_keep": list(self.env_keep), "env_set": env_set,
            "make_dirs": [env_set[k] for k in ("TMPDIR", "IPYTHONDIR", "MPLCONFIGDIR",
                                               "JUPYTER_CONFIG_DIR", "XDG_CACHE_HOME")],
            "landlock": None,
        }
        if user is not None:
            spec["run_as"] = {
                "uid": user.pw_uid, "gid": user.pw_gid,
                # the kernel owns its home and its scratch folder, never a course folder
                "chown": [home] + ([cwd] if not any(_is_ancestor_or_same(q, cwd) for q in
                                                    [os.getcwd(), *self.protected_paths]) else []),
                "connection_file": os.path.realpath(self.connection_file),
                "connection_copy": os.path.join(home, "kernel-connection.json"),
            }
        if self.filesystem_sandbox and abi >= 1:
            ports = [getattr(self, n) for n in ("shell_port", "iopub_port", "stdin_port",
                                                "control_port", "hb_port")]
            writable = [home]
            if any(_is_ancestor_or_same(cwd, q) for q in [os.getcwd(), *self.protected_paths]):
                self.log.warning("sandbox: the kernel's folder %s contains the course; it gets "
                                 "no write access there", cwd)
            else:
                writable.append(cwd)
            spec["landlock"] = {
                "require": bool(self.require_filesystem_sandbox),
                "ro": self._read_roots() + [os.path.realpath(self.connection_file)],
                "rw": writable,
                "rw_files": [p for p in _SYSTEM_RW_FILES if os.path.exists(p)],
                # its five ZeroMQ ports, and port 0 (an ephemeral port) for ipykernel's pipe
                # that forwards the output of forked processes
                "bind_ports": [int(p) for p in ports if p] + [0],
            }
            self.sandbox_description = (
                f"Landlock ABI {abi}: files{', network' if abi >= 4 else ''}"
                f"{', signals' if abi >= 6 else ''}")
        else:
            self.sandbox_description = "resource limits only (no Landlock on this system)"
            global _WARNED_NO_LANDLOCK
            if self.filesystem_sandbox and not self.run_as_user and not _WARNED_NO_LANDLOCK:
                _WARNED_NO_LANDLOCK = True
                self.log.warning(
                    "sandbox: this Linux has no Landlock, so grading kernels can read the hidden "
                    "tests and write wherever the grader can; run them as another user "
                    "(SandboxKernelManager.run_as_user) or in a container (docs: hardening)")
        return [sys.executable, "-I", "-c", LAUNCHER, json.dumps(spec), *cmd]

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart and self._private_dir:
            shutil.rmtree(self._private_dir, ignore_errors=True)
            self._private_dir = None

    cleanup_resources = _async_cleanup_resources


# --------------------------------------------------------------------------------------
# The in-kernel guard: snapshot at kernel start, restore/check around every test cell
# --------------------------------------------------------------------------------------

# Installed once per kernel, before any notebook cell runs, as module `_nbgrader_guard`.
# check(phase) restores what was patched since the snapshot and prints a JSON report
# after a marker line. It cannot defend against code that targets the guard itself
# (see the guide): the static screen flags the constructs such code needs.
GUARD_SOURCE = r'''
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
        self.shell = get_ipython()
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
'''

_GUARD_MARK = "@@NBGRADER-GUARD@@"


class _KernelLost(Exception):
    """The kernel died or ignored an interrupt while running the cell at ``index``."""

    def __init__(self, index: int, output: NotebookNode, kind: str, message: str):
        super().__init__(message)
        self.index, self.output, self.kind, self.message = index, output, kind, message


def _error_output(ename: str, evalue: str) -> NotebookNode:
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue,
                                  traceback=[f"{ename}: {evalue}"])


def _output_size(out: NotebookNode) -> int:
    if out.output_type == "stream":
        return len(out.get("text", ""))
    if out.output_type == "error":
        return len(out.get("evalue", "")) + sum(len(t) for t in out.get("traceback", []))
    total = 0
    for value in out.get("data", {}).values():
        total += len(value) if isinstance(value, str) else len(json.dumps(value))
    return total


def _partial_credit_designed(source: str) -> bool:
    """Whether a test cell ends in an expression, i.e. its author means it to print a score."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    return bool(body) and isinstance(body[-1], ast.Expr) and not (
        isinstance(body[-1].value, ast.Call) and getattr(body[-1].value.func, "id", "") == "print")


# what Python imports from a folder on sys.path (modules, extension modules, byte code,
# packages' caches, path files)
IMPORTABLE = ("*.py", "*.pyc", "*.pyo", "*.pyd", "*.pyw", "*.so", "*.pth", "__pycache__")


class HardenedExecute(Execute):
    """nbgrader's Execute, surviving hostile notebooks and grading the rest.

    * a cell that times out is interrupted (nbgrader's behaviour); if the kernel ignores
      the interrupt (``iopub_timeout`` seconds) or dies, the cell is recorded as failed
      and the notebook is re-run from the top in a fresh kernel without that cell, at
      most ``max_kernel_restarts`` times;
    * the kernel is started by :class:`SandboxKernelManager` in a scratch copy of the
      submission folder, deleted afterwards (the student's files never reach feedback);
    * output is capped at ``max_output_bytes`` per cell while it is collected;
    * the guard runs before and after each test cell (see :data:`GUARD_SOURCE`);
    * a test cell's result value counts as a partial-credit score only if the master
      test ends in an expression; otherwise it is shown but not graded.
    """

    max_kernel_restarts = Integer(5, help=(
        "How many times one notebook may be re-run after its kernel died or hung; the "
        "cells after the last failure then score 0 with a message.")).tag(config=True)
    max_output_bytes = Integer(100_000, help=(
        "Output kept per cell, in characters (streams, results, tracebacks). Beyond it the "
        "rest is dropped while it arrives; an error stays recorded, so scores are unchanged. "
        "-1: no limit.")).tag(config=True)
    guard = Bool(True, help="Run the in-kernel guard around test cells.").tag(config=True)
    guard_preimport = List(Unicode(), ["numpy", "math", "copy", "contextlib", "io", "warnings"],
                           help="Modules imported before the notebook so the guard can snapshot "
                                "them (those the tests use).").tag(config=True)
    scratch_cwd = Bool(True, help=(
        "Run the kernel in a temporary copy of the submission folder (deleted afterwards) "
        "instead of in autograded/.")).tag(config=True)
    shutdown_kernel = Enum(["graceful", "immediate"], default_value="immediate",
                           help="Kill grading kernels at once: nothing of theirs is worth waiting for."
                           ).tag(config=True)
    store_widget_state = Bool(False, help="Do not keep widget state sent by student code.").tag(config=True)
    sandbox_kernel = Bool(True, help=(
        "Start kernels with SandboxKernelManager (False: jupyter_client's manager).")).tag(config=True)

    def __init__(self, **kw):
        kw.setdefault("kernel_manager_class", SandboxKernelManager)
        super().__init__(**kw)
        if not self.sandbox_kernel:
            self.kernel_manager_class = AsyncKernelManager

    # ---- the notebook: retries without the cells that killed the kernel ----------------

    def preprocess(self, nb, resources=None, km=None):
        resources = resources if resources is not None else {}
        self._lost: dict[int, NotebookNode] = {}
        self._notes: list[tuple[str, str, str, int | None]] = []
        meta = resources.setdefault("metadata", {})
        original_path = meta.get("path")
        scratch = None
        if self.scratch_cwd:
            scratch = tempfile.mkdtemp(prefix="nbgrader-kernel-cwd-")
            if original_path and os.path.isdir(original_path):
                # The kernel's working directory is on its sys.path ahead of site-packages:
                # a numpy.py or scipy.py handed in beside the notebook would replace the
                # module the tests check with. Importable files stay out of the copy.
                code = shutil.ignore_patterns(*IMPORTABLE)
                held: list[str] = []

                def ignore(folder, names):
                    out = set(code(folder, names))
                    held.extend(os.path.relpath(os.path.join(folder, n), original_path)
                                for n in sorted(out))
                    return out | set(shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints")(
                        folder, names))

                shutil.copytree(original_path, scratch, dirs_exist_ok=True, ignore=ignore)
                if held:
                    self._note("code-files", NOTICE,
                               "files handed in with the notebook that Python could import "
                               f"({', '.join(held[:5])}{', ...' if len(held) > 5 else ''}) "
                               "were not available while it was graded", None)
            meta["path"] = scratch
        restarts = 0
        try:
            while True:
                self._guard_ready = False
                try:
                    nb, resources = super().preprocess(nb, resources, km)
                    break
                except _KernelLost as lost:
                    restarts += 1
                    self._lost[lost.index] = lost.output
                    cell = nb.cells[lost.index]
                    self._note(lost.kind, REVIEW if lost.kind == "kernel-died" else NOTICE,
                               lost.message, lost.index)
                    self.log.warning("Cell %s (%s): %s; re-running the notebook without it (%d/%d)",
                                     lost.index, _nbg(cell).get("grade_id", "no id"), lost.message,
                                     restarts, self.max_kernel_restarts)
                    if restarts > self.max_kernel_restarts:
                        cell.outputs = [lost.output]
                        self._give_up(nb, lost.index)
                        break
        finally:
            if scratch:
                meta["path"] = original_path
                shutil.rmtree(scratch, ignore_errors=True)
        sandbox = getattr(self, "_sandbox_description", "")
        meta_out = nb.metadata.setdefault(METADATA_KEY, {})
        meta_out["kernel_restarts"] = restarts
        if sandbox:
            meta_out["sandbox"] = sandbox
        for kind, severity, message, index in self._notes:
            cell = nb.cells[index] if index is not None else None
            gid = _nbg(cell).get("grade_id") if cell is not None else None
            part = part_of_cell(nb.cells, index) if index is not None else None
            add_finding(nb, kind, severity, message, cell=gid, part=part)
        return nb, resources

    def _give_up(self, nb, after: int) -> None:
        message = (f"not run: the kernel died or hung {self.max_kernel_restarts + 1} times, "
                   "so grading stopped here")
        for i, cell in enumerate(nb.cells):
            if i > after and cell.cell_type == "code" and i not in self._lost:
                cell.outputs = [_error_output("NotRun", message)]
                cell.execution_count = None
        self._note("gave-up", REVIEW, message, after)

    def _note(self, kind, severity, message, index):
        if (kind, severity, message, index) not in self._notes:
            self._notes.append((kind, severity, message, index))

    # ---- one cell -------------------------------------------------------------------------

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if index in self._lost:
            cell.outputs = [self._lost[index]]
            cell.execution_count = None
            return cell, resources
        self._check_assign_resources(resources)
        graded = _is_test(cell)
        try:
            if self.guard and not self._guard_ready:
                self._install_guard(index)
            before = self._guard("before", index) if (self.guard and graded) else []
            self._cell_bytes, self._cell_marked = 0, set()
            self.execute_cell(cell, index, store_history=not graded)
            if graded:
                hidden = HIDDEN_BEGIN in cell.source
                after = self._guard("after", index, purge_lines=hidden) if self.guard else []
                self._neutralise_results(cell, index)
                if before:
                    self._note("tampering", REVIEW,
                               "before this test the notebook had changed the test environment "
                               "(restored for the test): " + "; ".join(before[:6]), index)
                if after:
                    message = ("the test environment was modified while this test ran, so its "
                               "result cannot be trusted and it scores 0: " + "; ".join(after[:6]))
                    cell.outputs.append(_error_output("GradingEnvironmentModified", message))
                    self._note("tampering", REVIEW, message, index)
            elif self.guard and _nbg(cell).get("locked"):
                self._guard("bind", index)
        except (CellTimeoutError, DeadKernelError) as exc:
            raise self._lost_error(exc, cell, index) from None
        return cell, resources

    async def _async_handle_timeout(self, timeout, cell=None):
        self._interrupted = True
        return await super()._async_handle_timeout(timeout, cell)

    def execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        self._interrupted = False
        return super().execute_cell(cell, cell_index, execution_count=execution_count,
                                    store_history=store_history)

    def _lost_error(self, exc, cell, index) -> _KernelLost:
        if isinstance(exc, DeadKernelError):
            status = self._exit_status()
            message = (f"the kernel died while this cell ran{status}; the notebook was re-run "
                       "in a fresh kernel without this cell")
            return _KernelLost(index, _error_output("KernelDied", message), "kernel-died", message)
        if not self._interrupted:
            # the kernel replied but the output channel never delivered the end of the cell:
            # a message over SandboxKernelManager.max_message_bytes was dropped by ZeroMQ,
            # which also breaks the channel, so the kernel is replaced like a hung one
            message = ("this cell sent a single output larger than the grader accepts; the "
                       "notebook was re-run in a fresh kernel without this cell (print less)")
            return _KernelLost(index, _error_output("OutputTooLarge", message), "output-too-large",
                               message)
        message = (f"this cell did not finish within {self.timeout} s and ignored the interrupt; "
                   "the kernel was stopped and the notebook re-run without this cell")
        return _KernelLost(index, _error_output("CellTimeoutError", message), "kernel-hung", message)

    def _exit_status(self) -> str:
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        code = None
        for _ in range(20):
            code = proc.poll() if proc is not None else None
            if code is not None:
                break
            time.sleep(0.05)
        if code is None:
            return ""
        if code < 0:
            import signal as _signal

            try:
                name = _signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            hint = {"SIGXCPU": " (CPU time limit)", "SIGKILL": ""}.get(name, "")
            return f" (killed by {name}{hint})"
        return f" (exit status {code})"

    def _neutralise_results(self, cell, index) -> None:
        """nbgrader scores a test cell by its first ``execute_result`` if there is one, even
        when an error follows: student code calling ``sys.displayhook(x)`` during the test
        would earn full marks. A result counts only where the master test is designed for
        partial credit, and only if the cell raised no error."""
        results = [o for o in cell.outputs if o.output_type == "execute_result"]
        if not results:
            return
        has_error = any(o.output_type == "error" for o in cell.outputs)
        legit = _partial_credit_designed(cell.source) and not has_error and len(results) == 1
        if legit:
            return
        for out in results:
            out.output_type = "display_data"
            out.pop("execution_count", None)
        self._note("result-smuggled", REVIEW,
                   "the test cell produced a result value that nbgrader would have counted as "
                   "its score (e.g. student code calling sys.displayhook); it was not counted",
                   index)

    # ---- kernel-side helpers ----------------------------------------------------------

    def _run_internal(self, code: str, index: int) -> list[NotebookNode]:
        tmp = nbformat.v4.new_code_cell(code)
        self._cell_bytes, self._cell_marked = 0, set()
        real = self.nb.cells[index]
        try:  # nbclient stores the executed cell back into nb.cells[index]
            self.execute_cell(tmp, index, store_history=False)
        finally:
            self.nb.cells[index] = real
        return tmp.outputs

    def _install_guard(self, index: int) -> None:
        self._guard_ready = True
        self._sandbox_description = getattr(self.km, "sandbox_description", "")
        code = (GUARD_SOURCE + "\ninstall(%r)\n" % (list(self.guard_preimport),)
                + "del _Guard, install\n")
        # run in a private namespace so nothing of the guard lands in the notebook
        wrapped = ("exec(compile(%r, '<nbgrader-guard>', 'exec'), {'get_ipython': get_ipython, "
                   "'__name__': '_nbgrader_guard_setup'})" % code)
        outs = self._run_internal(wrapped, index)
        if self._report(outs) is None:
            self.log.warning("the grading guard could not be installed: %s", self._text(outs)[-500:])

    def _guard(self, phase: str, index: int, purge_lines: bool = False) -> list[str]:
        if phase == "bind":
            code = "__import__('sys').modules['_nbgrader_guard'].bind()"
            self._run_internal(code, index)
            return []
        code = ("__import__('sys').modules['_nbgrader_guard'].check(%r, %r)"
                % (phase, bool(purge_lines)))
        outs = self._run_internal(code, index)
        report = self._report(outs)
        if report is None:
            return ["the grading guard did not run (" + (self._text(outs).strip()[-200:] or "no output") + ")"]
        return list(report.get("changed", []))

    @staticmethod
    def _text(outs) -> str:
        parts = []
        for o in outs:
            if o.output_type == "stream":
                parts.append(o.text)
            elif o.output_type == "error":
                parts.append(f"{o.ename}: {o.evalue}")
        return "".join(parts)

    def _report(self, outs) -> dict | None:
        text = self._text(outs)
        if _GUARD_MARK not in text:
            return None
        try:
            return json.loads(text.rsplit(_GUARD_MARK, 1)[1].strip().splitlines()[0])
        except (ValueError, IndexError):
            return None

    # ---- output collection, capped in bytes -------------------------------------------

    def output(self, outs, msg, display_id, cell_index):
        out = super().output(outs, msg, display_id, cell_index)
        limit = self.max_output_bytes
        if out is None or limit is None or limit < 0:
            return out
        used = getattr(self, "_cell_bytes", 0)
        size = _output_size(out)
        self._cell_bytes = used + size
        if used + size <= limit:
            return out
        room = max(limit - used, 0)
        marked = getattr(self, "_cell_marked", set())
        note = f"\n... output truncated: more than {limit} characters ...\n"
        keep = True
        if out.output_type == "stream":
            if room > 0:
                out.text = out.text[:room] + note
                marked.add(out.name)
            elif out.name not in marked:
                out.text = note
                marked.add(out.name)
            else:
                keep = False
        elif out.output_type == "error":
            out.evalue = out.evalue[:2000]
            out.traceback = [t[:2000] for t in out.traceback[-30:]]
        else:
            out.data = {"text/plain": f"[output of {size} characters removed: the limit is {limit} per cell]"}
            out.metadata = {}
        self._cell_marked = marked
        if not keep and outs and outs[-1] is out:
            outs.pop()
            return None
        return out


# --------------------------------------------------------------------------------------
# Static screen of the student's code, in the grader (student code cannot forge this)
# --------------------------------------------------------------------------------------

_DEFAULT_ALLOWED_IMPORTS = ["math", "cmath", "numpy", "fractions", "functools", "itertools",
                            "collections", "typing", "dataclasses", "numbers", "statistics",
                            "operator", "decimal", "random", "string", "re", "copy",
                            "warnings", "scipy", "matplotlib", "sympy"]
_FORBIDDEN_NAMES = {
    "exec", "eval", "compile", "__import__", "globals", "locals", "vars", "getattr",
    "setattr", "delattr", "open", "breakpoint", "input", "get_ipython", "__builtins__",
    "__builtin__", "exit", "quit", "memoryview", "__loader__", "__spec__",
}
_FORBIDDEN_ATTRS = {
    "__class__", "__dict__", "__globals__", "__code__", "__closure__", "__subclasses__",
    "__mro__", "__bases__", "__base__", "__func__", "__self__", "__builtins__",
    "__getattribute__", "__setattr__", "__delattr__", "__import__", "__loader__",
    "f_locals", "f_globals", "f_back", "f_code", "f_builtins", "f_lineno", "gi_frame",
    "cr_frame", "ag_frame", "tb_frame", "tb_next", "co_code", "co_consts", "_getframe",
    "settrace", "setprofile", "addaudithook", "displayhook", "excepthook", "modules",
    "showtraceback", "_showtraceback", "kernel", "user_ns", "do_execute",
}


def screen_source(source: str, allowed_imports: Iterable[str] = _DEFAULT_ALLOWED_IMPORTS,
                  protected_names: Iterable[str] = (), allowed_names: Iterable[str] = ()) -> list[str]:
    """What in a student's code cell could tamper with grading: one message per finding.

    Flags imports outside ``allowed_imports``, shell escapes and magics, the built-ins
    that reach other code (``exec``, ``getattr``, ``open``, ``get_ipython``...), access to
    interpreter internals (``__class__``, ``f_locals``, ``sys.modules``...), assignments to
    an attribute of an imported module (``np.allclose = ...``), and rebinding a name that
    a read-only cell imported (``protected_names``, e.g. ``np``). A finding is a reason for
    a person to look, not a verdict.
    """
    allowed = set(allowed_imports)
    protected = set(protected_names)
    forbidden_names = _FORBIDDEN_NAMES - set(allowed_names)
    forbidden_attrs = _FORBIDDEN_ATTRS - set(allowed_names)
    found: list[str] = []
    lines = []
    for number, line in enumerate(source.split("\n"), 1):
        stripped = line.lstrip()
        if stripped.startswith(("!", "%")):
            found.append(f"line {number}: shell command or magic `{stripped[:40]}`")
            lines.append("")
        else:
            lines.append(line)
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return found  # it will fail to run; nothing to screen
    modules: set[str] = set(protected)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                modules.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                modules.add(alias.asname or alias.name)

    def root_name(expr):
        while isinstance(expr, (ast.Attribute, ast.Subscript)):
            expr = expr.value
        return expr.id if isinstance(expr, ast.Name) else None

    for node in ast.walk(tree):
        line = getattr(node, "lineno", "?")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or "." * node.level])
            for name in names:
                if name.split(".")[0] not in allowed:
                    found.append(f"line {line}: imports `{name}`, which this assignment does not use")
        elif isinstance(node, ast.Name) and node.id in forbidden_names:
            found.append(f"line {line}: uses `{node.id}`")
        elif isinstance(node, ast.Attribute) and node.attr in forbidden_attrs:
            found.append(f"line {line}: uses `.{node.attr}`")
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = (node.targets if isinstance(node, (ast.Assign, ast.Delete))
                       else [node.target])
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, (ast.Attribute, ast.Subscript)) and root_name(sub) in modules:
                        found.append(f"line {line}: changes `{ast.unparse(sub)}`, part of an "
                                     "imported module")
                        break
                    if isinstance(sub, ast.Name) and sub.id in protected and isinstance(sub.ctx, (ast.Store, ast.Del)):
                        found.append(f"line {line}: rebinds `{sub.id}`, which the assignment imports")
                        break
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            pass
    # keep the order, drop repeats
    seen, unique = set(), []
    for item in found:
        if item not in seen:
            seen.add(item)
            unique.append(item)
    return unique


# --------------------------------------------------------------------------------------
# Sanitizing step: restore deleted cells and metadata, record edits, screen the code
# --------------------------------------------------------------------------------------

class AuditSubmission(NbGraderPreprocessor):
    """Runs before nbgrader's OverwriteCells, with the gradebook's master copy at hand.

    * a cell of the master copy missing from the submission (deleted, or its nbgrader
      metadata removed) is put back where it belongs: a test or read-only cell as in the
      master copy, an answer cell as the empty stub of the release (so it scores 0 and the
      failing test says ``NotImplementedError``);
    * each known cell's nbgrader metadata (grade/solution/locked/points/task) is reset to
      the master copy's (nbgrader itself only resets points and locked);
    * edited read-only cells and changed cell types are recorded (OverwriteCells restores
      them right after);
    * the student's code cells are screened by :func:`screen_source`.
    """

    allowed_imports = List(Unicode(), _DEFAULT_ALLOWED_IMPORTS, help=(
        "Modules a student may import; any other import is flagged for review.")).tag(config=True)
    allowed_imports_per_assignment = Dict(help=(
        "{assignment: [modules]} replacing allowed_imports for one assignment.")).tag(config=True)
    screen = Bool(True, help="Screen the student's code for tampering.").tag(config=True)
    allowed_names = List(Unicode(), help=(
        "Names and attributes the screen should not flag in this course, e.g. ['open'] "
        "for assignments that read a data file.")).tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        if not resources.get("hardening_unreadable"):
            nb.metadata.pop(METADATA_KEY, None)  # a student cannot pre-fill findings
        with Gradebook(info["db_url"]) as gb:
            source_nb = gb.find_notebook(info["notebook"], info["assignment"])
            master = [dict(name=c.name, cell_type=c.cell_type, locked=c.locked, source=c.source,
                           checksum=c.checksum) for c in source_nb.source_cells]
            grade = {c.name: float(c.max_score) for c in source_nb.grade_cells}
            solution = {c.name for c in source_nb.solution_cells}
            task = {c.name: float(c.max_score) for c in source_nb.task_cells}
        self._student = info["student"]
        self._restore_missing(nb, master, grade, solution, task)
        self._check_cells(nb, master, grade, solution, task)
        if self.screen:
            allowed = self.allowed_imports_per_assignment.get(info["assignment"], self.allowed_imports)
            self._screen(nb, master, allowed)
        return nb, resources

    @staticmethod
    def _expected_meta(m, grade, solution, task) -> dict:
        name = m["name"]
        meta = {"grade": name in grade, "grade_id": name, "locked": bool(m["locked"]),
                "schema_version": 3, "solution": name in solution, "task": name in task}
        if name in grade:
            meta["points"] = grade[name]
        if name in task:
            meta["points"] = task[name]
        return meta

    def _restore_missing(self, nb, master, grade, solution, task):
        present = {}
        for i, cell in enumerate(nb.cells):
            gid = _nbg(cell).get("grade_id")
            if gid and gid not in present:
                present[gid] = cell
        cursor = 0
        for m in master:
            name = m["name"]
            if name in present:
                cursor = max(cursor, next(i for i, c in enumerate(nb.cells) if c is present[name]) + 1)
                continue
            meta = self._expected_meta(m, grade, solution, task)
            if name in solution and name not in grade:
                source, what = m["source"], "answer"
                msg = (f"The answer cell `{name}` was missing from the submission: it was put "
                       "back as the empty stub, so its tests score 0.")
                severity = REVIEW
            elif name in grade and name in solution:
                source, what = m["source"], "answer"
                msg = f"The answer cell `{name}` was missing from the submission: put back empty (no response)."
                severity = NOTICE
            else:
                source = m["source"]
                what = "test" if name in grade else "read-only"
                msg = f"The {what} cell `{name}` was missing from the submission: restored from the assignment."
                severity = NOTICE
            if m["cell_type"] == "code":
                cell = nbformat.v4.new_code_cell(source)
            elif m["cell_type"] == "markdown":
                cell = nbformat.v4.new_markdown_cell(source)
            else:
                cell = nbformat.v4.new_raw_cell(source)
            cell.metadata["nbgrader"] = meta
            cell.metadata["nbgrader_restored"] = True
            nb.cells.insert(cursor, cell)
            present[name] = cell
            cursor += 1
            self.log.warning("%s: %s", getattr(self, "_student", "submission"), msg)
            part = name if what == "answer" else None
            add_finding(nb, "missing-cell", severity, msg, cell=name, part=part)

    def _check_cells(self, nb, master, grade, solution, task):
        by_name = {m["name"]: m for m in master}
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader")
            if not meta or meta.get("grade_id") not in by_name:
                continue
            m = by_name[meta["grade_id"]]
            name = m["name"]
            expected = self._expected_meta(m, grade, solution, task)
            changed = [k for k in ("grade", "solution", "locked", "task", "points")
                       if k in expected and meta.get(k) != expected[k]
                       and not (k == "points" and float(meta.get(k) or -1) == expected[k])]
            if changed:
                meta.update(expected)
                add_finding(nb, "metadata-changed", NOTICE,
                            f"The nbgrader settings ({', '.join(changed)}) of cell `{name}` had been "
                            "changed; they were reset to the assignment's.", cell=name)
            if cell.cell_type != m["cell_type"]:
                add_finding(nb, "cell-type-changed", NOTICE,
                            f"Cell `{name}` had been changed from {m['cell_type']} to "
                            f"{cell.cell_type}; it was changed back.", cell=name)
            if m["locked"] and not cell.metadata.get("nbgrader_restored"):
                released = release_source(m["source"]) if name in grade else m["source"]
                if cell.source.strip() != released.strip() and cell.source.strip() != m["source"].strip():
                    add_finding(nb, "locked-cell-edited", NOTICE,
                                f"The read-only cell `{name}` had been edited; it was restored "
                                "from the assignment before grading.", cell=name)
            cell.metadata.pop("nbgrader_restored", None)

    def _screen(self, nb, master, allowed):
        locked_code = [m["source"] for m in master if m["locked"] and m["cell_type"] == "code"]
        protected: set[str] = set()
        for src in locked_code:
            try:
                tree = ast.parse(src)
            except SyntaxError:
                continue
            for node in tree.body:
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    for alias in node.names:
                        protected.add((alias.asname or alias.name).split(".")[0])
        locked_names = {m["name"] for m in master if m["locked"]}
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or _nbg(cell).get("grade_id") in locked_names:
                continue
            problems = screen_source(cell.source, allowed, protected, self.allowed_names)
            if not problems:
                continue
            gid = _nbg(cell).get("grade_id")
            part = part_of_cell(nb.cells, index)
            where = f"cell `{gid}`" if gid else f"a cell added by the student (cell {index + 1})"
            message = (f"In {where}, code that can interfere with grading: "
                       + "; ".join(problems[:6]) + ("; ..." if len(problems) > 6 else ""))
            add_finding(nb, "screen", REVIEW, message, cell=gid, part=part)


# --------------------------------------------------------------------------------------
# After the grades are saved: findings -> gradebook (needs manual grade, comments) + log
# --------------------------------------------------------------------------------------

class FlagGrades(NbGraderPreprocessor):
    """Write the findings into the gradebook and the log.

    A part with a ``review`` finding gets *needs manual grade* on its test cells (a finding
    with no part: every autograded cell of the notebook); every finding of a part is
    written as the automatic comment of its answer cell, which the formgrader and the
    feedback show. An output that contains a line of a hidden test (a leak attempt) is a
    ``review`` finding too.
    """

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        student, assignment, notebook = info["student"], info["assignment"], info["notebook"]
        with Gradebook(info["db_url"]) as gb:
            source_nb = gb.find_notebook(notebook, assignment)
            hidden = set()
            for c in source_nb.source_cells:
                if HIDDEN_BEGIN in (c.source or ""):
                    hidden |= hidden_lines(c.source)
            self._scan_leaks(nb, hidden - _own_lines(nb))
            found = findings(nb)
            parts = parts_of(nb.cells)
            tests = [_nbg(c)["grade_id"] for c in nb.cells if _is_test(c)]
            review_cells: set[str] = set()
            comments: dict[str, list[str]] = {}
            first_answer = next((p for p in parts), None)
            for f in found:
                part = f.get("part")
                if f["severity"] == REVIEW:
                    review_cells |= set(parts.get(part, [])) if part in parts else set(tests)
                target = part if part in parts else first_answer
                if target:
                    prefix = "" if part in parts else "(whole notebook) "
                    comments.setdefault(target, []).append(prefix + f["message"])
                log = self.log.warning if f["severity"] == REVIEW else self.log.info
                log("hardening: %s/%s: [%s] %s", assignment, student, f["kind"], f["message"])
            for gid in review_cells:
                try:
                    grade = gb.find_grade(gid, notebook, assignment, student)
                except MissingEntry:
                    continue
                grade.needs_manual_grade = True
            for answer, messages in comments.items():
                try:
                    comment = gb.find_comment(answer, notebook, assignment, student)
                except MissingEntry:
                    continue
                text = "Autograder: " + " ".join(messages)
                comment.auto_comment = text if not comment.auto_comment else comment.auto_comment + "\n\n" + text
            gb.db.commit()
        meta = nb.metadata.setdefault(METADATA_KEY, {})
        meta["needs_review"] = sorted(review_cells)
        return nb, resources

    @staticmethod
    def _scan_leaks(nb, hidden: set[str]) -> None:
        if not hidden:
            return
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or _is_test(cell):
                continue
            text = "\n".join(_output_texts(cell))
            if any(line in text for line in hidden):
                add_finding(nb, "hidden-test-leak", REVIEW,
                            "an output of this notebook contains source code of a hidden test",
                            cell=_nbg(cell).get("grade_id"), part=part_of_cell(nb.cells, index))


def _own_lines(nb) -> set[str]:
    """Stripped lines of the student's own cells: quoting them is not a leak."""
    lines = set()
    for cell in nb.cells:
        if not _nbg(cell).get("grade"):
            lines |= {line.strip() for line in cell.get("source", "").split("\n")}
    return lines


def _output_texts(cell) -> list[str]:
    texts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            texts.append(out.text)
        elif out.output_type == "error":
            texts.append(out.evalue)
            texts.extend(out.traceback)
        else:
            for value in out.get("data", {}).values():
                texts.append(value if isinstance(value, str) else json.dumps(value))
    return texts


# --------------------------------------------------------------------------------------
# Feedback: per-part scores, hidden tests hidden, math offline
# --------------------------------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class FeedbackRedactor(NbGraderPreprocessor):
    """Prepares the autograded notebook for the student (runs after GetGrades).

    * a hidden test cell shows only the lines before ``### BEGIN HIDDEN TESTS`` (its
      description) and one short line: passed, or the failure message of its assertion
      (never its source or a traceback, which would quote it);
    * any output elsewhere that contains a line of a hidden test is removed;
    * a table at the top gives the score of each part, and lists the autograder's notes.
    """

    show_failure_message = Bool(True, help=(
        "Show the message of a failing hidden test's assertion (written by the instructor "
        "to say what is wrong; it contains no test source).")).tag(config=True)
    max_message_chars = Integer(600).tag(config=True)
    display_data_priority = List(config=True)  # set for every nbgrader preprocessor by the app

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            source_nb = gb.find_notebook(info["notebook"], info["assignment"])
            master = {c.name: c.source or "" for c in source_nb.source_cells}
            review = set()
            for c in nb.cells:
                gid = _nbg(c).get("grade_id")
                if gid and _nbg(c).get("grade"):
                    try:
                        if gb.find_grade(gid, info["notebook"], info["assignment"],
                                         info["student"]).needs_manual_grade:
                            review.add(gid)
                    except MissingEntry:
                        pass
        hidden = set()
        for src in master.values():
            if HIDDEN_BEGIN in src:
                hidden |= hidden_lines(src, min_length=12)
        hidden -= _own_lines(nb)
        for cell in nb.cells:
            gid = _nbg(cell).get("grade_id")
            if cell.cell_type == "code" and gid and HIDDEN_BEGIN in master.get(gid, ""):
                self._hide(cell, master[gid])
            elif cell.cell_type == "code":
                kept = []
                for out in cell.get("outputs", []):
                    if hidden and any(line in t for t in _output_texts({"outputs": [out]}) for line in hidden):
                        kept.append(nbformat.v4.new_output(
                            "stream", name="stdout",
                            text="[output removed: it contained text of a hidden test]\n"))
                    else:
                        kept.append(out)
                cell.outputs = kept
        nb.cells.insert(0, self._summary(nb, review))
        nb.metadata.pop(METADATA_KEY, None)
        return nb, resources

    def _hide(self, cell, master_source: str) -> None:
        visible = master_source.split("\n")
        head = []
        for line in visible:
            if HIDDEN_BEGIN in line:
                break
            head.append(line)
        cell.source = "\n".join(head).rstrip() + "\n# (the hidden test code is not shown)"
        meta = _nbg(cell)
        score, points = meta.get("score"), meta.get("points")
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        stderr = any(o.output_type == "stream" and o.name == "stderr" for o in cell.get("outputs", []))
        if errors or stderr or (score is not None and points and float(score) < float(points)):
            text = "Hidden test failed"
            err = errors[-1] if errors else None
            ours = [e for e in errors if e.ename in ("CellTimeoutError", "KernelDied", "NotRun",
                                                     "OutputTooLarge", "GradingEnvironmentModified")]
            if ours and ours[-1].evalue:
                text += ": " + _ANSI.sub("", ours[-1].evalue)
            elif ours:  # nbgrader's own timeout error has no message
                text += ": it did not finish within the time limit"
            elif err is not None and self.show_failure_message and err.evalue:
                message = _ANSI.sub("", err.evalue)
                if len(message) > self.max_message_chars:
                    message = message[:self.max_message_chars] + " ..."
                text += f": {err.ename}: {message}"
            elif err is not None:
                text += f" ({err.ename})"
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text + "\n")]
        else:
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="Hidden tests passed.\n")]

    @staticmethod
    def _summary(nb, review: set) -> NotebookNode:
        rows = ["| Part | Score | |", "|---|---|---|"]
        total = possible = 0.0
        found = findings(nb)
        for part, cells in parts_of(nb.cells).items():
            score = points = 0.0
            pending = False
            for c in nb.cells:
                m = _nbg(c)
                if m.get("grade_id") in cells:
                    points += float(m.get("points") or 0)
                    if m.get("score") is None:
                        pending = True
                    else:
                        score += float(m["score"])
            total += score
            possible += points
            manual = any(_nbg(c).get("grade_id") == part and _nbg(c).get("grade")
                         and _nbg(c).get("solution") for c in nb.cells)
            note, shown = "", f"{score:g}"
            if manual and (pending or part in review):
                note, shown = "to be graded by a person", "–"
            elif any(gid in review for gid in cells):
                note = "held for review"
            rows.append(f"| `{part}` | {shown} / {points:g} | {note} |")
        rows.append(f"| **Total** | **{total:g} / {possible:g}** | |")
        text = "### Your scores, part by part\n\n" + "\n".join(rows)
        notes = list(dict.fromkeys(f["message"] for f in found))
        if notes:
            text += "\n\n**Notes from the autograder**\n\n" + "\n".join(f"- {n}" for n in notes)
        cell = nbformat.v4.new_markdown_cell(text)
        return cell


def _mathjax_bundle(mathjax_dir: str, macros: dict | None) -> str:
    """Inline HTML for MathJax 3 with its fonts as data URIs: math renders with no network."""
    base = Path(mathjax_dir)
    fonts = {}
    for woff in sorted((base / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff")):
        fonts[woff.name] = "data:font/woff;base64," + base64.b64encode(woff.read_bytes()).decode()
    config = {
        "tex": {"inlineMath": [["$", "$"], ["\\(", "\\)"]], "displayMath": [["$$", "$$"], ["\\[", "\\]"]],
                "processEscapes": True, "processEnvironments": True, "macros": macros or {},
                "packages": {"[-]": ["autoload", "require"]}},
        "options": {"ignoreHtmlClass": "tex2jax_ignore", "processHtmlClass": "tex2jax_process"},
        "chtml": {"fontURL": "nbgrader-inline-fonts"},
        "loader": {"load": []},
    }
    script = (base / "tex-chtml.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    # Before the output jax builds its @font-face rules, point every font at its data URI.
    ready = textwrap.dedent("""
        function () {
          var fonts = %s;
          var patch = function (table) {
            for (var key in table) {
              var rule = table[key];
              if (rule && typeof rule.src === 'string') {
                rule.src = rule.src.replace(/url\\("%%%%URL%%%%\\/([^"]+)"\\)/g, function (m, name) {
                  return fonts[name] ? 'url("' + fonts[name] + '")' : m;
                });
              }
            }
          };
          var chtml = MathJax._.output.chtml;
          patch(chtml.FontData.CHTMLFontData.defaultFonts);
          for (var name in (chtml.fonts || {})) {
            var module = chtml.fonts[name];
            for (var cls in module) {
              if (module[cls] && module[cls].defaultFonts) { patch(module[cls].defaultFonts); }
            }
          }
          MathJax.startup.defaultReady();
        }""") % json.dumps(fonts)
    return ("<script>window.MathJax = " + json.dumps(config)[:-1]
            + ', "startup": {"ready": ' + ready + "}};</script>\n<script>" + script + "</script>\n")


class OfflineFeedbackExporter(HTMLExporter):
    """nbgrader's feedback HTML, self-contained: MathJax 3 and its fonts inline (no CDN).

    nbgrader's feedback template calls the ``mathjax()`` macro, which loads MathJax 2 from
    cdnjs; a template loader placed first replaces that macro. The feedback is one HTML
    file (``nbgrader release_feedback`` copies only ``*.html``), so nothing may be linked.
    """

    mathjax_dir = Unicode("", help="Folder of the vendored MathJax 3 (with tex-chtml.js).").tag(config=True)
    tex_macros = Dict(help="TeX macros for the feedback (as in the book's _config.yml).").tag(config=True)
    _bundle = None

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        from jinja2 import DictLoader

        # an imported macro sees the environment's globals, not the render context
        macro = "{%- macro mathjax(url=None) -%}{{ nbgrader_offline_mathjax }}{%- endmacro %}"
        self.extra_loaders = [DictLoader({"mathjax.html.j2": macro})] + list(self.extra_loaders)

    def from_notebook_node(self, nb, resources=None, **kw):
        resources = self._init_resources(resources)
        directory = self.mathjax_dir
        if self._bundle is None:
            if directory and (Path(directory) / "tex-chtml.js").is_file():
                self._bundle = _mathjax_bundle(directory, self.tex_macros)
            else:
                self.log.warning("no vendored MathJax at %r: the feedback shows math as TeX source",
                                 directory)
                self._bundle = ""
        self.environment.globals["nbgrader_offline_mathjax"] = self._bundle
        return super().from_notebook_node(nb, resources, **kw)


class TolerantNotebookExporter(NotebookExporter):
    """Reads a submission nbgrader cannot read (not JSON, not UTF-8, empty, not a
    notebook) as a notebook with no cells, with a ``review`` finding that says why.

    :class:`AuditSubmission` then puts every cell back (answers as empty stubs), so the
    submission is graded 0 with every part held for review, instead of failing with
    no grade. The submitted file itself is left as it is, for the instructor.
    """

    def from_file(self, file_stream, resources=None, **kw):
        try:
            nb = nbformat.read(file_stream, as_version=4)
        except Exception as exc:  # noqa: BLE001 -- whatever the file is, it is not gradable
            name = getattr(file_stream, "name", "")
            problems = diagnose_submission(Path(name).parent, Path(name).stem) if name else []
            problem = problems[0] if problems else f"{type(exc).__name__}: {exc}"
            nb = nbformat.v4.new_notebook()
            add_finding(nb, "unreadable", REVIEW,
                        f"The submitted file could not be read: {problem}. It was graded as an "
                        "empty notebook (0 points) and is held for review; the file is kept "
                        "unchanged in submitted/.")
            self.log.warning("hardening: unreadable submission %s: %s", name, problem)
            resources = resources if resources is not None else {}
            resources["hardening_unreadable"] = True
        return self.from_notebook_node(nb, resources=resources, **kw)


def collect_findings(course_root: str | os.PathLike, assignment: str,
                     autograded: str = "autograded") -> dict[str, dict]:
    """``{student: hardening metadata}`` of every autograded notebook of an assignment
    (findings, kernel restarts, sandbox, parts held for review), for reports."""
    out = {}
    for path in sorted(Path(course_root, autograded).glob(f"*/{assignment}/*.ipynb")):
        try:
            nb = nbformat.read(str(path), as_version=4)
        except Exception:  # noqa: BLE001
            continue
        out.setdefault(path.parent.parent.name, {})[path.stem] = nb.metadata.get(METADATA_KEY, {})
    return out


# --------------------------------------------------------------------------------------
# Configuration: one call from nbgrader_config.py
# --------------------------------------------------------------------------------------

def _replace(seq: list, old, new) -> list:
    return [new if item is old else item for item in seq]


def configure(c, course_root: str | None = None, mathjax_dir: str | None = None,
              tex_macros: dict | None = None) -> None:
    """Register every protection in an nbgrader config ``c`` (see the module docstring).

    Limits and timeouts stay configurable as usual afterwards, e.g.
    ``c.SandboxKernelManager.memory_limit`` or ``c.Execute.timeout``.
    """
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.converters.autograde import Autograde
    from nbgrader.preprocessors import GetGrades, OverwriteCells, SaveAutoGrades

    sanitize = list(Autograde.class_traits()["sanitize_preprocessors"].default())
    sanitize.insert(sanitize.index(OverwriteCells), AuditSubmission)
    autograde = _replace(list(Autograde.class_traits()["autograde_preprocessors"].default()),
                         Execute, HardenedExecute)
    autograde.insert(autograde.index(SaveAutoGrades) + 1, FlagGrades)
    c.Autograde.exporter_class = TolerantNotebookExporter
    c.Autograde.sanitize_preprocessors = sanitize
    c.Autograde.autograde_preprocessors = autograde
    c.GenerateFeedback.preprocessors = [GetGrades, FeedbackRedactor, CSSHTMLHeaderPreprocessor]
    c.GenerateFeedback.exporter_class = OfflineFeedbackExporter
    if course_root:
        protected = [str(course_root)]
        c.SandboxKernelManager.protected_paths = protected
    if mathjax_dir:
        c.OfflineFeedbackExporter.mathjax_dir = str(mathjax_dir)
    if tex_macros:
        c.OfflineFeedbackExporter.tex_macros = dict(tex_macros)


# --------------------------------------------------------------------------------------
# Intake check: why nbgrader would refuse a submission, in words an instructor can use
# --------------------------------------------------------------------------------------

def diagnose_submission(folder: str | os.PathLike, notebook: str) -> list[str]:
    """Problems that make nbgrader skip or fail a submission folder (empty list: none).

    ``folder`` is ``submitted/<student>/<assignment>``; ``notebook`` the expected name
    without ``.ipynb``. Covers a missing or wrongly named notebook, an empty file, text
    that is not UTF-8, and a file that is not a notebook (not JSON, or not nbformat 4).
    """
    folder = Path(folder)
    expected = folder / f"{notebook}.ipynb"
    problems = []
    if not folder.is_dir():
        return [f"no submission folder {folder}"]
    others = sorted(p.name for p in folder.glob("*.ipynb") if p.name != expected.name)
    if not expected.exists():
        hint = f"; found {', '.join(others)} (rename it to {expected.name})" if others else ""
        return [f"no notebook named {expected.name}{hint}"]
    raw = expected.read_bytes()
    if not raw.strip():
        return [f"{expected.name} is empty (0 bytes of content)"]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [f"{expected.name} is not UTF-8 text (byte {raw[exc.start]:#04x} at offset "
                f"{exc.start}); re-save it from Jupyter, or convert it, e.g. "
                f"`iconv -f latin1 -t utf-8`"]
    try:
        data = json.loads(text)
    except ValueError as exc:
        return [f"{expected.name} is not valid JSON ({exc}); the file is damaged or not a notebook"]
    if not isinstance(data, dict) or data.get("nbformat") != 4 or not isinstance(data.get("cells"), list):
        problems.append(f"{expected.name} is JSON but not a version-4 Jupyter notebook")
    if others:
        problems.append(f"extra notebooks ignored by the grader: {', '.join(others)}")
    return problems
