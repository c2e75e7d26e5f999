"""The Report of a check: which elements disagree, which sit on a kink, and why.

``str(report)`` follows ``numpy.testing.assert_allclose``: the tolerances, a
``Mismatched elements: k / n (p%)`` line, the largest errors, a capped table of the
wrong elements named as a person writes them (``∂y[1]/∂W[1,2]``) with every method's
value, and the points and seed that reproduce the check.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diffcheck.symbols import element_name

TABLE_ROWS = 20
POINT_ELEMENTS = 12  # arrays with more elements are summarised, not printed
POINT_DIGITS = 6  # significant digits of printed points; report.points keeps exact values


def partial_name(output: str, wrt: str, index: tuple[int, ...], out_ndim: int) -> str:
    """``∂y[1]/∂W[1,2]`` for entry ``index`` of a numerator-layout derivative."""
    return f"∂{element_name(output, index[:out_ndim])}/∂{element_name(wrt, index[out_ndim:])}"


def number(value: float) -> str:
    """A value in a table: enough digits to see a difference, short when it is simple."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "nan"
    return f"{value:.10g}"


def short(value: Any, digits: int = POINT_DIGITS) -> str:
    """A point's value as a nested list of numbers with ``digits`` significant digits."""
    array = np.asarray(value)
    if array.ndim == 0:
        value = float(array)
        rounded = format(value, f".{digits}g")
        return repr(value) if float(rounded) == value else rounded  # exact values as typed
    return "[" + ", ".join(short(item, digits) for item in array) + "]"


def gap(value: float, ref: float) -> float:
    """``|value - ref|``, zero for equal values (equal infinities), NaN when undefined."""
    return 0.0 if value == ref else abs(value - ref)


def largest(values) -> float:
    """The largest value that is not NaN; NaN when there is none."""
    present = [v for v in values if not np.isnan(v)]
    return max(present) if present else float("nan")


def error_order(mismatch: Mismatch) -> float:
    """Sort key: elements without a reference first, then the largest errors."""
    error = mismatch.abs_error
    return -np.inf if np.isnan(error) else -error


@dataclass(frozen=True)
class Mismatch:
    """One derivative element on which a method disagrees with the reference."""

    wrt: str
    index: tuple[int, ...]
    values: dict[str, float]
    point: int = 0
    output: str = "y"
    out_ndim: int = 0
    reference: str = "sympy"

    @property
    def name(self) -> str:
        """The element as a person writes it, e.g. ``∂y[1]/∂W[1,2]``."""
        return partial_name(self.output, self.wrt, self.index, self.out_ndim)

    @property
    def abs_error(self) -> float:
        """The largest gap to the reference; NaN only when no gap is defined (NaN reference)."""
        ref = self.values[self.reference]
        return largest(gap(v, ref) for k, v in self.values.items() if k != self.reference)

    @property
    def rel_error(self) -> float:
        ref, error = abs(self.values[self.reference]), self.abs_error
        if np.isnan(error) or error == 0:
            return error
        return error / ref if ref and np.isfinite(ref) else np.inf


@dataclass(frozen=True)
class Kink:
    """An element at a non-differentiable point: its one-sided values and each method's."""

    wrt: str
    index: tuple[int, ...]
    left: float
    right: float
    values: dict[str, float]
    point: int = 0
    output: str = "y"
    out_ndim: int = 0

    @property
    def name(self) -> str:
        return partial_name(self.output, self.wrt, self.index, self.out_ndim)


