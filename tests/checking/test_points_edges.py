"""Honest outcomes at the edges of a check's points and sizes.

Non-finite points, empty or non-positive requests, a domain that leaves fewer random
points than asked, float16 points, and requests too large to finish: each ends in a
clear ValueError or a report that says what happened, never a silent pass.
"""

from __future__ import annotations

import numpy as np
import pytest

import diffcheck as dc
from diffcheck.checking import points

a = dc.scalar("a")


# ----- item 2: non-finite points -----


@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
def test_a_non_finite_value_in_at_is_refused_by_every_check(value):
    with pytest.raises(ValueError, match=r"'a' is not finite: a = (-?inf|nan)"):
        dc.check(dc.exp(a), a, {"a": value})
    with pytest.raises(ValueError, match="not finite"):
        dc.check_gradient(dc.exp(a), a, "exp(a)", {"a": value})
    b = 2.0 * a
    with pytest.raises(ValueError, match="not finite"):
        dc.check_chain(dc.exp(b), b, a, {"a": value})


def test_the_refusal_names_the_element_and_the_point():
    x = dc.vector("x", 3)
    with pytest.raises(ValueError, match=r"'x' at point 1 is not finite: x\[2\] = nan"):
        dc.check(dc.sin(x), x, [{"x": [0.1, 0.2, 0.3]}, {"x": [0.1, 0.2, np.nan]}])


def test_an_output_that_is_not_finite_fails_check():
    report = dc.check(dc.exp(a), a, {"a": 1000.0})  # exp overflows: every method says inf
    assert not report.ok
    assert any("y is not finite at point 0 (y = inf)" in e for e in report.errors)
    assert "not finite" in str(report)


def test_an_output_that_is_not_finite_fails_check_gradient_and_check_chain():
    report = dc.check_gradient(dc.exp(a), a, "exp(a)", {"a": 1000.0})
    assert not report.ok and any("not finite" in e for e in report.errors)
    b = 2.0 * a
    report = dc.check_chain(dc.exp(b), b, a, {"a": 500.0})
    assert not report.ok and any("not finite" in e for e in report.errors)


def test_a_vector_output_names_its_non_finite_elements():
    x = dc.vector("x", 3)
    report = dc.check(dc.exp(x), x, {"x": [1.0, 1000.0, 2.0]})
    assert not report.ok
    assert any("y[1] = inf" in e for e in report.errors)


# ----- item 3: an empty list of points -----


def test_an_empty_list_of_points_is_refused():
    with pytest.raises(ValueError, match="at is an empty list"):
        dc.check(dc.exp(a), a, [])
    with pytest.raises(ValueError, match="at is an empty list"):
        dc.check_gradient(dc.exp(a), a, "exp(a)", ())
    b = 2.0 * a
    with pytest.raises(ValueError, match="at is an empty list"):
        dc.check_chain(dc.exp(b), b, a, [])


# ----- item 13: n_points -----


@pytest.mark.parametrize("n", [0, -1, 2.5, True])
def test_n_points_must_be_a_positive_integer(n):
    with pytest.raises(ValueError, match="n_points must be a positive integer"):
        dc.check(dc.sin(a), a, n_points=n)
    with pytest.raises(ValueError, match="n_points must be a positive integer"):
        dc.check_gradient(dc.sin(a), a, "cos(a)", n_points=n)


def test_the_cap_on_random_points_is_said_in_the_report(monkeypatch):
    monkeypatch.setattr(points, "MAX_POINTS", 4)
    report = dc.check(dc.sin(a), a, n_points=6)
    assert report.ok
    assert len(report.points) == 4
    assert any("n_points=6 is more than the 4 random points" in n for n in report.notes)


def test_the_default_cap_allows_two_hundred_points():
    report = dc.check(dc.sin(a), a, n_points=201, methods=("tape", "numeric"))
    assert len(report.points) == 200
    assert any("n_points=201" in n for n in report.notes)


# ----- item 14: fewer random points inside the domain than asked -----


def test_a_domain_that_leaves_fewer_points_is_said_in_the_report():
    p = dc.vector("p", 8)
    loss = dc.nn.binary_cross_entropy(p, np.full(8, 0.5))  # every p[i] in (0, 1)
    report = dc.check(loss, p, n_points=3)
    found = len(report.points)
    assert 1 <= found < 3
    assert any(f"only {found} of the 3 requested random points" in n for n in report.notes)
    assert "only" in str(report)


