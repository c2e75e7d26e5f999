"""The comparator at its edges: infinite or NaN references, and claims at kinks."""

import numpy as np
import pytest

import diffcheck as dc
from diffcheck.checking.edges import agrees
from diffcheck.ops import REGISTRY


def outcome(check, *args, **kwargs):
    """The report, or the ValueError of a check that refuses its point (y not finite there)."""
    try:
        return check(*args, **kwargs)
    except ValueError as error:
        return error


# ----- item 1: an infinite or overflowing reference -----


def test_numpys_rule_never_lets_a_finite_value_match_an_infinite_reference():
    inf = np.inf
    assert not agrees(5.0, inf, 1e-6, 1e-9) and not agrees(-5.0, inf, 1e-6, 1e-9)
    assert agrees(inf, inf, 1e-6, 1e-9) and not agrees(-inf, inf, 1e-6, 1e-9)
    assert not agrees(inf, inf, 1e-6, 1e-9, infinity_agrees=False)
    assert not agrees(np.nan, np.nan, 1e-6, 1e-9) and not agrees(0.0, np.nan, 1e-6, 1e-9)
    assert agrees(1.0 + 1e-8, 1.0, 1e-6, 1e-9)


@pytest.mark.parametrize("claim", ["5", "-5"])
def test_a_finite_claim_where_the_derivative_is_infinite_fails(claim):
    a = dc.scalar("a")
    report = dc.check_gradient(dc.sqrt(a), a, claim, at={"a": 0.0})
    assert not report.ok
    (mismatch,) = report.mismatches
    assert mismatch.values["claimed"] == float(claim) and mismatch.values["sympy"] == np.inf
    assert "∂y/∂a is infinite at this point" in str(report)
    assert "Max absolute difference among violations: inf" in str(report)


@pytest.mark.parametrize(
    "build, claim, value",
    [(lambda a: dc.log(a), "7/a", 0.0), (lambda a: dc.exp(dc.exp(dc.exp(a))), "3", 2.0)],
    ids=["log-at-0", "exp-exp-exp-at-2"],
)
def test_a_claim_at_an_infinite_or_overflowing_derivative_never_passes(build, claim, value):
    a = dc.scalar("a")
    result = outcome(dc.check_gradient, build(a), a, claim, at={"a": value})
    if isinstance(result, ValueError):  # y itself is not finite there: the point is refused
        return
    assert not result.ok
    assert "∂y/∂a is infinite at this point" in str(result)
    assert not any("ill-conditioned" in note for note in result.notes)  # inf == inf did not "move"


def test_an_infinite_claim_does_not_vouch_for_its_formula():
    a = dc.scalar("a")
    wrong = dc.check_gradient(dc.sqrt(a), a, "7/(2*sqrt(a))", at={"a": 0.0})
    assert not wrong.ok and "a claim cannot be checked by value there" in str(wrong)
    assert not any(h.startswith("sign:") or h.startswith("factor:") for h in wrong.hints)
    assert dc.check_gradient(dc.sqrt(a), a, "1/(2*sqrt(a))", at={"a": 1.0}).ok


def test_methods_agreeing_on_an_infinite_derivative_pass_and_say_so():
    a = dc.scalar("a")
    report = dc.check(dc.sqrt(a), a, at={"a": 0.0})
    assert report.ok, str(report)
    assert any(note.startswith("∂y/∂a is infinite at this point") for note in report.notes)
    assert any("numeric is not compared" in note for note in report.notes)  # said, not silent


def test_a_finite_tape_value_against_an_infinite_reference_is_a_mismatch(monkeypatch):
    a = dc.scalar("a")
    monkeypatch.setattr(
        type(REGISTRY["sqrt"]), "vjp", staticmethod(lambda g, out, x: g * 0.5 / (out + 1e-12))
    )
    report = dc.check(dc.sqrt(a), a, at={"a": 0.0}, methods=("sympy", "tape"))
    assert not report.ok
    assert report.mismatches[0].values == {"sympy": np.inf, "tape": pytest.approx(5e11)}
    assert any(h.startswith("blame: tape disagrees") for h in report.hints)


