"""Benchmark the book: build times, notebook execution times, page weights.

    make bench        (or: .venv/bin/python benchmarks/bench_book.py)

Builds a fresh copy of the committed sources in a temporary folder (so the numbers do
not depend on an existing _build), then prints:

* cold `make book` (empty execution cache): the notebooks pre-executed in parallel by
  scripts/execute_parallel.py, then `jupyter-book build`; beside it the old serial build
  (jupyter-book executing one notebook at a time) on another fresh copy,
* warm `make book` (nothing changed: nothing executes),
* one chapter's code edited (only that chapter executes),
each with the baseline of issue 10 (cold 100 s, warm 6.4 s) and its target beside it,
* executed pages and the execution time of each notebook (from the jupyter-cache records),
* the size of each chapter page, with the number of sliders/frames and the frame bytes,
  and the page budget (2 MB) beside it; the bytes a reader downloads in total and before
  the first slider moves,
* the execution time of each assignment's solution notebook (what a student runs).
"""

from __future__ import annotations

from html.parser import HTMLParser
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

#: Issue 10's baseline (today's main, 2 cores) and targets, in seconds.
BASELINE = {"cold": 100.0, "warm": 6.4}
TARGET = {"cold": 45.0, "warm": 5.0, "edit": 15.0, "cold11": 90.0}
#: Budget for one chapter page: its HTML and all its slider frames (files beside it).
PAGE_BUDGET = 2 * 2**20
#: The chapter whose code the one-chapter-edit measurement changes.
EDITED_CHAPTER = "chapters/ch02-vectors"


