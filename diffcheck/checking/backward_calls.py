"""Calling a hand-written ``backward(g, **at)`` and reading what it claims.

``backward(g, **at)`` returns the gradient of ``⟨g, forward(**at)⟩`` for each input: a
dict by name, a tuple in the order of ``at`` (all inputs, or only the floating-point
ones), or a bare array when there is one floating-point input. What it gets wrong in
form (an input it does not return, a gradient of the wrong shape) is a problem of the
check, listed in the report, never ignored; integer inputs need no gradient.

From unit cotangents it rebuilds the claimed Jacobian (row ``i`` is ``backward(eᵢ)``),
and checks that ``backward`` is linear in ``g``: ``backward(g) = Σᵢ gᵢ·backward(eᵢ)``
for seeded ``g``, so a backward that is right for unit vectors only cannot pass.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from diffcheck.checking.tolerances import tolerance
from diffcheck.checking.tracing import Inputs
from diffcheck.symbols import element_name

SHOWN = 3  # elements named per linearity problem


class Backward:
    """``backward`` with its results checked for form and cached per cotangent."""

    def __init__(self, backward: Callable[..., Any], inputs: Inputs, out_shape: tuple[int, ...]):
        if not callable(backward):
            raise TypeError(f"backward must be a function backward(g, **at), got {type(backward).__name__}")
        self.backward, self.inputs, self.out_shape = backward, inputs, out_shape
        self.problems: dict[str, str] = {}  # input -> what is wrong with its gradient
        self._cache: dict[bytes, dict[str, np.ndarray]] = {}

    def __call__(self, g: np.ndarray) -> dict[str, np.ndarray]:
        """The gradients ``backward(g)`` returns that have the right form, by input name."""
        key = np.ascontiguousarray(g).tobytes()
        if key not in self._cache:
            arrays = {n: a.copy() for n, a in self.inputs.arrays.items()}
            self._cache[key] = self._read(self.backward(g.copy(), **arrays))
        return self._cache[key]

    def _read(self, result: Any) -> dict[str, np.ndarray]:
        grads = self._by_name(result)
        good = {}
        for name in self.inputs.differentiable:
            grad = grads.get(name)
            problem = self._problem(name, grad)
            if problem is None:
                good[name] = np.asarray(grad, dtype=float)
            else:
                self.problems.setdefault(name, problem)
        return good

    def _by_name(self, result: Any) -> dict[str, Any]:
        names, floats = list(self.inputs.arrays), self.inputs.differentiable
        if isinstance(result, Mapping):
            if unknown := [k for k in result if k not in names]:
                raise ValueError(f"backward returned a gradient for {unknown[0]!r}, which is not an "
                                 f"input in at ({', '.join(names)})")
            return dict(result)
        if isinstance(result, (tuple, list)):
            if len(result) == len(names):
                return dict(zip(names, result, strict=True))
            if len(result) == len(floats):
                return dict(zip(floats, result, strict=True))
            raise ValueError(f"backward returned {len(result)} gradients; give one per input of at "
                             f"({', '.join(names)}) in that order, or a dict by name")
        if len(floats) == 1:
            return {floats[0]: result}
        raise TypeError(f"backward must return a dict by input name or a tuple in the order of at "
                        f"({', '.join(names)}), got {type(result).__name__}")

    def _problem(self, name: str, grad: Any) -> str | None:
        shape = self.inputs.arrays[name].shape
        if grad is None:
            return (f"backward returned no gradient for {name!r}, an input of forward: every "
                    "floating-point input in at needs one (pass data you do not differentiate by "
                    "as an integer array, or close over it in forward)")
        try:
            array = np.asarray(grad, dtype=float)
        except (TypeError, ValueError):
            return f"backward's gradient for {name!r} is not an array of numbers ({type(grad).__name__})"
        if array.shape == shape:
            return None
        hint = ""
        if array.shape == shape[::-1] and len(shape) > 1:
            hint = ": it is transposed"
        elif array.ndim > len(shape):
            hint = f": sum it over the axes along which {name} was broadcast"
        return (f"backward's gradient for {name!r} has shape {array.shape}, but {name} has shape "
                f"{shape}{hint}")

    def unit_jacobian(self) -> dict[str, np.ndarray]:
        """The claimed Jacobian ``y.shape + x.shape`` per input, one unit cotangent per row."""
        size = int(np.prod(self.out_shape))
        rows: dict[str, list[np.ndarray]] = {}
        for i in range(size):
            unit = np.zeros(size)
            unit[i] = 1.0
            for name, grad in self(unit.reshape(self.out_shape)).items():
                rows.setdefault(name, []).append(grad)
        return {
            name: np.stack(parts).reshape(self.out_shape + self.inputs.arrays[name].shape)
            for name, parts in rows.items() if len(parts) == size
        }


def linearity_errors(
    backward: Backward, jacobians: Mapping[str, np.ndarray], cotangents: Sequence[np.ndarray],
    dtype: Any, output: str = "y",
) -> list[str]:
    """Where ``backward(g)`` differs from ``Σᵢ gᵢ·backward(eᵢ)`` for the seeded cotangents."""
    rtol, atol = tolerance("claimed", dtype)
    errors = []
    for k, g in enumerate(cotangents):
        grads = backward(g)
        for name, jac in jacobians.items():
            if name not in grads:
                continue
            with np.errstate(all="ignore"):  # a non-finite claim is a mismatch, not a warning
                combined = np.tensordot(g, jac, axes=g.ndim)
                finite = np.abs(combined[np.isfinite(combined)])
                scale = max(1.0, float(finite.max(initial=0)))
                bad = ~np.isclose(grads[name], combined, rtol=rtol, atol=atol * scale)
            if not bad.any():
                continue
            shown = "; ".join(
                f"∂⟨g,{output}⟩/∂{element_name(name, tuple(int(i) for i in ix))}: "
                f"{grads[name][tuple(ix)]:.6g} vs {combined[tuple(ix)]:.6g}"
                for ix in np.argwhere(bad)[:SHOWN]
            )
            errors.append(
                f"backward is not linear in g: with seeded cotangent {k} it differs from Σᵢ g[i]·"
                f"(its result for unit cotangent i) at {int(bad.sum())} element(s) of {name} "
                f"({shown}); a gradient must be multiplied by g, not computed without it"
            )
    return errors
