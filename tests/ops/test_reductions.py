"""Reductions, statistics and norms: NumPy's shapes and values, kinks at ties, exact corners."""

import numpy as np
import pytest

import diffcheck as dc
from diffcheck.checking.points import KINK_MARGIN, random_points
from diffcheck.errors import ShapeError
from diffcheck.ops import REGISTRY

T = dc.Var("T", (2, 3, 4))
W = dc.matrix("W", 2, 3)
x = dc.vector("x", 3)
RNG = np.random.default_rng(0)
T_VALUE = RNG.uniform(0.5, 2.0, (2, 3, 4)) * RNG.choice([-1.0, 1.0], (2, 3, 4))
W_VALUE = np.array([[0.5, -1.25, 2.0], [1.5, 0.75, -0.3]])

AXES = [None, 0, -1, (0, 2), (-1, 0), (0, 1, 2)]
NUMPY = {
    "sum": np.sum, "mean": np.mean, "prod": np.prod, "max": np.max, "min": np.min,
    "var": np.var, "std": np.std,
    "logsumexp": lambda v, axis, keepdims: np.log(np.sum(np.exp(v), axis=axis, keepdims=keepdims)),
}


# ----- shapes and values: NumPy's -----
@pytest.mark.parametrize("name", sorted(NUMPY))
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_shapes_and_values_are_numpys(name, axis, keepdims):
    expected = NUMPY[name](T_VALUE, axis=axis, keepdims=keepdims)
    expr = getattr(dc, name)(T, axis=axis, keepdims=keepdims)
    assert expr.shape == np.shape(expected)
    np.testing.assert_allclose(dc.evaluate(expr, {"T": T_VALUE}), expected, rtol=1e-13)


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "max", "min", "var", "std", "logsumexp"])
def test_negative_and_tuple_axes_are_one_canonical_node(name):
    build = getattr(dc, name)
    assert build(T, axis=(-1, 0)).params == build(T, axis=[2, 0]).params == build(T, axis=(0, 2)).params
    assert build(T, axis=-1).params == build(T, axis=np.int64(2)).params
    assert build(T, axis=0, keepdims=False).params == build(T, axis=0).params  # False is the default
    assert dict(build(T, axis=0, keepdims=True).params)["keepdims"] is True


def test_keepdims_nodes_print_it_and_grad_through_them():
    e = dc.sum(W * W, axis=-1, keepdims=True)
    assert repr(e) == "<sum(W * W, axis=1, keepdims=True) shape=(2, 1)>"
    np.testing.assert_allclose(dc.grad(dc.sum(e * W), W, {"W": W_VALUE}),
                               2 * W_VALUE * W_VALUE.sum(axis=1, keepdims=True)
                               + (W_VALUE**2).sum(axis=1, keepdims=True), rtol=1e-14)
    assert dc.check(e * W, W).ok


def test_methods_build_the_same_nodes_as_the_functions():
    assert W.sum(axis=0, keepdims=True).shape == (1, 3)
    for name in ["sum", "mean", "prod", "max", "min", "var", "std"]:
        method = getattr(W, name)
        assert repr(method(axis=0, keepdims=True)) == repr(getattr(dc, name)(W, axis=0, keepdims=True))
        assert repr(method(-1)) == repr(getattr(dc, name)(W, axis=1))
    assert repr(W.std(ddof=1)) == "<std(W, ddof=1) shape=()>"
    assert repr(W.cumsum(axis=1)) == repr(dc.cumsum(W, 1))


# ----- max and min: ties are kinks -----
@pytest.mark.parametrize("name, at", [("max", [1.0, 3.0, 3.0]), ("min", [-2.0, 0.5, -2.0])])
def test_ties_are_reported_as_kinks_not_mismatches(name, at):
    e = getattr(dc, name)(x)
    report = dc.check(e, x, at={"x": at})
    assert report.ok and report.kinks, report
    np.testing.assert_allclose(dc.grad(e, x, {"x": at}), [0.0, 0.5, 0.5] if name == "max" else [0.5, 0, 0.5])


def test_off_a_tie_the_gradient_goes_to_the_extreme_element():
    at = {"W": W_VALUE}
    np.testing.assert_array_equal(dc.grad(dc.sum(dc.max(W, axis=1)), W, at), [[0, 0, 1], [1, 0, 0]])
    np.testing.assert_array_equal(dc.grad(dc.sum(W.min(axis=0)), W, at), [[1, 1, 0], [0, 0, 1]])
    report = dc.check(dc.max(W, axis=0, keepdims=True) * W, W, at=at)
    assert report.ok and not report.kinks


def test_random_points_stay_off_ties():
    e = dc.max(T, axis=(0, -1))
    for point in random_points(e, 10, seed=2):
        top = np.sort(np.moveaxis(point["T"], 1, 0).reshape(3, -1), axis=1)
        assert np.all(top[:, -1] - top[:, -2] >= KINK_MARGIN)
    assert dc.check(dc.min(T, axis=(0, -1)) ** 2, T).ok


