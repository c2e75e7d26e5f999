"""Checks of derivations people write: ``check_gradient`` and ``check_chain``.

Both are front ends of the check pipeline (``diffcheck.checking.pipeline``), like ``check``:
what they add is one more column per point and variable, the hand-derived value
(``ClaimColumn``) or the chain-rule products (``ChainProducts``), compared element by
element with the SymPy reference while the three methods keep checking each other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from diffcheck.checking import compare
from diffcheck.checking.check_inputs import (
    METHODS,
    refuse_oversized,
    require_expression,
    resolve_points,
    validate_methods,
    validate_mode,
    wrt_list,
)
from diffcheck.checking.claims import (
    claims_by_variable,
    evaluator_for,
)
from diffcheck.checking.compare import DEFAULT_POINTS
from diffcheck.checking.method_tensors import Column
from diffcheck.checking.pipeline import CheckPlan, Run, run_check
from diffcheck.checking.report import Report
from diffcheck.checking.routes import bypassing_route, describe_route, substitute
from diffcheck.derivatives import check_layout, evaluate, jacobian_numerator
from diffcheck.diagnosis.claim_diagnosis import claim_contexts, diagnose_claims, output_name
from diffcheck.diagnosis.shape_hints import read_claim
from diffcheck.errors import ShapeError
from diffcheck.ir import Expr, Var, variables
from diffcheck.parsing.names import check_names


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
    name: str | None = None,
    mode: str = "full",
    progress: bool | None = None,
    order: int = 1,
    names: Mapping[str, Expr] | None = None,
) -> Report:
    """Check a hand-derived derivative ``∂y/∂wrt`` against the three methods.

    Args:
        y: the expression, or a plain NumPy function ``forward(**at)`` (``at`` required,
            its shapes define the variables; a callable claim then receives every input
            of ``at``): traced into its expression, or, when it cannot be traced, checked
            as a black box against central differences of the real function, the report's
            first note saying why (``diffcheck.checking.callables``).
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
        order: 2 checks a claimed Hessian block instead: ``wrt`` one variable (claim shape
            ``x.shape + x.shape``) or a pair ``(x1, x2)``; its symmetry is checked too.
        name: the output's name in the report (``L``); by default a variable's own name,
            else ``y`` (a failing report then says how to name it).
        names: intermediates a string or SymPy claim may use, name -> expression over
            ``y``'s variables (``{"z": W @ x + b}``): ``"outer(sigmoid(z) - t, x)"`` is read
            with ``z`` a vector, whose elements take ``W @ x + b``'s values at each point.

    Returns:
        A Report in which each mismatch carries the claimed value under ``"claimed"``,
        with hints naming the mistake when one explains the claim exactly.

    Raises:
        ShapeError: the claim's shape is neither layout's shape.
        ParseError: a string claim was rejected by the safe parser.
        ValueError: a SymPy claim outside the allowlist, or an array claim without its point.
    """
    if names is not None and (callable(y) or order != 1):
        raise ValueError("names= is for claims about an expression's first derivative")
    if callable(y):  # a NumPy function: traced, or a black box (diffcheck.checking.callables)
        from diffcheck.checking.callables import check_gradient_function

        return check_gradient_function(
            y, wrt, claimed, at, layout=layout, methods=methods, rtol=rtol, atol=atol, seed=seed,
            n_points=n_points, name=name, mode=mode, progress=progress, order=order)
    if order != 1:  # second order lives in diffcheck.checking.second_order
        from diffcheck.checking.second_order import check_order

        return check_order(order, y, wrt, at, claimed=claimed, methods=methods, rtol=rtol, atol=atol,
                           seed=seed, n_points=n_points, name=name or "y", mode=mode, progress=progress)
    require_expression(y)
    check_layout(layout)
    methods = validate_methods(methods)
    validate_mode(mode)
    named, name = name is not None, output_name(y, name)
    wrt_vars = wrt_list(y, wrt)
    claims = claims_by_variable(claimed, wrt_vars)
    routes = compare.route_limits()
    refuse_oversized(y, wrt_vars, methods, routes, mode, name)
    points, seed, notes = resolve_points(y, at, seed, n_points)
    point_given = at is not None and len(points) == 1
    named_exprs = check_names(names, y)
    evaluators = {v.name: evaluator_for(claims[v.name], y, v, point_given, named_exprs)
                  for v in wrt_vars}
    report = run_check(CheckPlan(
        y, wrt_vars, points, seed, methods, routes,
        title="check_gradient" if mode == "full" else "check_gradient (fast)", output=name,
        notes=notes, mode=mode, rtol=rtol, atol=atol, progress=progress,
        extra=ClaimColumn(y, evaluators, layout),
    ))
    diagnose_claims(report, y, wrt_vars, claim_contexts(claims, evaluators, y, layout, named, named_exprs))
    return report


@dataclass(frozen=True)
class ClaimColumn:
    """The claimed derivative as column ``"claimed"``; a claim of neither layout's shape is
    an error of the report (with a hint saying whether the other layout reads it right)."""

    y: Expr
    evaluators: Mapping[str, Callable[[dict], Any]]
    layout: str

    def __call__(self, run: Run, p: int, var: Var, point: dict) -> dict[str, Column] | None:
        report = run.report
        reading = read_claim(
            self.evaluators[var.name](point), self.y, var, self.layout, report.output,
            lambda: jacobian_numerator(self.y, var, point, report.reference),
        )
        for note in reading.notes:
            run.note_once(note)
        if reading.error is None:
            return {"claimed": Column(reading.value, "claimed")}
        if reading.error not in report.errors:
            report.errors.append(reading.error)
            report.hints.extend(reading.hints)
        return None


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
    routes = compare.route_limits()
    factors = ((outer, via_var, name), (via, var, via_name))
    refuse_oversized(y, (var,), methods, routes, name=name, factors=factors)
    points, seed, notes = resolve_points(y, at, seed, n_points)
    return run_check(CheckPlan(
        y, (var,), points, seed, methods, routes, title="check_chain", output=name, notes=notes,
        rtol=rtol, atol=atol, extra=ChainProducts(via, via_var, outer),
    ))


@dataclass(frozen=True)
class ChainProducts:
    """For each method, ``∂y/∂via · ∂via/∂x`` as column ``"chain <method>"``, as exact as
    that method (its tolerance kind)."""

    via: Expr
    via_var: Var
    outer: Expr  # y with via replaced by via_var

    def __call__(self, run: Run, p: int, var: Var, point: dict) -> dict[str, Column]:
        via_point = _restrict(point, self.via)
        outer_point = {**point, self.via_var.name: np.asarray(evaluate(self.via, via_point))}
        outer_point = _restrict(outer_point, self.outer)
        columns = {}
        for m in run.plan.methods:
            dy_dvia = jacobian_numerator(self.outer, self.via_var, outer_point, m)
            dvia_dx = jacobian_numerator(self.via, var, via_point, m)
            product = np.tensordot(dy_dvia, dvia_dx, axes=self.via.ndim)
            if product.shape != run.plan.y.shape + var.shape:  # pragma: no cover - defensive
                raise ShapeError(f"chain product has shape {product.shape}")
            columns[f"chain {m}"] = Column(product, m)
        return columns


def _restrict(point: dict[str, np.ndarray], expr: Expr) -> dict[str, np.ndarray]:
    names = set(variables(expr))
    return {k: v for k, v in point.items() if k in names}
