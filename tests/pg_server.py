"""A real, throwaway PostgreSQL server for the tests (Debian's ``postgresql`` package).

:class:`PostgresServer` runs ``initdb`` into a fresh folder and starts ``postgres`` on a
free loopback port with a socket in that folder, so it never meets the machine's own
cluster. Each test that needs a gradebook gets its own database
(:meth:`PostgresServer.create_database`). PostgreSQL refuses to run as root, so under root
(as in CI) the server runs as the ``postgres`` user that Debian's package creates.

Not finding the server programs is an error, never a skip: ``.ci/run`` installs them
(``apt-get install postgresql``); on another machine, install that package.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

USER = "grader"  # the database superuser initdb creates; trust auth on loopback only


def bindir() -> Path:
    """The newest ``/usr/lib/postgresql/<version>/bin`` with initdb, or initdb on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    raise RuntimeError("PostgreSQL server programs (initdb, postgres) not found: install Debian's "
                       "`postgresql` package (`apt-get install postgresql`; .ci/run does)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """``with PostgresServer() as pg: url = pg.create_database("x")``."""

    def __init__(self) -> None:
        self.bin = bindir()
        self.dir = Path(tempfile.mkdtemp(prefix="calc3ml-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self._as = None
        if os.geteuid() == 0:
            try:
                self._as = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError("running as root, and there is no `postgres` user to run "
                                   "the server as (Debian's postgresql package creates it)")
            os.chown(self.dir, self._as.pw_uid, self._as.pw_gid)

    # ---- process control ---------------------------------------------------------------

    def _run(self, *cmd: str, timeout: float = 120) -> subprocess.CompletedProcess:
        who = self._as

        def drop() -> None:
            if who is not None:
                os.setgroups([])
                os.setgid(who.pw_gid)
                os.setuid(who.pw_uid)

        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8",
               "HOME": str(self.dir)}
        proc = subprocess.run(cmd, cwd=self.dir, env=env, preexec_fn=drop, capture_output=True,
                              text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n"
                               f"{proc.stderr}\n{self.log_tail()}")
        return proc

    def log_tail(self, n: int = 30) -> str:
        log = self.dir / "server.log"
        if not log.is_file():
            return ""
        return "server.log:\n" + "\n".join(log.read_text(errors="replace").splitlines()[-n:])

    def start(self) -> "PostgresServer":
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", USER, "--auth=trust",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions")
        # loopback only, socket in our folder; fsync off: a test server, thrown away after
        opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l",
                  str(self.dir / "server.log"), "-o", opts, "-w", "-t", "60", "start")
        return self

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                          "-w", "stop")
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "PostgresServer":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- databases -----------------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL nbgrader's ``CourseDirectory.db_url`` takes."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres"):
        import psycopg

        con = psycopg.connect(host="127.0.0.1", port=self.port, user=USER, dbname=database,
                              autocommit=True)
        return con

    def create_database(self, name: str) -> str:
        """A new, empty database ``name``; returns its URL."""
        con = self.connect()
        try:
            with con.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            con.close()
        return self.url(name)

    def query(self, database: str, sql: str, *args) -> list[tuple]:
        con = self.connect(database)
        try:
            with con.cursor() as cur:
                cur.execute(sql, args)
                return cur.fetchall() if cur.description else []
        finally:
            con.close()

    def wait_ready(self, timeout: float = 30) -> None:
        end = time.monotonic() + timeout
        while True:
            try:
                self.connect().close()
                return
            except Exception:
                if time.monotonic() > end:
                    raise
                time.sleep(0.2)
