"""The ch11 autograder is itself tested, with real nbgrader runs (no mocks).

This file only declares ch11's data; the tests are the generic ones of
``autograde_suite.AutogradeSuite``: in a throwaway copy of the course the whole class
(the solution, the stub, one student per wrong answer and per correct variant) is
autograded in ONE `nbgrader autograde` run, and each student's grades and feedback are
checked. The parts are independent (no part calls another), so a wrong answer can only
lose points on its own part, which the suite checks.
"""

from __future__ import annotations

from autograde_suite import AutogradeSuite
from grading_utils import answer

# One student each. Sources are what a student might really write.
WRONG_ANSWERS = {
    # 11.1 init_std
    "is_variance": answer("init_std", """
        def init_std(fan_in, fan_out, activation):
            if activation in ("linear", "tanh"):
                return 2 / (fan_in + fan_out)            # the variance
            if activation == "relu":
                return 2 / fan_in
            raise ValueError(activation)
        """, "That is the variance"),
    "is_he_fan_out": answer("init_std", """
        def init_std(fan_in, fan_out, activation):
            if activation in ("linear", "tanh"):
                return math.sqrt(2 / (fan_in + fan_out))
            if activation == "relu":
                return math.sqrt(2 / fan_out)
            raise ValueError(activation)
        """, "He divides by fan_in"),
    "is_lecun_for_relu": answer("init_std", """
        def init_std(fan_in, fan_out, activation):
            if activation in ("linear", "tanh"):
                return math.sqrt(2 / (fan_in + fan_out))
            if activation == "relu":
                return math.sqrt(1 / fan_in)
            raise ValueError(activation)
        """, "you forgot the factor 2"),
    "is_swapped": answer("init_std", """
        def init_std(fan_in, fan_out, activation):
            if activation == "relu":
                return math.sqrt(2 / (fan_in + fan_out))
            if activation in ("linear", "tanh"):
                return math.sqrt(2 / fan_in)
            raise ValueError(activation)
        """, "for a linear or tanh layer"),
    "is_no_value_error": answer("init_std", """
        def init_std(fan_in, fan_out, activation):
            if activation == "relu":
                return math.sqrt(2 / fan_in)
            return math.sqrt(2 / (fan_in + fan_out))      # everything else: Xavier
        """, "it should raise ValueError because"),
    # 11.1 layer_gradient_norms
    "lg_no_slope": answer("layer_gradient_norms", """
        def layer_gradient_norms(weights, x, activation):
            if activation not in ("linear", "tanh", "relu"):
                raise ValueError(activation)
            Ws = [np.asarray(W, dtype=float) for W in weights]
            h = np.asarray(x, dtype=float)
            for W in Ws:
                z = W @ h
                h = z if activation == "linear" else np.tanh(z) if activation == "tanh" else np.maximum(z, 0)
            g = np.ones_like(h)
            out = []
            for W in reversed(Ws):
                g = W.T @ g                                 # the activation's derivative forgotten
                out.append(np.linalg.norm(g))
            return np.array(out[::-1])
        """, "You left out the derivative of the activation"),
    "lg_reversed": answer("layer_gradient_norms", """
        def layer_gradient_norms(weights, x, activation):
            if activation not in ("linear", "tanh", "relu"):
                raise ValueError(activation)
            Ws = [np.asarray(W, dtype=float) for W in weights]
            hs, zs = [np.asarray(x, dtype=float)], []
            for W in Ws:
                zs.append(W @ hs[-1])
                z = zs[-1]
                hs.append(z if activation == "linear" else np.tanh(z) if activation == "tanh" else np.maximum(z, 0))
            g = np.ones_like(hs[-1])
            out = []
            for l in range(len(Ws) - 1, -1, -1):
                z = zs[l]
                s = 1.0 if activation == "linear" else 1 - np.tanh(z) ** 2 if activation == "tanh" else (z > 0) * 1.0
                g = Ws[l].T @ (s * g)
                out.append(np.linalg.norm(g))
            return np.array(out)                            # in the order of the backward pass
        """, "in reverse order"),
    "lg_deltas": answer("layer_gradient_norms", """
        def layer_gradient_norms(weights, x, activation):
            if activation not in ("linear", "tanh", "relu"):
                raise ValueError(activation)
            Ws = [np.asarray(W, dtype=float) for W in weights]
            hs, zs = [np.asarray(x, dtype=float)], []
            for W in Ws:
                zs.append(W @ hs[-1])
                z = zs[-1]
                hs.append(z if activation == "linear" else np.tanh(z) if activation == "tanh" else np.maximum(z, 0))
            g = np.ones_like(hs[-1])
            out = [0.0] * len(Ws)
            for l in range(len(Ws) - 1, -1, -1):
                z = zs[l]
                s = 1.0 if activation == "linear" else 1 - np.tanh(z) ** 2 if activation == "tanh" else (z > 0) * 1.0
                delta = s * g                               # dL/dz_l
                out[l] = np.linalg.norm(delta)
                g = Ws[l].T @ delta
            return np.array(out)
        """, "Those are the norms of dL/dz_l"),
    "lg_tanh_value": answer("layer_gradient_norms", """
        def layer_gradient_norms(weights, x, activation):
            if activation not in ("linear", "tanh", "relu"):
                raise ValueError(activation)
            act = {"linear": lambda z: z, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}[activation]
            Ws = [np.asarray(W, dtype=float) for W in weights]
            hs = [np.asarray(x, dtype=float)]
            for W in Ws:
                hs.append(act(W @ hs[-1]))
            g = np.ones_like(hs[-1])
            out = np.zeros(len(Ws))
            for l in reversed(range(len(Ws))):
                s = hs[l + 1] if activation == "tanh" else (hs[l + 1] > 0) * 1.0 if activation == "relu" else 1.0
                g = Ws[l].T @ (s * g)                       # tanh(z) where tanh'(z) belongs
                out[l] = np.linalg.norm(g)
            return out
        """, "You multiplied by the activation tanh(z_l)"),
    "lg_no_transpose": answer("layer_gradient_norms", """
        def layer_gradient_norms(weights, x, activation):
            if activation not in ("linear", "tanh", "relu"):
                raise ValueError(activation)
            Ws = [np.asarray(W, dtype=float) for W in weights]
            hs, zs = [np.asarray(x, dtype=float)], []
            for W in Ws:
                zs.append(W @ hs[-1])
                z = zs[-1]
                hs.append(z if activation == "linear" else np.tanh(z) if activation == "tanh" else np.maximum(z, 0))
            g = np.ones_like(hs[-1])
            out = np.zeros(len(Ws))
            for l in reversed(range(len(Ws))):
                z = zs[l]
                s = 1.0 if activation == "linear" else 1 - np.tanh(z) ** 2 if activation == "tanh" else (z > 0) * 1.0
                g = Ws[l] @ (s * g)                         # W_l, not its transpose
                out[l] = np.linalg.norm(g)
            return out
        """, "where its transpose W_l^T belongs"),
    # 11.2 momentum_step
    "ms_old_velocity": answer("momentum_step", """
        def momentum_step(theta, velocity, grad, alpha, beta):
            theta = np.asarray(theta, dtype=float)
            velocity = np.asarray(velocity, dtype=float)
            theta_new = theta - alpha * velocity            # moved first, with the old velocity
            velocity_new = beta * velocity + np.asarray(grad(theta), dtype=float)
            return theta_new, velocity_new
        """, "You moved theta with the old velocity"),
    "ms_ema": answer("momentum_step", """
        def momentum_step(theta, velocity, grad, alpha, beta):
            theta = np.asarray(theta, dtype=float)
            v = beta * np.asarray(velocity, dtype=float) + (1 - beta) * np.asarray(grad(theta), dtype=float)
            return theta - alpha * v, v
        """, "an exponential average"),
    "ms_swapped": answer("momentum_step", """
        def momentum_step(theta, velocity, grad, alpha, beta):
            theta = np.asarray(theta, dtype=float)
            v = beta * np.asarray(velocity, dtype=float) + np.asarray(grad(theta), dtype=float)
            return v, theta - alpha * v
        """, "You returned (velocity_new, theta_new)"),
    "ms_other_convention": answer("momentum_step", """
        def momentum_step(theta, velocity, grad, alpha, beta):
            theta = np.asarray(theta, dtype=float)
            v = beta * np.asarray(velocity, dtype=float) - alpha * np.asarray(grad(theta), dtype=float)
            return theta + v, v
        """, "Your velocity follows the convention"),
    "ms_nesterov": answer("momentum_step", """
        def momentum_step(theta, velocity, grad, alpha, beta):
            theta = np.asarray(theta, dtype=float)
            velocity = np.asarray(velocity, dtype=float)
            v = beta * velocity + np.asarray(grad(theta - alpha * beta * velocity), dtype=float)
            return theta - alpha * v, v
        """, "look-ahead point"),
    "ms_in_place": answer("momentum_step", """
        def momentum_step(theta, velocity, grad, alpha, beta):
            theta = np.asarray(theta, dtype=float)
            velocity = np.asarray(velocity, dtype=float)
            velocity *= beta
            velocity += np.asarray(grad(theta), dtype=float)
            theta -= alpha * velocity
            return theta, velocity
        """, "momentum_step modified its input"),
    # 11.2 escape_iterations
    "ei_plus_one": answer("escape_iterations", """
        def escape_iterations(step, theta0, saddle, radius, max_iter):
            theta, s = np.asarray(theta0, dtype=float), np.asarray(saddle, dtype=float)
            for k in range(1, max_iter + 1):            # counts from 1
                if np.linalg.norm(theta - s) > radius:
                    return k
                theta = np.asarray(step(theta), dtype=float)
            return max_iter
        """, "One step too many"),
    "ei_no_first_check": answer("escape_iterations", """
        def escape_iterations(step, theta0, saddle, radius, max_iter):
            theta, s = np.asarray(theta0, dtype=float), np.asarray(saddle, dtype=float)
            for k in range(1, max_iter + 1):
                theta = np.asarray(step(theta), dtype=float)   # steps before looking
                if np.linalg.norm(theta - s) > radius:
                    return k
            return max_iter
        """, "no step is needed, return 0"),
    "ei_greater_equal": answer("escape_iterations", """
        def escape_iterations(step, theta0, saddle, radius, max_iter):
            theta, s = np.asarray(theta0, dtype=float), np.asarray(saddle, dtype=float)
            for k in range(max_iter):
                if np.linalg.norm(theta - s) >= radius:
                    return k
                theta = np.asarray(step(theta), dtype=float)
            return max_iter
        """, "not yet FARTHER than the radius"),
    "ei_minus_one": answer("escape_iterations", """
        def escape_iterations(step, theta0, saddle, radius, max_iter):
            theta, s = np.asarray(theta0, dtype=float), np.asarray(saddle, dtype=float)
            for k in range(max_iter + 1):
                if np.linalg.norm(theta - s) > radius:
                    return k
                theta = np.asarray(step(theta), dtype=float)
            return -1                                   # "never"
        """, "return max_iter"),
    "ei_squared": answer("escape_iterations", """
        def escape_iterations(step, theta0, saddle, radius, max_iter):
            theta, s = np.asarray(theta0, dtype=float), np.asarray(saddle, dtype=float)
            k = 0
            while k < max_iter and np.sum((theta - s) ** 2) <= radius:
                theta = np.asarray(step(theta), dtype=float)
                k += 1
            return k
        """, "You compared the squared distance with radius"),
    "ei_from_start": answer("escape_iterations", """
        def escape_iterations(step, theta0, saddle, radius, max_iter):
            start = np.asarray(theta0, dtype=float)
            theta = start
            for k in range(max_iter):
                if np.linalg.norm(theta - start) > radius:
                    return k
                theta = np.asarray(step(theta), dtype=float)
            return max_iter
        """, "You measured the distance from theta0"),
    # 11.3 logistic_fisher
    "lf_no_mean": answer("logistic_fisher", """
        def logistic_fisher(w, X):
            X = np.asarray(X, dtype=float)
            s = 1 / (1 + np.exp(-X @ np.asarray(w, dtype=float)))
            return X.T @ np.diag(s * (1 - s)) @ X       # 1/N forgotten
        """, "You forgot the factor 1/N"),
    "lf_sigma_only": answer("logistic_fisher", """
        def logistic_fisher(w, X):
            X = np.asarray(X, dtype=float)
            s = 1 / (1 + np.exp(-X @ np.asarray(w, dtype=float)))
            return X.T @ (s[:, None] * X) / len(X)
        """, "You used sigma(x^T w) where sigma (1 - sigma) belongs"),
    "lf_squared_weights": answer("logistic_fisher", """
        def logistic_fisher(w, X):
            X = np.asarray(X, dtype=float)
            s = 1 / (1 + np.exp(-X @ np.asarray(w, dtype=float)))
            DX = (s * (1 - s))[:, None] * X
            return DX.T @ DX / len(X)                   # X^T D^2 X
        """, "You squared the weights"),
    "lf_at_zero": answer("logistic_fisher", """
        def logistic_fisher(w, X):
            X = np.asarray(X, dtype=float)
            return X.T @ X / (4 * X.shape[0])           # sigma (1 - sigma) <= 1/4
        """, "You evaluated the weights at w = 0"),
    # 11.3 bernoulli_fisher
    "bf_variance": answer("bernoulli_fisher", """
        def bernoulli_fisher(p):
            p = np.asarray(p, dtype=float)
            if np.any(p <= 0) or np.any(p >= 1):
                raise ValueError("0 < p < 1")
            return p * (1 - p)                          # the variance of y
        """, "That is p (1 - p), the variance"),
    "bf_unweighted": answer("bernoulli_fisher", """
        def bernoulli_fisher(p):
            p = np.asarray(p, dtype=float)
            if np.any(p <= 0) or np.any(p >= 1):
                raise ValueError("0 < p < 1")
            return 1 / p ** 2 + 1 / (1 - p) ** 2        # the two squared scores, unweighted
        """, "You forgot to weight the squared scores"),
    "bf_scalars_only": answer("bernoulli_fisher", """
        def bernoulli_fisher(p):
            if not 0 < p < 1:
                raise ValueError("p must be in (0, 1)")
            return 1 / (p * (1 - p))
        """, "Your function works on single numbers only"),
    "bf_no_check": answer("bernoulli_fisher", """
        def bernoulli_fisher(p):
            p = np.asarray(p, dtype=float)
            with np.errstate(divide="ignore"):
                return 1 / (p * (1 - p))
        """, "it should raise ValueError because"),
    "bf_negative": answer("bernoulli_fisher", """
        def bernoulli_fisher(p):
            p = np.asarray(p, dtype=float)
            if not np.all((0 < p) & (p < 1)):
                raise ValueError("0 < p < 1")
            return -1 / (p * (1 - p))                   # E[l''], not -E[l'']
        """, "Wrong sign"),
    # 11.3 natural_gradient_step
    "ng_times_fisher": answer("natural_gradient_step", """
        def natural_gradient_step(theta, grad, fisher, alpha, damping=0.0):
            F = np.asarray(fisher, dtype=float)
            F = F + damping * np.eye(len(F))
            return np.asarray(theta, dtype=float) - alpha * F @ np.asarray(grad, dtype=float)
        """, "You multiplied by the Fisher matrix"),
    "ng_diagonal": answer("natural_gradient_step", """
        def natural_gradient_step(theta, grad, fisher, alpha, damping=0.0):
            F = np.asarray(fisher, dtype=float)
            return np.asarray(theta, dtype=float) - alpha * np.asarray(grad, dtype=float) / (np.diag(F) + damping)
        """, "only the diagonal"),
    "ng_damping_everywhere": answer("natural_gradient_step", """
        def natural_gradient_step(theta, grad, fisher, alpha, damping=0.0):
            F = np.asarray(fisher, dtype=float) + damping      # damping added to every entry
            return np.asarray(theta, dtype=float) - alpha * np.linalg.solve(F, np.asarray(grad, dtype=float))
        """, "to every entry of F"),
    "ng_plus": answer("natural_gradient_step", """
        def natural_gradient_step(theta, grad, fisher, alpha, damping=0.0):
            F = np.asarray(fisher, dtype=float) + damping * np.eye(len(grad))
            return np.asarray(theta, dtype=float) + alpha * np.linalg.solve(F, np.asarray(grad, dtype=float))
        """, "Wrong sign"),
}

