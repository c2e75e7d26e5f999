"""The one-input functions of ``diffcheck/ops/functions.py`` at their edges: values against
NumPy, stable tails, kinks reported as kinks, wrong claims caught, NumPy calls refused.

The table tests (``tests/ops/test_table.py``) already check every record's forward, VJP
and SymPy route on its samples; these tests cover what samples in [1/4, 2] do not reach.
"""

from unittest import mock

import numpy as np
import pytest

import diffcheck as dc
from diffcheck.checking.points import random_points
from diffcheck.ops import REGISTRY
from diffcheck.ops.functions import Softplus
from tests.ops.test_table import assert_vjps_equal_numeric, sample_expressions

x = dc.vector("x", 4)
a = dc.scalar("a")

# name -> (NumPy function, values at the edges of its domain, its derivative there)
EDGES = {
    "tan": (np.tan, [-1.5, -1e-8, 0.0, 1.5], lambda t: 1 / np.cos(t) ** 2),
    "arcsin": (np.arcsin, [-0.999, -1e-9, 0.5, 0.999], lambda t: 1 / np.sqrt(1 - t * t)),
    "arccos": (np.arccos, [-0.999, 0.0, 0.5, 0.999], lambda t: -1 / np.sqrt(1 - t * t)),
    "arctan": (np.arctan, [-1e6, -1e-9, 0.0, 1e6], lambda t: 1 / (1 + t * t)),
    "sinh": (np.sinh, [-30.0, -1e-9, 0.0, 30.0], np.cosh),
    "cosh": (np.cosh, [-30.0, -1e-9, 0.0, 30.0], np.sinh),
    "arcsinh": (np.arcsinh, [-1e6, -1e-9, 0.0, 1e6], lambda t: 1 / np.sqrt(t * t + 1)),
    "arccosh": (np.arccosh, [1.0001, 1.5, 10.0, 1e6], lambda t: 1 / np.sqrt(t * t - 1)),
    "arctanh": (np.arctanh, [-0.999, -1e-9, 0.0, 0.999], lambda t: 1 / (1 - t * t)),
    "log1p": (np.log1p, [-0.999, -1e-12, 1e-12, 1e6], lambda t: 1 / (1 + t)),
    "expm1": (np.expm1, [-40.0, -1e-12, 1e-12, 30.0], np.exp),
    "log2": (np.log2, [1e-12, 0.5, 1.0, 1e6], lambda t: 1 / (t * np.log(2))),
    "log10": (np.log10, [1e-12, 0.5, 1.0, 1e6], lambda t: 1 / (t * np.log(10))),
    "square": (np.square, [-1e6, -1e-9, 0.0, 3.0], lambda t: 2 * t),
    "reciprocal": (np.reciprocal, [-1e6, -1e-9, 1e-9, 3.0], lambda t: -1 / t**2),
    "softplus": (lambda t: np.logaddexp(0, t), [-800.0, -40.0, 40.0, 800.0],
                 lambda t: np.exp(-np.logaddexp(0, -t))),
    "sign": (np.sign, [-3.0, -1e-300, 1e-300, 3.0], np.zeros_like),
    "leaky_relu": (lambda t: np.where(t > 0, t, 0.01 * t), [-1e6, -1e-9, 1e-9, 3.0],
                   lambda t: np.where(t > 0, 1.0, 0.01)),
}


@pytest.mark.parametrize("name", sorted(EDGES))
def test_values_equal_numpy_at_the_edges(name):
    f, values, _ = EDGES[name]
    got = dc.evaluate(getattr(dc, name)(x), {"x": values})
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, f(np.array(values)), rtol=1e-15, atol=0)


@pytest.mark.parametrize("name", sorted(EDGES))
def test_tape_gradients_keep_their_relative_precision_at_the_edges(name):
    f, values, slope = EDGES[name]
    got = dc.grad(dc.sum(getattr(dc, name)(x)), x, {"x": values})
    np.testing.assert_allclose(got, slope(np.array(values)), rtol=1e-12, atol=0)


def test_all_three_methods_agree_at_the_edges():
    for name, (_, values, _) in EDGES.items():
        report = dc.check(dc.sum(getattr(dc, name)(x) * np.array([1.0, -2.0, 0.5, 3.0])), x,
                          {"x": values})
        assert report.ok, (name, report)


def test_softplus_is_stable_far_out_and_its_slope_is_the_sigmoid():
    z = np.array([-800.0, -40.0, 0.0, 40.0, 800.0])
    v = dc.vector("v", 5)
    assert np.all(np.isfinite(dc.evaluate(dc.softplus(v), {"v": z})))
    assert dc.evaluate(dc.softplus(v), {"v": z})[4] == 800.0
    for method in ("sympy", "tape", "numeric"):
        slope = np.diag(dc.jacobian(dc.softplus(v), v, {"v": z}, method=method))
        np.testing.assert_allclose(slope, [0.0, np.exp(-40.0), 0.5, 1.0, 1.0], rtol=1e-14, atol=0)
    report = dc.check(dc.sum(dc.softplus(v)), v, {"v": z})
    assert report.ok and report.max_rel_error == 0


