"""``check(..., order=2)`` and ``check_gradient(..., order=2)``: Hessians compared element
by element across three independent derivations, and a hand-derived Hessian checked.

For each point and each block ``∂²y/∂a∂b``: SymPy's second derivative of the closed
form (the reference; left out with a note when the element-wise form would be too
large, the tape then being the reference), the tape's complex step through its own
reverse sweep, and differences of function values, compared by the first-order
comparator (``checking.comparison``: the same tolerance table, rounding allowances
and kink handling). Elements are then named ``∂²y/∂x[0]∂x[2]``, and a failing claim
is diagnosed (asymmetry, a factor, a missing term).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from diffcheck.backends import hvp as tape_hvp
from diffcheck.backends import second_differences, symbolic_hessian
from diffcheck.backends.program import compile_program
from diffcheck.checking.check_inputs import (
    METHODS,
    RouteLimits,
    resolve_points,
    validate_methods,
    wrt_list,
)
from diffcheck.checking.comparison import compare_elements
from diffcheck.checking.hessian_report import HessianReport, claim_hints, method_blame, rename, swap
from diffcheck.checking.method_tensors import Column, MethodTensors
from diffcheck.checking.pipeline import CheckPlan, Run, note_non_finite
from diffcheck.checking.second_claims import claim_evaluator, claim_value
from diffcheck.ir import Expr, Var
from diffcheck.progress import reporting, stage
from diffcheck.second_order import MAX_TAPE_ENTRIES, block_vars, scalar_expression

DEFAULT_POINTS = 3
NUMERIC_ENTRIES = 1024  # above this many entries per block, numeric differences sample them


def check_hessian(
    y: Expr, wrt: Any, at: Any = None, *, claimed: Any = None, methods: Sequence[str] = METHODS,
    rtol: float | None = None, atol: float | None = None, seed: int | None = None,
    n_points: int = DEFAULT_POINTS, name: str = "y", progress: bool | None = None,
    title: str = "check (order 2)",
) -> HessianReport:
    """Compare the Hessian blocks of a scalar ``y`` across ``methods`` (and a claim).

    Without a claim, ``wrt`` is a variable or a list of them and every block ``∂²y/∂a∂b``
    over the list is compared. With a claim, ``wrt`` is one variable (the claim has shape
    ``x.shape + x.shape``) or a pair ``(x1, x2)`` (the mixed block ``x1.shape + x2.shape``).
    """
    y = scalar_expression(y)
    methods = validate_methods(methods)
    if claimed is None:
        wrt_vars = wrt_list(y, wrt)
        blocks = [(a, b) for a in wrt_vars for b in wrt_vars]
    else:
        blocks = [block_vars(y, wrt)]
    notes: list[str] = []
    methods = _affordable(y, blocks, methods, notes)
    points, seed, point_notes = resolve_points(y, at, seed, n_points)
    evaluators = {}
    if claimed is not None:
        first, second = blocks[0]
        evaluators[_key(first, second)] = claim_evaluator(
            claimed, y, first, second, at is not None and len(points) == 1)
    routes = RouteLimits(symbolic_hessian.MAX_TERMS, NUMERIC_ENTRIES)
    plan = CheckPlan(y, tuple(dict.fromkeys(v for pair in blocks for v in pair)), points, seed,
                     methods, routes, title=title, output=name, notes=[*point_notes, *notes],
                     rtol=rtol, atol=atol, progress=progress)
    report = HessianReport(
        output=name, wrt=tuple(v.name for v in plan.wrt), methods=methods, reference=plan.reference,
        tolerances={}, points=list(points), seed=seed, title=title, notes=list(plan.notes),
        blocks=tuple((a.name, b.name) for a, b in blocks),
    )
    run = Run(plan, report)
    keyed = {_key(a, b): (a, b) for a, b in blocks}
    with reporting(progress):
        for p, point in enumerate(points):
            note_non_finite(report, y, p, point)
            for key, (a, b) in keyed.items():
                _check_block(run, key, a, b, p, point, evaluators.get(key))
    _describe_methods(run, blocks)
    if not report.ok:
        report.hints += claim_hints(report, keyed) + method_blame(report)
    return report


def _key(a: Var, b: Var) -> str:
    """The name a block is compared under (the variable's own for a diagonal block)."""
    return a.name if a.name == b.name else f"{a.name}__{b.name}"


def _affordable(y: Expr, blocks, methods: tuple[str, ...], notes: list[str]) -> tuple[str, ...]:
    """The methods that can run at this size: SymPy is left out (with a note) when its
    element-wise second derivative would be too large; a block too large for the tape
    is a ValueError before any work."""
    for a, b in blocks:
        if "tape" in methods and a.size * b.size > MAX_TAPE_ENTRIES:
            raise ValueError(f"check(order=2): the block ∂²y/∂{a.name}∂{b.name} has {a.size * b.size} "
                             f"entries, above {MAX_TAPE_ENTRIES}; check Hessian-vector products instead")
    why = next((w for a, b in blocks if (w := symbolic_hessian.too_large(y, a, b))), None)
    if "sympy" not in methods or why is None:
        return methods
    rest = tuple(m for m in methods if m != "sympy")
    if not rest:
        raise ValueError(f"check(order=2): sympy only, but {why}")
    notes.append(f"sympy: left out because {why}; the reference is {rest[0]}")
    return rest


def _check_block(run: Run, key: str, a: Var, b: Var, p: int, point: dict, evaluator) -> None:
    columns = hessian_tensors(run, a, b, p, point)
    if evaluator is not None:
        value = claim_value(evaluator, point, a, b)
        columns.add({"claimed": Column(value, "claimed")})
    start = (len(run.report.mismatches), len(run.report.kinks))
    compare_elements(run, Var(key, a.shape + b.shape), p, point, columns)
    rename(run.report, key, a, b, start)


def hessian_tensors(run: Run, a: Var, b: Var, p: int, point: dict) -> MethodTensors:
    """Every method's block ``∂²y/∂a∂b`` at one point; numeric also when only it finds kinks."""
    y, methods = run.plan.y, run.plan.methods
    names = tuple(sorted({a.name, b.name}))
    analytic = second_differences.is_analytic_path(compile_program(y), names)
    nj = None
    if "numeric" in methods or not analytic:
        stage(f"point {p + 1}/{len(run.report.points)}, numeric ∂²{run.report.output}/∂{a.name}∂{b.name}")
        entries = _sample(run, a, b, p)
        with np.errstate(all="ignore"):
            nj = second_differences.hessian(y, a, b, point, entries)
    result = MethodTensors({}, {}, nj, closed_form=False)
    for m in methods:
        stage(f"point {p + 1}/{len(run.report.points)}, {m} ∂²{run.report.output}/∂{a.name}∂{b.name}")
        if m == "numeric":
            result.tensors[m], result.kinds[m] = nj.values, nj.method
        elif m == "sympy":
            with np.errstate(all="ignore"):
                result.tensors[m], result.kinds[m] = symbolic_hessian.hessian(y, a, b, point), "tape"
        else:
            result.tensors[m], result.kinds[m] = tape_hvp.hessian(y, a, b, point), "tape"
    return result


def _sample(run: Run, a: Var, b: Var, p: int) -> list | None:
    """A seeded sample of the block's entries for numeric differences, or None for all."""
    size = a.size * b.size
    if size <= NUMERIC_ENTRIES:
        return None
    rng = np.random.default_rng([run.plan.seed or 0, p, *map(ord, a.name + "/" + b.name)])
    picks = rng.choice(size, NUMERIC_ENTRIES, replace=False)
    run.note_once(f"numeric: a seeded sample of {NUMERIC_ENTRIES} of the {size} entries of "
                  f"∂²y/∂{a.name}∂{b.name} is differenced; the rest are compared between the "
                  "other methods only")
    return [tuple(int(i) for i in np.unravel_index(f, a.shape + b.shape)) for f in picks]


def _describe_methods(run: Run, blocks) -> None:
    """Notes: how each method derived the Hessian, and whether its blocks are symmetric."""
    report, y = run.report, run.plan.y
    if "tape" in report.methods:
        report.notes.append("tape: the complex step (h = 1e-20) through the tape's own reverse "
                            "sweep, Im ∇f(x + ih·e_j)/h, one sweep per column")
    if "numeric" in report.methods:
        analytic = all(second_differences.is_analytic_path(compile_program(y), tuple({a.name, b.name}))
                       for a, b in blocks)
        report.notes.append(
            "numeric: differences of function values only: a complex step in one variable and a "
            "central difference (step ε^(1/3)·max(1, |x|)) in the other" if analytic else
            "numeric: second central differences of function values (step ε^(1/4)·max(1, |x|), "
            "shortened 8× and 64× where a stencil crosses a kink)")
    for (p, key), tensors in sorted(report.jacobians.items()):
        a, b = next((a, b) for a, b in blocks if _key(a, b) == key)
        if a.name != b.name or p != 0:
            continue
        for m, t in tensors.items():
            if m in ("claimed", "sympy-30") or not np.isfinite(t).all():
                continue
            gap = float(np.max(np.abs(t - swap(t, a.ndim)), initial=0.0))
            scale = float(np.max(np.abs(t), initial=0.0)) or 1.0
            report.notes.append(f"symmetry: the {m} Hessian ∂²{report.output}/∂{a.name}² at point 0 "
                                f"is symmetric to {gap / scale:.1e} (relative)")


def check_order(order: int, y: Expr, wrt: Any, at: Any = None, *, claimed: Any = None,
                mode: str = "full", **options: Any) -> HessianReport:
    """The entry of ``check``/``check_gradient`` with ``order=2`` (their other options as
    there); a ValueError for any other order or for fast mode."""
    if isinstance(order, bool) or order != 2:
        raise ValueError(f"order must be 1 (derivatives) or 2 (Hessians), got {order!r}")
    if mode != "full":
        raise ValueError(f"order=2 compares every Hessian element: mode must be 'full', got {mode!r}")
    if claimed is None:
        return check_hessian(y, wrt, at, **options)
    return check_hessian(y, wrt, at, claimed=claimed, title="check_gradient (order 2)", **options)
