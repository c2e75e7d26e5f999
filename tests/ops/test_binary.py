"""The functions of ``diffcheck/ops/binary.py``: maximum minimum hypot arctan2 logaddexp
with broadcasting, ``where`` with a constant mask and ``clip`` with constant bounds.

Ties and bounds are kinks: checks report them as kinks, never as mismatches. The
table tests (``tests/ops/test_table.py``) check each record on its samples.
"""

from unittest import mock

import numpy as np
import pytest

import diffcheck as dc
from diffcheck.checking import compare
from diffcheck.errors import ShapeError
from diffcheck.ops import REGISTRY
from diffcheck.ops.binary import Where

W, v = dc.matrix("W", 2, 3), dc.vector("v", 3)
a, b = dc.scalar("a"), dc.scalar("b")
W0 = np.array([[0.5, -2.0, 3.0], [1e300, -1e300, 0.0]])
V0 = np.array([1.0, -2.0, -4.0])
TWINS = {"maximum": np.maximum, "minimum": np.minimum, "hypot": np.hypot, "arctan2": np.arctan2,
         "logaddexp": np.logaddexp}


@pytest.mark.parametrize("name", sorted(TWINS))
def test_values_equal_numpy_with_broadcasting_and_far_out(name):
    got = dc.evaluate(getattr(dc, name)(W, v), {"W": W0, "v": V0})
    np.testing.assert_array_equal(got, TWINS[name](W0, V0))
    assert np.all(np.isfinite(got))  # hypot and logaddexp of 1e300 do not overflow


def test_logaddexp_slopes_are_finite_and_accurate_far_out():
    at = {"a": 1000.0, "b": 960.0}
    grads = dc.grad(dc.logaddexp(a, b), [a, b], at)
    assert grads["b"] == pytest.approx(np.exp(-40.0), rel=1e-14) and grads["a"] == 1.0
    assert dc.check(dc.logaddexp(a, b), [a, b], at).ok


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_a_tie_is_reported_as_a_kink_not_a_mismatch(name):
    e = dc.sum(getattr(dc, name)(W, v) * np.arange(1.0, 7.0).reshape(2, 3))
    at = {"W": np.array([[1.0, 0.5, -1.0], [2.0, -3.0, 0.25]]), "v": np.array([1.0, 2.0, 0.25])}
    report = dc.check(e, [W, v], at)
    assert report.ok and not report.mismatches
    # W[0,0] ties v[0] and W[1,2] ties v[2]: four kink elements, one-sided slopes 0 and the weight
    assert sorted(k.name for k in report.kinks) == ["∂y/∂W[0,0]", "∂y/∂W[1,2]", "∂y/∂v[0]", "∂y/∂v[2]"]
    kink = next(k for k in report.kinks if k.name == "∂y/∂W[1,2]")
    assert sorted([kink.left, kink.right]) == pytest.approx([0.0, 6.0], abs=1e-6)
    assert kink.values["tape"] == 3.0  # half of the weight 6


def test_at_a_tie_the_tape_gives_each_input_half_the_gradient():
    for f in (dc.maximum, dc.minimum):
        assert dc.grad(f(a, b), [a, b], {"a": 1.5, "b": 1.5}) == {"a": 0.5, "b": 0.5}
        assert dc.grad(f(a, b), [a, b], {"a": 2.0, "b": 1.0}) == (
            {"a": 1.0, "b": 0.0} if f is dc.maximum else {"a": 0.0, "b": 1.0})
    # half and half lies between the one-sided slopes, so a claim of it passes at the tie
    assert dc.check_gradient(dc.maximum(a, b), a, 0.5, {"a": 1.5, "b": 1.5}).ok
    assert not dc.check_gradient(dc.maximum(a, b), a, 2.0, {"a": 1.5, "b": 1.5}).ok


def test_the_origin_of_hypot_and_the_cut_of_arctan2_are_kinks():
    report = dc.check(dc.hypot(a, b), [a, b], {"a": 0.0, "b": 0.0})
    assert report.ok and len(report.kinks) == 2
    report = dc.check(dc.arctan2(a, b), [a, b], {"a": 0.0, "b": -1.0})  # a jump of 2π in a
    assert report.ok and [k.name for k in report.kinks] == ["∂y/∂a"]
    assert dc.check(dc.arctan2(a, b), [a, b], {"a": 0.0, "b": 1.0}).ok  # smooth there
    assert not dc.check(dc.arctan2(a, b), [a, b], {"a": 0.0, "b": 1.0}).kinks


