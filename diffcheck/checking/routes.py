"""Routes through the graph: the lecture's "multiply the edges of a route, add the routes".

Used by ``check_chain`` (every route from x to y must pass through the intermediate
node) and by ``explain`` (the derivative as a sum over routes).
"""

from __future__ import annotations

from diffcheck.ir import Expr, Var, toposort
from diffcheck.printing import expr_str

LABEL_WIDTH = 40


def parents(y: Expr) -> dict[int, list[tuple[Expr, int]]]:
    """For each node id of ``y``'s graph, its users and the input slot it fills in each."""
    nodes = toposort(y)
    users: dict[int, list[tuple[Expr, int]]] = {id(n): [] for n in nodes}
    for node in nodes:
        for k, child in enumerate(node.inputs):
            users[id(child)].append((node, k))
    return users


Edge = tuple[Expr, Expr, int]  # (input node, node, input slot)


def routes(y: Expr, var: Var, limit: int = 1000) -> list[list[Edge]]:
    """Every route from the leaf ``var`` up to ``y`` as a list of edges, shortest first."""
    users = parents(y)
    found: list[list[Edge]] = []
    starts = [n for n in toposort(y) if isinstance(n, Var) and n.name == var.name]
    stack: list[tuple[Expr, list[Edge]]] = [(s, []) for s in starts]
    while stack and len(found) < limit:
        node, path = stack.pop()
        if node is y:
            found.append(path)
            continue
        stack.extend((user, path + [(node, user, k)]) for user, k in reversed(users[id(node)]))
    return sorted(found, key=len)


def bypassing_route(y: Expr, via: Expr, var: Var) -> list[Expr] | None:
    """A route from ``var`` to ``y`` that avoids ``via``, or None when every route passes it."""
    nodes = toposort(y)
    if not any(n is via for n in nodes):
        raise ValueError(f"via ({expr_str(via)}) is not a node of the expression's graph")
    users = parents(y)
    stack = [[n] for n in nodes if isinstance(n, Var) and n.name == var.name]
    seen: set[int] = set()
    while stack:
        path = stack.pop()
        node = path[-1]
        if node is via or id(node) in seen:
            continue
        seen.add(id(node))
        if node is y:
            return path
        stack.extend(path + [u] for u, _ in users[id(node)])
    return None


def label(node: Expr) -> str:
    """A node as short text for route listings."""
    text = expr_str(node)
    return text if len(text) <= LABEL_WIDTH else text[: LABEL_WIDTH - 1] + "…"


def describe_route(route: list[Expr]) -> str:
    """``a → a * (a + b)``: a route as the chain of its nodes."""
    return " → ".join(label(n) for n in route)


def substitute(y: Expr, old: Expr, new: Expr) -> Expr:
    """``y`` with the node ``old`` replaced by ``new`` (shapes must match); the rest is shared."""
    if old.shape != new.shape:
        raise ValueError(f"cannot substitute shape {new.shape} for a node of shape {old.shape}")
    rebuilt: dict[int, Expr] = {id(old): new}
    for node in toposort(y):
        if id(node) in rebuilt:
            continue
        inputs = tuple(rebuilt.get(id(x), x) for x in node.inputs)
        if all(a is b for a, b in zip(inputs, node.inputs)):
            rebuilt[id(node)] = node
        else:
            rebuilt[id(node)] = Expr(node.op, inputs, node.kwargs, node.shape)
    return rebuilt[id(y)]
