"""Edge Jacobians and per-route products: the lecture's rule, evaluated at a point.

For the hints about forgotten routes and missing activation derivatives, the
derivative ``∂y/∂x`` is rebuilt from the local Jacobian of every edge of the graph
(each node differentiated alone, with its inputs as fresh variables, by the tape),
either route by route ("multiply the edges of a route") or as a whole with one edge
changed. This is a diagnosis: it never decides a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from diffcheck.backends.program import compile_program, point_dtype, run_forward
from diffcheck.checking.routes import Edge, routes
from diffcheck.derivatives import jacobian_numerator
from diffcheck.ir import Const, Expr, Var

MAX_NODES = 60  # live nodes between x and y
MAX_EDGE_ELEMENTS = 20_000  # elements of one edge Jacobian
MAX_ROUTES = 10  # route subsets are enumerated: 2**10 at most


class TooLarge(Exception):
    """The graph is too large for route-level diagnosis (it is skipped, never guessed)."""


@dataclass
class EdgeJacobians:
    """The local Jacobians of ``y``'s edges at one point, computed on demand and kept."""

    y: Expr
    var: Var
    point: dict[str, np.ndarray]
    values: dict[int, np.ndarray] = field(default_factory=dict)
    cache: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        program = compile_program(self.y)
        live = program.live((self.var.name,))
        if sum(map(bool, live)) > MAX_NODES:
            raise TooLarge(f"more than {MAX_NODES} nodes depend on {self.var.name}")
        with np.errstate(all="ignore"):
            values = run_forward(program, self.point, point_dtype(self.point))
        self.values = {id(n): np.asarray(v, dtype=float) for n, v in zip(program.nodes, values,
                                                                          strict=True)}
        self.live = {id(n) for n, flag in zip(program.nodes, live, strict=True) if flag}

    def local(self, node: Expr, k: int) -> np.ndarray:
        """``∂node/∂input_k`` at the point, shape ``node.shape + input.shape``."""
        key = (id(node), k)
        if key not in self.cache:
            child = node.inputs[k]
            if node.size * child.size > MAX_EDGE_ELEMENTS:
                raise TooLarge(f"an edge Jacobian has {node.size * child.size} elements")
            names = [f"in{i}" for i in range(len(node.inputs))]
            inputs = tuple(
                x if isinstance(x, Const) else Var(name, x.shape)
                for name, x in zip(names, node.inputs, strict=True)
            )
            alone = Expr(node.op, inputs, node.kwargs, node.shape)
            at = {name: self.values[id(x)] for name, x in zip(names, node.inputs, strict=True)
                  if not isinstance(x, Const)}
            self.cache[key] = jacobian_numerator(alone, inputs[k], at, "tape")
        return self.cache[key]

    def route_product(self, route: list[Edge]) -> np.ndarray:
        """The product of a route's edge Jacobians, shape ``y.shape + x.shape``."""
        product = np.eye(self.var.size).reshape(self.var.shape + self.var.shape)
        for child, node, k in route:
            product = np.tensordot(self.local(node, k), product, axes=child.ndim)
        return product

    def total(self, replaced: dict[tuple[int, int], np.ndarray] | None = None) -> np.ndarray:
        """``∂y/∂x`` summed over every edge (forward accumulation), with some edge Jacobians
        ``replaced`` (keyed by (node id, input slot))."""
        replaced = replaced or {}
        program = compile_program(self.y)
        d: dict[int, np.ndarray] = {}
        for node in program.nodes:
            if id(node) not in self.live:
                continue
            if isinstance(node, Var):
                d[id(node)] = np.eye(node.size).reshape(node.shape + node.shape)
                continue
            acc = np.zeros(node.shape + self.var.shape)
            for k, child in enumerate(node.inputs):
                if id(child) in d:
                    local = replaced.get((id(node), k))
                    local = self.local(node, k) if local is None else local
                    acc = acc + np.tensordot(local, d[id(child)], axes=child.ndim)
            d[id(node)] = acc
        return d[id(self.y)]


def all_routes(y: Expr, var: Var) -> list[list[Edge]]:
    """Every route from ``var`` to ``y``; TooLarge when there are more than MAX_ROUTES."""
    found = routes(y, var, limit=MAX_ROUTES + 1)
    if len(found) > MAX_ROUTES:
        raise TooLarge(f"more than {MAX_ROUTES} routes")
    return found
