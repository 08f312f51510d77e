"""Section 9.2's facts (Stokes' theorem), re-checked on the section's own code.

The chapter's code cells run once in one namespace (:func:`chapter_harness.run_chapter`).
Every claim is re-derived here from independent oracles: the curls from ``sympy``, the
circulations and fluxes from ``scipy.integrate`` on the surfaces written out again (points
and normals S_u x S_v derived by sympy), the slider's fact at every grid value (including
the flat disc h = 0 and the bowls h < 0), and the tiny GAN's field, its curl and its
gradient descent-ascent path written out again with numpy. Re-pointing CHAPTER at the
merged chapter file is the only change needed once 9.2 is spliced into chapter 9.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import scipy.integrate
import sympy as sp
from numpy.testing import assert_allclose

from chapter_harness import assert_glue_is_quoted, frame, grid, run_chapter, section_names, section_text, titles
from conftest import ROOT

CHAPTER = ROOT / "chapters" / "ch09-fundamental-theorems.md"
VERDICTS = re.compile(r"equal|same|constant|fixed|stays|change|depend|green|2\s*pi|2π|theorem", re.I)
TWO_PI = 2 * math.pi


@pytest.fixture(scope="module")
def run():
    return run_chapter(CHAPTER)      # 9.2 has no cell that raises on purpose


# ---------------------------------------------------------------- oracles written out again

x, y, z, u, v, h_ = sp.symbols("x y z u v h", real=True)
F_SYM = sp.Matrix([z - y, x + z, x * y + z])


def sym_curl(F):
    P, Q, R = F
    return sp.Matrix([sp.diff(R, y) - sp.diff(Q, z), sp.diff(P, z) - sp.diff(R, x),
                      sp.diff(Q, x) - sp.diff(P, y)])


def sym_flux_integrand(G, S):
    """G(S(u, v)) . (S_u x S_v) as a sympy expression in u, v."""
    N = S.diff(u).cross(S.diff(v))
    return sp.simplify((G.subs({x: S[0], y: S[1], z: S[2]}, simultaneous=True).T * N)[0])


HEMI = sp.Matrix([sp.sin(u) * sp.cos(v), sp.sin(u) * sp.sin(v), sp.cos(u)])
SPHERE_LIM = (0, math.pi)


def cap_sym(h):
    return sp.Matrix([u * sp.cos(v), u * sp.sin(v), h * (1 - u**2)])


def dblquad(expr, u_lim, v_lim):
    f = sp.lambdify((u, v), expr, "math")
    return scipy.integrate.dblquad(lambda vv, uu: f(uu, vv), u_lim[0], u_lim[1], v_lim[0], v_lim[1],
                                   epsabs=1e-12, epsrel=1e-12)[0]


def circulation_oracle(F, r, dr, a=0.0, b=TWO_PI):
    return scipy.integrate.quad(lambda t: F(r(t)) @ dr(t), a, b, epsabs=1e-13, epsrel=1e-13, limit=200)[0]


def F_num(p):
    X, Y, Z = p
    return np.array([Z - Y, X + Z, X * Y + Z])


def circle(t):
    return np.array([math.cos(t), math.sin(t), 0.0])


def dcircle(t):
    return np.array([-math.sin(t), math.cos(t), 0.0])


# ---------------------------------------------------------------- names, glue, text


def test_glue_is_quoted_and_every_name_of_the_section_is_prefixed(run):
    assert_glue_is_quoted(run)
    text = section_text(run.text, "9.2")
    quoted = set(re.findall(r"\{glue:text\}`(\w+)", text))
    assert quoted and all(n.startswith("st_") for n in quoted), quoted
    names = section_names(text)
    names.discard("_")
    assert names, "found no code in the section"
    bad = {n for n in names if not (n.startswith(("st_", "draw_st_")) or n == "quiz_92")}
    assert not bad, bad


def test_the_section_defines_flux_states_the_rule_and_names_the_exercise(run):
    text = section_text(run.text, "9.2")
    assert r"\vv S_u\times\vv S_v" in text and r"\iint_S \vv G\cdot d\vv S" in text   # flux defined
    assert "right-hand rule" in text and "on your\nleft" in text.replace("on your left", "on your\nleft")
    assert "`surface_flux(G, S, S_u, S_v, u_lim, v_lim, n)`" in text
    assert "../exercises/ch09/ch09.ipynb" in text and ":::{admonition} Exercise" in text
    assert "### Check your understanding: 9.2" in text
    assert "fig-stokes-orientation" in text


# ---------------------------------------------------------------- flux and Stokes


def test_the_known_fluxes(run):
    g = run.glued
    sphere = dblquad(sym_flux_integrand(sp.Matrix([x, y, z]), HEMI), SPHERE_LIM, (0, TWO_PI))
    assert_allclose(sphere, 4 * math.pi, rtol=1e-10)
    shadow = dblquad(sym_flux_integrand(sp.Matrix([0, 0, 1]), cap_sym(1)), (0, 1), (0, TWO_PI))
    assert_allclose(shadow, math.pi, rtol=1e-10)
    assert_allclose([g["st_sphere_flux"], g["st_shadow_flux"]], [sphere, shadow], rtol=1e-10)


def test_both_sides_of_stokes_on_the_hemisphere_and_the_cap(run):
    ns, g = run.ns, run.glued
    curl = sym_curl(F_SYM)
    assert list(curl) == [x - 1, 1 - y, 2]
    pt = np.array([0.3, -0.7, 0.5])
    assert_allclose(ns["st_curl_F"](pt), [float(c.subs({x: 0.3, y: -0.7, z: 0.5})) for c in curl])
    circ = circulation_oracle(F_num, circle, dcircle)
    assert_allclose(circ, TWO_PI, rtol=1e-12)
    hemi = dblquad(sym_flux_integrand(curl, HEMI), (0, math.pi / 2), (0, TWO_PI))
    cap = dblquad(sym_flux_integrand(curl, cap_sym(1)), (0, 1), (0, TWO_PI))
    assert_allclose([hemi, cap], TWO_PI, rtol=1e-10)
    assert_allclose([g["st_circ"], g["st_hemi_flux"], g["st_cap_flux"]], [circ, hemi, cap], rtol=1e-10)
    # the test can fail: the flux of F itself through the cap is not the circulation
    assert abs(dblquad(sym_flux_integrand(F_SYM, cap_sym(1)), (0, 1), (0, TWO_PI)) - circ) > 1


def test_the_normals_of_the_page_are_the_cross_products(run):
    ns = run.ns
    for uu, vv in ((0.3, 1.1), (1.2, 4.0)):
        N = HEMI.diff(u).cross(HEMI.diff(v)).subs({u: uu, v: vv})
        assert_allclose(ns["st_sphere_normal"](uu, vv), np.array(N, float).ravel(), atol=1e-14)
        for h in (-1.5, 0.0, 2.0):
            S = cap_sym(h)
            N = S.diff(u).cross(S.diff(v)).subs({u: uu / 2, v: vv})
            assert_allclose(ns["st_cap_normal"](h)(uu / 2, vv), np.array(N, float).ravel(), atol=1e-14)
            assert_allclose(ns["st_cap"](h)(uu / 2, vv), np.array(S.subs({u: uu / 2, v: vv}), float).ravel())


def test_orientation_flipping_one_side_flips_its_sign(run):
    g = run.glued
    curl = sym_curl(F_SYM)
    swapped = HEMI.subs({u: v, v: u}, simultaneous=True)       # parameters (phi, theta)
    inward = dblquad(sym_flux_integrand(curl, swapped), (0, TWO_PI), (0, math.pi / 2))
    assert_allclose(inward, -TWO_PI, rtol=1e-10)
    cw = circulation_oracle(F_num, lambda t: circle(-t), lambda t: -dcircle(-t))
    assert_allclose(cw, -TWO_PI, rtol=1e-12)
    assert_allclose(g["st_flip_normal"], inward, atol=1e-6)
    assert_allclose(g["st_flip_boundary"], cw, atol=1e-12)


# ---------------------------------------------------------------- the slider


def test_slider_grid_has_the_disc_and_bowls_and_the_curl_flux_never_moves(run):
    s = run.sliders["draw_st_cap"]
    hs = grid(s, "h")
    assert 0.0 in hs and (hs < 0).sum() >= 2 and (hs > 0).sum() >= 2 and len(hs) <= 40
    curl = sym_curl(F_SYM)
    circ = circulation_oracle(F_num, circle, dcircle)
    ns, g = run.ns, run.glued
    F_flux_sym = sp.integrate(sym_flux_integrand(F_SYM, cap_sym(h_)), (v, 0, 2 * sp.pi), (u, 0, 1))
    assert sp.simplify(F_flux_sym - sp.pi * h_ / 2) == 0
    for h in hs:
        curl_flux = dblquad(sym_flux_integrand(curl, cap_sym(h)), (0, 1), (0, TWO_PI))
        assert_allclose(curl_flux, circ, rtol=1e-10)
        assert_allclose(ns["st_curl_flux"][h], curl_flux, atol=1e-9)
        F_flux = dblquad(sym_flux_integrand(F_SYM, cap_sym(h)), (0, 1), (0, TWO_PI))
        assert_allclose(F_flux, math.pi * h / 2, atol=1e-10)
        assert_allclose(ns["st_F_flux"][h], F_flux, atol=1e-9)
    assert g["st_slider_err"] < 1e-9
    assert_allclose([g["st_F_flux_m15"], g["st_F_flux_0"], g["st_F_flux_2"]],
                    [-0.75 * math.pi, 0.0, math.pi], atol=1e-9)
    # at h = 0 Stokes is Green: the z component of the curl is dN/dx - dM/dy of (M, N) = (-y, x)
    M, N = F_SYM[0].subs(z, 0), F_SYM[1].subs(z, 0)
    assert sp.diff(N, x) - sp.diff(M, y) == curl[2]


def test_slider_frames_show_the_numbers_but_the_titles_do_not_judge(run):
    s = run.sliders["draw_st_cap"]
    for h in (-1.5, 0.0, 2.0):
        fig = frame(s, h=h)
        text = " ".join(titles(fig))
        assert not VERDICTS.search(text), text
        assert f"h = {h:+.2f}" in text
        bars = [p.get_width() for p in fig.axes[1].patches]
        assert_allclose(sorted(bars), sorted([TWO_PI, TWO_PI, math.pi * h / 2]), atol=1e-9)
        alt = s.alt(h=h)
        assert f"{h:+.2f}" in alt and f"{math.pi * h / 2:+.4f}" in alt.replace("-0.0000", "+0.0000")


# ---------------------------------------------------------------- the GAN


def _gan():
    rng = np.random.default_rng(0)
    xd, zn = rng.normal(1.0, 1.0, 200), rng.normal(0.0, 1.0, 200)
    sig = lambda t: 1 / (1 + np.exp(-t))          # noqa: E731

    def V(p):
        th, a, b = p
        return np.mean(np.log(sig(a * xd + b))) + np.mean(np.log(1 - sig(a * (zn + th) + b)))

    def field(p):
        th, a, b = p
        g = zn + th
        sd, sg = sig(a * xd + b), sig(a * g + b)
        return np.array([a * np.mean(sg), np.mean((1 - sd) * xd) - np.mean(sg * g),
                         np.mean(1 - sd) - np.mean(sg)])

    def curl(p):                                  # (0, -2 V_theta_b, 2 V_theta_a), by hand
        th, a, b = p
        g = zn + th
        sg = sig(a * g + b)
        ds = sg * (1 - sg)
        V_ta = -np.mean(sg) - a * np.mean(ds * g)
        V_tb = -a * np.mean(ds)
        return np.array([0.0, -2 * V_tb, 2 * V_ta])

    return xd, zn, V, field, curl


def test_gan_field_is_the_simultaneous_gda_field_and_stokes_holds(run):
    ns, g = run.ns, run.glued
    xd, zn, V, field, curl = _gan()
    eq = np.array([xd.mean() - zn.mean(), 0.0, 0.0])
    assert_allclose(ns["st_eq"], eq, atol=1e-15)
    rng = np.random.default_rng(1)
    for p in eq + rng.normal(0, 0.5, (4, 3)):
        e = 1e-6
        grad = np.array([(V(p + e * d) - V(p - e * d)) / (2 * e) for d in np.eye(3)])
        assert_allclose(field(p), [-grad[0], grad[1], grad[2]], atol=1e-7)
        assert_allclose(ns["st_v"](p), field(p), atol=1e-14)
    assert_allclose(field(eq), 0, atol=1e-12)
    assert_allclose(curl(eq), [0, 0, -1], atol=1e-12)
    assert_allclose(g["st_curl_eq"], -1, atol=1e-6)
    R = 0.5
    loop = circulation_oracle(field, lambda t: eq + R * np.array([math.cos(t), math.sin(t), 0]),
                              lambda t: R * np.array([-math.sin(t), math.cos(t), 0]))
    disc = scipy.integrate.dblquad(lambda phi, r: curl(eq + [r * math.cos(phi), r * math.sin(phi), 0])[2] * r,
                                   0, R, 0, TWO_PI, epsabs=1e-11)[0]
    assert_allclose(loop, disc, atol=1e-9)
    assert_allclose(loop, -math.pi * R**2, atol=1e-9)
    assert_allclose([g["st_loop_work"], g["st_gan_disc"], g["st_gan_hemi"]], loop, atol=1e-8)


def test_gan_path_turns_and_spirals_in(run):
    ns, g = run.ns, run.glued
    xd, zn, V, field, curl = _gan()
    eq = np.array([xd.mean() - zn.mean(), 0.0, 0.0])
    path = [eq + np.array([0.5, 0, 0])]
    for _ in range(300):
        path.append(path[-1] + 0.1 * field(path[-1]))
    path = np.array(path)
    assert_allclose(ns["st_path"], path, atol=1e-12)
    dist = np.linalg.norm(path - eq, axis=1)
    assert_allclose(g["st_dist_end"], dist[-1], rtol=1e-10)
    changes = int(np.sum(np.diff(np.sign(path[1:, 1])) != 0))
    assert changes >= 2 and g["st_turns"] == changes
    # the linearization is a damped rotation: complex eigenvalues with negative real part
    J = np.array([(field(eq + 1e-6 * d) - field(eq - 1e-6 * d)) / 2e-6 for d in np.eye(3)]).T
    ev = np.linalg.eigvals(J)
    assert (ev.real < 0).all() and (abs(ev.imag) > 0.1).any()
    # clockwise in the (theta, a) plane: the first move from (theta* + 0.5, 0) goes to a < 0
    assert path[1, 1] < 0


# ---------------------------------------------------------------- the self-check


def test_self_check_answers_and_their_wrong_variants(run):
    quiz = run.ns["quiz_92"]
    assert quiz.title == "Check your understanding: 9.2" and 2 <= len(quiz.questions) <= 4
    cap_q, mc, loop_q = quiz.questions
    assert abs(cap_q.answer - TWO_PI) <= cap_q.tol
    wrong = [w for w, _ in cap_q.wrong]
    assert any(abs(w + TWO_PI) < 1e-9 for w in wrong) and any(abs(w + math.pi / 2) < 1e-9 for w in wrong)
    assert mc.options[mc.correct] == "Clockwise" and len(mc.why) == len(mc.options) and mc.why[0] and mc.why[2]
    assert abs(loop_q.answer + math.pi * 0.01) <= loop_q.tol
    for q in (cap_q, loop_q):
        for w, _ in q.wrong:
            assert abs(w - q.answer) > 10 * q.tol
