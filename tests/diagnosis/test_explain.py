"""explain, to_dot and the notebook displays."""

import shutil

import numpy as np
import pytest

import diffcheck as dc


def lecture_graph():
    a, b = dc.scalar("a"), dc.scalar("b")
    c = a + b
    d = a * c
    return a, b, c, d


def test_explain_reproduces_the_lecture_route_sum():
    a, b, c, d = lecture_graph()
    text = dc.explain(d, a, {"a": 4, "b": 3}, names={"c": c, "d": d})
    assert "c = a + b = 7" in text and "d = a * c = 28" in text
    assert "∂d/∂c = a" in text and "∂c/∂a = 1" in text
    assert text.splitlines()[-1] == "∂d/∂a = ∂d̄/∂a + ∂d̄/∂c·∂c̄/∂a = c + a·1 = 11"


def test_explain_other_questions_of_the_lecture():
    a, b, c, d = lecture_graph()
    names = {"c": c, "d": d}
    assert dc.explain(d, b, {"a": 4, "b": 3}, names=names).endswith("∂d/∂b = ∂d̄/∂c·∂c̄/∂b = a·1 = 4")
    assert dc.explain(c, a, {"a": 4, "b": 3}, names=names).endswith("∂c/∂a = ∂c̄/∂a = 1 = 1")


def test_explain_without_a_point_and_without_names():
    a, b, c, d = lecture_graph()
    text = dc.explain(d, "a")
    assert "n1 = a + b" in text and "y = a * n1" in text
    assert text.splitlines()[-1] == "∂y/∂a = ∂y\u0304/∂a + ∂y\u0304/∂n1·∂n1\u0304/∂a = n1 + a·1"


def test_explain_keeps_parallel_edges_apart():
    a = dc.scalar("a")
    text = dc.explain(a / a, a, {"a": 3.0})
    assert text.splitlines()[-1].endswith("= 1/a - 1/a = 0")


def test_explain_a_small_mlp_with_shapes():
    from diffcheck import nn

    net = nn.MLP([3, 4, 2], activation="tanh")
    X = np.arange(6.0).reshape(2, 3) / 6
    loss = nn.half_sse(net(X), np.zeros((2, 2)))
    first = net.parameters()[0]
    text = dc.explain(loss, first, net.init(0))
    assert f"{first.name}    (shape {first.shape})" in text
    assert "Jacobian, e.g." in text and "tanh" in text
    assert f"value at the point, shape {first.shape}:" in text


def test_to_dot_labels_edges_with_local_derivatives():
    a, b, c, d = lecture_graph()
    source = dc.to_dot(d, names={"c": c, "d": d})
    assert source.startswith("digraph diffcheck {")
    assert 'label="c = a + b"' in source and 'label="d = a * c"' in source
    assert '[label="a"]' in source.split("n2 -> n3")[1].splitlines()[0]


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_to_dot_renders_with_graphviz(tmp_path):
    a, b, c, d = lecture_graph()
    target = tmp_path / "graph.svg"
    dc.to_dot(d, str(target))
    assert target.read_text().lstrip().startswith("<?xml")


def test_rendering_without_graphviz_says_what_is_missing(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="Graphviz 'dot'"):
        dc.to_dot(dc.scalar("a") * 2, str(tmp_path / "g.svg"))


def test_report_notebook_displays_escape_and_show_hints():
    x = dc.vector("x", 2)
    report = dc.check_gradient(dc.sum(x**2), x, "x")
    html = report._repr_html_()
    assert "<table>" in html and "factor: the claim is 1/2" in html and "FAILED" in html
    assert "<script" not in html
    assert report._repr_markdown_().count("Hints:") == 1


def test_a_gradient_by_a_matrix_is_also_written_in_matrix_notation():
    W, x, t = dc.matrix("W", 2, 3), dc.vector("x", 3), dc.vector("t", 2)
    text = dc.explain(dc.sum((dc.sigmoid(W @ x) - t) ** 2), W)
    expected = "In matrix notation (dc.closed_form): ∂y/∂W = 2·(σ′(W x) ⊙ (σ(W x) − t)) xᵀ"
    assert text.splitlines()[-1] == expected
    assert "matrix notation" not in dc.explain(dc.sum(dc.cumsum(x)), x)  # no matrix rule: routes only
    assert "matrix notation" not in dc.explain(dc.scalar("a") * 2.0, "a")  # a scalar: nothing to add
