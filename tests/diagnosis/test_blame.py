"""Blame among the methods, and localisation of a wrong VJP to its node."""

import numpy as np
import pytest

import diffcheck as dc
from diffcheck.diagnosis.localize import first_wrong_node
from diffcheck.ops import REGISTRY


def test_a_planted_wrong_vjp_is_localised_to_its_node(monkeypatch):
    W, x, b = dc.matrix("W", 2, 3), dc.vector("x", 3), dc.vector("b", 2)
    y = dc.sum(dc.tanh(dc.sigmoid(W @ x + b) * 2.0))
    monkeypatch.setattr(type(REGISTRY["sigmoid"]), "vjp", staticmethod(lambda g, out, x: g * out))
    report = dc.check(y, [W, b])
    assert not report.ok
    blame = [h for h in report.hints if h.startswith("blame:")]
    assert blame == [
        "blame: tape disagrees with SymPy's closed form at 24 element(s); sympy and numeric agree"
    ]
    (node,) = [h for h in report.hints if h.startswith("node:")]
    assert "tape VJP of sigmoid at node" in node and "sigmoid(W @ x + b)" in node


def test_localisation_finds_the_first_of_two_nodes_with_the_same_op(monkeypatch):
    x = dc.vector("x", 3)
    y = dc.sum(dc.exp(dc.exp(x) * 0.5))
    monkeypatch.setattr(type(REGISTRY["exp"]), "vjp", staticmethod(lambda g, out, x: g * out * 1.5))
    found = first_wrong_node(y, x, {"x": np.array([0.1, 0.2, 0.3])})
    assert found is not None and found.op == "exp" and found.text == "exp(x)"


def test_localisation_finds_a_wrong_binary_rule(plant_matmul_bug):
    W, x = dc.matrix("W", 2, 3), dc.vector("x", 3)
    plant_matmul_bug(2.0, inputs=(1,))
    found = first_wrong_node(dc.tanh(W @ x), x, {"W": np.ones((2, 3)), "x": np.ones(3)})
    assert found.op == "matmul" and found.input_index == 1


def test_a_correct_tape_is_not_localised():
    W, x = dc.matrix("W", 2, 3), dc.vector("x", 3)
    point = {"W": np.arange(6.0).reshape(2, 3) / 5, "x": np.array([0.2, -0.4, 0.9])}
    assert first_wrong_node(dc.sum(dc.sigmoid(W @ x) ** 2), W, point) is None


def test_numeric_is_blamed_when_only_it_is_off(monkeypatch):
    from diffcheck.backends import numeric

    x = dc.vector("x", 2)
    monkeypatch.setattr(numeric, "COMPLEX_STEP", 1e-1)  # a far too large step
    report = dc.check(dc.exp(3.0 * x), x)
    assert not report.ok
    assert [h for h in report.hints if h.startswith("blame:")] == [
        "blame: numeric disagrees with SymPy's closed form at 6 element(s); sympy and tape agree"
    ]
    assert not [h for h in report.hints if h.startswith("node:")]


def test_a_stiff_closed_form_is_blamed_not_the_tape():
    z = dc.scalar("z")
    for value in (10.0, 20.0, 30.0):
        report = dc.check(-dc.log(1.0 - dc.sigmoid(z)), z, {"z": value})
        assert report.ok
        assert not any("blame: tape" in h for h in report.hints)
    assert any("SymPy's closed form" in n and "ill-conditioned" in n for n in report.notes)


def test_a_stable_formulation_stays_accurate_for_every_method():
    z = dc.scalar("z")
    softplus = dc.relu(z) + dc.log(1.0 + dc.exp(-dc.abs(z)))  # = -log(1 - sigmoid(z))
    report = dc.check(softplus, z, {"z": 30.0})
    assert report.ok and not report.notes
    assert report.max_rel_error < 1e-10  # central differences: relu and abs are on the path


@pytest.mark.parametrize("report_kind", ["check", "check_gradient"])
def test_diagnosis_never_changes_a_passing_verdict(report_kind):
    x = dc.vector("x", 2)
    y = dc.sum(dc.sin(x))
    report = dc.check(y, x) if report_kind == "check" else dc.check_gradient(y, x, "[cos(x[0]), cos(x[1])]")
    assert report.ok and report.hints == []


def test_nodes_too_large_to_lower_are_left_out_of_the_search(monkeypatch, plant_matmul_bug):
    from diffcheck.diagnosis import localize

    monkeypatch.setattr(localize, "MAX_TERMS", 10)
    plant_matmul_bug(0.0)
    W, x = dc.matrix("W", 4, 5), dc.vector("x", 5)
    assert first_wrong_node(dc.tanh(W @ x), x, {"W": np.ones((4, 5)), "x": np.ones(5)}) is None
