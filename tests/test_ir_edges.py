"""NumPy meets an expression: operators with an array on the left build nodes; every other
NumPy function is a TypeError naming it and the diffcheck equivalent, never an object array."""

import numpy as np
import pytest

import diffcheck as dc

x = dc.vector("x", 3)
A = dc.matrix("A", 2, 3)
a = dc.scalar("a")
X_VALUE = np.array([0.5, 1.5, 2.0])
A_VALUE = np.arange(1.0, 7.0).reshape(2, 3)


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: np.multiply.outer(X_VALUE, x), r"np\.multiply\.outer .*no equivalent"),
        (lambda: np.fft.fft(x), r"np\.fft\.fft .*no equivalent"),
        (lambda: np.ones(3) // x, r"np\.floor_divide .*no equivalent"),
        (lambda: np.ones(3) > x, r"np\.greater .*no equivalent"),
        (lambda: np.ones(3) == x, r"np\.equal .*no equivalent"),
    ],
)
def test_numpy_functions_without_a_twin_are_refused_by_name(call, words):
    """Functions with a twin dispatch (tests/test_numpy_dispatch.py); the rest say so."""
    with pytest.raises(TypeError, match=words):
        call()


@pytest.mark.parametrize(
    "call",
    [lambda: np.asarray(x), lambda: np.array([x, x]), lambda: np.array([a, 1.0], dtype=object)],
)
def test_no_object_array_is_ever_made_of_expressions(call):
    with pytest.raises(TypeError, match=r"not an array of numbers.*dc\.evaluate"):
        call()


def test_shape_queries_answer_with_the_expression_shape():
    assert np.shape(A) == (2, 3)
    assert np.ndim(A @ x) == 1
    assert np.size(A) == 6


@pytest.mark.parametrize(
    "build, numpy_value",
    [
        (lambda: np.ones(3) * x, lambda: np.ones(3) * X_VALUE),
        (lambda: np.ones(3) + x, lambda: np.ones(3) + X_VALUE),
        (lambda: np.ones(3) - x, lambda: np.ones(3) - X_VALUE),
        (lambda: np.ones(3) / x, lambda: np.ones(3) / X_VALUE),
        (lambda: np.full(3, 2.0) ** x, lambda: 2.0**X_VALUE),
        (lambda: A_VALUE @ x, lambda: A_VALUE @ X_VALUE),
        (lambda: np.ones(2) @ A, lambda: np.ones(2) @ A_VALUE),
        (lambda: 2.0 * x, lambda: 2.0 * X_VALUE),
        (lambda: np.float64(2.0) * x, lambda: 2.0 * X_VALUE),
        (lambda: np.int64(3) - x, lambda: 3.0 - X_VALUE),
        (lambda: np.float64(2.0) ** x, lambda: 2.0**X_VALUE),
        (lambda: np.float32(0.5) / x, lambda: 0.5 / X_VALUE),
        (lambda: np.add(np.ones(3), x), lambda: 1.0 + X_VALUE),
        (lambda: np.negative(x), lambda: -X_VALUE),
        (lambda: np.matmul(A_VALUE, x), lambda: A_VALUE @ X_VALUE),
    ],
)
def test_operators_with_numpy_on_the_left_build_the_same_expression(build, numpy_value):
    expr = build()
    assert isinstance(expr, dc.Expr)
    at = {"A": A_VALUE} if expr.inputs[-1] is A else {"x": X_VALUE}
    np.testing.assert_allclose(dc.evaluate(expr, at), numpy_value(), rtol=1e-15)


def test_in_place_arithmetic_on_an_array_is_refused_with_the_fix():
    total = np.ones(3)
    with pytest.raises(TypeError, match=r"np\.add cannot store a diffcheck expression.*a = a \+ e"):
        total += x
    np.testing.assert_array_equal(total, np.ones(3))


def test_numpy_keywords_on_operator_ufuncs_are_refused():
    with pytest.raises(TypeError, match=r"np\.multiply .*no keyword arguments, got dtype; use x \* y"):
        np.multiply(np.ones(3), x, dtype=np.float64)
