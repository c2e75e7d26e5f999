"""Neural-network layers over axes: softmax, log_softmax, layer_norm and cross_entropy.

Exported from ``diffcheck.nn`` (``public = False``), not the top level. Forwards are
max-shifted, so no exponent overflows; VJPs are the hand-written stable forms; the SymPy
lowerings are the textbook formulas, and each output row of n elements depends on all n
inputs of its row, so a lowering has n·n derivative terms per row (``lowered_terms``).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from diffcheck._lazy import sympy as sp
from diffcheck.errors import ShapeError
from diffcheck.ops.arithmetic import MARGIN
from diffcheck.ops.arrays import as_objects
from diffcheck.ops.base import Op, hashable, op
from diffcheck.ops.drawing import Draw, Sample
from diffcheck.ops.notation import Call
from diffcheck.ops.reductions import count, normalize_axis

REDUCTIONS = ("mean", "sum")  # cross_entropy's reduction over the batch, as in PyTorch


# ----- helpers: axes, group means, SymPy group sums -----
def axes_of(name, shape, axis):
    """``axis`` (int, tuple, or None for all) as sorted non-negative axes; a ShapeError
    when it names no axis, an axis outside ``shape``, or an empty one (a TypeError when
    it is not made of ints)."""
    items = axis if isinstance(axis, tuple | list) else () if axis is None else (axis,)
    if any(isinstance(a, bool | np.bool_) or not isinstance(a, int | np.integer) for a in items):
        raise TypeError(f"{name}: axis must be an int, a tuple of ints or None, got {axis!r}")
    axes = normalize_axis(name, shape, axis)
    if not axes:
        raise ShapeError(f"{name}: axis={axis!r} names no axis of shape {shape}; it normalises "
                         "over at least one axis (a scalar has none)")
    if count(shape, axes) == 0:
        raise ShapeError(f"{name}: axis {axis!r} of shape {shape} has no elements")
    return axes


def canonical_axis(name, shape, axis):
    """One non-negative int for one axis, else a sorted tuple (None: every axis)."""
    axes = axes_of(name, shape, axis)
    return axes[0] if len(axes) == 1 else axes


def from_end(axis, ndim):
    """Canonical axes counted from the end, so they hold with leading batch axes too."""
    return axis - ndim if isinstance(axis, int) else tuple(a - ndim for a in axis)


def mean(x, axis):
    """The mean over ``axis``, keeping its dims (without ``np.mean``'s per-call cost)."""
    total = np.add.reduce(x, axis=axis, keepdims=True)
    return total * (total.size / x.size)


_vecdot = getattr(np, "vecdot", None)  # NumPy >= 2.0


def mean_product(x, y, axis):
    """The mean of ``x * y`` over ``axis``, keeping its dims."""
    if _vecdot is not None and isinstance(axis, int) and x.dtype.kind == y.dtype.kind == "f":
        # NOTE: one fused pass, a third of the time of the product and the sum at 64×256;
        # only for real values (vecdot conjugates its first argument).
        return np.expand_dims(_vecdot(x, y, axis=axis), axis) * (1.0 / x.shape[axis])
    return mean(x * y, axis)


def shifted_exp(x, axis):
    """``exp(x − max x)`` over ``axis`` (the max of the real part: a constant shift)."""
    # NOTE: every exponent is ≤ 0 and one is 0, so nothing overflows and the sum is ≥ 1;
    # a constant shift leaves complex steps exact.
    return np.exp(x - np.max(np.real(x), axis=axis, keepdims=True))


def group_sums(objs, axis):
    """SymPy sums of ``objs`` over ``axis``, kept as size-1 axes (one ``Add`` per group)."""
    axes = (axis,) if isinstance(axis, int) else axis
    kept = [i for i in range(objs.ndim) if i not in axes]
    rows = np.transpose(objs, kept + list(axes)).reshape([objs.shape[i] for i in kept] + [-1])
    sums = np.empty(rows.shape[:-1], dtype=object)
    for index in np.ndindex(sums.shape):
        sums[index] = sp.Add(*rows[index])
    return sums.reshape([1 if i in axes else n for i, n in enumerate(objs.shape)])


def sympy_exp(objs):
    return np.frompyfunc(sp.exp, 1, 1)(objs)


def drawn_axis(shapes, choice):
    """The last axis for even ``choice``, else one of the axes."""
    ndim = len(shapes[0])
    return {"axis": -1 if ndim == 0 or choice % 2 == 0 else choice % ndim}


class AlongAxis(Op):
    """One input normalised over ``axis`` (int or tuple), same shape out; public in ``nn``."""

    arity = 1
    keywords = ("axis",)
    sympy_route = "lower"  # every output of a row depends on the whole row
    printing, draw = Call(shown=("axis",)), Draw(params=drawn_axis)
    samples = (Sample(((2, 3),)), Sample(((2, 3),), {"axis": 0}), Sample(((4,),)),
               Sample(((2, 3),), {"axis": (0, 1)}))

    def shape(self, a, axis=-1):
        axes_of(self.name, a, axis)
        return a

    def canonical(self, a, axis=-1):
        return {"axis": canonical_axis(self.name, a, axis)}

    def lowered_terms(self, out_shape, a, axis=-1, **params):
        return math.prod(out_shape) * count(a, axes_of(self.name, a, axis))  # n·n per row

    def groups(self, a, axis=-1, **params):
        """Each group along ``axis`` is normalised on its own by the same function."""
        axes = axes_of(self.name, a, axis)
        if len(axes) == len(a):
            return None
        return axes, {**params, "axis": tuple(range(len(axes))) if len(axes) > 1 else 0}

    @property
    def vjps(self):
        return (self.vjp,)


# ----- softmax and log_softmax -----
@op
class Softmax(AlongAxis):
    """softmax(x, axis) = exp(x) / sum(exp(x), axis)."""

    name = "softmax"
    reads = (("out",),)

    def forward(self, x, axis=-1):
        e = shifted_exp(x, axis)
        return e / np.add.reduce(e, axis=axis, keepdims=True)

    def lower(self, x, axis=-1):
        e = sympy_exp(x)
        return as_objects(e / group_sums(e, axis))

    @staticmethod
    def vjp(g, out, x, axis=-1):
        # s ⊙ (g − Σ g s): the Jacobian diag(s) − s sᵀ applied without forming it.
        ax = from_end(axis, out.ndim)
        return out * (g - np.add.reduce(g * out, axis=ax, keepdims=True))


@op
class LogSoftmax(AlongAxis):
    """log_softmax(x, axis) = x - log(sum(exp(x), axis))."""

    name = "log_softmax"
    reads = (("out",),)

    def forward(self, x, axis=-1):
        shift = np.max(np.real(x), axis=axis, keepdims=True)
        z = x - shift
        return z - np.log(np.add.reduce(np.exp(z), axis=axis, keepdims=True))

    def lower(self, x, axis=-1):
        return as_objects(x - np.frompyfunc(sp.log, 1, 1)(group_sums(sympy_exp(x), axis)))

    @staticmethod
    def vjp(g, out, x, axis=-1):
        # NOTE: exp(out) is the softmax and out ≤ 0, so it never overflows.
        ax = from_end(axis, out.ndim)
        return g - np.exp(out) * np.add.reduce(g, axis=ax, keepdims=True)


# ----- layer_norm -----
def layer_norm_axis(shapes, choice):
    """The last axis, or every axis, with the default eps."""
    return {"axis": -1 if len(shapes[0]) < 2 or choice % 2 == 0 else None}


@op
class LayerNorm(AlongAxis):
    """layer_norm(x, axis, eps) = (x - mean(x)) / sqrt(var(x) + eps) over axis (var biased)."""

    name = "layer_norm"
    keywords = ("axis", "eps")
    reads = (("out", 0),)
    draw = Draw(params=layer_norm_axis)
    samples = (Sample(((2, 3),)), Sample(((2, 3),), {"axis": (0, 1)}),
               Sample(((4, 2),), {"axis": 0, "eps": 0.25}), Sample(((5,),)))

    def shape(self, a, axis=-1, eps=1e-5):
        self.check_eps(eps)
        return super().shape(a, axis)

    def canonical(self, a, axis=-1, eps=1e-5):
        return {"axis": canonical_axis(self.name, a, axis), "eps": self.check_eps(eps)}

    @staticmethod
    def check_eps(eps):
        """``eps`` as a float; a ValueError unless it is a finite real number ≥ 0."""
        if isinstance(eps, bool | np.bool_) or not isinstance(eps, int | float | np.integer | np.floating) \
                or not np.isfinite(eps) or eps < 0:
            raise ValueError(f"layer_norm: eps must be a finite number >= 0, got {eps!r}")
        return float(eps)

    def forward(self, x, axis=-1, eps=1e-5):
        d = x - mean(x, axis)
        # NOTE: d·d, not |d|², keeps the forward complex-analytic for complex steps.
        return d * (1.0 / np.sqrt(mean_product(d, d, axis) + eps))

    def lower(self, x, axis=-1, eps=1e-5):
        n = sp.Integer(count(x.shape, (axis,) if isinstance(axis, int) else axis))
        d = x - group_sums(x, axis) / n
        variance = group_sums(d * d, axis) / n
        return as_objects(d / np.frompyfunc(sp.sqrt, 1, 1)(variance + sp.Float(eps)))

    @staticmethod
    def vjp(g, out, x, axis=-1, eps=1e-5):
        # (g − mean g − x̂ · mean(g x̂)) / σ with x̂ = out: the projection form, with σ
        # recomputed from the centred x (no cancellation, whatever the offset of x).
        ax = from_end(axis, x.ndim)
        d = x - mean(x, ax)
        inv_sigma = 1.0 / np.sqrt(mean_product(d, d, ax) + eps)
        dx = g - out * mean_product(g, out, ax)
        dx -= mean(g, ax)
        dx *= inv_sigma
        return dx

    def domain(self, x, axis=-1, eps=1e-5):
        """Rows spread out (σ ≥ MARGIN), where the 1/σ of the derivative is moderate."""
        if count(x.shape, (axis,) if isinstance(axis, int) else axis) == 1:
            return eps > 0  # the output is 0 whatever x is
        d = x - mean(x, axis)
        return bool(np.all(mean(d * d, axis) + eps >= MARGIN**2))


# ----- cross_entropy -----
@lru_cache(maxsize=64)
def label_array(labels):
    """The canonical labels (an int or nested tuples) as a read-only intp array."""
    array = np.asarray(labels, dtype=np.intp)
    array.setflags(write=False)
    return array


def checked_labels(shape, labels):
    """``labels`` as an intp array of shape ``shape[:-1]``, each in 0..C-1; a ShapeError
    for the wrong shape, a ValueError naming the first label that is no class index."""
    classes, batch = shape[-1], shape[:-1]
    try:
        raw = None if labels is None else np.asarray(labels)
    except (TypeError, ValueError):  # ragged lists, expressions
        raw = None
    if raw is None or raw.dtype.kind not in "iuf":
        raise ValueError(f"cross_entropy: labels must be integer class indices 0..{classes - 1} "
                         f"(C = {classes}), one per row of logits {shape}; got {labels!r}")
    if raw.shape != batch:
        raise ShapeError(f"cross_entropy: labels of shape {raw.shape} do not fit logits of shape "
                         f"{shape}: expected one label per row, shape {batch}")
    bad = ~np.isfinite(raw) | (raw != np.round(raw)) if raw.dtype.kind == "f" else np.zeros(raw.shape, bool)
    bad |= (raw < 0) | (raw >= classes)
    if np.any(bad):
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        what = "an integer" if raw[where] != np.round(raw[where]) else "in range"
        raise ValueError(f"cross_entropy: label {raw[where].item()!r} at index {where} is not "
                         f"{what}: a class index must be an integer in 0..{classes - 1} (C = {classes})")
    return raw.astype(np.intp)


def one_hot_minus(p, labels):
    """``p − onehot(labels)`` over the last axis (``p`` is a fresh array, changed in place)."""
    np.put_along_axis(p, labels[..., None], np.take_along_axis(p, labels[..., None], -1) - 1.0, -1)
    return p


def drawn_labels(shapes, choice):
    """Labels ``(choice + row) mod C`` for every row (``shape[:-1]``), the mean reduction."""
    shape = shapes[0]
    if not shape or shape[-1] == 0:
        return {"labels": 0}  # the shape rule refuses it
    rows = np.arange(math.prod(shape[:-1])).reshape(shape[:-1])
    return {"labels": (choice + rows) % shape[-1]}


@op
class CrossEntropy(Op):
    """cross_entropy(z, labels) = mean over rows of log(sum(exp(z))) - z[label], labels in 0..C-1."""

    name, arity = "cross_entropy", 1
    keywords = ("labels", "reduction")
    reads = ((0,),)  # the logits: the gradient is softmax(z) − onehot
    sympy_route = "lower"
    printing, draw = Call(shown=("reduction",)), Draw(params=drawn_labels)
    samples = (Sample(((3, 4),), {"labels": (0, 3, 1)}),
               Sample(((4,),), {"labels": 2, "reduction": "sum"}),
               Sample(((2, 2, 3),), {"labels": ((0, 2), (1, 1))}))

    def shape(self, a, labels=None, reduction="mean"):
        if not a:
            raise ShapeError(f"cross_entropy: logits must have a class axis last, shape (..., C); "
                             f"got shape {a}")
        if 0 in a:
            raise ShapeError(f"cross_entropy: logits of shape {a} have no elements")
        self.check_reduction(reduction)
        checked_labels(a, labels)
        return ()

    def canonical(self, a, labels=None, reduction="mean"):
        return {"labels": hashable(self.name, "labels", checked_labels(a, labels)),
                "reduction": self.check_reduction(reduction)}

    @staticmethod
    def check_reduction(reduction):
        if not isinstance(reduction, str) or reduction not in REDUCTIONS:
            raise ValueError(f"cross_entropy: reduction must be 'mean' or 'sum', got {reduction!r}")
        return reduction

    def lowered_terms(self, out_shape, a, **params):
        return math.prod(a)  # one term per logit: log Σ exp over each row

    def forward(self, x, labels=None, reduction="mean"):
        labels = label_array(labels)
        shift = np.max(np.real(x), axis=-1, keepdims=True)
        z = x - shift
        # NOTE: log Σ exp(z) − z[label] with z ≤ 0: no overflow and no large cancelling terms.
        picked = np.take_along_axis(z, labels[..., None], -1)[..., 0]
        per_row = np.log(np.add.reduce(np.exp(z), axis=-1)) - picked
        total = np.add.reduce(per_row, axis=None)
        return total / labels.size if reduction == "mean" else total

    def lower(self, x, labels=None, reduction="mean"):
        labels = label_array(labels)
        rows = x.reshape(-1, x.shape[-1])
        terms = [sp.log(sp.Add(*sympy_exp(row))) - row[k] for row, k in zip(rows, labels.ravel())]
        total = sp.Add(*terms)
        return as_objects(total / labels.size if reduction == "mean" else total)

    @property
    def vjps(self):
        return (self.vjp,)

    @staticmethod
    def vjp(g, out, x, labels=None, reduction="mean"):
        labels = label_array(labels)
        e = shifted_exp(x, -1)
        p = one_hot_minus(e / np.add.reduce(e, axis=-1, keepdims=True), labels)
        if reduction == "mean":
            p /= labels.size
        return np.reshape(g, np.shape(g) + (1,) * x.ndim) * p
