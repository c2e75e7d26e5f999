"""Matrix notation in the safe parser: each construct against NumPy, the decisions on
ambiguous spellings, hostile input, and messages that name both shapes and the position."""

from __future__ import annotations

import ast
import inspect
import re
import time

import numpy as np
import pytest
import sympy as sp

from diffcheck.errors import ParseError
from diffcheck.exercises.numeric import evaluate
from diffcheck.parsing import Limits, functions, matrix, names, parse, values
from diffcheck.symbols import element_symbol, indices
from tests.parsing.test_parsing import FAST, no_code_execution

SHAPES = {"W": (2, 3), "x": (3,), "t": (2,), "y": (2,), "A": (2, 2), "B": (3, 3), "a": (),
          "z": (3,), "M": (2, 3, 2)}
RNG = np.random.default_rng(7)
VALUES = {name: RNG.uniform(-1.5, 1.5, shape) for name, shape in SHAPES.items()}
VALUES["A"] = VALUES["A"] + 3 * np.eye(2)  # well away from singular
VALUES["B"] = VALUES["B"] + 4 * np.eye(3)
W, x, t, y, A, B, a, z, M = (VALUES[n] for n in "W x t y A B a z M".split())


def numbers(parsed) -> np.ndarray:
    """The parsed result at VALUES, through the grader's NumPy walker (no SymPy evaluation)."""
    items = list(sp.flatten(parsed)) if isinstance(parsed, sp.NDimArray) else [parsed]
    point = {element_symbol(n, idx): np.array([float(np.asarray(VALUES[n])[idx])])
             for n, shape in SHAPES.items() for idx in indices(shape)}
    shape = tuple(parsed.shape) if isinstance(parsed, sp.NDimArray) else ()
    return evaluate(items, point, 1)[:, 0].reshape(shape)


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


CONSTRUCTS = [
    ("W @ x", W @ x),
    ("W.T @ (y - t)", W.T @ (y - t)),
    ("W^T @ (y - t)", W.T @ (y - t)),
    ("Wᵀ @ (y - t)", W.T @ (y - t)),
    ("W⊤ @ (y - t)", W.T @ (y - t)),
    ("transpose(W) @ (y - t)", W.T @ (y - t)),
    ("(A + A^T) @ t", (A + A.T) @ t),
    ("x @ W.T", x @ W.T),
    ("x @ x", x @ x),
    ("x.T @ x", x @ x),
    ("t @ A @ t", t @ A @ t),
    ("A @ A", A @ A),
    ("W.T @ W", W.T @ W),
    ("A * A", A * A),
    ("x * (1 - x)", x * (1 - x)),
    ("σ(z) * (1 - σ(z))", sigmoid(z) * (1 - sigmoid(z))),
    ("tanh(W @ x) * t", np.tanh(W @ x) * t),
    ("tr(A)", np.trace(A)),
    ("trace(A @ A)", np.trace(A @ A)),
    ("det(A)", np.linalg.det(A)),
    ("det(B)", np.linalg.det(B)),
    ("inv(A)", np.linalg.inv(A)),
    ("inv(B)", np.linalg.inv(B)),
    ("A^-1", np.linalg.inv(A)),
    ("A⁻¹ @ t", np.linalg.inv(A) @ t),
    ("inv(A).T", np.linalg.inv(A).T),
    ("A**-1", A**-1.0),
    ("diag(x)", np.diag(x)),
    ("diag(B)", np.diag(B)),
    ("diag(σ(z)) @ W.T", np.diag(sigmoid(z)) @ W.T),
    ("outer(t, x)", np.outer(t, x)),
    ("(W @ x - t) @ x.T", np.outer(W @ x - t, x)),
    ("(W @ x - t) @ x^T", np.outer(W @ x - t, x)),
    ("x.T @ W.T", x @ W.T),
    ("I + A", np.eye(2) + A),
    ("A - 2*I", A - 2 * np.eye(2)),
    ("I @ W", W),
    ("W @ I", W),
    ("I @ t", t),
    ("tr(I + A)", 2 + np.trace(A)),
    ("inv(I + A) @ t", np.linalg.inv(np.eye(2) + A) @ t),
    ("eye(3) @ x", x),
    ("eye(2)", np.eye(2)),
    ("sum(x)", np.sum(x)),
    ("sum(W)", np.sum(W)),
    ("sum(W, 0)", np.sum(W, 0)),
    ("sum(W, axis=1)", np.sum(W, axis=1)),
    ("sum(W, -1)", np.sum(W, -1)),
    ("sum(M, 1)", np.sum(M, 1)),
    ("sum(M, axis=0)", np.sum(M, axis=0)),
    ("mean(W, axis=0)", np.mean(W, axis=0)),
    ("mean(x)", np.mean(x)),
    ("sum((W @ x - t)**2) / 2", np.sum((W @ x - t) ** 2) / 2),
    ("M.T", M.T),
    ("transpose(M)", np.transpose(M)),
    ("x^2", x**2),
    ("W**2", W**2),
    ("a^T * x", a * x),
    ("Matrix([[1, a], [a, 2]])", np.array([[1, a], [a, 2]])),
    ("Matrix([a, 1])", np.array([[a], [1]])),
    ("Matrix([[W[0,0]*x[0] + W[0,1]*x[1] + W[0,2]*x[2]], [W[1,0]*x[0] + W[1,1]*x[1] + "
     "W[1,2]*x[2]]])", (W @ x).reshape(2, 1)),
    ("E**a + exp(a) + Abs(a) + Max(a, 0) + Min(a, 0)", 2 * np.exp(a) + abs(a)
     + max(a, 0) + min(a, 0)),
    ("[x, 2*x] @ x", np.array([x, 2 * x]) @ x),
]


