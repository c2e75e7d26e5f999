"""Fuzzing the safe parser: it raises nothing but ParseError, and parses what it should."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diffcheck.errors import ParseError
from diffcheck.parsing import parse
from diffcheck.symbols import element_symbol, indices

VARS = {"a": (), "b": (), "x": (3,), "W": (2, 3)}
DECLARED = {element_symbol(name, idx) for name, shape in VARS.items() for idx in indices(shape)}
FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
# Hostile text must not make Python's parser emit warnings (e.g. SyntaxWarning) either.
pytestmark = pytest.mark.filterwarnings("error::SyntaxWarning")

TOKENS = [
    # names: declared, functions, constants, and things that must be refused
    "a", "b", "x", "W", "exp", "log", "sqrt", "sigmoid", "relu", "max", "min", "abs", "pi",
    "e", "eval", "__import__", "__class__", "diff", "lambda", "if", "else", "for", "in",
    "not", "and", "True", "None", "oo", "I", "S", "Symbol",
    # numbers
    "0", "1", "2", "20", "21", "0.5", "1e3", "1e309", "3j", "0x1", "1234567890123456", ".",
    # operators and punctuation
    "+", "-", "*", "/", "**", "^", "@", "%", "//", "<", "==", "=", ":=", ":", ",", ";", "#",
    "\\", "'", '"', "~", "!", "?", "$", "&", "|",
    # brackets
    "(", ")", "[", "]", "{", "}",
    # whitespace and unicode junk
    " ", "\t", "\n", "σ", "·", "×", "−", "²", "⁻", "¹", "π", "ｅ", "ｖ", "ａ", "ｌ", "＿", "а",
    "\u202e", "\u200b", "\u00a0", "①", "₁", "ﬁ", "𝑥", "\x00", "\ud7ff", "\U0010ffff",
]


def parses_or_refuses(text: str) -> None:
    """The only acceptable outcomes: a SymPy result, or a ParseError with a sane position."""
    try:
        result = parse(text, VARS)
    except ParseError as exc:
        assert exc.position is None or 0 <= exc.position <= len(text)
        assert str(exc)
        # The catch-all for exceptions escaping SymPy is a backstop; fuzzing must not reach it.
        assert "could not be built" not in str(exc), str(exc)
        return
    assert isinstance(result, sp.Expr | sp.NDimArray)
    symbols = result.free_symbols
    assert symbols <= DECLARED, symbols - DECLARED


@FUZZ
@given(st.text(max_size=200))
def test_arbitrary_text_only_raises_parse_error(text):
    parses_or_refuses(text)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
def test_token_soup_only_raises_parse_error(text):
    parses_or_refuses(text)


# ----- well-formed expressions, with a numeric oracle -----

LEAVES = st.sampled_from(["a", "b", "x[0]", "x[2]", "W[1,2]", "W[0][1]", "2", "3", "0.5",
                          "1.25", "pi", "e"])


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(children, st.sampled_from(["+", "-", "*"]), children).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})")
    divide = children.map(lambda c: f"({c} / (b*b + 1))")
    power = st.tuples(children, st.sampled_from(["2", "3", "^2"])).map(
        lambda t: f"({t[0]}){t[1]}" if t[1].startswith("^") else f"({t[0]})**{t[1]}")
    unary = st.tuples(st.sampled_from(["exp", "sigmoid", "relu", "tanh", "abs", "sin", "-"]),
                      children).map(lambda t: f"{t[0]}({t[1]})")
    pair = st.tuples(st.sampled_from(["max", "min"]), children, children).map(
        lambda t: f"{t[0]}({t[1]}, {t[2]})")
    return st.one_of(binary, divide, power, unary, pair)


WELL_FORMED = st.recursive(LEAVES, _combine, max_leaves=10)

AT = {"a": 0.37, "b": -1.21, "x": np.array([0.11, -0.52, 0.83]),
      "W": np.array([[0.2, -0.3, 0.4], [-0.5, 0.6, 0.7]])}
PYTHON = {"exp": math.exp, "sigmoid": lambda t: 1 / (1 + math.exp(-t)),
          "relu": lambda t: max(t, 0.0), "tanh": math.tanh, "abs": abs, "sin": math.sin,
          "max": max, "min": min, "pi": math.pi, "e": math.e, **AT}


def python_value(text: str) -> float | None:
    """Our own generated text evaluated by Python, as an independent oracle."""
    try:
        return float(eval(text.replace("^", "**"), {"__builtins__": {}}, PYTHON))  # noqa: S307
    except (OverflowError, ZeroDivisionError):
        return None


POINT = {element_symbol(name, idx): float(np.asarray(AT[name])[idx])
         for name, shape in VARS.items() for idx in indices(shape)}


def sympy_value(expr: sp.Expr) -> float:
    """The parsed expression at AT, through NumPy (SymPy's own evaluation of an unevaluated
    ``Max(2, sin(pi)*a - a*sin(pi))`` can fail to compare an exact zero)."""
    return float(sp.lambdify(list(POINT), expr, "numpy")(*POINT.values()))


@FUZZ
@given(WELL_FORMED)
def test_well_formed_expressions_parse_to_declared_symbols(text):
    result = parse(text, VARS)
    assert isinstance(result, sp.Expr)
    assert result.free_symbols <= DECLARED
    expected = python_value(text)
    if expected is not None and math.isfinite(expected) and abs(expected) < 1e12:
        assert math.isclose(sympy_value(result), expected, rel_tol=1e-9, abs_tol=1e-9), text


@FUZZ
@given(WELL_FORMED, st.integers(min_value=0, max_value=10**6), st.sampled_from(TOKENS))
def test_well_formed_with_one_junk_token_only_raises_parse_error(text, where, token):
    where %= len(text) + 1
    parses_or_refuses(text[:where] + token + text[where:])


@FUZZ
@given(st.lists(WELL_FORMED, min_size=1, max_size=4))
def test_lists_of_expressions_become_arrays(items):
    result = parse("[" + ", ".join(items) + "]", VARS)
    assert isinstance(result, sp.ImmutableDenseNDimArray)
    assert result.shape == (len(items),)
    assert result.free_symbols <= DECLARED
