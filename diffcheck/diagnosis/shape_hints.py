"""Reading a claim whose shape is not the derivative's, the way a student meant it.

- the other layout's shape: a failing report with a layout error (and whether the
  other reading is right);
- the same shape apart from axes of length 1 (a row vector written as a 1×n matrix,
  the lecture's own convention): accepted, with a note;
- the transpose of a matrix variable's shape for a scalar output: a failing report
  saying whether this is the transpose of ``∂L/∂W``;
- ``x``'s shape for a δ-structured ``∂y/∂x`` (the compact ``(4, 3)`` answer for
  ``∂y/∂W``): a failing report saying what the full tensor is and how the two relate.

Anything else is a ``ShapeError`` naming both shapes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from diffcheck.checking.claims import claim_in_numerator_layout
from diffcheck.diagnosis.hints import close
from diffcheck.diagnosis.structure_hints import compact_reading
from diffcheck.errors import ShapeError
from diffcheck.ir import Expr, Var


@dataclass
class ClaimReading:
    """A claim in numerator layout (or None), and what the report should say about it."""

    value: np.ndarray | None
    error: str | None = None
    hints: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _squeezed(shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(n for n in shape if n != 1)


def read_claim(claim, y: Expr, var: Var, layout: str, output: str,
               reference: Callable[[], np.ndarray]) -> ClaimReading:
    """The claim as ``y.shape + x.shape``; ``reference()`` gives the true derivative (numerator
    layout) when a hint needs it."""
    value = np.asarray(claim, dtype=float)
    numerator, denominator = y.shape + var.shape, var.shape + y.shape
    expected = numerator if layout == "numerator" else denominator
    note = None
    if value.shape != expected and value.shape != (numerator if layout == "denominator"
                                                   else denominator):
        if _squeezed(value.shape) == _squeezed(expected) and value.size == np.prod(expected):
            note = (f"the claimed ∂{output}/∂{var.name} has shape {value.shape}; {layout} layout "
                    f"expects {expected}, the same apart from axes of length 1 (a row vector "
                    f"written as a 1×n matrix), so it was read as {expected}")
            value = value.reshape(expected)
        elif _squeezed(value.shape) == _squeezed(other := (denominator if layout == "numerator"
                                                            else numerator)):
            value = value.reshape(other)  # the other layout, written with 1×n rows
    try:
        read, problem = claim_in_numerator_layout(value, y, var, layout)
    except ShapeError:
        other = _other_reading(value, y, var, output, reference)
        if other is None:
            raise
        return other
    if problem is not None:
        return ClaimReading(None, problem, [_layout_hint(value, y, var, layout, reference)])
    return ClaimReading(read, notes=[note] if note else [])


def _layout_hint(value, y: Expr, var: Var, layout: str, reference) -> str:
    other = "denominator" if layout == "numerator" else "numerator"
    claim = value
    if other == "denominator":  # x's axes first: bring y's axes to the front
        claim = np.transpose(value, tuple(range(var.ndim, var.ndim + y.ndim)) + tuple(range(var.ndim)))
    if close(claim, reference()):
        return f"layout: read in {other} layout the claim is correct"
    return f"layout: even read in {other} layout the claim is wrong"


def _other_reading(value: np.ndarray, y: Expr, var: Var, output: str,
                   reference) -> ClaimReading | None:
    """A transposed gradient of a scalar, or the compact form of a δ-structured tensor."""
    derivative = f"∂{output}/∂{var.name}"
    if y.size == 1 and var.ndim == 2 and _squeezed(value.shape) == var.shape[::-1] \
            and var.shape[0] != var.shape[1]:
        ref = reference().reshape(var.shape)
        transposed = value.reshape(var.shape[::-1]).T
        error = (f"the claimed {derivative} has shape {value.shape}, the transpose of "
                 f"{var.name}'s shape {var.shape}: a gradient has the shape of its variable")
        hint = (f"transpose: this is the transpose of {derivative}" if close(transposed, ref)
                else f"transpose: even transposed, the claim is not {derivative}")
        return ClaimReading(None, error, [hint])
    if value.shape == var.shape and y.ndim:
        hint = compact_reading(value, reference(), output, var.name, y.shape, var.shape)
        if hint is not None:
            error = (f"the claimed {derivative} has shape {value.shape}, {var.name}'s shape; "
                     f"{derivative} has shape {y.shape + var.shape} (a compact form is not "
                     "the derivative)")
            return ClaimReading(None, error, [hint])
    return None
