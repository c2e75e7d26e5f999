"""Gradient descent on tape gradients, the lecture's accumulation loop, and learning."""

import numpy as np
import pytest

import diffcheck as dc
from diffcheck import nn
from diffcheck.checking.tolerances import TOLERANCES
from diffcheck.lecture import training
from diffcheck.ops import REGISTRY


# ----- gradient descent -----
def test_gradient_descent_walks_down_a_quadratic():
    w = dc.vector("w", 2)
    target = np.array([1.0, -2.0])
    loss = dc.sum((w - target) ** 2)
    start = {"w": np.zeros(2)}
    trained = training.gradient_descent(loss, start, lr=0.1, steps=50)
    assert len(trained.losses) == 51
    assert trained.losses[0] == pytest.approx(5.0)
    # each step multiplies the error by (1 - 2·lr) = 0.8
    np.testing.assert_allclose(trained.at["w"], target * (1 - 0.8**50), rtol=1e-12)
    assert all(a > b for a, b in zip(trained.losses, trained.losses[1:]))
    np.testing.assert_array_equal(start["w"], [0.0, 0.0])  # the input is not modified


def test_gradient_descent_trains_only_wrt_and_reports_progress():
    w, x = dc.scalar("w"), dc.scalar("x")
    loss = (w * x - 3.0) ** 2
    seen = []
    trained = training.gradient_descent(
        loss, {w: 0.0, "x": 2.0}, lr=0.05, steps=4, wrt=[w], callback=lambda s, v: seen.append(s)
    )
    assert seen == [0, 1, 2, 3, 4]
    assert trained.at["x"] == 2.0 and trained.at["w"] != 0.0


@pytest.mark.parametrize("kwargs", [{"lr": 0.0, "steps": 3}, {"lr": -1.0, "steps": 3},
                                    {"lr": float("nan"), "steps": 3}, {"lr": 0.1, "steps": -1}])
def test_gradient_descent_rejects_bad_settings(kwargs):
    w = dc.scalar("w")
    with pytest.raises(ValueError):
        training.gradient_descent(w**2, {"w": 1.0}, **kwargs)


def test_gradient_descent_names_an_unknown_variable():
    w = dc.scalar("w")
    with pytest.raises(ValueError, match="'v'"):
        training.gradient_descent(w**2, {"w": 1.0}, lr=0.1, steps=1, wrt=["v"])


# ----- "Gaining efficiency": accumulate per sample, divide by m -----
def test_accumulated_per_sample_gradients_equal_the_batch_gradient_circle():
    X, y = training.circle_data(m=40, seed=3)
    params = {"w0": 1.3, "w1": 0.4, "w2": -0.2}
    weights = ["w0", "w1", "w2"]
    accumulated = training.accumulated_gradient(
        training.circle_sample_loss(), weights, params, training.circle_samples(X, y)
    )
    batch = dc.grad(training.circle_loss(X, y), weights, params)
    for w in weights:
        np.testing.assert_allclose(accumulated[w], batch[w], rtol=1e-12, atol=1e-15)
        # forgetting to divide by m is caught: the test can fail
        assert not np.allclose(accumulated[w] * len(X), batch[w], rtol=1e-3)


def test_accumulated_per_sample_gradients_equal_the_batch_gradient_mlp():
    rng = np.random.default_rng(4)
    net = nn.MLP([3, 4, 2], "tanh", None)
    params = net.init(4)
    X, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    x, t = dc.vector("x", 3), dc.vector("t", 2)
    per_sample = nn.half_sse(net(x), t)  # one row through the same Dense layers
    samples = [{"x": X[i], "t": Y[i]} for i in range(len(X))]
    accumulated = training.accumulated_gradient(per_sample, net.parameters(), params, samples)
    batch = dc.grad(nn.half_sse(net(X), Y) / len(X), net.parameters(), params)
    for v in net.parameters():
        np.testing.assert_allclose(accumulated[v.name], batch[v.name], rtol=1e-12, atol=1e-15)


def test_accumulated_gradient_needs_samples():
    with pytest.raises(ValueError, match="samples is empty"):
        training.accumulated_gradient(training.circle_sample_loss(), ["w0"], {"w0": 1.0}, [])


# ----- learning -----
def test_the_circle_classifier_learns_centre_and_radius():
    X, y = training.circle_data(m=200, seed=0)
    trained = training.train_circle(X, y, steps=300)
    (c1, c2), r = training.circle_from(trained.at)
    assert abs(c1 - training.CIRCLE_CENTRE[0]) < 0.15
    assert abs(c2 - training.CIRCLE_CENTRE[1]) < 0.15
    assert abs(r - training.CIRCLE_RADIUS) < 0.15
    assert trained.losses[-1] < 0.5 * trained.losses[0]


def test_circle_data_is_seeded_and_labelled_by_the_true_circle():
    X, y = training.circle_data(m=50, seed=9)
    X2, y2 = training.circle_data(m=50, seed=9)
    np.testing.assert_array_equal(X, X2)
    inside = np.hypot(X[:, 0] - 1.0, X[:, 1] + 0.5) < 1.5
    np.testing.assert_array_equal(y, (~inside).astype(float))


