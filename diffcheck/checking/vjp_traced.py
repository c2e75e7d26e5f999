"""``check_vjp`` of a traced forward: the backward's claims as a ``check_gradient`` run.

A small output (at most ``FULL_JACOBIAN_OUTPUTS`` elements) is checked on its whole
Jacobian, rebuilt from unit cotangents, at the one point ``at``. A larger one is
checked through the scalar ``⟨g, y⟩``, with the cotangent ``g`` as one more variable
whose seeded values are the points; the claim at each point is ``backward(g)``. As the
points differ only in ``g``, numeric differences perturb a different share of a large
input's seeded sample at each point (the sample is spread, not repeated), while SymPy
and the tape compare every element at every point.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from diffcheck.checking import compare
from diffcheck.checking.backward_calls import Backward, linearity_errors
from diffcheck.checking.check_inputs import refuse_oversized, resolve_points, wrt_list
from diffcheck.checking.claims import evaluator_for
from diffcheck.checking.method_tensors import Index
from diffcheck.checking.pipeline import CheckPlan, run_check
from diffcheck.checking.report import Mismatch, Report
from diffcheck.checking.tolerances import tolerance
from diffcheck.checking.tracing import Inputs
from diffcheck.checking.verify import ClaimColumn
from diffcheck.ir import Expr, Var, variables

FULL_JACOBIAN_OUTPUTS = 64  # outputs up to this size: the claimed Jacobian is rebuilt in full
# Elements of a large input that numeric differences perturb in all, dealt out over the
# cotangents (SymPy and the tape compare every element at every cotangent).
VJP_NUMERIC_COLUMNS = 128


def fresh_name(inputs: Inputs) -> str:
    """A variable name for the cotangent that no input uses (``g``, else ``g_``, ...)."""
    name = "g"
    while name in inputs.arrays:
        name += "_"
    return name


@dataclass(frozen=True)
class SpreadSample:
    """Numeric differences' columns: all of a small variable at every point; for a large one,
    one seeded sample of ``limit`` elements dealt out over the ``count`` points."""

    seed: int | None
    limit: int
    count: int

    def __call__(self, p: int, var: Var) -> list[Index] | None:
        if var.size <= self.limit:
            return None
        rng = np.random.default_rng([self.seed or 0, *map(ord, var.name)])
        picks = rng.choice(var.size, self.limit, replace=False)[p::self.count]
        return [tuple(int(i) for i in np.unravel_index(f, var.shape)) for f in picks]


def traced_report(
    y: Expr, inputs: Inputs, claims: Backward, cotangents: list[np.ndarray], name: str, opts: dict,
) -> Report:
    """The report of ``backward``'s claims against the derivatives of the traced ``y``."""
    used = [n for n in inputs.differentiable if n in variables(y)]
    point = {n: inputs.arrays[n] for n in used}
    unused = [n for n in inputs.differentiable if n not in used]
    if y.size <= FULL_JACOBIAN_OUTPUTS:
        jacobians = claims.unit_jacobian()
        wrt = [n for n in used if n in jacobians]
        how = (f"the claimed Jacobian was rebuilt from {y.size} unit cotangent(s) ({name} has "
               f"{y.size} ≤ {FULL_JACOBIAN_OUTPUTS} elements) and compared element by element; "
               f"{len(cotangents)} seeded cotangent(s) checked that backward is linear in g")
        report = _run(y, wrt, {n: jacobians[n] for n in wrt}, [point], name, opts, how)
        report.errors += linearity_errors(claims, jacobians, cotangents, inputs.dtype, name)
        for n in unused:
            if n in jacobians:
                _expect_zero(report, n, jacobians[n], 0, y.ndim, opts)
        return report
    g = fresh_name(inputs)
    s = (Var(g, y.shape) * y).sum()
    wrt = [n for n in used if n in claims(cotangents[0])]
    claimed = {n: _claim_of(claims, g, n) for n in wrt}
    how = (f"{len(cotangents)} seeded cotangents {g} (the points; {name} has {y.size} > "
           f"{FULL_JACOBIAN_OUTPUTS} elements), backward({g}) compared with ∂⟨{g},{name}⟩/∂x")
    points = [{**point, g: c} for c in cotangents]
    sample = SpreadSample(opts["seed"], VJP_NUMERIC_COLUMNS, len(points))
    report = _run(s, wrt, claimed, points, f"⟨{g},{name}⟩", opts, how, sample)
    for n in unused:
        for k, c in enumerate(cotangents):
            if n in claims(c):
                _expect_zero(report, n, claims(c)[n], k, 0, opts)
    return report


def _run(
    y: Expr, wrt: Sequence[str], claimed: dict[str, Any], points: list[dict], output: str,
    opts: dict, how: str, sample: SpreadSample | None = None,
) -> Report:
    """``check_gradient``'s pipeline on ``y`` with array or callable claims at ``points``."""
    methods = opts["methods"]
    if not wrt:
        reference = "sympy" if "sympy" in methods else methods[0]
        report = Report(output, (), methods, reference, {}, points, opts["seed"])
    else:
        wrt_vars = wrt_list(y, list(wrt))
        routes = compare.route_limits()
        refuse_oversized(y, wrt_vars, methods, routes, "full", output)
        resolved, _, notes = resolve_points(y, points, None, 1)
        evaluators = {v.name: evaluator_for(claimed[v.name], y, v, len(resolved) == 1)
                      for v in wrt_vars}
        report = run_check(CheckPlan(
            y, wrt_vars, resolved, None, methods, routes, title="check_vjp", output=output,
            notes=notes, rtol=opts["rtol"], atol=opts["atol"], progress=None,
            extra=ClaimColumn(y, evaluators, "numerator"), sample=sample,
        ))
        if sample is not None:
            report.notes.append(f"numeric: for an input of more than {sample.limit} elements, "
                                f"each cotangent perturbs its own share of one seeded sample of "
                                f"{sample.limit}")
    report.notes.insert(0, f"check_vjp: forward was traced into an expression; {how}")
    return report


def _claim_of(claims: Backward, g: str, name: str) -> Callable[..., np.ndarray]:
    def claimed(**point: np.ndarray) -> np.ndarray:
        return claims(np.asarray(point[g]))[name]

    return claimed


def _expect_zero(report: Report, name: str, claim: np.ndarray, p: int, out_ndim: int, opts: dict) -> None:
    """An input forward does not use has a zero gradient: each non-zero claimed element fails."""
    _, atol = tolerance("claimed", claim.dtype, opts["rtol"], opts["atol"])
    report.compared += claim.size
    for ix in np.argwhere(~(np.abs(claim) <= atol)):
        index = tuple(int(i) for i in ix)
        values = {m: 0.0 for m in report.methods} | {"claimed": float(claim[index])}
        report.mismatches.append(Mismatch(name, index, values, p, report.output, out_ndim,
                                          report.reference))
    if name not in report.wrt:
        report.wrt = (*report.wrt, name)
    note = f"forward does not use {name}: its gradient is 0"
    if note not in report.notes:
        report.notes.append(note)
