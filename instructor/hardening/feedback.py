"""Feedback for the student: per-part scores, hidden tests hidden, math offline.

:class:`FeedbackRedactor` and :class:`OfflineFeedbackExporter`: the feedback HTML has a
per-part score table, shows no hidden test source and no traceback that quotes it, and
carries MathJax and its fonts inline, so the math renders offline.
"""

from __future__ import annotations

import base64
import json
import re
import textwrap
from pathlib import Path

import nbformat
from nbconvert.exporters import HTMLExporter
from nbformat.notebooknode import NotebookNode
from traitlets import Bool, Dict, Integer, List, Unicode

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor

from .notebook import (HIDDEN_BEGIN, METADATA_KEY, _nbg, _output_texts, _own_lines, findings,
                       hidden_lines, parts_of)


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class FeedbackRedactor(NbGraderPreprocessor):
    """Prepares the autograded notebook for the student (runs after GetGrades).

    * a hidden test cell shows only the lines before ``### BEGIN HIDDEN TESTS`` (its
      description) and one short line: passed, or the failure message of its assertion
      (never its source or a traceback, which would quote it);
    * any output elsewhere that contains a line of a hidden test is removed;
    * a table at the top gives the score of each part, and lists the autograder's notes.
    """

    show_failure_message = Bool(True, help=(
        "Show the message of a failing hidden test's assertion (written by the instructor "
        "to say what is wrong; it contains no test source).")).tag(config=True)
    max_message_chars = Integer(600).tag(config=True)
    display_data_priority = List(config=True)  # set for every nbgrader preprocessor by the app

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            source_nb = gb.find_notebook(info["notebook"], info["assignment"])
            master = {c.name: c.source or "" for c in source_nb.source_cells}
            review = set()
            for c in nb.cells:
                gid = _nbg(c).get("grade_id")
                if gid and _nbg(c).get("grade"):
                    try:
                        if gb.find_grade(gid, info["notebook"], info["assignment"],
                                         info["student"]).needs_manual_grade:
                            review.add(gid)
                    except MissingEntry:
                        pass
        hidden = set()
        for src in master.values():
            if HIDDEN_BEGIN in src:
                hidden |= hidden_lines(src, min_length=12)
        hidden -= _own_lines(nb)
        for cell in nb.cells:
            gid = _nbg(cell).get("grade_id")
            if cell.cell_type == "code" and gid and HIDDEN_BEGIN in master.get(gid, ""):
                self._hide(cell, master[gid])
            elif cell.cell_type == "code":
                kept = []
                for out in cell.get("outputs", []):
                    if hidden and any(line in t for t in _output_texts({"outputs": [out]}) for line in hidden):
                        kept.append(nbformat.v4.new_output(
                            "stream", name="stdout",
                            text="[output removed: it contained text of a hidden test]\n"))
                    else:
                        kept.append(out)
                cell.outputs = kept
        waiting = self.pending_parts(nb, review)
        nb.cells.insert(0, self._summary(nb, review, waiting))
        nb.metadata.pop(METADATA_KEY, None)
        # for OfflineFeedbackExporter: the parts nbgrader's template would show as "Score: 0"
        resources.setdefault("course_feedback", {})["pending"] = waiting
        return nb, resources

    @staticmethod
    def pending_parts(nb, review: set) -> dict[str, float]:
        """``{grade_id: points}`` of the hand-graded cells that still wait for a person."""
        out = {}
        for c in nb.cells:
            m = _nbg(c)
            gid = m.get("grade_id")
            if gid and m.get("grade") and m.get("solution") and (m.get("score") is None or gid in review):
                out[gid] = float(m.get("points") or 0)
        return out

    def _hide(self, cell, master_source: str) -> None:
        visible = master_source.split("\n")
        head = []
        for line in visible:
            if HIDDEN_BEGIN in line:
                break
            head.append(line)
        cell.source = "\n".join(head).rstrip() + "\n# (the hidden test code is not shown)"
        meta = _nbg(cell)
        score, points = meta.get("score"), meta.get("points")
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        stderr = any(o.output_type == "stream" and o.name == "stderr" for o in cell.get("outputs", []))
        if errors or stderr or (score is not None and points and float(score) < float(points)):
            text = "Hidden test failed"
            err = errors[-1] if errors else None
            ours = [e for e in errors if e.ename in ("CellTimeoutError", "KernelDied", "NotRun",
                                                     "OutputTooLarge", "GradingEnvironmentModified")]
            if ours and ours[-1].evalue:
                text += ": " + _ANSI.sub("", ours[-1].evalue)
            elif ours:  # nbgrader's own timeout error has no message
                text += ": it did not finish within the time limit"
            elif err is not None and self.show_failure_message and err.evalue:
                message = _ANSI.sub("", err.evalue)
                if len(message) > self.max_message_chars:
                    message = message[:self.max_message_chars] + " ..."
                text += f": {err.ename}: {message}"
            elif err is not None:
                text += f" ({err.ename})"
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text + "\n")]
        else:
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="Hidden tests passed.\n")]

    @staticmethod
    def _summary(nb, review: set, waiting: dict[str, float]) -> NotebookNode:
        rows = ["| Part | Score | |", "|---|---|---|"]
        total = possible = 0.0
        found = findings(nb)
        for part, cells in parts_of(nb.cells).items():
            score = points = 0.0
            for c in nb.cells:
                m = _nbg(c)
                if m.get("grade_id") in cells:
                    points += float(m.get("points") or 0)
                    if m.get("score") is not None:
                        score += float(m["score"])
            total += score
            possible += points
            note, shown = "", f"{score:g}"
            if part in waiting:                  # a hand-graded part is its own part
                note, shown = "to be graded by a person", "–"
            elif any(gid in review for gid in cells):
                note = "held for review"
            rows.append(f"| `{part}` | {shown} / {points:g} | {note} |")
        rows.append(f"| **Total** | **{total:g} / {possible:g}** | "
                    + (f"{sum(waiting.values()):g} of the points to be graded by a person" if waiting else "")
                    + " |")
        text = "### Your scores, part by part\n\n" + "\n".join(rows)
        notes = list(dict.fromkeys(f["message"] for f in found))
        if notes:
            text += "\n\n**Notes from the autograder**\n\n" + "\n".join(f"- {n}" for n in notes)
        cell = nbformat.v4.new_markdown_cell(text)
        return cell


