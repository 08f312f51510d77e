r"""Log-likelihoods, score functions, Fisher information and the natural gradient.

Section 11.3. A model :math:`p(x\mid\theta)` gives each observation a log-likelihood; its
gradient in :math:`\theta` is the **score** :math:`s(\theta; x) = \nabla_\theta \log
p(x\mid\theta)`, which has mean zero under the model. The **Fisher information** is the
covariance of the score, equivalently minus the expected Hessian of the log-likelihood:

.. math::

   F(\theta) = \mathbb E_{x\sim p(\cdot\mid\theta)}\big[s\,s^{\mathsf T}\big]
             = -\,\mathbb E\big[\nabla^2_\theta \log p(x\mid\theta)\big].

The natural gradient :math:`F^{-1}\nabla L` is the steepest-descent direction when
distances between parameters are measured by how much the distributions differ (the KL
divergence, to second order), so it does not depend on how the model is parameterized.

Conventions: functions take the parameters first and the data after, so
``lambda th: loglik_gaussian(th[0], th[1], x)`` is a function of the parameters. A
log-likelihood of a data set is the **sum** over its observations (a float); a score
function returns **one row per observation**, shape ``(n,)`` or ``(n, d)``, whose sum over
rows is the gradient of the log-likelihood and whose mean outer product is the empirical
Fisher. The Fisher matrices here are **per observation** (the Fisher of n i.i.d.
observations is n times larger).
"""

from __future__ import annotations

import numpy as np

from ._validate import _as_float_array, as_matrix, as_vector

__all__ = [
    "loglik_bernoulli", "score_bernoulli", "fisher_bernoulli",
    "loglik_gaussian", "score_gaussian", "fisher_gaussian",
    "loglik_logistic", "score_logistic", "hessian_logistic", "fisher_logistic",
    "empirical_fisher", "natural_gradient", "reparameterize_fisher", "reparameterize_grad",
]

_PARAMS = ("sigma", "log_sigma")


# --- argument checks -------------------------------------------------------------------

def _scalar(value, name: str) -> float:
    arr = _as_float_array(value, name)
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a single number, got an array of shape {arr.shape}")
    return float(arr)


def _prob(p) -> float:
    p = _scalar(p, "p")
    if not 0.0 < p < 1.0:
        raise ValueError(
            f"p must lie strictly between 0 and 1, got {p}; at p = 0 or 1 the log-likelihood "
            "of the other outcome is -inf and the Fisher information is infinite"
        )
    return p


def _sigma(sigma) -> float:
    sigma = _scalar(sigma, "sigma")
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0 (a standard deviation), got {sigma}; "
                         "to optimize freely over the real line use log sigma")
    return sigma


def _samples(x, name: str = "x") -> np.ndarray:
    x = _as_float_array(x, name)
    if x.ndim == 0:
        x = x.reshape(1)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"{name} must be a 1-D array of observations (n,), got shape {x.shape}")
    return x


def _binary(y, name: str) -> np.ndarray:
    y = _samples(y, name)
    if not np.all((y == 0) | (y == 1)):
        bad = y[(y != 0) & (y != 1)][0]
        raise ValueError(f"{name} must contain only 0 and 1 (outcomes), found {bad}")
    return y


def _param(param: str) -> str:
    if param not in _PARAMS:
        raise ValueError(f"param must be 'sigma' or 'log_sigma', got {param!r}")
    return param


def _design(w, X, y=None):
    w = as_vector(w, "w")
    X = as_matrix(X, "X")
    if X.shape[1] != w.size:
        raise ValueError(f"X has {X.shape[1]} columns but w has {w.size} entries; "
                         "they must match (add a column of ones to X for an intercept)")
    if y is None:
        return w, X
    y = _binary(y, "y")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have one label per row of X ({X.shape[0]},), got {y.shape}")
    return w, X, y


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


# --- Bernoulli -------------------------------------------------------------------------

def loglik_bernoulli(p, x) -> float:
    r"""Log-likelihood of 0/1 outcomes: :math:`\ell(p) = \sum_i \big[x_i\log p + (1-x_i)\log(1-p)\big]`.

    Parameters
    ----------
    p : float
        Success probability, :math:`0 < p < 1`.
    x : array_like of shape (n,)
        Outcomes, each 0 or 1.

    Returns
    -------
    float

    Notes
    -----
    Section 11.3.
    """
    p, x = _prob(p), _binary(x, "x")
    k = x.sum()
    return float(k * np.log(p) + (x.size - k) * np.log1p(-p))


