"""The IR: builders, shapes, immutability, sharing and point validation."""

import numpy as np
import pytest

import diffcheck as dc
from diffcheck.ir import resolve_point, toposort, variables


def test_leaf_shapes():
    assert dc.scalar("a").shape == ()
    assert dc.vector("x", 3).shape == (3,)
    assert dc.matrix("W", 4, 3).shape == (4, 3)
    assert dc.Var("T", (2, 3, 4)).shape == (2, 3, 4)
    assert dc.const([1.0, 2.0]).shape == (2,)


@pytest.mark.parametrize("bad", ["", "1x", "a b", "x[0]"])
def test_variable_names_must_be_identifiers(bad):
    with pytest.raises(ValueError, match="identifier"):
        dc.scalar(bad)


def test_bad_dimensions_are_shape_errors():
    with pytest.raises(dc.ShapeError, match="positive int"):
        dc.Var("x", (0,))


def test_numbers_and_arrays_are_lifted():
    x = dc.vector("x", 3)
    e = 2 * x + np.ones(3) - 1
    assert e.shape == (3,)
    assert any(isinstance(n, dc.Const) for n in toposort(e))


def test_operators_build_expected_shapes():
    W, x, X = dc.matrix("W", 4, 3), dc.vector("x", 3), dc.matrix("X", 5, 4)
    assert (W @ x).shape == (4,)
    assert (dc.vector("r", 4) @ W).shape == (3,)
    assert (X @ W).shape == (5, 3)
    assert (x @ x).shape == ()
    assert W.T.shape == (3, 4)
    assert dc.sum(W, axis=0).shape == (3,)
    assert dc.mean(W, axis=(0, 1)).shape == ()
    assert dc.sum(W).shape == ()
    assert (X @ W + dc.vector("b", 3)).shape == (5, 3)  # bias broadcast over rows
    assert (-x).shape == (3,) and (x**2).shape == (3,) and (1 / x).shape == (3,)


@pytest.mark.parametrize(
    "build, words",
    [
        (lambda: dc.matrix("W", 4, 3) @ dc.vector("x", 4), ["matmul", "(4, 3)", "(4,)"]),
        (lambda: dc.vector("x", 3) + dc.vector("y", 4), ["add", "(3,)", "(4,)"]),
        (lambda: dc.scalar("a") @ dc.vector("x", 2), ["matmul", "()", "(2,)"]),
        (lambda: dc.sum(dc.vector("x", 3), axis=1), ["sum", "axis 1", "(3,)"]),
        (lambda: dc.matrix("A", 2, 3) * dc.matrix("B", 3, 2), ["mul", "(2, 3)", "(3, 2)"]),
    ],
)
def test_shape_errors_name_the_operation_and_both_shapes(build, words):
    with pytest.raises(dc.ShapeError) as info:
        build()
    assert isinstance(info.value, ValueError)
    for word in words:
        assert word in str(info.value)


def test_nodes_are_immutable():
    x = dc.vector("x", 3)
    e = dc.exp(x)
    with pytest.raises(AttributeError, match="immutable"):
        e.shape = (4,)
    with pytest.raises(AttributeError):
        x.op = "const"
    c = dc.const([1.0, 2.0])
    with pytest.raises(ValueError):
        c.value[0] = 5.0


def test_shared_subexpressions_form_a_dag():
    a, b = dc.scalar("a"), dc.scalar("b")
    c = a + b
    d = a * c
    nodes = toposort(d)
    assert sum(1 for n in nodes if n is a) == 1
    assert nodes[-1] is d
    assert nodes.index(a) < nodes.index(c) < nodes.index(d)


def test_toposort_survives_deep_graphs():
    x = dc.scalar("x")
    e = x
    for _ in range(5000):
        e = e + 1.0
    assert len(toposort(e)) > 5000
    assert float(dc.evaluate(e, {"x": 0.0})) == 5000.0


def test_one_name_two_shapes_is_an_error():
    with pytest.raises(dc.ShapeError, match="two shapes"):
        variables(dc.vector("x", 2) @ dc.vector("x", 2) + dc.scalar("x"))


def test_missing_and_unknown_names_are_listed():
    e = dc.scalar("a") * dc.vector("x", 2)
    with pytest.raises(ValueError, match=r"no value for 'x'.*variables are: a, x"):
        resolve_point(e, {"a": 1.0})
    with pytest.raises(ValueError, match=r"'xx', which the expression does not use; .*a, x"):
        resolve_point(e, {"a": 1.0, "x": [1, 2], "xx": 3})


def test_wrong_value_shape_names_variable_and_both_shapes():
    e = dc.matrix("W", 2, 3) @ dc.vector("x", 3)
    with pytest.raises(dc.ShapeError, match=r"'W' has shape \(3, 2\).*shape \(2, 3\)"):
        resolve_point(e, {"W": np.ones((3, 2)), "x": np.ones(3)})


def test_points_accept_var_keys():
    x = dc.vector("x", 2)
    assert np.allclose(dc.evaluate(2 * x, {x: [1.0, 2.0]}), [2.0, 4.0])


def test_expression_has_no_truth_value():
    with pytest.raises(TypeError, match="truth value"):
        bool(dc.scalar("a"))


def test_repr_reads_like_the_maths():
    a, b = dc.scalar("a"), dc.scalar("b")
    assert repr(a * (a + b)) == "<a * (a + b) shape=()>"
    assert "sigmoid(W @ x + b)" in repr(
        dc.sigmoid(dc.matrix("W", 2, 2) @ dc.vector("x", 2) + dc.vector("b", 2))
    )
    assert repr((a - b) - (a - b)) == "<a - b - (a - b) shape=()>"
