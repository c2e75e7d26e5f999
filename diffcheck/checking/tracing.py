"""A NumPy function run two ways: on its example arrays, and on variables (tracing).

``forward(**at)`` is plain NumPy. Called with ``dc.Var``s of the arrays' shapes in
place of its floating-point inputs, NumPy's protocols (``diffcheck.numpy_dispatch``)
turn it into an expression, which every check can differentiate. Integer and boolean
inputs (labels, masks) are not differentiable: they are passed as the arrays they are.

Tracing fails on a NumPy function without a diffcheck twin, on Python control flow on
values (``if x.sum() > 0``), on another library: the reason is kept for the report, and
the function is checked as a black box (``diffcheck.checking.black_box``). A traced
expression whose value differs from the real function's is not trusted either: a check
of the wrong function would be a false pass.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from diffcheck.checking.tolerances import tolerance
from diffcheck.ir import Const, Expr, Var, variables


@dataclass(frozen=True)
class Inputs:
    """The example arrays of a function, by name, and which of them are differentiable."""

    arrays: dict[str, np.ndarray]
    differentiable: tuple[str, ...]  # floating-point inputs, in the order of ``at``

    @property
    def constants(self) -> tuple[str, ...]:
        return tuple(n for n in self.arrays if n not in self.differentiable)

    @property
    def dtype(self) -> np.dtype:
        """The floating-point type the differentiable inputs share (float64 for a mix)."""
        return np.result_type(*(self.arrays[n] for n in self.differentiable))


def split_inputs(at: Any) -> Inputs:
    """``at`` (name -> example array) as arrays; floats are variables, integers constants.

    Raises:
        TypeError: ``at`` is not a mapping of names to real numbers.
        ValueError: ``at`` is empty, a name is not an identifier, or a value is not finite.
    """
    if not isinstance(at, Mapping):
        raise TypeError(f"at must map the function's input names to example arrays, got "
                        f"{type(at).__name__}")
    if not at:
        raise ValueError("at is empty: give each input of the function an example array")
    arrays, differentiable = {}, []
    for name, value in at.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"keys of at must be the function's argument names, got {name!r}")
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"value of {name!r} must be real numbers, got dtype {array.dtype}")
        if array.dtype.kind == "f":
            if not np.all(np.isfinite(array)):
                raise ValueError(f"value of {name!r} is not finite: derivatives there mean nothing")
            differentiable.append(name)
        arrays[name] = array
    if not differentiable:
        raise ValueError("at has no floating-point input to differentiate by (integer and "
                         "boolean arrays are constants); give the inputs as float arrays")
    return Inputs(arrays, tuple(differentiable))


def real_value(forward: Callable[..., Any], inputs: Inputs) -> np.ndarray:
    """``forward(**at)`` on the example arrays, as one finite float array; run twice to make
    sure it is a function (a forward that draws fresh random numbers cannot be checked)."""
    first, second = (_one_output(call_forward(forward, _copies(inputs.arrays))) for _ in range(2))
    if first.shape != second.shape or not np.array_equal(first, second, equal_nan=True):
        raise ValueError("forward gives different values for the same inputs (fresh random "
                         "numbers, such as dropout?): fix its randomness, e.g. a seeded mask")
    return first


def call_forward(forward: Callable[..., Any], arrays: Mapping[str, Any]) -> Any:
    """``forward(**arrays)``; a forward that cannot take those keywords is a TypeError
    saying how it is called (``np.tanh`` takes no ``x=``: wrap it, ``lambda x: np.tanh(x)``)."""
    try:
        signature = inspect.signature(forward)
    except (TypeError, ValueError):  # a ufunc or builtin: no signature to read
        signature = None
    if signature is not None:
        try:
            signature.bind(**arrays)
        except TypeError as error:
            raise TypeError(f"forward is called as forward(**at) with the keywords "
                            f"{', '.join(arrays)}, but {error}") from None
    try:
        return forward(**arrays)
    except TypeError as error:
        if signature is None:
            raise TypeError(f"forward is called as forward(**at) with the keywords "
                            f"{', '.join(arrays)}; {error} (wrap it: lambda "
                            f"{', '.join(arrays)}: f({', '.join(arrays)}))") from None
        raise


def _copies(arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {n: a.copy() for n, a in arrays.items()}  # a forward that writes into its inputs


def _one_output(value: Any) -> np.ndarray:
    if isinstance(value, (tuple, list, dict)):
        raise TypeError("forward must return one array; for several outputs, check each with its "
                        "own function (or concatenate them)")
    try:
        array = np.asarray(value)
    except TypeError as error:
        raise TypeError(f"forward must return an array of numbers: {error}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"forward must return an array of real numbers, got dtype {array.dtype}")
    return array if array.dtype.kind == "f" else array.astype(float)


def trace(forward: Callable[..., Any], inputs: Inputs, value: np.ndarray) -> Expr | str:
    """The expression ``forward`` builds on variables, or why it could not be traced.

    ``value`` is the real ``forward(**at)``; a traced expression that evaluates to
    something else is refused (the reason says so).
    """
    symbols = {n: Var(n, inputs.arrays[n].shape) for n in inputs.differentiable}
    arguments = {n: symbols.get(n, a) for n, a in inputs.arrays.items()}
    try:
        out = forward(**arguments)
    except Exception as error:  # noqa: BLE001 - any failure means: check it as a black box
        return f"{type(error).__name__}: {str(error).split('; ')[0]}"
    if isinstance(out, (tuple, list, dict)):
        return "forward returned several outputs"
    try:
        y = out if isinstance(out, Expr) else Const(np.asarray(out, dtype=float))
    except (TypeError, ValueError) as error:
        return f"its result is not an expression ({error})"
    return _agrees(y, inputs, value)


def _agrees(y: Expr, inputs: Inputs, value: np.ndarray) -> Expr | str:
    """``y`` when it reproduces the real value (as closely as the tape agrees), else why not."""
    from diffcheck.derivatives import evaluate

    if y.shape != value.shape:
        return f"the traced expression has shape {y.shape}, the real output {value.shape}"
    point = {n: inputs.arrays[n] for n in variables(y)}
    traced = np.asarray(evaluate(y, point), dtype=float)
    rtol, atol = tolerance("tape", value.dtype)
    allowance = atol * max(float(np.max(np.abs(value), initial=0.0)), 1.0)  # against the output's size
    if not np.allclose(traced, value, rtol=rtol, atol=allowance, equal_nan=True):
        worst = np.unravel_index(np.argmax(np.abs(traced - value)), value.shape) if value.size else ()
        return (f"the traced expression gives {traced[worst]!r} where forward gives "
                f"{value[worst]!r} (element {tuple(int(i) for i in worst)}), so it is not the "
                "same function")
    return y
