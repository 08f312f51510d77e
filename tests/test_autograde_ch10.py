"""The ch10 autograder is itself tested, with real nbgrader runs (no mocks).

This file only declares ch10's data; the tests are the generic ones of
``autograde_suite.AutogradeSuite``: in a throwaway copy of the course the whole class
(the solution, the stub, one student per wrong answer and per correct variant, and the
generated student who ignores ``residual_jacobian``'s optional ``b``) is autograded in ONE
`nbgrader autograde` run, and each student's grades and feedback are checked. The three
parts are independent (no part calls another), so a wrong answer can only lose points on
its own part, which the suite checks.
"""

from __future__ import annotations

from autograde_suite import AutogradeSuite
from grading_utils import answer

# One student each. Sources are what a student might really write.
WRONG_ANSWERS = {
    # 10.1 tied_gradient
    "tg_decoder_only": answer("tied_gradient", """
        def tied_gradient(W, X):
            W, X = np.asarray(W, dtype=float), np.asarray(X, dtype=float)
            Z = X @ W.T
            R = Z @ W - X
            return Z.T @ R / len(X)                  # the decoder's use only
        """, "only the decoder's use of W"),
    "tg_encoder_only": answer("tied_gradient", """
        def tied_gradient(W, X):
            W, X = np.asarray(W, dtype=float), np.asarray(X, dtype=float)
            R = X @ W.T @ W - X
            dZ = R @ W.T / len(X)                    # dL/dZ, Z = X W^T
            return dZ.T @ X                          # the encoder's use only
        """, "only the encoder's use of W"),
    "tg_decoder_twice": answer("tied_gradient", """
        def tied_gradient(W, X):
            # W is used twice, so twice the gradient of one use
            W, X = np.asarray(W, dtype=float), np.asarray(X, dtype=float)
            Z = X @ W.T
            return 2 * Z.T @ (Z @ W - X) / X.shape[0]
        """, "You doubled the decoder's term"),
    "tg_no_mean": answer("tied_gradient", """
        def tied_gradient(W, X):
            W, X = np.asarray(W, dtype=float), np.asarray(X, dtype=float)
            Z = X @ W.T
            R = Z @ W - X
            return Z.T @ R + W @ R.T @ X             # forgot 1/N
        """, "You forgot the factor 1/N"),
    "tg_mean_over_entries": answer("tied_gradient", """
        def tied_gradient(W, X):
            W, X = np.asarray(W, dtype=float), np.asarray(X, dtype=float)
            Z = X @ W.T
            R = Z @ W - X
            return (Z.T @ R + W @ R.T @ X) / R.size  # np.mean-style: divides by N d
        """, "You divided by N d"),
    "tg_factor_two": answer("tied_gradient", """
        def tied_gradient(W, X):
            W, X = np.asarray(W, dtype=float), np.asarray(X, dtype=float)
            N = X.shape[0]
            Z = X @ W.T
            R = Z @ W - X
            return 2 * (Z.T @ R + W @ R.T @ X) / N   # d/dR of R^2 is 2R ... but L has a 1/2
        """, "A factor 2 too large"),
    "tg_transposed": answer("tied_gradient", """
        def tied_gradient(W, X):
            W, X = np.asarray(W, dtype=float), np.asarray(X, dtype=float)
            N = X.shape[0]
            R = X @ W.T @ W - X
            return (R.T @ X @ W.T + X.T @ R @ W.T) / N   # the gradient with respect to W^T
        """, "That is the transpose"),
    "tg_wrong_sign": answer("tied_gradient", """
        def tied_gradient(W, X):
            W, X = np.asarray(W, dtype=float), np.asarray(X, dtype=float)
            Z = X @ W.T
            E = X - Z @ W                            # the error, data minus reconstruction
            return (Z.T @ E + W @ E.T @ X) / len(X)
        """, "Wrong sign"),
    # 10.2 constrained_partial
    "cp_ignores_constraint": answer("constrained_partial", """
        def constrained_partial(grad_w, grad_g, point, wrt, held):
            if wrt == held:
                raise ValueError("wrt == held")
            if np.asarray(grad_g(point), dtype=float)[3 - wrt - held] == 0:
                raise ValueError("g_c = 0")
            return float(np.asarray(grad_w(point), dtype=float)[wrt])
        """, "You ignored the constraint"),
    "cp_wrong_sign": answer("constrained_partial", """
        def constrained_partial(grad_w, grad_g, point, wrt, held):
            if wrt == held:
                raise ValueError("wrt == held")
            c = 3 - wrt - held
            dw, dg = np.asarray(grad_w(point), dtype=float), np.asarray(grad_g(point), dtype=float)
            if dg[c] == 0:
                raise ValueError("g_c = 0")
            return float(dw[wrt] + dw[c] * dg[wrt] / dg[c])
        """, "Wrong sign of the w_c g_a / g_c term"),
    "cp_eliminates_held": answer("constrained_partial", """
        def constrained_partial(grad_w, grad_g, point, wrt, held):
            if wrt == held:
                raise ValueError("wrt == held")
            dw, dg = np.asarray(grad_w(point), dtype=float), np.asarray(grad_g(point), dtype=float)
            if dg[3 - wrt - held] == 0:
                raise ValueError("g_c = 0")
            return float(dw[wrt] - dw[held] * dg[wrt] / dg[held])   # solved g = 0 for x_held
        """, "You eliminated the held variable"),
    "cp_swapped": answer("constrained_partial", """
        def constrained_partial(grad_w, grad_g, point, wrt, held):
            if wrt == held:
                raise ValueError("wrt == held")
            a, b = held, wrt                         # read the arguments the other way round
            c = 3 - a - b
            dw, dg = np.asarray(grad_w(point), dtype=float), np.asarray(grad_g(point), dtype=float)
            if dg[c] == 0:
                raise ValueError("g_c = 0")
            return float(dw[a] - dw[c] * dg[a] / dg[c])
        """, "You swapped wrt and held"),
    "cp_always_x2": answer("constrained_partial", """
        def constrained_partial(grad_w, grad_g, point, wrt, held):
            if wrt == held:
                raise ValueError("wrt == held")
            dw, dg = np.asarray(grad_w(point), dtype=float), np.asarray(grad_g(point), dtype=float)
            if dg[2] == 0:
                raise ValueError("g_2 = 0")
            return float(dw[wrt] - dw[2] * dg[wrt] / dg[2])   # "the third variable": x2
        """, "always took x2 as the dependent variable"),
    "cp_ratio_inverted": answer("constrained_partial", """
        def constrained_partial(grad_w, grad_g, point, wrt, held):
            if wrt == held:
                raise ValueError("wrt == held")
            c = 3 - wrt - held
            dw, dg = np.asarray(grad_w(point), dtype=float), np.asarray(grad_g(point), dtype=float)
            if dg[c] == 0:
                raise ValueError("g_c = 0")
            return float(dw[wrt] - dw[c] * dg[c] / dg[wrt])
        """, "The ratio is upside down"),
    "cp_no_value_error": answer("constrained_partial", """
        def constrained_partial(grad_w, grad_g, point, wrt, held):
            c = 3 - wrt - held
            dw, dg = np.asarray(grad_w(point), dtype=float), np.asarray(grad_g(point), dtype=float)
            return float(dw[wrt] - dw[c] * dg[wrt] / dg[c])   # no checks
        """, "it should raise ValueError because wrt = held"),
    # 10.2 residual_jacobian
    "rj_no_identity": answer("residual_jacobian", """
        def residual_jacobian(W1, W2, x, b=None):
            W1, W2, x = (np.asarray(a, dtype=float) for a in (W1, W2, x))
            u = W1 @ x + (0.0 if b is None else np.asarray(b, dtype=float))
            return W2 @ np.diag(1 - np.tanh(u) ** 2) @ W1     # F'(x): the skip path forgotten
        """, "You forgot the identity"),
    "rj_tanh_not_derivative": answer("residual_jacobian", """
        def residual_jacobian(W1, W2, x, b=None):
            W1, W2, x = (np.asarray(a, dtype=float) for a in (W1, W2, x))
            u = W1 @ x + (0.0 if b is None else np.asarray(b, dtype=float))
            return np.eye(len(x)) + W2 @ np.diag(np.tanh(u)) @ W1
        """, "You used tanh(u) where its derivative"),
    "rj_transposed": answer("residual_jacobian", """
        def residual_jacobian(W1, W2, x, b=None):
            W1, W2, x = (np.asarray(a, dtype=float) for a in (W1, W2, x))
            u = W1 @ x + (0.0 if b is None else np.asarray(b, dtype=float))
            s = 1 - np.tanh(u) ** 2
            return np.eye(len(x)) + W1.T @ np.diag(s) @ W2.T  # backprop's order: J^T
        """, "That is the transpose of the Jacobian"),
    "rj_linear": answer("residual_jacobian", """
        def residual_jacobian(W1, W2, x, b=None):
            W1, W2 = np.asarray(W1, dtype=float), np.asarray(W2, dtype=float)
            return np.eye(W1.shape[1]) + W2 @ W1          # as if tanh were the identity
        """, "You left out tanh'(u)"),
    "rj_ignores_bias": answer("residual_jacobian", """
        def residual_jacobian(W1, W2, x, b=None):
            W1, W2, x = (np.asarray(a, dtype=float) for a in (W1, W2, x))
            s = 1 - np.tanh(W1 @ x) ** 2                 # b forgotten
            return np.eye(len(x)) + W2 @ np.diag(s) @ W1
        """, "You ignored the bias b"),
}

