"""Hypothesis strategies: random expressions, points inside their domains, small networks.

- :func:`expressions` draws well-shaped expressions over given variables with
  ``st.recursive``, leaves first (variables, then constants), so a failing example
  shrinks to a small expression such as ``sigmoid(a)``.
- :func:`points` draws ``at`` mappings inside every op's domain and away from kinks.
- :func:`mlps` draws a small random network with a loss, its parameters and a point.

Expressions are built through the IR builders, never from strings. Arguments are
checked when a strategy is created (``InvalidArgument``), not when it is drawn from.

Example::

    from hypothesis import given, strategies as st
    import diffcheck as dc
    from diffcheck.strategies import expressions, points

    @given(st.data())
    def test_methods_agree(data):
        e = data.draw(expressions([dc.scalar("a"), dc.vector("x", 3)]))
        at = data.draw(points(e))
        if at:
            assert dc.check(e, sorted(at), at)
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra.numpy import arrays

from diffcheck.checking.points import in_domain, into_domain, random_points
from diffcheck.errors import ShapeError
from diffcheck.ir import Const, Expr, Var, apply, toposort
from diffcheck.ir import variables as variables_of
from diffcheck.ops import REGISTRY

CONSTANTS = (0.5, 2.0, -1.5, 3.0)  # the first is what a constant leaf shrinks to
_CHOICE = st.integers(0, 11)  # picks an axis, a fixed operand or a fixed matrix
_DEFAULT_CONSTANTS = st.sampled_from(CONSTANTS)
# As in diffcheck.checking.points.random_points: magnitudes in [1/4, 2]; positive first, so values
# shrink to simple positive numbers such as 1.0.
_VALUES = st.one_of(
    st.floats(0.25, 2.0, allow_subnormal=False), st.floats(-2.0, -0.25, allow_subnormal=False)
)


# ----- expressions -----
def _positive(x: Expr) -> Expr:
    """``x*x + 1/2``: a guard that keeps an operand positive for ops such as ``log``."""
    return x * x + 0.5


def _ops_of(expr: Expr) -> frozenset[str]:
    return frozenset(n.op for n in toposort(expr) if not isinstance(n, (Var, Const)))


# Square inputs made from a drawn operand stay this small: det, slogdet and cholesky have
# no matrix-level SymPy rule, and their lowering grows like n! (refused from 7×7).
MAX_SQUARE_SIDE = 4

GUARD_OPS = _ops_of(_positive(Var("_", ())))  # the ops the guard itself is made of


class _Builder:
    """Builds one node of any op from drawn operands, as the op record's ``draw`` says,
    using only the allowed ops (and constants).

    Inputs the op's domain wants positive get the guard ``x*x + 1/2`` when its ops are
    allowed; otherwise they get the operand as drawn and :func:`points` filters the
    values. A node whose shapes do not fit, or over constants only and outside its
    domain (``relu(0.5 - 0.5)`` sits on a kink), is replaced by its first operand.
    """

    def __init__(self, allowed: frozenset[str]):
        self.guarded = GUARD_OPS <= allowed
        # For "broadcast" fits: an allowed one-input op taking any shape to a scalar.
        self.scalar_makers = [n for n in REGISTRY if n in allowed and REGISTRY[n].arity == 1]
        # For ``square`` inputs: a Gram matrix a @ a.T, or a * M + cI, when their ops are allowed.
        self.gram = {"matmul", "transpose"} <= allowed
        self.affine = {"mul", "add"} <= allowed

    def node(self, name: str, operands: tuple[Expr, ...], choice: int) -> Expr:
        record = REGISTRY[name]
        draw = record.draw
        first = operands[0]
        if draw.square:
            square = self._square(first, choice)
            if square is None:
                return first  # too large a matrix for the closed forms of det, inv, ...
            operands = (square, *operands[1:])
        inputs = self._fit(draw.fit, list(operands), choice)
        if inputs is None:
            return first  # nothing of this op fits (a matrix product of two scalars)
        positive = draw.positive
        if draw.fixed and choice % (len(draw.fixed) + 1) < len(draw.fixed):
            fixed = draw.fixed[choice % (len(draw.fixed) + 1)]
            inputs[-1], positive = Const(fixed.value), fixed.positive
        if self.guarded:
            inputs = [_positive(x) if k in positive else x for k, x in enumerate(inputs)]
        params = draw.params(tuple(x.shape for x in inputs), choice) if draw.params else {}
        try:
            built = apply(name, *inputs, **params)
        except ShapeError:  # e.g. an op that needs a square matrix, given a vector
            return first
        return built if variables_of(built) or in_domain(built, {}) else first

    def _fit(self, fit: str | None, operands: list[Expr], choice: int) -> list[Expr] | None:
        """The operands made to fit the first one as ``fit`` says; None when nothing fits."""
        first, *rest = operands
        if fit == "contract":
            return self._contractible(first, rest[0], choice)
        return [first, *(self._broadcastable(first, b, choice) for b in rest)]

    def _square(self, a: Expr, choice: int) -> Expr | None:
        """A square matrix made from ``a``: ``a`` itself, ``a @ a.T``, ``a * M + cI`` (diagonally
        dominant for |a| <= 2), or else a fixed symmetric positive definite matrix; None when
        the matrix made would be larger than ``MAX_SQUARE_SIDE`` (a drawn 12-vector)."""
        if a.ndim == 2 and a.shape[0] == a.shape[1]:
            return a
        if a.ndim and a.shape[0] > MAX_SQUARE_SIDE:
            return None
        rng = np.random.default_rng(choice)
        if self.gram and a.ndim == 2:
            return apply("matmul", a, apply("transpose", a))
        if self.affine and a.ndim <= 1:
            n = a.shape[0] if a.ndim else 2
            return a * Const(rng.uniform(-1, 1, size=(n, n))) + Const((2 * n + 1) * np.eye(n))
        x = rng.uniform(-1, 1, size=(2 + choice % 2,) * 2)
        return Const(x @ x.T / len(x) + np.eye(len(x)))

    @staticmethod
    def _contractible(a: Expr, b: Expr, choice: int) -> list[Expr] | None:
        """``[a, b]`` for ``a @ b``, with a fixed matrix for one of them when their axes do not align."""
        if 1 <= a.ndim <= 2 and 1 <= b.ndim <= 2 and a.shape[-1] == b.shape[0]:
            return [a, b]
        rng = np.random.default_rng(choice)
        if 1 <= a.ndim <= 2:
            return [a, Const(rng.uniform(-1, 1, size=(a.shape[-1], 2)))]
        if 1 <= b.ndim <= 2:
            return [Const(rng.uniform(-1, 1, size=(2, b.shape[0]))), b]
        return None

    def _broadcastable(self, a: Expr, b: Expr, choice: int) -> Expr:
        """``b``, or a reduction of it (a constant if none is allowed) that broadcasts with ``a``."""
        try:
            np.broadcast_shapes(a.shape, b.shape)
            return b
        except ValueError:
            pass
        for name in self.scalar_makers:
            try:
                reduced = apply(name, b)
            except (ShapeError, TypeError):  # an op that needs params (einsum's subscripts)
                continue
            if reduced.shape == ():
                return reduced
        return Const(CONSTANTS[choice % len(CONSTANTS)])


def _check_variables(variables: Any) -> list[Var]:
    items = list(variables) if isinstance(variables, (list, tuple)) else None
    if not items or not all(isinstance(v, Var) for v in items):
        raise InvalidArgument(f"variables must be a non-empty list of dc.Var, got {variables!r}")
    shapes: dict[str, tuple[int, ...]] = {}
    for v in items:
        if shapes.setdefault(v.name, v.shape) != v.shape:
            raise InvalidArgument(
                f"variable {v.name!r} is given with two shapes: {shapes[v.name]} and {v.shape}"
            )
    return items


def _check_ops(ops: Any) -> list[str]:
    if ops is None:
        return list(REGISTRY)
    names = [ops] if isinstance(ops, str) else list(ops) if isinstance(ops, (list, tuple, set)) else None
    if not names or any(n not in REGISTRY for n in names):
        raise InvalidArgument(
            f"ops must be a non-empty list of names from the op table {sorted(REGISTRY)}, got {ops!r}"
        )
    return [n for n in REGISTRY if n in set(names)]  # table order: what shrinking prefers


def _check_positive_int(what: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgument(f"{what} must be a positive int, got {value!r}")
    return value


def expressions(
    variables: Sequence[Var],
    ops: Sequence[str] | None = None,
    max_leaves: int = 8,
    constants: st.SearchStrategy[float] | None = None,
) -> st.SearchStrategy[Expr]:
    """Random well-shaped expressions over ``variables``, built only from ``ops``.

    Args:
        variables: the variable leaves (``dc.Var`` objects; at least one).
        ops: op names from ``diffcheck.ops.REGISTRY``; ``None`` means every op. Every
            node drawn is one of these (a guard such as ``x*x + 1/2`` that keeps
            ``log`` inside its domain is used only when ``mul`` and ``add`` are allowed).
        max_leaves: the most leaves drawn for one expression (``st.recursive``).
        constants: scalar constant leaves; default a few small numbers away from
            0 (shrinking to 0.5). ``st.nothing()`` draws variables only.

    Drawn expressions may be constant (no variable); ``points`` gives ``{}`` for them.

    Example::

        a, x = dc.scalar("a"), dc.vector("x", 3)
        expressions([a, x], ops=["add", "mul", "sin"], max_leaves=4)
    """
    leaves_vars = _check_variables(variables)
    names = _check_ops(ops)
    _check_positive_int("max_leaves", max_leaves)
    if constants is None:
        constants = _DEFAULT_CONSTANTS
    elif not isinstance(constants, st.SearchStrategy):
        raise InvalidArgument(f"constants must be a Hypothesis strategy, got {constants!r}")
    return _expressions(tuple(leaves_vars), tuple(names), max_leaves, constants)


@functools.lru_cache(maxsize=64)
def _expressions(
    variables: tuple[Var, ...], names: tuple[str, ...], max_leaves: int, constants: st.SearchStrategy
) -> st.SearchStrategy[Expr]:
    """The strategy, built once per arguments: Hypothesis validates a new one on every draw."""
    builder = _Builder(frozenset(names))
    by_arity: dict[int, list[str]] = {}
    for name in names:
        by_arity.setdefault(REGISTRY[name].arity, []).append(name)
    leaves = st.one_of(st.sampled_from(variables), constants.map(Const))

    def extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
        return st.one_of([
            st.builds(builder.node, st.sampled_from(ops), st.tuples(*[children] * arity), _CHOICE)
            for arity, ops in sorted(by_arity.items())
        ])

    return st.recursive(leaves, extend, max_leaves=max_leaves)


# ----- points -----
def points(expr: Expr) -> st.SearchStrategy[dict[str, np.ndarray]]:
    """``at`` mappings for ``expr``: every op inside its domain, every kink op off its kink.

    Values are drawn with ``hypothesis.extra.numpy.arrays`` (magnitudes in [1/4, 2],
    so they shrink) and kept when ``diffcheck.checking.points.in_domain`` accepts them; else
    a point comes from ``diffcheck.checking.points.random_points`` with a drawn seed; if that
    fails too, the example is rejected. A constant expression gives ``{}``.

    Example::

        e = dc.log(dc.scalar("a")) + dc.relu(dc.vector("x", 2))
        at = points(e).example()   # {'a': array(...) > 0.05, 'x': array([...]) off 0}
    """
    if not isinstance(expr, Expr):
        raise InvalidArgument(f"points needs a diffcheck expression, got {type(expr).__name__}")
    try:
        shapes = {name: var.shape for name, var in sorted(variables_of(expr).items())}
    except ShapeError as error:
        raise InvalidArgument(str(error)) from None
    if not shapes:
        return st.just({})
    values = st.fixed_dictionaries(
        {name: arrays(np.float64, shape, elements=_VALUES) for name, shape in shapes.items()}
    )
    return _points_in_domain(expr, values)


@st.composite
def _points_in_domain(draw: Any, expr: Expr, values: st.SearchStrategy[dict]) -> dict[str, np.ndarray]:
    point = into_domain(expr, draw(values))
    if in_domain(expr, point):
        return point
    seed = draw(st.integers(0, 2**32 - 1))
    try:
        return random_points(expr, 1, seed)[0]
    except ValueError:
        reject()


# ----- networks -----
class MLPCase(NamedTuple):
    """A drawn network problem; unpacks as ``loss, params, at = case``.

    Attributes:
        loss: the scalar loss of a random ``dc.nn.MLP`` on a constant batch ``X``
            ``(m, n_in)`` against constant targets.
        params: the network's variables (``W_net1``, ``b_net1``, ...), first layer first.
        at: values for ``params`` from ``net.init(seed)``: inside every op's domain and
            off every kink, so ``dc.check(loss, params, at)`` is meaningful.
    """

    loss: Expr
    params: list[Var]
    at: dict[str, np.ndarray]


MLP_LOSSES = ("half_sse", "mse", "binary_cross_entropy", "softmax_cross_entropy")


def _nn() -> Any:
    from diffcheck import nn  # written alongside; imported only when networks are drawn

    return nn


def _check_names(what: str, given: Any, allowed: Sequence[str]) -> tuple[str, ...]:
    names = tuple(given) if isinstance(given, (list, tuple)) else None
    if not names or any(n not in allowed for n in names):
        raise InvalidArgument(f"{what} must be a non-empty list from {list(allowed)}, got {given!r}")
    return names


def mlps(
    *,
    max_layers: int = 2,
    max_width: int = 3,
    max_batch: int = 3,
    activations: Sequence[str] = ("sigmoid", "tanh", "relu"),
    losses: Sequence[str] = MLP_LOSSES,
) -> st.SearchStrategy[MLPCase]:
    """Small random networks with a loss: :class:`MLPCase` ``(loss, params, at)``.

    Draws the layer count (1 to ``max_layers``), the sizes (1 to ``max_width``), the
    hidden ``activation``, the loss, a batch of 1 to ``max_batch`` rows and the
    initial-value seed. The output layer is linear (logits);
    ``binary_cross_entropy`` is taken ``from_logits=True`` with 0/1 targets and
    ``softmax_cross_entropy`` gets one-hot targets. Shrinks towards one layer of
    width 1, sigmoid, ``half_sse`` and one row.

    Example::

        @given(mlps(max_layers=3))
        def test_backprop(case):
            loss, params, at = case
            assert dc.check(loss, params, at, methods=("sympy", "tape"))
    """
    nn = _nn()
    for what, value in (("max_layers", max_layers), ("max_width", max_width), ("max_batch", max_batch)):
        _check_positive_int(what, value)
    activations = _check_names("activations", activations, sorted(nn.ACTIVATIONS))
    losses = _check_names("losses", losses, MLP_LOSSES)
    return _mlp_cases(nn, max_layers, max_width, max_batch, activations, losses)


def _targets(draw: Any, loss: str, shape: tuple[int, int]) -> np.ndarray:
    m, k = shape
    if loss == "softmax_cross_entropy":
        classes = draw(st.lists(st.integers(0, k - 1), min_size=m, max_size=m))
        return np.eye(k)[classes]
    if loss == "binary_cross_entropy":
        return draw(arrays(np.float64, shape, elements=st.sampled_from([0.0, 1.0])))
    return draw(arrays(np.float64, shape, elements=st.floats(-1.0, 1.0, allow_subnormal=False)))


def _loss(nn: Any, name: str, out: Expr, targets: np.ndarray) -> Expr:
    if name == "binary_cross_entropy":
        return nn.binary_cross_entropy(out, targets, from_logits=True)
    return nn.LOSSES[name](out, targets)


@st.composite
def _mlp_cases(
    draw: Any,
    nn: Any,
    max_layers: int,
    max_width: int,
    max_batch: int,
    activations: tuple[str, ...],
    losses: tuple[str, ...],
) -> MLPCase:
    layers = draw(st.integers(1, max_layers))
    sizes = draw(st.lists(st.integers(1, max_width), min_size=layers + 1, max_size=layers + 1))
    activation = draw(st.sampled_from(activations))
    loss_name = draw(st.sampled_from(losses))
    batch = draw(st.integers(1, max_batch))
    X = draw(arrays(np.float64, (batch, sizes[0]), elements=_VALUES))
    net = nn.MLP(sizes, activation=activation, output_activation=None)
    loss = _loss(nn, loss_name, net(X), _targets(draw, loss_name, (batch, sizes[-1])))
    at = net.init(draw(st.integers(0, 2**32 - 1)))
    if not in_domain(loss, at):  # e.g. a relu input within 1e-3 of its kink
        reject()
    return MLPCase(loss, net.parameters(), at)


__all__ = ["MLPCase", "expressions", "mlps", "points"]
