"""What the tests may build from an op record: table-test samples and Hypothesis draws.

- ``samples`` (a tuple of :class:`Sample`) are the input shapes and params the table
  tests evaluate the op at (forward against lowering, VJP against numeric), with
  values drawn inside its domain;
- ``draw`` (a :class:`Draw`) tells ``diffcheck.strategies`` how to build a node of the
  op from drawn operands, so the strategies hold no op names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

Shape = tuple[int, ...]


class Sample(NamedTuple):
    """One table-test case: the shape of each input, and the params (``{"axis": 1}``)."""

    shapes: tuple[Shape, ...]
    params: Mapping[str, Any] = MappingProxyType({})


class Fixed(NamedTuple):
    """A constant the strategies may draw as the last input (``x ** 2``), and the inputs
    that then still need positive values (``x ** 0.5`` needs ``x > 0``)."""

    value: float
    positive: tuple[int, ...] = ()


@dataclass(frozen=True)
class Draw:
    """How random expressions may contain the op.

    Attributes:
        fit: how each input after the first is made to fit the first: ``"broadcast"``
            (elementwise: a reduction to a scalar when the shapes do not broadcast) or
            ``"contract"`` (a matrix product: a fixed matrix when the axes do not
            align); ``None`` for one-input ops.
        positive: inputs the op's domain wants positive; the strategies guard them as
            ``x*x + 1/2`` when ``*`` and ``+`` may be drawn.
        params: ``params(input_shapes, choice)`` -> the params for a drawn integer
            ``choice`` (a reduction's axis); ``None`` when the op has none.
        fixed: constants for the last input, chosen instead of a drawn operand for most
            values of ``choice`` (``pow``'s exponents); a drawn operand otherwise.
        square: input 0 is made a square matrix before the others are fitted to it (``det``,
            ``inv``): a square operand as drawn, else ``a @ a.T``, ``a * M + cI`` or a fixed
            well-conditioned matrix, with whichever ops are allowed.
    """

    fit: Literal["broadcast", "contract"] | None = None
    positive: tuple[int, ...] = ()
    params: Callable[[tuple[Shape, ...], int], dict[str, Any]] | None = None
    fixed: tuple[Fixed, ...] = field(default=())
    square: bool = False

    def problems(self, arity: int) -> list[str]:
        """What is inconsistent with an op of ``arity`` inputs (empty when nothing is)."""
        found = []
        if (self.fit is None) != (arity == 1):
            found.append(f"fit must be None for one input and 'broadcast' or 'contract' for {arity}")
        if self.fit not in (None, "broadcast", "contract"):
            found.append(f"fit {self.fit!r} is not 'broadcast' or 'contract'")
        guarded = [*self.positive, *(k for f in self.fixed for k in f.positive)]
        if any(not 0 <= k < arity for k in guarded):
            found.append(f"positive names an input outside 0..{arity - 1}")
        if self.fixed and arity < 2:
            found.append("fixed constants need a second input")
        if not isinstance(self.square, bool):
            found.append(f"square must be True or False, got {self.square!r}")
        return found
