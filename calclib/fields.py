r"""Vector fields: divergence, curl, potentials, line and surface integrals, the big theorems.

Chapters 7–9 (sections 7.1, 7.2, 8.1, 8.2, 9.1, 9.2, 9.3). A vector field is a function
``F(x)`` taking a point ``x`` of shape ``(n,)`` (n = 2 or 3) and returning its vector,
also of shape ``(n,)``: e.g. ``F = lambda p: np.array([-p[1], p[0]])``. Derivatives of
``F`` come from ``calclib.derivatives.jacobian`` (central differences, about 10
correct digits); integrals use Gauss–Legendre quadrature with ``n`` nodes per
direction, exact for polynomial integrands of degree up to :math:`2n-1` and very
accurate for smooth ones. Where a velocity :math:`r'(t)` or a surface normal is not
given, it is also computed by central differences, so expect 9–10 correct digits rather
than 15.

Many points at once
-------------------
:func:`divergence`, :func:`curl` and :func:`potential` also accept a grid of points with
the coordinates along the **first** axis, shape ``(n, *grid)``, the layout of
``np.mgrid[-2:2:21j, -2:2:21j]`` and of ``np.stack(np.meshgrid(xs, ys))``; the result
then has the grid's shape (``(3, *grid)`` for a 3-D curl), ready for ``contourf`` or
``quiver``. ``F`` itself is still called one point at a time, so it need not be
vectorized. (A list of points stored as rows, ``P`` of shape ``(m, n)``, is passed as
``P.T``.)

Curves and surfaces
-------------------
A curve is ``r(t)`` for ``t`` in ``[a, b]``, returning ``(n,)``; a surface in 3-D is
``S(u, v)`` for ``(u, v)`` in a rectangle, returning ``(3,)``. **Orientation:** a
surface is oriented by the normal :math:`S_u \times S_v`; its boundary is traversed so
that, walking along it with your head along the normal, the surface is on your left
(the right-hand rule). That is the image of the counterclockwise boundary of the
parameter rectangle. Example: the sphere :math:`S(\theta, \varphi) = R(\sin\theta\cos\varphi,
\sin\theta\sin\varphi, \cos\theta)` has :math:`S_\theta \times S_\varphi = R\sin\theta\,S`,
the outward normal.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import derivatives
from ._validate import _as_float_array, as_callable, as_int, as_matrix, as_positive, as_rng, as_vector

__all__ = [
    "divergence", "curl", "is_conservative", "potential",
    "line_integral", "polyline_integral", "circulation", "flux",
    "TheoremCheck", "green_check", "stokes_check", "divergence_check",
    "HutchinsonEstimate", "hutchinson_trace", "polygon_area",
]


# --- helpers ---------------------------------------------------------------------------

def _where(x) -> str:
    return np.array2string(np.asarray(x), precision=6, threshold=8)


def _field_value(F, x: np.ndarray, name: str = "F") -> np.ndarray:
    """``F(x)`` as a finite ``(n,)`` array for a point ``x`` of shape ``(n,)``."""
    n = x.size
    y = np.asarray(F(x.copy()))
    if np.iscomplexobj(y):
        raise TypeError(f"{name} returned complex values at {_where(x)}; a real field is needed")
    try:
        y = y.astype(float)
    except (TypeError, ValueError):
        raise TypeError(f"{name}(x) must return an array of numbers, got {y!r}") from None
    if y.shape != (n,):
        hint = ""
        if n == 2 and y.size == 3:
            hint = "; F looks like a 3-D field: pass 3-D points (x, y, z)"
        elif n == 3 and y.size == 2:
            hint = "; F looks like a 2-D field: pass 2-D points (x, y)"
        elif y.size == n:
            hint = "; return a flat array (e.g. np.array([P, Q]) or .ravel())"
        raise ValueError(
            f"{name} must return one component per coordinate: at a point of shape ({n},), "
            f"{name}(x) must have shape ({n},), got {y.shape}{hint}"
        )
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{name}(x) is not finite ({y}) at x = {_where(x)}; "
                         "x is outside the domain of the field")
    return y


def _square_jacobian(F, x: np.ndarray, h) -> np.ndarray:
    _field_value(F, x)
    return derivatives.jacobian(F, x, h=h)


def _points(x, name: str = "x"):
    """A point ``(n,)`` or a grid ``(n, *grid)``; returns (array, list of grid indices or None)."""
    arr = _as_float_array(x, name)
    if arr.ndim == 0 or arr.size == 0:
        raise ValueError(f"{name} must be a point of shape (n,) or a grid of shape (n, *grid), "
                         f"got shape {arr.shape}")
    if arr.ndim == 1:
        return arr, None
    return arr, list(np.ndindex(arr.shape[1:]))


def _on_points(func, x, name, out_shape):
    """Apply ``func`` (point -> value of ``out_shape``) at a point or over a grid (n, *grid)."""
    arr, grid = _points(x, name)
    if grid is None:
        return func(arr)
    out = np.empty(out_shape + arr.shape[1:])
    for idx in grid:
        out[(Ellipsis,) + idx] = func(arr[(slice(None),) + idx])
    return out


def _gauss(a: float, b: float, n: int):
    """Gauss–Legendre nodes and weights on [a, b]."""
    t, w = np.polynomial.legendre.leggauss(n)
    return 0.5 * (b - a) * t + 0.5 * (a + b), 0.5 * (b - a) * w


def _interval(lim, name: str):
    lim = as_vector(lim, name)
    if lim.shape != (2,):
        raise ValueError(f"{name} must be a pair (low, high), got shape {lim.shape}")
    return float(lim[0]), float(lim[1])


def _box(box, dim=None, name: str = "box") -> np.ndarray:
    B = as_matrix(box, name)
    if B.shape[1] != 2 or (dim is not None and B.shape[0] != dim):
        want = f"({dim}, 2)" if dim else "(n, 2)"
        raise ValueError(f"{name} must list one (low, high) pair per coordinate, shape {want}, "
                         f"e.g. [(0, 1), (-1, 2)]; got shape {B.shape}")
    if not np.all(B[:, 0] < B[:, 1]):
        raise ValueError(f"each pair of {name} must have low < high, got {B.tolist()}")
    return B


def _curve_point(r, t: float, name: str = "r") -> np.ndarray:
    p = np.asarray(r(t))
    if np.iscomplexobj(p):
        raise TypeError(f"{name}(t) returned complex values; a real curve is needed")
    p = p.astype(float)
    if p.ndim != 1 or p.size == 0:
        raise ValueError(f"{name}(t) must return a point of shape (n,), got shape {p.shape} at t = {t}")
    if not np.all(np.isfinite(p)):
        raise ValueError(f"{name}(t) is not finite at t = {t}")
    return p


def _velocity(r, dr, t: float, n: int, h) -> np.ndarray:
    """r'(t): from ``dr`` if given, else by central differences (calclib.derivatives)."""
    if dr is not None:
        v = np.asarray(dr(t), dtype=float)
        if v.shape != (n,):
            raise ValueError(f"dr(t) must have the shape of r(t), ({n},), got {v.shape} at t = {t}")
        if not np.all(np.isfinite(v)):
            raise ValueError(f"dr(t) is not finite at t = {t}")
        return v
    return derivatives.jacobian(lambda s: r(s[0]), np.array([t]), h=h)[:, 0]


