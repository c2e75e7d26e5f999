"""Each method's derivative tensor for one variable at one point, and the route it took.

Large problems switch routes, and the report says so: where the element-wise closed
form is predicted dear (``checking.cost``, counting reuse), the reference of a scalar
whose graph is a tree is its closed form in matrix notation (``dc.closed_form``) when
every op on the way has a matrix-level rule, else SymPy's per-node derivatives composed
by the chain rule; numeric differences perturb a seeded sample of the variable's elements.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from diffcheck.backends import numeric, symbolic, sympy_per_node
from diffcheck.backends.program import compile_program
from diffcheck.checking import cost
from diffcheck.derivatives import jacobian_numerator
from diffcheck.ir import Var

if TYPE_CHECKING:
    from diffcheck.checking.pipeline import Run

Index = tuple[int, ...]


@dataclass(frozen=True)
class SeededSample:
    """The elements numeric differences perturb: all of them, or a seeded sample above ``limit``."""

    seed: int | None
    limit: int

    def __call__(self, p: int, var: Var) -> list[Index] | None:
        if var.size <= self.limit:
            return None
        rng = np.random.default_rng([self.seed or 0, p, *map(ord, var.name)])
        picks = rng.choice(var.size, self.limit, replace=False)
        return [tuple(int(i) for i in np.unravel_index(f, var.shape)) for f in picks]


@dataclass(frozen=True)
class FixedSample:
    """The elements numeric differences perturb, chosen beforehand per variable (all when absent)."""

    columns: dict[str, list[Index]]

    def __call__(self, p: int, var: Var) -> list[Index] | None:
        columns = self.columns.get(var.name)
        return None if columns is None or len(columns) == var.size else columns


@dataclass(frozen=True)
class Column:
    """One more column compared with the reference, such as a claim or a chain-rule product.

    ``kind`` is a tolerance kind (``"claimed"``) or the name of a method whose kind the
    column takes here (a product of numeric factors is as exact as numeric differences).
    """

    values: np.ndarray
    kind: str

    def tolerance_kind(self, method_kinds: dict[str, str]) -> str:
        return method_kinds.get(self.kind, self.kind)


@dataclass
class MethodTensors:
    """Numerator-layout tensors by method, their tolerance kinds, and the numeric details."""

    tensors: dict[str, np.ndarray]
    kinds: dict[str, str]
    numeric: numeric.NumericJacobian | None
    closed_form: bool  # the SymPy tensor is the element-wise closed form (refinable at 30 digits)

    def add(self, columns: dict[str, Column]) -> None:
        """Append further columns after the methods' own, each with its tolerance kind."""
        kinds = dict(self.kinds)
        for name, column in columns.items():
            self.tensors[name], self.kinds[name] = column.values, column.tolerance_kind(kinds)


def method_tensors(run: Run, var: Var, p: int, point: dict[str, np.ndarray]) -> MethodTensors:
    """Every method of the run on ``∂y/∂var`` at ``point`` (numeric also when only it finds kinks)."""
    y, methods = run.plan.y, run.plan.methods
    analytic = numeric.is_analytic_path(compile_program(y), var)
    nj = None
    if "numeric" in methods or not analytic:
        nj = _numeric(run, var, p, point, analytic)
    result = MethodTensors({}, {}, nj, closed_form=False)
    for m in methods:
        run.stage(p, m, var)
        if m == "numeric":
            result.tensors[m], result.kinds[m] = nj.values, nj.method
        elif m == "sympy" and not (route := cost.choose(
                y, var, run.plan.routes.sympy_terms, run.plan.wrt)).elementwise \
                and (form := _run_form(run, y, var)) is not None:
            with np.errstate(all="ignore"):
                result.tensors[m], result.kinds[m] = form.evaluate(point).reshape(var.shape), "tape"
            run.note_once(f"sympy: ∂{run.plan.output}/∂{var.name} by its closed form in matrix "
                          f"notation (dc.closed_form: derived over whole arrays, evaluated with "
                          f"NumPy; the element-wise closed form is dear here): {_shown(form)}")
        elif m == "sympy" and not route.elementwise:
            with np.errstate(all="ignore"):
                result.tensors[m], result.kinds[m] = sympy_per_node.jacobian(y, var, point), "tape"
            run.note_once(f"sympy: the per-node route is {sympy_per_node.HOW}")
            run.note_once(route.note(run.plan.output, var.name))
        elif m == "sympy":
            result.closed_form = True
            with np.errstate(all="ignore"):
                result.tensors[m], result.kinds[m] = symbolic.jacobian(y, var, point), "tape"
        else:
            result.tensors[m], result.kinds[m] = jacobian_numerator(y, var, point, m), "tape"
    return result


FORM_CHARS = 120  # of a matrix-notation form in a report note


def _run_form(run: Run, y, var: Var):
    if var.name not in run.matrix_forms:
        run.matrix_forms[var.name] = matrix_form(y, var)
    return run.matrix_forms[var.name]


def matrix_form(y, var: Var):
    """``dc.closed_form(y, var)`` for a scalar ``y`` whose intermediate nodes each have one
    user (a tree over its leaves: a node reused at every level, as in a residual net, makes
    whole-array forms grow exponentially) and whose ops all have a matrix-level rule; else
    None, and the per-node route is taken instead."""
    if y.shape != () or _reuses_a_node(y):
        return None
    from diffcheck.matrix_forms import closed_form

    try:
        return closed_form(y, var)
    except ValueError:  # NoMatrixRule, or a shape case the matrix rules do not cover
        return None


def _reuses_a_node(y) -> bool:
    """Whether an intermediate node (not a variable or constant) of ``y`` has two users."""
    from diffcheck.checking.routes import parents
    from diffcheck.ir import Const, toposort

    leaves = {id(n) for n in toposort(y) if isinstance(n, Var | Const)}
    return any(len(users) > 1 for node_id, users in parents(y).items() if node_id not in leaves)


def _shown(form) -> str:
    text = str(form)
    return text if len(text) <= FORM_CHARS else text[: FORM_CHARS - 1] + "…"


def _numeric(run: Run, var: Var, p: int, point: dict, analytic: bool) -> numeric.NumericJacobian:
    """Numeric differences on the columns the plan's sample picks (all when it picks None)."""
    columns = run.plan.numeric_sample(p, var)
    if columns is not None:
        run.note_once(
            f"numeric: a seeded sample of {len(columns)} of the {var.size} elements of "
            f"{var.name} is perturbed ({'one complex step' if analytic else 'one ± pair'} "
            "each); the rest are compared "
            "between sympy and tape only"
        )
    run.stage(p, "numeric", var)
    with np.errstate(all="ignore"):
        return numeric.jacobian(run.plan.y, var, point, columns)
