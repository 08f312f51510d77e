"""The instructor's grading loop on nbgrader: ``python -m instructor COMMAND``.

Commands (each also a Make target): ``release``, ``collect``, ``autograde``, ``feedback``,
``export``, ``status`` and ``demo``. They run nbgrader's own apps and never grade anything
themselves; what they add is progress and summaries (:mod:`instructor.report`), an LMS
file-name collector (:mod:`instructor.collect`), and parallel autograding with a single
writer of the SQLite gradebook (:mod:`instructor.parallel`, :mod:`instructor.gradebook`).
"""
