"""Solving XOR with hidden units: the lecture's OR, NAND and AND gates, then learning.

The hand-set net ``XOR(x1, x2) = AND(OR(x1, x2), NAND(x1, x2))`` (``dc.nn.xor_network``)
is evaluated, its gradients are checked three ways, and the same ``2 → 2 → 1``
architecture then learns XOR from a random start by gradient descent on tape gradients.

    python examples/logic_gates_xor.py [--steps 1000] [--seed 1] [--plot xor.png]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

import diffcheck as dc
from diffcheck import nn
from diffcheck.lecture import training

INPUTS = [(0, 0), (0, 1), (1, 0), (1, 1)]


def signed(value: float) -> str:
    """`` + 20`` or `` - 20``: a term as the lecture writes it."""
    return f" {'-' if value < 0 else '+'} {abs(value):g}"


def print_gates() -> None:
    """Each gate on each input, as the lecture writes it: ``σ(20 * 0 + 20 * 0 - 10) = 0``."""
    for name, (w1, w2, b) in nn.GATES.items():
        print(f"{name}")
        for x1, x2 in INPUTS:
            value = float(dc.evaluate(nn.gate(name, float(x1), float(x2)), {}))
            print(f"  σ({w1:g} * {x1}{signed(w2)} * {x2}{signed(b)}) = {value:.5f} ≈ {round(value)}")


def print_truth_table(expr: dc.Expr, at: dict, title: str) -> np.ndarray:
    yhat = dc.evaluate(expr, at).ravel()
    print(f"{title}\n  x1 x2 | ŷ        | round")
    for (x1, x2), p in zip(INPUTS, yhat):
        print(f"  {x1}  {x2}  | {p:.6f} | {round(float(p))}")
    return yhat


def save_plot(path: str, at: dict) -> None:
    """The learned decision boundary ŷ = 0.5 over the unit square (needs matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"matplotlib is not installed (pip install 'diffcheck[plot]'); no plot written to {path}")
        return
    u = np.linspace(-0.5, 1.5, 101)
    g1, g2 = np.meshgrid(u, u)
    grid = np.column_stack([g1.ravel(), g2.ravel()])
    p = dc.evaluate(nn.xor_mlp()(grid), at).reshape(g1.shape)
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.contourf(g1, g2, p, levels=20, cmap="RdBu_r", alpha=0.7)
    ax.contour(g1, g2, p, levels=[0.5], colors="k")
    for (x1, x2), t in zip(INPUTS, nn.XOR_TARGETS.ravel()):
        ax.scatter(x1, x2, c="white" if t else "black", edgecolors="k", s=80)
    ax.set(xlabel="x1", ylabel="x2", title="XOR: learned decision boundary ŷ = 0.5")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    print(f"decision boundary written to {path}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="XOR from logic gates, then learned.")
    parser.add_argument("--steps", type=int, default=1000, help="gradient descent steps")
    parser.add_argument("--lr", type=float, default=5.0, help="learning rate")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random start")
    parser.add_argument("--plot", metavar="PATH", help="save the learned decision boundary as PNG")
    parser.add_argument("--fast", action="store_true", help="400 steps (for tests)")
    args = parser.parse_args(argv)
    steps = 400 if args.fast else args.steps

    print_gates()
    expr, X, at = nn.xor_network()
    print()
    hand = print_truth_table(expr, at, "XOR = AND(OR, NAND) with the lecture's weights:")
    E = nn.half_sse(expr, nn.XOR_TARGETS)
    report = dc.check(E, nn.xor_mlp().parameters(), at, name="E")
    print(f"\nE = ½Σ(ŷ − y)² = {float(dc.evaluate(E, at)):.3g}; {report.headline()} "
          f"(max rel error {report.max_rel_error:.1e})")

    print(f"\nLearning XOR from a random start (seed {args.seed}, lr {args.lr:g}, {steps} steps):")

    def progress(step: int, loss: float) -> None:
        if step % max(1, steps // 5) == 0 or step == steps:
            print(f"  step {step:5d}  BCE {loss:.5f}")

    trained = training.train_xor(args.seed, lr=args.lr, steps=steps, callback=progress)
    learned = print_truth_table(nn.xor_mlp()(X), trained.at, "learned net:")
    if args.plot:
        save_plot(args.plot, trained.at)
    targets = nn.XOR_TARGETS.ravel()
    ok = report.ok and np.array_equal(np.round(hand), targets) and np.array_equal(np.round(learned), targets)
    if not np.array_equal(np.round(learned), targets):
        print("the net did not learn XOR: try more --steps or another --seed (some end in a local minimum)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
