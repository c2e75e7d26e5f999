"""One pipeline under check, check_gradient and check_chain: each front end is the pipeline."""

import dataclasses

import numpy as np
import pytest

import diffcheck as dc
from diffcheck.checking import compare
from diffcheck.checking.check_inputs import METHODS, resolve_points
from diffcheck.checking.method_tensors import Column, FixedSample
from diffcheck.checking.pipeline import CheckPlan, execute, run_check
from diffcheck.checking.routes import substitute
from diffcheck.checking.tolerances import TOLERANCES
from diffcheck.checking.verify import ChainProducts
from diffcheck.ops import REGISTRY

W, x = dc.matrix("W", 2, 3), dc.vector("x", 3)
V = dc.matrix("V", 2, 2)


def broken_tanh(monkeypatch):
    monkeypatch.setattr(
        type(REGISTRY["tanh"]), "vjp", staticmethod(lambda g, out, x: g * (1.0 + out * out))
    )


def assert_same_report(front, pipeline):
    """Two reports are the same: text, verdict, every recorded element and every tensor."""
    assert str(front) == str(pipeline)
    assert repr(front) == repr(pipeline)
    for name in ("title", "output", "wrt", "methods", "reference", "seed", "compared",
                 "projections", "tolerances", "notes", "hints", "errors", "disagreeing",
                 "numeric_kind", "max_abs_error", "max_rel_error"):
        assert getattr(front, name) == getattr(pipeline, name), name
    np.testing.assert_equal(front.points, pipeline.points)
    np.testing.assert_equal([dataclasses.asdict(m) for m in front.mismatches],
                            [dataclasses.asdict(m) for m in pipeline.mismatches])
    np.testing.assert_equal([dataclasses.asdict(k) for k in front.kinks],
                            [dataclasses.asdict(k) for k in pipeline.kinks])
    assert front.jacobians.keys() == pipeline.jacobians.keys()
    for key, tensors in front.jacobians.items():
        assert list(tensors) == list(pipeline.jacobians[key]), key
        np.testing.assert_array_equal(list(tensors.values()), list(pipeline.jacobians[key].values()))


def plan_for(y, wrt, at=None, seed=None, n_points=3, **options):
    """The plan a front end hands over for these inputs (points resolved the same way)."""
    points, seed, notes = resolve_points(y, at, seed, n_points)
    return CheckPlan(y, tuple(wrt), points, seed, options.pop("methods", METHODS),
                     compare.route_limits(), notes=notes, **options)


def claimed_column(claim):
    return lambda run, p, var, point: {"claimed": Column(np.asarray(claim(**point), float), "claimed")}


@pytest.mark.parametrize("broken", [False, True], ids=["agreeing", "tape-broken"])
def test_check_is_the_pipeline(broken, monkeypatch):
    if broken:
        broken_tanh(monkeypatch)
    y = dc.tanh(W @ x)
    front = dc.check(y, [W, x], seed=4, rtol=1e-6)
    assert front.ok is not broken
    assert_same_report(front, run_check(plan_for(y, [W, x], seed=4, rtol=1e-6)))


def test_fast_check_is_the_pipeline_in_fast_mode(monkeypatch):
    broken_tanh(monkeypatch)  # the projections disagree, so elements are compared too
    b = dc.vector("b", 2)
    y = dc.sum(dc.tanh(W @ x)) + dc.sum(b * b)
    front = dc.check(y, [W, b], seed=1, mode="fast", projections=2)
    plan = plan_for(y, [W, b], seed=1, mode="fast", projections=2, title="check (fast)")
    assert not front.ok and front.projections == 6  # b's projections agree at every point
    assert front.compared == 3 * 6  # W's elements, at every point
    assert_same_report(front, run_check(plan))


@pytest.mark.parametrize("factor", [1.0, 2.0], ids=["right", "twice-too-big"])
def test_check_gradient_is_the_pipeline_with_a_claim_column(factor):
    y = dc.sum(dc.tanh(W @ x))

    def claim(W, x):
        return factor * (1 - np.tanh(W @ x) ** 2) @ W

    front = dc.check_gradient(y, x, claim, seed=2, name="y")
    assert front.ok is (factor == 1.0)
    plan = plan_for(y, [x], seed=2, title="check_gradient", extra=claimed_column(claim))
    assert_same_report(front, run_check(plan))
    if factor != 1.0:
        assert any(h.startswith("factor:") for h in front.hints)


def test_check_chain_is_the_pipeline_with_chain_product_columns():
    via = W @ x
    y = V @ dc.tanh(via)
    front = dc.check_chain(y, via, x, seed=3, via_name="z")
    z = dc.Var("z", via.shape)
    plan = plan_for(y, [x], seed=3, title="check_chain",
                    extra=ChainProducts(via, z, substitute(y, via, z)))
    assert front.ok, front
    assert_same_report(front, run_check(plan))
    # a product takes the tolerance of the method that built it
    for m in METHODS:
        assert front.tolerances[f"chain {m}"] == front.tolerances.get(m, front.tolerances["tape"])


def test_a_plan_runs_the_same_twice_no_state_is_left_behind(monkeypatch):
    broken_tanh(monkeypatch)
    plan = plan_for(dc.tanh(W @ x), [W, x], seed=0, extra=lambda run, p, var, point: {})
    first, second = run_check(plan), run_check(plan)
    assert not first.ok and first is not second
    assert_same_report(first, second)


def test_a_pair_without_extra_columns_is_skipped():
    """A front end that returns None for a (point, variable) says why itself; nothing is compared."""

    def only_w(run, p, var, point):
        if var.name == "x":
            run.report.errors.append(f"x skipped at point {p}")
            return None
        return {}

    report = run_check(plan_for(dc.tanh(W @ x), [W, x], seed=0, n_points=2, extra=only_w))
    assert report.compared == 2 * 2 * 6  # W's elements only
    assert set(report.jacobians) == {(0, "W"), (1, "W")}
    assert report.errors == ["x skipped at point 0", "x skipped at point 1"]


def test_the_run_keeps_the_allowances_it_compared_with():
    y = dc.sum(dc.relu(W @ x))  # relu: central differences, with a rounding allowance
    run = execute(plan_for(y, [W, x], seed=0, n_points=1))
    rtol, atol = run.allowances[(0, "W")]["numeric"]
    assert rtol == TOLERANCES[("central", "float64")][0]
    assert np.shape(atol) == (2, 3) and np.all(atol > TOLERANCES[("central", "float64")][1])
    assert run.allowances[(0, "W")]["tape"] == TOLERANCES[("tape", "float64")]
    assert "sympy" not in run.allowances[(0, "W")]  # the reference is not compared with itself


def test_a_fixed_sample_perturbs_only_its_elements():
    y = dc.sum(dc.tanh(W @ x))
    sample = FixedSample({"W": [(0, 1), (1, 2)]})
    report = run_check(plan_for(y, [W], seed=0, n_points=1, methods=("tape", "numeric"),
                                sample=sample))
    numeric = report.jacobians[(0, "W")]["numeric"]
    assert report.ok, report
    assert np.isnan(numeric).sum() == 4 and not np.isnan(numeric[[0, 1], [1, 2]]).any()
    assert any("a seeded sample of 2 of the 6 elements of W" in note for note in report.notes)


def test_plans_are_immutable():
    plan = plan_for(dc.tanh(W @ x), [W], seed=0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.mode = "fast"
    assert plan.reference == "sympy"
    assert dataclasses.replace(plan, methods=("tape", "numeric")).reference == "tape"
