"""The functions of ``diffcheck.nn`` that build one op node: softmax, log_softmax,
layer_norm, cross_entropy (records in ``diffcheck.ops.layers``) and logsumexp.

Each builds a node of its record, so the three methods check it like any other op:
the tape runs the record's hand-written VJP, SymPy differentiates its textbook lowering,
numeric differences perturb its max-shifted forward.
"""

from __future__ import annotations

from typing import Any

from diffcheck.ir import Const, Expr, apply

Axis = int | tuple[int, ...] | None


def softmax(x: Any, axis: Axis = -1) -> Expr:
    """``exp(x) / Σ exp(x)`` over ``axis`` (an int or a tuple), computed max-shifted.

    Every slice along ``axis`` sums to 1; the input's shape is kept.
    """
    return apply("softmax", x, axis=axis)


def log_softmax(x: Any, axis: Axis = -1) -> Expr:
    """``x − log Σ exp(x)`` over ``axis``, computed max-shifted: finite for any ``|x|``."""
    return apply("log_softmax", x, axis=axis)


def layer_norm(x: Any, axis: Axis = -1, eps: float = 1e-5) -> Expr:
    """``(x − mean) / sqrt(var + eps)`` over ``axis`` (an int or a tuple), variance biased.

    No affine parameters: multiply by ``gamma`` and add ``beta`` yourself
    (``nn.layer_norm(x) * gamma + beta``), as PyTorch's ``elementwise_affine`` does.
    """
    return apply("layer_norm", x, axis=axis, eps=eps)


def cross_entropy(logits: Any, labels: Any, reduction: str = "mean") -> Expr:
    """Cross-entropy of ``logits`` ``(..., C)`` against integer class ``labels`` ``(...)``.

    ``log Σ_k exp(z_k) − z_label`` per row, averaged over the rows (``reduction="mean"``,
    PyTorch's default) or summed (``"sum"``); its gradient is ``(softmax(z) − onehot)/N``.
    ``labels`` are constants (not differentiated), each an integer in ``0..C−1``;
    anything else is an error naming the label and ``C``.
    """
    if isinstance(labels, Const):
        labels = labels.value
    elif isinstance(labels, Expr):
        raise TypeError("cross_entropy: labels must be constant integer class indices (an array), "
                        f"not an expression of variables: {labels!r}")
    return apply("cross_entropy", logits, labels=labels, reduction=reduction)


def logsumexp(z: Any, axis: Axis = -1) -> Expr:
    """``log Σ exp(z)`` over ``axis`` (the last by default), the ``logsumexp`` op's node.

    Max-shifted, so finite for any ``|z|``; its gradient is the softmax.
    """
    return apply("logsumexp", z, axis=axis)
