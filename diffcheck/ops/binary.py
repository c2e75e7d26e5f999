"""Elementwise functions of two inputs with NumPy's names and broadcasting (maximum
minimum hypot arctan2 logaddexp), ``where`` with a constant mask, and ``clip`` with
constant bounds.

Non-differentiable points are kinks, which random points avoid and checks report:
ties of ``maximum``/``minimum`` (where the tape gives each input half the gradient, as
PyTorch does), the bounds of ``clip`` (where the tape passes the gradient, as PyTorch's
``clamp``), the origin of ``hypot`` and the cut of ``arctan2`` (the origin and the ray
x1 = 0, x2 < 0, where it jumps by 2π); the tape takes 0 at those origins.
"""

from __future__ import annotations

import math

import numpy as np

from diffcheck._lazy import LazyModule
from diffcheck._lazy import sympy as sp
from diffcheck.errors import ShapeError
from diffcheck.ops.arithmetic import Binary
from diffcheck.ops.arrays import as_objects
from diffcheck.ops.base import Op, hashable, op
from diffcheck.ops.drawing import Draw, Sample
from diffcheck.ops.elementwise import Unary
from diffcheck.ops.notation import ATOM, Call, Text

sympy_functions = LazyModule("diffcheck.sympy_functions")


class Pairwise(Binary):
    """A public elementwise function of two inputs, printed as a call (``maximum(x, y)``)."""

    printing, public = Call(), True

    def lower(self, x, y):
        return as_objects(np.frompyfunc(self.lower_scalar, 2, 1)(x, y))


def share(x, y):
    """The part of ``maximum(x, y)``'s gradient that goes to ``x``: 1, 0, or ½ at a tie."""
    return np.where(x > y, 1.0, np.where(x == y, 0.5, 0.0))


class Tie(Pairwise):
    """maximum or minimum: kinks where the inputs tie."""

    analytic, reads = False, ((0, 1), (0, 1))

    def kink_distance(self, x, y):
        return np.abs(np.real(x) - np.real(y))

    def kink_side(self, x, y):
        return np.sign(np.real(x) - np.real(y))


@op
class Maximum(Tie):
    """maximum(x, y), the larger of x and y, elementwise (kinks where x == y)."""

    name, numpy_names = "maximum", ("maximum",)
    forward = staticmethod(np.maximum)
    lower_scalar = staticmethod(lambda x, y: sp.Max(x, y))

    @staticmethod
    def vjp_x(g, out, x, y):
        return g * share(x, y)

    @staticmethod
    def vjp_y(g, out, x, y):
        return g * share(y, x)


@op
class Minimum(Tie):
    """minimum(x, y), the smaller of x and y, elementwise (kinks where x == y)."""

    name, numpy_names = "minimum", ("minimum",)
    forward = staticmethod(np.minimum)
    lower_scalar = staticmethod(lambda x, y: sp.Min(x, y))

    @staticmethod
    def vjp_x(g, out, x, y):
        return g * share(y, x)

    @staticmethod
    def vjp_y(g, out, x, y):
        return g * share(x, y)


def nonzero(value):
    """``value`` with 0 replaced by 1, a divisor for slopes that are 0 at an origin."""
    return np.where(value == 0, 1.0, value)


@op
class Hypot(Pairwise):
    """hypot(x, y) = sqrt(x**2 + y**2), elementwise (a kink at x = y = 0)."""

    name, numpy_names, analytic = "hypot", ("hypot",), False
    reads = (("out", 0), ("out", 1))

    @staticmethod
    def forward(x, y):
        if np.iscomplexobj(x) or np.iscomplexobj(y):  # a complex step: the analytic extension
            return np.sqrt(x * x + y * y)
        return np.hypot(x, y)  # NOTE: no overflow in x**2 for |x| > 1e154
    lower_scalar = staticmethod(lambda x, y: sp.sqrt(x**2 + y**2))

    @staticmethod
    def vjp_x(g, out, x, y):
        return g * (x / nonzero(out))

    @staticmethod
    def vjp_y(g, out, x, y):
        return g * (y / nonzero(out))

    def kink_distance(self, x, y):
        return np.hypot(np.real(x), np.real(y))

    def kink_side(self, x, y):
        return (self.kink_distance(x, y) > 0).astype(float)


@op
class Arctan2(Pairwise):
    """arctan2(x1, x2), the angle of the point (x2, x1) in (-π, π], elementwise (a jump at x1 = 0, x2 < 0)."""

    name, numpy_names, analytic = "arctan2", ("arctan2",), False
    reads = ((0, 1), (0, 1))
    lower_scalar = staticmethod(lambda x1, x2: sp.atan2(x1, x2))

    @staticmethod
    def forward(x1, x2):
        if np.iscomplexobj(x1) or np.iscomplexobj(x2):  # a complex step: the analytic extension
            return complex_arctan2(x1, x2)
        return np.arctan2(x1, x2)

    @staticmethod
    def vjp_x(g, out, x1, x2):
        return g * (x2 / nonzero(x1 * x1 + x2 * x2))

    @staticmethod
    def vjp_y(g, out, x1, x2):
        return g * (-x1 / nonzero(x1 * x1 + x2 * x2))

    def kink_distance(self, x1, x2):
        """The distance from the ray x1 = 0, x2 <= 0 (the cut and the origin)."""
        x1, x2 = np.real(x1), np.real(x2)
        return np.where(x2 < 0, np.abs(x1), np.hypot(x1, x2))

    def kink_side(self, x1, x2):
        """The sign of x1, and 1 on the positive x2 axis: 0 on the cut and at the origin only."""
        x1, x2 = np.broadcast_arrays(np.real(x1), np.real(x2))
        return np.where(x1 != 0, np.sign(x1), (x2 > 0).astype(float))


