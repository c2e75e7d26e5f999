"""Joining arrays as NumPy does: concatenate, stack, vstack and hstack.

Each op is a concatenation of its inputs after laying them out: ``stack`` gives every
input a new axis of length 1, ``vstack`` makes them at least 2-D (a vector is one row),
``hstack`` at least 1-D and joins vectors end to end and everything else along axis 1,
and ``concatenate(..., axis=None)`` flattens them first. :func:`layout` states that
once per op, so the shape rule, the lowering and the VJPs read the same layout; the
forward is NumPy's own function. The VJP for input k is its slice of the cotangent
(which has leading batch axes) along the joined axis, reshaped to the input's shape:
it reads no values (``reads = ((),)``), only shapes.

Each output element is one input element at another position, so no elementwise or
matrix-level SymPy rule applies (SymPy's matrix calculus cannot differentiate a
``BlockMatrix``): SymPy lowers a join at its real shapes, one term per output element.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from diffcheck.errors import ShapeError
from diffcheck.ops.arrays import as_objects
from diffcheck.ops.base import Op, op
from diffcheck.ops.drawing import Draw, Sample
from diffcheck.ops.notation import ATOM, Call, Text

Shape = tuple[int, ...]


def _axis(name: str, axis: Any, ndim: int, shapes: tuple[Shape, ...]) -> int:
    """``axis`` as a non-negative int below ``ndim``, or a ShapeError naming the op and shapes."""
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
        raise TypeError(f"{name}: axis must be an int, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ShapeError(f"{name}: axis {axis} is out of range for {ndim} axes (shapes "
                         f"{', '.join(map(str, shapes))})")
    return int(axis) % ndim


def _joined(name: str, laid: tuple[Shape, ...], axis: int, shapes: tuple[Shape, ...]) -> Shape:
    """The shape of ``laid`` concatenated along ``axis``; a ShapeError names the shapes at fault."""
    first = laid[0]
    for shape, given in zip(laid, shapes):
        if len(shape) != len(first):
            raise ShapeError(f"{name}: all inputs must have the same number of axes, got shapes "
                             f"{shapes[0]} and {given}")
        for i, (n, m) in enumerate(zip(first, shape)):
            if i != axis and n != m:
                raise ShapeError(f"{name}: along axis {axis}, shapes {shapes[0]} and {given} must "
                                 f"agree on every other axis, but axis {i} has {n} and {m}")
    return first[:axis] + (sum(s[axis] for s in laid),) + first[axis + 1:]


def _key(name: str, params: dict[str, Any]) -> tuple:
    """The params as a cache key; an axis that is not an int (or None) is a TypeError."""
    axis = params.get("axis")
    if axis is not None and (isinstance(axis, bool) or not isinstance(axis, int | np.integer)):
        raise TypeError(f"{name}: axis must be an int, got {axis!r}")
    return tuple(sorted(params.items()))


@functools.lru_cache(maxsize=512)
def layout(name: str, shapes: tuple[Shape, ...], params: tuple) -> tuple[tuple[Shape, ...], int, Shape]:
    """Each input's shape as concatenated, the axis joined along, and the output's shape."""
    return REGISTRY_LAYOUTS[name](shapes, **dict(params))


def _concatenate(shapes, axis=0):
    if axis is None:  # NumPy flattens every input first
        laid = tuple((math.prod(s),) for s in shapes)
        return laid, 0, _joined("concatenate", laid, 0, shapes)
    if () in shapes:
        raise ShapeError(f"concatenate: inputs must have at least one axis, got shapes "
                         f"{', '.join(map(str, shapes))} (use stack for scalars)")
    axis = _axis("concatenate", axis, len(shapes[0]), shapes)
    return shapes, axis, _joined("concatenate", shapes, axis, shapes)


def _stack(shapes, axis=0):
    if unequal := [s for s in shapes if s != shapes[0]]:
        raise ShapeError(f"stack: all inputs must have the same shape, got {shapes[0]} and {unequal[0]}")
    axis = _axis("stack", axis, len(shapes[0]) + 1, shapes)
    laid = tuple(s[:axis] + (1,) + s[axis:] for s in shapes)
    return laid, axis, _joined("stack", laid, axis, shapes)


def _vstack(shapes):
    laid = tuple(s if len(s) >= 2 else (1, math.prod(s)) for s in shapes)  # a vector is one row
    return laid, 0, _joined("vstack", laid, 0, shapes)


def _hstack(shapes):
    laid = tuple(s or (1,) for s in shapes)
    axis = 0 if len(laid[0]) == 1 else 1  # as NumPy: vectors end to end, else along axis 1
    return laid, axis, _joined("hstack", laid, axis, shapes)


REGISTRY_LAYOUTS = {"concatenate": _concatenate, "stack": _stack, "vstack": _vstack, "hstack": _hstack}


def _drawn_axis(shapes: tuple[Shape, ...], choice: int) -> dict[str, int]:
    return {"axis": choice % max(1, len(shapes[0]))}


class Join(Op):
    """A concatenation of any number of inputs after each op's layout."""

    arity, variadic = 1, True
    reads = ((),)  # the VJPs read shapes only
    sympy_route = "lower"  # one term per output element, lowered at its real shapes
    printing, draw = Call(), Draw()
    public = True

    def shape(self, *shapes, **params):
        return layout(self.name, shapes, _key(self.name, params))[2]

    def text(self, inputs, **params):
        shown = "".join(f", {k}={params[k]}" for k in self.keywords)
        return Text(f"{self.name}([{', '.join(t.text for t in inputs)}]{shown})", ATOM)

    def lower(self, *objs, **params):
        laid, axis, _ = layout(self.name, tuple(x.shape for x in objs), _key(self.name, params))
        return as_objects(np.concatenate([x.reshape(s) for x, s in zip(objs, laid)], axis=axis))

    @property
    def vjps(self):
        return (self.vjp,)

    def vjp(self, k, g, out, *xs, **params):
        """Input k's slice of g along the joined axis (after g's batch axes), reshaped."""
        shapes = tuple(x.shape for x in xs)
        laid, axis, out_shape = layout(self.name, shapes, _key(self.name, params))
        nb = g.ndim - len(out_shape)
        start = sum(s[axis] for s in laid[:k])
        piece = g[(slice(None),) * (nb + axis) + (slice(start, start + laid[k][axis]),)]
        return piece.reshape(g.shape[:nb] + shapes[k])


