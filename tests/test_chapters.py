"""The section pattern of README's "How a section of this book is written", checked on the
chapter sources (no build needed), so that chapters 5-11 cannot drift from it.

Each rule here is one that an independent review of chapters 1-4 found broken:

- exactly one imports cell per chapter, the first code cell, these exact lines, and no
  other ``import`` anywhere in the chapter's code;
- at most two visible checks (``assert``, ``np.testing.assert_*``) per code cell: the ones
  that teach; regression guards live in tests or in cells the reader does not see;
- no check that compares formatted text (a number typed in the prose, then asserted);
- a cell that raises on purpose shows a short error (``%xmode Minimal``), not a traceback
  with the build machine's paths;
- every slider's caption asks a question and a collapsed "Answer" block follows it.
"""

from __future__ import annotations

import ast
import re

import jupytext
import pytest

from conftest import ROOT, chapter_files

IMPORTS = [
    "import numpy as np",
    "import matplotlib.pyplot as plt",
    "import calclib as cl",
    "from myst_nb import glue",
]
MAX_VISIBLE_CHECKS = 2
HIDDEN_TAGS = {"remove-cell", "remove-input"}

# Chapters still being brought to the pattern (issue 9). Their failures are expected
# (xfail) until the chapter is fixed, when the name is removed from this set.
CHAPTERS = chapter_files()


def _cells(chapter: str):
    nb = jupytext.read(ROOT / f"{chapter}.md")
    return nb.cells


def _code_cells(chapter: str):
    return [c for c in _cells(chapter) if c.cell_type == "code"]


def _python(source: str) -> str:
    """The cell's source without IPython magics (lines starting with % or !)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())


def _tags(cell) -> set[str]:
    return set(cell.metadata.get("tags", []))


def _checks(tree: ast.AST) -> list[ast.AST]:
    """assert statements and calls of np.testing.assert_* / assert_allclose-like helpers."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            found.append(node)
        elif isinstance(node, ast.Call):
            fn = node.func
            name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
            if name.startswith("assert_"):
                found.append(node)
    return found


