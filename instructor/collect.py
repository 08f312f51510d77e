"""Collect an LMS export into ``submitted/`` with nbgrader's own ``zip_collect``.

The export (a folder, or a ``.zip``; zips inside are unpacked too) may name each student's
notebook in either of two ways, which is what Moodle, Canvas, Brightspace and a plain
"download all" give after at most a rename:

- ``<student>_<notebook>.ipynb`` -- e.g. ``alice_ch02.ipynb`` (in any sub-folder);
- ``<student>/<notebook>.ipynb`` -- a folder per student, e.g. ``alice/ch02.ipynb``; a
  zip per student, ``alice.zip`` holding ``ch02.ipynb``, is the same thing once unpacked.

``<notebook>`` is a released notebook of the assignment (``ch02`` for ``ch02``);
``<student>`` is the student id: letters, digits and ``. _ @ + -``, starting with a letter
or digit. Anything else (other names, hidden files, ``__MACOSX/``) is skipped and listed.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from nbgrader.plugins import FileNameCollectorPlugin

STUDENT_ID = r"[A-Za-z0-9][\w.@+-]*"

LAYOUT_HELP = """\
ARCHIVE is a folder or a .zip as the LMS exports it (zips inside are unpacked too), with
each notebook named in one of two ways:
  <student>_<notebook>.ipynb   e.g. alice_ch02.ipynb   (in any sub-folder)
  <student>/<notebook>.ipynb   e.g. alice/ch02.ipynb   (a folder, or alice.zip, per student)
<notebook> is a released notebook of the assignment (ch02.ipynb for ch02); <student> is
the student id: letters, digits and . _ @ + -, starting with a letter or digit. Files that
fit neither are skipped and listed. A student's earlier submission is replaced."""


def lms_regexp(notebooks: list[str]) -> str:
    """The ``FileNameCollectorPlugin.named_regexp`` for the two layouts above.

    It is matched against the path relative to nbgrader's ``extracted`` folder;
    ``notebooks`` are the released notebook file names (``["ch02.ipynb"]``).
    """
    stems = sorted((n[:-len(".ipynb")] for n in notebooks if n.endswith(".ipynb")),
                   key=len, reverse=True)
    names = "|".join(re.escape(s) for s in stems) or r"(?!)"
    return (r"^(?!(?:.*/)?(?:\.|__MACOSX/))"      # no hidden files, no macOS zip debris
            r"(?:.*/)?"                            # any folders above (the zip's own, ...)
            rf"(?P<student_id>{STUDENT_ID})[_/]"   # <student>_ or <student>/
            rf"(?P<file_id>(?:{names})\.ipynb)$")  # <notebook>.ipynb


def released_notebooks(course, assignment: str) -> list[str]:
    from nbgrader.utils import find_all_notebooks

    release = course.coursedir.format_path(course.coursedir.release_directory, ".", assignment)
    return sorted(find_all_notebooks(release)) if os.path.isdir(release) else []


class LmsCollector(FileNameCollectorPlugin):
    """nbgrader's file-name collector with the course's LMS layouts (:func:`lms_regexp`).

    The regular expression is matched against the path inside nbgrader's ``extracted``
    folder, so folder names above it cannot confuse it.
    """

    def _match(self, filename: str):
        # nbgrader's own _match logs the whole regular expression for every file it skips;
        # the summary of `collect` names the skipped files and the layouts instead
        m = re.match(self.named_regexp, filename)
        return m.groupdict() if m and m.groups() else None

    def collect(self, submitted_file: str):
        app = self.parent
        extracted = app._format_collect_path(app.extracted_directory)
        rel = os.path.relpath(submitted_file, extracted).replace(os.sep, "/")
        if not self.named_regexp:
            self.named_regexp = lms_regexp(released_notebooks(app, app.coursedir.assignment_id))
        info = super().collect(rel)
        if info is None:
            self.log.warning("Skipped, the name fits no LMS layout: %s", rel)
            return None
        # the submission time, where the export has it: a timestamp.txt beside the notebook
        # (what `nbgrader submit` writes), as nbgrader's own collect reads it
        stamp = os.path.join(os.path.dirname(submitted_file), "timestamp.txt")
        if os.path.dirname(rel) and os.path.isfile(stamp):
            with open(stamp, encoding="utf-8") as fh:
                info["timestamp"] = fh.read().strip()
        return info


def classify(root: Path, notebooks: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """``({student: [files]}, [skipped files])`` for the files under ``root`` (relative paths)."""
    rx = re.compile(lms_regexp(notebooks))
    students: dict[str, list[str]] = {}
    skipped = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        m = rx.match(rel)
        if m:
            students.setdefault(m.group("student_id"), []).append(rel)
        else:
            skipped.append(rel)
    return students, skipped


_COPY_SUFFIX = re.compile(r"^(?P<stem>.+?)(?:\s*\(\d+\)|-\d+|\s+copy)\.ipynb$")


def fix_for(rel: str, notebooks: list[str]) -> str | None:
    """The name a skipped file would be collected under, when it looks like a browser's or
    the LMS's copy (``alice_ch02 (1).ipynb`` -> ``alice_ch02.ipynb``), else None."""
    m = _COPY_SUFFIX.match(rel)
    if not m:
        return None
    candidate = m.group("stem") + ".ipynb"
    return candidate if re.match(lms_regexp(notebooks), candidate) else None


def layouts(notebooks: list[str]) -> str:
    """The accepted names for these notebooks, for messages."""
    nb = notebooks[0] if notebooks else "<notebook>.ipynb"
    return f"<student>_{nb} or <student>/{nb}"


def stage(archive: Path, dest: Path) -> None:
    """Put an export (folder or archive file) into nbgrader's ``archive`` folder ``dest``."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    if archive.is_dir():
        shutil.copytree(archive, dest, dirs_exist_ok=True)
    elif archive.is_file():
        shutil.copy2(archive, dest / archive.name)
    else:
        raise FileNotFoundError(f"no such folder or file: {archive}")


# `python -m nbgrader zip_collect --collector=...` finds the plugin by this dotted name
COLLECTOR = f"{LmsCollector.__module__}.{LmsCollector.__qualname__}"
