"""The backbone: over random expressions drawing every op, SymPy = tape = numeric."""

import os

import numpy as np
from hypothesis import HealthCheck, given, settings
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


def test_the_strategy_draws_every_op():
    seen: set[str] = set()

    @settings(max_examples=300, deadline=None, database=None)
    @given(expressions(VARIABLES, max_leaves=8))
    def collect(expr):
        seen.update(node.op for node in toposort(expr))

    collect()
    assert set(REGISTRY) <= seen, sorted(set(REGISTRY) - seen)
