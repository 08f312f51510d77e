"""Tests of calclib.lstsq (chapter 5) against numpy.linalg, scipy.linalg and closed forms.

Expected values come from ``numpy.linalg.lstsq``, ``scipy.linalg.lstsq``,
``numpy.linalg.pinv``, an augmented least-squares formulation of ridge, and the
optimality conditions themselves (the gradient is zero at the returned solution).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose

from calclib import lstsq as cl

EPS = np.finfo(float).eps
METHODS = ["normal", "qr", "lstsq", "pinv"]

PROPERTY = settings(derandomize=True, max_examples=50, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def systems(draw, max_cond=1e4):
    """A well-conditioned tall system A (m, n), m >= n, and a right-hand side b."""
    n = draw(st.integers(1, 5))
    m = draw(st.integers(n, 12))
    # zero or at least 1e-3 in size: the check's own scale ||A|| ||b|| must not underflow;
    # tiny and huge systems are tested separately
    elems = st.one_of(st.just(0.0), st.floats(1e-3, 10), st.floats(-10, -1e-3))
    A = draw(hnp.arrays(float, (m, n), elements=elems))
    b = draw(hnp.arrays(float, m, elements=elems))
    s = np.linalg.svd(A, compute_uv=False)
    assume(s[-1] > 0 and s[0] / s[-1] < max_cond)
    return A, b


def random_system(seed, m=30, n=4):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(m, n)), rng.normal(size=m)


# --------------------------------------------------------------------------------------
# fit_least_squares (5.1, 5.2)
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
def test_matches_numpy_and_scipy_lstsq(method):
    for seed, (m, n) in enumerate([(30, 4), (8, 8), (100, 10), (5, 1)]):
        A, b = random_system(seed, m, n)
        x = cl.fit_least_squares(A, b, method)
        assert x.shape == (n,)
        assert_allclose(x, np.linalg.lstsq(A, b, rcond=None)[0], rtol=1e-10, atol=1e-12)
        assert_allclose(x, scipy.linalg.lstsq(A, b)[0], rtol=1e-10, atol=1e-12)


def test_default_is_the_normal_equations_and_never_inverts(monkeypatch):
    A, b = random_system(1)

    def no_inverse(*args, **kwargs):
        raise AssertionError("the normal equations must be solved, not inverted")

    monkeypatch.setattr(np.linalg, "inv", no_inverse)
    monkeypatch.setattr(np.linalg, "pinv", no_inverse)
    x = cl.fit_least_squares(A, b)
    assert_allclose(A.T @ A @ x, A.T @ b, rtol=1e-12, atol=1e-12)


def test_exact_solution_of_a_consistent_system():
    # a line through three collinear points: zero residual, the exact coefficients
    A = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
    b = 2.0 + 3.0 * A[:, 1]
    for method in METHODS:
        assert_allclose(cl.fit_least_squares(A, b, method), [2.0, 3.0], rtol=1e-13)
        assert_allclose(cl.residual(A, cl.fit_least_squares(A, b, method), b), 0, atol=1e-13)
    # the mean is the least-squares constant
    b = np.array([1.0, 4.0, 10.0])
    assert_allclose(cl.fit_least_squares(np.ones((3, 1)), b), [5.0], rtol=1e-15)


@PROPERTY
@given(systems())
def test_residual_is_orthogonal_to_the_column_space(system):
    A, b = system
    for method in METHODS:
        x = cl.fit_least_squares(A, b, method)
        r = cl.residual(A, x, b)
        assert_allclose(r, b - A @ x, rtol=0, atol=0)
        # A^T r = 0 up to rounding of the size ||A|| ||b|| (times the condition for 'normal')
        scale = np.linalg.norm(A, 2) * (np.linalg.norm(b) + 1e-300)
        assert np.max(np.abs(A.T @ r)) <= 1e-9 * scale
        # and no other x does better (perturb along random directions)
        rng = np.random.default_rng(0)
        for _ in range(3):
            dx = rng.normal(size=x.shape) * 1e-3 * (1 + np.linalg.norm(x))
            assert np.linalg.norm(A @ (x + dx) - b) >= np.linalg.norm(r) * (1 - 1e-12)


def test_normal_equations_raise_on_rank_deficiency_with_advice():
    A, b = random_system(2, 20, 3)
    A = np.column_stack([A, A[:, 0] + 2 * A[:, 1]])     # column 3 depends on 0 and 1
    with pytest.raises(ValueError, match=r"A does not have full column rank \(rank 3 < 4 columns"
                                         r".*method='lstsq'.*pseudoinverse_solution.*ridge"):
        cl.fit_least_squares(A, b)
    with pytest.raises(ValueError, match=r"rank-deficient.*column 3.*method='lstsq'"):
        cl.fit_least_squares(A, b, "qr")
    # a zero column, and more unknowns than equations
    with pytest.raises(ValueError, match="full column rank"):
        cl.fit_least_squares(np.column_stack([A[:, :2], np.zeros(20)]), b)
    with pytest.raises(ValueError, match=r"A has 2 rows and 3 columns: fewer equations than unknowns"):
        cl.fit_least_squares(np.ones((2, 3)) + np.eye(2, 3), [1.0, 2.0], "qr")
    # the routes that accept rank deficiency agree with numpy
    for method in ("lstsq", "pinv"):
        assert_allclose(cl.fit_least_squares(A, b, method), np.linalg.lstsq(A, b, rcond=None)[0],
                        rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("scale", [1e-200, 1e200])
def test_tiny_and_huge_systems_do_not_under_or_overflow(scale):
    A, b = random_system(3, 10, 3)
    x = np.linalg.lstsq(A, b, rcond=None)[0]
    for method in METHODS:
        assert_allclose(cl.fit_least_squares(A * scale, b * scale, method), x, rtol=1e-10)
        assert_allclose(cl.fit_least_squares(A * scale, b, method) * scale, x, rtol=1e-10)


def test_squaring_the_condition_number_normal_fails_where_qr_works():
    # A = U diag(s) V^T with cond(A) = 1e9: full rank, but cond(A^T A) = 1e18 > 1/eps
    rng = np.random.default_rng(5)
    U, _ = np.linalg.qr(rng.normal(size=(40, 4)))
    V, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    A = U @ np.diag([1.0, 1e-3, 1e-6, 1e-9]) @ V.T
    x_true = np.array([1.0, -2.0, 3.0, 0.5])
    b = A @ x_true
    with pytest.raises(ValueError, match=r"A\^T A is numerically singular.*squares the condition "
                                         r"number.*method='qr'"):
        cl.fit_least_squares(A, b, "normal")
    x = cl.fit_least_squares(A, b, "qr")
    # QR loses about log10(cond(A)) = 9 digits, not 18
    assert np.linalg.norm(x - x_true) <= 1e-9 * 1e9 * np.linalg.norm(x_true) * 10

    # at cond(A) = 1e5 both work, and the normal equations are visibly less accurate
    A = U @ np.diag([1.0, 1e-2, 1e-4, 1e-5]) @ V.T
    b = A @ x_true
    err_normal = np.linalg.norm(cl.fit_least_squares(A, b, "normal") - x_true)
    err_qr = np.linalg.norm(cl.fit_least_squares(A, b, "qr") - x_true)
    assert err_qr <= 1e5 * EPS * 100 * np.linalg.norm(x_true)
    assert err_normal > 10 * err_qr


def test_condition_number_and_the_square_law():
    rng = np.random.default_rng(0)
    for _ in range(5):
        A = rng.normal(size=(20, 4)) * 10.0 ** rng.uniform(-2, 2, size=4)
        assert_allclose(cl.condition_number(A), np.linalg.cond(A), rtol=1e-10)
        cA, cAtA = cl.normal_equations_condition(A)
        assert_allclose(cAtA, cA ** 2, rtol=1e-6)
    # Vandermonde matrices: the classic ill-conditioned example
    V = cl.polynomial_features(np.linspace(0, 1, 50), 5)
    res = cl.normal_equations_condition(V)
    assert res.cond_A > 1e3 and res.cond_AtA == pytest.approx(res.cond_A ** 2, rel=1e-4)
    assert cl.condition_number(np.ones((3, 2))) >= 1e15           # rank 1: numerically infinite
    assert cl.condition_number(np.array([[1.0, 0.0], [0.0, 0.0]])) == np.inf
    assert cl.condition_number(np.eye(3)) == 1.0
    with pytest.raises(ValueError, match="at least as many rows as columns"):
        cl.normal_equations_condition(np.ones((2, 3)))


# --------------------------------------------------------------------------------------
# pseudoinverse (5.1)
# --------------------------------------------------------------------------------------

def rank_deficient(seed, m=8, n=5, r=3):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(m, r)) @ rng.normal(size=(r, n)), rng.normal(size=m)


@pytest.mark.parametrize("shape", [(8, 5, 3), (5, 8, 3), (6, 6, 2), (4, 7, 4)])
def test_pseudoinverse_matches_numpy_pinv_and_penrose_conditions(shape):
    A, b = rank_deficient(sum(shape), *shape)
    P = cl.pseudoinverse(A)
    assert P.shape == A.shape[::-1]
    assert_allclose(P, np.linalg.pinv(A), rtol=1e-8, atol=1e-10)
    for lhs, rhs in ((A @ P @ A, A), (P @ A @ P, P), ((A @ P).T, A @ P), ((P @ A).T, P @ A)):
        assert_allclose(lhs, rhs, rtol=0, atol=1e-10 * max(1.0, np.abs(rhs).max()))
    x = cl.pseudoinverse_solution(A, b)
    assert_allclose(x, np.linalg.pinv(A) @ b, rtol=1e-8, atol=1e-10)
    assert_allclose(x, np.linalg.lstsq(A, b, rcond=None)[0], rtol=1e-8, atol=1e-10)


def test_pseudoinverse_solution_has_minimum_norm():
    A, b = rank_deficient(3, 8, 5, 3)
    x = cl.pseudoinverse_solution(A, b)
    null = scipy.linalg.null_space(A)             # (5, 2): directions A does not see
    assert_allclose(null.T @ x, 0, atol=1e-10)    # x has no null-space component
    rng = np.random.default_rng(0)
    for _ in range(5):
        z = x + null @ rng.normal(size=null.shape[1])
        # the same residual (also a least-squares solution), but a larger norm
        assert_allclose(np.linalg.norm(A @ z - b), np.linalg.norm(A @ x - b), rtol=1e-10)
        assert np.linalg.norm(z) > np.linalg.norm(x)
    # underdetermined, full row rank: solves Ax = b exactly and equals A^T (A A^T)^{-1} b
    A = np.random.default_rng(1).normal(size=(3, 6))
    b = np.array([1.0, -1.0, 2.0])
    x = cl.pseudoinverse_solution(A, b)
    assert_allclose(A @ x, b, atol=1e-12)
    assert_allclose(x, A.T @ np.linalg.solve(A @ A.T, b), rtol=1e-10)


def test_pseudoinverse_rcond_cuts_small_singular_values():
    A = np.diag([1.0, 1e-8])
    b = np.array([1.0, 1.0])
    assert_allclose(cl.pseudoinverse_solution(A, b), [1.0, 1e8], rtol=1e-12)
    assert_allclose(cl.pseudoinverse_solution(A, b, rcond=1e-6), [1.0, 0.0], rtol=1e-15)
    with pytest.raises(ValueError, match="rcond must be a number in"):
        cl.pseudoinverse(A, rcond=-1)


# --------------------------------------------------------------------------------------
# ridge (5.2)
# --------------------------------------------------------------------------------------

def ridge_oracle(X, y, lam, d=None):
    """Ridge as ordinary least squares on the augmented system [X; sqrt(lam D)] beta = [y; 0]."""
    p = X.shape[1]
    D = np.eye(p) if d is None else np.diag(d)
    Xa = np.vstack([X, np.sqrt(lam) * D])
    return np.linalg.lstsq(Xa, np.concatenate([y, np.zeros(p)]), rcond=None)[0]


@PROPERTY
@given(systems(max_cond=1e6), st.floats(1e-3, 1e3))
def test_ridge_gradient_is_zero_at_the_solution(system, lam):
    X, y = system
    beta = cl.ridge(X, y, lam)
    grad = X.T @ (X @ beta - y) + lam * beta
    scale = (np.linalg.norm(X, 2) ** 2 + lam) * (np.linalg.norm(beta) + 1) + np.linalg.norm(X.T @ y)
    assert np.max(np.abs(grad)) <= 1e-11 * scale
    assert_allclose(beta, ridge_oracle(X, y, lam), rtol=1e-7, atol=1e-9 * (1 + np.abs(beta).max()))


def test_ridge_limits_lam_to_zero_and_to_infinity():
    X, y = random_system(4, 30, 5)
    ols = np.linalg.lstsq(X, y, rcond=None)[0]
    assert_allclose(cl.ridge(X, y, 1e-10), ols, rtol=1e-8)
    errs = [np.linalg.norm(cl.ridge(X, y, lam) - ols) for lam in (1e-2, 1e-4, 1e-6)]
    assert errs[0] > errs[1] > errs[2]            # converges to OLS as lam -> 0
    big = cl.ridge(X, y, 1e12)
    assert np.linalg.norm(big) <= np.linalg.norm(X.T @ y) / 1e12 * 1.001   # -> 0
    assert_allclose(big * 1e12, X.T @ y, rtol=1e-6)  # beta ~ X^T y / lam


def test_ridge_path_shrinks_monotonically():
    X, y = random_system(6, 40, 6)
    lams = np.logspace(-4, 4, 30)
    path = cl.ridge_path(X, y, lams)
    assert path.shape == (30, 6)
    for lam, row in zip(lams[::7], path[::7]):
        assert_allclose(row, cl.ridge(X, y, lam), rtol=1e-14)
    norms = np.linalg.norm(path, axis=1)
    assert np.all(np.diff(norms) < 0)   # a theorem: ||beta(lam)|| decreases with lam


def test_ridge_solves_rank_deficient_and_wide_problems():
    X, y = rank_deficient(7, 10, 6, 3)
    beta = cl.ridge(X, y, 0.5)
    assert_allclose(beta, ridge_oracle(X, y, 0.5), rtol=1e-9)
    # lam -> 0 gives the minimum-norm (pseudoinverse) solution
    assert_allclose(cl.ridge(X, y, 1e-9), cl.pseudoinverse_solution(X, y), rtol=1e-5, atol=1e-7)
    Xw = np.random.default_rng(8).normal(size=(4, 9))   # more features than samples
    assert_allclose(cl.ridge(Xw, y[:4], 1.0), ridge_oracle(Xw, y[:4], 1.0), rtol=1e-10)


def test_ridge_unpenalized_intercept():
    rng = np.random.default_rng(9)
    x = rng.uniform(-1, 1, 40)
    X = cl.polynomial_features(x, 3)              # column 0 is the intercept
    y = 5.0 + x - 2 * x ** 3 + 0.1 * rng.normal(size=40)
    lam = 3.0
    beta = cl.ridge(X, y, lam, unpenalized=0)
    d = np.array([0.0, 1.0, 1.0, 1.0])
    assert_allclose(X.T @ (X @ beta - y) + lam * d * beta, 0, atol=1e-10)
    assert_allclose(beta, ridge_oracle(X, y, lam, d), rtol=1e-9)
    # shifting y moves only the (unpenalized) intercept, by the shift
    shifted = cl.ridge(X, y + 100.0, lam, unpenalized=0)
    assert_allclose(shifted - beta, [100.0, 0, 0, 0], atol=1e-9)
    # with the intercept penalized this equivariance fails: the check is meaningful
    penalized = cl.ridge(X, y + 100.0, lam) - cl.ridge(X, y, lam)
    assert np.max(np.abs(penalized[1:])) > 1.0
    # a list of columns, negative indices
    assert_allclose(cl.ridge(X, y, lam, unpenalized=[0, -1]),
                    ridge_oracle(X, y, lam, np.array([0.0, 1, 1, 0])), rtol=1e-9)


# --------------------------------------------------------------------------------------
# polynomial features, held-out error (5.1)
# --------------------------------------------------------------------------------------

def test_polynomial_features_is_the_vandermonde_matrix():
    x = np.array([-1.0, 0.5, 2.0, 3.0])
    V = cl.polynomial_features(x, 3)
    assert_allclose(V, np.column_stack([np.ones(4), x, x ** 2, x ** 3]), rtol=1e-15)
    assert_allclose(V, np.vander(x, 4, increasing=True), rtol=0)
    assert_allclose(cl.polynomial_features(x, 3, include_bias=False), V[:, 1:], rtol=0)
    assert_allclose(cl.polynomial_features(x, 0), np.ones((4, 1)), rtol=0)


def test_polynomial_regression_recovers_coefficients_and_training_error_falls():
    x = np.linspace(-1, 1, 25)
    coef = np.array([0.5, -1.0, 0.0, 2.0])
    y = cl.polynomial_features(x, 3) @ coef
    for method in ("normal", "qr", "lstsq"):
        assert_allclose(cl.fit_least_squares(cl.polynomial_features(x, 3), y, method), coef,
                        atol=1e-12)
    # nested models: the training error cannot increase with the degree
    rng = np.random.default_rng(0)
    y_noisy = np.sin(3 * x) + 0.2 * rng.normal(size=x.size)
    train = [cl.mse(y_noisy, cl.polynomial_features(x, d) @
                    cl.fit_least_squares(cl.polynomial_features(x, d), y_noisy, "qr"))
             for d in range(11)]
    assert np.all(np.diff(train) <= 1e-12)


def test_mse_and_train_test_split():
    assert cl.mse([1.0, 2.0, 3.0], [1.0, 0.0, 6.0]) == pytest.approx(13 / 3, rel=1e-15)
    X = np.arange(20.0).reshape(10, 2)
    y = np.arange(10.0)
    Xtr, Xte, ytr, yte = cl.train_test_split(X, y, 0.3, rng=1)
    assert Xtr.shape == (7, 2) and Xte.shape == (3, 2) and ytr.shape == (7,)
    assert sorted(np.concatenate([ytr, yte])) == list(y)          # a partition
    assert_allclose(Xtr[:, 0] / 2, ytr, rtol=0)                    # rows stay with their y
    again = cl.train_test_split(X, y, 0.3, rng=1)
    assert all(np.array_equal(u, v) for u, v in zip(again, (Xtr, Xte, ytr, yte)))
    x1 = np.linspace(0, 1, 9)
    a, b, c, d = cl.train_test_split(x1, x1, 0.01)                # 1-D x, at least one held out
    assert b.shape == (1,) and a.shape == (8,)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        cl.train_test_split(X, y, 1.0)


# --------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------

def test_bad_input_messages():
    A, b = random_system(0, 6, 2)
    with pytest.raises(ValueError, match=r"^b has 5 entries but A has 6 rows; each row of A is one "
                                         r"equation"):
        cl.fit_least_squares(A, b[:5])
    with pytest.raises(ValueError, match=r"^y has 5 entries but X has 6 rows"):
        cl.ridge(A, b[:5], 1.0)
    bad = A.copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"A contains a non-finite value \(nan or inf\) at index \(2, 1\)"):
        cl.fit_least_squares(bad, b)
    with pytest.raises(ValueError, match=r"b contains a non-finite value"):
        cl.fit_least_squares(A, np.where(np.arange(6) == 3, np.inf, b))
    with pytest.raises(ValueError, match="A must be a 2-D array"):
        cl.fit_least_squares(b, b)
    with pytest.raises(ValueError, match="method must be one of"):
        cl.fit_least_squares(A, b, "cholesky")
    with pytest.raises(ValueError, match=r"gamma must be > 0, got -1\.0: a negative penalty"):
        cl.ridge(A, b, -1.0)
    with pytest.raises(ValueError, match=r"gamma = 0 is ordinary least squares: use fit_least_squares"):
        cl.ridge(A, b, 0)
    with pytest.raises(ValueError, match="gamma must be finite"):
        cl.ridge(A, b, np.inf)
    with pytest.raises(TypeError, match="for a grid use ridge_path"):
        cl.ridge(A, b, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"every penalty in gammas must be > 0, got 0\.0"):
        cl.ridge_path(A, b, [1.0, 0.0])
    with pytest.raises(ValueError, match="unpenalized column index out of range"):
        cl.ridge(A, b, 1.0, unpenalized=5)
    with pytest.raises(ValueError, match="every column is unpenalized"):
        cl.ridge(A, b, 1.0, unpenalized=[0, 1])
    with pytest.raises(ValueError, match="unpenalized columns are linearly dependent"):
        cl.ridge(np.column_stack([np.ones(6), np.ones(6), A]), b, 1.0, unpenalized=[0, 1])
    with pytest.raises(ValueError, match=r"degree must be an integer >= 0, got -1"):
        cl.polynomial_features([1.0, 2.0], -1)
    with pytest.raises(TypeError, match=r"degree must be an integer, got 2\.0"):
        cl.polynomial_features([1.0, 2.0], 2.0)
    with pytest.raises(ValueError, match="leaves no columns"):
        cl.polynomial_features([1.0, 2.0], 0, include_bias=False)
    with pytest.raises(ValueError, match=r"x must have length 2"):
        cl.residual(A, [1.0, 2.0, 3.0], b)
