"""The matrix product ``@`` with NumPy's rules, as two records.

``matmul`` is the product of vectors and matrices (1-D and 2-D operands). Its per-node
SymPy rule is SymPy's matrix calculus (``sympy_route = "linear"``): each operand is a
matrix (a vector one row or one column), so ``d tr(Gᵀ X Y) / dX = G Yᵀ`` is exact at any
size, which is what lets the lecture's network be checked at full size.

``batched_matmul`` is the product of stacks of matrices, built when either operand has
more than two axes (its rule holds for any operands of at least one axis): leading axes
are batch axes broadcast against the other's, and a vector operand is promoted to one
row (left) or one column (right), all as ``np.matmul``. No
matrix view exists for it (``out[b] = X[b] Y[b]`` is not one product of the operands
reshaped), so its record says ``sympy_route = "lower"``: the node lowered at its real
shapes, with ``lowered_terms`` = output size × contracted length, and refused above the
per-node limit rather than given a matrix rule that does not hold.

So each record's declarations hold for every node of it. The choice is made by shape
when a product is built: :func:`matmul` below (``dc.matmul``, and the ``"__matmul__"``
method that ``@`` builds through) makes ``matmul`` for operands of at most two axes and
``batched_matmul`` otherwise, so a product always has one canonical node, and the 1-D and
2-D cases keep their record, their ``np.dot`` fast paths (``backends.kernels``) and their
speed. ``.dot`` has ``np.dot``'s meaning: that ``matmul`` for vectors and matrices, a
product with a scalar, and for more axes ``tensordot`` over the last axis of ``x`` and the
second-to-last of ``y``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from diffcheck._lazy import sympy as sp
from diffcheck.errors import ShapeError
from diffcheck.ops import matrix_rules
from diffcheck.ops.arrays import as_objects, mixed_matmul, unbroadcast
from diffcheck.ops.base import MatrixView, Op, op
from diffcheck.ops.drawing import Draw, Sample
from diffcheck.ops.notation import Infix


def matmul(x: Any, y: Any) -> Any:
    """x @ y with NumPy's rules: vectors, matrices, and stacks of matrices whose batch
    axes broadcast (``Q @ K.swapaxes(-1, -2)``)."""
    from diffcheck.ir import apply, lift

    a, b = lift(x), lift(y)
    return apply("matmul" if a.ndim <= 2 and b.ndim <= 2 else "batched_matmul", a, b)


def dot(x: Any, y: Any) -> Any:
    """np.dot(x, y): ``x @ y`` for vectors and matrices, ``x * y`` with a scalar, else the
    sum over the last axis of x and the second-to-last of y (the last, for a vector)."""
    from diffcheck.ir import apply, lift

    a, b = lift(x), lift(y)
    if a.ndim == 0 or b.ndim == 0:
        return apply("mul", a, b)
    if a.ndim <= 2 and b.ndim <= 2:
        return apply("matmul", a, b)
    return apply("tensordot", a, b, axes=((a.ndim - 1,), (max(b.ndim - 2, 0),)))


@op
class Matmul(Op):
    """x @ y: matrix-matrix, matrix-vector, vector-matrix (a row vector) or a dot product."""

    name, arity, printing = "matmul", 2, Infix("@", 20)
    # a dot product, matrix-vector, vector-matrix and matrix-matrix
    samples = tuple(Sample(s) for s in (((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4))))
    draw = Draw(fit="contract")
    numpy_names = ("matmul", "dot")
    methods = ("dot", "__matmul__")  # ``e.dot(y)``; "__matmul__" is the builder behind ``@``
    public = True  # dc.matmul, which picks batched_matmul for stacks of matrices
    reads = ((1,), (0,))
    sympy_route = "linear"  # d tr(Gᵀ X Y) / dX = G Yᵀ, by SymPy's matrix calculus
    matrix_rule = staticmethod(matrix_rules.matmul)

    forward = staticmethod(mixed_matmul)  # np.matmul, cheaper for a complex step (ops.arrays)

    def shape(self, a, b):
        if not (1 <= len(a) <= 2 and 1 <= len(b) <= 2):
            stacks = " (stacks of matrices are batched_matmul nodes: dc.matmul(a, b) builds them)"
            raise ShapeError(
                f"matmul: operands must be vectors or matrices, got shapes {a} and {b}"
                + (" (use * for scalars)" if () in (a, b) else stacks)
            )
        if a[-1] != b[0]:
            raise ShapeError(
                f"matmul: shapes {a} and {b} are not aligned: {a[-1]} (last axis of the left)"
                f" != {b[0]} (first axis of the right)"
            )
        return a[:-1] + b[1:]

    def builder(self):
        return matmul

    def method_builder(self, name):
        return dot if name == "dot" else matmul

    def lower(self, x, y):
        left = x.reshape(-1, x.shape[-1])  # rows of x (a vector is one row)
        right = y.reshape(y.shape[0], -1)  # columns of y (a vector is one column)
        out = np.empty((left.shape[0], right.shape[1]), dtype=object)
        for i in range(out.shape[0]):
            for j in range(out.shape[1]):
                out[i, j] = sp.Add(*(left[i, :] * right[:, j]))
        return as_objects(out.reshape(x.shape[:-1] + y.shape[1:]))

    def lowered_terms(self, out_shape, a, b):
        return math.prod(out_shape) * a[-1]  # each output sums a[-1] products

    def matrix_views(self, a, b):
        # A vector on the left is one row, on the right one column.
        left = a if len(a) == 2 else (1, a[0])
        right = b if len(b) == 2 else (b[0], 1)
        return (MatrixView(tuple(range(len(a))), left), MatrixView(tuple(range(len(b))), right))

    def matrix_form(self, x, y):
        return x * y

    @property
    def vjps(self):
        return (self.vjp_x, self.vjp_y)

    # g has leading batch axes: g.shape == batch + out.shape.
    @staticmethod
    def vjp_x(g, out, x, y):
        if y.ndim == 1:  # out[..., i] = x[i, :] . y (or the dot product x . y)
            return np.multiply.outer(g, y)
        return g @ y.T  # (batch, [m,] k) @ (k, n)

    @staticmethod
    def vjp_y(g, out, x, y):
        if x.ndim == 2:  # out[..., i] = x[i, :] . y, or (m, n) @ (n, k)
            return g @ x if y.ndim == 1 else x.T @ g
        if y.ndim == 1:  # out[...] = x . y
            return np.multiply.outer(g, x)
        return np.swapaxes(np.multiply.outer(g, x), -1, -2)  # out[..., j] = x . y[:, j]


def batched_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    """``np.matmul``'s output shape, or a ShapeError naming both shapes and the axes at fault."""
    if not a or not b:
        raise ShapeError(f"matmul: operands must have at least one axis, got shapes {a} and {b}"
                         " (use * for scalars)")
    inner, where = (b[-2], "second-to-last") if len(b) > 1 else (b[0], "only")
    if a[-1] != inner:
        raise ShapeError(f"matmul: shapes {a} and {b} are not aligned: {a[-1]} (last axis of the "
                         f"left) != {inner} ({where} axis of the right)")
    try:
        batch = tuple(np.broadcast_shapes(a[:-2], b[:-2]))
    except ValueError:
        raise ShapeError(f"matmul: the batch axes of shapes {a} and {b} do not broadcast: "
                         f"{a[:-2]} against {b[:-2]}") from None
    return batch + a[-2:-1] + b[-1:] * (len(b) > 1)


