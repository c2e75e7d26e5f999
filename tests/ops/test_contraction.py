"""einsum, tensordot and batched matmul: NumPy's values, three-way checks, batched VJPs,
planted wrong claims, and clear errors for bad subscripts and shapes."""

import importlib
import os
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

import diffcheck as dc
from diffcheck.checking import compare
from diffcheck.errors import ShapeError
from diffcheck.ir import apply, toposort
from diffcheck.ops import REGISTRY
from diffcheck.ops.contraction import Einsum

RNG = np.random.default_rng(1)

# (subscripts, operand shapes): each is compared with np.einsum
EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),  # implicit output
    ("ba", [(2, 3)]),  # implicit: the sorted indices, a transpose
    ("ii->i", [(3, 3)]),  # the diagonal
    ("ii", [(3, 3)]),  # the trace
    ("ij,j,jk->ik", [(2, 3), (3,), (3, 2)]),  # three operands
    ("i,i", [(3,), (3,)]),  # a dot product
    ("i,j->ij", [(2,), (3,)]),  # an outer product
    ("...ij,...jk->...ik", [(2, 2, 3), (2, 3, 2)]),
    ("...ij,...jk", [(2, 1, 2, 3), (4, 3, 2)]),  # '...' broadcasts (2, 1) against (4,); implicit
    ("...j,...j->...", [(2, 1, 3), (4, 3)]),  # a size-1 axis under '...' broadcast
    ("i...->...", [(3, 2)]),
    ("...ii->...i", [(2, 3, 3)]),  # a batch of diagonals
    ("iij,j->i", [(2, 2, 3), (3,)]),  # a diagonal inside a product
    ("ij,ij->", [(2, 3), (2, 3)]),
    ("aB,Bc->ca", [(2, 3), (3, 2)]),  # upper-case indices
    (" ij , jk -> ik ", [(2, 3), (3, 2)]),  # spaces are ignored
    ("i->", [(4,)]),
]


def operands(shapes):
    variables = [dc.Var(f"x{i}", shape) for i, shape in enumerate(shapes)]
    return variables, {v.name: RNG.standard_normal(v.shape) for v in variables}


@pytest.mark.parametrize("subscripts, shapes", EINSUMS)
def test_einsum_values_equal_numpy(subscripts, shapes):
    variables, point = operands(shapes)
    expr = dc.einsum(subscripts, *variables)
    expected = np.einsum(subscripts, *point.values())
    assert expr.shape == np.shape(expected)
    np.testing.assert_allclose(dc.evaluate(expr, point), expected, rtol=1e-13)


@pytest.mark.parametrize("subscripts, shapes", EINSUMS)
def test_einsum_checks_three_ways(subscripts, shapes):
    variables, _ = operands(shapes)
    report = dc.check(dc.sin(dc.einsum(subscripts, *variables)), variables)
    assert report.ok and set(report.methods) == {"sympy", "tape", "numeric"}, report


@pytest.mark.parametrize("subscripts, shapes", EINSUMS)
def test_einsum_vjps_take_a_cotangent_with_two_batch_axes(subscripts, shapes):
    """The record's rule for each operand, with g of shape (2, 3) + out, contracts g with
    the numeric Jacobian (diagonals, broadcast axes and indices summed by one operand)."""
    variables, point = operands(shapes)
    expr = dc.einsum(subscripts, *variables)
    g = RNG.standard_normal((2, 3) + expr.shape)
    values = list(point.values())
    for k, var in enumerate(variables):
        jac = dc.jacobian(expr, var, point, method="numeric").reshape(expr.size, -1)
        expected = (g.reshape(6, -1) @ jac).reshape((2, 3) + var.shape)
        got = REGISTRY["einsum"].vjp_rule(k)(g, dc.evaluate(expr, point), *values, **expr.kwargs)
        np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-10)


def test_subscripts_are_stored_in_one_canonical_form():
    A, B = dc.matrix("A", 2, 3), dc.matrix("B", 3, 4)
    assert dc.einsum("ij,jk", A, B).params == dc.einsum(" ij, jk ->ik", A, B).params
    assert dc.einsum("ij,jk", A, B).kwargs == {"subscripts": "ij,jk->ik"}
    assert dc.einsum("ii", dc.matrix("S", 3, 3)).kwargs == {"subscripts": "ii->"}
    assert repr(dc.einsum("ij,jk", A, B)) == "<einsum('ij,jk->ik', A, B) shape=(2, 4)>"


