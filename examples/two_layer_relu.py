"""The lecture's "PyTorch made easy" network, with diffcheck's tape as the autograd.

``y_pred = relu(x @ w1) @ w2``, ``loss = Σ (y_pred − y)²`` with N=64, D_in=1000, H=100,
D_out=10, learning rate 1e-6, 500 steps of ``w ← w − lr · ∂loss/∂w``. The gradients
are verified three ways (SymPy, tape, numeric) at a reduced size — SymPy works element
by element — and, at full size, the tape against central differences on a seeded
sample of elements. The tape's time per step is compared with hand-written NumPy
backpropagation of the same network.

    python examples/two_layer_relu.py [--steps 500] [--check-size 4 10 5 3] [--samples 20]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import numpy as np

import diffcheck as dc
from diffcheck.lecture import training


def numpy_step(x, y, w1, w2, lr):
    """One step of hand-written backprop (the lecture's NumPy version), for timing."""
    h = x @ w1
    h_relu = np.maximum(h, 0.0)
    grad_y_pred = 2.0 * (h_relu @ w2 - y)
    grad_w2 = h_relu.T @ grad_y_pred
    grad_h = (grad_y_pred @ w2.T) * (h > 0)
    return w1 - lr * (x.T @ grad_h), w2 - lr * grad_w2


def train(net: training.TwoLayerReLU, steps: int, lr: float) -> tuple[training.Trained, float]:
    every = max(1, steps // 5)

    def progress(step: int, loss: float) -> None:
        if step % every == 0 or step == steps:
            print(f"  step {step:4d}  loss {loss:.6g}")

    start = time.perf_counter()
    trained = training.gradient_descent(net.loss, net.at, lr=lr, steps=steps, callback=progress)
    return trained, time.perf_counter() - start


def time_per_step(net: training.TwoLayerReLU, lr: float, repeats: int) -> tuple[float, float, bool]:
    """Seconds per gradient step: tape (``dc.grad``) and hand-written NumPy; same result?"""
    at = dict(net.at)
    start = time.perf_counter()
    for _ in range(repeats):
        g = dc.grad(net.loss, [net.w1, net.w2], at)
        at = {"w1": at["w1"] - lr * g["w1"], "w2": at["w2"] - lr * g["w2"]}
    tape = (time.perf_counter() - start) / repeats
    w1, w2 = net.at["w1"], net.at["w2"]
    start = time.perf_counter()
    for _ in range(repeats):
        w1, w2 = numpy_step(net.x, net.y, w1, w2, lr)
    numpy = (time.perf_counter() - start) / repeats
    same = np.allclose(w1, at["w1"], rtol=1e-10) and np.allclose(w2, at["w2"], rtol=1e-10)
    return tape, numpy, same


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The lecture's two-layer ReLU network.")
    parser.add_argument("--steps", type=int, default=500, help="gradient descent steps (500)")
    parser.add_argument("--lr", type=float, default=1e-6, help="learning rate (1e-6)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and weights")
    parser.add_argument("--size", type=int, nargs=4, default=list(training.LECTURE_SIZES),
                        metavar=("N", "D_in", "H", "D_out"), help="full size (64 1000 100 10)")
    parser.add_argument("--check-size", type=int, nargs=4, default=[4, 10, 5, 3],
                        metavar=("N", "D_in", "H", "D_out"), help="size of the three-way check")
    parser.add_argument("--samples", type=int, default=20,
                        help="sampled elements of each weight matrix at full size")
    parser.add_argument("--fast", action="store_true",
                        help="20 steps, three-way check at 2×4→3→2, 5 samples (for tests)")
    args = parser.parse_args(argv)
    if args.fast:
        args.steps, args.check_size, args.samples = 20, [2, 4, 3, 2], 5
    N, D_in, H, D_out = args.size  # noqa: N806 - the lecture's names

    net = training.two_layer_relu(N, D_in, H, D_out, seed=args.seed)
    print(f"N, D_in, H, D_out = {N}, {D_in}, {H}, {D_out}; y_pred = relu(x @ w1) @ w2; "
          "loss = sum((y_pred - y)**2)")
    print(f"gradient descent with tape gradients, lr {args.lr:g}, {args.steps} steps:")
    trained, seconds = train(net, args.steps, args.lr)
    falling = trained.losses[-1] < trained.losses[0]
    print(f"loss {trained.losses[0]:.6g} → {trained.losses[-1]:.6g} "
          f"({'falling' if falling else 'NOT falling'}); {seconds:.2f} s in all")

    tape, numpy, same = time_per_step(net, args.lr, repeats=5 if args.fast else 20)
    print(f"time per step: tape {tape * 1e3:.1f} ms, hand-written NumPy {numpy * 1e3:.1f} ms "
          f"(ratio {tape / numpy:.1f}); same weights after the steps: {same}")

    small = training.two_layer_relu(*args.check_size, seed=args.seed)
    n, d_in, h, d_out = args.check_size
    start = time.perf_counter()
    report = dc.check(small.loss, [small.w1, small.w2], seed=args.seed, name="loss")
    print(f"\nthree-way check at the reduced size {n}×{d_in}→{h}→{d_out}: {report.headline()} "
          f"(max rel error {report.max_rel_error:.1e}, {time.perf_counter() - start:.1f} s)")

    start = time.perf_counter()
    full = dc.check(net.loss, [net.w1, net.w2], net.at, name="loss")
    print(f"three-way check at full size {N}×{D_in}→{H}→{D_out}: {full.headline()} "
          f"(max rel error {full.max_rel_error:.1e}, {time.perf_counter() - start:.1f} s)")
    for note in full.notes:
        print(f"  - {note}")

    start = time.perf_counter()
    sampled = training.sampled_check(net.loss, [net.w1, net.w2], net.at, per_variable=args.samples,
                                     seed=args.seed)
    print(f"full size {N}×{D_in}→{H}→{D_out}: tape vs central differences on {len(sampled.entries)} "
          f"seeded elements of ∂loss/∂w1 and ∂loss/∂w2: "
          f"{'OK' if sampled.ok else 'FAILED'} (max rel error {sampled.max_rel_error:.1e}, "
          f"{time.perf_counter() - start:.1f} s)")
    if not sampled.ok:
        print(sampled)
    return 0 if falling and same and report.ok and full.ok and sampled.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
