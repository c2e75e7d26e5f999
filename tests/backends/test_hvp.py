"""The tape's second order: every op's forward and VJPs take a complex step exactly, and the
three second-order backends read only their own rules."""

from pathlib import Path

import numpy as np
import pytest

import diffcheck as dc
from diffcheck.backends import hvp
from diffcheck.backends.program import compile_program
from diffcheck.backends.sweep import sweep_for, unit
from diffcheck.checking.points import random_points
from diffcheck.ir import Var, apply, variables
from diffcheck.ops import REGISTRY
from tests.backends.test_independence import names_in

PACKAGE = Path(dc.__file__).parent


def gradient(y, wrt, point, dtype):
    dtype = np.dtype(dtype)
    with np.errstate(all="ignore"):
        return sweep_for(compile_program(y), wrt, 0, dtype, unit_seed=True).run(point, unit(dtype))


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_complex_step_through_each_ops_vjps_is_the_derivative_of_its_real_vjps(name):
    """Im ∇f(x + ih·v)/h (the tape's Hessian-vector product) equals central differences of
    the real gradient along v, and Re ∇f(x + ih·v) is the real gradient: each op's forward
    and VJPs are analytic extensions of the real rules (branching on the real part)."""
    record = REGISTRY[name]
    rng = np.random.default_rng(18)
    for sample in record.samples:
        e = apply(name, *(Var(n, s) for n, s in zip("abcdefgh", sample.shapes)), **sample.params)
        y = dc.sum(e * dc.const(rng.normal(size=e.shape))) if e.shape else e * 1.5
        wrt = tuple(variables(y).values())
        for point in random_points(e, 2, seed=3):
            v = {k: rng.normal(size=np.shape(x)) for k, x in point.items()}
            h, d = 1e-20, 1e-5
            complex_point = {k: point[k] + 1j * h * v[k] for k in point}
            stepped = gradient(y, wrt, complex_point, np.complex128)
            real = gradient(y, wrt, point, np.float64)
            plus = gradient(y, wrt, {k: point[k] + d * v[k] for k in point}, np.float64)
            minus = gradient(y, wrt, {k: point[k] - d * v[k] for k in point}, np.float64)
            for k in stepped:
                np.testing.assert_allclose(stepped[k].real, real[k], rtol=1e-10, atol=1e-12, err_msg=name)
                np.testing.assert_allclose(stepped[k].imag / h, (plus[k] - minus[k]) / (2 * d),
                                           rtol=1e-5, atol=1e-6, err_msg=name)


def test_hessian_block_freezes_what_depends_on_neither_variable():
    W1, W2 = dc.matrix("W1", 4, 3), dc.matrix("W2", 3, 2)
    x = np.random.default_rng(0).normal(size=(5, 4))
    y = dc.sum(dc.tanh(dc.relu(dc.const(x) @ W1) @ W2) ** 2)
    rng = np.random.default_rng(1)
    at = {"W1": rng.normal(size=(4, 3)), "W2": rng.normal(size=(3, 2))}
    reduced = hvp.frozen(y, ("W2",), at)
    assert set(variables(reduced)) == {"W2"}
    np.testing.assert_allclose(dc.evaluate(reduced, {"W2": at["W2"]}), dc.evaluate(y, at), rtol=1e-14)
    np.testing.assert_allclose(hvp.hessian(y, W2, W2, at), dc.hessian(y, W2, at, method="sympy"),
                               rtol=1e-9, atol=1e-12)


def test_second_order_backends_read_only_their_own_rules():
    tape = names_in(PACKAGE / "backends" / "hvp.py")
    assert not {n for n in tape if "sympy" in n.lower() or n == "lower"}
    assert not {n for n in tape if "numeric" in n or "difference" in n}
    numeric = names_in(PACKAGE / "backends" / "second_differences.py")
    assert not {n for n in numeric if "vjp" in n.lower() or "sympy" in n.lower() or "sweep" in n}
    assert "tape" not in numeric and "gradients" not in numeric
    symbolic = names_in(PACKAGE / "backends" / "symbolic_hessian.py")
    assert not {n for n in symbolic if "vjp" in n.lower() or "sweep" in n}
    assert "forward" not in symbolic and "run_forward" not in symbolic