def test_xor_is_learned_from_a_random_start():
    trained = training.train_xor(seed=1, steps=400)
    out = dc.evaluate(nn.xor_mlp()(nn.XOR_INPUTS), trained.at)
    np.testing.assert_array_equal(np.round(out).ravel(), [0, 1, 1, 0])
    assert trained.losses[-1] < 0.05 < trained.losses[0]


def test_the_two_layer_relu_network_loss_falls():
    net = training.two_layer_relu(8, 20, 6, 3, seed=1)
    assert net.loss.shape == () and net.w1.shape == (20, 6) and net.w2.shape == (6, 3)
    assert net.x.shape == (8, 20) and net.y.shape == (8, 3)
    trained = training.gradient_descent(net.loss, net.at, lr=1e-3, steps=30)
    assert trained.losses[-1] < 0.1 * trained.losses[0]


# ----- the sampled check for networks too big for SymPy -----
def test_sampled_check_passes_for_the_tape_and_is_seeded():
    net = training.two_layer_relu(6, 30, 8, 3, seed=2)
    first = training.sampled_check(net.loss, [net.w1, net.w2], net.at, per_variable=6, seed=5)
    again = training.sampled_check(net.loss, ["w1", "w2"], net.at, per_variable=6, seed=5)
    assert first.ok, first
    assert len(first.entries) == 12
    assert [e.name for e in first.entries] == [e.name for e in again.entries]
    assert first.entries[0].name.startswith("∂loss/∂w1[")
    assert first.max_rel_error < 1e-5


def test_sampled_check_catches_a_broken_vjp(monkeypatch):
    net = training.two_layer_relu(6, 30, 8, 3, seed=2)
    monkeypatch.setattr(type(REGISTRY["relu"]), "vjp", staticmethod(lambda g, out, x: 2 * g * (x > 0)))
    report = training.sampled_check(net.loss, [net.w1, net.w2], net.at, per_variable=6, seed=5)
    assert not report.ok
    assert {e.name.split("[")[0] for e in report.mismatches} == {"∂loss/∂w1"}  # w2 is above relu
    assert "tape vs central differences" in str(report)


def test_sampled_check_runs_the_check_pipeline_on_its_sample():
    """Each entry is the pipeline's tape and numeric value, within the allowance it used."""
    net = training.two_layer_relu(6, 30, 8, 3, seed=2)
    sampled = training.sampled_check(net.loss, [net.w1, net.w2], net.at, per_variable=4, seed=1)
    report = dc.check(net.loss, [net.w1, net.w2], net.at, methods=("tape", "numeric"), name="loss")
    assert sampled.ok and len(sampled.entries) == 8
    assert sampled.numeric_kinds == ("central", "complex-step")  # relu below w1; w2 analytic
    assert "tape vs central differences and complex steps" in str(sampled)
    for entry in sampled.entries:
        wrt, index = entry.name.removeprefix("∂loss/∂").rstrip("]").split("[")
        ix = tuple(int(i) for i in index.split(","))
        tensors = report.jacobians[(0, wrt)]
        assert entry.tape == tensors["tape"][ix]
        assert entry.numeric == tensors["numeric"][ix]
        kind = report.numeric_kind[wrt]
        rtol, atol = TOLERANCES[(kind, "float64")]
        base = atol + rtol * abs(entry.tape)
        assert base <= entry.bound < 2 * base if kind == "central" else entry.bound == base
        assert abs(entry.tape - entry.numeric) <= entry.bound


def test_sampled_check_of_an_analytic_loss_uses_complex_steps_and_the_table():
    W, b = dc.matrix("W", 5, 4), dc.vector("b", 4)
    X = np.random.default_rng(0).standard_normal((3, 5))
    loss = dc.sum(dc.tanh(X @ W + b) ** 2)
    at = {"W": np.random.default_rng(1).standard_normal((5, 4)), "b": np.zeros(4)}
    sampled = training.sampled_check(loss, [W, b], at, per_variable=30, seed=0)
    assert sampled.ok and sampled.numeric_kinds == ("complex-step",)
    assert len(sampled.entries) == 20 + 4  # every element when the sample covers the variable
    rtol, atol = TOLERANCES[("complex-step", "float64")]
    assert all(e.bound == pytest.approx(atol + rtol * abs(e.tape)) for e in sampled.entries)
    loose = training.sampled_check(loss, [W], at, per_variable=3, rtol=0.5, atol=0.0)
    assert all(e.bound == pytest.approx(0.5 * abs(e.tape)) for e in loose.entries)


def test_sampled_check_lists_kinks_apart_and_needs_a_scalar_loss():
    x = dc.vector("x", 3)
    sampled = training.sampled_check(dc.sum(dc.relu(x)), [x], {"x": [0.0, 1.0, -2.0]}, per_variable=3)
    assert [k.index for k in sampled.kinks] == [(0,)]
    assert [e.name for e in sampled.entries] == ["∂loss/∂x[1]", "∂loss/∂x[2]"] and sampled.ok
    with pytest.raises(ValueError, match="scalar loss"):
        training.sampled_check(dc.relu(x), [x], {"x": [0.0, 1.0, -2.0]})
