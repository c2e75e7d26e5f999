"""One reverse sweep as straight-line code: the tape's forward and backward, generated once.

For a program, the requested variables, the seed's batch rank and a dtype,
:func:`sweep_for` writes a Python function with one line per forward step and per
VJP edge. Every op function, constant and static shape is bound as a name, so a call
is its NumPy calls and little else: no lists of values, no loops, no lookups.

The generated source holds only identifiers made here (``v3``, ``g5``, ``vjp5_0``),
never a variable name or any other text a user wrote. The first call checks the
shape of every VJP's result and names the op of a wrong one; once a sweep has run
clean, an unchecked twin runs instead.
"""

from __future__ import annotations

import functools
import itertools
import linecache
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from diffcheck.backends.program import Program
from diffcheck.ir import Var

_serial = itertools.count()  # distinct file names for tracebacks into generated code


@dataclass
class Sweep:
    """``sweep.run(point, seed)`` -> {name: adjoint} for the requested variables."""

    checked: Callable[[dict, np.ndarray], dict]
    unchecked: Callable[[dict, np.ndarray], dict]
    source: str

    def __post_init__(self) -> None:
        self.run: Callable[[dict, np.ndarray], dict] = self._first_run

    def _first_run(self, point: dict[str, np.ndarray], seed: np.ndarray) -> dict[str, np.ndarray]:
        result = self.checked(point, seed)
        self.run = self.unchecked  # shapes are static: once right, always right
        return result


def sweep_for(program: Program, wrt: tuple[Var, ...], nb: int, dtype: np.dtype,
              unit_seed: bool = False) -> Sweep:
    """The sweep for these variables, ``nb`` leading batch axes and ``dtype`` (cached).

    With ``unit_seed`` every call passes ``unit(dtype)`` (a gradient's seed 1), and
    whatever follows from it alone is folded into the generated code.
    """
    key = (wrt, nb, dtype, unit_seed)  # Vars hash by identity: cheap
    sweep = program._sweeps.get(key)
    if sweep is None:
        dtype = np.dtype(dtype)
        seed = unit(dtype) if unit_seed else None
        sweep = program._sweeps[key] = _generate(program, wrt, nb, dtype, seed)
    return sweep


def unit(dtype: np.dtype) -> np.ndarray:
    """The seed 1 of a gradient, read-only so that sharing it per process is safe."""
    one = _UNITS.get(dtype)
    if one is None:
        one = _UNITS[dtype] = np.ones((), dtype=dtype)
        one.flags.writeable = False
    return one


_UNITS: dict[np.dtype, np.ndarray] = {}  # per process, rebuilt on demand


def _wrong_shape(result: Any, nb: int, op_name: str, k: int, shape: tuple[int, ...]) -> None:
    raise ValueError(
        f"tape: the VJP of {op_name} for input {k} returned shape {np.shape(result)[nb:]}, "
        f"but that input has shape {shape}"
    )


def _owned(names: tuple[str, ...], totals: tuple, seed: np.ndarray, dtype: np.dtype) -> dict:
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


def _read_slots(program: Program, i: int, k: int) -> list[int]:
    """The slots whose values node ``i``'s VJP for input ``k`` reads, per its op's ``reads``."""
    reads = program.records[i].reads[k].split()
    return [s for role, s in zip(("out", "x", "y"), (i,) + program.args[i]) if role in reads]


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


def _failed(error: Exception, op_name: str, k: int, reads: str) -> None:
    raise ValueError(
        f"tape: the VJP of {op_name} for input {k} failed ({type(error).__name__}: {error}); "
        f"values it does not declare in reads ({reads!r}) may be None"
    ) from error


def _frozen(value: Any) -> Any:
    """``value`` made read-only: values folded at generation are shared by every call."""
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    return value


