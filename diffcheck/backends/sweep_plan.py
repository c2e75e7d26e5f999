"""The plan of one reverse sweep: a list of small steps, each able to run itself and to
write its own line of Python.

:func:`plan_sweep` decides everything static once: which nodes get adjoints (pruning),
which values some VJP reads, which rule runs each edge (``backends.kernels``), and what
follows from constants alone (folded now). The first call of a sweep interprets the
steps, checking every VJP's result; later calls run the code the steps write
(``backends.sweep``). Steps name values as the generated code does: ``v3`` a forward
value, ``g5`` an adjoint, ``K5`` a folded part of one, ``u3`` a value nobody reads.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from diffcheck.backends import kernels
from diffcheck.backends.program import Program
from diffcheck.ir import Var

Shape = tuple[int, ...]
Env = dict[str, Any]  # name -> value, as in the generated function's globals and locals


def comment(op_name: str) -> str:
    """The op named in a generated line's comment (only identifiers reach the source)."""
    return op_name if op_name.isidentifier() else "op"


@dataclass(frozen=True)
class Load:
    """``v{slot} = point[name{slot}]``: a variable's value."""

    slot: int
    name: str

    def bindings(self) -> Env:
        return {f"name{self.slot}": self.name}

    def line(self) -> str:
        return f"v{self.slot} = point[name{self.slot}]"

    def run(self, env: Env, point: dict, seed: np.ndarray) -> None:
        env[f"v{self.slot}"] = point[self.name]


@dataclass(frozen=True)
class Forward:
    """``v{slot} = fwd{slot}(v..)``: an op's NumPy forward."""

    slot: int
    fn: Callable[..., np.ndarray]
    args: tuple[int, ...]
    op: str

    def bindings(self) -> Env:
        return {f"fwd{self.slot}": self.fn}

    def line(self) -> str:
        inputs = ", ".join(f"v{a}" for a in self.args)
        return f"v{self.slot} = fwd{self.slot}({inputs})  # {comment(self.op)}"

    def run(self, env: Env, point: dict, seed: np.ndarray) -> None:
        env[f"v{self.slot}"] = self.fn(*[env[f"v{a}"] for a in self.args])


@dataclass(frozen=True)
class Seed:
    """``g{slot} = seed``: the output's cotangent, when it varies per call."""

    slot: int

    def bindings(self) -> Env:
        return {}

    def line(self) -> str:
        return f"g{self.slot} = seed"

    def run(self, env: Env, point: dict, seed: np.ndarray) -> None:
        env[f"g{self.slot}"] = seed


@dataclass(frozen=True)
class Edge:
    """One VJP edge, node -> input ``k`` (slot ``target``), and how its result accumulates:
    ``"first"`` starts ``g{target}``, ``"add"`` adds to it, ``"onto_constant"`` starts it
    on top of its folded part ``K{target}``."""

    node: int
    k: int
    target: int
    rule: Callable[..., np.ndarray]
    values: tuple[str, ...]  # the names passed after the cotangent: out, then each input
    op: str
    in_shape: Shape
    reads: tuple[str | int, ...]
    accumulate: str
    nb: int
    part: str = ""  # "imag_in" / "imag_out": only the result's imaginary part is wanted

    def bindings(self) -> Env:
        return {f"vjp{self.node}_{self.k}": self.rule, "_re": real_part}

    def line(self) -> str:
        cotangent = f"g{self.node}.imag" if self.part == "imag_in" else f"g{self.node}"
        call = f"vjp{self.node}_{self.k}({cotangent}, {', '.join(self.values)})"
        call = {"imag_in": f"_re({call})", "imag_out": f"{call}.imag"}.get(self.part, call)
        g = f"g{self.target}"
        total = {"first": call, "add": f"{g} + {call}", "onto_constant": f"{call} + K{self.target}"}
        return f"{g} = {total[self.accumulate]}  # {comment(self.op)}, input {self.k}"

    def run(self, env: Env, point: dict, seed: np.ndarray) -> None:
        t = checked_call(self, env[f"g{self.node}"], [env[v] for v in self.values])
        g = f"g{self.target}"
        if self.accumulate == "add":
            env[g] = env[g] + t
        elif self.accumulate == "onto_constant":
            env[g] = t + env[f"K{self.target}"]
        else:
            env[g] = t


