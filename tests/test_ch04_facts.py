"""Chapter 4: the facts the text states and the facts its sliders are meant to show.

The chapter's code cells are executed once (module fixture) with ``cl.slider`` and
``glue`` replaced by recorders, so the tests see the very grids, draw functions and glued
numbers the book uses. Plain pytest; no book build needed.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import calclib  # noqa: E402
import calclib as cl  # noqa: E402
from chapter_harness import frame_alts, number_after, static_slider  # noqa: E402

CHAPTER = Path(__file__).resolve().parents[1] / "chapters" / "ch04-optimization.md"
IMPORTS = ["import numpy as np", "import matplotlib.pyplot as plt", "import calclib as cl",
           "from myst_nb import glue"]
VERDICTS = ("minimum", "maximum", "saddle", "degenerate", "minima", "maxima", "bowl",
            "dome", "trough", "ridge")
CELL = re.compile(r"```\{code-cell\}[^\n]*\n(.*?)^```", re.S | re.M)


def code_cells(text: str) -> list[tuple[list[str], str]]:
    """(tags, source) of every code cell, the cell options (``:tags:`` / YAML) removed."""
    cells = []
    for body in CELL.findall(text):
        tags: list[str] = []
        lines = body.splitlines()
        if lines and lines[0] == "---":
            end = lines.index("---", 1)
            header, lines = lines[1:end], lines[end + 1:]
            for h in header:
                if h.startswith("tags:"):
                    tags = re.findall(r"[\w-]+", h.split(":", 1)[1])
        while lines and lines[0].startswith(":"):
            if lines[0].startswith(":tags:"):
                tags = re.findall(r"[\w-]+", lines[0].split(":", 2)[2])
            lines = lines[1:]
        cells.append((tags, "\n".join(lines)))
    return cells


@pytest.fixture(scope="module")
def chapter():
    """Run the chapter's code; record slider calls and glued values."""
    text = CHAPTER.read_text(encoding="utf-8")
    sliders, glued = [], {}

    def fake_slider(draw, *, caption="", initial=None, alt="", **params):
        sliders.append({"draw": draw, "caption": caption, "params": params,
                        "slider": static_slider(draw, caption=caption, alt=alt, **params)})

    def fake_glue(name, value, display=True):
        glued[name] = value

    real_slider = calclib.slider
    calclib.slider = fake_slider
    ns: dict = {}
    try:
        for i, (tags, src) in enumerate(code_cells(text)):
            src = "\n".join(l for l in src.splitlines() if not l.startswith("%"))
            if "raises-exception" in tags:
                with pytest.raises(Exception):
                    exec(compile(src, f"ch04 cell {i}", "exec"), ns)
            else:
                exec(compile(src, f"ch04 cell {i}", "exec"), ns)
            if i == 0:
                ns["glue"] = fake_glue
    finally:
        calclib.slider = real_slider
        matplotlib.pyplot.close("all")
    return {"text": text, "ns": ns, "sliders": sliders, "glued": glued}


def slider_by_draw(chapter, name):
    (s,) = [s for s in chapter["sliders"] if s["draw"].__name__ == name]
    return s


def grid(s, name):
    p = s["params"][name]
    return [float(v) for v in (p.values if isinstance(p, cl.Param) else p)]


def titles(draw, **values) -> list[str]:
    fig = Figure(figsize=(6.4, 3.6))
    draw(fig, **values)
    return [ax.get_title() for ax in fig.axes]


# ------------------------------------------------------------------ the page pattern


def test_one_imports_cell_exactly_as_the_brief_says():
    cells = code_cells(CHAPTER.read_text(encoding="utf-8"))
    assert cells[0][1].strip().splitlines() == IMPORTS
    for i, (_, src) in enumerate(cells[1:], 1):
        bad = [l for l in src.splitlines() if re.match(r"\s*(import|from)\s+\w", l)]
        assert not bad, f"cell {i} imports: {bad}"


