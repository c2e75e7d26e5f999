"""Matrix structure: diag, diagonal, trace, triu, tril, and the products outer and kron."""

from __future__ import annotations

import math

import numpy as np

from diffcheck._lazy import sympy as sp
from diffcheck.errors import ShapeError
from diffcheck.ops.arrays import as_objects
from diffcheck.ops.base import MatrixView, Op, op
from diffcheck.ops.drawing import Draw, Sample
from diffcheck.ops.notation import Call
from diffcheck.ops.shaping import Rearrangement, axis_index, is_int, nonempty


def checked_int(name: str, key: str, value: object) -> int:
    """An int param (``k``, ``offset``) as a Python int; a ShapeError otherwise."""
    if not is_int(value):
        raise ShapeError(f"{name}: {key} must be an int, got {value!r}")
    return int(value)


def diagonal_indices(rows: int, cols: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of diagonal ``k`` of a ``rows`` x ``cols`` matrix (k > 0: above)."""
    n = max(0, min(rows, cols - k) if k >= 0 else min(rows + k, cols))
    return np.arange(n) + max(-k, 0), np.arange(n) + max(k, 0)


def zeros(shape: tuple[int, ...]) -> np.ndarray:
    """An object array of SymPy zeros (a lowering's entries must all be SymPy expressions)."""
    return np.full(shape, sp.S.Zero, dtype=object)


@op
class Diag(Rearrangement):
    """diag(x, k): a vector placed on diagonal k of a square matrix, or a matrix's diagonal k."""

    name, keywords, numpy_names = "diag", ("k",), ("diag",)
    printing = Call(shown=("k",))
    samples = (Sample(((3,),)), Sample(((2,),), {"k": -1}), Sample(((3, 4),), {"k": 1}),
               Sample(((3, 4),)))
    draw = Draw(params=lambda shapes, choice: {"k": choice % 3 - 1 if len(shapes[0]) == 1 else 0})

    def shape(self, a, k=0):
        k = checked_int(self.name, "k", k)
        if len(a) == 1:
            return (a[0] + abs(k),) * 2
        if len(a) != 2:
            raise ShapeError(f"diag: needs a vector or a matrix, got shape {a}; use "
                             "dc.diagonal(x, offset, axis1, axis2) for more axes")
        return nonempty(self.name, a, (len(diagonal_indices(*a, k)[0]),), f"k={k}")

    def canonical(self, a, k=0):
        return {"k": checked_int(self.name, "k", k)}

    def move(self, x, k=0):
        return np.diag(x, k)

    def lower(self, x, k=0):
        if x.ndim == 2:
            return as_objects(np.array(np.diagonal(x, k), dtype=object))
        out = zeros((x.shape[0] + abs(k),) * 2)
        out[diagonal_indices(*out.shape, k)] = x
        return as_objects(out)

    def vjp(self, g, out, x, k=0):
        if x.ndim == 1:  # the cotangent's diagonal k
            return np.diagonal(g, offset=k, axis1=-2, axis2=-1).copy()
        nb = self.batch(g, out)
        result = np.zeros(g.shape[:nb] + x.shape, dtype=g.dtype)
        result[(..., *diagonal_indices(*x.shape, k))] = g
        return result


@op
class Diagonal(Rearrangement):
    """diagonal(x, offset, axis1, axis2): diagonal ``offset`` of the (axis1, axis2) planes, last."""

    name, keywords, numpy_names = "diagonal", ("offset", "axis1", "axis2"), ("diagonal",)
    printing = Call(shown=("offset", "axis1", "axis2"))
    samples = (Sample(((3, 3),), {"offset": 0, "axis1": 0, "axis2": 1}),
               Sample(((2, 3, 4),), {"offset": -1, "axis1": 2, "axis2": 1}),
               Sample(((3, 4),), {"offset": 2, "axis1": 0, "axis2": 1}))

    def canonical(self, a, offset=0, axis1=0, axis2=1):
        """The offset and two distinct non-negative axes."""
        if len(a) < 2:
            raise ShapeError(f"diagonal: needs at least 2 axes, got shape {a}")
        axes = (axis_index(self.name, len(a), axis1, "axis1", a),
                axis_index(self.name, len(a), axis2, "axis2", a))
        if axes[0] == axes[1]:
            raise ShapeError(f"diagonal: axis1 and axis2 are both axis {axes[0]} of shape {a}")
        return {"offset": checked_int(self.name, "offset", offset), "axis1": axes[0], "axis2": axes[1]}

    def shape(self, a, offset=0, axis1=0, axis2=1):
        p = self.canonical(a, offset, axis1, axis2)
        n = len(diagonal_indices(a[p["axis1"]], a[p["axis2"]], p["offset"])[0])
        rest = tuple(m for i, m in enumerate(a) if i not in (p["axis1"], p["axis2"]))
        return nonempty(self.name, a, rest + (n,), f"offset={offset}")

    def move(self, x, offset=0, axis1=0, axis2=1):
        return np.diagonal(x, offset, axis1, axis2)

    def vjp(self, g, out, x, offset=0, axis1=0, axis2=1):
        # Put g on the diagonal of the (axis1, axis2) planes, kept last, then move them back.
        nb = self.batch(g, out)
        rest = tuple(m for i, m in enumerate(x.shape) if i not in (axis1, axis2))
        planes = np.zeros(g.shape[:nb] + rest + (x.shape[axis1], x.shape[axis2]), dtype=g.dtype)
        planes[(..., *diagonal_indices(x.shape[axis1], x.shape[axis2], offset))] = g
        return np.moveaxis(planes, (-2, -1), (nb + axis1, nb + axis2))


@op
class Trace(Op):
    """trace(x, offset): the sum of a matrix's diagonal ``offset``."""

    name, arity, keywords, numpy_names, public = "trace", 1, ("offset",), ("trace",), True
    printing, draw = Call(shown=("offset",)), Draw()
    samples = (Sample(((3, 3),)), Sample(((3, 4),), {"offset": 1}), Sample(((4, 2),), {"offset": -2}))
    reads = ((),)
    # NOTE: not "linear": SymPy's d Trace(X)/dX is Trace(G)·I, which lambdify cannot print;
    # the lowering is one sum of at most min(m, n) elements, so "lower" stays small.
    sympy_route = "lower"

    def shape(self, a, offset=0):
        if len(a) != 2:
            raise ShapeError(f"trace: needs a matrix, got shape {a}; use "
                             "dc.sum(dc.diagonal(x, offset, axis1, axis2), axis=-1) for more axes")
        checked_int(self.name, "offset", offset)
        return ()

    def canonical(self, a, offset=0):
        return {"offset": checked_int(self.name, "offset", offset)}

    def lowered_terms(self, out_shape, a, offset=0):
        return max(1, len(diagonal_indices(*a, offset)[0]))

    def forward(self, x, offset=0):
        return np.trace(x, offset)

    def lower(self, x, offset=0):
        return as_objects(sp.Add(*x[diagonal_indices(*x.shape, offset)]))

    @property
    def vjps(self):
        return (self.vjp,)

    @staticmethod
    def vjp(g, out, x, offset=0):  # g on the diagonal, for every batch row
        g = np.asarray(g)
        result = np.zeros(g.shape + x.shape, dtype=g.dtype)
        result[(..., *diagonal_indices(*x.shape, offset))] = g[..., None]
        return result


class Triangle(Rearrangement):
    """Keeps one triangle of the last two axes and zeroes the rest."""

    keywords, printing = ("k",), Call(shown=("k",))
    samples = (Sample(((3, 3),)), Sample(((3, 4),), {"k": 1}), Sample(((2, 3, 2),), {"k": -1}))
    draw = Draw(params=lambda shapes, choice: {"k": choice % 3 - 1})

    def mask(self, shape, k):
        raise NotImplementedError

    def shape(self, a, k=0):
        if len(a) < 2:
            raise ShapeError(f"{self.name}: needs a matrix (at least 2 axes), got shape {a}")
        checked_int(self.name, "k", k)
        return a

    def canonical(self, a, k=0):
        return {"k": checked_int(self.name, "k", k)}

    def lower(self, x, k=0):
        return as_objects(np.where(self.mask(x.shape[-2:], k), x, sp.S.Zero))

    def vjp(self, g, out, x, k=0):
        return g * self.mask(x.shape[-2:], k)


@op
class Triu(Triangle):
    """triu(x, k): x with the elements below diagonal k of its last two axes set to zero."""

    name, numpy_names = "triu", ("triu",)
    move = staticmethod(np.triu)

    @staticmethod
    def mask(shape, k):
        rows, cols = np.indices(shape)
        return cols - rows >= k


@op
class Tril(Triangle):
    """tril(x, k): x with the elements above diagonal k of its last two axes set to zero."""

    name, numpy_names = "tril", ("tril",)
    move = staticmethod(np.tril)

    @staticmethod
    def mask(shape, k):
        rows, cols = np.indices(shape)
        return cols - rows <= k


# ----- products that build a larger array -----
@op
class Outer(Op):
    """outer(x, y): every product x[i] * y[j] of the flattened inputs, shape (x.size, y.size)."""

    name, arity, numpy_names, public = "outer", 2, ("outer",), True
    printing, draw = Call(), Draw(fit="broadcast")
    samples = (Sample(((3,), (2,))), Sample(((2, 2), (3,))), Sample(((), (2,))))
    reads = ((1,), (0,))
    sympy_route = "linear"  # the flattened inputs as columns a, b: the outer product is a bᵀ

    def shape(self, a, b):
        return (math.prod(a), math.prod(b))

    def forward(self, x, y):
        return np.outer(x, y)

    def lower(self, x, y):
        return as_objects(np.multiply.outer(np.ravel(x), np.ravel(y)))

    def matrix_views(self, a, b):
        return (MatrixView(tuple(range(len(a))), (math.prod(a), 1)),
                MatrixView(tuple(range(len(b))), (math.prod(b), 1)))

    def matrix_form(self, x, y):
        return x * y.T

    @property
    def vjps(self):
        return (self.vjp_x, self.vjp_y)

    @staticmethod
    def vjp_x(g, out, x, y):  # Σ_j g[..., i, j] y[j]
        return np.reshape(g @ np.ravel(y), g.shape[:-2] + x.shape)

    @staticmethod
    def vjp_y(g, out, x, y):  # Σ_i x[i] g[..., i, j]
        return np.reshape(np.ravel(x) @ g, g.shape[:-2] + y.shape)


@op
class Kron(Op):
    """kron(x, y): the Kronecker product, block (i, j, ...) is x[i, j, ...] * y."""

    name, arity, numpy_names, public = "kron", 2, ("kron",), True
    printing, draw = Call(), Draw(fit="broadcast")
    samples = (Sample(((2, 2), (2, 3))), Sample(((3,), (2,))), Sample(((2,), (2, 2))), Sample(((), (2,))))
    reads = ((1,), (0,))
    sympy_route = "lower"

    @staticmethod
    def padded(a, b):
        """Both shapes with leading 1s to one length, as NumPy's kron pads them."""
        d = max(len(a), len(b))
        return (1,) * (d - len(a)) + tuple(a), (1,) * (d - len(b)) + tuple(b)

    def shape(self, a, b):
        pa, pb = self.padded(a, b)
        return tuple(m * n for m, n in zip(pa, pb))

    def forward(self, x, y):
        return np.kron(x, y)

    def lower(self, x, y):
        # out[i0, j0, i1, j1, ...] (interleaved, then merged pairwise) = x[i0, i1, ...] * y[j0, j1, ...]
        pa, pb = self.padded(x.shape, y.shape)
        d = len(pa)
        products = np.multiply.outer(np.reshape(x, pa), np.reshape(y, pb))
        order = tuple(v for i in range(d) for v in (i, d + i))
        return as_objects(np.transpose(products, order).reshape(self.shape(x.shape, y.shape)))

    @property
    def vjps(self):
        return (self.vjp_x, self.vjp_y)

    def blocks(self, g, x, y):
        """g as batch + (i0, j0, i1, j1, ...), the einsum labels of x and y, the batch rank."""
        pa, pb = self.padded(x.shape, y.shape)
        nb = g.ndim - len(pa)
        grid = np.reshape(g, g.shape[:nb] + tuple(v for pair in zip(pa, pb) for v in pair))
        xs, ys = list(range(0, 2 * len(pa), 2)), list(range(1, 2 * len(pa), 2))
        return grid, xs, ys, nb

    def vjp_x(self, g, out, x, y):  # Σ over the y labels of g * y
        grid, xs, ys, nb = self.blocks(g, x, y)
        pb = self.padded(x.shape, y.shape)[1]
        total = np.einsum(grid, [Ellipsis, *sorted(xs + ys)], np.reshape(y, pb), ys, [Ellipsis, *xs])
        return np.reshape(total, g.shape[:nb] + x.shape)

    def vjp_y(self, g, out, x, y):  # Σ over the x labels of g * x
        grid, xs, ys, nb = self.blocks(g, x, y)
        pa = self.padded(x.shape, y.shape)[0]
        total = np.einsum(grid, [Ellipsis, *sorted(xs + ys)], np.reshape(x, pa), xs, [Ellipsis, *ys])
        return np.reshape(total, g.shape[:nb] + y.shape)
