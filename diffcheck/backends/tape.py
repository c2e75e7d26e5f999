"""Reverse mode over NumPy: forwards in topological order, then VJPs in reverse.

Reads each op's ``forward`` and ``vjps`` only. Only nodes that depend on the requested
variables get adjoints (pruning), and a full Jacobian is one backward pass with every
output element as a batch row.
"""

from __future__ import annotations

import numpy as np

from diffcheck.backends.program import Program, compile_program, point_dtype, run_forward
from diffcheck.ir import Expr, Var

# Upper bound on batch rows x node elements held at once when building a Jacobian.
CHUNK_ELEMENTS = 2**24


def backward(
    program: Program, values: list, seed: np.ndarray, wrt: tuple[Var, ...]
) -> dict[str, np.ndarray]:
    """Adjoints of the variables ``wrt`` for the output cotangent ``seed``.

    ``seed`` has shape ``batch + out.shape``; every adjoint has ``batch + var.shape``.
    """
    live = program.live(tuple(v.name for v in wrt))
    last = len(program.nodes) - 1
    adjoint: list = [None] * len(program.nodes)
    adjoint[last] = seed
    for i in range(last, -1, -1):
        g = adjoint[i]
        record = program.records[i]
        if g is None or record is None:
            continue
        args = program.args[i]
        inputs = [values[a] for a in args]
        nb = g.ndim - np.ndim(values[i])
        for k, a in enumerate(args):
            if live[a]:
                contribution = record.vjps[k](g, values[i], *inputs, **program.kwargs[i])
                if np.shape(contribution)[nb:] != np.shape(inputs[k]):
                    raise ValueError(
                        f"tape: the VJP of {record.name} for input {k} returned shape "
                        f"{np.shape(contribution)[nb:]}, but that input has shape "
                        f"{np.shape(inputs[k])}"
                    )
                adjoint[a] = contribution if adjoint[a] is None else adjoint[a] + contribution
        adjoint[i] = None  # free memory early
    batch = seed.shape[: seed.ndim - np.ndim(values[last])]
    result = {}
    for var in wrt:
        parts = [adjoint[s] for s in program.var_slots.get(var.name, ()) if adjoint[s] is not None]
        total = sum(parts[1:], parts[0]) if parts else np.zeros(batch + var.shape, seed.dtype)
        result[var.name] = np.array(total, dtype=seed.dtype)
    return result


def gradients(expr: Expr, wrt: tuple[Var, ...], point: dict[str, np.ndarray]) -> dict:
    """Gradients of a scalar ``expr`` with respect to ``wrt``: one backward pass."""
    program = compile_program(expr)
    dtype = point_dtype(point)
    values = run_forward(program, point, dtype)
    return backward(program, values, np.ones((), dtype=dtype), wrt)


def jacobian(expr: Expr, var: Var, point: dict[str, np.ndarray]) -> np.ndarray:
    """The Jacobian ``y.shape + x.shape`` by batched VJPs, one batch row per output element."""
    program = compile_program(expr)
    dtype = point_dtype(point)
    values = run_forward(program, point, dtype)
    out_shape = expr.shape
    m = expr.size
    widest = max(max(np.size(v) for v in values), 1)
    rows = max(1, min(m, CHUNK_ELEMENTS // widest))
    blocks = []
    for start in range(0, m, rows):
        stop = min(m, start + rows)
        seed = np.zeros((stop - start, m), dtype=dtype)
        seed[np.arange(stop - start), np.arange(start, stop)] = 1.0
        seed = seed.reshape((stop - start,) + out_shape)
        blocks.append(backward(program, values, seed, (var,))[var.name])
    return np.concatenate(blocks).reshape(out_shape + var.shape)
