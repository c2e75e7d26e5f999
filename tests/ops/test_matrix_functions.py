"""The matrix-function records (det, slogdet, inv, solve, cholesky): values against
``np.linalg``, shape errors, domains and ``into_domain``, singular matrices, cholesky's
lower triangle, the complex step, and what SymPy is asked to lower."""

import re

import numpy as np
import pytest
import sympy as sp

from diffcheck.backends import sympy_local
from diffcheck.checking.points import in_domain, random_points
from diffcheck.errors import ShapeError
from diffcheck.ir import Var, apply
from diffcheck.ops import REGISTRY
from diffcheck.ops.matrix_functions import COND_LIMIT, LOWERED_CAP, cofactors

MATRIX_OPS = ["det", "slogdet_sign", "slogdet_logabs", "inv", "cholesky"]
RNG = np.random.default_rng(0)
A3 = np.array([[4.0, 1.0, -2.0], [0.5, 3.0, 1.0], [-1.0, 2.0, 5.0]])
SPD3 = A3 @ A3.T / 3 + np.eye(3)
SINGULAR = [np.array([[1.0, 2.0], [2.0, 4.0]]), np.arange(1.0, 10.0).reshape(3, 3)]


def forward(name, *xs):
    return np.asarray(REGISTRY[name].forward(*xs))


# ----- values against np.linalg -----
@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_forwards_equal_numpy_linalg(n):
    a = RNG.uniform(-2, 2, (n, n)) + 3 * n * np.eye(n)
    b, B = RNG.normal(size=n), RNG.normal(size=(n, 2))
    sign, logabs = np.linalg.slogdet(-a)
    np.testing.assert_allclose(forward("det", a), np.linalg.det(a), rtol=1e-14)
    assert forward("slogdet_sign", -a) == sign
    np.testing.assert_allclose(forward("slogdet_logabs", -a), logabs, rtol=1e-14)
    np.testing.assert_allclose(forward("inv", a), np.linalg.inv(a), rtol=1e-14)
    np.testing.assert_allclose(forward("solve", a, b), np.linalg.solve(a, b), rtol=1e-13)
    np.testing.assert_allclose(forward("solve", a, B), np.linalg.solve(a, B), rtol=1e-13)
    spd = a @ a.T
    np.testing.assert_allclose(forward("cholesky", spd), np.linalg.cholesky(spd), rtol=1e-14)


def test_cholesky_reads_only_the_lower_triangle_as_numpy_does():
    garbage = SPD3 + np.triu(np.full((3, 3), 100.0), 1)
    np.testing.assert_array_equal(forward("cholesky", garbage), np.linalg.cholesky(garbage))
    np.testing.assert_allclose(forward("cholesky", garbage), np.linalg.cholesky(SPD3), rtol=1e-15)


def test_cholesky_derivative_is_zero_above_the_diagonal_and_doubles_below():
    """The function is chol(tril(A) + tril(A, -1).T): moving A[0, 2] changes nothing, moving
    A[2, 0] moves both S[2, 0] and S[0, 2]."""
    g = RNG.normal(size=(3, 3))
    out = forward("cholesky", SPD3)
    vjp = REGISTRY["cholesky"].vjps[0](g, out, SPD3)
    assert np.all(np.triu(vjp, 1) == 0)
    h = 1e-6
    for i, j in [(2, 0), (1, 1), (0, 2)]:
        e = np.zeros((3, 3))
        e[i, j] = h
        slope = (forward("cholesky", SPD3 + e) - forward("cholesky", SPD3 - e)) / (2 * h)
        assert np.sum(g * slope) == pytest.approx(vjp[i, j], rel=1e-6, abs=1e-9)


# ----- shapes -----
@pytest.mark.parametrize("name", MATRIX_OPS)
@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 2, 2), ()])
def test_non_square_inputs_are_refused_naming_the_op_and_shape(name, shape):
    label = "slogdet" if name.startswith("slogdet") else name
    with pytest.raises(ShapeError, match=rf"^{label}: A must be a square matrix \(n, n\), got shape "
                                         rf"{re.escape(str(shape))}"):
        apply(name, Var("A", shape))


@pytest.mark.parametrize("b_shape", [(2,), (2, 3), (3, 3, 1), ()])
def test_solve_refuses_a_right_hand_side_of_the_wrong_length(b_shape):
    with pytest.raises(ShapeError, match=r"solve: b must be a vector of length 3 or a matrix with 3 rows"):
        apply("solve", Var("A", (3, 3)), Var("b", b_shape))
    assert apply("solve", Var("A", (3, 3)), Var("b", (3, 4))).shape == (3, 4)


# ----- domains -----
@pytest.mark.parametrize("name", [*MATRIX_OPS, "solve"])
def test_into_domain_maps_any_values_inside_the_domain(name):
    record = REGISTRY[name]
    for n in (1, 2, 3, 8):
        for scale in (1.0, 1e3):
            a = record.into_domain(0, scale * RNG.uniform(-2, 2, (n, n)))
            b = RNG.normal(size=n)
            assert record.domain(a, b) if name == "solve" else record.domain(a)
    assert record.domain(*([np.eye(2)] + ([np.ones(2)] if name == "solve" else [])))


@pytest.mark.parametrize("name", [*MATRIX_OPS, "solve"])
def test_ill_conditioned_and_singular_matrices_are_outside_the_domain(name):
    record = REGISTRY[name]
    bad = np.diag([1.0, 2 * COND_LIMIT])
    for a in [bad, *SINGULAR]:
        assert not (record.domain(a, np.ones(len(a))) if name == "solve" else record.domain(a))


