"""Reading a submission: one nbgrader cannot read is graded as empty and held for review.

:class:`TolerantNotebookExporter` reads it; :func:`diagnose_submission` says, in words an
instructor can use, why nbgrader would skip or fail a submission folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
from nbconvert.exporters import NotebookExporter

from .notebook import REVIEW, add_finding

# --------------------------------------------------------------------------------------
# Reading: a submission that is not a notebook becomes an empty one, held for review
# --------------------------------------------------------------------------------------

class TolerantNotebookExporter(NotebookExporter):
    """Reads a submission nbgrader cannot read (not JSON, not UTF-8, empty, not a
    notebook) as a notebook with no cells, with a ``review`` finding that says why.

    :class:`AuditSubmission` then puts every cell back (answers as empty stubs), so the
    submission is graded 0 with every part held for review, instead of failing with
    no grade. The submitted file itself is left as it is, for the instructor.
    """

    def from_file(self, file_stream, resources=None, **kw):
        try:
            nb = nbformat.read(file_stream, as_version=4)
        except Exception as exc:  # noqa: BLE001 -- whatever the file is, it is not gradable
            name = getattr(file_stream, "name", "")
            problems = diagnose_submission(Path(name).parent, Path(name).stem) if name else []
            problem = problems[0] if problems else f"{type(exc).__name__}: {exc}"
            nb = nbformat.v4.new_notebook()
            add_finding(nb, "unreadable", REVIEW,
                        f"The submitted file could not be read: {problem}. It was graded as an "
                        "empty notebook (0 points) and is held for review; the file is kept "
                        "unchanged in submitted/.")
            self.log.warning("hardening: unreadable submission %s: %s", name, problem)
            resources = resources if resources is not None else {}
            resources["hardening_unreadable"] = True
        return self.from_notebook_node(nb, resources=resources, **kw)


# --------------------------------------------------------------------------------------
# Intake check: why nbgrader would refuse a submission, in words an instructor can use
# --------------------------------------------------------------------------------------

def diagnose_submission(folder: str | os.PathLike, notebook: str) -> list[str]:
    """Problems that make nbgrader skip or fail a submission folder (empty list: none).

    ``folder`` is ``submitted/<student>/<assignment>``; ``notebook`` the expected name
    without ``.ipynb``. Covers a missing or wrongly named notebook, an empty file, text
    that is not UTF-8, and a file that is not a notebook (not JSON, or not nbformat 4).
    """
    folder = Path(folder)
    expected = folder / f"{notebook}.ipynb"
    problems = []
    if not folder.is_dir():
        return [f"no submission folder {folder}"]
    others = sorted(p.name for p in folder.glob("*.ipynb") if p.name != expected.name)
    if not expected.exists():
        hint = f"; found {', '.join(others)} (rename it to {expected.name})" if others else ""
        return [f"no notebook named {expected.name}{hint}"]
    raw = expected.read_bytes()
    if not raw.strip():
        return [f"{expected.name} is empty (0 bytes of content)"]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [f"{expected.name} is not UTF-8 text (byte {raw[exc.start]:#04x} at offset "
                f"{exc.start}); re-save it from Jupyter, or convert it, e.g. "
                f"`iconv -f latin1 -t utf-8`"]
    try:
        data = json.loads(text)
    except ValueError as exc:
        return [f"{expected.name} is not valid JSON ({exc}); the file is damaged or not a notebook"]
    if not isinstance(data, dict) or data.get("nbformat") != 4 or not isinstance(data.get("cells"), list):
        problems.append(f"{expected.name} is JSON but not a version-4 Jupyter notebook")
    if others:
        problems.append(f"extra notebooks ignored by the grader: {', '.join(others)}")
    return problems
