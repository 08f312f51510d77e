"""Helpers for tests that run the real nbgrader on the course's assignments.

The autograder tests of every chapter (``tests/test_autograde_chXX.py``) follow one recipe:

1. :func:`make_course_copy` copies ``nbgrader_config.py`` and ``solutions/<assignment>``
   into a temporary course directory (never ``.venv`` or ``_build``);
2. :func:`run_nbgrader` runs ``nbgrader generate_assignment`` there;
3. :func:`make_submission` builds a student's notebook from the release, with the answer
   cells replaced by given sources (:func:`solution_cells` gives the master solutions), and
   :func:`write_submission` puts it in ``submitted/<student>/<assignment>/``;
4. :func:`run_nbgrader` runs ``nbgrader autograde`` once for all the students;
5. :func:`scores` reads the gradebook: ``{student: {grade_id: (score, max_score)}}``, and
   :func:`cell_output_text` reads a graded cell's output (the failing test's message).

:func:`autograde_class` does steps 1-5 for a whole class (the solution, the stub and one
student per :class:`Answer`) and returns a :class:`GradedClass`. The generic tests built on
it, which every chapter's test file inherits, are in ``tests/autograde_suite.py``.

nbgrader always runs with the temporary course as its working directory, so its
``gradebook.db`` and ``submitted/``, ``autograded/`` folders are created there and the
repository is never touched.
"""

from __future__ import annotations

import ast
import copy
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import NamedTuple

import nbformat
from nbformat import NotebookNode

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the venv's bin: nbgrader, jupyter, alembic
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

__all__ = [
    "ROOT", "NbgraderFailed", "assignments", "make_course_copy", "run_nbgrader",
    "read_notebook", "nbgrader_meta", "solution_cells", "autograded_parts",
    "autograded_test_ids", "make_submission", "write_submission", "scores",
    "cell_output_text", "Answer", "answer", "GradedClass", "autograde_class",
    "optional_arguments", "ignoring_answer",
]


class NbgraderFailed(AssertionError):
    """An nbgrader command exited with an error; the message carries its output."""


def assignments(root: Path = ROOT) -> list[str]:
    """The assignment names: the folders of ``solutions/``."""
    return sorted(p.name for p in (Path(root) / "solutions").iterdir()
                  if p.is_dir() and not p.name.startswith("."))


def make_course_copy(tmp: Path, assignments: list[str] | tuple[str, ...],
                     source_root: Path = ROOT) -> Path:
    """A minimal nbgrader course in ``tmp/course``: the config and the master copies.

    The master copies come from ``source_root/solutions`` (the repository's by default; the
    suite's own tests use a fixture course). Returns the course directory; run nbgrader
    with it as the working directory.
    """
    course = Path(tmp) / "course"
    course.mkdir(parents=True)
    shutil.copy2(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    for name in assignments:
        shutil.copytree(Path(source_root) / "solutions" / name, course / "solutions" / name,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return course


def run_nbgrader(course_dir: Path, *args: str, timeout: float = 1200,
                 allow_error_logs: bool = False) -> subprocess.CompletedProcess:
    """Run ``nbgrader *args`` in ``course_dir`` with the venv's nbgrader.

    Raises :class:`NbgraderFailed` with stdout and stderr when the command exits non-zero,
    and also (unless ``allow_error_logs``) when nbgrader logged an ERROR: some failures,
    such as one notebook that cannot be processed, are only logged.
    """
    env = dict(os.environ)
    # nbgrader shells out to `alembic` (found on PATH) when it creates a gradebook, so the
    # venv's bin must be on PATH even when the venv is not activated.
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # keeps debugpy's warning out of kernel stderr
    cmd = [sys.executable, "-m", "nbgrader", *args]
    proc = subprocess.run(cmd, cwd=course_dir, capture_output=True, text=True, env=env,
                          timeout=timeout)
    log = proc.stdout + proc.stderr
    logged_error = re.search(r"\| ERROR\]", log) is not None
    if proc.returncode != 0 or (logged_error and not allow_error_logs):
        raise NbgraderFailed(
            f"`nbgrader {' '.join(args)}` in {course_dir} "
            f"{'exited with ' + str(proc.returncode) if proc.returncode else 'logged an ERROR'}\n"
            f"--- stdout ---\n{proc.stdout[-8000:]}\n--- stderr ---\n{proc.stderr[-8000:]}")
    return proc


def read_notebook(path: Path) -> NotebookNode:
    return nbformat.read(str(path), as_version=4)


def nbgrader_meta(cell: NotebookNode) -> dict:
    """The cell's ``nbgrader`` metadata ({} for an ordinary cell)."""
    return cell.get("metadata", {}).get("nbgrader", {})


def _is_answer(cell) -> bool:  # "Autograded answer": solution, not graded itself
    m = nbgrader_meta(cell)
    return bool(m.get("solution")) and not m.get("grade")


def _is_autograder_test(cell) -> bool:  # "Autograder tests": graded code, not a solution
    m = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(m.get("grade")) and not m.get("solution")


def solution_cells(source_nb: NotebookNode) -> dict[str, str]:
    """``{grade_id: source}`` of every solution cell of the instructor's master copy.

    That includes the manually graded answers; replacing them too is harmless.
    """
    return {nbgrader_meta(c)["grade_id"]: c.source for c in source_nb.cells
            if nbgrader_meta(c).get("solution")}


def autograded_parts(nb: NotebookNode) -> dict[str, list[str]]:
    """``{answer grade_id: [grade_ids of the autograder tests that follow it]}``.

    A part is an autograded-answer cell and the test cells after it, up to the next
    answer cell. Raises if a test cell comes before any answer cell.
    """
    parts: dict[str, list[str]] = {}
    current = None
    for cell in nb.cells:
        if _is_answer(cell):
            current = nbgrader_meta(cell)["grade_id"]
            parts[current] = []
        elif _is_autograder_test(cell):
            if current is None:
                raise ValueError(f"test cell {nbgrader_meta(cell)['grade_id']!r} comes before any answer cell")
            parts[current].append(nbgrader_meta(cell)["grade_id"])
    return parts


def autograded_test_ids(nb: NotebookNode) -> dict[str, float]:
    """``{grade_id: points}`` of the autograder test cells."""
    return {nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c)["points"])
            for c in nb.cells if _is_autograder_test(c)}


