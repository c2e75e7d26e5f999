"""Tape gradient of a batched attention block against hand-written NumPy backprop, as a ratio.

The block: scores ``Q Kᵀ / √d`` for a batch of sequences (a batched matmul with
``K.swapaxes(-1, -2)``), a softmax along the last axis, then the values ``@ V``; the
loss is the squared error against a fixed target. Its gradient with respect to Q, K and
V by ``dc.grad`` is timed against the same backward pass written by hand in NumPy (the
max-shifted softmax and its fused rule), as the median of interleaved rounds (``_timing.paired_ratio``).
Two rows: the softmax as ``dc.nn.softmax`` (the block as one writes it; the target
applies here), and composed from ``exp`` and ``sum(..., keepdims=True)`` (its backward
then takes the quotient rule's passes, which the fused hand-written rule saves).
"""

from __future__ import annotations

import _timing  # noqa: F401  (pins BLAS to one thread before NumPy loads)
import numpy as np
from _timing import paired_ratio, verdict

import diffcheck as dc

TARGET = 1.3


def softmax(scores, composed: bool):
    """The softmax along the last axis: ``dc.nn.softmax``, or ``exp`` over its row sums."""
    if not composed:
        return dc.nn.softmax(scores, axis=-1)
    e = dc.exp(scores)
    return e / dc.sum(e, axis=-1, keepdims=True)


def attention_problem(batch: int = 8, tokens: int = 64, d: int = 32, seed: int = 0, composed=False):
    """The loss, its variables, a point and the target, for ``batch`` sequences of ``tokens``."""
    rng = np.random.default_rng(seed)
    shape = (batch, tokens, d)
    Q, K, V = (dc.Var(name, shape) for name in "QKV")
    y = rng.standard_normal(shape)
    weights = softmax(dc.matmul(Q, K.swapaxes(-1, -2)) * (1.0 / np.sqrt(d)), composed)
    loss = dc.sum((dc.matmul(weights, V) - y) ** 2)
    at = {name: rng.standard_normal(shape) / np.sqrt(d) for name in "QKV"}
    return loss, (Q, K, V), at, y


def numpy_attention(y, Q, K, V):
    """∂L/∂Q, ∂L/∂K, ∂L/∂V of sum((softmax(Q Kᵀ/√d) V - y)²), backpropagated by hand."""
    scale = 1.0 / np.sqrt(Q.shape[-1])
    s = Q @ K.swapaxes(-1, -2) * scale
    e = np.exp(s - s.max(axis=-1, keepdims=True))  # max-shifted, as dc.nn.softmax
    p = e / e.sum(axis=-1, keepdims=True)
    g_out = 2.0 * (p @ V - y)
    g_v = p.swapaxes(-1, -2) @ g_out
    g_p = g_out @ V.swapaxes(-1, -2)
    g_s = p * (g_p - (g_p * p).sum(axis=-1, keepdims=True)) * scale
    return g_s @ K, g_s.swapaxes(-1, -2) @ Q, g_v


def measure(composed: bool) -> tuple[float, float, float]:
    """(ratio, tape seconds, NumPy seconds), after checking both compute the same gradients."""
    loss, wrt, at, y = attention_problem(composed=composed)
    w = list(wrt)
    baseline = lambda: numpy_attention(y, at["Q"], at["K"], at["V"])  # noqa: E731
    ours = dc.grad(loss, w, at)
    for theirs, name in zip(baseline(), "QKV", strict=True):
        np.testing.assert_allclose(ours[name], theirs, rtol=1e-10, atol=1e-12)
    return paired_ratio(lambda: dc.grad(loss, w, at), baseline, rounds=15, repeats=7)


def main() -> None:
    ratio, c, b = measure(composed=False)
    print(f"attention 8x64x32, dc.nn.softmax:       tape {c*1e3:.2f} ms, NumPy {b*1e3:.2f} ms, "
          f"ratio {ratio:.3f} {verdict(ratio, TARGET)}")
    ratio, c, b = measure(composed=True)
    print(f"attention 8x64x32, exp / sum(keepdims): tape {c*1e3:.2f} ms, NumPy {b*1e3:.2f} ms, "
          f"ratio {ratio:.3f}")


if __name__ == "__main__":
    main()
