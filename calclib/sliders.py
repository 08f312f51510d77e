"""Sliders that move their figure in a live kernel *and* in the static HTML book.

A reader of the built book has no kernel, so an ordinary ``ipywidgets.interact`` slider
moves but its figure stays frozen. :func:`slider` solves this once for every chapter:

* every value the slider can take is rendered once, as a PNG *frame*, by the same pure
  drawing function ``draw(fig, **values)``;
* the displayed object carries two representations: a live ipywidgets view (a slider per
  parameter and an ``Image`` widget that is redrawn on change) for Jupyter, and a
  self-contained HTML version (``<input type="range">`` + the frames + ~30 lines of
  inline JavaScript) for the static book, which selects it over the widget view
  (``nb_mime_priority_overrides`` in ``_config.yml``) and so loads no widget JavaScript.

Chapter authors write a pure ``draw(fig, **values)`` that only draws on the ``Figure`` it
is given (testable on its own, no pyplot state), then one line::

    cl.slider(draw_angle, theta=np.linspace(0, 180, 19), caption="...")

When frames are drawn: the static book's build sets the environment variable
``CALCLIB_STATIC_FRAMES`` (``_ext/course_book.py``), which the kernels that execute the
chapters inherit; there :func:`slider` draws every frame at once, for the HTML version. Anywhere else (a
student's Jupyter) it draws only the initial frame; the widget draws the others when the
slider reaches them (each once, memoized) and the ``text/html`` representation, what a
saved notebook shows without a kernel, is that frame with a note. :meth:`StaticSlider.frames`
and :meth:`StaticSlider.to_html` always give every frame (drawing the missing ones).

Page weight: each frame is a palette PNG; :data:`MAX_FRAMES` caps the frames of one
slider and ``benchmarks/bench_book.py`` reports the weight of every page.

Section: used by every section; introduced in chapter 1 ("How the sliders work").
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import json
import numbers
import os
import sys
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from . import frame_cache

__all__ = ["Param", "StaticSlider", "slider", "render_png", "MAX_FRAMES", "STATIC_FRAMES_ENV",
           "static_frames_wanted"]

#: Upper bound on frames (the product of all parameter grids) in one slider.
MAX_FRAMES = 120
#: Default frame geometry: 6.4 x 3.6 inches at 80 dpi is 512 x 288 pixels.
DEFAULT_FIGSIZE = (6.4, 3.6)
DEFAULT_DPI = 80
#: Colours kept in the palette PNG; plots use few colours, so this is visually lossless
#: for line art and saves ~70 % against RGB PNG. Pillow's fast octree quantizer (~3 ms a
#: frame, against ~20 ms for median cut with ``optimize``) also keeps every pixel closer
#: to the original: its worst channel error on the chapters' frames is ~18/255, median
#: cut's ~48/255 (thin coloured lines lost their hue); tests/test_sliders.py checks it.
PALETTE_COLORS = 128
#: zlib level of the frame PNGs (Pillow's default; ``optimize`` costs 5x for ~5 %).
PNG_COMPRESS_LEVEL = 6
#: Environment variable that asks :func:`slider` for every frame up front (the static
#: book's build sets it; see ``_ext/course_book.py``). Unset, "", "0", "false" or "no":
#: lazy frames (a live kernel).
STATIC_FRAMES_ENV = "CALCLIB_STATIC_FRAMES"


def static_frames_wanted() -> bool:
    """True when this process renders for the static book (``CALCLIB_STATIC_FRAMES`` set)."""
    return os.environ.get(STATIC_FRAMES_ENV, "").strip().lower() not in ("", "0", "false", "no")


@dataclass(frozen=True)
class Param:
    """One slider: a name (the keyword passed to ``draw``), its values and a label.

    ``values`` is the grid of values the slider steps through (the static book has one
    frame per combination of values). ``fmt`` formats a value for the label.
    """

    name: str
    values: tuple
    label: str = ""
    fmt: str = "{:.3g}"

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"slider parameter name must be an identifier, got {self.name!r}")
        vals = tuple(self.values)
        if len(vals) < 2:
            raise ValueError(
                f"slider parameter {self.name!r} needs at least 2 values, got {len(vals)}; "
                "pass e.g. np.linspace(start, stop, num)"
            )
        clean = []
        for v in vals:
            if isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, bool):
                clean.append(int(v))
            elif isinstance(v, numbers.Real) and not isinstance(v, bool):
                if not np.isfinite(v):
                    raise ValueError(f"slider parameter {self.name!r} has a non-finite value {v!r}")
                clean.append(float(v))
            else:
                raise TypeError(
                    f"slider parameter {self.name!r} values must be real numbers, got {v!r}"
                )
        object.__setattr__(self, "values", tuple(clean))
        if not self.label:
            object.__setattr__(self, "label", self.name)

    def text(self, value) -> str:
        return self.fmt.format(value)


def _as_param(name: str, spec) -> Param:
    if isinstance(spec, Param):
        if spec.name != name:
            raise ValueError(f"Param named {spec.name!r} passed as keyword {name!r}")
        return spec
    if isinstance(spec, (str, bytes)) or not isinstance(spec, (Sequence, np.ndarray)):
        raise TypeError(
            f"slider parameter {name!r} must be a sequence of values or a Param, "
            f"got {type(spec).__name__}"
        )
    return Param(name, tuple(np.asarray(spec).tolist()))


def render_png(draw: Callable[..., Any], values: Mapping[str, Any], *,
               figsize=DEFAULT_FIGSIZE, dpi=DEFAULT_DPI, palette=PALETTE_COLORS) -> bytes:
    """Draw one frame: a new ``Figure``, ``draw(fig, **values)``, then PNG bytes.

    Uses ``matplotlib.figure.Figure`` directly (no pyplot), so frames never leak into a
    notebook's inline output and never share state. With ``palette`` set, the PNG is
    quantized to that many colours (``None`` keeps full RGBA).

    The pixels are those of ``fig.savefig(format="png", facecolor="white")`` (the tests
    compare both, byte for byte), but the frame goes from the Agg canvas's RGBA buffer
    straight to Pillow: no intermediate PNG to encode and decode again, and the layout
    engine runs once, without the whole extra draw pass that ``savefig`` makes for it.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image  # Pillow is a dependency of matplotlib

    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    canvas = FigureCanvasAgg(fig)
    draw(fig, **values)
    fig.set_dpi(dpi)                      # as savefig(dpi=dpi) does
    fig.patch.set_facecolor("white")      # savefig(facecolor="white")
    engine = fig.get_layout_engine()
    if engine is not None and fig.axes:
        # savefig lays out in a pre-draw pass, then draws with the engine switched off;
        # the engine itself needs only a renderer for text extents
        engine.execute(fig)
        fig.set_layout_engine("none")
    canvas.draw()
    rgba = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(),
                            "raw", "RGBA", 0, 1)
    out = io.BytesIO()
    if palette is None:
        rgba.save(out, format="PNG")
        return out.getvalue()
    img = quantize(rgba, palette)
    img.save(out, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return out.getvalue()


def quantize(image, colors: int = PALETTE_COLORS):
    """``image`` (RGB or RGBA, on white) as a palette image of at most ``colors`` colours:
    Pillow's fast octree, no dithering (dither noise would cost bytes and blur lines)."""
    from PIL import Image

    return image.convert("RGB").quantize(colors=colors, method=Image.Quantize.FASTOCTREE,
                                         dither=Image.Dither.NONE)


def _slider_js() -> str:
    """The page-side code of the static slider (calclib/static/slider.js)."""
    from importlib import resources

    return resources.files("calclib").joinpath("static", "slider.js").read_text(encoding="utf-8")


@dataclass
class StaticSlider:
    """What :func:`slider` returns: displays as a live widget or as static HTML."""

    draw: Callable[..., Any]
    params: tuple
    initial: dict
    caption: str = ""
    alt: Any = ""
    figsize: tuple = DEFAULT_FIGSIZE
    dpi: int = DEFAULT_DPI
    eager: bool = False
    _cache: dict = field(default_factory=dict, repr=False)   # flat frame index -> PNG
    _widget: Any = field(default=None, repr=False)
    #: frames drawn by ``draw`` / read from the persistent frame cache (calclib.frame_cache)
    rendered: int = field(default=0, repr=False)
    from_disk: int = field(default=0, repr=False)
    _fingerprint: Any = field(default=False, repr=False)     # False: not computed yet
    _reload: bool = field(default=True, repr=False)          # read stored frames

    # -- the frames -------------------------------------------------------------------
    def combos(self):
        """All parameter combinations in C order (last parameter varies fastest)."""
        names = [p.name for p in self.params]
        for vals in itertools.product(*(p.values for p in self.params)):
            yield dict(zip(names, vals))

    @property
    def sizes(self) -> list[int]:
        return [len(p.values) for p in self.params]

    def n_frames(self) -> int:
        return int(np.prod(self.sizes))

    def index_of(self, values: Mapping) -> int:
        """The flat (C-order) index of the frame at ``values`` (grid values)."""
        idx = tuple(p.values.index(values[p.name]) for p in self.params)
        return int(np.ravel_multi_index(idx, self.sizes))

    def _render(self, values: Mapping) -> bytes:
        self.rendered += 1
        return render_png(self.draw, values, figsize=self.figsize, dpi=self.dpi)

    def _disk_key(self, values: Mapping) -> str | None:
        """The frame's key in the persistent cache; None: no cache (a live kernel, which
        draws lazily while the chapter's globals may change, or an uncacheable draw)."""
        if not self.eager or frame_cache.cache_dir() is None:
            return None
        if self._fingerprint is False:
            self._fingerprint = frame_cache.slider_fingerprint(self.draw)
        if self._fingerprint is None:
            return None
        return frame_cache.frame_key(self._fingerprint, dict(values), self.figsize, self.dpi,
                                     PALETTE_COLORS)

    def _draw_or_load(self, values: Mapping) -> bytes:
        key = self._disk_key(values)
        if key is not None and self._reload:
            png = frame_cache.load(frame_cache.cache_dir(), key)
            if png is not None:
                self.from_disk += 1
                return png
        png = self._render(values)
        if key is not None:
            frame_cache.store(frame_cache.cache_dir(), key, png)
        return png

    def frame(self, values: Mapping) -> bytes:
        """The frame at ``values`` as PNG bytes: drawn on first request, then memoized."""
        k = self.index_of(values)
        if k not in self._cache:
            self._cache[k] = self._draw_or_load(values)
        return self._cache[k]

    def frames(self) -> list[bytes]:
        """Every frame as PNG bytes in C order; draws only the ones not drawn yet."""
        return [self.frame(c) for c in self.combos()]

    def is_complete(self) -> bool:
        """Whether every frame has been drawn (the full static HTML costs nothing more)."""
        return len(self._cache) == self.n_frames()

    def _prepare(self) -> None:
        """Called by :func:`slider`: draw the initial frame (eager: every frame) now, so a
        broken or impure ``draw`` fails in the cell that makes the slider."""
        plt = sys.modules.get("matplotlib.pyplot")
        before = set(plt.get_fignums()) if plt is not None else None
        first = self.frame(self.initial)
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None and before is not None and set(plt.get_fignums()) - before:
            for num in set(plt.get_fignums()) - before:
                plt.close(num)
            raise ValueError(
                f"{_name(self.draw)} opened a pyplot figure: a slider's draw(fig, **values) "
                "must draw only on the fig it is given (fig.subplots()), never with plt")
        if not self.eager:
            return
        self.frames()
        # every frame is drawn anyway: one more drawing of the first frame proves that
        # draw is pure (same values, same picture) before the book embeds 100 frames
        again = self._render(self.initial)
        if again != first and self.from_disk:
            # the stored frames are not what draw draws now (a cache from another machine,
            # a hand-edited file): draw them all afresh and store those
            self._cache.clear()
            self._reload, self.from_disk = False, 0
            first = self.frame(self.initial)
            self.frames()
            again = self._render(self.initial)
        if again != first:
            raise ValueError(
                f"{_name(self.draw)} is not pure: two drawings at {self.initial} differ; "
                "draw must depend only on its values (no random numbers without a fixed "
                "seed, no state kept between calls)")

    def frame_alt(self, values: Mapping) -> str:
        """The alt text of the frame at ``values``: what *this* frame shows.

        ``alt`` may be a function ``alt(**values) -> str`` (say what the reader should
        notice at these values); a string is completed with the values themselves.
        """
        if callable(self.alt):
            text = self.alt(**values)
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"alt(**{dict(values)}) must return a non-empty string, "
                                 f"got {text!r}")
            return text.strip()
        shown = ", ".join(f"{p.label} = {p.text(values[p.name])}" for p in self.params)
        base = (self.alt or self.caption or "Interactive figure").strip().rstrip(".")
        return f"{base}. Shown: {shown}."

    def initial_index(self) -> tuple[int, ...]:
        return tuple(p.values.index(self.initial[p.name]) for p in self.params)

    # -- static HTML ------------------------------------------------------------------
    def to_html(self) -> str:
        """Self-contained HTML: range inputs, the frames and a tiny inline script."""
        el_id = "cl-slider-" + uuid.uuid4().hex[:12]
        data = {
            "sizes": self.sizes,
            "labels": [[p.text(v) for v in p.values] for p in self.params],
            "frames": [base64.b64encode(f).decode("ascii") for f in self.frames()],
            "alts": [self.frame_alt(c) for c in self.combos()],
        }
        start = self.initial_index()
        first = data["frames"][int(np.ravel_multi_index(start, data["sizes"]))]
        rows = []
        for i, (p, k) in enumerate(zip(self.params, start)):
            in_id = f"{el_id}-{i}"
            rows.append(
                '<div class="cl-slider-row">'
                f'<label class="cl-slider-name" for="{in_id}">{html.escape(p.label)}</label>'
                f'<input type="range" id="{in_id}" min="0" max="{len(p.values) - 1}" step="1" '
                f'value="{k}">'
                f'<output data-param="{i}" for="{in_id}" aria-live="polite">'
                f'{html.escape(p.text(p.values[k]))}</output>'
                "</div>"
            )
        caption = (f'<figcaption class="cl-slider-caption">{html.escape(self.caption)}</figcaption>'
                   if self.caption else "")
        alt = html.escape(data["alts"][int(np.ravel_multi_index(start, data["sizes"]))],
                          quote=True)
        payload = json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")
        return (
            f'<figure class="cl-slider" id="{el_id}">'
            + "".join(rows)
            + f'<img class="cl-slider-frame" alt="{alt}" src="data:image/png;base64,{first}">'
            + caption
            + f'<script type="application/json">{payload}</script>'
            + "<script>" + _slider_js() + f"clSlider({json.dumps(el_id)});</script>"
            + "</figure>"
        )

    def to_preview_html(self) -> str:
        """What a notebook shows without a kernel when the frames were drawn lazily: the
        initial frame, the values it shows and a note that the slider needs a kernel."""
        first = base64.b64encode(self.frame(self.initial)).decode("ascii")
        alt = html.escape(self.frame_alt(self.initial), quote=True)
        shown = ", ".join(f"{html.escape(p.label)} = {html.escape(p.text(self.initial[p.name]))}"
                          for p in self.params)
        caption = (f'<figcaption class="cl-slider-caption">{html.escape(self.caption)}</figcaption>'
                   if self.caption else "")
        return (
            '<figure class="cl-slider cl-slider-preview">'
            f'<img class="cl-slider-frame" alt="{alt}" src="data:image/png;base64,{first}">'
            + caption
            + f'<p class="cl-slider-note">Shown: {shown}. The other {self.n_frames() - 1} '
            "positions of this slider render when the notebook runs in a kernel "
            "(run the cell), and in the course's static book.</p>"
            + "</figure>"
        )

    # -- live widget ------------------------------------------------------------------
    def widget(self):
        """The live ipywidgets version: one slider per parameter above an Image."""
        if self._widget is not None:
            return self._widget
        import ipywidgets as w

        controls = []
        for p in self.params:
            controls.append(w.SelectionSlider(
                options=[(p.text(v), v) for v in p.values],
                value=self.initial[p.name],
                description=p.label,
                continuous_update=True,
                style={"description_width": "initial"},
                layout=w.Layout(width="min(100%, 34em)"),
            ))
        image = w.Image(format="png", value=self.frame(self.initial))

        def redraw(_change=None):
            image.value = self.frame({p.name: c.value for p, c in zip(self.params, controls)})

        for c in controls:
            c.observe(redraw, names="value")
        parts = controls + [image]
        if self.caption:
            parts.append(w.HTML(f"<em>{html.escape(self.caption)}</em>"))
        self._widget = w.VBox(parts)
        return self._widget

    # -- display ----------------------------------------------------------------------
    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/plain": f"<slider: {', '.join(p.name for p in self.params)}; "
                                f"{self.n_frames()} frames>",
                  "text/html": (self.to_html() if self.eager or self.is_complete()
                                else self.to_preview_html())}
        try:
            view = self.widget()._repr_mimebundle_()
        except Exception:  # no ipywidgets comm available: the HTML version still works
            view = None
        if view:
            bundle.update({k: v for k, v in view.items() if k != "text/plain"})
        return bundle


