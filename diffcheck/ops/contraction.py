"""Contractions: ``einsum`` (any number of operands) and ``tensordot``.

An einsum node's param is its canonical subscripts: spaces removed, the output made
explicit (``"ij,jk"`` is ``"ij,jk->ik"``, ``"ii"`` is ``"ii->"``), ``...`` kept. The string
comes from users, so it is checked strictly when the node is built: letters only, one
subscript per axis, one size per index, ``...`` axes that broadcast, an output naming
only indices of the operands. :func:`resolve` (cached) turns every index and every axis
under ``...`` into an integer label, as NumPy's sublist form of ``np.einsum`` takes them.

The VJP for operand k is itself an einsum (:func:`vjp_plan`): the cotangent, its batch
axes flattened into one fresh label, against the other operands, out to k's distinct
indices; an index k alone sums (``ij->i``) comes back by broadcasting, a size-1 axis that
``...`` broadcast is summed, a repeated index (``ii->i``) is written onto a diagonal of
zeros. SymPy lowers an einsum at its real shapes (``sympy_route = "lower"``, output size
× summed size terms); ``tensordot`` is a product of two matrix views of its operands, so
SymPy's matrix calculus derives it at any size (``sympy_route = "linear"``).
"""

from __future__ import annotations

import functools
import math
import string
from collections import Counter
from typing import Any, NamedTuple

import numpy as np

from diffcheck._lazy import sympy as sp
from diffcheck.errors import ShapeError
from diffcheck.ops.arrays import as_objects
from diffcheck.ops.base import MatrixView, Op, op
from diffcheck.ops.drawing import Draw, Sample
from diffcheck.ops.notation import ATOM, Call, Text

Shape = tuple[int, ...]
LETTERS = frozenset(string.ascii_letters)
ELLIPSIS = "..."
MAX_LABELS = 51  # np.einsum takes 52 labels; one is kept for a VJP's batch axis
HOW = "use letters a-z and A-Z, ',' between operands, '->' before the output, '...' for broadcast axes"


class Spec(NamedTuple):
    """An einsum resolved against its operands' shapes: integer labels per axis."""

    terms: tuple[tuple[int, ...], ...]  # per operand, the label of each axis
    output: tuple[int, ...]
    sizes: tuple[int, ...]  # per label, its size (broadcast size for an axis under '...')

    @property
    def summed(self) -> tuple[int, ...]:
        return tuple(a for a in range(len(self.sizes)) if a not in self.output)


def _split(subscripts: Any) -> tuple[list[str], str | None]:
    """The operand terms and the output (None when implicit); a ValueError names bad syntax."""
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: subscripts must be a string such as 'ij,jk->ik', got {subscripts!r}")
    text = "".join(subscripts.split())
    bad = sorted(set(text) - LETTERS - set(",.->"))
    if bad:
        raise ValueError(f"einsum: subscripts {subscripts!r} contain {bad[0]!r}; {HOW}")
    inputs, arrow, output = text.partition("->")
    if set(inputs + output) & set("->"):
        raise ValueError(f"einsum: subscripts {subscripts!r} must have at most one '->', "
                         f"with '-' and '>' only there; {HOW}")
    terms = inputs.split(",")
    for where, term in [*((f"operand {k}", t) for k, t in enumerate(terms)), ("the output", output)]:
        if term.replace(ELLIPSIS, "").count(".") or term.count(ELLIPSIS) > 1:
            raise ValueError(f"einsum: subscripts {subscripts!r}: {where} ({term!r}) has a '.' outside "
                             f"one '...'; each term may hold one ellipsis '...'")
    return terms, output if arrow else None


def _ellipsis_shape(term: str, shape: Shape, k: int, subscripts: str) -> tuple[Shape, Shape, Shape]:
    """Operand ``k``'s shape split as (before '...', under '...', after '...')."""
    letters = term.replace(ELLIPSIS, "")
    has = ELLIPSIS in term
    if len(letters) != len(shape) and not (has and len(letters) < len(shape)):
        names = f"at most {len(shape)} besides '...'" if has else f"{len(shape)}"
        raise ShapeError(f"einsum: operand {k} has shape {shape} ({len(shape)} axes), but its "
                         f"subscripts {term!r} in {subscripts!r} name {len(letters)} (expected {names})")
    before = len(term.partition(ELLIPSIS)[0]) if has else len(shape)
    after = len(letters) - before
    return shape[:before], shape[before:len(shape) - after], shape[len(shape) - after:]


