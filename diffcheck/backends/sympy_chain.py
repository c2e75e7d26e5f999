"""SymPy at scale: per-node derivatives derived by SymPy, composed by the chain rule.

The element-wise closed form of a real layer is far too large (``x @ W1`` of the
lecture's network lowers to 6.4 million products). Here SymPy derives each op's
local derivative once, at the size of a template, and reverse accumulation composes
them over the graph:

- elementwise ops: ``sympy.diff`` of the op's scalar lowering (``f'(t)``, ``∂f/∂s``),
  lambdified and applied elementwise;
- ``@`` and ``.T``: SymPy's matrix calculus on ``MatrixSymbol``s of the real shapes,
  ``d tr(Gᵀ·op(X, Y)) / dX`` (for ``X @ Y`` it answers ``G·Yᵀ``), lambdified;
- ``sum``/``mean``: the coefficient ``∂ out / ∂ x[i]`` from the lowering of the real
  reduction, broadcast back.

Values come from the shared NumPy forward; every derivative rule comes from SymPy and
none from the tape's hand-written VJPs, so this is still an independent derivation.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from diffcheck._lazy import sympy as sp
from diffcheck.backends.program import Program, compile_program, point_dtype, run_forward
from diffcheck.backends.symbolic import symbols_of
from diffcheck.ir import Const, Expr, Var
from diffcheck.ops import REGISTRY
from diffcheck.ops.base import unbroadcast
from diffcheck.progress import advance

HOW = (
    "per-node SymPy derivatives (scalar rules for elementwise ops, matrix calculus for "
    "@ and .T) composed by the chain rule"
)


@cache
def _elementwise_rule(op: str, k: int, constants: tuple):
    """``∂f/∂(input k)`` of an elementwise op as a NumPy function of its inputs.

    ``constants`` holds, per input, a scalar constant's value or None: a constant is
    put into the template, so ``x**2`` is differentiated as ``2*x`` (the generic
    ``t1*t0**t1/t0`` would be undefined at 0).
    """
    from diffcheck.backends.symbolic import number

    record = REGISTRY[op]
    t = [sp.Symbol(f"t{i}", real=True) for i in range(len(constants))]
    template = [t[i] if c is None else number(c) for i, c in enumerate(constants)]
    lowered = record.lower(*(np.asarray(s, dtype=object) for s in template))[()]
    return sp.lambdify(t, sp.powsimp(sp.diff(lowered, t[k])), modules="numpy")


def _as_matrix_shape(shape: tuple[int, ...], left: bool) -> tuple[int, int]:
    """A vector operand of ``@`` as a row (left) or a column (right) matrix."""
    if len(shape) == 2:
        return shape
    return (1, shape[0]) if left else (shape[0], 1)


@cache
def _matmul_rule(k: int, x_shape: tuple[int, int], y_shape: tuple[int, int]):
    """``d tr(Gᵀ X Y) / d(X or Y)`` from SymPy's matrix calculus, lambdified."""
    X = sp.MatrixSymbol("X", *x_shape)
    Y = sp.MatrixSymbol("Y", *y_shape)
    G = sp.MatrixSymbol("G", x_shape[0], y_shape[1])
    derivative = sp.Trace(G.T * X * Y).diff((X, Y)[k])
    return sp.lambdify([G, X, Y], derivative, modules="numpy")


@cache
def _transpose_rule(shape: tuple[int, int]):
    X = sp.MatrixSymbol("X", *shape)
    G = sp.MatrixSymbol("G", shape[1], shape[0])
    return sp.lambdify([G], sp.Trace(G.T * X.T).diff(X), modules="numpy")


@cache
def _reduction_coefficient(op: str, shape: tuple[int, ...], axis) -> float:
    """∂out/∂x for a sum or mean, the same for every element (checked at both ends)."""
    template = symbols_of(Var("r", shape))
    out = REGISTRY[op].lower(template, axis=axis)
    first, last = template.ravel()[0], template.ravel()[-1]
    a = sp.diff(out.ravel()[0], first)
    b = sp.diff(out.ravel()[-1], last)
    if a != b:  # pragma: no cover - sum and mean are uniform by definition
        raise ValueError(f"{op} has no uniform derivative")
    return float(a)


