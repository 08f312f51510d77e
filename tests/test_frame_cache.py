"""The persistent frame cache (calclib/frame_cache.py): a frame is stored once and reused
by a later execution of the same slider, and never reused when anything it depends on
changed: the draw code, a function it calls, the data it reads (globals, closures,
defaults), the values, the figure size, Matplotlib's rcParams, the library versions,
calclib's source. Each test executes a small "chapter" twice, as two kernels would, and
counts the frames drawn and the frames read from the cache."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

import calclib as cl
from calclib import frame_cache
from calclib.sliders import render_png

CHAPTER = '''
import numpy as np
DATA = np.array([1.0, 2.0, 3.0])
OTHER = 5
SCALE = {"y": 1.0}

def helper(ax, a):
    ax.plot(DATA * a * SCALE["y"], color="C0")

def unrelated():
    return OTHER

def draw(fig, a):
    ax = fig.subplots()
    helper(ax, a)
    ax.set_ylim(0, 12)
    ax.set_title("frame")
'''
GRID = [1.0, 2.0, 3.0]


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CALCLIB_STATIC_FRAMES", "1")
    monkeypatch.setenv(frame_cache.FRAME_CACHE_ENV, str(tmp_path / "frames"))
    return tmp_path / "frames"


def run(source: str = CHAPTER, grid=GRID, **slider_kw):
    """Execute the chapter in a fresh namespace (a new kernel) and make its slider."""
    ns = {"__name__": "__main__"}
    exec(compile(source, "chapter", "exec"), ns)
    return cl.slider(ns["draw"], a=list(grid), **slider_kw)


def stored(folder) -> int:
    return sum(1 for p in folder.rglob("*.png")) if folder.exists() else 0


def test_second_execution_reads_every_frame_and_draws_one(cache):
    first = run()
    assert (first.rendered, first.from_disk) == (len(GRID) + 1, 0)   # + the purity check
    assert stored(cache) == len(GRID)
    second = run()
    assert second.from_disk == len(GRID)
    assert second.rendered == 1, "only the purity check draws"
    assert second.frames() == first.frames()
    # and they are the pixels draw draws now
    ns = {"__name__": "__main__"}
    exec(CHAPTER, ns)
    assert second.frames()[0] == render_png(ns["draw"], {"a": 1.0})


CHANGES = {
    "draw's code": lambda s: s.replace('set_title("frame")', 'set_title("Frame")'),
    "a function draw calls": lambda s: s.replace('color="C0"', 'color="C1"'),
    "a global array draw reads": lambda s: s.replace("[1.0, 2.0, 3.0]", "[1.0, 2.0, 3.5]"),
    "a global dict draw reads": lambda s: s.replace('{"y": 1.0}', '{"y": 1.5}'),
    "a default argument": lambda s: s.replace("def draw(fig, a):", "def draw(fig, a, k=2):")
                                     .replace("    helper(ax, a)", "    helper(ax, a / k)"),
    "a closure": lambda s: s.replace("def draw(fig, a):", "def make(k):\n  def draw(fig, a):")
                            .replace("\n    ax", "\n      ax").replace("\n    helper", "\n      helper")
                            + "  return draw\ndraw = make(3.0)\n",
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_that_matters_redraws_every_frame(cache, change):
    run()
    edited = CHANGES[change](CHAPTER)
    assert edited != CHAPTER
    again = run(edited)
    assert again.from_disk == 0, f"{change}: stale frames were reused"
    assert again.rendered == len(GRID) + 1


@pytest.mark.parametrize("what", ["figsize", "dpi", "rcParams", "versions", "calclib"])
def test_the_environment_of_a_frame_is_in_its_key(cache, monkeypatch, what):
    run()
    kw = {}
    if what == "figsize":
        kw["figsize"] = (6.0, 3.6)
    elif what == "dpi":
        kw["dpi"] = 72
    elif what == "versions":
        real = frame_cache._versions()
        monkeypatch.setattr(frame_cache, "_versions", lambda: real[:2] + ("9.9.9",) + real[3:])
    elif what == "calclib":
        monkeypatch.setattr(frame_cache, "_calclib_source", lambda: "0" * 64)
    if what == "rcParams":
        with matplotlib.rc_context({"lines.linewidth": 3.0}):
            again = run(**kw)
    else:
        again = run(**kw)
    assert again.from_disk == 0, f"{what} changed but the stored frames were used"


def test_the_calclib_fingerprint_is_its_source():
    """The key's calclib part is the hash of the package's files, not a version number
    that an edit does not change."""
    import hashlib
    from pathlib import Path

    root = Path(cl.__file__).parent
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(p.relative_to(root).as_posix().encode())
            h.update(p.read_bytes())
    assert frame_cache._calclib_source() == h.hexdigest()


UNCHANGED = {
    "an unrelated global": lambda s: s.replace("OTHER = 5", "OTHER = 6"),
    "an unrelated function": lambda s: s.replace("return OTHER", "return OTHER + 1"),
    "lines moved": lambda s: "\n\n\n" + s.replace("def draw", "# a comment\n\ndef draw"),
    "a new cell after": lambda s: s + "\nRESULT = np.arange(4)\n",
}


@pytest.mark.parametrize("change", UNCHANGED)
def test_a_change_that_does_not_matter_keeps_the_frames(cache, change):
    run()
    again = run(UNCHANGED[change](CHAPTER))
    assert again.from_disk == len(GRID), f"{change} should not redraw"


def test_a_new_grid_value_draws_only_the_new_frame(cache):
    run()
    again = run(grid=GRID + [4.0])
    assert again.from_disk == len(GRID)
    assert again.rendered == 1 + 1


@pytest.mark.parametrize("prelude, reads", [
    ("", "open(\"/dev/null\").close()"),                        # a file
    ("import os", "os.getpid()"),                               # the process
    ("import threading\nLOCK = threading.Lock()",               # an object of a class
     "LOCK.acquire(); LOCK.release()"),                         # calclib does not know
])
def test_a_draw_that_reads_the_outside_world_is_never_cached(cache, prelude, reads):
    src = prelude + "\n" + CHAPTER.replace('    ax.set_title("frame")',
                                           f'    ax.set_title("frame")\n    {reads}')
    first = run(src)
    again = run(src)
    assert stored(cache) == 0
    assert again.from_disk == 0 and again.rendered == first.rendered == len(GRID) + 1


def test_a_stored_frame_that_is_not_what_draw_draws_is_replaced(cache):
    """A cache copied from elsewhere or edited by hand: the purity check's extra drawing
    of the initial frame differs from the stored one, so every frame is drawn again."""
    first = run()
    for png in cache.rglob("*.png"):
        png.write_bytes(render_png(lambda fig, **_: fig.subplots().plot([0, 1]), {}))
    again = run()
    assert again.frames() == first.frames()
    assert again.from_disk == 0
    third = run()
    assert third.from_disk == len(GRID), "the redrawn frames were stored"


def test_no_cache_without_the_folder_or_in_a_live_kernel(tmp_path, monkeypatch):
    monkeypatch.setenv("CALCLIB_STATIC_FRAMES", "1")
    monkeypatch.delenv(frame_cache.FRAME_CACHE_ENV, raising=False)
    assert run().from_disk == 0 and run().from_disk == 0
    # a live kernel draws lazily while its globals may change: never cached
    monkeypatch.setenv("CALCLIB_STATIC_FRAMES", "0")
    monkeypatch.setenv(frame_cache.FRAME_CACHE_ENV, str(tmp_path / "frames"))
    s = run()
    s.frames()
    assert stored(tmp_path / "frames") == 0


def test_keys_differ_by_value_and_are_stable():
    fp = frame_cache.slider_fingerprint(lambda fig, a: fig.subplots().plot([a]))
    k1 = frame_cache.frame_key(fp, {"a": 1.0}, (6.4, 3.6), 80, 128)
    assert k1 == frame_cache.frame_key(fp, {"a": 1.0}, (6.4, 3.6), 80, 128)
    assert k1 != frame_cache.frame_key(fp, {"a": 2.0}, (6.4, 3.6), 80, 128)
    assert k1 != frame_cache.frame_key(fp, {"a": 1}, (6.4, 3.6), 80, 128)   # int vs float
    assert k1 != frame_cache.frame_key(fp, {"a": 1.0}, (6.4, 3.6), 80, None)
    assert len(k1) == 64 and int(k1, 16) >= 0
    assert np.isscalar(k1)
