"""The grading kernel's launcher: limits, a clean environment, Landlock, then the kernel.

This file is never imported by the grader. :class:`~instructor.hardening.sandbox.SandboxKernelManager`
reads it as text (``sandbox.LAUNCHER``) and starts every grading kernel as

    python -I -c <the text of this file> <spec as JSON> <kernel command ...>

It sets the resource limits, scrubs the environment, optionally becomes another user,
applies Landlock and execs the real kernel command, so the kernel (and everything it
starts) runs confined from its first instruction. Standard library only (``-I``: no
site-packages, no current folder on ``sys.path``). Syscall numbers 444-446 are the same
on every Linux architecture.

The spec, made by ``SandboxKernelManager.format_kernel_cmd``: ``rlimits`` ({"AS", "CPU",
"FSIZE", "CORE": value or null}), ``env_keep``, ``env_set``, ``make_dirs``, ``landlock``
(null, or {require, ro, rw, rw_files, bind_ports}) and optionally ``run_as`` ({uid, gid,
chown, connection_file, connection_copy}).
"""

import ctypes
import json
import os
import resource
import sys


def fail(what):
    msg = "nbgrader sandbox: %s failed: %s" % (what, os.strerror(ctypes.get_errno()))
    sys.stderr.write(msg + "\n"); sys.stderr.flush()
    os._exit(70)


def set_limits(rlimits):
    for name, value in rlimits.items():
        if value is not None:
            lim = getattr(resource, "RLIMIT_" + name)
            soft, hard = resource.getrlimit(lim)
            value = int(value) if hard == resource.RLIM_INFINITY else min(int(value), hard)
            resource.setrlimit(lim, (value, value))


def run_as(ra, cmd):
    """The kernel command, after becoming a separate unprivileged user: it owns only the
    kernel's own folders, and gets its own copy of the connection file (jupyter writes
    that one readable by us alone)."""
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
    return cmd


def landlock(ll):
    """Confine this process (and the kernel it becomes) to the paths and ports of ``ll``."""
    libc = ctypes.CDLL(None, use_errno=True); libc.syscall.restype = ctypes.c_long
    abi = libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    if abi < 1:
        if ll["require"]:
            fail("Landlock (needs Linux >= 5.13 with landlock enabled)")
        return
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


def drop_capabilities():
    """Still root (no run_as): give up every capability, for good, so that root's powers
    (reading other processes, raw sockets, ...) do not outlive the sandbox rules."""
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


def main(argv):
    spec = json.loads(argv[1]); cmd = argv[2:]
    set_limits(spec["rlimits"])
    env = {k: v for k, v in os.environ.items() if k in spec["env_keep"] or k.startswith("JPY_")}
    env.update(spec["env_set"])
    for d in spec["make_dirs"]:
        os.makedirs(d, exist_ok=True)
    ll = spec.get("landlock")
    ra = spec.get("run_as")
    if ra:
        cmd = run_as(ra, cmd)
    if ll:
        landlock(ll)
    if os.geteuid() == 0:
        drop_capabilities()
    os.execve(cmd[0], cmd, env)


if __name__ == "__main__":
    main(sys.argv)
