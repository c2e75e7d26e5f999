"""concatenate, stack, vstack, hstack: NumPy's values, three-way checks, batched VJPs, errors."""

from unittest import mock

import numpy as np
import pytest

import diffcheck as dc
from diffcheck.checking import compare
from diffcheck.errors import ShapeError
from diffcheck.ops import REGISTRY
from diffcheck.ops.joining import Join

RNG = np.random.default_rng(0)

# (op, input shapes, params): each is compared with NumPy's function of the same name
CASES = [
    ("concatenate", [(2, 3), (2, 2)], {"axis": 1}),
    ("concatenate", [(2, 3), (1, 3), (4, 3)], {}),
    ("concatenate", [(2, 3), (2, 1)], {"axis": -1}),
    ("concatenate", [(2, 2), (3,), ()], {"axis": None}),
    ("concatenate", [(3,)], {}),
    ("stack", [(2, 3), (2, 3)], {"axis": 0}),
    ("stack", [(2, 3), (2, 3), (2, 3)], {"axis": 2}),
    ("stack", [(3,), (3,)], {"axis": -1}),
    ("stack", [(), ()], {}),
    ("vstack", [(3,), (2, 3), (3,)], {}),
    ("vstack", [(), ()], {}),
    ("vstack", [(1, 2, 2), (3, 2, 2)], {}),
    ("hstack", [(2,), (3,)], {}),
    ("hstack", [(2, 1), (2, 3)], {}),
    ("hstack", [(), (2,), ()], {}),
    ("hstack", [(2, 1, 2), (2, 3, 2)], {}),
]


def build(name, shapes, params):
    variables = [dc.Var(f"x{i}", shape) for i, shape in enumerate(shapes)]
    point = {v.name: RNG.standard_normal(v.shape) for v in variables}
    return getattr(dc, name)(variables, **params), variables, point


@pytest.mark.parametrize("name, shapes, params", CASES)
def test_values_equal_numpy(name, shapes, params):
    expr, variables, point = build(name, shapes, params)
    expected = getattr(np, name)([point[v.name] for v in variables], **params)
    assert expr.shape == expected.shape
    np.testing.assert_array_equal(dc.evaluate(expr, point), expected)


@pytest.mark.parametrize("name, shapes, params", CASES[::2])
def test_check_passes_three_ways(name, shapes, params):
    expr, variables, _ = build(name, shapes, params)
    report = dc.check(dc.sin(expr) * 2.0, variables)
    assert report.ok and set(report.methods) == {"sympy", "tape", "numeric"}, report


@pytest.mark.parametrize("name, shapes, params", CASES)
def test_the_vjp_slices_a_cotangent_with_two_batch_axes(name, shapes, params):
    """gᵀJ by the record's rule, with g of shape (2, 3) + out, equals g contracted with
    the numeric Jacobian; the rule reads shapes only (the values are stand-ins)."""
    from diffcheck.backends.kernels import Unread

    expr, variables, point = build(name, shapes, params)
    record = REGISTRY[name]
    g = RNG.standard_normal((2, 3) + expr.shape)
    stand_ins = [Unread(v.shape) for v in variables]
    for k, var in enumerate(variables):
        jac = dc.jacobian(expr, var, point, method="numeric").reshape(expr.size, -1)
        expected = (g.reshape(6, -1) @ jac).reshape((2, 3) + var.shape)
        got = record.vjp_rule(k)(g, Unread(expr.shape), *stand_ins, **expr.kwargs)
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_the_same_variable_joined_twice_gets_both_slices():
    x = dc.vector("x", 3)
    at = {"x": np.array([1.0, -2.0, 0.5])}
    grad = dc.grad(dc.sum(dc.concatenate([x, 2.0 * x, x * x]) ** 2), x, at)
    np.testing.assert_allclose(grad, 2 * at["x"] + 8 * at["x"] + 4 * at["x"] ** 3, rtol=1e-14)


def test_the_per_node_sympy_route_lowers_a_join(monkeypatch):
    monkeypatch.setattr(compare, "SYMPY_ELEMENTWISE_TERMS", 4)
    A, x = dc.matrix("A", 2, 3), dc.vector("x", 3)
    report = dc.check(dc.tanh(dc.vstack([A, x]) @ x), [A, x])
    assert report.ok and any("per-node" in note for note in report.notes), report


