"""SymPy work remembered per process by an expression's structure, not by its identity.

A test suite builds a fresh expression per test; the element-wise closed form of the
same structure (ops, params, shapes, variable names and shapes, constant values) is the
same SymPy object, so it is derived and compiled once per process. The cache is a
bounded LRU (``MAX_ENTRIES``), per process (each pytest-xdist worker builds its own),
and safe to drop at any time (``clear``): everything in it is rebuilt on a miss.
``derivations`` counts the closed forms actually derived, so tests can tell a hit
without timing anything.
"""

from __future__ import annotations

import hashlib
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from diffcheck.ir import Const, Expr, toposort

MAX_ENTRIES = 64

_store: OrderedDict[Hashable, Any] = OrderedDict()
derivations: Counter[str] = Counter()  # kind -> how many times SymPy derived it (cache misses)


def structure_key(expr: Expr) -> Hashable | None:
    """A hashable key equal for expressions of the same structure (cached on ``expr``); None
    when a param cannot be hashed (such an expression is cached by identity only)."""
    if "structure" in expr._cache:
        return expr._cache["structure"]
    nodes = toposort(expr)
    slot = {id(n): i for i, n in enumerate(nodes)}
    key: Hashable | None = tuple(
        (n.op, n.params, n.shape, tuple(slot[id(x)] for x in n.inputs), _digest(n))
        for n in nodes
    )
    try:
        hash(key)
    except TypeError:
        key = None
    expr._cache["structure"] = key
    return key


def _digest(node: Expr) -> str | None:
    if not isinstance(node, Const):
        return None
    value = node.value
    return f"{value.dtype}:{hashlib.blake2b(value.tobytes(), digest_size=16).hexdigest()}"


def cached(expr: Expr, kind: tuple, build: Callable[[], Any]) -> Any:
    """``build()`` for ``expr`` and ``kind``: from ``expr``'s own cache, else from the
    structural LRU, else built (counted in ``derivations[kind[0]]``) and stored in both."""
    found = expr._cache.get(kind)
    if found is not None:
        return found
    structure = structure_key(expr)
    key = None if structure is None else (kind, structure)
    if key is not None and key in _store:
        _store.move_to_end(key)
        found = _store[key]
    else:
        derivations[kind[0]] += 1
        found = build()
        if key is not None:
            _store[key] = found
            while len(_store) > MAX_ENTRIES:
                _store.popitem(last=False)
    expr._cache[kind] = found
    return found


def clear() -> None:
    """Forget everything (the next request derives again); counters are kept."""
    _store.clear()
