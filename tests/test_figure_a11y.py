"""The figure rules of tests/figure_a11y.py can fail, and chapters 1-4 meet them; the facts
tests of chapters 5-11 apply them to their own figures."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
from matplotlib.figure import Figure

import calclib as cl
from chapter_harness import run_chapter
from conftest import ROOT
from figure_a11y import assert_figures_accessible, colour_only_problems, contrast, contrast_problems


def test_contrast_is_the_wcag_ratio():
    assert contrast("black", "white") == pytest.approx(21.0)
    assert contrast("white", "white") == pytest.approx(1.0)
    assert contrast("#767676", "white") == pytest.approx(4.54, abs=0.01)   # the usual AA grey


def test_light_text_is_caught_and_dark_text_passes():
    fig = Figure()
    ax = fig.add_subplot()
    ax.text(0.1, 0.1, "light", color="#D55E00")          # Okabe-Ito vermillion, 3.9 : 1
    ax.text(0.5, 0.5, "dark", color=cl.plotting.text_color("#D55E00"))
    problems = contrast_problems(fig)
    assert len(problems) == 1 and "'light'" in problems[0], problems


def test_text_color_darkens_just_enough_and_keeps_the_hue():
    for c in ("#D55E00", "#009E73", "#CC79A7", "#999999", "yellow"):
        out = np.array(cl.plotting.text_color(c))
        assert 4.5 <= contrast(out, "white") < 4.6, (c, contrast(out, "white"))
        from matplotlib.colors import to_rgb
        rgb = np.array(to_rgb(c))
        assert np.allclose(out / out.max(), rgb / rgb.max(), atol=1e-9), c
    assert cl.plotting.text_color("#0072B2") == pytest.approx((0.0, 0.447, 0.698), abs=1e-3)
    with pytest.raises(ValueError, match="min_contrast"):
        cl.plotting.text_color("k", min_contrast=30)


def test_curves_told_apart_by_colour_alone_are_caught():
    x = np.linspace(0, 1, 5)
    fig = Figure()
    ax = fig.add_subplot()
    ax.plot(x, x, color="C0", label="one")
    ax.plot(x, x**2, color="C1", label="two")
    ax.legend()                                   # a legend is keyed by colour too
    assert colour_only_problems(fig)
    ax.lines[1].set_linestyle("--")               # a second carrier: the line style
    assert not colour_only_problems(fig)
    ax.lines[1].set_linestyle("-")
    ax.text(1, 1, "two", color=cl.plotting.text_color("C1"))   # or a direct label in its hue
    assert not colour_only_problems(fig)
    fig2 = Figure()
    ax2 = fig2.add_subplot()
    ax2.plot(x, x, color="0.5")
    ax2.plot(x, x**2, color="0.7")                # greys: reference lines, exempt
    assert not colour_only_problems(fig2)


@pytest.mark.parametrize("chapter", ["ch01-introduction", "ch02-vectors", "ch03-derivatives",
                                     "ch04-optimization"])
def test_chapter_figures(chapter):
    """Chapters 1-4, whose facts tests predate tests/chapter_harness.py's ``run`` fixture."""
    with contextlib.redirect_stdout(io.StringIO()):
        run = run_chapter(ROOT / "chapters" / f"{chapter}.md")
    assert_figures_accessible(run)
