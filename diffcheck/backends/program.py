"""A compiled expression: its nodes in topological order, shared by the NumPy backends.

Compiling once per expression (cached on the node) keeps toposort and validation off
the hot path; ``run_forward`` then evaluates every node with the ops' NumPy forwards.
Forward evaluation is not a derivative rule, so the tape and the numeric backend may
both use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diffcheck.ir import Const, Expr, Var, toposort
from diffcheck.ops import REGISTRY, Op


@dataclass(frozen=True)
class Program:
    """Nodes in topological order; ``args[i]`` are the slots of node i's inputs."""

    nodes: tuple[Expr, ...]
    records: tuple[Op | None, ...]
    args: tuple[tuple[int, ...], ...]
    kwargs: tuple[dict[str, Any], ...]
    var_slots: dict[str, tuple[int, ...]]
    _live: dict[tuple[str, ...], tuple[bool, ...]] = field(default_factory=dict, compare=False)

    def live(self, names: tuple[str, ...]) -> tuple[bool, ...]:
        """For each slot, whether its value depends on any variable in ``names`` (cached)."""
        if names not in self._live:
            flags: list[bool] = []
            for node, args in zip(self.nodes, self.args, strict=True):
                own = isinstance(node, Var) and node.name in names
                flags.append(own or any(flags[a] for a in args))
            self._live[names] = tuple(flags)
        return self._live[names]


def compile_program(expr: Expr) -> Program:
    """The program of ``expr``, built once per expression and cached on it."""
    cached = expr._cache.get("program")
    if cached is not None:
        return cached
    nodes = toposort(expr)
    slot = {id(n): i for i, n in enumerate(nodes)}
    var_slots: dict[str, list[int]] = {}
    for i, node in enumerate(nodes):
        if isinstance(node, Var):
            var_slots.setdefault(node.name, []).append(i)
    program = Program(
        nodes=tuple(nodes),
        records=tuple(None if n.op in ("var", "const") else REGISTRY[n.op] for n in nodes),
        args=tuple(tuple(slot[id(x)] for x in n.inputs) for n in nodes),
        kwargs=tuple(n.kwargs for n in nodes),
        var_slots={k: tuple(v) for k, v in var_slots.items()},
    )
    expr._cache["program"] = program
    return program


def run_forward(program: Program, point: dict[str, np.ndarray], dtype: Any = None) -> list[Any]:
    """Every node's value at ``point`` (name -> array); constants are cast to ``dtype``."""
    values: list[Any] = [None] * len(program.nodes)
    for i, node in enumerate(program.nodes):
        record = program.records[i]
        if record is not None:
            values[i] = record.forward(*(values[a] for a in program.args[i]), **program.kwargs[i])
        elif isinstance(node, Const):
            values[i] = node.value if dtype is None else node.value.astype(dtype)
        else:
            values[i] = point[node.name]
    return values


def point_dtype(point: dict[str, np.ndarray]) -> np.dtype:
    """The floating dtype the computation runs in: float64 unless every value is float32."""
    return np.result_type(np.float32, *point.values()) if point else np.dtype(np.float64)
