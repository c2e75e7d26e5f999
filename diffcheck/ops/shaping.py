"""Shape changes that move elements without arithmetic: the transpose."""

from __future__ import annotations

import math

import numpy as np

from diffcheck.errors import ShapeError
from diffcheck.ops.arrays import as_objects
from diffcheck.ops.base import MatrixView, Op, op
from diffcheck.ops.drawing import Draw, Sample
from diffcheck.ops.notation import Postfix


@op
class Transpose(Op):
    """x.T: the axes in reverse order (a vector or scalar is unchanged)."""

    name, arity, printing = "transpose", 1, Postfix(".T")
    samples, draw = (Sample(((2, 3),)),), Draw()
    numpy_names = ("transpose",)
    reads = ((),)
    sympy_route = "linear"  # d tr(Gᵀ Xᵀ) / dX = Gᵀ

    def shape(self, a):
        return a[::-1]

    def usage(self):
        return "x.T"

    def forward(self, x):
        return np.transpose(x)

    def lower(self, x):
        return as_objects(np.transpose(x))

    def matrix_views(self, a):
        if len(a) > 2:
            raise ShapeError(f"transpose: no matrix-level rule for shape {a} (more than 2 axes)")
        return (MatrixView(tuple(range(len(a))), a if len(a) == 2 else (1, math.prod(a))),)

    def matrix_form(self, x):
        return x.T

    @property
    def vjps(self):
        return (self.vjp,)

    @staticmethod
    def vjp(g, out, x):  # reverse the axes after the batch ones (x may be a shape-only stand-in)
        nb = g.ndim - x.ndim
        return np.transpose(g, (*range(nb), *range(g.ndim - 1, nb - 1, -1)))
