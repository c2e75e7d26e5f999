"""Second order by differences of function values only (never a gradient, never a VJP).

Reads each op's NumPy ``forward``, ``analytic`` flag and kink predicate (``kink_side``).
Two stencils, per element ``∂²y/∂a[i]∂b[j]``:

- every op on the path complex-analytic: a complex step in ``a[i]`` and a central
  difference in ``b[j]``, ``Im(f(x + ih·e_i + δ·e_j) − f(x + ih·e_i − δ·e_j)) / (2hδ)``
  with ``h = 1e-20·min(|x|, 1)`` and ``δ = ε^(1/3)·max(1, |x|)``: the complex step has no
  cancellation, so only the central difference's ``O(δ²)`` error remains (about 1e-10
  relative in float64);
- otherwise second central differences of real values, ``(f₊₊ − f₊₋ − f₋₊ + f₋₋)/(4δ²)``
  (``(f₊ − 2f₀ + f₋)/δ²`` on the diagonal) with ``δ = ε^(1/4)·max(1, |x|)``: truncation
  ``O(δ²)`` and rounding ``O(ε|f|/δ²)``, about 1e-8 relative in float64. A stencil
  that crosses a kink is retried with steps 8 and 64 times shorter; when every one
  crosses, the element is reported as a kink with one-sided second differences.

Each element carries its rounding allowance (``noise``), added to the check's atol.
"""

from __future__ import annotations

import numpy as np

from diffcheck.backends.numeric import NumericJacobian
from diffcheck.backends.program import Program, compile_program, point_dtype, run_forward
from diffcheck.ir import Expr, Var
from diffcheck.progress import advance

COMPLEX_STEP = 1e-20  # relative to |x| when |x| < 1
SHRINK = (1, 8, 64)  # a stencil crossing a kink is retried with these shorter steps

Index = tuple[int, ...]


def is_analytic_path(program: Program, names: tuple[str, ...]) -> bool:
    """True when every op that depends on any of ``names`` is complex-analytic."""
    live = program.live(names)
    return all(r is None or r.analytic or not lv for r, lv in zip(program.records, live, strict=True))


class Runner:
    """Forward values with some variables moved, recomputing only the nodes they reach,
    and which smooth piece every kink op's inputs lie on."""

    def __init__(self, expr: Expr, point: dict[str, np.ndarray], names: tuple[str, ...]):
        self.program = program = compile_program(expr)
        self.dtype = point_dtype(point)
        self.point = point
        self.base = run_forward(program, point, self.dtype)
        self.live = program.live(names)
        self.kinks = [i for i, r in enumerate(program.records) if r is not None and r.has_kinks]

    def __call__(self, moved: dict[str, np.ndarray]) -> tuple[np.ndarray, bytes]:
        program, values = self.program, list(self.base)
        for name, x in moved.items():
            for i in program.var_slots.get(name, ()):
                values[i] = x
        with np.errstate(all="ignore"):
            for i, step in program.steps:
                if self.live[i]:
                    values[i] = step(values)
        sides = [np.ravel(program.records[i].kink_side(*(values[a] for a in program.args[i]),
                                                       **program.kwargs[i])) for i in self.kinks]
        return values[-1], (np.concatenate(sides).astype(float).tobytes() if sides else b"")

    def moved(self, shifts: list[tuple[str, Index, complex]]) -> tuple[np.ndarray, bytes]:
        """``f`` with each ``(variable, element, shift)`` added (complex shifts allowed)."""
        arrays: dict[str, np.ndarray] = {}
        for name, j, shift in shifts:
            if name not in arrays:
                kind = np.result_type(self.dtype, np.complex64) if np.iscomplexobj(shift) else self.dtype
                arrays[name] = np.array(self.point[name], dtype=kind)
            elif np.iscomplexobj(shift) and not np.iscomplexobj(arrays[name]):
                arrays[name] = arrays[name].astype(np.result_type(self.dtype, np.complex64))
            arrays[name][j] += shift
        return self(arrays)