# Correct, but not the master copy's way: these must earn full marks.
CORRECT_VARIANTS = {
    "ok_tg_two_copies_einsum": answer("tied_gradient", """
        def tied_gradient(W, X):
            We = np.array(W, dtype=float)               # the encoder's copy
            Wd = We.copy()                              # the decoder's copy
            X = np.array(X, dtype=float)
            if We.shape[1] != X.shape[1]:
                raise ValueError("W and X need the same number of columns")
            N = len(X)
            Z = np.einsum("kd,nd->nk", We, X)
            R = np.einsum("nk,kd->nd", Z, Wd) - X
            g_dec = np.einsum("nk,nd->kd", Z, R) / N
            dZ = np.einsum("nd,kd->nk", R, Wd) / N
            g_enc = np.einsum("nk,nd->kd", dZ, X)
            return g_enc + g_dec
        """),
    "ok_tg_gram": answer("tied_gradient", """
        def tied_gradient(W, X):
            # with S = X^T X / N: L = tr(W^T W S W^T W - 2 W S W^T + S) / 2, so
            # dL/dW = W (W^T W S + S W^T W) - 2 W S
            W = np.asarray(W, dtype=float)
            X = np.asarray(X, dtype=float)
            if W.shape[1] != X.shape[1]:
                raise ValueError(f"shapes {W.shape} and {X.shape} do not match")
            S = X.T @ X / X.shape[0]
            P = W.T @ W
            return W @ (P @ S + S @ P) - 2 * W @ S
        """),
    "ok_cp_loop_isclose": answer("constrained_partial", """
        def constrained_partial(grad_w, grad_g, point, wrt, held):
            if wrt == held:
                raise ValueError("wrt and held must differ")
            c = [i for i in range(3) if i not in (wrt, held)][0]
            x = np.array(point, dtype=float)
            w = [float(v) for v in grad_w(x)]
            g = [float(v) for v in grad_g(x)]
            if math.isclose(g[c], 0.0, abs_tol=1e-14):
                raise ValueError("the constraint does not fix the dependent variable here")
            dxc = -g[wrt] / g[c]                        # dx_c per unit dx_a along g = 0
            return w[wrt] + w[c] * dxc
        """),
    "ok_cp_solve": answer("constrained_partial", """
        def constrained_partial(grad_w, grad_g, point, wrt, held):
            # the tangent direction of g = 0 with dx_held = 0 and dx_wrt = 1
            if wrt == held or not {wrt, held} <= {0, 1, 2}:
                raise ValueError("two different indices in {0, 1, 2}")
            (c,) = {0, 1, 2} - {wrt, held}
            p = np.asarray(point, dtype=float)
            ng = np.asarray(grad_g(p), dtype=float)
            if ng[c] == 0:
                raise ValueError("g_c is zero")
            direction = np.zeros(3)
            direction[wrt] = 1.0
            direction[c] = -ng[wrt] / ng[c]
            return float(np.dot(grad_w(p), direction))
        """),
    "ok_rj_sech_outer": answer("residual_jacobian", """
        def residual_jacobian(W1, W2, x, b=None):
            W1 = np.array(W1, dtype=float)
            W2 = np.array(W2, dtype=float)
            x = np.array(x, dtype=float).reshape(-1)
            b = np.zeros(W1.shape[0]) if b is None else np.array(b, dtype=float)
            s = 1.0 / np.cosh(W1 @ x + b) ** 2          # sech^2 = tanh'
            J = np.identity(x.size)
            for j in range(W1.shape[0]):                # one hidden unit at a time
                J = J + s[j] * np.outer(W2[:, j], W1[j])
            return J
        """),
    "ok_rj_einsum": answer("residual_jacobian", """
        def residual_jacobian(W1, W2, x, b=None):
            W1, W2, x = np.asarray(W1, float), np.asarray(W2, float), np.asarray(x, float)
            u = W1 @ x if b is None else W1 @ x + np.asarray(b, float)
            return np.eye(len(x)) + np.einsum("ih,h,hj->ij", W2, 1 - np.tanh(u) ** 2, W1)
        """),
}


class TestCh10(AutogradeSuite):
    """14 autograded points (1 visible + 4, 4 and 3 hidden); 2 for the written answer."""

    assignment = "ch10"
    written = "answer_held_fixed"
    points = 14
    n_parts = 3
    wrong_answers = WRONG_ANSWERS
    correct_variants = CORRECT_VARIANTS
