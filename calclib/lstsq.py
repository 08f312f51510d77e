r"""Least squares: normal equations, QR, the pseudoinverse, ridge and polynomial features.

Chapter 5 (sections 5.1, 5.2). A system has a matrix ``A`` of shape ``(m, n)`` — ``m``
equations (rows, samples) in ``n`` unknowns (columns, features) — and a right-hand side
``b`` of shape ``(m,)``; the solution ``x`` has shape ``(n,)``. In regression the same
objects are called ``X`` (shape ``(N, d)``: N examples, d features), ``y`` and ``beta``.

The least-squares solution minimizes :math:`\|Ax - b\|_2^2`. Setting the gradient
:math:`2A^{\mathsf T}(Ax - b)` to zero gives the normal equations
:math:`A^{\mathsf T}A\,x = A^{\mathsf T}b`. They are solved here, never by forming the
inverse; and because :math:`\kappa(A^{\mathsf T}A) = \kappa(A)^2`, the QR and SVD routes are
the ones to use in practice.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validate import as_int, as_matrix, as_rng, as_vector

__all__ = [
    "fit_least_squares", "pseudoinverse", "pseudoinverse_solution", "ridge", "ridge_path",
    "polynomial_features", "condition_number", "normal_equations_condition", "Conditioning",
    "residual", "mse", "train_test_split",
]

EPS = np.finfo(float).eps
_METHODS = ("normal", "qr", "lstsq", "pinv")


def fit_least_squares(A, b, method: str = "normal") -> np.ndarray:
    r"""The least-squares solution :math:`x^\star = \arg\min_x \|Ax - b\|_2^2`.

    Parameters
    ----------
    A : array_like, shape (m, n)
        The matrix of the system: one row per equation (sample), one column per unknown.
    b : array_like, shape (m,)
        The right-hand side (targets).
    method : {"normal", "qr", "lstsq", "pinv"}
        ``"normal"`` solves the normal equations :math:`A^{\mathsf T}A\,x = A^{\mathsf T}b`
        with ``numpy.linalg.solve`` (the inverse is never formed). It needs full column
        rank, and it squares the condition number, so it raises a ``ValueError`` when
        :math:`A^{\mathsf T}A` is numerically singular: condition number above
        :math:`1/(n\,\varepsilon_{\text{mach}})`, the rank tolerance of ``numpy.linalg.matrix_rank``.
        ``"qr"`` factors :math:`A = QR` (reduced) and back-substitutes
        :math:`Rx = Q^{\mathsf T}b`: it works with :math:`\kappa(A)`, not its square, but
        still needs full column rank. ``"lstsq"`` calls ``numpy.linalg.lstsq`` (SVD) and
        ``"pinv"`` calls :func:`pseudoinverse_solution`; both also accept rank-deficient
        ``A`` and return the minimum-norm solution.

    Returns
    -------
    x : ndarray, shape (n,)

    Notes
    -----
    :math:`x^\star = (A^{\mathsf T}A)^{-1}A^{\mathsf T}b` when ``A`` has full column rank;
    the residual :math:`b - Ax^\star` is then orthogonal to every column of ``A``.
    Section 5.1 (formula), 5.2 (normal equations).
    """
    A, b = _system(A, b)
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    if method == "lstsq":
        return np.linalg.lstsq(A, b, rcond=None)[0]
    if method == "pinv":
        return pseudoinverse_solution(A, b)
    m, n = A.shape
    if m < n:
        raise ValueError(
            f"A has {m} rows and {n} columns: fewer equations than unknowns, so it cannot have "
            f"full column rank and {method!r} has no unique solution; use method='lstsq' or "
            "pseudoinverse_solution(A, b) for the minimum-norm solution, or ridge(A, b, gamma)"
        )
    if method == "qr":
        return _solve_qr(A, b)
    return _solve_normal(A, b)


def _solve_normal(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    n = A.shape[1]
    # x does not change when A and b are divided by the same number; scaling by the largest
    # entry keeps A^T A from underflowing or overflowing (entries near 1e-200 or 1e200)
    scale = np.max(np.abs(A))
    A, b = A / scale, b / scale
    G = A.T @ A
    cond = np.linalg.cond(G)
    if not (np.isfinite(cond) and cond < 1.0 / (n * EPS)):
        rank = np.linalg.matrix_rank(A)
        if rank < n:
            why = (f"A does not have full column rank (rank {rank} < {n} columns: some column "
                   "is a combination of the others), so A^T A is singular and the normal "
                   "equations have infinitely many solutions")
        else:
            why = (f"A^T A is numerically singular (condition number {cond:.3g} = cond(A)^2): "
                   "forming A^T A squares the condition number of A and loses every digit")
        raise ValueError(
            why + "; use method='qr' (if A has full rank) or method='lstsq' / "
            "pseudoinverse_solution(A, b) (minimum-norm solution), or ridge(A, b, gamma) with gamma > 0"
        )
    return np.linalg.solve(G, A.T @ b)


def _solve_qr(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    # imported here: scipy is needed by this route only
    from scipy.linalg import solve_triangular

    Q, R = np.linalg.qr(A)  # reduced: Q (m, n) with orthonormal columns, R (n, n)
    d = np.abs(np.diag(R))
    tiny = np.flatnonzero(d <= max(A.shape) * EPS * d.max())
    if tiny.size:
        raise ValueError(
            f"A is (numerically) rank-deficient: R[{int(tiny[0])}, {int(tiny[0])}] of its QR "
            f"factorization is zero, i.e. column {int(tiny[0])} is a combination of the columns "
            "before it; QR without pivoting cannot solve this, use method='lstsq' or "
            "pseudoinverse_solution(A, b) (minimum-norm solution), or ridge(A, b, gamma)"
        )
    return solve_triangular(R, Q.T @ b, lower=False)


def pseudoinverse(A, rcond: float | None = None) -> np.ndarray:
    r"""The Moore–Penrose pseudoinverse :math:`A^+ = V\,\Sigma^+\,U^{\mathsf T}`: (n, m).

    From the SVD :math:`A = U\Sigma V^{\mathsf T}`; :math:`\Sigma^+` inverts the singular
    values :math:`\sigma_i > \texttt{rcond}\cdot\sigma_{\max}` and sets the others to zero
    (they are treated as exact zeros: directions ``A`` does not see). ``rcond`` defaults
    to :math:`\max(m, n)\,\varepsilon_{\text{mach}}`, as in ``numpy.linalg.lstsq``. Section 5.1.
    """
    A = as_matrix(A, "A")
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    s_inv = _inverted_singular_values(s, A.shape, rcond)
    return (Vt.T * s_inv) @ U.T


def pseudoinverse_solution(A, b, rcond: float | None = None) -> np.ndarray:
    r"""The minimum-norm least-squares solution :math:`x^+ = A^+ b`: shape (n,).

    Among all minimizers of :math:`\|Ax - b\|_2` (infinitely many when ``A`` is
    rank-deficient or has more columns than rows) :math:`x^+` has the smallest
    :math:`\|x\|_2`: it has no component in the null space of ``A``. Computed from the
    SVD as :math:`x^+ = \sum_{\sigma_i > \texttt{rcond}\,\sigma_{\max}}
    \frac{u_i^{\mathsf T} b}{\sigma_i} v_i`; ``rcond`` as in :func:`pseudoinverse`. For
    full column rank it equals the normal-equations solution. Section 5.1.
    """
    A, b = _system(A, b)
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    s_inv = _inverted_singular_values(s, A.shape, rcond)
    return Vt.T @ (s_inv * (U.T @ b))


def _inverted_singular_values(s: np.ndarray, shape, rcond) -> np.ndarray:
    if rcond is None:
        rcond = max(shape) * EPS
    elif not (np.isscalar(rcond) and np.isfinite(rcond) and 0 <= rcond < 1):
        raise ValueError(f"rcond must be a number in [0, 1) (a relative cutoff), got {rcond!r}")
    keep = s > rcond * s[0]
    s_inv = np.zeros_like(s)
    s_inv[keep] = 1.0 / s[keep]
    return s_inv


def ridge(X, y, gamma: float, unpenalized=None) -> np.ndarray:
    r"""Ridge regression: the solution of :math:`(X^{\mathsf T}X + \gamma I)\,\beta = X^{\mathsf T}y`.

    It minimizes the ridge loss of section 5.2,
    :math:`L(\beta) = \tfrac12\|X\beta - y\|_2^2 + \tfrac\gamma2\|\beta\|_2^2` (twice this,
    :math:`\|X\beta - y\|^2 + \gamma\|\beta\|^2`, has the same minimizer); the gradient
    :math:`X^{\mathsf T}(X\beta - y) + \gamma\beta` is zero at the returned ``beta``. For :math:`\gamma > 0` the matrix :math:`X^{\mathsf T}X + \gamma I` is
    positive definite, so the system has exactly one solution even when ``X`` is
    rank-deficient or has more columns than rows. As :math:`\gamma \to 0` the solution
    tends to the minimum-norm least-squares solution; as :math:`\gamma \to \infty` it
    shrinks to 0.

    Parameters
    ----------
    X : array_like, shape (N, d)
        The data matrix: N examples (rows), d features (columns).
    y : array_like, shape (N,)
    gamma : float
        The ridge (weight-decay) strength :math:`\gamma`; must be > 0 (for 0 use
        :func:`fit_least_squares`).
    unpenalized : int or sequence of int, optional
        Columns left out of the penalty, usually the intercept: with a column of ones
        (``polynomial_features(x, d)`` puts it first, so ``unpenalized=0``) penalizing its
        coefficient would pull the fitted mean towards 0 and make the fit depend on where
        the origin of ``y`` is. The identity is then replaced by the diagonal matrix ``D``
        with :math:`D_{jj} = 0` for these columns and 1 otherwise, and the gradient
        :math:`X^{\mathsf T}(X\beta - y) + \gamma D\beta` is zero at the solution.
        The unpenalized columns must be linearly independent.

    Returns
    -------
    beta : ndarray, shape (d,)

    Section 5.2.
    """
    X, y = _system(X, y, "X", "y")
    gamma = _penalty(gamma)
    p = X.shape[1]
    d = _penalty_diagonal(unpenalized, p)
    M = X.T @ X
    M[np.diag_indices(p)] += gamma * d
    cond = np.linalg.cond(M)
    if not (np.isfinite(cond) and cond < 1.0 / (p * EPS)):
        hint = ("the unpenalized columns are linearly dependent (or gamma is tiny); "
                if unpenalized is not None else "gamma is too small for the scale of X; ")
        raise ValueError(
            f"X^T X + gamma I is numerically singular (condition number {cond:.3g}): {hint}"
            "use a larger gamma, or pseudoinverse_solution(X, y) for the gamma -> 0 limit"
        )
    return np.linalg.solve(M, X.T @ y)


def ridge_path(X, y, gammas, unpenalized=None) -> np.ndarray:
    r"""Ridge coefficients for each penalty in ``gammas``: shape (len(gammas), d).

    Row ``k`` is ``ridge(X, y, gammas[k], unpenalized)``. Plotted against
    :math:`\log\gamma` it shows the coefficients shrinking towards 0 as the penalty
    grows. Every entry of ``gammas`` must be > 0. Section 5.2.
    """
    X, y = _system(X, y, "X", "y")
    gammas = as_vector(gammas, "gammas")
    if np.any(gammas <= 0):
        bad = float(gammas[np.flatnonzero(gammas <= 0)[0]])
        raise ValueError(
            f"every penalty in gammas must be > 0, got {bad}; a grid such as "
            "np.logspace(-4, 4, 50) covers the path (gamma = 0 is ordinary least squares)"
        )
    return np.array([ridge(X, y, gamma, unpenalized) for gamma in gammas])


def polynomial_features(x, degree: int, include_bias: bool = True) -> np.ndarray:
    r"""The Vandermonde matrix of ``x``: columns :math:`1, x, x^2, \dots, x^{d}`.

    Shape: ``x`` is ``(m,)``; the result is ``(m, degree + 1)``, or ``(m, degree)``
    without the column of ones (``include_bias=False``). Fitting
    :math:`y \approx \sum_k \beta_k x^k` is then the *linear* least-squares problem
    ``fit_least_squares(polynomial_features(x, d), y)``: the model is nonlinear in ``x``
    but linear in :math:`\beta`. High degrees on a wide range of ``x`` give a badly
    conditioned matrix: rescale ``x`` to about [-1, 1] first. Section 5.1.
    """
    x = as_vector(x, "x")
    degree = as_int(degree, "degree", minimum=0)
    if degree == 0 and not include_bias:
        raise ValueError("degree=0 without the bias column leaves no columns; "
                         "use degree >= 1 or include_bias=True")
    V = np.vander(x, degree + 1, increasing=True)
    return V if include_bias else V[:, 1:]


def condition_number(A) -> float:
    r"""The 2-norm condition number :math:`\kappa(A) = \sigma_{\max}/\sigma_{\min}`.

    The ratio of the largest to the smallest of the ``min(m, n)`` singular values of
    ``A`` (m, n). For a rank-deficient ``A`` it is ``inf`` or, since rounding rarely gives
    an exact zero, a huge number (about :math:`1/\varepsilon_{\text{mach}}` or more), as with
    ``numpy.linalg.cond``. Solving with ``A`` can lose about
    :math:`\log_{10}\kappa` decimal digits. Section 5.1.
    """
    A = as_matrix(A, "A")
    s = np.linalg.svd(A, compute_uv=False)
    return float(s[0] / s[-1]) if s[-1] > 0 else float("inf")


class Conditioning(NamedTuple):
    """Condition numbers of ``A`` and of ``A^T A`` (see :func:`normal_equations_condition`)."""

    cond_A: float
    cond_AtA: float


def normal_equations_condition(A) -> Conditioning:
    r"""Show that forming :math:`A^{\mathsf T}A` squares the condition number.

    Returns ``(cond_A, cond_AtA)`` with :math:`\kappa(A^{\mathsf T}A) = \kappa(A)^2`,
    because the singular values of :math:`A^{\mathsf T}A` are the squares
    :math:`\sigma_i^2` of those of ``A`` (m, n), m >= n. ``cond_AtA`` is computed from the
    matrix ``A.T @ A`` actually formed in floating point, so for
    :math:`\kappa(A) \gtrsim 10^8` it saturates near :math:`1/\varepsilon_{\text{mach}}` or becomes
    ``inf``: the normal equations have lost every digit while QR still has about half.
    Section 5.1.
    """
    A = as_matrix(A, "A")
    if A.shape[0] < A.shape[1]:
        raise ValueError(f"A must have at least as many rows as columns, got shape {A.shape}")
    return Conditioning(condition_number(A), condition_number(A.T @ A))


def residual(A, x, b) -> np.ndarray:
    r"""The residual :math:`r = b - Ax`: shapes ``(m, n), (n,), (m,) -> (m,)``.

    At the least-squares solution :math:`A^{\mathsf T}r = 0`: the residual is orthogonal to
    every column of ``A``. Section 5.1.
    """
    A, b = _system(A, b)
    x = as_vector(x, "x")
    if x.shape != (A.shape[1],):
        raise ValueError(f"x must have length {A.shape[1]} (the number of columns of A), got {x.shape}")
    return b - A @ x


def mse(y, y_pred) -> float:
    r"""The mean squared error :math:`\frac1m\sum_i (y_i - \hat y_i)^2`.

    Shapes ``(m,), (m,) -> float``. Section 5.2.
    """
    y, y_pred = as_vector(y, "y"), as_vector(y_pred, "y_pred")
    if y.shape != y_pred.shape:
        raise ValueError(f"y and y_pred must have the same length, got {y.size} and {y_pred.size}")
    return float(np.mean((y - y_pred) ** 2))


def train_test_split(X, y, test_fraction: float = 0.25, rng=None):
    r"""Split samples at random into a training set and a held-out set.

    Returns ``X_train, X_test, y_train, y_test``. ``X`` is ``(m,)`` (one feature, e.g. the
    ``x`` of a polynomial fit) or ``(m, p)``; ``y`` is ``(m,)``. The held-out set has
    ``round(test_fraction * m)`` samples (at least 1, and at least 1 sample is left for
    training). ``rng`` is a seed or a ``numpy.random.Generator``; ``None`` means seed 0,
    so the split is the same every run. Error on held-out data, not on the training
    data, is what tells over-fitting apart (the degree slider of section 5.1).
    """
    X = np.asarray(X, dtype=float)
    X = as_vector(X, "X") if X.ndim == 1 else as_matrix(X, "X")
    y = as_vector(y, "y")
    m = X.shape[0]
    if y.size != m:
        raise ValueError(f"X has {m} samples (rows) but y has {y.size} entries; they must match")
    if m < 2:
        raise ValueError(f"need at least 2 samples to split, got {m}")
    if not (np.isscalar(test_fraction) and 0 < test_fraction < 1):
        raise ValueError(f"test_fraction must be a number strictly between 0 and 1, got {test_fraction!r}")
    n_test = min(max(1, int(round(test_fraction * m))), m - 1)
    perm = as_rng(rng).permutation(m)
    test, train = np.sort(perm[:n_test]), np.sort(perm[n_test:])
    return X[train], X[test], y[train], y[test]


def _system(A, b, name_A: str = "A", name_b: str = "b"):
    A = as_matrix(A, name_A)
    b = as_vector(b, name_b)
    if b.shape[0] != A.shape[0]:
        raise ValueError(
            f"{name_b} has {b.shape[0]} entries but {name_A} has {A.shape[0]} rows; each row "
            f"of {name_A} is one equation (sample) with its own entry of {name_b}, so they must match"
        )
    return A, b


def _penalty(gamma) -> float:
    if isinstance(gamma, bool) or np.ndim(gamma) != 0:
        raise TypeError(f"gamma must be a single number > 0, got {gamma!r}; for a grid use ridge_path")
    try:
        gamma = float(gamma)
    except (TypeError, ValueError):
        raise TypeError(f"gamma must be a single number > 0, got {gamma!r}") from None
    if not np.isfinite(gamma):
        raise ValueError(f"gamma must be finite, got {gamma}")
    if gamma < 0:
        raise ValueError(f"gamma must be > 0, got {gamma}: a negative penalty rewards large coefficients "
                         "and the ridge loss may have no minimum")
    if gamma == 0:
        raise ValueError("gamma must be > 0; gamma = 0 is ordinary least squares: use "
                         "fit_least_squares(X, y) (or pseudoinverse_solution for rank-deficient X)")
    return gamma


def _penalty_diagonal(unpenalized, p: int) -> np.ndarray:
    d = np.ones(p)
    if unpenalized is None:
        return d
    cols = np.atleast_1d(np.asarray(unpenalized))
    if cols.ndim != 1 or cols.size == 0 or not (np.issubdtype(cols.dtype, np.integer)
                                                 and cols.dtype != bool):
        raise TypeError(f"unpenalized must be a column index or a list of them, got {unpenalized!r}")
    if np.any((cols < -p) | (cols >= p)):
        raise ValueError(f"unpenalized column index out of range for X with {p} columns: {unpenalized!r}")
    d[cols] = 0.0
    if not d.any():
        raise ValueError("every column is unpenalized, which is ordinary least squares: "
                         "use fit_least_squares(X, y)")
    return d
