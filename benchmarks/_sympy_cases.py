"""Six small layers whose default check took seconds to minutes when SymPy's reference
was always the element-wise closed form.

Each builder returns a fresh expression and the variables to check, so a caller can
time a first call and a call on a fresh expression of the same structure. Imported by
``sympy_routing.py`` and by ``tests/checking/test_sympy_routing.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

import diffcheck as dc
from diffcheck import nn


class Case(NamedTuple):
    y: dc.Expr
    wrt: list


def mlp(m: int, sizes: list[int]) -> Case:
    """The mean squared error of an MLP (sigmoid hidden layers) on a fixed batch of m rows."""
    rng = np.random.default_rng(0)
    net = nn.MLP(sizes)
    X, T = rng.standard_normal((m, sizes[0])), rng.standard_normal((m, sizes[-1]))
    return Case(nn.mse(net(X), T), net.parameters())


def tanh_layer(n: int = 16, k: int = 17) -> Case:
    """``tanh(W @ x + b)`` by ``W`` (n × k): a full Jacobian of n outputs."""
    W, x, b = dc.matrix("W", n, k), dc.vector("x", k), dc.vector("b", n)
    return Case(dc.tanh(W @ x + b), [W])


def residual(depth: int = 6, n: int = 3) -> Case:
    """``h ← h + tanh(W_k @ h)`` ``depth`` times from ``x``, then ``sum(h²)``: ``h`` is read
    twice per level, so the element-wise expressions double (and more) per level."""
    x = dc.vector("x", n)
    h, weights = x, []
    for k in range(depth):
        W = dc.matrix(f"W{k}", n, n)
        weights.append(W)
        h = h + dc.tanh(W @ h)
    return Case(dc.sum(h * h), [x, *weights])


def layer_norm(m: int = 8, n: int = 16) -> Case:
    """``sum(C * layer_norm(x))`` over rows of an m × n matrix, C fixed."""
    x = dc.matrix("x", m, n)
    C = np.random.default_rng(1).standard_normal((m, n))
    return Case(dc.sum(C * nn.layer_norm(x)), [x])


def running_min(n: int = 10) -> Case:
    """``m ← minimum(m, x[i])`` folded over n elements (each step reads ``m`` in a condition)."""
    x = dc.vector("x", n)
    m = x[0]
    for i in range(1, n):
        m = dc.minimum(m, x[i])
    return Case(m, [x])


CASES: dict[str, Callable[[], Case]] = {
    "MLP 5×6→3→2": lambda: mlp(5, [6, 3, 2]),
    "MLP 8×16→16→4": lambda: mlp(8, [16, 16, 4]),
    "tanh layer 16×17": tanh_layer,
    "residual net, depth 6, 3-vector": residual,
    "layer norm 8×16": layer_norm,
    "running min over 10": running_min,
}
