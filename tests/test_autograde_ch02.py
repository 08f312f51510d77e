"""The ch02 autograder is itself tested, with real nbgrader runs (no mocks).

In a throwaway copy of the course, the release is generated from solutions/ch02 and a
class of students is autograded in ONE `nbgrader autograde` run:

- ``solution``: the master solutions in every answer cell -> full marks;
- ``stub``: the release as handed out -> 0 on every autograded cell, and no crash;
- one student per plausible wrong answer, who has the solution everywhere except that one
  function -> loses points on that part only, and the failing test says what went wrong;
- a few correct answers written differently from the master copy -> full marks (the
  hidden tests must not demand the instructor's particular algorithm or signs).
"""

from __future__ import annotations

import textwrap
from collections import Counter
from typing import NamedTuple

import pytest

from grading_utils import (
    ROOT, autograded_parts, autograded_test_ids, cell_output_text, make_course_copy,
    make_submission, read_notebook, run_nbgrader, scores, solution_cells, write_submission,
)

pytestmark = pytest.mark.slow

ASSIGNMENT = "ch02"


class Answer(NamedTuple):
    part: str     # grade_id of the autograded-answer cell it replaces
    source: str   # the student's cell
    message: str  # for a wrong answer: text the failing test's output must contain


def answer(part: str, source: str, message: str = "") -> Answer:
    return Answer(part, textwrap.dedent(source).strip() + "\n", message)


