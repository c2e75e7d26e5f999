"""SymPy's local Jacobian of a node: one helper, read by the per-node route, localisation
and explain, with the rule each record declares (never a fallback that gives a number)."""

import numpy as np
import pytest

import diffcheck as dc
from diffcheck._lazy import sympy as sp
from diffcheck.backends import symbolic, sympy_local, sympy_per_node
from diffcheck.checking import compare
from diffcheck.diagnosis.blame import broadcast_batch_sizes
from diffcheck.diagnosis.localize import first_wrong_node
from diffcheck.ir import Var, apply
from diffcheck.ops import REGISTRY, Op
from diffcheck.ops.arrays import as_objects
from diffcheck.ops.base import op, registered
from diffcheck.ops.drawing import Draw, Sample
from diffcheck.ops.notation import Call

SAMPLES = [(name, s) for name in sorted(REGISTRY) for s in REGISTRY[name].samples]
IDS = [f"{name}-{'x'.join(map(str, s.shapes))}" for name, s in SAMPLES]


def sample_inputs(sample: Sample, seed: int = 0, record: Op | None = None) -> list[np.ndarray]:
    """Values away from every kink (relu, abs), moved into the record's domain."""
    rng = np.random.default_rng(seed)
    values = [rng.uniform(0.5, 1.5, size=shape) for shape in sample.shapes]
    return values if record is None else [record.into_domain(k, v) for k, v in enumerate(values)]


def params_of(record: Op, sample: Sample) -> dict:
    """The sample's params in the record's canonical form, as a node holds them."""
    return record.canonical(*sample.shapes, **sample.params)


def numeric_jacobian(record: Op, inputs, params, k: int, step: float = 1e-6) -> np.ndarray:
    """∂out/∂input_k by central differences of the record's NumPy forward."""
    out = record.forward(*inputs, **params)
    columns = []
    for j in np.ndindex(np.shape(inputs[k])):
        up, down = [np.array(v, float) for v in inputs], [np.array(v, float) for v in inputs]
        up[k][j] += step
        down[k][j] -= step
        columns.append((record.forward(*up, **params) - record.forward(*down, **params)) / (2 * step))
    return np.stack(columns, axis=-1).reshape(np.shape(out) + np.shape(inputs[k]))


def route_jacobian(record: Op, inputs, params, k: int) -> np.ndarray:
    """∂out/∂input_k from the per-node route the record declares, one seed per output."""
    node = apply(record.name, *(Var(f"v{i}", np.shape(v)) for i, v in enumerate(inputs)), **params)
    out = record.forward(*inputs, **params)
    rows = []
    for i in np.ndindex(np.shape(out)):
        seed = np.zeros(np.shape(out))
        seed[i] = 1.0
        rows.append(sympy_per_node._local_adjoint(record, node, k, seed, out, inputs))
    return np.stack(rows).reshape(np.shape(out) + np.shape(inputs[k]))


