"""Norms as ``np.linalg.norm``: vector p-norms along an axis, and the Frobenius norm of matrices.

Every supported norm is a vector p-norm over some axes (Frobenius is the 2-norm over
both matrix axes). Its kinks: the 1-norm at zero elements, the inf-norm where the
largest magnitudes tie (the -inf norm where the smallest tie, or one is 0), and the
other p-norms (2, Frobenius, any p > 1) at the zero vector only. There the tape takes
the subgradient sign(x), shares ties evenly, and takes 0 at the zero vector.
"""

from __future__ import annotations

import math

import numpy as np

from diffcheck._lazy import sympy as sp
from diffcheck.errors import ShapeError
from diffcheck.ops.base import op
from diffcheck.ops.drawing import Draw, Sample
from diffcheck.ops.notation import Call
from diffcheck.ops.reductions import (
    Reducing,
    canonical_axis,
    checked_keepdims,
    count,
    expand,
    groups,
    larger,
    lower_groups,
    normalize_axis,
    per_group,
    reduced_shape,
    smaller,
    top_two,
    tournament,
)

INF = math.inf
VECTOR_ORDS = "None or 2, 1, np.inf, -np.inf, or a number p >= 1"
MATRIX_ORDS = "None or 'fro' (the Frobenius norm)"


def vector_order(ord, where):
    """A vector norm's ``ord`` as a float p; a ValueError naming what is supported."""
    if ord is None:
        return 2.0
    if isinstance(ord, str | bool | np.bool_) or not isinstance(ord, int | float | np.integer | np.floating):
        raise ValueError(f"norm: ord={ord!r} is not a vector norm order{where}; use {VECTOR_ORDS}")
    p = float(ord)
    if not (p >= 1 or p == -INF):
        raise ValueError(f"norm: ord={ord!r}{where} is not supported: for p < 1 the p-'norm' is "
                         f"not a norm (and ord=0 counts non-zeros); use {VECTOR_ORDS}")
    return p


def plan(shape, ord, axis):
    """``(p, axes)``: the norm as a vector p-norm over ``axes``, or an error naming the op,
    the shape, the axis and the order (a ShapeError for axes, a ValueError for orders)."""
    where = f" (shape {shape}, axis={axis!r})"
    if axis is None and ord is None:  # NumPy: the 2-norm of the flattened input, any shape
        return 2.0, tuple(range(len(shape)))
    if axis is None:
        if len(shape) not in (1, 2):
            raise ShapeError(f"norm: ord={ord!r} with axis=None needs a vector or a matrix, got "
                             f"shape {shape}; pass axis (an int for vector norms, two for a matrix)")
        axis = tuple(range(len(shape)))
    axes = normalize_axis("norm", shape, axis)
    if len(axes) == 1:
        p = vector_order(ord, where)
        if p in (INF, -INF) and count(shape, axes) == 0:
            raise ShapeError(f"norm: ord={ord!r} over an empty axis{where} has no value")
        return p, axes
    if len(axes) != 2:
        raise ShapeError(f"norm: axis={axis!r} of shape {shape} names {len(axes)} axes; a norm is "
                         "over one axis (a vector norm) or two (a matrix norm)")
    if ord is None or ord == "fro":
        return 2.0, axes
    what = {2: "the spectral norm", -2: "the smallest singular value", "nuc": "the nuclear norm",
            1: "the largest column sum", -1: "the smallest column sum", INF: "the largest row sum",
            -INF: "the smallest row sum"}.get(ord, "not a matrix norm order")
    raise ValueError(f"norm: the matrix norm ord={ord!r} ({what}){where} is not supported; "
                     f"matrix norms: ord={MATRIX_ORDS}; vector norms along one axis: ord={VECTOR_ORDS}")


