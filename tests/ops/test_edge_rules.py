"""Op rules at the edges: pow's VJPs where a factor is 0 times infinity, and builders
that name their misuse instead of leaking a shape rule's TypeError."""

import numpy as np
import pytest

import diffcheck as dc
from diffcheck.ops import REGISTRY, Op, op

a = dc.scalar("a")
b = dc.scalar("b")
x = dc.vector("x", 3)
W = dc.matrix("W", 2, 3)


# ----- pow: x**0 has slope 0 at x = 0, and 0**y has slope 0 in y for y > 0 -----
@pytest.mark.parametrize("exponent", [0.0, 0], ids=["float", "int"])
@pytest.mark.parametrize("method", ["tape", "sympy", "numeric"])
def test_the_slope_of_a_to_the_zero_at_zero_is_zero(exponent, method):
    assert dc.grad(a**exponent, a, {"a": 0.0}, method=method) == 0.0


def test_check_passes_for_a_to_the_zero_at_zero():
    assert dc.check(a**0.0, a, {"a": 0.0}).ok


def test_an_exponent_array_with_zeros_keeps_every_slope_finite():
    """The elementwise (non 0-d exponent) rule, batched over a Jacobian's rows."""
    expr = x ** dc.const([0.0, 1.0, 3.0])
    jac = dc.jacobian(expr, x, {"x": np.zeros(3)})
    np.testing.assert_array_equal(jac, np.diag([0.0, 1.0, 0.0]))


def test_a_broadcast_base_sums_the_finite_slopes():
    expr = dc.sum(a ** dc.const([0.0, 1.0, 2.0]))
    assert dc.grad(expr, a, {"a": 0.0}) == 1.0  # 0 + 1 + 2a


def test_the_slope_of_zero_to_the_y_in_y_is_zero_for_positive_y():
    expr = dc.const(0.0) ** b
    assert dc.grad(expr, b, {"b": 2.0}) == 0.0
    assert dc.grad(expr, b, {"b": 2.0}, method="numeric") == 0.0


def test_zero_bases_among_others_keep_the_log_slope_elsewhere():
    base = np.array([0.0, 2.0, 3.0])
    jac = dc.jacobian(dc.const(base) ** b, b, {"b": 1.5})
    np.testing.assert_allclose(jac, [0.0, 2.0**1.5 * np.log(2.0), 3.0**1.5 * np.log(3.0)], rtol=1e-14)


# ----- builders from the op table: misuse is a TypeError naming dc.<name>() -----
@pytest.mark.parametrize("name", ["sum", "mean"])
def test_a_typo_in_a_reduction_keyword_names_the_accepted_ones(name):
    with pytest.raises(TypeError, match=rf"dc\.{name}\(\) got an unexpected keyword argument 'axs'; "
                                        r"it accepts: axis"):
        getattr(dc, name)(W, axs=0)


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs"])
def test_elementwise_builders_say_they_take_no_keywords(name):
    with pytest.raises(TypeError, match=rf"dc\.{name}\(\) got an unexpected keyword argument 'out'; "
                                        r"it takes none"):
        getattr(dc, name)(x, out=None)


def test_axis_may_be_given_positionally_as_in_numpy():
    expr = dc.sum(W, 1)
    assert expr.shape == (2,)
    value = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(dc.evaluate(expr, {"W": value}), value.sum(axis=1))
    np.testing.assert_array_equal(dc.evaluate(dc.mean(W, 0), {"W": value}), value.mean(axis=0))


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: dc.exp(x, x), r"dc\.exp\(\) takes 1 input, but 2 positional arguments were given"),
        (lambda: dc.exp(), r"dc\.exp\(\) takes 1 input, but 0 were given"),
        (lambda: dc.sum(W, 0, False, 1),
         r"dc\.sum\(\) takes 1 input and then axis, keepdims, but 4 positional"),
        (lambda: dc.sum(W, 1, axis=0), r"dc\.sum\(\) got multiple values for argument 'axis'"),
    ],
)
def test_wrong_positional_arguments_are_named(call, words):
    with pytest.raises(TypeError, match=words):
        call()


def test_an_op_whose_keywords_its_shape_rule_does_not_take_is_refused():
    with pytest.raises(TypeError, match=r"keywords \['axis'\] are not parameters of its shape rule"):

        @op
        class Twice(Op):
            """2 * x, elementwise."""

            name, arity, keywords = "twice_with_axis", 1, ("axis",)

            def shape(self, a):
                return a

            @property
            def vjps(self):
                return (lambda g, out, x: 2 * g,)

    assert "twice_with_axis" not in REGISTRY
