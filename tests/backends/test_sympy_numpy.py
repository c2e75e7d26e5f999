"""SymPy expressions evaluated by NumPy closures agree with lambdify, and anything the
walker does not know goes to lambdify whole."""

import numpy as np
import pytest
import sympy as sp

from diffcheck.backends.sympy_numpy import numpy_function

a, b, c = sp.symbols("a b c", real=True)
EXPRESSIONS = [
    a + b + c, a * b * c, -a, a / b, a**2, a**-3, sp.sqrt(a**2 + b**2), 1 / sp.sqrt(a**2 + 1),
    sp.exp(-a**2 / 2), (a**2 + 1) ** sp.Rational(1, 3),
    sp.tanh(a) * (1 - sp.tanh(a) ** 2), sp.log(1 + sp.exp(a)), sp.atan2(a, b), sp.Abs(a) * sp.sign(b),
    sp.sin(a) * sp.cos(b) + sp.tan(c / 4), sp.asinh(a) + sp.atan(b), sp.Rational(1, 3) * a + sp.Float(0.1),
    sp.exp(b * sp.log(a**2 + 1)), (a**2 + 1) ** (b / 3), sp.Integer(7),
]


@pytest.mark.parametrize("expr", EXPRESSIONS, ids=str)
def test_closures_agree_with_lambdify(expr):
    rng = np.random.default_rng(0)
    values = rng.normal(size=(3, 50))
    expected = np.broadcast_to(sp.lambdify([a, b, c], expr, "numpy")(*values), (50,))
    got = np.broadcast_to(numpy_function([a, b, c], expr)(*values), (50,))
    np.testing.assert_allclose(got, expected, rtol=1e-14, atol=1e-300)


def test_a_node_without_a_ufunc_falls_back_to_lambdify():
    expr = sp.Piecewise((a, a > 0), (b**2, True)) + sp.floor(c)
    f = numpy_function([a, b, c], expr)
    x = np.array([-1.0, 2.0]), np.array([3.0, 3.0]), np.array([0.5, -0.5])
    np.testing.assert_allclose(f(*x), [9.0, 1.0], rtol=1e-14)

