"""Node localisation: find the first node whose tape VJP disagrees with SymPy's derivative.

For each node between the variable and the output (in topological order), the
node's VJP with a random cotangent ``u`` is compared with SymPy's derivative of
``u · node`` taken from the node's own lowering, at the node's actual input values.
This is a diagnosis that reads both rule sets side by side; neither backend uses it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from diffcheck.backends import kernels, sympy_local
from diffcheck.backends.program import compile_program, point_dtype, run_forward
from diffcheck.checking.tolerances import LOCALISATION
from diffcheck.ir import Expr, Var
from diffcheck.printing import expr_str

MAX_TERMS = 20_000  # skip nodes whose symbolic local derivative would be larger
RTOL, ATOL = LOCALISATION


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


def _lowered_size(node: Expr, record) -> int:
    """Roughly how many SymPy terms the node's element-wise lowering has, as its record says."""
    terms = record.lowered_terms(node.shape, *(x.shape for x in node.inputs), **node.kwargs)
    return terms + sum(x.size for x in node.inputs)


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
        node = program.nodes[slot]
        if record is None or not live[slot] or _lowered_size(node, record) > MAX_TERMS:
            continue  # too large to lower element by element: left out of the search
        inputs = [values[a] for a in program.args[slot]]
        kwargs = program.kwargs[slot]
        u = rng.uniform(0.5, 1.5, size=np.shape(values[slot]))
        for k, a in enumerate(program.args[slot]):
            if not live[a]:
                continue
            # The rule the tape itself runs for these shapes (an unbatched cotangent).
            rule = kernels.vjp_for(record, k, tuple(x.shape for x in node.inputs), node.shape, 0, kwargs)
            with np.errstate(all="ignore"):
                tape = np.asarray(rule(u, values[slot], *inputs, **kwargs), dtype=float)
            exact = sympy_local.projection(
                record, inputs, kwargs, k, u, sympy_local.node_constants(node), MAX_TERMS
            )
            if exact is None:
                continue
            if tape.shape != exact.shape or not _agree(tape, exact):
                text = expr_str(program.nodes[slot])
                return NodeDisagreement(slot, record.name, text, k, tape, exact)
    return None
