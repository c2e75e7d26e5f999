"""Reductions: sum and mean over all axes or the given ones."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from diffcheck._lazy import sympy as sp
from diffcheck.errors import ShapeError
from diffcheck.ops.base import Op, as_objects, op


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


def count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    """How many elements are reduced into each output element."""
    return math.prod(shape[a] for a in axes)


class Reduction(Op):
    """Reduce over ``axis`` (None = all); the params carry the normalised axes."""

    arity = 1

    def shape(self, a, axis=None):
        axes = normalize_axis(self.name, a, axis)
        return tuple(n for i, n in enumerate(a) if i not in axes)

    def forward(self, x, axis=None):
        if axis is None:  # the common case (a loss): no axis bookkeeping
            return self.scale(np.sum(x), np.size(x))
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

    @property
    def vjps(self):
        def vjp(g, out, x, axis=None):
            nb = g.ndim - np.ndim(out)
            if axis is None and nb == 0:  # scalar cotangent spread over every element
                return np.full(np.shape(x), self.scale(g, np.size(x)), dtype=np.result_type(g, x))
            axes = normalize_axis(self.name, np.shape(x), axis)
            g = np.expand_dims(g, tuple(nb + a for a in axes))
            return np.broadcast_to(self.scale(g, count(np.shape(x), axes)), g.shape[:nb] + np.shape(x))

        return (vjp,)

    @staticmethod
    def scale(total, n):
        """The output from the plain sum of ``n`` elements."""
        return total


@op
class Sum(Reduction):
    """sum(x, axis): the sum of the elements over the given axes."""

    name = "sum"


@op
class Mean(Reduction):
    """mean(x, axis): the average of the elements over the given axes."""

    name = "mean"

    @staticmethod
    def scale(total, n):
        return total / n
