"""The traditional way: lower the graph to SymPy, let SymPy differentiate, evaluate.

Reads each op's ``lower`` only: the derivative comes from ``sympy.diff`` of the lowered
expression, never from the tape's rules, so the two derivations are independent.
Lowered forms, closed-form derivatives and their lambdified evaluators are cached on
the expression and, per process, by its structure (``sympy_cache``), so neither a
second call nor a fresh expression of the same structure re-derives.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from diffcheck._lazy import sympy as sp
from diffcheck.backends import sympy_cache
from diffcheck.ir import Const, Expr, Var, toposort, variables
from diffcheck.progress import advance
from diffcheck.symbols import element_symbol

# Constants whose value is a fraction with a denominator up to this stay exact in SymPy.
EXACT_DENOMINATOR = 1024


def number(value: float) -> sp.Expr:
    """A SymPy number for a float: exact when it is a short binary fraction (0.5, 3)."""
    fraction = sp.Rational(float(value))
    return fraction if fraction.q <= EXACT_DENOMINATOR else sp.Float(float(value))


def symbols_of(var: Var) -> np.ndarray:
    """The element symbols of a variable as an object array of its shape."""
    out = np.empty(var.shape, dtype=object)
    for index in np.ndindex(var.shape):
        out[index] = element_symbol(var.name, index)
    return out


def lower(expr: Expr) -> np.ndarray:
    """``expr`` as an object array of SymPy scalars, shape ``expr.shape`` (cached by structure)."""
    return sympy_cache.cached(expr, ("lowering",), lambda: _lower(expr))


def _lower(expr: Expr) -> np.ndarray:
    from diffcheck.ops import REGISTRY

    lowered: dict[int, np.ndarray] = {}
    order = toposort(expr)
    for n, node in enumerate(order):
        advance("lowering to SymPy, node", n, len(order))
        if id(node) in lowered:
            continue
        if isinstance(node, Var):
            value = symbols_of(node)
        elif isinstance(node, Const):
            value = np.vectorize(number, otypes=[object])(node.value)
        else:
            value = REGISTRY[node.op].lower(*(lowered[id(x)] for x in node.inputs), **node.kwargs)
        lowered[id(node)] = value
    return lowered[id(expr)]


def closed_form(expr: Expr, var: Var) -> np.ndarray:
    """``∂expr/∂var`` as an object array ``expr.shape + var.shape`` of SymPy derivatives
    (derived once per process for each structure; see ``sympy_cache``)."""
    return sympy_cache.cached(expr, ("closed-form", var.name, var.shape),
                              lambda: _closed_form(expr, var))


def _closed_form(expr: Expr, var: Var) -> np.ndarray:
    outputs = lower(expr)
    wrt = symbols_of(var)
    position = {s: j for j, s in np.ndenumerate(wrt)}
    result = np.full(expr.shape + var.shape, sp.Integer(0), dtype=object)
    for n, i in enumerate(np.ndindex(expr.shape)):
        advance("SymPy derivatives, output", n, outputs.size)
        for s, derivative in _derivatives(outputs[i], position.keys()).items():
            result[i + position[s]] = derivative
    return result


def _derivatives(entry, wanted) -> dict:
    """``∂entry/∂s`` for every wanted symbol ``s`` that occurs in ``entry``.

    A sum is differentiated term by term, each term only by its own symbols (the
    derivative is linear): a loss that sums n terms costs O(n), not O(n²) as
    differentiating the whole sum once per symbol would.
    """
    terms = entry.args if entry.is_Add else (entry,)
    parts: dict = {}
    for term in terms:
        for s in term.free_symbols & wanted:
            parts.setdefault(s, []).append(sp.diff(term, s))
    return {s: sp.Add(*found) for s, found in parts.items()}


def argument_symbols(expr: Expr) -> list[sp.Symbol]:
    """Every element symbol of every variable of ``expr``, in a fixed order."""
    return [
        element_symbol(name, index)
        for name, var in sorted(variables(expr).items())
        for index in np.ndindex(var.shape)
    ]


def argument_values(expr: Expr, point: dict[str, np.ndarray]) -> list[np.float64]:
    """The values for :func:`argument_symbols`, in the same order (NumPy floats, so a
    division by zero gives inf or nan as in the other backends instead of raising)."""
    return [
        np.float64(value)
        for name, _ in sorted(variables(expr).items())
        for value in np.ravel(point[name])
    ]


def select_conditions(condlist, choicelist, default=np.nan):
    """NumPy's select, taking conditions that SymPy printed as a Piecewise of booleans
    (the derivative of a nested Min): such a select gives floats, 1.0 and 0.0 (its NaN
    default is never reached, as its last condition is True)."""
    conditions = [np.asarray(c) if np.asarray(c).dtype == bool else np.asarray(c) == 1.0
                  for c in condlist]
    return np.select(conditions, choicelist, default)


class CompiledEntries:
    """An object array of SymPy entries compiled once into a NumPy function of the symbols.

    Only non-zero entries are compiled. Symbols are renamed to plain identifiers in one
    pass first: ``lambdify`` would otherwise re-substitute every non-identifier name
    (``W[1,2]``) into every entry, which is quadratic in the size of the tensor.
    """

    def __init__(self, symbols: list, entries: np.ndarray):
        self.shape = entries.shape
        flat = list(entries.ravel())
        self.positions = [i for i, e in enumerate(flat) if e != 0]
        plain = [sp.Symbol(f"v{i}") for i in range(len(symbols))]
        renamed = dict(zip(symbols, plain, strict=True))
        targets = [flat[i].xreplace(renamed) for i in self.positions]
        advance(f"lambdify with common subexpressions of {len(targets)} non-zero entries")
        self.function = sp.lambdify(plain, targets, modules=[{"select": select_conditions}, "numpy"],
                                    cse=True, dummify=False)

    def __call__(self, values: list) -> np.ndarray:
        out = np.zeros(int(np.prod(self.shape, dtype=np.int64)))
        if self.positions:
            # One-element arrays, not scalars: NumPy's select (a Piecewise) wants array conditions.
            with np.errstate(all="ignore"):
                flat = self.function(*(np.full(1, v) for v in values))
            out[self.positions] = [np.real(np.ravel(v)[0]) for v in flat]
        return out.reshape(self.shape)


def _evaluate(expr: Expr, key: tuple, entries: Callable[[], np.ndarray], point: dict) -> np.ndarray:
    compiled = sympy_cache.cached(
        expr, key, lambda: CompiledEntries(argument_symbols(expr), entries()))
    return compiled(argument_values(expr, point))


def evaluate(expr: Expr, point: dict[str, np.ndarray]) -> np.ndarray:
    """The value of the lowered expression at ``point`` (float64)."""
    return _evaluate(expr, ("compiled-value",), lambda: lower(expr), point)


def jacobian(expr: Expr, var: Var, point: dict[str, np.ndarray]) -> np.ndarray:
    """The closed-form Jacobian evaluated in float64 at ``point``."""
    key = ("compiled-jacobian", var.name, var.shape)
    return _evaluate(expr, key, lambda: closed_form(expr, var), point)


def jacobian_entries_precise(
    expr: Expr, var: Var, point: dict[str, np.ndarray], indices: list[tuple], digits: int = 30
) -> list[float]:
    """Selected closed-form entries evaluated with ``digits`` significant digits (mpmath)."""
    entries = closed_form(expr, var)
    subs = _precise_subs(expr, point, digits)
    return [_precise(entries[i], subs, digits) for i in indices]


def values_precise(
    expr: Expr, point: dict[str, np.ndarray], indices: list[tuple], digits: int = 30
) -> list[float]:
    """Selected entries of the expression's value itself, with ``digits`` significant digits."""
    lowered = lower(expr)
    subs = _precise_subs(expr, point, digits)
    return [_precise(lowered[i], subs, digits) for i in indices]


def _precise(entry, subs: dict, digits: int) -> float:
    """``entry`` at high precision: substituting Floats of ``digits + 5`` digits makes SymPy
    evaluate every operation (and every Piecewise condition) at that precision."""
    value = entry.xreplace(subs)
    return float(value.evalf(digits) if not value.is_Number else value)


def _precise_subs(expr: Expr, point: dict[str, np.ndarray], digits: int) -> dict:
    return {
        element_symbol(name, index): sp.Float(float(point[name][index]), digits + 5)
        for name, v in variables(expr).items()
        for index in np.ndindex(v.shape)
    }
