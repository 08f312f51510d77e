r"""A small multilayer perceptron whose forward and backward passes are written out.

Sections 3.4 (the chain rule and backpropagation), 10.1 (gradients of shared weights add
up) and 11.1 (vanishing and exploding gradients). Like micrograd, the whole engine is
meant to be read in one sitting; unlike micrograd it works a layer at a time, so each
formula of the chapter is one line of code.

Conventions
-----------
A batch of inputs is a matrix ``X`` of shape ``(N, d)`` (N examples, d features): rows are
samples, as everywhere in calclib (and in numpy and scikit-learn). A network with layer
sizes ``[n_0, n_1, ..., n_L]`` has ``L`` layers; layer ``l`` (``l = 1 .. L``) owns

- ``W[l-1]`` of shape ``(n_l, n_{l-1})`` (outputs by inputs, as in ``torch.nn.Linear``),
- ``b[l-1]`` of shape ``(n_l,)``

(Python lists count from 0, so ``net.W[0]`` is layer 1). For one sample :math:`x`,

.. math::

   a^{(0)} = x, \qquad z^{(l)} = W^{(l)} a^{(l-1)} + b^{(l)}, \qquad
   a^{(l)} = \varphi_l\big(z^{(l)}\big),

so :math:`W^{(l)}_{ij}` is the weight **from** unit :math:`j` of layer :math:`l-1`
**to** unit :math:`i` of layer :math:`l`. The layer Jacobian
:math:`\partial a^{(l)}/\partial a^{(l-1)} = \operatorname{diag}(\varphi_l'(z^{(l)}))\,W^{(l)}`
then has shape ``(n_l, n_{l-1})``: the ``(m, n)`` convention of
``calclib.derivatives.jacobian``, and the end-to-end Jacobian is the product of the layer
Jacobians in the order the layers are applied, read right to left.

Backpropagation (section 3.4) with :math:`\delta^{(l)} = \partial L/\partial z^{(l)}`:

.. math::

   \delta^{(L)} = \frac{\partial L}{\partial a^{(L)}} \odot \varphi_L'(z^{(L)}), \qquad
   \delta^{(l-1)} = \big(W^{(l)\mathsf T}\delta^{(l)}\big) \odot \varphi_{l-1}'(z^{(l-1)}),

.. math::

   \frac{\partial L}{\partial W^{(l)}_{ij}} = \delta^{(l)}_i\, a^{(l-1)}_j, \qquad
   \frac{\partial L}{\partial b^{(l)}_i} = \delta^{(l)}_i .

The notes write the same formula with the indices named the other way round: their
:math:`w^{(l)}_{ij}` goes from unit :math:`i` of layer :math:`l` to unit :math:`j` of
layer :math:`l+1` (our ``W[l][j, i]``), and their three factors
:math:`\frac{\partial L}{\partial a_j}\frac{\partial a_j}{\partial z_j}\frac{\partial z_j}{\partial w_{ij}}`
are :math:`\delta_j \cdot a_i`. For a batch the per-sample gradients are summed:
``dW = delta.T @ A_prev`` and ``db = delta.sum(axis=0)``; the losses below already
divide by the number of samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import _as_float_array, as_callable, as_int, as_positive, as_rng, as_vector

__all__ = [
    "sigmoid", "sigmoid_prime", "tanh", "tanh_prime", "relu", "relu_prime",
    "identity", "identity_prime", "softmax", "softmax_jacobian", "ACTIVATIONS",
    "xavier_init", "he_init",
    "mse", "bce_with_logits", "softmax_cross_entropy", "LOSSES",
    "MLP", "TrainResult", "train", "gradient_norms",
]


# --- activations ------------------------------------------------------------------------
# The raw formulas (no argument checks) are used inside the network; the public functions
# check their argument first.

def _sigmoid(z):
    # 1/(1+e^{-z}) from e = e^{-|z|} <= 1: never overflows, and keeps full relative
    # accuracy in both tails (0.5*(1 + tanh(z/2)) would cancel for z << 0)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def _sigmoid_prime(z):
    # sigma(z)(1 - sigma(z)) = e/(1+e)^2 with e = e^{-|z|}: symmetric, no cancellation
    e = np.exp(-np.abs(z))
    return e / (1.0 + e) ** 2


def _tanh_prime(z):
    return 1.0 - np.tanh(z) ** 2


def _relu(z):
    return np.maximum(z, 0.0)


def _relu_prime(z):
    return (z > 0).astype(float)


#: name -> (phi, phi'), both applied elementwise to the pre-activation z.
ACTIVATIONS = {
    "sigmoid": (_sigmoid, _sigmoid_prime),
    "tanh": (np.tanh, _tanh_prime),
    "relu": (_relu, _relu_prime),
    "identity": (lambda z: z, np.ones_like),
}


def sigmoid(z) -> np.ndarray:
    r"""The logistic function :math:`\sigma(z) = 1/(1 + e^{-z})`, elementwise.

    Shape: any shape to the same shape. Computed from :math:`e^{-|z|}`, which never
    overflows and keeps full relative accuracy in both tails. Saturates for large
    :math:`|z|` (section 11.1). Section 3.4.
    """
    return _sigmoid(_as_float_array(z, "z"))


def sigmoid_prime(z) -> np.ndarray:
    r"""The derivative :math:`\sigma'(z) = \sigma(z)(1 - \sigma(z))`, elementwise; at most 1/4.

    Shape: any shape to the same shape. Section 3.4, 11.1.
    """
    return _sigmoid_prime(_as_float_array(z, "z"))


def tanh(z) -> np.ndarray:
    r"""The hyperbolic tangent :math:`\tanh z`, elementwise. Any shape to the same shape. Section 3.4."""
    return np.tanh(_as_float_array(z, "z"))


def tanh_prime(z) -> np.ndarray:
    r"""The derivative :math:`\tanh'(z) = 1 - \tanh^2 z`, elementwise; equal to 1 at 0. Section 3.4."""
    return _tanh_prime(_as_float_array(z, "z"))


def relu(z) -> np.ndarray:
    r"""The rectified linear unit :math:`\max(z, 0)`, elementwise. Section 3.4."""
    return _relu(_as_float_array(z, "z"))


def relu_prime(z) -> np.ndarray:
    r"""The derivative of ReLU: 1 where :math:`z > 0`, else 0.

    ReLU has no derivative at :math:`z = 0`; like the deep-learning libraries we use the
    subgradient 0 there. Section 3.4.
    """
    return _relu_prime(_as_float_array(z, "z"))


def identity(z) -> np.ndarray:
    r"""The identity :math:`\varphi(z) = z`: a linear layer (and the usual output layer). Section 3.4."""
    return _as_float_array(z, "z").copy()


def identity_prime(z) -> np.ndarray:
    r"""The derivative of the identity: an array of ones with the shape of ``z``. Section 3.4."""
    return np.ones_like(_as_float_array(z, "z"))


def softmax(z, axis: int = -1) -> np.ndarray:
    r""":math:`\operatorname{softmax}(z)_k = e^{z_k} / \sum_c e^{z_c}` along ``axis``.

    Shape: ``(k,)`` to ``(k,)``, or ``(n, k)`` to ``(n, k)`` (one distribution per row).
    The maximum is subtracted first, which changes nothing mathematically and prevents
    overflow. Unlike the other activations softmax mixes its inputs, so its derivative is
    a matrix: see :func:`softmax_jacobian`. Section 3.4.
    """
    z = _as_float_array(z, "z")
    if z.ndim == 0:
        raise ValueError("z must have at least one axis (a vector of scores), got a scalar")
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_jacobian(z) -> np.ndarray:
    r"""The Jacobian of softmax, :math:`\partial s_i/\partial z_j = s_i(\delta_{ij} - s_j)`.

    That is :math:`\operatorname{diag}(s) - s s^{\mathsf T}` with :math:`s =
    \operatorname{softmax}(z)`. Shape: ``(k,)`` to ``(k, k)``; a batch ``(n, k)`` gives
    ``(n, k, k)``. Its rows sum to 0 (the outputs always sum to 1). Section 3.4.
    """
    z = _as_float_array(z, "z")
    if z.ndim not in (1, 2):
        raise ValueError(f"z must be a vector (k,) or a batch (n, k), got shape {z.shape}")
    s = softmax(z)
    return s[..., :, None] * np.eye(z.shape[-1]) - s[..., :, None] * s[..., None, :]


# --- initialization ---------------------------------------------------------------------

def _init(fan_in, fan_out, rng, dist, variance_of, who):
    fan_in = as_int(fan_in, "fan_in", minimum=1)
    fan_out = as_int(fan_out, "fan_out", minimum=1)
    rng = as_rng(rng)
    var = variance_of(fan_in, fan_out)
    if dist == "normal":
        return rng.normal(0.0, np.sqrt(var), size=(fan_out, fan_in))
    if dist == "uniform":
        # U(-a, a) has variance a^2/3
        a = np.sqrt(3.0 * var)
        return rng.uniform(-a, a, size=(fan_out, fan_in))
    raise ValueError(f"dist must be 'normal' or 'uniform', got {dist!r} (in {who})")


def xavier_init(fan_in, fan_out, rng, dist: str = "normal") -> np.ndarray:
    r"""Glorot/Xavier initial weights: zero mean, variance :math:`2/(n_{in} + n_{out})`.

    Parameters
    ----------
    fan_in, fan_out : int
        Number of inputs and outputs of the layer.
    rng : numpy.random.Generator
        Source of randomness, e.g. ``np.random.default_rng(0)`` (an int seed also works).
    dist : {"normal", "uniform"}
        ``"normal"``: :math:`N(0, 2/(n_{in}+n_{out}))`; ``"uniform"``:
        :math:`U(-a, a)` with :math:`a = \sqrt{6/(n_{in}+n_{out})}` (same variance).

    Returns
    -------
    W : ndarray of shape (fan_out, fan_in)

    Notes
    -----
    The variance is the compromise between :math:`1/n_{in}` (keeps the variance of the
    activations constant going forward through a linear or tanh layer) and
    :math:`1/n_{out}` (keeps the variance of the gradients constant going backward).
    Section 11.1.
    """
    return _init(fan_in, fan_out, rng, dist, lambda i, o: 2.0 / (i + o), "xavier_init")


def he_init(fan_in, fan_out, rng, dist: str = "normal") -> np.ndarray:
    r"""He/Kaiming initial weights for ReLU layers: zero mean, variance :math:`2/n_{in}`.

    Parameters
    ----------
    fan_in, fan_out : int
        Number of inputs and outputs of the layer.
    rng : numpy.random.Generator
        Source of randomness, e.g. ``np.random.default_rng(0)`` (an int seed also works).
    dist : {"normal", "uniform"}
        ``"normal"``: :math:`N(0, 2/n_{in})`; ``"uniform"``: :math:`U(-a, a)` with
        :math:`a = \sqrt{6/n_{in}}` (same variance).

    Returns
    -------
    W : ndarray of shape (fan_out, fan_in)

    Notes
    -----
    ReLU zeroes half of a symmetric input, halving its second moment; the factor 2
    compensates, so the activations neither shrink nor grow with depth. Section 11.1.
    """
    return _init(fan_in, fan_out, rng, dist, lambda i, o: 2.0 / i, "he_init")


# --- losses -----------------------------------------------------------------------------
# Each loss returns (value, gradient with respect to its first argument). The value is a
# mean over the n samples, so the gradient carries the factor 1/n.

def _pred_and_target(pred, y, name_pred="pred"):
    pred = _as_float_array(pred, name_pred)
    y = _as_float_array(y, "y")
    if pred.ndim not in (1, 2) or pred.size == 0:
        raise ValueError(
            f"{name_pred} must be a vector (n,) or a matrix (n, k) with one row per sample, "
            f"got shape {pred.shape}"
        )
    if y.shape != pred.shape:
        hint = ""
        if y.ndim == 1 and pred.shape == (y.size, 1):
            hint = "; use y.reshape(-1, 1) (one target column)"
        elif pred.ndim == 1 and y.shape == (pred.size, 1):
            hint = "; use y.ravel()"
        raise ValueError(
            f"y must have the shape of {name_pred}, {pred.shape}, got {y.shape}{hint} "
            "(no broadcasting: (n,) against (n, 1) would compare every pair of samples)"
        )
    return pred, y


def mse(pred, y):
    r"""Mean squared error :math:`L = \frac1n \sum_{s=1}^n \lVert \hat y_s - y_s \rVert^2` and its gradient.

    Parameters
    ----------
    pred, y : array of shape (n,) or (n, k)
        Predictions and targets, one row per sample; the shapes must match exactly.

    Returns
    -------
    loss : float
    grad : ndarray, shape of ``pred``
        :math:`\partial L/\partial \hat y = \frac2n (\hat y - y)`.

    Notes
    -----
    Section 3.2 (linear regression), 3.4.
    """
    pred, y = _pred_and_target(pred, y)
    n = pred.shape[0]
    r = pred - y
    return float(np.sum(r * r) / n), 2.0 * r / n


def bce_with_logits(z, y):
    r"""Binary cross-entropy of labels ``y`` under :math:`p = \sigma(z)`, from the logits ``z``.

    .. math::

       L = -\frac1n \sum_s \big[y_s \log \sigma(z_s) + (1-y_s)\log(1-\sigma(z_s))\big]
         = \frac1n \sum_s \big[\log(1 + e^{z_s}) - y_s z_s\big].

    Parameters
    ----------
    z : array of shape (n,) or (n, k)
        Logits (the output of a linear last layer), not probabilities.
    y : array, shape of ``z``
        Labels in [0, 1] (usually 0 or 1).

    Returns
    -------
    loss : float
    grad : ndarray, shape of ``z``
        :math:`\partial L/\partial z = \frac1n(\sigma(z) - y)`.

    Notes
    -----
    The second form, with :math:`\log(1+e^z)` computed by ``np.logaddexp(0, z)``, never
    takes the log of 0, so large logits are safe. Section 3.4, 11.3.
    """
    z, y = _pred_and_target(z, y, "z")
    if np.any((y < 0) | (y > 1)):
        raise ValueError("y must hold labels (or probabilities) in [0, 1]")
    n = z.shape[0]
    loss = np.sum(np.logaddexp(0.0, z) - y * z) / n
    return float(loss), (_sigmoid(z) - y) / n


def softmax_cross_entropy(Z, y):
    r"""Cross-entropy of class labels under :math:`\operatorname{softmax}(Z)`, from logits ``Z``.

    .. math::

       L = \frac1n \sum_s \Big[\log\sum_c e^{Z_{sc}} - \sum_c Y_{sc} Z_{sc}\Big]
         = -\frac1n \sum_s \log \operatorname{softmax}(Z_s)_{y_s} \text{ for one-hot } Y.

    Parameters
    ----------
    Z : array of shape (n, k)
        Logits, one row per sample and one column per class.
    y : array of shape (n,) or (n, k)
        Integer class labels in ``0 .. k-1``, or one row of class probabilities
        (e.g. one-hot) per sample.

    Returns
    -------
    loss : float
    grad : ndarray of shape (n, k)
        :math:`\partial L/\partial Z = \frac1n(\operatorname{softmax}(Z) - Y)`.

    Notes
    -----
    Section 3.4, 4.3 (softmax), 11.3.
    """
    Z = _as_float_array(Z, "Z")
    if Z.ndim != 2 or Z.size == 0:
        raise ValueError(f"Z must be a matrix (n, k) of logits, one row per sample, got shape {Z.shape}")
    n, k = Z.shape
    y = _as_float_array(y, "y")
    if y.shape == (n,):
        if np.any(y != np.round(y)) or np.any(y < 0) or np.any(y >= k):
            raise ValueError(f"integer labels y must be whole numbers in 0 .. {k - 1} (Z has {k} columns)")
        Y = np.eye(k)[y.astype(int)]
    elif y.shape == (n, k):
        if np.any(y < 0) or not np.allclose(y.sum(axis=1), 1.0):
            raise ValueError("each row of y must be a probability vector (>= 0, summing to 1), e.g. one-hot")
        Y = y
    else:
        raise ValueError(f"y must be labels of shape ({n},) or one-hot rows of shape ({n}, {k}), got {y.shape}")
    m = Z.max(axis=1, keepdims=True)
    logsumexp = m[:, 0] + np.log(np.sum(np.exp(Z - m), axis=1))
    loss = np.sum(logsumexp - np.sum(Y * Z, axis=1)) / n
    return float(loss), (softmax(Z) - Y) / n


#: name -> loss function returning (value, gradient with respect to the network output).
LOSSES = {"mse": mse, "bce_with_logits": bce_with_logits, "softmax_cross_entropy": softmax_cross_entropy}


def gradient_norms(arrays) -> np.ndarray:
    r"""The Frobenius norm :math:`\lVert G_l\rVert_F` of each array in a list: shape ``(len(arrays),)``.

    Use it on the ``dW`` returned by :meth:`MLP.backward`, or on ``net.deltas`` (the
    signals :math:`\partial L/\partial z^{(l)}`), and plot on a log axis: a straight line
    means geometric growth or decay with depth. Section 11.1.
    """
    return np.array([float(np.linalg.norm(np.asarray(g, dtype=float))) for g in arrays])


# --- the network ------------------------------------------------------------------------

class MLP:
    r"""A fully connected network with explicit forward and backward passes.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths ``[n_0, n_1, ..., n_L]``: ``n_0`` inputs, ``n_L`` outputs, at least
        two entries.
    activation : {"tanh", "sigmoid", "relu", "identity"}
        :math:`\varphi` of the hidden layers.
    output_activation : {"identity", "tanh", "sigmoid", "relu"}
        :math:`\varphi_L` of the last layer. Keep ``"identity"`` (logits) with
        :func:`bce_with_logits` and :func:`softmax_cross_entropy`, which apply the
        sigmoid/softmax themselves.
    init : {"xavier", "he"}
        :func:`xavier_init` or :func:`he_init` for the weights; biases start at 0.
    scale : float
        Multiplies every initial weight (1 is the standard initialization). Section 11.1
        uses ``scale < 1`` and ``scale > 1`` to make gradients vanish or explode.
    dist : {"normal", "uniform"}
        Distribution of the initial weights.
    rng : numpy.random.Generator or int
        Source of randomness (``np.random.default_rng(seed)``).

    Attributes
    ----------
    W, b : list of ndarray
        ``W[l-1]`` has shape ``(n_l, n_{l-1})``, ``b[l-1]`` shape ``(n_l,)``.
    Z, A : list of ndarray
        Cached by :meth:`forward`: ``Z[l-1]`` is :math:`z^{(l)}` (n, n_l) and ``A[l]`` is
        :math:`a^{(l)}` (n, n_l), with ``A[0] = X``.
    deltas : list of ndarray
        Set by :meth:`backward`: ``deltas[l-1]`` is :math:`\delta^{(l)} = \partial L/\partial z^{(l)}`.

    Notes
    -----
    Section 3.4 (backpropagation), 11.1 (depth, initialization).
    """

    def __init__(self, sizes, activation="tanh", output_activation="identity", init="xavier",
                 scale=1.0, dist="normal", rng=None):
        try:
            sizes = [as_int(s, "each layer size", minimum=1) for s in sizes]
        except TypeError as exc:
            raise TypeError(f"sizes must be a list of layer widths such as [2, 8, 1] ({exc})") from None
        if len(sizes) < 2:
            raise ValueError(f"sizes needs at least an input and an output width, e.g. [2, 1]; got {sizes}")
        for name, act in (("activation", activation), ("output_activation", output_activation)):
            if act not in ACTIVATIONS:
                hint = ""
                if act == "softmax":
                    hint = ("; keep the output linear ('identity') and use softmax_cross_entropy, "
                            "which applies softmax to the logits")
                raise ValueError(f"{name} must be one of {sorted(ACTIVATIONS)}, got {act!r}{hint}")
        inits = {"xavier": xavier_init, "he": he_init}
        if init not in inits:
            raise ValueError(f"init must be 'xavier' or 'he', got {init!r}")
        scale = as_positive(scale, "scale")
        rng = as_rng(rng)
        self.sizes = sizes
        self.activation, self.output_activation = activation, output_activation
        self.W = [scale * inits[init](n_in, n_out, rng, dist) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        self.b = [np.zeros(n_out) for n_out in sizes[1:]]
        self._phis = [ACTIVATIONS[activation]] * (len(sizes) - 2) + [ACTIVATIONS[output_activation]]
        self.Z, self.A, self.deltas = None, None, None
        self._single = False  # whether the last forward() got one sample (n_0,)

    def __repr__(self):
        return (f"MLP(sizes={self.sizes}, activation={self.activation!r}, "
                f"output_activation={self.output_activation!r})")

    @property
    def n_layers(self) -> int:
        """The number of layers ``L`` (weight matrices)."""
        return len(self.W)

    @property
    def n_params(self) -> int:
        """The number of parameters: all weights and biases."""
        return sum(W.size + b.size for W, b in zip(self.W, self.b))

    # -- forward ------------------------------------------------------------------------
    def _check_input(self, X):
        X = _as_float_array(X, "X")
        n0 = self.sizes[0]
        if X.ndim == 1 and X.shape == (n0,):
            return X[None, :], True
        if X.ndim == 2 and X.shape[1] == n0 and X.shape[0] >= 1:
            return X, False
        raise ValueError(
            f"X must have shape (n_samples, {n0}) (or ({n0},) for one sample) to match the "
            f"input width {n0}, got {X.shape}"
        )

    def _forward(self, X):
        A, Z = [X], []
        for W, b, (phi, _) in zip(self.W, self.b, self._phis):
            z = A[-1] @ W.T + b            # z^(l) = W^(l) a^(l-1) + b^(l), one row per sample
            Z.append(z)
            A.append(phi(z))               # a^(l) = phi(z^(l))
        return A, Z

    def forward(self, X) -> np.ndarray:
        r"""The network output :math:`a^{(L)}` for the inputs ``X``, caching every layer.

        Shape: ``(n, n_0)`` to ``(n, n_L)``; a single sample ``(n_0,)`` gives ``(n_L,)``.
        Stores ``self.Z`` (pre-activations) and ``self.A`` (activations) for
        :meth:`backward`. Section 3.4.
        """
        X, single = self._check_input(X)
        self.A, self.Z = self._forward(X)
        self._single = single
        self.deltas = None
        return self.A[-1][0].copy() if single else self.A[-1].copy()

    __call__ = forward

    # -- backward -----------------------------------------------------------------------
    def backward(self, dout):
        r"""Backpropagate :math:`\partial L/\partial a^{(L)}` through the last :meth:`forward`.

        Parameters
        ----------
        dout : array, shape of the last output
            :math:`\partial L/\partial a^{(L)}`, e.g. the gradient returned by a loss.

        Returns
        -------
        dW : list of ndarray
            ``dW[l-1]`` has the shape of ``W[l-1]``, ``(n_l, n_{l-1})``, with entries
            :math:`\partial L/\partial W^{(l)}_{ij} = \sum_{s} \delta^{(l)}_{si}\, a^{(l-1)}_{sj}`
            (summed over the samples ``s`` of the batch).
        db : list of ndarray
            ``db[l-1]`` of shape ``(n_l,)``: :math:`\sum_s \delta^{(l)}_{si}`.

        Notes
        -----
        Also sets ``self.deltas``. The recursion is written out in the module docstring.
        Section 3.4.
        """
        if self.A is None:
            raise RuntimeError("call forward(X) before backward(dout): backward reuses its cached z and a")
        dout = _as_float_array(dout, "dout")
        out = self.A[-1][0] if self._single else self.A[-1]
        if dout.shape != out.shape:
            raise ValueError(
                f"dout must have the shape of the last output, {out.shape} (dL/d output, one "
                f"entry per output), got {dout.shape}"
            )
        dout = dout.reshape(self.A[-1].shape)
        L = self.n_layers
        dW, db, deltas = [None] * L, [None] * L, [None] * L
        delta = dout * self._phis[-1][1](self.Z[-1])         # delta^(L) = dL/da^(L) * phi'(z^(L))
        for l in range(L - 1, -1, -1):                        # layer l+1 in the formulas
            deltas[l] = delta
            dW[l] = delta.T @ self.A[l]                       # dL/dW_ij = delta_i a_j, summed over samples
            db[l] = delta.sum(axis=0)
            if l > 0:
                delta = (delta @ self.W[l]) * self._phis[l - 1][1](self.Z[l - 1])  # (W^T delta) * phi'(z)
        self.deltas = deltas
        return dW, db

    def loss_and_grads(self, X, y, loss="mse"):
        """Forward, loss and backward in one call: returns ``(loss_value, dW, db)``.

        ``loss`` is a name in :data:`LOSSES` or a function ``(output, y) -> (value,
        d value/d output)``. A 1-D ``y`` of length n is taken as one column when the
        network has one output. Section 3.4.
        """
        loss_fn = self._loss_fn(loss)
        out = self.forward(X)
        y = _as_float_array(y, "y")
        if out.ndim == 2 and out.shape[1] == 1 and y.shape == (out.shape[0],):
            y = y[:, None]
        value, dout = loss_fn(out, y)
        dW, db = self.backward(dout)
        return value, dW, db

    @staticmethod
    def _loss_fn(loss):
        if isinstance(loss, str):
            if loss not in LOSSES:
                raise ValueError(f"loss must be one of {sorted(LOSSES)} or a function, got {loss!r}")
            return LOSSES[loss]
        return as_callable(loss, "loss")

    # -- Jacobians (section 11.1) ---------------------------------------------------------
    def layer_jacobians(self, x) -> list:
        r"""The layer Jacobians :math:`J_l = \partial a^{(l)}/\partial a^{(l-1)}` at one input.

        .. math:: J_l = \operatorname{diag}\big(\varphi_l'(z^{(l)})\big)\, W^{(l)}

        Parameters
        ----------
        x : array of shape (n_0,)
            One input (not a batch).

        Returns
        -------
        list of ndarray
            ``J[l-1]`` has shape ``(n_l, n_{l-1})``. Their product
            ``J[L-1] @ ... @ J[0]`` is the Jacobian of :meth:`forward` at ``x``, shape
            ``(n_L, n_0)`` (see :meth:`input_jacobian`): the chain rule of section 3.4,
            and the product whose norm grows or decays geometrically with depth in
            section 11.1. Does not touch the cache of :meth:`forward`.
        """
        x = as_vector(x, "x")
        if x.shape != (self.sizes[0],):
            raise ValueError(f"x must be one input of shape ({self.sizes[0]},), got {x.shape}; "
                             "layer_jacobians works on a single sample")
        _, Z = self._forward(x[None, :])
        return [phi_prime(z[0])[:, None] * W for W, z, (_, phi_prime) in zip(self.W, Z, self._phis)]

    def input_jacobian(self, x) -> np.ndarray:
        r"""The end-to-end Jacobian :math:`\partial a^{(L)}/\partial x = J_L \cdots J_1` at one input.

        Shape ``(n_0,)`` to ``(n_L, n_0)``; see :meth:`layer_jacobians`. Section 3.4.
        """
        J = np.eye(self.sizes[0])
        for Jl in self.layer_jacobians(x):
            J = Jl @ J
        return J

    # -- parameters as one flat vector (for gradient checks) ---------------------------
    def get_params(self) -> np.ndarray:
        """All parameters as one vector, in the order ``W[0].ravel(), b[0], W[1].ravel(), b[1], ...``."""
        return np.concatenate([p.ravel() for W, b in zip(self.W, self.b) for p in (W, b)])

    def set_params(self, theta) -> None:
        """Load a vector laid out as by :meth:`get_params`; clears the cached forward pass."""
        theta = as_vector(theta, "theta")
        if theta.shape != (self.n_params,):
            raise ValueError(f"theta must have {self.n_params} entries (net.n_params), got {theta.size}")
        k = 0
        for l, (W, b) in enumerate(zip(self.W, self.b)):
            self.W[l] = theta[k:k + W.size].reshape(W.shape).copy()
            k += W.size
            self.b[l] = theta[k:k + b.size].copy()
            k += b.size
        self.Z, self.A, self.deltas = None, None, None

    def flatten_grads(self, dW, db) -> np.ndarray:
        """The gradients of :meth:`backward` as one vector laid out like :meth:`get_params`."""
        if len(dW) != self.n_layers or len(db) != self.n_layers:
            raise ValueError(f"dW and db must each hold {self.n_layers} arrays (one per layer)")
        parts = []
        for l, (gW, gb) in enumerate(zip(dW, db)):
            gW, gb = np.asarray(gW, dtype=float), np.asarray(gb, dtype=float)
            if gW.shape != self.W[l].shape or gb.shape != self.b[l].shape:
                raise ValueError(f"layer {l + 1}: expected dW {self.W[l].shape} and db {self.b[l].shape}, "
                                 f"got {gW.shape} and {gb.shape}")
            parts += [gW.ravel(), gb]
        return np.concatenate(parts)


# --- training ---------------------------------------------------------------------------

@dataclass
class TrainResult:
    r"""What :func:`train` returns.

    Attributes
    ----------
    net : MLP
        The trained network (the same object that was passed in, updated in place).
    loss : float
        The loss at the final parameters.
    history : ndarray of shape (iterations + 1,)
        The loss before each step and after the last one.
    grad_norms : ndarray of shape (iterations, L)
        :math:`\lVert \partial L/\partial W^{(l)}\rVert_F` for each step and layer.
    iterations : int
        Steps taken.
    converged : bool
        Whether the full gradient norm fell below ``tol``.
    """

    net: MLP
    loss: float
    history: np.ndarray
    grad_norms: np.ndarray
    iterations: int
    converged: bool


def train(net, X, y, loss="mse", lr=0.1, max_iter=1000, tol=1e-8, callback=None) -> TrainResult:
    r"""Full-batch gradient descent :math:`\theta \leftarrow \theta - \alpha \nabla_\theta L(\theta)` on ``net``.

    Parameters
    ----------
    net : MLP
        Updated in place.
    X : array of shape (n, n_0)
    y : array
        Targets, in the form the loss expects (see :data:`LOSSES`).
    loss : str or callable
        ``"mse"``, ``"bce_with_logits"``, ``"softmax_cross_entropy"``, or a function
        ``(output, y) -> (value, gradient)``.
    lr : float
        Step size :math:`\alpha > 0`.
    max_iter : int
        Maximum number of steps.
    tol : float
        Stop when :math:`\lVert\nabla_\theta L\rVert_2 \le` ``tol``.
    callback : callable, optional
        Called after each step as ``callback(k, loss_value, net)``.

    Returns
    -------
    TrainResult

    Notes
    -----
    Section 3.2 (gradient descent), 3.4 (backpropagation), 11.1.
    """
    if not isinstance(net, MLP):
        raise TypeError(f"net must be an MLP, got {type(net).__name__}")
    lr = as_positive(lr, "lr")
    tol = as_positive(tol, "tol")
    max_iter = as_int(max_iter, "max_iter", minimum=0)
    if callback is not None:
        as_callable(callback, "callback")
    value, dW, db = net.loss_and_grads(X, y, loss)
    history, norms, converged, k = [value], [], False, 0
    while True:
        if np.linalg.norm(net.flatten_grads(dW, db)) <= tol:
            converged = True
            break
        if k == max_iter:
            break
        norms.append(gradient_norms(dW))
        for l in range(net.n_layers):
            net.W[l] = net.W[l] - lr * dW[l]
            net.b[l] = net.b[l] - lr * db[l]
        k += 1
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
            value, dW, db = net.loss_and_grads(X, y, loss)
        if not np.isfinite(value):
            raise FloatingPointError(
                f"the loss became {value} after {k} steps: the step size lr={lr} is too large; "
                "try a smaller one"
            )
        history.append(value)
        if callback is not None:
            callback(k, value, net)
    return TrainResult(net=net, loss=float(value), history=np.array(history),
                       grad_norms=np.array(norms).reshape(len(norms), net.n_layers),
                       iterations=k, converged=converged)
