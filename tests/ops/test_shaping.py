"""Structural ops (shaping, rearranging, matrices): NumPy's values, three-way checks, methods,
printing, planted wrong claims and clear errors."""

import numpy as np
import pytest

import diffcheck as dc
from diffcheck.checking import compare
from diffcheck.errors import ShapeError

W = dc.Var("W", (2, 3))
T = dc.Var("T", (2, 3, 4))
x = dc.vector("x", 3)
y = dc.vector("y", 2)
S = dc.Var("S", (3, 1, 2))
M = dc.Var("M", (3, 4))
RNG = np.random.default_rng(0)
VALUES = {v.name: RNG.standard_normal(v.shape) for v in (W, T, x, y, S, M)}


def at(*variables):
    return {v.name: VALUES[v.name] for v in variables}


# (built expression, the same with NumPy on the values, the variables)
CASES = {
    "transpose": (W.T, lambda v: v["W"].T, [W]),
    "transpose axes": (dc.transpose(T, (1, 0, 2)), lambda v: np.transpose(v["T"], (1, 0, 2)), [T]),
    "transpose -axes": (dc.transpose(T, axes=[-1, 0, 1]), lambda v: np.transpose(v["T"], (-1, 0, 1)), [T]),
    "3-D .T": (T.T, lambda v: v["T"].T, [T]),
    "reshape": (dc.reshape(W, (3, 2)), lambda v: np.reshape(v["W"], (3, 2)), [W]),
    "reshape -1": (dc.reshape(T, (4, -1)), lambda v: np.reshape(v["T"], (4, -1)), [T]),
    "reshape int": (dc.reshape(W, 6), lambda v: np.reshape(v["W"], 6), [W]),
    "ravel": (dc.ravel(T), lambda v: np.ravel(v["T"]), [T]),
    "squeeze": (dc.squeeze(S), lambda v: np.squeeze(v["S"]), [S]),
    "squeeze axis": (dc.squeeze(S, axis=-2), lambda v: np.squeeze(v["S"], axis=-2), [S]),
    "expand_dims": (dc.expand_dims(W, 1), lambda v: np.expand_dims(v["W"], 1), [W]),
    "expand_dims tuple": (dc.expand_dims(x, (0, -1)), lambda v: np.expand_dims(v["x"], (0, -1)), [x]),
    "swapaxes": (dc.swapaxes(T, 0, -1), lambda v: np.swapaxes(v["T"], 0, -1), [T]),
    "moveaxis": (dc.moveaxis(T, 0, -1), lambda v: np.moveaxis(v["T"], 0, -1), [T]),
    "moveaxis many": (dc.moveaxis(T, (0, 1), (2, 0)), lambda v: np.moveaxis(v["T"], (0, 1), (2, 0)), [T]),
    "broadcast_to": (dc.broadcast_to(x, (2, 3)), lambda v: np.broadcast_to(v["x"], (2, 3)), [x]),
    "broadcast_to 1": (dc.broadcast_to(S, (2, 3, 4, 2)),
                       lambda v: np.broadcast_to(v["S"], (2, 3, 4, 2)), [S]),
    "flip": (dc.flip(W), lambda v: np.flip(v["W"]), [W]),
    "flip axis": (dc.flip(T, (0, 2)), lambda v: np.flip(v["T"], (0, 2)), [T]),
    "roll": (dc.roll(W, 2), lambda v: np.roll(v["W"], 2), [W]),
    "roll axis": (dc.roll(W, -1, axis=1), lambda v: np.roll(v["W"], -1, axis=1), [W]),
    "roll axes": (dc.roll(T, (1, 5), (0, -1)), lambda v: np.roll(v["T"], (1, 5), (0, -1)), [T]),
    "roll repeated axis": (dc.roll(T, (1, 2), (2, 2)), lambda v: np.roll(v["T"], (1, 2), (2, 2)), [T]),
    "repeat": (dc.repeat(W, 2), lambda v: np.repeat(v["W"], 2), [W]),
    "repeat axis": (dc.repeat(W, [2, 0, 1], axis=1), lambda v: np.repeat(v["W"], [2, 0, 1], axis=1), [W]),
    "repeat flat counts": (dc.repeat(y, (3, 1)), lambda v: np.repeat(v["y"], (3, 1)), [y]),
    "tile": (dc.tile(x, 2), lambda v: np.tile(v["x"], 2), [x]),
    "tile more reps": (dc.tile(W, (2, 1, 2)), lambda v: np.tile(v["W"], (2, 1, 2)), [W]),
    "tile fewer reps": (dc.tile(T, (2,)), lambda v: np.tile(v["T"], (2,)), [T]),
    "diag vector": (dc.diag(x), lambda v: np.diag(v["x"]), [x]),
    "diag vector k": (dc.diag(y, -2), lambda v: np.diag(v["y"], -2), [y]),
    "diag matrix": (dc.diag(M, 1), lambda v: np.diag(v["M"], 1), [M]),
    "diag matrix -k": (dc.diag(M, k=-2), lambda v: np.diag(v["M"], -2), [M]),
    "diagonal": (dc.diagonal(M), lambda v: np.diagonal(v["M"]), [M]),
    "diagonal axes": (dc.diagonal(T, 1, 2, 0), lambda v: np.diagonal(v["T"], 1, 2, 0), [T]),
    "trace": (dc.trace(M), lambda v: np.trace(v["M"]), [M]),
    "trace offset": (dc.trace(M, -1), lambda v: np.trace(v["M"], -1), [M]),
    "triu": (dc.triu(M), lambda v: np.triu(v["M"]), [M]),
    "triu k": (dc.triu(T, 1), lambda v: np.triu(v["T"], 1), [T]),
    "tril k": (dc.tril(M, k=-1), lambda v: np.tril(v["M"], -1), [M]),
    "outer": (dc.outer(x, y), lambda v: np.outer(v["x"], v["y"]), [x, y]),
    "outer flattens": (dc.outer(W, x), lambda v: np.outer(v["W"], v["x"]), [W, x]),
    "kron": (dc.kron(W, y), lambda v: np.kron(v["W"], v["y"]), [W, y]),
    "kron matrices": (dc.kron(W, M), lambda v: np.kron(v["W"], v["M"]), [W, M]),
}


