"""The same two gradients in PyTorch, JAX and HIPS autograd, when they are installed.

Each builder returns a zero-argument callable computing the gradients with respect to
the weights (the loss value is computed too, as each library's forward pass does), or
None when the library is missing. Every peer runs in float64 on one CPU thread, like
the tape and the NumPy baseline.
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from collections.abc import Callable

# One thread for XLA too; set before JAX is imported.
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

PEERS = ("torch", "jax", "autograd")


def installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def lecture(peer: str, x, y, w1, w2) -> Callable[[], object] | None:
    """∂L/∂w1, ∂L/∂w2 of L = sum((relu(x w1) w2 - y)²)."""
    if not installed(peer):
        return None
    if peer == "torch":
        torch = _torch()
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        tw = [torch.from_numpy(w.copy()).requires_grad_() for w in (w1, w2)]

        def run():
            for w in tw:
                w.grad = None
            ((tx @ tw[0]).clamp(min=0) @ tw[1] - ty).pow(2).sum().backward()
            return tw[0].grad, tw[1].grad

        return run
    if peer == "jax":
        jax, jnp = _jax()
        grad = jax.jit(jax.grad(lambda a, b: jnp.sum((jnp.maximum(x @ a, 0) @ b - y) ** 2), (0, 1)))
        ja, jb = jnp.asarray(w1), jnp.asarray(w2)
        return lambda: jax.block_until_ready(grad(ja, jb))
    autograd, anp = _autograd()
    grad = autograd.grad(lambda w: anp.sum((anp.maximum(anp.dot(x, w[0]), 0) @ w[1] - y) ** 2))
    return lambda: grad((w1, w2))


def xor(peer: str, X, t, W1, b1, W2, b2) -> Callable[[], object] | None:
    """The gradients of 0.5 * sum((σ(σ(X W1 + b1) W2 + b2) - t)²) for all four parameters."""
    if not installed(peer):
        return None
    if peer == "torch":
        torch = _torch()
        tX, tt = torch.from_numpy(X), torch.from_numpy(t)
        ps = [torch.from_numpy(p.copy()).requires_grad_() for p in (W1, b1, W2, b2)]

        def run():
            for p in ps:
                p.grad = None
            h = torch.sigmoid(tX @ ps[0] + ps[1])
            (0.5 * (torch.sigmoid(h @ ps[2] + ps[3]) - tt).pow(2).sum()).backward()
            return [p.grad for p in ps]

        return run
    if peer == "jax":
        jax, jnp = _jax()

        def loss(a, b, c, d):
            return 0.5 * jnp.sum((jax.nn.sigmoid(jax.nn.sigmoid(X @ a + b) @ c + d) - t) ** 2)

        grad = jax.jit(jax.grad(loss, (0, 1, 2, 3)))
        args = [jnp.asarray(p) for p in (W1, b1, W2, b2)]
        return lambda: jax.block_until_ready(grad(*args))
    autograd, anp = _autograd()

    def sigmoid(z):
        return 1 / (1 + anp.exp(-z))

    grad = autograd.grad(lambda p: 0.5 * anp.sum((sigmoid(sigmoid(anp.dot(X, p[0]) + p[1]) @ p[2] + p[3])
                                                  - t) ** 2))
    return lambda: grad((W1, b1, W2, b2))


def _torch():
    import torch

    torch.set_num_threads(1)
    return torch


def _autograd():
    with warnings.catch_warnings():  # autograd 1.7 imports numpy.core, deprecated in NumPy 2
        warnings.simplefilter("ignore", DeprecationWarning)
        import autograd
        import autograd.numpy as anp
    return autograd, anp


def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    return jax, jnp