@op
class Concatenate(Join):
    """concatenate([x, y, ...], axis): the inputs joined along an existing axis (None: flattened)."""

    name, keywords = "concatenate", ("axis",)
    numpy_names = ("concatenate",)
    samples = (
        Sample(((2, 3), (2, 2)), {"axis": 1}),
        Sample(((2,), (3,), (1,))),  # three inputs
        Sample(((2, 2), (3,)), {"axis": None}),  # flattened first
    )
    draw = Draw(params=_drawn_axis)

    def shape(self, *shapes, axis=0):
        return super().shape(*shapes, axis=axis)

    def canonical(self, *shapes, axis=0):
        return {"axis": None if axis is None else _axis(self.name, axis, len(shapes[0]), shapes)}

    def forward(self, *xs, axis=0):
        return np.concatenate(xs, axis=axis)


@op
class Stack(Join):
    """stack([x, y, ...], axis): inputs of one shape joined along a new axis."""

    name, keywords = "stack", ("axis",)
    numpy_names = ("stack",)
    samples = (Sample(((2, 3), (2, 3)), {"axis": 1}), Sample(((), (), ())),
               Sample(((3,), (3,)), {"axis": -1}))
    draw = Draw(params=lambda shapes, choice: {"axis": choice % (len(shapes[0]) + 1)})

    def shape(self, *shapes, axis=0):
        return super().shape(*shapes, axis=axis)

    def canonical(self, *shapes, axis=0):
        return {"axis": _axis(self.name, axis, len(shapes[0]) + 1, shapes)}

    def forward(self, *xs, axis=0):
        return np.stack(xs, axis=axis)


@op
class Vstack(Join):
    """vstack([x, y, ...]): rows joined (inputs made at least 2-D: a vector is one row)."""

    name = "vstack"
    numpy_names = ("vstack",)
    samples = (Sample(((3,), (2, 3))), Sample(((), ())), Sample(((1, 2, 2), (2, 2, 2))))

    def shape(self, *shapes):
        return super().shape(*shapes)

    def forward(self, *xs):
        return np.vstack(xs)


@op
class Hstack(Join):
    """hstack([x, y, ...]): vectors joined end to end, other inputs along axis 1."""

    name = "hstack"
    numpy_names = ("hstack",)
    samples = (Sample(((2,), (3,))), Sample(((2, 1), (2, 3))), Sample(((), (2,))))

    def shape(self, *shapes):
        return super().shape(*shapes)

    def forward(self, *xs):
        return np.hstack(xs)
