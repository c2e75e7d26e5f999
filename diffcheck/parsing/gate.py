"""The text gate of the safe parser: all that runs before ``ast.parse`` sees the text.

The length cap, an explicit map of a few math glyphs, per-character NFKC, ASCII only,
forbidden ASCII characters, number shapes and the bracket depth (``to_ascii``,
``check_numbers``, ``check_brackets``); then ``ast_parse``, ``ast.parse(mode="eval")``
with every parser failure made a ``ParseError``. Each step is linear in the input and
names the position in the *original* text.
"""

from __future__ import annotations

import ast
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
    "ᵀ": "^T ", "⊤": "^T ", "ŷ": "yhat",
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