def test_the_imaginary_step_stays_small_against_the_smallest_non_zero_element():
    from diffcheck.backends.hvp import STEP, step_for

    dtype = np.dtype(np.float64)
    assert step_for(np.array([0.0, 1e-30, 2.0]), 1.0, dtype) == pytest.approx(STEP * 1e-30)
    assert step_for(np.array([-1e-8, 3.0]), 1.0, dtype) == pytest.approx(STEP * 1e-8)
    assert step_for(np.zeros(3), 1.0, dtype) == STEP
    assert step_for(np.array([5.0]), 4.0, dtype) == pytest.approx(STEP / 4)
    assert step_for(np.array([1e-300]), 1.0, dtype) >= 1e10 * np.finfo(dtype).tiny


def test_an_hvp_where_the_point_has_zeros_and_tiny_values_is_exact():
    x = dc.vector("x", 3)
    y = dc.sum(x ** 3)  # H = diag(6x)
    at = {"x": np.array([0.0, 1e-12, 2.0])}
    v = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(dc.hvp(y, x, v, at), 6 * at["x"] * v, rtol=1e-12, atol=0)


def imaginary_gradient(y, wrt, point):
    ctype = np.dtype(np.complex128)
    with np.errstate(all="ignore"):
        sweep = sweep_for(compile_program(y), wrt, 0, ctype, unit_seed=True, imaginary=True)
        return sweep.run(point, unit(ctype))


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_an_imaginary_sweep_returns_exactly_the_imaginary_parts(name):
    """The sweep that returns only Im ∇f agrees with the full complex sweep's imaginary
    parts, both when an edge into the variable reads only real constants (its VJP then
    runs on Im g alone) and when it reads complex values (Im of its result)."""
    record = REGISTRY[name]
    rng = np.random.default_rng(7)
    h = 1e-20
    for sample in record.samples:
        leaves = [Var(n, s) for n, s in zip("abcdefgh", sample.shapes)]
        for point in random_points(apply(name, *leaves, **sample.params), 1, seed=4):
            for k, moving in enumerate(leaves):  # one input varies, the others are constants
                inputs = [x if i == k else dc.const(point[x.name]) for i, x in enumerate(leaves)]
                e = apply(name, *inputs, **sample.params)
                y = dc.sum(dc.sin(e) * dc.const(rng.normal(size=e.shape)))
                at = {moving.name: point[moving.name] + 1j * h * rng.normal(size=moving.shape)}
                full = gradient(y, (moving,), at, np.complex128)[moving.name]
                part = imaginary_gradient(y, (moving,), at)[moving.name]
                assert part.dtype == np.float64 and part.shape == moving.shape
                np.testing.assert_allclose(part / h, full.imag / h, rtol=1e-12, atol=1e-300,
                                           err_msg=name)


def test_an_edge_reading_only_real_constants_takes_the_imaginary_cotangent():
    """∂/∂W of ``X @ W`` reads only X: the imaginary sweep computes ``Xᵀ Im(G)`` (one real
    product) and keeps X real, rather than ``Im(Xᵀ G)`` over a complex copy of X."""
    X = dc.const(np.random.default_rng(0).normal(size=(6, 5)))
    W, V = dc.matrix("W", 5, 4), dc.matrix("V", 4, 3)
    y = dc.sum(dc.tanh(X @ W) @ V)
    ctype = np.dtype(np.complex128)
    sweep = sweep_for(compile_program(y), (W, V), 0, ctype, unit_seed=True, imaginary=True)
    constants = [value for value in sweep.env.values()
                 if isinstance(value, np.ndarray) and value.shape == (6, 5)]
    assert constants and all(value.dtype == np.float64 for value in constants)
    lines = sweep.source.splitlines()
    assert any("_re(" in line and ".imag, " in line and "matmul" in line for line in lines)
    assert any(").imag  # matmul" in line for line in lines), sweep.source  # V's edge reads tanh(X W)


def test_arctan2_takes_a_complex_step_in_every_quadrant():
    """NumPy's arctan2 has no complex loop; the record continues it analytically, so a
    second-order check through it runs (and agrees three ways) in all four quadrants."""
    a, b = dc.vector("a", 4), dc.vector("b", 4)
    y = dc.sum(dc.sin(dc.arctan2(a, b)))
    at = {"a": np.array([0.5, 2.0, -0.7, -3.0]), "b": np.array([1.5, -0.4, -2.0, 0.2])}
    assert dc.check(y, [a, b], order=2, at=[at]).ok
    v = {"a": np.ones(4), "b": -np.ones(4)}
    full = dc.hvp(y, [a, b], v, at)
    np.testing.assert_allclose(full["a"], dc.hvp(y, [a, b], v, at, method="sympy")["a"], rtol=1e-10)
