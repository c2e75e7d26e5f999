"""The op table: every record is complete, and its NumPy forward equals its SymPy lowering.

Every check runs on each record's own ``samples`` (input shapes and params), at points
drawn inside its domain; ``tests/test_adding_an_op.py`` runs the same checks on a
throwaway op, so they are written as plain functions of one expression.
"""

import numpy as np
import pytest
import sympy as sp

import diffcheck as dc
from diffcheck.backends import numeric, symbolic, sympy_per_node, tape
from diffcheck.checking.points import random_points
from diffcheck.ir import Expr, Var, apply, variables
from diffcheck.ops import REGISTRY, Op, op
from diffcheck.ops.drawing import Draw, Sample
from diffcheck.ops.notation import Call, Infix, Postfix, Prefix, Text

INPUT_NAMES = "abcdefgh"  # the sample's inputs are variables a, b, c, ...


def sample_expressions(name: str) -> list[Expr]:
    """One node of op ``name`` per sample of its record, over variables a, b, ..."""
    record = REGISTRY[name]
    return [
        apply(name, *(Var(n, shape) for n, shape in zip(INPUT_NAMES, s.shapes)), **s.params)
        for s in record.samples
    ]


def assert_forward_equals_lowering(expr: Expr) -> None:
    """The NumPy forward equals the lambdified SymPy lowering at points in the domain."""
    for point in random_points(expr, 3, seed=7):
        numpy_value = dc.evaluate(expr, point)
        lowered = symbolic.lower(expr)
        args = symbolic.argument_symbols(expr)
        f = sp.lambdify(args, list(lowered.ravel()), modules="numpy")
        sympy_value = np.array(f(*symbolic.argument_values(expr, point)), float)
        np.testing.assert_allclose(numpy_value.ravel(), sympy_value, rtol=1e-13, atol=1e-14)


def assert_vjps_equal_numeric(expr: Expr) -> None:
    """The tape's Jacobian of one node (its VJPs, one per input) equals numeric differences."""
    for point in random_points(expr, 2, seed=5):
        for var in variables(expr).values():
            expected = numeric.jacobian(expr, var, point).values
            got = tape.jacobian(expr, var, point)
            np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_forward_equals_lambdified_lowering(name):
    for expr in sample_expressions(name):
        assert expr.op == name
        assert_forward_equals_lowering(expr)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_vjps_equal_numeric_jacobians(name):
    for expr in sample_expressions(name):
        assert_vjps_equal_numeric(expr)


def assert_per_node_route_equals_symbolic(expr: Expr) -> None:
    """SymPy per node (the record's ``sympy_route``, as at scale) equals SymPy's closed form."""
    for point in random_points(expr, 2, seed=3):
        for var in variables(expr).values():
            expected = symbolic.jacobian(expr, var, point)
            got = sympy_per_node.jacobian(expr, var, point)
            np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_per_node_sympy_route_equals_the_closed_form(name):
    for expr in sample_expressions(name):
        assert_per_node_route_equals_symbolic(expr)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_records_declare_everything_backends_read(name):
    record = REGISTRY[name]
    assert type(record).__doc__ and len(type(record).__doc__.splitlines()) == 1
    assert len(record.vjps) == (1 if record.variadic else record.arity)
    assert isinstance(record.analytic, bool)
    assert all(isinstance(k, float) for k in record.kinks)
    assert record.analytic == (not record.has_kinks)
    fits = (lambda n: n >= record.arity) if record.variadic else (lambda n: n == record.arity)
    assert record.samples and all(fits(len(sample.shapes)) for sample in record.samples)


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


class Complete(Op):
    """A record with every piece a consumer reads, for tests that take one away."""

    name, arity = "complete", 1
    printing, samples, draw = Call(), (Sample(((2,)),),), Draw()
    sympy_route = "lower"
    forward = staticmethod(np.negative)

    def shape(self, a):
        return a

    @property
    def vjps(self):
        return (lambda g, out, x: -g,)


def subclass(**attrs):
    return type("Incomplete", (Complete,), {"__doc__": "an incomplete record.", **attrs})


