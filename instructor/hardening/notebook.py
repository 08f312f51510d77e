"""An nbgrader notebook as the hardening reads it: cells, parts, hidden tests, findings.

Findings are kept in the notebook's metadata (``METADATA_KEY``) from the sanitizing step
(:mod:`.audit`) through autograding (:mod:`.execute`) to the gradebook and the feedback
(:mod:`.audit`, :mod:`.feedback`); :func:`collect_findings` reads them back for reports.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable

import nbformat
from nbformat.notebooknode import NotebookNode

#: key of the notebook metadata where findings are kept (autograded notebook)
METADATA_KEY = "nbgrader_hardening"
HIDDEN_BEGIN = "BEGIN HIDDEN TESTS"
HIDDEN_END = "END HIDDEN TESTS"

# Severity of a finding. "review": the part's grade may be wrong (a cheat attempt, or the
# sandbox stopped something): the part is marked *needs manual grade*. "notice": the
# submission was repaired or a limit applied; the score stands, and it is reported.
REVIEW, NOTICE = "review", "notice"


# --------------------------------------------------------------------------------------
# findings kept in the notebook metadata (sanitizing -> autograding -> gradebook/feedback)
# --------------------------------------------------------------------------------------

def _findings(nb: NotebookNode) -> list[dict]:
    meta = nb.metadata.setdefault(METADATA_KEY, {})
    return meta.setdefault("findings", [])


def add_finding(nb: NotebookNode, kind: str, severity: str, message: str,
                cell: str | None = None, part: str | None = None) -> dict:
    """Record one finding; ``cell`` is the grade_id it concerns, ``part`` its answer cell."""
    finding = {"kind": kind, "severity": severity, "message": message}
    if cell:
        finding["cell"] = cell
    if part:
        finding["part"] = part
    found = _findings(nb)
    if finding not in found:
        found.append(finding)
    return finding


def findings(nb: NotebookNode) -> list[dict]:
    """The findings recorded for a notebook (empty if none)."""
    return list(nb.metadata.get(METADATA_KEY, {}).get("findings", []))


def _nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _is_answer(cell) -> bool:
    m = _nbg(cell)
    return bool(m.get("solution")) and not m.get("grade")


def _is_test(cell) -> bool:
    m = _nbg(cell)
    return cell.get("cell_type") == "code" and bool(m.get("grade")) and not m.get("solution")


def parts_of(cells: Iterable) -> dict[str, list[str]]:
    """``{answer grade_id: [test grade_ids after it]}``; a manually graded answer is its own part."""
    parts: dict[str, list[str]] = {}
    current = None
    for cell in cells:
        m = _nbg(cell)
        gid = m.get("grade_id")
        if not gid:
            continue
        if _is_answer(cell):
            current = gid
            parts[gid] = []
        elif m.get("grade") and m.get("solution"):
            parts[gid] = [gid]
        elif _is_test(cell) and current is not None:
            parts[current].append(gid)
    return parts


def part_of_cell(cells: list, index: int) -> str | None:
    """The answer cell (grade_id) that the cell at ``index`` belongs to, if any."""
    for cell in reversed(cells[:index + 1]):
        if _is_answer(cell):
            return _nbg(cell)["grade_id"]
    return None


def release_source(master_source: str) -> str:
    """A test cell's source as students see it: the hidden region removed (as nbgrader does)."""
    out, hidden = [], False
    for line in master_source.split("\n"):
        if HIDDEN_BEGIN in line:
            hidden = True
        elif HIDDEN_END in line:
            hidden = False
        elif not hidden:
            out.append(line)
    return "\n".join(out)


def hidden_lines(master_source: str, min_length: int = 16) -> set[str]:
    """The distinctive lines of a cell's hidden region (stripped), used to spot leaks."""
    lines, hidden = set(), False
    for line in master_source.split("\n"):
        if HIDDEN_BEGIN in line:
            hidden = True
        elif HIDDEN_END in line:
            hidden = False
        elif hidden:
            text = line.strip()
            if len(text) >= min_length:
                lines.add(text)
    return lines


# --------------------------------------------------------------------------------------
# outputs and the student's own lines (leak detection, feedback redaction)
# --------------------------------------------------------------------------------------

def _own_lines(nb) -> set[str]:
    """Stripped lines of the student's own cells: quoting them is not a leak."""
    lines = set()
    for cell in nb.cells:
        if not _nbg(cell).get("grade"):
            lines |= {line.strip() for line in cell.get("source", "").split("\n")}
    return lines


def _output_texts(cell) -> list[str]:
    texts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            texts.append(out.text)
        elif out.output_type == "error":
            texts.append(out.evalue)
            texts.extend(out.traceback)
        else:
            for value in out.get("data", {}).values():
                texts.append(value if isinstance(value, str) else json.dumps(value))
    return texts


def collect_findings(course_root: str | os.PathLike, assignment: str,
                     autograded: str = "autograded") -> dict[str, dict]:
    """``{student: hardening metadata}`` of every autograded notebook of an assignment
    (findings, kernel restarts, sandbox, parts held for review), for reports."""
    out = {}
    for path in sorted(Path(course_root, autograded).glob(f"*/{assignment}/*.ipynb")):
        try:
            nb = nbformat.read(str(path), as_version=4)
        except Exception:  # noqa: BLE001
            continue
        out.setdefault(path.parent.parent.name, {})[path.stem] = nb.metadata.get(METADATA_KEY, {})
    return out
