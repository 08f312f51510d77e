"""`make book` pre-executes the notebooks in parallel (scripts/execute_parallel.py) into
jupyter-book's cache, and the cache stays valid: the build then executes nothing, a warm
re-run executes nothing, an edit to one chapter's code re-executes that chapter only, and
a failing chapter fails the step, named, with its traceback."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import BIN, ROOT, chapter_files, run_book_build

pytestmark = pytest.mark.slow

SCRIPT = ROOT / "scripts" / "execute_parallel.py"
HEADER = ("---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
          "kernelspec:\n  display_name: Python 3\n  language: python\n  name: python3\n---\n\n")


def pre_execute(book: Path, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1")
    return subprocess.run([str(BIN / "python"), str(SCRIPT), str(book), *extra],
                          capture_output=True, text=True, env=env, timeout=1800)


def executed(proc: subprocess.CompletedProcess) -> list[str]:
    """The pages the step executed (from its log)."""
    return sorted(re.findall(r"^\[execute_parallel\] executed:\s+(\S+)", proc.stdout, re.M))


def build_executed(log: str) -> list[str]:
    """The pages `jupyter-book build` executed itself (myst-nb logs 'Executing notebook')."""
    return re.findall(r"(\S+): Executing notebook", log)


def chapter(title: str, *cells: str) -> str:
    body = "".join(f"```{{code-cell}} ipython3\n{c}\n```\n\n" for c in cells)
    return f"{HEADER}# {title}\n\nSome text.\n\n{body}"


def synthetic_book(tmp_path: Path, name: str = "book") -> Path:
    """Two tiny chapters and an excluded exercise notebook, with the course's _config.yml."""
    book = tmp_path / name
    book.mkdir()
    shutil.copy(ROOT / "_config.yml", book / "_config.yml")
    for d in ("_static", "_vendor", "_ext"):
        shutil.copytree(ROOT / d, book / d)
    (book / "_toc.yml").write_text(
        "format: jb-book\nroot: index\nchapters:\n  - file: chapters/a\n  - file: chapters/b\n"
        "  - file: exercises/x/x\n")
    (book / "index.md").write_text("# Probe book\n\nPlain Markdown: not a notebook.\n")
    (book / "chapters").mkdir()
    (book / "chapters" / "data.txt").write_text("read from the notebook's folder\n")
    (book / "chapters" / "a.md").write_text(chapter(
        "A", "from pathlib import Path\nPath('data.txt').read_text().strip()",
        ":tags: [raises-exception]\nraise ValueError('expected, tagged')", "print(6 * 7)"))
    # what the book's extensions put into a build's kernels (all slider frames, the frame
    # cache): the pre-executed notebook must see the same
    (book / "chapters" / "b.md").write_text(chapter(
        "B", "x = 20 + 22\nx",
        "import os\nprint(os.environ.get('CALCLIB_STATIC_FRAMES'),"
        " os.path.relpath(os.environ.get('CALCLIB_FRAME_CACHE', '-'), os.getcwd()))"))
    # Like the course's exercise pages: excluded from execution (its stub raises).
    (book / "exercises" / "x").mkdir(parents=True)
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# X"},
                    {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                     "source": "raise NotImplementedError('stub')"}],
          "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                      "name": "python3"}},
          "nbformat": 4, "nbformat_minor": 5}
    (book / "exercises" / "x" / "x.ipynb").write_text(json.dumps(nb))
    return book


def code_outputs(book: Path, page: str) -> list:
    nb = json.loads((book / "_build" / "html" / "_sources" / f"{page}.ipynb").read_text())
    return [(c["execution_count"], c["outputs"]) for c in nb["cells"] if c["cell_type"] == "code"]


