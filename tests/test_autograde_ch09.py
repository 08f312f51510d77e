"""The ch09 autograder is itself tested, with real nbgrader runs (no mocks).

This file only declares ch09's data; the tests are the generic ones of
``autograde_suite.AutogradeSuite``: in a throwaway copy of the course the whole class
(the solution, the stub, one student per wrong answer and per correct variant, and the
generated students who ignore an optional argument: n, n_probes, rng) is autograded in ONE
`nbgrader autograde` run, and each student's grades and feedback are checked. The tests of
``box_flux`` (visible and hidden) put a reference ``surface_flux`` in place of the
student's while they run, so a wrong ``surface_flux`` loses points on its own part only
even for a student whose ``box_flux`` calls it (``ok_bf_via_surface_flux`` does).
"""

from __future__ import annotations

from autograde_suite import AutogradeSuite
from grading_utils import answer

# One student each. Sources are what a student might really write.
WRONG_ANSWERS = {
    # 9.1 polygon_area
    "pa_clockwise_roll": answer("polygon_area", """
        def polygon_area(vertices):
            P = np.asarray(vertices, dtype=float)
            x, y = P[:, 0], P[:, 1]
            return float(0.5 * np.sum(x * np.roll(y, 1) - np.roll(x, 1) * y))   # pairs i with i - 1
        """, "Wrong sign"),
    "pa_no_half": answer("polygon_area", """
        def polygon_area(vertices):
            P = np.asarray(vertices, dtype=float)
            x, y = P[:, 0], P[:, 1]
            return float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))
        """, "twice the area"),
    "pa_not_closed": answer("polygon_area", """
        def polygon_area(vertices):
            P = np.asarray(vertices, dtype=float)
            total = 0.0
            for i in range(len(P) - 1):              # the edges between consecutive vertices
                total += P[i, 0] * P[i + 1, 1] - P[i + 1, 0] * P[i, 1]
            return 0.5 * total
        """, "You did not close the polygon"),
    "pa_unsigned": answer("polygon_area", """
        def polygon_area(vertices):
            P = np.asarray(vertices, dtype=float)
            x, y = P[:, 0], P[:, 1]
            return float(abs(0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)))   # an area is positive
        """, "absolute value"),
    # 9.1 boundary_circulation
    "bc_clockwise": answer("boundary_circulation", """
        def boundary_circulation(F, box, n=100):
            x0, x1, y0, y1 = box
            dx, dy = (x1 - x0) / n, (y1 - y0) / n
            total = 0.0
            for k in range(n):
                x, y = x0 + (k + 0.5) * dx, y0 + (k + 0.5) * dy
                total += F([x0, y])[1] * dy + F([x, y1])[0] * dx - F([x1, y])[1] * dy - F([x, y0])[0] * dx
            return float(total)
        """, "You went clockwise"),
    "bc_all_edges_positive": answer("boundary_circulation", """
        def boundary_circulation(F, box, n=100):
            x0, x1, y0, y1 = box
            dx, dy = (x1 - x0) / n, (y1 - y0) / n
            total = 0.0
            for k in range(n):
                x, y = x0 + (k + 0.5) * dx, y0 + (k + 0.5) * dy
                total += F([x, y0])[0] * dx + F([x1, y])[1] * dy + F([x, y1])[0] * dx + F([x0, y])[1] * dy
            return float(total)
        """, "top and left edges in the wrong direction"),
    "bc_linspace": answer("boundary_circulation", """
        def boundary_circulation(F, box, n=100):
            x0, x1, y0, y1 = box
            dx, dy = (x1 - x0) / n, (y1 - y0) / n
            total = 0.0
            for x, y in zip(np.linspace(x0, x1, n), np.linspace(y0, y1, n)):
                total += F([x, y0])[0] * dx + F([x1, y])[1] * dy - F([x, y1])[0] * dx - F([x0, y])[1] * dy
            return float(total)
        """, "Off by one"),
    "bc_box_order": answer("boundary_circulation", """
        def boundary_circulation(F, box, n=100):
            x0, y0, x1, y1 = box                     # (lower-left corner, upper-right corner)
            dx, dy = (x1 - x0) / n, (y1 - y0) / n
            total = 0.0
            for k in range(n):
                x, y = x0 + (k + 0.5) * dx, y0 + (k + 0.5) * dy
                total += F([x, y0])[0] * dx + F([x1, y])[1] * dy - F([x, y1])[0] * dx - F([x0, y])[1] * dy
            return float(total)
        """, "The box is (x0, x1, y0, y1)"),
    "bc_no_widths": answer("boundary_circulation", """
        def boundary_circulation(F, box, n=100):
            x0, x1, y0, y1 = box
            dx, dy = (x1 - x0) / n, (y1 - y0) / n
            total = 0.0
            for k in range(n):
                x, y = x0 + (k + 0.5) * dx, y0 + (k + 0.5) * dy
                total += F([x, y0])[0] + F([x1, y])[1] - F([x, y1])[0] - F([x0, y])[1]
            return float(total)
        """, "You forgot the edge widths"),
    "bc_top_edge_reversed": answer("boundary_circulation", """
        def boundary_circulation(F, box, n=100):
            x0, x1, y0, y1 = box
            dx, dy = (x1 - x0) / n, (y1 - y0) / n
            total = 0.0
            for k in range(n):
                x, y = x0 + (k + 0.5) * dx, y0 + (k + 0.5) * dy
                total += F([x, y0])[0] * dx + F([x1, y])[1] * dy        # bottom, right
                total += F([x, y1])[0] * dx                              # top (but x decreases there)
                total -= F([x0, y])[1] * dy                              # left, downwards
            return float(total)
        """, "You traversed the top edge in the wrong direction"),
    # 9.2 surface_flux
    "sf_reversed_normal": answer("surface_flux", """
        def surface_flux(G, S, S_u, S_v, u_lim, v_lim, n=50):
            du, dv = (u_lim[1] - u_lim[0]) / n, (v_lim[1] - v_lim[0]) / n
            total = 0.0
            for j in range(n):
                for k in range(n):
                    u, v = u_lim[0] + (j + 0.5) * du, v_lim[0] + (k + 0.5) * dv
                    total += np.dot(G(S(u, v)), np.cross(S_v(u, v), S_u(u, v)))
            return float(total * du * dv)
        """, "S_v x S_u points the other way"),
    "sf_unit_normal": answer("surface_flux", """
        def surface_flux(G, S, S_u, S_v, u_lim, v_lim, n=50):
            du, dv = (u_lim[1] - u_lim[0]) / n, (v_lim[1] - v_lim[0]) / n
            total = 0.0
            for j in range(n):
                for k in range(n):
                    u, v = u_lim[0] + (j + 0.5) * du, v_lim[0] + (k + 0.5) * dv
                    N = np.cross(S_u(u, v), S_v(u, v))
                    total += np.dot(G(S(u, v)), N / np.linalg.norm(N))     # the unit normal
            return float(total * du * dv)
        """, "You normalized the normal"),
    "sf_no_du_dv": answer("surface_flux", """
        def surface_flux(G, S, S_u, S_v, u_lim, v_lim, n=50):
            du, dv = (u_lim[1] - u_lim[0]) / n, (v_lim[1] - v_lim[0]) / n
            total = 0.0
            for j in range(n):
                for k in range(n):
                    u, v = u_lim[0] + (j + 0.5) * du, v_lim[0] + (k + 0.5) * dv
                    total += np.dot(G(S(u, v)), np.cross(S_u(u, v), S_v(u, v)))
            return float(total)
        """, "You forgot the factor du dv"),
    "sf_linspace": answer("surface_flux", """
        def surface_flux(G, S, S_u, S_v, u_lim, v_lim, n=50):
            du, dv = (u_lim[1] - u_lim[0]) / n, (v_lim[1] - v_lim[0]) / n
            total = 0.0
            for u in np.linspace(u_lim[0], u_lim[1], n):
                for v in np.linspace(v_lim[0], v_lim[1], n):
                    total += np.dot(G(S(u, v)), np.cross(S_u(u, v), S_v(u, v)))
            return float(total * du * dv)
        """, "Off by one"),
    "sf_finite_differences": answer("surface_flux", """
        def surface_flux(G, S, S_u, S_v, u_lim, v_lim, n=50):
            h = 1e-6
            du, dv = (u_lim[1] - u_lim[0]) / n, (v_lim[1] - v_lim[0]) / n
            total = 0.0
            for j in range(n):
                for k in range(n):
                    u, v = u_lim[0] + (j + 0.5) * du, v_lim[0] + (k + 0.5) * dv
                    Su = (np.asarray(S(u + h, v)) - np.asarray(S(u - h, v))) / (2 * h)
                    Sv = (np.asarray(S(u, v + h)) - np.asarray(S(u, v - h))) / (2 * h)
                    total += np.dot(G(S(u, v)), np.cross(Su, Sv))
            return float(total * du * dv)
        """, "never called S_u"),
    "sf_u_lim_twice": answer("surface_flux", """
        def surface_flux(G, S, S_u, S_v, u_lim, v_lim, n=50):
            lo, hi = u_lim                           # one parameter square
            h = (hi - lo) / n
            grid = lo + (np.arange(n) + 0.5) * h
            return float(sum(np.dot(G(S(u, v)), np.cross(S_u(u, v), S_v(u, v))) for u in grid for v in grid) * h * h)
        """, "You used u_lim for v too"),
    # 9.3 box_flux
    "bf_same_sign": answer("box_flux", """
        def box_flux(F, box, n=20):
            x0, x1, y0, y1, z0, z1 = box
            dx, dy, dz = (x1 - x0) / n, (y1 - y0) / n, (z1 - z0) / n
            xs, ys, zs = (x0 + (np.arange(n) + 0.5) * dx, y0 + (np.arange(n) + 0.5) * dy,
                          z0 + (np.arange(n) + 0.5) * dz)
            total = 0.0
            for a in range(n):
                for b in range(n):
                    total += (F([x1, ys[a], zs[b]])[0] + F([x0, ys[a], zs[b]])[0]) * dy * dz
                    total += (F([xs[a], y1, zs[b]])[1] + F([xs[a], y0, zs[b]])[1]) * dx * dz
                    total += (F([xs[a], ys[b], z1])[2] + F([xs[a], ys[b], z0])[2]) * dx * dy
            return float(total)
        """, "subtract their flux"),
    "bf_inward": answer("box_flux", """
        def box_flux(F, box, n=20):
            x0, x1, y0, y1, z0, z1 = box
            dx, dy, dz = (x1 - x0) / n, (y1 - y0) / n, (z1 - z0) / n
            xs, ys, zs = (x0 + (np.arange(n) + 0.5) * dx, y0 + (np.arange(n) + 0.5) * dy,
                          z0 + (np.arange(n) + 0.5) * dz)
            total = 0.0
            for a in range(n):
                for b in range(n):
                    total += (F([x0, ys[a], zs[b]])[0] - F([x1, ys[a], zs[b]])[0]) * dy * dz
                    total += (F([xs[a], y0, zs[b]])[1] - F([xs[a], y1, zs[b]])[1]) * dx * dz
                    total += (F([xs[a], ys[b], z0])[2] - F([xs[a], ys[b], z1])[2]) * dx * dy
            return float(total)
        """, "That is the inward flux"),
    "bf_open_box": answer("box_flux", """
        def box_flux(F, box, n=20):
            x0, x1, y0, y1, z0, z1 = box
            dx, dy, dz = (x1 - x0) / n, (y1 - y0) / n, (z1 - z0) / n
            xs, ys, zs = (x0 + (np.arange(n) + 0.5) * dx, y0 + (np.arange(n) + 0.5) * dy,
                          z0 + (np.arange(n) + 0.5) * dz)
            total = 0.0
            for a in range(n):
                for b in range(n):
                    total += (F([x1, ys[a], zs[b]])[0] - F([x0, ys[a], zs[b]])[0]) * dy * dz
                    total += (F([xs[a], y1, zs[b]])[1] - F([xs[a], y0, zs[b]])[1]) * dx * dz
                    total += F([xs[a], ys[b], z1])[2] * dx * dy          # the lid; the bottom is forgotten
            return float(total)
        """, "You left out a face: the face z = z0"),
    "bf_no_areas": answer("box_flux", """
        def box_flux(F, box, n=20):
            x0, x1, y0, y1, z0, z1 = box
            dx, dy, dz = (x1 - x0) / n, (y1 - y0) / n, (z1 - z0) / n
            xs, ys, zs = (x0 + (np.arange(n) + 0.5) * dx, y0 + (np.arange(n) + 0.5) * dy,
                          z0 + (np.arange(n) + 0.5) * dz)
            total = 0.0
            for a in range(n):
                for b in range(n):
                    total += F([x1, ys[a], zs[b]])[0] - F([x0, ys[a], zs[b]])[0]
                    total += F([xs[a], y1, zs[b]])[1] - F([xs[a], y0, zs[b]])[1]
                    total += F([xs[a], ys[b], z1])[2] - F([xs[a], ys[b], z0])[2]
            return float(total)
        """, "You forgot the cell areas"),
    "bf_box_order": answer("box_flux", """
        def box_flux(F, box, n=20):
            x0, y0, z0, x1, y1, z1 = box             # (lower corner, upper corner)
            dx, dy, dz = (x1 - x0) / n, (y1 - y0) / n, (z1 - z0) / n
            xs, ys, zs = (x0 + (np.arange(n) + 0.5) * dx, y0 + (np.arange(n) + 0.5) * dy,
                          z0 + (np.arange(n) + 0.5) * dz)
            total = 0.0
            for a in range(n):
                for b in range(n):
                    total += (F([x1, ys[a], zs[b]])[0] - F([x0, ys[a], zs[b]])[0]) * dy * dz
                    total += (F([xs[a], y1, zs[b]])[1] - F([xs[a], y0, zs[b]])[1]) * dx * dz
                    total += (F([xs[a], ys[b], z1])[2] - F([xs[a], ys[b], z0])[2]) * dx * dy
            return float(total)
        """, "The box is (x0, x1, y0, y1, z0, z1)"),
    # 9.3 hutchinson_trace
    "ht_gaussian": answer("hutchinson_trace", """
        def hutchinson_trace(matvec, dim, n_probes=100, rng=None):
            rng = np.random.default_rng() if rng is None else rng
            Z = rng.standard_normal((n_probes, dim))         # E[z z^T] = I too
            return float(np.mean([z @ matvec(z) for z in Z]))
        """, "Gaussian probes"),
    "ht_sum": answer("hutchinson_trace", """
        def hutchinson_trace(matvec, dim, n_probes=100, rng=None):
            rng = np.random.default_rng() if rng is None else rng
            Z = rng.choice([-1.0, 1.0], size=(n_probes, dim))
            return float(sum(z @ np.asarray(matvec(z)) for z in Z))
        """, "You did not divide by n_probes"),
    "ht_global_random": answer("hutchinson_trace", """
        def hutchinson_trace(matvec, dim, n_probes=100, rng=None):
            Z = np.random.choice([-1.0, 1.0], size=(n_probes, dim))     # numpy's global generator
            return float(np.mean([z @ np.asarray(matvec(z)) for z in Z]))
        """, "draw the probes from the rng you are given"),
    "ht_zero_one": answer("hutchinson_trace", """
        def hutchinson_trace(matvec, dim, n_probes=100, rng=None):
            rng = np.random.default_rng() if rng is None else rng
            Z = rng.integers(0, 2, size=(n_probes, dim)).astype(float)   # random bits
            return float(np.mean([z @ np.asarray(matvec(z)) for z in Z]))
        """, "entries 0 and 1"),
    "ht_one_probe": answer("hutchinson_trace", """
        def hutchinson_trace(matvec, dim, n_probes=100, rng=None):
            rng = np.random.default_rng() if rng is None else rng
            z = rng.choice([-1.0, 1.0], size=dim)
            return float(np.mean([z @ np.asarray(matvec(z)) for _ in range(n_probes)]))
        """, "You drew one probe"),
}

