"""Grades out of the gradebook, as nbgrader export plugins (``nbgrader export --exporter=...``).

- :class:`GradesCsvExporter` -- ``grades.csv``: nbgrader's own columns, one row for every
  student of the gradebook (the roster, ``make roster``) and every assignment, sorted by
  assignment and student, with a ``note`` saying why a score is 0 or not final
  ("nothing handed in", "skipped at collect: <file>", "failed to grade", "needs manual
  grading").
- :class:`CanvasCsvExporter` -- a Canvas gradebook import file: ``Student, ID, SIS User
  ID, SIS Login ID, Section`` and one column per assignment, ``ID`` being the roster's
  ``lms_user_id``.

Both are what nbgrader's ``ExportApp`` calls with its open gradebook; the ``--assignment``
and ``--student`` filters of ``nbgrader export`` apply.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import ExportPlugin

NOTHING = "nothing handed in"
FAILED = "failed to grade: see logs/autograde/"
MANUAL = "needs manual grading (those cells count 0)"

COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name",
           "email", "raw_score", "late_submission_penalty", "score", "max_score", "note"]


def collect_skipped(root: Path, config, coursedir, assignment: str) -> list[str]:
    """Files of the last LMS export of ``assignment`` that ``collect`` skipped, as it
    recorded them in nbgrader's ``downloaded/<a>/skipped.txt``."""
    zc = config.get("ZipCollectApp", {}) if config is not None else {}
    listed = Path(root) / zc.get("downloaded_directory", "downloaded") / assignment / "skipped.txt"
    try:
        return [ln for ln in listed.read_text(encoding="utf-8").splitlines() if ln.strip()]
    except OSError:
        return []


def _mentions(path: str, student: str) -> bool:
    return re.search(rf"(?:^|[/_\s]){re.escape(student)}(?:[/_\s.]|$)", path) is not None


def grade_rows(gb: Gradebook, coursedir, config=None, assignments=(), students=()) -> list[dict]:
    """One dict per (assignment, student) of the gradebook, sorted, with ``note``."""
    root = Path(coursedir.root)
    rows = []
    for a in sorted(gb.assignments, key=lambda a: a.name):
        if assignments and a.name not in assignments:
            continue
        skipped = collect_skipped(root, config, coursedir, a.name)
        for st in sorted(gb.students, key=lambda s: s.id):
            if students and st.id not in students:
                continue
            row = dict(assignment=a.name, duedate=a.duedate or "", student_id=st.id,
                       last_name=st.last_name or "", first_name=st.first_name or "",
                       email=st.email or "", max_score=a.max_score)
            graded = Path(coursedir.format_path(coursedir.autograded_directory, st.id, a.name))
            submitted = Path(coursedir.format_path(coursedir.submitted_directory, st.id, a.name))
            try:
                sub = gb.find_submission(a.name, st.id)
            except MissingEntry:
                sub = None
            if sub is None:
                row.update(timestamp="", raw_score=0.0, late_submission_penalty=0.0, score=0.0)
                mine = [f for f in skipped if _mentions(f, st.id)]
                if mine:
                    note = f"skipped at collect: {mine[0]} (its name fits no layout)"
                elif submitted.is_dir():
                    note = "handed in, not graded yet: make autograde"
                else:
                    note = NOTHING
            else:
                penalty = sub.late_submission_penalty or 0.0
                row.update(timestamp=sub.timestamp or "", raw_score=sub.score,
                           late_submission_penalty=penalty,
                           score=max(0.0, sub.score - penalty))
                if not any(graded.glob("*.ipynb")):
                    note = FAILED if submitted.is_dir() else NOTHING
                elif sub.needs_manual_grade:
                    note = MANUAL
                else:
                    note = f"late: -{penalty:g}" if penalty else ""
            row["note"] = note
            rows.append(row)
    return rows


class GradesCsvExporter(ExportPlugin):
    """``grades.csv``: every rostered student, every assignment, sorted, with a note."""

    def export(self, gradebook: Gradebook) -> None:
        dest = self.to or "grades.csv"
        app = self.parent
        rows = grade_rows(gradebook, app.coursedir, getattr(app, "config", None),
                          [str(a) for a in self.assignment], [str(s) for s in self.student])
        with open(dest, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, COLUMNS)
            w.writeheader()
            for r in rows:
                w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in COLUMNS})
        self.log.info("Exported %d rows to %s", len(rows), os.path.abspath(dest))


class CanvasCsvExporter(ExportPlugin):
    """A Canvas gradebook import CSV: one row per student, one column per assignment."""

    def export(self, gradebook: Gradebook) -> None:
        dest = self.to or "canvas-grades.csv"
        app = self.parent
        rows = grade_rows(gradebook, app.coursedir, getattr(app, "config", None),
                          [str(a) for a in self.assignment], [str(s) for s in self.student])
        names = sorted({r["assignment"] for r in rows})
        maxes = {r["assignment"]: r["max_score"] for r in rows}
        students = {s.id: s for s in gradebook.students}
        with open(dest, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *names])
            w.writerow(["Points Possible", "", "", "", "", *(maxes[a] for a in names)])
            for sid in sorted({r["student_id"] for r in rows}):
                st = students[sid]
                name = ", ".join(x for x in (st.last_name, st.first_name) if x) or sid
                score = {r["assignment"]: r["score"] for r in rows if r["student_id"] == sid}
                w.writerow([name, st.lms_user_id or "", sid, st.email or "", "",
                            *(score[a] for a in names)])
        self.log.info("Exported %d students to %s (Canvas)", len(students), os.path.abspath(dest))


GRADES_CSV = f"{GradesCsvExporter.__module__}.{GradesCsvExporter.__qualname__}"
CANVAS_CSV = f"{CanvasCsvExporter.__module__}.{CanvasCsvExporter.__qualname__}"
