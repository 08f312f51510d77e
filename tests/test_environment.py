"""The pinned environment: complete, consistent, and without the 1.7 s import tax.

``make`` installs ``requirements.lock`` with ``--no-deps`` and runs ``pip check``; the
lock leaves out jsonschema's optional IRI checker (``LOCK_OMIT`` in the Makefile), whose
import compiles 38 grammars in every process that imports nbformat.
"""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import ROOT


def _omitted() -> list[str]:
    text = (ROOT / "Makefile").read_text()
    return re.search(r"^LOCK_OMIT := (.+)$", text, re.M).group(1).split("|")


def test_the_lock_leaves_out_the_omitted_packages():
    pins = {line.split("==")[0].lower() for line in (ROOT / "requirements.lock").read_text().splitlines()
            if "==" in line}
    omitted = _omitted()
    assert omitted == ["rfc3987-syntax", "lark"]
    assert not pins & set(omitted)
    assert {"jsonschema", "nbformat", "jupyter-events"} <= pins


def test_importing_nbformat_loads_no_grammar_compiler():
    out = subprocess.run(
        [sys.executable, "-c", "import sys, nbformat, jsonschema; "
         "print(sorted(m for m in ('rfc3987_syntax', 'lark') if m in sys.modules))"],
        capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]", f"nbformat pulled in {out}: the lock's LOCK_OMIT packages are installed"


def test_the_installed_environment_is_consistent():
    done = subprocess.run([sys.executable, "-m", "pip", "check", "--disable-pip-version-check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