@functools.lru_cache(maxsize=512)
def resolve(subscripts: Any, shapes: tuple[Shape, ...]) -> tuple[str, Spec]:
    """The canonical subscripts and the integer-labelled spec, or an error naming the problem."""
    terms, output = _split(subscripts)
    if len(terms) != len(shapes):
        raise ShapeError(f"einsum: subscripts {subscripts!r} name {len(terms)} operand(s), "
                         f"but {len(shapes)} were given")
    parts = [_ellipsis_shape(t, s, k, subscripts) for k, (t, s) in enumerate(zip(terms, shapes))]
    try:
        broadcast = tuple(np.broadcast_shapes(*(middle for _, middle, _ in parts)))
    except ValueError:
        covered = ", ".join(f"{m} (operand {k})" for k, (_, m, _) in enumerate(parts) if m)
        raise ShapeError(f"einsum: the axes under '...' in {subscripts!r} do not broadcast: "
                         f"{covered}") from None
    keys: dict[Any, int] = {}  # a letter, or ("...", position) for an axis under the ellipsis
    sizes: list[int] = []
    seen: dict[str, tuple[int, int]] = {}  # letter -> (size, first operand)
    labelled = []
    for k, (term, (front, middle, back)) in enumerate(zip(terms, parts)):
        letters = term.replace(ELLIPSIS, "")
        axes = [*letters[:len(front)], *((ELLIPSIS, len(broadcast) - len(middle) + i)
                                          for i in range(len(middle))), *letters[len(front):]]
        for key, size in zip(axes, front + middle + back):
            if isinstance(key, str):
                first = seen.setdefault(key, (size, k))
                if first[0] != size:
                    raise ShapeError(
                        f"einsum: index {key!r} in {subscripts!r} has size {first[0]} in operand "
                        f"{first[1]} (shape {shapes[first[1]]}) but {size} in operand {k} "
                        f"(shape {shapes[k]})")
            if key not in keys:
                keys[key] = len(sizes)
                sizes.append(size if isinstance(key, str) else broadcast[key[1]])
        labelled.append(tuple(keys[key] for key in axes))
    counts = Counter(c for t in terms for c in t.replace(ELLIPSIS, ""))
    has_ellipsis = any(ELLIPSIS in t for t in terms)
    if output is None:
        output = ELLIPSIS * has_ellipsis + "".join(sorted(c for c, n in counts.items() if n == 1))
    _check_output(subscripts, output, counts, broadcast)
    out_keys = [*(c for c in output.partition(ELLIPSIS)[0]),
                *((ELLIPSIS, p) for p in range(len(broadcast)) if ELLIPSIS in output),
                *(c for c in output.partition(ELLIPSIS)[2])]
    if len(sizes) > MAX_LABELS:
        raise ValueError(f"einsum: {subscripts!r} uses {len(sizes)} indices (counting axes under "
                         f"'...'); at most {MAX_LABELS} are supported")
    spec = Spec(tuple(labelled), tuple(keys[key] for key in out_keys), tuple(sizes))
    return ",".join(terms) + "->" + output, spec


def _check_output(subscripts: str, output: str, counts: Counter, broadcast: Shape) -> None:
    letters = output.replace(ELLIPSIS, "")
    if unknown := [c for c in letters if c not in counts]:
        raise ValueError(f"einsum: output index {unknown[0]!r} of {subscripts!r} is not an index "
                         f"of any operand")
    if repeated := [c for c, n in Counter(letters).items() if n > 1]:
        raise ValueError(f"einsum: output of {subscripts!r} repeats index {repeated[0]!r}")
    if broadcast and ELLIPSIS not in output:
        raise ShapeError(f"einsum: the operands' '...' in {subscripts!r} covers axes of shape {broadcast}, "
                         f"but the output {output!r} has no '...' to keep them")


def _drawn_subscripts(shapes: tuple[Shape, ...], choice: int) -> dict[str, str]:
    """One operand's subscripts for the strategies: a sum, a transpose, a diagonal or a trace."""
    (shape,) = shapes
    letters = "ijklmn"[: len(shape)]
    options = [f"{letters}->", f"{letters}->{letters[::-1]}", f"...{letters[-1:]}->{letters[-1:]}..."]
    if len(shape) == 2 and shape[0] == shape[1]:
        options += ["ii->i", "ii"]
    return {"subscripts": options[choice % len(options)]}


