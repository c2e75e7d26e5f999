"""NumPy's functions and ufuncs on expressions build the node of their diffcheck twin.

Each case builds an expression with NumPy's own spelling and compares its value with the
same NumPy call on arrays; functions without a twin are a TypeError saying how to proceed.
"""

import numpy as np
import pytest

import diffcheck as dc
from diffcheck.numpy_dispatch import dispatching

rng = np.random.default_rng(0)
VALUES = {
    "W": rng.standard_normal((3, 4)), "x": rng.standard_normal(4), "b": rng.standard_normal(3),
    "E": rng.standard_normal((2, 3)), "A": rng.standard_normal((3, 3)) + 3 * np.eye(3),
    "P": rng.uniform(0.5, 2.0, (2, 3)),
}
VARS = {n: dc.Var(n, v.shape) for n, v in VALUES.items()}
MASK = np.array([True, False, True])

CASES = {
    "tanh layer": lambda W, x, b, **_: np.tanh(W @ x + b),
    "sum keepdims": lambda E, **_: np.sum(E, axis=1, keepdims=True),
    "mean": lambda E, **_: np.mean(E, axis=0),
    "max": lambda E, **_: np.max(E, axis=1),
    "var ddof": lambda E, **_: np.var(E, axis=1, ddof=1),
    "einsum": lambda W, x, **_: np.einsum("ij,j->i", W, x, optimize=True),
    "concatenate": lambda x, b, **_: np.concatenate([x, b, np.ones(2)]),
    "stack": lambda b, **_: np.stack([b, 2 * b], axis=1),
    "where": lambda b, **_: np.where(MASK, b, 0.5),
    "maximum": lambda b, **_: np.maximum(0, b),
    "exp log": lambda P, **_: np.exp(P) + np.log(P),
    "inv": lambda A, **_: np.linalg.inv(A),
    "det": lambda A, **_: np.linalg.det(A),
    "slogdet": lambda A, **_: np.linalg.slogdet(A)[1],
    "solve": lambda A, b, **_: np.linalg.solve(A, b),
    "norm": lambda W, **_: np.linalg.norm(W),
    "trace": lambda A, **_: np.trace(A),
    "outer": lambda x, b, **_: np.outer(b, x),
    "dot": lambda W, x, **_: np.dot(W, x),
    "add.reduce": lambda E, **_: np.add.reduce(E),  # NumPy's default axis 0, not None
    "add.accumulate": lambda E, **_: np.add.accumulate(E),
    "logaddexp.reduce": lambda E, **_: np.logaddexp.reduce(E, axis=1),
    "transpose": lambda E, **_: np.transpose(E),
    "reshape": lambda E, **_: np.reshape(E, (3, 2)),
    "abs clip": lambda b, **_: np.abs(np.clip(b, -1.0, 1.0)),
    "zeros_like": lambda b, **_: b + np.zeros_like(b),
}


@pytest.mark.parametrize("name", CASES)
def test_numpy_on_variables_builds_the_expression_of_the_same_value(name):
    build = CASES[name]
    expr = build(**VARS)
    assert isinstance(expr, dc.Expr), type(expr)
    at = {n: VALUES[n] for n in dc.ir.variables(expr)}
    np.testing.assert_allclose(dc.evaluate(expr, at), build(**VALUES), rtol=1e-12, atol=1e-14)


def test_a_traced_forward_is_differentiated_like_the_builder_form():
    W, x, b = (VARS[n] for n in "Wxb")
    at = {n: VALUES[n] for n in "Wxb"}
    traced = np.tanh(W @ x + b)
    built = dc.tanh(W @ x + b)
    np.testing.assert_array_equal(dc.jacobian(traced, W, at), dc.jacobian(built, W, at))


def test_slogdet_returns_the_pair_as_numpy_does():
    sign, logabs = np.linalg.slogdet(VARS["A"])
    want = np.linalg.slogdet(VALUES["A"])
    assert dc.evaluate(sign, {"A": VALUES["A"]}) == pytest.approx(want[0])
    assert dc.evaluate(logabs, {"A": VALUES["A"]}) == pytest.approx(want[1])


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: np.sort(VARS["x"]), r"np\.sort"),
        (lambda: np.fft.fft(VARS["x"]), r"np\.fft\.fft"),
        (lambda: np.multiply.outer(VALUES["x"], VARS["x"]), r"np\.multiply\.outer"),
        (lambda: np.ones(4) // VARS["x"], r"np\.floor_divide"),
        (lambda: np.median(VARS["E"]), r"np\.median"),
    ],
)
def test_a_function_without_a_twin_is_a_type_error_saying_how_to_proceed(call, name):
    with pytest.raises(TypeError, match=name + r" is not supported .*no equivalent.*check_vjp"):
        call()


def test_no_object_array_is_made_silently():
    with pytest.raises(TypeError):
        np.asarray(VARS["x"])
    with pytest.raises(TypeError, match="out="):
        np.exp(VARS["x"], out=np.empty(4))


def test_python_control_flow_on_values_is_a_clear_type_error():
    x = VARS["x"]
    with pytest.raises(TypeError, match="control flow on values"):
        bool(x.sum())
    with pytest.raises(TypeError, match="cannot be compared"):
        x.sum() > 0  # noqa: B015


def test_numpy_keywords_a_twin_lacks_are_refused_by_name():
    with pytest.raises(TypeError, match="dtype"):
        np.sum(VARS["E"], dtype=np.float32)
    with pytest.raises(TypeError, match="np.add.reduce .*initial"):
        np.add.reduce(VARS["E"], initial=1.0)


def test_the_dispatch_table_lists_numpy_names_with_the_diffcheck_spelling():
    table = dispatching()
    assert table["np.tanh"] == "dc.tanh(x)"
    assert "np.linalg.inv" in table and "np.einsum" in table
    assert "np.sort" not in table
