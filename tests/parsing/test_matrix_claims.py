"""Claims and answers typed in matrix notation, end to end: ``check_gradient`` (with
``names=``) and exercise grading accept correct ones and catch wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

import diffcheck as dc

W = dc.matrix("W", 2, 3)
x = dc.vector("x", 3)
t = dc.vector("t", 2)
b = dc.vector("b", 2)
A = dc.matrix("A", 3, 3)
LOSS = 0.5 * dc.sum((W @ x - t) ** 2)  # L = ½‖Wx − t‖²
Z = W @ x + b
NET = 0.5 * dc.sum((dc.sigmoid(Z) - t) ** 2)


@pytest.mark.parametrize(("wrt", "claim"), [
    (W, "(W @ x - t) @ x.T"),
    (W, "outer(W @ x - t, x)"),
    (W, "(W @ x - t) @ xᵀ"),
    (x, "W.T @ (W @ x - t)"),
    (x, "Wᵀ @ (W @ x − t)"),
    (t, "t - W @ x"),
])
def test_correct_matrix_claims_pass(wrt, claim):
    report = dc.check_gradient(LOSS, wrt, claim, seed=0)
    assert report.ok, str(report)


@pytest.mark.parametrize(("wrt", "claim"), [
    (W, "(W @ x + t) @ x.T"),  # sign of t
    (W, "outer(W @ x - t, x) / 2"),  # the ½ kept
    (x, "W.T @ (W @ x + t)"),
    (t, "W @ x - t"),  # sign
])
def test_wrong_matrix_claims_fail(wrt, claim):
    report = dc.check_gradient(LOSS, wrt, claim, seed=0)
    assert not report.ok
    assert report.mismatches


def test_transposed_claim_of_a_non_square_matrix_is_not_a_pass():
    """``outer(x, r)`` has W's transposed shape: never "ok", whatever the report says."""
    try:
        report = dc.check_gradient(LOSS, W, "outer(x, W @ x - t)", seed=0)
    except dc.ShapeError:
        return
    assert not report.ok


def test_quadratic_form_with_a_transpose_sum():
    """∂(xᵀAx)/∂x = (A + Aᵀ)x, in row-vector numerator layout."""
    y = x @ (A @ x)
    assert dc.check_gradient(y, x, "(A + A^T) @ x", seed=1).ok
    assert not dc.check_gradient(y, x, "2 * A @ x", seed=1).ok
    assert dc.check_gradient(y, A, "outer(x, x)", seed=1).ok


def test_trace_determinant_and_inverse_claims():
    """∂tr(A)/∂A = I; ∂det(M)/∂M = det(M)·M⁻ᵀ (M = A + 3I keeps it invertible)."""
    assert dc.check_gradient(dc.trace(A), A, "eye(3)", seed=2).ok
    assert not dc.check_gradient(dc.trace(A), A, "2*eye(3)", seed=2).ok
    with pytest.raises(dc.ParseError, match="size of the identity"):
        dc.check_gradient(dc.trace(A), A, "I", seed=2)  # alone, I has no size
    M = A + 3 * dc.const(np.eye(3))
    assert dc.check_gradient(dc.linalg.det(M), A, "det(A + 3*I) * inv(A + 3*I).T", seed=2).ok
    assert dc.check_gradient(dc.linalg.det(M), A, "det(A + 3*I) * ((A + 3*I)⁻¹)ᵀ", seed=2).ok
    with pytest.raises(dc.ParseError, match="power towers"):  # -1**T: write (A⁻¹)ᵀ
        dc.check_gradient(dc.linalg.det(M), A, "det(A + 3*I) * (A + 3*I)⁻¹ᵀ", seed=2)
    assert not dc.check_gradient(dc.linalg.det(M), A, "det(A + 3*I) * inv(A + 3*I)", seed=2).ok


def test_named_intermediates():
    """``names={"z": W @ x + b}``: z is a vector whose values are those of W @ x + b."""
    delta = "(σ(z) - t) * σ(z) * (1 - σ(z))"
    assert dc.check_gradient(NET, W, f"outer({delta}, x)", names={"z": Z}, seed=3).ok
    assert dc.check_gradient(NET, b, delta, names={"z": Z}, seed=3).ok
    assert dc.check_gradient(NET, x, f"W.T @ ({delta})", names={"z": Z}, seed=3).ok
    # the activation's derivative forgotten: caught
    assert not dc.check_gradient(NET, W, "outer(σ(z) - t, x)", names={"z": Z}, seed=3).ok
    # several names, one built on the other's variables
    named = {"z": Z, "a": dc.sigmoid(Z)}
    assert dc.check_gradient(NET, b, "(a - t) * a * (1 - a)", names=named, seed=3).ok
    assert dc.check_gradient(NET, b, "diag(a - t) @ diag(a) @ (1 - a)", names=named, seed=3).ok


@pytest.mark.parametrize(("names", "error", "match"), [
    ({"W": W @ x}, ValueError, "already a variable"),
    ({"z": "W @ x"}, TypeError, "must map to a diffcheck expression"),
    ({"__z": Z}, ValueError, "must be a name"),
    ({"z": dc.vector("q", 2)}, ValueError, "uses q"),
    (["z"], TypeError, "names must be a dict"),
])
def test_bad_names_are_refused(names, error, match):
    with pytest.raises(error, match=match):
        dc.check_gradient(NET, b, "z", names=names, seed=3)


def test_without_names_an_intermediate_is_an_unknown_name():
    with pytest.raises(dc.ParseError, match="unknown name 'z'"):
        dc.check_gradient(NET, b, "σ(z)", seed=3)


def test_string_claim_shape_mismatch_is_a_parse_error_naming_both_shapes():
    with pytest.raises(dc.ParseError, match=r"shapes \(2,\) and \(3,\) do not match for '@'"):
        dc.check_gradient(LOSS, W, "(W @ x - t) @ x", seed=0)


# ----- exercise answers -----

@pytest.mark.parametrize(("kind", "answer"), [
    ("jacobian", "diag(σ(z) * (1 - σ(z))) @ W"),
    ("row-jacobian", "W @ diag(1 - tanh(z)^2)"),
    ("chain", {"dz_dx": "diag(1 - tanh(h)^2) @ W", "dy_dz": "diag(σ(u)*(1-σ(u))) @ V",
               "dy_dx": "diag(σ(u)*(1-σ(u))) @ V @ diag(1 - tanh(h)^2) @ W"}),
    ("batch", {"same": "diag(1 - tanh(Z[0])**2) @ W.T", "other": "0*W"}),
])
def test_exercise_answer_in_matrix_notation_is_graded_correct(kind, answer):
    grade = dc.exercises.generate(kind, 0).grade(answer)
    assert grade.correct, grade.feedback
    assert grade.score == 1.0


@pytest.mark.parametrize(("kind", "answer", "hint"), [
    ("jacobian", "diag(σ(z)) @ W", "0 of 8"),
    ("row-jacobian", "W.T @ diag(1 - tanh(z)^2)", "do not match for '@'"),
    ("tensor", {"compact": "outer(x, σ(z) * (1 - σ(z)))"}, "shape"),
])
def test_wrong_matrix_answer_is_graded_incorrect(kind, answer, hint):
    grade = dc.exercises.generate(kind, 0).grade(answer)
    assert not grade.correct
    assert hint in grade.feedback