def complex_arctan2(x1, x2):
    """arctan2 continued analytically off the real axes, branching on the real parts as
    the real function does: ``arctan(x1/x2)`` shifted by ±π when Re x2 < 0, and
    ``±π/2 − arctan(x2/x1)`` where |Re x1| > |Re x2| (no division by a small x2)."""
    x1, x2 = np.broadcast_arrays(x1, x2)
    r1, r2 = np.real(x1), np.real(x2)
    steep = np.abs(r1) > np.abs(r2)
    upper = r1 >= 0
    with np.errstate(all="ignore"):
        turn = np.where(r2 < 0, np.where(upper, np.pi, -np.pi), 0.0)
        flat = np.arctan(x1 / np.where(steep | (x2 == 0), 1.0, x2)) + turn
        upright = np.where(upper, np.pi / 2, -np.pi / 2) - np.arctan(x2 / np.where(steep, x1, 1.0))
    return np.where(steep, upright, np.where((x1 == 0) & (x2 == 0), 0.0, flat))


@op
class Logaddexp(Pairwise):
    """logaddexp(x, y) = log(exp(x) + exp(y)), elementwise, without overflow."""

    name, numpy_names = "logaddexp", ("logaddexp",)
    reads = (("out", 0), ("out", 1))
    lower_scalar = staticmethod(lambda x, y: sympy_functions.logaddexp(x, y))

    @staticmethod
    def forward(x, y):
        if np.result_type(x, y).kind != "c":
            return np.logaddexp(x, y)
        # NOTE: for complex steps (logaddexp is real only), branch on the real parts:
        # exp(lo - hi) never overflows and each branch is analytic in x and y.
        first = np.real(x) >= np.real(y)
        hi, lo = np.where(first, x, y), np.where(first, y, x)
        return hi + np.log1p(np.exp(lo - hi))

    @staticmethod
    def vjp_x(g, out, x, y):
        return g * np.exp(x - out)  # NOTE: x - out <= 0, so exp never overflows

    @staticmethod
    def vjp_y(g, out, x, y):
        return g * np.exp(y - out)


# ----- where: a constant mask -----
def mask(cond):
    """``cond`` as a bool array; a TypeError says what it must be."""
    from diffcheck.ir import Expr

    need = "where: cond must be a constant array-like of bools (True where the result takes a)"
    if isinstance(cond, Expr):
        raise TypeError(f"{need}, not a diffcheck expression: a mask that depends on the point "
                        "is not differentiable; evaluate it first")
    try:
        value = np.asarray(cond)
    except (TypeError, ValueError):
        raise TypeError(f"{need}; got {cond!r}") from None
    if value.dtype != bool:
        raise TypeError(f"{need}; got values of dtype {value.dtype} (compare first, e.g. "
                        "np.asarray(c) > 0)")
    return value


def drawn_mask(shapes, choice):
    """A mask of the inputs' broadcast shape with both True and False (for most shapes)."""
    shape = np.broadcast_shapes(*shapes)
    flags = (np.arange(math.prod(shape)) + choice) % 3 != 0
    return {"cond": flags.reshape(shape).tolist()}


@op
class Where(Op):
    """where(cond, a, b) = a where the constant mask cond is True, else b, elementwise with broadcasting."""

    name, arity, keywords, public = "where", 2, ("cond",), True
    broadcasts, sympy_route = True, "lower"  # not "elementwise": the rule differs per element
    numpy_names, printing = ("where",), Call()
    reads = ((), ())
    samples = (Sample(((2, 3), (3,)), {"cond": ((True, False, True), (False, False, True))}),
               Sample(((3,), ()), {"cond": ((True,), (False,))}))  # cond broadcasts the output
    draw = Draw(fit="broadcast", params=drawn_mask)

    def shape(self, a, b, cond=None):
        given = mask(cond).shape
        try:
            return tuple(np.broadcast_shapes(given, a, b))
        except ValueError:
            raise ShapeError(f"where: cannot broadcast shapes {given} (cond), {a} (a) and {b} (b)") from None

    def canonical(self, a, b, cond=None):
        return {"cond": hashable(self.name, "cond", mask(cond).tolist())}

    @staticmethod
    def forward(a, b, cond):
        return np.where(cond, a, b)

    def lower(self, a, b, cond):
        return as_objects(np.where(np.asarray(cond, dtype=bool), a, b))

    @property
    def vjps(self):
        return (lambda g, out, a, b, cond: np.where(cond, g, 0.0),
                lambda g, out, a, b, cond: np.where(cond, 0.0, g))

    def text(self, inputs, cond=None, **params):
        shown = np.asarray(cond, dtype=bool)
        flags = str(shown.tolist()) if shown.size <= 6 else f"<bool mask {shown.shape}>"
        return Text(f"where({', '.join([flags, *(t.text for t in inputs)])})", ATOM)

    def usage(self):
        return "dc.where(cond, x, y)"

    def builder(self):
        from diffcheck.ir import apply

        def where(*args, **kwargs):
            if kwargs or len(args) != 3:
                raise TypeError("dc.where() takes three positional arguments, as np.where does: "
                                "dc.where(cond, a, b) with a constant mask cond (its one-argument "
                                "form, the indices of True entries, has no diffcheck twin)")
            cond, a, b = args
            return apply("where", a, b, cond=cond)

        where.__doc__ = type(self).__doc__
        return where