@op
class Einsum(Op):
    """einsum(subscripts, *operands): sums of products over the indices the subscripts name."""

    name, arity, variadic = "einsum", 1, True
    keywords, printing = ("subscripts",), Call()
    samples = (
        Sample(((2, 3), (3, 4)), {"subscripts": "ij,jk->ik"}),
        Sample(((2, 3), (3, 2)), {"subscripts": "ij,jk"}),  # implicit output: "ik"
        Sample(((3, 3),), {"subscripts": "ii->i"}),  # the diagonal
        Sample(((3, 3),), {"subscripts": "ii"}),  # the trace
        Sample(((2, 3), (3,), (3, 2)), {"subscripts": "ij,j,jk->ik"}),  # three operands
        Sample(((2, 1, 3), (4, 3)), {"subscripts": "...j,...j->..."}),  # '...' broadcasts (2, 1) and (4,)
        Sample(((2, 2, 3), (3,)), {"subscripts": "iij,j->i"}),  # a diagonal inside a product
    )
    draw, public, numpy_names = Draw(params=_drawn_subscripts), True, ("einsum",)
    reads = (("inputs",),)
    sympy_route = "lower"  # lowered at its real shapes: output size × summed size terms

    def shape(self, *shapes, subscripts=None):
        _, spec = resolve(subscripts, shapes)
        return tuple(spec.sizes[label] for label in spec.output)

    def canonical(self, *shapes, subscripts=None):
        return {"subscripts": resolve(subscripts, shapes)[0]}

    def forward(self, *xs, subscripts):
        return np.einsum(subscripts, *xs, optimize=len(xs) > 2)

    def builder(self):
        from diffcheck.ir import apply

        def einsum(subscripts: str, *operands: Any, **kwargs: Any) -> Any:
            """einsum(subscripts, *operands) as np.einsum: dc.einsum("ij,jk->ik", A, B)."""
            if kwargs:
                raise TypeError(f"dc.einsum() takes the subscripts and the operands only, got keyword "
                                f"{next(iter(kwargs))!r}")
            if not isinstance(subscripts, str):
                raise TypeError("dc.einsum() takes the subscripts string first, as np.einsum does: "
                                f"dc.einsum('ij,jk->ik', A, B); got {type(subscripts).__name__}")
            if not operands:
                raise TypeError(f"dc.einsum({subscripts!r}) needs at least one operand after the subscripts")
            return apply("einsum", *operands, subscripts=subscripts)

        return einsum

    def usage(self):
        return 'dc.einsum("ij,jk->ik", x, y)'

    def text(self, inputs, **params):
        return Text(f"einsum({params['subscripts']!r}, {', '.join(t.text for t in inputs)})", ATOM)

    def lower(self, *objs, subscripts):
        _, spec = resolve(subscripts, tuple(x.shape for x in objs))
        out = np.empty(tuple(spec.sizes[label] for label in spec.output), dtype=object)
        summed = spec.summed
        for out_index in np.ndindex(out.shape):
            value = dict(zip(spec.output, out_index))
            terms = []
            for summed_index in np.ndindex(tuple(spec.sizes[label] for label in summed)):
                value.update(zip(summed, summed_index))
                # an axis of size 1 under a broadcasting '...' is read at 0
                terms.append(sp.Mul(*(x[tuple(value[a] if n > 1 else 0 for a, n in zip(term, x.shape))]
                                      for x, term in zip(objs, spec.terms))))
            out[out_index] = sp.Add(*terms)
        return as_objects(out)

    def lowered_terms(self, out_shape, *in_shapes, subscripts):
        _, spec = resolve(subscripts, in_shapes)
        return math.prod(out_shape) * math.prod(spec.sizes[label] for label in spec.summed)

    @property
    def vjps(self):
        return (self.vjp,)

    @staticmethod
    def vjp(k, g, out, *xs, subscripts):
        """∂/∂operand k: g against the other operands, out to operand k's distinct indices."""
        nb = g.ndim - out.ndim
        plan = vjp_plan(subscripts, tuple(x.shape for x in xs), k, nb > 0)
        batch, lead = g.shape[:nb], min(nb, 1)
        args: list[Any] = [g.reshape((-1,) + g.shape[nb:]) if nb > 1 else g, plan.g_labels]
        for j, labels in plan.others:
            args += [xs[j], labels]
        part = np.einsum(*args, plan.kept, optimize=plan.optimize)
        if plan.inserted:  # summed by operand k alone: broadcast; broadcast by '...': summed
            part = np.broadcast_to(np.expand_dims(part, plan.inserted), part.shape[:lead] + plan.sizes)
        if plan.diagonal:  # a repeated index: the values sit on a diagonal of zeros
            full = np.zeros(part.shape[:lead] + xs[k].shape, dtype=part.dtype)
            np.einsum(full, *plan.diagonal)[...] = part
            part = full
        return part.reshape(batch + xs[k].shape)


