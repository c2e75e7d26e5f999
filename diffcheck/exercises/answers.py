"""Turn an answer into validated SymPy entries of some shape, without running anything.

An answer may be a string (the safe parser), a SymPy object (checked against the
allowlist and the declared element symbols), a number, or nested lists/tuples/arrays
of any of those. Nested lists are walked iteratively with caps on depth, length,
entries and total text, so a hostile object (10⁵ levels deep, 10⁶ entries, megabyte
strings) is rejected quickly with an ``AnswerError`` that says why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from diffcheck.errors import ParseError
from diffcheck.exercises.model import flat
from diffcheck.exercises.symtext import ANSWER_LIMITS, MAX_NODES, Unprintable, check_allowed
from diffcheck.parsing import parse

MAX_DEPTH = 6
MAX_ENTRIES = 2_000
MAX_TEXT = 40_000  # characters over all strings of one part
MAX_INT_BITS = 256
MAX_INT_DIGITS = 77  # the digits of a 256-bit integer
_END = object()


class AnswerError(ValueError):
    """The answer (or one entry) cannot be read; the message says why (unescaped)."""


@dataclass(frozen=True)
class Entries:
    """An answer read as SymPy scalars in C order, with its shape and each entry's source text."""

    shape: tuple[int, ...]
    items: tuple[sp.Expr, ...]
    sources: tuple[str | None, ...]


def read_answer(value: Any, shapes: Mapping[str, tuple[int, ...]],
                declared: Mapping[str, sp.Symbol]) -> Entries:
    """Read one part's answer; raises ``AnswerError`` naming the problem."""
    if isinstance(value, str):
        # The parser only builds allowlisted nodes over the declared elements.
        parsed = _parse(value, shapes)
        if isinstance(parsed, sp.NDimArray):
            items = tuple(flat(parsed))
            return Entries(tuple(parsed.shape), items, (None,) * len(items))
        return Entries((), (parsed,), (value,))
    if isinstance(value, (sp.MatrixBase, sp.NDimArray)):
        shape = tuple(value.shape)
        if math.prod(shape) > MAX_ENTRIES:
            raise AnswerError(f"the answer has more than {MAX_ENTRIES} entries")
        if shape:
            items = tuple(_allowed(v, declared) for v in flat(value))
            return Entries(shape, items, (None,) * len(items))
        value = value[()]
    elif isinstance(value, np.ndarray):
        if value.size > MAX_ENTRIES or value.ndim > MAX_DEPTH:
            raise AnswerError(f"the array is too large (shape {value.shape})")
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return _nested(value, shapes, declared)
    item, source = _leaf(value, shapes, declared, [MAX_TEXT])
    return Entries((), (item,), (source,))


def _parse(text: str, shapes: Mapping[str, tuple[int, ...]]) -> Any:
    try:
        return parse(text, shapes, limits=ANSWER_LIMITS)
    except ParseError as error:
        raise AnswerError(f"could not read the answer: {error}") from None
    except (RecursionError, MemoryError, OverflowError):
        raise AnswerError("could not read the answer: it is too large or nested too deeply") from None


def _allowed(expr: Any, declared: Mapping[str, sp.Symbol]) -> sp.Expr:
    problem = _number_problem(expr)
    if problem:
        raise AnswerError(problem)
    try:
        return check_allowed(expr, declared)
    except Unprintable as error:
        raise AnswerError(f"unsupported expression: {error}") from None


def _number_problem(expr: Any) -> str | None:
    """What is wrong with a number inside a SymPy answer (``Integer(10**100000)``,
    ``Float("1e100000")``), before anything converts, prints or evaluates it."""
    stack, seen = [expr], 0
    while stack and seen <= MAX_NODES:
        node = stack.pop()
        seen += 1
        if isinstance(node, sp.Float):
            if node.is_finite and not math.isfinite(float(node)):
                return "a number in the answer is beyond the floating-point range (about 1.8e308)"
        elif isinstance(node, sp.Rational):
            if max(abs(node.p).bit_length(), node.q.bit_length()) > MAX_INT_BITS:
                return f"a number in the answer has more than {MAX_INT_DIGITS} digits"
        elif isinstance(node, sp.Basic):
            stack.extend(node.args)
    return None


