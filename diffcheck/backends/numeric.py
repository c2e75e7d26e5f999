"""Numeric differences over the NumPy forward: complex step where exact, central otherwise.

Reads each op's ``forward``, ``analytic`` flag and kink predicate (``kink_side``) only.
When every op between the variable and the output is complex-analytic, ``Im f(x + ih) / h`` is exact to
rounding (no cancellation); its error grows like ``(h/x)²``, so the step shrinks with
``|x|`` below 1 (``log`` at ``x = 1e-17`` needs ``h ≪ 1e-17``). Otherwise central
differences with a dtype-aware step are used, and they are kink-aware: a step that
would cross a kink of ``relu``/``abs`` is replaced by a one-sided difference, and where
both sides cross (the point sits on the kink) the element is reported as
non-differentiable with its one-sided values.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from diffcheck.backends.program import Program, compile_program, point_dtype, rerun, run_forward
from diffcheck.ir import Expr, Var
from diffcheck.progress import advance

COMPLEX_STEP = 1e-20  # relative to |x| when |x| < 1


@dataclass(frozen=True)
class NumericJacobian:
    """A numeric Jacobian (``y.shape + x.shape``) and what it found about kinks."""

    values: np.ndarray
    method: str  # "complex-step" or "central"
    kink: np.ndarray  # True where the one-sided derivatives differ
    left: np.ndarray  # one-sided values (NaN where not computed)
    right: np.ndarray
    at_kink: bool  # some kink op's input sits exactly on its kink at this point
    noise: np.ndarray | float = 0.0  # rounding error allowance of each element (central only)
    sampled: np.ndarray | None = None  # where only some input elements were perturbed


def is_analytic_path(program: Program, var: Var) -> bool:
    """True when every op that depends on ``var`` is complex-analytic."""
    live = program.live((var.name,))
    return all(r is None or r.analytic or not lv for r, lv in zip(program.records, live, strict=True))


def complex_steps(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """The complex step for each element of ``x``: ``COMPLEX_STEP · min(|x|, 1)`` (1 for x = 0).

    Small against ``x`` however tiny ``x`` is, and never below the smallest normal number,
    so that ``Im f = h·f'`` keeps its digits.
    """
    size = np.abs(np.asarray(x, dtype=dtype))
    scale = np.where((size > 0) & (size < 1), size, 1.0)
    return np.maximum(COMPLEX_STEP * scale, np.finfo(dtype).tiny).astype(dtype)


def jacobian(
    expr: Expr, var: Var, point: dict[str, np.ndarray], columns: list[tuple] | None = None
) -> NumericJacobian:
    """The Jacobian of ``expr`` with respect to ``var`` at ``point``.

    With ``columns`` only those elements of ``var`` are perturbed (one perturbation
    each); the other entries are NaN and ``sampled`` marks the computed ones.
    """
    program = compile_program(expr)
    if var.name not in program.var_slots:
        zeros = np.zeros(expr.shape + var.shape)
        nan = np.full_like(zeros, np.nan)
        return NumericJacobian(zeros, "complex-step", zeros.astype(bool), nan, nan, False)
    wanted = list(np.ndindex(var.shape)) if columns is None else columns
    if is_analytic_path(program, var):
        result = _complex_step(program, expr, var, point, wanted)
    else:
        result = _central(program, expr, var, point, wanted)
    if columns is None:
        return result
    sampled = np.zeros(expr.shape + var.shape, bool)
    for j in columns:
        sampled[(Ellipsis, *j)] = True
    return replace(result, sampled=sampled)


def _complex_step(program: Program, expr: Expr, var: Var, point: dict, wanted) -> NumericJacobian:
    dtype = point_dtype(point)
    ctype = np.result_type(dtype, np.complex64)
    base = run_forward(program, point, dtype)  # nodes off the path stay real and are reused
    x0 = point[var.name].astype(ctype)
    steps = complex_steps(point[var.name], dtype)
    columns = {}
    for n, j in enumerate(wanted):
        advance("complex steps", n, len(wanted))
        x = x0.copy()
        x[j] += 1j * steps[j]
        out = rerun(program, base, var.name, x)[-1]
        columns[j] = np.imag(out) / steps[j]
    values = _assemble(columns, expr.shape, var.shape).astype(dtype)
    nan = np.full_like(values, np.nan)
    return NumericJacobian(values, "complex-step", np.zeros(values.shape, bool), nan, nan, False)


def _central(program: Program, expr: Expr, var: Var, point: dict, wanted) -> NumericJacobian:
    dtype = point_dtype(point)
    eps = np.finfo(dtype).eps
    kink_slots = [i for i, r in enumerate(program.records) if r is not None and r.has_kinks]

    base = run_forward(program, point, dtype)

    def run(x):
        values = rerun(program, base, var.name, x)
        parts = [np.ravel(_kink_side(program, values, i)) for i in kink_slots]
        return values[-1], (np.concatenate(parts).astype(dtype).tobytes() if parts else b"")

    f0, sides0 = run(point[var.name])
    at_kink = 0 in np.frombuffer(sides0, dtype=dtype)
    columns, lefts, rights, kinks, noises = {}, {}, {}, {}, {}
    size = float(np.max(np.abs(f0)))
    for n, j in enumerate(wanted):
        advance("central differences", n, len(wanted))
        x0 = point[var.name]
        scale = max(1.0, abs(float(x0[j])))
        columns[j], lefts[j], rights[j], kinks[j], h = _difference(
            run, x0, j, f0, sides0, scale, eps
        )
        # Each of the two function values carries ~ a few eps of its size in rounding.
        noises[j] = np.full(np.shape(f0), 8 * eps * size / h)
    shapes = (expr.shape, var.shape)
    return NumericJacobian(
        _assemble(columns, *shapes),
        "central",
        _assemble(kinks, *shapes, fill=False).astype(bool),
        _assemble(lefts, *shapes),
        _assemble(rights, *shapes),
        at_kink,
        _assemble(noises, *shapes),
    )


def _kink_side(program: Program, values: list, i: int) -> np.ndarray:
    """Which smooth piece node ``i``'s inputs lie on (0 on a kink), as its op record says."""
    return program.records[i].kink_side(*(values[a] for a in program.args[i]), **program.kwargs[i])