def tracked_copy(dest: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for f in filter(None, files):
        src = ROOT / f
        if src.is_file():
            (dest / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / f)


def build(book: Path) -> tuple[float, int]:
    """`jupyter-book build` as `make book` runs it: (seconds, notebooks it executed)."""
    t0 = time.perf_counter()
    proc = subprocess.run([str(BIN / "jupyter-book"), "build", str(book), "-W", "-n", "--keep-going"],
                          capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if proc.returncode:
        sys.exit(f"build failed:\n{(proc.stdout + proc.stderr)[-4000:]}")
    return dt, (proc.stdout + proc.stderr).count(": Executing notebook")


def pre_execute(book: Path) -> tuple[float, list[str]]:
    """scripts/execute_parallel.py (the first step of `make book`): (seconds, pages executed)."""
    t0 = time.perf_counter()
    proc = subprocess.run([str(BIN / "python"), str(ROOT / "scripts" / "execute_parallel.py"),
                           str(book)], capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if proc.returncode:
        sys.exit(f"pre-execution failed:\n{(proc.stdout + proc.stderr)[-4000:]}")
    return dt, re.findall(r"^\[execute_parallel\] executed:\s+(\S+)", proc.stdout, re.M)


def make_book(book: Path) -> tuple[float, float, list[str], int]:
    """`make book`: (pre-execution s, build s, pages pre-executed, pages the build executed)."""
    pre, ran = pre_execute(book)
    secs, build_ran = build(book)
    return pre, secs, ran, build_ran


def edit_code(path: Path) -> None:
    """Change the code of the chapter's first code cell (a comment line at its end)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("```{code-cell}"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("```"))
    lines.insert(end, "# benchmark: this cell was edited\n")
    path.write_text("".join(lines), encoding="utf-8")


def synthetic_book(book: Path, chapters: int = 11) -> list[str]:
    """Fill ``book`` up to ``chapters`` chapters with copies of its chapters 2.. (a stand-in
    for the chapters not written yet), listed in its table of contents: the pages added.

    Each copy's first code cell sets a Matplotlib parameter that PNG frames do not use
    (``svg.hashsalt``), which is part of the frame cache's key: a copy draws its own frames
    instead of reading its original's, as a chapter of its own would.
    """
    have = sorted((book / "chapters").glob("ch[0-9][0-9]-*.md"))
    numbers = {int(p.name[2:4]) for p in have}
    sources = [p for p in have if int(p.name[2:4]) >= 2]
    added = []
    toc = (book / "_toc.yml").read_text(encoding="utf-8")
    last = f"      - file: chapters/{have[-1].stem}\n"
    for k, n in enumerate(n for n in range(1, chapters + 1) if n not in numbers):
        src = sources[k % len(sources)]
        page = f"chapters/ch{n:02d}-standin"
        lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
        start = next(i for i, line in enumerate(lines) if line.startswith("```{code-cell}"))
        end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("```"))
        lines.insert(end, f'import matplotlib; matplotlib.rcParams["svg.hashsalt"] = "{page}"\n')
        text = re.sub(r"\bfig-(?=[a-z0-9])", f"ch{n:02d}-fig-", "".join(lines))  # labels unique
        (book / f"{page}.md").write_text(text, encoding="utf-8")
        toc = toc.replace(last, last + f"      - file: {page}\n")
        last = f"      - file: {page}\n"
        added.append(page)
    (book / "_toc.yml").write_text(toc, encoding="utf-8")
    return added


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


def slider_frames(html_dir: Path, page: str) -> list[list[Path]]:
    """The frame files of each slider on a page (_ext/slider_frames.py wrote them)."""
    html = (html_dir / f"{page}.html").read_text(encoding="utf-8")
    base = (html_dir / page).parent
    out = []
    for m in re.finditer(r'<script type="application/json">(\{"sizes".*?)</script>', html):
        data = json.loads(m.group(1))
        if not all("." in f for f in data["frames"]):
            raise ValueError(f"{page}: a slider still has inline frames")
        out.append([(base / f).resolve() for f in data["frames"]])
    return out


def page_weights(html_dir: Path, pages: list[str]):
    """(page, bytes of its HTML and frames, sliders, frames, frame bytes, download in
    total, download before the first slider moves) for each page."""
    rows = []
    for page in pages:
        html_bytes = (html_dir / f"{page}.html").stat().st_size
        sliders = slider_frames(html_dir, page)
        files = {f for frames in sliders for f in frames}
        frame_bytes = sum(f.stat().st_size for f in files)
        total, before = page_downloads(html_dir, page)
        rows.append((page, html_bytes + frame_bytes, len(sliders),
                     sum(len(frames) for frames in sliders), frame_bytes, total, before))
    return rows


class _Assets(HTMLParser):
    """Local files a page loads (stylesheets, scripts, images), in document order, each
    with the byte offset of its tag and whether it blocks an inline script after it."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self._lines = [0]
        for line in text.encode().splitlines(keepends=True):
            self._lines.append(self._lines[-1] + len(line))
        self.assets: list[tuple[int, str, bool]] = []
        self.feed(text)

    def _offset(self) -> int:
        line, col = self.getpos()   # approximate in bytes only on non-ASCII lines
        return self._lines[line - 1] + col

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and "stylesheet" in (a.get("rel") or "") and a.get("href"):
            self.assets.append((self._offset(), a["href"], True))
        elif tag == "script" and a.get("src"):
            blocking = "defer" not in a and "async" not in a and a.get("type") != "module"
            self.assets.append((self._offset(), a["src"], blocking))
        elif tag == "img" and a.get("src") and not a["src"].startswith("data:"):
            self.assets.append((self._offset(), a["src"], False))


def page_downloads(html_dir: Path, page: str) -> tuple[int, int | None]:
    """(bytes in total, bytes before the first slider moves) for one page: its HTML, the
    local stylesheets, scripts and images it links (fonts are not counted) and, in the
    total, every frame of every slider (a reader who moves them all fetches them all).

    A static slider moves as soon as its own ``<figure>`` is parsed (its script is inline)
    and its initial frame has arrived; its other frames are fetched when the reader first
    touches it. So before that the reader has downloaded the HTML up to the end of that
    figure, every render-blocking stylesheet and script before it, and that initial frame.
    None: no slider.
    """
    path = html_dir / f"{page}.html"
    text = path.read_text(encoding="utf-8")
    raw = text.encode()
    seen, total, first = set(), len(raw), None
    end = raw.find(b"</figure>", raw.find(b'<figure class="cl-slider"'))
    if b'<figure class="cl-slider"' in raw:
        first = end + len(b"</figure>")
    before = first
    first_frame = None
    for offset, url, blocking in _Assets(text).assets:
        target = (path.parent / url.split("?")[0].split("#")[0]).resolve()
        if url.startswith(("http:", "https:", "//")) or not target.is_file() or target in seen:
            continue
        seen.add(target)
        size = target.stat().st_size
        total += size
        if first is not None and offset < first:
            if blocking:
                before += size
            elif "/frames/" in url:
                first_frame = size     # the last frame image before the end: the first slider's
    for frames in slider_frames(html_dir, page):
        for f in frames:
            if f not in seen:
                seen.add(f)
                total += f.stat().st_size
    if first is not None:
        before += first_frame or 0
    return total, before


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


def _vs(secs: float, key: str) -> str:
    parts = []
    if key in BASELINE:
        parts.append(f"baseline {BASELINE[key]:6.1f} s, x{secs / BASELINE[key]:.2f}")
    if key in TARGET:
        parts.append(f"target <= {TARGET[key]:.0f} s {'ok' if secs <= TARGET[key] else 'MISSED'}")
    return "  (" + "; ".join(parts) + ")" if parts else ""


def main() -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import chapter_files

    with tempfile.TemporaryDirectory(prefix="bench-book-") as tmp:
        serial_book, book = Path(tmp) / "serial", Path(tmp) / "parallel"
        tracked_copy(serial_book)
        tracked_copy(book)
        serial, serial_ran = build(serial_book)
        shutil.rmtree(serial_book)
        cold = make_book(book)
        warm = make_book(book)
        edit_code(book / f"{EDITED_CHAPTER}.md")
        edit = make_book(book)
        records = execution_records(book)
        weights = page_weights(book / "_build" / "html", chapter_files())
        shutil.rmtree(book)
        big = Path(tmp) / "eleven"
        tracked_copy(big)
        standins = synthetic_book(big)
        eleven = make_book(big)

    def line(label: str, run, key: str) -> str:
        pre, secs, ran, build_ran = run
        return (f"{label:44s} {pre + secs:7.1f} s = {pre:5.1f} s pre-execution ({len(ran)} "
                f"notebooks) + {secs:5.1f} s build ({build_ran} executed){_vs(pre + secs, key)}")

    print("make book (notebooks pre-executed in parallel, then jupyter-book build):")
    print(f"  {'cold, serial (old: jupyter-book executes)':44s} {serial:7.1f} s "
          f"({serial_ran} notebooks executed one at a time){_vs(serial, 'cold')}")
    print("  " + line("cold, parallel (empty cache)", cold, "cold"))
    print(f"  {'':44s} parallel/serial: x{(cold[0] + cold[1]) / serial:.2f}")
    print("  " + line("warm (nothing changed)", warm, "warm"))
    print("  " + line(f"one chapter's code edited ({EDITED_CHAPTER})", edit, "edit"))
    print("  " + line(f"cold, 11 chapters ({len(standins)} stand-ins: copies of ch02..)",
                      eleven, "cold11"))
    if edit[2] != [EDITED_CHAPTER] or edit[3] or warm[2] or warm[3] or cold[3]:
        print("  WARNING: the cache was not used as expected (see the notebook counts above)")
    print(f"executed pages: {len(records)}")
    for name, secs in records:
        print(f"  {name:45s} {secs:6.2f} s")
    print("chapter pages (HTML and its slider frames), budget "
          f"{PAGE_BUDGET / 2**20:.0f} MB per page:")
    print(f"  {'page':32s} {'size':>9s} {'budget':>9s} {'':4s} {'sliders':>8s} {'frames':>7s} "
          f"{'frame bytes':>12s} {'download':>11s} {'to 1st slider':>14s}")
    for page, size, sliders, frames, fbytes, total, before in weights:
        verdict = "ok" if size <= PAGE_BUDGET else "OVER"
        first = f"{before / 2**20:11.2f} MB" if before is not None else f"{'-':>14s}"
        print(f"  {page:32s} {size / 2**20:7.2f} MB {PAGE_BUDGET / 2**20:6.2f} MB {verdict:4s} "
              f"{sliders:8d} {frames:7d} {fbytes / 2**20:9.2f} MB {total / 2**20:8.2f} MB "
              f"{first}")
    print("  (download: the HTML, its frames and the local stylesheets, scripts and "
          "images it links; to 1st slider: what must arrive before the first slider moves)")
    print("assignment solutions executed with nbclient (what a student runs):")
    for name, secs in solution_times():
        print(f"  {name:45s} {secs:6.2f} s")


if __name__ == "__main__":
    main()