def test_infinities_of_opposite_sign_disagree(monkeypatch):
    a = dc.scalar("a")
    monkeypatch.setattr(type(REGISTRY["sqrt"]), "vjp", staticmethod(lambda g, out, x: -g * 0.5 / out))
    with np.errstate(divide="ignore"):
        report = dc.check(dc.sqrt(a), a, at={"a": 0.0}, methods=("sympy", "tape"))
    assert not report.ok and report.mismatches[0].values["tape"] == -np.inf


@pytest.mark.parametrize("methods", [("sympy", "numeric"), ("sympy",), ("tape", "numeric")])
def test_fast_mode_projections_do_not_accept_a_claim_against_an_infinity(methods):
    a = dc.scalar("a")
    report = dc.check_gradient(dc.sqrt(a), a, "5", at={"a": 0.0}, mode="fast", methods=methods)
    assert not report.ok and report.mismatches[0].values["claimed"] == 5.0


# ----- item 4: claims at a kink -----


def test_a_claim_at_a_kink_outside_the_one_sided_derivatives_fails():
    a = dc.scalar("a")
    report = dc.check_gradient(3 * dc.abs(a), a, "42", at={"a": 0.0})
    assert not report.ok
    (mismatch,) = report.mismatches
    assert mismatch.values["claimed"] == 42.0 and mismatch.name == "∂y/∂a"
    assert any("outside the one-sided derivatives [-3, 3]" in h for h in report.hints)
    assert len(report.kinks) == 1  # the methods there are still a kink, not a mismatch
    assert "outside the one-sided derivatives" in str(report)


@pytest.mark.parametrize(
    "build, claim, ok",
    [
        (lambda a: 3 * dc.abs(a), "0", True),
        (lambda a: 3 * dc.abs(a), "-3", True),
        (lambda a: 3 * dc.abs(a), "3", True),
        (lambda a: 3 * dc.abs(a), "3.1", False),
        (lambda a: dc.relu(a), "0", True),
        (lambda a: dc.relu(a), "1/2", True),
        (lambda a: dc.relu(a), "1", True),
        (lambda a: dc.relu(a), "3/2", False),
        (lambda a: dc.relu(a), "-1/10", False),
    ],
)
def test_a_claim_at_a_kink_must_be_a_subgradient(build, claim, ok):
    a = dc.scalar("a")
    report = dc.check_gradient(build(a), a, claim, at={"a": 0.0})
    assert report.ok is ok, str(report)
    assert len(report.kinks) == 1 and report.compared == 1
    if not ok:  # the conventional value at the kink explains nothing: no factor/sign hint
        assert not any(h.startswith(("factor:", "sign:")) for h in report.hints)


def test_methods_at_a_kink_stay_kinks():
    a = dc.scalar("a")
    report = dc.check(3 * dc.abs(a), a, at={"a": 0.0})
    assert report.ok and report.mismatches == [] and len(report.kinks) == 1


def test_a_wrong_claim_beside_a_kink_is_not_mistaken_for_one():
    x = dc.vector("x", 2)
    y = dc.abs(x) * 2.0
    wrong = dc.check_gradient(y, x, lambda x: np.diag([0.0, 5.0]), at={"x": [0.0, 1.0]})
    assert not wrong.ok
    assert [m.name for m in wrong.mismatches] == ["∂y[1]/∂x[1]"]
    right = dc.check_gradient(y, x, lambda x: np.diag([1.0, 2.0]), at={"x": [0.0, 1.0]})
    assert right.ok and [k.index for k in right.kinks] == [(0, 0)]


# ----- item 7: a NaN reference is no reference -----


def test_a_nan_reference_is_no_reference_and_blames_no_method():
    y = dc.scalar("y")
    report = dc.check(dc.const(0.0) ** y, y, at={"y": 0.3})
    assert not report.ok
    assert any(note.startswith("no reference here: SymPy's ∂y/∂y is NaN at point 0")
               for note in report.notes)
    assert "numeric" not in report.disagreeing
    assert not any(h.startswith("blame: numeric") for h in report.hints)
    assert "ill-conditioned" not in str(report)
    assert "undefined (no reference" in str(report)


def test_a_claim_cannot_agree_with_a_nan_reference():
    y = dc.scalar("y")
    report = dc.check_gradient(dc.const(0.0) ** y, y, "0", at={"y": 0.3})
    assert not report.ok and "no reference here" in str(report)