def test_cholesky_domain_is_positive_definite_lower_triangle():
    assert REGISTRY["cholesky"].domain(SPD3)
    assert not REGISTRY["cholesky"].domain(-SPD3)
    assert not REGISTRY["cholesky"].domain(np.array([[1.0, 5.0], [2.0, 1.0]]))  # S = [[1, 2], [2, 1]]


@pytest.mark.parametrize("name", [*MATRIX_OPS, "solve"])
def test_random_points_satisfy_the_domain(name):
    inputs = [Var("A", (4, 4))] + ([Var("b", (4,))] if name == "solve" else [])
    expr = apply(name, *inputs)
    for point in random_points(expr, 20, seed=2):
        assert in_domain(expr, point)
        assert np.linalg.cond(point["A"]) <= COND_LIMIT


# ----- singular matrices -----
@pytest.mark.parametrize("a", SINGULAR, ids=["2x2", "3x3"])
def test_singular_matrices_give_nan_or_minus_inf_never_a_traceback(a):
    n = len(a)
    assert np.all(np.isnan(forward("inv", a)))
    assert np.all(np.isnan(forward("solve", a, np.ones(n))))
    assert forward("slogdet_logabs", a) == -np.inf and forward("slogdet_sign", a) == 0
    assert np.all(np.isnan(forward("cholesky", a)))  # not positive definite
    assert np.isfinite(forward("det", a))
    np.testing.assert_allclose(cofactors(a), np.array(sp.Matrix(a).adjugate().T, float), atol=1e-12)


# ----- complex step: the forwards are analytic -----
@pytest.mark.parametrize("name", [*MATRIX_OPS, "solve"])
def test_complex_step_of_each_forward_equals_central_differences(name):
    record = REGISTRY[name]
    a = record.into_domain(0, RNG.uniform(-2, 2, (3, 3)))
    if name == "slogdet_logabs":
        a = -a  # a negative determinant: log|det| is log(-det) there
    rest = [RNG.normal(size=3)] if name == "solve" else []
    assert record.analytic and not record.has_kinks
    e = np.zeros((3, 3))
    e[2, 1] = 1.0
    step = np.imag(record.forward(a + 1e-20j * e, *rest)) / 1e-20
    central = (record.forward(a + 1e-6 * e, *rest) - record.forward(a - 1e-6 * e, *rest)) / 2e-6
    np.testing.assert_allclose(step, central, rtol=1e-6, atol=1e-9)
    assert np.all(np.isreal(record.forward(a.astype(complex), *rest)))


# ----- SymPy -----
def test_lowerings_are_sympys_exact_formulas():
    symbols = sympy_local.lower_node(REGISTRY["det"], [(2, 2)], {}).slots[0]
    (a, b), (c, d) = symbols
    det = sympy_local.lower_node(REGISTRY["det"], [(2, 2)], {}).out[()]
    assert sp.expand(det - (a * d - b * c)) == 0
    inv = sympy_local.lower_node(REGISTRY["inv"], [(2, 2)], {}).out
    assert sp.simplify(inv[0, 1] - (-b / (a * d - b * c))) == 0
    chol = sympy_local.lower_node(REGISTRY["cholesky"], [(2, 2)], {}).out
    assert chol[0, 1] == 0 and chol[1, 0] == c / sp.sqrt(a)  # c = A[1, 0]; b (above) unread


def test_sympy_matrix_calculus_gives_the_closed_forms_for_inv_and_solve():
    a = REGISTRY["inv"].into_domain(0, RNG.uniform(-2, 2, (4, 4)))
    x_inv = np.linalg.inv(a)
    g = RNG.normal(size=(4, 4))
    got = sympy_local.linear_adjoint(REGISTRY["inv"], 0, g, [a], {})
    np.testing.assert_allclose(got, -x_inv.T @ g @ x_inv.T, rtol=1e-12)
    b, gb = RNG.normal(size=4), RNG.normal(size=4)
    x = np.linalg.solve(a, b)
    got_a = sympy_local.linear_adjoint(REGISTRY["solve"], 0, gb, [a, b], {})
    got_b = sympy_local.linear_adjoint(REGISTRY["solve"], 1, gb, [a, b], {})
    np.testing.assert_allclose(got_b, x_inv.T @ gb, rtol=1e-12)
    np.testing.assert_allclose(got_a, -np.outer(x_inv.T @ gb, x), rtol=1e-12)


def test_sympy_matrix_calculus_is_nan_at_a_singular_matrix_not_a_traceback():
    got = sympy_local.linear_adjoint(REGISTRY["inv"], 0, np.ones((2, 2)), [SINGULAR[0]], {})
    assert got.shape == (2, 2) and np.all(np.isnan(got))


def test_lowered_terms_grow_like_n_factorial_and_are_capped():
    det = REGISTRY["det"]
    sizes = [det.lowered_terms((), (n, n)) for n in range(2, 9)]
    assert sizes == sorted(sizes) and sizes[-1] / sizes[-2] > 8
    assert sympy_local.MAX_TERMS < det.lowered_terms((), (7, 7))  # refused from 7×7 on
    assert det.lowered_terms((), (6, 6)) < sympy_local.MAX_TERMS
    assert det.lowered_terms((), (500, 500)) == LOWERED_CAP == REGISTRY["inv"].lowered_terms((9, 9), (9, 9))
    with pytest.raises(sympy_local.LocalTooLarge):
        sympy_local.sparse_jacobian(det, 0, [(7, 7)], {})
