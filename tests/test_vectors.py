"""Tests of calclib.vectors (chapter 2) against oracles: closed forms, numpy.linalg, scipy.

Every expected value comes from an independent computation (a formula worked by hand,
``numpy.linalg``, ``scipy``, or exact arithmetic with mpmath), never from calclib itself.
Several tests also show that the check would catch a slightly wrong implementation, so a
passing test means something.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import scipy.linalg
import scipy.stats
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose
from scipy.spatial.distance import cosine as cosine_distance

import calclib as cl

EPS = np.finfo(float).eps

#: Reproducible, bounded property tests: the whole file runs in a few seconds.
PROPERTY = settings(derandomize=True, max_examples=60, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

#: Entries in [-1e3, 1e3], zero or at least 1e-50 in size: the oracles (scipy's cosine,
#: np.linalg.norm) square their inputs and would underflow on smaller ones. Tiny and huge
#: vectors are tested separately, against closed forms.
moderate = st.one_of(st.just(0.0), st.floats(1e-50, 1e3), st.floats(-1e3, -1e-50))


def vectors(n_min=1, n_max=6, elements=moderate):
    return hnp.arrays(float, st.integers(n_min, n_max), elements=elements)


@st.composite
def vector_pairs(draw, elements=moderate):
    n = draw(st.integers(1, 6))
    a = draw(hnp.arrays(float, n, elements=elements))
    b = draw(hnp.arrays(float, n, elements=elements))
    return a, b


def nonzero(v):
    return bool(np.any(v != 0))


def rand_data(seed=0, n=300, d=4):
    """Correlated Gaussian data with well separated covariance eigenvalues."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    scales = np.array([5.0, 2.0, 1.0, 0.3, 0.1, 0.05][:d])
    return rng.standard_normal((n, d)) * scales @ Q.T + rng.normal(size=d) * 10


# --------------------------------------------------------------------------------------
# norm (2.1)
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("p", [1, 2, np.inf])
def test_norm_matches_numpy_for_standard_p(p):
    rng = np.random.default_rng(1)
    for n in (1, 2, 5, 50):
        v = rng.normal(size=n) * 10.0 ** rng.integers(-3, 4)
        assert_allclose(cl.norm(v, p), np.linalg.norm(v, ord=p), rtol=1e-14, atol=0)


def test_norm_closed_forms():
    v = [3.0, -4.0]
    assert_allclose(cl.norm(v), 5.0, rtol=1e-15)
    assert_allclose(cl.norm(v, 1), 7.0, rtol=1e-15)
    assert_allclose(cl.norm(v, np.inf), 4.0, rtol=0)
    assert_allclose(cl.norm(v, "inf"), 4.0, rtol=0)
    assert_allclose(cl.norm([1, 2, 2]), 3.0, rtol=1e-15)   # integers are accepted
    for p in (1, 2, 3.5, np.inf):
        assert cl.norm([0.0, 0.0, -0.0], p) == 0.0


@pytest.mark.parametrize("p", [1.5, 3, 4.25, 7])
def test_norm_general_p_matches_formula(p):
    rng = np.random.default_rng(2)
    v = rng.normal(size=7)
    expected = np.sum(np.abs(v) ** p) ** (1.0 / p)
    assert_allclose(cl.norm(v, p), expected, rtol=1e-13)


def test_norm_large_p_tends_to_max():
    v = np.array([1.0, -3.0, 2.0, 2.9])
    # (sum |v_i|^p)^(1/p) = max * (1 + sum of ratios^p)^(1/p); exact with mpmath
    for p in (10, 100, 1000):
        exact = float(mpmath.root(mpmath.fsum(mpmath.mpf(abs(x)) ** p for x in v), p))
        assert_allclose(cl.norm(v, p), exact, rtol=1e-13)


@pytest.mark.parametrize("scale", [1e-200, 1e200, 1e-300, 1e300])
@pytest.mark.parametrize("p", [1, 2, 3, np.inf])
def test_norm_scaling_avoids_underflow_and_overflow(scale, p):
    v = np.array([scale, scale])
    expected = scale * 2.0 ** (1.0 / p) if p != np.inf else scale
    assert_allclose(cl.norm(v, p), expected, rtol=1e-15)


def test_naive_norm_really_fails_on_these_inputs():
    """The scaling test above is not vacuous: the textbook formula gives 0 and inf."""
    with np.errstate(under="ignore", over="ignore"):
        assert np.sqrt(np.sum(np.array([1e-200, 1e-200]) ** 2)) == 0.0
        assert np.isinf(np.sqrt(np.sum(np.array([1e200, 1e200]) ** 2)))


@pytest.mark.parametrize("p", [0.5, 0, -1, -np.inf, np.nan])
def test_norm_p_below_one_raises(p):
    with pytest.raises(ValueError, match=r"p must be >= 1"):
        cl.norm([1.0, 2.0], p)


def test_norm_p_not_a_number_raises():
    with pytest.raises(TypeError, match=r"p must be a number >= 1 or np.inf"):
        cl.norm([1.0, 2.0], "two")


