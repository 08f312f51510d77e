"""Shared drawing helpers, so every figure in the course has the same look.

They draw on a given ``Axes`` and never touch pyplot state, which keeps them usable
inside slider drawing functions (:mod:`calclib.sliders`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["COLORS", "plane", "arrow", "panels", "lp_circle", "right_angle", "angle_arc"]

#: Colour-blind-safe course palette (Okabe–Ito) for the first vector, the second vector,
#: a derived quantity (projection, gradient), a highlight and muted elements.
COLORS = {"a": "#0072B2", "b": "#D55E00", "derived": "#009E73", "highlight": "#CC79A7",
          "muted": "#999999"}


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
