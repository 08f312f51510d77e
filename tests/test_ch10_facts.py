"""Section 10.1's facts (optimization with dependent variables), re-checked on its own code.

The chapter's code cells run once in one namespace (:func:`chapter_harness.run_chapter`):
sliders and glued values are recorded. Every claim is re-derived here from independent
oracles: the constrained minimum and its multiplier solved exactly with ``sympy``; the
curvatures along the plane from a generalized eigenproblem (``scipy.linalg.eigh``) in the
substitution's coordinates, not from an orthonormal basis; projected gradient descent
written out again; the tied autoencoder's gradient by central differences entry by entry
and its best loss from the eigenvalues of XᵀX. The slider's fact is checked at the grid
values its answer block names; no frame title prints the verdict. Re-pointing CHAPTER at
the merged chapter file is the only change needed once 10.2 is spliced in.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.linalg
import sympy as sp
from numpy.testing import assert_allclose

import calclib as cl

from chapter_harness import assert_glue_is_quoted, frame, grid, run_chapter, section_names, section_text, titles
from figure_a11y import assert_figures_accessible
from conftest import ROOT

CHAPTER = ROOT / "chapters" / "ch10-dependent-variables.md"
VERDICTS = re.compile(r"converg|diverg|oscill|stable|bounce|threshold|grow|fall|blow", re.I)
SIGMA = sp.Matrix([[1, sp.Rational(2, 5), sp.Rational(1, 5)],
                   [sp.Rational(2, 5), 2, sp.Rational(3, 5)],
                   [sp.Rational(1, 5), sp.Rational(3, 5), 3]])
SIGMA_F = np.array(SIGMA.tolist(), dtype=float)


@pytest.fixture(scope="module")
def run():
    return run_chapter(CHAPTER)      # 10.1 has no cell that raises on purpose


# ---------------------------------------------------------------- oracles


def exact_optimum():
    """w*, f*, lambda of min w^T Sigma w s.t. w1 + w2 + w3 = 1, solved exactly (sympy)."""
    w = sp.symbols("w1:4")
    lam = sp.symbols("lam")
    wv = sp.Matrix(w)
    f = (wv.T * SIGMA * wv)[0]
    eqs = [sp.diff(f, wi) - lam for wi in w] + [sum(w) - 1]
    sol = sp.solve(eqs, [*w, lam], dict=True)
    assert len(sol) == 1
    ws = [sol[0][wi] for wi in w]
    return (np.array([float(x) for x in ws]), float(f.subs(dict(zip(w, ws)))),
            float(sol[0][lam]))


def plane_curvatures():
    """Eigenvalues of the Hessian 2 Sigma along the plane: (M^T H M) v = mu (M^T M) v."""
    M = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])     # w = M q + e3, not orthonormal
    return scipy.linalg.eigh(M.T @ (2 * SIGMA_F) @ M, M.T @ M, eigvals_only=True)


def pg_oracle(lr, steps=40, start=(1.0, 0.0, 0.0)):
    """w_{k+1} = w_k - lr (I - 11^T/3) grad f(w_k), starting on the plane."""
    P = np.eye(3) - np.ones((3, 3)) / 3
    w = np.array(start, float)
    w = w - (w.sum() - 1) / 3
    ws = [w]
    for _ in range(steps):
        ws.append(ws[-1] - lr * P @ (2 * SIGMA_F @ ws[-1]))
    return np.array(ws)


def diabetes_unit():
    X, _, _ = cl.load_diabetes(scaled=False)
    return (X - X.mean(axis=0)) / X.std(axis=0)


def loss_oracle(W, X):
    R = X @ W.T @ W - X
    return float(np.sum(R * R) / (2 * len(X)))


def central_gradient(W, X, h=1e-5):
    G = np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        E = np.zeros_like(W)
        E[idx] = h
        G[idx] = (loss_oracle(W + E, X) - loss_oracle(W - E, X)) / (2 * h)
    return G


# ---------------------------------------------------------------- names, glue, text


def test_glue_is_quoted_and_every_name_of_the_section_is_prefixed(run):
    assert_glue_is_quoted(run)
    text = section_text(run.text, "10.1")
    quoted = set(re.findall(r"\{glue:text\}`(\w+)", text))
    assert quoted and all(n.startswith("dep_") for n in quoted), quoted
    names = section_names(text)
    names.discard("_")
    assert names, "found no code in the section"
    bad = {n for n in names if not (n.startswith(("dep_", "DEP_", "draw_dep_", "alt_dep_"))
                                    or n in ("quiz_101", "fig", "ax", "ax2"))}
    assert not bad, bad


def test_the_section_names_the_methods_the_exercise_and_refers_to_4_3(run):
    text = section_text(run.text, "10.1")
    for word in ("Substitution", "Lagrange multipliers", "Projected gradient descent",
                 "section 4.3", "sum of the gradients of its uses"):
        assert word in text, word
    assert "cl.optimize.lagrange" in text and "cl.optimize.projected_gradient" in text
    assert "cl.derivatives.check_grad" in text
    assert "`tied_gradient(W, X)`" in text and "../exercises/ch10/ch10.ipynb" in text
    assert ":::{admonition} Exercise" in text and "### Check your understanding: 10.1" in text
    intro = run.text[:run.text.index("## 10.1")]
    assert "# 10. Non-Independent Variables and Constrained Systems" in intro
    assert "10.1" in intro and "10.2" in intro and "section 4.3" in intro
    assert r"\mathcal L(\vv x, \lambda) = f(\vv x) - \lambda\,(g(\vv x) - c)" in intro


# ---------------------------------------------------------------- three methods


def test_three_methods_agree_with_the_exact_optimum(run):
    ns, g = run.ns, run.glued
    w_star, f_star, lam = exact_optimum()
    assert_allclose(ns["dep_Sigma"], SIGMA_F, rtol=0)
    for w in (ns["dep_w_sub"], ns["dep_lag"].x, ns["dep_pg"].x, ns["dep_w_star"]):
        assert_allclose(w, w_star, atol=1e-8)
    assert_allclose([g["dep_w1"], g["dep_w2"], g["dep_w3"]], w_star, atol=1e-12)
    assert_allclose(g["dep_f_star"], f_star, rtol=1e-12)
    assert_allclose(g["dep_lam"], lam, rtol=1e-8)
    assert_allclose(lam, 2 * f_star, rtol=1e-12)                 # lambda = d f*/dc = 2 f*
    assert g["dep_agree"] < 1e-8
    assert f_star < SIGMA_F[0, 0]                                # the blend beats model 1
    assert g["dep_pg_iters"] == ns["dep_pg"].iterations
    # the substitution really is the free problem: grad h = 0 at (w1*, w2*), h by sympy
    u, v = sp.symbols("u v")
    wv = sp.Matrix([u, v, 1 - u - v])
    h = (wv.T * SIGMA * wv)[0]
    sol = sp.solve([sp.diff(h, u), sp.diff(h, v)], [u, v])
    assert_allclose([float(sol[u]), float(sol[v])], w_star[:2], atol=1e-14)
    # the multiplier is the sensitivity: f*(c) = c^2 f*(1)
    c = 1.01
    wc = np.linalg.solve(SIGMA_F, np.ones(3))
    wc = c * wc / wc.sum()
    assert_allclose((wc @ SIGMA_F @ wc - f_star) / (c - 1), lam, rtol=0.01)


def test_the_gradient_at_the_optimum_is_normal_to_the_plane(run):
    ns = run.ns
    w_star, _, lam = exact_optimum()
    assert_allclose(2 * SIGMA_F @ w_star, lam * np.ones(3), rtol=1e-12)
    h = ns["dep_pg"].history
    full = np.linalg.norm(2 * h @ SIGMA_F, axis=1)
    assert_allclose(full[-1], np.sqrt(3) * lam, rtol=1e-8)
    assert_allclose(ns["dep_full"], full, rtol=1e-12)
    assert ns["dep_tang"][-1] < 1e-9 < ns["dep_tang"][0]


# ---------------------------------------------------------------- the slider


def test_slider_grid_holds_the_threshold_and_the_runs_behave_as_the_answer_says(run):
    s = run.sliders["draw_dep_step"]
    alphas = grid(s, "alpha")
    mu = plane_curvatures()
    a_star = 2 / mu[-1]
    a_full = 2 / np.linalg.eigvalsh(2 * SIGMA_F)[-1]
    assert a_full < a_star                                       # the constraint allows more
    assert len(alphas) <= 12
    assert np.isclose(alphas, a_star, rtol=1e-12).sum() == 1
    assert np.isclose(alphas, a_full, rtol=1e-12).sum() == 1
    assert (alphas < a_star).sum() >= 4 and (alphas > a_star).sum() >= 2
    g = run.glued
    assert_allclose([g["dep_mu_min"], g["dep_mu_max"]], mu, rtol=1e-12)
    assert_allclose(g["dep_alpha_best"], 2 / mu.sum(), rtol=1e-12)
    rates = {a: np.linalg.norm(pg_oracle(a)[-1] - exact_optimum()[0]) for a in (0.2, 0.4)}
    assert all(rates[a] > np.linalg.norm(pg_oracle(2 / mu.sum())[-1] - exact_optimum()[0]) for a in rates)
    assert_allclose([g["dep_alpha_star"], g["dep_alpha_full"]], [a_star, a_full], rtol=1e-12)
    w_star, _, _ = exact_optimum()
    for a in alphas:
        ws = pg_oracle(a)
        d = np.linalg.norm(ws - w_star, axis=1)
        assert_allclose(run.ns["DEP_RUNS"][a], ws, atol=1e-9 * max(1, d.max()))
        if a < a_star - 1e-9:
            assert d[-1] < 0.05 * d[0] and (d[-1] < d[-3] or d[-1] < 1e-13)   # falls
        elif a > a_star + 1e-9:
            assert d[-1] > 10 * d[0] and d[-1] > d[-3]          # grows
        else:
            assert_allclose(d[-1], d[-3], rtol=1e-9)             # neither: a 2-cycle
            assert 0.1 * d[0] < d[-1] < d[0]
            assert_allclose(ws[-1], ws[-3], atol=1e-12)
            assert np.linalg.norm(ws[-1] - ws[-2]) > 0.3         # jumps across w*
            assert_allclose(g["dep_dist_star"], d[-1], rtol=1e-9)
    assert_allclose(g["dep_dist_055"], np.linalg.norm(pg_oracle(0.55)[-1] - w_star), rtol=1e-9)
    # the factor on the top direction is 1 - alpha mu_max: -1 exactly at the threshold
    assert_allclose(1 - a_star * mu[-1], -1.0, atol=1e-15)


def test_slider_frames_show_the_run_but_the_titles_do_not_say_it(run):
    s = run.sliders["draw_dep_step"]
    for a in grid(s, "alpha"):
        fig = frame(s, alpha=a)
        text = " ".join(titles(fig))
        assert not VERDICTS.search(text), text
        assert f"α = {a:.3f}" in text
        line = [ln for ln in fig.axes[1].lines if len(ln.get_xdata()) == 41]
        assert len(line) == 1
        assert_allclose(line[0].get_ydata(), run.ns["DEP_DIST"][a], rtol=1e-12)
        alt = s.alt(alpha=a) if callable(s.alt) else ""
        assert f"{a:.3f}" in alt and "after 40 steps" in alt


# ---------------------------------------------------------------- tied weights


def test_tied_gradient_is_the_sum_of_the_two_uses(run):
    ns, g = run.ns, run.glued
    X = diabetes_unit()
    assert_allclose(ns["dep_X"], X, atol=1e-12)
    W0 = ns["dep_W0"]
    assert W0.shape == (2, 10)
    G_num = central_gradient(W0, X)
    enc, dec = ns["dep_grad_uses"](W0)
    assert_allclose(enc + dec, G_num, rtol=1e-7, atol=1e-9)
    for half in (enc, dec):
        assert np.linalg.norm(half - G_num) > 0.1 * np.linalg.norm(G_num)
    assert_allclose(ns["dep_loss"](W0), loss_oracle(W0, X), rtol=1e-13)
    assert g["dep_err_sum"] < 1e-8 and g["dep_err_enc"] > 0.05 and g["dep_err_dec"] > 0.05
    assert ns["dep_checks"]["sum of both uses"].ok
    assert not ns["dep_checks"]["encoder use only"].ok
    assert not ns["dep_checks"]["decoder use only"].ok


def test_training_reaches_the_eckart_young_minimum(run):
    ns, g = run.ns, run.glued
    X = diabetes_unit()
    N = len(X)
    eig = np.linalg.eigvalsh(X.T @ X)                            # increasing
    best = eig[:-2].sum() / (2 * N)
    assert_allclose(g["dep_L_best"], best, rtol=1e-10)
    assert_allclose(g["dep_L_trained"], best, rtol=1e-8)
    assert_allclose(g["dep_L0"], loss_oracle(ns["dep_W0"], X), rtol=1e-12)
    W = ns["dep_W"]
    assert_allclose(W @ W.T, np.eye(2), atol=1e-6)
    # the rows span the top two principal directions
    V = np.linalg.eigh(X.T @ X)[1][:, -2:]
    assert_allclose(W.T @ W, V @ V.T, atol=1e-6)
    assert_allclose(central_gradient(W, X), 0, atol=1e-6)


# ---------------------------------------------------------------- the self-check


def test_self_check_answers_and_their_wrong_variants(run):
    quiz = run.ns["quiz_101"]
    assert quiz.title == "Check your understanding: 10.1" and 2 <= len(quiz.questions) <= 4
    step, tied, normal = quiz.questions
    mu = plane_curvatures()
    assert abs(step.answer - 2 / mu[-1]) <= step.tol
    wrong = [w for w, _ in step.wrong]
    assert any(abs(w - 2 / np.linalg.eigvalsh(2 * SIGMA_F)[-1]) < 1e-9 for w in wrong)
    assert any(abs(w - 1 / mu[-1]) < 1e-9 for w in wrong)
    for w in wrong:
        assert abs(w - step.answer) > 10 * step.tol
    G = central_gradient(run.ns["dep_W0"], diabetes_unit())
    assert abs(tied.answer - G[0, 0]) <= tied.tol
    for w, _ in tied.wrong:
        assert abs(w - tied.answer) > 10 * tied.tol
    assert "parallel to the normal" in normal.options[normal.correct]
    assert len(normal.why) == len(normal.options) and "unconstrained" in normal.why[0]


def test_figures_meet_contrast_and_do_not_rely_on_colour_alone(run):
    """Every static figure and slider frame of the chapter (tests/figure_a11y.py)."""
    assert_figures_accessible(run)
