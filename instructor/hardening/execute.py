"""nbgrader's Execute, hardened: survives hostile notebooks and grades the rest.

:class:`HardenedExecute` replaces nbgrader's ``Execute``: a cell that ignores the interrupt
after a timeout, or that kills the kernel, is recorded as failed and the notebook is re-run
in a fresh kernel *without that cell*, so the rest is still graded; output is capped in
bytes while it is collected; before and after every test cell the in-kernel guard
(``guard.py``, sent to the kernel as text, :data:`GUARD_SOURCE`) restores what student code
may have patched (numpy functions, builtins, ``sys.stdout``/``stderr``, IPython's traceback
display, the kernel's reply handler, signal handlers...) and a test during which something
was patched scores 0; a result value smuggled into a test cell (``sys.displayhook(...)``,
which nbgrader would count as a partial-credit score) is neutralised.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import tempfile
import time
from importlib import resources

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from traitlets import Bool, Enum, Integer, List, Unicode

from nbgrader.preprocessors import Execute

from .notebook import (HIDDEN_BEGIN, METADATA_KEY, NOTICE, REVIEW, _is_test, _nbg, add_finding,
                       part_of_cell)
from .sandbox import SandboxKernelManager

# --------------------------------------------------------------------------------------
# The in-kernel guard: snapshot at kernel start, restore/check around every test cell
# --------------------------------------------------------------------------------------

# guard.py, read as text: installed once per kernel, before any notebook cell runs, as the
# module `_nbgrader_guard` (see its docstring). check(phase) restores what was patched since
# the snapshot and prints a JSON report after a marker line.
GUARD_SOURCE = resources.files(__package__).joinpath("guard.py").read_text(encoding="utf-8")

_GUARD_MARK = "@@NBGRADER-GUARD@@"


class _KernelLost(Exception):
    """The kernel died or ignored an interrupt while running the cell at ``index``."""

    def __init__(self, index: int, output: NotebookNode, kind: str, message: str):
        super().__init__(message)
        self.index, self.output, self.kind, self.message = index, output, kind, message


def _error_output(ename: str, evalue: str) -> NotebookNode:
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue,
                                  traceback=[f"{ename}: {evalue}"])


def _output_size(out: NotebookNode) -> int:
    if out.output_type == "stream":
        return len(out.get("text", ""))
    if out.output_type == "error":
        return len(out.get("evalue", "")) + sum(len(t) for t in out.get("traceback", []))
    total = 0
    for value in out.get("data", {}).values():
        total += len(value) if isinstance(value, str) else len(json.dumps(value))
    return total


def _partial_credit_designed(source: str) -> bool:
    """Whether a test cell ends in an expression, i.e. its author means it to print a score."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    return bool(body) and isinstance(body[-1], ast.Expr) and not (
        isinstance(body[-1].value, ast.Call) and getattr(body[-1].value.func, "id", "") == "print")


# what Python imports from a folder on sys.path (modules, extension modules, byte code,
# packages' caches, path files)
IMPORTABLE = ("*.py", "*.pyc", "*.pyo", "*.pyd", "*.pyw", "*.so", "*.pth", "__pycache__")


