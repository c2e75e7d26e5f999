"""``check`` and ``check_gradient`` of a plain NumPy function instead of an expression.

``dc.check_gradient(forward, "W", claimed, at={...})``: ``forward(**at)`` is traced on
variables of ``at``'s shapes (``diffcheck.checking.tracing``) and checked as the
expression it builds. When it cannot be traced, the claim is compared with central
differences of the real function (``diffcheck.checking.black_box``) and the report's
first note says why SymPy and the tape are missing. ``dc.check(forward, ...)`` compares
diffcheck's methods with each other, so it needs the expression: an untraceable
function is a TypeError saying why and what to use instead.

A callable claim receives every input of ``at`` by keyword (integer labels too).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from diffcheck.checking import black_box
from diffcheck.checking.claims import claim_in_numerator_layout, claims_by_variable
from diffcheck.checking.compare import NUMERIC_COLUMNS
from diffcheck.checking.method_tensors import SeededSample
from diffcheck.checking.report import Report
from diffcheck.checking.tracing import Inputs, real_value, split_inputs, trace
from diffcheck.derivatives import check_layout
from diffcheck.ir import Expr, Var, variables


def is_function(y: Any) -> bool:
    """True for a plain function to trace (not an expression)."""
    return callable(y) and not isinstance(y, Expr)


def _points(at: Any) -> list[Mapping[str, Any]]:
    if at is None:
        raise ValueError("checking a function needs at= (input name -> example array): its "
                         "shapes define the variables")
    points = list(at) if isinstance(at, (list, tuple)) else [at]
    if not points:
        raise ValueError("at is an empty list: give at least one point")
    return points


def _names(wrt: Any) -> list[str]:
    items = wrt if isinstance(wrt, (list, tuple)) else [wrt]
    return [v.name if isinstance(v, Var) else v for v in items]


def _traced(forward: Callable[..., Any], at: Any) -> tuple[Expr | str, Inputs, np.ndarray]:
    inputs = split_inputs(_points(at)[0])
    value = real_value(forward, inputs)
    return trace(forward, inputs, value), inputs, value


def _restricted(at: Any, y: Expr) -> list[dict[str, Any]]:
    names = set(variables(y))
    return [{k: v for k, v in p.items() if k in names} for p in _points(at)]


def check_function(forward: Callable[..., Any], wrt: Any, at: Any, **opts: Any) -> Report:
    """``dc.check`` of a function: of its traced expression; a TypeError when untraceable."""
    from diffcheck.checking.compare import check

    y, _, _ = _traced(forward, at)
    if not isinstance(y, Expr):
        raise TypeError(
            f"check compares diffcheck's own derivatives of the function, which needs its "
            f"expression, and forward could not be traced ({y}); to check a derivative of "
            "your own against numeric differences of the real function, use "
            "dc.check_gradient(forward, wrt, claimed, at=...) or dc.check_vjp"
        )
    report = check(y, wrt, _restricted(at, y), **opts)
    report.notes.insert(0, "forward was traced into an expression")
    return report


def check_gradient_function(
    forward: Callable[..., Any], wrt: Any, claimed: Any, at: Any, **opts: Any
) -> Report:
    """``dc.check_gradient`` of a function: traced when possible, else as a black box."""
    from diffcheck.checking.verify import check_gradient

    y, inputs, value = _traced(forward, at)
    names = _names(wrt)
    claims = {n: _wrapped(c, inputs) for n, c in claims_by_variable(
        claimed, tuple(Var(n, inputs.arrays[n].shape) for n in _known(names, inputs))).items()}
    if isinstance(y, Expr):
        report = check_gradient(y, names, claims, _restricted(at, y), **opts)
        report.notes.insert(0, "forward was traced into an expression")
        return report
    return _black_box(forward, y, names, claims, inputs, value, _points(at), **opts)


def _known(names: list[str], inputs: Inputs) -> list[str]:
    for n in names:
        if n not in inputs.differentiable:
            kind = "an integer input (a constant)" if n in inputs.arrays else "not an input in at"
            raise ValueError(f"wrt names {n!r}, which is {kind}; the function's floating-point "
                             f"inputs are: {', '.join(inputs.differentiable)}")
    return names


def _wrapped(claim: Any, inputs: Inputs) -> Any:
    """A callable claim called with every input of ``at`` (the point's values over them)."""
    if not callable(claim):
        return claim

    def with_inputs(**point: Any) -> Any:
        return claim(**{**inputs.arrays, **point})

    return with_inputs


def _black_box(
    forward: Callable[..., Any], reason: str, names: list[str], claims: dict[str, Any],
    inputs: Inputs, value: np.ndarray, points: Sequence[Mapping[str, Any]], *,
    layout: str = "numerator", rtol: float | None = None, atol: float | None = None,
    seed: int | None = None, name: str | None = None, order: int = 1, **ignored: Any,
) -> Report:
    """Each claim at each point against central differences of the real function."""
    check_layout(layout)
    if order != 1:
        raise ValueError(f"order={order} needs the expression, and forward could not be traced "
                         f"({reason})")
    name = name or "y"
    for n, claim in claims.items():
        usable = callable(claim) or isinstance(claim, (np.ndarray, list, tuple, float, int))
        if isinstance(claim, str) or not usable:
            raise TypeError(f"the claim for {n!r} must be a callable or an array when forward cannot "
                            f"be traced ({reason}): strings and SymPy claims need the expression")
    report = Report(name, tuple(names), ("numeric",), "numeric", {}, [], seed,
                    title="check_gradient (black box)")
    report.notes.append(f"black box: forward could not be traced ({reason}), so there is no "
                        "closed form (sympy) and no tape; the claim is compared with central "
                        "differences of the real function only")
    stand_in = Var(name if name.isidentifier() else "y", value.shape)
    sample = SeededSample(seed, NUMERIC_COLUMNS)
    for p, given in enumerate(points):
        here = split_inputs(given) if p else inputs
        f0 = real_value(forward, here) if p else value
        report.points.append(dict(here.arrays))
        for n in names:
            raw = claims[n](**here.arrays) if callable(claims[n]) else claims[n]
            claim, problem = claim_in_numerator_layout(np.asarray(raw, float), stand_in,
                                                       Var(n, here.arrays[n].shape), layout)
            if problem is not None:
                report.errors.append(problem)
                continue
            x0 = here.arrays[n]
            run = black_box.function_of(forward, here.arrays, n)
            numeric = black_box.central_columns(run, x0, f0, sample(p, Var(n, x0.shape)))
            black_box.compare_into(report, n, p, claim, numeric, value.ndim, rtol, atol, here.dtype)
    return report

