"""The ch07 autograder is itself tested, with real nbgrader runs (no mocks).

This file only declares ch07's data; the tests are the generic ones of
``autograde_suite.AutogradeSuite``: in a throwaway copy of the course the whole class
(the solution, the stub, one student per wrong answer and per correct variant) is
autograded in ONE `nbgrader autograde` run, and each student's grades and feedback are
checked. The tests of ``is_conservative`` and ``potential`` put a reference ``curl`` and
``divergence`` in place of the student's while they run (``is_conservative`` may call
``curl``), so a wrong ``curl`` loses points on its own part only; two correct variants below
call ``curl``, one of them a wrong (forward-difference) curl, and keep full marks.
"""

from __future__ import annotations

from autograde_suite import AutogradeSuite
from grading_utils import answer

# One student each. Sources are what a student might really write.
WRONG_ANSWERS = {
    # 7.1 divergence
    "div_forward": answer("divergence", """
        def divergence(F, x, h=1e-5):
            x = np.asarray(x, dtype=float)
            f0 = np.asarray(F(x), dtype=float)
            total = 0.0
            for i in range(x.size):
                e = np.zeros(x.size)
                e[i] = h
                total += (np.asarray(F(x + e), dtype=float)[i] - f0[i]) / h
            return float(total)
        """, "That is the forward difference"),
    "div_divides_by_h": answer("divergence", """
        def divergence(F, x, h=1e-5):
            x = np.asarray(x, dtype=float)
            total = 0.0
            for i in range(x.size):
                e = np.zeros(x.size)
                e[i] = h
                total += (np.asarray(F(x + e))[i] - np.asarray(F(x - e))[i]) / h
            return float(total)
        """, "You divided by h instead of 2h"),
    "div_sums_whole_jacobian": answer("divergence", """
        def divergence(F, x, h=1e-5):
            x = np.asarray(x, dtype=float)
            total = 0.0
            for j in range(x.size):
                e = np.zeros(x.size)
                e[j] = h
                column = (np.asarray(F(x + e), dtype=float) - np.asarray(F(x - e), dtype=float)) / (2 * h)
                total += column.sum()              # every dF_i/dx_j, not only i == j
            return float(total)
        """, "You summed all the entries of the Jacobian"),
    "div_antidiagonal": answer("divergence", """
        def divergence(F, x, h=1e-5):
            x = np.asarray(x, dtype=float)
            n = x.size
            total = 0.0
            for i in range(n):
                e = np.zeros(n)
                e[n - 1 - i] = h                   # d/dx_(n-1-i) of F_i: the other diagonal
                total += (np.asarray(F(x + e), dtype=float)[i] - np.asarray(F(x - e), dtype=float)[i]) / (2 * h)
            return float(total)
        """, "You summed the wrong diagonal"),
    "div_returns_diagonal": answer("divergence", """
        def divergence(F, x, h=1e-5):
            x = np.asarray(x, dtype=float)
            parts = []
            for i in range(x.size):
                e = np.zeros(x.size)
                e[i] = h
                parts.append((np.asarray(F(x + e), dtype=float)[i] - np.asarray(F(x - e), dtype=float)[i]) / (2 * h))
            return np.array(parts)                 # the terms, not their sum
        """, "the divergence is their sum"),
    # 7.1 curl
    "curl_sign_flipped": answer("curl", """
        def curl(F, x, h=1e-5):
            x = np.asarray(x, dtype=float)
            n = x.size
            J = np.zeros((n, n))
            for j in range(n):
                e = np.zeros(n)
                e[j] = h
                J[:, j] = (np.asarray(F(x + e), dtype=float) - np.asarray(F(x - e), dtype=float)) / (2 * h)
            if n == 2:
                return float(J[0, 1] - J[1, 0])
            return np.array([J[1, 2] - J[2, 1], J[2, 0] - J[0, 2], J[0, 1] - J[1, 0]])
        """, "signs are flipped"),
    "curl_2d_as_vector": answer("curl", """
        def curl(F, x, h=1e-5):
            x = np.asarray(x, dtype=float)
            n = x.size
            J = np.zeros((n, n))
            for j in range(n):
                e = np.zeros(n)
                e[j] = h
                J[:, j] = (np.asarray(F(x + e), dtype=float) - np.asarray(F(x - e), dtype=float)) / (2 * h)
            if n == 2:
                return np.array([0.0, 0.0, J[1, 0] - J[0, 1]])   # the curl of (F1, F2, 0)
            return np.array([J[2, 1] - J[1, 2], J[0, 2] - J[2, 0], J[1, 0] - J[0, 1]])
        """, "not the vector (0, 0"),
    "curl_middle_sign": answer("curl", """
        def curl(F, x, h=1e-5):
            x = np.asarray(x, dtype=float)
            n = x.size
            J = np.zeros((n, n))
            for j in range(n):
                e = np.zeros(n)
                e[j] = h
                J[:, j] = (np.asarray(F(x + e), dtype=float) - np.asarray(F(x - e), dtype=float)) / (2 * h)
            if n == 2:
                return float(J[1, 0] - J[0, 1])
            # i (dF3/dy - dF2/dz) - j (dF1/dz - dF3/dx) + k (...): the minus sign applied twice
            return np.array([J[2, 1] - J[1, 2], -(J[0, 2] - J[2, 0]), J[1, 0] - J[0, 1]])
        """, "The middle component has the wrong sign"),
    "curl_components_reversed": answer("curl", """
        def curl(F, x, h=1e-5):
            x = np.asarray(x, dtype=float)
            n = x.size
            J = np.zeros((n, n))
            for j in range(n):
                e = np.zeros(n)
                e[j] = h
                J[:, j] = (np.asarray(F(x + e), dtype=float) - np.asarray(F(x - e), dtype=float)) / (2 * h)
            if n == 2:
                return float(J[1, 0] - J[0, 1])
            return np.array([J[1, 0] - J[0, 1], J[0, 2] - J[2, 0], J[2, 1] - J[1, 2]])  # z, y, x
        """, "components are in the wrong order"),
    "curl_forward": answer("curl", """
        def curl(F, x, h=1e-5):
            x = np.asarray(x, dtype=float)
            n = x.size
            f0 = np.asarray(F(x), dtype=float)
            J = np.zeros((n, n))
            for j in range(n):
                e = np.zeros(n)
                e[j] = h
                J[:, j] = (np.asarray(F(x + e), dtype=float) - f0) / h
            if n == 2:
                return float(J[1, 0] - J[0, 1])
            return np.array([J[2, 1] - J[1, 2], J[0, 2] - J[2, 0], J[1, 0] - J[0, 1]])
        """, "That is the forward difference"),
    # 7.2 is_conservative
    "cons_first_point_only": answer("is_conservative", """
        def is_conservative(F, points, h=1e-5, tol=1e-4):
            points = np.asarray(points, dtype=float)
            n = points.shape[1]
            for p in points:
                J = np.zeros((n, n))
                for j in range(n):
                    e = np.zeros(n)
                    e[j] = h
                    J[:, j] = (np.asarray(F(p + e), dtype=float) - np.asarray(F(p - e), dtype=float)) / (2 * h)
                return bool(np.max(np.abs(J - J.T)) <= tol)   # returns inside the loop
        """, "Check every point"),
    "cons_any_point": answer("is_conservative", """
        def is_conservative(F, points, h=1e-5, tol=1e-4):
            points = np.asarray(points, dtype=float)
            n = points.shape[1]
            for p in points:
                J = np.zeros((n, n))
                for j in range(n):
                    e = np.zeros(n)
                    e[j] = h
                    J[:, j] = (np.asarray(F(p + e), dtype=float) - np.asarray(F(p - e), dtype=float)) / (2 * h)
                if np.max(np.abs(J - J.T)) <= tol:
                    return True
            return False
        """, "Check every point"),
    "cons_wrong_way": answer("is_conservative", """
        def is_conservative(F, points, h=1e-5, tol=1e-4):
            points = np.asarray(points, dtype=float)
            n = points.shape[1]
            for p in points:
                J = np.zeros((n, n))
                for j in range(n):
                    e = np.zeros(n)
                    e[j] = h
                    J[:, j] = (np.asarray(F(p + e), dtype=float) - np.asarray(F(p - e), dtype=float)) / (2 * h)
                if np.max(np.abs(J - J.T)) < tol:
                    return False
            return True
        """, "the wrong way round"),
    "cons_frobenius": answer("is_conservative", """
        def is_conservative(F, points, h=1e-5, tol=1e-4):
            points = np.asarray(points, dtype=float)
            n = points.shape[1]
            for p in points:
                J = np.zeros((n, n))
                for j in range(n):
                    e = np.zeros(n)
                    e[j] = h
                    J[:, j] = (np.asarray(F(p + e), dtype=float) - np.asarray(F(p - e), dtype=float)) / (2 * h)
                if np.linalg.norm(J - J.T) > tol:
                    return False
            return True
        """, "Frobenius"),
    "cons_only_first_pair": answer("is_conservative", """
        def is_conservative(F, points, h=1e-5, tol=1e-4):
            points = np.asarray(points, dtype=float)
            for p in points:
                e0, e1 = np.zeros(p.size), np.zeros(p.size)
                e0[0], e1[1] = h, h
                dF2_dx = (np.asarray(F(p + e0), dtype=float)[1] - np.asarray(F(p - e0), dtype=float)[1]) / (2 * h)
                dF1_dy = (np.asarray(F(p + e1), dtype=float)[0] - np.asarray(F(p - e1), dtype=float)[0]) / (2 * h)
                if abs(dF2_dx - dF1_dy) > tol:     # the 2-D curl test, in any dimension
                    return False
            return True
        """, "You compared only J_12 and J_21"),
    "cons_forward": answer("is_conservative", """
        def is_conservative(F, points, h=1e-5, tol=1e-4):
            points = np.asarray(points, dtype=float)
            n = points.shape[1]
            for p in points:
                f0 = np.asarray(F(p), dtype=float)
                J = np.zeros((n, n))
                for j in range(n):
                    e = np.zeros(n)
                    e[j] = h
                    J[:, j] = (np.asarray(F(p + e), dtype=float) - f0) / h
                if np.max(np.abs(J - J.T)) > tol:
                    return False
            return True
        """, "forward differences"),
    # 7.2 potential
    "pot_ignores_x0": answer("potential", """
        def potential(F, x, x0, n=100):
            x = np.asarray(x, dtype=float)
            total = 0.0
            for k in range(n):
                t = (k + 0.5) / n
                total += np.dot(np.asarray(F(t * x), dtype=float), x)   # from the origin
            return float(total / n)
        """, "You ignored x0"),
    "pot_left_endpoint": answer("potential", """
        def potential(F, x, x0, n=100):
            x, x0 = np.asarray(x, dtype=float), np.asarray(x0, dtype=float)
            d = x - x0
            return float(sum(np.dot(F(x0 + (k / n) * d), d) for k in range(n)) / n)
        """, "That is the left-endpoint sum"),
    "pot_linspace": answer("potential", """
        def potential(F, x, x0, n=100):
            x, x0 = np.asarray(x, dtype=float), np.asarray(x0, dtype=float)
            d = x - x0
            ts = np.linspace(0, 1, n)
            return float(np.mean([np.dot(np.asarray(F(x0 + t * d), dtype=float), d) for t in ts]))
        """, "Off by one: np.linspace(0, 1, n)"),
    "pot_no_direction": answer("potential", """
        def potential(F, x, x0, n=100):
            x, x0 = np.asarray(x, dtype=float), np.asarray(x0, dtype=float)
            total = 0.0
            for k in range(n):
                r = x0 + (k + 0.5) / n * (x - x0)
                total += np.sum(np.asarray(F(r), dtype=float))       # F(r(t)) without r'(t)
            return float(total / n)
        """, "You left out the segment's direction"),
    "pot_dot_with_x": answer("potential", """
        def potential(F, x, x0, n=100):
            x, x0 = np.asarray(x, dtype=float), np.asarray(x0, dtype=float)
            total = 0.0
            for k in range(n):
                r = x0 + (k + 0.5) / n * (x - x0)
                total += np.dot(np.asarray(F(r), dtype=float), x)
            return float(total / n)
        """, "dot product with x instead of"),
    "pot_no_dt": answer("potential", """
        def potential(F, x, x0, n=100):
            x, x0 = np.asarray(x, dtype=float), np.asarray(x0, dtype=float)
            d = x - x0
            return float(sum(np.dot(np.asarray(F(x0 + (k + 0.5) / n * d), dtype=float), d) for k in range(n)))
        """, "You forgot the factor dt = 1/n"),
    "pot_fixed_n": answer("potential", """
        def potential(F, x, x0, n=100):
            x, x0 = np.asarray(x, dtype=float), np.asarray(x0, dtype=float)
            d = x - x0
            m = 1000                                 # accurate, whatever n is
            t = (np.arange(m) + 0.5) / m
            return float(np.mean([np.asarray(F(x0 + s * d), dtype=float) @ d for s in t]))
        """, "use the n you are given"),
}

