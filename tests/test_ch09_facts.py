"""Section 9.1's facts (Green's theorem), re-checked on the section's own code.

The chapter's code cells run once in one namespace (:func:`chapter_harness.run_chapter`):
sliders and glued values are recorded. Every claim is re-derived here from independent
oracles: both sides of Green's theorem on the three regions by ``sympy`` (exact), the
ellipse circulations of the slider by ``scipy.integrate.quad`` and the closed form
2 pi a b (1 - (a^2 + b^2)/4) from ``sympy``, the shoelace areas by a triangle fan written
out here, and the held-out AUC by counting pairs again from a logistic regression written
out with numpy. No frame title prints the verdict. Re-pointing CHAPTER at the merged
chapter file is the only change needed once 9.2 and 9.3 are spliced in.
"""

from __future__ import annotations

import math
import re

import matplotlib.path
import numpy as np
import pytest
import scipy.integrate
import sympy as sp
from numpy.testing import assert_allclose

import calclib as cl

from chapter_harness import assert_glue_is_quoted, frame, grid, run_chapter, section_names, section_text, titles
from figure_a11y import assert_figures_accessible
from conftest import ROOT

CHAPTER = ROOT / "chapters" / "ch09-fundamental-theorems.md"
VERDICTS = re.compile(r"zero|equal|same|agree|cancel|sign|negative|positive|differ|vanish|"
                      r"max|green|holds", re.I)
B = 1.2

x, y = sp.symbols("x y", real=True)
M_SYM = -y**3 + x * y
N_SYM = x**3 + sp.exp(y)
CURL_SYM = sp.diff(N_SYM, x) - sp.diff(M_SYM, y)


@pytest.fixture(scope="module")
def run():
    return run_chapter(CHAPTER)


def _quad_loop(F, r, dr, a=0.0, b=2 * math.pi):
    return scipy.integrate.quad(lambda t: float(np.dot(F(*r(t)), dr(t))), a, b, limit=200,
                                epsabs=1e-13, epsrel=1e-13)[0]


def _F(px, py):
    return np.array([-py**3 + px * py, px**3 + math.exp(py)])


def _G(px, py):
    return (1 - 0.5 * (px * px + py * py)) * np.array([-py, px])


def _fan_area(V):
    """Signed area as a sum of signed triangles (0, V_i, V_{i+1}) by cross products."""
    V = np.asarray(V, float)
    return 0.5 * sum(V[i, 0] * V[(i + 1) % len(V), 1] - V[(i + 1) % len(V), 0] * V[i, 1]
                     for i in range(len(V)))


# ---------------------------------------------------------------- names, glue, text


def test_glue_is_quoted_and_every_name_of_the_section_is_prefixed(run):
    assert_glue_is_quoted(run)
    text = section_text(run.text, "9.1")
    quoted = set(re.findall(r"\{glue:text\}`(\w+)", text))
    assert quoted and all(n.startswith("gr_") for n in quoted), quoted
    names = section_names(text)
    names.discard("_")
    assert names, "found no code in the section"
    bad = {n for n in names if not (n.startswith(("gr_", "draw_gr_")) or n == "quiz_91")}
    assert not bad, bad


def test_the_chapter_head_and_the_section_have_their_parts(run):
    head = run.text[:run.text.index("## 9.1 Green's theorem")]
    assert "# 9. Fundamental Theorems of Vector Calculus" in head
    for part in ("**9.1 Green's theorem**", "**9.2 Stokes' theorem**", "**9.3 The divergence theorem**",
                 "flux", "chapter 8"):
        assert part in head, part
    text = section_text(run.text, "9.1")
    assert r"\oint_C M\,dx + N\,dy" in text and "counterclockwise" in text and "clockwise" in text
    assert "`polygon_area(vertices)`" in text and "`boundary_circulation(F, box, n)`" in text
    assert "../exercises/ch09/ch09.ipynb" in text and ":::{admonition} Exercise" in text
    assert "### Check your understanding: 9.1" in text and "shoelace" in text


# ---------------------------------------------------------------- Green on three regions


