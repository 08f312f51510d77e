"""Hardened autograding: what nbgrader does not protect against, and how it is closed here.

nbgrader runs a student's notebook in a Jupyter kernel with the grader's privileges and
trusts what that kernel reports. This package is loaded by ``nbgrader_config.py``
(:func:`configure`) and adds, without changing how tests are written:

* :class:`SandboxKernelManager` -- every grading kernel starts through a small launcher
  that sets resource limits (address space, CPU seconds, file size, no core dumps), gives
  the kernel a scrubbed environment (no instructor secrets), and, where the Linux kernel
  has Landlock (5.13+), confines it: it may read the system and Python, write only its own
  scratch folder, bind only its five ZeroMQ ports, connect nowhere, and signal no process
  outside itself. So it cannot read ``solutions/`` (the hidden tests), touch
  ``gradebook.db`` or another student's files, or kill the grader.
* :class:`HardenedExecute` -- replaces nbgrader's ``Execute``: a cell that ignores the
  interrupt after a timeout, or that kills the kernel, is recorded as failed and the
  notebook is re-run in a fresh kernel *without that cell*, so the rest is still graded;
  output is capped in bytes while it is collected; before and after every test cell an
  in-kernel guard restores what student code may have patched (numpy functions, builtins,
  ``sys.stdout``/``stderr``, IPython's traceback display, the kernel's reply handler,
  signal handlers...) and a test during which something was patched scores 0; a result
  value smuggled into a test cell (``sys.displayhook(...)``, which nbgrader would count as
  a partial-credit score) is neutralised.
* :class:`AuditSubmission` (sanitizing step) -- puts back deleted cells (an answer as the
  empty stub, tests and read-only cells from the master copy), restores the nbgrader
  metadata, records edited read-only cells and changed cell types, and screens the
  student's code *outside* the kernel for constructs that tamper with grading.
* :class:`FlagGrades` (after the grades are saved) -- writes every finding into the
  gradebook: suspicious parts are marked *needs manual grade*, and the answer cell gets an
  automatic comment saying why; findings are also kept in the autograded notebook's
  metadata (``nbgrader_hardening``) and logged.
* :class:`FeedbackRedactor` and :class:`OfflineFeedbackExporter` -- the feedback HTML has
  a per-part score table, shows no hidden test source and no traceback that quotes it,
  and carries MathJax and its fonts inline, so the math renders offline.

What one kernel cannot do is written down in ``guide/hardening.md``: code running in
the same process as the tests can always reach them (frame introspection, audit hooks,
``ctypes``); those submissions are caught by the static screen and held for a person, and
full isolation needs a separate user or a container (commands in the guide).

One module per concern (this file only re-exports their public names):

* :mod:`.sandbox` -- :class:`SandboxKernelManager`, the Landlock probe, the kernel's
  environment and paths; :mod:`.launcher` is the program that starts each kernel
  (a real Python file, passed to ``python -I -c`` as text);
* :mod:`.execute` -- :class:`HardenedExecute` and its helpers; :mod:`.guard` is the
  in-kernel guard (a real Python file, executed in the kernel as text);
* :mod:`.audit` -- :func:`screen_source`, :class:`AuditSubmission`, :class:`FlagGrades`;
* :mod:`.feedback` -- :class:`FeedbackRedactor`, :class:`OfflineFeedbackExporter` and the
  inline MathJax bundle;
* :mod:`.intake` -- :class:`TolerantNotebookExporter` and :func:`diagnose_submission`;
* :mod:`.notebook` -- cells, parts, hidden regions, and the findings kept in the notebook
  metadata (:func:`collect_findings` reads them back);
* :mod:`.config` -- :func:`configure`, the one call from ``nbgrader_config.py``.
"""

from .audit import AuditSubmission, FlagGrades, screen_source
from .config import configure
from .execute import GUARD_SOURCE, IMPORTABLE, HardenedExecute
from .feedback import FeedbackRedactor, OfflineFeedbackExporter
from .intake import TolerantNotebookExporter, diagnose_submission
from .notebook import (HIDDEN_BEGIN, HIDDEN_END, METADATA_KEY, NOTICE, REVIEW, add_finding,
                       collect_findings, findings, hidden_lines, part_of_cell, parts_of,
                       release_source)
from .sandbox import LAUNCHER, SandboxKernelManager, landlock_abi

__all__ = [
    "SandboxKernelManager", "HardenedExecute", "AuditSubmission", "FlagGrades",
    "FeedbackRedactor", "OfflineFeedbackExporter", "configure", "landlock_abi",
    "TolerantNotebookExporter", "screen_source", "diagnose_submission", "collect_findings",
    "METADATA_KEY",
]
