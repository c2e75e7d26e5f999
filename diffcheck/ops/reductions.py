"""Reductions with NumPy's ``axis`` and ``keepdims``: sum, mean, prod, max and min.

``max``/``min`` are not differentiable where two or more elements of a group tie for the
extreme: those ties are kinks (random points stay off them, checks report them), where
the tape shares the gradient evenly among the tied elements, as for ``maximum``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from diffcheck._lazy import sympy as sp
from diffcheck.errors import ShapeError
from diffcheck.ops import matrix_rules
from diffcheck.ops.arrays import as_objects
from diffcheck.ops.base import MatrixView, Op, op
from diffcheck.ops.drawing import Draw, Sample
from diffcheck.ops.notation import Call


# ----- axes: normalised, reduced, restored -----
def normalize_axis(name: str, shape: tuple[int, ...], axis: Any) -> tuple[int, ...]:
    """Axes as a sorted tuple of non-negative ints; None means every axis."""
    if axis is None:
        return tuple(range(len(shape)))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer)):
            raise ShapeError(f"{name}: axis {a!r} is not an integer (shape {shape}); axis is "
                             "None, an int or a tuple of ints")
        if not -len(shape) <= a < len(shape):
            raise ShapeError(f"{name}: axis {a!r} is out of range for shape {shape}")
        out.append(int(a) % len(shape))
    if len(set(out)) != len(out):
        raise ShapeError(f"{name}: repeated axis in {axis!r} for shape {shape}")
    return tuple(sorted(out))


def canonical_axis(name: str, shape: tuple[int, ...], axis: Any) -> Any:
    """``axis`` as None, one non-negative int, or a sorted tuple of them."""
    if axis is None:
        return None
    axes = normalize_axis(name, shape, axis)
    return axes[0] if isinstance(axis, int | np.integer) else axes


def checked_keepdims(name: str, keepdims: Any) -> bool:
    """``keepdims`` as a bool; a TypeError naming the op for anything else."""
    if not isinstance(keepdims, bool | np.bool_):
        raise TypeError(f"{name}: keepdims must be True or False, got {keepdims!r}")
    return bool(keepdims)


def count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    """How many elements are reduced into each output element."""
    return math.prod(shape[a] for a in axes)


def reduced_shape(shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool) -> tuple[int, ...]:
    """The output shape: the reduced axes dropped, or kept as size 1 with ``keepdims``."""
    if keepdims:
        return tuple(1 if i in axes else n for i, n in enumerate(shape))
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def expand(v: Any, ndim: int, axes: tuple[int, ...], keepdims: bool) -> Any:
    """``v`` (leading batch axes + the output's shape) with the reduced axes as size 1, so it
    broadcasts against the ``ndim``-axis input."""
    if keepdims:
        return v
    nb = np.ndim(v) - (ndim - len(axes))
    return np.expand_dims(v, tuple(nb + a for a in axes))


def groups(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """``x`` with the reduced axes moved last and merged into one: kept shape + (n,)."""
    kept = [i for i in range(np.ndim(x)) if i not in axes]
    moved = np.transpose(x, kept + list(axes))
    return moved.reshape(moved.shape[: len(kept)] + (count(np.shape(x), axes),))


def ungroup(rows: np.ndarray, shape: tuple[int, ...], axes: tuple[int, ...]) -> np.ndarray:
    """The inverse of :func:`groups`: kept shape + (n,) back to ``shape``."""
    order = [i for i in range(len(shape)) if i not in axes] + list(axes)
    return np.transpose(rows.reshape(tuple(shape[i] for i in order)), np.argsort(order))


def per_group(values: np.ndarray, shape: tuple[int, ...], axes: tuple[int, ...]) -> np.ndarray:
    """One value per group (the kept shape) repeated over every element of its group."""
    return np.broadcast_to(np.reshape(values, reduced_shape(shape, axes, True)), shape)


def top_two(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row (last axis): the largest value, and its gap to the runner-up (inf alone)."""
    n = rows.shape[-1]
    if n < 2:
        return rows[..., 0], np.full(rows.shape[:-1], np.inf)
    pair = np.partition(rows, n - 2, axis=-1)[..., -2:]
    return pair[..., 1], pair[..., 1] - pair[..., 0]


def lower_groups(x: np.ndarray, axes: tuple[int, ...], keepdims: bool, fn: Any) -> np.ndarray:
    """The SymPy lowering of a reduction: ``fn(elements of a group)`` per output element."""
    rows = groups(x, axes)
    out = np.empty(rows.shape[:-1], dtype=object)
    for index in np.ndindex(out.shape):
        out[index] = fn(list(rows[index]))
    return as_objects(out.reshape(reduced_shape(x.shape, axes, keepdims)))


def tournament(items: list, pair: Any) -> Any:
    """``items`` combined by ``pair`` in rounds of neighbours (depth log2 n): a group's
    maximum as pairwise ``(a + b + |a - b|)/2`` lambdifies cleanly, where SymPy's
    derivative of an n-argument ``Max`` does not (its Heaviside of a Max)."""
    while len(items) > 1:
        paired = [pair(a, b) for a, b in zip(items[::2], items[1::2])]
        items = paired + items[len(paired) * 2:]
    return items[0]


def larger(a: Any, b: Any) -> Any:
    return (a + b + sp.Abs(a - b)) / 2


def smaller(a: Any, b: Any) -> Any:
    return (a + b - sp.Abs(a - b)) / 2


def drawn_reduction(shapes: tuple[tuple[int, ...], ...], choice: int) -> dict[str, Any]:
    """``axis`` and ``keepdims`` of a drawn reduction, from ``choice``: all axes, one axis,
    one axis counted from the end, or the first and last; ``keepdims`` every other time."""
    ndim, kind = len(shapes[0]), choice % 4
    params: dict[str, Any] = {"keepdims": True} if (choice // 4) % 2 else {}
    if ndim == 0 or kind == 0:
        return {"axis": None, **params}
    axis = {1: choice % ndim, 2: -1 - (choice // 8) % ndim, 3: (0, -1) if ndim > 1 else -1}[kind]
    return {"axis": axis, **params}


SAMPLES = (Sample(((2, 3),), {"axis": 1}), Sample(((2, 3),)), Sample(((3,),), {"axis": -1}),
           Sample(((2, 3, 2),), {"axis": (0, -1), "keepdims": True}),
           Sample(((2, 3),), {"axis": -2, "keepdims": True}))


class Reducing(Op):
    """A reduction over ``axis`` (None = all, an int, or a tuple, negative from the end);
    ``keepdims`` keeps the reduced axes as size 1. The params carry the normalised axes."""

    arity = 1
    keywords = ("axis", "keepdims")
    printing, draw, samples = Call(shown=("axis", "keepdims")), Draw(params=drawn_reduction), SAMPLES
    public = True
    needs_elements = False  # a group without elements has no value (max, min)

    def shape(self, a, axis=None, keepdims=False):
        axes = normalize_axis(self.public_name, a, axis)
        checked_keepdims(self.public_name, keepdims)
        if self.needs_elements and count(a, axes) == 0:
            raise ShapeError(f"{self.public_name}: axis={axis!r} of shape {a} reduces empty groups, "
                             "which have no value")
        return reduced_shape(a, axes, keepdims)

    def canonical(self, a, axis=None, keepdims=False):
        """``axis`` canonical; ``keepdims`` only when set, so equal nodes compare equal."""
        params = {"axis": canonical_axis(self.public_name, a, axis)}
        return {**params, "keepdims": True} if checked_keepdims(self.public_name, keepdims) else params

    @property
    def vjps(self):
        return (self.vjp,)


class Reduction(Reducing):
    """sum or mean: linear, so SymPy's matrix calculus derives it (``sum(x)`` is X·1)."""

    reads = ((),)
    sympy_route = "linear"  # the reduced axes as the columns of X: sum(x) is X·1

    def forward(self, x, axis=None, keepdims=False):
        if axis is None and not keepdims:  # the common case (a loss): no axis bookkeeping
            return self.scale(np.add.reduce(x, axis=None), np.size(x))
        axes = normalize_axis(self.name, np.shape(x), axis)
        return self.scale(np.sum(x, axis=axes, keepdims=keepdims), count(np.shape(x), axes))

    def lower(self, x, axis=None, keepdims=False):
        axes = normalize_axis(self.name, x.shape, axis)
        return lower_groups(x, axes, keepdims,
                            lambda items: self.scale(sp.Add(*items), sp.Integer(len(items))))

    def matrix_views(self, a, axis=None, keepdims=False):
        axes = normalize_axis(self.name, a, axis)
        kept = tuple(i for i in range(len(a)) if i not in axes)
        return (MatrixView(kept + axes, (count(a, kept), count(a, axes))),)

    def matrix_form(self, x, axis=None, keepdims=False):
        return self.scale(x * sp.OneMatrix(x.shape[1], 1), sp.Integer(x.shape[1]))

    def matrix_rule(self, m, x, axis=None, keepdims=False):
        return matrix_rules.reduction(m, x, axis, keepdims, mean=self.averages)

    def vjp(self, g, out, x, axis=None, keepdims=False):
        # Every input element gets its output's cotangent (scaled); x may be a shape-only stand-in.
        axes = normalize_axis(self.name, x.shape, axis)
        g = expand(g, x.ndim, axes, keepdims)
        nb = g.ndim - x.ndim
        return np.broadcast_to(self.scale(g, count(x.shape, axes)), g.shape[:nb] + x.shape)

    @staticmethod
    def scale(total, n):
        """The output from the plain sum of ``n`` elements."""
        return total


@op
class Sum(Reduction):
    """sum(x, axis, keepdims): the sum of the elements over the given axes."""

    name, methods = "sum", ("sum",)
    numpy_names = ("sum", "add.reduce")


@op
class Mean(Reduction):
    """mean(x, axis, keepdims): the average of the elements over the given axes."""

    name, methods = "mean", ("mean",)
    numpy_names = ("mean",)
    averages = True

    @staticmethod
    def scale(total, n):
        return total / n


@op
class Prod(Reducing):
    """prod(x, axis, keepdims): the product of the elements over the given axes."""

    name, methods = "prod", ("prod",)
    numpy_names = ("prod", "multiply.reduce")
    reads = ((0,),)
    sympy_route = "lower"  # not linear: the node lowered at its real shapes

    def forward(self, x, axis=None, keepdims=False):
        return np.prod(x, axis=normalize_axis(self.name, np.shape(x), axis), keepdims=keepdims)

    def lower(self, x, axis=None, keepdims=False):
        return lower_groups(x, normalize_axis(self.name, x.shape, axis), keepdims, lambda t: sp.Mul(*t))

    def lowered_terms(self, out_shape, a, **params):
        return math.prod(a)  # one factor per input element

    def vjp(self, g, out, x, axis=None, keepdims=False):
        # NOTE: the product of the others, never out / x: exact where an element is 0.
        axes = normalize_axis(self.name, x.shape, axis)
        others = ungroup(exclusive_products(groups(x, axes)), x.shape, axes)
        return expand(g, x.ndim, axes, keepdims) * others


def exclusive_products(rows: np.ndarray) -> np.ndarray:
    """Per row (last axis), each element's product of all the other elements of its row:
    the products of those before it times the products of those after it."""
    ones = np.ones(rows.shape[:-1] + (1,), dtype=rows.dtype)
    before = np.cumprod(np.concatenate([ones, rows[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, rows[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return before * after


class Extremum(Reducing):
    """max or min over the axes: kinks where two elements of a group tie for the extreme."""

    analytic, needs_elements = False, True
    reads = (("out", 0),)
    sympy_route = "lower"  # a tournament of pairwise maxima per group, at its real shapes
    sign = 1.0  # max; min is the max of -x

    def forward(self, x, axis=None, keepdims=False):
        axes = normalize_axis(self.name, np.shape(x), axis)
        return (np.max if self.sign > 0 else np.min)(x, axis=axes, keepdims=keepdims)

    def lower(self, x, axis=None, keepdims=False):
        pair = larger if self.sign > 0 else smaller
        return lower_groups(x, normalize_axis(self.name, x.shape, axis), keepdims,
                            lambda t: tournament(t, pair))

    def lowered_terms(self, out_shape, a, axis=None, keepdims=False):
        n = count(a, normalize_axis(self.name, a, axis))
        return math.prod(a) * max(n, 1)  # a tournament of n repeats each element about n times

    def vjp(self, g, out, x, axis=None, keepdims=False):
        # Off a tie the extreme element takes the gradient; tied elements share it evenly.
        axes = normalize_axis(self.name, x.shape, axis)
        hit = x == expand(out, x.ndim, axes, keepdims)
        return expand(g, x.ndim, axes, keepdims) * (hit / np.sum(hit, axis=axes, keepdims=True))

    def kink_distance(self, x, axis=None, keepdims=False):
        """Per element, the gap between the two most extreme values of its group."""
        axes = normalize_axis(self.name, np.shape(x), axis)
        _, gap = top_two(groups(self.sign * np.real(x), axes))
        return per_group(gap, np.shape(x), axes)

    def kink_side(self, x, axis=None, keepdims=False):
        """Per group, which element is the extreme (1-based), or 0 where two tie."""
        rows = groups(self.sign * np.real(x), normalize_axis(self.name, np.shape(x), axis))
        _, gap = top_two(rows)
        return np.where(gap == 0, 0.0, np.argmax(rows, axis=-1) + 1.0)


@op
class Max(Extremum):
    """max(x, axis, keepdims): the largest element over the given axes (kinks at ties)."""

    name, methods = "max", ("max",)
    numpy_names = ("max", "amax", "maximum.reduce")


@op
class Min(Extremum):
    """min(x, axis, keepdims): the smallest element over the given axes (kinks at ties)."""

    name, methods, sign = "min", ("min",), -1.0
    numpy_names = ("min", "amin", "minimum.reduce")
