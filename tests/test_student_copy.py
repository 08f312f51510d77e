"""The students' copy linked from the landing page: everything a student needs, nothing
an instructor keeps (no solutions, no hidden tests, no tests, no grader), and calclib
works from it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT, chapter_files

sys.path.insert(0, str(ROOT / "_ext"))
import student_copy  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def archive(built_book) -> zipfile.ZipFile:
    path = built_book / student_copy.STUDENT_ZIP
    assert path.is_file(), f"the book build did not write {path.name}"
    assert f'href="{student_copy.STUDENT_ZIP}"' in (built_book / "intro.html").read_text()
    with zipfile.ZipFile(path) as z:
        yield z


def _names(z):
    top = student_copy.TOP + "/"
    assert all(n.startswith(top) for n in z.namelist())
    return {n[len(top):] for n in z.namelist()}


def test_it_holds_every_chapter_and_exercise(archive):
    names = _names(archive)
    want = {f"{c}.md" for c in chapter_files()}
    want |= {p.relative_to(ROOT).as_posix() for p in ROOT.glob("exercises/*/*.ipynb")}
    want |= {"README.md", "pyproject.toml", "requirements.lock", "calclib/__init__.py",
             "calclib/static/slider.js", "course_jupyter/install.py", "_config.yml"}
    assert want <= names, sorted(want - names)
    for p in ROOT.glob("exercises/*/*.ipynb"):   # exactly the release, byte for byte
        assert archive.read(f"{student_copy.TOP}/{p.relative_to(ROOT).as_posix()}") == p.read_bytes()


def test_it_holds_no_solutions_and_no_hidden_tests(archive):
    names = _names(archive)
    assert not [n for n in names if n.split("/")[0] in
                ("solutions", "tests", "instructor", "guide", "benchmarks")]
    assert not [n for n in names if n.endswith(".db") or n == "nbgrader_config.py"]
    for n in names:
        if n.endswith((".ipynb", ".md", ".py")):
            text = archive.read(f"{student_copy.TOP}/{n}").decode()
            for marker in ("BEGIN HIDDEN TESTS", "BEGIN SOLUTION", "END SOLUTION"):
                assert marker not in text, (n, marker)
    # and the solutions really are different from what students get
    for sol in ROOT.glob("solutions/*/*.ipynb"):
        rel = "exercises/" + sol.relative_to(ROOT / "solutions").as_posix()
        student = nbformat.reads(archive.read(f"{student_copy.TOP}/{rel}").decode(), 4)
        code = "\n".join(c.source for c in student.cells if c.cell_type == "code")
        assert "raise NotImplementedError" in code, rel


def test_an_instructor_notebook_is_refused(tmp_path):
    (tmp_path / "exercises" / "ch99").mkdir(parents=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "### BEGIN HIDDEN TESTS\nassert f(1) == 2\n### END HIDDEN TESTS")])
    nbformat.write(nb, tmp_path / "exercises" / "ch99" / "ch99.ipynb")
    with pytest.raises(ValueError, match="ch99.ipynb contains 'BEGIN HIDDEN TESTS'"):
        student_copy.write_student_zip(tmp_path, tmp_path / "out.zip")
    with pytest.raises(FileNotFoundError, match="no exercise notebooks"):
        student_copy.write_student_zip(tmp_path / "exercises", tmp_path / "out.zip")


def test_calclib_works_from_the_copy(archive, tmp_path):
    archive.extractall(tmp_path)
    top = tmp_path / student_copy.TOP
    code = "import calclib as cl; print(cl.__file__); print(cl.norm([3.0, -4.0], 1))"
    out = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(top)!r}); {code}"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    path, value = out.stdout.split()
    assert Path(path).is_relative_to(top) and float(value) == 7.0
