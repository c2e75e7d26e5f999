"""Which SymPy reference to take for one variable: chosen by predicted cost, before any work.

Two SymPy references give the same derivative:

- the element-wise closed form (``backends.symbolic``): every output lowered to one
  SymPy expression, ``sympy.diff`` by every element of the variable it reaches, one
  ``lambdify`` of the whole tensor. Its cost grows with the size of the expressions
  *as trees*, so it is predicted by ``backends.sympy_size``, which counts paths (a node
  read twice per level doubles the tree) and weighs conditional SymPy nodes (``Max``,
  ``Min``, ``Piecewise``), whose derivatives and printing are far dearer;
- the per-node route (``backends.sympy_per_node``): each op's local derivative derived
  by SymPy once per op, shapes and params (cached per process), composed by reverse
  accumulation, one pass per output element.

The element-wise closed form is taken where it is predicted cheaper than the per-node
route, or where the closed forms of all the check's variables together are predicted
under ``ELEMENTWISE_BUDGET`` seconds; otherwise the per-node route. The constants were
measured once on the project's machine with ``benchmarks/sympy_routing.py --calibrate``
(2 cores, Python 3.11, SymPy 1.14). They are rough (the closed form of a small
expression ran up to a few times its prediction), but where the routes differ their
predictions are orders of magnitude apart, so the choice does not hinge on them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from diffcheck.backends import sympy_per_node, sympy_size
from diffcheck.backends.program import compile_program
from diffcheck.ir import Expr, Var

ELEMENTWISE_BUDGET = 0.5  # seconds, for all variables of a check: the closed form is taken below
SETUP_SECONDS = 0.03  # element-wise: per variable, lambdify with cse and Python code generation
TERM_SECONDS = 6e-5  # element-wise: per tree node differentiated and compiled
RULE_SECONDS = 0.01  # per-node: per op node, a SymPy rule derived (once per process)
STEP_SECONDS = 2e-5  # per-node: per op node and output element, one local adjoint
LOWER_TERM_SECONDS = 5e-4  # per-node: per lowered term of an op lowered at its real shapes


@dataclass(frozen=True)
class SympyRoute:
    """The SymPy reference chosen for ``∂y/∂var``, and the predictions it was chosen by."""

    elementwise: bool
    elementwise_seconds: float  # inf when the closed form is too large even to estimate
    per_node_seconds: float  # inf when an op is too large for the per-node route
    tree_terms: float  # tree nodes SymPy would differentiate element-wise (inf: not estimated)
    at_least: bool = False  # the closed form was ruled out by the quick estimate, a lower bound

    @property
    def name(self) -> str:
        return "element-wise closed form" if self.elementwise else "per-node"

    def note(self, output: str, var: str) -> str:
        """One line for the report: which reference, and why."""
        if self.elementwise:
            return (f"sympy: ∂{output}/∂{var} by the element-wise closed form (predicted "
                    f"{self.elementwise_seconds:.2g} s)")
        more = "at least " if self.at_least else ""
        size = ("too large to estimate" if self.tree_terms == float("inf")
                else f"{more}{self.tree_terms:.2g} tree nodes counting reuse")
        return (f"sympy: ∂{output}/∂{var} by the per-node route (predicted "
                f"{_seconds(self.per_node_seconds)}; the element-wise closed form: {size}, "
                f"predicted {more}{_seconds(self.elementwise_seconds)})")


def _seconds(value: float) -> str:
    return "too large" if value == float("inf") else f"{value:.2g} s"


def elementwise_seconds(y: Expr, var: Var, max_terms: int) -> tuple[float, float]:
    """Predicted seconds and tree nodes of the element-wise closed form (inf above
    ``max_terms`` lowered terms, counted per node, where it is not even probed)."""
    if sympy_per_node.lowered_terms(y) > max_terms:
        return float("inf"), float("inf")
    size = sympy_size.closed_form_size(y, var)
    if size is None:
        return float("inf"), float("inf")
    return closed_form_seconds(size.terms), size.terms


def closed_form_seconds(terms: float) -> float:
    """Predicted seconds of the element-wise closed form with ``terms`` tree nodes."""
    return SETUP_SECONDS + TERM_SECONDS * terms


def per_node_seconds(y: Expr, var: Var) -> float:
    """Predicted seconds of the per-node route: rules derived, then one pass per output."""
    program = compile_program(y)
    live = program.live((var.name,))
    total = 0.0
    for node, record, is_live in zip(program.nodes, program.records, live, strict=True):
        if record is None or not is_live:
            continue
        total += RULE_SECONDS + STEP_SECONDS * y.size
        if record.sympy_route == "lower":
            terms = record.lowered_terms(node.shape, *(x.shape for x in node.inputs), **node.kwargs)
            if terms > sympy_per_node.LOWER_TERMS:
                return float("inf")
            total += LOWER_TERM_SECONDS * terms
    return total


def _quick_terms(y: Expr, var: Var) -> float:
    """A lower bound of the element-wise closed form's tree nodes, without SymPy (cached on ``y``)."""
    key = ("sympy-quick", var.name, var.shape)
    if key not in y._cache:
        y._cache[key] = sympy_size.quick_terms(y, var)
    return y._cache[key]


def _estimate(y: Expr, var: Var, max_terms: int, together: bool) -> SympyRoute:
    """Both predictions for one variable (cached on ``y``), as a route that is not chosen yet.

    The closed form is probed with SymPy only when its cheap lower bound could still win:
    beat the per-node route, or, when the check's variables might fit
    ``ELEMENTWISE_BUDGET`` ``together``, stay under it.
    """
    key = ("sympy-estimate", var.name, var.shape, max_terms, together)
    cached = y._cache.get(key)
    if cached is not None:
        return cached
    per_node = per_node_seconds(y, var)
    quick = _quick_terms(y, var)  # no SymPy: enough to rule out a dear closed form
    at_least = closed_form_seconds(quick) > (max(ELEMENTWISE_BUDGET, per_node) if together else per_node)
    if at_least:
        closed, terms = closed_form_seconds(quick), quick
    else:
        closed, terms = elementwise_seconds(y, var, max_terms)
    estimate = y._cache[key] = SympyRoute(False, closed, per_node, terms, at_least)
    return estimate


def choose(y: Expr, var: Var, max_terms: int, wrt: Sequence[Var] = ()) -> SympyRoute:
    """The SymPy reference for ``∂y/∂var`` in a check of ``wrt`` (``var`` alone by default).

    The element-wise closed form is taken where it is predicted cheaper than the per-node
    route, or where the closed forms of every variable of ``wrt`` together are predicted
    under ``ELEMENTWISE_BUDGET``; never above ``max_terms`` lowered terms (counted per node).
    """
    wrt = tuple(wrt) or (var,)
    together = sum(closed_form_seconds(_quick_terms(y, v)) for v in wrt) <= ELEMENTWISE_BUDGET
    mine = _estimate(y, var, max_terms, together)
    total = (sum(_estimate(y, v, max_terms, together).elementwise_seconds for v in wrt)
             if together else float("inf"))
    cheap = mine.elementwise_seconds < float("inf") and (
        mine.elementwise_seconds <= mine.per_node_seconds or total <= ELEMENTWISE_BUDGET)
    return dataclasses.replace(mine, elementwise=cheap)
