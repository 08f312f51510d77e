"""The shared autograder suite is itself tested: it must flag hidden tests that never vary
an optional argument.

``tests/fixtures/suite_toy`` is a tiny nbgrader course with two functions: the hidden tests
of ``scale(v, factor=2.0)`` only ever use the default factor (the flaw that let
``directional_derivative`` and ``linearize`` ignoring ``h``, and ``critical_point_newton``
ignoring ``tol``, keep full marks), those of ``shift(v, by=1.0)`` vary ``by``. One real
``nbgrader autograde`` run grades the generated wrong answers, and the suite's check must
flag the first and accept the second.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograde_suite import AutogradeSuite, ignored_argument_answers, ignored_argument_problems
from grading_utils import autograde_class, ignoring_answer, optional_arguments

FIXTURE = Path(__file__).parent / "fixtures" / "suite_toy"


def test_optional_arguments_are_read_from_the_signature():
    source = "def f(a, b=1, *args, c, d=np.finfo(float).eps, **kw):\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION\n"
    assert optional_arguments(source, "f") == {"b": "1", "d": "np.finfo(float).eps"}
    wrong = ignoring_answer("f", source, "d").source
    assert "def f(a, b=1, *args, c, d=np.finfo(float).eps, **kw):" in wrong
    assert "return _reference_f(a, *args, b=b, c=c, **kw)" in wrong


def test_an_exemption_needs_a_written_reason():
    with pytest.raises(TypeError, match="written reason"):
        type("TestNoReason", (AutogradeSuite,), dict(
            assignment="toy", written="answer_why", points=8, n_parts=2, wrong_answers={},
            correct_variants={}, source_root=FIXTURE, exempt_arguments={"scale": {"factor": ""}}))


@pytest.mark.slow
def test_suite_flags_hidden_tests_that_never_vary_an_optional_argument(tmp_path):
    answers = ignored_argument_answers("toy", FIXTURE)
    assert sorted(answers) == ["ignores_scale__factor", "ignores_shift__by"]
    graded = autograde_class(tmp_path, "toy", answers, FIXTURE)
    solution = graded.autograded("solution")
    assert all(score == top for score, top in solution.values()), solution
    flagged = ignored_argument_problems(graded, "ignores_scale__factor", answers["ignores_scale__factor"])
    assert flagged and "never vary factor" in flagged[0], flagged
    assert ignored_argument_problems(graded, "ignores_shift__by", answers["ignores_shift__by"]) == []
    # an exemption with a reason removes the generated student
    assert list(ignored_argument_answers("toy", FIXTURE, {"scale": {"factor": "a reason is given here"}})) == [
        "ignores_shift__by"]
