"""Public second derivatives: ``hessian`` and ``hvp``, by any of the three methods.

- ``"tape"``: the complex step pushed through the tape's own reverse sweep
  (``backends.hvp``): derivatives of the VJPs, exact to rounding;
- ``"sympy"``: SymPy differentiates the closed-form gradient again
  (``backends.symbolic_hessian``), refused when the element-wise form is too large;
- ``"numeric"``: differences of function values only (``backends.second_differences``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from diffcheck.backends import hvp as tape_hvp
from diffcheck.backends import second_differences, symbolic_hessian
from diffcheck.derivatives import METHODS, as_var
from diffcheck.errors import ShapeError
from diffcheck.ir import Expr, Var, resolve_point

MAX_TAPE_ENTRIES = 2**24  # a Hessian block held in memory (16M float64 = 128 MB)
MAX_NUMERIC_ENTRIES = 40_000  # two forward runs per entry (four off an analytic path)


def scalar_expression(y: Any, what: str = "a Hessian") -> Expr:
    """``y`` when it is a scalar expression; a TypeError or ValueError saying what is wrong."""
    if not isinstance(y, Expr):
        raise TypeError(f"expected a diffcheck expression, got {type(y).__name__}")
    if y.shape != ():
        raise ValueError(f"{what} needs a scalar expression, got shape {y.shape}; reduce it "
                         "first (dc.sum) or take one element (y[i])")
    return y


def block_vars(y: Expr, x: Any) -> tuple[Var, Var]:
    """``(x, x)`` for one variable, ``(x1, x2)`` for a pair (the mixed block)."""
    if isinstance(x, (tuple, list)):
        if len(x) != 2:
            raise ValueError(f"a Hessian block is taken by one variable or a pair (x1, x2), "
                             f"got {len(x)} entries")
        return as_var(x[0], y), as_var(x[1], y)
    var = as_var(x, y)
    return var, var


def check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}, got {method!r}")


def hessian_block(y: Expr, first: Var, second: Var, point: dict[str, np.ndarray],
                  method: str) -> np.ndarray:
    """The block ``first.shape + second.shape`` by one method at a validated point."""
    entries = first.size * second.size
    if method == "tape":
        if entries > MAX_TAPE_ENTRIES:
            raise ValueError(f"the Hessian block ∂²y/∂{first.name}∂{second.name} has {entries} "
                             f"entries, above {MAX_TAPE_ENTRIES}; use dc.hvp for products with it")
        return tape_hvp.hessian(y, first, second, point)
    if method == "sympy":
        why = symbolic_hessian.too_large(y, first, second)
        if why:
            raise ValueError(f"sympy: {why}; use method='tape' (or dc.hvp)")
        with np.errstate(all="ignore"):
            return symbolic_hessian.hessian(y, first, second, point)
    if entries > MAX_NUMERIC_ENTRIES:
        raise ValueError(f"numeric: the Hessian block ∂²y/∂{first.name}∂{second.name} has "
                         f"{entries} entries, above {MAX_NUMERIC_ENTRIES} for differences of "
                         "function values; use method='tape'")
    return second_differences.hessian(y, first, second, point).values


def hessian(y: Expr, x: Var | str | tuple, at: Mapping[Any, Any], *, method: str = "tape") -> np.ndarray:
    """Second derivatives of a scalar ``y``.

    Args:
        y: a scalar expression.
        x: a variable (``Var`` or name): the Hessian ``∂²y/∂x∂x`` of shape
            ``x.shape + x.shape``; or a pair ``(x1, x2)``: the mixed block
            ``∂²y/∂x1∂x2`` of shape ``x1.shape + x2.shape``.
        at: every variable's value.
        method: ``"tape"`` (complex step through the reverse sweep), ``"sympy"`` or
            ``"numeric"`` (differences of function values).

    Raises:
        ValueError: a non-scalar ``y``, an unknown method, or a block too large for it.
    """
    y = scalar_expression(y)
    first, second = block_vars(y, x)
    check_method(method)
    point = resolve_point(y, at)
    return hessian_block(y, first, second, point, method)


def _direction(var: Var, v: Any) -> np.ndarray:
    try:
        value = np.asarray(v, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"the direction for {var.name} must be an array of numbers ({error})") from None
    if value.shape != var.shape:
        raise ShapeError(f"the direction for {var.name} has shape {value.shape}, but {var.name} "
                         f"has shape {var.shape}")
    if not np.all(np.isfinite(value)):
        raise ValueError(f"the direction for {var.name} is not finite")
    return value


def hvp(y: Expr, x: Var | str | Sequence[Var | str], v: Any, at: Mapping[Any, Any], *,
        method: str = "tape") -> np.ndarray | dict[str, np.ndarray]:
    """The Hessian-vector product ``(∂²y/∂x²) v`` of a scalar ``y``, shaped like ``x``.

    With a list of variables, ``v`` maps each name to its direction and the result is a
    dict name -> ``Σ_z ∂²y/∂x∂z · v_z`` (the full Hessian over them times ``v``). By the
    tape this is one complex-stepped reverse sweep, a few times the cost of a gradient.
    """
    y = scalar_expression(y, "a Hessian-vector product")
    check_method(method)
    several = isinstance(x, (list, tuple))
    wrt = tuple(as_var(z, y) for z in (x if several else [x]))
    if several:
        if not isinstance(v, Mapping) or set(v) != {z.name for z in wrt}:
            raise ValueError("with several variables, v must map each of their names "
                             f"({', '.join(z.name for z in wrt)}) to a direction")
        directions = {z.name: _direction(z, v[z.name]) for z in wrt}
    else:
        directions = {wrt[0].name: _direction(wrt[0], v)}
    point = resolve_point(y, at)
    if method == "tape":
        result = tape_hvp.hvp(y, wrt, point, directions)
    else:
        result = {}
        for a in wrt:
            total = np.zeros(a.shape)
            for b in wrt:
                block = hessian_block(y, a, b, point, method)
                total += np.tensordot(block, directions[b.name], axes=b.ndim)
            result[a.name] = total
    return result if several else result[wrt[0].name]


__all__ = ["hessian", "hvp"]