@pytest.mark.parametrize("case", CASES)
def test_value_equals_numpys(case):
    e, numpy_fn, variables = CASES[case]
    expected = numpy_fn(VALUES)
    assert e.shape == np.shape(expected)
    np.testing.assert_array_equal(dc.evaluate(e, at(*variables)), expected)


@pytest.mark.parametrize("case", CASES)
def test_three_methods_agree(case):
    e, _, variables = CASES[case]
    weights = np.linspace(-1.0, 2.0, e.size).reshape(e.shape)
    report = dc.check(dc.sum(dc.sin(e) * weights), variables, n_points=2)
    assert report.ok and set(report.methods) == {"sympy", "tape", "numeric"}, report


@pytest.mark.parametrize("case", ["transpose axes", "3-D .T", "outer flattens", "reshape -1", "repeat axis",
                                  "trace offset", "kron"])
def test_three_methods_agree_through_the_per_node_sympy_route(case, monkeypatch):
    """At scale SymPy derives each node by its record's route ("linear" for transpose and
    outer, "lower" for the rest), never a silent fallback."""
    monkeypatch.setattr(compare, "SYMPY_ELEMENTWISE_TERMS", 4)
    e, _, variables = CASES[case]
    report = dc.check(dc.sum(dc.sin(e) * np.linspace(-1.0, 2.0, e.size).reshape(e.shape)), variables,
                      n_points=1)
    assert report.ok and any("per-node" in note for note in report.notes), report


