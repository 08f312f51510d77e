"""The ch08 autograder is itself tested, with real nbgrader runs (no mocks).

This file only declares ch08's data; the tests are the generic ones of
``autograde_suite.AutogradeSuite``: in a throwaway copy of the course the whole class
(the solution, the stub, one student per wrong answer and per correct variant) is
autograded in ONE `nbgrader autograde` run, and each student's grades and feedback are
checked. The tests of ``loss_decrease`` and ``work_around_loop`` (visible and hidden) put a
reference ``line_integral`` in place of the student's while they run, so a wrong
``line_integral`` loses points on its own part only (which the suite checks).
"""

from __future__ import annotations

from autograde_suite import AutogradeSuite
from grading_utils import answer

# One student each. Sources are what a student might really write.
WRONG_ANSWERS = {
    # 8.1 line_integral
    "li_left_endpoint": answer("line_integral", """
        def line_integral(F, r, dr, a, b, n):
            dt = (b - a) / n
            total = 0.0
            for k in range(n):
                t = a + k * dt                       # the left end of each subinterval
                total += np.dot(F(r(t)), dr(t)) * dt
            return float(total)
        """, "That is the left-endpoint sum"),
    "li_no_dt": answer("line_integral", """
        def line_integral(F, r, dr, a, b, n):
            dt = (b - a) / n
            ts = a + (np.arange(n) + 0.5) * dt
            return float(sum(np.dot(np.asarray(F(r(t))), np.asarray(dr(t))) for t in ts))   # forgot * dt
        """, "You forgot the factor dt"),
    "li_linspace_endpoints": answer("line_integral", """
        def line_integral(F, r, dr, a, b, n):
            ts = np.linspace(a, b, n)
            dt = (b - a) / n
            return float(sum(np.dot(F(r(t)), dr(t)) for t in ts) * dt)
        """, "Off by one: np.linspace(a, b, n) puts points at both ends"),
    "li_finite_difference": answer("line_integral", """
        def line_integral(F, r, dr, a, b, n):
            h = 1e-6
            dt = (b - a) / n
            total = 0.0
            for k in range(n):
                t = a + (k + 0.5) * dt
                velocity = (np.asarray(r(t + h)) - np.asarray(r(t - h))) / (2 * h)   # r'(t), estimated
                total += np.dot(np.asarray(F(r(t))), velocity)
            return float(total * dt)
        """, "never called dr"),
    "li_unit_tangent": answer("line_integral", """
        def line_integral(F, r, dr, a, b, n):
            dt = (b - a) / n
            total = 0.0
            for k in range(n):
                t = a + (k + 0.5) * dt
                v = np.asarray(dr(t), dtype=float)
                total += np.dot(np.asarray(F(r(t)), dtype=float), v / np.linalg.norm(v)) * dt
            return float(total)
        """, "You normalized the velocity"),
    "li_speed": answer("line_integral", """
        def line_integral(F, r, dr, a, b, n):
            dt = (b - a) / n
            total = 0.0
            for k in range(n):
                t = a + (k + 0.5) * dt
                total += np.linalg.norm(F(r(t))) * np.linalg.norm(dr(t)) * dt    # |F| |r'|
            return float(total)
        """, "not of the dot product"),
    "li_ignores_a": answer("line_integral", """
        def line_integral(F, r, dr, a, b, n):
            dt = (b - a) / n
            total = 0.0
            for k in range(n):
                t = (k + 0.5) * dt                   # forgot to start at a
                total += np.dot(F(r(t)), dr(t))
            return float(total * dt)
        """, "Your t_k start at 0, not at a"),
    "li_abs_interval": answer("line_integral", """
        def line_integral(F, r, dr, a, b, n):
            dt = abs(b - a) / n                      # a width is positive... but dt is not
            total = 0.0
            for k in range(n):
                t = a + (k + 0.5) * (b - a) / n
                total += np.dot(F(r(t)), dr(t)) * dt
            return float(total)
        """, "You took |b - a|"),
    "li_unit_interval": answer("line_integral", """
        def line_integral(F, r, dr, a, b, n):
            dt = 1.0 / n                             # as if every path ran over t in [0, 1]
            ts = (np.arange(n) + 0.5) * dt
            return float(sum(np.dot(F(r(t)), dr(t)) for t in ts) * dt)
        """, "You integrated over [0, 1]"),
    "li_fixed_n": answer("line_integral", """
        def line_integral(F, r, dr, a, b, n):
            m = 200                                  # fine enough, whatever n is
            dt = (b - a) / m
            return float(sum(np.dot(F(r(a + (k + 0.5) * dt)), dr(a + (k + 0.5) * dt)) for k in range(m)) * dt)
        """, "use the n you are given"),
    # 8.2 loss_decrease
    "ld_sign": answer("loss_decrease", """
        def loss_decrease(grad_L, path, n=8):
            P = np.asarray(path, dtype=float)
            total = 0.0
            for k in range(len(P) - 1):
                d = P[k + 1] - P[k]
                total += line_integral(grad_L, lambda t: P[k] + t * d, lambda t: d, 0.0, 1.0, n)
            return float(total)                      # that is L(end) - L(start)
        """, "Wrong sign"),
    "ld_segments_reversed": answer("loss_decrease", """
        def loss_decrease(grad_L, path, n=8):
            P = np.asarray(path, dtype=float)
            total = 0.0
            for k in range(len(P) - 1):
                d = P[k] - P[k + 1]                  # from path[k + 1] back to path[k]
                total += line_integral(grad_L, lambda t: P[k + 1] + t * d, lambda t: d, 0.0, 1.0, n)
            return -float(total)
        """, "ran each segment backwards"),
    "ld_first_segment_only": answer("loss_decrease", """
        def loss_decrease(grad_L, path, n=8):
            P = np.asarray(path, dtype=float)
            d = P[1] - P[0]
            return -float(line_integral(grad_L, lambda t: P[0] + t * d, lambda t: d, 0.0, 1.0, n))
        """, "You used only the first segment"),
    "ld_last_segment_only": answer("loss_decrease", """
        def loss_decrease(grad_L, path, n=8):
            P = np.asarray(path, dtype=float)
            d = P[-1] - P[-2]
            return -float(line_integral(grad_L, lambda t: P[-2] + t * d, lambda t: d, 0.0, 1.0, n))
        """, "You used only the last segment"),
    "ld_skips_last_segment": answer("loss_decrease", """
        def loss_decrease(grad_L, path, n=8):
            P = np.asarray(path, dtype=float)
            total = 0.0
            for k in range(len(P) - 2):              # one segment too few
                d = P[k + 1] - P[k]
                total -= line_integral(grad_L, lambda t: P[k] + t * d, lambda t: d, 0.0, 1.0, n)
            return total
        """, "You skipped the last segment"),
    "ld_first_order": answer("loss_decrease", """
        def loss_decrease(grad_L, path, n=8):
            P = np.asarray(path, dtype=float)
            # the gradient at the start of each step, times the step
            return -float(sum(np.dot(grad_L(P[k]), P[k + 1] - P[k]) for k in range(len(P) - 1)))
        """, "That is the first-order estimate"),
    "ld_unit_velocity": answer("loss_decrease", """
        def loss_decrease(grad_L, path, n=8):
            P = np.asarray(path, dtype=float)
            total = 0.0
            for k in range(len(P) - 1):
                d = P[k + 1] - P[k]
                u = d / np.linalg.norm(d)            # the direction of the segment
                total += line_integral(grad_L, lambda t: P[k] + t * d, lambda t: u, 0.0, 1.0, n)
            return -float(total)
        """, "not a unit vector"),
    "ld_fixed_n": answer("loss_decrease", """
        def loss_decrease(grad_L, path, n=8):
            P = np.asarray(path, dtype=float)
            total = 0.0
            for k in range(len(P) - 1):
                d = P[k + 1] - P[k]
                total += line_integral(grad_L, lambda t: P[k] + t * d, lambda t: d, 0.0, 1.0, 50)   # accurate
            return -float(total)
        """, "use the n you are given"),
    # 8.2 work_around_loop
    "wl_clockwise": answer("work_around_loop", """
        def work_around_loop(F, center, radius, n):
            c = np.asarray(center, dtype=float)
            r = lambda t: c + radius * np.array([np.cos(t), -np.sin(t)])
            dr = lambda t: radius * np.array([-np.sin(t), -np.cos(t)])
            return line_integral(F, r, dr, 0.0, 2 * np.pi, n)
        """, "You went clockwise"),
    "wl_velocity_without_radius": answer("work_around_loop", """
        def work_around_loop(F, center, radius, n):
            c = np.asarray(center, dtype=float)
            r = lambda t: c + radius * np.array([np.cos(t), np.sin(t)])
            dr = lambda t: np.array([-np.sin(t), np.cos(t)])
            return line_integral(F, r, dr, 0.0, 2 * np.pi, n)
        """, "Your velocity lacks the factor R"),
    "wl_ignores_center": answer("work_around_loop", """
        def work_around_loop(F, center, radius, n):
            r = lambda t: radius * np.array([np.cos(t), np.sin(t)])
            dr = lambda t: radius * np.array([-np.sin(t), np.cos(t)])
            return line_integral(F, r, dr, 0.0, 2 * np.pi, n)
        """, "You ignored the centre"),
    "wl_half_circle": answer("work_around_loop", """
        def work_around_loop(F, center, radius, n):
            c = np.asarray(center, dtype=float)
            r = lambda t: c + radius * np.array([np.cos(t), np.sin(t)])
            dr = lambda t: radius * np.array([-np.sin(t), np.cos(t)])
            return line_integral(F, r, dr, 0.0, np.pi, n)
        """, "only half way around"),
    "wl_fixed_n": answer("work_around_loop", """
        def work_around_loop(F, center, radius, n):
            c = np.asarray(center, dtype=float)
            r = lambda t: c + radius * np.array([np.cos(t), np.sin(t)])
            dr = lambda t: radius * np.array([-np.sin(t), np.cos(t)])
            return line_integral(F, r, dr, 0.0, 2 * np.pi, 64)
        """, "pass the n you are given"),
}

