"""The whole book as one PDF, printed by Debian's Chromium from the single-page build.

    make pdf      (jupyter-book build --builder singlehtml, then this script)

Opens ``_build/singlehtml/intro.html`` from disk (no network: every other request is
refused), waits for MathJax to typeset every formula, refuses to print if any formula
failed or was left as TeX, opens nothing else, and prints A4 with backgrounds to
``_build/pdf/book.pdf``. Sliders print their initial frame with a note that they are
interactive in the HTML book (``_static/course.css``, ``@media print``). Prints the page
count and the number of formulas.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "_build" / "singlehtml" / "intro.html"
OUT = ROOT / "_build" / "pdf" / "book.pdf"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

# what MathJax leaves when it could not typeset: its error nodes, or raw TeX delimiters
# in the text outside code blocks
CHECK_MATH = """() => {
  const errors = document.querySelectorAll('mjx-merror, mjx-container [data-mjx-error]').length;
  const formulas = document.querySelectorAll('mjx-container').length;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const raw = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.parentElement.closest('pre, code, script, style, mjx-container, .highlight')) continue;
    if (/\\\\\\(|\\\\\\[|\\$\\$/.test(n.textContent)) raw.push(n.textContent.trim().slice(0, 80));
  }
  return {errors, formulas, raw};
}"""


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def main() -> int:
    from playwright.sync_api import sync_playwright

    if not SOURCE.is_file():
        sys.exit(f"{SOURCE} is missing: run `make pdf` (it builds the single-page book first)")
    if not Path(CHROMIUM).exists():
        sys.exit(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        offsite = []
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
                   else (offsite.append(r.request.url), r.abort()))
        page.goto(SOURCE.as_uri(), wait_until="load")
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                               timeout=60000)
        page.evaluate("() => MathJax.startup.promise")
        math = page.evaluate(CHECK_MATH)
        if offsite:
            sys.exit(f"the book asked for other hosts: {offsite[:5]}")
        if math["errors"] or math["raw"]:
            sys.exit(f"unrendered math: {math['errors']} MathJax errors, raw TeX in {math['raw'][:5]}")
        page.emulate_media(media="print")
        page.pdf(path=str(OUT), format="A4", print_background=True,
                 margin={"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"})
        browser.close()
    pages = page_count(OUT.read_bytes())
    print(f"{OUT.relative_to(ROOT)}: {pages} pages, {math['formulas']} formulas typeset, "
          f"{OUT.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
