"""Section 6.2's facts (change of variables), re-checked on the section's own code.

The chapter's code cells run once in one namespace (:func:`chapter_harness.run_chapter`):
sliders and glued values are recorded. The slider's fact is checked at the grid values its
answer block names, no frame title prints the verdict, every number the prose quotes is
glued as a plain number, and each claim is re-derived here from independent oracles:
closed forms, ``scipy.integrate.quad`` and ``scipy.stats.multivariate_normal``, a shoelace
area computed from the map's formula written out again here.
"""

from __future__ import annotations

import inspect
import math
import re

import numpy as np
import pytest
import scipy.integrate
import scipy.stats
from numpy.testing import assert_allclose

import calclib as cl

from chapter_harness import assert_glue_is_quoted, frame, grid, run_chapter, section_text, titles
from conftest import ROOT

CHAPTER = ROOT / "chapters" / "ch06-multiple-integrals.md"
VERDICTS = re.compile(r"fold|flip|pinch|mirror|negative|zero|collaps|inside|orient|bow|swap",
                      re.I)


@pytest.fixture(scope="module")
def run():
    return run_chapter(CHAPTER)      # 6.2 has no cell that raises on purpose


def test_every_glued_name_is_glued_with_a_plain_number(run):
    assert_glue_is_quoted(run)
    cv = set(re.findall(r"\{glue:text\}`(\w+)", section_text(run.text, "6.2")))
    assert cv and all(n.startswith("cv_") for n in cv), cv      # no clash with 6.1's names


def test_the_section_has_its_slider_and_names_z_w(run):
    assert "draw_cv_map" in run.sliders
    text = section_text(run.text, "6.2")
    assert r"W = f(Z)" in text and r"p_W(\vv w) = p_Z\big(f^{-1}(\vv w)\big)" in text
    assert "`jacobian(F, x, h)`" in text and "`transformed_density(p_Z, f_inv, w, h)`" in text
    assert "Check your understanding: 6.2" in text
    assert r"\vv a\T\vv u \ge -1" in text                        # the invertibility condition
    assert "p_X" not in text and "p_Y" not in text


def test_transformed_density_speaks_of_Z_and_W():
    doc = inspect.getdoc(cl.integrate.transformed_density)
    assert r"p_W(w) = p_Z(f^{-1}(w))" in doc and "W = f(Z)" in doc
    assert "p_X" not in doc and "p_Y" not in doc
    assert list(inspect.signature(cl.integrate.transformed_density).parameters)[:2] == ["p_Z", "f_inv"]


# ---------------------------------------------------------------- |det J| is the local area scale


def test_small_squares_map_to_areas_det_J_h_squared(run):
    g = run.glued
    # oracle: for T = (u^2 - v^2, 2uv), det J = 4(u^2 + v^2) and the image of the square of
    # side h centred at (1, 0.5) has area  int 4(u^2 + v^2) = 5 h^2 + (2/3) h^4  (T is one-to-one there)
    assert_allclose(g["cv_det_square"], 5.0, rtol=1e-9)
    hs = run.ns["cv_hs"]
    exact = 1 + (2 / 3) * hs**2 / 5
    assert_allclose(run.ns["cv_ratios"], exact, rtol=1e-6)
    assert_allclose([g["cv_ratio_big"], g["cv_ratio_small"]], exact[[0, -1]], rtol=1e-6)
    assert abs(g["cv_ratio_small"] - 1) < 1e-4 < abs(g["cv_ratio_big"] - 1)
    assert_allclose(g["cv_ratio_drop"], 4.0, rtol=1e-3)          # error ~ h^2


# ---------------------------------------------------------------- polar coordinates


def test_the_gaussian_integral_is_pi(run):
    g = run.glued
    assert_allclose(g["cv_gauss_I"], math.pi, rtol=1e-8)
    assert g["cv_gauss_err"] == pytest.approx(abs(g["cv_gauss_I"] - math.pi)) and g["cv_gauss_err"] < 1e-8
    line = scipy.integrate.quad(lambda x: math.exp(-x * x), -np.inf, np.inf)[0]
    assert_allclose(g["cv_sqrt_I"], line, rtol=1e-8)
    assert_allclose(line, math.sqrt(math.pi), rtol=1e-12)
    # forgetting r: 2 pi int_0^inf e^{-r^2} dr = pi^{3/2}, a different number
    assert_allclose(g["cv_gauss_no_r"], math.pi**1.5, rtol=1e-8)
    assert abs(g["cv_gauss_no_r"] - math.pi) > 1


