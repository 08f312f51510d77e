"""Tests of calclib.derivatives (chapter 3, section 4.2) against oracles.

Oracles: exact derivatives from sympy (evaluated with mpmath) on a suite of eight smooth
functions, closed forms for quadratics and linear maps, and scipy's ``approx_fprime`` /
``check_grad``. Tolerances follow the error order of each method: central differences
about eps^(2/3) ~ 1e-10 relative (asserted <= 1e-8), complex step at machine precision
(<= 1e-13), second differences about eps^(1/2) (<= 1e-5). The gradient checker is tested
on both sides: it accepts exact gradients and rejects gradients that are 0.1 % wrong.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.optimize
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose

from calclib import derivatives as d

ROOT = Path(__file__).resolve().parents[1]
EPS = np.finfo(float).eps

PROPERTY = settings(derandomize=True, max_examples=40, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _load_suite():
    """The sympy suite shared with benchmarks/accuracy_derivatives.py (one definition)."""
    path = ROOT / "benchmarks" / "accuracy_derivatives.py"
    spec = importlib.util.spec_from_file_location("accuracy_derivatives", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, mod)  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


BENCH = _load_suite()
SUITE = BENCH.SUITE
CASES = {c.name: BENCH.case_functions(c) for c in SUITE}
IDS = [c.name for c in SUITE]


def rel(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def quad(A, b):
    """f(x) = ½ xᵀAx + b·x, with gradient ½(A + Aᵀ)x + b and Hessian ½(A + Aᵀ)."""
    return lambda x: 0.5 * x @ A @ x + b @ x


# ------------------------------------------------------------------ sympy suite


@pytest.mark.parametrize("case", SUITE, ids=IDS)
def test_gradient_matches_sympy(case):
    f, g_exact, _ = CASES[case.name]
    for x in BENCH.points(case, 4):
        g = g_exact(x)
        central = d.gradient(f, x)
        assert central.shape == x.shape and central.dtype == np.float64
        assert rel(central, g) <= 1e-8
        assert rel(d.gradient(f, x, method="complex"), g) <= 1e-13
        assert rel(d.gradient(f, x, method="forward"), g) <= 1e-6


@pytest.mark.parametrize("case", SUITE, ids=IDS)
def test_hessian_matches_sympy_and_is_symmetric(case):
    f, _, h_exact = CASES[case.name]
    for x in BENCH.points(case, 3):
        H = d.hessian(f, x)
        assert H.shape == (x.size, x.size)
        assert np.array_equal(H, H.T)
        assert rel(H, h_exact(x)) <= 1e-5


@pytest.mark.parametrize("case", SUITE, ids=IDS)
def test_partial_and_directional_derivative_match_sympy(case):
    f, g_exact, _ = CASES[case.name]
    x = BENCH.points(case, 1)[0]
    g = g_exact(x)
    scale = np.linalg.norm(g)
    for i in range(x.size):
        assert abs(d.partial(f, x, i) - g[i]) <= 1e-8 * scale
    u = np.linspace(1.0, -0.5, x.size) + 0.1
    assert abs(d.directional_derivative(f, x, 3 * u) - g @ u / np.linalg.norm(u)) <= 1e-8 * scale


@pytest.mark.parametrize("case", SUITE, ids=IDS)
def test_jacobian_of_gradient_is_the_hessian(case):
    """The Jacobian of ∇f (exact, from sympy) is the Hessian: shape (n, n)."""
    _, g_exact, h_exact = CASES[case.name]
    x = BENCH.points(case, 1)[0]
    assert rel(d.jacobian(g_exact, x), h_exact(x)) <= 1e-7


@pytest.mark.parametrize("case", SUITE, ids=IDS)
def test_check_grad_accepts_exact_and_rejects_a_0_1_percent_error(case):
    f, g_exact, _ = CASES[case.name]
    x = BENCH.points(case, 1)[0]
    good = d.check_grad(f, g_exact, x)
    assert good.ok and bool(good) and good.max_rel_error <= 1e-8, good.message
    n = x.size
    wrong_versions = {
        "all components x 1.001": lambda x: 1.001 * g_exact(x),
        "largest component x 1.001": lambda x: g_exact(x) * np.where(
            np.arange(n) == np.argmax(np.abs(g_exact(x))), 1.001, 1.0),
        "0.1 % of the norm added to one component": lambda x: g_exact(x) + 1e-3 * np.linalg.norm(
            g_exact(x)) * (np.arange(n) == n - 1),
    }
    for what, wrong in wrong_versions.items():
        res = d.check_grad(f, wrong, x)
        assert not res.ok and not bool(res), what
        assert res.max_rel_error > res.rtol, what
        assert "WRONG" in res.message


def test_check_grad_result_fields_and_reproducibility():
    f, g_exact, _ = CASES["rosenbrock-4d"]
    x = np.array([0.3, -0.2, 0.9, 1.1])
    r1 = d.check_grad(f, g_exact, x, n_directions=5)
    r2 = d.check_grad(f, g_exact, x, n_directions=5)
    assert r1.directions.shape == (5, 4) and r1.rel_errors.shape == (5,)
    assert_allclose(np.linalg.norm(r1.directions, axis=1), 1.0, rtol=1e-14)
    assert np.array_equal(r1.directions, r2.directions)  # rng=None is seed 0
    r3 = d.check_grad(f, g_exact, x, n_directions=5, rng=np.random.default_rng(7))
    assert not np.array_equal(r1.directions, r3.directions)
    assert_allclose(r1.analytic, r1.numeric, rtol=1e-9)


def test_check_grad_catches_a_sign_error_and_a_transposed_gradient():
    A = np.array([[3.0, 1.0], [0.0, 2.0]])  # not symmetric: ∇(xᵀAx) = (A + Aᵀ)x ≠ 2Ax
    f = lambda x: x @ A @ x  # noqa: E731
    x = np.array([0.7, -1.3])
    assert d.check_grad(f, lambda x: (A + A.T) @ x, x)
    assert not d.check_grad(f, lambda x: 2 * A @ x, x)
    assert not d.check_grad(f, lambda x: -(A + A.T) @ x, x)


def test_check_grad_at_a_minimum_accepts_a_zero_gradient():
    f = lambda x: np.sum((x - 1.0) ** 2) + 5.0  # noqa: E731
    assert d.check_grad(f, lambda x: 2 * (x - 1.0), np.ones(3))


# ------------------------------------------------------------------ closed forms


def test_gradient_and_hessian_of_a_quadratic_closed_form():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(4, 4))
    b = rng.normal(size=4)
    x = rng.normal(size=4)
    S = (A + A.T) / 2
    f = quad(A, b)
    assert_allclose(d.gradient(f, x), S @ x + b, rtol=1e-9, atol=1e-9)
    assert_allclose(d.gradient(f, x, method="complex"), S @ x + b, rtol=1e-14, atol=1e-14)
    assert_allclose(d.hessian(f, x), S, rtol=1e-6, atol=1e-6)


def test_jacobian_closed_forms_and_shape_contract():
    M = np.arange(6.0).reshape(3, 2) - 2.5
    x = np.array([0.4, -1.1])
    J = d.jacobian(lambda x: M @ x, x)
    assert J.shape == (3, 2)
    assert_allclose(J, M, rtol=1e-9, atol=1e-9)
    # polar coordinates (r, θ) -> (r cos θ, r sin θ): det J = r (section 6.2)
    polar = lambda p: np.array([p[0] * np.cos(p[1]), p[0] * np.sin(p[1])])  # noqa: E731
    p = np.array([1.7, 0.6])
    for method in ("central", "complex"):
        Jp = d.jacobian(polar, p, method=method)
        assert_allclose(np.linalg.det(Jp), 1.7, rtol=1e-9)
    # a scalar output is m = 1: shape (1, n), equal to the gradient
    f, g_exact, _ = CASES["exp-trig"]
    x = np.array([0.3, 0.8])
    Js = d.jacobian(f, x)
    assert Js.shape == (1, 2)
    assert_allclose(Js[0], g_exact(x), rtol=1e-9)


def test_partial_closed_form_and_step_choice():
    """Section 3.1: the default central step beats a too-large and a too-small step."""
    f = lambda x: np.exp(x[0]) * np.sin(x[1])  # noqa: E731
    x = np.array([0.5, 1.2])
    exact = np.exp(0.5) * np.sin(1.2)
    err = lambda h: abs(d.partial(f, x, 0, h=h) - exact)  # noqa: E731
    default = abs(d.partial(f, x, 0) - exact)
    assert default <= 1e-9 * exact
    assert default < err(1e-2) and default < err(1e-11)
    assert err(1e-2) == pytest.approx(exact * 1e-4 / 6, rel=1e-2)  # truncation h²f'''/6


def test_forward_is_first_order_and_central_second_order():
    f = lambda x: np.exp(x[0])  # noqa: E731
    x = np.array([0.0])
    e_fwd = [abs(d.gradient(f, x, h=h, method="forward")[0] - 1) for h in (1e-3, 5e-4)]
    e_cen = [abs(d.gradient(f, x, h=h)[0] - 1) for h in (1e-3, 5e-4)]
    assert e_fwd[0] / e_fwd[1] == pytest.approx(2.0, rel=0.01)
    assert e_cen[0] / e_cen[1] == pytest.approx(4.0, rel=0.01)


def test_against_scipy_approx_fprime_and_check_grad():
    f, g_exact, _ = CASES["logistic-loss"]
    x = np.array([0.2, -0.4, 0.9])
    ours = d.gradient(f, x)
    theirs = scipy.optimize.approx_fprime(x, f, 1e-7)
    assert_allclose(ours, theirs, rtol=1e-5, atol=1e-7)
    assert rel(ours, g_exact(x)) < rel(theirs, g_exact(x))  # forward diff is less accurate
    assert scipy.optimize.check_grad(f, lambda x: d.gradient(f, x), x) <= 1e-6


def test_linearize_scalar_and_vector():
    f, g_exact, _ = CASES["exp-trig"]
    x0 = np.array([0.2, -0.5])
    L = d.linearize(f, x0)
    assert np.array_equal(L.x0, x0) and L.f0 == f(x0)
    assert_allclose(L.grad, g_exact(x0), rtol=1e-9)
    assert isinstance(L(x0), float) and L(x0) == pytest.approx(f(x0), rel=1e-15)
    batch = x0 + np.array([[0.1, 0.0], [0.0, 0.1], [0.1, 0.1]])
    assert L(batch).shape == (3,)
    # vector F: attributes f0 (m,), J (m, n); L(x) has shape (m,)
    F = lambda x: np.array([x[0] * x[1], np.sin(x[0]), x[1] ** 2])  # noqa: E731
    LF = d.linearize(F, x0)
    assert LF.J.shape == (3, 2) and LF.f0.shape == (3,) and LF(x0 + 0.01).shape == (3,)
    assert not hasattr(LF, "grad") and not hasattr(L, "J")


def test_linearization_error_is_second_order_and_quadratic_model_third_order():
    """Section 3.5: halving the distance divides the error by 4 (tangent) and 8 (quadratic)."""
    f, _, _ = CASES["log-exp-mix"]
    x0 = np.array([0.3, -0.4, 0.5])
    L, q = d.linearize(f, x0), d.quadratic_model(f, x0)
    u = np.array([0.6, 0.8, -0.5])
    eL = [abs(f(x0 + t * u) - L(x0 + t * u)) for t in (2e-2, 1e-2)]
    eq = [abs(f(x0 + t * u) - q(x0 + t * u)) for t in (2e-2, 1e-2)]
    assert eL[0] / eL[1] == pytest.approx(4.0, rel=0.05)
    assert eq[0] / eq[1] == pytest.approx(8.0, rel=0.1)


def test_quadratic_model_is_exact_for_a_quadratic_and_gives_the_newton_step():
    A = np.array([[4.0, 1.0], [1.0, 3.0]])
    b = np.array([-1.0, 2.0])
    f = quad(A, b)
    q = d.quadratic_model(f, [1.0, 1.0])
    z = np.array([-0.3, 2.2])
    assert q(z) == pytest.approx(f(z), rel=1e-7)
    x_star = np.linalg.solve(A, -b)
    assert_allclose(q.x0 + q.newton_step(), x_star, rtol=1e-6)
    flat = d.quadratic_model(lambda x: x[0] ** 2, [1.0, 1.0])
    with pytest.raises(ValueError, match="singular"):
        flat.newton_step()


def test_gradient_field_matches_exact_with_four_whole_grid_calls():
    shapes = []

    def f(X, Y):
        shapes.append(np.shape(X))
        return np.exp(X) * np.sin(Y) + np.cos(X * Y)

    xs = np.linspace(-2, 2, 50)
    X, Y = np.meshgrid(xs, xs)
    U, V = d.gradient_field(f, X, Y)
    assert U.shape == V.shape == (50, 50)
    assert_allclose(U, np.exp(X) * np.sin(Y) - Y * np.sin(X * Y), atol=1e-8)
    assert_allclose(V, np.exp(X) * np.cos(Y) - X * np.sin(X * Y), atol=1e-8)
    # the cost the docstring promises (a property, not a timing): four calls, each on the grid
    assert shapes == [(50, 50)] * 4, shapes


def test_f_that_mutates_its_argument_does_not_move_x():
    def f(x):
        x[0] += 100.0
        return float(x @ x)

    x = np.array([1.0, 2.0])
    x_before = x.copy()
    g = d.gradient(f, x)
    assert np.array_equal(x, x_before)
    assert_allclose(g, [2 * 101.0, 4.0], rtol=1e-8)


# ------------------------------------------------------------------ properties


finite = st.floats(-3, 3, allow_nan=False)


@PROPERTY
@given(x=hnp.arrays(float, 3, elements=finite), u=hnp.arrays(float, 3, elements=finite),
       c=st.floats(0.01, 100))
def test_directional_derivative_is_gradient_dot_unit_direction(x, u, c):
    f, g_exact, _ = CASES["log-exp-mix"]
    if np.linalg.norm(u) < 1e-3:
        u = np.array([1.0, 0.0, 0.0])
    g = g_exact(x)
    du = d.directional_derivative(f, x, u)
    tol = 1e-8 * (1 + np.linalg.norm(g))
    assert abs(du - g @ u / np.linalg.norm(u)) <= tol
    # only the direction matters; the opposite direction flips the sign
    assert abs(d.directional_derivative(f, x, c * u) - du) <= tol
    assert abs(d.directional_derivative(f, x, -u) + du) <= tol


@PROPERTY
@given(A=hnp.arrays(float, (3, 3), elements=finite), x=hnp.arrays(float, 3, elements=finite))
def test_hessian_is_symmetric_and_exact_on_quadratics(A, x):
    f = quad(A, np.ones(3))
    H = d.hessian(f, x)
    assert np.array_equal(H, H.T)
    assert_allclose(H, (A + A.T) / 2, atol=1e-5 * (1 + np.abs(A).max()))


@PROPERTY
@given(x=hnp.arrays(float, 4, elements=finite), s=st.floats(-5, 5), t=st.floats(-5, 5))
def test_gradient_is_linear_in_f(x, s, t):
    f1, g1, _ = CASES["trig-4d"]
    f2, g2, _ = CASES["rosenbrock-4d"]
    combo = lambda z: s * f1(z) + t * f2(z)  # noqa: E731
    exact = s * g1(x) + t * g2(x)
    scale = abs(s) * np.linalg.norm(g1(x)) + abs(t) * np.linalg.norm(g2(x)) + 1
    assert np.linalg.norm(d.gradient(combo, x) - exact) <= 1e-8 * scale


# ------------------------------------------------------------------ complex step safety


@pytest.mark.parametrize("f, why", [
    (lambda x: np.abs(x[0]) + x[1] ** 2, "abs"),
    (lambda x: np.linalg.norm(x) ** 2, "norm returns real"),
    (lambda x: float(x[0] ** 2 + x[1]), "float()"),
    (lambda x: np.sum(np.asarray(x, dtype=float) ** 2), "cast to float"),
    (lambda x: x @ np.conj(x) + x[0], "conj"),
    (lambda x: x.real @ x.real, ".real"),
], ids=["abs", "norm", "float", "asarray-float", "conj", "real"])
def test_complex_step_rejects_complex_unsafe_functions(f, why):
    x = np.array([-1.3, 0.7])
    assert np.isfinite(d.gradient(f, x)).all()  # central works
    with pytest.raises(ValueError, match="method='central'"):
        d.gradient(f, x, method="complex")


def test_complex_step_rejects_unsafe_vector_functions_and_step_argument():
    F = lambda x: np.array([np.abs(x[0]), x[1]])  # noqa: E731
    with pytest.raises(ValueError, match="method='central'"):
        d.jacobian(F, np.array([-1.0, 2.0]), method="complex")
    with pytest.raises(ValueError, match="do not pass h"):
        d.gradient(lambda x: x @ x, [1.0, 2.0], h=1e-5, method="complex")


# ------------------------------------------------------------------ bad input


def test_non_callable_f_raises_type_error():
    for fn in (lambda: d.gradient(3.0, [1.0]), lambda: d.partial([1, 2], [1.0], 0),
               lambda: d.hessian(None, [1.0]), lambda: d.jacobian("F", [1.0]),
               lambda: d.check_grad(lambda x: x @ x, np.ones(2), [1.0, 2.0]),
               lambda: d.gradient_field(np.ones((2, 2)), np.ones((2, 2)), np.ones((2, 2)))):
        with pytest.raises(TypeError, match="must be a function"):
            fn()


def test_vector_output_where_a_scalar_is_needed_suggests_jacobian():
    F = lambda x: np.array([x[0], x[1] ** 2])  # noqa: E731
    for fn in (d.gradient, d.hessian, lambda F, x: d.partial(F, x, 0),
               lambda F, x: d.directional_derivative(F, x, [1.0, 0.0]),
               lambda F, x: d.check_grad(F, lambda x: x, x)):
        with pytest.raises(ValueError, match="jacobian"):
            fn(F, np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="jacobian"):
        d.gradient(F, np.array([1.0, 2.0]), method="complex")


@pytest.mark.filterwarnings("ignore:invalid value encountered in log:RuntimeWarning")
def test_non_finite_point_or_value_raises():
    f = lambda x: np.log(x[0]) + x[1]  # noqa: E731
    with pytest.raises(ValueError, match="non-finite"):
        d.gradient(f, [np.nan, 1.0])
    with pytest.raises(ValueError, match="outside the domain"):
        d.gradient(f, [-1.0, 1.0])
    with pytest.raises(ValueError, match="edge of the domain"):
        d.gradient(f, [1e-9, 1.0])
    with pytest.raises(ValueError, match="not finite"):
        d.gradient_field(lambda X, Y: np.log(X) + Y, *np.meshgrid([-1.0, 1.0], [0.0, 1.0]))


def test_shape_mismatches_raise_value_error():
    f = lambda x: x @ x  # noqa: E731
    with pytest.raises(ValueError, match="u must have the shape of x"):
        d.directional_derivative(f, [1.0, 2.0], [1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="1-D vector"):
        d.gradient(f, np.ones((2, 2)))
    with pytest.raises(ValueError, match="h must be one number or have the shape of x"):
        d.gradient(f, [1.0, 2.0], h=[1e-5, 1e-5, 1e-5])
    with pytest.raises(ValueError, match="grad_f\\(x\\) must have the shape of x"):
        d.check_grad(f, lambda x: np.append(2 * x, 0.0), [1.0, 2.0])
    with pytest.raises(ValueError, match="ravel"):
        d.jacobian(lambda x: np.outer(x, x), [1.0, 2.0])
    with pytest.raises(ValueError, match="same shape"):
        d.gradient_field(lambda X, Y: X * Y, np.ones((3, 3)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="grid's shape"):
        d.gradient_field(lambda X, Y: 1.0, np.ones((3, 3)), np.ones((3, 3)))
    L = d.linearize(f, [1.0, 2.0])
    with pytest.raises(ValueError, match="R\\^2"):
        L([1.0, 2.0, 3.0])


def test_other_bad_arguments():
    f = lambda x: x @ x  # noqa: E731
    with pytest.raises(ValueError, match="zero vector"):
        d.directional_derivative(f, [1.0, 2.0], [0.0, 0.0])
    with pytest.raises(ValueError, match="method must be one of"):
        d.gradient(f, [1.0], method="backward")
    with pytest.raises(ValueError, match="method must be one of"):
        d.jacobian(f, [1.0], method="forward")
    with pytest.raises(ValueError, match="between 0 and 1"):
        d.partial(f, [1.0, 2.0], 2)
    with pytest.raises(TypeError, match="integer index"):
        d.partial(f, [1.0, 2.0], 1.0)
    with pytest.raises(ValueError, match="h must be a finite number > 0"):
        d.gradient(f, [1.0], h=0.0)
    with pytest.raises(ValueError, match="every step in h must be > 0"):
        d.gradient(f, [1.0, 2.0], h=[1e-5, -1e-5])
    with pytest.raises(ValueError, match="n_directions"):
        d.check_grad(f, lambda x: 2 * x, [1.0], n_directions=0)
    with pytest.raises(TypeError, match="rng"):
        d.check_grad(f, lambda x: 2 * x, [1.0], rng="seed")
    with pytest.raises(TypeError, match="complex"):
        d.gradient(lambda x: 1j * x[0], [1.0])
    with pytest.raises(TypeError, match="np.vectorize"):
        d.gradient_field(lambda X, Y: math.exp(X) * Y, *np.meshgrid([0.0, 1.0], [0.0, 1.0]))