# ----- prod: exact where an element is 0 -----
@pytest.mark.parametrize("at, expected", [([2.0, 0.0, 3.0], [0.0, 6.0, 0.0]),
                                          ([0.0, 0.0, 3.0], [0.0, 0.0, 0.0]),
                                          ([2.0, -1.0, 3.0], [-3.0, 6.0, -2.0])])
def test_prod_gradient_at_zeros_is_the_product_of_the_others(at, expected):
    np.testing.assert_array_equal(dc.grad(dc.prod(x), x, {"x": at}), expected)
    assert dc.check(dc.prod(x), x, at={"x": at}).ok


def test_prod_over_axes_with_a_zero():
    value = W_VALUE.copy()
    value[1, 1] = 0.0
    grad = dc.grad(dc.sum(dc.prod(W, axis=-1, keepdims=True) * 2.0), W, {"W": value})
    np.testing.assert_allclose(grad[1], [0.0, 2 * 1.5 * -0.3, 0.0], rtol=1e-15)
    assert dc.check(dc.prod(W, axis=0), W, at={"W": value}).ok


# ----- var and std -----
def test_std_of_one_element_has_gradient_zero_not_nan():
    column = dc.matrix("C", 2, 1)
    at = {"C": np.array([[0.7], [-1.2]])}
    grad = dc.grad(dc.sum(dc.std(column, axis=1)), column, at)
    np.testing.assert_array_equal(grad, np.zeros((2, 1)))
    assert dc.check(dc.std(column, axis=-1), column, at=at).ok
    assert dc.grad(dc.std(dc.scalar("a")), "a", {"a": 3.0}) == 0.0


def test_var_and_std_with_ddof_match_numpy_and_check():
    np.testing.assert_allclose(dc.evaluate(dc.std(W, axis=1, ddof=1), {"W": W_VALUE}),
                               np.std(W_VALUE, axis=1, ddof=1), rtol=1e-14)
    assert dc.check(dc.var(W, axis=0, ddof=1), W).ok
    assert dc.check(dc.std(W, ddof=1), W).ok


def test_std_random_points_keep_the_variance_off_zero():
    record = REGISTRY["std"]
    for point in random_points(dc.std(W, axis=0), 10, seed=4):
        assert np.all(np.var(point["W"], axis=0) > 0.05)
        assert record.domain(point["W"], axis=0)
    assert not record.domain(np.ones((2, 3)), axis=0)


# ----- logsumexp and cumsum -----
def test_logsumexp_is_stable_at_1000():
    at = {"x": np.array([1000.0, 999.0, 998.0])}
    value = dc.evaluate(dc.logsumexp(x), at)
    assert value == pytest.approx(1000.0 + np.log(1.0 + np.exp(-1.0) + np.exp(-2.0)), rel=1e-15)
    softmax = np.exp([0.0, -1.0, -2.0]) / np.sum(np.exp([0.0, -1.0, -2.0]))
    for method in ("tape", "sympy", "numeric"):
        np.testing.assert_allclose(dc.grad(dc.logsumexp(x), x, at, method=method), softmax, rtol=1e-8)
    assert dc.check(dc.logsumexp(x), x, at=at).ok
    tied = dc.grad(dc.logsumexp(x), x, {"x": [1000.0] * 3})
    np.testing.assert_allclose(tied, [1 / 3] * 3, rtol=1e-12)  # exp(x - lse): lse rounds at 1000


def test_logsumexp_over_axes_checks():
    assert dc.check(dc.logsumexp(T, axis=(0, -1), keepdims=True) * T, T).ok


def test_cumsum_flattens_without_an_axis_as_numpy():
    assert dc.cumsum(W).shape == (6,)
    np.testing.assert_array_equal(dc.evaluate(dc.cumsum(W), {"W": W_VALUE}), np.cumsum(W_VALUE))
    np.testing.assert_array_equal(dc.evaluate(dc.cumsum(W, axis=-2), {"W": W_VALUE}), np.cumsum(W_VALUE, 0))
    np.testing.assert_array_equal(dc.grad(dc.sum(dc.cumsum(W)), W, {"W": W_VALUE}), [[6, 5, 4], [3, 2, 1]])
    assert dc.check(dc.cumsum(T, axis=1) * T, T).ok


# ----- norm -----
NORMS = [
    ({}, x), ({"ord": 1}, x), ({"ord": np.inf}, x), ({"ord": -np.inf}, x), ({"ord": 3.5}, x),
    ({"ord": 2}, x), ({}, W), ({"ord": "fro"}, W), ({"ord": "fro", "keepdims": True}, W),
    ({"ord": 1, "axis": 1}, W), ({"ord": np.inf, "axis": 0, "keepdims": True}, W),
    ({"axis": -1}, T), ({"axis": (0, 2)}, T), ({"ord": 1.5, "axis": -2}, T), ({}, T),
]


