"""Explain a derivative the way the lecture does: the graph, its edges, the sum over routes.

"Multiply the edges of a route, add the routes": ``explain`` lists every node, the
local derivative on every edge (derived by SymPy from the op's lowering), and the
derivative as the sum over routes of products of edge derivatives, with values when
a point is given. ``to_dot`` draws the same graph for Graphviz.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from typing import Any

import numpy as np

from diffcheck.backends.program import compile_program, point_dtype, run_forward
from diffcheck.checking.routes import routes
from diffcheck.ir import Const, Expr, Var, resolve_point
from diffcheck.ops.notation import Text
from diffcheck.printing import const_str

MAX_ROUTES = 50
BAR = "\u0304"  # combining macron: d̄ is d with its other inputs held fixed


class Graph:
    """Names, definitions and local derivatives of one expression's nodes."""

    def __init__(self, y: Expr, names: Mapping[str, Expr] | None, output: str):
        self.y = y
        self.program = compile_program(y)
        given = {id(node): name for name, node in (names or {}).items()}
        given.setdefault(id(y), output)
        self.names: dict[int, str] = {}
        counter = 0
        for node in self.program.nodes:
            if isinstance(node, Var):
                self.names[id(node)] = node.name
            elif isinstance(node, Const):
                self.names[id(node)] = const_str(node.value)
            elif id(node) in given:
                self.names[id(node)] = given[id(node)]
            else:
                counter += 1
                self.names[id(node)] = f"n{counter}"

    def name(self, node: Expr) -> str:
        return self.names[id(node)]

    def definition(self, node: Expr) -> str:
        """``a * c``: a node in terms of its inputs' names, as its op record prints it."""
        from diffcheck.ops import REGISTRY

        names = [Text(self.name(x)) for x in node.inputs]  # names are atoms: no parentheses
        return REGISTRY[node.op].text(names, **node.kwargs).text

    def local(self, node: Expr, k: int) -> Any:
        """SymPy's ∂node/∂input_k for scalar nodes, in terms of the inputs' names."""
        if node.shape or any(x.shape for x in node.inputs):
            return None
        (_, _, derivative), = self._entries(node, k)
        return derivative

    def sample_entry(self, node: Expr, k: int) -> str | None:
        """The first non-zero entry of a tensor edge's Jacobian, derived by SymPy."""
        from diffcheck.symbols import element_name, element_symbol

        for i, j, derivative in self._entries(node, k):
            if derivative != 0:
                top = element_name(self.name(node), i)
                return f"∂{top}/∂{element_symbol(self.name(node.inputs[k]), j)} = {derivative}"
        return None

    def _entries(self, node: Expr, k: int):
        """``(i, j, ∂node[i]/∂input_k[j])`` from ``sympy_local``, in the inputs' names
        (constants go in as numbers, so x**2 differentiates to 2*x)."""
        from diffcheck.backends import sympy_local
        from diffcheck.ops import REGISTRY

        return sympy_local.symbolic_entries(
            REGISTRY[node.op], k, [x.shape for x in node.inputs], node.kwargs,
            sympy_local.node_constants(node), [self.name(x) for x in node.inputs],
        )

    def shape_text(self, node: Expr) -> str:
        return "scalar" if not node.shape else f"shape {node.shape}"


def _edge_text(graph: Graph, node: Expr, k: int) -> str:
    local = graph.local(node, k)
    if local is not None:
        return str(local)
    shape = node.shape + node.inputs[k].shape
    sample = graph.sample_entry(node, k)
    return f"a {shape} Jacobian" + (f", e.g. {sample}" if sample else ", all zero")


def _factor(local: Any) -> str:
    """A local derivative as a factor of a product: parenthesised when it is a sum."""
    text = str(local)
    return f"({text})" if local.is_Add else text


