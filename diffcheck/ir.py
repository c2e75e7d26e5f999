"""The shared IR: immutable expression nodes, leaves, operators and graph walks.

An expression is built once and read by every backend. Nodes are immutable and
shared (``d = a * c`` with ``c = a + b`` is a DAG in which ``a`` has two routes).
Each node caches what backends derive from it (a compiled tape, a SymPy lowering)
in a private per-object dict, so caches live and die with the expression in the
process that built it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from diffcheck.errors import ShapeError

Shape = tuple[int, ...]


class Expr:
    """A node of the expression graph: an op name, its inputs, static params and a shape."""

    __slots__ = ("op", "inputs", "params", "shape", "_cache")

    op: str
    inputs: tuple[Expr, ...]
    params: tuple[tuple[str, Any], ...]
    shape: Shape

    def __init__(self, op: str, inputs: tuple[Expr, ...], params: dict[str, Any], shape: Shape):
        object.__setattr__(self, "op", op)
        object.__setattr__(self, "inputs", inputs)
        object.__setattr__(self, "params", tuple(sorted(params.items())))
        object.__setattr__(self, "shape", tuple(int(n) for n in shape))
        object.__setattr__(self, "_cache", {})

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; build a new expression instead")

    __delattr__ = __setattr__

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def kwargs(self) -> dict[str, Any]:
        """The static parameters (e.g. ``axis``) as keyword arguments for the op record."""
        return dict(self.params)

    # ----- operators: each one goes through the op table -----
    def __add__(self, other: Any) -> Expr:
        return apply("add", self, other)

    def __radd__(self, other: Any) -> Expr:
        return apply("add", other, self)

    def __sub__(self, other: Any) -> Expr:
        return apply("sub", self, other)

    def __rsub__(self, other: Any) -> Expr:
        return apply("sub", other, self)

    def __mul__(self, other: Any) -> Expr:
        return apply("mul", self, other)

    def __rmul__(self, other: Any) -> Expr:
        return apply("mul", other, self)

    def __truediv__(self, other: Any) -> Expr:
        return apply("div", self, other)

    def __rtruediv__(self, other: Any) -> Expr:
        return apply("div", other, self)

    def __pow__(self, other: Any) -> Expr:
        return apply("pow", self, other)

    def __rpow__(self, other: Any) -> Expr:
        return apply("pow", other, self)

    def __neg__(self) -> Expr:
        return apply("neg", self)

    def __pos__(self) -> Expr:
        return self

    def __matmul__(self, other: Any) -> Expr:
        return method("__matmul__")(self, other)  # the record that fits the shapes (batched or not)

    def __rmatmul__(self, other: Any) -> Expr:
        return method("__matmul__")(other, self)

    @property
    def T(self) -> Expr:  # noqa: N802 - NumPy's spelling
        return apply("transpose", self)

    def __getitem__(self, index: Any) -> Expr:
        """NumPy's basic and integer-array indexing (``e[0]``, ``e[:, ::2]``, ``e[[2, 0]]``)."""
        return method("__getitem__")(self, index)

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a scalar expression (shape ())")
        return self.shape[0]

    def __iter__(self) -> Any:
        raise TypeError("an expression is not iterable; index it (e[i]) or use dc functions")

    def __getattr__(self, name: str) -> Any:
        """Array methods declared by op records (``e.sum(axis=0)``, ``e.reshape(2, 3)``)."""
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            build = method(name)
        except KeyError:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}") from None
        return functools.partial(build, self)

    # ----- NumPy's protocols: never let NumPy treat an expression as an object array -----
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """``ndarray * e`` and the other operators build nodes; other ufuncs are a TypeError."""
        from diffcheck.numpy_dispatch import array_ufunc

        return array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        """``np.mean(e)`` and every other NumPy function: a TypeError naming the diffcheck twin."""
        from diffcheck.numpy_dispatch import array_function

        return array_function(func, args, kwargs)

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        raise TypeError(
            "a diffcheck expression is not an array of numbers: build with dc functions and"
            " operators, and get its value with dc.evaluate(e, at)"
        )

    def __bool__(self) -> bool:
        raise TypeError(
            "an expression has no truth value: Python control flow on values (if x.sum() > 0)"
            " cannot be traced; evaluate it with dc.evaluate first (dc.check_vjp and"
            " dc.check_gradient check such a function as a black box)"
        )

    def __lt__(self, other: Any) -> bool:
        raise TypeError(
            "expressions cannot be compared (<, <=, >, >=): a comparison of values cannot be"
            " traced; for a constant mask use dc.where(mask, a, b) with a NumPy array mask"
        )

    __le__ = __gt__ = __ge__ = __lt__

    def __repr__(self) -> str:
        from diffcheck.printing import expr_str

        return f"<{expr_str(self)} shape={self.shape}>"


class Var(Expr):
    """A leaf variable, identified by its name; values are supplied in ``at``."""

    __slots__ = ()

    def __init__(self, name: str, shape: Iterable[int] = ()):
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"variable name must be an identifier such as 'x' or 'W1', got {name!r}")
        dims = tuple(shape)
        if any(not isinstance(n, (int, np.integer)) or n < 1 for n in dims):
            raise ShapeError(f"variable {name!r}: every dimension must be a positive int, got {dims}")
        super().__init__("var", (), {"name": name}, dims)

    @property
    def name(self) -> str:
        return self.params[0][1]


class Const(Expr):
    """A constant leaf holding a read-only float array."""

    __slots__ = ()

    def __init__(self, value: Any):
        array = np.array(value, dtype=np.result_type(np.asarray(value).dtype, np.float64))
        if not np.issubdtype(array.dtype, np.floating):
            raise TypeError(f"constants must be real numbers, got dtype {array.dtype}")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"constants must be finite, got {array!r}")
        array.setflags(write=False)
        super().__init__("const", (), {}, array.shape)
        self._cache["value"] = array

    @property
    def value(self) -> np.ndarray:
        return self._cache["value"]


