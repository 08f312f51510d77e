"""Chapter 2's facts, re-checked on the chapter's own code (no book build needed).

The chapter's code cells are run here, in order, in one namespace (the cell that raises on
purpose is skipped; ``cl.slider`` is recorded instead of displayed, ``glue`` is recorded).
Then every slider is checked: the fact its caption asks for is visible across the
slider's grid, at the grid point its answer block names, and no frame title prints a
verdict. The regression guards that used to crowd the visible cells live here too, or in
the chapter's ``remove-cell`` cells, which run at build time.
"""

from __future__ import annotations

import re

import matplotlib
import numpy as np
import pytest

import calclib

from chapter_harness import frame, frame_alts, grid, number_after, run_chapter
from conftest import ROOT

matplotlib.use("Agg")

CHAPTER = ROOT / "chapters" / "ch02-vectors.md"
#: words that would give a slider's answer away in a frame title
VERDICTS = re.compile(r"max|min|orthogonal|eigen|diverge|converge|agree|best|zero|peak",
                      re.I)


@pytest.fixture(scope="module")
def chapter():
    """The namespace after running the chapter; sliders and glued values recorded."""
    run = run_chapter(CHAPTER)
    assert all(isinstance(e, ValueError) for e in run.raised), run.raised
    ns = run.ns
    ns["_sliders"] = run.sliders
    ns["_glued"] = run.glued
    return ns


_grid = grid
_frame = frame


def _dots(ax):
    """The y values of the single-point 'o' markers of an axes (the current values)."""
    return [line.get_ydata()[0] for line in ax.lines
            if line.get_marker() == "o" and len(line.get_ydata()) == 1]


def test_prose_glue_names_are_all_defined(chapter):
    text = CHAPTER.read_text(encoding="utf-8")
    used = set(re.findall(r"\{glue:text\}`(\w+)", text))
    assert used, "the chapter quotes no computed number"
    assert used <= set(chapter["_glued"]), used - set(chapter["_glued"])
    # plain Python numbers: NumPy 2 scalars reach the text as 'np.float64(…)', which
    # {glue:text} cannot format (a build warning)
    numpy_scalars = {k: type(v) for k, v in chapter["_glued"].items()
                     if type(v) not in (int, float)}
    assert not numpy_scalars, f"glue float(...) or int(...), not {numpy_scalars}"


def test_the_chapter_has_three_sliders(chapter):
    assert set(chapter["_sliders"]) == {"draw_norms", "draw_dot", "draw_pca"}


# -- 2.1: magnitude and direction ------------------------------------------------------

def test_norms_slider_shows_where_the_norms_agree_and_differ(chapter):
    s = chapter["_sliders"]["draw_norms"]
    rs, thetas = _grid(s, "r"), _grid(s, "theta")
    for needed in (0, 45, 90, 135, 180):
        assert needed in thetas, f"the θ grid misses {needed}°"
    assert 1.0 in rs and 2.0 in rs, "the r grid cannot show doubling"
    dots = {}
    for r in rs:
        for t in thetas:
            fig = _frame(s, r=r, theta=t)
            l1, l2, linf = _dots(fig.axes[1])
            dots[r, t] = (l1, l2, linf)
            for ax in fig.axes:
                assert not VERDICTS.search(ax.get_title()), ax.get_title()
    for r in rs:
        row = np.array([dots[r, t] for t in thetas])
        np.testing.assert_allclose(row[:, 1], r, rtol=1e-12)        # L2 does not move
        gap = row[:, 0] - row[:, 2]
        agree = thetas[np.isclose(gap, 0, atol=1e-12)]
        assert set(agree) == {0, 90, 180}, agree                  # on the axes
        widest = thetas[np.isclose(gap, gap.max(), rtol=1e-12)]
        assert set(widest) == {45, 135}, widest                   # on the diagonals
        np.testing.assert_allclose(row[thetas == 45][0, [0, 2]],
                                   [np.sqrt(2) * r, r / np.sqrt(2)], rtol=1e-12)
    for t in thetas:                                               # doubling r
        np.testing.assert_allclose(dots[2.0, t], 2 * np.array(dots[1.0, t]), rtol=1e-12)


