"""Hessians and Hessian-vector products three independent ways."""

import numpy as np
import pytest

import diffcheck as dc
from diffcheck.ops import REGISTRY

RNG = np.random.default_rng(18)
A = np.array([[1.0, 2.0, -1.0], [0.5, -3.0, 4.0], [2.5, 1.0, 0.0]])  # not symmetric
X = RNG.normal(size=(7, 3))
T = (RNG.random(7) > 0.5).astype(float)
METHODS = ("tape", "sympy", "numeric")


def quadratic():
    x = dc.vector("x", 3)
    return x, x @ (dc.const(A) @ x) + dc.const(np.array([1.0, -2.0, 0.5])) @ x


def logistic():
    w = dc.vector("w", 3)
    z = dc.const(X) @ w
    return w, dc.sum(dc.softplus(z) - dc.const(T) * z)


def logistic_hessian(w):
    s = 1 / (1 + np.exp(-X @ w))
    return X.T @ np.diag(s * (1 - s)) @ X


@pytest.mark.parametrize("method", METHODS)
def test_hessian_of_a_quadratic_form_is_a_plus_a_transpose(method):
    x, y = quadratic()
    got = dc.hessian(y, x, {"x": RNG.normal(size=3)}, method=method)
    np.testing.assert_allclose(got, A + A.T, rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("method", METHODS)
def test_logistic_regression_hessian_and_hvp_by_each_method(method):
    w, loss = logistic()
    at = {"w": RNG.normal(size=3)}
    expected = logistic_hessian(at["w"])
    np.testing.assert_allclose(dc.hessian(loss, w, at, method=method), expected, rtol=1e-8, atol=1e-10)
    v = RNG.normal(size=3)
    np.testing.assert_allclose(dc.hvp(loss, w, v, at, method=method), expected @ v, rtol=1e-8, atol=1e-10)


def test_mixed_block_has_the_shapes_of_both_variables_and_agrees_across_methods():
    W, x = dc.matrix("W", 2, 3), dc.vector("x", 3)
    y = dc.sum(dc.tanh(W @ x) ** 2)
    at = {"W": RNG.normal(size=(2, 3)), "x": RNG.normal(size=3)}
    blocks = [dc.hessian(y, (W, x), at, method=m) for m in METHODS]
    assert blocks[0].shape == (2, 3, 3)
    np.testing.assert_allclose(blocks[0], blocks[1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(blocks[2], blocks[1], rtol=1e-6, atol=1e-8)
    other = dc.hessian(y, (x, W), at)  # the transposed block
    np.testing.assert_allclose(other, np.transpose(blocks[1], (2, 0, 1)), rtol=1e-10, atol=1e-12)


def test_hvp_over_several_variables_is_the_full_hessian_times_v():
    W, x = dc.matrix("W", 2, 3), dc.vector("x", 3)
    y = dc.sum(dc.sigmoid(W @ x) * dc.exp(x[0:2]))
    at = {"W": RNG.normal(size=(2, 3)), "x": RNG.normal(size=3)}
    v = {"W": RNG.normal(size=(2, 3)), "x": RNG.normal(size=3)}
    got = dc.hvp(y, [W, x], v, at)
    for a in (W, x):
        expected = sum(np.tensordot(dc.hessian(y, (a, b), at, method="sympy"), v[b.name], b.ndim)
                       for b in (W, x))
        np.testing.assert_allclose(got[a.name], expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_relu_second_derivative_is_zero_away_from_its_kink(method):
    x = dc.vector("x", 4)
    y = dc.sum(dc.relu(x) * 3.0 + dc.abs(x))
    got = dc.hessian(y, x, {"x": np.array([-1.5, -0.3, 0.4, 2.0])}, method=method)
    np.testing.assert_allclose(got, np.zeros((4, 4)), atol=1e-7)


def test_check_order_two_agrees_three_ways_and_names_the_methods():
    w, loss = logistic()
    report = dc.check(loss, w, order=2)
    assert report.ok, report
    assert report.methods == ("sympy", "tape", "numeric")
    assert report.compared == 3 * 9
    assert "∂²y/∂w²" in str(report) and "complex step" in str(report)


def test_logistic_regression_claim_checks_three_ways():
    w, loss = logistic()
    report = dc.check_gradient(loss, w, logistic_hessian, order=2)
    assert report.ok, report
    assert report.tolerances.keys() == {"tape", "numeric", "claimed"}


def test_claim_a_plus_a_transpose_passes_and_a_fails_naming_the_asymmetric_elements():
    x, y = quadratic()
    assert dc.check_gradient(y, x, A + A.T, order=2).ok
    report = dc.check_gradient(y, x, A, order=2)
    assert not report.ok
    names = {m.name for m in report.mismatches}
    assert "∂²y/∂x[0]∂x[1]" in names and "∂²y/∂x[1]∂x[0]" in names
    hint = next(h for h in report.hints if h.startswith("transpose/asymmetry"))
    assert "∂²y/∂x[0]∂x[1] = 2 but ∂²y/∂x[1]∂x[0] = 0.5" in hint
    assert "A + Aᵀ" in hint
    assert "∂²y/∂x[0]∂x[2]" in str(report)


def test_a_missing_factor_two_is_hinted():
    x, y = quadratic()
    report = dc.check_gradient(y, x, "[[1, 1.25, 0.75], [1.25, -3, 2.5], [0.75, 2.5, 0]]", order=2)
    assert not report.ok
    assert any("missing factor 2" in h for h in report.hints), report.hints


def test_a_missing_term_is_hinted():
    w, loss = logistic()
    report = dc.check_gradient(loss + 0.75 * dc.sum(w * w), w, logistic_hessian, order=2)
    assert not report.ok
    hint = next(h for h in report.hints if h.startswith("missing term"))
    assert "diagonal" in hint and "1.5" in hint


def test_sympy_and_callable_and_array_claims():
    x, y = quadratic()
    import sympy as sp

    assert dc.check_gradient(y, x, sp.Matrix(A + A.T), order=2).ok
    assert dc.check_gradient(y, x, lambda x: A + A.T, order=2).ok
    w, loss = logistic()
    at = {"w": np.array([0.3, -0.2, 1.0])}
    assert dc.check_gradient(loss, w, logistic_hessian(at["w"]), at, order=2).ok
    with pytest.raises(ValueError, match="depends on the point"):
        dc.check_gradient(loss, w, logistic_hessian(at["w"]), order=2)


def test_kinks_are_reported_never_false_mismatches():
    w = dc.vector("w", 3)
    y = dc.sum(dc.relu(dc.const(X) @ w) ** 2) + dc.sum(dc.abs(w))
    report = dc.check(y, w, {"w": np.array([0.0, 0.5, -0.7])}, order=2)
    assert report.ok, report
    assert report.kinks and all(k.name.startswith("∂²y/∂w[") for k in report.kinks)
    assert "non-differentiable" in str(report)
    assert dc.check(y, w, order=2).ok  # random points, away from kinks


def test_a_broken_vjp_makes_the_tape_hessian_a_mismatch(monkeypatch):
    x = dc.vector("x", 3)
    assert dc.check(dc.sum(dc.tanh(x) * x), x, order=2).ok
    monkeypatch.setattr(type(REGISTRY["tanh"]), "vjp", staticmethod(lambda g, out, x: g * (1.0 + out * out)))
    report = dc.check(dc.sum(dc.tanh(x) * x), x, order=2)
    assert not report.ok
    assert any(h.startswith("blame: tape") for h in report.hints)
    m = report.mismatches[0]
    assert m.values["numeric"] == pytest.approx(m.values["sympy"], rel=1e-6)


def test_too_large_for_sympy_is_refused_or_left_out_with_a_note():
    w = dc.vector("w", 60)
    y = dc.sum(dc.tanh(dc.const(RNG.normal(size=(900, 60))) @ w))
    with pytest.raises(ValueError, match="sympy: .*terms"):
        dc.hessian(y, w, {"w": RNG.normal(size=60)}, method="sympy")
    report = dc.check(y, w, n_points=1, order=2, methods=("sympy", "tape"))
    assert report.methods == ("tape",) or report.reference == "tape"
    assert any("the reference is tape" in n for n in report.notes)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda x, y: dc.hessian(x * 2.0, x, {"x": np.ones(3)}), ValueError, "scalar expression"),
        (lambda x, y: dc.hessian(y, x, {"x": np.ones(3)}, method="exact"), ValueError, "method"),
        (lambda x, y: dc.hvp(y, x, np.ones(2), {"x": np.ones(3)}), dc.ShapeError, r"\(2,\).*\(3,\)"),
        (lambda x, y: dc.hvp(y, x, [np.nan] * 3, {"x": np.ones(3)}), ValueError, "not finite"),
        (lambda x, y: dc.hessian(y, x, {"z": np.ones(3)}), ValueError, "'z'"),
        (lambda x, y: dc.check(y, x, order=3), ValueError, "order must be 1"),
        (lambda x, y: dc.check_gradient(y, x, np.ones((3,)), {"x": np.ones(3)}, order=2),
         dc.ShapeError, r"\(3,\).*\(3, 3\)"),
    ],
)
def test_bad_input_is_a_clear_error(call, error, message):
    x, y = quadratic()
    with pytest.raises(error, match=message):
        call(x, y)
