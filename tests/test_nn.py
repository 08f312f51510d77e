"""Tests of calclib.nn (sections 3.4, 10.1, 11.1) against independent oracles.

Backpropagation is checked against central differences of the loss written in this file
(not calclib's), and against calclib.derivatives.check_grad; the layer Jacobians against
a numerical Jacobian of the forward pass; the activations and losses against closed forms
and scipy. Each gradient check is also shown to reject a gradient that is 0.1 % wrong.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from calclib import derivatives, nn

PROPERTY = settings(derandomize=True, max_examples=25, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

ELEMENTWISE = ["sigmoid", "tanh", "relu", "identity"]


# --- oracles written here ------------------------------------------------------------------

def central_gradient(f, theta, h=1e-6):
    """Central-difference gradient of a scalar function of a flat vector (test oracle)."""
    g = np.empty_like(theta)
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = h
        g[i] = (f(theta + e) - f(theta - e)) / (2 * h)
    return g


def central_jacobian(F, x, h=1e-6):
    cols = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = h
        cols.append((F(x + e) - F(x - e)) / (2 * h))
    return np.stack(cols, axis=1)


def rel_err(a, b):
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), 1e-300))


def loss_of_params(net, X, y, loss):
    def f(theta):
        net.set_params(theta)
        return net.loss_and_grads(X, y, loss)[0]
    return f


def random_problem(seed, loss):
    """A random net, batch and targets for the given loss."""
    rng = np.random.default_rng(seed)
    depth = rng.integers(1, 4)
    sizes = [int(rng.integers(1, 5))] + [int(rng.integers(1, 6)) for _ in range(depth - 1)]
    k = 3 if loss == "softmax_cross_entropy" else int(rng.integers(1, 4))
    sizes.append(k)
    act = ELEMENTWISE[seed % 4]
    out_act = "identity" if loss != "mse" else ELEMENTWISE[(seed // 4) % 4]
    net = nn.MLP(sizes, activation=act, output_activation=out_act, rng=rng)
    for b in net.b:  # nonzero biases, so their gradients are tested too
        b += rng.normal(scale=0.3, size=b.shape)
    n = int(rng.integers(1, 7))
    X = rng.normal(size=(n, sizes[0]))
    if loss == "mse":
        y = rng.normal(size=(n, k))
    elif loss == "bce_with_logits":
        y = rng.integers(0, 2, size=(n, k)).astype(float)
    else:
        y = rng.integers(0, k, size=n)
    return net, X, y


# --- backpropagation ------------------------------------------------------------------------

@pytest.mark.parametrize("loss", ["mse", "bce_with_logits", "softmax_cross_entropy"])
@pytest.mark.parametrize("seed", range(8))
def test_backward_matches_central_differences(loss, seed):
    net, X, y = random_problem(seed, loss)
    theta = net.get_params()
    value, dW, db = net.loss_and_grads(X, y, loss)
    analytic = net.flatten_grads(dW, db)
    numeric = central_gradient(loss_of_params(net, X, y, loss), theta)
    net.set_params(theta)
    assert rel_err(analytic, numeric) <= 1e-6
    # ... and a gradient 0.1 % off fails the same check
    assert rel_err(1.001 * analytic, numeric) > 1e-6


@pytest.mark.parametrize("seed", range(4))
def test_backward_passes_calclib_check_grad(seed):
    net, X, y = random_problem(seed, "mse")
    f = loss_of_params(net, X, y, "mse")

    def grad(theta):
        net.set_params(theta)
        _, dW, db = net.loss_and_grads(X, y, "mse")
        return net.flatten_grads(dW, db)

    theta = net.get_params()
    assert derivatives.check_grad(f, grad, theta, rng=seed)
    wrong = lambda t: 1.001 * grad(t)  # noqa: E731
    assert not derivatives.check_grad(f, wrong, theta, rng=seed)


def test_backward_is_the_formula_dL_dWij_equals_delta_i_a_j():
    """The entry (i, j) of dW is delta_i * a_j summed over the batch: the index convention."""
    rng = np.random.default_rng(3)
    net = nn.MLP([3, 4, 2], activation="tanh", rng=rng)
    X = rng.normal(size=(5, 3))
    out = net.forward(X)
    dout = rng.normal(size=out.shape)
    dW, db = net.backward(dout)
    # by hand, one loop per index, the way the formula is written
    delta2 = dout                                          # identity output: phi' = 1
    a1 = np.tanh(X @ net.W[0].T + net.b[0])
    delta1 = (delta2 @ net.W[1]) * (1 - a1**2)
    for l, (delta, a_prev) in enumerate([(delta1, X), (delta2, a1)]):
        for i in range(net.W[l].shape[0]):
            for j in range(net.W[l].shape[1]):
                assert_allclose(dW[l][i, j], sum(delta[s, i] * a_prev[s, j] for s in range(5)),
                                rtol=1e-12, atol=1e-14)
            assert_allclose(db[l][i], delta[:, i].sum(), rtol=1e-12, atol=1e-14)
    assert_allclose(net.deltas[0], delta1, rtol=1e-12)
    assert [g.shape for g in dW] == [(4, 3), (2, 4)]


def test_single_sample_forward_and_backward_keep_1d_shapes():
    rng = np.random.default_rng(0)
    net = nn.MLP([3, 4, 2], rng=rng)
    x = rng.normal(size=3)
    out = net.forward(x)
    assert out.shape == (2,)
    assert_allclose(out, net.forward(x[None, :])[0], rtol=1e-15)
    net.forward(x)
    dW, db = net.backward(np.ones(2))
    net.forward(x[None, :])
    dW2, db2 = net.backward(np.ones((1, 2)))
    for a, b in zip(dW + db, dW2 + db2):
        assert_allclose(a, b, rtol=1e-15)


def test_shared_weight_gradient_is_the_sum_of_its_uses():
    """Section 10.1: tie layer 1 and layer 2 of a square net; d/dW of the tied weight is dW1 + dW2."""
    rng = np.random.default_rng(5)
    net = nn.MLP([3, 3, 3], activation="tanh", rng=rng)
    W = net.W[0].copy()
    X, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))

    def loss_tied(w_flat):
        net.W[0] = net.W[1] = w_flat.reshape(3, 3)
        return net.loss_and_grads(X, y, "mse")[0]

    net.W[0] = net.W[1] = W
    _, dW, _ = net.loss_and_grads(X, y, "mse")
    numeric = central_gradient(loss_tied, W.ravel()).reshape(3, 3)
    assert rel_err(dW[0] + dW[1], numeric) <= 1e-6


# --- Jacobians ------------------------------------------------------------------------------

@PROPERTY
@given(seed=st.integers(0, 10_000), act=st.sampled_from(ELEMENTWISE),
       out_act=st.sampled_from(ELEMENTWISE), depth=st.integers(1, 4))
def test_product_of_layer_jacobians_is_the_jacobian_of_forward(seed, act, out_act, depth):
    rng = np.random.default_rng(seed)
    sizes = [int(s) for s in rng.integers(1, 6, size=depth + 1)]
    net = nn.MLP(sizes, activation=act, output_activation=out_act, rng=rng)
    for b in net.b:
        b += rng.normal(scale=0.3, size=b.shape)
    x = rng.normal(size=sizes[0])
    Js = net.layer_jacobians(x)
    assert [J.shape for J in Js] == list(zip(sizes[1:], sizes[:-1]))
    product = Js[0]
    for J in Js[1:]:
        product = J @ product
    numeric = central_jacobian(lambda v: net.forward(v), x)
    assert product.shape == (sizes[-1], sizes[0])
    assert_allclose(product, numeric, rtol=1e-6, atol=1e-8)
    assert_allclose(net.input_jacobian(x), product, rtol=1e-13, atol=1e-15)
    assert_allclose(derivatives.jacobian(net.forward, x), product, rtol=1e-6, atol=1e-8)


def test_layer_jacobians_do_not_touch_the_forward_cache():
    rng = np.random.default_rng(0)
    net = nn.MLP([2, 3, 1], rng=rng)
    X = rng.normal(size=(5, 2))
    net.forward(X)
    net.layer_jacobians(X[0])
    assert net.A[0].shape == (5, 2)
    net.backward(np.ones((5, 1)))


# --- activations and losses -----------------------------------------------------------------

def test_activations_against_closed_forms():
    z = np.linspace(-30, 30, 121)
    assert_allclose(nn.sigmoid(z), scipy.special.expit(z), rtol=1e-14, atol=1e-300)
    assert_allclose(nn.tanh(z), np.tanh(z), rtol=0)
    assert_allclose(nn.relu(z), np.where(z > 0, z, 0.0), rtol=0)
    assert_allclose(nn.identity(z), z, rtol=0)
    assert nn.sigmoid_prime(0.0) == 0.25 and nn.tanh_prime(0.0) == 1.0
    assert nn.relu_prime(0.0) == 0.0 and nn.relu_prime(2.0) == 1.0
    assert np.all(np.isfinite(nn.sigmoid(np.array([-1e6, 1e6]))))


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "identity"])
def test_activation_derivatives_match_differences(name):
    f, fp = getattr(nn, name), getattr(nn, name + "_prime")
    z = np.array([-3.1, -1.2, -0.4, 0.3, 0.9, 2.7])  # away from the kink of relu
    h = 1e-6
    assert_allclose(fp(z), (f(z + h) - f(z - h)) / (2 * h), rtol=1e-8, atol=1e-10)


def test_softmax_and_its_jacobian():
    rng = np.random.default_rng(1)
    z = rng.normal(size=5)
    assert_allclose(nn.softmax(z), scipy.special.softmax(z), rtol=1e-14)
    assert_allclose(nn.softmax(z + 1000.0), scipy.special.softmax(z), rtol=1e-12)
    J = nn.softmax_jacobian(z)
    assert_allclose(J, central_jacobian(nn.softmax, z), rtol=1e-7, atol=1e-10)
    assert_allclose(J.sum(axis=0), 0.0, atol=1e-15)
    Zb = rng.normal(size=(3, 5))
    assert nn.softmax_jacobian(Zb).shape == (3, 5, 5)
    assert_allclose(nn.softmax_jacobian(Zb)[1], nn.softmax_jacobian(Zb[1]), rtol=1e-15)


def test_losses_against_closed_forms_and_scipy():
    rng = np.random.default_rng(2)
    p, y = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    value, grad = nn.mse(p, y)
    assert_allclose(value, np.mean(np.sum((p - y) ** 2, axis=1)), rtol=1e-14)
    assert_allclose(grad, 2 * (p - y) / 6, rtol=1e-14)

    z, t = rng.normal(scale=3, size=7), rng.integers(0, 2, size=7).astype(float)
    q = scipy.special.expit(z)
    value, grad = nn.bce_with_logits(z, t)
    assert_allclose(value, -np.mean(t * np.log(q) + (1 - t) * np.log1p(-q)), rtol=1e-12)
    assert_allclose(grad, (q - t) / 7, rtol=1e-12)
    big, _ = nn.bce_with_logits(np.array([800.0, -800.0]), np.array([0.0, 1.0]))
    assert_allclose(big, 800.0, rtol=1e-15)  # log(1 + e^800) - 0 = 800, no overflow

    Z, labels = rng.normal(size=(4, 3)), np.array([0, 2, 1, 2])
    value, grad = nn.softmax_cross_entropy(Z, labels)
    logp = scipy.special.log_softmax(Z, axis=1)
    assert_allclose(value, -np.mean(logp[np.arange(4), labels]), rtol=1e-13)
    assert_allclose(grad, (np.exp(logp) - np.eye(3)[labels]) / 4, rtol=1e-12, atol=1e-16)
    value2, grad2 = nn.softmax_cross_entropy(Z, np.eye(3)[labels])
    assert_allclose([value2], [value], rtol=1e-15)
    assert_allclose(grad2, grad, rtol=1e-15)


@pytest.mark.parametrize("loss, make_y", [
    (nn.mse, lambda r, s: r.normal(size=s)),
    (nn.bce_with_logits, lambda r, s: r.integers(0, 2, size=s).astype(float)),
])
def test_loss_gradients_match_differences(loss, make_y):
    rng = np.random.default_rng(4)
    z, y = rng.normal(size=(5, 2)), make_y(rng, (5, 2))
    numeric = central_gradient(lambda v: loss(v.reshape(5, 2), y)[0], z.ravel()).reshape(5, 2)
    assert_allclose(loss(z, y)[1], numeric, rtol=1e-7, atol=1e-10)


# --- initialization and depth (section 11.1) ------------------------------------------------

@pytest.mark.parametrize("dist", ["normal", "uniform"])
def test_init_variances(dist):
    rng = np.random.default_rng(0)
    W = nn.xavier_init(300, 500, rng, dist=dist)
    assert W.shape == (500, 300)
    assert_allclose(W.var(), 2 / 800, rtol=0.02)
    assert abs(W.mean()) < 0.002
    H = nn.he_init(400, 300, rng, dist=dist)
    assert H.shape == (300, 400)
    assert_allclose(H.var(), 2 / 400, rtol=0.02)
    if dist == "uniform":
        assert np.max(np.abs(W)) <= np.sqrt(6 / 800)


def _deep(act, scale, depth=20, width=100, seed=1):
    """A deep square net at initialization, a batch, and one backward pass of a random dL/dout."""
    rng = np.random.default_rng(seed)
    net = nn.MLP([width] * (depth + 1), activation=act, output_activation=act, scale=scale, rng=rng)
    out = net.forward(rng.normal(size=(200, width)))
    dW, _ = net.backward(rng.normal(size=out.shape))
    return net, dW


def slope(values):
    """Least-squares slope of log(values) against 0, 1, 2, ... (the per-layer growth rate)."""
    return float(np.polyfit(np.arange(len(values)), np.log(values), 1)[0])


def test_xavier_keeps_the_activation_variance_of_a_deep_linear_net():
    net, _ = _deep("identity", 1.0)
    var = np.array([a.var() for a in net.A])
    assert np.all((var / var[0] > 0.5) & (var / var[0] < 2.0))
    assert abs(slope(var)) < 0.02
    # the same net with weights half as large: the variance falls by 4 per layer
    small, _ = _deep("identity", 0.5)
    assert_allclose(slope([a.var() for a in small.A]), np.log(0.25), rtol=0.05)


def test_xavier_tanh_variance_decays_slowly_not_geometrically():
    # tanh(z)^2 < z^2, so even Xavier loses variance: v -> v - 2v^2, about 1/(2l), a
    # power law; a too-small scale loses it geometrically (a factor 4 per layer)
    net, _ = _deep("tanh", 1.0)
    var = [a.var() for a in net.A]
    assert var[-1] > 0.01 and slope(var[10:]) > -0.1
    small, _ = _deep("tanh", 0.5)
    assert slope([a.var() for a in small.A]) < -1.0


@pytest.mark.parametrize("act, scale, sign", [
    ("identity", 0.5, -1), ("identity", 1.0, 0), ("identity", 2.0, +1),
    ("tanh", 0.5, -1), ("tanh", 2.0, +1),
])
def test_backpropagated_gradient_norms_vanish_or_explode_geometrically(act, scale, sign):
    net, dW = _deep(act, scale)
    # ||dL/dz^(l)|| from the output (l = L) back to the input (l = 1)
    s = slope(nn.gradient_norms(net.deltas)[::-1])
    if sign < 0:
        assert s < -0.5            # shrinks by a constant factor per layer: vanishing
    elif sign > 0:
        assert s > 0.1             # grows by a constant factor per layer: exploding
    else:
        assert abs(s) < 0.02       # Xavier: about constant
    if act == "tanh" and scale == 2.0:
        # saturated units keep the activations bounded, so the weight gradients explode too
        assert slope(nn.gradient_norms(dW)[::-1]) > 0.1


def test_linear_net_weight_gradients_stay_level_while_deltas_vanish():
    # in a linear net dW^(l) = delta^(l) a^(l-1)^T: the backward shrinkage of delta and
    # the forward shrinkage of a cancel, so watch delta, not dW, for vanishing gradients
    net, dW = _deep("identity", 0.5)
    assert abs(slope(nn.gradient_norms(dW)[::-1])) < 0.02
    assert slope(nn.gradient_norms(net.deltas)[::-1]) < -0.5


# --- training -------------------------------------------------------------------------------

def two_moons(n, rng, noise=0.1):
    t = rng.uniform(0, np.pi, n)
    label = rng.integers(0, 2, n)
    x = np.where(label == 0, np.cos(t), 1 - np.cos(t))
    y = np.where(label == 0, np.sin(t), 0.5 - np.sin(t))
    return np.c_[x, y] + noise * rng.normal(size=(n, 2)), label.astype(float)


def test_two_layer_net_learns_two_moons():
    X, y = two_moons(200, np.random.default_rng(0))
    net = nn.MLP([2, 16, 1], activation="tanh", rng=np.random.default_rng(1))
    seen = []
    res = nn.train(net, X, y, loss="bce_with_logits", lr=1.0, max_iter=2000,
                   callback=lambda k, value, _: seen.append(value))
    assert res.history.shape == (res.iterations + 1,) and res.iterations == 2000
    assert res.grad_norms.shape == (2000, 2)
    assert_allclose(res.history[1:], seen, rtol=0)
    assert res.history[0] / res.loss > 50           # the loss falls by a large factor
    assert np.all(np.diff(res.history[:50]) < 0)
    accuracy = np.mean((net.forward(X)[:, 0] > 0) == (y == 1))
    assert accuracy >= 0.98
    # a linear model (no hidden layer) cannot separate the moons
    linear = nn.MLP([2, 1], rng=np.random.default_rng(1))
    nn.train(linear, X, y, loss="bce_with_logits", lr=1.0, max_iter=2000)
    assert np.mean((linear.forward(X)[:, 0] > 0) == (y == 1)) < 0.92


def test_xor_with_softmax_and_mse():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    labels = np.array([0, 1, 1, 0])
    net = nn.MLP([2, 8, 2], activation="tanh", rng=np.random.default_rng(0))
    res = nn.train(net, X, labels, loss="softmax_cross_entropy", lr=0.5, max_iter=3000)
    assert res.history[0] / res.loss > 20
    assert np.array_equal(np.argmax(net.forward(X), axis=1), labels)
    net2 = nn.MLP([2, 8, 1], activation="tanh", rng=np.random.default_rng(0))
    res2 = nn.train(net2, X, labels.astype(float), loss="mse", lr=0.1, max_iter=3000)
    assert res2.history[0] / res2.loss > 20


def test_train_stops_when_converged():
    X = np.array([[1.0], [2.0], [3.0]])
    y = 2 * X[:, 0] - 1
    net = nn.MLP([1, 1], rng=0)
    res = nn.train(net, X, y, loss="mse", lr=0.1, max_iter=10_000, tol=1e-10)
    assert res.converged and res.iterations < 10_000
    assert_allclose([net.W[0][0, 0], net.b[0][0]], [2.0, -1.0], rtol=1e-9)


def test_train_diverging_step_raises():
    X = np.linspace(-3, 3, 10)[:, None]
    net = nn.MLP([1, 1], rng=0)
    with pytest.raises(FloatingPointError, match="step size lr=100.0 is too large"):
        nn.train(net, X, 5 * X[:, 0], lr=100.0, max_iter=1000)


def test_params_round_trip():
    net = nn.MLP([3, 4, 2], rng=0)
    theta = net.get_params()
    assert theta.shape == (net.n_params,) == (3 * 4 + 4 + 4 * 2 + 2,)
    net.set_params(np.arange(net.n_params, dtype=float))
    assert_allclose(net.W[0].ravel(), np.arange(12)) and net.b[0][0] == 12
    net.set_params(theta)
    assert_allclose(net.get_params(), theta, rtol=0)


# --- errors ---------------------------------------------------------------------------------

def test_errors_say_what_to_do():
    net = nn.MLP([2, 3, 1], rng=0)
    with pytest.raises(RuntimeError, match="call forward"):
        net.backward(np.ones((4, 1)))
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 2\)"):
        net.forward(np.ones((4, 3)))
    net.forward(np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"dout must have the shape of the last output, \(4, 1\)"):
        net.backward(np.ones(4))
    with pytest.raises(ValueError, match="non-finite"):
        net.forward(np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match="softmax_cross_entropy"):
        nn.MLP([2, 3], output_activation="softmax")
    with pytest.raises(ValueError, match="activation must be one of"):
        nn.MLP([2, 3], activation="gelu")
    with pytest.raises(ValueError, match="at least an input and an output"):
        nn.MLP([2])
    with pytest.raises(TypeError, match="rng must be"):
        nn.MLP([2, 3], rng="seed")
    with pytest.raises(ValueError, match=r"y.reshape\(-1, 1\)"):
        nn.mse(np.ones((3, 1)), np.ones(3))
    with pytest.raises(ValueError, match=r"labels .* in \[0, 1\]"):
        nn.bce_with_logits(np.zeros(2), np.array([0.0, 2.0]))
    with pytest.raises(ValueError, match=r"whole numbers in 0 .. 2"):
        nn.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="theta must have 13 entries"):
        net.set_params(np.zeros(3))
    with pytest.raises(ValueError, match="dist must be 'normal' or 'uniform'"):
        nn.xavier_init(2, 3, 0, dist="gauss")
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        nn.train(net, np.ones((2, 2)), np.ones(2), lr=-1.0)
    with pytest.raises(ValueError, match="pass one row at a time"):
        net.layer_jacobians(np.ones((2, 2)))
