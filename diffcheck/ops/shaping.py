"""Shape changes that move elements without arithmetic: transpose, reshape, ravel, squeeze,
expand_dims, swapaxes, moveaxis (more in ``rearranging``, ``matrices`` and ``indexing``).

Each is NumPy's function of the same name: the forward applies it to numbers, the SymPy
lowering to an object array of symbols (so SymPy sees which element went where), and
the VJP moves the cotangent back by a rule of its own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from diffcheck.errors import ShapeError
from diffcheck.ops import matrix_rules
from diffcheck.ops.arrays import as_objects
from diffcheck.ops.base import MatrixView, Op, op
from diffcheck.ops.drawing import Draw, Sample
from diffcheck.ops.notation import Call, Postfix

Shape = tuple[int, ...]


def is_int(value: Any) -> bool:
    """A Python or NumPy integer, and not a boolean."""
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def axis_index(name: str, ndim: int, axis: Any, what: str = "axis", shape: Any = None) -> int:
    """One axis as a non-negative int; a ShapeError names the op, the axis and the shape."""
    if not is_int(axis):
        raise ShapeError(f"{name}: {what} must be an int, got {axis!r}")
    if not -ndim <= axis < ndim:
        where = f"shape {shape}" if shape is not None else f"{ndim} axes"
        raise ShapeError(f"{name}: {what} {axis!r} is out of range for {where}")
    return int(axis) % ndim


def axis_list(name: str, ndim: int, axes: Any, what: str = "axis", shape: Any = None) -> tuple[int, ...]:
    """Axes (an int or a sequence) as non-negative ints in the given order, none repeated."""
    items = (axes,) if is_int(axes) else tuple(axes) if isinstance(axes, Sequence | np.ndarray) else (axes,)
    out = tuple(axis_index(name, ndim, a, what, shape) for a in items)
    if len(set(out)) != len(out):
        raise ShapeError(f"{name}: repeated {what} in {axes!r} for shape {shape}")
    return out


def normalize_axis(name: str, shape: Shape, axis: Any) -> tuple[int, ...]:
    """Axes as a sorted tuple of non-negative ints, none repeated; None means every axis."""
    if axis is None:
        return tuple(range(len(shape)))
    return tuple(sorted(axis_list(name, len(shape), axis, "axis", shape)))


def canonical_axis(name: str, shape: Shape, axis: Any) -> Any:
    """``axis`` as None, one non-negative int, or a sorted tuple of them."""
    if axis is None:
        return None
    axes = normalize_axis(name, shape, axis)
    return axes[0] if is_int(axis) else axes


def drawn_axis(shapes: tuple[Shape, ...], choice: int) -> dict[str, Any]:
    """An ``axis`` param for a drawn node: None for even ``choice``, else one of the axes."""
    ndim = len(shapes[0])
    return {"axis": None if ndim == 0 or choice % 2 == 0 else choice % ndim}


def int_tuple(name: str, key: str, value: Any) -> tuple[int, ...]:
    """An int or a sequence of ints as a tuple of Python ints (a ShapeError otherwise)."""
    items = (value,) if is_int(value) else tuple(np.ravel(value)) if isinstance(
        value, Sequence | np.ndarray) else None
    if items is None or not all(is_int(v) for v in items):
        raise ShapeError(f"{name}: {key} must be an int or a sequence of ints, got {value!r}")
    return tuple(int(v) for v in items)


def nonempty(name: str, shape: Shape, out: Shape, params: str) -> Shape:
    """``out``, or a ShapeError when it holds no element (expressions are never empty)."""
    if 0 in out:
        raise ShapeError(f"{name}: {params} selects no elements of shape {shape} (result shape {out})")
    return out


class Rearrangement(Op):
    """Moves elements of one input by NumPy's function ``move``; nothing is computed."""

    arity, reads, sympy_route = 1, ((),), "lower"  # the VJP reads shapes only
    draw, public = Draw(), True

    def move(self, x: np.ndarray, **params: Any) -> np.ndarray:
        raise NotImplementedError

    def forward(self, x, **params):
        return self.move(x, **params)

    def lower(self, x, **params):
        return as_objects(np.array(self.move(x, **params), dtype=object))  # a copy, never a view

    @property
    def vjps(self):
        return (self.vjp,)

    @staticmethod
    def batch(g: np.ndarray, out: Any) -> int:
        """How many leading batch axes ``g`` carries."""
        return g.ndim - out.ndim


