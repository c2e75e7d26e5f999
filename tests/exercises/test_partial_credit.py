"""One partial-credit policy for every kind: per element, where it stands; "0"; no answer."""

from __future__ import annotations

import pytest

from diffcheck import exercises
from diffcheck.exercises.kinds import TABLE

from .conftest import answer_lists


def transposed(ex: exercises.Exercise, key: str) -> object:
    return answer_lists(ex, transpose=key)


def first_2d_part(kind: str, want_square: bool) -> tuple[exercises.Exercise, str]:
    for seed in range(60):
        ex = exercises.generate(kind, seed)
        for part in ex.parts:
            if len(part.shape) == 2 and (part.shape[0] == part.shape[1]) == want_square:
                return ex, part.key
    pytest.skip(f"no {'square' if want_square else 'non-square'} part for {kind}")


def diagonal_share(ex: exercises.Exercise, key: str) -> float:
    """The share of a part's elements a transposed answer gets right: those that equal
    their mirror image (the diagonal, and any symmetric pair)."""
    part = next(p for p in ex.parts if p.key == key)
    rows, cols = part.shape
    texts = part.solution_text
    same = sum(1 for r in range(rows) for c in range(cols)
               if r < cols and c < rows and texts[r * cols + c] == texts[c * cols + r])
    return same / part.size


@pytest.mark.parametrize("square", [True, False], ids=["square", "non-square"])
@pytest.mark.parametrize("kind", ["jacobian", "row-jacobian", "batch", "chain"])
def test_a_transposed_answer_earns_its_elements_with_the_layout_hint(kind, square) -> None:
    ex, key = first_2d_part(kind, square)
    grade = ex.grade(transposed(ex, key), symbolic="never")
    part_elements = [e for e in grade.elements if e.part == key]
    right = sum(e.status == "correct" for e in part_elements) / len(part_elements)
    assert right == pytest.approx(diagonal_share(ex, key))
    assert "transpose" in grade.feedback and not grade.correct


def test_zero_for_an_all_zero_block() -> None:
    for seed in range(40):
        ex = exercises.generate("batch", seed)
        other = next(p for p in ex.parts if p.key == "other")
        if all(t == "0" for t in other.solution_text):
            break
    answers = {**ex.answer_text(), "other": "0"}
    assert ex.grade(answers).correct
    tensor = exercises.generate("tensor", 2, 1)
    grade = tensor.grade({**tensor.answer_text(), "full": "0"})
    zeros = sum(t == "0" for t in tensor.parts[0].solution_text)
    full = [e for e in grade.elements if e.part == "full"]
    assert sum(e.status == "correct" for e in full) == zeros  # graded element by element


@pytest.mark.parametrize("kind", exercises.KINDS)
def test_missing_answers_say_no_answer(kind) -> None:
    ex = exercises.generate(kind, 1, TABLE[kind].levels)
    for answer in (None, {p.key: None for p in ex.parts}):
        grade = ex.grade(answer)
        assert grade.score == 0 and "no answer" in grade.feedback
        assert "could not be read" not in grade.feedback
        assert {e.status for e in grade.elements} == {"missing"}
