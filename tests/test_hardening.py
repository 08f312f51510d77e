"""Hardened autograding, tested with real nbgrader runs on hostile submissions.

In a throwaway copy of the course (with ``instructor/`` as in the repository), the ch02
release is generated and ONE ``nbgrader autograde`` run grades a normal student and one
student per hostile or broken submission (tests/fixtures/hostile/hostile.py), then
``nbgrader generate_feedback`` writes everyone's feedback. Each case has an asserted
outcome: scores per part, what the autograded notebook says, the findings that reach the
gradebook (needs manual grade, comments), and that nobody else's grades or files moved.

Two smaller runs are references: the normal student alone (its grades must equal those
it gets among the hostile class), and stock nbgrader (the course without instructor/) on
the cheats, which shows that each protection is needed.

Timeouts are short here (5 s per cell) so that the whole module takes about 3 minutes.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import pytest

from grading_utils import (
    ROOT, BIN, autograded_parts, cell_output_text, make_course_copy, read_notebook,
    run_nbgrader, scores, solution_cells,
)

sys.path.insert(0, str(Path(__file__).resolve().parent / "fixtures" / "hostile"))
import hostile  # noqa: E402  (tests/fixtures/hostile/hostile.py)

sys.path.insert(0, str(ROOT))
from instructor import hardening  # noqa: E402

pytestmark = pytest.mark.slow

ASSIGNMENT = "ch02"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
CELL_TIMEOUT = 5
TEST_CONFIG = f"""
# ---- tests/test_hardening.py: short limits so that the hostile class grades quickly ----
c.Execute.timeout = {CELL_TIMEOUT}
c.HardenedExecute.iopub_timeout = 2
c.SandboxKernelManager.memory_limit = 2 * 1024**3
c.SandboxKernelManager.max_message_bytes = 16 * 1024**2
c.OfflineFeedbackExporter.mathjax_dir = {str(ROOT / "_vendor" / "mathjax")!r}
"""
SECRET = "HARDENING_TEST_SECRET"
LANDLOCK = hardening.landlock_abi()
# Without Landlock these submissions would really read the hidden tests, write into the
# gradebook or kill the grader: they are only run where the sandbox stops them.
NEEDS_LANDLOCK = {"read_hidden": 1, "write_outside": 4, "kill_grader": 6}
SKIPPED = tuple(s for s, abi in NEEDS_LANDLOCK.items() if LANDLOCK < abi)
UNREADABLE = {"not_json", "latin1", "empty_file"}  # graded as empty notebooks, held for review
FAILED = {"wrong_name"}  # nbgrader itself refuses it (and goes on with the others)
PARTS = ["unit_vector", "lp_norm", "cosine_similarity", "project", "gram_schmidt", "pca_project"]


def nbgrader(course: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """``nbgrader *args`` in ``course``; unlike run_nbgrader it returns even on failure."""
    full_env = dict(os.environ, **(env or {}))
    full_env["PATH"] = str(BIN) + os.pathsep + full_env.get("PATH", "")
    full_env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course,
                          capture_output=True, text=True, env=full_env, timeout=1200)


def tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def course_from(template: Path, tmp: Path, tools: bool = True) -> Path:
    """A fresh course (release and empty gradebook generated once, in ``template``).

    ``tools=False`` leaves out instructor/: the same nbgrader_config.py then grades with
    stock nbgrader (and says so on stderr).
    """
    course = Path(tmp) / "course"
    shutil.copytree(template, course, ignore=shutil.ignore_patterns("__pycache__"))
    if not tools:
        shutil.rmtree(course / "instructor")
        shutil.copy2(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
        with open(course / "nbgrader_config.py", "a", encoding="utf-8") as fh:
            fh.write(f"\nc.Execute.timeout = {CELL_TIMEOUT}\n")
    return course


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    course = make_course_copy(tmp_path_factory.mktemp("template"), [ASSIGNMENT])
    hostile.copy_course_tools(course, ROOT)
    with open(course / "nbgrader_config.py", "a", encoding="utf-8") as fh:
        fh.write(TEST_CONFIG)
    run_nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    return course


class Graded(NamedTuple):
    course: Path
    log: str
    returncode: int
    seconds: float
    scores: dict
    parts: dict
    submitted_before: dict
    submitted_after: dict
    outside: Path
    feedback_log: str


def grade_class(template: Path, tmp: Path, students: list[str] | None = None, tools: bool = True,
                skip: tuple[str, ...] = SKIPPED, feedback: bool = True) -> Graded:
    course = course_from(template, tmp, tools)
    master = read_notebook(course / "solutions" / ASSIGNMENT / NOTEBOOK)
    release = read_notebook(course / "exercises" / ASSIGNMENT / NOTEBOOK)
    outside = tmp / "outside" / "pwned.txt"
    outside.parent.mkdir()
    hostile.build(course, release, solution_cells(master), outside=outside, skip=skip)
    if students is not None:  # keep only these
        for folder in (course / "submitted").iterdir():
            if folder.name not in students:
                shutil.rmtree(folder)
    before = tree_hashes(course / "submitted")
    t0 = time.monotonic()
    proc = nbgrader(course, "autograde", ASSIGNMENT, "--force", env={SECRET: "s3cr3t"})
    seconds = time.monotonic() - t0
    fb = nbgrader(course, "generate_feedback", ASSIGNMENT, "--force") if feedback else None
    return Graded(course, proc.stdout + proc.stderr, proc.returncode, seconds,
                  scores(course, ASSIGNMENT), autograded_parts(master), before,
                  tree_hashes(course / "submitted"), outside,
                  (fb.stdout + fb.stderr) if fb else "")


@pytest.fixture(scope="module")
def graded(template, tmp_path_factory) -> Graded:
    """The hostile class: ONE real autograde run, then feedback for everyone."""
    return grade_class(template, tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="module")
def clean(template, tmp_path_factory) -> Graded:
    """The normal student graded alone."""
    return grade_class(template, tmp_path_factory.mktemp("clean"), students=["normal"], feedback=False)


@pytest.fixture(scope="module")
def stock(template, tmp_path_factory) -> Graded:
    """Stock nbgrader (no instructor/ in the course) on the cheats it does not catch."""
    return grade_class(template, tmp_path_factory.mktemp("stock"), tools=False, feedback=False,
                       students=["normal", "hidden_errors", "patched_numpy", "patch_during_call",
                                 "patched_builtins", "displayhook", "ignores_interrupt"])


# ---- helpers ------------------------------------------------------------------------

def autograded(graded: Graded, student: str) -> Path:
    return graded.course / "autograded" / student / ASSIGNMENT / NOTEBOOK


def part_scores(graded: Graded, student: str) -> dict[str, float]:
    got = graded.scores[student]
    return {part: sum(got[t][0] or 0 for t in tests) for part, tests in graded.parts.items()}


def full_marks(graded: Graded) -> dict[str, float]:
    got = graded.scores["normal"]
    return {part: sum(got[t][1] for t in tests) for part, tests in graded.parts.items()}


def meta(graded: Graded, student: str) -> dict:
    return read_notebook(autograded(graded, student)).metadata.get(hardening.METADATA_KEY, {})


def _submission(graded: Graded, student: str):
    from nbgrader.api import Gradebook

    gb = Gradebook("sqlite:///" + str(graded.course / "gradebook.db"))
    return gb, gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)


def review_parts(graded: Graded, student: str) -> set[str]:
    """Parts with a test cell marked *needs manual grade* in the gradebook."""
    gb, nb = _submission(graded, student)
    try:
        names = {g.name for g in nb.grades if g.needs_manual_grade}
    finally:
        gb.close()
    return {part for part, tests in graded.parts.items() if names & set(tests)}


def auto_comment(graded: Graded, student: str, cell: str) -> str:
    gb, nb = _submission(graded, student)
    try:
        return next((c.auto_comment or "" for c in nb.comments if c.name == cell), "")
    finally:
        gb.close()


def feedback_text(graded: Graded, student: str) -> str:
    page = (graded.course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    body = page[page.find("<body"):]
    body = re.sub(r"<script.*?</script>|<style.*?</style>", "", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", body))


# ---- the expected outcome of every case -------------------------------------------------

class Expect(NamedTuple):
    parts: dict = {}            # part -> expected score (others: full marks)
    outputs: dict = {}          # grade_id -> text its autograded output must contain
    restarts: int = 0           # kernels replaced while grading the notebook
    review: frozenset = frozenset()   # parts held for a person (needs manual grade)
    kinds: frozenset = frozenset()    # kinds of findings recorded


def E(parts=None, outputs=None, restarts=0, review=(), kinds=()) -> Expect:
    return Expect(parts or {}, outputs or {}, restarts, frozenset(review), frozenset(kinds))


DENIED = "PermissionError"
EXPECTED: dict[str, Expect] = {
    "normal": E(),
    "infinite_loop": E({"unit_vector": 0}, {"test_unit_vector_hidden": "CellTimeoutError"}),
    "ignores_interrupt": E({"lp_norm": 0}, {"test_lp_norm_visible": "ignored the interrupt",
                                            "test_lp_norm_hidden": "ignored the interrupt"},
                           restarts=2, kinds={"kernel-hung"}),
    "os_exit": E({"cosine_similarity": 0}, {"test_cosine_similarity_hidden": "exit status 3"},
                 restarts=2, review={"cosine_similarity"}, kinds={"kernel-died", "screen"}),
    "kill_signal": E({"project": 0}, {"test_project_visible": "killed by SIGKILL"}, restarts=2,
                     review={"project"}, kinds={"kernel-died", "screen"}),
    "memory": E({"gram_schmidt": 0}, {"test_gram_schmidt_hidden": "raised MemoryError",
                                      "pca_project": "MemoryError: Unable to allocate 2.24 GiB"}),
    "huge_output": E(outputs={"project": "output truncated: more than 100000 characters"}),
    "output_flood": E({"project": 0}, {"project": "OutputTooLarge"}, restarts=1,
                      kinds={"output-too-large"}),
    "hidden_errors": E({"unit_vector": 0}, {"test_unit_vector_hidden": "You divided by the L1 norm"},
                       review={"unit_vector"}, kinds={"tampering", "screen"}),
    "patched_numpy": E({"unit_vector": 0}, {"test_unit_vector_visible": "Did you divide by the L1 norm"},
                       review={"unit_vector"}, kinds={"tampering", "screen"}),
    "patch_during_call": E({"unit_vector": 0}, {"test_unit_vector_hidden": "GradingEnvironmentModified"},
                           review={"unit_vector"}, kinds={"tampering", "screen"}),
    "always_equal": E({"lp_norm": 0}, {"test_lp_norm_hidden": "should return numbers"}),
    "patched_builtins": E({"unit_vector": 1}, {"test_unit_vector_hidden": "unit_vector modified its input"},
                          review={"unit_vector"}, kinds={"tampering", "screen"}),
    "patched_checker": E({"project": 0}, {"test_project_visible": "you projected b onto a"},
                         review={"project"}, kinds={"tampering", "screen"}),
    "displayhook": E({"cosine_similarity": 0}, {"test_cosine_similarity_hidden": "You returned the dot product"},
                     review={"cosine_similarity"}, kinds={"result-smuggled", "screen"}),
    # the limit of one kernel: the hidden test's own reference, read from its frame, passes
    # it (and the visible test fails); the static screen holds the part for a person
    "frame_peek": E({"gram_schmidt": 4}, review={"gram_schmidt"}, kinds={"screen"}),
    "leak_hidden": E(review={"pca_project"}, kinds={"screen", "hidden-test-leak"}),
    "read_hidden": E(outputs={"pca_project": "NO-SECRET"},
                     review={"pca_project"}, kinds={"screen"}),
    "write_outside": E(outputs={"project": f"NETWORK {DENIED}"}, review={"project"}, kinds={"screen"}),
    "kill_grader": E(outputs={"lp_norm": f"DENIED {DENIED}"}, review={"lp_norm"}, kinds={"screen"}),
    "deleted_cells": E({"lp_norm": 0}, {"test_lp_norm_hidden": "raised NotImplementedError"},
                       review={"lp_norm"}, kinds={"missing-cell"}),
    "empty_notebook": E({p: 0 for p in PARTS}, {"test_pca_project_hidden": "raised NotImplementedError"},
                        review=set(PARTS), kinds={"missing-cell"}),
    "edited_readonly": E({"unit_vector": 0}, {"test_unit_vector_visible": "Did you divide by the L1 norm"},
                         kinds={"locked-cell-edited"}),
    "code_files": E(outputs={"unit_vector": "FILES ['data.csv', 'helpers']"},
                    review={"unit_vector"}, kinds={"screen", "code-files"}),
    "cell_type_changed": E({"lp_norm": 0}, {"test_lp_norm_hidden": "You forgot to take the p-th root"},
                           kinds={"cell-type-changed"}),
    **{student: E({p: 0 for p in PARTS}, {"test_unit_vector_hidden": "raised NotImplementedError"},
                  review=set(PARTS), kinds={"unreadable", "missing-cell"}) for student in sorted(UNREADABLE)},
}
GRADED = [s for s in EXPECTED if s not in SKIPPED]


# ---- the run as a whole -----------------------------------------------------------------

def test_fixture_sources_are_valid_python():
    """Each attack must run as written: a typo would make a 'defended' case pass by accident."""
    import ast

    for student, parts in hostile.cases(Path("/course")).items():
        for part, source in parts.items():
            ast.parse(hostile._code(source), filename=f"{student}/{part}")


def test_every_student_graded_and_only_the_misnamed_file_fails(graded):
    failed = set(re.findall(r"error processing assignment 'ch02' for student '([^']+)'", graded.log))
    assert failed == FAILED, graded.log[-4000:]
    assert graded.returncode != 0  # nbgrader reports the failures in its exit status...
    for student in GRADED:          # ...and still grades everyone else
        assert autograded(graded, student).is_file(), f"{student} was not graded"
    assert f"No notebooks were matched by '{graded.course}/submitted/empty_folder" in graded.log


def test_runtime(graded):
    print(f"\nhostile class: {len(GRADED) + len(FAILED) + 1} submissions autograded in "
          f"{graded.seconds:.0f} s (sandbox: {meta(graded, 'normal').get('sandbox')})")
    assert graded.seconds < 300


def test_normal_student_grades_equal_a_clean_run(graded, clean):
    assert graded.scores["normal"] == clean.scores["normal"]
    assert part_scores(graded, "normal") == full_marks(graded)
    assert review_parts(graded, "normal") == review_parts(clean, "normal") == set()
    assert not meta(graded, "normal").get("findings")


def test_gradebook_and_other_students_files_untouched(graded):
    con = sqlite3.connect(graded.course / "gradebook.db")
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()
    assert graded.submitted_after == graded.submitted_before, "a submission changed during grading"
    normal = graded.course / "autograded" / "normal" / ASSIGNMENT
    assert sorted(p.name for p in normal.iterdir()) == [NOTEBOOK]
    assert not (graded.course / "pwned.txt").exists()
    assert not graded.outside.exists()
    # files a kernel writes in its own folder stay in its scratch copy
    assert not list(graded.course.glob("autograded/*/ch02/notes.txt"))
    assert not list(graded.course.glob("feedback/*/ch02/notes.txt"))


# ---- one test per case ----------------------------------------------------------------------

@pytest.mark.parametrize("student", GRADED)
def test_scores_per_part(graded, student):
    expected = {**full_marks(graded), **EXPECTED[student].parts}
    assert part_scores(graded, student) == expected


@pytest.mark.parametrize("student", [s for s in GRADED if EXPECTED[s].outputs])
def test_autograded_output_says_what_happened(graded, student):
    for gid, text in EXPECTED[student].outputs.items():
        output = cell_output_text(autograded(graded, student), gid)
        assert text in output, f"{student}/{gid}: {text!r} not in\n{output[-2000:]}"


@pytest.mark.parametrize("student", GRADED)
def test_findings_reach_the_gradebook(graded, student):
    expect = EXPECTED[student]
    info = meta(graded, student)
    assert info.get("kernel_restarts", 0) == expect.restarts
    kinds = {f["kind"] for f in info.get("findings", [])}
    assert kinds == expect.kinds, info.get("findings")
    assert review_parts(graded, student) == set(expect.review)
    for part in expect.review:  # the reason is written where the instructor grades
        assert "Autograder:" in auto_comment(graded, student, part), part


@pytest.mark.parametrize("student", sorted(FAILED | {"empty_folder"}))
def test_ungraded_submission_is_never_silently_scored(graded, student):
    assert not autograded(graded, student).exists()
    if student in graded.scores:  # the submission row exists, with no score at all
        assert all(score is None for score, _ in graded.scores[student].values())
    else:
        assert student == "empty_folder"  # nothing submitted: nbgrader warns and skips it


@pytest.mark.parametrize("student", sorted(UNREADABLE | FAILED | {"empty_folder"}))
def test_diagnose_says_what_is_wrong_with_the_file(graded, student):
    problems = hardening.diagnose_submission(graded.course / "submitted" / student / ASSIGNMENT, ASSIGNMENT)
    assert problems, f"diagnose_submission found nothing wrong with {student}"
    words = {"not_json": "not valid JSON", "latin1": "not UTF-8", "empty_file": "is empty",
             "wrong_name": "rename it to ch02.ipynb", "empty_folder": "no notebook named"}[student]
    assert words in problems[0]


def test_sandbox_specifics(graded):
    if "read_hidden" not in SKIPPED:
        text = cell_output_text(autograded(graded, "read_hidden"), "pca_project")
        assert not re.search(r"^READ ", text, re.M), text
        assert text.count("DENIED") == 6 and "NO-SECRET" in text
        if os.geteuid() == 0:  # a grader running as root: the kernel keeps no capability
            assert "CAPABILITIES 0000000000000000" in text
    if "write_outside" not in SKIPPED:
        text = cell_output_text(autograded(graded, "write_outside"), "project")
        assert "WROTE" not in text and text.count("DENIED") == 5
    if "kill_grader" not in SKIPPED:
        assert "KILLED THE GRADER" not in cell_output_text(autograded(graded, "kill_grader"), "lp_norm")
    memory = cell_output_text(autograded(graded, "memory"), "pca_project")
    assert "MemoryError" in memory
    size = autograded(graded, "huge_output").stat().st_size
    assert size < 1_000_000, f"the autograded notebook of huge_output is {size} bytes"
    if SKIPPED:
        pytest.skip(f"Landlock ABI {LANDLOCK}: not run here: {', '.join(SKIPPED)}")


# ---- feedback ---------------------------------------------------------------------------

def hidden_source_lines(graded: Graded, student: str) -> set[str]:
    """Lines of the hidden tests that the student cannot have seen or written."""
    master = read_notebook(ROOT / "solutions" / ASSIGNMENT / NOTEBOOK)
    release = (ROOT / "exercises" / ASSIGNMENT / NOTEBOOK).read_text()
    own = "\n".join(c.source for c in read_notebook(autograded(graded, student)).cells
                    if not c.metadata.get("nbgrader", {}).get("grade"))
    lines = set()
    for cell in master.cells:
        lines |= hardening.hidden_lines(cell.source, min_length=20)
    return {line for line in lines if line not in release and line not in own}


@pytest.mark.parametrize("student", GRADED)
def test_feedback_hides_hidden_tests_and_shows_part_scores(graded, student):
    assert "| ERROR]" not in graded.feedback_log, graded.feedback_log[-3000:]
    text = feedback_text(graded, student)
    leaked = [line for line in hidden_source_lines(graded, student) if line in text]
    assert not leaked, f"hidden test source in {student}'s feedback: {leaked[:3]}"
    assert "Your scores, part by part" in text
    for part, score in part_scores(graded, student).items():
        points = full_marks(graded)[part]
        assert re.search(rf"{part}\s*{score:g} / {points:g}", text), (part, score)


def test_feedback_messages(graded):
    text = feedback_text(graded, "hidden_errors")
    assert "Hidden test failed: AssertionError: unit_vector(" in text
    assert "held for review" in text and "IPythonKernel.do_execute was overridden" in text
    assert "[output removed: it contained text of a hidden test]" in feedback_text(graded, "leak_hidden")
    assert "The answer cell lp_norm was missing" in feedback_text(graded, "deleted_cells")
    assert "Hidden tests passed." in feedback_text(graded, "normal")
    assert "could not be read: ch02.ipynb is not UTF-8 text" in feedback_text(graded, "latin1")


def test_feedback_is_self_contained(graded):
    page = (graded.course / "feedback" / "normal" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?://", page)
    assert "cdnjs" not in page and "data:font/woff;base64," in page


def test_feedback_math_renders_offline(graded):
    """In headless Chromium with every non-file request aborted: MathJax typesets, its
    fonts load from the page itself, nothing else is requested."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    page_path = graded.course / "feedback" / "normal" / ASSIGNMENT / f"{ASSIGNMENT}.html"
    offsite, failed, console = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        page.on("requestfailed", lambda r: failed.append(r.url[:120]))

        def route(r):
            if r.request.url.startswith(("file:", "data:")):
                r.continue_()
            else:
                offsite.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.goto(page_path.as_uri(), wait_until="load")
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                               timeout=20000)
        page.evaluate("() => MathJax.startup.promise")
        typeset = page.evaluate("() => document.querySelectorAll('mjx-container').length")
        errors = page.evaluate("() => document.querySelectorAll('mjx-merror').length")
        fonts = page.evaluate("() => document.fonts.ready.then(() => Array.from(document.fonts)"
                              ".filter(f => f.family.startsWith('MJX')).map(f => f.status))")
        browser.close()
    assert typeset > 20 and errors == 0
    assert "loaded" in fonts and "error" not in fonts, fonts
    assert not offsite and not failed and not console, (offsite, failed, console)


