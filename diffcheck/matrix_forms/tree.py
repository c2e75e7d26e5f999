"""Matrix expressions for closed forms: a small tree of whole-array nodes, never elements.

A node is a variable, a constant, a number, a ones array ``1``, an identity ``I``, a
transpose, a matrix product, a Hadamard product ``⊙``, a sum, a scalar multiple, an
elementwise quotient or power, an elementwise function ``f(…)`` or derivative ``f′(…)``,
``diag(v)``, the sum of all elements, an opaque sub-expression free of the variable, or
an index form ``M_ji b_k`` (a vector by a matrix).

Every node has a math ``shape`` — ``()`` for a scalar, ``(n, 1)`` for a column vector,
``(1, n)`` for a row, ``(r, c)`` for a matrix — and the diffcheck ``dshape`` it stands
for (a 1-D ``(n,)`` vector is a column). The constructors below simplify as they build
(``(Xᵀ)ᵀ = X``, ``1·X = X``, ``1 ⊙ X = X``, scalar factors pulled out of products), so the
size of a derivation is the number of graph nodes, whatever the arrays' sizes. Op records
receive this module as ``m`` in their ``matrix_rule`` (see ``diffcheck.ops.base``) and
build their rules from these functions; nothing here knows any op by name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

Shape = tuple[int, ...]


class Node:
    """One node of a matrix expression: ``kind``, child nodes ``args``, shapes and ``data``."""

    __slots__ = ("kind", "args", "shape", "dshape", "data")

    def __init__(self, kind: str, args: tuple[Node, ...], shape: Shape, dshape: Shape, data: Any = None):
        self.kind, self.args, self.shape, self.dshape, self.data = kind, args, shape, dshape, data

    def __repr__(self) -> str:
        from diffcheck.matrix_forms.printing import text

        return f"<matrix expression {text(self)} shape={self.shape}>"


class Rule(NamedTuple):
    """What an op record's ``matrix_rule`` returns: the node's value as a matrix expression
    and, per input, a function from the output's adjoint to that input's contribution."""

    value: Node
    vjps: tuple[Callable[[Node], Node], ...]


class Unsupported(ValueError):
    """A case a matrix-level rule does not cover (the message names the op or the shapes)."""


def math_shape(dshape: Shape) -> Shape:
    """The math shape of a diffcheck shape: a 1-D vector is a column."""
    if len(dshape) > 2:
        raise Unsupported(f"closed forms cover scalars, vectors and matrices, not shape {dshape}")
    return (dshape[0], 1) if len(dshape) == 1 else dshape


# ----- leaves -----
def var(name: str, dshape: Shape) -> Node:
    return Node("var", (), math_shape(dshape), dshape, name)


def const(label: str, value: np.ndarray) -> Node:
    value = np.asarray(value, dtype=float)
    if value.ndim == 0:
        return num(float(value))
    shape = math_shape(value.shape)
    return Node("const", (), shape, value.shape, (label, value.reshape(shape)))


def num(value: float) -> Node:
    return Node("num", (), (), (), float(value))


def ones(shape: Shape) -> Node:
    return Node("ones", (), shape, shape if shape[1:] != (1,) else shape[:1])


def eye(n: int) -> Node:
    return Node("eye", (), (n, n), (n, n))


def opaque(label: str, evaluate: Callable[[dict[str, np.ndarray]], np.ndarray], dshape: Shape) -> Node:
    """A sub-expression free of the variable differentiated, kept whole (printed as a label)."""
    return Node("opaque", (), math_shape(dshape), dshape, (label, evaluate))


def is_num(x: Node, value: float | None = None) -> bool:
    return x.kind == "num" and (value is None or x.data == value)


def is_scalar(x: Node) -> bool:
    return x.shape == ()


# ----- structure -----
ELEMENTWISE = ("add", "hadamard", "div", "power", "fn", "deriv")


def absorbs(x: Node) -> bool:
    """Whether xᵀ can be written without a transpose on top: (Aᵀ)ᵀ = A, Iᵀ = I, diag(v)ᵀ,
    and elementwise nodes and products all of whose operands absorb one."""
    if is_scalar(x) or x.kind in ("eye", "diag", "transpose", "ones"):
        return True
    return x.kind in (*ELEMENTWISE, "matmul", "scale") and all(absorbs(a) for a in x.args)


def T(x: Node) -> Node:  # noqa: N802 - the notation
    """xᵀ, simplified: (Aᵀ)ᵀ = A, Iᵀ, diag(v)ᵀ, scalar multiples, and pushed into
    elementwise nodes and products when that removes transposes ((Aᵀ + 1bᵀ)ᵀ = A + b1ᵀ)."""
    if is_scalar(x) or x.kind in ("eye", "diag"):
        return x
    if x.kind == "transpose":
        return x.args[0]
    if x.kind == "scale":
        return scale(x.args[0], T(x.args[1]))
    if x.kind == "matmul" and any(absorbs(a) and not is_scalar(a) for a in x.args):
        return matmul(T(x.args[1]), T(x.args[0]))
    if x.kind in ELEMENTWISE and absorbs(x):
        args = tuple(T(a) for a in x.args)
        return Node(x.kind, args, x.shape[::-1], x.dshape[::-1], x.data)
    return Node("transpose", (x,), x.shape[::-1], x.dshape[::-1])


def transposed_product(x: Node) -> Node:
    """xᵀ with the transpose pushed into products ((A B)ᵀ = Bᵀ Aᵀ), for Jacobians."""
    if x.kind == "matmul":
        return matmul(transposed_product(x.args[1]), transposed_product(x.args[0]))
    if x.kind == "scale":
        return scale(x.args[0], transposed_product(x.args[1]))
    return T(x)


def matmul(a: Node, b: Node) -> Node:
    """a b, with identities dropped and scalar factors pulled out."""
    if is_scalar(a) or is_scalar(b):
        return scale(a, b) if is_scalar(a) else scale(b, a)
    if a.shape[1] != b.shape[0]:
        raise Unsupported(f"matrix product of shapes {a.shape} and {b.shape} is not defined")
    if a.kind == "scale" or b.kind == "scale":
        (c, a), (d, b) = _factor(a), _factor(b)
        return scale(times(c, d), matmul(a, b))
    if a.kind == "eye":
        return b
    if b.kind == "eye":
        return a
    if a.kind == b.kind == "ones" and a.shape[1] == 1:
        return ones((a.shape[0], b.shape[1]))
    shape = (a.shape[0], b.shape[1])
    if shape == (1, 1):
        return Node("matmul", (a, b), (), ())
    vector = 1 in shape and (len(a.dshape) == 1 or len(b.dshape) == 1)
    dshape = (max(shape),) if vector else shape
    return Node("matmul", (a, b), shape, dshape)


def diag(v: Node) -> Node:
    """diag(v): the diagonal matrix of a column vector."""
    return Node("diag", (v,), (v.shape[0], v.shape[0]), (v.shape[0], v.shape[0]))


def total(x: Node) -> Node:
    """The sum of all elements (``1ᵀx`` for a vector)."""
    if is_scalar(x):
        return x
    if x.kind == "scale":
        return scale(x.args[0], total(x.args[1]))
    if x.kind == "ones":
        return num(float(np.prod(x.shape)))  # 1ᵀ1 = n
    return Node("sum", (x,), (), ())


# ----- elementwise -----
def _factor(x: Node) -> tuple[Node, Node]:
    """x as (scalar factor, the rest), the rest standing for x's diffcheck shape."""
    if x.kind != "scale":
        return num(1.0), x
    c, rest = x.args
    return c, rest if is_scalar(rest) or rest.dshape == x.dshape else as_dshape(rest, x.dshape)


