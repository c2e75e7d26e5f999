"""``dc.linalg``: the builders, the three-way check at small size and through the
per-node SymPy route, Matrix Cookbook identities as claims, domains and singular points."""

from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

import diffcheck as dc
from diffcheck import linalg
from diffcheck.checking import compare
from diffcheck.checking.points import in_domain
from diffcheck.ir import Const, Var, toposort
from diffcheck.ops import REGISTRY
from diffcheck.ops.matrix_functions import Inv, SlogdetLogabs
from diffcheck.strategies import expressions, points

RNG = np.random.default_rng(4)
C3 = RNG.normal(size=(3, 3))
C2 = RNG.normal(size=(2, 2))


def weight(n):
    return C3 if n == 3 else C2 if n == 2 else np.arange(n * n, dtype=float).reshape(n, n) / n


# Scalar-valued uses of each function over an n×n variable A (and a vector b).
CASES = {
    "det": lambda A, b: linalg.det(A),
    "slogdet": lambda A, b: linalg.slogdet(A)[0] * linalg.slogdet(A)[1],
    "inv": lambda A, b: dc.sum(linalg.inv(A) * weight(A.shape[0])),
    "solve vector": lambda A, b: dc.sum(dc.sin(linalg.solve(A, b))),
    "solve matrix": lambda A, b: dc.sum(linalg.solve(A, weight(A.shape[0])) ** 2),
    "cholesky": lambda A, b: dc.sum(linalg.cholesky(A) * weight(A.shape[0])),
}


def test_builders_and_values_match_numpy_linalg():
    A, b = dc.matrix("A", 3, 3), dc.vector("b", 3)
    a = C3 + 4 * np.eye(3)
    at = {"A": a}
    assert dc.evaluate(linalg.det(A), at) == pytest.approx(np.linalg.det(a), rel=1e-14)
    sign, logabs = linalg.slogdet(-A)
    assert (dc.evaluate(sign, at), dc.evaluate(logabs, at)) == pytest.approx(tuple(np.linalg.slogdet(-a)))
    np.testing.assert_allclose(dc.evaluate(linalg.inv(A), at), np.linalg.inv(a), rtol=1e-14)
    solved = dc.evaluate(linalg.solve(A, b), {"A": a, "b": np.ones(3)})
    np.testing.assert_allclose(solved, np.linalg.solve(a, np.ones(3)))
    np.testing.assert_allclose(dc.evaluate(linalg.cholesky(A), {"A": a @ a.T}), np.linalg.cholesky(a @ a.T))
    assert repr(linalg.solve(A, b)) == "<solve(A, b) shape=(3,)>"
    assert {"det", "slogdet", "inv", "solve", "cholesky"} <= set(linalg.__all__)
    assert not {"det", "inv", "solve", "cholesky"} & set(dc.__all__)  # not top-level names


def test_misuse_names_dc_linalg():
    A = dc.matrix("A", 2, 2)
    with pytest.raises(TypeError, match=r"dc\.linalg\.inv\(\) takes 1 input"):
        linalg.inv(A, 2)
    assert np.linalg.inv(A).op == "inv"  # NumPy's spelling dispatches to dc.linalg
    with pytest.raises(dc.ShapeError, match=r"slogdet: A must be a square matrix"):
        linalg.slogdet(dc.matrix("M", 2, 3))


# ----- the three-way check -----
@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("case", sorted(CASES))
def test_three_way_check_at_small_size(case, n):
    A, b = dc.matrix("A", n, n), dc.vector("b", n)
    y = CASES[case](A, b)
    wrt = [A, b] if "vector" in case else [A]
    report = dc.check(y, wrt)
    assert report.ok, report
    assert set(report.methods) == {"sympy", "tape", "numeric"} and len(report.points) == 3
    assert not any("per-node" in note for note in report.notes)


@pytest.mark.parametrize("case, n", [("inv", 8), ("solve vector", 8), ("solve matrix", 6), ("det", 5),
                                     ("slogdet", 5), ("cholesky", 5)])