def test_synthetic_book_cache_stays_valid(tmp_path):
    book = synthetic_book(tmp_path)

    # (a) the step executes both chapters (not the excluded exercise, not the plain page) ...
    proc = pre_execute(book, "--jobs", "2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert executed(proc) == ["chapters/a", "chapters/b"], proc.stdout
    assert "2 at a time" in proc.stdout
    # ... and the build that follows executes nothing: both come from the cache.
    build = run_book_build(book)
    log = build.stdout + build.stderr
    assert build.returncode == 0, log[-4000:]
    assert build_executed(log) == [], log[-3000:]
    assert log.count("Using cached notebook") == 2, log[-3000:]
    assert "exercises/x/x.ipynb: Excluded from execution" in log or \
        "Excluded from execution by pattern" in log, log[-3000:]

    # (b) a warm re-run executes nothing.
    proc = pre_execute(book)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert executed(proc) == [] and "nothing to execute" in proc.stdout, proc.stdout

    # Text edits do not invalidate the cache (jupyter-cache hashes the code cells only).
    a = book / "chapters" / "a.md"
    a.write_text(a.read_text().replace("Some text.", "Some other text."))
    proc = pre_execute(book)
    assert executed(proc) == [], proc.stdout

    # (c) an edit to one chapter's code re-executes that chapter only ...
    a.write_text(a.read_text().replace("print(6 * 7)", "print(6 * 7 + 1)"))
    proc = pre_execute(book)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert executed(proc) == ["chapters/a"], proc.stdout
    assert "cached:    chapters/b" in proc.stdout
    # ... and the build shows the new output, without executing.
    build = run_book_build(book)
    log = build.stdout + build.stderr
    assert build.returncode == 0, log[-4000:]
    assert build_executed(log) == [], log[-3000:]
    outputs = code_outputs(book, "chapters/a")
    assert "".join(outputs[2][1][0]["text"]) == "43\n", outputs
    # the kernels ran with the build's environment (course_book.execution_environment)
    outputs = code_outputs(book, "chapters/b")
    assert "".join(outputs[1][1][0]["text"]) == "1 ../_build/.frame_cache\n", outputs

    # (d) a chapter with an error fails the step, which names it and shows the traceback.
    b = book / "chapters" / "b.md"
    b.write_text(b.read_text().replace("x = 20 + 22", "raise RuntimeError('boom in chapter b')"))
    proc = pre_execute(book)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAILED:   chapters/b" in proc.stderr, proc.stderr
    assert "boom in chapter b" in proc.stderr and "RuntimeError" in proc.stderr, proc.stderr
    assert "these notebooks failed (tracebacks above): chapters/b" in proc.stderr
    assert "boom in chapter b" in (book / "_build" / "reports" / "chapters" / "b.err.log").read_text()
    assert executed(proc) == [], proc.stdout  # chapter a is still cached
    # Not cached as a success: the next run tries again (and fails again).
    again = pre_execute(book)
    assert again.returncode == 1 and "FAILED:   chapters/b" in again.stderr


def test_parallel_results_equal_what_myst_nb_produces(tmp_path):
    """Same outputs as when jupyter-book executes the notebooks itself: the tagged cell's
    error is kept, the working folder is the notebook's, the execution counts match."""
    serial, parallel = synthetic_book(tmp_path, "serial"), synthetic_book(tmp_path, "parallel")
    build = run_book_build(serial)
    assert build.returncode == 0, (build.stdout + build.stderr)[-4000:]
    assert sorted(build_executed(build.stdout + build.stderr)) == [
        str(serial / "chapters" / "a.md"), str(serial / "chapters" / "b.md")]
    proc = pre_execute(parallel)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    build = run_book_build(parallel)
    assert build.returncode == 0, (build.stdout + build.stderr)[-4000:]
    assert build_executed(build.stdout + build.stderr) == []
    for page in ("chapters/a", "chapters/b"):
        got, want = code_outputs(parallel, page), code_outputs(serial, page)
        for cell in got + want:  # tracebacks carry ANSI colours and are compared as text
            for out in cell[1]:
                out.pop("traceback", None)
        assert got == want, page
    a = code_outputs(parallel, "chapters/a")
    assert "read from the notebook's folder" in "".join(a[0][1][0]["data"]["text/plain"])
    assert a[1][1][0]["output_type"] == "error" and a[1][1][0]["ename"] == "ValueError"


def tracked_copy(dest: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for f in filter(None, files):
        src = ROOT / f
        if src.is_file() and not src.is_symlink():
            (dest / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / f)


def test_course_chapters_pre_executed_are_used_by_the_build(tmp_path):
    """The real chapters (the book's MyST configuration, sliders, raises-exception cells):
    executed by the step, then all served from the cache by `jupyter-book build`."""
    book = tmp_path / "course"
    tracked_copy(book)
    proc = pre_execute(book)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-6000:]
    assert executed(proc) == sorted(chapter_files()), proc.stdout
    build = run_book_build(book)
    log = build.stdout + build.stderr
    assert build.returncode == 0, log[-6000:]
    assert build_executed(log) == [], log[-3000:]
    for page in chapter_files():
        assert f"{page}.md: Using cached notebook" in log, page
        # the kernels drew every slider frame, as in a build (not a live kernel's preview)
        html = (book / "_build" / "html" / f"{page}.html").read_text(encoding="utf-8")
        assert "cl-slider-preview" not in html, f"{page}: a slider shows only its first frame"
    assert any(p.suffix == ".png" for p in (book / "_build" / ".frame_cache").rglob("*")), \
        "no frame was stored in the persistent frame cache"
    warm = pre_execute(book)
    assert warm.returncode == 0 and executed(warm) == [], warm.stdout
