"""Numeric differences at tiny arguments: the complex step scales with the point."""

from __future__ import annotations

import numpy as np
import pytest

import diffcheck as dc
from diffcheck.backends import numeric

a = dc.scalar("a")


@pytest.mark.parametrize("value", [1e-17, 1e-100, 1e-250])
def test_the_complex_step_is_exact_for_log_at_a_tiny_argument(value):
    derivative = dc.jacobian(dc.log(a), a, {"a": value}, method="numeric")
    assert float(derivative) == pytest.approx(1 / value, rel=1e-12)


@pytest.mark.parametrize("value", [1e-17, 1e-100])
def test_a_correct_derivative_at_a_tiny_argument_passes(value):
    report = dc.check(dc.log(a), a, {"a": value})
    assert report.ok, str(report)
    assert dc.check_gradient(dc.log(a), a, "1/a", {"a": value}).ok


def test_a_wrong_derivative_at_a_tiny_argument_still_fails():
    report = dc.check_gradient(dc.log(a), a, "1/(2*a)", {"a": 1e-17})
    assert not report.ok


def test_functions_that_want_a_normal_step_stay_exact_near_zero():
    for value in (0.0, 1e-17, 1e-250):
        assert float(dc.jacobian(dc.sin(a) * 3.0, a, {"a": value}, method="numeric")) == (
            pytest.approx(3.0, rel=1e-12)
        )


def test_fast_mode_projections_use_a_step_small_against_every_element():
    x = dc.vector("x", 3)
    report = dc.check(dc.sum(dc.log(x)), x, {"x": [1e-17, 1e-3, 2.0]}, mode="fast")
    assert report.ok, str(report)
    assert report.projections and not report.compared  # the projections alone agreed


def test_steps_shrink_with_the_point_below_one_and_stay_normal():
    x = np.array([0.0, 1e-17, 0.5, 3.0, 1e-320])
    steps = numeric.complex_steps(x, np.dtype(np.float64))
    np.testing.assert_allclose(
        steps[:4], [numeric.COMPLEX_STEP, 1e-37, 0.5 * numeric.COMPLEX_STEP, numeric.COMPLEX_STEP]
    )
    assert steps[4] == np.finfo(np.float64).tiny
    assert numeric.complex_steps(np.float32(1e-17), np.dtype(np.float32)).dtype == np.float32
