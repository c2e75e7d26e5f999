"""Statistics over axes: var and std (NumPy's ``ddof``), logsumexp, and the running sum cumsum.

``std`` is ``sqrt(var)``: where a group's variance is 0 its slope is undefined, so
random points keep each group's variance above a margin, except for a group of one
element, whose std is 0 for every value and whose slope is therefore 0 (not 0/0).
"""

from __future__ import annotations

import math

import numpy as np

from diffcheck._lazy import LazyModule
from diffcheck._lazy import sympy as sp
from diffcheck.errors import ShapeError
from diffcheck.ops.arithmetic import MARGIN
from diffcheck.ops.arrays import as_objects
from diffcheck.ops.base import Op, op
from diffcheck.ops.drawing import Draw, Sample
from diffcheck.ops.notation import Call
from diffcheck.ops.reductions import (
    SAMPLES,
    Reducing,
    count,
    expand,
    lower_groups,
    normalize_axis,
    tournament,
)

sympy_functions = LazyModule("diffcheck.sympy_functions")


# ----- var and std -----
def centred(x, axes):
    """``x`` minus the mean of its group (complex-safe: no conjugate, so complex steps stay exact)."""
    return x - np.mean(x, axis=axes, keepdims=True)


def lower_var(items, ddof):
    """SymPy's variance of one group: the mean squared deviation, over n - ddof."""
    mean = sp.Add(*items) / len(items)
    return sp.Add(*[(t - mean) ** 2 for t in items]) / (len(items) - ddof)


def checked_ddof(name, ddof):
    if isinstance(ddof, bool | np.bool_) or not isinstance(ddof, int | np.integer) or ddof < 0:
        raise TypeError(f"{name}: ddof must be a non-negative int, got {ddof!r}")
    return int(ddof)


class Moments(Reducing):
    """var or std over the axes, dividing by n - ddof."""

    keywords = ("axis", "ddof", "keepdims")
    printing = Call(shown=("axis", "ddof", "keepdims"))
    samples = (*SAMPLES, Sample(((2, 3),), {"axis": 1, "ddof": 1}), Sample(((2, 1),), {"axis": -1}))
    sympy_route = "lower"  # each output is a quadratic form of its group, lowered at its real shapes

    def shape(self, a, axis=None, ddof=0, keepdims=False):
        out = super().shape(a, axis, keepdims)
        n, ddof = count(a, normalize_axis(self.public_name, a, axis)), checked_ddof(self.public_name, ddof)
        if n - ddof <= 0:
            raise ShapeError(f"{self.public_name}: ddof={ddof} leaves no degrees of freedom: axis={axis!r} "
                             f"of shape {a} reduces {n} element(s) per group")
        return out

    def canonical(self, a, axis=None, ddof=0, keepdims=False):
        """``ddof`` only when not 0, as ``keepdims`` only when set."""
        params = super().canonical(a, axis, keepdims)
        return {**params, "ddof": int(ddof)} if ddof else params

    def lowered_terms(self, out_shape, a, axis=None, ddof=0, keepdims=False):
        return math.prod(a) * (count(a, normalize_axis(self.name, a, axis)) + 1)

    def variance(self, x, axes, ddof, keepdims):
        d = centred(x, axes)
        return d, np.sum(d * d, axis=axes, keepdims=keepdims) / (count(np.shape(x), axes) - ddof)


@op
class Var(Moments):
    """var(x, axis, ddof, keepdims): the mean squared deviation from the mean, over n - ddof."""

    # NOTE: the IR names variable leaves "var", so the record is "variance", public as dc.var.
    name, public_name, methods, numpy_names = "variance", "var", ("var",), ("var",)
    reads = ((0,),)

    def text(self, inputs, **params):
        return self.printing.format(self.public_name, inputs, params)

    def usage(self):
        return super().usage().replace(f"dc.{self.name}(", f"dc.{self.public_name}(")

    def builder(self):
        build = super().builder()
        build.__name__ = build.__qualname__ = self.public_name
        return build

    def forward(self, x, axis=None, ddof=0, keepdims=False):
        return self.variance(x, normalize_axis(self.name, np.shape(x), axis), ddof, keepdims)[1]

    def lower(self, x, axis=None, ddof=0, keepdims=False):
        axes = normalize_axis(self.name, x.shape, axis)
        return lower_groups(x, axes, keepdims, lambda t: lower_var(t, ddof))

    def vjp(self, g, out, x, axis=None, ddof=0, keepdims=False):
        axes = normalize_axis(self.name, x.shape, axis)
        scale = 2.0 / (count(x.shape, axes) - ddof)
        return expand(g, x.ndim, axes, keepdims) * (scale * centred(x, axes))


