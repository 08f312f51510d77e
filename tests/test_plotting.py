"""The shared drawing helpers draw what they claim, on the Figure they are given."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure
from numpy.testing import assert_allclose

from calclib import plotting


def _bowl(X, Y):
    return X ** 2 + 3 * Y ** 2


def test_contour_gradient_arrows_are_the_gradient_and_perpendicular_to_level_sets():
    fig = Figure()
    ax = fig.subplots()
    plotting.contour_gradient(ax, _bowl, (-1, 1), (-1, 1), arrows=5)
    q = [c for c in ax.collections if isinstance(c, matplotlib.quiver.Quiver)][0]
    X, Y = q.X, q.Y
    assert_allclose(q.U, 2 * X, atol=1e-8)       # ∂f/∂x
    assert_allclose(q.V, 6 * Y, atol=1e-8)       # ∂f/∂y
    # tangent of the level set x^2 + 3y^2 = c at (x, y) is (-6y, 2x): orthogonal to ∇f
    assert_allclose(q.U * (-6 * Y) + q.V * (2 * X), 0, atol=1e-7)


def test_contour_gradient_descent_flips_the_arrows():
    fig = Figure()
    ax = fig.subplots()
    plotting.contour_gradient(ax, _bowl, (-1, 1), (-1, 1), arrows=4, descent=True)
    q = [c for c in ax.collections if isinstance(c, matplotlib.quiver.Quiver)][0]
    assert_allclose(q.U, -2 * q.X, atol=1e-8)


def test_quiver_field_vectorized_and_pointwise_agree():
    rot_vec = lambda X, Y: (-Y, X)                     # noqa: E731
    rot_pt = lambda p: np.array([-p[1], p[0]])         # noqa: E731
    out = []
    for F in (rot_vec, rot_pt):
        ax = Figure().subplots()
        q = plotting.quiver_field(ax, F, n=6)
        out.append((np.asarray(q.U), np.asarray(q.V)))
    assert_allclose(out[0][0], out[1][0])
    assert_allclose(out[0][1], out[1][1])


def test_quiver_field_normalize_gives_unit_arrows():
    ax = Figure().subplots()
    q = plotting.quiver_field(ax, lambda X, Y: (3 * X + 0.1, Y), n=5, normalize=True)
    assert_allclose(np.hypot(q.U, q.V), 1.0)


def test_streamlines_and_surface_draw_something():
    fig = Figure()
    ax = fig.subplots()
    s = plotting.streamlines(ax, lambda X, Y: (-Y, X), n=20)
    assert len(s.lines.get_segments()) > 10
    ax3 = fig.add_subplot(projection="3d")
    poly = plotting.surface(ax3, _bowl, n=11)
    assert len(poly.get_facecolors()) == 10 * 10      # one face per grid cell
    lo, hi = ax3.get_zlim()
    assert lo <= 0.0 and hi >= 16.0                    # f ranges over [0, 16] on [-2, 2]^2
    with pytest.raises(ValueError, match="3-D axes"):
        plotting.surface(ax, _bowl)


def test_bad_grids_raise():
    ax = Figure().subplots()
    with pytest.raises(ValueError, match="at least 2"):
        plotting.quiver_field(ax, lambda X, Y: (X, Y), n=1)
    with pytest.raises(ValueError, match="increasing"):
        plotting.quiver_field(ax, lambda X, Y: (X, Y), xlim=(1, -1))
    with pytest.raises(ValueError, match="2 components"):
        plotting.quiver_field(ax, lambda p: np.array([p[0]]), n=3)


def test_log_ticks_keeps_major_ticks_with_plain_labels():
    fig = Figure()
    ax = fig.subplots()
    ax.loglog([1e-8, 1.0], [1e-3, 1e2])
    plotting.log_ticks(ax, "both", ticks=[1e-8, 1e-4, 1.0])
    fig.canvas.draw()
    assert list(ax.xaxis.get_minorticklocs()) == []
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["1e-8", "1e-4", "1"], labels
    with pytest.raises(ValueError, match="axis must be"):
        plotting.log_ticks(ax, "z")
