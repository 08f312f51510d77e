"""Finding things in the built book, opened from disk with no network: the search page
answers in Chromium, and every internal link and cross-reference resolves (the target
file exists and, for `#fragment` links, holds an element with that id)."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import pytest

pytestmark = pytest.mark.slow


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name"):
            if a.get(key):
                self.ids.add(a[key])
        for key in ("href", "src"):
            if tag in ("a", "link", "img", "script") and a.get(key):
                self.links.append(a[key])


def _parse(path: Path) -> _Links:
    p = _Links()
    p.feed(path.read_text(encoding="utf-8", errors="replace"))
    return p


def broken_links(html: Path) -> list[str]:
    """Every relative link of every page under `html` whose target or fragment is missing."""
    parsed: dict[Path, _Links] = {}

    def get(path: Path) -> _Links:
        if path not in parsed:
            parsed[path] = _parse(path)
        return parsed[path]

    bad = []
    for page in sorted(html.rglob("*.html")):
        if "_static" in page.relative_to(html).parts:
            continue  # theme template fragments copied as assets, not pages
        for link in get(page).links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith(("//", "data:", "mailto:", "javascript:")):
                continue
            target, fragment = urldefrag(link)
            dest = (page.parent / unquote(urlsplit(target).path)).resolve() if target else page
            if dest.is_dir():
                dest = dest / "index.html"
            where = f"{page.relative_to(html)}: {link}"
            if not dest.exists():
                bad.append(f"{where} (no such file)")
            elif fragment and dest.suffix == ".html" and unquote(fragment) not in get(dest).ids:
                bad.append(f"{where} (no element with id {fragment!r})")
    return bad


def test_every_internal_link_resolves(built_book):
    bad = broken_links(built_book)
    assert not bad, f"{len(bad)} broken internal links:\n" + "\n".join(bad[:40])


def test_the_link_check_finds_a_broken_link(tmp_path):
    (tmp_path / "a.html").write_text('<a href="b.html#here">b</a><a href="#top">t</a>'
                                     '<a href="c.html">c</a><p id="top"></p>')
    (tmp_path / "b.html").write_text('<p id="there"></p>')
    assert broken_links(tmp_path) == ["a.html: b.html#here (no element with id 'here')",
                                      "a.html: c.html (no such file)"]


@pytest.mark.parametrize("query, expected", [
    ("Hessian", "chapters/ch04-optimization.html"),
    ("gradient", "chapters/ch03-derivatives.html"),
    ("projection", "chapters/ch02-vectors.html"),
])
def test_search_works_from_disk(built_book, browser, query, expected):
    page = browser.new_page()
    offsite = []
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
               else (offsite.append(r.request.url), r.abort()))
    page.goto((built_book / "search.html").as_uri() + f"?q={query}", wait_until="load")
    page.wait_for_selector("#search-results ul.search li", timeout=20000)
    hrefs = page.eval_on_selector_all("#search-results ul.search li a",
                                      "els => els.map(e => e.getAttribute('href'))")
    assert any(expected in h for h in hrefs), (query, hrefs)
    assert not offsite, offsite
    page.close()


# ---- each section links to the calclib functions it uses (_ext/calclib_used.py) ----------

def _visible_code_by_section(chapter: Path) -> dict[str, str]:
    """``{"2.1": code of the cells a reader sees in section 2.1, ...}`` from the chapter's
    source (jupytext), cells tagged remove-cell / remove-input left out."""
    import re

    import jupytext

    nb = jupytext.read(chapter)
    current, code = None, {}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for m in re.finditer(r"^## (\d+\.\d+) ", cell.source, re.M):
                current = m.group(1)
                code.setdefault(current, "")
        elif current and not {"remove-cell", "remove-input"} & set(cell.metadata.get("tags", [])):
            code[current] += cell.source + "\n"
    return code


def _calclib_lines(page: Path) -> dict[str, list[tuple[str, str]]]:
    """``{"2.1": [(shown name, link), ...]}`` from the built page: the line under each
    section's heading."""
    import re
    from html import unescape

    text = page.read_text(encoding="utf-8")
    out = {}
    heads = list(re.finditer(r"<h2>(\d+\.\d+) ", text))
    for i, h in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        m = re.search(r'<p class="calclib-used">(.*?)</p>', text[h.end():end], re.S)
        out[h.group(1)] = [] if m is None else [
            (unescape(re.sub(r"<[^>]+>", "", shown)), href)
            for href, shown in re.findall(r'<a class="reference internal" href="([^"]+)"[^>]*>(.*?)</a>',
                                          m.group(1), re.S)]
    return out


def test_every_section_links_to_the_calclib_functions_it_uses(built_book):
    import re

    from conftest import ROOT, chapter_files

    reference = _parse(built_book / "reference" / "calclib.html").ids
    sections = 0
    for page in chapter_files():
        source = _visible_code_by_section(ROOT / f"{page}.md")
        lines = _calclib_lines(built_book / f"{page}.html")
        assert set(lines) == set(source), (page, sorted(lines), sorted(source))
        for number, code in source.items():
            listed = lines[number]
            shown = [s for s, _ in listed]
            # each link goes to the function's entry on the reference page ...
            for name, href in listed:
                path, _, anchor = href.partition("#")
                assert path == "../reference/calclib.html" and anchor in reference, (number, name, href)
                assert anchor.endswith("." + name.rsplit(".", 1)[1]), (number, name, href)
            # ... each listed name is spelled so in the section's visible code, and each call
            # of a calclib function there (cl.module.function(...)) is listed
            assert all(re.search(rf"\b{re.escape(s)}\b", code) for s in shown), (number, shown)
            called = set(re.findall(r"\b(cl\.[a-z_]+\.[a-z_]\w*)\(", code))
            assert called <= set(shown), (page, number, called - set(shown))
            sections += len(listed) > 0
    assert sections >= 25, f"only {sections} sections list their calclib functions"
