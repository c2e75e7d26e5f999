"""Fast mode: random projections first, element-wise comparison only where they disagree."""

import numpy as np
import pytest

import diffcheck as dc
from diffcheck.checking import projections
from diffcheck.ops import REGISTRY


def test_fast_mode_passes_a_correct_large_jacobian_without_element_comparison():
    W, x = dc.matrix("W", 20, 30), dc.vector("x", 30)
    report = dc.check(dc.tanh(W @ x), [W, x], mode="fast", methods=("tape", "numeric"))
    assert report.ok and report.compared == 0
    assert report.projections == 3 * 2 * projections.PROJECTIONS
    assert "Fast mode: 18 random projections uᵀJv agreed" in str(report)


def test_fast_mode_falls_back_and_names_the_wrong_elements(monkeypatch):
    W, x = dc.matrix("W", 6, 5), dc.vector("x", 5)
    original = type(REGISTRY["tanh"]).vjp

    def slightly_wrong(g, out, x):
        bump = 1 + 1e-3 * (np.arange(out.shape[-1]) == 4)
        return original(g, out, x) * bump

    monkeypatch.setattr(type(REGISTRY["tanh"]), "vjp", staticmethod(slightly_wrong))
    report = dc.check(dc.tanh(W @ x), x, mode="fast", methods=("tape", "numeric"))
    assert not report.ok
    assert {m.name.split("/")[0] for m in report.mismatches} == {"∂y[4]"}
    assert any("every element was compared instead" in n for n in report.notes)


def test_fast_mode_at_a_kink_compares_elements():
    a = dc.scalar("a")
    report = dc.check(dc.relu(a), a, {"a": 0.0}, mode="fast")
    assert report.kinks and any("met a kink" in n for n in report.notes)


def test_fast_mode_is_deterministic():
    x = dc.vector("x", 4)
    y = dc.exp(x) * 2.0
    one = projections.projections(y, x, {"x": np.ones(4)}, ("tape",), np.random.default_rng(1), 3)
    two = projections.projections(y, x, {"x": np.ones(4)}, ("tape",), np.random.default_rng(1), 3)
    np.testing.assert_array_equal(one[0]["tape"], two[0]["tape"])


def test_unknown_mode_is_refused():
    x = dc.vector("x", 2)
    with pytest.raises(ValueError, match="mode"):
        dc.check(dc.exp(x), x, mode="quick")


def test_single_element_errors_are_caught_by_projections():
    """One element off by 1e-3 of the Jacobian's typical entry, in a 40x40 Jacobian."""
    rng = np.random.default_rng(0)
    misses = 0
    for _ in range(50):
        J = rng.standard_normal((40, 40))
        wrong = J.copy()
        i, j = rng.integers(0, 40, size=2)
        wrong[i, j] += 1e-3 * np.sqrt(np.mean(J**2))
        values = {"ref": [], "wrong": []}
        scales = []
        for _ in range(projections.PROJECTIONS):
            u, v = rng.standard_normal(40), rng.standard_normal(40)
            values["ref"].append(u @ J @ v)
            values["wrong"].append(u @ wrong @ v)
            scales.append(np.linalg.norm(u @ J) * np.linalg.norm(v))
        agreed = projections.agree(
            {k: np.array(v) for k, v in values.items()}, np.array(scales), "ref",
            {"wrong": (1e-7, 1e-10)},
        )
        misses += agreed
    assert misses <= 1  # see benchmarks/fast_mode_misses.py for measured rates


def test_check_gradient_fast_mode_screens_the_claim_too():
    W, x = dc.matrix("W", 8, 6), dc.vector("x", 6)
    y = dc.tanh(W @ x)
    right = lambda W, x: np.diag(1 - np.tanh(W @ x) ** 2) @ W  # noqa: E731
    report = dc.check_gradient(y, x, right, mode="fast", methods=("tape", "numeric"))
    assert report.ok and report.compared == 0 and report.projections == 9
    wrong = lambda W, x: W  # noqa: E731
    report = dc.check_gradient(y, x, wrong, mode="fast", methods=("tape", "numeric"))
    assert not report.ok and report.mismatches[0].name.startswith("∂y[")
    assert "claimed" in report.mismatches[0].values
