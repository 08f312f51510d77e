"""Shared drawing helpers, so every figure in the course has the same look.

They draw on a given ``Axes`` and never touch pyplot state, which keeps them usable
inside slider drawing functions (:mod:`calclib.sliders`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["COLORS", "text_color", "plane", "arrow", "panels", "lp_circle", "right_angle", "angle_arc",
           "contour_gradient", "quiver_field", "streamlines", "surface", "log_ticks"]

#: Colour-blind-safe course palette (Okabe–Ito hues) for the first vector, the second vector,
#: a derived quantity (projection, gradient), a highlight and muted elements. Vermillion,
#: bluish green and reddish purple are darkened from Okabe–Ito's values (#D55E00, #009E73,
#: #CC79A7: 3.9, 3.4 and 3.1 : 1 on white) so that text in them meets WCAG AA (4.5 : 1);
#: "muted" (2.8 : 1) is for lines and areas that carry no meaning of their own, never text.
#: tests/chapter_harness.py checks every figure of the book for both rules.
COLORS = {"a": "#0072B2", "b": "#C05500", "derived": "#008561", "highlight": "#A16084",
          "muted": "#999999"}


def _luminance(rgb) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour (components in [0, 1])."""
    lin = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def text_color(color, min_contrast: float = 4.5):
    """``color`` darkened (towards black, hue kept) just enough that text in it has at least
    ``min_contrast`` : 1 contrast on white (WCAG AA: 4.5 for text, 3 for large text and
    graphics). A colour that already meets it is returned unchanged, as an RGB tuple.

    For labelling a curve in the curve's own colour when that colour is light, e.g. the
    ``tab10`` colours: ``ax.annotate(name, ..., color=text_color(line_color))``.
    """
    from matplotlib.colors import to_rgb

    if not 1.0 <= float(min_contrast) <= 21.0:
        raise ValueError(f"min_contrast must be between 1 and 21 (black on white), got {min_contrast}")
    rgb = np.array(to_rgb(color))
    # contrast on white is (1.05) / (L + 0.05), decreasing in the scale factor's luminance:
    # bisect the factor f in [0, 1] for the largest f with enough contrast
    def ok(f):
        return 1.05 / (_luminance(f * rgb) + 0.05) >= min_contrast
    if ok(1.0):
        return tuple(float(v) for v in rgb)
    lo, hi = 0.0, 1.0
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    return tuple(float(v) for v in lo * rgb)


def plane(ax, lim=3.0, *, grid=True, xlabel="$x_1$", ylabel="$x_2$"):
    """Square axes through the origin on [-lim, lim]^2 with equal scales and labels."""
    lo, hi = (-lim, lim) if np.isscalar(lim) else lim
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    ax.axhline(0, color="0.6", lw=0.8, zorder=0)
    ax.axvline(0, color="0.6", lw=0.8, zorder=0)
    if grid:
        ax.grid(True, lw=0.4, alpha=0.5)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def arrow(ax, head, tail=(0.0, 0.0), *, color=COLORS["a"], label=None, lw=2.0, **kw):
    """Draw the 2-D vector from ``tail`` to ``head`` as an arrow (optionally labelled)."""
    head = np.asarray(head, dtype=float)
    tail = np.asarray(tail, dtype=float)
    ax.annotate("", xy=tuple(head), xytext=tuple(tail),
                arrowprops=dict(arrowstyle="-|>", color=color, lw=lw, shrinkA=0, shrinkB=0, **kw))
    if label:
        ax.annotate(label, xy=tuple(head), xytext=(4, 4), textcoords="offset points",
                    color=color, fontsize=11)
    return ax


def panels(fig, ncols=2, *, left=0.08, right=0.98, bottom=0.16, top=0.9, wspace=0.3, **kw):
    """``ncols`` axes side by side on ``fig`` with fixed margins (fractions of the figure).

    Meant for slider frames (:mod:`calclib.sliders`): it switches off the figure's layout
    engine, whose extra layout pass costs about as much as drawing the frame, so the
    margins must leave room for tick labels. Extra keywords (e.g. ``width_ratios``) go to
    ``Figure.add_gridspec``. Returns an array of ``ncols`` ``Axes``. Used from chapter 2.
    """
    fig.set_layout_engine(None)  # no engine at all: savefig then skips its pre-draw pass
    if fig.get_layout_engine() is not None:  # rcParams ask for one: keep the fixed margins
        fig.set_layout_engine("none")
    gs = fig.add_gridspec(1, ncols, left=left, right=right, bottom=bottom, top=top,
                          wspace=wspace, **kw)
    return np.array([fig.add_subplot(gs[0, j]) for j in range(ncols)])