# --- derivatives of fields (7.1, 7.2) ---------------------------------------------------

def divergence(F, x, h=None):
    r"""The divergence :math:`\nabla\cdot F = \sum_i \partial F_i/\partial x_i`, the trace of the Jacobian.

    Parameters
    ----------
    F : callable
        Vector field ``F(x)``, ``(n,)`` to ``(n,)``.
    x : array_like of shape (n,) or (n, \*grid)
        One point, or a grid with the coordinates along the first axis (see the module
        docstring).
    h : float, optional
        Central-difference step, passed to ``calclib.derivatives.jacobian``.

    Returns
    -------
    float, or ndarray of shape ``grid``

    Notes
    -----
    Positive where the field spreads out (a source), negative where it gathers (a sink).
    Section 7.1 (and 9.3).
    """
    F = as_callable(F, "F")
    return _on_points(lambda p: float(np.trace(_square_jacobian(F, p, h))), x, "x", ())


def curl(F, x, h=None):
    r"""The curl of a 3-D field, or the scalar curl :math:`\partial N/\partial x - \partial M/\partial y` of a 2-D one.

    .. math::

       \nabla\times F = \Big(\frac{\partial F_3}{\partial y} - \frac{\partial F_2}{\partial z},\;
       \frac{\partial F_1}{\partial z} - \frac{\partial F_3}{\partial x},\;
       \frac{\partial F_2}{\partial x} - \frac{\partial F_1}{\partial y}\Big)

    For :math:`F = (M, N)` in the plane this is the third component of the curl of
    :math:`(M, N, 0)`, the integrand of Green's theorem.

    Parameters
    ----------
    F : callable
        Vector field, ``(2,)`` to ``(2,)`` or ``(3,)`` to ``(3,)``.
    x : array_like of shape (n,) or (n, \*grid), n = 2 or 3
        One point, or a grid with the coordinates first.
    h : float, optional
        Central-difference step.

    Returns
    -------
    2-D: float, or ndarray of shape ``grid``; 3-D: ndarray of shape (3,) or (3, \*grid).

    Notes
    -----
    Section 7.1 (and 7.2, 9.1, 9.2).
    """
    F = as_callable(F, "F")
    arr, _ = _points(x)
    n = arr.shape[0]
    if n not in (2, 3):
        raise ValueError(
            f"curl is defined for 2-D fields (a scalar, dN/dx - dM/dy) and 3-D fields (a vector); "
            f"x has {n} coordinates (shape {arr.shape})"
        )

    def at(p):
        J = _square_jacobian(F, p, h)  # J[i, j] = dF_i/dx_j
        if n == 2:
            return J[1, 0] - J[0, 1]
        return np.array([J[2, 1] - J[1, 2], J[0, 2] - J[2, 0], J[1, 0] - J[0, 1]])

    return _on_points(at, arr, "x", () if n == 2 else (3,))