@PROPERTY
@given(vector_pairs(), st.sampled_from([1, 1.5, 2, 3, np.inf]))
def test_norm_triangle_inequality(ab, p):
    a, b = ab
    lhs = cl.norm(a + b, p)
    rhs = cl.norm(a, p) + cl.norm(b, p)
    assert lhs <= rhs * (1 + 1e-12) + 1e-300


@PROPERTY
@given(vectors(), st.floats(-1e3, 1e3, allow_nan=False), st.sampled_from([1, 2, 2.5, np.inf]))
def test_norm_absolute_homogeneity(v, c, p):
    assert_allclose(cl.norm(c * v, p), abs(c) * cl.norm(v, p), rtol=1e-13, atol=1e-300)


@PROPERTY
@given(vectors(), st.sampled_from([1, 2, 3, np.inf]))
def test_norm_positive_definite(v, p):
    n = cl.norm(v, p)
    assert n >= 0.0
    assert (n == 0.0) == (not nonzero(v))


# --------------------------------------------------------------------------------------
# unit_vector (2.1)
# --------------------------------------------------------------------------------------

def test_unit_vector_closed_form():
    assert_allclose(cl.unit_vector([3.0, 4.0]), [0.6, 0.8], rtol=1e-15)
    assert_allclose(cl.unit_vector([0.0, -2.0, 0.0]), [0.0, -1.0, 0.0], rtol=0, atol=0)
    assert_allclose(cl.unit_vector([1, 1, 1, 1]), [0.5] * 4, rtol=1e-15)


def test_unit_vector_has_norm_one_and_same_direction():
    rng = np.random.default_rng(3)
    for n in (1, 2, 3, 10, 100):
        v = rng.normal(size=n) * 10.0 ** rng.integers(-5, 6)
        u = cl.unit_vector(v)
        assert u.shape == v.shape
        assert_allclose(np.linalg.norm(u), 1.0, rtol=0, atol=4 * EPS)
        assert_allclose(u, v / np.linalg.norm(v), rtol=1e-14, atol=0)
        assert u @ v > 0


@pytest.mark.parametrize("scale", [1e-200, 1e200, 1e-310, 1e-320, 1e300])
def test_unit_vector_of_tiny_and_huge_vectors(scale):
    v = np.array([3.0, 4.0, -1.0]) * scale
    # oracle: v / ‖v‖ in 50-digit arithmetic (subnormal inputs are stored inexactly, so
    # the direction of the stored v is not exactly (3, 4, -1)/√26)
    with mpmath.workdps(50):
        length = mpmath.sqrt(mpmath.fsum(mpmath.mpf(float(x)) ** 2 for x in v))
        expected = [float(mpmath.mpf(float(x)) / length) for x in v]
    assert_allclose(cl.unit_vector(v), expected, rtol=1e-15)
    assert_allclose(np.linalg.norm(cl.unit_vector(v)), 1.0, rtol=0, atol=4 * EPS)


@PROPERTY
@given(vectors(elements=st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False)))
def test_unit_vector_property(v):
    assume(nonzero(v))
    u = cl.unit_vector(v)
    assert np.all(np.isfinite(u))
    assert_allclose(np.linalg.norm(u), 1.0, rtol=0, atol=8 * EPS)
    # same direction: after dividing each by its largest entry the two vectors coincide
    assert_allclose(u / np.max(np.abs(u)), v / np.max(np.abs(v)), rtol=1e-14, atol=1e-300)
    assert np.all(u * v >= 0)


def test_unit_vector_check_catches_a_wrong_normalization():
    """The check above fails for v / ‖v‖₁ (a plausible student mistake)."""
    v = np.array([3.0, 4.0])
    with pytest.raises(AssertionError):
        assert_allclose(np.linalg.norm(v / np.sum(np.abs(v))), 1.0, rtol=0, atol=8 * EPS)


@pytest.mark.parametrize("v", [[0.0, 0.0], [0.0], [-0.0, 0.0, 0.0], np.zeros(5)])
def test_unit_vector_zero_raises(v):
    with pytest.raises(ValueError, match=r"zero vector"):
        cl.unit_vector(v)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_unit_vector_non_finite_raises(bad):
    with pytest.raises(ValueError, match=r"non-finite.*index \(1,\)"):
        cl.unit_vector([1.0, bad, 2.0])


def test_unit_vector_shape_and_type_errors():
    with pytest.raises(ValueError, match=r"1-D vector.*\(2, 2\)"):
        cl.unit_vector([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ValueError, match=r"1-D vector.*\(\)"):
        cl.unit_vector(3.0)
    with pytest.raises(ValueError, match=r"empty"):
        cl.unit_vector([])
    with pytest.raises(TypeError, match=r"function"):
        cl.unit_vector(np.sin)
    with pytest.raises(TypeError, match=r"function"):
        cl.unit_vector(lambda x: x)
    with pytest.raises(TypeError, match=r"real numbers"):
        cl.unit_vector(["a", "b"])
    with pytest.raises(TypeError, match=r"real numbers"):
        cl.unit_vector(np.array([1 + 1j, 2.0]))


# --------------------------------------------------------------------------------------
# dot, angle, cosine similarity (2.2)
# --------------------------------------------------------------------------------------

def test_dot_closed_form_and_numpy():
    assert cl.dot([1, 2, 3], [4, -5, 6]) == 4 - 10 + 18
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(2, 30))
    assert_allclose(cl.dot(a, b), np.dot(a, b), rtol=1e-14)
    assert isinstance(cl.dot(a, b), float)


