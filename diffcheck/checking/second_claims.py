"""A claimed Hessian turned into values at a point, as first-order claims are.

A callable (every variable of ``y`` by keyword), a SymPy object or a string over the
element symbols (walked by the same allowlist, never evaluated as code), or an array:
the value at the one point given, or everywhere when the Hessian is constant (SymPy's
second derivative has no free symbols, decided only when that is cheap).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from diffcheck.backends import symbolic_hessian
from diffcheck.checking.claims import evaluator_for, is_sympy
from diffcheck.errors import ShapeError
from diffcheck.ir import Expr, Var

Evaluator = Callable[[dict[str, np.ndarray]], Any]


def claim_evaluator(claimed: Any, y: Expr, first: Var, second: Var, point_given: bool) -> Evaluator:
    """An evaluator of the claimed block ``∂²y/∂first∂second``."""
    if isinstance(claimed, (np.ndarray, list, tuple, int, float, np.number)) and not is_sympy(claimed):
        return _array_evaluator(claimed, y, first, second, point_given)
    # the first-order evaluators, told the block's shape (its size bounds a SymPy claim)
    return evaluator_for(claimed, y, Var(first.name, first.shape + second.shape), point_given)


def _array_evaluator(claimed: Any, y: Expr, first: Var, second: Var, point_given: bool) -> Evaluator:
    try:
        value = np.asarray(claimed, dtype=float)
    except (TypeError, ValueError, OverflowError, RecursionError) as error:
        raise ValueError(f"an array claim must be a rectangular array of numbers "
                         f"({type(error).__name__}: {str(error)[:200]})") from None
    if not point_given:
        why = symbolic_hessian.too_large(y, first, second)
        if why is None:
            entries = symbolic_hessian.closed_form_hessian(y, first, second)
            constant = all(not e.free_symbols for e in entries.ravel())
            why = None if constant else f"∂²y/∂{first.name}∂{second.name} depends on the point"
        if why is not None:
            raise ValueError("an array claim is the Hessian's value at one point: pass that "
                             f"point as at=... ({why})")
    return lambda point: value


def claim_value(evaluator: Evaluator, point: dict[str, np.ndarray], first: Var, second: Var) -> np.ndarray:
    """The claim at ``point`` as an array ``first.shape + second.shape``; a ShapeError
    names both shapes otherwise."""
    value = np.asarray(evaluator(point), dtype=float)
    expected = first.shape + second.shape
    if value.shape != expected:
        hint = (f" (it has the right number of elements: reshape it to {expected})"
                if value.size == int(np.prod(expected)) else "")
        raise ShapeError(f"the claimed Hessian has shape {value.shape}, but ∂²y/∂{first.name}"
                         f"∂{second.name} has shape {expected} ({first.name} {first.shape}, "
                         f"{second.name} {second.shape}){hint}")
    return value
