"""Tape gradient through ``nn.layer_norm`` against hand-written NumPy forward + backward.

The case: a batch of 64 rows of 256 features, normalised over the features, with the
affine part written out (``layer_norm(x) * gamma + beta``) and a squared error against
a target; the gradient with respect to ``x``, ``gamma`` and ``beta``. Prints the median
ratio of interleaved rounds (target ≤ 1.3×).
"""

from __future__ import annotations

import _timing  # noqa: F401  (pins BLAS to one thread before NumPy loads)
import numpy as np
from _timing import paired_ratio, verdict

import diffcheck as dc

EPS = 1e-5


def layer_norm_problem(seed: int = 0, batch: int = 64, features: int = 256):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, features)) * 3.0 + 1.0
    y = rng.standard_normal((batch, features))
    gamma, beta = rng.standard_normal(features), rng.standard_normal(features)
    X, G, B = dc.matrix("x", batch, features), dc.vector("gamma", features), dc.vector("beta", features)
    loss = dc.sum((dc.nn.layer_norm(X, axis=-1, eps=EPS) * G + B - y) ** 2)
    return loss, (X, G, B), {"x": x, "gamma": gamma, "beta": beta}, y


def numpy_layer_norm(x, gamma, beta, y, eps=EPS):
    """Forward and backward by hand: ∂L/∂x, ∂L/∂gamma, ∂L/∂beta."""
    mu = x.mean(axis=-1, keepdims=True)
    d = x - mu
    inv_sigma = 1.0 / np.sqrt((d * d).mean(axis=-1, keepdims=True) + eps)
    xhat = d * inv_sigma
    g_out = 2.0 * (xhat * gamma + beta - y)
    g_gamma = (g_out * xhat).sum(axis=0)
    g_beta = g_out.sum(axis=0)
    g_xhat = g_out * gamma
    g_x = inv_sigma * (g_xhat - g_xhat.mean(axis=-1, keepdims=True)
                       - xhat * (g_xhat * xhat).mean(axis=-1, keepdims=True))
    return g_x, g_gamma, g_beta


def main() -> None:
    loss, wrt, at, y = layer_norm_problem()
    w = list(wrt)
    baseline = lambda: numpy_layer_norm(at["x"], at["gamma"], at["beta"], y)  # noqa: E731
    ours = dc.grad(loss, w, at)
    for theirs, var in zip(baseline(), wrt, strict=True):
        np.testing.assert_allclose(ours[var.name], theirs, rtol=1e-9, atol=1e-12)
    ratio, c, b = paired_ratio(lambda: dc.grad(loss, w, at), baseline, rounds=15, repeats=7, inner=5)
    print(f"layer_norm 64x256 (+ gamma, beta, squared error): tape {c*1e6:.0f} us, "
          f"NumPy {b*1e6:.0f} us, ratio {ratio:.3f} {verdict(ratio, 1.3)}")


if __name__ == "__main__":
    main()
