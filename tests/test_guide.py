"""The instructor guide (``guide/*.md``) names only what exists, and names all of it.

Every ``make`` command line in the guide is a real target with real variables, and what
``make -n`` runs for it parses with the real ``python -m instructor`` parser; every
``python -m instructor`` line parses with that parser; every ``nbgrader <command>`` is a
real nbgrader command with real options; every ``c.Class.trait`` is a configurable trait
of nbgrader, nbconvert or ``instructor.hardening``; every repository path exists; the
pages are in the table of contents. In the other direction, every instructor target of
the Makefile, every variable it passes on, and every command and option of
``python -m instructor`` appears in the guide.

Each checker is also run on deliberately wrong input (``test_checkers_reject_...``), so a
checker that accepts everything cannot pass unnoticed.
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import io
import re
import shlex
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, toc_files

GUIDE_PAGES = ["guide/instructors", "guide/hardening"]
MAKEFILE = ROOT / "Makefile"

#: Top-level names the grading loop creates in a course folder (and .gitignore lists), so
#: that `submitted/alice/ch02/` is a place the guide describes, not a file of the repository.
RUNTIME = {"submitted", "autograded", "feedback", "downloaded", "logs", "release", "source",
           "gradebook.db", "grades.csv", "demo-class", ".venv", "_build"}
#: File types that are repository sources: a name ending in one of these is always checked.
SOURCE_SUFFIXES = {".py", ".md", ".yml", ".yaml", ".toml", ".lock", ".in", ".cfg", ".sh"}


# ---- reading the guide --------------------------------------------------------------------

def page_text(page: str) -> str:
    return (ROOT / f"{page}.md").read_text(encoding="utf-8")


def split_page(text: str) -> tuple[list[str], list[str]]:
    """``(code lines, inline code spans)``: the lines inside fenced blocks, and every
    ``\\`span\\``` of the prose (tables included; a span may wrap across lines)."""
    code, prose, fence = [], [], None
    for line in text.splitlines():
        m = re.match(r"^\s*(`{3,}|~{3,})", line)
        if fence is None and m:
            fence = m.group(1)
        elif fence is not None and line.strip().startswith(fence):
            fence = None
        elif fence is not None:
            code.append(line)
        else:
            prose.append(line)
    spans = re.findall(r"(?<!`)`([^`]+)`(?!`)", " ".join(prose))
    return code, [s.strip() for s in spans]


def segments(line: str) -> list[str]:
    """A shell line cut at comments and command separators: ``make demo   # or: python -m
    instructor demo`` gives both commands."""
    return [s.strip() for s in re.split(r"(?:^|\s)#\s?|&&|\|\||;|\|", line) if s.strip()]


MAKE_RE = re.compile(r"(?:^|[\s:])make\s+(?P<args>[^\s:].*)$")
INSTRUCTOR_RE = re.compile(r"(?:^|[\s:])(?:\S*/)?python3?\s+-m\s+instructor(?P<args>\s.*)?$")
NBGRADER_RE = re.compile(r"(?:^|[\s/])nbgrader\s+(?P<args>[a-z]\S*.*)$")


def argv(args: str) -> list[str]:
    """The words of a command as the guide writes it; ``[...]`` marks optional parts, which
    are checked as if given."""
    return shlex.split(args.replace("[", " ").replace("]", " "))


def commands(pages: list[str] = GUIDE_PAGES) -> dict[str, list[tuple[str, list[str]]]]:
    """``{"make"|"instructor"|"nbgrader": [(where, argv), ...]}`` from code and spans."""
    found: dict[str, list[tuple[str, list[str]]]] = {"make": [], "instructor": [],
                                                     "nbgrader": []}
    for page in pages:
        code, spans = split_page(page_text(page))
        for line in code + spans:
            for seg in segments(line):
                for kind, rx in (("make", MAKE_RE), ("instructor", INSTRUCTOR_RE),
                                 ("nbgrader", NBGRADER_RE)):
                    m = rx.search(seg)
                    if m and (m.group("args") or "").strip():
                        found[kind].append((f"{page}.md: {seg}", argv(m.group("args"))))
    return found


# ---- make ---------------------------------------------------------------------------------

def makefile_rules(makefile: Path = MAKEFILE) -> dict[str, list[str]]:
    """``{target: recipe lines}`` of a Makefile (no pattern rules, no special targets)."""
    rules: dict[str, list[str]] = {}
    current: list[str] = []
    for line in makefile.read_text().splitlines():
        if line.startswith("\t"):
            current.append(line[1:])
            continue
        m = re.match(r"^([A-Za-z0-9_][\w.-]*(?:\s+[A-Za-z0-9_][\w.-]*)*)\s*:(?!=)", line)
        if m:
            current = []
            for target in m.group(1).split():
                rules[target] = current
        elif line.strip() and not line.startswith("#"):
            current = []
    return rules


def makefile_variables(makefile: Path = MAKEFILE) -> set[str]:
    """Variables a Makefile uses: ``$(NAME)`` anywhere in it."""
    return set(re.findall(r"\$\(([A-Z][A-Z0-9_]*)\)", makefile.read_text()))


def check_make(args: list[str], makefile: Path = MAKEFILE) -> list[str]:
    """What is wrong with ``make *args``: unknown targets or variables, or an
    ``python -m instructor`` line (as ``make -n`` prints it) that the parser rejects."""
    rules, variables = makefile_rules(makefile), makefile_variables(makefile)
    targets = [a for a in args if "=" not in a and not a.startswith("-")]
    problems = [f"no such make target: {t}" for t in targets if t not in rules]
    if not targets:
        problems.append("no target")
    for a in args:
        name = a.split("=", 1)[0]
        if "=" in a and name not in variables:
            problems.append(f"the Makefile does not use the variable {name}")
    if problems or shutil.which("make") is None:
        return problems
    proc = subprocess.run(["make", "-n", "--no-print-directory", "-f", str(makefile), *args],
                          cwd=makefile.parent, capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        return [f"make -n failed: {proc.stderr.strip()[-300:]}"]
    for line in proc.stdout.splitlines():
        m = re.search(r"\s-m\s+instructor\s+(.*)$", line)
        if m:
            error = parse_error(shlex.split(m.group(1)))
            if error:
                problems.append(f"make runs `python -m instructor {m.group(1).strip()}`: {error}")
    return problems


# ---- python -m instructor -----------------------------------------------------------------

def instructor_parser() -> argparse.ArgumentParser:
    from instructor.cli import build_parser

    return build_parser()


def parse_error(args: list[str]) -> str | None:
    """None if ``python -m instructor *args`` parses, else argparse's message."""
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            instructor_parser().parse_args(args)
    except SystemExit as exc:
        if exc.code not in (0, None):  # --help exits with 0
            return (err.getvalue().strip().splitlines() or ["argparse error"])[-1]
    return None


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def long_options(parser: argparse.ArgumentParser) -> set[str]:
    return {o for a in parser._actions for o in a.option_strings
            if o.startswith("--") and o != "--help"}