@pytest.mark.parametrize(("text", "expected"), CONSTRUCTS, ids=[t for t, _ in CONSTRUCTS])
def test_construct_matches_numpy(text, expected):
    with no_code_execution() as calls:
        start = time.process_time()
        parsed = parse(text, SHAPES)
        seconds = time.process_time() - start
    assert calls == []
    assert seconds < FAST
    assert np.shape(numbers(parsed)) == np.shape(expected)
    np.testing.assert_allclose(numbers(parsed), expected, rtol=1e-12, atol=1e-12)


def test_the_oracle_can_fail():
    """``numbers`` really evaluates: a transposed product is not the product."""
    assert not np.allclose(numbers(parse("A.T @ t", SHAPES)), A @ t)


# ----- rows, columns and the ambiguous spellings -----

def test_a_transposed_vector_is_a_row_only_for_at():
    """``r @ x.T`` is the outer product (paper); ``x @ x`` and ``x.T @ x`` the inner one."""
    assert parse("t @ x.T", SHAPES).shape == (2, 3)
    assert isinstance(parse("x.T @ x", SHAPES), sp.Expr)
    assert parse("x.T", SHAPES).shape == (3,)  # a row reads back as a plain vector
    assert parse("x.T.T @ x.T", SHAPES).shape == (3, 3)


@pytest.mark.parametrize(("text", "reason"), [
    ("W @ x.T", "the right operand is a row vector"),
    ("x.T @ x.T", "cannot follow a row vector"),
    ("x * x.T", "a row vector \\(transposed\\) and a column vector do not match for '\\*'"),
    ("x.T + z", "row vector"),
])
def test_row_and_column_do_not_mix(text, reason):
    with pytest.raises(ParseError, match=reason):
        parse(text, SHAPES)


