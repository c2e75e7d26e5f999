"""The grammar of the safe parser: an iterative allowlist walk over the Python AST.

``Checker`` visits every node without recursion, rejects anything outside the grammar
with a ``ParseError`` naming the construct and its position, and counts nodes against
the limits. ``chain``, ``operands`` and ``describe`` are small AST helpers the builder
shares.
"""

from __future__ import annotations

import ast
import math
import re

from diffcheck.errors import ParseError
from diffcheck.parsing.gate import Limits, position

_DECIMAL = re.compile(r"(\d[\d_]*(\.[\d_]*)?|\.\d[\d_]*)([eE][+-]?\d[\d_]*)?")
SUM_OPS = (ast.Add, ast.Sub)
# Calls that may take ``axis=`` by keyword; every other keyword argument is refused.
AXIS_FUNCTIONS = frozenset({"sum", "mean"})
PRODUCT_OPS = (ast.Mult, ast.Div)
OP_SYMBOLS = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
    ast.MatMult: "@", ast.Mod: "%", ast.FloorDiv: "//", ast.BitAnd: "&", ast.BitOr: "|",
    ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>", ast.Not: "not", ast.Invert: "~",
}
_CONSTRUCTS = {
    ast.Attribute: "attribute access is not allowed (only '.T', the transpose)",
    ast.Lambda: "lambda expressions are not allowed",
    ast.ListComp: "comprehensions are not allowed", ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.Compare: "comparisons are not allowed", ast.BoolOp: "'and'/'or' are not allowed",
    ast.IfExp: "conditional expressions are not allowed",
    ast.NamedExpr: "assignment expressions (':=') are not allowed",
    ast.Starred: "starred expressions are not allowed",
    ast.Dict: "dicts are not allowed", ast.Set: "sets are not allowed",
    ast.Tuple: "tuples are not allowed", ast.JoinedStr: "f-strings are not allowed",
    ast.keyword: "keyword arguments are not allowed", ast.Slice: "slicing is not allowed",
    ast.Await: "'await' is not allowed", ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
}


class Checker:
    """Pass 1: an iterative allowlist walk (no SymPy) that also counts nodes."""

    def __init__(self, source: str, origin: list[int], text: str, limits: Limits):
        self.source, self.origin, self.text, self.limits = source, origin, text, limits

    def error(self, reason: str, node: ast.AST) -> ParseError:
        return ParseError(reason, position(node, self.origin), self.text)

    def check(self, tree: ast.Expression) -> None:
        # Each entry: (node, inside an exponent, is the index of a subscript).
        stack: list[tuple[ast.AST, bool, bool]] = [(tree.body, False, False)]
        count = 0
        while stack:
            node, in_exponent, is_index = stack.pop()
            count += 1
            if count > self.limits.max_nodes:
                raise self.error(f"expression has more than {self.limits.max_nodes} nodes", node)
            for child, child_in_exponent, child_is_index in self.children(node, in_exponent):
                stack.append((child, child_in_exponent, child_is_index))
            if isinstance(node, ast.Tuple) and not is_index:
                raise self.error(_CONSTRUCTS[ast.Tuple], node)

    def children(self, node: ast.AST, in_exp: bool) -> list[tuple[ast.AST, bool, bool]]:
        """Validate ``node`` itself and return its children to visit."""
        if isinstance(node, ast.Constant):
            self.check_constant(node)
            return []
        if isinstance(node, ast.Name):
            return []
        if isinstance(node, ast.BinOp):
            self.check_operator(node, (*SUM_OPS, *PRODUCT_OPS, ast.Pow, ast.MatMult))
            if isinstance(node.op, ast.Pow) and in_exp:
                raise self.error("power towers (a**b**c) are not allowed", node)
            is_pow = isinstance(node.op, ast.Pow)
            return [(node.right, in_exp or is_pow, False), (node.left, in_exp, False)]
        if isinstance(node, ast.UnaryOp):
            self.check_operator(node, (ast.USub, ast.UAdd))
            return [(node.operand, in_exp, False)]
        if isinstance(node, ast.Call):
            self.check_call(node)
            return [(arg, in_exp, False) for arg in reversed(call_arguments(node))]
        if isinstance(node, ast.Attribute):
            if node.attr != "T":
                raise self.error(_CONSTRUCTS[ast.Attribute], node)
            return [(node.value, in_exp, False)]
        if isinstance(node, ast.Subscript):
            return [(node.slice, in_exp, True), (node.value, in_exp, False)]
        if isinstance(node, ast.List | ast.Tuple):
            return [(elt, in_exp, False) for elt in reversed(node.elts)]
        raise self.error(_CONSTRUCTS.get(type(node), f"{type(node).__name__} is not allowed"), node)

    def check_operator(self, node: ast.BinOp | ast.UnaryOp, allowed: tuple[type, ...]) -> None:
        if not isinstance(node.op, allowed):
            symbol = OP_SYMBOLS.get(type(node.op), type(node.op).__name__)
            raise self.error(f"operator '{symbol}' is not allowed", node)

    def check_call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Attribute):
            raise self.error(_CONSTRUCTS[ast.Attribute], node.func)
        if not isinstance(node.func, ast.Name):
            raise self.error("only named functions can be called (write '*' to multiply)", node)
        for keyword in node.keywords:
            if keyword.arg != "axis" or node.func.id not in AXIS_FUNCTIONS:
                raise self.error(_CONSTRUCTS[ast.keyword], keyword)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.error(_CONSTRUCTS[ast.Starred], arg)

    def check_constant(self, node: ast.Constant) -> None:
        """Only finite decimal int/float literals with few significant digits."""
        value = node.value
        kind = {bool: "booleans", str: "strings", bytes: "bytes", complex: "complex numbers"}
        if type(value) in kind:
            raise self.error(f"{kind[type(value)]} are not allowed", node)
        if type(value) not in (int, float):
            raise self.error(f"{value!r} is not allowed", node)
        literal = self.source[node.col_offset:node.end_col_offset]
        if not _DECIMAL.fullmatch(literal):
            raise self.error(f"only decimal numbers are allowed, got '{literal}'", node)
        mantissa = re.split("[eE]", literal)[0].replace("_", "").replace(".", "").lstrip("0")
        if len(mantissa) > self.limits.max_digits:
            raise self.error(
                f"number has more than {self.limits.max_digits} significant digits", node
            )
        if not math.isfinite(value) or (value == 0 and mantissa):
            raise self.error(f"number '{literal}' is out of the floating-point range", node)