# Correct, but not the master copy's way: these must earn full marks.
CORRECT_VARIANTS = {
    "ok_div_trace_of_jacobian": answer("divergence", """
        def divergence(F, x, h=1e-5):
            x = np.asarray(x, dtype=float)
            E = h * np.eye(x.size)
            J = np.array([np.asarray(F(x + E[j]), dtype=float) - np.asarray(F(x - E[j]), dtype=float)
                          for j in range(x.size)]).T / (2 * h)
            return float(np.trace(J))
        """),
    "ok_div_copy_in_place": answer("divergence", """
        def divergence(F, x, h=1e-5):
            x = np.array(x, dtype=float)              # a copy: changing it in place is safe
            terms = []
            for i in range(len(x)):
                old = x[i]
                x[i] = old + h
                up = float(np.asarray(F(x.copy()), dtype=float)[i])
                x[i] = old - h
                down = float(np.asarray(F(x.copy()), dtype=float)[i])
                x[i] = old
                terms.append(0.5 * (up - down) / h)
            return math.fsum(terms)
        """),
    "ok_curl_partials": answer("curl", """
        def curl(F, x, h=1e-5):
            x = np.asarray(x, dtype=float)

            def d(i, j):                              # dF_i/dx_j, indices from 0
                e = np.zeros(x.size)
                e[j] = h
                return (np.asarray(F(x + e), dtype=float)[i] - np.asarray(F(x - e), dtype=float)[i]) / (2 * h)

            if x.size == 2:
                return d(1, 0) - d(0, 1)
            return np.array([d(2, 1) - d(1, 2), d(0, 2) - d(2, 0), d(1, 0) - d(0, 1)])
        """),
    "ok_curl_antisymmetric_part": answer("curl", """
        def curl(F, x, h=1e-5):
            x = np.asarray(x, dtype=float)
            cols = [(np.asarray(F(x + h * e), dtype=float) - np.asarray(F(x - h * e), dtype=float)) / (2 * h)
                    for e in np.eye(len(x))]
            W = np.column_stack(cols)
            W = W - W.T                               # W[i, j] = dF_i/dx_j - dF_j/dx_i
            if len(x) == 2:
                return float(W[1, 0])
            return np.array([W[2, 1], W[0, 2], W[1, 0]])
        """),
    "ok_cons_allclose": answer("is_conservative", """
        def is_conservative(F, points, h=1e-5, tol=1e-4):
            P = np.asarray(points, dtype=float)

            def jac(p):
                return np.column_stack([(np.asarray(F(p + h * e), dtype=float) - np.asarray(F(p - h * e), dtype=float))
                                        / (2 * h) for e in np.eye(P.shape[1])])

            # |a - b| <= atol + rtol |b| with rtol = 0 is |J_ij - J_ji| <= tol
            return all(np.allclose(J, J.T, rtol=0.0, atol=tol) for J in map(jac, P))
        """),
    "ok_cons_via_curl": answer("is_conservative", """
        def is_conservative(F, points, h=1e-5, tol=1e-4):
            P = np.asarray(points, dtype=float)
            worst = 0.0
            for p in P:
                if p.size in (2, 3):
                    worst = max(worst, float(np.max(np.abs(curl(F, p, h)))))   # the entries of J - J^T
                else:
                    n = p.size
                    J = np.empty((n, n))
                    for j in range(n):
                        e = np.zeros(n)
                        e[j] = h
                        J[:, j] = (np.asarray(F(p + e), dtype=float) - np.asarray(F(p - e), dtype=float)) / (2 * h)
                    worst = max(worst, float(np.max(np.abs(J - J.T))))
            return bool(worst <= tol)
        """),
    # is_conservative through a WRONG curl (forward differences), as if the student's curl cell
    # had it: the tests of is_conservative put a reference curl in place while they run, so a
    # wrong curl costs points on curl only. Without that stand-in this student would fail.
    "ok_cons_via_wrong_curl": answer("is_conservative", """
        def curl(F, x, h=1e-5):                       # forward differences: wrong
            x = np.asarray(x, dtype=float)
            f0 = np.asarray(F(x), dtype=float)
            J = np.column_stack([(np.asarray(F(x + h * e), dtype=float) - f0) / h for e in np.eye(x.size)])
            if x.size == 2:
                return float(J[1, 0] - J[0, 1])
            return np.array([J[2, 1] - J[1, 2], J[0, 2] - J[2, 0], J[1, 0] - J[0, 1]])


        def is_conservative(F, points, h=1e-5, tol=1e-4):
            for p in np.asarray(points, dtype=float):
                if p.size in (2, 3):
                    worst = float(np.max(np.abs(curl(F, p, h))))
                else:
                    E = h * np.eye(p.size)
                    J = np.array([np.asarray(F(p + e), dtype=float) - np.asarray(F(p - e), dtype=float)
                                  for e in E]).T / (2 * h)
                    worst = float(np.max(np.abs(J - J.T)))
                if worst > tol:
                    return False
            return True
        """),
    "ok_pot_vectorized": answer("potential", """
        def potential(F, x, x0, n=100):
            x, x0 = np.asarray(x, dtype=float), np.asarray(x0, dtype=float)
            d = x - x0
            t = (np.arange(n) + 0.5) / n
            values = np.array([np.asarray(F(x0 + s * d), dtype=float) for s in t])   # shape (n, dim)
            return float(np.mean(values @ d))
        """),
    "ok_pot_linspace_midpoints": answer("potential", """
        def potential(F, x, x0, n=100):
            a = np.asarray(x0, dtype=float)
            b = np.asarray(x, dtype=float)
            dt = 1.0 / n
            total = 0.0
            for t in np.linspace(dt / 2, 1 - dt / 2, n):
                r = (1 - t) * a + t * b                 # the same point x0 + t (x - x0)
                total += float(np.asarray(F(r), dtype=float) @ (b - a)) * dt
            return total
        """),
}


class TestCh07(AutogradeSuite):
    """18 autograded points (1 visible + 4 or 3 hidden per function); 2 for the written answer."""

    assignment = "ch07"
    written = "answer_punctured_plane"
    points = 18
    n_parts = 4
    wrong_answers = WRONG_ANSWERS
    correct_variants = CORRECT_VARIANTS
