"""Markdown/LaTeX rendering, element names in LaTeX, and the text form of SymPy objects."""

from __future__ import annotations

import pytest
import sympy as sp

from diffcheck import exercises
from diffcheck.exercises import render
from diffcheck.exercises.keyforms import solution_blocks
from diffcheck.exercises.symtext import Unprintable, check_allowed, tex_name, to_text
from diffcheck.parsing import parse
from diffcheck.symbols import element_symbol


def test_markdown_and_tex_blocks() -> None:
    blocks = [("p", "Use `W[1,2]` and $x_0$, **bold** & 50%"), ("math", r"\frac{a}{b}"),
              ("code", "c = a + b"), ("items", "one_1\ntwo")]
    md = render.to_markdown(blocks)
    assert "$$\n\\frac{a}{b}\n$$" in md and "```text\nc = a + b\n```" in md and "- two" in md
    tex = render.to_tex(blocks)
    assert r"\texttt{W[1,2]}" in tex and "$x_0$" in tex and r"\textbf{bold}" in tex
    assert r"\& 50\%" in tex and r"\item one\_1" in tex and r"\[" in tex
    with pytest.raises(ValueError):
        render.render(blocks, "html")


def test_exercise_renders_in_both_formats_with_and_without_solutions() -> None:
    ex = exercises.generate("tensor", 4)
    md, md_full = ex.render("md"), ex.render("md", solutions=True)
    assert md.startswith(f"**Exercise {ex.id}") and "Solution" not in md
    key = [text for kind, text in solution_blocks(ex) if kind == "math"]
    assert "Solution" in md_full and key and all(text in md_full for text in key)
    tex = render.tex_document(ex.render("tex", solutions=True))
    assert tex.startswith("\\documentclass") and tex.rstrip().endswith("\\end{document}")
    assert tex.isascii() and r"Tensor derivative $\partial$y/$\partial$W" in tex  # ∂ as a macro


@pytest.mark.parametrize("name, tex", [("W[1,2]", "W_{1,2}"), ("x[0]", "x_{0}"), ("w0", "w_{0}"),
                                       ("W1[0,1]", "W^{[1]}_{0,1}"), ("yhat", r"\hat{y}"),
                                       ("a", "a")])
def test_tex_names(name: str, tex: str) -> None:
    assert tex_name(name) == tex


@pytest.mark.parametrize("text", ["relu(W[0,0] - 1)", "step(x[0])*x[1]", "abs(x[0])/3",
                                  "max(x[0], max(x[1], 2))", "e**x[0] + pi", "sigmoid(x[0])",
                                  "x[0]**(1/3) - 1/(2*x[1]**2)", "sign(x[0]) + min(x[0], 0)"])
def test_text_round_trips_through_the_parser(text: str) -> None:
    shapes = {"x": (2,), "W": (1, 1)}
    value = parse(text, shapes)
    again = parse(to_text(value), shapes)
    assert to_text(again) == to_text(value)  # the text is a fixed point
    assert sp.simplify(again - value) == 0


def test_unprintable_and_disallowed_objects() -> None:
    x = element_symbol("x", (0,))
    declared = {"x[0]": x}
    with pytest.raises(Unprintable):
        check_allowed(sp.Derivative(x, x), declared)
    with pytest.raises(Unprintable):
        check_allowed(sp.Symbol("y"), declared)
    with pytest.raises(Unprintable):
        to_text(sp.I * x)
    assert check_allowed(sp.Float(0.5) * sp.Symbol("x[0]"), declared) == x / 2
