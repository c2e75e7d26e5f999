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


def _edge(rule, i: int, args: tuple[int, ...], kwargs: dict):
    """``(g, values) -> rule(g, out, *inputs)`` with the slots bound at compile time."""
    if kwargs:
        return lambda g, v: rule(g, v[i], *[v[a] for a in args], **kwargs)
    if len(args) == 1:
        (a,) = args
        return lambda g, v: rule(g, v[i], v[a])
    a, b = args
    return lambda g, v: rule(g, v[i], v[a], v[b])


def backward_plan(program: Program, names: tuple[str, ...]) -> tuple:
    """For each op node that depends on ``names`` (last first): its live input edges (cached)."""
    plan = program._plans.get(names)
    if plan is None:
        live = program.live(names)
        steps = []
        for i in range(len(program.nodes) - 1, -1, -1):
            record, args = program.records[i], program.args[i]
            if record is None or not live[i]:
                continue
            out_shape = program.nodes[i].shape
            edges = tuple(
                (a, _edge(record.vjp_for(k, program.nodes[a].shape, out_shape), i, args,
                          program.kwargs[i]), program.nodes[a].shape, record.name, k)
                for k, a in enumerate(args)
                if live[a]
            )
            steps.append((i, edges))
        plan = tuple(steps)
        program._plans[names] = plan
    return plan


def backward(
    program: Program, values: list, seed: np.ndarray, wrt: tuple[Var, ...]
) -> dict[str, np.ndarray]:
    """Adjoints of the variables ``wrt`` for the output cotangent ``seed``.

    ``seed`` has shape ``batch + out.shape``; every adjoint has ``batch + var.shape``.
    """
    last = len(program.nodes) - 1
    adjoint: list = [None] * len(program.nodes)
    adjoint[last] = seed
    nb = seed.ndim - np.ndim(values[last])
    for i, edges in backward_plan(program, tuple(v.name for v in wrt)):
        g = adjoint[i]
        if g is None:
            continue
        for a, edge, in_shape, op_name, k in edges:
            contribution = edge(g, values)
            if contribution.shape[nb:] != in_shape:
                raise ValueError(
                    f"tape: the VJP of {op_name} for input {k} returned shape "
                    f"{contribution.shape[nb:]}, but that input has shape {in_shape}"
                )
            previous = adjoint[a]
            adjoint[a] = contribution if previous is None else previous + contribution
        adjoint[i] = None  # free memory early
    batch = seed.shape[:nb]
    dtype = seed.dtype
    result = {}
    for var in wrt:
        parts = [adjoint[s] for s in program.var_slots.get(var.name, ()) if adjoint[s] is not None]
        total = sum(parts[1:], parts[0]) if parts else np.zeros(batch + var.shape, dtype)
        # Copy only what may alias read-only or broadcast memory; fresh arrays are returned as is.
        fresh = isinstance(total, np.ndarray) and total.flags.writeable and total.dtype == dtype
        result[var.name] = total if fresh else np.array(total, dtype=dtype)
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
    if rows == m:  # the usual case: every output row in one batched pass, no stitching
        seed = np.eye(m, dtype=dtype).reshape((m,) + out_shape)
        return backward(program, values, seed, (var,))[var.name].reshape(out_shape + var.shape)
    blocks = []
    for start in range(0, m, rows):
        stop = min(m, start + rows)
        seed = np.eye(stop - start, m, start, dtype=dtype).reshape((stop - start,) + out_shape)
        blocks.append(backward(program, values, seed, (var,))[var.name])
    return np.concatenate(blocks).reshape(out_shape + var.shape)


def vector_jacobian(expr: Expr, var: Var, point: dict[str, np.ndarray], u: np.ndarray) -> np.ndarray:
    """``uᵀJ`` (shaped like ``var``) for a cotangent ``u`` shaped like the output: one pass."""
    program = compile_program(expr)
    dtype = point_dtype(point)
    values = run_forward(program, point, dtype)
    return backward(program, values, np.asarray(u, dtype=dtype), (var,))[var.name]
