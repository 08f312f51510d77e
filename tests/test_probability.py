"""Tests of calclib.probability (section 11.3) against closed forms, sympy, scipy and Monte Carlo.

Monte Carlo checks use seeded generators and tolerances of several standard errors, so
they are deterministic and not fragile. Fisher = -E[Hessian] is checked exactly with
sympy. The invariance of the natural gradient is checked on directions and on whole
discrete paths.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
import scipy.stats
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from calclib import derivatives
from calclib import probability as pr

PROPERTY = settings(derandomize=True, max_examples=40, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

probs = st.floats(0.01, 0.99)
sigmas = st.floats(0.05, 20.0)
mus = st.floats(-10.0, 10.0)


# --- closed forms -----------------------------------------------------------------------

def test_fisher_bernoulli_at_one_half_is_four():
    assert pr.fisher_bernoulli(0.5) == 4.0


@PROPERTY
@given(p=probs)
def test_fisher_bernoulli_closed_form(p):
    assert_allclose(pr.fisher_bernoulli(p), 1 / (p * (1 - p)), rtol=1e-15)
    assert pr.fisher_bernoulli(p) >= 4.0


@PROPERTY
@given(mu=mus, sigma=sigmas)
def test_fisher_gaussian_closed_forms_and_reparameterization(mu, sigma):
    F = pr.fisher_gaussian(mu, sigma)
    assert_allclose(F, [[1 / sigma**2, 0], [0, 2 / sigma**2]], rtol=1e-15)
    G = pr.fisher_gaussian(mu, sigma, param="log_sigma")
    assert_allclose(G, [[1 / sigma**2, 0], [0, 2]], rtol=1e-15)
    J = np.diag([1.0, sigma])                      # d(mu, sigma) / d(mu, log sigma)
    assert_allclose(pr.reparameterize_fisher(F, J), G, rtol=1e-14)


def test_logliks_against_scipy():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, 50).astype(float)
    assert_allclose(pr.loglik_bernoulli(0.3, x), scipy.stats.bernoulli.logpmf(x, 0.3).sum(), rtol=1e-13)
    z = rng.normal(1.0, 2.0, 50)
    assert_allclose(pr.loglik_gaussian(0.5, 1.7, z), scipy.stats.norm.logpdf(z, 0.5, 1.7).sum(), rtol=1e-13)
    X, w = rng.normal(size=(40, 3)), rng.normal(size=3)
    y = (rng.random(40) < scipy.special.expit(X @ w)).astype(float)
    p = scipy.special.expit(X @ w)
    expected = np.sum(y * np.log(p) + (1 - y) * np.log1p(-p))
    assert_allclose(pr.loglik_logistic(w, X, y), expected, rtol=1e-12)
    # large logits: no log(0)
    assert np.isfinite(pr.loglik_logistic(np.array([1e3]), np.array([[1.0], [-1.0]]), np.array([1.0, 0.0])))


# --- scores are gradients of the log-likelihood ------------------------------------------

def test_scores_sum_to_the_gradient_of_the_loglik():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 2, 30).astype(float)
    g = derivatives.gradient(lambda t: pr.loglik_bernoulli(t[0], x), [0.3])
    assert_allclose(pr.score_bernoulli(0.3, x).sum(), g[0], rtol=1e-8)

    z = rng.normal(1.0, 2.0, 30)
    th = np.array([0.4, 1.3])
    g = derivatives.gradient(lambda t: pr.loglik_gaussian(t[0], t[1], z), th)
    assert_allclose(pr.score_gaussian(*th, z).sum(axis=0), g, rtol=1e-8)
    phi = np.array([0.4, np.log(1.3)])
    g = derivatives.gradient(lambda t: pr.loglik_gaussian(t[0], np.exp(t[1]), z), phi)
    assert_allclose(pr.score_gaussian(*th, z, param="log_sigma").sum(axis=0), g, rtol=1e-8)

    X, w = rng.normal(size=(25, 3)), rng.normal(size=3)
    y = rng.integers(0, 2, 25).astype(float)
    g = derivatives.gradient(lambda t: pr.loglik_logistic(t, X, y), w)
    S = pr.score_logistic(w, X, y)
    assert S.shape == (25, 3)
    assert_allclose(S.sum(axis=0), g, rtol=1e-7, atol=1e-9)


# --- Fisher = E[score score^T] (Monte Carlo) ----------------------------------------------

def test_bernoulli_fisher_is_the_variance_of_the_score_monte_carlo():
    rng = np.random.default_rng(2)
    for p in (0.5, 0.2, 0.9):
        x = (rng.random(200_000) < p).astype(float)
        s = pr.score_bernoulli(p, x)
        se = s.std() / np.sqrt(s.size)
        assert abs(s.mean()) <= 4 * se                         # the score has mean zero
        assert_allclose(pr.empirical_fisher(s)[0, 0], pr.fisher_bernoulli(p), rtol=0.02)


@pytest.mark.parametrize("param", ["sigma", "log_sigma"])
def test_gaussian_fisher_is_the_covariance_of_the_score_monte_carlo(param):
    rng = np.random.default_rng(3)
    mu, sigma = 1.5, 0.7
    S = pr.score_gaussian(mu, sigma, rng.normal(mu, sigma, 400_000), param=param)
    F = pr.fisher_gaussian(mu, sigma, param=param)
    assert_allclose(S.mean(axis=0), 0.0, atol=0.02 * np.sqrt(np.diag(F)).max())
    assert_allclose(pr.empirical_fisher(S), F, rtol=0.02, atol=0.02 * np.abs(F).max())


def test_logistic_fisher_is_the_covariance_of_the_score_monte_carlo():
    rng = np.random.default_rng(4)
    X, w = rng.normal(size=(30, 3)), np.array([1.0, -0.5, 0.3])
    p = scipy.special.expit(X @ w)
    reps = 4000
    # y ~ Bernoulli(p) from the model, X fixed; stack the scores of every replicate
    Y = (rng.random((reps, 30)) < p).astype(float)
    S = np.concatenate([pr.score_logistic(w, X, y) for y in Y])
    F = pr.fisher_logistic(w, X)
    assert_allclose(F, X.T @ np.diag(p * (1 - p)) @ X / 30, rtol=1e-13)
    assert_allclose(pr.empirical_fisher(S), F, rtol=0.03, atol=0.03 * np.abs(F).max())


# --- Fisher = -E[Hessian] (exact, sympy; and numerically) ---------------------------------

def test_fisher_is_minus_expected_hessian_bernoulli_sympy():
    p, x = sp.symbols("p x", positive=True)
    loglik = x * sp.log(p) + (1 - x) * sp.log(1 - p)
    d2 = sp.diff(loglik, p, 2)
    expected = p * d2.subs(x, 1) + (1 - p) * d2.subs(x, 0)
    fisher = sp.simplify(-expected)
    assert sp.simplify(fisher - 1 / (p * (1 - p))) == 0
    for value in (0.5, 0.13, 0.77):
        assert_allclose(float(fisher.subs(p, value)), pr.fisher_bernoulli(value), rtol=1e-14)


@pytest.mark.parametrize("param", ["sigma", "log_sigma"])
def test_fisher_is_minus_expected_hessian_gaussian_sympy(param):
    mu, x = sp.symbols("mu x", real=True)
    sigma = sp.symbols("sigma", positive=True)
    t = sp.symbols("t", real=True)                     # t = sigma or t = log sigma
    s_of_t = t if param == "sigma" else sp.exp(t)
    loglik = -sp.log(2 * sp.pi) / 2 - sp.log(s_of_t) - (x - mu) ** 2 / (2 * s_of_t**2)
    H = sp.hessian(loglik, (mu, t))
    # E over x ~ N(mu, sigma^2): write x = mu + sigma z and use the moments of z ~ N(0, 1)
    z = sp.symbols("z", real=True)
    moments = {0: 1, 1: 0, 2: 1, 3: 0, 4: 3}
    t_value = sigma if param == "sigma" else sp.log(sigma)

    def expectation(h):
        poly = sp.Poly(sp.expand(h.subs(t, t_value).subs(x, mu + sigma * z)), z)
        return sp.simplify(sum(c * moments[k] for (k,), c in poly.terms()))

    EH = H.applyfunc(expectation)
    for m, s in ((0.0, 1.0), (1.2, 0.3), (-2.0, 4.5)):
        F = -np.array(EH.subs({mu: m, sigma: s}).evalf(), dtype=float)
        assert_allclose(F, pr.fisher_gaussian(m, s, param=param), rtol=1e-12, atol=1e-14)


def test_fisher_is_minus_hessian_over_n_logistic():
    rng = np.random.default_rng(5)
    X, w = rng.normal(size=(20, 3)), rng.normal(size=3)
    y = rng.integers(0, 2, 20).astype(float)
    H_num = derivatives.hessian(lambda t: pr.loglik_logistic(t, X, y), w)
    assert_allclose(pr.hessian_logistic(w, X), H_num, rtol=1e-5, atol=1e-5)
    assert_allclose(pr.fisher_logistic(w, X), -H_num / 20, rtol=1e-5, atol=1e-6)
    assert np.all(np.linalg.eigvalsh(pr.fisher_logistic(w, X)) > 0)


# --- the natural gradient -----------------------------------------------------------------

@PROPERTY
@given(seed=st.integers(0, 10_000), d=st.integers(1, 6))
def test_natural_gradient_solves_the_system(seed, d):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d, d))
    F = A @ A.T + 0.1 * np.eye(d)
    g = rng.normal(size=d)
    ng = pr.natural_gradient(g, F)
    assert_allclose(F @ ng, g, rtol=1e-9, atol=1e-9 * np.linalg.norm(g))
    assert_allclose(pr.natural_gradient(g, F, damping=0.5), np.linalg.solve(F + 0.5 * np.eye(d), g),
                    rtol=1e-9, atol=1e-12)


def _gaussian_grads(theta, x):
    """Gradients of the mean negative log-likelihood in (mu, sigma) and in (mu, log sigma)."""
    mu, sigma = theta
    g_sigma = -pr.score_gaussian(mu, sigma, x).mean(axis=0)
    g_log = -pr.score_gaussian(mu, sigma, x, param="log_sigma").mean(axis=0)
    return g_sigma, g_log


def test_natural_gradient_direction_is_the_same_in_sigma_and_log_sigma():
    x = np.random.default_rng(6).normal(2.0, 3.0, 500)
    for mu, sigma in ((0.0, 2.0), (1.0, 0.4), (-3.0, 6.0)):
        g_sigma, g_log = _gaussian_grads((mu, sigma), x)
        J = np.diag([1.0, sigma])
        assert_allclose(pr.reparameterize_grad(g_sigma, J), g_log, rtol=1e-13)
        nat_sigma = pr.natural_gradient(g_sigma, pr.fisher_gaussian(mu, sigma))
        nat_log = pr.natural_gradient(g_log, pr.fisher_gaussian(mu, sigma, param="log_sigma"))
        # map the log-sigma step back to (mu, sigma): d(mu, sigma) = J d(mu, log sigma)
        assert_allclose(J @ nat_log, nat_sigma, rtol=1e-12)
        # the plain gradient is not invariant: J g_log = J J^T g_sigma != g_sigma
        assert np.linalg.norm(J @ g_log - g_sigma) > 0.05 * np.linalg.norm(g_sigma)


def test_natural_gradient_paths_agree_plain_gradient_paths_do_not():
    x = np.random.default_rng(7).normal(2.0, 3.0, 500)
    lr, steps = 0.01, 200

    def path(natural, in_log):
        mu, sigma = 0.0, 0.5
        out = []
        for _ in range(steps):
            g_sigma, g_log = _gaussian_grads((mu, sigma), x)
            if in_log:
                g = pr.natural_gradient(g_log, pr.fisher_gaussian(mu, sigma, "log_sigma")) if natural else g_log
                mu, sigma = mu - lr * g[0], sigma * np.exp(-lr * g[1])
            else:
                g = pr.natural_gradient(g_sigma, pr.fisher_gaussian(mu, sigma)) if natural else g_sigma
                mu, sigma = mu - lr * g[0], sigma - lr * g[1]
            out.append((mu, sigma))
        return np.array(out)

    nat_gap = np.max(np.abs(path(True, False) - path(True, True)))
    plain_gap = np.max(np.abs(path(False, False) - path(False, True)))
    assert nat_gap < 0.02          # the same path up to O(lr) discretization
    assert plain_gap > 10 * nat_gap


# --- errors -------------------------------------------------------------------------------

def test_errors_say_what_to_do():
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        pr.fisher_bernoulli(1.0)
    with pytest.raises(ValueError, match="only 0 and 1"):
        pr.score_bernoulli(0.3, [0, 1, 2])
    with pytest.raises(ValueError, match=r"sigma must be > 0.*log sigma"):
        pr.fisher_gaussian(0.0, -1.0)
    with pytest.raises(ValueError, match="param must be 'sigma' or 'log_sigma'"):
        pr.score_gaussian(0.0, 1.0, [1.0], param="variance")
    with pytest.raises(ValueError, match="non-finite"):
        pr.loglik_gaussian(0.0, 1.0, [1.0, np.nan])
    with pytest.raises(ValueError, match="X has 2 columns but w has 3"):
        pr.fisher_logistic(np.zeros(3), np.ones((4, 2)))
    with pytest.raises(ValueError, match="one label per row"):
        pr.score_logistic(np.zeros(2), np.ones((4, 2)), [0, 1])
    with pytest.raises(ValueError, match="not positive definite.*damping"):
        pr.natural_gradient([1.0, 1.0], [[1.0, 0.0], [0.0, 0.0]])
    assert_allclose(pr.natural_gradient([1.0, 1.0], [[1.0, 0.0], [0.0, 0.0]], damping=1.0), [0.5, 1.0])
    with pytest.raises(ValueError, match="numerically singular.*damping"):
        pr.natural_gradient([1.0, 1.0], [[1.0, 0.0], [0.0, 1e-15]])
    with pytest.raises(ValueError, match="not symmetric"):
        pr.natural_gradient([1.0, 1.0], [[2.0, 1.0], [0.0, 2.0]])
    with pytest.raises(ValueError, match=r"must be a \(2, 2\) matrix"):
        pr.natural_gradient([1.0, 1.0], np.eye(3))
    with pytest.raises(ValueError, match=r"J must have one row per old parameter \(2\)"):
        pr.reparameterize_fisher(np.eye(2), np.eye(3))
    with pytest.raises(ValueError, match="damping must be >= 0"):
        pr.natural_gradient([1.0], [[1.0]], damping=-1.0)
