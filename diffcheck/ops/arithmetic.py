"""Arithmetic: + - * / ** and unary minus, with NumPy broadcasting."""

from __future__ import annotations

import numpy as np

from diffcheck.ops.base import Op, as_objects, broadcast_shape, is_integer_constant, op

# Inputs this close to a pole or to 0 of a fractional power are kept out of random points.
MARGIN = 0.05


class Binary(Op):
    """Elementwise binary op: broadcasting shape rule; VJPs are unbroadcast for the caller."""

    arity = 2

    def shape(self, a, b):
        return broadcast_shape(self.name, a, b)

    def lower(self, x, y):
        return as_objects(self.lower_scalar(x, y))

    @staticmethod
    def lower_scalar(x, y):
        raise NotImplementedError

    @property
    def vjps(self):
        def vjp(k):
            def rule(g, out, x, y):
                out_shape = np.broadcast_shapes(np.shape(x), np.shape(y))
                batch_ndim = np.ndim(g) - len(out_shape)
                return self.vjp_for(k, np.shape((x, y)[k]), out_shape, batch_ndim)(g, out, x, y)

            return rule

        return (vjp(0), vjp(1))

    def vjp_for(self, k, in_shape, out_shape, batch_ndim, **params):
        rule = (self.vjp_x, self.vjp_y)[k]
        if in_shape == out_shape:  # no broadcasting: nothing to sum back, skip the wrapper
            return rule
        extra = len(out_shape) - len(in_shape)
        kept = tuple(i for i, n in enumerate(in_shape) if n == 1 and out_shape[extra + i] != 1)
        axes = tuple(range(batch_ndim, batch_ndim + extra)) + tuple(batch_ndim + extra + i for i in kept)

        def vjp(g, out, x, y):
            total = np.add.reduce(rule(g, out, x, y), axis=axes)
            return total.reshape(total.shape[:batch_ndim] + in_shape) if kept else total

        return vjp


@op
class Add(Binary):
    """x + y, elementwise."""

    name, symbol, precedence = "add", "+", 10
    numpy_names = ("add",)
    reads = ("", "")
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

    name, symbol, precedence = "sub", "-", 10
    numpy_names = ("subtract",)
    reads = ("", "")
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

    name, symbol, precedence = "mul", "*", 20
    numpy_names = ("multiply",)
    reads = ("y", "x")
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

    name, symbol, precedence = "div", "/", 20
    numpy_names = ("divide", "true_divide")
    reads = ("y", "out y")
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

    name, symbol, precedence = "pow", "**", 40
    numpy_names = ("power",)
    reads = ("x y", "out x")
    lower_scalar = staticmethod(lambda x, y: x**y)
    # NOTE: NumPy keeps whole exponents exact for negative and complex bases.
    forward = staticmethod(np.power)

    @staticmethod
    def vjp_x(g, out, x, y):
        if y.ndim == 0:
            p = y.item()
            if p == 2:  # NOTE: squares are common; x**1 via power is slow
                return g * (2.0 * x)
            # x**0 is the constant 1: its slope is 0 even at x = 0, where y * x**(y-1) is 0 * inf.
            return g * y * np.power(x, y - 1 if p != 0 else 1)
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

    name, arity, symbol, precedence = "neg", 1, "-", 30
    numpy_names = ("negative",)
    reads = ("",)
    forward = staticmethod(np.negative)

    def shape(self, a):
        return a

    def lower(self, x):
        return as_objects(-x)

    @property
    def vjps(self):
        return (lambda g, out, x: -g,)
