"""Reductions: sum and mean over all axes or the given ones."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from diffcheck._lazy import sympy as sp
from diffcheck.errors import ShapeError
from diffcheck.ops.arrays import as_objects
from diffcheck.ops.base import MatrixView, Op, op
from diffcheck.ops.drawing import Draw, Sample
from diffcheck.ops.notation import Call


def normalize_axis(name: str, shape: tuple[int, ...], axis: Any) -> tuple[int, ...]:
    """Axes as a sorted tuple of non-negative ints; None means every axis."""
    if axis is None:
        return tuple(range(len(shape)))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or not -len(shape) <= a < len(shape):
            raise ShapeError(f"{name}: axis {a!r} is out of range for shape {shape}")
        out.append(int(a) % len(shape))
    if len(set(out)) != len(out):
        raise ShapeError(f"{name}: repeated axis in {axis!r} for shape {shape}")
    return tuple(sorted(out))


def drawn_axis(shapes: tuple[tuple[int, ...], ...], choice: int) -> dict[str, Any]:
    """The ``axis`` param of a drawn reduction: all axes for even ``choice``, else one of them."""
    ndim = len(shapes[0])
    return {"axis": None if ndim == 0 or choice % 2 == 0 else choice % ndim}


def count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    """How many elements are reduced into each output element."""
    return math.prod(shape[a] for a in axes)


class Reduction(Op):
    """Reduce over ``axis`` (None = all); the params carry the normalised axes."""

    arity = 1
    reads = ((),)
    keywords = ("axis",)
    sympy_route = "linear"  # the reduced axes as the columns of X: sum(x) is X·1
    printing, draw = Call(shown=("axis",)), Draw(params=drawn_axis)
    public = True  # dc.sum, dc.mean

    def shape(self, a, axis=None):
        axes = normalize_axis(self.name, a, axis)
        return tuple(n for i, n in enumerate(a) if i not in axes)

    def canonical(self, a, axis=None):
        """``axis`` as None, one non-negative int, or a sorted tuple of them."""
        if axis is None:
            return {"axis": None}
        axes = normalize_axis(self.name, a, axis)
        return {"axis": axes[0] if isinstance(axis, int | np.integer) else axes}

    def forward(self, x, axis=None):
        if axis is None:  # the common case (a loss): no axis bookkeeping, no dispatch layers
            return self.scale(np.add.reduce(x, axis=None), np.size(x))
        axes = normalize_axis(self.name, np.shape(x), axis)
        return self.scale(np.sum(x, axis=axes), count(np.shape(x), axes))

    def lower(self, x, axis=None):
        axes = normalize_axis(self.name, x.shape, axis)
        kept = [i for i in range(x.ndim) if i not in axes]
        rows = np.transpose(x, kept + list(axes)).reshape(
            [x.shape[i] for i in kept] + [count(x.shape, axes)]
        )
        out = np.empty(rows.shape[:-1], dtype=object)
        for index in np.ndindex(out.shape):
            out[index] = self.scale(sp.Add(*rows[index]), sp.Integer(rows.shape[-1]))
        return as_objects(out)

    def matrix_views(self, a, axis=None):
        axes = normalize_axis(self.name, a, axis)
        kept = tuple(i for i in range(len(a)) if i not in axes)
        return (MatrixView(kept + axes, (count(a, kept), count(a, axes))),)

    def matrix_form(self, x, axis=None):
        return self.scale(x * sp.OneMatrix(x.shape[1], 1), sp.Integer(x.shape[1]))

    @property
    def vjps(self):
        return (self.vjp,)

    def vjp(self, g, out, x, axis=None):
        # Every input element gets its output's cotangent (scaled); x may be a shape-only stand-in.
        axes = normalize_axis(self.name, x.shape, axis)
        nb = g.ndim - (x.ndim - len(axes))
        g = np.expand_dims(g, tuple(nb + a for a in axes))
        return np.broadcast_to(self.scale(g, count(x.shape, axes)), g.shape[:nb] + x.shape)

    @staticmethod
    def scale(total, n):
        """The output from the plain sum of ``n`` elements."""
        return total


@op
class Sum(Reduction):
    """sum(x, axis): the sum of the elements over the given axes."""

    name = "sum"
    numpy_names = ("sum", "add.reduce")
    samples = (Sample(((2, 3),), {"axis": 1}), Sample(((2, 3),)))


@op
class Mean(Reduction):
    """mean(x, axis): the average of the elements over the given axes."""

    name = "mean"
    numpy_names = ("mean",)
    samples = (Sample(((2, 3),), {"axis": 0}), Sample(((2, 3),), {"axis": (0, 1)}))

    @staticmethod
    def scale(total, n):
        return total / n
