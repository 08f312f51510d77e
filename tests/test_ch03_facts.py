"""Chapter 3 facts: every slider shows what its answer block says, and the claims of the
prose hold (the regression guards that used to sit in the chapter's visible cells).

The chapter's code cells are executed once (module fixture) with ``cl.slider`` replaced by
a recorder (no frames are rendered) and ``myst_nb.glue`` replaced by a dict, so the tests
see the chapter's own functions, grids and glued numbers.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

import calclib as cl
from chapter_harness import frame_alts, number_after, static_slider

CHAPTER = Path(__file__).resolve().parents[1] / "chapters" / "ch03-derivatives.md"
MAX_FRAMES = 120

_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```$", re.S | re.M)


def code_cells(text: str) -> list[tuple[list[str], str]]:
    """(tags, source) of every code cell, in order."""
    cells = []
    for m in _CELL.finditer(text):
        body = m.group(1)
        tags: list[str] = []
        if body.startswith("---\n"):
            head, body = body[4:].split("\n---\n", 1)
            t = re.search(r"tags:\s*\[([^\]]*)\]", head)
            tags = [x.strip() for x in t.group(1).split(",")] if t else []
        else:
            lines = body.split("\n")
            while lines and lines[0].startswith(":"):
                t = re.match(r":tags:\s*\[([^\]]*)\]", lines[0])
                if t:
                    tags = [x.strip() for x in t.group(1).split(",")]
                lines.pop(0)
            body = "\n".join(lines)
        cells.append((tags, body))
    return cells


class Recorder:
    def __init__(self):
        self.sliders = []

    def __call__(self, draw, *, caption="", initial=None, alt="", **params):
        params.pop("figsize", None)
        params.pop("dpi", None)
        grids = {k: np.asarray(p.values if isinstance(p, cl.Param) else p, dtype=float)
                 for k, p in params.items()}
        self.sliders.append({"draw": draw, "caption": caption, "grids": grids,
                             "initial": initial,
                             "slider": static_slider(draw, caption=caption, alt=alt, **params)})


@pytest.fixture(scope="module")
def chapter(monkeypatch_module):
    import myst_nb

    rec, glued = Recorder(), {}
    monkeypatch_module.setattr(cl, "slider", rec)
    monkeypatch_module.setattr(myst_nb, "glue",
                               lambda name, value, display=True: glued.__setitem__(name, value))
    ns: dict = {}
    raised = []
    for tags, src in code_cells(CHAPTER.read_text(encoding="utf-8")):
        src = "\n".join(line for line in src.split("\n") if not line.startswith("%"))
        if "raises-exception" in tags:
            with pytest.raises(Exception) as info:
                exec(compile(src, str(CHAPTER), "exec"), ns)
            raised.append(info.value)
        else:
            exec(compile(src, str(CHAPTER), "exec"), ns)
    import matplotlib.pyplot as plt
    plt.close("all")
    return {"ns": ns, "sliders": {s["draw"].__name__: s for s in rec.sliders},
            "glued": glued, "raised": raised}


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def test_slider_grids_and_captions(chapter):
    sliders = chapter["sliders"]
    assert set(sliders) == {"draw_slice", "draw_lr", "draw_direction", "draw_weight",
                            "draw_zoom"}
    text = CHAPTER.read_text(encoding="utf-8")
    for name, s in sliders.items():
        frames = int(np.prod([len(g) for g in s["grids"].values()]))
        assert frames <= MAX_FRAMES, (name, frames)
        assert "?" in s["caption"], f"{name}: the caption must ask"
    # every slider cell is followed by a collapsed answer block
    for m in re.finditer(r"cl\.slider\(", text):
        after = text[m.end():m.end() + 3000]
        rest = after.split("```", 1)[1]
        assert rest.lstrip().startswith(":::{admonition} Answer\n:class: dropdown"), \
            text[m.start():m.start() + 80]


def _titles(draw, **values):
    import matplotlib.pyplot as plt
    fig = plt.figure()
    draw(fig, **values)
    titles = [ax.get_title() for ax in fig.axes]
    plt.close(fig)
    return titles


@pytest.mark.parametrize("name", ["draw_slice", "draw_lr", "draw_direction",
                                  "draw_weight", "draw_zoom"])
def test_no_verdict_in_frame_titles(chapter, name):
    s = chapter["sliders"][name]
    values = {k: g[len(g) // 2] for k, g in s["grids"].items()}
    values = {k: (int(v) if float(v).is_integer() and k == "phi" else v)
              for k, v in values.items()}
    for title in _titles(s["draw"], **values):
        assert not re.search(r"diverg|converg|bounce|×\s*2/|steepest|maximum|flat",
                             title, re.I), title


# ---- 3.1 slice ----------------------------------------------------------------------

def test_slice_slider_slope_is_2y0_and_zero_on_the_grid(chapter):
    ns, grid = chapter["ns"], chapter["sliders"]["draw_slice"]["grids"]["y0"]
    slopes = np.array([cl.derivatives.partial(ns["f"], [1.0, y0], 0) for y0 in grid])
    np.testing.assert_allclose(slopes, 2 * grid, atol=1e-9)
    assert 0.0 in grid and abs(slopes[list(grid).index(0.0)]) < 1e-12
    assert np.all(np.sign(slopes[grid != 0]) == np.sign(grid[grid != 0]))


def test_partials_and_step_size_claims(chapter):
    ns, glued = chapter["ns"], chapter["glued"]
    assert ns["fx_xy"](*ns["p0"]) == 1.0
    np.testing.assert_allclose(glued["fy_p0"], 1 + np.cos(0.5))
    eps = np.finfo(float).eps
    assert glued["eps"] == eps
    assert 0.1 < glued["h_best_cen"] / eps ** (1 / 3) < 10
    assert 0.1 < glued["h_best_fwd"] / eps ** 0.5 < 10
    assert glued["err_best_cen"] < eps ** (2 / 3) and glued["gain_cen"] > 100
    assert ns["dL_dw1"] < 0          # "the partial derivative is negative"


# ---- 3.2 learning rate --------------------------------------------------------------

def test_lr_slider_threshold_is_on_the_grid(chapter):
    ns = chapter["ns"]
    grid = chapter["sliders"]["draw_lr"]["grids"]["lr"]
    lam_max = np.linalg.eigvalsh(ns["A_BOWL"]).max()
    threshold = 2 / lam_max
    assert np.any(np.isclose(grid, threshold)), "the grid must contain 2/lam_max"
    f0 = ns["bowl"](ns["X0_BOWL"])
    for lr in grid:
        run = ns["run_lr"](lr)
        fk = run.fun_history[-1]
        if lr < threshold - 1e-12:     # f falls at every step the frame shows
            assert np.all(np.diff(run.fun_history) < 0) and not run.diverged, lr
        elif lr > threshold + 1e-12:
            assert run.diverged or fk > f0, lr
        else:   # bounces: f neither falls nor grows
            assert 1e-3 * f0 < fk <= f0 * (1 + 1e-9)
    # the fastest decrease on the grid is at 2/(lam_max + lam_min)
    lam_min = np.linalg.eigvalsh(ns["A_BOWL"]).min()
    conv = [lr for lr in grid if lr < threshold]
    steps = [cl.optimize.gradient_descent(ns["bowl_grad"], ns["X0_BOWL"], lr, tol=1e-8,
                                          max_iter=5000).iterations for lr in conv]
    np.testing.assert_allclose(conv[int(np.argmin(steps))], 2 / (lam_max + lam_min))


def test_lr_threshold_runs(chapter):
    ns = chapter["ns"]
    assert ns["threshold"] == 0.5
    assert ns["below"].converged and not ns["below"].diverged
    assert ns["above"].diverged and not ns["above"].converged


def test_regression_descent_is_a_straight_line_after_step_one(chapter):
    ns = chapter["ns"]
    fit, w_star = ns["fit"], ns["w_lstsq"]
    assert fit.converged
    np.testing.assert_allclose(fit.x, w_star, atol=1e-9)
    path = fit.history[1:] - w_star
    assert len(path) > 3
    d = path[0] / np.linalg.norm(path[0])
    cross = path[:, 0] * d[1] - path[:, 1] * d[0]     # distance from the line
    assert np.max(np.abs(cross)) < 1e-9 * np.linalg.norm(path[0]) + 1e-12
    # the line is the bottom eigenvector of the Hessian
    v_min = ns["V_mse"][:, 0]
    assert abs(abs(d @ v_min) - 1) < 1e-9
    # step 0 is not on that line (the first step turns)
    e0 = fit.history[0] - w_star
    assert abs(e0[0] * d[1] - e0[1] * d[0]) > 0.1 * np.linalg.norm(e0)
    assert ns["fit_fast"].converged and ns["fit_diverge"].diverged


def test_gradient_formulas_and_level_set(chapter):
    ns = chapter["ns"]
    assert chapter["glued"]["largest_cos"] < 1e-8
    np.testing.assert_allclose([ns["g"](q) for q in ns["curve"]], ns["c_level"],
                               atol=1e-14)


# ---- 3.3 direction ------------------------------------------------------------------

def test_direction_slider_maximum_at_the_gradient_angle(chapter):
    ns = chapter["ns"]
    grid = chapter["sliders"]["draw_direction"]["grids"]["phi"]
    rates = np.array([ns["rate_at"](phi) for phi in grid])
    phi_star = ns["phi_star"]
    np.testing.assert_allclose(phi_star, 45.0, atol=1e-12)
    assert grid[np.argmax(rates)] == 45.0
    assert grid[np.argmin(rates)] == 225.0
    np.testing.assert_allclose(rates.max(), ns["grad_p_norm"], rtol=1e-8)
    zeros = grid[np.abs(rates) < 1e-10]
    assert set(zeros) == {135.0, 315.0}


def test_directional_derivative_claims(chapter):
    ns, glued = chapter["ns"], chapter["glued"]
    np.testing.assert_allclose(ns["grad_p"], np.exp(-0.5) * np.array([0.5, 0.5]),
                               rtol=1e-15)
    np.testing.assert_allclose(glued["grad_p_norm"], np.exp(-0.5) / np.sqrt(2))
    (err,) = chapter["raised"]
    assert isinstance(err, ValueError)
    np.testing.assert_allclose(ns["grad_from_rates"], ns["grad_p"], rtol=1e-8)


def test_random_directions_rarely_come_close(chapter):
    ns, glued = chapter["ns"], chapter["glued"]
    d = ns["d_big"]
    # exact mean |cos| = Gamma(d/2) / (sqrt(pi) Gamma((d+1)/2))
    from math import lgamma, pi, exp, sqrt
    exact = exp(lgamma(d / 2) - lgamma((d + 1) / 2)) / sqrt(pi)
    np.testing.assert_allclose(glued["mean_abs_theory"], exact, rtol=1e-6)
    np.testing.assert_allclose(glued["mean_abs_sample"], exact, rtol=0.05)
    assert abs(glued["frac_uphill"] - 0.5) < 0.05
    assert glued["p_cos_half"] < 1e-5
    assert glued["best_random_cos"] < 0.5
    assert glued["slower"] > 2
    # directions near -grad L do come close: the claim is only about random ones
    g0 = ns["grad0"]
    near = -g0 / np.linalg.norm(g0) + 0.05 * np.random.default_rng(0).normal(size=d) / np.sqrt(d)
    near /= np.linalg.norm(near)
    assert near @ (-g0) / np.linalg.norm(g0) > 0.99


# ---- 3.4 weight ---------------------------------------------------------------------

def test_weight_slider_tangent_and_flattest_frame(chapter):
    ns = chapter["ns"]
    grid = chapter["sliders"]["draw_weight"]["grids"]["w"]
    assert np.any(grid == ns["W_TRAINED"])
    slopes_bp = np.array([ns["grad_flat"](ns["with_weight"](w))[ns["W_INDEX"]]
                          for w in grid])
    slopes_fd = np.array([cl.derivatives.partial(ns["loss_flat"], ns["with_weight"](w),
                                                 ns["W_INDEX"]) for w in grid])
    np.testing.assert_allclose(slopes_bp, slopes_fd, rtol=1e-6, atol=1e-9)
    k = int(np.argmin(np.abs(slopes_bp)))
    assert grid[k] == ns["W_TRAINED"]
    others = np.delete(np.abs(slopes_bp), k)
    assert np.abs(slopes_bp[k]) < 0.05 * others.min()
    # elsewhere the downhill side points back towards the trained value
    side = np.sign(grid - ns["W_TRAINED"])
    assert np.all(np.sign(slopes_bp[side != 0]) == side[side != 0])


def test_network_claims(chapter):
    ns, glued = chapter["ns"], chapter["glued"]
    assert ns["theta_init"].size == 65
    assert ns["a_n"] < ns["y_n"] and ns["w_bar"] < 0        # figure caption
    assert glued["n_lowered"] == ns["STEPS_NET"]            # every step lowered the loss
    assert glued["acc_train"] > 0.95 and glued["acc_test"] > 0.9
    assert glued["lin_train"] < glued["acc_train"] and glued["lin_test"] < glued["acc_test"]
    assert glued["bp_rel_err"] < 1e-6


# ---- 3.5 zoom -----------------------------------------------------------------------

def test_zoom_slider_base_points(chapter):
    ns = chapter["ns"]
    grids = chapter["sliders"]["draw_zoom"]["grids"]
    a_grid, r_grid = grids["a"], grids["r"]
    assert np.any(np.isclose(a_grid, 0.0))
    assert np.any(np.isclose(a_grid, 1 / np.sqrt(2)))
    assert np.any(np.isclose(a_grid, -1 / np.sqrt(2)))
    small = r_grid[r_grid <= 0.25]
    for a in a_grid:
        x0 = np.array([a, 0.0])
        e_lin, e_quad = ns["model_errors"](x0, small, ns["ZOOM_LIN"][a], ns["ZOOM_QUAD"][a])
        slope = ns["loglog_slope"](small, e_lin)
        grad_norm = cl.norm(ns["ZOOM_LIN"][a].grad)
        if np.isclose(a, 0.0):
            assert abs(slope - 3) < 0.1, (a, slope)         # Hessian zero: r^3
        else:
            assert abs(slope - 2) < 0.1, (a, slope)
        if np.isclose(abs(a), 1 / np.sqrt(2)):
            assert grad_norm < 1e-9                          # l is constant
        else:
            assert grad_norm > 0.1
        assert abs(ns["loglog_slope"](small, e_quad) - 3) < 0.15


def test_linearization_claims(chapter):
    ns, glued = chapter["ns"], chapter["glued"]
    assert abs(glued["slope_lin"] - 2) < 0.1 and abs(glued["slope_quad"] - 3) < 0.1
    assert glued["ratio_small"] > 1000
    assert 1e-13 < glued["newton_final"] < 1e-9 and glued["newton_far"] > 1
    assert abs(glued["slope_gap"] - 2) < 0.15
    assert 0.5 < glued["share_alpha1"] < 1


# ---- the section pattern -------------------------------------------------------------

def test_one_imports_cell_and_few_visible_asserts():
    cells = code_cells(CHAPTER.read_text(encoding="utf-8"))
    assert cells[0][1].strip().split("\n") == [
        "import numpy as np", "import matplotlib.pyplot as plt", "import calclib as cl",
        "from myst_nb import glue"]
    for tags, src in cells[1:]:
        assert not re.search(r"^\s*(import|from\s+\S+\s+import)\s", src, re.M), src[:80]
    for tags, src in cells:
        if "remove-cell" in tags:
            continue
        n = len(re.findall(r"^\s*(assert\b|np\.testing\.assert)", src, re.M))
        assert n <= 2, src[:120]
        if "raises-exception" in tags:
            assert src.lstrip().startswith("%xmode Minimal")


# ---- every slider: alt text that says what each frame shows ---------------------------

def _own_network_loss(ns, w):
    """The training loss and accuracy of the network with weight w, in plain NumPy."""
    theta = ns["theta_trained"].copy()
    theta[ns["W_INDEX"]] = w
    sizes = np.cumsum([0] + [int(np.prod(s)) for s in ns["SHAPES"]])
    W1, b1, W2, b2 = (theta[i:j].reshape(s) for i, j, s in
                      zip(sizes[:-1], sizes[1:], ns["SHAPES"]))
    X, y = ns["X_train"], ns["y_train"]
    z = (np.tanh(X @ W1.T + b1) @ W2.T + b2)[:, 0]
    return np.mean(np.logaddexp(0, z) - y * z), np.mean((z > 0) == y)


def test_every_slider_describes_each_frame_in_its_alt_text(chapter):
    ns = chapter["ns"]
    alts = {name: frame_alts(s["slider"]) for name, s in chapter["sliders"].items()}
    # 3.1: g = x²y + sin y, so the slope at x = 1 is 2 y0 and the value y0 + sin y0
    for y0 in (-1.0, 0.0, 0.75):
        text = alts["draw_slice"][(y0,)]
        assert number_after(text, "∂f/∂x =") == pytest.approx(2 * y0, abs=0.006)
        assert number_after(text, "where f =") == pytest.approx(y0 + np.sin(y0), abs=0.006)
    assert "horizontal line" in alts["draw_slice"][(0.0,)]
    # 3.2: 30 steps of x <- x - lr A x on the bowl, A from its eigen-decomposition
    t = np.radians(30)
    R = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    A = R @ np.diag([4.0, 1.0]) @ R.T
    for lr in (0.1, 0.5, 0.6):
        x = np.array([-2.0, 1.0])
        for _ in range(30):
            x = x - lr * A @ x
        text = alts["draw_lr"][(lr,)]
        assert number_after(text, "f(x_30) =") == pytest.approx(0.5 * x @ A @ x, rel=0.05)
    assert "stays on one side" in alts["draw_lr"][(0.1,)]
    assert "leaves the window" in alts["draw_lr"][(0.6,)]
    # 3.3: grad g(p) = e^(-1/2) (0.5, 0.5) for g = x exp(-(x² + y²)) at p = (-0.5, 0.5)
    grad = np.exp(-0.5) * np.array([0.5, 0.5])
    for phi in (0.0, 90.0, 225.0):
        u = np.array([np.cos(np.radians(phi)), np.sin(np.radians(phi))])
        text = alts["draw_direction"][(phi,)]
        assert number_after(text, "D_u g =") == pytest.approx(grad @ u, abs=6e-4)
        angle = np.degrees(np.arccos(np.clip(grad @ u / np.linalg.norm(grad), -1, 1)))
        assert number_after(text, "an angle of") == pytest.approx(angle, abs=0.06)
    # 3.4: the loss, its slope (a central difference) and the accuracy, recomputed
    w_grid = chapter["sliders"]["draw_weight"]["grids"]["w"]
    for w in (w_grid[0], w_grid[len(w_grid) // 2], w_grid[-1]):
        text = alts["draw_weight"][(float(w),)]
        loss, acc = _own_network_loss(ns, w)
        h = 1e-5
        slope = (_own_network_loss(ns, w + h)[0] - _own_network_loss(ns, w - h)[0]) / (2 * h)
        assert number_after(text, "L =") == pytest.approx(loss, abs=6e-4)
        assert number_after(text, "tangent of slope") == pytest.approx(slope, abs=6e-4)
        assert f"training accuracy {acc:.0%}" in text
    # 3.5: |grad g(a, 0)| = |1 - 2a²| e^(-a²); at the hill and the basin no dashed contour
    for a in (-0.4, 0.0, 1.2):
        text = alts["draw_zoom"][a, 1.0]
        assert number_after(text, "|∇g(x0)| =") == pytest.approx(
            abs(1 - 2 * a**2) * np.exp(-a**2), abs=6e-4)
    hill = [a for a in chapter["sliders"]["draw_zoom"]["grids"]["a"]
            if np.isclose(a, 1 / np.sqrt(2))][0]
    assert "no dashed contour" in alts["draw_zoom"][hill, 0.25]
