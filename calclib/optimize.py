r"""Optimization: critical points, descent methods, Newton, constraints, natural gradient.

Chapters 4 (4.1 critical points, 4.2 Hessian and Newton, 4.3 Lagrange multipliers), 10
(10.1 projected gradient) and 11 (11.2 saddles, 11.3 natural gradient). Points are 1-D
arrays ``x`` of shape ``(n,)``; a gradient ``grad_f(x)`` returns ``(n,)``, a Hessian
``hess_f(x)`` returns ``(n, n)``.

Every iterative method returns an :class:`OptimizeResult` (``x``, ``fun``, ``grad_norm``,
``iterations``, ``converged``, ``history`` of iterates, ``message``), accepts ``tol``,
``max_iter`` and ``callback(k, x)`` (called after iteration ``k``; returning ``True``
stops the run), and stops with ``converged=False, diverged=True`` when the iterates blow
up: a non-finite value, or a distance from ``x0`` above ``1e8 (1 + ‖x0‖)``.
Linear systems are solved, never inverted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import derivatives as _d
from ._validate import as_callable, as_matrix, as_positive, as_vector

__all__ = [
    "OptimizeResult", "LagrangeResult", "critical_point", "classify_critical_point",
    "gradient_descent", "momentum", "newton", "saddle_free_newton", "projected_gradient",
    "lagrange", "natural_gradient_step", "is_diverging",
]

#: Iterates farther than BLOWUP * (1 + ‖x0‖) from the start count as divergence.
BLOWUP = 1e8


@dataclass
class OptimizeResult:
    r"""What an iterative method returns.

    Attributes
    ----------
    x : ndarray, shape (n,)
        The last iterate.
    fun : float or None
        :math:`f(x)` when the objective ``f`` was given, else ``None``.
    grad_norm : float
        :math:`\|\nabla f(x)\|_2` at the last iterate (for :func:`projected_gradient`, the
        norm of the projected-gradient step :math:`\|x_k - x_{k-1}\|/\alpha`; for
        :func:`lagrange`, the norm of :math:`\nabla_x L`).
    iterations : int
        Number of steps taken.
    converged : bool
        The stopping test (``grad_norm <= tol``) was met.
    history : ndarray, shape (iterations + 1, n)
        Every iterate, starting with ``x0``: plot ``history[:, 0], history[:, 1]``.
    message : str
        Why the method stopped.
    diverged : bool
        The iterates blew up (non-finite or far from the start).
    fun_history : ndarray of shape (iterations + 1,) or None
        :math:`f` at every iterate when ``f`` was given.
    kind : str or None
        For :func:`critical_point`: the classification of the point found.
    """

    x: np.ndarray
    fun: float | None
    grad_norm: float
    iterations: int
    converged: bool
    history: np.ndarray = field(repr=False)
    message: str = ""
    diverged: bool = False
    fun_history: np.ndarray | None = field(default=None, repr=False)
    kind: str | None = None


@dataclass
class LagrangeResult(OptimizeResult):
    r"""An :class:`OptimizeResult` with the multipliers and the constraint residual.

    Attributes
    ----------
    lam : ndarray, shape (m,)
        The Lagrange multipliers :math:`\lambda` (one per constraint), with the convention
        :math:`\mathcal L = f - \lambda\cdot(g - c)`, so :math:`\lambda_i = \partial f^*/\partial c_i`.
    constraint_violation : float
        :math:`\|g(x) - c\|_2`.
    lam_history : ndarray, shape (iterations + 1, m)
        The multipliers at every iterate.
    """

    lam: np.ndarray = field(default_factory=lambda: np.zeros(0))
    constraint_violation: float = np.nan
    lam_history: np.ndarray | None = field(default=None, repr=False)


class _Stop(Exception):
    """Raised inside a step to end the run with a message (e.g. a singular Hessian)."""


# ---------------------------------------------------------------------- helpers


def _check_iter_args(tol, max_iter, callback):
    tol = as_positive(tol, "tol")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
    if callback is not None:
        as_callable(callback, "callback")
    return tol, int(max_iter)


def _vector_fn(fn, n: int, name: str):
    """``fn`` wrapped to return a float array of shape ``(n,)`` (may contain nan/inf)."""
    fn = as_callable(fn, name)

    def call(x):
        v = np.asarray(fn(x.copy()))
        if np.iscomplexobj(v):
            raise TypeError(f"{name} returned complex values; a real vector is needed")
        v = v.astype(float)
        if v.shape != (n,):
            hint = "; flatten it with .ravel()" if v.size == n else ""
            raise ValueError(f"{name}(x) must have the shape of x ({n},), got {v.shape}{hint}")
        return v

    return call


def _scalar_fn(f):
    f = as_callable(f, "f")

    def call(x):
        y = np.asarray(f(x.copy()))
        if y.size != 1 or np.iscomplexobj(y):
            raise ValueError(
                f"f must return one real number (the objective), got shape {y.shape}; for "
                "a vector of residuals minimize their squared norm"
            )
        return float(y.reshape(()))

    return call


def _matrix_fn(fn, n: int, name: str):
    fn = as_callable(fn, name)

    def call(x):
        H = np.asarray(fn(x.copy()), dtype=float)
        if H.shape != (n, n):
            raise ValueError(f"{name}(x) must be an ({n}, {n}) matrix, got shape {H.shape}")
        return H

    return call


def is_diverging(x, x0, fun=None) -> bool:
    r"""The divergence test used by every method: non-finite, or :math:`\|x - x_0\| > 10^8(1+\|x_0\|)`.

    ``x`` and ``x0`` are ``(n,)``; ``fun`` (optional) is the objective at ``x`` and counts
    as divergence when it is not finite. Section 3.2 (the learning-rate threshold).
    """
    x = np.asarray(x, dtype=float)
    x0 = np.asarray(x0, dtype=float)
    if not np.all(np.isfinite(x)) or (fun is not None and not np.isfinite(fun)):
        return True
    return bool(np.linalg.norm(x - x0) > BLOWUP * (1.0 + np.linalg.norm(x0)))


def _iterate(x0, grad, step, *, f=None, tol, max_iter, callback, metric=None, check_start=True):
    """The shared loop: ``x_{k+1} = step(x_k, g_k, k)`` until ``metric <= tol``.

    ``grad(x)`` returns the gradient (or the residual) whose norm is the default metric;
    ``metric(x_old, x_new, g_new)`` overrides it.
    """
    x = x0.copy()
    g = grad(x)
    if not np.all(np.isfinite(g)):
        raise ValueError(f"the gradient is not finite at x0 = {x0}; start inside the domain of f")
    fx = f(x) if f is not None else None
    if fx is not None and not np.isfinite(fx):
        raise ValueError(f"f(x0) is not finite ({fx}); start inside the domain of f")
    history, fvals = [x.copy()], [fx]
    gnorm = float(np.linalg.norm(g))
    converged = diverged = False
    message = ""
    if check_start and gnorm <= tol:
        converged, message = True, "x0 already satisfies the stopping test"
    else:
        for k in range(1, max_iter + 1):
            try:
                x_new = np.asarray(step(x, g, k), dtype=float)
            except _Stop as stop:
                message = str(stop)
                break
            if np.all(np.isfinite(x_new)):
                try:
                    g_new = grad(x_new)
                    f_new = f(x_new) if f is not None else None
                except _Stop as stop:
                    message = str(stop)
                    break
            else:
                g_new, f_new = np.full_like(x_new, np.nan), np.nan
            if is_diverging(x_new, x0) or not np.all(np.isfinite(g_new)) or (
                    f is not None and not np.isfinite(f_new)):
                diverged = True
                message = (f"diverged at iteration {k}: the iterates blew up (non-finite or "
                           f"more than {BLOWUP:g}·(1 + ‖x0‖) from x0); for gradient methods "
                           "lower the learning rate (below 2/L on a quadratic)")
                history.append(x_new.copy())
                fvals.append(f_new)
                x, g = x_new, g_new
                break
            gnorm = float(metric(x, x_new, g_new) if metric else np.linalg.norm(g_new))
            x, g = x_new, g_new
            history.append(x.copy())
            fvals.append(f_new)
            stop_requested = callback is not None and callback(k, x.copy()) is True
            if gnorm <= tol:
                converged = True
                message = f"converged in {k} iterations (norm {gnorm:.3g} <= tol {tol:g})"
                break
            if stop_requested:
                message = f"stopped by the callback at iteration {k}"
                break
        else:
            message = f"not converged after max_iter = {max_iter} iterations (norm {gnorm:.3g})"
    fun_hist = None if f is None else np.array(fvals, dtype=float)
    return OptimizeResult(
        x=x, fun=None if f is None else float(fun_hist[-1]),
        grad_norm=float(np.linalg.norm(g)) if metric is None else gnorm,
        iterations=len(history) - 1, converged=converged, history=np.array(history),
        message=message, diverged=diverged, fun_history=fun_hist,
    )


# ----------------------------------------------------------------- 4.1 and 4.2


def classify_critical_point(H, tol: float = 1e-8) -> str:
    r"""Classify a critical point from the eigenvalues of its (symmetric) Hessian ``H``.

    ===================================================  ==============
    eigenvalues :math:`\lambda_i` of ``H`` ``(n, n)``    result
    ===================================================  ==============
    all :math:`> \tau`                                   ``"minimum"``
    all :math:`< -\tau`                                  ``"maximum"``
    some :math:`> \tau` and some :math:`< -\tau`         ``"saddle"``
    otherwise (a zero eigenvalue, no sign change)        ``"degenerate"``
    ===================================================  ==============

    with :math:`\tau = \mathrm{tol}\cdot\max(1, \max_i|\lambda_i|)`: an eigenvalue that small
    counts as zero and the second-derivative test is inconclusive. In two variables this
    is the test with :math:`D = f_{xx}f_{yy} - f_{xy}^2` (the product of the eigenvalues):
    :math:`D < 0` is a saddle. ``H`` must be square and symmetric (up to rounding).
    With a *numerical* Hessian (:func:`calclib.derivatives.hessian`, whose second differences
    carry a truncation error of order :math:`h^2 \approx \sqrt{\varepsilon_{\text{mach}}}`,
    about 1e-8) pass ``tol=1e-6`` or larger, or a zero eigenvalue may be read as a sign:
    for :math:`x^4 + y^2` at 0 the entry that should be 0 comes out as :math:`2h^2`.
    Section 4.2.
    """
    H = as_matrix(H, "H")
    n = H.shape[0]
    if H.shape != (n, n):
        raise ValueError(f"a Hessian is square (n, n), got shape {H.shape}")
    tol = as_positive(tol, "tol")
    scale = max(1.0, float(np.max(np.abs(H))))
    asym = float(np.max(np.abs(H - H.T)))
    if asym > 1e-6 * scale:
        raise ValueError(
            f"H is not symmetric (max |H - H.T| = {asym:.3g}); the Hessian of a twice "
            "continuously differentiable f is symmetric. If H is a numerical estimate, "
            "pass (H + H.T) / 2"
        )
    lam = np.linalg.eigvalsh((H + H.T) / 2)
    t = tol * max(1.0, float(np.max(np.abs(lam))))
    pos, neg = bool(np.any(lam > t)), bool(np.any(lam < -t))
    if pos and neg:
        return "saddle"
    if np.all(lam > t):
        return "minimum"
    if np.all(lam < -t):
        return "maximum"
    return "degenerate"


def _hessian_fn(n, hess_f, f, grad):
    """The Hessian: ``hess_f`` if given, else the Jacobian of an analytic gradient ``grad``
    (about 10 digits), else second differences of ``f`` (about 8 digits; pass ``grad=None``).

    A numerical Hessian that cannot be evaluated (the iterate left the domain of ``f``)
    ends the run with a message instead of an exception.
    """
    if hess_f is not None:
        return _matrix_fn(hess_f, n, "hess_f")
    if grad is None:
        return _safe(lambda x: _d.hessian(f, x), "Hessian")

    def by_jacobian(x):
        J = _d.jacobian(grad, x)
        return (J + J.T) / 2

    return _safe(by_jacobian, "Hessian")


def _newton_functions(who, f, grad_f, hess_f, n):
    """(f, gradient, Hessian) callables for the Newton-type methods; numerical where not given."""
    fs = _scalar_fn(f) if f is not None else None
    if grad_f is None:
        if f is None:
            raise TypeError(f"{who} needs grad_f or f (to differentiate numerically)")
        grad = _guard_after_start(_numeric_grad(as_callable(f, "f")))
    else:
        grad = _vector_fn(grad_f, n, "grad_f")
    return fs, grad, _hessian_fn(n, hess_f, f, grad if grad_f is not None else None)


def _newton_solve(H, g, k):
    if not np.all(np.isfinite(H)):
        raise _Stop(f"the Hessian is not finite at iteration {k}")
    try:
        cond = np.linalg.cond(H)
        if not np.isfinite(cond) or cond > 1e13:
            raise np.linalg.LinAlgError
        return np.linalg.solve(H, g)
    except np.linalg.LinAlgError:
        raise _Stop(
            f"singular Hessian at iteration {k} (condition number {np.linalg.cond(H):.3g}): "
            "the Newton step H s = -∇f has no unique solution; start elsewhere or use "
            "gradient_descent / saddle_free_newton"
        ) from None


def _numeric_grad(f):
    return lambda x: _d.gradient(f, x)


def _guard_after_start(grad):
    """Errors at x0 are the caller's; later ones (left the domain) end the run."""
    started = False

    def call(x):
        nonlocal started
        if not started:
            started = True
            return grad(x)
        try:
            return grad(x)
        except ValueError as exc:
            raise _Stop(f"could not evaluate the gradient: {exc}") from exc

    return call


