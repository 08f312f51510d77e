"""Section 11.1's facts (vanishing and exploding gradients), re-checked on the section's code.

The chapter's code cells run once (:func:`chapter_harness.run_chapter`). Each claim is
re-derived from independent oracles: the backward pass written out again with numpy from
the networks' weights, the variance rules by closed forms and scipy quadrature, sigma' <= 1/4
by sympy, the slider's fact at the grid values the answer names; no frame title prints the
verdict. Re-pointing CHAPTER at the merged chapter file is the only change needed.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose
from scipy import integrate, stats

from chapter_harness import assert_glue_is_quoted, frame, grid, run_chapter, section_names, section_text, titles
from figure_a11y import assert_figures_accessible
from conftest import ROOT

CHAPTER = ROOT / "chapters" / "ch11-deep-learning.md"
VERDICTS = re.compile(r"vanish|explod|level|flat|stable|good|bad|constant", re.I)
ACTS = {"identity": (lambda z: z, lambda z: np.ones_like(z)),
        "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
        "sigmoid": (lambda z: 1 / (1 + np.exp(-z)),
                    lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2)}


@pytest.fixture(scope="module")
def run():
    return run_chapter(CHAPTER)


def oracle_norms(Ws, x, act, residual_beta=None):
    """||dL/dh_l||, l = 0..D, of L = sum(h_D), by a forward and backward pass written out."""
    phi, dphi = ACTS[act]
    hs, zs, h = [], [], x
    for W in Ws:
        z = W @ h
        hs.append(h)
        zs.append(z)
        h = h + residual_beta * phi(z) if residual_beta is not None else phi(z)
    g = np.ones(len(h))
    out = [np.linalg.norm(g)]
    for W, z in zip(Ws[::-1], zs[::-1]):
        back = W.T @ (dphi(z) * g)
        g = g + residual_beta * back if residual_beta is not None else back
        out.append(np.linalg.norm(g))
    return np.array(out[::-1])


def test_glue_is_quoted_and_names_are_prefixed(run):
    assert_glue_is_quoted(run)
    text = section_text(run.text, "11.1")
    quoted = set(re.findall(r"\{glue:text\}`(\w+)", text))
    assert quoted and all(n.startswith("vg_") for n in quoted), quoted
    bad = {n for n in section_names(text) if not (n.startswith(("vg_", "VG_")) or n == "quiz_111")}
    assert not bad, bad


def test_the_section_names_the_exercise_and_the_parts(run):
    text = section_text(run.text, "11.1")
    for s in ("`init_std(fan_in, fan_out, activation)`",
              "`layer_gradient_norms(weights, x, activation)`", "../exercises/ch11/ch11.ipynb",
              "### Check your understanding: 11.1", "Sigmoid saturation", "Xavier", "He",
              "residual", "normalization"):
        assert s in text, s


def test_gradient_norms_match_an_independent_backward_pass(run):
    ns = run.ns
    x = ns["vg_x"]
    for (act, s), norms in ns["vg_norms"].items():
        Ws = [np.array(W) for W in ns["vg_net"](s, act).W]
        assert len(Ws) == 50 and Ws[0].shape == (32, 32)
        assert_allclose(norms, oracle_norms(Ws, x, act), rtol=1e-9)
    # the weights have the stated variance s^2/n
    W = np.concatenate([np.ravel(W) for W in ns["vg_net"](2.0, "identity").W])
    assert_allclose(W.var(), 4 / 32, rtol=0.03)


def test_geometric_rate_is_about_s_per_layer_for_linear_nets(run):
    g, ns = run.glued, run.ns
    for s in (0.5, 2.0):
        assert abs(ns["vg_rate"]["identity", s] - s) < 0.1 * s
    v = ns["vg_norms"]
    assert_allclose(g["vg_lin05"], v["identity", 0.5][0] / v["identity", 0.5][-1], rtol=1e-12)
    assert g["vg_lin05"] < 1e-12 and g["vg_lin2"] > 1e12 and 0.05 < g["vg_lin1"] < 20
    assert g["vg_rate_tanh2"] < g["vg_rate_lin2"]                 # tanh saturates the growth
    assert_allclose([g["vg_09_50"], g["vg_11_50"]], [0.9**50, 1.1**50], rtol=1e-12)
    assert_allclose(g["vg_lin_spread"], g["vg_lin2"] / g["vg_lin05"], rtol=1e-9)
    assert g["vg_lin_spread"] > 1e25
    assert g["vg_rate_sig1"] < 0.25 + 0.05 and g["vg_sig1"] < 1e-20


def test_mean_squared_norm_rule_by_monte_carlo():
    """E||W^T g||^2 = n_in sigma^2 ||g||^2 (the idea's formula), independently of calclib."""
    rng = np.random.default_rng(5)
    n_out, n_in, sigma = 16, 40, 0.3
    W = rng.normal(scale=sigma, size=(4000, n_out, n_in))
    g = rng.normal(size=n_out)
    assert_allclose(np.mean(np.sum((np.swapaxes(W, 1, 2) @ g) ** 2, axis=1)),
                    n_in * sigma**2 * g @ g, rtol=0.02)


def test_sigmoid_derivative_at_most_a_quarter_by_sympy():
    z = sp.symbols("z", real=True)
    s = 1 / (1 + sp.exp(-z))
    ds = sp.diff(s, z)
    assert sp.simplify(ds.subs(z, 0) - sp.Rational(1, 4)) == 0
    assert sp.solve(sp.diff(ds, z), z) == [0]
    assert sp.diff(sp.tanh(z), z).subs(z, 0) == 1


def test_relu_halves_the_variance_and_he_restores_it(run):
    half, _ = integrate.quad(lambda t: t**2 * stats.norm.pdf(t), 0, np.inf)
    assert_allclose(half, 0.5, rtol=1e-10)
    g = run.glued
    assert abs(g["vg_xav_fwd"] - 0.5) < 0.1 and abs(g["vg_he_fwd"] - 1) < 0.12
    assert abs(g["vg_he_bwd"] - 1) < 0.12


def test_fixes_measured_with_an_independent_pass(run):
    ns, g = run.ns, run.glued
    x = ns["vg_x"]
    W05 = [np.array(W) for W in ns["vg_net"](0.5, "tanh").W]
    W2 = [np.array(W) for W in ns["vg_net"](2.0, "tanh").W]
    r05 = oracle_norms(W05, x, "tanh", residual_beta=1.0)
    r2 = oracle_norms(W2, x, "tanh", residual_beta=1.0)
    r2b = oracle_norms(W2, x, "tanh", residual_beta=1 / np.sqrt(50))
    assert_allclose([g["vg_res1_05"], g["vg_res1_2"], g["vg_resb_2"]],
                    [r05[0] / r05[-1], r2[0] / r2[-1], r2b[0] / r2b[-1]], rtol=1e-9)
    assert g["vg_res1_05"] > 1 > 1e-10 > g["vg_plain_t05"]           # no vanishing
    assert g["vg_res1_2"] > 50 * g["vg_resb_2"] and g["vg_resb_2"] < 3
    # normalization: the network h -> sqrt(n) u/||u|| is scale invariant; finite differences
    Wl = [np.array(W) for W in ns["vg_net"](1.0, "identity").W]

    def out(x0, s):
        h = x0
        for W in Wl:
            u = s * W @ h
            h = np.sqrt(32) * u / np.linalg.norm(u)
        return h.sum()

    e = np.eye(32)[3] * 1e-6
    d05 = (out(x + e, 0.5) - out(x - e, 0.5)) / 2e-6
    d2 = (out(x + e, 2.0) - out(x - e, 2.0)) / 2e-6
    assert_allclose(d05, d2, rtol=1e-6)
    assert_allclose(ns["vg_fix"]["normalized linear, s = 2"], ns["vg_fix"]["normalized linear, s = 0.5"])
    assert 0.3 < g["vg_norm_ratio"] < 5


def test_slider_grid_and_the_answer(run):
    s = run.sliders["vg_draw_depth"]
    depths, scales = grid(s, "depth"), grid(s, "scale")
    assert len(depths) * len(scales) <= 15 and 1.0 in scales and 0.8 in scales
    assert {10, 50} <= set(depths)
    ns, g = run.ns, run.glued
    Ws = {sc: [np.array(W) for W in ns["vg_net"](sc, "identity").W] for sc in scales}
    for d in depths:
        for sc in scales:
            o = oracle_norms(Ws[sc][: int(d)], ns["vg_x"], "identity")
            assert_allclose(ns["VG_CURVES"][int(d), sc, "identity"], o, rtol=1e-9)
            rate = (o[0] / o[-1]) ** (1 / d)
            if sc != 1.0:
                assert abs(np.log(rate) - np.log(sc)) < 0.25 * abs(np.log(sc)) + 0.05
    assert_allclose(g["vg_pred08_50"], 0.8**50)
    assert g["vg_s08_d50"] < 1e-3 * g["vg_s08_d10"]
    assert g["vg_tanh2_50"] < 1e-6 * g["vg_lin2_50"]


def test_frames_show_the_norms_without_verdict(run):
    s = run.sliders["vg_draw_depth"]
    for d, sc in ((10, 0.5), (50, 1.0), (50, 2.0)):
        fig = frame(s, depth=d, scale=sc)
        text = " ".join(titles(fig))
        assert not VERDICTS.search(text), text
        ydata = fig.axes[0].lines[0].get_ydata()
        assert len(ydata) == d + 1
        assert_allclose(ydata, run.ns["VG_CURVES"][d, sc, "identity"])
        assert f"depth {d}" in s.alt(depth=d, scale=sc)


def test_ml_demo_small_init_and_sigmoid_do_not_learn(run):
    g = run.glued
    assert g["vg_ml_xav"] < 0.7 and abs(g["vg_ml_half"] - 1) < 0.02 and abs(g["vg_ml_sig"] - 1) < 0.02
    assert g["vg_ml_half_g0"] < 1e-2 and g["vg_ml_sig_g0"] < 1e-4


def test_self_check(run):
    quiz = run.ns["quiz_111"]
    assert quiz.title == "Check your understanding: 11.1" and 2 <= len(quiz.questions) <= 4
    rate, he, mc = quiz.questions
    assert_allclose(rate.answer, 0.8**25, rtol=1e-12)
    assert_allclose(he.answer, np.sqrt(2 / 256), rtol=1e-12)
    for q in (rate, he):
        for w, _ in q.wrong:
            assert abs(w - q.answer) > q.tol
    assert "1/4" in mc.options[mc.correct]


def test_figures_meet_contrast_and_do_not_rely_on_colour_alone(run):
    """Every static figure and slider frame of the chapter (tests/figure_a11y.py)."""
    assert_figures_accessible(run)
