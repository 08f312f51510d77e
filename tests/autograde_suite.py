"""The generic tests of a chapter's autograder, shared by every ``tests/test_autograde_chXX.py``.

A chapter's test file only declares its data in a subclass of :class:`AutogradeSuite`
(the name must start with ``Test`` for pytest to collect it)::

    class TestCh03(AutogradeSuite):
        assignment = "ch03"
        written = "answer_small_step"   # grade_id of the manually graded answer
        points = 30                     # autograded points in all
        n_parts = 7                     # autograded functions
        wrong_answers = WRONG_ANSWERS   # {student: answer(part, source, message)}
        correct_variants = CORRECT_VARIANTS  # {student: answer(part, source)}

and inherits every test below. In a throwaway copy of the course, the release is generated
from ``solutions/<assignment>`` and the whole class is autograded in ONE real
``nbgrader autograde`` run (:func:`grading_utils.autograde_class`), shared by the tests of
the class through a class-scoped fixture:

- ``solution``: the master solutions in every answer cell -> full marks;
- ``stub``: the release as handed out -> 0 on every autograded cell, and no crash;
- one student per plausible wrong answer, who has the solution everywhere except that one
  function -> loses points on that part only, and a failing test says what went wrong;
- correct answers written differently from the master copy -> full marks (the hidden
  tests must not demand the instructor's particular algorithm);
- for EVERY autograded function and each of its optional arguments (a parameter with a
  default), a wrong answer generated from the master solution's signature that accepts the
  argument and ignores it (:func:`grading_utils.ignoring_answer`: the master copy always
  called with the default) -> loses points on its part, and a failing test shows the call
  with the value it passed (``h=0.3``). Hidden tests that never vary an argument the
  signature promises would give such a student full marks. A chapter may exempt an
  argument only with a written reason::

      exempt_arguments = {"partial": {"h": "why varying h cannot be tested here"}}

A chapter adds its own checks as further ``test_*`` methods of its subclass, using the
``graded`` fixture (a :class:`grading_utils.GradedClass`).
"""

from __future__ import annotations

from collections import Counter

import pytest

from pathlib import Path

from grading_utils import (ROOT, Answer, GradedClass, autograde_class, autograded_parts,
                           ignoring_answer, nbgrader_meta, optional_arguments, read_notebook)

__all__ = ["AutogradeSuite", "ignored_argument_answers", "ignored_argument_problems"]

IGNORES = "ignores_"  # prefix of the generated students: ignores_<part>__<argument>


def ignored_argument_answers(assignment: str, source_root: Path = ROOT,
                             exempt: dict[str, dict[str, str]] | None = None) -> dict[str, Answer]:
    """``{student: Answer}``: for every autograded answer cell of the master copy and every
    optional argument of its function (not exempted), the master solution ignoring it."""
    master = read_notebook(Path(source_root) / "solutions" / assignment / f"{assignment}.ipynb")
    sources = {nbgrader_meta(c).get("grade_id"): c.source for c in master.cells if c.cell_type == "code"}
    exempt = exempt or {}
    out = {}
    for part in autograded_parts(master):
        if part not in sources:
            continue  # not a code cell
        for argument in optional_arguments(sources[part], part):
            if argument not in exempt.get(part, {}):
                out[f"{IGNORES}{part}__{argument}"] = ignoring_answer(part, sources[part], argument)
    return out


def ignored_argument_problems(graded: GradedClass, student: str, ans: Answer) -> list[str]:
    """Why the generated student ``student`` (an :func:`ignoring_answer`) was not caught;
    empty when its part lost points, nothing else did, and a failing test of the part shows
    the argument's value (``ans.message``, e.g. ``"h="``)."""
    argument = ans.message.rstrip("=")
    got = graded.autograded(student)
    own = graded.parts[ans.part]
    problems = []
    if sum(got[t][0] for t in own) >= sum(got[t][1] for t in own):
        problems.append(f"{ans.part} ignoring its argument {argument!r} (always the default) keeps full "
                        f"marks {[got[t] for t in own]}: the hidden tests never vary {argument}. Call "
                        f"{ans.part} with several values of {argument} and check the result depends "
                        f"on it as it should")
    else:
        failing = [graded.output(student, t) for t in own if got[t][0] == 0]
        if not any(ans.message in text for text in failing):
            problems.append(f"{ans.part} ignoring {argument!r} loses points, but no failing test shows the "
                            f"call with the value of {argument} ({ans.message!r}); say which {argument} "
                            "was passed")
    elsewhere = {t: s for t, s in got.items() if t not in own and s[0] != s[1]}
    if elsewhere:
        problems.append(f"{student} loses points on other parts: {elsewhere}")
    return problems

