"""check() and the Report: verdicts, the printed table, kinks, tolerances, ill-conditioning."""

import numpy as np
import pytest

import diffcheck as dc
from diffcheck.ops import REGISTRY


def broken_tanh(monkeypatch):
    monkeypatch.setattr(
        type(REGISTRY["tanh"]), "vjp", staticmethod(lambda g, out, x: g * (1.0 + out * out))
    )


def test_a_correct_expression_passes_with_all_methods():
    W, x, b = dc.matrix("W", 3, 2), dc.vector("x", 2), dc.vector("b", 3)
    report = dc.check(dc.sigmoid(W @ x + b), [W, x, b])
    assert report.ok and bool(report)
    assert report.methods == ("sympy", "tape", "numeric")
    assert report.compared == 3 * (6 + 2 + 3) * 3  # elements x points
    assert report.max_rel_error < 1e-12
    assert report.mismatches == [] and report.kinks == []


def test_report_text_follows_assert_allclose(monkeypatch):
    broken_tanh(monkeypatch)
    W, x = dc.matrix("W", 2, 3), dc.vector("x", 3)
    report = dc.check(dc.tanh(W @ x), W, seed=5, n_points=1)
    text = str(report)
    assert not report.ok
    assert "FAILED" in text.splitlines()[0]
    assert "Mismatched elements: 6 / 12 (50%)" in text
    assert "Max absolute difference among violations" in text
    assert "rtol=1e-07, atol=1e-10" in text
    assert "∂y[1]/∂W[1,2]" in text and "∂y[0]/∂W[1,2]" not in text
    assert "random points from seed 5" in text
    header = next(line for line in text.splitlines() if line.strip().startswith("element"))
    assert header.split() == ["element", "sympy", "tape", "numeric"]


def test_mismatches_carry_index_wrt_and_values(monkeypatch):
    broken_tanh(monkeypatch)
    W, x = dc.matrix("W", 2, 3), dc.vector("x", 3)
    report = dc.check(dc.tanh(W @ x), [W, x], n_points=1)
    by_wrt = {m.wrt for m in report.mismatches}
    assert by_wrt == {"W", "x"}
    m = next(m for m in report.mismatches if m.wrt == "W")
    assert len(m.index) == 3 and m.index[0] == m.index[1]  # only the diagonal blocks differ
    assert set(m.values) == {"sympy", "tape", "numeric"}
    assert m.name.startswith("∂y[") and m.abs_error > 0.1


def test_report_table_is_capped(monkeypatch):
    broken_tanh(monkeypatch)
    x = dc.vector("x", 30)
    report = dc.check(dc.tanh(x), x, n_points=1)
    assert len(report.mismatches) == 30
    assert "... and 10 more (report.mismatches has all 30)" in str(report)


def test_same_seed_same_points_different_seed_different_points():
    x = dc.vector("x", 3)
    one, two = dc.check(dc.exp(x), x, seed=3), dc.check(dc.exp(x), x, seed=3)
    other = dc.check(dc.exp(x), x, seed=4)
    assert all(np.array_equal(p["x"], q["x"]) for p, q in zip(one.points, two.points))
    assert not np.array_equal(one.points[0]["x"], other.points[0]["x"])
    assert one.seed == 3


def test_random_points_respect_domains_and_kinks():
    x = dc.vector("x", 4)
    report = dc.check(dc.log(x) + dc.sqrt(x) + dc.relu(x - 1.0), x, n_points=5)
    assert report.ok and len(report.points) == 5
    for p in report.points:
        assert np.all(p["x"] > 0.05) and np.all(np.abs(p["x"] - 1.0) >= 1e-3)


def test_impossible_domain_asks_for_a_point():
    x = dc.scalar("x")
    with pytest.raises(ValueError, match="pass at="):
        dc.check(dc.log(-(x * x) - 1.0), x)


def test_kink_is_reported_not_failed_and_not_silently_passed():
    a = dc.scalar("a")
    report = dc.check(dc.relu(a) * 2.0, a, {"a": 0.0})
    assert report.ok and len(report.kinks) == 1
    kink = report.kinks[0]
    assert kink.left == pytest.approx(0.0, abs=1e-6) and kink.right == pytest.approx(2.0)
    assert "non-differentiable" in str(report)
    assert report.compared == 0


def test_kink_only_marks_elements_it_touches():
    x = dc.vector("x", 3)
    report = dc.check(dc.abs(x) * 2.0, x, {"x": [0.0, 1.0, -2.0]})
    assert [k.index for k in report.kinks] == [(0, 0)]
    assert report.ok and report.compared == 8


def test_explicit_tolerances_override_the_table(monkeypatch):
    x = dc.vector("x", 3)
    monkeypatch.setattr(
        type(REGISTRY["exp"]), "vjp", staticmethod(lambda g, out, x: g * out * (1 + 1e-6))
    )
    assert not dc.check(dc.exp(x), x)
    loose = dc.check(dc.exp(x), x, rtol=1e-4)
    assert loose.ok and loose.tolerances["tape"] == (1e-4, 1e-10)


def test_methods_subset_and_validation():
    x = dc.vector("x", 2)
    report = dc.check(dc.sin(x), x, methods=("tape", "numeric"))
    assert report.ok and report.reference == "tape"
    with pytest.raises(ValueError, match="methods"):
        dc.check(dc.sin(x), x, methods=("tape", "autograd"))


def test_given_points_are_validated():
    x = dc.vector("x", 2)
    with pytest.raises(ValueError, match="no value for 'x'"):
        dc.check(dc.sin(x), x, {"y": 1.0})
    report = dc.check(dc.sin(x), x, [{"x": [0.1, 0.2]}, {"x": [0.3, 0.4]}])
    assert len(report.points) == 2 and report.seed is None


def test_saturated_closed_form_is_called_ill_conditioned_not_wrong():
    z = dc.scalar("z")
    loss = -dc.log(1.0 - dc.sigmoid(z))  # the naive cross-entropy for label 0
    report = dc.check(loss, z, {"z": 30.0})
    assert report.ok, str(report)
    assert any("ill-conditioned" in note for note in report.notes)
    tensors = report.jacobians[(0, "z")]
    assert abs(float(tensors["sympy"]) - 1.0) > 1e-4  # float64 closed form is off...
    assert float(tensors["tape"]) == pytest.approx(1.0, rel=1e-12)  # ...the tape is not


def test_non_finite_values_are_noted():
    z = dc.scalar("z")
    report = dc.check(-dc.log(1.0 - dc.sigmoid(z)), z, {"z": 40.0})
    assert any("not finite" in note for note in report.notes)


def test_repr_and_markdown():
    x = dc.vector("x", 2)
    report = dc.check(dc.sin(x), x)
    assert repr(report).startswith("<Report check ok: 0 / 12 mismatched")
    assert report._repr_markdown_().startswith("```text\n")
    assert report.to_dict()["ok"] is True


def test_nested_kink_ops_lower_and_check_cleanly():
    x = dc.vector("x", 3)
    for expr in (dc.relu(dc.relu(x) - 0.5), dc.abs(dc.relu(x) - 1.0)):
        assert dc.check(expr, x).ok