@pytest.mark.parametrize("expr, wrt, wrong", [
    (dc.sum(dc.maximum(W, v)), v, lambda W, v: np.ones(3)),  # forgets that a row may lose
    (dc.arctan2(a, b), a, lambda a, b: -b / (a * a + b * b)),  # the sign of the other slope
    (dc.hypot(a, b), a, lambda a, b: a / (a * a + b * b)),  # r² instead of r
    (dc.logaddexp(a, b), a, lambda a, b: np.exp(a) / (np.exp(a) + np.exp(b)) - 0.01),
])
def test_a_wrong_claim_is_caught(expr, wrt, wrong):
    report = dc.check_gradient(expr, wrt, wrong)
    assert not report.ok and report.mismatches[0].values["claimed"] != report.mismatches[0].values["sympy"]


def test_a_right_claim_passes():
    assert dc.check_gradient(dc.arctan2(a, b), [a, b], {"a": lambda a, b: b / (a * a + b * b),
                                                        "b": lambda a, b: -a / (a * a + b * b)}).ok


@pytest.mark.parametrize("build, words", [
    (lambda: dc.maximum(W, dc.vector("u", 2)), r"maximum: cannot broadcast shapes \(2, 3\) and \(2,\)"),
    (lambda: dc.hypot(dc.vector("u", 4), v), r"hypot: cannot broadcast shapes \(4,\) and \(3,\)"),
    (lambda: dc.where([True, False], W, v),
     r"where: cannot broadcast shapes \(2,\) \(cond\), \(2, 3\) \(a\) and \(3,\) \(b\)"),
    (lambda: dc.where([True, False, True], W, dc.vector("u", 2)),
     r"where: cannot broadcast shapes \(3,\) \(cond\), \(2, 3\) \(a\) and \(2,\) \(b\)"),
])
def test_shape_errors_name_the_op_and_every_shape(build, words):
    with pytest.raises(ShapeError, match=words):
        build()


# ----- where -----
def test_where_with_a_list_cond_takes_a_where_true_and_b_elsewhere():
    cond = [True, False, True]
    e = dc.where(cond, W, v)
    at = {"W": W0[:1].repeat(2, axis=0), "v": V0}
    np.testing.assert_array_equal(dc.evaluate(e, at), np.where(cond, at["W"], V0))
    grads = dc.grad(dc.sum(e * 2.0), [W, v], at)
    np.testing.assert_array_equal(grads["W"], [[2.0, 0.0, 2.0]] * 2)
    np.testing.assert_array_equal(grads["v"], [0.0, 4.0, 0.0])  # summed over W's two rows
    assert repr(e) == "<where([True, False, True], W, v) shape=(2, 3)>"
    assert dc.check(dc.sum(dc.tanh(e)), [W, v]).ok


def test_where_cond_is_canonical_and_broadcasts_the_output():
    as_list = dc.where([[True], [False]], v, 0.0)
    assert as_list.shape == (2, 3)
    assert as_list.params == dc.where(np.array([[True], [False]]), v, 0.0).params == (
        ("cond", ((True,), (False,))),)
    hash(as_list.params)
    np.testing.assert_array_equal(dc.grad(dc.sum(as_list), v, {"v": V0}), [1.0, 1.0, 1.0])
    assert repr(dc.where(np.ones((3, 4), bool), dc.matrix("M", 3, 4), 0.0)).startswith(
        "<where(<bool mask (3, 4)>, M, 0)")