def is_conservative(F, points=None, box=None, n_points: int = 20, rng=None, tol: float = 1e-6) -> bool:
    r"""Whether the Jacobian of ``F`` is symmetric at sample points (a test for :math:`F = \nabla f`).

    Checks :math:`\partial F_i/\partial x_j = \partial F_j/\partial x_i` for all
    :math:`i, j`.

    On a simply connected domain (a box, a ball, the whole space) a symmetric Jacobian
    everywhere is equivalent to :math:`F = \nabla f` (in 3-D: curl F = 0; in 2-D:
    :math:`\partial N/\partial x = \partial M/\partial y`). Sampling can only *refute*
    this; a ``True`` means no asymmetry was found at the points tried.

    Parameters
    ----------
    F : callable
        Vector field ``(n,)`` to ``(n,)``.
    points : array_like of shape (m, n), optional
        The points to test, **one per row**.
    box : array_like of shape (n, 2), optional
        Or: a box ``[(low, high), ...]`` to draw ``n_points`` uniform points from.
    n_points : int
        How many points to draw from ``box``.
    rng : numpy.random.Generator or int, optional
        For drawing the points; default seed 0 (reproducible).
    tol : float
        Largest allowed :math:`\max_{ij}|J_{ij} - J_{ji}|`, relative to the largest
        :math:`|J_{ij}|` seen (central differences leave about :math:`10^{-10}`).

    Returns
    -------
    bool

    Notes
    -----
    Section 7.2. On a domain with a hole the test is not enough: :math:`(-y, x)/(x^2+y^2)`
    has a symmetric Jacobian but circulation :math:`2\pi` around the origin.
    """
    F = as_callable(F, "F")
    if (points is None) == (box is None):
        raise ValueError("pass exactly one of points=(m, n) array (one point per row) or "
                         "box=[(low, high), ...]")
    if box is not None:
        B = _box(box)
        m = as_int(n_points, "n_points", minimum=1)
        P = B[:, 0] + (B[:, 1] - B[:, 0]) * as_rng(rng).random((m, B.shape[0]))
    else:
        P = as_matrix(points, "points")
    tol = as_positive(tol, "tol")
    asym, scale = 0.0, 0.0
    for p in P:
        J = _square_jacobian(F, p, None)
        asym = max(asym, float(np.max(np.abs(J - J.T))))
        scale = max(scale, float(np.max(np.abs(J))))
    return asym <= tol * max(scale, 1e-300) or asym == 0.0


def potential(F, x, x0=None, n: int = 32):
    r"""A potential of a conservative field: :math:`f(x) = \int_0^1 F(x_0 + t(x - x_0))\cdot(x - x_0)\,dt`.

    The line integral of ``F`` along the straight segment from ``x0`` to ``x``, by
    Gauss–Legendre with ``n`` nodes. If :math:`F = \nabla f` this is :math:`f(x) - f(x_0)`:
    the potential normalized so that :math:`f(x_0) = 0` (section 8.2). If ``F`` is not
    conservative the number still exists but depends on the path chosen; test first with
    :func:`is_conservative`.

    Parameters
    ----------
    F : callable
        Vector field ``(n,)`` to ``(n,)``.
    x : array_like of shape (n,) or (n, \*grid)
        Where to evaluate the potential (a grid has the coordinates first).
    x0 : array_like of shape (n,), optional
        The base point, default the origin.
    n : int
        Quadrature nodes.

    Returns
    -------
    float, or ndarray of shape ``grid``

    Notes
    -----
    Section 7.2.
    """
    F = as_callable(F, "F")
    arr, _ = _points(x)
    dim = arr.shape[0]
    x0 = np.zeros(dim) if x0 is None else as_vector(x0, "x0")
    if x0.shape != (dim,):
        raise ValueError(f"x0 must be a point of shape ({dim},) like x, got {x0.shape}")
    n = as_int(n, "n", minimum=1)
    t, w = _gauss(0.0, 1.0, n)

    def at(p):
        d = p - x0
        return float(sum(wk * (_field_value(F, x0 + tk * d) @ d) for tk, wk in zip(t, w)))

    return _on_points(at, arr, "x", ())


# --- line and surface integrals (8.1, 8.2, 9.x) -----------------------------------------

