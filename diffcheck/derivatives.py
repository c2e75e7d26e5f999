"""Public values and derivatives: evaluate, jacobian, grad, symbolic_jacobian, to_sympy.

Every derivative tensor is computed in numerator layout, ``y.shape + x.shape``;
the denominator layout (``x.shape + y.shape``) is produced only here, at the edge.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from diffcheck.backends import numeric, symbolic, sympy_per_node, tape
from diffcheck.backends.program import compile_program, point_dtype, run_forward
from diffcheck.checking import limits
from diffcheck.ir import Expr, Var, known_variables, resolve_point

METHODS = ("tape", "sympy", "numeric")
LAYOUTS = ("numerator", "denominator")


def _as_expr(y: Any) -> Expr:
    if not isinstance(y, Expr):
        raise TypeError(f"expected a diffcheck expression, got {type(y).__name__}")
    return y


def as_var(x: Any, y: Expr) -> Var:
    """``x`` as a variable of ``y``: a Var or a variable name; anything else is an error."""
    found = known_variables(y)
    if type(x) is Var and found.get(x.name) is x:  # the usual case: the expression's own Var
        return x
    if isinstance(x, str):
        if x not in found:
            raise ValueError(
                f"{x!r} is not a variable of the expression; its variables are: "
                f"{', '.join(sorted(found)) or '(none)'}"
            )
        return found[x]
    if not isinstance(x, Var):
        raise TypeError(
            f"derivatives are taken with respect to variables (dc.Var or a name), "
            f"got {type(x).__name__}"
        )
    if x.name in found and found[x.name].shape != x.shape:
        raise ValueError(
            f"variable {x.name!r} has shape {x.shape} here but {found[x.name].shape} in the expression"
        )
    return x


WRT_CACHE_SIZE = 64


def _resolved_wrt(y: Expr, wrt: tuple) -> tuple[Var, ...]:
    """``as_var`` of each entry, remembered per expression for repeated gradient steps."""
    cache = y._cache.setdefault("wrt", {})
    try:
        return cache[wrt]
    except KeyError:
        if len(cache) >= WRT_CACHE_SIZE:  # fresh Var objects every call: do not grow forever
            cache.clear()
        resolved = cache[wrt] = tuple(as_var(v, y) for v in wrt)
        return resolved
    except TypeError:  # an unhashable entry: as_var names the problem
        return tuple(as_var(v, y) for v in wrt)


def check_layout(layout: str) -> None:
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be 'numerator' or 'denominator', got {layout!r}")


def to_layout(j: np.ndarray, y_ndim: int, layout: str) -> np.ndarray:
    """Numerator layout ``y + x`` to the requested layout (denominator is ``x + y``)."""
    check_layout(layout)
    if layout == "numerator":
        return j
    return np.transpose(j, tuple(range(y_ndim, j.ndim)) + tuple(range(y_ndim)))


def evaluate(e: Expr, at: Mapping[Any, Any]) -> np.ndarray:
    """The value of ``e`` at ``at`` as an ndarray (0-d for scalars)."""
    e = _as_expr(e)
    point = resolve_point(e, at)
    with np.errstate(all="ignore"):
        return np.asarray(run_forward(compile_program(e), point, point_dtype(point))[-1])


def jacobian_numerator(y: Expr, x: Var, point: dict[str, np.ndarray], method: str) -> np.ndarray:
    """The Jacobian ``y.shape + x.shape`` by one method, at an already validated point."""
    with np.errstate(all="ignore"):
        if method == "tape":
            return tape.jacobian(y, x, point)
        if method == "sympy":  # the cheaper SymPy route, by predicted cost (checking.cost)
            if limits.sympy_route(y, x).elementwise:
                return symbolic.jacobian(y, x, point)
            return sympy_per_node.jacobian(y, x, point)
        if method == "numeric":
            return numeric.jacobian(y, x, point).values
    raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}, got {method!r}")


def jacobian(
    y: Expr, x: Var | str, at: Mapping[Any, Any], *, method: str = "tape", layout: str = "numerator"
) -> np.ndarray:
    """All partial derivatives ``∂y[i...]/∂x[j...]``.

    Returns an array of shape ``y.shape + x.shape`` (numerator layout), or
    ``x.shape + y.shape`` with ``layout="denominator"``. A request too large to build
    (see ``diffcheck.checking.limits``) is a ValueError before any work, saying what would work.
    """
    y = _as_expr(y)
    var = as_var(x, y)
    check_layout(layout)
    point = resolve_point(y, at)
    if method in METHODS:
        limits.refuse_jacobian(y, var, method)
    return to_layout(jacobian_numerator(y, var, point, method), y.ndim, layout)


def grad(
    y: Expr, wrt: Var | str | Sequence[Var | str], at: Mapping[Any, Any], *, method: str = "tape"
) -> np.ndarray | dict[str, np.ndarray]:
    """The gradient of a scalar ``y``: an array shaped like ``wrt``, or a dict for a list."""
    y = _as_expr(y)
    if y.shape != ():
        raise ValueError(
            f"grad needs a scalar expression, got shape {y.shape}; use dc.jacobian or reduce "
            "it with dc.sum first"
        )
    several = isinstance(wrt, (list, tuple))
    wrt_vars = _resolved_wrt(y, tuple(wrt) if several else (wrt,))
    point = resolve_point(y, at)
    if method == "tape":  # the training hot path: NumPy's own warnings, no extra context
        result = tape.gradients(y, wrt_vars, point)
    else:
        for v in wrt_vars if method in METHODS else ():
            limits.refuse_jacobian(y, v, method)
        result = {v.name: jacobian_numerator(y, v, point, method) for v in wrt_vars}
    return result if several else result[wrt_vars[0].name]


def to_sympy(e: Expr) -> Any:
    """``e`` as SymPy: a scalar expression, a column Matrix (1-D), a Matrix (2-D), else an Array."""
    import sympy as sp

    lowered = symbolic.lower(_as_expr(e))
    if lowered.ndim == 0:
        return lowered[()]
    if lowered.ndim == 1:
        return sp.Matrix(lowered.shape[0], 1, list(lowered))
    if lowered.ndim == 2:
        return sp.Matrix(lowered.tolist())
    return sp.Array(lowered.tolist(), lowered.shape)


def symbolic_jacobian(y: Expr, x: Var | str, layout: str = "numerator") -> Any:
    """SymPy's closed form of ``∂y/∂x``.

    An expression for scalar/scalar, a ``sympy.Matrix`` for vector/vector (numerator
    layout is ``len(y) × len(x)``), otherwise a ``sympy.Array`` of the jacobian's shape.
    """
    import sympy as sp

    y = _as_expr(y)
    var = as_var(x, y)
    check_layout(layout)
    limits.refuse_jacobian(y, var, "sympy")
    j = to_layout(symbolic.closed_form(y, var), y.ndim, layout)
    if y.ndim == 0 and var.ndim == 0:
        return j[()]
    if y.ndim == 1 and var.ndim == 1:
        return sp.Matrix(j.tolist())
    return sp.Array(j.tolist(), j.shape)
