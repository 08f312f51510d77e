"""The ch04 autograder is itself tested, with real nbgrader runs (no mocks).

In a throwaway copy of the course, the release is generated from solutions/ch04 and a
class of students is autograded in ONE `nbgrader autograde` run (see
``grading_utils.autograde_class``):

- ``solution``: the master solutions in every answer cell -> full marks;
- ``stub``: the release as handed out -> 0 on every autograded cell, and no crash;
- one student per plausible wrong answer, who has the solution everywhere except that one
  function -> loses points on that part only, and the failing test says what went wrong;
- a few correct answers written differently from the master copy -> full marks (the
  hidden tests must not demand the instructor's particular algorithm).
"""

from __future__ import annotations

from collections import Counter

import pytest

from grading_utils import ROOT, answer, autograde_class

pytestmark = pytest.mark.slow

ASSIGNMENT = "ch04"
WRITTEN = "answer_newton_saddle"

# One student each. Sources are what a student might really write.
WRONG_ANSWERS = {
    # 4.1 critical_point_newton
    "newton_wrong_sign": answer("critical_point_newton", """
        def critical_point_newton(grad, hess, x0, tol=1e-10, max_iter=50):
            x = np.array(x0, dtype=float)
            for _ in range(max_iter):
                g = grad(x)
                if np.linalg.norm(g) <= tol:
                    return x
                x = x + np.linalg.solve(hess(x), g)
            raise RuntimeError("no convergence")
        """, "with a minus sign"),
    "newton_one_step": answer("critical_point_newton", """
        def critical_point_newton(grad, hess, x0, tol=1e-10, max_iter=50):
            x0 = np.array(x0, dtype=float)
            return x0 - np.linalg.solve(hess(x0), grad(x0))
        """, "You stopped after one Newton step"),
    "newton_no_runtime_error": answer("critical_point_newton", """
        def critical_point_newton(grad, hess, x0, tol=1e-10, max_iter=50):
            x = np.array(x0, dtype=float)
            for _ in range(max_iter):
                g = grad(x)
                if np.linalg.norm(g) <= tol:
                    break
                x = x - np.linalg.solve(hess(x), g)
            return x
        """, "it should raise RuntimeError because one Newton step from this x0 does not reach"),
    "newton_gradient_step": answer("critical_point_newton", """
        def critical_point_newton(grad, hess, x0, tol=1e-10, max_iter=50):
            x = np.array(x0, dtype=float)
            for _ in range(max_iter):
                g = grad(x)
                if np.linalg.norm(g) <= tol:
                    return x
                x = x - g
            raise RuntimeError("no convergence")
        """, "a gradient-descent step"),
    # 4.2 classify_critical_point
    "classify_no_tolerance": answer("classify_critical_point", """
        def classify_critical_point(H, tol=1e-8):
            lam = np.linalg.eigvalsh(np.asarray(H, dtype=float))
            if np.all(lam > 0):
                return "minimum"
            if np.all(lam < 0):
                return "maximum"
            if np.any(lam > 0) and np.any(lam < 0):
                return "saddle"
            return "degenerate"
        """, "Did you ignore the tolerance?"),
    "classify_det_trace": answer("classify_critical_point", """
        def classify_critical_point(H, tol=1e-8):
            H = np.asarray(H, dtype=float)
            D = np.linalg.det(H)
            if abs(D) <= tol:
                return "degenerate"
            if D < 0:
                return "saddle"
            return "minimum" if np.trace(H) > 0 else "maximum"
        """, "The signs of det H and trace H decide only for 2 x 2 matrices"),
    "classify_zero_first": answer("classify_critical_point", """
        def classify_critical_point(H, tol=1e-8):
            lam = np.linalg.eigvalsh(np.asarray(H, dtype=float))
            t = tol * max(1.0, np.max(np.abs(lam)))
            if np.any(np.abs(lam) <= t):
                return "degenerate"
            if np.all(lam > 0):
                return "minimum"
            if np.all(lam < 0):
                return "maximum"
            return "saddle"
        """, "Eigenvalues of both signs make a saddle even when another eigenvalue is zero"),
    "classify_absolute_tolerance": answer("classify_critical_point", """
        def classify_critical_point(H, tol=1e-8):
            lam = np.linalg.eigvalsh(np.asarray(H, dtype=float))
            if np.any(lam > tol) and np.any(lam < -tol):
                return "saddle"
            if np.all(lam > tol):
                return "minimum"
            if np.all(lam < -tol):
                return "maximum"
            return "degenerate"
        """, "It is relative to the size of H"),
    # 4.2 newton_step
    "newton_step_sign": answer("newton_step", """
        def newton_step(grad, H):
            return np.linalg.solve(np.asarray(H, dtype=float), np.asarray(grad, dtype=float))
        """, "Wrong sign"),
    "newton_step_multiply": answer("newton_step", """
        def newton_step(grad, H):
            return -np.asarray(H, dtype=float) @ np.asarray(grad, dtype=float)
        """, "That is -H grad f"),
    "newton_step_diagonal": answer("newton_step", """
        def newton_step(grad, H):
            return -np.asarray(grad, dtype=float) / np.diag(np.asarray(H, dtype=float))
        """, "You divided the gradient by the diagonal of H"),
    # 4.3 solve_equality_qp
    "qp_lambda_sign": answer("solve_equality_qp", """
        def solve_equality_qp(Q, q, A, b):
            Q, q, A, b = (np.asarray(a, dtype=float) for a in (Q, q, A, b))
            n, m = len(q), len(b)
            K = np.block([[Q, A.T], [A, np.zeros((m, m))]])  # L = f + lam.(A x - b)
            sol = np.linalg.solve(K, np.concatenate([-q, b]))
            return sol[:n], sol[n:]
        """, "The sign of lambda is flipped"),
    "qp_two_Q": answer("solve_equality_qp", """
        def solve_equality_qp(Q, q, A, b):
            Q, q, A, b = (np.asarray(a, dtype=float) for a in (Q, q, A, b))
            n, m = len(q), len(b)
            K = np.block([[2 * Q, -A.T], [A, np.zeros((m, m))]])  # d/dx (x.Qx) = 2 Q x
            sol = np.linalg.solve(K, np.concatenate([-q, b]))
            return sol[:n], sol[n:]
        """, "not 2 Q x"),
    "qp_unconstrained": answer("solve_equality_qp", """
        def solve_equality_qp(Q, q, A, b):
            Q, q = np.asarray(Q, dtype=float), np.asarray(q, dtype=float)
            return np.linalg.solve(Q, -q), np.zeros(len(b))
        """, "You ignored the constraint"),
}

