"""The benchmark baselines compute what they claim to: the same gradients as diffcheck.

Timing is never asserted here; this only guards the ratios in benchmarks/README.md
against a baseline (or a peer library's row) that quietly computes something else.
"""

import importlib
import os
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

import diffcheck as dc

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load(name: str):
    with mock.patch.dict(os.environ), mock.patch.object(sys, "path", [str(BENCHMARKS), *sys.path]):
        return importlib.import_module(name)  # the env vars _timing sets are put back


def test_lecture_baseline_is_the_tape_gradient():
    bench = load("tape_vs_numpy")
    loss, wrt, at, (x, y) = bench.lecture_problem()
    ours = dc.grad(loss, list(wrt), at)
    for theirs, name in zip(bench.numpy_lecture(x, y, at["w1"], at["w2"]), ("w1", "w2"), strict=True):
        np.testing.assert_allclose(theirs, ours[name], rtol=1e-10)


def test_xor_baseline_is_the_tape_gradient():
    bench = load("tape_vs_numpy")
    loss, wrt, at, (X, t) = bench.xor_problem()
    ours = dc.grad(loss, list(wrt), at)
    for theirs, var in zip(bench.numpy_xor(X, t, *at.values()), wrt, strict=True):
        np.testing.assert_allclose(theirs, ours[var.name], rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("composed", [False, True])
def test_attention_baseline_is_the_tape_gradient(composed):
    bench = load("attention_vs_numpy")
    loss, wrt, at, y = bench.attention_problem(batch=2, tokens=4, d=3, composed=composed)
    ours = dc.grad(loss, list(wrt), at)
    for theirs, var in zip(bench.numpy_attention(y, at["Q"], at["K"], at["V"]), wrt, strict=True):
        np.testing.assert_allclose(theirs, ours[var.name], rtol=1e-10, atol=1e-12)


def test_jacobian_baseline_is_the_tape_jacobian():
    bench = load("jacobian_vs_numpy")
    rng = np.random.default_rng(5)
    at = {"W": rng.standard_normal((6, 6)), "x": rng.standard_normal(6), "b": rng.standard_normal(6)}
    W, x, b = dc.matrix("W", 6, 6), dc.vector("x", 6), dc.vector("b", 6)
    np.testing.assert_allclose(bench.numpy_jacobian(at["W"], at["x"], at["b"]),
                               dc.jacobian(dc.sigmoid(W @ x + b), W, at), rtol=1e-12)


@pytest.mark.parametrize("peer", ["torch", "jax", "autograd"])
def test_peer_rows_compute_the_same_gradients(peer):
    peers, bench = load("_peers"), load("tape_vs_numpy")
    if not peers.installed(peer):
        pytest.skip(f"{peer} is not installed")
    loss, wrt, at, (x, y) = bench.lecture_problem()
    w1, w2 = at["w1"], at["w2"]
    bench._agrees(peers.lecture(peer, x, y, w1, w2)(), bench.numpy_lecture(x, y, w1, w2))
    loss, wrt, at, (X, t) = bench.xor_problem()
    bench._agrees(peers.xor(peer, X, t, *at.values())(), bench.numpy_xor(X, t, *at.values()))


def test_closed_form_sizes_compares_the_same_derivative_at_both_sizes():
    """The benchmark's two losses have one matrix form, and it is the tape's gradient."""
    bench = load("closed_form_sizes")
    small, w_small = bench.lecture_loss(2, 3, 4, 2)
    large, w_large = bench.lecture_loss(5, 6, 7, 3)
    assert str(dc.closed_form(small, w_small)) == str(dc.closed_form(large, w_large))
    rng = np.random.default_rng(1)
    at = {n: rng.standard_normal(v.shape) for n, v in dc.ir.variables(large).items()}
    np.testing.assert_allclose(dc.closed_form(large, w_large).evaluate(at), dc.grad(large, w_large, at),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", list(load("_sympy_cases").CASES))
def test_the_torch_rerun_of_each_routing_case_computes_the_same_function(name):
    pytest.importorskip("torch")
    case = load("_sympy_cases").CASES[name]()
    at = dc.checking.points.resolve(case.y, None, 0, 1).points[0]
    function, inputs = load("_torch_graph").torch_function(case.y, case.wrt, at)
    np.testing.assert_allclose(function(*inputs).detach().numpy(), dc.evaluate(case.y, at), rtol=1e-12)