# ---------------------------------------------------------------- the slider


def _signed_ratios(k):
    """Signed area / h^2 of the images of the 8 x 8 cells, from the map's formula (oracle)."""
    e = np.linspace(-1, 1, 9)
    out = np.empty((8, 8))
    for i in range(8):
        for j in range(8):
            u = np.array([e[j], e[j + 1], e[j + 1], e[j]])
            v = np.array([e[i], e[i], e[i + 1], e[i + 1]])
            x, y = u + 0.5 * v + k * u * v, v
            out[i, j] = 0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y) / 0.25**2
    return out


def test_slider_cells_scale_by_det_J_and_flip_below_v_minus_one_over_k(run):
    s = run.sliders["draw_cv_map"]
    ks = grid(s, "k")
    assert ks[0] == 0 and ks[-1] == 2 and 1.0 in ks and 2.0 in ks and 0.875 in ks and 1.125 in ks
    centres = np.linspace(-0.875, 0.875, 8)
    for k in ks:
        r = _signed_ratios(k)
        assert_allclose(run.ns["cv_cell_ratios"](k), r, atol=1e-12)
        assert_allclose(r, np.broadcast_to((1 + k * centres)[:, None], (8, 8)), atol=1e-12)
        # det J = 1 + k v is smallest at the bottom edge: 1 - k
        vv = np.linspace(-1, 1, 2001)
        assert_allclose((1 + k * vv).min(), 1 - k, atol=1e-12)
        assert (r < 0).any() == (1 + k * centres[0] < 0)
    # k = 1: the bottom edge v = -1 collapses to one point; below k = 1 it does not
    u = np.linspace(-1, 1, 7)
    assert np.ptp(u - 0.5 + 1.0 * u * -1) == 0 and np.ptp(u - 0.5 + 0.875 * u * -1) > 0.2
    # k = 2: the two bottom rows are mirrored, the rest are not (the answer's claim)
    r2 = _signed_ratios(2.0)
    assert (r2[:2] < 0).all() and (r2[2:] > 0).all()
    assert_allclose(run.glued["cv_bottom_k2"], r2[0, 0], atol=1e-12)
    # area of the bow tie {|x - y/2| <= |1 + 2y|, |y| <= 1} against the signed sum
    area = scipy.integrate.quad(lambda y: 2 * abs(1 + 2 * y), -1, 1, points=[-0.5])[0]
    assert_allclose(run.glued["cv_area_abs_k2"], area, rtol=1e-9)
    assert_allclose(area, 5.0, rtol=1e-12)
    assert_allclose(run.glued["cv_area_signed_k2"], scipy.integrate.quad(lambda y: 2 * (1 + 2 * y), -1, 1)[0],
                    rtol=1e-12)


def test_slider_frames_show_the_flip_but_the_titles_do_not_say_it(run):
    s = run.sliders["draw_cv_map"]
    for k in (0.0, 0.875, 1.0, 1.125, 2.0):
        fig = frame(s, k=k)
        text = " ".join(titles(fig))
        assert not VERDICTS.search(text), text
        assert f"k = {k:.3g}" in text
        ax = fig.axes[1]
        # the 64 image cells in order (rows from the bottom): red for negative area
        faces = ax.collections[0].get_facecolor().reshape(8, 8, 4)
        red = faces[..., 0] > faces[..., 2]
        assert_allclose(red, _signed_ratios(k) < -1e-12)
        # the dots at the left and right ends of the bottom row swap sides when det J < 0 there
        (xl,), (xr,) = (ln.get_xdata() for ln in ax.lines[:2])
        assert (xl > xr) == (1 - 0.875 * k < 0), (k, xl, xr)


