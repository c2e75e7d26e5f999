"""Indexing ``e[index]``: NumPy's values, three-way checks, accumulation, canonical params, errors."""

from unittest import mock

import numpy as np
import pytest

import diffcheck as dc
from diffcheck.errors import ShapeError
from diffcheck.ops import REGISTRY
from diffcheck.ops.indexing import GetItem

W = dc.Var("W", (3, 4))
T = dc.Var("T", (2, 3, 4))
W_VALUE = np.arange(12.0).reshape(3, 4) / 7 - 0.4
T_VALUE = np.arange(24.0).reshape(2, 3, 4) / 11 - 1.0

CASES = [
    (W, 1), (W, -1), (W, (0, 2)), (W, (-1, slice(1, 3))), (W, slice(None, None, -1)),
    (W, (slice(None, None, -2), slice(3, 0, -1))), (W, (slice(-10, 10), slice(1, None, 2))),
    (W, None), (W, (Ellipsis, 0)), (W, (0, Ellipsis, None)), (W, ()), (W, [2, 0, 2]),
    (W, np.array([[0, 1], [2, 2]])), (W, (1, [0, 3, -1])), (W, ([0, 2], [1, 3])),
    (W, (Ellipsis, None, [1, -1])), (W, (slice(None), np.int64(2))),
    (T, ([1, 0, 1], slice(None), [3, 0, 0])), (T, (slice(None), [2, 0], [1, 1])),
    (T, (Ellipsis, [0, 0])), (T, (None, 1, Ellipsis, slice(None, None, 2))),
]


def value(var):
    return W_VALUE if var is W else T_VALUE


@pytest.mark.parametrize("var, index", CASES, ids=[repr(i) for _, i in CASES])
def test_value_and_shape_equal_numpys(var, index):
    e = var[index]
    expected = value(var)[index]
    assert e.shape == np.shape(expected)
    np.testing.assert_array_equal(dc.evaluate(e, {var.name: value(var)}), expected)


@pytest.mark.parametrize("var, index", CASES[::3], ids=[repr(i) for _, i in CASES[::3]])
def test_three_methods_agree(var, index):
    e = var[index]
    weights = np.linspace(-1.0, 2.0, e.size).reshape(e.shape)
    report = dc.check(dc.sum(dc.sin(e) * weights), var)
    assert report.ok and set(report.methods) == {"sympy", "tape", "numeric"}, report
    assert dc.check(e, var).ok


def test_repeated_indices_accumulate_in_the_gradient():
    x = dc.vector("x", 4)
    e = dc.sum(x[[0, 2, 0, 0]] * np.array([1.0, 2.0, 3.0, 4.0]))
    grad = dc.grad(e, x, {"x": np.zeros(4)})
    np.testing.assert_array_equal(grad, [8.0, 0.0, 2.0, 0.0])
    expected = np.zeros((3, 4))
    np.add.at(expected, ([0, 0, 2], [1, 1, 3]), 1.0)
    np.testing.assert_array_equal(dc.grad(dc.sum(W[[0, 0, 2], [1, 1, 3]]), W, {"W": W_VALUE}), expected)
    assert dc.check(dc.sum(x[[0, 2, 0, 0]] ** 2), x).ok


def test_a_vjp_that_overwrites_instead_of_accumulating_is_caught():
    def overwriting(g, out, x, index):  # assignment keeps only the last of repeated indices
        from diffcheck.ops.indexing import positions

        flat, _ = positions(x.shape, index)
        batch = g.shape[: g.ndim - out.ndim]
        result = np.zeros((int(np.prod(batch)), x.size))
        result[:, flat.ravel()] = np.reshape(g, (result.shape[0], -1))
        return result.reshape(batch + x.shape)

    x = dc.vector("x", 3)
    with mock.patch.object(GetItem, "vjp", staticmethod(overwriting)):
        assert dc.check(dc.sum(x[[0, 1]] ** 2), x).ok  # no repeat: still right
        report = dc.check(dc.sum(x[[0, 1, 0]] ** 2), x)
    assert not report.ok and report.hints[0].startswith("blame: tape disagrees"), report


