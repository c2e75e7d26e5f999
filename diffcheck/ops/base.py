"""The op record and the registry: every operation is declared once, here or beside it.

A record carries everything each backend may read about an op, and nothing more:

- ``shape(*shapes, **params)`` — the output shape, or a ShapeError naming both shapes;
- ``forward(*xs, **params)`` — NumPy forward (read by the tape and the numeric backend);
- ``vjps`` — one plain batched vector-Jacobian product per input, called as
  ``rule(g, out, *xs, **params)`` (read by the tape only; its fast paths live apart, in
  ``backends.kernels``); a ``broadcasts`` op's VJPs return the output's shape and the
  tape sums them back;
- ``reads`` — for each input, what its VJP reads, by position: ``"out"`` and input
  indices, e.g. ``((1,), ("out", 1))`` for ``x / y`` (the tape computes no value that
  nobody reads, such as the value of a loss; unread values arrive as shape-only
  stand-ins); None (the default) means everything;
- ``canonical(*shapes, **params)`` — the params in one hashable form (read by ``ir.apply``);
- ``lower(*objs, **params)`` — SymPy lowering over object arrays (read by SymPy only);
- ``sympy_route`` — the per-node SymPy rule (``"elementwise"``, ``"linear"`` with
  ``matrix_views``/``matrix_form``, or ``"lower"``), read by ``backends.sympy_local``;
  ``lowered_terms(out_shape, *in_shapes)`` — the size of its element-wise lowering;
  ``groups(shape, **params)`` — (axes, params for one group) when it maps each group along
  those axes by one function (a row-wise softmax), so that route lowers one group; else None;
- ``matrix_rule(m, *xs, **params)`` — for ``dc.closed_form``: ``m.rule(value, *vjps)`` over matrix
  expressions (``m`` is ``matrix_forms.tree``; blocks in ``ops.matrix_rules``); None: it has none;
- ``broadcasts`` — its inputs broadcast against each other (read by blame);
- ``analytic`` — complex-analytic, so complex-step differences are exact;
- ``domain(*xs, **params)`` — where random points may put the inputs;
- ``kinks`` — values of the first input where the op is not differentiable; consumers
  read them through ``kink_distance`` and ``kink_side``, which an op with ties (``max``)
  overrides;
- ``printing`` — how a node prints (``notation.Infix``/``Prefix``/``Postfix``/``Call``),
  read through ``text()`` by ``repr`` and ``explain``;
- ``samples`` — input shapes and params for the table tests (``drawing.Sample``);
- ``draw`` — how the Hypothesis strategies may build a node of it (``drawing.Draw``);
- ``public`` and ``public_name`` — whether ``diffcheck`` exports a builder, and its name;
- ``keywords`` — the params its public builder accepts (``dc.sum(x, axis=0)``), in order;
- ``numpy_names`` and ``usage()`` — the NumPy functions it stands for and how diffcheck
  spells it, for the error that NumPy functions on expressions raise;
- ``methods`` — the names under which expressions offer it as a method (``e.sum(axis=0)``);
- ``variadic`` — it takes ``arity`` or more inputs (``concatenate``); its one VJP is then
  called as ``rule(k, g, out, *xs, **params)`` and its ``reads`` is one entry for every
  input (``"out"`` and/or ``"inputs"``); consumers go through ``vjp_rule(k)`` and
  ``reads_of(k, n)``;
- ``averages`` — it divides by the count it reduces (``mean``), so hints can name a lost 1/N;
- ``into_domain(k, x)`` — maps any array to a value of input ``k`` inside the domain
  (``A Aᵀ + nI`` for a positive definite input); random points apply it to a variable
  that is that input.

VJPs receive ``g`` with leading batch axes (``g.shape == batch + out.shape``) so a whole
Jacobian can be pushed through the tape at once.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar, NamedTuple

import numpy as np

from diffcheck.ops.drawing import Draw, Sample
from diffcheck.ops.notation import Call, Infix, Postfix, Prefix, Printing, Text

REGISTRY: dict[str, Op] = {}


class Op:
    """Base of all op records; subclasses are registered with :func:`op`."""

    name: ClassVar[str]
    arity: ClassVar[int]
    analytic: ClassVar[bool] = True
    kinks: ClassVar[tuple[float, ...]] = ()
    reads: ClassVar[tuple[tuple[str | int, ...], ...] | None] = None  # per input, by position
    printing: ClassVar[Printing]  # how a node prints: infix, prefix, postfix or a call
    samples: ClassVar[tuple[Sample, ...]]  # input shapes and params for the table tests
    draw: ClassVar[Draw]  # how random expressions may contain it
    public: ClassVar[bool] = False  # exported by ``diffcheck`` as a builder function
    public_name: ClassVar[str] = ""  # the builder's name there; "" means ``name``
    keywords: ClassVar[tuple[str, ...]] = ()  # the params the builder accepts, in NumPy's order
    numpy_names: ClassVar[tuple[str, ...]] = ()  # NumPy functions it stands for (``"add.reduce"``)
    sympy_route: ClassVar[str]  # the per-node SymPy rule: one of SYMPY_ROUTES
    broadcasts: ClassVar[bool] = False  # its inputs broadcast against each other (NumPy's rule)
    methods: ClassVar[tuple[str, ...]] = ()  # expression methods that build it (``e.sum()``)
    variadic: ClassVar[bool] = False  # takes ``arity`` or more inputs
    averages: ClassVar[bool] = False  # divides by the count it reduces (mean): hints name a lost 1/N
    groups: Any = None  # a method (shape, **params) -> (axes, params of one group), or None
    matrix_rule: Any = None  # the closed forms' whole-matrix rule (a method), or None: none

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

    def into_domain(self, k: int, x: np.ndarray) -> np.ndarray:
        """``x`` moved inside the domain of input ``k`` (by default: unchanged), so random
        points satisfy domains rejection cannot (positive definite matrices)."""
        return x

    def vjp_rule(self, k: int) -> Callable[..., np.ndarray]:
        """The plain VJP for input ``k``, called as ``rule(g, out, *xs, **params)``."""
        if self.variadic:
            return functools.partial(self.vjps[0], k)
        return self.vjps[k]

    def reads_of(self, k: int, n: int) -> tuple[str | int, ...]:
        """What the VJP for input ``k`` of ``n`` reads: ``"out"`` and input positions."""
        if not self.variadic:
            return self.reads[k]
        (tokens,) = self.reads
        return (*(("out",) if "out" in tokens else ()), *(range(n) if "inputs" in tokens else ()))

    def lowered_terms(self, out_shape: tuple[int, ...], *in_shapes: tuple[int, ...], **params: Any) -> int:
        """Roughly how many SymPy terms its element-wise lowering has (one per output)."""
        return math.prod(out_shape)

    def matrix_views(self, *shapes: tuple[int, ...], **params: Any) -> tuple[MatrixView, ...]:
        """For ``sympy_route = "linear"``: how each input is seen as a matrix."""
        raise NotImplementedError

    def matrix_form(self, *matrices: Any, **params: Any) -> Any:
        """For ``sympy_route = "linear"``: the op over SymPy ``MatrixSymbol``s of those views."""
        raise NotImplementedError

    def canonical(self, *shapes: tuple[int, ...], **params: Any) -> dict[str, Any]:
        """The params in one hashable form (lists become tuples, NumPy scalars Python ones),
        so that equal params compare equal; ops override it to normalise more (axes)."""
        return {key: hashable(self.name, key, value) for key, value in params.items()}

    @property
    def symbol(self) -> str | None:
        """The operator a user writes (``+``, unary ``-``), or None for ops written as calls."""
        return self.printing.symbol if isinstance(self.printing, Infix | Prefix) else None

    def text(self, inputs: Sequence[Text], **params: Any) -> Text:
        """A node of this op printed from its inputs' texts (``Text("x + y", 10)``)."""
        return self.printing.format(self.name, inputs, params)

    @property
    def has_kinks(self) -> bool:
        """Whether the op is non-differentiable somewhere, so points and steps avoid it."""
        return bool(self.kinks) or type(self).kink_distance is not Op.kink_distance

    def kink_distance(self, *xs: np.ndarray, **params: Any) -> np.ndarray:
        """How far the inputs are from a kink or a tie, per element (0 on one); by default
        the distance of the first input from the nearest of ``kinks``."""
        x = np.real(xs[0])
        if not self.kinks:
            return np.full(np.shape(x), np.inf)
        return np.min([np.abs(x - k) for k in self.kinks], axis=0)

    def kink_side(self, *xs: np.ndarray, **params: Any) -> np.ndarray:
        """Which smooth piece the inputs lie on (0 exactly on a kink or tie); a step that
        changes it crossed a kink. By default the sign of the first input minus each kink."""
        x = np.real(xs[0])
        return np.stack([np.sign(x - k) for k in self.kinks]) if self.kinks else np.zeros(0)

    def usage(self) -> str:
        """How a user writes this op in diffcheck, for hints such as ``dc.sum(x, axis=...)``."""
        if self.symbol is not None:
            return f"x {self.symbol} y" if self.arity == 2 else f"{self.symbol}x"
        if self.variadic:
            return f"dc.{self.name}([x, y, ...]{''.join(f', {k}=...' for k in self.keywords)})"
        inputs = ", ".join(("x", "y", "z")[: self.arity])
        return f"dc.{self.name}({', '.join([inputs, *(f'{k}=...' for k in self.keywords)])})"

    def builder(self) -> Callable[..., Any]:
        """The public function that builds a node of this op (``dc.exp`` and friends)."""
        from diffcheck.ir import apply

        name = self.name

        def build(*operands: Any, **params: Any) -> Any:
            if self.variadic:
                operands = self.unpack(operands)
                inputs = operands[0]
                return apply(name, *inputs, **self.bind((None,) * self.arity + operands[1:], params))
            return apply(name, *operands[: self.arity], **self.bind(operands, params))

        build.__name__ = build.__qualname__ = name
        build.__doc__ = type(self).__doc__
        return build

    def method_builder(self, name: str) -> Callable[..., Any]:
        """The function behind the expression method ``name``: the public builder, unless
        the record overrides this for a method with NumPy's method signature
        (``e.reshape(2, 3)`` against ``np.reshape(e, (2, 3))``)."""
        return self.builder()

    def unpack(self, operands: tuple[Any, ...]) -> tuple[Any, ...]:
        """A variadic builder's call as NumPy's ``concatenate(seq, ...)``: the first argument
        is the sequence of inputs (a TypeError names the misuse)."""
        public = f"dc.{self.name}()"
        if not operands or not isinstance(operands[0], list | tuple):
            raise TypeError(f"{public} takes a list or tuple of expressions first, as "
                            f"np.{self.name} does: dc.{self.name}([a, b], ...)")
        if len(operands[0]) < self.arity:
            raise TypeError(f"{public} needs at least {self.arity} input(s), got {len(operands[0])}")
        return (tuple(operands[0]), *operands[1:])

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
    cls.reads = normalised_reads(cls)
    accepted = inspect.signature(cls.shape).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
        if missing := [k for k in cls.keywords if k not in accepted]:
            raise TypeError(f"op {cls.name!r}: keywords {missing} are not parameters of its shape rule")
    check_sympy_route(cls)
    record = cls()
    expected = 1 if cls.variadic else cls.arity
    if len(record.vjps) != expected:
        what = "a variadic op, one VJP rule(k, g, out, *xs)" if cls.variadic else f"{cls.arity} inputs"
        raise TypeError(f"op {cls.name!r} declares {len(record.vjps)} VJPs for {what}")
    check_presentation(cls)
    REGISTRY[cls.name] = record
    return cls


