"""Section 9.3's facts (the divergence theorem), re-checked on the section's own code.

The chapter's code cells run once in one namespace (:func:`chapter_harness.run_chapter`).
Every claim is re-derived here from independent oracles: sympy for the cube's and the
ball's closed forms, ``scipy.integrate`` for the slider's flux and volume integral at its
grid values, the exact Gaussian density and ``solve_ivp`` for the continuity equation and
the instantaneous change of variables, and the variance formulas of Hutchinson's estimator
from the Jacobian written out again. No frame title prints the verdict. Re-pointing
CHAPTER at the merged chapter file is the only change needed once 9.3 is spliced.
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

CHAPTER = ROOT / "chapters" / "ch09-fundamental-theorems.md"
VERDICTS = re.compile(r"equal|same|agree|sink|source|zero|proportional|linear", re.I)
P0 = np.array([0.3, -0.2, 0.0])


@pytest.fixture(scope="module")
def run():
    return run_chapter(CHAPTER)


def test_glue_is_quoted_and_prefixed(run):
    assert_glue_is_quoted(run)
    quoted = set(re.findall(r"\{glue:text\}`(\w+)", section_text(run.text, "9.3")))
    assert quoted and all(n.startswith("dv_") for n in quoted), quoted
    glued_here = set(re.findall(r"glue\(\s*['\"](\w+)", section_text(run.text, "9.3")))
    assert glued_here and all(n.startswith("dv_") for n in glued_here), glued_here


def test_the_section_names_the_exercise_and_the_applications(run):
    text = section_text(run.text, "9.3")
    assert "`box_flux(F, box, n)`" in text and "`hutchinson_trace(matvec, dim, n_probes, rng)`" in text
    assert "../exercises/ch09/ch09.ipynb" in text and ":::{admonition} Exercise" in text
    assert "### Check your understanding: 9.3" in text and "section 9.2" in text
    assert r"\partial p/\partial t + \grad\cdot(p\,\vv v) = 0" in text
    assert r"\frac{d}{dt}\log p(\vv x(t), t) = -\grad\cdot\vv v(\vv x(t))" in text


def test_cube_and_ball_closed_forms(run):
    x, y, z, r, th, ph = sp.symbols("x y z r theta phi", real=True)
    F = sp.Matrix([x**3 + y, y**3 + z, z**3 + x])
    div = sum(sp.diff(F[i], v) for i, v in enumerate((x, y, z)))
    cube_div = sp.integrate(div, (x, 0, 1), (y, 0, 1), (z, 0, 1))
    faces = 0
    for k, v in enumerate((x, y, z)):
        others = [w for w in (x, y, z) if w != v]
        faces += sp.integrate(F[k].subs(v, 1) - F[k].subs(v, 0), (others[0], 0, 1), (others[1], 0, 1))
    assert cube_div == 3 and faces == 3
    sph = {x: sp.sin(th) * sp.cos(ph), y: sp.sin(th) * sp.sin(ph), z: sp.cos(th)}
    Fn = sum(F[i].subs(sph) * sph[v] for i, v in enumerate((x, y, z)))
    ball_flux = sp.integrate(sp.integrate(sp.expand(Fn * sp.sin(th)), (ph, 0, 2 * sp.pi)), (th, 0, sp.pi))
    ball_div = sp.integrate(3 * r**2 * r**2 * sp.sin(th), (r, 0, 1), (th, 0, sp.pi), (ph, 0, 2 * sp.pi))
    assert sp.simplify(ball_flux - sp.Rational(12, 5) * sp.pi) == 0
    assert sp.simplify(ball_div - sp.Rational(12, 5) * sp.pi) == 0
    g = run.glued
    assert_allclose([g["dv_cube_flux"], g["dv_cube_div"]], 3, rtol=1e-9)
    assert_allclose([g["dv_ball_flux"], g["dv_ball_div"]], 12 * math.pi / 5, rtol=1e-9)
    assert_allclose(run.ns["dv_sphere_flux"], 12 * math.pi / 5, rtol=1e-10)
    # the figure's face fluxes: 1/2 out at x = 1 ... written out: x = 1 gives 3/2, x = 0 gives -1/2
    assert_allclose(run.ns["dv_face_flux"], [-0.5, 1.5] * 3, atol=1e-3)


def _source_oracle(s):
    """Outward flux through [-1, 1]^3 (dblquad per face) and the volume integral (tplquad)."""
    def F(p):
        d = p - P0
        return np.array([0.8 - 0.5 * p[1], 0.5 * p[0], 0.0]) + s * d / (1 + d @ d)

    flux = 0.0
    for k in range(3):
        for side, sign in ((1.0, 1.0), (-1.0, -1.0)):
            def integrand(b, a, k=k, side=side):
                p = np.empty(3)
                p[k] = side
                p[[m for m in range(3) if m != k]] = a, b
                return F(p)[k]
            flux += sign * scipy.integrate.dblquad(integrand, -1, 1, -1, 1, epsabs=1e-11)[0]

    def div(zz, yy, xx):
        r2 = (xx - P0[0]) ** 2 + (yy - P0[1]) ** 2 + (zz - P0[2]) ** 2
        return s * (3 + r2) / (1 + r2) ** 2

    vol = scipy.integrate.tplquad(div, -1, 1, -1, 1, -1, 1, epsabs=1e-10)[0]
    return flux, vol


def test_slider_flux_equals_integrated_divergence_at_the_grid_values(run):
    s_grid = grid(run.sliders["draw_dv_source"], "s")
    assert 0.0 in s_grid and (s_grid < 0).sum() >= 2 and (s_grid > 0).sum() >= 2 and len(s_grid) <= 40
    flux1, vol1 = _source_oracle(1.0)
    assert_allclose(flux1, vol1, rtol=1e-8)
    assert flux1 > 1
    for s in s_grid:
        c = run.ns["dv_checks"][s]
        assert_allclose([c.boundary, c.region], s * flux1, atol=1e-6)   # linear in s
    for s in (-2.0, 0.0, 2.0):                                         # the answer's numbers
        flux, vol = _source_oracle(s)
        assert_allclose(flux, vol, atol=1e-8)
    g = run.glued
    assert_allclose([g["dv_flux_s2"], g["dv_flux_sm2"]], [2 * flux1, -2 * flux1], rtol=1e-7)
    assert g["dv_flux_s0"] < 1e-12 and g["dv_slider_err"] < 1e-6
    # the drift (0.8, ., 0) through the face x = -1 of area 4
    assert_allclose(g["dv_drift_in"], 0.8 * 4)


def test_slider_titles_do_not_state_the_verdict(run):
    s = run.sliders["draw_dv_source"]
    for val in (-2.0, 0.0, 2.0):
        text = " ".join(titles(frame(s, s=val)))
        assert not VERDICTS.search(text), text
        assert f"s = {val:+.1f}" in text
        assert f"{val:+.1f}" in s.alt(s=val)


def test_continuity_equation_and_instantaneous_change_of_variables(run):
    ns, g = run.ns, run.glued
    a, b = 0.25, 1.0
    A = np.array([[a, -b], [b, a]])
    mu0, S0 = np.array([1.0, 0.0]), np.array([[0.3, 0.1], [0.1, 0.2]])

    def expA(t):   # by a series, independent of the page's closed form
        M, term = np.eye(2), np.eye(2)
        for k in range(1, 40):
            term = term @ (A * t) / k
            M = M + term
        return M

    def logp(t, x):
        E = expA(t)
        m, S = E @ mu0, E @ S0 @ E.T
        d = x - m
        return -0.5 * d @ np.linalg.solve(S, d) - math.log(2 * math.pi * math.sqrt(np.linalg.det(S)))

    def P_Q(t):
        return scipy.integrate.dblquad(lambda y, x: math.exp(logp(t, np.array([x, y]))), 0, 1.5, 0, 1.5,
                                       epsabs=1e-12)[0]

    # d/dt P(Q) = - flux of p v out of Q, at t = 1
    h = 1e-3
    rate = (P_Q(1 + h) - P_Q(1 - h)) / (2 * h)
    edges = [(lambda u: (1.5, u), (1, 0)), (lambda u: (0.0, u), (-1, 0)),
             (lambda u: (u, 1.5), (0, 1)), (lambda u: (u, 0.0), (0, -1))]
    flux = sum(scipy.integrate.quad(lambda u: math.exp(logp(1.0, np.array(e(u)))) * (A @ np.array(e(u))) @ n,
                                    0, 1.5, epsabs=1e-12)[0] for e, n in edges)
    assert_allclose(rate, -flux, atol=1e-6)
    assert_allclose([g["dv_rate"], g["dv_flux_Q"]], -flux, atol=2e-5)
    assert_allclose(g["dv_total_2"], 1.0, atol=1e-8)
    # the figure: P(Q, t) rises then falls, and P(Q, 0) minus the integrated flux tracks it
    PQ = ns["dv_PQ"]
    assert_allclose(PQ[[0, 10, 20]], [P_Q(t) for t in (0.0, 1.0, 2.0)], atol=1e-5)
    assert PQ.argmax() not in (0, len(PQ) - 1)
    assert np.max(np.abs(ns["dv_from_flux"] - PQ)) < 5e-3
    # log p along a trajectory: exact density at t = 2 = log p0(x0) - 2 a t, and solve_ivp
    for x0 in ns["dv_x0s"]:
        sol = scipy.integrate.solve_ivp(lambda t, s: np.append(A @ s[:2], -np.trace(A)), (0, 2),
                                        np.append(x0, logp(0, x0)), rtol=1e-11, atol=1e-12)
        xT, lT = sol.y[:2, -1], sol.y[2, -1]
        assert_allclose(lT, logp(2.0, xT), atol=1e-8)
        assert_allclose(lT, logp(0, x0) - 2 * a * 2, atol=1e-8)
        assert_allclose(ns["dv_cnf"](x0), np.append(xT, lT), atol=1e-5)
    assert g["dv_cnf_err"] < 1e-5


def test_hutchinson_variance_laws(run):
    ns, g = run.ns, run.glued
    W, c, x = ns["dv_W"], ns["dv_c"], ns["dv_x"]
    J = np.diag(1 - np.tanh(W @ x + c) ** 2) @ W            # the Jacobian, formed
    eps = 1e-6
    Jfd = np.array([(np.tanh(W @ (x + eps * e) + c) - np.tanh(W @ (x - eps * e) + c)) / (2 * eps)
                    for e in np.eye(len(x))]).T
    assert_allclose(J, Jfd, atol=1e-8)
    assert_allclose(g["dv_trace"], np.trace(J), rtol=1e-12)
    Jh = (J + J.T) / 2
    rad = 2 * (np.sum(Jh**2) - np.sum(np.diag(Jh) ** 2))
    gau = 2 * np.sum(Jh**2)
    assert_allclose([g["dv_sig_rad"], g["dv_sig_gauss"]], [rad, gau], rtol=1e-10)
    assert rad < gau
    # the variances measured on the page follow sigma^2 / n (within sampling error), slope -1
    for dist, s2 in (("rademacher", rad), ("gaussian", gau)):
        ratio = ns["dv_var"][dist] * ns["dv_ns"] / s2
        assert np.all(np.abs(ratio - 1) < 0.35), ratio
        slope = np.polyfit(np.log(ns["dv_ns"]), np.log(ns["dv_var"][dist]), 1)[0]
        assert abs(slope + 1) < 0.1
        samples = ns["dv_samples"][dist]
        assert abs(samples.mean() - np.trace(J)) < 4 * math.sqrt(s2 / len(samples))
    assert np.all(ns["dv_var"]["rademacher"] < ns["dv_var"]["gaussian"])


def test_self_check(run):
    quiz = run.ns["quiz_93"]
    assert quiz.title == "Check your understanding: 9.3" and 2 <= len(quiz.questions) <= 4
    flux_q, mc, probes = quiz.questions
    flux1, _ = _source_oracle(1.0)
    assert abs(flux_q.answer - flux1) <= flux_q.tol
    assert "increases" in mc.options[mc.correct]
    rad = run.glued["dv_sig_rad"]
    assert probes.answer == math.ceil(rad / 0.25)
    assert (probes.answer - 1) / rad < 4 <= probes.answer / rad