def line_integral(F, r, dr=None, a: float = 0.0, b: float = 1.0, n: int = 64, h=None) -> float:
    r"""The line integral (work) :math:`\int_C F\cdot dr = \int_a^b F(r(t))\cdot r'(t)\,dt`.

    Parameters
    ----------
    F : callable
        Vector field ``(n,)`` to ``(n,)``.
    r : callable
        The path, ``r(t)`` of shape ``(n,)`` for ``t`` in ``[a, b]``.
    dr : callable, optional
        Its velocity ``r'(t)``, shape ``(n,)``; if ``None``, central differences.
    a, b : float
        The parameter interval; the path runs from ``r(a)`` to ``r(b)`` (``a > b``
        reverses it and flips the sign).
    n : int
        Gauss–Legendre nodes (exact when :math:`F(r(t))\cdot r'(t)` is a polynomial of
        degree :math:`\le 2n - 1`). For a path with corners, integrate each smooth piece
        separately and add.
    h : float, optional
        Step of the numerical derivative of ``r``.

    Returns
    -------
    float

    Notes
    -----
    Independent of how the path is parameterized (as long as it runs the same way).
    For :math:`F = \nabla f` it equals :math:`f(r(b)) - f(r(a))` (section 8.2).
    Section 8.1.
    """
    F, r = as_callable(F, "F"), as_callable(r, "r")
    if dr is not None:
        as_callable(dr, "dr")
    a, b = _interval([a, b], "(a, b)")
    n = as_int(n, "n", minimum=1)
    t, w = _gauss(a, b, n)
    total = 0.0
    for tk, wk in zip(t, w):
        p = _curve_point(r, tk)
        total += wk * (_field_value(F, p) @ _velocity(r, dr, tk, p.size, h))
    return float(total)


def polyline_integral(F, points, n: int = 16) -> float:
    r"""The line integral of ``F`` along the broken line through ``points``, segment by segment.

    .. math::

       \int_C F\cdot dr = \sum_{k=0}^{m-2} \int_0^1 F\big(p_k + t(p_{k+1} - p_k)\big)\cdot(p_{k+1} - p_k)\,dt

    Parameters
    ----------
    F : callable
        Vector field ``(n,)`` to ``(n,)``.
    points : array_like of shape (m, n)
        The corners in order, **one per row**, :math:`m \ge 2`; e.g. the iterates of
        gradient descent.
    n : int
        Gauss–Legendre nodes per segment.

    Returns
    -------
    float

    Notes
    -----
    Each segment is integrated separately, so the corners cost no accuracy. Section 8.2:
    for :math:`F = \nabla L` this is :math:`L(p_{m-1}) - L(p_0)`, so the decrease of a loss
    along an optimization path is minus this integral.
    """
    F = as_callable(F, "F")
    pts = as_matrix(points, "points")
    if pts.shape[0] < 2:
        raise ValueError(f"points must hold at least 2 points (one per row) to make a path, got {pts.shape[0]}")
    n = as_int(n, "n", minimum=1)
    t, w = _gauss(0.0, 1.0, n)
    total = 0.0
    for p, q in zip(pts[:-1], pts[1:]):
        d = q - p
        total += sum(wk * (_field_value(F, p + tk * d) @ d) for tk, wk in zip(t, w))
    return float(total)


def circulation(F, r, a: float = 0.0, b: float = 2 * np.pi, n: int = 64, dr=None, h=None) -> float:
    r"""The circulation :math:`\oint_C F\cdot dr` around a closed curve ``r`` on ``[a, b]``.

    :func:`line_integral` on a curve with :math:`r(a) = r(b)`. The default interval
    :math:`[0, 2\pi]` suits ``r(t) = (cos t, sin t)``, which runs counterclockwise: the
    positive orientation of Green's theorem. Raises if the curve is not closed.
    Sections 8.1, 9.1, 9.2.
    """
    r = as_callable(r, "r")
    a, b = _interval([a, b], "(a, b)")
    ra, rb = _curve_point(r, a), _curve_point(r, b)
    if ra.shape != rb.shape or np.linalg.norm(ra - rb) > 1e-9 * max(1.0, np.linalg.norm(ra)):
        raise ValueError(f"r(a) = {_where(ra)} and r(b) = {_where(rb)} differ: the curve is not "
                         "closed on [a, b]; use line_integral for an open path")
    return line_integral(F, r, dr=dr, a=a, b=b, n=n, h=h)


def _surface_frame(S, u: float, v: float, h):
    """The point S(u, v) and the normal S_u x S_v."""
    p = np.asarray(S(u, v), dtype=float)
    if p.shape != (3,):
        raise ValueError(f"S(u, v) must return a point in 3-D, shape (3,), got {p.shape}")
    if not np.all(np.isfinite(p)):
        raise ValueError(f"S(u, v) is not finite at (u, v) = ({u}, {v})")
    J = derivatives.jacobian(lambda q: S(q[0], q[1]), np.array([u, v]), h=h)  # columns S_u, S_v
    return p, np.cross(J[:, 0], J[:, 1])


