"""Hints about a wrong claimed derivative, decided over every checked point.

The pipeline's diagnosis (:func:`diffcheck.diagnosis.blame.diagnose`) hints from the
report's tensors alone. ``check_gradient`` knows more — the claim itself — and calls
:func:`diagnose_claims` afterwards: a claim that can be evaluated anywhere (a callable,
a string, SymPy) is also evaluated at extra seeded points when fewer were checked, so
that a hint never rests on one point and the same mistake gets the same hint whatever
the seed; a typed claim is compared with SymPy's closed form symbolically.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from diffcheck.checking.report import Report
from diffcheck.diagnosis import hints as numeric
from diffcheck.diagnosis import route_hints, structure_hints
from diffcheck.ir import Expr, Var, toposort
from diffcheck.ops import REGISTRY

HINT_POINTS = 4  # a hint is decided over at least this many points when the claim allows
HINT_SEED = 20_251  # extra points are drawn from this seed, whatever the check's seed
SYMBOLIC_ELEMENTS = 256  # symbolic comparison up to this many derivative elements


@dataclass
class ClaimContext:
    """What check_gradient knows about one variable's claim."""

    evaluate: Callable[[dict], Any] | None  # None: an array, valid at its point only
    numerator: Callable[[Any], np.ndarray | None]  # a claim value -> numerator layout or None
    symbolic: np.ndarray | None = None  # SymPy entries in numerator layout
    named: bool = True  # the caller named the output (name=...)


def output_name(y: Expr, name: str | None) -> str:
    """The output's name: as given, a variable's own name, else ``y``."""
    if name is not None:
        return name
    return y.name if isinstance(y, Var) else "y"


def claim_contexts(claims: Mapping[str, Any], evaluators: Mapping[str, Callable], y: Expr,
                   layout: str, named: bool, names: Mapping[str, Expr] | None = None
                   ) -> dict[str, ClaimContext]:
    """What check_gradient knows about each variable's claim, for :func:`diagnose_claims`."""
    from diffcheck.checking.claims import symbolic_claim
    from diffcheck.diagnosis.shape_hints import read_claim
    from diffcheck.ir import variables

    contexts = {}
    for name, claim in claims.items():
        var = variables(y)[name]
        fixed = isinstance(claim, (np.ndarray, list, tuple, int, float, np.number))

        def numerator(value, var=var):
            try:
                return read_claim(value, y, var, layout, "y", lambda: None).value
            except (ValueError, TypeError, AttributeError):
                return None  # a shape error: said at the checked points already

        contexts[name] = ClaimContext(
            None if fixed else evaluators[name], numerator, symbolic_claim(claim, y, var, layout, names),
            named=named,
        )
    return contexts


