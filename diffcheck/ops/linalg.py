"""Linear algebra: the matrix product ``@`` and the transpose ``.T``."""

from __future__ import annotations

import numpy as np

from diffcheck._lazy import sympy as sp
from diffcheck.errors import ShapeError
from diffcheck.ops.base import Op, as_objects, op


@op
class Matmul(Op):
    """x @ y: matrix-matrix, matrix-vector, vector-matrix (a row vector) or a dot product."""

    name, arity, symbol, precedence = "matmul", 2, "@", 20
    forward = staticmethod(np.matmul)

    def shape(self, a, b):
        if not (1 <= len(a) <= 2 and 1 <= len(b) <= 2):
            raise ShapeError(
                f"matmul: operands must be vectors or matrices, got shapes {a} and {b}"
                " (use * for scalars)"
            )
        if a[-1] != b[0]:
            raise ShapeError(
                f"matmul: shapes {a} and {b} are not aligned: {a[-1]} (last axis of the left)"
                f" != {b[0]} (first axis of the right)"
            )
        return a[:-1] + b[1:]

    def lower(self, x, y):
        left = x.reshape(-1, x.shape[-1])  # rows of x (a vector is one row)
        right = y.reshape(y.shape[0], -1)  # columns of y (a vector is one column)
        out = np.empty((left.shape[0], right.shape[1]), dtype=object)
        for i in range(out.shape[0]):
            for j in range(out.shape[1]):
                out[i, j] = sp.Add(*(left[i, :] * right[:, j]))
        return as_objects(out.reshape(x.shape[:-1] + y.shape[1:]))

    @property
    def vjps(self):
        def vjp_x(g, out, x, y):
            if y.ndim == 1:  # out[..., i] = x[i, :] . y
                return g[..., None] * y
            return g @ y.T  # (batch, [m,] n) @ (n, k)

        def vjp_y(g, out, x, y):
            if x.ndim == 1:  # out[..., j] = x . y[:, j]
                return x[:, None] * g[..., None, :] if y.ndim == 2 else g[..., None] * x
            if y.ndim == 1:  # out[..., i] = x[i, :] . y
                return g @ x
            return x.T @ g  # (k, m) @ (batch, m, n)

        return (vjp_x, vjp_y)


@op
class Transpose(Op):
    """x.T: the axes in reverse order (a vector or scalar is unchanged)."""

    name, arity = "transpose", 1

    def shape(self, a):
        return a[::-1]

    def forward(self, x):
        return np.transpose(x)

    def lower(self, x):
        return as_objects(np.transpose(x))

    @property
    def vjps(self):
        def vjp(g, out, x):
            nb = g.ndim - np.ndim(out)
            return np.transpose(g, tuple(range(nb)) + tuple(nb + i for i in reversed(range(x.ndim))))

        return (vjp,)
