"""The element-by-element comparison of one variable's tensors at one point.

An element agrees when ``|a - ref| <= atol + rtol * |ref|`` (NumPy's rule), ``ref``
being the reference method's value (SymPy's when it runs). Tolerances come from
``diffcheck.checking.tolerances``; central differences also get an absolute allowance for
their rounding noise, estimated per element from the function's size and the step.
The outcome (mismatches, kinks, notes, hints, errors) is added to the run's Report;
whatever the comparison needs on the way lives on the ``ElementComparison`` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from diffcheck.checking import edges, high_precision
from diffcheck.checking.method_tensors import MethodTensors
from diffcheck.checking.report import Kink, Mismatch
from diffcheck.checking.tolerances import tolerance
from diffcheck.ir import Var

if TYPE_CHECKING:
    from diffcheck.checking.pipeline import Run

PRECISE = high_precision.COLUMN


def compare_elements(run: Run, var: Var, p: int, point: dict, columns: MethodTensors) -> None:
    """Compare every column of ``∂y/∂var`` at point ``p`` with the reference, into the report."""
    ElementComparison(run, var, p, point, columns).add()


@dataclass
class ElementComparison:
    """The comparison of one (point, variable): its tensors, bounds and skipped entries."""

    run: Run
    var: Var
    p: int
    point: dict
    columns: MethodTensors

    def __post_init__(self) -> None:
        report = self.run.report
        self.report, self.y = report, self.run.plan.y
        self.tensors, self.kinds, self.nj = self.columns.tensors, self.columns.kinds, self.columns.numeric
        self.dtype = np.result_type(*self.point.values()) if self.point else np.float64
        self.bounds = self._bounds()
        self.claims = {m for m in self.bounds if self.kinds[m] == "claimed"}
        sampled = self.nj is not None and self.nj.sampled is not None and "numeric" in self.bounds
        self.skip = {"numeric": ~self.nj.sampled} if sampled else {}  # entries not computed

    def _bounds(self) -> dict[str, tuple[float, np.ndarray | float]]:
        """(rtol, atol) per compared column; numeric's atol grows by its rounding noise."""
        plan, nj = self.run.plan, self.nj
        noise = nj.noise if nj is not None and nj.method == "central" else 0.0
        bounds = {}
        for m in self.tensors:
            if m == self.report.reference:
                continue
            rtol, atol = tolerance(self.kinds[m], self.dtype, plan.rtol, plan.atol)
            self.report.tolerances.setdefault(m, (rtol, atol))
            bounds[m] = (rtol, atol + (noise if m == "numeric" else 0.0))
        self.run.allowances[(self.p, self.var.name)] = bounds
        return bounds

    def add(self) -> None:
        """Compare the tensors (reference first) and record the outcome in the report."""
        report, tensors, nj = self.report, self.tensors, self.nj
        report.jacobians[(self.p, self.var.name)] = dict(tensors)
        if nj is not None and "numeric" in tensors:
            report.numeric_kind[self.var.name] = nj.method
        ref, bad = self._settle()
        kink = np.zeros(ref.shape, bool)
        if nj is not None:
            methods = {m: b for m, b in self.bounds.items() if m not in self.claims}
            methods_bad = self._disagreeing(ref, methods)
            kink = nj.kink | (methods_bad & ~np.isnan(ref) if nj.at_kink else False)
        outside = self._claims_outside_kinks(kink)
        self._blamable(ref, bad & ~kink, outside)
        no_reference = np.isnan(ref) & ~kink
        place = self._place(ref.size)
        report.notes.extend(edges.non_finite_notes(
            place, ref, tensors, report.reference, kink, bool(self.claims)
        ))
        self._record(ref, (bad & ~kink) | no_reference | outside, kink)
        self._errors(ref, ~kink & ~no_reference)

    def _place(self, size: int) -> edges.Place:
        return edges.Place(self.report.output, self.var.name, self.p, self.y.ndim, size)

    def _settle(self) -> tuple[np.ndarray, np.ndarray]:
        """The reference (refined at 30 digits where needed) and where a value disagrees with it.

        NaN reference elements are left out of the disagreement: there is nothing to
        disagree with; ``add`` reports them as having no reference.
        """
        report, tensors = self.report, self.tensors
        ref = tensors[report.reference].copy()
        bad = self._disagreeing(ref, self.bounds)
        refine = report.reference == "sympy" and self.columns.closed_form and bad.any()
        if refine:
            ref = high_precision.refine_reference(
                report, self.y, self.var, self.p, self.point, tensors, ref, bad
            )
        self._skip_numeric_at_infinity(ref)
        bad = self._disagreeing(ref, self.bounds) & ~np.isnan(ref)
        if refine and "numeric" in self.bounds and bad.any():
            others = {m: b for m, b in self.bounds.items() if m != "numeric"}
            only_numeric = bad & ~self._disagreeing(ref, others)
            bad &= ~high_precision.unreliable_numeric(
                report, self.y, self.var, self.p, self.point, only_numeric
            )
        return ref, bad

    def _skip_numeric_at_infinity(self, ref: np.ndarray) -> None:
        """Numeric differences cannot reach an infinite slope that two derivations agree on."""
        skips, notes = edges.numeric_at_infinity(
            self._place(ref.size), ref, self.tensors, self.kinds, self.report.reference
        )
        for m, mask in skips.items():
            self.skip[m] = self.skip.get(m, np.zeros(ref.shape, bool)) | mask
        for note in notes:
            self.run.note_once(note)

    def _claims_outside_kinks(self, kink: np.ndarray) -> np.ndarray:
        """Kink elements where a claim lies outside the one-sided derivatives (hinted)."""
        nj = self.nj
        if nj is None or not kink.any() or not self.claims:
            return np.zeros(kink.shape, bool)
        methods = [a for m, a in self.tensors.items() if m not in self.claims and m != PRECISE]
        interval = edges.kink_interval(nj.left, nj.right, methods)
        rtol, atol = tolerance("central", self.dtype, self.run.plan.rtol, self.run.plan.atol)
        eps = np.finfo(np.float32 if np.dtype(self.dtype) == np.float32 else np.float64).eps
        atol = atol + nj.noise * np.cbrt(eps) / np.sqrt(eps)  # one-sided steps are shorter
        claims = {m: self.tensors[m] for m in self.claims}
        outside, hints = edges.claims_outside_kinks(
            self._place(kink.size), claims, interval, kink, rtol, atol
        )
        self.report.hints.extend(hints)
        return outside

    def _per_method(self, ref: np.ndarray, bounds: dict) -> dict[str, np.ndarray]:
        """For each compared method, where it disagrees with the reference."""
        masks = {}
        for m, (rtol, atol) in bounds.items():
            a = self.tensors[m]
            masks[m] = ~edges.agrees(a, ref, rtol, atol, infinity_agrees=m not in self.claims)
            if m in self.skip:
                masks[m] &= ~self.skip[m]
        return masks

    def _disagreeing(self, ref: np.ndarray, bounds: dict) -> np.ndarray:
        bad = np.zeros(ref.shape, bool)
        for mask in self._per_method(ref, bounds).values():
            bad |= mask
        return bad

    def _blamable(self, ref: np.ndarray, bad: np.ndarray, outside: np.ndarray) -> None:
        """Record, per column, the elements it gets wrong (never those without a reference)."""
        for m, mask in self._per_method(ref, self.bounds).items():
            wrong = (mask & bad) | (outside if m in self.claims else False)
            for ix in np.argwhere(wrong):
                self.report.disagreeing.setdefault(m, set()).add(
                    (self.p, self.var.name, tuple(int(i) for i in ix))
                )

    def _record(self, ref: np.ndarray, bad: np.ndarray, kink: np.ndarray) -> None:
        report, tensors, out_ndim = self.report, self.tensors, self.y.ndim
        methods = [m for m in tensors if m != PRECISE]
        for ix in np.argwhere(bad):
            index = tuple(int(i) for i in ix)
            values = {m: float(tensors[m][index]) for m in methods}
            if PRECISE in tensors and not np.isnan(tensors[PRECISE][index]):
                values[PRECISE] = float(ref[index])
            reference = PRECISE if PRECISE in values else report.reference
            report.mismatches.append(
                Mismatch(self.var.name, index, values, self.p, report.output, out_ndim, reference)
            )
        for ix in np.argwhere(kink):
            index = tuple(int(i) for i in ix)
            values = {m: float(tensors[m][index]) for m in methods}
            report.kinks.append(
                Kink(self.var.name, index, float(self.nj.left[index]), float(self.nj.right[index]),
                     values, self.p, report.output, out_ndim)
            )
        # A claim at a kink is compared too: with the one-sided derivatives.
        report.compared += int(np.sum(~kink)) + (int(np.sum(kink)) if self.claims else 0)

    def _errors(self, ref: np.ndarray, mask: np.ndarray) -> None:
        """The largest absolute and relative differences over the compared elements."""
        report = self.report
        for m, a in self.tensors.items():
            if m in (report.reference, PRECISE) or not mask.any():
                continue
            with np.errstate(all="ignore"):
                diff = np.where(a == ref, 0.0, np.abs(a - ref))  # equal infinities agree
                diff = np.where(np.isnan(diff), np.inf, diff)
                if m in self.skip:
                    diff = np.where(self.skip[m], 0.0, diff)
                diff = diff[mask]
                scale = np.abs(ref)[mask]
                rel = np.where(diff == 0, 0.0, np.where(np.isfinite(scale), diff / scale, np.inf))
            report.max_abs_error = max(report.max_abs_error, float(np.max(diff)))
            report.max_rel_error = max(report.max_rel_error, float(np.max(rel)))
