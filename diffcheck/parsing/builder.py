"""The builder of the safe parser: a checked AST to SymPy, bottom-up, never evaluating.

An explicit stack (a long sum cannot hit the recursion limit) builds SymPy objects
*unevaluated*, as typed; only numbers are folded. Element references (``x[2]``,
``W[1,2]``) become ``element_symbol`` symbols; whole variables are arrays of them, and
matrix notation (``@``, ``W.T``, ``inv(A)``, ...; see ``diffcheck.parsing.matrix``) is
expanded to elements as it is built.

``^`` (and superscripts) is maths notation, ``**`` is NumPy's: on scalars and vectors
both are the elementwise power; on a matrix ``A^T``/``Aᵀ`` is the transpose, ``A^-1``/
``A⁻¹`` the inverse, and any other ``A^k`` is refused as ambiguous, while ``A**k`` stays
elementwise.
"""

from __future__ import annotations

import ast
import difflib
import math
import time
from collections.abc import Callable

import sympy as sp

from diffcheck.errors import ParseError
from diffcheck.parsing.functions import (
    CALCULUS,
    CONSTANTS,
    FUNCTIONS,
    foldable,
    unevaluated_call,
)
from diffcheck.parsing.gate import SUPERSCRIPTS, Limits, position
from diffcheck.parsing.grammar import (
    OP_SYMBOLS,
    SUM_OPS,
    chain,
    describe,
    operands,
    operator_position,
)
from diffcheck.parsing.matrix import MATRIX_FUNCTIONS, MatrixOps, resolve
from diffcheck.parsing.values import (
    Deferred,
    Tensor,
    Value,
    add,
    bits,
    multiply,
    negate,
    number,
    reciprocal,
    same,
    shape_of,
    tree_size,
)
from diffcheck.symbols import element_name, element_symbol, indices

_CALL_COST = 4  # a function builds several SymPy nodes per element; arithmetic builds one
_UNDEFINED = (sp.zoo, sp.nan, sp.oo, -sp.oo)
TREE_FACTOR = 50  # the result, read as trees, may have this many nodes per node of the text
# Characters a ``**`` of the gate's output may come from when it was written as maths.
_CARETS = frozenset({"^", "ᵀ", "⊤", *SUPERSCRIPTS})


