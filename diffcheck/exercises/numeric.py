"""Evaluate allowlisted SymPy expressions at many points at once, without generating code.

Grading evaluates every answer element at the seeded points of its exercise. ``lambdify``
would do it, but it writes and ``exec``s Python source for every answer (milliseconds
each, and code generation from user input). This walker dispatches on the node types
:func:`diffcheck.exercises.symtext.check_allowed` admits, vectorised over points with
NumPy, iteratively (a deep tree cannot hit the recursion limit) and with shared
sub-expressions evaluated once. Invalid operations give ``nan``/``inf``, never raise.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from functools import reduce

import numpy as np
import sympy as sp
from sympy.functions.elementary.piecewise import ExprCondPair

_UNARY: dict[type, Callable[[np.ndarray], np.ndarray]] = {
    sp.exp: np.exp, sp.log: np.log, sp.sin: np.sin, sp.cos: np.cos, sp.tan: np.tan,
    sp.sinh: np.sinh, sp.cosh: np.cosh, sp.tanh: np.tanh, sp.Abs: np.abs, sp.sign: np.sign,
}
_RELATIONS: dict[type, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    sp.StrictLessThan: np.less, sp.LessThan: np.less_equal,
    sp.StrictGreaterThan: np.greater, sp.GreaterThan: np.greater_equal,
}


def _number(node: sp.Basic, n: int) -> np.ndarray:
    try:
        value = float(node)
    except OverflowError:
        value = np.inf if node.is_positive else -np.inf
    return np.full(n, value)


def _combine(node: sp.Basic, args: list[np.ndarray], n: int) -> np.ndarray:
    kind = type(node)
    if isinstance(node, sp.Add):
        return reduce(operator.add, args)
    if isinstance(node, sp.Mul):
        return reduce(operator.mul, args)
    if isinstance(node, sp.Pow):
        return np.power(args[0], args[1])
    if kind in _UNARY:
        return _UNARY[kind](args[0])
    if isinstance(node, sp.Max):
        return reduce(np.maximum, args)
    if isinstance(node, sp.Min):
        return reduce(np.minimum, args)
    if kind in _RELATIONS:
        return _RELATIONS[kind](args[0], args[1])
    if isinstance(node, ExprCondPair):
        return np.stack([args[0], np.broadcast_to(args[1], (n,))])
    if isinstance(node, sp.Piecewise):
        values = [a[0] for a in args]
        conditions = [a[1].astype(bool) for a in args]
        return np.select(conditions, values, default=np.nan)
    raise TypeError(f"cannot evaluate {kind.__name__}")  # pragma: no cover - allowlisted


def evaluate(
    exprs: Sequence[sp.Basic], values: Mapping[sp.Symbol, np.ndarray], n: int
) -> np.ndarray:
    """Values of ``exprs`` at ``n`` points, shape ``(len(exprs), n)``.

    ``values`` maps every free symbol to an array of at least ``n`` values (the first
    ``n`` are used).
    """
    memo: dict[sp.Basic, np.ndarray] = {}
    with np.errstate(all="ignore"):
        for root in exprs:
            stack: list[tuple[sp.Basic, bool]] = [(root, False)]
            while stack:
                node, expanded = stack.pop()
                if node in memo:
                    continue
                if isinstance(node, sp.Symbol):
                    memo[node] = np.asarray(values[node], dtype=float)[:n]
                elif node.is_Number or node in (sp.pi, sp.E):
                    memo[node] = _number(node, n)
                elif node == sp.true or node == sp.false:
                    memo[node] = np.full(n, node == sp.true)
                elif expanded:
                    memo[node] = _combine(node, [memo[a] for a in node.args], n)
                else:
                    stack.append((node, True))
                    stack.extend((a, False) for a in node.args if a not in memo)
        out = np.empty((len(exprs), n))
        for i, root in enumerate(exprs):
            out[i] = np.real(np.broadcast_to(memo[root], (n,)))
    return out