def test_three_way_check_through_the_per_node_sympy_route(case, n, monkeypatch):
    """Above the element-wise limit SymPy derives each node's local rule: matrix calculus
    for inv and solve, the lowering at its real shapes for det, slogdet and cholesky."""
    monkeypatch.setattr(compare, "SYMPY_ELEMENTWISE_TERMS", 4)
    A, b = dc.matrix("A", n, n), dc.vector("b", n)
    report = dc.check(CASES[case](A, b), [A, b] if "vector" in case else [A], n_points=2)
    assert report.ok, report
    assert any("per-node" in note for note in report.notes), report.notes


def test_the_per_node_route_catches_a_wrong_vjp(monkeypatch):
    monkeypatch.setattr(compare, "SYMPY_ELEMENTWISE_TERMS", 4)
    A = dc.matrix("A", 6, 6)
    with mock.patch.object(Inv, "vjp", staticmethod(lambda g, out, a: -out @ g @ out)):  # no transposes
        report = dc.check(CASES["inv"](A, None), A, n_points=1)
    assert not report.ok and report.hints[0].startswith("blame: tape disagrees"), report.hints


def test_a_planted_vjp_bug_is_localised_to_the_op():
    A = dc.matrix("A", 3, 3)
    untransposed = staticmethod(lambda g, out, a: g[..., None, None] * np.linalg.inv(a))
    with mock.patch.object(SlogdetLogabs, "vjp", untransposed):
        report = dc.check(dc.exp(linalg.slogdet(A)[1]), A)
    assert not report.ok
    assert any(h.startswith("node: tape VJP of slogdet_logabs") for h in report.hints), report.hints


def test_det_of_7x7_is_refused_by_the_per_node_route_not_left_running(monkeypatch):
    monkeypatch.setattr(compare, "SYMPY_ELEMENTWISE_TERMS", 4)
    A = dc.matrix("A", 7, 7)
    with pytest.raises(ValueError, match=r"det: the per-node SymPy route lowers this op .* more than"):
        dc.check(linalg.det(A), A)
    assert dc.check(linalg.det(A), A, methods=("tape", "numeric"), n_points=1).ok


# ----- Matrix Cookbook identities, checked as claims -----
def inv_(x):
    return np.linalg.inv(x)


def test_cookbook_derivative_of_a_determinant():
    """(49) ∂det(X)/∂X = det(X) X⁻ᵀ; without the transpose the claim fails with a hint."""
    X = dc.matrix("X", 3, 3)
    assert dc.check_gradient(linalg.det(X), X, lambda X: np.linalg.det(X) * inv_(X).T).ok
    wrong = dc.check_gradient(linalg.det(X), X, lambda X: np.linalg.det(X) * inv_(X))
    assert not wrong.ok
    assert "layout: the claim is the derivative with its axes in the order (1, 0)" in wrong.hints


def test_cookbook_derivative_of_a_trace_with_an_inverse():
    """(63) ∂tr(A X⁻¹ B)/∂X = -X⁻ᵀ Aᵀ Bᵀ X⁻ᵀ, with tr(M) written as sum(I * M)."""
    X = dc.matrix("X", 3, 3)
    A, B = RNG.normal(size=(3, 3)), RNG.normal(size=(3, 3))
    y = dc.sum(np.eye(3) * (A @ linalg.inv(X) @ B))
    assert dc.check_gradient(y, X, lambda X: -inv_(X).T @ A.T @ B.T @ inv_(X).T).ok
    wrong = dc.check_gradient(y, X, lambda X: -inv_(X) @ B @ A @ inv_(X))  # every transpose missed
    assert not wrong.ok
    assert any(h.startswith("layout: the claim is the derivative with its axes") for h in wrong.hints)
    assert not dc.check_gradient(y, X, lambda X: inv_(X).T @ A.T @ B.T @ inv_(X).T).ok  # sign


def test_cookbook_log_determinant():
    """(57) ∂ log|det X| / ∂X = X⁻ᵀ, also where det X < 0."""
    X = dc.matrix("X", 3, 3)
    at = [{"X": -(C3 + 4 * np.eye(3))}, {"X": C3 + 4 * np.eye(3)}]
    assert dc.check_gradient(linalg.slogdet(X)[1], X, lambda X: inv_(X).T, at=at).ok