def test_caret_is_maths_and_double_star_is_numpy_on_matrices():
    """``A^-1`` inverts, ``A**-1`` takes reciprocals; ``A^2`` is refused as ambiguous."""
    np.testing.assert_allclose(numbers(parse("A^-1", SHAPES)), np.linalg.inv(A))
    np.testing.assert_allclose(numbers(parse("A**-1", SHAPES)), 1 / A)
    with pytest.raises(ParseError, match="ambiguous: write A @ A .* or A\\*\\*2"):
        parse("A^2", SHAPES)
    with pytest.raises(ParseError, match="ambiguous"):
        parse("A²", SHAPES)
    np.testing.assert_allclose(numbers(parse("A**2", SHAPES)), A**2)
    np.testing.assert_allclose(numbers(parse("x^-1", SHAPES)), 1 / x)  # vectors: elementwise


def test_t_is_the_transpose_only_when_undeclared():
    with pytest.raises(ParseError, match="'\\*\\*T' is not a transpose: write W.T or W\\^T"):
        parse("W**T", SHAPES)
    with pytest.raises(ParseError, match="'T' is a declared variable"):
        parse("W^T", {**SHAPES, "T": ()})
    assert parse("a^T", {"a": (), "T": ()}) == element_symbol("a") ** element_symbol("T")
    with pytest.raises(ParseError, match="for the transpose write W.T"):
        parse("W + T", SHAPES)


def test_identity_only_among_arrays_and_when_not_declared():
    with pytest.raises(ParseError, match="unknown name 'I'"):
        parse("I + a", {"a": ()})
    assert parse("I", {"I": (2, 2)}).shape == (2, 2)  # a declared I is the variable
    assert parse("I[0,1]", {"I": (2, 2)}) == element_symbol("I", (0, 1))
    with pytest.raises(ParseError, match="size of the identity 'I' is not known"):
        parse("2*I", SHAPES)
    with pytest.raises(ParseError, match="'I' is square; it does not match shape \\(2, 3\\)"):
        parse("I + W", SHAPES)
    with pytest.raises(ParseError, match="not known inside a list"):
        parse("[I, A]", SHAPES)


def test_ŷ_reads_as_yhat():
    assert parse("ŷ - t", {"yhat": (2,), "t": (2,)}).shape == (2,)
    with pytest.raises(ParseError, match="ŷ is read as yhat"):
        parse("ŷ", SHAPES)


# ----- messages: both shapes, and where -----

@pytest.mark.parametrize(("text", "shapes", "where"), [
    ("W @ t", "\\(2, 3\\) and \\(2,\\)", 2),
    ("x @ W", "\\(3,\\) and \\(2, 3\\)", 2),
    ("(A + A^T) @ x", "\\(2, 2\\) and \\(3,\\)", 10),
    ("W.T @ (y - x)", None, 9),
    ("t + x", "\\(2,\\) and \\(3,\\)", 2),
    ("t + t - x * 2", "\\(2,\\) and \\(3,\\)", 6),
])
def test_shape_errors_name_both_shapes_and_the_operator(text, shapes, where):
    with pytest.raises(ParseError) as info:
        parse(text, SHAPES)
    if shapes is not None:
        assert re.search(shapes, str(info.value)), str(info.value)
    assert "(2,)" in str(info.value) or "(3,)" in str(info.value)
    assert info.value.position == where, str(info.value)
    assert text[where] in "@+-*"


@pytest.mark.parametrize(("text", "reason"), [
    ("inv(W)", "the inverse needs a square matrix, got shape \\(2, 3\\); for elementwise"),
    ("W^-1", "needs a square matrix, got shape \\(2, 3\\)"),
    ("det(x)", "det\\(\\) needs a square matrix, got shape \\(3,\\)"),
    ("tr(W)", "tr\\(\\) needs a square matrix"),
    ("inv([[1, 2], [2, 4]])", "singular"),
    ("outer(W, x)", "outer\\(\\) takes two vectors, got shapes \\(2, 3\\) and \\(3,\\)"),
    ("diag(a)", "diag\\(\\) takes a vector or a matrix, got shape \\(\\)"),
    ("Matrix(a)", "Matrix\\(\\) takes a list"),
    ("a @ x", "'@' multiplies vectors and matrices"),
    ("M @ M", "more than 2 axes"),
    ("sum(x, 1)", "axis must be a whole number from -1 to 0 for an array with 1 axis"),
    ("sum(x, a)", "axis must be a whole number"),
    ("sum(axis=0)", "takes the array first"),
    ("sum(x, 0, 1)", "takes 1 or 2 arguments, got 3"),
    ("eye(a)", "positive whole number"),
    ("eye(0)", "positive whole number"),
    ("transpose(W, x)", "takes 1 argument, got 2"),
    ("transpose", "must be called"),
])
def test_matrix_function_errors(text, reason):
    with pytest.raises(ParseError, match=reason):
        parse(text, SHAPES)