def _nested(value: list | tuple, shapes: Mapping[str, tuple[int, ...]],
            declared: Mapping[str, sp.Symbol]) -> Entries:
    """Walk nested lists iteratively: first the shape (along first elements), then the leaves."""
    shape: list[int] = []
    probe: Any = value
    while isinstance(probe, (list, tuple, np.ndarray)):
        if len(shape) >= MAX_DEPTH:
            raise AnswerError(f"the answer is nested more than {MAX_DEPTH} levels deep")
        if len(probe) == 0:
            raise AnswerError("the answer contains an empty list")
        if len(probe) > MAX_ENTRIES:
            raise AnswerError(f"a list has more than {MAX_ENTRIES} entries")
        shape.append(len(probe))
        probe = probe[0]
    if math.prod(shape) > MAX_ENTRIES:
        raise AnswerError(f"the answer has more than {MAX_ENTRIES} entries")
    items: list[sp.Expr] = []
    sources: list[str | None] = []
    budget = [MAX_TEXT]
    stack: list[tuple[Any, int, int]] = [(iter(value), 0, len(value))]
    while stack:
        iterator, depth, _ = stack[-1]
        entry = next(iterator, _END)
        if entry is _END:
            stack.pop()
            continue
        if depth + 1 < len(shape):
            if not isinstance(entry, (list, tuple, np.ndarray)) or len(entry) != shape[depth + 1]:
                raise AnswerError(f"ragged list: every list at depth {depth + 1} must have "
                                  f"{shape[depth + 1]} entries (the shape is {tuple(shape)})")
            stack.append((iter(entry), depth + 1, len(entry)))
        elif isinstance(entry, (list, tuple, np.ndarray)):
            raise AnswerError(f"ragged list: found a list where a value was expected "
                              f"(the shape is {tuple(shape)})")
        else:
            item, source = _leaf(entry, shapes, declared, budget, position=len(items))
            items.append(item)
            sources.append(source)
    return Entries(tuple(shape), tuple(items), tuple(sources))


def _leaf(value: Any, shapes: Mapping[str, tuple[int, ...]], declared: Mapping[str, sp.Symbol],
          budget: list[int], position: int | None = None) -> tuple[sp.Expr, str | None]:
    """One entry as a SymPy scalar (and its text when typed as a string)."""
    where = "" if position is None else f"entry {position + 1}: "
    if isinstance(value, (bool, np.bool_)) or value is None:
        raise AnswerError(f"{where}{value!r} is not a number")
    if isinstance(value, str):
        budget[0] -= len(value)
        if budget[0] < 0:
            raise AnswerError("the answer's text is too long")
        try:
            parsed = _parse(value, shapes)
        except AnswerError as error:
            raise AnswerError(f"{where}{error}") from None
        if isinstance(parsed, sp.NDimArray):
            raise AnswerError(f"{where}an entry must be a single value, not a list or a whole "
                              "vector/matrix")
        return parsed, value
    if isinstance(value, (int, np.integer)):
        number = int(value)
        if number.bit_length() > MAX_INT_BITS:
            raise AnswerError(f"{where}the number is too large")
        return sp.Integer(number), None
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(float(value)):
            raise AnswerError(f"{where}the number is not finite")
        return sp.Rational(repr(float(value))), None
    if isinstance(value, Fraction):
        if value.numerator.bit_length() + value.denominator.bit_length() > 2 * MAX_INT_BITS:
            raise AnswerError(f"{where}the number is too large")
        return sp.Rational(value.numerator, value.denominator), None
    if isinstance(value, sp.Basic):
        try:
            return _allowed(value, declared), None
        except AnswerError as error:
            raise AnswerError(f"{where}{error}") from None
    raise AnswerError(f"{where}an entry of type {type(value).__name__} is not a number, "
                      "text or SymPy expression")
