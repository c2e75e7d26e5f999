"""Array helpers shared by the op records: object arrays for lowering, broadcasting."""

from __future__ import annotations

from typing import Any

import numpy as np

from diffcheck.errors import ShapeError


def as_objects(value: Any) -> np.ndarray:
    """Wrap a SymPy expression or array of them as an object ndarray (0-d for scalars)."""
    if isinstance(value, np.ndarray) and value.dtype == object:
        return value
    out = np.empty(np.shape(value), dtype=object)
    out[...] = value
    return out


def broadcast_shape(name: str, a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    """NumPy's broadcasting rule, with a ShapeError naming the op and both shapes."""
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        raise ShapeError(f"{name}: cannot broadcast shapes {a} and {b}") from None


def unbroadcast(g: np.ndarray, shape: tuple[int, ...], out_ndim: int) -> np.ndarray:
    """Sum ``g`` (batch + broadcast shape) back to batch + ``shape``, undoing broadcasting."""
    nb = g.ndim - out_ndim
    extra = out_ndim - len(shape)
    if extra:
        g = g.sum(axis=tuple(range(nb, nb + extra)))
    axes = tuple(nb + i for i, n in enumerate(shape) if n == 1 and g.shape[nb + i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g


def is_integer_constant(x: np.ndarray) -> bool:
    """True when every entry of ``x`` is a whole number (e.g. the exponent of ``x**2``)."""
    return bool(np.all(np.isreal(x)) and np.all(np.mod(np.real(x), 1) == 0))


def mixed_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b``. With one matrix complex and the other real of the same precision (a
    complex step through the tape), as one real product over the complex matrix's
    interleaved (Re, Im) columns: half the arithmetic of NumPy's complex product."""
    a_complex, b_complex = a.dtype.kind == "c", b.dtype.kind == "c"  # NOTE: cheap on the hot path
    if a_complex == b_complex or a.ndim < 2 or b.ndim < 2:
        return np.matmul(a, b)
    if b_complex and a.dtype == b.real.dtype:
        b = np.ascontiguousarray(b)
        return np.matmul(a, b.view(a.dtype)).view(b.dtype)  # (…, m, 2n) read as (…, m, n)
    if a_complex and b.dtype == a.real.dtype:  # (a @ b)ᵀ = bᵀ @ aᵀ
        at = np.ascontiguousarray(np.swapaxes(a, -1, -2))
        return np.swapaxes(np.matmul(np.swapaxes(b, -1, -2), at.view(b.dtype)).view(a.dtype), -1, -2)
    return np.matmul(a, b)
