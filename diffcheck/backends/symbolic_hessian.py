"""Second order the traditional way: SymPy differentiates the closed-form gradient again.

Reads each op's ``lower`` only (through ``backends.symbolic``): every entry of
``∂y/∂first`` is a SymPy expression, and each is differentiated by the element symbols
of ``second`` — term by term, each term only by its own symbols. The tape's rules and
the NumPy forwards are never read, so this is independent of the other two Hessians.

Kinks: SymPy differentiates ``Max(x, 0)`` to a Heaviside step and that to a
``DiracDelta``, which is 0 away from the kink; it is written as 0 here (it does not
lambdify). At a kink itself the check reports the element as non-differentiable from
its numeric one-sided differences, so this 0 never passes a claim there.
"""

from __future__ import annotations

import math

import numpy as np

from diffcheck._lazy import sympy as sp
from diffcheck.backends.symbolic import (
    CompiledEntries,
    argument_symbols,
    argument_values,
    closed_form,
    symbols_of,
)
from diffcheck.backends.sympy_per_node import lowered_terms
from diffcheck.ir import Expr, Var
from diffcheck.progress import advance

# Above these sizes the element-wise second derivative is refused (a ValueError saying so).
MAX_TERMS = 50_000  # lowered terms of y (as the element-wise first-order route)
MAX_ENTRIES = 40_000  # entries of the Hessian block


def too_large(expr: Expr, first: Var, second: Var) -> str | None:
    """Why the element-wise SymPy Hessian block is not built, or None when it is cheap."""
    terms = lowered_terms(expr)
    if terms > MAX_TERMS:
        return f"the element-wise closed form of y would have about {terms:.2g} terms (limit {MAX_TERMS})"
    entries = math.prod(first.shape) * math.prod(second.shape)
    if entries > MAX_ENTRIES:
        return (f"the Hessian block ∂²y/∂{first.name}∂{second.name} has {entries} entries "
                f"(limit {MAX_ENTRIES} for SymPy)")
    return None


def closed_form_hessian(expr: Expr, first: Var, second: Var) -> np.ndarray:
    """``∂²y/∂first∂second`` as an object array ``first.shape + second.shape`` (cached)."""
    key = ("sympy-hessian", first.name, first.shape, second.name, second.shape)
    cached = expr._cache.get(key)
    if cached is not None:
        return cached
    if expr.shape != ():
        raise ValueError(f"a Hessian needs a scalar expression, got shape {expr.shape}")
    gradient = closed_form(expr, first)
    wanted = symbols_of(second)
    position = {s: j for j, s in np.ndenumerate(wanted)}
    result = np.full(first.shape + second.shape, sp.Integer(0), dtype=object)
    for n, i in enumerate(np.ndindex(first.shape)):
        advance("SymPy second derivatives, row", n, gradient.size)
        entry = gradient[i]
        terms = entry.args if entry.is_Add else (entry,)
        parts: dict = {}
        for term in terms:
            for s in term.free_symbols & position.keys():
                parts.setdefault(s, []).append(sp.diff(term, s))
        for s, found in parts.items():
            result[i + position[s]] = without_dirac(sp.Add(*found))
    expr._cache[key] = result
    return result


def without_dirac(entry: sp.Expr) -> sp.Expr:
    """``entry`` with every ``DiracDelta`` (a kink's second derivative) as its value away
    from the kink, 0."""
    if not entry.has(sp.DiracDelta):
        return entry
    return entry.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.Integer(0))


def hessian(expr: Expr, first: Var, second: Var, point: dict[str, np.ndarray]) -> np.ndarray:
    """The closed-form Hessian block evaluated in float64 at ``point``."""
    key = ("sympy-hessian-fn", first.name, first.shape, second.name, second.shape)
    compiled = expr._cache.get(key)
    if compiled is None:
        entries = closed_form_hessian(expr, first, second)
        compiled = expr._cache[key] = CompiledEntries(argument_symbols(expr), entries)
    return compiled(argument_values(expr, point))