# Correct, but not the master copy's way: these must earn full marks.
CORRECT_VARIANTS = {
    "ok_newton_inverse_while": answer("critical_point_newton", """
        def critical_point_newton(grad, hess, x0, tol=1e-10, max_iter=50):
            x = np.asarray(x0, dtype=float)
            steps = 0
            while np.linalg.norm(grad(x)) > tol:
                if steps == max_iter:
                    raise RuntimeError(f"not converged after {max_iter} steps")
                x = x - np.linalg.inv(hess(x)) @ grad(x)  # inv works too, just slower and less accurate
                steps += 1
            return x
        """),
    "ok_classify_counting": answer("classify_critical_point", """
        def classify_critical_point(H, tol=1e-8):
            H = np.asarray(H, dtype=float)
            lam = np.linalg.eigh((H + H.T) / 2)[0]
            t = tol * max(1.0, abs(lam).max())
            n_pos, n_neg = int((lam > t).sum()), int((lam < -t).sum())
            if n_pos and n_neg:
                return "saddle"
            if n_pos == len(lam):
                return "minimum"
            if n_neg == len(lam):
                return "maximum"
            return "degenerate"
        """),
    "ok_newton_step_cholesky": answer("newton_step", """
        def newton_step(grad, H):
            H, g = np.asarray(H, dtype=float), np.asarray(grad, dtype=float)
            try:  # positive definite: two triangular solves
                C = np.linalg.cholesky(H)
                return -np.linalg.solve(C.T, np.linalg.solve(C, g))
            except np.linalg.LinAlgError:
                return np.linalg.lstsq(H, -g, rcond=None)[0]
        """),
    "ok_qp_null_space": answer("solve_equality_qp", """
        def solve_equality_qp(Q, q, A, b):
            # x = x_p + Z v with A x_p = b and the columns of Z spanning the null space of A
            Q, q, A, b = (np.asarray(a, dtype=float) for a in (Q, q, A, b))
            m = A.shape[0]
            x_p = np.linalg.lstsq(A, b, rcond=None)[0]
            Z = np.linalg.svd(A)[2][m:].T
            v = np.linalg.solve(Z.T @ Q @ Z, -Z.T @ (Q @ x_p + q))
            x = x_p + Z @ v
            lam = np.linalg.lstsq(A.T, Q @ x + q, rcond=None)[0]  # Q x + q = A.T lam
            return x, lam
        """),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One real `nbgrader autograde` run for the whole class."""
    return autograde_class(tmp_path_factory.mktemp(ASSIGNMENT), ASSIGNMENT,
                           {**WRONG_ANSWERS, **CORRECT_VARIANTS})


def test_every_student_was_graded(graded):
    students = ["solution", "stub", *WRONG_ANSWERS, *CORRECT_VARIANTS]
    assert sorted(graded.scores) == sorted(students)
    for student in students:
        assert graded.notebook(student).is_file()
        assert set(graded.points) <= set(graded.scores[student]), f"{student}: grades missing"


def test_points_as_announced(graded):
    """19 autograded points (1 visible + 3 or 4 hidden per function); 2 for the written answer."""
    assert sum(graded.points.values()) == 19
    assert graded.scores["solution"][WRITTEN][1] == 2
    assert len(graded.parts) == 4
    for part, tests in graded.parts.items():
        visible = sum(graded.points[t] for t in tests if t.endswith("_visible"))
        hidden = sum(graded.points[t] for t in tests if t.endswith("_hidden"))
        assert visible == 1 and 3 <= hidden <= 4 and len(tests) == 2, (part, tests)


def test_solution_gets_full_marks(graded):
    got = graded.autograded("solution")
    lost = {gid: s for gid, s in got.items() if s[0] != s[1]}
    assert not lost, f"the master solution loses points: {lost}"
    assert graded.scores["solution"][WRITTEN][0] is None  # the written answer waits for a person


def test_stub_gets_zero_without_crashing(graded):
    got = graded.autograded("stub")
    assert all(score == 0 for score, _ in got.values()), got
    assert graded.scores["stub"][WRITTEN] == (0, 2)  # "No response"
    for part, tests in graded.parts.items():
        hidden = [t for t in tests if t.endswith("_hidden")]
        assert all("raised NotImplementedError" in graded.output("stub", t) for t in hidden), part


def test_every_autograded_part_has_two_wrong_answers(graded):
    counts = Counter(ans.part for ans in WRONG_ANSWERS.values())
    assert set(counts) == set(graded.parts)
    assert all(n >= 2 for n in counts.values()), counts


@pytest.mark.parametrize("student", sorted(WRONG_ANSWERS))
def test_wrong_answer_loses_points_on_its_own_part_only(graded, student):
    part = WRONG_ANSWERS[student].part
    got = graded.autograded(student)
    own = graded.parts[part]
    hidden = [t for t in own if t.endswith("_hidden")]
    assert all(got[t][0] == 0 for t in hidden), f"{student} passes the hidden tests of {part}: {got}"
    elsewhere = {t: s for t, s in got.items() if t not in own and s[0] != s[1]}
    assert not elsewhere, f"{student} (wrong {part}) loses points on other parts: {elsewhere}"


@pytest.mark.parametrize("student", sorted(WRONG_ANSWERS))
def test_failing_test_names_the_mistake(graded, student):
    ans = WRONG_ANSWERS[student]
    texts = {t: graded.output(student, t) for t in graded.parts[ans.part]}
    failing = {t: text for t, text in texts.items() if graded.scores[student][t][0] == 0}
    assert any(ans.message in text for text in failing.values()), (
        f"{student}: no failing test of {ans.part} says {ans.message!r}; outputs:\n"
        + "\n".join(f"--- {t}\n{text[-1500:]}" for t, text in texts.items()))


@pytest.mark.parametrize("student", sorted(CORRECT_VARIANTS))
def test_correct_variants_get_full_marks(graded, student):
    got = graded.autograded(student)
    lost = {gid: s for gid, s in got.items() if s[0] != s[1]}
    assert not lost, f"{student} is correct but loses points: {lost}"


def test_grading_happens_outside_the_repository(graded):
    assert (graded.course / "gradebook.db").is_file()
    assert ROOT not in graded.course.resolve().parents, "nbgrader must run in a throwaway copy"