@op
class Std(Moments):
    """std(x, axis, ddof, keepdims) = sqrt(var(x, axis, ddof, keepdims))."""

    name, methods, numpy_names = "std", ("std",), ("std",)
    reads = (("out", 0),)

    def forward(self, x, axis=None, ddof=0, keepdims=False):
        return np.sqrt(self.variance(x, normalize_axis(self.name, np.shape(x), axis), ddof, keepdims)[1])

    def lower(self, x, axis=None, ddof=0, keepdims=False):
        axes = normalize_axis(self.name, x.shape, axis)
        return lower_groups(x, axes, keepdims, lambda t: sp.sqrt(lower_var(t, ddof)))

    def vjp(self, g, out, x, axis=None, ddof=0, keepdims=False):
        axes = normalize_axis(self.name, x.shape, axis)
        s = expand(out, x.ndim, axes, keepdims)
        # NOTE: a group of one element has std 0 at every value: slope 0, not 0 / 0.
        safe = np.where(s == 0, 1.0, s)
        return expand(g, x.ndim, axes, keepdims) * (centred(x, axes) / ((count(x.shape, axes) - ddof) * safe))

    def domain(self, x, axis=None, ddof=0, keepdims=False):
        """The variance of every group of two or more elements above the margin of ``sqrt``."""
        axes = normalize_axis(self.name, np.shape(x), axis)
        if count(np.shape(x), axes) == 1:
            return True
        return bool(np.all(np.real(self.variance(x, axes, ddof, keepdims)[1]) > MARGIN))


# ----- logsumexp -----
@op
class LogSumExp(Reducing):
    """logsumexp(x, axis, keepdims) = log(sum(exp(x))) over the given axes."""

    name, needs_elements = "logsumexp", True
    numpy_names = ("logaddexp.reduce",)
    reads = (("out", 0),)
    sympy_route = "lower"  # a tournament of logaddexp per group, lowered at its real shapes

    def forward(self, x, axis=None, keepdims=False):
        axes = normalize_axis(self.name, np.shape(x), axis)
        # NOTE: shifted by the group's maximum (of the real part, a constant for complex
        # steps, which stay exact): every exponent is <= 0, so nothing overflows.
        m = np.max(np.real(x), axis=axes, keepdims=True)
        total = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
        return total if keepdims else np.squeeze(total, axis=axes)

    def lower(self, x, axis=None, keepdims=False):
        # NOTE: logaddexp(a, b) = max(a, b) + log(1 + exp(-|a - b|)): no exp overflows in
        # SymPy's value or derivative either (x = 1000 stays finite).
        axes = normalize_axis(self.name, x.shape, axis)
        return lower_groups(x, axes, keepdims, lambda t: tournament(t, sympy_functions.logaddexp))

    def lowered_terms(self, out_shape, a, axis=None, keepdims=False):
        n = count(a, normalize_axis(self.name, a, axis))
        return math.prod(a) * max(1, 3 ** math.ceil(math.log2(max(n, 1))))  # 3 uses per level

    def vjp(self, g, out, x, axis=None, keepdims=False):
        # The softmax of each group, exp(x - logsumexp): every exponent is <= 0.
        axes = normalize_axis(self.name, x.shape, axis)
        return expand(g, x.ndim, axes, keepdims) * np.exp(x - expand(out, x.ndim, axes, keepdims))


# ----- cumsum -----
def drawn_cumsum_axis(shapes, choice):
    """None (the flattened input) for ``choice`` divisible by 3, else one axis, from the end
    every other time."""
    ndim = len(shapes[0])
    if ndim == 0 or choice % 3 == 0:
        return {"axis": None}
    return {"axis": choice % ndim if choice % 3 == 1 else -1 - choice % ndim}


@op
class Cumsum(Op):
    """cumsum(x, axis): running sums along one axis (axis=None: of the flattened x)."""

    name, arity, public = "cumsum", 1, True
    keywords, methods, numpy_names = ("axis",), ("cumsum",), ("cumsum", "add.accumulate")
    reads = ((),)
    sympy_route = "lower"  # no matrix-level rule: the node lowered at its real shapes
    printing, draw = Call(shown=("axis",)), Draw(params=drawn_cumsum_axis)
    samples = (Sample(((2, 3),), {"axis": 1}), Sample(((2, 3),), {"axis": -2}), Sample(((2, 3),)),
               Sample(((),)), Sample(((2, 2, 3),), {"axis": 1}))

    def shape(self, a, axis=None):
        if axis is None:
            return (math.prod(a),)
        if not isinstance(axis, int | np.integer) or isinstance(axis, bool | np.bool_):
            raise ShapeError(f"cumsum: axis must be one int or None (the flattened input), got "
                             f"{axis!r} for shape {a}")
        normalize_axis(self.name, a, axis)
        return a

    def canonical(self, a, axis=None):
        return {"axis": None if axis is None else normalize_axis(self.name, a, axis)[0]}

    def forward(self, x, axis=None):
        return np.cumsum(x, axis=axis)

    def lower(self, x, axis=None):
        return as_objects(np.cumsum(x, axis=axis))

    def lowered_terms(self, out_shape, a, axis=None):
        n = math.prod(a) if axis is None else a[axis]
        return math.prod(a) * (n + 1) // 2

    @property
    def vjps(self):
        return (self.vjp,)

    @staticmethod
    def vjp(g, out, x, axis=None):
        # Each input element feeds the running sums from its position on: a reversed
        # cumulative sum of the cotangent. x may be a shape-only stand-in.
        nb = g.ndim - (1 if axis is None else x.ndim)
        along = g.ndim - 1 if axis is None else nb + axis
        tail = np.flip(np.cumsum(np.flip(g, along), axis=along), along)
        return tail.reshape(g.shape[:nb] + x.shape)

