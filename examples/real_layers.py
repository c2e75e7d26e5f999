"""The backward pass of five real layers, each checked three ways and against a hand-written one.

Softmax with cross-entropy over integer labels, layer norm, batched scaled dot-product
attention, an RNN cell over a concatenation, and a Gaussian log-likelihood with
``slogdet``/``solve``. For each layer diffcheck checks SymPy = tape = numeric, then checks
a backward pass written by hand in NumPy (the kind people put in a custom autograd
function) as a claimed gradient, and shows that a typical slip in it is caught.

    python examples/real_layers.py [--seed 0] [--layer NAME]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

import numpy as np

import diffcheck as dc


class Layer(NamedTuple):
    """A scalar loss through one layer, the variable its hand-written backward is for,
    that backward (a function of the variables' values), and the same with a slip."""

    title: str
    loss: dc.Expr
    wrt: dc.Var
    backward: Callable[..., np.ndarray]
    slip: Callable[..., np.ndarray]
    slip_is: str


def softmax_rows(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_cross_entropy(rng: np.random.Generator) -> Layer:
    """Mean cross-entropy of ``softmax(XW)`` against integer class labels."""
    X = rng.normal(size=(5, 4))
    labels = np.array([0, 2, 1, 1, 0])
    W = dc.matrix("W", 4, 3)
    loss = dc.nn.cross_entropy(X @ W, labels)
    onehot = np.eye(3)[labels]

    def backward(W):
        return X.T @ (softmax_rows(X @ W) - onehot) / len(labels)

    def slip(W):  # the mean's 1/N forgotten
        return X.T @ (softmax_rows(X @ W) - onehot)

    return Layer("softmax + cross-entropy, integer labels", loss, W, backward, slip, "1/N forgotten")


def layer_norm(rng: np.random.Generator) -> Layer:
    """``sum(C * layer_norm(x))`` over the last axis (no affine part)."""
    C = rng.normal(size=(4, 6))
    x = dc.matrix("x", 4, 6)
    eps = 1e-5
    loss = dc.sum(C * dc.nn.layer_norm(x, axis=-1, eps=eps))

    def backward(x, with_projection=True):
        sigma = np.sqrt(x.var(axis=-1, keepdims=True) + eps)
        xhat = (x - x.mean(axis=-1, keepdims=True)) / sigma
        g = C - C.mean(axis=-1, keepdims=True)
        if with_projection:
            g = g - xhat * (C * xhat).mean(axis=-1, keepdims=True)
        return g / sigma

    return Layer("layer norm", loss, x, backward, lambda x: backward(x, with_projection=False),
                 "the variance's term dropped")


SCALE = 1 / np.sqrt(3.0)  # attention's 1/√d for d = 3


def attention(rng: np.random.Generator) -> Layer:
    """Batched scaled dot-product attention, ``softmax(QKᵀ/√d) V``, two heads of 4×3."""
    C = rng.normal(size=(2, 4, 3))
    Q, K, V = (dc.Var(name, (2, 4, 3)) for name in "QKV")
    scores = Q @ K.swapaxes(-1, -2) * SCALE
    loss = dc.sum(C * (dc.nn.softmax(scores, axis=-1) @ V))

    def backward(Q, K, V, scale=SCALE):
        A = softmax_rows(Q @ K.swapaxes(-1, -2) * SCALE)
        dA = C @ V.swapaxes(-1, -2)
        dS = A * (dA - (dA * A).sum(axis=-1, keepdims=True))
        return dS @ K * scale

    return Layer("attention (batched)", loss, Q, backward, lambda Q, K, V: backward(Q, K, V, 1.0),
                 "the 1/√d scale forgotten")


def rnn_cell(rng: np.random.Generator) -> Layer:
    """``h' = tanh(W [h; x] + b)``, the loss ``c · h'``."""
    c = rng.normal(size=3)
    W, h, x, b = dc.matrix("W", 3, 5), dc.vector("h", 3), dc.vector("x", 2), dc.vector("b", 3)
    loss = dc.sum(c * dc.tanh(W @ dc.concatenate([h, x]) + b))

    def backward(W, h, x, b, transpose=True):
        hidden = np.tanh(W @ np.concatenate([h, x]) + b)
        dz = c * (1 - hidden**2)
        return (W[:, :3].T if transpose else W[:, :3]) @ dz

    return Layer("RNN cell over concatenate([h, x])", loss, h, backward,
                 lambda W, h, x, b: backward(W, h, x, b, transpose=False), "W used untransposed")


def gaussian_log_likelihood(rng: np.random.Generator) -> Layer:
    """log N(x; μ, Σ) = −½ (log|Σ| + rᵀΣ⁻¹r + n log 2π), r = x − μ, through slogdet and solve."""
    n = 3
    x = rng.normal(size=n)
    S, mu = dc.matrix("S", n, n), dc.vector("mu", n)
    r = x - mu
    _, logdet = dc.linalg.slogdet(S)
    loss = -0.5 * (logdet + dc.sum(r * dc.linalg.solve(S, r)) + n * np.log(2 * np.pi))

    def backward(S, mu, transpose=True):
        inv = np.linalg.inv(S)
        r = x - mu
        first = inv.T if transpose else inv
        return -0.5 * (first - np.outer(inv.T @ r, inv @ r))

    return Layer("Gaussian log-likelihood (slogdet, solve)", loss, S, backward,
                 lambda S, mu: backward(S, mu, transpose=False), "Σ⁻ᵀ written as Σ⁻¹")


LAYERS = {
    "cross-entropy": softmax_cross_entropy, "layer-norm": layer_norm, "attention": attention,
    "rnn": rnn_cell, "gaussian": gaussian_log_likelihood,
}


def checks(layer: Layer, seed: int) -> Iterator[tuple[str, dc.Report]]:
    """The three-way check of the loss, the hand-written backward, and its slip."""
    yield "three ways", dc.check(layer.loss, layer.wrt, seed=seed, n_points=2)
    yield "hand-written backward", dc.check_gradient(layer.loss, layer.wrt, layer.backward, seed=seed)
    yield f"with a slip ({layer.slip_is})", dc.check_gradient(layer.loss, layer.wrt, layer.slip, seed=seed)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check the backward pass of real layers.")
    parser.add_argument("--seed", type=int, default=0, help="seed of the constants and points")
    parser.add_argument("--layer", choices=sorted(LAYERS), help="only this layer")
    args = parser.parse_args(argv)
    failures = 0
    for name, build in LAYERS.items():
        if args.layer and name != args.layer:
            continue
        layer = build(np.random.default_rng(args.seed))
        print(f"\n== {layer.title}: ∂loss/∂{layer.wrt.name}, shape {layer.wrt.shape}")
        for what, report in checks(layer, args.seed):
            expected = what.startswith("with a slip")
            verdict = "caught" if expected and not report.ok else report.headline()
            print(f"  {what}: {verdict}")
            if expected and report.hints:
                print(f"    hint: {report.hints[0]}")
            failures += report.ok == expected
    print(f"\n{'all layers checked' if not failures else f'{failures} unexpected result(s)'}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
