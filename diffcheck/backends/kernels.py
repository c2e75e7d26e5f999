"""The tape's fast paths, kept apart from the op records that state the maths.

A record's VJPs are the plain batched rules a reviewer checks. Here, per record class,
:func:`specialise` registers cheaper rules for given static shapes, batch rank and
params (``np.dot`` for small products, a sparse outer product for Jacobian seeds,
Pow's square, a reduction's spread); each is tested against the plain rule. The
generic unbroadcast of broadcasting ops is applied here too, over axes fixed ahead.

Every rule is called as ``rule(g, out, *xs, **params)``; values that the op's
``reads`` leaves out may be :class:`Unread` stand-ins.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from diffcheck.ops.arithmetic import Pow
from diffcheck.ops.arrays import mixed_matmul
from diffcheck.ops.base import Op
from diffcheck.ops.linalg import Matmul
from diffcheck.ops.reductions import Reduction, count, normalize_axis

Shape = tuple[int, ...]
Rule = Callable[..., np.ndarray]
Specialisation = Callable[[Op, int, tuple[Shape, ...], Shape, int, Mapping[str, Any]], Rule | None]

SPECIALISED: dict[type[Op], Specialisation] = {}  # record class -> its fast paths


class Unread:
    """A value a VJP does not declare in ``reads``: its shape and dtype, and nothing else.

    Rules may read ``shape``/``ndim``/``size``/``dtype`` (a reduction needs its input's
    shape, not its value); arithmetic on it is a TypeError, so an undeclared read fails.
    """

    __slots__ = ("shape", "dtype")
    __array_ufunc__ = None  # ufuncs and operators refuse it instead of making object arrays

    def __init__(self, shape: Shape, dtype: Any = np.float64):
        self.shape, self.dtype = tuple(shape), np.dtype(dtype)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        raise TypeError(f"this value (shape {self.shape}) is not among what the VJP reads")

    def __repr__(self) -> str:
        return f"Unread(shape={self.shape})"


def specialise(cls: type[Op]) -> Callable[[Specialisation], Specialisation]:
    """Register fast paths for ``cls`` (and its subclasses): a function of
    ``(record, k, in_shapes, out_shape, batch_ndim, params)`` returning a rule, or None
    for the record's plain VJP."""

    def register(fn: Specialisation) -> Specialisation:
        SPECIALISED[cls] = fn
        return fn

    return register


def vjp_for(record: Op, k: int, in_shapes: tuple[Shape, ...], out_shape: Shape, batch_ndim: int,
            params: Mapping[str, Any]) -> Rule:
    """The rule the tape runs for input ``k`` of ``record`` at these static shapes.

    A registered specialisation when one applies, else the record's plain VJP; for a
    broadcasting op, wrapped to sum the result back to the input's shape.
    """
    rule = None
    for cls in type(record).__mro__:
        if cls in SPECIALISED:
            rule = SPECIALISED[cls](record, k, in_shapes, out_shape, batch_ndim, params)
            break
    if rule is None:
        rule = record.vjp_rule(k)
    if record.broadcasts:
        rule = unbroadcast_to(rule, in_shapes[k], out_shape, batch_ndim)
    return rule


def plain_vjp(record: Op, k: int, in_shapes: tuple[Shape, ...], out_shape: Shape,
              batch_ndim: int) -> Rule:
    """The record's own VJP with the generic unbroadcast: what every kernel must equal."""
    rule = record.vjp_rule(k)
    return unbroadcast_to(rule, in_shapes[k], out_shape, batch_ndim) if record.broadcasts else rule


def unbroadcast_to(rule: Rule, in_shape: Shape, out_shape: Shape, batch_ndim: int) -> Rule:
    """``rule`` (returning batch + ``out_shape``) summed back to batch + ``in_shape``,
    over axes fixed now; the rule itself when nothing was broadcast."""
    if in_shape == out_shape:
        return rule
    extra = len(out_shape) - len(in_shape)
    kept = tuple(i for i, n in enumerate(in_shape) if n == 1 and out_shape[extra + i] != 1)
    axes = tuple(range(batch_ndim, batch_ndim + extra)) + tuple(batch_ndim + extra + i for i in kept)

    def unbroadcast(g, out, *xs, **params):
        total = np.add.reduce(rule(g, out, *xs, **params), axis=axes)
        return total.reshape(total.shape[:batch_ndim] + in_shape) if kept else total

    return unbroadcast


