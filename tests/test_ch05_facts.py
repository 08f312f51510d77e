"""Chapter 5's facts, re-checked on the chapter's own code (no book build needed).

The chapter's code cells run once in one namespace (:func:`chapter_harness.run_chapter`):
sliders and glued values are recorded. Each slider's fact is checked at the grid values its
answer block names, no frame title prints the verdict, every number the prose quotes is
glued as a plain number, and each claim of the prose (the corrections COURSE.md asks for)
is re-derived here from independent oracles: numpy's SVD and pinv, closed forms.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from numpy.testing import assert_allclose

import calclib as cl

from chapter_harness import assert_glue_is_quoted, frame, grid, run_chapter, titles
from figure_a11y import assert_figures_accessible
from conftest import ROOT

CHAPTER = ROOT / "chapters" / "ch05-least-squares.md"
VERDICTS = re.compile(r"best|min|smallest|overfit|optimal|turns up|grow|shrink|sign", re.I)


@pytest.fixture(scope="module")
def run():
    r = run_chapter(CHAPTER)
    # the one cell that raises on purpose: the normal equations on dependent columns
    assert len(r.raised) == 1 and isinstance(r.raised[0], ValueError), r.raised
    assert "full column rank" in str(r.raised[0])
    return r


def test_every_glued_name_is_glued_with_a_plain_number(run):
    assert_glue_is_quoted(run)


def test_the_chapter_has_two_sliders(run):
    assert set(run.sliders) == {"draw_degree", "draw_ridge"}


def test_notation_gamma_half_penalty_and_the_intercept():
    text = CHAPTER.read_text(encoding="utf-8")
    assert r"\tfrac\gamma2\norm{\beta}^2" in text and r"(X\T X + \gamma I)\,\beta = X\T\vv y" in text
    assert "lambda I" not in text and r"\lambda I" not in text     # λ is a Lagrange multiplier
    assert "intercept should not be penalized" in text and "**centre** the data" in text
    assert not re.search(r"\bJ\(\\?beta", text)                       # the loss is L


# ---------------------------------------------------------------- 5.1 conditioning


def test_forming_AtA_squares_the_condition_number(run):
    g = run.glued
    # oracle: numpy's SVD of the chapter's matrix
    s = np.linalg.svd(run.ns["A_bad"], compute_uv=False)
    assert_allclose(g["cond_bad_A"], s[0] / s[-1], rtol=1e-8)
    assert_allclose(g["cond_bad_AtA"], (s[0] / s[-1]) ** 2, rtol=0.05)
    # the normal equations lose digits that QR and lstsq keep
    assert g["err_bad_normal"] > 1e-4 > 1e-8 > max(g["err_bad_qr"], g["err_bad_lstsq"])
    assert g["digits_normal"] <= 3 and g["digits_qr"] >= 8
    # errors follow kappa^2 eps and kappa eps within a factor of 100 (the figure's claim)
    eps = np.finfo(float).eps
    for kappa in (1e4, 1e6):
        e = run.ns["relative_errors"](kappa)
        assert kappa**2 * eps / 100 < e["normal"] < kappa**2 * eps * 100
        assert e["qr"] < kappa * eps * 100 and e["lstsq"] < kappa * eps * 100


def test_pseudoinverse_is_the_minimum_norm_solution(run):
    ns = run.ns
    A, b, x = ns["A_dep"], ns["b_dep"], ns["x_plus"]
    assert run.glued["rank_dep"] == np.linalg.matrix_rank(A) == 2
    assert_allclose(x, np.linalg.pinv(A) @ b, atol=1e-12)
    # every other minimizer is x + t n, longer, same residual
    n = ns["n_null"]
    assert_allclose(A @ n, 0, atol=1e-14)
    for t in (-2.0, 0.3, 1.0):
        assert np.linalg.norm(x + t * n) > np.linalg.norm(x)
        assert_allclose(np.linalg.norm(A @ (x + t * n) - b), np.linalg.norm(A @ x - b), rtol=1e-12)


# ---------------------------------------------------------------- 5.1 degree slider


def test_degree_slider_training_falls_held_out_turns_up(run):
    s = run.sliders["draw_degree"]
    ks = grid(s, "k").astype(int)
    assert list(ks) == list(range(13))
    ns = run.ns
    train, held = [], []
    for k in ks:   # oracle: numpy.polyfit on the chapter's data
        c = np.polyfit(ns["t_train"], ns["y_train"], k)
        train.append(np.mean((np.polyval(c, ns["t_train"]) - ns["y_train"]) ** 2))
        held.append(np.mean((np.polyval(c, ns["t_held"]) - ns["y_held"]) ** 2))
    train, held = np.array(train), np.array(held)
    assert np.all(np.diff(train) <= 1e-10)
    best = int(np.argmin(held))
    assert best == run.glued["best_degree"] and 0 < best < 12     # the grid contains it
    assert held[best + 1:].min() > held[best] and held[-1] > 1e3 * held[best]
    assert_allclose(run.glued["held_12"], held[-1], rtol=1e-4)
    assert_allclose(run.glued["held_best"], held[best], rtol=1e-6)
    # the frames show the numbers, not the verdict
    for k in (0, best, 12):
        fig = frame(s, k=int(k))
        text = " ".join(titles(fig))
        assert not VERDICTS.search(text), text
        assert f"{held[k]:.3g}" in text


# ---------------------------------------------------------------- 5.2 normal equations


def test_normal_equations_give_the_least_squares_coefficients(run):
    X, y, names = cl.load_diabetes()
    yc = y - y.mean()
    beta = np.linalg.lstsq(X, yc, rcond=None)[0]                 # oracle: SVD
    assert_allclose(run.ns["beta_ols"], beta, rtol=1e-9)
    for name in ("bmi", "s1", "s2", "s5"):
        assert_allclose(run.glued[f"ols_{name}"], beta[names.index(name)], rtol=1e-9)
    assert_allclose(run.glued["corr_s1_s2"], np.corrcoef(X[:, 4], X[:, 5])[0, 1], rtol=1e-12)
    # published coefficients (Efron et al. 2004): s1 about -792, s5 about 751
    assert round(run.glued["ols_s1"]) == -792 and round(run.glued["ols_s5"]) == 751


def test_ridge_gradient_is_zero_and_ridge_is_always_solvable(run):
    ns = run.ns
    X, y, g = ns["X_diab"], ns["y_c"], ns["gamma"]
    beta = ns["beta_ridge"]
    # oracle: the closed form through the SVD, beta = V diag(s/(s^2+g)) U^T y
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    assert_allclose(beta, Vt.T @ (s / (s**2 + g) * (U.T @ y)), rtol=1e-9)
    assert run.glued["grad_ridge_norm"] < 1e-9 * np.linalg.norm(X.T @ y)
    # N = 8 < d = 10: X^T X singular, X^T X + gamma I has smallest eigenvalue gamma
    Xf = ns["X_few"]
    assert run.glued["rank_few"] == 8
    assert_allclose(np.linalg.eigvalsh(Xf.T @ Xf + g * np.eye(10))[0], g, rtol=1e-9)


def test_ridge_slider_norm_falls_and_coefficients_change_sign(run):
    s = run.sliders["draw_ridge"]
    logs = grid(s, "log_gamma")
    ns = run.ns
    X, y = ns["X_diab"], ns["y_c"]
    assert 0.0 in logs and -1.0 in logs and logs[0] == -4 and logs[-1] == 2
    lam, V = np.linalg.eigh(X.T @ X)
    path = np.array([V @ ((V.T @ X.T @ y) / (lam + 10**lg)) for lg in logs])
    norms = np.linalg.norm(path, axis=1)
    assert np.all(np.diff(norms) < 0)
    assert_allclose([run.glued["norm_first"], run.glued["norm_last"]], norms[[0, -1]], rtol=1e-8)
    names = ns["FEATURES"]
    flips = [n for j, n in enumerate(names) if np.ptp(np.sign(path[:, j])) > 0]
    assert run.glued["n_sign_changes"] == len(flips) and "s1" in flips
    j1 = names.index("s1")
    assert path[0, j1] < 0 < path[list(logs).index(0.0), j1]
    assert_allclose(run.glued["s1_at_1"], path[list(logs).index(0.0), j1], rtol=1e-8)
    ja = names.index("age")
    assert np.abs(path[:, ja]).max() > 2 * abs(path[0, ja])          # age grows first
    for lg in (logs[0], 0.0, logs[-1]):
        fig = frame(s, log_gamma=lg)
        text = " ".join(titles(fig))
        assert not VERDICTS.search(text), text
        assert f"{norms[list(logs).index(lg)]:.0f}" in text


def test_held_out_ridge_claims(run):
    g = run.glued
    assert g["mse_ridge_best"] < g["mse_ls"] < g["mse_ridge_100"] < g["mse_mean_only"]
    assert g["n_train"] == 442 - round(0.25 * 442)
    assert g["best_gamma"] in run.ns["GAMMAS"]


def test_figures_meet_contrast_and_do_not_rely_on_colour_alone(run):
    """Every static figure and slider frame of the chapter (tests/figure_a11y.py)."""
    assert_figures_accessible(run)
