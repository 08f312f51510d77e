"""The ch03 autograder is itself tested, with real nbgrader runs (no mocks).

This file only declares ch03's data; the tests are the generic ones of
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
    # 3.1 partial
    "partial_forward": answer("partial", """
        def partial(f, x, i, h=1e-5):
            x = np.asarray(x, dtype=float)
            e = np.zeros(len(x))
            e[i] = 1.0
            return (f(x + h * e) - f(x)) / h
        """, "That is the forward difference"),
    "partial_divide_by_h": answer("partial", """
        def partial(f, x, i, h=1e-5):
            x = np.asarray(x, dtype=float)
            e = np.zeros(len(x))
            e[i] = 1.0
            return (f(x + h * e) - f(x - h * e)) / h
        """, "Divide by 2h"),
    "partial_all_coordinates": answer("partial", """
        def partial(f, x, i, h=1e-5):
            x = np.asarray(x, dtype=float)
            return (f(x + h) - f(x - h)) / (2 * h)
        """, "You moved every coordinate by h"),
    "partial_change_then_restore": answer("partial", """
        def partial(f, x, i, h=1e-5):
            x = np.asarray(x, dtype=float)  # no copy: x is the caller's array
            x[i] += h
            f_plus = f(x)
            x[i] -= 2 * h
            f_minus = f(x)
            x[i] += h  # back where it was... up to rounding
            return (f_plus - f_minus) / (2 * h)
        """, "does not restore a float exactly"),
    # 3.1 best_step
    "best_step_square_root": answer("best_step", """
        def best_step(fx, M, eps=np.finfo(float).eps):
            return np.sqrt(3 * eps * abs(fx) / M)
        """, "A square root is the rule for the forward difference"),
    "best_step_no_abs": answer("best_step", """
        def best_step(fx, M, eps=np.finfo(float).eps):
            return (3 * eps * fx / M) ** (1 / 3)
        """, "use abs(fx)"),
    "best_step_no_factor_3": answer("best_step", """
        def best_step(fx, M, eps=np.finfo(float).eps):
            return (eps * abs(fx) / M) ** (1 / 3)
        """, "Mind the factor 3"),
    # 3.2 logistic_loss_grad
    "logistic_sign": answer("logistic_loss_grad", """
        def logistic_loss_grad(w, X, y):
            w, X, y = np.asarray(w, float), np.asarray(X, float), np.asarray(y, float)
            m = y * (X @ w)
            s = 0.5 * (1 - np.tanh(m / 2))
            return X.T @ (s * y) / len(y)
        """, "Wrong sign"),
    "logistic_overflow": answer("logistic_loss_grad", """
        def logistic_loss_grad(w, X, y):
            w, X, y = np.asarray(w, float), np.asarray(X, float), np.asarray(y, float)
            m = y * (X @ w)
            s = np.exp(-m) / (1 + np.exp(-m))  # sigma(-m)
            return -X.T @ (s * y) / len(y)
        """, "overflows to inf"),
    "logistic_01_labels": answer("logistic_loss_grad", """
        def logistic_loss_grad(w, X, y):
            w, X, y = np.asarray(w, float), np.asarray(X, float), np.asarray(y, float)
            p = 0.5 * (1 + np.tanh((X @ w) / 2))
            return X.T @ (p - y) / len(y)
        """, "That is the gradient for labels in {0, 1}"),
    # 3.3 directional_derivative
    "dd_not_normalized": answer("directional_derivative", """
        def directional_derivative(f, x, u, h=1e-5):
            x, u = np.asarray(x, float), np.asarray(u, float)
            if not np.any(u):
                raise ValueError("u = 0")
            return (f(x + h * u) - f(x - h * u)) / (2 * h)
        """, "You did not normalize u"),
    "dd_forward": answer("directional_derivative", """
        def directional_derivative(f, x, u, h=1e-5):
            x, u = np.asarray(x, float), np.asarray(u, float)
            norm = np.linalg.norm(u)
            if norm == 0:
                raise ValueError("u = 0")
            u = u / norm
            return (f(x + h * u) - f(x)) / h
        """, "You used the forward difference"),
    "dd_no_zero_check": answer("directional_derivative", """
        def directional_derivative(f, x, u, h=1e-5):
            x, u = np.asarray(x, float), np.asarray(u, float)
            u = u / np.linalg.norm(u)
            return (f(x + h * u) - f(x - h * u)) / (2 * h)
        """, "it should raise ValueError because u = 0 gives no direction"),
    "dd_ignores_h_forward": answer("directional_derivative", """
        def directional_derivative(f, x, u, h=1e-5):
            x, u = np.asarray(x, float), np.asarray(u, float)
            norm = np.linalg.norm(u)
            if norm == 0:
                raise ValueError("u = 0")
            step = 1e-8  # tiny, so the forward difference is accurate enough
            return (f(x + step * u / norm) - f(x)) / step
        """, "Use the step h you are given"),
    # 3.3 steepest_from_rates
    "rates_as_gradient": answer("steepest_from_rates", """
        def steepest_from_rates(U, rates):
            U, g = np.asarray(U, dtype=float), np.asarray(rates, dtype=float)
            if U.ndim != 2 or U.shape[0] != U.shape[1] or np.linalg.matrix_rank(U) < len(U):
                raise ValueError("bad U")
            if not g.any():
                raise ValueError("zero gradient")
            return g / np.linalg.norm(g), float(np.linalg.norm(g))
        """, "You treated the rates as the gradient"),
    "rates_not_normalized": answer("steepest_from_rates", """
        def steepest_from_rates(U, rates):
            U, r = np.asarray(U, dtype=float), np.asarray(rates, dtype=float)
            if U.ndim != 2 or U.shape[0] != U.shape[1] or np.linalg.matrix_rank(U) < len(U):
                raise ValueError("bad U")
            g = np.linalg.solve(U, r)
            if not g.any():
                raise ValueError("zero gradient")
            return g, float(np.linalg.norm(g))
        """, "Return a unit vector"),
    "rates_rate_squared": answer("steepest_from_rates", """
        def steepest_from_rates(U, rates):
            U, r = np.asarray(U, dtype=float), np.asarray(rates, dtype=float)
            if U.ndim != 2 or U.shape[0] != U.shape[1] or np.linalg.matrix_rank(U) < len(U):
                raise ValueError("bad U")
            g = np.linalg.solve(U, r)
            if not g.any():
                raise ValueError("zero gradient")
            return g / np.linalg.norm(g), float(g @ g)
        """, "That is ||grad f||², not the rate"),
    "rates_transposed": answer("steepest_from_rates", """
        def steepest_from_rates(U, rates):
            U, r = np.asarray(U, dtype=float), np.asarray(rates, dtype=float)
            if U.ndim != 2 or U.shape[0] != U.shape[1] or np.linalg.matrix_rank(U) < len(U):
                raise ValueError("bad U")
            g = np.linalg.solve(U.T, r)  # the directions as columns
            if not g.any():
                raise ValueError("zero gradient")
            return g / np.linalg.norm(g), float(np.linalg.norm(g))
        """, "the directions are the ROWS of U"),
    "rates_no_singular_check": answer("steepest_from_rates", """
        def steepest_from_rates(U, rates):
            U, r = np.asarray(U, dtype=float), np.asarray(rates, dtype=float)
            if U.ndim != 2 or U.shape[0] != U.shape[1]:
                raise ValueError("U must be square")
            g = np.linalg.lstsq(U, r, rcond=None)[0]
            if not g.any():
                raise ValueError("zero gradient")
            return g / np.linalg.norm(g), float(np.linalg.norm(g))
        """, "so U is singular"),
    # 3.4 backward
    "backward_no_tanh_prime": answer("backward", """
        def backward(params, X, Y):
            W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
            X, Y = np.asarray(X, float), np.asarray(Y, float)
            H = np.tanh(X @ W1.T + b1)
            E = (H @ W2.T + b2 - Y) / len(X)
            dZ = E @ W2
            return {"W1": dZ.T @ X, "b1": dZ.sum(axis=0), "W2": E.T @ H, "b2": E.sum(axis=0)}
        """, "You forgot the chain through tanh"),
    "backward_sign": answer("backward", """
        def backward(params, X, Y):
            W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
            X, Y = np.asarray(X, float), np.asarray(Y, float)
            H = np.tanh(X @ W1.T + b1)
            E = (Y - (H @ W2.T + b2)) / len(X)
            dZ = (E @ W2) * (1 - H ** 2)
            return {"W1": dZ.T @ X, "b1": dZ.sum(axis=0), "W2": E.T @ H, "b2": E.sum(axis=0)}
        """, "Wrong sign"),
    "backward_transposed": answer("backward", """
        def backward(params, X, Y):
            W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
            X, Y = np.asarray(X, float), np.asarray(Y, float)
            H = np.tanh(X @ W1.T + b1)
            E = (H @ W2.T + b2 - Y) / len(X)
            dZ = (E @ W2) * (1 - H ** 2)
            return {"W1": X.T @ dZ, "b1": dZ.sum(axis=0), "W2": H.T @ E, "b2": E.sum(axis=0)}
        """, "That is the transpose"),
    "backward_sum_not_mean": answer("backward", """
        def backward(params, X, Y):
            W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
            X, Y = np.asarray(X, float), np.asarray(Y, float)
            H = np.tanh(X @ W1.T + b1)
            E = H @ W2.T + b2 - Y
            dZ = (E @ W2) * (1 - H ** 2)
            return {"W1": dZ.T @ X, "b1": dZ.sum(axis=0), "W2": E.T @ H, "b2": E.sum(axis=0)}
        """, "Too large by a factor N"),
    # 3.5 linearize
    "linearize_no_constant": answer("linearize", """
        def linearize(f, x0, h=1e-5):
            x0 = np.array(x0, dtype=float)
            g = np.array([(f(x0 + h * e) - f(x0 - h * e)) / (2 * h) for e in np.eye(len(x0))])
            return lambda x: g @ (np.asarray(x, dtype=float) - x0)
        """, "Did you forget the constant term f(x0)?"),
    "linearize_gradient_at_x": answer("linearize", """
        def linearize(f, x0, h=1e-5):
            x0 = np.array(x0, dtype=float)
            f0 = f(x0)

            def L(x):
                x = np.asarray(x, dtype=float)
                g = np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(len(x))])
                return f0 + g @ (x - x0)

            return L
        """, "ell is not affine"),
    "linearize_ignores_h_forward": answer("linearize", """
        def linearize(f, x0, h=1e-5):
            x0 = np.array(x0, dtype=float)
            f0 = f(x0)
            step = 1e-8  # tiny, so the forward difference is accurate enough
            g = np.array([(f(x0 + step * e) - f0) / step for e in np.eye(len(x0))])
            return lambda x: f0 + g @ (np.asarray(x, dtype=float) - x0)
        """, "Use the step h you are given"),
    "linearize_forward_gradient": answer("linearize", """
        def linearize(f, x0, h=1e-5):
            x0 = np.array(x0, dtype=float)
            f0 = f(x0)
            g = np.array([(f(x0 + h * e) - f0) / h for e in np.eye(len(x0))])
            return lambda x: f0 + g @ (np.asarray(x, dtype=float) - x0)
        """, "That slope is the forward-difference gradient"),
}

# Correct, but not the master copy's way: these must earn full marks.
CORRECT_VARIANTS = {
    "ok_partial_copies": answer("partial", """
        def partial(f, x, i, h=1e-5):
            plus = np.array(x, dtype=float)
            minus = plus.copy()
            plus[i] += h
            minus[i] -= h
            print("evaluating at", plus, minus)  # a leftover debugging print costs nothing
            return (f(plus) - f(minus)) / (2 * h)
        """),
    "ok_best_step_search": answer("best_step", """
        def best_step(fx, M, eps=np.finfo(float).eps):
            # minimize E over log h by ternary search (E is unimodal)
            def E(t):
                h = math.exp(t)
                return M * h * h / 6 + eps * abs(fx) / h
            lo, hi = -80.0, 20.0
            for _ in range(300):
                a, b = lo + (hi - lo) / 3, hi - (hi - lo) / 3
                if E(a) < E(b):
                    hi = b
                else:
                    lo = a
            return math.exp((lo + hi) / 2)
        """),
    "ok_logistic_01_form": answer("logistic_loss_grad", """
        def logistic_loss_grad(w, X, y):
            # the same loss as cross-entropy with targets t = (y + 1) / 2 in {0, 1}
            w, X, y = np.asarray(w, float), np.asarray(X, float), np.asarray(y, float)
            t = (y + 1) / 2
            p = 0.5 * (1 + np.tanh((X @ w) / 2))
            return X.T @ (p - t) / len(y)
        """),
    "ok_dd_via_gradient": answer("directional_derivative", """
        def directional_derivative(f, x, u, h=1e-5):
            x, u = np.asarray(x, float), np.asarray(u, float)
            length = math.sqrt(sum(ui * ui for ui in u))
            if length == 0:
                raise ValueError("the zero vector has no direction")
            grad = np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(len(x))])
            return float(grad @ u) / length
        """),
    "ok_rates_inverse_pure": answer("steepest_from_rates", """
        def steepest_from_rates(U, rates):
            U = np.array(U, dtype=float)
            if U.ndim != 2 or U.shape[0] != U.shape[1]:
                raise ValueError("U is not square")
            if len(rates) != len(U) or np.linalg.cond(U) > 1e12:
                raise ValueError("U is singular or rates do not match")
            g = np.linalg.inv(U) @ np.asarray(rates, dtype=float)
            rate = math.sqrt(sum(gi * gi for gi in g))
            if rate == 0:
                raise ValueError("zero gradient")
            return tuple([g / rate, rate])
        """),
    "ok_backward_per_sample": answer("backward", """
        def backward(params, X, Y):
            X, Y = np.asarray(X, float), np.asarray(Y, float)
            grads = {name: np.zeros(np.shape(value)) for name, value in params.items()}
            for x, y in zip(X, Y):
                z = params["W1"] @ x + params["b1"]
                h = np.tanh(z)
                e = params["W2"] @ h + params["b2"] - y
                dz = (params["W2"].T @ e) * (1 - np.tanh(z) ** 2)
                grads["W2"] += np.outer(e, h)
                grads["b2"] += e
                grads["W1"] += np.outer(dz, x)
                grads["b1"] += dz
            return {name: g / len(X) for name, g in grads.items()}
        """),
}


class TestCh03(AutogradeSuite):
    """30 autograded points (1 visible + 3 or 4 hidden per function); 2 for the written answer."""

    assignment = "ch03"
    written = "answer_small_step"
    points = 30
    n_parts = 7
    wrong_answers = WRONG_ANSWERS
    correct_variants = CORRECT_VARIANTS
