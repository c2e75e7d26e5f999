"""Hints from the graph's routes: a forgotten route, a missing activation derivative.

"Multiply the edges of a route, add the routes": a claim that equals the sum over a
proper subset of the routes from x to y, at every checked point, forgot the others;
a claim that equals the derivative with one elementwise node's local derivative
replaced by 1 stopped the chain at that node's input (a backward pass without σ′(z)).
Both are tested numerically (any form of claim), at every point.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from diffcheck.checking.routes import Edge, label
from diffcheck.diagnosis.edge_jacobians import EdgeJacobians, TooLarge, all_routes
from diffcheck.diagnosis.hints import ATOL, close
from diffcheck.ir import Const, Expr, Var, toposort

Point = dict[str, np.ndarray]


def _name(node: Expr, y: Expr, output: str, wrap: bool = True) -> str:
    """A node as text: the output's name, a variable's name, else its (short) expression."""
    if node is y:
        return output
    text = label(node)
    return text if not wrap or isinstance(node, Var) or " " not in text else f"({text})"


def describe(route: list[Edge], y: Expr, output: str) -> str:
    """``a → (a + b) → y``."""
    parts = [_name(route[0][0], y, output)]
    for child, node, k in route:
        repeated = sum(x is child for x in node.inputs) > 1
        parts.append(_name(node, y, output) + (f" (as its input {k + 1})" if repeated else ""))
    return " → ".join(parts)


def _scalar_contribution(route: list[Edge], y: Expr, output: str) -> str | None:
    """``a·1``: the route's edge derivatives (outermost first), when every node is scalar."""
    if any(node.shape or child.shape for child, node, _ in route):
        return None
    from diffcheck.diagnosis.explain import Graph

    names = {_name(node, y, output): node for node in toposort(y)
             if node is not y and not isinstance(node, (Var, Const))}
    try:
        graph = Graph(y, names, output)
        factors = [graph.local(node, k) for _, node, k in reversed(route)]
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    if any(f is None for f in factors):
        return None
    return "·".join(_factor_text(f) for f in factors)


def _factor_text(factor) -> str:
    text = str(factor)
    return text if factor.is_Atom or factor.is_Function or factor.is_Pow else f"({text})"


def _jacobians(y: Expr, var: Var, points: Sequence[Point]) -> list[EdgeJacobians] | None:
    try:
        return [EdgeJacobians(y, var, p) for p in points]
    except TooLarge:
        return None


def route_hint(y: Expr, var: Var, output: str, points: Sequence[Point],
               claims: Sequence[np.ndarray]) -> str | None:
    """The claim is the sum over a proper subset of the routes (the others forgotten)."""
    try:
        found = all_routes(y, var)
        if len(found) < 2:
            return None
        edges = _jacobians(y, var, points)
        if edges is None:
            return None
        products = [[e.route_product(r) for r in found] for e in edges]
    except (TooLarge, ValueError, ArithmeticError, TypeError):
        return None
    n = len(found)
    for size in range(n - 1, 0, -1):  # the largest subset that explains the claim
        for kept in itertools.combinations(range(n), size):
            if _explains(kept, products, claims):
                return _route_text(found, kept, y, output, var)
    return None


def _explains(kept, products, claims) -> bool:
    missing_matters = False
    for per_route, claim in zip(products, claims, strict=True):
        partial = sum(per_route[i] for i in kept)
        if not close(claim, partial):
            return False
        rest = sum(p for i, p in enumerate(per_route) if i not in kept)
        missing_matters |= bool(np.max(np.abs(rest), initial=0.0) > ATOL)
    return missing_matters


def _route_text(found, kept, y: Expr, output: str, var: Var) -> str:
    followed = [describe(found[i], y, output) for i in kept]
    missing = [found[i] for i in range(len(found)) if i not in kept]
    direct = " directly" if len(kept) == 1 and len(found[kept[0]]) == 1 else ""
    shown = " and ".join(describe(r, y, output) for r in missing)
    text = (f"route: you followed {' and '.join(followed)}{direct} but not {shown}; "
            f"∂{output}/∂{var.name} adds every route (multiply the edges of a route, add the "
            "routes)")
    if len(missing) == 1:
        contribution = _scalar_contribution(missing[0], y, output)
        if contribution:
            text += f"; the missing route contributes {contribution}"
    return text


def activation_hint(y: Expr, var: Var, output: str, points: Sequence[Point],
                    claims: Sequence[np.ndarray]) -> str | None:
    """The claim is the derivative with one elementwise node's derivative left out (or
    replaced by the node's own value, σ(z) for σ′(z))."""
    edges = _jacobians(y, var, points)
    if edges is None:
        return None
    try:
        for node, k in _elementwise_edges(edges):
            for kind in ("missing", "value"):
                if all(close(claim, e.total({(id(node), k): _replacement(e, node, kind)}))
                       for e, claim in zip(edges, claims, strict=True)):
                    return _activation_text(node, k, kind, y, output, edges)
    except (TooLarge, ValueError, ArithmeticError, TypeError):
        return None
    return None


def _elementwise_edges(all_edges: Sequence[EdgeJacobians]) -> list[tuple[Expr, int]]:
    """Edges (node, slot) of a one-input elementwise node whose derivative varies (σ, tanh,
    relu, exp, ...; not a sign change or a constant factor), the outermost first."""
    first = all_edges[0]
    found = []
    for node in reversed(_nodes(first)):
        if id(node) not in first.live or isinstance(node, Var):
            continue
        live_inputs = [k for k, x in enumerate(node.inputs) if id(x) in first.live]
        if len(live_inputs) != 1 or node.inputs[live_inputs[0]].shape != node.shape:
            continue
        k = live_inputs[0]
        diagonals = []
        for edges in all_edges:
            local = edges.local(node, k).reshape(node.size, node.size)
            diagonal = np.diag(local)
            if not np.allclose(local, np.diag(diagonal)):
                break
            diagonals.append(diagonal)
        else:
            if np.ptp(np.concatenate(diagonals)) > ATOL:
                found.append((node, k))
    return found


def _nodes(edges: EdgeJacobians) -> tuple[Expr, ...]:
    from diffcheck.backends.program import compile_program

    return compile_program(edges.y).nodes


def _replacement(edges: EdgeJacobians, node: Expr, kind: str) -> np.ndarray:
    values = np.ones(node.size) if kind == "missing" else edges.values[id(node)].ravel()
    return np.diag(values).reshape(node.shape + node.shape)


def _activation_text(node: Expr, k: int, kind: str, y: Expr, output: str,
                     all_edges: Sequence[EdgeJacobians]) -> str:
    inner = _name(node.inputs[k], y, output, False)
    name = f"{node.op}({inner})"
    op = node.op
    if kind == "missing":
        return (f"activation: the claim leaves out the derivative of {op} at {name}: the chain "
                f"stopped at its input {inner} — multiply by {op}′({inner})")
    extra = ""
    if all(np.allclose(np.diag(e.local(node, k).reshape(node.size, -1)),
                       e.values[id(node)].ravel() * (1 - e.values[id(node)].ravel()))
           for e in all_edges):
        extra = f": a missing factor (1 − {name})"
    return (f"activation: the claim uses the value {name} where the derivative "
            f"{op}′({inner}) belongs{extra}")
