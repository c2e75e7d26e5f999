"""dc.nn: Dense and MLP in row notation, initialisation, losses, and the XOR net."""

import zlib

import numpy as np
import pytest

import diffcheck as dc
from diffcheck import nn


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# ----- Dense -----
def test_dense_is_row_notation_on_a_batch_and_on_a_single_row():
    rng = np.random.default_rng(0)
    layer = nn.Dense(3, 4, "tanh", name="l1")
    at = {"W_l1": rng.normal(size=(3, 4)), "b_l1": rng.normal(size=4)}
    X = rng.normal(size=(5, 3))
    batch, row = layer(X), layer(X[2])
    assert batch.shape == (5, 4) and row.shape == (4,)
    expected = np.tanh(X @ at["W_l1"] + at["b_l1"])  # b broadcast over the rows
    np.testing.assert_allclose(dc.evaluate(batch, at), expected, rtol=1e-14)
    np.testing.assert_allclose(dc.evaluate(row, at), expected[2], rtol=1e-14)


def test_dense_names_its_variables_after_the_layer():
    layer = nn.Dense(2, 3, name="hidden")
    assert [(v.name, v.shape) for v in layer.parameters()] == [("W_hidden", (2, 3)), ("b_hidden", (3,))]
    assert layer.W is layer.parameters()[0]


def test_dense_works_on_a_variable_input():
    layer = nn.Dense(3, 2, "sigmoid")
    x = dc.vector("x", 3)
    report = dc.check(layer(x), [x, layer.W, layer.b], seed=2)
    assert report.ok, report


@pytest.mark.parametrize("shape", [(5, 4), (4,), (3, 5, 3), ()])
def test_dense_rejects_inputs_of_the_wrong_size(shape):
    layer = nn.Dense(3, 2, name="l1")
    with pytest.raises(dc.ShapeError, match=r"Dense 'l1'.*W_l1.*\(3, 2\)"):
        layer(np.zeros(shape))


@pytest.mark.parametrize("bad", ["softmax", "ReLU", "", 3])
def test_unknown_activation_is_a_value_error_naming_the_allowed_ones(bad):
    for build in (lambda: nn.Dense(2, 2, bad), lambda: nn.MLP([2, 2], bad),
                  lambda: nn.MLP([2, 2], "relu", output_activation=bad)):
        with pytest.raises(ValueError, match="unknown activation") as info:
            build()
        for name in ("'identity'", "'relu'", "'sigmoid'", "'tanh'"):
            assert name in str(info.value)


@pytest.mark.parametrize("sizes", [[3], [], [3, 0, 2], [3, -1], [2.5, 2], [True, 2]])
def test_mlp_rejects_bad_sizes(sizes):
    with pytest.raises(ValueError):
        nn.MLP(sizes)


def test_dense_rejects_bad_sizes():
    with pytest.raises(ValueError, match="n_out must be a positive int"):
        nn.Dense(3, 0)


# ----- MLP -----
def test_mlp_builds_the_network_layer_by_layer():
    rng = np.random.default_rng(1)
    net = nn.MLP([3, 4, 2], activation="relu", output_activation=None, name="net")
    names = [v.name for v in net.parameters()]
    assert names == ["W_net1", "b_net1", "W_net2", "b_net2"]
    at = {v.name: rng.normal(size=v.shape) for v in net.parameters()}
    X = rng.normal(size=(6, 3))
    hidden = np.maximum(X @ at["W_net1"] + at["b_net1"], 0.0)
    expected = hidden @ at["W_net2"] + at["b_net2"]  # None: identity output
    out = net(X)
    assert out.shape == (6, 2)
    np.testing.assert_allclose(dc.evaluate(out, at), expected, rtol=1e-13)
    assert net(X[0]).shape == (2,)


def test_mlp_rejects_an_input_of_the_wrong_width():
    net = nn.MLP([3, 4, 2])
    with pytest.raises(dc.ShapeError, match=r"\(5, 2\).*expected \(3,\) or \(m, 3\)"):
        net(np.zeros((5, 2)))


def test_init_is_seeded_and_never_touches_the_global_rng():
    net = nn.MLP([3, 4, 2], "tanh")
    state = np.random.get_state()[1].copy()
    first, again, other = net.init(7), net.init(7), net.init(8)
    assert np.array_equal(np.random.get_state()[1], state)
    assert set(first) == {v.name for v in net.parameters()}
    for name in first:
        assert first[name].shape == dict((v.name, v.shape) for v in net.parameters())[name]
        np.testing.assert_array_equal(first[name], again[name])
    assert not np.array_equal(first["W_net1"], other["W_net1"])
    assert not np.any(first["b_net1"]) and not np.any(first["b_net2"])