@pytest.mark.parametrize(
    "attrs, message",
    [
        ({"printing": None}, "'complete': printing must be"),
        ({"samples": ()}, "'complete': samples must be"),
        ({"samples": (Sample(((2,), (2,))),)}, "'complete': sample .* is not a Sample of 1 shape"),
        ({"samples": (Sample(((2,),), {"axis": 0}),)}, r"'complete': params \['axis'\]"),
        ({"printing": Call(shown=("axis",))}, r"'complete': params \['axis'\]"),
        ({"draw": Draw(fit="broadcast")}, "'complete': draw: fit must be None"),
        ({"draw": Draw(positive=(1,))}, "'complete': draw: positive names an input"),
        ({"draw": "unary"}, "'complete': draw: it is not a Draw"),
        ({"public": "yes"}, "'complete': public must be"),
    ],
)
def test_a_record_missing_what_a_consumer_reads_is_refused_naming_the_piece(attrs, message):
    with pytest.raises(TypeError, match=message):
        op(subclass(**attrs))
    assert "complete" not in REGISTRY


@pytest.mark.parametrize("piece", ["printing", "samples", "draw"])
def test_a_record_without_a_presentation_piece_is_refused(piece):
    pieces = ("printing", "samples", "draw", "sympy_route", "shape", "vjps")
    attrs = {k: Complete.__dict__[k] for k in pieces if k != piece}
    bare = type("Bare", (Op,), {"__doc__": "bare.", "name": "bare", "arity": 1, **attrs})
    with pytest.raises(TypeError, match=f"op 'bare' must declare '{piece}'"):
        op(bare)
    assert "bare" not in REGISTRY


INTERNAL = {"add", "sub", "mul", "div", "pow", "neg", "batched_matmul", "getitem",
            "det", "slogdet_sign", "slogdet_logabs", "inv", "solve", "cholesky",  # dc.linalg
            "softmax", "log_softmax", "layer_norm", "cross_entropy"}  # dc.nn


def test_public_builders_come_from_the_table():
    """Every record not in INTERNAL is exported under its public name, documented by its
    record; each builds a node of its op from the record's own samples."""
    exported = {record.public_name: name for name, record in REGISTRY.items() if record.public}
    assert set(exported.values()) == set(REGISTRY) - INTERNAL
    for public_name, name in exported.items():
        builder, record = getattr(dc, public_name), REGISTRY[name]
        assert builder.__doc__ and public_name in dc.__all__
        if type(record).builder is Op.builder:  # the generated builder (not einsum's, where's)
            sample = record.samples[0]
            inputs = [Var(n, shape) for n, shape in zip(INPUT_NAMES, sample.shapes)]
            built = builder(inputs, **sample.params) if record.variadic else builder(*inputs, **sample.params)
            assert built.op == name and builder.__doc__ == type(record).__doc__
    internal = {name for name, record in REGISTRY.items() if not record.public}
    assert internal == INTERNAL
    assert not internal & set(dc.__all__)


def test_sigmoid_forward_is_stable_far_out():
    z = dc.vector("z", 4)
    values = dc.evaluate(dc.sigmoid(z), {"z": [-800.0, -40.0, 40.0, 800.0]})
    assert np.all(np.isfinite(values))
    assert values[0] == 0.0 and values[3] == 1.0
    assert values[1] == pytest.approx(np.exp(-40.0), rel=1e-15)


@pytest.mark.parametrize("name", sorted(REGISTRY))
@pytest.mark.parametrize("batch", [(), (2,)])
def test_specialised_vjps_read_only_what_they_declare(name, batch):
    """The rule the tape runs, given stand-ins for every value ``reads`` leaves out, equals
    the record's plain VJP."""
    for expr in sample_expressions(name):
        assert_specialised_vjps_read_only_what_they_declare(expr, batch)


