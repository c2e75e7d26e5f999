"""Symbolic hints stay cheap: large numbers and powers are never simplified."""

import time

import diffcheck as dc
from diffcheck.diagnosis.symbolic_hints import entry_hint


def test_entries_with_huge_numbers_or_powers_get_no_hint_quickly():
    a = dc.to_sympy(dc.scalar("a"))
    start = time.monotonic()
    assert entry_hint((a + 1) ** 100000, a, time.monotonic() + 1) is None
    assert entry_hint(a * 999999999999989 ** 2, a, time.monotonic() + 1) is None
    assert time.monotonic() - start < 5


def test_a_missing_factor_is_named():
    z = dc.scalar("z")
    truth = dc.symbolic_jacobian(dc.tanh(z), z)
    claim = 1 - dc.to_sympy(dc.tanh(z))
    assert entry_hint(claim, truth, time.monotonic() + 5).startswith(
        "missing factor (1 + tanh(z))")


def test_intermediate_names_get_the_symbolic_hints_too():
    """A claim written with names={"z": ...} is compared symbolically like one without."""
    W, x, b = dc.matrix("W", 2, 3), dc.vector("x", 3), dc.vector("b", 2)
    z = W @ x + b
    report = dc.check_gradient(dc.sigmoid(z), b, "diag(sigmoid(z))", names={"z": z})
    assert not report.ok
    assert any("missing factor (1 − σ(" in h for h in report.hints), report.hints
    assert dc.check_gradient(dc.sigmoid(z), b, "diag(sigmoid(z) * (1 - sigmoid(z)))",
                             names={"z": z}).ok