def test_feedback_says_to_be_graded_by_a_person_everywhere(graded):
    """A written answer that waits for a person reads the same in nbgrader's parts of the page
    (contents, cell heading, total) as in the course's score table: not "Score: 0.0 / 2.0"."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{graded.course / 'gradebook.db'}") as gb:
        waiting = gb.find_grade("answer_cosine_length", ASSIGNMENT, ASSIGNMENT, "normal")
        assert waiting.needs_manual_grade        # the premise: a real answer, not yet graded
        total = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "normal")
        score, possible = total.score, total.max_score
    page = (graded.course / "feedback" / "normal" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert ('<a href="#answer_cosine_length">Written response</a> (to be graded by a person (2 points))'
            in page)
    assert "To be graded by a person (2 points)" in page
    assert re.search(rf"\(Score so far: {score:.1f} / {possible:.1f}; 2 of the points to be graded by a "
                     r"person\)</h4>", page), re.findall(r"\(Score[^<]*</h4>", page)
    assert "Score: 0.0 / 2.0" not in page
    table = feedback_text(graded, "normal").split("Your scores, part by part")[1]
    assert "answer_cosine_length" in table and "2 of the points to be graded by a person" in table


def test_feedback_long_messages_wrap(graded):
    """At 1300 px a failing hidden test's long message wraps inside the page: no output line
    is wider than its box (before, the end of the explanation was off-screen)."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    page_path = graded.course / "feedback" / "hidden_errors" / ASSIGNMENT / f"{ASSIGNMENT}.html"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
                   else r.abort())
        page.goto(page_path.as_uri(), wait_until="load")
        boxes = page.evaluate("""() => Array.from(document.querySelectorAll('div.output_area pre'))
            .map(p => ({text: p.textContent, scroll: p.scrollWidth, client: p.clientWidth,
                        space: getComputedStyle(p).whiteSpace}))""")
        browser.close()
    longest = max(boxes, key=lambda b: max(map(len, b["text"].splitlines() or [""])))
    assert max(map(len, longest["text"].splitlines())) > 200, longest["text"][:300]   # one that must wrap
    assert all(b["space"] == "pre-wrap" for b in boxes), {b["space"] for b in boxes}
    assert all(b["scroll"] <= b["client"] + 1 for b in boxes), [b for b in boxes if b["scroll"] > b["client"] + 1][:2]


