"""How large SymPy's element-wise closed form of a graph would be, counting paths.

``lowered_terms`` counts each node once, but SymPy's element-wise expressions are trees:
a node read twice per level (``h + tanh(W @ h)``, ``minimum(m, x[i])`` whose lowering
names ``m`` twice) doubles the tree at every level, and ``sympy.diff`` walks the tree.
Here each op is lowered once over slot symbols at its real shapes (cached by op, shapes
and params, never by expression), the occurrences of every input element in every
output element are counted, and per-element tree sizes are propagated through the
graph: an output's size is its own SymPy nodes plus, per input element it reads, that
element's size times how often it is read. Alongside, how many elements of the
variable each output reaches (an upper bound), which is how many derivatives SymPy
takes of it. Reads each record's ``lower`` and ``lowered_terms`` only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np

from diffcheck._lazy import sympy as sp
from diffcheck.backends.program import compile_program
from diffcheck.backends.sympy_chain import plain_lowering
from diffcheck.ir import Expr, Var
from diffcheck.ops.base import Op

PROBE_TERMS = 20_000  # an op lowered larger than this is not probed: its closed form is too large
# A conditional node (Max, Min, Piecewise, Heaviside, a relation) counts as this many terms,
# and its arguments twice: its derivative names them in a value and in a condition, and
# printing it simplifies the conditions (``relu`` costs about 20 ms per entry, measured).
CONDITIONAL_TERMS = 300


@dataclass(frozen=True)
class LocalPaths:
    """Per input: (output, input element, paths) triples; per output: its own SymPy nodes."""

    reads: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]
    own: np.ndarray


@dataclass(frozen=True)
class ClosedFormSize:
    """Per output element of ``y``: its tree size and how many elements of ``var`` it reaches."""

    tree: np.ndarray
    reach: np.ndarray

    @property
    def terms(self) -> float:
        """Tree nodes SymPy differentiates in all: each output's tree once per element reached."""
        return float(np.sum(self.tree * self.reach))


def _paths(entry, slots: frozenset, memo: dict) -> tuple[int, dict]:
    """``(own nodes, {slot symbol: paths})`` of one SymPy tree, memoised over its DAG."""
    found = memo.get(entry)
    if found is not None:
        return found
    if entry in slots:
        found = (0, {entry: 1})
    else:
        factor = 2 if _conditional(entry) else 1
        own, reads = CONDITIONAL_TERMS if factor == 2 else 1, {}
        for arg in entry.args:
            sub_own, sub_reads = _paths(arg, slots, memo)
            own += factor * sub_own
            for s, n in sub_reads.items():
                reads[s] = reads.get(s, 0) + factor * n
        found = (own, reads)
    memo[entry] = found
    return found


def _conditional(entry) -> bool:
    return isinstance(entry, _conditional_types())


@cache
def _conditional_types() -> tuple[type, ...]:  # once: SymPy is loaded lazily
    return (sp.Piecewise, sp.Heaviside, sp.Max, sp.Min, sp.Rel, sp.logic.boolalg.BooleanFunction)


@lru_cache(maxsize=512)
def local_paths(record: Op, shapes: tuple, params: tuple) -> LocalPaths | None:
    """The op lowered over slot symbols at ``shapes``, its reads counted; None above PROBE_TERMS."""
    kwargs = dict(params)
    out_shape = record.shape(*shapes, **kwargs)
    grouping = record.groups(*shapes, **kwargs) if record.groups and len(shapes) == 1 else None
    if grouping is not None and out_shape == shapes[0]:
        return _grouped_paths(record, shapes, *grouping)
    unbroadcast = all(s == out_shape for s in shapes)
    if record.sympy_route == "elementwise" and unbroadcast and math.prod(out_shape) > 1:
        return _grouped_paths(record, shapes, (), kwargs, (1,))  # element by element
    if record.lowered_terms(out_shape, *shapes, **kwargs) > PROBE_TERMS:
        return None
    symbols, out = plain_lowering(record, shapes, params, (None,) * len(shapes))
    position = {s: (k, j) for k, slot in enumerate(symbols) for j, s in enumerate(slot.ravel())}
    slots, memo = frozenset(position), {}
    triples: list[tuple[list, list, list]] = [([], [], []) for _ in shapes]
    own = np.empty(out.size)
    for i, entry in enumerate(out.ravel()):
        own[i], reads = _paths(entry, slots, memo)
        for s, n in reads.items():
            k, j = position[s]
            rows, cols, counts = triples[k]
            rows.append(i)
            cols.append(j)
            counts.append(n)
    reads = tuple((np.asarray(r, np.intp), np.asarray(c, np.intp), np.asarray(n, float))
                  for r, c, n in triples)
    return LocalPaths(reads, own)