class HardenedExecute(Execute):
    """nbgrader's Execute, surviving hostile notebooks and grading the rest.

    * a cell that times out is interrupted (nbgrader's behaviour); if the kernel ignores
      the interrupt (``iopub_timeout`` seconds) or dies, the cell is recorded as failed
      and the notebook is re-run from the top in a fresh kernel without that cell, at
      most ``max_kernel_restarts`` times;
    * the kernel is started by :class:`SandboxKernelManager` in a scratch copy of the
      submission folder, deleted afterwards (the student's files never reach feedback);
    * output is capped at ``max_output_bytes`` per cell while it is collected;
    * the guard runs before and after each test cell (see :data:`GUARD_SOURCE`);
    * a test cell's result value counts as a partial-credit score only if the master
      test ends in an expression; otherwise it is shown but not graded.
    """

    max_kernel_restarts = Integer(5, help=(
        "How many times one notebook may be re-run after its kernel died or hung; the "
        "cells after the last failure then score 0 with a message.")).tag(config=True)
    max_output_bytes = Integer(100_000, help=(
        "Output kept per cell, in characters (streams, results, tracebacks). Beyond it the "
        "rest is dropped while it arrives; an error stays recorded, so scores are unchanged. "
        "-1: no limit.")).tag(config=True)
    guard = Bool(True, help="Run the in-kernel guard around test cells.").tag(config=True)
    guard_preimport = List(Unicode(), ["numpy", "math", "copy", "contextlib", "io", "warnings"],
                           help="Modules imported before the notebook so the guard can snapshot "
                                "them (those the tests use).").tag(config=True)
    scratch_cwd = Bool(True, help=(
        "Run the kernel in a temporary copy of the submission folder (deleted afterwards) "
        "instead of in autograded/.")).tag(config=True)
    shutdown_kernel = Enum(["graceful", "immediate"], default_value="immediate",
                           help="Kill grading kernels at once: nothing of theirs is worth waiting for."
                           ).tag(config=True)
    store_widget_state = Bool(False, help="Do not keep widget state sent by student code.").tag(config=True)
    sandbox_kernel = Bool(True, help=(
        "Start kernels with SandboxKernelManager (False: jupyter_client's manager).")).tag(config=True)

    def __init__(self, **kw):
        kw.setdefault("kernel_manager_class", SandboxKernelManager)
        super().__init__(**kw)
        if not self.sandbox_kernel:
            self.kernel_manager_class = AsyncKernelManager

    # ---- the notebook: retries without the cells that killed the kernel ----------------

    def preprocess(self, nb, resources=None, km=None):
        resources = resources if resources is not None else {}
        self._lost: dict[int, NotebookNode] = {}
        self._notes: list[tuple[str, str, str, int | None]] = []
        meta = resources.setdefault("metadata", {})
        original_path = meta.get("path")
        scratch = None
        if self.scratch_cwd:
            scratch = tempfile.mkdtemp(prefix="nbgrader-kernel-cwd-")
            if original_path and os.path.isdir(original_path):
                # The kernel's working directory is on its sys.path ahead of site-packages:
                # a numpy.py or scipy.py handed in beside the notebook would replace the
                # module the tests check with. Importable files stay out of the copy.
                code = shutil.ignore_patterns(*IMPORTABLE)
                held: list[str] = []

                def ignore(folder, names):
                    out = set(code(folder, names))
                    held.extend(os.path.relpath(os.path.join(folder, n), original_path)
                                for n in sorted(out))
                    return out | set(shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints")(
                        folder, names))

                shutil.copytree(original_path, scratch, dirs_exist_ok=True, ignore=ignore)
                if held:
                    self._note("code-files", NOTICE,
                               "files handed in with the notebook that Python could import "
                               f"({', '.join(held[:5])}{', ...' if len(held) > 5 else ''}) "
                               "were not available while it was graded", None)
            meta["path"] = scratch
        restarts = 0
        try:
            while True:
                self._guard_ready = False
                try:
                    nb, resources = super().preprocess(nb, resources, km)
                    break
                except _KernelLost as lost:
                    restarts += 1
                    self._lost[lost.index] = lost.output
                    cell = nb.cells[lost.index]
                    self._note(lost.kind, REVIEW if lost.kind == "kernel-died" else NOTICE,
                               lost.message, lost.index)
                    self.log.warning("Cell %s (%s): %s; re-running the notebook without it (%d/%d)",
                                     lost.index, _nbg(cell).get("grade_id", "no id"), lost.message,
                                     restarts, self.max_kernel_restarts)
                    if restarts > self.max_kernel_restarts:
                        cell.outputs = [lost.output]
                        self._give_up(nb, lost.index)
                        break
        finally:
            if scratch:
                meta["path"] = original_path
                shutil.rmtree(scratch, ignore_errors=True)
        sandbox = getattr(self, "_sandbox_description", "")
        meta_out = nb.metadata.setdefault(METADATA_KEY, {})
        meta_out["kernel_restarts"] = restarts
        if sandbox:
            meta_out["sandbox"] = sandbox
        for kind, severity, message, index in self._notes:
            cell = nb.cells[index] if index is not None else None
            gid = _nbg(cell).get("grade_id") if cell is not None else None
            part = part_of_cell(nb.cells, index) if index is not None else None
            add_finding(nb, kind, severity, message, cell=gid, part=part)
        return nb, resources

    def _give_up(self, nb, after: int) -> None:
        message = (f"not run: the kernel died or hung {self.max_kernel_restarts + 1} times, "
                   "so grading stopped here")
        for i, cell in enumerate(nb.cells):
            if i > after and cell.cell_type == "code" and i not in self._lost:
                cell.outputs = [_error_output("NotRun", message)]
                cell.execution_count = None
        self._note("gave-up", REVIEW, message, after)

    def _note(self, kind, severity, message, index):
        if (kind, severity, message, index) not in self._notes:
            self._notes.append((kind, severity, message, index))

    # ---- one cell -------------------------------------------------------------------------

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if index in self._lost:
            cell.outputs = [self._lost[index]]
            cell.execution_count = None
            return cell, resources
        self._check_assign_resources(resources)
        graded = _is_test(cell)
        try:
            if self.guard and not self._guard_ready:
                self._install_guard(index)
            before = self._guard("before", index) if (self.guard and graded) else []
            self._cell_bytes, self._cell_marked = 0, set()
            self.execute_cell(cell, index, store_history=not graded)
            if graded:
                hidden = HIDDEN_BEGIN in cell.source
                after = self._guard("after", index, purge_lines=hidden) if self.guard else []
                self._neutralise_results(cell, index)
                if before:
                    self._note("tampering", REVIEW,
                               "before this test the notebook had changed the test environment "
                               "(restored for the test): " + "; ".join(before[:6]), index)
                if after:
                    message = ("the test environment was modified while this test ran, so its "
                               "result cannot be trusted and it scores 0: " + "; ".join(after[:6]))
                    cell.outputs.append(_error_output("GradingEnvironmentModified", message))
                    self._note("tampering", REVIEW, message, index)
            elif self.guard and _nbg(cell).get("locked"):
                self._guard("bind", index)
        except (CellTimeoutError, DeadKernelError) as exc:
            raise self._lost_error(exc, cell, index) from None
        return cell, resources

    async def _async_handle_timeout(self, timeout, cell=None):
        self._interrupted = True
        return await super()._async_handle_timeout(timeout, cell)

    def execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        self._interrupted = False
        return super().execute_cell(cell, cell_index, execution_count=execution_count,
                                    store_history=store_history)

    def _lost_error(self, exc, cell, index) -> _KernelLost:
        if isinstance(exc, DeadKernelError):
            status = self._exit_status()
            message = (f"the kernel died while this cell ran{status}; the notebook was re-run "
                       "in a fresh kernel without this cell")
            return _KernelLost(index, _error_output("KernelDied", message), "kernel-died", message)
        if not self._interrupted:
            # the kernel replied but the output channel never delivered the end of the cell:
            # a message over SandboxKernelManager.max_message_bytes was dropped by ZeroMQ,
            # which also breaks the channel, so the kernel is replaced like a hung one
            message = ("this cell sent a single output larger than the grader accepts; the "
                       "notebook was re-run in a fresh kernel without this cell (print less)")
            return _KernelLost(index, _error_output("OutputTooLarge", message), "output-too-large",
                               message)
        message = (f"this cell did not finish within {self.timeout} s and ignored the interrupt; "
                   "the kernel was stopped and the notebook re-run without this cell")
        return _KernelLost(index, _error_output("CellTimeoutError", message), "kernel-hung", message)

    def _exit_status(self) -> str:
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        code = None
        for _ in range(20):
            code = proc.poll() if proc is not None else None
            if code is not None:
                break
            time.sleep(0.05)
        if code is None:
            return ""
        if code < 0:
            import signal as _signal

            try:
                name = _signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            hint = {"SIGXCPU": " (CPU time limit)", "SIGKILL": ""}.get(name, "")
            return f" (killed by {name}{hint})"
        return f" (exit status {code})"

    def _neutralise_results(self, cell, index) -> None:
        """nbgrader scores a test cell by its first ``execute_result`` if there is one, even
        when an error follows: student code calling ``sys.displayhook(x)`` during the test
        would earn full marks. A result counts only where the master test is designed for
        partial credit, and only if the cell raised no error."""
        results = [o for o in cell.outputs if o.output_type == "execute_result"]
        if not results:
            return
        has_error = any(o.output_type == "error" for o in cell.outputs)
        legit = _partial_credit_designed(cell.source) and not has_error and len(results) == 1
        if legit:
            return
        for out in results:
            out.output_type = "display_data"
            out.pop("execution_count", None)
        self._note("result-smuggled", REVIEW,
                   "the test cell produced a result value that nbgrader would have counted as "
                   "its score (e.g. student code calling sys.displayhook); it was not counted",
                   index)

    # ---- kernel-side helpers ----------------------------------------------------------

    def _run_internal(self, code: str, index: int) -> list[NotebookNode]:
        tmp = nbformat.v4.new_code_cell(code)
        self._cell_bytes, self._cell_marked = 0, set()
        real = self.nb.cells[index]
        try:  # nbclient stores the executed cell back into nb.cells[index]
            self.execute_cell(tmp, index, store_history=False)
        finally:
            self.nb.cells[index] = real
        return tmp.outputs

    def _install_guard(self, index: int) -> None:
        self._guard_ready = True
        self._sandbox_description = getattr(self.km, "sandbox_description", "")
        code = (GUARD_SOURCE + "\ninstall(%r)\n" % (list(self.guard_preimport),)
                + "del _Guard, install\n")
        # run in a private namespace so nothing of the guard lands in the notebook
        wrapped = ("exec(compile(%r, '<nbgrader-guard>', 'exec'), {'get_ipython': get_ipython, "
                   "'__name__': '_nbgrader_guard_setup'})" % code)
        outs = self._run_internal(wrapped, index)
        if self._report(outs) is None:
            self.log.warning("the grading guard could not be installed: %s", self._text(outs)[-500:])

    def _guard(self, phase: str, index: int, purge_lines: bool = False) -> list[str]:
        if phase == "bind":
            code = "__import__('sys').modules['_nbgrader_guard'].bind()"
            self._run_internal(code, index)
            return []
        code = ("__import__('sys').modules['_nbgrader_guard'].check(%r, %r)"
                % (phase, bool(purge_lines)))
        outs = self._run_internal(code, index)
        report = self._report(outs)
        if report is None:
            return ["the grading guard did not run (" + (self._text(outs).strip()[-200:] or "no output") + ")"]
        return list(report.get("changed", []))

    @staticmethod
    def _text(outs) -> str:
        parts = []
        for o in outs:
            if o.output_type == "stream":
                parts.append(o.text)
            elif o.output_type == "error":
                parts.append(f"{o.ename}: {o.evalue}")
        return "".join(parts)

    def _report(self, outs) -> dict | None:
        text = self._text(outs)
        if _GUARD_MARK not in text:
            return None
        try:
            return json.loads(text.rsplit(_GUARD_MARK, 1)[1].strip().splitlines()[0])
        except (ValueError, IndexError):
            return None

    # ---- output collection, capped in bytes -------------------------------------------

    def output(self, outs, msg, display_id, cell_index):
        out = super().output(outs, msg, display_id, cell_index)
        limit = self.max_output_bytes
        if out is None or limit is None or limit < 0:
            return out
        used = getattr(self, "_cell_bytes", 0)
        size = _output_size(out)
        self._cell_bytes = used + size
        if used + size <= limit:
            return out
        room = max(limit - used, 0)
        marked = getattr(self, "_cell_marked", set())
        note = f"\n... output truncated: more than {limit} characters ...\n"
        keep = True
        if out.output_type == "stream":
            if room > 0:
                out.text = out.text[:room] + note
                marked.add(out.name)
            elif out.name not in marked:
                out.text = note
                marked.add(out.name)
            else:
                keep = False
        elif out.output_type == "error":
            out.evalue = out.evalue[:2000]
            out.traceback = [t[:2000] for t in out.traceback[-30:]]
        else:
            out.data = {"text/plain": f"[output of {size} characters removed: the limit is {limit} per cell]"}
            out.metadata = {}
        self._cell_marked = marked
        if not keep and outs and outs[-1] is out:
            outs.pop()
            return None
        return out
