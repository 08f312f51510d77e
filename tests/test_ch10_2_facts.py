"""Section 10.2's facts (total differentials for related variables), re-checked on the
section's own code.

The chapter's code cells run once in one namespace (:func:`chapter_harness.run_chapter`).
Every claim is re-derived from independent oracles: the constrained partials by sympy
(substitution of the constraint, and implicit differentiation), the slider's errors by
sympy's exact expansion at the grid values the answer block names, the residual network's
Jacobians by a forward pass and central differences written out again with numpy, and the
plain/residual gradient norms by a backward pass written out again; no frame title prints
the verdict. Re-pointing CHAPTER at the merged chapter file is the only change needed once
10.2 is spliced into chapter 10.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose

from chapter_harness import assert_glue_is_quoted, frame, grid, run_chapter, section_names, section_text, titles
from conftest import ROOT

CHAPTER = ROOT / "chapters" / "ch10-dependent-variables.md"
VERDICTS = re.compile(r"slope|useful|break|half|second|quadratic|grows|fail|good|bad", re.I)


@pytest.fixture(scope="module")
def run():
    return run_chapter(CHAPTER)


X, Y, Z = sp.symbols("x y z", real=True)
W_EXPR = X**2 + Y**2 + Z**2
G_EXPR = X**2 + Y**2 - Z


def held_partials(point):
    """(dw/dx)_y and (dw/dx)_z on g = 0 at point, by substitution (sympy)."""
    x0, y0, z0 = point
    w_y_held = W_EXPR.subs(Z, X**2 + Y**2)                       # z follows
    dy = sp.diff(w_y_held, X).subs({X: x0, Y: y0})
    ysol = sp.sqrt(Z - X**2)                                     # y > 0 branch follows
    w_z_held = W_EXPR.subs(Y, ysol)
    dz = sp.diff(w_z_held, X).subs({X: x0, Z: z0})
    return float(sp.simplify(dy)), float(sp.simplify(dz))


def implicit_partials(point):
    """The same by implicit differentiation: dz/dx = -g_x/g_z, dy/dx = -g_x/g_y."""
    sub = dict(zip((X, Y, Z), point))
    wx, wy, wz = (sp.diff(W_EXPR, v).subs(sub) for v in (X, Y, Z))
    gx, gy, gz = (sp.diff(G_EXPR, v).subs(sub) for v in (X, Y, Z))
    return float(wx - wz * gx / gz), float(wx - wy * gx / gy), float(wx)


# ---------------------------------------------------------------- names, glue, text


def test_glue_is_quoted_and_every_name_of_the_section_is_prefixed(run):
    assert_glue_is_quoted(run)
    text = section_text(run.text, "10.2")
    quoted = set(re.findall(r"\{glue:text\}`(\w+)", text))
    assert quoted and all(n.startswith("td_") for n in quoted), quoted
    names = section_names(text)
    assert names, "found no code in the section"
    bad = {n for n in names if not (n.startswith("td_") or n == "quiz_102")}
    assert not bad, bad


def test_the_section_states_what_is_held_and_names_the_exercise(run):
    text = section_text(run.text, "10.2")
    assert "held fixed" in text and r"\Big(\frac{\partial w}{\partial x}\Big)_y" in text
    assert r"\Big(\frac{\partial w}{\partial x}\Big)_z" in text
    assert "`constrained_partial(grad_w, grad_g, point, wrt, held)`" in text
    assert "`residual_jacobian(W1, W2, x, b=None)`" in text
    assert "../exercises/ch10/ch10.ipynb" in text and ":::{admonition} Exercise" in text
    assert "I + F'(\\vv x)" in text and "### Check your understanding: 10.2" in text


# ---------------------------------------------------------------- the worked example


def test_the_two_held_partials_differ_and_match_sympy(run):
    ns, g = run.ns, run.glued
    P = (1, 1, 2)
    assert G_EXPR.subs(dict(zip((X, Y, Z), P))) == 0                  # P is on the surface
    by_y, by_z = held_partials(P)
    imp_y, imp_z, wx = implicit_partials(P)
    assert_allclose([by_y, by_z], [imp_y, imp_z], atol=1e-14)
    assert by_y == pytest.approx(10) and abs(by_z) < 1e-14 and wx == pytest.approx(2)
    assert abs(by_y - by_z) > 5                                          # they differ
    assert_allclose([ns["td_formula_y"], ns["td_moved_y"], g["td_formula_y"], g["td_moved_y"]],
                    by_y, atol=1e-6)
    assert_allclose([ns["td_formula_z"], ns["td_moved_z"]], by_z, atol=1e-6)
    assert g["td_formula_z"] < 1e-6 and g["td_moved_z"] < 1e-6 and g["td_formula_z"] >= 0
    assert_allclose(g["td_wx"], wx, atol=1e-6)
    # the page's curves stay on the surface and hold the right variable
    for x in (0.8, 1.0, 1.2):
        p, q = ns["td_on_y"](x), ns["td_on_z"](x)
        assert abs(p[0] ** 2 + p[1] ** 2 - p[2]) < 1e-12 and p[1] == 1.0
        assert abs(q[0] ** 2 + q[1] ** 2 - q[2]) < 1e-12 and q[2] == 2.0


# ---------------------------------------------------------------- the slider


def _exact_changes(s):
    """Delta w and dw for the step s (1, 1, 1)/sqrt 3 from (1, 1, 2), exactly (sympy)."""
    s = sp.nsimplify(s)
    u = s / sp.sqrt(3)
    sub = {X: 1 + u, Y: 1 + u, Z: 2 + u}
    true = W_EXPR.subs(sub) - W_EXPR.subs({X: 1, Y: 1, Z: 2})
    pred = sum(sp.diff(W_EXPR, v).subs({X: 1, Y: 1, Z: 2}) * u for v in (X, Y, Z))
    return float(true), float(pred)


def test_slider_grid_has_small_and_large_steps_and_the_error_is_second_order(run):
    s = run.sliders["td_draw_perturbation"]
    ss = grid(s, "r")
    assert ss.min() <= 0.001 and ss.max() >= 10 and len(ss) <= 40
    for v in (0.01, 0.1, 1.0, 2.0, 5.0):
        assert v in ss
    errs = []
    for v in ss:
        true, pred = _exact_changes(v)
        assert_allclose(run.ns["td_true"][v], true, rtol=1e-9, atol=1e-12)
        assert_allclose(run.ns["td_pred"][v], pred, rtol=1e-9)   # the page uses a numerical gradient
        errs.append(abs(true - pred))
    errs = np.array(errs)
    slopes = np.diff(np.log(errs[ss >= 0.01])) / np.diff(np.log(ss[ss >= 0.01]))
    assert_allclose(slopes, 2, atol=1e-3)                                    # error ~ s^2
    cross = 8 / math.sqrt(3)
    g = run.glued
    assert_allclose(g["td_cross"], cross, rtol=1e-9)
    # the answer's numbers at the grid values it names
    assert_allclose([g["td_err_001"], g["td_err_01"], g["td_err_5"]], [1e-4, 1e-2, 25], rtol=1e-6)
    for v, key in ((1.0, "td_rel_1"), (2.0, "td_rel_2"), (5.0, "td_rel_5")):
        true, _ = _exact_changes(v)
        assert_allclose(g[key], 100 * v**2 / true, rtol=1e-6)
    assert_allclose(g["td_true_5"], _exact_changes(5.0)[0], rtol=1e-9)
    # the prediction breaks between the grid values 2 and 5, around s = 8/sqrt 3
    assert not any(2.0 < v < 5.0 for v in ss) and 2.0 < cross < 5.0
    for v in ss:
        true, _ = _exact_changes(v)
        assert (v**2 > 0.5 * true) == (v > cross)


def test_slider_frames_show_the_error_but_the_titles_do_not_judge(run):
    s = run.sliders["td_draw_perturbation"]
    for v in (0.001, 0.1, 2.0, 5.0, 10.0):
        fig = frame(s, r=v)
        text = " ".join(titles(fig))
        assert not VERDICTS.search(text), text
        assert f"r = {v:g}" in text
        line = [ln for ln in fig.axes[0].lines if ln.get_marker() == "o"][0]
        assert_allclose(line.get_xdata()[-1], v)
        assert_allclose(line.get_ydata()[-1], v**2, rtol=1e-6)
        alt = s.alt(r=v)
        assert f"r = {v:g}" in alt and "predicts" in alt


# ---------------------------------------------------------------- skip connections


def _stack(run):
    net = run.ns["td_net"]
    return [np.array(W) for W in net.W], [np.array(b) for b in net.b], run.ns["td_x0"]


def _num_jac(f, x, h=1e-6):
    cols = []
    for j in range(len(x)):
        e = np.zeros_like(x)
        e[j] = h
        cols.append((f(x + e) - f(x - e)) / (2 * h))
    return np.array(cols).T


def test_residual_block_jacobian_is_identity_plus_F_prime(run):
    Ws, bs, x0 = _stack(run)
    F = lambda x: np.tanh(Ws[0] @ x + bs[0])
    J_F = _num_jac(F, x0)
    J_block = _num_jac(lambda x: x + F(x), x0)
    assert_allclose(J_block, np.eye(len(x0)) + J_F, atol=1e-8)
    assert_allclose(run.ns["td_J_block"], J_block, atol=1e-8)
    assert run.glued["td_block_err"] < 1e-8 and run.glued["td_end_err"] < 1e-6


def test_plain_gradient_shrinks_geometrically_and_residual_does_not(run):
    Ws, bs, x0 = _stack(run)
    assert len(Ws) == 30 and all(W.shape == (16, 16) for W in Ws)
    g_out = np.ones(16) / 4
    assert_allclose(np.linalg.norm(g_out), 1.0)

    def norms(residual):
        xs, x = [], x0
        for W, b in zip(Ws, bs):
            xs.append(x)
            x = x + np.tanh(W @ x + b) if residual else np.tanh(W @ x + b)
        g, out = g_out, [1.0]
        for W, b, xin in zip(Ws[::-1], bs[::-1], xs[::-1]):
            d = 1 - np.tanh(W @ xin + b) ** 2
            g = (d * g) @ W + (g if residual else 0)        # J^T g, J = [I +] diag(d) W
            out.append(np.linalg.norm(g))
        return np.array(out[::-1])

    plain, res = norms(False), norms(True)
    assert_allclose(run.ns["td_norm_plain"], plain, rtol=1e-9)
    assert_allclose(run.ns["td_norm_res"], res, rtol=1e-9)
    ratios = plain[:-1] / plain[1:]                 # per layer going back
    assert ratios.max() < 0.6 and plain[0] < 1e-12                       # geometric shrinking
    rate = math.exp(np.mean(np.log(ratios)))
    assert_allclose(run.glued["td_plain_factor"], rate, rtol=1e-9)
    assert res.min() >= 0.5 and res.max() <= 10                          # stays of order one
    g = run.glued
    assert_allclose([g["td_norm_plain0"], g["td_norm_res0"], g["td_res_min"], g["td_res_max"]],
                    [plain[0], res[0], res.min(), res.max()], rtol=1e-9)


# ---------------------------------------------------------------- the self-check


def test_self_check_answers_and_their_wrong_variants(run):
    quiz = run.ns["quiz_102"]
    assert quiz.title == "Check your understanding: 10.2" and 2 <= len(quiz.questions) <= 4
    held, size, mc = quiz.questions
    by_y, by_z = held_partials((1, 2, 5))
    assert by_y == pytest.approx(22)
    assert abs(held.answer - by_y) <= held.tol
    wrong = [w for w, _ in held.wrong]
    assert any(abs(w - by_z) < 1e-9 for w in wrong) and any(abs(w - 2) < 1e-9 for w in wrong)
    true, pred = _exact_changes(1.0)
    assert abs(size.answer - abs(true - pred)) <= size.tol
    assert any(abs(w - 0.1) < 1e-6 for w, _ in size.wrong)
    for q in (held, size):
        for w, _ in q.wrong:
            assert abs(w - q.answer) > 10 * q.tol
    assert "I + F'(x)" in mc.options[mc.correct] and len(mc.why) == len(mc.options)
    assert all(mc.why[i] for i in range(len(mc.options)) if i != mc.correct)


def test_the_ideal_gas_dropdown_by_sympy(run):
    text = section_text(run.text, "10.2")
    P, V, T, n, R = sp.symbols("P V T n R", positive=True)
    U = sp.Rational(3, 2) * n * R * T
    U_TV, U_TP = U, U                                   # U depends on T alone
    U_PV = U.subs(T, P * V / (n * R))                   # T follows at fixed P
    assert sp.simplify(sp.diff(U_TV, T) - sp.Rational(3, 2) * n * R) == 0
    assert sp.diff(U_TP, T) == sp.Rational(3, 2) * n * R and sp.diff(U_TV, V) == 0
    assert sp.simplify(sp.diff(U_PV, V) - sp.Rational(3, 2) * P) == 0
    assert r"(\partial U/\partial V)_T = 0" in text and r"(\partial U/\partial V)_P = \tfrac32 P" in text


def test_the_norms_behave_the_same_at_other_inputs(run):
    """The page measures at one input; the claim holds at other inputs too."""
    Ws, bs, _ = _stack(run)
    rng = np.random.default_rng(7)
    for _ in range(5):
        x = rng.normal(size=16)
        g_p = g_r = np.ones(16) / 4
        xs_p, xs_r, xp, xr = [], [], x, x
        for W, b in zip(Ws, bs):
            xs_p.append(xp)
            xs_r.append(xr)
            xp, xr = np.tanh(W @ xp + b), xr + np.tanh(W @ xr + b)
        for W, b, ip, ir in zip(Ws[::-1], bs[::-1], xs_p[::-1], xs_r[::-1]):
            g_p = ((1 - np.tanh(W @ ip + b) ** 2) * g_p) @ W
            g_r = g_r + ((1 - np.tanh(W @ ir + b) ** 2) * g_r) @ W
        assert np.linalg.norm(g_p) < 1e-10
        assert 0.5 <= np.linalg.norm(g_r) <= 10
