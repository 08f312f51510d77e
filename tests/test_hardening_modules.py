"""instructor/hardening/ is a package of small modules, one concern each (no nbgrader run).

The in-kernel guard and the kernel launcher are real Python files that the grader reads as
text (the launcher is passed to ``python -I -c``, the guard executed in the kernel): they
must compile, contain exactly what is sent, and do nothing when imported. Every name that
``nbgrader_config.py``, the tests and the guide use resolves on the package, and
setuptools' package discovery (pyproject.toml) carries the package with both files.
"""

from __future__ import annotations

import ast
import importlib
import sys
import tomllib
from pathlib import Path

from conftest import ROOT

sys.path.insert(0, str(ROOT))
from instructor import hardening  # noqa: E402

PACKAGE = ROOT / "instructor" / "hardening"
#: the most lines one module may have: each is read in one sitting
LINE_BUDGET = 450
#: the public names of the single-file instructor/hardening.py this package replaced
PUBLIC = [
    "METADATA_KEY", "HIDDEN_BEGIN", "HIDDEN_END", "REVIEW", "NOTICE", "add_finding", "findings",
    "parts_of", "part_of_cell", "release_source", "hidden_lines", "landlock_abi", "LAUNCHER",
    "SandboxKernelManager", "GUARD_SOURCE", "IMPORTABLE", "HardenedExecute", "screen_source",
    "AuditSubmission", "FlagGrades", "FeedbackRedactor", "OfflineFeedbackExporter",
    "TolerantNotebookExporter", "collect_findings", "configure", "diagnose_submission",
]


def test_guard_and_launcher_are_real_python_sent_as_they_are():
    guard, launcher = PACKAGE / "guard.py", PACKAGE / "launcher.py"
    for path in (guard, launcher):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
    assert hardening.GUARD_SOURCE == guard.read_text(encoding="utf-8")
    assert hardening.LAUNCHER == launcher.read_text(encoding="utf-8")
    # no template left to fill in: what is sent is the file
    for text in (hardening.GUARD_SOURCE, hardening.LAUNCHER):
        assert "@@" not in text.replace("@@NBGRADER-GUARD@@", "")
        assert "%(" not in text and "{{" not in text


def test_guard_and_launcher_do_nothing_when_imported(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["pytest"])  # the launcher would read its spec here
    launcher = importlib.import_module("instructor.hardening.launcher")
    guard = importlib.import_module("instructor.hardening.guard")
    assert callable(launcher.main) and callable(guard.install)
    assert "_nbgrader_guard" not in sys.modules


def test_every_module_fits_the_line_budget():
    modules = sorted(PACKAGE.glob("*.py"))
    assert {"__init__.py", "guard.py", "launcher.py", "sandbox.py", "execute.py"} <= {
        p.name for p in modules}
    lengths = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in modules}
    assert max(lengths.values()) <= LINE_BUDGET, lengths
    assert not (ROOT / "instructor" / "hardening.py").exists()


def test_the_names_the_config_and_the_tests_use_resolve():
    config = ast.parse((ROOT / "nbgrader_config.py").read_text(encoding="utf-8"))
    used = {node.attr for node in ast.walk(config) if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name) and node.value.id == "hardening"}
    assert "configure" in used
    # c.<Class>.<trait> for the package's classes
    classes = {node.value.attr for node in ast.walk(config) if isinstance(node, ast.Attribute)
               and isinstance(node.value, ast.Attribute) and isinstance(node.value.value, ast.Name)
               and node.value.value.id == "c"}
    ours = {"HardenedExecute", "SandboxKernelManager", "AuditSubmission"}
    assert ours <= classes
    for name in sorted(used | ours | set(PUBLIC) | set(hardening.__all__)):
        assert hasattr(hardening, name), name
    for cls in ours:
        assert getattr(hardening, cls).__module__.startswith("instructor.hardening.")


def test_package_discovery_carries_the_package():
    from setuptools import find_packages

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    assert "instructor.hardening" in find_packages(str(ROOT), include=include)