@PROPERTY
@given(vector_pairs())
def test_dot_symmetric_and_consistent_with_norm(ab):
    a, b = ab
    assert cl.dot(a, b) == cl.dot(b, a)
    assert_allclose(cl.dot(a, a), cl.norm(a) ** 2, rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("f", [cl.dot, cl.cosine_similarity, cl.angle, cl.project,
                               cl.scalar_projection])
def test_mismatched_shapes_raise_instead_of_broadcasting(f):
    with pytest.raises(ValueError, match=r"same shape.*\(3,\) and \(1,\)"):
        f([1.0, 2.0, 3.0], [2.0])
    with pytest.raises(ValueError, match=r"same shape.*\(2,\) and \(3,\)"):
        f([1.0, 2.0], [1.0, 2.0, 3.0])


@pytest.mark.parametrize("a, b, rad", [
    ([1, 0], [0, 1], np.pi / 2),
    ([1, 0], [1, 1], np.pi / 4),
    ([2, 0], [-3, 0], np.pi),
    ([1, 0, 0], [1, 0, 0], 0.0),
    ([1, 1, 0], [0, 1, 1], np.pi / 3),        # cos = 1/2
    ([1, 0], [-1, np.sqrt(3)], 2 * np.pi / 3),
])
def test_angle_closed_forms(a, b, rad):
    assert_allclose(cl.angle(a, b), rad, rtol=0, atol=4 * EPS)
    assert_allclose(cl.angle(a, b, degrees=True), np.degrees(rad), rtol=0, atol=1e-13)


def test_angle_of_rotated_2d_vectors():
    rng = np.random.default_rng(5)
    for _ in range(50):
        alpha, beta = rng.uniform(-np.pi, np.pi, 2)
        r1, r2 = 10.0 ** rng.uniform(-3, 3, 2)
        a = r1 * np.array([np.cos(alpha), np.sin(alpha)])
        b = r2 * np.array([np.cos(beta), np.sin(beta)])
        d = abs(alpha - beta)
        expected = min(d, 2 * np.pi - d)
        assert_allclose(cl.angle(a, b), expected, rtol=0, atol=1e-14)
        assert_allclose(cl.angle(a, b, degrees=True), np.degrees(expected), rtol=0, atol=1e-12)


def _exact_angle(a, b):
    """The angle between the float vectors a and b, in 60-digit arithmetic."""
    with mpmath.workdps(60):
        a = [mpmath.mpf(float(x)) for x in a]
        b = [mpmath.mpf(float(x)) for x in b]
        ab = mpmath.fsum(x * y for x, y in zip(a, b))
        aa = mpmath.fsum(x * x for x in a)
        bb = mpmath.fsum(x * x for x in b)
        return float(mpmath.atan2(mpmath.sqrt(aa * bb - ab * ab), ab))


def test_angle_tiny_angle_exact_case():
    # b is a exactly rotated by atan(1e-9) ~ 1e-9: the inputs are exact, so is the answer
    t = math.atan(1e-9)
    assert_allclose(cl.angle([1.0, 0.0, 0.0], [1.0, 1e-9, 0.0]), t, rtol=1e-15)
    assert_allclose(cl.angle([2.0, 0.0], [-2.0, 2e-9]), np.pi - t, rtol=1e-15)
    # arccos cannot do this: cos(1e-9) rounds to 1.0, so arccos returns exactly 0
    assert np.arccos(1.0 / np.sqrt(1.0 + 1e-18)) == 0.0


@pytest.mark.parametrize("t", [1e-9, 1e-6, 1e-12])
def test_angle_nearly_parallel_accurate_where_arccos_is_not(t):
    rng = np.random.default_rng(6)
    worst, arccos_errors = 0.0, []
    for _ in range(30):
        Q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
        a = 3.0 * Q[:, 0]
        b = 0.5 * (np.cos(t) * Q[:, 0] + np.sin(t) * Q[:, 1])
        exact = _exact_angle(a, b)   # the angle between the vectors as stored
        assert abs(exact - t) <= 1e-15      # the inputs are rounded: not exactly t apart
        worst = max(worst, abs(cl.angle(a, b) - exact))
        c = (a @ b) / (np.linalg.norm(a) * np.linalg.norm(b))
        arccos_errors.append(abs(np.arccos(np.clip(c, -1, 1)) - exact))
    # absolute error of a few ulps of 1 (relative 1e-7 at t = 1e-9) ...
    assert worst <= 4 * EPS
    # ... while arccos's error is ~eps/sin(t) (or t itself, once cos t rounds to 1):
    # this test would catch an arccos implementation
    assert np.median(arccos_errors) > 100 * 4 * EPS


@PROPERTY
@given(vector_pairs())
def test_angle_properties(ab):
    a, b = ab
    assume(nonzero(a) and nonzero(b))
    theta = cl.angle(a, b)
    assert 0.0 <= theta <= np.pi
    assert_allclose(cl.angle(b, a), theta, rtol=0, atol=4 * EPS)
    assert_allclose(cl.angle(a, b, degrees=True), np.degrees(theta), rtol=1e-15, atol=0)
    assert_allclose(np.cos(theta), 1 - cosine_distance(a, b), rtol=0, atol=1e-12)
    assert_allclose(cl.angle(a, -b), np.pi - theta, rtol=0, atol=1e-14)


@pytest.mark.parametrize("f", [cl.angle, cl.cosine_similarity])
def test_angle_and_cosine_zero_vector_raise(f):
    with pytest.raises(ValueError, match=r"^a is the zero vector"):
        f([0.0, 0.0], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"^b is the zero vector"):
        f([1.0, 2.0], [0.0, 0.0])


def test_cosine_similarity_closed_forms():
    assert_allclose(cl.cosine_similarity([1, 0], [1, 1]), 1 / np.sqrt(2), rtol=1e-15)
    assert_allclose(cl.cosine_similarity([1, 2, 3], [-2, 1, 0]), 0.0, rtol=0, atol=1e-16)
    assert cl.cosine_similarity([1.0, 2.0, 3.0], [2.0, 4.0, 6.0]) == pytest.approx(1, abs=1e-15)
    assert cl.cosine_similarity([1.0, 2.0], [-0.5, -1.0]) == pytest.approx(-1, abs=1e-15)
    # scale invariant even where ‖·‖² under- or overflows
    for s in (1e-200, 1e200):
        assert_allclose(cl.cosine_similarity([s, s], [s, 2 * s]), 3 / np.sqrt(10), rtol=1e-15)


def test_cosine_similarity_matches_scipy():
    rng = np.random.default_rng(7)
    for n in (1, 2, 3, 20):
        for _ in range(10):
            a, b = rng.normal(size=(2, n))
            assert_allclose(cl.cosine_similarity(a, b), 1 - cosine_distance(a, b),
                            rtol=0, atol=1e-14)


@PROPERTY
@given(vector_pairs(), st.floats(1e-3, 1e3), st.floats(1e-3, 1e3))
def test_cosine_similarity_properties(ab, s, t):
    a, b = ab
    assume(nonzero(a) and nonzero(b))
    c = cl.cosine_similarity(a, b)
    assert -1.0 <= c <= 1.0
    assert_allclose(c, 1 - cosine_distance(a, b), rtol=0, atol=1e-12)
    assert_allclose(cl.cosine_similarity(s * a, t * b), c, rtol=0, atol=1e-14)
    assert -1.0 <= cl.cosine_similarity(a, 3 * a) <= 1.0
    assert -1.0 <= cl.cosine_similarity(a, -a) <= 1.0


def test_cosine_check_catches_a_missing_normalization():
    """The scipy comparison fails for a · b / ‖a‖ (b not normalized)."""
    a, b = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    with pytest.raises(AssertionError):
        assert_allclose(a @ b / np.linalg.norm(a), 1 - cosine_distance(a, b), atol=1e-12)


def test_cosine_similarity_matrix_matches_pairwise_scipy():
    rng = np.random.default_rng(8)
    A = rng.normal(size=(5, 4))
    B = rng.normal(size=(3, 4))
    expected = np.array([[1 - cosine_distance(a, b) for b in B] for a in A])
    S = cl.cosine_similarity_matrix(A, B)
    assert S.shape == (5, 3)
    assert_allclose(S, expected, rtol=0, atol=1e-14)
    S_AA = cl.cosine_similarity_matrix(A)
    expected_AA = np.array([[1 - cosine_distance(a, b) for b in A] for a in A])
    assert_allclose(S_AA, expected_AA, rtol=0, atol=1e-14)
    assert_allclose(np.diag(S_AA), 1.0, rtol=0, atol=4 * EPS)
    assert_allclose(S_AA, S_AA.T, rtol=0, atol=4 * EPS)


def test_cosine_similarity_matrix_stays_in_range_for_parallel_rows():
    # rounding can push a·b/(‖a‖‖b‖) just past ±1 for parallel rows; the result must not
    rng = np.random.default_rng(26)
    V = rng.normal(size=(200, 7))
    A = np.vstack([V, 3.7 * V, -0.3 * V])
    S = cl.cosine_similarity_matrix(A)
    assert S.min() >= -1.0 and S.max() <= 1.0
    m = len(V)
    assert_allclose(np.diag(S[:m, m:2 * m]), 1.0, rtol=0, atol=4 * EPS)
    assert_allclose(np.diag(S[:m, 2 * m:]), -1.0, rtol=0, atol=4 * EPS)


def test_cosine_similarity_matrix_tiny_and_huge_rows():
    rng = np.random.default_rng(9)
    A = rng.normal(size=(4, 3))
    expected = np.array([[1 - cosine_distance(a, b) for b in A] for a in A])
    scaled = A * np.array([1e-200, 1.0, 1e200, 1e-300])[:, None]
    assert_allclose(cl.cosine_similarity_matrix(scaled), expected, rtol=0, atol=1e-14)


def test_cosine_similarity_matrix_errors():
    A = np.array([[1.0, 2.0], [0.0, 0.0], [3.0, 1.0]])
    with pytest.raises(ValueError, match=r"row 1 of A is the zero vector"):
        cl.cosine_similarity_matrix(A)
    with pytest.raises(ValueError, match=r"row 1 of B is the zero vector"):
        cl.cosine_similarity_matrix(np.ones((2, 2)), A)
    with pytest.raises(ValueError, match=r"same length, got 2 and 3"):
        cl.cosine_similarity_matrix(np.ones((2, 2)), np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"A must be a 2-D array"):
        cl.cosine_similarity_matrix([1.0, 2.0])


# --------------------------------------------------------------------------------------
# projections (2.2)
# --------------------------------------------------------------------------------------

def test_scalar_projection_closed_forms():
    assert_allclose(cl.scalar_projection([3, 4], [1, 0]), 3.0, rtol=1e-15)
    assert_allclose(cl.scalar_projection([3, 4], [0, -2]), -4.0, rtol=1e-15)
    assert_allclose(cl.scalar_projection([1, 1], [1, 1]), np.sqrt(2), rtol=1e-15)
    rng = np.random.default_rng(10)
    a, b = rng.normal(size=(2, 6))
    assert_allclose(cl.scalar_projection(a, b), a @ b / np.linalg.norm(b), rtol=1e-13)


def _lstsq_projection(a, b):
    """Projection onto span(b) as the least-squares fit of a by multiples of b."""
    coef, *_ = np.linalg.lstsq(np.asarray(b, float)[:, None], np.asarray(a, float), rcond=None)
    return coef[0] * np.asarray(b, float)


def test_project_closed_form_and_lstsq():
    assert_allclose(cl.project([2, 3], [1, 1]), [2.5, 2.5], rtol=1e-15)
    assert_allclose(cl.project([2, 3], [0, 5]), [0.0, 3.0], rtol=0, atol=1e-15)
    assert_allclose(cl.project([1, 0], [0, 1]), [0.0, 0.0], rtol=0, atol=0)
    rng = np.random.default_rng(11)
    for n in (1, 2, 3, 8):
        a, b = rng.normal(size=(2, n))
        assert_allclose(cl.project(a, b), _lstsq_projection(a, b), rtol=1e-12, atol=1e-14)


def test_project_check_catches_dividing_by_norm_instead_of_norm_squared():
    a, b = np.array([2.0, 3.0]), np.array([0.0, 5.0])
    wrong = (a @ b) / np.linalg.norm(b) * b
    with pytest.raises(AssertionError):
        assert_allclose(wrong, _lstsq_projection(a, b), rtol=1e-12, atol=1e-14)


@PROPERTY
@given(vector_pairs(), st.floats(-1e3, 1e3).filter(lambda c: abs(c) > 1e-3))
def test_project_properties(ab, c):
    a, b = ab
    assume(nonzero(b))
    p = cl.project(a, b)
    scale = np.linalg.norm(a) * np.linalg.norm(b) + 1e-300
    # the residual is orthogonal to b
    assert abs(b @ (a - p)) <= 1e-12 * scale
    # idempotent
    assert_allclose(cl.project(p, b), p, rtol=1e-12, atol=1e-12 * np.linalg.norm(a))
    # depends on the line of b only, not on its length or orientation
    assert_allclose(cl.project(a, 3 * b), p, rtol=1e-12, atol=1e-12 * np.linalg.norm(a))
    assert_allclose(cl.project(a, c * b), p, rtol=1e-12, atol=1e-12 * np.linalg.norm(a))
    # scalar projection is the signed length along b
    assert_allclose(cl.scalar_projection(a, b) * b / np.linalg.norm(b), p,
                    rtol=1e-12, atol=1e-12 * np.linalg.norm(a))
    # and the projection is never longer than a
    assert np.linalg.norm(p) <= np.linalg.norm(a) * (1 + 1e-12)


def test_project_onto_zero_raises():
    with pytest.raises(ValueError, match=r"b is the zero vector.*projected onto"):
        cl.project([1.0, 2.0], [0.0, 0.0])
    with pytest.raises(ValueError, match=r"b is the zero vector"):
        cl.scalar_projection([1.0, 2.0], [0.0, 0.0])


# --------------------------------------------------------------------------------------
# Gram matrix (2.2) and coordinates (2.3)
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(1, 1), (4, 3), (3, 7), (10, 2)])
def test_gram_matrix_symmetric_psd_and_correct(shape):
    rng = np.random.default_rng(12)
    X = rng.normal(size=shape)
    G = cl.gram_matrix(X)
    m = shape[0]
    expected = np.array([[sum(X[i, k] * X[j, k] for k in range(shape[1])) for j in range(m)]
                         for i in range(m)])
    assert G.shape == (m, m)
    assert_allclose(G, expected, rtol=1e-13, atol=1e-13)
    assert_allclose(G, G.T, rtol=0, atol=1e-14)
    w = np.linalg.eigvalsh(G)
    assert w.min() >= -1e-12 * max(1.0, w.max())
    # rank of G = rank of X: more rows than columns gives zero eigenvalues
    assert np.sum(w > 1e-10 * w.max()) == np.linalg.matrix_rank(X)