def test_softplus_forward_takes_complex_steps_exactly_in_both_tails():
    z = np.array([-100.0, -40.0, 0.5, 700.0])  # at -700, h·exp(-700) underflows
    h = 1e-20
    got = np.imag(Softplus.forward(z + 1j * h)) / h
    np.testing.assert_allclose(got, np.exp(-np.logaddexp(0, -z)), rtol=1e-14, atol=0)
    assert dc.check(dc.sum(dc.softplus(x)), x).numeric_kind["x"] == "complex-step"


@pytest.mark.parametrize("name, at", [("sign", 0.0), ("leaky_relu", 0.0)])
def test_a_point_on_the_kink_is_reported_as_a_kink_not_a_mismatch(name, at):
    report = dc.check(getattr(dc, name)(a) * 3.0, a, {"a": at})
    assert report.ok and not report.mismatches
    assert [k.name for k in report.kinks] == ["∂y/∂a"]


def test_sign_has_slope_zero_and_leaky_relu_takes_its_parameter():
    assert dc.grad(dc.sum(dc.sign(x)), x, {"x": [-2.0, -0.5, 0.5, 2.0]}).tolist() == [0.0] * 4
    g = dc.grad(dc.sum(dc.leaky_relu(x, 0.2)), x, {"x": [-2.0, -0.5, 0.5, 2.0]})
    assert g.tolist() == [0.2, 0.2, 1.0, 1.0]
    assert dc.leaky_relu(x, 0.2).params == dc.leaky_relu(x, negative_slope=np.float64(0.2)).params
    assert repr(dc.leaky_relu(x, 0.2)) == "<leaky_relu(x, negative_slope=0.2) shape=(4,)>"
    with pytest.raises(TypeError, match="leaky_relu: negative_slope must be a finite real number"):
        dc.leaky_relu(x, "0.2")
    with pytest.raises(TypeError, match="leaky_relu: negative_slope must be a finite real number"):
        dc.leaky_relu(x, np.nan)


@pytest.mark.parametrize("name, wrong", [
    ("arcsin", lambda x: 1 / np.sqrt(1 + x * x)),  # the sign under the root
    ("arccosh", lambda x: 1 / np.sqrt(x * x + 1)),  # arcsinh's slope
    ("log10", lambda x: 1 / x),  # forgets ln 10
    ("softplus", lambda x: np.exp(x)),  # exp instead of the sigmoid
    ("expm1", lambda x: np.exp(x) - 1),  # the function, not its slope
])
def test_a_wrong_claim_is_caught(name, wrong):
    loss = dc.sum(getattr(dc, name)(x))
    assert not dc.check_gradient(loss, x, wrong).ok
    right = {"arcsin": lambda x: 1 / np.sqrt(1 - x * x), "arccosh": lambda x: 1 / np.sqrt(x * x - 1),
             "log10": lambda x: 1 / (x * np.log(10)), "softplus": lambda x: 1 / (1 + np.exp(-x)),
             "expm1": lambda x: np.exp(x)}[name]
    assert dc.check_gradient(loss, x, right).ok


@pytest.mark.parametrize("name", ["arcsin", "arccos", "arctanh", "arccosh"])
def test_random_points_of_a_matrix_lie_inside_narrow_domains(name):
    """``into_domain`` moves the variable inside: rejection alone rarely finds a 3x4 matrix
    with every element in (-1, 1) or above 1."""
    W = dc.matrix("W", 3, 4)
    report = dc.check(dc.sum(getattr(dc, name)(W)), W, n_points=3)
    assert report.ok and len(report.points) == 3 and not report.notes


def test_domains_keep_random_points_off_poles_and_branch_points():
    for name, bad in [("tan", np.pi / 2), ("log1p", -1.0), ("log2", 0.0), ("reciprocal", 0.0),
                      ("arcsin", 1.0), ("arccosh", 1.0)]:
        e = getattr(dc, name)(x)
        for point in random_points(e, 5, seed=2):
            assert np.all(np.abs(point["x"] - bad) > 0.04), name


@pytest.mark.parametrize("numpy_name, name", [
    ("tan", "tan"), ("arcsin", "arcsin"), ("arccosh", "arccosh"), ("log1p", "log1p"),
    ("expm1", "expm1"), ("log10", "log10"), ("square", "square"), ("reciprocal", "reciprocal"),
    ("sign", "sign"), ("asinh", "arcsinh"),
])
def test_numpy_functions_on_expressions_build_the_dc_twin(numpy_name, name):
    ours, theirs = getattr(np, numpy_name)(x), getattr(dc, name)(x)
    assert isinstance(ours, dc.Expr) and repr(ours) == repr(theirs)


def test_records_say_where_the_complex_step_is_exact():
    kinked = {name for name in EDGES if not REGISTRY[name].analytic}
    assert kinked == {"sign", "leaky_relu"}
    assert all(REGISTRY[name].has_kinks == (name in kinked) for name in EDGES)


def test_a_planted_vjp_bug_is_caught_by_the_table_checks():
    with mock.patch.object(Softplus, "vjp", staticmethod(lambda g, out, x: g * np.exp(x))):
        with pytest.raises(AssertionError):
            assert_vjps_equal_numeric(sample_expressions("softplus")[0])
        assert not dc.check(dc.sum(dc.softplus(x)), x).ok
