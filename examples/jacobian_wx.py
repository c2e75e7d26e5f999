"""The Jacobian of ``y = Wx`` (``f: R³ → R⁴``): ``∂y_i/∂x_j = w_ij``, so ``dy/dx = W``.

The lecture counts from 1 (``∂y_2/∂x_3 = w_2,3``); diffcheck names elements from 0
(``∂y[1]/∂x[2] = W[1,2]``).

    python examples/jacobian_wx.py [--seed 0]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

import diffcheck as dc
from diffcheck.lecture.worked import wx


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The Jacobian of y = Wx.")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random W and x")
    args = parser.parse_args(argv)
    np.set_printoptions(precision=4, suppress=True)

    W, x, y = wx()
    rng = np.random.default_rng(args.seed)
    at = {"W": rng.normal(size=W.shape), "x": rng.normal(size=x.shape)}
    closed = dc.symbolic_jacobian(y, x)
    print("y = Wx, y (4×1), W (4×3), x (3×1)")
    print(f"y[1] = {dc.to_sympy(y)[1]}")
    print(f"∂y[1]/∂x[2] = {closed[1, 2]}   (the lecture's ∂y_2/∂x_3 = w_2,3)")
    print(f"In general ∂y[i]/∂x[j] = W[i,j]; SymPy's Jacobian:\n{closed}")
    J = dc.jacobian(y, x, at)
    print(f"\nJ = dy/dx at a random point (tape), shape {J.shape}:\n{J}\nW:\n{at['W']}")
    print(f"J = W: {np.allclose(J, at['W'])}")
    report = dc.check(y, x, at)
    print(f"\n{report.headline()} (max rel error {report.max_rel_error:.1e})")
    return 0 if report.ok and np.allclose(J, at["W"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
