"""``assert_vjp`` and the fixture's ``gradcheck.vjp``: a wrong backward fails the test with the
report; a right one returns it. The fixture runs in pytester sessions."""

from __future__ import annotations

import numpy as np
import pytest

import diffcheck as dc
from diffcheck.testing import GradCheck, GradientCheckError, assert_vjp

pytest_plugins = ["pytester"]

AT = {"W": np.arange(6.0).reshape(2, 3) / 6, "x": np.array([0.5, -1.0, 2.0])}


def forward(W, x):
    return np.tanh(W @ x)


def backward(g, W, x):
    d = g * (1 - np.tanh(W @ x) ** 2)
    return {"W": np.outer(d, x), "x": W.T @ d}


def halved(g, W, x):
    return {k: v / 2 if k == "x" else v for k, v in backward(g, W, x).items()}


def test_assert_vjp_returns_the_report_of_a_right_backward():
    report = assert_vjp(forward, backward, AT, methods=("tape", "numeric"))
    assert report.ok and report.title == "check_vjp"


def test_assert_vjp_raises_with_the_report_and_a_rerun_line():
    with pytest.raises(GradientCheckError) as caught:
        assert_vjp(forward, halved, AT, methods=("tape",))
    message = str(caught.value)
    assert "check_vjp" in message and "FAILED" in message and "∂y[0]/∂x[1]" in message
    assert "Rerun in Python: dc.check_vjp(forward, backward, at, methods=('tape',))" in message
    assert not caught.value.report.ok


def test_the_fixture_object_applies_its_settings():
    loose = GradCheck({"rtol": 1.0, "atol": 1.0, "seed": 0})
    assert loose.vjp(forward, halved, AT, methods=("tape",)).ok  # any factor passes at rtol 1
    with pytest.raises(GradientCheckError):
        GradCheck({"seed": 0}).vjp(forward, halved, AT, methods=("tape",))


@pytest.fixture(autouse=True, scope="module")
def _imported_up_front() -> None:
    """Import what the inner session loads lazily (pytester drops modules it first imports)."""
    import diffcheck.pytest_plugin  # noqa: F401

    dc.check_vjp(forward, backward, AT)


def test_gradcheck_vjp_fails_the_test_naming_the_wrong_element(pytester):
    pytester.makepyfile(
        """
import numpy as np

AT = {"W": np.arange(6.0).reshape(2, 3) / 6, "x": np.array([0.5, -1.0, 2.0])}

def forward(W, x):
    return np.tanh(W @ x)

def backward(g, W, x):
    d = g * (1 - np.tanh(W @ x) ** 2)
    return {"W": np.outer(d, x), "x": W.T @ d}

def test_right(gradcheck):
    assert gradcheck.vjp(forward, backward, AT).ok

def test_wrong(gradcheck):
    gradcheck.vjp(forward, lambda g, W, x: {**backward(g, W, x), "x": W.T @ g}, AT)
"""
    )
    result = pytester.runpytest("-p", "diffcheck.pytest_plugin", "-p", "no:cacheprovider",
                                "-p", "no:benchmark")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["E*GradientCheckError: diffcheck check_vjp: *FAILED",
                                "E*element*sympy*tape*numeric*claimed", "E*∂y?1?/∂x?2?*"])
