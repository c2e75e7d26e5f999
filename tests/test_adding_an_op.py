"""An op is one record: a throwaway op, declared and registered only here, works in
every consumer unchanged — the three-way check at small size and through the per-node
SymPy route at scale, printing, explain, the strategies, the table tests, and the
localisation of a planted VJP bug. A second throwaway op with ties shows the kink
predicate reaching random points and numeric differences.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import diffcheck as dc
from diffcheck.checking import compare
from diffcheck.checking.points import KINK_MARGIN, random_points
from diffcheck.errors import ShapeError
from diffcheck.ir import apply, toposort
from diffcheck.ops.arithmetic import Binary
from diffcheck.ops.arrays import as_objects
from diffcheck.ops.base import REGISTRY, Op, registered
from diffcheck.ops.drawing import Draw, Sample
from diffcheck.ops.notation import Call, Infix
from diffcheck.printing import expr_str
from diffcheck.strategies import expressions, points
from tests.ops.test_table import (
    assert_forward_equals_lowering,
    assert_specialised_vjps_read_only_what_they_declare,
    assert_vjps_equal_numeric,
    sample_expressions,
)


class RowSoftmax(Op):
    """row_softmax(x) = exp(x) / sum(exp(x)) along the last axis."""

    name, arity = "row_softmax", 1
    printing, draw = Call(), Draw()
    samples = (Sample(((2, 3),)), Sample(((4,),)))
    sympy_route = "lower"  # no matrix-level rule: the per-node route lowers it at its real shapes
    reads = (("out",),)  # the VJP reads the output only

    def shape(self, a):
        if not a:
            raise ShapeError(f"row_softmax: needs at least one axis, got shape {a}")
        return a

    @staticmethod
    def forward(x):
        e = np.exp(x)
        return e / np.sum(e, axis=-1, keepdims=True)

    def lower(self, x):
        e = np.frompyfunc(sp.exp, 1, 1)(x)
        return as_objects(e / e.sum(axis=-1, keepdims=True))

    @property
    def vjps(self):
        return (self.vjp,)

    @staticmethod
    def vjp(g, out, x):
        return out * (g - np.sum(g * out, axis=-1, keepdims=True))


def wrong_vjp(g, out, x):  # forgets the row sum: the diagonal of the Jacobian only
    return out * g


@pytest.fixture
def softmax():
    """The throwaway op's builder while it is in the table; the table is restored after."""
    assert RowSoftmax.name not in REGISTRY
    with registered(RowSoftmax) as record:
        yield record.builder()
    assert RowSoftmax.name not in REGISTRY


X = dc.matrix("X", 2, 3)
C = np.array([[1.0, -2.0, 0.5], [0.25, 3.0, -1.0]])


# ----- checking -----
def test_three_way_check_at_small_size(softmax):
    report = dc.check(softmax(X), X)
    assert report.ok and report.compared == 3 * 36  # three random points
    assert set(report.methods) == {"sympy", "tape", "numeric"}


def test_three_way_check_through_the_per_node_sympy_route(softmax, monkeypatch):
    """Above the element-wise limit SymPy derives the op's local Jacobian at its real
    shapes (its record says "lower"), never a silent elementwise fallback."""
    monkeypatch.setattr(compare, "SYMPY_ELEMENTWISE_TERMS", 4)
    big = dc.matrix("B", 5, 3)
    report = dc.check(dc.sum(softmax(big) * np.arange(15.0).reshape(5, 3)), big)
    assert report.ok and report.compared == 3 * 15, report
    assert any("per-node" in note for note in report.notes)
    with mock.patch.object(RowSoftmax, "vjp", staticmethod(wrong_vjp)):
        broken = dc.check(dc.sum(softmax(big) * np.arange(15.0).reshape(5, 3)), big)
    assert not broken.ok and broken.hints[0].startswith("blame: tape disagrees")


def test_a_planted_vjp_bug_is_localised_to_the_op(softmax):
    with mock.patch.object(RowSoftmax, "vjp", staticmethod(wrong_vjp)):
        report = dc.check(dc.sum(softmax(X) * C), X)
    assert not report.ok
    assert report.hints[0].startswith("blame: tape disagrees")
    assert any(h.startswith("node: tape VJP of row_softmax") for h in report.hints), report.hints


