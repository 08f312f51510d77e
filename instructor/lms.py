"""LMS exports as they come: nbgrader collector plugins for Canvas and Moodle file names.

``make collect ASSIGNMENT=ch02 ARCHIVE=export.zip LMS=canvas`` (or ``LMS=moodle``) runs
nbgrader's ``zip_collect`` with one of these collectors instead of the plain layouts of
:mod:`instructor.collect`:

- **Canvas** ("Download Submissions"): ``smithjohn_123456_7891011_ch02.ipynb`` -- the
  name slug, the Canvas user id, the submission id, then the file as the student uploaded
  it; ``smithjohn_LATE_123456_...`` when Canvas marked it late; a resubmission gets
  ``-1``, ``-2``, ... before ``.ipynb`` (the highest number is the newest).
- **Moodle** ("Download all submissions"): ``Carol Smith_1234_assignsubmission_file_ch02.ipynb``
  or a folder ``Carol Smith_1234_assignsubmission_file_/ch02.ipynb`` -- the full name
  (with spaces) and Moodle's participant id.

The student id is read from the roster (``make roster``): the student whose
``lms_user_id`` is the export's number, else whose "first last" name is the export's
name; without a roster entry, Canvas's name slug and Moodle's participant number are used
(``moodle-1234``). Of several versions of one notebook, only the newest is collected; the
others are skipped and listed. Neither export puts the submission time in the file name,
so no ``timestamp.txt`` is written from it (a ``_LATE_`` mark is logged); the plain layout
records ``<student>/timestamp.txt`` when the export has one (what ``nbgrader submit``
writes).
"""

from __future__ import annotations

import os
import re

from nbgrader.plugins import FileNameCollectorPlugin

from .collect import STUDENT_ID, released_notebooks

CANVAS = re.compile(r"^(?P<slug>[a-z0-9]+?)(?P<late>_LATE)?_(?P<user>\d+)_(?P<sub>\d+)_"
                    r"(?P<file>.+?)(?:-(?P<version>\d+))?\.ipynb$")
MOODLE = re.compile(r"^(?P<name>[^/_]+)_(?P<user>\d+)_assignsubmission_file_/?"
                    r"(?P<file>[^/]+?)\.ipynb$")


def _roster(app) -> tuple[dict[str, str], dict[str, str]]:
    """``({lms_user_id: id}, {"first last" lowercased: id})`` from the gradebook."""
    from nbgrader.api import Gradebook

    by_lms, by_name = {}, {}
    try:
        with Gradebook(app.coursedir.db_url, app.coursedir.course_id) as gb:
            for s in gb.students:
                if s.lms_user_id:
                    by_lms[str(s.lms_user_id)] = s.id
                name = " ".join(x for x in (s.first_name, s.last_name) if x).lower()
                if name:
                    by_name[name] = s.id
    except Exception:  # no gradebook yet: the names of the export are used
        pass
    return by_lms, by_name


class _PresetCollector(FileNameCollectorPlugin):
    """Shared: match the path inside ``extracted/``, map the student, keep the newest."""

    pattern: re.Pattern
    _plan: dict | None = None

    def parse(self, rel: str):  # -> (student key, lms number, name, notebook stem, version)
        raise NotImplementedError

    def _student(self, number: str, name: str, fallback: str) -> str:
        by_lms, by_name = self._ids
        return by_lms.get(number) or by_name.get(name.lower()) or fallback

    def _make_plan(self, extracted: str) -> dict:
        app = self.parent
        stems = {n[:-len(".ipynb")] for n in released_notebooks(app, app.coursedir.assignment_id)}
        self._ids = _roster(app)
        best: dict[tuple[str, str], tuple[int, str]] = {}
        plan: dict[str, dict | None] = {}
        for root, _, files in os.walk(extracted):
            for f in files:
                rel = os.path.relpath(os.path.join(root, f), extracted).replace(os.sep, "/")
                got = self.parse(rel)
                if got is None or got[1] not in stems:
                    plan[rel] = None
                    continue
                student, stem, version = got
                key = (student, stem)
                if key not in best or version > best[key][0]:
                    if key in best:
                        plan[best[key][1]] = None
                    best[key] = (version, rel)
                    plan[rel] = {"student_id": student, "file_id": stem + ".ipynb"}
                else:
                    plan[rel] = None
        return plan

    def collect(self, submitted_file: str):
        app = self.parent
        extracted = app._format_collect_path(app.extracted_directory)
        if self._plan is None:
            self._plan = self._make_plan(extracted)
        rel = os.path.relpath(submitted_file, extracted).replace(os.sep, "/")
        info = self._plan.get(rel)
        if info is None:
            self.log.warning("Skipped, the name fits no %s export name (or an older version): %s",
                             type(self).__name__.replace("Collector", ""), rel)
        return info


class CanvasCollector(_PresetCollector):
    def parse(self, rel: str):
        m = CANVAS.match(rel.rsplit("/", 1)[-1])
        if not m:
            return None
        if m.group("late"):
            self.log.info("Canvas marked %s late", rel)
        student = self._student(m.group("user"), "", m.group("slug"))
        return student, m.group("file"), int(m.group("version") or 0)


class MoodleCollector(_PresetCollector):
    def parse(self, rel: str):
        m = MOODLE.search(rel)
        if not m:
            return None
        fallback = f"moodle-{m.group('user')}"
        student = self._student(m.group("user"), m.group("name"), fallback)
        return student, m.group("file"), 0


PRESETS = {
    "canvas": f"{CanvasCollector.__module__}.{CanvasCollector.__qualname__}",
    "moodle": f"{MoodleCollector.__module__}.{MoodleCollector.__qualname__}",
}
assert re.fullmatch(STUDENT_ID, "moodle-1234")