def test_at_most_two_visible_asserts_per_cell():
    for i, (tags, src) in enumerate(code_cells(CHAPTER.read_text(encoding="utf-8"))):
        if "remove-cell" in tags:
            continue
        n = len(re.findall(r"^\s*(?:assert\b|np\.testing\.assert)", src, re.M))
        assert n <= 2, f"cell {i} shows {n} asserts"


def test_raising_cells_are_tagged_and_minimal():
    for tags, src in code_cells(CHAPTER.read_text(encoding="utf-8")):
        if "raises-exception" in tags:
            assert src.splitlines()[0] == "%xmode Minimal"


def test_every_glued_name_in_the_text_is_glued(chapter):
    used = set(re.findall(r"\{glue:text\}`([A-Za-z0-9_]+)", chapter["text"]))
    assert used, "the prose should quote computed numbers"
    assert used <= set(chapter["glued"]), used - set(chapter["glued"])


def test_newton_step_has_one_sign_convention():
    text = CHAPTER.read_text(encoding="utf-8")
    assert not re.search(r"\\Hess(\(\\vv x_k\))?\\?,?\s*\\vv [sp]_?k? = \\grad", text)
    assert r"\vv x_k - \vv p_k" not in text and r"\vv p_k" not in text
    # and the library follows it
    g = lambda v: np.array([4 * v[0] ** 3 - 4 * v[1], 4 * v[1] ** 3 - 4 * v[0]])
    h = lambda v: np.array([[12 * v[0] ** 2, -4.0], [-4.0, 12 * v[1] ** 2]])
    x0 = np.array([0.4, 0.3])
    s = np.linalg.solve(h(x0), -g(x0))
    run = cl.optimize.newton(g, x0, h, max_iter=1)
    np.testing.assert_allclose(run.history[1], x0 + s, rtol=1e-14)


def test_notation_loss_is_L_and_weight_decay_is_gamma():
    text = CHAPTER.read_text(encoding="utf-8")
    assert not re.search(r"\bJ\(w, b\)|\\grad J|\\frac\\alpha2", text)
    assert "weight-decay term $\\tfrac\\gamma2 w^2$" in text
    assert not re.search(r"= 1/L\b|2/L\b", text)
    # mu is the second Lagrange multiplier (chapter 1's table), never an eigenvalue bound
    assert "$\\mu$ (for the mean)" in text
    assert not re.search(r"\\mu\s*(=|\\le)\s*\\lambda_", text)


# ------------------------------------------------------------- 4.2 numerical Hessian


def test_numerical_hessian_residue_is_truncation_of_order_h_squared():
    f = lambda v: v[0] ** 4 + v[1] ** 2
    steps = np.logspace(-2, -4, 5)
    residue = np.array([cl.derivatives.hessian(f, np.zeros(2), h=h)[0, 0] for h in steps])
    np.testing.assert_allclose(residue / steps**2, 2.0, rtol=1e-9)   # exactly 2 h^2
    slope = np.polyfit(np.log(steps), np.log(residue), 1)[0]
    assert abs(slope - 2) < 1e-6


def test_glued_residue_is_two_h_squared(chapter):
    g = chapter["glued"]
    np.testing.assert_allclose(g["residue"], 2 * g["h_default"] ** 2, rtol=1e-9)
    np.testing.assert_allclose(g["h_default"], np.finfo(float).eps ** 0.25, rtol=1e-12)
    assert g["residue"] > g["tol_times_lam"]          # why the default tol reads a sign


