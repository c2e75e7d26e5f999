"""Fast screening: compare random projections ``uᵀJv`` before any full Jacobian.

Each projection costs one reverse pass for the tape and one (complex step) or two
(central) forward passes for numeric differences, whatever the size of the Jacobian.
With ``u`` and ``v`` drawn from a standard normal, a wrong Jacobian ``J + E`` gives
``uᵀEv != 0`` with probability 1 in exact arithmetic; the test can only miss errors
that hide inside the tolerance band (measured in ``benchmarks/fast_mode_misses.py``).
When any projection disagrees, the caller falls back to the element-wise comparison,
so a failing report still names the wrong elements.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from diffcheck.backends import numeric, symbolic, tape
from diffcheck.checking.tolerances import tolerance
from diffcheck.ir import Expr, Var

if TYPE_CHECKING:
    from diffcheck.checking.method_tensors import Column
    from diffcheck.checking.pipeline import Run

PROJECTIONS = 3


def projections(
    y: Expr,
    var: Var,
    point: dict[str, np.ndarray],
    methods: tuple[str, ...],
    rng,
    count: int,
    extra: dict[str, np.ndarray] | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray, str] | None:
    """``uᵀJv`` for ``count`` random (u, v) by each method, plus each projection's scale.

    ``extra`` holds tensors already known in full (a claimed derivative), projected with
    the same ``u`` and ``v``. The scale ``‖Jᵀu‖·‖v‖`` (an upper bound of ``|uᵀJv|``,
    from the tape) sets the relative tolerance; None means a projection could not be
    taken (a kink within the numeric step).
    """
    extra = extra or {}
    values: dict[str, list[float]] = {m: [] for m in (*methods, *extra)}
    scales: list[float] = []
    kind = "complex-step"
    full = symbolic.jacobian(y, var, point) if "sympy" in methods else None
    for _ in range(count):
        u = rng.standard_normal(y.shape)
        v = rng.standard_normal(var.shape)
        ut_j = tape.vector_jacobian(y, var, point, u)
        scales.append(float(np.linalg.norm(ut_j) * np.linalg.norm(v)))  # bounds |uᵀJv|
        for m, tensor in extra.items():
            values[m].append(float(np.tensordot(np.tensordot(u, tensor, y.ndim), v, var.ndim)))
        for m in methods:
            if m == "tape":
                values[m].append(float(np.sum(ut_j * v)))
            elif m == "sympy":
                values[m].append(float(np.tensordot(np.tensordot(u, full, y.ndim), v, var.ndim)))
            else:
                with np.errstate(all="ignore"):
                    jv, kind = numeric.directional(y, var, point, v)
                if jv is None:
                    return None
                values[m].append(float(np.sum(u * jv)))
    return {m: np.array(vals) for m, vals in values.items()}, np.array(scales), kind


def agree(values: dict[str, np.ndarray], scales: np.ndarray, reference: str, tolerances) -> bool:
    """True when every method's projections match the reference within the scaled band.

    A non-finite projection or scale never agrees (``≤ inf`` accepts anything): the
    element-wise comparison then handles infinite and NaN derivatives.
    """
    if not all(np.all(np.isfinite(v)) for v in (scales, *values.values())):
        return False
    ref = values[reference]
    for m, vals in values.items():
        if m == reference:
            continue
        rtol, atol = tolerances[m]
        if not np.all(np.abs(vals - ref) <= atol + rtol * scales):
            return False
    return True


def screen(run: Run, var: Var, p: int, point: dict, extra: dict[str, Column]) -> bool:
    """Fast mode: True when the projections agree, so the element-wise comparison is skipped.

    ``extra`` holds further full tensors to screen as well, such as a claimed derivative.
    """
    report, plan = run.report, run.plan
    rng = np.random.default_rng([report.seed or 0, p, len(var.name), *map(ord, var.name)])
    given = {name: column.values for name, column in extra.items()}
    result = projections(plan.y, var, point, report.methods, rng, plan.projections, given)
    if result is not None:
        values, scales, kind = result
        dtype = np.result_type(*point.values()) if point else np.float64
        kinds = {m: kind if m == "numeric" else "tape" for m in report.methods}
        kinds.update({name: column.tolerance_kind(kinds) for name, column in extra.items()})
        tolerances = {m: tolerance(kinds[m], dtype, plan.rtol, plan.atol) for m in values}
        if agree(values, scales, report.reference, tolerances):
            report.projections += plan.projections
            for m in values:
                if m != report.reference:
                    report.tolerances.setdefault(m, tolerances[m])
            if "numeric" in report.methods:
                report.numeric_kind.setdefault(var.name, kind)
            return True
    report.notes.append(
        f"fast mode: the projections of ∂{report.output}/∂{var.name} at point {p} "
        + ("disagreed" if result is not None else "met a kink")
        + "; every element was compared instead"
    )
    return False