def test_a_planted_wrong_claim_is_caught():
    x = dc.vector("x", 3)
    y = dc.sum(x[[2, 2, 0]] ** 2)
    assert dc.check_gradient(y, x, lambda x: np.array([2 * x[0], 0.0, 4 * x[2]])).ok
    wrong = dc.check_gradient(y, x, lambda x: np.array([2 * x[0], 0.0, 2 * x[2]]))  # forgot the repeat
    assert not wrong.ok


def test_batched_vjp_scatters_each_batch_row():
    record = REGISTRY["getitem"]
    index = record.canonical((3, 4), index=([0, 0], slice(None, None, -1)))["index"]
    g = np.arange(2 * 2 * 4.0).reshape(2, 2, 4)
    out = np.empty((2, 4))
    got = record.vjp(g, out, np.empty((3, 4)), index=index)
    for b in range(2):
        expected = np.zeros((3, 4))
        np.add.at(expected, (np.array([[0], [0]]), np.array([3, 2, 1, 0])), g[b])
        np.testing.assert_array_equal(got[b], expected)


@pytest.mark.parametrize("a, b", [
    (W[-1], W[2]), (W[0:10], W[:]), (W[:, ::1], W[:, :]), (W[[-1, 0]], W[[2, 0]]),
    (W[np.array([1]), 1:], W[[1], 1:4]), (W[3:-10:-1], W[::-1]),
])
def test_params_are_canonical(a, b):
    assert a.params == b.params
    hash(a.params)


def test_canonical_form_is_a_fixed_point():
    record = REGISTRY["getitem"]
    for var, index in CASES:
        once = record.canonical(var.shape, index=index)["index"]
        assert record.canonical(var.shape, index=once)["index"] == once
        assert record.shape(var.shape, index=once) == var[index].shape


@pytest.mark.parametrize("e, text", [
    (W[0, 1:3], "W[0, 1:3]"), (W[::-1], "W[::-1]"), (W[-1, ::2], "W[2, ::2]"),
    ((W * 2)[0], "(W * 2)[0]"), (W.T[1], "W.T[1]"), (W[[2, 0]], "W[[2, 0]]"),
    (W[..., None, 1], "W[..., None, 1]"), (W[()], "W[()]"), (dc.exp(W[1:]), "exp(W[1:])"),
])
def test_printing(e, text):
    assert repr(e) == f"<{text} shape={e.shape}>"


def test_len_ndim_size_and_chaining():
    e = T[0]
    assert (len(e), e.ndim, e.size, e.shape) == (3, 2, 12, (3, 4))
    assert e[1][2].shape == e[1, 2].shape == ()
    np.testing.assert_array_equal(dc.evaluate(T[1][:, ::-1][0], {"T": T_VALUE}), T_VALUE[1][:, ::-1][0])
    with pytest.raises(TypeError, match="len"):
        len(W[0, 0])


@pytest.mark.parametrize("index, words", [
    (3, r"index 3 is out of range for axis 0 of length 3 \(shape \(3, 4\)\)"),
    ((0, -5), r"out of range for axis 1 of length 4"),
    ([0, 3], r"out of range for axis 0 of length 3"),
    ((0, 0, 0), r"has 3 indices for 2 axes"),
    ((Ellipsis, Ellipsis), r"more than one '\.\.\.'"),
    ([True, False, True], r"boolean mask.*not supported"),
    (np.array([[True] * 4] * 3), r"boolean mask.*not supported"),
    (True, r"boolean"),
    (1.5, r"holds a float"),
    ([0.5, 1.0], r"not a non-empty array of integers"),
    ([], r"not a non-empty array of integers"),
    (slice(2, 1), r"selects no elements"),
    (slice(None, None, 0), r"slice step of zero"),
    (slice(0.5, 2), r"not ints"),
    (([0, 1], [0, 1, 2]), r"does not fit: shape mismatch"),
])
def test_bad_indices_are_clear_index_and_shape_errors(index, words):
    for kind in (IndexError, ShapeError):
        with pytest.raises(kind, match=words) as caught:
            W[index]
        assert "getitem: index" in str(caught.value) and "(3, 4)" in str(caught.value)


def test_an_expression_is_not_an_index():
    with pytest.raises(IndexError, match="holds an expression"):
        W[dc.scalar("i")]
