"""calclib._validate: every message names the argument, says what was wrong and what to do.

Also checks that the public functions pass their own argument names through, so a
student sees "b is the zero vector", not a message about some internal variable.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

import calclib as cl
from calclib._validate import as_matrix, as_vector, check_nonzero, check_same_shape


def test_as_vector_converts_to_float():
    v = as_vector([1, 2, 3])
    assert v.dtype == np.float64 and v.shape == (3,)
    assert_allclose(v, [1.0, 2.0, 3.0], rtol=0)
    assert as_vector(np.arange(4, dtype=np.int32)).dtype == np.float64
    assert as_vector((True, False)).dtype == np.float64


def test_as_vector_wrong_dimension_says_how_to_fix():
    with pytest.raises(ValueError,
                       match=r"^w must be a 1-D vector, got an array of shape \(2, 1\); "
                             r"use \.ravel\(\) for a flat vector or pass one row at a time$"):
        as_vector([[1.0], [2.0]], "w")
    with pytest.raises(ValueError, match=r"^v must be a 1-D vector, got an array of shape \(\)"):
        as_vector(5.0)


def test_as_vector_empty():
    with pytest.raises(ValueError, match=r"^x is empty; a vector needs at least one component$"):
        as_vector([], "x")


@pytest.mark.parametrize("bad, where", [(np.nan, r"\(0,\)"), (np.inf, r"\(0,\)")])
def test_non_finite_names_argument_and_index(bad, where):
    with pytest.raises(ValueError, match=rf"^x contains a non-finite value \(nan or inf\) at "
                                         rf"index {where}; clean or impute the data first$"):
        as_vector([bad, 1.0], "x")
    with pytest.raises(ValueError, match=r"^X contains a non-finite value .* at index \(1, 0\)"):
        as_matrix([[1.0, 2.0], [bad, 3.0]], "X")


def test_function_instead_of_array():
    with pytest.raises(TypeError, match=r"^f must be an array of numbers, got the function"):
        as_vector(np.exp, "f")
    with pytest.raises(TypeError, match=r"^A must be an array of numbers, got the function"):
        as_matrix(lambda x: x, "A")


@pytest.mark.parametrize("bad", [["a", "b"], [[1.0], [1.0, 2.0]], {"a": 1}])
def test_not_numbers(bad):
    with pytest.raises(TypeError, match=r"^v must be an array of real numbers, got "):
        as_vector(bad)


def test_missing_value_is_reported_as_non_finite():
    # None becomes nan on conversion: reported as missing data, with the advice to impute
    with pytest.raises(ValueError, match=r"^v contains a non-finite value .* index \(1,\); "
                                         r"clean or impute"):
        as_vector([1.0, None])


def test_complex_is_rejected_not_silently_truncated():
    # np.asarray(z, dtype=float) would only warn and keep the real part: a silent wrong answer
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TypeError, match=r"^z must be an array of real numbers.*x\.real"):
            as_vector(np.array([1 + 2j, 3.0]), "z")
        with pytest.raises(TypeError, match=r"real numbers"):
            as_vector([1 + 2j, 3.0], "z")
        with pytest.raises(TypeError, match=r"real numbers"):
            cl.norm(np.array([3 + 4j]))


def test_as_matrix_wrong_dimension_says_how_to_fix():
    with pytest.raises(ValueError,
                       match=r"^A must be a 2-D array \(matrix\), got shape \(3,\); for a single "
                             r"vector use x\.reshape\(1, -1\) \(one row\) or x\.reshape\(-1, 1\)"):
        as_matrix([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"^B must be a 2-D array .*\(2, 2, 2\)"):
        as_matrix(np.zeros((2, 2, 2)), "B")


@pytest.mark.parametrize("shape", [(0, 3), (3, 0)])
def test_as_matrix_empty(shape):
    with pytest.raises(ValueError, match=rf"^X is empty \(shape \({shape[0]}, {shape[1]}\)\)$"):
        as_matrix(np.zeros(shape), "X")


def test_check_same_shape():
    check_same_shape(np.zeros(3), np.ones(3))
    with pytest.raises(ValueError,
                       match=r"^u and w must have the same shape, got \(2,\) and \(1,\)$"):
        check_same_shape(np.zeros(2), np.zeros(1), "u", "w")


def test_check_nonzero():
    assert_allclose(check_nonzero(np.array([3.0, -4.0])), 5.0, rtol=1e-15)
    with pytest.raises(ValueError, match=r"^d is the zero vector, which has no direction; "
                                         r"it cannot be a search direction$"):
        check_nonzero(np.zeros(2), "d", "a search direction")


@pytest.mark.parametrize("call, pattern", [
    (lambda: cl.dot([1.0, 2.0], [[1.0, 2.0]]), r"^b must be a 1-D vector"),
    (lambda: cl.dot([1.0, np.nan], [1.0, 2.0]), r"^a contains a non-finite value"),
    (lambda: cl.angle([0.0, 0.0], [1.0, 0.0]), r"^a is the zero vector.*given an angle"),
    (lambda: cl.cosine_similarity([1.0, 0.0], [0.0, 0.0]), r"^b is the zero vector.*by angle"),
    (lambda: cl.project([1.0, 2.0], [0.0, 0.0]), r"^b is the zero vector.*projected onto"),
    (lambda: cl.unit_vector([0.0, 0.0]), r"^v is the zero vector.*no unit vector"),
    (lambda: cl.projected_variance(np.eye(2), [0.0, 0.0]),
     r"^u is the zero vector.*projection direction"),
    (lambda: cl.gram_matrix([1.0, 2.0]), r"^X must be a 2-D array"),
    (lambda: cl.coordinates([1.0, 2.0], [1.0, 2.0]), r"^B must be a 2-D array"),
    (lambda: cl.coordinates(np.eye(2), [[1.0, 2.0]]), r"^v must be a 1-D vector"),
    (lambda: cl.gram_schmidt([[1.0, np.inf]]), r"^V contains a non-finite value"),
    (lambda: cl.standardize([1.0, 2.0]), r"^X must be a 2-D array"),
    (lambda: cl.pca([1.0, 2.0], 1), r"^X must be a 2-D array"),
    (lambda: cl.cosine_similarity_matrix(np.eye(2), [1.0, 0.0]), r"^B must be a 2-D array"),
])
def test_public_functions_name_their_own_arguments(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