def make_submission(release_nb: NotebookNode, replacements: dict[str, str]) -> NotebookNode:
    """A copy of the released notebook with some cells' sources replaced, by grade_id.

    Raises ``KeyError`` for a grade_id that is not in the notebook (a typo would
    otherwise give a submission that silently is the stub).
    """
    nb = copy.deepcopy(release_nb)
    found = set()
    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid in replacements:
            cell.source = replacements[gid]
            found.add(gid)
    missing = set(replacements) - found
    if missing:
        raise KeyError(f"no cell with grade_id {sorted(missing)} in the released notebook")
    return nb


def write_submission(course_dir: Path, assignment: str, student: str, nb: NotebookNode,
                     notebook: str | None = None) -> Path:
    """Write ``submitted/<student>/<assignment>/<notebook>.ipynb`` (notebook defaults to the assignment)."""
    path = Path(course_dir) / "submitted" / student / assignment / f"{notebook or assignment}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def scores(course_dir: Path, assignment: str,
           notebook: str | None = None) -> dict[str, dict[str, tuple[float | None, float]]]:
    """``{student: {grade_id: (score, max_score)}}`` from the course's gradebook.

    ``score`` is None for a manually graded answer that still awaits its grade.
    """
    from nbgrader.api import Gradebook  # imported here: only the slow tests need it

    url = "sqlite:///" + str(Path(course_dir) / "gradebook.db")
    out: dict[str, dict[str, tuple[float | None, float]]] = {}
    with Gradebook(url) as gb:
        for sub in gb.assignment_submissions(assignment):
            nb = gb.find_submission_notebook(notebook or assignment, assignment, sub.student_id)
            out[sub.student_id] = {
                g.name: (None if g.auto_score is None and g.manual_score is None else float(g.score),
                         float(g.max_score))
                for g in nb.grades
            }
    return out


def cell_output_text(nb_path: Path, grade_id: str) -> str:
    """Everything a cell printed or raised (tracebacks without colour codes)."""
    nb = read_notebook(nb_path)
    for cell in nb.cells:
        if nbgrader_meta(cell).get("grade_id") == grade_id:
            parts = []
            for out in cell.get("outputs", []):
                if out.output_type == "stream":
                    parts.append(out.text)
                elif out.output_type == "error":
                    parts.append(f"{out.ename}: {out.evalue}")
                    parts.extend(out.traceback)
                else:
                    parts.append(str(out.get("data", {}).get("text/plain", "")))
            return ANSI.sub("", "\n".join(parts))
    raise KeyError(f"no cell with grade_id {grade_id!r} in {nb_path}")


# ------------------------------------------------------------------ wrong answers made from the solution


_MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


def _function_def(source: str, name: str) -> ast.FunctionDef:
    """The top-level ``def name`` of an answer cell's source (nbgrader's markers removed)."""
    tree = ast.parse("\n".join(ln for ln in source.splitlines() if not _MARKERS.match(ln)))
    defs = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    named = [node for node in defs if node.name == name]
    if named:
        return named[-1]
    if len(defs) == 1:
        return defs[0]
    raise ValueError(f"the answer cell {name!r} defines no function {name!r} "
                     f"(its functions: {[d.name for d in defs]})")


