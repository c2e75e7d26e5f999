"""Networks in the lecture's row notation: ``Dense``, ``MLP``, losses and the XOR net.

Also the layers that are one op each (``softmax``, ``log_softmax``, ``layer_norm``,
``cross_entropy``, ``logsumexp``; see ``diffcheck.nn_functions``).

A layer maps a row (or a design matrix of rows) to a row: ``Z = A W + b`` and
``A_out = act(Z)``, with ``W`` of shape ``(n_in, n_out)`` and the bias ``b`` of shape
``(n_out,)`` broadcast over the batch rows (the lecture's ``B``). Everything here only
*builds* expressions from the op table, so every network and loss is checked by the
same three independent methods as any other expression.

Variable names (what ``at`` mappings and reports use):

- ``Dense(..., name="l1")`` owns ``W_l1`` ``(n_in, n_out)`` and ``b_l1`` ``(n_out,)``;
- ``MLP(sizes, name="net")`` names its layers ``net1``, ``net2``, ... (the lecture's
  ``[1]``, ``[2]``), so it owns ``W_net1``, ``b_net1``, ``W_net2``, ``b_net2``, ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from diffcheck.errors import ShapeError
from diffcheck.ir import Expr, Var, apply, lift
from diffcheck.nn_functions import cross_entropy, layer_norm, log_softmax, logsumexp, softmax

Activation = Callable[[Expr], Expr]
Seed = int | np.random.Generator | None


def _unary(name: str) -> Activation:
    return lambda z: apply(name, z)


def _sum(e: Expr, axis: Any = None) -> Expr:
    return apply("sum", e, axis=axis)


def _mean(e: Expr, axis: Any = None) -> Expr:
    return apply("mean", e, axis=axis)


_exp, _log, _abs = _unary("exp"), _unary("log"), _unary("abs")

ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": _unary("sigmoid"),
    "tanh": _unary("tanh"),
    "relu": _unary("relu"),
    "identity": lambda z: z,
}

# Initial weight scale by activation: Glorot/Xavier keeps sigmoid/tanh (and linear)
# units out of saturation; He compensates for relu zeroing half of its inputs.
INIT_SCHEMES = {"sigmoid": "glorot", "tanh": "glorot", "identity": "glorot", "relu": "he"}


def activation_name(activation: str | None) -> str:
    """The canonical activation name (``None`` means identity); a ValueError lists the allowed."""
    name = "identity" if activation is None else activation
    if not isinstance(name, str) or name not in ACTIVATIONS:
        allowed = ", ".join(repr(a) for a in sorted(ACTIVATIONS))
        raise ValueError(f"unknown activation {activation!r}; choose one of {allowed} (or None)")
    return name


def _as_generator(seed: Seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _positive_int(what: str, n: Any) -> int:
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{what} must be a positive int, got {n!r}")
    return int(n)


# ----- layers -----
class Dense:
    """A fully connected layer in row notation: ``act(A @ W + b)``.

    Args:
        n_in, n_out: units of the layer below and of this layer.
        activation: ``"sigmoid"``, ``"tanh"``, ``"relu"`` or ``"identity"`` (``None``).
        name: suffix of the variables ``W_<name>`` ``(n_in, n_out)`` and ``b_<name>``
            ``(n_out,)``.

    ``layer(A)`` accepts a single row ``(n_in,)`` (giving ``(n_out,)``) or a design
    matrix ``(m, n_in)`` of ``m`` samples (giving ``(m, n_out)``; ``b`` is broadcast over
    the rows). Any other shape is a ``dc.ShapeError``.
    """

    def __init__(self, n_in: int, n_out: int, activation: str | None = "sigmoid", name: str = "l1"):
        self.n_in = _positive_int("n_in", n_in)
        self.n_out = _positive_int("n_out", n_out)
        self.activation = activation_name(activation)
        self.name = name
        self.W = Var(f"W_{name}", (self.n_in, self.n_out))
        self.b = Var(f"b_{name}", (self.n_out,))

    def __call__(self, A: Any) -> Expr:
        """``act(A @ W + b)`` for a row ``(n_in,)`` or a design matrix ``(m, n_in)``."""
        A = lift(A)
        if A.ndim not in (1, 2) or A.shape[-1] != self.n_in:
            raise ShapeError(
                f"Dense {self.name!r}: input of shape {A.shape} does not fit {self.W.name} of shape "
                f"{self.W.shape}; expected ({self.n_in},) or (m, {self.n_in})"
            )
        return ACTIVATIONS[self.activation](A @ self.W + self.b)

    def parameters(self) -> list[Var]:
        """``[W, b]``."""
        return [self.W, self.b]

    def init(self, seed: Seed = None) -> dict[str, np.ndarray]:
        """Initial values: normal weights scaled for the activation, zero bias.

        Glorot/Xavier (std ``sqrt(2 / (n_in + n_out))``) for sigmoid, tanh and identity;
        He (std ``sqrt(2 / n_in)``) for relu. ``seed`` may be an int or a Generator
        (``None`` draws fresh entropy; the global NumPy RNG is never used). With zero
        biases, an all-zero input row puts relu units exactly on their kink at 0.
        """
        rng = _as_generator(seed)
        if INIT_SCHEMES[self.activation] == "he":
            std = np.sqrt(2.0 / self.n_in)
        else:
            std = np.sqrt(2.0 / (self.n_in + self.n_out))
        return {
            self.W.name: rng.normal(0.0, std, size=self.W.shape),
            self.b.name: np.zeros(self.b.shape),
        }

    def __repr__(self) -> str:
        return f"Dense({self.n_in}, {self.n_out}, activation={self.activation!r}, name={self.name!r})"


class MLP:
    """A multi-layer perceptron: ``Dense`` layers ``sizes[0] → sizes[1] → ... → sizes[-1]``.

    Args:
        sizes: units per layer, input first, e.g. ``[2, 2, 1]`` for the XOR net.
        activation: the hidden layers' activation.
        output_activation: the last layer's; ``None`` (identity) gives raw outputs
            (logits), to pair with ``from_logits=True`` or ``softmax_cross_entropy``.
        name: layer ``k`` (1-based, the lecture's ``[k]``) is named ``f"{name}{k}"``.
    """

    def __init__(
        self,
        sizes: list[int] | tuple[int, ...],
        activation: str | None = "sigmoid",
        output_activation: str | None = None,
        name: str = "net",
    ):
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"sizes needs the input size and at least one layer, got {sizes!r}")
        sizes = [_positive_int("every size", n) for n in sizes]
        hidden, last = activation_name(activation), activation_name(output_activation)
        self.sizes = sizes
        self.name = name
        self.layers = [
            Dense(n_in, n_out, hidden if k < len(sizes) - 1 else last, f"{name}{k}")
            for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1)
        ]

    def __call__(self, X: Any) -> Expr:
        """The network's output for a row ``(n_in,)`` or a design matrix ``(m, n_in)``."""
        A = lift(X)
        for layer in self.layers:
            A = layer(A)
        return A

    def parameters(self) -> list[Var]:
        """Every layer's ``W`` and ``b``, first layer first."""
        return [v for layer in self.layers for v in layer.parameters()]

    def init(self, seed: Seed = None) -> dict[str, np.ndarray]:
        """An ``at`` mapping of initial values for every parameter (see ``Dense.init``)."""
        rng = _as_generator(seed)
        at: dict[str, np.ndarray] = {}
        for layer in self.layers:
            at.update(layer.init(rng))
        return at

    def __repr__(self) -> str:
        return f"MLP({self.sizes}, name={self.name!r})"


# ----- losses -----
def _pair(yhat: Any, y: Any, loss: str) -> tuple[Expr, Expr]:
    """Both operands as expressions of one shape; broadcasting a target is a ShapeError."""
    yhat, y = lift(yhat), lift(y)
    if yhat.shape != y.shape:
        raise ShapeError(
            f"{loss}: prediction of shape {yhat.shape} and target of shape {y.shape} differ "
            "(targets must match predictions exactly; broadcasting them hides bugs)"
        )
    return yhat, y


def half_sse(yhat: Any, y: Any) -> Expr:
    """``E = ½ Σ (ŷ − y)²`` over every element: the lecture's error."""
    yhat, y = _pair(yhat, y, "half_sse")
    return 0.5 * _sum((yhat - y) ** 2)


def mse(yhat: Any, y: Any) -> Expr:
    """The mean of ``(ŷ − y)²`` over every element."""
    yhat, y = _pair(yhat, y, "mse")
    return _mean((yhat - y) ** 2)


def softplus(z: Any) -> Expr:
    """``log(1 + exp(z))``, written so it never overflows and its slope is right everywhere.

    ``log(1 + exp(−|z|)) + ½(z + |z|)``: ``exp`` only ever sees ``−|z|``, so no value
    overflows and the slope ``σ(z)`` is accurate for any ``|z|``. ``½(z + |z|)`` rather
    than ``relu(z)`` matters at ``z = 0`` exactly: there the tape's ``|z|`` slope is
    ``sign(0) = 0``, so the pieces give ``½``, the true slope ``σ(0)``; ``relu``'s slope
    at 0 is 0, which would make the gradient of a zero logit wrong.
    """
    z = lift(z)
    # NOTE: the log term comes first and each term has its own |z| node, so the tape
    # cancels ½ − ½ before it adds the tiny slope exp(−|z|)/(1 + exp(−|z|)); that keeps
    # σ(z) relatively accurate far out in the tails (e.g. 4e-18 at z = −40).
    return _log(1.0 + _exp(-_abs(z))) + 0.5 * (z + _abs(z))


def binary_cross_entropy(p: Any, y: Any, from_logits: bool = False) -> Expr:
    """Mean over every element of ``−y log p − (1 − y) log(1 − p)``.

    With ``from_logits=True``, ``p`` is the logit ``z`` (``p = σ(z)``) and the loss is
    ``softplus(z) − y z``, which stays finite and accurate for any ``|z|``. The
    probability form is the lecture's formula; it overflows to ``inf`` once ``σ(z)``
    rounds to 0 or 1 (``|z| ≳ 37``), so train on logits.
    """
    p, y = _pair(p, y, "binary_cross_entropy")
    if from_logits:
        return _mean(softplus(p) - y * p)
    return _mean(-(y * _log(p)) - (1.0 - y) * _log(1.0 - p))


def _columns(z: Expr) -> list[Expr]:
    """The entries of the last axis of ``z`` as expressions (``z @ e_j``)."""
    k = z.shape[-1]
    return [z @ np.eye(k)[j] for j in range(k)]


def _pairwise_max(a: Expr, b: Expr) -> Expr:
    return 0.5 * (a + b + _abs(a - b))


def row_max(z: Any) -> Expr:
    """The maximum over the last axis, from ``max(a, b) = ½(a + b + |a − b|)`` in a tournament.

    The IR has no ``max`` op; this builds one from ``@``, ``+`` and ``abs`` (exact up to
    rounding). Shape: ``z.shape[:-1]``.
    """
    items = _columns(lift(z))
    while len(items) > 1:
        pairs = [_pairwise_max(a, b) for a, b in zip(items[::2], items[1::2])]
        items = pairs + (items[-1:] if len(items) % 2 else [])
    return items[0]


def softmax_cross_entropy(logits: Any, y: Any) -> Expr:
    """Mean over samples (rows) of ``−Σ_k y_k log softmax(z)_k``, for one-hot ``y``.

    Computed as ``−Σ_k y_k · log_softmax(z)_k`` (max-shifted, finite for any ``|z|``);
    ``logits`` and ``y`` have shape ``(k,)`` or ``(m, k)``, and ``y`` may be any
    (soft) targets. For integer class labels use :func:`cross_entropy`.
    """
    z, y = _pair(logits, y, "softmax_cross_entropy")
    if z.ndim not in (1, 2):
        raise ShapeError(f"softmax_cross_entropy: expected logits of shape (k,) or (m, k), got {z.shape}")
    per_sample = -_sum(y * log_softmax(z), axis=-1)
    return per_sample if z.ndim == 1 else _mean(per_sample)


LOSSES: dict[str, Callable[..., Expr]] = {
    "half_sse": half_sse,
    "mse": mse,
    "binary_cross_entropy": binary_cross_entropy,
    "softmax_cross_entropy": softmax_cross_entropy,
}


# ----- the lecture's XOR net -----
XOR_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_TARGETS = np.array([[0.0], [1.0], [1.0], [0.0]])

# Gates as (weight of x1, weight of x2, bias): σ(20·x1 + 20·x2 − 10) is OR, and so on.
GATES: dict[str, tuple[float, float, float]] = {
    "OR": (20.0, 20.0, -10.0),
    "NAND": (-20.0, -20.0, 30.0),
    "AND": (20.0, 20.0, -30.0),
}


class XORNetwork(NamedTuple):
    """The hand-set XOR net; unpacks as ``expr, X, at = xor_network()``.

    Attributes:
        expr: ``σ(σ(X W1 + b1) W2 + b2)``, shape ``(4, 1)``: one output row per input row.
        X: the four inputs ``[[0,0],[0,1],[1,0],[1,1]]`` (a constant inside ``expr``).
        at: the lecture's weights for ``W_xor1, b_xor1, W_xor2, b_xor2``.
    """

    expr: Expr
    X: np.ndarray
    at: dict[str, np.ndarray]


def xor_mlp(logits: bool = False) -> MLP:
    """The XOR architecture ``2 → 2 → 1`` with sigmoid units, layers ``xor1`` and ``xor2``.

    ``logits=True`` leaves the output unsquashed (for training with ``from_logits``);
    both variants own the same variables, so one ``at`` serves both.
    """
    return MLP([2, 2, 1], "sigmoid", output_activation=None if logits else "sigmoid", name="xor")


def gate_weights(*gates: str) -> tuple[np.ndarray, np.ndarray]:
    """``W`` (a column per gate) and ``b`` for a layer of the named gates."""
    table = np.array([GATES[g] for g in gates])
    return table[:, :2].T.copy(), table[:, 2].copy()


def xor_network() -> XORNetwork:
    """The lecture's XOR net: hidden layer ``[OR, NAND]``, output ``AND`` of the two.

    ``round(dc.evaluate(expr, at))`` is ``[[0], [1], [1], [0]]``.
    """
    net = xor_mlp()
    W1, b1 = gate_weights("OR", "NAND")
    W2, b2 = gate_weights("AND")
    at = {"W_xor1": W1, "b_xor1": b1, "W_xor2": W2, "b_xor2": b2}
    return XORNetwork(net(XOR_INPUTS), XOR_INPUTS.copy(), at)


def gate(name: str, x1: Any, x2: Any) -> Expr:
    """One lecture gate as an expression: ``σ(w1·x1 + w2·x2 + b)``."""
    w1, w2, b = GATES[name]
    return ACTIVATIONS["sigmoid"](w1 * lift(x1) + w2 * lift(x2) + b)


__all__ = [
    "ACTIVATIONS", "Dense", "GATES", "LOSSES", "MLP", "XORNetwork", "XOR_INPUTS", "XOR_TARGETS",
    "activation_name", "binary_cross_entropy", "cross_entropy", "gate", "gate_weights", "half_sse",
    "layer_norm", "log_softmax", "logsumexp", "mse", "row_max", "softmax", "softmax_cross_entropy",
    "softplus", "xor_mlp", "xor_network",
]
