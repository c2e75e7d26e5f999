"""The op table: every record is complete, and its NumPy forward equals its SymPy lowering."""

import numpy as np
import pytest
import sympy as sp

import diffcheck as dc
from diffcheck.backends import symbolic
from diffcheck.ir import variables
from diffcheck.ops import REGISTRY, Op, op
from diffcheck.points import random_points

# One small expression per op, drawn on the op's own domain by the point sampler.
X = dc.matrix("X", 2, 3)
V = dc.vector("v", 3)
SAMPLES = {
    "add": X + V, "sub": X - V, "mul": X * V, "div": X / V, "pow": X**V,
    "neg": -X, "exp": dc.exp(X), "log": dc.log(X), "sqrt": dc.sqrt(X), "sin": dc.sin(X),
    "cos": dc.cos(X), "tanh": dc.tanh(X), "sigmoid": dc.sigmoid(X), "relu": dc.relu(X),
    "abs": dc.abs(X), "sum": dc.sum(X, axis=1), "mean": dc.mean(X, axis=0),
    "matmul": X @ V, "transpose": X.T,
}


def test_every_op_has_a_sample():
    assert set(SAMPLES) == set(REGISTRY)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_forward_equals_lambdified_lowering(name):
    expr = SAMPLES[name]
    assert expr.op == name
    for point in random_points(expr, 3, seed=7):
        numpy_value = dc.evaluate(expr, point)
        lowered = symbolic.lower(expr)
        args = symbolic.argument_symbols(expr)
        f = sp.lambdify(args, list(lowered.ravel()), modules="numpy")
        sympy_value = np.array(f(*symbolic.argument_values(expr, point)), float)
        np.testing.assert_allclose(numpy_value.ravel(), sympy_value, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_records_declare_everything_backends_read(name):
    record = REGISTRY[name]
    assert type(record).__doc__ and len(type(record).__doc__.splitlines()) == 1
    assert len(record.vjps) == record.arity
    assert isinstance(record.analytic, bool)
    assert all(isinstance(k, float) for k in record.kinks)
    assert record.analytic == (not record.kinks)


def test_registering_twice_or_incomplete_is_refused():
    with pytest.raises(TypeError, match="declared twice"):

        @op
        class Exp2(Op):
            """exp again."""

            name, arity = "exp", 1

    with pytest.raises(TypeError, match="docstring"):

        @op
        class Nameless(Op):
            name, arity = "nameless", 1


def test_public_builders_come_from_the_table():
    for name in ("exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "sum", "mean"):
        builder = getattr(dc, name)
        assert builder(dc.vector("x", 2)).op == name
        assert builder.__doc__ == type(REGISTRY[name]).__doc__


def test_sigmoid_forward_is_stable_far_out():
    z = dc.vector("z", 4)
    values = dc.evaluate(dc.sigmoid(z), {"z": [-800.0, -40.0, 40.0, 800.0]})
    assert np.all(np.isfinite(values))
    assert values[0] == 0.0 and values[3] == 1.0
    assert values[1] == pytest.approx(np.exp(-40.0), rel=1e-15)


@pytest.mark.parametrize("name", sorted(REGISTRY))
@pytest.mark.parametrize("batch", [(), (2,)])
def test_specialised_vjps_read_only_what_they_declare(name, batch):
    """vjp_for's rule, given None for every value ``reads`` leaves out, equals the generic VJP."""
    expr = SAMPLES[name]
    record = REGISTRY[name]
    rng = np.random.default_rng(3)
    for point in random_points(expr, 2, seed=11):
        inputs = [dc.evaluate(x, {n: point[n] for n in variables(x)}) for x in expr.inputs]
        out = dc.evaluate(expr, point)
        g = rng.standard_normal(batch + expr.shape)
        for k, x in enumerate(expr.inputs):
            rule = record.vjp_for(k, x.shape, expr.shape, len(batch), **expr.kwargs)
            reads = record.reads[k].split()
            given = [v if role in reads else None for role, v in zip(("out", "x", "y"), [out, *inputs])]
            expected = record.vjps[k](g, out, *inputs, **expr.kwargs)
            np.testing.assert_allclose(rule(g, *given, **expr.kwargs), expected, rtol=1e-14)
            assert np.shape(expected) == batch + x.shape


@pytest.mark.parametrize("x_shape, y_shape", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4))])
@pytest.mark.parametrize("batch", [(), (2,)])
def test_every_matmul_case_of_the_tape_equals_gᵀJ(x_shape, y_shape, batch):
    """Each specialised matmul VJP, batched or not, contracts g with the numeric Jacobian."""
    from diffcheck.backends import numeric

    x, y = dc.Var("x", x_shape), dc.Var("y", y_shape)
    expr = x @ y
    rng = np.random.default_rng(len(x_shape) * 10 + len(y_shape))
    point = {"x": rng.standard_normal(x_shape), "y": rng.standard_normal(y_shape)}
    g = rng.standard_normal(batch + expr.shape)
    record = REGISTRY["matmul"]
    for k, var in enumerate((x, y)):
        jac = numeric.jacobian(expr, var, point).values  # expr.shape + var.shape
        if expr.ndim:
            expected = np.tensordot(g, jac, axes=expr.ndim)
        else:  # a dot product: the Jacobian is a vector, scaled by each batch row's g
            expected = np.multiply.outer(g, jac)
        rule = record.vjp_for(k, var.shape, expr.shape, len(batch))
        got = rule(g, None, point["x"] if k == 1 else None, point["y"] if k == 0 else None)
        np.testing.assert_allclose(got, np.reshape(expected, batch + var.shape), rtol=1e-12, atol=1e-14)
