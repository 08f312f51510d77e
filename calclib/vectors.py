"""Vectors: norms, unit vectors, dot products, projections, bases and PCA.

Chapter 2 (sections 2.1, 2.2, 2.3). Vectors are 1-D arrays of shape ``(n,)``; a set of
vectors is a matrix whose **columns** are the vectors (as in ``numpy.linalg.qr``) for
bases and Gram–Schmidt, and whose **rows** are the samples for data matrices ``X`` of
shape ``(N, d)``, N examples and d features (as in numpy/scikit-learn).
"""

from __future__ import annotations

import numpy as np

from ._validate import as_matrix, as_vector, check_nonzero, check_same_shape

__all__ = [
    "norm", "unit_vector", "dot", "angle", "cosine_similarity", "cosine_similarity_matrix",
    "scalar_projection", "project", "gram_matrix", "coordinates", "gram_schmidt",
    "standardize", "pca", "pca_project", "projected_variance",
]


def norm(v, p=2) -> float:
    r"""The :math:`L_p` norm :math:`\|v\|_p = (\sum_i |v_i|^p)^{1/p}`; ``p=np.inf`` gives ``max_i |v_i|``.

    Shape: ``v`` is ``(n,)``; returns a float. ``p`` must be >= 1 (below 1 it is not a norm).
    Computed with scaling by ``max|v_i|`` so that tiny or huge entries neither underflow
    nor overflow. Section 2.1.
    """
    v = as_vector(v, "v")
    if p == np.inf or p == "inf":
        return float(np.max(np.abs(v)))
    try:
        p = float(p)
    except (TypeError, ValueError):
        raise TypeError(f"p must be a number >= 1 or np.inf, got {p!r}") from None
    if not p >= 1:
        raise ValueError(f"p must be >= 1 (for p < 1 the triangle inequality fails), got {p}")
    a = np.abs(v)
    m = a.max()
    if m == 0.0:
        return 0.0
    if p == np.inf:
        return float(m)
    return float(m * np.sum((a / m) ** p) ** (1.0 / p))


def unit_vector(v) -> np.ndarray:
    r"""The unit vector :math:`\hat v = v / \|v\|_2` in the direction of ``v``.

    Shape: ``(n,) -> (n,)``. Raises ``ValueError`` for the zero vector, which has no
    direction. Section 2.1.
    """
    v = as_vector(v, "v")
    if not np.any(v):
        raise ValueError("v is the zero vector, which has no direction; it has no unit vector")
    return _direction(v, "v", "normalized")


def dot(a, b) -> float:
    r"""The dot product :math:`a\cdot b = \sum_i a_i b_i`. Shapes ``(n,), (n,) -> float``. Section 2.2."""
    a, b = as_vector(a, "a"), as_vector(b, "b")
    check_same_shape(a, b)
    return float(a @ b)


def cosine_similarity(a, b) -> float:
    r""":math:`\cos\theta = \dfrac{a\cdot b}{\|a\|\,\|b\|}`, in [-1, 1].

    Shapes ``(n,), (n,) -> float``. Raises for a zero vector (its angle is undefined).
    Section 2.2.
    """
    a, b = as_vector(a, "a"), as_vector(b, "b")
    check_same_shape(a, b)
    ua = _direction(a, "a", "compared by angle")
    ub = _direction(b, "b", "compared by angle")
    return float(np.clip(ua @ ub, -1.0, 1.0))


def angle(a, b, degrees: bool = False) -> float:
    r"""The angle :math:`\theta = \arccos\frac{a\cdot b}{\|a\|\|b\|}` in [0, π] (or degrees).

    Computed as ``atan2(‖a×b‖, a·b)`` in the plane of the two vectors, which stays
    accurate for nearly parallel vectors where ``arccos`` loses half the digits.
    Section 2.2.
    """
    a, b = as_vector(a, "a"), as_vector(b, "b")
    check_same_shape(a, b)
    ua = _direction(a, "a", "given an angle")
    ub = _direction(b, "b", "given an angle")
    # |sin| from the component of ub orthogonal to ua
    sin = np.linalg.norm(ub - (ua @ ub) * ua)
    theta = float(np.arctan2(sin, ua @ ub))
    return float(np.degrees(theta)) if degrees else theta


