"""Second order by the tape: the complex step pushed through its own reverse sweep.

The tape's gradient is a composition of the ops' NumPy forwards and VJPs. Each of those
is the analytic extension of its real rule (piecewise ops branch on the real part, and
``abs`` is ``x·sign(Re x)``, never the modulus; ``tests/backends/test_hvp.py`` checks
every record), so the gradient at a complex point ``x + i·h·v`` is, to rounding,

    ∇f(x + i·h·v) = ∇f(x) + i·h·H v + O(h²),      H v = Im ∇f(x + i·h·v) / h,

with no subtractive cancellation: ``h = 1e-20`` gives the Hessian-vector product to
full precision. This differentiates the reverse sweep itself: it never calls SymPy and
never differences function values. A full Hessian block is one such product per
element of the second variable (the sweep's batch axes carry cotangents, not points).
"""

from __future__ import annotations

import numpy as np

from diffcheck.backends.program import compile_program, point_dtype, run_forward
from diffcheck.backends.sweep import sweep_for, unit
from diffcheck.ir import Const, Expr, Var
from diffcheck.progress import advance

STEP = 1e-20  # the imaginary step, relative to |x| where |x| < 1


def complex_dtype(point: dict[str, np.ndarray]) -> np.dtype:
    """The complex dtype matching the point's floating dtype (complex128 for float64)."""
    return np.dtype(np.result_type(point_dtype(point), np.complex64))


def step_for(x: np.ndarray, size: float, dtype: np.dtype) -> float:
    """An imaginary step small against every non-zero element of ``x`` and against the
    direction's largest element ``size`` (> 0), and never near the smallest normal number,
    so that ``Im ∇f = h·Hv`` keeps its digits."""
    magnitudes = np.abs(np.asarray(x))
    scale = float(magnitudes.min(initial=1.0))
    if scale == 0.0:  # the smallest non-zero one (rare: a second, masked pass)
        scale = float(np.min(magnitudes, where=magnitudes != 0, initial=1.0))
    return max(STEP * min(scale, 1.0) / size, 1e10 * float(np.finfo(dtype).tiny))


def shifted(x: np.ndarray, h: float, v: np.ndarray, ctype: np.dtype) -> np.ndarray:
    """``x + i·h·v`` as ``ctype``, written part by part (no complex temporaries)."""
    out = np.empty(np.shape(x), ctype)
    out.real = x
    np.multiply(v, h, out=out.imag)
    return out


def _largest_magnitude(v: np.ndarray) -> float:
    """max |v| without the temporary array of ``np.abs``; 0 for an empty ``v``."""
    return float(max(v.max(initial=0.0), -v.min(initial=0.0)))


def _imaginary_gradient(expr: Expr, wrt: tuple[Var, ...], point: dict,
                        ctype: np.dtype) -> dict[str, np.ndarray]:
    """``Im ∇f`` at the complex ``point``, as real arrays (the sweep skips real parts it
    would throw away)."""
    sweep = sweep_for(compile_program(expr), wrt, 0, ctype, unit_seed=True, imaginary=True)
    with np.errstate(all="ignore"):
        return sweep.run(point, unit(ctype))


def _scaled(part: np.ndarray, factor: float) -> np.ndarray:
    """``part · factor``, in place when ``part`` is a contiguous array of its own."""
    own = part.base is None and part.flags.c_contiguous
    return np.multiply(part, factor, out=part if own else None)


def hvp(expr: Expr, wrt: tuple[Var, ...], point: dict[str, np.ndarray],
        directions: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The Hessian-vector product of a scalar ``expr``: for each variable ``x`` in ``wrt``,
    ``Σ_z ∂²y/∂x∂z · v_z`` over the variables ``z`` that ``directions`` moves (by name,
    each shaped like its variable); one complex-stepped reverse sweep in all."""
    dtype = point_dtype(point)
    names = compile_program(expr).var_slots
    sizes = {k: _largest_magnitude(v) for k, v in directions.items() if k in names}
    moving = {k: np.asarray(directions[k]) for k, size in sizes.items() if size > 0}
    if not moving:
        return {x.name: np.zeros(x.shape, dtype) for x in wrt}
    ctype = complex_dtype(point)
    h = min(step_for(point[k], sizes[k], dtype) for k in moving)
    moved = {**point, **{k: shifted(point[k], h, v, ctype) for k, v in moving.items()}}
    imaginary = _imaginary_gradient(expr, wrt, moved, ctype)
    return {x.name: _scaled(imaginary[x.name], 1.0 / h) for x in wrt}


def hessian(expr: Expr, first: Var, second: Var, point: dict[str, np.ndarray]) -> np.ndarray:
    """The block ``∂²y/∂first ∂second`` of shape ``first.shape + second.shape``: one
    complex-stepped reverse sweep per element of ``second``.

    Values that depend on neither variable are the same in every sweep, so they are
    computed once (by the same NumPy forwards) and enter the sweeps as constants.
    """
    dtype = point_dtype(point)
    result = np.zeros(first.shape + second.shape, dtype)
    program = compile_program(expr)
    if first.name not in program.var_slots or second.name not in program.var_slots:
        return result
    reduced = frozen(expr, (first.name, second.name), point)
    ctype = complex_dtype(point)
    base = np.asarray(point[second.name], dtype=dtype)
    size = np.abs(base)
    steps = np.maximum(STEP * np.where((size > 0) & (size < 1), size, 1.0), 1e10 * np.finfo(dtype).tiny)
    moved = dict(point)
    x = base.astype(ctype)
    for n, j in enumerate(np.ndindex(second.shape)):
        advance("complex-stepped reverse sweeps", n, second.size)
        x[j] += 1j * steps[j]
        moved[second.name] = x
        column = _imaginary_gradient(reduced, (first,), moved, ctype)[first.name]
        x[j] = base[j]
        with np.errstate(all="ignore"):  # an infinite second derivative stays inf, unwarned
            result[(Ellipsis, *j)] = column / steps[j]
    return result


def frozen(expr: Expr, names: tuple[str, ...], point: dict[str, np.ndarray]) -> Expr:
    """``expr`` with every value that depends on none of ``names`` replaced by a constant
    holding its value at ``point`` (by the ops' own forwards); ``expr`` itself when such a
    value is not finite (a constant must be)."""
    program = compile_program(expr)
    live = program.live(tuple(sorted(names)))
    values = run_forward(program, point, point_dtype(point))
    rebuilt: dict[int, Expr] = {}
    try:
        for slot, node in enumerate(program.nodes):
            if not live[slot]:
                continue
            inputs = tuple(rebuilt[a] if live[a] else _constant(program.nodes[a], values[a])
                           for a in program.args[slot])
            same = all(new is old for new, old in zip(inputs, node.inputs, strict=True))
            rebuilt[slot] = node if same else Expr(node.op, inputs, node.kwargs, node.shape)
    except (TypeError, ValueError):
        return expr
    return rebuilt[len(program.nodes) - 1]


def _constant(node: Expr, value: np.ndarray) -> Expr:
    return node if isinstance(node, Const) else Const(value)