def test_the_per_node_sympy_route_lowers_an_einsum(monkeypatch):
    monkeypatch.setattr(compare, "SYMPY_ELEMENTWISE_TERMS", 4)
    A, x = dc.matrix("A", 3, 3), dc.vector("x", 3)
    report = dc.check(dc.tanh(dc.einsum("ij,j,ii->i", A, x, A)), [A, x])
    assert report.ok and any("per-node" in note for note in report.notes), report
    assert REGISTRY["einsum"].lowered_terms((3,), (3, 3), (3,), (3, 3), subscripts="ij,j,ii->i") == 9


def test_a_planted_wrong_einsum_claim_is_caught():
    A, x = dc.matrix("A", 2, 3), dc.vector("x", 3)
    at = {"A": RNG.standard_normal((2, 3)), "x": RNG.standard_normal(3)}
    y = dc.einsum("ij,j->i", A, x)
    assert dc.check_gradient(y, x, at["A"], at).ok
    report = dc.check_gradient(y, x, lambda A, x: np.ones((2, 3)) * x, at)  # x in place of A
    assert not report.ok and report.mismatches


def test_a_planted_einsum_vjp_bug_is_localised():
    def forgets_the_diagonal(k, g, out, *xs, subscripts):
        return np.broadcast_to(g[..., None], g.shape + xs[k].shape[-1:])  # fills every entry

    S = dc.matrix("S", 3, 3)
    with mock.patch.object(Einsum, "vjp", staticmethod(forgets_the_diagonal)):
        report = dc.check(dc.sum(dc.einsum("ii->i", S) ** 2), S)
    assert not report.ok and any("einsum" in hint for hint in report.hints), report.hints


@pytest.mark.parametrize(
    "subscripts, shapes, error, message",
    [
        ("ij,j2->i", [(2, 3), (3, 2)], ValueError, r"einsum: subscripts 'ij,j2->i' contain '2'; use letters"),
        ("ij->i->i", [(2, 3)], ValueError, r"at most one '->'"),
        ("ij>i", [(2, 3)], ValueError, r"at most one '->', with '-' and '>' only there"),
        ("..i->i", [(2, 3)], ValueError, r"operand 0 \('\.\.i'\) has a '\.' outside one '\.\.\.'"),
        ("...i...->i", [(2, 3)], ValueError, r"operand 0 \('\.\.\.i\.\.\.'\) has a '\.' outside one"),
        ("ij,jk->ik", [(2, 3)], ShapeError,
         r"einsum: subscripts 'ij,jk->ik' name 2 operand\(s\), but 1 were"),
        ("ijk->i", [(2, 3)], ShapeError, r"einsum: operand 0 has shape \(2, 3\) \(2 axes\), but its "
                                         r"subscripts 'ijk' in 'ijk->i' name 3 \(expected 2\)"),
        ("ij...k->i", [(2, 3)], ShapeError, r"name 3 \(expected at most 2 besides '\.\.\.'\)"),
        ("ij,jk->ik", [(2, 3), (4, 5)], ShapeError,
         r"einsum: index 'j' in 'ij,jk->ik' has size 3 in operand 0 \(shape \(2, 3\)\) but 4 in "
         r"operand 1 \(shape \(4, 5\)\)"),
        ("ii->i", [(2, 3)], ShapeError,
         r"index 'i' in 'ii->i' has size 2 in operand 0 \(shape \(2, 3\)\) but 3"),
        ("ij->k", [(2, 3)], ValueError,
         r"einsum: output index 'k' of 'ij->k' is not an index of any operand"),
        ("ij->ii", [(2, 2)], ValueError, r"einsum: output of 'ij->ii' repeats index 'i'"),
        ("...i,...i->...", [(2, 3), (4, 3)], ShapeError,
         r"the axes under '\.\.\.' in '\.\.\.i,\.\.\.i->\.\.\.' do not broadcast: "
         r"\(2,\) \(operand 0\), \(4,\)"),
        ("...i->i", [(2, 3)], ShapeError, r"covers axes of shape \(2,\), but the output 'i' has no '\.\.\.'"),
    ],
)
def test_bad_subscripts_and_shapes_are_named(subscripts, shapes, error, message):
    variables, _ = operands(shapes)
    with pytest.raises(error, match=message):
        dc.einsum(subscripts, *variables)


def test_misused_einsum_builder_is_a_type_error():
    A = dc.matrix("A", 2, 2)
    with pytest.raises(TypeError, match=r"takes the subscripts string first, as np\.einsum does"):
        dc.einsum(A, "ij->i")
    with pytest.raises(TypeError, match=r"dc\.einsum\('ij->i'\) needs at least one operand"):
        dc.einsum("ij->i")
    with pytest.raises(TypeError, match=r"got keyword 'optimize'"):
        dc.einsum("ij->i", A, optimize=True)
    assert repr(np.einsum("ij->i", A)) == repr(dc.einsum("ij->i", A))  # NumPy's spelling dispatches