def _safe(fn, k_name="derivative"):
    """Turn a ValueError from a numerical derivative (e.g. outside the domain) into a stop."""

    def call(*args):
        try:
            return fn(*args)
        except ValueError as exc:
            raise _Stop(f"could not evaluate the {k_name}: {exc}") from exc

    return call


def newton(grad_f, x0, hess_f=None, *, f=None, tol: float = 1e-8, max_iter: int = 100,
           callback=None) -> OptimizeResult:
    r"""Newton's method on :math:`\nabla f = 0`: solve :math:`H(x_k)\,s_k = -\nabla f(x_k)`, then :math:`x_{k+1} = x_k + s_k`.

    The Newton step :math:`s_k` leads to the critical point of the quadratic model (section 3.5); it is *solved*,
    never computed with :math:`H^{-1}`. Quadratic convergence near a nondegenerate
    critical point — of any kind: plain Newton is attracted to saddles and maxima as much
    as to minima (section 11.2); use :func:`saddle_free_newton` to escape saddles.

    Parameters
    ----------
    grad_f : callable or None
        :math:`\nabla f`, returning ``(n,)``. ``None``: central differences of ``f``.
    x0 : array_like, shape (n,)
    hess_f : callable, optional
        The Hessian, returning ``(n, n)``; default: the (symmetrized) Jacobian of
        ``grad_f`` by central differences, or :func:`calclib.derivatives.hessian` of ``f``
        when ``grad_f`` is ``None``.
    f : callable, optional
        The objective, for ``fun``/``fun_history`` and the numerical derivatives.
    tol, max_iter, callback
        Stop when :math:`\|\nabla f\| \le` ``tol``; ``callback(k, x)`` returning ``True``
        stops the run.

    Returns
    -------
    OptimizeResult
        A singular Hessian stops the run with ``converged=False`` and a message.

    Section 4.2.
    """
    tol, max_iter = _check_iter_args(tol, max_iter, callback)
    x0 = as_vector(x0, "x0")
    n = x0.size
    fs, grad, hess = _newton_functions("newton", f, grad_f, hess_f, n)

    def step(x, g, k):
        return x - _newton_solve(hess(x), g, k)

    return _iterate(x0, grad, step, f=fs, tol=tol, max_iter=max_iter, callback=callback)


