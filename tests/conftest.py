"""Shared fixtures: the repository root and the built book."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HTML = ROOT / "_build" / "html"


def toc_files() -> list[str]:
    """Every page in _toc.yml (without suffix), root first."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        for ch in part.get("chapters", []):
            files.append(ch["file"])
            files.extend(s["file"] for s in ch.get("sections", []))
    return files


def chapter_files() -> list[str]:
    """The executable chapter notebooks listed in the table of contents."""
    return [f for f in toc_files() if f.startswith("chapters/")]


def run_book_build(source: Path, *extra: str) -> subprocess.CompletedProcess:
    """A real `jupyter-book build` with warnings as errors (as `make book` runs it)."""
    env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1")
    return subprocess.run(
        [str(BIN / "jupyter-book"), "build", str(source), "--warningiserror", "--nitpick",
         "--keep-going", *extra],
        capture_output=True, text=True, env=env, timeout=1800,
    )


def build_course_book() -> str:
    """What `make book` does: execute the uncached notebooks in parallel, then build.
    Returns '' on success, else the log of what failed."""
    env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1")
    pre = subprocess.run([sys.executable, str(ROOT / "scripts" / "execute_parallel.py"), str(ROOT)],
                         capture_output=True, text=True, env=env, timeout=1800)
    if pre.returncode != 0:
        return f"scripts/execute_parallel.py failed:\n{(pre.stdout + pre.stderr)[-6000:]}"
    proc = run_book_build(ROOT)
    log = proc.stdout + proc.stderr
    if proc.returncode != 0 or "build succeeded" not in log:
        return f"jupyter-book build failed:\n{log[-6000:]}"
    return ""


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> Path:
    """The course's book, built once per test run as `make book` builds it (cached execution:
    fast when nothing changed). Under pytest-xdist the workers share one build: the first to
    ask builds it under a lock, the others wait and read its outcome."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        failure = build_course_book()
        assert not failure, failure
        return HTML
    shared = tmp_path_factory.getbasetemp().parent  # the run's folder, common to all workers
    outcome = shared / "built_book.outcome"
    with open(shared / "built_book.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not outcome.exists():
            failure = build_course_book()
            outcome.write_text(failure or "ok")
    failure = outcome.read_text()
    assert failure == "ok", failure
    return HTML


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, driven by Playwright (which never downloads one)."""
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium (see .ci/run)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()
