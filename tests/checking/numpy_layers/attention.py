"""Batched scaled dot-product attention; the bug: a missing transpose in ∂/∂K."""

import numpy as np


def _weights(Q, K):
    s = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def forward(Q, K, V):
    return _weights(Q, K) @ V


def _scores_grad(g, Q, K, V):
    A = _weights(Q, K)
    dA = g @ np.swapaxes(V, -1, -2)
    dS = A * (dA - (dA * A).sum(axis=-1, keepdims=True)) / np.sqrt(Q.shape[-1])
    return A, dS


def backward(g, Q, K, V):
    A, dS = _scores_grad(g, Q, K, V)
    return {"Q": dS @ K, "K": np.swapaxes(dS, -1, -2) @ Q, "V": np.swapaxes(A, -1, -2) @ g}


def backward_buggy(g, Q, K, V):
    A, dS = _scores_grad(g, Q, K, V)
    return {"Q": dS @ K, "K": dS @ Q, "V": np.swapaxes(A, -1, -2) @ g}  # dSᵀ, not dS


def example(seed=0):
    rng = np.random.default_rng(seed)
    return {n: rng.standard_normal((2, 3, 2)) for n in ("Q", "K", "V")}
