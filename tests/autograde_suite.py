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
  tests must not demand the instructor's particular algorithm).

A chapter adds its own checks as further ``test_*`` methods of its subclass, using the
``graded`` fixture (a :class:`grading_utils.GradedClass`).
"""

from __future__ import annotations

from collections import Counter

import pytest

from grading_utils import ROOT, Answer, GradedClass, autograde_class

__all__ = ["AutogradeSuite"]

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

    def pytest_generate_tests(self, metafunc):
        """Parametrize ``wrong`` and ``variant`` with the students this chapter declares."""
        if "wrong" in metafunc.fixturenames:
            metafunc.parametrize("wrong", sorted(self.wrong_answers))
        if "variant" in metafunc.fixturenames:
            metafunc.parametrize("variant", sorted(self.correct_variants))

    @pytest.fixture(scope="class")
    @classmethod
    def graded(cls, tmp_path_factory) -> GradedClass:
        """One real `nbgrader autograde` run for the whole class, shared by its tests."""
        return autograde_class(tmp_path_factory.mktemp(cls.assignment), cls.assignment,
                               {**cls.wrong_answers, **cls.correct_variants})

    # ------------------------------------------------------------------ the tests

    def test_every_student_was_graded(self, graded):
        students = ["solution", "stub", *self.wrong_answers, *self.correct_variants]
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

    def test_grading_happens_outside_the_repository(self, graded):
        assert (graded.course / "gradebook.db").is_file()
        assert ROOT not in graded.course.resolve().parents, "nbgrader must run in a throwaway copy"
