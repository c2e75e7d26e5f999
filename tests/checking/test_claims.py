"""Claims at the edges: hostile SymPy objects, undefined typed values, long floats, E, constants.

Every claim form ends in a report or a clear ValueError/ParseError, never a raw exception
from inside NumPy/SymPy and never code execution.
"""

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings

import diffcheck as dc
from diffcheck import exercises
from tests.property.test_parsing_fuzz import AT as FUZZ_POINT
from tests.property.test_parsing_fuzz import WELL_FORMED, python_value

a = dc.scalar("a")
A = sp.Symbol("a")
AT = {"a": 1.5}


# ----- item 8: typed claims the parser accepts but whose value is undefined or huge -----
@pytest.mark.parametrize("typed", [
    "exp(10**20)", "1e308*10", "a/(a-a)", "tan(pi/2)", "log(a-a)", "sqrt(999999999999989*18447)",
])
def test_typed_claim_with_undefined_or_huge_value_is_a_failing_report(typed):
    report = dc.check_gradient(a**2, a, typed, at=AT)
    assert not report.ok
    (mismatch,) = report.mismatches
    assert mismatch.values["sympy"] == pytest.approx(3.0)
    assert mismatch.values["claimed"] != pytest.approx(3.0)


def test_typed_division_by_zero_shows_the_non_finite_claimed_value():
    report = dc.check_gradient(a**2, a, "a/(a-a)", at=AT)
    assert math.isinf(report.mismatches[0].values["claimed"])
    assert "inf" in str(report)


# ----- item 12: SymPy claims are untrusted input -----
def test_sympy_function_named_with_code_never_runs(tmp_path):
    sentinel = tmp_path / "pwned"
    evil = sp.Function(f"__import__('os').system('touch {sentinel}') or abs")
    with pytest.raises(ValueError, match="undefined function"):
        dc.check_gradient(a**2, a, 2 * evil(A), at=AT)
    with pytest.raises(ValueError, match="undefined function"):
        dc.check_gradient(dc.vector("x", 2) * a, a, [evil(A), A], at={"a": 1.5, "x": np.ones(2)})
    assert not sentinel.exists()


def test_string_inside_a_sympy_list_is_never_sympified(tmp_path):
    sentinel = tmp_path / "pwned"
    x = dc.vector("x", 2)
    claim = [sp.Symbol("x[0]"), f"__import__('os').system('touch {sentinel}')"]
    with pytest.raises(ValueError, match="mixes SymPy objects and strings"):
        dc.check_gradient(dc.sum(x**2) / 2, x, claim, at={"x": np.ones(2)})
    assert not sentinel.exists()


def _nested(depth: int) -> sp.Expr:
    value = A
    for _ in range(depth):
        value = sp.sin(value, evaluate=False)
    return value


K = sp.Symbol("k", integer=True)
HOSTILE_OBJECTS = {
    "Integral": sp.Integral(A, A),
    "zoo": sp.zoo,
    "zoo times a": sp.zoo * A,
    "oo": sp.oo,
    "nan": sp.nan,
    "Lambda": sp.Lambda(A, 2 * A),
    "5000-term Add": sp.Add(*[i * A**2 for i in range(1, 5001)], evaluate=False),
    "5000 equal terms": sp.Add(*[A] * 5000, evaluate=False),
    "Sum to 10**20": sp.Sum(A, (K, 1, 10**20)),
    "Derivative": sp.Derivative(A**2, A),
    "MatrixSymbol": sp.MatrixSymbol("W", 2, 2),
    "imaginary": sp.I * A,
    "And in a condition": sp.Piecewise((2 * A, sp.And(A > 0, A < 9)), (0, True)),
    "bare comparison": A < 1,
    "10000 nested functions": _nested(10_000),
}


@pytest.mark.parametrize("claim", list(HOSTILE_OBJECTS.values()), ids=list(HOSTILE_OBJECTS))
def test_sympy_claim_outside_the_allowlist_is_a_clear_value_error(claim):
    with pytest.raises(ValueError, match="cannot be checked|not an element") as info:
        dc.check_gradient(a**2, a, claim, at=AT)
    assert len(str(info.value)) < 600


def test_unknown_symbol_is_named_without_echoing_a_long_name():
    with pytest.raises(ValueError, match="not an element") as info:
        dc.check_gradient(a**2, a, sp.Symbol("__import__('os')" * 100), at=AT)
    assert len(str(info.value)) < 400


def test_deep_but_small_sympy_claim_is_evaluated_not_a_recursion_error():
    expected = 1.5
    for _ in range(1500):
        expected = math.sin(expected)
    deep = _nested(1500)  # under the node cap, deeper than Python's recursion limit
    report = dc.check_gradient(a**2, a, deep, at=AT)
    assert report.mismatches[0].values["claimed"] == pytest.approx(expected)


