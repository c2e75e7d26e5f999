"""The values the parser's builder passes around, and exact element arithmetic on them.

A value is a SymPy scalar, a ``Tensor`` (a shape and its elements in C order, plus
whether a 1-D vector was written transposed, i.e. as a row), or a ``Deferred`` value
whose square size is not known yet (the identity ``I`` before it meets a matrix).
Element arithmetic builds SymPy objects *unevaluated*, folding only numbers.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

import sympy as sp

# How many operations may wrap a value of unknown size before it must be resolved:
# resolving recurses once per wrapper, so this keeps it far from the recursion limit.
MAX_DEFERRED_DEPTH = 64


class Tensor(NamedTuple):
    """An array value while building: its shape and its elements in C order.

    ``row`` marks a 1-D vector written transposed (``x.T``, ``x^T``): in ``col @ row``
    it is the outer product, as on paper; everywhere else it is an ordinary vector.
    """

    shape: tuple[int, ...]
    items: tuple[sp.Expr, ...]
    row: bool = False


@dataclass(frozen=True)
class Deferred:
    """A value whose square size ``n`` is fixed by what it meets (``I + A``, ``A @ I``).

    ``build(n)`` returns the value for size ``n``; ``node`` is where it was written;
    ``depth`` counts the operations wrapped around the identity so far.
    """

    build: Callable[[int], Value]
    node: ast.AST
    depth: int = 0


Value = sp.Expr | Tensor | Deferred


def shape_of(value: Value) -> tuple[int, ...]:
    return value.shape if isinstance(value, Tensor) else ()


def number(value: int | float) -> sp.Rational:
    """An exact SymPy number: ``0.5`` is ``Rational(1, 2)``, via the float's shortest repr."""
    if type(value) is int:
        return sp.Integer(value)
    fraction = Fraction(repr(value))
    return sp.Rational(fraction.numerator, fraction.denominator)


def bits(value: sp.Rational) -> int:
    return value.p.bit_length() + value.q.bit_length()


def same(value: sp.Expr) -> sp.Expr:
    return value


def negate(value: sp.Expr) -> sp.Expr:
    """``-value`` without evaluation; ``-(-x)`` unwraps so unary chains stay shallow."""
    if value.is_Rational:
        return -value
    if value.is_Mul and len(value.args) == 2 and value.args[0] == -1:
        return value.args[1]
    return sp.Mul(sp.S.NegativeOne, value, evaluate=False)


def add(terms: list[sp.Expr]) -> sp.Expr:
    """An n-ary sum: numbers folded into one leading constant, the rest kept as typed."""
    constant = sum((t for t in terms if t.is_Rational), sp.S.Zero)
    rest = [t for t in terms if not t.is_Rational]
    if not rest:
        return constant
    parts = rest if constant == 0 else [constant, *rest]
    return parts[0] if len(parts) == 1 else sp.Add(*parts, evaluate=False)


def multiply(factors: list[sp.Expr]) -> sp.Expr:
    """An n-ary product: numbers folded into one leading coefficient, the rest as typed."""
    coefficient = math.prod((f for f in factors if f.is_Rational), start=sp.S.One)
    rest = [f for f in factors if not f.is_Rational]
    if not rest or coefficient == 0:
        return coefficient
    if coefficient == -1 and len(rest) == 1:
        return negate(rest[0])
    parts = rest if coefficient == 1 else [coefficient, *rest]
    return parts[0] if len(parts) == 1 else sp.Mul(*parts, evaluate=False)


def dot(left: list[sp.Expr], right: list[sp.Expr]) -> sp.Expr:
    """``Σ left[k]·right[k]``, unevaluated (zero terms of an identity drop out)."""
    return add([multiply([a, b]) for a, b in zip(left, right, strict=True)])


def reciprocal(value: sp.Expr) -> sp.Expr:
    """``1/value`` (the caller has refused a zero)."""
    return 1 / value if value.is_Rational else sp.Pow(value, -1, evaluate=False)


def tree_size(items: tuple[sp.Expr, ...], cap: int) -> int:
    """The number of nodes of ``items`` read as trees, counted over the shared graph.

    Matrix products reuse each element in several results, so the trees of ``A@A@A@...``
    grow exponentially while the graph stays small; SymPy's ``has``, ``free_symbols`` and
    printing walk trees. Counting stops past ``cap``.
    """
    sizes: dict[int, int] = {}
    total = 0
    for root in items:
        stack: list[tuple[sp.Basic, bool]] = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if id(node) in sizes:
                continue
            if expanded or not node.args:
                sizes[id(node)] = 1 + sum(sizes[id(a)] for a in node.args)
                continue
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if id(a) not in sizes)
        total += sizes[id(root)]
        if total > cap:
            break
    return total
