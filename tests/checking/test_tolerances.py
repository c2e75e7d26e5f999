"""The one tolerances table: every default (rtol, atol) lives in diffcheck/checking/tolerances.py."""

import ast
from pathlib import Path

import numpy as np
import pytest

import diffcheck as dc
from diffcheck.checking import compare, tolerances
from diffcheck.checking.tolerances import TOLERANCES, tolerance
from diffcheck.diagnosis import hints, localize
from diffcheck.exercises.model import Exercise
from diffcheck.lecture import demo

PACKAGE = Path(dc.__file__).parent
TOLERANCE_NAMES = {"rtol", "atol", "tolerance"}
COMPARING_CALLS = {"isclose", "allclose", "assert_allclose"}
KINDS = ("tape", "complex-step", "central", "claimed")


def _is_number(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def _has_number(node: ast.AST) -> bool:
    """A number anywhere in ``node`` except as an index (``pair[0]`` reads a table row)."""
    if _is_number(node):
        return True
    if isinstance(node, ast.Subscript):
        return _has_number(node.value)
    return any(_has_number(child) for child in ast.iter_child_nodes(node))


def _names(target: ast.AST) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Attribute):
        return [target.attr]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for element in target.elts for n in _names(element)]
    return []


def _is_tolerance_name(name: str) -> bool:
    lowered = name.lower()
    return lowered in TOLERANCE_NAMES or lowered.endswith(("_rtol", "_atol", "_tolerance"))


def literal_tolerances(source: str) -> list[str]:
    """Where ``source`` writes a tolerance as a number: an rtol/atol keyword, default,
    assignment or field, or a positional tolerance of isclose/allclose."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.keyword) and node.arg in TOLERANCE_NAMES and _has_number(node.value):
            found.append(f"line {node.value.lineno}: {node.arg}={ast.unparse(node.value)}")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args.posonlyargs + node.args.args
            pairs = list(zip(args[len(args) - len(node.args.defaults):], node.args.defaults))
            pairs += [(a, d) for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults) if d]
            found += [f"line {node.lineno}: default {a.arg}={ast.unparse(d)}" for a, d in pairs
                      if a.arg in TOLERANCE_NAMES and _has_number(d)]
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [n for t in targets for n in _names(t) if _is_tolerance_name(n)]
            if names and _has_number(node.value):
                found.append(f"line {node.lineno}: {', '.join(names)} = {ast.unparse(node.value)}")
        elif isinstance(node, ast.Call):
            func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if func in COMPARING_CALLS and any(_is_number(a) for a in node.args[2:4]):
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def test_no_module_but_tolerances_writes_a_tolerance_as_a_number():
    offenders = {
        str(path.relative_to(PACKAGE)): literal_tolerances(path.read_text(encoding="utf-8"))
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != PACKAGE / "checking" / "tolerances.py"
    }
    assert {path: lines for path, lines in offenders.items() if lines} == {}


@pytest.mark.parametrize("source", [
    "np.allclose(a, b, rtol=1e-6, atol=1e-9)",
    "np.isclose(a, b, 1e-6, 1e-9)",
    "RTOL, ATOL = 1e-6, 1e-9",
    "class E:\n    rtol: float = 1e-6",
    "def f(x, *, atol=1e-7):\n    pass",
    "def f(x, rtol=1e-5):\n    pass",
    "FUNCTION_RTOL = 1e-10",
    "check(y, x, atol=-0.0)",
    "SYMBOLIC_TOLERANCE = (1e-6, 1e-9)",
    "Part(given=g, tolerance=NUMERIC if g else (1e-6, 1e-9))",
])
def test_the_scan_finds_a_literal_tolerance(source):
    assert literal_tolerances(source), source


@pytest.mark.parametrize("source", [
    "np.allclose(a, b, *EXERCISE_GRADING)",
    "RTOL, ATOL = HINTS",
    "def f(x, rtol=None, atol=None):\n    pass",
    "check(y, x, rtol=rtol)",
    "steps = 1e-3",
    "rtol, atol = run.allowances[0, name]['numeric']",
    "rtol: float = EXERCISE_GRADING[0]",
])
def test_the_scan_accepts_tolerances_read_from_the_table(source):
    assert literal_tolerances(source) == []


def test_every_kind_has_a_row_per_dtype_and_coarser_dtypes_are_looser():
    for kind in KINDS:
        rows = [TOLERANCES[(kind, dtype)] for dtype in ("float64", "float32", "float16")]
        assert [r for r, _ in rows] == sorted(r for r, _ in rows)
        assert [a for _, a in rows] == sorted(a for _, a in rows)
    assert set(TOLERANCES) == {(k, d) for k in KINDS for d in tolerances.DTYPES}


def test_the_float16_row_is_read_for_float16_values():
    for kind in KINDS:
        assert tolerance(kind, np.float16) == TOLERANCES[(kind, "float16")]
        assert tolerance(kind, np.dtype("float16")) != tolerance(kind, np.float64)
    assert tolerance("tape", np.float16, rtol=0.5) == (0.5, TOLERANCES[("tape", "float16")][1])
    assert tolerances.dtype_key(np.float32) == "float32"
    assert tolerances.dtype_key(np.complex128) == "float64"  # anything else: the float64 row


def test_a_check_at_float16_values_computes_and_compares_in_float64():
    a = dc.scalar("a")
    report = dc.check(dc.sin(a) * a, a, at={"a": np.float16(0.75)})
    assert report.ok
    assert report.tolerances["tape"] == TOLERANCES[("tape", "float64")]
    assert any("float16" in note and "float64" in note for note in report.notes)


def test_float32_points_read_the_float32_row():
    x = dc.vector("x", 3)
    report = dc.check(dc.tanh(x), x, at={"x": np.array([0.1, 0.5, -0.3], np.float32)})
    assert report.ok, report
    assert report.tolerances["tape"] == TOLERANCES[("tape", "float32")]


def test_the_named_rows_are_what_the_modules_compare_with():
    assert compare.TOLERANCES is TOLERANCES  # the documented name still works
    assert (hints.RTOL, hints.ATOL) == tolerances.HINTS
    assert (localize.RTOL, localize.ATOL) == tolerances.LOCALISATION
    assert (demo.RTOL, demo.ATOL) == tolerances.LECTURE_FORMULA
    fields = Exercise.__dataclass_fields__
    assert (fields["rtol"].default, fields["atol"].default) == tolerances.EXERCISE_GRADING
