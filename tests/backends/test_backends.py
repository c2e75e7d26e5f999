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
    from diffcheck.backends import kernels
    from diffcheck.ops import REGISTRY

    calls = []
    original = kernels.vjp_for

    def counting(record, k, *args, **kwargs):
        rule = original(record, k, *args, **kwargs)
        if record is not REGISTRY["matmul"]:
            return rule
        return lambda *a, **kw: calls.append("xy"[k]) or rule(*a, **kw)

    monkeypatch.setattr(kernels, "vjp_for", counting)
    for _ in range(2):
        tape.gradients(expr, (W,), {"W": np.ones((3, 4)), "x": np.ones(4)})
    assert calls == ["x", "x"]  # only W's adjoint, never x's


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


def test_a_gradient_skips_values_no_vjp_reads(monkeypatch):
    """The loss value itself is never computed for a gradient: its VJP does not read it."""
    from diffcheck.ops import REGISTRY

    x = dc.vector("x", 3)
    loss = dc.sum((dc.tanh(x) - 1.0) ** 2)

    def refuse(self, *args, **kwargs):
        raise AssertionError("sum's forward ran")

    monkeypatch.setattr(type(REGISTRY["sum"]), "forward", refuse)
    grad = dc.grad(loss, x, {"x": np.array([0.1, 0.2, 0.3])})
    t = np.tanh([0.1, 0.2, 0.3])
    np.testing.assert_allclose(grad, 2 * (t - 1) * (1 - t**2), rtol=1e-14)


def test_adjoints_never_share_memory():
    """``x + y`` hands both inputs the same cotangent; the results are still separate arrays."""
    x, y = dc.vector("x", 3), dc.vector("y", 3)
    point = {"x": np.ones(3), "y": np.ones(3)}
    grads = dc.grad(dc.sum((x + y) * 2.0), [x, y], point)
    assert not np.shares_memory(grads["x"], grads["y"])
    u = np.array([1.0, 2.0, 3.0])
    vjp = tape.vector_jacobian(x.T + 0.0, x, point, u)
    assert not np.shares_memory(vjp, u) and vjp.flags.writeable
    vjp[:] = 0
    np.testing.assert_array_equal(u, [1.0, 2.0, 3.0])


def test_generated_code_holds_no_user_text():
    from diffcheck.backends.program import compile_program

    secret = dc.vector("import_os_system", 2)
    expr = dc.sum(dc.exp(secret) * 2.0)
    dc.grad(expr, secret, {"import_os_system": np.zeros(2)})
    (sweep,) = compile_program(expr)._sweeps.values()
    assert "import_os_system" not in sweep.source


def test_a_vjp_reading_what_it_did_not_declare_is_named(monkeypatch):
    from diffcheck.backends import kernels
    from diffcheck.ops import REGISTRY
    from diffcheck.ops.reductions import Reduction

    # sum declares it reads nothing; a rule that reads x gets a shape-only stand-in and says so.
    monkeypatch.setattr(type(REGISTRY["sum"]), "vjp", lambda self, g, out, x, axis=None: g * x)
    monkeypatch.delitem(kernels.SPECIALISED, Reduction)  # the plain rule, not the spread
    x = dc.vector("x", 3)
    with pytest.raises(ValueError, match=r"VJP of sum for input 0 failed .*reads \(nothing\)"):
        tape.gradients(dc.sum(dc.exp(x) * 2.0), (x,), {"x": np.ones(3)})


@pytest.mark.parametrize("nonzero", [1, 3, 12])
def test_outer_products_are_exact_on_the_sparse_and_dense_routes(nonzero):
    from diffcheck.backends.kernels import outer

    rng = np.random.default_rng(nonzero)
    g = np.zeros((4, 3))
    g.flat[rng.choice(12, nonzero, replace=False)] = rng.standard_normal(nonzero)
    v = rng.standard_normal(5)
    np.testing.assert_array_equal(outer(g, v), g[..., None] * v)
    assert outer(g, v).shape == (4, 3, 5)


def test_folded_constants_are_never_handed_out():
    """``3 * sum(x)`` folds its whole backward pass; each call still returns a fresh array."""
    x = dc.vector("x", 3)
    point = {"x": np.array([1.0, 2.0, 3.0])}
    first = dc.grad(3.0 * dc.sum(x), x, point)
    assert first.flags.writeable
    first[:] = -1.0
    np.testing.assert_array_equal(dc.grad(3.0 * dc.sum(x), x, point), [3.0, 3.0, 3.0])


def test_constant_subexpressions_fold_and_stay_correct():
    C = np.arange(6.0).reshape(2, 3) / 7
    x = dc.vector("x", 2)
    expr = dc.sum(dc.tanh(dc.Const(C).T @ x) * dc.sum(dc.exp(dc.Const(C)), axis=0))
    point = {"x": np.array([0.3, -0.2])}
    for _ in range(2):  # the checked first run and the unchecked one agree
        report = dc.check(expr, x, point)
        assert report.ok, str(report)


@pytest.mark.parametrize("analytic, per_element", [(True, 1), (False, 2)])
def test_numeric_jacobian_perturbs_each_element_once(monkeypatch, analytic, per_element):
    """A full numeric Jacobian costs one forward re-run per input element (complex step),
    or one ± pair (central differences) away from kinks: the floor, not more."""
    calls = []
    original = numeric.rerun
    monkeypatch.setattr(numeric, "rerun", lambda *a: calls.append(1) or original(*a))
    W, x = dc.matrix("W", 3, 4), dc.vector("x", 4)
    inner = W @ x
    expr = dc.tanh(inner) if analytic else dc.relu(inner)
    point = {"W": np.arange(12.0).reshape(3, 4) / 10 + 0.05, "x": np.array([0.3, 0.2, 0.1, 0.4])}
    result = numeric.jacobian(expr, W, point)
    assert result.method == ("complex-step" if analytic else "central")
    assert len(calls) == per_element * 12 + (0 if analytic else 1)  # central also runs f(x0) once
