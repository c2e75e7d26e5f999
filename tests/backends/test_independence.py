"""The three honesty checks: backends never share derivative rules, and a broken VJP is caught."""

import ast
import inspect
from pathlib import Path

import numpy as np
import pytest

import diffcheck as dc
from diffcheck.backends import kernels, numeric, symbolic
from diffcheck.ops import REGISTRY, arithmetic, elementwise, linalg, reductions

PACKAGE = Path(dc.__file__).parent


def names_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    found |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    found |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    found |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    return found


@pytest.mark.parametrize("backend", ["symbolic", "numeric", "sympy_local", "sympy_per_node"])
def test_symbolic_and_numeric_backends_never_touch_a_vjp(backend):
    used = names_in(PACKAGE / "backends" / f"{backend}.py")
    assert not {n for n in used if "vjp" in n.lower()}
    assert "tape" not in used and "diffcheck.backends.tape" not in used


@pytest.mark.parametrize("backend", ["symbolic", "sympy_local"])
def test_symbolic_backend_never_runs_numpy_forwards(backend):
    used = names_in(PACKAGE / "backends" / f"{backend}.py")
    assert "forward" not in used and "run_forward" not in used


def test_tape_and_numeric_never_import_sympy():
    for backend in ("tape", "numeric", "program", "kernels", "sweep", "sweep_plan"):
        used = names_in(PACKAGE / "backends" / f"{backend}.py")
        assert not {n for n in used if "sympy" in n.lower() or n == "lower"}, backend


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_no_vjp_mentions_sympy(name):
    for vjp in REGISTRY[name].vjps:
        source = inspect.getsource(vjp)
        assert "sp." not in source and "sympy" not in source, name


def test_op_modules_keep_vjps_free_of_sympy():
    for module in (arithmetic, elementwise, linalg, reductions):
        tree = ast.parse(inspect.getsource(module))
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef) and "vjp" in fn.name:
                used = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)}
                assert "sp" not in used and "sympy_functions" not in used, fn.name


@pytest.mark.parametrize(
    "name, broken",
    [
        ("tanh", lambda g, out, x: g * (1.0 + out * out)),
        ("sigmoid", lambda g, out, x: g * out),
        ("exp", lambda g, out, x: g * x),
    ],
)
def test_a_deliberately_broken_vjp_is_a_mismatch(monkeypatch, name, broken):
    x = dc.vector("x", 3)
    expr = dc.sum(getattr(dc, name)(x) * x)
    assert dc.check(expr, x)
    cls = type(REGISTRY[name])
    monkeypatch.setattr(cls, "vjp", staticmethod(broken))
    report = dc.check(dc.sum(getattr(dc, name)(x) * x), x)
    assert not report.ok
    assert all(set(m.values) >= {"sympy", "tape", "numeric"} for m in report.mismatches)
    m = report.mismatches[0]
    assert m.values["sympy"] == pytest.approx(m.values["numeric"], rel=1e-9)
    assert m.values["tape"] != pytest.approx(m.values["sympy"], rel=1e-3)


def test_a_broken_binary_vjp_is_a_mismatch(monkeypatch):
    W, x = dc.matrix("W", 2, 3), dc.vector("x", 3)
    monkeypatch.setattr(type(REGISTRY["mul"]), "vjp_y", staticmethod(lambda g, out, x, y: g))
    report = dc.check(dc.sum(W * x), [W, x])
    assert not report.ok
    assert {m.wrt for m in report.mismatches} == {"x"}


def test_numeric_reads_only_the_forward(monkeypatch):
    """Breaking every VJP and lowering leaves the numeric Jacobian unchanged."""
    x = dc.vector("x", 3)
    expr = dc.tanh(x) * 2.0
    point = {"x": np.array([0.1, -0.2, 0.3])}
    before = numeric.jacobian(expr, x, point).values
    monkeypatch.setattr(kernels, "vjp_for", None)  # the tape's fast paths too
    for record in REGISTRY.values():
        monkeypatch.setattr(type(record), "vjps", property(lambda self: None))
        monkeypatch.setattr(type(record), "lower", None)
    after = numeric.jacobian(dc.tanh(x) * 2.0, x, point).values
    np.testing.assert_array_equal(before, after)


def test_symbolic_reads_only_the_lowering(monkeypatch):
    x = dc.vector("x", 3)
    point = {"x": np.array([0.1, -0.2, 0.3])}
    monkeypatch.setattr(kernels, "vjp_for", None)  # the tape's fast paths too
    monkeypatch.setattr(kernels, "forward_for", None)
    for record in REGISTRY.values():
        monkeypatch.setattr(type(record), "vjps", property(lambda self: None))
        monkeypatch.setattr(type(record), "forward", None)
    j = symbolic.jacobian(dc.tanh(x) * 2.0, x, point)
    np.testing.assert_allclose(np.diag(j), 2 * (1 - np.tanh(point["x"]) ** 2), rtol=1e-14)