@dataclass(frozen=True)
class Free:
    """``del g{slot}``: node ``slot``'s adjoint is spent, so its memory goes early."""

    slot: int

    def bindings(self) -> Env:
        return {}

    def line(self) -> str:
        return f"del g{self.slot}"

    def run(self, env: Env, point: dict, seed: np.ndarray) -> None:
        del env[f"g{self.slot}"]


@dataclass(frozen=True)
class Return:
    """The requested adjoints, each the sum of its variable's slots (zeros when none)."""

    names: tuple[str, ...]
    parts: tuple[tuple[str, ...], ...]
    shapes: tuple[Shape, ...]
    nb: int
    dtype: np.dtype

    def bindings(self) -> Env:
        env: Env = {"_owned": owned, "_zeros": np.zeros, "_dtype": self.dtype, "_names": self.names}
        env.update((f"shape{n}", shape) for n, shape in enumerate(self.shapes))
        return env

    def line(self) -> str:
        totals = [" + ".join(p) if p else f"_zeros(seed.shape[:{self.nb}] + shape{n}, _dtype)"
                  for n, p in enumerate(self.parts)]
        return f"return _owned(_names, ({', '.join(totals)},), seed, _dtype)"

    def run(self, env: Env, point: dict, seed: np.ndarray) -> dict[str, np.ndarray]:
        totals = [functools.reduce(operator.add, [env[n] for n in p]) if p
                  else np.zeros(seed.shape[: self.nb] + shape, self.dtype)
                  for p, shape in zip(self.parts, self.shapes)]
        return owned(self.names, tuple(totals), seed, self.dtype)


Step = Load | Forward | Seed | Edge | Free | Return


@dataclass(frozen=True)
class Plan:
    """The steps of one sweep and the values known when it was planned (by name)."""

    steps: tuple[Step, ...]
    constants: Env


def checked_call(edge: Edge, g: Any, values: list[Any]) -> np.ndarray:
    """The edge's VJP at these values; an error or a wrong shape names the op and input."""
    try:
        result = edge.rule(np.imag(g) if edge.part == "imag_in" else g, *values)
        if edge.part:
            result = real_part(result) if edge.part == "imag_in" else np.imag(result)
    except (TypeError, AttributeError) as error:
        declared = ", ".join(map(repr, edge.reads)) or "nothing"
        raise ValueError(
            f"tape: the VJP of {edge.op} for input {edge.k} failed ({type(error).__name__}: "
            f"{error}); values outside its declared reads ({declared}) are shape-only stand-ins"
        ) from error
    if np.shape(result)[edge.nb:] != edge.in_shape:
        raise ValueError(
            f"tape: the VJP of {edge.op} for input {edge.k} returned shape "
            f"{np.shape(result)[edge.nb:]}, but that input has shape {edge.in_shape}"
        )
    return result


def owned(names: tuple[str, ...], totals: tuple, seed: np.ndarray, dtype: np.dtype) -> dict:
    """Name -> adjoint, as writeable arrays of ``dtype`` that share memory with nothing else.

    An adjoint is copied only when it is read-only or broadcast memory, of another dtype,
    or a view of the seed or of an adjoint before it (``x + y`` hands both the same ``g``).
    """
    seen = {id(seed), id(seed.base)}  # the memory of the seed and of every adjoint so far
    result = {}
    for name, total in zip(names, totals):
        if type(total) is np.ndarray and total.base is None and total.dtype is dtype:
            if id(total) in seen or not total.flags.writeable:  # the usual case skips both
                total = np.array(total, dtype=dtype)
        elif (type(total) is not np.ndarray or total.dtype != dtype or not total.flags.writeable
              or id(total if total.base is None else total.base) in seen):
            total = np.array(total, dtype=dtype)
        seen.add(id(total if total.base is None else total.base))
        result[name] = total
    return result


