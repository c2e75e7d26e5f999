"""The lecture's computational graph: ``c = a + b``, ``d = a·c`` at ``a = 4``, ``b = 3``.

Derives ``∂d/∂a`` the traditional way (SymPy's closed form), by the backwards pass
(multiply the edges of a route, add the routes), and checks all of it three ways.

    python examples/graph_abcd.py [-a 4] [-b 3]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import diffcheck as dc
from diffcheck.lecture.worked import graph_abcd, written


def local(expr: dc.Expr, wrt: str, at: dict[str, float]) -> float:
    """The derivative of one node with respect to one of its inputs (an edge's label)."""
    return float(dc.grad(expr, wrt, at))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The a, b, c, d graph of the lecture.")
    parser.add_argument("-a", type=float, default=4.0, help="value of a (default 4)")
    parser.add_argument("-b", type=float, default=3.0, help="value of b (default 3)")
    args = parser.parse_args(argv)

    g = graph_abcd()
    at = {"a": args.a, "b": args.b}
    a, b = args.a, args.b
    c, d = float(dc.evaluate(g.c, at)), float(dc.evaluate(g.d, at))
    print(f"a = {a:g}, b = {b:g}, c = a + b = {c:g}, d = a * c = {d:g}")

    print("\nThe traditional way (SymPy differentiates d = a*(a + b)):")
    for var in (g.a, g.b):
        closed = dc.symbolic_jacobian(g.d, var)
        print(f"  ∂d/∂{var.name} = {written(closed)} = {float(dc.grad(g.d, var, at)):g}")

    # Each node as a function of its own inputs, to read the edges' local derivatives.
    c_var = dc.scalar("c")
    d_bar = g.a * c_var
    c_bar = g.a + g.b
    dd_da, dd_dc = local(d_bar, "a", {"a": a, "c": c}), local(d_bar, "c", {"a": a, "c": c})
    dc_da, dc_db = local(c_bar, "a", at), local(c_bar, "b", at)
    print("\nThe backwards pass (multiply the edges of a route, add the routes):")
    print("  ∂d/∂d = 1")
    print(f"  ∂d/∂c = ∂d̄/∂c = a = {dd_dc:g}")
    print(f"  ∂d/∂a = ∂d̄/∂a + ∂d̄/∂c · ∂c̄/∂a = c + a·1 = {dd_da:g} + {dd_dc:g}·{dc_da:g} "
          f"= {dd_da + dd_dc * dc_da:g}")
    print(f"  ∂d/∂b = ∂d̄/∂c · ∂c̄/∂b = a·1 = {dd_dc * dc_db:g}")
    print(f"\nQ1: ∂d/∂b = {dd_dc * dc_db:g}   Q2: ∂d/∂c = {dd_dc:g}   Q3: ∂c/∂a = {dc_da:g}")

    report = dc.check(g.d, [g.a, g.b], at, name="d")
    print(f"\n{report.headline()} (max rel error {report.max_rel_error:.1e})")
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
