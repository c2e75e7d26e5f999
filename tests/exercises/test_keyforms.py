"""Keys in the lecture's forms: σ(z)(1 − σ(z)), (ŷ − y)·∂z/∂w, Wᵀδ, never "= 1 = 1"."""

from __future__ import annotations

import sympy as sp

from diffcheck import exercises
from diffcheck.exercises.graphs import tidy_line
from diffcheck.exercises.keyforms import element_latex, label_latex, solution_blocks
from diffcheck.symbols import element_symbol


def key_text(ex: exercises.Exercise) -> str:
    return ex.render("md", solutions=True)


def test_sigmoid_derivatives_are_written_with_sigma() -> None:
    z, w = element_symbol("z", (0,)), element_symbol("W", (0, 1))
    expr = w * sp.exp(-z) / (1 + sp.exp(-z)) ** 2
    assert element_latex(expr) == (r"W_{0,1}\, \sigma\left(z_{0}\right)\left(1 - "
                                   r"\sigma\left(z_{0}\right)\right)")
    for kind, level in (("layer", 1), ("jacobian", 3), ("tensor", 2)):
        for seed in range(6):
            ex = exercises.generate(kind, seed, level)
            if "sigmoid" in ex.title or "\\sigma" in ex.prompt:
                text = key_text(ex)
                assert r"\left(1 - \sigma\left(z_{" in text, ex.id
                assert "e^{- z" not in "".join(t for k, t in solution_blocks(ex) if k == "math")


def test_a_form_that_does_not_match_is_left_as_sympy_prints_it() -> None:
    x = element_symbol("x", (0,))
    assert element_latex(sp.exp(x) * x) == "x_{0} e^{x_{0}}"
    z = element_symbol("z", ())
    odd = sp.exp(-z) / (1 + sp.exp(-z)) ** 3  # not a sigmoid form: shown as SymPy prints it
    assert "e^{- z}" in element_latex(odd) or r"\sigma" in element_latex(odd)


def test_circle_keys_use_y_hat() -> None:
    for seed in range(4):
        ex = exercises.generate("circle", seed, 1)
        math = "".join(t for k, t in solution_blocks(ex) if k == "math")
        assert r"\hat{y}" in math and "e^{" not in math, ex.id
        label = ex.prompt.split("label $y = ")[1][0]
        expected = r"\left(\hat{y} - 1\right)" if label == "1" else r"\hat{y} \cdot"
        assert expected in math, (ex.id, math)


def test_backprop_names_delta_and_w_transpose_delta() -> None:
    text = key_text(exercises.generate("backprop", 5, 3))
    assert r"\boldsymbol{\delta}^{[2]} = \hat{\mathbf{y}} - \mathbf{t}" in text
    assert r"W^{[2]T}\boldsymbol{\delta}^{[2]}" in text


def test_graph_keys_never_repeat_a_value() -> None:
    assert tidy_line("∂e/∂d = ∂ē/∂d = 1 = 1") == "∂e/∂d = ∂ē/∂d = 1"
    assert tidy_line("∂e/∂b = -1·-1 + a·-2 = 3") == "∂e/∂b = -1·(-1) + a·(-2) = 3"
    for seed in range(6):
        text = key_text(exercises.generate("graph", seed, 1))
        for line in text.splitlines():
            pieces = line.split(" = ")
            assert all(a != b for a, b in zip(pieces, pieces[1:])), line


def test_labels_and_long_parts_element_by_element() -> None:
    assert label_latex("∂y[1]/∂W[0,2]") == r"\frac{\partial y_{1}}{\partial W_{0,2}}"
    assert label_latex("∂E/∂W1[0,1]") == r"\frac{\partial E}{\partial W^{[1]}_{0,1}}"
    blocks = solution_blocks(exercises.generate("tensor", 4, 1))  # a 3-D tensor: elements
    assert any("every other element is 0" in t for k, t in blocks if k == "p")
