"""``check``: derivative tensors from each method, compared element by element.

An element agrees when ``|a - ref| <= atol + rtol * |ref|`` (NumPy's rule), ``ref``
being the SymPy value. Default tolerances come from one table keyed by method and
dtype (``TOLERANCES``, defined in ``diffcheck.checking.tolerances``); central differences also
get an absolute allowance for their rounding noise, estimated per element from the
function's size and the step. Where the float64 closed form disagrees with the other
methods, it is re-evaluated with 30 significant digits: if that moves it, the point is
ill-conditioned for the closed form, and the 30-digit value becomes the reference.

``check`` validates its arguments and hands one ``CheckPlan`` to the pipeline
(``diffcheck.checking.pipeline``), as ``check_gradient`` and ``check_chain`` do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from diffcheck.checking.check_inputs import (
    METHODS,
    RouteLimits,
    refuse_oversized,
    require_expression,
    resolve_points,
    validate_methods,
    validate_mode,
    wrt_list,
)
from diffcheck.checking.pipeline import CheckPlan, run_check
from diffcheck.checking.projections import PROJECTIONS
from diffcheck.checking.report import Report
from diffcheck.checking.tolerances import TOLERANCES, tolerance
from diffcheck.ir import Expr, Var

DEFAULT_POINTS = 3
SYMPY_ELEMENTWISE_TERMS = 50_000  # above this, SymPy composes per-node derivatives instead
NUMERIC_COLUMNS = 256  # above this many elements, numeric differences use a seeded sample


def route_limits() -> RouteLimits:
    """The sizes at which a check switches routes, as this module sets them now."""
    return RouteLimits(SYMPY_ELEMENTWISE_TERMS, NUMERIC_COLUMNS)


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
    projections: int = PROJECTIONS,
    progress: bool | None = None,
    order: int = 1,
) -> Report:
    """Compare ``∂y/∂x`` for each ``x`` in ``wrt`` across ``methods``, element by element.

    Args:
        y: the expression, or a plain NumPy function ``forward(**at)`` (``at`` required,
            its shapes define the variables), traced into its expression; one that
            cannot be traced is a TypeError saying why (use ``check_gradient`` or
            ``check_vjp`` to compare a derivative of your own with numeric differences).
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
        order: 2 compares the Hessian blocks ``∂²y/∂a∂b`` of a scalar ``y`` over ``wrt``
            instead (``diffcheck.checking.second_order``), named ``∂²y/∂x[0]∂x[2]``.

    Returns:
        A :class:`Report`; ``bool(report)`` tells whether every element agrees. A point
        where ``y`` is not finite makes it fail (an error says where).

    Raises:
        ValueError: ``n_points`` below 1, an empty ``at``, a non-finite value in ``at``,
            or a check too large to finish (saying what would work), before any work.
    """
    if callable(y):  # a NumPy function, traced (diffcheck.checking.callables)
        from diffcheck.checking.callables import check_function

        return check_function(y, wrt, at, methods=methods, rtol=rtol, atol=atol, seed=seed,
                              n_points=n_points, name=name, mode=mode, projections=projections,
                              progress=progress, order=order)
    if order != 1:  # second order lives in diffcheck.checking.second_order
        from diffcheck.checking.second_order import check_order

        return check_order(order, y, wrt, at, methods=methods, rtol=rtol, atol=atol, seed=seed,
                           n_points=n_points, name=name, mode=mode, progress=progress)
    require_expression(y)
    methods = validate_methods(methods)
    validate_mode(mode)
    wrt_vars = wrt_list(y, wrt)
    routes = route_limits()
    refuse_oversized(y, wrt_vars, methods, routes, mode, name)
    points, seed, notes = resolve_points(y, at, seed, n_points)
    return run_check(CheckPlan(
        y, wrt_vars, points, seed, methods, routes,
        title="check" if mode == "full" else "check (fast)", output=name, notes=notes,
        mode=mode, projections=projections, rtol=rtol, atol=atol, progress=progress,
    ))


__all__ = ["DEFAULT_POINTS", "METHODS", "NUMERIC_COLUMNS", "SYMPY_ELEMENTWISE_TERMS",
           "TOLERANCES", "check", "route_limits", "tolerance"]
