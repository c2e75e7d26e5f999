"""SymPy expressions evaluated by NumPy through closures built in one walk of the tree.

``lambdify`` prints an expression to Python source and compiles it: several milliseconds
each, most of a cold per-node derivation (a layer norm row has two dozen patterns of
partials). The small expressions SymPy's ``diff`` gives there use a handful of node types
(sums, products, powers, numbers and the elementary functions), each mapped here to its
NumPy ufunc; an expression with any other node falls back to ``lambdify`` whole. The
values are SymPy's expression evaluated as written: nothing is simplified or reordered.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from diffcheck._lazy import sympy as sp

Closure = Callable[[tuple], Any]


class Unsupported(Exception):
    """A node this walker has no NumPy function for (the caller falls back to lambdify)."""


def numpy_function(symbols: Sequence, expr, modules: Any = "numpy") -> Callable[..., Any]:
    """``f(*values)`` = ``expr`` with ``symbols`` bound to ``values``, evaluated in NumPy."""
    try:
        closure = _walk(expr, {s: i for i, s in enumerate(symbols)})
    except Unsupported:
        return sp.lambdify(list(symbols), expr, modules=modules)
    return lambda *values: closure(values)


@functools.cache
def _ufuncs() -> dict:
    """SymPy function class -> NumPy ufunc (built on first use: SymPy loads lazily)."""
    return {sp.exp: np.exp, sp.log: np.log, sp.sin: np.sin, sp.cos: np.cos, sp.tan: np.tan,
            sp.sinh: np.sinh, sp.cosh: np.cosh, sp.tanh: np.tanh, sp.asin: np.arcsin,
            sp.acos: np.arccos, sp.atan: np.arctan, sp.asinh: np.arcsinh, sp.acosh: np.arccosh,
            sp.atanh: np.arctanh, sp.Abs: np.abs, sp.sign: np.sign, sp.atan2: np.arctan2}


def _walk(e, index: dict) -> Closure:
    if e.is_Symbol:
        if e not in index:
            raise Unsupported(e)
        i = index[e]
        return lambda a: a[i]
    if e.is_Number:
        if not (e.is_real and e.is_finite):
            raise Unsupported(e)
        value = float(e)
        return lambda a: value
    parts = [_walk(arg, index) for arg in e.args]
    if e.is_Add:
        return _fold(operator.add, parts)
    if e.is_Mul:
        return _fold(operator.mul, parts)
    if e.is_Pow:
        return _power(e.exp, *parts)
    ufunc = _ufuncs().get(e.func)
    if ufunc is None or len(parts) != ufunc.nin:
        raise Unsupported(e.func)
    if ufunc.nin == 1:
        (x,) = parts
        return lambda a: ufunc(x(a))
    x, y = parts
    return lambda a: ufunc(x(a), y(a))


def _fold(combine: Callable, parts: list[Closure]) -> Closure:
    if len(parts) == 2:
        x, y = parts
        return lambda a: combine(x(a), y(a))
    first, rest = parts[0], parts[1:]
    return lambda a: functools.reduce(lambda total, f: combine(total, f(a)), rest, first(a))


def _power(exponent, base: Closure, power: Closure) -> Closure:
    if exponent == sp.Rational(1, 2):
        return lambda a: np.sqrt(base(a))
    if exponent == sp.Rational(-1, 2):
        return lambda a: 1.0 / np.sqrt(base(a))
    if exponent.is_Integer:
        n = int(exponent)
        return lambda a: np.power(base(a), float(n))
    return lambda a: np.power(base(a), power(a))
