"""Generated classes: a demo for instructors, and large classes for the benchmark.

Submissions are built the way ``tests/grading_utils.py`` builds them: the released
notebook with some answer cells replaced (by the master solution, a plausible wrong
answer, or nothing at all), so nbgrader sees exactly what a student would hand in.
"""

from __future__ import annotations

import copy
import random
import re
import shutil
import textwrap
import zipfile
from pathlib import Path

import nbformat

ASSIGNMENT = "ch02"
DEMO_MARKER = ".instructor-demo"

# Plausible wrong answers for ch02, one per autograded part (more are in
# tests/test_autograde_ch02.py, each checked to lose points on its own part only).
WRONG_CH02 = {
    "unit_vector": """
        def unit_vector(v):
            v = np.asarray(v, dtype=float)
            length = np.sum(np.abs(v))  # the L1 norm, not the length
            if length == 0:
                raise ValueError("zero vector")
            return v / length
        """,
    "lp_norm": """
        def lp_norm(v, p):
            v = np.asarray(v, dtype=float)
            if p < 1:
                raise ValueError("p must be >= 1")
            if p == np.inf:
                return float(np.max(np.abs(v)))
            return float(np.sum(v ** p) ** (1 / p))  # no absolute values
        """,
    "cosine_similarity": """
        def cosine_similarity(a, b):
            a = np.asarray(a, dtype=float)
            b = np.asarray(b, dtype=float)
            if a.shape != b.shape:
                raise ValueError("shapes differ")
            return float(a @ b)  # the dot product, not normalized
        """,
    "project": """
        def project(a, b):
            a = np.asarray(a, dtype=float)
            b = np.asarray(b, dtype=float)
            if a.shape != b.shape or not b.any():
                raise ValueError("bad input")
            return (a @ b) / (a @ a) * a  # b projected onto a
        """,
    "gram_schmidt": """
        def gram_schmidt(V):
            V = np.asarray(V, dtype=float)
            return V / np.linalg.norm(V, axis=0)  # normalized, never orthogonalized
        """,
    "pca_project": """
        def pca_project(X, k):
            X = np.asarray(X, dtype=float)
            U, s, Vt = np.linalg.svd(X, full_matrices=False)  # X was not centered
            return X @ Vt[:k].T
        """,
}

WRITTEN_ANSWER = ("Cosine similarity divides the dot product by both lengths, so scaling a "
                  "document's word counts (a longer document on the same topic) leaves it "
                  "unchanged: it compares directions, not sizes.")


# ---- notebooks ---------------------------------------------------------------------------

def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def answer_parts(master) -> list[str]:
    """grade_ids of the autograded answers: code solution cells that are not graded."""
    return [_meta(c)["grade_id"] for c in master.cells
            if c.cell_type == "code" and _meta(c).get("solution") and not _meta(c).get("grade")]


def written_parts(master) -> list[str]:
    """grade_ids of the manually graded answers (graded solution cells)."""
    return [_meta(c)["grade_id"] for c in master.cells
            if _meta(c).get("solution") and _meta(c).get("grade")]


_MARKER = re.compile(r"^[ \t]*#{0,3}\s*(?:BEGIN|END) SOLUTION[ \t]*\n?", re.M)


def solutions(master) -> dict[str, str]:
    """The master's answers as a student would hand them in: without nbgrader's
    ``### BEGIN SOLUTION`` / ``### END SOLUTION`` markers (they would show in feedback)."""
    return {_meta(c)["grade_id"]: _MARKER.sub("", c.source)
            for c in master.cells if _meta(c).get("solution")}


def wrong_answer(assignment: str, part: str, solution: str) -> str:
    """A wrong answer for one part: hand-written for ch02, else the right signature
    returning None."""
    if assignment == "ch02" and part in WRONG_CH02:
        return textwrap.dedent(WRONG_CH02[part]).strip() + "\n"
    m = re.search(r"^def (\w+)\((.*?)\):", solution, flags=re.M | re.S)
    if m is None:
        return "# I did not get this one\n"
    return f"def {m.group(1)}({m.group(2)}):\n    return None\n"


def submission(release, replacements: dict[str, str], drop: tuple[str, ...] = ()):
    """The released notebook with cells replaced (by grade_id) and some cells deleted."""
    nb = copy.deepcopy(release)
    unknown = set(replacements) | set(drop)
    for cell in nb.cells:
        gid = _meta(cell).get("grade_id")
        if gid in replacements:
            cell.source = replacements[gid]
        unknown.discard(gid)
    if unknown:
        raise KeyError(f"no cell with grade_id {sorted(unknown)} in the released notebook")
    nb.cells = [c for c in nb.cells if _meta(c).get("grade_id") not in drop]
    return nb


