"""Hand-derived derivatives ("claims") turned into values at a point.

A claim may be a callable receiving every variable of ``y`` as a keyword argument,
a SymPy object over the element symbols (``W[1,2]``, ``x[0]``), a string (parsed by
the safe parser, never evaluated), or an array (a value at the one point given, or at
every point when the derivative is constant).

SymPy claims are untrusted input exactly like strings: every node must be of a type on
the allowlist of :mod:`diffcheck.exercises.numeric` (the grader's walker), every symbol
a declared element, and each element small; they are then evaluated by that walker. No
claim is ever printed to code (``lambdify``) or sympified.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from diffcheck.errors import ShapeError
from diffcheck.ir import Expr, Var, toposort, variables
from diffcheck.parsing.gate import DEFAULT_LIMITS
from diffcheck.symbols import element_name

Evaluator = Callable[[dict[str, np.ndarray]], np.ndarray]

MAX_CLAIM_NODES = DEFAULT_LIMITS.max_nodes  # per element of a SymPy claim, as for typed text
MAX_NESTING = 32  # list levels of a claim (NumPy's own limit is 64)
# Deciding that an array claim holds everywhere costs the SymPy Jacobian: allowed up to
# this many elements in the graph and in the Jacobian, else the point must be given.
CONSTANT_CHECK_ELEMENTS = 4096
_ALLOWED = (
    "numbers, pi, E, + - * / **, exp, log, sqrt, sin, cos, tan, sinh, cosh, tanh, Abs, sign, "
    "Max, Min, Heaviside and Piecewise"
)


def is_sympy(value: Any) -> bool:
    """True for SymPy objects and (nested) lists or object arrays containing them."""
    import sympy as sp

    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, (sp.Basic, sp.MatrixBase, sp.NDimArray)):
            return True
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, np.ndarray) and item.dtype == object:
            stack.extend(item.ravel())
    return False


def _entries(value: Any, var: Var, expected: tuple[int, ...], depth: int = 0
             ) -> tuple[tuple[int, ...], list[Any]]:
    """A SymPy claim as (shape, SymPy scalars in C order), never sympifying anything.

    Plain numbers become SymPy numbers; strings and other objects are refused (SymPy
    would ``eval`` a string). A SymPy array larger than the ``expected`` shape is refused
    before its elements are listed (a sparse array may be huge).
    """
    import sympy as sp

    if depth > MAX_NESTING:
        raise ValueError(f"the claimed derivative is nested deeper than {MAX_NESTING} levels")
    if isinstance(value, (sp.MatrixBase, sp.NDimArray, np.ndarray)):
        shape = tuple(int(n) for n in value.shape)
        if math.prod(shape) > math.prod(expected):
            raise ShapeError(f"the claimed derivative has shape {shape}, more elements than "
                             f"∂y/∂{var.name}, which has shape {expected}")
        items = list(value) if isinstance(value, sp.MatrixBase) else [
            value[index] for index in np.ndindex(shape)]
        return shape, [_scalar(item) for item in items]
    if isinstance(value, (list, tuple)):
        parts = [_entries(item, var, expected, depth + 1) for item in value]
        shapes = {shape for shape, _ in parts}
        if len(shapes) > 1:
            raise ValueError(f"the claimed derivative is ragged: its rows have shapes "
                             f"{sorted(shapes)}")
        inner = shapes.pop() if shapes else ()
        return (len(parts), *inner), [item for _, items in parts for item in items]
    return (), [_scalar(value)]


def _scalar(value: Any) -> Any:
    """One element of a SymPy claim as a SymPy object: SymPy scalars as they are, numbers
    converted; anything else (a string SymPy would ``eval``, a bool) is refused."""
    import sympy as sp

    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, (bool, np.bool_)):
        raise ValueError("the claimed derivative contains a boolean; write numbers")
    if isinstance(value, (int, np.integer)):
        return sp.Integer(operator.index(value))
    if isinstance(value, (float, np.floating)):
        return sp.Float(float(value))
    if isinstance(value, str):
        raise ValueError(
            "the claimed derivative mixes SymPy objects and strings; write it all as one "
            "string (\"[[2*a, 0], [0, 1]]\") or all as SymPy"
        )
    raise TypeError(f"the claimed derivative contains a {type(value).__name__}; elements must "
                    "be SymPy expressions or numbers")


def _bind_symbols(symbols: set[Any], y: Expr, names: Mapping[str, Expr] | None = None
                  ) -> dict[Any, tuple[str, tuple[int, ...]]]:
    """Each symbol of a claim -> (variable, index) of the element it names; refuse unknown ones.

    ``names`` (see ``diffcheck.parsing.names``) adds intermediate names' elements."""
    from diffcheck.parsing.names import named_elements

    declared = {
        element_name(name, index): (name, index)
        for name, var in variables(y).items()
        for index in np.ndindex(var.shape)
    } | named_elements(names or {})
    unknown = sorted({s.name[:40] for s in symbols if s.name not in declared})
    if unknown:
        names = ", ".join(sorted(variables(y))) or "(none)"
        raise ValueError(
            f"the claimed derivative uses {', '.join(map(repr, unknown))}, which is not an element "
            f"of the expression's variables ({names}); write elements as a, x[2], W[1,2]"
        )
    return {s: declared[s.name] for s in symbols}


