"""Feedback for a graded answer: per-part counts, the wrong elements by name, and hints.

Hints come from :mod:`diffcheck.diagnosis.hints` (transpose/layout, sign, factor, zero, few),
tested on the values at the grading points so that a hint is given only when it
explains the answer exactly. Parts whose elements are not named ``∂y[i]/∂x[j]`` in
numerator layout (a denominator-layout Jacobian, a block, a list of gradients) use
the same hint functions with the part's own element names. Everything the student
typed is echoed only through :func:`diffcheck.exercises.render.echo` (escaped, cut).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np

from diffcheck.checking.tolerances import EXERCISE_GRADING
from diffcheck.diagnosis.hints import claim_hints, factor_hint, few_hint, sign_hint, zero_hint
from diffcheck.exercises.render import echo
from diffcheck.exercises.symtext import Unprintable, to_text

if TYPE_CHECKING:
    from diffcheck.exercises.grading import Grade, PartResult
    from diffcheck.exercises.model import Exercise, Part

HINT_POINTS = 6
LISTED = 6


def first_points(values: np.ndarray, solution: np.ndarray, n: int) -> list[int]:
    """Indices of the points where every entry of both is finite (at most ``n``)."""
    finite = np.all(np.isfinite(values), axis=0) & np.all(np.isfinite(solution), axis=0)
    return [int(p) for p in itertools.islice(np.flatnonzero(finite), n)]


def _student(hint: str) -> str:
    return hint.replace("The claim", "Your answer").replace("the claim", "your answer")


def transpose_hint(part: Part, values: np.ndarray, solution: np.ndarray,
                   answer_shape: tuple[int, ...]) -> str | None:
    """The answer is the solution with its axes permuted (the transpose, for a matrix)."""
    if len(part.shape) < 2 or len(answer_shape) != len(part.shape) or len(part.shape) > 4:
        return None
    if values.shape[0] != solution.shape[0]:
        return None
    points = first_points(values, solution, HINT_POINTS)
    if not points:
        return None
    answer = values[:, points].reshape(answer_shape + (len(points),))
    reference = solution[:, points].reshape(part.shape + (len(points),))
    ndim = len(part.shape)
    for perm in itertools.permutations(range(ndim)):
        if perm == tuple(range(ndim)):
            continue
        moved = np.transpose(reference, perm + (ndim,))
        if moved.shape != answer.shape:
            continue
        if moved.shape == reference.shape and np.allclose(reference, moved, *EXERCISE_GRADING):
            continue  # symmetric under this permutation: it explains nothing
        if np.allclose(answer, moved, *EXERCISE_GRADING):
            what = "the transpose" if ndim == 2 else f"{part.title} with its axes in the order {perm}"
            note = f": {part.transpose_note}" if part.transpose_note else ""
            return f"transpose: your answer is {what} of the correct one{note}"
    return None


def part_hints(part: Part, values: np.ndarray, solution: np.ndarray, n: int) -> list[str]:
    """Every hint that exactly explains how a right-shaped answer differs."""
    points = first_points(values, solution, min(n, HINT_POINTS))
    if not points:
        return []
    pairs = [(values[:, p].reshape(part.shape), solution[:, p].reshape(part.shape)) for p in points]
    batch = {part.batch} if part.batch else set()
    if part.claim is not None:
        output, wrt, out_ndim = part.claim
        return [_student(h) for h in claim_hints(pairs, output, wrt, out_ndim, batch)]

    def namer(ix: np.ndarray) -> str:
        if not part.shape:
            return part.labels[0]
        return part.labels[int(np.ravel_multi_index(tuple(int(i) for i in ix), part.shape))]

    names = [namer] * len(pairs)
    transposed = transpose_hint(part, values, solution, part.shape)
    found = [transposed, sign_hint(pairs), factor_hint(pairs, batch), zero_hint(pairs, names)]
    hints = [h for h in found if h]
    if not hints:
        hints = [h for h in [few_hint(pairs, names)] if h]
    return [_student(h) for h in hints]


def _typed(result: PartResult, k: int) -> str:
    entries = result.entries
    if entries is None or k >= len(entries.items):
        return "?"
    source = entries.sources[k]
    if source is None:
        # Never str(): SymPy's default term ordering may evalf numeric parts, which can run
        # for minutes on exp(exp(exp(9))); to_text prints in argument order.
        try:
            source = to_text(entries.items[k])
        except Unprintable:
            return "an expression that cannot be shown"
    return echo(source, 40)


def _part_lines(result: PartResult, several: bool) -> list[str]:
    part, statuses = result.part, result.statuses
    title = f"{part.title} (`{part.key}`)" if several else part.title
    if result.message:
        right = statuses.count("correct")
        lines = [f"- {title}: {result.message}."]
        if right:
            lines.append(f"  {right} of {part.size} elements right where they stand.")
    else:
        right = statuses.count("correct")
        lines = [f"- {title}: {right} of {part.size} elements right."]
        wrong = [k for k, s in enumerate(statuses) if s == "incorrect"]
        if wrong:
            listed = ", ".join(f"{part.labels[k]} (you wrote {_typed(result, k)})"
                               for k in wrong[:LISTED])
            more = f", and {len(wrong) - LISTED} more" if len(wrong) > LISTED else ""
            lines.append(f"  Wrong: {listed}{more}.")
        ungraded = [part.labels[k] for k, s in enumerate(statuses) if s == "ungraded"]
        if ungraded:
            lines.append("  Could not be graded (not finite at the test points, and the symbolic "
                         f"check did not decide in time): {', '.join(ungraded[:LISTED])}"
                         f"{' ...' if len(ungraded) > LISTED else ''}.")
    lines += [f"  Hint: {hint}" for hint in result.hints]
    return lines


def compose(exercise: Exercise, results: list[PartResult], general: str = "") -> Grade:
    """The ``Grade``: score, verdict, per-element statuses and the feedback text.

    ``general`` is a problem with the whole answer (e.g. no mapping for several parts).
    """
    from diffcheck.exercises.grading import ElementGrade, Grade

    elements = tuple(ElementGrade(r.part.key, label, status) for r in results
                     for label, status in zip(r.part.labels, r.statuses, strict=True))
    fractions = [r.statuses.count("correct") / r.part.size for r in results]
    score = float(np.mean(fractions))
    correct = all(e.status == "correct" for e in elements)
    right = sum(e.status == "correct" for e in elements)
    if correct:
        return Grade(True, 1.0, f"Correct: all {len(elements)} elements are right.", elements)
    several = len(results) > 1
    lines = [f"Incorrect: {right} of {len(elements)} elements right (score {score:.2f})."]
    if general:
        lines.append(f"The answer could not be read: {general}.")
    else:
        for result in results:
            lines += _part_lines(result, several)
    hints = tuple((f"{r.part.title}: {h}" if several else h) for r in results for h in r.hints)
    return Grade(False, score, "\n".join(lines), elements, hints)
