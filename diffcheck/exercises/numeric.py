"""Evaluate allowlisted SymPy expressions at many points at once, without generating code.

Grading evaluates every answer element at the seeded points of its exercise. ``lambdify``
would do it, but it writes and ``exec``s Python source for every answer (milliseconds
each, and code generation from user input). This walker dispatches on the node types
:func:`diffcheck.exercises.symtext.check_allowed` admits, vectorised over points with
NumPy, iteratively (a deep tree cannot hit the recursion limit) and with shared
sub-expressions evaluated once. Invalid operations give ``nan``/``inf``, never raise.

:func:`evaluable_symbols` is the gate for SymPy objects from anywhere else (claimed
derivatives): it admits exactly the node types :func:`evaluate` supports, by exact type,
so a user-named ``sympy.Function`` or an ``Integral`` is refused before anything runs.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from functools import reduce

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef
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
    if kind is sp.Heaviside:  # SymPy's derivative of Max(x, 0); H(0) is 1/2 unless given
        return np.heaviside(args[0], args[1] if len(args) > 1 else 0.5)
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


class NotEvaluable(ValueError):
    """A SymPy object :func:`evaluate` does not support (a node type, a non-finite number, size)."""


_EXPRESSION_NODES = frozenset({sp.Add, sp.Mul, sp.Pow, sp.Max, sp.Min, sp.Heaviside, *_UNARY})
_SYMBOL_TYPES = (sp.Symbol, sp.Dummy)


def evaluable_symbols(exprs: Sequence[sp.Basic], max_nodes: int | None) -> set[sp.Symbol]:
    """The symbols of ``exprs`` after checking that :func:`evaluate` supports every node.

    Admitted, by exact type: symbols, finite numbers, pi, E, Add/Mul/Pow, the functions of
    ``evaluate``, Max/Min, Heaviside, and Piecewise whose conditions are comparisons or
    True. Each expression may reference at most ``max_nodes`` nodes (arguments of nodes
    not seen before; None: no cap), so a huge object is refused after that many steps.
    Hashes are computed bottom-up on the way, so hashing a deep tree later cannot recurse.
    Raises ``NotEvaluable``.
    """
    symbols: set[sp.Symbol] = set()
    seen: set[int] = set()  # by id: hashing an unchecked deep tree would recurse
    for root in exprs:
        stack: list[tuple[sp.Basic, str | None]] = [(root, "expression")]
        count = 1
        while stack:
            node, role = stack.pop()
            if role is None:  # every child is checked and hashed
                hash(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            count += len(node.args)
            if max_nodes is not None and count > max_nodes:
                raise NotEvaluable(f"an element has more than {max_nodes} nodes")
            stack.append((node, None))
            stack.extend(_checked_children(node, role, symbols))
    return symbols


def _checked_children(node: sp.Basic, role: str, symbols: set[sp.Symbol]
                      ) -> list[tuple[sp.Basic, str]]:
    """The children of ``node`` with their roles, after checking ``node`` fits its role."""
    kind = type(node)
    if role == "expression":
        if kind in _SYMBOL_TYPES:
            symbols.add(node)
            return []
        if _is_finite_number(node) or node is sp.pi or node is sp.E:
            return []
        if kind in _EXPRESSION_NODES:
            return [(a, "expression") for a in node.args]
        if kind is sp.Piecewise:
            return [(a, "branch") for a in node.args]
    elif role == "branch" and kind is ExprCondPair:
        return [(node.args[0], "expression"), (node.args[1], "condition")]
    elif role == "condition":
        if node is sp.true or node is sp.false:
            return []
        if kind in _RELATIONS:
            return [(a, "expression") for a in node.args]
    raise NotEvaluable(f"{describe_node(node)} is not allowed here")


def _is_finite_number(node: sp.Basic) -> bool:
    return isinstance(node, sp.Rational) or (isinstance(node, sp.Float) and bool(node.is_finite))


def describe_node(node: object) -> str:
    """How a message names a refused node, never echoing more than 40 characters of a name."""
    if isinstance(node, AppliedUndef):
        return f"the undefined function {type(node).__name__[:40]!r}"
    if isinstance(node, sp.Symbol):
        return f"the symbol {node.name[:40]!r}"
    if any(node is c for c in (sp.zoo, sp.oo, sp.S.NegativeInfinity, sp.nan)):
        return f"the non-finite number {node}"
    return type(node).__name__
