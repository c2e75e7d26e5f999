"""The one check pipeline under ``check``, ``check_gradient``, ``check_chain`` and more.

A front end validates its arguments, resolves the points and describes the run as a
``CheckPlan``; ``run_check`` then does the same for every front end: for each point it
notes where ``y`` is not finite, and for each variable it asks the plan for the
columns the front end adds (a claim, a chain-rule product), screens with projections
in fast mode, computes each method's tensor and compares element by element; then it
diagnoses a failure. State of the run lives on a ``Run``, never on the Report, which
is only the result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diffcheck.backends.program import compile_program, point_dtype, run_forward
from diffcheck.checking.check_inputs import RouteLimits
from diffcheck.checking.comparison import compare_elements
from diffcheck.checking.method_tensors import Column, Index, SeededSample, method_tensors
from diffcheck.checking.projections import PROJECTIONS, screen
from diffcheck.checking.report import Report
from diffcheck.diagnosis.blame import diagnose
from diffcheck.ir import Expr, Var
from diffcheck.progress import reporting, stage
from diffcheck.symbols import element_name

# Columns a front end adds for one (point, variable); None skips that pair (it said why).
ExtraColumns = Callable[["Run", int, Var, dict], "dict[str, Column] | None"]
NumericSample = Callable[[int, Var], "list[Index] | None"]


def no_extra_columns(run: Run, p: int, var: Var, point: dict) -> dict[str, Column]:
    return {}


@dataclass(frozen=True)
class CheckPlan:
    """Everything one run needs: what to differentiate, where, by which methods, and how."""

    y: Expr
    wrt: tuple[Var, ...]
    points: Sequence[dict[str, np.ndarray]]
    seed: int | None  # None when the points were given
    methods: tuple[str, ...]
    routes: RouteLimits
    title: str = "check"
    output: str = "y"
    notes: Sequence[str] = ()
    mode: str = "full"
    projections: int = PROJECTIONS
    rtol: float | None = None
    atol: float | None = None
    progress: bool | None = False
    extra: ExtraColumns = no_extra_columns
    sample: NumericSample | None = None  # default: a seeded sample above routes.numeric_columns

    @property
    def reference(self) -> str:
        return "sympy" if "sympy" in self.methods else self.methods[0]

    @property
    def numeric_sample(self) -> NumericSample:
        """Which elements of a variable numeric differences perturb, per point."""
        return self.sample or SeededSample(self.seed, self.routes.numeric_columns)


@dataclass
class Run:
    """One run of a plan: the Report being built and what the run learns on the way."""

    plan: CheckPlan
    report: Report
    # (point, variable) -> column -> (rtol, atol) as compared; numeric's atol per element
    allowances: dict[tuple[int, str], dict[str, tuple]] = field(default_factory=dict)
    # variable -> its closed form in matrix notation (or None), derived once per run
    matrix_forms: dict[str, Any] = field(default_factory=dict)

    def note_once(self, note: str) -> None:
        if note not in self.report.notes:
            self.report.notes.append(note)

    def stage(self, p: int, method: str, var: Var) -> None:
        stage(f"point {p + 1}/{len(self.report.points)}, {method} ∂{self.report.output}/∂{var.name}")


def new_report(plan: CheckPlan) -> Report:
    """The empty Report of a plan: its names, methods, reference, points and notes."""
    return Report(
        output=plan.output, wrt=tuple(v.name for v in plan.wrt), methods=plan.methods,
        reference=plan.reference, tolerances={}, points=list(plan.points), seed=plan.seed,
        title=plan.title, notes=list(plan.notes),
    )


def run_check(plan: CheckPlan) -> Report:
    """Run ``plan`` and return its Report (``bool(report)`` says whether everything agreed)."""
    return execute(plan).report


def execute(plan: CheckPlan) -> Run:
    """Run ``plan``, keeping the run (its Report and the allowances it compared with)."""
    run = Run(plan, new_report(plan))
    with reporting(plan.progress):
        for p, point in enumerate(plan.points):
            note_non_finite(run.report, plan.y, p, point)
            for var in plan.wrt:
                check_pair(run, p, var, point)
        diagnose(run.report, plan.y, plan.wrt)
    return run


def check_pair(run: Run, p: int, var: Var, point: dict[str, np.ndarray]) -> None:
    """``∂y/∂var`` at one point: the front end's columns, the fast screen, the comparison."""
    extra = run.plan.extra(run, p, var, point)
    if extra is None:
        return
    if run.plan.mode == "fast" and screen(run, var, p, point, extra):
        return
    columns = method_tensors(run, var, p, point)
    columns.add(extra)
    compare_elements(run, var, p, point, columns)


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