def _generate(program: Program, wrt: tuple[Var, ...], nb: int, dtype: np.dtype,
              seed: np.ndarray | None = None) -> Sweep:
    """Write and compile the sweep; ``seed`` is given when it is fixed (a gradient's 1).

    Whatever follows from constants alone is folded now: forward values of constant
    subexpressions and, for a fixed seed, the adjoints up to the first value that
    varies (for ``0.5 * sum(e)`` the spread 0.5 is computed once, not per call).
    """
    nodes, records, args, kwargs = program.nodes, program.records, program.args, program.kwargs
    live = program.live(tuple(v.name for v in wrt))
    last = len(nodes) - 1
    edges = [
        (i, k, a)
        for i in range(last, -1, -1)
        if records[i] is not None and live[i]
        for k, a in enumerate(args[i])
        if live[a]
    ]
    env: dict[str, Any] = {"_owned": _owned, "_wrong_shape": _wrong_shape, "_failed": _failed,
                           "_zeros": np.zeros, "_dtype": dtype}
    forward = []
    needed = _needed_values(program, edges)
    known: dict[int, Any] = {}  # values known now: constants and what follows from them alone
    for i in sorted(needed):
        node = nodes[i]
        if records[i] is None and node.op == "const":
            value = node.value
            known[i] = value if value.dtype == dtype else _frozen(value.astype(dtype))
            continue
        if records[i] is None:
            env[f"name{i}"] = node.name
            forward.append(f"v{i} = point[name{i}]")
            continue
        fn = records[i].forward
        fn = functools.partial(fn, **kwargs[i]) if kwargs[i] else fn
        if all(a in known for a in args[i]):
            known[i] = _frozen(fn(*[known[a] for a in args[i]]))
        else:
            env[f"fwd{i}"] = fn
            forward.append(f"v{i} = fwd{i}({', '.join(f'v{a}' for a in args[i])})")
    env.update((f"v{i}", value) for i, value in known.items())

    # Plan the edges: fold those whose cotangent and read values are all known now.
    folded: dict[int, Any] = {} if seed is None else {last: seed}  # adjoints known now
    varying: set[int] = set() if seed is not None else {last}  # adjoints computed per call
    constant_part: dict[int, Any] = {}  # folded contributions to a varying adjoint
    calls = []
    for i, k, a in edges:
        record = records[i]
        rule = record.vjp_for(k, nodes[a].shape, nodes[i].shape, nb, **kwargs[i])
        rule = functools.partial(rule, **kwargs[i]) if kwargs[i] else rule
        slots = (i,) + args[i]
        if i in folded and all(s in known for s in _read_slots(program, i, k)):
            try:
                contribution = rule(folded[i], *[known.get(s) for s in slots])
            except (TypeError, AttributeError) as error:
                _failed(error, record.name, k, record.reads[k])
            if np.shape(contribution)[nb:] != nodes[a].shape:
                _wrong_shape(contribution, nb, record.name, k, nodes[a].shape)
            total = constant_part.get(a) if a in varying else folded.get(a)
            target = constant_part if a in varying else folded
            target[a] = _frozen(contribution if total is None else total + contribution)
            continue
        if a in folded:  # a varying contribution meets a folded one: carry it along
            constant_part[a] = folded.pop(a)
        varying.add(a)
        env[f"vjp{i}_{k}"] = rule
        env[f"edge{i}_{k}"] = (record.name, k, nodes[a].shape)
        env[f"reads{i}_{k}"] = record.reads[k]
        # Every available value is passed; only values no declared read needs are None.
        values = ", ".join(f"v{s}" if s in needed else "None" for s in slots)
        calls.append((i, k, a, f"vjp{i}_{k}(g{i}, {values})"))
    env.update((f"g{a}", value) for a, value in folded.items())
    env.update((f"K{a}", value) for a, value in constant_part.items())

    def backward(checked: bool) -> list[str]:
        lines = [] if seed is not None else [f"g{last} = seed"]
        started = set() if seed is not None else {last}
        for index, (i, k, a, call) in enumerate(calls):
            if checked:
                lines += [
                    "try:",
                    f"    t = {call}",
                    "except (TypeError, AttributeError) as error:",
                    f"    _failed(error, edge{i}_{k}[0], {k}, reads{i}_{k})",
                    f"if t.shape[{nb}:] != edge{i}_{k}[2]: _wrong_shape(t, {nb}, *edge{i}_{k})",
                ]
                call = "t"
            if a in started:
                lines.append(f"g{a} = g{a} + {call}")
            else:
                lines.append(f"g{a} = {call} + K{a}" if a in constant_part else f"g{a} = {call}")
                started.add(a)
            if i in varying and (index + 1 == len(calls) or calls[index + 1][0] != i):
                lines.append(f"del g{i}")  # node i's adjoint is spent: free it early
                started.discard(i)
        results = []
        for n, var in enumerate(wrt):
            slots = program.var_slots.get(var.name, ())
            parts = [f"g{s}" for s in slots if s in started or s in folded]
            env[f"shape{n}"] = var.shape
            results.append(" + ".join(parts) if parts else f"_zeros(seed.shape[:{nb}] + shape{n}, _dtype)")
        env["_names"] = tuple(var.name for var in wrt)
        lines.append(f"return _owned(_names, ({', '.join(results)},), seed, _dtype)")
        return lines

    sources = {}
    for checked in (True, False):
        body = forward + backward(checked)
        name = "checked" if checked else "unchecked"
        sources[name] = f"def {name}(point, seed):\n" + "".join(f"    {line}\n" for line in body)
    source = sources["checked"] + "\n" + sources["unchecked"]
    filename = f"<diffcheck sweep {next(_serial)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), env)  # noqa: S102  (generated identifiers only)
    return Sweep(env["checked"], env["unchecked"], source)