def _mathjax_bundle(mathjax_dir: str, macros: dict | None) -> str:
    """Inline HTML for MathJax 3 with its fonts as data URIs: math renders with no network."""
    base = Path(mathjax_dir)
    fonts = {}
    for woff in sorted((base / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff")):
        fonts[woff.name] = "data:font/woff;base64," + base64.b64encode(woff.read_bytes()).decode()
    config = {
        "tex": {"inlineMath": [["$", "$"], ["\\(", "\\)"]], "displayMath": [["$$", "$$"], ["\\[", "\\]"]],
                "processEscapes": True, "processEnvironments": True, "macros": macros or {},
                "packages": {"[-]": ["autoload", "require"]}},
        "options": {"ignoreHtmlClass": "tex2jax_ignore", "processHtmlClass": "tex2jax_process"},
        "chtml": {"fontURL": "nbgrader-inline-fonts"},
        "loader": {"load": []},
    }
    script = (base / "tex-chtml.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    # Before the output jax builds its @font-face rules, point every font at its data URI.
    ready = textwrap.dedent("""
        function () {
          var fonts = %s;
          var patch = function (table) {
            for (var key in table) {
              var rule = table[key];
              if (rule && typeof rule.src === 'string') {
                rule.src = rule.src.replace(/url\\("%%%%URL%%%%\\/([^"]+)"\\)/g, function (m, name) {
                  return fonts[name] ? 'url("' + fonts[name] + '")' : m;
                });
              }
            }
          };
          var chtml = MathJax._.output.chtml;
          patch(chtml.FontData.CHTMLFontData.defaultFonts);
          for (var name in (chtml.fonts || {})) {
            var module = chtml.fonts[name];
            for (var cls in module) {
              if (module[cls] && module[cls].defaultFonts) { patch(module[cls].defaultFonts); }
            }
          }
          MathJax.startup.defaultReady();
        }""") % json.dumps(fonts)
    return ("<script>window.MathJax = " + json.dumps(config)[:-1]
            + ', "startup": {"ready": ' + ready + "}};</script>\n<script>" + script + "</script>\n")


class OfflineFeedbackExporter(HTMLExporter):
    """nbgrader's feedback HTML, self-contained: MathJax 3 and its fonts inline (no CDN).

    nbgrader's feedback template calls the ``mathjax()`` macro, which loads MathJax 2 from
    cdnjs; a template loader placed first replaces that macro. The feedback is one HTML
    file (``nbgrader release_feedback`` copies only ``*.html``), so nothing may be linked.
    """

    mathjax_dir = Unicode("", help="Folder of the vendored MathJax 3 (with tex-chtml.js).").tag(config=True)
    tex_macros = Dict(help="TeX macros for the feedback (as in the book's _config.yml).").tag(config=True)
    _bundle = None

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        from jinja2 import DictLoader

        # an imported macro sees the environment's globals, not the render context
        macro = "{%- macro mathjax(url=None) -%}{{ nbgrader_offline_mathjax }}{%- endmacro %}"
        self.extra_loaders = [DictLoader({"mathjax.html.j2": macro})] + list(self.extra_loaders)

    def from_notebook_node(self, nb, resources=None, **kw):
        resources = self._init_resources(resources)
        directory = self.mathjax_dir
        if self._bundle is None:
            if directory and (Path(directory) / "tex-chtml.js").is_file():
                self._bundle = _mathjax_bundle(directory, self.tex_macros)
            else:
                self.log.warning("no vendored MathJax at %r: the feedback shows math as TeX source",
                                 directory)
                self._bundle = ""
        self.environment.globals["nbgrader_offline_mathjax"] = self._bundle
        html, resources = super().from_notebook_node(nb, resources, **kw)
        pending = (resources.get("course_feedback") or {}).get("pending") or {}
        return course_feedback_html(html, pending), resources


#: Long lines of output (a test's message) wrap instead of running off the page.
WRAP_CSS = """<style>
div.output_area pre, div.output_subarea pre, div.output_text pre {
  white-space: pre-wrap; overflow-wrap: anywhere; word-break: normal;
}
</style>
"""


def course_feedback_html(html: str, pending: dict[str, float]) -> str:
    """nbgrader's feedback page, saying what the course's score table says: a hand-graded
    part that waits for a person is "to be graded by a person", not "Score: 0.0 / 2.0",
    and the total says how many of its points are still to come. Long output lines wrap."""
    html = html.replace("</head>", WRAP_CSS + "</head>", 1)
    for gid, points in pending.items():
        label = f"to be graded by a person ({points:g} points)"
        # the table of contents: <a href="#gid">Written response</a> (Score: 0.0 / 2.0)
        html = re.sub(rf'(<a href="#{re.escape(gid)}">[^<]*</a>) \(Score: [^)]*\)',
                      lambda m: f"{m.group(1)} ({label})", html, count=1)
        # the cell's heading, after its anchor: Score: 0.0 / 2.0 <a href="#top">
        anchor = html.find(f'<a name="{gid}"></a>')
        if anchor >= 0:
            head = re.compile(r"Score: [0-9.]+ / [0-9.]+(?=\s*<a href=\"#top\">)")
            m = head.search(html, anchor)
            if m:
                html = html[:m.start()] + label[0].upper() + label[1:] + html[m.end():]
    if pending:
        waiting = sum(pending.values())
        html = re.sub(r"\(Score: ([0-9.]+) / ([0-9.]+)\)</h4>",
                      lambda m: (f"(Score so far: {m.group(1)} / {m.group(2)}; {waiting:g} of the points "
                                 "to be graded by a person)</h4>"), html, count=1)
    return html
