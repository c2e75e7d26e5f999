"""Row vectors: ``y = xW`` with ``x (1×3)``, ``W (3×4)``, ``y (1×4)``.

"Work this out at home": the derivative is ``W`` again, in the denominator layout
(``∂y_j/∂x_i`` at row ``i``, column ``j``). In the numerator layout (row ``j`` holds
``∂y_j/∂x``, diffcheck's default) it is ``Wᵀ``: mind the layout.

    python examples/row_vector_xw.py [--seed 0]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

import diffcheck as dc
from diffcheck.lecture.worked import xw


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The derivative of y = xW for a row vector x.")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random x and W")
    args = parser.parse_args(argv)
    np.set_printoptions(precision=4, suppress=True)

    x, W, y = xw()
    rng = np.random.default_rng(args.seed)
    at = {"x": rng.normal(size=x.shape), "W": rng.normal(size=W.shape)}
    print("y = xW, y (1×4), x (1×3), W (3×4)")
    print(f"y[2] = {dc.to_sympy(y)[2]}, so ∂y[2]/∂x[1] = {dc.symbolic_jacobian(y, x)[2, 1]}")
    numerator = dc.jacobian(y, x, at)
    denominator = dc.jacobian(y, x, at, layout="denominator")
    print(f"\nnumerator layout, shape {numerator.shape} (row j is ∂y[j]/∂x):\n{numerator}")
    print(f"denominator layout, shape {denominator.shape} (row i is ∂y/∂x[i]):\n{denominator}")
    print(f"W:\n{at['W']}")
    same = np.allclose(denominator, at["W"]) and np.allclose(numerator, at["W"].T)
    print(f"dy/dx = W (denominator layout) = Wᵀ (numerator layout): {same}")
    report = dc.check(y, x, at)
    print(f"\n{report.headline()} (max rel error {report.max_rel_error:.1e})")
    return 0 if report.ok and same else 1


if __name__ == "__main__":
    raise SystemExit(main())
