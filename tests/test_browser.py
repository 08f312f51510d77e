"""What a reader sees: the built book in a real headless Chromium, opened from disk.

Debian's /usr/bin/chromium is driven by Playwright (which never downloads a browser
here). Every request that is not file:// or data: is aborted and recorded, so a page
that needs the network fails. Checks: no console errors, no failed loads, math typeset
by the vendored MathJax, every image decoded, and dragging each slider changes its figure.
"""

from __future__ import annotations


import pytest

from conftest import toc_files

pytestmark = pytest.mark.slow


class Visit:
    """One page load with everything the page asked for and complained about."""

    def __init__(self, browser, url):
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.offsite, self.failed, self.console = [], [], []
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}")
                     if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        self.page.on("requestfailed", lambda r: self.failed.append(r.url)
                     if r.url.startswith("file:") else None)
        self.page.route("**/*", self._route)
        self.page.goto(url, wait_until="load")
        # MathJax 3 typesets asynchronously; wait for it where the page has math
        self.page.wait_for_function(
            "() => !document.querySelector('.math') || "
            "(window.MathJax && MathJax.startup && MathJax.startup.promise)", timeout=20000)
        self.page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null")

    def _route(self, route):
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.offsite.append(url)
            route.abort()


@pytest.mark.parametrize("page", toc_files())
def test_page_renders_offline(built_book, browser, page):
    v = Visit(browser, (built_book / f"{page}.html").as_uri())
    try:
        assert not v.offsite, f"{page} requested other hosts: {v.offsite}"
        assert not v.failed, f"{page} failed to load local files: {v.failed}"
        assert not v.console, f"{page} console: {v.console}"
        n_math, n_typeset, n_err = v.page.evaluate("""() => [
            document.querySelectorAll('.math').length,
            document.querySelectorAll('.math mjx-container').length,
            document.querySelectorAll('mjx-merror').length]""")
        assert n_typeset == n_math, f"{page}: {n_math - n_typeset} of {n_math} math elements not typeset"
        assert n_err == 0, f"{page}: {n_err} MathJax errors (undefined macro?)"
        broken = v.page.evaluate("""() => Array.from(document.images)
            .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt || i.src.slice(0, 60))""")
        assert not broken, f"{page}: images that did not load: {broken}"
    finally:
        v.page.close()


def test_chapters_have_typeset_math(built_book, browser):
    """Guard against the check above passing vacuously: chapters do contain math."""
    v = Visit(browser, (built_book / "chapters/ch02-vectors.html").as_uri())
    try:
        assert v.page.locator(".math mjx-container").count() >= 10
    finally:
        v.page.close()


def _slider_pages(built_book):
    return [p for p in toc_files() if "cl-slider" in (built_book / f"{p}.html").read_text(encoding="utf-8")]


def test_every_chapter_with_content_has_sliders(built_book):
    pages = _slider_pages(built_book)
    assert "chapters/ch02-vectors" in pages, pages


def test_dragging_every_slider_changes_its_figure(built_book, browser):
    pages = _slider_pages(built_book)
    checked = 0
    for page in pages:
        v = Visit(browser, (built_book / f"{page}.html").as_uri())
        try:
            figures = v.page.locator("figure.cl-slider")
            for i in range(figures.count()):
                fig = figures.nth(i)
                fig.scroll_into_view_if_needed()
                img = fig.locator("img.cl-slider-frame")
                ranges = fig.locator("input[type=range]")
                for j in range(ranges.count()):
                    rng = ranges.nth(j)
                    lo, hi, val = (int(rng.get_attribute(a)) for a in ("min", "max", "value"))
                    before_src = img.get_attribute("src")
                    before_label = fig.locator(f"output[data-param='{j}']").text_content()
                    box = rng.bounding_box()
                    y = box["y"] + box["height"] / 2
                    thumb_x = box["x"] + 8 + (box["width"] - 16) * (val - lo) / (hi - lo)
                    target = lo if val - lo > hi - val else hi  # drag to the far end
                    target_x = box["x"] + 8 + (box["width"] - 16) * (target - lo) / (hi - lo)
                    v.page.mouse.move(thumb_x, y)
                    v.page.mouse.down()
                    v.page.mouse.move(target_x, y, steps=8)
                    v.page.mouse.up()
                    after = int(rng.input_value())
                    where = f"{page}, slider {i}, parameter {j}"
                    assert after == target, f"{where}: dragged to {target}, value is {after}"
                    assert img.get_attribute("src") != before_src, f"{where}: figure did not change"
                    assert fig.locator(f"output[data-param='{j}']").text_content() != before_label, where
                    # the frame is a file fetched on demand: wait until it has decoded
                    assert img.evaluate("i => i.decode().then(() => i.naturalWidth > 0, () => false)"), \
                        f"{where}: frame broken"
                    # keyboard works too (accessibility)
                    rng.focus()
                    src = img.get_attribute("src")
                    v.page.keyboard.press("ArrowLeft" if target == hi else "ArrowRight")
                    assert img.get_attribute("src") != src, f"{where}: arrow key did not move the figure"
                    checked += 1
            assert not v.console, f"{page} console: {v.console}"
        finally:
            v.page.close()
    assert checked >= 3, f"only {checked} slider parameters found"
