"""Tape gradients against hand-written NumPy backprop (the baseline), as ratios.

Cases: the lecture's two-layer ReLU network (N=64, D_in=1000, H=100, D_out=10, the
gradient of the squared-error loss with respect to w1 and w2), and the XOR net (2-2-1,
batch 4). Peers (PyTorch, JAX, HIPS autograd) are timed too when installed.
"""

from __future__ import annotations

import _peers
import _timing  # noqa: F401  (pins BLAS to one thread before NumPy loads)
import numpy as np
from _timing import paired_ratio, verdict

import diffcheck as dc


def lecture_problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    N, D_in, H, D_out = 64, 1000, 100, 10
    x, y = rng.standard_normal((N, D_in)), rng.standard_normal((N, D_out))
    w1, w2 = rng.standard_normal((D_in, H)), rng.standard_normal((H, D_out))
    W1, W2 = dc.matrix("w1", D_in, H), dc.matrix("w2", H, D_out)
    loss = dc.sum((dc.relu(x @ W1) @ W2 - y) ** 2)
    return loss, (W1, W2), {"w1": w1, "w2": w2}, (x, y)


def numpy_lecture(x, y, w1, w2):
    h = x @ w1
    h_relu = np.maximum(h, 0)
    y_pred = h_relu @ w2
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h_relu.T @ grad_y_pred
    grad_h = (grad_y_pred @ w2.T) * (h > 0)
    grad_w1 = x.T @ grad_h
    return grad_w1, grad_w2


def xor_problem():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    t = np.array([0.0, 1.0, 1.0, 0.0])
    W1, b1 = dc.matrix("W1", 2, 2), dc.vector("b1", 2)
    W2, b2 = dc.vector("W2", 2), dc.scalar("b2")
    out = dc.sigmoid(dc.sigmoid(X @ W1 + b1) @ W2 + b2)
    loss = 0.5 * dc.sum((out - t) ** 2)
    rng = np.random.default_rng(1)
    at = {"W1": rng.standard_normal((2, 2)), "b1": rng.standard_normal(2),
          "W2": rng.standard_normal(2), "b2": np.array(rng.standard_normal())}
    return loss, (W1, b1, W2, b2), at, (X, t)


def numpy_xor(X, t, W1, b1, W2, b2):
    h = 1 / (1 + np.exp(-(X @ W1 + b1)))
    o = 1 / (1 + np.exp(-(h @ W2 + b2)))
    g_o = (o - t) * o * (1 - o)
    g_h = np.outer(g_o, W2) * h * (1 - h)
    return X.T @ g_h, g_h.sum(0), h.T @ g_o, g_o.sum()


def main() -> None:
    loss, wrt, at, (x, y) = lecture_problem()
    w = list(wrt)
    baseline = lambda: numpy_lecture(x, y, at["w1"], at["w2"])  # noqa: E731
    ratio, c, b = paired_ratio(lambda: dc.grad(loss, w, at), baseline, rounds=15, repeats=7)
    print(f"lecture net 64x1000->100->10: tape {c*1e3:.2f} ms, NumPy {b*1e3:.2f} ms, ratio {ratio:.3f} "
          f"{verdict(ratio, 1.05)}")
    for peer in _peers.PEERS:
        run = _peers.lecture(peer, x, y, at["w1"], at["w2"])
        if run is not None:
            _agrees(run(), baseline())
            ratio, c, b = paired_ratio(run, baseline, rounds=15, repeats=7)
            print(f"  {peer:<9} {c*1e3:.2f} ms, ratio {ratio:.3f}")

    loss, wrt, at, (X, t) = xor_problem()
    w = list(wrt)
    baseline = lambda: numpy_xor(X, t, *at.values())  # noqa: E731
    ratio, c, b = paired_ratio(lambda: dc.grad(loss, w, at), baseline, rounds=15, repeats=7, inner=200)
    print(f"XOR net 2-2-1, batch 4:       tape {c*1e6:.1f} us, NumPy {b*1e6:.1f} us, ratio {ratio:.3f} "
          f"{verdict(ratio, 1.5)}")
    for peer in _peers.PEERS:
        run = _peers.xor(peer, X, t, *at.values())
        if run is not None:
            _agrees(run(), baseline())
            ratio, c, b = paired_ratio(run, baseline, rounds=15, repeats=7, inner=50)
            print(f"  {peer:<9} {c*1e6:.1f} us, ratio {ratio:.3f}")
    missing = [p for p in _peers.PEERS if not _peers.installed(p)]
    if missing:
        print(f"peers not installed, skipped: {', '.join(missing)}")


def _agrees(theirs, ours) -> None:
    """A peer row is only printed when the peer computes the same gradients."""
    for a, b in zip(theirs, ours, strict=True):
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-9, atol=1e-12)


if __name__ == "__main__":
    main()