def flux(F, S, u_lim, v_lim, n: int = 32, normal=None, h=None) -> float:
    r"""The flux :math:`\iint_S F\cdot dS = \iint F(S(u,v))\cdot(S_u \times S_v)\,du\,dv` through a surface.

    Parameters
    ----------
    F : callable
        Vector field ``(3,)`` to ``(3,)``.
    S : callable
        The surface, ``S(u, v)`` of shape ``(3,)``.
    u_lim, v_lim : pair of float
        The parameter rectangle ``(u0, u1)``, ``(v0, v1)``.
    n : int
        Gauss–Legendre nodes per parameter (``n**2`` in all).
    normal : callable, optional
        ``normal(u, v)`` returning :math:`S_u \times S_v` exactly; if ``None`` it is
        computed from central differences of ``S``.
    h : float, optional
        Step of those differences.

    Returns
    -------
    float

    Notes
    -----
    **Orientation:** the flux counts positively where ``F`` points along
    :math:`S_u\times S_v`; swapping ``u`` and ``v`` flips the sign. For the sphere
    parameterized by (polar angle, azimuth) this normal points outward (module
    docstring). Sections 9.2, 9.3.
    """
    F, S = as_callable(F, "F"), as_callable(S, "S")
    if normal is not None:
        as_callable(normal, "normal")
    (u0, u1), (v0, v1) = _interval(u_lim, "u_lim"), _interval(v_lim, "v_lim")
    n = as_int(n, "n", minimum=1)
    us, wu = _gauss(u0, u1, n)
    vs, wv = _gauss(v0, v1, n)
    total = 0.0
    for u, a in zip(us, wu):
        for v, c in zip(vs, wv):
            p, N = _surface_frame(S, u, v, h)
            if normal is not None:
                N = np.asarray(normal(u, v), dtype=float)
                if N.shape != (3,):
                    raise ValueError(f"normal(u, v) must have shape (3,), got {N.shape}")
            total += a * c * (_field_value(F, p) @ N)
    return float(total)


# --- the theorems, both sides (9.1, 9.2, 9.3) -------------------------------------------

class TheoremCheck(NamedTuple):
    """Both sides of Green's, Stokes' or the divergence theorem, which should be equal.

    ``boundary`` is the integral over the boundary (a circulation or an outward flux),
    ``region`` the integral over the inside (of the curl or of the divergence). Unpack it
    as ``boundary, region = green_check(...)``.
    """

    boundary: float
    region: float

    @property
    def difference(self) -> float:
        """``boundary - region``: zero up to quadrature and differencing error."""
        return self.boundary - self.region


TheoremCheck.boundary.__doc__ = "The integral over the boundary: a circulation or an outward flux."
TheoremCheck.region.__doc__ = "The integral over the inside: of the curl or of the divergence."


def green_check(F, box, n: int = 32, h=None) -> TheoremCheck:
    r"""Both sides of Green's theorem on a rectangle :math:`R = [x_0,x_1]\times[y_0,y_1]`.

    .. math::

       \oint_{\partial R} M\,dx + N\,dy
       = \iint_R \Big(\frac{\partial N}{\partial x} - \frac{\partial M}{\partial y}\Big)\,dA,

    with the boundary traversed counterclockwise (the region on the left).

    Parameters
    ----------
    F : callable
        2-D field :math:`(M, N)`, ``(2,)`` to ``(2,)``.
    box : array_like of shape (2, 2)
        ``[(x0, x1), (y0, y1)]``.
    n : int
        Gauss–Legendre nodes per side and per direction.
    h : float, optional
        Central-difference step for the curl.

    Returns
    -------
    TheoremCheck
        ``boundary`` = the circulation, ``region`` = the double integral of the curl.

    Notes
    -----
    Section 9.1.
    """
    F = as_callable(F, "F")
    (x0, x1), (y0, y1) = _box(box, 2)
    n = as_int(n, "n", minimum=1)
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
    boundary = 0.0
    for p, q in zip(corners[:-1], corners[1:]):
        p, q = np.array(p), np.array(q)
        boundary += line_integral(F, lambda t, p=p, q=q: p + t * (q - p), lambda t, p=p, q=q: q - p,
                                  0.0, 1.0, n)
    xs, wx = _gauss(x0, x1, n)
    ys, wy = _gauss(y0, y1, n)
    region = sum(a * c * curl(F, np.array([x, y]), h=h) for x, a in zip(xs, wx) for y, c in zip(ys, wy))
    return TheoremCheck(float(boundary), float(region))