# One student each. Sources are what a student might really write.
WRONG_ANSWERS = {
    "unit_l1_norm": answer("unit_vector", """
        def unit_vector(v):
            v = np.asarray(v, dtype=float)
            length = np.sum(np.abs(v))
            if length == 0:
                raise ValueError("zero vector")
            return v / length
        """, "You divided by the L1 norm"),
    "unit_in_place": answer("unit_vector", """
        def unit_vector(v):
            v = np.asarray(v, dtype=float)
            length = np.sqrt(np.sum(v ** 2))
            if length == 0:
                raise ValueError("zero vector")
            v /= length
            return v
        """, "unit_vector modified its input"),
    "unit_no_zero_check": answer("unit_vector", """
        def unit_vector(v):
            v = np.asarray(v, dtype=float)
            return v / np.sqrt(np.sum(v ** 2))
        """, "it should raise ValueError because the zero vector has no direction"),
    "lp_no_abs": answer("lp_norm", """
        def lp_norm(v, p):
            v = np.asarray(v, dtype=float)
            if p < 1:
                raise ValueError("p must be >= 1")
            if p == np.inf:
                return float(np.max(np.abs(v)))
            return float(np.sum(v ** p) ** (1 / p))
        """, "You forgot the absolute values"),
    "lp_no_root": answer("lp_norm", """
        def lp_norm(v, p):
            v = np.abs(np.asarray(v, dtype=float))
            if p < 1:
                raise ValueError("p must be >= 1")
            if p == np.inf:
                return float(np.max(v))
            return float(np.sum(v ** p))
        """, "You forgot to take the p-th root"),
    "lp_no_inf_case": answer("lp_norm", """
        def lp_norm(v, p):
            v = np.abs(np.asarray(v, dtype=float))
            if p < 1:
                raise ValueError("p must be >= 1")
            return float(np.sum(v ** p) ** (1 / p))
        """, "For p = np.inf return max(|v_i|)"),
    "cos_precedence": answer("cosine_similarity", """
        def cosine_similarity(a, b):
            a = np.asarray(a, dtype=float)
            b = np.asarray(b, dtype=float)
            if a.shape != b.shape:
                raise ValueError("shapes differ")
            if not a.any() or not b.any():
                raise ValueError("zero vector")
            return float(a @ b / np.linalg.norm(a) * np.linalg.norm(b))
        """, "Operator precedence"),
    "cos_dot_product": answer("cosine_similarity", """
        def cosine_similarity(a, b):
            a = np.asarray(a, dtype=float)
            b = np.asarray(b, dtype=float)
            if a.shape != b.shape:
                raise ValueError("shapes differ")
            if not a.any() or not b.any():
                raise ValueError("zero vector")
            return float(a @ b)
        """, "You returned the dot product"),
    "proj_b_onto_a": answer("project", """
        def project(a, b):
            a = np.asarray(a, dtype=float)
            b = np.asarray(b, dtype=float)
            if a.shape != b.shape or not b.any():
                raise ValueError("bad input")
            return (a @ b) / (a @ a) * a
        """, "You projected b onto a"),
    "proj_by_length": answer("project", """
        def project(a, b):
            a = np.asarray(a, dtype=float)
            b = np.asarray(b, dtype=float)
            if a.shape != b.shape or not b.any():
                raise ValueError("bad input")
            return (a @ b) / np.linalg.norm(b) * b
        """, "You divided by ||b|| instead of b·b"),
    "gs_no_normalize": answer("gram_schmidt", """
        def gram_schmidt(V):
            V = np.asarray(V, dtype=float)
            n, k = V.shape
            Q = np.zeros((n, k))
            for j in range(k):
                w = V[:, j].copy()
                for i in range(j):
                    w = w - (Q[:, i] @ w) / (Q[:, i] @ Q[:, i]) * Q[:, i]
                if np.linalg.norm(w) <= 1e-10 * np.linalg.norm(V[:, j]):
                    raise ValueError("dependent columns")
                Q[:, j] = w
            return Q
        """, "orthogonal but not of unit length"),
    "gs_no_subtract": answer("gram_schmidt", """
        def gram_schmidt(V):
            V = np.asarray(V, dtype=float)
            n, k = V.shape
            Q = np.zeros((n, k))
            for j in range(k):
                length = np.linalg.norm(V[:, j])
                if length <= 1e-10:
                    raise ValueError("dependent columns")
                Q[:, j] = V[:, j] / length
            return Q
        """, "Each column was only normalized"),
    "gs_rows": answer("gram_schmidt", """
        def gram_schmidt(V):
            V = np.asarray(V, dtype=float)
            Q = np.zeros(V.shape)
            for j in range(V.shape[0]):
                w = V[j].copy()
                for i in range(j):
                    w = w - (Q[i] @ w) * Q[i]
                length = np.linalg.norm(w)
                if length <= 1e-10 * np.linalg.norm(V[j]):
                    raise ValueError("dependent")
                Q[j] = w / length
            return Q
        """, "You orthonormalized the ROWS of V"),
    "gs_exact_zero_test": answer("gram_schmidt", """
        def gram_schmidt(V):
            V = np.asarray(V, dtype=float)
            n, k = V.shape
            Q = np.zeros((n, k))
            for j in range(k):
                w = V[:, j].copy()
                for i in range(j):
                    w = w - (Q[:, i] @ V[:, j]) * Q[:, i]
                length = np.linalg.norm(w)
                if length == 0:
                    raise ValueError("dependent columns")
                Q[:, j] = w / length
            return Q
        """, "compare ||w_j|| with a tolerance"),
    "gs_in_place": answer("gram_schmidt", """
        def gram_schmidt(V):
            V = np.asarray(V, dtype=float)
            n, k = V.shape
            for j in range(k):
                for i in range(j):
                    V[:, j] -= (V[:, i] @ V[:, j]) * V[:, i]
                length = np.linalg.norm(V[:, j])
                if length <= 1e-10:
                    raise ValueError("dependent columns")
                V[:, j] /= length
            return V
        """, "gram_schmidt modified its input"),
    "pca_not_centered": answer("pca_project", """
        def pca_project(X, k):
            X = np.asarray(X, dtype=float)
            U, s, Vt = np.linalg.svd(X, full_matrices=False)
            return X @ Vt[:k].T
        """, "You forgot to center X"),
    "pca_eigh_ascending": answer("pca_project", """
        def pca_project(X, k):
            X = np.asarray(X, dtype=float)
            Xc = X - X.mean(axis=0)
            C = Xc.T @ Xc / len(X)
            eigenvalues, eigenvectors = np.linalg.eigh(C)
            return Xc @ eigenvectors[:, :k]
        """, "directions of SMALLEST variance"),
    "pca_vt_columns": answer("pca_project", """
        def pca_project(X, k):
            X = np.asarray(X, dtype=float)
            Xc = X - X.mean(axis=0)
            U, s, Vt = np.linalg.svd(Xc, full_matrices=False)
            return Xc @ Vt[:, :k]
        """, "the principal directions are the ROWS of Vt"),
    "pca_u_only": answer("pca_project", """
        def pca_project(X, k):
            X = np.asarray(X, dtype=float)
            Xc = X - X.mean(axis=0)
            U, s, Vt = np.linalg.svd(Xc, full_matrices=False)
            return U[:, :k]
        """, "You returned U[:, :k]"),
}

# Correct, but not the master copy's way: these must earn full marks.
CORRECT_VARIANTS = {
    "ok_unit_pure_python": answer("unit_vector", """
        def unit_vector(v):
            length = math.sqrt(sum(x * x for x in v))
            if length == 0:
                raise ValueError("the zero vector has no direction")
            return [x / length for x in v]
        """),
    "ok_gs_classical": answer("gram_schmidt", """
        def gram_schmidt(V):
            V = np.asarray(V, dtype=float)
            n, k = V.shape
            Q = np.zeros((n, k))
            for j in range(k):
                # classical Gram-Schmidt: every projection taken from the original v_j
                w = V[:, j] - Q[:, :j] @ (Q[:, :j].T @ V[:, j])
                length = np.linalg.norm(w)
                if length <= 1e-9 * np.linalg.norm(V[:, j]):
                    raise ValueError("the columns of V are linearly dependent")
                Q[:, j] = w / length
            print("done")  # a leftover debugging print costs nothing
            return Q
        """),
    "ok_pca_eigh_flipped": answer("pca_project", """
        def pca_project(X, k):
            X = np.array(X, dtype=float)
            X -= X.mean(axis=0)  # in place, but on a copy
            eigenvalues, eigenvectors = np.linalg.eigh(np.cov(X, rowvar=False))
            W = eigenvectors[:, ::-1][:, :k]
            return -(X @ W)  # either sign per column is correct
        """),
}