def critical_point(grad_f, x0, hess_f=None, *, tol: float = 1e-8, max_iter: int = 100,
                   callback=None, f=None) -> OptimizeResult:
    r"""A critical point :math:`\nabla f(x^*) = 0` near ``x0``, by Newton's method on :math:`\nabla f`.

    Same iteration as :func:`newton` (solve :math:`H s = -\nabla f`, :math:`x \leftarrow x + s`;
    numerical Hessian when ``hess_f`` is ``None``). When it converges, ``result.kind`` is
    :func:`classify_critical_point` of the Hessian at the point: ``"minimum"``,
    ``"maximum"``, ``"saddle"`` or ``"degenerate"``. Which critical point is found depends
    on ``x0``. Shapes: ``x0`` ``(n,)``, ``grad_f(x)`` ``(n,)``, ``hess_f(x)`` ``(n, n)``.
    Section 4.1.
    """
    res = newton(grad_f, x0, hess_f, f=f, tol=tol, max_iter=max_iter, callback=callback)
    if res.converged:
        n = res.x.size
        grad = _vector_fn(grad_f, n, "grad_f") if grad_f is not None else None
        H = _hessian_fn(n, hess_f, f, grad)(res.x)
        res.kind = classify_critical_point((H + H.T) / 2, tol=1e-6)
        res.message += f"; the point is a {res.kind}"
    return res


