"""Hostile answers never run code and never hang: each grade is quick and incorrect.

An audit hook records, while grading, every ``exec`` of code that was not loaded from a
file (``eval``/``exec``/``lambdify`` of text) and every process start other than the
symbolic worker; the corpus follows the research notes' reject list.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sympy as sp

from diffcheck import exercises
from diffcheck.exercises import SymbolicChecker

SENTINEL = Path("/tmp/diffcheck-exercises-pwned")
TEXTS = [
    f"__import__('os').system('touch {SENTINEL}')",
    "().__class__.__bases__[0].__subclasses__()", "(1).__class__", "lambda: 0",
    "[c for c in ()]", "eval('1')", "exec('1')", "open('/etc/passwd')", "getattr(x, 'y')",
    "globals()", "_\uff3fimport\uff3f\uff3f('os')", "\uff45\uff56\uff41\uff4c(1)", "'abc'",
    "f'{x}'", "True", "{1}", "*x", "(y:=1)", "a if b else c", "f(x, evaluate=False)",
    "9**9**9**9", "2**30**5", "factorial(10**6)", "(x[0]+1)**100000", "x[0]**(10**6)",
    "(" * 300 + "1" + ")" * 300, "+".join(["x[0]"] * 5000), "1" * 5000, "1+" * 500_000 + "1",
    "diff(W[0,0]**2, W[0,0])", "integrate(x[0])", "Subs(x[0], x[0], 1)", "solve(x[0])",
    "1e309", "oo", "zoo", "nan", "1/0", "log(0)", "x[0]#c", "x[0]\\", "x[0];x[1]",
    "x[0]\nx[1]", "x[0]\u202e", "x\u200b[0]", "\u0430", r"\mathit{__import__('os')}",
    r"\unicode{<img src=x onerror=alert(1)>}", "N", "S", "Q", "O", "I", "E", "W.T",
    "W[0,0].__class__", "x[-1]", "x[99]", "W[0:1]", "W[0][0][0]", "x[0](1)",
    "<script>alert(1)</script>", "`rm -rf /`", "$(reboot)", "", "   ", "\x00", "\ud800",
    "exp(exp(exp(exp(9))))", "sigmoid(exp(exp(exp(9))))", "abs(sin(exp(exp(exp(9)))) - 1/2)",
    "[[sigmoid(exp(exp(exp(9)))) + W[0,0]]]", "sqrt(-1 - x[0]**2)", "log(-1 - W[0,0]**2)*0 + W[0,0]",
    "exp(1000*x[0])/exp(1000*x[0]) * W[0,0]",
    "*".join(f"(x[0] + {k})**20" for k in range(1, 60)),
]


class Evil:
    def __str__(self) -> str:
        raise RuntimeError("boom")

    __repr__ = __str__


def _deep(n: int) -> list:
    value: list = []
    for _ in range(n):
        value = [value]
    return value


def _deep_dict(n: int) -> dict:
    value: dict = {}
    for _ in range(n):
        value = {"W": value}
    return value


OBJECTS = [
    _deep(100_000), [0] * 1_000_000, ["x" * 1_000_000], ["W[0,0]" * 1000] * 2000,
    [[str(i) for i in range(3000)]], {"dy_dx": _deep(50_000)}, _deep_dict(50_000), Evil(),
    [Evil()], b"W[0,0]", [1j], {1, 2}, (x for x in range(3)), sp.Symbol("__import__('os')"),
    [[sp.Symbol("__import__('os').system('touch x')")]], sp.Function("evil")(1),
    sp.MatrixSymbol("W", 2, 2), sp.oo, sp.nan, [[sp.Derivative(sp.Symbol("W[0,0]"), sp.Symbol("W[0,0]"))]],
    float("inf"), 10 ** 100_000, None, [[]], [], {}, {"W": None}, {Evil(): 1},
    {sp.sin(sp.exp(sp.exp(sp.exp(9)))): 1}, [[sp.sin(sp.exp(sp.exp(sp.exp(9)))) - sp.Rational(1, 2)]],
]


@pytest.fixture(scope="module")
def fast_checker() -> Iterator[SymbolicChecker]:
    with SymbolicChecker(timeout=1.0, budget=1.5) as worker:
        worker.check([("x[0]", "x[0]")], {"x": (1,)})  # start it before timing anything
        yield worker


@pytest.fixture(scope="module")
def targets() -> list[exercises.Exercise]:
    return [exercises.generate("jacobian", 1, level=2), exercises.generate("layer", 1),
            exercises.generate("backprop", 1), exercises.generate("graph", 4, level=3)]


def _audit() -> list:
    """Start recording suspicious events (the hook stays installed, recording only when asked)."""
    events: list = []

    def hook(event: str, args: tuple) -> None:
        if not events or events[0] is not True:
            return
        if event == "exec":
            code = args[0]
            name = getattr(code, "co_filename", "")
            if name.startswith("<") and name not in ("<frozen importlib._bootstrap>",):
                events.append((event, name))
        elif event in ("os.system", "os.posix_spawn", "os.spawn", "os.exec", "os.fork"):
            events.append((event, args[:1]))
        elif event == "subprocess.Popen":
            argv = list(args[1] or [])
            if "diffcheck.exercises._worker" not in argv:
                events.append((event, argv[:3]))

    sys.addaudithook(hook)
    return events


def _grade_all(ex: exercises.Exercise, answers: list, checker: SymbolicChecker) -> list[float]:
    times = []
    for answer in answers:
        for wrapped in ([answer, {p.key: answer for p in ex.parts}] if len(ex.parts) > 1
                        else [answer, [[answer]]]):
            start = time.perf_counter()
            grade = ex.grade(wrapped, checker=checker)
            times.append(time.perf_counter() - start)
            assert not grade.correct and 0 <= grade.score < 1
            assert "internal error" not in grade.feedback, (answer, grade.feedback)
            assert "<script" not in grade.feedback and "<img" not in grade.feedback
    return times


def test_hostile_answers_are_rejected_quickly_and_run_nothing(targets, fast_checker) -> None:
    SENTINEL.unlink(missing_ok=True)
    for ex in targets:  # warm-up: lazy imports happen outside the audited run
        _grade_all(ex, TEXTS[:3] + OBJECTS[-4:], fast_checker)
    events = _audit()
    events.append(True)
    try:
        for ex in targets:
            times = _grade_all(ex, TEXTS + OBJECTS, fast_checker)
            assert max(times) < 2.0, (ex.id, max(times))
    finally:
        events[0] = False
    assert events[1:] == []
    assert not SENTINEL.exists()


def test_hostile_sympy_symbols_never_reach_code_generation(targets) -> None:
    ex = targets[0]
    evil = sp.Symbol("W[0,0]) or __import__('os').system('x') or (1")
    rows, cols = ex.parts[0].shape
    grade = ex.grade(sp.Matrix(rows, cols, lambda i, j: evil))
    assert not grade.correct and "unknown symbol" in grade.feedback


@pytest.mark.parametrize("kind", exercises.KINDS)
def test_garbage_never_raises(kind: str) -> None:
    ex = exercises.generate(kind, 2)
    for answer in ("", "[[[[", "0", [[0]], {"nope": 1}, 3.5, ["W[0,0]"] * 3, {"": ""}):
        grade = ex.grade(answer)
        assert not grade.correct and isinstance(grade.feedback, str)


HUGE = [
    (sp.Integer(10**100_000), "has more than 77 digits"),
    (sp.Rational(1, 10**100_000), "has more than 77 digits"),
    (sp.Float("1e100000"), "beyond the floating-point range"),
    (-sp.Float("1e100000") * sp.Symbol("W[0,0]"), "beyond the floating-point range"),
]


@pytest.mark.parametrize("number, problem", HUGE,
                         ids=["10**100000", "1/10**100000", "1e100000", "W*-1e100000"])
def test_a_huge_number_in_an_answer_is_named_not_an_internal_error(number, problem) -> None:
    ex = exercises.generate("jacobian", 1, level=2)
    rows, cols = ex.parts[0].shape
    for answer in (number, sp.Matrix(rows, cols, lambda i, j: number), [[number] * cols] * rows):
        grade = ex.grade(answer)
        assert not grade.correct and grade.score == 0
        assert problem in grade.feedback and "internal error" not in grade.feedback, grade.feedback


def test_an_exercise_that_cannot_be_graded_says_so_not_internal_error() -> None:
    """Built in Python, not loaded (loading refuses it): grading names the exercise's fault."""
    ex = dataclasses.replace(exercises.generate("jacobian", 1), seed=-1)
    grade = ex.grade(ex.answer_text())
    assert not grade.correct and "internal error" not in grade.feedback
    assert "the exercise itself is invalid: the seed must be a non-negative int" in grade.feedback


def test_loading_refuses_a_negative_seed_and_given_values_beyond_float64() -> None:
    data = exercises.generate("graph", 2).to_dict()
    with pytest.raises(ValueError, match="field 'seed' must be a non-negative int"):
        exercises.Exercise.from_dict({**data, "seed": -1})
    for value in ("1e300*1e300", "exp(exp(9))"):
        given = [[data["given"][0][0], [value]], *data["given"][1:]]
        with pytest.raises(ValueError, match="is not a finite real number in floating point"):
            exercises.Exercise.from_dict({**data, "given": given})