def test_a_planted_wrong_claim_is_caught():
    x, y = dc.vector("x", 2), dc.vector("y", 3)
    expr = dc.concatenate([x, y * y])
    at = {"x": np.array([1.0, 2.0]), "y": np.array([0.5, -1.0, 3.0])}
    right = np.vstack([np.zeros((2, 3)), np.diag(2 * at["y"])])
    assert dc.check_gradient(expr, y, right, at).ok
    wrong = np.vstack([np.diag(2 * at["y"]), np.zeros((2, 3))])  # the slices swapped
    report = dc.check_gradient(expr, y, wrong, at)
    assert not report.ok and report.mismatches


def test_a_planted_vjp_bug_is_localised_to_the_join():
    plain = Join.vjp

    def off_by_one(self, k, g, out, *xs, **params):  # every input takes the first slice
        return plain(self, 0, g, out, *xs, **params)

    A, B = dc.matrix("A", 2, 3), dc.matrix("B", 2, 3)
    with mock.patch.object(Join, "vjp", off_by_one):
        report = dc.check(dc.sum(dc.stack([A, B * B], axis=1) ** 3), [A, B])
    assert not report.ok and any("stack" in hint for hint in report.hints), report.hints


def test_printing_shows_the_list_and_the_axis():
    a, b = dc.matrix("a", 2, 3), dc.matrix("b", 2, 2)
    assert repr(dc.concatenate([a, b], 1)) == "<concatenate([a, b], axis=1) shape=(2, 5)>"
    assert repr(dc.concatenate([a, b], axis=None)) == "<concatenate([a, b], axis=None) shape=(10,)>"
    assert repr(dc.stack((a, a), axis=-1)) == "<stack([a, a], axis=2) shape=(2, 3, 2)>"
    assert repr(dc.hstack([a, b])) == "<hstack([a, b]) shape=(2, 5)>"


def test_params_are_canonical():
    a = dc.matrix("a", 2, 3)
    assert dc.concatenate([a, a], axis=-1).params == dc.concatenate([a, a], axis=np.int64(1)).params
    assert dc.stack([a, a], axis=-1).params == (("axis", 2),)


@pytest.mark.parametrize(
    "build_, message",
    [
        (lambda a, b, v: dc.concatenate([a, b]), r"concatenate: along axis 0, shapes \(2, 3\) and \(2, 2\) "
                                                  r"must agree on every other axis, but axis 1 has 3 and 2"),
        (lambda a, b, v: dc.concatenate([a, v], axis=1), r"concatenate: all inputs must have the same number "
                                                          r"of axes, got shapes \(2, 3\) and \(3,\)"),
        (lambda a, b, v: dc.concatenate([a, a], axis=2), r"concatenate: axis 2 is out of range for 2 axes "
                                                          r"\(shapes \(2, 3\), \(2, 3\)\)"),
        (lambda a, b, v: dc.concatenate([dc.scalar("s"), v]), r"concatenate: inputs must have at least one "
                                                               r"axis, got shapes \(\), \(3,\)"),
        (lambda a, b, v: dc.stack([a, b]), r"stack: all inputs must have the same shape, got \(2, 3\) "
                                            r"and \(2, 2\)"),
        (lambda a, b, v: dc.stack([a, a], axis=3), r"stack: axis 3 is out of range for 3 axes"),
        (lambda a, b, v: dc.vstack([a, dc.vector("w", 2)]), r"vstack: along axis 0, shapes \(2, 3\) and "
                                                                      r"\(2,\) must agree"),
        (lambda a, b, v: dc.hstack([a, v]), r"hstack: all inputs must have the same number of axes, got "
                                            r"shapes \(2, 3\) and \(3,\)"),
    ],
)
def test_shape_errors_name_the_op_the_axis_and_the_shapes(build_, message):
    a, b, v = dc.matrix("a", 2, 3), dc.matrix("b", 2, 2), dc.vector("v", 3)
    with pytest.raises(ShapeError, match=message):
        build_(a, b, v)


def test_misused_builders_are_type_errors_naming_the_use():
    a = dc.matrix("a", 2, 3)
    with pytest.raises(TypeError, match=r"dc\.concatenate\(\) takes a list or tuple of expressions first"):
        dc.concatenate(a, a)
    with pytest.raises(TypeError, match=r"dc\.stack\(\) needs at least 1 input\(s\), got 0"):
        dc.stack([])
    with pytest.raises(TypeError, match=r"concatenate: axis must be an int, got 1.5"):
        dc.concatenate([a, a], axis=1.5)
    with pytest.raises(TypeError, match=r"dc\.vstack\(\) got an unexpected keyword argument 'axis'"):
        dc.vstack([a, a], axis=0)
    assert repr(np.concatenate([a, a])) == repr(dc.concatenate([a, a]))  # NumPy's spelling dispatches
