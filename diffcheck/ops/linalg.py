"""The matrix product ``@``."""

from __future__ import annotations

import math

import numpy as np

from diffcheck._lazy import sympy as sp
from diffcheck.errors import ShapeError
from diffcheck.ops.arrays import as_objects
from diffcheck.ops.base import MatrixView, Op, op
from diffcheck.ops.drawing import Draw, Sample
from diffcheck.ops.notation import Infix


@op
class Matmul(Op):
    """x @ y: matrix-matrix, matrix-vector, vector-matrix (a row vector) or a dot product."""

    name, arity, printing = "matmul", 2, Infix("@", 20)
    # a dot product, matrix-vector, vector-matrix and matrix-matrix
    samples = tuple(Sample(s) for s in (((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4))))
    draw = Draw(fit="contract")
    numpy_names = ("matmul", "dot")
    reads = ((1,), (0,))
    sympy_route = "linear"  # d tr(Gᵀ X Y) / dX = G Yᵀ, by SymPy's matrix calculus

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
