"""check_vjp on layers written in plain NumPy (``numpy_layers``, which never import diffcheck).

Each correct backward passes; each buggy one fails, and the report names the elements
that the bug gets wrong (and only those). Forwards that cannot be traced take the black-box
path and say so in the report's first note.
"""

import numpy as np
import pytest

import diffcheck as dc
from tests.checking.numpy_layers import (
    attention,
    dense_tanh,
    kmax_pool,
    layer_norm,
    renorm,
    residual_mlp,
    rnn_step,
    softmax,
    softmax_ce,
)

TRACED = [dense_tanh, softmax_ce, softmax, layer_norm, attention, residual_mlp, rnn_step]
BLACK_BOX = [renorm, kmax_pool]


def run(layer, backward):
    """The default check: SymPy (routed by cost), tape and numeric differences."""
    return dc.check_vjp(layer.forward, backward, layer.example())


@pytest.mark.parametrize("layer", TRACED + BLACK_BOX, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_a_correct_backward_passes(layer):
    report = run(layer, layer.backward)
    assert report.ok, str(report)
    assert report.compared > 0
    if layer in TRACED:  # checked against SymPy and the tape, not numeric differences alone
        assert report.title == "check_vjp"
        assert report.notes[0].startswith("check_vjp: forward was traced")


@pytest.mark.parametrize("layer", BLACK_BOX, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_an_untraceable_forward_is_a_black_box_and_the_first_note_says_why(layer):
    report = run(layer, layer.backward)
    assert report.title == "check_vjp (black box)"
    assert report.methods == ("numeric",)
    assert report.notes[0].startswith("black box: forward could not be traced")
    assert "no closed form (sympy) and no tape" in report.notes[0]


def test_an_unsupported_numpy_function_is_named_in_the_black_box_note():
    report = run(kmax_pool, kmax_pool.backward)
    assert "np.sort is not supported" in report.notes[0]


def test_control_flow_on_values_is_named_in_the_black_box_note():
    report = run(renorm, renorm.backward)
    assert "compared" in report.notes[0] and "cannot be traced" in report.notes[0]


def wrong(report):
    return {(m.wrt, m.index) for m in report.mismatches}


def test_a_missing_transpose_is_found_on_dx_only_off_the_diagonal():
    report = run(dense_tanh, dense_tanh.backward_buggy)
    assert not report.ok
    assert {w for w, _ in wrong(report)} == {"x"}
    assert all(i != j for _, (i, j) in wrong(report))  # W and Wᵀ share their diagonal
    assert "∂y[0]/∂x[1]" in str(report)


def test_a_forgotten_one_over_n_is_off_by_n_on_every_element():
    report = run(softmax_ce, softmax_ce.backward_buggy)
    assert len(report.mismatches) == 12  # every element of z (4 × 3)
    n = len(softmax_ce.example()["labels"])
    for m in report.mismatches:
        assert m.values["claimed"] == pytest.approx(n * m.values["sympy"], rel=1e-9)


def test_the_softmax_jacobian_diagonal_only_is_wrong_off_the_diagonal_only():
    report = run(softmax, softmax.backward_buggy)
    assert not report.ok
    assert {i != j for _, (i, j) in wrong(report)} == {True}
    assert len(report.mismatches) == 5 * 4


def test_layer_norm_with_sums_for_means_is_wrong_on_x_only():
    report = run(layer_norm, layer_norm.backward_buggy)
    assert not report.ok
    assert {w for w, _ in wrong(report)} == {"x"}
    rows = {(index[0], index[2]) for _, index in wrong(report)}  # y's row and x's row
    assert all(a == b for a, b in rows)  # rows of a layer norm do not mix


def test_attention_with_a_missing_transpose_is_wrong_on_k_only():
    report = run(attention, attention.backward_buggy)
    assert not report.ok
    assert {w for w, _ in wrong(report)} == {"K"}


def test_a_dropped_residual_route_is_the_identity_missing_on_x():
    report = run(residual_mlp, residual_mlp.backward_buggy)
    assert {w for w, _ in wrong(report)} == {"X"}
    assert {index[:2] == index[2:] for _, index in wrong(report)} == {True}  # ∂y[i,j]/∂X[i,j]
    for m in report.mismatches:
        assert m.values["sympy"] - m.values["claimed"] == pytest.approx(1.0, abs=1e-9)


def test_a_backward_without_the_bias_gradient_fails_naming_it():
    report = run(rnn_step, rnn_step.backward_buggy)
    assert not report.ok
    assert any("no gradient for 'b'" in e for e in report.errors)
    assert "no gradient for 'b'" in str(report)


def test_a_black_box_finds_a_dropped_term():
    report = run(renorm, renorm.backward_buggy)
    assert not report.ok
    assert {w for w, _ in wrong(report)} == {"x"}
    assert all(set(m.values) == {"numeric", "claimed"} for m in report.mismatches)


def test_a_black_box_finds_a_scatter_to_the_wrong_positions():
    report = run(kmax_pool, kmax_pool.backward_buggy)
    assert not report.ok
    assert "∂y[" in str(report)


def test_the_corpus_never_imports_diffcheck():
    from pathlib import Path

    for path in Path(dense_tanh.__file__).parent.glob("*.py"):
        import ast

        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not any(str(m).startswith("diffcheck") for m in imported), path.name
    assert np.ndim(dense_tanh.forward(**dense_tanh.example())) == 1
