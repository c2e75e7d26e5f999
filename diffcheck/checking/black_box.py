"""A function diffcheck cannot trace, checked against central differences of itself.

When a forward has no expression (a NumPy function without a twin, Python control
flow on values, another library), the only reference left is the real function:
``(f(x + h) − f(x − h)) / 2h`` per perturbed input element, with a step that suits the
input's dtype (``∛eps · max(1, |x|)``, rounded so that ``x ± h`` is exact). Where the
one-sided differences disagree, the element is retried with a shorter step: a gap that
stays is a kink (``relu`` at 0), reported with its one-sided values, where a claim must
lie between them; a gap that shrinks was curvature or a kink crossed by the long step.
Each element's rounding noise (``eps·max|f| / h``) widens its tolerance.

Claims are compared here with :func:`compare_into`, into an ordinary ``Report`` whose
reference is ``"numeric"``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from diffcheck.checking.report import Kink, Mismatch, Report
from diffcheck.checking.tolerances import BLACK_BOX_SUSPECT_RTOL, tolerance

Index = tuple[int, ...]
SUSPECT_RTOL = BLACK_BOX_SUSPECT_RTOL  # one-sided differences further apart are looked at again
SHORTER = 64  # the retry's step is this many times shorter


@dataclass(frozen=True)
class Columns:
    """Central differences ``out_shape + x.shape``; NaN in the columns not perturbed."""

    values: np.ndarray
    left: np.ndarray  # one-sided values where ``kink``, else equal to ``values``
    right: np.ndarray
    kink: np.ndarray
    noise: np.ndarray  # rounding allowance per element
    computed: np.ndarray  # x.shape: which input elements were perturbed

    def project(self, g: np.ndarray) -> Columns:
        """The same columns for the scalar ``⟨g, f⟩`` (a vector-Jacobian product)."""
        axes = g.ndim
        return Columns(
            np.tensordot(g, self.values, axes=axes), np.tensordot(g, self.left, axes=axes),
            np.tensordot(g, self.right, axes=axes), self.kink.any(axis=tuple(range(axes))),
            np.tensordot(np.abs(g), self.noise, axes=axes), self.computed,
        )


def central_columns(
    fn: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, f0: np.ndarray,
    columns: list[Index] | None = None,
) -> Columns:
    """Central differences of ``fn`` around ``x0`` (whose value is ``f0``), column by column.

    Args:
        fn: the function of this one input (the others held at their values).
        x0: the input's value; its dtype sets the step.
        f0: ``fn(x0)``.
        columns: the input elements to perturb; None for all of them.
    """
    dtype = x0.dtype if x0.dtype.kind == "f" else np.dtype(np.float64)
    eps = float(np.finfo(dtype).eps)
    out_eps = float(np.finfo(f0.dtype if f0.dtype.kind == "f" else np.float64).eps)
    size = float(np.max(np.abs(f0), initial=0.0))
    shape = f0.shape + x0.shape
    values, left, right, noise = (np.full(shape, np.nan) for _ in range(4))
    kink, computed = np.zeros(shape, bool), np.zeros(x0.shape, bool)
    base = np.asarray(f0, dtype=float)
    for j in (np.ndindex(x0.shape) if columns is None else columns):
        here = (Ellipsis, *j)
        scale = max(1.0, abs(float(x0[j])))
        c, lo, hi, h = _difference(fn, x0, j, base, np.cbrt(eps) * scale)
        n = 8 * out_eps * size / h
        suspect = np.abs(lo - hi) > SUSPECT_RTOL * (1 + np.abs(lo) + np.abs(hi)) + 16 * n
        lo = hi = c
        if np.any(suspect):
            c2, lo2, hi2, h2 = _difference(fn, x0, j, base, np.cbrt(eps) * scale / SHORTER)
            n2 = 8 * out_eps * size / h2
            gap = np.abs(lo2 - hi2)
            jump = suspect & (gap > 1e3 * np.sqrt(eps) * (1 + np.abs(lo2) + np.abs(hi2)) + 16 * n2)
            c = np.where(jump, (lo2 + hi2) / 2, np.where(suspect, c2, c))
            lo, hi = np.where(jump, lo2, c), np.where(jump, hi2, c)
            n = np.where(suspect, n2, n)
            kink[here] = jump
        values[here], left[here], right[here], noise[here] = c, lo, hi, n
        computed[j] = True
    return Columns(values, left, right, kink, noise, computed)


def _difference(fn, x0: np.ndarray, j: Index, f0: np.ndarray, step: float):
    """Central and one-sided differences with steps that make ``x ± h`` exact in the dtype."""
    plus, minus = x0.copy(), x0.copy()
    plus[j] = x0[j] + x0.dtype.type(step)
    minus[j] = x0[j] - x0.dtype.type(step)
    h_plus, h_minus = float(plus[j]) - float(x0[j]), float(x0[j]) - float(minus[j])
    fp, fm = (np.asarray(fn(x), dtype=float) for x in (plus, minus))
    central = (fp - fm) / (h_plus + h_minus)
    return central, (f0 - fm) / h_minus, (fp - f0) / h_plus, min(h_plus, h_minus)


def compare_into(
    report: Report, wrt: str, p: int, claimed: np.ndarray, numeric: Columns,
    out_ndim: int, rtol: float | None, atol: float | None, dtype: np.dtype,
) -> None:
    """Compare a claim (``numeric.values``' shape) with the differences, into ``report``.

    Elements not perturbed are skipped; at a kink the claim must lie between the one-
    sided values (then it is a Kink of the report, else a Mismatch); a NaN anywhere is a
    mismatch, never agreement.
    """
    r, a = tolerance("central", dtype, rtol, atol)
    report.tolerances.setdefault("claimed", (r, a))
    report.numeric_kind[wrt] = "central"
    mask = np.broadcast_to(numeric.computed, claimed.shape[: claimed.ndim - numeric.computed.ndim]
                           + numeric.computed.shape)
    ref, allowed = numeric.values, a + numeric.noise + r * np.abs(numeric.values)
    with np.errstate(invalid="ignore"):
        diff = np.abs(claimed - ref)
        agree = diff <= allowed
        low = np.minimum(numeric.left, numeric.right) - allowed
        high = np.maximum(numeric.left, numeric.right) + allowed
        between = (claimed >= low) & (claimed <= high)
    kinks = mask & numeric.kink & between
    bad = mask & ~kinks & ~(agree & ~numeric.kink)
    for ix in map(tuple, np.argwhere(bad)):
        values = {"numeric": float(ref[ix]), "claimed": float(claimed[ix])}
        report.mismatches.append(Mismatch(wrt, tuple(int(i) for i in ix), values, p,
                                          report.output, out_ndim, "numeric"))
    for ix in map(tuple, np.argwhere(kinks)):
        report.kinks.append(Kink(wrt, tuple(int(i) for i in ix), float(numeric.left[ix]),
                                 float(numeric.right[ix]), {"claimed": float(claimed[ix])}, p,
                                 report.output, out_ndim))
    report.compared += int(mask.sum())
    compared = mask & ~kinks
    if compared.any():
        with np.errstate(invalid="ignore", divide="ignore"):
            d = np.where(np.isnan(diff), np.inf, diff)[compared]
            scale = np.abs(ref)[compared]
            rel = np.where(d == 0, 0.0, d / np.where(scale > 0, scale, np.nan))
        report.max_abs_error = max(report.max_abs_error, float(np.max(d)))
        report.max_rel_error = max(report.max_rel_error, float(np.nanmax(rel, initial=0.0)))


def function_of(
    forward: Callable[..., Any], arrays: Mapping[str, np.ndarray], name: str
) -> Callable[[np.ndarray], np.ndarray]:
    """``forward`` as a function of input ``name`` alone, the others at their values."""
    def run(x: np.ndarray) -> np.ndarray:
        return np.asarray(forward(**{k: (x if k == name else a.copy()) for k, a in arrays.items()}))

    return run
