"""The course folder as nbgrader sees it: configuration, paths, gradebook, nbgrader runs.

A course is a folder with an ``nbgrader_config.py`` (the repository root, ``demo-class/``,
or a throwaway copy in a test). Everything here reads that configuration with nbgrader's
own loader, so paths and the gradebook URL are exactly the ones ``nbgrader`` itself uses.
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

BIN = Path(sys.executable).parent  # the venv's bin: nbgrader needs `alembic` on PATH
PACKAGE_PARENT = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
LOG_LEVEL = re.compile(r"^\[[^\]|]*\|\s*(?P<level>[A-Z]+)\]\s?(?P<message>.*)$")

# nbgrader's own command line with this package importable, for zip_collect's collector
# plugin; PYTHONPATH is left alone (the student kernels would inherit it).
_NBGRADER_BOOT = ("import sys; sys.path.insert(0, sys.argv.pop(1)); "
                  "from nbgrader.apps.nbgraderapp import main; sys.exit(main())")


class CourseError(RuntimeError):
    """The course folder or a command's arguments are not usable; the message says why."""


def nbgrader_env() -> dict[str, str]:
    """The environment for nbgrader subprocesses: the venv's bin first on PATH."""
    env = dict(os.environ)
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # keeps debugpy's warning out of logs
    return env