# ----- printing and explain -----
def test_printing(softmax):
    e = softmax(X.T) * 2 + 1
    assert expr_str(e) == "row_softmax(X.T) * 2 + 1"
    assert repr(softmax(X)) == "<row_softmax(X) shape=(2, 3)>"


def test_explain(softmax):
    x = dc.vector("x", 3)
    text = dc.explain(dc.sum(softmax(x) * np.array([1.0, 2.0, 3.0])), "x", {"x": [0.0, 0.0, 0.0]})
    assert "n1 = row_softmax(x)    (shape (3,))" in text
    assert "∂n1/∂x = a (3, 3) Jacobian, e.g. ∂n1[0]/∂x[0] = exp(x[0])/(exp(x[0]) + " in text
    assert text.endswith("[-0.333333  0.        0.333333]")  # p ⊙ (w - p·w) at p = 1/3


# ----- the table tests -----
def test_the_table_tests_run_on_its_samples(softmax):
    expressions_ = sample_expressions("row_softmax")
    assert [e.shape for e in expressions_] == [(2, 3), (4,)]
    for expr in expressions_:
        assert_forward_equals_lowering(expr)
        assert_vjps_equal_numeric(expr)
        for batch in [(), (2,)]:
            assert_specialised_vjps_read_only_what_they_declare(expr, batch)


def test_the_table_tests_catch_a_wrong_vjp(softmax):
    with mock.patch.object(RowSoftmax, "vjp", staticmethod(wrong_vjp)):
        with pytest.raises(AssertionError):
            assert_vjps_equal_numeric(sample_expressions("row_softmax")[0])


# ----- strategies -----
QUICK = settings(deadline=None, database=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
VARIABLES = [dc.scalar("a"), dc.vector("x", 3), dc.matrix("W", 2, 3)]


def test_strategies_draw_it_and_the_three_methods_agree(softmax):
    checked = []

    @settings(QUICK, max_examples=25)
    @given(st.data())
    def draw(data):
        # a scalar operand does not fit (its shape rule refuses ()): the strategy steps around it
        expr = data.draw(expressions(VARIABLES, ops=["row_softmax", "add", "mul"], max_leaves=4))
        at = data.draw(points(expr))
        if at and "row_softmax" in {node.op for node in toposort(expr)}:
            assert dc.check(expr, sorted(at), at).ok
            checked.append(expr)

    draw()
    assert checked


# ----- an op with ties: the kink predicate -----
class Larger(Binary):
    """larger(x, y) = max(x, y), elementwise (not differentiable where x == y)."""

    name, printing, analytic = "larger", Infix("∨", 20), False
    sympy_route = "elementwise"
    lower_scalar = staticmethod(np.frompyfunc(lambda x, y: (x + y + sp.Abs(x - y)) / 2, 2, 1))
    forward = staticmethod(np.maximum)

    @staticmethod
    def vjp_x(g, out, x, y):
        return g * (x > y)

    @staticmethod
    def vjp_y(g, out, x, y):
        return g * (x <= y)

    def kink_distance(self, x, y):
        return np.abs(np.real(x) - np.real(y))

    def kink_side(self, x, y):
        return np.sign(np.real(x) - np.real(y))


@pytest.fixture
def larger():
    with registered(Larger) as record:
        yield record


def test_random_points_stay_off_ties(larger):
    x, y = dc.vector("x", 4), dc.vector("y", 4)
    e = apply("larger", x, y)
    assert larger.has_kinks
    for point in random_points(e, 20, seed=1):
        assert np.all(np.abs(point["x"] - point["y"]) >= KINK_MARGIN)
    assert dc.check(e, [x, y], seed=3).ok


def test_a_tie_is_reported_as_a_kink_not_a_mismatch(larger):
    x, y = dc.scalar("x"), dc.scalar("y")
    e = apply("larger", x, y)
    report = dc.check(e, x, at={"x": 1.0, "y": 1.0})
    assert report.ok and len(report.kinks) == 1
    assert expr_str(e) == "x ∨ y"