# ----- domains and singular points -----
@pytest.mark.parametrize("case", sorted(CASES))
def test_random_points_satisfy_every_domain(case):
    A, b = dc.matrix("A", 4, 4), dc.vector("b", 4)
    report = dc.check(CASES[case](A, b), A, n_points=8, methods=("tape", "numeric"))
    assert report.ok and len(report.points) == 8 and not report.notes
    assert all(in_domain(CASES[case](A, b), {**p, "b": np.ones(4)}) for p in report.points)


SINGULAR = {"2x2": np.array([[1.0, 2.0], [2.0, 4.0]]), "3x3": np.arange(1.0, 10.0).reshape(3, 3)}


@pytest.mark.parametrize("name", sorted(SINGULAR))
@pytest.mark.parametrize("case", ["slogdet", "inv", "solve vector", "solve matrix", "cholesky"])
@pytest.mark.parametrize("per_node", [False, True])
def test_a_singular_matrix_at_a_given_point_fails_the_report(case, name, per_node, monkeypatch):
    if per_node:
        monkeypatch.setattr(compare, "SYMPY_ELEMENTWISE_TERMS", 4)
    a = SINGULAR[name]
    A, b = dc.matrix("A", *a.shape), dc.vector("b", len(a))
    at = {"A": a, "b": np.ones(len(a))} if "vector" in case else {"A": a}
    report = dc.check(CASES[case](A, b), A, at=at)
    assert not report.ok
    assert any("not finite" in error for error in report.errors), report


def test_sign_alone_at_a_singular_matrix_has_no_reference_so_fails():
    A = dc.matrix("A", 2, 2)
    report = dc.check(linalg.slogdet(A)[0], A, at={"A": SINGULAR["2x2"]})
    assert not report.ok and any("no reference" in note for note in report.notes)


def test_det_at_a_singular_matrix_is_the_cofactor_matrix():
    """det is a polynomial: at a singular matrix its derivative exists and all agree on it."""
    A = dc.matrix("A", 2, 2)
    report = dc.check(linalg.det(A), A, at={"A": SINGULAR["2x2"]})
    assert report.ok
    np.testing.assert_allclose(dc.grad(linalg.det(A), A, {"A": SINGULAR["2x2"]}), [[4.0, -2.0], [-2.0, 1.0]])


# ----- strategies -----
MATRIX_OPS = ["det", "slogdet_sign", "slogdet_logabs", "inv", "solve", "cholesky"]
VARIABLES = [dc.scalar("a"), dc.vector("x", 3), dc.matrix("W", 2, 3)]
QUICK = settings(deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))


def ops_of(expr):
    return {n.op for n in toposort(expr) if not isinstance(n, Var | Const)}


@pytest.mark.parametrize("name", MATRIX_OPS)
@pytest.mark.parametrize("companions", [[], ["add", "mul"], ["matmul", "transpose"]])
def test_the_strategies_draw_each_op_from_only_the_allowed_ops(name, companions):
    drawn = find(expressions(VARIABLES, ops=[name, *companions], max_leaves=4),
                 lambda e: name in ops_of(e) and (not companions or len(ops_of(e)) > 1),
                 settings=settings(QUICK, max_examples=500))
    assert name in ops_of(drawn) and ops_of(drawn) <= {name, *companions}


@pytest.mark.parametrize("name", MATRIX_OPS)
def test_drawn_expressions_and_points_agree_three_ways(name):
    checked = []

    @settings(QUICK, max_examples=12)
    @given(st.data())
    def agree(data):
        strategy = expressions(VARIABLES, ops=[name, "add", "mul", "matmul", "transpose"], max_leaves=4)
        expr = data.draw(strategy.filter(lambda e: name in ops_of(e)))
        at = data.draw(points(expr))
        if at:
            assert in_domain(expr, at)
            report = dc.check(expr, sorted(at), at)
            assert report.ok, f"{expr!r}\n{report}"
            checked.append(expr)

    agree()
    assert checked


def test_every_matrix_op_is_a_registered_non_public_record():
    for name in MATRIX_OPS:
        assert REGISTRY[name].public is False and REGISTRY[name].draw.square
