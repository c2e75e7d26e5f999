"""Node localisation: find the first node whose tape VJP disagrees with SymPy's derivative.

For each node between the variable and the output (in topological order), the
node's VJP with a random cotangent ``u`` is compared with SymPy's derivative of
``u · node`` taken from the node's own lowering, at the node's actual input values.
This is a diagnosis that reads both rule sets side by side; neither backend uses it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from diffcheck.backends.program import compile_program, point_dtype, run_forward
from diffcheck.backends.symbolic import CompiledEntries, symbols_of
from diffcheck.ir import Expr, Var
from diffcheck.printing import expr_str

MAX_TERMS = 20_000  # skip nodes whose symbolic local derivative would be larger
RTOL, ATOL = 1e-6, 1e-9


@dataclass(frozen=True)
class NodeDisagreement:
    """The first node whose VJP disagrees with SymPy, and by how much."""

    slot: int
    op: str
    text: str
    input_index: int
    tape: np.ndarray
    sympy: np.ndarray

    def __str__(self) -> str:
        with np.errstate(invalid="ignore"):
            worst = float(np.nanmax(np.abs(self.tape - self.sympy), initial=0.0))
        text = self.text if len(self.text) <= 60 else self.text[:59] + "…"
        return (
            f"tape VJP of {self.op} at node {self.slot}, {text}, disagrees with SymPy "
            f"for input {self.input_index} (largest difference {worst:.3g} in uᵀJ for a "
            "random u)"
        )


def _sympy_projection(record, inputs, kwargs, k, u) -> np.ndarray | None:
    """uᵀ(∂out/∂input_k) from SymPy's differentiation of the op's lowering."""
    import sympy as sp

    symbols = [symbols_of(Var(f"in{i}", np.shape(v))) for i, v in enumerate(inputs)]
    out = record.lower(*symbols, **kwargs)
    targets = {s: j for j, s in enumerate(symbols[k].ravel())}
    grad: list = [sp.Integer(0)] * len(targets)
    terms = 0
    for i, entry in np.ndenumerate(out):
        weight = sp.Float(float(u[i]))
        for s in entry.free_symbols & targets.keys():
            grad[targets[s]] += weight * sp.diff(entry, s)
            terms += 1
            if terms > MAX_TERMS:
                return None
    every = [s for sym in symbols for s in sym.ravel()]
    values = [np.float64(v) for value in inputs for v in np.ravel(value)]
    entries = np.empty(len(grad), dtype=object)
    entries[:] = grad
    return CompiledEntries(every, entries)(values).reshape(np.shape(inputs[k]))


def _lowered_size(node: Expr) -> int:
    """Roughly how many SymPy terms the node's element-wise lowering has."""
    inner = node.inputs[0].shape[-1] if node.op == "matmul" and node.inputs[0].shape else 1
    return node.size * inner + sum(x.size for x in node.inputs)


def _agree(tape: np.ndarray, exact: np.ndarray) -> bool:
    with np.errstate(invalid="ignore"):
        close = np.abs(tape - exact) <= ATOL + RTOL * np.abs(exact)
    return bool(np.all(close | (tape == exact) | (np.isnan(tape) & np.isnan(exact))))


def first_wrong_node(y: Expr, var: Var, point: dict[str, np.ndarray], seed: int = 0):
    """The first node on the way from ``var`` to ``y`` whose VJP disagrees with SymPy."""
    program = compile_program(y)
    values = run_forward(program, point, point_dtype(point))
    live = program.live((var.name,))
    rng = np.random.default_rng(seed)
    for slot, record in enumerate(program.records):
        if record is None or not live[slot] or _lowered_size(program.nodes[slot]) > MAX_TERMS:
            continue  # too large to lower element by element: left out of the search
        inputs = [values[a] for a in program.args[slot]]
        kwargs = program.kwargs[slot]
        u = rng.uniform(0.5, 1.5, size=np.shape(values[slot]))
        for k, a in enumerate(program.args[slot]):
            if not live[a]:
                continue
            # The rule the tape itself runs for these shapes (an unbatched cotangent).
            rule = record.vjp_for(k, program.nodes[a].shape, program.nodes[slot].shape, 0, **kwargs)
            with np.errstate(all="ignore"):
                tape = np.asarray(rule(u, values[slot], *inputs, **kwargs), dtype=float)
            exact = _sympy_projection(record, inputs, kwargs, k, u)
            if exact is None:
                continue
            if tape.shape != exact.shape or not _agree(tape, exact):
                text = expr_str(program.nodes[slot])
                return NodeDisagreement(slot, record.name, text, k, tape, exact)
    return None