def test_gram_matrix_rejects_a_vector():
    with pytest.raises(ValueError, match=r"X must be a 2-D array.*reshape"):
        cl.gram_matrix([1.0, 2.0])


def test_coordinates_closed_form():
    # v = 2*(1, 1) + 1*(1, -1)
    assert_allclose(cl.coordinates([[1, 1], [1, -1]], [3, 1]), [2.0, 1.0], rtol=1e-15)
    # the standard basis: coordinates are the components
    assert_allclose(cl.coordinates(np.eye(3), [4, 5, 6]), [4, 5, 6], rtol=0)
    # an orthonormal basis: coordinates are dot products with the basis vectors
    th = 0.3
    R = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    v = np.array([1.5, -2.0])
    assert_allclose(cl.coordinates(R, v), R.T @ v, rtol=1e-14, atol=1e-15)


def test_coordinates_reconstruct_v():
    rng = np.random.default_rng(13)
    for n in (1, 2, 5, 10):
        B = rng.normal(size=(n, n)) + 3 * np.eye(n)
        v = rng.normal(size=n)
        c = cl.coordinates(B, v)
        assert c.shape == (n,)
        assert_allclose(B @ c, v, rtol=0, atol=1e-12)


def test_coordinates_errors():
    with pytest.raises(ValueError, match=r"linearly dependent.*do not form a basis"):
        cl.coordinates([[1.0, 2.0], [2.0, 4.0]], [1.0, 1.0])
    with pytest.raises(ValueError, match=r"linearly dependent"):
        cl.coordinates([[1.0, 1.0], [1.0, 1.0 + 1e-15]], [1.0, 1.0])
    with pytest.raises(ValueError, match=r"linearly dependent"):
        cl.coordinates(np.zeros((2, 2)), [1.0, 1.0])
    with pytest.raises(ValueError, match=r"basis of R\^3 needs 3 columns.*\(3, 2\)"):
        cl.coordinates(np.ones((3, 2)), [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match=r"v must have length 2"):
        cl.coordinates(np.eye(2), [1.0, 1.0, 1.0])


# --------------------------------------------------------------------------------------
# Gram–Schmidt (2.3)
# --------------------------------------------------------------------------------------

def _qr_q_positive(V):
    """numpy's Householder QR, signs fixed so that diag(R) > 0 (then Q is unique)."""
    Q, R = np.linalg.qr(V)
    return Q * np.sign(np.diag(R))


def _classical_gram_schmidt(V):
    """One pass of classical Gram–Schmidt: the version that loses orthogonality."""
    Q = np.zeros_like(V, dtype=float)
    for j in range(V.shape[1]):
        v = V[:, j] - Q[:, :j] @ (Q[:, :j].T @ V[:, j])
        Q[:, j] = v / np.linalg.norm(v)
    return Q


def test_gram_schmidt_closed_form():
    V = np.array([[3.0, 1.0], [4.0, 2.0]])
    # q1 = (3, 4)/5; v2 - (q1·v2) q1 = (1, 2) - 11/25 (3, 4) = (-8, 6)/25 -> (-4, 3)/5
    assert_allclose(cl.gram_schmidt(V), [[0.6, -0.8], [0.8, 0.6]], rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (6, 4), (10, 1), (20, 7)])
