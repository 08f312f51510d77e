"""The ch05 autograder is itself tested, with real nbgrader runs (no mocks).

This file only declares ch05's data; the tests are the generic ones of
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
    # 5.1 fit_least_squares
    "lstsq_normal_equations": answer("fit_least_squares", """
        def fit_least_squares(X, y):
            X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
            if X.ndim != 2 or y.ndim != 1 or len(y) != len(X):
                raise ValueError("shapes do not match")
            if not (np.isfinite(X).all() and np.isfinite(y).all()):
                raise ValueError("not finite")
            return np.linalg.solve(X.T @ X, X.T @ y)   # the normal equations, as in the book
        """, "Forming X^T X squares the condition number"),
    "lstsq_normal_inverse": answer("fit_least_squares", """
        def fit_least_squares(X, y):
            X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
            if X.ndim != 2 or y.ndim != 1 or len(y) != len(X):
                raise ValueError("shapes do not match")
            if not (np.isfinite(X).all() and np.isfinite(y).all()):
                raise ValueError("not finite")
            return np.linalg.inv(X.T @ X) @ X.T @ y
        """, "Did you solve the normal equations"),
    "lstsq_no_solve": answer("fit_least_squares", """
        def fit_least_squares(X, y):
            X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
            if X.ndim != 2 or y.ndim != 1 or len(y) != len(X):
                raise ValueError("shapes do not match")
            if not (np.isfinite(X).all() and np.isfinite(y).all()):
                raise ValueError("not finite")
            return X.T @ y
        """, "That is X^T y"),
    "lstsq_square_subsystem": answer("fit_least_squares", """
        def fit_least_squares(X, y):
            X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
            if X.ndim != 2 or y.ndim != 1 or len(y) != len(X):
                raise ValueError("shapes do not match")
            if not (np.isfinite(X).all() and np.isfinite(y).all()):
                raise ValueError("not finite")
            d = X.shape[1]
            return np.linalg.solve(X[:d], y[:d])   # d equations for d unknowns
        """, "You solved only the first"),
    "lstsq_no_finite_check": answer("fit_least_squares", """
        def fit_least_squares(X, y):
            X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
            Q, R = np.linalg.qr(X)
            return np.linalg.solve(R, Q.T @ y)
        """, "its values are not finite"),
    "lstsq_ignores_y_shape": answer("fit_least_squares", """
        def fit_least_squares(X, y):
            X = np.asarray(X, dtype=float)
            y = np.asarray(y, dtype=float).ravel()[:len(X)]   # make y fit
            if X.ndim != 2 or len(y) != len(X):
                raise ValueError("shapes do not match")
            if not (np.isfinite(X).all() and np.isfinite(y).all()):
                raise ValueError("not finite")
            return np.linalg.lstsq(X, y, rcond=None)[0]
        """, "y has 7 entries but X has 6 rows"),
    # 5.2 ridge
    "ridge_forgets_gamma": answer("ridge", """
        def ridge(X, y, gamma):
            X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
            if X.ndim != 2 or y.ndim != 1 or len(y) != len(X):
                raise ValueError("shapes do not match")
            if not (np.isfinite(X).all() and np.isfinite(y).all()) or not gamma >= 0 or gamma == np.inf:
                raise ValueError("bad input")
            return np.linalg.lstsq(X, y, rcond=None)[0]
        """, "You forgot the penalty"),
    "ridge_half_gamma": answer("ridge", """
        def ridge(X, y, gamma):
            X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
            if X.ndim != 2 or y.ndim != 1 or len(y) != len(X):
                raise ValueError("shapes do not match")
            if not (np.isfinite(X).all() and np.isfinite(y).all()) or not gamma >= 0 or gamma == np.inf:
                raise ValueError("bad input")
            d = X.shape[1]
            return np.linalg.solve(X.T @ X + gamma / 2 * np.eye(d), X.T @ y)   # the penalty is gamma/2 |b|^2
        """, "You used gamma / 2"),
    "ridge_two_gamma": answer("ridge", """
        def ridge(X, y, gamma):
            X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
            if X.ndim != 2 or y.ndim != 1 or len(y) != len(X):
                raise ValueError("shapes do not match")
            if not (np.isfinite(X).all() and np.isfinite(y).all()) or not gamma >= 0 or gamma == np.inf:
                raise ValueError("bad input")
            d = X.shape[1]
            return np.linalg.solve(X.T @ X + 2 * gamma * np.eye(d), X.T @ y)
        """, "You used 2 gamma"),
    "ridge_wrong_sign": answer("ridge", """
        def ridge(X, y, gamma):
            X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
            if X.ndim != 2 or y.ndim != 1 or len(y) != len(X):
                raise ValueError("shapes do not match")
            if not (np.isfinite(X).all() and np.isfinite(y).all()) or not gamma >= 0 or gamma == np.inf:
                raise ValueError("bad input")
            d = X.shape[1]
            return np.linalg.solve(X.T @ X - gamma * np.eye(d), X.T @ y)
        """, "The penalty has the wrong sign"),
    "ridge_gamma_every_entry": answer("ridge", """
        def ridge(X, y, gamma):
            X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
            if X.ndim != 2 or y.ndim != 1 or len(y) != len(X):
                raise ValueError("shapes do not match")
            if not (np.isfinite(X).all() and np.isfinite(y).all()) or not gamma >= 0 or gamma == np.inf:
                raise ValueError("bad input")
            return np.linalg.solve(X.T @ X + gamma, X.T @ y)
        """, "You added gamma to every entry"),
    "ridge_transposed": answer("ridge", """
        def ridge(X, y, gamma):
            X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
            if X.ndim != 2 or y.ndim != 1 or len(y) != len(X):
                raise ValueError("shapes do not match")
            if not (np.isfinite(X).all() and np.isfinite(y).all()) or not gamma >= 0 or gamma == np.inf:
                raise ValueError("bad input")
            return np.linalg.solve(X @ X.T + gamma * np.eye(len(X)), y)
        """, "did you solve with X X^T instead of X^T X"),
    "ridge_accepts_negative_gamma": answer("ridge", """
        def ridge(X, y, gamma):
            X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
            if X.ndim != 2 or y.ndim != 1 or len(y) != len(X):
                raise ValueError("shapes do not match")
            if not (np.isfinite(X).all() and np.isfinite(y).all()):
                raise ValueError("not finite")
            d = X.shape[1]
            return np.linalg.solve(X.T @ X + gamma * np.eye(d), X.T @ y)
        """, "gamma = -0.5 is negative"),
}

# Correct, but not the master copy's way: these must earn full marks.
CORRECT_VARIANTS = {
    "ok_lstsq_qr": answer("fit_least_squares", """
        def fit_least_squares(X, y):
            X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
            if X.ndim != 2 or y.shape != (X.shape[0],):
                raise ValueError(f"X must be (N, d) and y (N,), got {X.shape} and {y.shape}")
            if not np.all(np.isfinite(X)) or not np.all(np.isfinite(y)):
                raise ValueError("X and y must be finite")
            Q, R = np.linalg.qr(X)             # reduced QR: R is d x d, upper triangular
            return np.linalg.solve(R, Q.T @ y)
        """),
    "ok_lstsq_pinv": answer("fit_least_squares", """
        def fit_least_squares(X, y):
            X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
            if X.ndim != 2 or y.ndim != 1 or y.size != X.shape[0]:
                raise ValueError("X must be (N, d) and y (N,)")
            if np.isnan(X).any() or np.isnan(y).any() or np.isinf(X).any() or np.isinf(y).any():
                raise ValueError("NaN or inf in the data")
            return np.linalg.pinv(X) @ y
        """),
    "ok_lstsq_svd": answer("fit_least_squares", """
        def fit_least_squares(X, y):
            X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
            if X.ndim != 2 or y.ndim != 1 or len(y) != len(X):
                raise ValueError("X must be (N, d) and y (N,)")
            if not (np.isfinite(X).all() and np.isfinite(y).all()):
                raise ValueError("not finite")
            U, s, Vt = np.linalg.svd(X, full_matrices=False)
            return Vt.T @ ((U.T @ y) / s)
        """),
    "ok_ridge_cholesky": answer("ridge", """
        def ridge(X, y, gamma):
            X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
            if X.ndim != 2 or y.ndim != 1 or len(y) != len(X):
                raise ValueError("X must be (N, d) and y (N,)")
            if not (np.isfinite(X).all() and np.isfinite(y).all()):
                raise ValueError("not finite")
            if not (math.isfinite(gamma) and gamma >= 0):
                raise ValueError("gamma must be >= 0")
            C = np.linalg.cholesky(X.T @ X + gamma * np.eye(X.shape[1]))   # positive definite
            return np.linalg.solve(C.T, np.linalg.solve(C, X.T @ y))
        """),
    "ok_ridge_augmented": answer("ridge", """
        def ridge(X, y, gamma):
            # ||X b - y||^2 + gamma ||b||^2 = ||[X; sqrt(gamma) I] b - [y; 0]||^2
            X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
            if X.ndim != 2 or y.ndim != 1 or len(y) != len(X):
                raise ValueError("X must be (N, d) and y (N,)")
            if not (np.isfinite(X).all() and np.isfinite(y).all()):
                raise ValueError("not finite")
            if not (np.isfinite(gamma) and gamma >= 0):
                raise ValueError("gamma must be >= 0")
            d = X.shape[1]
            A = np.vstack([X, np.sqrt(gamma) * np.eye(d)])
            return np.linalg.lstsq(A, np.concatenate([y, np.zeros(d)]), rcond=None)[0]
        """),
    "ok_ridge_dual": answer("ridge", """
        def ridge(X, y, gamma):
            # the dual form beta = X^T (X X^T + gamma I)^-1 y (N x N system)
            X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
            if X.ndim != 2 or y.ndim != 1 or len(y) != len(X):
                raise ValueError("X must be (N, d) and y (N,)")
            if not (np.isfinite(X).all() and np.isfinite(y).all()):
                raise ValueError("not finite")
            if not (np.isfinite(gamma) and gamma >= 0):
                raise ValueError("gamma must be >= 0")
            return X.T @ np.linalg.solve(X @ X.T + gamma * np.eye(len(X)), y)
        """),
}


class TestCh05(AutogradeSuite):
    """10 autograded points (1 visible + 4 hidden per function); 2 for the written answer."""

    assignment = "ch05"
    written = "answer_ridge_conditioning"
    points = 10
    n_parts = 2
    wrong_answers = WRONG_ANSWERS
    correct_variants = CORRECT_VARIANTS
