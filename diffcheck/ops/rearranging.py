"""Rearrangements that copy or reorder elements: broadcast_to, flip, roll, repeat, tile."""

from __future__ import annotations

import math

import numpy as np

from diffcheck.errors import ShapeError
from diffcheck.ops.arrays import unbroadcast
from diffcheck.ops.base import op
from diffcheck.ops.drawing import Draw, Sample
from diffcheck.ops.notation import Call
from diffcheck.ops.shaping import (
    Rearrangement,
    axis_index,
    canonical_axis,
    drawn_axis,
    int_tuple,
    is_int,
    nonempty,
    normalize_axis,
)


@op
class BroadcastTo(Rearrangement):
    """broadcast_to(x, shape): x repeated along new leading axes and axes of size 1."""

    name, keywords, numpy_names = "broadcast_to", ("shape",), ("broadcast_to",)
    printing = Call(shown=("shape",))
    samples = (Sample(((3,),), {"shape": (2, 3)}), Sample(((2, 1),), {"shape": (2, 2, 3)}),
               Sample(((),), {"shape": 2}))
    draw = Draw(params=lambda shapes, choice: {"shape": (2, *shapes[0])})

    def shape(self, a, shape=None):  # NumPy's keyword is ``shape``
        if shape is None:
            raise ShapeError(f"broadcast_to: needs the shape to broadcast shape {a} to")
        new = int_tuple(self.name, "shape", shape)
        if any(n < 1 for n in new):
            raise ShapeError(f"broadcast_to: every dimension of {shape!r} must be positive")
        try:
            fits = tuple(np.broadcast_shapes(a, new)) == new
        except ValueError:
            fits = False
        if not fits:
            raise ShapeError(f"broadcast_to: cannot broadcast shape {a} to {new}")
        return new

    def canonical(self, a, shape=None):
        """``shape`` as a tuple of ints."""
        return {"shape": self.shape(a, shape)}

    def move(self, x, shape):
        return np.broadcast_to(x, shape)

    def vjp(self, g, out, x, shape):  # every copy's cotangent summed back
        return unbroadcast(g, x.shape, out.ndim)


@op
class Flip(Rearrangement):
    """flip(x, axis): x with the order of elements reversed along the given axes (all by default)."""

    name, keywords, numpy_names = "flip", ("axis",), ("flip",)
    printing = Call(shown=("axis",))
    samples = (Sample(((2, 3),)), Sample(((2, 3),), {"axis": -1}), Sample(((2, 3, 2),), {"axis": (0, 2)}))
    draw = Draw(params=drawn_axis)

    def shape(self, a, axis=None):
        normalize_axis(self.name, a, axis)
        return a

    def canonical(self, a, axis=None):
        return {"axis": canonical_axis(self.name, a, axis)}

    def move(self, x, axis=None):
        return np.flip(x, axis)

    def vjp(self, g, out, x, axis=None):
        nb = self.batch(g, out)
        return np.flip(g, tuple(nb + a for a in normalize_axis(self.name, x.shape, axis)))


@op
class Roll(Rearrangement):
    """roll(x, shift, axis): x shifted cyclically along the axes (along the flat order by default)."""

    name, keywords, numpy_names = "roll", ("shift", "axis"), ("roll",)
    printing = Call(shown=("shift", "axis"))
    samples = (Sample(((2, 3),), {"shift": 1}), Sample(((2, 3),), {"shift": -1, "axis": 1}),
               Sample(((2, 3, 2),), {"shift": (1, 2), "axis": (0, -2)}))
    draw = Draw(params=lambda shapes, choice: {"shift": choice % 3 + 1, "axis": (
        None if not shapes[0] or choice % 2 == 0 else choice % len(shapes[0]))})

    def canonical(self, a, shift=None, axis=None):
        """``shift`` modulo the length it rolls, per axis: ints for one axis (or none), else
        a sorted tuple of axes and their total shifts."""
        if shift is None:
            raise ShapeError(f"roll: needs a shift for shape {a}")
        shifts = int_tuple(self.name, "shift", shift)
        if axis is None:
            if not is_int(shift):
                raise ShapeError(f"roll: shift {shift!r} must be one int when axis is None")
            return {"shift": shifts[0] % math.prod(a), "axis": None}
        axes = tuple(axis_index(self.name, len(a), v, "axis", a) for v in int_tuple(self.name, "axis", axis))
        if len(shifts) != len(axes) and 1 not in (len(shifts), len(axes)):
            raise ShapeError(f"roll: shift {shift!r} and axis {axis!r} must have one length (shape {a})")
        total = dict.fromkeys(sorted(axes), 0)
        for s, v in zip(shifts * len(axes) if len(shifts) == 1 else shifts,
                        axes * len(shifts) if len(axes) == 1 else axes):
            total[v] += s
        if is_int(shift) and is_int(axis):
            return {"shift": total[axes[0]] % a[axes[0]], "axis": axes[0]}
        return {"shift": tuple(s % a[v] for v, s in total.items()), "axis": tuple(total)}

    def shape(self, a, shift=None, axis=None):
        self.canonical(a, shift, axis)
        return a

    def move(self, x, shift, axis=None):
        return np.roll(x, shift, axis)

    def vjp(self, g, out, x, shift, axis=None):  # roll the cotangent back
        nb = self.batch(g, out)
        if axis is None:
            flat = np.roll(np.reshape(g, g.shape[:nb] + (-1,)), -shift, axis=-1)
            return np.reshape(flat, g.shape[:nb] + x.shape)
        return np.roll(g, tuple(-np.atleast_1d(shift)), tuple(nb + np.atleast_1d(axis)))


