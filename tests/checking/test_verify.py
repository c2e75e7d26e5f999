"""check_gradient and check_chain: typical hand derivations, wrong and right, in every form."""

import numpy as np
import pytest
import sympy as sp

import diffcheck as dc

a, b = dc.scalar("a"), dc.scalar("b")
c = a + b
d = a * c
x3 = dc.vector("x", 3)
W23, W33 = dc.matrix("W", 2, 3), dc.matrix("W", 3, 3)


def names(report):
    return sorted({m.name for m in report.mismatches})


# ----- wrong derivations: caught, with the wrong elements named -----
def test_transposed_jacobian_names_the_off_diagonal_entries():
    at = {"W": np.arange(9.0).reshape(3, 3) + 1, "x": np.ones(3)}
    report = dc.check_gradient(W33 @ x3, x3, lambda W, x: W.T, at)
    assert not report.ok
    assert "∂y[0]/∂x[1]" in names(report) and "∂y[0]/∂x[0]" not in names(report)
    assert len(report.mismatches) == 6


def test_numerator_denominator_confusion_on_a_non_square_case():
    report = dc.check_gradient(W23 @ x3, x3, lambda W, x: W.T)
    assert not report.ok
    assert any("denominator-layout shape" in e for e in report.errors)
    assert any(h.startswith("layout:") for h in report.hints)
    assert "layout='denominator'" in str(report)


def test_missing_factor_two():
    report = dc.check_gradient(dc.sum(x3**2), x3, "x")
    assert names(report) == ["∂y/∂x[0]", "∂y/∂x[1]", "∂y/∂x[2]"]
    m = report.mismatches[0]
    assert m.values["claimed"] * 2 == pytest.approx(m.values["sympy"])


def test_sign_error():
    report = dc.check_gradient(dc.sum(dc.exp(-x3)), x3, lambda x: np.exp(-x))
    assert len(report.mismatches) == 9  # 3 elements x 3 points
    assert all(m.values["claimed"] == pytest.approx(-m.values["sympy"]) for m in report.mismatches)


def test_sigmoid_derivative_written_as_sigmoid():
    z = dc.vector("z", 3)
    typed = "[[sigmoid(z[0]),0,0],[0,sigmoid(z[1]),0],[0,0,sigmoid(z[2])]]"
    wrong = dc.check_gradient(dc.sigmoid(z), z, typed)
    assert names(wrong) == ["∂y[0]/∂z[0]", "∂y[1]/∂z[1]", "∂y[2]/∂z[2]"]
    right = dc.check_gradient(
        dc.sigmoid(z), z, lambda z: np.diag(1 / (1 + np.exp(-z)) * (1 - 1 / (1 + np.exp(-z))))
    )
    assert right.ok, str(right)


def test_relu_derivative_wrong_for_negative_inputs():
    x = dc.vector("x", 4)
    at = {"x": np.array([0.5, -1.0, 2.0, -0.3])}
    report = dc.check_gradient(dc.relu(x), x, np.eye(4), at)
    assert names(report) == ["∂y[1]/∂x[1]", "∂y[3]/∂x[3]"]


def test_bias_gradient_not_summed_over_the_batch():
    X, W, bias = dc.matrix("X", 5, 3), dc.matrix("W", 3, 2), dc.vector("b", 2)
    loss = dc.sum(X @ W + bias)
    report = dc.check_gradient(loss, bias, lambda X, W, b: np.ones(2))
    assert names(report) == ["∂y/∂b[0]", "∂y/∂b[1]"]
    assert report.mismatches[0].values["sympy"] == pytest.approx(5.0)
    assert dc.check_gradient(loss, bias, lambda X, W, b: np.full(2, X.shape[0])).ok


def test_one_element_off_in_a_tensor_derivative():
    def claim(W, x):
        t = np.einsum("ik,j->ikj", np.eye(2), x)
        t[1, 1, 2] += 0.25
        return t

    report = dc.check_gradient(W23 @ x3, W23, claim)
    assert names(report) == ["∂y[1]/∂W[1,2]"]
    assert len(report.mismatches) == 3  # once per point
    assert "∂y[1]/∂W[1,2]" in str(report)


def test_forgotten_route_in_the_lecture_graph():
    report = dc.check_gradient(d, a, "a + b", name="d")  # only the route through c
    assert names(report) == ["∂d/∂a"]
    assert dc.check_gradient(d, a, "c + a".replace("c", "(a + b)"), name="d").ok


def test_sympy_claim_missing_a_term():
    A = sp.Symbol("a", real=True)
    report = dc.check_gradient(d, a, 2 * A)
    assert not report.ok and names(report) == ["∂y/∂a"]


