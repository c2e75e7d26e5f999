"""Hints: each one on a case it explains exactly, and not on a case it does not."""

import numpy as np

import diffcheck as dc
from diffcheck.diagnosis.hints import claim_hints

x3 = dc.vector("x", 3)
W33 = dc.matrix("W", 3, 3)


def hints_of(report, prefix):
    return [h for h in report.hints if h.startswith(prefix)]


def test_transpose_names_the_layout():
    report = dc.check_gradient(W33 @ x3, x3, lambda W, x: W.T)
    (hint,) = hints_of(report, "layout:")
    assert "transpose" in hint and "denominator layout" in hint


def test_no_transpose_hint_for_an_unrelated_wrong_claim():
    report = dc.check_gradient(W33 @ x3, x3, lambda W, x: W + 1.0)
    assert not report.ok and not hints_of(report, "layout:")


def test_non_square_layout_error_says_whether_the_other_reading_is_right():
    W = dc.matrix("W", 2, 3)
    right = dc.check_gradient(W @ x3, x3, lambda W, x: W.T)
    assert "layout: read in denominator layout the claim is correct" in right.hints
    wrong = dc.check_gradient(W @ x3, x3, lambda W, x: 2 * W.T)
    assert "layout: even read in denominator layout the claim is wrong" in wrong.hints


def test_other_axis_orders_of_a_tensor_are_named():
    T = dc.Var("T", (2, 2, 2))
    v = dc.vector("v", 2)
    y = dc.sum(T * v, axis=2) * dc.sum(T, axis=1)  # a non-symmetric 3-axis derivative
    at = {"T": np.arange(8.0).reshape(2, 2, 2) / 4 + 0.3, "v": np.array([0.7, -1.1])}
    ref = dc.jacobian(y, T, at)
    report = dc.check_gradient(y, T, np.transpose(ref, (0, 1, 2, 4, 3)), at)
    assert any("axes in the order (0, 1, 2, 4, 3)" in h for h in report.hints)


def test_sign_flip():
    report = dc.check_gradient(dc.sum(dc.exp(-x3)), x3, lambda x: np.exp(-x))
    assert hints_of(report, "sign:")
    other = dc.check_gradient(dc.sum(dc.exp(-x3)), x3, lambda x: -np.exp(x))
    assert not hints_of(other, "sign:")


def test_constant_factor_names_the_missing_two():
    report = dc.check_gradient(dc.sum(x3**2), x3, "x")
    assert hints_of(report, "factor:") == [
        "factor: the claim is 1/2 times the derivative (a missing factor 2?)"
    ]
    half = dc.check_gradient(0.5 * dc.sum(x3**2), x3, "2*x")
    assert hints_of(half, "factor:") == ["factor: the claim is 2 times the derivative"]
    assert not hints_of(dc.check_gradient(dc.sum(x3**2), x3, "2*x + 1"), "factor:")


def test_missing_sum_over_the_batch():
    X, W, b = dc.matrix("X", 4, 3), dc.matrix("W", 3, 2), dc.vector("b", 2)
    loss = dc.sum(dc.tanh(X @ W + b))
    per_row_mean = lambda X, W, b: (1 - np.tanh(X @ W + b) ** 2).mean(axis=0)  # noqa: E731
    report = dc.check_gradient(loss, b, per_row_mean)
    (hint,) = hints_of(report, "batch:")
    assert "1/4" in hint and "summed over the 4 rows" in hint
    # The same factor on a variable that is not broadcast is only a factor.
    other = dc.check_gradient(dc.sum(x3**2) * 4.0, x3, "2*x")
    assert not hints_of(other, "batch:") and hints_of(other, "factor:")


def test_zero_where_the_derivative_is_not():
    a, b = dc.scalar("a"), dc.scalar("b")
    d = a * (a + b)
    report = dc.check_gradient(d, [a, b], {"a": "2*a + b", "b": "0"})
    (hint,) = hints_of(report, "zero:")
    assert "∂y/∂b" in hint
    assert not hints_of(dc.check_gradient(d, b, "1"), "zero:")


def test_only_a_few_elements_wrong_are_named():
    W = dc.matrix("W", 2, 3)

    def claim(W, x):
        t = np.einsum("ik,j->ikj", np.eye(2), x)
        t[0, 0, 1] = 7.0
        return t

    report = dc.check_gradient(W @ x3, W, claim)
    assert hints_of(report, "few:") == [
        "few: only ∂y[0]/∂W[0,1] is wrong; the other 5 non-zero element(s) agree "
        "(6 more are 0 everywhere)"
    ]
    many = dc.check_gradient(W @ x3, W, lambda W, x: np.ones((2, 2, 3)))
    assert not hints_of(many, "few:")


def test_correct_claims_get_no_hints():
    assert dc.check_gradient(dc.sum(x3**2), x3, "2*x").hints == []


def test_hints_need_every_point_to_agree():
    ref = np.array([[1.0, 2.0], [3.0, 4.0]])
    pairs = [(-ref, ref), (ref * 2, ref)]  # a sign flip at one point only
    assert claim_hints(pairs, "y", "x", 1) == []
