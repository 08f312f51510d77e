r"""Derivatives by finite differences: partials, gradient, Jacobian, Hessian, gradient check.

Chapter 3 (sections 3.1, 3.2, 3.3, 3.5) and section 4.2. A function of several variables
takes a point ``x`` of shape ``(n,)``. A scalar function ``f: Rⁿ → R`` returns a number;
a vector function ``F: Rⁿ → Rᵐ`` returns an array of shape ``(m,)``. The shape contracts:

* gradient of ``f``: :math:`\nabla f(x)`, shape ``(n,)``;
* Jacobian of ``F``: :math:`J_{ij} = \partial F_i/\partial x_j`, shape ``(m, n)``;
* Hessian of ``f``: :math:`H_{ij} = \partial^2 f/\partial x_i\partial x_j`, shape ``(n, n)``.

Default steps balance truncation against round-off (section 3.1): with machine epsilon
:math:`\varepsilon_{\text{mach}} \approx 2.2\times10^{-16}` and the scale :math:`s_i = \max(1, |x_i|)`,

* forward difference :math:`h_i = \varepsilon_{\text{mach}}^{1/2} s_i` (error :math:`O(h)`),
* central difference :math:`h_i = \varepsilon_{\text{mach}}^{1/3} s_i` (error :math:`O(h^2)`),
* second differences (Hessian) :math:`h_i = \varepsilon_{\text{mach}}^{1/4} s_i`,
* complex step :math:`h = 10^{-20}` (no subtraction, so no round-off: needs an ``f`` that
  accepts complex input and is complex-analytic, i.e. no ``abs``, ``max`` or ``.real``).

Each step is rounded so that ``x + h`` is exactly representable and the difference
quotient divides by the distance actually travelled.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ._validate import _as_float_array, as_callable, as_positive, as_rng, as_vector, check_nonzero

__all__ = [
    "partial", "gradient", "directional_derivative", "jacobian", "hessian",
    "linearize", "quadratic_model", "check_grad", "gradient_field",
    "Linearization", "QuadraticModel", "GradCheckResult",
]

EPS = float(np.finfo(float).eps)

#: The imaginary step of the complex-step derivative (any value below ~1e-8 works).
COMPLEX_STEP = 1e-20

_ORDER = {"forward": 2, "central": 3, "second": 4}  # h ∝ eps^(1/order)


# --------------------------------------------------------------------------- helpers


def _point(x, name: str = "x") -> np.ndarray:
    return as_vector(x, name)


def _steps(x: np.ndarray, h, kind: str) -> np.ndarray:
    """Per-coordinate steps ``(n,)``: the given ``h`` (scalar or (n,)) or the default."""
    if h is None:
        return EPS ** (1.0 / _ORDER[kind]) * np.maximum(1.0, np.abs(x))
    if np.ndim(h) == 0:
        return np.full(x.shape, as_positive(h, "h"))
    hv = as_vector(h, "h")
    if hv.shape != x.shape:
        raise ValueError(f"h must be one number or have the shape of x {x.shape}, got {hv.shape}")
    if not np.all(hv > 0):
        raise ValueError(f"every step in h must be > 0, got {h!r}")
    return hv


def _representable(x: float, h: float) -> float:
    """The step actually taken: ``(x + h) - x`` is exact in floating point."""
    return (x + h) - x


def _call(f, x: np.ndarray):
    # f gets its own copy: a function that modifies its argument must not move our x
    return f(x.copy())


def _where(x: np.ndarray) -> str:
    return np.array2string(x, precision=6, threshold=8)


def _scalar_value(f, x: np.ndarray, at: str = "x", who: str = "gradient") -> float:
    """``f(x)`` as a finite float, with an error that says what to do otherwise."""
    y = np.asarray(_call(f, x))
    if np.iscomplexobj(y):
        raise TypeError(
            f"f returned a complex value {y!r} for a real {at}; a real function is needed"
        )
    if y.size != 1:
        raise ValueError(
            f"{who} needs a scalar-valued f, but f({at}) has shape {y.shape}; for a "
            "vector-valued F: R^n -> R^m use jacobian(F, x), or reduce the output to one "
            "number (e.g. a sum or mean)"
        )
    try:
        v = float(y.reshape(()))
    except (TypeError, ValueError):
        raise TypeError(f"f({at}) must be a number, got {y!r}") from None
    _check_finite_value(v, x, at)
    return v


def _vector_value(F, x: np.ndarray, at: str = "x") -> np.ndarray:
    """``F(x)`` as a finite float array of shape ``(m,)`` (a scalar becomes ``(1,)``)."""
    y = np.asarray(_call(F, x))
    if np.iscomplexobj(y):
        raise TypeError(f"F returned complex values for a real {at}; a real function is needed")
    if y.ndim > 1:
        raise ValueError(
            f"F({at}) must be a number or a 1-D array (m,), got shape {y.shape}; "
            "return F(x).ravel() to flatten it"
        )
    try:
        y = y.astype(float).reshape(-1)
    except (TypeError, ValueError):
        raise TypeError(f"F({at}) must be an array of numbers, got {y!r}") from None
    if y.size == 0:
        raise ValueError(f"F({at}) is empty; F must return at least one number")
    _check_finite_value(y, x, at, name="F")
    return y


def _check_finite_value(v, x: np.ndarray, at: str, name: str = "f") -> None:
    if not np.all(np.isfinite(v)):
        if at == "x":
            raise ValueError(
                f"{name}(x) is not finite ({v}) at x = {_where(x)}: x is outside the domain "
                f"of {name} (e.g. log of a negative number) or {name} overflows there"
            )
        raise ValueError(
            f"{name} is not finite ({v}) at the nearby point {at} = {_where(x)}: x is within "
            "one step of the edge of the domain; pass a smaller h or move x"
        )


def _central_column(F, x: np.ndarray, i: int, hi: float, vector: bool):
    """Central difference of f (or F) along e_i: ``(f(x+h e_i) - f(x-h e_i)) / (2h)``."""
    xp, xm = x.copy(), x.copy()
    xp[i] += hi
    xm[i] -= hi
    value = _vector_value if vector else _scalar_value
    fp = value(F, xp, at=f"x + h e_{i}")
    fm = value(F, xm, at=f"x - h e_{i}")
    return (fp - fm) / (xp[i] - xm[i])


def _check_method(method: str, allowed: tuple[str, ...]) -> str:
    if method not in allowed:
        raise ValueError(f"method must be one of {', '.join(map(repr, allowed))}, got {method!r}")
    return method


def _check_index(i, n: int) -> int:
    if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
        raise TypeError(f"i must be an integer index of a coordinate, got {i!r}")
    if not 0 <= i < n:
        raise ValueError(f"i must be between 0 and {n - 1} (x has {n} coordinates), got {i}")
    return int(i)


# ----------------------------------------------------------------------- complex step


def _complex_step_columns(F, x: np.ndarray, vector: bool) -> np.ndarray:
    """``Im F(x + i h e_j) / h`` for every j: the Jacobian ``(m, n)`` (m = 1 for scalar f)."""
    n = x.size
    cols = []
    for j in range(n):
        z = x.astype(complex)
        z[j] += 1j * COMPLEX_STEP
        with warnings.catch_warnings():
            # np.asarray(z, dtype=float) inside f would silently drop the imaginary part
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            try:
                y = np.asarray(F(z))
            except Exception as exc:  # any failure on complex input: say what to do
                raise ValueError(
                    f"method='complex' evaluates f at complex points, and f failed on one "
                    f"({type(exc).__name__}: {exc}); use method='central' for this f"
                ) from exc
        if not np.iscomplexobj(y):
            raise ValueError(
                "method='complex' needs f to carry complex input through to its output, but "
                f"f returned a real {y.dtype} value (it uses abs, max, float(), .real or a "
                "real-only function); use method='central' for this f"
            )
        if not vector and y.size != 1:
            raise ValueError(
                f"gradient needs a scalar-valued f, but f(x) has shape {y.shape}; for a "
                "vector-valued F: R^n -> R^m use jacobian(F, x)"
            )
        if vector and y.ndim > 1:
            raise ValueError(f"F(x) must be a number or a 1-D array (m,), got shape {y.shape}")
        cols.append(y.reshape(-1).imag / COMPLEX_STEP)
    J = np.stack(cols, axis=1)
    if not np.all(np.isfinite(J)):
        raise ValueError(f"the complex-step derivative is not finite at x = {_where(x)}")
    return J


def _check_complex_safe(F, x: np.ndarray, J: np.ndarray, vector: bool) -> None:
    """Compare ``J u`` with a central difference along one fixed direction ``u``.

    A function that is not complex-analytic (``abs``, ``maximum``, ``np.linalg.norm``...)
    still returns complex numbers but a wrong derivative; this catches it cheaply.
    """
    u = np.cos(np.arange(1, x.size + 1) * 1.3)  # a fixed, generic direction
    u /= np.linalg.norm(u)
    h = EPS ** (1.0 / 3.0) * max(1.0, float(np.max(np.abs(x))))
    value = _vector_value if vector else _scalar_value
    fp = np.atleast_1d(value(F, x + h * u, at="x + h u"))
    fm = np.atleast_1d(value(F, x - h * u, at="x - h u"))
    f0 = np.atleast_1d(value(F, x))
    d_central = (fp - fm) / (2 * h)
    d_complex = J @ u
    err = np.linalg.norm(d_complex - d_central)
    scale = np.linalg.norm(d_complex) + np.linalg.norm(d_central)
    if err > 1e-4 * scale + 1e-6 * (1.0 + np.linalg.norm(f0)):
        raise ValueError(
            "method='complex' disagrees with central differences for this f "
            f"(directional derivative {np.round(d_complex, 8)} vs {np.round(d_central, 8)}): "
            "f is not complex-analytic (it uses abs, max/min, np.linalg.norm, .real or "
            "similar); use method='central'"
        )


# --------------------------------------------------------------------- public functions


def partial(f, x, i, h=None) -> float:
    r"""The partial derivative :math:`\partial f/\partial x_i` by a central difference.

    .. math:: \frac{\partial f}{\partial x_i}(x) \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}

    Parameters
    ----------
    f : callable
        Scalar function ``f(x)`` of a point ``x`` of shape ``(n,)``.
    x : array_like, shape (n,)
        The point.
    i : int
        The coordinate, ``0 <= i < n``.
    h : float, optional
        The step; default :math:`\varepsilon_{\text{mach}}^{1/3}\max(1, |x_i|)`, which balances the
        :math:`O(h^2)` truncation error against the :math:`O(\varepsilon_{\text{mach}}/h)` round-off.

    Returns
    -------
    float

    Section 3.1.
    """
    f = as_callable(f, "f")
    x = _point(x)
    i = _check_index(i, x.size)
    hi = _steps(x, h, "central")[i]
    _scalar_value(f, x, who="partial")
    return float(_central_column(f, x, i, _representable(x[i], hi), vector=False))


def gradient(f, x, h=None, method: str = "central") -> np.ndarray:
    r"""The gradient :math:`\nabla f(x) = (\partial f/\partial x_1, \dots, \partial f/\partial x_n)`.

    Shape: ``x`` is ``(n,)``, the gradient is ``(n,)``. ``f`` must return one number.

    Parameters
    ----------
    f : callable
        Scalar function ``f(x)``; for a vector-valued ``F`` use :func:`jacobian`.
    x : array_like, shape (n,)
        The point.
    h : float or array_like of shape (n,), optional
        Step(s); defaults depend on ``method`` (see the module docstring).
    method : {"central", "complex", "forward"}
        ``"central"``: :math:`(f(x+he_i)-f(x-he_i))/2h`, error :math:`O(h^2)`, about 10
        correct digits, 2n evaluations.
        ``"complex"``: :math:`\operatorname{Im} f(x + i h e_i)/h` with :math:`h=10^{-20}`,
        correct to machine precision, n evaluations; ``f`` must accept complex input and
        be complex-analytic (no ``abs``/``max``/``.real``) — a ``ValueError`` says so
        otherwise.
        ``"forward"``: :math:`(f(x+he_i)-f(x))/h`, error :math:`O(h)`, about 8 digits,
        n + 1 evaluations.

    Returns
    -------
    ndarray, shape (n,)

    Section 3.2.
    """
    f = as_callable(f, "f")
    x = _point(x)
    method = _check_method(method, ("central", "complex", "forward"))
    f0 = _scalar_value(f, x)
    if method == "complex":
        if h is not None:
            raise ValueError("method='complex' uses its own step 1e-20; do not pass h")
        g = _complex_step_columns(f, x, vector=False)
        _check_complex_safe(f, x, g, vector=False)
        return g[0]
    hs = _steps(x, h, "central" if method == "central" else "forward")
    g = np.empty(x.size)
    for i in range(x.size):
        hi = _representable(x[i], hs[i])
        if method == "central":
            g[i] = _central_column(f, x, i, hi, vector=False)
        else:
            xp = x.copy()
            xp[i] += hi
            g[i] = (_scalar_value(f, xp, at=f"x + h e_{i}") - f0) / hi
    return g


def directional_derivative(f, x, u, h=None) -> float:
    r"""The rate of change of ``f`` at ``x`` in the direction of ``u``: :math:`D_{\hat u} f(x)`.

    .. math:: D_{\hat u} f(x) = \nabla f(x)\cdot \hat u
              \approx \frac{f(x + h\hat u) - f(x - h\hat u)}{2h},
              \qquad \hat u = u/\|u\|

    ``u`` is normalized first (only its direction matters); the zero vector raises
    ``ValueError``. Shapes: ``x`` and ``u`` are ``(n,)``; returns a float. Two
    evaluations of ``f``, however large ``n`` is. Default
    :math:`h = \varepsilon_{\text{mach}}^{1/3}\max(1, \|x\|_\infty)`. Section 3.3.
    """
    f = as_callable(f, "f")
    x = _point(x)
    u = as_vector(u, "u")
    if u.shape != x.shape:
        raise ValueError(f"u must have the shape of x {x.shape}, got {u.shape}")
    m = float(np.max(np.abs(u)))
    if m == 0.0:
        check_nonzero(u, "u", "used as a direction")
    u = u / m
    u = u / np.sqrt(u @ u)
    if h is None:
        h = EPS ** (1.0 / 3.0) * max(1.0, float(np.max(np.abs(x))))
    else:
        h = as_positive(h, "h")
    _scalar_value(f, x, who="directional_derivative")
    fp = _scalar_value(f, x + h * u, at="x + h u", who="directional_derivative")
    fm = _scalar_value(f, x - h * u, at="x - h u", who="directional_derivative")
    return float((fp - fm) / (2 * h))


def jacobian(F, x, h=None, method: str = "central") -> np.ndarray:
    r"""The Jacobian matrix :math:`J_{ij} = \partial F_i/\partial x_j` of :math:`F: \mathbb{R}^n \to \mathbb{R}^m`.

    Shape contract: ``x`` is ``(n,)``, ``F(x)`` is ``(m,)`` (a scalar counts as ``m = 1``),
    the Jacobian is ``(m, n)``: row ``i`` is the gradient of ``F_i``, column ``j`` is
    :math:`\partial F/\partial x_j`. So ``J @ dx`` is the first-order change of ``F``.

    Parameters
    ----------
    F : callable
        ``F(x)`` returning a number or a 1-D array.
    x : array_like, shape (n,)
    h : float or array_like of shape (n,), optional
        Central-difference step(s); default :math:`\varepsilon_{\text{mach}}^{1/3}\max(1,|x_j|)`.
    method : {"central", "complex"}
        As in :func:`gradient`.

    Returns
    -------
    ndarray, shape (m, n)

    Sections 3.4, 6.2.
    """
    F = as_callable(F, "F")
    x = _point(x)
    method = _check_method(method, ("central", "complex"))
    F0 = _vector_value(F, x)
    if method == "complex":
        if h is not None:
            raise ValueError("method='complex' uses its own step 1e-20; do not pass h")
        J = _complex_step_columns(F, x, vector=True)
        if J.shape[0] != F0.size:
            raise ValueError(f"F returned {J.shape[0]} values for complex input, {F0.size} for real")
        _check_complex_safe(F, x, J, vector=True)
        return J
    hs = _steps(x, h, "central")
    J = np.empty((F0.size, x.size))
    for j in range(x.size):
        col = _central_column(F, x, j, _representable(x[j], hs[j]), vector=True)
        if col.shape != F0.shape:
            raise ValueError(
                f"F must return the same number of values at every point; F(x) has {F0.size}, "
                f"F(x ± h e_{j}) has {col.size}"
            )
        J[:, j] = col
    return J


def hessian(f, x, h=None) -> np.ndarray:
    r"""The Hessian :math:`H_{ij} = \partial^2 f/\partial x_i \partial x_j`, a symmetric ``(n, n)`` matrix.

    Second differences with steps :math:`h_i = \varepsilon_{\text{mach}}^{1/4}\max(1,|x_i|)`
    (truncation error of order :math:`h^2 \approx \sqrt{\varepsilon_{\text{mach}}}`, 7–8
    digits; for :math:`f = x^4` at 0 the estimate of :math:`f'' = 0` is exactly :math:`2h^2`):

    .. math::
        H_{ii} \approx \frac{f(x+h_ie_i) - 2f(x) + f(x-h_ie_i)}{h_i^2}, \qquad
        H_{ij} \approx \frac{f(x{+}h_ie_i{+}h_je_j) - f(x{+}h_ie_i{-}h_je_j)
        - f(x{-}h_ie_i{+}h_je_j) + f(x{-}h_ie_i{-}h_je_j)}{4h_ih_j}

    Only the upper triangle is computed and mirrored, so the result is exactly symmetric
    (as the true Hessian of a :math:`C^2` function is, by Schwarz/Clairaut).
    :math:`2n^2 + 1` evaluations. Section 4.2.
    """
    f = as_callable(f, "f")
    x = _point(x)
    n = x.size
    f0 = _scalar_value(f, x, who="hessian")
    hs = np.array([_representable(x[i], hi) for i, hi in enumerate(_steps(x, h, "second"))])

    def at(steps: dict[int, float]) -> float:
        z = x.copy()
        for k, s in steps.items():
            z[k] += s
        label = " ".join(f"{'+' if s > 0 else '-'} h e_{k}" for k, s in steps.items())
        return _scalar_value(f, z, at=f"x {label}", who="hessian")

    H = np.empty((n, n))
    for i in range(n):
        hi = hs[i]
        H[i, i] = (at({i: hi}) - 2.0 * f0 + at({i: -hi})) / hi**2
        for j in range(i + 1, n):
            hj = hs[j]
            H[i, j] = H[j, i] = (
                at({i: hi, j: hj}) - at({i: hi, j: -hj}) - at({i: -hi, j: hj}) + at({i: -hi, j: -hj})
            ) / (4.0 * hi * hj)
    return H


# --------------------------------------------------------------- local models (3.5)


class Linearization:
    r"""The affine (tangent-plane) approximation :math:`\ell(x) = f(x_0) + \nabla f(x_0)\cdot(x - x_0)`.

    Made by :func:`linearize`. For a vector function, :math:`\ell(x) = F(x_0) + J_F(x_0)(x-x_0)`.
    Calling ``ell(x)`` (the object) with ``x`` of shape ``(n,)`` gives a float (or ``(m,)``); a batch of
    points ``(..., n)`` gives ``(...)`` (or ``(..., m)``), handy for drawing the plane.
    Section 3.5.

    Attributes
    ----------
    x0 : ndarray, shape (n,)
        The point of tangency.
    f0 : float or ndarray of shape (m,)
        :math:`f(x_0)`.
    grad : ndarray, shape (n,)
        :math:`\nabla f(x_0)` (scalar ``f`` only).
    J : ndarray, shape (m, n)
        The Jacobian at ``x0`` (vector ``F`` only).
    """

    def __init__(self, x0: np.ndarray, f0, slope: np.ndarray):
        self.x0 = x0
        self.f0 = f0
        if slope.ndim == 1:
            self.grad = slope
        else:
            self.J = slope

    def __call__(self, x):
        d = _points_like(x, self.x0)
        if hasattr(self, "grad"):
            out = self.f0 + d @ self.grad
            return float(out) if np.ndim(out) == 0 else out
        return self.f0 + d @ self.J.T

    def __repr__(self) -> str:
        slope = f"grad={self.grad!r}" if hasattr(self, "grad") else f"J={self.J!r}"
        return f"Linearization(x0={self.x0!r}, f0={self.f0!r}, {slope})"


class QuadraticModel:
    r"""The second-order Taylor model :math:`q(x) = f(x_0) + g\cdot d + \tfrac12 d^{\mathsf T} H d`, :math:`d = x - x_0`.

    Made by :func:`quadratic_model`; ``g`` and ``H`` are the gradient and Hessian at
    ``x0``. Calling ``q(x)`` accepts ``(n,)`` (a float) or a batch ``(..., n)``.
    :meth:`newton_step` is the step to the model's critical point, the Newton step of
    section 4.2. Section 3.5 (the model), 4.2 (the step).

    Attributes
    ----------
    x0 : ndarray, shape (n,)
    f0 : float
    grad : ndarray, shape (n,)
    H : ndarray, shape (n, n)
    """

    def __init__(self, x0, f0, grad, H):
        self.x0, self.f0, self.grad, self.H = x0, f0, grad, H

    def __call__(self, x):
        d = _points_like(x, self.x0)
        out = self.f0 + d @ self.grad + 0.5 * np.einsum("...i,ij,...j->...", d, self.H, d)
        return float(out) if np.ndim(out) == 0 else out

    def newton_step(self) -> np.ndarray:
        r"""The Newton step :math:`s` solving :math:`H s = -g` (``(n,)``): the model is stationary at :math:`x_0 + s`.

        Solved, never inverted; raises ``ValueError`` if ``H`` is singular (the model has
        no unique critical point).
        """
        if np.linalg.cond(self.H) > 1e12:
            raise ValueError("the Hessian at x0 is singular: the quadratic model has no unique critical point")
        return np.linalg.solve(self.H, -self.grad)

    def __repr__(self) -> str:
        return f"QuadraticModel(x0={self.x0!r}, f0={self.f0!r}, grad={self.grad!r}, H={self.H!r})"


def _points_like(x, x0: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.ndim == 0 or x.shape[-1] != x0.size:
        raise ValueError(
            f"the model is defined on R^{x0.size}: pass a point of shape ({x0.size},) "
            f"or a batch of shape (..., {x0.size}), got shape {x.shape}"
        )
    return x - x0


def linearize(f, x0, h=None) -> Linearization:
    r"""The linearization (tangent plane) of ``f`` at ``x0``, as a callable.

    .. math:: \ell(x) = f(x_0) + \nabla f(x_0)\cdot (x - x_0), \qquad f(x) - \ell(x) = O(\|x - x_0\|^2)

    If ``f`` returns a 1-D array (a vector function ``F: Rⁿ → Rᵐ``), the Jacobian is used:
    :math:`\ell(x) = F(x_0) + J_F(x_0)(x - x_0)`. The result exposes ``.x0``, ``.f0`` and
    ``.grad`` (``(n,)``) or ``.J`` (``(m, n)``). Central differences with step ``h``.
    Section 3.5.
    """
    f = as_callable(f, "f")
    x0 = _point(x0, "x0")
    y = np.asarray(_call(f, x0))
    if y.ndim == 0:
        f0 = _scalar_value(f, x0)
        return Linearization(x0, f0, gradient(f, x0, h=h))
    return Linearization(x0, _vector_value(f, x0), jacobian(f, x0, h=h))


def quadratic_model(f, x0, h=None) -> QuadraticModel:
    r"""The second-order Taylor model of a scalar ``f`` at ``x0``, as a callable.

    .. math:: q(x) = f(x_0) + \nabla f(x_0)\cdot d + \tfrac12\, d^{\mathsf T} H(x_0)\, d,
              \qquad d = x - x_0, \quad f(x) - q(x) = O(\|d\|^3)

    Gradient by central differences, Hessian by :func:`hessian` (``h`` is passed to
    both; leave it ``None`` for each one's default). Section 3.5 (and 4.2: its critical
    point is the Newton step, :meth:`QuadraticModel.newton_step`).
    """
    f = as_callable(f, "f")
    x0 = _point(x0, "x0")
    f0 = _scalar_value(f, x0, who="quadratic_model")
    return QuadraticModel(x0, f0, gradient(f, x0, h=h), hessian(f, x0, h=h))


# ------------------------------------------------------------------ gradient check


@dataclass
class GradCheckResult:
    r"""Outcome of :func:`check_grad`; true in an ``if``/``assert`` exactly when ``ok``.

    Attributes
    ----------
    ok : bool
        Every direction agreed within tolerance.
    max_rel_error : float
        The worst :math:`|g\cdot u - D_u f| / \max(\|g\|, |D_u f|)` over the directions.
    rel_errors : ndarray, shape (k,)
        That error for each direction.
    directions : ndarray, shape (k, n)
        The random unit directions ``u`` (rows).
    analytic : ndarray, shape (k,)
        :math:`g\cdot u` from the gradient under test.
    numeric : ndarray, shape (k,)
        :math:`D_u f` from extrapolated central differences.
    numeric_error : ndarray, shape (k,)
        An estimate of the error of ``numeric`` (from the extrapolation).
    rtol : float
    message : str
    """

    ok: bool
    max_rel_error: float
    rel_errors: np.ndarray = field(repr=False)
    directions: np.ndarray = field(repr=False)
    analytic: np.ndarray = field(repr=False)
    numeric: np.ndarray = field(repr=False)
    numeric_error: np.ndarray = field(repr=False)
    rtol: float
    message: str = field(default="")

    def __bool__(self) -> bool:
        return bool(self.ok)


def check_grad(f, grad_f, x, rtol: float = 1e-6, n_directions: int = 8, rng=None,
               h=None) -> GradCheckResult:
    r"""Check a gradient function against ``f`` along random directions.

    For ``k = n_directions`` random unit directions ``u`` it compares the claimed
    directional derivative :math:`g\cdot u`, with ``g = grad_f(x)``, against a numerical
    one: central differences :math:`D(h) = (f(x+hu)-f(x-hu))/2h` at the steps
    :math:`h, h/2, h/4` combined by Richardson extrapolation

    .. math:: R_1(h) = \frac{4D(h/2) - D(h)}{3}, \qquad
              R_2 = \frac{16 R_1(h/2) - R_1(h)}{15} \quad (\text{error } O(h^6)),

    so the numerical value is good to about 12 digits, far below ``rtol``. A direction
    passes when :math:`|g\cdot u - R_2| \le \mathrm{rtol}\,\max(\|g\|, |R_2|)` plus the
    estimated numerical error :math:`10|R_2 - R_1(h/2)|` and a round-off floor of
    :math:`100\,\varepsilon_{\text{mach}}(1+|f(x)|)/h`. With the default ``rtol = 1e-6`` a gradient
    that is wrong by 0.1 % is rejected. Checking directions rather than coordinates
    costs 6 evaluations per direction, whatever ``n`` is.

    Parameters
    ----------
    f : callable
        Scalar function of ``x`` ``(n,)``.
    grad_f : callable
        The gradient under test, returning ``(n,)``.
    x : array_like, shape (n,)
    rtol : float
    n_directions : int
    rng : None, int or numpy.random.Generator
        Source of the directions; ``None`` means seed 0, so the check is reproducible.
    h : float, optional
        The largest step; default :math:`10^{-3}\max(1, \|x\|_\infty)`. Make it smaller
        if ``x`` is close to the edge of the domain of ``f``.

    Returns
    -------
    GradCheckResult

    Section 3.2 (and 3.4: checking backpropagation).
    """
    f = as_callable(f, "f")
    grad_f = as_callable(grad_f, "grad_f")
    x = _point(x)
    rtol = as_positive(rtol, "rtol")
    if isinstance(n_directions, bool) or not isinstance(n_directions, (int, np.integer)) \
            or n_directions < 1:
        raise ValueError(f"n_directions must be a positive integer, got {n_directions!r}")
    rng = as_rng(rng)
    h = 1e-3 * max(1.0, float(np.max(np.abs(x)))) if h is None else as_positive(h, "h")

    f0 = _scalar_value(f, x, who="check_grad")
    g = np.asarray(_call(grad_f, x))
    if np.iscomplexobj(g):
        raise TypeError("grad_f(x) returned complex values; a real gradient is needed")
    g = np.asarray(g, dtype=float)
    if g.shape != x.shape:
        raise ValueError(
            f"grad_f(x) must have the shape of x {x.shape}, got {g.shape}"
            + ("; return it as a flat array with .ravel()" if g.size == x.size else "")
        )
    if not np.all(np.isfinite(g)):
        raise ValueError(f"grad_f(x) is not finite at x = {_where(x)}: {g}")

    U = rng.standard_normal((int(n_directions), x.size))
    U /= np.linalg.norm(U, axis=1, keepdims=True)

    def D(u, s):
        fp = _scalar_value(f, x + s * u, at="x + h u", who="check_grad")
        fm = _scalar_value(f, x - s * u, at="x - h u", who="check_grad")
        return (fp - fm) / (2 * s)

    numeric, num_err = np.empty(len(U)), np.empty(len(U))
    for k, u in enumerate(U):
        d1, d2, d3 = D(u, h), D(u, h / 2), D(u, h / 4)
        r1, r1b = (4 * d2 - d1) / 3, (4 * d3 - d2) / 3
        numeric[k] = (16 * r1b - r1) / 15
        num_err[k] = abs(numeric[k] - r1b)
    analytic = U @ g
    diff = np.abs(analytic - numeric)
    scale = max(float(np.linalg.norm(g)), float(np.max(np.abs(numeric))))
    floor = 100 * EPS * (1.0 + abs(f0)) / (h / 4)
    allowed = rtol * scale + 10 * num_err + floor
    rel = diff / scale if scale > 0 else diff
    bad = np.flatnonzero(~(diff <= allowed))
    ok = bad.size == 0
    if ok:
        message = (f"gradient OK: {len(U)} random directions agree, worst relative error "
                   f"{rel.max():.2e} <= rtol {rtol:g}")
    else:
        k = int(bad[np.argmax(rel[bad])])
        message = (f"gradient WRONG: in {bad.size} of {len(U)} random directions grad_f(x)·u "
                   f"differs from the numerical directional derivative; worst relative error "
                   f"{rel[k]:.2e} > rtol {rtol:g} (grad_f·u = {analytic[k]:.10g}, "
                   f"numerical {numeric[k]:.10g}). Check signs, factors and indices; compare "
                   "grad_f(x) with cl.derivatives.gradient(f, x) component by component")
    return GradCheckResult(ok=ok, max_rel_error=float(rel.max()), rel_errors=rel, directions=U,
                           analytic=analytic, numeric=numeric, numeric_error=num_err,
                           rtol=rtol, message=message)


# ------------------------------------------------------------------ gradient field


def gradient_field(f_vectorized, X, Y, h=None):
    r"""The gradient field :math:`(U, V) = (\partial f/\partial x, \partial f/\partial y)` on a grid.

    For drawing ``plt.quiver(X, Y, U, V)`` or ``plt.streamplot``. ``f_vectorized(X, Y)``
    must work elementwise on arrays (write it with ``np.exp``, ``**``, ..., not ``math``),
    so the whole grid costs four calls of ``f``:

    .. math:: U \approx \frac{f(X+h_x, Y) - f(X-h_x, Y)}{2h_x}, \qquad
              V \approx \frac{f(X, Y+h_y) - f(X, Y-h_y)}{2h_y}

    with :math:`h_x = \varepsilon_{\text{mach}}^{1/3}\max(1,|X|)` elementwise (likewise :math:`h_y`).
    Shapes: ``X`` and ``Y`` of the same shape (e.g. from ``np.meshgrid``); ``U`` and ``V``
    have that shape. Sections 3.2 and 7.1.
    """
    f = as_callable(f_vectorized, "f_vectorized")
    X = _as_float_array(X, "X")
    Y = _as_float_array(Y, "Y")
    if X.shape != Y.shape:
        raise ValueError(
            f"X and Y must have the same shape, got {X.shape} and {Y.shape}; "
            "make them with X, Y = np.meshgrid(xs, ys)"
        )
    if X.size == 0:
        raise ValueError("X and Y are empty; pass a grid with at least one point")
    if h is None:
        hx = EPS ** (1 / 3) * np.maximum(1.0, np.abs(X))
        hy = EPS ** (1 / 3) * np.maximum(1.0, np.abs(Y))
    else:
        hx = hy = as_positive(h, "h")

    def F(A, B, at):
        try:
            Z = np.asarray(f(A, B), dtype=float)
        except TypeError as exc:
            raise TypeError(
                f"f_vectorized must accept whole arrays X, Y ({exc}); write it with numpy "
                "functions (np.exp, np.sin, **) instead of math.*, or wrap it in np.vectorize"
            ) from exc
        if Z.shape != X.shape:
            raise ValueError(
                f"f_vectorized(X, Y) must return an array of the grid's shape {X.shape}, "
                f"got {Z.shape}; it must work elementwise (a constant c: return c + 0*X)"
            )
        if not np.all(np.isfinite(Z)):
            raise ValueError(f"f_vectorized is not finite at some grid points ({at}); "
                             "shrink the grid to the domain of f")
        return Z

    xp, xm = X + hx, X - hx
    yp, ym = Y + hy, Y - hy
    U = (F(xp, Y, "X + h") - F(xm, Y, "X - h")) / (xp - xm)
    V = (F(X, yp, "Y + h") - F(X, ym, "Y - h")) / (yp - ym)
    return U, V