# Correct, but not the master copy's way: these must earn full marks.
CORRECT_VARIANTS = {
    "ok_is_dict": answer("init_std", """
        def init_std(fan_in, fan_out, activation):
            fans = {"linear": (fan_in + fan_out) / 2, "tanh": (fan_in + fan_out) / 2, "relu": fan_in / 2}
            if activation not in fans:
                raise ValueError(f"unknown activation {activation}")
            return float(np.sqrt(1.0 / fans[activation]))
        """),
    "ok_lg_from_h": answer("layer_gradient_norms", """
        def layer_gradient_norms(weights, x, activation):
            # tanh'(z) = 1 - h^2 and relu'(z) = [h > 0] are read off the layer's output h
            slope = {"linear": lambda h: np.ones_like(h), "tanh": lambda h: 1 - h * h,
                     "relu": lambda h: (h > 0).astype(float)}
            act = {"linear": lambda z: z, "tanh": np.tanh, "relu": lambda z: np.where(z > 0, z, 0.0)}
            if activation not in act:
                raise ValueError(activation)
            hs = [np.array(x, dtype=float)]
            for W in weights:
                hs.append(act[activation](np.array(W, dtype=float) @ hs[-1]))
            g = np.ones(len(hs[-1]))
            result = []
            for W, h in zip(weights[::-1], hs[:0:-1]):
                g = np.array(W, dtype=float).T @ (slope[activation](h) * g)
                result.insert(0, float(np.sqrt(np.sum(g ** 2))))
            return np.array(result)
        """),
    "ok_lg_jacobians": answer("layer_gradient_norms", """
        def layer_gradient_norms(weights, x, activation):
            if activation not in ("linear", "tanh", "relu"):
                raise ValueError(activation)
            h = np.asarray(x, dtype=float)
            jacobians = []                              # dh_l / dh_{l-1} = diag(phi'(z)) W
            for W in weights:
                W = np.asarray(W, dtype=float)
                z = W @ h
                if activation == "tanh":
                    h, d = np.tanh(z), 1 / np.cosh(z) ** 2
                elif activation == "relu":
                    h, d = np.maximum(z, 0), np.heaviside(z, 0.0)
                else:
                    h, d = z, np.ones_like(z)
                jacobians.append(d[:, None] * W)
            row = np.ones((1, len(h)))                   # dL/dh_D as a row vector
            norms = []
            for J in reversed(jacobians):
                row = row @ J
                norms.append(np.linalg.norm(row))
            return np.array(norms[::-1])
        """),
    "ok_ms_lists": answer("momentum_step", """
        def momentum_step(theta, velocity, grad, alpha, beta):
            g = [float(gi) for gi in grad(np.array(theta, dtype=float))]
            v_new = np.array([beta * vi + gi for vi, gi in zip(velocity, g)])
            theta_new = np.array([ti - alpha * vi for ti, vi in zip(theta, v_new)])
            return (theta_new, v_new)
        """),
    "ok_ei_while": answer("escape_iterations", """
        def escape_iterations(step, theta0, saddle, radius, max_iter):
            theta = [float(t) for t in theta0]
            steps = 0
            while math.dist(theta, saddle) <= radius and steps < max_iter:
                theta = [float(t) for t in step(np.array(theta))]
                steps += 1
            return steps
        """),
    "ok_lf_einsum": answer("logistic_fisher", """
        def logistic_fisher(w, X):
            X = np.array(X, dtype=float)
            z = X @ np.array(w, dtype=float)
            weight = np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))) ** 2   # sigma'(z), overflow-free
            return np.einsum("n,ni,nj->ij", weight, X, X) / len(X)
        """),
    "ok_bf_sum": answer("bernoulli_fisher", """
        def bernoulli_fisher(p):
            q = np.array(p, dtype=float)
            if q.size == 0 or q.min() <= 0 or q.max() >= 1:
                raise ValueError("every p must satisfy 0 < p < 1")
            info = 1 / q + 1 / (1 - q)                  # = 1 / (p (1 - p))
            return info.item() if info.ndim == 0 else info
        """),
    "ok_ng_cholesky": answer("natural_gradient_step", """
        def natural_gradient_step(theta, grad, fisher, alpha, damping=0.0):
            n = len(theta)
            A = np.array(fisher, dtype=float) + damping * np.identity(n)
            C = np.linalg.cholesky(A)                   # A = C C^T
            y = np.linalg.solve(C, np.array(grad, dtype=float))
            d = np.linalg.solve(C.T, y)
            return np.array(theta, dtype=float) - alpha * d
        """),
}


class TestCh11(AutogradeSuite):
    """30 autograded points (1 visible + 3, 4, 3, 3, 3, 3 and 4 hidden); 2 for the written answer."""

    assignment = "ch11"
    written = "answer_saddle_escape"
    points = 30
    n_parts = 7
    wrong_answers = WRONG_ANSWERS
    correct_variants = CORRECT_VARIANTS
