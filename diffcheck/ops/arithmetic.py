"""Arithmetic: + - * / ** and unary minus, with NumPy broadcasting."""

from __future__ import annotations

import numpy as np

from diffcheck.ops import matrix_rules
from diffcheck.ops.arrays import as_objects, broadcast_shape, is_integer_constant
from diffcheck.ops.base import Op, op
from diffcheck.ops.drawing import Draw, Fixed, Sample
from diffcheck.ops.notation import Infix, Prefix

# Inputs this close to a pole or to 0 of a fractional power are kept out of random points.
MARGIN = 0.05


class Binary(Op):
    """Elementwise binary op: broadcasting shape rule; VJPs return the output's shape and
    the tape sums them back over the broadcast axes (``broadcasts``)."""

    arity = 2
    sympy_route, broadcasts = "elementwise", True
    samples = (Sample(((2, 3), (3,))),)  # a matrix and a row broadcast over it
    draw = Draw(fit="broadcast")

    def shape(self, a, b):
        return broadcast_shape(self.name, a, b)

    def lower(self, x, y):
        return as_objects(self.lower_scalar(x, y))

    @staticmethod
    def lower_scalar(x, y):
        raise NotImplementedError

    @property
    def vjps(self):
        return (self.vjp_x, self.vjp_y)


@op
class Add(Binary):
    """x + y, elementwise."""

    name, printing = "add", Infix("+", 10)
    numpy_names = ("add",)
    matrix_rule = staticmethod(matrix_rules.add)
    reads = ((), ())
    forward = staticmethod(np.add)
    lower_scalar = staticmethod(lambda x, y: x + y)

    @staticmethod
    def vjp_x(g, out, x, y):
        return g

    @staticmethod
    def vjp_y(g, out, x, y):
        return g


@op
class Sub(Binary):
    """x - y, elementwise."""

    name, printing = "sub", Infix("-", 10)
    numpy_names = ("subtract",)
    matrix_rule = staticmethod(matrix_rules.sub)
    reads = ((), ())
    forward = staticmethod(np.subtract)
    lower_scalar = staticmethod(lambda x, y: x - y)

    @staticmethod
    def vjp_x(g, out, x, y):
        return g

    @staticmethod
    def vjp_y(g, out, x, y):
        return -g


@op
class Mul(Binary):
    """x * y, elementwise."""

    name, printing = "mul", Infix("*", 20)
    numpy_names = ("multiply",)
    matrix_rule = staticmethod(matrix_rules.mul)
    reads = ((1,), (0,))
    forward = staticmethod(np.multiply)
    lower_scalar = staticmethod(lambda x, y: x * y)

    @staticmethod
    def vjp_x(g, out, x, y):
        return g * y

    @staticmethod
    def vjp_y(g, out, x, y):
        return g * x


@op
class Div(Binary):
    """x / y, elementwise."""

    name, printing = "div", Infix("/", 20)
    draw = Draw(fit="broadcast", positive=(1,))  # keeps the divisor away from 0
    numpy_names = ("divide", "true_divide")
    matrix_rule = staticmethod(matrix_rules.div)
    reads = ((1,), ("out", 1))
    forward = staticmethod(np.divide)
    lower_scalar = staticmethod(lambda x, y: x / y)

    @staticmethod
    def vjp_x(g, out, x, y):
        return g / y

    @staticmethod
    def vjp_y(g, out, x, y):
        return -g * out / y

    def domain(self, x, y):
        return bool(np.all(np.abs(y) > MARGIN))


@op
class Pow(Binary):
    """x ** y, elementwise (x > 0 unless y is a whole number)."""

    name, printing = "pow", Infix("**", 40, right_assoc=True)
    # Mostly constant exponents (fractional and negative ones need x > 0), else a drawn one.
    draw = Draw(fit="broadcast", positive=(0,),
                fixed=(Fixed(2.0), Fixed(3.0), Fixed(-1.0, (0,)), Fixed(0.5, (0,))))
    numpy_names = ("power",)
    matrix_rule = staticmethod(matrix_rules.power)
    reads = ((0, 1), ("out", 0))
    lower_scalar = staticmethod(lambda x, y: x**y)
    # NOTE: NumPy keeps whole exponents exact for negative and complex bases.
    forward = staticmethod(np.power)

    @staticmethod
    def vjp_x(g, out, x, y):
        # x**0 is the constant 1: its slope is 0 even at x = 0, where y * x**(y-1) is 0 * inf.
        return g * y * np.power(x, np.where(y != 0, y - 1, 1))

    @staticmethod
    def vjp_y(g, out, x, y):
        # Where x**y is 0 (x = 0, y > 0) it stays 0 as y moves: the slope is 0, not 0 * log(0).
        return g * out * np.log(np.where(out == 0, 1, x))

    def domain(self, x, y):
        if is_integer_constant(y):
            return bool(np.all(y >= 0) or np.all(np.abs(x) > MARGIN))
        return bool(np.all(x > MARGIN))


@op
class Neg(Op):
    """-x, elementwise."""

    name, arity, printing = "neg", 1, Prefix("-", 30)
    sympy_route = "elementwise"
    samples, draw = (Sample(((2, 3),)),), Draw()
    numpy_names = ("negative",)
    matrix_rule = staticmethod(matrix_rules.neg)
    reads = ((),)
    forward = staticmethod(np.negative)

    def shape(self, a):
        return a

    def lower(self, x):
        return as_objects(-x)

    @property
    def vjps(self):
        return (lambda g, out, x: -g,)