def test_gram_schmidt_orthonormal_and_matches_qr(shape):
    rng = np.random.default_rng(14)
    V = rng.normal(size=shape)
    Q = cl.gram_schmidt(V)
    k = shape[1]
    assert Q.shape == shape
    assert_allclose(Q.T @ Q, np.eye(k), rtol=0, atol=1e-14)
    assert_allclose(Q, _qr_q_positive(V), rtol=0, atol=1e-12 * np.linalg.cond(V))
    # the nested spans are kept: R = Qᵀ V is upper triangular with a positive diagonal
    R = Q.T @ V
    assert_allclose(np.tril(R, -1), 0.0, rtol=0, atol=1e-13)
    assert np.all(np.diag(R) > 0)
    assert_allclose(Q @ R, V, rtol=0, atol=1e-13)


@pytest.mark.parametrize("n, k", [(8, 8), (12, 8)])
def test_gram_schmidt_ill_conditioned_hilbert(n, k):
    """Hilbert columns: cond(V) ~ 1e9 .. 1.5e10, yet Q is orthonormal to machine precision."""
    V = scipy.linalg.hilbert(n)[:, :k]
    cond = np.linalg.cond(V)
    assert cond > 1e9
    Q = cl.gram_schmidt(V)
    # the second pass ("twice is enough") makes QᵀQ = I to a few ulps (measured ~3e-16)
    assert np.max(np.abs(Q.T @ Q - np.eye(k))) <= 1e-14
    # span preserved: projecting V onto span(Q) gives V back, and R = QᵀV is triangular
    assert np.max(np.abs(Q @ (Q.T @ V) - V)) <= 1e-14
    assert np.max(np.abs(np.tril(Q.T @ V, -1))) <= 1e-14
    # agreement with Householder QR is limited by the conditioning, ~ cond * eps
    assert np.max(np.abs(Q - _qr_q_positive(V))) <= 10 * cond * EPS


