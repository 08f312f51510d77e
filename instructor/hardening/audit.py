"""Outside the kernel: the sanitizing step, the static screen, and findings to the gradebook.

* :class:`AuditSubmission` (sanitizing step) -- puts back deleted cells (an answer as the
  empty stub, tests and read-only cells from the master copy), restores the nbgrader
  metadata, records edited read-only cells and changed cell types, and screens the
  student's code (:func:`screen_source`) for constructs that tamper with grading.
* :class:`FlagGrades` (after the grades are saved) -- writes every finding into the
  gradebook: suspicious parts are marked *needs manual grade*, and the answer cell gets an
  automatic comment saying why; findings are also kept in the autograded notebook's
  metadata and logged.
"""

from __future__ import annotations

import ast
from typing import Iterable

import nbformat
from traitlets import Bool, Dict, List, Unicode

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor

from .notebook import (HIDDEN_BEGIN, METADATA_KEY, NOTICE, REVIEW, _is_test, _nbg, _output_texts,
                       _own_lines, add_finding, findings, hidden_lines, part_of_cell, parts_of,
                       release_source)

# --------------------------------------------------------------------------------------
# Static screen of the student's code, in the grader (student code cannot forge this)
# --------------------------------------------------------------------------------------

_DEFAULT_ALLOWED_IMPORTS = ["math", "cmath", "numpy", "fractions", "functools", "itertools",
                            "collections", "typing", "dataclasses", "numbers", "statistics",
                            "operator", "decimal", "random", "string", "re", "copy",
                            "warnings", "scipy", "matplotlib", "sympy"]
_FORBIDDEN_NAMES = {
    "exec", "eval", "compile", "__import__", "globals", "locals", "vars", "getattr",
    "setattr", "delattr", "open", "breakpoint", "input", "get_ipython", "__builtins__",
    "__builtin__", "exit", "quit", "memoryview", "__loader__", "__spec__",
}
_FORBIDDEN_ATTRS = {
    "__class__", "__dict__", "__globals__", "__code__", "__closure__", "__subclasses__",
    "__mro__", "__bases__", "__base__", "__func__", "__self__", "__builtins__",
    "__getattribute__", "__setattr__", "__delattr__", "__import__", "__loader__",
    "f_locals", "f_globals", "f_back", "f_code", "f_builtins", "f_lineno", "gi_frame",
    "cr_frame", "ag_frame", "tb_frame", "tb_next", "co_code", "co_consts", "_getframe",
    "settrace", "setprofile", "addaudithook", "displayhook", "excepthook", "modules",
    "showtraceback", "_showtraceback", "kernel", "user_ns", "do_execute",
}