STUDENTS = ["solution", "stub", *WRONG_ANSWERS, *CORRECT_VARIANTS]


class Graded(NamedTuple):
    course: object
    scores: dict
    parts: dict
    points: dict


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Graded:
    """One real `nbgrader autograde` run for the whole class."""
    course = make_course_copy(tmp_path_factory.mktemp(ASSIGNMENT), [ASSIGNMENT])
    run_nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    master = read_notebook(course / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    release = read_notebook(course / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    solutions = solution_cells(master)
    submissions = {"solution": solutions, "stub": {}}
    for student, ans in {**WRONG_ANSWERS, **CORRECT_VARIANTS}.items():
        submissions[student] = {**solutions, ans.part: ans.source}
    for student, replacements in submissions.items():
        write_submission(course, ASSIGNMENT, student, make_submission(release, replacements))
    run_nbgrader(course, "autograde", ASSIGNMENT, "--force")
    return Graded(course, scores(course, ASSIGNMENT), autograded_parts(master),
                  autograded_test_ids(master))


def _autograded(graded: Graded, student: str) -> dict[str, tuple[float, float]]:
    return {gid: graded.scores[student][gid] for gid in graded.points}


def test_every_student_was_graded(graded):
    assert sorted(graded.scores) == sorted(STUDENTS)
    for student in STUDENTS:
        assert (graded.course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
        assert set(graded.points) <= set(graded.scores[student]), f"{student}: grades missing"


def test_points_as_announced(graded):
    """26 autograded points, most of them hidden; 2 points for the written answer."""
    assert sum(graded.points.values()) == 26
    assert graded.scores["solution"]["answer_cosine_length"][1] == 2
    for part, tests in graded.parts.items():
        visible = sum(graded.points[t] for t in tests if t.endswith("_visible"))
        hidden = sum(graded.points[t] for t in tests if t.endswith("_hidden"))
        assert visible == 1 and hidden >= 3, (part, visible, hidden)


def test_solution_gets_full_marks(graded):
    got = _autograded(graded, "solution")
    lost = {gid: s for gid, s in got.items() if s[0] != s[1]}
    assert not lost, f"the master solution loses points: {lost}"
    assert sum(s for s, _ in got.values()) == sum(graded.points.values())
    # the written answer waits for a person
    assert graded.scores["solution"]["answer_cosine_length"][0] is None


def test_stub_gets_zero_without_crashing(graded):
    got = _autograded(graded, "stub")
    assert all(score == 0 for score, _ in got.values()), got
    # an untouched written answer is scored 0 automatically ("No response")
    assert graded.scores["stub"]["answer_cosine_length"] == (0, 2)
    text = cell_output_text(graded.course / "autograded" / "stub" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                            "test_unit_vector_hidden")
    assert "raised NotImplementedError" in text


def test_every_autograded_part_has_two_wrong_answers(graded):
    counts = Counter(ans.part for ans in WRONG_ANSWERS.values())
    assert set(counts) == set(graded.parts)
    assert all(n >= 2 for n in counts.values()), counts


@pytest.mark.parametrize("student", sorted(WRONG_ANSWERS))
def test_wrong_answer_loses_points_on_its_own_part_only(graded, student):
    part = WRONG_ANSWERS[student].part
    got = _autograded(graded, student)
    own = graded.parts[part]
    earned = sum(got[t][0] for t in own)
    assert earned < sum(got[t][1] for t in own), f"{student} keeps full marks on {part}: {got}"
    hidden = [t for t in own if t.endswith("_hidden")]
    assert all(got[t][0] == 0 for t in hidden), f"{student} passes the hidden tests of {part}"
    elsewhere = {t: s for t, s in got.items() if t not in own and s[0] != s[1]}
    assert not elsewhere, f"{student} (wrong {part}) loses points on other parts: {elsewhere}"


@pytest.mark.parametrize("student", sorted(WRONG_ANSWERS))
def test_failing_test_names_the_mistake(graded, student):
    ans = WRONG_ANSWERS[student]
    path = graded.course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    texts = {t: cell_output_text(path, t) for t in graded.parts[ans.part]}
    assert any(ans.message in text for text in texts.values()), (
        f"{student}: no test of {ans.part} says {ans.message!r}; outputs:\n"
        + "\n".join(f"--- {t}\n{text[-1500:]}" for t, text in texts.items()))


@pytest.mark.parametrize("student", sorted(CORRECT_VARIANTS))
def test_correct_variants_get_full_marks(graded, student):
    got = _autograded(graded, student)
    lost = {gid: s for gid, s in got.items() if s[0] != s[1]}
    assert not lost, f"{student} is correct but loses points: {lost}"


def test_grading_happens_outside_the_repository(graded):
    assert (graded.course / "gradebook.db").is_file()
    assert ROOT not in graded.course.resolve().parents, "nbgrader must run in a throwaway copy"