def score_bernoulli(p, x) -> np.ndarray:
    r"""Score of each outcome: :math:`s(p; x) = \dfrac{d}{dp}\log p(x\mid p) = \dfrac{x - p}{p(1-p)}`.

    Shape: ``x`` ``(n,)`` to ``(n,)``. Its mean under the model is 0 and its variance is
    :func:`fisher_bernoulli`. Section 11.3.
    """
    p, x = _prob(p), _binary(x, "x")
    return (x - p) / (p * (1.0 - p))


def fisher_bernoulli(p) -> float:
    r"""Fisher information of one Bernoulli(:math:`p`) outcome: :math:`I(p) = \dfrac{1}{p(1-p)}`.

    Smallest (4) at :math:`p = 1/2`, unbounded near 0 and 1, where a small change of
    :math:`p` changes the distribution a lot. Section 11.3.
    """
    p = _prob(p)
    return 1.0 / (p * (1.0 - p))


# --- Gaussian --------------------------------------------------------------------------

def loglik_gaussian(mu, sigma, x) -> float:
    r"""Log-likelihood of :math:`N(\mu, \sigma^2)` for observations ``x``.

    .. math::

       \ell(\mu, \sigma) = \sum_i \Big[-\tfrac12\log(2\pi) - \log\sigma
                           - \frac{(x_i-\mu)^2}{2\sigma^2}\Big]

    Parameters
    ----------
    mu : float
    sigma : float
        Standard deviation, > 0.
    x : array_like of shape (n,)

    Returns
    -------
    float

    Notes
    -----
    Section 11.3.
    """
    mu, sigma, x = _scalar(mu, "mu"), _sigma(sigma), _samples(x)
    r = (x - mu) / sigma
    return float(np.sum(-0.5 * np.log(2 * np.pi) - np.log(sigma) - 0.5 * r * r))


def score_gaussian(mu, sigma, x, param: str = "sigma") -> np.ndarray:
    r"""Score of each observation of :math:`N(\mu, \sigma^2)`, one row per observation.

    With :math:`r = (x-\mu)/\sigma`:

    - ``param="sigma"``, coordinates :math:`(\mu, \sigma)`:
      :math:`s = \big(r/\sigma,\; (r^2 - 1)/\sigma\big)`;
    - ``param="log_sigma"``, coordinates :math:`(\mu, \log\sigma)`:
      :math:`s = \big(r/\sigma,\; r^2 - 1\big)` (chain rule:
      :math:`\partial/\partial\log\sigma = \sigma\,\partial/\partial\sigma`).

    Parameters
    ----------
    mu, sigma : float
        The point, always given by :math:`\sigma` itself; ``param`` only chooses the
        coordinates in which the derivatives are taken.
    x : array_like of shape (n,)
    param : {"sigma", "log_sigma"}

    Returns
    -------
    ndarray of shape (n, 2)

    Notes
    -----
    Section 11.3.
    """
    mu, sigma, x, param = _scalar(mu, "mu"), _sigma(sigma), _samples(x), _param(param)
    r = (x - mu) / sigma
    d_sigma = (r * r - 1.0) / sigma
    return np.column_stack([r / sigma, d_sigma if param == "sigma" else sigma * d_sigma])


def fisher_gaussian(mu, sigma, param: str = "sigma") -> np.ndarray:
    r"""Fisher information of one observation of :math:`N(\mu, \sigma^2)`, a ``(2, 2)`` matrix.

    .. math::

       F_{(\mu,\sigma)} = \begin{pmatrix} 1/\sigma^2 & 0 \\ 0 & 2/\sigma^2 \end{pmatrix},
       \qquad
       F_{(\mu,\log\sigma)} = \begin{pmatrix} 1/\sigma^2 & 0 \\ 0 & 2 \end{pmatrix}
       = J^{\mathsf T} F_{(\mu,\sigma)} J,\quad J = \operatorname{diag}(1, \sigma).

    Parameters
    ----------
    mu, sigma : float
        The point (``mu`` does not enter the result but is checked). ``sigma`` > 0.
    param : {"sigma", "log_sigma"}
        The coordinates: :math:`(\mu, \sigma)` or :math:`(\mu, \log\sigma)`.

    Returns
    -------
    ndarray of shape (2, 2)

    Notes
    -----
    In :math:`(\mu, \log\sigma)` the scale entry is constant: every relative change of
    :math:`\sigma` costs the same, which is why plain gradient descent behaves better in
    :math:`\log\sigma`, and why the natural gradient does not care. Section 11.3.
    """
    _scalar(mu, "mu")
    sigma, param = _sigma(sigma), _param(param)
    return np.diag([1.0 / sigma**2, 2.0 / sigma**2 if param == "sigma" else 2.0])