# ---- nbgrader and traitlets ----------------------------------------------------------------

@lru_cache(maxsize=None)
def configurable_classes() -> dict[str, tuple[type, ...]]:
    """Every configurable class by name: nbgrader's (apps, preprocessors, plugins, exchange,
    CourseDirectory), nbconvert's ExecutePreprocessor, and instructor.hardening's; with
    their base classes (``HardenedExecute`` inherits ``Execute``'s traits)."""
    from nbconvert.preprocessors import ExecutePreprocessor
    from nbgrader.apps.nbgraderapp import NbGraderApp
    from nbgrader.exchange import default as default_exchange
    from traitlets.config import Configurable

    import instructor.hardening as hardening

    classes = list(NbGraderApp().all_configurable_classes()) + [ExecutePreprocessor]
    # nbgrader lists the abstract exchange classes twice and misses the default ones,
    # which hold e.g. Exchange.root
    classes += [getattr(default_exchange, n) for n in default_exchange.__all__]
    classes += [c for c in vars(hardening).values()
                if isinstance(c, type) and issubclass(c, Configurable)]
    by_name: dict[str, set[type]] = {}
    for cls in classes:
        if not (isinstance(cls, type) and issubclass(cls, Configurable)):
            continue  # e.g. ExchangeError
        for base in cls.mro():
            if isinstance(base, type) and issubclass(base, Configurable):
                by_name.setdefault(base.__name__, set()).add(base)
    return {k: tuple(v) for k, v in by_name.items()}


