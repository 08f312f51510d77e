"""Grading spread over many machines: the same per-submission grading as Dask tasks.

``make autograde CLUSTER=tcp://scheduler:8786`` (or ``CLUSTER=local:4``: a local Dask
cluster of 4 worker processes) grades each submission as one task of a Dask distributed
cluster, an existing engine that schedules, retries on lost workers and reports; nothing
of the scheduling is ours. Each task does what one submission costs in
:mod:`instructor.parallel`: it copies a snapshot of the course's gradebook to a file of
its own, runs :mod:`instructor.worker` (nbgrader's own ``Autograde`` for that one student)
against that copy, and returns the worker's report. The parent then merges every finished
submission from those copies into the course's gradebook with the same single-writer
:func:`instructor.gradebook.merge` -- one transaction, read back and checked.

The machines share the course folder (the same path on each, e.g. an NFS mount): the
tasks read ``submitted/`` and write ``autograded/<student>/`` there, and the gradebook
copies live in ``logs/cluster/`` of the course. Start it with the venv's own Dask::

    .venv/bin/dask scheduler                       # on one machine
    .venv/bin/dask worker tcp://scheduler:8786 --nthreads 1   # on each grading machine

(``--nthreads 1``: one submission at a time per worker process; add ``--nworkers N``.)
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from .course import Course, nbgrader_env
from .gradebook import copy_gradebook, merge
from .parallel import _WORKER, _WORKER_BOOT, Outcome, Run, _lock
from .report import FAILED, GRADED, MANUAL, SKIPPED


def grade_one(root: str, base_db: str, task_db: str, assignment: str, student: str,
              force: bool, log_dir: str, timeout: float) -> dict:
    """One submission, on whichever machine Dask runs it: the worker of
    :mod:`instructor.worker` on a private copy of the gradebook snapshot."""
    shutil.copy(base_db, task_db)
    t0 = time.monotonic()
    cmd = [sys.executable, "-c", _WORKER_BOOT, str(_WORKER), "--db-url", f"sqlite:///{task_db}",
           "--log-dir", log_dir]
    task = json.dumps({"assignment": assignment, "student": student, "force": force}) + "\n"
    try:
        proc = subprocess.run(cmd, cwd=root, env=nbgrader_env(), input=task, text=True,
                              capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        shutil.rmtree(Path(root) / "autograded" / student / assignment, ignore_errors=True)
        return dict(event="done", assignment=assignment, student=student, outcome="failed",
                    reason=f"still running after {timeout:.0f} s (killed)", killed=True,
                    seconds=time.monotonic() - t0)
    for line in proc.stdout.splitlines():
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if ev.get("event") == "done":
            return ev
    return dict(event="done", assignment=assignment, student=student, outcome="failed",
                killed=True, reason=f"the grading worker exited with code {proc.returncode}: "
                       f"{proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ''}",
                seconds=time.monotonic() - t0)


def client_for(address: str):
    """A Dask client: ``local:N`` starts a local cluster of N worker processes (one thread
    each); anything else is a scheduler address (``tcp://host:8786``)."""
    from distributed import Client, LocalCluster

    if address.startswith("local"):
        n = int(address.partition(":")[2] or 2)
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        return Client(cluster), cluster
    return Client(address), None


def autograde(course: Course, tasks: list[tuple[str, str]], *, address: str,
              force: bool = False, timeout: float = 1200.0,
              regrade: set[tuple[str, str]] = frozenset(),
              on_outcome: Callable[[Outcome, int, int], None] | None = None) -> Run:
    """Grade ``tasks`` on the Dask cluster at ``address``; merge as :mod:`instructor.parallel`."""
    from distributed import as_completed

    if course.db_path is None:
        raise ValueError("CLUSTER needs a SQLite gradebook (a server gradebook: run "
                         "`make autograde` on several machines instead)")
    course.logs.mkdir(parents=True, exist_ok=True)
    lock = _lock(course.logs)
    scratch = course.logs / "cluster"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    outcomes: dict[tuple[str, str], Outcome] = {}
    finished: list[tuple[str, tuple[str, str]]] = []
    client = cluster = None
    try:
        base = copy_gradebook(course.db_url, scratch / "base.db")[len("sqlite:///"):]
        client, cluster = client_for(address)
        futures = {}
        for i, (a, s) in enumerate(tasks):
            db = str(scratch / f"task-{i}.db")
            f = client.submit(grade_one, str(course.root), base, db, a, s,
                              force or (a, s) in regrade, str(course.logs / "autograde"),
                              timeout, pure=False, key=f"autograde-{i}-{a}-{s}")
            futures[f] = ((a, s), db)
        for f in as_completed(futures):
            task, db = futures[f]
            try:
                ev = f.result()
            except Exception as exc:  # the task itself failed on its machine
                ev = dict(outcome="failed", reason=f"{type(exc).__name__}: {exc}", killed=True)
            outcome = {"graded": MANUAL if ev.get("needs_manual_grade") else GRADED,
                       "skipped": SKIPPED}.get(ev.get("outcome"), FAILED)
            if Path(db).is_file() and not ev.get("killed"):  # as a serial run leaves it
                finished.append((f"sqlite:///{db}", task))
            o = Outcome(*task, outcome, ev.get("seconds", 0.0), ev.get("score"),
                        ev.get("max_score"), ev.get("reason", ""), ev.get("log_path", ""))
            outcomes[task] = o
            if on_outcome is not None:
                on_outcome(o, len(outcomes), len(tasks))
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
        try:
            merged = merge(course.db_url, [(url, [t]) for url, t in finished],
                           course.coursedir.course_id)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
            import os

            os.close(lock)
    return Run([outcomes[t] for t in tasks], len(tasks), merged)