def real_part(value: Any) -> Any:
    """``value`` as a real array: a rule handed a real cotangent may still allocate its
    result in the sweep's complex dtype (zeros to scatter into), with imaginary part 0."""
    return value.real if np.iscomplexobj(value) else value


def frozen(value: Any) -> Any:
    """``value`` made read-only: values folded at planning are shared by every call."""
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    return value


# ----- planning -----
def plan_sweep(program: Program, wrt: tuple[Var, ...], nb: int, dtype: np.dtype,
               seed: np.ndarray | None = None, imaginary: bool = False) -> Plan:
    """The steps of the sweep; ``seed`` is given when it is fixed (a gradient's 1). With
    ``imaginary`` (a complex sweep) it returns only the adjoints' imaginary parts, real.

    Whatever follows from constants alone is folded now: forward values of constant
    subexpressions and, for a fixed seed, the adjoints up to the first value that
    varies (for ``0.5 * sum(e)`` the spread 0.5 is computed once, not per call).
    """
    live = program.live(tuple(v.name for v in wrt))
    edges = [(i, k, a) for i in range(len(program.nodes) - 1, -1, -1)
             if program.records[i] is not None and live[i]
             for k, a in enumerate(program.args[i]) if live[a]]
    needed = _needed_values(program, edges)
    constants: Env = {}
    steps: list[Step] = _forward_steps(program, needed, dtype, constants)
    for i, _, _ in edges:  # what a VJP is handed for a value nobody computes: shape only
        for s in (i, *program.args[i]):
            if s not in needed:
                constants[f"u{s}"] = kernels.Unread(program.nodes[s].shape, dtype)
    steps += _backward_steps(program, wrt, edges, nb, dtype, seed, constants, imaginary)
    return Plan(tuple(steps), constants)


def _read_slots(program: Program, i: int, k: int) -> list[int]:
    """The slots whose values node ``i``'s VJP for input ``k`` reads, per its ``reads``."""
    reads = program.records[i].reads_of(k, len(program.args[i]))
    return [i if token == "out" else program.args[i][token] for token in reads]


def _needed_values(program: Program, edges: list[tuple[int, int, int]]) -> set[int]:
    """Slots whose values the VJP edges read, with every op node they are computed from."""
    wanted = [s for i, k, _ in edges for s in _read_slots(program, i, k)]
    needed: set[int] = set()
    while wanted:
        slot = wanted.pop()
        if slot not in needed:
            needed.add(slot)
            if program.records[slot] is not None:
                wanted.extend(program.args[slot])
    return needed


def _forward_steps(program: Program, needed: set[int], dtype: np.dtype, constants: Env) -> list[Step]:
    """Loads and forwards of the needed values; constant ones are computed now instead."""
    nodes, records, args = program.nodes, program.records, program.args
    steps: list[Step] = []
    known: set[int] = set()
    for i in sorted(needed):
        node = nodes[i]
        if records[i] is None and node.op == "const":
            value, target = node.value, constant_dtype(node.value, dtype)
            constants[f"v{i}"] = value if value.dtype == target else frozen(value.astype(target))
            known.add(i)
        elif records[i] is None:
            steps.append(Load(i, node.name))
        else:
            fn = kernels.forward_for(records[i], tuple(nodes[a].shape for a in args[i]))
            fn = functools.partial(fn, **program.kwargs[i]) if program.kwargs[i] else fn
            if all(a in known for a in args[i]):
                constants[f"v{i}"] = frozen(fn(*[constants[f"v{a}"] for a in args[i]]))
                known.add(i)
            else:
                steps.append(Forward(i, fn, args[i], node.op))
    return steps


def constant_dtype(value: np.ndarray, dtype: np.dtype) -> np.dtype:
    """The dtype a constant enters the sweep in: the sweep's own, except that a real
    constant stays real in a complex sweep (a complex step), so that its products with
    the stepped values cost two real products, not four."""
    if dtype.kind == "c" and value.dtype.kind != "c":
        return np.finfo(dtype).dtype
    return dtype