def test_both_sides_on_the_rectangle_the_disc_and_the_lens(run):
    ns, g = run.ns, run.glued
    assert sp.simplify(CURL_SYM - (3 * x**2 + 3 * y**2 - x)) == 0
    rect = sp.integrate(CURL_SYM, (y, -1, 1), (x, 0, 2))
    assert rect == 16
    rho, phi = sp.symbols("rho phi", nonnegative=True)
    disc = sp.integrate(sp.expand(CURL_SYM.subs({x: -1 + rho * sp.cos(phi),
                                                 y: sp.Rational(1, 2) + rho * sp.sin(phi)}) * rho),
                        (rho, 0, 1), (phi, 0, 2 * sp.pi))
    assert sp.simplify(disc - sp.Rational(25, 4) * sp.pi) == 0
    lens = sp.integrate(CURL_SYM, (y, x**2, x), (x, 0, 1))
    assert lens == sp.Rational(5, 4) - sp.Rational(3, 5) - sp.Rational(1, 7) - sp.Rational(1, 3)
    # circulations by quad, written out again
    rect_c = sum(scipy.integrate.quad(lambda t, p=np.array(p), q=np.array(q): _F(*(p + t * (q - p))) @ (q - p),
                                      0, 1, epsabs=1e-13)[0]
                 for p, q in (((0, -1), (2, -1)), ((2, -1), (2, 1)), ((2, 1), (0, 1)), ((0, 1), (0, -1))))
    disc_c = _quad_loop(_F, lambda t: (-1 + math.cos(t), 0.5 + math.sin(t)),
                        lambda t: np.array([-math.sin(t), math.cos(t)]))
    lens_c = (_quad_loop(_F, lambda t: (t, t * t), lambda t: np.array([1.0, 2 * t]), 0, 1)
              - _quad_loop(_F, lambda t: (t, t), lambda t: np.array([1.0, 1.0]), 0, 1))
    assert_allclose([rect_c, disc_c, lens_c], [16, float(disc), float(lens)], atol=1e-10)
    assert_allclose([g["gr_rect_circ"], g["gr_disc_circ"], g["gr_lens_circ"]],
                    [16, float(disc), float(lens)], atol=1e-10)
    assert_allclose([ns["gr_rect"].region, ns["gr_disc_curl"], ns["gr_lens_curl"]],
                    [16, float(disc), float(lens)], atol=1e-8)
    assert 0 < g["gr_green_err"] < 1e-8


def test_area_from_the_boundary_shoelace_and_orientation(run):
    ns, g = run.ns, run.glued
    t = sp.symbols("t", real=True)
    xe, ye = 2 * sp.cos(t), sp.sin(t)
    ellipse = sp.integrate((xe * sp.diff(ye, t) - ye * sp.diff(xe, t)) / 2, (t, 0, 2 * sp.pi))
    assert sp.simplify(ellipse - 2 * sp.pi) == 0
    assert_allclose(g["gr_ellipse_area"], 2 * math.pi, rtol=1e-13)
    L = ns["gr_L"]
    assert_allclose(L, [[0, 0], [3, 0], [3, 1], [1, 1], [1, 2], [0, 2]])
    assert _fan_area(L) == pytest.approx(4.0) and _fan_area(L[::-1]) == pytest.approx(-4.0)
    assert g["gr_L_area"] == 4.0 and g["gr_L_cw"] == -4.0
    # the L shape is 3 x 1 plus 1 x 1 by counting unit cells
    cells = [(i + 0.5, j + 0.5) for i in range(3) for j in range(2)]
    assert matplotlib.path.Path(L).contains_points(cells).sum() == 4
    disc_cw = _quad_loop(_F, lambda t: (-1 + math.cos(t), 0.5 - math.sin(t)),
                         lambda t: np.array([-math.sin(t), -math.cos(t)]))
    assert_allclose([disc_cw, g["gr_disc_cw"]], -6.25 * math.pi, rtol=1e-11)
    # the test can fail: a random polygon's shoelace area is the fan area, reversed it flips
    rng = np.random.default_rng(0)
    P = rng.normal(size=(7, 2))
    P = P[np.argsort(np.arctan2(P[:, 1], P[:, 0]))]                 # star-shaped, counterclockwise
    assert_allclose(cl.fields.polygon_area(P, signed=True), _fan_area(P), rtol=1e-12)
    assert _fan_area(P) > 0 > _fan_area(P[::-1])


# ---------------------------------------------------------------- the slider


def _ellipse_closed_form(a, b=B):
    rho, phi = sp.symbols("rho phi", nonnegative=True)
    av, bv = sp.nsimplify(a), sp.nsimplify(b)
    expr = 2 * (1 - (av * rho * sp.cos(phi))**2 - (bv * rho * sp.sin(phi))**2) * av * bv * rho
    return sp.integrate(expr, (rho, 0, 1), (phi, 0, 2 * sp.pi))