def trait_error(cls_name: str, trait: str) -> str | None:
    classes = configurable_classes().get(cls_name)
    if not classes:
        return f"no configurable class {cls_name}"
    if not any(trait in c.class_traits(config=True) for c in classes):
        return f"{cls_name} has no configurable trait {trait}"
    return None


TRAIT_RE = re.compile(r"\bc\.([A-Z]\w*)\.([A-Za-z_]\w*)")
CLI_TRAIT_RE = re.compile(r"(?:^|\s)--([A-Z]\w*)\.([A-Za-z_]\w*)")
SPAN_TRAIT_RE = re.compile(r"([A-Z]\w*)\.([a-z_]\w*)")


def traits_named(pages: list[str] = GUIDE_PAGES) -> list[tuple[str, str, str]]:
    """``(where, Class, trait)`` for ``c.Class.trait`` anywhere, ``--Class.trait=...`` in
    commands, and a code span that is exactly ``Class.trait``."""
    out = []
    for page in pages:
        text = page_text(page)
        code, spans = split_page(text)
        out += [(page, *m.groups()) for m in TRAIT_RE.finditer(text)]
        out += [(page, *m.groups()) for line in code + spans for m in CLI_TRAIT_RE.finditer(line)]
        out += [(page, *m.groups()) for s in spans if (m := SPAN_TRAIT_RE.fullmatch(s))]
    return out


def nbgrader_error(args: list[str]) -> str | None:
    """None if ``nbgrader *args`` names a real command with options it has."""
    from nbgrader.apps.nbgraderapp import NbGraderApp
    from traitlets.utils.importstring import import_item

    if not args or args[0] not in NbGraderApp.subcommands:
        return f"no nbgrader command {args[:1]}"
    app = NbGraderApp.subcommands[args[0]][0]
    app = import_item(app) if isinstance(app, str) else app
    command = [args[0]]
    rest = list(args[1:])
    # nested commands: `nbgrader db student import FILE`, `nbgrader db assignment add ...`
    while rest and isinstance(getattr(app, "subcommands", None), dict) \
            and rest[0] in app.subcommands:
        command.append(rest.pop(0))
        app = app.subcommands[command[-1]][0]
        app = import_item(app) if isinstance(app, str) else app
    args = [" ".join(command), *rest]
    names = set()
    for key in [*app.flags, *app.aliases]:
        names.update(key if isinstance(key, tuple) else (key,))
    for word in args[1:]:
        if not word.startswith("--"):
            continue
        name = word[2:].split("=", 1)[0]
        if "." in name:
            error = trait_error(*name.split(".", 1))
            if error:
                return error
        elif name not in names:
            return f"nbgrader {args[0]} has no option --{name}"
    return None


# ---- repository paths ----------------------------------------------------------------------

def repo_path_error(span: str, root: Path = ROOT) -> str | None:
    """None unless ``span`` looks like a path in the repository that does not exist.

    A span is a repository path when it has no spaces, quotes or URL, is not absolute,
    and either starts with a top-level entry of the repository (not one the grading loop
    creates, see RUNTIME) or names a source file (``.py``, ``.md``, ...). Placeholders
    (``solutions/<assignment>/``) are checked up to the first ``<``.
    """
    if (re.search(r"[\s'\"=]|://", span) or span.startswith(("/", "~", "-", "."))
            or ("/" not in span and Path(span).suffix not in SOURCE_SUFFIXES)):
        return None
    path = re.split(r"[<*{]", span, maxsplit=1)[0]
    if not path:
        return None
    first = path.split("/", 1)[0]
    if first in RUNTIME:
        return None
    if not (root / first).exists() and Path(span).suffix not in SOURCE_SUFFIXES:
        return None  # a name inside an LMS export, e.g. alice/ch02.ipynb
    return None if (root / path).exists() else f"no such file or folder in the repository: {path}"


# ---- the tests -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def found():
    return commands()


def test_the_guide_has_commands_to_check(found):
    # a parser bug that finds nothing would pass every test below
    assert len(found["make"]) >= 15, found["make"]
    assert len(found["instructor"]) >= 15, found["instructor"]
    assert len(found["nbgrader"]) >= 8, found["nbgrader"]