# ----- clip: constant bounds -----
def bound(key, value):
    """A bound of ``clip`` as a float or None; a TypeError or ValueError names it."""
    from diffcheck.ir import Expr

    if value is None:
        return None
    if isinstance(value, Expr):
        raise TypeError(f"clip: {key} must be a constant number or None, not an expression "
                        "(for a bound that varies, use dc.maximum and dc.minimum)")
    array = np.asarray(value) if not isinstance(value, bool | np.bool_) else None
    if array is None or array.dtype.kind not in "iuf" or array.ndim:
        shown = f"an array of shape {array.shape}" if array is not None and array.ndim else repr(value)
        raise TypeError(f"clip: {key} must be a real number or None, got {shown} "
                        "(for elementwise bounds, use dc.maximum and dc.minimum)")
    if math.isnan(array):
        raise ValueError(f"clip: {key} is NaN")
    return float(array)


def bounds(a_min, a_max):
    """Both bounds, checked; a ValueError when ``a_min > a_max``."""
    lo, hi = bound("a_min", a_min), bound("a_max", a_max)
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"clip: a_min={lo} is above a_max={hi} (NumPy would give a_max everywhere)")
    return lo, hi


@op
class Clip(Unary):
    """clip(x, a_min, a_max) = x limited to [a_min, a_max] elementwise (None: no bound; kinks at bounds)."""

    name, analytic = "clip", False
    keywords, methods, numpy_names = ("a_min", "a_max"), ("clip",), ("clip",)
    reads = ((0,),)
    printing = Call(shown=("a_min", "a_max"))
    samples = (Sample(((2, 3),), {"a_min": -1.0, "a_max": 1.0}), Sample(((4,),), {"a_min": 0.5}),
               Sample(((3,),), {"a_max": -0.5}))
    draw = Draw(params=lambda shapes, choice: ({"a_min": -1.0, "a_max": 1.0}, {"a_min": 0.5},
                                               {"a_max": -0.5})[choice % 3])

    def shape(self, a, a_min=None, a_max=None):
        bounds(a_min, a_max)
        return a

    def canonical(self, a, a_min=None, a_max=None):
        lo, hi = bounds(a_min, a_max)
        return {"a_min": lo, "a_max": hi}

    @staticmethod
    def forward(x, a_min=None, a_max=None):
        return np.clip(x, a_min, a_max)

    def lower(self, x, a_min=None, a_max=None):
        def scalar(t):
            t = t if a_min is None else sp.Max(t, a_min)
            return t if a_max is None else sp.Min(t, a_max)

        return as_objects(np.frompyfunc(scalar, 1, 1)(x))

    @staticmethod
    def vjp(g, out, x, a_min=None, a_max=None):
        # NOTE: on a bound the tape passes the gradient (PyTorch's clamp); checks report it.
        inside = np.ones(np.shape(x), bool)
        if a_min is not None:
            inside &= x >= a_min
        if a_max is not None:
            inside &= x <= a_max
        return g * inside

    def kink_distance(self, x, a_min=None, a_max=None):
        x = np.real(x)
        far = np.full(np.shape(x), np.inf)
        return np.min([far, *(np.abs(x - b) for b in (a_min, a_max) if b is not None)], axis=0)

    def kink_side(self, x, a_min=None, a_max=None):
        x = np.real(x)
        return np.array([np.sign(x - b) for b in (a_min, a_max) if b is not None])

    def method_builder(self, name):
        from diffcheck.ir import apply

        def clip(x, *limits, **given):
            """``e.clip(min, max)``, as NumPy's ``ndarray.clip``."""
            if len(limits) > 2 or set(given) - {"min", "max"}:
                raise TypeError("Expr.clip() takes min and max, as ndarray.clip does: e.clip(min, max)")
            named = dict(zip(("min", "max"), limits))
            if set(named) & set(given):
                raise TypeError(f"Expr.clip() got multiple values for {sorted(set(named) & set(given))[0]!r}")
            named.update(given)
            return apply("clip", x, a_min=named.get("min"), a_max=named.get("max"))

        return clip