# ----- transpose -----
@op
class Transpose(Op):
    """x.T or transpose(x, axes): the axes in reverse order, or permuted by ``axes``."""

    name, arity, printing = "transpose", 1, Postfix(".T")
    samples = (Sample(((2, 3),)), Sample(((2, 3, 4),), {"axes": (1, 0, 2)}),
               Sample(((2, 3, 4),), {"axes": (2, 0, 1)}), Sample(((3,),)))
    draw, public = Draw(), True
    keywords, methods, numpy_names = ("axes",), ("transpose",), ("transpose",)
    reads = ((),)
    sympy_route = "linear"  # d tr(Gᵀ Xᵀ) / dX = Gᵀ, over a view of X when there are axes
    matrix_rule = staticmethod(matrix_rules.transpose)

    def perm(self, a: Shape, axes: Any) -> tuple[int, ...]:
        if axes is None:
            return tuple(range(len(a)))[::-1]
        perm = axis_list(self.name, len(a), axes, "axes", a)
        if len(perm) != len(a):
            raise ShapeError(f"transpose: axes {axes!r} are not a permutation of the {len(a)} "
                             f"axes of shape {a}")
        return perm

    def shape(self, a, axes=None):
        return tuple(a[i] for i in self.perm(a, axes))

    def canonical(self, a, axes=None):
        """``axes`` as a tuple of non-negative ints; None for the reversed order (``x.T``)."""
        perm = self.perm(a, axes)
        return {"axes": None if perm == tuple(range(len(a)))[::-1] else perm}

    def text(self, inputs, **params):
        if params.get("axes") is None:
            return self.printing.format(self.name, inputs, params)
        return Call(shown=("axes",)).format(self.name, inputs, params)

    def usage(self):
        return "x.T or dc.transpose(x, axes=...)"

    def method_builder(self, name):
        def transpose(expr, *axes):
            return self.builder()(expr, axes[0] if len(axes) == 1 else (axes or None))
        return transpose

    def forward(self, x, axes=None):
        return np.transpose(x, axes)

    def lower(self, x, axes=None):
        return as_objects(np.transpose(x, axes))

    def matrix_views(self, a, axes=None):
        if axes is None and len(a) <= 2:  # the matrix itself (a vector as one row)
            return (MatrixView(tuple(range(len(a))), a if len(a) == 2 else (1, math.prod(a))),)
        # a column of the elements in the output's order, so that its transpose is the output
        return (MatrixView(self.perm(a, axes), (math.prod(a), 1)),)

    def matrix_form(self, x, axes=None):
        return x.T

    @property
    def vjps(self):
        return (self.vjp,)

    def vjp(self, g, out, x, axes=None):  # undo the permutation after the batch axes
        nb = g.ndim - x.ndim
        back = np.argsort(self.perm(x.shape, axes))
        return np.transpose(g, (*range(nb), *(nb + back)))


# ----- reshapes: the elements in the same (C) order -----
class Reshaping(Rearrangement):
    """A new shape for the same elements in C order: the VJP reshapes back."""

    def vjp(self, g, out, x, **params):
        return np.reshape(g, g.shape[: self.batch(g, out)] + x.shape)


