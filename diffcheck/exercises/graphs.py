"""``graph``: a small computational graph (``c = a + b, d = a·c``); give ``∂out/∂node`` for all.

The graph is drawn as a recipe (each new node combines the newest node with an
earlier one, so some leaf gets two routes, as ``a`` does in the lecture) and built
twice per node: as is, and with that node cut into a variable, so SymPy derives the
backward-pass quantity ``∂out/∂node`` ("multiply the edges of a route, add the
routes"). Level 1 gives values (answers are numbers); levels 2–3 are symbolic.
"""

from __future__ import annotations

import re
import string

import numpy as np
import sympy as sp

import diffcheck as dc
from diffcheck.exercises.common import (
    NUMERIC_TOLERANCE,
    SYMBOLIC_TOLERANCE,
    Draft,
    DraftPart,
    answer_help,
)
from diffcheck.exercises.linear import pick
from diffcheck.exercises.symtext import tex_name
from diffcheck.ir import variables
from diffcheck.symbols import element_symbol

BINARY = {"+": lambda u, v: u + v, "-": lambda u, v: u - v, "*": lambda u, v: u * v}
UNARY = {"exp": lambda u: dc.exp(u), "sigmoid": lambda u: dc.sigmoid(u),
         "tanh": lambda u: dc.tanh(u), "square": lambda u: u ** 2}
UNARY_TEXT = {"square": "%s**2"}  # how a step prints when it is not a call
UNARY_TEX = {"exp": r"e^{%s}", "sigmoid": r"\sigma(%s)", "tanh": r"\tanh(%s)", "square": "%s^2"}

Step = tuple[str, str, tuple[str, ...]]  # (node name, op, operand names)


def draw_recipe(rng: np.random.Generator, level: int) -> tuple[list[str], list[Step]]:
    """Leaves and steps; every node feeds the next one, so all reach the output."""
    n_leaves = 2 if level < 3 else pick(rng, [2, 3])
    n_steps = n_leaves + int(rng.integers(0, 2))
    names = iter(string.ascii_lowercase)
    leaves = [next(names) for _ in range(n_leaves)]
    unused, nodes, steps = leaves[2:], list(leaves), []
    unary_at = int(rng.integers(1, n_steps)) if level >= 3 else -1
    for k in range(n_steps):
        name = next(names)
        if k == 0:
            steps.append((name, pick(rng, ["+", "*", "-"]), (leaves[0], leaves[1])))
        elif k == unary_at:
            steps.append((name, pick(rng, sorted(UNARY)), (nodes[-1],)))
        else:
            other = unused.pop(0) if unused else pick(rng, nodes[:-1])
            steps.append((name, pick(rng, ["+", "*", "-", "*"]), (nodes[-1], other)))
        nodes.append(name)
    return leaves, steps


def build(leaves: list[str], steps: list[Step], cut: str | None = None) -> dict[str, dc.Expr]:
    """Every node of the recipe by name; the node ``cut`` becomes a scalar variable."""
    nodes: dict[str, dc.Expr] = {name: dc.scalar(name) for name in leaves}
    for name, op, args in steps:
        if name == cut:
            nodes[name] = dc.scalar(name)
        elif op in BINARY:
            nodes[name] = BINARY[op](nodes[args[0]], nodes[args[1]])
        else:
            nodes[name] = UNARY[op](nodes[args[0]])
    return nodes


def step_tex(op: str, args: tuple[str, ...]) -> str:
    if op in UNARY_TEX:
        return UNARY_TEX[op] % args[0]
    symbol = r"\cdot" if op == "*" else op
    return f"{args[0]} {symbol} {args[1]}"


def step_text(op: str, args: tuple[str, ...]) -> str:
    if op in UNARY:
        return UNARY_TEXT.get(op, op + "(%s)") % args[0]
    return f"{args[0]} {op} {args[1]}"