# ----- tensordot -----
TENSORDOTS = [((2, 3, 4), (3, 4, 2), 2), ((2, 3), (3, 4), 1), ((2, 3), (4, 3), ([1], [1])),
              ((2,), (3,), 0), ((2, 3, 4), (4, 2), ([-1, 0], [0, 1])), ((2, 3), (2, 3), 2)]


@pytest.mark.parametrize("a, b, axes", TENSORDOTS)
def test_tensordot_equals_numpy_and_checks_three_ways(a, b, axes):
    (x, y), point = operands([a, b])
    expr = dc.tensordot(x, y, axes=axes)
    expected = np.tensordot(point["x0"], point["x1"], axes)
    np.testing.assert_allclose(dc.evaluate(expr, point), expected, rtol=1e-13)
    assert dc.check(dc.sin(expr), [x, y]).ok


def test_tensordot_at_scale_takes_the_matrix_route(monkeypatch):
    monkeypatch.setattr(compare, "SYMPY_ELEMENTWISE_TERMS", 4)
    x, y = dc.Var("x", (2, 3, 4)), dc.Var("y", (4, 3, 2))
    report = dc.check(dc.tanh(dc.tensordot(x, y, axes=([1, 2], [1, 0]))), [x, y])
    assert report.ok and any("per-node" in note for note in report.notes), report


@pytest.mark.parametrize(
    "axes, error, message",
    [
        (3, ShapeError, r"tensordot: axes=3 contracts the last 3 axes of x with the first 3 of y, but"),
        (([1], [1]), ShapeError, r"tensordot: axis 1 of x \(size 3\) and axis 1 of y \(size 4\) are "),
        (([0, 1], [0]), ShapeError, r"tensordot: axes .* pair 2 axes of x with 1 of y"),
        (([2], [0]), ShapeError, r"tensordot: axes \(2,\) are out of range for x of shape \(2, 3\)"),
        ("ij", TypeError, r"tensordot: axes must be an int or a pair of axis lists"),
    ],
)
def test_tensordot_errors_are_named(axes, error, message):
    with pytest.raises(error, match=message):
        dc.tensordot(dc.matrix("A", 2, 3), dc.matrix("B", 3, 4), axes=axes)


# ----- matmul with NumPy's full rules -----
MATMULS = [((2, 4, 3), (2, 3, 4)), ((2, 1, 4, 3), (5, 3, 2)), ((3,), (2, 3, 4)), ((2, 4, 3), (3,)),
           ((4, 3), (2, 3, 2)), ((2, 2, 3), (3, 2)), ((1, 2, 3), (3, 2, 3, 1))]


@pytest.mark.parametrize("a, b", MATMULS)
def test_batched_matmul_equals_numpy_and_checks_three_ways(a, b):
    (x, y), point = operands([a, b])
    expr = dc.matmul(x, y)
    assert expr.op == "batched_matmul"
    np.testing.assert_allclose(dc.evaluate(expr, point), point["x0"] @ point["x1"], rtol=1e-13)
    report = dc.check(dc.sin(expr), [x, y])
    assert report.ok and set(report.methods) == {"sympy", "tape", "numeric"}, report


@pytest.mark.parametrize("name, a, b, params", [
    *(("batched_matmul", a, b, {}) for a, b in MATMULS),
    *(("tensordot", a, b, {"axes": axes}) for a, b, axes in TENSORDOTS),
])
def test_vjps_take_a_cotangent_with_two_batch_axes(name, a, b, params):
    (x, y), point = operands([a, b])
    expr = apply(name, x, y, **params)
    g = RNG.standard_normal((2, 3) + expr.shape)
    for k, var in enumerate((x, y)):
        jac = dc.jacobian(expr, var, point, method="numeric").reshape(expr.size, -1)
        expected = (g.reshape(6, -1) @ jac).reshape((2, 3) + var.shape)
        got = REGISTRY[name].vjp_rule(k)(g, dc.evaluate(expr, point), point["x0"], point["x1"], **expr.kwargs)
        np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-10)


def test_attention_scores_and_their_gradient():
    Q, K, V = dc.Var("Q", (2, 4, 3)), dc.Var("K", (2, 4, 3)), dc.Var("V", (2, 4, 2))
    scores = dc.matmul(Q, dc.einsum("...ij->...ji", K)) / np.sqrt(3.0)
    assert scores.shape == (2, 4, 4)
    loss = dc.sum(dc.matmul(dc.tanh(scores), V))
    assert dc.check(loss, [Q, K, V]).ok