class Builder(MatrixOps):
    """Pass 2: builds SymPy objects bottom-up from a checked tree, with an explicit stack."""

    def __init__(self, shapes: dict[str, tuple[int, ...]], source: str, origin: list[int],
                 text: str, limits: Limits):
        self.shapes, self.source, self.origin = shapes, source, origin
        self.text, self.limits = text, limits
        self.elements = 0
        self.deadline = time.monotonic() + limits.max_seconds
        # 'I' is the identity unless declared, and only among arrays (else SymPy's i).
        self.identity_ok = "I" not in shapes and any(shapes.values())

    def error(self, reason: str, node: ast.AST | None) -> ParseError:
        return ParseError(reason, None if node is None else position(node, self.origin), self.text)

    def error_at(self, reason: str, where: int | None) -> ParseError:
        return ParseError(reason, where, self.text)

    def operator_position(self, node: ast.BinOp, right: ast.AST | None = None) -> int | None:
        """Where ``node``'s operator (the one before ``right`` in a chain) is in the text."""
        symbol = OP_SYMBOLS[type(node.op)]
        if right is None:
            left, right = node.left, node.right
        else:
            pairs = chain(node)
            k = next(k for k, (_, operand) in enumerate(pairs) if operand is right)
            left, symbol = pairs[k - 1][1], OP_SYMBOLS[type(pairs[k][0])]
        return operator_position(left, right, symbol, self.source, self.origin)

    def caret(self, node: ast.BinOp) -> bool:
        """Whether a power was written as maths (``^``, a superscript) rather than ``**``."""
        where = self.operator_position(node)
        return where is not None and self.text[where] in _CARETS

    def transposes(self, node: ast.AST) -> bool:
        """``W^T`` (or ``W**T``, refused when built): a power by an undeclared ``T``."""
        return (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow)
                and isinstance(node.right, ast.Name) and node.right.id == "T"
                and "T" not in self.shapes)

    def build(self, tree: ast.Expression) -> Value:
        values: dict[ast.AST, Value] = {}
        stack: list[tuple[ast.AST, list[ast.AST] | None]] = [(tree.body, None)]
        while stack:
            node, kids = stack.pop()
            if kids is None:  # first visit: check a call's function before its arguments
                if isinstance(node, ast.Call):
                    self.check_function(node)
                kids = [node.left] if self.transposes(node) else operands(node)
                stack.append((node, kids))
                stack.extend((kid, None) for kid in reversed(kids))
                continue
            if time.monotonic() > self.deadline:
                raise self.error("expression is too expensive to build", node)
            values[node] = self.build_node(node, [values.pop(kid) for kid in kids])
        return values[tree.body]

    def build_node(self, node: ast.AST, args: list[Value]) -> Value:
        if isinstance(node, ast.Constant):
            return number(node.value)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Subscript):
            return self.element(node)
        if isinstance(node, ast.List):
            return self.stack_list(node, args)
        if isinstance(node, ast.UnaryOp):
            return self.apply(negate if isinstance(node.op, ast.USub) else same, args, node)
        if isinstance(node, ast.Call):
            return self.call(node, args)
        if isinstance(node, ast.Attribute):
            return self.transpose(args[0], node)
        if isinstance(node.op, ast.MatMult):
            return self.matmul(*args, node)
        if isinstance(node.op, ast.Pow):
            return self.build_power(node, args)
        ops = [op for op, _ in chain(node)]
        if isinstance(node.op, SUM_OPS):
            return self.apply(lambda *t: add([negate(a) if isinstance(op, ast.Sub) else a
                                              for a, op in zip(t, ops)]), args, node)
        return self.apply(lambda *f: multiply([self.divide(a, node) if isinstance(op, ast.Div)
                                               else a for a, op in zip(f, ops)]), args, node)

    def build_power(self, node: ast.BinOp, args: list[Value]) -> Value:
        """Elementwise power, or on a matrix written with ``^``: transpose or inverse."""
        base, caret = args[0], self.caret(node)
        if self.transposes(node):
            if not caret:
                raise self.error_at("'**T' is not a transpose: write W.T or W^T",
                                    self.operator_position(node))
            return self.transpose(base, node)
        if caret and (isinstance(base, Deferred) or len(shape_of(base)) == 2):
            where = self.operator_position(node)
            if args[1] == -1:
                return self.inverse(base, node)
            if isinstance(node.right, ast.Name) and node.right.id == "T":
                raise self.error_at("'^T' is ambiguous here: 'T' is a declared variable; "
                                    "write W.T or transpose(W) for the transpose", where)
            raise self.error_at(f"a matrix to the power {args[1]} is ambiguous: write A @ A "
                                "for the matrix product, or A**2 for the elementwise power",
                                where)
        return self.apply(lambda b, p: self.power(b, p, node), args, node)

    # ----- leaves -----
    def name(self, node: ast.Name) -> Value:
        name = node.id
        if name in self.shapes:
            return self.whole(name, (), self.shapes[name])
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name == "I" and self.identity_ok:
            return self.identity(node)
        if name in FUNCTIONS or name in MATRIX_FUNCTIONS:
            raise self.error(f"function '{name}' must be called, e.g. {name}(x)", node)
        if name == "T":
            raise self.error("unknown name 'T'; for the transpose write W.T or W^T", node)
        raise self.unknown(name, node)

    def unknown(self, name: str, node: ast.AST) -> ParseError:
        """The rejection of a name that is no variable, function or constant."""
        shown = name if len(name) <= 40 else name[:37] + "..."
        if name.startswith("_"):
            return self.error(f"names starting with '_' are not allowed ('{shown}')", node)
        if name in CALCULUS:
            return self.error(
                f"calculus operators are not allowed: write the derivative yourself ('{name}')",
                node)
        error = self.error(f"unknown name '{shown}'", node)
        if error.position is not None and self.text[error.position] == "ŷ":
            error.args = (f"{error.args[0]} (ŷ is read as yhat)",)
        known = [*self.shapes, *FUNCTIONS, *MATRIX_FUNCTIONS, *CONSTANTS]
        close = difflib.get_close_matches(name, known, n=1) or difflib.get_close_matches(
            name.lower(), known, n=1)
        if close:
            error.args = (f"{error.args[0]}; did you mean '{close[0]}'?",)
        return error

    def whole(self, name: str, prefix: tuple[int, ...], shape: tuple[int, ...]) -> Value:
        """The symbols of ``name[prefix]``: one symbol, or an array of the remaining shape."""
        rest = shape[len(prefix):]
        if not rest:
            return element_symbol(name, prefix)
        self.spend(math.prod(rest))
        return Tensor(rest, tuple(element_symbol(name, prefix + idx) for idx in indices(rest)))

    def element(self, node: ast.Subscript) -> Value:
        """``x[2]``, ``W[1,2]`` or ``W[1][2]``: integer literals inside the declared shape."""
        index: list[int] = []
        while isinstance(node.value, ast.Subscript):
            index[:0] = self.index_literals(node)
            node = node.value
        index[:0] = self.index_literals(node)
        base = node.value
        if not isinstance(base, ast.Name):
            raise self.error("only declared variables can be indexed", node)
        if base.id not in self.shapes:
            raise self.unknown(base.id, base)
        shape, idx = self.shapes[base.id], tuple(index)
        if not shape:
            raise self.error(f"'{base.id}' is a scalar (shape ()) and cannot be indexed", node)
        if len(idx) > len(shape) or any(i >= n for i, n in zip(idx, shape)):
            raise self.error(f"index {element_name(base.id, idx)} is out of range: "
                             f"'{base.id}' has shape {shape}", node)
        return self.whole(base.id, idx, shape)

    def index_literals(self, node: ast.Subscript) -> list[int]:
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        out = []
        for part in parts:
            if isinstance(part, ast.UnaryOp) and isinstance(part.op, ast.USub):
                raise self.error("negative indices are not allowed", part)
            if not (isinstance(part, ast.Constant) and type(part.value) is int):
                raise self.error("indices must be non-negative integer literals", part)
            out.append(part.value)
        return out

    # ----- compound -----
    def stack_list(self, node: ast.List, items: list[Value]) -> Tensor:
        """A rectangular list literal: every element has the same shape."""
        if not items:
            raise self.error("empty lists are not allowed", node)
        if any(isinstance(item, Deferred) for item in items):
            raise self.error("the size of 'I' is not known inside a list: write eye(n)", node)
        shapes = {shape_of(item) for item in items}
        if len(shapes) > 1:
            raise self.error(f"ragged list: elements have shapes {sorted(shapes)}", node)
        inner = shapes.pop()
        flat = [e for item in items for e in (item.items if isinstance(item, Tensor) else (item,))]
        self.spend(len(flat))
        return Tensor((len(items), *inner), tuple(flat))

    def check_function(self, node: ast.Call) -> None:
        """The callee is a table function given the right number of arguments."""
        name = node.func.id
        if name not in FUNCTIONS and name not in MATRIX_FUNCTIONS:
            if name in self.shapes:
                raise self.error(f"variable '{name}' cannot be called (write '*' to multiply)",
                                 node)
            raise self.unknown(name, node.func)
        fewest, most = MATRIX_FUNCTIONS.get(name) or (FUNCTIONS[name][0],) * 2
        given = len(node.args) + len(node.keywords)
        if node.keywords and len(node.args) != 1:
            raise self.error(f"{name}() takes the array first, then axis=", node)
        if not fewest <= given <= most:
            count = f"{fewest}" if fewest == most else f"{fewest} or {most}"
            raise self.error(f"function '{name}' takes {count} argument{'s' * (most > 1)}, "
                             f"got {given}", node)

    def call(self, node: ast.Call, args: list[Value]) -> Value:
        name = node.func.id
        if name in MATRIX_FUNCTIONS:
            return self.matrix_call(name, node, args)
        fn = FUNCTIONS[name][1]
        return self.apply(lambda *a: self.call_one(name, fn, a, node), args, node,
                          cost=_CALL_COST)

    def call_one(self, name: str, fn: Callable[..., sp.Expr], args: tuple[sp.Expr, ...],
                 node: ast.AST) -> sp.Expr:
        """One application: folded by SymPy for small rational arguments, else unevaluated."""
        if all(foldable(a) for a in args):
            return self.real(fn(*args), node)
        return unevaluated_call(name, fn, args)

    def apply(self, fn: Callable[..., sp.Expr], args: list[Value], node: ast.AST,
              cost: int = 1) -> Value:
        """Apply ``fn`` to scalars, or elementwise with scalars broadcast over one shape."""
        tensors = [a for a in args if isinstance(a, Tensor)]
        if any(isinstance(a, Deferred) for a in args):
            if not tensors:
                return self.defer(lambda *a: self.apply(fn, list(a), node, cost), args, node)
            n = self.identity_size(tensors, node)
            args = [resolve(a, n) for a in args]
            tensors = [a for a in args if isinstance(a, Tensor)]
        if not tensors:
            return self.checked(fn(*args), node)
        first = tensors[0]
        odd = next((a for a in tensors if a.shape != first.shape), None)
        if odd is not None:
            listed = " and ".join(str(t) for t in sorted({first.shape, odd.shape}))
            raise self.mismatch(f"shapes {listed} do not match for {describe(node)}", node,
                                args, odd)
        odd = next((a for a in tensors if a.row != first.row), None)
        if odd is not None:
            raise self.mismatch(f"a row vector (transposed) and a column vector do not match "
                                f"for {describe(node)}: write outer(a, b) for the outer "
                                "product, or transpose both", node, args, odd)
        size = math.prod(first.shape)
        self.spend(size * cost)
        columns = [a.items if isinstance(a, Tensor) else (a,) * size for a in args]
        return Tensor(first.shape, tuple(self.checked(fn(*row), node) for row in zip(*columns)),
                      first.row)

    def mismatch(self, reason: str, node: ast.AST, args: list[Value], odd: Tensor) -> ParseError:
        """A shape error at the operator before the odd operand of a chain (else at ``node``)."""
        if isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Pow):
            k = next(k for k, a in enumerate(args) if a is odd)
            where = self.operator_position(node, operands(node)[k]) if k else None
            if where is not None:
                return self.error_at(reason, where)
        return self.error(reason, node)

    def identity_size(self, tensors: list[Tensor], node: ast.AST) -> int:
        """The size of ``I`` met elementwise: that of the square matrix beside it."""
        for t in tensors:
            if len(t.shape) == 2 and t.shape[0] == t.shape[1]:
                return t.shape[0]
        raise self.error(f"the identity 'I' is square; it does not match shape "
                         f"{tensors[0].shape} for {describe(node)}", node)

    def power(self, base: sp.Expr, exponent: sp.Expr, node: ast.BinOp) -> sp.Expr:
        """``base**exponent``, folded only when both are numbers and the result stays small."""
        if exponent.is_Rational and abs(exponent) > self.limits.max_exponent:
            raise self.error(f"exponent {exponent} is larger than {self.limits.max_exponent} "
                             "in absolute value", node.right)
        if not (base.is_Rational and exponent.is_Rational):
            return sp.Pow(base, exponent, evaluate=False)
        if base == 0 and exponent < 0:
            raise self.error("division by zero (0 to a negative power)", node)
        if exponent.is_Integer or foldable(base):
            return self.real(base**exponent, node)
        return sp.Pow(base, exponent, evaluate=False)

    def divide(self, divisor: sp.Expr, node: ast.AST) -> sp.Expr:
        if divisor == 0:
            raise self.error("division by zero", node)
        return reciprocal(divisor)

    def checked(self, value: sp.Expr, node: ast.AST) -> sp.Expr:
        """Reject undefined values (``log(0)``) and huge numbers as soon as they are folded."""
        if value.is_Atom and value in _UNDEFINED:
            raise self.error(f"the value is undefined ({value}), e.g. division by zero", node)
        if value.is_Rational and bits(value) > self.limits.max_number_bits:
            raise self.error(f"a number is larger than {self.limits.max_number_bits} bits", node)
        return value

    def real(self, value: sp.Expr, node: ast.AST) -> sp.Expr:
        """A folded number must be defined and real: ``sqrt(-1)``, ``log(-1)`` are rejected."""
        if self.checked(value, node).has(sp.I) or value.is_extended_real is False:
            raise self.error(f"the value {value} is not real", node)
        return value

    def spend(self, elements: int) -> None:
        self.elements += elements
        if self.elements > self.limits.max_elements:
            raise self.error(
                f"array expression is too large (over {self.limits.max_elements} elements)", None)


def to_sympy(value: Value, text: str, limits: Limits) -> sp.Expr | sp.Array:
    """The public result; a last whole-tree check for size and undefined values (zoo, nan)."""
    if isinstance(value, Deferred):
        raise ParseError("the size of the identity 'I' is not known here: write eye(n)",
                         None, text)
    items = value.items if isinstance(value, Tensor) else (value,)
    cap = TREE_FACTOR * limits.max_nodes
    if tree_size(items, cap) > cap:
        raise ParseError(f"the expression expands to more than {cap} terms (matrix products "
                         "reuse every element): check a smaller case", None, text)
    for item in items:
        if item.has(*_UNDEFINED):
            raise ParseError("the value is undefined (division by zero or log(0))", None, text)
    if isinstance(value, Tensor):
        return sp.ImmutableDenseNDimArray(list(value.items), value.shape)
    return value
