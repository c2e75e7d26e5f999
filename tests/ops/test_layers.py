"""The layer ops of ``dc.nn``: softmax, log_softmax, layer_norm, cross_entropy (and logsumexp).

Values against NumPy references (also at ±1000), the three-way check, the gradient of
cross-entropy against ``(softmax − onehot)/N``, planted slips caught, clear errors.
"""

import importlib
import os
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

import diffcheck as dc
from diffcheck import nn
from diffcheck.checking import compare
from diffcheck.ops import REGISTRY
from diffcheck.ops.layers import CrossEntropy, LayerNorm, Softmax

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
RNG = np.random.default_rng(20)


def np_softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_log_softmax(z, axis=-1):
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def np_layer_norm(x, axis=-1, eps=1e-5):
    mu = x.mean(axis=axis, keepdims=True)
    return (x - mu) / np.sqrt(x.var(axis=axis, keepdims=True) + eps)


def np_cross_entropy(z, labels, reduction="mean"):
    picked = np.take_along_axis(np_log_softmax(z), np.asarray(labels)[..., None], -1)[..., 0]
    return -picked.mean() if reduction == "mean" else -picked.sum()


def value(expr, **at):
    return dc.evaluate(expr, at)


# ----- values against NumPy -----
@pytest.mark.parametrize("axis", [-1, 0, 1, (0, 2), None])
def test_softmax_and_log_softmax_equal_numpy(axis):
    x = RNG.normal(size=(2, 3, 4)) * 3
    X = dc.Var("x", x.shape)
    np.testing.assert_allclose(value(nn.softmax(X, axis=axis), x=x), np_softmax(x, axis), rtol=1e-14)
    np.testing.assert_allclose(value(nn.log_softmax(X, axis=axis), x=x), np_log_softmax(x, axis),
                               rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("axis", [-1, 0, (0, 1)])
def test_softmax_slices_sum_to_one(axis):
    x = RNG.normal(size=(3, 5)) * 10
    total = value(nn.softmax(dc.matrix("x", 3, 5), axis=axis), x=x).sum(axis=axis)
    np.testing.assert_allclose(total, 1.0, rtol=1e-14)


@pytest.mark.parametrize("axis, eps", [(-1, 1e-5), (0, 0.5), ((0, 1), 0.0), (None, 1e-5)])
def test_layer_norm_equals_numpy(axis, eps):
    x = RNG.normal(size=(4, 6)) * 2 + 1
    got = value(nn.layer_norm(dc.matrix("x", 4, 6), axis=axis, eps=eps), x=x)
    np.testing.assert_allclose(got, np_layer_norm(x, axis, eps), rtol=1e-13, atol=1e-14)


def test_layer_norm_with_affine_parameters_written_out():
    x, gamma, beta = RNG.normal(size=(3, 4)), RNG.normal(size=4), RNG.normal(size=4)
    X, G, B = dc.matrix("x", 3, 4), dc.vector("gamma", 4), dc.vector("beta", 4)
    got = value(nn.layer_norm(X) * G + B, x=x, gamma=gamma, beta=beta)
    np.testing.assert_allclose(got, np_layer_norm(x) * gamma + beta, rtol=1e-13)


@pytest.mark.parametrize("shape", [(4, 3), (5,), (2, 3, 4)])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_equals_the_numpy_formula(shape, reduction):
    z = RNG.normal(size=shape) * 2
    labels = RNG.integers(0, shape[-1], size=shape[:-1])
    loss = nn.cross_entropy(dc.Var("z", shape), labels, reduction=reduction)
    assert loss.shape == ()
    assert float(value(loss, z=z)) == pytest.approx(np_cross_entropy(z, labels, reduction), rel=1e-13)


def test_log_softmax_is_log_of_softmax_and_logsumexp_shift():
    x = RNG.normal(size=(3, 4))
    X = dc.matrix("x", 3, 4)
    np.testing.assert_allclose(value(nn.log_softmax(X), x=x), np.log(value(nn.softmax(X), x=x)), rtol=1e-13)


# ----- stability far out -----
BIG = np.array([[1000.0, 0.0, -1000.0], [-1000.0, -999.0, -1001.0]])


def test_forwards_are_finite_and_exact_at_plus_minus_1000():
    X = dc.matrix("x", 2, 3)
    with np.errstate(all="raise"):  # an overflow anywhere would raise here
        s = value(nn.softmax(X), x=BIG)
        ls = value(nn.log_softmax(X), x=BIG)
        ce = float(value(nn.cross_entropy(X, [2, 1]), x=BIG))
    np.testing.assert_allclose(s, np_softmax(BIG), rtol=1e-15)
    assert ls[0, 2] == -2000.0 and ls[0, 0] == 0.0
    np.testing.assert_allclose(ls, np_log_softmax(BIG), rtol=1e-15)
    assert ce == pytest.approx((2000.0 + np.log1p(np.exp(-1.0) + np.exp(-2.0))) / 2, rel=1e-15)
    shifted = RNG.normal(size=(2, 3)) + 1000.0
    np.testing.assert_allclose(value(nn.layer_norm(X), x=shifted), np_layer_norm(shifted), rtol=1e-9)


def test_gradients_are_finite_and_right_at_plus_minus_1000():
    X = dc.matrix("x", 2, 3)
    onehot = np.eye(3)[[2, 1]]
    g = dc.grad(nn.cross_entropy(X, [2, 1]), X, {"x": BIG})
    np.testing.assert_allclose(g, (np_softmax(BIG) - onehot) / 2, rtol=1e-14, atol=1e-300)
    C = RNG.normal(size=(2, 3))
    g = dc.grad(dc.sum(C * nn.log_softmax(X)), X, {"x": BIG})
    np.testing.assert_allclose(g, C - np_softmax(BIG) * C.sum(axis=1, keepdims=True), rtol=1e-13)
    for layer in (nn.softmax, nn.log_softmax, nn.layer_norm):
        report = dc.check(dc.sum(C * layer(X)), X, {"x": BIG})
        assert report.ok, report


# ----- three ways -----
CASES = {
    "softmax": lambda X: nn.softmax(X, axis=-1),
    "softmax axis 0": lambda X: nn.softmax(X, axis=0),
    "log_softmax": lambda X: nn.log_softmax(X),
    "log_softmax tuple": lambda X: nn.log_softmax(X, axis=(0, 1)),
    "layer_norm": lambda X: nn.layer_norm(X),
    "layer_norm tuple": lambda X: nn.layer_norm(X, axis=(0, 1), eps=0.1),
    "cross_entropy": lambda X: nn.cross_entropy(X, [1, 0, 3]),
    "cross_entropy sum": lambda X: nn.cross_entropy(X, [2, 2, 0], reduction="sum"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_three_methods_agree(case):
    X = dc.matrix("X", 3, 4)
    C = np.arange(12.0).reshape(3, 4) / 7 - 0.5
    expr = CASES[case](X)
    report = dc.check(expr if expr.shape == () else dc.sum(C * expr), X, seed=4)
    assert report.ok, report
    assert set(report.methods) == {"sympy", "tape", "numeric"} and report.compared == 3 * 12


def test_batched_softmax_over_the_last_axis_agrees_three_ways():
    S = dc.Var("S", (2, 3, 3))  # attention scores of two heads
    report = dc.check(dc.sum(nn.softmax(S) * np.arange(18.0).reshape(2, 3, 3)), S, seed=1)
    assert report.ok, report


def test_the_per_node_sympy_route_lowers_the_layer(monkeypatch):
    monkeypatch.setattr(compare, "SYMPY_ELEMENTWISE_TERMS", 4)
    X = dc.matrix("X", 5, 3)
    report = dc.check(dc.sum(nn.layer_norm(X) * np.arange(15.0).reshape(5, 3)), X, n_points=1)
    assert report.ok and any("per-node" in note for note in report.notes), report


def test_lowered_terms_count_n_by_n_per_row():
    assert REGISTRY["softmax"].lowered_terms((4, 5), (4, 5), axis=1) == 4 * 5 * 5
    assert REGISTRY["layer_norm"].lowered_terms((4, 5), (4, 5), axis=(0, 1), eps=0.0) == 20 * 20
    assert REGISTRY["cross_entropy"].lowered_terms((), (4, 5), labels=(0,) * 4, reduction="mean") == 20


# ----- cross-entropy's gradient, and slips caught -----
LABELS = np.array([0, 2, 1, 2])


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    z = RNG.normal(size=(4, 3))
    Z = dc.matrix("z", 4, 3)
    onehot = np.eye(3)[LABELS]
    np.testing.assert_allclose(dc.grad(nn.cross_entropy(Z, LABELS), Z, {"z": z}),
                               (np_softmax(z) - onehot) / 4, rtol=1e-14)
    np.testing.assert_allclose(dc.grad(nn.cross_entropy(Z, LABELS, "sum"), Z, {"z": z}),
                               np_softmax(z) - onehot, rtol=1e-14)
    claim = lambda z: (np_softmax(z) - onehot) / 4  # noqa: E731
    assert dc.check_gradient(nn.cross_entropy(Z, LABELS), Z, claim).ok


def test_a_claim_that_forgets_the_one_over_n_is_caught_with_a_hint():
    Z = dc.matrix("z", 4, 3)
    forgot = lambda z: np_softmax(z) - np.eye(3)[LABELS]  # noqa: E731
    report = dc.check_gradient(nn.cross_entropy(Z, LABELS), Z, forgot)
    assert not report.ok
    assert "factor: the claim is 4 times the derivative" in report.hints, report.hints


@pytest.mark.parametrize("record, wrong", [
    (Softmax, lambda g, out, x, axis=-1: out * g),  # the row sum forgotten
    (LayerNorm, lambda g, out, x, axis=-1, eps=1e-5: g / np.sqrt(x.var(axis=-1, keepdims=True) + eps)),
    (CrossEntropy, lambda g, out, x, labels=None, reduction="mean": np.multiply.outer(g, np_softmax(x))),
])
def test_a_planted_vjp_slip_is_caught_and_localised(record, wrong):
    X = dc.matrix("X", 3, 4)
    expr = nn.cross_entropy(X, [0, 1, 3]) if record is CrossEntropy else dc.sum(
        np.arange(12.0).reshape(3, 4) * apply_record(record, X))
    with mock.patch.object(record, "vjp", staticmethod(wrong)):
        report = dc.check(expr, X)
    assert not report.ok and report.hints[0].startswith("blame: tape disagrees")
    assert any(h.startswith(f"node: tape VJP of {record.name}") for h in report.hints), report.hints


def apply_record(record, X):
    return {"softmax": nn.softmax, "layer_norm": nn.layer_norm}[record.name](X)


# ----- params and errors -----
def test_labels_are_canonical_and_hashable():
    Z = dc.matrix("z", 3, 2)
    forms = [[1, 0, 1], (1, 0, 1), np.array([1, 0, 1]), np.array([1.0, 0.0, 1.0]), dc.const([1, 0, 1])]
    params = {nn.cross_entropy(Z, labels).params for labels in forms}
    assert params == {(("labels", (1, 0, 1)), ("reduction", "mean"))}
    assert nn.softmax(Z, axis=[-1]).params == nn.softmax(Z, axis=1).params == (("axis", 1),)
    assert nn.cross_entropy(dc.vector("v", 3), np.int64(2)).params[0] == ("labels", 2)


@pytest.mark.parametrize("labels, error, words", [
    ([0, 3, 1], ValueError, r"label 3 at index \(1,\) is not in range.*0\.\.2 \(C = 3\)"),
    ([0, -1, 1], ValueError, r"label -1 at index \(1,\).*C = 3"),
    ([0, 1.5, 1], ValueError, r"label 1.5 at index \(1,\) is not an integer.*C = 3"),
    ([True, False, True], ValueError, r"labels must be integer class indices 0\.\.2 \(C = 3\)"),
    (["a", "b", "c"], ValueError, r"labels must be integer class indices"),
    ([[0, 1], [2]], ValueError, r"labels must be integer class indices"),
    ([0, 1], dc.ShapeError, r"labels of shape \(2,\) do not fit logits of shape \(3, 3\).*\(3,\)"),
])
def test_bad_labels_are_clear_errors_naming_the_label_and_c(labels, error, words):
    with pytest.raises(error, match=words):
        nn.cross_entropy(dc.matrix("z", 3, 3), labels)


def test_other_cross_entropy_misuse_is_refused():
    with pytest.raises(TypeError, match="labels must be constant integer class indices"):
        nn.cross_entropy(dc.matrix("z", 3, 3), dc.vector("y", 3))
    with pytest.raises(ValueError, match=r"reduction must be 'mean' or 'sum', got 'none'"):
        nn.cross_entropy(dc.matrix("z", 3, 3), [0, 1, 2], reduction="none")
    with pytest.raises(dc.ShapeError, match=r"class axis last.*got shape \(\)"):
        nn.cross_entropy(dc.scalar("s"), 0)


@pytest.mark.parametrize("layer", [nn.softmax, nn.log_softmax, nn.layer_norm])
@pytest.mark.parametrize("axis, error, words", [
    (2, dc.ShapeError, r"axis 2 is out of range for shape \(3, 4\)"),
    (-3, dc.ShapeError, r"axis -3 is out of range"),
    ((), dc.ShapeError, r"axis=\(\) names no axis of shape \(3, 4\)"),
    ((0, 0), dc.ShapeError, r"repeated axis"),
    (1.0, TypeError, r"axis must be an int, a tuple of ints or None, got 1.0"),
    (True, TypeError, r"axis must be an int"),
])
def test_bad_axes_are_clear_errors_naming_the_op(layer, axis, error, words):
    with pytest.raises(error, match=f"{layer.__name__}: {words}"):
        layer(dc.matrix("x", 3, 4), axis=axis)


def test_a_scalar_has_no_axis_and_eps_must_be_a_number():
    with pytest.raises(dc.ShapeError, match=r"softmax: axis -1 is out of range for shape \(\)"):
        nn.softmax(dc.scalar("s"))
    for eps in (-1e-5, float("nan"), "1e-5"):
        with pytest.raises(ValueError, match="layer_norm: eps must be a finite number >= 0"):
            nn.layer_norm(dc.vector("x", 3), eps=eps)


def test_printing():
    X = dc.matrix("X", 2, 3)
    assert repr(nn.softmax(X)) == "<softmax(X, axis=1) shape=(2, 3)>"
    assert repr(nn.cross_entropy(X, [0, 2], "sum")) == "<cross_entropy(X, reduction=sum) shape=()>"


def test_the_layers_are_in_nn_not_at_the_top_level():
    for name in ("softmax", "log_softmax", "layer_norm", "cross_entropy"):
        assert not REGISTRY[name].public and name not in dc.__all__ and name in nn.__all__
    assert "row_softmax" not in REGISTRY  # the throwaway op of test_adding_an_op stays its own


# ----- softmax_cross_entropy, logsumexp -----
def test_softmax_cross_entropy_is_built_on_log_softmax():
    from diffcheck.ir import toposort

    loss = nn.softmax_cross_entropy(dc.matrix("z", 2, 3), np.eye(3)[[0, 2]])
    assert "log_softmax" in {node.op for node in toposort(loss) if hasattr(node, "op")}


def test_nn_logsumexp_is_the_logsumexp_op_over_the_last_axis():
    z = RNG.normal(size=(3, 4))
    e = nn.logsumexp(dc.matrix("z", 3, 4))
    assert e.op == "logsumexp" and e.shape == (3,)
    np.testing.assert_allclose(value(e, z=z), np.log(np.exp(z).sum(axis=-1)), rtol=1e-13)


# ----- the benchmark's baseline computes what it claims -----
def test_layer_norm_benchmark_baseline_is_the_tape_gradient():
    with mock.patch.dict(os.environ), mock.patch.object(sys, "path", [str(BENCHMARKS), *sys.path]):
        bench = importlib.import_module("layer_norm_vs_numpy")
    loss, wrt, at, y = bench.layer_norm_problem(batch=8, features=16)
    ours = dc.grad(loss, list(wrt), at)
    theirs = bench.numpy_layer_norm(at["x"], at["gamma"], at["beta"], y)
    for got, var in zip(theirs, wrt, strict=True):
        np.testing.assert_allclose(got, ours[var.name], rtol=1e-10, atol=1e-12)
