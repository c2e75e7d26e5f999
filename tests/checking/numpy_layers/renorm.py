"""A linear map of x rescaled to norm at most 1: Python control flow on values (black box).

The bug: the rescaling is treated as a constant factor in the backward.
"""

import numpy as np


def forward(W, x):
    norm = np.sqrt(np.sum(x ** 2))
    if norm > 1.0:
        x = x / norm
    return W @ x


def backward(g, W, x):
    norm = np.sqrt(np.sum(x ** 2))
    u = x / norm if norm > 1.0 else x
    gu = W.T @ g
    gx = (gu - u * (u @ gu)) / norm if norm > 1.0 else gu
    return {"W": np.outer(g, u), "x": gx}


def backward_buggy(g, W, x):
    norm = np.sqrt(np.sum(x ** 2))
    u = x / norm if norm > 1.0 else x
    gx = W.T @ g / norm if norm > 1.0 else W.T @ g  # the norm's own derivative is dropped
    return {"W": np.outer(g, u), "x": gx}


def example(seed=0):
    rng = np.random.default_rng(seed)
    return {"W": rng.standard_normal((2, 3)), "x": 2.0 * rng.standard_normal(3)}
