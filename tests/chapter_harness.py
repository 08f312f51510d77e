"""Run a chapter's code the way the book does, but record instead of display.

Every ``tests/test_chNN_facts.py`` starts from :func:`run_chapter`: the chapter's code cells
are executed in order in one namespace; ``cl.slider`` is the real one (it validates the
grid; outside a book build it renders no frame) and is recorded; ``glue`` is recorded; a
cell tagged ``raises-exception`` must raise. The tests then draw single frames with
:func:`frame` and read grids with :func:`grid`, so they see the very draw functions, grids
and glued numbers the reader sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import jupytext
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import calclib  # noqa: E402

GLUE_TEXT = re.compile(r"\{glue:text\}`(\w+)")


@dataclass
class ChapterRun:
    path: Path
    ns: dict
    sliders: dict = field(default_factory=dict)   # draw function name -> StaticSlider
    glued: dict = field(default_factory=dict)     # glue name -> value
    raised: list = field(default_factory=list)    # exceptions of raises-exception cells
    figures: list = field(default_factory=list)   # (where, Figure): the static figures, in order

    @property
    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

    def glue_names_in_prose(self) -> set[str]:
        return set(GLUE_TEXT.findall(self.text))


def _python(source: str) -> str:
    """The cell's source without IPython magics (lines starting with % or !)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())


def run_chapter(path: Path) -> ChapterRun:
    """Execute the chapter's code cells; record sliders, glued values and expected errors."""
    run = ChapterRun(path=Path(path), ns={"__name__": Path(path).stem})
    real_slider = calclib.slider

    def record_slider(draw, **kwargs):
        s = real_slider(draw, **kwargs)
        name = draw.__name__
        if name in run.sliders:
            raise AssertionError(f"two sliders draw with {name}: give each its own function")
        run.sliders[name] = s
        return s

    def record_glue(name, value, display=True):
        if name in run.glued:
            raise AssertionError(f"glue name {name!r} used twice")
        run.glued[name] = value

    cells = [c for c in jupytext.read(path).cells if c.cell_type == "code"]
    calclib.slider = record_slider
    try:
        for n, cell in enumerate(cells, start=1):
            src = compile(_python(cell.source), f"{run.path.name}, code cell {n}", "exec")
            if "raises-exception" in cell.metadata.get("tags", []):
                try:
                    exec(src, run.ns)
                except Exception as exc:  # noqa: BLE001 - the cell's point is to raise
                    run.raised.append(exc)
                else:
                    raise AssertionError(f"{run.path.name}, code cell {n} is tagged "
                                         "raises-exception but raised nothing")
            else:
                exec(src, run.ns)
            for num in matplotlib.pyplot.get_fignums():     # the figures this cell showed
                fig = matplotlib.pyplot.figure(num)
                run.figures.append((f"{run.path.name}, code cell {n}, figure {len(run.figures) + 1}", fig))
                matplotlib.pyplot.close(fig)
            if n == 1:
                run.ns["glue"] = record_glue          # the imports cell brought the real one
    finally:
        calclib.slider = real_slider
        matplotlib.pyplot.close("all")
    return run


def grid(slider, name: str) -> np.ndarray:
    """The values of one of a slider's parameters, as floats."""
    for p in slider.params:
        if p.name == name:
            return np.array(p.values, dtype=float)
    raise KeyError(f"{slider.draw.__name__} has no parameter {name!r}: "
                   f"{[p.name for p in slider.params]}")


def frame(slider, **values) -> Figure:
    """One frame of the slider, drawn on a fresh figure the size the book uses."""
    fig = Figure(figsize=slider.figsize, dpi=slider.dpi, layout="constrained")
    slider.draw(fig, **values)
    return fig


def titles(fig: Figure) -> list[str]:
    return [ax.get_title() for ax in fig.axes]


def plain_numbers(glued: dict) -> dict:
    """Glued values that are not plain int/float (NumPy scalars print as 'np.float64(…)')."""
    return {k: type(v).__name__ for k, v in glued.items()
            if type(v) not in (int, float, str)}