def cosine_similarity_matrix(A, B=None) -> np.ndarray:
    r"""All cosine similarities between the rows of ``A`` (m, n) and of ``B`` (k, n): (m, k).

    ``B`` defaults to ``A``. Raises if a row is zero. This is the normalized Gram matrix
    used for nearest-neighbour retrieval. Section 2.2.
    """
    A = as_matrix(A, "A")
    B = A if B is None else as_matrix(B, "B")
    if A.shape[1] != B.shape[1]:
        raise ValueError(f"rows of A and B must have the same length, got {A.shape[1]} and {B.shape[1]}")
    for M, name in ((A, "A"), (B, "B")):
        zero = np.flatnonzero(~np.any(M, axis=1))
        if zero.size:
            raise ValueError(f"row {int(zero[0])} of {name} is the zero vector; its cosine similarity is undefined")
    return np.clip(_unit_rows(A) @ _unit_rows(B).T, -1.0, 1.0)


def scalar_projection(a, b) -> float:
    r"""The signed length of ``a`` along ``b``: :math:`a\cdot b / \|b\|`. Section 2.2."""
    a, b = as_vector(a, "a"), as_vector(b, "b")
    check_same_shape(a, b)
    return float(a @ _direction(b, "b", "projected onto"))


def project(a, b) -> np.ndarray:
    r"""The projection of ``a`` onto the line of ``b``: :math:`\dfrac{a\cdot b}{b\cdot b}\, b`.

    Shapes ``(n,), (n,) -> (n,)``. The residual ``a - project(a, b)`` is orthogonal to
    ``b``. Raises if ``b`` is the zero vector (there is no line to project onto).
    Section 2.2.
    """
    a, b = as_vector(a, "a"), as_vector(b, "b")
    check_same_shape(a, b)
    ub = _direction(b, "b", "projected onto")
    return (a @ ub) * ub


def gram_matrix(X) -> np.ndarray:
    r"""The Gram matrix :math:`G_{ij} = x_i\cdot x_j` of the rows of ``X`` (m, n): (m, m).

    Symmetric and positive semi-definite; the linear kernel of kernel methods.
    Section 2.2.
    """
    X = as_matrix(X, "X")
    return X @ X.T


def coordinates(B, v) -> np.ndarray:
    r"""Coordinates ``c`` of ``v`` in the basis given by the columns of ``B``: ``B c = v``.

    Shapes ``(n, n), (n,) -> (n,)``. Solves the system (never inverts ``B``); raises if
    the columns of ``B`` are not a basis (singular or nearly so). Section 2.3.
    """
    B = as_matrix(B, "B")
    v = as_vector(v, "v")
    n = B.shape[0]
    if B.shape != (n, n):
        raise ValueError(f"a basis of R^{n} needs {n} columns of length {n}; B has shape {B.shape}")
    if v.shape != (n,):
        raise ValueError(f"v must have length {n} to match B, got shape {v.shape}")
    cond = np.linalg.cond(B)
    if not np.isfinite(cond) or cond > 1e12:
        raise ValueError(
            f"the columns of B are (nearly) linearly dependent (condition number {cond:.3g}); "
            "they do not form a basis"
        )
    return np.linalg.solve(B, v)


def gram_schmidt(V, tol: float = 1e-10) -> np.ndarray:
    r"""Orthonormalize the columns of ``V`` (n, k) by modified Gram–Schmidt: ``Q`` (n, k).

    :math:`q_j = \dfrac{v_j - \sum_{i<j} (q_i\cdot v_j)\, q_i}{\|\cdot\|}`, with the
    subtraction done one direction at a time (modified Gram–Schmidt) and a second pass
    ("twice is enough") so that ``Q.T @ Q`` is the identity to machine precision.
    ``Q`` spans the same nested subspaces as ``V`` and equals the ``Q`` of a QR
    factorization with positive diagonal ``R``. Raises ``ValueError`` if a column is
    (numerically) a combination of the previous ones: relative norm below ``tol``.
    Section 2.3.
    """
    V = as_matrix(V, "V")
    n, k = V.shape
    if k > n:
        raise ValueError(f"{k} vectors in R^{n} cannot be linearly independent (V has shape {V.shape})")
    if not tol > 0:
        raise ValueError(f"tol must be positive, got {tol}")
    Q = np.zeros((n, k))
    for j in range(k):
        scale = np.max(np.abs(V[:, j]))
        if scale == 0.0:
            raise ValueError(f"column {j} of V is the zero vector; it cannot be orthonormalized")
        # Q does not change when a column is scaled by a positive number; scaling by its
        # largest entry keeps tiny or huge columns from underflowing/overflowing in norms
        v = V[:, j] / scale
        size = np.linalg.norm(v)
        for _ in range(2):
            for i in range(j):
                v -= (Q[:, i] @ v) * Q[:, i]
        r = np.linalg.norm(v)
        if r <= tol * size:
            raise ValueError(
                f"column {j} of V is linearly dependent on the columns before it "
                "(nothing is left after removing their directions)"
            )
        Q[:, j] = v / r
    return Q


