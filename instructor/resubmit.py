"""Resubmissions: regrade a submission when its content changed, not when its clock did.

nbgrader's ``autograde`` skips a submission that is already in ``autograded/`` unless
``--force`` is given or the submission's ``timestamp.txt`` is newer than the graded one's.
An LMS export has no ``timestamp.txt`` (or the same one again), so a corrected notebook that
``collect`` put into ``submitted/`` kept its old grade. This module decides from the
content instead: after each grading the parent records a SHA-256 of the submitted files
beside the graded copy (``autograded/<student>/.<assignment>.graded.json``, outside the
folder nbgrader and ``generate_feedback`` read); the next ``autograde`` compares the
submission with that record and regrades, with nbgrader's ``--force`` for that one
submission, exactly those whose files changed.

A graded submission with no record (graded before this existed, or by plain
``nbgrader autograde``) keeps nbgrader's rule; the summary says so.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

from .course import Course

#: Files in a submission folder that are not what the student handed in.
_IGNORED = {".ipynb_checkpoints", "__pycache__"}


def content_hash(folder: Path) -> str:
    """SHA-256 over every file of a submission folder (relative path and bytes, sorted);
    ``timestamp.txt`` counts too: a later hand-in of the same file is a new submission."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder)
        if _IGNORED & set(rel.parts):
            continue
        h.update(rel.as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def record_path(course: Course, assignment: str, student: str) -> Path:
    graded = course.path(course.autograded, student, assignment)
    return graded.parent / f".{assignment}.graded.json"


def read_record(course: Course, assignment: str, student: str) -> dict | None:
    try:
        return json.loads(record_path(course, assignment, student).read_text())
    except (OSError, ValueError):
        return None


def write_record(course: Course, assignment: str, student: str, digest: str) -> None:
    path = record_path(course, assignment, student)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"sha256": digest,
                                "graded_at": time.strftime("%Y-%m-%d %H:%M:%S")}) + "\n")


@dataclass
class Decision:
    """Whether to grade one submission, and why (for the summary)."""

    assignment: str
    student: str
    digest: str          # the submission's content hash now
    regrade: bool        # grade it with --force: its content changed since it was graded
    reason: str          # "" (new, or unchanged), or why it is regraded / kept


def decide(course: Course, assignment: str, student: str) -> Decision:
    digest = content_hash(course.path(course.submitted, student, assignment))
    graded = course.notebook_files(course.autograded, student, assignment)
    if not graded:
        return Decision(assignment, student, digest, False, "")
    record = read_record(course, assignment, student)
    if record is None:
        return Decision(assignment, student, digest, False,
                        "graded without a record of its content: nbgrader's timestamp rule")
    if record.get("sha256") != digest:
        return Decision(assignment, student, digest, True,
                        f"resubmitted: the submitted files changed since they were graded "
                        f"({record.get('graded_at', 'earlier')})")
    return Decision(assignment, student, digest, False, "")


def hand_graded(course: Course, pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """The submissions among ``pairs`` where a person entered a score (which a
    regrade puts back to "needs manual grading": nbgrader keeps the score but asks again)."""
    from nbgrader.api import MissingEntry

    out = set()
    if not pairs:
        return out
    with course.gradebook() as gb:
        for a, s in pairs:
            try:
                sub = gb.find_submission(a, s)
            except MissingEntry:
                continue
            if any(g.manual_score is not None for nb in sub.notebooks for g in nb.grades):
                out.add((a, s))
    return out
