"""One reverse sweep as straight-line code: the tape's forward and backward, generated once.

For a program, the requested variables, the seed's batch rank and a dtype,
:func:`sweep_for` plans the sweep (``backends.sweep_plan``) and writes a Python
function with one line per forward step and per VJP edge, each commented with its op.
Every op function, constant and static shape is bound as a name, so a call is its
NumPy calls and little else: no lists of values, no loops, no lookups.

The generated source holds only identifiers made here (``v3``, ``g5``, ``vjp5_0``) and
op names, never a variable name or any other text a user wrote. The first call
interprets the plan, checking the shape of every VJP's result and naming the op of a
wrong one; once a sweep has run clean, the generated function runs instead.
"""

from __future__ import annotations

import hashlib
import linecache
import weakref
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from diffcheck.backends.program import Program
from diffcheck.backends.sweep_plan import Env, Plan, Return, plan_sweep
from diffcheck.ir import Var

Run = Callable[[dict, np.ndarray], dict]


class Sweep:
    """``sweep.run(point, seed)`` -> {name: adjoint} for the requested variables."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.source, self.env = emit(plan)
        self.run: Run = self._first_run

    def _first_run(self, point: dict[str, np.ndarray], seed: np.ndarray) -> dict[str, np.ndarray]:
        result = interpret(self.plan, point, seed)
        self.run = compile_sweep(self, self.source, self.env)  # shapes are static: once right, always
        return result


def sweep_for(program: Program, wrt: tuple[Var, ...], nb: int, dtype: np.dtype,
              unit_seed: bool = False, imaginary: bool = False) -> Sweep:
    """The sweep for these variables, ``nb`` leading batch axes and ``dtype`` (cached).

    With ``unit_seed`` every call passes ``unit(dtype)`` (a gradient's seed 1), and
    whatever follows from it alone is folded into the generated code. With ``imaginary``
    (a complex ``dtype``) only the adjoints' imaginary parts are returned, as real arrays.
    """
    key = (wrt, nb, dtype, unit_seed, imaginary)  # Vars hash by identity: cheap
    sweep = program._sweeps.get(key)
    if sweep is None:
        dtype = np.dtype(dtype)
        seed = unit(dtype) if unit_seed else None
        sweep = program._sweeps[key] = Sweep(plan_sweep(program, wrt, nb, dtype, seed, imaginary))
    return sweep


def unit(dtype: np.dtype) -> np.ndarray:
    """The seed 1 of a gradient, read-only so that sharing it per process is safe."""
    one = _UNITS.get(dtype)
    if one is None:
        one = _UNITS[dtype] = np.ones((), dtype=dtype)
        one.flags.writeable = False
    return one


_UNITS: dict[np.dtype, np.ndarray] = {}  # per process, rebuilt on demand


def interpret(plan: Plan, point: dict[str, np.ndarray], seed: np.ndarray) -> dict[str, np.ndarray]:
    """Run the plan step by step, checking every VJP's result (the first call of a sweep)."""
    env = dict(plan.constants)
    for step in plan.steps:
        if isinstance(step, Return):
            return step.run(env, point, seed)
        step.run(env, point, seed)
    raise AssertionError("a sweep plan ends with its return")


def emit(plan: Plan) -> tuple[str, Env]:
    """The source of the sweep's function and the names it reads (constants and rules)."""
    env = dict(plan.constants)
    for step in plan.steps:
        env.update(step.bindings())
    body = "".join(f"    {step.line()}\n" for step in plan.steps)
    return f"def sweep(point, seed):\n{body}", env


# ----- compiling, with one linecache entry per distinct source while a sweep uses it -----
_LINECACHE_USERS: Counter[str] = Counter()
_UNUSED: set[str] = set()  # entries whose last sweep is gone, dropped at the next compile


def compile_sweep(owner: Any, source: str, env: Env) -> Run:
    """The function ``source`` defines, over a copy of ``env``. Its text is registered with
    linecache (for tracebacks) under a name derived from the text, shared by identical
    sources. When the last ``owner`` using it is garbage-collected the entry is dropped at
    the next compile, never from the collector itself: a collection can run inside
    ``linecache.checkcache``'s loop over the cache (pdb, doctest), which then fails on a
    key that vanished under it."""
    # tuple(): a snapshot, as a collection may run a finalizer that adds to _UNUSED meanwhile
    for stale in [name for name in tuple(_UNUSED) if _LINECACHE_USERS[name] <= 0]:
        _UNUSED.discard(stale)
        _LINECACHE_USERS.pop(stale, None)
        linecache.cache.pop(stale, None)
    filename = f"<diffcheck sweep {hashlib.sha1(source.encode()).hexdigest()[:16]}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    _LINECACHE_USERS[filename] += 1
    weakref.finalize(owner, _release, filename)
    namespace = dict(env)
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102  (generated identifiers only)
    return namespace["sweep"]


def _release(filename: str) -> None:
    _LINECACHE_USERS[filename] -= 1
    if _LINECACHE_USERS[filename] <= 0:
        _UNUSED.add(filename)
