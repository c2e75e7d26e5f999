"""diffcheck.testing: assert_gradient, the gradcheck callable and the failure message."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import diffcheck as dc
from diffcheck.checking.report import Mismatch, Report
from diffcheck.testing import GradCheck, GradientCheckError, _capped, assert_gradient, failure_message

a = dc.scalar("a")
W, x = dc.matrix("W", 2, 3), dc.vector("x", 3)


def wx_jacobian(W, x):  # ∂(Wx)[i]/∂W[k,j] = δ_ik x[j]
    J = np.zeros((2, 2, 3))
    J[0, 0], J[1, 1] = x, x
    return J


def wrong_wx_jacobian(W, x):
    J = wx_jacobian(W, x)
    J[1, 1, 2] += 1.0
    return J


def test_returns_the_report_when_every_element_agrees():
    report = assert_gradient(W @ x, W, wx_jacobian)
    assert isinstance(report, Report) and report.ok and report.title == "check_gradient"
    report = assert_gradient(dc.sin(W @ x), [W, x])
    assert report.ok and report.title == "check" and report.wrt == ("W", "x")


def test_a_failure_is_an_assertion_error_carrying_the_report():
    with pytest.raises(GradientCheckError) as info:
        assert_gradient(W @ x, W, wrong_wx_jacobian)
    assert isinstance(info.value, AssertionError)
    assert {(m.wrt, m.index) for m in info.value.report.mismatches} == {("W", (1, 1, 2))}


def test_the_message_is_the_report_then_the_expression_and_a_rerun_line():
    with pytest.raises(GradientCheckError) as info:
        assert_gradient(W @ x, W, wrong_wx_jacobian)
    lines = str(info.value).splitlines()
    report_lines = str(info.value.report).splitlines()
    assert lines[: len(report_lines)] == report_lines
    assert [line.split()[0] for line in lines if line.startswith("  ∂")] == ["∂y[1]/∂W[1,2]"] * 3
    assert report_lines[-1].startswith("Reproduce: random points from seed 0")
    assert lines[-2] == "Expression: y = W @ x   [variables: W (2, 3), x (3,)]"
    assert lines[-1] == (
        "Rerun in Python: dc.check_gradient(y, 'W', claimed, seed=0)"
        "   (import diffcheck as dc; y, claimed: as built in this test)"
    )


def test_the_rerun_line_names_the_points_and_options_it_was_given():
    at = {"W": np.arange(6.0).reshape(2, 3) + 1, "x": np.array([1.0, 2.0, 3.0])}
    with pytest.raises(GradientCheckError) as info:
        assert_gradient(W @ x, [W], wrong_wx_jacobian, at, rtol=1e-3, methods=("sympy", "tape"), seed=4)
    assert str(info.value).splitlines()[-1] == (
        "Rerun in Python: dc.check_gradient(y, 'W', claimed, at, rtol=0.001, methods=('sympy', 'tape'))"
        "   (import diffcheck as dc; y, claimed, at: as built in this test)"
    )


def test_a_check_without_claim_reruns_check():
    report = Report("y", ("a",), ("sympy", "tape"), "sympy", {}, [{"a": np.array(1.0)}], seed=3)
    report.mismatches.append(Mismatch("a", (), {"sympy": 1.0, "tape": 2.0}))
    assert failure_message(report, dc.exp(a)).splitlines()[-1] == (
        "Rerun in Python: dc.check(y, 'a', seed=3)   (import diffcheck as dc; y: as built in this test)"
    )


def test_a_message_for_thousands_of_mismatches_stays_short():
    big = dc.vector("v", 1000)
    report = Report("y", ("v",), ("sympy", "tape"), "sympy", {}, [{"v": np.ones(1000)}], seed=0)
    report.mismatches += [Mismatch("v", (i,), {"sympy": 1.0, "tape": 2.0}) for i in range(1000)]
    report.compared = 1000
    report.notes += [f"note {i}" for i in range(100)]  # more than any real report has
    lines = failure_message(report, dc.sum(big * big)).splitlines()
    assert len(lines) <= 62
    assert "  ... and 980 more (report.mismatches has all 1000)" in lines
    assert any(line.startswith("... ") and "more lines of the report left out" in line for line in lines)
    assert lines[-3].startswith("Reproduce: random points from seed 0")
    assert lines[-2] == "Expression: y = sum(v * v)   [variables: v (1000,)]"


def test_capped_keeps_the_head_and_the_tail_and_counts_what_it_cuts():
    lines = [str(i) for i in range(100)]
    assert _capped(lines[:60]) == lines[:60]
    capped = _capped(lines, limit=60, tail=12)
    assert len(capped) == 60
    assert capped[:47] == lines[:47] and capped[-12:] == lines[-12:]
    assert capped[47] == "... 41 more lines of the report left out (print(err.report) shows all)"


def test_a_long_expression_is_shortened():
    y = dc.sum(x)
    for _ in range(40):
        y = dc.sin(y) + a
    message = failure_message(
        Report("y", ("a",), ("sympy",), "sympy", {}, [], seed=0), y
    ).splitlines()
    assert len(message[-2]) < 220 and "...   [variables: a (), x (3,)]" in message[-2]


def test_errors_in_the_call_are_not_turned_into_failures():
    with pytest.raises(ValueError, match="'b' is not a variable"):
        assert_gradient(a * a, "b")
    with pytest.raises(TypeError):
        assert_gradient(a * a, a, no_such_option=1)


def test_the_gradcheck_callable_applies_its_settings_and_call_keywords_win():
    off = lambda a: 2 * a * (1 + 1e-5)  # noqa: E731
    with pytest.raises(GradientCheckError):
        GradCheck()(a * a, a, off)
    loose = GradCheck({"rtol": 1e-3, "atol": None, "seed": 2})
    report = loose(a * a, a, off)
    assert report.seed == 2 and report.tolerances["claimed"][0] == 1e-3
    with pytest.raises(GradientCheckError):
        loose(a * a, a, off, rtol=None)
    assert "rtol=0.001" in repr(loose)


def test_assertion_helpers_hide_their_frames_from_pytest_tracebacks():
    for function in (assert_gradient, GradCheck.__call__):
        assert "__tracebackhide__" in function.__code__.co_varnames


def _accepts_mode(function) -> bool:
    return "mode" in inspect.signature(function).parameters


@pytest.mark.skipif(not _accepts_mode(dc.check), reason="dc.check has no fast mode yet")
def test_fast_mode_is_passed_through_to_check():
    assert assert_gradient(dc.tanh(W @ x), [W, x], mode="fast").ok


@pytest.mark.skipif(not _accepts_mode(dc.check_gradient), reason="dc.check_gradient has no fast mode yet")
def test_fast_mode_is_passed_through_to_check_gradient():
    assert assert_gradient(W @ x, W, wx_jacobian, mode="fast").ok
    with pytest.raises(GradientCheckError):
        assert_gradient(W @ x, W, wrong_wx_jacobian, mode="fast")
