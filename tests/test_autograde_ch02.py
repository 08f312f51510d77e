"""The ch02 autograder is itself tested, with real nbgrader runs (no mocks).

This file only declares ch02's data; the tests are the generic ones of
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


class TestCh02(AutogradeSuite):
    """26 autograded points (1 visible + 3 or 4 hidden per function); 2 for the written answer."""

    assignment = "ch02"
    written = "answer_cosine_length"
    points = 26
    n_parts = 6
    wrong_answers = WRONG_ANSWERS
    correct_variants = CORRECT_VARIANTS
