"""The SymPy reference is chosen per variable by predicted cost, and cached by structure.

No timing is asserted: the tests check which route is chosen (and that the report says
so), that the result still agrees three ways, and that a fresh expression of the same
structure is not derived again (derivations are counted).
"""

import importlib
import os
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

import diffcheck as dc
from diffcheck.backends import symbolic, sympy_cache, sympy_chain, sympy_local, sympy_size
from diffcheck.checking import cost

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def load_cases():
    with mock.patch.dict(os.environ), mock.patch.object(sys, "path", [str(BENCHMARKS), *sys.path]):
        return importlib.import_module("_sympy_cases")


CASES = load_cases().CASES


@pytest.mark.parametrize("name", list(CASES))
def test_the_slow_cases_leave_the_element_wise_closed_form_and_agree_three_ways(name):
    """Scalar losses over a tree of ops with matrix rules take their matrix-notation form
    (the MLPs); the others (a vector output, a reused node, a row-wise op) the per-node route."""
    case = CASES[name]()
    for var in case.wrt:
        route = cost.choose(case.y, var, 50_000, case.wrt)
        assert not route.elementwise, (var.name, route)
        assert route.elementwise_seconds > route.per_node_seconds
    report = dc.check(case.y, case.wrt, n_points=1)
    assert report.ok, str(report)
    assert report.methods == ("sympy", "tape", "numeric")
    route = "by its closed form in matrix notation" if name.startswith("MLP") else "by the per-node route"
    for var in case.wrt:
        assert any(n.startswith(f"sympy: ∂y/∂{var.name} {route}") for n in report.notes), report.notes


def test_a_small_expression_keeps_the_element_wise_closed_form():
    x, W = dc.vector("x", 3), dc.matrix("W", 2, 3)
    y = dc.tanh(W @ x)
    route = cost.choose(y, W, 50_000, [W, x])
    assert route.elementwise and route.elementwise_seconds <= cost.ELEMENTWISE_BUDGET
    report = dc.check(y, W, n_points=1)
    assert report.ok and not any("per-node" in n for n in report.notes)


def test_reuse_is_counted_by_paths_not_nodes():
    x = dc.vector("x", 2)
    h = x
    sizes = []
    for _ in range(4):  # each level reads h twice: the tree doubles, the node count does not
        h = h * h + h
        sizes.append(sympy_size.closed_form_size(dc.sum(h), x).terms)
    assert all(b > 1.8 * a for a, b in zip(sizes, sizes[1:], strict=False))


def test_the_quick_estimate_falls_short_of_the_probed_size():
    for build in CASES.values():
        case = build()
        var = case.wrt[0]
        assert sympy_size.quick_terms(case.y, var) <= sympy_size.closed_form_size(case.y, var).terms


def test_jacobian_by_sympy_takes_the_cheaper_route_with_the_same_values():
    case = CASES["residual net, depth 6, 3-vector"]()
    at = dc.checking.points.resolve(case.y, None, 0, 1).points[0]
    before = sympy_cache.derivations["closed-form"]
    for var in case.wrt[:2]:
        np.testing.assert_allclose(dc.jacobian(case.y, var, at, method="sympy"),
                                   dc.jacobian(case.y, var, at), rtol=1e-10, atol=1e-12)
    assert sympy_cache.derivations["closed-form"] == before  # never expanded element-wise


def build_small(seed_value: float):
    W, x = dc.matrix("W", 2, 3), dc.vector("x", 3)
    return dc.sum(dc.sigmoid(W @ x) * seed_value), W


def test_a_fresh_expression_of_the_same_structure_is_not_derived_again():
    y, W = build_small(1.5)
    at = {"W": np.ones((2, 3)), "x": np.arange(3.0)}
    first = symbolic.jacobian(y, W, at)
    derived = sympy_cache.derivations["closed-form"]
    fresh, W2 = build_small(1.5)
    assert fresh is not y
    np.testing.assert_array_equal(symbolic.jacobian(fresh, W2, at), first)
    assert sympy_cache.derivations["closed-form"] == derived
    other, W3 = build_small(2.5)  # another constant: another structure, derived again
    np.testing.assert_allclose(symbolic.jacobian(other, W3, at), first * 2.5 / 1.5, rtol=1e-12)
    assert sympy_cache.derivations["closed-form"] == derived + 1