def test_no_note_when_every_requested_point_is_found():
    report = dc.check(dc.sin(a), a, n_points=3)
    assert len(report.points) == 3 and not report.notes


# ----- item 15: float16 points -----


def test_a_correct_derivative_at_a_float16_point_passes():
    y = dc.tanh(a) * dc.exp(a)
    report = dc.check(y, a, {"a": np.float16(0.7)})
    assert report.ok, str(report)
    assert any("float16" in n and "float64" in n for n in report.notes)
    claim = lambda a: (1 - np.tanh(a) ** 2) * np.exp(a) + np.tanh(a) * np.exp(a)  # noqa: E731
    assert dc.check_gradient(y, a, claim, {"a": np.float16(0.7)}).ok


def test_a_wrong_derivative_at_a_float16_point_still_fails():
    y = dc.tanh(a) * dc.exp(a)
    wrong = lambda a: (1 - np.tanh(a) ** 2) * np.exp(a)  # noqa: E731  (drops a term)
    report = dc.check_gradient(y, a, wrong, {"a": np.float16(0.7)})
    assert not report.ok


def test_a_float16_vector_point_is_checked_at_the_same_values():
    x = dc.vector("x", 3)
    given = np.array([0.1, 0.7, -1.3], dtype=np.float16)
    report = dc.check(dc.sum(dc.tanh(x) ** 2), x, {"x": given})
    assert report.ok, str(report)
    np.testing.assert_array_equal(report.points[0]["x"], given.astype(np.float64))
    assert report.points[0]["x"].dtype == np.float64


# ----- item 17: requests too large to finish are refused up front -----

N = 2000


@pytest.fixture(scope="module")
def layer():
    W, x = dc.matrix("W", N, N), dc.vector("x", N)
    return W, x, {"W": np.zeros((N, N)), "x": np.zeros(N)}


def test_sympy_jacobian_of_a_large_product_is_refused(layer):
    W, x, at = layer
    with pytest.raises(ValueError, match=r"method='sympy'.*method='tape'"):
        dc.jacobian(W @ x, x, at, method="sympy")
    with pytest.raises(ValueError, match="element by element"):
        dc.symbolic_jacobian(W @ x, x)


def test_numeric_jacobian_over_millions_of_elements_is_refused(layer):
    W, x, at = layer
    with pytest.raises(ValueError, match=r"method='numeric'.*4,000,000.*seeded sample"):
        dc.jacobian(dc.sum(W @ x), W, at, method="numeric")
    with pytest.raises(ValueError, match="method='numeric'"):
        dc.grad(dc.sum(W @ x), W, at, method="numeric")


def test_a_dense_jacobian_beyond_memory_is_refused(layer):
    W, x, at = layer
    with pytest.raises(ValueError, match=r"dense tensor of 8e\+09 elements.*dc\.grad"):
        dc.jacobian(W @ x, W, at)


def test_a_check_too_large_to_finish_is_refused_before_drawing_points(layer):
    W, x, at = layer
    with pytest.raises(ValueError, match=r"∂y/∂W would be a dense tensor.*scalar reduction"):
        dc.check(W @ x, W)
    with pytest.raises(ValueError, match="dense tensor"):
        dc.check_gradient(W @ x, W, lambda W, x: 0.0, at)


def test_fast_mode_with_a_large_sympy_closed_form_is_refused(layer):
    W, x, at = layer
    with pytest.raises(ValueError, match=r"fast mode.*methods=\('tape', 'numeric'\)"):
        dc.check(dc.sum(W @ x), x, at, mode="fast")


def test_check_chain_refuses_a_large_factor(layer):
    W, x, at = layer
    h = W @ x
    with pytest.raises(ValueError, match=r"factor ∂via/∂x.*methods=\('tape', 'numeric'\)"):
        dc.check_chain(dc.sum(dc.tanh(h)), h, x, at)


def test_the_suggested_route_works_at_a_moderate_size():
    n = 300  # above the element-wise SymPy limit, well within the check's
    W, x = dc.matrix("W", n, n), dc.vector("x", n)
    rng = np.random.default_rng(0)
    at = {"W": rng.standard_normal((n, n)) / n, "x": rng.standard_normal(n)}
    y = dc.sum(dc.tanh(W @ x))
    with pytest.raises(ValueError, match="method='sympy'"):
        dc.jacobian(y, x, at, method="sympy")
    report = dc.check(y, x, at, n_points=1)
    assert report.ok, str(report)
    assert any("by its closed form in matrix notation" in n for n in report.notes), report.notes