def _is_text(node: ast.AST) -> bool:
    """A formatted string: an f-string, "...".format(...), "..." % x, or format(x, spec)."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Call):
        fn = node.func
        if isinstance(fn, ast.Attribute) and fn.attr == "format":
            return True
        if isinstance(fn, ast.Name) and fn.id in {"format", "str", "repr"}:
            return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return isinstance(node.left, ast.Constant) and isinstance(node.left.value, str)
    return False


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_one_imports_cell_first_and_no_other_imports(chapter):
    code = _code_cells(chapter)
    assert code, f"{chapter} has no code cells"
    first = [line.strip() for line in code[0].source.splitlines() if line.strip()]
    assert first == IMPORTS, (
        f"{chapter}: the first code cell must be exactly the imports cell\n"
        + "\n".join(IMPORTS) + f"\nbut it is\n{code[0].source}")
    for n, cell in enumerate(code[1:], start=2):
        for node in ast.walk(ast.parse(_python(cell.source))):
            assert not isinstance(node, (ast.Import, ast.ImportFrom)), (
                f"{chapter}, code cell {n}: `{ast.unparse(node)}` - every import belongs in "
                "the chapter's one imports cell (use np., cl. or what calclib provides)")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_at_most_two_visible_checks_per_cell(chapter):
    crowded = []
    for n, cell in enumerate(_code_cells(chapter), start=1):
        if _tags(cell) & HIDDEN_TAGS:
            continue
        checks = _checks(ast.parse(_python(cell.source)))
        if len(checks) > MAX_VISIBLE_CHECKS:
            crowded.append(f"code cell {n}: {len(checks)} checks, first line "
                           f"{cell.source.splitlines()[0]!r}")
    assert not crowded, (
        f"{chapter}: a visible cell shows the reader at most {MAX_VISIBLE_CHECKS} checks "
        "(those that teach); move regression guards to tests/ or a remove-cell cell:\n"
        + "\n".join(crowded))


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_check_compares_formatted_text(chapter):
    bad = []
    for n, cell in enumerate(_code_cells(chapter), start=1):
        for check in _checks(ast.parse(_python(cell.source))):
            for node in ast.walk(check):
                if isinstance(node, ast.Compare) and any(
                        _is_text(side) for side in [node.left, *node.comparators]):
                    bad.append(f"code cell {n}: {ast.unparse(check)[:100]}")
                    break
    assert not bad, (
        f"{chapter}: numbers in the prose come from the computation (glue), not typed text "
        "checked by an assert:\n" + "\n".join(bad))


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_raising_cells_show_a_short_error(chapter):
    for n, cell in enumerate(_code_cells(chapter), start=1):
        if "raises-exception" in _tags(cell):
            first = cell.source.lstrip().splitlines()[0].strip()
            assert first == "%xmode Minimal", (
                f"{chapter}, code cell {n} raises on purpose: start it with `%xmode Minimal` "
                "so the reader sees the error type and message, not the build machine's paths")


def _slider_caption(source: str) -> str | None:
    """The caption= text of a cl.slider(...) call in the cell, or None if there is none."""
    tree = ast.parse(_python(source))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "slider"):
            for kw in node.keywords:
                if kw.arg == "caption":
                    try:
                        return ast.literal_eval(kw.value)
                    except ValueError:
                        return ast.unparse(kw.value)
            return ""
    return None


ANSWER_BLOCK = re.compile(r"^:{3,}\s*\{(admonition|dropdown)\}[^\n]*\n(?:\s*:[a-z]+:[^\n]*\n)*",
                          re.M)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_slider_asks_and_a_collapsed_block_answers(chapter):
    cells = _cells(chapter)
    n_sliders = 0
    for i, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        caption = _slider_caption(cell.source)
        if caption is None:
            continue
        n_sliders += 1
        assert "?" in caption, (
            f"{chapter}: the slider caption must ask the reader a question (the reader "
            f"discovers, the page confirms), got: {caption!r}")
        after = cells[i + 1].source if i + 1 < len(cells) else ""
        blocks = [m.group(0) for m in ANSWER_BLOCK.finditer(after)]
        answer = [b for b in blocks if "Answer" in b.splitlines()[0]
                  and ("dropdown" in b)]
        assert answer, (
            f"{chapter}: right after the slider with caption {caption[:60]!r}… the next "
            "markdown must open with a collapsed answer block\n"
            ":::{admonition} Answer\n:class: dropdown\n…\n:::")
    assert n_sliders >= 1, f"{chapter} has no slider"


def _slider_calls(source: str) -> list[ast.Call]:
    """The cl.slider(...) calls of a cell's source."""
    return [n for n in ast.walk(ast.parse(_python(source)))
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and n.func.attr == "slider" and isinstance(n.func.value, ast.Name)
            and n.func.value.id == "cl"]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_slider_passes_an_alt_function(chapter):
    """Each frame of a slider needs alternative text that says what *that* frame shows, so
    every cl.slider(...) call passes alt=, a function of the slider's values (a string
    only becomes "text. Shown: a = ..." for every frame)."""
    n_calls = 0
    for n, cell in enumerate(_code_cells(chapter), start=1):
        calls = _slider_calls(cell.source)
        # every call is found: as many as the text `cl.slider(` outside comments
        code = "\n".join(line.split("#", 1)[0] for line in _python(cell.source).splitlines())
        assert len(calls) == code.count("cl.slider("), f"{chapter}, code cell {n}"
        for call in calls:
            n_calls += 1
            where = f"{chapter}, code cell {n}, cl.slider({ast.unparse(call.args[0])}, ...)"
            alt = [kw.value for kw in call.keywords if kw.arg == "alt"]
            assert alt, f"{where} passes no alt=: write alt_<name>(**values) -> str"
            assert not isinstance(alt[0], (ast.Constant, ast.JoinedStr, ast.BinOp)), (
                f"{where}: alt= must be a function of the slider's values, not a string")
    assert n_calls >= 1, f"{chapter} has no slider"


# ---- self-checks: one block at the end of every section, answers from the computation ----

SECTION = re.compile(r"^## (\d+\.\d+) ", re.M)


def _selfcheck_calls(source: str) -> list[ast.Call]:
    try:
        tree = ast.parse(_python(source))
    except SyntaxError:
        return []
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute) and n.func.attr == "selfcheck"]


def _sections(chapter: str) -> list[tuple[str, list]]:
    """(section number, its cells) for every `## N.M` heading of the chapter."""
    out = []
    for cell in _cells(chapter):
        heads = SECTION.findall(cell.source) if cell.cell_type == "markdown" else []
        if heads:
            out.append((heads[-1], [cell]))
        elif out:
            out[-1][1].append(cell)
    return out


def _is_typed_number(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp):
        node = node.operand
    if isinstance(node, ast.BinOp):
        return _is_typed_number(node.left) and _is_typed_number(node.right)
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float))


