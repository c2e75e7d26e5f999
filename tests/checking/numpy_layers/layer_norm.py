"""Layer norm over the last axis with gain and bias; the bug: sums where means belong (1/N)."""

import numpy as np

EPS = 1e-5


def forward(x, gamma, beta):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + EPS) * gamma + beta


def _parts(g, x, gamma):
    mu = x.mean(axis=-1, keepdims=True)
    sigma = np.sqrt(((x - mu) ** 2).mean(axis=-1, keepdims=True) + EPS)
    xhat = (x - mu) / sigma
    return xhat, sigma, g * gamma


def backward(g, x, gamma, beta):
    xhat, sigma, dxhat = _parts(g, x, gamma)
    dx = (dxhat - dxhat.mean(axis=-1, keepdims=True)
          - xhat * (dxhat * xhat).mean(axis=-1, keepdims=True)) / sigma
    return {"x": dx, "gamma": (g * xhat).sum(axis=0), "beta": g.sum(axis=0)}


def backward_buggy(g, x, gamma, beta):
    xhat, sigma, dxhat = _parts(g, x, gamma)
    dx = (dxhat - dxhat.sum(axis=-1, keepdims=True)
          - xhat * (dxhat * xhat).sum(axis=-1, keepdims=True)) / sigma  # forgot the 1/N
    return {"x": dx, "gamma": (g * xhat).sum(axis=0), "beta": g.sum(axis=0)}


def example(seed=0):
    rng = np.random.default_rng(seed)
    return {"x": rng.standard_normal((2, 5)), "gamma": rng.standard_normal(5),
            "beta": rng.standard_normal(5)}
