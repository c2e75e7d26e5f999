"""SymPy's local Jacobian of one node: the op lowered over symbols, differentiated by SymPy.

The one place that answers "what is ∂node/∂input_k according to SymPy", for every
consumer: the per-node route (a compiled scalar rule, a matrix-level linear rule, or
the node lowered at its real shapes), node localisation (a projection uᵀJ) and explain
(symbolic entries). Constants are substituted as numbers everywhere, so ``x**2``
differentiates to ``2*x`` (the generic ``y*x**y/x`` would be undefined at 0). It reads
each record's ``lower``, ``matrix_views`` and ``matrix_form`` only, never a VJP.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import numpy as np

from diffcheck._lazy import sympy as sp
from diffcheck.backends.symbolic import CompiledEntries, number
from diffcheck.backends.sympy_numpy import numpy_function
from diffcheck.ir import Const, Expr
from diffcheck.ops.base import Op
from diffcheck.symbols import element_symbol

Shape = tuple[int, ...]
MAX_TERMS = 20_000  # the most non-zero local derivatives the "lower" route derives


@dataclass(frozen=True)
class LocalLowering:
    """One node's op over symbols: per input its slot symbols, and the lowered output.

    ``operands`` is what the op was lowered over: the slot symbols of a variable input,
    the numbers of a constant one.
    """

    slots: tuple[np.ndarray, ...]
    operands: tuple[np.ndarray, ...]
    out: np.ndarray


def node_constants(node: Expr) -> tuple[np.ndarray | None, ...]:
    """Per input of ``node``: a constant's value, or None for an input that varies."""
    return tuple(x.value if isinstance(x, Const) else None for x in node.inputs)


def lower_node(
    record: Op, shapes: Sequence[Shape], params: dict[str, Any],
    constants: Sequence[Any] | None = None,
) -> LocalLowering:
    """Lower ``record`` over slot symbols ``in0[...]``, ``in1[...]`` (constants as numbers)."""
    constants = constants if constants is not None else (None,) * len(shapes)
    slots, operands = [], []
    for i, (shape, value) in enumerate(zip(shapes, constants, strict=True)):
        symbols = np.empty(shape, dtype=object)
        for index in np.ndindex(shape):
            symbols[index] = element_symbol(f"in{i}", index)
        slots.append(symbols)
        operands.append(symbols if value is None else numbers(value, shape))
    out = record.lower(*operands, **params)
    return LocalLowering(tuple(slots), tuple(operands), np.asarray(out, dtype=object))


def numbers(value: Any, shape: Shape) -> np.ndarray:
    """A constant as an object array of SymPy numbers (exact for short binary fractions)."""
    values = np.broadcast_to(np.asarray(value, dtype=float), shape)
    return np.vectorize(number, otypes=[object])(values) if shape else np.asarray(
        number(float(values)), dtype=object)


# ----- symbolic entries (explain) -----
def symbolic_entries(
    record: Op, k: int, shapes: Sequence[Shape], params: dict[str, Any],
    constants: Sequence[Any] | None = None, names: Sequence[str] | None = None,
) -> Iterator[tuple[Shape, Shape, Any]]:
    """``(i, j, ∂out[i]/∂input_k[j])`` for every pair in C order, lazily.

    With ``names`` the slot symbols are renamed after differentiating (``x[0]``), so two
    inputs with the same name are still held apart (``∂(x·x)/∂input_0`` is ``x``).
    """
    lowering = lower_node(record, shapes, params, constants)
    rename = {} if names is None else {
        s: element_symbol(name, index)
        for slot, name in zip(lowering.slots, names, strict=True)
        for index, s in np.ndenumerate(slot)
    }
    for i in np.ndindex(lowering.out.shape):
        for j in np.ndindex(shapes[k]):
            derivative = sp.diff(lowering.out[i], lowering.slots[k][j])
            yield i, j, derivative.xreplace(rename) if rename else derivative


# ----- the elementwise route: one scalar rule, applied element by element -----
@cache
def elementwise_rule(
    record: Op, k: int, constants: tuple[float | None, ...], params: tuple = ()
) -> Callable[..., Any]:
    """``∂f/∂(input k)`` of an elementwise op as a NumPy function of all its inputs.

    ``constants`` holds, per input, a scalar constant's value or None.
    """
    lowering = lower_node(record, [()] * len(constants), dict(params), constants)
    derivative = sp.powsimp(sp.diff(lowering.out[()], lowering.slots[k][()]))
    return numpy_function([s[()] for s in lowering.slots], derivative)