def _stacks(g: np.ndarray, x_ndim: int, y_ndim: int) -> np.ndarray:
    """``g`` with the axes a vector operand's promotion removed put back (size 1)."""
    if y_ndim == 1:
        g = g[..., None]
    return np.expand_dims(g, -2) if x_ndim == 1 else g


def _summed_back(full: np.ndarray, nb: int, stacked: tuple[int, ...], shape: tuple[int, ...]) -> np.ndarray:
    """``full`` (batch + broadcast stack) summed over broadcast batch axes to batch + ``shape``."""
    if full.shape[nb:] != stacked:
        full = unbroadcast(full, stacked, full.ndim - nb)
    return full if stacked == shape else full.reshape(full.shape[:nb] + shape)


@op
class BatchedMatmul(Op):
    """x @ y over stacks of matrices: np.matmul with broadcast batch axes (vectors promoted)."""

    name, arity, printing = "batched_matmul", 2, Infix("@", 20)
    samples = (
        Sample(((2, 2, 3), (2, 3, 2))),  # a batch of products
        Sample(((2, 1, 2, 3), (3, 3, 2))),  # batch axes broadcast: (2, 1) against (3,)
        Sample(((3,), (2, 3, 2))),  # a vector on the left is one row
        Sample(((2, 2, 3), (3,))),  # a vector on the right is one column
    )
    draw = Draw(fit="contract")
    reads = ((1,), (0,))
    sympy_route = "lower"  # no matrix view of a batch of products: lowered at its real shapes

    forward = staticmethod(np.matmul)

    def shape(self, a, b):
        return batched_shape(a, b)

    def usage(self):
        return "x @ y"

    def lower(self, x, y):
        xs = x if x.ndim > 1 else x.reshape(1, -1)
        ys = y if y.ndim > 1 else y.reshape(-1, 1)
        batch = tuple(np.broadcast_shapes(xs.shape[:-2], ys.shape[:-2]))
        xs = np.broadcast_to(xs, batch + xs.shape[-2:])
        ys = np.broadcast_to(ys, batch + ys.shape[-2:])
        out = np.empty(batch + (xs.shape[-2], ys.shape[-1]), dtype=object)
        for index in np.ndindex(out.shape):
            *b, i, j = index
            out[index] = sp.Add(*(xs[(*b, i)] * ys[(*b, slice(None), j)]))
        return as_objects(out.reshape(batched_shape(x.shape, y.shape)))

    def lowered_terms(self, out_shape, a, b):
        return math.prod(out_shape) * a[-1]  # each output sums a[-1] products

    @property
    def vjps(self):
        return (self.vjp_x, self.vjp_y)

    # g.shape == batch + out.shape; x and y may be shape-only stand-ins where unread.
    @staticmethod
    def vjp_x(g, out, x, y):
        nb = g.ndim - out.ndim
        ys = y if y.ndim > 1 else y[:, None]
        full = _stacks(g, x.ndim, y.ndim) @ np.swapaxes(ys, -1, -2)
        return _summed_back(full, nb, x.shape if x.ndim > 1 else (1,) + x.shape, x.shape)

    @staticmethod
    def vjp_y(g, out, x, y):
        nb = g.ndim - out.ndim
        xs = x if x.ndim > 1 else x[None, :]
        full = np.swapaxes(xs, -1, -2) @ _stacks(g, x.ndim, y.ndim)
        return _summed_back(full, nb, y.shape if y.ndim > 1 else y.shape + (1,), y.shape)
