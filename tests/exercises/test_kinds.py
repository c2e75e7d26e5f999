"""Every kind × 100 seeds: deterministic, JSON round trip, the solution agrees with the tape
(an independent derivation), it grades correct in every answer form, a one-element
perturbation is caught and named, a transposed matrix gets the transpose/layout hint."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

from diffcheck import exercises
from diffcheck.exercises import Exercise
from diffcheck.symbols import element_symbol, indices

from .conftest import answer_lists

SEEDS = range(100)


def _symmetric(ex: Exercise, key: str) -> bool:
    """Whether a square part's solution equals its transpose at the grading points."""
    part = next(p for p in ex.parts if p.key == key)
    if part.shape[0] != part.shape[1]:
        return False
    values = ex.grading_context.solution_values[key].reshape(part.shape + (-1,))
    return bool(np.allclose(values, np.swapaxes(values, 0, 1), rtol=1e-9, atol=1e-12))


def _transposable(ex: Exercise) -> str | None:
    for part in ex.parts:
        if len(part.shape) == 2 and not _symmetric(ex, part.key):
            return part.key
    return None


def leaf_point(ex: Exercise, k: int = 0) -> dict[str, np.ndarray]:
    """The k-th grading point of the exercise's variables (its given values if it has some)."""
    values = ex.grading_context.values
    return {name: np.array([values[element_symbol(name, idx)][k] for idx in indices(shape)])
            .reshape(shape) for name, shape in ex.variables}


def check_against_tape(ex: Exercise, draft: exercises.Draft) -> None:
    """Each part's SymPy solution, evaluated at a grading point, equals the tape's value."""
    references = {p.key: p.reference for p in draft.parts}
    point = leaf_point(ex)
    for part in ex.parts:
        if references[part.key] is not None:
            expected = np.asarray(references[part.key](point), dtype=float).ravel()
            ours = ex.grading_context.solution_values[part.key][:, 0]
            np.testing.assert_allclose(ours, expected, rtol=1e-7, atol=1e-10,
                                       err_msg=f"{ex.id} part {part.key}")


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", exercises.KINDS)
def test_exercise(kind: str, seed: int) -> None:
    ex, draft = exercises.build(kind, seed)
    assert ex.id == f"{kind}-{seed}" and ex.kind == kind and ex.seed == seed
    check_against_tape(ex, draft)
    # determinism within the process (across processes: test_determinism.py)
    again = exercises.generate(kind, seed)
    assert again == ex
    data = ex.to_dict()
    assert again.to_dict() == data
    # JSON round trip gives an equal exercise that grades identically
    back = Exercise.from_dict(json.loads(json.dumps(data)))
    assert back == ex and back.to_dict() == data
    # the exercise's own solution, as SymPy, as a string and as nested lists of strings
    for answer in (ex.solution, ex.answer_text(), answer_lists(ex)):
        grade = ex.grade(answer)
        assert grade.correct and grade.score == 1.0, grade.feedback
    # one perturbed element: incorrect, and the feedback names it
    part = ex.parts[seed % len(ex.parts)]
    k = (seed * 7) % part.size
    wrong = answer_lists(ex, lambda key, i, t: f"({t}) + 1 + ({t})**2"
                         if (key, i) == (part.key, k) else t)
    grade = ex.grade(wrong)
    assert not grade.correct and grade.score < 1.0
    assert part.labels[k] in grade.feedback, grade.feedback
    statuses = [e.status for e in grade.elements if e.part == part.key]
    assert statuses.count("incorrect") == 1 and statuses[k] == "incorrect"
    if seed % 10 == 0:  # equal exercises grade identically (spot check; equality implies it)
        assert back.grade(wrong) == grade
    # a transposed (non-symmetric) matrix part: the transpose hint
    key = _transposable(ex)
    if key is not None:
        grade = ex.grade(answer_lists(ex, transpose=key))
        assert not grade.correct
        assert "transpose" in grade.feedback, grade.feedback
        layout = next(p.layout for p in ex.parts if p.key == key)
        if layout:
            assert "layout" in grade.feedback, grade.feedback