def call_arguments(node: ast.Call) -> list[ast.expr]:
    """A call's arguments in order, then the value of its one allowed keyword (``axis=``)."""
    return [*node.args, *(keyword.value for keyword in node.keywords)]


def chain(node: ast.BinOp) -> list[tuple[ast.operator | None, ast.expr]]:
    """A chain ``a+b-c`` or ``a*b/c`` as (operator before it, operand) pairs, left to right.

    The builder treats a chain as one n-ary node: one SymPy ``Add``/``Mul`` instead of a
    left-leaning tree as deep as the chain is long.
    """
    group = SUM_OPS if isinstance(node.op, SUM_OPS) else PRODUCT_OPS
    pairs: list[tuple[ast.operator | None, ast.expr]] = []
    while isinstance(node, ast.BinOp) and isinstance(node.op, group):
        pairs.append((node.op, node.right))
        node = node.left
    pairs.append((None, node))
    return pairs[::-1]


def operands(node: ast.AST) -> list[ast.AST]:
    """The children the builder evaluates, in order (none for leaves and subscripts)."""
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow | ast.MatMult):
            return [node.left, node.right]
        return [operand for _, operand in chain(node)]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Attribute):
        return [node.value]
    if isinstance(node, ast.Call):
        return call_arguments(node)
    if isinstance(node, ast.List):
        return list(node.elts)
    return []


def describe(node: ast.AST) -> str:
    """How a message names the operation at ``node``."""
    if isinstance(node, ast.BinOp):
        return f"'{OP_SYMBOLS[type(node.op)]}'"
    if isinstance(node, ast.Call):
        return f"{node.func.id}()"
    return "this operation"


def operator_position(left: ast.AST, right: ast.AST, symbol: str, source: str,
                      origin: list[int]) -> int | None:
    """Where the operator ``symbol`` between two operands stands in the original text."""
    start = getattr(left, "end_col_offset", None)
    stop = getattr(right, "col_offset", None)
    if start is None or stop is None:
        return None
    found = source.find(symbol, start, stop)
    return None if found < 0 else origin[found]
