r"""Self-check blocks: "Check your understanding" questions that answer on the page.

Every section ends with one block of two to four questions. The block is plain HTML with a
few lines of JavaScript (``calclib/static/selfcheck.js``) and CSS, written into the cell's
output, so it works in the static book opened from disk (no kernel, no network) and in
Jupyter alike, with the keyboard as well as the mouse; feedback is announced to screen
readers (``role="status"``). A chapter writes, in a cell tagged ``remove-input``::

    cl.selfcheck(
        cl.numeric("What is the L1 norm of (3, -4)?", answer=cl.norm(v, 1), tol=1e-6,
                   wrong={5.0: "That is the L2 norm."}, explain="|3| + |-4| = 7."),
        cl.choice("Which vector is a unit vector?", ["(1, 1)", "(0.6, 0.8)"], correct=1,
                  why={0: "Its length is sqrt(2)."}, explain="0.36 + 0.64 = 1."),
        title="Check your understanding: 2.1",
    )

Answers are computed by the page's own code (pass the computed value, never a typed one).
``wrong`` maps a plausible wrong answer to the explanation the reader sees when they give
it; ``why`` does the same for each wrong option of a multiple choice. :func:`pictures`
is a multiple choice whose options are small figures drawn by pure ``draw(fig)``
functions, as for sliders.

Why not a library: ``jupyterquiz`` renders its questions from JavaScript it loads at run
time and its options are clickable ``div`` elements (not reachable by keyboard, no
accessible names); ``sphinx-exercise`` and ``sphinx-togglebutton`` reveal a solution but
cannot check an answer. A fieldset of native inputs is accessible by construction.

Section: every section (chapter 1, "How to read this book", introduces them).
"""

from __future__ import annotations

import base64
import html
import io
import json
import numbers
from dataclasses import dataclass, field
from importlib import resources
from typing import Callable, Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

__all__ = ["Numeric", "Choice", "SelfCheck", "numeric", "choice", "pictures", "selfcheck"]


