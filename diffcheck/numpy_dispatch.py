"""What NumPy does with an expression: NumPy's protocols (NEP 13 and NEP 18) end here.

``ndarray * expr`` and ``np.float64(2) ** expr`` reach ``Expr.__array_ufunc__``; they
build the same node as the Python operator. Every other NumPy ufunc or function
applied to an expression is a TypeError naming it and its diffcheck equivalent from
the op table: NumPy must never treat an expression as a 0-d object array, which would
give a silently wrong result (``np.mean(x)`` returning ``x`` unreduced).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from diffcheck.ops import REGISTRY, Op


def twin(numpy_name: str) -> Op | None:
    """The op record standing for a NumPy function (``"mean"``, ``"add.reduce"``), if any."""
    return next((r for r in REGISTRY.values() if numpy_name in r.numpy_names), None)


def unsupported(public_name: str, numpy_name: str) -> TypeError:
    """The error for a NumPy function applied to an expression, with the diffcheck spelling."""
    record = twin(numpy_name)
    hint = f"use {record.usage()}" if record else "diffcheck has no equivalent yet"
    return TypeError(f"{public_name} is not supported on diffcheck expressions yet; {hint}")


def array_ufunc(ufunc: np.ufunc, method: str, inputs: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Build ``x + y`` and the other operators when NumPy calls their ufunc; refuse the rest."""
    from diffcheck.ir import apply

    name = ufunc.__name__
    if method != "__call__":
        raise unsupported(f"np.{name}.{method}", f"{name}.{method}")
    record = twin(name)
    if record is None or record.symbol is None:  # only the operators: np.exp etc. come later
        raise unsupported(f"np.{name}", name)
    if "out" in kwargs:  # also how NumPy runs ``a += e`` for an array ``a``
        example = f" (a = a {record.symbol} e, not a {record.symbol}= e)" if record.arity == 2 else ""
        raise TypeError(
            f"np.{name} cannot store a diffcheck expression in an array (out=...); "
            f"build a new expression instead{example}"
        )
    if kwargs:
        raise TypeError(
            f"np.{name} on diffcheck expressions takes no keyword arguments, got {', '.join(kwargs)}; "
            f"use {record.usage()}"
        )
    return (record.builder() if record.public else functools.partial(apply, record.name))(*inputs)


# NumPy functions that only read the static shape, which an expression has.
_SHAPE_QUERIES = {
    np.shape: lambda e: e.shape,
    np.ndim: lambda e: e.ndim,
    np.size: lambda e: e.size,
}


def array_function(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Answer ``np.shape``, ``np.ndim`` and ``np.size``; any other NumPy function is a TypeError."""
    query = _SHAPE_QUERIES.get(func)
    if query is not None and len(args) == 1 and not kwargs:
        return query(args[0])
    module = getattr(func, "__module__", None) or "numpy"
    if module.split(".")[0] != "numpy":
        raise unsupported(f"{module}.{func.__name__}", "")
    path = ".".join(module.split(".")[1:] + [func.__name__])  # "mean", "linalg.inv"
    raise unsupported(f"np.{path}", path)