def test_norm_facts_of_2_1(chapter):
    v = np.array([3.0, -4.0])
    assert [calclib.norm(v, 1), calclib.norm(v), calclib.norm(v, np.inf)] == [7, 5, 4]
    assert chapter["nearest_raw"] == "D" and chapter["nearest_scaled"] == "C"
    assert round(chapter["_glued"]["ch02_sd_area"]) == 36


# -- 2.2: the angle between two vectors -------------------------------------------------

def test_dot_slider_shows_the_sign_change_at_90_degrees(chapter):
    s = chapter["_sliders"]["draw_dot"]
    thetas = _grid(s, "theta")
    for needed in (0, 90, 180):
        assert needed in thetas, f"the θ grid misses {needed}°"
    cosines = []
    for t in thetas:
        fig = _frame(s, theta=t)
        (cos,) = _dots(fig.axes[1])
        cosines.append(cos)
        for ax in fig.axes:
            assert not VERDICTS.search(ax.get_title()), ax.get_title()
    cosines = np.array(cosines)
    assert np.all(cosines[thetas < 90] > 0) and np.all(cosines[thetas > 90] < 0)
    assert abs(cosines[thetas == 90][0]) < 1e-12
    # the dot product a.b has the same sign and is most negative at 180°
    b, length = chapter["B_FIXED"], chapter["A_LENGTH"]
    dots = [length * calclib.norm(b) * c for c in cosines]
    assert thetas[int(np.argmin(dots))] == 180
    np.testing.assert_allclose(min(dots), chapter["_glued"]["ch02_dot_min"], rtol=1e-12)
    # the projection vanishes exactly at 90°
    phi = np.radians(20 + 90)
    a = length * np.array([np.cos(phi), np.sin(phi)])
    assert calclib.norm(calclib.project(a, b)) < 1e-12


def test_retrieval_stop_words(chapter):
    g = chapter["_glued"]
    assert g["ch02_n_docs"] == 16 and g["ch02_n_topics"] == 4
    # dropped: almost every cross-topic pair scores exactly 0; kept: few do
    assert g["ch02_zero_dropped"] >= 0.9 * g["ch02_n_cross"]
    assert g["ch02_zero_kept"] < g["ch02_zero_dropped"] / 2
    assert g["ch02_mean_cross_kept"] > 10 * g["ch02_mean_cross_dropped"]
    assert g["ch02_mean_cross_kept"] > g["ch02_mean_same_dropped"]
    assert g["ch02_share_stop"] > 0.9 and g["ch02_share_the"] > 0.5
    topics, sims = chapter["topics"], chapter["sims"]
    assert topics[int(np.argmax(sims))] == "astronomy"
    assert g["ch02_n_shared"] == 3


def test_signed_margins(chapter):
    g = chapter["_glued"]
    X, y = chapter["X_train"], chapter["y_train"]
    w, b = chapter["w"], chapter["b0"]
    margins = (2 * y - 1) * (X @ w + b) / np.linalg.norm(w)
    np.testing.assert_allclose(margins.min(), g["ch02_min_margin"], rtol=1e-12)
    assert np.sum(margins < 0) == g["ch02_n_wrong"] == round(60 * (1 - g["ch02_accuracy"]))
    assert g["ch02_d_new"] < 0


# -- 2.3: PCA ----------------------------------------------------------------------------

