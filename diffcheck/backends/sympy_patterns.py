"""Straight-line SymPy assignments evaluated in NumPy, compiled once per pattern.

A lowered node split by ``cse`` (``sympy_chain``) is hundreds of small assignments, most
of them the same expression over other symbols (each row of a layer norm repeats the
same steps). Compiling each (``sympy_numpy``) costs time; here each
assignment is renamed to placeholders in the order of the symbols it reads, equal
patterns at the same depth are grouped, and each group is one compiled NumPy function
applied to all its instances at once (the arguments gathered by index).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np

from diffcheck._lazy import sympy as sp
from diffcheck.backends.symbolic import select_conditions
from diffcheck.backends.sympy_numpy import numpy_function

Group = tuple[np.ndarray, np.ndarray, object]  # destinations, argument indices, function


def placeholders(n: int) -> tuple:
    """``_p0 … _p{n-1}``, the symbols a pattern reads in place of a step's own."""
    return tuple(sp.Symbol(f"_p{i}", real=True) for i in range(n))


def pattern_of(e, reads: Sequence):
    """``e`` with ``reads`` (its free symbols, in order) renamed to placeholders."""
    return e.xreplace(dict(zip(reads, placeholders(len(reads)), strict=True)))


def pattern_key(e, reads: Sequence) -> Hashable:
    """Equal for steps that are the same expression over other symbols (as ``pattern_of``
    would be), without rebuilding SymPy objects for one operation over symbols and numbers.
    The arguments of a sum or a product are a multiset (SymPy orders them by name)."""
    if e.is_Atom or not all(a.is_Atom for a in e.args):
        return pattern_of(e, reads)
    position = {s: i for i, s in enumerate(reads)}
    tagged = [("read", position[a]) if a in position else ("number", a) for a in e.args]
    if e.is_Add or e.is_Mul:
        tagged.sort(key=lambda t: (t[0], str(t[1])))
    return (e.func, tuple(tagged))


class PatternProgram:
    """``arguments`` → values of ``targets``, through the assignments ``steps`` (in order)."""

    def __init__(self, arguments: Sequence, steps: Sequence[tuple], targets: Sequence):
        index = {s: i for i, s in enumerate(arguments)}
        level = dict.fromkeys(arguments, 0)
        grouped: dict[tuple, tuple[list, list, tuple]] = {}
        compiled: dict = {}
        for t, e in steps:
            depth, key, reads = self._pattern(e, index, level)
            index[t], level[t] = len(index), depth
            destinations, arguments_of, _ = grouped.setdefault((depth, key), ([], [], (e, reads)))
            destinations.append(index[t])
            arguments_of.append([index[a] for a in reads])
        self.size = len(index)
        self.steps = [self._group(key, *found, compiled)
                      for (_, key), found in sorted(grouped.items(), key=lambda item: item[0][0])]
        targeted: dict = {}
        for n, e in enumerate(targets):
            _, key, reads = self._pattern(e, index, level)
            destinations, arguments_of, _ = targeted.setdefault(key, ([], [], (e, reads)))
            destinations.append(n)
            arguments_of.append([index[a] for a in reads])
        self.targets = [self._group(key, *found, compiled) for key, found in targeted.items()]
        self.count = len(targets)

    @staticmethod
    def _pattern(e, index: dict, level: dict) -> tuple[int, Hashable, list]:
        reads = sorted(e.free_symbols, key=index.__getitem__)
        depth = 1 + max((level[a] for a in reads), default=0)
        return depth, pattern_key(e, reads), reads

    @staticmethod
    def _group(key, destinations: list, arguments_of: list, example: tuple, compiled: dict) -> Group:
        function = compiled.get(key)
        if function is None:
            e, reads = example
            function = compiled[key] = numpy_function(
                placeholders(len(reads)), pattern_of(e, reads),
                modules=[{"select": select_conditions}, "numpy"])
        width = len(arguments_of[0])
        reads = np.asarray(arguments_of, dtype=np.intp).reshape(len(destinations), width).T
        return np.asarray(destinations, dtype=np.intp), reads, function

    def __call__(self, values: Sequence[float] | np.ndarray) -> np.ndarray:
        """The targets' values (float64) at these argument values; with a trailing axis on
        ``values`` (one column per instance), a trailing axis on the result."""
        values = np.asarray(values, dtype=float)
        batch = values.shape[1:]
        slots = np.empty((self.size, *batch))
        slots[: len(values)] = values
        out = np.empty((self.count, *batch))
        with np.errstate(all="ignore"):
            for destinations, reads, function in self.steps:
                slots[destinations] = _real(function(*slots[reads]), destinations.shape + batch)
            for destinations, reads, function in self.targets:
                out[destinations] = _real(function(*slots[reads]), destinations.shape + batch)
        return out


def _real(value, shape: tuple) -> np.ndarray:
    return np.real(np.broadcast_to(np.asarray(value), shape))
