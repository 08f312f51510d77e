"""Section 7.1's facts (vector fields, divergence and curl), re-checked on the section's own code.

The chapter's code cells run once in one namespace (:func:`chapter_harness.run_chapter`):
sliders and glued values are recorded. Every divergence and curl the page computes is
re-derived here with sympy from the fields' formulas written out again; the slider's fact
(curl 2s, divergence (1 - s)(-Δf), paths into the minimum at s = 0, closed orbits at
s = 1) is checked at the grid values its answer names, with ``scipy.integrate.solve_ivp``
as the independent integrator; the least-squares minimizer is checked against
``np.linalg.lstsq``; no frame title prints the verdict; the self-check accepts its answers
and refuses its wrong ones.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.integrate
import sympy as sp
from numpy.testing import assert_allclose

import calclib as cl

from chapter_harness import assert_glue_is_quoted, frame, grid, run_chapter, section_text, titles
from figure_a11y import assert_figures_accessible
from conftest import ROOT

CHAPTER = ROOT / "chapters" / "ch07-vector-fields.md"
VERDICTS = re.compile(r"circl|orbit|closed|spiral|sink|source|converg|zero|rotat|linear|2s|"
                      r"return|minimum|gradient", re.I)
x, y, z, s_ = sp.symbols("x y z s", real=True)


@pytest.fixture(scope="module")
def run():
    return run_chapter(CHAPTER)      # 7.1 has no cell that raises on purpose


def _div2(F):
    return sp.diff(F[0], x) + sp.diff(F[1], y)


def _curl2(F):
    return sp.diff(F[1], x) - sp.diff(F[0], y)


def test_glue_is_quoted_and_the_section_has_its_parts(run):
    assert_glue_is_quoted(run)
    names = set(re.findall(r"\{glue:text\}`(\w+)", section_text(run.text, "7.1")))
    assert names and not any(n.startswith("cf_") for n in names)      # 7.2's prefix is not ours
    text = section_text(run.text, "7.1")
    assert "`divergence(F, x, h=1e-5)`" in text and "`curl(F, x, h=1e-5)`" in text
    assert "../exercises/ch07/ch07.ipynb" in text
    assert "### Check your understanding: 7.1" in text
    assert "draw_mix" in run.sliders and "quiz_71" in run.ns
    assert "## 7.2 Conservative fields and potentials" in run.text    # 7.2 follows in the same file
    assert "# 7. Vector Fields and Conservative Fields" in run.text


# ---------------------------------------------------------------- divergence and curl, by sympy


def test_the_worked_divergences_and_curls_match_sympy(run):
    g, ns = run.glued, run.ns
    F = (x**2 * y, x - y**3)
    at = {x: 0.5, y: 1.0}
    assert_allclose(ns["p_ex"], [0.5, 1.0])
    assert_allclose(g["div_ex"], float(_div2(F).subs(at)), atol=1e-8)
    assert_allclose(g["curl_ex"], float(_curl2(F).subs(at)), atol=1e-8)
    assert g["div_ex"] < 0 < g["curl_ex"]                               # "a sink", "counterclockwise"
    # the page's F_ex is the field written here
    for p in np.random.default_rng(3).uniform(-2, 2, size=(4, 2)):
        assert_allclose(ns["F_ex"](p), [float(c.subs({x: p[0], y: p[1]})) for c in F])
    G = sp.Matrix([x * y, y * z, z * x])
    v = (x, y, z)
    curl = [sp.diff(G[2], y) - sp.diff(G[1], z), sp.diff(G[0], z) - sp.diff(G[2], x),
            sp.diff(G[1], x) - sp.diff(G[0], y)]
    at3 = dict(zip(v, (1.0, 2.0, 3.0)))
    assert_allclose(ns["q_ex"], [1, 2, 3])
    assert_allclose(g["div3_ex"], float(sum(sp.diff(G[i], v[i]) for i in range(3)).subs(at3)), atol=1e-7)
    assert_allclose([g["curl3_ex_1"], g["curl3_ex_2"], g["curl3_ex_3"]],
                    [float(c.subs(at3)) for c in curl], atol=1e-7)
    for p in np.random.default_rng(4).uniform(-2, 2, size=(3, 3)):
        assert_allclose(ns["G_ex"](p), [float(c.subs(dict(zip(v, p)))) for c in G])


def test_three_fields_and_curl_of_a_gradient(run):
    ns = run.ns
    # source, rotation, shear: div 2, 0, 0 and curl 0, 2, -1 (sympy)
    fields = {"source": (x, y), "rotation": (-y, x), "shear": (y, sp.Integer(0))}
    p = np.array([0.3, 0.7])
    for name, F in fields.items():
        assert_allclose(cl.fields.divergence(ns["FIELDS"][name], p), float(_div2(F)), atol=1e-8)
        assert_allclose(cl.fields.curl(ns["FIELDS"][name], p), float(_curl2(F)), atol=1e-8)
    # the page's grad_f3 is the gradient of x^2 y + sin(yz); its curl is zero (sympy)
    f = x**2 * y + sp.sin(y * z)
    grad = [sp.diff(f, w) for w in (x, y, z)]
    for q in ns["pts3"]:
        assert_allclose(ns["grad_f3"](q), [float(c.subs(dict(zip((x, y, z), q)))) for c in grad], atol=1e-12)
    H = sp.hessian(f, (x, y, z))
    assert sp.simplify(H - H.T) == sp.zeros(3, 3)
    assert run.glued["curl_grad_max"] < 1e-6


# ---------------------------------------------------------------- the diabetes loss


def test_least_squares_minimizer_and_divergence(run):
    g, ns = run.glued, run.ns
    Xr, yr, names = cl.datasets.load_diabetes(scaled=False)
    A = Xr[:, [names.index("bmi"), names.index("s5")]]
    A = (A - A.mean(0)) / A.std(0)
    b = (yr - yr.mean()) / yr.std()
    theta, res, *_ = np.linalg.lstsq(A, b, rcond=None)
    assert_allclose([g["theta_1"], g["theta_2"]], theta, rtol=1e-10)
    assert_allclose(ns["theta_star"], theta, rtol=1e-10)
    N = len(b)
    assert_allclose(g["loss_min"], res[0] / (2 * N), rtol=1e-10)
    assert_allclose(g["r2_ls"], 1 - res[0] / (b @ b), rtol=1e-10)
    rho = np.corrcoef(A.T)[0, 1]
    assert_allclose(g["rho_ls"], rho, rtol=1e-10)
    # Hessian A^T A / N = [[1, rho], [rho, 1]]: div(-grad L) = -2 everywhere
    assert_allclose(A.T @ A / N, [[1, rho], [rho, 1]], atol=1e-12)
    assert_allclose(g["div_ls"], -2.0, atol=1e-5)
    for p in np.random.default_rng(5).uniform(-2, 2, size=(3, 2)):
        assert_allclose(ns["neg_grad_ls"](p), -A.T @ (A @ p - b) / N, atol=1e-12)
    # a gradient-flow path from far away ends at theta* (the figure's claim)
    sol = scipy.integrate.solve_ivp(lambda t, q: -A.T @ (A @ q - b) / N, (0, 40), [-1.5, 2.0],
                                    rtol=1e-10, atol=1e-12)
    assert np.linalg.norm(sol.y[:, -1] - theta) < 1e-4


# ---------------------------------------------------------------- the slider


def _mix_sym():
    f = x**2 / 2 + y**2 + x**4 / 4
    F = [(1 - s_) * -sp.diff(f, x) + s_ * -y, (1 - s_) * -sp.diff(f, y) + s_ * x]
    return f, F


def test_slider_grid_and_its_curl_and_divergence(run):
    sl = run.sliders["draw_mix"]
    ss = grid(sl, "s")
    assert ss[0] == 0 and ss[-1] == 1 and 0.5 in ss and len(ss) <= 13
    f, F = _mix_sym()
    assert sp.simplify(_curl2(F) - 2 * s_) == 0
    lap = sp.diff(f, x, 2) + sp.diff(f, y, 2)
    assert sp.simplify(_div2(F) - (1 - s_) * (-lap)) == 0
    px, py = run.ns["p_mix"]
    MIX = run.ns["MIX"]
    for s in ss:
        at = {x: px, y: py, s_: s}
        assert_allclose(MIX[s]["curl"], float(_curl2(F).subs(at)), atol=1e-6)
        assert_allclose(MIX[s]["div"], float(_div2(F).subs(at)), atol=1e-6)
        # the page's field is the one written here
        q = np.array([0.7, -1.1])
        assert_allclose(run.ns["F_mix"](s)(q), [float(c.subs({x: q[0], y: q[1], s_: s})) for c in F],
                        atol=1e-12)
    g = run.glued
    for key, s in (("0", 0.0), ("half", 0.5), ("1", 1.0)):
        at = {x: px, y: py, s_: s}
        assert_allclose(g[f"mix_curl_{key}"], 2 * s, atol=1e-6)
        assert_allclose(g[f"mix_div_{key}"], float(_div2(F).subs(at)), atol=1e-6)
    assert g["mix_curl_0"] == pytest.approx(0, abs=1e-6) and g["mix_div_1"] == pytest.approx(0, abs=1e-6)


def _ivp(s, x0, t_end=2 * np.pi):
    F = lambda t, q: (1 - s) * np.array([-q[0] - q[0]**3, -2 * q[1]]) + s * np.array([-q[1], q[0]])
    return scipy.integrate.solve_ivp(F, (0, t_end), x0, rtol=1e-10, atol=1e-12).y[:, -1]


def test_paths_flow_in_at_s0_spiral_in_between_and_close_at_s1(run):
    MIX, STARTS, g = run.ns["MIX"], run.ns["STARTS"], run.glued
    for s in (0.0, 0.5, 1.0):
        for x0, path in zip(STARTS, MIX[s]["paths"]):
            assert_allclose(path[-1], _ivp(s, x0), atol=1e-5)      # the page's RK4 is right
    ends0 = [np.linalg.norm(_ivp(0.0, x0)) for x0 in STARTS]
    assert max(ends0) < 5e-3
    assert_allclose(g["mix_end_0"], max(ends0), rtol=1e-3)
    assert_allclose(g["mix_end_half"], max(np.linalg.norm(_ivp(0.5, x0)) for x0 in STARTS), rtol=1e-3)
    assert g["mix_end_half"] > g["mix_end_0"]
    # s = 1: exact circles, back at the start after 2 pi; for s < 1 never back
    for x0 in STARTS:
        assert np.linalg.norm(_ivp(1.0, x0) - x0) < 1e-7
        for s in grid(run.sliders["draw_mix"], "s")[:-1]:
            assert np.linalg.norm(_ivp(s, x0) - x0) > 0.1
    assert g["mix_gap_1"] < 1e-6


def test_frame_titles_show_s_but_not_the_verdict(run):
    sl = run.sliders["draw_mix"]
    for s in (0.0, 0.5, 1.0):
        fig = frame(sl, s=s)
        text = " ".join(titles(fig))
        assert f"s = {s:.1f}" in text
        assert not VERDICTS.search(text), text
        alt = sl.alt(s=s) if hasattr(sl, "alt") and callable(sl.alt) else run.ns["alt_mix"](s)
        assert f"s = {s:.1f}" in alt
        assert fig.axes[0].get_aspect() == 1.0 and fig.axes[0].get_xlabel() == "x"


# ---------------------------------------------------------------- neural field and PINN penalty


def test_network_divergence_and_pinn_penalties(run):
    ns, g = run.ns, run.glued
    W, b, P = ns["W_nn"], ns["b_nn"], ns["P_col"]
    v = [sp.tanh(W[i, 0] * x + W[i, 1] * y + b[i]) for i in range(2)]
    dv = sp.lambdify((x, y), _div2(v), "numpy")
    exact = dv(P[0], P[1])
    assert_allclose(ns["div_net"], exact, atol=1e-8)
    assert_allclose(g["pinn_net"], np.mean(exact**2), rtol=1e-7)
    psi = sp.sin(x) * sp.cos(2 * y)
    u = (sp.diff(psi, y), -sp.diff(psi, x))
    assert sp.simplify(_div2(u)) == 0
    for q in P.T[:3]:
        assert_allclose(ns["u_stream"](q), [float(c.subs({x: q[0], y: q[1]})) for c in u], atol=1e-12)
    assert g["pinn_stream"] < 1e-15 and g["pinn_net"] > 1e-2


# ---------------------------------------------------------------- the self-check


def test_self_check_accepts_its_answers_and_refuses_the_wrong_ones(run):
    quiz = run.ns["quiz_71"]
    q1, q2, q3 = quiz.questions
    F = (x**2 * y, x - y**3)
    div11 = float(_div2(F).subs({x: 1, y: 1}))
    assert abs(q1.answer - div11) <= q1.tol
    assert all(abs(w - div11) > q1.tol for w, _ in q1.wrong) and len(q1.wrong) == 3
    _, Fm = _mix_sym()
    curl03 = float(_curl2(Fm).subs({x: 0.2, y: -0.4, s_: 0.3}))
    assert abs(q2.answer - curl03) <= q2.tol
    assert all(abs(w - curl03) > q2.tol for w, _ in q2.wrong) and len(q2.wrong) == 3
    # the choice: near a strict minimum, div(-grad L) = -tr H < 0 (a sink)
    H = np.array([[2.0, 0.5], [0.5, 1.0]])
    assert np.all(np.linalg.eigvalsh(H) > 0) and -np.trace(H) < 0
    assert q3.correct == 0 and "sink" in q3.options[0]
    assert "Check your understanding: 7.1" in quiz.title


def test_figures_meet_contrast_and_do_not_rely_on_colour_alone(run):
    """Every static figure and slider frame of the chapter (tests/figure_a11y.py)."""
    assert_figures_accessible(run)
