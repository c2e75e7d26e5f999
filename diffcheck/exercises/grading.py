"""Grading: read the answer, compare element by element, explain what is wrong.

One partial-credit policy for every kind. For each part: read the answer safely
(:mod:`~diffcheck.exercises.answers`); ``None`` (or a missing part) is "no answer"; a
single ``0`` stands for an all-zero block. An answer of another shape with the same
number of axes is read in the asked layout, each entry at its own position (a
transposed Jacobian earns its diagonal, square or not), with both shapes named and a
transpose hint; another number of axes matches nothing and scores 0. Every element is
evaluated at the exercise's seeded points (or its given values) and compared with the
solution. An element is *inconclusive* when it is not
finite at some point or misses only by a rounding-sized amount; those go to the
symbolic worker (:class:`~diffcheck.exercises.equivalence.SymbolicChecker`), as do all
numerically agreeing elements with ``symbolic="always"`` (a wrong-shaped answer gets no
symbolic check: its undecided elements are "ungraded"). Answers using non-smooth
functions (abs, max, relu, ...) are compared at 64 points instead of 6.

The score is the fraction of correct elements, averaged over parts. ``grade`` never
raises for what an answer contains; everything echoed in feedback is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from diffcheck.exercises.answers import AnswerError, Entries, read_answer
from diffcheck.exercises.feedback import compose, part_hints, transpose_hint
from diffcheck.exercises.model import Exercise, Part, flat
from diffcheck.exercises.numeric import evaluate
from diffcheck.exercises.render import echo
from diffcheck.exercises.symtext import Unprintable, is_non_smooth, to_text
from diffcheck.symbols import element_symbol, indices

if TYPE_CHECKING:
    from diffcheck.exercises.equivalence import SymbolicChecker

POINTS, DENSE_POINTS = 6, 64
NEAR = 1e3  # a miss within NEAR × tolerance may be rounding: decided symbolically
MODES = ("auto", "always", "never")


@dataclass(frozen=True)
class ElementGrade:
    """One answer element: its part, its name (``∂y[1]/∂x[2]``) and its status.

    ``status`` is "correct", "incorrect", "invalid" (unreadable answer or wrong shape),
    "ungraded" (could not be decided) or "missing" (no answer for the part).
    """

    part: str
    label: str
    status: str


@dataclass(frozen=True)
class Grade:
    """The result of grading: ``correct`` iff every element is, ``score`` in [0, 1]."""

    correct: bool
    score: float
    feedback: str
    elements: tuple[ElementGrade, ...] = ()
    hints: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"correct": self.correct, "score": self.score, "feedback": self.feedback,
                "hints": list(self.hints),
                "elements": [[e.part, e.label, e.status] for e in self.elements]}


@dataclass
class PartResult:
    """Working state of one part while grading."""

    part: Part
    statuses: list[str]
    message: str = ""
    entries: Entries | None = None
    answer_values: np.ndarray | None = None
    hints: list[str] = field(default_factory=list)


class InvalidExercise(ValueError):
    """The exercise itself cannot be graded (a negative seed, a solution that is not finite
    at its given values); raised when the grading context is built, so at load time."""


class Context:
    """What grading needs from an exercise, computed once: points and solution values."""

    def __init__(self, exercise: Exercise):
        self.exercise = exercise
        self.definitions = exercise.definitions
        if exercise.point is not None:
            self.values = {s: np.array([float(v)]) for s, v in exercise.point.items()}
            self.n, self.dense = 1, 1
        else:
            if exercise.seed < 0:
                raise InvalidExercise(f"the seed must be a non-negative int, got {exercise.seed}")
            from diffcheck.exercises.common import streams

            _, rng = streams(exercise.seed)
            self.values, self.n, self.dense = {}, POINTS, DENSE_POINTS
            for name, shape in exercise.variables:
                size = (DENSE_POINTS, *shape)
                points = rng.uniform(0.25, 1.5, size) * rng.choice([-1.0, 1.0], size)
                for idx in indices(shape):
                    self.values[element_symbol(name, idx)] = points[(slice(None), *idx)]
        self.leaf_shapes = dict(exercise.variables)
        # Intermediates (z = Wx) get values too, so answers using them need no rewriting.
        symbols = list(self.definitions)
        for symbol, row in zip(symbols, evaluate(list(self.definitions.values()), self.values,
                                                 self.dense)):
            self.values[symbol] = row
        self.rough = any(is_non_smooth(d) for d in self.definitions.values())
        self.solutions = {p.key: flat(exercise.part_solutions[p.key]) for p in exercise.parts}
        # Floating point, like the answers: exact evaluation (sp.N) of text from a file could
        # take minutes (exp(exp(exp(9)))); generated exercises avoid ill-conditioned values.
        self.solution_values = {k: evaluate(v, self.values, self.dense)
                                for k, v in self.solutions.items()}
        if exercise.point is not None:
            self._require_finite_solution()

    def _require_finite_solution(self) -> None:
        """At given values every answer is compared once: a solution that is not finite
        there (a given value whose square overflows) would mark every answer wrong."""
        for part in self.exercise.parts:
            bad = ~np.isfinite(self.solution_values[part.key][:, 0])
            if bad.any():
                label = part.labels[int(np.flatnonzero(bad)[0])]
                raise InvalidExercise(f"the solution {label} is not finite in floating point at "
                                      "the given values")

    def in_leaves(self, items: list[sp.Expr]) -> list[sp.Expr]:
        """Intermediate names (``z[0]``) replaced by their definitions in the leaves."""
        return [e.xreplace(self.definitions) if self.definitions else e for e in items]


def grade(exercise: Exercise, answer: Any, *, symbolic: str = "auto",
          checker: SymbolicChecker | None = None) -> Grade:
    """Grade ``answer`` to ``exercise``.

    Args:
        answer: a string, a SymPy object, nested lists/arrays (numbers, strings or
            SymPy), or for exercises with several parts a mapping part key → answer.
        symbolic: "auto" (symbolic check only where numbers are inconclusive),
            "always" (also confirm numerically agreeing elements) or "never".
        checker: a :class:`SymbolicChecker` to reuse; by default one is started only
            if needed and stopped afterwards.
    """
    if symbolic not in MODES:
        raise ValueError(f"symbolic must be one of {', '.join(MODES)}, got {symbolic!r}")
    try:
        return _grade(exercise, answer, symbolic, checker)
    except InvalidExercise as error:
        feedback = f"Could not be graded: the exercise itself is invalid: {error}."
    except Exception as error:  # noqa: BLE001 - the contract: never raise for an answer
        feedback = f"Could not be graded: internal error ({type(error).__name__})."
    return Grade(False, 0.0, feedback, tuple(
        ElementGrade(p.key, label, "ungraded") for p in exercise.parts for label in p.labels))


def _grade(exercise: Exercise, answer: Any, symbolic: str, checker: Any) -> Grade:
    context: Context = exercise.grading_context
    try:
        raw = _split(exercise, answer)
    except AnswerError as error:
        results = [PartResult(p, ["invalid"] * p.size) for p in exercise.parts]
        return compose(exercise, results, general=echo(str(error), 300))
    results = [_numeric(context, part, raw.get(part.key)) for part in exercise.parts]
    _symbolic(context, results, symbolic, checker)
    for result in results:
        if result.answer_values is not None and "incorrect" in result.statuses and not result.message:
            values = result.answer_values
            solution = context.solution_values[result.part.key][:, :values.shape[1]]
            result.hints = part_hints(result.part, values, solution, context.n)
    return compose(exercise, results)


def _split(exercise: Exercise, answer: Any) -> dict[str, Any]:
    """Part key → raw answer; a mapping is needed (and checked) for several parts."""
    keys = [p.key for p in exercise.parts]
    if answer is None:
        return {}
    if isinstance(answer, Mapping):
        for key in answer:
            if not isinstance(key, str):
                raise AnswerError(f"part names must be strings, got {type(key).__name__}")
            if key not in keys:
                raise AnswerError(f"unknown part {key[:40]!r}; the parts are {', '.join(keys)}")
        return dict(answer)
    if len(keys) > 1:
        raise AnswerError(f"this exercise has {len(keys)} parts: answer with a mapping "
                          f"{{{', '.join(repr(k) + ': ...' for k in keys)}}}")
    return {keys[0]: answer}


def _numeric(context: Context, part: Part, raw: Any) -> PartResult:
    """Read and shape-check one part, then grade its elements at the points."""
    if raw is None:
        return PartResult(part, ["missing"] * part.size, "no answer")
    try:
        entries = read_answer(raw, context.exercise.shapes, context.exercise.declared)
    except AnswerError as error:
        return PartResult(part, ["invalid"] * part.size, echo(str(error), 300))
    entries = _reshape(entries, part.shape)
    items = list(entries.items)
    dense = context.rough or any(is_non_smooth(e) for e in items)
    n = context.dense if dense else context.n
    values = evaluate(items, context.values, n)
    solution = context.solution_values[part.key][:, :n]
    message, outside, hints = "", np.zeros(part.size, dtype=bool), []
    if entries.shape != part.shape:
        message = (f"your answer has shape {entries.shape}, but {part.title} has shape "
                   f"{part.shape}" + (f" in {part.layout} layout" if part.layout else ""))
        hint = transpose_hint(part, values, solution, entries.shape)
        hints = [hint] if hint else []
        if len(entries.shape) != len(part.shape):
            return PartResult(part, ["invalid"] * part.size, message + "; no element can be "
                              "matched to a position", entries, hints=hints)
        # Same number of axes: each element is graded at its own position in the asked layout.
        entries, values, outside = _at_positions(entries, values, part.shape)
        message += ("; each element is graded where it stands, as an entry of the asked "
                    f"layout: {int((~outside).sum())} of {part.size} positions are filled")
    tolerance = context.exercise.atol + context.exercise.rtol * np.abs(solution)
    error = np.abs(values - solution)
    finite = np.isfinite(values) & np.isfinite(solution)
    clear_miss = np.any(finite & ~(error <= NEAR * tolerance), axis=1)
    agree = np.all(finite & (error <= tolerance), axis=1)
    statuses = []
    for k in range(part.size):
        if outside[k]:
            statuses.append("invalid")
        elif clear_miss[k] or (n == 1 and not agree[k]):
            statuses.append("incorrect")
        elif agree[k]:
            statuses.append("correct")
        else:  # a wrong-shaped answer gets no symbolic check (it cannot be fully right)
            statuses.append("ungraded" if message else "inconclusive")
    return PartResult(part, statuses, message, entries, values, hints)


def _at_positions(entries: Entries, values: np.ndarray, shape: tuple[int, ...]
                  ) -> tuple[Entries, np.ndarray, np.ndarray]:
    """An answer of another shape (same number of axes) laid on the asked shape: entry
    ``[i, j]`` of the answer is read as entry ``[i, j]`` of the asked layout; positions the
    answer does not reach are marked ``outside`` (and its extra entries are ignored)."""
    size = int(np.prod(shape))
    items: list[sp.Expr] = [sp.S.Zero] * size
    sources: list[str | None] = [None] * size
    laid = np.full((size, values.shape[1]), np.nan)
    outside = np.ones(size, dtype=bool)
    for k, idx in enumerate(indices(shape)):
        if all(i < n for i, n in zip(idx, entries.shape, strict=True)):
            source = int(np.ravel_multi_index(idx, entries.shape))
            items[k], sources[k] = entries.items[source], entries.sources[source]
            laid[k], outside[k] = values[source], False
    return Entries(shape, tuple(items), tuple(sources)), laid, outside


def _reshape(entries: Entries, shape: tuple[int, ...]) -> Entries:
    """Accept a column/row for a vector, a 1-element list for a scalar, and a single ``0``
    for an all-zero block (it is then graded element by element like any other answer)."""
    size = int(np.prod(shape)) if shape else 1
    if shape and entries.shape == () and entries.items[0] == 0:
        return Entries(shape, (sp.S.Zero,) * size, (entries.sources[0],) * size)
    if entries.shape == shape or len(entries.items) != size:
        return entries
    if (len(shape) <= 1 and entries.shape in ((size,), (size, 1), (1, size))) or (
            not shape and entries.shape in ((1,), (1, 1))):
        return Entries(shape, entries.items, entries.sources)
    return entries


def _symbolic(context: Context, results: list[PartResult], mode: str, checker: Any) -> None:
    """Decide inconclusive elements (and, with "always", confirm agreeing ones) symbolically."""
    jobs: list[tuple[PartResult, int, sp.Expr, sp.Expr]] = []
    for result in results:
        if result.entries is None or result.answer_values is None:
            continue
        answer = context.in_leaves(list(result.entries.items))
        solution = context.in_leaves(context.solutions[result.part.key])
        for k, status in enumerate(result.statuses):
            if status == "inconclusive" or (mode == "always" and status == "correct"):
                if answer[k] == solution[k]:
                    result.statuses[k] = "correct"
                else:
                    jobs.append((result, k, answer[k], solution[k]))
    if not jobs or mode == "never":
        _settle(jobs, ["unknown"] * len(jobs))
        return
    pairs, printable = [], []
    for _, _, a, b in jobs:
        try:
            pairs.append((to_text(a), to_text(b)))
            printable.append(True)
        except Unprintable:
            printable.append(False)
    if checker is None:
        from diffcheck.exercises.equivalence import SymbolicChecker

        with SymbolicChecker() as own:
            decided = iter(own.check(pairs, context.leaf_shapes))
    else:
        decided = iter(checker.check(pairs, context.leaf_shapes))
    _settle(jobs, [next(decided) if ok else "unknown" for ok in printable])


def _settle(jobs: list[tuple[PartResult, int, Any, Any]], verdicts: list[str]) -> None:
    for (result, k, _, _), verdict in zip(jobs, verdicts, strict=True):
        was = result.statuses[k]
        if verdict == "equal":
            result.statuses[k] = "correct"
        elif verdict == "different":
            result.statuses[k] = "incorrect"
        elif was == "inconclusive":
            result.statuses[k] = "ungraded"