def test_orthogonality_check_catches_classical_gram_schmidt():
    """On the same Hilbert matrix, one pass of classical GS fails the 1e-14 check badly."""
    V = scipy.linalg.hilbert(8)
    Q = _classical_gram_schmidt(V)
    assert np.max(np.abs(Q.T @ Q - np.eye(8))) > 1e-3


def test_gram_schmidt_is_invariant_to_column_scaling():
    rng = np.random.default_rng(15)
    V = rng.normal(size=(5, 4))
    scaled = V * np.array([1e-200, 1.0, 1e200, 1e-300])
    assert_allclose(cl.gram_schmidt(scaled), cl.gram_schmidt(V), rtol=0, atol=1e-14)
    assert_allclose(cl.gram_schmidt(scaled), _qr_q_positive(V), rtol=0, atol=1e-12)


@PROPERTY
@given(st.integers(1, 6).flatmap(
    lambda n: st.tuples(st.just(n), st.integers(1, n))).flatmap(
    lambda nk: hnp.arrays(float, nk, elements=st.floats(-10, 10))))
def test_gram_schmidt_property(V):
    cond = np.linalg.cond(V)
    assume(np.isfinite(cond) and cond < 1e6)
    Q = cl.gram_schmidt(V)
    k = V.shape[1]
    assert_allclose(Q.T @ Q, np.eye(k), rtol=0, atol=1e-14)
    assert_allclose(Q, _qr_q_positive(V), rtol=0, atol=100 * cond * EPS)


