"""Argument checks shared by every calclib function.

Each check converts its input with ``np.asarray(x, dtype=float)`` and raises a
``ValueError`` or ``TypeError`` whose message names the argument, says what was wrong and
what to pass instead. A silent wrong answer is worse than an error.
"""

from __future__ import annotations

import numpy as np

__all__ = ["as_vector", "as_matrix", "check_same_shape", "check_nonzero"]


def _as_float_array(x, name: str) -> np.ndarray:
    if callable(x):
        raise TypeError(f"{name} must be an array of numbers, got the function {x!r}")
    try:
        arr = np.asarray(x)
        if np.iscomplexobj(arr):
            # np.asarray(..., dtype=float) would only warn and drop the imaginary part
            raise TypeError("complex values are not real numbers; pass x.real or abs(x)")
        arr = arr.astype(float)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must be an array of real numbers, got {type(x).__name__} ({exc})"
        ) from None
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        where = tuple(int(i) for i in bad) if arr.ndim else ()
        raise ValueError(
            f"{name} contains a non-finite value (nan or inf) at index {where}; "
            "clean or impute the data first"
        )
    return arr


def as_vector(v, name: str = "v") -> np.ndarray:
    """``v`` as a finite 1-D float array of length >= 1."""
    arr = _as_float_array(v, name)
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-D vector, got an array of shape {arr.shape}; "
            "use .ravel() for a flat vector or pass one row at a time"
        )
    if arr.size == 0:
        raise ValueError(f"{name} is empty; a vector needs at least one component")
    return arr


def as_matrix(A, name: str = "A") -> np.ndarray:
    """``A`` as a finite 2-D float array with at least one row and one column."""
    arr = _as_float_array(A, name)
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array (matrix), got shape {arr.shape}; "
            "for a single vector use x.reshape(1, -1) (one row) or x.reshape(-1, 1) (one column)"
        )
    if 0 in arr.shape:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    return arr


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str = "a", name_b: str = "b") -> None:
    """Raise if two arrays differ in shape (no silent broadcasting)."""
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape, got {a.shape} and {b.shape}"
        )


def check_nonzero(v: np.ndarray, name: str = "v", what: str = "a direction") -> float:
    """Return ``‖v‖₂``, raising if ``v`` is the zero vector (it has no direction)."""
    n = float(np.linalg.norm(v))
    if n == 0.0:
        raise ValueError(f"{name} is the zero vector, which has no direction; it cannot be {what}")
    return n
