"""SymPy at scale: per-node derivatives derived by SymPy, composed by the chain rule.

The element-wise closed form of a real layer is far too large (``x @ W1`` of the
lecture's network lowers to 6.4 million products). Here SymPy derives each op's
local derivative once, by the rule its record declares (``sympy_route``; the
derivations live in ``sympy_local``), and reverse accumulation composes them:

- ``"elementwise"``: ``sympy.diff`` of the op's scalar lowering (``f'(t)``, ``∂f/∂s``),
  lambdified and applied elementwise;
- ``"linear"`` (``@``, ``.T``, ``sum``, ``mean``): SymPy's matrix calculus on the record's
  matrix-level form over ``MatrixSymbol``s of the real shapes, ``d tr(Gᵀ·op(X, Y)) / dX``
  (for ``X @ Y`` it answers ``G·Yᵀ``), lambdified;
- ``"lower"``: the node lowered at its real shapes, split into SymPy's common
  subexpressions and each step differentiated by SymPy (``sympy_chain``), refused with
  an error above ``LOWER_TERMS`` rather than guessed.

Values come from the shared NumPy forward; every derivative rule comes from SymPy and
none from the tape's hand-written VJPs, so this is still an independent derivation.
"""

from __future__ import annotations

import numpy as np

from diffcheck.backends import sympy_chain, sympy_local
from diffcheck.backends.program import Program, compile_program, point_dtype, run_forward
from diffcheck.ir import Const, Expr, Var
from diffcheck.ops.arrays import unbroadcast
from diffcheck.ops.base import Op
from diffcheck.progress import advance

HOW = (
    "per-node SymPy derivatives (scalar rules for elementwise ops, matrix calculus for "
    "@ and .T) composed by the chain rule"
)
LOWER_TERMS = sympy_local.MAX_TERMS  # the largest node the "lower" route lowers at its real shapes


def _elementwise_adjoint(record: Op, node: Expr, k: int, g, out, inputs) -> np.ndarray:
    """SymPy's scalar derivative applied per element; a scalar constant goes in as a number."""
    constants = tuple(
        float(child.value) if isinstance(child, Const) and child.ndim == 0 else None
        for child in node.inputs
    )
    local = sympy_local.elementwise_rule(record, k, constants, node.params)(*inputs)
    return unbroadcast(np.asarray(g * local), np.shape(inputs[k]), np.ndim(out))


def _linear_adjoint(record: Op, node: Expr, k: int, g, out, inputs) -> np.ndarray:
    """SymPy's matrix calculus on the record's matrix-level form."""
    return sympy_local.linear_adjoint(record, k, g, inputs, node.kwargs)


def _lowered_adjoint(record: Op, node: Expr, k: int, g, out, inputs) -> np.ndarray:
    """The node lowered at its real shapes, split by SymPy's cse into small steps, each
    differentiated by SymPy (``sympy_chain``); refused when too large."""
    shapes = [x.shape for x in node.inputs]
    grouping = record.groups(*shapes, **node.kwargs) if record.groups and len(shapes) == 1 else None
    if grouping is not None:
        return _grouped_adjoint(record, *grouping, g, inputs[0])
    terms = record.lowered_terms(node.shape, *shapes, **node.kwargs)
    if terms > LOWER_TERMS:
        raise ValueError(
            f"{record.name}: the per-node SymPy route lowers this op at its real shapes "
            f"{shapes} (its record declares sympy_route 'lower'): about {terms:,} SymPy "
            f"terms, more than the {LOWER_TERMS:,} it derives; give the op a matrix-level rule "
            "(sympy_route 'linear') or check a smaller instance"
        )
    local = sympy_chain.chain_jacobian(record, k, shapes, node.kwargs, sympy_local.node_constants(node))
    return local.project(g, inputs)


def _grouped_adjoint(record: Op, axes: tuple[int, ...], params: dict, g, x) -> np.ndarray:
    """For an op acting group by group along ``axes`` (a row-wise softmax): one group lowered
    and split by SymPy (cached), projected for every group; the same derivative as lowering
    the whole node, at the cost of one group."""
    x, g = np.asarray(x, dtype=float), np.asarray(g, dtype=float)
    perm = [i for i in range(x.ndim) if i not in axes] + list(axes)
    group_shape = tuple(x.shape[i] for i in axes)
    terms = record.lowered_terms(group_shape, group_shape, **params)
    if terms > LOWER_TERMS:
        raise ValueError(f"{record.name}: the per-node SymPy route lowers one group of shape "
                         f"{group_shape} of this op: about {terms:,} SymPy terms, more than the "
                         f"{LOWER_TERMS:,} it derives; check a smaller instance")
    local = sympy_chain.chain_jacobian(record, 0, [group_shape], params)
    xs = np.transpose(x, perm).reshape((-1, *group_shape))
    gs = np.transpose(g, perm).reshape((-1, *group_shape))
    parts = local.project_rows(gs, [xs])
    return np.transpose(parts.reshape([x.shape[i] for i in perm]), np.argsort(perm))


ROUTES = {"elementwise": _elementwise_adjoint, "linear": _linear_adjoint, "lower": _lowered_adjoint}


def _local_adjoint(record: Op, node: Expr, k: int, g: np.ndarray, out, inputs) -> np.ndarray:
    """The adjoint contribution to input ``k`` of ``node``, by the rule its record declares."""
    return ROUTES[record.sympy_route](record, node, k, g, out, inputs)


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
                part = _local_adjoint(program.records[i], node, k, g, values[i], inputs)
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
    program = compile_program(expr)
    return sum(
        node.size if record is None
        else record.lowered_terms(node.shape, *(x.shape for x in node.inputs), **node.kwargs)
        for node, record in zip(program.nodes, program.records, strict=True)
    )