def test_gram_schmidt_errors():
    V = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 2.0], [0.0, 0.0, 0.0], [1.0, 1.0, 3.0]])
    with pytest.raises(ValueError, match=r"column 2 of V is linearly dependent"):
        cl.gram_schmidt(V)  # column 2 = column 0 + 2 * column 1
    with pytest.raises(ValueError, match=r"column 1 of V is linearly dependent"):
        cl.gram_schmidt(np.array([[1.0, -3.0], [2.0, -6.0]]))
    with pytest.raises(ValueError, match=r"column 1 of V is the zero vector"):
        cl.gram_schmidt(np.array([[1.0, 0.0], [2.0, 0.0]]))
    with pytest.raises(ValueError, match=r"3 vectors in R\^2 cannot be linearly independent"):
        cl.gram_schmidt(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"tol must be positive"):
        cl.gram_schmidt(np.eye(2), tol=0.0)
    with pytest.raises(ValueError, match=r"V must be a 2-D array"):
        cl.gram_schmidt([1.0, 2.0])


# --------------------------------------------------------------------------------------
# standardize (2.3)
# --------------------------------------------------------------------------------------

def test_standardize_mean_zero_std_one_and_matches_scipy():
    X = rand_data(16, n=50, d=3)
    Z = cl.standardize(X)
    assert Z.shape == X.shape
    assert_allclose(Z.mean(axis=0), 0.0, rtol=0, atol=1e-14)
    assert_allclose(Z.std(axis=0), 1.0, rtol=1e-14)
    assert_allclose(Z, scipy.stats.zscore(X, ddof=0), rtol=1e-12, atol=1e-13)
    assert_allclose(cl.standardize([[1.0], [2.0], [3.0]]),
                    [[-np.sqrt(1.5)], [0.0], [np.sqrt(1.5)]], rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("scale", [1e-20, 1e-200, 1e200])
def test_standardize_does_not_depend_on_units(scale):
    X = rand_data(17, n=20, d=2)
    assert_allclose(cl.standardize(X * scale), scipy.stats.zscore(X, ddof=0),
                    rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("col", [[5.0, 5.0, 5.0, 5.0], [0.1, 0.1, 0.1, 0.1], [0.0] * 4,
                                 [1e-30] * 4])
def test_standardize_constant_column_raises(col):
    X = np.column_stack([[1.0, 2.0, 3.0, 4.0], col])
    with pytest.raises(ValueError, match=r"column 1 of X is constant"):
        cl.standardize(X)


# --------------------------------------------------------------------------------------
# PCA (2.3)
# --------------------------------------------------------------------------------------

def _top_eigen(X, k):
    """Oracle: the top-k eigenpairs of the population covariance, largest first."""
    C = np.cov(X.T, bias=True)
    w, U = np.linalg.eigh(C)
    return w[::-1][:k], U[:, ::-1][:, :k].T


@pytest.mark.parametrize("k", [1, 2, 4])
def test_pca_matches_covariance_eigenvectors(k):
    X = rand_data(18)
    comps, variances = cl.pca(X, k)
    w, U = _top_eigen(X, k)
    assert comps.shape == (k, 4) and variances.shape == (k,)
    assert_allclose(comps @ comps.T, np.eye(k), rtol=0, atol=1e-14)
    assert_allclose(variances, w, rtol=1e-12)
    signs = np.sign(np.sum(comps * U, axis=1))
    assert_allclose(comps, U * signs[:, None], rtol=0, atol=1e-10)
    assert np.all(np.diff(variances) <= 0)


def test_pca_sign_convention():
    rng = np.random.default_rng(19)
    for seed in range(5):
        X = rand_data(seed, n=100, d=5) * rng.choice([-1, 1], size=5)
        comps, _ = cl.pca(X, 5)
        for row in comps:
            assert row[np.argmax(np.abs(row))] > 0


def test_pca_project_variances_and_reconstruction():
    X = rand_data(20)
    d = X.shape[1]
    comps, variances = cl.pca(X, d)
    Z = cl.pca_project(X, d)
    assert Z.shape == (X.shape[0], d)
    assert_allclose(Z.mean(axis=0), 0.0, rtol=0, atol=1e-12)
    assert_allclose(np.var(Z, axis=0), variances, rtol=1e-12)
    # the projected coordinates are uncorrelated: their covariance is diag(variances)
    assert_allclose(np.cov(Z.T, bias=True), np.diag(variances), rtol=0, atol=1e-12)
    # all d components: an orthogonal change of basis, so reconstruction is exact
    assert_allclose(Z @ comps + X.mean(axis=0), X, rtol=0, atol=1e-12)
    # the oracle: coordinates along the covariance eigenvectors (signs aligned)
    w, U = _top_eigen(X, 2)
    U *= np.sign(np.sum(comps[:2] * U, axis=1))[:, None]
    assert_allclose(cl.pca_project(X, 2), (X - X.mean(axis=0)) @ U.T, rtol=0, atol=1e-9)


def test_pca_project_matches_svd():
    X = rand_data(21, n=40, d=3)
    Xc = X - X.mean(axis=0)
    U, s, Vt = np.linalg.svd(Xc, full_matrices=False)
    Z = cl.pca_project(X, 2)
    # Z = U_k diag(s_k) up to the sign of each column
    ref = U[:, :2] * s[:2]
    signs = np.sign(np.sum(Z * ref, axis=0))
    assert_allclose(Z, ref * signs, rtol=0, atol=1e-11)


def test_projected_variance_is_quadratic_form_and_maximized_at_top_component():
    X = rand_data(22, n=200, d=2)
    C = np.cov(X.T, bias=True)
    rng = np.random.default_rng(23)
    for _ in range(10):
        u = rng.normal(size=2)
        assert_allclose(cl.projected_variance(X, u), u @ C @ u / (u @ u), rtol=1e-12)
        assert_allclose(cl.projected_variance(X, 7.5 * u), cl.projected_variance(X, u),
                        rtol=1e-14)
    comps, variances = cl.pca(X, 1)
    top = comps[0]
    assert_allclose(cl.projected_variance(X, top), variances[0], rtol=1e-12)
    thetas = np.linspace(0, np.pi, 20001)
    sweep = np.array([cl.projected_variance(X, [np.cos(t), np.sin(t)]) for t in thetas])
    assert sweep.max() <= variances[0] * (1 + 1e-12)
    best = thetas[np.argmax(sweep)]
    top_angle = np.arctan2(top[1], top[0]) % np.pi
    gap = abs(best - top_angle)
    assert min(gap, np.pi - gap) <= 2 * np.pi / 20000
    # the minimum of the sweep is the smallest eigenvalue
    assert_allclose(sweep.min(), np.linalg.eigvalsh(C)[0], rtol=1e-6)


def test_projected_variance_errors():
    X = rand_data(24, n=10, d=3)
    with pytest.raises(ValueError, match=r"u is the zero vector"):
        cl.projected_variance(X, [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"u must have length 3"):
        cl.projected_variance(X, [1.0, 0.0])


@pytest.mark.parametrize("f", [cl.pca, cl.pca_project])
def test_pca_bad_k(f):
    X = rand_data(25, n=10, d=3)
    for k in (0, -1, 4):
        with pytest.raises(ValueError, match=r"k must be between 1 and .* = 3"):
            f(X, k)
    with pytest.raises(ValueError, match=r"= 2, got 3"):
        f(X[:2], 3)                         # min(n_samples, n_features) = 2
    for k in (1.0, 2.5, True, False, "2", None):
        with pytest.raises(TypeError, match=r"k must be an integer"):
            f(X, k)
    out = f(X, np.int64(2))                 # numpy integers are fine
    assert (out[0] if f is cl.pca else out.T).shape[0] == 2
