"""``diffcheck demo``: every lecture example in one table; exit 0 only when all agree."""

import io
from pathlib import Path

import numpy as np

import diffcheck as dc
from diffcheck import demo
from diffcheck.ops import REGISTRY

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
LECTURE_SCRIPTS = {
    "graph_abcd.py", "logic_gates_xor.py", "jacobian_wx.py", "row_vector_xw.py", "tensor_dy_dw.py",
    "batch_xw.py", "chain_vwx.py", "circle_classifier.py", "two_layer_relu.py",
}


def run(examples=None):
    out = io.StringIO()
    code = demo.run(out, examples)
    return code, out.getvalue()


def test_demo_checks_every_example_and_exits_0():
    code, out = run()
    assert code == 0, out
    for example in demo.EXAMPLES:
        assert f"checking {example.title}" in out
        assert out.count(example.title) >= 2  # progress line and at least one table row
    for script in LECTURE_SCRIPTS:
        assert f"(examples/{script})" in out
    header = next(line for line in out.splitlines() if line.startswith("example"))
    assert header.split("  ")[0] == "example" and "methods that agree" in header and "verdict" in header
    assert "DISAGREE" not in out
    rows = len(out.split("\n\n")[1].splitlines()) - 1
    assert f"{rows} of {rows} checks agree across sympy, tape and numeric." in out
    assert "SymPy by the chain rule over per-node derivatives" in out
    assert "sympy, tape, numeric, lecture" in out


def test_the_demo_covers_every_lecture_example_and_each_has_a_script():
    scripts = {e.script for e in demo.EXAMPLES if e.script}
    assert scripts == LECTURE_SCRIPTS
    assert all((EXAMPLES / s).is_file() for s in scripts)


def _tanh_example():
    W, x = dc.matrix("W", 2, 3), dc.vector("x", 3)
    yield "y = tanh(Wx)", demo.Outcome(dc.check(dc.tanh(W @ x), [W, x], seed=1))


def test_demo_exits_1_and_names_the_method_that_disagrees(monkeypatch):
    monkeypatch.setattr(
        type(REGISTRY["tanh"]), "vjp", staticmethod(lambda g, out, x: g * (1.0 + out * out))
    )
    code, out = run([demo.Example("broken tanh", _tanh_example)])
    assert code == 1
    row = next(line for line in out.splitlines() if line.startswith("broken tanh"))
    assert "sympy, numeric" in row and "DISAGREE (tape)" in row
    assert "Mismatched elements" in out
    assert "0 of 1 checks agree" in out


def _wrong_lecture_claim():
    W, x = dc.matrix("W", 4, 3), dc.vector("x", 3)
    report = dc.check(W @ x, x, seed=1)
    claim = demo.lecture_fact(report, "x", lambda p: np.ones((4, 3)))  # not W
    yield "y = Wx: ∂y/∂x = ones", demo.Outcome(report, [claim])


def test_a_wrong_closed_form_fails_the_demo_even_when_the_methods_agree():
    code, out = run([demo.Example("wrong claim", _wrong_lecture_claim)])
    assert code == 1
    row = next(line for line in out.splitlines() if line.startswith("wrong claim"))
    assert "sympy, tape, numeric" in row and "DISAGREE (lecture)" in row
    assert "lecture: the closed form of ∂y/∂x does not hold" in out


def test_the_builders_follow_the_lecture():
    g = demo.graph_abcd()
    assert float(dc.evaluate(g.d, g.at)) == 28.0
    chain = demo.chain_vwx()
    rng = np.random.default_rng(0)
    at = {"V": rng.normal(size=(2, 4)), "W": rng.normal(size=(4, 3)), "x": rng.normal(size=3)}
    np.testing.assert_allclose(demo.chain_product(chain, at), at["V"] @ at["W"], rtol=1e-13)
    W, x, y = demo.wx()
    point = {"W": rng.normal(size=(4, 3)), "x": rng.normal(size=3)}
    compact = demo.tensor_compact(dc.jacobian(y, W, point))
    np.testing.assert_allclose(compact, np.tile(point["x"], (4, 1)))