def _local_adjoint(node: Expr, k: int, g: np.ndarray, out, inputs) -> np.ndarray:
    """The adjoint contribution to input ``k`` of ``node`` from SymPy-derived rules."""
    op = node.op
    x = inputs[k]
    if op in ("matmul", "transpose"):
        return _linear(node, k, g, inputs)
    if op in ("sum", "mean"):
        axis = node.kwargs.get("axis")
        c = _reduction_coefficient(op, np.shape(x), axis)
        axes = tuple(range(np.ndim(x))) if axis is None else np.atleast_1d(axis) % np.ndim(x)
        return np.broadcast_to(np.expand_dims(g * c, tuple(int(a) for a in axes)), np.shape(x))
    constants = tuple(
        float(child.value) if isinstance(child, Const) and child.ndim == 0 else None
        for child in node.inputs
    )
    local = _elementwise_rule(op, k, constants)(*inputs)
    return unbroadcast(np.asarray(g * local), np.shape(x), np.ndim(out))


def _linear(node: Expr, k: int, g: np.ndarray, inputs) -> np.ndarray:
    x = inputs[k]
    if node.op == "transpose":
        if np.ndim(x) < 2:
            return g
        return np.asarray(_transpose_rule(np.shape(x))(g))
    left, right = inputs
    ls = _as_matrix_shape(np.shape(left), left=True)
    rs = _as_matrix_shape(np.shape(right), left=False)
    G = np.reshape(g, (ls[0], rs[1]))
    rule = _matmul_rule(k, ls, rs)
    return np.reshape(rule(G, np.reshape(left, ls), np.reshape(right, rs)), np.shape(x))


def gradient(expr: Expr, var: Var, point: dict[str, np.ndarray], seed=None) -> np.ndarray:
    """``seedᵀ ∂expr/∂var`` by reverse accumulation of SymPy-derived local rules."""
    program = compile_program(expr)
    dtype = point_dtype(point)
    values = run_forward(program, point, dtype)
    return _accumulate(program, values, var, np.ones((), dtype) if seed is None else seed)


def _accumulate(program: Program, values: list, var: Var, seed: np.ndarray) -> np.ndarray:
    live = program.live((var.name,))
    adjoint: list = [None] * len(program.nodes)
    adjoint[-1] = np.asarray(seed, dtype=float)
    for i in range(len(program.nodes) - 1, -1, -1):
        g = adjoint[i]
        node = program.nodes[i]
        if g is None or program.records[i] is None:
            continue
        inputs = [values[a] for a in program.args[i]]
        for k, a in enumerate(program.args[i]):
            if live[a]:
                part = _local_adjoint(node, k, g, values[i], inputs)
                adjoint[a] = part if adjoint[a] is None else adjoint[a] + part
    total = np.zeros(var.shape)
    for s in program.var_slots.get(var.name, ()):
        if adjoint[s] is not None:
            total = total + adjoint[s]
    return total


def jacobian(expr: Expr, var: Var, point: dict[str, np.ndarray]) -> np.ndarray:
    """The full Jacobian ``expr.shape + var.shape``, one accumulation per output element."""
    program = compile_program(expr)
    values = run_forward(program, point, point_dtype(point))
    rows = []
    for n, i in enumerate(np.ndindex(expr.shape)):
        advance("per-node SymPy derivatives, output", n, expr.size)
        seed = np.zeros(expr.shape)
        seed[i] = 1.0
        rows.append(_accumulate(program, values, var, seed))
    return np.stack(rows).reshape(expr.shape + var.shape)


def lowered_terms(expr: Expr) -> int:
    """An estimate of the element-wise lowering's size (products summed by ``@`` dominate)."""
    total = 0
    for node in compile_program(expr).nodes:
        if node.op == "matmul":
            total += node.size * node.inputs[0].shape[-1]
        else:
            total += node.size
    return total
