"""Section 8.2's facts (path independence), re-checked on the section's own code.

The chapter's code cells run once in one namespace (:func:`chapter_harness.run_chapter`):
sliders and glued values are recorded. Every claim is re-derived here from independent
oracles: ``scipy.integrate.quad`` line integrals on the page's paths (written out again),
the minima of the double well from ``sympy``, gradient descent and the logistic loss of
the training run written out again with numpy, and the slider's fact at the grid values its
answer block names; no frame title prints the verdict. Re-pointing CHAPTER at the merged
chapter file is the only change needed once 8.2 is spliced into chapter 8.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import scipy.integrate
import sympy as sp
from numpy.testing import assert_allclose

import calclib as cl

from chapter_harness import assert_glue_is_quoted, frame, grid, run_chapter, section_names, section_text, titles
from conftest import ROOT

CHAPTER = ROOT / "chapters" / "ch08-line-integrals.md"
VERDICTS = re.compile(r"basin|minim|same|equal|differ|depend|jump|left|right|deeper|"
                      r"boundar|saddle|holds|identity|well", re.I)
LR_WELL = 0.02
Y0 = 1.2


@pytest.fixture(scope="module")
def run():
    return run_chapter(CHAPTER)      # 8.2 has no cell that raises on purpose


# ---------------------------------------------------------------- oracles written out again


def f_oracle(x, y):
    return x * math.exp(y) + 0.5 * y * y


def grad_f_oracle(x, y):
    return np.array([math.exp(y), x * math.exp(y) + y])


def g_oracle(p):
    x, y = p
    return (x * x - 1) ** 2 + 0.3 * x + y * y


def grad_g_oracle(p):
    x, y = p
    return np.array([4 * x**3 - 4 * x + 0.3, 2 * y])


def quad_line(grad, r, dr, a, b):
    return scipy.integrate.quad(lambda t: grad(*r(t)) @ dr(t), a, b, limit=200,
                                epsabs=1e-13, epsrel=1e-13)[0]


def quad_polyline(grad, pts):
    """Sum of quad integrals of grad (taking one point p) along the segments of pts."""
    total = 0.0
    for p, q in zip(pts[:-1], pts[1:]):
        d = q - p
        total += scipy.integrate.quad(lambda t: grad(p + t * d) @ d, 0, 1, epsabs=1e-14)[0]
    return total


def critical_x():
    """The three real roots of 4x^3 - 4x + 0.3 = 0 (sympy), increasing."""
    x = sp.symbols("x", real=True)
    roots = sorted(float(r) for r in sp.Poly(4 * x**3 - 4 * x + sp.Rational(3, 10), x).nroots(n=30)
                   if abs(sp.im(r)) < 1e-20)
    assert len(roots) == 3
    return roots


def descend_oracle(start, lr=LR_WELL, tol=1e-6, max_iter=3000):
    """x_{k+1} = x_k - lr grad g(x_k) until |grad g| <= tol (as cl.optimize stops)."""
    xs = [np.asarray(start, float)]
    for _ in range(max_iter):
        xs.append(xs[-1] - lr * grad_g_oracle(xs[-1]))
        if np.linalg.norm(grad_g_oracle(xs[-1])) <= tol:
            break
    return np.array(xs)


# ---------------------------------------------------------------- names, glue, text


def test_glue_is_quoted_and_every_name_of_the_section_is_prefixed(run):
    assert_glue_is_quoted(run)
    text = section_text(run.text, "8.2")
    quoted = set(re.findall(r"\{glue:text\}`(\w+)", text))
    assert quoted and all(n.startswith("pi_") for n in quoted), quoted
    assert all(n.startswith("pi_") for n in quoted & set(run.glued))
    # every top-level name defined by the section's code starts with pi_ (draw_pi_, quiz_82)
    names = section_names(text)
    names.discard("_")
    assert names, "found no code in the section"
    bad = {n for n in names if not (n.startswith(("pi_", "draw_pi_")) or n == "quiz_82")}
    assert not bad, bad


def test_the_section_states_the_correction_and_names_the_exercise(run):
    text = section_text(run.text, "8.2")
    assert "The notes claim" in text and "That is not true" in text
    assert "regardless of" in text and "initialization" in text
    assert "`line_integral(F, r, dr, a, b, n)`" in text
    assert "`loss_decrease(grad_L, path, n=8)`" in text
    assert "../exercises/ch08/ch08.ipynb" in text and ":::{admonition} Exercise" in text
    assert "Check your understanding: 8.2" in text
    assert re.search(r"\\frac\{d\}\{dt\} f\(\\vv r\(t\)\) = \\grad f\(\\vv r\(t\)\)\\cdot\\vv r'\(t\)",
                     text)                                              # the chain-rule proof


# ---------------------------------------------------------------- the fundamental theorem


def test_four_paths_give_f_B_minus_f_A_and_the_circle_gives_zero(run):
    ns, g = run.ns, run.glued
    fBA = f_oracle(1, 0) - f_oracle(-1, 0)
    assert fBA == pytest.approx(2.0)
    assert_allclose(g["pi_fBA"], fBA, rtol=1e-14)
    pi = math.pi
    oracle = {
        "segment": quad_line(grad_f_oracle, lambda t: (2 * t - 1, 0.0),
                             lambda t: np.array([2.0, 0.0]), 0, 1),
        "half circle": quad_line(grad_f_oracle, lambda t: (-math.cos(pi * t), math.sin(pi * t)),
                                 lambda t: pi * np.array([math.sin(pi * t), math.cos(pi * t)]), 0, 1),
        "wave": quad_line(grad_f_oracle, lambda t: (2 * t - 1, 0.8 * math.sin(3 * pi * t)),
                          lambda t: np.array([2.0, 2.4 * pi * math.cos(3 * pi * t)]), 0, 1),
        "broken line": quad_polyline(lambda p: grad_f_oracle(*p),
                                     np.array([[-1, 0], [-0.5, -1.2], [0.6, 1.0], [1, 0]], float)),
    }
    assert set(ns["pi_works"]) == set(oracle)
    for name, w in oracle.items():
        assert_allclose(w, fBA, atol=1e-10)
        assert_allclose(ns["pi_works"][name], w, atol=1e-10)
    # the page's paths are the ones written out here (end points A and B)
    for r, _ in ns["pi_paths"].values():
        assert_allclose([r(0.0), r(1.0)], [[-1, 0], [1, 0]], atol=1e-12)
    loop = quad_line(grad_f_oracle, lambda t: (0.2 + 0.7 * math.cos(t), -0.3 + 0.7 * math.sin(t)),
                     lambda t: 0.7 * np.array([-math.sin(t), math.cos(t)]), 0, 2 * pi)
    assert abs(loop) < 1e-10 and abs(ns["pi_loop_work"]) < 1e-10
    assert g["pi_loop_work"] < 1e-10 and g["pi_work_err"] < 1e-10
    # the test can fail: a rotational field gives 2 pi around the unit circle, not 0
    assert_allclose(quad_line(lambda x, y: np.array([-y, x]), lambda t: (math.cos(t), math.sin(t)),
                              lambda t: np.array([-math.sin(t), math.cos(t)]), 0, 2 * pi),
                    2 * pi, rtol=1e-10)


# ---------------------------------------------------------------- two starts, two minima


def test_two_starts_reach_the_two_true_minima_and_the_identity_holds(run):
    ns, g = run.ns, run.glued
    left, saddle, right = critical_x()
    assert 12 * left**2 - 4 > 0 and 12 * right**2 - 4 > 0 > 12 * saddle**2 - 4   # minima, saddle
    assert_allclose([g["pi_left_min"], g["pi_saddle_x"], g["pi_right_min"]], [left, saddle, right],
                    atol=1e-12)
    ends = ns["pi_ends"]
    assert_allclose(ends["start 1"], [right, 0], atol=2e-6)
    assert_allclose(ends["start 2"], [left, 0], atol=2e-6)
    assert_allclose([g["pi_end1_x"], g["pi_end2_x"]], [right, left], atol=2e-6)
    assert_allclose([g["pi_g_end1"], g["pi_g_end2"]], [g_oracle((right, 0)), g_oracle((left, 0))],
                    atol=1e-9)
    assert g["pi_g_end2"] < g["pi_g_end1"] - 0.5                          # one minimum is worse
    for name, start in (("start 1", (0.5, 1.3)), ("start 2", (-0.3, -1.3))):
        h = descend_oracle(start)
        assert_allclose(ns["pi_hist"][name], h, atol=1e-12)
        assert_allclose(quad_polyline(grad_g_oracle, h), g_oracle(h[-1]) - g_oracle(h[0]), atol=1e-10)
    assert g["pi_steps1"] == len(descend_oracle((0.5, 1.3))) - 1
    assert g["pi_identity_err"] < 1e-10


# ---------------------------------------------------------------- the slider


def test_slider_grid_straddles_the_saddle_and_the_ends_switch_there(run):
    s = run.sliders["draw_pi_descent"]
    x0s = grid(s, "x0")
    left, saddle, right = critical_x()
    assert 0.05 in x0s and 0.1 in x0s and len(x0s) <= 13
    assert not any(0.05 < x < 0.1 for x in x0s) and 0.05 < saddle < 0.1   # neighbours across it
    assert (x0s < saddle).sum() >= 3 and (x0s > saddle).sum() >= 3
    errs = []
    for x0 in x0s:
        h = descend_oracle((x0, Y0))
        assert_allclose(h[-1], [left if x0 < saddle else right, 0], atol=2e-6)
        assert_allclose(run.ns["pi_runs"][x0], h, atol=1e-12)
        change = g_oracle(h[-1]) - g_oracle(h[0])
        W = quad_polyline(grad_g_oracle, h)
        errs.append(abs(W - change))
        assert_allclose(run.ns["pi_cum"][x0][-1], W, atol=1e-10)
        assert_allclose(run.ns["pi_drops"][x0][-1], change, atol=1e-12)
    assert max(errs) < 1e-10 and run.glued["pi_slider_err"] < 1e-10
    # the answer's two numbers: the frames at 0.05 and 0.1
    for x0, key in ((0.05, "pi_W_005"), (0.1, "pi_W_010")):
        h = descend_oracle((x0, Y0))
        assert_allclose(run.glued[key], g_oracle(h[-1]) - g_oracle(h[0]), atol=1e-10)
    assert abs(run.glued["pi_W_005"] - run.glued["pi_W_010"]) > 0.5


def test_slider_frames_show_the_end_but_the_titles_do_not_say_it(run):
    s = run.sliders["draw_pi_descent"]
    left, saddle, right = critical_x()
    for x0 in (-1.5, 0.05, 0.1, 1.5):
        fig = frame(s, x0=x0)
        text = " ".join(titles(fig))
        assert not VERDICTS.search(text), text
        assert f"start ({x0:+.2f}, 1.2)" in text
        ax0 = fig.axes[0]
        star = [ln for ln in ax0.lines if ln.get_marker() == "*"]
        assert len(star) == 1
        assert_allclose(star[0].get_xdata()[0], left if x0 < saddle else right, atol=2e-6)
        alt = s.alt(x0=x0) if callable(s.alt) else ""
        assert f"{x0:+.2f}" in alt and "ends at" in alt


# ---------------------------------------------------------------- the training path


def _training_oracle():
    X, y_prog, _ = cl.load_diabetes(scaled=False)
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    A = np.hstack([Z, np.ones((len(y_prog), 1))])
    y = (y_prog > np.median(y_prog)).astype(float)

    def L(th):
        z = A @ th
        return float(np.mean(np.log1p(np.exp(z)) - y * z))

    def grad(th):
        z = A @ th
        return A.T @ (1 / (1 + np.exp(-z)) - y) / len(y)

    path = [np.zeros(11)]
    for _ in range(40):
        path.append(path[-1] - 1.0 * grad(path[-1]))
    _training_oracle.data = A, y
    return L, grad, np.array(path)


def test_training_loss_decrease_is_minus_the_line_integral(run):
    ns, g = run.ns, run.glued
    L, grad, path = _training_oracle()
    assert_allclose(ns["pi_path"], path, atol=1e-10)
    drop = L(path[0]) - L(path[-1])
    line = -quad_polyline(grad, path)
    assert_allclose(line, drop, atol=1e-10)
    assert_allclose(L(path[0]), math.log(2), rtol=1e-14)
    assert_allclose([g["pi_L0"], g["pi_LK"]], [L(path[0]), L(path[-1])], atol=1e-12)
    assert_allclose([g["pi_drop"], g["pi_drop_line"], g["pi_straight"]], drop, atol=1e-10)
    assert g["pi_drop_err"] < 1e-10
    # the straight line from theta_0 to theta_K gives the same number (path independence)
    d = path[-1] - path[0]
    assert_allclose(-scipy.integrate.quad(lambda t: grad(path[0] + t * d) @ d, 0, 1, epsabs=1e-14)[0],
                    drop, atol=1e-10)
    A, y = _training_oracle.data
    acc = np.mean((A @ path[-1] > 0) == (y == 1))
    assert_allclose(g["pi_accuracy"], 100 * acc, atol=1e-9)


def test_the_first_order_estimate_is_not_exact(run):
    g = run.glued
    L, grad, path = _training_oracle()
    drop = L(path[0]) - L(path[-1])
    first = sum(1.0 * grad(th) @ grad(th) for th in path[:-1])
    assert_allclose(g["pi_first_order"], first, rtol=1e-10)
    assert_allclose(g["pi_first_gap"], first - drop, rtol=1e-8)
    assert_allclose(g["pi_first_gap_pct"], 100 * (first - drop) / drop, rtol=1e-8)
    assert first - drop > 0.2 * drop                                      # far from exact
    steps_true = -np.diff([L(th) for th in path])
    steps_first = np.array([grad(th) @ grad(th) for th in path[:-1]])
    assert (steps_first >= steps_true).all()
    assert np.argmax(steps_first / steps_true) == 0                      # the caption: the first step
    assert_allclose([g["pi_step0_true"], g["pi_step0_first"]], [steps_true[0], steps_first[0]],
                    rtol=1e-10)
    # and the gap is the curvature: per step, exact drop = a|g|^2 - int_0^1 (grad(t) - grad(0)).step
    # which tends to (a^2/2) g^T H g; with a smaller step the estimate would be closer (ratio check)
    small = path[0] - 0.01 * grad(path[0])
    rel_small = (0.01 * grad(path[0]) @ grad(path[0]) - (L(path[0]) - L(small))) / (L(path[0]) - L(small))
    rel_big = (steps_first[0] - steps_true[0]) / steps_true[0]
    assert rel_small < 0.05 * rel_big


# ---------------------------------------------------------------- the self-check


def test_self_check_answers_and_their_wrong_variants(run):
    quiz = run.ns["quiz_82"]
    assert quiz.title == "Check your understanding: 8.2" and 2 <= len(quiz.questions) <= 4
    work, mc, drop_q = quiz.questions
    h = descend_oracle((0.1, Y0))
    truth = g_oracle(h[-1]) - g_oracle(h[0])
    assert abs(work.answer - truth) <= work.tol
    h2 = descend_oracle((0.05, Y0))
    wrong = [w for w, _ in work.wrong]
    assert any(abs(w + truth) < 1e-9 for w in wrong)
    assert any(abs(w - (g_oracle(h2[-1]) - g_oracle(h2[0]))) < 1e-9 for w in wrong)
    for w in wrong:
        assert abs(w - truth) > 10 * work.tol
    assert "landscape" in mc.options[mc.correct] and "basins" in mc.options[mc.correct]
    assert len(mc.why) == len(mc.options) and "contradicts" in mc.options[0]
    L, grad, path = _training_oracle()
    drop = L(path[0]) - L(path[-1])
    first = sum(grad(th) @ grad(th) for th in path[:-1])
    assert abs(drop_q.answer - drop) <= drop_q.tol
    wrong = [w for w, _ in drop_q.wrong]
    assert any(abs(w - first) < 1e-9 for w in wrong) and any(abs(w + drop) < 1e-9 for w in wrong)
    for w in wrong:
        assert abs(w - drop) > 10 * drop_q.tol
