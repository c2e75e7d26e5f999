"""Second order by the tape at the lecture net, against its own gradient (the baseline).

Cases: the Hessian-vector product over both weights, ``H·(v1, v2)`` (one reverse sweep
at the complex point ``w + i·h·v``), as a ratio to the gradient ∂L/∂(w1, w2) in the same
process (medians of interleaved rounds); and the full Hessian ∂²L/∂w2² (1,000 × 1,000
entries, one complex-stepped sweep per column), timed once, with its error against the
closed form ``2 (RᵀR) ⊗ I`` (R = relu(x w1)).
"""

from __future__ import annotations

import time

import _timing  # noqa: F401  (pins BLAS to one thread before NumPy loads)
import numpy as np
from _timing import paired_ratio, verdict

import diffcheck as dc
from diffcheck.lecture.training import two_layer_relu


def lecture_problem(seed: int = 0):
    net = two_layer_relu(seed=seed)
    rng = np.random.default_rng(seed + 1)
    v = {name: rng.standard_normal(value.shape) for name, value in net.at.items()}
    return net, v


def exact_w2_hessian(net) -> np.ndarray:
    """``∂²/∂w2² Σ (R w2 − y)²`` = ``2 (RᵀR)_{ij} δ_ab``, entry ``[i, a, j, b]``."""
    r = np.maximum(net.x @ net.at["w1"], 0.0)
    return 2.0 * np.einsum("ij,ab->iajb", r.T @ r, np.eye(net.w2.shape[1]))


def main() -> None:
    net, v = lecture_problem()
    wrt = [net.w1, net.w2]
    ratio, c, b = paired_ratio(lambda: dc.hvp(net.loss, wrt, v, net.at),
                               lambda: dc.grad(net.loss, wrt, net.at), rounds=9, repeats=7)
    print(f"hvp over (w1, w2), lecture net 64x1000->100->10: hvp {c*1e3:.2f} ms, gradient "
          f"{b*1e3:.2f} ms, ratio {ratio:.2f} {verdict(ratio, 4.0)}")
    start = time.perf_counter()
    hessian = dc.hessian(net.loss, net.w2, net.at)
    seconds = time.perf_counter() - start
    exact = exact_w2_hessian(net)
    error = float(np.max(np.abs(hessian - exact)) / np.max(np.abs(exact)))
    print(f"dc.hessian by the tape, d2L/dw2^2 ({hessian.size:,} entries): {seconds:.2f} s "
          f"{verdict(seconds, 10.0)}; max relative error vs the closed form {error:.1e}")


if __name__ == "__main__":
    main()
