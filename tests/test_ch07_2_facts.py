"""Section 7.2's facts (conservative fields and potentials), re-checked on the section's own code.

The draft's code cells run once in one namespace (:func:`chapter_harness.run_chapter`).
Every number the prose quotes is glued (``cf_`` names), and each claim is re-derived from
an independent oracle: sympy for the curl of the punctured-plane field and for the
potential, ``scipy.integrate.quad`` for circulations, the 2 x 2 update matrices written out
here for gradient descent and gradient descent-ascent, and ``scipy.integrate.solve_ivp``
for the flows of the slider. When the section is spliced into the chapter, only CHAPTER
changes.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import scipy.integrate
import sympy as sp
from numpy.testing import assert_allclose

from chapter_harness import assert_glue_is_quoted, frame, grid, run_chapter, section_text, titles
from conftest import ROOT

CHAPTER = ROOT / "chapters" / "ch07-vector-fields.md"
VERDICTS = re.compile(r"converg|diverg|orbit|spiral|cycl|stable|unstable|grow|shrink|circle|"
                      r"conservative|rho|ρ", re.I)


@pytest.fixture(scope="module")
def run():
    return run_chapter(CHAPTER)      # 7.2 has no cell that raises on purpose


def test_glue_is_quoted_and_prefixed(run):
    assert_glue_is_quoted(run)
    used = set(re.findall(r"\{glue:text\}`(\w+)", section_text(run.text, "7.2")))
    assert used and all(n.startswith("cf_") for n in used), used
    assert used <= {n for n in run.glued if n.startswith("cf_")}     # 7.1 glues the rest


def test_top_level_names_are_prefixed(run):
    text = section_text(run.text, "7.2")
    defs = set(re.findall(r"^def (\w+)", text, re.M)) | set(re.findall(r"^(\w+)\s*=", text, re.M))
    ok = ("cf_", "draw_cf_", "quiz_72")
    assert defs and all(n.startswith(ok) for n in defs), sorted(n for n in defs if not n.startswith(ok))
    assert "draw_cf_mix" in run.sliders and "quiz_72" in run.ns
    assert not any(n.startswith("CF_") for n in run.ns)


def test_the_section_names_the_exercise_and_the_correction(run):
    text = section_text(run.text, "7.2")
    assert "`is_conservative(F, points, h=1e-5, tol=1e-4)`" in text
    assert "`potential(F, x, x0, n=100)`" in text
    assert "../exercises/ch07/ch07.ipynb" in text
    assert "The notes claim" in text and "ensures convergence to local minima" in text
    assert "Check your understanding: 7.2" in text
    assert "section 7.1" in text


# ---------------------------------------------------------------- the punctured plane


def test_punctured_plane_field_has_zero_curl_and_circulation_2pi(run):
    g = run.glued
    x, y = sp.symbols("x y", real=True)
    M, N = -y / (x**2 + y**2), x / (x**2 + y**2)
    assert sp.simplify(sp.diff(N, x) - sp.diff(M, y)) == 0           # curl 0 off the origin
    assert g["cf_curl_max"] < 1e-6
    # circulation by quad: F(r(t)) . r'(t) on the unit circle and on the circle around (3, 0)
    Mf, Nf = sp.lambdify((x, y), M), sp.lambdify((x, y), N)

    def circ(cx, cy, R):
        f = lambda t: (Mf(cx + R * math.cos(t), cy + R * math.sin(t)) * -R * math.sin(t)
                       + Nf(cx + R * math.cos(t), cy + R * math.sin(t)) * R * math.cos(t))
        return scipy.integrate.quad(f, 0, 2 * math.pi, epsabs=1e-13)[0]

    assert_allclose(circ(0, 0, 1), 2 * math.pi, rtol=1e-12)
    assert abs(circ(3, 0, 1)) < 1e-12
    assert_allclose(g["cf_circ_origin"], circ(0, 0, 1), rtol=1e-9)
    assert g["cf_circ_away"] < 1e-9
    # the square's broken line around the origin: 2 pi again
    assert_allclose(g["cf_square_hole"], 2 * math.pi, rtol=1e-8)
    F = run.ns["cf_F_hole"]
    p = np.array([0.3, -1.2])
    assert_allclose(F(p), [Mf(*p), Nf(*p)], rtol=1e-14)


# ---------------------------------------------------------------- recovering the potential


def test_the_recovered_potential_matches_sympy(run):
    x, y = sp.symbols("x y", real=True)
    M, N = 2 * x * y + 1, x**2 + 3 * y**2
    assert sp.diff(N, x) == sp.diff(M, y)                            # the curl test
    f0 = sp.integrate(M, x)                                          # integrate M in x
    g = sp.integrate(sp.expand(N - sp.diff(f0, y)), y)               # fix g(y) with N
    f = f0 + g
    assert sp.simplify(sp.diff(f, x) - M) == 0 and sp.simplify(sp.diff(f, y) - N) == 0
    fl = sp.lambdify((x, y), f)
    ns = run.ns
    pts = ns["cf_pts"]
    assert_allclose(ns["cf_pot"], fl(*pts) - fl(0, 0), atol=1e-10)
    assert_allclose(ns["cf_f"](*pts), fl(*pts), atol=1e-12)
    assert run.glued["cf_pot_err"] < 1e-9
    assert_allclose([run.glued["cf_detour"], run.glued["cf_fB"]], fl(1, 2) - fl(0, 0), rtol=1e-12)
    # the three-segment detour by quad, segment by segment
    Mf, Nf = sp.lambdify((x, y), M), sp.lambdify((x, y), N)
    P = np.array([[0, 0], [2, -1], [-1, 3], [1, 2]], float)
    total = sum(scipy.integrate.quad(
        lambda t, a=a, b=b: np.dot([Mf(*(a + t * (b - a))), Nf(*(a + t * (b - a)))], b - a), 0, 1)[0]
        for a, b in zip(P[:-1], P[1:]))
    assert_allclose(run.glued["cf_detour"], total, rtol=1e-10)


# ---------------------------------------------------------------- the correction


def test_f_decreases_along_the_gradient_flow(run):
    ns = run.ns
    f = lambda p: (p[0]**2 - 1)**2 / 4 + p[1]**2 / 2
    grad = lambda p: np.array([p[0]**3 - p[0], p[1]])
    sol = scipy.integrate.solve_ivp(lambda t, p: -grad(p), (0, 6), [0.1, 1.5],
                                    t_eval=np.arange(301) * 0.02, rtol=1e-10, atol=1e-12)
    assert_allclose(ns["cf_traj"], sol.y.T, atol=1e-6)
    fs = np.array([f(p) for p in sol.y.T])
    assert np.all(np.diff(fs) < 0)
    # df/dt = -|grad f|^2, exactly, by sympy along a symbolic curve
    t = sp.symbols("t")
    X, Y = sp.Function("X")(t), sp.Function("Y")(t)
    fx = (X**2 - 1)**2 / 4 + Y**2 / 2
    dfdt = sp.diff(fx, t).subs({sp.diff(X, t): -(X**3 - X), sp.diff(Y, t): -Y})
    assert sp.simplify(dfdt + (X**3 - X)**2 + Y**2) == 0
    assert run.glued["cf_lyap_err"] < 1e-3


def test_gradient_descent_threshold_is_two_over_lambda_max(run):
    g = run.glued
    A = np.array([[3.0, 1.0], [1.0, 3.0]])
    lam = (6 + math.sqrt(36 - 4 * 8)) / 2                           # roots of l^2 - 6 l + 8
    assert lam == 4.0 and g["cf_lam_max"] == pytest.approx(lam)
    assert g["cf_alpha_star"] == pytest.approx(2 / lam)
    assert g["cf_alpha_ok"] < 2 / lam < g["cf_alpha_big"]
    for alpha, grows in ((g["cf_alpha_ok"], False), (g["cf_alpha_big"], True)):
        Mx = np.eye(2) - alpha * A                                  # the GD step matrix
        rho = max(abs(1 - alpha * 2), abs(1 - alpha * 4))
        assert_allclose(max(abs(np.linalg.eigvals(Mx))), rho)
        assert (rho > 1) == grows
        th = np.array([1.0, 0.2])
        for _ in range(20):
            th = Mx @ th
        assert_allclose(0.5 * th @ A @ th, g["cf_L_big_end"] if grows else g["cf_L_ok_end"], rtol=1e-9)
    assert g["cf_L_big_end"] > 100 and g["cf_L_ok_end"] < 1e-6


def test_gda_growth_factor_from_the_update_matrix(run):
    g = run.glued
    a = g["cf_alpha_gda"]
    M = np.array([[1.0, -a], [a, 1.0]])                             # (x, y) -> (x - a y, y + a x)
    ev = np.linalg.eigvals(M)
    assert_allclose(sorted(ev, key=lambda z: z.imag), [1 - 1j * a, 1 + 1j * a])
    assert_allclose(abs(ev), math.sqrt(1 + a * a))
    assert_allclose([g["cf_gda_factor"], g["cf_gda_formula"]], math.sqrt(1 + a * a), rtol=1e-12)
    assert_allclose(g["cf_gda_r60"], (1 + a * a) ** 30, rtol=1e-10)
    z = np.linalg.matrix_power(M, 60) @ np.array([1.0, 0.0])
    assert_allclose(run.ns["cf_z"][-1], z, rtol=1e-10)
    # the continuous flow (-y, x): pure rotation, curl 2, symmetric part 0
    assert g["cf_gda_curl"] == pytest.approx(2.0, abs=1e-8) and g["cf_gda_sym"] < 1e-8


# ---------------------------------------------------------------- the slider


def _rho(c, alpha=0.4):
    M = np.eye(2) + alpha * np.array([[-1.0, -c], [c, -1.0]])
    return max(abs(np.linalg.eigvals(M)))


def test_slider_iteration_changes_at_c_2_and_the_flow_always_converges(run):
    s = run.sliders["draw_cf_mix"]
    cs = grid(s, "c")
    assert cs[0] == 0 and cs[-1] == 3 and {1.75, 2.0, 2.25} <= set(cs) and len(cs) <= 13
    assert run.ns["cf_step_alpha"] == 0.4
    ns, g = run.ns, run.glued
    for c in cs:
        it = ns["cf_iter_c"](c)
        r = np.linalg.norm(it, axis=1)
        assert_allclose(r[1:] / r[:-1], _rho(c), rtol=1e-10)
        if c == 2:
            assert_allclose(r, r[0], rtol=1e-12)                    # stays on the grey circle
        else:
            assert (r[-1] < 0.5 * r[0]) == (c < 2) and (r[-1] > 2 * r[0]) == (c > 2)
        sol = scipy.integrate.solve_ivp(lambda t, p: [-p[0] - c * p[1], -p[1] + c * p[0]], (0, 6),
                                        [1.5, 0.0], rtol=1e-10, atol=1e-12)
        assert_allclose(ns["cf_flow_c"](c)[-1], sol.y[:, -1], atol=1e-5)
        assert_allclose(np.linalg.norm(sol.y[:, -1]), 1.5 * math.exp(-6), rtol=1e-6)
    assert _rho(1.75) < 1 and _rho(2.0) == pytest.approx(1.0, abs=1e-14) and _rho(2.25) > 1
    assert_allclose([g["cf_rho_0"], g["cf_rho_2"], g["cf_rho_3"]], [_rho(0), _rho(2), _rho(3)], rtol=1e-12)
    assert_allclose(g["cf_flow_end"], 1.5 * math.exp(-6), rtol=1e-3)   # RK4, dt = 0.05
    assert_allclose(g["cf_iter_end_3"], 1.5 * _rho(3) ** 40, rtol=1e-9)


def test_slider_frames_show_the_paths_but_titles_do_not_say_the_verdict(run):
    s = run.sliders["draw_cf_mix"]
    for c in (0.0, 1.75, 2.0, 2.25, 3.0):
        fig = frame(s, c=c)
        text = " ".join(titles(fig))
        assert not VERDICTS.search(text), text
        assert f"c = {c:.2f}" in text
        it = run.ns["cf_iter_c"](c)
        line = fig.axes[1].lines[1]
        assert_allclose(np.column_stack([line.get_xdata(), line.get_ydata()]), it)
        alt = s.frame_alt({"c": c})
        assert f"c = {c:.2f}" in alt and f"{np.linalg.norm(it[-1]):.3g}" in alt


# ---------------------------------------------------------------- self-check


def test_self_check_answers_and_their_wrong_variants(run):
    ns = run.ns
    assert_allclose(ns["cf_q_circ"], 2 * math.pi, rtol=1e-9)
    x, y = sp.symbols("x y")
    f = x**2 * y + x + y**3
    assert ns["cf_q_f"] == pytest.approx(float(f.subs({x: 2, y: 1}) - f.subs({x: 0, y: 0})))
    assert ns["cf_q_f"] == 7.0
    assert_allclose(ns["cf_q_gda"], abs(np.linalg.eigvals([[1, -0.5], [0.5, 1]]))[0], rtol=1e-12)
    wrongs = {"cf_q_circ": (0.0, 4 * math.pi), "cf_q_f": (ns["cf_q_f_nog"], 12.0),
              "cf_q_gda": (1.0, 1.25)}
    for name, ws in wrongs.items():
        for w in ws:
            assert abs(w - ns[name]) > 1e-2 * abs(ns[name]), (name, w)
    quiz = ns["quiz_72"]
    qs = getattr(quiz, "questions", None)
    assert qs is not None and len(qs) == 3
    answers = [getattr(q, "answer", None) for q in qs]
    assert_allclose(answers, [ns["cf_q_circ"], ns["cf_q_f"], ns["cf_q_gda"]], rtol=1e-12)
    for q, name in zip(qs, wrongs):
        assert_allclose(sorted(float(w) for w, _ in q.wrong), sorted(wrongs[name]), rtol=1e-12)