def _numeric(x: Node) -> tuple[float, Node | None]:
    """x as (number, the rest) — the rest None for a plain number."""
    if is_num(x):
        return x.data, None
    if x.kind == "scale" and is_num(x.args[0]):
        return x.args[0].data, x.args[1]
    return 1.0, x


def times(c: Node, d: Node) -> Node:
    """The product of two scalars, its number first (2·a·b)."""
    (n1, r1), (n2, r2) = _numeric(c), _numeric(d)
    rest = r1 if r2 is None else r2 if r1 is None else Node("scale", (r1, r2), (), ())
    if rest is None or n1 * n2 == 0.0:
        return num(n1 * n2)
    return rest if n1 * n2 == 1.0 else Node("scale", (num(n1 * n2), rest), (), ())


def scale(c: Node, x: Node) -> Node:
    """c·x for a scalar c, numbers outermost: 1·x = x, c·(d·x) = (cd)·x."""
    if not is_scalar(c):
        raise Unsupported(f"a scalar multiple needs a scalar factor, got shape {c.shape}")
    if is_scalar(x):
        return times(c, x)
    if x.kind == "scale":
        c, x = times(c, x.args[0]), x.args[1]
    n, rest = _numeric(c)
    inner = x if rest is None else Node("scale", (rest, x), x.shape, x.dshape)
    return inner if n == 1.0 else Node("scale", (num(n), inner), x.shape, x.dshape)


