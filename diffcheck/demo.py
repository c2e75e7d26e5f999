"""``diffcheck demo``: every worked example of the lecture, checked three ways.

Each example builds its expression in the lecture's notation and runs ``dc.check``
with SymPy, the tape and numeric differences; the demo prints one row per check.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TextIO

import numpy as np

import diffcheck as dc
from diffcheck.report import Report


@dataclass(frozen=True)
class Example:
    """One lecture example: a title and a function yielding (what is checked, report)."""

    title: str
    run: Callable[[], Iterator[tuple[str, Report]]]


def graph_example() -> Iterator[tuple[str, Report]]:
    a, b = dc.scalar("a"), dc.scalar("b")
    c = a + b
    d = a * c
    report = dc.check(d, [a, b], {"a": 4, "b": 3}, name="d")
    grads = report.jacobians[(0, "a")]["tape"], report.jacobians[(0, "b")]["tape"]
    yield f"∂d/∂a = {float(grads[0]):g}, ∂d/∂b = {float(grads[1]):g} at a=4, b=3", report


def wx_example() -> Iterator[tuple[str, Report]]:
    W, x = dc.matrix("W", 4, 3), dc.vector("x", 3)
    yield "y = Wx: ∂y/∂x = W (4×3)", dc.check(W @ x, x, seed=1)
    yield "y = Wx: ∂y/∂W, a 4×4×3 tensor δ_ik x_j", dc.check(W @ x, W, seed=1)


def xw_example() -> Iterator[tuple[str, Report]]:
    x, W = dc.vector("x", 3), dc.matrix("W", 3, 4)
    report = dc.check(x @ W, x, seed=2)
    at = report.points[0]
    J = dc.jacobian(x @ W, x, at, layout="denominator")
    same = "= W" if np.allclose(J, at["W"]) else "!= W"
    yield f"y = xW (row vector): denominator-layout ∂y/∂x {same}", report


def batch_example() -> Iterator[tuple[str, Report]]:
    X, W = dc.matrix("X", 5, 3), dc.matrix("W", 3, 4)
    yield "Y = XW: ∂Y[i,:]/∂X[j,:] = Wᵀ if i = j else 0", dc.check(X @ W, [X, W], seed=3)


def chain_example() -> Iterator[tuple[str, Report]]:
    V, W, x = dc.matrix("V", 2, 4), dc.matrix("W", 4, 3), dc.vector("x", 3)
    yield "y = VWx: ∂y/∂x = VW", dc.check(V @ (W @ x), [x, W, V], seed=4)


EXAMPLES: list[Example] = [
    Example("computational graph a, b, c = a + b, d = a·c", graph_example),
    Example("Jacobian of y = Wx", wx_example),
    Example("row vectors y = xW", xw_example),
    Example("multiple data points Y = XW", batch_example),
    Example("chain rule y = VWx", chain_example),
]


def _error(report: Report) -> str:
    return f"{report.max_rel_error:.1e}"


def run(out: TextIO, examples: list[Example] | None = None) -> int:
    """Run every example, print a table, and return 0 when every check agrees, else 1."""
    rows = [("example", "what is checked", "methods", "max rel err", "verdict")]
    failures = []
    for example in examples or EXAMPLES:
        start = time.perf_counter()
        print(f"checking {example.title} ...", file=out, flush=True)
        for what, report in example.run():
            methods = ", ".join(report.methods)
            verdict = "agree" if report.ok else "DISAGREE"
            if report.kinks:
                verdict += f" ({len(report.kinks)} non-differentiable)"
            rows.append((example.title, what, methods, _error(report), verdict))
            if not report.ok:
                failures.append(report)
        elapsed = time.perf_counter() - start
        if elapsed > 2:
            print(f"  ({elapsed:.1f} s)", file=out, flush=True)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print(file=out)
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip(), file=out)
    for report in failures:
        print("\n" + str(report), file=out)
    total = len(rows) - 1
    print(f"\n{total - len(failures)} of {total} checks agree across sympy, tape and numeric.",
          file=out)
    return 1 if failures else 0
