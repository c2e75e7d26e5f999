"""``Exercise`` and ``Part``: what a generated exercise holds, and its JSON form.

An exercise stores every solution element as text in the safe parser's syntax
(``"x[1]*exp(-z[0])"``); ``Exercise.solution`` is that text parsed back. A generated
exercise and one loaded with ``Exercise.from_dict`` therefore hold the very same text
and grade identically, and loading JSON never runs anything but the safe parser.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import sympy as sp

from diffcheck.checking.tolerances import EXERCISE_GRADING
from diffcheck.errors import ParseError
from diffcheck.exercises import render
from diffcheck.exercises.render import Block
from diffcheck.exercises.symtext import TEXT_LIMITS, to_latex, to_text
from diffcheck.parsing import parse
from diffcheck.symbols import element_name, element_symbol, indices

if TYPE_CHECKING:
    from diffcheck.exercises.equivalence import SymbolicChecker
    from diffcheck.exercises.grading import Context, Grade

Shape = tuple[int, ...]
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Part:
    """One answer of an exercise: a derivative (or a list of them) of a fixed shape.

    ``labels`` name each element in C order (``∂y[1]/∂x[2]``); ``solution_text`` holds
    each element's solution as parser text. ``layout`` is ``"numerator"`` or
    ``"denominator"`` for a Jacobian, ``""`` otherwise; ``transpose_note`` explains a
    transposed answer; ``claim`` is ``(output, wrt, out_ndim)`` when the part is a plain
    numerator-layout derivative (then ``diffcheck.diagnosis.hints.claim_hints`` names elements
    itself); ``batch`` is the batch size for the "averaged instead of summed" hint.
    """

    key: str
    title: str
    tex: str
    shape: Shape
    labels: tuple[str, ...]
    solution_text: tuple[str, ...]
    layout: str = ""
    transpose_note: str = ""
    claim: tuple[str, str, int] | None = None
    batch: int = 0

    def __post_init__(self) -> None:
        size = math.prod(self.shape)
        if len(self.labels) != size or len(self.solution_text) != size:
            raise ValueError(
                f"part {self.key!r}: shape {self.shape} needs {size} labels and solution "
                f"entries, got {len(self.labels)} and {len(self.solution_text)}"
            )

    @property
    def size(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class Exercise:
    """A generated exercise; ``grade(answer)`` grades an answer to it.

    ``variables`` are the leaves answers may use (name, shape); ``intermediates`` are
    named nodes answers may also use (``z = Wx``), each element defined by text in the
    leaves; ``given`` holds the numbers of an exercise that gives values (exact text
    per element), at which answers are evaluated instead of at random points.
    """

    id: str
    kind: str
    seed: int
    level: int
    title: str
    blocks: tuple[Block, ...]
    worked: tuple[Block, ...]
    variables: tuple[tuple[str, Shape], ...]
    parts: tuple[Part, ...]
    intermediates: tuple[tuple[str, Shape, tuple[str, ...]], ...] = ()
    given: tuple[tuple[str, tuple[str, ...]], ...] = ()
    rtol: float = EXERCISE_GRADING[0]
    atol: float = EXERCISE_GRADING[1]

    # ----- names the answers may use -----
    @cached_property
    def shapes(self) -> dict[str, Shape]:
        """Every name an answer may use (variables and intermediates) and its shape."""
        return {**dict(self.variables), **{name: shape for name, shape, _ in self.intermediates}}

    @cached_property
    def declared(self) -> dict[str, sp.Symbol]:
        """Element name → element symbol, for every element an answer may use."""
        return {
            element_name(name, idx): element_symbol(name, idx)
            for name, shape in self.shapes.items()
            for idx in indices(shape)
        }

    @cached_property
    def definitions(self) -> dict[sp.Symbol, sp.Expr]:
        """Each intermediate element symbol → its definition in the leaves."""
        leaves = dict(self.variables)
        out: dict[sp.Symbol, sp.Expr] = {}
        for name, shape, texts in self.intermediates:
            for idx, text in zip(indices(shape), texts, strict=True):
                out[element_symbol(name, idx)] = _parse_scalar(text, leaves)
        return out

    @cached_property
    def point(self) -> dict[sp.Symbol, sp.Expr] | None:
        """The given values (element symbol → exact number), or None for random points."""
        if not self.given:
            return None
        shapes = dict(self.variables)
        out = {}
        for name, texts in self.given:
            for idx, text in zip(indices(shapes[name]), texts, strict=True):
                out[element_symbol(name, idx)] = _parse_scalar(text, {})
        return out

    # ----- the solution -----
    @cached_property
    def part_solutions(self) -> dict[str, Any]:
        """Part key → SymPy solution (expression, ``ImmutableMatrix`` or ``ImmutableDenseNDimArray``)."""
        return {part.key: _shaped([_parse_scalar(t, self.shapes) for t in part.solution_text],
                                  part.shape) for part in self.parts}

    @property
    def solution(self) -> Any:
        """The SymPy solution; a dict part key → solution when there are several parts."""
        if len(self.parts) == 1:
            return self.part_solutions[self.parts[0].key]
        return dict(self.part_solutions)

    @cached_property
    def solution_latex(self) -> str:
        """The solution as LaTeX, one ``\\frac{∂..}{∂..} = ...`` line per part."""
        if len(self.parts) == 1:
            part = self.parts[0]
            return f"{part.tex} = {to_latex(self.part_solutions[part.key])}"
        lines = [f"{part.tex} &= {to_latex(self.part_solutions[part.key])}" for part in self.parts]
        return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"

    def answer_text(self) -> str | dict[str, str]:
        """The solution typed as an answer: parser text (a dict of texts for several parts)."""
        texts = {part.key: _nested_text(part.solution_text, part.shape) for part in self.parts}
        return texts[self.parts[0].key] if len(self.parts) == 1 else texts

    # ----- text -----
    @property
    def prompt(self) -> str:
        """The exercise as Markdown with LaTeX."""
        return self.render("md")

    @property
    def worked_solution(self) -> str:
        """The worked solution as Markdown with LaTeX."""
        return render.to_markdown(self.worked_blocks())

    def worked_blocks(self) -> tuple[Block, ...]:
        """The key: each part in the lecture's form (:mod:`~diffcheck.exercises.keyforms`), then
        the worked steps."""
        from diffcheck.exercises.keyforms import solution_blocks

        return (*solution_blocks(self), *self.worked)

    def render(self, fmt: str = "md", *, solutions: bool = False) -> str:
        """The exercise in ``"md"`` or ``"tex"``, with the worked solution if asked."""
        blocks = [("p", f"**Exercise {self.id}: {self.title}**"), *self.blocks]
        if solutions:
            blocks += list(self.worked_blocks())
        return render.render(blocks, fmt)

    def _repr_markdown_(self) -> str:
        return self.prompt

    # ----- grading -----
    @cached_property
    def grading_context(self) -> Context:
        """Grading points and solution values, computed once per exercise."""
        from diffcheck.exercises.grading import Context

        return Context(self)

    def grade(self, answer: Any, *, symbolic: str = "auto",
              checker: SymbolicChecker | None = None) -> Grade:
        """Grade ``answer`` (a string, SymPy object, nested lists, or a dict of parts).

        Never raises for what the answer contains. See :func:`diffcheck.exercises.grading.grade`.
        """
        from diffcheck.exercises.grading import grade

        return grade(self, answer, symbolic=symbolic, checker=checker)

    # ----- JSON -----
    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict; ``Exercise.from_dict`` rebuilds an equal exercise."""
        return {
            "id": self.id, "kind": self.kind, "seed": self.seed, "level": self.level,
            "format": FORMAT_VERSION, "title": self.title,
            "prompt": self.prompt,
            "blocks": [list(b) for b in self.blocks], "worked": [list(b) for b in self.worked],
            "variables": [[name, list(shape)] for name, shape in self.variables],
            "intermediates": [[n, list(s), list(t)] for n, s, t in self.intermediates],
            "given": [[name, list(texts)] for name, texts in self.given],
            "rtol": self.rtol, "atol": self.atol,
            "parts": [_part_dict(p) for p in self.parts],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Exercise:
        """Rebuild an exercise from ``to_dict()`` output (e.g. loaded JSON).

        Raises ValueError naming the first malformed field; solution text is parsed
        with the safe parser, so hostile JSON cannot run code.
        """
        from diffcheck.exercises.loading import exercise_fields

        exercise = cls(**exercise_fields(data))
        try:
            exercise.part_solutions, exercise.definitions, exercise.point  # noqa: B018 - validate
        except (ParseError, ValueError, KeyError) as error:
            raise ValueError(f"exercise {exercise.id!r}: invalid solution text: {error}") from None
        return exercise


def _part_dict(part: Part) -> dict[str, Any]:
    return {
        "key": part.key, "title": part.title, "tex": part.tex, "shape": list(part.shape),
        "labels": list(part.labels), "solution": list(part.solution_text),
        "layout": part.layout, "transpose_note": part.transpose_note,
        "claim": None if part.claim is None else list(part.claim), "batch": part.batch,
    }


def _parse_scalar(text: str, shapes: Mapping[str, Shape]) -> sp.Expr:
    value = parse(text, shapes, limits=TEXT_LIMITS)
    if isinstance(value, sp.NDimArray):
        raise ValueError(f"solution entry {text[:40]!r} is not a single value")
    return value


def _shaped(items: list[sp.Expr], shape: Shape) -> Any:
    """Flat items as a scalar, an ``ImmutableMatrix`` (2-D) or an immutable Array."""
    if not shape:
        return items[0]
    if len(shape) == 2:
        return sp.ImmutableMatrix(shape[0], shape[1], items)
    return sp.ImmutableDenseNDimArray(items, shape)


def _nested_text(items: tuple[str, ...], shape: Shape) -> str:
    """Flat element texts as one nested-list text: ``[[a, b], [c, d]]``."""
    texts = list(items)
    for n in reversed(shape):
        texts = [f"[{', '.join(texts[i:i + n])}]" for i in range(0, len(texts), n)]
    return texts[0]


def flat(value: Any) -> list[Any]:
    """The elements of a SymPy scalar, Matrix or Array in C order (``tolist`` is slow)."""
    if isinstance(value, sp.MatrixBase):
        return list(value)
    if isinstance(value, sp.NDimArray):
        size = math.prod(value.shape)
        return list(value if value.rank() == 1 else value.reshape(size)) if size else []
    return [value]


def texts_of(value: Any) -> tuple[str, ...]:
    """The element texts of a SymPy solution (scalar, Matrix or Array), in C order."""
    return tuple(to_text(v) for v in flat(value))
