"""How an op prints: infix (``x + y``), prefix (``-x``), postfix (``x.T``) or a call (``sum(x, axis=1)``).

An op record's ``printing`` is one of these; ``repr``, reports and ``explain`` format
every node through it, so no printer compares op names. Each input arrives as a
:class:`Text` (its text and how tightly it binds) and a :class:`Text` comes back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

ATOM = 100  # binding strength of a name, a call or a subscript: never parenthesised


class Text(NamedTuple):
    """Printed text and its binding strength (higher binds tighter)."""

    text: str
    precedence: int = ATOM


def _wrapped(part: Text, ok: bool) -> str:
    return part.text if ok else f"({part.text})"


@dataclass(frozen=True)
class Infix:
    """``x + y``: a binary operator; ``right_assoc`` for ``**`` (``a ** b ** c`` is ``a ** (b ** c)``)."""

    symbol: str
    precedence: int
    right_assoc: bool = False

    def format(self, name: str, inputs: Sequence[Text], params: Mapping[str, Any]) -> Text:
        left, right = inputs
        p = self.precedence
        left_ok = left.precedence > p if self.right_assoc else left.precedence >= p
        right_ok = right.precedence >= p if self.right_assoc else right.precedence > p
        return Text(f"{_wrapped(left, left_ok)} {self.symbol} {_wrapped(right, right_ok)}", p)


@dataclass(frozen=True)
class Prefix:
    """``-x``: a unary operator written before its input."""

    symbol: str
    precedence: int

    def format(self, name: str, inputs: Sequence[Text], params: Mapping[str, Any]) -> Text:
        (body,) = inputs
        return Text(f"{self.symbol}{_wrapped(body, body.precedence > self.precedence)}", self.precedence)


@dataclass(frozen=True)
class Postfix:
    """``x.T``: a suffix after an input, which is parenthesised unless it is atomic."""

    suffix: str

    def format(self, name: str, inputs: Sequence[Text], params: Mapping[str, Any]) -> Text:
        (body,) = inputs
        return Text(f"{_wrapped(body, body.precedence >= ATOM)}{self.suffix}", ATOM)


@dataclass(frozen=True)
class Call:
    """``sum(x, axis=1)``: the op's name and its inputs, then each ``shown`` param that is set."""

    shown: tuple[str, ...] = ()

    def format(self, name: str, inputs: Sequence[Text], params: Mapping[str, Any]) -> Text:
        parts = [t.text for t in inputs]
        parts += [f"{k}={params[k]}" for k in self.shown if params.get(k) is not None]
        return Text(f"{name}({', '.join(parts)})", ATOM)


Printing = Infix | Prefix | Postfix | Call