# Correct, but not the master copy's way: these must earn full marks.
CORRECT_VARIANTS = {
    "ok_pa_trapezoids": answer("polygon_area", """
        def polygon_area(vertices):
            # Green with F = (0, x): the area is the integral of x dy, exact on each straight edge
            P = np.asarray(vertices, dtype=float)
            Q = np.vstack([P[1:], P[:1]])
            return float(np.sum((P[:, 0] + Q[:, 0]) / 2 * (Q[:, 1] - P[:, 1])))
        """),
    "ok_pa_triangle_fan": answer("polygon_area", """
        def polygon_area(vertices):
            pts = [np.array(p, dtype=float) for p in vertices]
            o = pts[0]
            area = 0.0
            for a, b in zip(pts[1:-1], pts[2:]):                 # triangles (o, a, b)
                u, w = a - o, b - o
                area += 0.5 * (u[0] * w[1] - u[1] * w[0])
            return area
        """),
    "ok_bc_four_segments": answer("boundary_circulation", """
        def boundary_circulation(F, box, n=100):
            x0, x1, y0, y1 = map(float, box)
            corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
            total = 0.0
            for p, q in zip(corners[:-1], corners[1:]):
                p, q = np.array(p), np.array(q)
                for k in range(n):                       # r(t) = p + t (q - p), t in [0, 1]
                    t = (k + 0.5) / n
                    total += float(np.dot(F(p + t * (q - p)), q - p)) / n
            return total
        """),
    "ok_bc_vectorized_sums": answer("boundary_circulation", """
        def boundary_circulation(F, box, n=100):
            x0, x1, y0, y1 = box
            hx, hy = (x1 - x0) / n, (y1 - y0) / n
            xm = [x0 + hx / 2 + k * hx for k in range(n)]
            ym = [y0 + hy / 2 + k * hy for k in range(n)]
            M = lambda x, y: np.asarray(F(np.array([x, y])), dtype=float)[0]
            N = lambda x, y: np.asarray(F(np.array([x, y])), dtype=float)[1]
            horizontal = math.fsum(M(x, y0) - M(x, y1) for x in xm) * hx
            vertical = math.fsum(N(x1, y) - N(x0, y) for y in ym) * hy
            return horizontal + vertical
        """),
    "ok_sf_triple_product": answer("surface_flux", """
        def surface_flux(G, S, S_u, S_v, u_lim, v_lim, n=50):
            u0, u1 = u_lim
            v0, v1 = v_lim
            us = u0 + (np.arange(n) + 0.5) * (u1 - u0) / n
            vs = v0 + (np.arange(n) + 0.5) * (v1 - v0) / n
            # G . (S_u x S_v) is the determinant of the rows G, S_u, S_v
            terms = [np.linalg.det(np.array([G(S(u, v)), S_u(u, v), S_v(u, v)], dtype=float))
                     for v in vs for u in us]
            return float(np.sum(terms) * (u1 - u0) * (v1 - v0) / n ** 2)
        """),
    "ok_sf_stacked": answer("surface_flux", """
        def surface_flux(G, S, S_u, S_v, u_lim, v_lim, n=50):
            edges_u = np.linspace(u_lim[0], u_lim[1], n + 1)
            edges_v = np.linspace(v_lim[0], v_lim[1], n + 1)
            pts = [((a + b) / 2, (c + d) / 2) for a, b in zip(edges_u[:-1], edges_u[1:])
                   for c, d in zip(edges_v[:-1], edges_v[1:])]
            values = np.array([np.asarray(G(np.asarray(S(u, v), dtype=float)), dtype=float) for u, v in pts])
            normals = np.cross(np.array([S_u(u, v) for u, v in pts], dtype=float),
                               np.array([S_v(u, v) for u, v in pts], dtype=float))
            cell = (u_lim[1] - u_lim[0]) * (v_lim[1] - v_lim[0]) / n / n
            return float(np.einsum("ij,ij->", values, normals) * cell)
        """),
    "ok_bf_via_surface_flux": answer("box_flux", """
        def box_flux(F, box, n=20):
            x0, x1, y0, y1, z0, z1 = map(float, box)
            const = lambda *c: (lambda u, v: np.array(c, dtype=float))
            faces = [  # (S, S_u, S_v, u_lim, v_lim), S_u x S_v pointing out of the box
                (lambda u, v: np.array([x1, u, v]), const(0, 1, 0), const(0, 0, 1), (y0, y1), (z0, z1)),
                (lambda u, v: np.array([x0, v, u]), const(0, 0, 1), const(0, 1, 0), (z0, z1), (y0, y1)),
                (lambda u, v: np.array([v, y1, u]), const(0, 0, 1), const(1, 0, 0), (z0, z1), (x0, x1)),
                (lambda u, v: np.array([u, y0, v]), const(1, 0, 0), const(0, 0, 1), (x0, x1), (z0, z1)),
                (lambda u, v: np.array([u, v, z1]), const(1, 0, 0), const(0, 1, 0), (x0, x1), (y0, y1)),
                (lambda u, v: np.array([v, u, z0]), const(0, 1, 0), const(1, 0, 0), (y0, y1), (x0, x1)),
            ]
            return sum(surface_flux(F, S, Su, Sv, ul, vl, n) for S, Su, Sv, ul, vl in faces)
        """),
    "ok_bf_grid": answer("box_flux", """
        def box_flux(F, box, n=20):
            b = [float(t) for t in box]
            mid = lambda lo, hi: [lo + (k + 0.5) * (hi - lo) / n for k in range(n)]
            xs, ys, zs = mid(b[0], b[1]), mid(b[2], b[3]), mid(b[4], b[5])
            dx, dy, dz = (b[1] - b[0]) / n, (b[3] - b[2]) / n, (b[5] - b[4]) / n
            fx = sum(F(np.array([b[1], y, z]))[0] - F(np.array([b[0], y, z]))[0] for y in ys for z in zs)
            fy = sum(F(np.array([x, b[3], z]))[1] - F(np.array([x, b[2], z]))[1] for x in xs for z in zs)
            fz = sum(F(np.array([x, y, b[5]]))[2] - F(np.array([x, y, b[4]]))[2] for x in xs for y in ys)
            return float(fx * dy * dz + fy * dx * dz + fz * dx * dy)
        """),
    "ok_ht_one_at_a_time": answer("hutchinson_trace", """
        def hutchinson_trace(matvec, dim, n_probes=100, rng=None):
            if rng is None:
                rng = np.random.default_rng()
            total = 0.0
            for _ in range(n_probes):
                z = rng.choice([-1.0, 1.0], size=dim)    # the same stream as drawing all rows at once
                total += float(np.dot(z, matvec(z)))
            return total / n_probes
        """),
    "ok_ht_integers_einsum": answer("hutchinson_trace", """
        def hutchinson_trace(matvec, dim, n_probes=100, rng=None):
            rng = np.random.default_rng(rng)             # a Generator is passed through unchanged
            Z = 2.0 * rng.integers(0, 2, size=(n_probes, dim)) - 1.0
            AZ = np.array([np.asarray(matvec(z), dtype=float) for z in Z])
            return float(np.einsum("kd,kd->", Z, AZ) / n_probes)
        """),
}


class TestCh09(AutogradeSuite):
    """24 autograded points (1 visible + 3, 4, 4, 4 and 4 hidden); 2 for the written answer."""

    assignment = "ch09"
    written = "answer_divergence_flows"
    points = 24
    n_parts = 5
    wrong_answers = WRONG_ANSWERS
    correct_variants = CORRECT_VARIANTS