def key(x: Node) -> tuple:
    """A structural key: equal keys, equal expressions (like terms are added up)."""
    if x.kind in ("var", "num", "power"):
        data = x.data
    elif x.kind in ("fn", "deriv"):
        data = (x.data[0], x.data[4])
    else:
        data = id(x.data) if x.data is not None else None
    return (x.kind, data, x.shape, tuple(key(a) for a in x.args))


def neg(x: Node) -> Node:
    return scale(num(-1.0), x)


def as_dshape(x: Node, dshape: Shape) -> Node:
    """x standing for the diffcheck shape ``dshape`` (a kept dimension: (1, n) or (m, 1))."""
    return Node(x.kind, x.args, x.shape, dshape, x.data)


def _rows(x: Node, like: Node) -> Node:
    """x broadcast against a matrix as NumPy does: a 1-D vector or a (1, n) row as rows
    (``1 xᵀ``), an (m, 1) column as columns (``x 1ᵀ``)."""
    if len(like.dshape) != 2 or x.shape == like.shape or is_scalar(x):
        return x
    (rows, cols), column = like.shape, ones((like.shape[0], 1))
    if len(x.dshape) == 1 and x.dshape[0] == cols:
        return as_dshape(matmul(column, T(x) if x.shape[1:] == (1,) else x), like.dshape)
    if x.shape == (1, cols):
        return as_dshape(matmul(column, x), like.dshape)
    if x.shape == (rows, 1) and len(x.dshape) == 2:
        return as_dshape(matmul(x, T(ones((cols, 1)))), like.dshape)
    return x


def _aligned(a: Node, b: Node, what: str) -> tuple[Node, Node]:
    """a and b brought to one math shape, that of NumPy's broadcast of their diffcheck
    shapes (scalars are left to broadcast); any other case is refused, never guessed."""
    if is_scalar(a) or is_scalar(b):
        return a, b
    try:
        target = np.broadcast_shapes(a.dshape, b.dshape)
    except ValueError:
        target = None
    a, b = _rows(a, b), _rows(b, a)
    if a.shape != b.shape and a.dshape == b.dshape and len(a.dshape) == 1:
        a, b = (a if a.shape[1:] == (1,) else T(a)), (b if b.shape[1:] == (1,) else T(b))
    if a.shape != b.shape or target is None or a.shape != math_shape(target):
        raise Unsupported(f"{what} of shapes {a.dshape} and {b.dshape}: this broadcast has no "
                          f"matrix-level form here")
    return a, b


def add(a: Node, b: Node) -> Node:
    """a + b (NumPy broadcasting of scalars and of vectors as rows)."""
    if is_num(a, 0.0):
        return b
    if is_num(b, 0.0):
        return a
    a, b = _aligned(a, b, "a sum")
    if is_num(a) and is_num(b):
        return num(a.data + b.data)
    if (like := _like(a, b)) is not None:
        return like
    if a.kind == "add" and (like := _like(a.args[1], b)) is not None:
        return add(a.args[0], like)
    if a.kind == "add" and (like := _like(a.args[0], b)) is not None:
        return add(like, a.args[1])
    big = a if not is_scalar(a) else b
    return Node("add", (a, b), big.shape, big.dshape)


def _like(a: Node, b: Node) -> Node | None:
    """a + b as one term when they are multiples of one expression (x + x = 2·x), else None."""
    (c, x), (d, y) = _factor(a), _factor(b)
    if x.shape != y.shape or not (x is y or key(x) == key(y)):
        return None
    if is_num(c) and is_num(d):
        return scale(num(c.data + d.data), x)
    return scale(times(num(2.0), c), x) if key(c) == key(d) else None


def sub(a: Node, b: Node) -> Node:
    return add(a, neg(b))


