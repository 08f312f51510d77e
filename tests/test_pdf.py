"""`make pdf`: the single-page build printed by Chromium, with every formula typeset."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT, run_book_build

pytestmark = pytest.mark.slow

sys.path.insert(0, str(ROOT / "scripts"))
import make_pdf  # noqa: E402


def test_page_count_counts_pages_not_the_page_tree():
    pdf = b"<< /Type /Pages /Kids [3 0 R 4 0 R] >> << /Type /Page >> << /Type/Page /Parent 2 0 R >>"
    assert make_pdf.page_count(pdf) == 2


def test_the_book_prints_to_pdf(built_book):
    proc = run_book_build(ROOT, "--builder", "singlehtml")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_pdf.py")],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    pdf = make_pdf.OUT.read_bytes()
    assert pdf.startswith(b"%PDF")
    pages = make_pdf.page_count(pdf)
    formulas = int(out.stdout.split(" formulas")[0].rsplit(" ", 1)[1])
    # four chapters of text, figures and code: far more than one page per chapter
    assert pages >= 100, out.stdout
    assert formulas >= 500, out.stdout
