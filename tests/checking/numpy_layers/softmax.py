"""Softmax of a vector; the bug: only the diagonal of the softmax Jacobian."""

import numpy as np


def forward(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


def backward(g, z):
    p = forward(z)
    return {"z": p * (g - np.dot(g, p))}  # (diag(p) - p pᵀ) g


def backward_buggy(g, z):
    p = forward(z)
    return {"z": g * p * (1 - p)}  # diag(p(1 - p)) g: the - p_i p_j terms are dropped


def example(seed=0):
    return {"z": np.random.default_rng(seed).standard_normal(5)}
