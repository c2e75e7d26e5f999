"""``diffcheck demo``: every lecture example in one table; exit 0 only when all agree."""

import io
from pathlib import Path

import numpy as np
import pytest

import diffcheck as dc
from diffcheck.lecture import demo, worked
from diffcheck.ops import REGISTRY

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LECTURE_SCRIPTS = {
    "graph_abcd.py", "logic_gates_xor.py", "jacobian_wx.py", "row_vector_xw.py", "tensor_dy_dw.py",
    "batch_xw.py", "chain_vwx.py", "circle_classifier.py", "two_layer_relu.py",
}


def run(examples=None):
    out = io.StringIO()
    code = demo.run(out, examples)
    return code, out.getvalue()


def rows_of(out: str, title: str) -> list[dict[str, str]]:
    """The table rows under an example's title, by header, wrapped cells joined again.

    A row's first line is the one with its error; the lines below continue its cells.
    """
    lines = out.splitlines()
    start = lines.index(title) + 1
    end = next((k for k in range(start, len(lines)) if not lines[k].startswith("  ")), len(lines))
    rows: list[dict[str, list[str]]] = []
    for line in lines[start:end]:
        left, cells = len(demo.INDENT), {}
        for header, width in demo.COLUMNS:
            cells[header] = line[left:left + width].strip()
            left += width + 2
        if cells["max rel err"]:
            rows.append({header: [] for header in cells})
        for header, text in cells.items():
            rows[-1][header] += [text] if text else []
    return [{header: " ".join(texts) for header, texts in row.items()} for row in rows]


@pytest.fixture(scope="module")
def full_run() -> tuple[int, str]:
    return run()


def test_demo_checks_every_example_and_exits_0(full_run):
    code, out = full_run
    assert code == 0, out
    for example in demo.EXAMPLES:
        assert f"checking {example.title}" in out
        assert out.count(example.title) >= 2  # progress line and its section of the table
    for script in LECTURE_SCRIPTS:
        assert f"(examples/{script})" in out
    header = next(line for line in out.splitlines() if line.startswith("example"))
    assert header.split("  ")[0] == "example: what is checked"
    assert "methods that agree" in header and "verdict" in header
    assert "DISAGREE" not in out
    rows = sum(line.endswith("  agree") for line in out.splitlines())
    assert rows >= len(demo.EXAMPLES)
    assert f"{rows} of {rows} checks agree across sympy, tape and numeric." in out
    full_size = rows_of(out, "two-layer ReLU network")[1]
    assert "SymPy by the chain rule over per-node derivatives" in full_size["what is checked"]
    assert rows_of(out, "Jacobian of y = Wx")[0]["methods that agree"] == "sympy, tape, numeric, lecture"


def test_the_table_fits_100_columns_and_a_legend_explains_every_method(full_run):
    _, out = full_run
    too_wide = [line for line in out.splitlines() if len(line) > 100]
    assert not too_wide, too_wide
    legend = out.split("\nMethods:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    explained = {line.split()[0]: line for line in legend}
    named = {m for example in demo.EXAMPLES for row in rows_of(out, example.title)
             for m in row["methods that agree"].split(", ")}
    assert {"sympy", "tape", "numeric", "lecture", "accumulated", "descent"} <= named
    assert named <= set(explained)
    assert "the closed form the lecture states" in explained["lecture"]


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
    [row] = rows_of(out, "broken tanh")
    assert row["methods that agree"] == "sympy, numeric" and row["verdict"] == "DISAGREE (tape)"
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
    [row] = rows_of(out, "wrong claim")
    assert row["methods that agree"] == "sympy, tape, numeric" and row["verdict"] == "DISAGREE (lecture)"
    assert "lecture: the closed form of ∂y/∂x does not hold" in out


def test_the_builders_follow_the_lecture():
    g = worked.graph_abcd()
    assert float(dc.evaluate(g.d, g.at)) == 28.0
    chain = worked.chain_vwx()
    rng = np.random.default_rng(0)
    at = {"V": rng.normal(size=(2, 4)), "W": rng.normal(size=(4, 3)), "x": rng.normal(size=3)}
    np.testing.assert_allclose(worked.chain_product(chain, at), at["V"] @ at["W"], rtol=1e-13)
    W, x, y = worked.wx()
    point = {"W": rng.normal(size=(4, 3)), "x": rng.normal(size=3)}
    compact = worked.tensor_compact(dc.jacobian(y, W, point))
    np.testing.assert_allclose(compact, np.tile(point["x"], (4, 1)))
