"""dc.closed_form: matrix-notation derivatives print the lecture's formulas and agree with
the tape (reverse mode over NumPy) and with SymPy's element-wise gradient."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import diffcheck as dc
from diffcheck.matrix_forms import ClosedForm, NoMatrixRule
from diffcheck.strategies import expressions, points

LECTURE_W1 = "2·Xᵀ(relu′(X W₁) ⊙ ((relu(X W₁) W₂ − Y) W₂ᵀ))"
LECTURE_W2 = "2·relu(X W₁)ᵀ(relu(X W₁) W₂ − Y)"


def two_layer(n, d, h, o):
    X, W1 = dc.matrix("X", n, d), dc.matrix("W1", d, h)
    W2, Y = dc.matrix("W2", h, o), dc.matrix("Y", n, o)
    return dc.sum((dc.relu(X @ W1) @ W2 - Y) ** 2), (X, W1, W2, Y)


def point(variables, seed=0):
    rng = np.random.default_rng(seed)
    return {v.name: rng.normal(size=v.shape) for v in variables}


def test_matrix_vector_product_by_its_vector_is_the_matrix():
    W, x = dc.matrix("W", 2, 3), dc.vector("x", 3)
    form = dc.closed_form(W @ x, x)
    assert isinstance(form, ClosedForm) and str(form) == "W"
    at = point([W, x])
    np.testing.assert_allclose(form.evaluate(at), dc.jacobian(W @ x, x, at))


def test_a_sigmoid_layer_by_its_input_is_diag_of_the_slope_times_W():
    W, x, b = dc.matrix("W", 4, 3), dc.vector("x", 3), dc.vector("b", 4)
    y = dc.sigmoid(W @ x + b)
    form = dc.closed_form(y, "x")
    assert str(form) == "diag(σ′(W x + b)) W"
    assert form.latex == r"\operatorname{diag}\left(\sigma'\left(W \, x + b\right)\right) \, W"
    at = point([W, x, b], seed=1)
    np.testing.assert_allclose(form.evaluate(at), dc.jacobian(y, x, at), rtol=1e-12)


def test_a_vector_by_a_matrix_prints_the_lecture_index_form():
    W, x, b = dc.matrix("W", 4, 3), dc.vector("x", 3), dc.vector("b", 4)
    at = point([W, x, b], seed=5)
    for y, text in [(W @ x + b, "δ_ij x_k"), (dc.sigmoid(W @ x + b), "δ_ij σ′(W x + b)_i x_k"),
                    (3 * (W @ dc.tanh(x)) + b, "3·δ_ij tanh(x)_k")]:
        form = dc.closed_form(y, W)
        assert str(form) == text
        np.testing.assert_allclose(form.evaluate(at), dc.jacobian(y, W, at), rtol=1e-12)
    assert dc.closed_form(W @ x, W).latex == r"\delta_{ij} x_{k}"


def test_the_two_layer_network_prints_the_lecture_gradients():
    L, (X, W1, W2, Y) = two_layer(4, 10, 5, 3)
    assert str(dc.closed_form(L, W1)) == LECTURE_W1
    assert str(dc.closed_form(L, W2)) == LECTURE_W2
    latex = dc.closed_form(L, W1).latex
    assert latex.startswith(r"2 \cdot X^{\top}") and r"\odot" in latex and r"\operatorname{relu}'" in latex
    assert dc.closed_form(L, W1)._repr_latex_() == f"$\\displaystyle {latex}$"


@pytest.mark.parametrize("sizes", [(4, 10, 5, 3), (64, 1000, 100, 10)], ids=["small", "lecture"])
def test_the_network_gradients_evaluate_to_the_tape_at_any_size(sizes):
    L, variables = two_layer(*sizes)
    at = point(variables, seed=2)
    for wrt in variables:
        got = dc.closed_form(L, wrt).evaluate(at)
        np.testing.assert_allclose(got, dc.grad(L, wrt, at), rtol=1e-10, atol=1e-9)


def test_the_derivation_does_not_depend_on_the_sizes():
    (L_s, small), (L_b, big) = two_layer(4, 10, 5, 3), two_layer(64, 1000, 100, 10)
    for v_s, v_b in zip(small, big):
        s, b = dc.closed_form(L_s, v_s), dc.closed_form(L_b, v_b)
        assert str(s) == str(b) and s.latex == b.latex
        assert count_nodes(s.form) == count_nodes(b.form)  # the same work at either size


def count_nodes(node, seen=None):
    seen = set() if seen is None else seen
    if id(node) in seen:
        return 0
    seen.add(id(node))
    return 1 + sum(count_nodes(a, seen) for a in node.args)


def test_the_sympy_form_is_over_matrix_symbols_and_agrees():
    import sympy as sp
    from sympy.matrices.expressions.matexpr import MatrixElement

    L, (X, W1, W2, Y) = two_layer(64, 1000, 100, 10)
    form = dc.closed_form(L, W1).sympy
    assert form.shape == (1000, 100)
    assert {s.name for s in form.free_symbols} == {"X", "W1", "W2", "Y"}
    assert not form.atoms(MatrixElement)  # nothing expanded element by element
    W, x = dc.matrix("W", 2, 2), dc.vector("x", 2)
    small = dc.closed_form(dc.sum(dc.tanh(W @ x)), W).sympy
    at = point([W, x], seed=3)
    value = small.subs({sp.MatrixSymbol("W", 2, 2): sp.Matrix(at["W"]),
                        sp.MatrixSymbol("x", 2, 1): sp.Matrix(at["x"])})
    np.testing.assert_allclose(np.array(value.doit().evalf(), dtype=float),
                               dc.grad(dc.sum(dc.tanh(W @ x)), W, at), rtol=1e-10)


def test_simplifications_and_broadcasts_print_cleanly():
    W, x, b, a = dc.matrix("W", 2, 3), dc.vector("x", 3), dc.vector("b", 3), dc.scalar("a")
    assert str(dc.closed_form(x @ x, x)) == "2·x"
    assert str(dc.closed_form(dc.sum(W @ x), x)) == "Wᵀ 1"
    assert str(dc.closed_form(dc.sum((W + b) ** 3), b)) == "3·((W + 1 bᵀ)^∘2)ᵀ 1"
    assert str(dc.closed_form(dc.sum(dc.exp(x)), x)) == "exp(x)"
    assert str(dc.closed_form(dc.sum(W.T.T * a), W)) == "a·1"
    assert str(dc.closed_form(dc.mean(W), W)) == "1/6·1"
    y = dc.sum(dc.log(dc.sigmoid(W @ x)) / a)
    at = {"W": point([W])["W"], "x": np.ones(3), "a": 2.0}
    for wrt in (W, x, a):
        np.testing.assert_allclose(dc.closed_form(y, wrt).evaluate(at), dc.grad(y, wrt, at), rtol=1e-12)


def test_an_op_without_a_matrix_rule_is_named_with_the_per_node_route():
    x = dc.vector("x", 3)
    with pytest.raises(NoMatrixRule, match=r"op 'cumsum'.*per-node SymPy route"):
        dc.closed_form(dc.sum(dc.cumsum(x)), x)
    assert issubclass(NoMatrixRule, ValueError)


def test_an_op_without_a_rule_off_the_path_is_kept_whole():
    x, v = dc.vector("x", 3), dc.vector("v", 3)
    y = dc.sum(x * dc.cumsum(v))
    form = dc.closed_form(y, x)
    assert str(form) == "cumsum(v)"
    at = point([x, v], seed=4)
    np.testing.assert_allclose(form.evaluate(at), dc.grad(y, x, at))


def test_bad_requests_are_clear_errors():
    W, x = dc.matrix("W", 2, 3), dc.vector("x", 3)
    with pytest.raises(ValueError, match=r"'z' is not a variable of y; y's variables are: W, x"):
        dc.closed_form(dc.sum(W @ x), "z")
    with pytest.raises(ValueError, match=r"∂y/∂W for y of shape \(2,\) and W of shape \(2, 3\).*index form"):
        dc.closed_form(dc.tanh(W @ x) * dc.sum(W), W)
    with pytest.raises(ValueError, match=r"∂y/∂x for y of shape \(2, 3\) and x of shape \(3,\)"):
        dc.closed_form(W * x, x)
    with pytest.raises(ValueError, match=r"has no value for 'x'"):
        dc.closed_form(dc.sum(W @ x), W).evaluate({"W": np.ones((2, 3))})


def test_a_derivative_free_of_the_variable_is_zero():
    W, x = dc.matrix("W", 2, 3), dc.vector("x", 3)
    y = dc.sum(W @ x) + 0 * dc.sum(x)
    assert np.all(dc.closed_form(dc.sum(W) + dc.sum(x), x).evaluate(point([W, x])) == 1.0)
    assert dc.closed_form(y, W).evaluate(point([W, x])).shape == (2, 3)


SUPPORTED = ["add", "sub", "mul", "neg", "div", "matmul", "transpose", "sum", "mean",
             "exp", "log", "tanh", "sigmoid", "relu", "square", "pow"]
VARIABLES = [dc.scalar("a"), dc.vector("x", 3), dc.matrix("W", 2, 3)]
# Cases a rule refuses on purpose (named in the message); anything else must derive.
REFUSED = ("keepdims=True", "constant scalar exponent", "this broadcast has no matrix-level form")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_closed_forms_agree_with_the_tape_and_sympy_on_random_expressions(data):
    drawn = data.draw(expressions(VARIABLES, ops=SUPPORTED, max_leaves=6), label="expr")
    y = drawn if drawn.shape == () else dc.sum(drawn)
    at = data.draw(points(y), label="at")
    for name in at:
        try:
            form = dc.closed_form(y, name)
        except NoMatrixRule as error:
            assert any(reason in str(error) for reason in REFUSED), str(error)
            continue
        note(f"∂/∂{name} = {form}")
        got = form.evaluate(at)
        np.testing.assert_allclose(got, dc.grad(y, name, at), rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(got, dc.grad(y, name, at, method="sympy"), rtol=1e-7, atol=1e-9)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.filter_too_much])
@given(data=st.data())
def test_jacobians_of_vector_expressions_agree_with_the_tape(data):
    drawn = data.draw(expressions(VARIABLES, ops=[o for o in SUPPORTED if o not in ("sum", "mean")],
                                  max_leaves=5).filter(lambda e: e.shape == (3,) or e.shape == (2,)),
                      label="expr")
    at = data.draw(points(drawn), label="at")
    if "x" not in at:
        return
    try:
        form = dc.closed_form(drawn, "x")
    except NoMatrixRule as error:  # e.g. through a matrix-valued node: (W + 1xᵀ) x
        reasons = (*REFUSED, "Jacobian ∂y/∂x has no matrix form")
        assert any(reason in str(error) for reason in reasons), str(error)
        return
    note(f"∂y/∂x = {form}")
    np.testing.assert_allclose(form.evaluate(at), dc.jacobian(drawn, "x", at), rtol=1e-7, atol=1e-9)


def _rule_cases():
    from diffcheck.ops import REGISTRY

    for name, record in sorted(REGISTRY.items()):
        if record.matrix_rule is None:
            continue
        for k, sample in enumerate(record.samples):
            if all(len(s) <= 2 for s in sample.shapes):
                yield pytest.param(name, sample, id=f"{name}-{k}")


@pytest.mark.parametrize(("name", "sample"), list(_rule_cases()))
def test_every_matrix_rule_agrees_with_the_tape_on_its_samples(name, sample):
    """Each record's matrix_rule, on the record's own table samples (a constant exponent
    for pow, whose rule covers only that)."""
    from diffcheck.checking.points import random_points
    from diffcheck.ir import apply

    inputs = [dc.Var(f"v{i}", shape) for i, shape in enumerate(sample.shapes)]
    if name == "pow":
        inputs[1] = dc.const(np.full(sample.shapes[1], 3.0)) if sample.shapes[1] else dc.const(3.0)
    node = apply(name, *inputs, **dict(sample.params))
    y = node if node.shape == () else dc.sum(node)
    (at,) = random_points(y, 1, seed=0)
    for var in dc.ir.variables(y).values():
        try:
            form = dc.closed_form(y, var)
        except NoMatrixRule as error:
            assert any(reason in str(error) for reason in (*REFUSED, "keepdims")), str(error)
            continue
        np.testing.assert_allclose(form.evaluate(at), dc.grad(y, var, at), rtol=1e-9, atol=1e-12,
                                   err_msg=f"{name} {sample}: {form}")


def test_a_broadcast_without_a_matrix_form_is_refused_by_name_not_guessed():
    W, x = dc.matrix("W", 2, 3), dc.vector("x", 3)
    y = dc.sum(x + dc.sum(W, axis=1, keepdims=True))  # (3,) + (2, 1) -> (2, 3)
    with pytest.raises(NoMatrixRule, match=r"op 'add'.*\(3,\) and \(2, 1\).*no matrix-level form"):
        dc.closed_form(y, x)
    with pytest.raises(dc.ShapeError, match="'x'"):
        dc.closed_form(dc.sum(W @ x), x).evaluate({"W": np.ones((2, 3)), "x": np.ones(4)})


@pytest.mark.parametrize("outputs", [1, 2])
def test_column_notation_networks_print_delta_times_the_input_transposed(outputs):
    """The exercises' column notation, z = W x + b with one or several outputs: ∂E/∂W₁ is
    δ¹ xᵀ and ∂E/∂W₂ is δ² a¹ᵀ; a one-element error is a scalar factor, not ``1ᵀ(…)``."""
    x, t = dc.vector("x", 2), dc.vector("t", outputs)
    W1, b1 = dc.matrix("W1", 3, 2), dc.vector("b1", 3)
    W2, b2 = dc.matrix("W2", outputs, 3), dc.vector("b2", outputs)
    E = 0.5 * dc.sum((W2 @ dc.sigmoid(W1 @ x + b1) + b2 - t) ** 2)
    first, second = dc.closed_form(E, W1), dc.closed_form(E, W2)
    if outputs == 2:
        assert str(first) == "(σ′(W₁ x + b₁) ⊙ (W₂ᵀ(W₂ σ(W₁ x + b₁) + b₂ − t))) xᵀ"
        assert str(second) == "(W₂ σ(W₁ x + b₁) + b₂ − t) σ(W₁ x + b₁)ᵀ"
    else:
        assert str(first) == "(W₂ σ(W₁ x + b₁) + b₂ − t)·(σ′(W₁ x + b₁) ⊙ W₂ᵀ) xᵀ"
        assert "1ᵀ" not in str(second)
    at = point((x, t, W1, b1, W2, b2), seed=outputs)
    for form, w in ((first, W1), (second, W2)):
        np.testing.assert_allclose(form.evaluate(at), dc.grad(E, w, at), rtol=1e-12)
