"""The ch06 autograder is itself tested, with real nbgrader runs (no mocks).

This file only declares ch06's data; the tests are the generic ones of
``autograde_suite.AutogradeSuite``: in a throwaway copy of the course the whole class
(the solution, the stub, one student per wrong answer and per correct variant) is
autograded in ONE `nbgrader autograde` run, and each student's grades and feedback are
checked. The tests of ``probability_of_rectangle`` and ``transformed_density`` put a
reference ``double_integral`` / ``jacobian`` in place of the student's while they run, so a
wrong ``double_integral`` or ``jacobian`` loses points on its own part only (which the
suite checks).
"""

from __future__ import annotations

from autograde_suite import AutogradeSuite
from grading_utils import answer

# One student each. Sources are what a student might really write.
WRONG_ANSWERS = {
    # 6.1 double_integral
    "double_no_area": answer("double_integral", """
        def double_integral(f, a, b, c, d, n):
            dx, dy = (b - a) / n, (d - c) / n
            x = a + dx / 2 + dx * np.arange(n)
            y = c + dy / 2 + dy * np.arange(n)
            X, Y = np.meshgrid(x, y, indexing="ij")
            return float(np.sum(f(X, Y)))          # forgot dx * dy
        """, "You forgot the cell area dx * dy"),
    "double_left_endpoint": answer("double_integral", """
        def double_integral(f, a, b, c, d, n):
            dx, dy = (b - a) / n, (d - c) / n
            total = 0.0
            for i in range(n):
                for j in range(n):
                    total += f(a + i * dx, c + j * dy) * dx * dy   # the corner of each cell
            return total
        """, "That is the left-endpoint sum"),
    "double_linspace_n_plus_1": answer("double_integral", """
        def double_integral(f, a, b, c, d, n):
            x = np.linspace(a, b, n + 1)
            y = np.linspace(c, d, n + 1)
            dx, dy = (b - a) / n, (d - c) / n
            X, Y = np.meshgrid(x, y)
            return float(np.sum(f(X, Y)) * dx * dy)
        """, "Off by one: you used n + 1 points per side"),
    "double_linspace_endpoints": answer("double_integral", """
        def double_integral(f, a, b, c, d, n):
            x = np.linspace(a, b, n)
            y = np.linspace(c, d, n)
            dx, dy = (b - a) / n, (d - c) / n
            return float(np.sum(f(x[:, None], y[None, :])) * dx * dy)
        """, "Off by one: np.linspace(a, b, n) puts points at both ends"),
    "double_swapped_xy": answer("double_integral", """
        def double_integral(f, a, b, c, d, n):
            dx, dy = (b - a) / n, (d - c) / n
            x = a + (np.arange(n) + 0.5) * dx
            y = c + (np.arange(n) + 0.5) * dy
            X, Y = np.meshgrid(x, y)
            return float(np.sum(f(Y, X)) * dx * dy)    # meshgrid's order, mixed up
        """, "You swapped x and y"),
    "double_swapped_limits": answer("double_integral", """
        def double_integral(f, a, b, c, d, n):
            dx, dy = (d - c) / n, (b - a) / n
            x = c + (np.arange(n) + 0.5) * dx        # x over [c, d], y over [a, b]
            y = a + (np.arange(n) + 0.5) * dy
            X, Y = np.meshgrid(x, y, indexing="ij")
            return float(np.sum(f(X, Y)) * dx * dy)
        """, "You swapped x and y"),
    "double_ignores_n": answer("double_integral", """
        def double_integral(f, a, b, c, d, n):
            m = 100                                   # fine enough, whatever n is
            dx, dy = (b - a) / m, (d - c) / m
            x = a + (np.arange(m) + 0.5) * dx
            y = c + (np.arange(m) + 0.5) * dy
            X, Y = np.meshgrid(x, y, indexing="ij")
            return float(np.sum(f(X, Y)) * dx * dy)
        """, "use the n you are given"),
    # 6.1 probability_of_rectangle
    "prob_no_normalization": answer("probability_of_rectangle", """
        def probability_of_rectangle(mu, Sigma, a, b, c, d, n):
            mu, Sigma = np.asarray(mu, dtype=float), np.asarray(Sigma, dtype=float)
            P = np.linalg.inv(Sigma)
            def p(x, y):
                u, v = x - mu[0], y - mu[1]
                return np.exp(-0.5 * (P[0, 0] * u**2 + 2 * P[0, 1] * u * v + P[1, 1] * v**2))
            return double_integral(p, a, b, c, d, n)
        """, "The density lacks its normalization"),
    "prob_sigma_not_inverse": answer("probability_of_rectangle", """
        def probability_of_rectangle(mu, Sigma, a, b, c, d, n):
            mu, S = np.asarray(mu, dtype=float), np.asarray(Sigma, dtype=float)
            norm = 1 / (2 * np.pi * np.sqrt(np.linalg.det(S)))
            def p(x, y):
                u, v = x - mu[0], y - mu[1]
                return norm * np.exp(-0.5 * (S[0, 0] * u**2 + 2 * S[0, 1] * u * v + S[1, 1] * v**2))
            return double_integral(p, a, b, c, d, n)
        """, "You used Sigma instead of its inverse"),
    "prob_no_sqrt_det": answer("probability_of_rectangle", """
        def probability_of_rectangle(mu, Sigma, a, b, c, d, n):
            mu, Sigma = np.asarray(mu, dtype=float), np.asarray(Sigma, dtype=float)
            P = np.linalg.inv(Sigma)
            norm = 1 / (2 * np.pi * np.linalg.det(Sigma))   # the square root forgotten
            def p(x, y):
                u, v = x - mu[0], y - mu[1]
                return norm * np.exp(-0.5 * (P[0, 0] * u**2 + 2 * P[0, 1] * u * v + P[1, 1] * v**2))
            return double_integral(p, a, b, c, d, n)
        """, "Your normalization is 1/(2 pi det Sigma)"),
    "prob_no_half": answer("probability_of_rectangle", """
        def probability_of_rectangle(mu, Sigma, a, b, c, d, n):
            mu, Sigma = np.asarray(mu, dtype=float), np.asarray(Sigma, dtype=float)
            P = np.linalg.inv(Sigma)
            norm = 1 / (2 * np.pi * np.sqrt(np.linalg.det(Sigma)))
            def p(x, y):
                u, v = x - mu[0], y - mu[1]
                return norm * np.exp(-(P[0, 0] * u**2 + 2 * P[0, 1] * u * v + P[1, 1] * v**2))
            return double_integral(p, a, b, c, d, n)
        """, "The exponent lacks the factor 1/2"),
    "prob_ignores_mu": answer("probability_of_rectangle", """
        def probability_of_rectangle(mu, Sigma, a, b, c, d, n):
            Sigma = np.asarray(Sigma, dtype=float)
            P = np.linalg.inv(Sigma)
            norm = 1 / (2 * np.pi * np.sqrt(np.linalg.det(Sigma)))
            def p(x, y):
                return norm * np.exp(-0.5 * (P[0, 0] * x**2 + 2 * P[0, 1] * x * y + P[1, 1] * y**2))
            return double_integral(p, a, b, c, d, n)
        """, "You ignored the mean mu"),
    # 6.2 jacobian
    "jac_transposed": answer("jacobian", """
        def jacobian(F, x, h=1e-5):
            x = np.asarray(x, dtype=float)
            rows = []
            for j in range(x.size):
                e = np.zeros(x.size)
                e[j] = h
                rows.append((np.asarray(F(x + e)) - np.asarray(F(x - e))) / (2 * h))
            return np.array(rows)                   # one row per input: (n, m)
        """, "transposed"),
    "jac_forward": answer("jacobian", """
        def jacobian(F, x, h=1e-5):
            x = np.asarray(x, dtype=float)
            f0 = np.asarray(F(x), dtype=float)
            J = np.zeros((f0.size, x.size))
            for j in range(x.size):
                e = np.zeros(x.size)
                e[j] = h
                J[:, j] = (np.asarray(F(x + e), dtype=float) - f0) / h
            return J
        """, "That is the forward difference"),
    "jac_backward": answer("jacobian", """
        def jacobian(F, x, h=1e-5):
            x = np.asarray(x, dtype=float)
            f0 = np.asarray(F(x), dtype=float)
            return np.column_stack([(f0 - np.asarray(F(x - h * e), dtype=float)) / h for e in np.eye(x.size)])
        """, "That is the backward difference"),
    "jac_divides_by_h": answer("jacobian", """
        def jacobian(F, x, h=1e-5):
            x = np.asarray(x, dtype=float)
            cols = []
            for j in range(x.size):
                e = np.zeros(x.size)
                e[j] = h
                cols.append((np.asarray(F(x + e)) - np.asarray(F(x - e))) / h)
            return np.column_stack(cols)
        """, "You divided by h instead of 2h"),
    "jac_fixed_step": answer("jacobian", """
        def jacobian(F, x, h=1e-5):
            x = np.asarray(x, dtype=float)
            step = 1e-5                             # a safe step
            cols = []
            for j in range(x.size):
                e = np.zeros(x.size)
                e[j] = step
                cols.append((np.asarray(F(x + e)) - np.asarray(F(x - e))) / (2 * step))
            return np.column_stack(cols)
        """, "not with the h="),
    # 6.2 transformed_density
    "td_no_jacobian": answer("transformed_density", """
        def transformed_density(p_Z, f_inv, w, h=1e-5):
            return float(p_Z(f_inv(np.asarray(w, dtype=float))))
        """, "You left out the Jacobian factor"),
    "td_no_abs": answer("transformed_density", """
        def transformed_density(p_Z, f_inv, w, h=1e-5):
            w = np.asarray(w, dtype=float)
            return float(p_Z(f_inv(w)) * np.linalg.det(jacobian(f_inv, w, h)))
        """, "You forgot the absolute value"),
    "td_reciprocal": answer("transformed_density", """
        def transformed_density(p_Z, f_inv, w, h=1e-5):
            w = np.asarray(w, dtype=float)
            return float(p_Z(f_inv(w)) / abs(np.linalg.det(jacobian(f_inv, w, h))))
        """, "You divided by |det J| instead of multiplying"),
    "td_default_step": answer("transformed_density", """
        def transformed_density(p_Z, f_inv, w, h=1e-5):
            w = np.asarray(w, dtype=float)
            return float(p_Z(f_inv(w)) * abs(np.linalg.det(jacobian(f_inv, w))))
        """, "not with the h="),
}

