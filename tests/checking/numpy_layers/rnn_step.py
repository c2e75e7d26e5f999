"""One step of an Elman RNN on [h, x] concatenated; the bug: no gradient for the bias."""

import numpy as np


def forward(W, h, x, b):
    return np.tanh(W @ np.concatenate([h, x]) + b)


def backward(g, W, h, x, b):
    hx = np.concatenate([h, x])
    d = g * (1 - np.tanh(W @ hx + b) ** 2)
    dhx = W.T @ d
    return {"W": np.outer(d, hx), "h": dhx[: len(h)], "x": dhx[len(h):], "b": d}


def backward_buggy(g, W, h, x, b):
    grads = backward(g, W, h, x, b)
    del grads["b"]  # forgotten
    return grads


def example(seed=0):
    rng = np.random.default_rng(seed)
    return {"W": rng.standard_normal((3, 5)), "h": rng.standard_normal(3),
            "x": rng.standard_normal(2), "b": rng.standard_normal(3)}