class VjpPlan(NamedTuple):
    """What the VJP for one operand contracts, fixed by the shapes (see :func:`vjp_plan`)."""

    g_labels: list[int]  # the cotangent's labels: the batch label, then the output's
    others: tuple[tuple[int, list[int]], ...]  # every other operand and its labels
    kept: list[int]  # the result's labels: the batch label, then operand k's kept indices
    inserted: tuple[int, ...]  # axes put back for the distinct indices not kept
    sizes: tuple[int, ...]  # operand k's size per distinct index
    diagonal: tuple[list[int], list[int]] | None  # (k's labels, its distinct ones) if repeated
    optimize: bool


@functools.lru_cache(maxsize=512)
def vjp_plan(subscripts: str, shapes: tuple[Shape, ...], k: int, batched: bool) -> VjpPlan:
    """The einsum giving the VJP for operand ``k``: the cotangent (its batch axes flattened
    into one fresh label) against the other operands, out to k's distinct indices, less
    those summed by k alone and the size-1 axes '...' broadcast, which are put back."""
    _, spec = resolve(subscripts, shapes)
    term = spec.terms[k]
    lead = [len(spec.sizes)] if batched else []
    others = tuple((j, list(t)) for j, t in enumerate(spec.terms) if j != k)
    elsewhere = set(spec.output).union(*(t for _, t in others))
    own = dict(zip(term, shapes[k]))  # k's size per index (1 where '...' broadcast it)
    kept = [u for u in own if u in elsewhere and own[u] == spec.sizes[u]]
    inserted = tuple(len(lead) + i for i, u in enumerate(own) if u not in kept)
    diagonal = (lead + list(term), lead + list(own)) if len(own) < len(term) else None
    return VjpPlan(lead + list(spec.output), others, lead + kept, inserted, tuple(own.values()),
                   diagonal, len(others) > 1)