def test_default_tolerance_classifies_the_quartics_as_the_text_says():
    o = np.zeros(2)
    cases = {lambda v: v[0] ** 4 + v[1] ** 2: "minimum",
             lambda v: -v[0] ** 4 + v[1] ** 2: "saddle",       # not a minimum
             lambda v: v[0] ** 3 + v[1] ** 2: "degenerate"}
    for fn, kind in cases.items():
        H = cl.derivatives.hessian(fn, o)
        assert cl.optimize.classify_critical_point(H) == kind
        assert cl.optimize.classify_critical_point(H, tol=1e-6) == "degenerate"
    # a strict minimum (positive for 0 < |x| < 1e-5) that falls at the distance h: no
    # tolerance rescues a numerical Hessian here, as the text says
    fooling = lambda v: v[0] ** 4 - 1e10 * v[0] ** 6 + v[1] ** 2
    xs = np.linspace(-9.9e-6, 9.9e-6, 1001)
    assert np.all(fooling(np.stack([xs[xs != 0], 0 * xs[xs != 0]])) > 0)
    H = cl.derivatives.hessian(fooling, o)
    assert cl.optimize.classify_critical_point(H, tol=1e-6) == "saddle"
    text = CHAPTER.read_text(encoding="utf-8")
    assert "would call a saddle a minimum" not in text
    assert "truncation error" in text


# --------------------------------------------------------------------------- sliders


def test_every_slider_asks_and_has_an_answer_below(chapter):
    text = chapter["text"]
    assert len(chapter["sliders"]) == 3
    for s in chapter["sliders"]:
        assert "?" in s["caption"], s["draw"].__name__
        n = int(np.prod([len(grid(s, k)) for k in s["params"]]))
        assert n <= 120, (s["draw"].__name__, n)
    for m in re.finditer(r"^cl\.slider\(", text, re.M):
        after = text[m.end():].split("```", 1)[1].lstrip("\n")
        assert after.startswith(":::{admonition} Answer\n:class: dropdown"), after[:80]


def test_family_slider_shows_the_pitchfork_at_a_zero(chapter):
    s = slider_by_draw(chapter, "draw_family")
    a_grid = grid(s, "a")
    assert 0.0 in a_grid and min(a_grid) < 0 < max(a_grid)
    count = {a: len(chapter["ns"]["family_critical_points"](a)) for a in a_grid}
    assert {count[a] for a in a_grid if a <= 0} == {1}
    assert {count[a] for a in a_grid if a > 0} == {3}
    kinds0 = [k for _, k in chapter["ns"]["family_critical_points"](0.0)]
    assert kinds0 == ["degenerate"]
    for a in a_grid:
        assert not any(v in t for t in titles(s["draw"], a=a) for v in VERDICTS), a


def test_quadratic_slider_eigenvalue_passes_through_zero(chapter):
    s = slider_by_draw(chapter, "draw_quadratic")
    eig = chapter["ns"]["quadratic_eigenvalues"]
    a_grid, b_grid, c_grid = grid(s, "a"), grid(s, "b"), grid(s, "c")
    for a, c, which in ((1.0, 1.0, 0), (-1.0, -1.0, 1), (1.0, 0.0, 0)):
        assert a in a_grid and c in c_grid
        lam = np.array([eig(a, b, c)[which] for b in b_grid])
        D = np.array([4 * a * c - b**2 for b in b_grid])
        zero = np.flatnonzero(np.abs(lam) < 1e-12)
        assert zero.size, (a, c)                      # an exact zero eigenvalue on the grid
        for k in zero:
            assert D[k] == 0
            assert 0 < k < len(b_grid) - 1             # values on both sides
            if a * c != 0:                              # it passes through 0
                assert np.sign(lam[k - 1]) != np.sign(lam[k + 1])
        if a * c != 0:
            assert (lam > 1e-12).any() and (lam < -1e-12).any()
    kinds = {cl.optimize.classify_critical_point(np.array([[2 * a, b], [b, 2 * c]]))
             for a in a_grid for b in b_grid for c in c_grid}
    assert kinds == {"minimum", "maximum", "saddle", "degenerate"}
    for b in (0.0, 2.0, 2.5):
        assert not any(v in t for t in titles(s["draw"], a=1.0, b=b, c=1.0)
                       for v in VERDICTS)


