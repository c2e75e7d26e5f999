"""Hypothesis strategies: random well-shaped expressions and points inside their domains.

Expressions are built through the IR builders (never from strings) with
``st.recursive``, leaves first, so a failing example shrinks to a small expression.
Ops with a restricted domain get arguments that stay inside it by construction
(``log(u*u + 1/2)``), so every drawn expression has valid random points.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from diffcheck.ir import Expr, Var, apply
from diffcheck.ir import variables as variables_of
from diffcheck.ops import REGISTRY
from diffcheck.points import random_points

UNARY = ("neg", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "transpose")
BINARY = ("add", "sub", "mul", "div", "pow", "matmul")
REDUCTIONS = ("sum", "mean")
POSITIVE_ONLY = ("log", "sqrt")
EXPONENTS = (2.0, 3.0, -1.0, 0.5)
CONSTANTS = (0.5, 2.0, -1.5, 3.0)


def _positive(x: Expr) -> Expr:
    """An expression of the same shape that is at least 1/2 everywhere."""
    return x * x + 0.5


def _compatible(a: Expr, b: Expr) -> Expr:
    """``b`` itself if it broadcasts with ``a``, else its sum (a scalar broadcasts with all)."""
    try:
        np.broadcast_shapes(a.shape, b.shape)
        return b
    except ValueError:
        return apply("sum", b)


def _apply(name: str, a: Expr, b: Expr, choice: int) -> Expr:
    """Build ``name`` from operands ``a`` (and ``b``), keeping inside domain and shape rules."""
    if name in POSITIVE_ONLY:
        return apply(name, _positive(a))
    if name in UNARY:
        return apply(name, a)
    if name in REDUCTIONS:
        axis = None if a.ndim == 0 or choice % 2 == 0 else choice % a.ndim
        return apply(name, a, axis=axis)
    if name == "pow":
        exponent = EXPONENTS[choice % len(EXPONENTS)]
        base = a if exponent in (2.0, 3.0) else _positive(a)
        return apply("pow", base, exponent)
    if name == "matmul":
        if 1 <= a.ndim <= 2 and 1 <= b.ndim <= 2 and a.shape[-1] == b.shape[0]:
            return apply("matmul", a, b)
        if 1 <= a.ndim <= 2:  # multiply by a fixed matrix that fits
            rng = np.random.default_rng(choice)
            return apply("matmul", a, rng.uniform(-1, 1, size=(a.shape[-1], 2)))
        return apply("mul", a, b)
    b = _compatible(a, b)
    if name == "div":
        return apply("div", a, _positive(b))
    return apply(name, a, b)


def expressions(
    variables: Sequence[Var],
    ops: Sequence[str] | None = None,
    max_leaves: int = 8,
) -> st.SearchStrategy[Expr]:
    """Random expressions over ``variables`` drawing from ``ops`` (default: the whole table).

    Args:
        variables: the leaves (``dc.Var`` objects; at least one).
        ops: op names from the op table; ``None`` means every op.
        max_leaves: the most leaves in one expression (>= 1).
    """
    variables = list(variables)
    if not variables or not all(isinstance(v, Var) for v in variables):
        raise InvalidArgument(f"variables must be a non-empty list of dc.Var, got {variables!r}")
    names = list(REGISTRY) if ops is None else list(ops)
    unknown = [n for n in names if n not in REGISTRY]
    if unknown or not names:
        raise InvalidArgument(f"ops must be names from the op table {sorted(REGISTRY)}, got {ops!r}")
    if not isinstance(max_leaves, int) or max_leaves < 1:
        raise InvalidArgument(f"max_leaves must be a positive int, got {max_leaves!r}")

    leaves = st.sampled_from(variables)

    def extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
        return st.builds(
            _apply, st.sampled_from(names), children, children, st.integers(0, 11)
        )

    return st.recursive(leaves, extend, max_leaves=max_leaves)


@st.composite
def points(draw: Any, expr: Expr) -> dict[str, np.ndarray]:
    """An ``at`` mapping for ``expr``: inside every op's domain and away from kinks."""
    if not isinstance(expr, Expr):
        raise InvalidArgument(f"points needs a diffcheck expression, got {type(expr).__name__}")
    if not variables_of(expr):
        return {}
    seed = draw(st.integers(0, 2**32 - 1))
    try:
        return random_points(expr, 1, seed)[0]
    except ValueError:
        from hypothesis import reject

        reject()
