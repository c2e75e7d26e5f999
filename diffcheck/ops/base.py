"""The op record and the registry: every operation is declared once, here or beside it.

A record carries everything each backend may read about an op, and nothing more:

- ``shape(*shapes, **params)`` — the output shape, or a ShapeError naming both shapes;
- ``forward(*xs, **params)`` — NumPy forward (read by the tape and the numeric backend);
- ``vjps`` — one vector-Jacobian product per input (read by the tape only);
- ``reads`` — for each input, which of ``out x y`` the VJP from ``vjp_for`` reads (the
  tape computes no value that nobody reads, such as the value of a loss);
- ``lower(*objs, **params)`` — SymPy lowering over object arrays (read by SymPy only);
- ``analytic`` — complex-analytic, so complex-step differences are exact;
- ``domain(*xs, **params)`` — where random points may put the inputs;
- ``kinks`` — values of the first input where the op is not differentiable.

VJPs receive ``g`` with leading batch axes (``g.shape == batch + out.shape``) so a whole
Jacobian can be pushed through the tape at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from diffcheck.errors import ShapeError

REGISTRY: dict[str, Op] = {}


class Op:
    """Base of all op records; subclasses are registered with :func:`op`."""

    name: ClassVar[str]
    arity: ClassVar[int]
    analytic: ClassVar[bool] = True
    kinks: ClassVar[tuple[float, ...]] = ()
    reads: ClassVar[tuple[str, ...]] = ()  # per input, e.g. "out y"; () means it reads all
    symbol: ClassVar[str | None] = None  # infix symbol when printed as ``x + y``
    precedence: ClassVar[int] = 100  # binding strength when printed

    def shape(self, *shapes: tuple[int, ...], **params: Any) -> tuple[int, ...]:
        raise NotImplementedError

    def forward(self, *xs: np.ndarray, **params: Any) -> np.ndarray:
        raise NotImplementedError

    @property
    def vjps(self) -> tuple[Callable[..., np.ndarray], ...]:
        raise NotImplementedError

    def lower(self, *objs: np.ndarray, **params: Any) -> np.ndarray:
        raise NotImplementedError

    def domain(self, *xs: np.ndarray, **params: Any) -> bool:
        return True

    def vjp_for(
        self, k: int, in_shape: tuple[int, ...], out_shape: tuple[int, ...], batch_ndim: int,
        **params: Any,
    ) -> Callable[..., np.ndarray]:
        """The VJP of input ``k`` for these static shapes, ``batch_ndim`` leading batch axes
        of the cotangent and these params; records may return a cheaper specialised one
        that reads only what ``reads[k]`` names. Called as ``rule(g, out, *xs, **params)``."""
        return self.vjps[k]

    def builder(self) -> Callable[..., Any]:
        """The public function that builds a node of this op (``dc.exp`` and friends)."""
        from diffcheck.ir import apply

        name = self.name

        def build(*operands: Any, **params: Any) -> Any:
            return apply(name, *operands, **params)

        build.__name__ = build.__qualname__ = name
        build.__doc__ = type(self).__doc__
        return build


def op(cls: type[Op]) -> type[Op]:
    """Register an op record after checking it declares everything a backend reads."""
    for attr in ("name", "arity"):
        if not hasattr(cls, attr):
            raise TypeError(f"op {cls.__name__} must declare {attr!r}")
    if cls.name in REGISTRY:
        raise TypeError(f"op {cls.name!r} is declared twice")
    if not cls.__doc__:
        raise TypeError(f"op {cls.name!r} needs a one-line docstring of its forward maths")
    arguments = ("out", "x", "y")[: cls.arity + 1]
    if not cls.reads:
        cls.reads = (" ".join(arguments),) * cls.arity
    if len(cls.reads) != cls.arity or not all(set(r.split()) <= set(arguments) for r in cls.reads):
        raise TypeError(f"op {cls.name!r}: reads must name some of {arguments} for each input")
    record = cls()
    if len(record.vjps) != cls.arity:
        raise TypeError(f"op {cls.name!r} declares {len(record.vjps)} VJPs for {cls.arity} inputs")
    REGISTRY[cls.name] = record
    return cls


# ----- helpers shared by the records -----
def as_objects(value: Any) -> np.ndarray:
    """Wrap a SymPy expression or array of them as an object ndarray (0-d for scalars)."""
    if isinstance(value, np.ndarray) and value.dtype == object:
        return value
    out = np.empty(np.shape(value), dtype=object)
    out[...] = value
    return out


def broadcast_shape(name: str, a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    """NumPy's broadcasting rule, with a ShapeError naming the op and both shapes."""
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        raise ShapeError(f"{name}: cannot broadcast shapes {a} and {b}") from None


def unbroadcast(g: np.ndarray, shape: tuple[int, ...], out_ndim: int) -> np.ndarray:
    """Sum ``g`` (batch + broadcast shape) back to batch + ``shape``, undoing broadcasting."""
    nb = g.ndim - out_ndim
    extra = out_ndim - len(shape)
    if extra:
        g = g.sum(axis=tuple(range(nb, nb + extra)))
    axes = tuple(nb + i for i, n in enumerate(shape) if n == 1 and g.shape[nb + i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g


def is_integer_constant(x: np.ndarray) -> bool:
    """True when every entry of ``x`` is a whole number (e.g. the exponent of ``x**2``)."""
    return bool(np.all(np.isreal(x)) and np.all(np.mod(np.real(x), 1) == 0))