def test_one_wrong_entry_in_a_typed_matrix():
    text = "[[W[0,0], W[0,1], W[0,2]], [W[1,0], W[1,1], 0]]"
    report = dc.check_gradient(W23 @ x3, x3, text)
    assert names(report) == ["∂y[1]/∂x[2]"]


def test_mean_written_as_sum():
    report = dc.check_gradient(dc.mean(x3**2), x3, "2*x")
    assert len(names(report)) == 3
    assert dc.check_gradient(dc.mean(x3**2), x3, "2*x/3").ok


def test_circle_classifier_sign_error_on_the_radius():
    w0, w1, w2 = dc.scalar("w0"), dc.scalar("w1"), dc.scalar("w2")
    x1, x2 = 0.3, -1.2
    z = (x1 - w1) ** 2 + (x2 - w2) ** 2 - w0**2
    assert names(dc.check_gradient(z, w0, "2*w0")) == ["∂y/∂w0"]
    assert dc.check_gradient(z, w0, "-2*w0").ok
    assert dc.check_gradient(z, w1, f"-2*({x1} - w1)").ok


def test_tanh_derivative_without_the_square():
    report = dc.check_gradient(dc.tanh(a), a, "1 - tanh(a)")
    assert not report.ok


def test_a_formula_right_at_one_point_is_caught_at_others():
    cube = a**3
    assert dc.check_gradient(cube, a, "3*a", {"a": 1.0}).ok  # agrees at a = 1 only
    assert not dc.check_gradient(cube, a, "3*a").ok  # several seeded points


# ----- correct derivations pass, in every form -----
def test_correct_callable():
    assert dc.check_gradient(d, a, lambda a, b: 2 * a + b).ok
    assert dc.check_gradient(d, b, lambda a, b: a).ok


def test_correct_sympy_matrix_and_symbols_made_by_the_user():
    assert dc.check_gradient(W23 @ x3, x3, dc.to_sympy(W23)).ok
    plain = sp.Matrix(2, 3, lambda i, j: sp.Symbol(f"W[{i},{j}]"))  # no real=True: matched by name
    assert dc.check_gradient(W23 @ x3, x3, plain).ok


def test_correct_strings():
    z = dc.scalar("z")
    assert dc.check_gradient(dc.sigmoid(z), z, "sigmoid(z)*(1 - sigmoid(z))").ok
    x = dc.vector("x", 2)
    assert dc.check_gradient(dc.relu(x), x, "[[step(x[0]), 0], [0, step(x[1])]]").ok
    assert dc.check_gradient(d, a, "2*a + b").ok


def test_correct_array_at_the_lecture_point():
    report = dc.check_gradient(d, a, 11.0, {"a": 4, "b": 3})
    assert report.ok and report.jacobians[(0, "a")]["claimed"] == 11.0


def test_correct_tensor_derivative_and_compact_form():
    report = dc.check_gradient(W23 @ x3, W23, lambda W, x: np.einsum("ik,j->ikj", np.eye(2), x))
    assert report.ok and report.compared == 3 * 12  # (2, 2, 3) elements x 3 points


def test_correct_denominator_layout_for_a_row_vector():
    W = dc.matrix("W", 3, 4)
    assert dc.check_gradient(x3 @ W, x3, lambda x, W: W, layout="denominator").ok
    assert dc.check_gradient(x3 @ W, x3, lambda x, W: W.T).ok


def test_several_variables_take_a_dict():
    report = dc.check_gradient(d, [a, b], {"a": "2*a + b", "b": lambda a, b: a})
    assert report.ok and report.wrt == ("a", "b")
    with pytest.raises(ValueError, match="missing"):
        dc.check_gradient(d, [a, b], {"a": "2*a + b"})


# ----- bad input -----
def test_other_wrong_shapes_are_shape_errors():
    with pytest.raises(dc.ShapeError, match=r"shape \(4,\).*\(2, 3\)"):
        dc.check_gradient(W23 @ x3, x3, lambda W, x: np.ones(4))
    with pytest.raises(dc.ShapeError, match="reshape it to"):
        dc.check_gradient(W23 @ x3, x3, lambda W, x: np.ones(6))


def test_unknown_symbols_and_names_are_refused():
    with pytest.raises(ValueError, match="'q'"):
        dc.check_gradient(d, a, sp.Symbol("q") * 2)
    with pytest.raises(dc.ParseError, match="did you mean"):
        dc.check_gradient(d, a, "2*aa + b")


def test_callable_signature_errors_explain_the_convention():
    with pytest.raises(TypeError, match="keyword argument"):
        dc.check_gradient(d, a, lambda x: x)


def test_array_claim_needs_its_point():
    with pytest.raises(ValueError, match="at="):
        dc.check_gradient(d, a, 11.0)


def test_hostile_string_never_runs():
    with pytest.raises(dc.ParseError):
        dc.check_gradient(d, a, "__import__('os').system('echo pwned')")


