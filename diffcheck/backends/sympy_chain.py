"""One node's local derivative through its single operations, not entry by entry.

The per-node route's ``"lower"`` rule lowers an op at its real shapes. Differentiating
every output entry by every input element (``SparseJacobian``) expands shared parts
again in every entry: a layer norm of an 8×16 matrix has 2,048 such derivatives, each
a tree of hundreds of nodes, and takes minutes. Here the lowered node is split into a
chain of single operations ``t = op(inputs, earlier t)``, each distinct subexpression
named once (as SymPy's ``cse`` would); SymPy differentiates each step by each symbol
it reads (``sympy.diff`` of one operation, once per pattern), the non-constant partials
are evaluated in NumPy, one function per pattern of repeated steps
(``sympy_patterns``), and reverse accumulation over the chain gives ``gᵀJ``. Every rule
still comes from SymPy's ``diff`` of the op's ``lower``; the cost grows with the
lowered DAG, not with its paths.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from diffcheck._lazy import sympy as sp
from diffcheck.backends.sympy_local import Shape, numbers
from diffcheck.backends.sympy_patterns import PatternProgram, pattern_key, pattern_of, placeholders
from diffcheck.ops.base import Op


class ChainJacobian:
    """``gᵀ ∂out/∂input_k`` of one lowered node, by reverse accumulation over its cse chain."""

    def __init__(self, record: Op, k: int, shapes: Sequence[Shape], params: tuple,
                 constants: Sequence):
        symbols, out = plain_lowering(record, tuple(map(tuple, shapes)), params,
                                      tuple(_frozen(c) for c in constants))
        self.in_shape = tuple(shapes[k])
        every = [s for n, slot in enumerate(symbols) if constants[n] is None for s in slot.ravel()]
        wanted = {s: j for j, s in enumerate(symbols[k].ravel())}
        steps, outputs = one_operation_steps([], list(out.ravel()))
        ids = dict(wanted)  # symbol -> adjoint slot: input k's elements, then the live steps
        live_steps = []
        for t, e in steps:
            if e.free_symbols & ids.keys():
                ids[t] = len(ids)
                live_steps.append((t, e))
        partials: list = []
        memo: dict = {}

        def edges(e) -> tuple[np.ndarray, np.ndarray]:
            reads = sorted(e.free_symbols & ids.keys(), key=ids.__getitem__)
            first = len(partials)
            partials.extend(_partials(e, tuple(reads), memo))
            return (np.asarray([ids[a] for a in reads], np.intp),
                    np.arange(first, len(partials), dtype=np.intp))

        self.output_edges = [edges(e) for e in outputs]
        self.step_edges = [(ids[t], *edges(e)) for t, e in reversed(live_steps)]
        self.slots = len(ids)
        self.inputs = len(wanted)
        self.constants = tuple(c is not None for c in constants)
        # Constant partials (most of a layer norm's) are kept as numbers, not printed.
        self.fixed = np.array([float(p) if p.is_number else 0.0 for p in partials])
        self.varying = np.array([i for i, p in enumerate(partials) if not p.is_number], np.intp)
        targets = [partials[i] for i in self.varying]
        needed = _needed_steps(steps, targets)
        self.function = PatternProgram(every, needed, targets)

    def project(self, g: np.ndarray, inputs: Sequence[np.ndarray]) -> np.ndarray:
        """``gᵀJ`` at these input values, shaped as input k."""
        return self.project_rows(np.asarray(g)[None], [np.asarray(v)[None] for v in inputs])[0]

    def project_rows(self, g: np.ndarray, inputs: Sequence[np.ndarray]) -> np.ndarray:
        """``gᵀJ`` for R independent instances at once (the groups of a row-wise op): ``g``
        and every input carry a leading axis of length R; the result is (R, *input k)."""
        rows = len(g)
        values = np.concatenate([np.reshape(np.asarray(v, dtype=float), (rows, -1))
                                 for v, fixed in zip(inputs, self.constants, strict=True) if not fixed]
                                + [np.empty((rows, 0))], axis=1).T
        local = np.repeat(self.fixed[:, None], rows, axis=1)
        if len(self.varying):
            local[self.varying] = self.function(values)
        adjoint = np.zeros((self.slots, rows))
        for gi, (reads, at) in zip(np.reshape(g, (rows, -1)).T, self.output_edges, strict=True):
            if gi.any():
                np.add.at(adjoint, reads, gi * local[at])
        for t, reads, at in self.step_edges:
            if adjoint[t].any():
                np.add.at(adjoint, reads, adjoint[t] * local[at])
        return adjoint[: self.inputs].T.reshape((rows, *self.in_shape))


@lru_cache(maxsize=64)
def plain_lowering(record: Op, shapes: tuple, params: tuple,
                   frozen: tuple) -> tuple[list[np.ndarray], np.ndarray]:
    """The op lowered at ``shapes`` over plain-named symbols (``_a0_12``; constants, given
    frozen, as numbers): per input its symbols, and the lowered output (cached). Plain
    names, because lambdify re-substitutes ``in0[1,2]`` in every expression otherwise."""
    symbols = [np.array([sp.Symbol(f"_a{n}_{i}", real=True) for i in range(math.prod(shape))],
                        dtype=object).reshape(shape) for n, shape in enumerate(shapes)]
    operands = [s if f is None else numbers(np.frombuffer(f[1]).reshape(f[0]), shape)
                for s, f, shape in zip(symbols, frozen, shapes, strict=True)]
    return symbols, np.asarray(record.lower(*operands, **dict(params)), dtype=object)


def one_operation_steps(steps: list, outputs: list) -> tuple[list, list]:
    """Steps and outputs rewritten so that every operation reads only symbols and numbers,
    each distinct subexpression named once (equal subtrees are one step, as in ``cse``):
    SymPy then differentiates single operations (``t₁·t₂``, ``t**(-1/2)``, ``Max(t₁, t₂)``),
    which take a fraction of a millisecond and repeat as a few patterns, where whole
    subtrees take many milliseconds each (``Pow`` builds ``log(base)`` and asks about its sign). Conditions
    (``t₁ > 0`` in a ``Piecewise``) are rebuilt over named operands, not named themselves."""
    names = sp.numbered_symbols("_s", real=True)
    split: list = []
    named: dict = {}

    def operand(e):
        if e.is_Atom:
            return e
        if not isinstance(e, sp.Expr):
            return operation(e)
        symbol = named.get(e)
        if symbol is None:
            symbol = named[e] = next(names)
            split.append((symbol, operation(e)))
        return symbol

    def operation(e):
        return e if e.is_Atom else e.func(*[operand(a) for a in e.args])

    for t, e in steps:
        split.append((t, operation(e)))
    return split, [operation(e) for e in outputs]


def _needed_steps(steps: list, targets: list) -> list:
    """The cse steps the targets read, directly or through other steps, in order."""
    needed = set().union(*(t.free_symbols for t in targets)) if targets else set()
    kept = []
    for t, e in reversed(steps):
        if t in needed:
            kept.append((t, e))
            needed |= e.free_symbols
    return kept[::-1]


def _partials(e, reads: tuple, memo: dict) -> list:
    """``∂e/∂a`` for each ``a`` in ``reads`` by ``sympy.diff``, derived once per pattern:
    steps that differ only in which symbols they read (the rows of a layer norm) are
    renamed to the same placeholders first, so SymPy differentiates each pattern once."""
    key = pattern_key(e, reads)
    found = memo.get(key)
    if found is None:
        pattern = pattern_of(e, reads)
        found = memo[key] = [_derivative(pattern, p) for p in placeholders(len(reads))]
    back = dict(zip(placeholders(len(reads)), reads, strict=True))
    return [d if d.is_Number else d.xreplace(back) for d in found]


def _derivative(e, symbol):
    """``sympy.diff(e, symbol)``; a sum term by term over the terms that read ``symbol``
    (a row's sum of 16 reads would otherwise differentiate all 16 terms 16 times)."""
    if e.is_Add:
        return sp.Add(*[sp.diff(term, symbol) for term in e.args if symbol in term.free_symbols])
    return sp.diff(e, symbol)


def _frozen(value) -> tuple | None:
    if value is None:
        return None
    array = np.asarray(value, dtype=float)
    return array.shape, array.tobytes()


@lru_cache(maxsize=256)
def _chain(record, k: int, shapes: tuple, params: tuple, frozen: tuple) -> ChainJacobian:
    constants = [None if f is None else np.frombuffer(f[1]).reshape(f[0]) for f in frozen]
    return ChainJacobian(record, k, shapes, params, constants)


def chain_jacobian(record, k: int, shapes: Sequence[tuple], params: dict,
                   constants: Sequence | None = None) -> ChainJacobian:
    """The compiled chain of input ``k`` (cached per op, shapes, params and constant values)."""
    frozen = tuple(_frozen(c) for c in (constants or (None,) * len(shapes)))
    return _chain(record, k, tuple(map(tuple, shapes)), tuple(sorted(params.items())), frozen)