def test_the_at_operator_builds_batched_products():
    Q, K = dc.Var("Q", (2, 4, 3)), dc.Var("K", (2, 3, 4))
    assert (Q @ K).op == "batched_matmul" and (Q @ K).shape == (2, 4, 4)


def test_vectors_and_matrices_keep_the_matmul_record():
    W, x = dc.matrix("W", 2, 3), dc.vector("x", 3)
    assert {dc.matmul(W, x).op, (W @ x).op, dc.matmul(x, x).op, W.dot(x).op} == {"matmul"}
    assert REGISTRY["matmul"].sympy_route == "linear" and REGISTRY["batched_matmul"].sympy_route == "lower"
    assert repr(dc.matmul(dc.Var("Q", (2, 4, 3)), W.T)) == "<Q @ W.T shape=(2, 4, 2)>"


def test_batched_matmul_at_scale_is_lowered_per_node(monkeypatch):
    monkeypatch.setattr(compare, "SYMPY_ELEMENTWISE_TERMS", 4)
    x, y = dc.Var("x", (2, 2, 3)), dc.Var("y", (3, 2))
    report = dc.check(dc.tanh(dc.matmul(x, y)), [x, y])
    assert report.ok and any("per-node" in note for note in report.notes), report


def test_a_planted_wrong_batched_claim_is_caught():
    Q, K = dc.Var("Q", (2, 2, 3)), dc.Var("K", (2, 3, 2))
    at = {"Q": RNG.standard_normal((2, 2, 3)), "K": RNG.standard_normal((2, 3, 2))}
    loss = dc.sum(dc.matmul(Q, K))
    right = np.broadcast_to(at["K"].sum(-1)[:, None, :], (2, 2, 3))
    assert dc.check_gradient(loss, Q, right, at).ok
    wrong = np.broadcast_to(at["K"].sum((0, 2))[None, None, :], (2, 2, 3))  # summed over the batch too
    report = dc.check_gradient(loss, Q, wrong, at)
    assert not report.ok and report.mismatches


@pytest.mark.parametrize("a, b", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4)),
                                  ((), (2, 3)), ((2, 3), ()), ((2, 2, 3), (4, 3, 2)), ((2, 3, 2), (2,))])
def test_dot_has_numpys_meaning(a, b):
    (x, y), point = operands([a, b])
    np.testing.assert_allclose(dc.evaluate(x.dot(y), point), np.dot(point["x0"], point["x1"]), rtol=1e-13)


@pytest.mark.parametrize(
    "a, b, message",
    [
        ((2, 4, 3), (2, 4, 3), r"matmul: shapes \(2, 4, 3\) and \(2, 4, 3\) are not aligned: 3 \(last axis "
                               r"of the left\) != 4 \(second-to-last axis of the right\)"),
        ((2, 4, 3), (3, 3, 2), r"matmul: the batch axes of shapes \(2, 4, 3\) and \(3, 3, 2\) do not "
                               r"broadcast: \(2,\) against \(3,\)"),
        ((), (2, 3, 4), r"matmul: operands must have at least one axis, got shapes \(\) and \(2, 3, 4\) "
                        r"\(use \*"),
        ((2, 3), (2,), r"matmul: shapes \(2, 3\) and \(2,\) are not aligned"),
    ],
)
def test_matmul_shape_errors_name_both_shapes(a, b, message):
    with pytest.raises(ShapeError, match=message):
        dc.matmul(dc.Var("x", a), dc.Var("y", b))


# ----- the attention benchmark computes what it claims -----
@pytest.mark.parametrize("composed", [False, True], ids=["nn.softmax", "exp-sum"])
def test_the_attention_benchmark_baseline_is_the_tape_gradient(composed):
    folder = Path(__file__).resolve().parents[2] / "benchmarks"
    with mock.patch.dict(os.environ), mock.patch.object(sys, "path", [str(folder), *sys.path]):
        bench = importlib.import_module("attention_vs_numpy")
    loss, wrt, at, y = bench.attention_problem(batch=2, tokens=5, d=3, composed=composed)
    assert {"batched_matmul", "swapaxes"} <= {node.op for node in toposort(loss)}
    ours = dc.grad(loss, list(wrt), at)
    for theirs, var in zip(bench.numpy_attention(y, at["Q"], at["K"], at["V"]), wrt, strict=True):
        np.testing.assert_allclose(theirs, ours[var.name], rtol=1e-10, atol=1e-13)
