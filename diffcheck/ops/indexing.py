"""Indexing ``x[index]``: NumPy's basic and integer-array indexing, printed ``x[0, 1:3]``.

The index is kept in one hashable canonical form (the node's ``index`` param): a tuple
with one entry per index item, each one of

- a non-negative int (``-1`` of an axis of length 3 is ``2``);
- ``("slice", start, stop, step)``, with None for NumPy's defaults and no negative bound;
- ``("array", nested)``: an integer array as nested tuples of non-negative ints;
- ``None`` (a new axis) or ``Ellipsis``.

Boolean masks are refused (their output shape depends on the values). The output shape
and the VJP both come from the index applied to an array of flat positions.
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
from diffcheck.ops.notation import Postfix, Text
from diffcheck.ops.shaping import is_int

Shape = tuple[int, ...]


class IndexingError(ShapeError, IndexError):
    """An index that does not fit the shape, or that diffcheck does not take (a boolean mask)."""


def index_text(index: tuple[Any, ...]) -> str:
    """A canonical index as a person writes it between brackets: ``0, 1:3, ::-1, [2, 0]``."""
    def item(entry: Any) -> str:
        if entry is None:
            return "None"
        if entry is Ellipsis:
            return "..."
        if isinstance(entry, tuple) and entry[0] == "slice":
            start, stop, step = ("" if v is None else str(v) for v in entry[1:])
            return f"{start}:{stop}" + (f":{step}" if step else "")
        if isinstance(entry, tuple):
            return str(np.array(entry[1]).tolist())
        return str(entry)

    return ", ".join(map(item, index)) if index else "()"


def _refuse(index: Any, shape: Shape, why: str) -> IndexingError:
    shown = f"[{index_text(index)}]" if isinstance(index, tuple) and _is_canonical(index) else repr(index)
    return IndexingError(f"getitem: index {shown} {why} (shape {shape})")


def _is_canonical(index: tuple[Any, ...]) -> bool:
    return all(e is None or e is Ellipsis or type(e) is int
               or (isinstance(e, tuple) and e and e[0] in ("slice", "array")) for e in index)


def _entry(raw: Any, item: Any, shape: Shape) -> tuple[str, Any]:
    """One raw or canonical index item as (kind, value); kinds: int slice array new ellipsis."""
    from diffcheck.ir import Expr

    if isinstance(item, Expr):
        raise _refuse(raw, shape, "holds an expression; index with ints, slices, None, ... or int arrays")
    if isinstance(item, bool | np.bool_):
        raise _refuse(raw, shape, "holds a boolean; boolean masks are not supported (their result "
                      "shape depends on the values): index with integer positions instead")
    if is_int(item):
        return "int", int(item)
    if item is None:
        return "new", None
    if item is Ellipsis:
        return "ellipsis", Ellipsis
    if isinstance(item, slice):
        return "slice", item
    if isinstance(item, tuple) and item and item[0] in ("slice", "array"):  # canonical already
        return ("slice", slice(*item[1:])) if item[0] == "slice" else ("array", np.array(item[1]))
    if isinstance(item, list | tuple | np.ndarray):
        array = np.asarray(item)
        if array.dtype.kind == "b":
            raise _refuse(raw, shape, "holds a boolean mask, which is not supported (its result "
                          "shape depends on the values): index with integer positions instead")
        if array.dtype.kind not in "iu" or array.size == 0:
            raise _refuse(raw, shape, "holds an array that is not a non-empty array of integers")
        return ("int", int(array)) if array.ndim == 0 else ("array", array)
    raise _refuse(raw, shape, f"holds a {type(item).__name__} ({item!r}); index with ints, slices, "
                  "None, ... or int arrays")


def canonical_index(shape: Shape, index: Any) -> tuple[Any, ...]:
    """``index`` in the canonical form above; an IndexingError names the index and the shape."""
    items = index if isinstance(index, tuple) else (index,)
    entries = [_entry(index, item, shape) for item in items]
    kinds = [kind for kind, _ in entries]
    if kinds.count("ellipsis") > 1:
        raise _refuse(index, shape, "has more than one '...'")
    used = sum(kind in ("int", "slice", "array") for kind in kinds)
    if used > len(shape):
        raise _refuse(index, shape, f"has {used} indices for {len(shape)} axes")
    out, axis = [], 0
    for kind, value in entries:
        if kind == "ellipsis":
            axis += len(shape) - used
            out.append(Ellipsis)
            continue
        if kind == "new":
            out.append(None)
            continue
        n = shape[axis]
        axis += 1
        if kind == "slice":
            out.append(_canonical_slice(index, shape, value, n))
            continue
        if np.any(value < -n) or np.any(value >= n):
            raise _refuse(index, shape, f"is out of range for axis {axis - 1} of length {n}")
        out.append(value % n if kind == "int" else ("array", _nested(np.mod(value, n).tolist())))
    return tuple(out)


def _canonical_slice(index: Any, shape: Shape, s: slice, n: int) -> tuple[Any, ...]:
    parts = (s.start, s.stop, s.step)
    if not all(v is None or is_int(v) for v in parts):
        raise _refuse(index, shape, "has a slice whose bounds or step are not ints")
    if s.step == 0:
        raise _refuse(index, shape, "has a slice step of zero")
    start, stop, step = slice(*(None if v is None else int(v) for v in parts)).indices(n)
    default_start, default_stop = (0, n) if step > 0 else (n - 1, -1)
    return ("slice", None if start == default_start else start,
            None if stop == default_stop else stop, None if step == 1 else step)


def _nested(value: Any) -> Any:
    return tuple(map(_nested, value)) if isinstance(value, list) else value


def numpy_index(index: tuple[Any, ...]) -> tuple[Any, ...]:
    """A canonical index as NumPy takes it."""
    def item(entry: Any) -> Any:
        if isinstance(entry, tuple):
            return slice(*entry[1:]) if entry[0] == "slice" else np.array(entry[1], dtype=np.intp)
        return entry

    return tuple(map(item, index))


@functools.lru_cache(maxsize=512)
def positions(shape: Shape, index: tuple[Any, ...]) -> tuple[np.ndarray, bool]:
    """For each output element, the flat position of its input element, and whether no
    input element is taken twice; an IndexingError when NumPy refuses the index."""
    try:
        flat = np.arange(math.prod(shape)).reshape(shape)[numpy_index(index)]
    except (IndexError, ValueError) as error:  # e.g. index arrays that do not broadcast
        raise _refuse(index, shape, f"does not fit: {str(error).strip()}") from None
    flat = np.asarray(flat)
    flat.setflags(write=False)
    return flat, np.unique(flat).size == flat.size


def _drawn_index(shapes: tuple[Shape, ...], choice: int) -> dict[str, Any]:
    shape = shapes[0]
    if not shape:
        return {"index": ()}
    n = shape[0]
    return {"index": (choice % n, slice(None, None, -1), [n - 1, 0, n - 1],
                      (Ellipsis, choice % shape[-1]))[choice % 4]}


@op
class GetItem(Op):
    """x[index]: the elements NumPy's basic and integer-array indexing select."""

    name, arity, keywords, methods = "getitem", 1, ("index",), ("__getitem__",)
    printing = Postfix("[index]")  # the real suffix comes from the index: see text()
    samples = tuple(Sample(((3, 4),), {"index": i}) for i in (
        1, (-1, slice(1, 3)), (slice(None, None, -1), slice(0, 4, 2)), [0, 2, 0],
        (Ellipsis, None, [1, -1]), ([[0, 1], [2, 2]], slice(-2, None)),
    )) + (Sample(((2, 3, 4),), {"index": ([1, 0, 1], slice(None), [3, 0, 0])}),
          Sample(((),), {"index": None}))
    draw = Draw(params=_drawn_index)
    reads = ((),)  # the VJP scatters g by positions: shapes only
    sympy_route = "lower"  # each output is one input element: as many terms as outputs

    def shape(self, a, index=()):
        flat, _ = positions(tuple(a), canonical_index(a, index))
        if flat.size == 0:
            raise _refuse(index, a, "selects no elements")
        return flat.shape

    def canonical(self, a, index=()):
        return {"index": canonical_index(a, index)}

    def text(self, inputs: Any, **params: Any) -> Text:
        return Postfix(f"[{index_text(params['index'])}]").format(self.name, inputs, params)

    def usage(self):
        return "x[index]"

    def method_builder(self, name):
        from diffcheck.ir import apply

        def getitem(expr: Any, index: Any) -> Any:
            return apply(self.name, expr, index=index)
        return getitem

    def forward(self, x, index):
        return x[numpy_index(index)]

    def lower(self, x, index):
        return as_objects(np.array(x[numpy_index(index)], dtype=object))

    @property
    def vjps(self):
        return (self.vjp,)

    @staticmethod
    def vjp(g, out, x, index):
        # Scatter each output's cotangent to its input element; repeated ones accumulate.
        flat, unique = positions(x.shape, index)
        batch = g.shape[: g.ndim - out.ndim]
        rows = np.reshape(g, (math.prod(batch), flat.size))
        result = np.zeros((rows.shape[0], math.prod(x.shape)), dtype=rows.dtype)
        if unique:
            result[:, flat.ravel()] = rows
        else:
            np.add.at(result, (slice(None), flat.ravel()), rows)
        return result.reshape(batch + x.shape)