@pytest.mark.parametrize("name, sample", SAMPLES, ids=IDS)
def test_the_lowered_local_jacobian_matches_differences_of_the_forward(name, sample):
    record = REGISTRY[name]
    inputs = sample_inputs(sample, record=record)
    for k in range(len(sample.shapes)):
        expected = numeric_jacobian(record, inputs, params_of(record, sample), k)
        local = sympy_local.sparse_jacobian(record, k, sample.shapes, params_of(record, sample))
        out_shape = np.shape(record.forward(*inputs, **params_of(record, sample)))
        seeds = np.eye(int(np.prod(out_shape))).reshape((-1, *out_shape))
        rows = [local.project(seed, inputs) for seed in seeds]
        np.testing.assert_allclose(np.reshape(rows, expected.shape), expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name, sample", SAMPLES, ids=IDS)
def test_the_declared_per_node_route_matches_differences_of_the_forward(name, sample):
    """Also catches a record that declares "elementwise" for an op that is not."""
    record = REGISTRY[name]
    inputs = sample_inputs(sample, seed=1, record=record)
    for k in range(len(sample.shapes)):
        np.testing.assert_allclose(
            route_jacobian(record, inputs, params_of(record, sample), k),
            numeric_jacobian(record, inputs, params_of(record, sample), k), rtol=1e-6, atol=1e-8,
        )


@pytest.mark.parametrize("name, sample", SAMPLES, ids=IDS)
def test_symbolic_entries_evaluate_to_the_compiled_jacobian(name, sample):
    record = REGISTRY[name]
    inputs = sample_inputs(sample, seed=2, record=record)
    names = [f"v{i}" for i in range(len(sample.shapes))]
    values = {
        element: float(value)
        for n, v in zip(names, inputs, strict=True)
        for element, value in zip(symbolic.symbols_of(Var(n, np.shape(v))).ravel(), np.ravel(v))
    }
    expected = numeric_jacobian(record, inputs, params_of(record, sample), 0)
    for i, j, entry in sympy_local.symbolic_entries(record, 0, sample.shapes, params_of(record, sample),
                                                    names=names):
        assert float(entry.xreplace(values)) == pytest.approx(expected[i + j], rel=1e-6, abs=1e-8)


def test_constants_go_in_as_numbers_everywhere():
    pow_ = REGISTRY["pow"]
    ((_, _, entry),) = sympy_local.symbolic_entries(pow_, 0, [(), ()], {}, (None, np.array(2.0)), ["x", "p"])
    assert entry == 2 * sp.Symbol("x", real=True)
    assert sympy_local.elementwise_rule(pow_, 0, (None, 2.0))(0.0, 2.0) == 0.0
    at_zero = sympy_local.projection(pow_, [np.zeros(3), np.array(2.0)], {}, 0, np.ones(3),
                                     (None, np.array(2.0)))
    np.testing.assert_array_equal(at_zero, np.zeros(3))


def test_a_square_at_zero_is_not_blamed_on_the_tape():
    """Before, localisation differentiated x**p generically: p*x**p/x is NaN at 0."""
    x = dc.vector("x", 3)
    assert first_wrong_node(dc.sum(x**2), x, {"x": np.array([0.0, 1.0, -2.0])}) is None


def test_an_explained_edge_holds_the_other_input_fixed():
    x = dc.vector("x", 2)
    assert "∂y[0]/∂x[0] = x[0]" in dc.explain(x * x, x)


def test_lowered_terms_come_from_the_record():
    W, x = dc.matrix("W", 4, 5), dc.vector("x", 5)
    assert REGISTRY["matmul"].lowered_terms((4,), (4, 5), (5,)) == 20
    assert REGISTRY["tanh"].lowered_terms((4,), (4,)) == 4
    assert sympy_per_node.lowered_terms(dc.tanh(W @ x)) == 20 + 5 + 20 + 4


def test_blame_reads_broadcasting_from_the_record_including_pow():
    W, x = dc.matrix("W", 3, 4), dc.vector("x", 4)
    assert broadcast_batch_sizes(dc.sum(W ** x), x) == {3}
    assert broadcast_batch_sizes(dc.sum(W @ x), x) == set()


# ----- the silent wrong answer: an op that is not elementwise -----
class RowSoftmax(Op):
    """softmax(x) along the last axis: exp(x) / sum(exp(x)) per row."""

    name, arity = "row_softmax_for_tests", 1
    sympy_route = "lower"
    printing, samples, draw = Call(), (Sample(((2, 3),)),), Draw()

    def shape(self, a):
        return a

    def forward(self, x):
        e = np.exp(x)
        return e / np.sum(e, axis=-1, keepdims=True)

    def lower(self, x):
        e = np.frompyfunc(sp.exp, 1, 1)(x)
        return as_objects(e / e.sum(axis=-1, keepdims=True))

    @property
    def vjps(self):
        return (lambda g, out, x: out * (g - np.sum(g * out, axis=-1, keepdims=True)),)


@pytest.fixture
def softmax():
    with registered(RowSoftmax) as record:
        yield record.builder()


def test_the_per_node_route_of_a_row_softmax_is_its_real_jacobian(softmax, monkeypatch):
    monkeypatch.setattr(compare, "SYMPY_ELEMENTWISE_TERMS", 1)  # force the per-node route
    X = dc.matrix("X", 3, 4)
    r = np.arange(12.0).reshape(3, 4) / 7
    y = dc.sum(softmax(X) * r)
    at = {"X": np.random.default_rng(0).standard_normal((3, 4))}
    chained = sympy_per_node.jacobian(y, X, at)
    assert np.count_nonzero(chained) == 12
    np.testing.assert_allclose(chained, symbolic.jacobian(y, X, at), rtol=1e-12, atol=1e-14)
    report = dc.check(y, X)
    assert report.ok, str(report)
    assert any("composed by the chain rule" in n for n in report.notes)


def test_the_per_node_route_refuses_a_softmax_too_large_to_lower(softmax, monkeypatch):
    monkeypatch.setattr(sympy_per_node, "LOWER_TERMS", 10)
    X = dc.matrix("X", 3, 4)
    with pytest.raises(ValueError, match="row_softmax_for_tests: .* sympy_route 'lower'"):
        sympy_per_node.jacobian(dc.sum(softmax(X)), X, {"X": np.zeros((3, 4))})


def without_a_route(**attrs):
    """A softmax record declaring no per-node rule of its own (Op declares none)."""
    pieces = {k: v for k, v in RowSoftmax.__dict__.items() if k not in ("sympy_route", "__dict__")}
    return type("NoRoute", (Op,), {**pieces, "__doc__": "no rule.", "name": "no_route", **attrs})


@pytest.mark.parametrize(
    "attrs, message",
    [
        ({}, "op 'no_route' must declare 'sympy_route'"),
        ({"sympy_route": "scalar"}, "op 'no_route' must declare 'sympy_route'.*got 'scalar'"),
        ({"sympy_route": "linear"}, "op 'no_route': sympy_route 'linear' needs 'matrix_views'"),
    ],
)
def test_a_record_without_a_per_node_rule_is_refused_at_registration(attrs, message):
    with pytest.raises(TypeError, match=message):
        op(without_a_route(**attrs))
    assert "no_route" not in REGISTRY


@pytest.mark.parametrize("reduce, axis", [(dc.sum, (0, 2)), (dc.mean, 1), (dc.mean, None), (dc.sum, -1)])
def test_the_linear_route_of_a_reduction_permutes_axes_back(reduce, axis):
    T = dc.Var("T", (2, 3, 4))
    y = dc.sum(dc.tanh(reduce(T, axis=axis)) * 1.5)
    at = {"T": np.random.default_rng(3).standard_normal((2, 3, 4))}
    np.testing.assert_allclose(sympy_per_node.jacobian(y, T, at), symbolic.jacobian(y, T, at),
                               rtol=1e-12, atol=1e-14)


def test_a_transpose_of_three_axes_goes_through_the_per_node_route():
    T = dc.Var("T", (2, 3, 4))
    y = dc.sum(dc.tanh(T.T) * np.arange(24.0).reshape(4, 3, 2))
    at = {"T": np.random.default_rng(4).standard_normal((2, 3, 4))}
    np.testing.assert_allclose(sympy_per_node.jacobian(y, T, at), symbolic.jacobian(y, T, at),
                               rtol=1e-12, atol=1e-14)