PRESENTATION = {
    "printing": "how it prints: notation.Infix, Prefix, Postfix or Call",
    "samples": "table-test inputs: a tuple of drawing.Sample",
    "draw": "how the strategies may draw it: a drawing.Draw",
}


def check_presentation(cls: type[Op]) -> None:
    """Refuse a record without what printing, the table tests, the strategies and the
    public builders read (a TypeError naming the op and the missing piece)."""
    for attr, what in PRESENTATION.items():
        if not hasattr(cls, attr):
            raise TypeError(f"op {cls.name!r} must declare {attr!r} ({what})")
    drawing = cls.draw.problems(cls.arity) if isinstance(cls.draw, Draw) else ["it is not a Draw"]
    problems = [*_printing_problems(cls), *_sample_problems(cls), *(f"draw: {p}" for p in drawing)]
    if not isinstance(cls.public, bool):
        problems.append("public must be True or False")
    if problems:
        raise TypeError(f"op {cls.name!r}: {'; '.join(problems)}")
    if cls.public and not cls.public_name:
        cls.public_name = cls.name


def _printing_problems(cls: type[Op]) -> list[str]:
    inputs = {Infix: 2, Prefix: 1, Postfix: 1, Call: cls.arity}  # what each notation prints
    if cls.variadic and type(cls.printing) is not Call:
        return ["a variadic op prints as a Call"]
    if type(cls.printing) not in inputs:
        return [f"printing must be {PRESENTATION['printing']}"]
    if inputs[type(cls.printing)] != cls.arity:
        return [f"{type(cls.printing).__name__} printing needs {inputs[type(cls.printing)]} "
                f"input(s), the op takes {cls.arity}"]
    return []