def test_diffcheck_own_symbolic_derivatives_are_valid_claims():
    x = dc.vector("x", 3)
    at = {"x": np.array([0.5, -1.0, 2.0])}
    for y in (dc.relu(x), dc.abs(x), dc.sigmoid(x), dc.tanh(x) * dc.sqrt(dc.exp(x))):
        assert dc.check_gradient(y, x, dc.symbolic_jacobian(y, x), at=at).ok
    W = dc.matrix("W", 2, 3)
    loss = dc.sum(dc.sigmoid(W @ x) ** 2)
    assert dc.check_gradient(loss, W, dc.symbolic_jacobian(loss, W)).ok


def test_sympy_claims_with_floats_piecewise_and_object_arrays():
    pw = sp.Piecewise((2 * A, A > 0), (0, True))
    assert dc.check_gradient(a**2, a, pw, at=AT).ok
    assert dc.check_gradient(a**2, a, sp.Float(3.0), at=AT).ok
    x = dc.vector("x", 2)
    claim = np.array([2 * sp.Symbol("x[0]"), 2 * sp.Symbol("x[1]")], dtype=object)
    assert dc.check_gradient(dc.sum(x**2), x, claim).ok


def test_huge_sparse_sympy_claim_is_refused_before_it_is_listed():
    with pytest.raises(dc.ShapeError, match=r"\(1000000, 1000000\)"):
        dc.check_gradient(a**2, a, sp.SparseMatrix(10**6, 10**6, {}), at=AT)


# ----- item 18: a float64 round trip is accepted -----
def test_typed_claim_accepts_a_pasted_float_repr():
    value = 0.1 + 0.2
    assert dc.check_gradient(value * a, a, repr(value), at=AT).ok
    assert dc.check_gradient(12345678901234567 * a, a, "12345678901234567", at=AT).ok


def test_typed_claim_still_bounds_the_digits():
    with pytest.raises(dc.ParseError, match="more than 17 significant digits"):
        dc.check_gradient(a**2, a, "1" * 30, at=AT)


# ----- item 19: E is Euler's number, unless a variable is named E -----
def test_E_is_eulers_number():
    assert dc.check_gradient(math.e * a, a, "E").ok
    assert dc.check_gradient(dc.exp(a), a, "E**a").ok


def test_a_variable_named_E_wins_over_the_constant():
    E = dc.scalar("E")
    assert dc.check_gradient(E * a, a, "E", at={"E": 1.0, "a": 0.5}).ok  # not 2.718...
    assert dc.check_gradient(E * a, a, "E").ok


def test_printed_circle_solution_parses_back():
    exercise = exercises.generate("circle", seed=0)
    text = str(exercise.solution)
    assert "E" in text
    assert exercise.grade(text).correct


# ----- item 20: an array claim of a constant derivative holds at every point -----
def test_array_claim_of_a_constant_derivative_needs_no_point():
    x = dc.vector("x", 3)
    M = np.arange(6.0).reshape(2, 3) - 2
    assert dc.check_gradient(dc.const(M) @ x, x, M).ok
    two_points = [{"x": np.ones(3)}, {"x": np.zeros(3)}]
    assert dc.check_gradient(dc.const(M) @ x + 1, x, M.tolist(), at=two_points).ok
    wrong = dc.check_gradient(dc.const(M) @ x, x, M + 1)
    assert not wrong.ok and len({m.point for m in wrong.mismatches}) > 1


def test_array_claim_of_a_varying_derivative_still_needs_its_point():
    x = dc.vector("x", 3)
    with pytest.raises(ValueError, match="pass that point as at=.*depends on the point"):
        dc.check_gradient(dc.sum(x**2), x, np.ones(3))
    W = dc.matrix("W", 2, 3)
    with pytest.raises(ValueError, match="depends on the point"):
        dc.check_gradient(W @ x, x, np.ones((2, 3)))


def test_array_claim_on_a_large_problem_is_refused_with_the_reason():
    z = dc.vector("z", 100)
    M = np.ones((100, 100))
    with pytest.raises(ValueError, match="pass that point as at=.*too large"):
        dc.check_gradient(dc.const(M) @ z, z, M)


def test_ragged_or_non_numeric_array_claim_is_a_clear_value_error():
    x = dc.vector("x", 2)
    with pytest.raises(ValueError, match="rectangular array of numbers"):
        dc.check_gradient(dc.sum(x), x, [[1.0], [1.0, 2.0]], at={"x": np.ones(2)})
    with pytest.raises(ValueError, match="rectangular array of numbers"):
        dc.check_gradient(a**2, a, 10**400, at=AT)


# ----- the walker evaluates typed claims as Python would -----
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(WELL_FORMED)
def test_typed_claims_evaluate_like_python(text):
    scalars = dc.scalar("a") * dc.scalar("b") + dc.sum(dc.vector("x", 3)) + dc.sum(dc.matrix("W", 2, 3))
    expected = python_value(text)
    if expected is None or not math.isfinite(expected):
        return
    report = dc.check_gradient(scalars, "a", text, at=FUZZ_POINT, methods=("tape",), rtol=0, atol=0)
    claimed = report.mismatches[0].values["claimed"] if report.mismatches else FUZZ_POINT["b"]
    assert claimed == pytest.approx(expected, rel=1e-9, abs=1e-9)
