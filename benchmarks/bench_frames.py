"""Benchmark the sliders: the cost of one frame, and a chapter's Run All in a live kernel.

    make bench        (or: .venv/bin/python benchmarks/bench_frames.py)

Prints, for every chapter in the table of contents:

* each slider's frames and the median time to draw one (``calclib.sliders.render_png``:
  draw, lay out, rasterize, quantize, encode), with the chapter's and the book's median
  beside issue 10's baseline (~200 ms) and target (<= 30 ms),
* Run All of the chapter notebook in a fresh kernel as a student runs it (nbclient, no
  ``CALCLIB_STATIC_FRAMES``: each slider draws only the frame it shows) against the
  target of 10 s.

Frames are drawn in this process from the chapter's own draw functions, recorded by
tests/chapter_harness.py exactly as the facts tests record them.
"""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Issue 10's baseline and targets.
FRAME_BASELINE_MS = 200.0
FRAME_TARGET_MS = 30.0
RUN_ALL_TARGET_S = 10.0


def frame_times(chapter: Path) -> list[tuple[str, int, float]]:
    """(draw function, frames, median ms per frame) for every slider of the chapter."""
    from chapter_harness import run_chapter

    from calclib.sliders import render_png

    with contextlib.redirect_stdout(io.StringIO()):
        run = run_chapter(chapter)
    rows = []
    for name, s in run.sliders.items():
        times = []
        for values in s.combos():
            t0 = time.perf_counter()
            render_png(s.draw, values, figsize=s.figsize, dpi=s.dpi)
            times.append((time.perf_counter() - t0) * 1000)
        rows.append((name, len(times), statistics.median(times), times))
    return rows


def run_all(chapter: Path) -> float:
    """Seconds for Run All of the chapter in a fresh kernel, as a student runs it."""
    import jupytext
    from nbclient import NotebookClient

    nb = jupytext.read(chapter)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALCLIB_")}
    t0 = time.perf_counter()
    with _environ(env):
        NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=False,
                       resources={"metadata": {"path": str(chapter.parent)}}).execute()
    return time.perf_counter() - t0


@contextlib.contextmanager
def _environ(env: dict):
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def main() -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import chapter_files

    chapters = [ROOT / f"{page}.md" for page in chapter_files()]
    print("slider frames (render_png: draw, layout, Agg, palette PNG), median per frame:")
    every = []
    for chapter in chapters:
        rows = frame_times(chapter)
        if not rows:
            continue
        times = [t for *_, ts in rows for t in ts]
        every += times
        print(f"  {chapter.stem:32s} {len(times):4d} frames  median {statistics.median(times):6.1f} ms")
        for name, n, med, _ in rows:
            print(f"    {name:30s} {n:4d} frames  median {med:6.1f} ms")
    med = statistics.median(every)
    print(f"  {'book':32s} {len(every):4d} frames  median {med:6.1f} ms  (baseline "
          f"{FRAME_BASELINE_MS:.0f} ms, x{med / FRAME_BASELINE_MS:.2f}; target <= "
          f"{FRAME_TARGET_MS:.0f} ms {'ok' if med <= FRAME_TARGET_MS else 'MISSED'})")
    print("Run All in a live kernel (frames drawn when a slider shows them), target "
          f"<= {RUN_ALL_TARGET_S:.0f} s:")
    for chapter in chapters:
        secs = run_all(chapter)
        print(f"  {chapter.stem:32s} {secs:6.1f} s  "
              f"{'ok' if secs <= RUN_ALL_TARGET_S else 'MISSED'}")


if __name__ == "__main__":
    main()
