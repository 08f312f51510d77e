"""Accessibility: every page of the built book, opened from disk in Chromium, checked by
axe-core (the npm package pinned in package-lock.json, installed by `make`).

No page may have a serious or critical violation of WCAG 2.1 A/AA. The counts per page
and impact are printed (run `make a11y`) and written to _build/a11y.json.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter

import pytest

from conftest import ROOT, toc_files

pytestmark = pytest.mark.slow

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
REPORT: dict[str, dict[str, int]] = {}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make test` (it runs `npm ci`) or `npm ci`")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()
    out = ROOT / "_build" / "a11y.json"
    out.write_text(json.dumps(REPORT, indent=1, sort_keys=True))
    print("\naxe-core violations per page (impact: count of affected elements)")
    for page, counts in sorted(REPORT.items()):
        print(f"  {page:40s} " + (", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
                                  or "none"))


def axe_violations(browser, url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
               else r.abort())
    page.goto(url, wait_until="load")
    page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
                           TAGS)
    page.close()
    return result["violations"]


@pytest.mark.parametrize("name", toc_files())
def test_no_serious_or_critical_violations(built_book, browser, name):
    violations = axe_violations(browser, (built_book / f"{name}.html").as_uri())
    counts = Counter()
    for v in violations:
        counts[v["impact"]] += len(v["nodes"])
    REPORT[name] = dict(counts)
    blocking = [f"{v['impact']} {v['id']} ({len(v['nodes'])}x): {v['help']}; e.g. "
                f"{v['nodes'][0]['target']} {v['nodes'][0]['failureSummary'][:200]}"
                for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"{name}: " + "\n".join(blocking)


def test_axe_finds_a_planted_violation(browser, tmp_path):
    """The check can fail: an image without alt text and an unlabeled input are caught."""
    f = tmp_path / "bad.html"
    f.write_text("<!doctype html><html lang='en'><head><title>t</title></head><body><main>"
                 "<img src='data:image/png;base64,iVBORw0KGgo='><input type='range'>"
                 "</main></body></html>")
    ids = {v["id"] for v in axe_violations(browser, f.as_uri()) if v["impact"] in BLOCKING}
    assert {"image-alt", "label"} <= ids, ids
