"""The SymPy side at any size: default ``dc.check`` against the same check without SymPy.

For each small layer of ``_sympy_cases`` this prints:

- cold: the first default check in a process with every SymPy cache emptied (our
  structural caches, the per-node rule caches and SymPy's own), over a fresh expression;
- warm: the median default check of a fresh expression of the same structure, as a test
  suite meets it (each test builds its own expression; per-process caches are warm);
- again: the median second call on the same expression;
- the baseline: the median check with ``methods=("tape", "numeric")`` of a fresh expression;
- ``torch.autograd.gradcheck`` of the same function at the check's first point, when
  PyTorch is installed, and the warm check's ratio to it;
- the SymPy route the report names.

Ratios are to the baseline. ``--calibrate`` instead times the element-wise closed form
and the per-node route on small instances beside their predictions (``checking.cost``).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

import _sympy_cases as cases
from _timing import median_time, verdict
from _torch_graph import gradcheck_call

import diffcheck as dc
from diffcheck.backends import sympy_cache, sympy_chain, sympy_local, sympy_size
from diffcheck.checking import cost

TARGET, BAR, LIMIT = 5.0, 10.0, 2.0  # ratio target, ratio bar, seconds


def clear_sympy_caches() -> None:
    """Empty every cache of SymPy work in this process (the next check derives again)."""
    import sympy

    sympy_cache.clear()
    for cached in (sympy_local.elementwise_rule, sympy_local._matrix_rule,
                   sympy_local._sparse_jacobian, sympy_chain._chain, sympy_chain.plain_lowering,
                   sympy_size.local_paths):
        cached.cache_clear()
    sympy.core.cache.clear_cache()


def check(build: Callable[[], cases.Case], **options) -> dc.Report:
    case = build()
    return dc.check(case.y, case.wrt, **options)


def cold_time(build: Callable[[], cases.Case], repeats: int = 3) -> float:
    samples = []
    for _ in range(repeats):
        clear_sympy_caches()
        start = time.perf_counter()
        check(build)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def gradcheck_seconds(build: Callable[[], cases.Case], repeats: int) -> float | None:
    """``torch.autograd.gradcheck`` of the same function at the check's first point."""
    case = build()
    at = dc.checking.points.resolve(case.y, None, 0, 1).points[0]
    call = gradcheck_call(case.y, case.wrt, at)
    return None if call is None else median_time(call, repeats)


def main(repeats: int = 5) -> None:
    print(f"{'case':34s} {'cold':>8s} {'ratio':>7s} {'warm':>8s} {'ratio':>7s} {'again':>8s} "
          f"{'no SymPy':>9s} {'gradcheck':>10s} {'warm/gc':>8s}  route")
    for name, build in cases.CASES.items():
        cold = cold_time(build)
        warm = median_time(lambda b=build: check(b), repeats)
        base = median_time(lambda b=build: check(b, methods=("tape", "numeric")), repeats)
        case = build()
        report = dc.check(case.y, case.wrt)
        again = median_time(lambda c=case: dc.check(c.y, c.wrt), repeats)
        route = ("matrix form" if any("in matrix notation" in n for n in report.notes)
                 else "per-node" if any("per-node route" in n for n in report.notes) else "element-wise")
        torch_seconds = gradcheck_seconds(build, repeats)
        peer = ("(no torch)".rjust(10) + " " * 9 if torch_seconds is None
                else f"{torch_seconds:9.3f}s {warm / torch_seconds:7.2f}×")
        print(f"{name:34s} {cold:7.3f}s {cold / base:6.1f}× {warm:7.3f}s {warm / base:6.1f}× "
              f"{again:7.3f}s {base:8.3f}s {peer}  {route} {'ok' if report.ok else 'FAILED'}")
        print(f"{'':34s} cold ratio {verdict(cold / base, BAR)}, warm ratio "
              f"{verdict(warm / base, TARGET)}, cold seconds {verdict(cold, LIMIT)}")


def calibrate() -> None:
    """Measured seconds beside predicted ones, for both routes, on growing instances."""
    sizes = {"tanh layer": [(4, 3), (8, 6), (16, 17)], "layer norm": [(2, 4), (2, 8), (4, 8)],
             "residual": [(1, 3), (2, 3), (3, 3)], "running min": [(3,), (5,)]}
    builders = {"tanh layer": cases.tanh_layer, "layer norm": cases.layer_norm,
                "residual": cases.residual, "running min": cases.running_min}
    for name, shapes in sizes.items():
        for shape in shapes:
            for elementwise in (True, False):
                clear_sympy_caches()
                case = builders[name](*shape)
                y, var = case.y, case.wrt[0]
                closed, terms = cost.elementwise_seconds(y, var, 10**9)
                predicted = closed if elementwise else cost.per_node_seconds(y, var)
                at = dc.checking.points.resolve(y, None, 0, 1).points[0]
                start = time.perf_counter()
                try:
                    if elementwise:
                        dc.backends.symbolic.jacobian(y, var, at)
                    else:
                        dc.backends.sympy_per_node.jacobian(y, var, at)
                except TypeError as error:  # NumPy's select on a Piecewise of the closed form
                    print(f"{name:12s} {shape!s:8s} failed: {error}")
                    continue
                took = time.perf_counter() - start
                print(f"{name:12s} {shape!s:8s} {'element-wise' if elementwise else 'per-node':12s} "
                      f"terms {terms:9.3g}  predicted {predicted:8.3f}s  measured {took:8.3f}s")


if __name__ == "__main__":
    calibrate() if "--calibrate" in sys.argv else main()
