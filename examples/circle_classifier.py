"""Learning a non-linear decision boundary: the circle classifier.

``z = (x1 − w1)² + (x2 − w2)² − w0²``, ``ŷ = σ(z)``, binary cross-entropy loss. The
centre ``(w1, w2)`` and radius ``|w0|`` are learned by gradient descent,
``w_i ← w_i − α ∂E/∂w_i``, with ``∂E/∂w_i`` from the tape ("AutoGrad can calculate all
these derivatives for us"). The gradients are checked three ways, and the lecture's
"Gaining efficiency" loop (per-sample gradients accumulated, then divided by ``m``)
is shown to equal the vectorised batch gradient.

    python examples/circle_classifier.py [--m 200] [--steps 500] [--plot circle.png]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

import diffcheck as dc
from diffcheck.lecture import training

CHECKED = 12  # samples in the three-way check (SymPy's cost grows with every term)
WEIGHTS = ["w0", "w1", "w2"]


def save_plot(path: str, X: np.ndarray, y: np.ndarray, at: dict) -> None:
    """Data, the true circle and the learned one (needs matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"matplotlib is not installed (pip install 'diffcheck[plot]'); no plot written to {path}")
        return
    (c1, c2), r = training.circle_from(at)
    t = np.linspace(0, 2 * np.pi, 200)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=12)
    tc, tr = training.CIRCLE_CENTRE, training.CIRCLE_RADIUS
    ax.plot(tc[0] + tr * np.cos(t), tc[1] + tr * np.sin(t), "k--", label="true circle")
    ax.plot(c1 + r * np.cos(t), c2 + r * np.sin(t), "g-", label="learned: σ(z) = 0.5")
    ax.set(aspect="equal", xlabel="x1", ylabel="x2", title="circle classifier")
    ax.legend(loc="upper left")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    print(f"decision boundary written to {path}")


def check_gradients(X: np.ndarray, y: np.ndarray, points: list[dict]) -> bool:
    """Three-way check of the lecture's loss, and accumulated = batch gradients."""
    Xc, yc = X[:CHECKED], y[:CHECKED]
    loss = training.circle_loss(Xc, yc, from_logits=False)  # -y log σ(z) - (1-y) log(1 - σ(z))
    report = dc.check(loss, WEIGHTS, points, name="E")
    print(f"{report.headline()} (max rel error {report.max_rel_error:.1e}) on {CHECKED} samples")
    ok = report.ok
    per_sample, samples = training.circle_sample_loss(), training.circle_samples(Xc, yc)
    for p, point in enumerate(points):
        accumulated = training.accumulated_gradient(per_sample, WEIGHTS, point, samples)
        batch = dc.grad(training.circle_loss(Xc, yc), WEIGHTS, point)
        same = all(np.allclose(accumulated[w], batch[w], rtol=1e-12, atol=1e-14) for w in WEIGHTS)
        ok &= same
        print(f"  point {p}: Σ per-sample ∂E/∂w ÷ m = ("
              + ", ".join(f"{float(accumulated[w]):.6f}" for w in WEIGHTS)
              + ") = batch (" + ", ".join(f"{float(batch[w]):.6f}" for w in WEIGHTS) + f"): {same}")
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Learn a circle's centre and radius.")
    parser.add_argument("--m", type=int, default=200, help="number of training points")
    parser.add_argument("--steps", type=int, default=500, help="gradient descent steps")
    parser.add_argument("--lr", type=float, default=0.05, help="learning rate α")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data")
    parser.add_argument("--plot", metavar="PATH", help="save the decision boundary as PNG")
    parser.add_argument("--fast", action="store_true", help="300 steps (for tests)")
    args = parser.parse_args(argv)
    m, steps = args.m, (300 if args.fast else args.steps)

    X, y = training.circle_data(m=m, seed=args.seed)
    (tc1, tc2), tr = training.CIRCLE_CENTRE, training.CIRCLE_RADIUS
    print(f"{m} points in [-3, 3]², class 1 outside the circle centre ({tc1:g}, {tc2:g}), "
          f"radius {tr:g} ({int(y.sum())} outside, {m - int(y.sum())} inside)")
    print("z = (x1 - w1)² + (x2 - w2)² - w0², ŷ = σ(z), "
          "E = mean of -y log(ŷ) - (1 - y) log(1 - ŷ)")
    print(f"gradient descent w_i ← w_i - α ∂E/∂w_i, α = {args.lr:g}, from w0 = 1, w1 = w2 = 0:")

    def progress(step: int, loss: float) -> None:
        if step % max(1, steps // 5) == 0 or step == steps:
            print(f"  step {step:5d}  E {loss:.5f}")

    trained = training.train_circle(X, y, lr=args.lr, steps=steps, callback=progress)
    (c1, c2), r = training.circle_from(trained.at)
    z = dc.evaluate(training.circle_logit(X[:, 0], X[:, 1]), trained.at)
    accuracy = float(np.mean((z > 0) == (y > 0.5)))
    print(f"learned centre ({c1:.3f}, {c2:.3f}), radius {r:.3f}; training accuracy {accuracy:.1%}")
    print("\nchecking ∂E/∂w0, ∂E/∂w1, ∂E/∂w2 at the start and at the learned weights:")
    ok = check_gradients(X, y, [dict(training.CIRCLE_START), trained.at])
    if args.plot:
        save_plot(args.plot, X, y, trained.at)
    return 0 if ok and accuracy > 0.9 else 1


if __name__ == "__main__":
    raise SystemExit(main())
