"""Tests of calclib.fields (chapters 7–9) against sympy, exact polynomial integrals and scipy.

Expected values come from sympy (symbolic divergence, curl and integrals), from numpy's
exact polynomial calculus, or from closed forms worked by hand; never from calclib. The
theorems are checked on random polynomial fields and random regions, and each
orientation convention is checked by showing that the opposite one flips the sign.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.spatial
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.polynomial import polynomial as P
from numpy.testing import assert_allclose

from calclib import fields as fl

PROPERTY = settings(derandomize=True, max_examples=25, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

x, y, z = sp.symbols("x y z", real=True)
TWO_PI = 2 * np.pi


def numeric(exprs, symbols):
    """A numpy field p -> array from sympy component expressions."""
    f = sp.lambdify(symbols, list(exprs), "numpy")
    return lambda p: np.array(f(*p), dtype=float)


# --- divergence and curl vs sympy -----------------------------------------------------------

FIELDS_3D = [
    (x**2 * y, y * z**3 - x, sp.sin(x) * z),                # polynomial and trigonometric
    (-y, x, 0 * z),                                         # rigid rotation about z
    (y * z, x * z, x * y),                                  # the gradient of xyz
    (sp.exp(x) * y, z**2 - x * y, x * y * z + z**3 / 3),
]
FIELDS_2D = [(-y, x), (x**3 - y, x * y**2), (sp.cos(x * y), x**2 + y), (2 * x * y, x**2)]


@pytest.mark.parametrize("expr", FIELDS_3D)
def test_divergence_and_curl_3d_match_sympy(expr):
    F = numeric(expr, (x, y, z))
    M, N, R = expr
    div = sp.diff(M, x) + sp.diff(N, y) + sp.diff(R, z)
    rot = (sp.diff(R, y) - sp.diff(N, z), sp.diff(M, z) - sp.diff(R, x), sp.diff(N, x) - sp.diff(M, y))
    div_f, rot_f = numeric([div], (x, y, z)), numeric(rot, (x, y, z))
    for p in np.random.default_rng(0).uniform(-1.5, 1.5, size=(5, 3)):
        assert_allclose(fl.divergence(F, p), div_f(p)[0], rtol=1e-7, atol=1e-8)
        assert_allclose(fl.curl(F, p), rot_f(p), rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("expr", FIELDS_2D)
def test_divergence_and_scalar_curl_2d_match_sympy(expr):
    F = numeric(expr, (x, y))
    M, N = expr
    div_f = numeric([sp.diff(M, x) + sp.diff(N, y)], (x, y))
    rot_f = numeric([sp.diff(N, x) - sp.diff(M, y)], (x, y))
    for p in np.random.default_rng(1).uniform(-1.5, 1.5, size=(5, 2)):
        assert_allclose(fl.divergence(F, p), div_f(p)[0], rtol=1e-7, atol=1e-8)
        c = fl.curl(F, p)
        assert isinstance(c, float)
        assert_allclose(c, rot_f(p)[0], rtol=1e-7, atol=1e-8)


def test_rotation_has_curl_2_and_no_divergence_source_has_divergence_and_no_curl():
    rotation = lambda p: np.array([-p[1], p[0]])  # noqa: E731
    source = lambda p: np.array(p)  # noqa: E731
    p = np.array([0.3, -1.2])
    assert_allclose([fl.divergence(rotation, p), fl.curl(rotation, p)], [0.0, 2.0], atol=1e-9)
    assert_allclose([fl.divergence(source, p), fl.curl(source, p)], [2.0, 0.0], atol=1e-9)
    w = np.array([1.0, -2.0, 0.5])
    spin = lambda q: np.cross(w, q)  # noqa: E731
    assert_allclose(fl.curl(spin, np.array([0.2, 0.1, -0.7])), 2 * w, rtol=1e-8)


def test_grids_with_coordinates_first_give_arrays_for_plotting():
    F2 = numeric(FIELDS_2D[1], (x, y))
    G = np.mgrid[-1:1:5j, -1:2:4j]
    div, rot = fl.divergence(F2, G), fl.curl(F2, G)
    assert div.shape == rot.shape == (5, 4)
    for i, j in [(0, 0), (2, 3), (4, 1)]:
        assert div[i, j] == fl.divergence(F2, G[:, i, j])
        assert rot[i, j] == fl.curl(F2, G[:, i, j])
    F3 = numeric(FIELDS_3D[0], (x, y, z))
    G3 = np.stack(np.meshgrid(np.linspace(0, 1, 3), np.linspace(0, 1, 2), [0.5]))
    c = fl.curl(F3, G3)
    assert c.shape == (3, 2, 3, 1)
    assert_allclose(c[:, 1, 2, 0], fl.curl(F3, G3[:, 1, 2, 0]), rtol=0)
    assert fl.potential(F2, G).shape == (5, 4)


# --- conservative fields, potentials, path independence --------------------------------------

POTENTIALS = [x**2 * y + sp.sin(y), sp.exp(x / 2) * sp.cos(y) + x**3, x * y * z + z**2 - sp.cos(x * z)]


@pytest.mark.parametrize("f", POTENTIALS)
def test_gradient_fields_are_conservative_and_the_potential_is_recovered(f):
    syms = (x, y) if f.free_symbols <= {x, y} else (x, y, z)
    F = numeric([sp.diff(f, s) for s in syms], syms)
    f_num = sp.lambdify(syms, f, "numpy")
    d = len(syms)
    assert fl.is_conservative(F, box=[(-1.5, 1.5)] * d)
    rng = np.random.default_rng(2)
    x0 = rng.uniform(-1, 1, d)
    for p in rng.uniform(-1.5, 1.5, size=(4, d)):
        # recovered up to the constant f(x0)
        assert_allclose(fl.potential(F, p, x0=x0), f_num(*p) - f_num(*x0), rtol=1e-12, atol=1e-12)
        assert_allclose(fl.potential(F, p), f_num(*p) - f_num(*np.zeros(d)), rtol=1e-12, atol=1e-12)


def test_rotational_fields_are_not_conservative():
    assert not fl.is_conservative(lambda p: np.array([-p[1], p[0]]), box=[(-1, 1), (-1, 1)])
    assert not fl.is_conservative(lambda p: np.array([p[1] * p[2], 0.0, p[0] ** 2]),
                                  points=[[0.5, 1.0, -1.0], [1.0, 0.2, 0.3]])
    # a gradient plus a small rotational part is caught too
    mix = lambda p: np.array([2 * p[0] - 1e-3 * p[1], 2 * p[1] + 1e-3 * p[0]])  # noqa: E731
    assert not fl.is_conservative(mix, box=[(-1, 1), (-1, 1)])


def test_vortex_has_symmetric_jacobian_away_from_the_hole_but_circulates():
    vortex = lambda p: np.array([-p[1], p[0]]) / (p[0] ** 2 + p[1] ** 2)  # noqa: E731
    assert fl.is_conservative(vortex, box=[(0.5, 2), (0.5, 2)])
    circle = lambda t: np.array([np.cos(t), np.sin(t)])  # noqa: E731
    assert_allclose(fl.circulation(vortex, circle), TWO_PI, rtol=1e-8)


def _paths():
    A, B = np.array([-1.0, 0.5]), np.array([1.2, 1.0])
    straight = lambda t: A + t * (B - A)  # noqa: E731
    bulge = lambda t: A + t * (B - A) + np.array([0.0, 1.5]) * np.sin(np.pi * t)  # noqa: E731
    wiggle = lambda t: A + t * (B - A) + np.array([0.7, -0.4]) * np.sin(2 * np.pi * t)  # noqa: E731
    return A, B, [straight, bulge, wiggle]


def test_path_independence_for_a_gradient_field():
    f = lambda p: p[0] ** 2 * p[1] + np.sin(p[1])  # noqa: E731
    grad = lambda p: np.array([2 * p[0] * p[1], p[0] ** 2 + np.cos(p[1])])  # noqa: E731
    A, B, paths = _paths()
    for r in paths:
        assert_allclose(fl.line_integral(grad, r, None, 0.0, 1.0), f(B) - f(A), rtol=1e-8)
    # reversing the path flips the sign
    assert_allclose(fl.line_integral(grad, paths[1], None, 1.0, 0.0), f(A) - f(B), rtol=1e-8)


def test_path_dependence_for_a_rotational_field():
    rotation = lambda p: np.array([-p[1], p[0]])  # noqa: E731
    A, B, paths = _paths()
    works = [fl.line_integral(rotation, r, None, 0.0, 1.0) for r in paths]
    # closed form along the straight path: integral of (x dy - y dx) = A x B (2-D cross product)
    assert_allclose(works[0], A[0] * B[1] - A[1] * B[0], rtol=1e-9)
    # the difference is the circulation around the loop (out along the bulge, back along the
    # straight path: clockwise), 2 * curl * signed area = -2 * integral of 1.5 sin(pi t) dx
    enclosed = 1.5 * (B[0] - A[0]) * 2 / np.pi
    assert_allclose(works[1] - works[0], -2 * enclosed, rtol=1e-9)
    assert_allclose(works[2] - works[0], 0.0, atol=1e-9)   # the wiggle encloses +A and -A


def test_loss_decrease_along_a_gradient_descent_path_is_a_line_integral():
    # section 8.2: L(start) - L(end) = -integral of grad L along the path actually taken
    rng = np.random.default_rng(8)
    A = rng.normal(size=(3, 3))
    H, b = A @ A.T + np.eye(3), rng.normal(size=3)
    loss = lambda w: 0.5 * w @ H @ w - b @ w  # noqa: E731
    grad = lambda w: H @ w - b  # noqa: E731
    path = [np.array([2.0, -1.0, 0.5])]
    for _ in range(25):
        path.append(path[-1] - 0.05 * grad(path[-1]))
    decrease = loss(path[0]) - loss(path[-1])
    assert decrease > 0
    # the integrand is linear on each segment: 1 node per segment is already exact
    assert_allclose(-fl.polyline_integral(grad, path, n=1), decrease, rtol=1e-12)
    assert_allclose(-fl.polyline_integral(grad, path), decrease, rtol=1e-12)
    # a rotational field along the same path depends on the path, not just its ends
    rot = lambda w: np.array([-w[1], w[0], 0.0])  # noqa: E731
    straight = fl.polyline_integral(rot, [path[0], path[-1]])
    assert abs(fl.polyline_integral(rot, path) - straight) > 1e-3


def test_line_integral_is_independent_of_the_parameterization():
    F = numeric(FIELDS_3D[0], (x, y, z))
    r = lambda t: np.array([np.cos(t), np.sin(t), t / 3])  # noqa: E731
    dr = lambda t: np.array([-np.sin(t), np.cos(t), 1 / 3])  # noqa: E731
    base = fl.line_integral(F, r, dr, 0.0, 2.0)
    assert_allclose(fl.line_integral(F, r, None, 0.0, 2.0), base, rtol=1e-9)
    # s in [0, sqrt(2)] with t = s^2: the same curve traversed at a different speed
    assert_allclose(fl.line_integral(F, lambda s: r(s**2), None, 0.0, np.sqrt(2.0)), base, rtol=1e-8)
    # exact value from sympy
    t = sp.symbols("t", real=True)
    R = (sp.cos(t), sp.sin(t), t / 3)
    integrand = sum(Fi.subs({x: R[0], y: R[1], z: R[2]}) * sp.diff(Ri, t)
                    for Fi, Ri in zip(FIELDS_3D[0], R))
    exact = float(sp.Integral(integrand, (t, 0, 2)).evalf(20))
    assert_allclose(base, exact, rtol=1e-12)


# --- Green's theorem --------------------------------------------------------------------------

def poly_field(CM, CN):
    """F = (M, N) with M = sum CM[i, j] x^i y^j (and N likewise)."""
    return lambda p: np.array([P.polyval2d(p[0], p[1], CM), P.polyval2d(p[0], p[1], CN)])


def exact_curl_integral(CM, CN, box):
    """The double integral of dN/dx - dM/dy over the box, by exact polynomial calculus."""
    (x0, x1), (y0, y1) = box
    curl = np.zeros((CM.shape[0] + 1, CM.shape[1] + 1))
    dN = P.polyder(CN, axis=0)
    dM = P.polyder(CM, axis=1)
    curl[:dN.shape[0], :dN.shape[1]] += dN
    curl[:dM.shape[0], :dM.shape[1]] -= dM
    I = P.polyint(P.polyint(curl, axis=0), axis=1)
    return (P.polyval2d(x1, y1, I) - P.polyval2d(x0, y1, I) - P.polyval2d(x1, y0, I)
            + P.polyval2d(x0, y0, I))


coef = st.floats(-3.0, 3.0)
corner = st.floats(-2.0, 2.0)


@PROPERTY
@given(cm=st.lists(coef, min_size=16, max_size=16), cn=st.lists(coef, min_size=16, max_size=16),
       x0=corner, y0=corner, wx=st.floats(0.1, 2.0), wy=st.floats(0.1, 2.0))
def test_green_on_random_polynomial_fields_and_rectangles(cm, cn, x0, y0, wx, wy):
    CM, CN = np.reshape(cm, (4, 4)), np.reshape(cn, (4, 4))      # degree <= 3 in x and in y
    box = [(x0, x0 + wx), (y0, y0 + wy)]
    check = fl.green_check(poly_field(CM, CN), box, n=5)
    exact = exact_curl_integral(CM, CN, box)
    scale = 1.0 + np.abs(CM).sum() + np.abs(CN).sum()
    # both sides agree with the exact value (Gauss-Legendre with 5 nodes is exact here)
    assert abs(check.boundary - exact) <= 1e-9 * scale
    assert abs(check.region - exact) <= 1e-7 * scale
    assert abs(check.difference) <= 1e-7 * scale


def test_green_area_of_a_disk_and_circulation_orientation():
    # area = 1/2 circulation of (-y, x) counterclockwise; clockwise gives minus the area
    half_rot = lambda p: 0.5 * np.array([-p[1], p[0]])  # noqa: E731
    ccw = lambda t: np.array([2 * np.cos(t), 2 * np.sin(t)])  # noqa: E731
    cw = lambda t: np.array([2 * np.cos(t), -2 * np.sin(t)])  # noqa: E731
    assert_allclose(fl.circulation(half_rot, ccw), 4 * np.pi, rtol=1e-9)
    assert_allclose(fl.circulation(half_rot, cw), -4 * np.pi, rtol=1e-9)


# --- Stokes' theorem --------------------------------------------------------------------------

STOKES_FIELD = (y * z + 2 * y, x**2 - z, x * y * z + y**3)


def exact_circle_circulation(expr):
    """The circulation around the unit circle in the plane z = 0, counterclockwise, by sympy."""
    t = sp.symbols("t", real=True)
    R = (sp.cos(t), sp.sin(t), sp.Integer(0))
    integrand = sum(Fi.subs({x: R[0], y: R[1], z: R[2]}) * sp.diff(Ri, t) for Fi, Ri in zip(expr, R))
    return float(sp.integrate(sp.expand(integrand), (t, 0, 2 * sp.pi)))


def hemisphere(th, ph):
    return np.array([np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph), np.cos(th)])


def paraboloid(height):
    return lambda rho, ph: np.array([rho * np.cos(ph), rho * np.sin(ph), height * (1 - rho**2)])


def unit_circle(t):
    return np.array([np.cos(t), np.sin(t), 0.0])


@pytest.mark.parametrize("surface, u_lim", [
    (hemisphere, (0.0, np.pi / 2)),          # S_theta x S_phi points outward (up at the top)
    (paraboloid(1.0), (0.0, 1.0)),           # S_rho x S_phi = (2 rho^2 cos, 2 rho^2 sin, rho): up
    (paraboloid(3.0), (0.0, 1.0)),           # a taller cap, same boundary
    (paraboloid(-0.5), (0.0, 1.0)),          # a cap below the plane, same boundary
])
def test_stokes_flux_of_curl_equals_circulation_of_the_boundary_circle(surface, u_lim):
    F = numeric(STOKES_FIELD, (x, y, z))
    exact = exact_circle_circulation(STOKES_FIELD)
    assert abs(exact) > 1                      # a nontrivial value: -2 pi here
    check = fl.stokes_check(F, surface, u_lim, (0.0, TWO_PI), boundary=unit_circle, n=24)
    assert_allclose(check.boundary, exact, rtol=1e-8)
    assert_allclose(check.region, exact, rtol=1e-7)
    # the automatic boundary (image of the parameter rectangle's boundary) agrees
    auto = fl.stokes_check(F, surface, u_lim, (0.0, TWO_PI), n=24)
    assert_allclose(auto.boundary, exact, rtol=1e-7)


def test_stokes_orientation_reversed_boundary_or_swapped_parameters_flip_the_sign():
    F = numeric(STOKES_FIELD, (x, y, z))
    exact = exact_circle_circulation(STOKES_FIELD)
    clockwise = lambda t: np.array([np.cos(t), -np.sin(t), 0.0])  # noqa: E731
    check = fl.stokes_check(F, hemisphere, (0.0, np.pi / 2), (0.0, TWO_PI), boundary=clockwise, n=16)
    assert_allclose(check.boundary, -exact, rtol=1e-8)
    assert_allclose(check.region, exact, rtol=1e-7)       # the surface side did not change
    swapped = lambda ph, th: hemisphere(th, ph)  # noqa: E731  normal S_phi x S_theta: inward
    inward = fl.flux(lambda p: fl.curl(F, p), swapped, (0.0, TWO_PI), (0.0, np.pi / 2), n=16)
    assert_allclose(inward, -exact, rtol=1e-7)


def test_flux_through_sphere_with_analytic_normal_and_closed_form():
    # F = (x, y, z) through the sphere of radius 2: F.n = 2 everywhere, area 16 pi -> 32 pi
    R = 2.0
    S = lambda th, ph: R * hemisphere(th, ph)  # noqa: E731
    normal = lambda th, ph: R**2 * np.sin(th) * hemisphere(th, ph)  # noqa: E731
    val = fl.flux(lambda p: np.array(p), S, (0.0, np.pi), (0.0, TWO_PI), n=16, normal=normal)
    assert_allclose(val, 32 * np.pi, rtol=1e-13)
    val_num = fl.flux(lambda p: np.array(p), S, (0.0, np.pi), (0.0, TWO_PI), n=16)
    assert_allclose(val_num, 32 * np.pi, rtol=1e-8)


# --- divergence theorem ----------------------------------------------------------------------

DIV_FIELD = (x**3 + y * z, y**2 * x - z, z * x**2 + y**3)


def test_divergence_theorem_on_a_box_against_sympy():
    F = numeric(DIV_FIELD, (x, y, z))
    box = [(-0.5, 1.0), (0.0, 2.0), (-1.0, 0.3)]
    div = sum(sp.diff(c, s) for c, s in zip(DIV_FIELD, (x, y, z)))
    exact = float(sp.integrate(div, (x, *box[0]), (y, *box[1]), (z, *box[2])))
    check = fl.divergence_check(F, box=box, n=4)
    assert_allclose(check.boundary, exact, rtol=1e-12)
    assert_allclose(check.region, exact, rtol=1e-8)


def test_divergence_theorem_on_a_ball():
    # F = (x^3, y^3, z^3): div = 3 r^2, integral over the ball of radius R = 12 pi R^5 / 5
    cube = lambda p: np.asarray(p) ** 3  # noqa: E731
    R = 1.3
    check = fl.divergence_check(cube, ball=((0.0, 0.0, 0.0), R), n=12)
    assert_allclose(check.boundary, 12 * np.pi * R**5 / 5, rtol=1e-10)
    assert_allclose(check.region, 12 * np.pi * R**5 / 5, rtol=1e-8)
    # an off-center ball and a non-polynomial field: the two sides still agree
    F = numeric((sp.sin(x) * y, sp.exp(z / 2) + y**2, x * z), (x, y, z))
    check = fl.divergence_check(F, ball=((0.3, -0.2, 0.5), 0.8), n=12)
    assert abs(check.difference) <= 1e-7 * max(1.0, abs(check.region))


def test_divergence_free_field_has_zero_outward_flux():
    F = lambda p: np.array([p[1] * p[2] - p[1], p[0] * p[2] + p[0], -1.0])  # noqa: E731
    check = fl.divergence_check(F, box=[(0, 1), (-1, 1), (0, 2)], n=4)
    assert abs(check.boundary) <= 1e-12 and abs(check.region) <= 1e-8


def test_divergence_check_with_a_closed_form_divergence():
    # the divergence by sympy, lambdified (vectorized over the nodes): both sides against sympy
    F = numeric(DIV_FIELD, (x, y, z))
    div_expr = sum(sp.diff(c, s) for c, s in zip(DIV_FIELD, (x, y, z)))
    div_num = sp.lambdify((x, y, z), div_expr, "numpy")
    div = lambda p: div_num(p[0], p[1], p[2]) + 0 * p[0]  # noqa: E731
    box = [(-0.5, 1.0), (0.0, 2.0), (-1.0, 0.3)]
    exact = float(sp.integrate(div_expr, (x, *box[0]), (y, *box[1]), (z, *box[2])))
    check = fl.divergence_check(F, box=box, n=4, div=div)
    assert_allclose([check.boundary, check.region], exact, rtol=1e-12)
    # the ball: div of (x^3, y^3, z^3) is 3 r^2, its integral 12 pi R^5 / 5
    R = 1.3
    ball = fl.divergence_check(lambda p: np.asarray(p) ** 3, ball=((0.2, 0.0, -0.1), R), n=12,
                               div=lambda p: 3 * (p**2).sum(axis=0))
    shifted = 12 * np.pi * R**5 / 5 + 3 * (4 / 3 * np.pi * R**3) * (0.2**2 + 0.1**2)
    assert_allclose([ball.boundary, ball.region], shifted, rtol=1e-10)
    # a wrong formula makes the two sides differ
    wrong = fl.divergence_check(F, box=box, n=4, div=lambda p: 2 * div(p))
    assert abs(wrong.difference) > 0.5 * abs(exact)


def test_divergence_check_rejects_a_div_that_is_not_vectorized():
    F = lambda p: np.asarray(p) ** 3  # noqa: E731
    with pytest.raises(ValueError, match=r"div must accept the nodes as one array \(3, m\)"):
        fl.divergence_check(F, box=[(0, 1)] * 3, n=3, div=lambda p: 3.0)
    with pytest.raises(ValueError, match="coordinate-wise"):      # sums over all nodes
        fl.divergence_check(F, box=[(0, 1)] * 3, n=3, div=lambda p: 3 * (p**2).sum(axis=0) / np.max(p))
    with pytest.raises(ValueError, match="no"):
        fl.divergence_check(F, box=[(0, 1)] * 3, n=3, div=lambda p: 3 * (p**2).sum(axis=0), h=1e-4)


# --- Hutchinson's trace estimator -------------------------------------------------------------

def _matrix(d=12, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(d, d)) + 3 * np.eye(d)


@pytest.mark.parametrize("dist", ["rademacher", "gaussian"])
def test_hutchinson_is_unbiased_within_four_standard_errors(dist):
    A = _matrix()
    est = fl.hutchinson_trace(A, 500, rng=np.random.default_rng(1), dist=dist)
    assert est.samples.shape == (500,)
    assert abs(est.estimate - np.trace(A)) <= 4 * est.stderr
    # the sample variance matches the theory: 2 sum_{i != j} Ahat_ij^2 or 2 ||Ahat||_F^2
    Ahat = (A + A.T) / 2
    var = 2 * (np.sum(Ahat**2) - (np.sum(np.diag(Ahat) ** 2) if dist == "rademacher" else 0.0))
    assert_allclose(est.samples.var(ddof=1), var, rtol=0.2)


def test_hutchinson_variance_shrinks_like_one_over_n():
    A = _matrix(8, seed=3)
    rng = np.random.default_rng(4)
    spread = {n: np.var([fl.hutchinson_trace(A, n, rng=rng).estimate for _ in range(400)])
              for n in (10, 160)}
    assert_allclose(spread[10] / spread[160], 16.0, rtol=0.3)


def test_hutchinson_with_a_matvec_and_exactness_on_diagonal_matrices():
    A = _matrix(6, seed=5)
    a = fl.hutchinson_trace(A, 50, rng=7)
    b = fl.hutchinson_trace(lambda v: A @ v, 50, dim=6, rng=7)
    assert_allclose(b.samples, a.samples, rtol=1e-14)
    # z^T D z = tr D for every Rademacher z (z_i^2 = 1): zero variance
    D = np.diag([1.0, -2.0, 5.0])
    est = fl.hutchinson_trace(D, 10, rng=0)
    assert est.estimate == 4.0 and est.stderr == 0.0


def test_hutchinson_divergence_of_a_field_via_jacobian_vector_products():
    F = numeric(DIV_FIELD, (x, y, z))
    p = np.array([0.4, -0.3, 1.1])
    h = 1e-6
    jvp = lambda v: (F(p + h * v) - F(p - h * v)) / (2 * h)  # noqa: E731
    est = fl.hutchinson_trace(jvp, 400, dim=3, rng=2)
    assert abs(est.estimate - fl.divergence(F, p)) <= 4 * est.stderr + 1e-6


# --- shoelace ---------------------------------------------------------------------------------

def test_polygon_area_known_shapes_and_orientation():
    square = [[0, 0], [2, 0], [2, 2], [0, 2]]
    assert fl.polygon_area(square) == 4.0
    assert fl.polygon_area(square, signed=True) == 4.0
    assert fl.polygon_area(square[::-1], signed=True) == -4.0
    assert fl.polygon_area(square[::-1]) == 4.0
    assert fl.polygon_area([[0, 0], [4, 0], [0, 3]]) == 6.0
    L_shape = [[0, 0], [3, 0], [3, 1], [1, 1], [1, 3], [0, 3]]   # non-convex: 3 + 2
    assert fl.polygon_area(L_shape) == 5.0
    assert fl.polygon_area(square + [square[0]]) == 4.0            # closing vertex repeated
    for m in (3, 6, 50):
        t = TWO_PI * np.arange(m) / m
        regular = np.c_[np.cos(t), np.sin(t)]
        assert_allclose(fl.polygon_area(regular), m / 2 * np.sin(TWO_PI / m), rtol=1e-14)
    # far from the origin: no cancellation
    assert_allclose(fl.polygon_area(np.array(square, float) + 1e8), 4.0, rtol=1e-14)


@PROPERTY
@given(seed=st.integers(0, 10_000), m=st.integers(3, 30))
def test_polygon_area_of_convex_hulls_matches_scipy_and_green(seed, m):
    pts = np.random.default_rng(seed).normal(size=(max(m, 3), 2))
    hull = scipy.spatial.ConvexHull(pts)
    V = pts[hull.vertices]                   # counterclockwise for 2-D hulls
    assert_allclose(fl.polygon_area(V, signed=True), hull.volume, rtol=1e-12)
    # Green: area = 1/2 circulation of (-y, x) along the edges
    half_rot = lambda p: 0.5 * np.array([-p[1], p[0]])  # noqa: E731
    circ = sum(fl.line_integral(half_rot, lambda t, a=a, b=b: a + t * (b - a), lambda t, a=a, b=b: b - a,
                                0.0, 1.0, n=1)
               for a, b in zip(V, np.roll(V, -1, axis=0)))
    assert_allclose(circ, hull.volume, rtol=1e-12)


# --- errors ----------------------------------------------------------------------------------

def test_errors_say_what_to_do():
    rot2 = lambda p: np.array([-p[1], p[0]])  # noqa: E731
    rot3 = lambda p: np.array([-p[1], p[0], 0.0])  # noqa: E731
    with pytest.raises(TypeError, match="F must be a function"):
        fl.divergence(np.array([1.0, 2.0]), [0.0, 0.0])
    with pytest.raises(ValueError, match=r"shape \(2,\), got \(3,\); F looks like a 3-D field"):
        fl.curl(rot3, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"shape \(3,\), got \(2,\); F looks like a 2-D field"):
        fl.divergence(rot2, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="curl is defined for 2-D fields"):
        fl.curl(lambda p: p, np.ones(4))
    with pytest.raises(ValueError, match="non-finite"):
        fl.divergence(rot2, [np.nan, 0.0])
    with pytest.raises(ValueError, match="not finite"), np.errstate(invalid="ignore"):
        fl.divergence(lambda p: np.array([np.log(p[0]), p[1]]), [-1.0, 0.0])
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        fl.hutchinson_trace(np.eye(3), 1)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        fl.line_integral(rot2, lambda t: np.array([t, t]), n=0)
    with pytest.raises(TypeError, match="n must be an integer"):
        fl.flux(rot3, hemisphere, (0, 1), (0, 1), n=2.5)
    with pytest.raises(ValueError, match="dim is required"):
        fl.hutchinson_trace(lambda v: v, 10)
    with pytest.raises(ValueError, match="dist must be 'rademacher' or 'gaussian'"):
        fl.hutchinson_trace(np.eye(2), 10, dist="uniform")
    with pytest.raises(ValueError, match="at least 2 points"):
        fl.polyline_integral(rot2, [[0.0, 1.0]])
    with pytest.raises(ValueError, match="at least 3 vertices"):
        fl.polygon_area([[0, 0], [1, 1]])
    with pytest.raises(ValueError, match="not closed.*use line_integral"):
        fl.circulation(rot2, lambda t: np.array([t, 0.0]), 0.0, 1.0)
    with pytest.raises(ValueError, match="low < high"):
        fl.green_check(rot2, [(1, 0), (0, 1)])
    with pytest.raises(ValueError, match="exactly one of points"):
        fl.is_conservative(rot2)
    with pytest.raises(ValueError, match="exactly one of box"):
        fl.divergence_check(rot3)
    with pytest.raises(ValueError, match=r"S\(u, v\) must return a point in 3-D"):
        fl.flux(rot3, lambda u, v: np.array([u, v]), (0, 1), (0, 1))
