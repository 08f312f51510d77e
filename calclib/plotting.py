"""Shared drawing helpers, so every figure in the course has the same look.

They draw on a given ``Axes`` and never touch pyplot state, which keeps them usable
inside slider drawing functions (:mod:`calclib.sliders`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["COLORS", "plane", "arrow"]

#: The course palette (colour-blind safe, Okabe–Ito): first vector, second vector,
#: derived quantity (projection, gradient), highlight, muted.
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