def _text(value, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")
    return value.strip()


def _finite(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        arr = np.asarray(value)
        if arr.shape != () or not np.issubdtype(arr.dtype, np.number):
            raise TypeError(f"{what} must be a real number, got {value!r}")
        value = arr.item()
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return value


@dataclass(frozen=True)
class Numeric:
    """A question answered by a number, accepted within ``tol`` of ``answer``."""

    question: str
    answer: float
    tol: float
    explain: str
    wrong: tuple[tuple[float, str], ...] = ()
    hint: str = "Not this value. Look at the section's computation again."

    def _html(self, qid: str) -> str:
        data = {
            "kind": "numeric", "answer": repr(self.answer), "tol": repr(self.tol),
            "explain": self.explain, "hint": self.hint,
            "wrong": json.dumps([[w, why] for w, why in self.wrong]),
        }
        attrs = " ".join(f'data-{k}="{html.escape(str(v), quote=True)}"' for k, v in data.items())
        return (
            f'<fieldset {attrs}><legend id="{qid}-q">{html.escape(self.question)}</legend>'
            f'<input type="text" inputmode="decimal" autocomplete="off" id="{qid}-in" '
            f'aria-labelledby="{qid}-q">'
            f'<button type="button" class="cl-check">Check</button>'
            f'<p class="cl-feedback" role="status" aria-live="polite"></p></fieldset>'
        )


@dataclass(frozen=True)
class Choice:
    """A multiple-choice question; ``options`` are text or ``("img", data-URI, alt)``."""

    question: str
    options: tuple
    correct: int
    explain: str
    why: tuple[str, ...] = field(default=())

    def _html(self, qid: str) -> str:
        opts = []
        for i, opt in enumerate(self.options):
            if isinstance(opt, tuple):
                _, uri, alt = opt
                body = f'<img src="{uri}" alt="{html.escape(alt, quote=True)}">'
            else:
                body = html.escape(opt)
            why = html.escape(self.why[i], quote=True)
            opts.append(f'<label><input type="radio" name="{qid}" value="{i}" '
                        f'data-why="{why}"> {body}</label>')
        return (
            f'<fieldset data-kind="choice" data-correct="{self.correct}" '
            f'data-explain="{html.escape(self.explain, quote=True)}">'
            f'<legend>{html.escape(self.question)}</legend>'
            f'<div class="cl-options">{"".join(opts)}</div>'
            f'<button type="button" class="cl-check">Check</button>'
            f'<p class="cl-feedback" role="status" aria-live="polite"></p></fieldset>'
        )


def numeric(question: str, answer, *, explain: str, tol=None,
            wrong: Mapping | None = None, hint: str | None = None) -> Numeric:
    """A numeric question. ``answer`` comes from the page's computation.

    ``tol`` (default: 1e-3 relative to ``answer``, at least 1e-9) is the accepted distance.
    ``wrong`` maps plausible wrong answers to the explanation shown for each; a wrong
    answer within ``tol`` of the right one is refused (the reader could not be told apart).
    """
    q = _text(question, "question")
    a = _finite(answer, "answer")
    t = max(1e-3 * abs(a), 1e-9) if tol is None else _finite(tol, "tol")
    if t <= 0:
        raise ValueError(f"tol must be positive, got {tol!r}")
    pairs = []
    for w, why in (wrong or {}).items():
        w = _finite(w, "a wrong answer")
        if abs(w - a) <= t:
            raise ValueError(f"wrong answer {w!r} is within tol={t!r} of the answer {a!r}")
        pairs.append((w, _text(why, f"the explanation for wrong answer {w!r}")))
    return Numeric(q, a, t, _text(explain, "explain"), tuple(pairs),
                   _text(hint, "hint") if hint is not None else Numeric.hint)


def choice(question: str, options: Sequence[str], *, correct: int, explain: str,
           why: Mapping[int, str]) -> Choice:
    """A multiple choice. ``why[i]`` explains why option ``i`` is wrong (every wrong one)."""
    q = _text(question, "question")
    opts = tuple(_text(o, f"option {i}") if not isinstance(o, tuple) else o
                 for i, o in enumerate(options))
    return _choice(q, opts, correct, explain, why)


def _choice(q, opts, correct, explain, why) -> Choice:
    if len(opts) < 2:
        raise ValueError(f"a multiple choice needs at least 2 options, got {len(opts)}")
    if isinstance(correct, bool) or not isinstance(correct, (int, np.integer)) \
            or not 0 <= correct < len(opts):
        raise ValueError(f"correct must be an option index 0..{len(opts) - 1}, got {correct!r}")
    why = dict(why or {})
    missing = [i for i in range(len(opts)) if i != correct and i not in why]
    if missing:
        raise ValueError(f"every wrong option needs an explanation: why[{missing[0]}] is missing")
    if correct in why:
        raise ValueError(f"why[{correct}] explains the correct option; use explain= for it")
    reasons = tuple("" if i == correct else _text(why[i], f"why[{i}]") for i in range(len(opts)))
    return Choice(q, opts, int(correct), _text(explain, "explain"), reasons)


def _figure_uri(draw: Callable, figsize, dpi) -> str:
    fig = Figure(figsize=figsize, dpi=dpi)
    draw(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def pictures(question: str, draws: Sequence[Callable], *, alts: Sequence[str], correct: int,
             explain: str, why: Mapping[int, str], figsize=(2.6, 2.0), dpi: int = 72) -> Choice:
    """"Which picture?": options drawn by pure ``draw(fig)`` functions, each with alt text."""
    q = _text(question, "question")
    if len(alts) != len(draws):
        raise ValueError(f"one alt text per picture: {len(draws)} pictures, {len(alts)} alts")
    opts = []
    for i, (draw, alt) in enumerate(zip(draws, alts)):
        if not callable(draw):
            raise TypeError(f"picture {i} must be a function draw(fig), got {type(draw).__name__}")
        opts.append(("img", _figure_uri(draw, figsize, dpi), _text(alt, f"alts[{i}]")))
    return _choice(q, tuple(opts), correct, explain, why)


def _asset(name: str) -> str:
    return resources.files("calclib").joinpath("static", name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class SelfCheck:
    """A block of questions; displays itself as HTML (Jupyter and the static book)."""

    title: str
    questions: tuple

    def to_html(self) -> str:
        slug = "".join(ch if ch.isalnum() else "-" for ch in self.title.lower()).strip("-")
        parts = [q._html(f"cl-{slug}-{i}") for i, q in enumerate(self.questions)]
        return (
            f'<style>{_asset("selfcheck.css")}</style>'
            f'<section class="cl-selfcheck mathjax_process" aria-labelledby="cl-{slug}">'
            f'<p class="cl-title" id="cl-{slug}">{html.escape(self.title)}</p>'
            f'{"".join(parts)}</section>'
            f'<script>{_asset("selfcheck.js")}</script>'
        )

    def _repr_html_(self) -> str:
        return self.to_html()


def selfcheck(*questions, title: str) -> SelfCheck:
    """The "Check your understanding" block of a section (2 to 4 questions).

    ``title`` names the section, e.g. ``"Check your understanding: 2.1"``: it labels the
    block for screen readers, so it must be unique on the page.
    """
    t = _text(title, "title")
    if not 1 <= len(questions) <= 4:
        raise ValueError(f"a self-check block has 1 to 4 questions, got {len(questions)}")
    for i, q in enumerate(questions):
        if not isinstance(q, (Numeric, Choice)):
            raise TypeError(f"question {i} must come from cl.numeric, cl.choice or cl.pictures, "
                            f"got {type(q).__name__}")
    return SelfCheck(t, tuple(questions))
