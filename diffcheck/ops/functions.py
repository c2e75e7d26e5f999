"""More elementwise functions of one input, with NumPy's names: trigonometric and
hyperbolic functions and their inverses, log1p expm1 log2 log10 square reciprocal
sign, and softplus and leaky_relu (no NumPy twin).

Domains keep random points ``MARGIN`` inside (``arcsin`` on |x| < 1, ``tan`` off its
poles); ``into_domain`` moves a variable that feeds ``arcsin``/``arccos``/``arctanh``
into (-0.9, 0.9) and one that feeds ``arccosh`` above 1.1, which rejection alone would
rarely find for a matrix. ``sign`` and ``leaky_relu`` have a kink at 0.
"""

from __future__ import annotations

import math

import numpy as np

from diffcheck._lazy import LazyModule
from diffcheck._lazy import sympy as sp
from diffcheck.ops import matrix_rules
from diffcheck.ops.arithmetic import MARGIN
from diffcheck.ops.arrays import as_objects
from diffcheck.ops.base import op
from diffcheck.ops.drawing import Draw, Sample
from diffcheck.ops.elementwise import Unary
from diffcheck.ops.notation import Call

sympy_functions = LazyModule("diffcheck.sympy_functions")


class Inside1(Unary):
    """A function defined on |x| < 1 (arcsin, arccos, arctanh)."""

    reads = ((0,),)

    def domain(self, x):
        return bool(np.all(np.abs(x) < 1 - MARGIN))

    def into_domain(self, k, x):
        return 0.9 * np.tanh(x)


@op
class Tan(Unary):
    """tan(x), elementwise (away from the poles at π/2 + kπ)."""

    name, numpy_names = "tan", ("tan",)
    forward = staticmethod(np.tan)
    lower_scalar = staticmethod(lambda x: sp.tan(x))

    @staticmethod
    def vjp(g, out, x):
        return g * (1.0 + out * out)

    def domain(self, x):
        return bool(np.all(np.abs(np.cos(x)) > MARGIN))


@op
class Arcsin(Inside1):
    """arcsin(x), elementwise (|x| < 1)."""

    name, numpy_names = "arcsin", ("arcsin",)
    forward = staticmethod(np.arcsin)
    lower_scalar = staticmethod(lambda x: sp.asin(x))

    @staticmethod
    def vjp(g, out, x):
        return g / np.sqrt((1.0 - x) * (1.0 + x))


@op
class Arccos(Inside1):
    """arccos(x), elementwise (|x| < 1)."""

    name, numpy_names = "arccos", ("arccos",)
    forward = staticmethod(np.arccos)
    lower_scalar = staticmethod(lambda x: sp.acos(x))

    @staticmethod
    def vjp(g, out, x):
        return -g / np.sqrt((1.0 - x) * (1.0 + x))


@op
class Arctan(Unary):
    """arctan(x), elementwise."""

    name, numpy_names, reads = "arctan", ("arctan",), ((0,),)
    forward = staticmethod(np.arctan)
    lower_scalar = staticmethod(lambda x: sp.atan(x))

    @staticmethod
    def vjp(g, out, x):
        return g / (1.0 + x * x)


@op
class Sinh(Unary):
    """sinh(x), elementwise."""

    name, numpy_names, reads = "sinh", ("sinh",), ((0,),)
    forward = staticmethod(np.sinh)
    lower_scalar = staticmethod(lambda x: sp.sinh(x))

    @staticmethod
    def vjp(g, out, x):
        return g * np.cosh(x)


@op
class Cosh(Unary):
    """cosh(x), elementwise."""

    name, numpy_names, reads = "cosh", ("cosh",), ((0,),)
    forward = staticmethod(np.cosh)
    lower_scalar = staticmethod(lambda x: sp.cosh(x))

    @staticmethod
    def vjp(g, out, x):
        return g * np.sinh(x)


@op
class Arcsinh(Unary):
    """arcsinh(x), elementwise."""

    name, numpy_names, reads = "arcsinh", ("arcsinh",), ((0,),)
    forward = staticmethod(np.arcsinh)
    lower_scalar = staticmethod(lambda x: sp.asinh(x))

    @staticmethod
    def vjp(g, out, x):
        return g / np.sqrt(x * x + 1.0)


@op
class Arccosh(Unary):
    """arccosh(x), elementwise (x > 1)."""

    name, numpy_names, reads = "arccosh", ("arccosh",), ((0,),)
    draw = Draw(positive=(0,))
    forward = staticmethod(np.arccosh)
    lower_scalar = staticmethod(lambda x: sp.acosh(x))

    @staticmethod
    def vjp(g, out, x):
        return g / np.sqrt((x - 1.0) * (x + 1.0))  # no cancellation in x*x - 1 near 1

    def domain(self, x):
        return bool(np.all(x > 1 + MARGIN))

    def into_domain(self, k, x):
        return 1.1 + np.abs(x)


@op
class Arctanh(Inside1):
    """arctanh(x), elementwise (|x| < 1)."""

    name, numpy_names = "arctanh", ("arctanh",)
    forward = staticmethod(np.arctanh)
    lower_scalar = staticmethod(lambda x: sp.atanh(x))

    @staticmethod
    def vjp(g, out, x):
        return g / ((1.0 - x) * (1.0 + x))


@op
class Log1p(Unary):
    """log1p(x) = log(1 + x), elementwise, accurate for tiny x (x > -1)."""

    name, numpy_names, reads = "log1p", ("log1p",), ((0,),)
    draw = Draw(positive=(0,))
    forward = staticmethod(np.log1p)
    lower_scalar = staticmethod(lambda x: sp.log(1 + x))

    @staticmethod
    def vjp(g, out, x):
        return g / (1.0 + x)

    def domain(self, x):
        return bool(np.all(x > -1 + MARGIN))


