"""Validation shared by the check front ends, run before any derivative is computed.

Methods, mode and variables are checked, a check too large to finish is refused
(saying what would work), and the points are resolved: all before the pipeline runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from diffcheck.checking import limits
from diffcheck.checking.points import resolve as choose_points
from diffcheck.derivatives import as_var
from diffcheck.ir import Expr, Var

METHODS = ("sympy", "tape", "numeric")
MODES = ("full", "fast")


@dataclass(frozen=True)
class RouteLimits:
    """Sizes at which a check switches routes: SymPy per node, numeric on a sample."""

    sympy_terms: int  # above this many lowered terms, SymPy composes per-node derivatives
    numeric_columns: int  # above this many elements, numeric differences use a seeded sample


def validate_methods(methods: Sequence[str]) -> tuple[str, ...]:
    """The methods as a tuple; a ValueError for an unknown, repeated or empty choice."""
    methods = tuple(methods)
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ValueError(f"methods must be chosen from {METHODS}, got {methods}")
    if len(set(methods)) != len(methods):
        raise ValueError(f"methods are repeated: {methods}")
    return methods


def validate_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be 'full' or 'fast', got {mode!r}")


def require_expression(y: Any) -> None:
    if not isinstance(y, Expr):
        raise TypeError(f"expected a diffcheck expression, got {type(y).__name__}")


def wrt_list(y: Expr, wrt: Any) -> tuple[Var, ...]:
    """The variables to differentiate by (one or a list, as Var or name)."""
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
    y: Expr, wrt: Sequence[Var], methods: Sequence[str], routes: RouteLimits,
    mode: str = "full", name: str = "y", factors: Sequence[tuple[Expr, Var, str]] = (),
) -> None:
    """A ValueError, before any heavy work, for a check too large to finish (see ``limits``).

    ``factors`` are further ``(expression, variable, output name)`` Jacobians built in
    full by every method, such as the two factors of the chain rule.
    """
    limits.refuse_check(
        y, wrt, methods, sympy_terms=routes.sympy_terms, numeric_columns=routes.numeric_columns,
        fast=mode == "fast", name=name,
    )
    for expr, var, output in factors:
        limits.refuse_factor(expr, var, methods, output)
