"""One grading worker: nbgrader's own autograder, one submission at a time.

Started by :mod:`instructor.parallel`, never by hand, with the course folder as working
directory. It loads the course configuration exactly as ``nbgrader autograde`` does
(``AutogradeApp.initialize``), with ``--CourseDirectory.db_url`` pointing at the worker's
OWN gradebook (a copy of the course's SQLite file; see :mod:`instructor.gradebook`). Then,
for each task, it runs nbgrader's ``Autograde`` converter for one student -- what
``AutogradeApp.start`` does for ``nbgrader autograde ASSIGNMENT --student STUDENT`` -- in
this long-lived process, so Python and nbgrader start once per worker, not per submission.

Protocol: one JSON object per line. Tasks arrive on stdin (``{"assignment", "student", "force"}``);
events go to the original stdout (``{"event": "start"|"done", ...}``). Everything else that
would print to stdout -- nbgrader, nbconvert, kernels -- is sent to stderr, the worker's log.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import sys
import time
from pathlib import Path

ERROR_LINE = re.compile(r"^(?:[\w.]+\.)?(?P<name>\w*(?:Error|Exception|Exit)\w*):?\s*(?P<msg>.*)$")


def failure_reason(text: str) -> str:
    """The most telling line of nbgrader's log of a failed submission (its last exception)."""
    reason = ""
    for line in text.splitlines():
        m = ERROR_LINE.match(line.strip())
        if m and m.group("name") not in ("NbGraderException",):
            reason = f"{m.group('name')}: {m.group('msg')}".strip().rstrip(":")
    if not reason:
        errors = [ln for ln in text.splitlines() if "ERROR" in ln]
        reason = errors[0] if errors else "nbgrader reported an error"
    return reason[:200]


def _written_since(app, assignment: str, student: str, since: float) -> bool:
    """Whether nbgrader wrote an autograded notebook of this submission after ``since``."""
    folder = Path(app.coursedir.format_path(app.coursedir.autograded_directory, student,
                                            assignment))
    return any(p.stat().st_mtime >= since - 1 for p in folder.glob("*.ipynb"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m instructor.worker")
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--log-dir", required=True, help="where failed submissions' logs go")
    args = parser.parse_args(argv)

    # Keep the original stdout for the protocol; anything else printing to fd 1 (including
    # child processes) lands in stderr.
    proto = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)

    def send(**event):
        proto.write(json.dumps(event) + "\n")
        proto.flush()

    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.apps import AutogradeApp
    from nbgrader.converters import Autograde
    from nbgrader.utils import capture_log, temp_attrs

    app = AutogradeApp()
    app.initialize([f"--CourseDirectory.db_url={args.db_url}", *(["--force"] if args.force else [])])
    send(event="ready", pid=os.getpid())

    for line in sys.stdin:
        if not line.strip():
            continue
        task = json.loads(line)
        assignment, student = task["assignment"], task["student"]
        send(event="start", assignment=assignment, student=student)
        t0, started = time.monotonic(), time.time()
        # exactly AutogradeApp.start() for `nbgrader autograde ASSIGNMENT --student STUDENT`
        # (the student id is a glob there; escaping keeps it literal)
        with temp_attrs(app.coursedir, assignment_id=assignment, student_id=glob.escape(student)):
            converter = Autograde(coursedir=app.coursedir, parent=app)
            if task.get("force"):  # a resubmission (instructor.resubmit): grade it again
                converter.force = True
            result = capture_log(converter)
        log = result.get("log", "")
        event = dict(event="done", assignment=assignment, student=student,
                     seconds=round(time.monotonic() - t0, 3), score=None, max_score=None,
                     needs_manual_grade=None, reason="", log_path="")
        if not result["success"]:
            event["outcome"] = "failed"
            text = log + "\n" + result.get("error", "")
            event["reason"] = failure_reason(text)
            log_path = Path(args.log_dir) / assignment / f"{student}.log"
            log_path.parent.mkdir(parents=True, exist_ok=True)
            log_path.write_text(text, encoding="utf-8")
            event["log_path"] = str(log_path)
        elif "Skipping existing assignment" in log or not _written_since(app, assignment,
                                                                          student, started):
            event["outcome"] = "skipped"  # already autograded, submission unchanged
        else:
            event["outcome"] = "graded"
        try:
            with Gradebook(args.db_url, app.coursedir.course_id) as gb:
                sub = gb.find_submission(assignment, student)
                event.update(score=float(sub.score), max_score=float(sub.max_score),
                             needs_manual_grade=bool(sub.needs_manual_grade))
        except MissingEntry:
            pass
        send(**event)
    return 0


if __name__ == "__main__":
    sys.exit(main())
