"""Shared helpers for the exercise tests: answers in every accepted form, one worker."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from diffcheck.exercises import Exercise, SymbolicChecker


def nested(texts: list[str], shape: tuple[int, ...]) -> list | str:
    """Flat element texts as nested lists of the given shape."""
    items: list = list(texts)
    for n in reversed(shape[1:]):
        items = [items[i:i + n] for i in range(0, len(items), n)]
    return items if shape else items[0]


def answer_lists(ex: Exercise, edit: Callable[[str, int, str], str] | None = None,
                 transpose: str | None = None) -> object:
    """The solution as nested lists of element strings (a dict for several parts).

    ``edit(part_key, index, text)`` may change an element; ``transpose`` names a 2-D part
    whose answer is given transposed.
    """
    answers = {}
    for part in ex.parts:
        texts = [edit(part.key, k, t) if edit else t for k, t in enumerate(part.solution_text)]
        shape = part.shape
        if part.key == transpose:
            rows, cols = shape
            texts = [texts[r * cols + c] for c in range(cols) for r in range(rows)]
            shape = (cols, rows)
        answers[part.key] = nested(texts, shape)
    return answers[ex.parts[0].key] if len(ex.parts) == 1 else answers


@pytest.fixture(scope="module")
def checker() -> Iterator[SymbolicChecker]:
    """One symbolic worker shared by a module's tests."""
    with SymbolicChecker(timeout=10.0, budget=30.0) as worker:
        yield worker
