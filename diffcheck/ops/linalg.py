"""Linear algebra: the matrix product ``@`` and the transpose ``.T``."""

from __future__ import annotations

import math

import numpy as np

from diffcheck._lazy import sympy as sp
from diffcheck.errors import ShapeError
from diffcheck.ops.base import Op, as_objects, op


@op
class Matmul(Op):
    """x @ y: matrix-matrix, matrix-vector, vector-matrix (a row vector) or a dot product."""

    name, arity, symbol, precedence = "matmul", 2, "@", 20
    numpy_names = ("matmul", "dot")
    reads = ("y", "x")

    @staticmethod
    def forward(x, y):
        # NOTE: on vectors and matrices np.dot equals np.matmul at a third of its per-call
        # cost, but is a few percent slower on large transposed operands.
        return np.dot(x, y) if x.size + y.size <= SMALL_OPERANDS else np.matmul(x, y)

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
        def vjp(k):
            def rule(g, out, x, y):
                plain = np.ndim(g) == np.ndim(x) + np.ndim(y) - 2 and x.size + y.size <= SMALL_OPERANDS
                return self._rule(k, np.ndim(x), np.ndim(y), plain)(g, out, x, y)

            return rule

        return (vjp(0), vjp(1))

    def vjp_for(self, k, in_shape, out_shape, batch_ndim, **params):
        # out = x.shape[:-1] + y.shape[1:], so the other operand's shape follows.
        if k == 0:
            x_shape, y_shape = in_shape, in_shape[-1:] + out_shape[len(in_shape) - 1:]
        else:
            x_shape, y_shape = out_shape[: len(out_shape) - len(in_shape) + 1] + in_shape[:1], in_shape
        plain = batch_ndim == 0 and math.prod(x_shape) + math.prod(y_shape) <= SMALL_OPERANDS
        return self._rule(k, len(x_shape), len(y_shape), plain)

    @staticmethod
    def _rule(k, x_ndim, y_ndim, plain):
        """The VJP of input ``k`` for operands with these numbers of axes; ``plain`` when
        the cotangent has no batch axes and the operands are small."""
        if plain:  # np.dot: no gufunc overhead
            return _UNBATCHED[k, x_ndim, y_ndim]
        if k == 0:
            return _vjp_x_of_matrix_vector if y_ndim == 1 else _vjp_x_of_matrix_matrix
        if x_ndim == 1:
            return _vjp_y_of_vector_matrix if y_ndim == 2 else _vjp_y_of_dot
        return _vjp_y_of_matrix_vector if y_ndim == 1 else _vjp_y_of_matrix_matrix


# Batched VJPs of x @ y, one per case; ``g`` has leading batch axes.
def _vjp_x_of_matrix_vector(g, out, x, y):  # out[..., i] = x[i, :] . y (also the dot product)
    return outer(g, y)


def _vjp_x_of_matrix_matrix(g, out, x, y):  # (batch, [m,] n) @ (n, k)
    return g @ y.T


def _vjp_y_of_vector_matrix(g, out, x, y):  # out[..., j] = x . y[:, j]
    return np.swapaxes(outer(g, x), -1, -2)


def _vjp_y_of_dot(g, out, x, y):  # out[...] = x . y
    return g[..., None] * x


def _vjp_y_of_matrix_vector(g, out, x, y):  # out[..., i] = x[i, :] . y
    return g @ x


def _vjp_y_of_matrix_matrix(g, out, x, y):  # (k, m) @ (batch, m, n)
    return x.T @ g


# Operands with at most this many elements in all multiply by np.dot: its per-call cost
# is a third of np.matmul's, which only matters while the product itself is cheap.
SMALL_OPERANDS = 4096

# Unbatched VJPs by (input, x.ndim, y.ndim); g has the output's shape.
_UNBATCHED = {
    (0, 1, 1): lambda g, out, x, y: g * y,  # out = x . y
    (0, 2, 1): lambda g, out, x, y: np.multiply.outer(g, y),  # out[i] = x[i, :] . y
    (0, 1, 2): lambda g, out, x, y: np.dot(y, g),  # out[j] = x . y[:, j]
    (0, 2, 2): lambda g, out, x, y: np.dot(g, y.T),
    (1, 1, 1): lambda g, out, x, y: g * x,
    (1, 1, 2): lambda g, out, x, y: np.multiply.outer(x, g),
    (1, 2, 1): lambda g, out, x, y: np.dot(g, x),
    (1, 2, 2): lambda g, out, x, y: np.dot(x.T, g),
}


# A batched cotangent with at most this fraction of non-zeros takes the sparse route.
SPARSE_FRACTION = 0.25


def outer(g: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``g[..., None] * v``, writing only the rows of non-zero ``g`` entries when few are.

    A Jacobian's seed pushed through elementwise ops stays diagonal, so the outer
    product is mostly zero rows; filling them densely is what would cost the time.
    """
    if g.ndim < 2 or np.count_nonzero(g) > SPARSE_FRACTION * g.size:
        return np.multiply.outer(g, v)
    rows = g.reshape(-1)
    (hit,) = np.nonzero(rows)
    result = np.zeros((rows.size, v.size), dtype=np.result_type(g, v))
    result[hit] = rows[hit, None] * v
    return result.reshape(g.shape + v.shape)


@op
class Transpose(Op):
    """x.T: the axes in reverse order (a vector or scalar is unchanged)."""

    name, arity = "transpose", 1
    numpy_names = ("transpose",)
    reads = ("",)

    def shape(self, a):
        return a[::-1]

    def usage(self):
        return "x.T"

    def forward(self, x):
        return np.transpose(x)

    def lower(self, x):
        return as_objects(np.transpose(x))

    @property
    def vjps(self):
        def vjp(g, out, x):
            return self.vjp_for(0, np.shape(x), (), np.ndim(g) - np.ndim(x))(g, out, x)

        return (vjp,)

    def vjp_for(self, k, in_shape, out_shape, batch_ndim, **params):
        axes = tuple(range(batch_ndim)) + tuple(batch_ndim + i for i in reversed(range(len(in_shape))))
        return lambda g, out, x: np.transpose(g, axes)
