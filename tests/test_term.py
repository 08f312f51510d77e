"""The instructor's term, with real nbgrader runs on a real gradebook (no mocks).

A resubmission is regraded because its content changed (and an unchanged one is not); a
hand grade that a regrade puts back to "needs manual grading" is named; a roster gives
every rostered student a row in grades.csv with a reason; the commands that could lose a
gradebook refuse without an explicit flag; an unknown assignment names the valid ones; a
collect that matches nothing says so once and exits non-zero.
"""

from __future__ import annotations

import csv
import os
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


@slow
def test_roster_gives_every_student_a_row_with_a_reason(term, tmp_path):
    import nbformat

    course = shutil.copytree(term[0], tmp_path / "course")
    roster = tmp_path / "students.csv"
    roster.write_text("id,first_name,last_name,email,lms_user_id\n"
                      "alice,Alice,Smith,alice@uni.edu,1001\n"
                      "bob,Bob,Jones,,1002\n"
                      "carol,Carol,Lee,,1003\n")
    run = instructor(course, "roster", str(roster))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 student(s)" in run.stdout
    # carol's file has a name collect cannot read; alice's is collected again
    export = tmp_path / "export"
    export.mkdir()
    nbformat.write(term[2], str(export / "carol_ch02 (1).ipynb"))
    shutil.copy(course / "submitted" / "alice" / A / f"{A}.ipynb", export / "alice_ch02.ipynb")
    assert instructor(course, "collect", A, str(export)).returncode == 0
    out, canvas = tmp_path / "grades.csv", tmp_path / "canvas.csv"
    run = instructor(course, "export", "--to", str(out), "--canvas", str(canvas))
    assert run.returncode == 0, run.stdout + run.stderr
    rows = list(csv.DictReader(out.open(newline="")))
    assert [r["student_id"] for r in rows] == ["alice", "bob", "carol"]  # sorted, all three
    notes = {r["student_id"]: r["note"] for r in rows}
    assert notes["bob"] == "nothing handed in"
    assert notes["carol"].startswith("skipped at collect: carol_ch02 (1).ipynb")
    assert float(rows[0]["score"]) > 0 and float(rows[1]["score"]) == 0
    assert "warning: collect skipped 1 file(s) of the last ch02 export" in run.stdout
    assert "carol_ch02 (1).ipynb" in run.stdout
    # the Canvas import file: a Points Possible row, the LMS user id as ID
    c = list(csv.reader(canvas.open(newline="")))
    assert c[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", A]
    assert c[1][0] == "Points Possible" and float(c[1][5]) == 28
    assert c[2][:3] == ["Smith, Alice", "1001", "alice"] and float(c[2][5]) == float(rows[0]["score"])
    assert c[3][:3] == ["Jones, Bob", "1002", "bob"] and float(c[3][5]) == 0


def _make(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """make in ``folder`` with this checkout's venv (its stamp taken as up to date)."""
    venv = ROOT / ".venv"
    return subprocess.run(["make", "-C", str(folder), f"VENV={venv}", "-o", f"{venv}/.installed",
                           *args], capture_output=True, text=True, timeout=600)


@slow
def test_make_exercises_keeps_a_gradebook_with_work(term, tmp_path):
    course = shutil.copytree(term[0], tmp_path / "course")
    shutil.copy(ROOT / "Makefile", course / "Makefile")
    shutil.copytree(ROOT / "instructor", course / "instructor",
                    ignore=shutil.ignore_patterns("__pycache__"))
    before = (course / "gradebook.db").read_bytes()
    run = _make(course, "exercises")
    assert run.returncode != 0, run.stdout + run.stderr
    assert "holds 1 submission(s)" in run.stderr
    assert "DISCARD_GRADEBOOK=1" in run.stderr and "make release" in run.stderr
    assert (course / "gradebook.db").read_bytes() == before
    run = _make(course, "exercises", "DISCARD_GRADEBOOK=1")
    assert run.returncode == 0, run.stdout + run.stderr
    backups = list(course.glob("gradebook-backup-*.db"))
    assert len(backups) == 1 and "backed up to" in run.stdout
    assert not (course / "gradebook.db").exists()
    import sqlite3

    with sqlite3.connect(backups[0]) as con:
        assert con.execute("SELECT COUNT(*) FROM submitted_assignment").fetchone()[0] == 1


def test_a_venv_copied_from_another_folder_is_rebuilt(tmp_path):
    folder = tmp_path / "new-term"
    folder.mkdir()
    for f in ("Makefile", "requirements.lock", "pyproject.toml"):
        shutil.copy(ROOT / f, folder / f)
    bin_ = folder / ".venv" / "bin"
    bin_.mkdir(parents=True)
    (bin_ / "pip").write_text("#!/srv/old-term/.venv/bin/python\n")
    (folder / ".venv" / ".installed").touch()
    run = subprocess.run(["make", "-n", "-C", str(folder), ".venv/.installed"],
                         capture_output=True, text=True)
    assert "belongs to another folder (/srv/old-term/.venv/bin/python): rebuilding it" \
        in run.stdout, run.stdout + run.stderr
    assert "rm -rf .venv" in run.stdout
    (bin_ / "pip").write_text(f"#!{bin_}/python\n")  # its own: nothing to do
    run = subprocess.run(["make", "-n", "-C", str(folder), ".venv/.installed"],
                         capture_output=True, text=True)
    assert "rebuilding" not in run.stdout and "is up to date" in run.stdout, run.stdout


@slow
def test_lms_presets_map_students_and_keep_the_newest(term, tmp_path):
    import nbformat

    course = shutil.copytree(term[0], tmp_path / "course")
    release, sol, parts = term[2], term[3], term[4]
    (tmp_path / "roster.csv").write_text("id,first_name,last_name,lms_user_id\n"
                                         "jsmith,John,Smith,123456\ncsmith,Carol,Smith,\n")
    assert instructor(course, "roster", str(tmp_path / "roster.csv")).returncode == 0
    newest = make_submission(release, {parts[0]: sol[parts[0]]})
    canvas = tmp_path / "canvas"
    canvas.mkdir()
    nbformat.write(release, str(canvas / "smithjohn_123456_7891011_ch02.ipynb"))
    nbformat.write(newest, str(canvas / "smithjohn_123456_7891012_ch02-1.ipynb"))
    nbformat.write(release, str(canvas / "doejane_LATE_555_999_ch02.ipynb"))  # not rostered
    nbformat.write(release, str(canvas / "doejane_555_999_notes.ipynb"))       # not ch02
    run = instructor(course, "collect", A, str(canvas), "--lms", "canvas")
    assert run.returncode == 0, run.stdout + run.stderr
    assert {"jsmith", "doejane"} <= set(p.name for p in (course / "submitted").iterdir())
    got = read_notebook(course / "submitted" / "jsmith" / A / f"{A}.ipynb")
    assert got.cells == newest.cells  # the -1 resubmission, not the first one
    assert "smithjohn_123456_7891011_ch02.ipynb" in run.stdout  # listed as skipped
    assert "doejane_555_999_notes.ipynb" in run.stdout

    moodle = tmp_path / "moodle"
    (moodle / "Carol Smith_1234_assignsubmission_file_").mkdir(parents=True)
    nbformat.write(release, str(moodle / "Carol Smith_1234_assignsubmission_file_" / "ch02.ipynb"))
    nbformat.write(release, str(moodle / "Ann Lee_77_assignsubmission_file_ch02.ipynb"))
    run = instructor(course, "collect", A, str(moodle), "--lms", "moodle")
    assert run.returncode == 0, run.stdout + run.stderr
    assert (course / "submitted" / "csmith" / A / f"{A}.ipynb").is_file()  # by roster name
    assert (course / "submitted" / "moodle-77" / A / f"{A}.ipynb").is_file()


@slow
def test_late_and_extended_students(term, tmp_path):
    course = make_course_copy(tmp_path / "late", [A])
    with open(course / "nbgrader_config.py", "a") as fh:
        fh.write('\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    assert instructor(course, "release", A).returncode == 0
    subprocess.run([sys.executable, "-m", "nbgrader", "db", "assignment", "add", A,
                    "--duedate=2026-11-01 17:00:00 UTC"], cwd=course, check=True,
                   capture_output=True, env=dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}"))
    release, sol, parts = term[2], term[3], term[4]
    full = make_submission(release, {p: sol[p] for p in parts})
    for student in ("late", "extended", "ontime"):
        write_submission(course, A, student, full)
        stamp = "2026-11-01 16:00:00 UTC" if student == "ontime" else "2026-11-02 09:00:00 UTC"
        (course / "submitted" / student / A / "timestamp.txt").write_text(stamp)
    run = instructor(course, "extend", A, "extended", "--hours", "24")
    assert run.returncode == 0, run.stdout + run.stderr
    run = instructor(course, "autograde", A, "--jobs", "1")
    assert run.returncode == 0, run.stdout + run.stderr
    out = tmp_path / "grades.csv"
    assert instructor(course, "export", "--to", str(out)).returncode == 0
    rows = {r["student_id"]: r for r in csv.DictReader(out.open(newline=""))}
    assert float(rows["ontime"]["score"]) == 26 and float(rows["ontime"]["late_submission_penalty"]) == 0
    assert float(rows["extended"]["score"]) == 26  # within its extension
    assert float(rows["late"]["raw_score"]) == 26 and float(rows["late"]["score"]) == 0
    assert rows["late"]["note"].startswith("needs manual grading") or "late" in rows["late"]["note"]


@slow
def test_dask_cluster_gives_the_serial_gradebook(term, tmp_path):
    """CLUSTER=local:2: a real Dask cluster of two worker processes grades the class as
    tasks; the merged gradebook equals the one of a serial run."""
    from instructor.gradebook import snapshot

    release, sol, parts = term[2], term[3], term[4]
    base = make_course_copy(tmp_path / "base", [A])
    assert instructor(base, "release", A).returncode == 0
    for student, nb in {"full": {p: sol[p] for p in parts}, "half": {p: sol[p] for p in parts[:3]},
                        "stub": {}}.items():
        write_submission(base, A, student, make_submission(release, nb))
    serial = shutil.copytree(base, tmp_path / "serial")
    dask = shutil.copytree(base, tmp_path / "dask")
    run = instructor(serial, "autograde", A, "--jobs", "1")
    assert run.returncode == 0, run.stdout + run.stderr
    run = instructor(dask, "autograde", A, "--cluster", "local:2")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "on the Dask cluster local:2" in run.stdout
    assert re.search(r"^\s*ch02\s+3\s+3\s+0\s+0\s+0\s*$", run.stdout, re.M), run.stdout
    got = snapshot(f"sqlite:///{dask / 'gradebook.db'}")
    want = snapshot(f"sqlite:///{serial / 'gradebook.db'}")
    assert {k for k in got if k[0] == "grade"} == {k for k in want if k[0] == "grade"}
    assert got == want
    assert not (dask / "logs" / "cluster").exists()  # the task copies are cleaned up