@pytest.mark.parametrize("call, error, words", [
    (lambda: dc.where([1, 0, 1], v, v), TypeError, r"cond must be a constant array-like of bools.*int64"),
    (lambda: dc.where(v, v, v), TypeError, "not a diffcheck expression"),
    (lambda: dc.where([[True], [False, True]], v, v), TypeError, "cond must be a constant array-like"),
    (lambda: dc.where([True, False, True], v), TypeError, r"dc\.where\(cond, a, b\)"),
    (lambda: dc.where(cond=[True], a=v, b=v), TypeError, r"dc\.where\(cond, a, b\)"),
])
def test_where_refuses_a_bad_cond_or_call_saying_what_it_needs(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_where_uses_the_lower_route_at_scale_and_catches_a_planted_bug(monkeypatch):
    """``where``'s rule differs per element, so the per-node SymPy route lowers it at its shapes."""
    assert REGISTRY["where"].sympy_route == "lower"
    monkeypatch.setattr(compare, "SYMPY_ELEMENTWISE_TERMS", 4)
    cond = np.arange(6).reshape(2, 3) % 2 == 0

    def loss():  # built anew: an expression caches its compiled tape
        return dc.sum(dc.where(cond, W, v) * np.arange(6.0).reshape(2, 3))

    report = dc.check(loss(), [W, v])
    assert report.ok and any("per-node" in note for note in report.notes), report
    swapped = property(lambda self: (lambda g, out, a, b, cond: np.where(cond, 0.0, g),
                                     lambda g, out, a, b, cond: np.where(cond, g, 0.0)))
    with mock.patch.object(Where, "vjps", swapped):
        report = dc.check(loss(), [W, v])
    assert not report.ok and report.hints[0].startswith("blame: tape disagrees"), report


# ----- clip -----
def test_clip_method_and_function_build_the_same_node():
    assert W.clip(-1, 1).params == dc.clip(W, -1.0, 1.0).params == (("a_max", 1.0), ("a_min", -1.0))
    assert W.clip(max=1).params == dc.clip(W, None, 1).params == W.clip(None, 1).params
    assert repr(W.clip(0.5)) == "<clip(W, a_min=0.5) shape=(2, 3)>"
    at = {"W": np.array([[-3.0, 0.25, 2.0], [0.5, -0.5, 1.5]])}
    np.testing.assert_array_equal(dc.evaluate(W.clip(-1, 1), at), np.clip(at["W"], -1, 1))
    np.testing.assert_array_equal(dc.grad(dc.sum(W.clip(-1, 1)), W, at), [[0, 1, 0], [1, 1, 0]])
    assert dc.check(dc.sum(W.clip(-1, 1) ** 2), W).ok


def test_a_point_on_a_bound_is_a_kink_and_the_tape_passes_the_gradient_there():
    at = {"v": np.array([1.0, -1.0, 0.5])}
    report = dc.check(dc.sum(dc.clip(v, -1.0, 1.0)), v, at)
    assert report.ok and sorted(k.name for k in report.kinks) == ["∂y/∂v[0]", "∂y/∂v[1]"]
    np.testing.assert_array_equal(dc.grad(dc.sum(dc.clip(v, -1.0, 1.0)), v, at), [1.0, 1.0, 1.0])
    loss = dc.sum(dc.clip(v, -1.0, 1.0))
    assert dc.check_gradient(loss, v, np.ones(3), at).ok  # 1 lies between the one-sided 0 and 1
    assert not dc.check_gradient(loss, v, np.full(3, 2.0), at).ok


@pytest.mark.parametrize("call, error, words", [
    (lambda: dc.clip(v, 2, 1), ValueError, r"clip: a_min=2\.0 is above a_max=1\.0"),
    (lambda: dc.clip(v, [0, 1, 2], 1), TypeError, r"clip: a_min must be a real number or None, got an array"),
    (lambda: dc.clip(v, None, True), TypeError, r"clip: a_max must be a real number or None, got True"),
    (lambda: dc.clip(v, np.nan), ValueError, r"clip: a_min is NaN"),
    (lambda: dc.clip(v, v), TypeError, r"clip: a_min must be a constant number or None, not an expression"),
    (lambda: v.clip(0, 1, 2), TypeError, r"Expr\.clip\(\) takes min and max"),
    (lambda: v.clip(0, min=1), TypeError, r"Expr\.clip\(\) got multiple values for 'min'"),
])
def test_clip_refuses_bad_bounds_naming_them(call, error, words):
    with pytest.raises(error, match=words):
        call()


# ----- NumPy on expressions: NumPy's spelling builds the same node -----
@pytest.mark.parametrize("numpy_call, dc_call", [
    (lambda: np.arctan2(v, v), lambda: dc.arctan2(v, v)),
    (lambda: np.maximum(v, 0.0), lambda: dc.maximum(v, 0.0)),
    (lambda: np.minimum(W, v), lambda: dc.minimum(W, v)),
    (lambda: np.hypot(v, v), lambda: dc.hypot(v, v)),
    (lambda: np.logaddexp(v, 1.0), lambda: dc.logaddexp(v, 1.0)),
    (lambda: np.where([True, False, True], v, v), lambda: dc.where([True, False, True], v, v)),
    (lambda: np.clip(v, 0, 1), lambda: dc.clip(v, 0, 1)),
])
def test_numpy_calls_on_expressions_build_the_dc_twin(numpy_call, dc_call):
    ours, theirs = numpy_call(), dc_call()
    assert isinstance(ours, dc.Expr) and (ours.op, ours.shape) == (theirs.op, theirs.shape)
    assert repr(ours) == repr(theirs)
