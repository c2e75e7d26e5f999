"""What NumPy does with an expression: NumPy's protocols (NEP 13 and NEP 18) end here.

A NumPy ufunc or function called with an expression among its arguments builds the
node of its diffcheck twin, the op record whose ``numpy_names`` lists it, through the
record's public builder and with NumPy's own keyword names: ``np.tanh(W @ x + b)``,
``np.sum(e, axis=1, keepdims=True)``, ``np.einsum("ij,j->i", A, x)``,
``np.concatenate([h, x])``, ``np.linalg.inv(A)``. Arrays and numbers mixed in become
constants. So a forward written for arrays, called with variables, is an expression.

A NumPy function without a twin is a TypeError naming it and saying how to proceed:
NumPy must never treat an expression as a 0-d object array, which would give a
silently wrong result (``np.mean(x)`` returning ``x`` unreduced).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from diffcheck.ops import REGISTRY, Op

# NumPy functions spelled like an expression method rather than the record's builder:
# ``np.dot`` of stacks is NumPy's dot (a tensordot), not a batched ``@``.
METHOD_SPELLED = frozenset({"dot"})
# Ufunc methods with a twin, and the ``axis`` NumPy gives them by default (not None).
UFUNC_METHODS = {"reduce": ("axis", "keepdims"), "accumulate": ("axis",)}
# Keywords NumPy accepts that never change a value: dropped, not refused.
VALUE_NEUTRAL = frozenset({"optimize"})
PROCEED = (
    "write that step with NumPy functions that have diffcheck twins (see the reference "
    "pages of expressions), or check the function as a black box: dc.check_vjp and "
    "dc.check_gradient compare with numeric differences of the real function when it "
    "cannot be traced"
)


def twin(numpy_name: str) -> Op | None:
    """The op record standing for a NumPy function (``"mean"``, ``"add.reduce"``), if any."""
    return _twins().get(numpy_name)


@functools.lru_cache(maxsize=1)
def _twin_table() -> tuple[int, dict[str, Op]]:
    return len(REGISTRY), {n: r for r in REGISTRY.values() for n in r.numpy_names}


def _twins() -> dict[str, Op]:
    """NumPy name -> record, rebuilt when the registry changes size (a test's throwaway op)."""
    size, table = _twin_table()
    if size != len(REGISTRY):
        _twin_table.cache_clear()
        size, table = _twin_table()
    return table


def unsupported(public_name: str, numpy_name: str) -> TypeError:
    """The error for a NumPy function without a twin, saying how to proceed."""
    return TypeError(
        f"{public_name} is not supported on diffcheck expressions: diffcheck has no equivalent; "
        f"{PROCEED}"
    )


def _builder(record: Op, numpy_name: str) -> Callable[..., Any]:
    """The function that builds ``record``'s node as NumPy's ``numpy_name`` is called."""
    from diffcheck.ir import apply

    short = numpy_name.rsplit(".", 1)[-1]
    if numpy_name.startswith("linalg."):
        import diffcheck.linalg as dc_linalg

        return getattr(dc_linalg, short)  # slogdet: the pair (sign, logabsdet), as NumPy
    if short in METHOD_SPELLED and short in record.methods:
        return record.method_builder(short)
    if record.public or record.keywords or record.variadic:
        return record.builder()
    return functools.partial(apply, record.name)  # the operators: + - * / ** and unary -


def _refuse_out(name: str, record: Op, kwargs: dict[str, Any]) -> None:
    if "out" in kwargs:  # also how NumPy runs ``a += e`` for an array ``a``
        symbol = record.symbol
        example = f" (a = a {symbol} e, not a {symbol}= e)" if symbol and record.arity == 2 else ""
        raise TypeError(
            f"np.{name} cannot store a diffcheck expression in an array (out=...); "
            f"build a new expression instead{example}"
        )


def array_ufunc(ufunc: np.ufunc, method: str, inputs: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """A ufunc (``np.tanh``, ``np.maximum``, ``np.add.reduce``) on expressions: its twin's node."""
    name = ufunc.__name__
    path = name if method == "__call__" else f"{name}.{method}"
    record = twin(path)
    if record is None or (method != "__call__" and method not in UFUNC_METHODS):
        raise unsupported(f"np.{path}", path)
    _refuse_out(path, record, kwargs)
    build = _builder(record, path)
    if method == "__call__":
        if kwargs:
            raise TypeError(
                f"np.{name} on diffcheck expressions takes no keyword arguments, got "
                f"{', '.join(kwargs)}; use {record.usage()}"
            )
        return build(*inputs)
    allowed = UFUNC_METHODS[method]
    if extra := [k for k in kwargs if k not in allowed]:
        raise TypeError(f"np.{path} on diffcheck expressions accepts only {', '.join(allowed)}, "
                        f"got {', '.join(extra)}")
    return build(*inputs, **{"axis": 0, **kwargs})  # NumPy's default axis for ufunc methods


def _zeros_like(e: Any, dtype: Any = None, *args: Any, **kwargs: Any) -> np.ndarray:
    return np.zeros(np.shape(e), dtype=dtype or float)


def _ones_like(e: Any, dtype: Any = None, *args: Any, **kwargs: Any) -> np.ndarray:
    return np.ones(np.shape(e), dtype=dtype or float)


def _full_like(e: Any, fill_value: Any, dtype: Any = None, *args: Any, **kwargs: Any) -> np.ndarray:
    return np.full(np.shape(e), fill_value, dtype=dtype or float)


# NumPy functions that only read the static shape, which an expression has: their result
# is a constant (``np.zeros_like(e)`` is an array of zeros, whatever e's value).
SHAPE_QUERIES: dict[Any, Callable[..., Any]] = {
    np.shape: lambda e: e.shape,
    np.ndim: lambda e: e.ndim,
    np.size: lambda e: e.size,
    np.zeros_like: _zeros_like,
    np.ones_like: _ones_like,
    np.full_like: _full_like,
}


def numpy_path(func: Any) -> str | None:
    """``"mean"``, ``"linalg.inv"`` for NumPy's functions; None for another library's."""
    module = getattr(func, "__module__", None) or "numpy"
    if module.split(".")[0] != "numpy":
        return None
    parts = [p for p in module.split(".")[1:] if not p.startswith("_")]  # numpy._core...
    return ".".join([*parts, func.__name__])


def array_function(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """A NumPy function on expressions: its twin's node, a shape query, or a TypeError."""
    query = SHAPE_QUERIES.get(func)
    if query is not None:
        return query(*args, **kwargs)
    path = numpy_path(func)
    if path is None:
        module = getattr(func, "__module__", "?")
        raise TypeError(
            f"{module}.{func.__name__} is not a NumPy function and cannot be applied to a "
            f"diffcheck expression; {PROCEED}"
        )
    record = twin(path)
    if record is None:
        raise unsupported(f"np.{path}", path)
    _refuse_out(path, record, kwargs)
    kept = {k: v for k, v in kwargs.items() if k not in VALUE_NEUTRAL}
    return _builder(record, path)(*args, **kept)


def dispatching() -> dict[str, str]:
    """Every NumPy name that builds an expression -> how diffcheck spells it (for docs)."""
    return {f"np.{n}": r.usage() for n, r in sorted(_twins().items())}
