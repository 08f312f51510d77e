"""Accuracy and speed of calclib.derivatives against exact (sympy) derivatives.

    .venv/bin/python benchmarks/accuracy_derivatives.py

For a suite of eight smooth functions of 2–4 variables (polynomial, exp/trig mixes,
Rosenbrock, log-sum-exp, a logistic loss, ...), at random points (seeded), it prints the
largest relative error

* of the gradient by central differences        (target <= 1e-8),
* of the gradient by the complex step           (target <= 1e-13),
* of the Hessian by second differences          (target <= 1e-5),

where the error is ‖approx − exact‖₂ / ‖exact‖₂ (Frobenius norm for the Hessian) and the
exact derivatives come from sympy, evaluated with mpmath at 30 digits. It also prints
whether ``check_grad`` accepts every exact gradient and rejects every gradient made 0.1 %
wrong, and the time to compute a 50×50 gradient field with ``gradient_field``.

The suite (``SUITE``, ``case_functions``, ``measure``) is also imported by
``tests/test_derivatives.py``, which asserts the same targets.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy as sp

from calclib import derivatives as d

TARGETS = {"central": 1e-8, "complex": 1e-13, "hessian": 1e-5}
N_POINTS = 6
SEED = 20240607


@dataclass(frozen=True)
class Case:
    name: str
    expr: sp.Expr
    symbols: tuple
    box: float  # points are drawn uniformly from [-box, box]^n


def _suite() -> list[Case]:
    x, y, z, w = sp.symbols("x y z w", real=True)
    a = sp.symbols("a0:4", real=True)
    # a small fixed logistic-regression data set: rows of features, labels in {-1, +1}
    X = [[1.0, 0.5, -1.2], [1.0, -0.3, 0.8], [1.0, 1.7, 0.1],
         [1.0, -1.1, -0.4], [1.0, 0.2, 1.5], [1.0, 0.9, -0.7]]
    labels = [1, -1, 1, -1, 1, 1]
    logistic = sum(sp.log(1 + sp.exp(-yi * sum(xij * wj for xij, wj in zip(xi, (x, y, z)))))
                   for xi, yi in zip(X, labels)) / len(X)
    rosen = sum(100 * (a[i + 1] - a[i] ** 2) ** 2 + (1 - a[i]) ** 2 for i in range(3))
    return [
        Case("polynomial", x**3 * y - 2 * x * y**2 + y**4 / 4 + 3 * x, (x, y), 2.0),
        Case("exp-trig", sp.exp(x) * sp.sin(y) + sp.cos(x * y), (x, y), 1.5),
        Case("rosenbrock-4d", rosen, tuple(a), 1.5),
        Case("log-sum-exp", sp.log(sp.exp(x) + sp.exp(y) + sp.exp(z)), (x, y, z), 3.0),
        Case("logistic-loss", logistic, (x, y, z), 2.0),
        Case("log-exp-mix", sp.log(1 + x**2 + y**2) * z + x * sp.exp(-z**2), (x, y, z), 1.5),
        Case("trig-4d", sp.sin(a[0] * a[1]) + sp.cos(a[2]) * a[3] ** 2 + sp.tanh(a[0] + a[3]),
             tuple(a), 1.5),
        Case("rational-sqrt", (x**2 + y) / (1 + z**2) + sp.sqrt(1 + x**2 * y**2), (x, y, z), 1.5),
    ]


SUITE = _suite()


def case_functions(case: Case):
    """``(f, grad_exact, hess_exact)``: f takes a (real or complex) array ``(n,)``.

    ``f`` is the sympy expression lambdified with numpy (complex-safe); the exact
    derivatives are evaluated with mpmath at 30 digits and rounded to float.
    """
    s = case.symbols
    fl = sp.lambdify(s, case.expr, modules="numpy")
    grad = [sp.diff(case.expr, v) for v in s]
    hess = [[sp.diff(gi, v) for v in s] for gi in grad]
    gl = sp.lambdify(s, grad, modules="mpmath")
    hl = sp.lambdify(s, hess, modules="mpmath")

    def f(x):
        return fl(*x)

    def exact(fun, x):
        with mpmath.workdps(30):
            return np.array(fun(*[mpmath.mpf(float(v)) for v in x]), dtype=float)

    return f, (lambda x: exact(gl, x)), (lambda x: exact(hl, x))


def points(case: Case, n_points: int = N_POINTS, seed: int = SEED) -> np.ndarray:
    rng = np.random.default_rng([seed, len(case.name)])
    return rng.uniform(-case.box, case.box, size=(n_points, len(case.symbols)))


def _rel(approx, exact) -> float:
    return float(np.linalg.norm(approx - exact) / np.linalg.norm(exact))


def measure(n_points: int = N_POINTS, seed: int = SEED) -> dict[str, dict[str, float]]:
    """Worst relative errors per case: ``{name: {"central", "complex", "forward", "hessian"}}``."""
    out = {}
    for case in SUITE:
        f, g_exact, h_exact = case_functions(case)
        errs = {"central": 0.0, "complex": 0.0, "forward": 0.0, "hessian": 0.0}
        for x in points(case, n_points, seed):
            g = g_exact(x)
            for method in ("central", "complex", "forward"):
                errs[method] = max(errs[method], _rel(d.gradient(f, x, method=method), g))
            errs["hessian"] = max(errs["hessian"], _rel(d.hessian(f, x), h_exact(x)))
        out[case.name] = errs
    return out


def check_grad_verdicts(seed: int = SEED) -> tuple[int, int, int]:
    """``(n_cases, accepted_exact, rejected_0.1%_wrong)`` over the suite (one point each)."""
    accepted = rejected = 0
    for case in SUITE:
        f, g_exact, _ = case_functions(case)
        x = points(case, 1, seed)[0]
        accepted += bool(d.check_grad(f, g_exact, x))
        # 0.1 % error in one component (the largest one), the rest exact
        i = int(np.argmax(np.abs(g_exact(x))))
        wrong = lambda x, g_exact=g_exact, i=i: g_exact(x) * np.where(np.arange(x.size) == i, 1.001, 1.0)  # noqa: E731
        rejected += not d.check_grad(f, wrong, x)
    return len(SUITE), accepted, rejected


def time_gradient_field(n: int = 50, repeats: int = 20) -> float:
    """Best-of time (seconds) of ``gradient_field`` on an n×n grid."""
    xs = np.linspace(-2, 2, n)
    X, Y = np.meshgrid(xs, xs)
    f = lambda X, Y: np.exp(X) * np.sin(Y) + np.cos(X * Y)  # noqa: E731
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        d.gradient_field(f, X, Y)
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    t0 = time.perf_counter()
    res = measure()
    print(f"calclib.derivatives vs sympy (exact, mpmath 30 digits): {len(SUITE)} functions "
          f"x {N_POINTS} random points, relative error ‖approx − exact‖ / ‖exact‖\n")
    print(f"{'function':<16}{'n':>3}{'central':>12}{'complex':>12}{'forward':>12}{'hessian':>12}")
    for case in SUITE:
        e = res[case.name]
        print(f"{case.name:<16}{len(case.symbols):>3}{e['central']:>12.2e}{e['complex']:>12.2e}"
              f"{e['forward']:>12.2e}{e['hessian']:>12.2e}")
    print()
    ok_all = True
    for key, label in (("central", "gradient, central differences"),
                       ("complex", "gradient, complex step"),
                       ("hessian", "Hessian, second differences")):
        worst = max(e[key] for e in res.values())
        ok = worst <= TARGETS[key]
        ok_all &= ok
        print(f"max relative error, {label:<31} {worst:.2e}   (target <= {TARGETS[key]:.0e}: "
              f"{'met' if ok else 'NOT MET'})")
    worst_fwd = max(e["forward"] for e in res.values())
    print(f"max relative error, {'gradient, forward differences':<31} {worst_fwd:.2e}   (for comparison)")
    n, acc, rej = check_grad_verdicts()
    print(f"check_grad: exact gradients accepted {acc}/{n}; gradients 0.1 % wrong rejected {rej}/{n}")
    tf = time_gradient_field()
    print(f"gradient_field on a 50x50 grid: {tf * 1e3:.3f} ms (best of 20)")
    print(f"total benchmark time: {time.perf_counter() - t0:.2f} s; all targets "
          f"{'met' if ok_all and acc == n and rej == n else 'NOT met'}")


if __name__ == "__main__":
    main()
