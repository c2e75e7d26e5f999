"""The public derivative calls on the lecture's worked examples, with all three methods."""

import numpy as np
import pytest
import sympy as sp

import diffcheck as dc

METHODS = ("tape", "sympy", "numeric")
rng = np.random.default_rng(2024)
W_4x3 = rng.normal(size=(4, 3))
x_3 = rng.normal(size=3)


@pytest.mark.parametrize("method", METHODS)
def test_lecture_graph_d_equals_a_times_a_plus_b(method):
    a, b = dc.scalar("a"), dc.scalar("b")
    c = a + b
    d = a * c
    at = {"a": 4, "b": 3}
    assert float(dc.evaluate(c, at)) == 7 and float(dc.evaluate(d, at)) == 28
    grads = dc.grad(d, [a, b], at, method=method)
    assert grads["a"] == pytest.approx(11) and grads["b"] == pytest.approx(4)
    # ∂d/∂c = a: treat c as its own leaf, as the lecture's backward pass does.
    c_leaf = dc.scalar("c")
    assert dc.grad(a * c_leaf, c_leaf, {"a": 4, "c": 7}, method=method) == pytest.approx(4)


def test_lecture_graph_closed_form_is_2a_plus_b():
    a, b = dc.scalar("a"), dc.scalar("b")
    d = a * (a + b)
    assert sp.expand(dc.symbolic_jacobian(d, a)) == 2 * sp.Symbol("a", real=True) + sp.Symbol(
        "b", real=True
    )
    assert dc.symbolic_jacobian(d, b) == sp.Symbol("a", real=True)


@pytest.mark.parametrize("method", METHODS)
def test_y_equals_Wx_gives_W(method):
    W, x = dc.matrix("W", 4, 3), dc.vector("x", 3)
    J = dc.jacobian(W @ x, x, {"W": W_4x3, "x": x_3}, method=method)
    assert J.shape == (4, 3)
    np.testing.assert_allclose(J, W_4x3, rtol=1e-10)


@pytest.mark.parametrize("method", METHODS)
def test_row_vector_xW_in_both_layouts(method):
    x, W = dc.vector("x", 3), dc.matrix("W", 3, 4)
    Wv = W_4x3.T.copy()
    at = {"x": x_3, "W": Wv}
    np.testing.assert_allclose(dc.jacobian(x @ W, x, at, method=method), Wv.T, rtol=1e-10)
    den = dc.jacobian(x @ W, x, at, method=method, layout="denominator")
    np.testing.assert_allclose(den, Wv, rtol=1e-10)


@pytest.mark.parametrize("method", METHODS)
def test_dy_dW_is_a_4x4x3_tensor_of_delta_ik_x_j(method):
    W, x = dc.matrix("W", 4, 3), dc.vector("x", 3)
    T = dc.jacobian(W @ x, W, {"W": W_4x3, "x": x_3}, method=method)
    assert T.shape == (4, 4, 3)
    expected = np.einsum("ik,j->ikj", np.eye(4), x_3)
    np.testing.assert_allclose(T, expected, rtol=1e-10, atol=1e-12)
    # The compact form: ∂y_i/∂W[i,:] = x for every i.
    for i in range(4):
        np.testing.assert_allclose(T[i, i, :], x_3, rtol=1e-10)


@pytest.mark.parametrize("method", METHODS)
def test_Y_equals_XW_blocks(method):
    X, W = dc.matrix("X", 5, 3), dc.matrix("W", 3, 4)
    Xv, Wv = rng.normal(size=(5, 3)), rng.normal(size=(3, 4))
    J = dc.jacobian(X @ W, X, {"X": Xv, "W": Wv}, method=method)
    assert J.shape == (5, 4, 5, 3)
    for i in range(5):
        for j in range(5):
            block = J[i, :, j, :]  # ∂Y[i,:]/∂X[j,:]
            if i == j:
                np.testing.assert_allclose(block, Wv.T, rtol=1e-10)
            else:
                assert np.all(block == 0)


@pytest.mark.parametrize("method", METHODS)
def test_chain_rule_VWx_gives_VW(method):
    V, W, x = dc.matrix("V", 2, 4), dc.matrix("W", 4, 3), dc.vector("x", 3)
    Vv = rng.normal(size=(2, 4))
    J = dc.jacobian(V @ (W @ x), x, {"V": Vv, "W": W_4x3, "x": x_3}, method=method)
    np.testing.assert_allclose(J, Vv @ W_4x3, rtol=1e-10)


