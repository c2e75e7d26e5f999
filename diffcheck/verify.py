"""Checks of derivations people write: ``check_gradient`` and ``check_chain``.

Both reuse the comparator of ``check``: the hand-derived value (or the chain-rule
product) is one more column, compared element by element with the SymPy reference,
while the three methods keep checking each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from diffcheck.blame import diagnose, layout_reading_hint
from diffcheck.claims import (
    claim_in_numerator_layout,
    claims_by_variable,
    evaluator_for,
)
from diffcheck.compare import (
    DEFAULT_POINTS,
    METHODS,
    Comparison,
    note_non_finite,
    refuse_oversized,
    resolve_points,
    screen,
    validate_methods,
    validate_mode,
    wrt_list,
)
from diffcheck.derivatives import check_layout, jacobian_numerator
from diffcheck.errors import ShapeError
from diffcheck.fast import PROJECTIONS
from diffcheck.ir import Expr, Var
from diffcheck.progress import reporting
from diffcheck.report import Report
from diffcheck.routes import bypassing_route, describe_route, substitute


def _new_report(title, y_name, wrt, methods, points, seed) -> Report:
    reference = "sympy" if "sympy" in methods else methods[0]
    return Report(
        output=y_name, wrt=tuple(v.name for v in wrt), methods=methods, reference=reference,
        tolerances={}, points=points, seed=seed, title=title,
    )


def check_gradient(
    y: Expr,
    wrt: Var | str | Sequence[Var | str],
    claimed: Any,
    at: Mapping[Any, Any] | Sequence[Mapping[Any, Any]] | None = None,
    *,
    layout: str = "numerator",
    methods: Sequence[str] = METHODS,
    rtol: float | None = None,
    atol: float | None = None,
    seed: int | None = None,
    n_points: int = DEFAULT_POINTS,
    name: str = "y",
    mode: str = "full",
    progress: bool | None = None,
) -> Report:
    """Check a hand-derived derivative ``∂y/∂wrt`` against the three methods.

    Args:
        y: the expression.
        wrt: the variable (``Var`` or name); several variables take ``claimed`` as a dict.
        claimed: a callable receiving every variable of ``y`` by keyword, a SymPy object
            over the element symbols, a string such as ``"2*a + b"``, or an array (the value
            at the one point given in ``at``, or anywhere when the derivative is constant).
            Shape ``y.shape + x.shape`` (numerator layout) or ``x.shape + y.shape`` with
            ``layout="denominator"``.
        at: a point, a list of points, or None for ``n_points`` seeded random points
            (a wrong formula can agree at one point, so several are checked).
        mode: ``"fast"`` screens the claim and the methods with random projections
            ``uᵀJv`` first and compares elements only where they disagree (see ``check``).
        progress: a counter on stderr for long checks (see ``check``).

    Returns:
        A Report in which each mismatch carries the claimed value under ``"claimed"``.

    Raises:
        ShapeError: the claim's shape is neither layout's shape.
        ParseError: a string claim was rejected by the safe parser.
        ValueError: a SymPy claim outside the allowlist, or an array claim without its point.
    """
    if not isinstance(y, Expr):
        raise TypeError(f"expected a diffcheck expression, got {type(y).__name__}")
    check_layout(layout)
    methods = validate_methods(methods)
    validate_mode(mode)
    wrt_vars = wrt_list(y, wrt)
    claims = claims_by_variable(claimed, wrt_vars)
    refuse_oversized(y, wrt_vars, methods, mode, name)
    points, seed, notes = resolve_points(y, at, seed, n_points)
    point_given = at is not None and len(points) == 1
    evaluators = {v.name: evaluator_for(claims[v.name], y, v, point_given) for v in wrt_vars}
    title = "check_gradient" if mode == "full" else "check_gradient (fast)"
    report = _new_report(title, name, wrt_vars, methods, points, seed)
    report.notes.extend(notes)
    comparison = Comparison(report, rtol, atol)
    with reporting(progress):
        for p, point in enumerate(points):
            note_non_finite(report, y, p, point)
            for var in wrt_vars:
                value, problem = claim_in_numerator_layout(evaluators[var.name](point), y, var, layout)
                if problem is not None:
                    if problem not in report.errors:
                        report.errors.append(problem)
                        reference = jacobian_numerator(y, var, point, report.reference)
                        other = "denominator" if layout == "numerator" else "numerator"
                        claim = np.asarray(evaluators[var.name](point), dtype=float)
                        if other == "denominator":  # x's axes first: bring y's axes to the front
                            claim = np.transpose(claim, _swap(var.ndim, y.ndim))
                        report.hints.append(layout_reading_hint(claim, reference, other))
                    continue
                if mode == "fast" and screen(
                    report, y, var, p, point, PROJECTIONS, rtol, atol, {"claimed": value}
                ):
                    continue
                tensors, kinds, nj = comparison.tensors(y, var, p, point, methods)
                tensors["claimed"], kinds["claimed"] = value, "claimed"
                comparison.add(y, var, p, point, tensors, kinds, nj)
        diagnose(report, y, wrt_vars)
    return report


def _swap(first: int, second: int) -> tuple[int, ...]:
    return tuple(range(first, first + second)) + tuple(range(first))


def check_chain(
    y: Expr,
    via: Expr,
    wrt: Var | str,
    at: Mapping[Any, Any] | Sequence[Mapping[Any, Any]] | None = None,
    *,
    methods: Sequence[str] = METHODS,
    rtol: float | None = None,
    atol: float | None = None,
    seed: int | None = None,
    n_points: int = DEFAULT_POINTS,
    name: str = "y",
    via_name: str = "via",
) -> Report:
    """Check the chain rule ``∂y/∂wrt = ∂y/∂via · ∂via/∂wrt`` (contracted over via's axes).

    For each method, the product of the two factors (column ``"chain <method>"``) is
    compared with the direct derivative. Every route from ``wrt`` to ``y`` must pass
    through ``via``; a route that bypasses it is a ValueError naming that route.
    """
    if not isinstance(y, Expr) or not isinstance(via, Expr):
        raise TypeError("y and via must be diffcheck expressions (via a node of y's graph)")
    methods = validate_methods(methods)
    (var,) = wrt_list(y, wrt)
    route = bypassing_route(y, via, var)
    if route is not None:
        raise ValueError(
            f"a route from {var.name} to {name} bypasses {via_name}: {describe_route(route)}; "
            f"∂{name}/∂{via_name} · ∂{via_name}/∂{var.name} misses it, so the chain rule needs "
            "the sum over every route"
        )
    via_var = Var(via_name, via.shape)
    outer = substitute(y, via, via_var)
    refuse_oversized(y, (var,), methods, name=name, factors=((outer, via_var, name), (via, var, via_name)))
    points, seed, notes = resolve_points(y, at, seed, n_points)
    report = _new_report("check_chain", name, (var,), methods, points, seed)
    report.notes.extend(notes)
    comparison = Comparison(report, rtol, atol)
    from diffcheck.derivatives import evaluate

    for p, point in enumerate(points):
        note_non_finite(report, y, p, point)
        tensors, kinds, nj = comparison.tensors(y, var, p, point, methods)
        outer_point = {**point, via_name: np.asarray(evaluate(via, _restrict(point, via)))}
        outer_point = _restrict(outer_point, outer)
        for m in methods:
            dy_dvia = jacobian_numerator(outer, via_var, outer_point, m)
            dvia_dx = jacobian_numerator(via, var, _restrict(point, via), m)
            product = np.tensordot(dy_dvia, dvia_dx, axes=via.ndim)
            if product.shape != y.shape + var.shape:  # pragma: no cover - defensive
                raise ShapeError(f"chain product has shape {product.shape}")
            tensors[f"chain {m}"], kinds[f"chain {m}"] = product, kinds[m]
        comparison.add(y, var, p, point, tensors, kinds, nj)
    diagnose(report, y, (var,))
    return report


def _names(expr: Expr) -> set[str]:
    from diffcheck.ir import variables

    return set(variables(expr))


def _restrict(point: dict[str, np.ndarray], expr: Expr) -> dict[str, np.ndarray]:
    names = _names(expr)
    return {k: v for k, v in point.items() if k in names}