@pytest.mark.parametrize("kind", exercises.KINDS)
def test_prompt_states_layout_shapes_and_answer_format(kind: str) -> None:
    for seed in range(6):
        ex = exercises.generate(kind, seed)
        prompt = ex.prompt
        assert prompt == ex._repr_markdown_()
        assert "How to answer" in prompt and "Variables:" in prompt
        for name, _shape in ex.variables:
            assert f"`{name}`" in prompt
        if any(p.layout for p in ex.parts):
            assert "layout" in prompt
        assert ex.solution_latex and "\\partial" in ex.solution_latex
        assert "Solution" in ex.worked_solution


@pytest.mark.parametrize("kind", exercises.KINDS)
def test_levels_are_all_reachable_and_explicit_levels_have_their_own_id(kind: str) -> None:
    levels = exercises.kinds.TABLE[kind].levels
    seen: set[int] = set()
    for seed in range(30):
        seen.add(exercises.generate(kind, seed).level)
        if len(seen) == levels:
            break
    assert seen == set(range(1, levels + 1))
    ex = exercises.generate(kind, 3, level=levels)
    assert ex.level == levels and ex.id == f"{kind}-3-l{levels}"


def test_every_kind_has_tape_references() -> None:
    for kind in exercises.KINDS:
        _, draft = exercises.build(kind, 0)
        assert any(p.reference is not None for p in draft.parts), kind


def test_kinds_are_the_contracts() -> None:
    assert set(exercises.KINDS) >= {"graph", "jacobian", "row-jacobian", "tensor", "batch",
                                    "chain", "layer", "backprop", "circle"}


@pytest.mark.parametrize("bad", [("nope", 1, None), ("jacobian", -1, None),
                                 ("jacobian", 1.5, None), ("layer", 1, 3), ("graph", True, None)])
def test_generate_rejects_bad_arguments(bad) -> None:
    kind, seed, level = bad
    with pytest.raises(ValueError):
        exercises.generate(kind, seed, level)


def test_solution_types() -> None:
    single = exercises.generate("jacobian", 0)
    assert isinstance(single.solution, sp.MatrixBase)
    multi = exercises.generate("layer", 0)
    assert set(multi.solution) == {"W", "b", "x"} and isinstance(multi.answer_text(), dict)
    assert isinstance(multi.solution["W"], sp.NDimArray) and multi.solution["W"].rank() == 3



@pytest.mark.parametrize("seed", range(6))
def test_backprop_solutions_end_with_the_gradient_in_matrix_notation(seed):
    ex = exercises.generate("backprop", seed, 1 + seed % 3)
    closing = ex.worked_solution.split("by `dc.closed_form`")[-1]
    assert r"x^{\top}" in closing or r"\right)^{\top}" in closing
    assert r"\frac{\partial E}{\partial W_" in closing


@pytest.mark.parametrize("act", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("which", ["W1", "W2"])
def test_the_matrix_form_in_backprop_solutions_gives_the_networks_gradient(act, which):
    import diffcheck as dc
    from diffcheck.exercises.networks import ACTIVATIONS_NN, matrix_gradient, network

    rng = np.random.default_rng(len(act) + len(which))
    given = {"W1": rng.normal(size=(3, 2)), "b1": rng.normal(size=3),
             "W2": rng.normal(size=(2, 3)), "b2": rng.normal(size=2)}
    data = {"x": rng.normal(size=2), "t": rng.normal(size=2)}
    f = ACTIVATIONS_NN[act]
    form = matrix_gradient(which, given, data, f)
    w = {k: dc.Var(k, v.shape) for k, v in given.items()}
    E = network(w, dc.const(data["x"]), dc.const(data["t"]), f)["E"]
    np.testing.assert_allclose(form.evaluate({**given, **data}), dc.grad(E, which, given), rtol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_layer_solutions_end_with_the_lecture_forms(seed):
    text = exercises.generate("layer", seed, 1 + seed % 2).worked_solution
    closing = text.split("by `dc.closed_form`")[-1]
    assert r"\delta_{ij}" in closing and r"x_{k}" in closing
    assert r"\operatorname{diag}" in closing and closing.count(r"\, W") == 1
