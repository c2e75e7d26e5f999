"""Hand-derived derivatives ("claims") turned into values at a point.

A claim may be a callable receiving every variable of ``y`` as a keyword argument,
a SymPy object over the element symbols (``W[1,2]``, ``x[0]``), a string (parsed by
the safe parser, never evaluated), or an array (a value at the one point given).
SymPy claims are evaluated only after their free symbols are checked against the
declared element symbols, so no user-chosen name ever reaches ``lambdify``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from diffcheck.errors import ParseError, ShapeError
from diffcheck.ir import Expr, Var, variables
from diffcheck.symbols import element_name, element_symbol

Evaluator = Callable[[dict[str, np.ndarray]], np.ndarray]


def is_sympy(value: Any) -> bool:
    """True for SymPy objects and (nested) lists containing them."""
    import sympy as sp

    if isinstance(value, (sp.Basic, sp.MatrixBase, sp.NDimArray)):
        return True
    if isinstance(value, (list, tuple)) and value:
        return any(is_sympy(v) for v in value)
    return False


def _sympy_array(value: Any) -> Any:
    """A SymPy claim as a dense ``sympy.Array`` (a scalar stays a scalar expression)."""
    import sympy as sp

    if isinstance(value, sp.MatrixBase):
        return sp.Array(value.tolist())
    if isinstance(value, (list, tuple)):
        return sp.Array(value)
    if isinstance(value, sp.NDimArray):
        return sp.Array(value)
    return sp.sympify(value) if isinstance(value, (int, float)) else value


def _bind_symbols(claim: Any, y: Expr) -> Any:
    """Replace symbols by diffcheck's element symbols (matched by name); refuse unknown ones."""
    declared = {
        element_name(name, index): element_symbol(name, index)
        for name, var in variables(y).items()
        for index in np.ndindex(var.shape)
    }
    free = claim.free_symbols
    unknown = sorted(str(s) for s in free if str(s) not in declared)
    if unknown:
        names = ", ".join(sorted(variables(y))) or "(none)"
        raise ValueError(
            f"the claimed derivative uses {', '.join(map(repr, unknown))}, which is not an element "
            f"of the expression's variables ({names}); write elements as a, x[2], W[1,2]"
        )
    return claim.xreplace({s: declared[str(s)] for s in free})


def sympy_evaluator(claim: Any, y: Expr) -> tuple[Evaluator, tuple[int, ...]]:
    """An evaluator for a SymPy claim, and the claim's shape."""
    import sympy as sp

    from diffcheck.backends.symbolic import CompiledEntries, argument_symbols, argument_values

    array = _bind_symbols(_sympy_array(claim), y)
    shape = tuple(array.shape) if isinstance(array, sp.NDimArray) else ()
    flat = sp.flatten(array.tolist()) if shape else [array]
    entries = np.empty(len(flat), dtype=object)
    entries[:] = flat
    compiled = CompiledEntries(argument_symbols(y), entries.reshape(shape))
    return (lambda point: compiled(argument_values(y, point))), shape


def callable_evaluator(claim: Callable[..., Any], y: Expr) -> Evaluator:
    """An evaluator calling ``claim`` with every variable of ``y`` by keyword."""

    def evaluate(point: dict[str, np.ndarray]) -> np.ndarray:
        arguments = {name: (v[()] if v.ndim == 0 else v.copy()) for name, v in point.items()}
        try:
            value = claim(**arguments)
        except TypeError as error:
            raise TypeError(
                f"the claimed derivative is called with every variable of the expression as a "
                f"keyword argument ({', '.join(sorted(point))}): {error}"
            ) from None
        return np.asarray(_as_numbers(value), dtype=float)

    return evaluate


def _as_numbers(value: Any) -> Any:
    if is_sympy(value):
        raise TypeError("the claimed callable returned SymPy objects; return numbers or arrays")
    return value


def array_evaluator(claim: Any, points: list[dict[str, np.ndarray]]) -> Evaluator:
    """An evaluator for a fixed array: valid only at the single point it was computed for."""
    value = np.asarray(claim, dtype=float)
    if len(points) != 1:
        raise ValueError(
            "an array claim is the derivative's value at one point: pass that point as at=..."
        )
    return lambda point: value


def evaluator_for(claim: Any, y: Expr, points: list[dict[str, np.ndarray]]) -> Evaluator:
    """Pick the evaluator for any supported form of claim."""
    if isinstance(claim, str):
        from diffcheck.parsing import parse

        shapes = {name: var.shape for name, var in variables(y).items()}
        parsed = parse(claim, shapes)
        try:
            return sympy_evaluator(parsed, y)[0]
        except (OverflowError, RecursionError, MemoryError) as error:
            # e.g. exp(exp(exp(9))): SymPy overflows while printing it for evaluation.
            raise ParseError(f"the typed derivative cannot be evaluated ({type(error).__name__})") from None
    if is_sympy(claim):
        return sympy_evaluator(claim, y)[0]
    if callable(claim):
        return callable_evaluator(claim, y)
    if isinstance(claim, (np.ndarray, list, tuple, int, float, np.number)):
        return array_evaluator(claim, points)
    raise TypeError(
        "claimed must be a callable, a SymPy object, a string or an array, "
        f"got {type(claim).__name__}"
    )


def claim_in_numerator_layout(
    value: np.ndarray, y: Expr, var: Var, layout: str
) -> tuple[np.ndarray | None, str | None]:
    """The claim as ``y.shape + x.shape``, or (None, layout message) if it has the other layout.

    Any other wrong shape is a ShapeError naming both shapes.
    """
    numerator = y.shape + var.shape
    denominator = var.shape + y.shape
    expected, other, other_name = (
        (numerator, denominator, "denominator")
        if layout == "numerator"
        else (denominator, numerator, "numerator")
    )
    value = np.asarray(value, dtype=float)
    if value.shape == expected:
        if layout == "denominator":
            value = np.transpose(value, tuple(range(var.ndim, value.ndim)) + tuple(range(var.ndim)))
        return value, None
    if value.shape == other:
        return None, (
            f"the claimed ∂/∂{var.name} has shape {value.shape}, which is the {other_name}-layout "
            f"shape; {layout} layout expects {expected}. Transpose it, or pass "
            f"layout={other_name!r} if that is the convention you used."
        )
    if value.size == np.prod(expected) and value.ndim != len(expected):
        hint = f" (it has the right number of elements: reshape it to {expected})"
    else:
        hint = ""
    raise ShapeError(
        f"the claimed derivative has shape {value.shape}, but ∂y/∂{var.name} in {layout} layout "
        f"has shape {expected} (y {y.shape}, {var.name} {var.shape}){hint}"
    )


def claims_by_variable(claimed: Any, wrt: tuple[Var, ...]) -> dict[str, Any]:
    """One claim per variable: a dict for several variables, the claim itself for one."""
    if len(wrt) == 1 and not (isinstance(claimed, Mapping) and wrt[0].name in claimed):
        return {wrt[0].name: claimed}
    if not isinstance(claimed, Mapping):
        raise TypeError(
            "with several variables in wrt, claimed must be a dict mapping each name to its claim"
        )
    names = [v.name for v in wrt]
    missing = [n for n in names if n not in claimed]
    extra = [k for k in claimed if k not in names]
    if missing or extra:
        raise ValueError(
            f"claimed must give exactly the variables of wrt ({', '.join(names)}); "
            f"missing: {missing or 'none'}, unexpected: {extra or 'none'}"
        )
    return dict(claimed)