@dataclass
class Course:
    """An nbgrader course folder, with the configuration nbgrader would load there.

    Build it with :meth:`Course.load`; ``coursedir`` is nbgrader's own
    ``CourseDirectory`` (paths, ``db_url``), ``config`` the loaded traitlets config.
    """

    root: Path
    coursedir: object
    config: object

    @classmethod
    def load(cls, root: Path | str = ".") -> "Course":
        root = Path(root).resolve()
        if not (root / "nbgrader_config.py").is_file():
            raise CourseError(f"{root} is not a course folder: it has no nbgrader_config.py "
                              "(run from the repository root, or pass --course DIR)")
        from nbgrader.apps.baseapp import NbGrader

        cwd = os.getcwd()
        os.chdir(root)  # nbgrader loads nbgrader_config.py from the working directory
        try:
            app = NbGrader()
            app.initialize([])
        finally:
            os.chdir(cwd)
        coursedir = app.coursedir
        if not Path(coursedir.root).is_absolute():
            coursedir.root = str(root / coursedir.root)
        return cls(Path(coursedir.root), coursedir, app.config)

    # ---- paths -----------------------------------------------------------------------

    def path(self, step: str, student: str, assignment: str) -> Path:
        """``<root>/<step>/<student>/<assignment>`` in nbgrader's directory structure."""
        return Path(self.coursedir.format_path(step, student, assignment))

    @property
    def source_dir(self) -> Path:
        return self.root / self.coursedir.source_directory

    @property
    def submitted(self) -> str:
        return self.coursedir.submitted_directory

    @property
    def autograded(self) -> str:
        return self.coursedir.autograded_directory

    @property
    def feedback(self) -> str:
        return self.coursedir.feedback_directory

    @property
    def logs(self) -> Path:
        """Where the instructor commands keep nbgrader's full logs (``<root>/logs``)."""
        return self.root / "logs"

    def source_assignments(self) -> list[str]:
        """Assignments with a master copy: the folders of the source directory."""
        if not self.source_dir.is_dir():
            return []
        return sorted(p.name for p in self.source_dir.iterdir()
                      if p.is_dir() and not p.name.startswith((".", "_")))

    def require_assignment(self, assignment: str, released: bool = False) -> None:
        """Raise a :class:`CourseError` that names the fix when ``assignment`` has no master
        copy in the source directory (listing the ones that do), or, with ``released``,
        is not in the gradebook yet."""
        known = self.source_assignments()
        if assignment not in known:
            listed = ", ".join(known) if known else "none"
            raise CourseError(f"no assignment {assignment!r}: there is no "
                              f"{relative(self.source_dir)}/{assignment}/ (the assignments "
                              f"are the folders of {relative(self.source_dir)}/: {listed})")
        if released and assignment not in self.gradebook_assignments():
            raise CourseError(f"{assignment} is not in the gradebook yet: run `make release "
                              f"ASSIGNMENT={assignment}` first")

    def students_in(self, step: str, assignment: str) -> list[str]:
        """Students with a folder ``<step>/<student>/<assignment>`` (e.g. submitted/)."""
        pattern = self.coursedir.format_path(step, "*", glob.escape(assignment))
        regexp = self.coursedir.format_path(step, "(?P<student>[^/]+)", re.escape(assignment),
                                            escape=True)
        out = []
        for found in glob.glob(pattern):
            m = re.fullmatch(regexp, found)
            if m and os.path.isdir(found):
                out.append(m.group("student"))
        return sorted(out)

    def notebook_files(self, step: str, student: str, assignment: str,
                       suffix: str = ".ipynb") -> list[Path]:
        folder = self.path(step, student, assignment)
        return sorted(folder.glob("*" + suffix)) if folder.is_dir() else []

    # ---- gradebook -------------------------------------------------------------------

    @property
    def db_url(self) -> str:
        """The gradebook URL, with a relative SQLite path made absolute (relative to root)."""
        url = self.coursedir.db_url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/"):
            return prefix + str(self.root / url[len(prefix):])
        return url

    @property
    def safe_db_url(self) -> str:
        """The gradebook URL fit to print: a password in it is masked."""
        from sqlalchemy.engine import make_url

        try:
            return make_url(self.db_url).render_as_string(hide_password=True)
        except Exception:  # not a URL SQLAlchemy parses: nbgrader will say so itself
            return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", self.db_url)

    @property
    def db_path(self) -> Path | None:
        """The SQLite file of the gradebook, or None for a server database (PostgreSQL)."""
        return sqlite_path(self.db_url)

    def check_server_gradebook(self) -> None:
        """A server gradebook (PostgreSQL) enforces the course foreign key that SQLite does
        not: without a course id, nbgrader fails on the first assignment it writes."""
        if self.db_path is None and not self.coursedir.course_id:
            raise CourseError(f"the gradebook {self.safe_db_url} needs a course id: set "
                              "c.CourseDirectory.course_id (e.g. \"calc3ml\") in "
                              "nbgrader_config.py")

    @contextmanager
    def gradebook(self) -> Iterator[object]:
        from nbgrader.api import Gradebook

        if self.db_path is not None and not self.db_path.is_file():
            raise CourseError(f"no gradebook at {self.db_path}: release the assignments first "
                              "(`make release` or `python -m instructor release`)")
        with Gradebook(self.db_url, self.coursedir.course_id) as gb:
            yield gb

    def gradebook_assignments(self) -> list[str]:
        if self.db_path is not None and not self.db_path.is_file():
            return []
        with self.gradebook() as gb:
            return sorted(a.name for a in gb.assignments)

    # ---- running nbgrader --------------------------------------------------------------

    def run_nbgrader(self, *args: str, log_name: str,
                     on_line: Callable[[str, str], None] | None = None,
                     plugins: bool = False) -> tuple[int, Path]:
        """Run nbgrader's own command line ``nbgrader *args`` in the course folder.

        ``plugins=True`` makes this package importable (for ``--collector=instructor...``);
        otherwise nbgrader runs exactly as ``python -m nbgrader`` in the course folder.

        Every line nbgrader prints goes to ``logs/<log_name>.log``; ``on_line(level,
        message)`` sees each log line (level ``INFO``/``WARNING``/``ERROR``, or ``""`` for
        lines that are not nbgrader log records) as it arrives, for progress output.
        Returns the exit code and the log path.
        """
        self.logs.mkdir(parents=True, exist_ok=True)
        log_path = self.logs / f"{log_name}.log"
        cmd = ([sys.executable, "-c", _NBGRADER_BOOT, str(PACKAGE_PARENT), *args] if plugins
               else [sys.executable, "-m", "nbgrader", *args])
        with open(log_path, "w", encoding="utf-8") as log:
            log.write(f"$ nbgrader {' '.join(args)}\n")
            proc = subprocess.Popen(cmd, cwd=self.root, env=nbgrader_env(), text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, bufsize=1)
            assert proc.stdout is not None
            for raw in proc.stdout:
                log.write(raw)
                line = ANSI.sub("", raw.rstrip("\n"))
                m = LOG_LEVEL.match(line)
                if on_line is not None:
                    on_line(m.group("level") if m else "", m.group("message") if m else line)
            code = proc.wait()
        return code, log_path


def sqlite_path(db_url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL, None for any other database."""
    prefix = "sqlite:///"
    return Path(db_url[len(prefix):]) if db_url.startswith(prefix) else None


def relative(path: Path, start: Path | None = None) -> str:
    """``path`` relative to ``start`` (default: the working directory) when it is inside."""
    start = Path.cwd() if start is None else start
    try:
        return str(Path(path).resolve().relative_to(start.resolve()))
    except ValueError:
        return str(path)
