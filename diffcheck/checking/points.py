"""Seeded random points inside every op's domain and away from kinks.

Values are drawn with magnitudes in [0.25, 2] (never near 0, never all equal, so
no degenerate probe) from a generator seeded per call, never from global state.
A draw is kept when every node's inputs lie in its op's ``domain`` and every kink
op's input is at least ``KINK_MARGIN`` from its kink. ``draw_points`` also says,
for the report, when fewer points than asked were checked and why.

``resolve`` gives a check its points: the random ones, or the given ones validated
(finite, at least one) and widened from float16, whose three digits are too coarse
for any derivative tolerance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diffcheck.backends.program import compile_program, run_forward
from diffcheck.ir import Const, Expr, Var, resolve_point, toposort, variables
from diffcheck.ops import REGISTRY
from diffcheck.symbols import element_name

KINK_MARGIN = 1e-3
TRIES = 200  # draws per request (at least two per requested point)
MAX_POINTS = 200  # a check draws at most this many random points


@dataclass(frozen=True)
class Points:
    """The points of one check, the seed that drew them (None when given), notes for the report."""

    points: list[dict[str, np.ndarray]]
    seed: int | None
    notes: list[str] = field(default_factory=list)


def resolve(expr: Expr, at: Any, seed: int | None, count: int) -> Points:
    """The points a check compares at: ``count`` random ones when ``at`` is None, else ``at``'s.

    Raises ValueError for a non-positive ``count``, an empty list of points, or a given
    value that is not finite (naming the variable and the element).
    """
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise ValueError(f"n_points must be a positive integer, got {count!r}")
    if at is None:
        return draw_points(expr, int(count), 0 if seed is None else seed)
    many = isinstance(at, (list, tuple))
    if many and not at:
        raise ValueError(
            "at is an empty list, so there is no point to check: pass a point "
            "(name -> value), a non-empty list of points, or at=None for random points"
        )
    notes: list[str] = []
    points = []
    for p, given in enumerate(at if many else [at]):
        point = resolve_point(expr, given)
        _refuse_non_finite(point, f" at point {p}" if many else "")
        points.append(_widened(point, notes))
    return Points(points, None, notes)


def _refuse_non_finite(point: Mapping[str, np.ndarray], where: str) -> None:
    """A ValueError naming the first element that is inf or NaN: no derivative is checked there."""
    for name, value in point.items():
        bad = ~np.isfinite(value)
        if bad.any():
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"the value of {name!r}{where} is not finite: {element_name(name, index)} = "
                f"{value[index]}; derivatives are checked at finite points only"
            )


def _widened(point: Mapping[str, np.ndarray], notes: list[str]) -> dict[str, np.ndarray]:
    """Copies of the values (the report keeps them); float16 ones in float64, with a note."""
    copies = {}
    for name, value in point.items():
        if value.dtype == np.float16:
            note = (
                f"{name} is float16, whose 3 significant digits are too few for any derivative "
                "tolerance: the check computes at the same values in float64"
            )
            if note not in notes:
                notes.append(note)
        copies[name] = value.astype(np.float64) if value.dtype == np.float16 else value.copy()
    return copies


def in_domain(expr: Expr, point: dict[str, np.ndarray]) -> bool:
    """True when ``point`` keeps every op inside its domain, finite, and off its kinks."""
    program = compile_program(expr)
    with np.errstate(all="ignore"):
        values = run_forward(program, point)
    for i, record in enumerate(program.records):
        if record is None:
            continue
        inputs = [values[a] for a in program.args[i]]
        if not np.all(np.isfinite(values[i])) or not record.domain(*inputs, **program.kwargs[i]):
            return False
        if record.has_kinks and np.any(record.kink_distance(*inputs, **program.kwargs[i]) < KINK_MARGIN):
            return False
    return True


def into_domain(expr: Expr, point: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``point`` with each variable that is an input of an op moved inside that input's
    domain by the record's ``into_domain`` (``A Aᵀ + nI`` for ``cholesky(A)``)."""
    moved = dict(point)
    for node in toposort(expr):
        if isinstance(node, Var | Const):
            continue
        record = REGISTRY[node.op]
        for k, x in enumerate(node.inputs):
            if isinstance(x, Var) and x.name in moved:
                moved[x.name] = np.asarray(record.into_domain(k, moved[x.name]), dtype=np.float64)
    return moved


def random_points(expr: Expr, count: int, seed: int | None) -> list[dict[str, np.ndarray]]:
    """Up to ``count`` points for ``expr`` drawn from ``seed``; raise if the domain is too small."""
    return draw_points(expr, count, seed).points


def draw_points(expr: Expr, count: int, seed: int | None) -> Points:
    """Up to ``count`` (at most ``MAX_POINTS``) seeded points, with notes when fewer are found."""
    notes = []
    if count > MAX_POINTS:
        notes.append(
            f"n_points={count} is more than the {MAX_POINTS} random points a check draws; "
            f"at most {MAX_POINTS} are checked (pass at=[...] to check more points)"
        )
        count = MAX_POINTS
    rng = np.random.default_rng(seed)
    shapes = {name: var.shape for name, var in sorted(variables(expr).items())}
    tries = max(TRIES, 2 * count)
    found: list[dict[str, np.ndarray]] = []
    for attempt in range(tries):
        point = into_domain(expr, _draw(rng, shapes, signed=attempt < tries // 2))
        if in_domain(expr, point):
            found.append(point)
            if len(found) == count:
                return Points(found, seed, notes)
    if not found:
        raise ValueError(
            f"no random point in {tries} tries keeps every operation inside its domain "
            f"(for example log/sqrt of a positive value, a non-zero divisor); pass at=... "
            f"with values for {', '.join(shapes) or 'the variables'}"
        )
    notes.append(
        f"only {len(found)} of the {count} requested random points lie inside every "
        f"operation's domain and away from its kinks ({tries} draws tried), so only "
        f"{len(found)} {'was' if len(found) == 1 else 'were'} checked; pass at=[...] "
        "to choose more points"
    )
    return Points(found, seed, notes)


def _draw(rng: np.random.Generator, shapes: dict[str, tuple], signed: bool) -> dict[str, np.ndarray]:
    """One candidate point; after half the tries only positive values (most domains are x > 0)."""
    point = {}
    for name, shape in shapes.items():
        magnitude = rng.uniform(0.25, 2.0, size=shape)
        sign = rng.choice([-1.0, 1.0], size=shape) if signed else 1.0
        point[name] = np.asarray(magnitude * sign, dtype=np.float64)
    return point
