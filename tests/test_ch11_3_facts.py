"""Section 11.3's facts (natural gradient descent), re-checked on the section's own code.

The chapter's code cells run once in one namespace (:func:`chapter_harness.run_chapter`).
Every claim is re-derived from independent oracles: the Bernoulli Fisher information by
sympy (variance of the score and minus the expected second derivative), the Gaussian one by
scipy quadrature in both coordinate systems, the logistic one by a Hessian of the loss
written out again with central differences, the slider's paths by gradient descent and
natural gradient descent written out again with closed-form steps, and the logistic
regression minimum by scipy.optimize. Re-pointing CHAPTER at the merged chapter file is the
only change needed once 11.3 is spliced into chapter 11.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose
from scipy import integrate, optimize

from chapter_harness import assert_glue_is_quoted, frame, grid, run_chapter, section_names, section_text, titles
from conftest import ROOT

CHAPTER = ROOT / "chapters" / "ch11-deep-learning.md"
VERDICTS = re.compile(r"same|chang|invarian|depend|differ|stays|moves|better|worse", re.I)


@pytest.fixture(scope="module")
def run():
    return run_chapter(CHAPTER)


# ---------------------------------------------------------------- names, glue, text


def test_glue_is_quoted_and_every_name_of_the_section_is_prefixed(run):
    assert_glue_is_quoted(run)
    text = section_text(run.text, "11.3")
    quoted = set(re.findall(r"\{glue:text\}`(\w+)", text))
    assert quoted and all(n.startswith("ng_") for n in quoted), quoted
    names = section_names(text)
    assert names, "found no code in the section"
    bad = {n for n in names if not (n.lower().startswith("ng_") or n == "quiz_113")}
    assert not bad, bad


def test_the_section_names_the_exercise_and_the_notation(run):
    text = section_text(run.text, "11.3")
    for name in ("`bernoulli_fisher(p)`", "`logistic_fisher(w, X)`",
                 "`natural_gradient_step(theta, grad, fisher, alpha, damping=0.0)`"):
        assert name in text, name
    assert "../exercises/ch11/ch11.ipynb" in text and ":::{admonition} Exercise" in text
    assert r"\mathcal I(\theta)" in text and "### Check your understanding: 11.3" in text
    assert r"\mathcal I_\varphi = J\T\,\mathcal I_\theta\,J" in text


# ---------------------------------------------------------------- Fisher information


def test_bernoulli_fisher_by_sympy(run):
    p, z = sp.symbols("p z", positive=True)
    logp = z * sp.log(p) + (1 - z) * sp.log(1 - p)
    s = sp.diff(logp, p)
    var = sum(w * (s**2).subs(z, v) for v, w in ((0, 1 - p), (1, p)))
    curv = -sum(w * sp.diff(logp, p, 2).subs(z, v) for v, w in ((0, 1 - p), (1, p)))
    assert sp.simplify(var - 1 / (p * (1 - p))) == 0
    assert sp.simplify(curv - 1 / (p * (1 - p))) == 0
    ps = run.ns["ng_p"]
    exact = 1 / (ps * (1 - ps))
    bern = run.ns["ng_bern"]
    assert_allclose(bern["closed form"], exact, rtol=1e-12)
    assert_allclose(bern["E[s²]"], exact, rtol=1e-12)
    assert_allclose(bern["-E[Hessian]"], exact, rtol=1e-4)
    assert_allclose(bern["4 000 draws"], exact, rtol=0.15)
    assert_allclose(exact.min(), 4.0)                                # at p = 1/2


def test_gaussian_fisher_by_quadrature_in_both_coordinates(run):
    ns = run.ns
    mu, sig = float(ns["ng_mu_hat"]), float(ns["ng_sigma_hat"])
    z = ns["ng_z"]
    assert_allclose([mu, sig], [z.mean(), np.sqrt(np.mean((z - z.mean()) ** 2))])

    def dens(x):
        return np.exp(-(x - mu) ** 2 / (2 * sig**2)) / (np.sqrt(2 * np.pi) * sig)

    def score(x, log):
        r = (x - mu) / sig
        return np.array([r / sig, (r**2 - 1) * (1 if log else 1 / sig)])

    for param, log in (("sigma", False), ("log_sigma", True)):
        E = np.array([[integrate.quad(lambda x: score(x, log)[i] * score(x, log)[j] * dens(x),
                                      mu - 12 * sig, mu + 12 * sig)[0] for j in range(2)]
                      for i in range(2)])
        expect = np.diag([1 / sig**2, 2.0 if log else 2 / sig**2])
        assert_allclose(E, expect, atol=1e-9)
        for m in ns["ng_gauss"][param]:
            assert_allclose(m, expect, rtol=1e-6, atol=1e-6)
    assert_allclose(run.glued["ng_gauss_ss"], 2 / sig**2, rtol=1e-12)


def test_logistic_fisher_is_minus_the_hessian_over_N(run):
    ns = run.ns
    D, y, w = ns["ng_D"], ns["ng_y"], ns["ng_w"]
    N = len(y)
    raw = ns["ng_Xraw"]
    assert_allclose(D[:, :-1], (raw - raw.mean(0)) / raw.std(0)) and np.all(D[:, -1] == 1)
    assert set(np.unique(y)) == {0.0, 1.0} and abs(y.mean() - 0.5) < 0.01
    p = 1 / (1 + np.exp(-D @ w))
    fisher = (D * (p * (1 - p))[:, None]).T @ D / N

    def loss(v):                                         # mean negative log-likelihood
        t = D @ v
        return np.mean(np.logaddexp(0, t) - y * t)

    h, n = 1e-4, len(w)
    E = np.eye(n) * h
    H = np.array([[(loss(w + E[i] + E[j]) - loss(w + E[i] - E[j]) - loss(w - E[i] + E[j])
                    + loss(w - E[i] - E[j])) / (4 * h * h) for j in range(n)] for i in range(n)])
    assert_allclose(H, fisher, atol=1e-6)
    for key in ("ng_I_ss", "ng_I_hess", "ng_I_closed"):
        assert_allclose(ns[key], fisher, atol=1e-6)
    emp = (D * ((y - p) ** 2)[:, None]).T @ D / N
    assert_allclose(run.glued["ng_logit_emp_err"],
                    100 * np.max(np.abs(emp - fisher)) / np.max(np.abs(fisher)), rtol=1e-9)


def test_kl_picture_numbers(run):
    def kl(p, q):
        return p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))
    g = run.glued
    assert_allclose(g["ng_kl_mid"], kl(0.5, 0.51), rtol=1e-12)
    assert_allclose(g["ng_kl_ratio"], kl(0.02, 0.03) / kl(0.5, 0.51), rtol=1e-12)
    assert g["ng_kl_ratio"] > 5
    assert_allclose(kl(0.5, 0.51), 0.5 * 4 * 0.01**2, rtol=1e-3)          # 1/2 I delta^2


# ---------------------------------------------------------------- the slider


def _paths(mu_hat, sig_hat, lam, natural, alpha, steps, start=(3.8, 1.2)):
    """GD / natural GD in (mu, phi_lam), written out with closed-form gradients and Fisher."""
    mu, s = start
    out = [(mu, s)]
    for _ in range(steps):
        v = (mu - mu_hat) ** 2 + sig_hat**2
        g_mu, g_s = (mu - mu_hat) / s**2, 1 / s - v / s**3
        g_phi = g_s * s ** (1 - lam)                                    # dsigma/dphi
        if natural:                                                     # I_phi = diag(1/s^2, 2 s^(-2 lam))
            d_mu, d_phi = s**2 * g_mu, g_phi * s ** (2 * lam) / 2
        else:
            d_mu, d_phi = g_mu, g_phi
        phi = np.log(s) if lam == 0 else (s**lam - 1) / lam
        phi -= alpha * d_phi
        mu -= alpha * d_mu
        s = np.exp(phi) if lam == 0 else (1 + lam * phi) ** (1 / lam)
        out.append((mu, s))
    return np.array(out)


def test_slider_natural_path_does_not_move_and_gd_path_does(run):
    ns, g = run.ns, run.glued
    s = run.sliders["ng_draw_reparam"]
    lams = grid(s, "lam")
    for v in (-1.0, 0.0, 1.0, 2.0):
        assert v in lams
    assert len(lams) <= 15
    mu_hat, sig_hat = float(ns["ng_mu_hat"]), float(ns["ng_sigma_hat"])
    steps = ns["NG_STEPS"]
    a_gd, a_nat = ns["NG_ALPHA"][False], ns["NG_ALPHA"][True]
    ref = {nat: _paths(mu_hat, sig_hat, 1.0, nat, a_nat if nat else a_gd, steps)
           for nat in (False, True)}
    gaps = {}
    for lam in lams:
        for nat in (False, True):
            mine = _paths(mu_hat, sig_hat, lam, nat, a_nat if nat else a_gd, steps)
            assert_allclose(ns["NG_PATHS"][(lam, nat)], mine, rtol=1e-9, atol=1e-12)
            gaps[(lam, nat)] = np.max(np.linalg.norm(mine - ref[nat], axis=1))
    nat_gap = max(gaps[(lam, True)] for lam in lams)
    gd_gap = min(gaps[(lam, False)] for lam in lams if lam != 1.0)
    assert nat_gap < 0.01 and gd_gap > 5 * nat_gap
    assert_allclose(g["ng_gap_nat"], nat_gap, rtol=1e-9)
    assert_allclose([g["ng_gap_gd_m1"], g["ng_gap_gd_0"]],
                    [gaps[(-1.0, False)], gaps[(0.0, False)]], rtol=1e-9)
    # halving alpha halves the natural gap (first-order invariance), not GD's
    half = max(np.max(np.linalg.norm(_paths(mu_hat, sig_hat, lam, True, a_nat / 2, 2 * steps)
                                     - _paths(mu_hat, sig_hat, 1.0, True, a_nat / 2, 2 * steps),
                                     axis=1)) for lam in (-1.0, 2.0))
    assert_allclose(g["ng_gap_nat_half"], half, rtol=1e-9)
    assert 0.4 < half / nat_gap < 0.6
    gd_half = np.max(np.linalg.norm(_paths(mu_hat, sig_hat, -1.0, False, a_gd / 2, 2 * steps)
                                    - _paths(mu_hat, sig_hat, 1.0, False, a_gd / 2, 2 * steps),
                                    axis=1))
    assert_allclose(g["ng_gap_gd_half"], gd_half, rtol=1e-9) and gd_half > 0.05
    # GD's final excess loss: best and worst coordinates named by the answer
    L_star = 0.5 * np.log(2 * np.pi) + np.log(sig_hat) + 0.5
    exc = {lam: (lambda p: 0.5 * np.log(2 * np.pi) + np.log(p[1])
                 + ((p[0] - mu_hat) ** 2 + sig_hat**2) / (2 * p[1] ** 2) - L_star)(
        _paths(mu_hat, sig_hat, lam, False, a_gd, steps)[-1]) for lam in lams}
    assert g["ng_gd_best_lam"] == min(exc, key=exc.get) and g["ng_gd_worst_lam"] == max(exc, key=exc.get)
    assert_allclose([g["ng_gd_best"], g["ng_gd_worst"]], [min(exc.values()), max(exc.values())],
                    rtol=1e-6)
    assert max(exc.values()) > 100 * min(exc.values())


def test_slider_frames_draw_the_paths_and_the_titles_do_not_judge(run):
    s = run.sliders["ng_draw_reparam"]
    for lam in (-1.0, 0.0, 1.0, 2.0):
        fig = frame(s, lam=lam)
        text = " ".join(titles(fig))
        assert not VERDICTS.search(text), text
        assert f"λ = {lam:g}" in text
        drawn = [ln for ln in fig.axes[0].lines if ln.get_marker() in ("o", "s")]
        assert len(drawn) == 2
        for ln, nat in zip(drawn, (False, True)):
            assert_allclose(ln.get_ydata(), run.ns["NG_PATHS"][(lam, nat)][:, 1])
        alt = s.alt(lam=lam)
        assert f"lambda = {lam:g}" in alt and "Gradient descent" in alt


# ---------------------------------------------------------------- logistic regression


def test_natural_gradient_is_invariant_under_standardization_and_reaches_the_minimum(run):
    ns, g = run.ns, run.glued
    A, D, y = ns["ng_A"], ns["ng_D"], ns["ng_y"]

    def loss(w, X):
        t = X @ w
        return np.mean(np.logaddexp(0, t) - y * t)

    def grad(w, X):
        return X.T @ (1 / (1 + np.exp(-X @ w)) - y) / len(y)

    best = optimize.minimize(loss, np.zeros(11), args=(D,), jac=grad, method="BFGS",
                             options={"gtol": 1e-10})
    assert_allclose(g["ng_L_min"], best.fun, rtol=1e-9)
    w_nat = ns["ng_runs"][("standardized", True)][0]
    w_raw = ns["ng_runs"][("raw", True)][0]
    P_std = 1 / (1 + np.exp(-(D @ w_nat.T)))
    P_raw = 1 / (1 + np.exp(-(A @ w_raw.T)))
    assert np.max(np.abs(P_std - P_raw)) < 1e-9
    exc = np.array([loss(w, D) for w in w_nat]) - best.fun
    assert g["ng_nat_k"] == int(np.argmax(exc < 1e-12)) and g["ng_nat_k"] <= 10
    gd_std, gd_raw = ns["ng_runs"][("standardized", False)][0], ns["ng_runs"][("raw", False)][0]
    diff = np.max(np.abs(1 / (1 + np.exp(-(D @ gd_std.T))) - 1 / (1 + np.exp(-(A @ gd_raw.T)))))
    assert_allclose(g["ng_gd_diff"], diff, rtol=1e-9) and diff > 0.1
    assert_allclose(g["ng_gd_raw_exc"], loss(gd_raw[-1], A) - best.fun, rtol=1e-6)
    assert_allclose(g["ng_gd_std_exc"], loss(gd_std[-1], D) - best.fun, rtol=1e-6)
    assert g["ng_gd_raw_exc"] > 10 * g["ng_gd_std_exc"]
    assert_allclose(g["ng_cond_raw"], np.linalg.cond(A.T @ A), rtol=1e-6)
    # the GD step is safe: below 2 / lambda_max of the Hessian bound X^T X / 4N
    for X, name in ((A, "raw"), (D, "standardized")):
        lam_max = np.linalg.eigvalsh(X.T @ X / (4 * len(y)))[-1]
        assert_allclose(ns["ng_runs"][(name, False)][1], 1 / lam_max, rtol=1e-12)


# ---------------------------------------------------------------- the self-check


def test_self_check_answers_and_their_wrong_variants(run):
    quiz = run.ns["quiz_113"]
    assert quiz.title == "Check your understanding: 11.3" and 2 <= len(quiz.questions) <= 4
    bern, gauss, mc = quiz.questions
    assert abs(bern.answer - 1 / (0.2 * 0.8)) <= bern.tol
    assert any(abs(w - 0.16) < 1e-9 for w, _ in bern.wrong)
    assert abs(gauss.answer - 2.0) <= gauss.tol
    assert any(abs(w - 2 / 0.25) < 1e-9 for w, _ in gauss.wrong)
    for q in (bern, gauss):
        for w, _ in q.wrong:
            assert abs(w - q.answer) > 10 * q.tol
    assert "Natural gradient descent gives the same" in mc.options[mc.correct]
    assert all(mc.why[i] for i in range(len(mc.options)) if i != mc.correct)
