"""The committed student releases in exercises/ are exactly what nbgrader makes from solutions/.

For every assignment in solutions/: the release is regenerated with the real
`nbgrader generate_assignment` in a throwaway copy and compared with the committed one,
field by field (nbgrader 0.9.6's output is deterministic: the cell ids come from the master
copy and the checksums from the cell sources, so nothing needs normalizing). The committed
release is also checked directly: no solution and no hidden test in it, no outputs.

If these fail after editing a master copy, regenerate the release with `make exercises`
(the venv's bin must be on PATH: nbgrader runs `alembic`) and commit exercises/.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from grading_utils import ROOT, assignments, make_course_copy, nbgrader_meta, read_notebook, run_nbgrader

ASSIGNMENTS = assignments()
DELIMITERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.is_file() and ".ipynb_checkpoints" not in p.parts)


def _release_notebooks(assignment: str) -> list[Path]:
    return sorted((ROOT / "exercises" / assignment).glob("*.ipynb"))


def _hidden_lines(master) -> set[str]:
    """Lines that only the instructor may see: solution regions (or whole solution cells
    without delimiters, which nbgrader replaces entirely) and hidden-test regions; minus
    lines that also occur elsewhere in the master copy, and short ones (`return x`)."""
    secret, public = set(), set()
    for cell in master.cells:
        meta = nbgrader_meta(cell)
        lines = cell.source.splitlines()
        whole = meta.get("solution") and not any("### BEGIN SOLUTION" in ln for ln in lines)
        inside = False
        for line in lines:
            if any(d in line for d in DELIMITERS):
                inside = "BEGIN" in line
                continue
            (secret if (inside or whole) else public).add(line.strip())
    return {ln for ln in secret - public if len(ln) >= 12}


def test_every_release_has_a_master_copy():
    released = sorted(p.name for p in (ROOT / "exercises").iterdir() if p.is_dir())
    assert released == ASSIGNMENTS, "exercises/ and solutions/ must hold the same assignments"


def _book_macros() -> list[str]:
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return sorted(config["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"])


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_master_copy_uses_no_macro_of_the_book(assignment):
    """The book's MathJax defines \\vv, \\R, \\T, ... (``_config.yml``); a student's
    JupyterLab does not, and shows each as a red error. Assignments use plain LaTeX."""
    import re

    macros = _book_macros()
    assert "vv" in macros and "R" in macros, macros
    pattern = re.compile(r"\\(" + "|".join(map(re.escape, macros)) + r")(?![A-Za-z])")
    for path in sorted((ROOT / "solutions" / assignment).glob("*.ipynb")):
        for cell in read_notebook(path).cells:
            if cell.cell_type == "markdown":
                used = sorted(set(pattern.findall(cell.source)))
                assert not used, (f"{path.name}, cell {cell.get('id')}: book-only macros "
                                  f"{used} (write \\mathbf{{x}}, \\mathbb{{R}}, ^\\mathsf{{T}})")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_master_copy_is_stored_without_outputs(assignment):
    for path in sorted((ROOT / "solutions" / assignment).glob("*.ipynb")):
        nb = read_notebook(path)
        assert nb.metadata.get("kernelspec", {}).get("name") == "python3", path
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, (
                    f"{path.name}: cell {cell.get('id')} has outputs; clear them before committing")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_release_has_no_solutions_hidden_tests_or_outputs(assignment):
    notebooks = _release_notebooks(assignment)
    assert notebooks, f"exercises/{assignment} has no notebook"
    for path in notebooks:
        text = path.read_text(encoding="utf-8")
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            assert marker not in text, f"{path.relative_to(ROOT)} contains {marker!r}"
        master = read_notebook(ROOT / "solutions" / assignment / path.name)
        secret = _hidden_lines(master)
        assert secret, f"found no solution lines to look for in solutions/{assignment}/{path.name}"
        release = read_notebook(path)
        released_lines = {ln.strip() for cell in release.cells for ln in cell.source.splitlines()}
        leaked = sorted(secret & released_lines)
        assert not leaked, f"{path.relative_to(ROOT)} contains solution/hidden-test lines: {leaked[:5]}"
        for cell in release.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, (
                    f"{path.relative_to(ROOT)}: cell {cell.get('id')} has outputs")


def _differences(committed: dict, fresh: dict) -> list[str]:
    """Readable differences between two notebooks' JSON (empty if equal)."""
    out = []
    for key in sorted(set(committed) | set(fresh)):
        if key != "cells" and committed.get(key) != fresh.get(key):
            out.append(f"notebook {key}: committed {committed.get(key)!r} != regenerated {fresh.get(key)!r}")
    old, new = committed.get("cells", []), fresh.get("cells", [])
    if len(old) != len(new):
        out.append(f"{len(old)} cells committed, {len(new)} regenerated")
    for i, (a, b) in enumerate(zip(old, new)):
        if a == b:
            continue
        name = b.get("metadata", {}).get("nbgrader", {}).get("grade_id") or b.get("id")
        fields = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        out.append(f"cell {i} ({name}) differs in {fields}")
        if "source" in fields:
            src = lambda c: "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            out.extend(difflib.unified_diff(src(a).splitlines(), src(b).splitlines(),
                                            "committed", "regenerated", lineterm="", n=1))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_release_equals_regenerated_release(tmp_path, assignment):
    course = make_course_copy(tmp_path, [assignment])
    run_nbgrader(course, "generate_assignment", assignment, "--force")
    fresh_dir = course / "exercises" / assignment
    committed_dir = ROOT / "exercises" / assignment
    assert _files(committed_dir) == _files(fresh_dir), "the release's files differ"
    for name in _files(fresh_dir):
        fresh, committed = fresh_dir / name, committed_dir / name
        if name.endswith(".ipynb"):
            # every field is compared: cell types, sources, ids, nbgrader metadata
            # (checksums included), outputs, notebook metadata
            diffs = _differences(json.loads(committed.read_text(encoding="utf-8")),
                                 json.loads(fresh.read_text(encoding="utf-8")))
            assert not diffs, (f"exercises/{assignment}/{name} is not what nbgrader makes from "
                               "solutions/; run `make exercises` and commit:\n" + "\n".join(diffs[:60]))
        else:
            assert committed.read_bytes() == fresh.read_bytes(), f"exercises/{assignment}/{name} differs"
