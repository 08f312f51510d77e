"""One call from ``nbgrader_config.py`` registers every protection: :func:`configure`."""

from __future__ import annotations

from nbgrader.preprocessors import Execute

from .audit import AuditSubmission, FlagGrades
from .execute import HardenedExecute
from .feedback import FeedbackRedactor, OfflineFeedbackExporter
from .intake import TolerantNotebookExporter


def _replace(seq: list, old, new) -> list:
    return [new if item is old else item for item in seq]


def configure(c, course_root: str | None = None, mathjax_dir: str | None = None,
              tex_macros: dict | None = None) -> None:
    """Register every protection in an nbgrader config ``c`` (see :mod:`instructor.hardening`).

    Limits and timeouts stay configurable as usual afterwards, e.g.
    ``c.SandboxKernelManager.memory_limit`` or ``c.Execute.timeout``.
    """
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.converters.autograde import Autograde
    from nbgrader.preprocessors import GetGrades, OverwriteCells, SaveAutoGrades

    sanitize = list(Autograde.class_traits()["sanitize_preprocessors"].default())
    sanitize.insert(sanitize.index(OverwriteCells), AuditSubmission)
    autograde = _replace(list(Autograde.class_traits()["autograde_preprocessors"].default()),
                         Execute, HardenedExecute)
    autograde.insert(autograde.index(SaveAutoGrades) + 1, FlagGrades)
    c.Autograde.exporter_class = TolerantNotebookExporter
    c.Autograde.sanitize_preprocessors = sanitize
    c.Autograde.autograde_preprocessors = autograde
    c.GenerateFeedback.preprocessors = [GetGrades, FeedbackRedactor, CSSHTMLHeaderPreprocessor]
    c.GenerateFeedback.exporter_class = OfflineFeedbackExporter
    if course_root:
        protected = [str(course_root)]
        c.SandboxKernelManager.protected_paths = protected
    if mathjax_dir:
        c.OfflineFeedbackExporter.mathjax_dir = str(mathjax_dir)
    if tex_macros:
        c.OfflineFeedbackExporter.tex_macros = dict(tex_macros)
