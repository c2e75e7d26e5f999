"""Draw the tutorial's decision-boundary figures (needs matplotlib: ``pip install matplotlib``).

    python docs/_scripts/make_figures.py

Writes ``docs/_static/xor-boundary.png`` (the hand-set XOR network of chapter 1) and
``docs/_static/circle-boundary.png`` (the circle classifier of chapter 5, trained
exactly as the tutorial trains it). The PNGs are committed; the docs tests never
need matplotlib.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import diffcheck as dc  # noqa: E402
from diffcheck import nn, training  # noqa: E402

STATIC = Path(__file__).resolve().parents[1] / "_static"
STYLE = {"figsize": (4.2, 3.8), "dpi": 90}


def xor_figure() -> None:
    _, _, at = nn.xor_network()
    net = nn.xor_mlp()
    grid = np.linspace(-0.25, 1.25, 61)
    g1, g2 = np.meshgrid(grid, grid)
    points = np.column_stack([g1.ravel(), g2.ravel()])
    out = dc.evaluate(net(points), at).reshape(g1.shape)
    fig, ax = plt.subplots(**STYLE)
    filled = ax.contourf(g1, g2, out, levels=np.linspace(0, 1, 11), cmap="RdBu_r")
    ax.contour(g1, g2, out, levels=[0.5], colors="black", linewidths=1.5)
    X, y = nn.XOR_INPUTS, nn.XOR_TARGETS.ravel()
    ax.scatter(X[:, 0], X[:, 1], c=["white" if t == 0 else "black" for t in y],
               edgecolors="black", s=90, zorder=3)
    ax.set(xlabel="$x_1$", ylabel="$x_2$", title="XOR = AND(OR, NAND)")
    fig.colorbar(filled, ax=ax, label="network output")
    fig.tight_layout()
    fig.savefig(STATIC / "xor-boundary.png")
    plt.close(fig)


def circle_figure() -> None:
    X, y = training.circle_data(m=200, seed=0)
    trained = training.train_circle(X, y, lr=0.5, steps=500)
    (c1, c2), radius = training.circle_from(trained.at)
    fig, ax = plt.subplots(**STYLE)
    ax.scatter(X[:, 0], X[:, 1], c=np.where(y == 1, "#c0392b", "#2e86c1"), s=12)
    t = np.linspace(0, 2 * np.pi, 200)
    (t1, t2), true_r = training.CIRCLE_CENTRE, training.CIRCLE_RADIUS
    ax.plot(t1 + true_r * np.cos(t), t2 + true_r * np.sin(t), "k--", lw=1, label="true circle")
    ax.plot(c1 + radius * np.cos(t), c2 + radius * np.sin(t), "k-", lw=2, label="learned, z = 0")
    ax.plot(np.cos(t), np.sin(t), ":", color="grey", lw=1, label="start")
    ax.set(xlabel="$x_1$", ylabel="$x_2$", aspect="equal", title="Circle classifier")
    ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
    fig.tight_layout()
    fig.savefig(STATIC / "circle-boundary.png")
    plt.close(fig)


if __name__ == "__main__":
    xor_figure()
    circle_figure()
    for name in ("xor-boundary.png", "circle-boundary.png"):
        print(name, (STATIC / name).stat().st_size, "bytes")