def _sample_problems(cls: type[Op]) -> list[str]:
    if not isinstance(cls.samples, tuple) or not cls.samples:
        return [f"samples must be {PRESENTATION['samples']}, at least one"]
    def fits(n: int) -> bool:
        return n >= cls.arity if cls.variadic else n == cls.arity
    wrong = [s for s in cls.samples if not isinstance(s, Sample) or not fits(len(s.shapes))]
    if wrong:
        many = "or more " if cls.variadic else ""
        return [f"sample {wrong[0]!r} is not a Sample of {cls.arity} {many}shape(s)"]
    params = set(getattr(cls.printing, "shown", ())).union(*(s.params for s in cls.samples))
    if unknown := sorted(params - set(cls.keywords)):
        return [f"params {unknown} in printing or samples are not among its keywords {cls.keywords}"]
    return []


# The per-node SymPy rules (``backends.sympy_local``): "elementwise" differentiates the scalar
# lowering once and applies it per element (only for ops whose output element depends on
# the same-position input elements alone); "linear" uses SymPy's matrix calculus on
# ``matrix_form``; "lower" lowers the node at its real shapes (refused when too large).
SYMPY_ROUTES = ("elementwise", "linear", "lower")


class MatrixView(NamedTuple):
    """An input seen as a matrix: its axes permuted by ``axes``, then reshaped to ``shape``."""

    axes: tuple[int, ...]
    shape: tuple[int, int]