# Correct, but not the master copy's way: these must earn full marks.
CORRECT_VARIANTS = {
    "ok_double_loop": answer("double_integral", """
        def double_integral(f, a, b, c, d, n):
            dx = (b - a) / n
            dy = (d - c) / n
            total = 0.0
            for i in range(n):
                for j in range(n):
                    total += f(a + (i + 0.5) * dx, c + (j + 0.5) * dy)
            return float(total * dx * dy)
        """),
    "ok_double_broadcast_mean": answer("double_integral", """
        def double_integral(f, a, b, c, d, n):
            edges_x = np.linspace(a, b, n + 1)
            edges_y = np.linspace(c, d, n + 1)
            x = (edges_x[:-1] + edges_x[1:]) / 2      # cell centres
            y = (edges_y[:-1] + edges_y[1:]) / 2
            values = f(x[:, None], y[None, :])
            return float(np.mean(values) * (b - a) * (d - c))   # mean times area
        """),
    "ok_double_meshgrid_xy": answer("double_integral", """
        def double_integral(f, a, b, c, d, n):
            dx, dy = (b - a) / n, (d - c) / n
            X, Y = np.meshgrid(a + dx * (np.arange(n) + 0.5), c + dy * (np.arange(n) + 0.5))  # 'xy' indexing
            return float((f(X, Y) * dx * dy).sum())
        """),
    "ok_double_linspace_centres": answer("double_integral", """
        def double_integral(f, a, b, c, d, n):
            dx, dy = (b - a) / n, (d - c) / n
            x = np.linspace(a + dx / 2, b - dx / 2, n)
            y = np.linspace(c + dy / 2, d - dy / 2, n)
            return float(sum(np.sum(f(xi + 0 * y, y)) for xi in x) * dx * dy)   # one row of cells at a time
        """),
    "ok_prob_solve": answer("probability_of_rectangle", """
        def probability_of_rectangle(mu, Sigma, a, b, c, d, n):
            mu = np.asarray(mu, dtype=float)
            Sigma = np.asarray(Sigma, dtype=float)
            det = Sigma[0, 0] * Sigma[1, 1] - Sigma[0, 1] * Sigma[1, 0]
            def density(x, y):
                v = np.stack([x - mu[0], y - mu[1]])            # shape (2, ...)
                s = np.linalg.solve(Sigma, v.reshape(2, -1)).reshape(v.shape)
                q = np.sum(v * s, axis=0)
                return np.exp(-q / 2) / (2 * math.pi * math.sqrt(det))
            return double_integral(density, a, b, c, d, n)
        """),
    "ok_prob_einsum": answer("probability_of_rectangle", """
        def probability_of_rectangle(mu, Sigma, a, b, c, d, n):
            mu = np.asarray(mu, dtype=float)
            Sigma = np.asarray(Sigma, dtype=float)
            Sinv = np.linalg.inv(Sigma)
            const = 1.0 / (2.0 * np.pi * np.linalg.det(Sigma) ** 0.5)
            def density(x, y):
                v = np.stack([x, y], axis=-1) - mu              # shape (..., 2)
                return const * np.exp(-0.5 * np.einsum("...i,ij,...j->...", v, Sinv, v))
            return double_integral(density, a, b, c, d, n)
        """),
    "ok_prob_own_loop": answer("probability_of_rectangle", """
        def probability_of_rectangle(mu, Sigma, a, b, c, d, n):
            # its own midpoint rule, with a density for one point at a time
            mu = np.asarray(mu, dtype=float)
            Sigma = np.asarray(Sigma, dtype=float)
            Sinv = np.linalg.inv(Sigma)
            const = 1.0 / (2.0 * np.pi * np.sqrt(np.linalg.det(Sigma)))
            dx, dy = (b - a) / n, (d - c) / n
            total = 0.0
            for i in range(n):
                for j in range(n):
                    v = np.array([a + (i + 0.5) * dx, c + (j + 0.5) * dy]) - mu
                    total += const * math.exp(-0.5 * v @ Sinv @ v)
            return total * dx * dy
        """),
    "ok_jac_identity_columns": answer("jacobian", """
        def jacobian(F, x, h=1e-5):
            x = np.asarray(x, dtype=float)
            E = h * np.eye(x.size)
            cols = [np.asarray(F(x + E[j]), dtype=float) - np.asarray(F(x - E[j]), dtype=float)
                    for j in range(x.size)]
            return np.array(cols).T / (2 * h)
        """),
    "ok_jac_preallocated": answer("jacobian", """
        def jacobian(F, x, h=1e-5):
            x = np.array(x, dtype=float)             # a copy: changing it in place is safe
            m = np.size(F(x))
            J = np.empty((m, x.size))
            for j in range(x.size):
                old = x[j]
                x[j] = old + h
                up = np.asarray(F(x), dtype=float).copy()
                x[j] = old - h
                down = np.asarray(F(x), dtype=float).copy()
                x[j] = old
                J[:, j] = 0.5 * (up - down) / h
            return J
        """),
    "ok_td_own_jacobian": answer("transformed_density", """
        def transformed_density(p_Z, f_inv, w, h=1e-5):
            w = np.asarray(w, dtype=float)
            n = w.size
            J = np.zeros((n, n))
            for j in range(n):
                e = np.zeros(n)
                e[j] = h
                J[:, j] = (np.asarray(f_inv(w + e)) - np.asarray(f_inv(w - e))) / (2 * h)
            return abs(np.linalg.det(J)) * p_Z(np.asarray(f_inv(w)))
        """),
    "ok_td_slogdet": answer("transformed_density", """
        def transformed_density(p_Z, f_inv, w, h=1e-5):
            w = np.asarray(w, dtype=float)
            sign, logdet = np.linalg.slogdet(jacobian(f_inv, w, h=h))
            return float(p_Z(f_inv(w)) * np.exp(logdet))      # |det| = exp(log |det|)
        """),
}


class TestCh06(AutogradeSuite):
    """18 autograded points (1 visible + 4 or 3 hidden per function); 2 for the written answer."""

    assignment = "ch06"
    written = "answer_midpoint_abs_det"
    points = 18
    n_parts = 4
    wrong_answers = WRONG_ANSWERS
    correct_variants = CORRECT_VARIANTS
