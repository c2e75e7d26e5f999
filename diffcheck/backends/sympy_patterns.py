"""Straight-line SymPy assignments evaluated in NumPy, compiled once per pattern.

A lowered node split by ``cse`` (``sympy_chain``) is hundreds of small assignments, most
of them the same expression over other symbols (each row of a layer norm repeats the
same steps). Compiling each (``sympy_numpy``) costs time; here each
assignment is renamed to placeholders in the order of the symbols it reads, equal
patterns at the same depth are grouped, and each group is one compiled NumPy function
applied to all its instances at once (the arguments gathered by index).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from diffcheck._lazy import sympy as sp
from diffcheck.backends.symbolic import select_conditions
from diffcheck.backends.sympy_numpy import numpy_function

Group = tuple[np.ndarray, np.ndarray, object]  # destinations, argument indices, function


class PatternProgram:
    """``arguments`` → values of ``targets``, through the assignments ``steps`` (in order)."""

    def __init__(self, arguments: Sequence, steps: Sequence[tuple], targets: Sequence):
        index = {s: i for i, s in enumerate(arguments)}
        level = dict.fromkeys(arguments, 0)
        grouped: dict[tuple, tuple[list, list]] = {}
        compiled: dict = {}
        for t, e in steps:
            depth, key, reads = self._pattern(e, index, level)
            index[t], level[t] = len(index), depth
            destinations, arguments_of = grouped.setdefault((depth, key), ([], []))
            destinations.append(index[t])
            arguments_of.append(reads)
        self.size = len(index)
        self.steps = [self._group(key, *found, compiled)
                      for (_, key), found in sorted(grouped.items(), key=lambda item: item[0][0])]
        targeted: dict = {}
        for n, e in enumerate(targets):
            _, key, reads = self._pattern(e, index, level)
            destinations, arguments_of = targeted.setdefault(key, ([], []))
            destinations.append(n)
            arguments_of.append(reads)
        self.targets = [self._group(key, *found, compiled) for key, found in targeted.items()]
        self.count = len(targets)

    @staticmethod
    def _pattern(e, index: dict, level: dict) -> tuple[int, object, list[int]]:
        reads = sorted(e.free_symbols, key=index.__getitem__)
        placeholders = [sp.Symbol(f"_p{i}", real=True) for i in range(len(reads))]
        key = e.xreplace(dict(zip(reads, placeholders, strict=True)))
        depth = 1 + max((level[a] for a in reads), default=0)
        return depth, key, [index[a] for a in reads]

    @staticmethod
    def _group(key, destinations: list, arguments_of: list, compiled: dict) -> Group:
        function = compiled.get(key)
        if function is None:
            placeholders = sorted(key.free_symbols, key=lambda s: int(s.name[2:]))
            function = compiled[key] = numpy_function(
                placeholders, key, modules=[{"select": select_conditions}, "numpy"])
        width = len(arguments_of[0])
        reads = np.asarray(arguments_of, dtype=np.intp).reshape(len(destinations), width).T
        return np.asarray(destinations, dtype=np.intp), reads, function

    def __call__(self, values: Sequence[float]) -> np.ndarray:
        """The targets' values (float64) at these argument values."""
        slots = np.empty(self.size)
        slots[: len(values)] = values
        out = np.empty(self.count)
        with np.errstate(all="ignore"):
            for destinations, reads, function in self.steps:
                slots[destinations] = _real(function(*slots[reads]), destinations.shape)
            for destinations, reads, function in self.targets:
                out[destinations] = _real(function(*slots[reads]), destinations.shape)
        return out


def _real(value, shape: tuple) -> np.ndarray:
    return np.real(np.broadcast_to(np.asarray(value), shape))
