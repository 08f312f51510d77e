r"""Double and triple integrals, Monte Carlo, and change of variables.

Chapter 6 (sections 6.1, 6.2).

**Calling convention.** An integrand of ``d`` variables is called once, with ``d``
arrays of the same shape holding the coordinates of every node: ``f(X, Y)`` in 2-D,
``f(X, Y, Z)`` in 3-D. It must work elementwise and return an array of that shape (a
plain number is broadcast, so ``lambda x, y: 1.0`` integrates to the area). Write it
with numpy: ``np.exp(-(x**2 + y**2))``, ``np.where(x > 0, x, 0)``; ``math.exp`` and
``if`` on an array fail, and the error says so. Maps ``T(u, v)`` return their outputs
as a tuple ``(x, y)`` of such arrays.

**Rules.** ``n`` is the number of subintervals per axis (an int, or one int per axis).
The midpoint rule evaluates ``f`` at the centre of each cell and has error
:math:`O(h^2) = O(n^{-2})`; Simpson's rule evaluates the ``n + 1`` grid points with
weights :math:`\tfrac h3(1, 4, 2, 4, \dots, 4, 1)` and has error :math:`O(n^{-4})`, for
even ``n``. In several variables the rule is applied along each axis (a tensor rule),
so these orders carry over for smooth integrands.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import as_int, as_matrix, as_rng, as_vector

__all__ = [
    "rule_nodes", "double_integral", "triple_integral", "double_integral_region",
    "triple_integral_region", "monte_carlo", "MonteCarloResult", "polar_integral",
    "integrate_mapped", "transformed_density", "gaussian_density_2d",
    "probability_of_region",
]

RULES = ("midpoint", "simpson")
#: The largest number of integrand evaluations a grid rule will make (about 160 MB per array).
MAX_NODES = 20_000_000


# --------------------------------------------------------------------------------------
# one axis
# --------------------------------------------------------------------------------------

def rule_nodes(a: float, b: float, n: int, rule: str = "midpoint"):
    r"""Nodes and weights of a one-dimensional rule on [a, b] with ``n`` subintervals.

    With :math:`h = (b - a)/n`:

    * ``"midpoint"``: nodes :math:`a + (i + \tfrac12)h`, :math:`i = 0..n-1`, all weights
      :math:`h`; ``n`` values.
    * ``"simpson"``: nodes :math:`a + ih`, :math:`i = 0..n`, weights
      :math:`\tfrac h3\,(1, 4, 2, 4, \dots, 2, 4, 1)`; ``n + 1`` values, ``n`` even.

    :math:`\int_a^b g \approx \sum_i w_i\, g(x_i)`. Returns ``(nodes, weights)``.
    Section 6.1.
    """
    rule = _check_rule(rule)
    a, b = _check_interval(a, b, "a", "b")
    n = _check_n(n, rule, "n")
    return _rule(a, b, n, rule)


def _rule(a: float, b: float, n: int, rule: str):
    h = (b - a) / n
    if rule == "midpoint":
        return a + (np.arange(n) + 0.5) * h, np.full(n, h)
    w = np.ones(n + 1)
    w[1:-1:2], w[2:-1:2] = 4.0, 2.0
    return a + np.arange(n + 1) * h, w * (h / 3.0)


# --------------------------------------------------------------------------------------
# grids: rectangles, boxes, and regions between bound functions
# --------------------------------------------------------------------------------------

def double_integral(f, a: float, b: float, c: float, d: float, n=100,
                    rule: str = "midpoint") -> float:
    r""":math:`\iint_R f\,dA = \int_a^b\!\int_c^d f(x, y)\,dy\,dx` over the rectangle :math:`[a,b]\times[c,d]`.

    Parameters
    ----------
    f : callable
        ``f(X, Y)`` on arrays of node coordinates (see the module notes), elementwise.
    a, b, c, d : float
        Finite limits with ``a < b`` and ``c < d``. For an integral over the whole
        plane, truncate where ``f`` is negligible (a Gaussian beyond 12 standard
        deviations is below :math:`e^{-72}`) or use :func:`polar_integral`.
    n : int or (int, int)
        Subintervals per axis, the same for both or ``(n_x, n_y)``.
    rule : {"midpoint", "simpson"}
        Midpoint: :math:`\sum_{i,j} f(x_i, y_j)\,h_x h_y` at the cell centres, error
        :math:`O(n^{-2})`. Simpson (``n`` even): error :math:`O(n^{-4})`, exact for
        polynomials of degree up to 3 in each variable.

    Returns
    -------
    float

    Section 6.1.
    """
    rule = _check_rule(rule)
    limits = [_interval(a, b, "a", "b"), _interval(c, d, "c", "d")]
    return _iterated(_integrand(f, "f", ("x", "y")), limits, _check_ns(n, 2, rule), rule)


def triple_integral(f, box, n=40, rule: str = "midpoint") -> float:
    r""":math:`\iiint_B f\,dV` over the box ``box = [(a, b), (c, d), (e, g)]``.

    ``f(X, Y, Z)`` is called on arrays of node coordinates; ``n`` is an int or one int per
    axis; the rules and their error orders are those of :func:`double_integral`. The
    number of evaluations grows like :math:`n^3`: 40 per axis is already 64 000 points.
    Section 6.1.
    """
    rule = _check_rule(rule)
    limits = _box(box, 3)
    return _iterated(_integrand(f, "f", ("x", "y", "z")), limits, _check_ns(n, 3, rule), rule)


def double_integral_region(f, a: float, b: float, g1, g2, n=100,
                           rule: str = "midpoint") -> float:
    r""":math:`\iint_D f\,dA = \int_a^b \int_{g_1(x)}^{g_2(x)} f(x, y)\,dy\,dx`.

    The region :math:`D = \{a \le x \le b,\ g_1(x) \le y \le g_2(x)\}` lies between two
    curves. ``g1`` and ``g2`` are functions of ``x`` (called on arrays, like ``f``) or
    numbers; :math:`g_1 \le g_2` is required on [a, b]. For each outer node
    :math:`x_i` the inner interval is mapped to [0, 1] by
    :math:`y = g_1 + t\,(g_2 - g_1)`, :math:`dy = (g_2 - g_1)\,dt`, so both rules keep their
    order when ``f``, ``g1``, ``g2`` are smooth. (Boundaries with a vertical tangent,
    like :math:`\sqrt{1 - x^2}` for a disk, are not smooth at the ends: convergence there
    is slower, about :math:`n^{-3/2}`.) ``n`` is an int or ``(n_x, n_y)``.

    Examples: the triangle :math:`0 \le y \le x \le 1` is ``(0, 1, 0, lambda x: x)``;
    the unit disk is ``(-1, 1, lambda x: -np.sqrt(1 - x**2), lambda x: np.sqrt(1 - x**2))``.
    Section 6.1.
    """
    rule = _check_rule(rule)
    limits = [_interval(a, b, "a", "b"), (_bound(g1, "g1", ("x",)), _bound(g2, "g2", ("x",)))]
    return _iterated(_integrand(f, "f", ("x", "y")), limits, _check_ns(n, 2, rule), rule)


def triple_integral_region(f, a: float, b: float, g1, g2, h1, h2, n=40,
                           rule: str = "midpoint") -> float:
    r""":math:`\int_a^b \int_{g_1(x)}^{g_2(x)} \int_{h_1(x,y)}^{h_2(x,y)} f(x, y, z)\,dz\,dy\,dx`.

    The three-dimensional analogue of :func:`double_integral_region`: ``g1, g2`` are
    functions of ``x``, ``h1, h2`` functions of ``(x, y)``, or numbers. Example: the
    tetrahedron :math:`x, y, z \ge 0,\ x + y + z \le 1` is
    ``(0, 1, 0, lambda x: 1 - x, 0, lambda x, y: 1 - x - y)``. Section 6.1.
    """
    rule = _check_rule(rule)
    limits = [_interval(a, b, "a", "b"),
              (_bound(g1, "g1", ("x",)), _bound(g2, "g2", ("x",))),
              (_bound(h1, "h1", ("x", "y")), _bound(h2, "h2", ("x", "y")))]
    return _iterated(_integrand(f, "f", ("x", "y", "z")), limits, _check_ns(n, 3, rule), rule)


def _iterated(integrand, limits, ns, rule) -> float:
    """Iterated tensor rule: axis k runs over [lo_k(previous coords), hi_k(previous coords)]."""
    total = int(np.prod([k + (rule == "simpson") for k in ns]))
    if total > MAX_NODES:
        raise ValueError(
            f"n = {tuple(ns)} needs {total:,} evaluations of the integrand (limit {MAX_NODES:,}); "
            "use a smaller n, Simpson's rule (far more accurate per point), or monte_carlo"
        )
    coords: list[np.ndarray] = []  # every array has the shape of `weight`
    weight = np.ones(())
    for (lo, hi), n in zip(limits, ns):
        t, w = _rule(0.0, 1.0, n, rule)
        shape = weight.shape
        lo_v, hi_v = lo(coords, shape), hi(coords, shape)
        bad = np.argwhere(hi_v < lo_v)
        if bad.size:
            where = ", ".join(f"{nm}={c[tuple(bad[0])]:.6g}" for nm, c in zip("xyz", coords))
            raise ValueError(
                f"the upper bound is below the lower bound at {where} "
                f"({hi_v[tuple(bad[0])]:.6g} < {lo_v[tuple(bad[0])]:.6g}); the region needs "
                "lower <= upper everywhere: swap the bounds or split the region"
            )
        # y = lo + t (hi - lo), dy = (hi - lo) dt: the inner rule on [0, 1] scaled
        width = (hi_v - lo_v)[..., None]
        new_shape = shape + (t.size,)
        coords = [np.broadcast_to(c[..., None], new_shape) for c in coords]
        coords.append(lo_v[..., None] + width * t)
        weight = weight[..., None] * (width * w)
    return float(np.sum(integrand(coords) * weight))


def _check_interval(a, b, name_a: str, name_b: str):
    a, b = _scalar(a, name_a), _scalar(b, name_b)
    if not a < b:
        raise ValueError(f"the interval [{name_a}, {name_b}] = [{a:g}, {b:g}] needs {name_a} < {name_b}")
    return a, b


def _interval(a, b, name_a: str, name_b: str):
    """Constant limits (lower, upper) for :func:`_iterated`."""
    a, b = _check_interval(a, b, name_a, name_b)
    return (lambda coords, shape: np.full(shape, a)), (lambda coords, shape: np.full(shape, b))


def _box(box, d: int | None = None):
    """Limits for a box given as pairs (lower, upper); ``d`` pairs, or 2 or 3 if ``d`` is None."""
    B = as_matrix(box, "box")
    dims = (d,) if d is not None else (2, 3)
    if B.shape[1] != 2 or B.shape[0] not in dims:
        raise ValueError(
            f"box must be {' or '.join(map(str, dims))} pairs (lower, upper), one per axis, "
            f"e.g. {[(0, 1)] * dims[0]}; got an array of shape {B.shape}"
        )
    d = B.shape[0]
    names = "xyz" if d <= 3 else [f"x{k}" for k in range(1, d + 1)]
    return [_interval(lo, hi, f"{nm}_min", f"{nm}_max") for (lo, hi), nm in zip(B, names)]


def _bound(g, name: str, args):
    """A region bound: a number, or a function of the previous coordinates."""
    if not callable(g):
        v = _scalar(g, name)
        return lambda coords, shape: np.full(shape, v)
    return lambda coords, shape, ev=_integrand(g, name, args): ev(coords)


def _scalar(v, name: str) -> float:
    if isinstance(v, bool) or np.ndim(v) != 0:
        raise TypeError(f"{name} must be a single number, got {v!r}")
    try:
        v = float(v)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {v!r}") from None
    if not np.isfinite(v):
        raise ValueError(
            f"{name} = {v} is not finite; grid rules need finite limits: truncate where the "
            "integrand is negligible (a Gaussian beyond 12 standard deviations is below e^-72), "
            "or use polar_integral or monte_carlo with a sampler"
        )
    return v


def _check_rule(rule) -> str:
    if rule not in RULES:
        raise ValueError(f"rule must be 'midpoint' or 'simpson', got {rule!r}")
    return rule


def _check_n(n, rule: str, name: str) -> int:
    n = as_int(n, name, minimum=2 if rule == "simpson" else 1)
    if rule == "simpson" and n % 2:
        raise ValueError(
            f"Simpson's rule works on pairs of subintervals, so {name} must be even, got {n}; "
            f"use {name}={n + 1}"
        )
    return n


def _check_ns(n, d: int, rule: str) -> list[int]:
    if isinstance(n, (tuple, list, np.ndarray)):
        if len(n) != d:
            raise ValueError(f"n must be one int or {d} ints (one per axis), got {n!r}")
        return [_check_n(k, rule, f"n[{i}]") for i, k in enumerate(n)]
    return [_check_n(n, rule, "n")] * d


def _integrand(f, name: str, args):
    """Wrap ``f`` so that it is called on coordinate arrays and checked: shape, real, finite."""
    if not callable(f):
        raise TypeError(
            f"{name} must be a function of {', '.join(args)} "
            f"(e.g. lambda {', '.join(args)}: ...), got {type(f).__name__}"
        )

    def evaluate(coords):
        shape = coords[0].shape if coords else ()
        out = _call(f, name, args, coords)
        if np.ndim(out) == 0 and int(np.prod(shape)) > 1 and np.isrealobj(out):
            # one number for many points: a constant is fine, a sum over the points is not
            whole, one = float(out), float(_at_first_point(f, coords))
            if not np.isclose(whole, one, rtol=1e-12, atol=0, equal_nan=True):
                raise ValueError(
                    f"{name} returned the single number {whole:.6g} for arrays of shape {shape}, "
                    f"but {one:.6g} at the first point alone: it must work elementwise "
                    "(no np.sum, np.dot, np.mean or max over the inputs)"
                )
        return _values(out, shape, name, args, coords)

    return evaluate


def _at_first_point(f, coords):
    return f(*(float(c.flat[0]) for c in coords))


def _call(f, name: str, args, coords):
    """``f(*coords)``; if it fails on arrays but works on numbers, say how to vectorize it."""
    try:
        return f(*coords)
    except (TypeError, ValueError) as exc:
        try:
            _at_first_point(f, coords)
        except Exception:
            raise exc from None  # f fails on numbers too: its own error is the useful one
        raise TypeError(
            f"{name} must work on whole arrays: it is called once as "
            f"{name}({', '.join(a.upper() for a in args)}) with arrays of shape "
            f"{coords[0].shape} holding every point, and it failed with: {exc}. Use numpy "
            "functions (np.exp, np.sin, np.where(x > 0, a, b)) instead of math.* and if/else, "
            f"or wrap a scalar-only function as np.vectorize({name}) (slower)"
        ) from exc


_EDGE_HINT = ("Simpson's rule evaluates the edges of the domain and the midpoint rule does not: "
              "for an integrable singularity on an edge use rule='midpoint' (it converges slowly)")


def _values(out, shape, name, args, coords, hint: str = _EDGE_HINT) -> np.ndarray:
    out = np.asarray(out)
    if np.iscomplexobj(out):
        raise TypeError(f"{name} returned complex values; integrate the real and imaginary parts separately")
    try:
        out = np.broadcast_to(out.astype(float), shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} returned an array of shape {out.shape} for inputs of shape {shape}; it must "
            "return one value per point (elementwise operations only: no sums, dot products "
            "or matrix products over the inputs)"
        ) from None
    bad = ~np.isfinite(out)
    if bad.any():
        i = tuple(np.argwhere(bad)[0])
        where = ", ".join(f"{a}={c[i]:.6g}" for a, c in zip(args, coords))
        raise ValueError(
            f"{name} is not finite ({out[i]}) at {where}; every point needs a finite value. " + hint
        )
    return out


# --------------------------------------------------------------------------------------
# Monte Carlo
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MonteCarloResult:
    r"""A Monte Carlo estimate with its standard error.

    ``value`` estimates the integral (or the expectation); ``stderr`` is the estimated
    standard deviation of ``value`` itself, :math:`s/\sqrt n` times the volume, so
    about 95 % of seeds give a ``value`` within ``1.96 * stderr`` of the truth. ``n`` is
    the number of samples.
    """

    value: float
    stderr: float
    n: int

    def interval(self, z: float = 1.96):
        """The confidence interval ``(value - z*stderr, value + z*stderr)``."""
        return self.value - z * self.stderr, self.value + z * self.stderr


def monte_carlo(f, box=None, n: int = 100_000, rng=None, sampler=None) -> MonteCarloResult:
    r"""Monte Carlo integration over a box, or an expectation under a sampler.

    * ``box=[(a, b), (c, d), ...]``: :math:`\int_B f \approx \mathrm{vol}(B)\,\frac1n\sum_k
      f(x_k)` with :math:`x_k` uniform in ``B``.
    * ``sampler=callable``: :math:`E[f(X)] \approx \frac1n\sum_k f(x_k)` with
      ``sampler(rng, n)`` returning ``n`` draws of ``X`` as an array ``(n, d)`` (or
      ``(n,)`` when ``d = 1``). With an indicator ``f`` this is a probability
      :math:`P(X \in D)`.

    ``f(x1, ..., xd)`` is called on 1-D arrays of sample coordinates (the same convention
    as :func:`double_integral`). The standard error is
    :math:`\mathrm{vol}\cdot s/\sqrt n` with :math:`s` the sample standard deviation of
    the values: it shrinks like :math:`1/\sqrt n` whatever the dimension, while a grid
    rule's error in ``d`` dimensions shrinks like :math:`N^{-2/d}` for ``N`` midpoint
    points. ``rng`` is a seed or a ``numpy.random.Generator`` (``None``: seed 0).
    Samples are drawn in batches of at most a million, so large ``n`` fits in memory.
    Returns a :class:`MonteCarloResult` ``(value, stderr, n)``. Section 6.1.
    """
    if (box is None) == (sampler is None):
        raise ValueError("pass exactly one of box=[(a, b), ...] (integral over a box) "
                         "or sampler=callable(rng, n) (expectation under a distribution)")
    n = as_int(n, "n", minimum=2)
    rng = as_rng(rng)
    if box is not None:
        B = as_matrix(box, "box")
        if B.shape[1] != 2 or np.any(B[:, 0] >= B[:, 1]):
            raise ValueError(f"box must be pairs (lower, upper) with lower < upper, one per axis; got {box!r}")
        lo, width = B[:, 0], B[:, 1] - B[:, 0]
        volume = float(np.prod(width))

        def draw(m):
            return lo + width * rng.random((m, B.shape[0]))
    else:
        if not callable(sampler):
            raise TypeError(f"sampler must be a function sampler(rng, n) returning (n, d) draws, got {sampler!r}")
        volume = 1.0

        def draw(m):
            x = np.asarray(sampler(rng, m), dtype=float)
            x = x[:, None] if x.ndim == 1 else x
            if x.ndim != 2 or x.shape[0] != m:
                raise ValueError(f"sampler(rng, {m}) must return an array of shape ({m}, d), got {x.shape}")
            return x

    names = ("x", "y", "z")
    count, mean, m2 = 0, 0.0, 0.0
    while count < n:
        m = min(1_000_000, n - count)
        x = draw(m)
        args = names[:x.shape[1]] if x.shape[1] <= 3 else tuple(f"x{k}" for k in range(1, x.shape[1] + 1))
        vals = _integrand(f, "f", args)(list(x.T))
        # combine the batch's mean and sum of squared deviations (Chan et al.)
        b_mean = float(vals.mean())
        b_m2 = float(np.sum((vals - b_mean) ** 2))
        delta = b_mean - mean
        total = count + m
        mean += delta * m / total
        m2 += b_m2 + delta ** 2 * count * m / total
        count = total
    std = np.sqrt(m2 / (n - 1))
    return MonteCarloResult(float(volume * mean), float(volume * std / np.sqrt(n)), n)


# --------------------------------------------------------------------------------------
# change of variables
# --------------------------------------------------------------------------------------

def polar_integral(f, r, theta=(0.0, 2 * np.pi), n=200, rule: str = "midpoint") -> float:
    r""":math:`\iint f\,dA = \int_{\theta_0}^{\theta_1}\int_{r_0}^{r_1} f(r\cos\theta, r\sin\theta)\,r\,dr\,d\theta`.

    Polar coordinates :math:`x = r\cos\theta,\ y = r\sin\theta` have
    :math:`|\det \partial(x,y)/\partial(r,\theta)| = r`: the factor ``r`` is the area
    scale of a polar cell. ``f(X, Y)`` takes Cartesian coordinates; ``r`` is the outer
    radius (the disk or sector from the origin) or a pair ``(r0, r1)`` with
    :math:`0 \le r_0 < r_1`; ``theta`` is ``(theta0, theta1)`` with
    :math:`\theta_1 - \theta_0 \le 2\pi`. ``n`` is an int or ``(n_r, n_theta)``. The
    Gaussian integral: ``polar_integral(lambda x, y: np.exp(-(x**2 + y**2)), 8)``
    :math:`\approx \pi` (the tail beyond :math:`r = 8` is :math:`\pi e^{-64}`).
    Section 6.2.
    """
    rule = _check_rule(rule)
    if np.ndim(r) == 0:
        r = (0.0, r)
    if np.ndim(r) != 1 or len(r) != 2:
        raise ValueError(f"r must be the outer radius or a pair (r0, r1), got {r!r}")
    if np.ndim(theta) != 1 or len(theta) != 2:
        raise ValueError(f"theta must be a pair (theta0, theta1), got {theta!r}")
    r_lim = _interval(r[0], r[1], "r0", "r1")
    if _scalar(r[0], "r0") < 0:
        raise ValueError(f"r0 must be >= 0 (a radius), got {r[0]}")
    th = _interval(theta[0], theta[1], "theta0", "theta1")
    if float(theta[1]) - float(theta[0]) > 2 * np.pi * (1 + 1e-12):
        raise ValueError("theta1 - theta0 must be at most 2*pi; a wider range covers part of "
                         "the plane twice")
    fxy = _integrand(f, "f", ("x", "y"))

    def integrand(coords):
        R, TH = coords
        return fxy([R * np.cos(TH), R * np.sin(TH)]) * R

    return _iterated(integrand, [r_lim, th], _check_ns(n, 2, rule), rule)


def integrate_mapped(f, T, box, n=100, rule: str = "midpoint", jacobian_det=None) -> float:
    r""":math:`\int_{T(B)} f\,dx = \int_B f(T(u))\,|\det J_T(u)|\,du` for a map ``T`` of a box ``B``.

    Parameters
    ----------
    f : callable
        The integrand in the new coordinates, ``f(X, Y)`` (or ``f(X, Y, Z)``).
    T : callable
        The map, called on coordinate arrays: ``T(U, V)`` returns ``(X, Y)``. It should be
        one-to-one on the box (otherwise overlapping parts are counted twice).
    box : sequence of (lower, upper)
        The box ``B`` in ``u``-space, one pair per variable (2 or 3 of them).
    n : int or sequence of int
        Subintervals per axis of ``B``.
    rule : {"midpoint", "simpson"}
    jacobian_det : callable, optional
        ``jacobian_det(U, V)`` returning :math:`\det J_T` (its absolute value is taken).
        Without it the Jacobian matrix is estimated at every node by central differences,
        :math:`\partial T/\partial u_k \approx (T(u + h e_k) - T(u - h e_k))/2h` with
        :math:`h = \varepsilon_{\text{mach}}^{1/3}\max(1, |u_k|)` (error about 1e-10, from rounding for affine maps
        and from the step otherwise); ``T`` must then be defined a step ``h`` beyond the box.

    Returns
    -------
    float

    :math:`|\det J_T(u)|` is the factor by which ``T`` scales a small area (volume) near
    ``u``: with ``f = 1`` the result is the area of ``T(B)``. Section 6.2.
    """
    rule = _check_rule(rule)
    limits = _box(box)
    d = len(limits)
    uvw = ("u", "v", "w")[:d]
    xyz = ("x", "y", "z")[:d]
    fx = _integrand(f, "f", xyz)
    Tmap = _mapping(T, "T", uvw, d)
    detf = None if jacobian_det is None else _integrand(jacobian_det, "jacobian_det", uvw)

    def integrand(coords):
        det = detf(coords) if detf is not None else _jacobian_det(Tmap, coords)
        return fx(Tmap(coords)) * np.abs(det)

    return _iterated(integrand, limits, _check_ns(n, d, rule), rule)


_SUPPORT_HINT = ("Is the point outside the range of f (where f_inv is undefined)? Pass "
                 "support=lambda ...: <condition> so that the density there is 0")


def transformed_density(p_Z, f_inv, jac_f_inv=None, support=None):
    r"""The density of :math:`W = f(Z)`: :math:`p_W(w) = p_Z(f^{-1}(w))\,|\det J_{f^{-1}}(w)|`.

    ``Z`` is the base variable (its density is known), ``W = f(Z)`` the transformed one;
    ``f`` must be one-to-one and differentiable with a differentiable inverse.

    Parameters
    ----------
    p_Z : callable
        The density of ``Z``, called on coordinate arrays: ``p_Z(Z1, ..., Zd)``.
    f_inv : callable
        The inverse map :math:`w \mapsto z`: ``f_inv(W1, ..., Wd)`` returns a tuple of
        ``d`` arrays (in 1-D, one array).
    jac_f_inv : callable, optional
        ``jac_f_inv(W1, ..., Wd)`` returning either :math:`\det J_{f^{-1}}` (an array of
        the shape of ``W1``; in 1-D the derivative :math:`(f^{-1})'`) or the Jacobian
        matrix as nested lists ``[[dz1/dw1, dz1/dw2], [dz2/dw1, dz2/dw2]]`` (shape
        ``(d, d) + W1.shape``). Without it the Jacobian is estimated by central
        differences, as in :func:`integrate_mapped`.
    support : callable, optional
        ``support(W1, ..., Wd)`` -> bool array, True where :math:`p_W` can be positive
        (the range of ``f``). Outside it the density is 0 and ``f_inv`` is not called:
        for :math:`W = e^Z` pass ``support=lambda w: w > 0``.

    Returns
    -------
    callable
        ``p_W(W1, ..., Wd)`` on arrays (a float for scalar inputs), with the same
        calling convention as the integrands of :func:`double_integral`, so
        ``double_integral(p_W, ...)`` checks that it integrates to 1.

    The factor :math:`|\det J_{f^{-1}}|` keeps probability: a region that ``f`` stretches
    to twice its area gets half the density. This is how a normalizing flow evaluates
    its density. Section 6.2.
    """
    for g, name in ((p_Z, "p_Z"), (f_inv, "f_inv")):
        if not callable(g):
            raise TypeError(f"{name} must be a function, got {type(g).__name__}")
    for g, name in ((jac_f_inv, "jac_f_inv"), (support, "support")):
        if g is not None and not callable(g):
            raise TypeError(f"{name} must be a function or None, got {type(g).__name__}")

    def p_W(*w):
        if not w:
            raise TypeError("p_W needs the coordinates of the points: p_W(w) or p_W(w1, w2, ...)")
        d = len(w)
        ws = np.broadcast_arrays(*[np.asarray(v, dtype=float) for v in w])
        shape = ws[0].shape
        out = np.zeros(shape)
        mask = np.ones(shape, dtype=bool)
        if support is not None:
            mask = np.broadcast_to(np.asarray(support(*ws), dtype=bool), shape)
        if mask.any():
            win = [v[mask] for v in ws]
            args = tuple(f"w{k}" for k in range(1, d + 1)) if d > 1 else ("w",)
            inverse = _mapping(f_inv, "f_inv", args, d, _SUPPORT_HINT)
            zin = inverse(win)
            if jac_f_inv is None:
                det = _jacobian_det(inverse, win)
            else:
                det = _det_from(jac_f_inv(*win), d, win[0].shape)
            zargs = tuple(a.replace("w", "z") for a in args)
            pz = _integrand(p_Z, "p_Z", zargs)(zin)
            dens = pz * np.abs(det)
            bad = ~np.isfinite(dens)
            if bad.any():
                i = np.flatnonzero(bad)[0]
                raise ValueError(
                    f"p_W is not finite at w = {tuple(float(v[i]) for v in win)}. " + _SUPPORT_HINT
                )
            out[mask] = dens
        return float(out) if out.ndim == 0 else out

    return p_W


def _mapping(T, name: str, args, d: int, hint: str = _EDGE_HINT):
    """Wrap a map R^d -> R^d on coordinate arrays: returns a list of d arrays."""
    if not callable(T):
        raise TypeError(f"{name} must be a function {name}({', '.join(args)}) returning a tuple of "
                        f"{d} arrays, got {type(T).__name__}")

    def apply(coords):
        shape = coords[0].shape
        out = _call(T, name, args, coords)
        if d == 1 and not isinstance(out, (tuple, list)):
            out = (out,)
        if isinstance(out, np.ndarray) and out.ndim >= 1 and out.shape[0] == d:
            out = list(out)
        if not isinstance(out, (tuple, list)) or len(out) != d:
            raise ValueError(
                f"{name} must return {d} coordinate arrays as a tuple, e.g. "
                f"return ({', '.join(f'x{k}' for k in range(1, d + 1))}); got {type(out).__name__}"
            )
        outs = [np.asarray(o) for o in out]
        return [_values(o, shape, name, args, coords, hint) for o in outs]

    return apply


def _jacobian_det(Tmap, coords) -> np.ndarray:
    """det of the Jacobian of Tmap at every point, by central differences (vectorized).

    The public ``calclib.derivatives.jacobian`` works one point at a time; here every
    node of a grid needs it at once, so the columns are differenced on whole arrays.
    """
    d = len(coords)
    J = np.empty(coords[0].shape + (d, d))
    for k in range(d):
        h = np.finfo(float).eps ** (1 / 3) * np.maximum(1.0, np.abs(coords[k]))
        plus = [c + h if i == k else c for i, c in enumerate(coords)]
        minus = [c - h if i == k else c for i, c in enumerate(coords)]
        # (u + h) - (u - h) in floating point, not 2h: removes the rounding of the step
        step = plus[k] - minus[k]
        for i, (p, m) in enumerate(zip(Tmap(plus), Tmap(minus))):
            J[..., i, k] = (p - m) / step
    return np.linalg.det(J) if d > 1 else J[..., 0, 0]


def _det_from(jac, d: int, shape) -> np.ndarray:
    """``jac`` is a determinant (shape ``shape``) or a Jacobian matrix ((d, d) + shape)."""
    if isinstance(jac, (list, tuple)):
        jac = np.array([[np.broadcast_to(np.asarray(e, dtype=float), shape) for e in row]
                        for row in jac])
    jac = np.asarray(jac, dtype=float)
    if jac.shape == (d, d) + shape:
        M = np.moveaxis(jac, (0, 1), (-2, -1))
        return np.linalg.det(M) if d > 1 else M[..., 0, 0]
    try:
        return np.broadcast_to(jac, shape)
    except ValueError:
        raise ValueError(
            f"jac_f_inv must return det J (shape {shape}) or the {d}x{d} Jacobian matrix "
            f"(shape {(d, d) + shape}), got shape {jac.shape}"
        ) from None


# --------------------------------------------------------------------------------------
# Gaussians and probabilities of regions
# --------------------------------------------------------------------------------------

def gaussian_density_2d(mu, Sigma, normalized: bool = True):
    r"""The density of :math:`N(\mu, \Sigma)` in 2-D as a function ``p(X, Y)`` on arrays.

    .. math:: p(x) = \frac{1}{2\pi\sqrt{\det\Sigma}}
              \exp\!\big(-\tfrac12 (x-\mu)^{\mathsf T}\Sigma^{-1}(x-\mu)\big)

    ``mu`` is ``(2,)``; ``Sigma`` is ``(2, 2)``, symmetric positive definite. With
    ``normalized=False`` only the exponential is returned: its integral over the plane
    is the normalizing constant :math:`2\pi\sqrt{\det\Sigma}`. The quadratic form uses the
    Cholesky factor :math:`\Sigma = LL^{\mathsf T}`, :math:`q = \|L^{-1}(x-\mu)\|^2`
    (a triangular solve, no inverse). Section 6.1.
    """
    mu = as_vector(mu, "mu")
    Sigma = as_matrix(Sigma, "Sigma")
    if mu.shape != (2,) or Sigma.shape != (2, 2):
        raise ValueError(f"mu must have shape (2,) and Sigma (2, 2), got {mu.shape} and {Sigma.shape}")
    if not np.allclose(Sigma, Sigma.T, rtol=1e-12, atol=0):
        raise ValueError("Sigma must be symmetric (a covariance matrix has Sigma[0, 1] == Sigma[1, 0])")
    try:
        L = np.linalg.cholesky(Sigma)
    except np.linalg.LinAlgError:
        raise ValueError(
            "Sigma must be positive definite: variances > 0 and |correlation| < 1 "
            f"(its eigenvalues are {np.linalg.eigvalsh(Sigma)})"
        ) from None
    const = 1.0 if not normalized else 1.0 / (2 * np.pi * L[0, 0] * L[1, 1])  # det = (L00 L11)^2

    def p(x, y):
        dx = np.asarray(x, dtype=float) - mu[0]
        dy = np.asarray(y, dtype=float) - mu[1]
        z1 = dx / L[0, 0]
        z2 = (dy - L[1, 0] * z1) / L[1, 1]
        out = const * np.exp(-0.5 * (z1 * z1 + z2 * z2))
        return float(out) if out.ndim == 0 else out

    return p


def probability_of_region(density, a: float, b: float, g1, g2, n=200,
                          rule: str = "midpoint") -> float:
    r""":math:`P(X \in D) = \iint_D p(x, y)\,dA` for :math:`D = \{a \le x \le b,\ g_1(x) \le y \le g_2(x)\}`.

    ``density(X, Y)`` is a 2-D density (e.g. from :func:`gaussian_density_2d` or
    :func:`transformed_density`); ``g1, g2`` are numbers (a rectangle) or functions of
    ``x``, as in :func:`double_integral_region`, which computes the integral. Section 6.1.
    """
    return double_integral_region(density, a, b, g1, g2, n=n, rule=rule)
