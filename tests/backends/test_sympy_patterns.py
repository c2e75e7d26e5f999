"""Pattern keys group steps that are one function of their reads, and never two that
are not; grouped evaluation gives each step's own value."""

import numpy as np
import sympy as sp

from diffcheck.backends.sympy_patterns import PatternProgram, pattern_key

a, b, c, d = sp.symbols("a b c d", real=True)


def test_the_same_operation_over_other_symbols_has_one_key():
    assert pattern_key(a * b, [a, b]) == pattern_key(c * d, [c, d])
    assert pattern_key(a + b + c, [c, a, b]) == pattern_key(b + c + d, [d, b, c])  # a multiset
    assert pattern_key(a**2, [a]) == pattern_key(d**2, [d])


def test_different_functions_never_share_a_key():
    assert pattern_key(a + 1, [a]) != pattern_key(a + b, [a, b])  # a number is not a read
    assert pattern_key(a**b, [a, b]) != pattern_key(b**a, [a, b])  # order matters in a power
    assert pattern_key(a - b, [a, b]) != pattern_key(b - a, [a, b])
    assert pattern_key(2 * a, [a]) != pattern_key(3 * a, [a])
    assert pattern_key(sp.exp(a), [a]) != pattern_key(sp.log(a), [a])
    nested = sp.Piecewise((a, a > 0), (b, True))
    assert pattern_key(nested, [a, b]) != pattern_key(sp.Piecewise((b, b > 0), (a, True)), [a, b])


def test_grouped_steps_each_get_their_own_value():
    t1, t2, t3, t4 = sp.symbols("t1:5", real=True)
    steps = [(t1, a * b), (t2, c * d), (t3, t1 + t2 + a), (t4, b + t2 + t1)]
    program = PatternProgram([a, b, c, d], steps, [t3 - t4, t1**2])
    x = np.array([0.5, -2.0, 3.0, 0.25])
    got = program(x)
    t1v, t2v = x[0] * x[1], x[2] * x[3]
    np.testing.assert_allclose(got, [(t1v + t2v + x[0]) - (x[1] + t2v + t1v), t1v**2])
    columns = program(np.stack([x, 2 * x], axis=1))  # several instances at once
    np.testing.assert_allclose(columns[:, 0], got)