# --- logistic regression ---------------------------------------------------------------

def loglik_logistic(w, X, y) -> float:
    r"""Log-likelihood of logistic regression, :math:`p_i = \sigma(x_i\cdot w)`:

    .. math::

       \ell(w) = \sum_i \big[y_i\log p_i + (1-y_i)\log(1-p_i)\big]
               = \sum_i \big[y_i z_i - \log(1 + e^{z_i})\big],\qquad z = Xw.

    Parameters
    ----------
    w : array_like of shape (d,)
    X : array_like of shape (n, d)
        One row per observation (add a column of ones for an intercept).
    y : array_like of shape (n,)
        Labels 0 or 1.

    Returns
    -------
    float

    Notes
    -----
    Computed in the second form with ``np.logaddexp``, so large :math:`|z|` is safe.
    Section 3.2, 11.3.
    """
    w, X, y = _design(w, X, y)
    z = X @ w
    return float(np.sum(y * z - np.logaddexp(0.0, z)))


def score_logistic(w, X, y) -> np.ndarray:
    r"""Score of each observation: :math:`s_i = (y_i - p_i)\,x_i`, shape ``(n, d)``.

    The rows sum to :math:`\nabla_w \ell(w) = X^{\mathsf T}(y - p)`. Section 11.3.
    """
    w, X, y = _design(w, X, y)
    return (y - _sigmoid(X @ w))[:, None] * X


def hessian_logistic(w, X) -> np.ndarray:
    r"""Hessian of the logistic log-likelihood, ``(d, d)``.

    .. math:: \nabla^2\ell(w) = -X^{\mathsf T}\operatorname{diag}\big(p_i(1-p_i)\big)X

    It does not depend on the labels, so here minus the Hessian divided by n *is* the
    Fisher information (:func:`fisher_logistic`), with no expectation needed.
    Section 4.2, 11.3.
    """
    w, X = _design(w, X)
    p = _sigmoid(X @ w)
    return -(X * (p * (1.0 - p))[:, None]).T @ X


def fisher_logistic(w, X) -> np.ndarray:
    r"""Fisher information of logistic regression, per observation, ``(d, d)``.

    .. math:: F(w) = \tfrac1n X^{\mathsf T}\operatorname{diag}\big(p_i(1-p_i)\big)X

    The expectation is over labels drawn from the model, :math:`y_i \sim
    \text{Bernoulli}(p_i)`, with the inputs ``X`` (n, d) fixed; shape ``(d, d)``. Compare
    :func:`empirical_fisher` of :func:`score_logistic`, which uses the observed labels
    instead and agrees with this only where the model fits the data. Section 11.3.
    """
    return -hessian_logistic(w, X) / as_matrix(X, "X").shape[0]


# --- Fisher matrices and the natural gradient ------------------------------------------

def empirical_fisher(scores) -> np.ndarray:
    r"""The empirical Fisher :math:`\hat F = \tfrac1n\sum_i s_i s_i^{\mathsf T} = \tfrac1n S^{\mathsf T}S`.

    Parameters
    ----------
    scores : array_like of shape (n, d) or (n,)
        One score per observation (a 1-D array is one parameter).

    Returns
    -------
    ndarray of shape (d, d)

    Notes
    -----
    With observations drawn from the model this is a Monte Carlo estimate of the Fisher
    information; with real data it is the "empirical Fisher", a different matrix in
    general. Section 11.3.
    """
    S = _as_float_array(scores, "scores")
    if S.ndim == 1:
        S = S[:, None]
    S = as_matrix(S, "scores")
    return S.T @ S / S.shape[0]


def _spd(F, d: int, name: str = "F") -> np.ndarray:
    F = as_matrix(F, name)
    if F.shape != (d, d):
        raise ValueError(f"{name} must be a ({d}, {d}) matrix to match the gradient, got {F.shape}")
    scale = np.max(np.abs(F))
    if np.max(np.abs(F - F.T)) > 1e-10 * scale:
        raise ValueError(f"{name} is not symmetric; it must be (a Fisher matrix is a covariance): "
                         f"symmetrize it with ({name} + {name}.T) / 2 if the asymmetry is round-off")
    return F