def _edge(program: Program, i: int, k: int, a: int, nb: int, constants: Env) -> Edge:
    """Edge ``i -> a`` with its rule for these static shapes (accumulation set later)."""
    record, node = program.records[i], program.nodes[i]
    in_shapes = tuple(program.nodes[s].shape for s in program.args[i])
    rule = kernels.vjp_for(record, k, in_shapes, node.shape, nb, node.kwargs)
    rule = functools.partial(rule, **node.kwargs) if node.kwargs else rule
    values = tuple(f"v{s}" if f"u{s}" not in constants else f"u{s}" for s in (i, *program.args[i]))
    reads = record.reads_of(k, len(in_shapes))
    return Edge(i, k, a, rule, values, record.name, in_shapes[k], reads, "first", nb)


def _imaginary_parts(program: Program, calls: list[Edge], folded: dict[int, Any],
                     constant_part: dict[int, Any], constants: Env) -> list[Edge]:
    """Edges into variables made to return only their imaginary part: computed from Im g
    alone when the rule reads nothing but real constants (a VJP is linear in g: for the
    lecture net's ``Xᵀ G`` that is one real product instead of two), else taken from the
    complex result; the variables' folded adjoints keep their imaginary parts too."""
    leaves = {s for slots in program.var_slots.values() for s in slots}
    for parts in (folded, constant_part):
        for a in leaves & parts.keys():
            parts[a] = frozen(np.array(np.imag(parts[a])))

    def part(edge: Edge) -> str:
        reads = _read_slots(program, edge.node, edge.k)
        real = all(np.isrealobj(constants.get(f"v{s}", 1j)) for s in reads)
        return "imag_in" if real else "imag_out"

    return [dataclasses.replace(edge, part=part(edge)) if edge.target in leaves else edge for edge in calls]


def _backward_steps(program: Program, wrt: tuple[Var, ...], edges: list[tuple[int, int, int]],
                    nb: int, dtype: np.dtype, seed: np.ndarray | None, constants: Env,
                    imaginary: bool = False) -> list[Step]:
    """Seed, VJP edges, frees and the return, folding edges whose inputs are all known."""
    last = len(program.nodes) - 1
    folded: dict[int, Any] = {} if seed is None else {last: seed}  # adjoints known now
    varying: set[int] = set() if seed is not None else {last}  # adjoints computed per call
    constant_part: dict[int, Any] = {}  # folded contributions to a varying adjoint
    calls: list[Edge] = []
    for i, k, a in edges:
        edge = _edge(program, i, k, a, nb, constants)
        if i in folded and all(f"v{s}" in constants for s in _read_slots(program, i, k)):
            values = [constants[f"v{s}"] if f"v{s}" in constants
                      else kernels.Unread(program.nodes[s].shape, dtype) for s in (i, *program.args[i])]
            contribution = checked_call(edge, folded[i], values)
            target = constant_part if a in varying else folded
            total = target.get(a)
            target[a] = frozen(contribution if total is None else total + contribution)
            continue
        if a in folded:  # a varying contribution meets a folded one: carry it along
            constant_part[a] = folded.pop(a)
        varying.add(a)
        calls.append(edge)
    if imaginary:
        calls = _imaginary_parts(program, calls, folded, constant_part, constants)
        dtype = np.finfo(dtype).dtype
    constants.update((f"g{a}", value) for a, value in folded.items())
    constants.update((f"K{a}", value) for a, value in constant_part.items())

    steps: list[Step] = [] if seed is not None else [Seed(last)]
    started = set() if seed is not None else {last}
    for index, edge in enumerate(calls):
        a = edge.target
        mode = "add" if a in started else "onto_constant" if a in constant_part else "first"
        steps.append(dataclasses.replace(edge, accumulate=mode))
        started.add(a)
        if edge.node in varying and (index + 1 == len(calls) or calls[index + 1].node != edge.node):
            steps.append(Free(edge.node))
            started.discard(edge.node)
    parts = tuple(tuple(f"g{s}" for s in program.var_slots.get(var.name, ()) if s in started or s in folded)
                  for var in wrt)
    steps.append(Return(tuple(v.name for v in wrt), parts, tuple(v.shape for v in wrt), nb, dtype))
    return steps