# ---- stock nbgrader, for comparison --------------------------------------------------------

def test_stock_nbgrader_is_fooled_by_the_cheats(stock, graded):
    """What the protections are for: stock nbgrader gives these wrong answers full marks
    (or, for the interrupt-ignoring loop, no grade at all); hardened grading does not."""
    assert "grading WITHOUT hardening" in stock.log
    assert stock.scores["normal"] == graded.scores["normal"]
    fooled = {"hidden_errors": "unit_vector", "patched_numpy": "unit_vector",
              "patch_during_call": "unit_vector", "patched_builtins": "unit_vector",
              "displayhook": "cosine_similarity"}
    for student, part in fooled.items():
        assert part_scores(stock, student)[part] == full_marks(stock)[part], student
        assert part_scores(graded, student)[part] < full_marks(graded)[part], student
    assert all(s is None for s, _ in stock.scores["ignores_interrupt"].values())
    assert "error processing assignment 'ch02' for student 'ignores_interrupt'" in stock.log


# ---- pieces, without nbgrader ---------------------------------------------------------------

def test_screen_flags_tampering_not_ordinary_code():
    assert hardening.screen_source("import numpy as np\nx = np.sqrt(2)\ndef f(v):\n    return v\n",
                                   protected_names={"np"}) == []
    found = hardening.screen_source("np.allclose = lambda *a: True\n", protected_names={"np"})
    assert found and "np.allclose" in found[0]
    assert hardening.screen_source("np = 3\n", protected_names={"np"})
    assert hardening.screen_source("import sys\n")
    assert hardening.screen_source("getattr(np, 'all' + 'close')\n")
    assert hardening.screen_source("!cat ../../solutions/ch02/ch02.ipynb\n")
    assert hardening.screen_source("x = (1).__class__.__mro__\n")


