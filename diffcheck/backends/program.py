"""A compiled expression: its nodes in topological order, shared by the NumPy backends.

Compiling once per expression (cached on the node) keeps toposort and validation off
the hot path; ``run_forward`` then evaluates every node with the ops' NumPy forwards.
Forward evaluation is not a derivative rule, so the tape and the numeric backend may
both use it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diffcheck.backends.kernels import forward_for
from diffcheck.ir import FLOAT64, Const, Expr, Var, toposort
from diffcheck.ops import REGISTRY, Op

Step = Callable[[list], Any]


def _step(fn: Callable[..., Any], args: tuple[int, ...], kwargs: dict[str, Any]) -> Step:
    """``values -> fn(*inputs)`` with the input slots bound now, not looked up per call
    (one and two inputs, the common cases, without building an argument list)."""
    if kwargs:
        return lambda v: fn(*[v[a] for a in args], **kwargs)
    if len(args) == 1:
        (a,) = args
        return lambda v: fn(v[a])
    if len(args) == 2:
        a, b = args
        return lambda v: fn(v[a], v[b])
    return lambda v: fn(*[v[a] for a in args])


@dataclass(frozen=True)
class Program:
    """Nodes in topological order; ``args[i]`` are the slots of node i's inputs."""

    nodes: tuple[Expr, ...]
    records: tuple[Op | None, ...]
    args: tuple[tuple[int, ...], ...]
    kwargs: tuple[dict[str, Any], ...]
    var_slots: dict[str, tuple[int, ...]]
    const_slots: tuple[int, ...] = ()
    steps: tuple[tuple[int, Step], ...] = ()  # forward of every op node, in order
    _live: dict[tuple[str, ...], tuple[bool, ...]] = field(default_factory=dict, compare=False)
    _sweeps: dict[tuple, Any] = field(default_factory=dict, compare=False)  # see backends.sweep

    @functools.cached_property
    def widest(self) -> int:
        """The most elements any node holds (at least 1)."""
        return max(1, *(node.size for node in self.nodes))

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
    records = tuple(None if n.op in ("var", "const") else REGISTRY[n.op] for n in nodes)
    args = tuple(tuple(slot[id(x)] for x in n.inputs) for n in nodes)
    kwargs = tuple(n.kwargs for n in nodes)
    program = Program(
        nodes=tuple(nodes),
        records=records,
        args=args,
        kwargs=kwargs,
        var_slots={k: tuple(v) for k, v in var_slots.items()},
        const_slots=tuple(i for i, n in enumerate(nodes) if isinstance(n, Const)),
        steps=tuple(
            (i, _step(forward_for(r, tuple(nodes[a].shape for a in args[i])), args[i], kwargs[i]))
            for i, r in enumerate(records)
            if r is not None
        ),
    )
    expr._cache["program"] = program
    return program


def run_forward(program: Program, point: dict[str, np.ndarray], dtype: Any = None) -> list[Any]:
    """Every node's value at ``point`` (name -> array); constants are cast to ``dtype``."""
    values: list[Any] = [None] * len(program.nodes)
    nodes = program.nodes
    for i in program.const_slots:
        value = nodes[i].value
        values[i] = value if dtype is None or value.dtype == dtype else value.astype(dtype)
    for name, slots in program.var_slots.items():
        for i in slots:
            values[i] = point[name]
    for i, step in program.steps:
        values[i] = step(values)
    return values


def point_dtype(point: dict[str, np.ndarray]) -> np.dtype:
    """The floating dtype the computation runs in: float64 unless every value is float32."""
    for value in point.values():
        if value.dtype is not FLOAT64:
            return np.result_type(np.float32, *point.values())
    return FLOAT64  # the common case, without promotion


def rerun(program: Program, base: list[Any], name: str, x: np.ndarray) -> list[Any]:
    """The values with variable ``name`` set to ``x``, recomputing only the nodes that
    depend on it (the rest, such as ``x @ W1`` when perturbing ``W2``, are reused)."""
    live = program.live((name,))
    values = list(base)
    for i in program.var_slots.get(name, ()):
        values[i] = x
    for i, step in program.steps:
        if live[i]:
            values[i] = step(values)
    return values