def _grouped_paths(record: Op, shapes: tuple, axes: tuple[int, ...], params: dict,
                   group_shape: tuple | None = None) -> LocalPaths | None:
    """An op acting group by group along ``axes`` on inputs of one shape (a row-wise layer
    norm; an elementwise op without broadcasting, one element of shape (1,) per group):
    one group probed, its counts repeated for every group (the same as probing the whole
    node)."""
    shape = shapes[0]
    group_shape = group_shape or tuple(shape[i] for i in axes)
    one = local_paths(record, (group_shape,) * len(shapes), tuple(sorted(params.items())))
    if one is None:
        return None
    perm = [i for i in range(len(shape)) if i not in axes] + list(axes)
    flat = np.arange(int(np.prod(shape))).reshape(shape).transpose(perm).reshape(-1, one.own.size)
    own = np.empty(flat.size)
    own[flat] = one.own
    reads = tuple((flat[:, rows].ravel(), flat[:, cols].ravel(), np.tile(counts, len(flat)))
                  for rows, cols, counts in one.reads)
    return LocalPaths(reads, own)


def quick_terms(y: Expr, var: Var) -> float:
    """A cheap estimate of ``ClosedFormSize.terms`` without SymPy, meant to fall short of it:
    each op reads ``lowered_terms / out.size`` elements per output once each (reuse and
    conditionals not counted), and sizes are averaged over the elements of a node."""
    program = compile_program(y)
    tree, reach = [], []
    for node, record, args in zip(program.nodes, program.records, program.args, strict=True):
        if record is None:
            tree.append(1.0)
            reach.append(1.0 if isinstance(node, Var) and node.name == var.name else 0.0)
            continue
        shapes = (x.shape for x in node.inputs)
        fan = record.lowered_terms(node.shape, *shapes, **node.kwargs) / max(node.size, 1)
        tree.append(fan * (1.0 + sum(tree[a] for a in args)))
        reach.append(min(float(var.size), fan * sum(reach[a] for a in args)))
    return y.size * tree[-1] * reach[-1]


def closed_form_size(y: Expr, var: Var) -> ClosedFormSize | None:
    """Tree sizes and reach of ``y``'s element-wise closed form by ``var`` (cached on ``y``);
    None when some op is too large to probe (the closed form would be too large anyway)."""
    key = ("sympy-size", var.name, var.shape)
    if key in y._cache:
        return y._cache[key]
    program = compile_program(y)
    tree: list[np.ndarray] = []
    reach: list[np.ndarray] = []
    result: ClosedFormSize | None = None
    for node, record, args in zip(program.nodes, program.records, program.args, strict=True):
        if record is None:
            tree.append(np.ones(node.size))
            own = isinstance(node, Var) and node.name == var.name
            reach.append(np.full(node.size, 1.0 if own else 0.0))
            continue
        local = local_paths(record, tuple(x.shape for x in node.inputs), node.params)
        if local is None:
            break
        t, r = local.own.copy(), np.zeros(node.size)
        for (rows, cols, counts), a in zip(local.reads, args, strict=True):
            t += np.bincount(rows, counts * tree[a][cols], minlength=node.size)
            r += np.bincount(rows, reach[a][cols], minlength=node.size)
        tree.append(t)
        reach.append(np.minimum(r, var.size))
    else:
        result = ClosedFormSize(tree[-1], reach[-1])
    y._cache[key] = result
    return result

