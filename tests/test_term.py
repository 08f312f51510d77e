"""The instructor's term, with real nbgrader runs on a real gradebook (no mocks).

A resubmission is regraded because its content changed (and an unchanged one is not); a
hand grade that a regrade puts back to "needs manual grading" is named; a roster gives
every rostered student a row in grades.csv with a reason; the commands that could lose a
gradebook refuse without an explicit flag; an unknown assignment names the valid ones; a
collect that matches nothing says so once and exits non-zero.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grading_utils import (
    ROOT, make_course_copy, make_submission, read_notebook, solution_cells, write_submission,
)
from test_instructor import instructor

sys.path.insert(0, str(ROOT))
from instructor.demo import answer_parts  # noqa: E402

A = "ch02"
slow = pytest.mark.slow


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    """A released ch02 course; alice hands in a partial notebook, which is graded."""
    course = make_course_copy(tmp_path_factory.mktemp("term"), [A])
    run = instructor(course, "release", A)
    assert run.returncode == 0, run.stdout + run.stderr
    master = read_notebook(course / "solutions" / A / f"{A}.ipynb")
    release = read_notebook(course / "exercises" / A / f"{A}.ipynb")
    sol, parts = solution_cells(master), answer_parts(master)
    write_submission(course, A, "alice", make_submission(release, {parts[0]: sol[parts[0]]}))
    first = instructor(course, "autograde", A, "--jobs", "1")
    assert first.returncode == 0, first.stdout + first.stderr
    return course, master, release, sol, parts, first


def _score(run: subprocess.CompletedProcess, student: str) -> float:
    m = re.search(rf"ch02/{student}\s+\S.*?(\d+\.\d) / 28\.0", run.stdout)
    assert m, run.stdout
    return float(m.group(1))


@slow
def test_resubmission_is_regraded_by_content(term):
    course, master, release, sol, parts, first = term
    before = _score(first, "alice")
    # unchanged: skipped, as before
    same = instructor(course, "autograde", A, "--jobs", "1")
    assert re.search(r"^\s*ch02\s+1\s+0\s+0\s+0\s+1\s*$", same.stdout, re.M), same.stdout
    assert "resubmitted" not in same.stdout
    # the corrected notebook replaces the first one (as collect does): graded again, and
    # the summary says which and why
    write_submission(course, A, "alice", make_submission(release, {p: sol[p] for p in parts}))
    again = instructor(course, "autograde", A, "--jobs", "1")
    assert again.returncode == 0, again.stdout + again.stderr
    assert _score(again, "alice") > before
    assert "1 resubmitted since graded" in again.stdout
    assert re.search(r"regraded \(resubmitted.*\n\s+ch02/alice: resubmitted: the submitted "
                     r"files changed", again.stdout), again.stdout
    # and once graded, the same files are not graded a third time
    third = instructor(course, "autograde", A, "--jobs", "1")
    assert re.search(r"^\s*ch02\s+1\s+0\s+0\s+0\s+1\s*$", third.stdout, re.M), third.stdout


@slow
def test_force_names_what_was_hand_graded(term):
    from nbgrader.api import Gradebook

    course, *_ = term
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        sub = gb.find_submission(A, "alice")
        manual = [g for nb in sub.notebooks for g in nb.grades if g.cell.cell_type == "markdown"]
        assert manual, "the written answer is graded by a person"
        manual[0].manual_score = 1.0  # what the formgrader writes
        gb.db.commit()
    run = instructor(course, "autograde", A, "--force", "--jobs", "1")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "hand-graded before, re-confirm" in run.stdout
    assert re.search(r"hand-graded before, re-confirm:.*\n\s+ch02/alice", run.stdout)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        sub = gb.find_submission(A, "alice")
        kept = [g for nb in sub.notebooks for g in nb.grades if g.manual_score == 1.0]
        assert kept and all(g.needs_manual_grade for g in kept)  # nbgrader's own rule


@slow
def test_unknown_assignment_names_the_valid_ones(term):
    course, *_ = term
    for args in (["autograde", "ch99"], ["feedback", "ch99"], ["release", "ch99"],
                 ["collect", "ch99", str(course)]):
        run = instructor(course, *args)
        assert run.returncode == 2, (args, run.stdout, run.stderr)
        assert "no assignment 'ch99'" in run.stderr and "solutions/: ch02" in run.stderr, \
            (args, run.stderr)
        assert "make release ASSIGNMENT=ch99" not in run.stderr


@slow
def test_collect_of_nothing_says_so_once(term, tmp_path):
    course, master, release, *_ = term
    import nbformat

    export = tmp_path / "export"
    export.mkdir()
    nbformat.write(release, str(export / "alice_ch02 (1).ipynb"))
    (export / "notes.txt").write_text("hi")
    run = instructor(course, "collect", A, str(export))
    assert run.returncode == 1, run.stdout + run.stderr
    out = run.stdout + run.stderr
    assert out.count("nothing collected; names must be <student>_ch02.ipynb or "
                     "<student>/ch02.ipynb") == 1, out
    assert "(?P<" not in out and "Regular expression" not in out, out
    assert "rename it 'alice_ch02.ipynb'" in out
