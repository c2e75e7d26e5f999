"""A 2-layer ReLU MLP block with a residual connection; the bug: the residual route dropped."""

import numpy as np


def forward(X, W1, b1, W2):
    return X + np.maximum(X @ W1 + b1, 0) @ W2


def backward(g, X, W1, b1, W2):
    pre = X @ W1 + b1
    h = np.maximum(pre, 0)
    dpre = (g @ W2.T) * (pre > 0)
    return {"X": g + dpre @ W1.T, "W1": X.T @ dpre, "b1": dpre.sum(axis=0), "W2": h.T @ g}


def backward_buggy(g, X, W1, b1, W2):
    grads = backward(g, X, W1, b1, W2)
    pre = X @ W1 + b1
    grads["X"] = ((g @ W2.T) * (pre > 0)) @ W1.T  # only through the MLP: the + g is missing
    return grads


def example(seed=0):
    rng = np.random.default_rng(seed)
    return {"X": rng.standard_normal((4, 3)), "W1": rng.standard_normal((3, 5)),
            "b1": rng.standard_normal(5), "W2": rng.standard_normal((5, 3))}
