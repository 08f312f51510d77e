"""Slider frames as image files in the HTML book, fetched when a reader moves the slider.

``cl.slider`` emits self-contained HTML: every frame as base64 inside the page. That is
what a notebook needs (it has no other place to keep them), but in the built book it makes
a chapter page carry all its frames, inflated by a third, before the reader has moved
anything. At ``html-page-context`` this extension writes each frame of each slider on the
page to ``_images/frames/<sha256 prefix>.png`` (identical frames are stored once, and a
rebuild writes nothing new) and replaces the base64 strings in the slider's JSON payload
and the initial ``<img>`` by relative URLs. calclib's slider script accepts either form,
so the downloadable ``.ipynb`` keeps its inline frames.

Only the initial frame is loaded with the page; a slider's other frames are fetched when a
reader first touches it (calclib/static/slider.js). Everything stays local: it works from
``file://`` as well as from a server.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

from sphinx.util.osutil import relative_uri

FRAMES_DIR = "_images/frames"
DATA_URI = "data:image/png;base64,"

_SLIDER = re.compile(r'<figure class="cl-slider" id="[^"]+">.*?</figure>', re.S)
_PAYLOAD = re.compile(r'(<script type="application/json">)(.*?)(</script>)', re.S)
_FIRST = re.compile(r'(<img class="cl-slider-frame" alt="[^"]*" src=")' + re.escape(DATA_URI)
                    + r'([A-Za-z0-9+/=]+)(")')


def frame_name(png: bytes) -> str:
    """The file name of a frame: its content hash (a frame is never stale)."""
    return hashlib.sha256(png).hexdigest()[:20] + ".png"


def _writer(outdir: Path, page_uri: str):
    folder = outdir / FRAMES_DIR
    folder.mkdir(parents=True, exist_ok=True)

    def url_of(b64: str) -> str:
        png = base64.b64decode(b64, validate=True)
        name = frame_name(png)
        target = folder / name
        if not target.is_file():
            tmp = target.with_suffix(".tmp")
            tmp.write_bytes(png)
            tmp.replace(target)       # parallel writers never see half a file
        return relative_uri(page_uri, f"{FRAMES_DIR}/{name}")

    return url_of


def frames_to_files(html: str, outdir: Path, page_uri: str) -> str:
    """``html`` with every slider's inline frames replaced by URLs of files in ``outdir``.

    ``page_uri`` is the page's own URI relative to ``outdir`` (e.g.
    ``chapters/ch03-derivatives.html``), from which the frame URLs are made relative.
    """
    url_of = _writer(Path(outdir), page_uri)

    def one_slider(m: re.Match) -> str:
        fig = m.group(0)
        payload = _PAYLOAD.search(fig)
        if payload is None:
            raise ValueError("a cl-slider figure without its JSON payload")
        data = json.loads(payload.group(2))
        data["frames"] = [f if "." in f else url_of(f) for f in data["frames"]]
        new_payload = json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")
        fig = fig[:payload.start(2)] + new_payload + fig[payload.end(2):]
        return _FIRST.sub(lambda g: g.group(1) + url_of(g.group(2)) + g.group(3), fig, count=1)

    return _SLIDER.sub(one_slider, html)


def _on_page(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if body and 'class="cl-slider"' in body:
        page = Path(app.builder.get_outfilename(pagename)).relative_to(app.outdir)
        context["body"] = frames_to_files(body, Path(app.outdir), page.as_posix())


def setup(app):
    app.connect("html-page-context", _on_page, priority=800)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