# ---------------------------------------------------------------- densities


def test_affine_flow_is_the_gaussian_N_b_AAT(run):
    ns = run.ns
    A, b = ns["cv_A"], ns["cv_b"]
    assert_allclose(run.glued["cv_detA"], np.linalg.det(A), rtol=1e-12)
    assert run.glued["cv_detA"] < 0
    oracle = scipy.stats.multivariate_normal(b, A @ A.T)
    pts = np.random.default_rng(11).normal(size=(300, 2)) * 2.5 + b
    assert_allclose(ns["cv_p_W"](pts[:, 0], pts[:, 1]), oracle.pdf(pts), rtol=1e-8)
    assert run.glued["cv_affine_err"] < 1e-8


def test_only_the_right_density_integrates_to_one(run):
    g = run.glued
    d = np.linalg.det(run.ns["cv_A"])
    # closed forms: int p_Z(f^-1(w)) dw = |det A|, so the factors give 1, |det A|, det A^2, sign
    assert_allclose(g["cv_total_right"], 1.0, rtol=1e-9)
    assert_allclose(g["cv_total_nojac"], abs(d), rtol=1e-9)
    assert_allclose(g["cv_total_detf"], d**2, rtol=1e-9)
    assert_allclose(g["cv_total_noabs"], np.sign(d), rtol=1e-9)
    for key in ("nojac", "detf", "noabs"):
        assert abs(g[f"cv_total_{key}"] - 1) > 0.5, key
    # the variants in the namespace are what the totals say (a Monte Carlo oracle for one)
    ns = run.ns
    z = np.random.default_rng(3).normal(size=(4000, 2))
    w = z @ ns["cv_A"].T + ns["cv_b"]
    right = next(p for name, p in ns["cv_variants"].items() if "(right)" in name)
    assert_allclose(right(w[:, 0], w[:, 1]),
                    scipy.stats.multivariate_normal(ns["cv_b"], ns["cv_A"] @ ns["cv_A"].T).pdf(w), rtol=1e-10)


def test_planar_flow_density_integrates_to_one(run):
    ns, g = run.ns, run.glued
    u, a, b = ns["cv_u"], ns["cv_a"], ns["cv_bias"]
    assert a @ u >= -1 and g["cv_au"] == pytest.approx(a @ u)
    assert_allclose(g["cv_planar_total"], 1.0, atol=1e-6)
    # pointwise oracle: p_W(f(z)) det(I + u psi^T) = p_Z(z), psi = (1 - tanh^2) a, by numpy det
    z = np.random.default_rng(5).normal(size=(50, 2)) * 1.5
    t = np.tanh(z @ a + b)
    w = z + np.outer(t, u)
    dets = np.array([np.linalg.det(np.eye(2) + np.outer(u, (1 - ti**2) * a)) for ti in t])
    assert_allclose(ns["cv_p_planar"](w[:, 0], w[:, 1]) * dets,
                    scipy.stats.multivariate_normal(np.zeros(2), np.eye(2)).pdf(z), rtol=1e-8)
    assert_allclose(g["cv_det_f_max"], 1 + a @ u, rtol=1e-6)     # near the line, tanh = 0
    # the samples agree with the density within 4 standard errors
    assert abs(g["cv_frac"] - g["cv_prob"]) < 4 * g["cv_frac_se"]
    assert g["cv_pointwise_err"] < 1e-7


def test_self_check_answers_and_their_wrong_variants(run):
    ns = run.ns
    assert_allclose(ns["cv_q_disk"], math.pi / 2, rtol=1e-9)           # int r^2 r dr dtheta
    assert_allclose(ns["cv_q_disk_no_r"], 2 * math.pi / 3, rtol=1e-9)  # r missing
    assert_allclose(ns["cv_q_pW"], 1 / (10 * math.pi), rtol=1e-12)     # p_Z(0) / |det A|
    assert ns["cv_q_det"] == pytest.approx(-5.0)
    for wrong in (ns["cv_q_disk_no_r"], math.pi):
        assert abs(wrong - ns["cv_q_disk"]) > 1e-3 * ns["cv_q_disk"]
