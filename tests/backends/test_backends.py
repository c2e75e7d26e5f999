"""Each backend on its own: accuracy, caching, batching, kinks and dtypes."""

import numpy as np
import pytest
import sympy as sp

import diffcheck as dc
from diffcheck.backends import numeric, symbolic, tape
from diffcheck.backends.program import compile_program


def test_complex_step_is_exact_to_rounding():
    # The Squire-Trapp test function: central differences reach only ~1e-10 here.
    x = dc.scalar("x")
    f = dc.exp(x) / dc.sqrt(dc.sin(x) ** 3 + dc.cos(x) ** 3)
    point = {"x": np.array(1.5)}
    nj = numeric.jacobian(f, x, point)
    exact = symbolic.jacobian_entries_precise(f, x, point, [()])[0]
    assert nj.method == "complex-step"
    assert abs(float(nj.values) - exact) / abs(exact) < 1e-15


def test_central_differences_where_a_kink_is_on_the_path():
    x = dc.vector("x", 3)
    nj = numeric.jacobian(dc.relu(x) * x, x, {"x": np.array([0.5, -0.7, 1.2])})
    assert nj.method == "central"
    np.testing.assert_allclose(np.diag(nj.values), [1.0, 0.0, 2.4], rtol=1e-8)


def test_one_sided_differences_near_a_kink_are_accurate():
    x = dc.scalar("x")
    nj = numeric.jacobian(dc.abs(x) * 3.0, x, {"x": np.array(1e-9)})
    assert not nj.kink and float(nj.values) == pytest.approx(3.0, rel=1e-6)


def test_at_a_kink_both_one_sided_values_are_reported():
    x = dc.scalar("x")
    nj = numeric.jacobian(dc.relu(x), x, {"x": np.array(0.0)})
    assert nj.at_kink and bool(nj.kink)
    assert float(nj.left) == pytest.approx(0.0, abs=1e-7)
    assert float(nj.right) == pytest.approx(1.0, rel=1e-7)


def test_symbolic_derivatives_are_cached(monkeypatch):
    x = dc.vector("x", 3)
    expr = dc.sum(dc.tanh(x) ** 2)
    point = {"x": np.array([0.1, 0.2, 0.3])}
    first = symbolic.jacobian(expr, x, point)
    calls = []
    monkeypatch.setattr(sp, "diff", lambda *a, **k: calls.append(a))
    monkeypatch.setattr(sp, "lambdify", lambda *a, **k: calls.append(a))
    second = symbolic.jacobian(expr, x, {"x": np.array([0.3, 0.2, 0.1])})
    assert calls == []
    np.testing.assert_allclose(first, second[::-1])


def test_tape_program_is_compiled_once():
    x = dc.vector("x", 3)
    expr = dc.sum(dc.exp(x))
    assert compile_program(expr) is compile_program(expr)


def test_tape_prunes_branches_that_do_not_need_gradients(monkeypatch):
    W, x = dc.matrix("W", 3, 4), dc.vector("x", 4)
    expr = dc.sum(W @ x)
    from diffcheck.ops import REGISTRY

    record = REGISTRY["matmul"]
    calls = []
    original = type(record).vjps

    def counting(self):
        vx, vy = original.fget(self)
        return (lambda *a, **k: calls.append("x") or vx(*a, **k),
                lambda *a, **k: calls.append("y") or vy(*a, **k))

    monkeypatch.setattr(type(record), "vjps", property(counting))
    tape.gradients(expr, (W,), {"W": np.ones((3, 4)), "x": np.ones(4)})
    assert calls == ["x"]  # only W's adjoint, never x's


def test_full_jacobian_is_one_batched_backward_pass(monkeypatch):
    W, x = dc.matrix("W", 5, 3), dc.vector("x", 3)
    expr = dc.sigmoid(W @ x)
    calls = []
    original = tape.backward
    monkeypatch.setattr(tape, "backward", lambda *a: calls.append(1) or original(*a))
    point = {"W": np.arange(15.0).reshape(5, 3) / 10, "x": np.array([0.1, -0.2, 0.3])}
    j = tape.jacobian(expr, W, point)
    assert len(calls) == 1 and j.shape == (5, 5, 3)


def test_float32_runs_in_float32():
    x = dc.vector("x", 3)
    point = {"x": np.array([0.1, 0.2, 0.3], dtype=np.float32)}
    assert dc.evaluate(dc.tanh(x), point).dtype == np.float32
    assert dc.jacobian(dc.tanh(x), x, point).dtype == np.float32
    report = dc.check(dc.sum(dc.tanh(x) * x), x, point)
    assert report.ok, str(report)
    assert report.tolerances["tape"] == (1e-4, 1e-5)


def test_variable_not_in_expression_has_zero_derivative():
    x, z = dc.vector("x", 2), dc.scalar("z")
    point = {"x": np.array([1.0, 2.0])}
    assert np.all(tape.jacobian(dc.exp(x), z, point) == 0)
    assert np.all(numeric.jacobian(dc.exp(x), z, point).values == 0)
    assert tape.jacobian(dc.exp(x), z, point).shape == (2,)


def test_a_vjp_returning_the_wrong_shape_is_named(monkeypatch):
    from diffcheck.ops import REGISTRY

    monkeypatch.setattr(type(REGISTRY["tanh"]), "vjp", staticmethod(lambda g, out, x: g.sum()))
    x = dc.vector("x", 3)
    with pytest.raises(ValueError, match=r"VJP of tanh for input 0 returned shape \(\)"):
        tape.gradients(dc.sum(dc.tanh(x)), (x,), {"x": np.ones(3)})