def lp_circle(p, radius=1.0, num=361):
    r"""Points ``(x, y)`` of the L_p circle :math:`\{v \in \mathbb{R}^2 : \|v\|_p = r\}`, r = ``radius``.

    For plotting. Each direction :math:`d = (\cos t, \sin t)` is rescaled to :math:`r\, d / \|d\|_p`;
    ``p=np.inf`` gives the square, ``p=1`` the diamond. Returns two arrays of shape
    ``(num,)``. Section 2.1.
    """
    if not (p == np.inf or p >= 1):
        raise ValueError(f"p must be >= 1 or np.inf, got {p!r}")
    t = np.linspace(0.0, 2.0 * np.pi, num)
    d = np.stack([np.cos(t), np.sin(t)])
    size = np.max(np.abs(d), axis=0) if p == np.inf else np.sum(np.abs(d) ** p, axis=0) ** (1.0 / p)
    x, y = radius * d / size
    return x, y


def right_angle(ax, corner, d1, d2, size=0.2, *, color="0.3", lw=1.0):
    """Mark a right angle at ``corner`` between the directions ``d1`` and ``d2``.

    Draws the two far sides of a small square of side ``size`` (data units); draws
    nothing if either direction is (numerically) zero. Used in section 2.2 (projections).
    """
    corner = np.asarray(corner, dtype=float)
    d1 = np.asarray(d1, dtype=float)
    d2 = np.asarray(d2, dtype=float)
    n1, n2 = np.linalg.norm(d1), np.linalg.norm(d2)
    if n1 < 1e-12 or n2 < 1e-12:
        return ax
    u1, u2 = size * d1 / n1, size * d2 / n2
    pts = np.array([corner + u1, corner + u1 + u2, corner + u2])
    ax.plot(pts[:, 0], pts[:, 1], color=color, lw=lw)
    return ax


def angle_arc(ax, d1, d2, radius=0.5, *, center=(0.0, 0.0), label=None, color="0.3", lw=1.0):
    """Draw the arc of the smaller angle from direction ``d1`` to direction ``d2``.

    The arc has radius ``radius`` around ``center``; ``label`` (e.g. ``r"$\\theta$"``) is
    written just outside its middle. Used in section 2.2 (the angle between vectors).
    """
    a1 = np.arctan2(d1[1], d1[0])
    a2 = np.arctan2(d2[1], d2[0])
    delta = (a2 - a1 + np.pi) % (2.0 * np.pi) - np.pi
    t = a1 + np.linspace(0.0, delta, 50)
    cx, cy = center
    ax.plot(cx + radius * np.cos(t), cy + radius * np.sin(t), color=color, lw=lw)
    if label:
        mid = a1 + delta / 2
        ax.annotate(label, xy=(cx + 1.35 * radius * np.cos(mid), cy + 1.35 * radius * np.sin(mid)),
                    ha="center", va="center", color=color, fontsize=11)
    return ax


def _plain_log_label(v, _pos=None):
    """``1e-8`` instead of the mathtext ``10^{-8}``; ``0.01``, ``1``, ``100`` kept as is."""
    if not v > 0:
        return ""
    e = int(np.floor(np.log10(v) + 1e-9))
    if -2 <= e <= 3:
        return f"{v:g}"
    m = v / 10.0**e
    return f"1e{e}" if abs(m - 1) < 1e-9 else f"{m:g}e{e}"


def log_ticks(ax, axis="y", ticks=None):
    """Fast ticks for a log-scale axis in slider frames: major ticks only, plain labels.

    Each minor tick of a log axis and each mathtext label (:math:`10^{-8}`) costs drawing
    time, about a third of a simple frame's. This keeps only the major ``ticks`` (default:
    matplotlib's choice) and labels them ``1e-8``, ``0.01``, ``1``, ``100``. ``axis`` is
    ``"x"``, ``"y"`` or ``"both"``; call it after ``set_xscale``/``loglog``. Used from
    chapter 3.
    """
    from matplotlib.ticker import FuncFormatter, NullLocator

    if axis not in ("x", "y", "both"):
        raise ValueError(f"axis must be 'x', 'y' or 'both', got {axis!r}")
    for name in ("x", "y") if axis == "both" else (axis,):
        a = ax.xaxis if name == "x" else ax.yaxis
        if ticks is not None:
            a.set_ticks(ticks)
        a.set_minor_locator(NullLocator())
        a.set_major_formatter(FuncFormatter(_plain_log_label))
    return ax


# -- fields and surfaces (chapters 3, 4, 7-9) --------------------------------------------

def _grid(xlim, ylim, n):
    n = int(n)
    if n < 2:
        raise ValueError(f"n must be at least 2 grid points per axis, got {n}")
    (x0, x1), (y0, y1) = xlim, ylim
    if not (x1 > x0 and y1 > y0):
        raise ValueError(f"limits must be increasing pairs (lo, hi), got {xlim} and {ylim}")
    return np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))


