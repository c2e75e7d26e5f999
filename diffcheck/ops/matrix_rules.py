"""Building blocks of the records' matrix-level rules (``Op.matrix_rule``), for closed forms.

Each function receives ``m``, the matrix-expression module ``diffcheck.matrix_forms.tree``
(passed in, so the op table does not import the closed-form package), the inputs as
matrix expressions and the record's params, and returns ``m.rule(value, *vjps)``: the
node's value as a matrix expression and, per input, how the output's adjoint ``g``
(shaped like the output) becomes that input's contribution. Vectors are columns.
Elementwise functions get their derivative from SymPy's differentiation of their scalar
lowering (never from a VJP), printed ``f′(…)``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from diffcheck._lazy import sympy as sp


def add(m: Any, x: Any, y: Any) -> Any:
    return m.rule(m.add(x, y), lambda g: m.unbroadcast(g, x), lambda g: m.unbroadcast(g, y))


def sub(m: Any, x: Any, y: Any) -> Any:
    return m.rule(m.sub(x, y), lambda g: m.unbroadcast(g, x), lambda g: m.unbroadcast(m.neg(g), y))


def neg(m: Any, x: Any) -> Any:
    return m.rule(m.neg(x), m.neg)


def mul(m: Any, x: Any, y: Any) -> Any:
    """x ⊙ y (a scalar operand is a scalar multiple)."""
    return m.rule(m.hadamard(x, y), lambda g: m.unbroadcast(m.hadamard(g, y), x),
                  lambda g: m.unbroadcast(m.hadamard(g, x), y))


def div(m: Any, x: Any, y: Any) -> Any:
    """x / y elementwise: ∂/∂x = g / y, ∂/∂y = −(g ⊙ x) / y^∘2."""
    return m.rule(m.divide(x, y), lambda g: m.unbroadcast(m.divide(g, y), x),
                  lambda g: m.unbroadcast(m.neg(m.divide(m.hadamard(g, x), m.power(y, 2.0))), y))


def power(m: Any, x: Any, y: Any) -> Any:
    """x^∘p for a constant scalar p: ∂/∂x = p·x^∘(p−1) ⊙ g (and ∂/∂p = x^∘p ⊙ log(x) ⊙ g when
    the exponent's value is constant but depends on a variable, as a − a)."""
    if not m.is_num(y):
        raise m.Unsupported("pow: only a constant scalar exponent has a matrix-level rule "
                            f"(the exponent here has shape {y.dshape} and is not a number)")
    p = y.data

    def exponent(g: Any) -> Any:  # an exponent whose value is constant (a - a): x^∘p ⊙ log(x) ⊙ g
        log = m.fn("log", "log", np.log, x, sp.log)
        return m.unbroadcast(m.hadamard(m.hadamard(m.power(x, p), log), g), y)

    if p == 0.0:  # x^0 = 1: slope 0, even at x = 0
        return m.rule(m.power(x, p), lambda g: m.scale(m.num(0.0), g), exponent)
    return m.rule(m.power(x, p), lambda g: m.hadamard(m.scale(m.num(p), m.power(x, p - 1.0)), g), exponent)


def matmul(m: Any, a: Any, b: Any) -> Any:
    """a @ b for matrices and vectors (a 1-D left operand is a row: ``x @ W`` is ``Wᵀx``)."""
    left, right = len(a.dshape), len(b.dshape)
    if left == 2:
        return m.rule(m.matmul(a, b), lambda g: m.matmul(g, m.T(b)), lambda g: m.matmul(m.T(a), g))
    if right == 2:
        return m.rule(m.matmul(m.T(b), a), lambda g: m.matmul(b, g), lambda g: m.matmul(a, m.T(g)))
    return m.rule(m.matmul(m.T(a), b), lambda g: m.scale(g, b), lambda g: m.scale(g, a))


def transpose(m: Any, x: Any, axes: Any = None) -> Any:
    if axes not in (None, (1, 0), (0,)):
        raise m.Unsupported(f"transpose: axes {axes!r} have no matrix-level rule")
    if len(x.dshape) < 2:
        return m.rule(x, lambda g: g)
    return m.rule(m.T(x), m.T)


def reduction(m: Any, x: Any, axis: Any = None, keepdims: bool = False, mean: bool = False) -> Any:
    """The sum (or mean) of all elements, or of a matrix's rows (``1ᵀX``) or columns (``X1``);
    with keepdims over the one axis of a vector it is the scalar (NumPy broadcasts (1,) alike)."""
    ndim = len(x.dshape)
    axes = tuple(range(ndim)) if axis is None else tuple(a % max(ndim, 1) for a in np.atleast_1d(axis))
    if keepdims and ndim == 2 and len(axes) == 2:  # a 1×1 matrix broadcasts unlike a scalar
        raise m.Unsupported(f"sum/mean over every axis of shape {x.dshape} with keepdims=True")
    if keepdims and len(axes) < ndim:  # a kept axis of a matrix: the row 1ᵀX or the column X1
        value, back = _kept(m, x, axes)
    elif len(axes) < ndim and ndim == 2 and axes == (0,):
        ones = m.ones((x.shape[0], 1))
        value, back = m.matmul(m.T(x), ones), lambda g: m.matmul(ones, m.T(g))  # 1ᵀX as a column
    elif len(axes) < ndim and ndim == 2:
        ones = m.ones((x.shape[1], 1))
        value, back = m.matmul(x, ones), lambda g: m.matmul(g, m.T(ones))  # X1
    else:
        value, back = m.total(x), lambda g: m.spread(g, x)
    if not mean:
        return m.rule(value, back)
    whole = len(axes) >= ndim  # (a kept (1,) vector is a scalar here: its count is 1)
    n = m.num(1.0 / (int(np.prod(x.dshape)) if whole else x.dshape[axes[0]]))
    return m.rule(m.scale(n, value), lambda g: m.scale(n, back(g)))


def square(m: Any, x: Any) -> Any:
    """x^∘2: ∂/∂x = 2·x ⊙ g."""
    return m.rule(m.power(x, 2.0), lambda g: m.hadamard(m.scale(m.num(2.0), x), g))


def _kept(m: Any, x: Any, axes: tuple[int, ...]) -> tuple[Any, Callable[[Any], Any]]:
    if axes == (0,):
        ones = m.ones((x.shape[0], 1))
        return m.as_dshape(m.matmul(m.T(ones), x), (1, x.shape[1])), lambda g: m.matmul(ones, g)
    ones = m.ones((x.shape[1], 1))
    return m.as_dshape(m.matmul(x, ones), (x.shape[0], 1)), lambda g: m.matmul(g, m.T(ones))


def elementwise(m: Any, record: Any, x: Any, **params: Any) -> Any:
    """f(x) for an elementwise function: ∂/∂x = f′(x) ⊙ g, f′ differentiated by SymPy from
    the record's lowering of one element (its params, such as clip's bounds, included)."""
    label, latex = getattr(record, "matrix_symbol", None) or (record.name, record.name)
    shown = "; " + ", ".join(f"{k}={v}" for k, v in sorted(params.items())) if params else ""
    try:
        same, f, slope, symbolic = _slope(record, tuple(sorted(params.items())))
    except (NotImplementedError, TypeError, ValueError, AttributeError) as error:
        raise m.Unsupported(f"{record.name}: its lowering gives no elementwise derivative "
                            f"({error})") from None
    value = m.fn(label, latex, lambda v: record.forward(v, **params), x, f, shown)
    deriv = value if same else m.derivative(label, latex, slope, x, symbolic, shown)
    return m.rule(value, lambda g: m.hadamard(deriv, g))


@functools.lru_cache(maxsize=512)
def _slope(record: Any, params: tuple) -> tuple[bool, Callable, Callable, Callable]:
    """Whether f′ = f (exp); f as SymPy; f′ as NumPy and as SymPy — from SymPy's derivative
    of the record's lowering of one element (cached per process, by op and params)."""
    t = sp.Symbol("t", real=True)
    f = record.lower(np.array([t], dtype=object), **dict(params))[0]
    d = sp.diff(f, t)
    compiled = sp.lambdify(t, d, "numpy")

    def slope(v: np.ndarray) -> np.ndarray:
        return np.broadcast_to(np.asarray(compiled(v), dtype=float), np.shape(v))

    return sp.simplify(d - f) == 0, lambda s: f.subs(t, s), slope, lambda s: d.subs(t, s)