def natural_gradient(grad, F, damping: float = 0.0) -> np.ndarray:
    r"""The natural gradient :math:`\tilde g = (F + \lambda I)^{-1} g`, by solving :math:`(F + \lambda I)\tilde g = g`.

    Parameters
    ----------
    grad : array_like of shape (d,)
        The ordinary gradient :math:`g = \nabla_\theta L`.
    F : array_like of shape (d, d)
        The Fisher information (symmetric positive definite).
    damping : float
        :math:`\lambda \ge 0` added to the diagonal, the usual remedy when ``F`` is
        singular or ill-conditioned (e.g. an empirical Fisher from few samples).

    Returns
    -------
    ndarray of shape (d,)

    Notes
    -----
    Uses a Cholesky factorization :math:`F + \lambda I = LL^{\mathsf T}`, which exists
    exactly when the matrix is positive definite, and two triangular solves; never an
    inverse. A condition number above :math:`10^{13}` is refused as numerically singular
    (as in ``calclib.optimize.natural_gradient_step``, which takes the step itself). The update of natural gradient descent is
    :math:`\theta \leftarrow \theta - \alpha \tilde g`. Section 11.3.
    """
    g = as_vector(grad, "grad")
    F = _spd(F, g.size)
    damping = _scalar(damping, "damping")
    if damping < 0:
        raise ValueError(f"damping must be >= 0, got {damping}")
    A = F + damping * np.eye(g.size)
    try:
        Lc = np.linalg.cholesky(A)
    except np.linalg.LinAlgError:
        lam = float(np.linalg.eigvalsh(A)[0])
        raise ValueError(
            f"F{' + damping I' if damping else ''} is not positive definite (smallest "
            f"eigenvalue {lam:.3g}): the natural gradient is undefined; pass damping > 0 "
            "or more samples for an empirical Fisher"
        ) from None
    cond = np.linalg.cond(A)
    if cond > 1e13:
        raise ValueError(f"F{' + damping I' if damping else ''} is numerically singular (condition "
                         f"number {cond:.3g}): the natural gradient would be mostly round-off; "
                         "pass damping > 0")
    return np.linalg.solve(Lc.T, np.linalg.solve(Lc, g))


def _jacobian_matrix(J, F_or_g_dim: int) -> np.ndarray:
    J = as_matrix(J, "J")
    if J.shape[0] != F_or_g_dim:
        raise ValueError(
            f"J must have one row per old parameter ({F_or_g_dim}), got shape {J.shape}; J is "
            "d theta / d phi (old parameters by new), shape (d_old, d_new)"
        )
    return J


def reparameterize_fisher(F, J) -> np.ndarray:
    r"""The Fisher information in new coordinates :math:`\varphi`: :math:`F_\varphi = J^{\mathsf T} F_\theta J`.

    Parameters
    ----------
    F : array_like of shape (d_old, d_old)
        Fisher information in the old parameters :math:`\theta`.
    J : array_like of shape (d_old, d_new)
        :math:`J = \partial\theta/\partial\varphi`, the Jacobian of the old parameters as
        functions of the new ones (for :math:`\theta = (\mu, \sigma)`,
        :math:`\varphi = (\mu, \log\sigma)`: :math:`J = \operatorname{diag}(1, \sigma)`).

    Returns
    -------
    ndarray of shape (d_new, d_new)

    Notes
    -----
    The score transforms by the chain rule, :math:`s_\varphi = J^{\mathsf T} s_\theta`, so
    its covariance transforms as :math:`J^{\mathsf T} F J`. Then the natural-gradient step
    maps back to the same step in :math:`\theta`:
    :math:`J F_\varphi^{-1} J^{\mathsf T} g_\theta = F_\theta^{-1} g_\theta` (for invertible
    ``J``) — the invariance of section 11.3.
    """
    F = as_matrix(F, "F")
    if F.shape[0] != F.shape[1]:
        raise ValueError(f"F must be square, got {F.shape}")
    J = _jacobian_matrix(J, F.shape[0])
    return J.T @ F @ J


def reparameterize_grad(grad, J) -> np.ndarray:
    r"""The gradient in new coordinates: :math:`\nabla_\varphi L = J^{\mathsf T}\nabla_\theta L`.

    ``grad`` is ``(d_old,)``, ``J`` = :math:`\partial\theta/\partial\varphi` is
    ``(d_old, d_new)`` as in :func:`reparameterize_fisher`; returns ``(d_new,)``.
    Section 11.3.
    """
    g = as_vector(grad, "grad")
    return _jacobian_matrix(J, g.size).T @ g
