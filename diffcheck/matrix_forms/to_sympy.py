"""A closed form as a SymPy matrix expression: ``MatrixSymbol``s named like the variables,
``HadamardProduct``, ``ElementwiseApplyFunction`` and ``DiagMatrix``; never element lists.

Scalars that come out of products or sums (``xᵀy``, ``1ᵀX1``) are kept as the ``Trace`` of
the 1×1 product, so nothing is expanded.
"""

from __future__ import annotations

from typing import Any

from diffcheck._lazy import sympy as sp
from diffcheck.matrix_forms.tree import Node


def _symbol(name: str, shape: tuple[int, ...]) -> Any:
    return sp.Symbol(name, real=True) if shape == () else sp.MatrixSymbol(name, *shape)


def _scalar(e: Any) -> Any:
    return sp.Trace(e) if getattr(e, "is_Matrix", False) else e


def _elementwise(node: Node, x: Any, symbolic: Any) -> Any:
    if symbolic is None:
        raise ValueError(f"closed form: {node.data[0]} has no SymPy form")
    if node.args[0].shape == ():
        return symbolic(x)
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

    t = sp.Dummy("t", real=True)
    return ElementwiseApplyFunction(sp.Lambda(t, symbolic(t)), x)


def _hadamard(a: Any, b: Any) -> Any:
    if not getattr(a, "is_Matrix", False) or not getattr(b, "is_Matrix", False):
        return a * b
    return sp.HadamardProduct(a, b)


def _add(node: Node, a: Any, b: Any) -> Any:
    ones = sp.OneMatrix(*node.shape) if node.shape else None
    a = a * ones if ones is not None and not getattr(a, "is_Matrix", False) else a
    b = b * ones if ones is not None and not getattr(b, "is_Matrix", False) else b
    return a + b


def _element(e: Any, row: Any, col: Any) -> Any:
    """e[row, col] without expanding a product into its sum (``(W*x)[j, 0]`` stays so)."""
    from sympy.matrices.expressions.matexpr import MatrixElement

    if isinstance(e, sp.MatrixSymbol | sp.Identity):
        return e[row, col]
    return MatrixElement(e, row, col)


def _number(value: float) -> Any:
    if value == int(value):
        return sp.Integer(int(value))
    return sp.Rational(repr(float(value)))  # the shortest decimal that reads back as value


def to_sympy(node: Node) -> Any:
    """The SymPy form of ``node`` (shared sub-expressions converted once)."""
    from sympy.matrices.expressions.diagonal import DiagMatrix

    memo: dict[int, Any] = {}

    def conv(n: Node) -> Any:
        if id(n) in memo:
            return memo[id(n)]
        a = [conv(x) for x in n.args]
        kind = n.kind
        if kind == "var":
            out = _symbol(n.data, n.shape)
        elif kind in ("const", "opaque"):
            out = _symbol(n.data[0], n.shape)
        elif kind == "num":
            out = _number(n.data)
        elif kind == "ones":
            out = sp.OneMatrix(*n.shape)
        elif kind == "eye":
            out = sp.Identity(n.shape[0])
        elif kind == "transpose":
            out = a[0].T
        elif kind == "matmul":
            out = a[0] * a[1]
            out = _scalar(out) if n.shape == () else out
        elif kind == "sum":
            r, c = n.args[0].shape
            out = _scalar(sp.OneMatrix(1, r) * a[0] * sp.OneMatrix(c, 1))
        elif kind in ("scale",):
            out = a[0] * a[1]
        elif kind == "hadamard":
            out = _hadamard(a[0], a[1])
        elif kind == "add":
            out = _add(n, a[0], a[1])
        elif kind == "div":
            inverse = sp.HadamardPower(a[1], -1) if getattr(a[1], "is_Matrix", False) else 1 / a[1]
            out = _hadamard(a[0], inverse)
        elif kind == "power":
            out = sp.HadamardPower(a[0], _number(n.data)) if n.shape else a[0] ** _number(n.data)
        elif kind in ("fn", "deriv"):
            out = _elementwise(n, a[0], n.data[3])
        elif kind == "diag":
            out = DiagMatrix(a[0])
        elif kind == "index":  # (i, j, k) -> factor[j, i] b[k], elements left unevaluated
            i, j, k = sp.symbols("i j k", integer=True)
            factor = a[0] if getattr(a[0], "is_Matrix", False) else a[0] * sp.Identity(n.shape[1])
            out = sp.Lambda((i, j, k), _element(factor, j, i) * _element(a[1], k, 0))
        else:
            raise ValueError(f"closed form: no SymPy form for a {kind!r} node")
        memo[id(n)] = out
        return out

    return conv(node)
