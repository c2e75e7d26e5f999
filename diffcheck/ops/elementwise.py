"""Elementwise functions: exp log sqrt sin cos tanh sigmoid relu abs."""

from __future__ import annotations

import numpy as np

from diffcheck._lazy import LazyModule
from diffcheck._lazy import sympy as sp
from diffcheck.ops import matrix_rules
from diffcheck.ops.arithmetic import MARGIN
from diffcheck.ops.arrays import as_objects
from diffcheck.ops.base import Op, op
from diffcheck.ops.drawing import Draw, Sample
from diffcheck.ops.notation import Call

sympy_functions = LazyModule("diffcheck.sympy_functions")


class Unary(Op):
    """Elementwise function of one input; lowering maps ``lower_scalar`` over the elements."""

    arity = 1
    reads = (("out",),)  # most derivatives are cheapest in terms of the output
    sympy_route = "elementwise"
    printing, samples, draw = Call(), (Sample(((2, 3),)),), Draw()
    public = True  # dc.exp and friends

    def shape(self, a):
        return a

    def lower(self, x):
        return as_objects(np.frompyfunc(self.lower_scalar, 1, 1)(x))

    @staticmethod
    def lower_scalar(x):
        raise NotImplementedError

    def matrix_rule(self, m, x, **params):  # f(x); ∂/∂x = f′(x) ⊙ g, f′ by SymPy from lower
        return matrix_rules.elementwise(m, self, x, **params)

    @property
    def vjps(self):
        return (self.vjp,)


@op
class Exp(Unary):
    """exp(x), elementwise."""

    name = "exp"
    numpy_names = ("exp",)
    forward = staticmethod(np.exp)
    lower_scalar = staticmethod(lambda x: sp.exp(x))

    @staticmethod
    def vjp(g, out, x):
        return g * out


@op
class Log(Unary):
    """log(x), the natural logarithm, elementwise (x > 0)."""

    name = "log"
    numpy_names = ("log",)
    draw = Draw(positive=(0,))
    reads = ((0,),)  # the input, by position
    forward = staticmethod(np.log)
    lower_scalar = staticmethod(lambda x: sp.log(x))

    @staticmethod
    def vjp(g, out, x):
        return g / x

    def domain(self, x):
        return bool(np.all(x > MARGIN))


@op
class Sqrt(Unary):
    """sqrt(x), elementwise (x > 0)."""

    name = "sqrt"
    numpy_names = ("sqrt",)
    draw = Draw(positive=(0,))
    forward = staticmethod(np.sqrt)
    lower_scalar = staticmethod(lambda x: sp.sqrt(x))

    @staticmethod
    def vjp(g, out, x):
        return g * 0.5 / out

    def domain(self, x):
        return bool(np.all(x > MARGIN))


@op
class Sin(Unary):
    """sin(x), elementwise."""

    name = "sin"
    numpy_names = ("sin",)
    reads = ((0,),)
    forward = staticmethod(np.sin)
    lower_scalar = staticmethod(lambda x: sp.sin(x))

    @staticmethod
    def vjp(g, out, x):
        return g * np.cos(x)


@op
class Cos(Unary):
    """cos(x), elementwise."""

    name = "cos"
    numpy_names = ("cos",)
    reads = ((0,),)
    forward = staticmethod(np.cos)
    lower_scalar = staticmethod(lambda x: sp.cos(x))

    @staticmethod
    def vjp(g, out, x):
        return -g * np.sin(x)


@op
class Tanh(Unary):
    """tanh(x), elementwise."""

    name = "tanh"
    numpy_names = ("tanh",)
    forward = staticmethod(np.tanh)
    lower_scalar = staticmethod(lambda x: sp.tanh(x))

    @staticmethod
    def vjp(g, out, x):
        return g * (1.0 - out * out)


@op
class Sigmoid(Unary):
    """sigmoid(x) = 1 / (1 + exp(-x)), elementwise."""

    name = "sigmoid"
    matrix_symbol = ("σ", "\\sigma")  # printed in closed forms
    lower_scalar = staticmethod(lambda x: sympy_functions.sigmoid(x))

    @staticmethod
    def forward(x):
        if x.dtype.kind != "c":
            # NOTE: log(1 + e^-x) by logaddexp never overflows and keeps full relative
            # precision in both tails.
            return np.exp(-np.logaddexp(0.0, -x))
        # NOTE: for complex steps, branch on the real part: exp(-|Re x|) never overflows
        # and each branch is analytic in x, so complex-step differences stay exact.
        side = np.where(np.real(x) >= 0, 1.0, -1.0)
        e = np.exp(-side * x)
        return np.where(side > 0, 1.0, e) / (1.0 + e)

    @staticmethod
    def vjp(g, out, x):
        return g * out * (1.0 - out)


@op
class Relu(Unary):
    """relu(x) = max(x, 0), elementwise (kink at 0)."""

    name, analytic, kinks = "relu", False, (0.0,)
    reads = ((0,),)
    lower_scalar = staticmethod(lambda x: sympy_functions.relu(x))

    @staticmethod
    def forward(x):
        return np.maximum(x, 0.0)

    @staticmethod
    def vjp(g, out, x):
        # NOTE: at the kink the tape takes 0, PyTorch's convention; checks report it.
        return g * (x > 0)


@op
class Abs(Unary):
    """abs(x) = |x|, elementwise (kink at 0)."""

    name, analytic, kinks = "abs", False, (0.0,)
    numpy_names = ("absolute", "fabs")
    reads = ((0,),)
    lower_scalar = staticmethod(lambda x: sp.Abs(x))

    @staticmethod
    def forward(x):
        if x.dtype.kind != "c":
            return np.abs(x)
        # NOTE: for a complex step through the tape (second order), the analytic extension
        # x·sign(Re x) of each piece, not the modulus.
        return x * np.sign(np.real(x))

    @staticmethod
    def vjp(g, out, x):
        return g * np.sign(np.real(x))  # the real part's sign, also for a complex step
