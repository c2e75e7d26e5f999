"""Paired timing: medians over repeats, measured as ratios in one process."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")


def median_time(fn: Callable[[], object], repeats: int = 15, inner: int = 1) -> float:
    """Median seconds per call of ``fn`` over ``repeats`` runs of ``inner`` calls."""
    fn()  # warm up
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - start) / inner)
    samples.sort()
    return samples[len(samples) // 2]


def verdict(value: float, target: float, below: bool = True) -> str:
    """``(target ≤ 1.05×: met)`` — how a measured figure stands against the issue's target."""
    met = value <= target if below else value >= target
    return f"(target {'≤' if below else '≥'} {target:g}: {'met' if met else 'NOT met'})"


def paired_ratio(candidate: Callable[[], object], baseline: Callable[[], object],
                 rounds: int = 7, repeats: int = 5, inner: int = 1) -> tuple[float, float, float]:
    """Median of per-round ratios candidate/baseline, interleaved to cancel machine noise.

    Returns (ratio, candidate seconds, baseline seconds).
    """
    ratios, cands, bases = [], [], []
    for _ in range(rounds):
        b = median_time(baseline, repeats, inner)
        c = median_time(candidate, repeats, inner)
        ratios.append(c / b)
        cands.append(c)
        bases.append(b)
    ratios.sort()
    cands.sort()
    bases.sort()
    mid = len(ratios) // 2
    return ratios[mid], cands[mid], bases[mid]
