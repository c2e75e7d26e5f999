"""Readable infix text for expressions, used by ``repr``, reports and ``explain``."""

from __future__ import annotations

import numpy as np

from diffcheck.ir import Const, Expr, Var, toposort
from diffcheck.ops.notation import ATOM, Text

NEGATIVE_NUMBER = 30  # ``-1.5`` binds like unary minus: ``x ** (-1.5)``, ``(-1.5) ** x``


def const_str(value: np.ndarray) -> str:
    """A constant as a person writes it: ``2``, ``0.5``, or ``const(3x4)`` for arrays."""
    if value.ndim == 0:
        v = float(value)
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    return f"const({'x'.join(map(str, value.shape))})"


def expr_str(expr: Expr) -> str:
    """Infix text of ``expr`` with the minimum parentheses (iterative, so deep graphs print).

    Each node is formatted by its op record's ``printing`` from its inputs' texts."""
    from diffcheck.ops import REGISTRY

    text: dict[int, Text] = {}
    for node in toposort(expr):
        if isinstance(node, Var):
            text[id(node)] = Text(node.name)
        elif isinstance(node, Const):
            negative = node.value.ndim == 0 and node.value < 0
            text[id(node)] = Text(const_str(node.value), NEGATIVE_NUMBER if negative else ATOM)
        else:
            inputs = [text[id(x)] for x in node.inputs]
            text[id(node)] = REGISTRY[node.op].text(inputs, **node.kwargs)
    return text[id(expr)].text