def screen_source(source: str, allowed_imports: Iterable[str] = _DEFAULT_ALLOWED_IMPORTS,
                  protected_names: Iterable[str] = (), allowed_names: Iterable[str] = ()) -> list[str]:
    """What in a student's code cell could tamper with grading: one message per finding.

    Flags imports outside ``allowed_imports``, shell escapes and magics, the built-ins
    that reach other code (``exec``, ``getattr``, ``open``, ``get_ipython``...), access to
    interpreter internals (``__class__``, ``f_locals``, ``sys.modules``...), assignments to
    an attribute of an imported module (``np.allclose = ...``), and rebinding a name that
    a read-only cell imported (``protected_names``, e.g. ``np``). A finding is a reason for
    a person to look, not a verdict.
    """
    allowed = set(allowed_imports)
    protected = set(protected_names)
    forbidden_names = _FORBIDDEN_NAMES - set(allowed_names)
    forbidden_attrs = _FORBIDDEN_ATTRS - set(allowed_names)
    found: list[str] = []
    lines = []
    for number, line in enumerate(source.split("\n"), 1):
        stripped = line.lstrip()
        if stripped.startswith(("!", "%")):
            found.append(f"line {number}: shell command or magic `{stripped[:40]}`")
            lines.append("")
        else:
            lines.append(line)
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return found  # it will fail to run; nothing to screen
    modules: set[str] = set(protected)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                modules.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                modules.add(alias.asname or alias.name)

    def root_name(expr):
        while isinstance(expr, (ast.Attribute, ast.Subscript)):
            expr = expr.value
        return expr.id if isinstance(expr, ast.Name) else None

    for node in ast.walk(tree):
        line = getattr(node, "lineno", "?")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or "." * node.level])
            for name in names:
                if name.split(".")[0] not in allowed:
                    found.append(f"line {line}: imports `{name}`, which this assignment does not use")
        elif isinstance(node, ast.Name) and node.id in forbidden_names:
            found.append(f"line {line}: uses `{node.id}`")
        elif isinstance(node, ast.Attribute) and node.attr in forbidden_attrs:
            found.append(f"line {line}: uses `.{node.attr}`")
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = (node.targets if isinstance(node, (ast.Assign, ast.Delete))
                       else [node.target])
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, (ast.Attribute, ast.Subscript)) and root_name(sub) in modules:
                        found.append(f"line {line}: changes `{ast.unparse(sub)}`, part of an "
                                     "imported module")
                        break
                    if isinstance(sub, ast.Name) and sub.id in protected and isinstance(sub.ctx, (ast.Store, ast.Del)):
                        found.append(f"line {line}: rebinds `{sub.id}`, which the assignment imports")
                        break
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            pass
    # keep the order, drop repeats
    seen, unique = set(), []
    for item in found:
        if item not in seen:
            seen.add(item)
            unique.append(item)
    return unique


# --------------------------------------------------------------------------------------
# Sanitizing step: restore deleted cells and metadata, record edits, screen the code
# --------------------------------------------------------------------------------------

