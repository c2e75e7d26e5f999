"""Limits and gates of the safe parser (`diffcheck.parsing`): all that runs before SymPy.

1. The text gate, before ``ast.parse`` sees the text: the length cap, an explicit map of
   a few math glyphs, per-character NFKC, ASCII only, forbidden ASCII characters and the
   bracket depth (``to_ascii``, ``check_brackets``).
2. ``ast_parse``: ``ast.parse(mode="eval")`` with every parser failure made a ParseError.
3. ``Checker``: an iterative allowlist walk over the tree that also counts nodes.

Plus small AST helpers the builder in ``diffcheck.parsing`` uses (``chain``, ``operands``).

Each step is linear in the input and raises ``ParseError`` naming the position in the
*original* text.
"""

from __future__ import annotations

import ast
import math
import operator
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from diffcheck.errors import ParseError


@dataclass(frozen=True)
class Limits:
    """Caps that keep parsing of hostile text fast and the result small.

    ``max_digits`` bounds significant digits of a literal: 17 round-trips any float64
    (``repr(0.1 + 0.2)``); the size of numbers is bounded by the bit limits, not here;
    ``max_exponent`` bounds every numeric exponent (|n| <= 20, literal or folded);
    ``max_number_bits`` bounds numbers folded from literals (``999**20``);
    ``max_elements`` bounds the element operations spent on arrays;
    ``max_seconds`` is a last-resort wall-clock backstop, checked between nodes (the
    other limits keep well-formed input far below it).
    """

    max_length: int = 2000
    max_depth: int = 30
    max_nodes: int = 2000
    max_digits: int = 17
    max_exponent: int = 20
    max_number_bits: int = 2048
    max_elements: int = 5_000
    max_seconds: float = 1.0


DEFAULT_LIMITS = Limits()

# Glyphs people paste from typeset maths, mapped before NFKC (which would turn "²" into
# "2"). Kept small on purpose; every other non-ASCII letter is rejected.
GLYPHS = MappingProxyType({
    "σ": "sigmoid", "π": "pi", "·": "*", "⋅": "*", "×": "*", "−": "-",
})
# Superscript digits: a run such as "⁻¹²" becomes "**-12".
SUPERSCRIPTS = MappingProxyType({
    "⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5",
    "⁶": "6", "⁷": "7", "⁸": "8", "⁹": "9", "⁻": "-",
})
# NFKC decomposition tags whose ASCII result means the same as the glyph (fullwidth,
# italic maths letters, no-break spaces). Others (circled, sub/superscript,
# fractions, ligatures) would silently change the meaning, so they are rejected.
_SAFE_TAGS = frozenset({"", "<wide>", "<narrow>", "<font>", "<noBreak>"})
_FORBIDDEN_ASCII = MappingProxyType({
    "#": "comments ('#') are not allowed",
    "\\": "backslashes are not allowed",
    ";": "';' is not allowed: write a single expression",
    "'": "strings are not allowed",
    '"': "strings are not allowed",
    "`": "backticks are not allowed",
})
_OPEN, _CLOSE = "([{", ")]}"


def _char_error(c: str, pos: int, text: str) -> ParseError:
    """The rejection of one disallowed character, naming its codepoint (never echoing it)."""
    if c in "\n\r":
        return ParseError("line breaks are not allowed", pos, text)
    label = f"U+{ord(c):04X} ({unicodedata.name(c, 'unnamed')})"
    if unicodedata.category(c).startswith("C"):
        return ParseError(f"control or invisible character {label} is not allowed", pos, text)
    return ParseError(f"character {label} is not allowed: write plain ASCII maths", pos, text)


def _compat(c: str, pos: int, text: str) -> str:
    """NFKC of one character, refusing compatibility forms that change meaning."""
    if c.isascii():
        return c
    decomposition = unicodedata.decomposition(c)
    tag = decomposition.split(" ")[0] if decomposition.startswith("<") else ""
    if tag not in _SAFE_TAGS:
        raise _char_error(c, pos, text)
    return unicodedata.normalize("NFKC", c)


def check_variables(variables: Mapping[str, tuple[int, ...]]) -> dict[str, tuple[int, ...]]:
    """Validate the caller's declarations (a programming error, so ``ValueError``)."""
    shapes = {}
    for name, shape in variables.items():
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
            raise ValueError(f"variable name {name!r} must match [A-Za-z][A-Za-z0-9_]*")
        try:
            shape = tuple(operator.index(n) for n in shape)  # also NumPy integers
        except TypeError:
            raise ValueError(f"shape of {name!r} must be a tuple of ints, got {shape!r}") from None
        if any(n < 0 for n in shape):
            raise ValueError(f"shape of {name!r} must be non-negative ints, got {shape}")
        shapes[name] = shape
    return shapes