def tensordot_axes(a: Shape, b: Shape, axes: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``axes`` as two tuples of non-negative axes of x and y, checked against the shapes."""
    if isinstance(axes, int | np.integer) and not isinstance(axes, bool):
        n = int(axes)
        if not 0 <= n <= min(len(a), len(b)):
            raise ShapeError(f"tensordot: axes={n} contracts the last {n} axes of x with the first {n} "
                             f"of y, but the shapes are {a} and {b}")
        left, right = tuple(range(len(a) - n, len(a))), tuple(range(n))
    else:
        sides = tuple(axes) if isinstance(axes, list | tuple) else ()
        if len(sides) != 2 or not all(isinstance(s, int | np.integer | list | tuple) for s in sides):
            raise TypeError(f"tensordot: axes must be an int or a pair of axis lists such as "
                            f"([1], [0]), got {axes!r}")
        left, right = _axes_of(sides[0], a, "x"), _axes_of(sides[1], b, "y")
    if len(left) != len(right):
        raise ShapeError(f"tensordot: axes {axes!r} pair {len(left)} axes of x with {len(right)} of y")
    for i, j in zip(left, right):
        if a[i] != b[j]:
            raise ShapeError(f"tensordot: axis {i} of x (size {a[i]}) and axis {j} of y (size {b[j]}) "
                             f"are contracted but differ; shapes {a} and {b}")
    return left, right


def _axes_of(side: Any, shape: Shape, which: str) -> tuple[int, ...]:
    axes = (side,) if isinstance(side, int | np.integer) else tuple(side)
    if not all(isinstance(i, int | np.integer) and -len(shape) <= i < len(shape) for i in axes):
        raise ShapeError(f"tensordot: axes {axes} are out of range for {which} of shape {shape}")
    axes = tuple(int(i) % len(shape) for i in axes)
    if len(set(axes)) != len(axes):
        raise ShapeError(f"tensordot: axes {axes} of {which} repeat an axis")
    return axes


def _free(ndim: int, contracted: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(i for i in range(ndim) if i not in contracted)


@op
class Tensordot(Op):
    """tensordot(x, y, axes): the sum over paired axes of x and y of their products."""

    name, arity, keywords, printing = "tensordot", 2, ("axes",), Call(shown=("axes",))
    samples = (
        Sample(((2, 3, 4), (3, 4, 2)), {"axes": 2}),
        Sample(((2, 3), (4, 3)), {"axes": ((1,), (1,))}),
        Sample(((2,), (3,)), {"axes": 0}),  # the outer product
    )
    draw = Draw(fit="contract", params=lambda shapes, choice: {"axes": 1})
    public = True
    numpy_names = ("tensordot",)
    reads = ((1,), (0,))
    sympy_route = "linear"  # x and y seen as (free, summed) and (summed, free) matrices: X @ Y

    def shape(self, a, b, axes=2):
        left, right = tensordot_axes(a, b, axes)
        return tuple(a[i] for i in _free(len(a), left)) + tuple(b[j] for j in _free(len(b), right))

    def canonical(self, a, b, axes=2):
        return {"axes": tensordot_axes(a, b, axes)}

    def forward(self, x, y, axes=2):
        return np.tensordot(x, y, axes=axes)

    def matrix_views(self, a, b, axes=2):
        left, right = tensordot_axes(a, b, axes)
        summed = math.prod(a[i] for i in left)
        free_a, free_b = _free(len(a), left), _free(len(b), right)
        return (MatrixView(free_a + left, (math.prod(a[i] for i in free_a), summed)),
                MatrixView(right + free_b, (summed, math.prod(b[j] for j in free_b))))

    def matrix_form(self, x, y, axes=2):
        return x * y

    def lower(self, x, y, axes=2):
        (vx, vy) = self.matrix_views(x.shape, y.shape, axes)
        left = np.transpose(x, vx.axes).reshape(vx.shape)
        right = np.transpose(y, vy.axes).reshape(vy.shape)
        out = np.empty((left.shape[0], right.shape[1]), dtype=object)
        for i, j in np.ndindex(out.shape):
            out[i, j] = sp.Add(*(left[i, :] * right[:, j]))
        return as_objects(out.reshape(self.shape(x.shape, y.shape, axes)))

    def lowered_terms(self, out_shape, a, b, axes=2):
        return math.prod(out_shape) * math.prod(a[i] for i in tensordot_axes(a, b, axes)[0])

    @property
    def vjps(self):
        return (self.vjp_x, self.vjp_y)

    # g.shape == batch + free axes of x + free axes of y
    @staticmethod
    def vjp_x(g, out, x, y, axes=2):
        return _tensordot_vjp(g, y, x.ndim, *tensordot_axes(x.shape, y.shape, axes), first=True)

    @staticmethod
    def vjp_y(g, out, x, y, axes=2):
        left, right = tensordot_axes(x.shape, y.shape, axes)
        return _tensordot_vjp(g, x, y.ndim, right, left, first=False)


def _tensordot_vjp(g, other, ndim, mine, theirs, first):
    """g contracted with the other operand over its free axes, axes put back in order.

    ``mine``/``theirs``: the contracted axes of this operand and of the other, paired.
    """
    free_mine, free_theirs = _free(ndim, mine), _free(other.ndim, theirs)
    nb = g.ndim - len(free_mine) - len(free_theirs)
    start = nb + (len(free_mine) if first else 0)  # where the other's free axes sit in g
    result = np.tensordot(g, other, axes=(tuple(range(start, start + len(free_theirs))), free_theirs))
    # result: batch + this operand's free axes + the contracted ones, in the other's axis order
    order = sorted(theirs)
    position = {a: nb + i for i, a in enumerate(free_mine)}
    position.update({a: nb + len(free_mine) + order.index(theirs[mine.index(a)]) for a in mine})
    return np.transpose(result, list(range(nb)) + [position[a] for a in range(ndim)])