def _name(fn) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)


def slider(draw: Callable[..., Any], *, caption: str = "", alt: str | Callable[..., str] = "",
           figsize=DEFAULT_FIGSIZE, dpi: int = DEFAULT_DPI, initial: Mapping | None = None,
           **params) -> StaticSlider:
    """One-line interactive figure that works in Jupyter and in the static book.

    Parameters
    ----------
    draw : callable
        ``draw(fig, **values)`` draws on the ``matplotlib.figure.Figure`` it is given
        (add axes with ``fig.subplots()``); it must not use pyplot. Pure: same values,
        same picture.
    **params : sequence of numbers or Param
        One keyword per slider, e.g. ``theta=np.linspace(0, 180, 19)``; the product of
        the grid sizes is the number of frames (at most :data:`MAX_FRAMES`).
    initial : mapping, optional
        Starting value per parameter (must be on its grid); default: the middle value.
    caption : str
        Caption under the figure: the question the reader answers with the slider.
    alt : str or callable
        Alternative text of the frames. Best a function ``alt(**values) -> str`` that says
        what *that* frame shows (the values and what to notice), called once per frame; a
        string is completed with the frame's values.

    Returns
    -------
    StaticSlider
        Display it (last expression of a cell): Jupyter shows the live widget, the static
        book shows the pre-rendered version. The initial frame is drawn now (every frame
        when ``CALCLIB_STATIC_FRAMES`` is set, as in the book's build), so errors in
        ``draw`` show in this cell.
    """
    if not callable(draw):
        raise TypeError(f"draw must be a function draw(fig, **values), got {type(draw).__name__}")
    if not (isinstance(alt, str) or callable(alt)):
        raise TypeError(f"alt must be a string or a function alt(**values), got {type(alt).__name__}")
    if not params:
        raise ValueError("slider needs at least one parameter, e.g. theta=np.linspace(0, 180, 19)")
    ps = tuple(_as_param(name, spec) for name, spec in params.items())
    n_frames = int(np.prod([len(p.values) for p in ps]))
    if n_frames > MAX_FRAMES:
        raise ValueError(
            f"{n_frames} frames exceed MAX_FRAMES={MAX_FRAMES} "
            f"({' x '.join(str(len(p.values)) for p in ps)}); use coarser grids"
        )
    start = {}
    for p in ps:
        if initial is not None and p.name in initial:
            v = initial[p.name]
            # the nearest grid value, if it equals v up to rounding; a tolerance relative
            # to the grid's scale (np.isclose's absolute 1e-8 would match every value of
            # a grid like 1e-10, 1e-9, 1e-8)
            grid = np.asarray(p.values, dtype=float)
            try:
                dist = np.abs(grid - float(v))
            except (TypeError, ValueError):
                raise TypeError(f"initial value of {p.name!r} must be a number, got {v!r}") from None
            k = int(np.argmin(dist))
            if not dist[k] <= 1e-9 * np.max(np.abs(grid)):
                raise ValueError(f"initial value {v!r} of {p.name!r} is not on its grid {p.values}")
            start[p.name] = p.values[k]
        else:
            start[p.name] = p.values[len(p.values) // 2]
    if initial is not None:
        unknown = set(initial) - {p.name for p in ps}
        if unknown:
            raise ValueError(f"initial names unknown parameters: {sorted(unknown)}")
    s = StaticSlider(draw=draw, params=ps, initial=start, caption=caption, alt=alt,
                     figsize=tuple(figsize), dpi=int(dpi), eager=static_frames_wanted())
    s._prepare()
    return s
