"""The ch04 autograder is itself tested, with real nbgrader runs (no mocks).

This file only declares ch04's data; the tests are the generic ones of
``autograde_suite.AutogradeSuite``: in a throwaway copy of the course the whole class
(the solution, the stub, one student per wrong answer and per correct variant) is
autograded in ONE `nbgrader autograde` run, and each student's grades and feedback are
checked.
"""

from __future__ import annotations

from autograde_suite import AutogradeSuite
from grading_utils import answer

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
    "newton_ignores_tol": answer("critical_point_newton", """
        def critical_point_newton(grad, hess, x0, tol=1e-10, max_iter=50):
            x = np.array(x0, dtype=float)
            for _ in range(max_iter):
                g = grad(x)
                if np.linalg.norm(g) <= 1e-10:  # tight enough for any tol
                    return x
                x = x + np.linalg.solve(hess(x), -g)
            raise RuntimeError("no convergence")
        """, "You ignored tol"),
    "newton_max_iter_minus_one": answer("critical_point_newton", """
        def critical_point_newton(grad, hess, x0, tol=1e-10, max_iter=50):
            x = np.array(x0, dtype=float)
            for _ in range(max_iter):
                g = grad(x)
                if np.linalg.norm(g) <= tol:
                    return x
                if _ == max_iter - 1:
                    break
                x = x + np.linalg.solve(hess(x), -g)
            raise RuntimeError("no convergence")
        """, "count the steps"),
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
            K = np.block([[Q, A.T], [A, np.zeros((m, m))]])  # Lagrangian f + lam.(A x - b)
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


class TestCh04(AutogradeSuite):
    """19 autograded points (1 visible + 3 or 4 hidden per function); 2 for the written answer."""

    assignment = "ch04"
    written = "answer_newton_saddle"
    points = 19
    n_parts = 4
    wrong_answers = WRONG_ANSWERS
    correct_variants = CORRECT_VARIANTS