def sympy_evaluator(
    claim: Any, y: Expr, var: Var, *, max_nodes: int | None = MAX_CLAIM_NODES,
    names: Mapping[str, Expr] | None = None,
) -> tuple[Evaluator, tuple[int, ...]]:
    """An evaluator for a SymPy claim (checked against the walker's allowlist), and its shape.

    ``max_nodes`` caps each element (None for the parser's output, already limited).
    """
    from diffcheck.exercises.numeric import NotEvaluable, evaluable_symbols, evaluate

    shape, entries = _entries(claim, var, y.shape + var.shape)
    try:
        symbols = evaluable_symbols(entries, max_nodes)
    except NotEvaluable as error:
        raise ValueError(
            f"the claimed derivative cannot be checked: {error}. A SymPy claim may use only "
            f"the elements of the variables and {_ALLOWED}; evaluate anything else yourself "
            "and pass a callable or an array"
        ) from None
    except RecursionError:
        raise ValueError("the claimed derivative is nested too deeply to check") from None
    binding = _bind_symbols(symbols, y, names)

    def evaluate_at(point: dict[str, np.ndarray]) -> np.ndarray:
        if names:
            from diffcheck.parsing.names import with_named_values

            point = with_named_values(point, names)
        values = {s: np.asarray(point[name], dtype=float)[index].reshape(1)
                  for s, (name, index) in binding.items()}
        return evaluate(entries, values, 1)[:, 0].reshape(shape)

    return evaluate_at, shape


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


def constant_derivative(y: Expr, var: Var) -> bool | None:
    """Whether ``∂y/∂var`` is the same at every point (SymPy's Jacobian has no free symbols);
    None when the graph or the Jacobian is too large to decide cheaply."""
    if y.size * var.size > CONSTANT_CHECK_ELEMENTS:
        return None
    if sum(node.size for node in toposort(y)) > CONSTANT_CHECK_ELEMENTS:
        return None
    from diffcheck.backends.symbolic import closed_form

    return all(not entry.free_symbols for entry in closed_form(y, var).ravel())


def array_evaluator(claim: Any, y: Expr, var: Var, point_given: bool) -> Evaluator:
    """An evaluator for a fixed array: the derivative's value at the one point given, or at
    every point when the derivative is constant (``y = A @ x``)."""
    try:
        value = np.asarray(claim, dtype=float)
    except (TypeError, ValueError, OverflowError, RecursionError) as error:
        raise ValueError(
            f"an array claim must be a rectangular array of numbers ({type(error).__name__}: "
            f"{str(error)[:200]})"
        ) from None
    if not point_given:
        constant = constant_derivative(y, var)
        if not constant:
            why = (f"the problem is too large to check cheaply that ∂/∂{var.name} is constant"
                   if constant is None else f"∂/∂{var.name} depends on the point")
            raise ValueError(
                "an array claim is the derivative's value at one point: pass that point as "
                f"at=... ({why})"
            )
    return lambda point: value


def evaluator_for(claim: Any, y: Expr, var: Var, point_given: bool,
                  names: Mapping[str, Expr] | None = None) -> Evaluator:
    """Pick the evaluator for any supported form of claim of ``∂y/∂var``.

    ``point_given``: the check runs at exactly one point the caller chose (``at=``), at
    which an array claim is taken as the derivative's value. ``names``: intermediate
    names a string or SymPy claim may use (checked by ``parsing.names.check_names``).
    """
    if isinstance(claim, str):
        from diffcheck.parsing import parse

        shapes = {name: v.shape for name, v in variables(y).items()}
        parsed = parse(claim, shapes | {n: e.shape for n, e in (names or {}).items()})
        return sympy_evaluator(parsed, y, var, max_nodes=None, names=names)[0]
    if is_sympy(claim):
        return sympy_evaluator(claim, y, var, names=names)[0]
    if callable(claim):
        return callable_evaluator(claim, y)
    if isinstance(claim, (np.ndarray, list, tuple, int, float, np.number)):
        return array_evaluator(claim, y, var, point_given)
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


def _substitute_names(claim: Any, names: Mapping[str, Expr]) -> Any:
    """``claim`` with each element symbol of an intermediate (``z[1]``) replaced by that
    element of its expression, in SymPy."""
    from diffcheck.derivatives import to_sympy
    from diffcheck.symbols import element_symbol

    table = {}
    for name, expr in names.items():
        elements = np.asarray(to_sympy(expr), dtype=object).reshape(expr.shape)
        table.update({element_symbol(name, index): elements[index] for index in np.ndindex(expr.shape)})
    return claim.xreplace(table)


def symbolic_claim(claim: Any, y: Expr, var: Var, layout: str,
                   names: Mapping[str, Expr] | None = None) -> np.ndarray | None:
    """A string or SymPy claim as an object array of SymPy entries in numerator layout, for
    the symbolic hints; None for other claims or shapes (or when it cannot be read).
    Intermediates of ``names`` (``z`` for ``W @ x + b``) are replaced by their elements."""
    try:
        if isinstance(claim, str):
            from diffcheck.parsing import parse

            shapes = {name: v.shape for name, v in variables(y).items()}
            claim = parse(claim, {**shapes, **{n: e.shape for n, e in (names or {}).items()}})
            if names:
                claim = _substitute_names(claim, names)
        elif not is_sympy(claim):
            return None
        shape, entries = _entries(claim, var, y.shape + var.shape)
    except (ValueError, TypeError, ArithmeticError, RecursionError):
        return None
    if math.prod(shape) != y.size * var.size:
        return None
    array = np.empty(len(entries), dtype=object)
    array[:] = entries
    if layout == "denominator" and shape == var.shape + y.shape:
        return np.transpose(array.reshape(shape), tuple(range(var.ndim, len(shape)))
                            + tuple(range(var.ndim)))
    return array.reshape(shape) if shape == y.shape + var.shape else None
