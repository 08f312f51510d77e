"""calclib.sliders: the one slider helper of the book, tested once, here.

Chapters only test their pure ``draw``/``compute`` functions; this file checks that the
helper turns any such function into (a) correct PNG frames, (b) self-contained static HTML
whose frame order matches its script, and (c) a live ipywidgets view whose image follows
its sliders. Frames are drawn small to keep the file fast.
"""

from __future__ import annotations

import base64
import io
import json
import re
from html.parser import HTMLParser

import ipywidgets as widgets
import matplotlib
import numpy as np
import pytest
from PIL import Image

import calclib as cl
from calclib.sliders import MAX_FRAMES, STATIC_FRAMES_ENV, Param, StaticSlider, render_png

matplotlib.use("Agg")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SMALL = dict(figsize=(1.5, 0.75), dpi=40)    # 60 x 30 pixels
A = (-2.0, 0.0, 2.0)
B = (-1, 1)


def draw_line(fig, a, b):
    """A pure draw function whose picture depends on both values."""
    ax = fig.subplots()          # as the docstring asks: no pyplot, axes from the figure
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(-3, 3)
    ax.plot([0, 1], [a, b], color="black", lw=4)


def draw_one(fig, a):
    ax = fig.subplots()
    ax.set_axis_off()
    ax.set_ylim(-3, 3)
    ax.axhline(a, color="tab:blue", lw=6)


@pytest.fixture(autouse=True)
def live_kernel(monkeypatch):
    """Every test runs as in a student's kernel (lazy frames) unless it sets the variable."""
    monkeypatch.delenv(STATIC_FRAMES_ENV, raising=False)


def decode(png: bytes) -> Image.Image:
    assert png[:8] == PNG_SIGNATURE
    img = Image.open(io.BytesIO(png))
    img.load()                              # decodes the whole stream: fails on corruption
    return img


@pytest.fixture(scope="module")
def two_param_slider():
    return cl.slider(draw_line, a=A, b=Param("b", B, label="slope end", fmt="{:+d} m"),
                     initial={"a": 2.0, "b": -1}, caption="Move a & b: x < y", **SMALL)


@pytest.fixture(scope="module")
def frames(two_param_slider):
    return two_param_slider.frames()


# --------------------------------------------------------------------------------------
# Param
# --------------------------------------------------------------------------------------

def test_param_normalizes_values():
    p = Param("theta", np.linspace(0, 1, 3))
    assert p.values == (0.0, 0.5, 1.0) and all(type(v) is float for v in p.values)
    assert p.label == "theta"
    q = Param("n", np.arange(2, 5), label="degree")
    assert q.values == (2, 3, 4) and all(type(v) is int for v in q.values)
    assert q.label == "degree"
    assert Param("x", [np.float32(0.5), np.int64(2)]).values == (0.5, 2)
    assert Param("x", [1, 2], fmt="{:.1f} s").text(2) == "2.0 s"


@pytest.mark.parametrize("name", ["1x", "a b", "", "theta-1", 3, None])
def test_param_name_must_be_an_identifier(name):
    with pytest.raises(ValueError, match=r"name must be an identifier"):
        Param(name, [0, 1])


@pytest.mark.parametrize("values", [[], [1.0], np.array([2.0])])
def test_param_needs_two_values(values):
    with pytest.raises(ValueError, match=r"'t' needs at least 2 values.*np\.linspace"):
        Param("t", values)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_param_rejects_non_finite(bad):
    with pytest.raises(ValueError, match=r"'t' has a non-finite value"):
        Param("t", [0.0, bad, 1.0])


@pytest.mark.parametrize("bad", ["a", None, True, 1 + 2j, [1, 2]])
def test_param_rejects_non_numbers(bad):
    with pytest.raises(TypeError, match=r"'t' values must be real numbers"):
        Param("t", [0.0, bad])


# --------------------------------------------------------------------------------------
# slider(): argument checks
# --------------------------------------------------------------------------------------

def test_slider_rejects_non_callable_draw():
    with pytest.raises(TypeError, match=r"draw must be a function draw\(fig, \*\*values\)"):
        cl.slider("draw", a=[0, 1])
    with pytest.raises(TypeError, match=r"got ndarray"):
        cl.slider(np.zeros(3), a=[0, 1])