@op
class Reshape(Reshaping):
    """reshape(x, newshape): the elements in C order, in a new shape (one entry may be -1)."""

    name, keywords, methods, numpy_names = "reshape", ("newshape",), ("reshape",), ("reshape",)
    printing = Call(shown=("newshape",))
    samples = (Sample(((2, 3),), {"newshape": (3, 2)}), Sample(((2, 3),), {"newshape": (-1,)}),
               Sample(((6,),), {"newshape": (1, 2, -1)}), Sample(((),), {"newshape": (1, 1)}))
    draw = Draw(params=lambda shapes, choice: {"newshape": (-1,) if choice % 2 else (1, -1)})

    def shape(self, a, newshape=None):
        if newshape is None:
            raise ShapeError(f"reshape: needs a new shape for shape {a}, e.g. dc.reshape(x, (2, -1))")
        new = int_tuple(self.name, "newshape", newshape)
        size, known = math.prod(a), math.prod(n for n in new if n != -1)
        bad = new.count(-1) > 1 or any(n < -1 or n == 0 for n in new)
        if not bad and -1 in new and known and size % known == 0:
            new = tuple(size // known if n == -1 else n for n in new)
        if bad or math.prod(new) != size:
            raise ShapeError(f"reshape: cannot reshape shape {a} ({size} elements) into {newshape!r}")
        return new

    def canonical(self, a, newshape=None):
        """``newshape`` with -1 resolved."""
        return {"newshape": self.shape(a, newshape)}

    def method_builder(self, name):
        def reshape(expr, *newshape):
            if not newshape:
                raise TypeError("reshape() needs a shape: e.reshape(2, 3) or e.reshape((2, 3))")
            return self.builder()(expr, newshape[0] if len(newshape) == 1 else newshape)
        return reshape

    def move(self, x, newshape=None):
        return np.reshape(x, newshape)


@op
class Ravel(Reshaping):
    """ravel(x): the elements in C order as a vector."""

    name, methods, numpy_names = "ravel", ("ravel", "flatten"), ("ravel",)
    printing, samples = Call(), (Sample(((2, 3),)), Sample(((),)))

    def shape(self, a):
        return (math.prod(a),)

    def move(self, x):
        return np.ravel(x)


def squeezed(name: str, a: Shape, axis: Any) -> tuple[int, ...]:
    """The axes ``squeeze`` removes (each of size 1); None means every axis of size 1."""
    if axis is None:
        return tuple(i for i, n in enumerate(a) if n == 1)
    axes = normalize_axis(name, a, axis)
    for i in axes:
        if a[i] != 1:
            raise ShapeError(f"{name}: axis {i} of shape {a} has size {a[i]}, not 1; only "
                             "axes of size 1 can be removed")
    return axes


@op
class Squeeze(Reshaping):
    """squeeze(x, axis): x without the given axes of size 1 (all of them by default)."""

    name, keywords, methods, numpy_names = "squeeze", ("axis",), ("squeeze",), ("squeeze",)
    printing = Call(shown=("axis",))
    samples = (Sample(((1, 3, 1),)), Sample(((1, 3, 1),), {"axis": -1}), Sample(((2, 1),), {"axis": (1,)}))

    def shape(self, a, axis=None):
        axes = squeezed(self.name, a, axis)
        return tuple(n for i, n in enumerate(a) if i not in axes)

    def canonical(self, a, axis=None):
        """``axis`` as None, one non-negative int, or a sorted tuple of them."""
        squeezed(self.name, a, axis)
        return {"axis": canonical_axis(self.name, a, axis)}

    def move(self, x, axis=None):
        return np.squeeze(x, axis)


@op
class ExpandDims(Reshaping):
    """expand_dims(x, axis): x with new axes of size 1 at the given positions of the result."""

    name, keywords, numpy_names = "expand_dims", ("axis",), ("expand_dims",)
    printing = Call(shown=("axis",))
    samples = (Sample(((2, 3),), {"axis": 1}), Sample(((3,),), {"axis": (0, -1)}), Sample(((),), {"axis": 0}))
    draw = Draw(params=lambda shapes, choice: {"axis": choice % (len(shapes[0]) + 1)})

    def new_axes(self, a: Shape, axis: Any) -> tuple[int, ...]:
        if axis is None:
            raise ShapeError(f"expand_dims: needs the axis of the new axis for shape {a}")
        items = int_tuple(self.name, "axis", axis)
        return tuple(sorted(axis_list(self.name, len(a) + len(items), items, "axis", a)))

    def shape(self, a, axis=None):
        new, rest = self.new_axes(a, axis), iter(a)
        return tuple(1 if i in new else next(rest) for i in range(len(a) + len(new)))

    def canonical(self, a, axis=None):
        """``axis`` as one non-negative int of the result, or a sorted tuple of them."""
        new = self.new_axes(a, axis)
        return {"axis": new[0] if is_int(axis) else new}

    def move(self, x, axis=None):
        return np.expand_dims(x, axis)


# ----- axis moves -----
@op
class SwapAxes(Rearrangement):
    """swapaxes(x, axis1, axis2): x with two axes interchanged."""

    name, keywords, methods, numpy_names = "swapaxes", ("axis1", "axis2"), ("swapaxes",), ("swapaxes",)
    printing = Call(shown=("axis1", "axis2"))
    samples = (Sample(((2, 3, 4),), {"axis1": 0, "axis2": -1}), Sample(((2, 3),), {"axis1": 1, "axis2": 0}))
    draw = Draw(params=lambda shapes, choice: {"axis1": 0, "axis2": -1})

    def canonical(self, a, axis1=None, axis2=None):
        """Both axes as non-negative ints."""
        if axis1 is None or axis2 is None:
            raise ShapeError(f"swapaxes: needs axis1 and axis2 for shape {a}")
        return {"axis1": axis_index(self.name, len(a), axis1, "axis1", a),
                "axis2": axis_index(self.name, len(a), axis2, "axis2", a)}

    def shape(self, a, axis1=None, axis2=None):
        axes = self.canonical(a, axis1, axis2)
        order = list(range(len(a)))
        order[axes["axis1"]], order[axes["axis2"]] = axes["axis2"], axes["axis1"]
        return tuple(a[i] for i in order)

    def move(self, x, axis1, axis2):
        return np.swapaxes(x, axis1, axis2)

    def vjp(self, g, out, x, axis1, axis2):
        nb = self.batch(g, out)
        return np.swapaxes(g, nb + axis1, nb + axis2)


@op
class MoveAxis(Rearrangement):
    """moveaxis(x, source, destination): x with axes moved to new positions, the rest in order."""

    name, keywords, numpy_names = "moveaxis", ("source", "destination"), ("moveaxis",)
    printing = Call(shown=("source", "destination"))
    samples = (Sample(((2, 3, 4),), {"source": 0, "destination": -1}),
               Sample(((2, 3, 4),), {"source": (0, 1), "destination": (2, 0)}))
    draw = Draw(params=lambda shapes, choice: {"source": 0, "destination": -1})

    def canonical(self, a, source=None, destination=None):
        """Source and destination as non-negative ints, or tuples of them of one length."""
        if source is None or destination is None:
            raise ShapeError(f"moveaxis: needs source and destination for shape {a}")
        src = axis_list(self.name, len(a), source, "source", a)
        dst = axis_list(self.name, len(a), destination, "destination", a)
        if len(src) != len(dst):
            raise ShapeError(f"moveaxis: source {source!r} and destination {destination!r} "
                             f"must name as many axes (shape {a})")
        single = is_int(source) and is_int(destination)
        return {"source": src[0] if single else src, "destination": dst[0] if single else dst}

    def shape(self, a, source=None, destination=None):
        dummy = np.broadcast_to(np.empty((), dtype=np.bool_), a)  # a shape, no memory
        return np.moveaxis(dummy, **self.canonical(a, source, destination)).shape

    def move(self, x, source, destination):
        return np.moveaxis(x, source, destination)

    def vjp(self, g, out, x, source, destination):
        nb = self.batch(g, out)
        src, dst = (np.atleast_1d(v) + nb for v in (source, destination))
        return np.moveaxis(g, tuple(dst), tuple(src))