def stokes_check(F, S, u_lim, v_lim, boundary=None, t_lim=(0.0, 2 * np.pi), n: int = 32,
                 h=None) -> TheoremCheck:
    r"""Both sides of Stokes' theorem, :math:`\oint_{\partial S} F\cdot dr = \iint_S (\nabla\times F)\cdot dS`.

    Parameters
    ----------
    F : callable
        3-D field ``(3,)`` to ``(3,)``.
    S : callable
        The surface ``S(u, v)``, ``(3,)``, oriented by :math:`S_u \times S_v`.
    u_lim, v_lim : pair of float
        The parameter rectangle.
    boundary : callable, optional
        The boundary curve ``r(t)`` for ``t`` in ``t_lim``, which must run the way the
        right-hand rule demands (surface on the left, head along :math:`S_u\times S_v`);
        the wrong direction flips the sign of ``boundary`` in the result. If ``None``, the
        boundary is the image of the counterclockwise boundary of the parameter
        rectangle, which has the right orientation automatically; edges that collapse to
        a point (a pole) contribute nothing and seams traversed twice cancel.
    t_lim : pair of float
        Parameter interval of ``boundary``.
    n : int
        Gauss–Legendre nodes per direction.
    h : float, optional
        Central-difference step.

    Returns
    -------
    TheoremCheck
        ``boundary`` = the circulation, ``region`` = the flux of the curl through ``S``.

    Notes
    -----
    Every surface with the same oriented boundary has the same flux of the curl (the
    hemisphere and the paraboloid cap over the unit circle, say). Section 9.2.
    """
    F, S = as_callable(F, "F"), as_callable(S, "S")
    (u0, u1), (v0, v1) = _interval(u_lim, "u_lim"), _interval(v_lim, "v_lim")
    n = as_int(n, "n", minimum=1)
    region = flux(lambda p: curl(F, p, h=h), S, (u0, u1), (v0, v1), n=n, h=h)
    if boundary is not None:
        a, b = _interval(t_lim, "t_lim")
        circ = line_integral(F, as_callable(boundary, "boundary"), None, a, b, n=n, h=h)
    else:
        corners = [(u0, v0), (u1, v0), (u1, v1), (u0, v1), (u0, v0)]
        circ = 0.0
        for (ua, va), (ub, vb) in zip(corners[:-1], corners[1:]):
            edge = lambda t, ua=ua, va=va, ub=ub, vb=vb: np.asarray(  # noqa: E731
                S(ua + t * (ub - ua), va + t * (vb - va)), dtype=float)
            circ += line_integral(F, edge, None, 0.0, 1.0, n=n, h=h)
    return TheoremCheck(float(circ), float(region))


