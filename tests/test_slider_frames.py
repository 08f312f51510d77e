"""_ext/slider_frames.py: the book's slider frames become files, fetched on demand.

Checked on the HTML ``cl.slider`` really emits (a tiny draw function, every frame drawn as
in the book's build); the built book itself is checked by test_book (every chapter's frames
are files and the page with them is within budget) and test_browser (every slider still
moves in Chromium, each new frame decodes).
"""

from __future__ import annotations

import json
import re
import sys

import pytest

import calclib as cl
from conftest import ROOT

sys.path.insert(0, str(ROOT / "_ext"))
import slider_frames  # noqa: E402


def draw_level(fig, level):
    ax = fig.subplots()
    ax.axhline(abs(level))          # level and -level draw the same picture
    ax.set_ylim(0, 3)


@pytest.fixture
def html(monkeypatch):
    monkeypatch.setenv("CALCLIB_STATIC_FRAMES", "1")
    monkeypatch.delenv("CALCLIB_FRAME_CACHE", raising=False)
    s = cl.slider(draw_level, level=[-2, -1, 1, 2, 3], initial={"level": 1},
                  alt=lambda level: f"line at {abs(level)}")
    return s.to_html(), s.frames()


def payload(text: str) -> dict:
    return json.loads(re.search(r'<script type="application/json">(.*?)</script>', text,
                                re.S).group(1))


def test_frames_become_files_with_the_same_bytes(html, tmp_path):
    text, frames = html
    out = slider_frames.frames_to_files(text, tmp_path, "chapters/ch09-page.html")
    urls = payload(out)["frames"]
    assert len(urls) == 5
    for url, png in zip(urls, frames):
        assert url.startswith("../_images/frames/") and url.endswith(".png"), url
        assert (tmp_path / "chapters" / url).resolve().read_bytes() == png
    assert "data:image/png;base64,iVBOR" not in out, "an inline frame is left in the page"
    # the initial <img> points at the file of the initial frame (level = 1: index 2)
    first = re.search(r'<img class="cl-slider-frame" alt="[^"]*" src="([^"]+)"', out).group(1)
    assert first == urls[2]
    # everything else of the payload is unchanged
    before, after = payload(text), payload(out)
    assert {k: v for k, v in before.items() if k != "frames"} == \
        {k: v for k, v in after.items() if k != "frames"}


def test_identical_frames_are_stored_once_and_the_pass_is_idempotent(html, tmp_path):
    text, frames = html
    out = slider_frames.frames_to_files(text, tmp_path, "page.html")
    urls = payload(out)["frames"]
    assert urls[0] == urls[3] and urls[1] == urls[2]      # |-2| = 2, |-1| = 1
    assert urls[0].startswith("_images/frames/")             # a page at the top level
    assert len(set(urls)) == len({bytes(f) for f in frames}) == 3
    assert len(list((tmp_path / "_images" / "frames").iterdir())) == 3
    assert slider_frames.frames_to_files(out, tmp_path, "page.html") == out


def test_the_page_script_accepts_both_forms():
    js = (ROOT / "calclib" / "static" / "slider.js").read_text(encoding="utf-8")
    # base64 never contains ".", a URL of a frame file always does
    assert 'f.indexOf(".") >= 0 ? f : "data:image/png;base64," + f' in js


def test_a_slider_without_its_payload_is_an_error(tmp_path):
    broken = '<figure class="cl-slider" id="cl-slider-x"><img class="cl-slider-frame" alt="" src="data:image/png;base64,AAAA"></figure>'
    with pytest.raises(ValueError, match="payload"):
        slider_frames.frames_to_files(broken, tmp_path, "page.html")