# chapter 1 (how to read the book) has no numbered sections; every other chapter has
SECTIONED = [c for c in CHAPTERS if not c.endswith("ch01-introduction")]


@pytest.mark.parametrize("chapter", SECTIONED)
def test_every_section_ends_with_a_self_check(chapter):
    """The last code cell of each `## N.M` section is one `cl.selfcheck(...)` of 2-4
    questions, shown without its code, after a `Check your understanding` heading."""
    sections = _sections(chapter)
    problems = []
    for number, cells in sections:
        code = [c for c in cells if c.cell_type == "code"]
        blocks = [c for c in code if _selfcheck_calls(c.source)]
        if len(blocks) != 1:
            problems.append(f"{number}: {len(blocks)} self-check cells (want exactly 1)")
            continue
        cell = blocks[0]
        if code[-1] is not cell:
            problems.append(f"{number}: the self-check must be the last code cell of the section")
        if "remove-input" not in _tags(cell):
            problems.append(f"{number}: tag the self-check cell remove-input (the reader "
                            "sees the questions, not the code with the answers)")
        n_questions = len(_selfcheck_calls(cell.source)[0].args)
        if not 2 <= n_questions <= 4:
            problems.append(f"{number}: {n_questions} questions (want 2 to 4)")
        md_before = [c for c in cells[:cells.index(cell)] if c.cell_type == "markdown"]
        if not md_before or "Check your understanding" not in md_before[-1].source:
            problems.append(f"{number}: put a '### Check your understanding' heading "
                            "(with a sentence) right before the block")
    assert sections, f"{chapter} has no `## N.M` section"
    assert not problems, f"{chapter}:\n" + "\n".join(problems)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_numeric_self_check_answers_come_from_the_computation(chapter):
    typed = []
    for n, cell in enumerate(_code_cells(chapter), start=1):
        for call in _selfcheck_calls(cell.source):
            for q in call.args:
                if (isinstance(q, ast.Call) and isinstance(q.func, ast.Attribute)
                        and q.func.attr == "numeric" and len(q.args) >= 2
                        and _is_typed_number(q.args[1])):
                    typed.append(f"code cell {n}: {ast.unparse(q.args[1])}")
    assert not typed, (
        f"{chapter}: a numeric self-check's answer must be computed by the page's code "
        "(a variable or an expression of the section's results), not typed:\n" + "\n".join(typed))


_BARE_REF = re.compile(r"(?<![`<\w])[Ss]ections? (\d+)\.\d+(?![\d`>])|(?<![`<\w])[Cc]hapters? (\d+)(?![\d.`>\w])")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_references_to_other_sections_are_checked_cross_references(chapter):
    """'section 9.2' and 'chapter 11' in the prose are {ref} roles to the sections' labels
    (``(sec-9-2)=``, ``(ch-11)=``), so the -W build fails when one points at nothing."""
    text = "\n".join(c.source for c in _cells(chapter) if c.cell_type == "markdown")
    labels = set(re.findall(r"^\((sec-\d+-\d+|ch-\d+)\)=$", "\n".join(
        (ROOT / f"{ch}.md").read_text() for ch in CHAPTERS), re.M))
    bare = []
    for line in text.splitlines():
        if line.lstrip().startswith(("#", ":::", ":")):
            continue
        for part in re.split(r"`[^`]*`", line):
            bare += [m[0] for m in _BARE_REF.finditer(part)]
    assert not bare, f"references not written as {{ref}}`section N.M <sec-N-M>`: {bare}"
    for target in re.findall(r"\{ref\}`[^`<]*<([^>]+)>`", text):
        if target.startswith(("sec-", "ch-")):
            assert target in labels, f"{{ref}} to {target}, which no chapter defines"


def test_every_static_figure_has_a_caption():
    """A code cell that makes a figure for the page (``fig = plt.figure(...)`` or
    ``plt.subplots(...)`` at its top level, not a slider's helper figure that it closes) carries
    a myst-nb figure caption, which the page shows under the figure."""
    missing = []
    for chapter in CHAPTERS:
        for n, cell in enumerate(_code_cells(chapter), start=1):
            src = cell.source
            if "remove-cell" in cell.metadata.get("tags", []) or "cl.slider(" in src or "plt.close(" in src:
                continue
            if re.search(r"^[\w, ()]*=\s*plt\.(subplots|figure)\(", src, re.M):
                if not cell.metadata.get("mystnb", {}).get("figure", {}).get("caption"):
                    missing.append(f"{chapter}, code cell {n}")
    assert not missing, missing