def test_every_make_command_is_real(found):
    problems = [f"{where}\n    {p}" for where, args in found["make"] for p in check_make(args)]
    assert not problems, "\n".join(problems)


def test_every_instructor_command_parses(found):
    """Lines with ``--exchange`` are checked like the others (the option exists since the
    JupyterHub exchange landed)."""
    problems = [f"{where}\n    {err}" for where, args in found["instructor"]
                if (err := parse_error(args))]
    assert not problems, "\n".join(problems)


def test_every_nbgrader_command_is_real(found):
    problems = [f"{where}\n    {err}" for where, args in found["nbgrader"]
                if (err := nbgrader_error(args))]
    assert not problems, "\n".join(problems)


def test_every_config_trait_is_real():
    named = traits_named()
    assert len(named) >= 20, named
    problems = sorted({f"{page}.md: {cls}.{trait}: {err}" for page, cls, trait in named
                       if (err := trait_error(cls, trait))})
    assert not problems, "\n".join(problems)


def test_every_repository_path_exists():
    problems = []
    for page in GUIDE_PAGES:
        _, spans = split_page(page_text(page))
        problems += [f"{page}.md: {err}" for s in spans if (err := repo_path_error(s))]
    assert not problems, "\n".join(problems)


def test_guide_documents_every_instructor_target_and_variable(found):
    """Every Makefile target that runs ``python -m instructor``, and every variable those
    targets pass on, is in the guide's make lines."""
    rules = makefile_rules()
    targets = {t for t, recipe in rules.items() if any("$(INSTRUCTOR)" in r for r in recipe)}
    assert {"release", "collect", "autograde", "feedback", "export-grades", "demo"} <= targets
    passed = {v for t in targets for r in rules[t] for v in re.findall(r"\$\(([A-Z]\w*)\)", r)}
    passed -= {"INSTRUCTOR"}
    documented_targets = {a for _, args in found["make"] for a in args if "=" not in a}
    documented_vars = {a.split("=")[0] for _, args in found["make"] for a in args if "=" in a}
    assert targets <= documented_targets, f"not in the guide: make {targets - documented_targets}"
    assert passed <= documented_vars, f"not in the guide: {passed - documented_vars}"


def test_guide_documents_every_instructor_command_and_option(found):
    parser = instructor_parser()
    subs = subcommands(parser)
    used = {args[0] for _, args in found["instructor"] if args and not args[0].startswith("-")}
    assert set(subs) <= used, f"commands not in the guide: {set(subs) - used}"
    text = "\n".join(page_text(p) for p in GUIDE_PAGES)
    for name, sub in subs.items():
        missing = sorted(o for o in long_options(sub) if o not in text)
        assert not missing, f"python -m instructor {name}: {missing} not in the guide"


def test_guide_pages_are_in_the_book():
    pages = toc_files()
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    for page in GUIDE_PAGES:
        assert page in pages, f"{page} is not in _toc.yml"
        excluded = [p for p in config.get("exclude_patterns", [])
                    if fnmatch.fnmatch(f"{page}.md", p) or fnmatch.fnmatch(page.split("/")[0], p)]
        assert not excluded, f"{page}.md is excluded from the build by {excluded}"


def test_guide_is_plain_markdown():
    """No executable cells: the guide is read, not run."""
    for page in GUIDE_PAGES:
        text = page_text(page)
        assert "{code-cell}" not in text and "jupytext" not in text, page


def test_no_reference_to_the_old_draft():
    old = "docs-" + "drafts"
    files = [ROOT / "README.md", ROOT / "nbgrader_config.py", ROOT / "Makefile",
             ROOT / "_config.yml", ROOT / "_toc.yml", ROOT / "intro.md",
             *ROOT.glob("instructor/*.py"), *ROOT.glob("guide/*.md"), *ROOT.glob("tests/*.py")]
    assert not [str(f.relative_to(ROOT)) for f in files if old in f.read_text(encoding="utf-8")]
    assert not (ROOT / old).exists()


# ---- the checkers fail on wrong input ------------------------------------------------------