@pytest.mark.parametrize(
    "activation, expected_std",
    [("relu", np.sqrt(2 / 400)), ("sigmoid", np.sqrt(2 / 700)), ("tanh", np.sqrt(2 / 700)),
     ("identity", np.sqrt(2 / 700))],
)
def test_init_scale_is_he_for_relu_and_glorot_otherwise(activation, expected_std):
    W = nn.Dense(400, 300, activation).init(0)["W_l1"]
    assert abs(W.std() / expected_std - 1) < 0.02
    assert abs(W.mean()) < 0.01 * expected_std * 10


def test_init_accepts_a_generator():
    net = nn.MLP([2, 3, 1])
    a = net.init(np.random.default_rng(3))
    b = net.init(np.random.default_rng(3))
    np.testing.assert_array_equal(a["W_net2"], b["W_net2"])


# ----- losses: values -----
def test_half_sse_is_the_lecture_error_and_mse_its_mean():
    rng = np.random.default_rng(2)
    yhat, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    assert float(dc.evaluate(nn.half_sse(yhat, y), {})) == pytest.approx(0.5 * np.sum((yhat - y) ** 2))
    assert float(dc.evaluate(nn.mse(yhat, y), {})) == pytest.approx(np.mean((yhat - y) ** 2))


def test_binary_cross_entropy_from_probabilities_and_from_logits_agree():
    rng = np.random.default_rng(3)
    z, y = rng.normal(size=(5, 2)) * 3, rng.integers(0, 2, size=(5, 2)).astype(float)
    p = sigmoid(z)
    expected = np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p))
    assert float(dc.evaluate(nn.binary_cross_entropy(p, y), {})) == pytest.approx(expected, rel=1e-12)
    logits = nn.binary_cross_entropy(z, y, from_logits=True)
    assert float(dc.evaluate(logits, {})) == pytest.approx(expected, rel=1e-12)


def test_softmax_cross_entropy_matches_numpy_for_a_batch_and_a_row():
    rng = np.random.default_rng(4)
    z = rng.normal(size=(4, 3)) * 2
    y = np.eye(3)[[0, 2, 1, 2]]
    expected = -np.mean(np.sum(y * np.log(softmax(z)), axis=1))
    assert float(dc.evaluate(nn.softmax_cross_entropy(z, y), {})) == pytest.approx(expected, rel=1e-12)
    row = nn.softmax_cross_entropy(z[1], y[1])
    assert row.shape == ()
    assert float(dc.evaluate(row, {})) == pytest.approx(-np.log(softmax(z[1])[2]), rel=1e-12)


@pytest.mark.parametrize("k", [1, 2, 3, 5, 8])
def test_row_max_is_the_maximum_of_each_row(k):
    z = np.random.default_rng(k).normal(size=(4, k)) * 10
    np.testing.assert_allclose(dc.evaluate(nn.row_max(z), {}), z.max(axis=1), rtol=1e-14)


@pytest.mark.parametrize("loss", [nn.half_sse, nn.mse, nn.binary_cross_entropy, nn.softmax_cross_entropy])
def test_a_target_of_another_shape_is_a_shape_error(loss):
    yhat = dc.matrix("yhat", 4, 2)
    with pytest.raises(dc.ShapeError, match=r"\(4, 2\).*\(4,\)"):
        loss(yhat, np.zeros(4))  # would silently broadcast to (4, 4) otherwise


# ----- losses: stability far out in the tails -----
def test_logit_losses_stay_finite_and_accurate_for_large_logits():
    z = dc.vector("z", 4)
    y = np.array([0.0, 1.0, 1.0, 0.0])
    at = {"z": np.array([-40.0, 40.0, -800.0, 800.0])}
    loss = nn.binary_cross_entropy(z, y, from_logits=True)
    assert float(dc.evaluate(loss, at)) == pytest.approx((800 + 800) / 4, rel=1e-12)
    g = dc.grad(loss, z, at)
    exact = np.array([sigmoid(-40.0), -sigmoid(-40.0), -1.0, 1.0]) / 4  # σ(z) − y, tiny ends exact
    np.testing.assert_allclose(g, exact, rtol=1e-12)