def divergence_check(F, box=None, ball=None, n: int = 12, h=None, div=None) -> TheoremCheck:
    r"""Both sides of the divergence theorem, :math:`\iint_{\partial V} F\cdot dS = \iiint_V \nabla\cdot F\,dV`.

    Parameters
    ----------
    F : callable
        3-D field ``(3,)`` to ``(3,)``.
    box : array_like of shape (3, 2), optional
        ``V`` a box ``[(x0, x1), (y0, y1), (z0, z1)]``: the flux is the sum over the six
        faces with outward normals :math:`\pm e_k`.
    ball : tuple (center, radius), optional
        Or ``V`` a ball: the flux through the sphere with the outward normal, the volume
        integral in spherical coordinates (:math:`dV = \rho^2\sin\theta\,d\rho\,d\theta\,d\varphi`).
    n : int
        Gauss–Legendre nodes per direction (``n**3`` divergence evaluations); for the
        ball, ``n`` nodes in :math:`\rho` and :math:`\theta` and ``2n`` equally spaced
        azimuths (the trapezoidal rule, exact for periodic trigonometric polynomials).
    h : float, optional
        Central-difference step for the divergence.
    div : callable, optional
        The divergence in closed form, ``div(p)`` for a point ``(3,)`` and, vectorized,
        for all the nodes at once ``(3, m)`` returning ``(m,)``. Then the volume integral
        uses it instead of central differences of ``F``: exact to rounding, and ~100
        times faster (the check is then of the theorem *and* of the formula: a wrong
        ``div`` makes the two sides differ). Default: central differences.

    Returns
    -------
    TheoremCheck
        ``boundary`` = the outward flux, ``region`` = the volume integral of the divergence.

    Notes
    -----
    Section 9.3.
    """
    F = as_callable(F, "F")
    if (box is None) == (ball is None):
        raise ValueError("pass exactly one of box=[(x0, x1), (y0, y1), (z0, z1)] or ball=(center, radius)")
    n = as_int(n, "n", minimum=1)
    if div is None:
        div_at = lambda P: np.array([divergence(F, p, h=h) for p in P.T])  # noqa: E731
    else:
        if h is not None:
            raise ValueError("h is the step of the central differences; with div given there are none")
        div_at = _closed_form_divergence(as_callable(div, "div"))
    if box is not None:
        B = _box(box, 3)
        nodes = [_gauss(lo, hi, n) for lo, hi in B]
        outward = 0.0
        for k in range(3):  # the faces x_k = low (normal -e_k) and x_k = high (normal +e_k)
            i, j = [m for m in range(3) if m != k]
            for si, wi in zip(*nodes[i]):
                for sj, wj in zip(*nodes[j]):
                    for side, sign in ((B[k, 1], 1.0), (B[k, 0], -1.0)):
                        p = np.empty(3)
                        p[[i, j, k]] = si, sj, side
                        outward += sign * wi * wj * _field_value(F, p)[k]
        X, Y, Z = np.meshgrid(nodes[0][0], nodes[1][0], nodes[2][0], indexing="ij")
        W = np.einsum("i,j,k->ijk", nodes[0][1], nodes[1][1], nodes[2][1])
        region = float(W.ravel() @ div_at(np.stack([X.ravel(), Y.ravel(), Z.ravel()])))
        return TheoremCheck(float(outward), float(region))
    try:
        center, radius = ball
    except (TypeError, ValueError):
        raise ValueError("ball must be a pair (center, radius), e.g. ball=((0, 0, 0), 1.0)") from None
    c = as_vector(center, "center")
    if c.shape != (3,):
        raise ValueError(f"the center of the ball must be a 3-D point, got shape {c.shape}")
    R = float(radius)
    if not (np.isfinite(R) and R > 0):
        raise ValueError(f"the radius of the ball must be > 0, got {radius!r}")

    def sphere(rho, th, ph):
        return c + rho * np.array([np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph), np.cos(th)])

    ths, wth = _gauss(0.0, np.pi, n)
    # the azimuth is periodic: the trapezoidal rule (equal weights) is exact for trigonometric
    # polynomials of degree < 2n, better than Gauss-Legendre there
    phs, wph = 2 * np.pi * np.arange(2 * n) / (2 * n), np.full(2 * n, np.pi / n)
    rhos, wrho = _gauss(0.0, R, n)
    outward = 0.0
    for th, a in zip(ths, wth):
        for ph, b in zip(phs, wph):
            unit = sphere(1.0, th, ph) - c
            # S_theta x S_phi = R^2 sin(theta) * outward unit normal
            outward += a * b * R**2 * np.sin(th) * (_field_value(F, c + R * unit) @ unit)
    TH, PH, RHO = np.meshgrid(ths, phs, rhos, indexing="ij")
    W = np.einsum("i,j,k->ijk", wth, wph, wrho) * RHO**2 * np.sin(TH)
    P = c[:, None] + RHO.ravel() * np.stack([np.sin(TH) * np.cos(PH), np.sin(TH) * np.sin(PH),
                                             np.cos(TH)]).reshape(3, -1)
    region = float(W.ravel() @ div_at(P))
    return TheoremCheck(float(outward), float(region))