# ----- check_chain -----
def test_chain_rule_for_VWx():
    V, W = dc.matrix("V", 2, 4), dc.matrix("W", 4, 3)
    z = W @ x3
    report = dc.check_chain(V @ z, z, x3, via_name="z")
    assert report.ok
    assert {"chain sympy", "chain tape", "chain numeric"} <= set(report.jacobians[(0, "x")])


def test_chain_rule_through_an_elementwise_layer():
    z = W23 @ x3
    assert dc.check_chain(dc.sum(dc.tanh(z) ** 2), z, W23, via_name="z").ok


def test_route_that_bypasses_via_is_named():
    with pytest.raises(ValueError, match=r"route from a to d bypasses c: a → a \* \(a \+ b\)"):
        dc.check_chain(d, c, a, name="d", via_name="c")
    assert dc.check_chain(d, c, b, name="d", via_name="c").ok


def test_via_must_be_in_the_graph():
    with pytest.raises(ValueError, match="not a node"):
        dc.check_chain(d, a - b, a)


def test_a_typed_claim_with_an_overflowing_value_is_a_failing_report():
    x = dc.vector("x", 2)  # exp(exp(exp(9))) overflows to inf, so the claim is [1, 1]: wrong
    report = dc.check_gradient(dc.sum(dc.sigmoid(x)), x, "[sigmoid(exp(exp(exp(9)))), 1]")
    assert not report.ok
    assert {m.values["claimed"] for m in report.mismatches} == {1.0}


# ----- reports a student can read -----
def test_a_variable_output_is_named_and_an_unnamed_output_says_how_to_name_it():
    import diffcheck as _dc

    s = _dc.scalar("s")
    assert _dc.check_gradient(s, s, "2").headline().startswith("diffcheck check_gradient: ∂s/∂s")
    t = _dc.scalar("t")
    report = _dc.check_gradient(t * t, t, "t")
    assert any("pass name=" in n for n in report.notes)
    assert not any("pass name=" in n for n in _dc.check_gradient(t * t, t, "t", name="L").notes)


def test_points_print_with_six_significant_digits_and_stay_exact():
    import diffcheck as _dc

    t = _dc.scalar("t")
    report = _dc.check_gradient(t * t, t, "t", at={"t": 1.234567891})
    assert "Point 0: t=1.23457" in str(report)
    assert float(report.points[0]["t"]) == 1.234567891
    assert "t=4.0" in str(_dc.check_gradient(t * t, t, "t", at={"t": 4.0}))


def test_a_layout_error_prints_no_empty_mismatch_count():
    import numpy as _np

    import diffcheck as _dc

    W, x = _dc.matrix("W", 2, 3), _dc.vector("x", 3)
    report = _dc.check_gradient(W @ x, x, lambda W, x: W.T)
    assert not report.ok and report.errors
    assert "Mismatched elements: 0 / 0" not in str(report)
    assert _np.ndim(report.points[0]["W"]) == 2


def test_a_transposed_scalar_gradient_is_a_failing_report_that_says_so():
    import numpy as _np

    import diffcheck as _dc

    W, x = _dc.matrix("W", 2, 3), _dc.vector("x", 3)
    right = _dc.check_gradient(_dc.sum(W @ x), W, lambda W, x: _np.tile(x, (2, 1)).T, name="L")
    assert not right.ok and right.hints == ["transpose: this is the transpose of ∂L/∂W"]
    wrong = _dc.check_gradient(_dc.sum(W @ x), W, lambda W, x: 2 * _np.tile(x, (2, 1)).T)
    assert not wrong.ok and "even transposed" in wrong.hints[0]


def test_only_singleton_axes_differ_is_accepted_with_a_note_and_still_checked():
    import diffcheck as _dc

    r, W = _dc.vector("r", 2), _dc.matrix("W", 2, 3)
    right = _dc.check_gradient(r @ W, r, lambda r, W: W.T[None, :, None, :])
    assert right.ok and "axes of length 1" in right.notes[0]
    wrong = _dc.check_gradient(r @ W, r, lambda r, W: W.T[None, :, None, :] + 1)
    assert not wrong.ok


def test_a_claim_at_a_kink_is_judged_against_the_one_sided_values():
    import diffcheck as _dc

    z = _dc.vector("z", 2)
    at = {"z": [0.0, 1.0]}
    inside = _dc.check_gradient(_dc.sum(_dc.relu(z)), z, [0.5, 1.0], at=at)
    assert inside.ok and len(inside.kinks) == 1
    outside = _dc.check_gradient(_dc.sum(_dc.relu(z)), z, [2.0, 1.0], at=at)
    assert not outside.ok and any(h.startswith("kink:") for h in outside.hints)