def test_slider_grid_holds_the_zero_and_both_sides_agree_on_every_frame(run):
    s = run.sliders["draw_gr_ellipse"]
    As = grid(s, "a")
    assert 1.6 in As and 1.4 in As and 1.8 in As and len(As) <= 40
    a_sym, b_sym = sp.symbols("a b", positive=True)
    rho, phi = sp.symbols("rho phi", nonnegative=True)
    general = sp.integrate(2 * (1 - (a_sym * rho * sp.cos(phi))**2 - (b_sym * rho * sp.sin(phi))**2)
                           * a_sym * b_sym * rho, (rho, 0, 1), (phi, 0, 2 * sp.pi))
    assert sp.simplify(general - 2 * sp.pi * a_sym * b_sym * (1 - (a_sym**2 + b_sym**2) / 4)) == 0
    zero = sp.solve(sp.Eq(a_sym**2 + sp.Rational(6, 5)**2, 4), a_sym)
    assert zero == [sp.Rational(8, 5)]
    for a in As:
        exact = float(_ellipse_closed_form(a))
        assert_allclose(exact, 2 * math.pi * a * B * (1 - (a * a + B * B) / 4), atol=1e-12)
        q = _quad_loop(_G, lambda t, a=a: (a * math.cos(t), B * math.sin(t)),
                       lambda t, a=a: np.array([-a * math.sin(t), B * math.cos(t)]))
        assert_allclose(q, exact, atol=1e-10)
        assert_allclose([run.ns["gr_circ"][a], run.ns["gr_dbl"][a]], exact, atol=1e-10)
        assert (q > 1e-6) == (a < 1.6) and (q < -1e-6) == (a > 1.6)      # sign change at 1.6
    g = run.glued
    assert g["gr_slider_err"] < 1e-10 and g["gr_circ_16"] < 1e-10
    assert_allclose([g["gr_circ_14"], g["gr_circ_18"]],
                    [2 * math.pi * a * B * (1 - (a * a + B * B) / 4) for a in (1.4, 1.8)], atol=1e-10)
    best = max(As, key=lambda a: a * (4 - a * a - B * B))
    assert g["gr_a_max"] == best == 1.0
    assert_allclose(g["gr_circ_max"], 2 * math.pi * B * (1 - (1 + B * B) / 4), atol=1e-10)


def test_slider_frames_draw_the_ellipse_and_the_titles_give_no_verdict(run):
    s = run.sliders["draw_gr_ellipse"]
    for a in (0.4, 1.4, 1.6, 1.8, 2.4):
        fig = frame(s, a=a)
        text = " ".join(titles(fig))
        assert not VERDICTS.search(text), text
        assert f"a = {a:.1f}" in text
        ell = [ln for ln in fig.axes[0].lines if ln.get_linewidth() == 2.5]
        assert len(ell) == 1
        ex, ey = ell[0].get_xdata(), ell[0].get_ydata()
        assert_allclose((ex / a) ** 2 + (ey / B) ** 2, 1, atol=1e-12)
        alt = s.alt(a=a)
        assert f"a = {a:.1f}" in alt and "circulation" in alt


# ---------------------------------------------------------------- the ROC polygon


def test_auc_by_shoelace_is_the_pair_count_of_an_independent_fit(run):
    ns, g = run.ns, run.glued
    X, prog, _ = cl.load_diabetes(scaled=False)
    Z = np.hstack([(X - X.mean(axis=0)) / X.std(axis=0), np.ones((len(prog), 1))])
    yy = (prog > np.median(prog)).astype(float)
    th = np.zeros(11)
    for _ in range(2000):
        grad = Z[:300].T @ (1 / (1 + np.exp(-Z[:300] @ th)) - yy[:300]) / 300
        if np.linalg.norm(grad) <= 1e-8:
            break
        th = th - grad
    assert_allclose(ns["gr_theta"], th, atol=1e-6)
    s, lab = Z[300:] @ th, yy[300:]
    assert len(s) == 142
    pos, neg = s[lab == 1], s[lab == 0]
    wins = sum((p > q) + 0.5 * (p == q) for p in pos for q in neg)
    auc = wins / (len(pos) * len(neg))
    assert_allclose([g["gr_auc"], -g["gr_auc_signed"]], auc, atol=1e-9)
    assert g["gr_n_pos"] == len(pos) and g["gr_n_neg"] == len(neg)
    # the ROC polygon's area by the trapezoid rule written out
    order = np.argsort(-s, kind="stable")
    tpr = np.concatenate([[0], np.cumsum(lab[order] == 1)]) / len(pos)
    fpr = np.concatenate([[0], np.cumsum(lab[order] == 0)]) / len(neg)
    trap = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
    assert_allclose(trap, auc, atol=1e-12)
    assert _fan_area(ns["gr_polygon"]) < 0                         # clockwise, as the text says
    assert 0.6 < auc < 0.95


# ---------------------------------------------------------------- the self-check


def test_self_check_answers_and_their_wrong_variants(run):
    quiz = run.ns["quiz_91"]
    assert quiz.title == "Check your understanding: 9.1" and 2 <= len(quiz.questions) <= 4
    circ, tri, mc = quiz.questions
    truth = 2 * math.pi * 2.0 * B * (1 - (4 + B * B) / 4)
    assert abs(circ.answer - truth) <= circ.tol
    assert abs(tri.answer - _fan_area([[0, 0], [0, 3], [4, 0]])) <= tri.tol
    assert _fan_area([[0, 0], [0, 3], [4, 0]]) == pytest.approx(-6)
    for q in (circ, tri):
        assert q.wrong
        for value, why in q.wrong:
            assert abs(value - q.answer) > 10 * q.tol and why
    assert mc.options[mc.correct] == "F = (−y, 0)" and all(mc.why[i] for i in range(3) if i != mc.correct)


def test_figures_meet_contrast_and_do_not_rely_on_colour_alone(run):
    """Every static figure and slider frame of the chapter (tests/figure_a11y.py)."""
    assert_figures_accessible(run)