def optional_arguments(source: str, name: str) -> dict[str, str]:
    """``{argument: default as source text}`` for every parameter with a default of the
    function ``name`` defined in an answer cell, in the order of its signature."""
    args = _function_def(source, name).args
    if args.posonlyargs and len(args.defaults) > len(args.args):
        raise ValueError(f"{name}: a positional-only argument with a default cannot be ignored by name")
    positional = args.args[len(args.args) - len(args.defaults):]
    out = {a.arg: ast.unparse(d) for a, d in zip(positional, args.defaults)}
    out.update({a.arg: ast.unparse(d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
    return out


def ignoring_answer(part: str, source: str, argument: str) -> Answer:
    """A wrong answer made from the master solution: it has the same signature but never
    passes ``argument`` on, so the master copy always uses its default.

    The solution cell is kept as it is; after it, the function is renamed and wrapped::

        _reference_partial = partial

        def partial(f, x, i, h=1e-5):  # h is accepted and ignored
            return _reference_partial(f, x, i)

    Hidden tests that never vary ``argument`` give this student full marks.
    """
    fn = _function_def(source, part)
    name, args = fn.name, fn.args
    if argument not in optional_arguments(source, name):
        raise ValueError(f"{name} has no optional argument {argument!r}")
    signature = ast.unparse(args)
    required = [a.arg for a in args.posonlyargs + args.args][:len(args.posonlyargs + args.args) - len(args.defaults)]
    passed = [*required]
    if args.vararg:
        passed.append(f"*{args.vararg.arg}")
    passed += [f"{a.arg}={a.arg}" for a in args.args[len(required):] + args.kwonlyargs
               if a.arg != argument and a.arg not in required]
    if args.kwarg:
        passed.append(f"**{args.kwarg.arg}")
    wrapper = (f"\n\n_reference_{name} = {name}\n\n\n"
               f"def {name}({signature}):  # generated: {argument} is accepted and ignored\n"
               f"    return _reference_{name}({', '.join(passed)})\n")
    message = f"{argument}="  # a failing test should show the call with the value it passed
    return Answer(part, source.rstrip() + "\n" + wrapper, message)


# ------------------------------------------------------------------ a whole class at once


class Answer(NamedTuple):
    """A student's answer to one part, for :func:`autograde_class`."""

    part: str     # grade_id of the autograded-answer cell it replaces
    source: str   # the student's cell
    message: str  # for a wrong answer: text the failing test's output must contain


def answer(part: str, source: str, message: str = "") -> Answer:
    """An :class:`Answer` whose source is dedented (write it indented in a triple-quoted string)."""
    return Answer(part, textwrap.dedent(source).strip() + "\n", message)


class GradedClass(NamedTuple):
    """The result of :func:`autograde_class`."""

    course: Path
    assignment: str
    scores: dict    # {student: {grade_id: (score, max_score)}}
    parts: dict     # {answer grade_id: [test grade_ids]}, from the master copy
    points: dict    # {test grade_id: points}

    def autograded(self, student: str) -> dict[str, tuple[float, float]]:
        """The student's ``(score, max_score)`` on every autograder test cell."""
        return {gid: self.scores[student][gid] for gid in self.points}

    def notebook(self, student: str) -> Path:
        return self.course / "autograded" / student / self.assignment / f"{self.assignment}.ipynb"

    def output(self, student: str, grade_id: str) -> str:
        """What the student's graded cell printed or raised."""
        return cell_output_text(self.notebook(student), grade_id)


def autograde_class(tmp: Path, assignment: str, answers: dict[str, Answer],
                    source_root: Path = ROOT) -> GradedClass:
    """Autograde a class with ONE real ``nbgrader autograde`` run, in a throwaway course.

    The students are ``solution`` (the master solutions in every answer cell), ``stub``
    (the release as handed out) and one per entry of ``answers``: the master solutions
    everywhere except ``answer.part``, which holds ``answer.source``.
    """
    course = make_course_copy(tmp, [assignment], source_root)
    run_nbgrader(course, "generate_assignment", assignment, "--force")
    master = read_notebook(course / "solutions" / assignment / f"{assignment}.ipynb")
    release = read_notebook(course / "exercises" / assignment / f"{assignment}.ipynb")
    solutions = solution_cells(master)
    submissions = {"solution": solutions, "stub": {}}
    for student, ans in answers.items():
        if student in submissions:
            raise ValueError(f"the student name {student!r} is reserved")
        submissions[student] = {**solutions, ans.part: ans.source}
    for student, replacements in submissions.items():
        write_submission(course, assignment, student, make_submission(release, replacements))
    run_nbgrader(course, "autograde", assignment, "--force")
    return GradedClass(course, assignment, scores(course, assignment), autograded_parts(master),
                       autograded_test_ids(master))
