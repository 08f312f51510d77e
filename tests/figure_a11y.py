"""Two accessibility rules for every figure of the book (static figures and slider frames),
checked on the matplotlib artists themselves:

* **Contrast.** Every piece of text (titles, labels, tick labels, legends, annotations) has a
  contrast ratio of at least 4.5 : 1 (WCAG 2.1 AA, success criterion 1.4.3) against what it
  sits on: its own box if it has one, else the axes' (or the figure's) background.
* **Not by colour alone.** Within one axes, curves told apart by colour must also differ in
  line style or marker (WCAG 1.4.1), or be labelled directly by a text in the curve's own hue
  in the axes. A legend does not count: it is keyed by colour too. Grey lines (reference
  lines, grids, contours) are exempt.
"""

from __future__ import annotations

from matplotlib.colors import to_rgb, to_rgba
from matplotlib.text import Text

MIN_CONTRAST = 4.5


def luminance(color) -> float:
    """WCAG relative luminance of a colour."""
    def channel(v):
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in to_rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg, bg) -> float:
    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _grey(color) -> bool:
    r, g, b = to_rgb(color)
    return max(r, g, b) - min(r, g, b) < 0.08


def _same_hue(text_colour, line_colour) -> bool:
    """The text's colour is the line's, or the line's darkened towards black."""
    import numpy as np

    t, c = np.array(to_rgb(text_colour)), np.array(to_rgb(line_colour))
    if _grey(text_colour) or not c.any():
        return False
    f = float(t @ c) / float(c @ c)
    return 0.2 <= f <= 1.0001 and np.allclose(t, f * c, atol=0.02)


def _background(text: Text, fig) -> tuple:
    patch = text.get_bbox_patch()
    if patch is not None and to_rgba(patch.get_facecolor())[3] > 0.5:
        return patch.get_facecolor()
    ax = text.axes
    if ax is not None and to_rgba(ax.get_facecolor())[3] > 0.5:
        return ax.get_facecolor()
    face = fig.get_facecolor()
    return face if to_rgba(face)[3] > 0.5 else "white"   # frames are saved on white


def contrast_problems(fig) -> list[str]:
    out = []
    for text in fig.findobj(Text):
        if not (text.get_visible() and text.get_text().strip()):
            continue
        if text.axes is not None and text.get_alpha() is not None and text.get_alpha() < 1:
            out.append(f"text {text.get_text()[:40]!r} is translucent (alpha {text.get_alpha()})")
            continue
        ratio = contrast(text.get_color(), _background(text, fig))
        if ratio < MIN_CONTRAST:
            out.append(f"text {text.get_text()[:40]!r} in {text.get_color()!r} has contrast "
                       f"{ratio:.2f} : 1 (needs {MIN_CONTRAST})")
    return out


def colour_only_problems(fig) -> list[str]:
    out = []
    for i, ax in enumerate(fig.axes):
        groups: dict[tuple, set] = {}
        for line in ax.get_lines():
            if not line.get_visible() or len(line.get_xdata()) < 2 or _grey(line.get_color()):
                continue
            style = (line.get_linestyle(), line.get_marker() if line.get_marker() not in ("", " ") else "None")
            groups.setdefault(to_rgb(line.get_color()), set()).add(style)
        if len(groups) < 2:
            continue
        # a curve is labelled directly by a text in its own hue (a darker shade counts:
        # calclib.plotting.text_color) -- contour labels and point names like "A" are not
        labelled = {c for c in groups for t in ax.texts
                    if t.get_visible() and t.get_text().strip() and _same_hue(t.get_color(), c)}
        styles = [frozenset(s) for c, s in groups.items() if c not in labelled]
        shared = {s for s in styles if styles.count(s) > 1}
        if shared:
            title = ax.get_title() or f"axes {i}"
            out.append(f"{title[:50]!r}: {len(groups)} colours of curve, and "
                       f"{sum(styles.count(s) for s in shared)} of them share the line style "
                       f"{sorted(next(iter(shared)))} with no direct labels: vary linestyle/marker "
                       "or label the curves in the axes")
    return out


def figure_problems(fig) -> list[str]:
    return contrast_problems(fig) + colour_only_problems(fig)


def _sample(combos: list, k: int = 4) -> list:
    if len(combos) <= k:
        return combos
    return [combos[round(j * (len(combos) - 1) / (k - 1))] for j in range(k)]


def assert_figures_accessible(run) -> None:
    """Every static figure of the chapter and a sample of every slider's frames (first,
    last and between, the initial frame too) pass both rules."""
    from chapter_harness import frame

    problems = []
    for where, fig in run.figures:
        problems += [f"{where}: {p}" for p in figure_problems(fig)]
    for name, s in run.sliders.items():
        combos = list(s.combos())
        initial = dict(s.initial) if getattr(s, "initial", None) else None
        for values in _sample(combos) + ([initial] if initial else []):
            problems += [f"slider {name}{values}: {p}" for p in figure_problems(frame(s, **values))]
    assert not problems, "\n".join(dict.fromkeys(problems))
    assert run.figures or run.sliders, "no figure was checked"