@pytest.mark.parametrize("y_, wrt, right, wrong", [
    (dc.trace(dc.Var("A", (3, 3))), "A", lambda A: np.eye(3), lambda A: np.ones((3, 3))),
    (dc.sum(dc.flip(x) * np.array([1.0, 2.0, 3.0])), "x", lambda x: np.array([3.0, 2.0, 1.0]),
     lambda x: np.array([1.0, 2.0, 3.0])),
    (dc.sum(dc.repeat(x, 2)), "x", lambda x: np.full(3, 2.0), lambda x: np.ones(3)),
    (dc.sum(dc.tile(x, 2) ** 2), "x", lambda x: 4 * x, lambda x: 2 * x),
    (dc.sum(dc.outer(x, y)), "x", lambda x, y: np.full(3, y.sum()), lambda x, y: np.full(3, x.sum())),
])
def test_a_planted_wrong_claim_is_caught(y_, wrt, right, wrong):
    assert dc.check_gradient(y_, wrt, right).ok
    assert not dc.check_gradient(y_, wrt, wrong).ok


def test_methods_match_numpys():
    v = VALUES["T"]
    for e, expected in [
        (T.reshape(4, 6), v.reshape(4, 6)), (T.reshape((4, 6)), v.reshape((4, 6))),
        (T.reshape(-1), v.reshape(-1)), (T.transpose(), v.transpose()),
        (T.transpose(1, 0, 2), v.transpose(1, 0, 2)), (T.transpose((2, 0, 1)), v.transpose((2, 0, 1))),
        (T.ravel(), v.ravel()), (T.flatten(), v.flatten()), (T.swapaxes(0, 2), v.swapaxes(0, 2)),
        (T[:, :1].squeeze(), v[:, :1].squeeze()), (T[:, :1].squeeze(1), v[:, :1].squeeze(1)),
    ]:
        assert e.shape == expected.shape
        np.testing.assert_array_equal(dc.evaluate(e, {"T": v}), expected)
    e = T.reshape(4, 6)
    assert (len(e), e.ndim, e.size) == (4, 2, 24)
    with pytest.raises(TypeError, match="reshape.*needs a shape"):
        T.reshape()


def test_params_are_canonical():
    assert dc.transpose(W, (1, 0)).params == W.T.params == (("axes", None),)
    assert dc.transpose(T, (-1, 0, 1)).params == T.transpose(2, 0, 1).params == (("axes", (2, 0, 1)),)
    assert dc.reshape(T, (4, -1)).params == dc.reshape(T, [4, 6]).params == (("newshape", (4, 6)),)
    assert dc.roll(W, -1).params == dc.roll(W, 5).params
    assert dc.flip(T, [-1, 0]).params == dc.flip(T, (0, 2)).params
    assert dc.repeat(W, np.array([2])).params == dc.repeat(W, 2).params
    assert dc.tile(x, 2).params == dc.tile(x, [2]).params
    assert dc.moveaxis(T, -3, 2).params == dc.moveaxis(T, 0, -1).params
    for e in (dc.transpose(T, (1, 0, 2)), dc.reshape(W, (3, 2)), dc.roll(T, (1, 2), (0, 2))):
        hash(e.params)


@pytest.mark.parametrize("e, text", [
    (W.T, "W.T"), ((W * 2).T, "(W * 2).T"), (T.T, "T.T"),
    (dc.transpose(T, (1, 0, 2)), "transpose(T, axes=(1, 0, 2))"),
    (W.reshape(3, 2), "reshape(W, newshape=(3, 2))"), (dc.ravel(W), "ravel(W)"),
    (dc.squeeze(S), "squeeze(S)"), (dc.swapaxes(T, 0, -1), "swapaxes(T, axis1=0, axis2=2)"),
    (dc.roll(W, -1, 1), "roll(W, shift=2, axis=1)"), (dc.trace(M), "trace(M, offset=0)"),
    (dc.outer(x, y), "outer(x, y)"), (dc.diag(x, 1), "diag(x, k=1)"),
])
def test_printing(e, text):
    assert repr(e) == f"<{text} shape={e.shape}>"