# ----- the "lower" route and localisation: the node lowered at its real shapes -----
class SparseJacobian:
    """The non-zero entries of one node's local Jacobian, compiled once for its shapes."""

    def __init__(self, lowering: LocalLowering, k: int, max_terms: int):
        targets = {s: j for j, s in enumerate(lowering.slots[k].ravel())}
        rows, cols, entries = [], [], []
        for i, entry in enumerate(lowering.out.ravel()):
            for s in sorted(entry.free_symbols & targets.keys(), key=targets.__getitem__):
                rows.append(i)
                cols.append(targets[s])
                entries.append(sp.powsimp(sp.diff(entry, s)))
                if len(entries) > max_terms:
                    raise LocalTooLarge(len(entries))
        self.rows = np.asarray(rows, dtype=np.intp)
        self.cols = np.asarray(cols, dtype=np.intp)
        self.in_shape = lowering.slots[k].shape
        every = [s for slot in lowering.slots for s in slot.ravel()]
        array = np.empty(len(entries), dtype=object)
        array[:] = entries
        self.entries = CompiledEntries(every, array)

    def project(self, g: np.ndarray, inputs: Sequence[np.ndarray]) -> np.ndarray:
        """``gᵀJ`` at these input values, shaped as input k."""
        values = [np.float64(v) for value in inputs for v in np.ravel(value)]
        local = self.entries(values)
        weights = np.ravel(g)[self.rows] * local
        total = np.bincount(self.cols, weights=weights, minlength=math.prod(self.in_shape))
        return total.reshape(self.in_shape)


class LocalTooLarge(ValueError):
    """The node's local Jacobian has more non-zero entries than SymPy is asked to derive."""


def _frozen(value: Any) -> Any:
    """A hashable stand-in for a constant's value (None stays None)."""
    if value is None:
        return None
    array = np.asarray(value, dtype=float)
    return array.shape, array.tobytes()


@lru_cache(maxsize=256)
def _sparse_jacobian(record: Op, k: int, shapes: tuple, params: tuple, frozen: tuple,
                     max_terms: int) -> SparseJacobian:
    constants = [None if f is None else np.frombuffer(f[1]).reshape(f[0]) for f in frozen]
    return SparseJacobian(lower_node(record, shapes, dict(params), constants), k, max_terms)


def sparse_jacobian(
    record: Op, k: int, shapes: Sequence[Shape], params: dict[str, Any],
    constants: Sequence[Any] | None = None, max_terms: int = MAX_TERMS,
) -> SparseJacobian:
    """The compiled local Jacobian of input ``k`` (cached); LocalTooLarge above ``max_terms``."""
    out_shape = record.shape(*shapes, **params)
    terms = record.lowered_terms(out_shape, *shapes, **params)
    if terms > max_terms:  # do not even lower it: the lowering alone would take minutes
        raise LocalTooLarge(terms)
    frozen = tuple(_frozen(c) for c in (constants or (None,) * len(shapes)))
    return _sparse_jacobian(record, k, tuple(map(tuple, shapes)), tuple(sorted(params.items())),
                            frozen, max_terms)


def projection(
    record: Op, inputs: Sequence[np.ndarray], params: dict[str, Any], k: int, u: np.ndarray,
    constants: Sequence[Any] | None = None, max_terms: int = MAX_TERMS,
) -> np.ndarray | None:
    """``uᵀ(∂out/∂input_k)`` at ``inputs``, or None when it has more than ``max_terms`` terms."""
    try:
        jacobian = sparse_jacobian(record, k, [np.shape(v) for v in inputs], params, constants,
                                   max_terms)
    except LocalTooLarge:
        return None
    return jacobian.project(u, inputs)


# ----- the linear route: SymPy's matrix calculus on the record's matrix-level form -----
@cache
def _matrix_rule(record: Op, k: int, views: tuple, params: tuple):
    """``d tr(Gᵀ·form(M0, M1, ...)) / dMk`` lambdified, and the shape of G."""
    matrices = [sp.MatrixSymbol(f"M{i}", *view.shape) for i, view in enumerate(views)]
    form = record.matrix_form(*matrices, **dict(params))
    G = sp.MatrixSymbol("G", *form.shape)
    derivative = sp.Trace(G.T * form).diff(matrices[k])
    return sp.lambdify([G, *matrices], derivative, modules="numpy"), tuple(form.shape)


def linear_adjoint(
    record: Op, k: int, g: np.ndarray, inputs: Sequence[np.ndarray], params: dict[str, Any]
) -> np.ndarray:
    """``gᵀ(∂out/∂input_k)`` for an op with a matrix-level form, each input seen as a matrix
    through the record's ``matrix_views`` (axes permuted, then reshaped). Where the rule
    inverts a singular matrix (``inv``, ``solve``) the result is NaN, as its value is."""
    shapes = [np.shape(v) for v in inputs]
    views = tuple(record.matrix_views(*shapes, **params))
    rule, g_shape = _matrix_rule(record, k, views, tuple(sorted(params.items())))
    matrices = [
        np.reshape(np.transpose(v, view.axes), view.shape) for v, view in zip(inputs, views, strict=True)
    ]
    try:
        result = np.asarray(rule(np.reshape(g, g_shape), *matrices))
    except np.linalg.LinAlgError:
        result = np.full(views[k].shape, np.nan)
    axes = views[k].axes
    permuted = np.reshape(result, tuple(shapes[k][a] for a in axes))
    return np.transpose(permuted, np.argsort(axes)) if axes else permuted
