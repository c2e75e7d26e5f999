"""Element-wise SymPy: ∂y/∂W of y = σ(Wx + b), derived and evaluated, against the plain route.

The plain route is what a SymPy user writes: a Matrix of symbols, ``sympy.diff`` of every
entry by every element of W, then one ``lambdify`` of the whole tensor. diffcheck's
route differentiates only where a symbol occurs (sparsity), renames symbols once
before ``lambdify`` (no per-entry re-substitution), compiles non-zero entries with
``cse``, and caches all of it on the expression.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import sympy as sp
from _timing import verdict

import diffcheck as dc
from diffcheck.backends import symbolic


def plain_route(n: int, values: dict) -> float:
    start = time.perf_counter()
    W = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"W[{i},{j}]", real=True))
    x = sp.Matrix(n, 1, lambda i, _: sp.Symbol(f"x[{i}]", real=True))
    b = sp.Matrix(n, 1, lambda i, _: sp.Symbol(f"b[{i}]", real=True))
    y = (W * x + b).applyfunc(lambda z: 1 / (1 + sp.exp(-z)))
    entries = [sp.diff(y[i], W[j, k]) for i in range(n) for j in range(n) for k in range(n)]
    args = list(W) + list(x) + list(b)
    f = sp.lambdify(args, entries, modules="numpy", cse=True)
    flat = np.concatenate([values["W"].ravel(), values["x"], values["b"]])
    np.array(f(*flat), dtype=float).reshape(n, n, n)
    return time.perf_counter() - start


def diffcheck_route(n: int, values: dict) -> float:
    start = time.perf_counter()
    W, x, b = dc.matrix("W", n, n), dc.vector("x", n), dc.vector("b", n)
    y = dc.sigmoid(W @ x + b)
    symbolic.jacobian(y, W, values)
    return time.perf_counter() - start


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [8, 16, 32]
    for n in sizes:
        rng = np.random.default_rng(n)
        values = {"W": rng.standard_normal((n, n)), "x": rng.standard_normal(n),
                  "b": rng.standard_normal(n)}
        ours = diffcheck_route(n, values)
        plain = plain_route(n, values)
        print(f"n={n:3d}: plain SymPy {plain:7.2f} s, diffcheck {ours:6.2f} s, speed-up {plain/ours:5.1f}x"
              + (f" {verdict(plain / ours, 5, below=False)}" if n == 32 else ""))


if __name__ == "__main__":
    main()