def test_release_source_matches_nbgrader():
    master = read_notebook(ROOT / "solutions" / ASSIGNMENT / NOTEBOOK)
    release = read_notebook(ROOT / "exercises" / ASSIGNMENT / NOTEBOOK)
    by_id = {c.metadata["nbgrader"]["grade_id"]: c.source for c in release.cells}
    for cell in master.cells:
        if hardening.HIDDEN_BEGIN in cell.source:
            assert hardening.release_source(cell.source).strip() == by_id[cell.metadata["nbgrader"]["grade_id"]].strip()


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping to another user needs root")
def test_launcher_runs_the_kernel_as_another_user():
    """SandboxKernelManager.run_as_user, the setup for systems without Landlock: the
    launcher starts the kernel command as an unprivileged user, which cannot read the
    grader's private files but gets its own copy of the connection file. (Here the
    command is a shell, not a kernel: this machine's Python lives under /root, which
    that user cannot enter.)"""
    import json
    import pwd

    import tempfile

    nobody = pwd.getpwnam("nobody")
    tmp_path = Path(tempfile.mkdtemp(prefix="hardening-run-as-"))  # pytest's tmp is 0700 root
    tmp_path.chmod(0o755)
    private = tmp_path / "course"
    private.mkdir(mode=0o700)
    (private / "hidden.txt").write_text("hidden tests")
    (private / "hidden.txt").chmod(0o600)
    connection = private / "kernel.json"
    connection.write_text('{"key": "k"}\n')
    home = tmp_path / "home"
    home.mkdir()
    spec = {"rlimits": {"AS": None, "CPU": None, "FSIZE": None, "CORE": 0},
            "env_keep": ["PATH"], "env_set": {"HOME": str(home)}, "make_dirs": [],
            "landlock": None,
            "run_as": {"uid": nobody.pw_uid, "gid": nobody.pw_gid, "chown": [str(home)],
                       "connection_file": str(connection),
                       "connection_copy": str(home / "kernel.json")}}
    script = 'id -u; cat "$1"; cat "$2" || echo DENIED'
    proc = subprocess.run([sys.executable, "-I", "-c", hardening.LAUNCHER, json.dumps(spec),
                           "/bin/sh", "-c", script, "sh", str(connection), str(private / "hidden.txt")],
                          capture_output=True, text=True, timeout=30)
    shutil.rmtree(tmp_path)
    lines = proc.stdout.split("\n")
    assert lines[0] == str(nobody.pw_uid), proc.stderr
    assert lines[1] == '{"key": "k"}'  # its copy of the connection file
    assert "DENIED" in proc.stdout and "hidden tests" not in proc.stdout


def test_collect_findings_reports_every_graded_student(graded):
    report = hardening.collect_findings(graded.course, ASSIGNMENT)
    assert set(report) == set(GRADED)
    assert not report["normal"][ASSIGNMENT].get("findings")
    assert {f["kind"] for f in report["displayhook"][ASSIGNMENT]["findings"]} == EXPECTED["displayhook"].kinds
