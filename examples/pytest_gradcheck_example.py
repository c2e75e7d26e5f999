"""Testing hand-derived gradients with pytest: the ``gradcheck`` fixture, the marker, the strategies.

Run it with::

    python -m pytest examples/pytest_gradcheck_example.py

Installing diffcheck registers its pytest plugin (entry point ``pytest11``), which
provides the ``gradcheck`` fixture, the ``@pytest.mark.diffcheck`` marker and the
``--diffcheck-rtol/--diffcheck-atol/--diffcheck-seed`` options (for the whole run;
the marker overrides them per test, and keyword arguments of a call override both).
``-p no:diffcheck`` turns the plugin off. In a source checkout that is not installed, load
it with ``-p diffcheck.pytest_plugin`` on the command line, not with ``pytest_plugins`` in
a test module: a module's ``pytest_plugins`` cannot be turned off with ``-p no:diffcheck``.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import diffcheck as dc
from diffcheck.strategies import expressions, mlps, points
from diffcheck.testing import assert_gradient

W, x, b = dc.matrix("W", 2, 3), dc.vector("x", 3), dc.vector("b", 2)
a = dc.scalar("a")


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_my_bias_gradient(gradcheck):
    """∂σ(Wx + b)/∂b = diag(σ'(z)), with σ' = σ(1 − σ): checked at three seeded points."""
    y = dc.sigmoid(W @ x + b)

    def dy_db(W, x, b):
        s = sigmoid(W @ x + b)
        return np.diag(s * (1 - s))

    gradcheck(y, b, dy_db)


def test_my_weight_gradient_as_text(gradcheck):
    """A claim may be typed as it is written on paper: ∂(a³)/∂a = 3a²."""
    gradcheck(a**3, a, "3*a**2")


def test_the_three_methods_agree(gradcheck):
    """No claim: SymPy, the tape and numeric differences must agree with each other."""
    report = gradcheck(dc.tanh(W @ x + b), [W, x, b])
    assert report.compared > 0


@pytest.mark.diffcheck(rtol=1e-4, atol=1e-6)
def test_a_claim_from_a_forward_difference(gradcheck):
    """A claim good to about 2e-5 (relative) fails the default tolerance; the marker loosens it."""
    h = 1e-5
    gradcheck(dc.sin(a), a, lambda a: (np.sin(a + h) - np.sin(a)) / h)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_expressions(data):
    """Over random expressions and points inside their domains, the methods agree."""
    e = data.draw(expressions([a, x], max_leaves=4), label="expression")
    at = data.draw(points(e), label="at")
    if at:
        assert_gradient(e, sorted(at), at=at)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mlps(max_layers=2, max_width=2, max_batch=2))
def test_backprop_on_random_networks(case):
    """Backpropagation (the tape) against SymPy's closed form on small random networks."""
    loss, params, at = case
    assert_gradient(loss, params, at=at, methods=("sympy", "tape"))
