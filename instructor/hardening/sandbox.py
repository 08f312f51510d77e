"""Grading kernels: limits, a scrubbed environment and Landlock, from their first instruction.

:class:`SandboxKernelManager` starts every grading kernel through the launcher
(``launcher.py``, passed to ``python -I -c`` as text, :data:`LAUNCHER`): resource limits
(address space, CPU seconds, file size, no core dumps), an environment with no instructor
secrets, and, where the Linux kernel has Landlock (5.13+), confinement: the kernel may read
the system and Python, write only its own scratch folder, bind only its five ZeroMQ ports,
connect nowhere, and signal no process outside itself. So it cannot read ``solutions/``
(the hidden tests), touch ``gradebook.db`` or another student's files, or kill the grader.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import sys
import tempfile
from importlib import resources
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Integer, List, Unicode

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


# The launcher, launcher.py read as text, is passed with `python -I -c`: it sets the limits,
# scrubs the environment, applies Landlock and execs the real kernel command, so the kernel
# (and everything it starts) runs confined from its first instruction.
LAUNCHER = resources.files(__package__).joinpath("launcher.py").read_text(encoding="utf-8")

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