# ------------------------------------------------------------- first-order methods


def gradient_descent(grad_f, x0, lr, *, f=None, tol: float = 1e-6, max_iter: int = 1000,
                     callback=None) -> OptimizeResult:
    r"""Gradient descent :math:`x_{k+1} = x_k - \alpha \nabla f(x_k)` with learning rate :math:`\alpha` = ``lr``.

    On a quadratic whose Hessian has largest eigenvalue :math:`\lambda_{\max}` it converges for
    :math:`0 < \alpha < 2/\lambda_{\max}` and diverges for :math:`\alpha > 2/\lambda_{\max}` (the
    error along the top eigenvector is multiplied by :math:`1 - \alpha\lambda_{\max}` each step); divergence stops the run
    with ``diverged=True``. Stops when :math:`\|\nabla f(x_k)\| \le` ``tol``.
    Shapes: ``x0`` ``(n,)``, ``grad_f(x)`` ``(n,)``. Section 3.2.
    """
    tol, max_iter = _check_iter_args(tol, max_iter, callback)
    lr = as_positive(lr, "lr")
    x0 = as_vector(x0, "x0")
    grad = _vector_fn(grad_f, x0.size, "grad_f")
    fs = _scalar_fn(f) if f is not None else None
    return _iterate(x0, grad, lambda x, g, k: x - lr * g, f=fs, tol=tol, max_iter=max_iter,
                    callback=callback)