def drawn_norm(shapes, choice):
    """An order and the axis that fits it, from ``choice``: Frobenius over the first two axes,
    or a vector norm along one axis (or of the flattened input for ord=None)."""
    ndim = len(shapes[0])
    ord = (None, 1, INF, 3.0, -INF, "fro")[choice % 6]
    if ndim == 0 or (ord == "fro" and ndim < 2):
        return {}
    if ord == "fro":
        return {"ord": "fro", "axis": (0, 1)}
    axis = None if ord is None and choice % 12 < 6 else -1 - (choice // 6) % ndim
    return {"ord": ord, "axis": axis, **({"keepdims": True} if choice % 4 == 3 else {})}


def magnitude(x):
    """``|x|``; for a complex step through the tape the analytic extension ``x·sign(Re x)``."""
    return x * np.sign(np.real(x)) if np.iscomplexobj(x) else np.abs(x)


def direction(x):
    """``sign(x)``, of the real part for a complex step (constant on each piece)."""
    return np.sign(np.real(x))


def safe(value):
    """``value`` with 0 replaced by 1: a divisor for slopes that are 0 at the zero vector."""
    return np.where(value == 0, 1.0, value)


@op
class Norm(Reducing):
    """norm(x, ord, axis, keepdims): a vector p-norm or the Frobenius norm, as np.linalg.norm."""

    name, analytic = "norm", False
    keywords = ("ord", "axis", "keepdims")
    numpy_names = ("linalg.norm",)
    methods = ()
    reads = (("out", 0),)
    sympy_route = "lower"  # each group's norm, lowered at its real shapes
    printing, draw = Call(shown=("ord", "axis", "keepdims")), Draw(params=drawn_norm)
    samples = (Sample(((3,),)), Sample(((2, 3),)), Sample(((2, 3),), {"ord": "fro", "keepdims": True}),
               Sample(((2, 3),), {"ord": 1, "axis": 1}), Sample(((2, 3),), {"ord": INF, "axis": -1}),
               Sample(((2, 3),), {"ord": -INF, "axis": 0}), Sample(((3, 2),), {"ord": 3.5, "axis": 0}),
               Sample(((2, 3, 2),), {"axis": (0, -1), "keepdims": True}), Sample(((),)))

    def shape(self, a, ord=None, axis=None, keepdims=False):
        _, axes = plan(a, ord, axis)
        return reduced_shape(a, axes, checked_keepdims(self.name, keepdims))

    def canonical(self, a, ord=None, axis=None, keepdims=False):
        params = {"ord": ord.item() if isinstance(ord, np.generic) else ord,
                  "axis": canonical_axis(self.name, a, axis)}
        return {**params, "keepdims": True} if checked_keepdims(self.name, keepdims) else params

    def forward(self, x, ord=None, axis=None, keepdims=False):
        p, axes = plan(np.shape(x), ord, axis)
        a = magnitude(x)
        if p == INF:
            return np.max(a, axis=axes, keepdims=keepdims)
        if p == -INF:
            return np.min(a, axis=axes, keepdims=keepdims)
        if p == 1:
            return np.sum(a, axis=axes, keepdims=keepdims)
        if p == 2:
            return np.sqrt(np.sum(a * a, axis=axes, keepdims=keepdims))
        return np.sum(a**p, axis=axes, keepdims=keepdims) ** (1 / p)

    def lower(self, x, ord=None, axis=None, keepdims=False):
        p, axes = plan(x.shape, ord, axis)
        return lower_groups(x, axes, keepdims, lambda t: lower_norm([sp.Abs(v) for v in t], p))

    def lowered_terms(self, out_shape, a, ord=None, axis=None, keepdims=False):
        p, axes = plan(a, ord, axis)
        return math.prod(a) * (max(count(a, axes), 1) if p in (INF, -INF) else 1)

    def vjp(self, g, out, x, ord=None, axis=None, keepdims=False):
        p, axes = plan(x.shape, ord, axis)
        n = expand(out, x.ndim, axes, keepdims)
        g = expand(g, x.ndim, axes, keepdims)
        if p == 1:
            return g * direction(x)
        if p == 2:
            return g * (x / safe(n))
        if p in (INF, -INF):  # the extreme magnitudes share the gradient evenly at a tie
            hit = magnitude(x) == n
            return g * (direction(x) * hit / np.sum(hit, axis=axes, keepdims=True))
        return g * (direction(x) * (magnitude(x) / safe(n)) ** (p - 1))

    def kink_distance(self, x, ord=None, axis=None, keepdims=False):
        """Per element: |x| (1-norm); the gap of the two most extreme magnitudes or the
        extreme one itself (inf, -inf); the group's 2-norm (from the zero vector) otherwise."""
        p, axes = plan(np.shape(x), ord, axis)
        a = np.abs(np.real(x))
        if p == 1:
            return a
        if p in (INF, -INF):
            top, gap = top_two(groups(a if p == INF else -a, axes))
            return per_group(np.minimum(gap, np.abs(top)), np.shape(x), axes)
        return per_group(np.sqrt(np.sum(a * a, axis=axes)), np.shape(x), axes)

    def kink_side(self, x, ord=None, axis=None, keepdims=False):
        """Per element its sign (1-norm); per group the signed position of the extreme
        magnitude (inf, -inf) or whether it is not the zero vector; 0 on a kink."""
        p, axes = plan(np.shape(x), ord, axis)
        r = np.real(x)
        if p == 1:
            return np.sign(r)
        if p in (INF, -INF):
            rows = groups(np.abs(r) if p == INF else -np.abs(r), axes)
            top, gap = top_two(rows)
            at = np.argmax(rows, axis=-1)
            signs = np.take_along_axis(groups(np.sign(r), axes), at[..., None], axis=-1)[..., 0]
            return np.where((gap == 0) | (top == 0), 0.0, (at + 1.0) * signs)
        return (np.sum(r * r, axis=axes) > 0).astype(float)


def lower_norm(magnitudes, p):
    """SymPy's p-norm of a group from its elements' magnitudes."""
    if p == INF:
        return tournament(magnitudes, larger)
    if p == -INF:
        return tournament(magnitudes, smaller)
    if p == 1:
        return sp.Add(*magnitudes)
    if p == 2:
        return sp.sqrt(sp.Add(*[m**2 for m in magnitudes]))
    q = sp.Integer(int(p)) if float(p).is_integer() else sp.Float(p)
    return sp.Add(*[m**q for m in magnitudes]) ** (1 / q)
