"""Multiple data points: ``Y = XW`` with the samples as the rows of ``X (m×3)``.

Row ``i`` of ``Y`` only depends on row ``i`` of ``X``: ``∂Y_i,:/∂X_i,: = W`` (the
row-vector result, denominator layout; ``Wᵀ`` in numerator layout) and
``∂Y_i,:/∂X_j,: = 0`` for ``i ≠ j`` — the "work this out at home" answer.

    python examples/batch_xw.py [--m 5] [--seed 0]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

import diffcheck as dc
from diffcheck.lecture.worked import batch_xw


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Derivatives of Y = XW for a batch of rows.")
    parser.add_argument("--m", type=int, default=5, help="number of samples (rows of X)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random X and W")
    args = parser.parse_args(argv)
    np.set_printoptions(precision=4, suppress=True)

    X, W, Y = batch_xw(m=args.m)
    rng = np.random.default_rng(args.seed)
    at = {"X": rng.normal(size=X.shape), "W": rng.normal(size=W.shape)}
    J = dc.jacobian(Y, X, at) + 0.0  # [i, a, j, b] = ∂Y[i,a]/∂X[j,b]
    print(f"Y = XW, Y ({args.m}×4), X ({args.m}×3), W (3×4); ∂Y/∂X has shape {J.shape}")
    print(f"∂Y[0,:]/∂X[0,:] (numerator layout, 4×3):\n{J[0, :, 0, :]}\nWᵀ:\n{at['W'].T}")
    other = 1 if args.m > 1 else 0
    print(f"∂Y[0,:]/∂X[{other},:]:\n{J[0, :, other, :]}")
    blocks_ok = all(
        np.allclose(J[i, :, j, :], at["W"].T if i == j else 0.0)
        for i in range(args.m)
        for j in range(args.m)
    )
    print(f"∂Y[i,:]/∂X[j,:] = Wᵀ if i = j else 0, for every i, j: {blocks_ok}")
    report = dc.check(Y, [X, W], at, name="Y")
    print(f"\n{report.headline()} (max rel error {report.max_rel_error:.1e})")
    return 0 if report.ok and blocks_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