def momentum(grad_f, x0, lr, beta: float = 0.9, *, f=None, tol: float = 1e-6,
             max_iter: int = 1000, callback=None) -> OptimizeResult:
    r"""Heavy-ball momentum: :math:`v_{k+1} = \beta v_k - \alpha\nabla f(x_k)`, :math:`x_{k+1} = x_k + v_{k+1}`.

    :math:`v_0 = 0`, :math:`0 \le \beta < 1` (``beta = 0`` is gradient descent). The
    velocity keeps moving through flat regions and near saddles, where the gradient is
    tiny (section 11.2). Stops when :math:`\|\nabla f(x_k)\| \le` ``tol``.
    Shapes: ``x0`` ``(n,)``. Section 11.2.
    """
    tol, max_iter = _check_iter_args(tol, max_iter, callback)
    lr = as_positive(lr, "lr")
    if not (isinstance(beta, (int, float, np.floating, np.integer)) and 0 <= beta < 1):
        raise ValueError(f"beta must be a number in [0, 1), got {beta!r}")
    x0 = as_vector(x0, "x0")
    grad = _vector_fn(grad_f, x0.size, "grad_f")
    fs = _scalar_fn(f) if f is not None else None
    v = np.zeros_like(x0)

    def step(x, g, k):
        nonlocal v
        v = beta * v - lr * g
        return x + v

    return _iterate(x0, grad, step, f=fs, tol=tol, max_iter=max_iter, callback=callback)


def projected_gradient(grad_f, project, x0, lr, *, f=None, tol: float = 1e-6,
                       max_iter: int = 1000, callback=None) -> OptimizeResult:
    r"""Projected gradient descent :math:`x_{k+1} = P\big(x_k - \alpha\nabla f(x_k)\big)`.

    ``project(x)`` maps a point ``(n,)`` to the nearest feasible point ``(n,)`` (e.g.
    ``lambda x: x / np.linalg.norm(x)`` for the unit sphere, ``np.clip`` for a box).
    The run starts at ``project(x0)``. At a constrained optimum :math:`\nabla f` need not
    vanish, so the stopping test is on the step: :math:`\|x_{k+1}-x_k\|/\alpha \le` ``tol``,
    and ``grad_norm`` reports that quantity. Section 10.1.
    """
    tol, max_iter = _check_iter_args(tol, max_iter, callback)
    lr = as_positive(lr, "lr")
    x0 = as_vector(x0, "x0")
    n = x0.size
    grad = _vector_fn(grad_f, n, "grad_f")
    proj = _vector_fn(project, n, "project")
    start = proj(x0)
    if not np.all(np.isfinite(start)):
        raise ValueError(f"project(x0) is not finite: {start}")
    fs = _scalar_fn(f) if f is not None else None
    return _iterate(start, grad, lambda x, g, k: proj(x - lr * g), f=fs, tol=tol,
                    max_iter=max_iter, callback=callback, check_start=False,
                    metric=lambda x_old, x_new, g_new: np.linalg.norm(x_new - x_old) / lr)