class AuditSubmission(NbGraderPreprocessor):
    """Runs before nbgrader's OverwriteCells, with the gradebook's master copy at hand.

    * a cell of the master copy missing from the submission (deleted, or its nbgrader
      metadata removed) is put back where it belongs: a test or read-only cell as in the
      master copy, an answer cell as the empty stub of the release (so it scores 0 and the
      failing test says ``NotImplementedError``);
    * each known cell's nbgrader metadata (grade/solution/locked/points/task) is reset to
      the master copy's (nbgrader itself only resets points and locked);
    * edited read-only cells and changed cell types are recorded (OverwriteCells restores
      them right after);
    * the student's code cells are screened by :func:`screen_source`.
    """

    allowed_imports = List(Unicode(), _DEFAULT_ALLOWED_IMPORTS, help=(
        "Modules a student may import; any other import is flagged for review.")).tag(config=True)
    allowed_imports_per_assignment = Dict(help=(
        "{assignment: [modules]} replacing allowed_imports for one assignment.")).tag(config=True)
    screen = Bool(True, help="Screen the student's code for tampering.").tag(config=True)
    allowed_names = List(Unicode(), help=(
        "Names and attributes the screen should not flag in this course, e.g. ['open'] "
        "for assignments that read a data file.")).tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        if not resources.get("hardening_unreadable"):
            nb.metadata.pop(METADATA_KEY, None)  # a student cannot pre-fill findings
        with Gradebook(info["db_url"]) as gb:
            source_nb = gb.find_notebook(info["notebook"], info["assignment"])
            master = [dict(name=c.name, cell_type=c.cell_type, locked=c.locked, source=c.source,
                           checksum=c.checksum) for c in source_nb.source_cells]
            grade = {c.name: float(c.max_score) for c in source_nb.grade_cells}
            solution = {c.name for c in source_nb.solution_cells}
            task = {c.name: float(c.max_score) for c in source_nb.task_cells}
        self._student = info["student"]
        self._restore_missing(nb, master, grade, solution, task)
        self._check_cells(nb, master, grade, solution, task)
        if self.screen:
            allowed = self.allowed_imports_per_assignment.get(info["assignment"], self.allowed_imports)
            self._screen(nb, master, allowed)
        return nb, resources

    @staticmethod
    def _expected_meta(m, grade, solution, task) -> dict:
        name = m["name"]
        meta = {"grade": name in grade, "grade_id": name, "locked": bool(m["locked"]),
                "schema_version": 3, "solution": name in solution, "task": name in task}
        if name in grade:
            meta["points"] = grade[name]
        if name in task:
            meta["points"] = task[name]
        return meta

    def _restore_missing(self, nb, master, grade, solution, task):
        present = {}
        for i, cell in enumerate(nb.cells):
            gid = _nbg(cell).get("grade_id")
            if gid and gid not in present:
                present[gid] = cell
        cursor = 0
        for m in master:
            name = m["name"]
            if name in present:
                cursor = max(cursor, next(i for i, c in enumerate(nb.cells) if c is present[name]) + 1)
                continue
            meta = self._expected_meta(m, grade, solution, task)
            if name in solution and name not in grade:
                source, what = m["source"], "answer"
                msg = (f"The answer cell `{name}` was missing from the submission: it was put "
                       "back as the empty stub, so its tests score 0.")
                severity = REVIEW
            elif name in grade and name in solution:
                source, what = m["source"], "answer"
                msg = f"The answer cell `{name}` was missing from the submission: put back empty (no response)."
                severity = NOTICE
            else:
                source = m["source"]
                what = "test" if name in grade else "read-only"
                msg = f"The {what} cell `{name}` was missing from the submission: restored from the assignment."
                severity = NOTICE
            if m["cell_type"] == "code":
                cell = nbformat.v4.new_code_cell(source)
            elif m["cell_type"] == "markdown":
                cell = nbformat.v4.new_markdown_cell(source)
            else:
                cell = nbformat.v4.new_raw_cell(source)
            cell.metadata["nbgrader"] = meta
            cell.metadata["nbgrader_restored"] = True
            nb.cells.insert(cursor, cell)
            present[name] = cell
            cursor += 1
            self.log.warning("%s: %s", getattr(self, "_student", "submission"), msg)
            part = name if what == "answer" else None
            add_finding(nb, "missing-cell", severity, msg, cell=name, part=part)

    def _check_cells(self, nb, master, grade, solution, task):
        by_name = {m["name"]: m for m in master}
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader")
            if not meta or meta.get("grade_id") not in by_name:
                continue
            m = by_name[meta["grade_id"]]
            name = m["name"]
            expected = self._expected_meta(m, grade, solution, task)
            changed = [k for k in ("grade", "solution", "locked", "task", "points")
                       if k in expected and meta.get(k) != expected[k]
                       and not (k == "points" and float(meta.get(k) or -1) == expected[k])]
            if changed:
                meta.update(expected)
                add_finding(nb, "metadata-changed", NOTICE,
                            f"The nbgrader settings ({', '.join(changed)}) of cell `{name}` had been "
                            "changed; they were reset to the assignment's.", cell=name)
            if cell.cell_type != m["cell_type"]:
                add_finding(nb, "cell-type-changed", NOTICE,
                            f"Cell `{name}` had been changed from {m['cell_type']} to "
                            f"{cell.cell_type}; it was changed back.", cell=name)
            if m["locked"] and not cell.metadata.get("nbgrader_restored"):
                released = release_source(m["source"]) if name in grade else m["source"]
                if cell.source.strip() != released.strip() and cell.source.strip() != m["source"].strip():
                    add_finding(nb, "locked-cell-edited", NOTICE,
                                f"The read-only cell `{name}` had been edited; it was restored "
                                "from the assignment before grading.", cell=name)
            cell.metadata.pop("nbgrader_restored", None)

    def _screen(self, nb, master, allowed):
        locked_code = [m["source"] for m in master if m["locked"] and m["cell_type"] == "code"]
        protected: set[str] = set()
        for src in locked_code:
            try:
                tree = ast.parse(src)
            except SyntaxError:
                continue
            for node in tree.body:
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    for alias in node.names:
                        protected.add((alias.asname or alias.name).split(".")[0])
        locked_names = {m["name"] for m in master if m["locked"]}
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or _nbg(cell).get("grade_id") in locked_names:
                continue
            problems = screen_source(cell.source, allowed, protected, self.allowed_names)
            if not problems:
                continue
            gid = _nbg(cell).get("grade_id")
            part = part_of_cell(nb.cells, index)
            where = f"cell `{gid}`" if gid else f"a cell added by the student (cell {index + 1})"
            message = (f"In {where}, code that can interfere with grading: "
                       + "; ".join(problems[:6]) + ("; ..." if len(problems) > 6 else ""))
            add_finding(nb, "screen", REVIEW, message, cell=gid, part=part)


