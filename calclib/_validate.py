"""Argument checks shared by every calclib function.

Each check converts its input with ``np.asarray(x, dtype=float)`` and raises a
``ValueError`` or ``TypeError`` whose message names the argument, says what was wrong and
what to pass instead. A silent wrong answer is worse than an error.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "as_vector", "as_matrix", "check_same_shape", "check_nonzero", "as_callable",
    "as_positive", "as_rng", "as_int",
]


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


def as_callable(f, name: str = "f"):
    """``f`` itself if it can be called; otherwise a ``TypeError`` that says what to pass."""
    if not callable(f):
        raise TypeError(
            f"{name} must be a function (a callable such as lambda x: x[0]**2 + x[1]**2), "
            f"got {type(f).__name__}; pass the function itself, not its value"
        )
    return f


def as_positive(value, name: str) -> float:
    """``value`` as a finite float > 0 (a step size, tolerance or learning rate)."""
    if isinstance(value, bool) or not np.isscalar(value) and np.ndim(value) != 0:
        raise TypeError(f"{name} must be a single positive number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a single positive number, got {value!r}") from None
    if not (np.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return v


def as_rng(rng, name: str = "rng") -> np.random.Generator:
    """A ``numpy.random.Generator``: ``None`` -> seed 0 (reproducible), an int -> that seed."""
    if rng is None:
        return np.random.default_rng(0)
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{name} must be None, an integer seed or np.random.default_rng(seed), got {rng!r}"
    )


def as_int(value, name: str, minimum: int | None = None) -> int:
    """``value`` as a Python ``int`` (a count, degree or grid size), at least ``minimum``.

    ``True``/``False`` and floats such as ``10.0`` are rejected: a count is written as an
    integer, and silently rounding ``10.5`` would hide a mistake.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r}; write e.g. {name}=10")
    v = int(value)
    if minimum is not None and v < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {v}")
    return v
