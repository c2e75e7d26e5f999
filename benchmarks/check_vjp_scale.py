"""dc.check_vjp on real sizes: the lecture's network and a tanh layer, against torch's gradcheck.

- the lecture's network at full size (N=64, D_in=1000, H=100, D_out=10): its loss as a
  function of w1, w2 (one output: the whole gradient is checked), and its output as a
  function of x, w1, w2 (640 outputs: three seeded cotangents); default methods;
- a tanh layer y = tanh(W x + b), W 16×17: default methods, without SymPy, and the
  ratio to ``torch.autograd.gradcheck`` on the same function when torch is installed.
"""

from __future__ import annotations

import time

import _timing  # noqa: F401  (pins BLAS to one thread before NumPy loads)
import numpy as np
from _peers import installed
from _timing import median_time, verdict

import diffcheck as dc

N, D_IN, H, D_OUT = 64, 1000, 100, 10


def lecture_loss():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((N, D_IN)), rng.standard_normal((N, D_OUT))
    at = {"w1": rng.standard_normal((D_IN, H)), "w2": rng.standard_normal((H, D_OUT))}

    def forward(w1, w2):
        return np.sum((np.maximum(x @ w1, 0) @ w2 - y) ** 2)

    def backward(g, w1, w2):
        h = x @ w1
        d = 2 * g * (np.maximum(h, 0) @ w2 - y)
        return {"w1": x.T @ ((d @ w2.T) * (h > 0)), "w2": np.maximum(h, 0).T @ d}

    return forward, backward, at


def lecture_output():
    rng = np.random.default_rng(0)
    at = {"x": rng.standard_normal((N, D_IN)), "w1": rng.standard_normal((D_IN, H)),
          "w2": rng.standard_normal((H, D_OUT))}

    def forward(x, w1, w2):
        return np.maximum(x @ w1, 0) @ w2

    def backward(g, x, w1, w2):
        h = x @ w1
        gh = (g @ w2.T) * (h > 0)
        return {"x": gh @ w1.T, "w1": x.T @ gh, "w2": np.maximum(h, 0).T @ g}

    return forward, backward, at


def tanh_layer():
    rng = np.random.default_rng(0)
    at = {"W": rng.standard_normal((16, 17)), "x": rng.standard_normal(17), "b": rng.standard_normal(16)}

    def forward(W, x, b):
        return np.tanh(W @ x + b)

    def backward(g, W, x, b):
        d = g * (1 - np.tanh(W @ x + b) ** 2)
        return {"W": np.outer(d, x), "x": W.T @ d, "b": d}

    return forward, backward, at


def once(problem, **opts) -> tuple[float, dc.Report]:
    start = time.perf_counter()
    report = dc.check_vjp(*problem, **opts)
    return time.perf_counter() - start, report


def torch_gradcheck(at) -> float | None:
    if not installed("torch"):
        return None
    import torch

    inputs = tuple(torch.tensor(at[n], dtype=torch.float64, requires_grad=True) for n in ("W", "x", "b"))
    return median_time(lambda: torch.autograd.gradcheck(lambda W, x, b: torch.tanh(W @ x + b), inputs),
                       repeats=5)


def main() -> None:
    for label, problem in (("loss(w1, w2), 1 output", lecture_loss()),
                           ("y(x, w1, w2), 640 outputs", lecture_output())):
        elapsed, report = once(problem)
        print(f"lecture network {label}, default methods: {elapsed:.1f} s {verdict(elapsed, 10)}, "
              f"ok={report.ok}, {report.compared} elements compared")
    layer = tanh_layer()
    first, _ = once(layer)
    fresh = median_time(lambda: dc.check_vjp(*layer), repeats=3)
    no_sympy = median_time(lambda: dc.check_vjp(*layer, methods=("tape", "numeric")), repeats=5)
    print(f"tanh layer 16×17, default methods: first call {first:.2f} s, median {fresh:.2f} s "
          f"(each call traces a new expression, so SymPy derives it again)")
    print(f"tanh layer 16×17, tape + numeric: {no_sympy * 1e3:.1f} ms")
    torch_time = torch_gradcheck(layer[2])
    if torch_time is None:
        print("torch is not installed: no ratio to torch.autograd.gradcheck")
        return
    for label, ours in (("default methods", fresh), ("tape + numeric", no_sympy)):
        ratio = ours / torch_time
        print(f"tanh layer 16×17, {label} / torch.autograd.gradcheck "
              f"({torch_time * 1e3:.1f} ms): {ratio:.2f}× {verdict(ratio, 2)}")


if __name__ == "__main__":
    main()
