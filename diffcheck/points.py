"""Seeded random points inside every op's domain and away from kinks.

Values are drawn with magnitudes in [0.25, 2] (never near 0, never all equal, so
no degenerate probe) from a generator seeded per call, never from global state.
A draw is kept when every node's inputs lie in its op's ``domain`` and every kink
op's input is at least ``KINK_MARGIN`` from its kink.
"""

from __future__ import annotations

import numpy as np

from diffcheck.backends.program import compile_program, run_forward
from diffcheck.ir import Expr, variables

KINK_MARGIN = 1e-3
TRIES = 200


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
        if any(np.any(np.abs(inputs[0] - k) < KINK_MARGIN) for k in record.kinks):
            return False
    return True


def random_points(expr: Expr, count: int, seed: int | None) -> list[dict[str, np.ndarray]]:
    """``count`` points for ``expr`` drawn from ``seed``; raise if the domain is too small."""
    rng = np.random.default_rng(seed)
    shapes = {name: var.shape for name, var in sorted(variables(expr).items())}
    found: list[dict[str, np.ndarray]] = []
    for attempt in range(TRIES):
        # After half the tries, draw positive values only: most domains are x > 0.
        signed = attempt < TRIES // 2
        point = {}
        for name, shape in shapes.items():
            magnitude = rng.uniform(0.25, 2.0, size=shape)
            sign = rng.choice([-1.0, 1.0], size=shape) if signed else 1.0
            point[name] = np.asarray(magnitude * sign, dtype=np.float64)
        if in_domain(expr, point):
            found.append(point)
            if len(found) == count:
                return found
    if found:
        return found
    raise ValueError(
        f"no random point in {TRIES} tries keeps every operation inside its domain "
        f"(for example log/sqrt of a positive value, a non-zero divisor); pass at=... "
        f"with values for {', '.join(shapes) or 'the variables'}"
    )