# --------------------------------------------------------------------- 11.2


def saddle_free_newton(grad_f, x0, hess_f=None, *, f=None, damping: float = 1e-3,
                       max_step: float = 1.0, tol: float = 1e-8, max_iter: int = 200,
                       callback=None) -> OptimizeResult:
    r"""Saddle-free Newton: the Newton step with the Hessian's eigenvalues replaced by their absolute values.

    With the eigen-decomposition :math:`H = Q\Lambda Q^{\mathsf T}`, the step is

    .. math:: s = -\,Q\,\operatorname{diag}\!\big(\max(|\lambda_i|, \delta)\big)^{-1} Q^{\mathsf T}\,\nabla f,

    with damping :math:`\delta` = ``damping`` (no division by a near-zero curvature) and
    :math:`\|s\|` capped at ``max_step``; then :math:`x \leftarrow x + s`. Since :math:`|H|` is
    positive definite, :math:`s` is always a descent direction: along a negative-curvature direction it moves
    *away* from a saddle, where plain :func:`newton` moves towards it. When ``f`` is
    given, the step is halved until ``f`` decreases. Near a minimum :math:`|H| = H` and
    the method is Newton's, with quadratic convergence. Shapes as in :func:`newton`.
    Section 11.2.
    """
    tol, max_iter = _check_iter_args(tol, max_iter, callback)
    damping = as_positive(damping, "damping")
    max_step = as_positive(max_step, "max_step")
    x0 = as_vector(x0, "x0")
    n = x0.size
    fs, grad, hess = _newton_functions("saddle_free_newton", f, grad_f, hess_f, n)

    def step(x, g, k):
        H = hess(x)
        if not np.all(np.isfinite(H)):
            raise _Stop(f"the Hessian is not finite at iteration {k}")
        lam, Q = np.linalg.eigh((H + H.T) / 2)
        p = -Q @ ((Q.T @ g) / np.maximum(np.abs(lam), damping))
        size = np.linalg.norm(p)
        if size > max_step:
            p *= max_step / size
        if fs is None:
            return x + p
        f0 = fs(x)
        for _ in range(40):
            f_try = fs(x + p)
            if np.isfinite(f_try) and f_try <= f0:
                return x + p
            p = p / 2
        raise _Stop(f"no decrease of f along the saddle-free Newton step at iteration {k}")

    return _iterate(x0, grad, step, f=fs, tol=tol, max_iter=max_iter, callback=callback)


# --------------------------------------------------------------------- 4.3