def forward_for(record: Op, in_shapes: tuple[Shape, ...]) -> Callable[..., np.ndarray]:
    """The NumPy forward to run for these input shapes (``np.dot`` for small products)."""
    if isinstance(record, Matmul) and sum(map(math.prod, in_shapes)) <= SMALL_OPERANDS:
        # NOTE: on vectors and matrices np.dot equals np.matmul at a third of its per-call
        # cost, but is a few percent slower on large transposed operands.
        return np.dot
    return record.forward


# ----- matmul -----
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


# Unbatched VJPs of large matrix-matrix products: with one operand complex (a complex step
# through the sweep, as for Hessian-vector products), one real product over the complex
# operand's (Re, Im) pairs instead of NumPy's complex one.
_UNBATCHED_MATRICES = {
    0: lambda g, out, x, y: mixed_matmul(g, y.T),
    1: lambda g, out, x, y: mixed_matmul(x.T, g),
}


@specialise(Matmul)
def matmul_kernel(record, k, in_shapes, out_shape, batch_ndim, params):
    """``np.dot`` without batch axes on small operands; a sparse outer product for the
    batched vector cases (a Jacobian's diagonal seed); else the plain rule."""
    (x_shape, y_shape) = in_shapes
    if batch_ndim == 0 and sum(map(math.prod, in_shapes)) <= SMALL_OPERANDS:
        return _UNBATCHED[k, len(x_shape), len(y_shape)]
    if batch_ndim == 0 and len(x_shape) == len(y_shape) == 2:
        return _UNBATCHED_MATRICES[k]
    if batch_ndim and k == 0 and len(y_shape) == 1:
        return _vjp_x_by_outer
    if batch_ndim and k == 1 and len(x_shape) == 1:
        return _vjp_y_by_outer if len(y_shape) == 1 else _vjp_y_by_swapped_outer
    return None


def _vjp_x_by_outer(g, out, x, y):  # out[..., i] = x[i, :] . y (also the dot product)
    return outer(g, y)


def _vjp_y_by_outer(g, out, x, y):  # out[...] = x . y
    return outer(g, x)


def _vjp_y_by_swapped_outer(g, out, x, y):  # out[..., j] = x . y[:, j]
    return np.swapaxes(outer(g, x), -1, -2)


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


# ----- pow -----
@specialise(Pow)
def pow_kernel(record, k, in_shapes, out_shape, batch_ndim, params):
    """For a scalar exponent: squares skip ``np.power`` (x**1 by power is slow), and the
    exponent's 0 test is one Python comparison instead of an ``np.where``."""
    if k != 0 or in_shapes[1] != ():
        return None

    def vjp_x_of_scalar_power(g, out, x, y):
        p = y.item()
        if p == 2:  # NOTE: squares are common
            return g * (2.0 * x)
        return g * y * np.power(x, y - 1 if p != 0 else 1)

    return vjp_x_of_scalar_power


# ----- sum and mean -----
@specialise(Reduction)
def reduction_kernel(record, k, in_shapes, out_shape, batch_ndim, params):
    """The reduced axes fixed now; a scalar cotangent over every axis fills an empty array
    (``np.full`` is three times slower). Only ``sum`` and ``mean`` (``Reduction``)."""
    (in_shape,) = in_shapes
    axes = normalize_axis(record.name, in_shape, params.get("axis"))
    n = count(in_shape, axes)
    if batch_ndim == 0 and len(axes) == len(in_shape):

        def vjp_spread(g, out, x, **params):
            value = record.scale(g, n)
            spread = np.empty(in_shape, dtype=np.asarray(value).dtype)
            spread[...] = value
            return spread

        return vjp_spread
    # with keepdims the cotangent already has the reduced axes, as size 1
    where = () if params.get("keepdims") else tuple(batch_ndim + a for a in axes)

    def vjp_over_fixed_axes(g, out, x, **params):
        g = np.expand_dims(g, where)
        return np.broadcast_to(record.scale(g, n), g.shape[:batch_ndim] + in_shape)

    return vjp_over_fixed_axes
