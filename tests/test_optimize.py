"""Tests of calclib.optimize (sections 4.1–4.3, 10.1, 11.2, 11.3) against oracles.

Oracles: closed forms (critical points of polynomials, the 2/L learning-rate threshold,
Lagrange multipliers worked by hand and checked as sensitivities by a finite difference
in the constraint level), scipy.optimize (``root`` for critical points, ``minimize`` with
BFGS and SLSQP), and numpy.linalg. Properties (hypothesis, derandomized): the
second-derivative test agrees with the sign of D = f_xx f_yy − f_xy², GD converges below
2/L and diverges above, the natural-gradient step is invariant under θ = Aφ.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose

from calclib import derivatives as d
from calclib import optimize as opt

PROPERTY = settings(derandomize=True, max_examples=40, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


# a function with a saddle at 0 and minima at (±1, 0): f = x⁴/4 − x²/2 + y²/2
def f_saddle(x):
    return x[0] ** 4 / 4 - x[0] ** 2 / 2 + x[1] ** 2 / 2


def g_saddle(x):
    return np.array([x[0] ** 3 - x[0], x[1]])


def h_saddle(x):
    return np.array([[3 * x[0] ** 2 - 1, 0.0], [0.0, 1.0]])


def rosen(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def rosen_grad(x):
    return np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)])


def spd(draw_eigs, angle):
    """A 2×2 symmetric matrix with the given eigenvalues, rotated by ``angle``."""
    c, s = np.cos(angle), np.sin(angle)
    Q = np.array([[c, -s], [s, c]])
    return Q @ np.diag(draw_eigs) @ Q.T


# ------------------------------------------------------------- 4.2 classification


def test_classify_closed_forms():
    assert opt.classify_critical_point(np.diag([1.0, 2.0])) == "minimum"
    assert opt.classify_critical_point(np.diag([-1.0, -2.0, -0.5])) == "maximum"
    assert opt.classify_critical_point(np.diag([1.0, -2.0])) == "saddle"
    assert opt.classify_critical_point(np.diag([1.0, 0.0])) == "degenerate"
    assert opt.classify_critical_point(np.diag([1.0, 1e-12])) == "degenerate"
    assert opt.classify_critical_point(np.diag([1.0, 1e-12]), tol=1e-14) == "minimum"
    assert opt.classify_critical_point(np.diag([0.0, 1.0, -1.0])) == "saddle"  # indefinite
    assert opt.classify_critical_point(np.zeros((2, 2))) == "degenerate"
    assert opt.classify_critical_point([[2.0]]) == "minimum"


@PROPERTY
@given(a=st.floats(-5, 5), b=st.floats(-5, 5), c=st.floats(-5, 5))
def test_classify_agrees_with_the_two_variable_test(a, b, c):
    """f = a x² + b xy + c y²: f_xx = 2a, f_yy = 2c, f_xy = b, D = 4ac − b²."""
    H = np.array([[2 * a, b], [b, 2 * c]])
    D = 4 * a * c - b * b
    assume(abs(D) > 1e-3)
    kind = opt.classify_critical_point(H)
    if D < 0:
        assert kind == "saddle"
    elif a > 0:
        assert kind == "minimum"
    else:
        assert kind == "maximum"


def test_classify_rejects_non_square_and_non_symmetric():
    with pytest.raises(ValueError, match="square"):
        opt.classify_critical_point(np.ones((2, 3)))
    with pytest.raises(ValueError, match="not symmetric.*\\(H \\+ H.T\\) / 2"):
        opt.classify_critical_point([[1.0, 2.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="2-D"):
        opt.classify_critical_point([1.0, 2.0])
    with pytest.raises(ValueError, match="non-finite"):
        opt.classify_critical_point([[np.nan, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="tol"):
        opt.classify_critical_point(np.eye(2), tol=0)


# ------------------------------------------------------------- 4.1 critical points


@pytest.mark.parametrize("x0, expected, kind", [
    ([0.2, 0.3], [0.0, 0.0], "saddle"),
    ([0.8, -0.2], [1.0, 0.0], "minimum"),
    ([-1.3, 0.5], [-1.0, 0.0], "minimum"),
])
def test_critical_point_closed_form_and_scipy_root(x0, expected, kind):
    for hess in (h_saddle, None):  # analytic and numerical Hessian
        res = opt.critical_point(g_saddle, x0, hess_f=hess)
        assert res.converged and res.kind == kind, res.message
        assert_allclose(res.x, expected, atol=1e-9)
        root = scipy.optimize.root(g_saddle, x0, jac=h_saddle)
        assert root.success
        assert_allclose(res.x, root.x, atol=1e-9)
    assert res.history.shape == (res.iterations + 1, 2)
    assert_allclose(res.history[0], x0)


def test_critical_points_of_a_cubic_family_and_scipy_root():
    """f = x³ − 3x + y² − 2y + xy: compare with scipy.optimize.root from several starts."""
    grad = lambda v: np.array([3 * v[0] ** 2 - 3 + v[1], 2 * v[1] - 2 + v[0]])  # noqa: E731
    for x0 in ([1.0, 0.0], [-1.0, 2.0], [0.5, 0.5]):
        res = opt.critical_point(grad, x0)
        ref = scipy.optimize.root(grad, x0)
        assert res.converged and ref.success
        assert_allclose(grad(res.x), 0.0, atol=1e-8)
        assert_allclose(res.x, ref.x, atol=1e-7)
        H = d.jacobian(grad, res.x)
        D = H[0, 0] * H[1, 1] - H[0, 1] ** 2
        assert res.kind == ("saddle" if D < 0 else "minimum" if H[0, 0] > 0 else "maximum")


def test_newton_singular_hessian_is_flagged_not_inverted():
    grad = lambda v: np.array([2 * v[0], 0.0 * v[1] + 1.0])  # noqa: E731
    res = opt.newton(grad, [1.0, 1.0], hess_f=lambda v: np.diag([2.0, 0.0]))
    assert not res.converged and not res.diverged
    assert "singular Hessian" in res.message
    assert res.iterations == 0


# ------------------------------------------------------------- 4.2 Newton


def test_newton_minimizes_rosenbrock_like_scipy_bfgs():
    ref = scipy.optimize.minimize(rosen, [-1.2, 1.0], jac=rosen_grad, method="BFGS", tol=1e-10)
    for kwargs in ({"hess_f": None, "f": rosen}, {"f": rosen}):
        res = opt.newton(rosen_grad, [-1.2, 1.0], **kwargs)
        assert res.converged, res.message
        assert_allclose(res.x, ref.x, atol=1e-6)
        assert_allclose(res.x, [1.0, 1.0], atol=1e-8)
        assert res.fun == pytest.approx(0.0, abs=1e-14)
        assert res.iterations < ref.nit  # quadratic convergence
    # gradient from f alone (numerical gradient and Hessian)
    res = opt.newton(None, [-1.2, 1.0], f=rosen)
    assert res.converged and np.allclose(res.x, 1.0, atol=1e-6)


def test_newton_one_step_on_a_quadratic_is_exact():
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    b = np.array([1.0, -1.0])
    res = opt.newton(lambda x: A @ x - b, [5.0, -7.0], hess_f=lambda x: A)
    assert res.converged and res.iterations == 1
    assert_allclose(res.x, np.linalg.solve(A, b), rtol=1e-13)


def test_plain_newton_converges_to_the_saddle_saddle_free_newton_escapes():
    """Section 11.2: Newton seeks any critical point; |H| turns the step downhill."""
    x0 = np.array([0.1, 0.01])
    plain = opt.newton(g_saddle, x0, hess_f=h_saddle, f=f_saddle)
    assert plain.converged
    assert_allclose(plain.x, [0.0, 0.0], atol=1e-10)
    assert opt.classify_critical_point(h_saddle(plain.x)) == "saddle"
    assert plain.fun > f_saddle(x0)  # Newton went *uphill* to the saddle

    for hess in (h_saddle, None):
        sfn = opt.saddle_free_newton(g_saddle, x0, hess_f=hess, f=f_saddle)
        assert sfn.converged, sfn.message
        assert_allclose(sfn.x, [1.0, 0.0], atol=1e-8)
        assert opt.classify_critical_point(h_saddle(sfn.x)) == "minimum"
        assert sfn.fun == pytest.approx(-0.25, abs=1e-14)
        assert np.all(np.diff(sfn.fun_history) <= 1e-15)  # f decreases at every step
    # without f (no step halving) it still escapes
    sfn = opt.saddle_free_newton(g_saddle, x0, hess_f=h_saddle)
    assert sfn.converged and abs(sfn.x[0]) == pytest.approx(1.0)


def test_gradient_descent_and_momentum_also_escape_but_slowly():
    x0 = np.array([1e-3, 0.5])
    gd = opt.gradient_descent(g_saddle, x0, 0.1, f=f_saddle, max_iter=5000)
    hb = opt.momentum(g_saddle, x0, 0.1, beta=0.5, f=f_saddle, max_iter=5000)
    assert gd.converged and hb.converged
    assert_allclose(gd.x, [1.0, 0.0], atol=1e-5)
    assert_allclose(hb.x, [1.0, 0.0], atol=1e-5)
    assert hb.iterations < gd.iterations


# ------------------------------------------------------------- 3.2 GD and 2/L


def test_gradient_descent_threshold_two_over_L_closed_form():
    A = np.diag([1.0, 4.0])  # L = 4
    grad = lambda x: A @ x  # noqa: E731
    f = lambda x: 0.5 * x @ A @ x  # noqa: E731
    ok = opt.gradient_descent(grad, [1.0, 1.0], 0.99 * 2 / 4, f=f, max_iter=10_000)
    assert ok.converged and not ok.diverged and ok.grad_norm <= 1e-6
    bad = opt.gradient_descent(grad, [1.0, 1.0], 1.01 * 2 / 4, f=f, max_iter=10_000)
    assert not bad.converged and bad.diverged
    assert "diverged" in bad.message and "2/L" in bad.message
    # the top-eigenvector component grows by |1 − αL| per step
    growth = np.abs(bad.history[1:, 1] / bad.history[:-1, 1])
    assert_allclose(growth, 1.01 * 2 - 1, rtol=1e-12)


@PROPERTY
@given(l1=st.floats(0.5, 10), l2=st.floats(0.5, 10), angle=st.floats(0, np.pi),
       x0=hnp.arrays(float, 2, elements=st.floats(-3, 3)))
def test_gradient_descent_converges_below_2_over_L_and_diverges_above(l1, l2, angle, x0):
    A = spd([l1, l2], angle)
    L = max(l1, l2)
    lam, Q = np.linalg.eigh(A)
    assume(abs(Q[:, -1] @ x0) > 1e-2 and abs(l1 - l2) > 1e-2)  # x0 sees the top direction
    grad = lambda x: A @ x  # noqa: E731
    below = opt.gradient_descent(grad, x0, 0.9 * 2 / L, max_iter=5000)
    above = opt.gradient_descent(grad, x0, 1.1 * 2 / L, max_iter=5000)
    assert below.converged and not below.diverged
    assert not above.converged and above.diverged


def test_momentum_beats_gd_on_an_ill_conditioned_quadratic():
    A = np.diag([1.0, 100.0])
    grad = lambda x: A @ x  # noqa: E731
    gd = opt.gradient_descent(grad, [1.0, 1.0], 1 / 100, max_iter=10_000)
    hb = opt.momentum(grad, [1.0, 1.0], 1 / 100, beta=0.8, max_iter=10_000)
    assert gd.converged and hb.converged
    assert hb.iterations < gd.iterations / 3


# ------------------------------------------------------------- 10.1 projected gradient


def test_projected_gradient_on_the_circle_and_a_box():
    grad = lambda x: -np.ones(2)  # maximize x + y  # noqa: E731
    res = opt.projected_gradient(grad, lambda x: x / np.linalg.norm(x), [1.0, 0.0], 0.1)
    assert res.converged
    assert_allclose(res.x, [2 ** -0.5, 2 ** -0.5], atol=1e-5)
    # a box: minimize ‖x − (2, −3)‖² over [−1, 1]²: the answer is the clipped point
    target = np.array([2.0, -3.0])
    res = opt.projected_gradient(lambda x: 2 * (x - target), lambda x: np.clip(x, -1, 1),
                                 [0.0, 0.0], 0.2, f=lambda x: np.sum((x - target) ** 2))
    assert res.converged
    assert_allclose(res.x, [1.0, -1.0], atol=1e-12)
    assert res.fun == pytest.approx(5.0)
    ref = scipy.optimize.minimize(lambda x: np.sum((x - target) ** 2), [0.0, 0.0],
                                  bounds=[(-1, 1), (-1, 1)])
    assert_allclose(res.x, ref.x, atol=1e-6)


# ------------------------------------------------------------- 4.3 Lagrange


def test_lagrange_max_x_plus_y_on_the_circle_and_sensitivity():
    f = lambda x: x[0] + x[1]  # noqa: E731
    g = lambda x: x @ x  # noqa: E731
    res = opt.lagrange(f, g, [0.6, 0.8], c=1.0)
    assert res.converged, res.message
    assert_allclose(res.x, [2 ** -0.5, 2 ** -0.5], rtol=1e-8)
    assert res.lam.shape == (1,)
    assert res.lam[0] == pytest.approx(2 ** -0.5, rel=1e-8)  # ∇f = λ∇g: 1 = λ·2x
    assert res.constraint_violation <= 1e-10
    assert res.fun == pytest.approx(np.sqrt(2))
    # λ = d f*/dc: f*(c) = √(2c), checked by a central difference in c
    dc = 1e-4
    fp = opt.lagrange(f, g, [0.6, 0.8], c=1 + dc).fun
    fm = opt.lagrange(f, g, [0.6, 0.8], c=1 - dc).fun
    assert (fp - fm) / (2 * dc) == pytest.approx(res.lam[0], rel=1e-6)
    # the other stationary point (the constrained minimum) from the other side
    low = opt.lagrange(f, g, [-0.6, -0.8], c=1.0)
    assert_allclose(low.x, [-(2 ** -0.5)] * 2, rtol=1e-8)
    assert low.lam[0] == pytest.approx(-(2 ** -0.5), rel=1e-8)
    # and scipy's SLSQP agrees on the maximum
    ref = scipy.optimize.minimize(lambda x: -f(x), [0.6, 0.8], method="SLSQP",
                                  constraints={"type": "eq", "fun": lambda x: g(x) - 1})
    assert_allclose(res.x, ref.x, atol=1e-5)  # SLSQP's own tolerance is ~1e-6


@pytest.mark.parametrize("n", [2, 3, 5])
def test_lagrange_max_entropy_on_the_simplex_is_uniform(n):
    entropy = lambda p: -np.sum(p * np.log(p))  # noqa: E731
    total = lambda p: np.sum(p)  # noqa: E731
    p0 = np.linspace(1.0, 2.0, n)
    p0 /= p0.sum()
    res = opt.lagrange(entropy, total, p0, c=1.0)
    assert res.converged, res.message
    assert_allclose(res.x, np.full(n, 1 / n), rtol=1e-9)
    assert res.fun == pytest.approx(np.log(n), rel=1e-12)
    # ∂H/∂p_i = −log p_i − 1 = λ, so λ = log n − 1 = d f*/dc with f*(c) = −c log(c/n)
    assert res.lam[0] == pytest.approx(np.log(n) - 1, abs=1e-8)
    dc = 1e-4
    fp = opt.lagrange(entropy, total, p0 * (1 + dc), c=1 + dc).fun
    fm = opt.lagrange(entropy, total, p0 * (1 - dc), c=1 - dc).fun
    assert (fp - fm) / (2 * dc) == pytest.approx(res.lam[0], abs=1e-6)


def test_lagrange_two_constraints_closed_form():
    """max x + 2y + 3z on the unit sphere with x = y: x = y = 1/√6, z = 2/√6."""
    f = lambda v: v[0] + 2 * v[1] + 3 * v[2]  # noqa: E731
    g = lambda v: np.array([v @ v, v[0] - v[1]])  # noqa: E731
    res = opt.lagrange(f, g, [0.5, 0.5, 0.7], c=[1.0, 0.0],
                       grad_f=lambda v: np.array([1.0, 2.0, 3.0]))
    assert res.converged
    s = 6 ** -0.5
    assert_allclose(res.x, [s, s, 2 * s], rtol=1e-9)
    # ∇f = λ₁ 2v + λ₂ (1, −1, 0): λ₁ = 3/(2z) = 3/(4s), λ₂ = (1 − 2 − 0)/2 = −1/2
    assert_allclose(res.lam, [3 / (4 * s), -0.5], rtol=1e-8)


def test_lagrange_bad_input_and_singular_kkt():
    f = lambda x: x[0] + x[1]  # noqa: E731
    g = lambda x: x @ x  # noqa: E731
    singular = opt.lagrange(f, g, [0.6, 0.8], lam0=0.0, c=1.0)  # ∇²L = 0 when λ = 0
    assert not singular.converged and "singular KKT" in singular.message
    with pytest.raises(ValueError, match="no freedom"):
        opt.lagrange(f, lambda x: np.array([x[0], x[1], x @ x]), [0.6, 0.8])
    with pytest.raises(ValueError, match="one finite entry per constraint"):
        opt.lagrange(f, g, [0.6, 0.8], c=[1.0, 2.0])
    with pytest.raises(ValueError, match="1-D array of constraints"):
        opt.lagrange(f, lambda x: np.eye(2), [0.6, 0.8])
    with pytest.raises(ValueError, match="one real number"):
        opt.lagrange(lambda x: x, g, [0.6, 0.8])
    with pytest.raises(TypeError, match="must be a function"):
        opt.lagrange(f, 1.0, [0.6, 0.8])


# ------------------------------------------------------------- 11.3 natural gradient


@PROPERTY
@given(A=hnp.arrays(float, (3, 3), elements=st.floats(-2, 2)),
       B=hnp.arrays(float, (3, 3), elements=st.floats(-2, 2)),
       grad=hnp.arrays(float, 3, elements=st.floats(-3, 3)),
       theta=hnp.arrays(float, 3, elements=st.floats(-3, 3)))
def test_natural_gradient_step_is_invariant_under_reparameterization(A, B, grad, theta):
    """θ = Aφ: ∇_φ L = Aᵀ∇_θ L, F_φ = AᵀF_θA; the natural step maps back unchanged."""
    A = A + 3 * np.eye(3)
    assume(np.linalg.cond(A) < 1e3)
    F = B @ B.T + 0.5 * np.eye(3)  # symmetric positive definite
    lr = 0.3
    phi = np.linalg.solve(A, theta)
    step_theta = opt.natural_gradient_step(theta, grad, F, lr)
    step_phi = opt.natural_gradient_step(phi, A.T @ grad, A.T @ F @ A, lr)
    assert_allclose(A @ step_phi, step_theta, atol=1e-9 * (1 + np.abs(step_theta).max()))
    # the plain gradient step is not invariant (unless A is orthogonal or grad = 0)
    plain_back = A @ (phi - lr * A.T @ grad)
    plain = theta - lr * grad
    assume(np.linalg.norm(A @ A.T @ grad - grad) > 1e-3)
    assert not np.allclose(plain_back, plain, atol=1e-6)


def test_natural_gradient_on_a_bernoulli_lands_on_the_mle():
    """NLL of data with mean ȳ: ∇ = (p − ȳ)/(p(1−p)), Fisher 1/(p(1−p)): one step, lr 1, gives ȳ."""
    ybar = 0.3
    for p in (0.1, 0.5, 0.8):
        grad = np.array([(p - ybar) / (p * (1 - p))])
        fisher = np.array([[1 / (p * (1 - p))]])
        assert_allclose(opt.natural_gradient_step([p], grad, fisher, 1.0), [ybar], rtol=1e-14)


def test_natural_gradient_step_rejects_bad_fisher():
    with pytest.raises(ValueError, match="not positive definite.*damping"):
        opt.natural_gradient_step([0.0, 0.0], [1.0, 1.0], np.diag([1.0, -1.0]), 0.1)
    with pytest.raises(ValueError, match="not positive definite|numerically singular"):
        opt.natural_gradient_step([0.0, 0.0], [1.0, 1.0], np.diag([1.0, 0.0]), 0.1)
    with pytest.raises(ValueError, match="not symmetric"):
        opt.natural_gradient_step([0.0, 0.0], [1.0, 1.0], [[1.0, 0.5], [0.0, 1.0]], 0.1)
    with pytest.raises(ValueError, match="fisher must be \\(2, 2\\)"):
        opt.natural_gradient_step([0.0, 0.0], [1.0, 1.0], np.eye(3), 0.1)
    with pytest.raises(ValueError, match="grad must have the shape of theta"):
        opt.natural_gradient_step([0.0, 0.0], [1.0], np.eye(2), 0.1)
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        opt.natural_gradient_step([0.0, 0.0], [1.0, 1.0], np.eye(2), -0.1)


# ------------------------------------------------------------- result, callback, divergence


def test_callback_receives_iterations_and_can_stop():
    seen = []

    def cb(k, x):
        seen.append((k, x.copy()))
        return k == 3

    res = opt.gradient_descent(lambda x: 2 * x, [1.0, -1.0], 0.1, callback=cb, f=lambda x: x @ x)
    assert [k for k, _ in seen] == [1, 2, 3]
    assert res.iterations == 3 and not res.converged
    assert "callback" in res.message
    assert res.history.shape == (4, 2) and res.fun_history.shape == (4,)
    assert_allclose(res.history[1:], [x for _, x in seen])
    assert_allclose(res.history[3], 0.8 ** 3 * np.array([1.0, -1.0]))
    assert res.fun == pytest.approx(2 * 0.8 ** 6)


def test_result_fields_on_convergence():
    res = opt.momentum(lambda x: 2 * x, [3.0], 0.1, beta=0.5)
    assert isinstance(res, opt.OptimizeResult)
    assert res.converged and res.grad_norm <= 1e-6 and res.fun is None
    assert res.fun_history is None
    assert res.history.shape == (res.iterations + 1, 1)
    res = opt.gradient_descent(lambda x: 2 * x, [0.0], 0.1)
    assert res.converged and res.iterations == 0


def test_not_converged_after_max_iter():
    res = opt.gradient_descent(lambda x: 2 * x, [1.0], 1e-4, max_iter=10)
    assert not res.converged and not res.diverged and res.iterations == 10
    assert "max_iter" in res.message


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergence_detector_stops_on_blow_up_and_non_finite():
    res = opt.gradient_descent(lambda x: -np.exp(x), [1.0], 1.0, max_iter=1000)
    assert res.diverged and not res.converged and "diverged" in res.message
    assert not np.isfinite(res.x).all() or abs(res.x[0]) > 1e8
    res = opt.momentum(lambda x: np.array([np.nan if abs(x[0]) > 2 else -1.0]), [0.0], 1.0)
    assert res.diverged and not res.converged and res.iterations == 2
    assert np.isnan(res.grad_norm)
    assert opt.is_diverging([np.inf], [0.0]) and opt.is_diverging([1e9], [0.0])
    assert not opt.is_diverging([10.0], [0.0]) and opt.is_diverging([1.0], [0.0], fun=np.nan)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_newton_leaving_the_domain_stops_with_a_message():
    """f = x − log x: the Newton map is x ↦ 2x − x², which sends x0 = 3 to −3."""
    f = lambda x: x[0] - np.log(x[0])  # noqa: E731
    numeric = opt.newton(None, [3.0], f=f)
    assert not numeric.converged and "could not evaluate the gradient" in numeric.message
    assert numeric.iterations == 0
    analytic = opt.newton(lambda x: 1 - 1 / x, [3.0], hess_f=lambda x: np.diag(1 / x**2), f=f)
    assert analytic.diverged and not analytic.converged
    assert_allclose(analytic.history[-1], [-3.0])
    ok = opt.newton(None, [1.5], f=f)
    assert ok.converged and ok.x[0] == pytest.approx(1.0, abs=1e-8)


def test_bad_arguments_raise_with_helpful_messages():
    g = lambda x: 2 * x  # noqa: E731
    with pytest.raises(TypeError, match="grad_f must be a function"):
        opt.gradient_descent(np.array([1.0]), [1.0], 0.1)
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        opt.gradient_descent(g, [1.0], 0.0)
    with pytest.raises(ValueError, match="tol must be a finite number > 0"):
        opt.gradient_descent(g, [1.0], 0.1, tol=-1)
    with pytest.raises(ValueError, match="max_iter must be a positive integer"):
        opt.gradient_descent(g, [1.0], 0.1, max_iter=0)
    with pytest.raises(TypeError, match="callback must be a function"):
        opt.gradient_descent(g, [1.0], 0.1, callback=3)
    with pytest.raises(ValueError, match="non-finite"):
        opt.gradient_descent(g, [np.inf], 0.1)
    with pytest.raises(ValueError, match="grad_f\\(x\\) must have the shape of x"):
        opt.gradient_descent(lambda x: np.ones(3), [1.0, 2.0], 0.1)
    with pytest.raises(ValueError, match="gradient is not finite at x0"):
        opt.gradient_descent(lambda x: x * np.nan, [1.0], 0.1)
    with pytest.raises(ValueError, match="beta must be a number in \\[0, 1\\)"):
        opt.momentum(g, [1.0], 0.1, beta=1.0)
    with pytest.raises(TypeError, match="needs grad_f or f"):
        opt.newton(None, [1.0])
    with pytest.raises(ValueError, match="hess_f\\(x\\) must be an \\(2, 2\\) matrix"):
        opt.newton(g, [1.0, 2.0], hess_f=lambda x: np.eye(3))
    with pytest.raises(ValueError, match="damping"):
        opt.saddle_free_newton(g, [1.0], damping=0)
    with pytest.raises(TypeError, match="project must be a function"):
        opt.projected_gradient(g, None, [1.0], 0.1)
    with pytest.raises(ValueError, match="project\\(x\\) must have the shape of x"):
        opt.projected_gradient(g, lambda x: x[:1], [1.0, 2.0], 0.1)