def scalar(name: str) -> Var:
    """A scalar variable, shape ``()``."""
    return Var(name, ())


def vector(name: str, n: int) -> Var:
    """A vector variable, shape ``(n,)``."""
    return Var(name, (n,))


def matrix(name: str, rows: int, cols: int) -> Var:
    """A matrix variable, shape ``(rows, cols)``."""
    return Var(name, (rows, cols))


def const(value: Any) -> Const:
    """A constant leaf; plain numbers and arrays are lifted to this automatically."""
    return Const(value)


def lift(value: Any) -> Expr:
    """Return ``value`` as an expression, wrapping numbers and arrays in a ``Const``."""
    if isinstance(value, Expr):
        return value
    if isinstance(value, (bool, np.bool_)):
        raise TypeError("booleans are not numbers here; use 0.0 or 1.0")
    if isinstance(value, (int, float, np.number, np.ndarray, list, tuple)):
        return Const(value)
    raise TypeError(f"cannot use {type(value).__name__} in an expression")


def apply(op_name: str, *operands: Any, **params: Any) -> Expr:
    """Build a node of ``op_name`` after checking shapes with the op's shape rule."""
    from diffcheck.ops import REGISTRY

    op = REGISTRY[op_name]
    inputs = tuple(lift(x) for x in operands)
    shapes = tuple(x.shape for x in inputs)
    shape = op.shape(*shapes, **params)
    return Expr(op_name, inputs, op.canonical(*shapes, **params), shape)


def method(name: str) -> Any:
    """The builder behind the expression method ``name``, read from the op records'
    ``methods`` (KeyError when no record offers it)."""
    from diffcheck.ops import REGISTRY

    for record in REGISTRY.values():
        if name in record.methods:
            return record.method_builder(name)
    raise KeyError(name)


# ----- graph walks -----
def toposort(root: Expr) -> list[Expr]:
    """Nodes reachable from ``root`` with every node after its inputs (iterative DFS)."""
    order: list[Expr] = []
    seen: set[int] = set()
    stack: list[tuple[Expr, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.inputs) if id(child) not in seen)
    return order


def variables(expr: Expr) -> dict[str, Var]:
    """The variables of ``expr`` by name; one name with two shapes is an error (cached)."""
    return dict(known_variables(expr))


def known_variables(expr: Expr) -> dict[str, Var]:
    """:func:`variables` without the copy, for hot paths that only read it."""
    cached = expr._cache.get("variables")
    if cached is not None:
        return cached
    found: dict[str, Var] = {}
    for node in toposort(expr):
        if isinstance(node, Var):
            seen = found.setdefault(node.name, node)
            if seen.shape != node.shape:
                raise ShapeError(
                    f"variable {node.name!r} appears with two shapes: {seen.shape} and {node.shape}"
                )
    expr._cache["variables"] = found
    return found


def depends_on(expr: Expr, names: Iterable[str]) -> set[int]:
    """Ids of the nodes of ``expr`` whose value depends on any variable in ``names``."""
    wanted = set(names)
    live: set[int] = set()
    for node in toposort(expr):
        if (isinstance(node, Var) and node.name in wanted) or any(
            id(x) in live for x in node.inputs
        ):
            live.add(id(node))
    return live


def _raise_names_mismatch(declared: set[str], given: set[str]) -> None:
    listing = ", ".join(sorted(declared)) or "(none)"
    problems = []
    if unknown := sorted(given - declared):
        problems.append(f"gives {', '.join(map(repr, unknown))}, which the expression does not use")
    if missing := sorted(declared - given):
        problems.append(f"has no value for {', '.join(map(repr, missing))}")
    raise ValueError(f"'at' {' and '.join(problems)}; the expression's variables are: {listing}")


FLOAT64 = np.dtype(np.float64)  # compared by identity on hot paths


def resolve_point(expr: Expr, at: Mapping[Any, Any], dtype: Any = None) -> dict[str, np.ndarray]:
    """Check ``at`` against the expression's variables and return name -> float array.

    A missing or unknown name is a ValueError listing the expression's variables; a
    value of the wrong shape is a ShapeError naming the variable and both shapes.
    """
    declared = known_variables(expr)
    if type(at) is dict and at.keys() == declared.keys():  # the usual case: keyed by name
        given = at
    else:
        given = {}
        for key, value in at.items():
            name = key.name if isinstance(key, Var) else key
            if not isinstance(name, str):
                raise TypeError(f"keys of 'at' must be variable names or Var objects, got {key!r}")
            given[name] = value
        if given.keys() != declared.keys():
            _raise_names_mismatch(set(declared), set(given))
    point = {}
    for name, var in declared.items():
        value = given[name]
        if (type(value) is np.ndarray and value.dtype is FLOAT64 and dtype is None
                and value.shape == var.shape):
            point[name] = value  # the usual case, in four cheap tests
            continue
        if type(value) is not np.ndarray:
            value = np.asarray(value)
        kind = value.dtype.kind
        if kind not in "biuf":
            raise TypeError(f"value of {name!r} must be real numbers, got dtype {value.dtype}")
        if value.shape != var.shape:
            raise ShapeError(
                f"value of {name!r} has shape {value.shape}, but the variable has shape {var.shape}"
            )
        if kind != "f" or (dtype is not None and value.dtype != dtype):
            value = value.astype(dtype or np.float64)
        point[name] = value  # float arrays are used as given, never copied
    return point
