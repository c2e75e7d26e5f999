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
    reads = ("",)
    keywords = ("axis",)

    def shape(self, a, axis=None):
        axes = normalize_axis(self.name, a, axis)
        return tuple(n for i, n in enumerate(a) if i not in axes)

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

    @property
    def vjps(self):
        def vjp(g, out, x, axis=None):
            shape = np.shape(x)
            batch_ndim = np.ndim(g) - len(self.shape(shape, axis))
            return self.vjp_for(0, shape, (), batch_ndim, axis=axis)(g, out, x, axis=axis)

        return (vjp,)

    def vjp_for(self, k, in_shape, out_shape, batch_ndim, axis=None):
        axes = normalize_axis(self.name, in_shape, axis)
        n = count(in_shape, axes)
        if batch_ndim == 0 and len(axes) == len(in_shape):  # scalar cotangent: fill every element

            def vjp_spread(g, out, x, axis=None):
                value = self.scale(g, n)
                spread = np.empty(in_shape, dtype=np.asarray(value).dtype)  # NOTE: np.full is 3x slower
                spread[...] = value
                return spread

            return vjp_spread
        where = tuple(batch_ndim + a for a in axes)

        def vjp(g, out, x, axis=None):
            g = np.expand_dims(g, where)
            return np.broadcast_to(self.scale(g, n), g.shape[:batch_ndim] + in_shape)

        return vjp

    @staticmethod
    def scale(total, n):
        """The output from the plain sum of ``n`` elements."""
        return total


@op
class Sum(Reduction):
    """sum(x, axis): the sum of the elements over the given axes."""

    name = "sum"
    numpy_names = ("sum", "add.reduce")


@op
class Mean(Reduction):
    """mean(x, axis): the average of the elements over the given axes."""

    name = "mean"
    numpy_names = ("mean",)

    @staticmethod
    def scale(total, n):
        return total / n
