"""Section 8.1's facts (line integrals), re-checked on the section's own code.

The chapter's code cells run once in one namespace (:func:`chapter_harness.run_chapter`):
sliders and glued values are recorded. Every claim is re-derived here from independent
oracles: the line integrals by ``sympy`` (exact) and ``scipy.integrate.quad``, the
slider's works at every grid value by ``quad`` on the path formula written out again
here, and the network's loss along the straight line in parameter space by a plain-numpy
forward pass (tanh layer, logistic loss) written out again here, unpacked from the flat
parameter vector.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.integrate
import sympy as sp
from numpy.testing import assert_allclose

from chapter_harness import assert_glue_is_quoted, frame, grid, run_chapter, section_text, titles
from figure_a11y import assert_figures_accessible
from conftest import ROOT

CHAPTER = ROOT / "chapters" / "ch08-line-integrals.md"
VERDICTS = re.compile(r"constant|same|chang|depend|independ|conserv|path-|vari|fixed|stays|"
                      r"flat|linear|zero|equal", re.I)


@pytest.fixture(scope="module")
def run():
    return run_chapter(CHAPTER)      # 8.1 has no cell that raises on purpose


def _quad(F, r, dr, a, b):
    return scipy.integrate.quad(lambda t: float(np.dot(F(*r(t)), dr(t))), a, b,
                                epsabs=1e-13, epsrel=1e-13)[0]


def _rot(x, y):
    return np.array([-y, x])


def _grad_xy(x, y):          # the gradient of f = x y
    return np.array([y, x])


# ---------------------------------------------------------------- the text


def test_glue_is_quoted_and_no_8_2_prefix(run):
    assert_glue_is_quoted(run)
    names = set(re.findall(r"\{glue:text\}`(\w+)", section_text(run.text, "8.1")))
    assert names and not any(n.startswith("pi_") for n in names), names
    defs = set(re.findall(r"^def (\w+)", section_text(run.text, "8.1"), re.M))
    defs |= set(re.findall(r"^(\w+)\s*=", section_text(run.text, "8.1"), re.M))
    assert defs and not [n for n in defs if n.startswith("pi_")]    # 8.2 owns pi_


def test_the_section_has_its_parts(run):
    text = section_text(run.text, "8.1")
    assert r"\int_a^b \vv F(\vv r(t))\cdot\vv r'(t)\,dt" in text
    assert "`line_integral(F, r, dr, a, b, n)`" in text and "../exercises/ch08/ch08.ipynb" in text
    assert "t_k = a + (k + \\tfrac12)(b - a)/n" in text and "midpoint rule" in text
    assert "### Check your understanding: 8.1" in text and "section 8.2" in text
    assert "draw_bent_path" in run.sliders
    assert "## 8.2 Path independence" in run.text    # 8.2 follows in the same file
    assert "# 8. Line Integrals" in run.text and "**8.2 Path independence**" in run.text


# ---------------------------------------------------------------- closed forms by hand


def test_worked_example_parabola_segment_two_parameterizations_and_reversal(run):
    t, s = sp.symbols("t s", real=True)

    def work(x, y, var):                      # F = (-y, x) along (x(var), y(var)), var in [0, 1]
        return sp.integrate(-y * sp.diff(x, var) + x * sp.diff(y, var), (var, 0, 1))

    exact = {"W_parab": work(t, t**2, t), "W_parab_s2": work(s**2, s**4, s),
             "W_parab_rev": work(1 - t, (1 - t)**2, t)}
    assert exact == {"W_parab": sp.Rational(1, 3), "W_parab_s2": sp.Rational(1, 3),
                     "W_parab_rev": -sp.Rational(1, 3)}
    for name, value in exact.items():
        assert_allclose(run.glued[name], float(value), rtol=1e-12)
    assert work(t, t, t) == 0
    assert abs(run.ns["W_segment"]) < 1e-14
    # quad on the chapter's own functions agrees too
    ns = run.ns
    assert_allclose(_quad(_rot, ns["r_parab_s2"], ns["dr_parab_s2"], 0, 1), 1 / 3, rtol=1e-10)


def test_midpoint_error_formula_of_the_dropdown():
    for n in (1, 3, 10, 100):
        tk = (np.arange(n) + 0.5) / n
        assert_allclose(np.sum(tk**2) / n, 1 / 3 - 1 / (12 * n**2), rtol=1e-13)


# ---------------------------------------------------------------- the slider


def _path(k):
    return (lambda t: np.array([t, t + k * t * (1 - t)]),
            lambda t: np.array([1.0, 1 + k * (1 - 2 * t)]))


def test_slider_grid_contains_zero_and_both_signs(run):
    ks = grid(run.sliders["draw_bent_path"], "k")
    assert 0.0 in ks and ks.min() < 0 < ks.max() and len(ks) <= 13
    assert -1.0 in ks and -3.0 in ks and 3.0 in ks      # the parabola, the answer's values


def test_slider_works_rotational_varies_gradient_stays(run):
    ns = run.ns
    ks = grid(run.sliders["draw_bent_path"], "k")
    rot = np.array([_quad(_rot, *_path(k), 0, 1) for k in ks])
    grd = np.array([_quad(_grad_xy, *_path(k), 0, 1) for k in ks])
    assert_allclose([ns["W_ROT"][k] for k in ks], rot, atol=1e-12)
    assert_allclose([ns["W_GRAD"][k] for k in ks], grd, atol=1e-12)
    assert_allclose(rot, -ks / 3, atol=1e-12)                    # the answer's -k/3
    assert np.ptp(grd) < 1e-12 and abs(grd[0] - 1.0) < 1e-12     # f(B) - f(A) = 1
    assert np.ptp(rot) > 1.9                                     # really varies
    assert np.all(np.sign(rot[ks < 0]) > 0) and np.all(np.sign(rot[ks > 0]) < 0)
    g = run.glued
    assert_allclose([g["W_rot_km3"], g["W_rot_k0"], g["W_rot_k3"]], [1, 0, -1], atol=1e-12)
    assert_allclose(g["W_grad_k0"], 1.0, atol=1e-12)
    assert g["W_grad_spread"] < 1e-12
    # the path at k = -1 is the worked example's parabola
    r, _ = _path(-1.0)
    assert_allclose(r(0.3), [0.3, 0.09], atol=1e-15)


def test_frames_show_the_works_but_no_verdict(run):
    s = run.sliders["draw_bent_path"]
    for k in grid(s, "k"):
        fig = frame(s, k=k)
        ts = titles(fig)
        assert not any(VERDICTS.search(t) for t in ts), ts
        assert any(f"{k:+.1f}" in t for t in ts), ts
        assert f"{-k / 3:+.3f}".replace("-0.000", "+0.000") in ts[0] or abs(k) < 1e-12, ts
        # the drawn path is r_k
        line = fig.axes[0].lines[1]
        x, y = line.get_xdata(), line.get_ydata()
        assert_allclose(y, x + k * x * (1 - x), atol=1e-12)
        alt = s.alt(k=k)
        assert f"{k:+.1f}" in alt and f"{-k / 3:+.3f}"[-5:] in alt


# ---------------------------------------------------------------- the network on the line


def _loss_written_out(theta, X, y, sizes=(10, 8, 1)):
    """Mean logistic loss of a tanh network, parameters laid out W0, b0, W1, b1 (row-major)."""
    n0, n1, n2 = sizes
    k = 0
    W0 = theta[k:k + n1 * n0].reshape(n1, n0); k += n1 * n0
    b0 = theta[k:k + n1]; k += n1
    W1 = theta[k:k + n2 * n1].reshape(n2, n1); k += n2 * n1
    b1 = theta[k:k + n2]; k += n2
    assert k == theta.size
    z = (np.tanh(X @ W0.T + b0) @ W1.T + b1)[:, 0]
    return float(np.mean(np.log1p(np.exp(-np.abs(z))) + np.maximum(z, 0) - y * z))


def test_interpolation_integral_is_the_loss_difference(run):
    ns, g = run.ns, run.glued
    X, y = ns["X_diab"], ns["y_high"]
    assert X.shape == (442, 10) and set(np.unique(y)) == {0.0, 1.0}
    assert abs(y.mean() - 0.5) < 0.02                          # above the median: about half
    th0, th1 = ns["theta_0"], ns["theta_1"]
    assert th0.shape == (97,) and np.linalg.norm(th1 - th0) > 1
    L0, L1 = _loss_written_out(th0, X, y), _loss_written_out(th1, X, y)
    assert_allclose([g["ml_L0"], g["ml_L1"]], [L0, L1], rtol=1e-12)
    assert L1 < L0 - 0.1                                       # training really lowered it
    assert_allclose([g["ml_work"], g["ml_work_s2"]], L1 - L0, rtol=1e-9)
    # the integrand really is the gradient along the line: finite differences of the loss
    # written out here, integrated by quad, give the same number
    d = th1 - th0
    dLdt = lambda t, h=1e-5: (_loss_written_out(th0 + (t + h) * d, X, y)
                              - _loss_written_out(th0 + (t - h) * d, X, y)) / (2 * h)
    assert_allclose(scipy.integrate.quad(dLdt, 0, 1, limit=20)[0], L1 - L0, rtol=1e-6)
    assert_allclose(ns["grad_loss"](th0 + 0.4 * d) @ d, dLdt(0.4), rtol=1e-6)


def test_accumulated_work_traces_the_loss_profile(run):
    ns, g = run.ns, run.glued
    X, y, th0, th1 = ns["X_diab"], ns["y_high"], ns["theta_0"], ns["theta_1"]
    ts = ns["t_prof"]
    prof = np.array([_loss_written_out(th0 + t * (th1 - th0), X, y) for t in ts])
    assert_allclose(ns["loss_prof"], prof, rtol=1e-12)
    assert_allclose(prof[0] + ns["work_prof"], prof, atol=1e-9)
    assert np.all(np.diff(prof) < 0) and g["ml_monotone_steps"] == len(ts) - 1 == 20


# ---------------------------------------------------------------- the self-check


def test_self_check_answers_right_and_wrong_answers_wrong(run):
    quiz = run.ns["quiz_81"]
    assert quiz.title == "Check your understanding: 8.1" and 2 <= len(quiz.questions) <= 4
    bent, rev, ml = quiz.questions
    assert_allclose(bent.answer, -0.5, atol=1e-12)                     # -k/3 at k = 1.5
    assert_allclose(rev.answer, -1.0, atol=1e-12)                      # -(f(B) - f(A))
    L0 = _loss_written_out(run.ns["theta_0"], run.ns["X_diab"], run.ns["y_high"])
    L1 = _loss_written_out(run.ns["theta_1"], run.ns["X_diab"], run.ns["y_high"])
    assert_allclose(ml.answer, L1 - L0, rtol=1e-9)
    assert f"{L0:.4f}" in ml.question and f"{L1:.4f}" in ml.question
    for q in (bent, rev, ml):
        assert q.wrong
        for value, why in q.wrong:
            assert abs(value - q.answer) > q.tol, (q.question, value)
            assert why


def test_figures_meet_contrast_and_do_not_rely_on_colour_alone(run):
    """Every static figure and slider frame of the chapter (tests/figure_a11y.py)."""
    assert_figures_accessible(run)
