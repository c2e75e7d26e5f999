"""Every script in examples/ runs (with fast settings) and prints the lecture's results."""

import importlib.util
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(autouse=True)
def _restore_print_options():
    """The scripts set NumPy's print options for their own output; an in-process run must
    not change them for the tests that run after it in the same worker."""
    import numpy as np

    with np.printoptions():
        yield

# script: (fast arguments, text the output must contain)
CASES = {
    "graph_abcd.py": ([], ["c = a + b = 7, d = a * c = 28", "∂d/∂a = 2a + b = 11", "∂d/∂b = a = 4",
                          "c + a·1 = 7 + 4·1 = 11", "Q1: ∂d/∂b = 4   Q2: ∂d/∂c = 4   Q3: ∂c/∂a = 1",
                          "by sympy, tape, numeric (complex-step): OK"]),
    "logic_gates_xor.py": (["--fast"], ["σ(20 * 0 + 20 * 0 - 10) = 0.00005 ≈ 0",
                                        "σ(-20 * 1 - 20 * 1 + 30) = 0.00005 ≈ 0",
                                        "XOR = AND(OR, NAND)", "learned net:", ": OK"]),
    "jacobian_wx.py": ([], ["∂y[1]/∂x[2] = W[1,2]", "J = W: True", ": OK"]),
    "row_vector_xw.py": ([], ["dy/dx = W (denominator layout) = Wᵀ (numerator layout): True", ": OK"]),
    "tensor_dy_dw.py": ([], ["∂y/∂W has shape (4, 4, 3)", "∂y[1]/∂W[0,2] = 0, ∂y[1]/∂W[1,2] = x[2]",
                             "every compact row equals x: True", ": OK"]),
    "batch_xw.py": (["--m", "3"], ["∂Y/∂X has shape (3, 4, 3, 3)",
                                   "∂Y[i,:]/∂X[j,:] = Wᵀ if i = j else 0, for every i, j: True", ": OK"]),
    "chain_vwx.py": ([], ["= W: True", "dy/dx = (dy/dz)(dz/dx) = VW: True", ": OK"]),
    "circle_classifier.py": (["--fast"], ["learned centre (", "training accuracy 9", "= batch (",
                                          "∂E/∂w0, ∂E/∂w1, ∂E/∂w2 by sympy, tape, numeric"]),
    "real_layers.py": ([], ["softmax + cross-entropy", "hint: factor: the claim is 5 times the derivative",
                            "attention (batched)", "RNN cell over concatenate([h, x])",
                            "Gaussian log-likelihood (slogdet, solve)", "all layers checked"]),
    "two_layer_relu.py": (["--fast"], ["N, D_in, H, D_out = 64, 1000, 100, 10", "(falling)",
                                       "same weights after the steps: True",
                                       "three-way check at the reduced size 2×4→3→2: ",
                                       "three-way check at full size 64×1000→100→10",
                                       "∂loss/∂w1 by its closed form in matrix notation",
                                       "full size 64×1000→100→10: tape vs central differences on 10",
                                       "seeded elements of ∂loss/∂w1 and ∂loss/∂w2: OK"]),
}


def load(script: str) -> dict:
    """The script's globals, imported under a name that does not trigger its __main__ block."""
    return runpy.run_path(str(EXAMPLES / script), run_name="diffcheck_example")


def test_every_example_script_is_run():
    assert set(CASES) <= {p.name for p in EXAMPLES.glob("*.py")}


@pytest.mark.parametrize("script", sorted(CASES))
def test_example_runs_and_prints_the_lecture_results(script, capsys):
    args, expected = CASES[script]
    assert load(script)["main"](args) == 0
    out = capsys.readouterr().out
    for text in expected:
        assert text in out, f"{script}: {text!r} not in output:\n{out}"


@pytest.mark.parametrize("script", sorted(CASES))
def test_example_is_a_program_with_a_main_guard(script):
    source = (EXAMPLES / script).read_text(encoding="utf-8")
    assert 'if __name__ == "__main__":' in source and "def main(argv" in source
    assert source.startswith('"""')  # says what it shows


def test_an_example_runs_as_a_script():
    result = subprocess.run([sys.executable, str(EXAMPLES / "graph_abcd.py"), "-a", "2", "-b", "5"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "∂d/∂a = 2a + b = 9" in result.stdout


def test_an_example_fails_when_the_tape_is_wrong(plant_matmul_bug, capsys):
    plant_matmul_bug()
    assert load("jacobian_wx.py")["main"]([]) == 1
    assert "J = W: False" in capsys.readouterr().out


HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


@pytest.mark.parametrize("script", ["logic_gates_xor.py", "circle_classifier.py"])
def test_plot_option_writes_a_png_or_explains_why_not(script, tmp_path, capsys):
    path = tmp_path / "boundary.png"
    assert load(script)["main"](["--fast", "--plot", str(path)]) == 0
    out = capsys.readouterr().out
    if HAS_MATPLOTLIB:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"decision boundary written to {path}" in out
    else:
        assert not path.exists()
        assert "matplotlib is not installed" in out
