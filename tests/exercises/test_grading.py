"""Grading behaviour: shapes, partial credit, parts, answer forms, hints, the symbolic path."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from diffcheck import exercises
from diffcheck.exercises import SymbolicChecker
from diffcheck.symbols import element_symbol

from .conftest import answer_lists


def level(kind: str, seed: int, lvl: int) -> exercises.Exercise:
    return exercises.generate(kind, seed, level=lvl)


def test_wrong_shape_is_graded_where_it_stands_and_names_both_shapes() -> None:
    ex = level("jacobian", 1, 1)  # y = Wx: entry [i, j] is W[i,j]
    rows, cols = ex.parts[0].shape
    grade = ex.grade([["W[0,0]"] * (cols + 1)] * rows)  # one column too many
    assert not grade.correct and grade.score == pytest.approx(1 / (rows * cols))
    assert str((rows, cols + 1)) in grade.feedback and str((rows, cols)) in grade.feedback
    assert grade.elements[0].status == "correct"
    assert {e.status for e in grade.elements[1:]} == {"incorrect"}
    narrow = ex.grade([["W[0,0]"] * (cols - 1)] * rows)  # the last column is not filled
    assert [e.status for e in narrow.elements[cols - 1::cols]] == ["invalid"] * rows
    flat = ex.grade(["W[0,0]"] * (rows * cols))  # another number of axes: nothing to match
    assert flat.score == 0 and {e.status for e in flat.elements} == {"invalid"}


def test_partial_credit_is_the_fraction_of_correct_elements() -> None:
    ex = level("jacobian", 2, 1)
    size = ex.parts[0].size
    grade = ex.grade(answer_lists(ex, lambda key, i, t: "0" if i < 2 else t))
    assert grade.score == pytest.approx((size - 2) / size)
    assert [e.status for e in grade.elements][:2] == ["incorrect", "incorrect"]


def test_bare_variable_and_elementwise_answers() -> None:
    ex = level("jacobian", 4, 1)  # y = Wx: the Jacobian is W itself
    assert ex.grade("W").correct
    assert not ex.grade("2*W").correct
    assert "factor" in ex.grade("2*W").feedback


def test_several_parts_need_a_mapping_and_average_their_scores() -> None:
    ex = level("layer", 0, 1)
    answers = ex.answer_text()
    assert ex.grade(answers).correct
    grade = ex.grade(ex.solution["W"])
    assert not grade.correct and "mapping" in grade.feedback
    grade = ex.grade({**answers, "bogus": "1"})
    assert "unknown part" in grade.feedback
    partial = {k: v for k, v in answers.items() if k != "x"}
    grade = ex.grade(partial)
    assert grade.score == pytest.approx(2 / 3) and "no answer" in grade.feedback
    assert {e.status for e in grade.elements if e.part == "x"} == {"missing"}


def test_intermediates_may_be_used_in_answers() -> None:
    ex = level("layer", 1, 1)  # sigmoid: ∂a_i/∂b_i = a_i (1 - a_i)
    m = ex.parts[1].shape[0]
    diag = [[f"a[{i}]*(1 - a[{i}])" if i == j else "0" for j in range(m)] for i in range(m)]
    answers = {**ex.answer_text(), "b": diag}
    assert ex.grade(answers).correct


def test_vectors_may_be_rows_or_columns_and_numbers_any_type() -> None:
    ex = level("graph", 3, 1)  # numbers at given values
    values = [int(v) for v in ex.solution]
    assert ex.grade(values).correct
    assert ex.grade(sp.Matrix(values)).correct  # a column
    assert ex.grade([values]).correct  # a row
    assert ex.grade(np.array(values, dtype=float)).correct
    assert ex.grade([Fraction(v) for v in values]).correct
    assert ex.grade(str(values)).correct


def test_numeric_answers_are_graded_to_four_significant_digits() -> None:
    ex = level("backprop", 2, 3)  # sigmoid/tanh network: irrational numbers
    exact = np.array(ex.solution.evalf(30).tolist(), dtype=float)
    assert ex.grade(np.round(exact, 6).tolist()).correct
    assert ex.grade([[float(f"{v:.5g}") for v in row] for row in exact]).correct
    rough = exact * 1.01 + 0.01
    assert not ex.grade(rough.tolist()).correct


@pytest.mark.parametrize("entry, reason", [
    (True, "not a number"), (None, "not a number"), ({"a": 1}, "not a number, text"),
    (object(), "not a number, text"), (float("nan"), "not finite"), (10 ** 400, "too large"),
    ("W[0,0", "could not read"), ("[1, 2]", "single value"),
    (sp.Integral(sp.Symbol("W[0,0]"), sp.Symbol("W[0,0]")), "not allowed"),
    (sp.Symbol("q"), "unknown symbol"), (sp.Dummy("W[0,0]"), "unknown symbol"),
    (sp.Function("evil")(1), "not allowed"), (sp.I, "not allowed"),
])
def test_unusable_entries_are_invalid_with_a_reason(entry, reason) -> None:
    ex = level("jacobian", 5, 1)
    rows, cols = ex.parts[0].shape
    answer = [[entry] + ["0"] * (cols - 1)] + [["0"] * cols for _ in range(rows - 1)]
    grade = ex.grade(answer)
    assert not grade.correct and grade.score == 0
    assert reason in grade.feedback, grade.feedback


def test_sympy_answers_are_bound_to_element_symbols_by_name() -> None:
    ex = level("jacobian", 6, 1)
    rows, cols = ex.parts[0].shape
    plain = sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"W[{i},{j}]"))  # no real=True
    assert ex.grade(plain).correct


def test_non_smooth_answers_are_checked_at_many_points() -> None:
    ex = level("jacobian", 7, 1)
    grade = ex.grade(answer_lists(ex, lambda key, i, t: f"abs({t})" if i == 0 else t))
    assert not grade.correct and ex.parts[0].labels[0] in grade.feedback
    assert ex.grade(answer_lists(ex, lambda key, i, t: f"max({t}, {t} - 1)")).correct


def test_ragged_and_deep_lists_are_rejected() -> None:
    ex = level("jacobian", 8, 1)
    assert "ragged" in ex.grade([["W[0,0]"], ["W[0,0]", "W[0,1]"]]).feedback
    deep: list = []
    for _ in range(10_000):
        deep = [deep]
    assert "nested" in ex.grade(deep).feedback


def test_feedback_escapes_what_it_echoes() -> None:
    from diffcheck.exercises.render import echo

    assert echo("<b>x</b> & `y` $z$") == "&lt;b&gt;x&lt;/b&gt; &amp; &#96;y&#96; &#36;z&#36;"
    assert len(echo("x" * 500, 40)) == 40 and echo("a\nb") == "a?b"
    ex = level("jacobian", 9, 1)
    grade = ex.grade({"<script>": "1"} if len(ex.parts) > 1 else "<script>alert(1)</script>")
    assert "<script" not in grade.feedback


def test_grade_is_json_serialisable_and_modes_are_checked() -> None:
    ex = level("jacobian", 10, 2)
    json.dumps(ex.grade("W").to_dict())
    with pytest.raises(ValueError, match="symbolic"):
        ex.grade("W", symbolic="sometimes")


# ----- the symbolic path -----
# e/(e + 1) + 1/(e + 1) is 1, but with e = exp(800 t) it is inf/inf = nan for t > 0.
UNIT = "(exp(800*x[0])/(exp(800*x[0]) + 1) + 1/(exp(800*x[0]) + 1))"


def test_inconclusive_elements_are_decided_symbolically(checker: SymbolicChecker) -> None:
    ex = level("jacobian", 11, 1)
    answer = answer_lists(ex, lambda key, i, t: f"{t}*{UNIT}" if i == 0 else t)
    grade = ex.grade(answer, checker=checker)
    assert grade.correct, grade.feedback
    wrong = answer_lists(ex, lambda key, i, t: f"({t} + 1)*{UNIT}" if i == 0 else t)
    assert not ex.grade(wrong, checker=checker).correct


def test_without_the_symbolic_check_they_are_ungraded() -> None:
    ex = level("jacobian", 11, 1)
    answer = answer_lists(ex, lambda key, i, t: f"{t}*{UNIT}" if i == 0 else t)
    grade = ex.grade(answer, symbolic="never")
    assert not grade.correct and grade.elements[0].status == "ungraded"
    assert "Could not be graded" in grade.feedback


def test_a_checker_is_started_when_none_is_given() -> None:
    ex = level("jacobian", 12, 1)
    answer = answer_lists(ex, lambda key, i, t: f"{t}*{UNIT}" if i == 0 else t)
    assert ex.grade(answer).correct


def test_always_mode_confirms_agreeing_elements(checker: SymbolicChecker) -> None:
    ex = level("jacobian", 13, 2)
    # numerically equal, written differently: "always" sends it to the worker, which agrees
    answer = answer_lists(ex, lambda key, i, t: f"({t})*(exp(x[0])/(exp(x[0]) + 1) + "
                          "1/(exp(x[0]) + 1))" if i == 0 else t)
    assert ex.grade(answer, symbolic="auto").correct
    assert ex.grade(answer, symbolic="always", checker=checker).correct
    assert checker.started >= 1


def test_the_worker_times_out_and_is_restarted() -> None:
    heavy = "*".join(f"(x[0] + x[1]*{k} + 1)**20" for k in range(1, 13))
    slow = f"sqrt({heavy}) - sqrt({heavy.replace('+ 1', '+ 2')}) + ({heavy})/({heavy} + 1)"
    shapes = {"x": (2,)}
    with SymbolicChecker(timeout=1.0) as worker:
        assert worker.check([(slow, "0")], shapes) == ["timeout"]
        assert worker.started == 1
        assert worker.check([("x[0]*(x[1] + 1)", "x[0]*x[1] + x[0]")], shapes) == ["equal"]
        assert worker.started == 2
        assert worker.check([("x[0]", "x[1]"), ("2", "3"), ("expand(x[0])", "1")], shapes) == [
            "unknown", "different", "error"]


def test_a_check_call_has_a_total_budget() -> None:
    heavy = "*".join(f"(x[0] + {k})**20" for k in range(1, 40))
    slow = f"sqrt({heavy}) - sqrt({heavy}*(1 + x[0]**2)) + ({heavy})/({heavy} + 1)"
    with SymbolicChecker(timeout=0.5, budget=1.0) as worker:
        results = worker.check([(slow, "0")] * 2 + [("x[0]", "x[0]")] * 3, {"x": (1,)})
        assert results[:2] == ["timeout", "timeout"] and set(results[2:]) <= {"timeout", "equal"}


def test_element_symbols_in_solutions_are_declared() -> None:
    for kind in exercises.KINDS:
        ex = exercises.generate(kind, 0)
        for value in ex.part_solutions.values():
            free = getattr(value, "free_symbols", set())
            assert {str(s) for s in free} <= set(ex.declared), kind
        assert all(isinstance(s, sp.Symbol) for s in ex.definitions)
        assert element_symbol("x", (0,)).is_real