@pytest.mark.parametrize("params, var", NORMS)
def test_norm_matches_numpy_and_checks(params, var):
    value = {"x": W_VALUE[0], "W": W_VALUE, "T": T_VALUE}[var.name]
    expected = np.linalg.norm(value, **params)
    e = dc.norm(var, **params)
    assert e.shape == np.shape(expected)
    np.testing.assert_allclose(dc.evaluate(e, {var.name: value}), expected, rtol=1e-13)
    assert dc.check(e, var).ok
    assert dc.check(e, var, at={var.name: value}).ok


@pytest.mark.parametrize("params, at", [({"ord": 1}, [0.0, 1.0, -2.0]), ({"ord": np.inf}, [3.0, -3.0, 1.0]),
                                        ({}, [0.0, 0.0, 0.0]), ({"ord": -np.inf}, [0.0, 1.0, 2.0]),
                                        ({"ord": -np.inf}, [1.0, -1.0, 2.0])])
def test_norm_kinks_are_reported_as_kinks(params, at):
    report = dc.check(dc.norm(x, **params), x, at={"x": at})
    assert report.ok and report.kinks, report


@pytest.mark.parametrize("call, error, words", [
    (lambda: dc.norm(W, 2), ValueError, r"norm: the matrix norm ord=2 \(the spectral norm\) \(shape \(2, "),
    (lambda: dc.norm(W, "nuc"), ValueError, r"ord='nuc' \(the nuclear norm\)"),
    (lambda: dc.norm(x, 0.5), ValueError, r"norm: ord=0.5 \(shape \(3,\), axis=None\) is not supported"),
    (lambda: dc.norm(x, "fro"), ValueError, r"norm: ord='fro' is not a vector norm order"),
    (lambda: dc.norm(T, 1), ShapeError, r"norm: ord=1 with axis=None needs a vector or a matrix, got shape"),
    (lambda: dc.norm(T, axis=(0, 1, 2)), ShapeError, r"norm: axis=\(0, 1, 2\) of shape \(2, 3, 4\) names 3"),
    (lambda: dc.max(W, axis=2), ShapeError, r"max: axis 2 is out of range for shape \(2, 3\)"),
    (lambda: dc.sum(W, axis=(1, -1)), ShapeError, r"sum: repeated axis in \(1, -1\) for shape \(2, 3\)"),
    (lambda: dc.var(W, axis=1, ddof=3), ShapeError, r"var: ddof=3 leaves no degrees of freedom: axis=1 of "
                                                    r"shape \(2, 3\) reduces 3"),
    (lambda: dc.std(W, ddof=-1), TypeError, r"std: ddof must be a non-negative int"),
    (lambda: dc.mean(W, keepdims="yes"), TypeError, r"mean: keepdims must be True or False"),
    (lambda: dc.cumsum(W, axis=(0, 1)), ShapeError, r"cumsum: axis must be one int or None"),
    (lambda: dc.max(dc.const(np.zeros((0, 2))), axis=0), ShapeError, r"max: axis=0 of shape \(0, 2\) red"),
])
def test_bad_input_names_the_op_shape_axis_or_order(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_numpy_reductions_on_expressions_build_the_dc_twin():
    for ours, theirs in [(np.max(W), dc.max(W)), (np.linalg.norm(W), dc.norm(W)),
                         (np.var(W, axis=1, ddof=1), dc.var(W, axis=1, ddof=1)),
                         (np.sum(W, axis=0, keepdims=True), dc.sum(W, axis=0, keepdims=True))]:
        assert isinstance(ours, dc.Expr) and repr(ours) == repr(theirs)
        assert ours.kwargs == theirs.kwargs


# ----- a wrong hand derivation is caught -----
def test_a_planted_wrong_claim_is_caught():
    at = {"x": W_VALUE[0]}
    right = np.array([0.0, 0.0, 1.0])  # ∂ max(x) / ∂x at x = [0.5, -1.25, 2]
    assert dc.check_gradient(dc.max(x), x, right, at=at).ok
    assert not dc.check_gradient(dc.max(x), x, np.ones(3) / 3, at=at).ok
    norm = W_VALUE[0] / np.linalg.norm(W_VALUE[0])
    assert dc.check_gradient(dc.norm(x), x, norm, at=at).ok
    assert not dc.check_gradient(dc.norm(x), x, W_VALUE[0], at=at).ok  # forgot to divide by the norm
    assert not dc.check_gradient(dc.std(x), x, (W_VALUE[0] - W_VALUE[0].mean()) / 3, at=at).ok


def out_over_x(self, g, out, x, axis=None, keepdims=False):  # the usual slip: out / x
    return np.multiply.outer(g, out / x)


def test_a_planted_wrong_vjp_is_caught(monkeypatch):
    record = REGISTRY["prod"]
    monkeypatch.setattr(type(record), "vjp", out_over_x)
    monkeypatch.setattr(type(record), "reads", (("out", 0),))
    at = {"x": [2.0, 0.0, 3.0]}
    assert not dc.check(dc.prod(x), x, at=at).ok  # out / x is 0 / 0 where an element is 0