def assert_specialised_vjps_read_only_what_they_declare(expr, batch):
    """The kernel the tape runs and the plain VJP (both unbroadcast), each given shape-only
    stand-ins for the values ``reads`` leaves out, equal the plain VJP given every value."""
    from diffcheck.backends import kernels

    record = REGISTRY[expr.op]
    rng = np.random.default_rng(3)
    in_shapes = tuple(x.shape for x in expr.inputs)
    for point in random_points(expr, 2, seed=11):
        inputs = [dc.evaluate(x, {n: point[n] for n in variables(x)}) for x in expr.inputs]
        out = dc.evaluate(expr, point)
        g = rng.standard_normal(batch + expr.shape)
        for k, x in enumerate(expr.inputs):
            tokens = ("out", *range(len(inputs)))
            given = [v if t in record.reads_of(k, len(inputs)) else kernels.Unread(np.shape(v))
                     for t, v in zip(tokens, [out, *inputs], strict=True)]
            plain = kernels.plain_vjp(record, k, in_shapes, expr.shape, len(batch))
            expected = plain(g, out, *inputs, **expr.kwargs)
            rule = kernels.vjp_for(record, k, in_shapes, expr.shape, len(batch), expr.kwargs)
            np.testing.assert_allclose(rule(g, *given, **expr.kwargs), expected, rtol=1e-14)
            np.testing.assert_allclose(plain(g, *given, **expr.kwargs), expected, rtol=1e-14)
            assert np.shape(expected) == batch + x.shape


@pytest.mark.parametrize("x_shape, y_shape", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4))])
@pytest.mark.parametrize("batch", [(), (2,)])
def test_every_matmul_case_of_the_tape_equals_gᵀJ(x_shape, y_shape, batch):
    """Each specialised matmul VJP and the plain one, batched or not, contract g with the
    numeric Jacobian."""
    from diffcheck.backends import kernels, numeric

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
        in_shapes = (x_shape, y_shape)
        unread = kernels.Unread(expr.shape), kernels.Unread(x_shape), kernels.Unread(y_shape)
        given = (unread[0], point["x"] if k == 1 else unread[1], point["y"] if k == 0 else unread[2])
        for rule in (kernels.vjp_for(record, k, in_shapes, expr.shape, len(batch), {}),
                     kernels.plain_vjp(record, k, in_shapes, expr.shape, len(batch))):
            got = rule(g, *given)
            np.testing.assert_allclose(got, np.reshape(expected, batch + var.shape), rtol=1e-12, atol=1e-14)


def test_repr_and_explain_print_each_node_as_its_record_says(monkeypatch):
    """No printer knows op names: change a record's printing and every printer follows."""
    W = dc.matrix("W", 2, 3)
    e = -(W * W).T
    assert repr(e) == "<-(W * W).T shape=(3, 2)>"
    monkeypatch.setattr(type(REGISTRY["transpose"]), "printing", Call())
    monkeypatch.setattr(type(REGISTRY["mul"]), "printing", Infix("⊙", 20))
    monkeypatch.setattr(type(REGISTRY["neg"]), "printing", Postfix("⁻"))
    assert repr(e) == "<transpose(W ⊙ W)⁻ shape=(3, 2)>"
    text = dc.explain(e, "W")
    assert "n1 = W ⊙ W" in text and "n2 = transpose(n1)" in text and "y = n2⁻" in text


@pytest.mark.parametrize(
    "printing, inputs, expected",
    [
        (Infix("**", 40, right_assoc=True), [Text("a"), Text("b ** c", 40)], "a ** b ** c"),
        (Infix("**", 40, right_assoc=True), [Text("a ** b", 40), Text("c")], "(a ** b) ** c"),
        (Infix("-", 10), [Text("a - b", 10), Text("c - d", 10)], "a - b - (c - d)"),
        (Prefix("-", 30), [Text("-a", 30)], "-(-a)"),
        (Postfix(".T"), [Text("a + b", 10)], "(a + b).T"),
        (Call(shown=("axis",)), [Text("a + b", 10)], "f(a + b, axis=1)"),
    ],
)
def test_notations_parenthesise_only_where_needed(printing, inputs, expected):
    assert printing.format("f", inputs, {"axis": 1}).text == expected
