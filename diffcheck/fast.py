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

import numpy as np

from diffcheck.backends import numeric, symbolic, tape
from diffcheck.ir import Expr, Var

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
