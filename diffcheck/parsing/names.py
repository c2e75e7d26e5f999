"""Intermediate names in claims: ``check_gradient(L, W, "outer(a - t, x)", names={"a": W @ x})``.

A name stands for an expression of the checked graph's variables. The parser reads it as
a whole variable of that expression's shape (``a``, ``a[1]``); when the claim is
evaluated at a point, its elements take the expression's values there. Nothing is
substituted symbolically, so a name costs one evaluation per point.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from diffcheck.ir import Expr, variables
from diffcheck.symbols import element_name

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def check_names(names: Mapping[str, Any] | None, y: Expr) -> dict[str, Expr]:
    """Validate ``names`` (name -> expression over ``y``'s variables); ``{}`` for None.

    Raises:
        TypeError: ``names`` is not a mapping, or a value is not a diffcheck expression.
        ValueError: a name is not an identifier, is one of ``y``'s variables, or its
            expression uses a variable ``y`` does not have.
    """
    if names is None:
        return {}
    if not isinstance(names, Mapping):
        raise TypeError(f"names must be a dict name -> expression, got {type(names).__name__}")
    known = variables(y)
    checked = {}
    for name, expr in names.items():
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ValueError(f"names: {name!r} must be a name like z, a1 or yhat "
                             "([A-Za-z][A-Za-z0-9_]*)")
        if name in known:
            raise ValueError(f"names: {name!r} is already a variable of the expression; "
                             "choose another name")
        if not isinstance(expr, Expr):
            raise TypeError(f"names: {name!r} must map to a diffcheck expression (such as "
                            f"W @ x + b), got {type(expr).__name__}")
        extra = sorted(set(variables(expr)) - set(known))
        if extra:
            raise ValueError(f"names: {name!r} uses {', '.join(extra)}, which the checked "
                             f"expression does not have ({', '.join(sorted(known))})")
        checked[name] = expr
    return checked


def named_shapes(names: Mapping[str, Expr]) -> dict[str, tuple[int, ...]]:
    return {name: expr.shape for name, expr in names.items()}


def named_elements(names: Mapping[str, Expr]) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Each element's spelling (``z[1]``) -> (name, index), as for variables."""
    return {element_name(name, index): (name, index)
            for name, expr in names.items() for index in np.ndindex(expr.shape)}


def with_named_values(point: Mapping[str, np.ndarray], names: Mapping[str, Expr]
                      ) -> dict[str, np.ndarray]:
    """``point`` plus each name's value there."""
    from diffcheck.derivatives import evaluate

    values = dict(point)
    for name, expr in names.items():
        values[name] = np.asarray(evaluate(expr, {v: point[v] for v in variables(expr)}))
    return values