def reduction_sizes(y: Expr, var: Var) -> set[int]:
    """How many elements each averaging reduction (a mean) in ``y`` folds into one."""
    sizes = set()
    for node in toposort(y):
        if not node.inputs or not REGISTRY[node.op].averages:
            continue
        for child in node.inputs:
            if child.size > node.size and node.size and child.size % node.size == 0:
                sizes.add(child.size // node.size)
    return sizes


def _pairs(report: Report, var: Var) -> tuple[list, list[dict]]:
    at_kinks = {(k.point, k.wrt) for k in report.kinks}
    pairs, points = [], []
    for (p, name), tensors in sorted(report.jacobians.items()):
        ref = tensors.get(report.reference)
        if (name != var.name or "claimed" not in tensors or (p, name) in at_kinks
                or not np.all(np.isfinite(ref))):
            continue
        pairs.append((tensors["claimed"], ref))
        points.append(report.points[p])
    return pairs, points


def _more_points(report: Report, y: Expr, var: Var, context: ClaimContext, pairs, points):
    """Top the evidence up to HINT_POINTS points with seeded extra points."""
    from diffcheck.checking.points import random_points
    from diffcheck.derivatives import jacobian_numerator

    missing = HINT_POINTS - len(pairs)
    if context.evaluate is None or missing <= 0 or not pairs:
        return pairs, points
    method = report.reference if report.reference in ("sympy", "tape") else "tape"
    try:
        extra = random_points(y, missing, HINT_SEED)
        for point in extra:
            claim = context.numerator(context.evaluate(point))
            ref = jacobian_numerator(y, var, point, method)
            if claim is None or not np.all(np.isfinite(ref)) or not np.all(np.isfinite(claim)):
                continue
            pairs, points = pairs + [(claim, ref)], points + [point]
    except (ValueError, TypeError, ArithmeticError):
        pass  # a diagnosis never fails a check: the points checked remain the evidence
    return pairs, points


CLAIM_HINTS = ("layout: the claim", "sign:", "factor:", "batch:", "mean:", "route:",
               "activation:", "structure:", "zero:", "few:")


def hints_for_variable(report: Report, y: Expr, var: Var,
                       context: ClaimContext | None = None, *, graph: bool = True) -> list[str]:
    """Every hint that exactly explains how ``var``'s claim differs from the derivative.

    ``graph``: also test hypotheses that rebuild the derivative from the graph's edges
    (forgotten routes, a missing activation derivative).
    """
    pairs, points = _pairs(report, var)
    if context is not None:
        pairs, points = _more_points(report, y, var, context, pairs, points)
    if not pairs or all(numeric.close(c, r) for c, r in pairs):
        return []
    output, out_ndim = report.output, y.ndim
    from diffcheck.diagnosis.blame import broadcast_batch_sizes

    claims = [c for c, _ in pairs]
    found = [
        numeric.permutation_hint(pairs, out_ndim),
        numeric.sign_hint(pairs),
        numeric.factor_hint(pairs, broadcast_batch_sizes(y, var), reduction_sizes(y, var)),
    ]
    symbolic = None
    if context is not None and context.symbolic is not None:
        symbolic = _symbolic(y, var, context.symbolic, pairs, output)
    found.append(symbolic)
    routes = [route_hints.route_hint(y, var, output, points, claims),
              None if symbolic else route_hints.activation_hint(y, var, output, points, claims)
              ] if graph else []
    found += routes + [structure_hints.structure_hint(pairs, output, var.name, out_ndim)]
    hints = list(dict.fromkeys(h for h in found if h))
    if not any(routes):
        names = [lambda ix: numeric.partial_name(output, var.name, tuple(map(int, ix)), out_ndim)]
        zero = numeric.zero_hint(pairs, names * len(pairs))
        hints += [zero] if zero else []
    if not hints:
        few = structure_hints.few_hint(pairs, output, var.name, out_ndim)
        hints += [few] if few else []
    return hints


def _symbolic(y: Expr, var: Var, claim: np.ndarray, pairs, output: str) -> str | None:
    """The symbolic hint, when the derivative is small enough to compare entry by entry."""
    if y.size * var.size > SYMBOLIC_ELEMENTS:
        return None
    from diffcheck.backends.symbolic import closed_form
    from diffcheck.diagnosis.symbolic_hints import symbolic_hint

    wrong = np.zeros(claim.shape, bool)
    for c, r in pairs:
        wrong |= np.abs(c - r) > numeric.ATOL + numeric.RTOL * np.abs(r)
    try:
        truth = closed_form(y, var)
    except (ValueError, TypeError, ArithmeticError, RecursionError):
        return None
    return symbolic_hint(claim, truth, wrong, output, var.name, y.ndim)


def diagnose_claims(report: Report, y: Expr, wrt: tuple[Var, ...],
                    contexts: Mapping[str, ClaimContext]) -> None:
    """Replace the pipeline's claim hints by those decided with the claim's full context."""
    if report.ok and not report.errors:
        return
    fresh: list[str] = []
    report.hints[:] = [h for h in report.hints if not h.startswith(CLAIM_HINTS)]
    for var in wrt:
        fresh += hints_for_variable(report, y, var, contexts.get(var.name))
    report.hints[:0] = list(dict.fromkeys(fresh))
    if not any(c.named for c in contexts.values()) and report.output == "y":
        report.notes.append("the output is called y in this report: pass name=\"L\" (any name) "
                            "to call it as you do")