def make_graph(rng: np.random.Generator, level: int) -> Draft:
    """Give ``∂out/∂node`` for every node but the output (numbers at level 1)."""
    for _ in range(50):  # redraw the rare graph whose output does not depend on every node
        leaves, steps = draw_recipe(rng, level)
        out = steps[-1][0]
        nodes = build(leaves, steps)
        order = leaves + [s[0] for s in steps[:-1]]
        grads = [_node_gradient(leaves, steps, name, nodes) for name in order]
        if all(g != 0 for g in grads):
            break
    values = rng.permutation(np.arange(1, 7))[: len(leaves)]
    given = {name: np.array(float(v)) for name, v in zip(leaves, values)} if level == 1 else {}
    exact = {element_symbol(n, ()): sp.Integer(int(v)) for n, v in given.items()}
    solution = sp.ImmutableDenseNDimArray([g.xreplace(exact) for g in grads], (len(order),))
    labels = tuple(f"∂{out}/∂{name}" for name in order)
    reference = _reference(leaves, steps, order)
    part = DraftPart(key="grad", title=f"∂{out}/∂(every node)",
                     tex=r"\left[" + ", ".join(rf"\frac{{\partial {out}}}{{\partial {tex_name(n)}}}"
                                               for n in order) + r"\right]",
                     solution=solution, labels=labels, reference=reference)
    program = "\n".join([*(f"{n} = {int(given[n])}" if given else f"{n}" for n in leaves),
                         *(f"{name} = {step_text(op, args)}" for name, op, args in steps)])
    intermediates = [(name, nodes[name]) for name, _, _ in steps[:-1]]
    blocks = [
        ("p", "Consider the computational graph"),
        ("code", program),
        ("p", f"Give the derivative of the output `{out}` with respect to every other node, in "
              f"the order {', '.join(order)}, as a list "
              + "$" + part.tex + "$"
              + (" at the values above (numbers)." if given else
                 f" (each holding the other inputs of `{out}`'s graph fixed: the quantity the "
                 "backward pass computes).")),
        *answer_help([part], {n: () for n in leaves},
                     [(n, f"the node ${n} = {step_tex(op, a)}$") for n, op, a in steps[:-1]],
                     numeric=bool(given)),
    ]
    return Draft(title=f"Computational graph with {len(leaves)} inputs (level {level})",
                 blocks=blocks, worked=_worked(leaves, steps, order, given),
                 variables={n: () for n in leaves}, parts=[part], intermediates=intermediates,
                 given=given, tolerance=NUMERIC_TOLERANCE if given else SYMBOLIC_TOLERANCE)


def _node_gradient(leaves: list[str], steps: list[Step], name: str,
                   nodes: dict[str, dc.Expr]) -> sp.Expr:
    """``∂out/∂name`` by SymPy, in the leaves (an intermediate is cut, then put back)."""
    out = steps[-1][0]
    if name in leaves:
        return dc.symbolic_jacobian(nodes[out], name)
    cut = build(leaves, steps, cut=name)
    derivative = dc.symbolic_jacobian(cut[out], name)
    return derivative.xreplace({element_symbol(name, ()): dc.to_sympy(nodes[name])})


def _reference(leaves: list[str], steps: list[Step], order: list[str]):
    """For tests: the tape's ``∂out/∂node`` at a point, cutting intermediates likewise."""
    out = steps[-1][0]

    def reference(point: dict[str, np.ndarray]) -> np.ndarray:
        full = build(leaves, steps)
        values = []
        for name in order:
            cut = build(leaves, steps, cut=name if name not in leaves else None)
            at = dict(point)
            if name not in leaves:
                needed = variables(full[name])
                at[name] = dc.evaluate(full[name], {k: v for k, v in point.items() if k in needed})
            used = variables(cut[out])
            values.append(float(dc.grad(cut[out], name, {k: v for k, v in at.items() if k in used})))
        return np.array(values)

    return reference


def tidy_line(line: str) -> str:
    """A route-sum line as a teacher writes it: no repeated ``= 1 = 1``, and negative
    factors in parentheses (``-1·(-1)``, not ``-1·-1``)."""
    if " = " not in line:
        return line
    pieces: list[str] = []
    for piece in line.split(" = "):
        piece = re.sub(r"·(-[^·+ ]+)", r"·(\1)", piece)
        if not pieces or piece != pieces[-1]:
            pieces.append(piece)
    return " = ".join(pieces)


def _worked(leaves: list[str], steps: list[Step], order: list[str],
            given: dict[str, np.ndarray]) -> list[tuple[str, str]]:
    """The routes of each node (from ``dc.explain``), as the lecture's backward pass."""
    out = steps[-1][0]
    text = []
    for name in order:
        cut = build(leaves, steps, cut=name if name not in leaves else None)
        names = {n: cut[n] for n, _, _ in steps if n != name}
        point = None
        if given:
            full = build(leaves, steps)
            point = {n: given[n] for n in leaves}
            if name not in leaves:
                needed = variables(full[name])
                point[name] = dc.evaluate(full[name], {k: v for k, v in point.items() if k in needed})
            used = variables(cut[out])
            point = {k: v for k, v in point.items() if k in used}
        explanation = dc.explain(cut[out], name, point, names=names, output=out)
        lines = explanation.splitlines()
        start = next((k for k, line in enumerate(lines) if line.startswith("Routes")), 0)
        if not text:
            text += lines[:start]
        text += lines[start:]
    return [
        ("p", "Multiply the local derivatives along each route from the node to the output, "
              "and add the routes (a node's own value is held fixed for the others):"),
        ("code", "\n".join(tidy_line(line) for line in text)),
        ("p", "Intermediate nodes in the answer may be left as names (e.g. `c`) or expanded "
              "into the inputs; both are graded the same." if not given else
              "With the values above, each route sum is a number."),
    ]