@pytest.mark.parametrize("build, words", [
    (lambda: dc.reshape(W, (4, 2)), r"reshape: cannot reshape shape \(2, 3\) \(6 elements\) into \(4, 2\)"),
    (lambda: dc.reshape(W, (-1, -1)), r"cannot reshape shape \(2, 3\)"),
    (lambda: W.reshape(0, 6), r"cannot reshape"),
    (lambda: W.reshape(2.0, 3), r"newshape must be an int or a sequence of ints"),
    (lambda: dc.transpose(T, (0, 1)), r"transpose: axes \(0, 1\) are not a permutation of the 3 axes"),
    (lambda: T.transpose(0, 0, 1), r"transpose: repeated axes"),
    (lambda: T.transpose(0, 1, 3), r"transpose: axes 3 is out of range for shape \(2, 3, 4\)"),
    (lambda: dc.squeeze(W, 0), r"squeeze: axis 0 of shape \(2, 3\) has size 2, not 1"),
    (lambda: dc.squeeze(W, 2), r"squeeze: axis 2 is out of range for shape \(2, 3\)"),
    (lambda: dc.expand_dims(W, 3), r"expand_dims: axis 3 is out of range"),
    (lambda: dc.expand_dims(W), r"expand_dims: needs the axis"),
    (lambda: dc.swapaxes(W, 0, 2), r"swapaxes: axis2 2 is out of range for shape \(2, 3\)"),
    (lambda: dc.swapaxes(W, 0, 1.0), r"swapaxes: axis2 must be an int, got 1\.0"),
    (lambda: dc.moveaxis(T, (0, 1), 2), r"moveaxis: source \(0, 1\) and destination 2 must name as many"),
    (lambda: dc.broadcast_to(W, (3, 3)), r"broadcast_to: cannot broadcast shape \(2, 3\) to \(3, 3\)"),
    (lambda: dc.broadcast_to(x, (0, 3)), r"broadcast_to: every dimension of \(0, 3\) must be positive"),
    (lambda: dc.flip(W, 2), r"flip: axis 2 is out of range for shape \(2, 3\)"),
    (lambda: dc.roll(W, (1, 2)), r"roll: shift \(1, 2\) must be one int when axis is None"),
    (lambda: dc.roll(T, (1, 2, 3), (0, 1)),
     r"roll: shift \(1, 2, 3\) and axis \(0, 1\) must have one length"),
    (lambda: dc.repeat(W, -1), r"repeat: repeats -1 must be non-negative"),
    (lambda: dc.repeat(W, (1, 2), axis=1), r"repeat: repeats \(1, 2\) must be non-negative, one or 3"),
    (lambda: dc.repeat(W, 0), r"repeat: repeats 0 selects no elements of shape \(2, 3\)"),
    (lambda: dc.tile(W, (2, 0)), r"tile: reps \(2, 0\) selects no elements"),
    (lambda: dc.diag(T), r"diag: needs a vector or a matrix, got shape \(2, 3, 4\)"),
    (lambda: dc.diag(W, 3), r"diag: k=3 selects no elements of shape \(2, 3\)"),
    (lambda: dc.diagonal(x), r"diagonal: needs at least 2 axes, got shape \(3,\)"),
    (lambda: dc.diagonal(T, 0, 1, -2), r"diagonal: axis1 and axis2 are both axis 1"),
    (lambda: dc.trace(x), r"trace: needs a matrix, got shape \(3,\)"),
    (lambda: dc.trace(M, 0.5), r"trace: offset must be an int"),
    (lambda: dc.triu(x), r"triu: needs a matrix \(at least 2 axes\), got shape \(3,\)"),
])
def test_bad_params_are_clear_shape_errors(build, words):
    with pytest.raises(ShapeError, match=words):
        build()


def test_builders_refuse_misuse_like_numpy():
    with pytest.raises(TypeError, match=r"dc.reshape\(\) got an unexpected keyword argument 'order'"):
        dc.reshape(W, (3, 2), order="F")
    assert repr(np.outer(x, y)) == repr(dc.outer(x, y))  # NumPy's spelling dispatches
    assert repr(np.transpose(W)) == repr(W.T)
