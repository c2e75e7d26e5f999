"""Readable infix text for expressions, used by ``repr``, reports and ``explain``."""

from __future__ import annotations

import numpy as np

from diffcheck.ir import Const, Expr, Var, toposort


def const_str(value: np.ndarray) -> str:
    """A constant as a person writes it: ``2``, ``0.5``, or ``const(3x4)`` for arrays."""
    if value.ndim == 0:
        v = float(value)
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    return f"const({'x'.join(map(str, value.shape))})"


def expr_str(expr: Expr) -> str:
    """Infix text of ``expr`` with the minimum parentheses (iterative, so deep graphs print)."""
    from diffcheck.ops import REGISTRY

    text: dict[int, tuple[str, int]] = {}  # id -> (text, precedence)
    for node in toposort(expr):
        if isinstance(node, Var):
            text[id(node)] = (node.name, 100)
            continue
        if isinstance(node, Const):
            text[id(node)] = (const_str(node.value), 100 if node.value.ndim or node.value >= 0 else 30)
            continue
        record = REGISTRY[node.op]
        parts = [text[id(x)] for x in node.inputs]
        if node.op == "transpose":
            body, prec = parts[0]
            text[id(node)] = (f"{body if prec >= 100 else f'({body})'}.T", 100)
        elif node.op == "neg":
            body, prec = parts[0]
            text[id(node)] = (f"-{body if prec > record.precedence else f'({body})'}", record.precedence)
        elif record.symbol is not None:
            (left, lp), (right, rp) = parts
            p = record.precedence
            # Left-associative, except ** which binds to the right.
            left_ok = lp > p if node.op == "pow" else lp >= p
            right_ok = rp >= p if node.op == "pow" else rp > p
            left = left if left_ok else f"({left})"
            right = right if right_ok else f"({right})"
            text[id(node)] = (f"{left} {record.symbol} {right}", p)
        else:
            args = ", ".join(t for t, _ in parts)
            axis = dict(node.params).get("axis")
            extra = "" if axis is None else f", axis={axis}"
            text[id(node)] = (f"{node.op}({args}{extra})", 100)
    return text[id(expr)][0]