def explain(
    y: Expr,
    wrt: Var | str,
    at: Mapping[Any, Any] | None = None,
    *,
    names: Mapping[str, Expr] | None = None,
    output: str = "y",
) -> str:
    """The computational graph of ``y``, each edge's local derivative, and ``∂y/∂wrt`` as
    the sum over routes of the product of edge derivatives (evaluated at ``at`` if given);
    for a scalar ``y`` and a vector or matrix ``wrt``, also the derivative in matrix
    notation (``dc.closed_form``) when every op on the way has a matrix-level rule.

    ``names`` labels intermediate nodes (``{"c": c}``); others are called n1, n2, ...
    """
    from diffcheck.derivatives import as_var, jacobian

    var = as_var(wrt, y)
    graph = Graph(y, names, output)
    point = resolve_point(y, at) if at is not None else None
    numbers: dict[str, float] = {}
    if point is not None:
        with np.errstate(all="ignore"):
            values = run_forward(graph.program, point, point_dtype(point))
        for node, value in zip(graph.program.nodes, values, strict=True):
            if not node.shape:
                numbers[graph.name(node)] = float(value)
    lines = ["Computational graph (each node after its inputs):"]
    for node in graph.program.nodes:
        if isinstance(node, Const):
            continue
        head = graph.name(node)
        if not isinstance(node, Var):
            head += f" = {graph.definition(node)}"
        value = f" = {numbers[graph.name(node)]:g}" if graph.name(node) in numbers else ""
        lines.append(f"  {head}{value}    ({graph.shape_text(node)})")
    lines.append("Local derivatives (one per edge):")
    for node in graph.program.nodes:
        for k, child in enumerate(node.inputs):
            if isinstance(child, Const):
                continue
            edge = _edge_text(graph, node, k)
            lines.append(f"  ∂{graph.name(node)}/∂{graph.name(child)} = {edge}")
    found = routes(y, var, limit=MAX_ROUTES + 1)
    out_name, x_name = graph.name(y), var.name
    lines.append(
        f"Routes from {x_name} to {out_name} (multiply the edges of a route, add the routes):"
    )
    symbolic_terms, factor_texts = [], []
    for route in found[:MAX_ROUTES]:
        factors = [
            f"∂{graph.name(top)}{BAR}/∂{graph.name(bottom)}" for bottom, top, _ in reversed(route)
        ]
        locals_ = [graph.local(top, k) for _, top, k in reversed(route)]
        factor_texts.append("·".join(factors))
        chain = " → ".join([graph.name(route[0][0])] + [graph.name(top) for _, top, _ in route])
        lines.append(f"  {chain}:  {'·'.join(factors)}")
        if all(loc is not None for loc in locals_):
            symbolic_terms.append("·".join(_factor(loc) for loc in locals_))
    if len(found) > MAX_ROUTES:
        lines.append(f"  ... more than {MAX_ROUTES} routes; the list is cut")
    total = f"∂{out_name}/∂{x_name} = " + " + ".join(factor_texts or ["0"])
    if symbolic_terms and len(symbolic_terms) == len(factor_texts):
        total += " = " + " + ".join(symbolic_terms).replace("+ -", "- ")
    if point is not None:
        derivative = jacobian(y, var, point)
        if derivative.ndim == 0:
            total += f" = {float(derivative):g}"
        else:
            lines.append(total)
            matrix = np.array2string(derivative, precision=6)
            total = f"  value at the point, shape {derivative.shape}:\n{matrix}"
    lines.append(total)
    form = _matrix_notation(y, var)
    if form is not None:
        lines.append(f"In matrix notation (dc.closed_form): ∂{out_name}/∂{x_name} = {form}")
    return "\n".join(lines)


def _matrix_notation(y: Expr, var: Var) -> str | None:
    """The derivative of a scalar ``y`` by a vector or matrix ``var`` as the lecture writes
    it (``Xᵀ(relu′(X W₁) ⊙ …)``), when every op on the way has a matrix-level rule."""
    if y.shape != () or var.ndim == 0:
        return None
    from diffcheck.matrix_forms import closed_form

    try:
        return str(closed_form(y, var))
    except ValueError:  # an op without a matrix-level rule: the routes above say it all
        return None


def to_dot(e: Expr, path: str | None = None, *, names: Mapping[str, Expr] | None = None) -> str:
    """Graphviz DOT source of ``e``'s graph, edges labelled with local derivatives.

    With ``path`` the graph is also rendered (format from the file's suffix) by the
    ``dot`` program, which must be installed.
    """
    graph = Graph(e, names, "y")
    lines = ["digraph diffcheck {", "  rankdir=BT;", '  node [shape=box, fontname="Helvetica"];']
    for i, node in enumerate(graph.program.nodes):
        if isinstance(node, (Var, Const)):
            label = graph.name(node)
        else:
            label = f"{graph.name(node)} = {graph.definition(node)}"
        if node.shape:
            label += f"\\n{node.shape}"
        lines.append(f'  n{i} [label="{_escape(label)}"];')
    for i, node in enumerate(graph.program.nodes):
        for k, a in enumerate(graph.program.args[i]):
            child = graph.program.nodes[a]
            text = "" if isinstance(child, Const) else _edge_text(graph, node, k)
            lines.append(f'  n{a} -> n{i} [label="{_escape(text)}"];')
    lines.append("}")
    source = "\n".join(lines) + "\n"
    if path is not None:
        render_dot(source, path)
    return source


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\\\\n", "\\n")


def render_dot(source: str, path: str) -> None:
    """Render DOT source to ``path`` with Graphviz; the format is the file's suffix."""
    program = shutil.which("dot")
    if program is None:
        raise RuntimeError("rendering needs the Graphviz 'dot' program; install graphviz")
    fmt = path.rsplit(".", 1)[-1] if "." in path else "svg"
    subprocess.run([program, f"-T{fmt}", "-o", path], input=source.encode(), check=True)  # noqa: S603