# ----- hostile input -----

HOSTILE = [
    ("W.__class__", "attribute access is not allowed \\(only '.T'"),
    ("W.T.__class__", "attribute access"),
    ("x.real", "attribute access"),
    ("W.T.T.mro()", "attribute access"),
    ("(W @ x).__class__", "attribute access"),
    ("__import__('os').system('id') @ W", "strings are not allowed"),
    ("__import__(W)", "names starting with '_'"),
    ("W.T(x)", "attribute access"),
    ("lambda: W @ x", "lambda"),
    ("sum(x, axis=__import__)", "names starting with '_'"),
    ("sum(x, key=1)", "keyword arguments are not allowed"),
    ("max(x, axis=0)", "keyword arguments are not allowed"),
    ("sum(x, **{})", "keyword arguments are not allowed"),
    ("inv(A)**99", "exponent 99 is larger than 20"),
    ("A^T^T^T", "power towers"),
    ("W @ x ** 9 ** 9", "power towers"),
    ("eye(10**20)", "array expression is too large"),
    ("eye(99999)", "array expression is too large"),
    ("transpose(" * 31 + "W" + ")" * 31, "nested deeper than 30"),
    ("A" + "@A" * 60, "expands to more than"),
    ("inv(inv(inv(inv(inv(inv(A))))))", "expands to more than"),
    ("-" * 100 + "I + A", "not known this deep"),
    ("I" + "@I" * 100 + "@A", "not known this deep"),
    ("x @ [" + ",".join(["x"] * 100) + "]", "do not match for '@'"),
    ("inv(Matrix(" + "[" * 25 + "a" + "]" * 25 + "))", "Matrix\\(\\) takes a list"),
]


@pytest.mark.parametrize(("text", "reason"), HOSTILE, ids=[repr(t)[:40] for t, _ in HOSTILE])
def test_hostile_matrix_input_is_rejected_fast(text, reason):
    start = time.process_time()
    with no_code_execution() as calls, pytest.raises(ParseError, match=reason) as info:
        parse(text, SHAPES)
    assert time.process_time() - start < FAST
    assert calls == []
    assert info.value.position is None or 0 <= info.value.position <= len(text)


def test_large_determinants_are_capped_by_the_element_budget():
    start = time.process_time()
    with pytest.raises(ParseError, match="too large"):
        parse("det(P)", {"P": (12, 12)})
    with pytest.raises(ParseError, match="over 10 elements"):
        parse("W @ W.T", SHAPES, limits=Limits(max_elements=10))
    assert time.process_time() - start < FAST


def test_new_modules_call_no_evaluator():
    """Statically, as for the original modules: no eval/sympify/Matrix/simplify calls."""
    banned = {"eval", "exec", "compile", "sympify", "parse_expr", "lambdify", "S",
              "Matrix", "parse_latex", "__import__", "simplify", "expand"}
    for module in (matrix, values, functions, names):
        tree = ast.parse(inspect.getsource(module))
        called = {n.func.id if isinstance(n.func, ast.Name) else n.func.attr
                  for n in ast.walk(tree)
                  if isinstance(n, ast.Call) and isinstance(n.func, ast.Name | ast.Attribute)
                  and ast.unparse(n.func) != "re.compile"}
        assert called & banned == set(), module.__name__
