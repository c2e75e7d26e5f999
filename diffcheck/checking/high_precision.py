"""Re-evaluation at 30 significant digits, where float64 rounding misleads a comparison.

Where the float64 closed form disagrees with the other methods, it is re-evaluated
with 30 digits: if that moves it, the point is ill-conditioned for the closed form, and
the 30-digit value becomes the reference (column ``sympy-30``). Where only numeric
differences disagree, the function value itself is re-evaluated: if float64 loses its
digits there, numeric differences of it cannot be trusted and are not blamed.
"""

from __future__ import annotations

import numpy as np

from diffcheck.backends import symbolic
from diffcheck.backends.program import compile_program, point_dtype, run_forward
from diffcheck.checking.report import Report
from diffcheck.checking.tolerances import FUNCTION_VALUE_RTOL, HIGH_PRECISION_MOVED
from diffcheck.ir import Expr, Var

DIGITS = 30
LIMIT = 64  # elements per point and variable re-evaluated at 30 digits
COLUMN = "sympy-30"


def refine_reference(
    report: Report, y: Expr, var: Var, p: int, point: dict, tensors: dict, ref: np.ndarray,
    bad: np.ndarray,
) -> np.ndarray:
    """Re-evaluate disagreeing closed-form entries at 30 digits; keep them if they moved.

    Moved entries also go to ``tensors[COLUMN]`` (NaN elsewhere), with a note.
    """
    indices = [tuple(int(i) for i in ix) for ix in np.argwhere(bad)][:LIMIT]
    try:
        precise = symbolic.jacobian_entries_precise(y, var, point, indices, DIGITS)
    except (TypeError, ValueError, ArithmeticError):
        return ref
    rtol, atol = HIGH_PRECISION_MOVED
    moved = []
    for index, value in zip(indices, precise, strict=True):
        if np.isnan(value) or value == ref[index]:
            continue  # no better value, or the same one (equal infinities)
        if not abs(value - ref[index]) <= atol + rtol * abs(value):
            moved.append((index, ref[index], value))
            ref[index] = value
    if moved:
        tensors[COLUMN] = np.full(ref.shape, np.nan)
        for index, _, value in moved:
            tensors[COLUMN][index] = value
        worst = max(abs(old - new) for _, old, new in moved)
        report.notes.append(
            f"ill-conditioned here: SymPy's closed form for ∂{report.output}/∂{var.name}, "
            f"evaluated in float64 at point {p}, is off by up to {worst:.3g} at {len(moved)} "
            f"element(s); its {DIGITS}-digit value (column sympy-30) is the "
            "reference there. This is lost precision, not a wrong gradient."
        )
    return ref


def unreliable_numeric(
    report: Report, y: Expr, var: Var, p: int, point: dict, only_numeric: np.ndarray
) -> np.ndarray:
    """Of the elements only numeric gets wrong, those where the function itself is
    ill-conditioned in float64 (so its differences cannot be trusted), with a note."""
    outputs = sorted({tuple(int(i) for i in ix[: y.ndim]) for ix in np.argwhere(only_numeric)})
    outputs = outputs[:LIMIT]
    if not outputs:
        return only_numeric
    try:
        precise = symbolic.values_precise(y, point, outputs, DIGITS)
    except (TypeError, ValueError, ArithmeticError):
        return np.zeros(only_numeric.shape, bool)
    with np.errstate(all="ignore"):
        value = np.asarray(run_forward(compile_program(y), point, point_dtype(point))[-1])
    unreliable = np.zeros(only_numeric.shape, bool)
    worst = 0.0
    for index, exact in zip(outputs, precise, strict=True):
        error = abs(float(value[index]) - exact) / max(abs(exact), np.finfo(float).tiny)
        if not error <= FUNCTION_VALUE_RTOL:
            unreliable[index] = only_numeric[index]
            worst = max(worst, error)
    if unreliable.any():
        report.notes.append(
            f"ill-conditioned here: at point {p} the function itself loses precision in "
            f"float64 (relative error up to {worst:.3g}), so numeric differences of it "
            f"cannot be trusted for {int(unreliable.sum())} element(s) of "
            f"∂{report.output}/∂{var.name}; they are not counted as mismatches."
        )
    return unreliable
