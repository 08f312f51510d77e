"""Tests of calclib.integrate (chapter 6) against oracles.

Expected values come from closed forms (pi, 2*pi*sqrt(det Sigma), areas and volumes),
exact sympy integrals, scipy.integrate (dblquad, tplquad), scipy.stats densities, and the
forward change-of-variables formula; never from calclib itself. The error orders the
docstrings claim (midpoint n^-2, Simpson n^-4, n^-3/2 for a disk) are measured by fitting
log(error) against log(n).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.integrate
import scipy.stats
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from calclib import integrate as ci

PROPERTY = settings(derandomize=True, max_examples=40, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

gauss = lambda x, y: np.exp(-(x ** 2 + y ** 2))  # noqa: E731
one2 = lambda x, y: 1.0  # noqa: E731
one3 = lambda x, y, z: 1.0  # noqa: E731


def semicircle(x):
    return np.sqrt(np.clip(1.0 - x ** 2, 0.0, None))


def slope(ns, errors):
    """Observed order: the slope of log(error) against log(n)."""
    return np.polyfit(np.log(ns), np.log(errors), 1)[0]


# --------------------------------------------------------------------------------------
# one-dimensional rules
# --------------------------------------------------------------------------------------

def test_rule_nodes_midpoint_and_simpson_layout():
    x, w = ci.rule_nodes(0, 1, 4, "midpoint")
    assert_allclose(x, [0.125, 0.375, 0.625, 0.875], rtol=0, atol=1e-15)
    assert_allclose(w, [0.25] * 4, rtol=1e-15)
    x, w = ci.rule_nodes(-1, 1, 4, "simpson")
    assert_allclose(x, [-1, -0.5, 0, 0.5, 1], rtol=0, atol=1e-15)
    assert_allclose(w, np.array([1, 4, 2, 4, 1]) * 0.5 / 3, rtol=1e-15)


@pytest.mark.parametrize("rule,degree", [("midpoint", 1), ("simpson", 3)])
def test_rule_nodes_exact_degree_and_not_one_more(rule, degree):
    a, b = -0.7, 2.3
    x, w = ci.rule_nodes(a, b, 6, rule)
    for k in range(degree + 1):
        assert_allclose(w @ x ** k, (b ** (k + 1) - a ** (k + 1)) / (k + 1), rtol=1e-13)
    k = degree + 1   # one degree more is not exact: the claimed order is the real one
    assert abs(w @ x ** k - (b ** (k + 1) - a ** (k + 1)) / (k + 1)) > 1e-4


# --------------------------------------------------------------------------------------
# the numbers the course states: pi and 2*pi*sqrt(det Sigma)
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("rule", ["midpoint", "simpson"])
def test_gaussian_integral_is_pi_on_a_large_box(rule):
    # beyond |x| = 8 the integrand is below e^-64: the truncation is invisible
    assert_allclose(ci.double_integral(gauss, -8, 8, -8, 8, 200, rule), np.pi, rtol=1e-14)


def test_gaussian_integral_is_pi_in_polar_coordinates():
    # f is radial: any number of theta cells is exact; the r direction carries the error
    assert_allclose(ci.polar_integral(gauss, 8, n=(2000, 4), rule="simpson"), np.pi, rtol=1e-10)
    assert_allclose(ci.polar_integral(gauss, 8, n=400), np.pi, rtol=1e-4)
    # the polar factor r is what makes it work: without it the value is wrong
    assert abs(ci.double_integral(lambda r, t: np.exp(-r ** 2), 0, 8, 0, 2 * np.pi, 400)
               - np.pi) > 1


SIGMAS = [
    np.eye(2),
    np.diag([4.0, 0.25]),
    np.array([[2.0, 0.9], [0.9, 1.0]]),
    np.array([[1.0, -0.95], [-0.95, 1.0]]),
    np.array([[0.01, 0.003], [0.003, 0.02]]),
]


@pytest.mark.parametrize("Sigma", SIGMAS, ids=range(len(SIGMAS)))
def test_gaussian_normalizing_constant_is_2pi_sqrt_det_sigma(Sigma):
    mu = np.array([0.3, -1.2])
    kernel = ci.gaussian_density_2d(mu, Sigma, normalized=False)
    sx, sy = np.sqrt(np.diag(Sigma))
    Z = ci.double_integral(kernel, mu[0] - 12 * sx, mu[0] + 12 * sx,
                           mu[1] - 12 * sy, mu[1] + 12 * sy, 200)
    assert_allclose(Z, 2 * np.pi * np.sqrt(np.linalg.det(Sigma)), rtol=1e-10)
    p = ci.gaussian_density_2d(mu, Sigma)
    total = ci.double_integral(p, mu[0] - 12 * sx, mu[0] + 12 * sx,
                               mu[1] - 12 * sy, mu[1] + 12 * sy, 200)
    assert_allclose(total, 1.0, rtol=1e-10)


def test_gaussian_density_matches_scipy():
    rng = np.random.default_rng(3)
    for Sigma in SIGMAS:
        mu = rng.normal(size=2)
        pts = mu + rng.normal(size=(50, 2)) * np.sqrt(np.diag(Sigma)) * 2
        expected = scipy.stats.multivariate_normal(mu, Sigma).pdf(pts)
        assert_allclose(ci.gaussian_density_2d(mu, Sigma)(pts[:, 0], pts[:, 1]), expected, rtol=1e-12)
    assert isinstance(ci.gaussian_density_2d([0, 0], np.eye(2))(0.0, 0.0), float)
    assert_allclose(ci.gaussian_density_2d([0, 0], np.eye(2))(0.0, 0.0), 1 / (2 * np.pi), rtol=1e-15)


def test_probability_of_regions_against_scipy_stats():
    Sigma = np.array([[1.0, 0.6], [0.6, 2.0]])
    mu = np.array([0.5, -0.5])
    p = ci.gaussian_density_2d(mu, Sigma)
    mvn = scipy.stats.multivariate_normal(mu, Sigma)
    # a rectangle: inclusion-exclusion on the CDF
    a, b, c, d = -0.5, 1.0, -1.0, 0.7
    expected = mvn.cdf([b, d]) - mvn.cdf([a, d]) - mvn.cdf([b, c]) + mvn.cdf([a, c])
    assert_allclose(ci.probability_of_region(p, a, b, c, d, n=100, rule="simpson"), expected,
                    rtol=1e-5)
    # half-plane x <= mu_x has probability 1/2 (to 12 standard deviations)
    sy = np.sqrt(Sigma[1, 1])
    half = ci.probability_of_region(p, mu[0] - 12, mu[0], mu[1] - 12 * sy, mu[1] + 12 * sy,
                                    n=200, rule="simpson")
    assert_allclose(half, 0.5, rtol=1e-10)
    # the triangle below the line y = x (a region with a bound function)
    upper = 12.0
    tri = ci.probability_of_region(p, mu[0] - 12, mu[0] + 12, lambda x: -upper + 0 * x,
                                   lambda x: x, n=400, rule="simpson")
    # X2 - X1 ~ N(mu2 - mu1, S11 + S22 - 2 S12): P(X2 <= X1) in closed form
    sd = np.sqrt(Sigma[0, 0] + Sigma[1, 1] - 2 * Sigma[0, 1])
    assert_allclose(tri, scipy.stats.norm.cdf(0, loc=mu[1] - mu[0], scale=sd), rtol=1e-7)


def test_probability_of_a_disk_in_polar_coordinates():
    p = ci.gaussian_density_2d([0, 0], np.eye(2))
    for r in (0.5, 1.5, 3.0):
        # ||X||^2 ~ chi-square with 2 degrees of freedom: P(||X|| <= r) = 1 - exp(-r^2/2)
        assert_allclose(ci.polar_integral(p, r, n=200, rule="simpson"), 1 - np.exp(-r ** 2 / 2),
                        rtol=1e-9)


# --------------------------------------------------------------------------------------
# exact answers: polynomials, sympy, scipy
# --------------------------------------------------------------------------------------

@PROPERTY
@given(st.lists(st.floats(-3, 3), min_size=16, max_size=16),
       st.floats(-2, 1), st.floats(0.1, 3), st.floats(-2, 1), st.floats(0.1, 3))
def test_simpson_is_exact_for_bicubic_polynomials(coef, a, w1, c, w2):
    C = np.array(coef).reshape(4, 4)
    b, d = a + w1, c + w2
    f = lambda x, y: sum(C[i, j] * x ** i * y ** j for i in range(4) for j in range(4))  # noqa: E731
    exact = sum(C[i, j] * (b ** (i + 1) - a ** (i + 1)) / (i + 1)
                * (d ** (j + 1) - c ** (j + 1)) / (j + 1) for i in range(4) for j in range(4))
    scale = np.abs(C).sum() * max(1.0, abs(a), abs(b), abs(c), abs(d)) ** 6 * w1 * w2
    assert abs(ci.double_integral(f, a, b, c, d, 2, "simpson") - exact) <= 1e-12 * scale


def test_triple_integral_of_xyz():
    box = [(0.5, 2.0), (-1.0, 3.0), (1.0, 1.5)]
    exact = np.prod([(hi ** 2 - lo ** 2) / 2 for lo, hi in box])
    for rule, n in (("midpoint", 1), ("midpoint", 7), ("simpson", 2)):  # exact: linear per axis
        assert_allclose(ci.triple_integral(lambda x, y, z: x * y * z, box, n, rule), exact,
                        rtol=1e-13)
    assert_allclose(ci.triple_integral(lambda x, y, z: x * y * z, [(0, 1)] * 3, 4), 1 / 8,
                    rtol=1e-14)


x_, y_ = sp.symbols("x y")
SYMPY_CASES = [
    # (integrand, x-limits, y-limits as expressions in x)
    (x_ ** 2 * y_ + 3 * y_ ** 3, (0, 2), (-1, 1)),
    (sp.exp(x_ + 2 * y_), (0, 1), (0, 1)),
    (sp.sin(x_) * sp.cos(y_), (0, sp.pi), (0, sp.pi / 2)),
    (sp.exp(-x_) * y_ ** 2, (0, 3), (0, 2)),
    (x_ * y_, (0, 1), (0, x_)),                      # triangle under y = x
    (sp.exp(x_ + y_), (0, 1), (x_ ** 2, x_)),          # between a parabola and a line
    (sp.sin(x_ + y_), (0, 1), (0, 1 - x_)),            # triangle x + y <= 1
    (sp.cos(x_) * y_ ** 3 + x_, (-1, 2), (x_ - 1, 2 * x_ + 3)),
]


@pytest.mark.parametrize("expr,xl,yl", SYMPY_CASES, ids=[str(c[0]) for c in SYMPY_CASES])
def test_against_sympy_exact_integrals(expr, xl, yl):
    exact = float(sp.integrate(sp.integrate(expr, (y_, *yl)), (x_, *xl)))
    f = sp.lambdify((x_, y_), expr, "numpy")
    g1, g2 = (sp.lambdify(x_, sp.sympify(g) + 0 * x_, "numpy") for g in yl)
    a, b = (float(v) for v in xl)
    tol = 1e-8 * max(1.0, abs(exact))   # Simpson, n = 200: about (h/2)^4 of the scale
    got = ci.double_integral_region(f, a, b, g1, g2, n=200, rule="simpson")
    assert abs(got - exact) <= tol
    if all(sp.sympify(g).is_number for g in yl):   # a rectangle: the box routine too
        c, d = (float(v) for v in yl)
        assert abs(ci.double_integral(f, a, b, c, d, 200, "simpson") - exact) <= tol


def test_against_scipy_dblquad_and_tplquad():
    f = lambda x, y: np.cos(x * y) + x ** 2 * np.exp(-y)  # noqa: E731
    lo, hi = (lambda x: np.sin(x) - 1), (lambda x: 1 + x ** 2)
    ref, _ = scipy.integrate.dblquad(lambda y, x: f(x, y), 0, 2, lo, hi, epsabs=1e-13, epsrel=1e-13)
    assert_allclose(ci.double_integral_region(f, 0, 2, lo, hi, 400, "simpson"), ref, rtol=5e-9)

    g = lambda x, y, z: x * y + z ** 2 + np.sin(x + z)  # noqa: E731
    ref3, _ = scipy.integrate.tplquad(lambda z, y, x: g(x, y, z), 0, 1, lambda x: x ** 2,
                                      lambda x: 1 + x, lambda x, y: x - y, lambda x, y: x + y ** 2,
                                      epsabs=1e-12, epsrel=1e-12)
    got3 = ci.triple_integral_region(g, 0, 1, lambda x: x ** 2, lambda x: 1 + x,
                                     lambda x, y: x - y, lambda x, y: x + y ** 2, 80, "simpson")
    assert_allclose(got3, ref3, rtol=2e-8)


def test_areas_and_volumes_of_regions():
    # triangle: the inner length is linear in x, so the midpoint rule is exact
    assert_allclose(ci.double_integral_region(one2, 0, 2, 0, lambda x: 3 * x / 2, 5), 3.0, rtol=1e-14)
    # disk: the boundary has vertical tangents, so convergence is slower (see the order test)
    disk = ci.double_integral_region(one2, -1, 1, lambda x: -semicircle(x), semicircle, 800)
    assert_allclose(disk, np.pi, rtol=2e-5)
    tetra = ci.triple_integral_region(one3, 0, 1, 0, lambda x: 1 - x, 0, lambda x, y: 1 - x - y,
                                      4, "simpson")
    assert_allclose(tetra, 1 / 6, rtol=1e-14)
    ball = ci.triple_integral_region(one3, -1, 1, lambda x: -semicircle(x), semicircle,
                                     lambda x, y: -np.sqrt(np.clip(1 - x ** 2 - y ** 2, 0, None)),
                                     lambda x, y: np.sqrt(np.clip(1 - x ** 2 - y ** 2, 0, None)), 100)
    assert_allclose(ball, 4 * np.pi / 3, rtol=1e-3)


# --------------------------------------------------------------------------------------
# observed convergence orders
# --------------------------------------------------------------------------------------

def test_midpoint_converges_like_n_minus_2_and_simpson_like_n_minus_4():
    f = lambda x, y: np.exp(x) * np.cos(y)  # noqa: E731
    exact = (np.e - 1) * np.sin(2.0)
    ns = np.array([4, 8, 16, 32, 64])
    mid = [abs(ci.double_integral(f, 0, 1, 0, 2, n) - exact) for n in ns]
    simp = [abs(ci.double_integral(f, 0, 1, 0, 2, n, "simpson") - exact) for n in ns]
    assert abs(slope(ns, mid) - (-2)) <= 0.05
    assert abs(slope(ns, simp) - (-4)) <= 0.1
    # halving h divides the midpoint error by 4 and Simpson's by 16
    assert_allclose(np.array(mid[:-1]) / mid[1:], 4, rtol=0.02)
    assert_allclose(np.array(simp[:-1]) / simp[1:], 16, rtol=0.05)


def test_orders_in_three_dimensions_on_regions_and_in_polar_coordinates():
    g = lambda x, y, z: np.exp(x + y + z)  # noqa: E731
    exact3 = (np.e - 1) ** 3
    ns = np.array([4, 8, 16, 32])
    mid = [abs(ci.triple_integral(g, [(0, 1)] * 3, n) - exact3) for n in ns]
    simp = [abs(ci.triple_integral(g, [(0, 1)] * 3, n, "simpson") - exact3) for n in ns]
    assert abs(slope(ns, mid) + 2) <= 0.05 and abs(slope(ns, simp) + 4) <= 0.1

    # a smooth region: exp(x + y) between y = x^2 and y = x (exact value from sympy)
    exact_r = float(sp.integrate(sp.integrate(sp.exp(x_ + y_), (y_, x_ ** 2, x_)), (x_, 0, 1)))
    ns = np.array([8, 16, 32, 64])
    err = lambda rule: [abs(ci.double_integral_region(lambda x, y: np.exp(x + y), 0, 1,  # noqa: E731
                                                      lambda x: x ** 2, lambda x: x, n, rule)
                            - exact_r) for n in ns]
    assert abs(slope(ns, err("midpoint")) + 2) <= 0.05
    assert abs(slope(ns, err("simpson")) + 4) <= 0.15

    # the disk: the docstring's n^-3/2
    ns = np.array([32, 64, 128, 256, 512])
    disk = [abs(ci.double_integral_region(one2, -1, 1, lambda x: -semicircle(x), semicircle, n)
                - np.pi) for n in ns]
    assert abs(slope(ns, disk) + 1.5) <= 0.1

    # polar midpoint: O(h^2) in r (the integrand r e^{-r^2} is not periodic in r)
    ns = np.array([25, 50, 100, 200])
    pol = [abs(ci.polar_integral(gauss, 8, n=(n, 4)) - np.pi) for n in ns]
    assert abs(slope(ns, pol) + 2) <= 0.05


# --------------------------------------------------------------------------------------
# Monte Carlo
# --------------------------------------------------------------------------------------

def test_monte_carlo_true_value_within_four_standard_errors():
    f = lambda x, y: np.exp(x) * np.cos(y)  # noqa: E731
    exact = (np.e - 1) * np.sin(2.0)
    for seed in range(10):
        res = ci.monte_carlo(f, [(0, 1), (0, 2)], n=20_000, rng=seed)
        assert isinstance(res, ci.MonteCarloResult) and res.n == 20_000
        assert abs(res.value - exact) <= 4 * res.stderr
        lo, hi = res.interval(4.0)
        assert lo <= exact <= hi
    # the volume factor: f = 1 gives the volume with zero standard error
    res = ci.monte_carlo(one3, [(0, 2), (0, 3), (-1, 1)], n=1000)
    assert res.value == pytest.approx(12.0, rel=1e-15) and res.stderr == pytest.approx(0.0, abs=1e-14)


def test_monte_carlo_standard_error_shrinks_like_one_over_sqrt_n():
    f = lambda x, y: x ** 2 + np.sin(3 * y)  # noqa: E731
    se = [ci.monte_carlo(f, [(0, 1), (0, 1)], n=n, rng=1).stderr for n in (10_000, 160_000)]
    assert_allclose(se[0] / se[1], 4.0, rtol=0.05)
    # and it estimates the real spread: the standard deviation over 200 seeds
    values = [ci.monte_carlo(f, [(0, 1), (0, 1)], n=2_000, rng=s).value for s in range(200)]
    se_2000 = ci.monte_carlo(f, [(0, 1), (0, 1)], n=2_000, rng=0).stderr
    assert_allclose(np.std(values, ddof=1), se_2000, rtol=0.15)


def test_monte_carlo_with_a_sampler_expectation_and_probability():
    Sigma = np.array([[2.0, 0.5], [0.5, 1.0]])

    def sampler(rng, n):
        return rng.multivariate_normal([0.0, 0.0], Sigma, size=n)

    res = ci.monte_carlo(lambda x, y: x ** 2 + y ** 2, sampler=sampler, n=200_000, rng=7)
    assert abs(res.value - np.trace(Sigma)) <= 4 * res.stderr
    # P(X in quadrant) via an indicator, against scipy's CDF
    mvn = scipy.stats.multivariate_normal([0, 0], Sigma)
    res = ci.monte_carlo(lambda x, y: (x <= 0) & (y <= 0), sampler=sampler, n=200_000, rng=8)
    assert abs(res.value - mvn.cdf([0, 0])) <= 4 * res.stderr
    # a 1-D sampler may return shape (n,)
    res = ci.monte_carlo(lambda x: x ** 2, sampler=lambda rng, n: rng.normal(size=n), n=100_000)
    assert abs(res.value - 1.0) <= 4 * res.stderr


def test_monte_carlo_is_reproducible_and_batches_large_n():
    f = lambda x, y, z: x * y * z  # noqa: E731
    r1 = ci.monte_carlo(f, [(0, 1)] * 3, n=1000, rng=5)
    r2 = ci.monte_carlo(f, [(0, 1)] * 3, n=1000, rng=np.random.default_rng(5))
    assert r1 == r2
    assert ci.monte_carlo(f, [(0, 1)] * 3, n=1000) == ci.monte_carlo(f, [(0, 1)] * 3, n=1000, rng=0)
    big = ci.monte_carlo(f, [(0, 1)] * 3, n=2_500_000, rng=2)   # three batches
    assert abs(big.value - 1 / 8) <= 4 * big.stderr
    # the batched mean/variance equal the one-pass ones on the same draws
    rng = np.random.default_rng(2)
    draws = np.concatenate([rng.random((m, 3)) for m in (1_000_000, 1_000_000, 500_000)])
    vals = draws.prod(axis=1)
    assert_allclose(big.value, vals.mean(), rtol=1e-12)
    assert_allclose(big.stderr, vals.std(ddof=1) / np.sqrt(vals.size), rtol=1e-9)


# --------------------------------------------------------------------------------------
# change of variables
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("M", [[[2.0, 1.0], [1.0, 3.0]], [[0.5, -2.0], [1.5, 0.2]],
                               [[0.0, 1.0], [1.0, 0.0]]])   # the last one reverses orientation
def test_affine_map_area_is_abs_det(M):
    M = np.array(M)
    c = np.array([1.0, -2.0])
    T = lambda u, v: (M[0, 0] * u + M[0, 1] * v + c[0], M[1, 0] * u + M[1, 1] * v + c[1])  # noqa: E731
    box = [(0, 2), (-1, 0.5)]
    area = abs(np.linalg.det(M)) * 3.0
    assert_allclose(ci.integrate_mapped(one2, T, box, 10), area, rtol=1e-9)   # numerical det
    assert_allclose(ci.integrate_mapped(one2, T, box, 10, jacobian_det=lambda u, v: np.linalg.det(M)),
                    area, rtol=1e-14)
    # a linear integrand over the parallelogram: its centroid times its area
    centroid = M @ [1.0, -0.25] + c
    assert_allclose(ci.integrate_mapped(lambda x, y: x, T, box, 3), centroid[0] * area, rtol=1e-9)


def test_polar_and_spherical_maps_with_a_numerical_jacobian():
    T = lambda r, t: (r * np.cos(t), r * np.sin(t))  # noqa: E731
    assert_allclose(ci.integrate_mapped(one2, T, [(0, 2), (0, 2 * np.pi)], 50, "simpson"),
                    4 * np.pi, rtol=1e-9)
    assert_allclose(ci.integrate_mapped(gauss, T, [(0, 8), (0, 2 * np.pi)], (2000, 4), "simpson"),
                    np.pi, rtol=1e-9)
    S = lambda r, t, p: (r * np.sin(t) * np.cos(p), r * np.sin(t) * np.sin(p), r * np.cos(t))  # noqa: E731
    assert_allclose(ci.integrate_mapped(one3, S, [(0, 1), (0, np.pi), (0, 2 * np.pi)], 40,
                                        "simpson"), 4 * np.pi / 3, rtol=1e-6)
    # the analytic r^2 sin(theta) gives the same
    assert_allclose(ci.integrate_mapped(one3, S, [(0, 1), (0, np.pi), (0, 2 * np.pi)], 40, "simpson",
                                        jacobian_det=lambda r, t, p: r ** 2 * np.sin(t)),
                    4 * np.pi / 3, rtol=1e-6)


def test_numerical_jacobian_determinant_agrees_with_calclib_derivatives():
    from calclib.derivatives import jacobian
    from calclib.integrate import _jacobian_det, _mapping

    def T(u, v):
        return u * np.cos(v) + v ** 2, np.exp(0.3 * u) * np.sin(v)

    rng = np.random.default_rng(2)
    pts = rng.uniform(-2, 2, size=(20, 2))
    dets = _jacobian_det(_mapping(T, "T", ("u", "v"), 2), [pts[:, 0], pts[:, 1]])
    for (u, v), d in zip(pts, dets):
        J = jacobian(lambda x: np.array(T(x[0], x[1])), np.array([u, v]))
        analytic = np.linalg.det([[np.cos(v), -u * np.sin(v) + 2 * v],
                                  [0.3 * np.exp(0.3 * u) * np.sin(v), np.exp(0.3 * u) * np.cos(v)]])
        assert_allclose(d, np.linalg.det(J), rtol=1e-7, atol=1e-9)
        assert_allclose(d, analytic, rtol=1e-8, atol=1e-9)


def test_transformed_density_is_the_lognormal_for_exp():
    y = np.array([1e-3, 0.1, 0.5, 1.0, 2.0, 7.5, 30.0])
    expected = scipy.stats.lognorm(s=1.0).pdf(y)
    positive = lambda y: y > 0  # noqa: E731
    p_analytic = ci.transformed_density(scipy.stats.norm.pdf, np.log, lambda y: 1 / y, support=positive)
    p_numeric = ci.transformed_density(scipy.stats.norm.pdf, np.log, support=positive)
    assert_allclose(p_analytic(y), expected, rtol=1e-13)
    assert_allclose(p_numeric(y[1:]), expected[1:], rtol=1e-8)
    assert p_analytic(-1.0) == 0.0 and p_numeric(0.0) == 0.0   # outside the range of exp
    assert isinstance(p_analytic(2.0), float)
    # a density: it integrates to 1 (t = log y spreads the nodes over the long tail)
    total = ci.integrate_mapped(lambda a, b: p_analytic(a), lambda t, s: (np.exp(t), s),
                                [(-12, 12), (0, 1)], (400, 2), "simpson",
                                jacobian_det=lambda t, s: np.exp(t))
    assert_allclose(total, 1.0, rtol=1e-10)


def test_affine_flow_density_is_the_gaussian_and_integrates_to_one():
    A = np.array([[1.5, 0.4], [-0.3, 0.8]])
    c = np.array([0.5, -1.0])
    Ainv = np.linalg.inv(A)   # the test's own oracle: an explicit inverse of a 2x2
    p_Z = ci.gaussian_density_2d([0, 0], np.eye(2))

    def f_inv(y1, y2):
        return (Ainv[0, 0] * (y1 - c[0]) + Ainv[0, 1] * (y2 - c[1]),
                Ainv[1, 0] * (y1 - c[0]) + Ainv[1, 1] * (y2 - c[1]))

    jac_matrix = lambda y1, y2: [[Ainv[0, 0], Ainv[0, 1]], [Ainv[1, 0], Ainv[1, 1]]]  # noqa: E731
    jac_det = lambda y1, y2: np.linalg.det(Ainv)  # noqa: E731
    oracle = scipy.stats.multivariate_normal(c, A @ A.T)
    pts = np.random.default_rng(0).normal(size=(40, 2)) * 2
    for jac in (None, jac_matrix, jac_det):
        p_W = ci.transformed_density(p_Z, f_inv, jac)
        assert_allclose(p_W(pts[:, 0], pts[:, 1]), oracle.pdf(pts), rtol=1e-8)
        total = ci.double_integral(p_W, -15, 15, -15, 15, 200)
        assert_allclose(total, 1.0, rtol=1e-8)


def test_planar_flow_density_integrates_to_one():
    # y = z + u tanh(w.z + b), invertible because w.u > -1; inverted along w by bisection
    u, w, b = np.array([1.2, -0.4]), np.array([2.0, 1.0]), 0.3
    assert w @ u > -1
    p_Z = ci.gaussian_density_2d([0, 0], np.eye(2))

    def f_inv(y1, y2):
        wy = w[0] * y1 + w[1] * y2              # = s + (w.u) tanh(s + b) with s = w.z
        lo, hi = wy - abs(w @ u) - 1, wy + abs(w @ u) + 1
        for _ in range(80):
            mid = (lo + hi) / 2
            too_big = mid + (w @ u) * np.tanh(mid + b) > wy
            lo, hi = np.where(too_big, lo, mid), np.where(too_big, mid, hi)
        t = np.tanh((lo + hi) / 2 + b)
        return y1 - u[0] * t, y2 - u[1] * t

    p_W = ci.transformed_density(p_Z, f_inv)
    assert_allclose(ci.double_integral(p_W, -10, 10, -10, 10, 200), 1.0, rtol=1e-7)
    # pointwise oracle from the forward map: p_W(f(z)) = p_Z(z) / |1 + (1 - tanh^2) w.u|
    z = np.random.default_rng(1).normal(size=(30, 2))
    t = np.tanh(z @ w + b)
    y = z + np.outer(t, u)
    expected = p_Z(z[:, 0], z[:, 1]) / np.abs(1 + (1 - t ** 2) * (w @ u))
    assert_allclose(p_W(y[:, 0], y[:, 1]), expected, rtol=1e-8)


# --------------------------------------------------------------------------------------
# bad input: say what was wrong and what to do
# --------------------------------------------------------------------------------------

def test_scalar_only_integrand_gets_a_helpful_error_and_vectorize_works():
    f = lambda x, y: math.exp(-(x * x + y * y))  # noqa: E731
    with pytest.raises(TypeError, match=r"f must work on whole arrays.*np\.exp.*np\.vectorize"):
        ci.double_integral(f, 0, 1, 0, 1, 4)
    g = lambda x, y: x if x > y else y  # noqa: E731
    with pytest.raises(TypeError, match="np.where"):
        ci.double_integral(g, 0, 1, 0, 1, 4)
    assert_allclose(ci.double_integral(np.vectorize(f), -8, 8, -8, 8, 60), np.pi, rtol=1e-12)


def test_integrand_shape_and_finiteness_errors():
    with pytest.raises(ValueError, match=r"^f returned an array of shape \(3, 3\) for inputs of shape \(4, 4\); "
                                         r"it must return one value per point"):
        ci.double_integral(lambda x, y: np.ones((3, 3)), 0, 1, 0, 1, 4)
    with pytest.raises(ValueError, match=r"f is not finite .* at x=0, y=0.*rule='midpoint'"), \
            np.errstate(divide="ignore"):
        ci.double_integral(lambda x, y: 1 / np.sqrt(x + y), 0, 1, 0, 1, 4, "simpson")
    # the midpoint rule never touches the corner: the integrable singularity is fine
    assert_allclose(ci.double_integral(lambda x, y: 1 / np.sqrt(x + y), 0, 1, 0, 1, 200),
                    4 * (np.sqrt(2) - 1) / 3 * 2, rtol=1e-2)
    with pytest.raises(ValueError, match=r"f returned the single number .* it must work elementwise"):
        ci.double_integral(lambda x, y: np.sum(x * y), 0, 1, 0, 1, 4)
    # an error that f raises for numbers too is passed through unchanged, not blamed on arrays
    p_W = ci.transformed_density(scipy.stats.norm.pdf, np.log, lambda y: 1 / y)
    with pytest.raises(ValueError, match=r"^f_inv is not finite .*support="), np.errstate(all="ignore"):
        ci.double_integral(lambda x, y: p_W(x) * p_W(y), -1, 1, 0.5, 1, 4)
    with pytest.raises(TypeError, match="complex"):
        ci.double_integral(lambda x, y: x + 1j, 0, 1, 0, 1, 4)
    with pytest.raises(TypeError, match=r"f must be a function of x, y"):
        ci.double_integral(3.0, 0, 1, 0, 1, 4)


def test_limits_and_grid_errors():
    with pytest.raises(ValueError, match=r"b = inf is not finite; .*truncate"):
        ci.double_integral(gauss, 0, np.inf, 0, 1, 4)
    with pytest.raises(ValueError, match=r"\[a, b\] = \[1, 0\] needs a < b"):
        ci.double_integral(gauss, 1, 0, 0, 1, 4)
    with pytest.raises(ValueError, match=r"n must be even, got 7; use n=8"):
        ci.double_integral(gauss, 0, 1, 0, 1, 7, "simpson")
    with pytest.raises(ValueError, match=r"n\[1\] must be even"):
        ci.double_integral(gauss, 0, 1, 0, 1, (4, 5), "simpson")
    with pytest.raises(ValueError, match=r"n must be an integer >= 1, got 0"):
        ci.double_integral(gauss, 0, 1, 0, 1, 0)
    with pytest.raises(TypeError, match=r"n must be an integer, got 10\.0"):
        ci.double_integral(gauss, 0, 1, 0, 1, 10.0)
    with pytest.raises(ValueError, match="rule must be 'midpoint' or 'simpson'"):
        ci.double_integral(gauss, 0, 1, 0, 1, 4, "trapezoid")
    with pytest.raises(ValueError, match=r"box must be 3 pairs"):
        ci.triple_integral(one3, [(0, 1), (0, 1)], 4)
    with pytest.raises(ValueError, match=r"evaluations of the integrand.*monte_carlo"):
        ci.triple_integral(one3, [(0, 1)] * 3, 1000)
    with pytest.raises(ValueError, match=r"upper bound is below the lower bound at x=0\.75"):
        ci.double_integral_region(one2, 0, 1, lambda x: x, lambda x: 0.5 + 0 * x, 2)
    with pytest.raises(ValueError, match=r"n must be one int or 2 ints"):
        ci.double_integral(gauss, 0, 1, 0, 1, (4, 4, 4))


def test_monte_carlo_polar_and_density_errors():
    with pytest.raises(ValueError, match="exactly one of box"):
        ci.monte_carlo(one2)
    with pytest.raises(ValueError, match="exactly one of box"):
        ci.monte_carlo(one2, [(0, 1), (0, 1)], sampler=lambda rng, n: rng.random((n, 2)))
    with pytest.raises(ValueError, match=r"sampler\(rng, 10\) must return an array of shape \(10, d\)"):
        ci.monte_carlo(one2, sampler=lambda rng, n: rng.random((n + 1, 2)), n=10)
    with pytest.raises(TypeError, match="rng must be None, an integer seed"):
        ci.monte_carlo(one2, [(0, 1), (0, 1)], rng="seed")
    with pytest.raises(ValueError, match="at most 2\\*pi"):
        ci.polar_integral(gauss, 1, theta=(0, 7))
    with pytest.raises(ValueError, match="r0 must be >= 0"):
        ci.polar_integral(gauss, (-1, 1))
    p_W = ci.transformed_density(scipy.stats.norm.pdf, np.log, lambda y: 1 / y)
    with pytest.raises(ValueError, match=r"f_inv is not finite \(nan\) at w=-1.*outside the range of f.*support="), \
            np.errstate(all="ignore"):
        p_W(np.array([1.0, -1.0]))
    with pytest.raises(TypeError, match=r"T must work on whole arrays.*np\.vectorize\(T\)"):
        ci.integrate_mapped(one2, lambda u, v: (math.cos(u), v), [(0, 1), (0, 1)], 4)
    with pytest.raises(ValueError, match="must return 2 coordinate arrays"):
        ci.integrate_mapped(one2, lambda u, v: u + v, [(0, 1), (0, 1)], 4)
    with pytest.raises(ValueError, match="Sigma must be positive definite"):
        ci.gaussian_density_2d([0, 0], [[1, 2], [2, 1]])
    with pytest.raises(ValueError, match="Sigma must be symmetric"):
        ci.gaussian_density_2d([0, 0], [[1, 0.5], [0.2, 1]])