def test_the_structural_cache_is_bounded_and_rebuilds_after_clear(monkeypatch):
    monkeypatch.setattr(sympy_cache, "MAX_ENTRIES", 2)
    for n in range(2, 6):
        x = dc.vector("x", n)
        symbolic.closed_form(dc.sum(x * x), x)
    assert len(sympy_cache._store) <= 2
    sympy_cache.clear()
    x = dc.vector("x", 2)
    before = sympy_cache.derivations["closed-form"]
    assert symbolic.closed_form(dc.sum(x * x), x).shape == (2,)
    assert sympy_cache.derivations["closed-form"] == before + 1


@pytest.mark.parametrize("params", [{"axis": (1,), "eps": 1e-5}, {"axis": (0, 1), "eps": 0.25}])
def test_the_chain_route_matches_the_entry_by_entry_local_jacobian(params):
    from diffcheck.ops import REGISTRY

    record = REGISTRY["layer_norm"]
    rng = np.random.default_rng(3)
    x, g = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    chain = sympy_chain.chain_jacobian(record, 0, [(2, 3)], params).project(g, [x])
    entries = sympy_local.sparse_jacobian(record, 0, [(2, 3)], params).project(g, [x])
    np.testing.assert_allclose(chain, entries, rtol=1e-12, atol=1e-14)


def test_a_fresh_expression_reuses_the_per_node_rules():
    def misses():
        return sum(f.cache_info().misses for f in (
            sympy_local.elementwise_rule, sympy_local._matrix_rule, sympy_chain._chain))

    build = CASES["layer norm 8×16"]
    case = build()
    at = dc.checking.points.resolve(case.y, None, 0, 1).points[0]
    first = dc.jacobian(case.y, case.wrt[0], at, method="sympy")
    derived = misses()
    fresh = build()
    np.testing.assert_array_equal(dc.jacobian(fresh.y, fresh.wrt[0], at, method="sympy"), first)
    assert misses() == derived


def test_the_closed_form_of_a_nested_minimum_evaluates():
    x = dc.vector("x", 3)
    m = dc.minimum(dc.minimum(x[0], x[1]), x[2])
    for values in ([3.0, 1.0, 2.0], [0.5, 4.0, 2.0], [3.0, 4.0, 2.0]):
        got = symbolic.jacobian(m, x, {"x": np.array(values)})
        np.testing.assert_array_equal(got, np.eye(3)[int(np.argmin(values))])


def test_no_sympy_probe_when_its_lower_bound_already_loses(monkeypatch):
    """When the cheap lower bounds of all the check's variables together exceed the budget,
    a closed form can only win by beating the per-node route, so one whose lower bound
    already loses that is not probed with SymPy; the choices stay what probing gives."""
    case = CASES["MLP 8×16→16→4"]()
    seconds = {v.name: cost.elementwise_seconds(case.y, v, 50_000)[0] for v in case.wrt}
    probed = [seconds[v.name] <= cost.per_node_seconds(case.y, v)
              or sum(seconds.values()) <= cost.ELEMENTWISE_BUDGET for v in case.wrt]
    calls = []
    real = sympy_size.closed_form_size
    monkeypatch.setattr(sympy_size, "closed_form_size", lambda *a: calls.append(a) or real(*a))
    fresh = CASES["MLP 8×16→16→4"]()
    chosen = [cost.choose(fresh.y, var, 50_000, fresh.wrt).elementwise for var in fresh.wrt]
    assert calls == [] and chosen == probed == [False] * len(fresh.wrt)
    small = dc.sum(dc.tanh(dc.matrix("W", 2, 2) @ dc.vector("x", 2)))
    (W, x) = sorted(dc.ir.variables(small).values(), key=lambda v: v.name)
    assert cost.choose(small, W, 50_000, (W, x)).elementwise and calls  # cheap: probed, kept