def test_slider_needs_a_parameter():
    with pytest.raises(ValueError, match=r"at least one parameter"):
        cl.slider(draw_one)


def test_slider_frame_limit():
    cl.slider(draw_line, a=range(10), b=range(MAX_FRAMES // 10))    # exactly at the limit
    with pytest.raises(ValueError, match=rf"{MAX_FRAMES + 1} frames exceed MAX_FRAMES="
                                         rf"{MAX_FRAMES} \({MAX_FRAMES + 1}\)"):
        cl.slider(draw_one, a=range(MAX_FRAMES + 1))
    with pytest.raises(ValueError, match=r"121 frames exceed.*\(11 x 11\); use coarser grids"):
        cl.slider(draw_line, a=range(11), b=range(11))


def test_slider_parameter_spec_errors():
    with pytest.raises(TypeError, match=r"'a' must be a sequence of values or a Param, got str"):
        cl.slider(draw_one, a="0123")
    with pytest.raises(TypeError, match=r"got int"):
        cl.slider(draw_one, a=5)
    with pytest.raises(ValueError, match=r"Param named 'b' passed as keyword 'a'"):
        cl.slider(draw_one, a=Param("b", [0, 1]))


def test_slider_initial_values():
    s = cl.slider(draw_line, a=A, b=B, **SMALL)
    assert s.initial == {"a": 0.0, "b": 1}                 # default: the middle value
    s = cl.slider(draw_one, a=np.linspace(0, 1, 11), initial={"a": 0.3})
    assert s.initial["a"] == np.linspace(0, 1, 11)[3]      # 0.30000000000000004, on the grid
    # a log-scale grid of small values: 1e-8 must select 1e-8, not the first value
    s = cl.slider(draw_one, a=[1e-10, 1e-9, 1e-8], initial={"a": 1e-8})
    assert s.initial["a"] == 1e-8
    assert s.initial_index() == (2,)


def test_slider_initial_errors():
    with pytest.raises(ValueError, match=r"initial value 0.25 of 'a' is not on its grid"):
        cl.slider(draw_one, a=[0.0, 0.5, 1.0], initial={"a": 0.25})
    with pytest.raises(ValueError, match=r"initial value 1.01e-09 of 'a' is not on its grid"):
        cl.slider(draw_one, a=[1e-10, 1e-9, 1e-8], initial={"a": 1.01e-9})
    with pytest.raises(ValueError, match=r"initial names unknown parameters: \['c', 'z'\]"):
        cl.slider(draw_line, a=A, b=B, initial={"a": 0.0, "z": 1, "c": 2})


# --------------------------------------------------------------------------------------
# render_png
# --------------------------------------------------------------------------------------

def test_render_png_default_size_and_palette():
    png = render_png(draw_one, {"a": 1.0})
    img = decode(png)
    assert img.size == (round(6.4 * 80), round(3.6 * 80)) == (512, 288)
    assert img.mode == "P" and len(img.getcolors(256)) <= 128
    rgba = decode(render_png(draw_one, {"a": 1.0}, palette=None))
    assert rgba.size == (512, 288) and rgba.mode == "RGBA"


def draw_busy(fig, a):
    """A filled contour plot with a colormap (many colours) beside thin coloured lines."""
    ax1, ax2 = fig.subplots(1, 2)
    x, y = np.meshgrid(np.linspace(-2, 2, 80), np.linspace(-2, 2, 80))
    ax1.contourf(x, y, a * x ** 2 + y ** 2 + np.sin(3 * x), levels=30, cmap="viridis")
    ax1.contour(x, y, x * y, levels=8, colors="tab:red", linewidths=0.7)
    t = np.linspace(0, 6, 200)
    for k, colour in enumerate(["tab:blue", "tab:orange", "tab:green", "tab:purple", "0.4"]):
        ax2.plot(t, a * np.sin(t + k), color=colour, lw=0.8)


@pytest.mark.parametrize("name, worst", [
    ("draw_constrained", 24), ("draw_gridspec", 24), ("draw_one", 24),
    # 30 filled levels of a colormap need more than 128 colours; median cut (the old
    # quantizer) is 68/255 off here, the fast octree 52/255
    ("draw_busy", 60),
])
def test_palette_frames_stay_close_to_the_full_colour_frame(name, worst):
    """Quantizing to the palette may not change what a reader sees: on line art every
    pixel within 24/255 per channel of the full-colour frame (thin coloured lines keep
    their hue)."""
    draw = globals()[name]
    geometry = dict(figsize=(4.0, 2.2), dpi=60)
    full = np.asarray(decode(render_png(draw, {"a": 0.5}, palette=None, **geometry))
                      .convert("RGB"), dtype=int)
    pal = np.asarray(decode(render_png(draw, {"a": 0.5}, **geometry)).convert("RGB"),
                     dtype=int)
    err = np.abs(full - pal).max(axis=2)
    assert err.max() <= worst, f"worst pixel off by {err.max()}/255"


@pytest.mark.parametrize("figsize, dpi", [((2.0, 1.0), 30), ((1.5, 1.5), 50)])
def test_render_png_size_is_figsize_times_dpi(figsize, dpi):
    img = decode(render_png(draw_one, {"a": 0.5}, figsize=figsize, dpi=dpi))
    assert img.size == (round(figsize[0] * dpi), round(figsize[1] * dpi))


def test_render_png_deterministic_and_value_dependent():
    first = render_png(draw_line, {"a": 1.0, "b": -1}, **SMALL)
    assert render_png(draw_line, {"a": 1.0, "b": -1}, **SMALL) == first
    assert render_png(draw_line, {"a": -1.0, "b": -1}, **SMALL) != first
    # and the pixels differ, not just the bytes
    p1 = np.asarray(decode(first).convert("L"))
    p2 = np.asarray(decode(render_png(draw_line, {"a": -1.0, "b": -1}, **SMALL)).convert("L"))
    assert np.any(p1 != p2)


def test_render_png_does_not_touch_pyplot():
    import matplotlib.pyplot as plt
    before = plt.get_fignums()
    render_png(draw_one, {"a": 0.0}, **SMALL)
    assert plt.get_fignums() == before


# --------------------------------------------------------------------------------------
# frames: one call of draw per frame, in C order
# --------------------------------------------------------------------------------------

def test_draw_called_once_per_frame_with_the_right_values():
    calls = []

    def recording_draw(fig, **values):
        calls.append((type(fig).__name__, values))
        fig.subplots().set_axis_off()

    s = cl.slider(recording_draw, a=A, b=B, c=[10, 20], **SMALL)
    first = {"a": 0.0, "b": 1, "c": 20}                   # the middle values
    assert calls == [("Figure", first)]                   # only the initial frame so far
    frames = s.frames()
    expected = [{"a": a, "b": b, "c": c} for a in A for b in B for c in (10, 20)]
    # then the others in C order (last parameter fastest), the initial one not again
    assert calls == [("Figure", first)] + [("Figure", e) for e in expected if e != first]
    assert len(frames) == len(A) * len(B) * 2
    s.frames()
    assert len(calls) == len(expected)                    # cached, not redrawn


def test_frames_are_valid_distinct_and_in_c_order(two_param_slider, frames):
    assert len(frames) == len(A) * len(B)
    for png in frames:
        assert decode(png).size == (60, 30)
    assert len(set(frames)) == len(frames)                # every value changes the picture
    for i, a in enumerate(A):
        for j, b in enumerate(B):
            assert frames[i * len(B) + j] == render_png(draw_line, {"a": a, "b": b}, **SMALL)


# --------------------------------------------------------------------------------------
# static HTML
# --------------------------------------------------------------------------------------

class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []            # (tag, attrs)
        self.scripts = []         # (type attribute, content)
        self.text = {}            # tag -> list of texts
        self._open = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag not in ("img", "input"):
            self._open.append((tag, attrs, []))

    def handle_endtag(self, tag):
        while self._open:
            t, attrs, chunks = self._open.pop()
            content = "".join(chunks)
            if t == "script":
                self.scripts.append((attrs.get("type"), content))
            self.text.setdefault(t, []).append(content)
            if t == tag:
                break

    def handle_data(self, data):
        if self._open:
            self._open[-1][2].append(data)


@pytest.fixture(scope="module")
def page(two_param_slider, frames):
    html = two_param_slider.to_html()
    parser = _Collector()
    parser.feed(html)
    parser.close()
    return html, parser


def test_html_frames_labels_and_sizes(page, frames):
    html, parser = page
    [data_json] = [c for t, c in parser.scripts if t == "application/json"]
    data = json.loads(data_json)
    assert data["sizes"] == [len(A), len(B)]
    assert len(data["frames"]) == len(A) * len(B)
    assert data["labels"] == [[f"{a:.3g}" for a in A], [f"{b:+d} m" for b in B]]
    decoded = [base64.b64decode(f, validate=True) for f in data["frames"]]
    assert decoded == frames
    for png in decoded:
        decode(png)


def test_html_initial_frame_and_controls(page, frames):
    html, parser = page
    i0, j0 = A.index(2.0), B.index(-1)             # initial={"a": 2.0, "b": -1}
    [img] = [a for t, a in parser.tags if t == "img"]
    assert img["src"] == "data:image/png;base64," + base64.b64encode(
        frames[i0 * len(B) + j0]).decode("ascii")
    assert img["class"] == "cl-slider-frame"
    # unescaped by the parser (it was escaped); the alt names this frame's values
    assert img["alt"] == "Move a & b: x < y. Shown: a = 2, slope end = -1 m."
    inputs = [a for t, a in parser.tags if t == "input"]
    assert [(i["type"], i["min"], i["max"], i["value"]) for i in inputs] == [
        ("range", "0", str(len(A) - 1), str(i0)), ("range", "0", str(len(B) - 1), str(j0))]
    labels = {a["for"]: n for n, (t, a) in enumerate(parser.tags) if t == "label"}
    assert all(i["id"] in labels for i in inputs)   # each range input has its <label for>
    assert [a["aria-live"] for t, a in parser.tags if t == "output"] == ["polite", "polite"]
    assert parser.text["output"] == ["2", "-1 m"]
    assert parser.text["figcaption"] == ["Move a & b: x < y"]


def test_html_is_self_contained(page):
    html, parser = page
    inline = [c for t, c in parser.scripts if t is None]
    assert len(inline) == 1
    [figure] = [a for t, a in parser.tags if t == "figure"]
    assert f'clSlider("{figure["id"]}")' in inline[0] and "getElementById(id)" in inline[0]
    assert "addEventListener" in inline[0] and "data.frames[idx]" in inline[0]
    assert not re.search(r"https?://", html)
    assert not re.search(r"<(script|img|link)[^>]*\ssrc=\"(?!data:)", html)
    assert "<link" not in html


def test_html_escapes_markup_in_caption_and_labels():
    s = cl.slider(draw_one, a=Param("a", [0, 1], label="<b>", fmt="{}</script><i>"),
                  caption="</script><script>alert(1)</script>", **SMALL)
    html = s.to_html()
    # only the two scripts of the helper end a script; the caption cannot start another
    assert html.count("<script") == 2 and html.count("</script>") == 2
    assert "&lt;/script&gt;" in html
    parser = _Collector()
    parser.feed(html)
    assert {t for t, _ in parser.tags} == {"figure", "div", "label", "input", "output", "img",
                                           "figcaption", "script"}
    assert parser.text["figcaption"] == ["</script><script>alert(1)</script>"]
    [data_json] = [c for t, c in parser.scripts if t == "application/json"]
    assert json.loads(data_json)["labels"] == [["0</script><i>", "1</script><i>"]]


# --------------------------------------------------------------------------------------
# display: mime bundle and the live widget
# --------------------------------------------------------------------------------------

def test_repr_mimebundle(two_param_slider):
    bundle = two_param_slider._repr_mimebundle_()
    assert bundle["text/plain"] == f"<slider: a, b; {len(A) * len(B)} frames>"
    assert bundle["text/html"].startswith('<figure class="cl-slider"')
    view = bundle["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == two_param_slider.widget().model_id


def _controls(box):
    sliders = [c for c in box.children if isinstance(c, widgets.SelectionSlider)]
    [image] = [c for c in box.children if isinstance(c, widgets.Image)]
    return sliders, image


def test_widget_structure(two_param_slider, frames):
    box = two_param_slider.widget()
    assert two_param_slider.widget() is box
    sliders, image = _controls(box)
    assert [s.description for s in sliders] == ["a", "slope end"]
    assert [list(s.options) for s in sliders] == [
        [(f"{a:.3g}", a) for a in A], [(f"{b:+d} m", b) for b in B]]
    assert [s.value for s in sliders] == [2.0, -1]
    assert bytes(image.value) == frames[A.index(2.0) * len(B) + B.index(-1)]
    captions = [c for c in box.children if isinstance(c, widgets.HTML)]
    assert [c.value for c in captions] == ["<em>Move a &amp; b: x &lt; y</em>"]


def test_widget_image_follows_the_sliders(two_param_slider, frames):
    sliders, image = _controls(two_param_slider.widget())
    for a in (A[0], A[1]):
        for b in B[::-1]:
            sliders[0].value = a
            sliders[1].value = b
            assert bytes(image.value) == frames[A.index(a) * len(B) + B.index(b)]
    sliders[0].index = 2
    assert bytes(image.value) == frames[2 * len(B) + B.index(sliders[1].value)]


def test_widget_before_frames_renders_on_demand():
    """Without pre-rendered frames the widget draws each frame itself: same PNG bytes."""
    calls = []

    def draw(fig, a):
        calls.append(a)
        draw_one(fig, a)

    s = cl.slider(draw, a=[-1.0, 0.0, 1.0, 2.0], **SMALL)
    sliders, image = _controls(s.widget())
    assert calls == [1.0]                     # only the initial (middle) frame so far
    sliders[0].value = 2.0
    assert bytes(image.value) == render_png(draw_one, {"a": 2.0}, **SMALL)
    sliders[0].value = -1.0
    sliders[0].value = 2.0                    # back again: served from the widget's cache
    assert calls == [1.0, 2.0, -1.0]
    assert bytes(image.value) == s.frames()[3]


def test_static_slider_is_what_slider_returns():
    assert isinstance(cl.slider(draw_one, a=[0, 1]), StaticSlider)


def test_every_frame_has_its_own_alt_text(page):
    html, parser = page
    [data_json] = [c for t, c in parser.scripts if t == "application/json"]
    alts = json.loads(data_json)["alts"]
    assert len(alts) == len(A) * len(B) and len(set(alts)) == len(alts)
    assert alts[0].endswith(f"Shown: a = {A[0]:.3g}, slope end = {B[0]:+d} m.")


def test_alt_function_describes_each_frame():
    s = cl.slider(lambda fig, a: fig.subplots(), a=[1.0, 2.0],
                  alt=lambda a: f"a parabola of height {a:g}")
    assert [s.frame_alt(c) for c in s.combos()] == ["a parabola of height 1",
                                                    "a parabola of height 2"]
    bad = cl.slider(lambda fig, a: fig.subplots(), a=[1.0, 2.0], alt=lambda a: "")
    with pytest.raises(ValueError, match="non-empty string"):
        bad.frame_alt({"a": 1.0})
    with pytest.raises(TypeError, match="alt must be"):
        cl.slider(lambda fig, a: fig.subplots(), a=[1.0, 2.0], alt=3)


# --------------------------------------------------------------------------------------
# lazy frames in a live kernel, every frame for the static book
# --------------------------------------------------------------------------------------

def _counting(draw):
    calls = []

    def counted(fig, **values):
        calls.append(values)
        draw(fig, **values)

    return counted, calls


def test_live_kernel_draws_only_the_initial_frame():
    draw, calls = _counting(draw_line)
    s = cl.slider(draw, a=A, b=B, **SMALL)
    assert calls == [{"a": 0.0, "b": 1}] and not s.eager and not s.is_complete()


def test_live_widget_draws_each_new_position_once():
    draw, calls = _counting(draw_line)
    s = cl.slider(draw, a=A, b=B, **SMALL)
    sliders, image = _controls(s.widget())
    assert len(calls) == 1                                # the widget reuses the first frame
    sliders[0].value = 2.0
    assert calls[1:] == [{"a": 2.0, "b": 1}]
    assert bytes(image.value) == render_png(draw_line, {"a": 2.0, "b": 1}, **SMALL)
    sliders[0].value = 0.0                                # back: both frames memoized
    sliders[0].value = 2.0
    assert len(calls) == 2
    assert bytes(image.value) == render_png(draw_line, {"a": 2.0, "b": 1}, **SMALL)


def test_live_html_is_the_initial_frame_and_says_a_kernel_renders_the_rest():
    draw, calls = _counting(draw_line)
    s = cl.slider(draw, a=A, b=B, initial={"a": 2.0, "b": -1}, caption="Move a & b", **SMALL)
    bundle = s._repr_mimebundle_()
    html = bundle["text/html"]
    assert len(calls) == 1                                # displaying draws nothing more
    assert "render when the notebook runs in a kernel" in html
    assert "Shown: a = 2, b = -1." in html
    parser = _Collector()
    parser.feed(html)
    [img] = [a for t, a in parser.tags if t == "img"]
    assert img["src"] == "data:image/png;base64," + base64.b64encode(
        render_png(draw_line, {"a": 2.0, "b": -1}, **SMALL)).decode("ascii")
    assert img["alt"] == "Move a & b. Shown: a = 2, b = -1."
    assert parser.scripts == [] and parser.text["figcaption"] == ["Move a & b"]
    assert bundle["text/plain"] == f"<slider: a, b; {len(A) * len(B)} frames>"


def test_live_to_html_still_embeds_every_frame():
    draw, calls = _counting(draw_line)
    s = cl.slider(draw, a=A, b=B, **SMALL)
    data = json.loads(re.search(r'<script type="application/json">(.*?)</script>',
                                s.to_html()).group(1))
    assert len(data["frames"]) == len(A) * len(B) == len(calls)   # each drawn once
    assert [base64.b64decode(f) for f in data["frames"]] == [
        render_png(draw_line, {"a": a, "b": b}, **SMALL) for a in A for b in B]
    assert s.is_complete()
    assert "cl-slider-preview" not in s._repr_mimebundle_()["text/html"]  # now the full one


@pytest.mark.parametrize("value", ["1", "yes"])
def test_static_book_draws_every_frame_at_construction(monkeypatch, value):
    monkeypatch.setenv(STATIC_FRAMES_ENV, value)
    draw, calls = _counting(draw_line)
    s = cl.slider(draw, a=A, b=B, **SMALL)
    assert s.eager and s.is_complete()
    every = [{"a": a, "b": b} for a in A for b in B]
    # every frame once, then the initial frame a second time: the purity check
    assert sorted(map(str, calls)) == sorted(map(str, every + [{"a": 0.0, "b": 1}]))
    n = len(calls)
    html = s._repr_mimebundle_()["text/html"]
    assert len(calls) == n and "cl-slider-preview" not in html
    assert len(json.loads(re.search(r'<script type="application/json">(.*?)</script>',
                                    html).group(1))["frames"]) == len(A) * len(B)


@pytest.mark.parametrize("value", ["", "0", "false", "no"])
def test_static_variable_off_values_mean_lazy(monkeypatch, value):
    monkeypatch.setenv(STATIC_FRAMES_ENV, value)
    draw, calls = _counting(draw_one)
    assert not cl.slider(draw, a=A, **SMALL).eager and len(calls) == 1


@pytest.mark.parametrize("static", [False, True])
def test_validation_happens_at_construction_in_both_modes(monkeypatch, static):
    if static:
        monkeypatch.setenv(STATIC_FRAMES_ENV, "1")
    with pytest.raises(ValueError, match="exceed MAX_FRAMES"):
        cl.slider(draw_line, a=range(11), b=range(11))
    with pytest.raises(TypeError, match="must be a sequence"):
        cl.slider(draw_one, a=5)

    def broken(fig, a):
        raise RuntimeError(f"broken at {a}")

    with pytest.raises(RuntimeError, match="broken at 1"):      # draw runs in this cell
        cl.slider(broken, a=[0, 1, 2])

    import matplotlib.pyplot as plt

    def uses_pyplot(fig, a):
        plt.figure()
        plt.plot([0, a])

    before = plt.get_fignums()
    with pytest.raises(ValueError, match="opened a pyplot figure"):
        cl.slider(uses_pyplot, a=[0, 1, 2], **SMALL)
    assert plt.get_fignums() == before                          # and it is closed again


def test_static_book_rejects_an_impure_draw(monkeypatch):
    monkeypatch.setenv(STATIC_FRAMES_ENV, "1")
    state = {"n": 0}

    def drifting(fig, a):
        state["n"] += 1
        draw_one(fig, a + 0.2 * state["n"])

    with pytest.raises(ValueError, match=r"drifting is not pure: two drawings at \{'a': 1"):
        cl.slider(drifting, a=[0, 1, 2], **SMALL)


# --------------------------------------------------------------------------------------
# the fast frame path: the same bytes as Figure.savefig
# --------------------------------------------------------------------------------------

def _savefig_png(draw, values, figsize, dpi, palette=128):
    """The frame as render_png made it before the fast path: savefig, decode, quantize."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    draw(fig, **values)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    buf.seek(0)
    if palette is None:
        return np.asarray(Image.open(buf).convert("RGBA"))
    img = Image.open(buf).convert("RGB").quantize(colors=palette,
                                                  method=Image.Quantize.FASTOCTREE,
                                                  dither=Image.Dither.NONE)
    out = io.BytesIO()
    img.save(out, format="PNG", compress_level=6)
    return out.getvalue()


def draw_constrained(fig, a):
    """The default layout engine (constrained), labels, a legend and a suptitle."""
    ax1, ax2 = fig.subplots(1, 2)
    x = np.linspace(-2, 2, 50)
    ax1.plot(x, a * x ** 2, label=f"a = {a:g}")
    ax1.set_xlabel("x")
    ax1.set_ylabel("$a x^2$")
    ax1.legend(loc="upper center", fontsize=7)
    ax2.bar(["p", "q"], [a, 1 - a], color=["tab:orange", "0.6"])
    fig.suptitle(rf"$\alpha = {a:.2f}$", fontsize=9)


def draw_panels(fig, a, b):
    """Fixed margins (no layout engine), as chapters do with cl.plotting.panels."""
    ax, ax_f = cl.plotting.panels(fig, 2)
    cl.plotting.plane(ax, 2.0)
    cl.plotting.arrow(ax, (a, b), label="v")
    ax_f.fill_between([0, 1], [0, a], alpha=0.3)
    ax_f.set_facecolor("0.95")
    fig.set_facecolor("lightyellow")          # savefig(facecolor="white") overrides it


def draw_gridspec(fig, a):
    fig.set_layout_engine(None)
    gs = fig.add_gridspec(2, 2, left=0.1, right=0.95, bottom=0.15, top=0.9)
    x, y = np.meshgrid(np.linspace(-1, 1, 30), np.linspace(-1, 1, 30))
    fig.add_subplot(gs[:, 0]).contourf(x, y, a * (x ** 2 + y ** 2))
    fig.add_subplot(gs[0, 1]).imshow(np.outer(np.arange(5), np.arange(4)) * a)
    fig.add_subplot(gs[1, 1]).text(0.5, 0.5, f"a={a}", ha="center")


@pytest.mark.parametrize("draw, grids, geometry", [
    (draw_constrained, {"a": [0.25, 0.5, 1.0]}, dict(figsize=(4.0, 2.2), dpi=50)),
    (draw_panels, {"a": [-1.0, 1.5], "b": [0.5, -1.0]}, dict(figsize=(3.2, 1.8), dpi=60)),
    (draw_gridspec, {"a": [1, 2]}, dict(figsize=(3.0, 2.0), dpi=40)),
    (draw_line, {"a": A, "b": B}, SMALL),
])
def test_fast_frames_equal_savefig_frames_byte_for_byte(draw, grids, geometry):
    """Same figure, same pixels, same PNG: the fast path only skips work (an intermediate
    PNG, savefig's extra draw pass for the layout engine), it changes nothing drawn."""
    s = cl.slider(draw, **grids, **geometry)
    for combo, png in zip(s.combos(), s.frames()):
        assert png == _savefig_png(draw, combo, **geometry), combo
    combo = next(s.combos())
    rgba = np.asarray(decode(render_png(draw, combo, palette=None, **geometry)).convert("RGBA"))
    assert np.array_equal(rgba, _savefig_png(draw, combo, palette=None, **geometry))
