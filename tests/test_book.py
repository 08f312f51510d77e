"""The book builds with warnings as errors, every chapter executes, and failures fail it."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import HTML, ROOT, chapter_files, run_book_build, toc_files

pytestmark = pytest.mark.slow

#: Page-weight budget for one chapter page (issue 10): its HTML and every frame of its
#: sliders (the files _ext/slider_frames.py writes beside it).
PAGE_BUDGET = 2 * 1024 * 1024


def test_every_toc_page_is_built(built_book):
    for page in toc_files():
        assert (built_book / f"{page}.html").is_file(), f"{page} missing from the built book"


@pytest.mark.parametrize("chapter", chapter_files())
def test_chapter_executed_without_errors(built_book, chapter):
    """The executed notebook a reader downloads: every code cell ran, none raised.

    Checked on the download (``_sources/<page>.ipynb``), which is what readers get, and
    which must hold the outputs also after a rebuild served from the execution cache.
    """
    executed = built_book / "_sources" / f"{chapter}.ipynb"
    assert executed.is_file(), f"{chapter} has no executed notebook to download"
    nb = json.loads(executed.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, f"{chapter} has no code cells"
    for i, cell in enumerate(code):
        assert cell.get("execution_count") is not None, f"{chapter}: code cell {i} did not run"
        tags = cell.get("metadata", {}).get("tags", [])
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if "raises-exception" in tags:
            assert errors, f"{chapter}: cell {i} is tagged raises-exception but did not raise"
        else:
            assert not errors, f"{chapter}: code cell {i} raised {errors[0].get('ename')}"
    assert any(c.get("outputs") for c in code), f"{chapter}: the download has no outputs"


@pytest.mark.parametrize("chapter", chapter_files())
def test_chapter_is_downloadable_as_ipynb(built_book, chapter):
    page = (built_book / f"{chapter}.html").read_text(encoding="utf-8")
    name = Path(chapter).name + ".ipynb"
    assert f'_sources/{chapter}.ipynb"' in page, f"no .ipynb download link on {chapter}"
    nb = json.loads((built_book / "_sources" / f"{chapter}.ipynb").read_text(encoding="utf-8"))
    assert nb["nbformat"] == 4 and nb["cells"], name


@pytest.mark.parametrize("chapter", chapter_files())
def test_chapter_page_within_budget(built_book, chapter):
    html = built_book / f"{chapter}.html"
    text = html.read_text(encoding="utf-8")
    frames = set()
    for m in re.finditer(r'<script type="application/json">(\{"sizes".*?)</script>', text):
        for f in json.loads(m.group(1))["frames"]:
            assert f.startswith("../_images/frames/") and f.endswith(".png"), \
                f"{chapter}: a slider frame is still inline in the page"
            frames.add((html.parent / f).resolve())
    assert all(f.is_file() for f in frames), f"{chapter}: a slider frame file is missing"
    size = html.stat().st_size + sum(f.stat().st_size for f in frames)
    assert size <= PAGE_BUDGET, (f"{chapter}: HTML and {len(frames)} frames are "
                                 f"{size / 2**20:.2f} MiB > {PAGE_BUDGET / 2**20} MiB")


def test_exercise_pages_are_shown_not_executed(built_book):
    for page in toc_files():
        if not page.startswith("exercises/"):
            continue
        assert not (ROOT / "_build" / "jupyter_execute" / f"{page}.ipynb").exists() or \
            not any(c.get("outputs") for c in json.loads(
                (ROOT / "_build" / "jupyter_execute" / f"{page}.ipynb").read_text())["cells"]
                if c["cell_type"] == "code"), f"{page} was executed"
        html = (built_book / f"{page}.html").read_text(encoding="utf-8")
        assert "NotImplementedError" in html, f"{page} does not show the stubs"
        assert f'_sources/{page}.ipynb"' in html, f"{page} has no download link"


class _Assets(HTMLParser):
    """Collects the URLs a page *loads* (scripts, images, styles, fonts, icons)."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "video", "audio") and a.get("src"):
            self.urls.append(a["src"])
        elif tag == "link" and a.get("href") and set((a.get("rel") or "").split()) & {
                "stylesheet", "preload", "icon", "modulepreload", "prefetch"}:
            self.urls.append(a["href"])


def test_no_third_party_assets_in_pages(built_book):
    """Scripts, styles, images and fonts are all local (plain links to other sites may exist)."""
    for page in toc_files():
        parser = _Assets()
        parser.feed((built_book / f"{page}.html").read_text(encoding="utf-8"))
        assert parser.urls, f"{page}: parser found no assets at all"
        remote = [u for u in parser.urls if re.match(r"(https?:)?//", u)]
        assert not remote, f"{page} loads from other hosts: {remote}"


def _mini_book(tmp_path: Path, cell: str) -> Path:
    """A one-page book with the course's own _config.yml and a given code cell."""
    book = tmp_path / "book"
    book.mkdir()
    shutil.copy(ROOT / "_config.yml", book / "_config.yml")
    for d in ("_static", "_vendor", "_ext"):
        shutil.copytree(ROOT / d, book / d)
    (book / "_toc.yml").write_text("format: jb-book\nroot: index\n")
    (book / "index.md").write_text(
        "---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
        "kernelspec:\n  display_name: Python 3\n  language: python\n  name: python3\n---\n\n"
        f"# Probe\n\nText.\n\n```{{code-cell}} ipython3\n{cell}\n```\n"
    )
    return book


def test_a_raising_notebook_fails_the_build(tmp_path):
    book = _mini_book(tmp_path, "raise RuntimeError('boom from a chapter')")
    proc = run_book_build(book)
    assert proc.returncode != 0, "a chapter cell that raises must fail the build"
    assert "boom from a chapter" in proc.stdout + proc.stderr


def test_the_same_config_builds_a_good_notebook_and_caches_it(tmp_path):
    """Control for the test above, and the cache: a rebuild executes nothing, and the
    .ipynb download keeps its outputs when they come from the cache."""
    book = _mini_book(tmp_path, "x = 20 + 22\nx")
    download = book / "_build" / "html" / "_sources" / "index.ipynb"
    for build in ("cold", "warm"):
        if build == "warm":
            shutil.rmtree(book / "_build" / "html")  # re-render every page from the cache
        proc = run_book_build(book)
        log = proc.stdout + proc.stderr
        assert proc.returncode == 0, log[-4000:]
        assert ("Executed notebook" in log) == (build == "cold"), f"{build} build: {log[-2000:]}"
        nb = json.loads(download.read_text(encoding="utf-8"))
        cell = [c for c in nb["cells"] if c["cell_type"] == "code"][0]
        assert cell["execution_count"] == 1, f"{build} build: download lost its execution"
        assert "".join(cell["outputs"][0]["data"]["text/plain"]) == "42", f"{build} build: {cell['outputs']}"


@pytest.mark.parametrize("chapter", chapter_files())
def test_no_unused_widget_state_or_widget_js(built_book, chapter):
    """The static book uses the sliders' HTML version: no widget state, no widget JS."""
    html = (built_book / f"{chapter}.html").read_text(encoding="utf-8")
    assert "application/vnd.jupyter.widget-state+json" not in html
    assert "embed-amd" not in html and "require.min.js" not in html
    assert "widget-view+json" not in html, "a widget view was rendered instead of the HTML frames"
