"""The parser's table of elementwise functions and constants, and how a function is applied
to symbolic arguments without SymPy's evaluation.

``FUNCTIONS`` and ``CONSTANTS`` are frozen: the grammar cannot grow at run time.
``CALCULUS`` lists the names refused with "write the derivative yourself".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

import sympy as sp
from sympy.functions.elementary.piecewise import ExprCondPair

from diffcheck.parsing.values import bits
from diffcheck.sympy_functions import relu, sigmoid, step

# name -> (arity, SymPy builder). Frozen: the grammar cannot grow at run time.
FUNCTIONS: Mapping[str, tuple[int, Callable[..., sp.Expr]]] = MappingProxyType({
    "exp": (1, sp.exp), "log": (1, sp.log), "ln": (1, sp.log), "sqrt": (1, sp.sqrt),
    "sin": (1, sp.sin), "cos": (1, sp.cos), "tan": (1, sp.tan),
    "sinh": (1, sp.sinh), "cosh": (1, sp.cosh), "tanh": (1, sp.tanh),
    "sigmoid": (1, sigmoid), "relu": (1, relu), "step": (1, step), "heaviside": (1, step),
    "abs": (1, sp.Abs), "sign": (1, sp.sign), "max": (2, sp.Max), "min": (2, sp.Min),
    # SymPy's printed spellings, so its output reads back
    "Abs": (1, sp.Abs), "Max": (2, sp.Max), "Min": (2, sp.Min), "Heaviside": (1, step),
})
# The forms of sqrt, sigmoid, relu and step (plain functions, not SymPy classes), over
# dummies; `_instantiate` fills in arguments without triggering evaluation.
_DUMMIES = (sp.Dummy("u"), sp.Dummy("v"))
_TEMPLATES: Mapping[str, sp.Expr] = MappingProxyType({
    name: fn(*_DUMMIES[:arity]) for name, (arity, fn) in FUNCTIONS.items()
    if not isinstance(fn, type)
})
# Euler's number is ``e`` or ``E`` (SymPy prints it as E); a declared variable of the
# same name wins, as names are looked up among the variables first.
CONSTANTS: Mapping[str, sp.Expr] = MappingProxyType({"pi": sp.pi, "e": sp.E, "E": sp.E})
CALCULUS = frozenset({
    "diff", "Derivative", "derivative", "integrate", "Integral", "integral", "solve",
    "nsolve", "dsolve", "Subs", "subs", "limit", "Limit", "series", "simplify", "expand",
    "factor", "grad", "gradient", "jacobian", "Jacobian", "hessian", "lambdify", "sympify",
})
FOLD_BITS = 64  # numbers up to this size are folded by SymPy (roots, function values)


def foldable(value: sp.Expr) -> bool:
    """Small rationals, pi and e are safe to hand to SymPy's evaluation: its function
    values and comparisons of these are exact and quick (``sin(pi)`` is 0)."""
    return (value.is_Rational and bits(value) <= FOLD_BITS) or value in (sp.pi, sp.E)


def unevaluated_call(name: str, fn: Callable[..., sp.Expr], args: tuple[sp.Expr, ...]
                      ) -> sp.Expr:
    """Apply a table function to symbolic arguments without SymPy evaluation.

    Evaluating functions of symbolic arguments runs SymPy's assumption system, which
    can take minutes on nested input (``relu(sigmoid(log(...)))``). A Piecewise inside
    a Piecewise condition makes SymPy rewrite it as sets (slow, and it can raise), so
    relu/step of an argument that already contains one is written with the equivalent
    ``Max(x, 0)`` / ``Min(1 + sign(x), 1)`` (0 for x < 0, else 1), no Piecewise needed.
    """
    (x, *_) = args
    if name in ("relu", "step", "heaviside", "Heaviside") and x.has(sp.Piecewise):
        if name == "relu":
            return sp.Max(x, sp.S.Zero, evaluate=False)
        one_plus_sign = sp.Add(sp.S.One, sp.sign(x, evaluate=False), evaluate=False)
        return sp.Min(one_plus_sign, sp.S.One, evaluate=False)
    if isinstance(fn, type):
        return fn(*args, evaluate=False)
    return _instantiate(_TEMPLATES[name], dict(zip(_DUMMIES, args)))


def _instantiate(template: sp.Basic, mapping: dict[sp.Dummy, sp.Expr]) -> sp.Basic:
    """Rebuild a small template with its dummies replaced, without evaluation.

    (``xreplace`` would re-evaluate each rebuilt node.) Recursion is over the
    template only, a handful of nodes deep.
    """
    if template in mapping:
        return mapping[template]
    if not template.args:
        return template
    args = [_instantiate(arg, mapping) for arg in template.args]
    if isinstance(template, ExprCondPair):
        return ExprCondPair(*args)
    return template.func(*args, evaluate=False)