def lagrange(f, g, x0, lam0=None, *, c=0.0, grad_f=None, tol: float = 1e-8,
             max_iter: int = 100, callback=None) -> LagrangeResult:
    r"""A stationary point of :math:`f` subject to equality constraints :math:`g(x) = c`.

    With the Lagrangian :math:`\mathcal L(x, \lambda) = f(x) - \lambda\cdot(g(x) - c)`, it solves
    the system

    .. math:: \nabla f(x) = \sum_i \lambda_i \nabla g_i(x), \qquad g(x) = c

    by Newton's method on :math:`(x, \lambda)` (the KKT system, matrix
    :math:`\begin{pmatrix}\nabla^2_x L & -J_g^{\mathsf T}\\ -J_g & 0\end{pmatrix}`), with
    step halving on the residual norm. With this sign convention the multiplier is the
    sensitivity of the optimal value to the constraint level:
    :math:`\lambda_i = \partial f^*/\partial c_i`. Which stationary point (a constrained
    maximum or minimum) is found depends on ``x0``.

    Parameters
    ----------
    f : callable
        Objective ``f(x)``, one number.
    g : callable
        Constraint function: one number (one constraint) or ``(m,)`` (m constraints).
    x0 : array_like, shape (n,)
    lam0 : None, float or array_like of shape (m,)
        Starting multipliers. ``None`` (default): the least-squares estimate
        :math:`\lambda_0 = \arg\min_\lambda \|\nabla f(x_0) - J_g(x_0)^{\mathsf T}\lambda\|`,
        exact at a solution. (``lam0=0`` can make the KKT matrix singular, e.g. for a
        linear ``f``, whose Hessian of :math:`L` is then zero.)
    c : float or array_like of shape (m,)
        Constraint levels (default 0).
    grad_f : callable, optional
        Analytic gradient of ``f``; default central differences.
    tol, max_iter, callback
        Stop when the KKT residual :math:`\|(\nabla_x L,\ g - c)\|` is at most
        ``tol`` :math:`\cdot(1 + \|\nabla f(x)\|)` (relative, since a numerical gradient
        is only accurate to about 1e-10 of the size of ``f``); ``callback(k, x)``
        returning ``True`` stops the run. Once the test is met, one more Newton step
        is kept if it lowers the residual further.

    Returns
    -------
    LagrangeResult
        ``x``, ``lam`` ``(m,)``, ``converged``, ``constraint_violation``; ``history`` holds
        the ``x`` iterates. A singular KKT matrix (e.g. :math:`\nabla g = 0` at the point,
        or dependent constraints) stops with ``converged=False``.

    Section 4.3.
    """
    tol, max_iter = _check_iter_args(tol, max_iter, callback)
    fs = _scalar_fn(f)
    g = as_callable(g, "g")
    x0 = as_vector(x0, "x0")
    n = x0.size
    if not np.isfinite(fs(x0)):
        raise ValueError("f(x0) is not finite; start inside the domain of f")
    g0 = np.asarray(g(x0.copy()))
    if g0.ndim > 1:
        raise ValueError(f"g(x) must be a number or a 1-D array of constraints, got shape {g0.shape}")
    m = g0.size
    if m == 0:
        raise ValueError("g(x) returned no constraints; use newton or gradient_descent")
    if m >= n + 1:
        raise ValueError(f"{m} equality constraints on {n} variables leave no freedom; "
                         "use fewer constraints than variables")

    def levels(v, name):
        arr = np.asarray(v, dtype=float).reshape(-1)
        if arr.size == 1:
            arr = np.full(m, float(arr[0]))
        if arr.shape != (m,) or not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must be a number or have one finite entry per constraint "
                             f"({m}), got {v!r}")
        return arr

    c = levels(c, "c")
    gv = lambda x: np.asarray(g(x.copy()), dtype=float).reshape(-1)  # noqa: E731
    gradf = _vector_fn(grad_f, n, "grad_f") if grad_f is not None else _numeric_grad(f)

    def residual(z):
        x, la = z[:n], z[n:]
        J = _d.jacobian(g, x)
        gf = gradf(x)
        return np.concatenate([gf - J.T @ la, -(gv(x) - c)]), J, float(np.linalg.norm(gf))

    def kkt(z, J):
        x, la = z[:n], z[n:]
        HL = _d.hessian(lambda y: fs(y) - la @ (gv(y) - c), x)
        return np.block([[HL, -J.T], [-J, np.zeros((m, m))]])

    try:
        if lam0 is None:
            J0 = _d.jacobian(g, x0)
            lam = np.linalg.lstsq(J0.T, gradf(x0), rcond=None)[0]
        else:
            lam = levels(lam0, "lam0")
        z = np.concatenate([x0, lam])
        r, J, scale = residual(z)
    except ValueError as exc:
        raise ValueError(f"cannot evaluate the derivatives at x0: {exc}") from exc
    history, lams = [z[:n].copy()], [z[n:].copy()]
    converged, message = False, ""
    rnorm = float(np.linalg.norm(r))
    if rnorm <= tol * (1.0 + scale):
        converged, message = True, "x0, lam0 already satisfy the stationarity conditions"
    else:
        for k in range(1, max_iter + 1):
            try:
                K = kkt(z, J)
                if not np.all(np.isfinite(K)) or np.linalg.cond(K) > 1e13:
                    raise np.linalg.LinAlgError
                p = np.linalg.solve(K, -r)
            except np.linalg.LinAlgError:
                message = (f"singular KKT matrix at iteration {k}: the constraint gradients are "
                           "zero or dependent there, or the Hessian of L is degenerate (e.g. "
                           "lam0=0 with a linear f: leave lam0=None); start elsewhere")
                break
            except ValueError as exc:
                message = f"could not evaluate the derivatives at iteration {k}: {exc}"
                break
            t, accepted = 1.0, False
            for _ in range(30):
                try:
                    # a trial step may leave the domain of f (log of a negative number):
                    # that is a rejected step, not something to warn the user about
                    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                        r_new, J_new, scale_new = residual(z + t * p)
                    if np.linalg.norm(r_new) < rnorm:
                        accepted = True
                        break
                except ValueError:
                    pass
                t /= 2
            if not accepted:
                message = f"no progress at iteration {k}: the Newton step does not reduce the residual"
                break
            z = z + t * p
            r, J, scale = r_new, J_new, scale_new
            rnorm = float(np.linalg.norm(r))
            history.append(z[:n].copy())
            lams.append(z[n:].copy())
            if is_diverging(z[:n], x0):
                message = f"diverged at iteration {k}: the iterates blew up"
                break
            stop_requested = callback is not None and callback(k, z[:n].copy()) is True
            if rnorm <= tol * (1.0 + scale):
                converged = True
                bound = tol * (1.0 + scale)
                # Newton converges quadratically: one more step, kept only if it helps,
                # takes the residual from ~tol to the rounding level of the derivatives
                try:
                    z_pol = z + np.linalg.solve(kkt(z, J), -r)
                    r_pol, J_pol, scale_pol = residual(z_pol)
                    if np.linalg.norm(r_pol) < rnorm:
                        z, r, J, scale = z_pol, r_pol, J_pol, scale_pol
                        history[-1], lams[-1] = z[:n].copy(), z[n:].copy()
                except (ValueError, np.linalg.LinAlgError):
                    pass
                rnorm = float(np.linalg.norm(r))
                message = (f"converged in {k} iterations (KKT residual {rnorm:.3g} <= "
                           f"tol·(1 + ‖∇f‖) = {bound:.3g})")
                break
            if stop_requested:
                message = f"stopped by the callback at iteration {k}"
                break
        else:
            message = f"not converged after max_iter = {max_iter} iterations (residual {rnorm:.3g})"
    x, la = z[:n], z[n:]
    diverged = message.startswith("diverged")
    return LagrangeResult(
        x=x, fun=fs(x) if np.all(np.isfinite(x)) else np.nan,
        grad_norm=float(np.linalg.norm(r[:n])), iterations=len(history) - 1,
        converged=converged, history=np.array(history), message=message, diverged=diverged,
        lam=la, constraint_violation=float(np.linalg.norm(r[n:])), lam_history=np.array(lams),
    )