@dataclass
class Report:
    """The verdict of a check; ``bool(report)`` is ``report.ok``."""

    output: str
    wrt: tuple[str, ...]
    methods: tuple[str, ...]
    reference: str
    tolerances: dict[str, tuple[float, float]]
    points: list[dict[str, np.ndarray]]
    seed: int | None
    mismatches: list[Mismatch] = field(default_factory=list)
    kinks: list[Kink] = field(default_factory=list)
    compared: int = 0
    projections: int = 0  # random projections uᵀJv compared in fast mode
    max_abs_error: float = 0.0
    max_rel_error: float = 0.0
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # structural problems, e.g. a wrong layout
    # method -> elements (point, wrt, index) where it disagrees with the reference
    disagreeing: dict[str, set[tuple]] = field(default_factory=dict)

    hints: list[str] = field(default_factory=list)
    jacobians: dict[tuple[int, str], dict[str, np.ndarray]] = field(default_factory=dict)
    numeric_kind: dict[str, str] = field(default_factory=dict)
    title: str = "check"
    point_digits: int = POINT_DIGITS  # significant digits when points are printed

    @property
    def ok(self) -> bool:
        return not self.mismatches and not self.errors

    def __bool__(self) -> bool:
        return self.ok

    # ----- text -----
    def _method_label(self, method: str) -> str:
        kind = set(self.numeric_kind.values())
        if method == "numeric" and kind:
            return f"numeric ({'/'.join(sorted(kind))})"
        return method

    def headline(self) -> str:
        wrt = ", ".join(f"∂{self.output}/∂{w}" for w in self.wrt)
        methods = ", ".join(self._method_label(m) for m in self.methods)
        verdict = "OK" if self.ok else "FAILED"
        return f"diffcheck {self.title}: {wrt} by {methods}: {verdict}"

    def tolerance_line(self) -> str:
        parts = [
            f"{self._method_label(m)} vs {self.reference}: rtol={r:g}, atol={a:g}"
            for m, (r, a) in self.tolerances.items()
        ]
        return "Tolerances: " + "; ".join(parts)

    def summary_lines(self) -> list[str]:
        share = 100.0 * len(self.mismatches) / self.compared if self.compared else 0.0
        lines = []
        if self.projections:
            lines.append(
                f"Fast mode: {self.projections} random projections uᵀJv agreed"
                + (" (elements of the rest compared below)" if self.compared else "")
            )
        if self.projections and not self.compared:
            return lines
        if self.errors and not self.compared:
            return lines  # nothing was compared: "0 / 0" would only confuse
        lines.append(f"Mismatched elements: {len(self.mismatches)} / {self.compared} ({share:.3g}%)")
        if self.mismatches:
            missing = any(np.isnan(m.values[m.reference]) for m in self.mismatches)
            for kind in ("absolute", "relative"):
                worst = largest(
                    m.abs_error if kind == "absolute" else m.rel_error for m in self.mismatches
                )
                if np.isnan(worst):
                    shown = "undefined (no reference: see notes)"
                else:
                    shown = f"{worst:.6g}" + (" (some elements have no reference: see notes)"
                                              if missing else "")
                lines.append(f"Max {kind} difference among violations: {shown}")
        lines.append(
            f"Max absolute / relative difference over all compared elements: "
            f"{self.max_abs_error:.3g} / {self.max_rel_error:.3g}"
        )
        return lines

    def table_lines(self, limit: int = TABLE_ROWS) -> list[str]:
        if not self.mismatches:
            return []
        worst = sorted(self.mismatches, key=error_order)
        columns = [self.reference] + [k for k in worst[0].values if k != self.reference]
        show_point = len(self.points) > 1
        rows = [["element"] + (["point"] if show_point else []) + columns]
        for m in worst[:limit]:
            cells = [number(m.values.get(c, float("nan"))) for c in columns]
            rows.append([m.name] + ([str(m.point)] if show_point else []) + cells)
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                 for r in rows]
        if len(worst) > limit:
            lines.append(f"  ... and {len(worst) - limit} more (report.mismatches has all {len(worst)})")
        return lines

    def kink_lines(self, limit: int = TABLE_ROWS) -> list[str]:
        if not self.kinks:
            return []
        lines = [f"Non-differentiable (kink) elements, neither passed nor failed: {len(self.kinks)}"]
        if any("claimed" in k.values for k in self.kinks):
            lines.append("  (the methods are not compared there; a claim there must lie between "
                         "the one-sided values)")
        for k in self.kinks[:limit]:
            methods = ", ".join(f"{m} {number(v)}" for m, v in k.values.items())
            lines.append(
                f"  {k.name} at point {k.point} is non-differentiable: one-sided values "
                f"left {number(k.left)}, right {number(k.right)} ({methods})"
            )
        if len(self.kinks) > limit:
            lines.append(f"  ... and {len(self.kinks) - limit} more (see report.kinks)")
        return lines

    def point_lines(self) -> list[str]:
        lines = []
        for i, point in enumerate(self.points):
            parts = []
            for name, value in point.items():
                value = np.asarray(value)
                if value.size <= POINT_ELEMENTS:
                    parts.append(f"{name}={short(value, self.point_digits)}")
                else:
                    parts.append(f"{name}=<array of shape {value.shape}>")
            lines.append(f"Point {i}: " + ", ".join(parts))
        how = "random points from seed" if self.seed is not None else "points given in at"
        lines.append(
            f"Reproduce: {how} {self.seed if self.seed is not None else ''}".rstrip()
            + "; report.points holds the exact values."
        )
        return lines

    def __str__(self) -> str:
        lines = [self.headline(), *(f"Error: {e}" for e in self.errors)]
        lines += [self.tolerance_line()] if self.tolerances else []
        lines += self.summary_lines()
        lines += self.table_lines()
        if self.hints:
            lines.append("Hints:")
            lines += [f"  - {h}" for h in self.hints]
        lines += self.kink_lines()
        if self.notes:
            lines.append("Notes:")
            lines += [f"  - {n}" for n in self.notes]
        lines += self.point_lines()
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<Report {self.title} {'ok' if self.ok else 'FAILED'}: "
            f"{len(self.mismatches)} / {self.compared} mismatched, {len(self.kinks)} kinks>"
        )

    def _repr_markdown_(self) -> str:
        return "```text\n" + str(self) + "\n```"

    def _repr_html_(self) -> str:
        """The verdict, the capped table of wrong elements, and the hints, for notebooks."""
        esc = html.escape
        color = "green" if self.ok else "#b00"
        parts = [f'<p><b style="color:{color}">{esc(self.headline())}</b></p>']
        parts += [f"<p>Error: {esc(e)}</p>" for e in self.errors]
        parts.append("<p>" + "<br>".join(esc(line) for line in self.summary_lines()) + "</p>")
        if self.mismatches:
            worst = sorted(self.mismatches, key=error_order)[:TABLE_ROWS]
            columns = [self.reference] + [k for k in worst[0].values if k != self.reference]
            head = "".join(f"<th>{esc(c)}</th>" for c in ["element", "point", *columns])
            rows = "".join(
                "<tr>" + f"<td>{esc(m.name)}</td><td>{m.point}</td>"
                + "".join(f"<td>{esc(number(m.values.get(c, float('nan'))))}</td>" for c in columns)
                + "</tr>"
                for m in worst
            )
            parts.append(f"<table><tr>{head}</tr>{rows}</table>")
        if self.hints:
            parts.append("<ul>" + "".join(f"<li>{esc(h)}</li>" for h in self.hints) + "</ul>")
        if self.kinks:
            parts.append("<p>" + "<br>".join(esc(line) for line in self.kink_lines()) + "</p>")
        return "\n".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly summary (for CI logs and graders)."""
        return {
            "ok": self.ok,
            "errors": list(self.errors),
            "hints": list(self.hints),
            "compared": self.compared,
            "mismatches": [
                {"element": m.name, "point": m.point, "values": m.values} for m in self.mismatches
            ],
            "kinks": [
                {"element": k.name, "point": k.point, "left": k.left, "right": k.right}
                for k in self.kinks
            ],
            "max_abs_error": self.max_abs_error,
            "max_rel_error": self.max_rel_error,
            "seed": self.seed,
        }