def _closed_form_divergence(div):
    """``div`` applied to all nodes ``(3, m)`` at once, checked against one point at a time."""
    def at(P):
        vals = np.asarray(div(P.copy()), dtype=float)
        if vals.shape != (P.shape[1],):
            raise ValueError(f"div must accept the nodes as one array (3, m) and return (m,) values; "
                             f"for (3, {P.shape[1]}) it returned shape {vals.shape}")
        if not np.all(np.isfinite(vals)):
            raise ValueError("div is not finite at some node inside the region")
        for j in (0, P.shape[1] // 2, P.shape[1] - 1):        # vectorized = pointwise
            one = np.asarray(div(P[:, j].copy()), dtype=float)
            if one.size != 1 or not np.isclose(float(one.reshape(())), vals[j], rtol=1e-12, atol=1e-12):
                raise ValueError(f"div on the array of nodes gives {vals[j]!r} at node {_where(P[:, j])}, "
                                 f"div at that point alone {one!r}: div must work coordinate-wise on (3, m)")
        return vals
    return at


# --- Hutchinson's trace estimator (9.3) -------------------------------------------------

class HutchinsonEstimate(NamedTuple):
    """What :func:`hutchinson_trace` returns: ``(estimate, stderr, samples)``."""

    estimate: float
    stderr: float
    samples: np.ndarray


HutchinsonEstimate.estimate.__doc__ = r"The mean of the samples :math:`z_k^{\mathsf T} A z_k`."
HutchinsonEstimate.stderr.__doc__ = r"Its standard error: sample standard deviation / :math:`\sqrt{n}`."
HutchinsonEstimate.samples.__doc__ = r"The individual :math:`z_k^{\mathsf T} A z_k`, shape ``(n,)``."


def hutchinson_trace(A, n: int, dim=None, rng=None, dist: str = "rademacher") -> HutchinsonEstimate:
    r"""Hutchinson's unbiased estimate of :math:`\operatorname{tr}A` from products :math:`Az`.

    .. math::

       \operatorname{tr} A = \mathbb E\big[z^{\mathsf T} A z\big] \approx \frac1n\sum_{k=1}^n z_k^{\mathsf T} A z_k
       \quad\text{for random } z \text{ with } \mathbb E[z z^{\mathsf T}] = I.

    Parameters
    ----------
    A : array_like of shape (d, d), or callable
        The matrix, or a function ``matvec(z)`` returning :math:`Az` (``(d,)``) — e.g. a
        Jacobian-vector product, so the Jacobian is never formed.
    n : int
        Number of probe vectors, at least 2 (the standard error needs two).
    dim : int, optional
        ``d``; required when ``A`` is a function.
    rng : numpy.random.Generator or int, optional
        Source of the probes; default seed 0.
    dist : {"rademacher", "gaussian"}
        Entries :math:`\pm1` with probability 1/2 each (variance
        :math:`2\sum_{i\ne j}\hat A_{ij}^2`, the smallest possible), or standard normal
        (variance :math:`2\lVert\hat A\rVert_F^2`), where :math:`\hat A = (A + A^{\mathsf T})/2`.

    Returns
    -------
    HutchinsonEstimate
        ``(estimate, stderr, samples)``; the error shrinks like :math:`1/\sqrt n`.

    Notes
    -----
    Section 9.3: the divergence of a field is the trace of its Jacobian, and continuous
    normalizing flows need :math:`\frac{d}{dt}\log p = -\nabla\cdot v` in high dimension,
    where one Jacobian-vector product per probe is affordable and the full Jacobian is not.
    """
    n = as_int(n, "n", minimum=2)
    if dist not in ("rademacher", "gaussian"):
        raise ValueError(f"dist must be 'rademacher' or 'gaussian', got {dist!r}")
    rng = as_rng(rng)
    if callable(A):
        if dim is None:
            raise ValueError("dim is required when A is a function (matvec): pass dim=d, the length of z")
        d = as_int(dim, "dim", minimum=1)
        matvec = A
    else:
        M = as_matrix(A, "A")
        if M.shape[0] != M.shape[1]:
            raise ValueError(f"A must be square to have a trace, got shape {M.shape}")
        d = M.shape[0]
        if dim is not None and as_int(dim, "dim") != d:
            raise ValueError(f"dim={dim} does not match A of shape {M.shape}")
        matvec = M.__matmul__
    if dist == "rademacher":
        Z = rng.choice([-1.0, 1.0], size=(n, d))
    else:
        Z = rng.standard_normal((n, d))
    samples = np.empty(n)
    for k, z in enumerate(Z):
        Az = np.asarray(matvec(z.copy()), dtype=float)
        if Az.shape != (d,):
            raise ValueError(f"matvec(z) must return shape ({d},), got {Az.shape}")
        if not np.all(np.isfinite(Az)):
            raise ValueError("matvec(z) returned non-finite values")
        samples[k] = z @ Az  # z^T A z
    return HutchinsonEstimate(float(samples.mean()), float(samples.std(ddof=1) / np.sqrt(n)), samples)


# --- Green's theorem for areas (9.1) ----------------------------------------------------

def polygon_area(vertices, signed: bool = False) -> float:
    r"""The area of a simple polygon by the shoelace formula (Green's theorem).

    .. math::

       A = \tfrac12\oint (x\,dy - y\,dx) = \tfrac12\sum_{i=0}^{m-1} (x_i y_{i+1} - x_{i+1} y_i),
       \qquad (x_m, y_m) = (x_0, y_0).

    Parameters
    ----------
    vertices : array_like of shape (m, 2)
        The corners in order, one per row, :math:`m \ge 3` (do not repeat the first; a
        repeated one adds a zero term and is harmless).
    signed : bool
        If ``True``, return the signed area: positive when the vertices run
        counterclockwise, negative when clockwise.

    Returns
    -------
    float

    Notes
    -----
    Exact for straight edges: on the edge from :math:`p_i` to :math:`p_{i+1}`,
    :math:`\tfrac12\int (x\,dy - y\,dx) = \tfrac12(x_i y_{i+1} - x_{i+1} y_i)`. For a
    self-intersecting polygon the result counts each region by its winding number.
    Section 9.1.
    """
    V = as_matrix(vertices, "vertices")
    if V.shape[1] != 2:
        raise ValueError(f"vertices must be one (x, y) row per corner, shape (m, 2), got {V.shape}")
    if V.shape[0] < 3:
        raise ValueError(f"a polygon needs at least 3 vertices, got {V.shape[0]}")
    # shifting to the first vertex changes nothing and avoids cancellation far from 0
    x, y = (V - V[0]).T
    xn, yn = np.roll(x, -1), np.roll(y, -1)
    A = 0.5 * float(np.sum(x * yn - xn * y))
    return A if signed else abs(A)