def assert_glue_is_quoted(run: ChapterRun) -> None:
    """Every number the prose quotes is glued, as a plain number, and every glued one is quoted."""
    used = run.glue_names_in_prose()
    assert used, "the prose quotes no computed number"
    assert used <= set(run.glued), used - set(run.glued)
    assert not plain_numbers(run.glued), plain_numbers(run.glued)
    assert set(run.glued) <= used, f"glued but never quoted: {set(run.glued) - used}"


def section_text(text: str, number: str) -> str:
    """The text of section ``number`` ("9.2") of a chapter, from its ``## 9.2 ...`` heading to
    the next ``## `` heading (chapters splice their sections into one file)."""
    m = re.search(rf"^## {re.escape(number)} ", text, re.M)
    if m is None:
        raise AssertionError(f"the chapter has no '## {number} ...' heading")
    nxt = text.find("\n## ", m.start() + 3)
    return text[m.start():] if nxt < 0 else text[m.start():nxt]


def section_names(text: str) -> set[str]:
    """The module-level names the code cells of ``text`` (one section) define: functions,
    classes and assignment or loop targets. Sections spliced into one chapter share one
    namespace, so each section prefixes its names; the facts tests check that with this."""
    import ast

    names = set()
    for src in re.findall(r"```\{code-cell\} ipython3\n(.*?)```", text, re.S):
        body = re.sub(r"\A---\n.*?\n---\n", "", src, flags=re.S)
        body = "\n".join(ln for ln in body.splitlines() if not ln.startswith(":tags:"))
        for node in ast.parse(body).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    names |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


#: the longest alt text a frame may have (a screen reader reads it whole at every step)
ALT_MAX = 350
#: markup that alt text must not carry: LaTeX, Markdown, HTML
ALT_MARKUP = re.compile(r"[$`\\]|\*\*|\]\(|</?[a-z]")
NUMBER = r"([-+−]?\d+(?:\.\d+)?(?:e[-+]\d+)?)"


def static_slider(draw, *, caption="", alt="", initial=None, **params):
    """The slider ``cl.slider(draw, ...)`` makes, built without drawing any frame: for the
    facts tests whose recorders replace ``cl.slider``; its ``frame_alt`` is the book's."""
    ps = tuple(p if isinstance(p, calclib.Param) else calclib.Param(k, p)
               for k, p in params.items())
    start = {p.name: p.values[len(p.values) // 2] for p in ps}
    return calclib.sliders.StaticSlider(draw=draw, params=ps, initial=start, caption=caption,
                                        alt=alt)


def frame_alts(slider) -> dict:
    """The alt text of every frame, keyed by the frame's values (a tuple, in parameter
    order), once checked against what every slider's alt text must be: the slider's own
    ``alt(**values)`` function (not the generic "caption. Shown: ..."), a different
    non-empty plain text (no LaTeX, Markdown or HTML) of at most :data:`ALT_MAX` characters
    for every frame, naming the frame's slider values as the slider's labels print them."""
    name = slider.draw.__name__
    assert callable(slider.alt), f"{name}: pass alt=alt_<name>, a function of the values"
    alts = {}
    for values in slider.combos():
        text = slider.frame_alt(values)
        assert text and len(text) <= ALT_MAX, (name, values, len(text), text)
        assert not ALT_MARKUP.search(text), (name, values, text)
        for p in slider.params:
            assert p.text(values[p.name]) in text, (name, p.name, p.text(values[p.name]), text)
        alts[tuple(values.values())] = text
    assert len(set(alts.values())) == len(alts), f"{name}: two frames share an alt text"
    return alts


def number_after(text: str, label: str) -> float:
    """The number printed right after ``label`` in ``text`` ("a·b = -2.20" -> -2.2)."""
    m = re.search(re.escape(label) + r"\s*" + NUMBER, text)
    assert m, f"no number after {label!r} in {text!r}"
    return float(m.group(1).replace("−", "-"))
