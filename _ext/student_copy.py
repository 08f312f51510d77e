"""The students' copy of the course: one zip, linked from the landing page.

Everything a student needs to work offline (every chapter notebook, every exercise
notebook as nbgrader released it, ``calclib``, the JupyterLab settings and the pinned
environment files, with a README of the student steps) and nothing an instructor keeps:
no ``solutions/`` (solutions and hidden tests), no ``tests/``, no ``instructor/``, no
gradebook. The book build writes it next to the landing page as ``STUDENT_ZIP``;
``tests/test_student_copy.py`` opens it and checks both halves of that sentence.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

STUDENT_ZIP = "mvc4ml-student.zip"
TOP = "mvc4ml"  # the folder the archive unpacks into

# (pattern relative to the repository root); the copy is exactly these files
INCLUDE = [
    "chapters/*.md",
    "exercises/*/*.ipynb",
    "calclib/**/*.py", "calclib/data/*", "calclib/static/*",
    "course_jupyter/**/*.py", "course_jupyter/jupyter-config/*/*.json",
    "pyproject.toml", "requirements.in", "requirements.lock", "jupytext.toml",
    "_config.yml",  # the book's TeX macros, which JupyterLab reads from it
]
README = Path(__file__).with_name("student_README.md")
# markers that only the instructor's notebooks contain (nbgrader strips them on release)
INSTRUCTOR_ONLY = ("BEGIN HIDDEN TESTS", "BEGIN SOLUTION", "### BEGIN", "### END")


def student_files(root: Path) -> list[Path]:
    files = {p for pattern in INCLUDE for p in root.glob(pattern) if p.is_file()}
    return sorted(p for p in files if "__pycache__" not in p.parts)


def write_student_zip(root: Path, dest: Path) -> Path:
    """Write the students' copy of the course at *root* to the zip file *dest*."""
    files = student_files(root)
    if not any(p.match("exercises/*/*.ipynb") for p in files):
        raise FileNotFoundError(f"no exercise notebooks under {root / 'exercises'}: "
                                "run `make release` (or `make exercises`) first")
    for p in files:
        if p.suffix in (".ipynb", ".md"):
            text = p.read_text(encoding="utf-8")
            leaked = [m for m in INSTRUCTOR_ONLY if m in text]
            if leaked:
                raise ValueError(f"{p.relative_to(root)} contains {leaked[0]!r}: it is an "
                                 "instructor's notebook and must not reach students")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(README, f"{TOP}/README.md")
        for p in files:
            z.write(p, f"{TOP}/{p.relative_to(root).as_posix()}")
    return dest


def _on_build_finished(app, exception):
    # a book built from another folder with the course's _config.yml (the tests' small
    # books) is not the course: it has no calclib to hand out
    if exception is None and app.builder.format == "html" and Path(app.srcdir, "calclib").is_dir():
        write_student_zip(Path(app.srcdir), Path(app.outdir) / STUDENT_ZIP)


def setup(app):
    app.connect("build-finished", _on_build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