@op
class Expm1(Unary):
    """expm1(x) = exp(x) - 1, elementwise, accurate for tiny x."""

    name, numpy_names = "expm1", ("expm1",)
    reads = ((0,),)  # exp(x), not out + 1: that loses exp(x) to rounding for x ≪ 0
    forward = staticmethod(np.expm1)
    lower_scalar = staticmethod(lambda x: sp.exp(x) - 1)

    @staticmethod
    def vjp(g, out, x):
        return g * np.exp(x)


class Logarithm(Unary):
    """A logarithm to a fixed ``base`` (x > 0)."""

    reads, draw = ((0,),), Draw(positive=(0,))
    base: int

    def lower_scalar(self, x):
        return sp.log(x, self.base)

    def vjp(self, g, out, x):
        return g / (x * math.log(self.base))

    def domain(self, x):
        return bool(np.all(x > MARGIN))


@op
class Log2(Logarithm):
    """log2(x), the base-2 logarithm, elementwise (x > 0)."""

    name, numpy_names, base = "log2", ("log2",), 2
    forward = staticmethod(np.log2)


@op
class Log10(Logarithm):
    """log10(x), the base-10 logarithm, elementwise (x > 0)."""

    name, numpy_names, base = "log10", ("log10",), 10
    forward = staticmethod(np.log10)


@op
class Square(Unary):
    """square(x) = x * x, elementwise."""

    name, numpy_names, reads = "square", ("square",), ((0,),)
    matrix_rule = staticmethod(matrix_rules.square)
    forward = staticmethod(np.square)
    lower_scalar = staticmethod(lambda x: x**2)

    @staticmethod
    def vjp(g, out, x):
        return g * (2.0 * x)


@op
class Reciprocal(Unary):
    """reciprocal(x) = 1 / x, elementwise (x != 0)."""

    name, numpy_names = "reciprocal", ("reciprocal",)
    draw = Draw(positive=(0,))  # keeps drawn operands away from 0
    forward = staticmethod(np.reciprocal)
    lower_scalar = staticmethod(lambda x: 1 / x)

    @staticmethod
    def vjp(g, out, x):
        return -g * (out * out)

    def domain(self, x):
        return bool(np.all(np.abs(x) > MARGIN))


@op
class Sign(Unary):
    """sign(x) = -1, 0 or 1, elementwise (slope 0; a jump at 0)."""

    name, numpy_names, analytic, kinks = "sign", ("sign",), False, (0.0,)
    reads = ((),)  # the slope is 0 everywhere the function is differentiable
    forward = staticmethod(np.sign)
    lower_scalar = staticmethod(lambda x: sympy_functions.sign(x))

    @staticmethod
    def vjp(g, out, x):
        return np.zeros_like(g)


@op
class Softplus(Unary):
    """softplus(x) = log(1 + exp(x)), elementwise, without overflow for large |x|."""

    name, reads = "softplus", ((0,),)
    lower_scalar = staticmethod(lambda x: sympy_functions.softplus(x))

    @staticmethod
    def forward(x):
        if x.dtype.kind != "c":
            return np.logaddexp(0.0, x)
        # NOTE: for complex steps (logaddexp is real only), branch on the real part:
        # exp(-|Re x|) never overflows and each branch is analytic in x.
        side = np.where(np.real(x) >= 0, 1.0, -1.0)
        return np.where(side > 0, x, 0.0) + np.log1p(np.exp(-side * x))

    @staticmethod
    def vjp(g, out, x):
        if x.dtype.kind != "c":
            return g * np.exp(-np.logaddexp(0.0, -x))  # sigmoid(x), finite in both tails
        # NOTE: for a complex step through the tape, sigmoid branched on the real part.
        side = np.where(np.real(x) >= 0, 1.0, -1.0)
        e = np.exp(-side * x)
        return g * (np.where(side > 0, 1.0, e) / (1.0 + e))


@op
class LeakyRelu(Unary):
    """leaky_relu(x) = x for x > 0, negative_slope * x otherwise, elementwise (kink at 0)."""

    name, analytic, kinks, reads = "leaky_relu", False, (0.0,), ((0,),)
    keywords = ("negative_slope",)
    printing = Call(shown=("negative_slope",))
    samples = (Sample(((2, 3),)), Sample(((4,),), {"negative_slope": 0.2}))
    draw = Draw(params=lambda shapes, choice: {"negative_slope": (0.01, 0.2, -0.5)[choice % 3]})

    def shape(self, a, negative_slope=0.01):
        slope(negative_slope)
        return a

    def canonical(self, a, negative_slope=0.01):
        return {"negative_slope": slope(negative_slope)}

    @staticmethod
    def forward(x, negative_slope=0.01):
        return np.where(x > 0, x, negative_slope * x)

    def lower(self, x, negative_slope=0.01):
        return as_objects(np.frompyfunc(lambda t: sympy_functions.leaky_relu(t, negative_slope), 1, 1)(x))

    @staticmethod
    def vjp(g, out, x, negative_slope=0.01):
        # NOTE: at the kink the tape takes negative_slope (relu takes 0); checks report it.
        return g * np.where(x > 0, 1.0, negative_slope)


def slope(value):
    """``negative_slope`` as a Python float; a TypeError names the op and the value."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.integer | np.floating) \
            or not math.isfinite(value):
        raise TypeError(f"leaky_relu: negative_slope must be a finite real number, got {value!r}")
    return float(value)