def test_pca_slider_peaks_exactly_at_the_top_eigenvector(chapter):
    s = chapter["_sliders"]["draw_pca"]
    phis = _grid(s, "phi")
    cloud = chapter["cloud"]
    eigvals, eigvecs = np.linalg.eigh(np.cov(cloud.T, bias=True))
    phi_top = np.degrees(np.arctan2(eigvecs[1, -1], eigvecs[0, -1])) % 180
    assert np.any(phis == chapter["PHI_TOP"]), "the grid misses the top eigenvector"
    np.testing.assert_allclose(chapter["PHI_TOP"], phi_top, atol=1e-9)
    variances = []
    for phi in phis:
        fig = _frame(s, phi=phi)
        (var,) = _dots(fig.axes[1])
        variances.append(var)
        for ax in fig.axes:
            assert not VERDICTS.search(ax.get_title()), ax.get_title()
            assert ax.get_legend() is None, "a legend would name the answer"
    variances = np.array(variances)
    k_max, k_min = int(np.argmax(variances)), int(np.argmin(variances))
    assert phis[k_max] == chapter["PHI_TOP"]
    np.testing.assert_allclose(variances[k_max], eigvals[-1], rtol=1e-12)
    np.testing.assert_allclose(phis[k_min], (phi_top + 90) % 180, atol=1e-9)
    np.testing.assert_allclose(variances[k_min], eigvals[0], rtol=1e-12)
    others = np.delete(variances, [k_max, k_min])       # "strictly between"
    assert np.all((others < variances[k_max]) & (others > variances[k_min]))
    g = chapter["_glued"]
    np.testing.assert_allclose([g["ch02_phi_top"], g["ch02_lam_1"], g["ch02_lam_2"]],
                               [phi_top, eigvals[-1], eigvals[0]], rtol=1e-12)
    assert round(g["ch02_phi_top"], 1) == 28.4


def test_pca_people_numbers(chapter):
    g = chapter["_glued"]
    variances = chapter["variances"]
    np.testing.assert_allclose(g["ch02_mse"], variances[2], rtol=1e-10)
    np.testing.assert_allclose(g["ch02_ratio_2"], variances[:2].sum() / variances.sum())
    assert g["ch02_raw_weight"] > 0.999


# -- every slider: alt text that says what each frame shows ------------------------------

def test_every_slider_describes_each_frame_in_its_alt_text(chapter):
    sliders = chapter["_sliders"]
    alts = {name: frame_alts(s) for name, s in sliders.items()}
    # the numbers in the text are the figure's, recomputed here with plain NumPy
    for r, theta in ((2.0, 45), (3.0, 30), (1.0, 90)):
        text = alts["draw_norms"][r, theta]
        v = r * np.array([np.cos(np.radians(theta)), np.sin(np.radians(theta))])
        assert number_after(text, "L1 =") == pytest.approx(np.abs(v).sum(), abs=0.006)
        assert number_after(text, "L∞ =") == pytest.approx(np.abs(v).max(), abs=0.006)
        assert number_after(text, "L2 =") == pytest.approx(r, abs=0.006)
    assert "one height" in alts["draw_norms"][1.0, 90]
    b_len = np.linalg.norm(chapter["B_FIXED"])
    for theta in (120.0, 135.0, 180.0):
        text = alts["draw_dot"][(theta,)]
        expected = chapter["A_LENGTH"] * b_len * np.cos(np.radians(theta))
        assert number_after(text, "a·b =") == pytest.approx(expected, abs=0.006)
        assert number_after(text, "cos θ =") == pytest.approx(np.cos(np.radians(theta)),
                                                              abs=0.006)
        assert "negative: the angle is more than 90°" in text
    assert "positive" in alts["draw_dot"][(45.0,)] and "shrunk" in alts["draw_dot"][(90.0,)]
    cloud = chapter["cloud"]
    eigvals, eigvecs = np.linalg.eigh(np.cov(cloud.T, bias=True))
    phi_top = np.degrees(np.arctan2(eigvecs[1, -1], eigvecs[0, -1])) % 180
    for phi in (0.0, 90.0, chapter["PHI_TOP"]):
        u = np.array([np.cos(np.radians(phi)), np.sin(np.radians(phi))])
        text = alts["draw_pca"][(phi,)]
        assert number_after(text, "the dot at") == pytest.approx(np.var(cloud @ u), abs=6e-4)
    tops = [phi for (phi,), text in alts["draw_pca"].items() if "top of the curve" in text]
    assert len(tops) == 1 and tops[0] == pytest.approx(phi_top, abs=1e-9)
