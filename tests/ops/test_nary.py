"""Ops with three inputs and hashable params: a throwaway ``fma`` runs through every backend."""

import numpy as np
import pytest

import diffcheck as dc
from diffcheck.errors import ShapeError
from diffcheck.ops import REGISTRY, Op
from diffcheck.ops.arrays import as_objects
from diffcheck.ops.base import registered
from diffcheck.ops.drawing import Draw, Sample
from diffcheck.ops.notation import Call


class Fma(Op):
    """fma(x, y, z) = x * y + z, elementwise with broadcasting."""

    name, arity = "fma", 3
    broadcasts, sympy_route = True, "lower"
    printing, samples, draw = Call(), (Sample(((2, 3), (3,), ())),), Draw(fit="broadcast")
    reads = ((1,), (0,), ())  # ∂/∂x reads y, ∂/∂y reads x, ∂/∂z reads nothing

    def shape(self, a, b, c):
        try:
            return tuple(np.broadcast_shapes(a, b, c))
        except ValueError:
            raise ShapeError(f"fma: cannot broadcast shapes {a}, {b} and {c}") from None

    @staticmethod
    def forward(x, y, z):
        return x * y + z

    def lower(self, x, y, z):
        return as_objects(x * y + z)

    @property
    def vjps(self):
        return (lambda g, out, x, y, z: g * y, lambda g, out, x, y, z: g * x,
                lambda g, out, x, y, z: np.broadcast_to(g, np.shape(g)))


@pytest.fixture
def fma():
    with registered(Fma) as record:
        yield record.builder()
    assert "fma" not in REGISTRY


X, V, S = dc.matrix("X", 2, 3), dc.vector("v", 3), dc.scalar("s")
POINT = {"X": np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]), "v": np.array([2.0, -3.0, 0.5]), "s": 0.7}


def test_grad_of_a_three_input_op_broadcasts_each_input_back(fma):
    loss = dc.sum(fma(X, V, S) * X)  # X is read twice: once as an fma input, once outside
    grads = dc.grad(loss, [X, V, S], POINT)
    x, v = POINT["X"], POINT["v"]
    np.testing.assert_allclose(grads["X"], 2 * x * v + POINT["s"], rtol=1e-14)
    np.testing.assert_allclose(grads["v"], (x * x).sum(axis=0), rtol=1e-14)
    np.testing.assert_allclose(grads["s"], x.sum(), rtol=1e-14)


@pytest.mark.parametrize("var", [X, V, S], ids=["X", "v", "s"])
def test_jacobians_by_all_three_methods_agree(fma, var):
    expr = dc.tanh(fma(X, V, S))
    tape = dc.jacobian(expr, var, POINT, method="tape")
    for method in ("numeric", "sympy"):
        np.testing.assert_allclose(dc.jacobian(expr, var, POINT, method=method), tape, rtol=1e-7, atol=1e-9)


def test_check_passes_and_a_planted_bug_in_the_third_vjp_is_caught(fma, monkeypatch):
    assert dc.check(dc.sum(fma(X, V, S) ** 2), [X, V, S]).ok
    monkeypatch.setattr(Fma, "vjps", property(lambda self: (
        lambda g, out, x, y, z: g * y, lambda g, out, x, y, z: g * x,
        lambda g, out, x, y, z: 2.0 * g)))
    report = dc.check(dc.sum(fma(X, V, S) ** 2), [X, V, S])
    assert not report.ok and {m.wrt for m in report.mismatches} == {"s"}


def test_unread_inputs_are_never_computed(fma):
    """∂/∂z reads nothing, so for a gradient in s alone neither X * X nor the loss runs."""
    from diffcheck.backends.program import compile_program

    expr = dc.sum(fma(dc.exp(X), V, S))
    dc.grad(expr, S, POINT)
    (sweep,) = compile_program(expr)._sweeps.values()
    assert "fwd" not in sweep.source  # no forward step at all: every value is unread


def test_reads_are_positions_and_wrong_forms_are_refused_naming_the_op():
    for bad, words in [(("out y", "x", ""), r"reads\[0\] = 'out y'"), (((3,), (), ()), r"reads\[0\]"),
                       (((),), r"reads must give, for each of its 3 input\(s\)"),
                       (((True,), (), ()), r"reads\[0\]")]:
        cls = type("BadFma", (Fma,), {"reads": bad, "__doc__": Fma.__doc__})
        with pytest.raises(TypeError, match=rf"op 'fma': {words}"):
            with registered(cls):
                pass
        assert "fma" not in REGISTRY
    cls = type("AllFma", (Fma,), {"reads": None, "__doc__": Fma.__doc__})
    with registered(cls) as record:
        assert record.reads == (("out", 0, 1, 2),) * 3


def test_params_are_canonical_and_hashable():
    W = dc.matrix("W", 2, 3)
    assert dc.sum(W, axis=[1, 0]).params == dc.sum(W, axis=(0, 1)).params == (("axis", (0, 1)),)
    assert dc.mean(W, axis=-1).params == dc.mean(W, axis=np.int64(1)).params == (("axis", 1),)
    hash(dc.sum(W, axis=[-1]).params)
    np.testing.assert_allclose(dc.grad(dc.sum(W, axis=[-1]) @ dc.Const([1.0, 2.0]), W,
                                       {"W": np.ones((2, 3))}), [[1.0] * 3, [2.0] * 3])


def test_a_param_without_a_hashable_form_is_refused_naming_the_op():
    with pytest.raises(TypeError, match=r"op 'exp': param where=\{0\} has no hashable form"):
        REGISTRY["exp"].canonical((2, 3), where={0})
    assert REGISTRY["exp"].canonical((2,), where=[np.int64(1), [2]]) == {"where": (1, (2,))}