def test_circle_slider_grid_contains_the_optimum_and_angles(chapter):
    s = slider_by_draw(chapter, "draw_circle_walk")
    thetas = np.array(grid(s, "theta"))
    A = chapter["ns"]["A_CIRC"]
    pts = np.stack([np.cos(np.radians(thetas)), np.sin(np.radians(thetas))])
    f = np.einsum("im,ij,jm->m", pts, A, pts)
    assert thetas[np.argmax(f)] == 45 and thetas[np.argmin(f)] == 135
    # the true extremes on the circle are attained on the grid
    fine = np.linspace(0, np.pi, 100_001)
    P = np.stack([np.cos(fine), np.sin(fine)])
    f_fine = np.einsum("im,ij,jm->m", P, A, P)
    np.testing.assert_allclose([f.max(), f.min()], [f_fine.max(), f_fine.min()], atol=1e-9)
    angle = chapter["ns"]["grad_angle"]
    assert angle(pts[:, np.argmax(f)]) < 1e-6 and abs(angle(pts[:, np.argmin(f)]) - 180) < 1e-6
    others = [angle(p) for p, t in zip(pts.T, thetas) if t not in (45, 135)]
    assert min(min(others), 180 - max(others)) > 1


def test_every_slider_describes_each_frame_in_its_alt_text(chapter):
    alts = {s["draw"].__name__: frame_alts(s["slider"]) for s in chapter["sliders"]}
    # 4.1: x (x² - a) = 0 at x = 0 and x = ±√a, the roots NumPy finds
    for a in (-0.5, 0.0, 0.5):
        text = alts["draw_family"][(a,)]
        roots = np.roots([1.0, 0.0, -a, 0.0])
        real = np.unique(np.round(roots[np.abs(roots.imag) < 1e-12].real, 2) + 0.0)
        assert f"{len(real)} marked critical point" in text
        for x in real:
            assert f"x = {x:.2g} (" in text, (x, text)
    assert "(degenerate)" in alts["draw_family"][(0.0,)]
    assert "x = 0 (saddle)" in alts["draw_family"][(0.5,)]
    # 4.2: with a = c = 1 the Hessian [[2, b], [b, 2]] has eigenvalues 2 ∓ |b|, D = 4 - b²
    for b in (0.0, 2.0, -2.5):
        text = alts["draw_quadratic"][1.0, b, 1.0]
        assert number_after(text, "λ1 =") == pytest.approx(2 - abs(b), abs=0.006)
        assert number_after(text, "λ2 =") == pytest.approx(2 + abs(b), abs=0.006)
        assert number_after(text, "D =") == pytest.approx(4 - b**2, abs=0.006)
    assert "One eigenvalue is 0" in alts["draw_quadratic"][1.0, 2.0, 1.0]
    assert "hyperbolas" in alts["draw_quadratic"][1.0, -2.5, 1.0]
    assert "circles" in alts["draw_quadratic"][1.0, 0.0, 1.0]
    # 4.3: f = x² + 4xy + y² = 1 + 2 sin 2θ on the circle; the angle between 2Ax and 2x
    A = np.array([[1.0, 2.0], [2.0, 1.0]])
    for theta in (15.0, 45.0, 120.0):
        x = np.array([np.cos(np.radians(theta)), np.sin(np.radians(theta))])
        text = alts["draw_circle_walk"][(theta,)]
        assert number_after(text, "level set f =") == pytest.approx(
            1 + 2 * np.sin(np.radians(2 * theta)), abs=0.006)
        gf = A @ x
        angle = np.degrees(np.arccos(np.clip(gf @ x / np.linalg.norm(gf), -1, 1)))
        assert number_after(text, "(blue) are") == pytest.approx(angle, abs=0.6)
    assert "touches the circle" in alts["draw_circle_walk"][(45.0,)]
    assert "crosses the circle" in alts["draw_circle_walk"][(15.0,)]