def hadamard(a: Node, b: Node) -> Node:
    """a ⊙ b; a scalar operand is a scalar multiple, a ones array drops out, and a quotient
    by a scalar is taken outside (a ⊙ (b / c) = (a ⊙ b) / c)."""
    if is_scalar(a) or is_scalar(b):
        return scale(a, b) if is_scalar(a) else scale(b, a)
    if a.kind == "scale" or b.kind == "scale":
        (c, a), (d, b) = _factor(a), _factor(b)
        return scale(times(c, d), hadamard(a, b))
    for p, q in ((a, b), (b, a)):
        if p.kind == "div" and is_scalar(p.args[1]):
            return divide(hadamard(p.args[0], q), p.args[1])  # (a ⊙ (1/c) = a / c)
    a, b = _aligned(a, b, "an elementwise product")
    if a.kind == "ones":
        return b
    if b.kind == "ones":
        return a
    return Node("hadamard", (a, b), a.shape, a.dshape)


def divide(a: Node, b: Node) -> Node:
    """a / b elementwise (b a scalar or of a's shape); division by a number is a multiple."""
    if is_num(b) and b.data != 0.0:
        return scale(num(1.0 / b.data), a)
    if not is_scalar(b):
        a, b = _aligned(a, b, "a quotient")
    big = a if not is_scalar(a) else b
    return Node("div", (a, b), big.shape, big.dshape)


def power(x: Node, p: float) -> Node:
    """x to the constant power p, elementwise (x^∘p); x^1 = x."""
    if p == 1.0:
        return x
    if is_num(x):
        return num(x.data**p)
    return Node("power", (x,), x.shape, x.dshape, float(p))


def fn(label: str, latex: str, forward: Callable[[np.ndarray], np.ndarray], x: Node,
       symbolic: Callable[[Any], Any] | None = None, params: str = "") -> Node:
    """f(x), an elementwise function given its printed names, NumPy forward, (for
    ``.sympy``) its scalar SymPy form ``symbolic(t)`` and its params as printed
    (``"; a_min=0"``, shown after the argument)."""
    return Node("fn", (x,), x.shape, x.dshape, (label, latex, forward, symbolic, params))


def derivative(label: str, latex: str, slope: Callable[[np.ndarray], np.ndarray], x: Node,
               symbolic: Callable[[Any], Any] | None = None, params: str = "") -> Node:
    """f′(x), the elementwise derivative of f, printed ``label′(x)``; ``slope`` evaluates it."""
    return Node("deriv", (x,), x.shape, x.dshape, (label, latex, slope, symbolic, params))


# ----- broadcasting for adjoints -----
def unbroadcast(g: Node, x: Node) -> Node:
    """The adjoint ``g`` of a broadcast result summed back to ``x``'s shape."""
    if g.dshape == x.dshape or (is_scalar(g) and is_scalar(x)):
        return g
    if is_scalar(x):
        return total(g)
    if len(x.dshape) == 1 and len(g.dshape) == 2 and g.shape[1] == x.dshape[0]:
        return matmul(T(g), ones((g.shape[0], 1)))
    if len(g.dshape) == 2 and x.dshape == (1, g.shape[1]):
        return as_dshape(matmul(T(ones((g.shape[0], 1))), g), x.dshape)  # 1ᵀG
    if len(g.dshape) == 2 and x.dshape == (g.shape[0], 1):
        return as_dshape(matmul(g, ones((g.shape[1], 1))), x.dshape)  # G1
    raise Unsupported(f"summing an adjoint of shape {g.dshape} back to shape {x.dshape} has no "
                      f"matrix-level form here")


def spread(g: Node, x: Node) -> Node:
    """A scalar adjoint ``g`` spread over every element of ``x`` (the adjoint of a sum)."""
    if is_scalar(x):
        return g
    if not is_scalar(g):
        raise Unsupported(f"spreading an adjoint of shape {g.dshape} over shape {x.dshape}")
    return scale(g, as_dshape(ones(x.shape), x.dshape))


def index_form(factor: Node, b: Node) -> Node:
    """∂y_i/∂W_jk = factor_ji b_k: a vector by a matrix (``δ_ij x_k`` when factor = I)."""
    n, m = factor.shape
    return Node("index", (factor, b), (m, n, b.shape[0]), (m, n, b.shape[0]))


def rule(value: Node, *vjps: Callable[[Node], Node]) -> Rule:
    return Rule(value, vjps)