def test_checkers_reject_wrong_make_lines(tmp_path):
    assert check_make(["autograde", "ASSIGNMENT=ch02"]) == []
    assert check_make(["autogarde"]) == ["no such make target: autogarde"]
    assert check_make(["autograde", "JOBZ=2"]) == ["the Makefile does not use the variable JOBZ"]
    # a real target whose recipe passes an option the parser does not have
    if shutil.which("make"):
        bad = tmp_path / "Makefile"
        bad.write_text("JOBS ?=\nautograde:\n\tpython -m instructor autograde "
                       "$(if $(JOBS),--jobz $(JOBS))\n")
        problems = check_make(["autograde", "JOBS=2"], makefile=bad)
        assert len(problems) == 1 and "--jobz" in problems[0], problems


def test_checkers_reject_wrong_instructor_lines():
    assert parse_error(argv("autograde [ch02] [--student alice] [--jobs 4] [--force]")) is None
    assert parse_error(["--help"]) is None
    for wrong in ("autograde --jobz 2", "autogarde ch02", "autograde --jobs four",
                  "export --too grades.csv", "release ch02 ch03", "collect"):
        assert parse_error(argv(wrong)), f"python -m instructor {wrong} was accepted"


def test_checkers_follow_nested_nbgrader_commands():
    assert nbgrader_error(["db", "assignment", "add", "ch02", "--duedate=2026-11-01"]) is None
    assert nbgrader_error(["db", "student", "import", "students.csv"]) is None
    assert "has no option --nope" in nbgrader_error(["db", "assignment", "add", "--nope=1"])


def test_checkers_reject_wrong_nbgrader_lines():
    assert nbgrader_error(argv("collect ch02 --update")) is None
    assert nbgrader_error(argv("fetch_assignment ch02 --course calc3ml")) is None
    for wrong in ("autograd ch02", "collect ch02 --updat", "fetch_assignment ch02 --cours x",
                  "autograde ch02 --SandboxKernelManager.run_as_usr=nbkernel"):
        assert nbgrader_error(argv(wrong)), f"nbgrader {wrong} was accepted"


def test_checkers_reject_wrong_traits():
    assert trait_error("HardenedExecute", "max_kernel_restarts") is None
    assert trait_error("HardenedExecute", "iopub_timeout") is None  # inherited
    assert trait_error("Exchange", "root") is None
    assert trait_error("HardenedExecute", "max_kernel_restart")
    assert trait_error("SandboxKernelManager", "memory_limits")
    assert trait_error("CourseDirectory", "db")          # a command-line alias, not a trait
    assert trait_error("NoSuchApp", "timeout")


def test_checkers_find_commands_and_traits_in_markdown():
    code, spans = split_page("Run `make demo`, then\n`python -m instructor\nstatus`.\n\n"
                             "```bash\nmake autograde JOBS=2   # or: python -m instructor "
                             "autograde -j 2\n```\nSet `c.Execute.timeout`.\n")
    assert code == ["make autograde JOBS=2   # or: python -m instructor autograde -j 2"]
    assert "python -m instructor status" in spans and "make demo" in spans
    assert segments(code[0]) == ["make autograde JOBS=2", "or: python -m instructor autograde -j 2"]
    assert INSTRUCTOR_RE.search(segments(code[0])[1]).group("args").split() == ["autograde", "-j", "2"]
    assert MAKE_RE.search("make: *** [Makefile:3: x] Error 1") is None


def test_checkers_reject_wrong_paths():
    for ok in ("nbgrader_config.py", "instructor/hardening/guard.py", "solutions/<assignment>/",
               "benchmarks/bench_grading.py", "submitted/alice/ch02/", "alice/ch02.ipynb",
               "sqlite:///gradebook.db", "/etc/jupyter/nbgrader_config.py", "ch02.ipynb"):
        assert repo_path_error(ok) is None, ok
    for wrong in ("instrutor/hardening.py", "instructor/hardenning.py", "nbgrader_conf.py",
                  "instructor/hardening.py",  # the single file it was until it became a package
                  "benchmarks/bench_grade.py", "tests/test_guid.py", "guide/hardening/"):
        assert repo_path_error(wrong), wrong


def test_toc_check_rejects_a_page_not_in_the_book():
    assert "guide/no-such-page" not in toc_files()
