"""Section 11.2's facts (saddle points vs local minima), re-checked on the section's own code.

The chapter's code cells run once in one namespace (:func:`chapter_harness.run_chapter`).
Every claim is re-derived from independent oracles: the GOE fractions by a second Monte
Carlo with another seed that tests positive definiteness by Sylvester's criterion
(leading principal minors) instead of eigenvalues, and the n = 2 value by scipy quadrature; the saddle and minima of the toy
function by sympy; the escape counts by the iterations written out again with plain loops
and by the closed-form growth rates; Newton's and saddle-free Newton's limits by sympy's
Hessian; the network's Hessian at 0 by a hand-written central difference and its best loss
by numpy's lstsq. Re-pointing CHAPTER at the merged chapter file is the only change needed
once 11.2 is spliced into chapter 11.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose
from scipy import integrate, special

from chapter_harness import assert_glue_is_quoted, frame, grid, run_chapter, section_names, section_text, titles
from conftest import ROOT

CHAPTER = ROOT / "chapters" / "ch11-deep-learning.md"
VERDICTS = re.compile(r"never|stuck|escape[sd]|fast|slow|linear|log|grow|trap|wins|better", re.I)


@pytest.fixture(scope="module")
def run():
    return run_chapter(CHAPTER)


X, Y = sp.symbols("x y", real=True)
F_EXPR = X**2 / 2 - Y**2 / 2 + Y**4 / 4


def _grad(p):
    x, y = p
    return np.array([x, -y + y**3])


# ---------------------------------------------------------------- names, glue, text


def test_glue_is_quoted_and_every_name_of_the_section_is_prefixed(run):
    assert_glue_is_quoted(run)
    text = section_text(run.text, "11.2")
    quoted = set(re.findall(r"\{glue:text\}`(\w+)", text))
    assert quoted and all(n.startswith("sd_") for n in quoted), quoted
    names = section_names(text)
    assert names, "found no code in the section"
    bad = {n for n in names if not (n.lower().startswith("sd_") or n == "quiz_112")}
    assert not bad, bad


def test_the_section_states_the_ensemble_the_correction_and_names_the_exercise(run):
    text = section_text(run.text, "11.2")
    assert "Gaussian orthogonal ensemble (GOE)" in text and "(A + A\\T)/2" in text
    assert "Newton's method is attracted to saddles" in text and "|\\Hess|" in text
    assert "`momentum_step(theta, velocity, grad, alpha, beta)`" in text
    assert "`escape_iterations(step, theta0, saddle, radius, max_iter)`" in text
    assert "../exercises/ch11/ch11.ipynb" in text and ":::{admonition} Exercise" in text
    assert "### Check your understanding: 11.2" in text and ":class: dropdown" in text


# ---------------------------------------------------------------- random Hessians


def test_goe_fractions_match_an_independent_monte_carlo_and_the_exact_n2_value(run):
    ns = run.ns
    frac, sizes, M = ns["sd_frac"], ns["sd_NS"], ns["sd_M"]
    assert list(sizes) == [1, 2, 3, 4, 5, 6]
    rng = np.random.default_rng(12345)
    m = 20000
    for n, p in zip(sizes, frac):
        A = rng.normal(size=(m, n, n))
        S = (A + np.swapaxes(A, 1, 2)) / 2
        # Sylvester's criterion: positive definite iff every leading principal minor is > 0
        minors = np.stack([np.linalg.det(S[:, :k, :k]) for k in range(1, n + 1)], axis=1)
        q = float(np.mean(np.all(minors > 0, axis=1)))
        se = math.sqrt(max(q * (1 - q), 1e-6) / m + max(p * (1 - p), 1e-6) / M)
        assert abs(p - q) < 5 * se, (n, p, q)
    # n = 2 exactly: a, c ~ N(0, 1), b ~ N(0, 1/2); P(a > 0, ac > b^2) = E[erf(sqrt(ac))]
    exact2, _ = integrate.dblquad(lambda c, a: np.exp(-(a * a + c * c) / 2) / (2 * np.pi)
                                  * special.erf(np.sqrt(a * c)), 0, np.inf, 0, np.inf)
    assert_allclose(exact2, (2 - math.sqrt(2)) / 4, rtol=1e-7)
    g = run.glued
    assert_allclose(g["sd_exact2"], exact2, rtol=1e-7)
    assert abs(g["sd_frac1"] - 0.5) < 5 * math.sqrt(0.25 / M)
    assert abs(g["sd_frac2"] - exact2) < 5 * math.sqrt(exact2 * (1 - exact2) / M)
    # falls with dimension, and faster than coin flips
    assert np.all(np.diff(frac) <= 0) and np.all(frac[2:] < 2.0 ** -sizes[2:] / 3)
    assert g["sd_count6"] == round(frac[5] * M) and g["sd_count6"] == 0   # the caption: no dot at n = 6
    assert_allclose(g["sd_ratio4"], 2.0**-4 / frac[3])
    # the index at n = 10 concentrates near n/2
    idx = ns["sd_index10"]
    assert_allclose(idx.sum(), 1.0)
    assert idx[4:7].sum() > 0.8 and idx[0] == 0 and idx[10] == 0   # as the caption says
    assert_allclose(g["sd_index_mid"], idx[4:7].sum())


# ---------------------------------------------------------------- the toy saddle and Newton


def test_the_toy_function_has_a_saddle_at_0_and_minima_at_0_pm1_by_sympy(run):
    ns = run.ns
    grad = [sp.diff(F_EXPR, v) for v in (X, Y)]
    crit = sp.solve(grad, [X, Y], dict=True)
    assert {(s[X], s[Y]) for s in crit} == {(0, 0), (0, 1), (0, -1)}
    Hs = sp.hessian(F_EXPR, (X, Y))
    assert Hs.subs({X: 0, Y: 0}).det() < 0                       # D < 0: saddle
    assert all(ev > 0 for ev in Hs.subs({X: 0, Y: 1}).eigenvals())
    for p in ([0.3, -0.7], [0.1, 0.2]):
        assert_allclose(ns["sd_grad"](np.array(p)), _grad(p), atol=1e-14)
        assert_allclose(ns["sd_hess"](np.array(p)),
                        np.array(Hs.subs({X: p[0], Y: p[1]}), dtype=float), atol=1e-14)
    assert F_EXPR.subs({X: 0, Y: 1}) == sp.Rational(-1, 4)


def test_newton_converges_to_the_saddle_and_saddle_free_newton_to_a_minimum(run):
    ns = run.ns
    # plain Newton written again
    p = np.array([0.5, 0.2])
    for _ in range(8):
        H = np.diag([1.0, -1 + 3 * p[1] ** 2])
        p = p - np.linalg.solve(H, _grad(p))
    assert np.linalg.norm(p) < 1e-12
    assert_allclose(ns["sd_newton"].x, [0, 0], atol=1e-10)
    # saddle-free Newton written again: -|H|^-1 g
    q = np.array([0.5, 0.2])
    for _ in range(30):
        lam = np.array([1.0, -1 + 3 * q[1] ** 2])
        q = q - _grad(q) / np.abs(lam)
    assert_allclose(q, [0, 1], atol=1e-10)
    assert_allclose(ns["sd_sfn"].x, [0, 1], atol=1e-8)
    g = run.glued
    assert 0 <= g["sd_newton_f"] < 1e-12
    assert g["sd_sfn_f"] == pytest.approx(-0.25, abs=1e-10)
    assert g["sd_newton_iters"] <= 5 and g["sd_sfn_iters"] < g["sd_gd2_iters"]


def test_gradient_descent_plateau_near_the_saddle(run):
    x, y = 0.4, 1e-6
    fs, gs = [], []
    for _ in range(400):
        fs.append(x**2 / 2 - y**2 / 2 + y**4 / 4)
        gs.append(math.hypot(x, -y + y**3))
        x, y = x - 0.1 * x, y - 0.1 * (-y + y**3)
    fs, gs = np.array(fs), np.array(gs)
    g = run.glued
    plateau = int(np.flatnonzero(fs < -0.125)[0])
    assert g["sd_gd_plateau"] == plateau and plateau > 100
    assert_allclose(g["sd_gd_gmin"], gs[:plateau].min(), rtol=1e-6)
    assert g["sd_gd_kmin"] == int(np.argmin(gs[:plateau]))
    assert gs[:plateau].min() < 1e-2 * gs[0]                  # orders of magnitude below the start


# ---------------------------------------------------------------- the slider


def _escape(eps, method, K=500, R=0.5, alpha=0.1, beta=0.9):
    th, v = np.array([0.4, eps]), np.zeros(2)
    for k in range(K):
        if method == "momentum":
            v = beta * v + _grad(th)
            th = th - alpha * v
        else:
            th = th - alpha * _grad(th)
        if np.linalg.norm(th) > R:
            return k + 1
    return K


def test_slider_grid_and_the_escape_counts_by_loops_and_closed_forms(run):
    ns, g = run.ns, run.glued
    s = run.sliders["sd_draw_escape"]
    eps = grid(s, "eps")
    assert 0.0 in eps and eps.max() >= 0.1 and min(e for e in eps if e > 0) <= 1e-12
    assert len(eps) <= 15
    gd = np.array([_escape(e, "gd") for e in eps])
    mom = np.array([_escape(e, "momentum") for e in eps])
    assert_allclose(ns["sd_esc_gd"], gd)
    assert_allclose(ns["sd_esc_mom"], mom)
    assert gd[-1] == 500 and mom[-1] == 500                      # exactly on the stable axis
    pos = eps > 0
    # ~ ln(R/eps)/ln(growth) + a constant: slopes against ln(1/eps)
    slope_gd = np.polyfit(np.log(1 / eps[pos][2:]), gd[pos][2:], 1)[0]
    slope_mom = np.polyfit(np.log(1 / eps[pos][2:]), mom[pos][2:], 1)[0]
    assert_allclose(slope_gd, 1 / math.log(1.1), rtol=0.02)
    rho = max(np.roots([1, -(1 + 0.9 + 0.1), 0.9]).real)       # heavy-ball growth factor
    assert_allclose(rho, 1 + math.sqrt(0.1), rtol=1e-12)
    assert_allclose(slope_mom, 1 / math.log(rho), rtol=0.03)
    assert_allclose(g["sd_gd_slope"], math.log(100) / math.log(1.1))
    assert_allclose(g["sd_mom_slope"], math.log(100) / math.log(rho))
    assert_allclose(g["sd_mom_rate"], rho)
    i = {float(e): k for k, e in enumerate(eps)}
    assert [g["sd_gd_e4"], g["sd_gd_e6"], g["sd_gd_e12"]] == [gd[i[1e-4]], gd[i[1e-6]], gd[i[1e-12]]]
    assert g["sd_mom_e12"] == mom[i[1e-12]]
    # noisy GD: the median count no longer depends on eps once eps << alpha sigma
    noisy = ns["sd_esc_noisy"]
    small = [i[e] for e in (1e-4, 1e-6, 1e-8, 1e-10, 1e-12, 0.0)]
    assert np.ptp(noisy[small]) <= 3 and noisy[i[0.0]] < 100
    assert g["sd_noisy_0"] == noisy[i[0.0]] and g["sd_noisy_e4"] == noisy[i[1e-4]]
    # the noise really is alpha-independent Gaussian of size sigma
    assert_allclose(ns["sd_noise"].std(), 0.01, rtol=0.02)


def test_slider_frames_show_the_counts_but_the_titles_do_not_judge(run):
    s = run.sliders["sd_draw_escape"]
    for e in (0.1, 1e-6, 1e-12, 0.0):
        fig = frame(s, eps=e)
        text = " ".join(titles(fig))
        assert not VERDICTS.search(text), text
        assert f"{e:g}" in text
        alt = s.alt(eps=e)
        assert f"{e:g}" in alt and "gradient descent" in alt


# ---------------------------------------------------------------- the network


def test_network_origin_is_a_saddle_and_the_best_loss_is_least_squares(run):
    ns, g = run.ns, run.glued
    X_, y_ = ns["sd_Xs"], ns["sd_ys"]
    assert X_.shape == (442, 10)
    assert_allclose(X_.mean(0), 0, atol=1e-12)
    assert_allclose(X_.std(0), 1, rtol=1e-12)
    loss = ns["sd_net_loss"]
    n = 44
    h = 1e-4
    H = np.zeros((n, n))
    E = np.eye(n) * h
    for a in range(n):                                # second differences of the loss itself
        for b in range(a, n):
            H[a, b] = H[b, a] = (loss(E[a] + E[b]) - loss(E[a] - E[b]) - loss(E[b] - E[a])
                                 + loss(-E[a] - E[b])) / (4 * h * h)
    ev = np.linalg.eigvalsh(H)
    c = np.linalg.norm(X_.T @ y_ / len(y_))
    assert_allclose(ev[:4], -c, rtol=1e-5)
    assert_allclose(ev[-4:], c, rtol=1e-5)
    assert np.abs(ev[4:-4]).max() < 1e-6
    assert_allclose(g["sd_cnorm"], c, rtol=1e-10)
    beta = np.linalg.lstsq(X_, y_, rcond=None)[0]
    best = np.mean((X_ @ beta - y_) ** 2) / 2
    assert_allclose(g["sd_L_best"], best, rtol=1e-10)
    assert_allclose(g["sd_L0"], 0.5, rtol=1e-6)
    curves = ns["sd_curves"]
    assert all(best <= v[-1] <= best * (1 + g["sd_gap"]) + 1e-15 for v in curves.values())
    assert g["sd_net_mom"] < g["sd_net_gd"] and g["sd_net_noisy"] < g["sd_net_gd"]
    assert curves["gradient descent"][100] > 0.49                 # still on the plateau


# ---------------------------------------------------------------- the self-check


def test_self_check_answers(run):
    quiz = run.ns["quiz_112"]
    assert quiz.title == "Check your understanding: 11.2" and 2 <= len(quiz.questions) <= 4
    growth, goe, mc = quiz.questions
    assert abs(growth.answer - 1.1) <= growth.tol
    assert any(abs(w - 0.9) < 1e-9 for w, _ in growth.wrong)
    assert abs(goe.answer - run.ns["sd_frac"][2]) <= goe.tol
    assert any(abs(w - 0.125) < 1e-9 for w, _ in goe.wrong)
    for q in (growth, goe):
        for w, _ in q.wrong:
            assert abs(w - q.answer) > 10 * q.tol
    assert "saddle" in mc.options[mc.correct]
    assert all(mc.why[i] for i in range(len(mc.options)) if i != mc.correct)
