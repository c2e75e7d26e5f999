"""Evaluate a matrix expression with NumPy: one array operation per node, whatever the sizes.

Vectors are evaluated as columns (``(n, 1)``) and rows as ``(1, n)``, so every product is
``np.matmul``; shared sub-expressions are evaluated once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from diffcheck.matrix_forms.tree import Node

Env = dict[str, np.ndarray]


def _leaf(node: Node, env: Env) -> Any:
    kind = node.kind
    if kind == "var":
        return env[node.data].reshape(node.shape)
    if kind == "const":
        return node.data[1]
    if kind == "num":
        return node.data
    if kind == "ones":
        return np.ones(node.shape)
    if kind == "eye":
        return np.eye(node.shape[0])
    if kind == "opaque":
        return np.asarray(node.data[1](env), dtype=float).reshape(node.shape)
    raise ValueError(f"closed form: cannot evaluate a {kind!r} node")


def _sum(x: Any) -> Any:
    return np.sum(x)


def _diag(v: np.ndarray) -> np.ndarray:
    return np.diagflat(v)


INNER: dict[str, Callable[..., Any]] = {
    "transpose": lambda node, x: np.transpose(x),
    "matmul": lambda node, a, b: np.matmul(a, b),
    "hadamard": lambda node, a, b: a * b,
    "scale": lambda node, c, x: c * x,
    "add": lambda node, a, b: a + b,
    "div": lambda node, a, b: a / b,
    "power": lambda node, x: np.power(x, node.data),
    "fn": lambda node, x: node.data[2](np.asarray(x, dtype=float)),
    "deriv": lambda node, x: node.data[2](np.asarray(x, dtype=float)),
    "sum": lambda node, x: _sum(x),
    "diag": lambda node, v: _diag(v),
    "index": lambda node, f, b: np.einsum("ji,k->ijk", np.broadcast_to(f, node.shape[1::-1]), np.ravel(b)),
}


def evaluate(node: Node, env: Env) -> np.ndarray:
    """The value of ``node`` with the variables' arrays in ``env`` (by name)."""
    memo: dict[int, Any] = {}

    def value(n: Node) -> Any:
        key = id(n)
        if key not in memo:
            if n.args:
                memo[key] = INNER[n.kind](n, *(value(a) for a in n.args))
            else:
                memo[key] = _leaf(n, env)
        return memo[key]

    result = value(node)
    if node.shape == () and np.ndim(result) == 2:
        result = np.reshape(result, ())
    return np.asarray(result, dtype=float)