# Correct, but not the master copy's way: these must earn full marks.
CORRECT_VARIANTS = {
    "ok_li_edges_fsum": answer("line_integral", """
        def line_integral(F, r, dr, a, b, n):
            edges = np.linspace(a, b, n + 1)
            mids = (edges[:-1] + edges[1:]) / 2          # the midpoints of the n subintervals
            terms = [np.dot(np.asarray(F(np.asarray(r(float(t)))), dtype=float), np.asarray(dr(float(t)), dtype=float))
                     for t in mids]
            return math.fsum(terms) * (b - a) / n
        """),
    "ok_li_stacked": answer("line_integral", """
        def line_integral(F, r, dr, a, b, n):
            h = (b - a) / n
            ts = [a + h / 2 + k * h for k in range(n)]
            values = np.array([np.asarray(F(np.asarray(r(t), dtype=float)), dtype=float) for t in ts])   # (n, p)
            velocities = np.array([np.asarray(dr(t), dtype=float) for t in ts])
            return float(np.einsum("kp,kp->", values, velocities) * h)
        """),
    "ok_ld_diff_defaults": answer("loss_decrease", """
        def loss_decrease(grad_L, path, n=8):
            theta = np.array(path, dtype=float)
            work = 0.0
            for start, step in zip(theta[:-1], np.diff(theta, axis=0)):
                work += line_integral(grad_L, lambda t, s=start, d=step: s + t * d,
                                      lambda t, d=step: d, a=0, b=1, n=n)
            return -work
        """),
    "ok_ld_own_midpoint": answer("loss_decrease", """
        def loss_decrease(grad_L, path, n=8):
            # the same midpoint sums, written out: t_j = (j + 1/2) / n on each segment
            P = np.asarray(path, dtype=float)
            drop = 0.0
            for k in range(P.shape[0] - 1):
                d = P[k + 1] - P[k]
                drop -= sum(float(np.dot(grad_L(P[k] + (j + 0.5) / n * d), d)) for j in range(n)) / n
            return drop
        """),
    "ok_wl_unit_interval": answer("work_around_loop", """
        def work_around_loop(F, center, radius, n):
            # the same circle with t in [0, 1]: the work does not depend on the parameterization
            cx, cy = (float(v) for v in center)
            R = float(radius)
            w = 2 * math.pi
            def r(t):
                return np.array([cx + R * math.cos(w * t), cy + R * math.sin(w * t)])
            def dr(t):
                return w * R * np.array([-math.sin(w * t), math.cos(w * t)])
            return line_integral(F, r, dr, 0.0, 1.0, n)
        """),
}


class TestCh08(AutogradeSuite):
    """14 autograded points (1 visible + 4, 4 and 3 hidden); 2 for the written answer."""

    assignment = "ch08"
    written = "answer_path_independence"
    points = 14
    n_parts = 3
    wrong_answers = WRONG_ANSWERS
    correct_variants = CORRECT_VARIANTS
