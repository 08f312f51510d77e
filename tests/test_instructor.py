"""The instructor commands (``python -m instructor``), with real nbgrader runs (no mocks).

One class of 12 ch02 submissions -- correct, partial, wrong, the untouched release, and one
file that is not a notebook -- is graded twice in identical throwaway courses: once by
plain ``nbgrader autograde ch02`` (serial), once by ``python -m instructor autograde ch02
--jobs 2`` (workers with their own gradebook copies, merged by the parent). The two
gradebooks must agree on every row. Then the other commands run on the parallel course.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import NamedTuple

import pytest

from grading_utils import (
    ROOT, make_course_copy, make_submission, read_notebook, scores, solution_cells,
    write_submission,
)

sys.path.insert(0, str(ROOT))
from instructor.collect import lms_regexp  # noqa: E402
from instructor.demo import WRITTEN_ANSWER, answer_parts, wrong_answer  # noqa: E402
from instructor.gradebook import snapshot  # noqa: E402

A = "ch02"
BIN = Path(sys.executable).parent
slow = pytest.mark.slow


def instructor(course: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """``python -m instructor --course COURSE *args`` as an instructor runs it."""
    env = dict(os.environ, PATH=str(BIN) + os.pathsep + os.environ.get("PATH", ""),
               PYDEVD_DISABLE_FILE_VALIDATION="1")
    return subprocess.run([sys.executable, "-m", "instructor", "--course", str(course), *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def db(course: Path) -> str:
    return f"sqlite:///{course / 'gradebook.db'}"


def row_counts(course: Path) -> dict[str, int]:
    with sqlite3.connect(course / "gradebook.db") as con:
        return {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("student", "submitted_assignment", "submitted_notebook", "grade",
                          "comment")}


class Classroom(NamedTuple):
    serial: Path
    parallel: Path
    fresh: Path        # released, submissions written, never graded
    students: list[str]
    parallel_run: subprocess.CompletedProcess
    master: object
    release: object
    release_run: subprocess.CompletedProcess


def _class(master, release) -> dict[str, object]:
    """12 submissions: {student: notebook, or bytes for a broken file}."""
    sol = solution_cells(master)
    parts = answer_parts(master)
    written = {gid: WRITTEN_ANSWER for gid in sol if gid not in parts}
    out: dict[str, object] = {
        "solution": make_submission(release, {**sol, **written}),
        "solution_blank": make_submission(release, {p: sol[p] for p in parts}),
        "stub": make_submission(release, {}),
        "partial_first": make_submission(release, {p: sol[p] for p in parts[:3]}),
        "partial_last": make_submission(release, {p: sol[p] for p in parts[3:]}),
        "partial_one": make_submission(release, {parts[2]: sol[parts[2]]}),
    }
    for p in parts[:5]:
        out[f"wrong_{p}"] = make_submission(
            release, {**{q: sol[q] for q in parts}, p: wrong_answer(A, p, sol[p])})
    out["bad_json"] = b'{"cells": [ not JSON: the upload was cut off'
    return out


@pytest.fixture(scope="module")
def classroom(tmp_path_factory) -> Classroom:
    tmp = tmp_path_factory.mktemp("instructor")
    fresh = make_course_copy(tmp / "fresh", [A])
    released = instructor(fresh, "release", A)  # nbgrader generate_assignment ch02 --force
    assert released.returncode == 0, released.stdout + released.stderr
    master = read_notebook(fresh / "solutions" / A / f"{A}.ipynb")
    release = read_notebook(fresh / "exercises" / A / f"{A}.ipynb")
    students = _class(master, release)
    for student, nb in students.items():
        if isinstance(nb, bytes):
            path = fresh / "submitted" / student / A / f"{A}.ipynb"
            path.parent.mkdir(parents=True)
            path.write_bytes(nb)
        else:
            write_submission(fresh, A, student, nb)
    serial = shutil.copytree(fresh, tmp / "serial")
    parallel = shutil.copytree(fresh, tmp / "parallel")

    # plain serial nbgrader (it exits 1 because of bad_json, after grading the others),
    # at the same time as the parallel run, in its own course folder: it mostly waits for
    # its kernel, so the two together take little longer than one
    env = dict(os.environ, PATH=str(BIN) + os.pathsep + os.environ["PATH"],
               PYDEVD_DISABLE_FILE_VALIDATION="1")
    with subprocess.Popen([sys.executable, "-m", "nbgrader", "autograde", A], cwd=serial,
                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True) as proc:
        run = instructor(parallel, "autograde", A, "--jobs", "2")
        _, stderr = proc.communicate(timeout=900)
    assert "There was an error processing assignment 'ch02' for student 'bad_json'" in stderr
    return Classroom(serial, parallel, fresh, sorted(students), run, master, release,
                     released)


@slow
def test_release_generates_the_student_version(classroom):
    out = classroom.release_run.stdout
    # 26 points of autograder tests, 2 for the written answer graded by hand
    assert re.search(r"^\s*ch02\s+released\s+1\s+26\.0\s+2\.0\s+\S*exercises/ch02/", out, re.M), out
    release = classroom.fresh / "exercises" / A / f"{A}.ipynb"
    assert "BEGIN HIDDEN TESTS" not in release.read_text()
    assert "BEGIN HIDDEN TESTS" in (classroom.fresh / "solutions" / A / f"{A}.ipynb").read_text()


@slow
def test_parallel_grades_equal_serial_nbgrader(classroom):
    run = classroom.parallel_run
    assert "2 worker(s)" in run.stdout, run.stdout + run.stderr
    serial, parallel = snapshot(db(classroom.serial)), snapshot(db(classroom.parallel))
    grades = {k for k in serial if k[0] == "grade"}
    # every student, every grade cell: the same rows (none lost, none extra) ...
    assert {k for k in parallel if k[0] == "grade"} == grades
    assert {k[2] for k in grades} == set(classroom.students)
    # ... and the same values, comments, notebooks and submissions too
    assert parallel == serial
    assert scores(classroom.parallel, A) == scores(classroom.serial, A)
    assert row_counts(classroom.parallel) == row_counts(classroom.serial)


@slow
def test_scores_are_plausible(classroom):
    got = {s: sum(v[0] or 0 for v in g.values()) for s, g in scores(classroom.parallel, A).items()}
    assert got["solution"] == got["solution_blank"] == 26  # the written answer waits for a person
    assert got["stub"] == 0
    assert 0 < got["partial_first"] < 26 and 0 < got["partial_one"] < got["partial_first"]
    assert all(0 < got[s] < 26 for s in classroom.students if s.startswith("wrong_"))


@slow
def test_summary_counts_graded_manual_failed(classroom):
    out = classroom.parallel_run.stdout
    assert classroom.parallel_run.returncode == 1, "a failed submission makes the exit code 1"
    # columns: submissions, graded, needs manual grading, failed, skipped
    assert re.search(r"^\s*ch02\s+12\s+10\s+1\s+1\s+0\s*$", out, re.M), out
    assert re.search(r"ch02/bad_json\s+failed", out), out
    assert "ch02/bad_json: NotJSONError" in out
    assert re.search(r"ch02/solution\s+needs manual grading\s+26\.0 / 28\.0", out), out
    for s in classroom.students:
        graded = classroom.parallel / "autograded" / s / A / f"{A}.ipynb"
        assert graded.is_file() == (s != "bad_json"), s
    log = classroom.parallel / "logs" / "autograde" / A / "bad_json.log"
    assert "NotJSONError" in log.read_text()


@slow
def test_rerun_does_not_duplicate_rows(classroom):
    before_rows, before = row_counts(classroom.parallel), snapshot(db(classroom.parallel))
    # without --force nothing changed, so everything but the failed one is skipped (and
    # merged again onto the existing rows)
    again = instructor(classroom.parallel, "autograde", A, "--jobs", "2")
    assert re.search(r"^\s*ch02\s+12\s+0\s+0\s+1\s+11\s*$", again.stdout, re.M), again.stdout
    assert row_counts(classroom.parallel) == before_rows
    assert snapshot(db(classroom.parallel)) == before
    # --force grades them again, through nbgrader and the merge
    run = instructor(classroom.parallel, "autograde", A, "--student", "solution", "--force")
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"ch02/solution\s+needs manual grading\s+26\.0 / 28\.0", run.stdout)
    assert row_counts(classroom.parallel) == before_rows
    assert snapshot(db(classroom.parallel)) == before


@slow
def test_student_option_grades_just_one(classroom, tmp_path):
    course = shutil.copytree(classroom.fresh, tmp_path / "course")
    run = instructor(course, "autograde", A, "--student", "partial_one")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 submission(s)" in run.stdout
    assert sorted(p.name for p in (course / "autograded").iterdir()) == ["partial_one"]
    assert list(scores(course, A)) == ["partial_one"]
    assert scores(course, A)["partial_one"] == scores(classroom.serial, A)["partial_one"]
    missing = instructor(course, "autograde", A, "--student", "nobody")
    assert missing.returncode == 2 and "nothing submitted" in missing.stderr


@slow
def test_a_submission_running_too_long_is_killed(classroom, tmp_path):
    """The pool's own watchdog: the worker and its kernel are killed, nothing half-written
    stays behind, and the gradebook does not get the submission."""
    import psutil

    course = shutil.copytree(classroom.fresh, tmp_path / "course")
    sol = solution_cells(classroom.master)
    part = answer_parts(classroom.master)[0]
    write_submission(course, A, "looper", make_submission(
        classroom.release, {**sol, part: "while True:\n    pass\n"}))
    run = instructor(course, "autograde", A, "--student", "looper", "--timeout", "4")
    assert run.returncode == 1, run.stdout + run.stderr
    assert re.search(r"ch02/looper\s+failed.*still running after 4 s", run.stdout), run.stdout
    assert not (course / "autograded" / "looper" / A).exists()  # as nbgrader cleans up a failure
    assert "looper" not in scores(course, A)
    leftovers = []
    for p in psutil.process_iter(["pid", "cwd"]):
        if p.info["cwd"] and str(course) in p.info["cwd"]:
            leftovers.append(p)
    assert not leftovers, f"processes left running in the course: {leftovers}"


def _export(classroom, folder: Path, layout: str) -> None:
    nb = classroom.release
    import nbformat

    folder.mkdir(parents=True)
    if layout == "flat":
        nbformat.write(nb, str(folder / "alice_ch02.ipynb"))
        nbformat.write(nb, str(folder / "jean_luc.picard_ch02.ipynb"))  # _ in a student id
        (folder / "__MACOSX").mkdir()
        (folder / "__MACOSX" / "._alice_ch02.ipynb").write_bytes(b"\0")
        (folder / "README.txt").write_text("from the LMS")
        (folder / "carol_ch99.ipynb").write_text("{}")  # not a notebook of ch02
    else:
        (folder / "bob").mkdir()
        nbformat.write(nb, str(folder / "bob" / "ch02.ipynb"))
        nbformat.write(nb, str(folder / "dave.ipynb"))  # no student in the name
        inner = folder / "erin.zip"  # a zip per student
        with zipfile.ZipFile(inner, "w") as z:
            z.writestr("ch02.ipynb", nbformat.writes(nb))


@slow
def test_collect_from_zip_and_from_folder(classroom, tmp_path):
    course = shutil.copytree(classroom.fresh, tmp_path / "course",
                             ignore=shutil.ignore_patterns("submitted"))
    flat = tmp_path / "flat"
    _export(classroom, flat, "flat")
    archive = shutil.make_archive(str(tmp_path / "export"), "zip", flat)
    run = instructor(course, "collect", A, archive)
    assert run.returncode == 0, run.stdout + run.stderr
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["alice", "jean_luc.picard"]
    for skipped in ("README.txt", "carol_ch99.ipynb", "__MACOSX/._alice_ch02.ipynb"):
        assert skipped in run.stdout, run.stdout

    folders = tmp_path / "folders"
    _export(classroom, folders, "folders")
    run = instructor(course, "collect", A, str(folders))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "dave.ipynb" in run.stdout  # skipped: no student in the name
    got = sorted(p.name for p in (course / "submitted").iterdir())
    assert got == ["alice", "bob", "erin", "jean_luc.picard"]
    for s in got:
        nb = read_notebook(course / "submitted" / s / A / f"{A}.ipynb")
        assert nb.cells == classroom.release.cells


@pytest.mark.parametrize("name, expected", [
    ("alice_ch02.ipynb", ("alice", "ch02.ipynb")),
    ("jean_luc_ch02.ipynb", ("jean_luc", "ch02.ipynb")),
    ("export/s123@uni.edu_ch02.ipynb", ("s123@uni.edu", "ch02.ipynb")),
    ("alice/ch02.ipynb", ("alice", "ch02.ipynb")),
    ("export/alice/ch02.ipynb", ("alice", "ch02.ipynb")),
    ("ch02.ipynb", None),
    ("alice_ch03.ipynb", None),
    ("alice_ch02.py", None),
    ("__MACOSX/alice/ch02.ipynb", None),
    ("alice/.ch02.ipynb", None),
    ("bad name_ch02.ipynb", None),
])
def test_lms_layouts(name, expected):
    m = re.match(lms_regexp(["ch02.ipynb"]), name)
    assert (m and (m.group("student_id"), m.group("file_id"))) == (expected or None)


@slow
def test_export_one_row_per_student_with_totals(classroom, tmp_path):
    out = tmp_path / "grades.csv"
    run = instructor(classroom.parallel, "export", "--to", str(out))
    assert run.returncode == 0, run.stdout + run.stderr
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert sorted((r["student_id"], r["assignment"]) for r in rows) == \
        sorted((s, A) for s in classroom.students)
    want = {s: sum(v[0] or 0 for v in g.values()) for s, g in scores(classroom.serial, A).items()}
    for r in rows:
        assert float(r["score"]) == want[r["student_id"]], r
        assert float(r["max_score"]) == 28
    assert "12 row(s)" in run.stdout


@slow
def test_feedback_html_per_student(classroom):
    run = instructor(classroom.parallel, "feedback", A)
    assert run.returncode == 0, run.stdout + run.stderr
    for s in classroom.students:
        html = classroom.parallel / "feedback" / s / A / f"{A}.html"
        assert html.is_file() == (s != "bad_json"), s
    html = (classroom.parallel / "feedback" / "partial_one" / A / f"{A}.html").read_text()
    assert "Score: 4.0 / 28.0" in html
    assert re.search(r"^\s*ch02\s+11\s+11\s+1\s+0\s*$", run.stdout, re.M), run.stdout