def standardize(X) -> np.ndarray:
    r"""Center each column of ``X`` (n, d) and scale it to unit (population) variance.

    :math:`z_{ij} = (x_{ij} - \bar x_j)/s_j`. Raises if a column is constant (s = 0).
    Section 2.3.
    """
    X = as_matrix(X, "X")
    # z does not change when a column is scaled by a positive number; dividing by its
    # largest entry first keeps the variance from under/overflowing and makes the
    # "constant" test relative to the column's own scale (not to the unit 1)
    m = np.max(np.abs(X), axis=0)
    Xs = X / np.where(m > 0, m, 1.0)
    mu = Xs.mean(axis=0)
    s = Xs.std(axis=0)
    const = np.flatnonzero(s <= 1e-14)
    if const.size:
        raise ValueError(f"column {int(const[0])} of X is constant; it cannot be scaled to unit variance")
    return (Xs - mu) / s


def pca(X, k: int):
    r"""Principal directions and their variances for the data ``X`` (n, d).

    Returns ``(components, variances)``: ``components`` (k, d) has orthonormal rows, the
    top-``k`` right singular vectors of the centered data (the eigenvectors of the
    covariance :math:`C = \tfrac1{n}X_c^{\mathsf T}X_c` with the largest eigenvalues),
    and ``variances`` (k,) the matching eigenvalues (population variance along each
    direction). The sign of each direction is fixed so that its largest-magnitude entry
    is positive. Section 2.3.
    """
    X = as_matrix(X, "X")
    n, d = X.shape
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"k must be an integer number of components, got {k!r}")
    if not 1 <= k <= min(n, d):
        raise ValueError(f"k must be between 1 and min(n_samples, n_features) = {min(n, d)}, got {k}")
    Xc = X - X.mean(axis=0)
    _, s, Vt = np.linalg.svd(Xc, full_matrices=False)
    comps = Vt[:k].copy()
    signs = np.sign(comps[np.arange(k), np.argmax(np.abs(comps), axis=1)])
    comps *= signs[:, None]
    return comps, s[:k] ** 2 / n


def pca_project(X, k: int) -> np.ndarray:
    r"""Coordinates of the centered data on its top-``k`` principal directions: (n, k).

    :math:`Z = (X - \bar x)\,W^{\mathsf T}` with ``W`` the ``components`` of :func:`pca`.
    Column ``j`` of ``Z`` has variance ``variances[j]``, the largest possible for a
    direction orthogonal to the previous ones. Section 2.3.
    """
    comps, _ = pca(X, k)
    X = np.asarray(X, dtype=float)
    return (X - X.mean(axis=0)) @ comps.T


def projected_variance(X, u) -> float:
    r"""Variance of the data ``X`` (n, d) projected on the direction ``u`` (d,): :math:`\hat u^{\mathsf T} C \hat u`.

    ``u`` is normalized first (it is a direction); the population covariance ``C`` is
    used, matching :func:`pca`. Section 2.3.
    """
    X = as_matrix(X, "X")
    u = as_vector(u, "u")
    if u.shape != (X.shape[1],):
        raise ValueError(f"u must have length {X.shape[1]} (the number of columns of X), got {u.shape}")
    u = _direction(u, "u", "a projection direction")
    z = (X - X.mean(axis=0)) @ u
    return float(np.mean(z ** 2))


def _direction(v: np.ndarray, name: str, what: str) -> np.ndarray:
    """``v / ‖v‖₂``, raising for the zero vector; scaled first so no entry under/overflows."""
    m = np.max(np.abs(v))
    if m == 0.0:
        check_nonzero(v, name, what)
    u = v / m  # largest entry is ±1, so u @ u lies in [1, n]
    return u / np.sqrt(u @ u)


def _unit_rows(M: np.ndarray) -> np.ndarray:
    """Each (nonzero) row of ``M`` divided by its L2 norm, with the same scaling as above."""
    U = M / np.max(np.abs(M), axis=1, keepdims=True)
    return U / np.sqrt(np.sum(U * U, axis=1, keepdims=True))