@op
class Repeat(Rearrangement):
    """repeat(x, repeats, axis): each element repeated along the axis (the flat order by default)."""

    name, keywords, numpy_names = "repeat", ("repeats", "axis"), ("repeat",)
    printing = Call(shown=("repeats", "axis"))
    samples = (Sample(((2, 3),), {"repeats": 2}), Sample(((2, 3),), {"repeats": (1, 0, 3), "axis": 1}),
               Sample(((3,),), {"repeats": (2, 2, 1), "axis": 0}), Sample(((),), {"repeats": 3}))
    draw = Draw(params=lambda shapes, choice: {"repeats": 2, **drawn_axis(shapes, choice)})

    def canonical(self, a, repeats=None, axis=None):
        """``repeats`` as one int or a tuple with one per element along the axis; ``axis``
        as None or a non-negative int."""
        if repeats is None:
            raise ShapeError(f"repeat: needs repeats for shape {a}")
        counts = int_tuple(self.name, "repeats", repeats)
        if axis is not None:
            if not is_int(axis):
                raise ShapeError(f"repeat: axis must be one int or None, got {axis!r}")
            axis = axis_index(self.name, len(a), axis, "axis", a)
        n = math.prod(a) if axis is None else a[axis]
        if any(c < 0 for c in counts) or len(counts) not in (1, n):
            raise ShapeError(f"repeat: repeats {repeats!r} must be non-negative, one or {n} of "
                             f"them (shape {a}, axis {axis})")
        return {"repeats": counts[0] if len(counts) == 1 else counts, "axis": axis}

    def shape(self, a, repeats=None, axis=None):
        params = self.canonical(a, repeats, axis)
        counts, axis = params["repeats"], params["axis"]
        n = math.prod(a) if axis is None else a[axis]
        total = counts * n if is_int(counts) else sum(counts)
        out = (total,) if axis is None else a[:axis] + (total,) + a[axis + 1:]
        return nonempty(self.name, a, out, f"repeats {repeats!r}")

    def move(self, x, repeats, axis=None):
        return np.repeat(x, repeats, axis)

    def vjp(self, g, out, x, repeats, axis=None):
        # Each output position along the axis came from one source element: sum them back.
        nb = self.batch(g, out)
        n = x.size if axis is None else x.shape[axis]
        source = np.repeat(np.arange(n), repeats)
        onehot = (source[:, None] == np.arange(n)).astype(g.dtype)  # (repeated, n)
        if axis is None:
            return np.reshape(g @ onehot, g.shape[:nb] + x.shape)
        return np.moveaxis(np.moveaxis(g, nb + axis, -1) @ onehot, -1, nb + axis)


@op
class Tile(Rearrangement):
    """tile(x, reps): x repeated as whole blocks, ``reps[i]`` times along axis i."""

    name, keywords, numpy_names = "tile", ("reps",), ("tile",)
    printing = Call(shown=("reps",))
    samples = (Sample(((2, 3),), {"reps": 2}), Sample(((2, 3),), {"reps": (3, 1, 2)}),
               Sample(((3,),), {"reps": (2, 1)}), Sample(((),), {"reps": (2,)}))
    draw = Draw(params=lambda shapes, choice: {"reps": (2,) if choice % 2 else (2, 1)})

    def canonical(self, a, reps=None):
        """``reps`` as a tuple of ints."""
        if reps is None:
            raise ShapeError(f"tile: needs reps for shape {a}")
        counts = int_tuple(self.name, "reps", reps)
        if any(c < 0 for c in counts):
            raise ShapeError(f"tile: reps {reps!r} must be non-negative (shape {a})")
        return {"reps": counts}

    @staticmethod
    def padded(a, reps):
        """The shape and the reps, both padded with leading 1s to one length (NumPy's rule)."""
        d = max(len(a), len(reps))
        return (1,) * (d - len(a)) + tuple(a), (1,) * (d - len(reps)) + tuple(reps)

    def shape(self, a, reps=None):
        shape, counts = self.padded(a, self.canonical(a, reps)["reps"])
        return nonempty(self.name, a, tuple(n * r for n, r in zip(shape, counts)), f"reps {reps!r}")

    def move(self, x, reps):
        return np.tile(x, reps)

    def vjp(self, g, out, x, reps):
        # out[r0, n0, r1, n1, ...] (block r, element n) = x[n0, n1, ...]: sum over the blocks
        nb = self.batch(g, out)
        shape, counts = self.padded(x.shape, reps)
        blocks = np.reshape(g, g.shape[:nb] + tuple(v for pair in zip(counts, shape) for v in pair))
        summed = np.sum(blocks, axis=tuple(nb + 2 * i for i in range(len(shape))))
        return np.reshape(summed, g.shape[:nb] + x.shape)
