"""Matrix notation for the parser's builder: ``@``, transposes, ``tr det inv diag outer eye
sum mean Matrix`` and the identity ``I``, all expanded to unevaluated SymPy elements.

Shapes follow NumPy (``W @ x``, ``x @ W``, ``x @ x``), with one addition from paper: a
vector written transposed (``x.T``, ``x^T``, ``xᵀ``) is a *row*, so ``r @ x.T`` is the
outer product ``r xᵀ``. A row never meets a column elementwise (``x * x.T`` is refused as
ambiguous) and never stands right of a matrix (``W @ x.T``). ``I`` gets its size from the
square matrix or the vector it meets; alone it is an error asking for ``eye(n)``.

The mixin reads ``error``, ``error_at``, ``operator_position``, ``spend`` and ``apply``
from the builder.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from types import MappingProxyType

import sympy as sp

from diffcheck.parsing.grammar import AXIS_FUNCTIONS
from diffcheck.parsing.values import (
    MAX_DEFERRED_DEPTH,
    Deferred,
    Tensor,
    Value,
    add,
    dot,
    multiply,
    negate,
    reciprocal,
)
from diffcheck.symbols import indices

# name -> (fewest, most arguments). Frozen, like the elementwise table.
MATRIX_FUNCTIONS = MappingProxyType({
    "transpose": (1, 1), "tr": (1, 1), "trace": (1, 1), "det": (1, 1), "inv": (1, 1),
    "diag": (1, 1), "outer": (2, 2), "eye": (1, 1), "sum": (1, 2), "mean": (1, 2),
    "Matrix": (1, 1),
})
_SQUARE = "needs a square matrix"


def resolve(value: Value, n: int) -> Value:
    """A deferred value at size ``n``; anything else as it is."""
    return value.build(n) if isinstance(value, Deferred) else value


def _matrix(value: Tensor) -> list[list[sp.Expr]]:
    rows, cols = value.shape
    return [list(value.items[i * cols:(i + 1) * cols]) for i in range(rows)]


class MatrixOps:
    """Matrix-level operations of the builder (a mixin; see the module docstring)."""

    # ----- values of unknown size -----
    def identity(self, node: ast.AST) -> Deferred:
        return Deferred(lambda n: self.eye(n, node), node)

    def defer(self, fn: Callable[..., Value], args: list[Value], node: ast.AST) -> Deferred:
        """``fn`` applied once the size of the deferred arguments is known."""
        depth = 1 + max(a.depth for a in args if isinstance(a, Deferred))
        if depth > MAX_DEFERRED_DEPTH:
            raise self.error("the size of 'I' is not known this deep inside the expression: "
                             "write eye(n)", node)
        return Deferred(lambda n: fn(*(resolve(a, n) for a in args)), node, depth)

    def eye(self, n: int, node: ast.AST) -> Tensor:
        self.spend(n * n)
        return Tensor((n, n), tuple(sp.S.One if i == j else sp.S.Zero
                                    for i in range(n) for j in range(n)))

    # ----- @ and transposes -----
    def matmul(self, a: Value, b: Value, node: ast.BinOp) -> Value:
        if isinstance(a, Deferred) and isinstance(b, Deferred):
            return self.defer(lambda x, y: self.matmul(x, y, node), [a, b], node)
        if isinstance(a, Deferred) and isinstance(b, Tensor):
            a = a.build(b.shape[0])
        if isinstance(b, Deferred) and isinstance(a, Tensor):
            b = b.build(a.shape[-1])
        where = self.operator_position(node)
        if not (isinstance(a, Tensor) and isinstance(b, Tensor)):
            raise self.error_at("'@' multiplies vectors and matrices; for a scalar factor "
                                "write '*'", where)
        return self._matmul(a, b, where)

    def _matmul(self, a: Tensor, b: Tensor, where: int | None) -> Tensor | sp.Expr:
        (sa, sb) = (a.shape, b.shape)
        if len(sa) > 2 or len(sb) > 2:
            raise self.error_at(f"'@' of shapes {sa} and {sb}: arrays with more than 2 axes "
                                "are not supported", where)
        if b.row and (len(sa) == 2 or a.row):
            left = "a matrix" if len(sa) == 2 else "a row vector"
            raise self.error_at(f"shapes {sa} and {sb} do not match for '@': the right "
                                f"operand is a row vector (transposed) and cannot follow "
                                f"{left}", where)
        if len(sa) == 1 and len(sb) == 1 and not a.row and b.row:
            return self.outer_product(a, b)
        inner_a, inner_b = sa[-1], sb[0]
        if inner_a != inner_b:
            raise self.error_at(f"shapes {sa} and {sb} do not match for '@' (inner sizes "
                                f"{inner_a} and {inner_b})", where)
        rows = _matrix(a) if len(sa) == 2 else [list(a.items)]
        cols = ([list(b.items[j::sb[1]]) for j in range(sb[1])] if len(sb) == 2
                else [list(b.items)])
        self.spend(len(rows) * len(cols) * inner_a)
        items = tuple(dot(r, c) for r in rows for c in cols)
        shape = tuple(n for n, keep in ((sa[0], len(sa) == 2), (sb[-1], len(sb) == 2)) if keep)
        if not shape:
            return items[0]
        return Tensor(shape, items, row=a.row and len(sa) == 1)

    def outer_product(self, a: Tensor, b: Tensor) -> Tensor:
        self.spend(len(a.items) * len(b.items))
        return Tensor((len(a.items), len(b.items)),
                      tuple(multiply([p, q]) for p in a.items for q in b.items))

    def transpose(self, value: Value, node: ast.AST) -> Value:
        """NumPy's ``.T`` (axes reversed); a vector becomes a row (a row a column)."""
        if isinstance(value, Deferred):
            return self.defer(lambda v: self.transpose(v, node), [value], node)
        if not isinstance(value, Tensor):
            return value
        if len(value.shape) == 1:
            return Tensor(value.shape, value.items, not value.row)
        self.spend(len(value.items))
        shape = value.shape[::-1]
        strides = [math.prod(value.shape[k + 1:]) for k in range(len(value.shape))][::-1]
        return Tensor(shape, tuple(value.items[sum(i * s for i, s in zip(idx, strides))]
                                   for idx in indices(shape)))

    # ----- square matrices -----
    def square(self, name: str, value: Value, node: ast.AST) -> list[list[sp.Expr]]:
        if not (isinstance(value, Tensor) and len(value.shape) == 2
                and value.shape[0] == value.shape[1]):
            shape = value.shape if isinstance(value, Tensor) else ()
            hint = "; for elementwise reciprocals write 1/W" if name == "the inverse" else ""
            raise self.error(f"{name} {_SQUARE}, got shape {shape}{hint}", node)
        return _matrix(value)

    def determinant(self, rows: list[list[sp.Expr]], keep_rows: tuple[int, ...],
                    keep_cols: tuple[int, ...], memo: dict) -> sp.Expr:
        """The minor on ``keep_rows × keep_cols`` by Laplace expansion along its first row,
        each sub-minor built once (shared between cofactors)."""
        key = (keep_rows, keep_cols)
        if key in memo:
            return memo[key]
        if len(keep_rows) == 1:
            return rows[keep_rows[0]][keep_cols[0]]
        self.spend(len(keep_cols))
        first, rest = keep_rows[0], keep_rows[1:]
        terms = []
        for k, j in enumerate(keep_cols):
            minor = self.determinant(rows, rest, keep_cols[:k] + keep_cols[k + 1:], memo)
            term = multiply([rows[first][j], minor])
            terms.append(negate(term) if k % 2 else term)
        memo[key] = value = add(terms)
        return value

    def det(self, value: Value, node: ast.AST) -> sp.Expr:
        if isinstance(value, Deferred):
            return self.defer(lambda v: self.det(v, node), [value], node)
        rows = self.square("det()", value, node)
        n = len(rows)
        return self.determinant(rows, tuple(range(n)), tuple(range(n)), {})

    def inverse(self, value: Value, node: ast.AST) -> Value:
        """``adj(A) / det(A)``, elementwise; a matrix whose determinant is 0 is refused."""
        if isinstance(value, Deferred):
            return self.defer(lambda v: self.inverse(v, node), [value], node)
        rows = self.square("the inverse", value, node)
        n, memo = len(rows), {}
        every = tuple(range(n))
        determinant = self.determinant(rows, every, every, memo)
        if determinant == 0:
            raise self.error("the matrix is singular (its determinant is 0)", node)
        scale = reciprocal(determinant)
        if n == 1:
            return Tensor((1, 1), (scale,))
        items = []
        for i in range(n):  # inverse[i, j] = cofactor[j, i] / det
            for j in range(n):
                minor = self.determinant(rows, every[:j] + every[j + 1:],
                                         every[:i] + every[i + 1:], memo)
                cofactor = negate(minor) if (i + j) % 2 else minor
                items.append(multiply([cofactor, scale]))
        self.spend(n * n)
        return Tensor((n, n), tuple(items))

    def trace(self, value: Value, node: ast.AST) -> Value:
        if isinstance(value, Deferred):
            return self.defer(lambda v: self.trace(v, node), [value], node)
        rows = self.square("tr()", value, node)
        return add([rows[i][i] for i in range(len(rows))])

    # ----- calls -----
    def matrix_call(self, name: str, node: ast.Call, args: list[Value]) -> Value:
        """One call of ``MATRIX_FUNCTIONS`` (arity already checked)."""
        if name in AXIS_FUNCTIONS:
            return self.reduce(name, node, args)
        if name == "eye":
            return self.eye(self.size_literal(args[0], node), node)
        if name == "outer":
            a, b = args
            if not all(isinstance(v, Tensor) and len(v.shape) == 1 for v in (a, b)):
                shapes = " and ".join(str(v.shape if isinstance(v, Tensor) else ())
                                      for v in (a, b))
                raise self.error(f"outer() takes two vectors, got shapes {shapes}", node)
            return self.outer_product(a, b)
        (value,) = args
        if isinstance(value, Deferred) and name in ("diag", "Matrix"):
            raise self.error(f"{name}() of 'I' needs its size: write eye(n)", node)
        table = {"transpose": self.transpose, "tr": self.trace, "trace": self.trace,
                 "det": self.det, "inv": self.inverse, "diag": self.diag,
                 "Matrix": self.sympy_matrix}
        return table[name](value, node)

    def size_literal(self, value: Value, node: ast.Call) -> int:
        if not (isinstance(value, sp.Integer) and value >= 1):
            raise self.error("eye(n) needs a positive whole number n", node)
        return int(value)

    def diag(self, value: Value, node: ast.AST) -> Tensor:
        """NumPy's ``diag``: a vector's diagonal matrix, or a matrix's diagonal."""
        if isinstance(value, Tensor) and len(value.shape) == 1:
            n = value.shape[0]
            self.spend(n * n)
            return Tensor((n, n), tuple(value.items[i] if i == j else sp.S.Zero
                                        for i in range(n) for j in range(n)))
        if isinstance(value, Tensor) and len(value.shape) == 2:
            return Tensor((min(value.shape),), tuple(
                value.items[i * value.shape[1] + i] for i in range(min(value.shape))))
        shape = value.shape if isinstance(value, Tensor) else ()
        raise self.error(f"diag() takes a vector or a matrix, got shape {shape}", node)

    def sympy_matrix(self, value: Value, node: ast.AST) -> Tensor:
        """SymPy's printed ``Matrix([[...]])``: a list of rows, or a flat list as a column."""
        if isinstance(value, Tensor) and len(value.shape) == 2:
            return Tensor(value.shape, value.items)
        if isinstance(value, Tensor) and len(value.shape) == 1:
            return Tensor((value.shape[0], 1), value.items)
        shape = value.shape if isinstance(value, Tensor) else ()
        raise self.error(f"Matrix() takes a list of rows or a list of values, got shape {shape}",
                         node)

    def reduce(self, name: str, node: ast.Call, args: list[Value]) -> Value:
        """``sum(e)``/``mean(e)`` of every element, or along one axis (``sum(e, 0)``,
        ``sum(e, axis=0)``)."""
        value = args[0]
        if isinstance(value, Deferred):
            raise self.error(f"{name}() of 'I' needs its size: write eye(n)", node)
        if not isinstance(value, Tensor):
            return value
        if len(args) == 1:
            total = add(list(value.items))
            return total if name == "sum" else multiply(
                [total, sp.Rational(1, len(value.items) or 1)])
        axis = self.axis_literal(args[1], len(value.shape), node)
        shape = value.shape[:axis] + value.shape[axis + 1:]
        outer, count = math.prod(value.shape[:axis]), value.shape[axis]
        inner = math.prod(value.shape[axis + 1:])
        self.spend(len(value.items))
        items = []
        for o in range(outer):
            for i in range(inner):
                total = add([value.items[(o * count + k) * inner + i] for k in range(count)])
                items.append(total if name == "sum" else multiply(
                    [total, sp.Rational(1, count or 1)]))
        if not shape:
            return items[0]
        return Tensor(shape, tuple(items))

    def axis_literal(self, value: Value, ndim: int, node: ast.Call) -> int:
        if not (isinstance(value, sp.Integer) and -ndim <= value < ndim):
            axes = "1 axis" if ndim == 1 else f"{ndim} axes"
            raise self.error(f"axis must be a whole number from {-ndim} to {ndim - 1} for "
                             f"an array with {axes}", node)
        return int(value) % ndim
