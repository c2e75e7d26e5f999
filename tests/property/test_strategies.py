"""diffcheck.strategies: what is drawn, where points lie, eager validation, and shrinking."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument, NoSuchExample

import diffcheck as dc
from diffcheck.checking.points import KINK_MARGIN, in_domain
from diffcheck.errors import ShapeError
from diffcheck.ir import Const, Var, toposort, variables
from diffcheck.ops import REGISTRY, Op
from diffcheck.ops.base import registered
from diffcheck.ops.drawing import Draw, Sample
from diffcheck.ops.notation import Call
from diffcheck.strategies import CONSTANTS, MLPCase, expressions, mlps, points

a, x, W = dc.scalar("a"), dc.vector("x", 3), dc.matrix("W", 2, 3)
VARIABLES = [a, x, W]
QUICK = settings(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def ops_of(expr: dc.Expr) -> set[str]:
    return {node.op for node in toposort(expr) if not isinstance(node, (Var, Const))}


def has_constant(expr: dc.Expr) -> bool:
    return any(isinstance(node, Const) for node in toposort(expr))


# ----- expressions -----
def drawn_nodes(strategy, examples: int) -> list[dc.Expr]:
    """Every node of ``examples`` expressions drawn from ``strategy`` (a fixed seed: no flakiness)."""
    nodes: list[dc.Expr] = []

    @settings(QUICK, max_examples=examples, derandomize=True)
    @given(strategy)
    def collect(expr):
        nodes.extend(toposort(expr))

    collect()
    return nodes


def test_drawing_from_every_op_mixes_many_ops_and_pow_gets_drawn_exponents_too():
    """Each op on its own is drawn by ``test_each_op_can_be_drawn_alone`` (and around its
    companions by the differential test); drawn from all at once, most of them appear."""
    nodes = drawn_nodes(expressions(VARIABLES), 300)
    assert len({node.op for node in nodes} - {"var", "const"}) >= len(REGISTRY) // 2
    assert any(node.op == "pow" and not isinstance(node.inputs[1], Const) for node in nodes)


def test_each_op_can_be_drawn_alone():
    def ops_drawn_alone(op):
        return set().union(*(ops_of(node) for node in drawn_nodes(expressions(VARIABLES, ops=[op]), 12)))

    assert {op: ops_drawn_alone(op) for op in REGISTRY} == {op: {op} for op in REGISTRY}


@settings(QUICK, max_examples=60)
@given(st.data(), st.lists(st.sampled_from(list(REGISTRY)), min_size=1, max_size=4, unique=True))
def test_ops_restricts_every_node_drawn(data, allowed):
    expr = data.draw(expressions(VARIABLES, ops=allowed, max_leaves=6), label="expr")
    assert ops_of(expr) <= set(allowed)


def test_shrinking_a_planted_failure_ends_at_the_smallest_expression():
    def planted_failure(expr):  # e.g. a wrong sigmoid rule
        return "sigmoid" in ops_of(expr)

    found = find(expressions(VARIABLES), planted_failure, settings=settings(QUICK, max_examples=2000))
    assert found.op == "sigmoid" and found.inputs[0] is a  # sigmoid(a)


def test_constants_are_leaves_too_and_can_be_turned_off():
    found = find(expressions([x]), lambda e: isinstance(e, Const), settings=settings(QUICK, max_examples=200))
    assert float(found.value) == CONSTANTS[0]
    no_constants = expressions([x], ops=["sin", "add"], constants=st.nothing())
    with pytest.raises(NoSuchExample):
        find(no_constants, has_constant, settings=settings(QUICK, max_examples=100))


def test_custom_constants_are_used():
    found = find(
        expressions([a], constants=st.just(7.0)),
        lambda e: isinstance(e, Const),
        settings=settings(QUICK, max_examples=200),
    )
    assert float(found.value) == 7.0


# ----- points -----
@settings(QUICK, max_examples=150)
@given(st.data())
def test_points_are_inside_every_domain_and_off_every_kink(data):
    expr = data.draw(expressions(VARIABLES, max_leaves=6), label="expr")
    at = data.draw(points(expr), label="at")
    assert set(at) == set(variables(expr))
    for name, var in variables(expr).items():
        assert at[name].shape == var.shape and at[name].dtype == np.float64
    if at:
        assert in_domain(expr, at)
    value = dc.evaluate(expr, at)
    assert value.shape == expr.shape and np.all(np.isfinite(value))


@settings(QUICK, max_examples=50)
@given(points(dc.log(a) + dc.relu(x - a) + dc.sum(dc.sqrt(dc.abs(W)) @ x)))
def test_points_respect_log_sqrt_and_kinks(at):
    assert at["a"] > 0.05  # log's domain (MARGIN)
    assert np.all(np.abs(at["x"] - at["a"]) >= KINK_MARGIN) and np.all(np.abs(at["W"]) >= KINK_MARGIN)


def test_points_shrink_to_simple_values():
    found = find(points(dc.sin(x)), lambda p: p["x"][2] < 0, settings=settings(QUICK, max_examples=100))
    assert found["x"][2] == -1.0 and set(np.abs(found["x"])) == {1.0}


def test_points_of_a_constant_expression_are_empty():
    assert find(points(dc.const(2.0) * 3), lambda p: True) == {}


# ----- networks -----
@settings(QUICK, max_examples=25)
@given(mlps(max_layers=3, max_width=3, max_batch=3))
def test_mlps_draw_a_scalar_loss_its_parameters_and_a_point(case):
    loss, params, at = case
    assert isinstance(case, MLPCase) and loss.shape == ()
    names = [p.name for p in params]
    assert set(names) == set(at) == set(variables(loss))
    assert names[:2] == ["W_net1", "b_net1"]
    assert in_domain(loss, at)


@settings(QUICK, max_examples=2)
@given(mlps(max_layers=2, max_width=2, max_batch=2, losses=["binary_cross_entropy", "softmax_cross_entropy"]))
def test_backprop_agrees_with_sympy_on_drawn_networks(case):
    assert dc.check(case.loss, case.params, case.at, methods=("sympy", "tape")).ok


def test_a_planted_network_failure_shrinks_to_width_1_sigmoid_and_half_sse():
    found = find(
        mlps(max_layers=3),
        lambda case: len(case.params) == 6,  # "fails" for every 3-layer network
        settings=settings(QUICK, max_examples=100, derandomize=True),
    )
    assert [p.shape for p in found.params] == [(1, 1), (1,)] * 3
    assert ops_of(found.loss) == {"matmul", "add", "sigmoid", "sub", "pow", "mul", "sum"}  # ½Σ(ŷ − y)²


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_mlps_use_the_activations_asked_for(activation):
    found = find(
        mlps(activations=[activation], max_layers=2),
        lambda case: len(case.params) == 4,
        settings=settings(QUICK, max_examples=100),
    )
    assert activation in ops_of(found.loss)
    assert not ({"sigmoid", "tanh", "relu"} - {activation}) & ops_of(found.loss)


# ----- eager validation -----
INVALID = {
    "no variables": lambda: expressions([]),
    "names, not Vars": lambda: expressions(["a"]),
    "one name, two shapes": lambda: expressions([dc.vector("v", 2), dc.vector("v", 3)]),
    "unknown op": lambda: expressions(VARIABLES, ops=["exp", "softsign"]),
    "no ops": lambda: expressions(VARIABLES, ops=[]),
    "max_leaves 0": lambda: expressions(VARIABLES, max_leaves=0),
    "max_leaves float": lambda: expressions(VARIABLES, max_leaves=2.5),
    "constants not a strategy": lambda: expressions(VARIABLES, constants=[1.0, 2.0]),
    "points of a string": lambda: points("a + b"),
    "points of a number": lambda: points(3.0),
    "points, one name two shapes": lambda: points(dc.vector("v", 2).T @ dc.matrix("v", 2, 2)),
    "mlps max_layers 0": lambda: mlps(max_layers=0),
    "mlps max_width bool": lambda: mlps(max_width=True),
    "mlps max_batch -1": lambda: mlps(max_batch=-1),
    "mlps unknown activation": lambda: mlps(activations=["swish"]),
    "mlps no activations": lambda: mlps(activations=[]),
    "mlps unknown loss": lambda: mlps(losses=["hinge"]),
}


@pytest.mark.parametrize("call", INVALID.values(), ids=INVALID.keys())
def test_invalid_arguments_raise_when_the_strategy_is_created(call):
    with pytest.raises(InvalidArgument):
        call()  # creating the strategy raises; nothing is drawn


# ----- drawing from the record -----
class SquareTrace(Op):
    """square_trace(x) = the sum of the diagonal of a square matrix."""

    name, arity, printing, draw = "square_trace", 1, Call(), Draw()
    samples, sympy_route, reads = (Sample(((2, 2),)),), "lower", ((),)

    def shape(self, a):
        if len(a) != 2 or a[0] != a[1]:
            raise ShapeError(f"square_trace: needs a square matrix, got shape {a}")
        return ()

    @staticmethod
    def forward(x):
        return np.trace(x)

    def lower(self, x):
        return np.asarray(sum(x[i, i] for i in range(x.shape[0])), dtype=object)

    @property
    def vjps(self):
        return (lambda g, out, x: np.multiply.outer(g, np.eye(x.shape[0])),)


def test_an_op_whose_shape_rule_refuses_a_drawn_operand_is_drawn_only_where_it_fits():
    square = dc.matrix("S", 2, 2)
    with registered(SquareTrace):
        nodes = drawn_nodes(expressions([a, x, square], ops=["square_trace", "add"]), 60)
    traces = [node for node in nodes if node.op == "square_trace"]
    assert traces and all(node.inputs[0].shape == (2, 2) for node in traces)


def test_inputs_the_record_marks_positive_are_guarded():
    nodes = drawn_nodes(expressions([a, x], ops=["log", "sqrt", "div", "mul", "add"]), 60)
    guarded = [(n, 0) for n in nodes if n.op in ("log", "sqrt")] + [(n, 1) for n in nodes if n.op == "div"]
    assert guarded and all(n.inputs[k].op == "add" and n.inputs[k].inputs[0].op == "mul" for n, k in guarded)


def test_params_come_from_the_record_draw():
    nodes = drawn_nodes(expressions([W], ops=["sum"]), 40)
    axes = {dict(n.params).get("axis") for n in nodes if n.op == "sum"}
    assert None in axes and axes & {0, 1}