# --------------------------------------------------------------------------------------
# After the grades are saved: findings -> gradebook (needs manual grade, comments) + log
# --------------------------------------------------------------------------------------

class FlagGrades(NbGraderPreprocessor):
    """Write the findings into the gradebook and the log.

    A part with a ``review`` finding gets *needs manual grade* on its test cells (a finding
    with no part: every autograded cell of the notebook); every finding of a part is
    written as the automatic comment of its answer cell, which the formgrader and the
    feedback show. An output that contains a line of a hidden test (a leak attempt) is a
    ``review`` finding too.
    """

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        student, assignment, notebook = info["student"], info["assignment"], info["notebook"]
        with Gradebook(info["db_url"]) as gb:
            source_nb = gb.find_notebook(notebook, assignment)
            hidden = set()
            for c in source_nb.source_cells:
                if HIDDEN_BEGIN in (c.source or ""):
                    hidden |= hidden_lines(c.source)
            self._scan_leaks(nb, hidden - _own_lines(nb))
            found = findings(nb)
            parts = parts_of(nb.cells)
            tests = [_nbg(c)["grade_id"] for c in nb.cells if _is_test(c)]
            review_cells: set[str] = set()
            comments: dict[str, list[str]] = {}
            first_answer = next((p for p in parts), None)
            for f in found:
                part = f.get("part")
                if f["severity"] == REVIEW:
                    review_cells |= set(parts.get(part, [])) if part in parts else set(tests)
                target = part if part in parts else first_answer
                if target:
                    prefix = "" if part in parts else "(whole notebook) "
                    comments.setdefault(target, []).append(prefix + f["message"])
                log = self.log.warning if f["severity"] == REVIEW else self.log.info
                log("hardening: %s/%s: [%s] %s", assignment, student, f["kind"], f["message"])
            for gid in review_cells:
                try:
                    grade = gb.find_grade(gid, notebook, assignment, student)
                except MissingEntry:
                    continue
                grade.needs_manual_grade = True
            for answer, messages in comments.items():
                try:
                    comment = gb.find_comment(answer, notebook, assignment, student)
                except MissingEntry:
                    continue
                text = "Autograder: " + " ".join(messages)
                comment.auto_comment = text if not comment.auto_comment else comment.auto_comment + "\n\n" + text
            gb.db.commit()
        meta = nb.metadata.setdefault(METADATA_KEY, {})
        meta["needs_review"] = sorted(review_cells)
        return nb, resources

    @staticmethod
    def _scan_leaks(nb, hidden: set[str]) -> None:
        if not hidden:
            return
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or _is_test(cell):
                continue
            text = "\n".join(_output_texts(cell))
            if any(line in text for line in hidden):
                add_finding(nb, "hidden-test-leak", REVIEW,
                            "an output of this notebook contains source code of a hidden test",
                            cell=_nbg(cell).get("grade_id"), part=part_of_cell(nb.cells, index))
