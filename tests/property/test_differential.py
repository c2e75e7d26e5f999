"""The backbone: over random expressions drawing every op, SymPy = tape = numeric."""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

import diffcheck as dc
from diffcheck.ir import toposort
from diffcheck.ops import REGISTRY
from diffcheck.strategies import expressions, points

# Fewer examples under CI keeps the suite inside its time budget; locally it runs more.
EXAMPLES = 60 if os.environ.get("CI") else 150
VARIABLES = [dc.scalar("a"), dc.vector("x", 3), dc.matrix("W", 2, 3)]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data())
def test_three_methods_agree_on_random_expressions(data):
    expr = data.draw(expressions(VARIABLES, max_leaves=6), label="expr")
    at = data.draw(points(expr), label="at")
    wrt = sorted(at)
    if not wrt:
        return
    report = dc.check(expr, wrt, at)
    assert report.ok, f"{expr!r}\n{report}"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_scalar_loss_gradients_agree_between_tape_and_sympy(data):
    expr = dc.sum(data.draw(expressions(VARIABLES, max_leaves=5), label="expr"))
    at = data.draw(points(expr), label="at")
    if not at:
        return
    tape = dc.grad(expr, sorted(at), at)
    exact = dc.grad(expr, sorted(at), at, method="sympy")
    for name in at:
        np.testing.assert_allclose(tape[name], exact[name], rtol=1e-7, atol=1e-9)


PER_OP_EXAMPLES = 4 if os.environ.get("CI") else 10
COMPANIONS = ["add", "mul", "sin"]  # ops drawn around each op under test


def ops_of(expr) -> set[str]:
    return {node.op for node in toposort(expr)}


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_the_strategy_draws_every_op(name):
    """Every record can be drawn (through its ``draw``, not a list of names)."""
    drawn = find(expressions(VARIABLES, ops=[name, *COMPANIONS], max_leaves=4),
                 lambda e: name in ops_of(e), settings=settings(max_examples=500, database=None))
    assert name in ops_of(drawn)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_three_methods_agree_around_each_op(name):
    """The differential test, focused: random expressions that contain ``name``."""

    @settings(max_examples=PER_OP_EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(data=st.data())
    def agree(data):
        strategy = expressions(VARIABLES, ops=[name, *COMPANIONS], max_leaves=4)
        expr = data.draw(strategy.filter(lambda e: name in ops_of(e)), label="expr")
        at = data.draw(points(expr), label="at")
        if at:
            report = dc.check(expr, sorted(at), at)
            assert report.ok, f"{expr!r}\n{report}"

    agree()