def _vector_field_on_grid(F, X, Y):
    """Evaluate a 2-D field on a grid: ``F(X, Y) -> (U, V)`` vectorized, else point by point."""
    try:
        U, V = F(X, Y)
        U = np.broadcast_to(np.asarray(U, dtype=float), X.shape)
        V = np.broadcast_to(np.asarray(V, dtype=float), X.shape)
    except (TypeError, ValueError):
        UV = np.array([np.asarray(F(np.array([x, y])), dtype=float)
                       for x, y in zip(X.ravel(), Y.ravel())])
        if UV.shape != (X.size, 2):
            raise ValueError("F must return 2 components (U, V) for a 2-D field") from None
        U, V = UV[:, 0].reshape(X.shape), UV[:, 1].reshape(X.shape)
    return U, V


def contour_gradient(ax, f, xlim=(-2, 2), ylim=(-2, 2), *, n=101, levels=15, arrows=11,
                     descent=False, cmap="viridis", filled=False):
    r"""Contours of a scalar ``f(X, Y)`` (vectorized) with its gradient arrows on top.

    The arrows are :math:`\nabla f` on an ``arrows`` x ``arrows`` sub-grid (computed by
    :func:`calclib.derivatives.gradient_field`); with ``descent=True`` they are
    :math:`-\nabla f`, the direction gradient descent moves. Arrows are perpendicular to
    the level sets (section 3.2). Returns the contour set.
    """
    from .derivatives import gradient_field

    X, Y = _grid(xlim, ylim, n)
    Z = np.asarray(f(X, Y), dtype=float)
    cs = (ax.contourf if filled else ax.contour)(X, Y, Z, levels=levels, cmap=cmap)
    if arrows:
        Xa, Ya = _grid(xlim, ylim, arrows)
        U, V = gradient_field(f, Xa, Ya)
        sign = -1.0 if descent else 1.0
        ax.quiver(Xa, Ya, sign * U, sign * V, color=COLORS["b"], angles="xy", pivot="tail",
                  width=0.004)
    ax.set_aspect("equal")
    ax.set_xlabel("$x$")
    ax.set_ylabel("$y$")
    return cs


def quiver_field(ax, F, xlim=(-2, 2), ylim=(-2, 2), *, n=15, normalize=False, color=None):
    """Arrows of a 2-D vector field ``F`` on an ``n`` x ``n`` grid (section 7.1).

    ``F(X, Y)`` returning ``(U, V)`` arrays is used when it works; otherwise ``F`` is called
    on each point ``np.array([x, y])``. ``normalize=True`` draws unit arrows (direction
    only), useful when magnitudes vary a lot. Returns the ``Quiver``.
    """
    X, Y = _grid(xlim, ylim, n)
    U, V = _vector_field_on_grid(F, X, Y)
    if normalize:
        L = np.hypot(U, V)
        L = np.where(L > 0, L, 1.0)
        U, V = U / L, V / L
    q = ax.quiver(X, Y, U, V, color=color or COLORS["a"], angles="xy", pivot="mid")
    ax.set_aspect("equal")
    ax.set_xlabel("$x$")
    ax.set_ylabel("$y$")
    return q


def streamlines(ax, F, xlim=(-2, 2), ylim=(-2, 2), *, n=40, density=1.0, color=None):
    """Streamlines of a 2-D vector field ``F`` (matplotlib ``streamplot``), section 7.1.

    Same calling convention for ``F`` as :func:`quiver_field`. Returns the stream set.
    """
    X, Y = _grid(xlim, ylim, n)
    U, V = _vector_field_on_grid(F, X, Y)
    s = ax.streamplot(X, Y, U, V, density=density, color=color or COLORS["a"], linewidth=1.0,
                      arrowsize=1.0)
    ax.set_aspect("equal")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$y$")
    return s


def surface(ax, f, xlim=(-2, 2), ylim=(-2, 2), *, n=41, cmap="viridis", alpha=0.9):
    """The graph ``z = f(x, y)`` of a vectorized ``f`` on a 3-D axes (``projection="3d"``).

    Use static figures for surfaces: a 3-D render is several times slower than a contour
    plot, too slow for slider frames. Returns the ``Poly3DCollection``.
    """
    if getattr(ax, "name", "") != "3d":
        raise ValueError("surface needs 3-D axes: fig.add_subplot(projection='3d')")
    X, Y = _grid(xlim, ylim, n)
    Z = np.asarray(f(X, Y), dtype=float)
    s = ax.plot_surface(X, Y, Z, cmap=cmap, alpha=alpha, linewidth=0, antialiased=True)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$y$")
    ax.set_zlabel("$z$")
    return s
