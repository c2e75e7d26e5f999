"""Element symbols: how each entry of a variable is named, in SymPy and in reports.

Indices are 0-based and spelled as a person reads them: ``a``, ``x[2]``, ``W[1,2]``.
Every part of diffcheck (lowering, the string parser, reports) uses these helpers,
so a symbol typed by a user is the very symbol the SymPy backend differentiates by.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from diffcheck._lazy import sympy as sp


def element_name(name: str, index: tuple[int, ...]) -> str:
    """``element_name("W", (1, 2)) == "W[1,2]"``; a scalar's name is the bare name."""
    if not index:
        return name
    return f"{name}[{','.join(str(i) for i in index)}]"


@lru_cache(maxsize=65536)
def element_symbol(name: str, index: tuple[int, ...] = ()) -> Any:
    """The real SymPy symbol for one element of a variable."""
    return sp.Symbol(element_name(name, index), real=True)


def indices(shape: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
    """All indices of ``shape`` in C order (a single ``()`` for a scalar)."""
    return itertools.product(*(range(n) for n in shape))
