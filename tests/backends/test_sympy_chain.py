"""The per-node route's chain: every step one operation over symbols, and the chain's
gᵀJ equal to SymPy's whole-node Jacobian."""

import numpy as np
import sympy as sp

import diffcheck as dc
from diffcheck.backends.sympy_chain import chain_jacobian, one_operation_steps
from diffcheck.ops import REGISTRY


def test_every_step_reads_only_symbols_and_numbers():
    x, y = sp.symbols("x y", real=True)
    row = [(x - (x + y) / 2) / sp.sqrt(((x - y) / 2) ** 2 + sp.Rational(1, 10**5)), sp.tanh(x * y) + x]
    steps, outputs = one_operation_steps(*sp.cse(row, symbols=sp.numbered_symbols("_t", real=True)))
    for e in [e for _, e in steps] + outputs:
        assert all(arg.is_Atom for arg in e.args), e
    values = {x: 0.3, y: -1.2}
    for t, e in steps:
        values[t] = float(e.subs(values))
    got = [float(e.subs(values)) for e in outputs]
    np.testing.assert_allclose(got, [float(r.subs({x: 0.3, y: -1.2})) for r in row], rtol=1e-14)


def test_a_layer_norm_row_by_the_chain_equals_sympys_jacobian_of_the_row():
    record, n = REGISTRY["layer_norm"], 5
    node = dc.nn.layer_norm(dc.vector("x", n))
    symbols = sp.symbols(f"x0:{n}", real=True)
    row = sp.Matrix(record.lower(np.array(symbols, dtype=object), **node.kwargs))
    jacobian = row.jacobian(symbols)
    at = np.random.default_rng(0).normal(size=n)
    g = np.random.default_rng(1).normal(size=n)
    exact = np.array(jacobian.subs(dict(zip(symbols, at))), dtype=float).T @ g
    chain = chain_jacobian(record, 0, [(n,)], node.kwargs)
    np.testing.assert_allclose(chain.project(g, [at]), exact, rtol=1e-12)
