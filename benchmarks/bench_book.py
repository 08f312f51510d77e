"""Benchmark the book: build times, notebook execution times, page weights.

    make bench        (or: .venv/bin/python benchmarks/bench_book.py)

Builds a fresh copy of the committed sources in a temporary folder (so the numbers do
not depend on an existing _build), then prints:

* cold build time (empty execution cache: every chapter executes),
* warm rebuild time (nothing changed: nothing executes),
* executed pages and the execution time of each notebook (from the jupyter-cache records),
* the size of each chapter page, with the number of sliders/frames and the frame bytes,
* the execution time of each assignment's solution notebook (what a student runs).
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def tracked_copy(dest: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for f in filter(None, files):
        src = ROOT / f
        if src.is_file():
            (dest / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / f)


def build(book: Path) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run([str(BIN / "jupyter-book"), "build", str(book), "-W", "-n", "--keep-going"],
                          capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if proc.returncode:
        sys.exit(f"build failed:\n{(proc.stdout + proc.stderr)[-4000:]}")
    return dt


def execution_records(book: Path) -> list[tuple[str, float]]:
    from jupyter_cache import get_cache

    cache = get_cache(book / "_build" / ".jupyter_cache")
    out = []
    for rec in cache.list_cache_records():
        uri = Path(rec.uri).resolve()
        try:
            name = str(uri.relative_to(book.resolve()))
        except ValueError:
            name = str(uri)
        out.append((name, float(rec.data.get("execution_seconds", float("nan")))))
    return sorted(out)


def page_weights(html_dir: Path, pages: list[str]):
    rows = []
    for page in pages:
        html = (html_dir / f"{page}.html").read_text(encoding="utf-8")
        frames = 0
        frame_bytes = 0
        for m in re.finditer(r'<script type="application/json">(\{"sizes".*?)</script>', html):
            data = json.loads(m.group(1).replace("<\\/", "</"))
            frames += len(data["frames"])
            frame_bytes += sum(len(base64.b64decode(f)) for f in data["frames"])
        rows.append((page, len(html.encode()), html.count('class="cl-slider"'), frames, frame_bytes))
    return rows


def solution_times() -> list[tuple[str, float]]:
    import nbformat
    from nbclient import NotebookClient

    out = []
    for nb_path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        t0 = time.perf_counter()
        NotebookClient(nb, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(nb_path.parent)}}).execute()
        out.append((str(nb_path.relative_to(ROOT)), time.perf_counter() - t0))
    return out


def main() -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import chapter_files

    with tempfile.TemporaryDirectory(prefix="bench-book-") as tmp:
        book = Path(tmp)
        tracked_copy(book)
        cold = build(book)
        warm = build(book)
        records = execution_records(book)
        weights = page_weights(book / "_build" / "html", chapter_files())

    print(f"cold build (empty cache, executes every chapter): {cold:7.1f} s")
    print(f"warm rebuild (nothing changed):                   {warm:7.1f} s")
    print(f"executed pages: {len(records)}")
    for name, secs in records:
        print(f"  {name:45s} {secs:6.2f} s")
    print("chapter pages (HTML incl. inline slider frames):")
    print(f"  {'page':32s} {'size':>9s} {'sliders':>8s} {'frames':>7s} {'frame bytes':>12s}")
    for page, size, sliders, frames, fbytes in weights:
        print(f"  {page:32s} {size / 2**20:7.2f} MB {sliders:8d} {frames:7d} {fbytes / 2**20:9.2f} MB")
    print("assignment solutions executed with nbclient (what a student runs):")
    for name, secs in solution_times():
        print(f"  {name:45s} {secs:6.2f} s")


if __name__ == "__main__":
    main()
