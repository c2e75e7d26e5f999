"""The comparator and ``check``: derivative tensors from each method, element by element.

An element agrees when ``|a - ref| <= atol + rtol * |ref|`` (NumPy's rule), ``ref``
being the SymPy value. Default tolerances come from one table keyed by method and
dtype (see ``TOLERANCES``); central differences also get an absolute allowance for
their rounding noise, estimated per element from the function's size and the step.
Where the float64 closed form disagrees with the other methods, it is re-evaluated
with 30 significant digits: if that moves it, the point is ill-conditioned for the
closed form, and the 30-digit value becomes the reference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from diffcheck import edges, fast, limits
from diffcheck.backends import numeric, symbolic, sympy_chain
from diffcheck.backends.program import compile_program, point_dtype, run_forward
from diffcheck.blame import diagnose
from diffcheck.derivatives import as_var, jacobian_numerator
from diffcheck.ir import Expr, Var
from diffcheck.points import resolve as choose_points
from diffcheck.progress import reporting, stage
from diffcheck.report import Kink, Mismatch, Report
from diffcheck.symbols import element_name

# (rtol, atol) by method kind and dtype; measured agreement is far tighter (see docs).
TOLERANCES: dict[tuple[str, str], tuple[float, float]] = {
    ("tape", "float64"): (1e-7, 1e-10),
    ("complex-step", "float64"): (1e-7, 1e-10),
    ("central", "float64"): (1e-5, 1e-7),
    ("claimed", "float64"): (1e-6, 1e-9),
    ("tape", "float32"): (1e-4, 1e-5),
    ("complex-step", "float32"): (1e-4, 1e-5),
    ("central", "float32"): (2e-2, 1e-3),
    ("claimed", "float32"): (1e-4, 1e-5),
}
HIGH_PRECISION_DIGITS = 30
HIGH_PRECISION_LIMIT = 64  # elements per point and variable re-evaluated at 30 digits
DEFAULT_POINTS = 3
SYMPY_ELEMENTWISE_TERMS = 50_000  # above this, SymPy composes per-node derivatives instead
NUMERIC_COLUMNS = 256  # above this many elements, numeric differences use a seeded sample
METHODS = ("sympy", "tape", "numeric")


def tolerance(kind: str, dtype: np.dtype, rtol: float | None, atol: float | None):
    """The (rtol, atol) for one method kind; explicit values override the table."""
    key = "float32" if np.dtype(dtype) == np.float32 else "float64"
    default_r, default_a = TOLERANCES[(kind, key)]
    return (default_r if rtol is None else rtol), (default_a if atol is None else atol)


def validate_methods(methods: Sequence[str]) -> tuple[str, ...]:
    methods = tuple(methods)
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ValueError(f"methods must be chosen from {METHODS}, got {methods}")
    if len(set(methods)) != len(methods):
        raise ValueError(f"methods are repeated: {methods}")
    return methods


def validate_mode(mode: str) -> None:
    if mode not in ("full", "fast"):
        raise ValueError(f"mode must be 'full' or 'fast', got {mode!r}")


def wrt_list(y: Expr, wrt: Any) -> tuple[Var, ...]:
    items = wrt if isinstance(wrt, (list, tuple)) else [wrt]
    if not items:
        raise ValueError("wrt is empty: name at least one variable")
    return tuple(as_var(v, y) for v in items)


def resolve_points(
    y: Expr, at: Any, seed: int | None, count: int
) -> tuple[list[dict], int | None, list[str]]:
    """The check's points (copies), its seed (None when given) and notes for the report.

    Refuses a non-positive ``count``, an empty ``at`` and non-finite values (ValueError).
    """
    resolved = choose_points(y, at, seed, count)
    return resolved.points, resolved.seed, resolved.notes


def refuse_oversized(
    y: Expr, wrt: Sequence[Var], methods: Sequence[str], mode: str = "full", name: str = "y",
    factors: Sequence[tuple[Expr, Var, str]] = (),
) -> None:
    """A ValueError, before any heavy work, for a check too large to finish (see ``limits``).

    ``factors`` are further ``(expression, variable, output name)`` Jacobians built in
    full by every method, such as the two factors of the chain rule.
    """
    limits.refuse_check(
        y, wrt, methods, sympy_terms=SYMPY_ELEMENTWISE_TERMS, numeric_columns=NUMERIC_COLUMNS,
        fast=mode == "fast", name=name,
    )
    for expr, var, output in factors:
        limits.refuse_factor(expr, var, methods, output)


class Comparison:
    """Accumulates the element-by-element comparison of one check into a Report."""

    def __init__(self, report: Report, rtol: float | None, atol: float | None):
        self.report = report
        self.rtol, self.atol = rtol, atol
        self.closed_form: set[str] = set()  # variables whose SymPy reference is element-wise
        self.skip: dict[str, np.ndarray] = {}  # per method, entries it did not compute
        self.claims: set[str] = set()  # columns holding a hand-derived claim

    def tensors(self, y: Expr, var: Var, p: int, point: dict, methods: tuple[str, ...]):
        """Each method's numerator-layout tensor, its tolerance kind and the numeric details.

        Large problems switch routes, and the report says so: SymPy composes per-node
        derivatives instead of expanding the closed form element by element, and numeric
        differences perturb a seeded sample of the variable's elements.
        """
        tensors: dict[str, np.ndarray] = {}
        kinds: dict[str, str] = {}
        nj = None
        analytic = numeric.is_analytic_path(compile_program(y), var)
        if "numeric" in methods or not analytic:
            columns = None
            if var.size > NUMERIC_COLUMNS:
                rng = np.random.default_rng([self.report.seed or 0, p, *map(ord, var.name)])
                picks = rng.choice(var.size, NUMERIC_COLUMNS, replace=False)
                columns = [tuple(int(i) for i in np.unravel_index(f, var.shape)) for f in picks]
                self._note_once(
                    f"numeric: a seeded sample of {NUMERIC_COLUMNS} of the {var.size} elements of "
                    f"{var.name} is perturbed ({'one complex step' if analytic else 'one ± pair'} "
                    "each); the rest are compared "
                    "between sympy and tape only"
                )
            self._stage(p, "numeric", var)
            with np.errstate(all="ignore"):
                nj = numeric.jacobian(y, var, point, columns)
        for m in methods:
            self._stage(p, m, var)
            if m == "numeric":
                tensors[m], kinds[m] = nj.values, nj.method
            elif m == "sympy" and sympy_chain.lowered_terms(y) > SYMPY_ELEMENTWISE_TERMS:
                with np.errstate(all="ignore"):
                    tensors[m], kinds[m] = sympy_chain.jacobian(y, var, point), "tape"
                self._note_once(
                    f"sympy: the element-wise closed form would have about "
                    f"{sympy_chain.lowered_terms(y):.2g} terms, so the reference is {sympy_chain.HOW}"
                )
            else:
                if m == "sympy":
                    self.closed_form.add(var.name)
                tensors[m], kinds[m] = jacobian_numerator(y, var, point, m), "tape"
        return tensors, kinds, nj

    def _stage(self, p: int, method: str, var: Var) -> None:
        stage(f"point {p + 1}/{len(self.report.points)}, {method} ∂{self.report.output}/∂{var.name}")

    def _note_once(self, note: str) -> None:
        if note not in self.report.notes:
            self.report.notes.append(note)

    def add(
        self,
        y: Expr,
        var: Var,
        p: int,
        point: dict[str, np.ndarray],
        tensors: dict[str, np.ndarray],
        kinds: dict[str, str],
        nj: numeric.NumericJacobian | None,
    ) -> None:
        """Compare the tensors of one variable at one point (reference first)."""
        report = self.report
        report.jacobians[(p, var.name)] = dict(tensors)
        if nj is not None and "numeric" in tensors:
            report.numeric_kind[var.name] = nj.method
        dtype = np.result_type(*point.values()) if point else np.float64
        noise = nj.noise if nj is not None and nj.method == "central" else 0.0
        bounds = {}
        for m in tensors:
            if m == report.reference:
                continue
            rtol, atol = tolerance(kinds[m], dtype, self.rtol, self.atol)
            report.tolerances.setdefault(m, (rtol, atol))
            extra = noise if m == "numeric" else 0.0
            bounds[m] = (rtol, atol + extra)
        self.claims = {m for m in bounds if kinds[m] == "claimed"}
        if nj is not None and nj.sampled is not None and "numeric" in bounds:
            self.skip = {"numeric": ~nj.sampled}  # entries numeric did not compute
        else:
            self.skip = {}
        ref, bad = self._settle(y, var, p, point, tensors, kinds, bounds)
        kink = np.zeros(ref.shape, bool)
        if nj is not None:
            methods_bad = self._disagreeing(tensors, ref, {m: b for m, b in bounds.items()
                                                           if m not in self.claims})
            kink = nj.kink | (methods_bad & ~np.isnan(ref) if nj.at_kink else False)
        outside = self._claims_outside_kinks(var, p, tensors, kink, nj, dtype, y.ndim)
        self._blamable(var, p, tensors, ref, bounds, bad & ~kink, outside)
        no_reference = np.isnan(ref) & ~kink
        place = edges.Place(report.output, var.name, p, y.ndim, ref.size)
        report.notes.extend(edges.non_finite_notes(
            place, ref, tensors, report.reference, kink, bool(self.claims)
        ))
        self._record(var, p, tensors, ref, (bad & ~kink) | no_reference | outside, kink, nj, y.ndim)
        self._errors(tensors, ref, ~kink & ~no_reference)

    def _blamable(self, var, p, tensors, ref, bounds, bad, outside) -> None:
        """Record, per column, the elements it gets wrong (never those without a reference)."""
        for m, mask in self._per_method(tensors, ref, bounds).items():
            wrong = (mask & bad) | (outside if m in self.claims else False)
            for ix in np.argwhere(wrong):
                self.report.disagreeing.setdefault(m, set()).add(
                    (p, var.name, tuple(int(i) for i in ix))
                )

    def _settle(self, y, var, p, point, tensors, kinds, bounds) -> tuple[np.ndarray, np.ndarray]:
        """The reference (refined at 30 digits where needed) and where a value disagrees with it.

        NaN reference elements are left out of the disagreement: there is nothing to
        disagree with; ``add`` reports them as having no reference.
        """
        ref = tensors[self.report.reference].copy()
        bad = self._disagreeing(tensors, ref, bounds)
        refine = self.report.reference == "sympy" and var.name in self.closed_form and bad.any()
        if refine:
            ref = self._refine_reference(y, var, p, point, tensors, ref, bad, bounds)
        self._skip_numeric_at_infinity(var, p, tensors, kinds, ref, y.ndim)
        bad = self._disagreeing(tensors, ref, bounds) & ~np.isnan(ref)
        if refine and "numeric" in bounds and bad.any():
            bad &= ~self._unreliable_numeric(y, var, p, point, tensors, ref, bad, bounds)
        return ref, bad

    def _skip_numeric_at_infinity(self, var, p, tensors, kinds, ref, out_ndim) -> None:
        """Numeric differences cannot reach an infinite slope that two derivations agree on."""
        place = edges.Place(self.report.output, var.name, p, out_ndim, ref.size)
        skips, notes = edges.numeric_at_infinity(place, ref, tensors, kinds, self.report.reference)
        for m, mask in skips.items():
            self.skip[m] = self.skip.get(m, np.zeros(ref.shape, bool)) | mask
        for note in notes:
            self._note_once(note)

    def _claims_outside_kinks(self, var, p, tensors, kink, nj, dtype, out_ndim) -> np.ndarray:
        """Kink elements where a claim lies outside the one-sided derivatives (hinted)."""
        if nj is None or not kink.any() or not self.claims:
            return np.zeros(kink.shape, bool)
        methods = [a for m, a in tensors.items() if m not in self.claims and m != "sympy-30"]
        interval = edges.kink_interval(nj.left, nj.right, methods)
        rtol, atol = tolerance("central", dtype, self.rtol, self.atol)
        eps = np.finfo(np.float32 if np.dtype(dtype) == np.float32 else np.float64).eps
        atol = atol + nj.noise * np.cbrt(eps) / np.sqrt(eps)  # one-sided steps are shorter
        place = edges.Place(self.report.output, var.name, p, out_ndim, kink.size)
        claims = {m: tensors[m] for m in self.claims}
        outside, hints = edges.claims_outside_kinks(place, claims, interval, kink, rtol, atol)
        self.report.hints.extend(hints)
        return outside

    def _per_method(self, tensors, ref, bounds) -> dict[str, np.ndarray]:
        """For each compared method, where it disagrees with the reference."""
        masks = {}
        for m, (rtol, atol) in bounds.items():
            a = tensors[m]
            masks[m] = ~edges.agrees(a, ref, rtol, atol, infinity_agrees=m not in self.claims)
            if m in self.skip:
                masks[m] &= ~self.skip[m]
        return masks

    def _disagreeing(self, tensors, ref, bounds) -> np.ndarray:
        bad = np.zeros(ref.shape, bool)
        for mask in self._per_method(tensors, ref, bounds).values():
            bad |= mask
        return bad

    def _refine_reference(self, y, var, p, point, tensors, ref, bad, bounds):
        """Re-evaluate disagreeing closed-form entries at 30 digits; keep them if they moved."""
        indices = [tuple(int(i) for i in ix) for ix in np.argwhere(bad)][:HIGH_PRECISION_LIMIT]
        try:
            precise = symbolic.jacobian_entries_precise(
                y, var, point, indices, HIGH_PRECISION_DIGITS
            )
        except (TypeError, ValueError, ArithmeticError):
            return ref
        rtol, atol = tolerance("tape", np.float64, None, None)
        moved = []
        for index, value in zip(indices, precise, strict=True):
            if np.isnan(value) or value == ref[index]:
                continue  # no better value, or the same one (equal infinities)
            if not abs(value - ref[index]) <= atol + rtol * abs(value):
                moved.append((index, ref[index], value))
                ref[index] = value
        if moved:
            tensors["sympy-30"] = np.full(ref.shape, np.nan)
            for index, _, value in moved:
                tensors["sympy-30"][index] = value
            worst = max(abs(old - new) for _, old, new in moved)
            self.report.notes.append(
                f"ill-conditioned here: SymPy's closed form for ∂{self.report.output}/∂{var.name}, "
                f"evaluated in float64 at point {p}, is off by up to {worst:.3g} at {len(moved)} "
                f"element(s); its {HIGH_PRECISION_DIGITS}-digit value (column sympy-30) is the "
                "reference there. This is lost precision, not a wrong gradient."
            )
        return ref

    def _unreliable_numeric(self, y, var, p, point, tensors, ref, bad, bounds) -> np.ndarray:
        """Elements only numeric gets wrong because the function itself is ill-conditioned."""
        others = {m: b for m, b in bounds.items() if m != "numeric"}
        only_numeric = bad & ~self._disagreeing(tensors, ref, others)
        outputs = sorted({tuple(int(i) for i in ix[: y.ndim]) for ix in np.argwhere(only_numeric)})
        outputs = outputs[:HIGH_PRECISION_LIMIT]
        if not outputs:
            return only_numeric
        try:
            precise = symbolic.values_precise(y, point, outputs, HIGH_PRECISION_DIGITS)
        except (TypeError, ValueError, ArithmeticError):
            return np.zeros(bad.shape, bool)
        with np.errstate(all="ignore"):
            value = np.asarray(run_forward(compile_program(y), point, point_dtype(point))[-1])
        unreliable = np.zeros(bad.shape, bool)
        worst = 0.0
        for index, exact in zip(outputs, precise, strict=True):
            error = abs(float(value[index]) - exact) / max(abs(exact), np.finfo(float).tiny)
            if not error <= 1e-10:
                unreliable[index] = only_numeric[index]
                worst = max(worst, error)
        if unreliable.any():
            self.report.notes.append(
                f"ill-conditioned here: at point {p} the function itself loses precision in "
                f"float64 (relative error up to {worst:.3g}), so numeric differences of it "
                f"cannot be trusted for {int(unreliable.sum())} element(s) of "
                f"∂{self.report.output}/∂{var.name}; they are not counted as mismatches."
            )
        return unreliable

    def _record(self, var, p, tensors, ref, bad, kink, nj, out_ndim) -> None:
        report = self.report
        methods = [m for m in tensors if m != "sympy-30"]
        for ix in np.argwhere(bad):
            index = tuple(int(i) for i in ix)
            values = {m: float(tensors[m][index]) for m in methods}
            if "sympy-30" in tensors and not np.isnan(tensors["sympy-30"][index]):
                values["sympy-30"] = float(ref[index])
            reference = "sympy-30" if "sympy-30" in values else report.reference
            report.mismatches.append(
                Mismatch(var.name, index, values, p, report.output, out_ndim, reference)
            )
        for ix in np.argwhere(kink):
            index = tuple(int(i) for i in ix)
            values = {m: float(tensors[m][index]) for m in methods}
            report.kinks.append(
                Kink(var.name, index, float(nj.left[index]), float(nj.right[index]), values, p,
                     report.output, out_ndim)
            )
        # A claim at a kink is compared too: with the one-sided derivatives.
        report.compared += int(np.sum(~kink)) + (int(np.sum(kink)) if self.claims else 0)

    def _errors(self, tensors, ref, mask) -> None:
        report = self.report
        for m, a in tensors.items():
            if m in (report.reference, "sympy-30") or not mask.any():
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


def note_non_finite(report: Report, y: Expr, p: int, point: dict) -> None:
    """Fail the report where ``y`` itself is inf or NaN: no derivative there can be trusted."""
    with np.errstate(all="ignore"):
        value = np.asarray(run_forward(compile_program(y), point, point_dtype(point))[-1])
    bad = np.argwhere(~np.isfinite(value))
    if len(bad):
        shown = ", ".join(
            f"{element_name(report.output, tuple(int(i) for i in ix))} = {value[tuple(ix)]}"
            for ix in bad[:3]
        )
        report.errors.append(
            f"{report.output} is not finite at point {p} ({shown}{', ...' if len(bad) > 3 else ''}"
            "), so its derivatives there cannot be checked"
        )
        report.notes.append(
            f"{report.output} is not finite in {np.asarray(value).dtype} at point {p}: derivatives "
            "there are meaningless; rewrite the expression in a numerically stable form or "
            "choose another point"
        )


def screen(
    report: Report, y: Expr, var: Var, p: int, point: dict, count: int, rtol, atol,
    extra: dict[str, np.ndarray] | None = None,
) -> bool:
    """Fast mode: True when the projections agree, so the element-wise comparison is skipped.

    ``extra`` holds full tensors to screen as well, such as a claimed derivative.
    """
    rng = np.random.default_rng([report.seed or 0, p, len(var.name), *map(ord, var.name)])
    result = fast.projections(y, var, point, report.methods, rng, count, extra)
    if result is not None:
        values, scales, kind = result
        dtype = np.result_type(*point.values()) if point else np.float64
        kinds = {m: (kind if m == "numeric" else m if m == "claimed" else "tape") for m in values}
        tolerances = {m: tolerance(kinds[m], dtype, rtol, atol) for m in values}
        if fast.agree(values, scales, report.reference, tolerances):
            report.projections += count
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


def check(
    y: Expr,
    wrt: Var | str | Sequence[Var | str],
    at: Mapping[Any, Any] | Sequence[Mapping[Any, Any]] | None = None,
    *,
    methods: Sequence[str] = METHODS,
    rtol: float | None = None,
    atol: float | None = None,
    seed: int | None = None,
    n_points: int = DEFAULT_POINTS,
    name: str = "y",
    mode: str = "full",
    projections: int = fast.PROJECTIONS,
    progress: bool | None = None,
) -> Report:
    """Compare ``∂y/∂x`` for each ``x`` in ``wrt`` across ``methods``, element by element.

    Args:
        y: the expression.
        wrt: a variable (``Var`` or name) or a list of them.
        at: a point (name -> value), a non-empty list of points, or None for ``n_points``
            random points drawn from ``seed`` (0 when None) inside every op's domain
            (at most 200; the report's notes say when fewer were checked). Given values
            must be finite; float16 ones are checked in float64 (a note says so).
        methods: any of ``"sympy"``, ``"tape"``, ``"numeric"``; SymPy is the reference.
        rtol, atol: override the per-method defaults of ``TOLERANCES``.
        name: how the output is called in the report (``∂y[1]/∂W[1,2]``).
        mode: ``"full"`` compares every element; ``"fast"`` first compares
            ``projections`` random projections ``uᵀJv`` per variable and point (one
            reverse pass and one or two forward passes each) and falls back to the
            element-wise comparison only where they disagree.
        progress: draw a counter on stderr once the check has run a couple of
            seconds; None (the default) draws it only when stderr is a terminal.

    Returns:
        A :class:`Report`; ``bool(report)`` tells whether every element agrees. A point
        where ``y`` is not finite makes it fail (an error says where).

    Raises:
        ValueError: ``n_points`` below 1, an empty ``at``, a non-finite value in ``at``,
            or a check too large to finish (saying what would work), before any work.
    """
    if not isinstance(y, Expr):
        raise TypeError(f"expected a diffcheck expression, got {type(y).__name__}")
    methods = validate_methods(methods)
    validate_mode(mode)
    wrt_vars = wrt_list(y, wrt)
    refuse_oversized(y, wrt_vars, methods, mode, name)
    points, seed, notes = resolve_points(y, at, seed, n_points)
    reference = "sympy" if "sympy" in methods else methods[0]
    report = Report(
        output=name, wrt=tuple(v.name for v in wrt_vars), methods=methods, reference=reference,
        tolerances={}, points=points, seed=seed, title="check" if mode == "full" else "check (fast)",
        notes=notes,
    )
    comparison = Comparison(report, rtol, atol)
    with reporting(progress):
        for p, point in enumerate(points):
            note_non_finite(report, y, p, point)
            for var in wrt_vars:
                if mode == "fast" and screen(report, y, var, p, point, projections, rtol, atol):
                    continue
                comparison.add(y, var, p, point, *comparison.tensors(y, var, p, point, methods))
        diagnose(report, y, wrt_vars)
    return report