def test_softplus_slope_is_one_half_at_zero():
    z = dc.vector("z", 3)
    g = dc.grad(dc.sum(nn.softplus(z)), z, {"z": np.array([0.0, 1.0, -1.0])})
    np.testing.assert_allclose(g, sigmoid(np.array([0.0, 1.0, -1.0])), rtol=1e-15)


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    z = dc.matrix("z", 2, 3)
    y = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    big = np.array([[1000.0, 0.0, -1000.0], [50.0, 49.0, -30.0]])
    value = float(dc.evaluate(nn.softmax_cross_entropy(z, y), {"z": big}))
    expected = np.mean([0.0, 50 + np.log1p(np.exp(-1.0) + np.exp(-80.0)) + 30])
    assert value == pytest.approx(expected, rel=1e-12)
    g = dc.grad(nn.softmax_cross_entropy(z, y), z, {"z": big})
    np.testing.assert_allclose(g, (softmax(big) - y) / 2, rtol=1e-12, atol=1e-300)
    report = dc.check(nn.softmax_cross_entropy(z, y), z, {"z": big})
    assert report.ok, report


# ----- every activation and loss passes the three-way check -----
def _targets(loss_name, rng, shape):
    if loss_name == "softmax_cross_entropy":
        return np.eye(shape[1])[rng.integers(0, shape[1], size=shape[0])]
    if loss_name.startswith("binary"):
        return rng.integers(0, 2, size=shape).astype(float)
    return rng.normal(size=shape)


LOSS_CASES = {  # name: (output activation, builder)
    "half_sse": (None, nn.half_sse),
    "mse": ("tanh", nn.mse),
    "binary_cross_entropy": ("sigmoid", nn.binary_cross_entropy),
    "binary_cross_entropy_logits": (None, lambda p, y: nn.binary_cross_entropy(p, y, from_logits=True)),
    "softmax_cross_entropy": (None, nn.softmax_cross_entropy),
}


@pytest.mark.parametrize("loss_name", sorted(LOSS_CASES))
@pytest.mark.parametrize("activation", sorted(nn.ACTIVATIONS))
def test_mlp_loss_gradients_agree_three_ways(activation, loss_name):
    # 2 → 2 → 2 on a batch of 2 (softmax, the costliest for SymPy: on a single row,
    # which also covers the row-vector path): every activation with every loss.
    rng = np.random.default_rng(zlib.crc32(f"{activation}/{loss_name}".encode()))  # not hash(): salted
    output_activation, loss = LOSS_CASES[loss_name]
    net = nn.MLP([2, 2, 2], activation, output_activation)
    shape = (2,) if loss_name == "softmax_cross_entropy" else (2, 2)
    X = rng.normal(size=shape)
    target = _targets(loss_name, rng, (1, 2))[0] if len(shape) == 1 else _targets(loss_name, rng, shape)
    E = loss(net(X), target)
    assert E.shape == ()
    report = dc.check(E, net.parameters(), seed=11, n_points=1, name="E")
    assert report.methods == ("sympy", "tape", "numeric")
    assert report.ok, report
    assert report.compared == 4 + 2 + 4 + 2


def test_mlp_of_the_suggested_size_agrees_three_ways():
    rng = np.random.default_rng(12)
    net = nn.MLP([3, 4, 2], "sigmoid", None)
    E = nn.half_sse(net(rng.normal(size=(3, 3))), rng.normal(size=(3, 2)))
    report = dc.check(E, net.parameters(), seed=12, name="E")
    assert report.ok, report
    assert report.compared == 3 * (12 + 4 + 8 + 2)


# ----- the XOR net -----
def test_xor_network_truth_table():
    expr, X, at = nn.xor_network()
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    out = dc.evaluate(expr, at)
    assert out.shape == (4, 1)
    np.testing.assert_array_equal(np.round(out).ravel(), [0, 1, 1, 0])
    assert np.all(np.abs(out.ravel() - [0, 1, 1, 0]) < 1e-4)


def test_xor_network_has_named_attributes_and_the_lecture_weights():
    net = nn.xor_network()
    assert net.expr is net[0] and net.X is net[1] and net.at is net[2]
    np.testing.assert_array_equal(net.at["W_xor1"], [[20, -20], [20, -20]])  # columns OR, NAND
    np.testing.assert_array_equal(net.at["b_xor1"], [-10, 30])
    np.testing.assert_array_equal(net.at["W_xor2"], [[20], [20]])  # AND
    np.testing.assert_array_equal(net.at["b_xor2"], [-30])


@pytest.mark.parametrize(
    "gate, table", [("OR", [0, 1, 1, 1]), ("NAND", [1, 1, 1, 0]), ("AND", [0, 0, 0, 1])]
)
def test_each_gate_matches_its_truth_table(gate, table):
    X = nn.XOR_INPUTS
    out = dc.evaluate(nn.gate(gate, X[:, 0], X[:, 1]), {})
    np.testing.assert_array_equal(np.round(out), table)


def test_xor_network_gradients_agree_three_ways_at_the_lecture_weights():
    expr, X, at = nn.xor_network()
    report = dc.check(nn.half_sse(expr, nn.XOR_TARGETS), nn.xor_mlp().parameters(), at, name="E")
    assert report.ok, report
