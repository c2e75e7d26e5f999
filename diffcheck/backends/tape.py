"""Reverse mode over NumPy: forwards in topological order, then VJPs in reverse.

Reads each op's ``forward``, ``vjps`` and ``reads`` only, through ``backends.kernels``
(which adds the fast paths). For each expression,
set of variables, batch rank and dtype, the pass is generated once as straight-line
Python (see :mod:`diffcheck.backends.sweep`), so a call costs little more than its
NumPy calls. Only nodes that depend on the requested variables get adjoints
(pruning), only values some VJP reads are computed, and a full Jacobian is one
backward pass with every output element as a batch row.
"""

from __future__ import annotations

import numpy as np

from diffcheck.backends.program import compile_program, point_dtype
from diffcheck.backends.sweep import sweep_for, unit
from diffcheck.ir import Expr, Var

# Upper bound on batch rows x node elements held at once when building a Jacobian.
CHUNK_ELEMENTS = 2**24


def backward(
    expr: Expr, point: dict[str, np.ndarray], seed: np.ndarray, wrt: tuple[Var, ...]
) -> dict[str, np.ndarray]:
    """Adjoints of the variables ``wrt`` at ``point`` for the output cotangent ``seed``.

    ``seed`` has shape ``batch + expr.shape``; every adjoint has ``batch + var.shape``.
    """
    return sweep_for(compile_program(expr), wrt, seed.ndim - len(expr.shape), seed.dtype).run(point, seed)


def gradients(expr: Expr, wrt: tuple[Var, ...], point: dict[str, np.ndarray]) -> dict:
    """Gradients of a scalar ``expr`` with respect to ``wrt``: one backward pass."""
    dtype = point_dtype(point)
    return sweep_for(compile_program(expr), wrt, 0, dtype, unit_seed=True).run(point, unit(dtype))


def jacobian(expr: Expr, var: Var, point: dict[str, np.ndarray]) -> np.ndarray:
    """The Jacobian ``y.shape + x.shape`` by batched VJPs, one batch row per output element."""
    dtype = point_dtype(point)
    out_shape = expr.shape
    m = expr.size
    rows = max(1, min(m, CHUNK_ELEMENTS // compile_program(expr).widest))
    if rows == m:  # the usual case: every output row in one batched pass, no stitching
        seed = np.eye(m, dtype=dtype).reshape((m,) + out_shape)
        return backward(expr, point, seed, (var,))[var.name].reshape(out_shape + var.shape)
    blocks = []
    for start in range(0, m, rows):
        stop = min(m, start + rows)
        seed = np.eye(stop - start, m, start, dtype=dtype).reshape((stop - start,) + out_shape)
        blocks.append(backward(expr, point, seed, (var,))[var.name])
    return np.concatenate(blocks).reshape(out_shape + var.shape)


def vector_jacobian(expr: Expr, var: Var, point: dict[str, np.ndarray], u: np.ndarray) -> np.ndarray:
    """``uᵀJ`` (shaped like ``var``) for a cotangent ``u`` shaped like the output: one pass."""
    u = np.array(u, dtype=point_dtype(point))  # a copy: results may be views of the seed
    return backward(expr, point, u, (var,))[var.name]
