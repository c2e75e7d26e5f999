"""Derivatives with respect to a matrix: ``∂y/∂W`` for ``y = Wx`` is a 4×4×3 tensor.

Entry ``[i, k, j]`` is ``∂y_i/∂W_k,j`` (numerator layout; the lecture's ``t_i,j,k``
orders the axes differently). It is ``x_j`` when ``i = k`` and 0 otherwise: ``y_i``
only depends on row ``i`` of ``W``, and ``∂y_i/∂W_i,: = x``. So the non-trivial part
fits a compact 2-D matrix whose row ``i`` is ``∂y_i/∂W_i,:`` (every row is ``x``).

    python examples/tensor_dy_dw.py [--seed 0]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

import diffcheck as dc
from diffcheck.lecture.worked import tensor_compact, wx


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The tensor dy/dW of y = Wx and its compact form.")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random W and x")
    args = parser.parse_args(argv)
    np.set_printoptions(precision=4, suppress=True)

    W, x, y = wx()
    rng = np.random.default_rng(args.seed)
    at = {"W": rng.normal(size=W.shape), "x": rng.normal(size=x.shape)}
    closed = dc.symbolic_jacobian(y, W)
    print(f"y = Wx: ∂y/∂W has shape {closed.shape} (y: 4, W: 4×3)")
    print(f"∂y[1]/∂W[0,2] = {closed[1, 0, 2]}, ∂y[1]/∂W[1,2] = {closed[1, 1, 2]}  (zero unless i = k)")
    T = dc.jacobian(y, W, at) + 0.0  # + 0.0 prints -0.0 (a zero times a negative) as 0
    print(f"\nthe slice ∂y[1]/∂W (only row 1 is non-zero, and it is x):\n{T[1]}")
    print(f"x = {at['x']}")
    compact = tensor_compact(T)
    print(f"\ncompact 2-D form, row i = ∂y[i]/∂W[i,:]:\n{compact}")
    expected = np.einsum("ik,j->ikj", np.eye(4), at["x"])
    holds = np.allclose(T, expected) and np.allclose(compact, np.tile(at["x"], (4, 1)))
    print(f"T[i,k,j] = δ_ik x_j and every compact row equals x: {holds}")
    report = dc.check(y, W, at)
    print(f"\n{report.headline()} (max rel error {report.max_rel_error:.1e})")
    return 0 if report.ok and holds else 1


if __name__ == "__main__":
    raise SystemExit(main())
