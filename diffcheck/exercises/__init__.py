"""Matrix-calculus homework: seeded exercise generators and a safe auto-grader.

>>> from diffcheck import exercises
>>> ex = exercises.generate("jacobian", seed=7)
>>> ex.grade(ex.solution).correct
True

Every exercise is built in diffcheck's IR and its solution derived by SymPy
(``dc.symbolic_jacobian``); the same ``(kind, seed)`` gives the same exercise on any
machine. Answers (strings, SymPy objects, nested lists) are parsed by the safe parser,
graded element by element at seeded points, and, where that is inconclusive, checked
symbolically in a resource-limited worker process (:class:`SymbolicChecker`).
"""

from __future__ import annotations

from diffcheck.exercises.common import Draft, finish, streams
from diffcheck.exercises.equivalence import SymbolicChecker
from diffcheck.exercises.grading import ElementGrade, Grade
from diffcheck.exercises.keyed import derived_seed
from diffcheck.exercises.kinds import KINDS, TABLE
from diffcheck.exercises.model import Exercise, Part

__all__ = ["KINDS", "ElementGrade", "Exercise", "Grade", "Part", "SymbolicChecker", "build",
           "generate"]


def build(kind: str, seed: int, level: int | None = None, *, secret: str | None = None,
          student: str = "") -> tuple[Exercise, Draft]:
    """The exercise and the generator's draft (with SymPy solutions and tape references).

    ``level=None`` lets the seed choose the difficulty; the id is ``f"{kind}-{seed}"``,
    or ``f"{kind}-{seed}-l{level}"`` when a level is given. With a ``secret`` or a
    ``student``, the generator's seed (``Exercise.seed``) is derived from them and
    ``seed`` by HMAC (:func:`diffcheck.exercises.keyed.derived_seed`); the id is unchanged.
    """
    if kind not in TABLE:
        raise ValueError(f"unknown exercise kind {kind!r}; kinds are: {', '.join(KINDS)}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    entry = TABLE[kind]
    if level is not None and (isinstance(level, bool) or level not in range(1, entry.levels + 1)):
        raise ValueError(f"level of {kind!r} must be 1..{entry.levels}, got {level!r}")
    used = derived_seed(kind, seed, level, student, secret)
    problem, _ = streams(used)
    chosen = int(problem.integers(1, entry.levels + 1)) if level is None else level
    exercise_id = f"{kind}-{seed}" if level is None else f"{kind}-{seed}-l{level}"
    draft = entry.make(problem, chosen)
    return finish(exercise_id, kind, used, chosen, draft), draft


def generate(kind: str, seed: int, level: int | None = None, *, secret: str | None = None,
             student: str = "") -> Exercise:
    """The exercise of ``kind`` drawn from ``seed`` (and ``level``, else chosen by the seed).

    ``secret`` and ``student`` key the exercise (see :func:`build`): the same arguments
    give the same exercise, and without the secret its seed cannot be recomputed.

    Raises:
        ValueError: unknown kind, negative seed or a level out of range.
    """
    return build(kind, seed, level, secret=secret, student=student)[0]