def _difference(run, x0, j, f0, sides0, scale, eps):
    """One Jacobian column by central (or one-sided, near a kink) differences."""
    h = np.cbrt(eps) * scale
    plus, minus = _shifted(x0, j, h), _shifted(x0, j, -h)
    (fp, sp_), (fm, sm) = run(plus), run(minus)
    nan = np.full(np.shape(f0), np.nan)
    if sp_ == sides0 and sm == sides0:
        return (fp - fm) / (2 * h), nan, nan, np.zeros(np.shape(f0), bool), h
    # A step crosses a kink: fall back to one-sided differences with a short step.
    h = np.sqrt(eps) * scale
    (fp, sp_), (fm, sm) = run(_shifted(x0, j, h)), run(_shifted(x0, j, -h))
    right, left = (fp - f0) / h, (f0 - fm) / h
    if sp_ == sides0 and sm != sides0:
        return right, left, right, np.zeros(np.shape(f0), bool), h
    if sm == sides0 and sp_ != sides0:
        return left, left, right, np.zeros(np.shape(f0), bool), h
    kink = np.abs(left - right) > 1e3 * np.sqrt(eps) * (1 + np.abs(left) + np.abs(right))
    return (left + right) / 2, left, right, kink, h


def _shifted(x0: np.ndarray, j: tuple, h: float) -> np.ndarray:
    x = x0.copy()
    x[j] += h
    return x


def _assemble(columns: dict, out_shape: tuple, var_shape: tuple, fill=np.nan) -> np.ndarray:
    """Place per-input-element columns (each ``out_shape``) into ``out_shape + var_shape``."""
    out = np.full(out_shape + var_shape, fill, dtype=float if fill is not False else bool)
    for j, column in columns.items():
        out[(Ellipsis, *j)] = column
    return out


def directional(expr: Expr, var: Var, point: dict[str, np.ndarray], v: np.ndarray):
    """``Jv`` (shaped like the output) for a direction ``v`` shaped like ``var``.

    Returns (Jv, method), or (None, "kink") when a central step would cross a kink.
    """
    program = compile_program(expr)
    dtype = point_dtype(point)
    if var.name not in program.var_slots:
        return np.zeros(expr.shape, dtype), "complex-step"
    if is_analytic_path(program, var):
        ctype = np.result_type(dtype, np.complex64)
        h = float(np.min(complex_steps(point[var.name], dtype)))  # small against every element
        h = max(h / max(float(np.max(np.abs(v))), 1.0), float(np.finfo(dtype).tiny))
        shifted = point[var.name].astype(ctype) + 1j * h * v
        out = rerun(program, run_forward(program, point, dtype), var.name, shifted)[-1]
        return (np.imag(out) / h).astype(dtype), "complex-step"
    kink_slots = [i for i, r in enumerate(program.records) if r is not None and r.has_kinks]

    base = run_forward(program, point, dtype)

    def run(x):
        values = rerun(program, base, var.name, x)
        sides = [_kink_side(program, values, i) for i in kink_slots]
        return values[-1], sides

    x0 = point[var.name]
    h = float(np.cbrt(np.finfo(dtype).eps) * max(1.0, float(np.max(np.abs(x0)))))
    h /= max(float(np.max(np.abs(v))), 1e-300)
    (_, s0), (fp, sp_), (fm, sm) = run(x0), run(x0 + h * v), run(x0 - h * v)
    if any(not np.array_equal(a, b) for a, b in zip(s0 + s0, sp_ + sm, strict=True)):
        return None, "kink"
    return (fp - fm) / (2 * h), "central"