def check_sympy_route(cls: type[Op]) -> None:
    """Refuse a record without a per-node SymPy rule (a TypeError naming the op)."""
    route = getattr(cls, "sympy_route", None)
    if route not in SYMPY_ROUTES:
        raise TypeError(f"op {cls.name!r} must declare 'sympy_route' (its per-node SymPy rule), "
                        f"one of {SYMPY_ROUTES}, got {route!r}")
    if route == "linear":
        for method in ("matrix_views", "matrix_form"):
            if getattr(cls, method) is getattr(Op, method):
                raise TypeError(f"op {cls.name!r}: sympy_route 'linear' needs {method!r}")


@contextmanager
def registered(cls: type[Op]) -> Iterator[Op]:
    """Register ``cls`` with :func:`op` for the duration of a ``with`` block, then remove it
    (a test's throwaway op leaves the table as it found it)."""
    op(cls)
    try:
        yield REGISTRY[cls.name]
    finally:
        del REGISTRY[cls.name]


def normalised_reads(cls: type[Op]) -> tuple[tuple[str | int, ...], ...]:
    """``cls.reads`` as one tuple per input of ``"out"`` and sorted input indices; a TypeError
    names the op and the entry that is not of that form (such as the old ``"out y"``)."""
    if cls.variadic:
        return _variadic_reads(cls)
    everything = ("out", *range(cls.arity))
    if cls.reads is None:
        return (everything,) * cls.arity
    form = f"for each of its {cls.arity} input(s), 'out' and/or input indices 0..{cls.arity - 1}"
    if isinstance(cls.reads, str) or len(cls.reads) != cls.arity:
        raise TypeError(f"op {cls.name!r}: reads must give, {form}; got {cls.reads!r}")
    result = []
    for k, entry in enumerate(cls.reads):
        tokens = (entry,) if isinstance(entry, str | int) else entry
        if not isinstance(tokens, tuple | list | set | frozenset) or not all(
            t == "out" if isinstance(t, str) else type(t) is int and 0 <= t < cls.arity for t in tokens
        ):
            raise TypeError(f"op {cls.name!r}: reads[{k}] = {entry!r}; name values by position, "
                            f"{form}, e.g. ('out', 0)")
        result.append(tuple(t for t in everything if t in set(tokens)))
    return tuple(result)


def _variadic_reads(cls: type[Op]) -> tuple[tuple[str, ...]]:
    """A variadic op's ``reads``: one entry for every input, of ``"out"`` and ``"inputs"``."""
    if cls.reads is None:
        return (("out", "inputs"),)
    entry = cls.reads[0] if isinstance(cls.reads, tuple) and len(cls.reads) == 1 else None
    tokens = (entry,) if isinstance(entry, str) else entry
    if not isinstance(tokens, tuple) or not set(tokens) <= {"out", "inputs"}:
        raise TypeError(f"op {cls.name!r}: a variadic op's reads is one entry of 'out' and/or "
                        f"'inputs' for every input, e.g. (('inputs',),); got {cls.reads!r}")
    return (tuple(t for t in ("out", "inputs") if t in tokens),)


def hashable(name: str, key: str, value: Any) -> Any:
    """``value`` with lists and arrays as tuples and NumPy scalars as Python ones; a TypeError
    names the op and the param when no hashable form exists."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, list | tuple):
        return tuple(hashable(name, key, v) for v in value)
    try:
        hash(value)
    except TypeError:
        raise TypeError(f"op {name!r}: param {key}={value!r} has no hashable form") from None
    return value
