"""SymPy at scale: per-node SymPy derivatives composed by the chain rule."""

import ast
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import diffcheck as dc
from diffcheck.backends import symbolic, sympy_chain, sympy_per_node
from diffcheck.checking import compare
from diffcheck.strategies import expressions, points

SOURCE = Path(sympy_per_node.__file__)


def test_reads_no_vjp_of_the_tape():
    tree = ast.parse(SOURCE.read_text())
    attributes = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert not {a for a in attributes if "vjp" in a}
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert "tape" not in names


@pytest.mark.parametrize("shape_x", [(3,), (2, 3)])
def test_matches_the_closed_form_through_matmul_and_elementwise_ops(shape_x):
    W, b = dc.matrix("W", 3, 4), dc.vector("b", 4)
    X = dc.Var("X", shape_x)
    y = dc.sum(dc.tanh(X @ W + b) ** 2) / 3.0 - dc.mean(dc.sigmoid(X @ W).T)
    rng = np.random.default_rng(0)
    at = {"W": rng.standard_normal((3, 4)), "b": rng.standard_normal(4),
          "X": rng.standard_normal(shape_x)}
    for var in (W, b, X):
        np.testing.assert_allclose(
            sympy_per_node.jacobian(y, var, at), symbolic.jacobian(y, var, at), rtol=1e-12, atol=1e-14
        )


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_agrees_with_the_closed_form_on_random_expressions(data):
    variables = [dc.scalar("a"), dc.vector("x", 3), dc.matrix("W", 2, 3)]
    expr = data.draw(expressions(variables, max_leaves=5))
    at = data.draw(points(expr))
    for name in at:
        var = dc.Var(name, at[name].shape)
        with np.errstate(all="ignore"):
            np.testing.assert_allclose(
                sympy_per_node.jacobian(expr, var, at), symbolic.jacobian(expr, var, at),
                rtol=1e-9, atol=1e-11,
            )


def test_large_problems_switch_routes_and_say_so(monkeypatch):
    monkeypatch.setattr(compare, "SYMPY_ELEMENTWISE_TERMS", 100)
    monkeypatch.setattr(compare, "NUMERIC_COLUMNS", 10)
    W, x = dc.matrix("W", 8, 6), dc.vector("x", 6)
    report = dc.check(dc.sum(dc.relu(W @ x) ** 2), [W, x])  # a tree: its matrix-notation form
    assert report.ok, str(report)
    assert any("by its closed form in matrix notation" in n and "Wᵀ" not in n for n in report.notes)
    assert any("a seeded sample of 10 of the 48 elements of W" in n for n in report.notes)
    h = dc.relu(W @ x)  # read twice: no whole-array form, SymPy's per-node derivatives
    report = dc.check(dc.sum(h ** 2) + dc.sum(h), [W, x])
    assert report.ok, str(report)
    assert any("composed by the chain rule" in n for n in report.notes)


def test_the_lecture_network_at_full_size_is_checked_three_ways():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((64, 1000)), rng.standard_normal((64, 10))
    w1, w2 = dc.matrix("w1", 1000, 100), dc.matrix("w2", 100, 10)
    loss = dc.sum((dc.relu(x @ w1) @ w2 - y) ** 2)
    report = dc.check(loss, [w1, w2], n_points=1)
    assert report.ok, str(report)
    assert report.compared == 100_000 + 1000
    assert any("∂y/∂w1 by its closed form in matrix notation" in n and "relu′(C₀ w₁)" in n
               for n in report.notes), report.notes


def test_sampled_numeric_still_catches_a_wrong_tape(monkeypatch):
    from diffcheck.ops import REGISTRY

    monkeypatch.setattr(compare, "NUMERIC_COLUMNS", 5)
    monkeypatch.setattr(type(REGISTRY["tanh"]), "vjp", staticmethod(lambda g, out, x: g * out))
    W, x = dc.matrix("W", 4, 5), dc.vector("x", 5)
    report = dc.check(dc.sum(dc.tanh(W @ x)), W, n_points=1)
    assert not report.ok and len(report.mismatches) == 20
    assert sum(not np.isnan(m.values["numeric"]) for m in report.mismatches) == 5


@pytest.mark.parametrize("name, axis", [("layer_norm", -1), ("layer_norm", (0, 2)), ("softmax", 1),
                                        ("log_softmax", 0), ("softmax", (0, 1, 2))])
def test_group_by_group_ops_lower_one_group_and_agree_with_the_closed_form(name, axis, monkeypatch):
    """A row-wise op is lowered for one group; the result matches the whole closed form."""
    x = dc.Var("x", (2, 3, 4))
    y = dc.sum(getattr(dc.nn, name)(x, axis=axis) * np.arange(24.0).reshape(2, 3, 4))
    at = {"x": np.random.default_rng(5).normal(size=(2, 3, 4))}
    lowered_shapes = []
    original = sympy_chain.chain_jacobian

    def spy(record, k, shapes, params, constants=None):
        lowered_shapes.append(tuple(map(tuple, shapes)))
        return original(record, k, shapes, params, constants)

    monkeypatch.setattr(sympy_chain, "chain_jacobian", spy)
    np.testing.assert_allclose(sympy_per_node.gradient(y, x, at), symbolic.jacobian(y, x, at),
                               rtol=1e-10, atol=1e-12)
    whole = axis == (0, 1, 2)
    assert lowered_shapes and all((s == ((2, 3, 4),)) is whole for s in lowered_shapes)