def hessian(expr: Expr, first: Var, second: Var, point: dict[str, np.ndarray],
            entries: list[tuple[Index, Index]] | None = None) -> NumericJacobian:
    """The block ``∂²y/∂first∂second`` (``first.shape + second.shape``) of a scalar ``expr``.

    With ``entries`` only those ``(i, j)`` pairs are computed; the rest are NaN and
    ``sampled`` marks the computed ones.
    """
    shape = first.shape + second.shape
    names = tuple(sorted({first.name, second.name}))
    program = compile_program(expr)
    if first.name not in program.var_slots or second.name not in program.var_slots:
        zeros = np.zeros(shape)
        nan = np.full(shape, np.nan)
        return NumericJacobian(zeros, "central", zeros.astype(bool), nan, nan, False)
    run = Runner(expr, point, names)
    wanted = entries if entries is not None else [
        (i, j) for i in np.ndindex(first.shape) for j in np.ndindex(second.shape)]
    values, noise = np.full(shape, np.nan), np.zeros(shape)
    kink, left, right = np.zeros(shape, bool), np.full(shape, np.nan), np.full(shape, np.nan)
    f0, sides0 = run({})
    at_kink = 0 in np.frombuffer(sides0, dtype=float)
    analytic = is_analytic_path(program, names)
    eps = float(np.finfo(run.dtype).eps)
    for n, (i, j) in enumerate(wanted):
        advance("second differences", n, len(wanted))
        a, b = (first.name, i), (second.name, j)
        if analytic:
            values[i + j], noise[i + j] = _complex_central(run, a, b, eps)
            continue
        found = _real_central(run, a, b, float(f0), sides0, eps)
        values[i + j], noise[i + j], kink[i + j], left[i + j], right[i + j] = found
    sampled = None
    if entries is not None:
        sampled = np.zeros(shape, bool)
        for i, j in entries:
            sampled[i + j] = True
    return NumericJacobian(values, "central", kink, left, right, at_kink, noise, sampled)


def _scale(run: Runner, element: tuple[str, Index]) -> float:
    name, j = element
    return abs(float(np.asarray(run.point[name])[j]))


def _complex_central(run: Runner, a, b, eps: float) -> tuple[float, float]:
    """A complex step along ``a`` and a central difference along ``b``."""
    size = _scale(run, a)
    h = max(COMPLEX_STEP * (size if 0 < size < 1 else 1.0), 1e10 * float(np.finfo(run.dtype).tiny))
    d = float(np.cbrt(eps)) * max(1.0, _scale(run, b))
    plus, _ = run.moved([(*a, 1j * h), (*b, d)])
    minus, _ = run.moved([(*a, 1j * h), (*b, -d)])
    fp, fm = float(np.imag(plus)) / h, float(np.imag(minus)) / h
    # each first derivative carries a few eps of its size in rounding
    return (fp - fm) / (2 * d), 8 * eps * max(abs(fp), abs(fm), 1e-300) / (2 * d)


def _real_central(run: Runner, a, b, f0: float, sides0: bytes, eps: float):
    """Second central differences, shortened near a kink; (value, noise, kink, left, right)."""
    base_a = float(np.sqrt(np.sqrt(eps))) * max(1.0, _scale(run, a))
    base_b = float(np.sqrt(np.sqrt(eps))) * max(1.0, _scale(run, b))
    same = a == b
    for shrink in SHRINK:
        da, db = base_a / shrink, base_b / shrink
        if same:
            stencil = [(1, [(*a, da)]), (-2, []), (1, [(*a, -da)])]
            divisor = da * da
        else:
            stencil = [(s * t, [(*a, s * da), (*b, t * db)]) for s in (1, -1) for t in (1, -1)]
            divisor = 4 * da * db
        total, crossed, size = 0.0, False, abs(f0)
        for weight, shifts in stencil:
            value, sides = run.moved(shifts) if shifts else (f0, sides0)
            crossed |= sides != sides0
            total += weight * float(value)
            size = max(size, abs(float(value)))
        if not crossed:
            return total / divisor, 16 * eps * size / divisor, False, np.nan, np.nan
    left, right = _one_sided(run, a, b, da, db, same)
    return (left + right) / 2, 16 * eps * abs(f0) / (da * db), True, left, right


def _one_sided(run: Runner, a, b, da: float, db: float, same: bool) -> tuple[float, float]:
    """Backward and forward second differences at the shortest step (shown at a kink)."""
    sides = []
    for s in (-1, 1):
        if same:
            f1, _ = run.moved([(*a, s * da)])
            f2, _ = run.moved([(*a, 2 * s * da)])
            f0, _ = run({})
            sides.append(float(f2 - 2 * f1 + f0) / (da * da))
        else:
            fab, _ = run.moved([(*a, s * da), (*b, s * db)])
            fa, _ = run.moved([(*a, s * da)])
            fb, _ = run.moved([(*b, s * db)])
            f0, _ = run({})
            sides.append(float(fab - fa - fb + f0) / (da * db))
    return sides[0], sides[1]