def to_ascii(text: str, limits: Limits) -> tuple[str, list[int]]:
    """Gate the raw text and return (printable ASCII text, origin of each character).

    ``origin[i]`` is the index in ``text`` that produced character ``i`` of the result;
    one extra entry maps the end. ``^`` becomes ``**`` here (strings and comments are
    rejected, so every ``^`` is an operator).
    """
    if len(text) > limits.max_length:
        raise ParseError(f"input is longer than {limits.max_length} characters", None, text)
    start = len(text) - len(text.lstrip())
    body = text.strip()
    if not body:
        raise ParseError("empty expression", None, text)
    out: list[str] = []
    origin: list[int] = []
    in_superscript = False
    for pos, c in enumerate(body, start):
        if c in SUPERSCRIPTS:
            piece = SUPERSCRIPTS[c] if in_superscript else "**" + SUPERSCRIPTS[c]
            in_superscript = True
        else:
            in_superscript = False
            piece = GLYPHS.get(c) or _compat(c, pos, text)
        for ch in piece.replace("^", "**"):
            if not " " <= ch <= "~":
                raise _char_error(c, pos, text)
            if ch in _FORBIDDEN_ASCII:
                raise ParseError(_FORBIDDEN_ASCII[ch], pos, text)
            out.append(ch)
            origin.append(pos)
    if len(out) > limits.max_length:
        raise ParseError(f"input is longer than {limits.max_length} characters", None, text)
    origin.append(start + len(body))
    return "".join(out), origin


# A decimal literal directly followed by a letter ("2x", "1if"): never valid maths, and
# Python's tokenizer would warn (SyntaxWarning) or fail without a useful hint.
_NUMBER_THEN_LETTER = re.compile(
    r"(?<![\w.])((?>(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?))"
    r"(?=[A-Za-z_])"
)


def check_numbers(source: str, origin: list[int], text: str) -> None:
    """Reject a number glued to a name, with a hint (``2x`` -> write ``2*x``)."""
    match = _NUMBER_THEN_LETTER.search(source)
    if match is None:
        return
    literal, after = match.group(1), source[match.end()]
    if after in "jJ":
        reason = "complex numbers are not allowed"
    elif literal == "0" and after in "xXoObB":
        reason = "only decimal numbers are allowed"
    else:
        reason = f"a number is glued to a name: write '{literal}*{after}...' to multiply"
    raise ParseError(reason, origin[match.start()], text)


def check_brackets(source: str, origin: list[int], text: str, limits: Limits) -> None:
    """Reject bracket nesting deeper than ``limits.max_depth`` before the parser recurses."""
    depth = 0
    for i, ch in enumerate(source):
        if ch in _OPEN:
            depth += 1
            if depth > limits.max_depth:
                raise ParseError(
                    f"brackets are nested deeper than {limits.max_depth} levels", origin[i], text
                )
        elif ch in _CLOSE:
            depth -= 1


_DECIMAL = re.compile(r"(\d[\d_]*(\.[\d_]*)?|\.\d[\d_]*)([eE][+-]?\d[\d_]*)?")
SUM_OPS = (ast.Add, ast.Sub)
PRODUCT_OPS = (ast.Mult, ast.Div)
OP_SYMBOLS = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
    ast.MatMult: "@", ast.Mod: "%", ast.FloorDiv: "//", ast.BitAnd: "&", ast.BitOr: "|",
    ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>", ast.Not: "not", ast.Invert: "~",
}
_CONSTRUCTS = {
    ast.Attribute: "attribute access is not allowed",
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




def ast_parse(source: str, origin: list[int], text: str) -> ast.Expression:
    """``ast.parse`` in eval mode with every parser failure turned into ``ParseError``."""
    try:
        return ast.parse(source, mode="eval")
    except SyntaxError as exc:
        pos = None if exc.offset is None else origin[min(max(exc.offset - 1, 0), len(source))]
        raise ParseError(f"invalid syntax: {exc.msg}", pos, text) from None
    except (RecursionError, MemoryError):
        raise ParseError("expression is nested too deeply", None, text) from None
    except ValueError as exc:
        raise ParseError(f"invalid input: {exc}", None, text) from None


def position(node: ast.AST, origin: list[int]) -> int | None:
    """The node's index in the original text."""
    col = getattr(node, "col_offset", None)
    return None if col is None else origin[min(col, len(origin) - 1)]


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
            self.check_operator(node, (*SUM_OPS, *PRODUCT_OPS, ast.Pow))
            if isinstance(node.op, ast.Pow) and in_exp:
                raise self.error("power towers (a**b**c) are not allowed", node)
            is_pow = isinstance(node.op, ast.Pow)
            return [(node.right, in_exp or is_pow, False), (node.left, in_exp, False)]
        if isinstance(node, ast.UnaryOp):
            self.check_operator(node, (ast.USub, ast.UAdd))
            return [(node.operand, in_exp, False)]
        if isinstance(node, ast.Call):
            self.check_call(node)
            return [(arg, in_exp, False) for arg in reversed(node.args)]
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
        if node.keywords:
            raise self.error(_CONSTRUCTS[ast.keyword], node.keywords[0])
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
        if isinstance(node.op, ast.Pow):
            return [node.left, node.right]
        return [operand for _, operand in chain(node)]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call | ast.List):
        return list(node.args if isinstance(node, ast.Call) else node.elts)
    return []


def describe(node: ast.AST) -> str:
    """How a message names the operation at ``node``."""
    if isinstance(node, ast.BinOp):
        return f"'{OP_SYMBOLS[type(node.op)]}'"
    if isinstance(node, ast.Call):
        return f"{node.func.id}()"
    return "this operation"