def test_tape_and_sympy_agree_to_1e10_on_lecture_examples():
    W, x, V = dc.matrix("W", 4, 3), dc.vector("x", 3), dc.matrix("V", 2, 4)
    b = dc.vector("b", 4)
    at = {"W": W_4x3, "x": x_3, "V": rng.normal(size=(2, 4)), "b": rng.normal(size=4)}
    y = V @ dc.sigmoid(W @ x + b)
    for var in (W, x, V, b):
        t = dc.jacobian(y, var, at)
        s = dc.jacobian(y, var, at, method="sympy")
        np.testing.assert_allclose(t, s, rtol=1e-10, atol=1e-14)


def test_grad_returns_array_or_dict():
    x, W = dc.vector("x", 3), dc.matrix("W", 2, 3)
    loss = dc.sum(dc.tanh(W @ x))
    at = {"x": x_3, "W": W_4x3[:2]}
    g = dc.grad(loss, x, at)
    assert isinstance(g, np.ndarray) and g.shape == (3,)
    gs = dc.grad(loss, [x, "W"], at)
    assert set(gs) == {"x", "W"} and gs["W"].shape == (2, 3)
    np.testing.assert_allclose(gs["x"], g)
    for method in ("sympy", "numeric"):
        np.testing.assert_allclose(dc.grad(loss, x, at, method=method), g, rtol=1e-10)


def test_grad_of_non_scalar_explains():
    x = dc.vector("x", 2)
    with pytest.raises(ValueError, match="scalar"):
        dc.grad(x * 2, x, {"x": [1.0, 2.0]})


def test_bad_method_layout_and_wrt_are_named():
    x = dc.vector("x", 2)
    at = {"x": [1.0, 2.0]}
    with pytest.raises(ValueError, match="'magic'"):
        dc.jacobian(x * 2, x, at, method="magic")
    with pytest.raises(ValueError, match="layout"):
        dc.jacobian(x * 2, x, at, layout="mixed")
    with pytest.raises(ValueError, match=r"'z' is not a variable.*x"):
        dc.jacobian(x * 2, "z", at)
    with pytest.raises(TypeError, match="variables"):
        dc.jacobian(x * 2, x * 2, at)


def test_symbolic_jacobian_types_follow_the_contract():
    a, x, W = dc.scalar("a"), dc.vector("x", 3), dc.matrix("W", 2, 3)
    assert isinstance(dc.symbolic_jacobian(a * a, a), sp.Expr)
    m = dc.symbolic_jacobian(W @ x, x)
    assert isinstance(m, sp.MatrixBase) and m.shape == (2, 3)
    assert dc.symbolic_jacobian(W @ x, x, layout="denominator").shape == (3, 2)
    t = dc.symbolic_jacobian(W @ x, W)
    assert isinstance(t, sp.NDimArray) and t.shape == (2, 2, 3)
    assert dc.symbolic_jacobian(W @ x, W, layout="denominator").shape == (2, 3, 2)
    assert t[1, 1, 2] == sp.Symbol("x[2]", real=True) and t[0, 1, 2] == 0


def test_to_sympy_shapes_and_element_names():
    a, x, W = dc.scalar("a"), dc.vector("x", 3), dc.matrix("W", 2, 3)
    assert dc.to_sympy(a) == sp.Symbol("a", real=True)
    col = dc.to_sympy(x)
    assert isinstance(col, sp.MatrixBase) and col.shape == (3, 1)
    assert str(col[2]) == "x[2]"
    mat = dc.to_sympy(W)
    assert mat.shape == (2, 3) and str(mat[1, 2]) == "W[1,2]"
    expr = dc.to_sympy(2 * W @ x)
    assert sp.expand(expr[0] - 2 * sum(mat[0, j] * col[j] for j in range(3))) == 0


def test_constants_stay_exact_in_sympy():
    a = dc.scalar("a")
    assert dc.to_sympy(0.5 * a**2) == sp.Rational(1, 2) * sp.Symbol("a", real=True) ** 2


def test_grad_remembers_few_variable_lists_and_still_checks_each():
    from diffcheck import derivatives

    x = dc.vector("x", 2)
    y = dc.sum(x * x)
    for _ in range(3 * derivatives.WRT_CACHE_SIZE):
        np.testing.assert_array_equal(dc.grad(y, dc.vector("x", 2), {"x": [1.0, 2.0]}), [2.0, 4.0])
    assert len(y._cache["wrt"]) <= derivatives.WRT_CACHE_SIZE
    with pytest.raises(ValueError, match="shape"):
        dc.grad(y, dc.vector("x", 3), {"x": [1.0, 2.0]})
    with pytest.raises(ValueError, match="not a variable"):
        dc.grad(y, ["x", "z"], {"x": [1.0, 2.0]})
