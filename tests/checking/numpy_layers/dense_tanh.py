"""Dense layer with tanh, y = tanh(W x + b); the bug: a missing transpose in ∂/∂x."""

import numpy as np


def forward(W, x, b):
    return np.tanh(W @ x + b)


def backward(g, W, x, b):
    d = g * (1 - np.tanh(W @ x + b) ** 2)
    return {"W": np.outer(d, x), "x": W.T @ d, "b": d}


def backward_buggy(g, W, x, b):
    d = g * (1 - np.tanh(W @ x + b) ** 2)
    return {"W": np.outer(d, x), "x": W @ d, "b": d}  # W is square, so the shapes still fit


def example(seed=0):
    rng = np.random.default_rng(seed)
    return {"W": rng.standard_normal((4, 4)), "x": rng.standard_normal(4), "b": rng.standard_normal(4)}
