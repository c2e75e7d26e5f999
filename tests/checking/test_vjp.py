"""check_vjp's contract: forms of backward's result, what it gets wrong, both sizes of output,
the black box, and check / check_gradient of a plain NumPy function."""

import numpy as np
import pytest

import diffcheck as dc

rng = np.random.default_rng(3)
AT = {"W": rng.standard_normal((2, 3)), "x": rng.standard_normal(3)}


def forward(W, x):
    return np.tanh(W @ x)


def grads(g, W, x):
    d = g * (1 - np.tanh(W @ x) ** 2)
    return np.outer(d, x), W.T @ d


def test_a_tuple_in_the_order_of_at_is_read_like_a_dict():
    assert dc.check_vjp(forward, lambda g, W, x: grads(g, W, x), AT, methods=("tape",)).ok


def test_a_missing_input_fails_and_says_so():
    report = dc.check_vjp(forward, lambda g, W, x: {"W": grads(g, W, x)[0]}, AT, methods=("tape",))
    assert not report.ok and "no gradient for 'x'" in report.errors[0]


def test_a_transposed_gradient_fails_with_a_shape_hint():
    backward = lambda g, W, x: {"W": grads(g, W, x)[0].T, "x": grads(g, W, x)[1]}  # noqa: E731
    report = dc.check_vjp(forward, backward, AT, methods=("tape",))
    assert not report.ok and "has shape (3, 2), but W has shape (2, 3): it is transposed" in str(report)


def test_a_backward_that_ignores_g_is_not_linear_and_fails():
    backward = lambda g, W, x: grads(np.ones_like(g), W, x)  # noqa: E731
    report = dc.check_vjp(forward, backward, AT, methods=("tape",))
    assert not report.ok and any("not linear in g" in e for e in report.errors)


def test_an_unknown_name_in_the_result_is_an_error():
    with pytest.raises(ValueError, match="'w'"):
        dc.check_vjp(forward, lambda g, W, x: {"w": W}, AT)


def test_an_unused_input_must_get_a_zero_gradient():
    fwd = lambda W, x, c: np.tanh(W @ x)  # noqa: E731
    at = {**AT, "c": np.ones(2)}
    good = dc.check_vjp(fwd, lambda g, W, x, c: (*grads(g, W, x), np.zeros(2)), at, methods=("tape",))
    bad = dc.check_vjp(fwd, lambda g, W, x, c: (*grads(g, W, x), np.ones(2)), at, methods=("tape",))
    assert good.ok and not bad.ok
    assert {m.wrt for m in bad.mismatches} == {"c"}


def test_integer_inputs_are_constants_without_a_gradient():
    fwd = lambda x, k: np.sum(x[k] ** 2)  # noqa: E731
    backward = lambda g, x, k: {"x": np.bincount(k, 2 * g * x[k], minlength=4)}  # noqa: E731
    assert dc.check_vjp(fwd, backward, {"x": rng.standard_normal(4), "k": np.array([0, 2])}).ok


def test_a_large_output_is_checked_through_seeded_cotangents():
    fwd = lambda A: np.exp(A)  # noqa: E731
    at = {"A": rng.standard_normal((9, 9))}
    good = dc.check_vjp(fwd, lambda g, A: g * np.exp(A), at, methods=("tape", "numeric"))
    bad = dc.check_vjp(fwd, lambda g, A: g * np.exp(A.T), at, methods=("tape", "numeric"))
    assert good.ok and len(good.points) == 3
    assert not bad.ok and bad.mismatches[0].name.startswith("∂⟨g,y⟩/∂A[")


def test_a_random_forward_is_refused():
    noisy = np.random.default_rng()
    with pytest.raises(ValueError, match="different values"):
        dc.check_vjp(lambda x: x * noisy.random(), lambda g, x: g, {"x": np.ones(2)})


def test_a_black_box_at_a_kink_accepts_a_subgradient_and_refuses_a_wrong_one():
    fwd = lambda x: np.array([float(v) for v in np.abs(x)])  # noqa: E731  (a Python loop)
    at = {"x": np.array([0.0, 1.5])}
    ok = dc.check_vjp(fwd, lambda g, x: g * np.sign(x), at)
    wrong = dc.check_vjp(fwd, lambda g, x: g * np.array([3.0, 1.0]), at)
    assert ok.ok and ok.kinks and "black box" in ok.title
    assert not wrong.ok and wrong.mismatches[0].name == "∂y[0]/∂x[0]"


def test_check_gradient_accepts_a_function_traced_or_not():
    claim = lambda W, x: np.diag(1 - np.tanh(W @ x) ** 2) @ W  # noqa: E731
    assert dc.check_gradient(forward, "x", claim, at=AT).ok
    untraceable = lambda W, x: np.tanh(np.sort(W @ x)[np.argsort(np.argsort(W @ x))])  # noqa: E731
    report = dc.check_gradient(untraceable, "x", claim, at=AT)
    assert report.ok and report.notes[0].startswith("black box")
    wrong = dc.check_gradient(untraceable, "x", lambda W, x: W, at=AT)
    assert not wrong.ok and "∂y[" in str(wrong)


def test_check_accepts_a_traceable_function_and_explains_an_untraceable_one():
    assert dc.check(forward, ["W", "x"], at=AT).ok
    with pytest.raises(TypeError, match="could not be traced.*check_gradient"):
        dc.check(lambda x: np.sort(x), "x", at={"x": np.ones(3)})


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_non_finite_backward_fails_quietly(bad):
    """A NaN or infinite gradient is a failing report, with no NumPy warning on the way."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        report = dc.check_vjp(lambda x: np.tanh(x), lambda g, x: np.full_like(x, bad),
                              {"x": np.array([0.1, 0.2])})
    assert not report.ok


@pytest.mark.parametrize("forward, words", [
    (np.tanh, r"forward\(\*\*at\) with the keywords x, but 'x' parameter is positional only"),
    (lambda W: W, r"with the keywords x, but missing a required argument: 'W'"),
])
def test_a_forward_that_cannot_take_the_inputs_says_how_it_is_called(forward, words):
    with pytest.raises(TypeError, match=words):
        dc.check_vjp(forward, lambda g, x: g, {"x": np.array([0.1])})
