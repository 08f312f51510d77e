"""Chapter 6's facts (section 6.1), re-checked on the chapter's own code (no book build needed).

The chapter's code cells run once in one namespace (:func:`chapter_harness.run_chapter`):
sliders and glued values are recorded. Every number the prose quotes is glued as a plain
number; the convergence rates (midpoint 1/n^2, corner 1/n, Monte Carlo 1/sqrt N) are
re-derived here with independent code (plain numpy sums and samples, not calclib); the
slider's fact (the error falls by about 4 when n doubles) is checked on the frames its
answer names, whose titles must not print the verdict; the Gaussian facts are checked
against closed forms, sympy and scipy.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose
from scipy import integrate as sci_integrate
from scipy import stats

from chapter_harness import assert_glue_is_quoted, frame, grid, run_chapter, section_text, titles
from figure_a11y import assert_figures_accessible
from conftest import ROOT

CHAPTER = ROOT / "chapters" / "ch06-multiple-integrals.md"
VERDICTS = re.compile(r"ratio|factor|÷|/ ?4|quarter|slope|1/n|n²|n\^2|four|converge|faster", re.I)
E = float(np.e)


@pytest.fixture(scope="module")
def run():
    r = run_chapter(CHAPTER)
    assert not r.raised, r.raised
    return r


def test_every_glued_name_is_glued_with_a_plain_number(run):
    assert_glue_is_quoted(run)


def test_section_61_has_its_parts():
    text = CHAPTER.read_text(encoding="utf-8")
    s61 = section_text(text, "6.1")
    for part in ("Fubini", "iterated integral", "midpoint rule", "Monte Carlo", "{admonition} Answer",
                 "{admonition} Exercise", "`double_integral(f, a, b, c, d, n)`",
                 "`probability_of_rectangle(mu, Sigma, a, b, c, d, n)`", "2\\pi\\sqrt{\\det\\Sigma}"):
        assert part in s61, part
    assert "Check your understanding: 6.1" in s61
    assert not re.search(r"\bJ\(", s61)            # J is the Jacobian, never the loss
    assert text.rstrip().endswith("<!-- section 6.2 is spliced here -->") or "## 6.2" in text


# ---------------------------------------------------------------- exact values


def test_exact_values_of_the_examples(run):
    x, y, z = sp.symbols("x y z", real=True)
    # the running example: sympy in both orders (Fubini)
    f = x * sp.exp(x * y)
    dy_first = sp.integrate(sp.integrate(f, (y, 0, 1)), (x, 0, 1))
    dx_first = sp.integrate(sp.integrate(f, (x, 0, 1)), (y, 0, 1))
    assert sp.simplify(dy_first - (sp.E - 2)) == 0 and sp.simplify(dx_first - (sp.E - 2)) == 0
    assert_allclose(run.ns["I_rect"], float(sp.E - 2), rtol=1e-15)
    # the triangle 0 <= y <= x <= 1 with e^{x^2}: (e - 1)/2, both orders within 1e-5
    tri = sp.integrate(sp.integrate(sp.exp(x**2), (y, 0, x)), (x, 0, 1))
    assert sp.simplify(tri - (sp.E - 1) / 2) == 0
    for name in ("tri_y_first", "tri_x_first"):
        assert_allclose(run.glued[name], (E - 1) / 2, rtol=1e-5)
    # the tetrahedron has volume 1/6
    vol = sp.integrate(1, (z, 0, 1 - x - y), (y, 0, 1 - x), (x, 0, 1))
    assert vol == sp.Rational(1, 6)
    assert_allclose(run.ns["tetra"], 1 / 6, rtol=1e-3)


# ---------------------------------------------------------------- rates, independently


def _midpoint(f, n):
    """Plain numpy midpoint sum on the unit square (independent of calclib and the chapter)."""
    t = (np.arange(n) + 0.5) / n
    return float(f(t[:, None], t[None, :]).sum()) / n**2


def _corner(f, n):
    t = np.arange(n) / n
    return float(f(t[:, None], t[None, :]).sum()) / n**2


def _slope(x, err):
    return np.polyfit(np.log(x), np.log(err), 1)[0]


def test_midpoint_and_corner_slopes_rederived(run):
    f = lambda x, y: x * np.exp(x * y)
    ns = 2 ** np.arange(2, 10)
    mid = _slope(ns, [abs(_midpoint(f, n) - (E - 2)) for n in ns])
    corner = _slope(ns, [abs(_corner(f, n) - (E - 2)) for n in ns])
    assert -2.05 < mid < -1.95 and -1.05 < corner < -0.9
    assert abs(run.glued["slope_mid"] - mid) < 0.05
    assert abs(run.glued["slope_corner"] - corner) < 0.06
    ratio_10 = abs(_corner(f, 10) - (E - 2)) / abs(_midpoint(f, 10) - (E - 2))
    assert_allclose(run.glued["corner_over_mid_10"], ratio_10, rtol=1e-9)
    assert ratio_10 > 50                      # "already ... times closer" at n = 10
    # the leading term: n^2 (I - S_n) -> (1/24) * integral of (f_xx + f_yy), by scipy dblquad
    lead = sci_integrate.dblquad(lambda y, x: (2 * y + x * y**2 + x**3) * np.exp(x * y),
                                 0, 1, 0, 1, epsabs=1e-12)[0] / 24
    n = 512
    assert_allclose(n**2 * ((E - 2) - _midpoint(f, n)), lead, rtol=1e-3)


def test_monte_carlo_slope_rederived(run):
    f = lambda x, y: x * np.exp(x * y)
    Ns = np.array([100, 1000, 10_000, 100_000])
    rng = np.random.default_rng(12345)
    rms = [np.sqrt(np.mean([(f(*rng.random((2, N))).mean() - (E - 2)) ** 2 for _ in range(40)]))
           for N in Ns]
    mine = _slope(Ns, rms)
    assert -0.6 < mine < -0.4
    assert -0.62 < run.glued["slope_mc"] < -0.38
    # the theory: the RMS error is sigma/sqrt(N), sigma the sd of f(U) for U uniform
    var = (sci_integrate.dblquad(lambda y, x: (x * np.exp(x * y)) ** 2, 0, 1, 0, 1)[0]
           - (E - 2) ** 2)
    assert_allclose(rms[-1], np.sqrt(var / Ns[-1]), rtol=0.3)


# ---------------------------------------------------------------- the slider


def test_slider_error_falls_by_four_when_n_doubles(run):
    assert set(run.sliders) >= {"draw_midpoint"}
    s = run.sliders["draw_midpoint"]
    ns = grid(s, "n").astype(int)
    named = (3, 4, 6, 8, 12, 16)             # the values the caption and the answer name
    assert set(named) <= set(ns) and ns[0] == 1 and 32 in ns and len(ns) <= 20
    f = lambda x, y: x * np.exp(x * y)
    err = {n: _midpoint(f, n) - (E - 2) for n in ns}
    for n in (3, 4, 8):
        assert 3.8 < err[n] / err[2 * n] < 4.2
    assert all(e < 0 for e in err.values())  # the answer: it underestimates at every n
    assert_allclose(run.glued["ratio_4_8"], err[4] / err[8], rtol=1e-9)
    assert_allclose(run.glued["ratio_8_16"], err[8] / err[16], rtol=1e-9)
    assert_allclose(run.glued["ratio_3_6"], err[3] / err[6], rtol=1e-9)
    # the frames the answer names show the error, not the verdict; alt text per frame
    alts = set()
    for n in named + (1, 32):
        fig = frame(s, n=int(n))
        text = " ".join(titles(fig))
        assert not VERDICTS.search(text), text
        assert f"{err[n]:.2e}" in text and f"{n * n} cells" in text
        alt = s.frame_alt({"n": int(n)})
        assert f"{err[n]:.2e}" in alt and f"{n} by {n}" in alt
        alts.add(alt)
    assert len(alts) == len(named) + 2


# ---------------------------------------------------------------- the Gaussian


def test_normalizing_constant_is_two_pi_sqrt_det(run):
    ns, g = run.ns, run.glued
    S = ns["Sigma_gauss"]
    assert_allclose(S, [[2.0, 0.8], [0.8, 1.0]])
    det = 2.0 * 1.0 - 0.8**2                      # closed form for the chapter's Sigma
    assert_allclose(g["det_gauss"], det, rtol=1e-14)
    assert_allclose(g["Z_formula"], 2 * np.pi * np.sqrt(det), rtol=1e-14)
    assert_allclose(g["Z_numeric"], 2 * np.pi * np.sqrt(det), rtol=1e-9)
    # scipy's density at the mean is 1/Z
    assert_allclose(stats.multivariate_normal(ns["mu_gauss"], S).pdf(ns["mu_gauss"]),
                    1 / (2 * np.pi * np.sqrt(det)), rtol=1e-12)
    assert_allclose(g["Z_wrong_det"], 2 * np.pi * det, rtol=1e-14)
    assert abs(g["Z_wrong_det"] - g["Z_numeric"]) > 1.0 and g["Z_rel_err"] < 1e-9


def test_probabilities_against_scipy(run):
    ns, g = run.ns, run.glued
    mu, S = ns["mu_gauss"], ns["Sigma_gauss"]
    a, b, c, d = ns["rect"]
    assert (a, b, c, d) == (0.0, 2.0, -1.0, 0.5)        # the rectangle the prose names
    # oracle 1: scipy's distribution function, by inclusion and exclusion
    F = stats.multivariate_normal(mu, S).cdf
    P_cdf = F([b, d]) - F([a, d]) - F([b, c]) + F([a, c])
    # oracle 2: scipy's density integrated by scipy's adaptive quadrature
    pdf = stats.multivariate_normal(mu, S).pdf
    P_quad = sci_integrate.dblquad(lambda y, x: pdf([x, y]), a, b, c, d, epsabs=1e-10)[0]
    assert_allclose(P_cdf, P_quad, atol=1e-5)
    assert_allclose(g["P_rect"], P_quad, atol=1e-5)          # midpoint, n = 200: O(h^2)
    se_rect = np.sqrt(P_quad * (1 - P_quad) / 100_000)
    assert_allclose(g["P_rect_se"], se_rect, rtol=0.02)
    assert abs(g["P_rect_mc"] - P_quad) < 4 * se_rect
    # the half-plane x1 + x2 <= 1: X1 + X2 ~ N(mu1 + mu2, 1' S 1), scipy's normal cdf
    P_half = stats.norm.cdf(1, loc=mu.sum(), scale=np.sqrt(S[0, 0] + 2 * S[0, 1] + S[1, 1]))
    assert_allclose(g["P_half"], P_half, atol=1e-5)
    assert_allclose(g["P_half_1d"], P_half, atol=1e-6)
    se = np.sqrt(P_half * (1 - P_half) / 100_000)
    assert_allclose(g["P_half_se"], se, rtol=0.02)
    assert abs(g["P_half_mc"] - P_half) < 4 * se


def test_expectation_of_the_product(run):
    ns, g = run.ns, run.glued
    mu, S = ns["mu_gauss"], ns["Sigma_gauss"]
    truth = S[0, 1] + mu[0] * mu[1]
    assert_allclose(truth, 0.3, rtol=1e-12)
    assert_allclose([g["E_x1x2"], g["E_x1x2_formula"]], truth, atol=1e-9)
    assert abs(g["E_x1x2_mc"] - truth) < 0.03


# ---------------------------------------------------------------- the self-check


def test_selfcheck_answers_and_wrong_answers(run):
    quiz = run.ns["quiz_61"]
    assert quiz.title == "Check your understanding: 6.1" and 2 <= len(quiz.questions) <= 4
    z, rate, expect, mc = quiz.questions
    # 1. Sigma = diag(4, 9): 2 pi sqrt(36) = 12 pi
    assert_allclose(z.answer, 12 * np.pi, atol=1e-6)
    wrong_z = [w for w, _ in z.wrong]
    assert any(np.isclose(w, 2 * np.pi * 36) for w in wrong_z)          # forgot the sqrt
    # 2. the rate: the error at n = 20 is about a quarter of the one at n = 10
    f = lambda x, y: x * np.exp(x * y)
    e10, e20 = abs(_midpoint(f, 10) - (E - 2)), abs(_midpoint(f, 20) - (E - 2))
    assert abs(rate.answer - e20) <= rate.tol                              # the truth is accepted
    wrong_rate = [w for w, _ in rate.wrong]
    assert any(np.isclose(w, e10 / 2) for w in wrong_rate)               # ratio 2 instead of 4
    # 3. E[X1 X2] = Sigma_12 + mu1 mu2 = -1 + 6
    assert_allclose(expect.answer, 5.0)
    # 4. Monte Carlo: 100 times more samples
    assert mc.options[mc.correct].startswith("100")
    # every wrong answer lies outside the tolerance of the right one
    for q in (z, rate, expect):
        for w, _ in q.wrong:
            assert abs(w - q.answer) > q.tol, (q.question, w)


def test_figures_meet_contrast_and_do_not_rely_on_colour_alone(run):
    """Every static figure and slider frame of the chapter (tests/figure_a11y.py)."""
    assert_figures_accessible(run)