# --------------------------------------------------------------------- 11.3


def natural_gradient_step(theta, grad, fisher, lr) -> np.ndarray:
    r"""One natural-gradient step :math:`\theta - \alpha\,\mathcal I(\theta)^{-1}\nabla L`, with :math:`\mathcal I(\theta)\,d = \nabla L` solved.

    ``theta`` and ``grad`` are ``(n,)``, ``fisher`` is the Fisher information ``(n, n)``,
    symmetric positive definite (a Cholesky factorization checks it; if it fails, add
    damping: ``fisher + delta * np.eye(n)`` with a small ``delta > 0``). Returns the new ``theta`` ``(n,)``.

    Invariance: if :math:`\theta = A\varphi` with :math:`A` invertible, the gradient becomes
    :math:`A^{\mathsf T}\nabla L` and the Fisher information :math:`A^{\mathsf T} \mathcal I A`, so the step in
    :math:`\varphi`, mapped back by :math:`A`, is the same step :math:`\mathcal I^{-1}\nabla L`; the
    plain gradient step :math:`A A^{\mathsf T}\nabla L` is not. Section 11.3.
    """
    theta = as_vector(theta, "theta")
    grad = as_vector(grad, "grad")
    F = as_matrix(fisher, "fisher")
    lr = as_positive(lr, "lr")
    n = theta.size
    if grad.shape != (n,):
        raise ValueError(f"grad must have the shape of theta ({n},), got {grad.shape}")
    if F.shape != (n, n):
        raise ValueError(f"fisher must be ({n}, {n}) to match theta, got {F.shape}")
    # symmetric positive-definite checks and the Cholesky solve F d = grad
    from .probability import natural_gradient

    return theta - lr * natural_gradient(grad, F)