class ClassBuilder:
    """Builds students' notebooks for one released assignment of a course."""

    def __init__(self, course_root: Path, assignment: str = ASSIGNMENT):
        self.root = Path(course_root)
        self.assignment = assignment
        self.master = nbformat.read(self.root / "solutions" / assignment / f"{assignment}.ipynb", 4)
        self.release = nbformat.read(self.root / "exercises" / assignment / f"{assignment}.ipynb", 4)
        self.parts = answer_parts(self.master)
        self.written = written_parts(self.master)
        self.solutions = solutions(self.master)

    def correct(self, written: bool = True):
        repl = {p: self.solutions[p] for p in self.parts}
        if written:
            repl.update({w: WRITTEN_ANSWER for w in self.written})
        return submission(self.release, repl)

    def partial(self, solved: list[str]):
        return submission(self.release, {p: self.solutions[p] for p in solved})

    def wrong(self, part: str):
        repl = {p: self.solutions[p] for p in self.parts}
        repl[part] = wrong_answer(self.assignment, part, self.solutions[part])
        return submission(self.release, repl)

    def stub(self):
        return copy.deepcopy(self.release)

    def infinite_loop(self):
        repl = {p: self.solutions[p] for p in self.parts}
        repl[self.parts[0]] = "while True:  # never ends: nbgrader's cell timeout stops it\n    pass\n"
        return submission(self.release, repl)

    def deleted_test(self):
        tests = [_meta(c)["grade_id"] for c in self.release.cells
                 if _meta(c).get("grade") and not _meta(c).get("solution")]
        repl = {p: self.solutions[p] for p in self.parts}
        return submission(self.release, repl, drop=(tests[0],))

    def edited_test(self, part_index: int = 1):
        """A wrong answer plus its visible test cell replaced by ``pass``."""
        part = self.parts[part_index]
        nb = self.wrong(part)
        tests = [c for c in nb.cells if _meta(c).get("grade") and not _meta(c).get("solution")]
        after = [c for c in tests if _meta(c)["grade_id"].startswith(f"test_{part}")]
        for c in after or tests[:1]:
            c.source = "pass  # the test said I was wrong, so I removed it\n"
        return nb

    def generated_class(self, n: int, seed: int = 0) -> dict[str, tuple[str, object]]:
        """``{student: (kind, notebook)}``: about 40 % correct, 30 % partial, 30 % wrong."""
        rng = random.Random(seed)
        out = {}
        for i in range(n):
            student = f"student{i:03d}"
            r = rng.random()
            if r < 0.4:
                out[student] = ("correct", self.correct(written=rng.random() < 0.5))
            elif r < 0.7:
                k = rng.randrange(0, len(self.parts))
                out[student] = ("partial", self.partial(rng.sample(self.parts, k)))
            else:
                out[student] = ("wrong", self.wrong(rng.choice(self.parts)))
        return out

    def write_submitted(self, student: str, nb) -> Path:
        path = self.root / "submitted" / student / self.assignment / f"{self.assignment}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(path))
        return path


# ---- the demo class ---------------------------------------------------------------------

def demo_students(b: ClassBuilder) -> dict[str, tuple[str, object]]:
    """``{student: (what they handed in, notebook or raw bytes)}``."""
    p = b.parts
    return {
        "ada": ("correct, with a written answer", b.correct(written=True)),
        "grace": ("correct, written answer left blank", b.correct(written=False)),
        "alan": ("partial: the first half solved", b.partial(p[: len(p) // 2])),
        "barbara": ("partial: the second half solved", b.partial(p[len(p) // 2:])),
        "edsger": (f"wrong {p[1]}", b.wrong(p[1])),
        "donald": (f"wrong {p[2]}", b.wrong(p[2])),
        "katherine": (f"wrong {p[-1]}", b.wrong(p[-1])),
        "linus": ("handed in the release untouched", b.stub()),
        "mallory": ("adversarial: infinite loop", b.infinite_loop()),
        "trudy": ("adversarial: deleted a test cell", b.deleted_test()),
        "oscar": ("adversarial: replaced a failing test by `pass`", b.edited_test()),
        "eve": ("adversarial: not a notebook (invalid JSON)",
                b'{"cells": [ this is not JSON, the file was cut off'),
    }


def write_lms_export(b: ClassBuilder, folder: Path) -> dict[str, str]:
    """An LMS export of the demo class in ``folder`` and ``folder.zip``: most files named
    ``<student>_<assignment>.ipynb``, two in a folder per student. Returns what each
    student did."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    kinds = {}
    for i, (student, (kind, nb)) in enumerate(demo_students(b).items()):
        name = f"{b.assignment}.ipynb"
        path = folder / student / name if i in (0, 3) else folder / f"{student}_{name}"
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(nb, bytes):
            path.write_bytes(nb)
        else:
            nbformat.write(nb, str(path))
        kinds[student] = kind
    (folder / "README.txt").write_text("Exported from the LMS (this file is skipped by collect).\n")
    archive = folder.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                z.write(f, f.relative_to(folder).as_posix())
    return kinds


def write_course_config(dest: Path, repo: Path, extra: str = "") -> Path:
    """``dest/nbgrader_config.py``: the course's own configuration (``repo``'s, loaded as a
    sub-config, so it grades exactly as the course does: same limits, same hardening),
    with ``dest`` as the course folder, plus ``extra`` lines."""
    text = (
        '"""A generated course folder that grades exactly as the course does."""\n\n'
        "import os\n\n"
        "c = get_config()  # noqa: F821\n"
        f"load_subconfig({str(Path(repo).resolve() / 'nbgrader_config.py')!r})  # noqa: F821\n"
        "c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))\n" + extra)
    path = Path(dest) / "nbgrader_config.py"
    path.write_text(text)
    return path


def make_demo_course(repo: Path, dest: Path, assignment: str = ASSIGNMENT,
                     cell_timeout: int = 15) -> Path:
    """A fresh course folder ``dest``: the course's configuration and master copy.

    Refuses to delete an existing ``dest`` that was not made by this function.
    """
    if dest.exists():
        if not (dest / DEMO_MARKER).is_file():
            raise FileExistsError(f"{dest} exists and is not a demo class; choose another --dir")
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    (dest / DEMO_MARKER).write_text("made by `python -m instructor demo`; deleted by the next demo\n")
    write_course_config(dest, repo, extra=(
        f"\n# demo only: a {cell_timeout} s cell timeout, so that the infinite-loop submission\n"
        f"# costs {cell_timeout} s instead of a minute\n"
        f"c.ExecutePreprocessor.timeout = {cell_timeout}\n"
        f"c.Execute.timeout = {cell_timeout}\n"))
    shutil.copytree(repo / "solutions" / assignment, dest / "solutions" / assignment,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return dest