_REQUIRED = ("assignment", "written", "points", "n_parts", "wrong_answers", "correct_variants")


class AutogradeSuite:
    """Base class of a chapter's autograder tests; not collected itself (no ``Test`` prefix)."""

    pytestmark = pytest.mark.slow

    # ---- declared by each chapter (required) ----
    assignment: str                      # folder of solutions/, e.g. "ch03"
    written: str                         # grade_id of the manually graded written answer
    points: float                        # total of the autograder test cells' points
    n_parts: int                         # number of autograded answer cells
    wrong_answers: dict[str, Answer]     # one student each; answer.message must be non-empty
    correct_variants: dict[str, Answer]  # correct, but not the master copy's way

    # ---- the course's conventions (a chapter may override them) ----
    written_points: float = 2
    visible_points: float = 1            # of the one `..._visible` test cell of a part
    hidden_points: tuple[float, float] = (3, 4)  # (min, max) of the part's `..._hidden` cells
    tests_per_part: int = 2
    min_wrong_per_part: int = 2
    # {function: {optional argument: the reason it need not be varied}}; the reason is required
    exempt_arguments: dict[str, dict[str, str]] = {}
    source_root: Path = ROOT             # where solutions/<assignment> is (a fixture course in tests)

    def __init_subclass__(cls, **kwargs):
        """Fail at collection, with a clear message, when a chapter's declaration is incomplete."""
        super().__init_subclass__(**kwargs)
        missing = [name for name in _REQUIRED if not hasattr(cls, name)]
        if missing:
            raise TypeError(f"{cls.__name__} must declare {', '.join(missing)}")
        both = set(cls.wrong_answers) & set(cls.correct_variants)
        if both or {"solution", "stub"} & (set(cls.wrong_answers) | set(cls.correct_variants)):
            raise TypeError(f"{cls.__name__}: student names must be unique and not "
                            f"'solution'/'stub': {sorted(both) or 'solution/stub'}")
        for student, ans in {**cls.wrong_answers, **cls.correct_variants}.items():
            if not isinstance(ans, Answer):
                raise TypeError(f"{cls.__name__}: {student!r} is not a grading_utils.answer(...)")
        silent = [s for s, ans in cls.wrong_answers.items() if not ans.message]
        if silent:  # "" is in every output: the message test could not fail
            raise TypeError(f"{cls.__name__}: wrong answers without an expected message: {silent}")
        for part, reasons in cls.exempt_arguments.items():
            for argument, reason in reasons.items():
                if not (isinstance(reason, str) and len(reason.split()) >= 3):
                    raise TypeError(f"{cls.__name__}: exempting {part}({argument}=...) needs a written "
                                    f"reason (a sentence), got {reason!r}")
        taken = [s for s in {**cls.wrong_answers, **cls.correct_variants} if s.startswith(IGNORES)]
        if taken:
            raise TypeError(f"{cls.__name__}: the prefix {IGNORES!r} is for generated students: {taken}")

    @classmethod
    def ignoring_students(cls) -> dict[str, Answer]:
        """The generated wrong answers: each autograded function ignoring one optional argument."""
        if "_ignoring" not in cls.__dict__:
            cls._ignoring = ignored_argument_answers(cls.assignment, cls.source_root, cls.exempt_arguments)
        return cls._ignoring

    def pytest_generate_tests(self, metafunc):
        """Parametrize ``wrong`` and ``variant`` with the students this chapter declares."""
        if "wrong" in metafunc.fixturenames:
            metafunc.parametrize("wrong", sorted(self.wrong_answers))
        if "variant" in metafunc.fixturenames:
            metafunc.parametrize("variant", sorted(self.correct_variants))
        if "ignorer" in metafunc.fixturenames:  # None: no function has an optional argument
            metafunc.parametrize("ignorer", sorted(self.ignoring_students()) or [None])

    @pytest.fixture(scope="class")
    @classmethod
    def graded(cls, tmp_path_factory) -> GradedClass:
        """One real `nbgrader autograde` run for the whole class, shared by its tests."""
        return autograde_class(tmp_path_factory.mktemp(cls.assignment), cls.assignment,
                               {**cls.wrong_answers, **cls.correct_variants, **cls.ignoring_students()},
                               cls.source_root)

    # ------------------------------------------------------------------ the tests

    def test_every_student_was_graded(self, graded):
        students = ["solution", "stub", *self.wrong_answers, *self.correct_variants,
                    *self.ignoring_students()]
        assert graded.assignment == self.assignment
        assert sorted(graded.scores) == sorted(students)
        for student in students:
            assert graded.notebook(student).is_file()
            assert set(graded.points) <= set(graded.scores[student]), f"{student}: grades missing"

    def test_points_as_announced(self, graded):
        """The autograded points in all, and per part: one visible and one hidden test cell."""
        assert sum(graded.points.values()) == self.points
        assert graded.scores["solution"][self.written][1] == self.written_points
        assert len(graded.parts) == self.n_parts
        low, high = self.hidden_points
        for part, tests in graded.parts.items():
            visible = sum(graded.points[t] for t in tests if t.endswith("_visible"))
            hidden = sum(graded.points[t] for t in tests if t.endswith("_hidden"))
            assert visible == self.visible_points and low <= hidden <= high, (part, visible, hidden)
            assert len(tests) == self.tests_per_part, (part, tests)

    def test_solution_gets_full_marks(self, graded):
        got = graded.autograded("solution")
        lost = {gid: s for gid, s in got.items() if s[0] != s[1]}
        assert not lost, f"the master solution loses points: {lost}"
        assert sum(s for s, _ in got.values()) == sum(graded.points.values())
        # the written answer waits for a person
        assert graded.scores["solution"][self.written][0] is None

    def test_stub_gets_zero_without_crashing(self, graded):
        got = graded.autograded("stub")
        assert all(score == 0 for score, _ in got.values()), got
        # an untouched written answer is scored 0 automatically ("No response")
        assert graded.scores["stub"][self.written] == (0, self.written_points)
        for part, tests in graded.parts.items():
            hidden = [t for t in tests if t.endswith("_hidden")]
            assert hidden, f"{part} has no hidden test"
            assert all("raised NotImplementedError" in graded.output("stub", t) for t in hidden), part

    def test_every_autograded_part_has_two_wrong_answers(self, graded):
        counts = Counter(ans.part for ans in self.wrong_answers.values())
        assert set(counts) == set(graded.parts)
        assert all(n >= self.min_wrong_per_part for n in counts.values()), counts

    def test_wrong_answer_loses_points_on_its_own_part_only(self, graded, wrong):
        part = self.wrong_answers[wrong].part
        got = graded.autograded(wrong)
        own = graded.parts[part]
        earned = sum(got[t][0] for t in own)
        assert earned < sum(got[t][1] for t in own), f"{wrong} keeps full marks on {part}: {got}"
        hidden = [t for t in own if t.endswith("_hidden")]
        assert all(got[t][0] == 0 for t in hidden), f"{wrong} passes the hidden tests of {part}: {got}"
        elsewhere = {t: s for t, s in got.items() if t not in own and s[0] != s[1]}
        assert not elsewhere, f"{wrong} (wrong {part}) loses points on other parts: {elsewhere}"

    def test_failing_test_names_the_mistake(self, graded, wrong):
        ans = self.wrong_answers[wrong]
        texts = {t: graded.output(wrong, t) for t in graded.parts[ans.part]}
        failing = {t: text for t, text in texts.items() if graded.scores[wrong][t][0] == 0}
        assert any(ans.message in text for text in failing.values()), (
            f"{wrong}: no failing test of {ans.part} says {ans.message!r}; outputs:\n"
            + "\n".join(f"--- {t}\n{text[-1500:]}" for t, text in texts.items()))

    def test_correct_variants_get_full_marks(self, graded, variant):
        got = graded.autograded(variant)
        lost = {gid: s for gid, s in got.items() if s[0] != s[1]}
        assert not lost, f"{variant} is correct but loses points: {lost}"

    def test_exempted_arguments_exist(self):
        """An exemption names a real optional argument (a stale one would hide nothing)."""
        master = read_notebook(self.source_root / "solutions" / self.assignment / f"{self.assignment}.ipynb")
        sources = {nbgrader_meta(c).get("grade_id"): c.source for c in master.cells}
        for part, reasons in self.exempt_arguments.items():
            assert part in autograded_parts(master), f"exempt_arguments: {part!r} is not an autograded part"
            unknown = set(reasons) - set(optional_arguments(sources[part], part))
            assert not unknown, f"exempt_arguments: {part} has no optional argument {sorted(unknown)}"

    def test_ignoring_an_optional_argument_loses_points(self, graded, ignorer):
        """The master solution that accepts an optional argument and ignores it is caught."""
        if ignorer is None:
            return
        problems = ignored_argument_problems(graded, ignorer, self.ignoring_students()[ignorer])
        assert not problems, "\n".join(problems)

    def test_grading_happens_outside_the_repository(self, graded):
        assert (graded.course / "gradebook.db").is_file()
        assert ROOT not in graded.course.resolve().parents, "nbgrader must run in a throwaway copy"
