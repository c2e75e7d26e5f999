"""A full Jacobian by batched VJPs against a hand-written NumPy construction, as a ratio.

∂y/∂W for y = σ(Wx + b) with W of shape (n, n): the tape pushes all n output rows
through one batched reverse pass; the baseline builds the (n, n, n) tensor directly
as diag(σ'(z)) ⊗ x.
"""

from __future__ import annotations

import sys

import _timing  # noqa: F401  (pins BLAS to one thread before NumPy loads)
import numpy as np
from _timing import paired_ratio, verdict

import diffcheck as dc


def numpy_jacobian(W, x, b):
    s = 1 / (1 + np.exp(-(W @ x + b)))
    n = W.shape[0]
    J = np.zeros((n, n, x.shape[0]))
    J[np.arange(n), np.arange(n), :] = (s * (1 - s))[:, None] * x
    return J


def main() -> None:
    for n in [int(a) for a in sys.argv[1:]] or [16, 64]:
        rng = np.random.default_rng(n)
        at = {"W": rng.standard_normal((n, n)), "x": rng.standard_normal(n),
              "b": rng.standard_normal(n)}
        W, x, b = dc.matrix("W", n, n), dc.vector("x", n), dc.vector("b", n)
        y = dc.sigmoid(W @ x + b)
        assert np.allclose(dc.jacobian(y, W, at), numpy_jacobian(at["W"], at["x"], at["b"]))
        ratio, c, base = paired_ratio(lambda y=y, W=W, at=at: dc.jacobian(y, W, at),
                                      lambda at=at: numpy_jacobian(at["W"], at["x"], at["b"]),
                                      inner=20)
        print(f"∂y/∂W of σ(Wx + b), n={n}: tape {c*1e6:.0f} us, NumPy {base*1e6:.0f} us, "
              f"ratio {ratio:.2f}" + (f" {verdict(ratio, 3)}" if n == 64 else ""))


if __name__ == "__main__":
    main()
