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
- ``kinks`` — values of the first input where the op is not differentiable;
- ``keywords`` — the params its public builder accepts (``dc.sum(x, axis=0)``), in order;
- ``numpy_names`` and ``usage()`` — the NumPy functions it stands for and how diffcheck
  spells it, for the error that NumPy functions on expressions raise.

VJPs receive ``g`` with leading batch axes (``g.shape == batch + out.shape``) so a whole
Jacobian can be pushed through the tape at once.
"""

from __future__ import annotations

import inspect
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
    keywords: ClassVar[tuple[str, ...]] = ()  # the params the builder accepts, in NumPy's order
    numpy_names: ClassVar[tuple[str, ...]] = ()  # NumPy functions it stands for (``"add.reduce"``)

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

    def usage(self) -> str:
        """How a user writes this op in diffcheck, for hints such as ``dc.sum(x, axis=...)``."""
        if self.symbol is not None:
            return f"x {self.symbol} y" if self.arity == 2 else f"{self.symbol}x"
        inputs = ", ".join(("x", "y")[: self.arity])
        return f"dc.{self.name}({', '.join([inputs, *(f'{k}=...' for k in self.keywords)])})"

    def builder(self) -> Callable[..., Any]:
        """The public function that builds a node of this op (``dc.exp`` and friends)."""
        from diffcheck.ir import apply

        name = self.name

        def build(*operands: Any, **params: Any) -> Any:
            return apply(name, *operands[: self.arity], **self.bind(operands, params))

        build.__name__ = build.__qualname__ = name
        build.__doc__ = type(self).__doc__
        return build

    def bind(self, operands: tuple[Any, ...], params: dict[str, Any]) -> dict[str, Any]:
        """The params of a builder call, with positionals after the inputs taken as keywords
        in order (``dc.sum(x, 0)`` is ``axis=0``, as in NumPy); a TypeError names the misuse."""
        public = f"dc.{self.name}()"
        inputs = f"{self.arity} input{'s' if self.arity != 1 else ''}"
        accepts = f"it accepts: {', '.join(self.keywords)}" if self.keywords else "it takes none"
        if len(operands) < self.arity:
            raise TypeError(f"{public} takes {inputs}, but {len(operands)} were given")
        extra = operands[self.arity:]
        if len(extra) > len(self.keywords):
            more = f" and then {', '.join(self.keywords)}" if self.keywords else ""
            raise TypeError(f"{public} takes {inputs}{more}, but {len(operands)} positional "
                            f"arguments were given")
        unknown = [k for k in params if k not in self.keywords]
        if unknown:
            raise TypeError(f"{public} got an unexpected keyword argument {unknown[0]!r}; {accepts}")
        bound = dict(params)
        for keyword, value in zip(self.keywords, extra):
            if keyword in bound:
                raise TypeError(f"{public} got multiple values for argument {keyword!r}")
            bound[keyword] = value
        return bound


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
    accepted = inspect.signature(cls.shape).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
        if missing := [k for k in cls.keywords if k not in accepted]:
            raise TypeError(f"op {cls.name!r}: keywords {missing} are not parameters of its shape rule")
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
