"""Grade a class on several cores: a pool of nbgrader workers, one writer of the gradebook.

Design (the reasons are in :mod:`instructor.gradebook`):

1. The parent lists the submissions to grade, ``(assignment, student)`` pairs.
2. It starts ``jobs`` worker processes (:mod:`instructor.worker`). With a SQLite gradebook
   each worker gets its own copy of the course's gradebook; with a server database
   (``postgresql://...``), which has many writers, the workers write to it directly (and
   step 4 has nothing to do; a submission killed half-way may then leave partial
   autograder scores: grade it again with ``--force --student``).
3. Submissions are handed out one at a time to whichever worker is free, so a slow
   submission (an infinite loop that runs into the cell timeout) holds up one worker, not
   a whole shard. Each worker runs nbgrader's own ``Autograde`` for that student, writing
   ``autograded/<student>/<assignment>/`` -- folders no other worker touches -- and its own
   gradebook copy.
4. When all are done (or on Ctrl-C, or when one fails), the parent merges every finished
   submission from the workers' copies into the course's gradebook, in one transaction,
   and checks the merged rows against the workers'.

A worker that dies, or a submission that runs longer than ``timeout`` seconds, costs that
one submission (reported as failed; its half-written ``autograded/`` folder is removed, as
nbgrader does for a failure) and the worker is replaced for the remaining ones.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .course import Course, nbgrader_env
from .gradebook import copy_gradebook, merge
from .report import FAILED, GRADED, MANUAL, SKIPPED

# The worker runs from its file, without importing this package: its sys.path is then
# exactly that of `nbgrader autograde` run in the course folder (the course's
# nbgrader_config.py decides what it imports, e.g. the course's own instructor/hardening/),
# and no folder outside the course is added to what a sandboxed kernel may read.
_WORKER_BOOT = "import runpy, sys; runpy.run_path(sys.argv.pop(1), run_name='__main__')"
_WORKER = Path(__file__).with_name("worker.py")


class BusyError(RuntimeError):
    """Another autograde runs in the same course."""


class WorkerError(RuntimeError):
    """A grading worker could not even start (e.g. a broken nbgrader_config.py)."""


@dataclass
class Outcome:
    """What happened to one submission."""

    assignment: str
    student: str
    outcome: str                 # GRADED, MANUAL, FAILED or SKIPPED
    seconds: float = 0.0
    score: float | None = None
    max_score: float | None = None
    reason: str = ""             # for FAILED: the error, in one line
    log_path: str = ""           # for FAILED: nbgrader's full log of that submission


@dataclass
class Run:
    """The result of :func:`autograde`."""

    outcomes: list[Outcome]      # one per task, in the order of the tasks
    workers: int                 # worker processes started (replacements included)
    merged: int | None           # submissions merged into the course's gradebook (None:
                                 # the workers wrote to a server database directly)


@dataclass
class _Worker:
    index: int
    proc: subprocess.Popen
    db_url: str
    buffer: bytes = b""
    task: tuple[str, str] | None = None
    started: float | None = None
    finished: list[tuple[str, str]] = field(default_factory=list)  # to merge
    killed_reason: str = ""
    ready: bool = False

    def send(self, task: tuple[str, str] | None, force: bool = False) -> None:
        self.task, self.started = task, None
        assert self.proc.stdin is not None
        try:
            if task is None:
                self.proc.stdin.close()
            else:
                self.proc.stdin.write((json.dumps({"assignment": task[0], "student": task[1],
                                                   "force": force})
                                       + "\n").encode())
                self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass  # the worker is gone; its end of file is handled by the event loop

    def kill(self, reason: str) -> None:
        """Kill the worker and its kernels (they run in sessions of their own)."""
        import psutil

        self.killed_reason = reason
        try:
            procs = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            procs = []
        for p in procs:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        try:
            self.proc.kill()
        except ProcessLookupError:
            pass


def autograde(course: Course, tasks: list[tuple[str, str]], *, jobs: int, force: bool = False,
              timeout: float = 1200.0, regrade: set[tuple[str, str]] = frozenset(),
              on_outcome: Callable[[Outcome, int, int], None] | None = None) -> Run:
    """Autograde ``tasks`` (``(assignment, student)`` pairs) with ``jobs`` workers.

    ``regrade`` are tasks graded with nbgrader's ``--force`` even without ``force`` (their
    content changed: :mod:`instructor.resubmit`). ``on_outcome(outcome, done, total)`` is
    called as each submission finishes (progress).
    """
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    if not tasks:
        return Run([], 0, 0)
    jobs = min(jobs, len(tasks))
    # A server database has many writers: the workers write to it directly. A SQLite one
    # gets copies even with one worker, so that a submission killed half-way (timeout,
    # Ctrl-C) never lands in the course's gradebook half-written.
    direct = course.db_path is None
    if course.db_path is not None and not course.db_path.is_file():
        raise FileNotFoundError(f"no gradebook at {course.db_path}: release the assignment first")

    course.logs.mkdir(parents=True, exist_ok=True)
    lock = _lock(course.logs)  # one autograde per course at a time (two would race on merge)
    scratch = Path(tempfile.mkdtemp(prefix="instructor-autograde-"))
    pending = deque(tasks)
    requeued: set[tuple[str, str]] = set()
    outcomes: dict[tuple[str, str], Outcome] = {}
    workers: list[_Worker] = []
    sel = selectors.DefaultSelector()
    env = nbgrader_env()

    def spawn() -> _Worker:
        index = len(workers)
        db_url = course.db_url if direct else copy_gradebook(course.db_url,
                                                             scratch / f"worker-{index}.db")
        log = open(course.logs / f"autograde-worker-{index}.log", "wb")
        proc = subprocess.Popen(
            [sys.executable, "-c", _WORKER_BOOT, str(_WORKER), "--db-url", db_url,
             "--log-dir", str(course.logs / "autograde"), *(["--force"] if force else [])],
            cwd=course.root, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=log)
        log.close()
        w = _Worker(index, proc, db_url)
        workers.append(w)
        os.set_blocking(proc.stdout.fileno(), False)
        sel.register(proc.stdout, selectors.EVENT_READ, w)
        w.send(*_next())
        return w

    def _next() -> tuple[tuple[str, str] | None, bool]:
        task = pending.popleft() if pending else None
        return task, task in regrade

    def record(o: Outcome) -> None:
        outcomes[(o.assignment, o.student)] = o
        if on_outcome is not None:
            on_outcome(o, len(outcomes), len(tasks))

    def on_event(w: _Worker, ev: dict) -> None:
        if ev.get("event") == "ready":
            w.ready = True
        elif ev.get("event") == "start":
            w.started = time.monotonic()
        elif ev.get("event") == "done":
            task = (ev["assignment"], ev["student"])
            outcome = ev["outcome"]
            if outcome == "graded" and ev.get("needs_manual_grade"):
                outcome = MANUAL
            elif outcome == "graded":
                outcome = GRADED
            elif outcome == "skipped":
                outcome = SKIPPED
            else:
                outcome = FAILED
            # failed ones too: nbgrader left the submission's rows in the gradebook (all
            # scores empty), and so must the merge, to match a serial run
            w.finished.append(task)
            record(Outcome(*task, outcome, ev.get("seconds", 0.0), ev.get("score"),
                           ev.get("max_score"), ev.get("reason", ""), ev.get("log_path", "")))
            w.send(*_next())

    def on_exit(w: _Worker) -> None:
        sel.unregister(w.proc.stdout)
        w.proc.stdout.close()
        code = w.proc.wait()
        log_path = course.logs / f"autograde-worker-{w.index}.log"
        if not w.ready and not w.killed_reason:
            tail = log_path.read_text(errors="replace")[-3000:]
            raise WorkerError(f"a grading worker could not start (exit code {code}); "
                              f"its log {log_path} ends with:\n{tail}")
        if w.task is not None and w.started is None and not w.killed_reason \
                and w.task not in requeued:
            # died before it began this task (e.g. right after the previous one): the task
            # goes to another worker, once
            requeued.add(w.task)
            pending.appendleft(w.task)
            w.task = None
            spawn()
        elif w.task is not None:  # died (or was killed) in the middle of a submission
            assignment, student = w.task
            shutil.rmtree(course.path(course.autograded, student, assignment), ignore_errors=True)
            reason = w.killed_reason or f"the grading worker exited with code {code}"
            record(Outcome(assignment, student, FAILED,
                           time.monotonic() - (w.started or time.monotonic()), reason=reason,
                           log_path=str(log_path)))
            w.task = None
            if pending:
                spawn()

    try:
        for _ in range(jobs):
            spawn()
        while sel.get_map():
            for key, _ in sel.select(timeout=1.0):
                w: _Worker = key.data
                chunk = os.read(key.fileobj.fileno(), 65536)
                if not chunk:
                    on_exit(w)
                    continue
                w.buffer += chunk
                *lines, w.buffer = w.buffer.split(b"\n")
                for line in lines:
                    if line.strip():
                        on_event(w, json.loads(line))
            now = time.monotonic()
            for w in workers:
                if w.task is not None and w.started and now - w.started > timeout:
                    w.kill(f"still running after {timeout:.0f} s (killed)")
    except BaseException:
        for w in workers:
            if w.proc.poll() is None:
                w.kill("interrupted")
            if w.task is not None:
                shutil.rmtree(course.path(course.autograded, w.task[1], w.task[0]),
                              ignore_errors=True)
        raise
    finally:
        sel.close()
        for w in workers:
            if w.proc.poll() is None:
                w.proc.wait()
        merged = None
        try:
            if not direct:
                # the single writer: everything finished goes in, even after Ctrl-C
                merged = merge(course.db_url,
                               [(w.db_url, w.finished) for w in workers if w.finished],
                               course.coursedir.course_id)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
            os.close(lock)
    return Run([outcomes[t] for t in tasks], len(workers), merged)


def _lock(folder: Path) -> int:
    """An exclusive lock on a folder of the course, held until the descriptor is closed.

    (A folder, not the SQLite file: closing any descriptor of a file drops the POSIX
    locks SQLite holds on it in this process.)"""
    import fcntl

    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise BusyError(f"another autograde is running in this course (it holds {folder}); "
                        "wait for it to finish") from None
    return fd
